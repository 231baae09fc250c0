import BreakglassAWS
import BreakglassCore
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// How a run is started or resumed, shared by `breakglass runbook run` and the console; the console's
// live runbook source; and the bridge between a driver waiting for a person and the console's loop.

/// A run ready to be driven: stored, and resumed or just started.
public struct RunbookRunStart: Sendable {
    public let driver: RunbookDriver
    public let run: RunbookRunState
    public let resumed: Bool
}

public enum RunbookRunner {
    /// Starts a new run of `runbook` (with `params`, in `region`, for `incident`), or resumes
    /// `existing` (settling a `do` that was being sent from the audit trail, never by sending it
    /// again). With a `grant`, calls use its credentials and the client refuses any call the granted
    /// runbook does not make; its use is audited. Throws `RunbookEngineError` for a finished run.
    public static func begin(
        _ runbook: Runbook, runs: RunbookRunStore, existing: RunbookRunState?, params: [String: AWSValue], region: String,
        incident: String?, retryFailed: Bool = false, source: String? = nil, grant: AccessGrant?, client base: AWSClient, actor: AuditActor,
        log: AuditLog, interaction: RunbookInteraction, progress: @escaping @Sendable (RunbookProgress) -> Void
    ) throws -> RunbookRunStart {
        let client = grant?.client(from: base) ?? base
        let journal = AuditJournal(log: log, actor: actor, context: AuditContext(incident: incident, role: grant?.role))
        let driver = RunbookDriver(runbook: runbook, runs: runs, journal: journal, client: client, interaction: interaction, progress: progress)
        let run: RunbookRunState
        let resumed: Bool
        if let existing {
            guard !existing.status.isFinished || (retryFailed && existing.status == .failed) else {
                throw RunbookEngineError("run \(existing.id) is \(existing.status.rawValue)" + (existing.reason.map { ": \($0)" } ?? ""))
            }
            run = try driver.resume(existing, retryFailed: retryFailed && existing.status == .failed)
            resumed = true
        } else {
            run = try driver.start(params: params, region: region, role: grant?.role, incident: incident, source: source)
            resumed = false
        }
        if let grant { _ = try AccessAudit.used(log: log, actor: actor, grant: grant, runbook: runbook.id, run: run.id) }
        return RunbookRunStart(driver: driver, run: run, resumed: resumed)
    }

    /// Gives up run `id` so it is never resumed, with its audit entry. Throws when it is being
    /// driven by another live process (`driverAlive`), missing, or already finished.
    public static func abandon(
        _ id: Int64, runs: RunbookRunStore, log: AuditLog, actor: AuditActor, reason: String, now: Date, driverAlive: (Int32) -> Bool
    ) throws -> RunbookRunState {
        guard var record = try runs.load(id) else { throw RunbookEngineError("there is no run \(id)") }
        if let pid = record.driverPID, pid != getpid(), driverAlive(pid) {
            throw RunbookEngineError("run \(id) is being driven by process \(pid) right now; stop it first")
        }
        let stub = Runbook(id: record.run.runbook, title: "", steps: [], file: "", location: SourceLocation(file: "", line: 0, column: 0))
        try RunbookEngine.apply(.abandoned(by: actor.user, reason: reason), to: &record.run, stub, now: now)
        try runs.save(record.run, now: now)
        try log.append(AuditDraft(
            kind: "runbook.finished", actor: actor,
            context: AuditContext(incident: record.run.incident, runbook: record.run.runbook, role: record.run.role),
            outcome: "abandoned", detail: "run \(id) abandoned by \(actor.user): \(reason)"))
        return record.run
    }

    /// Whether `operation`'s change is visible, read (never sent) for an outcome-unknown `do`.
    public static func verify(_ operation: RunbookOperation, state: RunbookStepState, client: AWSClient, region: String) async -> RunbookVerification {
        guard let input = state.input, let read = RunbookChanges.read(for: operation, input: input) else {
            return .cannotTell("no read can show whether \(operation) took effect; look in the AWS console")
        }
        guard let op = read.operation.catalogEntry else { return .cannotTell("Breakglass's catalog has no operation \(read.operation)") }
        do {
            let answer = try await client.call(op, read.input, region: region)
            return RunbookChanges.verify(operation, input: input, before: state.before ?? AWSObject(), answer: answer.value)
        } catch {
            return .cannotTell("the verification read failed: \(TerminalText.sanitize(error.description))")
        }
    }

    /// The configuration's contacts, each with how to reach them, for "whom to call" in guided mode.
    public static func contactLines(_ config: BreakglassConfig) -> [String] {
        config.contacts.map { contact in
            let ways = contact.channels.compactMap { channel -> String? in
                switch channel {
                case .sms(let phone): "text or call \(phone)"
                case .sns: "SNS page"
                case .pagerDuty: "PagerDuty"
                case .slack: "Slack"
                case .webhook: nil
                }
            }
            return contact.name + (ways.isEmpty ? "" : " (" + ways.joined(separator: ", ") + ")")
        }
    }
}

extension RunbookSource {
    /// The console's runbook source on the shared state file: runs are started, resumed and driven
    /// with `RunbookRunner` and `RunbookDriver` exactly as `runbook run` does, as `actor`.
    ///
    /// - `shelf` loads the runbooks that can run (called off the loop).
    /// - `grant` finds the break-glass grant for a runbook's access role (nil when none, with a note
    ///   saying so).
    /// - `caller` asks who a client's credentials are (for the audit trail); `driverAlive` says
    ///   whether a stored run's driver process still runs.
    public static func live(
        shelf: @escaping @Sendable () throws -> RunbookShelf, store: Store, client base: AWSClient, region: String, config: BreakglassConfig,
        actor: AuditActor, grant: @escaping @Sendable (Runbook) -> (grant: AccessGrant?, note: String?),
        caller: @escaping @Sendable (AWSClient, String) async -> String? = { _, _ in nil },
        driverAlive: @escaping @Sendable (Int32) -> Bool = { _ in false }
    ) -> RunbookSource {
        let known = Mutex<[String: Runbook]>([:])
        let log = AuditLog(store: store)
        let runs = RunbookRunStore(store: store)
        @Sendable func find(_ id: String) throws -> Runbook {
            if let runbook = known.withLock({ $0[id] }) { return runbook }
            let loaded = try shelf()
            known.withLock { table in for r in loaded.runbooks { table[r.id] = r } }
            guard let runbook = loaded.runbooks.first(where: { $0.id == id }) else {
                throw RunbookEngineError("no runbook named \(id) can run; `breakglass runbook lint` says why")
            }
            return runbook
        }
        return RunbookSource(
            load: {
                let loaded = try shelf()
                known.withLock { table in
                    table = [:]
                    for r in loaded.runbooks { table[r.id] = r }
                }
                return loaded
            },
            grant: { role, id in
                guard let runbook = try? find(id) else { return .missing(role: role, note: "runbook \(id) cannot be found") }
                let found = grant(runbook)
                if found.grant != nil { return .held(role: role) }
                return .missing(role: role, note: found.note ?? "no break-glass grant for \(role) is held")
            },
            run: { id, incident, given, interaction, report in
                do {
                    let runbook = try find(id)
                    let existing = try runs.unfinished(runbook: id).last
                    if let existing, let pid = existing.driverPID, pid != getpid(), driverAlive(pid) {
                        report(.failed("run \(existing.run.id) of \(id) is being driven by process \(pid) right now; wait for it, or stop it first"))
                        return
                    }
                    var params: [String: AWSValue] = [:]
                    if existing == nil {
                        switch RunbookParams.resolve(runbook, given: given) {
                        case .success(let values): params = values
                        case .failure(let problems):
                            report(.failed("\(id) cannot start: " + problems.problems.map { "\($0.param): \($0.message)" }.joined(separator: "; ")))
                            return
                        }
                    }
                    let held = grant(runbook)
                    let region = existing?.run.region ?? region
                    var who = actor
                    who.callerARN = await caller(held.grant.map { base.using(credentials: $0.credentials) } ?? base, region)
                    let start = try RunbookRunner.begin(
                        runbook, runs: runs, existing: existing?.run, params: params, region: region,
                        incident: existing?.run.incident ?? incident.map(String.init), grant: held.grant, client: base, actor: who, log: log,
                        interaction: interaction, progress: { report(.progress($0)) })
                    // A stored unfinished run resumes with the parameters it started with: say so
                    // when the form gave others, rather than let them seem used.
                    let unused = start.resumed && !given.isEmpty
                        ? "run \(start.run.id) resumed with the parameters it started with; the ones typed were not used" : nil
                    let notes = [held.grant == nil ? held.note : nil, unused].compactMap { $0 }
                    report(.started(start.run, resumed: start.resumed, note: notes.isEmpty ? nil : notes.joined(separator: "; ")))
                    report(.finished(await start.driver.drive(start.run)))
                } catch let error as RunbookEngineError {
                    report(.failed(error.message))
                } catch {
                    report(.failed("the run could not start: \(error)"))
                }
            },
            verify: { id, step, state, region in
                guard let runbook = try? find(id), step < runbook.steps.count, let operation = runbook.steps[step].call?.operation else {
                    return .cannotTell("step \(step + 1) of \(id) has no call to verify")
                }
                let held = grant(runbook)
                return await RunbookRunner.verify(operation, state: state, client: held.grant?.client(from: base) ?? base, region: region)
            },
            abandon: { id, reason in
                try RunbookRunner.abandon(id, runs: runs, log: log, actor: actor, reason: reason, now: Date(), driverAlive: driverAlive)
            },
            escalate: { incident in
                let now = Date()
                let change = try IncidentStore(log: log).act(incident, .escalate(by: actor.user), config: config, actor: actor, now: now)
                return IncidentListing.sentence(for: .escalate(by: actor.user), change: change, config: config, now: now)
            },
            // The run `n` would resume: the one the `run` closure above picks.
            stored: { id in (try? runs.unfinished(runbook: id))?.last?.run })
    }
}

/// The questions runs wait on, by token, and the runs themselves. A driver asks through `ask`,
/// which posts the question to the console and suspends until `reply` answers it; `finish`
/// answers every open question "stop" and waits for the runs to store themselves.
public final class RunbookAskTable: Sendable {
    private struct Table {
        var next: UInt64 = 0
        var waiting: [UInt64: CheckedContinuation<RunbookReply, Never>] = [:]
        /// Set by `finish`: every later question is answered "stop" at once.
        var closed: String?
        var running = 0
        var tasks: [Task<Void, Never>] = []
    }

    private let table = Mutex(Table())

    public init() {}

    /// Suspends until the question `post` sends (with its token) is answered.
    public func ask(_ post: @escaping @Sendable (UInt64) -> Void) async -> RunbookReply {
        await withCheckedContinuation { continuation in
            let outcome: Result<UInt64, RunbookReplyStop> = table.withLock { t in
                if let closed = t.closed { return .failure(RunbookReplyStop(reason: closed)) }
                t.next += 1
                t.waiting[t.next] = continuation
                return .success(t.next)
            }
            switch outcome {
            case .success(let token): post(token)
            case .failure(let stop): continuation.resume(returning: .stop(stop.reason))
            }
        }
    }

    /// Answers question `token`; an unknown or already answered token is ignored.
    public func reply(_ token: UInt64, _ reply: RunbookReply) {
        let waiting = table.withLock { $0.waiting.removeValue(forKey: token) }
        waiting?.resume(returning: reply)
    }

    /// How many questions wait for an answer now.
    public var openQuestions: Int { table.withLock { $0.waiting.count } }

    /// Runs `work` detached, counted until it returns, so `finish` can wait for it.
    public func run(_ work: @escaping @Sendable () async -> Void) {
        table.withLock { $0.running += 1 }
        let task = Task.detached { [self] in
            await work()
            table.withLock { $0.running -= 1 }
        }
        table.withLock { $0.tasks.append(task) }
    }

    /// Answers every open question "stop" (and every later one), waits up to `grace` for the runs to
    /// store themselves, then cancels those still going (a wait step's sleep, an approval poll: the
    /// driver then stores the run as interrupted) and waits up to `cancelled` more.
    public func finish(reason: String, grace: Duration = .seconds(3), cancelled: Duration = .seconds(5)) async {
        let open = table.withLock { t in
            t.closed = reason
            let open = Array(t.waiting.values)
            t.waiting = [:]
            return open
        }
        for continuation in open { continuation.resume(returning: .stop(reason)) }
        if await waitForRuns(grace) { return }
        for task in table.withLock({ $0.tasks }) { task.cancel() }
        _ = await waitForRuns(cancelled)
    }

    private func waitForRuns(_ limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if table.withLock({ $0.running }) == 0 { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return table.withLock { $0.running } == 0
    }
}

private struct RunbookReplyStop: Error {
    var reason: String
}

extension ConsoleLoop {
    /// Runs the runbook screen's work off the loop's thread: disk work on the disk queue, runs and
    /// reads as detached tasks; each result comes back through the inbox.
    func perform(_ effect: RunbookViewEffect) {
        let inbox = self.inbox
        guard let source = dependencies.runbooks else {
            switch effect {
            case .loadCatalog: inbox.push(.runbook(.catalogFailed("runbooks are not available in this console")))
            case .escalate: inbox.push(.runbook(.escalateFailed("paging is not available in this console: the state file could not be opened")))
            default: break
            }
            return
        }
        switch effect {
        case .loadCatalog:
            diskQueue.async {
                do {
                    inbox.push(.runbook(.catalogLoaded(RunbookPayload(try source.load()))))
                } catch {
                    inbox.push(.runbook(.catalogFailed(String(describing: error))))
                }
            }
        case .checkGrant(let id, let role):
            source.asks.run {
                inbox.push(.runbook(.grant(runbook: id, source.grant(role, id))))
            }
        case .lookUpStored(let id):
            diskQueue.async {
                inbox.push(.runbook(.stored(runbook: id, source.stored(id).map(RunbookPayload.init))))
            }
        case .start(let id, let incident, let session, let params):
            let asks = source.asks
            @Sendable func ask(_ question: RunbookAsk) async -> RunbookReply {
                await asks.ask { token in inbox.push(.runbook(.asked(session: session, token: token, RunbookPayload(question)))) }
            }
            let interaction = RunbookInteraction(
                show: { step, text in await ask(.show(step: step, text: text)) == .read },
                confirm: { confirmation in
                    switch await ask(.confirm(confirmation)) {
                    case .confirmed(let typed): .confirmed(typed: typed)
                    case .stop(let reason): .stop(reason)
                    case .read, .decided: .stop("step \(confirmation.step + 1) waits for confirmation")
                    }
                },
                decide: { step, verification in
                    if case .decided(let choice) = await ask(.decide(step: step, verification: verification)) { return choice }
                    return nil
                },
                waitsForApproval: true)
            asks.run {
                await source.run(id, incident, params, interaction) { report in
                    inbox.push(.runbook(.report(session: session, RunbookPayload(report))))
                }
            }
        case .reply(let token, let reply):
            source.asks.reply(token, reply)
        case .verify(let id, let step, let state, let region, let session):
            source.asks.run {
                let verdict = await source.verify(id, step, state.value, region)
                inbox.push(.runbook(.verified(session: session, step: step, RunbookPayload(verdict))))
            }
        case .abandon(let run, let reason):
            diskQueue.async {
                do {
                    inbox.push(.runbook(.abandoned(RunbookPayload(try source.abandon(run, reason)))))
                } catch {
                    inbox.push(.runbook(.abandonFailed("could not abandon run \(run): \(error)")))
                }
            }
        case .escalate(let incident):
            diskQueue.async {
                do {
                    inbox.push(.runbook(.escalated(try source.escalate(incident))))
                } catch {
                    inbox.push(.runbook(.escalateFailed("could not page for help: \(error). Call the next person on the list yourself.")))
                }
            }
        }
    }
}
