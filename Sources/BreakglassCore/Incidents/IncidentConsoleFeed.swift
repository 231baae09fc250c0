import Foundation

/// What a console's incidents screen reads in one poll: the incidents it lists, the one it shows
/// in full (with its timeline), and whether a watch daemon holds the lease. Text is as stored
/// (alarm names are untrusted): sanitise it before it reaches a terminal.
public struct IncidentConsoleSnapshot: Sendable, Equatable {
    public var incidents: [Incident]
    /// The incident asked for in full and its audit entries, oldest first; nil when none was asked
    /// for or it does not exist.
    public var detail: Incident?
    public var timeline: [AuditEntry]
    /// The daemon sending pages from this state, when one holds the lease now.
    public var watch: WatchStatus?

    public init(incidents: [Incident], detail: Incident? = nil, timeline: [AuditEntry] = [], watch: WatchStatus? = nil) {
        self.incidents = incidents
        self.detail = detail
        self.timeline = timeline
        self.watch = watch
    }
}

/// The incidents screen's side of the shared store: a poll that costs one `PRAGMA` when no process
/// committed since the last answer to the same question, and the screen's actions, which go
/// through `IncidentStore.act` with their audit entries. Every call is disk I/O, so a console calls
/// it off its main loop. Thread-safe.
public final class IncidentConsoleFeed: @unchecked Sendable {
    public let incidents: IncidentStore
    private let lock = NSLock()
    /// The change token and question of the last complete answer.
    private var settled: (token: Int64, includeResolved: Bool, detail: Int64?)?

    public init(incidents: IncidentStore) {
        self.incidents = incidents
    }

    /// The incidents (unresolved ones; with `includeResolved`, the latest resolved too) and, with
    /// `detail`, that incident in full. Nil, without reading anything else, when nothing was
    /// committed since the last call asked the same and `force` is false.
    public func poll(includeResolved: Bool, detail: Int64?, force: Bool = false, now: Date) throws -> IncidentConsoleSnapshot? {
        let token = try incidents.store.changeToken()
        if !force, let settled = locked({ settled }), settled.token == token, settled.includeResolved == includeResolved,
            settled.detail == detail
        {
            return nil
        }
        var snapshot = IncidentConsoleSnapshot(incidents: try incidents.list(includeResolved: includeResolved))
        if let detail, let incident = try incidents.incident(detail) {
            snapshot.detail = incident
            snapshot.timeline = try incidents.timeline(detail)
        }
        snapshot.watch = try Self.watch(incidents.store, now: now)
        locked { settled = (token, includeResolved, detail) }
        return snapshot
    }

    /// Applies `event` to incident `id` as `actor` and says, in a sentence or two, what it did and
    /// what happens next; warns when pages it queued have no watch daemon to send them.
    public func act(_ id: Int64, _ event: EscalationEvent, config: BreakglassConfig, actor: AuditActor, now: Date) throws(IncidentActionError)
        -> String
    {
        let lastPageID: Int64
        do {
            lastPageID = try incidents.incident(id)?.pages.map(\.id).max() ?? 0
        } catch {
            throw .store(String(describing: error))
        }
        let change = try incidents.act(id, event, config: config, actor: actor, now: now)
        var text = IncidentListing.sentence(for: event, change: change, config: config, now: now)
        let queued = IncidentListing.queuedForSending(change.incident, lastPageID: lastPageID)
        if !queued.isEmpty, (try? Self.watch(incidents.store, now: now)) == nil {
            text += " No `breakglass watch` is running on this state: nothing sends the \(queued.count == 1 ? "page" : "\(queued.count) pages") queued."
        }
        return text
    }

    static func watch(_ store: Store, now: Date) throws -> WatchStatus? {
        // `live` only reads the lease; the period is the one a daemon would take it for.
        try WatchLease(store: store, period: 30).live(now: now).map { WatchStatus(pid: $0.pid, host: $0.host, until: $0.until) }
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}
