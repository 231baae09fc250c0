import BreakglassTestSupport
import Foundation
import Testing

@testable import BreakglassAWS

/// Defence in depth for break-glass credentials: a client limited to a runbook's operations refuses
/// any other call, and a client whose credentials have expired refuses every call — both before
/// anything is journaled or sent.
@Suite struct LimitedClientTests {
    static let env = AWSEnvironment(variables: ["HOME": "/nonexistent", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"])
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func client(_ transport: ScriptedTransport, journal: MemoryJournal, expiration: Date? = nil) -> AWSClient {
        AWSClient(
            credentials: AWSCredentials(accessKeyID: "ASIAGRANT", secretAccessKey: "s", sessionToken: "t", expiration: expiration, source: "break-glass grant 1"),
            endpoints: EndpointResolver(environment: env), transport: transport, now: { now }, retry: .never, journal: journal)
    }

    static let reason = "the break-glass grant of app-break-glass for runbook sqs-flush"

    @Test func aCallOutsideTheGrantIsRefusedWithNothingSentOrJournaled() async throws {
        let transport = ScriptedTransport([ScriptedTransport.json("{}"), ScriptedTransport.json("{}")])
        let journal = MemoryJournal()
        let client = Self.client(transport, journal: journal).limited(to: ["sqs.PurgeQueue", "cloudwatch.DescribeAlarms"], reason: Self.reason)

        // Outside the set: a write (through the catalog) and a read (through the raw protocol call).
        let terminate = AWSOperation(.ec2, "TerminateInstances", mutates: true)
        await #expect(throws: AWSError.refused(
            "ec2.TerminateInstances is outside \(Self.reason), which allows only cloudwatch.DescribeAlarms, sqs.PurgeQueue; not sent")) {
            _ = try await client.call(terminate, ["InstanceIds": ["i-1"]], region: "us-east-1")
        }
        await #expect(throws: AWSError.self) {
            _ = try await client.json(.dynamodb, "DescribeTable", ["TableName": "t"], region: "us-east-1")
        }
        await #expect(throws: AWSError.self) {
            _ = try await client.query(.iam, "ListAccessKeys", region: "us-east-1")
        }
        #expect(transport.requests.isEmpty)
        #expect(journal.records.isEmpty)

        // Inside it: sent (and the write journaled), under the service's short name even when it signs
        // as another (CloudWatch signs as monitoring).
        _ = try await client.json(.cloudwatch, "DescribeAlarms", region: "us-east-1")
        let purge = try AWSCatalog.lookup(service: "sqs", name: "PurgeQueue")
        _ = try await client.call(purge, ["QueueUrl": "https://sqs.us-east-1.amazonaws.com/1/q"], region: "us-east-1")
        #expect(transport.requests.count == 2)
        #expect(journal.records.count == 2)
    }

    @Test func theRefusalNamesTheCallAndTheGrant() {
        let text = AWSError.refused("ec2.TerminateInstances is outside \(Self.reason), which allows only sqs.PurgeQueue; not sent").description
        #expect(text == "refused: ec2.TerminateInstances is outside the break-glass grant of app-break-glass for runbook sqs-flush, which allows only sqs.PurgeQueue; not sent")
        #expect(MutationOutcome.from(.refused("x")) == .notSent(detail: "x"))
        // A 4xx answer is a refusal; a 5xx one may come after AWS acted: unknown, to be verified.
        let refused = ServiceError(operation: "ecs.UpdateService", code: "AccessDeniedException", message: "no", status: 400, requestID: "r-1")
        #expect(MutationOutcome.from(.service(refused)) == .failed(code: "AccessDeniedException", message: "no", requestID: "r-1"))
        for (status, code) in [(500, "InternalFailure"), (503, "ServiceUnavailable")] {
            let failing = ServiceError(operation: "ecs.UpdateService", code: code, message: "boom", status: status, requestID: "r-2")
            #expect(MutationOutcome.from(.service(failing)).word == "unknown", "\(status)")
        }
        #expect(RetryPolicy.classify(.refused("x")) == .permanent)
    }

    @Test func limitingAgainKeepsOnlyWhatBothAllowAndOtherCopiesKeepTheLimit() {
        let transport = ScriptedTransport([])
        let client = Self.client(transport, journal: MemoryJournal())
        #expect(client.limit == nil)
        let limited = client.limited(to: ["sqs.PurgeQueue", "sqs.GetQueueUrl"], reason: "a").limited(to: ["sqs.PurgeQueue", "ec2.RebootInstances"], reason: "b")
        #expect(limited.limit == OperationLimit(operations: ["sqs.PurgeQueue"], reason: "b"))
        #expect(limited.journaled(MemoryJournal()).limit == limited.limit)
        let other = AWSCredentials(accessKeyID: "ASIAOTHER", secretAccessKey: "s", sessionToken: "t", source: "other")
        let switched = limited.using(credentials: other)
        #expect(switched.limit == limited.limit)
        #expect(switched.credentials == other)
        #expect(switched.refreshing == nil)
    }

    @Test func expiredCredentialsWithoutARefresherAreRefusedBeforeJournalingOrSending() async throws {
        let transport = ScriptedTransport([ScriptedTransport.json("{}")])
        let journal = MemoryJournal()
        let client = Self.client(transport, journal: journal, expiration: Self.now)
        let purge = try AWSCatalog.lookup(service: "sqs", name: "PurgeQueue")
        await #expect(throws: AWSError.credentials(
            "sqs.PurgeQueue: the credentials from break-glass grant 1 expired at 2027-01-15T08:00:00Z; request access again; not sent")) {
            _ = try await client.call(purge, ["QueueUrl": "https://sqs.us-east-1.amazonaws.com/1/q"], region: "us-east-1")
        }
        await #expect(throws: AWSError.self) {
            _ = try await client.json(.cloudwatch, "DescribeAlarms", region: "us-east-1")
        }
        #expect(transport.requests.isEmpty)
        #expect(journal.records.isEmpty)

        // A second earlier: still valid, sent.
        let valid = Self.client(transport, journal: journal, expiration: Self.now.addingTimeInterval(1))
        _ = try await valid.json(.cloudwatch, "DescribeAlarms", region: "us-east-1")
        #expect(transport.requests.count == 1)

        // `using(credentials:)` drops the refresher, so expired credentials it is given are refused too.
        let old = AWSCredentials(accessKeyID: "ASIAOLD", secretAccessKey: "s", sessionToken: "t", expiration: Self.now.addingTimeInterval(-60), source: "grant 2")
        await #expect(throws: AWSError.self) {
            _ = try await valid.using(credentials: old).json(.cloudwatch, "DescribeAlarms", region: "us-east-1")
        }
        #expect(transport.requests.count == 1)
    }
}
