import Foundation

/// One console page as a console shows it: the page row with its incident's title and severity,
/// and, for an acknowledge or resolve notice, who did it. The text is as stored (alarm names are
/// untrusted): sanitise it before it reaches a terminal.
public struct ConsolePage: Sendable, Hashable {
    /// The page row's id; consoles ask for pages after the newest id they have seen.
    public var id: Int64
    public var incident: Int64
    /// The firing's number within the incident: the rows of one stage firing (one per contact)
    /// share it.
    public var firing: Int
    public var action: PageAction
    /// The 1-based stage that sent a trigger page; 0 for notices.
    public var stage: Int
    public var contactName: String
    /// The incident's title: "prod-api in ALARM (severity 1)".
    public var title: String
    public var severity: Int
    /// Who acknowledged or resolved the incident, for notices; nil for trigger pages.
    public var by: String?
    public var createdAt: Date

    public init(
        id: Int64, incident: Int64, firing: Int, action: PageAction, stage: Int, contactName: String, title: String,
        severity: Int, by: String? = nil, createdAt: Date
    ) {
        self.id = id
        self.incident = incident
        self.firing = firing
        self.action = action
        self.stage = stage
        self.contactName = contactName
        self.title = title
        self.severity = severity
        self.by = by
        self.createdAt = createdAt
    }
}

/// What a console reads from the shared store to show pages the watch daemon (or `breakglass ack`
/// in another shell) wrote, and how it acknowledges from the keyboard. Every call is disk I/O, so
/// a console calls it off its main loop. Thread-safe.
///
/// Polling is cheap: `pages(after:)` first compares the store's change token with the one from the
/// last complete answer, and reads nothing when no process has committed since.
public final class ConsolePageFeed: @unchecked Sendable {
    public let incidents: IncidentStore
    private let lock = NSLock()
    /// The change token and page id of the last answer that held every page there was.
    private var settled: (token: Int64, after: Int64)?

    public init(incidents: IncidentStore) {
        self.incidents = incidents
    }

    /// The newest page id now: a console that starts shows only pages written after it.
    public func start() throws -> Int64 {
        try incidents.lastPageID()
    }

    /// Console pages written after page `after`, oldest first, at most `limit`, each with its
    /// incident's title and severity. Empty without reading any page when nothing was committed
    /// since the last call that asked after the same id and got everything.
    public func pages(after: Int64, limit: Int = 100) throws -> [ConsolePage] {
        let token = try incidents.store.changeToken()
        if let settled = locked({ settled }), settled.token == token, settled.after == after { return [] }
        let records = try incidents.consolePages(after: after, limit: limit)
        var byIncident: [Int64: Incident] = [:]
        var pages: [ConsolePage] = []
        for record in records {
            if byIncident[record.incident] == nil, let incident = try incidents.incident(record.incident) {
                byIncident[record.incident] = incident
            }
            pages.append(Self.page(record, incident: byIncident[record.incident]))
        }
        // A full batch may have more behind it: ask again next time whatever the token says.
        let next = records.last?.id ?? after
        locked { settled = records.count < limit ? (token, next) : nil }
        return pages
    }

    /// Acknowledges incident `id` as `actor.user`, with its audit entry and notices, and returns who
    /// it was acknowledged by. An incident whose escalation plan left the configuration can still be
    /// acknowledged.
    public func acknowledge(_ id: Int64, config: BreakglassConfig, actor: AuditActor, now: Date) throws(IncidentActionError) -> String {
        let change = try incidents.act(id, .acknowledge(by: actor.user), config: config, actor: actor, now: now)
        return change.incident.escalation.acknowledgedBy ?? change.incident.firstAcknowledgedBy ?? actor.user
    }

    static func page(_ record: PageRecord, incident: Incident?) -> ConsolePage {
        let by: String?
        switch record.action {
        case .trigger: by = nil
        case .acknowledge: by = incident?.escalation.acknowledgedBy ?? incident?.firstAcknowledgedBy
        case .resolve: by = incident?.resolvedBy
        }
        return ConsolePage(
            id: record.id, incident: record.incident, firing: record.firing, action: record.action,
            stage: record.action == .trigger ? record.stage + 1 : 0, contactName: record.contactName,
            title: incident?.title ?? "incident \(record.incident)", severity: incident?.severity ?? 0, by: by,
            createdAt: record.createdAt)
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}
