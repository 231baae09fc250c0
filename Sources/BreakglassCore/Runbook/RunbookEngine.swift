import BreakglassAWS
import Foundation

// The runbook engine's functional core: a run's state, what it needs next, and how each event
// changes it. No I/O and no clock of its own: `RunbookDriver` performs the actions (AWS calls,
// prompts, sleeps) and feeds the results back as events; `now` is always passed in. Every
// transition is persisted by the driver, so a run killed at any point resumes at the same step.

/// Where a step is.
public enum RunbookStepStatus: String, Sendable, CaseIterable {
    case pending
    /// Started: a read or a wait in progress, or a confirmed `do` about to be (or being) sent.
    case running
    /// A `do` waiting for a person to confirm it.
    case awaitingConfirmation = "awaiting_confirmation"
    case done
    case failed
    case skipped
    /// A `do` that may have reached AWS without an answer. Never re-sent by itself: it is verified
    /// with a read, and a person decides when the read cannot settle it.
    case outcomeUnknown = "outcome_unknown"

    /// Finished one way or another: the run goes on past a done or skipped step.
    public var isSettled: Bool { self == .done || self == .skipped }
}

/// Where a run is.
public enum RunbookRunStatus: String, Sendable, CaseIterable {
    case running
    /// Stopped until a person confirms, approves or decides (the process may have exited).
    case waiting
    case succeeded
    case failed
    /// Given up by a person; never resumed.
    case abandoned

    public var isFinished: Bool { self == .succeeded || self == .failed || self == .abandoned }
}

/// What a read is for; decides how its answer is used.
public enum RunbookReadPurpose: String, Sendable, CaseIterable {
    /// A `check` step.
    case check
    /// One poll of a `wait` step.
    case wait
    /// One poll of a `wait_alarm` step.
    case waitAlarm = "wait_alarm"
    /// A `query` step.
    case query
    /// Before a `do`: the values it is about to change.
    case before
    /// After a `do` whose outcome is unknown: did it take effect?
    case verify
}

/// One step's state within a run.
public struct RunbookStepState: Sendable, Equatable {
    public var status: RunbookStepStatus = .pending
    public var startedAt: Date?
    public var finishedAt: Date?
    /// What happened, in plain words: expected against actual, the AWS error, the verification.
    public var detail: String?
    public var requestID: String?
    /// The answer of its call or query, for later steps' templates.
    public var output: AWSValue?
    /// A `do`'s input as rendered and shown for confirmation: exactly what is sent.
    public var input: AWSValue?
    /// A `do`: whether the read of the values before the change has been tried.
    public var beforeRead: Bool = false
    /// A `do`: the values the call changes, as they were before it (for the undo runbook).
    public var before: AWSObject?
    /// A `do`: the driver is about to send it, or has. Persisted before the call goes out.
    public var sent: Bool = false
    /// Who confirmed, approved, skipped or decided, and (for typed confirmation) what was typed.
    public var confirmedBy: String?
    /// An outcome-unknown `do`: what the verification read showed.
    public var verification: RunbookVerification?
    /// `wait`, `wait_alarm`, `approve`: when the step gives up.
    public var deadline: Date?
    /// `wait`, `wait_alarm`: when to read again.
    public var nextPollAt: Date?
    public var polls: Int = 0

    public init() {}
}

/// A run of a runbook: its parameters and every step's state.
public struct RunbookRunState: Sendable, Equatable {
    /// The run's number in the store; 0 before it is stored.
    public var id: Int64 = 0
    public var runbook: String
    /// For an undo run: "undo:RUN", the run it undoes.
    public var source: String?
    public var params: [String: AWSValue]
    /// Where calls go unless a step names its own region.
    public var region: String
    /// The break-glass role whose credentials the run uses, if any.
    public var role: String?
    public var incident: String?
    public var drill: String?
    public var status: RunbookRunStatus = .running
    /// What the run stopped for, when waiting or failed.
    public var reason: String?
    public var steps: [RunbookStepState]
    /// The kinds of the runbook's steps when the run started: a run never resumes against a
    /// runbook whose steps have changed since.
    public var shape: [String]
    public var startedAt: Date
    public var finishedAt: Date?

    public init(runbook: Runbook, params: [String: AWSValue], region: String, role: String? = nil, incident: String? = nil, drill: String? = nil, source: String? = nil, now: Date) {
        self.runbook = runbook.id
        self.source = source
        self.params = params
        self.region = region
        self.role = role
        self.incident = incident
        self.drill = drill
        self.steps = Array(repeating: RunbookStepState(), count: runbook.steps.count)
        self.shape = runbook.steps.map(\.kindName)
        self.startedAt = now
    }

    /// The first step not done or skipped; nil when all are.
    public var current: Int? { steps.firstIndex { !$0.status.isSettled } }

    /// Parameters and the outputs of the steps so far, for rendering templates.
    public func renderContext(_ runbook: Runbook) -> RunbookRenderContext {
        var outputs: [String: AWSValue] = [:]
        for (i, step) in runbook.steps.enumerated() where i < steps.count {
            if let id = step.id?.value, let output = steps[i].output { outputs[id] = output }
        }
        return RunbookRenderContext(params: params, outputs: outputs)
    }

    /// Each finished `do` with the values it changed, as they were before: what an undo runbook puts back.
    public func changes(_ runbook: Runbook) -> [RunbookRecordedChange] {
        var out: [RunbookRecordedChange] = []
        for (i, state) in steps.enumerated() where state.status == .done {
            // A change with nothing recorded before it (a reboot, a purge, a read that failed) is
            // listed too, so the undo runbook can say what it does not put back.
            guard i < runbook.steps.count, case .do(let d) = runbook.steps[i].kind, let input = state.input else { continue }
            out.append(RunbookRecordedChange(step: i, operation: d.call.operation, input: input, before: state.before ?? AWSObject()))
        }
        return out
    }
}

/// What a `do` asks of the person confirming it.
public struct RunbookConfirmation: Sendable, Equatable {
    public var step: Int
    public var operation: RunbookOperation
    /// Exactly what will be sent.
    public var input: AWSValue
    /// The step's plain-language explanation, rendered.
    public var explain: String?
    public var kind: RunbookStep.Confirmation
    /// For `confirm: type`: what must be typed (the resource's name). Nil when the step names none,
    /// in which case the operation's name is typed instead.
    public var resource: String?

    /// What a typed confirmation must match.
    public var expectedTyping: String { resource ?? operation.description }
}

/// What the engine needs done next.
public enum RunbookAction: Sendable, Equatable {
    /// A `say` step: show the text; a person reads it and goes on.
    case show(step: Int, text: String)
    /// A read-only call.
    case read(step: Int, purpose: RunbookReadPurpose, operation: RunbookOperation, input: AWSValue, region: String?)
    /// A `do` needs a person's confirmation.
    case confirm(RunbookConfirmation)
    /// Send a confirmed `do`: first feed `.sending`, persist, then call.
    case send(step: Int, operation: RunbookOperation, input: AWSValue)
    /// Nothing to do until then (the next poll of a wait).
    case sleep(step: Int, until: Date)
    /// An `approve` step: a second person approves from their own session, until `until` (nil: no limit).
    case approval(step: Int, until: Date?, explain: String)
    /// A `page` step: escalate now.
    case page(step: Int, reason: String)
    /// A `do`'s outcome is unknown and the verification read did not settle it: a person decides
    /// whether it took effect (mark done), to send it again, or to skip it.
    case decide(step: Int, verification: RunbookVerification?)
    /// The run is over.
    case finished(RunbookRunStatus)
}

/// A person's decision about a `do` whose outcome is unknown.
public enum RunbookUnknownChoice: String, Sendable, CaseIterable {
    /// It took effect: mark the step done.
    case markDone = "mark-done"
    /// It did not: send it again (explicitly, never silently).
    case resend
}

/// Something that happened to a run.
public enum RunbookEvent: Sendable, Equatable {
    /// A `say` step was read.
    case shown(step: Int, by: String)
    /// A `do` was confirmed; `typed` is what was typed for `confirm: type`.
    case confirmed(step: Int, by: String, typed: String?)
    /// The driver is about to send the `do` (persist before calling).
    case sending(step: Int)
    /// A call answered: a read for `purpose`, or the `do` itself when `purpose` is nil.
    case answered(step: Int, purpose: RunbookReadPurpose?, value: AWSValue, requestID: String?)
    case readFailed(step: Int, purpose: RunbookReadPurpose, message: String)
    /// AWS refused the `do`, or it was certainly never sent: nothing changed.
    case sendFailed(step: Int, message: String, requestID: String?)
    /// The `do` may have reached AWS and no answer came back.
    case sendUnknown(step: Int, message: String)
    case approved(step: Int, by: String)
    case paged(step: Int, detail: String)
    case skipped(step: Int, by: String, reason: String)
    case resolved(step: Int, choice: RunbookUnknownChoice, by: String)
    /// A person gives the run up.
    case abandoned(by: String, reason: String)
}

/// An event that does not fit the run's state (a confirmation for a step not waiting for one, a
/// typed name that does not match).
public struct RunbookEngineError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What an interrupted `do` left in the audit trail, found by the driver on resume.
public enum RunbookSendRecord: Sendable, Equatable {
    /// No intent entry: never sent.
    case notSent
    /// An intent entry with no outcome, or outcome unknown.
    case unknown(String)
    case succeeded(requestID: String?)
    case failed(String)
}

public enum RunbookEngine {
    /// What the run needs next, at `now`. Starts steps (recording when), renders their templates,
    /// fails a step whose templates cannot be rendered or whose time is up, and finishes the run
    /// when no step is left.
    public static func next(_ run: inout RunbookRunState, _ runbook: Runbook, now: Date) -> RunbookAction {
        if run.status.isFinished { return .finished(run.status) }
        guard let i = run.current else {
            run.status = .succeeded
            run.reason = nil
            run.finishedAt = run.finishedAt ?? now
            return .finished(.succeeded)
        }
        guard i < runbook.steps.count else {
            return fail(&run, i, "the runbook has no step \(i + 1); it changed since this run started", now: now)
        }
        if run.steps[i].status == .failed {
            run.status = .failed
            run.reason = run.reason ?? "step \(i + 1) failed"
            run.finishedAt = run.finishedAt ?? now
            return .finished(.failed)
        }
        let step = runbook.steps[i]
        let context = run.renderContext(runbook)
        if run.steps[i].startedAt == nil { run.steps[i].startedAt = now }
        if run.status == .waiting { run.status = .running }
        do {
            switch step.kind {
            case .say(let text):
                run.steps[i].status = .running
                return .show(step: i, text: text.display(context))
            case .check(let check):
                run.steps[i].status = .running
                return .read(step: i, purpose: .check, operation: check.call.operation, input: try check.call.render(context), region: nil)
            case .query(let query):
                run.steps[i].status = .running
                let request = try query.request(context)
                return .read(step: i, purpose: .query, operation: request.operation, input: request.input, region: query.region)
            case .wait(let wait):
                return try poll(&run, i, timeout: wait.timeout, now: now) {
                    .read(step: i, purpose: .wait, operation: wait.call.operation, input: try wait.call.render(context), region: nil)
                }
            case .waitAlarm(let w):
                let name = try w.name.renderText(context)
                return try poll(&run, i, timeout: w.timeout, now: now) {
                    .read(
                        step: i, purpose: .waitAlarm, operation: RunbookOperation(service: "cloudwatch", name: "DescribeAlarms"),
                        input: ["AlarmNames": [.string(name)]], region: w.region)
                }
            case .approve(let approve):
                run.steps[i].status = .running
                if run.steps[i].deadline == nil, let timeout = approve.timeout { run.steps[i].deadline = now + timeout.timeInterval }
                if let deadline = run.steps[i].deadline, now >= deadline {
                    return fail(&run, i, "nobody approved within \(DurationSyntax.format(approve.timeout ?? .zero))", now: now)
                }
                return .approval(step: i, until: run.steps[i].deadline, explain: approve.explain.display(context))
            case .page(let page):
                run.steps[i].status = .running
                return .page(step: i, reason: page.reason.display(context))
            case .do(let d):
                return try nextDo(&run, i, d, context)
            }
        } catch let error as RunbookRenderError {
            return fail(&run, i, "cannot fill in the step: \(error.message) (\(error.location))", now: now)
        } catch {
            return fail(&run, i, "cannot fill in the step: \(error)", now: now)
        }
    }

    private static func poll(_ run: inout RunbookRunState, _ i: Int, timeout: Duration, now: Date, read: () throws -> RunbookAction) rethrows -> RunbookAction {
        run.steps[i].status = .running
        if run.steps[i].deadline == nil { run.steps[i].deadline = now + timeout.timeInterval }
        if let next = run.steps[i].nextPollAt, now < next { return .sleep(step: i, until: next) }
        return try read()
    }

    private static func nextDo(_ run: inout RunbookRunState, _ i: Int, _ d: RunbookStep.Do, _ context: RunbookRenderContext) throws -> RunbookAction {
        var state = run.steps[i]
        defer { run.steps[i] = state }
        // Rendered once, when first reached: the values confirmed are the values sent, even if a
        // resumed run would render them differently.
        if state.input == nil { state.input = try d.call.render(context) }
        let input = state.input ?? .object([:])
        switch state.status {
        case .pending:
            if !state.beforeRead, let read = RunbookChanges.read(for: d.call.operation, input: input) {
                state.status = .pending
                return .read(step: i, purpose: .before, operation: read.operation, input: read.input, region: nil)
            }
            state.beforeRead = true
            state.status = .awaitingConfirmation
            return .confirm(confirmation(i, d, input, context))
        case .awaitingConfirmation:
            return .confirm(confirmation(i, d, input, context))
        case .running:
            if !state.sent { return .send(step: i, operation: d.call.operation, input: input) }
            // Sent, and no answer was recorded: an interrupted call. Never sent again by itself.
            state.status = .outcomeUnknown
            state.detail = state.detail ?? "sent, but no answer was recorded"
            return verifyOrDecide(i, d, state)
        case .outcomeUnknown:
            return verifyOrDecide(i, d, state)
        case .done, .skipped, .failed:
            // Not reached: `next` only looks at the current step, which is none of these.
            return .finished(run.status)
        }
    }

    private static func verifyOrDecide(_ i: Int, _ d: RunbookStep.Do, _ state: RunbookStepState) -> RunbookAction {
        if state.verification == nil, let input = state.input, let read = RunbookChanges.read(for: d.call.operation, input: input) {
            return .read(step: i, purpose: .verify, operation: read.operation, input: read.input, region: nil)
        }
        return .decide(step: i, verification: state.verification)
    }

    static func confirmation(_ i: Int, _ d: RunbookStep.Do, _ input: AWSValue, _ context: RunbookRenderContext) -> RunbookConfirmation {
        let resource = d.call.resourceMember.flatMap { member in input[member.key].flatMap(RunbookText.scalarText) }
        return RunbookConfirmation(
            step: i, operation: d.call.operation, input: input, explain: d.explain?.display(context), kind: d.confirm, resource: resource)
    }

    private static func fail(_ run: inout RunbookRunState, _ i: Int, _ detail: String, now: Date) -> RunbookAction {
        if i < run.steps.count {
            run.steps[i].status = .failed
            run.steps[i].detail = detail
            run.steps[i].finishedAt = now
        }
        run.status = .failed
        run.reason = "step \(i + 1): \(detail)"
        run.finishedAt = now
        return .finished(.failed)
    }

    private static func finish(_ state: inout RunbookStepState, _ status: RunbookStepStatus, _ detail: String?, now: Date) {
        state.status = status
        if let detail { state.detail = detail }
        state.finishedAt = now
        state.nextPollAt = nil
    }

    /// The run after `event`, at `now`. Throws when the event does not fit the run's state; the run
    /// is then unchanged.
    public static func apply(_ event: RunbookEvent, to run: inout RunbookRunState, _ runbook: Runbook, now: Date) throws(RunbookEngineError) {
        if case .abandoned(let by, let reason) = event {
            guard !run.status.isFinished else { throw RunbookEngineError("run \(run.id) is already \(run.status.rawValue)") }
            run.status = .abandoned
            run.reason = "abandoned by \(by): \(reason)"
            run.finishedAt = now
            return
        }
        let i = event.step
        guard !run.status.isFinished else { throw RunbookEngineError("run \(run.id) is already \(run.status.rawValue)") }
        guard i >= 0, i < run.steps.count, i < runbook.steps.count else { throw RunbookEngineError("run \(run.id) has no step \(i + 1)") }
        guard i == run.current else {
            throw RunbookEngineError("step \(i + 1) is not the current step (the run is at step \((run.current ?? run.steps.count) + 1))")
        }
        let step = runbook.steps[i]
        var state = run.steps[i]
        let context = run.renderContext(runbook)
        switch event {
        case .shown(_, let by):
            guard case .say = step.kind else { throw RunbookEngineError("step \(i + 1) is a \(step.kindName), not a say") }
            state.confirmedBy = by
            finish(&state, .done, nil, now: now)

        case .confirmed(_, let by, let typed):
            guard case .do(let d) = step.kind, state.status == .awaitingConfirmation, let input = state.input else {
                throw RunbookEngineError("step \(i + 1) is not waiting for a confirmation")
            }
            if d.confirm == .type {
                let expected = confirmation(i, d, input, context).expectedTyping
                guard typed == expected else {
                    throw RunbookEngineError("step \(i + 1) needs \"\(expected)\" typed to confirm; got \"\(typed ?? "")\"; nothing was sent")
                }
            }
            state.status = .running
            state.confirmedBy = by

        case .sending:
            guard case .do = step.kind, state.status == .running, !state.sent else { throw RunbookEngineError("step \(i + 1) is not ready to send") }
            state.sent = true

        case .answered(_, let purpose, let value, let requestID):
            try answered(&state, step, purpose, value, requestID, context, now: now)

        case .readFailed(_, let purpose, let message):
            switch purpose {
            case .before:
                state.beforeRead = true
                state.detail = "could not read the values before the change, so it cannot be undone automatically: \(message)"
                state.status = .awaitingConfirmation
            case .verify:
                state.verification = .cannotTell("the verification read failed: \(message)")
            case .wait, .waitAlarm:
                // Reads are safe to repeat: keep polling until the deadline.
                state.polls += 1
                state.detail = "last read failed: \(message)"
                try schedule(&state, step, timedOut: "gave up after \(state.polls) reads; the last failed: \(message)", now: now)
            case .check, .query:
                finish(&state, .failed, message, now: now)
            }

        case .sendFailed(_, let message, let requestID):
            guard state.sent else { throw RunbookEngineError("step \(i + 1) was not sent") }
            state.requestID = requestID
            finish(&state, .failed, message, now: now)

        case .sendUnknown(_, let message):
            guard state.sent else { throw RunbookEngineError("step \(i + 1) was not sent") }
            state.status = .outcomeUnknown
            state.detail = "outcome unknown: \(message)"
            state.verification = nil

        case .approved(_, let by):
            guard case .approve = step.kind else { throw RunbookEngineError("step \(i + 1) is a \(step.kindName), not an approve") }
            state.confirmedBy = by
            finish(&state, .done, "approved by \(by)", now: now)

        case .paged(_, let detail):
            guard case .page = step.kind else { throw RunbookEngineError("step \(i + 1) is a \(step.kindName), not a page") }
            finish(&state, .done, detail, now: now)

        case .skipped(_, let by, let reason):
            state.confirmedBy = by
            finish(&state, .skipped, "skipped by \(by): \(reason)", now: now)

        case .resolved(_, let choice, let by):
            guard state.status == .outcomeUnknown else { throw RunbookEngineError("step \(i + 1)'s outcome is not unknown") }
            state.confirmedBy = by
            switch choice {
            case .markDone:
                finish(&state, .done, "outcome was unknown; \(by) marked it done" + (state.verification.map { " (\($0.detail))" } ?? ""), now: now)
            case .resend:
                state.status = .running
                state.sent = false
                state.detail = "outcome was unknown; \(by) chose to send it again"
            }

        case .abandoned:
            break
        }
        run.steps[i] = state
        if state.status == .failed {
            run.status = .failed
            run.reason = "step \(i + 1): \(state.detail ?? "failed")"
            run.finishedAt = now
        }
    }

    private static func answered(
        _ state: inout RunbookStepState, _ step: RunbookStep, _ purpose: RunbookReadPurpose?, _ value: AWSValue, _ requestID: String?,
        _ context: RunbookRenderContext, now: Date
    ) throws(RunbookEngineError) {
        let n = step.index + 1
        switch (purpose, step.kind) {
        case (nil, .do):
            guard state.sent else { throw RunbookEngineError("step \(n) was not sent") }
            state.output = value
            state.requestID = requestID
            finish(&state, .done, requestID.map { "request id \($0)" }, now: now)

        case (.before?, .do(let d)):
            state.beforeRead = true
            if let input = state.input { state.before = RunbookChanges.before(d.call.operation, input: input, answer: value) }
            state.status = .awaitingConfirmation

        case (.verify?, .do(let d)):
            guard state.status == .outcomeUnknown, let input = state.input else { throw RunbookEngineError("step \(n)'s outcome is not unknown") }
            let verdict = RunbookChanges.verify(d.call.operation, input: input, before: state.before ?? AWSObject(), answer: value)
            state.verification = verdict
            if case .applied(let detail) = verdict {
                finish(&state, .done, "outcome was unknown; a read shows it took effect: \(detail)", now: now)
            }

        case (.check?, .check(let check)):
            state.output = value
            state.requestID = requestID
            let misses = try expectations(check.expect, value, context)
            finish(&state, misses.isEmpty ? .done : .failed, misses.isEmpty ? shown(check.expect, value) : misses.joined(separator: "; "), now: now)

        case (.query?, .query):
            state.output = value
            state.requestID = requestID
            let count = value["Count"].flatMap { $0.int } ?? value["Items"]?.array?.count ?? 0
            finish(&state, .done, "\(count) item\(count == 1 ? "" : "s")", now: now)

        case (.wait?, .wait(let wait)):
            state.output = value
            state.polls += 1
            let misses = try expectations(wait.until, value, context)
            if misses.isEmpty {
                finish(&state, .done, shown(wait.until, value) + " after \(state.polls) read\(state.polls == 1 ? "" : "s")", now: now)
            } else {
                state.detail = misses.joined(separator: "; ")
                try schedule(&state, step, timedOut: "timed out after \(DurationSyntax.format(wait.timeout)): " + misses.joined(separator: "; "), now: now)
            }

        case (.waitAlarm?, .waitAlarm(let w)):
            state.polls += 1
            let alarms = (value["MetricAlarms"]?.array ?? []) + (value["CompositeAlarms"]?.array ?? [])
            let name = (try? w.name.renderText(context)) ?? w.name.source
            guard let alarm = alarms.first else {
                finish(&state, .failed, "there is no alarm named \(name) in this region", now: now)
                return
            }
            let current = alarm["StateValue"]?.string ?? "unknown"
            if current == w.state.rawValue {
                finish(&state, .done, "\(name) is \(current)", now: now)
            } else {
                state.detail = "\(name) is \(current), waiting for \(w.state.rawValue)"
                try schedule(&state, step, timedOut: "timed out after \(DurationSyntax.format(w.timeout)): \(name) is still \(current)", now: now)
            }

        default:
            throw RunbookEngineError("step \(n) is a \(step.kindName); it does not take an answer for \(purpose?.rawValue ?? "a send")")
        }
    }

    /// The next poll of a wait, or its failure when its time is up.
    private static func schedule(_ state: inout RunbookStepState, _ step: RunbookStep, timedOut: String, now: Date) throws(RunbookEngineError) {
        let every: Duration
        switch step.kind {
        case .wait(let w): every = w.every
        case .waitAlarm: every = RunbookStep.Wait.defaultEvery
        default: throw RunbookEngineError("step \(step.index + 1) is not a wait")
        }
        let deadline = state.deadline ?? now
        if now >= deadline {
            finish(&state, .failed, timedOut, now: now)
            return
        }
        state.nextPollAt = min(now + every.timeInterval, deadline)
    }

    /// Each expectation not met, as "path: expected X, found Y".
    private static func expectations(_ list: [RunbookExpectation], _ value: AWSValue, _ context: RunbookRenderContext) throws(RunbookEngineError) -> [String] {
        var misses: [String] = []
        for e in list {
            let expected: AWSValue
            do { expected = try e.value.render(context) } catch { throw RunbookEngineError("cannot fill in the expected value of \(e.path): \(error.message)") }
            let actual = value.value(at: e.path)
            if !RunbookExpectation.same(actual, expected) {
                misses.append("\(e.path): expected \(text(expected)), found \(actual.map(text) ?? "nothing")")
            }
        }
        return misses
    }

    private static func shown(_ list: [RunbookExpectation], _ value: AWSValue) -> String {
        guard !list.isEmpty else { return "answered" }
        return list.map { "\($0.path) = \(value.value(at: $0.path).map(text) ?? "nothing")" }.joined(separator: ", ")
    }

    static func text(_ value: AWSValue) -> String {
        RunbookText.scalarText(value) ?? JSON.encode(value)
    }

    /// The run as it must continue after an interruption: a `do` that was being sent is settled
    /// from what the audit trail recorded of it (`records[step]`), never by sending it again.
    /// Confirmed-but-unsent steps ask for confirmation again.
    public static func reconcile(_ run: inout RunbookRunState, records: [Int: RunbookSendRecord], now: Date) {
        for i in run.steps.indices where run.steps[i].status == .running && run.steps[i].sent {
            var state = run.steps[i]
            switch records[i] ?? .unknown("no outcome was recorded") {
            case .notSent:
                state.sent = false
                state.status = .awaitingConfirmation
                state.detail = "confirmed but not sent before the interruption; confirm again"
            case .unknown(let detail):
                state.status = .outcomeUnknown
                state.detail = "the run was interrupted while sending it: \(detail)"
                state.verification = nil
            case .succeeded(let requestID):
                state.requestID = requestID
                finish(&state, .done, "succeeded before the interruption" + (requestID.map { " (request id \($0))" } ?? "") + "; its answer was not kept", now: now)
            case .failed(let message):
                finish(&state, .failed, message, now: now)
                run.status = .failed
                run.reason = "step \(i + 1): \(message)"
                run.finishedAt = now
            }
            run.steps[i] = state
        }
        // A confirmed do that was not yet marked as sending is asked again, too: the person who
        // confirmed it may be gone.
        for i in run.steps.indices where run.steps[i].status == .running && !run.steps[i].sent && run.steps[i].input != nil && run.steps[i].beforeRead {
            run.steps[i].status = .awaitingConfirmation
        }
        // A wait looks again at once: whoever comes back wants to know where things stand now.
        for i in run.steps.indices where run.steps[i].status == .running { run.steps[i].nextPollAt = nil }
        if run.status == .running || run.status == .waiting { run.status = .running }
    }

    /// Puts a failed run back to its failed step, to try that step again (`runbook run --resume`).
    /// A failed `do` is asked for confirmation again; a finished `do` is never repeated.
    public static func retry(_ run: inout RunbookRunState) throws(RunbookEngineError) {
        guard run.status == .failed, let i = run.steps.firstIndex(where: { $0.status == .failed }) else {
            throw RunbookEngineError("run \(run.id) has no failed step to try again")
        }
        var state = run.steps[i]
        let wasDo = state.input != nil && state.beforeRead
        let input = state.input
        let before = state.before
        state = RunbookStepState()
        if wasDo {
            state.input = input
            state.before = before
            state.beforeRead = true
            state.status = .awaitingConfirmation
        }
        run.steps[i] = state
        run.status = .running
        run.reason = nil
        run.finishedAt = nil
    }
}

extension RunbookEvent {
    /// The step the event is about (-1 for a whole-run event).
    public var step: Int {
        switch self {
        case .shown(let s, _), .confirmed(let s, _, _), .sending(let s), .answered(let s, _, _, _), .readFailed(let s, _, _),
            .sendFailed(let s, _, _), .sendUnknown(let s, _), .approved(let s, _), .paged(let s, _), .skipped(let s, _, _),
            .resolved(let s, _, _):
            s
        case .abandoned: -1
        }
    }
}

extension RunbookVerification {
    /// The plain-language detail, whatever the verdict.
    public var detail: String {
        switch self {
        case .applied(let d), .notApplied(let d), .cannotTell(let d): d
        }
    }
}

extension Duration {
    /// Seconds, for Date arithmetic.
    public var timeInterval: TimeInterval {
        let (s, atto) = components
        return TimeInterval(s) + TimeInterval(atto) / 1e18
    }
}
