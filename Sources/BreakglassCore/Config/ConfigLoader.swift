import Foundation

/// Reads `breakglass.yaml` into a `BreakglassConfig`, or throws every problem it finds (unknown keys,
/// wrong types, bad durations, inline secrets, references to contacts or plans that do not exist),
/// each naming the file, line, column and field.
///
/// An empty file (or one with only comments) is a valid, empty configuration.
public enum ConfigLoader {
    /// Reads the file at `path`; errors name it `displayPath` (default: `path`).
    public static func load(path: String, displayPath: String? = nil) throws(SourceErrors) -> BreakglassConfig {
        let document = try YAMLDocument.read(path: path, displayPath: displayPath)
        var config = try read(document)
        config.file = path
        return config
    }

    /// Reads configuration text; `file` names it in errors and becomes `BreakglassConfig.file`.
    public static func parse(_ text: String, file: String) throws(SourceErrors) -> BreakglassConfig {
        try read(try YAMLDocument.parse(text, file: file))
    }

    static func read(_ document: YAMLDocument) throws(SourceErrors) -> BreakglassConfig {
        var reader = Reader(config: BreakglassConfig(file: document.file))
        if let root = document.root {
            reader.readTop(root)
            reader.checkReferences()
        }
        try document.finish()
        return reader.config
    }

    /// Keys that do not exist but are easy to reach for, with what to write instead.
    static let topLevelHints = [
        "profile": "it belongs under `aws:` (aws.profile)",
        "regions": "it belongs under `aws:` (aws.regions)",
        "roles": "roles are listed under `access:` (access.roles)",
        "criteria": "it belongs under `access:` (access.criteria)",
        "theme": "it belongs under `console:` (console.theme)",
        "keys": "it belongs under `console:` (console.keys)",
        "guided": "it belongs under `console:` (console.guided)",
        "color": "it belongs under `console:` (console.color)",
    ]

    static let contactKeys = ["name", "audience", "sns", "sms", "pagerduty", "slack", "webhook"]
    static let contactHints = [
        "email": "there is no email channel; subscribe the address to an SNS topic and name the topic with `sns:`",
    ]

    static func secretHint(_ envKey: String, _ what: String) -> String {
        "secrets are never written in the config file; put the \(what) in an environment variable and name the variable with `\(envKey)`"
    }

    private struct Reader {
        var config: BreakglassConfig
        /// Ids that must name a contact or a plan, checked once every section is read.
        var contactReferences: [(YAMLValue, String)] = []
        var planReferences: [(YAMLValue, String)] = []
        var matchRegions: [(YAMLValue, String)] = []
        /// Sections whose key was misspelled: references into them are not reported again.
        var misspelled = Set<String>()

        mutating func readTop(_ root: YAMLValue) {
            guard let top = root.mapping(allowed: BreakglassConfig.topLevelKeys, hints: ConfigLoader.topLevelHints,
                                         what: "a mapping of sections (aws, contacts, escalation, ...)")
            else { return }
            misspelled = Set(["contacts", "escalation", "aws"].filter { top.reportedAsMisspelled($0) })
            if let v = top["aws"] { readAWS(v) }
            if let v = top["contacts"] { readContacts(v) }
            if let v = top["escalation"] { readEscalation(v) }
            if let v = top["response"] { readResponse(v) }
            if let v = top["access"] { readAccess(v) }
            if let v = top["audit"] { readAudit(v) }
            if let v = top["runbooks"] {
                config.runbooks = v.oneOrMany(what: "a folder or a list of folders")?.compactMap { f in f.string().map { f.located($0) } } ?? []
            }
            if let v = top["console"] { readConsole(v) }
            if let v = top["drills"] { readDrills(v) }
        }

        // MARK: aws

        mutating func readAWS(_ v: YAMLValue) {
            guard let m = v.mapping(allowed: ["profile", "regions"]) else { return }
            config.aws.profile = m["profile"]?.string()
            if let r = m["regions"], let items = r.oneOrMany(what: "a region or a list of regions") {
                if items.isEmpty { r.error("list at least one region, or leave `regions` out") }
                var seen = Set<String>()
                for item in items {
                    guard let region = region(item) else { continue }
                    if !seen.insert(region).inserted {
                        item.error("region \(region) is listed twice")
                        continue
                    }
                    config.aws.regions.append(region)
                }
            }
        }

        func region(_ v: YAMLValue) -> String? {
            guard let s = v.string() else { return nil }
            guard ConfigValues.isRegion(s) else {
                v.expected("an AWS region such as us-east-1")
                return nil
            }
            return s
        }

        // MARK: contacts

        mutating func readContacts(_ v: YAMLValue) {
            guard let entries = v.entries(what: "a mapping of contact ids to contacts") else { return }
            for entry in entries {
                checkIdentifier(entry, kind: "contact")
                guard let m = entry.value.mapping(allowed: ConfigLoader.contactKeys, hints: ConfigLoader.contactHints,
                                                  what: "a contact: a mapping with name and channels such as sns, sms, pagerduty")
                else { continue }
                var channels: [ContactChannel] = []
                for key in m.keys {
                    guard let value = m[key] else { continue }
                    switch key {
                    case "sns":
                        if let s = value.string() {
                            if ConfigValues.isSNSTopicARN(s) { channels.append(.sns(topicARN: s)) } else {
                                value.expected("an SNS topic ARN like arn:aws:sns:us-east-1:111122223333:oncall")
                            }
                        }
                    case "sms":
                        if let s = value.string() {
                            if ConfigValues.isE164(s) { channels.append(.sms(phone: s)) } else {
                                value.expected("a phone number in E.164 form like \"+15555550100\" (a +, the country code, no spaces)")
                            }
                        }
                    case "pagerduty":
                        let hint = ConfigLoader.secretHint("routing_key_env", "routing key")
                        if let c = secretBearing(value, allowed: ["routing_key_env"], hints: ["routing_key": hint, "integration_key": hint, "service_key": hint, "key": hint]),
                           let env = environmentName(c, "routing_key_env") {
                            channels.append(.pagerDuty(routingKeyEnv: env))
                        }
                    case "slack":
                        let hint = ConfigLoader.secretHint("webhook_url_env", "webhook URL (it is the secret)")
                        if let c = secretBearing(value, allowed: ["webhook_url_env"], hints: ["webhook_url": hint, "url": hint, "webhook": hint, "token": hint]),
                           let env = environmentName(c, "webhook_url_env") {
                            channels.append(.slack(webhookURLEnv: env))
                        }
                    case "webhook":
                        let hint = ConfigLoader.secretHint("secret_env", "signing secret")
                        if let c = secretBearing(value, allowed: ["url", "secret_env"], hints: ["secret": hint, "token": hint, "password": hint, "signing_secret": hint, "key": hint]),
                           let urlValue = c.required("url"), let url = urlValue.string() {
                            if !ConfigValues.isWebhookURL(url) {
                                urlValue.expected("an https:// URL (http:// only to 127.0.0.1 or localhost)")
                            } else if c.has("secret_env") {
                                if let env = environmentName(c, "secret_env") { channels.append(.webhook(url: url, secretEnv: env)) }
                            } else {
                                channels.append(.webhook(url: url, secretEnv: nil))
                            }
                        }
                    default:
                        break
                    }
                }
                let name = m["name"]?.string() ?? entry.key
                let audience = m["audience"]?.oneOf(Contact.Audience.allCases.map(\.rawValue)).flatMap(Contact.Audience.init(rawValue:)) ?? .primary
                config.contacts.append(Contact(id: entry.key, name: name, audience: audience, channels: channels, location: entry.keyLocation))
            }
        }

        /// A channel mapping that refers to a secret: a bare string in its place is refused without
        /// showing it, since it is most likely the secret itself.
        func secretBearing(_ v: YAMLValue, allowed: [String], hints: [String: String]) -> YAMLMapping? {
            if v.isScalar {
                v.error("expected a mapping such as { \(allowed[0]): NAME }, found \(v.foundWithoutText); secrets are never written in the config file, only the name of the environment variable that holds them")
                return nil
            }
            return v.mapping(allowed: allowed, hints: hints)
        }

        /// The name of an environment variable; a value that cannot be one is not shown (it is
        /// probably the secret).
        func environmentName(_ m: YAMLMapping, _ key: String) -> String? {
            guard let v = m.required(key), let s = v.string() else { return nil }
            guard ConfigValues.isEnvironmentVariableName(s) else {
                v.error("expected the name of an environment variable (letters, digits and _), found \(v.foundWithoutText); put the secret in an environment variable and write the variable's name here")
                return nil
            }
            return s
        }

        func checkIdentifier(_ entry: YAMLEntry, kind: String) {
            if !ConfigValues.isIdentifier(entry.key) {
                entry.value.diagnostics.add(SourceError(
                    "\(kind) id `\(entry.key)` may use only letters, digits, - and _ (and must start with a letter or digit)",
                    at: entry.keyLocation, field: entry.value.path))
            }
        }

        // MARK: escalation

        mutating func readEscalation(_ v: YAMLValue) {
            guard let entries = v.entries(what: "a mapping of plan ids to escalation plans") else { return }
            for entry in entries {
                checkIdentifier(entry, kind: "escalation plan")
                guard let m = entry.value.mapping(allowed: ["stages", "repeat", "reack_after"], what: "an escalation plan: a mapping with stages, repeat and reack_after")
                else { continue }
                var stages: [EscalationStage] = []
                if let s = m.required("stages"), let items = s.list(what: "a list of stages") {
                    if items.isEmpty { s.error("a plan needs at least one stage") }
                    for item in items {
                        if let stage = readStage(item) { stages.append(stage) }
                    }
                }
                let repeatCount = m["repeat"]?.int(in: 0...Int.max) ?? 0
                let reack = m["reack_after"]?.duration(minimum: .seconds(1))
                config.escalation.append(EscalationPlan(id: entry.key, stages: stages, repeatCount: repeatCount, reackAfter: reack, location: entry.keyLocation))
            }
        }

        mutating func readStage(_ v: YAMLValue) -> EscalationStage? {
            guard let m = v.mapping(allowed: ["notify", "wait", "window"], what: "a stage: a mapping with notify and wait") else { return nil }
            var notify: [Located<String>] = []
            if let n = m.required("notify"), let items = n.oneOrMany(what: "a contact id or a list of contact ids") {
                if items.isEmpty { n.error("a stage must notify at least one contact") }
                for item in items {
                    guard let id = item.string() else { continue }
                    if notify.contains(where: { $0.value == id }) {
                        item.error("contact `\(id)` is listed twice in this stage")
                        continue
                    }
                    notify.append(item.located(id))
                    contactReferences.append((item, id))
                }
            }
            let wait = m.required("wait")?.duration(minimum: .seconds(1))
            var window: TimeWindow?
            if let w = m["window"], let text = w.string() {
                switch TimeWindow.parse(text) {
                case .success(let parsed): window = parsed
                case .failure(let why): w.expected("a time window like \"Mon-Fri 09:00-18:00\"", suffix: ": \(why)")
                }
            }
            guard let wait else { return nil }
            return EscalationStage(notify: notify, wait: wait, window: window, location: v.location)
        }

        // MARK: response

        mutating func readResponse(_ v: YAMLValue) {
            guard let items = v.list(what: "a list of response rules") else { return }
            for item in items {
                guard let m = item.mapping(allowed: ["match", "severity", "escalation", "runbooks", "auto_resolve"],
                                           what: "a response rule: a mapping with match, severity and escalation")
                else { continue }
                var match: AlarmMatch?
                if let mv = m.required("match"), let mm = mv.mapping(allowed: ["alarm", "region"], what: "a mapping such as { alarm: \"prod-db-*\" }") {
                    let alarm = mm.required("alarm")?.string()
                    var region: String?
                    if let r = mm["region"] {
                        region = self.region(r)
                        if let region { matchRegions.append((r, region)) }
                    }
                    if let alarm { match = AlarmMatch(alarm: alarm, region: region) }
                }
                let severity = m.required("severity")?.int(in: 1...5)
                var escalation: Located<String>?
                if let e = m.required("escalation"), let id = e.string() {
                    escalation = e.located(id)
                    planReferences.append((e, id))
                }
                var runbooks: [Located<String>] = []
                if let r = m["runbooks"], let ids = r.oneOrMany(what: "a runbook id or a list of runbook ids") {
                    for idValue in ids {
                        guard let id = idValue.string() else { continue }
                        if ConfigValues.isIdentifier(id) { runbooks.append(idValue.located(id)) } else {
                            idValue.expected("a runbook id (letters, digits, - and _)")
                        }
                    }
                }
                let autoResolve = m["auto_resolve"]?.bool() ?? false
                if let match, let severity, let escalation {
                    config.response.append(ResponseRule(match: match, severity: severity, escalation: escalation, runbooks: runbooks, autoResolve: autoResolve, location: item.location))
                }
            }
        }

        // MARK: access

        mutating func readAccess(_ v: YAMLValue) {
            guard let m = v.mapping(allowed: ["criteria", "roles"]) else { return }
            if let c = m["criteria"], let items = c.oneOrMany(what: "a list of criteria") {
                config.access.criteria = items.compactMap { $0.string() }
            }
            if let r = m["roles"], let entries = r.entries(what: "a mapping of role ids to roles") {
                for entry in entries {
                    checkIdentifier(entry, kind: "role")
                    guard let rm = entry.value.mapping(allowed: ["arn", "mfa", "max", "mfa_serial"], what: "a role: a mapping with arn, mfa and max")
                    else { continue }
                    var arn: String?
                    if let a = rm.required("arn"), let text = a.string() {
                        if IAMRoleARN(text) != nil { arn = text } else {
                            a.expected("an IAM role ARN like arn:aws:iam::111122223333:role/name")
                        }
                    }
                    let mfa = rm["mfa"]?.bool() ?? true
                    let max = rm["max"]?.duration(minimum: AccessRole.durationRange.lowerBound, maximum: AccessRole.durationRange.upperBound) ?? AccessRole.defaultMaxDuration
                    var serial: String?
                    if let s = rm["mfa_serial"], let text = s.string() {
                        if !ConfigValues.isMFASerial(text) {
                            s.expected("an MFA device ARN like arn:aws:iam::111122223333:mfa/alice, or a hardware token's serial")
                        } else if !mfa {
                            s.error("mfa_serial is set but mfa is false; set mfa: true, or remove mfa_serial")
                        } else {
                            serial = text
                        }
                    }
                    if let arn {
                        config.access.roles.append(AccessRole(id: entry.key, arn: arn, mfa: mfa, maxDuration: max, mfaSerial: serial, location: entry.keyLocation))
                    }
                }
            }
        }

        // MARK: audit

        mutating func readAudit(_ v: YAMLValue) {
            guard let m = v.mapping(allowed: ["cloudwatch_logs"]), let c = m["cloudwatch_logs"],
                let cm = c.mapping(allowed: ["group", "stream", "region", "ship_head_every"], what: "a mapping such as { group: /breakglass/audit }")
            else { return }
            var group: String?
            if let g = cm.required("group"), let text = g.string() {
                if ConfigValues.isLogGroupName(text) { group = text } else {
                    g.expected("a log group name (letters, digits and _ - / . #)")
                }
            }
            var stream: String?
            if let s = cm["stream"], let text = s.string() {
                if ConfigValues.isLogStreamName(text) { stream = text } else { s.expected("a log stream name (no : or *)") }
            }
            let region = cm["region"].flatMap { self.region($0) }
            let every = cm["ship_head_every"]?.duration(minimum: .seconds(1))
            if let group {
                config.audit.cloudwatchLogs = CloudWatchLogsAudit(group: group, stream: stream, region: region, shipHeadEvery: every, location: c.location)
            }
        }

        // MARK: console

        mutating func readConsole(_ v: YAMLValue) {
            guard let m = v.mapping(allowed: ["theme", "color", "guided", "keys"]) else { return }
            if let t = m["theme"], let name = t.string() { config.console.theme = t.located(name) }
            if let c = m["color"], let text = c.oneOf(ConsoleColor.allCases.map(\.rawValue)), let color = ConsoleColor(rawValue: text) {
                config.console.color = color
            }
            if let g = m["guided"], let guided = g.bool() { config.console.guided = guided }
            if let k = m["keys"], let entries = k.entries(what: "a mapping of actions to keys, such as { quit: q }") {
                for entry in entries {
                    guard let items = entry.value.oneOrMany(what: "a key or a list of keys") else { continue }
                    if items.isEmpty { entry.value.error("list at least one key, or leave `\(entry.key)` out") }
                    let keys = items.compactMap { item in item.string().map { item.located($0) } }
                    config.console.keys.append(KeyBinding(action: entry.locatedKey, keys: keys))
                }
            }
        }

        // MARK: drills

        mutating func readDrills(_ v: YAMLValue) {
            guard let m = v.mapping(allowed: ["staging"]) else { return }
            guard let staging = m["staging"], let s = staging.mapping(allowed: ["profile", "account", "region", "deny_user"]) else { return }
            guard let p = s["profile"] else {
                if !s.reportedAsMisspelled("profile") {
                    staging.error("name the staging account's AWS profile with `profile:` (drills.staging.profile)")
                }
                return
            }
            guard let profile = p.string() else { return }
            if profile.isEmpty || profile.contains(where: { $0.isWhitespace || $0 == "[" || $0 == "]" }) {
                p.expected("a profile name from the AWS config file, such as staging")
                return
            }
            var account = StagingAccount(profile: p.located(profile))
            if let a = s["account"], let text = a.string() {
                if text.count == 12, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber) { account.account = text }
                else { a.expected("a 12-digit AWS account id, quoted, such as \"123456789012\"") }
            }
            if let r = s["region"] { account.region = region(r) }
            if let u = s["deny_user"], let user = u.string() {
                if ConfigValues.isIAMName(user) { account.denyUser = user }
                else { u.expected("an IAM user name (letters, digits and +=,.@_-, up to 64)") }
            }
            config.drills.staging = account
        }

        // MARK: references

        /// Stages name contacts, rules name plans, and a rule's region must be one that is watched.
        func checkReferences() {
            let contactIDs = config.contacts.map(\.id)
            for (value, id) in contactReferences where !contactIDs.contains(id) && !misspelled.contains("contacts") {
                value.error("unknown contact `\(id)`" + known(id, contactIDs, section: "contacts"))
            }
            let planIDs = config.escalation.map(\.id)
            for (value, id) in planReferences where !planIDs.contains(id) && !misspelled.contains("escalation") {
                value.error("unknown escalation plan `\(id)`" + known(id, planIDs, section: "escalation"))
            }
            if !config.aws.regions.isEmpty && !misspelled.contains("aws") {
                for (value, region) in matchRegions where !config.aws.regions.contains(region) {
                    value.error("region \(region) is not in aws.regions (\(config.aws.regions.joined(separator: ", "))), so no alarm from it is ever read")
                }
            }
        }

        func known(_ id: String, _ ids: [String], section: String) -> String {
            if ids.isEmpty { return "; `\(section)` defines none" }
            if let near = Suggestion.closest(to: id, in: ids) { return "; did you mean `\(near)`?" }
            return "; `\(section)` defines \(ids.map { "`\($0)`" }.joined(separator: ", "))"
        }
    }
}
