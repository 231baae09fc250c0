import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// The console as a paging channel: another process writes a page into the state file while the real
/// `breakglass console` runs in tmux, and the pane shows it and rings.
@Suite(.serialized, .enabled(if: TmuxSession.isAvailable, "needs tmux (make test installs it)"))
struct ConsolePageTests {
    static let config = """
        contacts:
          primary: { name: "Primary on-call" }
        escalation:
          default:
            stages:
              - { notify: [primary], wait: 5m }
        response:
          - match: { alarm: "prod-*" }
            severity: 1
            escalation: default
        """

    /// A 0700 folder for a state file, removed afterwards. Its path has no space, so it can go on
    /// the tmux command line as it is quoted here.
    static func stateFolder() throws -> String {
        let folder = NSTemporaryDirectory() + "bg-pages-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return folder
    }

    /// Counts the bells the pane rings from now on, through tmux's alert-bell hook.
    static func countBells(_ tmux: TmuxSession) throws -> String {
        let file = tmux.socket + ".bells"
        try tmux.tmux(["set-option", "-g", "monitor-bell", "on"])
        try tmux.tmux(["set-option", "-g", "bell-action", "any"])
        try tmux.tmux(["set-hook", "-g", "alert-bell", "run-shell \"echo bell >> '\(file)'\""])
        return file
    }

    static func bells(_ file: String) -> Int {
        ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    @Test func aPageWrittenByAnotherProcessShowsRingsAndIsAcknowledgedWithA() async throws {
        try await MotoHarness.withServer { server in
            try await DemoSeed.apply(client: server.client(), region: "us-east-1")
            let folder = try Self.stateFolder()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let statePath = folder + "/state.db"
            let env = server.environment().merging(ConsoleTests.terminalEnvironment()) { _, b in b }
            let tmux = try TmuxSession(
                width: 80, height: 24, command: "\(BreakglassBinary.path) console --interval 1 --state '\(statePath)'", environment: env)
            try tmux.waitFor("prod-payments-latency-p99")
            let bellFile = try Self.countBells(tmux)
            defer { try? FileManager.default.removeItem(atPath: bellFile) }

            // The test plays the watch daemon: an alarm opens an incident, which pages stage 1.
            let incidents = IncidentStore(log: AuditLog(store: try Store.open(path: statePath)))
            let config = try ConfigLoader.parse(Self.config, file: "breakglass.yaml")
            let alarm = Alarm(name: "prod-api", state: .alarm, reason: "Threshold Crossed", updated: Date(), region: "us-east-1", type: .metric)
            let report = try incidents.observe(region: "us-east-1", alarms: [alarm], config: config, actor: AuditActor(user: "watch"), now: Date())
            let id = try #require(report.opened.first?.incident.id)

            var screen = try tmux.waitFor("PAGE  incident \(id)", timeout: 5)
            let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count > 2 && lines[2].hasPrefix(" PAGE  incident \(id) · stage 1 · Primary on-call · prod-api in ALARM (severity 1)"), "\(screen)")
            #expect(lines.prefix(24).allSatisfy { TerminalText.width(String($0)) <= 80 })
            #expect(screen.contains(" a acknowledge  Enter open  Esc dismiss"), "the footer leads with the page's key:\n\(screen)")
            try tmux.waitUntil(timeout: 5, what: "a bell") { _ in Self.bells(bellFile) >= 1 }

            // a acknowledges off the main loop, as this OS user, with no configuration file at all.
            try tmux.sendKeys("a")
            screen = try tmux.waitFor("incident \(id) acknowledged by \(AuditActor.current().user)", timeout: 10)
            #expect(try incidents.incident(id)?.state == "acknowledged")
            // Its notice (written in the same transaction) comes back through the poll without a bell.
            try await Task.sleep(for: .seconds(2))
            #expect(Self.bells(bellFile) == 1, "only the page rings")
            try tmux.sendKeys("Escape")
            try tmux.waitUntil(what: "the banner gone") { !$0.contains("acknowledged by") }
            try tmux.sendKeys("q")
            #expect(try tmux.waitForExit() == 0)
        }
    }

    @Test func aStateFileThatCannotBeOpenedLeavesTheAlarmsAndSaysWhy() async throws {
        try await MotoHarness.withServer { server in
            try await DemoSeed.apply(client: server.client(), region: "us-east-1")
            let folder = try Self.stateFolder()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder)
            let env = server.environment().merging(ConsoleTests.terminalEnvironment()) { _, b in b }
            let tmux = try TmuxSession(
                width: 80, height: 24, command: "\(BreakglassBinary.path) console --interval 1 --state '\(folder)/state.db'", environment: env)
            let screen = try tmux.waitFor("prod-payments-latency-p99")
            let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count > 2 && lines[2].hasPrefix(" pages off: "), "\(screen)")
            #expect(lines[1].contains("pages off"), "the tabs row says so too")
            try tmux.sendKeys("Escape")
            try tmux.waitUntil(what: "the banner dismissed") { !$0.contains(" pages off: ") && $0.contains("pages off") }
            try tmux.sendKeys("q")
            #expect(try tmux.waitForExit() == 0)
        }
    }
}
