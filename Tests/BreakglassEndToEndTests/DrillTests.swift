import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// Drills through the real binary, as a facilitator and a scripted participant would: `drill start`
/// brings the holiday-sale sandbox up with the participant's normal access denied; the participant
/// acknowledges the incident, gets break-glass access and runs pause-workers to the end (a second
/// person approves); `drill stop` restores access and takes the sandbox down; the report has the
/// milestones in order with plausible times, and the history has the drill.
@Suite struct DrillTests {
    static let scenarios = SandboxScenarioTests.scenarioFolder

    /// `drill start ...`, registering the sandbox's processes for `make test`'s cleanup.
    static func start(_ sandbox: SandboxHome, _ extra: [String] = []) async throws -> BreakglassBinary.Result {
        let r = try await sandbox.run(["drill", "start", "holiday-sale", "--scenarios", scenarios, "--deny-normal-access"] + extra, timeout: 150)
        sandbox.registerRunning()
        return r
    }

    static func json(_ r: BreakglassBinary.Result) -> AWSValue { (try? JSON.decode(r.stdout)) ?? .null }

    @Test func aScriptedParticipantCompletesADrillAndTheReportHasItsMilestonesInOrder() async throws {
        try await SandboxSlots.shared.with {
            let sandbox = try SandboxHome()
            defer { sandbox.teardown() }
            let start = try await Self.start(sandbox, ["--target", "5m"])
            try #require(start.status == 0, "drill start: \(start.stderr)")
            #expect(start.stdout.contains("drill 1 started") && start.stdout.contains("oncall's normal access is denied"), "\(start.stdout)")

            // Normal access is gone: the on-call user cannot even read the alarms.
            let denied = try await sandbox.run(["alarms", "--sandbox"])
            #expect(denied.status != 0 && denied.stderr.contains("AccessDenied"), "\(denied.stdout)\(denied.stderr)")

            // The incident opens (the sandbox's own watch daemon), and the participant acknowledges it.
            var incident: Int?
            let deadline = Date().addingTimeInterval(30)
            while incident == nil && Date() < deadline {
                incident = Self.json(try await sandbox.run(["incidents", "--sandbox", "--output", "json"]))[0]?["id"]?.int
                if incident == nil { try await Task.sleep(for: .milliseconds(500)) }
            }
            let id = try #require(incident, "no incident opened in the sandbox within 30 s")
            let ack = try await sandbox.run(["ack", String(id), "--sandbox"])
            #expect(ack.status == 0, "ack: \(ack.stderr)")

            let access = try await sandbox.run(
                ["access", "request", "app-break-glass", "--sandbox", "--runbook", "pause-workers", "--reason", "drill", "--mfa-code", "123456", "--criteria-met"],
                stdin: "")
            sandbox.registerAgent()
            try #require(access.status == 0, "access request: \(access.stderr)")
            let run = try await sandbox.runToTheEnd(
                ["runbook", "run", "pause-workers", "--sandbox", "--yes", "--no-wait", "--confirm", "orders-worker", "--output", "json"])
            #expect(run["status"]?.string == "succeeded", "\(run)")
            let recovered = try await sandbox.waitForRecovery(timeout: 60)
            #expect(recovered["recovered_at"]?.string != nil, "\(recovered)")

            let stop = try await sandbox.run(["drill", "stop"], timeout: 60)
            #expect(stop.status == 0, "drill stop: \(stop.stderr)")
            #expect(stop.stdout.contains("restored oncall's normal access"), "\(stop.stdout)")
            #expect(stop.stdout.contains("recovered in"), "\(stop.stdout)")
            #expect(SandboxRecord.read(sandbox.paths) == nil, "the sandbox record is still there after drill stop")

            let report = try await sandbox.run(["drill", "report"])
            try #require(report.status == 0, "drill report: \(report.stderr)")
            let files = report.stdout.split(separator: "\n").map(String.init).filter { $0.hasPrefix("/") }
            let markdownPath = try #require(files.first { $0.hasSuffix("report.md") })
            let htmlPath = try #require(files.first { $0.hasSuffix("report.html") })
            let markdown = try String(contentsOfFile: markdownPath, encoding: .utf8)
            let html = try String(contentsOfFile: htmlPath, encoding: .utf8)
            #expect(html.contains("<svg") && !html.contains("<script"), "the HTML report has its timeline inline")

            // The milestones, in the order they happened, each once, with plausible offsets.
            let rows = Self.milestoneRows(markdown)
            let names = rows.map(\.name)
            for expected in ["Detected", "Acknowledged", "Access granted", "Recovered"] {
                #expect(names.filter { $0 == expected }.count == 1, "\(expected) once in \(names)")
            }
            let order = ["Detected", "Acknowledged", "Access granted", "Recovered"].compactMap { n in names.firstIndex(of: n) }
            #expect(order == order.sorted(), "headline milestones out of order: \(names)")
            #expect(names.contains("Step 1 started") && names.contains { $0.hasPrefix("Step") && $0.hasSuffix("finished") }, "\(names)")
            let offsets = rows.map(\.offset)
            #expect(offsets == offsets.sorted(), "offsets go back in time: \(offsets)")
            #expect(offsets.allSatisfy { $0 >= 0 && $0 < 300 }, "implausible offsets: \(offsets)")
            #expect(markdown.contains("pause-workers"))

            // The history has it, with its time to recover under the 5-minute target.
            let history = Self.json(try await sandbox.run(["drill", "history", "--output", "json"]))
            let drills = history["drills"]?.array ?? []
            #expect(drills.count == 1, "\(history)")
            let recover = drills.first?["recover_seconds"]?.double ?? drills.first?["recover"]?.double
            #expect(recover.map { $0 > 0 && $0 < 300 } == true, "\(history)")
        }
    }

    @Test func stoppingADrillMidwayRestoresAccessAndLeavesNoServer() async throws {
        try await SandboxSlots.shared.with {
            let sandbox = try SandboxHome()
            defer { sandbox.teardown() }
            let start = try await Self.start(sandbox)
            try #require(start.status == 0, "drill start: \(start.stderr)")
            let record = try #require(sandbox.record)

            let stop = try await sandbox.run(["drill", "stop"], timeout: 60)
            #expect(stop.status == 0, "drill stop: \(stop.stderr)")
            #expect(stop.stdout.contains("restored oncall's normal access") && stop.stdout.contains("not recovered"), "\(stop.stdout)")
            #expect(await SandboxHome.gone(record.motoPID), "moto_server \(record.motoPID) still runs")
            #expect(await SandboxHome.gone(record.supervisorPID), "the supervisor \(record.supervisorPID) still runs")
            #expect(!sandbox.awsConfig.contains("breakglass-sandbox"), "the profile is still there")

            // The kept evidence shows the restore: DeleteUserPolicy answered, after the denial.
            let archive = try Store.open(path: sandbox.state + "/breakglass/drills/1/sandbox.db")
            defer { archive.close() }
            let entries = try AuditLog(store: archive).entries()
            let intents = entries.filter { $0.draft.kind == "aws.intent" && $0.draft.parameters?.contains("breakglass-drill-deny-normal-access") == true }
            #expect(intents.compactMap(\.draft.operation) == ["PutUserPolicy", "DeleteUserPolicy"], "\(intents.map(\.draft))")
            for intent in intents {
                let outcome = entries.first { $0.draft.kind == "aws.outcome" && $0.draft.intentSeq == intent.seq }
                #expect(outcome?.draft.outcome == "succeeded", "\(intent.draft.operation ?? ""): \(String(describing: outcome?.draft))")
                #expect(intent.draft.context.drill == "1", "the drill's own writes carry its id")
            }

            // A second stop says so; a report of the stopped drill says it did not recover.
            let again = try await sandbox.run(["drill", "stop"])
            #expect(again.status != 0 && again.stderr.contains("no drill is running"), "\(again.stderr)")
            let report = try await sandbox.run(["drill", "report", "1"])
            #expect(report.status == 0 && report.stdout.contains("not recovered"), "\(report.stdout)\(report.stderr)")
        }
    }

    @Test func theFacilitatorWatchesLiveAt80x24AndANoteReachesTheReport() async throws {
        try await SandboxSlots.shared.with {
            let sandbox = try SandboxHome()
            defer { sandbox.teardown() }
            let start = try await Self.start(sandbox)
            try #require(start.status == 0, "drill start: \(start.stderr)")
            var env = sandbox.environment
            env["TERM"] = "xterm-256color"
            env["LANG"] = "C.UTF-8"
            // tmux is waited on with blocking calls: on a thread of its own, never the cooperative pool.
            try await Self.offPool { [env] in try Self.watchAndNote(environment: env) }
            // Leaving the view does not stop the drill.
            let stop = try await sandbox.run(["drill", "stop"], timeout: 60)
            #expect(stop.status == 0 && stop.stdout.contains("drill 1 stopped"), "\(stop.stdout)\(stop.stderr)")
            let report = try await sandbox.run(["drill", "report"])
            let path = try #require(report.stdout.split(separator: "\n").map(String.init).first { $0.hasSuffix("report.md") })
            #expect(try String(contentsOfFile: path, encoding: .utf8).contains("paged the wrong team first"))
        }
    }

    /// `drill watch` at 80×24 in tmux: the detected milestone shows, a note is typed with `n`, `q` leaves.
    static func watchAndNote(environment env: [String: String]) throws {
        let tmux = try TmuxSession(width: 80, height: 24, command: "\(BreakglassBinary.path) drill watch", environment: env)
        // The first alarm goes red within seconds; the view shows it as detected, with its time.
        let screen = try tmux.waitUntil(timeout: 30, what: "the detected milestone") { s in
            s.contains("drill 1") && s.contains("holiday-sale") && s.range(of: #"Detected\s+\+00:\d\d"#, options: .regularExpression) != nil
        }
        #expect(screen.contains("left of the 15:00 target"), "\(screen)")
        #expect(screen.contains("Acknowledged") && screen.contains("pending"), "\(screen)")
        try tmux.sendKeys("n")
        try tmux.sendKeys("-l", "paged the wrong team first")
        try tmux.sendKeys("Enter")
        _ = try tmux.waitFor("NOTE paged the wrong team first", timeout: 15)
        try tmux.sendKeys("q")
        #expect(try tmux.waitForExit(timeout: 10) == 0)
    }

    /// Runs blocking work on a thread of its own.
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    /// The milestone table's rows: name and offset in seconds.
    static func milestoneRows(_ markdown: String) -> [(name: String, offset: Double)] {
        guard let section = markdown.range(of: "## Milestones") else { return [] }
        let rest = markdown[section.upperBound...]
        let end = rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex
        return rest[..<end].split(separator: "\n").compactMap { line in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count > 5, Int(cells[1]) != nil else { return nil }
            return (cells[2], seconds(cells[4]))
        }
    }

    /// "+01:02" or "+1:02:03" → seconds.
    static func seconds(_ text: String) -> Double {
        let parts = text.trimmingCharacters(in: CharacterSet(charactersIn: "+")).split(separator: ":").compactMap { Double($0) }
        return parts.reduce(0) { $0 * 60 + $1 }
    }
}
