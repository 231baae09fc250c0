import BreakglassTestSupport
import Foundation
import Synchronization
import Testing

@testable import BreakglassAWS

/// AWSClient and libcurl against a server that misbehaves on cue: reads are retried, writes are
/// repeated only when they certainly had no effect, and the server counts what reached it.
@Suite struct RetryIntegrationTests {
    /// Records the pauses the client asked for, without waiting.
    final class Sleeps: Sendable {
        let taken = Mutex<[Duration]>([])
        var all: [Duration] { taken.withLock { $0 } }
    }

    static func client(port: Int, sleeps: Sleeps = Sleeps(), maxAttempts: Int = 3) -> AWSClient {
        let env = AWSEnvironment(variables: ["HOME": "/nonexistent", "AWS_ENDPOINT_URL": "http://127.0.0.1:\(port)"])
        return AWSClient(
            credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s", source: "test"),
            endpoints: EndpointResolver(environment: env), transport: CurlTransport(),
            timeouts: HTTPTimeouts(connect: 1, total: 2), retry: RetrySettings(maxAttempts: maxAttempts),
            sleep: { d in sleeps.taken.withLock { $0.append(d) } }, random: { 0.5 }, journal: MemoryJournal())
    }

    static let alarmInput: AWSValue = ["AlarmName": "db-cpu", "StateValue": "ALARM", "StateReason": "test"]

    @Test func aReadIsRetriedAfterThrottlingAndSucceeds() async throws {
        let server = try FaultServer([.throttle], otherwise: .respond(200, [], #"{"MetricAlarms":[{"AlarmName":"a"}]}"#))
        let sleeps = Sleeps()
        let client = Self.client(port: server.port, sleeps: sleeps)
        let answer = try await client.json(.cloudwatch, "DescribeAlarms", region: "us-east-1")
        #expect(answer.value["MetricAlarms"]?[0]?["AlarmName"] == "a")
        #expect(server.received("DescribeAlarms") == 2)
        #expect(sleeps.all == [.milliseconds(500)])
        #expect(client.retryQuota.available == 500, "the retry's cost came back with the success")
    }

    @Test func aReadGivesUpAfterMaxAttemptsWithTheLastError() async throws {
        let server = try FaultServer([.throttle, .serverError(503), .serverError(500)])
        let sleeps = Sleeps()
        let client = Self.client(port: server.port, sleeps: sleeps)
        await #expect {
            _ = try await client.json(.cloudwatch, "DescribeAlarms", region: "us-east-1")
        } throws: { error in
            guard case AWSError.service(let e) = error else { return false }
            return e.code == "InternalFailure" && e.status == 500
        }
        #expect(server.received("DescribeAlarms") == 3)
        #expect(sleeps.all == [.milliseconds(500), .milliseconds(1000)])
        #expect(client.retryQuota.available == 490)
    }

    @Test func aReadIsRetriedAfterAResetAndATruncatedAnswer() async throws {
        let server = try FaultServer([.resetAfterRequest, .truncated], otherwise: .respond(200, [], #"{"MetricAlarms":[]}"#))
        let client = Self.client(port: server.port)
        _ = try await client.json(.cloudwatch, "DescribeAlarms", region: "us-east-1")
        #expect(server.received("DescribeAlarms") == 3)
    }

    @Test func aMalformedAnswerIsNotRetried() async throws {
        let server = try FaultServer([.malformed])
        let client = Self.client(port: server.port)
        await #expect {
            _ = try await client.json(.cloudwatch, "DescribeAlarms", region: "us-east-1")
        } throws: { error in
            guard case AWSError.malformedResponse = error else { return false }
            return true
        }
        #expect(server.received("DescribeAlarms") == 1)
    }

    static func expectOutcomeUnknown(_ error: any Error, operation: String, kind: TransportError.Kind) -> Bool {
        guard case AWSError.outcomeUnknown(let o) = error else { return false }
        return o.operation == operation && o.transport.kind == kind && o.attempt == 1
            && o.description.contains("check the resource's state before trying again")
    }

    @Test func aWriteAfterAResetIsOutcomeUnknownAndSentOnce() async throws {
        let server = try FaultServer([.resetAfterRequest])
        let client = Self.client(port: server.port)
        await #expect {
            _ = try await client.json(.cloudwatch, "SetAlarmState", Self.alarmInput, region: "us-east-1", mutating: true)
        } throws: { Self.expectOutcomeUnknown($0, operation: "monitoring.SetAlarmState", kind: .connectionLost) }
        #expect(server.received("SetAlarmState") == 1)
    }

    @Test func aWriteAfterAStallIsOutcomeUnknownAndSentOnce() async throws {
        let server = try FaultServer([.stall])
        let client = Self.client(port: server.port)
        await #expect {
            _ = try await client.json(.cloudwatch, "SetAlarmState", Self.alarmInput, region: "us-east-1", mutating: true)
        } throws: { Self.expectOutcomeUnknown($0, operation: "monitoring.SetAlarmState", kind: .timedOut) }
        #expect(server.received("SetAlarmState") == 1)
        server.stop()
    }

    @Test func aWriteAfterATruncatedAnswerIsOutcomeUnknown() async throws {
        let server = try FaultServer([.truncated])
        let client = Self.client(port: server.port)
        await #expect {
            _ = try await client.json(.cloudwatch, "SetAlarmState", Self.alarmInput, region: "us-east-1", mutating: true)
        } throws: { Self.expectOutcomeUnknown($0, operation: "monitoring.SetAlarmState", kind: .connectionLost) }
        #expect(server.received("SetAlarmState") == 1)
    }

    @Test func aThrottledWriteIsRetriedAndSucceeds() async throws {
        let server = try FaultServer([.throttle])
        let client = Self.client(port: server.port)
        _ = try await client.json(.cloudwatch, "SetAlarmState", Self.alarmInput, region: "us-east-1", mutating: true)
        #expect(server.received("SetAlarmState") == 2)
    }

    @Test func aThrottledQueryWriteIsRetriedAndSucceeds() async throws {
        let xml = "<CreateUserResponse><CreateUserResult><User><UserName>u</UserName></User></CreateUserResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></CreateUserResponse>"
        let throttled = "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r0</RequestId></ErrorResponse>"
        let server = try FaultServer([.respond(400, [HTTPHeader("Content-Type", "text/xml")], throttled)], otherwise: .respond(200, [HTTPHeader("Content-Type", "text/xml")], xml))
        let client = Self.client(port: server.port)
        let answer = try await client.query(.iam, "CreateUser", [("UserName", "u")], region: "us-east-1", mutating: true)
        #expect(answer.result.first("UserName")?.text == "u")
        #expect(answer.requestID == "r1")
        #expect(server.received("CreateUser") == 2)
    }

    @Test func responseHeadersKeepNoLineEnd() async throws {
        // curl hands each header line with its CRLF; the request id must come out without it (it
        // goes to the audit trail and into error messages).
        let server = try FaultServer([], otherwise: .respond(200, [HTTPHeader("x-amzn-RequestId", "req-7"), HTTPHeader("Content-Type", "application/x-amz-json-1.0")], "{}"))
        let response = try await CurlTransport().send(
            HTTPRequest(method: "POST", scheme: "http", host: "127.0.0.1", port: server.port, headers: [HTTPHeader("X-Amz-Target", "Probe")]), operation: "Probe", timeouts: HTTPTimeouts(connect: 1, total: 2))
        #expect(response.requestID == "req-7")
        #expect(response.headers.allSatisfy { !$0.value.unicodeScalars.contains { $0 == "\r" || $0 == "\n" } })
    }

    @Test func aWriteNobodyHearsIsRetriedAsCannotConnect() async throws {
        let sleeps = Sleeps()
        let client = Self.client(port: try FaultServer.unusedPort(), sleeps: sleeps)
        await #expect {
            _ = try await client.json(.cloudwatch, "SetAlarmState", Self.alarmInput, region: "us-east-1", mutating: true)
        } throws: { error in
            guard case AWSError.transport(let t) = error else { return false }
            return t.kind == .cannotConnect && !t.requestMayHaveBeenSent
        }
        #expect(sleeps.all.count == 2, "three attempts, none reached anyone")
    }

    @Test(arguments: [500, 503])
    func aServerErrorAnswerToAWriteIsNotRetried(_ status: Int) async throws {
        let server = try FaultServer([.serverError(status)])
        let client = Self.client(port: server.port)
        await #expect {
            _ = try await client.json(.cloudwatch, "SetAlarmState", Self.alarmInput, region: "us-east-1", mutating: true)
        } throws: { error in
            guard case AWSError.service(let e) = error else { return false }
            return e.status == status
        }
        #expect(server.received("SetAlarmState") == 1)
    }

    @Test func cancellationStopsTheRetries() async throws {
        let server = try FaultServer([.throttle, .throttle, .throttle])
        let env = AWSEnvironment(variables: ["HOME": "/nonexistent", "AWS_ENDPOINT_URL": server.endpoint])
        let client = AWSClient(
            credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s", source: "test"),
            endpoints: EndpointResolver(environment: env), transport: CurlTransport(),
            timeouts: HTTPTimeouts(connect: 1, total: 2), sleep: { _ in throw CancellationError() }, journal: MemoryJournal())
        await #expect {
            _ = try await client.json(.cloudwatch, "DescribeAlarms", region: "us-east-1")
        } throws: { error in
            guard case AWSError.transport(let t) = error else { return false }
            return t.kind == .cancelled && t.detail.contains("cancelled before attempt 2")
        }
        #expect(server.received("DescribeAlarms") == 1)
    }

    @Test func eachAttemptIsSignedAfresh() async throws {
        let server = try FaultServer([.throttle])
        let clock = Mutex(Date(timeIntervalSince1970: 1_700_000_000))
        let env = AWSEnvironment(variables: ["HOME": "/nonexistent", "AWS_ENDPOINT_URL": server.endpoint])
        let transport = RecordingTransport(inner: CurlTransport())
        let client = AWSClient(
            credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s", source: "test"),
            endpoints: EndpointResolver(environment: env), transport: transport, timeouts: HTTPTimeouts(connect: 1, total: 2),
            now: { clock.withLock { d in d += 1; return d } }, sleep: { _ in })
        _ = try await client.json(.cloudwatch, "DescribeAlarms", region: "us-east-1")
        let dates = transport.requests.map { $0.header("X-Amz-Date") }
        #expect(dates == ["20231114T221321Z", "20231114T221322Z"])
    }

    final class RecordingTransport: HTTPTransport {
        let inner: CurlTransport
        let recorded = Mutex<[HTTPRequest]>([])
        init(inner: CurlTransport) { self.inner = inner }
        var requests: [HTTPRequest] { recorded.withLock { $0 } }
        func send(_ request: HTTPRequest, operation: String, timeouts: HTTPTimeouts) async throws(TransportError) -> HTTPResponse {
            recorded.withLock { $0.append(request) }
            return try await inner.send(request, operation: operation, timeouts: timeouts)
        }
    }
}
