import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// Commands that talk to AWS read breakglass.yaml: its regions and profile apply unless the command
/// line says otherwise, and a broken file stops them with file:line:column, exit 2.
@Suite(.serialized) struct ConfigWiringTests {
    @Test func theConfigsRegionsAndProfileApplyAndTheCommandLineWins() async throws {
        try await MotoHarness.withServer { server in
            let client = server.client()
            try await DemoSeed.apply([DemoSeed.SeedAlarm(name: "east-one", namespace: "AWS/EC2", metric: "CPUUtilization", threshold: 1, state: .alarm, reason: "r")], client: client, region: "us-east-1")
            try await DemoSeed.apply([DemoSeed.SeedAlarm(name: "west-one", namespace: "AWS/EC2", metric: "CPUUtilization", threshold: 1, state: .ok, reason: "r")], client: client, region: "eu-west-1")
            let home = try TemporaryHome(config: """
                [profile oncall]
                aws_access_key_id = \(server.adminCredentials.accessKeyID)
                aws_secret_access_key = \(server.adminCredentials.secretAccessKey)
                """)
            let config = home.path + "/breakglass.yaml"
            try """
                aws: { profile: oncall, regions: [us-east-1, eu-west-1] }
                """.write(toFile: config, atomically: true, encoding: .utf8)
            // No keys in the environment: the config's profile must supply them.
            let env = home.variables(["AWS_ENDPOINT_URL": server.endpointURL, "NO_PROXY": "127.0.0.1,localhost"])
            let both = try BreakglassBinary.run(["alarms", "--output", "json", "--config", config], environment: env)
            #expect(both.status == 0, "\(both.stderr)")
            let regions = Set(try JSON.decode(both.stdout).array?.compactMap { $0["region"]?.string } ?? [])
            #expect(regions == ["us-east-1", "eu-west-1"])

            let one = try BreakglassBinary.run(["alarms", "--output", "json", "--config", config, "--region", "eu-west-1"], environment: env)
            #expect(try JSON.decode(one.stdout).array?.compactMap { $0["name"]?.string } == ["west-one"])

            // Found through $BREAKGLASS_CONFIG too.
            var viaEnv = env
            viaEnv["BREAKGLASS_CONFIG"] = config
            let found = try BreakglassBinary.run(["alarms", "--output", "json"], environment: viaEnv)
            #expect(found.status == 0, "\(found.stderr)")
            #expect(try JSON.decode(found.stdout).array?.count == 2)
        }
    }

    @Test func aBrokenConfigStopsTheCommandWithItsLocation() throws {
        let home = try TemporaryHome()
        let config = home.path + "/breakglass.yaml"
        try """
            aws:
              profile: oncall
              regoins: [us-east-1]
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let r = try BreakglassBinary.run(["alarms", "--config", config], environment: home.variables())
        #expect(r.status == 2)
        #expect(r.stderr.contains("breakglass.yaml:3:3: aws: unknown key `regoins`; did you mean `regions`?"), "\(r.stderr)")
        let missing = try BreakglassBinary.run(["aws", "call", "sts", "GetCallerIdentity", "--config", home.path + "/nope.yaml"], environment: home.variables())
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nope.yaml"), "\(missing.stderr)")
    }
}
