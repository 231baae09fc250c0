import Foundation

/// The configuration file, `breakglass.yaml` (docs/CONFIG.md describes every key). Built by
/// `ConfigLoader`; every section is optional, and a missing file is the same as an empty one
/// (`BreakglassConfig()`).
///
/// Things later code must report about (contacts, plans, stages, rules, roles, keys) keep where
/// they were written, so errors found later still name `file:line:column`.
public struct BreakglassConfig: Sendable, Hashable {
    /// The file it was read from; nil for the empty default.
    public var file: String?
    public var aws = AWSSettings()
    /// In the order written.
    public var contacts: [Contact] = []
    /// Escalation plans, in the order written.
    public var escalation: [EscalationPlan] = []
    /// Rules that decide which alarms open incidents, first match wins.
    public var response: [ResponseRule] = []
    public var access = AccessSettings()
    public var audit = AuditSettings()
    /// Extra runbook folders, as written (relative ones are relative to the config file's folder;
    /// see `runbookFolders(home:)`).
    public var runbooks: [Located<String>] = []
    public var console = ConsoleSettings()
    public var drills = DrillSettings()

    public init(file: String? = nil) { self.file = file }

    /// The top-level keys the loader accepts, in the order docs/CONFIG.md describes them. The JSON
    /// schema's top-level properties are tested against this list.
    public static let topLevelKeys = ["aws", "contacts", "escalation", "response", "access", "audit", "runbooks", "console", "drills"]

    public func contact(_ id: String) -> Contact? { contacts.first { $0.id == id } }
    public func plan(_ id: String) -> EscalationPlan? { escalation.first { $0.id == id } }
    public func role(_ id: String) -> AccessRole? { access.roles.first { $0.id == id } }

    /// The runbook folders the config lists, as absolute paths: `~/` is the home folder, and a
    /// relative path is relative to the folder holding the config file (the current folder for the
    /// empty default).
    public func runbookFolders(home: String, currentDirectory: String) -> [String] {
        let base = file.map { ConfigLocator.absolute($0, in: currentDirectory) }
            .map { ($0 as NSString).deletingLastPathComponent } ?? currentDirectory
        return runbooks.map { folder in
            let path = folder.value
            if path == "~" { return home }
            if path.hasPrefix("~/") { return home + path.dropFirst(1) }
            return ConfigLocator.absolute(path, in: base)
        }
    }
}

// MARK: - aws

public struct AWSSettings: Sendable, Hashable {
    /// The shared-config profile to use. It acts like `--profile`: it outranks AWS_PROFILE and
    /// switches off AWS_ACCESS_KEY_ID (a `--profile` on the command line outranks it in turn).
    public var profile: String?
    /// Regions to watch; empty means the usual resolution (AWS_REGION, the profile's region).
    public var regions: [String] = []

    public init(profile: String? = nil, regions: [String] = []) {
        self.profile = profile
        self.regions = regions
    }
}

// MARK: - contacts

public struct Contact: Sendable, Hashable {
    public var id: String
    /// What pages and screens call this person; the id when the file gives none.
    public var name: String
    public var audience: Audience
    /// How to reach them, in the order written. May be empty: every console on the host still shows
    /// and beeps the page.
    public var channels: [ContactChannel]
    /// Where the contact's id is written.
    public var location: SourceLocation

    public init(id: String, name: String, audience: Audience = .primary, channels: [ContactChannel], location: SourceLocation) {
        self.id = id
        self.name = name
        self.audience = audience
        self.channels = channels
        self.location = location
    }

    /// `backup` contacts get the guided console (one plain-language step per screen).
    public enum Audience: String, Sendable, Hashable, CaseIterable {
        case primary, backup
    }
}

/// One way to reach a contact. Secrets (routing keys, webhook URLs, signing secrets) are never in the
/// file: only the names of the environment variables that hold them.
public enum ContactChannel: Sendable, Hashable {
    /// An SNS topic (which may fan out to email, SMS and apps).
    case sns(topicARN: String)
    /// A text message to an E.164 number, sent through SNS.
    case sms(phone: String)
    /// PagerDuty Events API v2; the routing key is in this environment variable.
    case pagerDuty(routingKeyEnv: String)
    /// A Slack incoming webhook; its URL (which is the secret) is in this environment variable.
    case slack(webhookURLEnv: String)
    /// A generic HTTPS webhook, signed with the secret in `secretEnv` when given.
    case webhook(url: String, secretEnv: String?)

    /// The config key that writes this channel.
    public var key: String {
        switch self {
        case .sns: "sns"
        case .sms: "sms"
        case .pagerDuty: "pagerduty"
        case .slack: "slack"
        case .webhook: "webhook"
        }
    }

    /// Environment variables this channel needs at run time.
    public var environmentVariables: [String] {
        switch self {
        case .sns, .sms: []
        case .pagerDuty(let v): [v]
        case .slack(let v): [v]
        case .webhook(_, let v): v.map { [$0] } ?? []
        }
    }
}

// MARK: - escalation

public struct EscalationPlan: Sendable, Hashable {
    public var id: String
    public var stages: [EscalationStage]
    /// How many more times the whole list of stages runs after the first pass (0: once).
    public var repeatCount: Int
    /// An acknowledged but unresolved incident alerts again after this long; nil: never.
    public var reackAfter: Duration?
    /// Where the plan's id is written.
    public var location: SourceLocation

    public init(id: String, stages: [EscalationStage], repeatCount: Int = 0, reackAfter: Duration? = nil, location: SourceLocation) {
        self.id = id
        self.stages = stages
        self.repeatCount = repeatCount
        self.reackAfter = reackAfter
        self.location = location
    }
}

public struct EscalationStage: Sendable, Hashable {
    /// Contact ids, each where it is written.
    public var notify: [Located<String>]
    /// How long to wait for an acknowledgement before the next stage.
    public var wait: Duration
    /// When set, the stage applies only inside the window; outside it the stage is skipped.
    public var window: TimeWindow?
    /// Where the stage starts.
    public var location: SourceLocation

    public init(notify: [Located<String>], wait: Duration, window: TimeWindow? = nil, location: SourceLocation) {
        self.notify = notify
        self.wait = wait
        self.window = window
        self.location = location
    }
}

// MARK: - response

public struct ResponseRule: Sendable, Hashable {
    public var match: AlarmMatch
    /// 1 (most severe) to 5.
    public var severity: Int
    /// The escalation plan's id, where it is written.
    public var escalation: Located<String>
    /// Runbook ids suggested for incidents this rule opens (checked when runbooks are loaded).
    public var runbooks: [Located<String>]
    /// Resolve the incident by itself when the alarm returns to OK.
    public var autoResolve: Bool
    /// Where the rule starts.
    public var location: SourceLocation

    public init(match: AlarmMatch, severity: Int, escalation: Located<String>, runbooks: [Located<String>] = [], autoResolve: Bool = false, location: SourceLocation) {
        self.match = match
        self.severity = severity
        self.escalation = escalation
        self.runbooks = runbooks
        self.autoResolve = autoResolve
        self.location = location
    }
}

/// Which alarms a response rule covers: a name pattern where `*` matches any run of characters and
/// `?` any one character (everything else is literal), and optionally one region.
public struct AlarmMatch: Sendable, Hashable {
    public var alarm: String
    public var region: String?

    public init(alarm: String, region: String? = nil) {
        self.alarm = alarm
        self.region = region
    }

    public func matches(alarmName: String, region alarmRegion: String) -> Bool {
        if let region, region != alarmRegion { return false }
        return Self.glob(Array(alarm), Array(alarmName))
    }

    /// `*` and `?` matching, iterative with backtracking to the last `*` (linear for one `*`).
    static func glob(_ pattern: [Character], _ text: [Character]) -> Bool {
        var p = 0, t = 0
        var star = -1, mark = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == "?" || (pattern[p] != "*" && pattern[p] == text[t]) {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == "*" {
                star = p
                mark = t
                p += 1
            } else if star >= 0 {
                p = star + 1
                mark += 1
                t = mark
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}

// MARK: - access

public struct AccessSettings: Sendable, Hashable {
    /// The checklist shown before any break-glass role is assumed.
    public var criteria: [String] = []
    /// In the order written.
    public var roles: [AccessRole] = []

    public init(criteria: [String] = [], roles: [AccessRole] = []) {
        self.criteria = criteria
        self.roles = roles
    }
}

public struct AccessRole: Sendable, Hashable {
    public var id: String
    public var arn: String
    /// Whether assuming the role needs an MFA code (default true).
    public var mfa: Bool
    /// The longest session to ask for, 15m (STS's minimum) to 12h (its maximum).
    public var maxDuration: Duration
    /// The MFA device; when absent, the profile's `mfa_serial` is used.
    public var mfaSerial: String?
    /// Where the role's id is written.
    public var location: SourceLocation

    public init(id: String, arn: String, mfa: Bool = true, maxDuration: Duration = AccessRole.defaultMaxDuration, mfaSerial: String? = nil, location: SourceLocation) {
        self.id = id
        self.arn = arn
        self.mfa = mfa
        self.maxDuration = maxDuration
        self.mfaSerial = mfaSerial
        self.location = location
    }

    public static let defaultMaxDuration: Duration = .seconds(15 * 60)
    /// STS AssumeRole's DurationSeconds range.
    public static let durationRange: ClosedRange<Duration> = .seconds(15 * 60) ... .seconds(12 * 3600)
}

// MARK: - audit

public struct AuditSettings: Sendable, Hashable {
    /// Ship audit entries to CloudWatch Logs as well; nil: local only.
    public var cloudwatchLogs: CloudWatchLogsAudit?

    public init(cloudwatchLogs: CloudWatchLogsAudit? = nil) { self.cloudwatchLogs = cloudwatchLogs }
}

public struct CloudWatchLogsAudit: Sendable, Hashable {
    public var group: String
    /// Default: decided by the shipper (host and user).
    public var stream: String?
    /// Default: the first of aws.regions, else the usual region resolution.
    public var region: String?
    /// Also ship the head of the hash chain this often, so a rewritten local trail no longer
    /// matches the remote copy; nil: only with each entry.
    public var shipHeadEvery: Duration?
    public var location: SourceLocation

    public init(group: String, stream: String? = nil, region: String? = nil, shipHeadEvery: Duration? = nil, location: SourceLocation) {
        self.group = group
        self.stream = stream
        self.region = region
        self.shipHeadEvery = shipHeadEvery
        self.location = location
    }
}

// MARK: - console

/// `drills`: where a drill may break things other than the local sandbox.
public struct DrillSettings: Sendable, Hashable {
    /// `drills.staging`: the staging account `drill start --staging` breaks on purpose.
    public var staging: StagingAccount?

    public init(staging: StagingAccount? = nil) { self.staging = staging }
}

/// A staging account named in the config for drills. Its faults are real AWS calls there, so
/// `drill start --staging` confirms the account first (typed), and refuses when the profile answers
/// for another account than `account`.
public struct StagingAccount: Sendable, Hashable {
    /// The shared-config profile whose credentials (and `endpoint_url`, if any) reach the account.
    public var profile: Located<String>
    /// The 12-digit account id the profile must resolve to; nil: whatever it resolves to, confirmed by typing it.
    public var account: String?
    /// The region the scenario's resources are in there; nil: the scenario's region.
    public var region: String?
    /// The IAM user in that account whose normal access `--deny-normal-access` takes away for the drill.
    public var denyUser: String?

    public init(profile: Located<String>, account: String? = nil, region: String? = nil, denyUser: String? = nil) {
        self.profile = profile
        self.account = account
        self.region = region
        self.denyUser = denyUser
    }
}

public struct ConsoleSettings: Sendable, Hashable {
    /// A theme name (built in, or a file in themes/); checked by the console.
    public var theme: Located<String>?
    /// Start in guided mode (one plain-language step per screen).
    public var guided: Bool = false
    /// Key bindings in the order written; names are checked by the console.
    public var keys: [KeyBinding] = []
    /// Whether to use colour (`NO_COLOR` is obeyed under `auto`).
    public var color: ConsoleColor = .auto

    public init(theme: Located<String>? = nil, guided: Bool = false, keys: [KeyBinding] = [], color: ConsoleColor = .auto) {
        self.theme = theme
        self.guided = guided
        self.keys = keys
        self.color = color
    }
}

/// `console.color`: `auto` follows the terminal and `NO_COLOR`, `never` is monochrome, `always`
/// ignores `NO_COLOR` (a terminal without colours still gets none).
public enum ConsoleColor: String, Sendable, Hashable, CaseIterable {
    case auto, never, always
}

/// `action: key` or `action: [key, key]`, each where it is written.
public struct KeyBinding: Sendable, Hashable {
    public var action: Located<String>
    public var keys: [Located<String>]

    public init(action: Located<String>, keys: [Located<String>]) {
        self.action = action
        self.keys = keys
    }
}
