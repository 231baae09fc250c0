import BreakglassAWS
import Foundation

/// Why an action on an incident was refused.
public enum IncidentActionError: Error, Sendable, Equatable, CustomStringConvertible {
    case notFound(Int64)
    case refused(id: Int64, EscalationError)
    case planMissing(id: Int64, plan: String)
    case store(String)

    public var description: String {
        switch self {
        case .notFound(let id): "there is no incident \(id); `breakglass incidents --all` lists them"
        case .refused(let id, let why): "incident \(id): \(why)"
        case .planMissing(let id, let plan):
            "incident \(id) follows escalation plan `\(plan)`, which the configuration no longer has; add it back to escalate"
        case .store(let m): m
        }
    }
}

/// What one change to an incident did, for the caller to report.
public struct IncidentChange: Sendable, Equatable {
    public var incident: Incident
    public var firing: EscalationFiring?
    /// Pages (and notices) queued by the change.
    public var pagesQueued: Int
}

/// What one poll of a region did.
public struct ObserveReport: Sendable, Equatable {
    public var opened: [IncidentChange] = []
    /// (incident, alarm, from, to) for the log.
    public var changes: [(Int64, AlarmKey, AlarmState?, AlarmState)] = []
    public var resolved: [Int64] = []

    public static func == (a: ObserveReport, b: ObserveReport) -> Bool {
        a.opened == b.opened && a.resolved == b.resolved
            && a.changes.map { "\($0.0) \($0.1) \(String(describing: $0.2)) \($0.3)" } == b.changes.map { "\($0.0) \($0.1) \(String(describing: $0.2)) \($0.3)" }
    }
}

/// Incidents, their alarms and pages in the shared store. Every change is one write transaction
/// that also appends its audit entries, so the state and the trail never disagree, and any process
/// on the host (the daemon, `breakglass ack` in another shell) can make it.
public final class IncidentStore: Sendable {
    public let store: Store
    public let log: AuditLog

    public init(log: AuditLog) {
        self.store = log.store
        self.log = log
    }

    // MARK: - Alarms in, incidents out

    /// Applies one successful poll of `region`: opens incidents (paging their first stage), records
    /// alarm changes on open ones, and resolves those whose rule says `auto_resolve` once all their
    /// alarms are OK.
    public func observe(region: String, alarms: [Alarm], config: BreakglassConfig, actor: AuditActor, now: Date) throws -> ObserveReport {
        try store.write { c in
            var known: [AlarmKey: AlarmRecord] = [:]
            for row in try c.query("SELECT region, name, state, since, incident FROM alarm_states") {
                guard let region = row.text("region"), let name = row.text("name"), let state = row.text("state").flatMap(AlarmState.init),
                    let since = row.text("since").flatMap(ISO8601.parse)
                else { continue }
                known[AlarmKey(region: region, name: name)] = AlarmRecord(state: state, since: since, incident: row.integer("incident"))
            }
            var open: [OpenIncident] = []
            for row in try c.query("SELECT id, grp FROM incidents WHERE state != 'resolved'") {
                guard let id = row.integer("id"), let group = row.text("grp") else { continue }
                let keys = try c.query("SELECT region, name FROM incident_alarms WHERE incident = ?", [.integer(id)])
                    .compactMap { r in r.text("region").flatMap { region in r.text("name").map { AlarmKey(region: region, name: $0) } } }
                open.append(OpenIncident(id: id, group: group, alarms: Set(keys)))
            }
            var decisions = IncidentTracker.observe(region: region, alarms: alarms, records: known, open: open, rules: config.response)
            var report = ObserveReport()
            let stamp = ISO8601.formatMilliseconds(now)

            for opening in decisions.openings {
                let rule = config.response[opening.rule]
                guard let plan = config.plan(rule.escalation.value) else { continue }
                let (state, firing) = EscalationEngine.open(plan: plan, now: now)
                let names = opening.alarms.map(\.name)
                let title = Self.title(names: names, severity: rule.severity)
                try c.query(
                    """
                    INSERT INTO incidents (grp, rule, plan, severity, title, runbooks, state, escalation, next_at, opened_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [.text(opening.group), .text(rule.match.alarm), .text(plan.id), .integer(Int64(rule.severity)), .text(title),
                     .text(JSON.encode(.array(rule.runbooks.map { .string($0.value) }))), .text(state.word), .text(try Self.encode(state)),
                     .optional(state.nextAt.map(ISO8601.formatMilliseconds)), .text(stamp)])
                let id = c.lastInsertRowID
                for alarm in opening.alarms {
                    try Self.upsertAlarm(c, incident: id, alarm: alarm, now: stamp)
                    decisions.records[AlarmKey(region: region, name: alarm.name)]?.incident = id
                }
                try log.append(
                    AuditDraft(
                        kind: "incident.opened", actor: actor, context: AuditContext(incident: String(id)),
                        detail: "\(title): rule \(rule.match.alarm), plan \(plan.id), severity \(rule.severity)"), in: c)
                let queued = try queuePages(c, incident: id, firing: firing, config: config, actor: actor, now: now)
                report.opened.append(IncidentChange(incident: try Self.load(c, id: id), firing: firing, pagesQueued: queued))
            }
            for change in decisions.changes {
                try Self.upsertAlarm(c, incident: change.incident, alarm: change.alarm, now: stamp)
                let word = change.from == nil ? "joined the incident in \(change.alarm.state.rawValue)" : "\(change.from?.rawValue ?? "") → \(change.alarm.state.rawValue)"
                try log.append(
                    AuditDraft(
                        kind: "incident.alarm", actor: actor, context: AuditContext(incident: String(change.incident)), region: region,
                        detail: "\(change.alarm.name) \(word): \(change.alarm.reason)"), in: c)
                report.changes.append((change.incident, AlarmKey(region: region, name: change.alarm.name), change.from, change.alarm.state))
            }
            for (key, record) in decisions.records {
                try c.query(
                    """
                    INSERT INTO alarm_states (region, name, state, since, incident, seen_at) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (region, name) DO UPDATE SET state = excluded.state, since = excluded.since,
                        incident = excluded.incident, seen_at = excluded.seen_at
                    """,
                    [.text(key.region), .text(key.name), .text(record.state.rawValue), .text(ISO8601.formatMilliseconds(record.since)),
                     .optional(record.incident), .text(stamp)])
            }
            for id in decisions.autoResolved {
                _ = try apply(c, id: id, event: .resolve(by: "watch (all alarms OK)"), config: config, actor: actor, now: now,
                              note: "resolved by itself: every alarm is OK again")
                report.resolved.append(id)
            }
            return report
        }
    }

    static func title(names: [String], severity: Int) -> String {
        let first = names.first ?? "alarm"
        let more = names.count > 1 ? " and \(names.count - 1) more" : ""
        return "\(first)\(more) in ALARM (severity \(severity))"
    }

    static func upsertAlarm(_ c: SQLiteConnection, incident: Int64, alarm: Alarm, now: String) throws {
        try c.query(
            """
            INSERT INTO incident_alarms (incident, region, name, state, reason, joined_at, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (incident, region, name) DO UPDATE SET state = excluded.state, reason = excluded.reason, changed_at = excluded.changed_at
            """,
            [.integer(incident), .text(alarm.region), .text(alarm.name), .text(alarm.state.rawValue), .text(alarm.reason), .text(now), .text(now)])
    }

    // MARK: - Acting on incidents

    /// Applies `event` to incident `id` (acknowledge, resolve, snooze, escalate, or a tick) with
    /// its audit entry and the pages it causes, in one transaction.
    public func act(_ id: Int64, _ event: EscalationEvent, config: BreakglassConfig, actor: AuditActor, now: Date) throws(IncidentActionError) -> IncidentChange {
        do {
            return try store.write { c in try apply(c, id: id, event: event, config: config, actor: actor, now: now, note: nil) }
        } catch let e as IncidentActionError {
            throw e
        } catch {
            throw .store(String(describing: error))
        }
    }

    /// Ticks every unresolved incident whose next change is due at `now`.
    public func tickDue(config: BreakglassConfig, actor: AuditActor, now: Date) throws -> [IncidentChange] {
        let due = try store.read { c in
            try c.query(
                "SELECT id FROM incidents WHERE state != 'resolved' AND next_at IS NOT NULL AND next_at <= ? ORDER BY next_at",
                [.text(ISO8601.formatMilliseconds(now))]
            ).compactMap { $0.integer("id") }
        }
        var changes: [IncidentChange] = []
        for id in due {
            do {
                changes.append(try act(id, .tick, config: config, actor: actor, now: now))
            } catch .planMissing {
                // Said once by `act`'s caller through the log; the incident keeps waiting for a person.
                continue
            }
        }
        return changes
    }

    private func apply(
        _ c: SQLiteConnection, id: Int64, event: EscalationEvent, config: BreakglassConfig, actor: AuditActor, now: Date, note: String?
    ) throws -> IncidentChange {
        var incident = try Self.load(c, id: id)
        let plan: EscalationPlan
        if let found = config.plan(incident.plan) {
            plan = found
        } else {
            switch event {
            case .escalate, .tick: throw IncidentActionError.planMissing(id: id, plan: incident.plan)
            case .acknowledge, .resolve, .snooze:
                plan = EscalationPlan(id: incident.plan, stages: [], location: SourceLocation(file: "", line: 0, column: 0))
            }
        }
        let before = incident.escalation
        var state = incident.escalation
        let firing: EscalationFiring?
        do {
            firing = try EscalationEngine.apply(event, to: &state, plan: plan, now: now)
        } catch {
            throw IncidentActionError.refused(id: id, error)
        }
        if state == before && firing == nil { return IncidentChange(incident: incident, firing: nil, pagesQueued: 0) }
        let stamp = ISO8601.formatMilliseconds(now)
        let context = AuditContext(incident: String(id))
        var queued = 0
        switch event {
        case .acknowledge(let by):
            try c.query(
                "UPDATE incidents SET acknowledged_at = coalesce(acknowledged_at, ?), acknowledged_by = coalesce(acknowledged_by, ?) WHERE id = ?",
                [.text(stamp), .text(by), .integer(id)])
            let reack = plan.reackAfter.map { " It alerts again at \(ISO8601.format(now.addingTimeInterval($0.timeInterval))) unless resolved." } ?? ""
            try log.append(AuditDraft(kind: "incident.acknowledged", actor: actor, context: context, detail: "acknowledged by \(by).\(reack)"), in: c)
            try cancelPending(c, incident: id, because: "acknowledged by \(by) before it went out")
            queued += try queueNotices(c, incident: id, action: .acknowledge, number: state.firings, now: now, config: config)
        case .resolve(let by):
            try c.query("UPDATE incidents SET resolved_at = ?, resolved_by = ? WHERE id = ?", [.text(stamp), .text(by), .integer(id)])
            try log.append(AuditDraft(kind: "incident.resolved", actor: actor, context: context, detail: note ?? "resolved by \(by)"), in: c)
            try cancelPending(c, incident: id, because: "resolved before it went out")
            queued += try queueNotices(c, incident: id, action: .resolve, number: state.firings, now: now, config: config)
        case .snooze(let until, let by):
            try log.append(
                AuditDraft(kind: "incident.snoozed", actor: actor, context: context, detail: "snoozed by \(by) until \(ISO8601.format(until))"), in: c)
        case .escalate(let by):
            try log.append(AuditDraft(kind: "incident.escalated", actor: actor, context: context, detail: "escalated by \(by)"), in: c)
        case .tick:
            if state.phase == .exhausted && before.phase != .exhausted {
                try log.append(
                    AuditDraft(
                        kind: "incident.exhausted", actor: actor, context: context,
                        detail: "every stage was paged \(plan.repeatCount + 1) time(s) and nobody acknowledged; nothing more is paged by itself"),
                    in: c)
            }
        }
        try c.query(
            "UPDATE incidents SET state = ?, escalation = ?, next_at = ? WHERE id = ?",
            [.text(state.word), .text(try Self.encode(state)), .optional(state.nextAt.map(ISO8601.formatMilliseconds)), .integer(id)])
        if let firing { queued += try queuePages(c, incident: id, firing: firing, config: config, actor: actor, now: now) }
        incident = try Self.load(c, id: id)
        return IncidentChange(incident: incident, firing: firing, pagesQueued: queued)
    }

    /// One page per channel of every contact in `firing`, plus one for the consoles on the host,
    /// each named by (incident, firing, contact, channel, action) so a firing never pages twice.
    private func queuePages(
        _ c: SQLiteConnection, incident: Int64, firing: EscalationFiring, config: BreakglassConfig, actor: AuditActor, now: Date
    ) throws -> Int {
        let stamp = ISO8601.formatMilliseconds(now)
        var queued = 0
        var names: [String] = []
        for contactID in firing.contacts {
            let contact = config.contact(contactID)
            let name = contact?.name ?? contactID
            names.append(name)
            for channel in contact?.channels ?? [] {
                queued += try Self.insertPage(
                    c, incident: incident, firing: firing, action: .trigger, contact: contactID, name: name, channel: channel.key,
                    target: channel.target, status: .pending, now: stamp)
            }
            queued += try Self.insertPage(
                c, incident: incident, firing: firing, action: .trigger, contact: contactID, name: name, channel: PageRecord.consoleChannel,
                target: "every console on this host", status: .delivered, now: stamp)
        }
        let why: String
        switch firing.reason {
        case .opened: why = "the incident opened"
        case .timeout: why = "nobody acknowledged the previous stage in time"
        case .repeated: why = "pass \(firing.pass + 1): nobody acknowledged any stage"
        case .realert: why = "acknowledged but not resolved in time"
        case .snoozeEnded: why = "the snooze ended"
        case .manual: why = "escalated by hand"
        }
        try log.append(
            AuditDraft(
                kind: "page.requested", actor: actor, context: AuditContext(incident: String(incident)),
                detail: "stage \(firing.stage + 1) pages \(names.joined(separator: ", ")): \(why)\(firing.note.map { "; \($0)" } ?? "")"),
            in: c)
        return queued
    }

    static func insertPage(
        _ c: SQLiteConnection, incident: Int64, firing: EscalationFiring, action: PageAction, contact: String, name: String, channel: String,
        target: String, status: PageStatus, now: String
    ) throws -> Int {
        try c.query(
            """
            INSERT OR IGNORE INTO pages (incident, firing, stage, pass, reason, action, contact, contact_name, channel, target, status,
                created_at, next_attempt_at, delivered_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [.integer(incident), .integer(Int64(firing.number)), .integer(Int64(firing.stage)), .integer(Int64(firing.pass)),
             .text(firing.reason.rawValue), .text(action.rawValue), .text(contact), .text(name), .text(channel), .text(target), .text(status.rawValue),
             .text(now), status == .pending ? .text(now) : .null, status == .delivered ? .text(now) : .null])
        return Int(try c.query("SELECT changes() AS n").first?.integer("n") ?? 0)
    }

    /// Tells the channels that were paged for the incident (and keep state: PagerDuty, Slack,
    /// webhooks, consoles) that it was acknowledged or resolved.
    private func queueNotices(_ c: SQLiteConnection, incident: Int64, action: PageAction, number: Int, now: Date, config: BreakglassConfig) throws -> Int {
        let rows = try c.query(
            """
            SELECT DISTINCT contact, contact_name, channel, target FROM pages
            WHERE incident = ? AND action = 'trigger' AND status IN ('delivered', 'unknown', 'sending')
            """, [.integer(incident)])
        var queued = 0
        let stamp = ISO8601.formatMilliseconds(now)
        for row in rows {
            guard let contact = row.text("contact"), let channel = row.text("channel") else { continue }
            let isConsole = channel == PageRecord.consoleChannel
            if !isConsole {
                guard let configured = config.contact(contact)?.channels.first(where: { $0.key == channel }), configured.getsNotices else { continue }
            }
            let firing = EscalationFiring(number: number, stage: -1, pass: 0, contacts: [contact], reason: .manual)
            queued += try Self.insertPage(
                c, incident: incident, firing: firing, action: action, contact: contact, name: row.text("contact_name") ?? contact, channel: channel,
                target: row.text("target") ?? "", status: isConsole ? .delivered : .pending, now: stamp)
        }
        return queued
    }

    private func cancelPending(_ c: SQLiteConnection, incident: Int64, because: String) throws {
        try c.query(
            "UPDATE pages SET status = 'cancelled', next_attempt_at = NULL, detail = ? WHERE incident = ? AND action = 'trigger' AND status = 'pending'",
            [.text(because), .integer(incident)])
    }

    // MARK: - Delivering pages

    /// Pages whose next attempt is due at `now`, oldest first.
    public func duePages(now: Date, limit: Int = 50) throws -> [PageRecord] {
        try store.read { c in
            try c.query(
                "SELECT * FROM pages WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
                [.text(ISO8601.formatMilliseconds(now)), .integer(Int64(limit))]
            ).map(Self.page)
        }
    }

    /// When the next pending page is due, if any.
    public func nextPageDue() throws -> Date? {
        try store.read { c in
            try c.query("SELECT min(next_attempt_at) AS t FROM pages WHERE status = 'pending'").first?.text("t").flatMap(ISO8601.parse)
        }
    }

    /// Marks page `id` as being sent by `holder`, only if it is still pending and `holder` still
    /// holds the watch lease: a daemon that lost the lease never sends.
    public func claim(_ id: Int64, holder: LeaseHolder, now: Date) throws -> PageRecord? {
        try store.write { c in
            guard try WatchLease.holds(c, holder, now: now) else { return nil }
            try c.query(
                "UPDATE pages SET status = 'sending', attempts = attempts + 1, last_attempt_at = ? WHERE id = ? AND status = 'pending'",
                [.text(ISO8601.formatMilliseconds(now)), .integer(id)])
            guard try c.query("SELECT changes() AS n").first?.integer("n") == 1 else { return nil }
            return try c.query("SELECT * FROM pages WHERE id = ?", [.integer(id)]).first.map(Self.page)
        }
    }

    /// Records how an attempt ended, with its audit entry: delivered; failed and tried again after
    /// the policy's delay (or given up); or unknown, never sent again.
    @discardableResult
    public func finish(_ id: Int64, result: DeliveryResult, policy: PageRetryPolicy, actor: AuditActor, now: Date) throws -> PageRecord? {
        try store.write { c in
            guard let page = try c.query("SELECT * FROM pages WHERE id = ?", [.integer(id)]).first.map(Self.page) else { return nil }
            let stamp = ISO8601.formatMilliseconds(now)
            let what = "\(page.action.rawValue) to \(page.contactName) via \(page.channel) (\(page.target)), attempt \(page.attempts)"
            var draft = AuditDraft(kind: "page.delivered", actor: actor, context: AuditContext(incident: String(page.incident)))
            switch result {
            case .delivered(let reference):
                try c.query(
                    "UPDATE pages SET status = 'delivered', delivered_at = ?, next_attempt_at = NULL, reference = ?, detail = NULL WHERE id = ?",
                    [.text(stamp), .optional(reference), .integer(id)])
                draft.outcome = "delivered"
                draft.requestID = reference
                draft.detail = what
            case .failed(let detail, let retryable):
                let more = retryable && page.attempts < policy.attempts
                if more {
                    let next = now.addingTimeInterval(policy.delay(after: page.attempts))
                    try c.query(
                        "UPDATE pages SET status = 'pending', next_attempt_at = ?, detail = ? WHERE id = ?",
                        [.text(ISO8601.formatMilliseconds(next)), .text(detail), .integer(id)])
                    draft.detail = "\(what) failed: \(detail); trying again at \(ISO8601.format(next))"
                } else {
                    try c.query("UPDATE pages SET status = 'failed', next_attempt_at = NULL, detail = ? WHERE id = ?", [.text(detail), .integer(id)])
                    draft.detail = "\(what) failed: \(detail); \(retryable ? "no attempts left" : "not tried again: it cannot work as configured")"
                }
                draft.kind = "page.failed"
                draft.outcome = "failed"
            case .unknown(let detail):
                try c.query("UPDATE pages SET status = 'unknown', next_attempt_at = NULL, detail = ? WHERE id = ?", [.text(detail), .integer(id)])
                draft.kind = "page.unknown"
                draft.outcome = "unknown"
                draft.detail = "\(what): \(detail); it may have arrived, so it is not sent again"
            }
            try log.append(draft, in: c)
            return try c.query("SELECT * FROM pages WHERE id = ?", [.integer(id)]).first.map(Self.page)
        }
    }

    /// Pages left `sending` by a daemon that stopped mid-send. PagerDuty deduplicates on the
    /// incident's key, so its pages go back to pending; any other may have arrived and becomes
    /// unknown (never sent twice). Run when a daemon takes the lease.
    @discardableResult
    public func recoverInterrupted(actor: AuditActor, now: Date) throws -> Int {
        try store.write { c in
            let rows = try c.query("SELECT * FROM pages WHERE status = 'sending'").map(Self.page)
            for page in rows {
                if page.channel == "pagerduty" {
                    try c.query(
                        "UPDATE pages SET status = 'pending', next_attempt_at = ? WHERE id = ?", [.text(ISO8601.formatMilliseconds(now)), .integer(page.id)])
                } else {
                    let detail = "the daemon sending it stopped before the answer; it may have arrived, so it is not sent again"
                    try c.query("UPDATE pages SET status = 'unknown', detail = ? WHERE id = ?", [.text(detail), .integer(page.id)])
                    try log.append(
                        AuditDraft(
                            kind: "page.unknown", actor: actor, context: AuditContext(incident: String(page.incident)), outcome: "unknown",
                            detail: "\(page.action.rawValue) to \(page.contactName) via \(page.channel) (\(page.target)): \(detail)"),
                        in: c)
                }
            }
            return rows.count
        }
    }

    /// Console pages written after `after` (a page id), oldest first: what every console shows and
    /// rings for.
    public func consolePages(after: Int64, limit: Int = 100) throws -> [PageRecord] {
        try store.read { c in
            try c.query(
                "SELECT * FROM pages WHERE channel = 'console' AND id > ? ORDER BY id LIMIT ?",
                [.integer(after), .integer(Int64(limit))]
            ).map(Self.page)
        }
    }

    /// The newest page id (0 when none): a console starts showing pages written after it.
    public func lastPageID() throws -> Int64 {
        try store.read { c in try c.query("SELECT coalesce(max(id), 0) AS n FROM pages").first?.integer("n") ?? 0 }
    }

    // MARK: - Reading

    /// A random id made once per state file, so PagerDuty dedup keys and webhook delivery ids from
    /// two hosts (whose incident numbers both start at 1) never collide.
    public func instanceID() throws -> String {
        try store.write { c in
            if let id = try c.query("SELECT value FROM meta WHERE key = 'instance'").first?.text("value") { return id }
            let id = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
            try c.query("INSERT INTO meta (key, value) VALUES ('instance', ?)", [.text(String(id))])
            return String(id)
        }
    }

    public func incident(_ id: Int64) throws -> Incident? {
        try store.read { c in
            guard try c.query("SELECT id FROM incidents WHERE id = ?", [.integer(id)]).first != nil else { return nil }
            return try Self.load(c, id: id)
        }
    }

    /// Unresolved incidents (and, with `includeResolved`, the latest resolved ones), newest first.
    public func list(includeResolved: Bool = false, limit: Int = 200) throws -> [Incident] {
        try store.read { c in
            let sql = includeResolved
                ? "SELECT id FROM incidents ORDER BY id DESC LIMIT ?"
                : "SELECT id FROM incidents WHERE state != 'resolved' ORDER BY id DESC LIMIT ?"
            return try c.query(sql, [.integer(Int64(limit))]).compactMap { $0.integer("id") }.map { try Self.load(c, id: $0) }
        }
    }

    /// The incident's timeline: its audit entries, oldest first.
    public func timeline(_ id: Int64) throws -> [AuditEntry] {
        try store.read { c in
            try c.query("SELECT \(AuditLog.columns) FROM audit WHERE incident = ? ORDER BY seq", [.text(String(id))]).map(AuditLog.entry)
        }
    }

    static func load(_ c: SQLiteConnection, id: Int64) throws -> Incident {
        guard let row = try c.query("SELECT * FROM incidents WHERE id = ?", [.integer(id)]).first else { throw IncidentActionError.notFound(id) }
        let escalation: EscalationState
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .secondsSince1970
            escalation = try decoder.decode(EscalationState.self, from: Data((row.text("escalation") ?? "").utf8))
        } catch {
            throw IncidentActionError.store("incident \(id): its escalation state cannot be read (\(error)); the state file may be damaged")
        }
        let runbooks = (try? JSON.decode(Array((row.text("runbooks") ?? "[]").utf8)))?.array?.compactMap(\.string) ?? []
        let alarms = try c.query("SELECT * FROM incident_alarms WHERE incident = ? ORDER BY region, name", [.integer(id)]).map { r in
            IncidentAlarm(
                region: r.text("region") ?? "", name: r.text("name") ?? "", state: r.text("state").flatMap(AlarmState.init) ?? .insufficientData,
                reason: r.text("reason") ?? "", joinedAt: date(r.text("joined_at")), changedAt: date(r.text("changed_at")))
        }
        let pages = try c.query("SELECT * FROM pages WHERE incident = ? ORDER BY id", [.integer(id)]).map(page)
        return Incident(
            id: id, group: row.text("grp") ?? "", rule: row.text("rule") ?? "", plan: row.text("plan") ?? "",
            severity: Int(row.integer("severity") ?? 0), title: row.text("title") ?? "", runbooks: runbooks, escalation: escalation,
            openedAt: date(row.text("opened_at")), firstAcknowledgedAt: row.text("acknowledged_at").flatMap(ISO8601.parse),
            firstAcknowledgedBy: row.text("acknowledged_by"), resolvedAt: row.text("resolved_at").flatMap(ISO8601.parse),
            resolvedBy: row.text("resolved_by"), drill: row.text("drill"), alarms: alarms, pages: pages)
    }

    static func page(_ r: SQLRow) -> PageRecord {
        PageRecord(
            id: r.integer("id") ?? 0, incident: r.integer("incident") ?? 0, firing: Int(r.integer("firing") ?? 0), stage: Int(r.integer("stage") ?? 0),
            pass: Int(r.integer("pass") ?? 0), reason: r.text("reason") ?? "", action: r.text("action").flatMap(PageAction.init) ?? .trigger,
            contact: r.text("contact") ?? "", contactName: r.text("contact_name") ?? "", channel: r.text("channel") ?? "",
            target: r.text("target") ?? "", status: r.text("status").flatMap(PageStatus.init) ?? .unknown, attempts: Int(r.integer("attempts") ?? 0),
            createdAt: date(r.text("created_at")), nextAttemptAt: r.text("next_attempt_at").flatMap(ISO8601.parse),
            lastAttemptAt: r.text("last_attempt_at").flatMap(ISO8601.parse), deliveredAt: r.text("delivered_at").flatMap(ISO8601.parse),
            detail: r.text("detail"), reference: r.text("reference"))
    }

    static func date(_ text: String?) -> Date { text.flatMap(ISO8601.parse) ?? Date(timeIntervalSince1970: 0) }

    static func encode(_ state: EscalationState) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.dateEncodingStrategy = .secondsSince1970
        return String(decoding: try encoder.encode(state), as: UTF8.self)
    }
}
