import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Synchronization
import Testing

/// A state database of its own for one shipping test, under the test run directory.
final class ShippingState {
    let folder: String
    let path: String
    private(set) var store: Store
    private(set) var log: AuditLog

    init() throws {
        folder = "\(MotoHarness.runDirectory)/shipping-\(UUID().uuidString)"
        path = folder + "/state.db"
        store = try Store.open(path: path)
        log = AuditLog(store: store)
    }

    deinit {
        store.close()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Closes the database and opens it again, as a new process would.
    func reopen() throws {
        store.close()
        store = try Store.open(path: path)
        log = AuditLog(store: store)
    }

    /// Appends notes numbered `range` (their seqs, in a fresh trail).
    func notes(_ range: ClosedRange<Int>, detail: (Int) -> String = { "step \($0) done" }) throws {
        for i in range {
            try log.append(AuditDraft(kind: "note", actor: AuditActor(user: "alice", sshClient: "10.0.0.7"), context: AuditContext(incident: "INC-7"), detail: detail(i)))
        }
    }
}

/// What the tests read back from a stream.
struct ShippedEvent {
    let timestamp: Int64
    let text: String
    let value: AWSValue
    var isHead: Bool { value["type"]?.string == "head" }
    var seq: Int? { value["seq"]?.int }
}

enum Shipping {
    static let region = "us-east-1"
    static let group = "/breakglass/audit"

    static func destination(_ stream: String = "breakglass-test") -> AuditShippingDestination {
        AuditShippingDestination(region: region, group: group, stream: stream)
    }

    /// A client of `server` that goes through `proxy`, and retries without pausing.
    static func client(_ server: LocalAWSServer, through proxy: TCPProxy) -> AWSClient {
        var variables = server.environment(region: region)
        variables["AWS_ENDPOINT_URL"] = proxy.endpoint
        return AWSClient(
            credentials: server.adminCredentials, endpoints: EndpointResolver(environment: AWSEnvironment(variables: variables)),
            transport: CurlTransport(), sleep: { _ in }, journal: server.journal)
    }

    static func call(_ client: AWSClient, _ name: String, _ input: AWSValue) async throws -> AWSValue {
        try await client.call(AWSCatalog.lookup(service: "logs", name: name), input, region: region).value
    }

    /// Creates the group and stream (with the server's own client and journal).
    static func create(_ server: LocalAWSServer, _ destination: AuditShippingDestination) async throws {
        _ = try await call(server.client(), "CreateLogGroup", ["logGroupName": .string(destination.group)])
        _ = try await call(server.client(), "CreateLogStream", ["logGroupName": .string(destination.group), "logStreamName": .string(destination.stream)])
    }

    /// Every event of the stream, oldest first.
    static func events(_ server: LocalAWSServer, _ destination: AuditShippingDestination) async throws -> [ShippedEvent] {
        var out: [ShippedEvent] = []
        var token: String?
        while true {
            var input: AWSObject = ["logGroupName": .string(destination.group), "logStreamName": .string(destination.stream), "startFromHead": true]
            if let token { input["nextToken"] = .string(token) }
            let page = try await call(server.client(), "GetLogEvents", .object(input))
            for event in page["events"]?.array ?? [] {
                let text = event["message"]?.string ?? ""
                out.append(ShippedEvent(timestamp: Int64(event["timestamp"]?.int ?? 0), text: text, value: try JSON.decode(text)))
            }
            guard let next = page["nextForwardToken"]?.string, next != token else { return out }
            token = next
        }
    }

    /// The entry seqs in each PutLogEvents request the proxy forwarded, in order.
    static func sentBatches(_ proxy: TCPProxy) throws -> [[Int]] {
        try proxy.forwardedRequests.filter { $0.operation == "PutLogEvents" }.map { request in
            let body = try JSON.decode(request.body)
            return try (body["logEvents"]?.array ?? []).compactMap { event -> Int? in
                let message = try JSON.decode(event["message"]?.string ?? "{}")
                return message["type"] == nil ? message["seq"]?.int : nil
            }
        }
    }

    static func milliseconds(_ at: String) -> Int64? {
        ISO8601.parse(at).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }
    }
}

@Suite(.serialized) struct AuditShippingTests {
    /// (1) Twenty entries land once each, in order, as their export JSON stamped with their time,
    /// in batches, with a head after the catch-up; the group and stream are created on the way; heads
    /// follow every `headEvery` on the injected clock.
    @Test func shipsEveryEntryOnceWithHeads() async throws {
        try await MotoHarness.withServer { server in
            let state = try ShippingState()
            // Text that JSON escapes, so the event must be byte for byte the export line.
            try state.notes(1...20) { $0 % 5 == 0 ? "step \($0): \"quoted\"\ttab, é, \u{2028}, \u{7F}, back\\slash" : "step \($0) done" }
            let clock = TestClock(Date())
            let destination = Shipping.destination()
            let shipper = AuditShipper(
                log: state.log, client: server.client(), destination: destination, settings: .init(maxEvents: 7), clock: { clock.now },
                sleep: { _ in })

            let report = await shipper.shipOnce()
            #expect(report.problem == nil, "\(report)")
            #expect(report.shipped == 20 && report.first == 1 && report.last == 20 && report.batches == 3, "\(report)")
            #expect(report.cursor == 20 && report.headShipped, "\(report)")
            #expect(try shipper.cursor() == AuditShippingCursor(shippedSeq: 20, headShippedAt: ISO8601.formatMilliseconds(clock.now)))

            let local = try state.log.entries()
            let events = try await Shipping.events(server, destination)
            let entries = events.filter { !$0.isHead }
            #expect(entries.map(\.seq) == Array(1...20))
            for (event, entry) in zip(entries, local) {
                #expect(event.text == JSON.encode(entry.json))
                #expect(!event.text.contains("\n"))
                #expect(event.timestamp == Shipping.milliseconds(entry.at))
            }
            let heads = events.filter(\.isHead)
            #expect(heads.count == 1)
            #expect(heads.first?.text == AuditShipper.headMessage(seq: 20, hash: local[19].hash, at: clock.now))

            // Nothing new and no head due: nothing is sent.
            clock.advance(60)
            let idle = await shipper.shipOnce()
            #expect(idle.shipped == 0 && !idle.headShipped && idle.problem == nil && idle.cursor == 20, "\(idle)")
            // Five minutes after the last head, another.
            clock.advance(241)
            let periodic = await shipper.shipOnce()
            #expect(periodic.shipped == 0 && periodic.headShipped && periodic.problem == nil, "\(periodic)")
            let after = try await Shipping.events(server, destination)
            #expect(after.filter(\.isHead).count == 2)
            #expect(after.filter { !$0.isHead }.map(\.seq) == Array(1...20))
        }
    }

    /// (2) An outage in the middle: refused connections leave the cursor where it was and nothing
    /// pending; a lost answer leaves the batch pending; once the network is back (and the pending
    /// batch old enough), the stream is read back, the cursor moves past what landed, and the rest is
    /// shipped. No entry reached moto twice, and every entry is in the stream exactly once.
    @Test func outageNeverResendsWhatLanded() async throws {
        try await MotoHarness.withServer { server in
            let proxy = try TCPProxy(upstreamPort: server.port)
            defer { proxy.stop() }
            let destination = Shipping.destination()
            try await Shipping.create(server, destination)
            let state = try ShippingState()
            let clock = TestClock(Date())
            let shipper = AuditShipper(
                log: state.log, client: Shipping.client(server, through: proxy), destination: destination,
                settings: .init(maxEvents: 4, reconcileAfter: .seconds(120)), clock: { clock.now }, sleep: { _ in })

            try state.notes(1...5)
            let first = await shipper.shipOnce()
            #expect(first.problem == nil && first.shipped == 5 && first.cursor == 5, "\(first)")
            #expect(proxy.forwarded("PutLogEvents") == 2)

            // The network refuses: nothing leaves, nothing is pending, the cursor stays.
            try proxy.setMode(.refuse)
            try state.notes(6...9)
            let refused = await shipper.shipOnce()
            guard case .failed = refused.problem else {
                Issue.record("expected a definite failure, got \(refused)")
                return
            }
            #expect(refused.cursor == 5 && refused.shipped == 0)
            #expect(try shipper.cursor().pending == nil)
            #expect(proxy.forwarded("PutLogEvents") == 2)

            // The answer is lost: entries 6-9 reach moto, the shipper cannot know.
            try proxy.setMode(.dropAnswer)
            try state.notes(10...12)
            let lost = await shipper.shipOnce()
            guard case .outcomeUnknown = lost.problem else {
                Issue.record("expected an unknown outcome, got \(lost)")
                return
            }
            #expect(lost.cursor == 5)
            #expect(try shipper.cursor().pending == 6...9)
            #expect(proxy.forwarded("PutLogEvents") == 3)

            // Back to normal, but the pending batch is too young to read back: nothing is sent.
            try proxy.setMode(.forward)
            let early = await shipper.shipOnce()
            guard case .awaitingReconcile(6, 9, let until) = early.problem else {
                Issue.record("expected to wait before reading back, got \(early)")
                return
            }
            #expect(until > clock.now && until <= clock.now.addingTimeInterval(120))
            #expect(proxy.forwarded("PutLogEvents") == 3 && proxy.forwarded("GetLogEvents") == 0)

            clock.advance(121)
            let settled = await shipper.shipOnce()
            #expect(settled.problem == nil, "\(settled)")
            #expect(settled.reconciled == AuditShipper.Reconciliation(pending: 6...9, landedThrough: 9))
            #expect(settled.shipped == 3 && settled.first == 10 && settled.last == 12 && settled.cursor == 12 && settled.headShipped, "\(settled)")
            #expect(proxy.forwarded("GetLogEvents") >= 1)

            // Every PutLogEvents that reached moto carried entries no other one carried...
            let sent = try Shipping.sentBatches(proxy)
            #expect(sent == [[1, 2, 3, 4], [5], [6, 7, 8, 9], [10, 11, 12]])
            // ... and the stream holds each entry exactly once.
            let events = try await Shipping.events(server, destination)
            #expect(events.filter { !$0.isHead }.map(\.seq) == Array(1...12))
            #expect(try await AuditShipper.verifyRemote(log: state.log, client: server.client(), destination: destination) == nil)
        }
    }

    /// (2b) A connection reset before anything reached moto is an unknown outcome to the client
    /// too; reading back finds nothing landed, and the same entries are sent again, once.
    @Test func lostAnswerWhereNothingLandedIsSentAgain() async throws {
        try await MotoHarness.withServer { server in
            let proxy = try TCPProxy(upstreamPort: server.port)
            defer { proxy.stop() }
            let destination = Shipping.destination()
            try await Shipping.create(server, destination)
            let state = try ShippingState()
            try state.notes(1...3)
            let clock = TestClock(Date())
            let shipper = AuditShipper(
                log: state.log, client: Shipping.client(server, through: proxy), destination: destination,
                settings: .init(reconcileAfter: .seconds(120)), clock: { clock.now }, sleep: { _ in })

            try proxy.setMode(.reset)
            let lost = await shipper.shipOnce()
            guard case .outcomeUnknown = lost.problem else {
                Issue.record("expected an unknown outcome, got \(lost)")
                return
            }
            #expect(try shipper.cursor().pending == 1...3)
            #expect(proxy.forwardedRequests.isEmpty)

            try proxy.setMode(.forward)
            clock.advance(121)
            let report = await shipper.shipOnce()
            #expect(report.problem == nil, "\(report)")
            #expect(report.reconciled == AuditShipper.Reconciliation(pending: 1...3, landedThrough: nil))
            #expect(report.shipped == 3 && report.cursor == 3)
            #expect(try Shipping.sentBatches(proxy) == [[1, 2, 3]])
            #expect(try await Shipping.events(server, destination).filter { !$0.isHead }.map(\.seq) == [1, 2, 3])
        }
    }

    /// (3) A new shipper over the same database file (a restart) continues from the cursor: it settles
    /// the batch the previous process lost the answer to, then ships only what is new; a further
    /// restart with nothing new sends nothing.
    @Test func restartContinuesFromTheCursor() async throws {
        try await MotoHarness.withServer { server in
            let proxy = try TCPProxy(upstreamPort: server.port)
            defer { proxy.stop() }
            let destination = Shipping.destination()
            try await Shipping.create(server, destination)
            let state = try ShippingState()
            let clock = TestClock(Date())
            func shipper() -> AuditShipper {
                AuditShipper(
                    log: state.log, client: Shipping.client(server, through: proxy), destination: destination,
                    settings: .init(reconcileAfter: .seconds(120)), clock: { clock.now }, sleep: { _ in })
            }

            try state.notes(1...6)
            #expect(await shipper().shipOnce().cursor == 6)
            try state.notes(7...10)
            try proxy.setMode(.dropAnswer)
            let lost = await shipper().shipOnce()
            guard case .outcomeUnknown = lost.problem else {
                Issue.record("expected an unknown outcome, got \(lost)")
                return
            }

            // The process dies; another starts over the same file later.
            try state.reopen()
            try proxy.setMode(.forward)
            try state.notes(11...13)
            clock.advance(121)
            let restarted = await shipper().shipOnce()
            #expect(restarted.problem == nil, "\(restarted)")
            #expect(restarted.reconciled?.landedThrough == 10)
            #expect(restarted.first == 11 && restarted.last == 13 && restarted.cursor == 13, "\(restarted)")

            try state.reopen()
            let putsBefore = proxy.forwarded("PutLogEvents")
            let again = await shipper().shipOnce()
            #expect(again.problem == nil && again.shipped == 0 && !again.headShipped && again.cursor == 13, "\(again)")
            #expect(proxy.forwarded("PutLogEvents") == putsBefore)

            #expect(try Shipping.sentBatches(proxy).flatMap { $0 } == Array(1...13))
            #expect(try await Shipping.events(server, destination).filter { !$0.isHead }.map(\.seq) == Array(1...13))
        }
    }

    /// (4) The remote copy agrees with an intact trail, and names the entry edited afterwards with
    /// plain SQL.
    @Test func remoteVerificationNamesAnEditedEntry() async throws {
        try await MotoHarness.withServer { server in
            let state = try ShippingState()
            try state.notes(1...12)
            let destination = Shipping.destination()
            let shipper = AuditShipper(log: state.log, client: server.client(), destination: destination, sleep: { _ in })
            #expect(await shipper.shipOnce().cursor == 12)

            let intact = try await AuditShipper.remoteVerification(log: state.log, client: server.client(), destination: destination)
            #expect(intact.problem == nil && intact.streamFound)
            #expect(intact.entries == 12 && intact.heads == 1 && intact.duplicates == 0 && intact.foreign == 0 && intact.highestSeq == 12)

            try state.store.write { try $0.execute("UPDATE audit SET detail = 'nothing happened' WHERE seq = 7") }
            let problem = try await AuditShipper.verifyRemote(log: state.log, client: server.client(), destination: destination)
            guard case .remoteMismatch(let seq, let detail) = problem else {
                Issue.record("expected a remote mismatch, got \(String(describing: problem))")
                return
            }
            #expect(seq == 7)
            #expect(detail.contains("detail") && detail.contains("step 7 done") && detail.contains("nothing happened"), "\(detail)")
        }
    }

    /// (4b) What only the remote copy can tell: the local chain rewritten consistently from entry 7
    /// on (local verification passes), or its newest entries cut off with the head moved back.
    @Test(arguments: ["rewrite", "truncate"])
    func remoteVerificationCatchesWhatLocalVerificationCannot(tampering: String) async throws {
        try await MotoHarness.withServer { server in
            let state = try ShippingState()
            try state.notes(1...12)
            let destination = Shipping.destination()
            let shipper = AuditShipper(log: state.log, client: server.client(), destination: destination, sleep: { _ in })
            #expect(await shipper.shipOnce().cursor == 12)

            let entries = try state.log.entries()
            try state.store.write { c in
                if tampering == "rewrite" {
                    var previous = entries[5].hash
                    for var entry in entries[6...] {
                        if entry.seq == 7 { entry.draft.detail = "nothing happened" }
                        let relinked = AuditEntry.link(entry.draft, seq: entry.seq, at: entry.at, prevHash: previous)
                        try c.query(
                            "UPDATE audit SET detail = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                            [.optional(relinked.draft.detail), .text(relinked.prevHash), .text(relinked.hash), .integer(relinked.seq)])
                        previous = relinked.hash
                    }
                    try c.query("UPDATE meta SET value = ? WHERE key = 'audit.head'", [.text("12 \(previous)")])
                } else {
                    try c.query("DELETE FROM audit WHERE seq > 9")
                    try c.query("UPDATE meta SET value = ? WHERE key = 'audit.head'", [.text("9 \(entries[8].hash)")])
                }
            }
            #expect(try state.log.verify().problem == nil, "the local chain alone looks intact")

            let problem = try await AuditShipper.verifyRemote(log: state.log, client: server.client(), destination: destination)
            #expect(problem?.seq == (tampering == "rewrite" ? 7 : 10), "\(String(describing: problem))")
            if tampering == "truncate" {
                #expect(problem?.description.contains("the local trail does not") == true, "\(String(describing: problem))")
            }
        }
    }

    /// A missing stream is no problem while nothing was shipped to it, and a problem once the
    /// cursor says entries were (the stream was deleted, or this is the wrong destination).
    @Test func remoteVerificationOfAMissingStream() async throws {
        try await MotoHarness.withServer { server in
            let state = try ShippingState()
            try state.notes(1...2)
            let destination = Shipping.destination("never-created")
            try await Shipping.create(server, Shipping.destination())
            let none = try await AuditShipper.remoteVerification(log: state.log, client: server.client(), destination: destination)
            #expect(!none.streamFound && none.problem == nil && none.events == 0)

            try state.store.write { c -> Void in
                try c.query("INSERT INTO audit_shipping (destination, shipped_seq) VALUES (?, 2)", [.text(destination.key)])
            }
            let gone = try await AuditShipper.remoteVerification(log: state.log, client: server.client(), destination: destination)
            #expect(!gone.streamFound)
            guard case .remoteMismatch(1, let detail) = gone.problem else {
                Issue.record("expected a problem naming entry 1, got \(String(describing: gone.problem))")
                return
            }
            #expect(detail.contains("does not exist") && detail.contains("1-2"), "\(detail)")
        }
    }

    /// Batches stay under CloudWatch Logs' limits (events and bytes); an entry over the event size
    /// limit is shipped shortened, and remote verification still checks it by its hash.
    @Test func batchesRespectTheLimits() async throws {
        try await MotoHarness.withServer { server in
            let proxy = try TCPProxy(upstreamPort: server.port)
            defer { proxy.stop() }
            let state = try ShippingState()
            let big = String(repeating: "x", count: 150_000)
            try state.notes(1...9) { i in i == 5 ? String(repeating: "y", count: 300_000) : "\(i) " + big }
            try state.notes(10...1210) { "small \($0)" }
            let destination = Shipping.destination()
            try await Shipping.create(server, destination)
            let shipper = AuditShipper(
                log: state.log, client: Shipping.client(server, through: proxy), destination: destination, sleep: { _ in })
            let report = await shipper.shipOnce()
            #expect(report.problem == nil && report.cursor == 1210, "\(report)")

            var seqs: [Int] = []
            for request in proxy.forwardedRequests where request.operation == "PutLogEvents" {
                let events = try #require(try JSON.decode(request.body)["logEvents"]?.array)
                let size = events.reduce(0) { $0 + ($1["message"]?.string?.utf8.count ?? 0) + 26 }
                #expect(events.count <= 1000 && size < 1_048_576, "\(events.count) events, \(size) bytes")
                let timestamps = events.compactMap { $0["timestamp"]?.int }
                #expect(timestamps == timestamps.sorted())
                seqs += try events.compactMap { e -> Int? in
                    let m = try JSON.decode(e["message"]?.string ?? "{}")
                    return m["type"] == nil ? m["seq"]?.int : nil
                }
            }
            #expect(seqs == Array(1...1210))
            let events = try await Shipping.events(server, destination)
            let shortened = try #require(events.first { $0.seq == 5 && !$0.isHead })
            let fifth = try state.log.entries(after: 4, limit: 1).first
            #expect(shortened.value["truncated"] != nil && shortened.value["hash"]?.string == fifth?.hash)
            #expect(try await AuditShipper.verifyRemote(log: state.log, client: server.client(), destination: destination) == nil)
        }
    }

    /// Events CloudWatch Logs accepts the call with but does not store (here a head stamped by a
    /// clock days ahead of AWS's) are reported; the entries that landed are not sent again.
    @Test func rejectedEventsAreReported() async throws {
        try await MotoHarness.withServer { server in
            let state = try ShippingState()
            try state.notes(1...3)
            let destination = Shipping.destination()
            try await Shipping.create(server, destination)
            let clock = TestClock(Date().addingTimeInterval(3 * 86_400))
            let shipper = AuditShipper(log: state.log, client: server.client(), destination: destination, clock: { clock.now }, sleep: { _ in })
            let report = await shipper.shipOnce()
            #expect(report.shipped == 3 && report.cursor == 3 && !report.headShipped, "\(report)")
            guard case .rejected(let message) = report.problem else {
                Issue.record("expected rejected events, got \(report)")
                return
            }
            #expect(message.contains("the head event") && message.contains("clock"), "\(message)")
            #expect(report.problem?.isFailure == false)
            #expect(try shipper.cursor().headShippedAt == nil)
            let events = try await Shipping.events(server, destination)
            #expect(events.map(\.seq) == [1, 2, 3] && !events.contains(where: \.isHead))
        }
    }

    /// The shipper's journal lets through only its own destination's CreateLogGroup, CreateLogStream
    /// and PutLogEvents, and only a batch starting right after the cursor while nothing is pending.
    @Test func shippingJournalRefusesEverythingElse() throws {
        let state = try ShippingState()
        try state.notes(1...6)
        let destination = Shipping.destination()
        let journal = ShippingJournal(store: state.store, destination: destination)
        let entries = try state.log.entries()
        func put(_ seqs: ClosedRange<Int>, stream: String = destination.stream) -> MutationIntent {
            let events = entries.filter { seqs.contains(Int($0.seq)) }.map { AWSValue.object(["timestamp": 0, "message": .string(JSON.encode($0.json))]) }
            return MutationIntent(
                service: "logs", operation: "PutLogEvents", region: destination.region,
                parameters: ["logGroupName": .string(destination.group), "logStreamName": .string(stream), "logEvents": .array(events)],
                accessKeyID: "AKIDEXAMPLE")
        }
        func refused(_ intent: MutationIntent, _ fragment: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
            do {
                _ = try journal.recordIntent(intent)
                Issue.record("\(intent.service).\(intent.operation) was let through", sourceLocation: sourceLocation)
            } catch {
                #expect(error is ShippingJournal.Refusal, sourceLocation: sourceLocation)
                #expect(String(describing: error).contains(fragment), "\(error)", sourceLocation: sourceLocation)
            }
        }
        refused(MutationIntent(service: "sns", operation: "Publish", region: "us-east-1", parameters: ["Message": "hi"], accessKeyID: "AKID"), "sns.Publish")
        refused(MutationIntent(service: "logs", operation: "DeleteLogGroup", region: "us-east-1", parameters: ["logGroupName": .string(destination.group)], accessKeyID: "AKID"), "logs.DeleteLogGroup")
        refused(MutationIntent(service: "logs", operation: "CreateLogGroup", region: "us-east-1", parameters: ["logGroupName": "/elsewhere"], accessKeyID: "AKID"), "/elsewhere")
        refused(MutationIntent(service: "logs", operation: "CreateLogGroup", region: "eu-west-1", parameters: ["logGroupName": .string(destination.group)], accessKeyID: "AKID"), "eu-west-1")
        refused(put(1...2, stream: "someone-else"), "someone-else")
        refused(put(2...3), "would be skipped")

        #expect(try journal.recordIntent(MutationIntent(service: "logs", operation: "CreateLogStream", region: "us-east-1",
            parameters: ["logGroupName": .string(destination.group), "logStreamName": .string(destination.stream)], accessKeyID: "AKID")).id == 0)

        let ticket = try journal.recordIntent(put(1...3))
        #expect(ticket.id == 3)
        #expect(try journal.cursor().pending == 1...3)
        refused(put(4...6), "fate is not known")
        journal.recordOutcome(.unknown(detail: "reset"), for: ticket)
        refused(put(4...6), "fate is not known")
        journal.recordOutcome(.failed(code: "InvalidParameterException", message: "no", requestID: nil), for: ticket)
        #expect(try journal.cursor() == AuditShippingCursor())

        let again = try journal.recordIntent(put(1...3))
        journal.recordOutcome(.succeeded(requestID: "r-1"), for: again)
        #expect(try journal.cursor() == AuditShippingCursor(shippedSeq: 3))
        refused(put(2...4), "already been shipped")
        refused(put(3...3), "never sent twice")
    }

    /// A client journaled by the shipper's journal sends nothing it refuses.
    @Test func shippingJournalStopsOtherWritesBeforeTheyAreSent() async throws {
        try await MotoHarness.withServer { server in
            let proxy = try TCPProxy(upstreamPort: server.port)
            defer { proxy.stop() }
            let state = try ShippingState()
            let client = Shipping.client(server, through: proxy).journaled(ShippingJournal(store: state.store, destination: Shipping.destination()))
            await #expect(throws: AWSError.self) {
                _ = try await client.call(AWSCatalog.lookup(service: "logs", name: "CreateLogGroup"), ["logGroupName": "/not-the-audit-group"], region: Shipping.region)
            }
            await #expect(throws: AWSError.self) {
                _ = try await client.call(AWSCatalog.lookup(service: "sqs", name: "CreateQueue"), ["QueueName": "q"], region: Shipping.region)
            }
            #expect(proxy.forwardedRequests.isEmpty)
            _ = try await client.call(AWSCatalog.lookup(service: "logs", name: "CreateLogGroup"), ["logGroupName": .string(Shipping.group)], region: Shipping.region)
            #expect(proxy.forwarded("CreateLogGroup") == 1)
        }
    }

    /// A pending batch is read back only once its request cannot still be in flight: with the
    /// client's defaults, three 30 s attempts, two 20 s backoffs and 30 s for CloudWatch Logs to show it.
    @Test func readingBackWaitsOutTheLongestWrite() throws {
        let state = try ShippingState()
        let env = AWSEnvironment(variables: ["AWS_ENDPOINT_URL": "http://127.0.0.1:9"])
        let client = AWSClient(
            credentials: AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "not-a-secret", source: "test"),
            endpoints: EndpointResolver(environment: env), transport: CurlTransport())
        #expect(AuditShipper(log: state.log, client: client, destination: Shipping.destination()).reconcileDelay == .seconds(160))
        let fast = AuditShipper(log: state.log, client: client, destination: Shipping.destination(), settings: .init(reconcileAfter: .seconds(5)))
        #expect(fast.reconcileDelay == .seconds(5))
        #expect(fast.pause(afterFailures: 0) == .seconds(30) && fast.pause(afterFailures: 2) == .seconds(120) && fast.pause(afterFailures: 9) == .seconds(600))
    }

    /// `run` rounds `interval` apart, doubles the pause after each failing round, and is back to the
    /// interval after a success; it ends when its sleep is cancelled.
    @Test func runBacksOffWhileFailing() async throws {
        try await MotoHarness.withServer { server in
            let proxy = try TCPProxy(upstreamPort: server.port, mode: .refuse)
            defer { proxy.stop() }
            let state = try ShippingState()
            try state.notes(1...3)
            let clock = TestClock(Date())
            let pauses = Mutex<[Duration]>([])
            let shipper = AuditShipper(
                log: state.log, client: Shipping.client(server, through: proxy), destination: Shipping.destination(),
                settings: .init(interval: .seconds(30), maxBackoff: .seconds(200)), clock: { clock.now },
                sleep: { pause in
                    let count = pauses.withLock { p -> Int in
                        p.append(pause)
                        return p.count
                    }
                    clock.advance(Double(pause.components.seconds))
                    if count == 3 { try proxy.setMode(.forward) }
                    if count == 5 { throw CancellationError() }
                })
            let reports = Mutex<[AuditShipper.Report]>([])
            await shipper.run { report in reports.withLock { $0.append(report) } }
            #expect(pauses.withLock { $0 } == [.seconds(60), .seconds(120), .seconds(200), .seconds(30), .seconds(30)])
            let seen = reports.withLock { $0 }
            #expect(seen.count == 5)
            #expect(seen.prefix(3).allSatisfy { $0.problem?.isFailure == true })
            #expect(seen[3].problem == nil && seen[3].cursor == 3 && seen[4].shipped == 0, "\(seen)")
        }
    }
}

/// `breakglass audit ship` and `audit verify --remote`, run as a user would.
@Suite(.serialized)
struct AuditShipCommandTests {
    func ship(_ state: ShippingState, _ server: LocalAWSServer, _ extra: [String]) throws -> BreakglassBinary.Result {
        try BreakglassBinary.run(["audit", "ship", "--state", state.path, "--group", Shipping.group] + extra, environment: server.environment())
    }

    @Test func shipsOnceAndThenHasNothingNew() async throws {
        try await MotoHarness.withServer { server in
            let state = try ShippingState()
            try state.notes(1...5)
            let first = try ship(state, server, ["--stream", "host-a"])
            #expect(first.status == 0, "\(first.stdout) \(first.stderr)")
            #expect(first.stdout.contains("shipped 5 entries (1-5) in 1 batch; head shipped; cursor at 5"), "\(first.stdout)")
            let second = try ship(state, server, ["--stream", "host-a"])
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stdout.contains("nothing new to ship; cursor at 5"), "\(second.stdout)")
            #expect(try await Shipping.events(server, Shipping.destination("host-a")).filter { !$0.isHead }.map(\.seq) == Array(1...5))

            // Without --stream: breakglass-<hostname>, a destination with a cursor of its own.
            let byHost = try ship(state, server, [])
            #expect(byHost.status == 0 && byHost.stdout.contains("shipped 5 entries"), "\(byHost.stdout) \(byHost.stderr)")
            let stream = AuditShippingDestination.defaultStream()
            #expect(byHost.stdout.contains(stream))
            #expect(try await Shipping.events(server, Shipping.destination(stream)).filter { !$0.isHead }.count == 5)
        }
    }

    /// The destination comes from the configuration's audit.cloudwatch_logs when the command line
    /// names none; `audit verify --remote` then compares the local trail with the shipped copy and
    /// catches a local rewrite that the local check alone cannot.
    @Test func theConfigNamesTheDestinationAndVerifyRemoteCatchesARewrite() async throws {
        try await MotoHarness.withServer { server in
            let state = try ShippingState()
            try state.notes(1...4)
            let config = state.folder + "/breakglass.yaml"
            try "audit: { cloudwatch_logs: { group: /bg/from-config, stream: host-c, region: us-east-1 } }\n"
                .write(toFile: config, atomically: true, encoding: .utf8)
            let env = server.environment()
            let shipped = try BreakglassBinary.run(["audit", "ship", "--state", state.path, "--config", config], environment: env)
            #expect(shipped.status == 0, "\(shipped.stdout) \(shipped.stderr)")
            #expect(shipped.stdout.contains("/bg/from-config / host-c"), "\(shipped.stdout)")
            let dest = AuditShippingDestination(region: "us-east-1", group: "/bg/from-config", stream: "host-c")
            #expect(try await Shipping.events(server, dest).filter { !$0.isHead }.map(\.seq) == Array(1...4))

            let good = try BreakglassBinary.run(["audit", "verify", "--remote", "--state", state.path, "--config", config], environment: env)
            #expect(good.status == 0, "\(good.stdout) \(good.stderr)")
            #expect(good.stdout.contains("matches /bg/from-config / host-c (us-east-1): 4 shipped entries"), "\(good.stdout)")

            // Rewrite entry 2 locally and re-link everything after it, head included: the local
            // check passes, the remote one does not.
            var entries = try state.log.entries()
            entries[1].draft.detail = "nothing happened"
            var prev = AuditEntry.genesis
            for i in entries.indices {
                entries[i] = AuditEntry.link(entries[i].draft, seq: entries[i].seq, at: entries[i].at, prevHash: prev)
                prev = entries[i].hash
            }
            try state.store.write { c in
                for e in entries {
                    try c.query("UPDATE audit SET detail = ?, prev_hash = ?, hash = ? WHERE seq = ?", [.optional(e.draft.detail), .text(e.prevHash), .text(e.hash), .integer(e.seq)])
                }
                try c.query("UPDATE meta SET value = ? WHERE key = 'audit.head'", [.text("\(entries[3].seq) \(entries[3].hash)")])
            }
            let local = try BreakglassBinary.run(["audit", "verify", "--state", state.path], environment: env)
            #expect(local.status == 0, "the rewrite should fool the local check: \(local.stdout)")
            let remote = try BreakglassBinary.run(["audit", "verify", "--remote", "--state", state.path, "--config", config], environment: env)
            #expect(remote.status == 3, "\(remote.stdout) \(remote.stderr)")
            #expect(remote.stdout.contains("NOT INTACT against /bg/from-config / host-c") && remote.stdout.contains("entry 2"), "\(remote.stdout)")
        }
    }

    @Test func withoutAGroupAnywhereItSaysWhereToSetOne() throws {
        let state = try ShippingState()
        try state.notes(1...1)
        let r = try BreakglassBinary.run(["audit", "ship", "--state", state.path, "--region", "us-east-1"],
                                         environment: ["AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "x", "AWS_EC2_METADATA_DISABLED": "true"])
        #expect(r.status == 2, "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("--group") && r.stderr.contains("audit.cloudwatch_logs.group"), "\(r.stderr)")
    }

    @Test func aGapInTheTrailStopsShippingWithExit3() async throws {
        try await MotoHarness.withServer { server in
            let state = try ShippingState()
            try state.notes(1...5)
            try state.store.write { try $0.execute("DELETE FROM audit WHERE seq = 3") }
            let r = try ship(state, server, ["--stream", "host-a"])
            #expect(r.status == 3, "\(r.stdout) \(r.stderr)")
            #expect(r.stdout.contains("shipped 2 entries (1-2)") && r.stderr.contains("entry 3 is missing"), "\(r.stdout) \(r.stderr)")
        }
    }

    @Test(arguments: [
        (["--interval", "0"], "--interval"),
        (["--region", "us-east-1", "--region", "eu-west-1"], "one --region"),
        (["--stream", "a:b"], "log stream \"a:b\": must be"),
    ])
    func usageErrorsExit2(args: [String], message: String) throws {
        let state = try ShippingState()
        let r = try BreakglassBinary.run(["audit", "ship", "--state", state.path, "--group", Shipping.group] + args)
        #expect(r.status == 2, "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }

    @Test func aMissingStateDatabaseIsAUsageError() throws {
        let r = try BreakglassBinary.run(["audit", "ship", "--state", "\(MotoHarness.runDirectory)/none-\(UUID().uuidString)/state.db", "--group", Shipping.group])
        #expect(r.status == 2 && r.stderr.contains("no state database"), "\(r.stderr)")
    }

    /// --follow ships what is written while it runs, and stops on SIGINT (exit 130) or SIGTERM (exit 0).
    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(0))])
    func followShipsNewEntriesUntilSignalled(signal: Int32, status: Int32) async throws {
        try await MotoHarness.withServer { server in
            let state = try ShippingState()
            try state.notes(1...3)
            var environment = server.environment()
            for key in ["PATH", "HOME"] { environment[key] = ProcessInfo.processInfo.environment[key] }
            let process = try BackgroundProcess(
                BreakglassBinary.path, ["audit", "ship", "--follow", "--interval", "0.2", "--state", state.path, "--group", Shipping.group, "--stream", "host-f"],
                environment: environment)
            func waitForEntries(_ count: Int) async throws -> Bool {
                let deadline = Date().addingTimeInterval(30)
                while Date() < deadline {
                    if let events = try? await Shipping.events(server, Shipping.destination("host-f")), events.filter({ !$0.isHead }).count >= count { return true }
                    if process.hasExited { return false }
                    try await Task.sleep(for: .milliseconds(100))
                }
                return false
            }
            #expect(try await waitForEntries(3), "\(process.output()) \(process.errors())")
            try state.notes(4...6)
            #expect(try await waitForEntries(6), "\(process.output()) \(process.errors())")
            process.signal(signal)
            #expect(process.wait(timeout: 30) == status, "\(process.errors())")
            #expect(process.output().contains("cursor at 6"), "\(process.output())")
            #expect(try await Shipping.events(server, Shipping.destination("host-f")).filter { !$0.isHead }.map(\.seq) == Array(1...6))
        }
    }
}
