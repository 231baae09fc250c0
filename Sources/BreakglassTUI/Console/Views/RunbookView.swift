import BreakglassAWS
import BreakglassCore
import Foundation

// The runbook screen and guided mode (issue 7). The frame calls the functions below; the drawing is
// in RunbookRender.swift and GuidedRender.swift, the run's wiring (the same `RunbookDriver` that
// `runbook run` uses) in RunbookRunner.swift.
//
// A run is driven off the loop. When the driver needs a person (read a `say`, confirm a `do`, decide
// about an outcome-unknown `do`) its question arrives as `.asked(token:)` and the driver waits; the
// person's answer goes back as the effect `.reply(token:)`. Every answer may be "stop here": the run
// is then stored, waiting, and resumes where it stopped.

/// A value carried by an event or effect that only needs `Equatable`: the console's events are
/// `Hashable`, and these never serve as keys.
public struct RunbookPayload<Value: Equatable & Sendable>: Hashable, Sendable {
    public var value: Value
    public init(_ value: Value) { self.value = value }
    public func hash(into hasher: inout Hasher) {}
}

/// What the console knows of the runbooks: those that can run (they load and lint clean), the
/// problems of the others, and the runbook to open first (`--runbook`, `--incident`).
public struct RunbookShelf: Sendable, Equatable {
    public var runbooks: [Runbook]
    /// One sentence per runbook file that cannot be used, naming it.
    public var problems: [String]
    public var initial: RunbookOpenRequest?
    /// Whom to call for help when there is no incident to escalate, in plain words ("Primary
    /// on-call: +15555550100").
    public var contacts: [String]

    public init(runbooks: [Runbook], problems: [String] = [], initial: RunbookOpenRequest? = nil, contacts: [String] = []) {
        self.runbooks = runbooks
        self.problems = problems
        self.initial = initial
        self.contacts = contacts
    }
}

/// A runbook to open, for an incident when known.
public struct RunbookOpenRequest: Hashable, Sendable {
    public var runbook: String?
    public var incident: Int64?
    public init(runbook: String?, incident: Int64?) {
        self.runbook = runbook
        self.incident = incident
    }
}

/// Whether a break-glass grant covers the runbook's access role.
public enum RunbookGrantStatus: Hashable, Sendable {
    case held(role: String)
    /// No grant for `role`; `note` says so in a sentence.
    case missing(role: String, note: String)
}

/// A question the running driver is waiting on.
public enum RunbookAsk: Sendable, Equatable {
    /// A `say` step: go on once read.
    case show(step: Int, text: String)
    case confirm(RunbookConfirmation)
    /// A `do` whose outcome is unknown: mark it done, send it again, or stop.
    case decide(step: Int, verification: RunbookVerification?)

    public var step: Int {
        switch self {
        case .show(let s, _), .decide(let s, _): s
        case .confirm(let c): c.step
        }
    }
}

/// The person's answer to a `RunbookAsk`.
public enum RunbookReply: Hashable, Sendable {
    /// A `say` was read.
    case read
    case confirmed(typed: String?)
    case decided(RunbookUnknownChoice)
    /// Not now: the run stops, stored, waiting; the reason says for what.
    case stop(String)
}

/// What a run reports to the console as it goes.
public enum RunbookRunReport: Sendable, Equatable {
    /// The run is stored and about to be driven; `note` says what the person should know (no grant).
    case started(RunbookRunState, resumed: Bool, note: String?)
    case progress(RunbookProgress)
    /// The driver returned: finished, or stopped waiting for a person.
    case finished(RunbookRunState)
    /// The run could not start; the sentence says why and what to do.
    case failed(String)
}

public enum RunbookViewEvent: Hashable, Sendable {
    case catalogLoaded(RunbookPayload<RunbookShelf>)
    case catalogFailed(String)
    case grant(runbook: String, RunbookGrantStatus)
    /// The unfinished run of `runbook` stored on the state file (nil: none), looked up on opening it.
    case stored(runbook: String, RunbookPayload<RunbookRunState>?)
    /// From the run started as `session`; reports of an earlier session are dropped.
    case report(session: Int, RunbookPayload<RunbookRunReport>)
    case asked(session: Int, token: UInt64, RunbookPayload<RunbookAsk>)
    case verified(session: Int, step: Int, RunbookPayload<RunbookVerification>)
    case abandoned(RunbookPayload<RunbookRunState>)
    case abandonFailed(String)
    /// "I need help" paged: the sentence says who.
    case escalated(String)
    case escalateFailed(String)
}

public enum RunbookViewEffect: Hashable, Sendable {
    case loadCatalog
    case checkGrant(runbook: String, role: String)
    /// Looks up `runbook`'s unfinished stored run, which `n` resumes.
    case lookUpStored(runbook: String)
    /// Starts a new run of `runbook` with `params` (name -> text, over the defaults), or resumes its
    /// unfinished one, reporting as `session`.
    case start(runbook: String, incident: Int64?, session: Int, params: [String: String] = [:])
    case reply(token: UInt64, RunbookReply)
    /// Reads whether an outcome-unknown `do` took effect (never sends it).
    case verify(runbook: String, step: Int, RunbookPayload<RunbookStepState>, region: String, session: Int)
    case abandon(run: Int64, reason: String)
    case escalate(incident: Int64)
}

/// How far the catalog has come.
public enum RunbookShelfStatus: Hashable, Sendable {
    case notLoaded, loading, loaded
    case failed(String)
}

/// Where the open runbook's run is.
public enum RunbookRunPhase: Sendable, Equatable {
    /// No run driven from this console yet (a stored one may exist: starting resumes it).
    case idle
    /// Asked to start; waiting for the first report.
    case starting
    /// The driver is working (a read, a send, a wait).
    case running
    /// The driver waits on `token` for the person.
    case asking(token: UInt64, RunbookAsk)
    /// The person said stop; the driver is storing the run.
    case stopping
    /// The driver returned; the run is stored, waiting or finished.
    case stopped(RunbookRunStatus, reason: String?)
}

/// A prompt on the runbook screen (or in guided mode) that takes keys until answered.
public enum RunbookPrompt: Hashable, Sendable {
    /// Send the `do` the driver asks about? y/N.
    case confirmYes(token: UInt64)
    /// Type `expected` to send it (`confirm: type`, and every `do` in guided mode).
    case confirmTyped(token: UInt64, expected: String, text: String, wrong: Bool)
    /// Send an outcome-unknown `do` again: typed, like a first send.
    case resendTyped(token: UInt64, expected: String, text: String, wrong: Bool)
    /// It took effect: mark it done? y/N.
    case markDone(token: UInt64)
    /// Abandon the run? y/N.
    case abandon
    /// No grant covers the runbook's role: y requests one (the access screen), n runs without.
    case requestAccess(role: String)
    /// Guided mode: "Page the next person for help? y/n".
    case help
}

/// "I need help" in guided mode.
public enum GuidedHelp: Hashable, Sendable {
    case none
    case paging
    case paged(String)
    case failed(String)
    /// No incident to escalate: whom to call instead.
    case call(String)
}

/// The runbook open on the screen and what its run is doing.
public struct OpenRunbook: Sendable {
    public var runbook: Runbook
    public var incident: Int64?
    /// The run as last reported (nil until one is started or resumed from this console).
    public var run: RunbookRunState?
    public var phase: RunbookRunPhase = .idle
    /// Which run the reports belong to.
    public var session = 0
    public var selected = 0
    public var grant: RunbookGrantStatus?
    /// The person was told about the missing grant and chose to go on.
    public var accessOffered = false
    /// Something to know: the run's waiting reason, a failure to start, no grant.
    public var note: String?
    /// The latest `say` text shown, by step.
    public var said: [Int: String] = [:]
    /// Abandon once the driver has stored the run.
    public var abandonWhenStopped = false
    /// Guided mode: the step on screen (behind the run while the person reads a result).
    public var shown = 0
    public var help: GuidedHelp = .none
    /// The parameters being typed before the first run, when they cannot all be defaults.
    public var form: RunbookParamForm?
    /// What the form gave (name -> text): the new run's parameters, and the session policy's when
    /// access is requested for it.
    public var params: [String: String]?

    init(runbook: Runbook, incident: Int64?) {
        self.runbook = runbook
        self.incident = incident
    }

    /// Each step's state: the run's, or pending before there is one.
    public var steps: [RunbookStepState] {
        run?.steps ?? Array(repeating: RunbookStepState(), count: runbook.steps.count)
    }

    public var ask: (token: UInt64, ask: RunbookAsk)? {
        if case .asking(let token, let ask) = phase { return (token, ask) }
        return nil
    }

    /// The incident a "help" escalates: the one the runbook was opened for, or the run's.
    public var helpIncident: Int64? { incident ?? run?.incident.flatMap { Int64($0) } }

    public var isDriving: Bool {
        switch phase {
        case .starting, .running, .asking, .stopping: true
        case .idle, .stopped: false
        }
    }

    public var isFinished: Bool {
        if case .stopped(let status, _) = phase { return status.isFinished }
        return run?.status.isFinished ?? false
    }
}

public struct RunbookViewState: Sendable {
    /// Runbook ids known to the catalog, for `:runbook NAME` completion.
    public internal(set) var catalog: [String] = []
    public internal(set) var runbooks: [Runbook] = []
    public internal(set) var problems: [String] = []
    public internal(set) var shelf: RunbookShelfStatus = .notLoaded
    public internal(set) var pickerIndex = 0
    /// The person moved in the picker: guided mode then stops choosing for them.
    var pickerTouched = false
    /// Asked for before the catalog arrived.
    var pendingOpen: RunbookOpenRequest?
    public internal(set) var open: OpenRunbook?
    /// The picker shows even with a runbook open (Esc from it); Enter on it comes back.
    public internal(set) var showingPicker = false
    public internal(set) var prompt: RunbookPrompt?
    /// Whom to call when there is no incident to escalate.
    public internal(set) var contacts: [String] = []
    /// A runbook source is wired (`runbookConnect`): only then is the catalog loaded.
    public internal(set) var wired = false
    var nextSession = 0
    public init() {}
}

/// Where the runbook screen finds runbooks and drives runs; every call runs off the loop.
public struct RunbookSource: Sendable {
    /// Loads the catalog (disk).
    public var load: @Sendable () throws -> RunbookShelf
    /// Whether a grant covers `role` (asks the local access agent).
    public var grant: @Sendable (_ role: String, _ runbook: String) -> RunbookGrantStatus
    /// Starts or resumes a run of `runbook` (a new one with `params`, name -> text, over the
    /// defaults) and drives it until it finishes or waits, asking `interaction` and telling `report`
    /// as it goes. Never throws: failures are reported.
    public var run: @Sendable (
        _ runbook: String, _ incident: Int64?, _ params: [String: String], _ interaction: RunbookInteraction,
        _ report: @escaping @Sendable (RunbookRunReport) -> Void
    ) async -> Void
    /// Reads whether step `step` of `runbook` took effect. Never sends the step.
    public var verify: @Sendable (_ runbook: String, _ step: Int, _ state: RunbookStepState, _ region: String) async -> RunbookVerification
    /// Gives up a stored run (not being driven).
    public var abandon: @Sendable (_ run: Int64, _ reason: String) throws -> RunbookRunState
    /// The unfinished run of `runbook` on the state file, if any (disk).
    public var stored: @Sendable (_ runbook: String) -> RunbookRunState?
    /// Pages the next escalation stage of `incident` now; returns the sentence saying who.
    public var escalate: @Sendable (_ incident: Int64) throws -> String
    /// The questions runs are waiting on, and the runs themselves.
    public let asks = RunbookAskTable()

    public init(
        load: @escaping @Sendable () throws -> RunbookShelf, grant: @escaping @Sendable (String, String) -> RunbookGrantStatus,
        run: @escaping @Sendable (String, Int64?, [String: String], RunbookInteraction, @escaping @Sendable (RunbookRunReport) -> Void) async -> Void,
        verify: @escaping @Sendable (String, Int, RunbookStepState, String) async -> RunbookVerification,
        abandon: @escaping @Sendable (Int64, String) throws -> RunbookRunState, escalate: @escaping @Sendable (Int64) throws -> String,
        stored: @escaping @Sendable (String) -> RunbookRunState? = { _ in nil }
    ) {
        self.stored = stored
        self.load = load
        self.grant = grant
        self.run = run
        self.verify = verify
        self.abandon = abandon
        self.escalate = escalate
    }

    /// Before the process exits: every question still open is answered "stop" (so each run is
    /// stored waiting, to resume later), and the runs are given a few seconds to store themselves.
    public func finish(reason: String = "the console was closed") async {
        await asks.finish(reason: reason)
    }
}

// MARK: - The runbook screen

extension ConsoleState {
    /// Opens runbook `id` (for `incident`, when known) on the runbook screen; in guided mode its run
    /// starts at once.
    mutating func openRunbook(_ id: String, incident: Int64?, now: Date) -> [ConsoleEffect] {
        show(.runbook)
        runbook.showingPicker = false
        guard runbook.shelf == .loaded else {
            runbook.pendingOpen = RunbookOpenRequest(runbook: id, incident: incident)
            return loadCatalogIfNeeded()
        }
        guard let found = runbook.runbooks.first(where: { $0.id == id }) else {
            let known = runbook.catalog.isEmpty ? "there are no runbooks that can run" : "the runbooks are " + runbook.catalog.joined(separator: ", ")
            message = ConsoleMessage("no runbook named \(id) can run; \(known)", isError: true)
            return []
        }
        if let current = runbook.open, current.runbook.id == id {
            if let incident, current.run == nil { runbook.open?.incident = incident }
            return guided ? startRun() : []
        }
        var effects = stopAsking("the console moved to runbook \(id)")
        runbook.prompt = nil
        runbook.open = OpenRunbook(runbook: found, incident: incident)
        if let index = runbook.runbooks.firstIndex(where: { $0.id == id }) { runbook.pickerIndex = index }
        if guided { return effects + startRun() }
        if let role = found.access?.value { effects.append(.runbook(.checkGrant(runbook: id, role: role))) }
        effects.append(.runbook(.lookUpStored(runbook: id)))
        return effects
    }

    /// Before the first event: whether the loop has a runbook source. Without one (no state file:
    /// runs must be stored) the screen says so instead of loading.
    mutating func runbookConnect(available: Bool) {
        runbook.wired = available
        if !available {
            runbook.shelf = .failed("runbooks are off in this console: the state file could not be opened, and every run is stored there")
        }
    }

    private mutating func loadCatalogIfNeeded() -> [ConsoleEffect] {
        guard runbook.wired else { return [] }
        switch runbook.shelf {
        case .notLoaded, .failed:
            runbook.shelf = .loading
            return [.runbook(.loadCatalog)]
        case .loading, .loaded:
            return []
        }
    }

    /// Answers "stop" to the question the open run waits on, if any.
    private mutating func stopAsking(_ reason: String) -> [ConsoleEffect] {
        guard let open = runbook.open, let ask = open.ask else { return [] }
        runbook.open?.phase = .stopping
        return [.runbook(.reply(token: ask.token, .stop(reason)))]
    }

    /// Starts (or resumes) the open runbook's run, unless it is already being driven. A first run
    /// whose parameters cannot all be defaults opens the parameter form instead; the form starts it
    /// with `params` once every field is right.
    mutating func startRun() -> [ConsoleEffect] {
        guard var open = runbook.open, !open.isDriving, !open.isFinished else { return [] }
        if openParamFormIfNeeded() { return [] }
        runbook.nextSession += 1
        open.session = runbook.nextSession
        open.phase = .starting
        open.note = nil
        open.form = nil
        runbook.open = open
        return [.runbook(.start(runbook: open.runbook.id, incident: open.incident, session: open.session, params: open.params ?? [:]))]
    }

    /// Opens the parameter form when a new run is next and its parameters are not known yet (some
    /// cannot be defaults, and the form has not given them); says whether it did.
    mutating func openParamFormIfNeeded() -> Bool {
        guard var open = runbook.open, open.run == nil, open.params == nil, RunbookParamForm.needed(open.runbook) else { return false }
        if open.form == nil { open.form = RunbookParamForm(open.runbook) }
        runbook.open = open
        return true
    }

    /// Runbook ids in the picker's order: those suggested for open incidents first (most severe
    /// incident first), then the rest by id.
    var pickerOrder: [Runbook] {
        let suggested = suggestedRunbooks.map(\.runbook)
        let first = suggested.compactMap { id in runbook.runbooks.first { $0.id == id } }
        return first + runbook.runbooks.filter { !suggested.contains($0.id) }
    }

    /// (runbook, incident) suggested by unresolved incidents, most severe (lowest number) first.
    var suggestedRunbooks: [(runbook: String, incident: Int64)] {
        let open = incidents.rows.filter { $0.phase != "resolved" }.sorted { ($0.severity, -$0.id) < ($1.severity, -$1.id) }
        var seen = Set<String>()
        var out: [(String, Int64)] = []
        for row in open {
            for id in row.runbooks where seen.insert(id).inserted && runbook.catalog.contains(id) { out.append((id, row.id)) }
        }
        return out
    }

    mutating func runbookKey(_ key: Key, now: Date) -> [ConsoleEffect]? {
        if !runbook.showingPicker, let effects = paramFormKey(key, now: now) { return effects }
        guard let prompt = runbook.prompt else { return nil }
        return promptKey(key, prompt, now: now)
    }

    /// A key for the open prompt: it takes every key until answered or cancelled.
    mutating func promptKey(_ key: Key, _ prompt: RunbookPrompt, now: Date) -> [ConsoleEffect] {
        let yes = key == .char("y") || key == .char("Y")
        let no = key == .char("n") || key == .char("N") || key == .enter || key == .escape
        switch prompt {
        case .confirmYes(let token):
            if yes {
                runbook.prompt = nil
                runbook.open?.phase = .running
                markStep(.running)
                return [.runbook(.reply(token: token, .confirmed(typed: nil)))]
            }
            if no { return declineConfirmation(token) }
            return []
        case .confirmTyped(let token, let expected, let text, _):
            switch editTyped(key, text) {
            case .editing(let text):
                runbook.prompt = .confirmTyped(token: token, expected: expected, text: text, wrong: false)
                return []
            case .cancelled:
                return declineConfirmation(token)
            case .submitted(let typed):
                guard typed == expected else {
                    runbook.prompt = .confirmTyped(token: token, expected: expected, text: "", wrong: true)
                    return []
                }
                runbook.prompt = nil
                runbook.open?.phase = .running
                markStep(.running)
                return [.runbook(.reply(token: token, .confirmed(typed: typed)))]
            }
        case .resendTyped(let token, let expected, let text, _):
            switch editTyped(key, text) {
            case .editing(let text):
                runbook.prompt = .resendTyped(token: token, expected: expected, text: text, wrong: false)
                return []
            case .cancelled:
                runbook.prompt = nil
                return []
            case .submitted(let typed):
                guard typed == expected else {
                    runbook.prompt = .resendTyped(token: token, expected: expected, text: "", wrong: true)
                    return []
                }
                runbook.prompt = nil
                runbook.open?.phase = .running
                markStep(.running)
                return [.runbook(.reply(token: token, .decided(.resend)))]
            }
        case .markDone(let token):
            if yes {
                runbook.prompt = nil
                runbook.open?.phase = .running
                return [.runbook(.reply(token: token, .decided(.markDone)))]
            }
            if no { runbook.prompt = nil }
            return []
        case .abandon:
            if yes {
                runbook.prompt = nil
                return abandonRun()
            }
            if no { runbook.prompt = nil }
            return []
        case .requestAccess(let role):
            if yes {
                runbook.prompt = nil
                runbook.open?.accessOffered = true
                guard let open = runbook.open else { return [] }
                // The session policy is derived for the values the run will have: the form's over
                // the defaults.
                var params = open.runbook.params.reduce(into: [String: String]()) { out, p in
                    if let value = p.defaultValue.flatMap(Self.scalarText) { out[p.name] = value }
                }
                params.merge(open.params ?? [:]) { _, typed in typed }
                return openAccess(role: role, runbook: open.runbook.id, params: params, now: now)
            }
            if key == .char("n") || key == .char("N") {
                runbook.prompt = nil
                runbook.open?.accessOffered = true
                return startRun()
            }
            if key == .escape { runbook.prompt = nil }
            return []
        case .help:
            if yes {
                runbook.prompt = nil
                return askForHelp()
            }
            if no { runbook.prompt = nil }
            return []
        }
    }

    private mutating func declineConfirmation(_ token: UInt64) -> [ConsoleEffect] {
        runbook.prompt = nil
        let step = runbook.open?.ask?.ask.step ?? 0
        runbook.open?.phase = .stopping
        return [.runbook(.reply(token: token, .stop("step \(step + 1) waits for confirmation; press n to be asked again")))]
    }

    private enum Typed {
        case editing(String)
        case cancelled
        case submitted(String)
    }

    private func editTyped(_ key: Key, _ text: String) -> Typed {
        switch key {
        case .char(let c): return .editing(text.count < 200 ? text + String(c) : text)
        case .backspace, .delete: return .editing(String(text.dropLast()))
        case .ctrl("u"): return .editing("")
        case .enter: return .submitted(text)
        case .escape: return .cancelled
        default: return .editing(text)
        }
    }

    /// Sets the status of the step the driver is at in the local copy of the run.
    private mutating func markStep(_ status: RunbookStepStatus) {
        guard let step = runbook.open?.ask?.ask.step ?? runbook.open?.run?.current,
            let count = runbook.open?.run?.steps.count, step < count
        else { return }
        runbook.open?.run?.steps[step].status = status
    }

    mutating func runbookPerform(_ action: ConsoleAction, now: Date) -> [ConsoleEffect]? {
        if runbook.open == nil || runbook.showingPicker { return pickerPerform(action, now: now) }
        guard let open = runbook.open else { return nil }
        switch action {
        case .moveDown, .moveUp, .top, .bottom, .pageDown, .pageUp:
            let last = max(0, open.runbook.steps.count - 1)
            var target = open.selected
            switch action {
            case .moveDown: target += 1
            case .moveUp: target -= 1
            case .pageDown: target += 5
            case .pageUp: target -= 5
            case .top: target = 0
            default: target = last
            }
            runbook.open?.selected = min(max(0, target), last)
            return []
        case .run, .select:
            return goOn(now: now)
        case .verify:
            guard let ask = open.ask, case .decide(let step, _) = ask.ask, let run = open.run else {
                message = ConsoleMessage("only a step whose outcome is unknown can be verified")
                return []
            }
            return [.runbook(.verify(runbook: open.runbook.id, step: step, RunbookPayload(run.steps[step]), region: run.region, session: open.session))]
        case .markDone:
            guard let ask = open.ask, case .decide = ask.ask else {
                message = ConsoleMessage("only a step whose outcome is unknown can be marked done")
                return []
            }
            runbook.prompt = .markDone(token: ask.token)
            return []
        case .resend:
            guard let ask = open.ask, case .decide(let step, _) = ask.ask else {
                message = ConsoleMessage("only a step whose outcome is unknown can be sent again")
                return []
            }
            runbook.prompt = .resendTyped(token: ask.token, expected: expectedTyping(step: step), text: "", wrong: false)
            return []
        case .abandon:
            guard open.run != nil || open.isDriving, !open.isFinished else {
                message = ConsoleMessage("there is no unfinished run of \(open.runbook.id) to abandon")
                return []
            }
            runbook.prompt = .abandon
            return []
        case .refresh:
            return loadCatalogIfNeeded()
        default:
            return nil
        }
    }

    /// Whether the access screen's last look at the agent found a live grant for `role`.
    func grantHeld(_ role: String, now: Date) -> Bool {
        access.held.map { $0.role == role && $0.expires > now } ?? false
    }

    /// `n` or Enter on an open runbook: start or resume the run (asking for its parameters first,
    /// then offering access), read past a `say`, or open the confirmation the driver waits for.
    mutating func goOn(now: Date) -> [ConsoleEffect] {
        guard let open = runbook.open else { return [] }
        switch open.phase {
        case .idle, .stopped:
            if open.isFinished {
                message = ConsoleMessage("run \(open.run.map { String($0.id) } ?? "") is \(open.run?.status.rawValue ?? "finished")")
                return []
            }
            // The parameters first: the session policy of a grant requested next is derived for them.
            if openParamFormIfNeeded() { return [] }
            // A grant made since the runbook was opened (on the access screen, or by
            // `breakglass access request` elsewhere) covers it too: the access screen polls the agent.
            if case .missing(let role, _)? = open.grant, !open.accessOffered, !grantHeld(role, now: now) {
                runbook.prompt = .requestAccess(role: role)
                return []
            }
            return startRun()
        case .starting, .running, .stopping:
            message = ConsoleMessage("the run is busy with step \((open.run?.current ?? 0) + 1); it asks when it needs you")
            return []
        case .asking(let token, let ask):
            switch ask {
            case .show:
                runbook.open?.phase = .running
                return [.runbook(.reply(token: token, .read))]
            case .confirm(let c):
                runbook.open?.selected = c.step
                runbook.prompt = c.kind == .type || guided
                    ? .confirmTyped(token: token, expected: c.expectedTyping, text: "", wrong: false) : .confirmYes(token: token)
                return []
            case .decide(let step, _):
                runbook.open?.selected = step
                message = ConsoleMessage("step \(step + 1)'s outcome is unknown: v verify, m mark done, S send again")
                return []
            }
        }
    }

    private mutating func abandonRun() -> [ConsoleEffect] {
        guard let open = runbook.open else { return [] }
        if let ask = open.ask {
            runbook.open?.abandonWhenStopped = true
            runbook.open?.phase = .stopping
            return [.runbook(.reply(token: ask.token, .stop("abandoning the run")))]
        }
        if open.isDriving {
            runbook.open?.abandonWhenStopped = true
            message = ConsoleMessage("the run is abandoned once step \((open.run?.current ?? 0) + 1) stops")
            return []
        }
        guard let run = open.run else {
            message = ConsoleMessage("there is no run of \(open.runbook.id) in this console to abandon; start it with n, or use breakglass runbook abandon")
            return []
        }
        return [.runbook(.abandon(run: run.id, reason: "abandoned from the console"))]
    }

    private mutating func pickerPerform(_ action: ConsoleAction, now: Date) -> [ConsoleEffect]? {
        let order = pickerOrder
        switch action {
        case .moveDown, .moveUp, .top, .bottom, .pageDown, .pageUp:
            guard !order.isEmpty else { return [] }
            runbook.pickerTouched = true
            let current = min(runbook.pickerIndex, order.count - 1)
            let target: Int
            switch action {
            case .moveDown: target = current + 1
            case .moveUp: target = current - 1
            case .pageDown: target = current + 10
            case .pageUp: target = current - 10
            case .top: target = 0
            default: target = order.count - 1
            }
            runbook.pickerIndex = min(max(0, target), order.count - 1)
            return []
        case .select, .run:
            guard !order.isEmpty else { return [] }
            let chosen = order[min(runbook.pickerIndex, order.count - 1)]
            let incident = suggestedRunbooks.first { $0.runbook == chosen.id }?.incident
            let effects = openRunbook(chosen.id, incident: incident, now: now)
            runbook.pickerIndex = min(runbook.pickerIndex, order.count - 1)
            return effects
        case .refresh:
            return loadCatalogIfNeeded()
        default:
            return nil
        }
    }

    /// What a typed confirmation of step `step` must match: the rendered resource name, else the
    /// operation's name (as the engine asks).
    func expectedTyping(step: Int) -> String {
        guard let open = runbook.open, step < open.runbook.steps.count, case .do(let d) = open.runbook.steps[step].kind else { return "" }
        if let member = d.call.resourceMember, let input = open.run?.steps[step].input, let value = input[member.key].flatMap(Self.scalarText) {
            return value
        }
        return d.call.operation.description
    }

    static func scalarText(_ value: AWSValue) -> String? {
        switch value {
        case .string(let s), .number(let s): s
        case .bool(let b): b ? "true" : "false"
        case .null, .array, .object: nil
        }
    }

    mutating func runbookReduce(_ event: RunbookViewEvent, now: Date) -> [ConsoleEffect] {
        switch event {
        case .catalogLoaded(let shelf):
            runbook.runbooks = shelf.value.runbooks.sorted { $0.id < $1.id }
            runbook.catalog = runbook.runbooks.map(\.id)
            runbook.problems = shelf.value.problems
            runbook.contacts = shelf.value.contacts
            runbook.shelf = .loaded
            if let pending = runbook.pendingOpen ?? shelf.value.initial, let id = pending.runbook {
                runbook.pendingOpen = nil
                return openRunbook(id, incident: pending.incident, now: now)
            }
            if let initial = shelf.value.initial, let incident = initial.incident {
                runbook.pendingOpen = RunbookOpenRequest(runbook: nil, incident: incident)
            }
            return guidedChoose(now: now)
        case .catalogFailed(let message):
            runbook.shelf = .failed(message)
            return []
        case .stored(let id, let stored):
            // Shown until this console starts or resumes a run: the checklist as the stored run
            // left it, why it waits, and that `n` resumes it (with the parameters it started with).
            guard let run = stored?.value, let open = runbook.open, open.runbook.id == id, open.run == nil, open.phase == .idle else { return [] }
            runbook.open?.run = run
            if open.note == nil { runbook.open?.note = run.reason }
            return []
        case .grant(let id, let status):
            guard runbook.open?.runbook.id == id else { return [] }
            runbook.open?.grant = status
            if case .held = status { runbook.open?.accessOffered = false }
            return []
        case .report(let session, let payload):
            guard var open = runbook.open, open.session == session else { return [] }
            let effects = apply(payload.value, to: &open)
            runbook.open = open
            return effects
        case .asked(let session, let token, let payload):
            guard var open = runbook.open, open.session == session, open.phase != .stopping else {
                // A run this console no longer shows: it stops, stored.
                return [.runbook(.reply(token: token, .stop("the console moved on")))]
            }
            let ask = payload.value
            open.phase = .asking(token: token, ask)
            if var run = open.run, ask.step < run.steps.count {
                switch ask {
                case .show(let step, let text):
                    run.steps[step].status = .running
                    open.said[step] = text
                case .confirm(let c):
                    run.steps[c.step].status = .awaitingConfirmation
                    run.steps[c.step].input = c.input
                case .decide(let step, let verification):
                    run.steps[step].status = .outcomeUnknown
                    if let verification { run.steps[step].verification = verification }
                }
                open.run = run
            }
            if !guided || open.shown >= ask.step { open.selected = ask.step }
            runbook.open = open
            if guided, case .confirm(let c) = ask, open.shown == c.step {
                runbook.prompt = .confirmTyped(token: token, expected: c.expectedTyping, text: "", wrong: false)
            }
            return []
        case .verified(let session, let step, let verdict):
            guard runbook.open?.session == session, step < (runbook.open?.run?.steps.count ?? 0) else { return [] }
            runbook.open?.run?.steps[step].verification = verdict.value
            if case .asking(let token, .decide(let s, _))? = runbook.open?.phase, s == step {
                runbook.open?.phase = .asking(token: token, .decide(step: s, verification: verdict.value))
            }
            message = ConsoleMessage("step \(step + 1): \(verdict.value.detail)")
            return []
        case .abandoned(let run):
            guard runbook.open?.runbook.id == run.value.runbook else { return [] }
            runbook.open?.run = run.value
            runbook.open?.phase = .stopped(run.value.status, reason: run.value.reason)
            runbook.open?.abandonWhenStopped = false
            message = ConsoleMessage("run \(run.value.id) abandoned")
            return []
        case .abandonFailed(let text):
            runbook.open?.abandonWhenStopped = false
            message = ConsoleMessage(text, isError: true)
            return []
        case .escalated(let sentence):
            runbook.open?.help = .paged(sentence)
            if !guided { message = ConsoleMessage(sentence) }
            return []
        case .escalateFailed(let text):
            runbook.open?.help = .failed(text)
            if !guided { message = ConsoleMessage(text, isError: true) }
            return []
        }
    }

    private mutating func apply(_ report: RunbookRunReport, to open: inout OpenRunbook) -> [ConsoleEffect] {
        switch report {
        case .started(let run, _, let note):
            open.run = run
            if open.phase == .starting { open.phase = .running }
            open.note = note
            if let current = run.current {
                open.selected = current
                if guided { open.shown = max(open.shown, min(current, firstUnread(run))) }
            }
            if open.incident == nil, let incident = run.incident.flatMap({ Int64($0) }) { open.incident = incident }
        case .progress(let progress):
            switch progress {
            case .say(let step, let text):
                open.said[step] = text
            case .step(let step, let state):
                if var run = open.run, step < run.steps.count {
                    run.steps[step] = state
                    open.run = run
                    if !guided, open.selected == step, let next = run.current { open.selected = next }
                    // Guided: Next on a `say` was the person moving on; a result (a check) stays
                    // on screen until they press Next.
                    if guided, open.shown == step, state.status == .done, step + 1 < run.steps.count, case .say = open.runbook.steps[step].kind {
                        open.shown = step + 1
                        open.selected = step + 1
                        if let ask = open.ask, case .confirm(let c) = ask.ask, c.step == step + 1 {
                            runbook.prompt = .confirmTyped(token: ask.token, expected: c.expectedTyping, text: "", wrong: false)
                        }
                    }
                }
            case .waiting(let reason):
                open.note = reason
            case .awaitingApproval(let step, let explain):
                open.note = "step \(step + 1) waits for a second person's approval: \(explain) — they run `\(RunbookDriver.approveCommand(open.run?.id ?? 0))`"
            }
            if open.ask == nil, open.phase != .stopping { open.phase = .running }
        case .finished(let run):
            open.run = run
            open.phase = .stopped(run.status, reason: run.reason)
            if runbook.prompt != nil, !(runbook.prompt == .abandon || runbook.prompt == .help) { runbook.prompt = nil }
            switch run.status {
            case .waiting: open.note = run.reason
            case .failed: open.note = run.reason ?? "a step failed"
            case .succeeded: open.note = nil
            case .abandoned, .running: open.note = run.reason
            }
            if open.abandonWhenStopped {
                open.abandonWhenStopped = false
                if !run.status.isFinished { return [.runbook(.abandon(run: run.id, reason: "abandoned from the console"))] }
            }
        case .failed(let text):
            open.phase = .idle
            open.note = text
            if !guided { message = ConsoleMessage(text, isError: true) }
        }
        return []
    }

    /// Guided mode: the first step a person has not yet been shown the result of.
    private func firstUnread(_ run: RunbookRunState) -> Int {
        run.current ?? max(0, run.steps.count - 1)
    }

    mutating func runbookTick(now: Date) -> [ConsoleEffect] {
        if runbook.shelf == .notLoaded { return loadCatalogIfNeeded() }
        if guided, runbook.open == nil, runbook.shelf == .loaded { return guidedChoose(now: now) }
        return []
    }

    /// Esc: the prompt first (a confirmation prompt stops the run, waiting), then back to the picker.
    mutating func runbookBack() -> Bool {
        // An open prompt takes Esc itself (runbookKey); this is the level under it.
        if runbook.open != nil, !runbook.showingPicker {
            runbook.showingPicker = true
            return true
        }
        return false
    }

    var runbookAvailable: Set<ConsoleAction> {
        guard let open = runbook.open, !runbook.showingPicker else {
            var actions: Set<ConsoleAction> = runbook.runbooks.isEmpty ? [] : [.select]
            if runbook.open != nil { actions.insert(.back) }
            return actions
        }
        var actions: Set<ConsoleAction> = [.back]
        if runbook.prompt != nil { return actions }
        switch open.phase {
        case .idle, .stopped: if !open.isFinished { actions.insert(.run) }
        case .asking(_, let ask):
            switch ask {
            case .show, .confirm: actions.insert(.run)
            case .decide: actions.formUnion([.verify, .markDone, .resend])
            }
        case .starting, .running, .stopping: break
        }
        if (open.run != nil && !open.isFinished) || open.ask != nil { actions.insert(.abandon) }
        return actions
    }

    // MARK: Guided mode

    /// Guided mode with nothing open: `--runbook`, else the first runbook suggested for the most
    /// severe open incident, else the picker (until the person moves in it, a suggestion that
    /// arrives later is still taken).
    private mutating func guidedChoose(now: Date) -> [ConsoleEffect] {
        guard guided, runbook.open == nil, !runbook.pickerTouched, runbook.shelf == .loaded else { return [] }
        let wanted = runbook.pendingOpen?.incident
        let suggestions = suggestedRunbooks
        if let wanted, let pick = incidents.rows.first(where: { $0.id == wanted })?.runbooks.first(where: { runbook.catalog.contains($0) }) {
            runbook.pendingOpen = nil
            return openRunbook(pick, incident: wanted, now: now)
        }
        if let first = suggestions.first {
            return openRunbook(first.runbook, incident: first.incident, now: now)
        }
        if runbook.runbooks.count == 1, let only = runbook.runbooks.first {
            return openRunbook(only.id, incident: wanted, now: now)
        }
        return []
    }

    /// Guided mode's raw keys: an open prompt takes them all; the picker takes arrows, j/k and
    /// digits. Nothing here leads to another screen.
    mutating func guidedKey(_ key: Key, now: Date) -> [ConsoleEffect]? {
        if let effects = paramFormKey(key, now: now) { return effects }
        if let prompt = runbook.prompt {
            if case .confirmTyped = prompt, key == .escape {
                // The backup stays on the step: Esc only clears what was typed.
                if case .confirmTyped(let token, let expected, _, _) = prompt {
                    runbook.prompt = .confirmTyped(token: token, expected: expected, text: "", wrong: false)
                }
                return []
            }
            return promptKey(key, prompt, now: now)
        }
        if runbook.open == nil {
            let order = pickerOrder
            switch key {
            case .down, .char("j"): return pickerPerform(.moveDown, now: now)
            case .up, .char("k"): return pickerPerform(.moveUp, now: now)
            case .char(let c) where c.isNumber:
                guard let n = c.wholeNumberValue, n >= 1, n <= order.count else { return [] }
                runbook.pickerTouched = true
                runbook.pickerIndex = n - 1
                return []
            default: return nil
            }
        }
        return nil
    }

    mutating func guidedPerform(_ action: ConsoleAction, now: Date) -> [ConsoleEffect]? {
        switch action {
        case .select:
            guard let open = runbook.open else {
                runbook.pickerTouched = true
                return pickerPerform(.select, now: now)
            }
            return guidedNext(open, now: now)
        case .needHelp:
            guard runbook.open != nil else {
                let who = guidedContacts
                message = ConsoleMessage(who.isEmpty ? "Call the person who gave you this console." : "Call for help: " + who)
                return []
            }
            runbook.prompt = .help
            return []
        default:
            return nil
        }
    }

    /// Whom to call, from the configuration, as the source gave it.
    var guidedContacts: String { runbook.contactsText }

    /// Next/Done: moves the screen on to the step the run is at, reads past a `say`, or opens the
    /// typed confirmation of a `do`.
    private mutating func guidedNext(_ open: OpenRunbook, now: Date) -> [ConsoleEffect] {
        let steps = open.steps
        let shown = min(open.shown, max(0, steps.count - 1))
        // The step on screen is finished and the run is further on: show the next one.
        if shown < steps.count, steps[shown].status.isSettled, shown + 1 < steps.count {
            runbook.open?.shown = shown + 1
            runbook.open?.selected = shown + 1
            if let ask = open.ask, case .confirm(let c) = ask.ask, c.step == shown + 1 {
                runbook.prompt = .confirmTyped(token: ask.token, expected: c.expectedTyping, text: "", wrong: false)
            }
            return []
        }
        switch open.phase {
        case .idle:
            return startRun()
        case .stopped(let status, _):
            if status.isFinished { return [] }
            return startRun()
        case .asking(let token, let ask):
            guard ask.step == shown else { return [] }
            switch ask {
            case .show:
                runbook.open?.phase = .running
                return [.runbook(.reply(token: token, .read))]
            case .confirm(let c):
                runbook.prompt = .confirmTyped(token: token, expected: c.expectedTyping, text: "", wrong: false)
                return []
            case .decide:
                // Not something to decide alone: ask for help.
                runbook.prompt = .help
                return []
            }
        case .starting, .running, .stopping:
            return []
        }
    }

    /// "Yes, page the next person": escalates the run's incident, or says whom to call.
    private mutating func askForHelp() -> [ConsoleEffect] {
        guard let open = runbook.open else { return [] }
        guard let incident = open.helpIncident ?? suggestedRunbooks.first(where: { $0.runbook == open.runbook.id })?.incident else {
            let who = guidedContacts
            runbook.open?.help = .call(who.isEmpty ? "There is no incident to page for. Call the person who gave you this console." : "There is no incident to page for. Call: " + who)
            return []
        }
        runbook.open?.help = .paging
        return [.runbook(.escalate(incident: incident))]
    }

    mutating func guidedBack() -> Bool {
        if runbook.prompt != nil {
            runbook.prompt = nil
            return true
        }
        if runbook.open?.help != GuidedHelp.none, runbook.open?.help != .paging {
            runbook.open?.help = .none
            return true
        }
        return false
    }

    var guidedAvailable: Set<ConsoleAction> {
        var actions: Set<ConsoleAction> = [.select, .needHelp]
        if runbook.prompt != nil { actions.insert(.back) }
        return actions
    }
}

extension RunbookViewState {
    /// Whom to call, in one line.
    var contactsText: String { contacts.joined(separator: "; ") }
}
