import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// The console's journeys, end to end: the real binary in tmux against moto, read from the screen
/// as the person at it would.
@Suite(.serialized, .enabled(if: TmuxSession.isAvailable, "needs tmux (make test installs it)"))
struct ConsoleJourneyTests {
    /// Every line of `screen` fits `width` columns, and nothing a terminal would act on leaked.
    static func fits(_ screen: String, width: Int) -> Bool {
        screen.split(separator: "\n", omittingEmptySubsequences: false).allSatisfy { TerminalText.width(String($0)) <= width }
            && !screen.contains("\u{1B}")
    }

    @Test func theConsoleSurvivesResizesAndATooSmallTerminal() async throws {
        try await MotoHarness.withServer { server in
            try await DemoSeed.apply(client: server.client(), region: "us-east-1")
            try Self.resizes(server.environment().merging(ConsoleTests.terminalEnvironment()) { _, b in b })
        }
    }

    /// Synchronous, so the compiler's sendability pass stays out of the many closures.
    static func resizes(_ env: [String: String]) throws {
        do {
            let tmux = try TmuxSession(width: 80, height: 24, command: "\(BreakglassBinary.path) console --interval 1", environment: env)
            var screen = try tmux.waitFor("prod-payments-latency-p99")
            #expect(fits(screen, width: 80))

            // Move the selection, then shrink below 80x24 and grow back: the selection and the
            // screen survive, and while too small only q (and redraw) do anything.
            try tmux.sendKeys("j", "j")
            let moved = try tmux.waitUntil(what: "the selection on the third alarm") { s in
                let rows = s.split(separator: "\n").map(String.init)
                guard let header = rows.firstIndex(where: { $0.contains("STATE  NAME") }) else { return false }
                return rows.count > header + 3 && rows[header + 3].hasPrefix(">")
            }
            let selectedLine = moved.split(separator: "\n").first { $0.hasPrefix(">") }.map { String($0.dropFirst(9).prefix(20)) } ?? ""
            #expect(!selectedLine.isEmpty)
            try tmux.resize(width: 70, height: 20)
            screen = try tmux.waitFor("too small")
            #expect(screen.contains("need 80×24, have 70×20"))
            try tmux.sendKeys("2", "?", ":", "Tab")
            try tmux.resize(width: 80, height: 24)
            screen = try tmux.waitUntil(what: "the alarms back") { !$0.contains("too small") && $0.contains("prod-payments-latency-p99") }
            #expect(fits(screen, width: 80))
            #expect(screen.split(separator: "\n").contains { $0.hasPrefix(">") && $0.contains(selectedLine) }, "the same alarm is selected:\n\(screen)")
            #expect(!screen.contains("Help — Esc closes"), "keys pressed while too small did nothing")

            // Help open while the terminal grows and shrinks stays a box inside the screen.
            try tmux.sendKeys("?")
            try tmux.waitFor("Help — Esc closes")
            for (w, h) in [(120, 40), (81, 25), (200, 50), (80, 24)] {
                try tmux.resize(width: w, height: h)
                screen = try tmux.waitUntil(what: "help at \(w)x\(h)") { s in
                    s.contains("Help — Esc closes") && s.split(separator: "\n", omittingEmptySubsequences: false).count >= h
                }
                #expect(fits(screen, width: w), "\(w)x\(h):\n\(screen)")
            }
            try tmux.sendKeys("Escape")
            try tmux.waitUntil(what: "help closed") { !$0.contains("Help — Esc closes") }

            // Every screen draws at the smallest size and at a large one.
            for key in ["2", "3", "4", "5", "1"] {
                try tmux.sendKeys(key)
                for (w, h) in [(80, 24), (132, 43)] {
                    try tmux.resize(width: w, height: h)
                    screen = try tmux.waitUntil(what: "screen \(key) at \(w)x\(h)") { s in
                        s.split(separator: "\n", omittingEmptySubsequences: false).first?.contains("UTC") == true
                            && TerminalText.width(String(s.split(separator: "\n").first ?? "")) > w - 3
                    }
                    #expect(fits(screen, width: w), "screen \(key) at \(w)x\(h):\n\(screen)")
                }
            }
            try tmux.resize(width: 40, height: 10)
            try tmux.waitFor("too small")
            try tmux.sendKeys("q")
            #expect(try tmux.waitForExit() == 0)
        }
    }

    @Test(arguments: [
        ("console: { guided: true }\n", [String]()),
        ("contacts:\n  cofounder: { name: Backup, audience: backup }\n", ["--as", "cofounder"]),
        ("contacts:\n  primary: { name: Primary }\n", ["--guided"]),
    ])
    func guidedModeFromTheConfigurationTheContactOrTheFlag(_ config: String, _ flags: [String]) async throws {
        try await MotoHarness.withServer { server in
            let folder = NSTemporaryDirectory() + "bg-guided-mode-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try config.write(toFile: folder + "/breakglass.yaml", atomically: true, encoding: .utf8)
            let env = server.environment().merging(ConsoleTests.terminalEnvironment()) { _, b in b }
            let command = ([BreakglassBinary.path, "console", "--config", folder + "/breakglass.yaml", "--state", folder + "/state.db"] + flags).joined(separator: " ")
            let tmux = try TmuxSession(width: 80, height: 24, command: command, environment: env)
            let screen = try tmux.waitFor("breakglass · guided", timeout: 20)
            #expect(!screen.contains("2 Incidents"), "no tabs in guided mode:\n\(screen)")
            try tmux.sendKeys("q")
            #expect(try tmux.waitForExit() == 0)
        }
    }

    /// The access screen finds a role's MFA device in the profile `--profile` names, as
    /// `breakglass access request --profile` does; without it, in the default profile.
    @Test(arguments: [([String](), "default-person"), (["--profile", "ops"], "ops-person")])
    func theAccessScreensMFADeviceComesFromTheProfile(_ flags: [String], _ device: String) async throws {
        try await MotoHarness.withServer { server in
            let folder = NSTemporaryDirectory() + "bg-console-profile-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try """
                access:
                  criteria: [A customer-facing alarm is in ALARM, The normal deploy or access path cannot fix it]
                  roles:
                    app-break-glass: { arn: "arn:aws:iam::111122223333:role/app-break-glass", mfa: true, max: 30m }

                """.write(toFile: folder + "/breakglass.yaml", atomically: true, encoding: .utf8)
            try """
                [default]
                region = us-east-1
                mfa_serial = arn:aws:iam::111122223333:mfa/default-person
                [profile ops]
                region = us-east-1
                mfa_serial = arn:aws:iam::111122223333:mfa/ops-person

                """.write(toFile: folder + "/aws-config", atomically: true, encoding: .utf8)
            try """
                [default]
                aws_access_key_id = AKIADEFAULTEXAMPLE
                aws_secret_access_key = default-secret
                [ops]
                aws_access_key_id = AKIAOPSEXAMPLE
                aws_secret_access_key = ops-secret

                """.write(toFile: folder + "/aws-credentials", atomically: true, encoding: .utf8)
            var env = ConsoleTests.terminalEnvironment()
            env["AWS_ENDPOINT_URL"] = server.environment()["AWS_ENDPOINT_URL"]
            env["AWS_CONFIG_FILE"] = folder + "/aws-config"
            env["AWS_SHARED_CREDENTIALS_FILE"] = folder + "/aws-credentials"
            let command = ([BreakglassBinary.path, "console", "--config", folder + "/breakglass.yaml", "--state", folder + "/state.db"] + flags)
                .joined(separator: " ")
            try Self.mfaDevice(command: command, env: env, device: device)
        }
    }

    /// Synchronous, so the compiler's sendability pass stays out of the many closures.
    static func mfaDevice(command: String, env: [String: String], device: String) throws {
        let tmux = try TmuxSession(width: 100, height: 30, command: command, environment: env)
        try tmux.waitFor(" 4 Access", timeout: 20)
        try tmux.sendKeys("4")
        try tmux.waitFor("Break-glass access: pick a role")
        try tmux.sendKeys("Enter")
        try tmux.waitFor("[ ] A customer-facing alarm is in ALARM")
        try tmux.sendKeys("y")
        try tmux.sendKeys("Space")
        try tmux.waitFor("2 of 2 confirmed")
        try tmux.sendKeys("Enter")
        try tmux.waitFor("Why do you need it?")
        try tmux.sendKeys("-l", "checking the profile")
        try tmux.sendKeys("Enter")
        try tmux.waitFor("How long?")
        try tmux.sendKeys("Enter")
        let screen = try tmux.waitFor("MFA code from arn:aws:iam::")
        #expect(screen.contains("MFA code from arn:aws:iam::111122223333:mfa/\(device)"), "\(screen)")
        try tmux.sendKeys("Escape", "Escape", "Escape", "Escape", "Escape")
        try tmux.sendKeys("q")
        #expect(try tmux.waitForExit() == 0)
    }

    @Test func anUnknownContactIsAClearError() async throws {
        let folder = NSTemporaryDirectory() + "bg-as-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "contacts:\n  primary: { name: Primary }\n".write(toFile: folder + "/breakglass.yaml", atomically: true, encoding: .utf8)
        let result = try BreakglassBinary.run(
            ["console", "--as", "cofoundr", "--config", folder + "/breakglass.yaml"],
            environment: ConsoleTests.terminalEnvironment().merging(["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "us-east-1"]) { _, b in b })
        #expect(result.status == 2)
        #expect(result.stderr.contains("--as cofoundr: no such contact; the contacts are primary"), "\(result.stderr)")
    }
}
