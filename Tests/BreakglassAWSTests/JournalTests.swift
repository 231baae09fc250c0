import BreakglassTestSupport
import Foundation
import Synchronization
import Testing

@testable import BreakglassAWS

/// Every write the client sends is recorded before it is sent and after, and cannot be sent otherwise.
@Suite struct JournalTests {
    static let env = AWSEnvironment(variables: ["HOME": "/nonexistent", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"])
    static let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    static let token = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN0123456789"

    func client(_ transport: any HTTPTransport, journal: (any MutationJournal)?) -> AWSClient {
        AWSClient(
            credentials: AWSCredentials(accessKeyID: "ASIAEXAMPLE", secretAccessKey: Self.secret, sessionToken: Self.token, source: "test"),
            endpoints: EndpointResolver(environment: Self.env), transport: transport, retry: .never, journal: journal)
    }

    /// A journal that notes how many requests the transport had seen when each intent was recorded.
    final class OrderJournal: MutationJournal, @unchecked Sendable {
        let transport: ScriptedTransport
        let seenAtIntent = Mutex<[Int]>([])
        let inner = MemoryJournal()
        init(_ transport: ScriptedTransport) { self.transport = transport }
        func recordIntent(_ intent: MutationIntent) throws -> MutationTicket {
            let count = transport.requests.count
            seenAtIntent.withLock { $0.append(count) }
            return try inner.recordIntent(intent)
        }
        func recordOutcome(_ outcome: MutationOutcome, for ticket: MutationTicket) { inner.recordOutcome(outcome, for: ticket) }
    }

    @Test func theIntentIsRecordedBeforeTheRequestAndTheOutcomeAfter() async throws {
        let transport = ScriptedTransport([ScriptedTransport.json("{}"), ScriptedTransport.json("{}", requestID: "req-write")])
        let journal = OrderJournal(transport)
        let c = client(transport, journal: journal)
        _ = try await c.json(.cloudwatch, "DescribeAlarms", region: "us-east-1")
        _ = try await c.json(.cloudwatch, "SetAlarmState", ["AlarmName": "a", "StateValue": "OK", "StateReason": "r"], region: "us-east-1")
        // The read was not journaled; the write's intent was recorded when only the read had gone out.
        #expect(journal.seenAtIntent.withLock { $0 } == [1])
        let records = journal.inner.records
        #expect(records.count == 2)
        guard case .intent(let intent) = records.first else { Issue.record("no intent first"); return }
        #expect(intent.service == "monitoring" && intent.operation == "SetAlarmState" && intent.region == "us-east-1")
        #expect(intent.parameters["AlarmName"]?.string == "a")
        #expect(intent.accessKeyID == "ASIAEXAMPLE")
        #expect(records.last == .outcome(.succeeded(requestID: "req-write"), ticket: 1))
    }

    /// The catalog, not the caller, decides: `mutating: false` on a catalog write is still a write,
    /// and an operation the catalog does not know is a write unless its name says it reads.
    @Test(arguments: [
        ("SetAlarmState", false, true), ("PutMetricAlarm", false, true), ("DescribeAlarms", false, false),
        ("DescribeAlarms", true, true), ("CreateSomething", false, true), ("DescribeSomething", false, false),
        ("ListThings", false, false), ("GetThing", false, false), ("TagResource", false, true),
    ])
    func whetherACallIsAWriteIsNotTheCallersChoice(operation: String, declared: Bool, journaled: Bool) async throws {
        let transport = ScriptedTransport([ScriptedTransport.json("{}")])
        let journal = MemoryJournal()
        _ = try await client(transport, journal: journal).json(.cloudwatch, operation, region: "us-east-1", mutating: declared)
        #expect(!journal.records.isEmpty == journaled)
    }

    @Test func aWriteWithoutAJournalIsRefusedAndNotSent() async throws {
        let transport = ScriptedTransport([ScriptedTransport.json("{}")])
        let c = client(transport, journal: nil)
        await #expect {
            _ = try await c.call(AWSCatalog.lookup(service: "sqs", name: "PurgeQueue"), ["QueueUrl": "q"], region: "us-east-1")
        } throws: { error in
            guard case AWSError.audit(let m) = error else { return false }
            return m.contains("sqs.PurgeQueue") && m.contains("not sent")
        }
        #expect(transport.requests.isEmpty)
        // Reads need no journal.
        _ = try await c.call(AWSCatalog.lookup(service: "sqs", name: "GetQueueAttributes"), ["QueueUrl": "q"], region: "us-east-1")
        #expect(transport.requests.count == 1)
    }

    @Test func aJournalThatCannotRecordStopsTheWrite() async throws {
        let transport = ScriptedTransport([ScriptedTransport.json("{}")])
        await #expect {
            _ = try await client(transport, journal: MemoryJournal(refuse: true)).json(.dynamodb, "UpdateTable", ["TableName": "t"], region: "us-east-1")
        } throws: { error in
            guard case AWSError.audit(let m) = error else { return false }
            return m.contains("disk full") && m.contains("not sent")
        }
        #expect(transport.requests.isEmpty)
    }

    @Test func theClientsOwnSecretsNeverReachTheJournal() async throws {
        let transport = ScriptedTransport([
            .success(HTTPResponse(status: 400, headers: [], body: Array(#"{"__type":"ValidationException","message":"bad token \#(Self.token)"}"#.utf8)))
        ])
        let journal = MemoryJournal()
        await #expect(throws: AWSError.self) {
            _ = try await client(transport, journal: journal).json(
                .sqs, "SendMessage", ["QueueUrl": "q", "MessageBody": .string("key=\(Self.secret) token=\(Self.token)")], region: "us-east-1")
        }
        let text = journal.records.map { String(describing: $0) }.joined()
        #expect(!text.contains(Self.secret) && !text.contains(Self.token))
        #expect(text.contains("[redacted]"))
        guard case .outcome(.failed(let code, let message, _), _) = journal.records.last else { Issue.record("no failed outcome"); return }
        #expect(code == "ValidationException" && message == "bad token [redacted]")
    }

    /// An answer lost after the request went out is recorded as unknown; a connection never made as not sent.
    @Test func outcomesSayWhetherTheCallMayHaveTakenEffect() async throws {
        let lost = TransportError(kind: .connectionLost, operation: "op", url: "u", requestMayHaveBeenSent: true, detail: "reset")
        let refused = TransportError(kind: .cannotConnect, operation: "op", url: "u", requestMayHaveBeenSent: false, detail: "refused")
        for (failure, word) in [(lost, "unknown"), (refused, "not-sent")] {
            let journal = MemoryJournal()
            let transport = ScriptedTransport([.failure(failure)])
            await #expect(throws: AWSError.self) {
                _ = try await client(transport, journal: journal).json(.sqs, "PurgeQueue", ["QueueUrl": "q"], region: "us-east-1")
            }
            guard case .outcome(let outcome, ticket: 1) = journal.records.last else { Issue.record("no outcome"); continue }
            #expect(outcome.word == word)
        }
    }

    /// The query protocol's intent keeps the structured input, not the flattened form.
    @Test func queryIntentsRecordTheStructuredInput() async throws {
        let transport = ScriptedTransport([.success(HTTPResponse(status: 200, headers: [], body: Array("<RebootDBInstanceResponse><RebootDBInstanceResult/></RebootDBInstanceResponse>".utf8)))])
        let journal = MemoryJournal()
        _ = try await client(transport, journal: journal).call(
            AWSCatalog.lookup(service: "rds", name: "RebootDBInstance"), ["DBInstanceIdentifier": "prod-db-1", "ForceFailover": true], region: "eu-west-1")
        guard case .intent(let intent) = journal.records.first else { Issue.record("no intent"); return }
        #expect(intent.parameters == ["DBInstanceIdentifier": "prod-db-1", "ForceFailover": true])
    }
}
