import ArgumentParser
import BreakglassAWS
import BreakglassCore
import BreakglassTUI
import Foundation

/// `breakglass runbook run ID`: a non-interactive run, for scripts, drills and SSH sessions without
/// the console. Resumes the runbook's unfinished run when there is one.
struct RunbookRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a runbook step by step, from the command line.",
        discussion: """
            Prints one line per step with its status. A `do` step runs only with --yes, and a \
            `confirm: type` step only when --confirm names its resource (the name the step would ask \
            you to type); otherwise the run stops at that step, exit 1, saying what it waits for. Run \
            the same command again, with the flags, to go on: the run is stored after every step \
            (--state), so a run stopped, killed or cut off with its SSH session resumes at the same \
            step, and a `do` that finished is never sent again. A `do` that was sent without an answer \
            is shown as outcome unknown and verified with a read; when the read cannot tell, resume \
            with --mark-done (it took effect) or --resend (send it again, deliberately). When the \
            runbook names an access role and you hold a break-glass grant for it (breakglass access \
            request), its steps use those credentials, and any call outside the runbook is refused. \
            Exit codes: 0 finished, 1 a step failed or the run waits for someone, 2 usage, \
            configuration or state errors, 3 the runbook has lint errors.
            """)

    @Argument(help: "The runbook's id (optional with --resume).") var id: String?
    @Option(name: .customLong("param"), help: "name=value for a runbook parameter; repeat for several.") var params: [String] = []
    @Flag(help: "Send `do` steps (each is still recorded before it is sent).") var yes = false
    @Option(name: .customLong("confirm"), help: "The resource name a `confirm: type` step asks for; repeat for several.") var confirms: [String] = []
    @Option(help: "Resume this run (its number), even a failed one: the failed step is tried again.") var resume: Int64?
    @Flag(help: "Start a new run even when this runbook has an unfinished one.") var new = false
    @Flag(help: "An outcome-unknown step took effect: mark it done and go on.") var markDone = false
    @Flag(help: "An outcome-unknown step did not take effect: send it again.") var resend = false
    @Flag(help: "Stop at an approve step instead of waiting for the approval.") var noWait = false
    @Option(help: "The incident this run belongs to (recorded in the audit trail; a `page` step escalates it).") var incident: String?
    @Option(help: "table (one line per step) or json (the run and every step, at the end).") var output: OutputFormat = .table
    @OptionGroup var aws: AWSOptions
    @OptionGroup var store: StoreOptions

    func run() async throws {
        if markDone && resend { throw report(ValidationError("--mark-done and --resend contradict each other; choose one")) }
        if resume == nil && id == nil { throw report(ValidationError("name the runbook to run, or --resume RUN")) }
        let session = try RunSession.open(aws: aws, store: store)
        let runs = RunbookRunStore(store: session.store)
        let given: [String: String]
        do { given = try runbookParams(params) } catch { throw report(error) }

        var existing: RunbookRunStore.Record?
        let runbook: Runbook
        if let resume {
            guard let record = try runs.load(resume) else { throw report(ValidationError("there is no run \(resume); `breakglass runbook runs` lists them")) }
            runbook = try session.runbook(for: record.run, runs: runs)
            if let id, id != runbook.id { throw report(ValidationError("run \(resume) is a run of \(runbook.id), not \(id)")) }
            if !given.isEmpty { throw report(ValidationError("a resumed run keeps the parameters it started with; leave out --param")) }
            existing = record
        } else {
            runbook = try session.runbook(id ?? "")
            if !new, let open = try runs.unfinished(runbook: runbook.id).last {
                let resolved = try RunSession.resolve(runbook, given)
                guard given.isEmpty || resolved == open.run.params else {
                    throw report(ValidationError(
                        "run \(open.run.id) of \(runbook.id) is unfinished (\(open.run.reason ?? open.run.status.rawValue)) with other parameters; "
                            + "resume it with `breakglass runbook run --resume \(open.run.id)`, abandon it with `breakglass runbook abandon \(open.run.id)`, or add --new"))
                }
                existing = open
            }
        }

        let flags = RunSession.Flags(yes: yes, confirms: Set(confirms), markDone: markDone, resend: resend, waitsForApproval: !noWait)
        let final = try await session.drive(
            runbook, runs: runs, existing: existing, params: existing == nil ? try RunSession.resolve(runbook, given) : nil,
            incident: incident, retryFailed: resume != nil, flags: flags, output: output)
        if final.status != .succeeded { throw ExitCode(1) }
    }
}

/// What `runbook run`, `runbook undo` and `runbook runs` share: the configuration, the store, the
/// runbooks and the AWS client, and the printing of a run.
struct RunSession {
    let aws: AWSOptions
    let config: BreakglassConfig
    let catalog: RunbookCatalog
    let store: Store
    let storePath: String

    struct Flags: Sendable {
        var yes: Bool
        var confirms: Set<String>
        var markDone: Bool
        var resend: Bool
        var waitsForApproval: Bool
    }

    static func open(aws: AWSOptions, store: StoreOptions) throws -> RunSession {
        let loaded = try aws.config.load()
        var config = loaded.config
        if let found = loaded.found { config.file = found.displayPath }
        let catalog = RunbookDiscovery.current().catalog(config)
        let opened: Store
        do { opened = try store.open() } catch { throw report(error) }
        return RunSession(aws: aws, config: config, catalog: catalog, store: opened, storePath: store.path)
    }

    /// The runbook `id`, refusing one that does not load or does not lint clean.
    func runbook(_ id: String) throws -> Runbook {
        let runbook = try catalog.find(id)
        // Access roles are checked against a configuration file only when one was found (its
        // `file` is set), as `runbook lint` does.
        let problems = RunbookLinter.lint(runbook, config: config.file == nil ? nil : config)
        if !problems.isEmpty {
            reportRunbookProblems(problems)
            FileHandle.standardError.write(Data("breakglass: error: \(id) has lint errors; fix them before running it (breakglass runbook lint)\n".utf8))
            throw ExitCode(3)
        }
        return runbook
    }

    /// The runbook a stored run runs: from the catalog, or for an undo run, rebuilt from the run it
    /// undoes.
    func runbook(for run: RunbookRunState, runs: RunbookRunStore, depth: Int = 0) throws -> Runbook {
        guard let source = run.source, source.hasPrefix("undo:"), let undone = Int64(source.dropFirst(5)) else { return try runbook(run.runbook) }
        guard depth < 8, let original = try runs.load(undone) else {
            throw report(ValidationError("run \(run.id) undoes run \(source.dropFirst(5)), which cannot be found"))
        }
        let base = try runbook(for: original.run, runs: runs, depth: depth + 1)
        guard let undo = RunbookUndo.runbook(undoing: original.run.changes(base), of: base, run: undone) else {
            throw report(ValidationError("run \(undone) recorded no change that can be undone"))
        }
        return undo
    }

    static func resolve(_ runbook: Runbook, _ given: [String: String]) throws -> [String: AWSValue] {
        switch RunbookParams.resolve(runbook, given: given) {
        case .success(let values): return values
        case .failure(let problems): throw report(ValidationError(problems.description))
        }
    }

    /// Starts or resumes a run and drives it until it finishes or waits for someone; prints it.
    func drive(
        _ runbook: Runbook, runs: RunbookRunStore, existing: RunbookRunStore.Record?, params: [String: AWSValue]?, incident: String?,
        retryFailed: Bool, source: String? = nil, flags: Flags, output: OutputFormat
    ) async throws -> RunbookRunState {
        if let existing, let pid = existing.driverPID, pid != getpid(), RunSession.isBreakglass(pid: pid) {
            throw report(ValidationError("run \(existing.run.id) is being driven by process \(pid) right now; wait for it, or stop it first"))
        }
        let env = try aws.environment()
        let region: String
        let base: AWSClient
        do {
            region = try existing?.run.region ?? aws.resolveRegions(env)[0]
            base = try await aws.client(env)
        } catch {
            throw report(error)
        }
        // With a break-glass grant for the runbook's role, its steps use the granted credentials,
        // and the client refuses any call the granted runbook does not contain.
        let grant = heldGrant(for: runbook)
        let caller = await callerARN(grant.map { base.using(credentials: $0.credentials) } ?? base, region: region)
        var actor = AuditActor.current()
        actor.callerARN = caller
        let table = output == .table
        let printer = RunPrinter(runbook: runbook, enabled: table)
        let driver: RunbookDriver
        var run: RunbookRunState
        do {
            let start = try RunbookRunner.begin(
                runbook, runs: runs, existing: existing?.run, params: params ?? [:], region: region, incident: incident,
                retryFailed: retryFailed, source: source, grant: grant, client: base, actor: actor, log: AuditLog(store: store),
                interaction: Self.interaction(flags, printer: printer), progress: { printer.progress($0) })
            driver = start.driver
            run = start.run
            printer.header(run, resumed: start.resumed, caller: caller)
        } catch let e as RunbookEngineError {
            throw report(ValidationError(e.message))
        } catch {
            throw report(error)
        }
        run = await driver.drive(run)
        let undo = run.status.isFinished ? RunbookUndo.runbook(undoing: run.changes(runbook), of: runbook, run: run.id) : nil
        switch output {
        case .table: printer.footer(run, undo: undo)
        case .json: print(JSON.encode(RunPrinter.json(run, runbook, undo: undo), pretty: true))
        }
        return run
    }

    /// The grant this user's agent holds for the runbook's access role, if any; says on stderr
    /// when the runbook names a role and no grant is held, or the grant is for another runbook.
    func heldGrant(for runbook: Runbook) -> AccessGrant? {
        let found = lookUpGrant(for: runbook, storePath: storePath)
        if let note = found.note { warn(note) }
        return found.grant
    }

    func warn(_ text: String) {
        FileHandle.standardError.write(Data("breakglass: \(TerminalText.sanitize(text))\n".utf8))
    }

    /// Answers from the command line's flags; on a terminal without --yes, asks.
    static func interaction(_ flags: Flags, printer: RunPrinter) -> RunbookInteraction {
        let tty = isatty(STDIN_FILENO) == 1 && isatty(STDERR_FILENO) == 1
        return RunbookInteraction(
            show: { _, _ in true },
            confirm: { c in
                let needs = c.kind == .type ? " --confirm \(c.expectedTyping)" : ""
                if flags.yes && (c.kind == .yes || flags.confirms.contains(c.expectedTyping)) {
                    return .confirmed(typed: c.kind == .type ? c.expectedTyping : nil)
                }
                if tty, let typed = prompt(c) { return .confirmed(typed: typed) }
                var reason = "step \(c.step + 1) (do \(c.operation)) waits for confirmation"
                if flags.yes { reason += "; --confirm does not name \(c.expectedTyping)" }
                return .stop(reason + "; run again with --yes\(needs) to send it")
            },
            decide: { _, _ in flags.markDone ? .markDone : flags.resend ? .resend : nil },
            waitsForApproval: flags.waitsForApproval)
    }

    /// On a terminal: shows the call and asks y/N, or for the resource's name.
    static func prompt(_ c: RunbookConfirmation) -> String?? {
        var lines = ["", "  \(c.operation) \(JSON.encode(c.input))"]
        if let explain = c.explain { lines.append("  \(explain)") }
        lines.append(c.kind == .type ? "  Type \(c.expectedTyping) to send it (anything else stops): " : "  Send it? [y/N] ")
        FileHandle.standardError.write(Data(lines.map(TerminalText.sanitize).joined(separator: "\n").utf8))
        guard let line = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces) else { return nil }
        switch c.kind {
        case .type: return line == c.expectedTyping ? .some(line) : nil
        case .yes: return line.lowercased() == "y" || line.lowercased() == "yes" ? .some(nil) : nil
        }
    }

    /// Whether `pid` is a live breakglass process (a stale pid reused by something else is not).
    static func isBreakglass(pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return true }
        return String(decoding: cmdline, as: UTF8.self).contains("breakglass")
    }
}

/// The lines `runbook run` prints: a header, one line per step, what the run waits for, and the
/// undo offer.
final class RunPrinter: Sendable {
    let runbook: Runbook
    let enabled: Bool

    init(runbook: Runbook, enabled: Bool) {
        self.runbook = runbook
        self.enabled = enabled
    }

    func out(_ s: String) {
        guard enabled else { return }
        FileHandle.standardOutput.write(Data((TerminalText.sanitize(s) + "\n").utf8))
    }

    func header(_ run: RunbookRunState, resumed: Bool, caller: String?) {
        let at = run.current.map { " at step \($0 + 1)" } ?? ""
        out("\(resumed ? "resuming run" : "run") \(run.id) of \(runbook.id)\(resumed ? at : ""): \(runbook.title) (\(run.region)\(caller.map { ", as \($0)" } ?? ""))")
    }

    func progress(_ p: RunbookProgress) {
        switch p {
        case .say(let i, let text):
            out(line(i, "say", "read", text))
        case .step(let i, let state):
            let step = runbook.steps[i]
            if case .say = step.kind, state.status == .done { return }
            var what = step.call?.operation.description ?? step.operation?.description ?? ""
            if let detail = state.detail { what += what.isEmpty ? detail : " — \(detail)" }
            out(line(i, step.kindName, state.status.rawValue.replacingOccurrences(of: "_", with: " "), what))
        case .waiting(let reason):
            FileHandle.standardError.write(Data("breakglass: \(TerminalText.sanitize(reason))\n".utf8))
        case .awaitingApproval(let i, let explain):
            out(line(i, "approve", "waiting", explain))
        }
    }

    func line(_ i: Int, _ kind: String, _ status: String, _ text: String) -> String {
        let n = "\(i + 1)/\(runbook.steps.count)"
        return "  " + n.padding(toLength: max(5, n.count), withPad: " ", startingAt: 0) + " " + kind.padding(toLength: 10, withPad: " ", startingAt: 0)
            + " " + status.padding(toLength: 15, withPad: " ", startingAt: 0) + " " + text.replacingOccurrences(of: "\n", with: " ")
    }

    func footer(_ run: RunbookRunState, undo: Runbook?) {
        switch run.status {
        case .succeeded: out("run \(run.id) finished: all \(run.steps.count) steps done")
        case .failed: out("run \(run.id) failed: \(run.reason ?? "a step failed"); try the step again with `breakglass runbook run --resume \(run.id)`")
        case .waiting: out("run \(run.id) stopped at step \((run.current ?? 0) + 1): \(run.reason ?? "waiting")")
        case .running: out("run \(run.id) stopped: \(run.reason ?? "interrupted"); resume with `breakglass runbook run --resume \(run.id)`")
        case .abandoned: out("run \(run.id) abandoned: \(run.reason ?? "")")
        }
        if let undo {
            let count = undo.steps.filter { if case .do = $0.kind { true } else { false } }.count
            out("to undo its \(count) change\(count == 1 ? "" : "s"): breakglass runbook undo \(run.id)   (see them first: --show)")
        }
    }

    static func json(_ run: RunbookRunState, _ runbook: Runbook, undo: Runbook?) -> AWSValue {
        var o = AWSObject()
        o["run"] = .number(String(run.id))
        o["runbook"] = .string(runbook.id)
        o["status"] = .string(run.status.rawValue)
        if let r = run.reason { o["reason"] = .string(r) }
        o["region"] = .string(run.region)
        if let c = run.current { o["current_step"] = .int(c + 1) }
        o["steps"] = .array(run.steps.enumerated().map { i, s in
            var step = RunbookRunCoding.encodeStep(s).object ?? AWSObject()
            step["step"] = .int(i + 1)
            step["kind"] = .string(runbook.steps[i].kindName)
            if let id = runbook.steps[i].id?.value { step["id"] = .string(id) }
            if let op = runbook.steps[i].operation { step["operation"] = .string(op.description) }
            return .object(step)
        })
        if undo != nil { o["undo"] = .string("breakglass runbook undo \(run.id)") }
        return .object(o)
    }
}

/// `breakglass runbook runs`: the latest runs and where each stands.
struct RunbookRunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runs", abstract: "List recent runbook runs: number, runbook, status, step, who, when.")

    @Option(help: "How many of the latest runs.") var limit = 20
    @Option(help: "table or json.") var output: OutputFormat = .table
    @OptionGroup var store: StoreOptions
    @OptionGroup var sandboxState: SandboxStateOption

    func run() throws {
        let runs: [RunbookRunStore.Record]
        do { runs = try RunbookRunStore(store: try store.open()).recent(limit: limit) } catch { throw report(error) }
        switch output {
        case .json:
            print(JSON.encode(.array(runs.map { r in
                var o = AWSObject()
                o["run"] = .number(String(r.run.id))
                o["runbook"] = .string(r.run.runbook)
                o["status"] = .string(r.run.status.rawValue)
                if let c = r.run.current { o["current_step"] = .int(c + 1) }
                o["steps"] = .int(r.run.steps.count)
                o["user"] = .string(r.user)
                o["started_at"] = .string(ISO8601.formatMilliseconds(r.run.startedAt))
                o["updated_at"] = .string(ISO8601.formatMilliseconds(r.updatedAt))
                if let reason = r.run.reason { o["reason"] = .string(reason) }
                return .object(o)
            }), pretty: true))
        case .table:
            if runs.isEmpty { FileHandle.standardError.write(Data("breakglass: no runbook runs yet\n".utf8)) }
            for r in runs {
                let step = r.run.current.map { "step \($0 + 1)/\(r.run.steps.count)" } ?? "\(r.run.steps.count)/\(r.run.steps.count)"
                let line = "\(String(r.run.id).padding(toLength: 5, withPad: " ", startingAt: 0)) \(r.run.runbook.padding(toLength: 22, withPad: " ", startingAt: 0)) "
                    + "\(r.run.status.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(step.padding(toLength: 11, withPad: " ", startingAt: 0)) "
                    + "\(r.user) \(ISO8601.formatMilliseconds(r.updatedAt).prefix(19))Z" + (r.run.reason.map { "  \($0)" } ?? "")
                print(TerminalText.sanitize(line))
            }
        }
    }
}

/// `breakglass runbook approve RUN`: the second person's approval of a run's `approve` step.
struct RunbookApproveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve the approve step a run is waiting at (as a second person).",
        discussion: """
            The approver must be someone other than the person who started the run: another OS user, \
            or the same shared account from another SSH client. The approval is recorded in the \
            audit trail; the run, if its process is waiting, goes on within a second.
            """)

    @Argument(help: "The run's number (breakglass runbook runs).") var runNumber: Int64
    @OptionGroup var store: StoreOptions
    @OptionGroup var sandboxState: SandboxStateOption

    func run() throws {
        do {
            let opened = try store.open()
            let runs = RunbookRunStore(store: opened)
            guard let record = try runs.load(runNumber) else { throw ValidationError("there is no run \(runNumber)") }
            guard !record.run.status.isFinished, let i = record.run.current, i < record.run.shape.count, record.run.shape[i] == "approve" else {
                throw ValidationError("run \(runNumber) is not waiting at an approve step (it is \(record.run.status.rawValue)" + (record.run.current.map { ", at step \($0 + 1)" } ?? "") + ")")
            }
            let actor = AuditActor.current()
            guard actor.user != record.user || (actor.sshClient != nil && actor.sshClient != record.sshClient) else {
                throw ValidationError("run \(runNumber) was started by \(record.user)\(record.sshClient.map { " from \($0)" } ?? ""); the approval must come from a second person")
            }
            try runs.approve(run: runNumber, step: i, actor: actor, now: Date())
            try AuditLog(store: opened).append(AuditDraft(
                kind: "runbook.approved", actor: actor,
                context: AuditContext(incident: record.run.incident, drill: record.run.drill, runbook: record.run.runbook, step: RunbookRunCoding.auditStep(run: runNumber, step: i), role: record.run.role),
                detail: "\(actor.user) approved step \(i + 1) of run \(runNumber)"))
            print("approved step \(i + 1) of run \(runNumber) (\(record.run.runbook))")
        } catch let e as SQLiteError where e.description.contains("UNIQUE") {
            throw report(ValidationError("that step of run \(runNumber) is already approved"))
        } catch {
            throw report(error)
        }
    }
}

/// `breakglass runbook abandon RUN`: gives up an unfinished run, so it is never resumed.
struct RunbookAbandonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "abandon", abstract: "Give up an unfinished run; it is never resumed.")

    @Argument(help: "The run's number.") var runNumber: Int64
    @Option(help: "Why, for the audit trail.") var reason: String = "no reason given"
    @OptionGroup var store: StoreOptions
    @OptionGroup var sandboxState: SandboxStateOption

    func run() throws {
        do {
            let opened = try store.open()
            let runs = RunbookRunStore(store: opened)
            _ = try RunbookRunner.abandon(
                runNumber, runs: runs, log: AuditLog(store: opened), actor: AuditActor.current(), reason: reason, now: Date(),
                driverAlive: RunSession.isBreakglass(pid:))
            print("run \(runNumber) abandoned")
        } catch let e as RunbookEngineError {
            throw report(ValidationError(e.message))
        } catch {
            throw report(error)
        }
    }
}

/// `breakglass runbook undo RUN`: puts back what a run changed, as a runbook of its own.
struct RunbookUndoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "undo",
        abstract: "Undo what a run changed, from the values it recorded before each change.",
        discussion: """
            Before each `do`, a run reads and records the values the call changes (desired capacity, \
            reserved concurrency, instance class...). This builds a runbook that puts them back, latest \
            change first, and runs it like `runbook run`: --yes and --confirm to send its steps. \
            --show prints it as runbook YAML instead (save it under runbooks/ to keep it).
            """)

    @Argument(help: "The run to undo.") var runNumber: Int64
    @Flag(help: "Print the undo runbook as YAML instead of running it.") var show = false
    @Flag(help: "Send `do` steps.") var yes = false
    @Option(name: .customLong("confirm"), help: "A resource name a `confirm: type` step asks for; repeat for several.") var confirms: [String] = []
    @Flag(help: "Stop at an approve step instead of waiting.") var noWait = false
    @Option(help: "table or json.") var output: OutputFormat = .table
    @OptionGroup var aws: AWSOptions
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let session = try RunSession.open(aws: aws, store: store)
        let runs = RunbookRunStore(store: session.store)
        guard let record = try runs.load(runNumber) else { throw report(ValidationError("there is no run \(runNumber); `breakglass runbook runs` lists them")) }
        let original = try session.runbook(for: record.run, runs: runs)
        let changes = record.run.changes(original)
        if show {
            guard let yaml = RunbookUndo.yaml(undoing: changes, of: original, run: runNumber) else {
                throw report(ValidationError("run \(runNumber) recorded no change that can be undone"))
            }
            print(yaml, terminator: yaml.hasSuffix("\n") ? "" : "\n")
            return
        }
        guard let undo = RunbookUndo.runbook(undoing: changes, of: original, run: runNumber) else {
            throw report(ValidationError("run \(runNumber) recorded no change that can be undone"))
        }
        let existing = try runs.unfinished(runbook: undo.id).last { $0.run.source == "undo:\(runNumber)" }
        let flags = RunSession.Flags(yes: yes, confirms: Set(confirms), markDone: false, resend: false, waitsForApproval: !noWait)
        let final = try await session.drive(
            undo, runs: runs, existing: existing, params: [:], incident: record.run.incident, retryFailed: false, source: "undo:\(runNumber)",
            flags: flags, output: output)
        if final.status != .succeeded { throw ExitCode(1) }
    }
}

/// The break-glass grant the access agent holds for `runbook`'s access role, if any, and a sentence
/// for the person when it matters: no grant held (the steps use their own credentials), or a grant
/// derived from another runbook. `runbook run` prints the sentence; the console shows it.
func lookUpGrant(for runbook: Runbook, storePath: String) -> (grant: AccessGrant?, note: String?) {
    guard let role = runbook.access?.value else { return (nil, nil) }
    let grant: AccessGrant?
    do {
        grant = try AccessAgentClient(socketPath: AccessAgent.socketPath(forStore: storePath)).grant(role: role)
    } catch {
        return (nil, "could not ask the access agent for \(role): \(error); running with your own credentials")
    }
    guard let grant else {
        return (nil, "no break-glass grant for \(role) is held; the steps run with your own credentials. "
            + "To use the role: breakglass access request \(role) --runbook \(runbook.id) --reason TEXT")
    }
    if let granted = grant.runbook, granted != runbook.id {
        return (grant, "the grant for \(role) was derived from runbook \(granted); calls of \(runbook.id) that \(granted) does not make are refused")
    }
    return (grant, nil)
}
