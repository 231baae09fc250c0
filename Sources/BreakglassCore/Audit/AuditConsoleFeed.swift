import Foundation

/// The audit screen's side of the shared store: the tail of the trail and the chain's
/// verification, each answered without reading the trail when no process committed since the
/// last answer. Every call is disk I/O, so a console calls it off its main loop. Thread-safe.
public final class AuditConsoleFeed: @unchecked Sendable {
    public let log: AuditLog
    private let lock = NSLock()
    /// The change token and starting point of the last complete tail answer.
    private var settledTail: (token: Int64, after: Int64?)?
    /// The change token of the last verification.
    private var settledVerification: Int64?

    public init(log: AuditLog) {
        self.log = log
    }

    /// Entries after entry `after`, oldest first, at most `limit`; with `after` nil, the newest
    /// `limit`. Nil without reading when nothing was committed since the last call asked after the
    /// same entry and got everything there was.
    public func tail(after: Int64?, limit: Int) throws -> [AuditEntry]? {
        let token = try log.store.changeToken()
        if let settled = locked({ settledTail }), settled.token == token, settled.after == after { return nil }
        let entries = try after.map { try log.entries(after: $0, limit: limit) } ?? log.last(limit)
        // A full batch may have more behind it: ask again next time whatever the token says.
        let full = after != nil && entries.count >= limit
        locked { settledTail = full ? nil : (token, entries.last?.seq ?? after) }
        return entries
    }

    /// The whole chain checked, as `breakglass audit verify` does; nil when nothing was committed
    /// since the last verification (its verdict stands).
    public func verify() throws -> AuditLog.Verification? {
        let token = try log.store.changeToken()
        if locked({ settledVerification }) == token { return nil }
        let verification = try log.verify()
        locked { settledVerification = token }
        return verification
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}
