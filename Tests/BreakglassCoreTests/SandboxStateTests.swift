import BreakglassAWS
import BreakglassCore
import Foundation
import Testing

/// The sandbox's pure parts: conditions, the profile it writes into the AWS config file, and the
/// configuration `--sandbox` uses.
@Suite("Sandbox state")
struct SandboxStateTests {
    @Test(arguments: [
        (ScenarioCondition.Comparison.below(10), "9", nil, true), (.below(10), "10", nil, false), (.below(10), nil, nil, false),
        (.above(100), "320", nil, true), (.above(100), "100", nil, false), (.atLeast(8), "8", nil, true), (.atMost(2), "3", nil, false),
        (.equals("OK"), "OK", nil, true), (.equals("OK"), "ALARM", nil, false), (.equals("0"), "0.0", nil, true), (.equals("none"), nil, nil, true),
        (.notEquals("prod-aurora-1"), "prod-aurora-2", nil, true), (.notEquals("x"), nil, nil, true),
        (.changed, "dep-2", "dep-1", true), (.changed, "dep-1", "dep-1", false), (.changed, nil, "5", true),
    ] as [(ScenarioCondition.Comparison, String?, String?, Bool)])
    func conditionsCompareAsWritten(_ comparison: ScenarioCondition.Comparison, _ value: String?, _ baseline: String?, _ expected: Bool) {
        let condition = ScenarioCondition(signal: .queueDepth, of: "q", comparison)
        #expect(condition.holds(value, baseline: baseline) == expected, "\(condition) with \(value ?? "nil")")
    }

    @Test func theProfileIsWrittenBesideOthersAndRemovedAlone() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bg-profile-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/.aws/config"
        try FileManager.default.createDirectory(atPath: dir + "/.aws", withIntermediateDirectories: true)
        let mine = "[default]\nregion = eu-west-1\n\n[profile prod]\nrole_arn = arn:aws:iam::1:role/x\n"
        try mine.write(toFile: path, atomically: true, encoding: .utf8)
        try SandboxProfile.install(endpoint: "http://127.0.0.1:5000", region: "us-east-1", executable: "/bin/breakglass", path: path)
        try SandboxProfile.install(endpoint: "http://127.0.0.1:5001", region: "us-east-1", executable: "/bin/breakglass", path: path)
        let written = try String(contentsOfFile: path, encoding: .utf8)
        #expect(written.hasPrefix(mine))
        #expect(written.components(separatedBy: "[profile breakglass-sandbox]").count == 2, "installed once, replaced the second time:\n\(written)")
        #expect(written.contains("endpoint_url = http://127.0.0.1:5001"))
        #expect(written.contains("credential_process = /bin/breakglass sandbox credentials"))
        #expect(!written.contains("aws_secret_access_key"), "no key in the file")
        #expect(try SandboxProfile.uninstall(path: path))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == mine)
        #expect(try !SandboxProfile.uninstall(path: path), "a second removal changes nothing")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode != nil)
    }

    @Test func aNewConfigFileIsPrivate() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bg-profile-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try SandboxProfile.install(endpoint: "http://127.0.0.1:5000", region: "us-east-1", executable: "/bin/breakglass", path: dir + "/.aws/config")
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/.aws/config")[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func theSandboxConfigurationLoadsWithItsRolesAndPaging() throws {
        let scenario = Scenario(
            id: "s", title: "t", runbooks: ["pause-workers", "not-shipped"],
            resources: {
                var r = ScenarioResources()
                r.users = [.init(name: "oncall")]
                r.roles = [.init(name: "app-break-glass", trust: ["oncall"], mfa: true), .init(name: "db-break-glass", trust: ["oncall"], mfa: false)]
                return r
            }())
        let seed = SandboxSeed(account: "123456789012", operatorName: "oncall", roles: ["app-break-glass": "arn:aws:iam::123456789012:role/app-break-glass"])
        let record = SandboxRecord(
            scenario: "s", scenarioFile: "/x/scenarios/s.yaml", title: "t", region: "us-east-1", supervisorPID: 1, motoPID: 2, port: 5000, motoLog: "",
            adminKeyID: "AKIA", adminSecret: "secret", adminARN: "arn", seed: seed, started: Date())
        let text = SandboxConfig.yaml(
            record: record, scenario: scenario, runbooks: nil, paging: SandboxConfig.paging(runbooks: scenario.runbooks, knownRunbooks: ["pause-workers"]))
        let config = try ConfigLoader.parse(text, file: "sandbox.yaml")
        #expect(config.aws.regions == ["us-east-1"])
        #expect(config.role("app-break-glass")?.arn == "arn:aws:iam::123456789012:role/app-break-glass")
        #expect(config.role("app-break-glass")?.mfa == true)
        #expect(config.role("db-break-glass")?.arn == "arn:aws:iam::123456789012:role/db-break-glass")
        #expect(!text.contains("secret"), "the keys stay out of the configuration")
        #expect(text.contains("runbooks: [pause-workers]"), "only runbooks that exist are suggested:\n\(text)")
    }

    @Test func theRecordPointsAClientAtTheSandboxAsTheOperator() {
        let seed = SandboxSeed(account: "1", operatorName: "oncall", operatorKeyID: "AKIAOP", operatorSecret: "opsecret")
        let record = SandboxRecord(
            scenario: "s", scenarioFile: "f", title: "t", region: "eu-west-1", supervisorPID: 1, motoPID: 2, port: 5123, motoLog: "",
            adminKeyID: "AKIAADMIN", adminSecret: "adminsecret", adminARN: "arn", seed: seed, started: Date())
        let env = record.environment().variables
        #expect(env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5123")
        #expect(env["AWS_ACCESS_KEY_ID"] == "AKIAOP")
        #expect(env["AWS_REGION"] == "eu-west-1")
        #expect(record.environment(credentials: record.adminCredentials).variables["AWS_ACCESS_KEY_ID"] == "AKIAADMIN")
    }
}
