import BreakglassAWS
import Foundation

/// Who holds (or wants) the watch lease: one daemon process.
public struct LeaseHolder: Sendable, Equatable {
    /// Unique per daemon start, so a restarted daemon with a reused pid is not taken for the old one.
    public var id: String
    public var pid: Int32
    public var host: String

    public init(id: String = UUID().uuidString, pid: Int32 = getpid(), host: String = LeaseHolder.hostName()) {
        self.id = id
        self.pid = pid
        self.host = host
    }

    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// What `WatchLease.acquire` found.
public enum LeaseStatus: Sendable, Equatable {
    /// This holder has the lease until then.
    case held(until: Date, takenOver: Bool)
    /// Another daemon has it.
    case heldByOther(holder: String, pid: Int32, host: String, until: Date)
}

/// The lease that lets exactly one watch daemon on a state file poll, open incidents and page.
///
/// The holder renews it well before it expires; a daemon that finds it expired, or held by a
/// process on this host that no longer exists, takes it over. Every page is claimed under the
/// lease (`IncidentStore.claim`), so a daemon that lost it — paused, then woken after a takeover —
/// sends nothing more.
public struct WatchLease: Sendable {
    public let store: Store
    public let name: String
    /// How long a lease lasts without renewal.
    public let period: TimeInterval
    /// Whether a pid on this host is alive; injected so tests can play a dead holder.
    private let isAlive: @Sendable (Int32) -> Bool

    public init(store: Store, name: String = "watch", period: TimeInterval, isAlive: @escaping @Sendable (Int32) -> Bool = WatchLease.processExists) {
        self.store = store
        self.name = name
        self.period = period
        self.isAlive = isAlive
    }

    public static func processExists(_ pid: Int32) -> Bool {
        if kill(pid, 0) == 0 { return true }
        return errno == EPERM
    }

    /// Takes or renews the lease for `holder` at `now`.
    public func acquire(_ holder: LeaseHolder, now: Date) throws -> LeaseStatus {
        try store.write { c in
            let until = now.addingTimeInterval(period)
            if let row = try c.query("SELECT holder, pid, host, expires_at FROM leases WHERE name = ?", [.text(name)]).first {
                let current = row.text("holder") ?? ""
                let pid = Int32(truncatingIfNeeded: row.integer("pid") ?? 0)
                let host = row.text("host") ?? ""
                let expires = row.text("expires_at").flatMap(ISO8601.parse) ?? .distantPast
                if current != holder.id, expires > now, !(host == holder.host && !isAlive(pid)) {
                    return .heldByOther(holder: current, pid: pid, host: host, until: expires)
                }
                let takenOver = current != holder.id
                try c.query(
                    "UPDATE leases SET holder = ?, pid = ?, host = ?, acquired_at = CASE WHEN holder = ? THEN acquired_at ELSE ? END, expires_at = ? WHERE name = ?",
                    [.text(holder.id), .integer(Int64(holder.pid)), .text(holder.host), .text(holder.id), .text(ISO8601.formatMilliseconds(now)),
                     .text(ISO8601.formatMilliseconds(until)), .text(name)])
                return .held(until: until, takenOver: takenOver)
            }
            try c.query(
                "INSERT INTO leases (name, holder, pid, host, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                [.text(name), .text(holder.id), .integer(Int64(holder.pid)), .text(holder.host), .text(ISO8601.formatMilliseconds(now)),
                 .text(ISO8601.formatMilliseconds(until))])
            return .held(until: until, takenOver: false)
        }
    }

    /// Gives the lease up (on a clean stop), so a standby takes over at once.
    public func release(_ holder: LeaseHolder) throws {
        try store.write { c in try c.query("DELETE FROM leases WHERE name = ? AND holder = ?", [.text(name), .text(holder.id)]) }
    }

    /// Whether `holder` holds the lease at `now`, inside a transaction the caller holds.
    static func holds(_ c: SQLiteConnection, name: String = "watch", _ holder: LeaseHolder, now: Date) throws -> Bool {
        guard let row = try c.query("SELECT holder, expires_at FROM leases WHERE name = ?", [.text(name)]).first else { return false }
        let expires = row.text("expires_at").flatMap(ISO8601.parse) ?? .distantPast
        return row.text("holder") == holder.id && expires > now
    }

    /// The current holder, if the lease is live at `now`: for `breakglass incidents` to say whether
    /// anything is paging.
    public func live(now: Date) throws -> (pid: Int32, host: String, until: Date)? {
        try store.read { c in
            guard let row = try c.query("SELECT pid, host, expires_at FROM leases WHERE name = ?", [.text(name)]).first,
                let expires = row.text("expires_at").flatMap(ISO8601.parse), expires > now
            else { return nil }
            let pid = Int32(truncatingIfNeeded: row.integer("pid") ?? 0)
            let host = row.text("host") ?? ""
            if host == LeaseHolder.hostName(), !isAlive(pid) { return nil }
            return (pid, host, expires)
        }
    }
}
