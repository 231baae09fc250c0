import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// `breakglass alarms`, the real binary, against moto_server with signature and IAM checks on.
@Suite(.serialized) struct AlarmsCommandTests {
    @Test func alarmsInMotoAppearExactlyInTheJSON() async throws {
        try await MotoHarness.withServer { server in
            let client = server.client()
            try await DemoSeed.apply(client: client, region: "us-east-1")
            let west = [DemoSeed.SeedAlarm(name: "eu-api-latency", namespace: "AWS/ApplicationELB", metric: "TargetResponseTime", threshold: 1, state: .alarm, reason: "eu \u{1B}[31mred")]
            try await DemoSeed.apply(west, client: client, region: "eu-west-1")

            let result = try BreakglassBinary.run(["alarms", "--output", "json", "--region", "us-east-1", "--region", "eu-west-1"], environment: server.environment())
            #expect(result.status == 0, "\(result.stderr)")
            let listed = try JSON.decode(result.stdout)
            let items = try #require(listed.array)
            let expected = DemoSeed.alarms.map { ($0.name, $0.state.rawValue, "us-east-1", $0.reason, "metric") }
                + west.map { ($0.name, $0.state.rawValue, "eu-west-1", $0.reason, "metric") }
            #expect(items.count == expected.count)
            for (name, state, region, reason, type) in expected {
                let item = try #require(items.first { $0["name"]?.string == name }, "missing \(name)")
                #expect(item["state"]?.string == state, "\(name)")
                #expect(item["region"]?.string == region, "\(name)")
                #expect(item["reason"]?.string == reason, "\(name)")
                #expect(item["type"]?.string == type, "\(name)")
                #expect(item["updated"]?.string.flatMap(ISO8601.parse) != nil, "\(name)")
                let seed = (DemoSeed.alarms + west).first { $0.name == name }
                #expect(item["namespace"]?.string == seed?.namespace)
                #expect(item["metric"]?.string == seed?.metric)
            }
            // Triage order: every ALARM before any INSUFFICIENT_DATA before any OK.
            let ranks = items.compactMap { $0["state"]?.string.flatMap(AlarmState.init(rawValue:))?.triageRank }
            #expect(ranks == ranks.sorted())

            let onlyAlarm = try BreakglassBinary.run(["alarms", "--output", "json", "--state", "ALARM"], environment: server.environment())
            let names = Set(try JSON.decode(onlyAlarm.stdout).array?.compactMap { $0["name"]?.string } ?? [])
            #expect(names == Set(DemoSeed.alarms.filter { $0.state == .alarm }.map(\.name)))

            let table = try BreakglassBinary.run(["alarms", "--region", "us-east-1", "--region", "eu-west-1"], environment: server.environment())
            #expect(table.status == 0)
            let lines = table.stdout.split(separator: "\n")
            #expect(lines.count == expected.count + 1)
            #expect(lines.allSatisfy { TerminalText.width(String($0)) <= 80 })
            #expect(!table.stdout.contains("\u{1B}"), "escape sequences from AWS must not reach the terminal")
            #expect(lines.first?.hasPrefix("STATE") == true && lines.dropFirst().first?.hasPrefix("ALARM") == true)
        }
    }

    @Test func aWrongSecretIsASignatureErrorWithItsRequestID() async throws {
        try await MotoHarness.withServer { server in
            var env = server.environment()
            env["AWS_SECRET_ACCESS_KEY"] = "not-the-secret"
            let result = try BreakglassBinary.run(["alarms"], environment: env)
            #expect(result.status == 1)
            #expect(result.stderr.contains("SignatureDoesNotMatch"), "\(result.stderr)")
            #expect(result.stderr.contains("request id "), "\(result.stderr)")
            #expect(!result.stderr.contains("request id none"), "\(result.stderr)")
            #expect(!result.stderr.contains("not-the-secret"))
        }
    }

    @Test func anUnknownKeyIsRefusedByIAMChecks() async throws {
        try await MotoHarness.withServer { server in
            var env = server.environment()
            env["AWS_ACCESS_KEY_ID"] = "AKIAUNKNOWNUNKNOWN00"
            let result = try BreakglassBinary.run(["alarms"], environment: env)
            #expect(result.status == 1)
            #expect(result.stderr.contains("InvalidClientTokenId") || result.stderr.contains("UnrecognizedClientException"), "\(result.stderr)")
        }
    }

    @Test func anUnreachableEndpointFailsFastAndClearly() throws {
        let port = try LocalAWSServer.freeLoopbackPort()
        let env = ["AWS_ENDPOINT_URL": "http://127.0.0.1:\(port)", "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "us-east-1", "HOME": "/nonexistent"]
        let result = try BreakglassBinary.run(["alarms"], environment: env, timeout: 30)
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot connect to http://127.0.0.1:\(port)"), "\(result.stderr)")
        #expect(result.seconds < 5)
    }

    @Test func aServerThatNeverAnswersTimesOut() throws {
        // A listening socket that is never accepted from: the kernel completes the handshake, the
        // request is sent, and no answer ever comes.
        let listener = try StalledListener()
        let env = ["AWS_ENDPOINT_URL": "http://127.0.0.1:\(listener.port)", "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "x",
                   "AWS_REGION": "us-east-1", "HOME": "/nonexistent", "BREAKGLASS_TIMEOUT": "2"]
        let once = try BreakglassBinary.run(["alarms"], environment: env.merging(["AWS_MAX_ATTEMPTS": "1"]) { _, b in b }, timeout: 30)
        #expect(once.status == 1)
        #expect(once.stderr.contains("no answer from http://127.0.0.1:\(listener.port)/ in time"), "\(once.stderr)")
        #expect(once.seconds < 4)
        // A read is retried (3 attempts by default, backoff at most 1 s then 2 s), then reported.
        let retried = try BreakglassBinary.run(["alarms"], environment: env, timeout: 30)
        #expect(retried.status == 1)
        #expect(retried.stderr.contains("no answer from"), "\(retried.stderr)")
        #expect(retried.seconds >= 6 && retried.seconds < 11)
        _ = listener
    }

    @Test func missingCredentialsNameEveryPlaceSearched() throws {
        let home = try TemporaryHome()
        let result = try BreakglassBinary.run(["alarms"], environment: home.variables(["AWS_REGION": "us-east-1"]))
        #expect(result.status == 2)
        #expect(result.stderr.contains("AWS_ACCESS_KEY_ID"))
        #expect(result.stderr.contains("~/.aws/credentials (no such file)"))
        #expect(result.stderr.contains("~/.aws/config (no such file)"))
    }

    @Test func noRegionSaysHowToSetOne() throws {
        let result = try BreakglassBinary.run(["alarms"], environment: ["HOME": "/nonexistent", "AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "B"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("no AWS region set"))
        #expect(result.stderr.contains("--region"))
    }

    @Test func everyCommandHasHelpAndTheVersionPrints() throws {
        for args in [["--help"], ["alarms", "--help"], ["console", "--help"], ["demo", "--help"]] {
            let r = try BreakglassBinary.run(args, environment: ["HOME": "/nonexistent"])
            #expect(r.status == 0, "\(args)")
            #expect(r.stdout.contains("USAGE"), "\(args)")
        }
        let v = try BreakglassBinary.run(["--version"])
        #expect(v.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == BreakglassVersion.string)
        let bad = try BreakglassBinary.run(["alarms", "--state", "BURNING"])
        #expect(bad.status == 64 || bad.status == 2)
    }
}

/// A loopback TCP listener that accepts no connections: requests to it hang until a timeout.
final class StalledListener {
    let fd: Int32
    let port: Int

    init() throws {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard s >= 0, ok == 0, listen(s, 16) == 0 else {
            close(s)
            throw LocalAWSServer.StartError(message: "cannot listen on 127.0.0.1")
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        fd = s
        port = Int(UInt16(bigEndian: addr.sin_port))
    }

    deinit { close(fd) }
}
