import BreakglassTestSupport
import Foundation
import Testing

@testable import BreakglassAWS

@Suite struct ClientTests {
    /// libcurl silently re-sends a request when a reused connection turns out dead; so a write must
    /// never go over a reused connection, while reads may.
    @Test func writesNeverReuseAConnectionReadsMay() async throws {
        let transport = ScriptedTransport([ScriptedTransport.json("{}"), ScriptedTransport.json("{}"), ScriptedTransport.json("<R><RResult/></R>")])
        let env = AWSEnvironment(variables: ["HOME": "/nonexistent", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"])
        let client = AWSClient(credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s", source: "test"), endpoints: EndpointResolver(environment: env), transport: transport, retry: .never, journal: MemoryJournal())
        _ = try await client.json(.cloudwatch, "DescribeAlarms", region: "us-east-1")
        _ = try await client.json(.cloudwatch, "SetAlarmState", ["AlarmName": "a", "StateValue": "OK", "StateReason": "r"], region: "us-east-1", mutating: true)
        _ = try await client.query(.iam, "R", region: "us-east-1", mutating: true)
        #expect(transport.requests.map(\.reuseConnection) == [true, false, false])
    }
}

@Suite struct ClientCredentialTests {
    final class Clock: @unchecked Sendable {
        var now = Date(timeIntervalSince1970: 1_800_000_000)
    }

    @Test func temporaryCredentialsAreRefreshedAheadOfExpiryBetweenCalls() async throws {
        let clock = Clock()
        let start = clock.now
        let counter = RefreshCounter()
        let refreshing = RefreshingCredentials(
            initial: AWSCredentials(accessKeyID: "ASIAFIRST", secretAccessKey: "s1", sessionToken: "t1", expiration: start + 3600, source: "test"),
            now: { clock.now }
        ) { () async throws(AWSError) -> AWSCredentials in
            let n = await counter.next()
            return AWSCredentials(accessKeyID: "ASIANEW\(n)", secretAccessKey: "s", sessionToken: "t", expiration: clock.now + 3600, source: "test")
        }
        let transport = ScriptedTransport([ScriptedTransport.json("{}"), ScriptedTransport.json("{}")])
        let env = AWSEnvironment(variables: ["HOME": "/nonexistent", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"])
        let client = AWSClient(
            credentials: AWSCredentials(accessKeyID: "ASIAFIRST", secretAccessKey: "s1", sessionToken: "t1", expiration: start + 3600, source: "test"),
            endpoints: EndpointResolver(environment: env), transport: transport, now: { clock.now }, retry: .never, refreshing: refreshing)
        _ = try await client.json(.cloudwatch, "DescribeAlarms", region: "us-east-1")
        clock.now = start + 3600 - 5 * 60  // inside the mandatory window
        _ = try await client.json(.cloudwatch, "DescribeAlarms", region: "us-east-1")
        let keys = transport.requests.compactMap { $0.header("Authorization")?.split(separator: "/").first.map { String($0.dropFirst("AWS4-HMAC-SHA256 Credential=".count)) } }
        #expect(keys == ["ASIAFIRST", "ASIANEW1"])
        #expect(transport.requests[1].header("X-Amz-Security-Token") == "t")
    }

    @Test func expiredCredentialsAreRefusedBeforeSending() async throws {
        let transport = ScriptedTransport([ScriptedTransport.json("{}")])
        let env = AWSEnvironment(variables: ["HOME": "/nonexistent", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"])
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let client = AWSClient(
            credentials: AWSCredentials(accessKeyID: "ASIAOLD", secretAccessKey: "s", sessionToken: "t", expiration: now - 1, source: "profile ops"),
            endpoints: EndpointResolver(environment: env), transport: transport, now: { now }, retry: .never, journal: MemoryJournal())
        await #expect {
            _ = try await client.json(.cloudwatch, "SetAlarmState", ["AlarmName": "a"], region: "us-east-1", mutating: true)
        } throws: { String(describing: $0).contains("expired at 2027-01-15T07:59:59Z") }
        #expect(transport.requests.isEmpty)
    }
}

actor RefreshCounter {
    var n = 0
    func next() -> Int { n += 1; return n }
}
