import BreakglassAWS
import Foundation

/// Where the audit trail is shipped: one CloudWatch Logs stream in one region.
public struct AuditShippingDestination: Sendable, Hashable, CustomStringConvertible {
    public var region: String
    public var group: String
    public var stream: String

    public init(region: String, group: String, stream: String) {
        self.region = region
        self.group = group
        self.stream = stream
    }

    /// The key of this destination's row in `audit_shipping`: `logs:REGION:GROUP:STREAM`.
    public var key: String { "logs:\(region):\(group):\(stream)" }

    public var description: String { "\(group) / \(stream) (CloudWatch Logs, \(region))" }

    /// `breakglass-<hostname>`: one stream per host, because each host has its own trail. CloudWatch
    /// Logs refuses `:` and `*` in stream names; they become `-`.
    public static func defaultStream(hostname: String = currentHostname()) -> String {
        let cleaned = String(hostname.map { $0 == ":" || $0 == "*" || $0.isWhitespace || $0.isNewline ? "-" : $0 }.prefix(400))
        return "breakglass-" + (cleaned.isEmpty ? "unknown-host" : cleaned)
    }

    /// gethostname(2), without a DNS lookup.
    public static func currentHostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The durable shipping cursor of one destination: the row of `audit_shipping`.
public struct AuditShippingCursor: Sendable, Equatable {
    /// Every entry up to and including this seq has landed in the stream (0: none yet).
    public var shippedSeq: Int64
    /// A batch that was (or is being) sent and whose fate is not yet known.
    public var pending: ClosedRange<Int64>?
    /// When the pending batch's intent was recorded, as stored (ISO 8601, milliseconds).
    public var pendingSince: String?
    /// When a head event last landed, as stored.
    public var headShippedAt: String?

    public init(shippedSeq: Int64 = 0, pending: ClosedRange<Int64>? = nil, pendingSince: String? = nil, headShippedAt: String? = nil) {
        self.shippedSeq = shippedSeq
        self.pending = pending
        self.pendingSince = pendingSince
        self.headShippedAt = headShippedAt
    }

    /// Reads the row for `key`; a destination never shipped to reads as an empty cursor.
    static func read(_ c: SQLiteConnection, key: String) throws -> AuditShippingCursor {
        guard let row = try c.query(
            "SELECT shipped_seq, pending_first, pending_last, pending_since, head_shipped_at FROM audit_shipping WHERE destination = ?",
            [.text(key)]
        ).first else { return AuditShippingCursor() }
        var pending: ClosedRange<Int64>?
        if let first = row.integer("pending_first"), let last = row.integer("pending_last"), first <= last { pending = first...last }
        return AuditShippingCursor(
            shippedSeq: row.integer("shipped_seq") ?? 0, pending: pending, pendingSince: row.text("pending_since"),
            headShippedAt: row.text("head_shipped_at"))
    }

    static func ensureRow(_ c: SQLiteConnection, key: String) throws {
        try c.query("INSERT INTO audit_shipping (destination, shipped_seq) VALUES (?, 0) ON CONFLICT (destination) DO NOTHING", [.text(key)])
    }
}

/// The `MutationJournal` for the shipper's own CloudWatch Logs calls.
///
/// Why not the audit trail itself: `AWSClient` sends no write without a journal, and the product's
/// journal is the audit trail (`AuditJournal`). Journaling the shipper's PutLogEvents there would
/// append an intent and an outcome entry for every batch shipped; those two entries would then need
/// shipping, which appends two more, and so on for ever — the trail would never be caught up and
/// would grow on an idle host. So the shipper keeps its own journal, in the place that already has to
/// be durable: the destination's `audit_shipping` row. The pending range (`pending_first` ..
/// `pending_last`, `pending_since`) written before a batch is sent *is* the durable intent; the outcome
/// advances `shipped_seq` (success), clears the range (a definite failure: AWS refused it, or it was
/// never sent), or leaves it (outcome unknown: the next round reads the stream back first).
///
/// What this journal does not record — who shipped what when — is not lost: the shipped events are
/// the audit entries themselves, and the stream has its own ingestion times.
///
/// Because it writes no audit entry, it must not become a way round the audit trail: it refuses
/// (throws, so the client sends nothing) every call except CreateLogGroup, CreateLogStream and
/// PutLogEvents to the shipper's own destination group (and stream), in the destination's region.
/// For PutLogEvents it also refuses a batch that does not start right after the cursor, or that would
/// go out while an earlier batch's fate is unknown: the guarantee "never an entry twice" is checked
/// here, in the same transaction that records the intent, whoever the caller is.
public struct ShippingJournal: MutationJournal {
    public let store: Store
    public let destination: AuditShippingDestination
    private let clock: @Sendable () -> Date

    public init(store: Store, destination: AuditShippingDestination, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.destination = destination
        self.clock = clock
    }

    /// Why a call was refused; the client reports it as `AWSError.audit` and sends nothing.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// The destination's cursor as stored.
    public func cursor() throws -> AuditShippingCursor {
        let key = destination.key
        return try store.read { try AuditShippingCursor.read($0, key: key) }
    }

    /// The operations this journal lets through.
    public static let allowedOperations: Set<String> = ["CreateLogGroup", "CreateLogStream", "PutLogEvents"]

    public func recordIntent(_ intent: MutationIntent) throws -> MutationTicket {
        let name = "\(intent.service).\(intent.operation)"
        guard intent.service == AWSService.logs.signingName, Self.allowedOperations.contains(intent.operation) else {
            throw Refusal(reason: "the audit shipper's journal records only logs CreateLogGroup, CreateLogStream and PutLogEvents; \(name) must go through the audit trail")
        }
        guard intent.region == destination.region else {
            throw Refusal(reason: "\(name) to region \(intent.region) refused: the audit shipper writes only to \(destination)")
        }
        guard intent.parameters["logGroupName"]?.string == destination.group else {
            throw Refusal(reason: "\(name) to log group \(intent.parameters["logGroupName"]?.string ?? "(none)") refused: the audit shipper writes only to \(destination)")
        }
        if intent.operation != "CreateLogGroup", intent.parameters["logStreamName"]?.string != destination.stream {
            throw Refusal(reason: "\(name) to log stream \(intent.parameters["logStreamName"]?.string ?? "(none)") refused: the audit shipper writes only to \(destination)")
        }
        guard intent.operation == "PutLogEvents" else { return MutationTicket(id: 0) }

        let seqs = try Self.entrySeqs(intent.parameters["logEvents"])
        let since = ISO8601.formatMilliseconds(clock())
        let key = destination.key
        return try store.write { c in
            try AuditShippingCursor.ensureRow(c, key: key)
            let cursor = try AuditShippingCursor.read(c, key: key)
            if let pending = cursor.pending {
                throw Refusal(reason: "entries \(pending.lowerBound)-\(pending.upperBound) were sent to \(destination) at \(cursor.pendingSince ?? "an unknown time") and their fate is not known yet; nothing more is sent until the stream has been read back")
            }
            guard let first = seqs.first, let last = seqs.last else {
                // Head events only: nothing to reconcile if the answer is lost (a head may repeat).
                return MutationTicket(id: 0)
            }
            guard first == cursor.shippedSeq + 1 else {
                throw Refusal(reason: first <= cursor.shippedSeq
                    ? "entry \(first) has already been shipped to \(destination) (cursor at \(cursor.shippedSeq)); it is never sent twice"
                    : "entries \(cursor.shippedSeq + 1)-\(first - 1) would be skipped (cursor at \(cursor.shippedSeq))")
            }
            try c.query(
                "UPDATE audit_shipping SET pending_first = ?, pending_last = ?, pending_since = ? WHERE destination = ?",
                [.integer(first), .integer(last), .text(since), .text(key)])
            return MutationTicket(id: last)
        }
    }

    public func recordOutcome(_ outcome: MutationOutcome, for ticket: MutationTicket) {
        // Ticket 0: a create call or a batch of head events only; there is no range to settle.
        guard ticket.id > 0 else { return }
        let key = destination.key
        // If this write fails, the range stays pending and the next round reads the stream back to
        // settle it: the same path as a lost answer, so nothing is sent twice either way.
        switch outcome {
        case .succeeded:
            _ = try? store.write { c in
                try c.query(
                    "UPDATE audit_shipping SET shipped_seq = pending_last, pending_first = NULL, pending_last = NULL, pending_since = NULL WHERE destination = ? AND pending_last = ?",
                    [.text(key), .integer(ticket.id)])
            }
        case .failed, .notSent:
            _ = try? store.write { c in
                try c.query(
                    "UPDATE audit_shipping SET pending_first = NULL, pending_last = NULL, pending_since = NULL WHERE destination = ? AND pending_last = ?",
                    [.text(key), .integer(ticket.id)])
            }
        case .unknown:
            break
        }
    }

    /// The seqs of the audit entries among `events` (head events left out), checked to be consecutive.
    static func entrySeqs(_ events: AWSValue?) throws -> [Int64] {
        guard let events = events?.array else { throw Refusal(reason: "PutLogEvents without logEvents") }
        var seqs: [Int64] = []
        seqs.reserveCapacity(events.count)
        for event in events {
            guard let message = event["message"]?.string, let value = try? JSON.decode(message), value.object != nil else {
                throw Refusal(reason: "PutLogEvents with an event that is not an audit entry or head: the audit shipper sends nothing else")
            }
            if value["type"]?.string == "head" { continue }
            guard let seq = value["seq"]?.int else { throw Refusal(reason: "PutLogEvents with an event without a seq") }
            if let previous = seqs.last, Int64(seq) != previous + 1 {
                throw Refusal(reason: "PutLogEvents with entries out of order or with a gap (\(previous) then \(seq))")
            }
            seqs.append(Int64(seq))
        }
        return seqs
    }
}
