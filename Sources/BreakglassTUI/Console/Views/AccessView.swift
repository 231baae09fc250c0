import BreakglassCore
import Foundation

// The access screen (issue 7): pick a role, confirm the criteria, give a reason, a duration and the
// MFA code, read the summary, then Enter asks AWS off the loop. While a grant is held the top bar
// counts down (`AccessViewState.held`), and D revokes after y/N. The agent is asked what it holds
// every few seconds, whatever screen shows, so a grant made by `breakglass access request` in another
// terminal shows too. Drawing is in AccessRender.swift.

/// A grant this user's access agent holds, as the screen and the top bar show it (no secrets).
public struct AccessHeld: Hashable, Sendable {
    public var grantID: Int64
    public var role: String
    public var expires: Date
    public var sessionName: String
    public var runbook: String?
    public var incident: String?

    public init(grantID: Int64, role: String, expires: Date, sessionName: String, runbook: String?, incident: String?) {
        self.grantID = grantID
        self.role = role
        self.expires = expires
        self.sessionName = sessionName
        self.runbook = runbook
        self.incident = incident
    }
}

/// What the person filled in, sent off the loop to be requested. The MFA code lives here (and in
/// the form's field until Enter) only: never in the screen's state afterwards, a log or the trail.
public struct AccessForm: Hashable, Sendable {
    public var role: String
    public var reason: String
    public var durationSeconds: Int
    public var mfaCode: String?
    public var runbook: String?
    public var params: [String: String]

    public init(role: String, reason: String, durationSeconds: Int, mfaCode: String?, runbook: String?, params: [String: String]) {
        self.role = role
        self.reason = reason
        self.durationSeconds = durationSeconds
        self.mfaCode = mfaCode
        self.runbook = runbook
        self.params = params
    }

    /// How the criteria were confirmed, for the audit trail.
    public static let criteriaConfirmation = "confirmed one by one in the console"
}

/// The answer to a request AWS granted.
public struct AccessGranted: Hashable, Sendable {
    public var grant: AccessHeld
    public var accessKeyID: String
    public var durationSeconds: Int
    /// "session policy from runbook sqs-flush: 329 characters, 2 statements"; nil without a runbook.
    public var policySummary: String?
    public var requestID: String?

    public init(grant: AccessHeld, accessKeyID: String, durationSeconds: Int, policySummary: String?, requestID: String?) {
        self.grant = grant
        self.accessKeyID = accessKeyID
        self.durationSeconds = durationSeconds
        self.policySummary = policySummary
        self.requestID = requestID
    }
}

/// Why a request failed: AWS's code, message and request id when AWS answered; else only a message
/// (the network, the agent, the state file).
public struct AccessFailure: Error, Hashable, Sendable {
    public var code: String?
    public var message: String
    public var requestID: String?

    public init(code: String?, message: String, requestID: String?) {
        self.code = code
        self.message = message
        self.requestID = requestID
    }
}

/// The steps of a request, in order; Esc goes back one.
public enum AccessStep: Hashable, Sendable {
    case roles, criteria, reason, duration, mfa, summary, requesting, granted, failed
}

/// The session policy a runbook gives the request.
public enum AccessPolicyStatus: Hashable, Sendable {
    /// No runbook: the session can do whatever the role can.
    case none
    case deriving
    /// The one-line summary (size, statements, what was widened).
    case derived(String)
    case failed(String)
}

/// The access screen's state. Invariants: `selected` indexes `roles` when there are any; the MFA
/// code is only ever in `mfaCode` while the MFA step is being filled in and is emptied when the form
/// is sent or left; at most one agent poll and one request run at a time.
public struct AccessViewState: Sendable {
    /// The roles and criteria are known: the loop applies them before its first tick when an access
    /// source is wired. Until then nothing is polled or requested, and the screen says access is not
    /// available.
    public internal(set) var configured = false
    /// Why requests cannot work (the state file could not be opened); the agent is still polled.
    public internal(set) var problem: String?
    public internal(set) var roles: [AccessRole] = []
    public internal(set) var criteria: [String] = []
    /// The MFA device each role's code is for, when configured (role id → device ARN).
    public internal(set) var mfaDevices: [String: String] = [:]

    public internal(set) var step: AccessStep = .roles
    public internal(set) var selected = 0
    public internal(set) var criterion = 0
    public internal(set) var confirmed: Set<Int> = []
    public internal(set) var reason = ""
    public internal(set) var duration = ""
    /// The MFA code being typed; see the type's invariant.
    var mfaCode = ""
    /// What is wrong with the field or step shown (the answer to Enter).
    public internal(set) var fieldError: String?
    /// The runbook the grant is for (from `openAccess`), its parameters, and its policy.
    public internal(set) var runbook: String?
    public internal(set) var params: [String: String] = [:]
    public internal(set) var policy: AccessPolicyStatus = .none
    /// A role asked for by `openAccess` before the roles were known.
    var pending: String?

    public internal(set) var requestStartedAt: Date?
    public internal(set) var lastGrant: AccessGranted?
    public internal(set) var failure: AccessFailure?

    /// What the agent holds, from the last poll (and the grant just made).
    public internal(set) var heldGrants: [AccessHeld] = []
    public internal(set) var pollInFlight = false
    public internal(set) var nextPollAt = Date.distantPast
    /// The last poll's problem (the agent answered nonsense, the socket is another user's).
    public internal(set) var pollProblem: String?
    /// The role whose revocation waits for y/N.
    public internal(set) var revokePrompt: String?
    public internal(set) var revoking: String?
    /// The answer to the last revocation (or why it failed).
    public internal(set) var notice: ConsoleMessage?

    /// Seconds between polls of the agent.
    public static let pollInterval: TimeInterval = 3
    /// The longest reason kept.
    public static let reasonLimit = 300

    public init() {}

    /// The break-glass grant held now, for the top bar: its role and when it expires (the one that
    /// expires first, when several are held).
    public var held: (role: String, expires: Date)? {
        heldGrants.min { $0.expires < $1.expires }.map { ($0.role, $0.expires) }
    }

    /// The role being requested (or selected in the list).
    public var role: AccessRole? { roles.indices.contains(selected) ? roles[selected] : nil }

    /// The grant held for `role`, if any.
    public func heldGrant(of role: String) -> AccessHeld? { heldGrants.first { $0.role == role } }

    /// How many digits of the MFA code are typed (the code itself stays private to the form).
    public var mfaDigits: Int { mfaCode.count }

    /// The steps of the form for the selected role, in order.
    var formSteps: [AccessStep] {
        var steps: [AccessStep] = []
        if !criteria.isEmpty { steps.append(.criteria) }
        steps += [.reason, .duration]
        if role?.mfa == true { steps.append(.mfa) }
        steps.append(.summary)
        return steps
    }

    /// The role whose grant `D` revokes on the step shown: the granted one, else the selected one.
    var revocable: String? {
        if step == .granted, let g = lastGrant, heldGrant(of: g.grant.role) != nil { return g.grant.role }
        if step == .roles, let role, heldGrant(of: role.id) != nil { return role.id }
        if step != .roles, step != .granted, let role, heldGrant(of: role.id) != nil { return role.id }
        return nil
    }
}

public enum AccessEvent: Hashable, Sendable {
    /// The configuration's roles and criteria, and why requests cannot work (nil: they can).
    case configured(roles: [AccessRole], criteria: [String], mfaDevices: [String: String], problem: String?)
    /// What the agent holds now; empty when no agent runs.
    case heldLoaded([AccessHeld])
    case heldFailed(String)
    case policyDerived(role: String, runbook: String, summary: String)
    case policyFailed(role: String, runbook: String, message: String)
    case granted(AccessGranted)
    case requestFailed(AccessFailure)
    /// The grant of `role` was revoked; one sentence per grant ended (none: nothing was held).
    case revoked(role: String, lines: [String])
    case revokeFailed(role: String, message: String)
}

public enum AccessEffect: Hashable, Sendable {
    /// Ask the agent what it holds (a Unix socket, off the loop).
    case pollHeld
    case derivePolicy(role: String, runbook: String, params: [String: String])
    /// Ask AWS for the grant (Task.detached).
    case request(AccessForm)
    case revoke(role: String)
}

/// Where the access screen asks for, shows and revokes grants. The closures block (socket, disk)
/// or wait on the network: the loop calls them off its thread. Errors are shown as
/// `String(describing:)`, sanitised; `request` throws `AccessFailure` for a refusal.
public struct AccessSource: Sendable {
    public var roles: [AccessRole]
    public var criteria: [String]
    public var mfaDevices: [String: String]
    /// Why requests cannot work; nil when they can.
    public var problem: String?
    /// What this user's agent holds; empty when no agent runs.
    public var held: @Sendable () throws -> [AccessHeld]
    /// The session policy for running `runbook` under `role`, as one line.
    public var policy: @Sendable (_ role: String, _ runbook: String, _ params: [String: String]) async throws -> String
    public var request: @Sendable (AccessForm) async throws -> AccessGranted
    /// Revokes this user's grant of `role`; one sentence per grant ended.
    public var revoke: @Sendable (_ role: String) throws -> [String]

    public init(
        roles: [AccessRole], criteria: [String], mfaDevices: [String: String] = [:], problem: String? = nil,
        held: @escaping @Sendable () throws -> [AccessHeld],
        policy: @escaping @Sendable (_ role: String, _ runbook: String, _ params: [String: String]) async throws -> String,
        request: @escaping @Sendable (AccessForm) async throws -> AccessGranted,
        revoke: @escaping @Sendable (_ role: String) throws -> [String]
    ) {
        self.roles = roles
        self.criteria = criteria
        self.mfaDevices = mfaDevices
        self.problem = problem
        self.held = held
        self.policy = policy
        self.request = request
        self.revoke = revoke
    }
}

extension ConsoleState {
    /// Opens the access screen to request `role` (nil: let the person pick), with the session
    /// policy derived from `runbook` and its `params` when given: the runbook screen calls this when
    /// a runbook needs a role no grant covers.
    mutating func openAccess(role: String?, runbook: String?, params: [String: String], now: Date) -> [ConsoleEffect] {
        show(.access)
        access.runbook = runbook
        access.params = runbook == nil ? [:] : params
        access.revokePrompt = nil
        access.notice = nil
        guard access.configured else {
            access.pending = role
            return []
        }
        return accessChoose(role, now: now)
    }

    /// Starts the form on `role` (nil: the role list).
    private mutating func accessChoose(_ role: String?, now: Date) -> [ConsoleEffect] {
        guard let role else {
            access.step = .roles
            return []
        }
        guard let index = access.roles.firstIndex(where: { $0.id == role }) else {
            access.step = .roles
            access.notice = ConsoleMessage("no role \(role) under access.roles in the configuration; pick one below or add it (docs/ACCESS.md)", isError: true)
            return []
        }
        access.selected = index
        return accessStartForm(now: now)
    }

    private mutating func accessStartForm(now: Date) -> [ConsoleEffect] {
        guard let role = access.role else { return [] }
        if let problem = access.problem {
            access.notice = ConsoleMessage("break-glass access is off: \(problem)", isError: true)
            return []
        }
        access.confirmed = []
        access.criterion = 0
        access.reason = ""
        access.duration = DurationSyntax.format(role.maxDuration)
        access.mfaCode = ""
        access.fieldError = nil
        access.failure = nil
        access.notice = nil
        access.step = access.formSteps[0]
        guard let runbook = access.runbook else {
            access.policy = .none
            return []
        }
        access.policy = .deriving
        return [.access(.derivePolicy(role: role.id, runbook: runbook, params: access.params))]
    }

    /// Moves to the form's next step after `step`.
    private mutating func accessAdvance() {
        let steps = access.formSteps
        access.fieldError = nil
        guard let i = steps.firstIndex(of: access.step), i + 1 < steps.count else { return }
        access.step = steps[i + 1]
    }

    // MARK: Keys

    mutating func accessKey(_ key: Key, now: Date) -> [ConsoleEffect]? {
        if let role = access.revokePrompt {
            access.revokePrompt = nil
            if key == .char("y") || key == .char("Y") {
                access.revoking = role
                access.notice = ConsoleMessage("revoking \(role)…")
                return [.access(.revoke(role: role))]
            }
            access.notice = ConsoleMessage("not revoked: \(role) is still held")
            return []
        }
        switch access.step {
        case .criteria:
            switch key {
            case .char("y"): accessConfirm(true)
            case .char(" "): accessConfirm(!access.confirmed.contains(access.criterion))
            case .char("n"): accessConfirm(false)
            default: return nil
            }
            return []
        case .reason:
            return accessEdit(key, \.reason, limit: AccessViewState.reasonLimit) { c in
                c.unicodeScalars.allSatisfy { $0.value >= 0x20 && !(0x7F...0x9F).contains($0.value) }
            }
        case .duration:
            return accessEdit(key, \.duration, limit: 8) { $0.isASCII && ($0.isNumber || $0.isLetter) }
        case .mfa:
            return accessEdit(key, \.mfaCode, limit: 6) { $0.isASCII && $0.isNumber }
        default:
            return nil
        }
    }

    /// Confirms (or clears) the criterion under the cursor; a confirmation moves to the next one.
    private mutating func accessConfirm(_ yes: Bool) {
        access.fieldError = nil
        if yes {
            access.confirmed.insert(access.criterion)
            if access.criterion + 1 < access.criteria.count { access.criterion += 1 }
        } else {
            access.confirmed.remove(access.criterion)
        }
    }

    /// A key in a text field: printable characters `accepts` lets in (others are taken and
    /// ignored, so nothing typed into a field quits or switches screens), Backspace, Ctrl-U to clear,
    /// Enter to go on. Esc and the rest go to the keymap.
    private mutating func accessEdit(
        _ key: Key, _ field: WritableKeyPath<AccessViewState, String>, limit: Int, accepts: (Character) -> Bool
    ) -> [ConsoleEffect]? {
        switch key {
        case .char(let c):
            access.fieldError = nil
            if accepts(c), access[keyPath: field].count < limit { access[keyPath: field].append(c) }
            return []
        case .backspace, .delete:
            access.fieldError = nil
            if !access[keyPath: field].isEmpty { access[keyPath: field].removeLast() }
            return []
        case .ctrl("u"):
            access[keyPath: field] = ""
            return []
        case .enter:
            accessSubmitField()
            return []
        default:
            return nil
        }
    }

    /// Enter on a text field: checks it, then the next step.
    private mutating func accessSubmitField() {
        switch access.step {
        case .reason:
            access.reason = access.reason.trimmingCharacters(in: .whitespaces)
            guard !access.reason.isEmpty else {
                access.fieldError = "say why you need access: the reason goes into the audit trail"
                return
            }
            accessAdvance()
        case .duration:
            guard let role = access.role else { return }
            do {
                _ = try AccessDuration.seconds(requested: access.duration, role: role)
                accessAdvance()
            } catch {
                access.fieldError = error.message.replacingOccurrences(of: "--duration ", with: "duration ")
            }
        case .mfa:
            guard access.mfaCode.count == 6 else {
                access.fieldError = "the MFA code is the six digits your device shows"
                return
            }
            accessAdvance()
        default:
            break
        }
    }

    mutating func accessPerform(_ action: ConsoleAction, now: Date) -> [ConsoleEffect]? {
        switch action {
        case .moveDown, .moveUp, .top, .bottom, .pageDown, .pageUp:
            accessMove(action)
            return []
        case .select, .run:
            return accessEnter(action, now: now)
        case .revoke:
            guard let role = access.revocable ?? (access.heldGrants.count == 1 ? access.heldGrants[0].role : nil) else {
                access.notice = ConsoleMessage(
                    access.heldGrants.isEmpty ? "no break-glass grant is held" : "select the role whose grant to revoke", isError: true)
                return []
            }
            guard access.revoking == nil else { return [] }
            access.revokePrompt = role
            access.notice = nil
            return []
        case .refresh:
            return accessPoll(now: now, force: true)
        default:
            return nil
        }
    }

    private mutating func accessMove(_ action: ConsoleAction) {
        func moved(_ i: Int, count: Int) -> Int {
            guard count > 0 else { return 0 }
            switch action {
            case .moveDown: return min(count - 1, i + 1)
            case .moveUp: return max(0, i - 1)
            case .top, .pageUp: return 0
            default: return count - 1
            }
        }
        switch access.step {
        case .roles: access.selected = moved(access.selected, count: access.roles.count)
        case .criteria: access.criterion = moved(access.criterion, count: access.criteria.count)
        default: break
        }
    }

    /// Enter (or `n`, request): goes on from the step shown.
    private mutating func accessEnter(_ action: ConsoleAction, now: Date) -> [ConsoleEffect] {
        switch access.step {
        case .roles:
            guard access.role != nil else { return [] }
            return accessStartForm(now: now)
        case .criteria:
            let left = access.criteria.count - access.confirmed.count
            guard left == 0 else {
                access.fieldError = "confirm every criterion first (y or Space): \(left) not confirmed; if one does not hold, this is not a break-glass case"
                return []
            }
            accessAdvance()
            return []
        case .reason, .duration, .mfa:
            accessSubmitField()
            return []
        case .summary:
            return accessSend(now: now)
        case .failed:
            // Again, with a new MFA code (the last one was used or wrong).
            access.failure = nil
            access.step = access.role?.mfa == true ? .mfa : .summary
            return []
        case .granted:
            access.step = .roles
            return []
        case .requesting:
            return []
        }
    }

    /// Sends the form off the loop; the MFA code leaves the state here.
    private mutating func accessSend(now: Date) -> [ConsoleEffect] {
        guard let role = access.role else { return [] }
        switch access.policy {
        case .deriving:
            access.fieldError = "the session policy is still being derived from runbook \(access.runbook ?? "?"); a moment"
            return []
        case .failed:
            access.fieldError = "no session policy for runbook \(access.runbook ?? "?") (above): nothing can be requested for it"
            return []
        case .none, .derived: break
        }
        guard let seconds = try? AccessDuration.seconds(requested: access.duration, role: role) else {
            access.step = .duration
            return []
        }
        let form = AccessForm(
            role: role.id, reason: access.reason, durationSeconds: seconds, mfaCode: role.mfa ? access.mfaCode : nil, runbook: access.runbook,
            params: access.params)
        access.mfaCode = ""
        access.fieldError = nil
        access.step = .requesting
        access.requestStartedAt = now
        return [.access(.request(form))]
    }

    // MARK: Events

    mutating func accessReduce(_ event: AccessEvent, now: Date) -> [ConsoleEffect] {
        switch event {
        case .configured(let roles, let criteria, let devices, let problem):
            access.configured = true
            access.roles = roles
            access.criteria = criteria
            access.mfaDevices = devices
            access.problem = problem
            access.selected = min(access.selected, max(0, roles.count - 1))
            if let pending = access.pending {
                access.pending = nil
                return accessChoose(pending, now: now)
            }
            return []
        case .heldLoaded(let grants):
            access.pollInFlight = false
            access.pollProblem = nil
            access.heldGrants = grants.sorted { $0.expires < $1.expires }
            access.nextPollAt = now.addingTimeInterval(AccessViewState.pollInterval)
            return []
        case .heldFailed(let message):
            access.pollInFlight = false
            access.pollProblem = message
            access.nextPollAt = now.addingTimeInterval(AccessViewState.pollInterval)
            return []
        case .policyDerived(let role, let runbook, let summary):
            if access.role?.id == role, access.runbook == runbook { access.policy = .derived(summary) }
            return []
        case .policyFailed(let role, let runbook, let message):
            if access.role?.id == role, access.runbook == runbook { access.policy = .failed(message) }
            return []
        case .granted(let granted):
            access.lastGrant = granted
            access.heldGrants.removeAll { $0.role == granted.grant.role }
            access.heldGrants.append(granted.grant)
            access.heldGrants.sort { $0.expires < $1.expires }
            access.requestStartedAt = nil
            access.runbook = nil
            access.params = [:]
            access.policy = .none
            access.step = .granted
            return []
        case .requestFailed(let failure):
            access.failure = failure
            access.requestStartedAt = nil
            access.step = .failed
            return []
        case .revoked(let role, let lines):
            access.revoking = nil
            access.heldGrants.removeAll { $0.role == role }
            access.notice = ConsoleMessage(lines.isEmpty ? "no grant of \(role) was held; nothing to revoke" : lines.joined(separator: "; "))
            if access.step == .granted, access.lastGrant?.grant.role == role { access.step = .roles }
            return []
        case .revokeFailed(let role, let message):
            access.revoking = nil
            access.notice = ConsoleMessage("could not revoke \(role): \(message)", isError: true)
            return []
        }
    }

    /// Polls the agent every few seconds, whatever screen shows, once access is configured.
    mutating func accessTick(now: Date) -> [ConsoleEffect] {
        accessPoll(now: now, force: false)
    }

    private mutating func accessPoll(now: Date, force: Bool) -> [ConsoleEffect] {
        guard access.configured, !access.pollInFlight, force || now >= access.nextPollAt else { return [] }
        access.pollInFlight = true
        return [.access(.pollHeld)]
    }

    /// Esc: the revoke prompt, then one step of the form back; false on the role list.
    mutating func accessBack() -> Bool {
        if let role = access.revokePrompt {
            access.revokePrompt = nil
            access.notice = ConsoleMessage("not revoked: \(role) is still held")
            return true
        }
        access.fieldError = nil
        switch access.step {
        case .roles, .requesting:
            return false
        case .granted:
            access.step = .roles
        case .failed:
            access.failure = nil
            access.step = access.role?.mfa == true ? .mfa : .summary
        case .criteria, .reason, .duration, .mfa, .summary:
            let steps = access.formSteps
            if access.step == .mfa { access.mfaCode = "" }
            if let i = steps.firstIndex(of: access.step), i > 0 {
                access.step = steps[i - 1]
            } else {
                access.step = .roles
            }
            if access.step == .roles { access.mfaCode = "" }
        }
        return true
    }

    var accessAvailable: Set<ConsoleAction> {
        var actions: Set<ConsoleAction> = []
        if access.revocable != nil || access.heldGrants.count == 1 { actions.insert(.revoke) }
        switch access.step {
        case .roles:
            if access.role != nil { actions.insert(.select) }
        case .summary:
            actions.formUnion([.run, .back])
        case .requesting: break
        default:
            actions.insert(.back)
        }
        if access.revokePrompt != nil { actions.insert(.back) }
        return actions
    }
}

/// The agent's socket is asked here, one call at a time, so a slow agent never holds up the disk
/// queue's page polls.
private let accessAgentQueue = DispatchQueue(label: "breakglass.console.access")

extension ConsoleLoop {
    /// The access screen's configuration, applied in the loop's first step before its first tick, so
    /// the agent is polled from the start; none when no access source is wired.
    func accessStartEvents() -> [ConsoleEvent] {
        guard let source = dependencies.access else { return [] }
        return [.access(.configured(roles: source.roles, criteria: source.criteria, mfaDevices: source.mfaDevices, problem: source.problem))]
    }

    func perform(_ effect: AccessEffect) {
        let inbox = self.inbox
        guard let source = dependencies.access else { return }
        switch effect {
        case .pollHeld:
            accessAgentQueue.async {
                do {
                    inbox.push(.access(.heldLoaded(try source.held())))
                } catch {
                    inbox.push(.access(.heldFailed(String(describing: error))))
                }
            }
        case .derivePolicy(let role, let runbook, let params):
            Task.detached {
                do {
                    inbox.push(.access(.policyDerived(role: role, runbook: runbook, summary: try await source.policy(role, runbook, params))))
                } catch {
                    inbox.push(.access(.policyFailed(role: role, runbook: runbook, message: String(describing: error))))
                }
            }
        case .request(let form):
            Task.detached {
                do {
                    inbox.push(.access(.granted(try await source.request(form))))
                } catch let failure as AccessFailure {
                    inbox.push(.access(.requestFailed(failure)))
                } catch {
                    inbox.push(.access(.requestFailed(AccessFailure(code: nil, message: String(describing: error), requestID: nil))))
                }
            }
        case .revoke(let role):
            accessAgentQueue.async {
                do {
                    inbox.push(.access(.revoked(role: role, lines: try source.revoke(role))))
                } catch {
                    inbox.push(.access(.revokeFailed(role: role, message: String(describing: error))))
                }
            }
        }
    }
}
