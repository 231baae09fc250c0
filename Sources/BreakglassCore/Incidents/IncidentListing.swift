import BreakglassAWS
import Foundation

/// The next page an incident's escalation will send by itself: when, which stage, to whom.
public struct NextPage: Sendable, Equatable {
    public var at: Date
    /// 0-based stage index.
    public var stage: Int
    /// 0-based pass.
    public var pass: Int
    /// Contact ids, as the plan names them.
    public var contacts: [String]
    public var reason: EscalationFiring.Reason

    public init(at: Date, stage: Int, pass: Int, contacts: [String], reason: EscalationFiring.Reason) {
        self.at = at
        self.stage = stage
        self.pass = pass
        self.contacts = contacts
        self.reason = reason
    }

    /// What happens at `escalation.nextAt` if nobody acts before: `.tick` applied then to a copy of
    /// the state. Nil when nothing is timed, the plan is gone from the configuration, or the timed
    /// change pages nobody (the last pass ran out: the incident becomes exhausted).
    public static func of(_ escalation: EscalationState, plan: EscalationPlan?) -> NextPage? {
        guard let plan, let at = escalation.nextAt, escalation.phase != .resolved else { return nil }
        var copy = escalation
        guard let firing = try? EscalationEngine.apply(.tick, to: &copy, plan: plan, now: at), !firing.contacts.isEmpty else { return nil }
        return NextPage(at: at, stage: firing.stage, pass: firing.pass, contacts: firing.contacts, reason: firing.reason)
    }
}

/// Whether a watch daemon holds the lease on the state, as `WatchLease.live` found it.
public struct WatchStatus: Sendable, Equatable {
    public var pid: Int32
    public var host: String
    public var until: Date

    public init(pid: Int32, host: String, until: Date) {
        self.pid = pid
        self.host = host
        self.until = until
    }
}

/// The `breakglass incidents`, `ack`, `resolve`, `snooze` and `escalate` output forms. Pure: the
/// same incidents, configuration and clock give the same text. Every untrusted field (alarm names
/// and reasons, page details, audit text, user names) is sanitised before it is placed in a table
/// or a sentence; JSON keeps text as stored and lets JSON escaping make it inert.
public enum IncidentListing {
    // MARK: Small forms

    /// A countdown that reads at a glance: `04:12`, `1:04:12`, `2d04h`. Negative spans read `00:00`.
    public static func countdown(_ seconds: TimeInterval) -> String {
        let s = seconds.isFinite ? max(0, Int(min(seconds, 1e12).rounded(.up))) : 0
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        switch s {
        case ..<3600: return "\(two(s / 60)):\(two(s % 60))"
        case ..<86400: return "\(s / 3600):\(two(s % 3600 / 60)):\(two(s % 60))"
        default: return "\(s / 86400)d\(two(s % 86400 / 3600))h"
        }
    }

    /// "03:30" (UTC) when `date` is less than 20 hours from `now` either way, else "11-22 03:30".
    public static func clock(_ date: Date, now: Date) -> String {
        let iso = ISO8601.format(date)  // 2026-11-21T03:30:00Z
        let hm = String(iso.dropFirst(11).prefix(5))
        if abs(date.timeIntervalSince(now)) < 20 * 3600 { return hm }
        return String(iso.dropFirst(5).prefix(5)) + " " + hm
    }

    /// "2026-11-21 03:30:07 UTC".
    public static func fullTime(_ date: Date) -> String {
        ISO8601.format(date).replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: " UTC")
    }

    /// The state word, short enough for a table column.
    public static func stateLabel(_ incident: Incident) -> String {
        switch incident.escalation.phase {
        case .paging, .exhausted: "open"
        case .acknowledged: "acked"
        case .resolved: "resolved"
        }
    }

    /// "2/3" (stage 2 of a 3-stage plan), "2/3 p2" on the second pass, "—" before any stage, or
    /// "2" when the plan is gone from the configuration.
    public static func stageLabel(_ incident: Incident, plan: EscalationPlan?) -> String {
        let e = incident.escalation
        guard e.stage >= 0 else { return "—" }
        var text = plan.map { "\(e.stage + 1)/\($0.stages.count)" } ?? "\(e.stage + 1)"
        if e.pass > 0 { text += " p\(e.pass + 1)" }
        return text
    }

    /// Contact display names, from the configuration (the id when it no longer has the contact).
    public static func names(_ contacts: [String], config: BreakglassConfig) -> [String] {
        contacts.map { config.contact($0)?.name ?? $0 }
    }

    /// "Primary", "Primary and Secondary", "Backup, Secondary and Primary".
    public static func spoken(_ names: [String]) -> String {
        switch names.count {
        case 0: "nobody"
        case 1: names[0]
        default: names.dropLast().joined(separator: ", ") + " and " + (names.last ?? "")
        }
    }

    /// The NEXT PAGE cell: "04:12 Secondary", "due Backup +1" (its time passed and no daemon has
    /// acted on it), "snoozed until 03:30", "— exhausted", or "—".
    public static func nextPageCell(_ incident: Incident, config: BreakglassConfig, now: Date) -> String {
        let e = incident.escalation
        if e.phase == .resolved { return "—" }
        if let until = e.snoozedUntil, until > now { return "snoozed until \(clock(until, now: now))" }
        guard let plan = config.plan(incident.plan) else { return "— no plan" }
        guard let next = NextPage.of(e, plan: plan) else { return e.phase == .exhausted ? "— exhausted" : "—" }
        let shown = names(next.contacts, config: config)
        let who = TerminalText.sanitize((shown.first ?? "") + (shown.count > 1 ? " +\(shown.count - 1)" : ""))
        let left = next.at.timeIntervalSince(now)
        return (left > 0 ? countdown(left) : "due") + " " + who
    }

    // MARK: Table

    /// One line per incident, at most `width` columns (never under 60): ID, STATE, SEV, TITLE (cut
    /// to what is left, by display width), STAGE, NEXT PAGE, ACK BY.
    public static func table(_ incidents: [Incident], config: BreakglassConfig, now: Date, width: Int = 80) -> String {
        let width = max(width, 60)
        let header = ["ID", "STATE", "SEV", "TITLE", "STAGE", "NEXT PAGE", "ACK BY"]
        let rows: [[String]] = incidents.map { i in
            [
                String(i.id), stateLabel(i), String(i.severity), TerminalText.sanitize(shortTitle(i)),
                stageLabel(i, plan: config.plan(i.plan)), nextPageCell(i, config: config, now: now),
                TerminalText.sanitize(i.escalation.acknowledgedBy ?? "—"),
            ]
        }
        func widest(_ column: Int, least: Int, most: Int) -> Int {
            min(most, max(least, rows.map { TerminalText.width($0[column]) }.max() ?? 0))
        }
        var widths = [
            widest(0, least: 2, most: 8), widest(1, least: 5, most: 8), 3, 0, widest(4, least: 5, most: 8),
            widest(5, least: 9, most: 22), widest(6, least: 6, most: 12),
        ]
        let others = widths.reduce(0, +) + 2 * (widths.count - 1)
        widths[3] = min(max(10, width - others), max(5, rows.map { TerminalText.width($0[3]) }.max() ?? 5))
        func line(_ cells: [String]) -> String {
            var text = ""
            for (i, cell) in cells.enumerated() {
                if i > 0 { text += "  " }
                text += TerminalText.pad(cell, toWidth: widths[i], alignment: i == 0 || i == 2 ? .trailing : .leading)
            }
            while text.hasSuffix(" ") { text.removeLast() }
            return TerminalText.truncate(text, toWidth: width)
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    /// The title without the " in ALARM (severity N)" the store ends it with: the table's SEV
    /// column says the severity, and the alarms may be OK again by now.
    public static func shortTitle(_ incident: Incident) -> String {
        let suffix = " in ALARM (severity \(incident.severity))"
        guard incident.title.hasSuffix(suffix), incident.title.count > suffix.count else { return incident.title }
        return String(incident.title.dropLast(suffix.count))
    }

    /// The line every table form ends with: whether a daemon is paging from this state.
    public static func watchLine(_ watch: WatchStatus?, now: Date) -> String {
        guard let watch else {
            return "No `breakglass watch` is running on this state: pages are queued, but nothing is sending them."
        }
        return TerminalText.sanitize("`breakglass watch` is running (pid \(watch.pid) on \(watch.host)) and sending pages.")
    }

    /// `watchLine` wrapped to `width` columns, for the end of the list.
    public static func watchLines(_ watch: WatchStatus?, now: Date, width: Int = 80) -> String {
        TerminalText.wrap(watchLine(watch, now: now), toWidth: max(width, 40)).joined(separator: "\n")
    }

    // MARK: Detail

    /// One incident in full: the summary, its alarms, its pages and its timeline, each line at
    /// most `width` columns.
    public static func detail(
        _ incident: Incident, timeline: [AuditEntry], config: BreakglassConfig, watch: WatchStatus?, now: Date, width: Int = 80
    ) -> String {
        let width = max(width, 60)
        let e = incident.escalation
        let plan = config.plan(incident.plan)
        var out: [String] = []
        func add(_ text: String) { out.append(TerminalText.truncate(text, toWidth: width)) }
        /// A labelled value, wrapped under its label rather than cut: these lines carry the warnings.
        func field(_ name: String, _ value: String) {
            for (i, line) in TerminalText.wrap(value, toWidth: width - 13, maxLines: 4).enumerated() {
                add(TerminalText.pad(i == 0 ? name : "", toWidth: 13) + line)
            }
        }

        add("Incident \(incident.id) · \(incident.state) · severity \(incident.severity)")
        add(TerminalText.sanitize(incident.title))
        add("")
        field("Opened", "\(fullTime(incident.openedAt)), \(CompactDuration.format((incident.resolvedAt ?? now).timeIntervalSince(incident.openedAt))) \(incident.resolvedAt == nil ? "ago" : "before it was resolved")")
        var escalation = "plan \(TerminalText.sanitize(incident.plan))"
        if let plan {
            if e.stage >= 0 { escalation += ", stage \(e.stage + 1) of \(plan.stages.count)" }
            escalation += ", pass \(e.pass + 1) of \(plan.repeatCount + 1)"
        } else {
            escalation += " (not in the configuration any more: it cannot page again until it is put back)"
        }
        if e.realerts > 0 { escalation += ", \(e.realerts) re-alert\(e.realerts == 1 ? "" : "s")" }
        field("Escalation", escalation)
        field("Next page", nextPageText(incident, plan: plan, config: config, now: now))
        if let by = e.acknowledgedBy, let at = e.acknowledgedAt {
            var text = TerminalText.sanitize("by \(by) at \(fullTime(at))")
            if let tta = incident.secondsToAcknowledge { text += ", \(CompactDuration.format(tta)) after it opened" }
            // The store keeps the first acknowledgement to the millisecond; the same one is not said twice.
            if let first = incident.firstAcknowledgedBy, let firstAt = incident.firstAcknowledgedAt, abs(firstAt.timeIntervalSince(at)) >= 0.01 {
                text += TerminalText.sanitize(" (first by \(first) at \(clock(firstAt, now: now)))")
            }
            field("Acknowledged", text)
        } else if let first = incident.firstAcknowledgedBy, let firstAt = incident.firstAcknowledgedAt {
            field("Acknowledged", TerminalText.sanitize("not now; first by \(first) at \(fullTime(firstAt)), then it alerted again"))
        } else {
            field("Acknowledged", "—")
        }
        if let at = incident.resolvedAt {
            field("Resolved", TerminalText.sanitize("by \(incident.resolvedBy ?? "someone") at \(fullTime(at))"))
        }
        field("Runbooks", incident.runbooks.isEmpty ? "—" : TerminalText.sanitize(incident.runbooks.joined(separator: ", ")))
        field("Watch", watchLine(watch, now: now))

        add("")
        add("Alarms")
        if incident.alarms.isEmpty { add("  —") }
        let regionW = min(14, incident.alarms.map { TerminalText.width(TerminalText.sanitize($0.region)) }.max() ?? 6)
        let nameW = min(30, incident.alarms.map { TerminalText.width(TerminalText.sanitize($0.name)) }.max() ?? 4)
        // Reasons say what crossed which threshold: wrapped under their column (up to three lines),
        // or under the alarm when the names leave too little room.
        let reasonStart = 2 + 5 + 2 + regionW + 2 + nameW + 2
        for a in incident.alarms {
            let head = "  " + TerminalText.pad(AlarmListing.label(a.state), toWidth: 5) + "  " + TerminalText.pad(TerminalText.sanitize(a.region), toWidth: regionW)
                + "  " + TerminalText.pad(TerminalText.sanitize(a.name), toWidth: nameW)
            let reason = TerminalText.sanitize(a.reason)
            if width - reasonStart >= 24 {
                let lines = TerminalText.wrap(reason, toWidth: width - reasonStart, maxLines: 3)
                add(lines.isEmpty ? head : head + "  " + lines[0])
                for line in lines.dropFirst() { add(String(repeating: " ", count: reasonStart) + line) }
            } else {
                add(head)
                for line in TerminalText.wrap(reason, toWidth: width - 4, maxLines: 3) { add("    " + line) }
            }
        }

        add("")
        add("Pages")
        if incident.pages.isEmpty {
            add("  —")
        } else {
            let whoW = min(14, max(3, incident.pages.map { TerminalText.width(TerminalText.sanitize($0.contactName)) }.max() ?? 3))
            let cols: [(String, Int)] = [("WHEN", 5), ("WHAT", 7), ("WHO", whoW), ("CHANNEL", 9), ("STATUS", 9), ("TRIES", 5), ("TARGET", 0)]
            func row(_ cells: [String]) -> String {
                var text = " "
                for (i, cell) in cells.enumerated() {
                    text += " " + (cols[i].1 > 0 ? TerminalText.pad(cell, toWidth: cols[i].1) : cell)
                    if i < cells.count - 1 { text += " " }
                }
                while text.hasSuffix(" ") { text.removeLast() }
                return text
            }
            add(row(cols.map(\.0)))
            for p in incident.pages {
                let what = p.action == .trigger ? "stage \(p.stage + 1)" : p.action == .acknowledge ? "ack" : "resolve"
                add(row([
                    clock(p.createdAt, now: now), what, TerminalText.sanitize(p.contactName), TerminalText.sanitize(p.channel), p.status.rawValue,
                    String(p.attempts), TerminalText.sanitize(p.target),
                ]))
                var notes: [String] = []
                if let at = p.deliveredAt, p.status == .delivered, p.channel != PageRecord.consoleChannel { notes.append("delivered \(clock(at, now: now))") }
                if let next = p.nextAttemptAt, p.status == .pending, p.attempts > 0 { notes.append("next try \(clock(next, now: now))") }
                if let detail = p.detail { notes.append(TerminalText.sanitize(detail)) }
                if !notes.isEmpty { add("        ↳ " + notes.joined(separator: "; ")) }
            }
        }

        add("")
        add("Timeline (UTC)")
        if timeline.isEmpty { add("  —") }
        let kindW = min(22, timeline.map { TerminalText.width(TerminalText.sanitize($0.draft.kind)) }.max() ?? 4)
        for entry in timeline {
            let at = ISO8601.parse(entry.at).map { ISO8601.format($0) } ?? entry.at
            let time = String(at.dropFirst(11).prefix(8))
            var who = entry.draft.actor.user
            if let ssh = entry.draft.actor.sshClient { who += "@" + ssh }
            let outcome = entry.draft.outcome.map { "[\($0)] " } ?? ""
            add(
                "  " + time + "  " + TerminalText.pad(TerminalText.sanitize(entry.draft.kind), toWidth: kindW) + "  "
                    + TerminalText.sanitize("\(who)  \(outcome)\(AuditListing.what(entry.draft))"))
        }
        return out.joined(separator: "\n")
    }

    /// The "Next page" line of the detail view.
    static func nextPageText(_ incident: Incident, plan: EscalationPlan?, config: BreakglassConfig, now: Date) -> String {
        let e = incident.escalation
        if e.phase == .resolved { return "none: resolved" }
        guard let plan else { return "none: its escalation plan is not in the configuration" }
        guard let next = NextPage.of(e, plan: plan) else {
            switch e.phase {
            case .exhausted: return "none: every stage was paged and nobody acknowledged; `breakglass escalate \(incident.id)` pages again"
            case .acknowledged: return "none by itself: acknowledged, and the plan has no reack_after"
            default: return "none by itself"
            }
        }
        let who = TerminalText.sanitize(spoken(names(next.contacts, config: config)))
        let left = next.at.timeIntervalSince(now)
        let at = "\(clock(next.at, now: now)) UTC"
        let pages = "stage \(next.stage + 1) pages \(who)"
        switch next.reason {
        case .snoozeEnded:
            let until = left > 0 ? "snoozed until \(at) (\(countdown(left)) from now)" : "a snooze ended at \(at)"
            return "\(until); then \(pages) unless acknowledged or resolved"
        case .realert:
            return "\(pages) \(left > 0 ? "in \(countdown(left)) (\(at))" : "due since \(at)") unless resolved"
        default:
            let pass = next.reason == .repeated ? " (pass \(next.pass + 1))" : ""
            return "\(pages)\(pass) \(left > 0 ? "in \(countdown(left)) (\(at))" : "due since \(at)") unless acknowledged"
        }
    }

    // MARK: JSON

    /// Seconds as a JSON number, to the millisecond, without trailing zeros.
    static func seconds(_ value: Double?) -> AWSValue {
        guard let value, value.isFinite, abs(value) < 1e12 else { return .null }
        let ms = Int64((value * 1000).rounded())
        let whole = String(ms / 1000)
        guard ms % 1000 != 0 else { return .number(whole) }
        var fraction = String(abs(ms % 1000))
        while fraction.count < 3 { fraction = "0" + fraction }
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return .number((ms < 0 && ms / 1000 == 0 ? "-" : "") + whole + "." + fraction)
    }

    static func time(_ date: Date?) -> AWSValue { date.map { .string(ISO8601.format($0)) } ?? .null }
    static func text(_ s: String?) -> AWSValue { s.map(AWSValue.string) ?? .null }

    /// One incident for machines, keys in a fixed order (docs/INCIDENTS.md lists them). With
    /// `timeline`, also its audit entries.
    public static func json(_ incident: Incident, config: BreakglassConfig, timeline: [AuditEntry]? = nil) -> AWSValue {
        let e = incident.escalation
        let plan = config.plan(incident.plan)
        let next = NextPage.of(e, plan: plan)
        var o = AWSObject()
        o["id"] = .number(String(incident.id))
        o["state"] = .string(incident.state)
        o["phase"] = .string(e.phase.rawValue)
        o["title"] = .string(incident.title)
        o["severity"] = .int(incident.severity)
        o["plan"] = .string(incident.plan)
        o["rule"] = .string(incident.rule)
        o["alarms"] = .array(incident.alarms.map { a in
            .object(AWSObject([
                ("name", .string(a.name)), ("region", .string(a.region)), ("state", .string(a.state.rawValue)), ("reason", .string(a.reason)),
                ("joined_at", time(a.joinedAt)), ("changed_at", time(a.changedAt)),
            ]))
        })
        o["stage"] = e.stage >= 0 ? .int(e.stage + 1) : .null
        o["stages"] = plan.map { .int($0.stages.count) } ?? .null
        o["pass"] = .int(e.pass + 1)
        o["passes"] = plan.map { .int($0.repeatCount + 1) } ?? .null
        o["next_page_at"] = time(next?.at)
        o["next_page_stage"] = next.map { .int($0.stage + 1) } ?? .null
        o["next_page_to"] = .array((next?.contacts ?? []).map(AWSValue.string))
        o["snoozed_until"] = time(e.snoozedUntil)
        o["realerts"] = .int(e.realerts)
        o["pages"] = .array(incident.pages.map(page))
        o["acknowledged_by"] = text(e.phase == .acknowledged ? e.acknowledgedBy : nil)
        o["acknowledged_at"] = time(e.phase == .acknowledged ? e.acknowledgedAt : nil)
        o["first_acknowledged_by"] = text(incident.firstAcknowledgedBy)
        o["first_acknowledged_at"] = time(incident.firstAcknowledgedAt)
        o["opened_at"] = time(incident.openedAt)
        o["resolved_at"] = time(incident.resolvedAt)
        o["resolved_by"] = text(incident.resolvedBy)
        o["tta_seconds"] = seconds(incident.secondsToAcknowledge)
        o["ttr_seconds"] = seconds(incident.secondsToResolve)
        o["runbooks"] = .array(incident.runbooks.map(AWSValue.string))
        o["drill"] = text(incident.drill)
        if let timeline {
            o["timeline"] = .array(timeline.map { entry in
                .object(AWSObject([
                    ("seq", .number(String(entry.seq))), ("at", .string(entry.at)), ("kind", .string(entry.draft.kind)),
                    ("user", .string(entry.draft.actor.user)), ("ssh_client", text(entry.draft.actor.sshClient)),
                    ("outcome", text(entry.draft.outcome)), ("detail", text(entry.draft.detail)),
                ]))
            })
        }
        return .object(o)
    }

    static func page(_ p: PageRecord) -> AWSValue {
        .object(AWSObject([
            ("id", .number(String(p.id))), ("who", .string(p.contact)), ("name", .string(p.contactName)),
            ("stage", p.action == .trigger ? .int(p.stage + 1) : .null), ("pass", p.action == .trigger ? .int(p.pass + 1) : .null),
            ("reason", .string(p.reason)), ("channel", .string(p.channel)), ("target", .string(p.target)), ("action", .string(p.action.rawValue)),
            ("status", .string(p.status.rawValue)), ("when", time(p.createdAt)), ("delivered", .bool(p.status == .delivered)),
            ("delivered_at", time(p.deliveredAt)), ("attempts", .int(p.attempts)), ("next_attempt_at", time(p.nextAttemptAt)),
            ("detail", text(p.detail)), ("reference", text(p.reference)),
        ]))
    }

    /// The list form: an array of `json(_:config:)` objects.
    public static func json(_ incidents: [Incident], config: BreakglassConfig) -> AWSValue {
        .array(incidents.map { json($0, config: config) })
    }

    // MARK: Sentences for the actions

    /// What `ack`, `resolve`, `snooze` or `escalate` did and what happens next, in one or two plain
    /// sentences. `event` is the event the command applied; `change` is what the store returned.
    public static func sentence(for event: EscalationEvent, change: IncidentChange, config: BreakglassConfig, now: Date) -> String {
        let incident = change.incident
        let id = incident.id
        let plan = config.plan(incident.plan)
        let next = NextPage.of(incident.escalation, plan: plan)
        func at(_ date: Date) -> String { "\(clock(date, now: now)) UTC" }
        func who(_ contacts: [String]) -> String { spoken(names(contacts, config: config)) }
        var text: String
        switch event {
        case .acknowledge(let by):
            text = "Incident \(id) acknowledged by \(by). Escalation stopped; "
            if let next {
                text += "it alerts \(who(next.contacts)) again at \(at(next.at)) unless resolved."
            } else {
                text += "nothing more is paged by itself. Run `breakglass resolve \(id)` when it is over."
            }
        case .resolve(let by):
            let took = incident.secondsToResolve.map { ", \(CompactDuration.format($0)) after it opened" } ?? ""
            text = "Incident \(id) resolved by \(by)\(took). Nothing more is paged for it."
        case .snooze(let until, let by):
            text = "Incident \(id) snoozed by \(by) until \(at(until)). Nothing is paged until then"
            if let next, next.reason == .snoozeEnded {
                text += "; then stage \(next.stage + 1) pages \(who(next.contacts)) again unless it is acknowledged or resolved first."
            } else {
                text += "."
            }
        case .escalate(let by):
            if let firing = change.firing {
                text = "Incident \(id) escalated by \(by): stage \(firing.stage + 1) pages \(who(firing.contacts)) now."
                if let note = firing.note { text += " (\(note))" }
            } else {
                text = "Incident \(id) escalated by \(by)."
            }
            if let next {
                let step = next.reason == .repeated ? "the plan starts over: stage \(next.stage + 1)" : "stage \(next.stage + 1)"
                text += " If nobody acknowledges, \(step) pages \(who(next.contacts)) at \(at(next.at))."
            } else {
                text += " Nothing more is paged by itself after that."
            }
        case .tick:
            text = "Incident \(id) checked."
        }
        return TerminalText.sanitize(text)
    }

    /// New pages in `after` that wait for the daemon to send them (not console pages, which need
    /// no sending): pages whose id is above `lastPageID`.
    public static func queuedForSending(_ after: Incident, lastPageID: Int64) -> [PageRecord] {
        after.pages.filter { $0.id > lastPageID && $0.status == .pending }
    }
}
