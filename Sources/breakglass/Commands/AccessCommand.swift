import ArgumentParser
import BreakglassAWS
import BreakglassCore
import Foundation

/// `breakglass access request ROLE | status | revoke [ROLE]`: short-lived, least-privilege break-glass
/// credentials, held in memory by a per-user agent (docs/ACCESS.md).
struct AccessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "access",
        abstract: "Request, show and revoke break-glass access to the roles under access.roles.",
        discussion: """
            A grant is an STS AssumeRole session for one of the configuration's roles, after its criteria \
            checklist is confirmed, with a reason, an MFA code when the role needs one, and (with \
            --runbook) a session policy that allows exactly what the runbook does. The credentials live \
            in memory only, in a per-user agent process; every request, grant, refusal and revocation \
            is in the audit trail. See docs/ACCESS.md.
            """,
        subcommands: [AccessRequestCommand.self, AccessStatusCommand.self, AccessRevokeCommand.self, AccessAgentCommand.self])
}

/// Whether the person can be asked (standard input and error are a terminal).
private var interactive: Bool { isatty(STDIN_FILENO) == 1 && isatty(STDERR_FILENO) == 1 }

/// Each line sanitised of control characters, the line breaks kept.
private func sanitizeLines(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { TerminalText.sanitize(String($0)) }.joined(separator: "\n")
}

private func say(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

/// Asks on the terminal; nil at end of input.
private func ask(_ prompt: String) -> String? {
    say(prompt)
    return readLine(strippingNewline: true)
}

/// "unknown role `x`; did you mean `y`?" or the list of roles.
private func unknownRole(_ id: String, _ config: BreakglassConfig) -> ValidationError {
    let ids = config.access.roles.map(\.id)
    if ids.isEmpty {
        return ValidationError("unknown role `\(id)`: the configuration defines no roles under access.roles (docs/CONFIG.md)")
    }
    if let near = Suggestion.closest(to: id, in: ids) { return ValidationError("unknown role `\(id)`; did you mean `\(near)`?") }
    return ValidationError("unknown role `\(id)`; the roles under access.roles are: \(ids.joined(separator: ", "))")
}

struct AccessRequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Assume a break-glass role after its criteria are confirmed; the agent holds the credentials.",
        discussion: """
            ROLE is an id under access.roles in the configuration. The criteria under access.criteria are \
            asked one by one on a terminal (or confirmed at once with --criteria-met). --duration defaults \
            to the role's max and may not exceed it. A role with mfa: true needs --mfa-code (asked on a \
            terminal); the device is the role's mfa_serial or the profile's. With --runbook, the session \
            policy allows exactly the runbook's actions on the resources its parameters name. The \
            credentials are handed to the per-user agent (started when needed) and never written \
            anywhere; `runbook run` takes them from there. Exit 1 when the criteria are not confirmed or \
            AWS refuses, 2 for usage and configuration problems.
            """)

    @Argument(help: "The role's id under access.roles.") var role: String
    @Option(help: "Why you need it (recorded in the audit trail).") var reason: String
    @Option(help: "How long, e.g. 15m or 1h (default and limit: the role's max).") var duration: String?
    @Option(help: "Derive the session policy from this runbook's steps.") var runbook: String?
    @Option(name: .customLong("param"), help: "name=value for the runbook's parameters; repeat for several.") var params: [String] = []
    @Option(help: "The incident this is for (in the session name and the audit trail).") var incident: String?
    @Flag(help: "Confirm every criterion under access.criteria without being asked.") var criteriaMet = false
    @OptionGroup var aws: AWSOptions
    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ValidationError("--reason is empty; say why you need access") }
    }

    func run() async throws {
        do {
            try await request()
        } catch let e as ExitCode {
            throw e
        } catch let e as AccessRequestError {
            throw report(ValidationError(e.message))
        } catch let e as AccessAgentError {
            throw report(e)
        } catch {
            throw report(error)
        }
    }

    func request() async throws {
        let loaded = try aws.config.load()
        let config = loaded.config
        guard let role = config.role(role) else { throw unknownRole(self.role, config) }
        guard RoleARN(role.arn) != nil else { throw ValidationError("access.roles.\(role.id).arn is not an IAM role ARN: \(role.arn)") }
        let seconds = try AccessDuration.seconds(requested: duration, role: role)
        let (env, choice) = config.awsEnvironment(variables: ProcessInfo.processInfo.environment, commandLineProfile: aws.profile)
        let region = try aws.resolveRegions(env)[0]

        // The runbook and its session policy.
        var policy: SessionPolicy?
        if let id = runbook {
            let catalog = RunbookDiscovery.current().catalog(config)
            let book = try catalog.find(id)
            let given = try runbookParams(params)
            do {
                policy = try AccessBroker.sessionPolicy(runbook: book, role: role, given: given, config: config, region: region)
            } catch {
                switch error {
                case .wrongRole, .params: throw ValidationError(error.description)
                case .lint(_, let problems):
                    reportRunbookProblems(problems)
                    throw ValidationError("runbook \(id) has problems (above); fix them before requesting access for it")
                case .policy(let e):
                    say("breakglass: error: \(e)\n")
                    throw ExitCode(1)
                }
            }
        } else if !params.isEmpty {
            throw ValidationError("--param needs --runbook")
        }

        // MFA: the device, and the code, before anything is sent.
        var serial: String?
        var code: String?
        if role.mfa {
            serial = AccessBroker.mfaDevice(role: role, environment: env, profile: choice.name)
            guard let serial else {
                throw ValidationError(
                    "role \(role.id) needs MFA, but no MFA device is configured: set mfa_serial under access.roles.\(role.id) (\(role.location)) or in profile \(choice.name) of ~/.aws/config; nothing was sent")
            }
            // Without a terminal to ask on, a missing code is an error now, before anything else.
            guard aws.mfaCode != nil || interactive else {
                throw ValidationError("role \(role.id) needs an MFA code from \(serial): pass it with --mfa-code 123456; nothing was sent")
            }
            code = try aws.mfaCode.map { (c) throws(AccessRequestError) in try MFACode.validate(c) }
        }

        let opened = try store.open()
        let log = AuditLog(store: opened)
        try AccessAgent.checkSocketPath(AccessAgent.socketPath(forStore: opened.path))
        var actor = AuditActor.current()

        // The criteria checklist.
        let criteria = config.access.criteria
        var how = criteria.isEmpty ? "none configured" : "confirmed with --criteria-met"
        if !criteria.isEmpty && !criteriaMet {
            guard interactive else {
                let list = criteria.map { "  - \($0)" }.joined(separator: "\n")
                try AccessAudit.denied(
                    log: log, actor: actor, role: role.id, runbook: runbook, incident: incident,
                    detail: "criteria not confirmed (no terminal to ask on, no --criteria-met); reason: \(reason)", sent: false)
                say("breakglass: error: break-glass access to \(role.id) needs these criteria confirmed; answer them on a terminal, or add --criteria-met if every one holds:\n\(TerminalText.sanitize(list))\n")
                throw ExitCode(1)
            }
            say("Break-glass criteria for \(role.id): confirm each one.\n")
            for criterion in criteria {
                let answer = ask("  \(TerminalText.sanitize(criterion))? [y/N] ")?.trimmingCharacters(in: .whitespaces).lowercased()
                guard answer == "y" || answer == "yes" else {
                    try AccessAudit.denied(
                        log: log, actor: actor, role: role.id, runbook: runbook, incident: incident,
                        detail: "criterion not confirmed: \(criterion); reason: \(reason)", sent: false)
                    say("breakglass: error: not confirmed: \(TerminalText.sanitize(criterion)); no access requested\n")
                    throw ExitCode(1)
                }
            }
            how = "confirmed one by one"
        }

        // Criteria, then the MFA code: asked on the terminal when not given.
        if let serial, code == nil {
            guard let given = ask("MFA code for \(TerminalText.sanitize(serial)): "), !given.isEmpty else {
                throw ValidationError("role \(role.id) needs an MFA code from \(serial): pass it with --mfa-code 123456; nothing was sent")
            }
            code = try MFACode.validate(given)
        }

        // The operator's own credentials; --mfa-code belongs to the break-glass role, so a profile of
        // theirs that needs MFA is asked on the terminal.
        let prompt: MFACodeProvider? = interactive ? { @Sendable serial in
            say("MFA code for your profile's device \(TerminalText.sanitize(serial)): ")
            guard let line = readLine(strippingNewline: true) else { throw AWSError.credentials("no MFA code entered for \(serial)") }
            return line.trimmingCharacters(in: .whitespaces)
        } : nil
        let client = try await AWSClient.fromEnvironment(env, mfaCode: prompt)
        actor.callerARN = await callerARN(client, region: region)

        let broker = AccessBroker(store: opened)
        let request = AccessGrantRequest(
            role: role, durationSeconds: seconds, reason: reason, runbook: runbook, incident: incident, policy: policy, mfaSerial: serial, criteria: how)
        let granted: AccessGrantOutcome
        do {
            granted = try await broker.request(request, mfaCode: code, client: client, region: region, actor: actor)
        } catch let refusal as AccessRefusal {
            say("breakglass: error: \(TerminalText.sanitize(refusal.description))\n")
            throw ExitCode(1)
        }
        let record = granted.record
        let expiration = record.expiresAt
        let sessionName = record.sessionName
        let took = granted.took
        let pid = granted.agentPID
        let ms = Double(took.components.seconds) * 1000 + Double(took.components.attoseconds) / 1e15
        var out = "granted \(role.id) until \(ISO8601.format(expiration)) (\(AccessStatus.formatLeft(seconds))) as session \(sessionName)\n"
        out += "  access key \(record.accessKeyID ?? "?"), held in memory by the access agent\(pid.map { " (pid \($0))" } ?? "")"
        out += "; AssumeRole took \(String(format: "%.0f", ms)) ms\n"
        if let policy, let id = runbook { out += "  " + policy.summary(runbook: id) + "\n" }
        FileHandle.standardOutput.write(Data(sanitizeLines(out).utf8))
    }
}

struct AccessStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Who holds which break-glass role, for how long yet, for which runbook and incident.",
        discussion: """
            Lists every active grant and the ten most recent that expired or were revoked. STATE is held \
            (your agent holds the credentials), not-held (active by the record, but your agent no longer \
            holds them), active (another user's), expired or revoked.
            """)

    @Option(help: "table or json.") var output: OutputFormat = .table
    @OptionGroup var store: StoreOptions
    @OptionGroup var sandboxState: SandboxStateOption

    func run() async throws {
        do {
            guard FileManager.default.fileExists(atPath: store.path) else {
                print(output == .json ? "[]" : "no break-glass grants recorded")
                return
            }
            let opened = try store.open()
            let now = Date()
            let records = try AccessGrantStore(store: opened).recent(at: now)
            let held = try? AccessAgentClient(socketPath: AccessAgent.socketPath(forStore: opened.path)).list()
            let rows = AccessStatus.rows(records, held: held ?? nil, user: AuditActor.current().user, now: now)
            switch output {
            case .json: print(JSON.encode(AccessStatus.json(rows), pretty: true))
            case .table: print(AccessStatus.table(rows, width: isatty(STDOUT_FILENO) == 1 ? outputWidth() : Int.max))
            }
        } catch {
            throw report(error)
        }
    }
}

struct AccessRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Wipe your break-glass credentials now; with --all-sessions, cut every session of the role in AWS.",
        discussion: """
            Without ROLE, revokes every grant you hold. The agent wipes the credentials at once and the \
            grants are marked revoked. Credentials already copied elsewhere stay valid until they expire: \
            --all-sessions (needs ROLE) attaches AWS's AWSRevokeOlderSessions inline policy to the role, \
            denying everything to every session of it issued before now — everyone's, not only yours. It \
            asks you to type the role's id, or takes --yes. That write is recorded in the audit trail \
            before it is sent.
            """)

    @Argument(help: "The role's id under access.roles (default: every grant you hold).") var role: String?
    @Flag(help: "Also deny every existing session of the role in AWS (iam PutRolePolicy AWSRevokeOlderSessions).") var allSessions = false
    @Flag(help: "Do not ask before --all-sessions.") var yes = false
    @OptionGroup var aws: AWSOptions
    @OptionGroup var store: StoreOptions

    func validate() throws {
        if allSessions && role == nil { throw ValidationError("--all-sessions needs ROLE: it cuts every session of one role") }
    }

    func run() async throws {
        do {
            try await revoke()
        } catch let e as ExitCode {
            throw e
        } catch {
            throw report(error)
        }
    }

    func revoke() async throws {
        let config = try aws.loadConfig()
        var roleConfig: AccessRole?
        if let role {
            guard let r = config.role(role) else { throw unknownRole(role, config) }
            roleConfig = r
        }
        let opened = try store.open()
        let log = AuditLog(store: opened)
        let actor = AuditActor.current()

        var lines = try AccessBroker(store: opened).revoke(role: role, actor: actor).map(\.summary)
        if lines.isEmpty { lines.append("no active grant of yours\(role.map { " for \($0)" } ?? "") to revoke") }
        print(sanitizeLines(lines.joined(separator: "\n")))

        guard allSessions, let roleConfig else { return }
        try await revokeAllSessions(roleConfig, log: log, actor: actor)
    }

    func revokeAllSessions(_ role: AccessRole, log: AuditLog, actor: AuditActor) async throws {
        guard let arn = RoleARN(role.arn) else { throw ValidationError("access.roles.\(role.id).arn is not an IAM role ARN: \(role.arn)") }
        say("""
            WARNING: --all-sessions denies every action to EVERY session of \(role.arn) issued before now: \
            yours, your colleagues', running automation's. They must assume the role again. The deny stays on \
            the role (inline policy \(RevokeOlderSessions.policyName)) until someone deletes it; later sessions \
            are not affected.

            """)
        if !yes {
            guard interactive else {
                say("breakglass: error: add --yes to cut every session of \(role.id) (or run on a terminal and type the role's id)\n")
                throw ExitCode(1)
            }
            guard ask("Type the role's id (\(role.id)) to confirm: ")?.trimmingCharacters(in: .whitespaces) == role.id else {
                say("breakglass: not confirmed; sessions were not cut\n")
                throw ExitCode(1)
            }
        }
        let env = try aws.environment()
        let region = try aws.resolveRegions(env)[0]
        let base = try await aws.client(env)
        let caller = await callerARN(base, region: region)
        let client = base.journaled(try store.journal(callerARN: caller, context: AuditContext(role: role.id)))
        let now = Date()
        let op = try AWSCatalog.lookup(service: "iam", name: "PutRolePolicy")
        var actor = actor
        actor.callerARN = caller
        do {
            let result = try await client.call(
                op,
                ["RoleName": .string(arn.name), "PolicyName": .string(RevokeOlderSessions.policyName),
                 "PolicyDocument": .string(RevokeOlderSessions.document(now: now))],
                region: region)
            try AccessAudit.revoked(
                log: log, actor: actor, role: role.id, grant: nil, runbook: nil, incident: nil, accessKeyID: nil,
                how: "every session of \(role.arn) issued before \(ISO8601.format(now)) denied (inline policy \(RevokeOlderSessions.policyName))",
                requestID: result.requestID)
            print("cut every session of \(role.id) issued before \(ISO8601.format(now)) (\(RevokeOlderSessions.policyName) on role \(arn.name))")
        } catch {
            say("breakglass: error: could not cut the sessions of \(role.id): \(TerminalText.sanitize(String(describing: error)))\n")
            throw ExitCode(1)
        }
    }
}

/// Written by the signal handler to wake the agent's loop.
nonisolated(unsafe) private var agentWakeDescriptor: Int32 = -1

struct AccessAgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "The per-user process that holds break-glass credentials in memory (started by access request).",
        shouldDisplay: false)

    @Option(help: "The Unix socket to listen on.") var socket: String
    @Option(name: .customLong("state"), help: "The state database, for the audit trail's access.expired entries.") var statePath: String?
    @Option(help: "A descriptor to write \"ready\" to once listening.") var readyFd: Int32?
    @Option(help: "Exit after holding nothing for this long.") var idleExit = "60s"

    func run() throws {
        // No core dumps of a process whose memory holds credentials.
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        _ = setrlimit(Int32(RLIMIT_CORE.rawValue), &none)
        signal(SIGPIPE, SIG_IGN)
        signal(SIGHUP, SIG_IGN)
        guard let idle = DurationSyntax.parse(idleExit) else { throw ValidationError("--idle-exit: expected a duration like 60s") }
        let statePath = self.statePath
        let server: AccessAgentServer
        do {
            server = try AccessAgentServer(socketPath: socket, idleExit: idle, onExpired: { expired in
                guard let statePath, let store = try? Store.open(path: statePath) else { return }
                defer { store.close() }
                let log = AuditLog(store: store)
                for grant in expired { _ = try? AccessAudit.expired(log: log, actor: AuditActor.current(), grant: grant) }
            })
        } catch {
            tell("failed: \(error)")
            throw report(error)
        }
        let prepared: AccessAgentServer.Prepared
        do { prepared = try server.prepare() } catch {
            tell("failed: \(error)")
            throw report(error)
        }
        if prepared == .alreadyRunning {
            tell("running")
            return
        }
        agentWakeDescriptor = server.wakeDescriptor
        signal(SIGTERM) { _ in
            var b: UInt8 = 1
            _ = write(agentWakeDescriptor, &b, 1)
        }
        signal(SIGINT) { _ in
            var b: UInt8 = 1
            _ = write(agentWakeDescriptor, &b, 1)
        }
        tell("ready")
        server.run()
    }

    /// Tells whoever started the agent how starting went, once.
    func tell(_ word: String) {
        guard let fd = readyFd, fd >= 0 else { return }
        _ = (word + "\n").withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }
}
