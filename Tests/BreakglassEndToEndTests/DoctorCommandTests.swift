import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// `breakglass doctor`, the real binary, on configurations and state folders in a throwaway home.
struct DoctorCommandTests {
    static let goodConfig = """
        aws: { regions: [us-east-1] }
        contacts:
          primary: { name: "Primary", sns: "arn:aws:sns:us-east-1:111122223333:oncall" }
        escalation:
          default:
            stages:
              - { notify: [primary], wait: 5m }
        response:
          - { match: { alarm: "prod-*" }, severity: 1, escalation: default }
        access:
          criteria: [A customer-facing alarm is in ALARM]
          roles:
            db: { arn: "arn:aws:iam::111122223333:role/db", mfa_serial: "arn:aws:iam::111122223333:mfa/ann" }
        """

    /// A home with a config file and a private state folder, and an environment with static keys.
    static func setUp(config: String, stateMode: Int16 = 0o700) throws -> (TemporaryHome, configPath: String, statePath: String, env: [String: String]) {
        let home = try TemporaryHome()
        let configPath = home.path + "/breakglass.yaml"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let state = home.path + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: stateMode], ofItemAtPath: state)
        let env = home.variables([
            "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI-doctor-secret",
            "TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        ])
        return (home, configPath, state + "/state.db", env)
    }

    /// Runs doctor from `folder`, so only the runbooks the test puts there are found.
    static func doctor(_ args: [String], in folder: String, environment: [String: String]) throws -> BreakglassBinary.Result {
        try Subprocess.run("/bin/sh", ["-c", "cd \"$1\" && shift && exec \"$@\"", "sh", folder, BreakglassBinary.path, "doctor"] + args, environment: environment)
    }

    @Test func aBrokenConfigFailsAndNamesFileLineAndColumn() throws {
        let broken = Self.goodConfig
            .replacingOccurrences(of: "wait: 5m", with: "wait: 300")
            .replacingOccurrences(of: "escalation: default }", with: "escalation: defualt }")
        let (home, configPath, statePath, env) = try Self.setUp(config: broken)
        let result = try BreakglassBinary.run(["doctor", "--config", configPath, "--state", statePath], environment: env)
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("FAIL  config") && $0.contains("\(configPath):7:36: escalation.default.stages[0].wait: expected a duration like 90s, 5m or 1h, found 300") }, "\(result.stdout)")
        #expect(lines.contains { $0.hasPrefix("FAIL  config") && $0.contains("\(configPath):9:60: response[0].escalation: unknown escalation plan `defualt`; did you mean `default`?") }, "\(result.stdout)")
        #expect(lines.last == "5 passed, 1 warning, 2 failed", "\(result.stdout)")
        _ = home
    }

    @Test func aStateFolderOthersCanEnterFailsWithChmodAdvice() throws {
        let (home, configPath, statePath, env) = try Self.setUp(config: Self.goodConfig, stateMode: 0o755)
        let folder = (statePath as NSString).deletingLastPathComponent
        let result = try BreakglassBinary.run(["doctor", "--config", configPath, "--state", statePath], environment: env)
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        let line = result.stdout.split(separator: "\n").first { $0.hasPrefix("FAIL  state folder") }
        #expect(line?.contains("\(folder) is mode 0755: group and others can get in") == true, "\(result.stdout)")
        #expect(line?.hasSuffix("Fix: chmod 700 '\(folder)'") == true, "\(result.stdout)")

        // The advice works: after it, the same check passes.
        #expect(chmod(folder, 0o700) == 0)
        let after = try BreakglassBinary.run(["doctor", "--config", configPath, "--state", statePath], environment: env)
        #expect(after.stdout.contains("PASS  state folder"), "\(after.stdout)")
        _ = home
    }

    @Test func aGoodConfigWithStaticKeysPasses() throws {
        let (home, configPath, statePath, env) = try Self.setUp(config: Self.goodConfig)
        let result = try Self.doctor(["--config", configPath, "--state", statePath], in: home.path, environment: env)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("PASS  credentials     AKIA…MPLE from environment"), "\(result.stdout)")
        #expect(result.stdout.contains("PASS  config          \(configPath): 1 contact, 1 escalation plan, 1 response rule, 1 access role"), "\(result.stdout)")
        #expect(!result.stdout.contains("FAIL"))
        #expect(!result.stdout.contains("doctor-secret") && !result.stderr.contains("doctor-secret"))

        let json = try Self.doctor(["--config", configPath, "--state", statePath, "--output", "json"], in: home.path, environment: env)
        #expect(json.status == 0)
        let items = try #require(try JSON.decode(json.stdout).array)
        let checks = items.compactMap { $0["check"]?.string }
        #expect(checks == ["config", "state folder", "state database", "terminal", "colours", "locale", "credentials", "runbooks", "role db", "contacts", "console"])
        #expect(items.allSatisfy { ["PASS", "WARN"].contains($0["status"]?.string ?? "") })
        // Standard output is a pipe here, so the size cannot be checked.
        #expect(items.first { $0["check"]?.string == "terminal" }?["status"]?.string == "WARN")
        _ = home
    }

    /// With a state database present, doctor opens it and verifies the audit chain; a tampered
    /// trail is a FAIL.
    @Test func anExistingStoreIsOpenedAndItsAuditChainVerified() throws {
        let (home, configPath, statePath, env) = try Self.setUp(config: Self.goodConfig)
        for i in 1...3 {
            #expect(try BreakglassBinary.run(["audit", "note", "n\(i)", "--state", statePath], environment: env).status == 0)
        }
        let good = try Self.doctor(["--config", configPath, "--state", statePath], in: home.path, environment: env)
        #expect(good.status == 0, "\(good.stdout)")
        #expect(good.stdout.contains("PASS  state store") && good.stdout.contains("(schema \(Store.schemaVersion), WAL mode, pages sound)"), "\(good.stdout)")
        #expect(good.stdout.contains("PASS  audit chain     intact: 3 entries, head is entry 3"), "\(good.stdout)")

        let store = try Store.open(path: statePath)
        try store.write { try $0.execute("UPDATE audit SET detail = 'n9' WHERE seq = 2") }
        store.close()
        let bad = try Self.doctor(["--config", configPath, "--state", statePath], in: home.path, environment: env)
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("FAIL  audit chain     NOT INTACT: entry 2 was edited"), "\(bad.stdout)")
        _ = home
    }

    /// Runbooks beside the config are loaded and linted; one that needs a role the config does not
    /// define is a FAIL naming file:line:column. The shipped runbooks pass with the example config.
    @Test func runbooksAreLintedAgainstTheConfig() throws {
        let (home, configPath, statePath, env) = try Self.setUp(config: Self.goodConfig)
        try FileManager.default.createDirectory(atPath: home.path + "/runbooks", withIntermediateDirectories: true)
        try """
            id: restart-web
            title: Restart the web tier
            access: web-break-glass
            steps:
              - say: Check the dashboard.
            """.write(toFile: home.path + "/runbooks/restart-web.yaml", atomically: true, encoding: .utf8)
        let r = try Self.doctor(["--config", configPath, "--state", statePath], in: home.path, environment: env)
        #expect(r.status == 1)
        let line = r.stdout.split(separator: "\n").first { $0.hasPrefix("FAIL  runbooks") }
        #expect(line?.contains("restart-web.yaml:3:9: access:") == true && line?.contains("web-break-glass") == true, "\(r.stdout)")

        let shipped = FileManager.default.currentDirectoryPath
        let example = try Self.doctor(["--config", shipped + "/docs/examples/breakglass.yaml", "--state", statePath], in: shipped, environment: env)
        #expect(example.stdout.contains("PASS  runbooks") && example.stdout.contains("all lint clean"), "\(example.stdout)")
    }

    /// `console.theme` and `console.keys` are checked as the console reads them: each problem at
    /// file:line:column and field; a good theme and rebinding pass.
    @Test func theConsolesThemeAndKeysAreChecked() throws {
        let broken = Self.goodConfig + "\nconsole:\n  theme: neon\n  keys:\n    quitt: [q]\n    help: [f13]\n"
        let (home, configPath, statePath, env) = try Self.setUp(config: broken)
        let r = try Self.doctor(["--config", configPath, "--state", statePath], in: home.path, environment: env)
        #expect(r.status == 1, "\(r.stdout)\n\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init).filter { $0.hasPrefix("FAIL  console") }
        #expect(lines.count == 3, "\(r.stdout)")
        #expect(lines.contains { $0.contains("\(configPath):15:10: console.theme:") && $0.contains("neon") }, "\(r.stdout)")
        #expect(lines.contains { $0.contains("\(configPath):17:5: console.keys.quitt: unknown action `quitt`; did you mean `quit`?") }, "\(r.stdout)")
        #expect(lines.contains { $0.contains("\(configPath):18:12: console.keys.help:") && $0.contains("f13") }, "\(r.stdout)")
        #expect(lines.allSatisfy { $0.contains("Fix: edit \(configPath) at line") }, "\(r.stdout)")

        // A theme file beside the config and a clean rebinding pass.
        try FileManager.default.createDirectory(atPath: home.path + "/themes", withIntermediateDirectories: true)
        let shipped = FileManager.default.currentDirectoryPath + "/themes/colorblind.yaml"
        try FileManager.default.copyItem(atPath: shipped, toPath: home.path + "/themes/mine.yaml")
        try (Self.goodConfig + "\nconsole:\n  theme: themes/mine.yaml\n  keys: { quit: [ctrl-q] }\n").write(toFile: configPath, atomically: true, encoding: .utf8)
        let good = try Self.doctor(["--config", configPath, "--state", statePath], in: home.path, environment: env)
        #expect(good.stdout.contains("PASS  console         theme themes/mine.yaml, 1 action rebound (quit)"), "\(good.stdout)")
        #expect(!good.stdout.contains("FAIL"), "\(good.stdout)")
    }

    @Test func withoutAConfigFileItSaysWhereItLooked() throws {
        let home = try TemporaryHome()
        let env = home.variables(["TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "x", "XDG_STATE_HOME": home.path + "/st"])
        // Run from the empty home, so no ./breakglass.yaml is found by accident.
        let result = try Subprocess.run("/bin/sh", ["-c", "cd \"$1\" && exec \"$2\" doctor", "sh", home.path, BreakglassBinary.path], environment: env)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let line = result.stdout.split(separator: "\n").first { $0.hasPrefix("WARN  config") }
        #expect(line?.contains("no configuration file; looked at BREAKGLASS_CONFIG (not set), \(home.path)/breakglass.yaml (no such file), ") == true, "\(result.stdout)")
        #expect(line?.contains("~/.config/breakglass/config.yaml (no such file)") == true, "\(result.stdout)")
        #expect(result.stdout.contains("PASS  state folder    \(home.path)/st/breakglass does not exist yet"), "\(result.stdout)")

        let missing = try BreakglassBinary.run(["doctor", "--config", home.path + "/nope.yaml"], environment: env)
        #expect(missing.status == 1)
        #expect(missing.stdout.contains("FAIL  config          \(home.path)/nope.yaml: --config names a file that does not exist"), "\(missing.stdout)")
    }
}
