import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// The real `breakglass console` in tmux, read from the screen as a person would see it.
@Suite(.serialized, .enabled(if: TmuxSession.isAvailable, "needs tmux (make test installs it)"))
struct ConsoleTests {
    static func terminalEnvironment(term: String = "xterm-256color") -> [String: String] {
        ["TERM": term, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": "/nonexistent"]
    }

    @Test(arguments: ["xterm-256color", "screen", "tmux-256color", "linux"])
    func showsLiveAlarmsAt80x24AndQuits(term: String) async throws {
        try await MotoHarness.withServer { server in
            let client = server.client()
            try await DemoSeed.apply(client: client, region: "us-east-1")
            let env = server.environment().merging(Self.terminalEnvironment(term: term)) { _, b in b }
            let tmux = try TmuxSession(width: 80, height: 24, command: "\(BreakglassBinary.path) console --interval 1", environment: env)
            var screen = try tmux.waitFor("prod-payments-latency-p99")
            let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.prefix(24).allSatisfy { TerminalText.width(String($0)) <= 80 })
            #expect(screen.contains("us-east-1"))
            #expect(screen.contains(server.adminCredentials.accessKeyID) || screen.contains("127.0.0.1"), "top bar names who we are:\n\(screen)")
            // ALARM rows come before INSUFFICIENT_DATA rows, which come before OK rows.
            let order = ["prod-db-cpu", "prod-db-deadlocks", "prod-web-status-check"].compactMap { name in lines.firstIndex { $0.contains(name) } }
            #expect(order.count == 3 && order == order.sorted(), "triage order:\n\(screen)")
            #expect(!screen.contains("\u{1B}"))

            // Another process changes an alarm: the background refresh shows it without a key press.
            try await DemoSeed.setState("prod-web-status-check", .alarm, reason: "Threshold Crossed: instance i-0abc failed", client: client, region: "us-east-1")
            screen = try tmux.waitUntil(what: "prod-web-status-check in ALARM") { s in
                s.split(separator: "\n").contains { $0.contains("prod-web-status-check") && $0.contains("ALARM") }
            }
            try tmux.sendKeys("j")
            try tmux.sendKeys("k")
            try tmux.sendKeys("q")
            #expect(try tmux.waitForExit() == 0)
        }
    }

    @Test func aTooSmallTerminalSaysSoAndStillQuits() async throws {
        try await MotoHarness.withServer { server in
            let env = server.environment().merging(Self.terminalEnvironment()) { _, b in b }
            // A bare `breakglass` opens the console.
            let tmux = try TmuxSession(width: 80, height: 24, command: BreakglassBinary.path, environment: env)
            try tmux.waitFor("breakglass")
            try tmux.resize(width: 60, height: 20)
            try tmux.waitFor("too small")
            try tmux.resize(width: 100, height: 30)
            try tmux.waitUntil(what: "the console back after growing") { !$0.contains("too small") && $0.contains("breakglass") }
            try tmux.resize(width: 50, height: 10)
            try tmux.waitFor("too small")
            try tmux.sendKeys("q")
            #expect(try tmux.waitForExit() == 0)
        }
    }

    @Test func aDumbTerminalIsRefusedWithWhatIsNeeded() throws {
        var env = Self.terminalEnvironment(term: "dumb")
        env.merge(["AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "B", "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"]) { _, b in b }
        let tmux = try TmuxSession(command: "\(BreakglassBinary.path) console", environment: env)
        #expect(try tmux.waitForExit() == 2)
        let screen = try tmux.capture()
        #expect(screen.contains("TERM"), "\(screen)")
    }

    @Test func aNonUTF8LocaleIsRefusedWithWhatToSet() throws {
        var env = Self.terminalEnvironment()
        env.merge(["LANG": "C", "LC_ALL": "C", "AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "B", "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"]) { _, b in b }
        let tmux = try TmuxSession(command: "\(BreakglassBinary.path) console", environment: env)
        #expect(try tmux.waitForExit() == 2)
        let screen = try tmux.capture()
        #expect(screen.contains("UTF-8"), "\(screen)")
    }

    @Test func notATerminalIsRefused() throws {
        let result = try BreakglassBinary.run(["console"], environment: ["TERM": "xterm", "LANG": "C.UTF-8", "AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "B", "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("terminal"))
    }

    @Test func anUnreachableEndpointNeverFreezesTheKeyboard() throws {
        // Requests hang for the whole timeout; the console must still quit at once on q.
        let listener = try StalledListener()
        var env = Self.terminalEnvironment()
        env.merge(["AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "B", "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:\(listener.port)", "BREAKGLASS_TIMEOUT": "30"]) { _, b in b }
        let tmux = try TmuxSession(command: "\(BreakglassBinary.path) console", environment: env)
        try tmux.waitFor("breakglass")
        let start = Date()
        try tmux.sendKeys("q")
        #expect(try tmux.waitForExit(timeout: 5) == 0)
        #expect(Date().timeIntervalSince(start) < 3)
        _ = listener
    }

    @Test func theDemoShowsTheIncidentAndLeavesNoServerBehind() throws {
        let state = NSTemporaryDirectory() + "bg-demo-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        var env = Self.terminalEnvironment()
        env["XDG_STATE_HOME"] = state
        env["PATH"] = ProcessInfo.processInfo.environment["PATH"]
        let tmux = try TmuxSession(width: 100, height: 30, command: "\(BreakglassBinary.path) demo --interval 1", environment: env)
        let screen = try tmux.waitFor("prod-orders-queue-depth", timeout: 60)
        #expect(screen.contains("ALARM"))
        #expect(screen.contains("us-east-1"), "the scenario's region")
        let logs = try FileManager.default.contentsOfDirectory(atPath: state + "/breakglass/demo")
        let port = try #require(logs.compactMap { name -> Int? in
            guard name.hasPrefix("moto-"), name.hasSuffix(".log") else { return nil }
            return Int(name.dropFirst(5).dropLast(4))
        }.first)
        let attributes = try FileManager.default.attributesOfItem(atPath: state + "/breakglass")
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
        #expect(Self.listening(on: port))
        try tmux.sendKeys("q")
        #expect(try tmux.waitForExit(timeout: 15) == 0)
        #expect(!Self.listening(on: port), "moto_server must be stopped when the demo ends")
    }

    static func listening(on port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }
}
