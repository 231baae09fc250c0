import BreakglassAWS
import Foundation

/// The audit trail in the store: append-only, hash-chained, shared by every process on the host.
///
/// Each append reads the chain's last entry, links the new one to it and records the new head, all
/// in one `BEGIN IMMEDIATE` transaction, so concurrent writers (a daemon and several consoles)
/// queue and the chain never forks. The commit is durable (`synchronous=FULL`) when `append` returns.
public final class AuditLog: Sendable {
    public let store: Store
    private let clock: @Sendable () -> Date

    public init(store: Store, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.clock = clock
    }

    static let columns = """
        seq, at, kind, user, ssh_client, caller_arn, role, service, operation, region, parameters, request_id, outcome, \
        detail, incident, drill, runbook, step, intent_seq, prev_hash, hash
        """

    /// Appends `draft` (text fields sanitised of control characters, secrets redacted by the caller)
    /// and returns the linked entry once it is durably committed.
    @discardableResult
    public func append(_ draft: AuditDraft) throws -> AuditEntry {
        try store.write { c in try append(draft, in: c) }
    }

    /// Appends `draft` inside a write transaction the caller holds (`Store.write`), so a change of
    /// state and the entry that records it commit together or not at all.
    @discardableResult
    public func append(_ draft: AuditDraft, in c: SQLiteConnection) throws -> AuditEntry {
        let at = ISO8601.formatMilliseconds(clock())
        let head = try Self.head(c)
        let entry = AuditEntry.link(draft, seq: (head?.seq ?? 0) + 1, at: at, prevHash: head?.hash ?? AuditEntry.genesis)
        let d = entry.draft
        try c.query(
            "INSERT INTO audit (\(Self.columns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                .integer(entry.seq), .text(entry.at), .text(d.kind), .text(d.actor.user), .optional(d.actor.sshClient),
                .optional(d.actor.callerARN), .optional(d.context.role), .optional(d.service), .optional(d.operation),
                .optional(d.region), .optional(d.parameters), .optional(d.requestID), .optional(d.outcome), .optional(d.detail),
                .optional(d.context.incident), .optional(d.context.drill), .optional(d.context.runbook), .optional(d.context.step),
                .optional(d.intentSeq), .text(entry.prevHash), .text(entry.hash),
            ])
        try c.query(
            "INSERT INTO meta (key, value) VALUES ('audit.head', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [.text("\(entry.seq) \(entry.hash)")])
        return entry
    }

    /// The (seq, hash) recorded with the last append; nil before the first.
    static func head(_ c: SQLiteConnection) throws -> (seq: Int64, hash: String)? {
        guard let value = try c.query("SELECT value FROM meta WHERE key = 'audit.head'").first?.text("value") else { return nil }
        let parts = value.split(separator: " ")
        guard parts.count == 2, let seq = Int64(parts[0]) else { return (seq: -1, hash: value) }
        return (seq, String(parts[1]))
    }

    public func head() throws -> (seq: Int64, hash: String)? { try store.read { try Self.head($0) } }

    static func entry(_ row: SQLRow) -> AuditEntry {
        let draft = AuditDraft(
            kind: row.text("kind") ?? "",
            actor: AuditActor(user: row.text("user") ?? "", sshClient: row.text("ssh_client"), callerARN: row.text("caller_arn")),
            context: AuditContext(
                incident: row.text("incident"), drill: row.text("drill"), runbook: row.text("runbook"), step: row.text("step"),
                role: row.text("role")),
            service: row.text("service"), operation: row.text("operation"), region: row.text("region"),
            parameters: row.text("parameters"), requestID: row.text("request_id"), outcome: row.text("outcome"),
            detail: row.text("detail"), intentSeq: row.integer("intent_seq"))
        return AuditEntry(
            seq: row.integer("seq") ?? 0, at: row.text("at") ?? "", draft: draft, prevHash: row.text("prev_hash") ?? "",
            hash: row.text("hash") ?? "")
    }

    /// Entries with seq > `after`, oldest first, at most `limit`.
    public func entries(after: Int64 = 0, limit: Int = Int.max) throws -> [AuditEntry] {
        try store.read { c in
            try c.query("SELECT \(Self.columns) FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", [.integer(after), .integer(Int64(min(limit, Int(Int64.max))))])
                .map(Self.entry)
        }
    }

    /// The newest `count` entries, oldest first.
    public func last(_ count: Int) throws -> [AuditEntry] {
        try store.read { c in
            try c.query("SELECT \(Self.columns) FROM audit ORDER BY seq DESC LIMIT ?", [.integer(Int64(count))]).map(Self.entry).reversed()
        }
    }

    /// Hands every entry, oldest first, to `body` without holding them all in memory.
    public func forEach(_ body: (AuditEntry) throws -> Void) throws {
        try store.read { c in
            try c.each("SELECT \(Self.columns) FROM audit ORDER BY seq") { (row) throws(SQLiteError) in
                do { try body(Self.entry(row)) } catch let e as SQLiteError { throw e } catch {
                    throw SQLiteError(code: 0, message: String(describing: error), context: "reading the audit trail")
                }
            }
        }
    }

    /// The result of checking the whole chain.
    public struct Verification: Sendable {
        public let entries: Int64
        public let head: (seq: Int64, hash: String)?
        public let problem: AuditChainVerifier.Problem?
        public var intact: Bool { problem == nil }
    }

    /// Walks the whole chain in one snapshot; see `AuditChainVerifier` for what it detects.
    public func verify() throws -> Verification {
        try store.read { c in
            let head = try Self.head(c)
            var verifier = AuditChainVerifier(head: head)
            var count: Int64 = 0
            try c.each("SELECT \(Self.columns) FROM audit ORDER BY seq") { row in
                count += 1
                verifier.feed(Self.entry(row))
            }
            return Verification(entries: count, head: head, problem: verifier.finish())
        }
    }
}
