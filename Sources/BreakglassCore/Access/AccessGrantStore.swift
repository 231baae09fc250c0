import BreakglassAWS
import Foundation

/// One row of `access_grants`: who holds which role until when, and why. Never the credentials
/// (the access key id names the key in CloudTrail and is not a secret).
public struct AccessGrantRecord: Sendable, Equatable {
    public var id: Int64
    public var role: String
    public var roleARN: String
    public var user: String
    public var sshClient: String?
    public var sessionName: String
    public var sourceIdentity: String
    public var accessKeyID: String?
    public var runbook: String?
    public var incident: String?
    public var reason: String
    public var grantedAt: Date
    public var expiresAt: Date
    public var revokedAt: Date?
    public var revokedBy: String?
    /// The agent holding the credentials.
    public var holderPID: Int32?

    public init(
        id: Int64 = 0, role: String, roleARN: String, user: String, sshClient: String? = nil, sessionName: String, sourceIdentity: String,
        accessKeyID: String?, runbook: String?, incident: String?, reason: String, grantedAt: Date, expiresAt: Date, revokedAt: Date? = nil,
        revokedBy: String? = nil, holderPID: Int32? = nil
    ) {
        self.id = id
        self.role = role
        self.roleARN = roleARN
        self.user = user
        self.sshClient = sshClient
        self.sessionName = sessionName
        self.sourceIdentity = sourceIdentity
        self.accessKeyID = accessKeyID
        self.runbook = runbook
        self.incident = incident
        self.reason = reason
        self.grantedAt = grantedAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.revokedBy = revokedBy
        self.holderPID = holderPID
    }

    /// Neither revoked nor past its expiration at `now`.
    public func isActive(at now: Date) -> Bool { revokedAt == nil && expiresAt > now }
}

/// The `access_grants` table (Store migration 3).
public struct AccessGrantStore: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    static let columns = """
        id, role, role_arn, user, ssh_client, session_name, source_identity, access_key_id, runbook, incident, reason, granted_at, \
        expires_at, revoked_at, revoked_by, holder_pid
        """

    /// Records a grant; returns its id.
    public func insert(_ r: AccessGrantRecord) throws -> Int64 {
        try store.write { c in
            let rows = try c.query(
                """
                INSERT INTO access_grants (role, role_arn, user, ssh_client, session_name, source_identity, access_key_id, runbook, \
                incident, reason, granted_at, expires_at, revoked_at, revoked_by, holder_pid) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id
                """,
                [
                    .text(r.role), .text(r.roleARN), .text(r.user), .optional(r.sshClient), .text(r.sessionName), .text(r.sourceIdentity),
                    .optional(r.accessKeyID), .optional(r.runbook), .optional(r.incident), .text(r.reason),
                    .text(ISO8601.formatMilliseconds(r.grantedAt)), .text(ISO8601.formatMilliseconds(r.expiresAt)),
                    .optional(r.revokedAt.map(ISO8601.formatMilliseconds)), .optional(r.revokedBy), .optional(r.holderPID.map(Int64.init)),
                ])
            guard let id = rows.first?.integer("id") else { throw AccessRequestError("inserting into access_grants returned no id") }
            return id
        }
    }

    public func setHolder(_ id: Int64, pid: Int32?) throws {
        try store.write { c in
            _ = try c.query("UPDATE access_grants SET holder_pid = ? WHERE id = ?", [.optional(pid.map(Int64.init)), .integer(id)])
        }
    }

    /// Marks a grant revoked (unless it already is); true when this call marked it.
    @discardableResult
    public func markRevoked(_ id: Int64, by: String, at: Date) throws -> Bool {
        try store.write { c in
            let rows = try c.query(
                "UPDATE access_grants SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL RETURNING id",
                [.text(ISO8601.formatMilliseconds(at)), .text(by), .integer(id)])
            return !rows.isEmpty
        }
    }

    public func record(_ id: Int64) throws -> AccessGrantRecord? {
        try store.read { c in try c.query("SELECT \(Self.columns) FROM access_grants WHERE id = ?", [.integer(id)]).first.map(Self.record) }
    }

    /// Grants neither revoked nor expired at `now`, of `user` when given, oldest first.
    public func active(at now: Date, user: String? = nil) throws -> [AccessGrantRecord] {
        try store.read { c in
            try c.query(
                "SELECT \(Self.columns) FROM access_grants WHERE revoked_at IS NULL AND expires_at > ? AND (? IS NULL OR user = ?) ORDER BY id",
                [.text(ISO8601.formatMilliseconds(now)), .optional(user), .optional(user)]
            ).map(Self.record)
        }
    }

    /// Every active grant and the newest `endedLimit` others, newest first.
    public func recent(at now: Date, endedLimit: Int = 10) throws -> [AccessGrantRecord] {
        let active = try self.active(at: now)
        let ended = try store.read { c in
            try c.query(
                "SELECT \(Self.columns) FROM access_grants WHERE revoked_at IS NOT NULL OR expires_at <= ? ORDER BY id DESC LIMIT ?",
                [.text(ISO8601.formatMilliseconds(now)), .integer(Int64(endedLimit))]
            ).map(Self.record)
        }
        return (active + ended).sorted { $0.id > $1.id }
    }

    static func record(_ row: SQLRow) -> AccessGrantRecord {
        func date(_ name: String) -> Date? { row.text(name).flatMap(ISO8601.parse) }
        return AccessGrantRecord(
            id: row.integer("id") ?? 0, role: row.text("role") ?? "", roleARN: row.text("role_arn") ?? "", user: row.text("user") ?? "",
            sshClient: row.text("ssh_client"), sessionName: row.text("session_name") ?? "", sourceIdentity: row.text("source_identity") ?? "",
            accessKeyID: row.text("access_key_id"), runbook: row.text("runbook"), incident: row.text("incident"), reason: row.text("reason") ?? "",
            grantedAt: date("granted_at") ?? Date(timeIntervalSince1970: 0), expiresAt: date("expires_at") ?? Date(timeIntervalSince1970: 0),
            revokedAt: date("revoked_at"), revokedBy: row.text("revoked_by"), holderPID: row.integer("holder_pid").map { Int32(truncatingIfNeeded: $0) })
    }
}
