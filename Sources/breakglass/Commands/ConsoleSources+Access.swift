import BreakglassAWS
import BreakglassCore
import BreakglassTUI
import Foundation

// Wiring for the console's access screen (issue 7): the same AccessBroker `breakglass access request`
// and `revoke` use, with the console's own AWS client as the person's credentials.

/// The access screen's source: the configuration's roles and criteria, this user's agent beside the
/// state file, and requests through `AccessBroker`. Without a state file the roles still show, and
/// the screen says why nothing can be requested. A role's MFA device comes from its `mfa_serial`,
/// else from the profile `--profile` named (`wiring.profile`), else the usual profile choice.
func consoleAccessSource(_ wiring: ConsoleWiring) -> AccessSource? {
    let config = wiring.config
    let client = wiring.client
    let region = wiring.regions.first ?? "us-east-1"
    let (env, choice) = config.awsEnvironment(variables: ProcessInfo.processInfo.environment, commandLineProfile: wiring.profile)
    var found: [String: String] = [:]
    for role in config.access.roles where role.mfa {
        found[role.id] = AccessBroker.mfaDevice(role: role, environment: env, profile: choice.name)
    }
    let devices = found
    let socket = AccessAgent.socketPath(forStore: wiring.storePath)
    let agent = AccessAgentClient(socketPath: socket)
    var problem: String?
    if wiring.store == nil {
        if case .unavailable(let reason) = wiring.pages {
            problem = "the state file could not be opened (\(reason))"
        } else {
            problem = "the state file \(wiring.storePath) could not be opened"
        }
    }
    let storeProblem = problem
    let store = wiring.store

    return AccessSource(
        roles: config.access.roles, criteria: config.access.criteria, mfaDevices: devices, problem: storeProblem,
        held: { (try agent.list() ?? []).map(AccessHeld.init) },
        policy: { roleID, runbookID, params in
            guard let role = config.role(roleID) else { throw AccessRequestError("no role \(roleID) under access.roles") }
            let catalog = RunbookDiscovery.current().catalog(config)
            guard let book = catalog.runbook(runbookID) else {
                throw AccessRequestError("no runbook \(runbookID)" + (Suggestion.closest(to: runbookID, in: catalog.runbooks.map(\.id)).map { "; did you mean \($0)?" } ?? ""))
            }
            return try AccessBroker.sessionPolicy(runbook: book, role: role, given: params, config: config, region: region).summary(runbook: runbookID)
        },
        request: { form in
            guard let store else { throw AccessFailure(code: nil, message: storeProblem ?? "no state file", requestID: nil) }
            guard let role = config.role(form.role) else { throw AccessFailure(code: nil, message: "no role \(form.role) under access.roles", requestID: nil) }
            var policy: SessionPolicy?
            if let runbookID = form.runbook {
                guard let book = RunbookDiscovery.current().catalog(config).runbook(runbookID) else {
                    throw AccessFailure(code: nil, message: "no runbook \(runbookID)", requestID: nil)
                }
                policy = try AccessBroker.sessionPolicy(runbook: book, role: role, given: form.params, config: config, region: region)
            }
            var serial: String?
            if role.mfa {
                serial = devices[role.id]
                guard serial != nil else {
                    throw AccessFailure(
                        code: nil,
                        message: "role \(role.id) needs MFA, but no MFA device is configured: set mfa_serial under access.roles.\(role.id) (\(role.location)) or in profile \(choice.name) of ~/.aws/config; nothing was sent",
                        requestID: nil)
                }
            }
            let code = try form.mfaCode.map { (c) throws(AccessRequestError) in try MFACode.validate(c) }
            var actor = AuditActor.current()
            actor.callerARN = await callerARN(client, region: region)
            let request = AccessGrantRequest(
                role: role, durationSeconds: form.durationSeconds, reason: form.reason, runbook: form.runbook, incident: nil, policy: policy,
                mfaSerial: serial, criteria: AccessForm.criteriaConfirmation)
            let outcome: AccessGrantOutcome
            do {
                outcome = try await AccessBroker(store: store).request(request, mfaCode: code, client: client, region: region, actor: actor)
            } catch let refusal as AccessRefusal {
                throw AccessFailure(code: refusal.code, message: refusal.code == nil ? refusal.text : refusal.message, requestID: refusal.requestID)
            }
            let r = outcome.record
            return AccessGranted(
                grant: AccessHeld(grantID: r.id, role: r.role, expires: r.expiresAt, sessionName: r.sessionName, runbook: r.runbook, incident: r.incident),
                accessKeyID: r.accessKeyID ?? "?", durationSeconds: outcome.durationSeconds,
                policySummary: outcome.policy.flatMap { p in r.runbook.map { p.summary(runbook: $0) } }, requestID: outcome.requestID)
        },
        revoke: { roleID in
            guard let store else {
                // Without the state file, the agent can still wipe what it holds.
                return (try agent.revoke(role: roleID) ?? []).map { "wiped grant \($0.id) of \($0.role) from the agent (not recorded: no state file)" }
            }
            return try AccessBroker(store: store).revoke(role: roleID, actor: AuditActor.current()).map(\.summary)
        })
}

extension AccessHeld {
    init(_ summary: AccessGrantSummary) {
        self.init(
            grantID: summary.id, role: summary.role, expires: summary.expiration, sessionName: summary.sessionName, runbook: summary.runbook,
            incident: summary.incident)
    }
}
