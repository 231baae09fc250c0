import BreakglassAWS
import Foundation

/// How a person takes part in a run: the console asks on screen, `runbook run` answers from its
/// flags. Every answer may be "stop here": the run is then left waiting, stored, to be resumed.
public struct RunbookInteraction: Sendable {
    public enum Answer: Sendable, Equatable {
        case confirmed(typed: String?)
        /// Not now; the reason says what the run waits for.
        case stop(String)
    }

    /// A `say` step's text: true once read.
    public var show: @Sendable (_ step: Int, _ text: String) async -> Bool
    public var confirm: @Sendable (RunbookConfirmation) async -> Answer
    /// A `do` whose outcome is unknown and that a read could not settle; nil: stop and leave it.
    public var decide: @Sendable (_ step: Int, _ verification: RunbookVerification?) async -> RunbookUnknownChoice?
    /// Whether to keep waiting (polling the store) for a second person's approval, or stop.
    public var waitsForApproval: Bool

    public init(
        show: @escaping @Sendable (Int, String) async -> Bool, confirm: @escaping @Sendable (RunbookConfirmation) async -> Answer,
        decide: @escaping @Sendable (Int, RunbookVerification?) async -> RunbookUnknownChoice?, waitsForApproval: Bool
    ) {
        self.show = show
        self.confirm = confirm
        self.decide = decide
        self.waitsForApproval = waitsForApproval
    }
}

/// What the driver reports as the run goes.
public enum RunbookProgress: Sendable, Equatable {
    /// A `say` step's text, as shown.
    case say(step: Int, text: String)
    /// A step settled (done, failed, skipped) or became outcome unknown.
    case step(Int, RunbookStepState)
    /// The run stopped to wait for a person; the reason says for what and how to go on.
    case waiting(String)
    /// Waiting for a second person's approval (shown once per step).
    case awaitingApproval(step: Int, explain: String)
}

/// Runs a runbook: asks the engine what is next, performs it (AWS calls, prompts, sleeps), feeds
/// back what happened, and persists the run and an audit entry after every transition.
///
/// Reads go through `client` as they are; each `do` goes through `client` journaled with the step's
/// context, so its intent is durably in the audit trail before it is sent. A `do` whose answer is
/// lost is never sent again by the driver: it is verified with a read, and a person decides.
public final class RunbookDriver: Sendable {
    /// What the second person types to approve run `id`: with `--sandbox` when this process works
    /// on the sandbox's own state (its runs are there, not in the real state).
    public static func approveCommand(_ id: Int64, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let onSandbox = environment["BREAKGLASS_STATE"].map { $0 == SandboxPaths(state: .current(environment: environment)).store } ?? false
        return "breakglass runbook approve \(id)" + (onSandbox ? " --sandbox" : "")
    }

    public let runbook: Runbook
    public let runs: RunbookRunStore
    public let log: AuditLog
    public let journal: AuditJournal
    public let client: AWSClient
    public let interaction: RunbookInteraction
    private let clock: @Sendable () -> Date
    private let sleep: @Sendable (Duration) async throws -> Void
    private let progress: @Sendable (RunbookProgress) -> Void
    /// How often the store is read for an approval.
    public let approvalPoll: Duration

    public init(
        runbook: Runbook, runs: RunbookRunStore, journal: AuditJournal, client: AWSClient, interaction: RunbookInteraction,
        clock: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        approvalPoll: Duration = .seconds(1),
        progress: @escaping @Sendable (RunbookProgress) -> Void = { _ in }
    ) {
        self.runbook = runbook
        self.runs = runs
        self.log = journal.log
        self.journal = journal
        self.client = client
        self.interaction = interaction
        self.clock = clock
        self.sleep = sleep
        self.approvalPoll = approvalPoll
        self.progress = progress
    }

    var actor: AuditActor { journal.actor }

    func context(_ run: RunbookRunState, step: Int? = nil) -> AuditContext {
        AuditContext(
            incident: run.incident ?? journal.context.incident, drill: run.drill ?? journal.context.drill, runbook: run.runbook,
            // The role this process's calls are made under now: a resumed run may hold a grant its
            // start did not, or no longer hold one.
            step: step.map { RunbookRunCoding.auditStep(run: run.id, step: $0) }, role: journal.context.role)
    }

    /// Stores a new run of the runbook (audited as `runbook.started`) and returns it.
    public func start(params: [String: AWSValue], region: String, role: String? = nil, incident: String? = nil, drill: String? = nil, source: String? = nil) throws -> RunbookRunState {
        let now = clock()
        let run = try runs.create(
            RunbookRunState(runbook: runbook, params: params, region: region, role: role, incident: incident, drill: drill, source: source, now: now),
            actor: actor, driverPID: getpid(), now: now)
        try log.append(AuditDraft(
            kind: "runbook.started", actor: actor, context: context(run), region: region,
            parameters: JSON.encode(AuditRedactor.redact(.object(AWSObject(params.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })))),
            detail: "run \(run.id) of \(runbook.id) (\(runbook.steps.count) steps)" + (source.map { ", \($0)" } ?? "")))
        return run
    }

    /// Takes over a stored run after an interruption: settles a `do` that was being sent from the
    /// audit trail (never by sending it again) and records the resumption.
    public func resume(_ stored: RunbookRunState, retryFailed: Bool = false) throws -> RunbookRunState {
        var run = stored
        guard run.shape == runbook.steps.map(\.kindName) else {
            throw RunbookEngineError(
                "run \(run.id) was started with a runbook of \(run.shape.count) steps (\(run.shape.joined(separator: ", "))); \(runbook.id) now has "
                    + "\(runbook.steps.count) (\(runbook.steps.map(\.kindName).joined(separator: ", "))). Abandon the run (breakglass runbook abandon \(run.id)) and start a new one.")
        }
        let now = clock()
        RunbookEngine.reconcile(&run, records: try runs.sendRecords(run, log: log), now: now)
        if retryFailed { try RunbookEngine.retry(&run) }
        try runs.save(run, now: now)
        try runs.setDriver(run.id, pid: getpid())
        let at = run.current.map { "step \($0 + 1)" } ?? "the end"
        try log.append(AuditDraft(kind: "runbook.resumed", actor: actor, context: context(run, step: run.current), detail: "run \(run.id) resumed at \(at)"))
        for (i, s) in run.steps.enumerated() where s != stored.steps[i] && (s.status != stored.steps[i].status) {
            try audit(run, i, from: stored.steps[i], to: s)
        }
        return run
    }

    /// Drives the run until it finishes or waits for a person. Returns it as stored.
    public func drive(_ start: RunbookRunState) async -> RunbookRunState {
        var run = start
        var announced = Set<Int>()
        do {
            while true {
                if Task.isCancelled { return try wait(&run, "interrupted") }
                let before = run
                let action = RunbookEngine.next(&run, runbook, now: clock())
                try commit(before, &run)
                switch action {
                case .finished(let status):
                    try runs.setDriver(run.id, pid: nil)
                    try log.append(AuditDraft(
                        kind: "runbook.finished", actor: actor, context: context(run), outcome: status.rawValue,
                        detail: "run \(run.id) \(status.rawValue)" + (run.reason.map { ": \($0)" } ?? "")))
                    return run

                case .show(let i, let text):
                    progress(.say(step: i, text: text))
                    guard await interaction.show(i, text) else { return try wait(&run, "step \(i + 1) waits to be read") }
                    try apply(.shown(step: i, by: actor.user), &run)

                case .read(let i, let purpose, let operation, let input, let region):
                    let event: RunbookEvent
                    if let op = operation.catalogEntry {
                        do {
                            let answer = try await client.call(op, input, region: region ?? run.region)
                            event = .answered(step: i, purpose: purpose, value: answer.value, requestID: answer.requestID)
                        } catch {
                            event = .readFailed(step: i, purpose: purpose, message: TerminalText.sanitize(error.description))
                        }
                    } else {
                        event = .readFailed(step: i, purpose: purpose, message: "Breakglass's catalog has no operation \(operation)")
                    }
                    try apply(event, &run)

                case .confirm(let confirmation):
                    switch await interaction.confirm(confirmation) {
                    case .stop(let reason):
                        return try wait(&run, reason)
                    case .confirmed(let typed):
                        do {
                            try apply(.confirmed(step: confirmation.step, by: actor.user, typed: typed), &run)
                        } catch let error as RunbookEngineError {
                            return try wait(&run, error.message)
                        }
                    }

                case .send(let i, let operation, let input):
                    try apply(.sending(step: i), &run)
                    try await send(i, operation, input, &run)

                case .sleep(_, let until):
                    let seconds = until.timeIntervalSince(clock())
                    if seconds > 0 {
                        do { try await sleep(.milliseconds(Int64((seconds * 1000).rounded(.up)))) } catch { return try wait(&run, "interrupted") }
                    }

                case .approval(let i, let until, let explain):
                    if let approval = try runs.approval(run: run.id, step: i) {
                        try apply(.approved(step: i, by: approval.user + (approval.sshClient.map { " from \($0)" } ?? "")), &run)
                        continue
                    }
                    guard interaction.waitsForApproval else {
                        return try wait(&run, "step \(i + 1) needs a second person's approval: \(explain) — they run `\(Self.approveCommand(run.id))`")
                    }
                    if announced.insert(i).inserted { progress(.awaitingApproval(step: i, explain: explain)) }
                    var pause = approvalPoll.timeInterval
                    if let until { pause = max(0, min(pause, until.timeIntervalSince(clock()))) }
                    do { try await sleep(.milliseconds(Int64((pause * 1000).rounded(.up)))) } catch { return try wait(&run, "interrupted") }

                case .page(let i, let reason):
                    try page(i, reason, &run)

                case .decide(let i, let verification):
                    guard let choice = await interaction.decide(i, verification) else {
                        let seen = verification.map { " A read shows: \($0.detail)" + ($0.detail.hasSuffix(".") ? "" : ".") } ?? ""
                        return try wait(
                            &run,
                            "step \(i + 1)'s outcome is unknown and it is never sent again by itself.\(seen) Check, then resume with --mark-done or --resend")
                    }
                    try apply(.resolved(step: i, choice: choice, by: actor.user), &run)
                }
            }
        } catch {
            // The store or the audit trail refused a write: stop, saying why. What was durably
            // recorded so far is the run's state; nothing was sent without its intent entry.
            run.reason = "stopped: could not record the run's progress: \(error)"
            progress(.waiting(run.reason ?? ""))
            return run
        }
    }

    private func send(_ i: Int, _ operation: RunbookOperation, _ input: AWSValue, _ run: inout RunbookRunState) async throws {
        guard let op = operation.catalogEntry else {
            try apply(.sendFailed(step: i, message: "not sent: Breakglass's catalog has no operation \(operation)", requestID: nil), &run)
            return
        }
        let stepJournal = journal.with(context: context(run, step: i))
        let result: Result<AWSClient.CallResult, AWSError>
        do {
            result = .success(try await client.journaled(stepJournal).call(op, input, region: run.region))
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success(let answer):
            try apply(.answered(step: i, purpose: nil, value: answer.value, requestID: answer.requestID), &run)
        case .failure(let error):
            switch MutationOutcome.from(error) {
            case .failed(let code, let message, let requestID):
                try apply(.sendFailed(step: i, message: TerminalText.sanitize("\(code): \(message)" + (requestID.map { " (request id \($0))" } ?? "")), requestID: requestID), &run)
            case .notSent(let detail):
                try apply(.sendFailed(step: i, message: TerminalText.sanitize("not sent: \(detail)"), requestID: nil), &run)
            case .unknown(let detail):
                try apply(.sendUnknown(step: i, message: TerminalText.sanitize(detail)), &run)
            case .succeeded:
                try apply(.sendUnknown(step: i, message: "the call ended without an answer"), &run)
            }
        }
    }

    private func page(_ i: Int, _ reason: String, _ run: inout RunbookRunState) throws {
        guard let incident = run.incident else {
            try apply(.skipped(step: i, by: "breakglass", reason: "no incident is attached to this run, so there is no escalation to move on; call for help directly (\(reason))"), &run)
            return
        }
        try log.append(AuditDraft(kind: "page.requested", actor: actor, context: context(run, step: i), detail: "escalate incident \(incident) now: \(reason)"))
        try apply(.paged(step: i, detail: "asked for the next escalation stage of incident \(incident): \(reason)"), &run)
    }

    /// Applies an event, then persists and audits the change.
    private func apply(_ event: RunbookEvent, _ run: inout RunbookRunState) throws {
        let before = run
        try RunbookEngine.apply(event, to: &run, runbook, now: clock())
        try commit(before, &run, event: event)
    }

    /// Persists the run when it changed and audits each step that settled.
    private func commit(_ before: RunbookRunState, _ run: inout RunbookRunState, event: RunbookEvent? = nil) throws {
        guard run != before else { return }
        try runs.save(run, now: clock())
        switch event {
        case .confirmed(let i, let by, let typed)?:
            let what = runbook.steps[i].call?.operation.description ?? runbook.steps[i].kindName
            try log.append(AuditDraft(
                kind: "runbook.confirmed", actor: actor, context: context(run, step: i),
                detail: "\(by) confirmed step \(i + 1): \(what)" + (typed.map { " (typed \"\(TerminalText.sanitize($0))\")" } ?? "")))
        case .resolved(let i, let choice, let by)?:
            try log.append(AuditDraft(
                kind: "runbook.decided", actor: actor, context: context(run, step: i), outcome: choice.rawValue,
                detail: "\(by) chose \(choice.rawValue) for step \(i + 1), whose outcome was unknown"))
        default: break
        }
        for i in run.steps.indices where i < before.steps.count && run.steps[i].status != before.steps[i].status {
            try audit(run, i, from: before.steps[i], to: run.steps[i])
        }
    }

    private func audit(_ run: RunbookRunState, _ i: Int, from: RunbookStepState, to: RunbookStepState) throws {
        switch to.status {
        case .done, .failed, .skipped, .outcomeUnknown:
            progress(.step(i, to))
            try log.append(AuditDraft(
                kind: "runbook.step", actor: actor, context: context(run, step: i), requestID: to.requestID, outcome: to.status.rawValue,
                detail: "step \(i + 1) (\(runbook.steps[i].kindName)) \(to.status.rawValue)" + (to.detail.map { ": \($0)" } ?? "")))
        case .pending, .running, .awaitingConfirmation:
            break
        }
    }

    /// Leaves the run waiting for a person, stored, with the reason.
    private func wait(_ run: inout RunbookRunState, _ reason: String) throws -> RunbookRunState {
        run.status = .waiting
        run.reason = reason
        try runs.save(run, now: clock())
        try runs.setDriver(run.id, pid: nil)
        progress(.waiting(reason))
        return run
    }
}
