import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// `make demo` as a newcomer meets it: the command the Makefile's demo target runs, in tmux at
/// 80×24 on a fresh home, shows an escalating incident within a minute; `q` leaves no moto_server
/// behind; a second run works too.
@Suite(.serialized, .enabled(if: TmuxSession.isAvailable, "needs tmux (make test installs it)"))
struct DemoJourneyTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// What `make demo` runs once the build is done, read from the Makefile so this test follows it.
    static func demoCommand() throws -> String {
        let makefile = try String(contentsOfFile: repository + "/Makefile", encoding: .utf8)
        let lines = makefile.split(separator: "\n").map(String.init)
        guard let target = lines.firstIndex(where: { $0.hasPrefix("demo:") }), target + 1 < lines.count else {
            throw Failure("the Makefile has no demo target")
        }
        let recipe = lines[target + 1].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "@"))
        guard recipe.contains(".build/debug/breakglass demo") else { throw Failure("the demo target does not run breakglass demo: \(recipe)") }
        return recipe.replacingOccurrences(of: ".build/debug/breakglass", with: BreakglassBinary.path)
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// The moto_server processes listening on `port` (by their command lines).
    static func motoProcesses(port: String) -> [Int32] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
        return pids.filter { pid in
            guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let args = raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return args.contains { $0.hasSuffix("moto_server") } && args.contains(port) && DetachedProcess.isAlive(pid)
        }
    }

    /// The ports of every moto_server the demo started under `folder` (`moto-PORT.log`).
    static func motoLogPorts(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).compactMap { name in
            guard name.hasPrefix("moto-"), name.hasSuffix(".log") else { return nil }
            return String(name.dropFirst(5).dropLast(4))
        }
    }

    @Test func makeDemoShowsAnEscalatingIncidentAndQuitsClean() throws {
        let home = try TemporaryHome()
        var env = ConsoleTests.terminalEnvironment()
        env["HOME"] = home.path
        env["XDG_STATE_HOME"] = home.path + "/state"
        env["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        // In the repository, as make runs it (through sh: the session starts the command with env).
        let script = "cd '\(Self.repository)' && " + (try Self.demoCommand())
        let command = "sh -c \"\(script)\""
        for run in 1...2 {
            let tmux = try TmuxSession(width: 80, height: 24, command: command, environment: env)
            // The tour comes first; Esc ends it.
            _ = try tmux.waitFor("Tour", timeout: 60)
            try tmux.sendKeys("Escape")
            let screen = try tmux.waitUntil(timeout: 120, what: "a page of the escalating incident (run \(run))") { s in
                s.contains("PAGE") && s.contains("stage 1") && s.contains("prod-db-cpu") && s.contains("2 Incidents (1)")
            }
            #expect(screen.contains("oncall @ sandbox 127.0.0.1:"), "the console runs as the scenario's on-call user:\n\(screen)")
            // The top bar shows the sandbox's gateway; moto_server's own port is in its log's name.
            let ports = Self.motoLogPorts(home.path + "/state/breakglass/demo")
            #expect(!ports.isEmpty, "no moto-PORT.log under the demo's state")
            #expect(ports.contains { !Self.motoProcesses(port: $0).isEmpty }, "no moto_server runs on \(ports) while the demo is open")
            try tmux.sendKeys("q")
            let status = try tmux.waitForExit(timeout: 20)
            #expect(status == 0)
            for port in ports { #expect(Self.motoProcesses(port: port).isEmpty, "q left moto_server on port \(port) behind") }
        }
    }
}
