import BreakglassCore
import Foundation

// The incidents screen (issue 7): the incidents in the shared store, unresolved first, with their
// stage, the countdown to the next page and who acknowledged; Enter opens one in full (alarms,
// pages, timeline); a, x, e, z act on it through the store. Drawing is in IncidentsRender.swift.

/// One incident as the console shows it, from the shared store. Text is as stored (untrusted):
/// sanitise it before drawing.
public struct IncidentRow: Hashable, Sendable {
    public var id: Int64
    public var title: String
    public var severity: Int
    /// "open", "acknowledged" or "resolved".
    public var phase: String
    /// 1-based stage last paged, and how many stages the plan has.
    public var stage: Int
    public var stages: Int
    /// When the next page goes out, and to whom; nil when nothing more is scheduled.
    public var nextPageAt: Date?
    public var nextPageWho: String?
    public var acknowledgedBy: String?
    /// The alarms (name, region) that belong to it.
    public var alarms: [AlarmID]
    /// Runbooks its response rule suggests, first is the default.
    public var runbooks: [String]
    /// When it opened: the list shows the oldest of a severity first.
    public var openedAt: Date
    /// The title without the " in ALARM (severity N)" the store ends it with (the row shows the
    /// severity in its own column).
    public var shortTitle: String
    /// 1-based pass through the plan's stages.
    public var pass: Int
    /// The 1-based stage the next page comes from, when one is scheduled.
    public var nextPageStage: Int?
    /// Nothing is paged before this, when it is in the future.
    public var snoozedUntil: Date?
    /// Why nothing more is scheduled, when that is worth saying: "exhausted", "no plan".
    public var noNextPage: String?

    public init(
        id: Int64, title: String, severity: Int, phase: String, stage: Int, stages: Int, nextPageAt: Date?, nextPageWho: String?,
        acknowledgedBy: String?, alarms: [AlarmID], runbooks: [String], openedAt: Date = Date(timeIntervalSince1970: 0),
        shortTitle: String? = nil, pass: Int = 1, nextPageStage: Int? = nil, snoozedUntil: Date? = nil, noNextPage: String? = nil
    ) {
        self.id = id
        self.title = title
        self.severity = severity
        self.phase = phase
        self.stage = stage
        self.stages = stages
        self.nextPageAt = nextPageAt
        self.nextPageWho = nextPageWho
        self.acknowledgedBy = acknowledgedBy
        self.alarms = alarms
        self.runbooks = runbooks
        self.openedAt = openedAt
        self.shortTitle = shortTitle ?? title
        self.pass = pass
        self.nextPageStage = nextPageStage
        self.snoozedUntil = snoozedUntil
        self.noNextPage = noNextPage
    }

    /// The row for `incident`; the next page is `NextPage.of` its escalation under its plan in
    /// `config`, with the contacts' display names.
    public init(_ incident: Incident, config: BreakglassConfig) {
        let e = incident.escalation
        let plan = config.plan(incident.plan)
        let next = NextPage.of(e, plan: plan)
        let names = next.map { IncidentListing.names($0.contacts, config: config) } ?? []
        var noNextPage: String?
        if next == nil, e.phase != .resolved {
            if plan == nil { noNextPage = "no plan" } else if e.phase == .exhausted { noNextPage = "exhausted" }
        }
        self.init(
            id: incident.id, title: incident.title, severity: incident.severity, phase: e.word, stage: max(0, e.stage + 1),
            stages: plan?.stages.count ?? 0, nextPageAt: next?.at,
            nextPageWho: next.map { _ in (names.first ?? "") + (names.count > 1 ? " +\(names.count - 1)" : "") },
            acknowledgedBy: e.phase == .acknowledged ? e.acknowledgedBy : nil,
            alarms: incident.alarms.map { AlarmID(name: $0.name, region: $0.region) }, runbooks: incident.runbooks,
            openedAt: incident.openedAt, shortTitle: IncidentListing.shortTitle(incident), pass: e.pass + 1,
            nextPageStage: next.map { $0.stage + 1 }, snoozedUntil: e.snoozedUntil, noNextPage: noNextPage)
    }

    public var isResolved: Bool { phase == "resolved" }

    /// "2/3", "2/3 p2" on the second pass, "—" before any stage, "2" when the plan is unknown: the
    /// form `breakglass incidents` uses.
    public var stageLabel: String {
        guard stage > 0 else { return "—" }
        var text = stages > 0 ? "\(stage)/\(stages)" : "\(stage)"
        if pass > 1 { text += " p\(pass)" }
        return text
    }

    /// Triage order: unresolved before resolved; then the most severe (lowest number) and the
    /// oldest first; resolved ones newest first.
    static func triageOrder(_ a: IncidentRow, _ b: IncidentRow) -> Bool {
        if a.isResolved != b.isResolved { return !a.isResolved }
        if a.isResolved { return a.id > b.id }
        if a.severity != b.severity { return a.severity < b.severity }
        if a.openedAt != b.openedAt { return a.openedAt < b.openedAt }
        return a.id < b.id
    }
}

/// One incident in full, for the detail pane. Text is as stored: sanitise it before drawing.
public struct IncidentDetail: Hashable, Sendable {
    public struct AlarmLine: Hashable, Sendable {
        public var name: String
        public var region: String
        public var state: AlarmState
        public var reason: String

        public init(name: String, region: String, state: AlarmState, reason: String) {
            self.name = name
            self.region = region
            self.state = state
            self.reason = reason
        }
    }

    public struct PageLine: Hashable, Sendable {
        public var createdAt: Date
        public var action: PageAction
        /// 1-based stage of a trigger page.
        public var stage: Int
        public var contactName: String
        public var channel: String
        public var status: String
        public var attempts: Int
        public var detail: String?

        public init(
            createdAt: Date, action: PageAction, stage: Int, contactName: String, channel: String, status: String, attempts: Int = 1,
            detail: String? = nil
        ) {
            self.createdAt = createdAt
            self.action = action
            self.stage = stage
            self.contactName = contactName
            self.channel = channel
            self.status = status
            self.attempts = attempts
            self.detail = detail
        }
    }

    public var row: IncidentRow
    public var plan: String
    /// How many passes the plan makes; 0 when the plan is not in the configuration.
    public var passes: Int
    /// Display names of who the next page goes to.
    public var nextPageNames: [String]
    public var acknowledgedAt: Date?
    public var resolvedBy: String?
    public var resolvedAt: Date?
    public var alarms: [AlarmLine]
    public var pages: [PageLine]
    /// Its audit entries, oldest first.
    public var timeline: [AuditRow]

    public init(
        row: IncidentRow, plan: String, passes: Int, nextPageNames: [String], acknowledgedAt: Date? = nil, resolvedBy: String? = nil,
        resolvedAt: Date? = nil, alarms: [AlarmLine], pages: [PageLine], timeline: [AuditRow]
    ) {
        self.row = row
        self.plan = plan
        self.passes = passes
        self.nextPageNames = nextPageNames
        self.acknowledgedAt = acknowledgedAt
        self.resolvedBy = resolvedBy
        self.resolvedAt = resolvedAt
        self.alarms = alarms
        self.pages = pages
        self.timeline = timeline
    }

    public init(_ incident: Incident, timeline: [AuditEntry], config: BreakglassConfig) {
        row = IncidentRow(incident, config: config)
        plan = incident.plan
        passes = config.plan(incident.plan).map { $0.repeatCount + 1 } ?? 0
        nextPageNames = NextPage.of(incident.escalation, plan: config.plan(incident.plan)).map { IncidentListing.names($0.contacts, config: config) } ?? []
        acknowledgedAt = incident.escalation.phase == .acknowledged ? incident.escalation.acknowledgedAt : nil
        resolvedBy = incident.resolvedBy
        resolvedAt = incident.resolvedAt
        alarms = incident.alarms.map { AlarmLine(name: $0.name, region: $0.region, state: $0.state, reason: $0.reason) }
        pages = incident.pages.map {
            PageLine(
                createdAt: $0.createdAt, action: $0.action, stage: $0.stage + 1, contactName: $0.contactName, channel: $0.channel,
                status: $0.status.rawValue, attempts: $0.attempts, detail: $0.detail)
        }
        self.timeline = timeline.map(AuditRow.init)
    }
}

/// What one poll asks: the list (with resolved incidents or not) and the incident shown in full.
public struct IncidentsQuery: Hashable, Sendable {
    public var includeResolved: Bool
    public var detail: Int64?

    public init(includeResolved: Bool, detail: Int64?) {
        self.includeResolved = includeResolved
        self.detail = detail
    }
}

/// One poll's answer.
public struct IncidentsSnapshot: Hashable, Sendable {
    public var rows: [IncidentRow]
    public var detail: IncidentDetail?
    /// Until when a watch daemon holds the lease (it renews it while it runs); nil: none does.
    public var watchUntil: Date?

    public init(rows: [IncidentRow], detail: IncidentDetail? = nil, watchUntil: Date? = nil) {
        self.rows = rows
        self.detail = detail
        self.watchUntil = watchUntil
    }

    public init(_ snapshot: IncidentConsoleSnapshot, config: BreakglassConfig) {
        rows = snapshot.incidents.map { IncidentRow($0, config: config) }
        detail = snapshot.detail.map { IncidentDetail($0, timeline: snapshot.timeline, config: config) }
        watchUntil = snapshot.watch?.until
    }
}

/// What the person asked to do to an incident.
public enum IncidentCommand: Hashable, Sendable {
    case acknowledge, resolve, escalate
    case snooze(seconds: TimeInterval)

    /// "resolve", for "incident 12: resolve cancelled".
    var verb: String {
        switch self {
        case .acknowledge: "acknowledge"
        case .resolve: "resolve"
        case .escalate: "escalate"
        case .snooze: "snooze"
        }
    }

    /// "resolving", for the line shown while the store works.
    var progressive: String {
        switch self {
        case .acknowledge: "acknowledging"
        case .resolve: "resolving"
        case .escalate: "escalating"
        case .snooze: "snoozing"
        }
    }
}

/// A question the screen asks on its last row before it acts.
public enum IncidentPrompt: Hashable, Sendable {
    /// y/N before `command` on `incident`.
    case confirm(IncidentCommand, incident: Int64)
    /// How long to snooze `incident`: the text typed so far and what was wrong with the last Enter.
    case snooze(incident: Int64, text: String, problem: String?)
}

/// A poll of the shared store: at most one at a time, every second while it works, backing off
/// (doubling, at most 30 s) while it fails; an out-of-turn poll can be asked for (`due`).
public struct StorePollStatus: Hashable, Sendable {
    public enum Mode: Hashable, Sendable {
        /// Not told yet whether a source is wired (nothing polls).
        case off
        /// No source: the console has no state file.
        case unavailable
        case on
    }

    public internal(set) var mode: Mode = .off
    public internal(set) var inFlight = false
    public internal(set) var nextPollAt = Date.distantPast
    /// A poll was asked for out of turn (the question changed, or an action changed the store).
    public internal(set) var due = false
    /// The next poll reads even if the store's change token did not move (R).
    public internal(set) var force = false
    public internal(set) var loadedAt: Date?
    public internal(set) var failure: String?
    public internal(set) var consecutiveFailures = 0

    public static let interval: TimeInterval = 1
    public static let maximumBackoff: TimeInterval = 30

    public init(mode: Mode = .off) {
        self.mode = mode
    }

    /// The wait after `consecutiveFailures` failed polls: 1 s doubled per failure, at most 30 s.
    public var retryDelay: TimeInterval {
        min(Self.maximumBackoff, Self.interval * Double(1 << min(consecutiveFailures, 10)))
    }

    /// Marks a poll started when one should start now; says whether it did, and whether it reads
    /// regardless of the change token.
    mutating func start(now: Date) -> (start: Bool, force: Bool) {
        guard mode == .on, !inFlight, due || now >= nextPollAt else { return (false, false) }
        inFlight = true
        due = false
        let forced = force
        force = false
        return (true, forced)
    }

    mutating func succeeded(now: Date) {
        inFlight = false
        loadedAt = now
        failure = nil
        consecutiveFailures = 0
        nextPollAt = now.addingTimeInterval(Self.interval)
    }

    mutating func failed(_ message: String, now: Date) {
        inFlight = false
        failure = message
        consecutiveFailures += 1
        nextPollAt = now.addingTimeInterval(retryDelay)
    }
}

public struct IncidentsViewState: Sendable {
    /// In `IncidentRow.triageOrder`; resolved ones only while `showResolved`.
    public internal(set) var rows: [IncidentRow] = []
    public internal(set) var poll = StorePollStatus()
    /// `A`: list the latest resolved incidents too.
    public internal(set) var showResolved = false
    /// The selected incident; the selection follows it when the list changes.
    public internal(set) var selectedID: Int64?
    public internal(set) var scrollOffset = 0
    /// The incident open in the detail pane (Enter), and what the store said about it (nil while
    /// it loads, or when it is gone).
    public internal(set) var detailID: Int64?
    public internal(set) var detail: IncidentDetail?
    /// Whether the last answer for `detailID` found no such incident.
    public internal(set) var detailMissing = false
    /// The detail pane has the keys (Tab), not the list.
    public internal(set) var detailFocused = false
    /// First line of the detail pane shown.
    public internal(set) var detailOffset = 0
    public internal(set) var prompt: IncidentPrompt?
    /// Until when a watch daemon held the lease at the last poll.
    public internal(set) var watchUntil: Date?

    public init() {}

    /// The unresolved incident an alarm belongs to, if any.
    public func incident(forAlarm alarm: AlarmID) -> IncidentRow? {
        rows.first { $0.phase != "resolved" && $0.alarms.contains(alarm) }
    }

    public var selectedIndex: Int? {
        guard let selectedID else { return nil }
        return rows.firstIndex { $0.id == selectedID }
    }

    public var selectedRow: IncidentRow? {
        selectedIndex.map { rows[$0] }
    }

    /// The incident the action keys apply to: the one in the detail pane while it is open, else
    /// the selected one.
    public var target: IncidentRow? {
        if let detailID { return rows.first { $0.id == detailID } ?? detail?.row }
        return selectedRow
    }

    public var query: IncidentsQuery {
        IncidentsQuery(includeResolved: showResolved, detail: detailID)
    }
}

public enum IncidentsEvent: Hashable, Sendable {
    /// The list, from a poll that did not look at any incident in full.
    case loaded([IncidentRow])
    /// A poll's answer to `query`.
    case snapshot(IncidentsSnapshot, for: IncidentsQuery)
    /// Nothing was committed since the last answer to `query`.
    case unchanged(IncidentsQuery)
    case failed(String)
    /// The console has no incidents source (no state file).
    case unavailable
    /// `command` on `incident` is done; `message` says what it did and what comes next.
    case acted(incident: Int64, message: String)
    case actFailed(incident: Int64, command: IncidentCommand, message: String)
}

public enum IncidentsEffect: Hashable, Sendable {
    /// Poll the store for `query` (reading even when nothing changed with `force`); report with
    /// `snapshot`, `unchanged`, `failed` or `unavailable`.
    case load(IncidentsQuery, force: Bool)
    /// Apply `command` to `incident` as the person at the console; report with `acted` or `actFailed`.
    case act(incident: Int64, IncidentCommand)
}

/// Where the incidents screen reads and acts; calls block on disk and run off the loop.
public struct IncidentsSource: Sendable {
    /// The answer to a query at `now`; nil when nothing was committed since the last answer to the
    /// same query and `force` is false (cheap: one `PRAGMA`).
    public var load: @Sendable (_ query: IncidentsQuery, _ force: Bool, _ now: Date) throws -> IncidentsSnapshot?
    /// Applies the command at `now`; returns a sentence saying what it did. Refusals throw with a
    /// message that says why.
    public var act: @Sendable (_ incident: Int64, _ command: IncidentCommand, _ now: Date) throws -> String

    public init(
        load: @escaping @Sendable (_ query: IncidentsQuery, _ force: Bool, _ now: Date) throws -> IncidentsSnapshot?,
        act: @escaping @Sendable (_ incident: Int64, _ command: IncidentCommand, _ now: Date) throws -> String
    ) {
        self.load = load
        self.act = act
    }

    /// The source on the shared store through `feed`: actions as `actor` (its user is who
    /// acknowledged, resolved...) under `config` (plans and contacts).
    public static func shared(_ feed: IncidentConsoleFeed, config: BreakglassConfig, actor: AuditActor) -> IncidentsSource {
        IncidentsSource(
            load: { query, force, now in
                try feed.poll(includeResolved: query.includeResolved, detail: query.detail, force: force, now: now)
                    .map { IncidentsSnapshot($0, config: config) }
            },
            act: { id, command, now in
                let by = actor.user
                let event: EscalationEvent =
                    switch command {
                    case .acknowledge: .acknowledge(by: by)
                    case .resolve: .resolve(by: by)
                    case .escalate: .escalate(by: by)
                    case .snooze(let seconds): .snooze(until: now.addingTimeInterval(seconds), by: by)
                    }
                return try feed.act(id, event, config: config, actor: actor, now: now)
            })
    }
}

extension ConsoleState {
    /// Whether the console has an incidents source; before this, nothing polls.
    public mutating func incidentsConnect(available: Bool) {
        incidents.poll.mode = available ? .on : .unavailable
    }

    /// The prompt's keys while one is open: y confirms (anything else cancels); the snooze field
    /// types, Backspace deletes, Enter snoozes, Esc cancels.
    mutating func incidentsKey(_ key: Key, now: Date) -> [ConsoleEffect]? {
        guard let prompt = incidents.prompt else { return nil }
        switch prompt {
        case .confirm(let command, let id):
            incidents.prompt = nil
            if key == .char("y") || key == .char("Y") { return incidentsAct(id, command) }
            message = ConsoleMessage("incident \(id): \(command.verb) cancelled")
            return []
        case .snooze(let id, var text, let problem):
            switch key {
            case .escape, .ctrl("c"), .ctrl("g"):
                incidents.prompt = nil
                message = ConsoleMessage("incident \(id): snooze cancelled")
                return []
            case .enter:
                switch Self.snoozeLength(text) {
                case .success(let seconds):
                    incidents.prompt = nil
                    return incidentsAct(id, .snooze(seconds: seconds))
                case .failure(let problem):
                    incidents.prompt = .snooze(incident: id, text: text, problem: problem.message)
                    return []
                }
            case .backspace, .ctrl("h"):
                if !text.isEmpty { text.removeLast() }
            case .ctrl("u"):
                text = ""
            case .char(let c) where text.count < 12:
                text.append(c)
            default:
                return []
            }
            // Typing again clears what was wrong with the last Enter.
            _ = problem
            incidents.prompt = .snooze(incident: id, text: text, problem: nil)
            return []
        }
    }

    /// The snooze field's text as seconds, or what is wrong with it, as `breakglass snooze` says it.
    static func snoozeLength(_ text: String) -> Result<TimeInterval, CommandLineError> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let shown = TerminalText.sanitize(trimmed)
        guard !trimmed.isEmpty else { return .failure(CommandLineError("type how long: 30m, 1h or 1h30m")) }
        guard let length = DurationSyntax.parse(trimmed) else {
            if DurationSyntax.isBareNumber(trimmed) { return .failure(CommandLineError("`\(shown)` has no unit; write 30m, 1h or 1h30m")) }
            return .failure(CommandLineError("`\(shown)` is not a duration; write 30m, 1h or 1h30m"))
        }
        guard length > .zero else { return .failure(CommandLineError("a snooze must last longer than 0s")) }
        return .success(length.timeInterval)
    }

    /// The screen's answer to `action`; nil: not its action.
    mutating func incidentsPerform(_ action: ConsoleAction, now: Date) -> [ConsoleEffect]? {
        switch action {
        case .moveDown, .moveUp, .pageDown, .pageUp, .top, .bottom:
            if incidents.detailID != nil && incidents.detailFocused {
                scrollIncidentDetail(action, now: now)
                return []
            }
            return moveIncidentSelection(action, now: now)
        case .select:
            guard let row = incidents.selectedRow else { return [] }
            openIncidentDetail(row.id)
            incidents.detailFocused = true
            return incidentsPollSoon(now: now)
        case .nextPane, .previousPane:
            guard incidents.detailID != nil else { return nil }
            incidents.detailFocused.toggle()
            return []
        case .acknowledge:
            guard let row = incidents.target else { return nil }
            if row.isResolved { return incidentsSay("incident \(row.id) is resolved; there is nothing to acknowledge") }
            return incidentsAct(row.id, .acknowledge)
        case .resolve, .escalate:
            guard let row = incidents.target else { return [] }
            if row.isResolved { return incidentsSay("incident \(row.id) is already resolved") }
            incidents.prompt = .confirm(action == .resolve ? .resolve : .escalate, incident: row.id)
            return []
        case .snooze:
            guard let row = incidents.target else { return [] }
            if row.isResolved { return incidentsSay("incident \(row.id) is already resolved") }
            incidents.prompt = .snooze(incident: row.id, text: "", problem: nil)
            return []
        case .openRunbook:
            guard let row = incidents.target else { return [] }
            guard let runbook = row.runbooks.first else {
                return incidentsSay("incident \(row.id) suggests no runbook; :runbook NAME opens one")
            }
            return openRunbook(runbook, incident: row.id, now: now)
        case .toggleResolved:
            incidents.showResolved.toggle()
            // Hiding takes effect at once; showing, when the poll brings them.
            setIncidentRows(incidents.rows)
            message = ConsoleMessage(incidents.showResolved ? "showing resolved incidents too" : "showing unresolved incidents only")
            return incidentsPollSoon(now: now)
        case .refresh:
            incidents.poll.force = true
            return incidentsPollSoon(now: now)
        default:
            return nil
        }
    }

    mutating func incidentsReduce(_ event: IncidentsEvent, now: Date) -> [ConsoleEffect] {
        switch event {
        case .loaded(let rows):
            incidents.poll.succeeded(now: now)
            setIncidentRows(rows)
        case .snapshot(let snapshot, let query):
            incidents.poll.succeeded(now: now)
            setIncidentRows(snapshot.rows)
            incidents.watchUntil = snapshot.watchUntil
            if query.detail != nil, query.detail == incidents.detailID {
                incidents.detail = snapshot.detail
                incidents.detailMissing = snapshot.detail == nil
            }
            if query != incidents.query { incidents.poll.due = true }
        case .unchanged(let query):
            incidents.poll.succeeded(now: now)
            if query != incidents.query { incidents.poll.due = true }
        case .failed(let message):
            incidents.poll.failed(message, now: now)
        case .unavailable:
            incidents.poll.mode = .unavailable
            incidents.poll.inFlight = false
        case .acted(_, let text):
            message = ConsoleMessage(text)
            incidents.poll.due = true
        case .actFailed(let id, let command, let text):
            // The store's refusals start by naming the incident; say it once.
            let named = "incident \(id): "
            let why = text.hasPrefix(named) ? String(text.dropFirst(named.count)) : text
            message = ConsoleMessage("could not \(command.verb) incident \(id): \(why)", isError: true)
            incidents.poll.due = true
        }
        return []
    }

    /// Called on every tick, whichever screen shows: the alarms screen and the tabs use the list too.
    mutating func incidentsTick(now: Date) -> [ConsoleEffect] {
        let started = incidents.poll.start(now: now)
        guard started.start else { return [] }
        return [.incidents(.load(incidents.query, force: started.force))]
    }

    /// Esc on this screen: closes the prompt, then the detail pane; false when neither is open.
    mutating func incidentsBack() -> Bool {
        if incidents.prompt != nil {
            incidents.prompt = nil
            return true
        }
        guard incidents.detailID != nil else { return false }
        incidents.detailID = nil
        incidents.detail = nil
        incidents.detailMissing = false
        incidents.detailFocused = false
        incidents.detailOffset = 0
        return true
    }

    /// Actions that do something now, for the footer.
    var incidentsAvailable: Set<ConsoleAction> {
        guard incidents.prompt == nil, let row = incidents.target else { return [] }
        var actions: Set<ConsoleAction> = [.toggleResolved]
        if incidents.detailID == nil { actions.insert(.select) } else { actions.formUnion([.back, .nextPane, .previousPane]) }
        if !row.isResolved {
            actions.formUnion([.resolve, .escalate, .snooze])
            if row.phase != "acknowledged" { actions.insert(.acknowledge) }
        }
        if !row.runbooks.isEmpty { actions.insert(.openRunbook) }
        return actions
    }

    // MARK: Helpers

    /// Starts a poll now when none is running, else as soon as the running one answers.
    mutating func incidentsPollSoon(now: Date) -> [ConsoleEffect] {
        incidents.poll.due = true
        return incidentsTick(now: now)
    }

    mutating func incidentsAct(_ id: Int64, _ command: IncidentCommand) -> [ConsoleEffect] {
        message = ConsoleMessage("\(command.progressive) incident \(id)…")
        return [.incidents(.act(incident: id, command))]
    }

    mutating func incidentsSay(_ text: String) -> [ConsoleEffect] {
        message = ConsoleMessage(text)
        return []
    }

    mutating func openIncidentDetail(_ id: Int64) {
        if incidents.detail?.row.id != id {
            incidents.detail = nil
            incidents.detailMissing = false
            incidents.detailOffset = 0
        }
        incidents.detailID = id
    }

    /// Replaces the list, keeping the selection on the same incident when it is still there, else
    /// at the same position.
    mutating func setIncidentRows(_ loaded: [IncidentRow]) {
        let previous = incidents.selectedIndex ?? 0
        incidents.rows = loaded.filter { incidents.showResolved || !$0.isResolved }.sorted(by: IncidentRow.triageOrder)
        if incidents.rows.isEmpty {
            incidents.selectedID = nil
        } else if incidents.selectedIndex == nil {
            incidents.selectedID = incidents.rows[min(previous, incidents.rows.count - 1)].id
        }
        keepIncidentSelectionVisible()
    }

    mutating func moveIncidentSelection(_ action: ConsoleAction, now: Date) -> [ConsoleEffect] {
        guard let current = incidents.selectedIndex else { return [] }
        let index = ScreenArea.moved(from: current, by: action, count: incidents.rows.count, page: IncidentsLayout(self).listHeight)
        incidents.selectedID = incidents.rows[index].id
        keepIncidentSelectionVisible()
        // The open detail follows the selection.
        if incidents.detailID != nil, incidents.detailID != incidents.selectedID, let id = incidents.selectedID {
            openIncidentDetail(id)
            return incidentsPollSoon(now: now)
        }
        return []
    }

    mutating func scrollIncidentDetail(_ action: ConsoleAction, now: Date) {
        let layout = IncidentsLayout(self)
        let lines = incidents.detail.map { IncidentDetailText.lines($0, width: size.width, now: now).count } ?? 0
        let maximum = max(0, lines - layout.detailHeight)
        incidents.detailOffset = ScreenArea.moved(from: incidents.detailOffset, by: action, count: maximum + 1, page: layout.detailHeight - 1)
    }

    mutating func keepIncidentSelectionVisible() {
        incidents.scrollOffset = IncidentsLayout(self).firstVisible(selected: incidents.selectedIndex, offset: incidents.scrollOffset, count: incidents.rows.count)
    }
}

/// Where the incidents screen's parts go in the screen's area. The reducer (paging, scrolling) and
/// the drawing read the same one. Rows: the status line, the column header, the list, then, while
/// an incident is open, a rule and the detail pane; while polls fail, why; the prompt, when one
/// is open, on the last row.
struct IncidentsLayout {
    let area: ScreenArea
    let statusRow: Int
    let headerRow: Int
    let listTop: Int
    let listHeight: Int
    /// The rule above the detail pane, and the pane; meaningful only while one is open.
    let dividerRow: Int
    let detailTop: Int
    let detailHeight: Int
    let promptRow: Int?
    /// While polls fail, the row that says why (above the prompt).
    let failureRow: Int?

    init(_ state: ConsoleState) {
        area = state.layout.area
        statusRow = area.top
        headerRow = area.top + 1
        listTop = area.top + 2
        let promptRows = state.incidents.prompt == nil ? 0 : 1
        promptRow = promptRows == 0 ? nil : area.bottom - 1
        let failureRows = state.incidents.poll.failure == nil ? 0 : 1
        failureRow = failureRows == 0 ? nil : area.bottom - 1 - promptRows
        let body = max(0, area.height - 2 - promptRows - failureRows)
        if state.incidents.detailID != nil {
            let wanted = max(3, body / 3)
            listHeight = max(1, min(wanted, max(1, state.incidents.rows.count)))
            dividerRow = listTop + listHeight
            detailTop = dividerRow + 1
            detailHeight = max(0, body - listHeight - 1)
        } else {
            listHeight = body
            dividerRow = listTop + body
            detailTop = dividerRow
            detailHeight = 0
        }
    }

    /// The first row shown: `offset` moved the least to show `selected`, never past the end.
    func firstVisible(selected: Int?, offset: Int, count: Int) -> Int {
        ScreenArea.firstVisible(selected: selected, offset: offset, count: count, height: listHeight)
    }
}

extension ConsoleLoop {
    /// Runs the screen's store work on the disk queue (one at a time, in order) and hands the
    /// answer back through the inbox; a console without a source says so instead.
    func perform(_ effect: IncidentsEffect) {
        let inbox = self.inbox
        guard let source = dependencies.incidents else {
            inbox.push(.incidents(.unavailable))
            return
        }
        let now = dependencies.now
        switch effect {
        case .load(let query, let force):
            diskQueue.async {
                do {
                    if let snapshot = try source.load(query, force, now()) {
                        inbox.push(.incidents(.snapshot(snapshot, for: query)))
                    } else {
                        inbox.push(.incidents(.unchanged(query)))
                    }
                } catch {
                    inbox.push(.incidents(.failed(String(describing: error))))
                }
            }
        case .act(let id, let command):
            diskQueue.async {
                do {
                    inbox.push(.incidents(.acted(incident: id, message: try source.act(id, command, now()))))
                } catch {
                    inbox.push(.incidents(.actFailed(incident: id, command: command, message: String(describing: error))))
                }
            }
        }
    }
}
