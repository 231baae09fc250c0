import BreakglassAWS
import Foundation

// The drill clock: a pure function from what happened (the drill, its audit entries, what the
// sandbox saw, the time now) to milestones, the participant's current step, the time-to-recovery
// clock against the target, and a readable event log. docs/DRILLS.md describes every rule here.

/// What the sandbox (or whoever watches the scenario) saw, as plain values: when each alarm first
/// entered ALARM, and when the scenario's recovery condition first held.
public struct DrillSignals: Sendable, Equatable {
    /// Alarm name -> when it first entered ALARM.
    public var alarmedAt: [String: Date]
    /// When every recovery condition first held; nil while it has not.
    public var recoveredAt: Date?

    public init(alarmedAt: [String: Date] = [:], recoveredAt: Date? = nil) {
        self.alarmedAt = alarmedAt
        self.recoveredAt = recoveredAt
    }
}

/// What the report can say about a runbook's step beyond its number.
public struct DrillStepInfo: Sendable, Equatable {
    /// The step's `id:` in the runbook, when it has one.
    public var id: String?
    /// A headline in plain words ("Change something in AWS (asks yes or no first): sqs.PurgeQueue").
    public var title: String

    public init(id: String? = nil, title: String) {
        self.id = id
        self.title = title
    }

    /// Runbook id -> its steps, in order, titled as `runbook show` heads them.
    public static func catalog(_ runbooks: [Runbook]) -> [String: [DrillStepInfo]] {
        var out: [String: [DrillStepInfo]] = [:]
        for runbook in runbooks {
            out[runbook.id] = runbook.steps.map { DrillStepInfo(id: $0.id?.value, title: RunbookListing.describe($0).headline) }
        }
        return out
    }
}

/// One step of one runbook, as the drill saw it.
public struct DrillStep: Sendable, Equatable, Hashable {
    public var runbook: String
    /// The run it was first seen in (runbook runs are numbered by the store).
    public var run: Int64
    /// Counted from 1, as audit entries count them.
    public var number: Int
    public var id: String?
    public var title: String?

    public init(runbook: String, run: Int64, number: Int, id: String? = nil, title: String? = nil) {
        self.runbook = runbook
        self.run = run
        self.number = number
        self.id = id
        self.title = title
    }

    /// "sqs-flush step 2 (purge)": the runbook, the number and the id, without the title.
    public var name: String { "\(runbook) step \(number)" + (id.map { " (\($0))" } ?? "") }
}

/// A moment the drill measures.
public struct DrillMilestone: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        case detected
        case acknowledged
        case accessGranted = "access_granted"
        case stepStarted = "step_started"
        case stepFinished = "step_finished"
        case recovered

        /// In words, capitalised.
        public var words: String {
            switch self {
            case .detected: "Detected"
            case .acknowledged: "Acknowledged"
            case .accessGranted: "Access granted"
            case .stepStarted: "Step started"
            case .stepFinished: "Step finished"
            case .recovered: "Recovered"
            }
        }
    }

    public var kind: Kind
    public var at: Date
    /// Seconds since the drill started.
    public var offset: TimeInterval
    /// Seconds since the milestone before it (since the start, for the first).
    public var sincePrevious: TimeInterval
    /// For the step kinds.
    public var step: DrillStep?
    /// Whose action it was (nil for detected and recovered, which come from the sandbox).
    public var by: String?
    /// What it was: "prod-db-cpu in ALARM", "incident 3", "role db-break-glass", "done". Untrusted.
    public var detail: String

    /// "Detected", "Step 2 started", ...: what to call it in a table.
    public var label: String {
        switch kind {
        case .stepStarted: "Step \(step?.number ?? 0) started"
        case .stepFinished: "Step \(step?.number ?? 0) finished"
        default: kind.words
        }
    }
}

/// A line of the drill's event log. `text` is untrusted (alarm names, notes, AWS messages).
public struct DrillEvent: Sendable, Equatable {
    public var at: Date
    public var offset: TimeInterval
    /// An audit entry's kind, or `drill.started`, `drill.note`, `drill.stopped`, `alarm`, `recovered`.
    public var kind: String
    public var by: String?
    public var text: String
    /// The audit entry it comes from, if any.
    public var seq: Int64?

    public init(at: Date, offset: TimeInterval, kind: String, by: String? = nil, text: String, seq: Int64? = nil) {
        self.at = at
        self.offset = offset
        self.kind = kind
        self.by = by
        self.text = text
        self.seq = seq
    }
}

/// The time-to-recovery clock.
public struct DrillClock: Sendable, Equatable {
    public enum State: String, Sendable, Equatable {
        /// Not recovered, drill running: the clock runs.
        case running
        /// Recovered: the clock stopped at recovery.
        case recovered
        /// The drill stopped before recovery: the clock stopped with it.
        case stoppedUnrecovered = "stopped"
    }

    public var state: State
    /// Seconds from the drill's start to recovery, to the stop, or to now.
    public var elapsed: TimeInterval
    public var target: TimeInterval

    /// Past the target.
    public var isOver: Bool { elapsed > target }
    /// Target minus elapsed: positive under, negative over.
    public var margin: TimeInterval { target - elapsed }

    /// "recovered in 07:30, 07:30 under the 15:00 target", "running 05:00, 10:00 left of the 15:00
    /// target", "not recovered: stopped after 20:00, 05:00 over the 15:00 target".
    public var summary: String {
        let against: String
        if isOver {
            against = "\(DrillFormat.clock(-margin)) over the \(DrillFormat.clock(target)) target"
        } else {
            against = "\(DrillFormat.clock(margin)) \(state == .running ? "left of" : "under") the \(DrillFormat.clock(target)) target"
        }
        switch state {
        case .running: return "running \(DrillFormat.clock(elapsed)), \(against)"
        case .recovered: return "recovered in \(DrillFormat.clock(elapsed)), \(against)"
        case .stoppedUnrecovered: return "not recovered: stopped after \(DrillFormat.clock(elapsed)), \(against)"
        }
    }
}

/// Where the participant is now.
public struct DrillCurrentStep: Sendable, Equatable {
    public var step: DrillStep
    /// When they reached it (in their latest run).
    public var since: Date
    public var elapsed: TimeInterval
    /// `failed` or `outcome-unknown` when its last try ended so and the run waits on it; nil while
    /// it is under way.
    public var lastOutcome: String?
}

/// A step as a bar: from its first start to its first finish.
public struct DrillStepSpan: Sendable, Equatable {
    public var step: DrillStep
    public var start: Date
    /// Nil: not finished (the bar runs to the end of the drill).
    public var end: Date?
    /// `done` or `skipped` when finished.
    public var outcome: String?
}

/// A drill as it stands at `now`: see `build`.
public struct DrillTimeline: Sendable, Equatable {
    public var drill: Drill
    public var now: Date
    /// In time order; at most one of each kind, one started and one finished per runbook step.
    public var milestones: [DrillMilestone]
    public var steps: [DrillStepSpan]
    public var currentStep: DrillCurrentStep?
    public var clock: DrillClock
    /// In time order.
    public var events: [DrillEvent]

    /// Where the drill's time ends: its stop, or now while it runs.
    public var end: Date { max(drill.startedAt, min(drill.stoppedAt ?? now, now)) }

    public func milestone(_ kind: DrillMilestone.Kind) -> DrillMilestone? { milestones.first { $0.kind == kind } }

    /// Seconds from the start to the milestone, or nil when it has not happened.
    public func timeTo(_ kind: DrillMilestone.Kind) -> TimeInterval? { milestone(kind)?.offset }

    /// The first of detected, acknowledged, access granted and recovered still to happen.
    public var awaiting: DrillMilestone.Kind? {
        [.detected, .acknowledged, .accessGranted, .recovered].first { milestone($0) == nil }
    }

    // MARK: - Building

    /// The drill's timeline at `now`.
    ///
    /// - `entries`: audit entries since the drill started (any more are ignored: before its start,
    ///   after its stop, carrying another drill's id, and the drill's own `drill.*` entries, which the
    ///   drill record already tells).
    /// - `signals`: detection is the first alarm to enter ALARM, recovery when the condition first
    ///   held; both clamped to the drill's start, and ignored after its stop.
    /// - `steps`: runbook id -> step ids and titles (`DrillStepInfo.catalog`), when known.
    ///
    /// Acknowledged (`incident.acknowledged`), access granted (`access.granted`) and runbook steps
    /// count only when the participant (if one is named) did them. A step starts when its run
    /// reaches it (`runbook.started` for the first; the step before it done or skipped; any entry of
    /// that step) and finishes when it is done or skipped; a failed or unknown outcome leaves it the
    /// current step. The first occurrence of each milestone wins; repeats are only events.
    public static func build(drill: Drill, entries: [AuditEntry], signals: DrillSignals, steps catalog: [String: [DrillStepInfo]] = [:], now: Date)
        -> DrillTimeline
    {
        let start = drill.startedAt
        let limit = max(start, min(drill.stoppedAt ?? now, now))
        func offset(_ d: Date) -> TimeInterval { d.timeIntervalSince(start) }
        func counts(_ e: AuditEntry) -> Bool { drill.participant.map { e.draft.actor.user == $0 } ?? true }

        let timed: [(entry: AuditEntry, at: Date)] =
            entries.compactMap { e in
                guard let at = ISO8601.parse(e.at), at >= start, at <= limit else { return nil }
                if let other = e.draft.context.drill, other != drill.auditID { return nil }
                if e.draft.kind.hasPrefix("drill.") && e.draft.context.drill == drill.auditID { return nil }
                return (e, at)
            }
            .sorted { ($0.at, $0.entry.seq) < ($1.at, $1.entry.seq) }

        // Candidates in discovery order; `order` breaks ties of time (signals first/last, entries by seq).
        var candidates: [(kind: DrillMilestone.Kind, at: Date, order: Double, step: DrillStep?, by: String?, detail: String)] = []

        if let first = signals.alarmedAt.filter({ $0.value <= limit }).min(by: { ($0.value, $0.key) < ($1.value, $1.key) }) {
            candidates.append((.detected, max(first.value, start), -1, nil, nil, "\(first.key) in ALARM"))
        }

        var tracker = StepTracker(catalog: catalog)
        for (entry, at) in timed where counts(entry) {
            let d = entry.draft
            let order = Double(entry.seq)
            switch d.kind {
            case "incident.acknowledged":
                candidates.append((.acknowledged, at, order, nil, d.actor.user, d.context.incident.map { "incident \($0)" } ?? "an incident"))
            case "access.granted":
                candidates.append((.accessGranted, at, order, nil, d.actor.user, d.context.role.map { "role \($0)" } ?? "a role"))
            default:
                for change in tracker.observe(entry, at: at) {
                    candidates.append((change.kind, at, order + change.orderBias, change.step, d.actor.user, change.detail))
                }
            }
        }

        if let recovered = signals.recoveredAt, recovered <= limit {
            candidates.append((.recovered, max(recovered, start), .infinity, nil, nil, "the recovery condition held"))
        }

        // First occurrence wins, per kind (per runbook step for the step kinds).
        candidates.sort { ($0.at, $0.order) < ($1.at, $1.order) }
        var seen = Set<String>()
        var milestones: [DrillMilestone] = []
        var previous = start
        for c in candidates {
            let key = c.step.map { "\(c.kind.rawValue) \($0.runbook) \($0.number)" } ?? c.kind.rawValue
            guard seen.insert(key).inserted else { continue }
            milestones.append(
                DrillMilestone(
                    kind: c.kind, at: c.at, offset: offset(c.at), sincePrevious: c.at.timeIntervalSince(previous), step: c.step, by: c.by,
                    detail: c.detail))
            previous = c.at
        }

        // Bars: each step from its first start to its first finish.
        var spans: [DrillStepSpan] = []
        var spanIndex: [String: Int] = [:]
        for m in milestones {
            guard let step = m.step else { continue }
            let key = "\(step.runbook) \(step.number)"
            if let i = spanIndex[key] {
                if m.kind == .stepFinished {
                    spans[i].end = m.at
                    spans[i].outcome = m.detail
                }
            } else {
                spanIndex[key] = spans.count
                spans.append(
                    DrillStepSpan(
                        step: step, start: m.at, end: m.kind == .stepFinished ? m.at : nil, outcome: m.kind == .stepFinished ? m.detail : nil))
            }
        }

        let recovered = milestones.first { $0.kind == .recovered }
        let clock: DrillClock
        if let recovered {
            clock = DrillClock(state: .recovered, elapsed: recovered.offset, target: drill.targetSeconds)
        } else {
            clock = DrillClock(state: drill.stoppedAt == nil ? .running : .stoppedUnrecovered, elapsed: offset(limit), target: drill.targetSeconds)
        }

        let current = tracker.current.map { open in
            DrillCurrentStep(step: open.step, since: open.since, elapsed: limit.timeIntervalSince(open.since), lastOutcome: open.lastOutcome)
        }

        return DrillTimeline(
            drill: drill, now: now, milestones: milestones, steps: spans, currentStep: current, clock: clock,
            events: events(drill: drill, timed: timed, signals: signals, limit: limit))
    }

    // MARK: - The event log

    static func events(drill: Drill, timed: [(entry: AuditEntry, at: Date)], signals: DrillSignals, limit: Date) -> [DrillEvent] {
        let start = drill.startedAt
        var list: [(event: DrillEvent, rank: Int, order: Int64)] = []
        func add(_ at: Date, _ kind: String, _ by: String?, _ text: String, rank: Int, order: Int64 = 0, seq: Int64? = nil) {
            list.append((DrillEvent(at: at, offset: at.timeIntervalSince(start), kind: kind, by: by, text: text, seq: seq), rank, order))
        }
        let who = drill.participant.map { "participant \($0)" } ?? "any participant"
        add(start, "drill.started", drill.startedBy, "drill \(drill.id) started: scenario \(drill.scenario), \(who), target \(DurationSyntax.format(drill.target))", rank: 0)
        for (name, at) in signals.alarmedAt where at <= limit {
            add(max(at, start), "alarm", nil, "alarm \(name) in ALARM", rank: 1)
        }
        for (entry, at) in timed {
            add(at, entry.draft.kind, entry.draft.actor.user, describe(entry), rank: 2, order: entry.seq, seq: entry.seq)
        }
        for (i, note) in drill.notes.enumerated() {
            add(max(note.at, start), "drill.note", note.by, "note: \(note.text)", rank: 3, order: Int64(i))
        }
        if let recovered = signals.recoveredAt, recovered <= limit {
            add(max(recovered, start), "recovered", nil, "the scenario's recovery condition held", rank: 4)
        }
        if let stopped = drill.stoppedAt {
            add(max(stopped, start), "drill.stopped", drill.stoppedBy, "drill \(drill.id) stopped", rank: 5)
        }
        return list.sorted { a, b in
            (a.event.at, a.rank, a.order, a.event.text) < (b.event.at, b.rank, b.order, b.event.text)
        }.map(\.event)
    }

    /// An audit entry in a line: who did it is told beside it, so the line says what.
    public static func describe(_ entry: AuditEntry) -> String {
        let d = entry.draft
        let detail = d.detail.map { ": \($0)" } ?? ""
        let incident = d.context.incident.map { "incident \($0)" } ?? "an incident"
        let role = d.context.role.map { "role \($0)" } ?? "a role"
        let runbook = d.context.runbook.map { "runbook \($0)" } ?? "a runbook"
        let call = [d.service, d.operation].compactMap { $0 }.joined(separator: ".")
        switch d.kind {
        case "incident.opened": return "\(incident) opened\(detail)"
        case "incident.alarm": return "\(incident)\(detail)"
        case "incident.acknowledged": return "acknowledged \(incident)"
        case "incident.resolved": return "resolved \(incident)\(detail)"
        case "access.requested": return "asked for \(role)"
        case "access.granted": return "was granted \(role)"
        case "access.denied": return "was refused \(role)\(detail)"
        case "runbook.started": return "started \(runbook)\(detail)"
        case "runbook.step": return "\(runbook)\(detail)"
        case "runbook.finished": return "\(runbook) finished\(detail)"
        case "note": return "note\(detail)"
        case "aws.intent": return "sends \(call.isEmpty ? "a call" : call)" + (d.context.step.map { " (\(d.context.runbook ?? "run") step \($0))" } ?? "")
        case "aws.outcome":
            return "call \(d.outcome ?? "answered")" + (d.intentSeq.map { " (the call of entry \($0))" } ?? "") + detail
        default:
            if d.kind.hasPrefix("incident.") { return "\(incident) \(d.kind.dropFirst("incident.".count))\(detail)" }
            if d.kind.hasPrefix("access.") { return "\(role) \(d.kind.dropFirst("access.".count))\(detail)" }
            if d.kind.hasPrefix("runbook.") { return "\(runbook) \(d.kind.dropFirst("runbook.".count))\(detail)" }
            if d.kind.hasPrefix("page.") { return "page \(d.kind.dropFirst("page.".count))\(detail)" }
            return d.kind + detail
        }
    }
}

// MARK: - Runbook runs, step by step

/// Follows the participant's runbook runs through their audit entries: which step each run is on,
/// and which steps start and finish.
struct StepTracker {
    struct Open {
        var step: DrillStep
        var since: Date
        var lastOutcome: String?
    }

    struct Run {
        var runbook: String
        var id: Int64
        var count: Int?
        var open: Open?
        var finished = false
        var lastActivity: Int64 = 0
    }

    struct Change {
        var kind: DrillMilestone.Kind
        var step: DrillStep
        var detail: String
        /// Ties within one entry: a step's finish before the next one's start.
        var orderBias: Double
    }

    let catalog: [String: [DrillStepInfo]]
    var runs: [String: Run] = [:]

    init(catalog: [String: [DrillStepInfo]]) { self.catalog = catalog }

    /// The participant's current step: the open step of the run they touched last.
    var current: Open? {
        runs.values.filter { !$0.finished && $0.open != nil }.max { $0.lastActivity < $1.lastActivity }?.open
    }

    func step(_ runbook: String, run: Int64, number: Int) -> DrillStep {
        let info = number >= 1 ? catalog[runbook].flatMap { $0.indices.contains(number - 1) ? $0[number - 1] : nil } : nil
        return DrillStep(runbook: runbook, run: run, number: number, id: info?.id, title: info?.title)
    }

    /// "RUN/STEP" -> (run, step).
    static func parseStep(_ text: String?) -> (run: Int64, number: Int)? {
        guard let parts = text?.split(separator: "/"), parts.count == 2, let run = Int64(parts[0]), let n = Int(parts[1]), n >= 1 else { return nil }
        return (run, n)
    }

    /// The number after "run " at the start of a runbook entry's detail ("run 7 of sqs-flush (3 steps)").
    static func parseRun(_ detail: String?) -> Int64? {
        guard let detail, detail.hasPrefix("run ") else { return nil }
        return Int64(detail.dropFirst(4).prefix { $0.isASCII && $0.isNumber })
    }

    /// "(N steps" in a `runbook.started` detail.
    static func parseCount(_ detail: String?) -> Int? {
        guard let detail, let open = detail.range(of: "(") else { return nil }
        let digits = detail[open.upperBound...].prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, detail[open.upperBound...].dropFirst(digits.count).hasPrefix(" step") else { return nil }
        return Int(digits)
    }

    mutating func observe(_ entry: AuditEntry, at: Date) -> [Change] {
        let d = entry.draft
        guard let runbook = d.context.runbook else { return [] }
        switch d.kind {
        case "runbook.started":
            guard let id = Self.parseRun(d.detail) else { return [] }
            let key = "\(runbook)#\(id)"
            runs[key] = Run(runbook: runbook, id: id, count: Self.parseCount(d.detail) ?? catalog[runbook]?.count, lastActivity: entry.seq)
            return reach(key, number: 1, at: at)
        case "runbook.finished":
            guard let id = Self.parseRun(d.detail) else { return [] }
            let key = "\(runbook)#\(id)"
            var run = runs[key] ?? Run(runbook: runbook, id: id, count: catalog[runbook]?.count)
            run.finished = true
            run.open = nil
            run.lastActivity = entry.seq
            runs[key] = run
            return []
        case "runbook.step":
            guard let parsed = Self.parseStep(d.context.step) else { return [] }
            let (id, number) = (parsed.run, parsed.number)
            let key = touch(runbook, id, seq: entry.seq)
            let outcome = d.outcome ?? "done"
            guard outcome == "done" || outcome == "skipped" else {
                // Failed, or sent without a readable answer: the run waits on this step.
                let changes = reach(key, number: number, at: at)
                runs[key]?.open?.lastOutcome = outcome
                return changes
            }
            var changes = [Change(kind: .stepFinished, step: step(runbook, run: id, number: number), detail: outcome, orderBias: 0)]
            runs[key]?.open = nil
            if let count = runs[key]?.count, number < count {
                changes += reach(key, number: number + 1, at: at).map { var c = $0; c.orderBias = 0.5; return c }
            }
            return changes
        default:
            // Any other entry of a step (confirmed, decided, resumed, an AWS call, a page) means the
            // run is on that step.
            guard let parsed = Self.parseStep(d.context.step) else { return [] }
            let (id, number) = (parsed.run, parsed.number)
            let key = touch(runbook, id, seq: entry.seq)
            if runs[key]?.open?.step.number == number { runs[key]?.open?.lastOutcome = nil }
            return reach(key, number: number, at: at)
        }
    }

    /// Notes activity on a run (creating it when its start was not seen); its key.
    private mutating func touch(_ runbook: String, _ id: Int64, seq: Int64) -> String {
        let key = "\(runbook)#\(id)"
        if runs[key] == nil { runs[key] = Run(runbook: runbook, id: id, count: catalog[runbook]?.count) }
        runs[key]?.lastActivity = seq
        return key
    }

    /// The run is on step `number` from `at` (unless it already was); a start to consider.
    private mutating func reach(_ key: String, number: Int, at: Date) -> [Change] {
        guard let run = runs[key], !run.finished else { return [] }
        if run.open?.step.number == number { return [] }
        let s = step(run.runbook, run: run.id, number: number)
        runs[key]?.open = Open(step: s, since: at)
        return [Change(kind: .stepStarted, step: s, detail: "started", orderBias: 0)]
    }
}
