import BreakglassAWS
import Foundation

/// Why no session policy can be derived for a runbook; each case says what to change. Nothing was
/// sent when one of these is thrown.
public enum AccessPolicyProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// The runbook names another role with `access:`.
    case wrongRole(runbook: String, needs: String, requested: String)
    /// The runbook does not lint clean.
    case lint(runbook: String, problems: [SourceError])
    /// A `--param` (or form) value is unknown, missing or does not match its pattern.
    case params(RunbookParams.Problems)
    /// The policy cannot be made to fit STS's limit, or names an unknown service.
    case policy(SessionPolicyError)

    public var description: String {
        switch self {
        case .wrongRole(let runbook, let needs, let requested): "runbook \(runbook) runs under role \(needs), not \(requested); request \(needs)"
        case .lint(let runbook, let problems):
            "runbook \(runbook) has problems; fix them before requesting access for it:\n" + problems.map(\.description).joined(separator: "\n")
        case .params(let problems): problems.description
        case .policy(let error): error.description
        }
    }
}

/// AWS (or the way to it) refused AssumeRole. `text` is the whole error as the client said it, with
/// the MFA code blanked; `code`, `message` and `requestID` are AWS's when it answered.
public struct AccessRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    public var role: String
    public var code: String?
    public var message: String
    public var requestID: String?
    public var text: String

    public init(role: String, code: String?, message: String, requestID: String?, text: String) {
        self.role = role
        self.code = code
        self.message = message
        self.requestID = requestID
        self.text = text
    }

    public var description: String { "AWS refused access to \(role): \(text)" }
}

/// What a request asks for, once the person has confirmed the criteria: everything but the MFA code,
/// which is passed on its own and never kept.
public struct AccessGrantRequest: Sendable {
    public var role: AccessRole
    public var durationSeconds: Int
    public var reason: String
    public var runbook: String?
    public var incident: String?
    /// The session policy derived from `runbook` (`AccessBroker.sessionPolicy`); nil: the role's own.
    public var policy: SessionPolicy?
    /// The MFA device, for a role with `mfa: true` (`AccessBroker.mfaDevice`).
    public var mfaSerial: String?
    /// How the criteria were confirmed, for the audit trail ("confirmed one by one").
    public var criteria: String

    public init(
        role: AccessRole, durationSeconds: Int, reason: String, runbook: String?, incident: String?, policy: SessionPolicy?, mfaSerial: String?,
        criteria: String
    ) {
        self.role = role
        self.durationSeconds = durationSeconds
        self.reason = reason
        self.runbook = runbook
        self.incident = incident
        self.policy = policy
        self.mfaSerial = mfaSerial
        self.criteria = criteria
    }
}

/// A grant AWS gave and the agent holds.
public struct AccessGrantOutcome: Sendable {
    /// Its row in `access_grants` (id set).
    public var record: AccessGrantRecord
    public var durationSeconds: Int
    /// The agent holding it, when its pid is known.
    public var agentPID: Int32?
    /// The session's ARN (`…:assumed-role/ROLE/SESSION`).
    public var assumedARN: String?
    public var requestID: String?
    /// How long AssumeRole took.
    public var took: Duration
    public var policy: SessionPolicy?
}

/// One grant `revoke` ended.
public struct AccessRevocation: Sendable, Equatable {
    public var record: AccessGrantRecord
    /// The agent held it and wiped it now (else it was only marked revoked).
    public var wiped: Bool

    /// "revoked grant 3 of app-break-glass (access key ASIA…): wiped from the agent".
    public var summary: String {
        "revoked grant \(record.id) of \(record.role) (access key \(record.accessKeyID ?? "?"))\(wiped ? ": wiped from the agent" : "")"
    }
}

/// The steps of a break-glass request and revocation that do not talk to a person: the session
/// policy from a runbook, the MFA device, and, once the criteria are confirmed and the code is known,
/// AssumeRole, the record, the agent and the audit trail (docs/ACCESS.md). `breakglass access` and
/// the console's access screen both go through it, so both record the same things in the same order.
///
/// Blocking: the store and the agent's socket are used synchronously; run it off any UI thread.
public struct AccessBroker: Sendable {
    public let store: Store
    /// The program started as the agent when none runs (`breakglass`).
    public var executable: String
    /// The time for records (`granted_at`, `revoked_at`).
    public var now: @Sendable () -> Date

    public init(store: Store, executable: String = AccessAgentLauncher.currentExecutable(), now: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.executable = executable
        self.now = now
    }

    /// The agent's socket, beside the state database.
    public var socketPath: String { AccessAgent.socketPath(forStore: store.path) }

    public var agent: AccessAgentClient { AccessAgentClient(socketPath: socketPath) }

    // MARK: Before anything is sent

    /// The session policy for running `book` under `role` with `given` parameters (defaults
    /// overridden), in `region` of the role's account. The runbook must be for this role (or none)
    /// and lint clean.
    public static func sessionPolicy(
        runbook book: Runbook, role: AccessRole, given: [String: String], config: BreakglassConfig, region: String
    ) throws(AccessPolicyProblem) -> SessionPolicy {
        if let needed = book.access?.value, needed != role.id {
            throw .wrongRole(runbook: book.id, needs: needed, requested: role.id)
        }
        let problems = RunbookLinter.lint(book, config: config)
        if !problems.isEmpty { throw .lint(runbook: book.id, problems: problems) }
        let values: [String: AWSValue]
        switch RunbookParams.resolve(book, given: given) {
        case .failure(let problems): throw .params(problems)
        case .success(let v): values = v
        }
        // The ARN is checked where the role is chosen; an unreadable one derives for no account.
        let arn = RoleARN(role.arn)
        do {
            return try SessionPolicyDeriver.derive(
                runbook: book, params: values, account: arn?.account ?? "", region: region, partition: arn?.partition ?? "aws")
        } catch {
            throw .policy(error)
        }
    }

    /// The MFA device for `role`: its own `mfa_serial`, else the profile's in `~/.aws/config`.
    public static func mfaDevice(role: AccessRole, environment: AWSEnvironment, profile: String) -> String? {
        role.mfaSerial ?? (try? environment.sharedFiles())?.value("mfa_serial", profile: profile)
    }

    // MARK: The grant

    /// Sends AssumeRole with `client` (the person's own credentials) and `mfaCode`, records the grant
    /// and hands the credentials to the agent (starting one when none runs). Writes
    /// `access.requested` before sending, then `access.granted` or `access.denied`, and
    /// `access.revoked` for a grant of the same role it replaced.
    ///
    /// Throws `AccessRefusal` when AWS refuses (or cannot be reached), `AccessRequestError` for an
    /// unreadable answer, `AccessAgentError` when the agent cannot hold the credentials (the grant
    /// is then marked revoked), and the store's errors.
    public func request(
        _ request: AccessGrantRequest, mfaCode: String?, client: AWSClient, region: String, actor: AuditActor
    ) async throws -> AccessGrantOutcome {
        let role = request.role
        let log = AuditLog(store: store)
        let sessionName = AccessNaming.sessionName(user: actor.user, incident: request.incident)
        let assume = AssumeRoleRequest(
            roleARN: role.arn, sessionName: sessionName, sourceIdentity: AccessNaming.sourceIdentity(user: actor.user, incident: request.incident),
            durationSeconds: request.durationSeconds, mfaSerial: request.mfaSerial, policy: request.policy?.json)
        try AccessAudit.requested(
            log: log, actor: actor, role: role.id, runbook: request.runbook, incident: request.incident, reason: request.reason,
            durationSeconds: request.durationSeconds, sessionName: sessionName, criteria: request.criteria,
            parameters: assume.input(mfaCode: mfaCode.map { _ in AuditRedactor.marker }), region: region)

        guard let operation = AWSCatalog.operation(service: "sts", name: "AssumeRole") else { throw AccessRequestError("the catalog lacks sts AssumeRole") }
        let clock = ContinuousClock()
        let started = clock.now
        let answer: AWSClient.CallResult
        do {
            answer = try await client.call(operation, assume.input(mfaCode: mfaCode), region: region)
        } catch {
            var text = error.description
            if let mfaCode { text = text.replacingOccurrences(of: mfaCode, with: AuditRedactor.marker) }
            let service = error.serviceError
            try AccessAudit.denied(
                log: log, actor: actor, role: role.id, runbook: request.runbook, incident: request.incident,
                detail: service.map { "\($0.code): \($0.message)" } ?? text, requestID: service?.requestID, region: region, sent: true)
            var message = service?.message ?? text
            if let mfaCode { message = message.replacingOccurrences(of: mfaCode, with: AuditRedactor.marker) }
            throw AccessRefusal(role: role.id, code: service?.code, message: message, requestID: service?.requestID, text: text)
        }
        let took = clock.now - started
        let (credentials, assumedARN) = try AssumeRoleRequest.credentials(from: answer.value, roleARN: role.arn, requestID: answer.requestID)
        guard let expiration = credentials.expiration else { throw AccessRequestError("the AssumeRole answer has no expiration") }

        let grants = AccessGrantStore(store: store)
        var record = AccessGrantRecord(
            role: role.id, roleARN: role.arn, user: actor.user, sshClient: actor.sshClient, sessionName: sessionName,
            sourceIdentity: assume.sourceIdentity, accessKeyID: credentials.accessKeyID, runbook: request.runbook, incident: request.incident,
            reason: request.reason, grantedAt: now(), expiresAt: expiration)
        record.id = try grants.insert(record)

        // Into the agent's memory; this process forgets them when the outcome is dropped.
        let held = AccessAgentGrant(
            summary: AccessGrantSummary(
                id: record.id, role: role.id, roleARN: role.arn, accessKeyID: credentials.accessKeyID, expiration: expiration,
                runbook: request.runbook, incident: request.incident, sessionName: sessionName),
            secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken ?? "", operations: request.policy?.operations)
        var pid: Int32?
        let replaced: [Int64]
        do {
            pid = try AccessAgentLauncher.ensureRunning(executable: executable, socketPath: socketPath, storePath: store.path)
            do {
                replaced = try agent.put(held)
            } catch {
                // An idle agent may have exited between the check and the put: start one and try once more.
                pid = try AccessAgentLauncher.ensureRunning(executable: executable, socketPath: socketPath, storePath: store.path)
                replaced = try agent.put(held)
            }
        } catch {
            try grants.markRevoked(record.id, by: "breakglass: the agent could not hold it", at: now())
            try AccessAudit.revoked(
                log: log, actor: actor, role: role.id, grant: record.id, runbook: request.runbook, incident: request.incident,
                accessKeyID: credentials.accessKeyID, how: "granted by AWS but not held: \(error)")
            throw error
        }
        try grants.setHolder(record.id, pid: pid)
        for old in replaced {
            if try grants.markRevoked(old, by: "replaced by grant \(record.id)", at: now()) {
                try AccessAudit.revoked(
                    log: log, actor: actor, role: role.id, grant: old, runbook: nil, incident: nil, accessKeyID: nil,
                    how: "replaced in the agent by grant \(record.id)")
            }
        }
        try AccessAudit.granted(
            log: log, actor: actor, record: record, durationSeconds: request.durationSeconds, assumedARN: assumedARN, requestID: answer.requestID,
            region: region, policyCharacters: request.policy?.size)
        return AccessGrantOutcome(
            record: record, durationSeconds: request.durationSeconds, agentPID: pid, assumedARN: assumedARN, requestID: answer.requestID, took: took,
            policy: request.policy)
    }

    // MARK: Status and revocation

    /// What this user's agent holds (no secrets); nil when no agent runs.
    public func held() throws(AccessAgentError) -> [AccessGrantSummary]? {
        try agent.list()
    }

    /// Wipes `actor`'s grant of `role` (every grant of theirs when nil) from the agent and marks the
    /// records revoked, with an `access.revoked` entry for each. Grants the agent held that the
    /// records think ended are included. Empty when there was nothing to revoke.
    public func revoke(role: String?, actor: AuditActor) throws -> [AccessRevocation] {
        let log = AuditLog(store: store)
        let grants = AccessGrantStore(store: store)
        let at = now()
        let wiped = try agent.revoke(role: role) ?? []
        let wipedIDs = Set(wiped.map(\.id))
        var records = try grants.active(at: at, user: actor.user).filter { role == nil || $0.role == role }
        for w in wiped where !records.contains(where: { $0.id == w.id }) {
            if let r = try grants.record(w.id), r.user == actor.user { records.append(r) }
        }
        var out: [AccessRevocation] = []
        for r in records {
            let marked = try grants.markRevoked(r.id, by: actor.user, at: at)
            let held = wipedIDs.contains(r.id)
            if marked || held {
                try AccessAudit.revoked(
                    log: log, actor: actor, role: r.role, grant: r.id, runbook: r.runbook, incident: r.incident, accessKeyID: r.accessKeyID,
                    how: held ? "wiped from the agent" : "marked revoked; the agent no longer held it")
                out.append(AccessRevocation(record: r, wiped: held))
            }
        }
        return out
    }
}

extension SessionPolicy {
    /// "session policy from runbook sqs-flush: 329 characters, 2 statements", and which actions were
    /// widened to `*` to fit STS's limit.
    public func summary(runbook: String) -> String {
        var text = "session policy from runbook \(runbook): \(size) characters, \(statements.count) statements"
        if !widened.isEmpty { text += "; widened to \"*\" to fit STS's \(SessionPolicy.stsLimit): \(widened.joined(separator: ", "))" }
        return text
    }
}
