import BreakglassCore
import Foundation
import Testing

/// The repository's root, for the files under docs/.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A valid configuration that the error cases below each break in one place.
let baseConfig = """
    aws: { regions: [us-east-1, eu-west-1] }
    contacts:
      primary: { name: "Primary", sns: "arn:aws:sns:us-east-1:111122223333:oncall" }
      secondary: { name: "Secondary", pagerduty: { routing_key_env: PD_KEY } }
    escalation:
      default:
        stages:
          - { notify: [primary], wait: 5m }
          - { notify: [secondary], wait: 5m }
    response:
      - match: { alarm: "prod-*" }
        severity: 1
        escalation: default
    """

func configErrors(_ yaml: String, file: String = "breakglass.yaml") -> [SourceError] {
    do {
        _ = try ConfigLoader.parse(yaml, file: file)
        return []
    } catch {
        return error.errors
    }
}

@Suite("Config errors")
struct ConfigErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let yaml: String
        /// The first error's full description.
        let expected: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "unknown top-level key", yaml: """
            aws: { regions: [us-east-1] }
            escalaton:
              default: { stages: [] }
            """,
            expected: "breakglass.yaml:2:1: unknown key `escalaton`; did you mean `escalation`?"),
        Case(name: "unknown top-level key with no near match lists the allowed ones", yaml: "colours: dark\n",
            expected: "breakglass.yaml:1:1: unknown key `colours`; expected one of: aws, contacts, escalation, response, access, audit, runbooks, console, drills"),
        Case(name: "a key in the wrong section says where it belongs", yaml: "roles: {}\n",
            expected: "breakglass.yaml:1:1: unknown key `roles`; roles are listed under `access:` (access.roles)"),
        Case(name: "unknown nested key with a suggestion", yaml: """
            contacts:
              primary:
                nmae: Primary
                sns: "arn:aws:sns:us-east-1:111122223333:oncall"
            """,
            expected: "breakglass.yaml:3:5: contacts.primary: unknown key `nmae`; did you mean `name`?"),
        Case(name: "unknown key in a stage", yaml: baseConfig.replacingOccurrences(of: "{ notify: [secondary], wait: 5m }", with: "{ notify: [secondary], wiat: 5m, wait: 1m }"),
            expected: "breakglass.yaml:9:32: escalation.default.stages[1]: unknown key `wiat`; did you mean `wait`?"),
        Case(name: "wrong type: a word for a number", yaml: baseConfig.replacingOccurrences(of: "- { notify: [secondary], wait: 5m }", with: "- { notify: [secondary], wait: 5m }\n    repeat: two"),
            expected: "breakglass.yaml:10:13: escalation.default.repeat: expected a whole number of at least 0, found \"two\""),
        Case(name: "wrong type: a list for a mapping", yaml: "contacts: [primary, secondary]\n",
            expected: "breakglass.yaml:1:11: contacts: expected a mapping of contact ids to contacts, found a list"),
        Case(name: "wrong type: quoted number", yaml: baseConfig.replacingOccurrences(of: "severity: 1", with: "severity: \"1\""),
            expected: "breakglass.yaml:12:15: response[0].severity: expected a whole number from 1 to 5, found the quoted string \"1\" (remove the quotes)"),
        Case(name: "out of range", yaml: baseConfig.replacingOccurrences(of: "severity: 1", with: "severity: 7"),
            expected: "breakglass.yaml:12:15: response[0].severity: expected a whole number from 1 to 5, found 7"),
        Case(name: "yes is not a boolean", yaml: baseConfig + "\nconsole: { guided: yes }",
            expected: "breakglass.yaml:14:20: console.guided: expected true or false, found yes"),
        Case(name: "console colour is auto, never or always", yaml: baseConfig + "\nconsole: { color: sometimes }",
            expected: "breakglass.yaml:14:19: console.color: expected one of auto, never, always, found \"sometimes\""),
        Case(name: "console colour is not a boolean", yaml: baseConfig + "\nconsole: { color: false }",
            expected: "breakglass.yaml:14:19: console.color: expected one of auto, never, always, found false"),
        Case(name: "a misspelt console colour gets a suggestion", yaml: baseConfig + "\nconsole: { color: allways }",
            expected: "breakglass.yaml:14:19: console.color: expected one of auto, never, always, found \"allways\"; did you mean `always`?"),
        Case(name: "British colour under console", yaml: baseConfig + "\nconsole: { colour: never }",
            expected: "breakglass.yaml:14:12: console: unknown key `colour`; did you mean `color`?"),
        Case(name: "color at the top level", yaml: "color: never\n",
            expected: "breakglass.yaml:1:1: unknown key `color`; it belongs under `console:` (console.color)"),
        Case(name: "a console key with no keys", yaml: baseConfig + "\nconsole: { keys: { quit: [] } }",
            expected: "breakglass.yaml:14:26: console.keys.quit: list at least one key, or leave `quit` out"),
        Case(name: "bad duration", yaml: baseConfig.replacingOccurrences(of: "{ notify: [secondary], wait: 5m }", with: "{ notify: [secondary], wait: \"5 minutes\" }"),
            expected: "breakglass.yaml:9:38: escalation.default.stages[1].wait: expected a duration like 90s, 5m or 1h, found \"5 minutes\""),
        Case(name: "bare number duration", yaml: baseConfig.replacingOccurrences(of: "{ notify: [secondary], wait: 5m }", with: "{ notify: [secondary], wait: 300 }"),
            expected: "breakglass.yaml:9:38: escalation.default.stages[1].wait: expected a duration like 90s, 5m or 1h, found 300 (a number without a unit); add a unit, e.g. 300s or 300m"),
        Case(name: "fractional duration", yaml: baseConfig.replacingOccurrences(of: "- { notify: [secondary], wait: 5m }", with: "- { notify: [secondary], wait: 5m }\n    reack_after: 1.5h"),
            expected: "breakglass.yaml:10:18: escalation.default.reack_after: expected a duration like 90s, 5m or 1h, found \"1.5h\"; use whole numbers of each unit, e.g. 1h30m rather than 1.5h"),
        Case(name: "zero wait", yaml: baseConfig.replacingOccurrences(of: "{ notify: [primary], wait: 5m }", with: "{ notify: [primary], wait: 0s }"),
            expected: "breakglass.yaml:8:36: escalation.default.stages[0].wait: expected a duration of at least 1s, found \"0s\""),
        Case(name: "unknown contact in a stage", yaml: baseConfig.replacingOccurrences(of: "notify: [secondary]", with: "notify: [primary, secondry]"),
            expected: "breakglass.yaml:9:29: escalation.default.stages[1].notify[1]: unknown contact `secondry`; did you mean `secondary`?"),
        Case(name: "unknown contact with nothing near lists the known ones", yaml: baseConfig.replacingOccurrences(of: "notify: [secondary]", with: "notify: nobody"),
            expected: "breakglass.yaml:9:19: escalation.default.stages[1].notify: unknown contact `nobody`; `contacts` defines `primary`, `secondary`"),
        Case(name: "a contact listed twice in a stage", yaml: baseConfig.replacingOccurrences(of: "notify: [secondary]", with: "notify: [secondary, secondary]"),
            expected: "breakglass.yaml:9:31: escalation.default.stages[1].notify[1]: contact `secondary` is listed twice in this stage"),
        Case(name: "unknown plan in a response rule", yaml: baseConfig.replacingOccurrences(of: "escalation: default", with: "escalation: defualt"),
            expected: "breakglass.yaml:13:17: response[0].escalation: unknown escalation plan `defualt`; did you mean `default`?"),
        Case(name: "a rule for a region that is not watched", yaml: baseConfig.replacingOccurrences(of: "alarm: \"prod-*\"", with: "alarm: \"prod-*\", region: ap-south-1"),
            expected: "breakglass.yaml:11:39: response[0].match.region: region ap-south-1 is not in aws.regions (us-east-1, eu-west-1), so no alarm from it is ever read"),
        Case(name: "missing required key", yaml: "access:\n  roles:\n    db: { mfa: true }\n",
            expected: "breakglass.yaml:3:9: access.roles.db: missing required key `arn`"),
        Case(name: "malformed role ARN", yaml: "access:\n  roles:\n    db: { arn: \"arn:aws:iam::1111:role/db\" }\n",
            expected: "breakglass.yaml:3:16: access.roles.db.arn: expected an IAM role ARN like arn:aws:iam::111122223333:role/name, found \"arn:aws:iam::1111:role/db\""),
        Case(name: "session longer than STS allows", yaml: "access:\n  roles:\n    db: { arn: \"arn:aws:iam::111122223333:role/db\", max: 13h }\n",
            expected: "breakglass.yaml:3:58: access.roles.db.max: expected a duration from 15m to 12h, found \"13h\""),
        Case(name: "mfa_serial on a role without MFA", yaml: "access:\n  roles:\n    db: { arn: \"arn:aws:iam::111122223333:role/db\", mfa: false, mfa_serial: \"arn:aws:iam::111122223333:mfa/alice\" }\n",
            expected: "breakglass.yaml:3:77: access.roles.db.mfa_serial: mfa_serial is set but mfa is false; set mfa: true, or remove mfa_serial"),
        Case(name: "inline secret key", yaml: """
            contacts:
              secondary:
                pagerduty: { routing_key: R0UT1NGKEYSECRET }
            """,
            expected: "breakglass.yaml:3:18: contacts.secondary.pagerduty: unknown key `routing_key`; secrets are never written in the config file; put the routing key in an environment variable and name the variable with `routing_key_env`"),
        Case(name: "inline webhook URL for Slack", yaml: "contacts:\n  ops:\n    slack: \"https://hooks.slack.com/services/T000/B000/XXXXSECRET\"\n",
            expected: "breakglass.yaml:3:12: contacts.ops.slack: expected a mapping such as { webhook_url_env: NAME }, found a value (not shown, in case it is a secret); secrets are never written in the config file, only the name of the environment variable that holds them"),
        Case(name: "a secret where the variable name belongs", yaml: "contacts:\n  ops:\n    webhook: { url: \"https://example.com/hook\", secret_env: \"s3cr3t/value+\" }\n",
            expected: "breakglass.yaml:3:61: contacts.ops.webhook.secret_env: expected the name of an environment variable (letters, digits and _), found a value (not shown, in case it is a secret); put the secret in an environment variable and write the variable's name here"),
        Case(name: "email is not a channel", yaml: "contacts:\n  ops: { email: ops@example.com }\n",
            expected: "breakglass.yaml:2:10: contacts.ops: unknown key `email`; there is no email channel; subscribe the address to an SNS topic and name the topic with `sns:`"),
        Case(name: "phone number not in E.164", yaml: "contacts:\n  ops: { sms: 555-0100 }\n",
            expected: "breakglass.yaml:2:15: contacts.ops.sms: expected a phone number in E.164 form like \"+15555550100\" (a +, the country code, no spaces), found \"555-0100\""),
        Case(name: "an id with a dot", yaml: "contacts:\n  on.call: { name: x }\n",
            expected: "breakglass.yaml:2:3: contacts[\"on.call\"]: contact id `on.call` may use only letters, digits, - and _ (and must start with a letter or digit)"),
        Case(name: "bad time window", yaml: baseConfig.replacingOccurrences(of: "{ notify: [primary], wait: 5m }", with: "{ notify: [primary], wait: 5m, window: \"Mon-Fry 09:00-18:00\" }"),
            expected: "breakglass.yaml:8:48: escalation.default.stages[0].window: expected a time window like \"Mon-Fri 09:00-18:00\", found \"Mon-Fry 09:00-18:00\": expected days such as Mon-Fri or Sat,Sun, found \"Mon-Fry\""),
        Case(name: "unknown audience", yaml: "contacts:\n  ops: { audience: bakup }\n",
            expected: "breakglass.yaml:2:20: contacts.ops.audience: expected one of primary, backup, found \"bakup\"; did you mean `backup`?"),
        Case(name: "YAML syntax: bad indentation", yaml: "aws:\n  profile: prod\n regions: [us-east-1]\n",
            expected: "breakglass.yaml:3:2: YAML syntax: did not find expected key (while parsing a block mapping at 1:1)"),
        Case(name: "YAML syntax: unclosed quote", yaml: "aws:\n  profile: \"prod\n",
            expected: "breakglass.yaml:3:1: YAML syntax: found unexpected end of stream (while scanning a quoted scalar at 2:12)"),
        Case(name: "YAML syntax: a tab", yaml: "aws:\n\tprofile: prod\n",
            expected: "breakglass.yaml:2:1: YAML syntax: found character that cannot start any token (while scanning for the next token); YAML does not allow tabs for indentation, use spaces"),
        Case(name: "duplicate key", yaml: "aws: { profile: a }\ncontacts: {}\naws: { profile: b }\n",
            expected: "breakglass.yaml:3:1: duplicate key `aws`; it is already set at line 1"),
        Case(name: "duplicate nested key", yaml: "contacts:\n  ops:\n    name: A\n    sms: \"+15555550100\"\n    name: B\n",
            expected: "breakglass.yaml:5:5: duplicate key `name`; it is already set at line 3"),
        Case(name: "duplicate key in a list item", yaml: "response:\n  - match: { alarm: a }\n  - match: { alarm: b }\n    severity: 1\n    match: { alarm: c }\n",
            expected: "breakglass.yaml:5:5: duplicate key `match`; it is already set at line 3"),
        Case(name: "a duplicate key is found at its second place, not a later mapping's", yaml: "contacts:\n  a:\n    name: A\n  b:\n    name: B\n    name: C\n",
            expected: "breakglass.yaml:6:5: duplicate key `name`; it is already set at line 5"),
        Case(name: "duplicate key in a flow mapping", yaml: "aws: { profile: a, regions: [us-east-1], profile: b }\n",
            expected: "breakglass.yaml:1:42: duplicate key `profile`; it is already set at line 1"),
        Case(name: "a staging account needs its profile", yaml: "drills:\n  staging: { account: \"123456789012\" }\n",
            expected: "breakglass.yaml:2:12: drills.staging: name the staging account's AWS profile with `profile:` (drills.staging.profile)"),
        Case(name: "a staging account id is 12 digits, quoted", yaml: "drills:\n  staging: { profile: staging, account: 12345 }\n",
            expected: "breakglass.yaml:2:41: drills.staging.account: expected a 12-digit AWS account id, quoted, such as \"123456789012\", found 12345"),
        Case(name: "a staging region is a region", yaml: "drills:\n  staging: { profile: staging, region: europe }\n",
            expected: "breakglass.yaml:2:40: drills.staging.region: expected an AWS region such as us-east-1, found \"europe\""),
        Case(name: "a staging deny_user is an IAM name", yaml: "drills:\n  staging: { profile: staging, deny_user: \"alice smith\" }\n",
            expected: "breakglass.yaml:2:43: drills.staging.deny_user: expected an IAM user name (letters, digits and +=,.@_-, up to 64), found \"alice smith\""),
        Case(name: "a misspelt staging key", yaml: "drills:\n  staging: { proflie: staging }\n",
            expected: "breakglass.yaml:2:14: drills.staging: unknown key `proflie`; did you mean `profile`?"),
        Case(name: "a list at the top", yaml: "- aws\n- contacts\n",
            expected: "breakglass.yaml:1:1: expected a mapping of sections (aws, contacts, escalation, ...), found a list"),
        Case(name: "two documents", yaml: "aws: {}\n---\ncontacts: {}\n",
            expected: "breakglass.yaml:2:1: YAML syntax: but found another document (expected a single document in the stream at 1:1)"),
    ]

    @Test(arguments: cases)
    func firstErrorIsExact(_ c: Case) {
        let errors = configErrors(c.yaml)
        #expect(errors.first?.description == c.expected, "\(c.name): got \(errors.map(\.description))")
    }

    @Test func anInlineSecretIsNeverEchoed() {
        for yaml in [
            "contacts:\n  a:\n    pagerduty: { routing_key: R0UT1NGKEYSECRET }\n",
            "contacts:\n  a:\n    pagerduty: R0UT1NGKEYSECRET\n",
            "contacts:\n  a:\n    pagerduty: { routing_key_env: \"R0UT1NG KEY SECRET\" }\n",
        ] {
            let errors = configErrors(yaml)
            #expect(!errors.isEmpty)
            #expect(!errors.description.contains("R0UT1NG"), "\(errors)")
        }
    }

    @Test func independentProblemsAreAllReportedInFileOrder() {
        let yaml = """
            contacts:
              primary: { name: Primary, sms: "+15555550100" }
            escalation:
              default:
                stages:
                  - { notify: [primray], wait: 5 }
                repeat: -1
            response:
              - match: { alarm: "x" }
                severity: 9
                escalation: nope
            colour: red
            """
        let lines = configErrors(yaml).map(\.description)
        #expect(lines == [
            "breakglass.yaml:6:20: escalation.default.stages[0].notify[0]: unknown contact `primray`; did you mean `primary`?",
            "breakglass.yaml:6:36: escalation.default.stages[0].wait: expected a duration like 90s, 5m or 1h, found 5 (a number without a unit); add a unit, e.g. 5s or 5m",
            "breakglass.yaml:7:13: escalation.default.repeat: expected a whole number of at least 0, found -1",
            "breakglass.yaml:10:15: response[0].severity: expected a whole number from 1 to 5, found 9",
            "breakglass.yaml:11:17: response[0].escalation: unknown escalation plan `nope`; `escalation` defines `default`",
            "breakglass.yaml:12:1: unknown key `colour`; expected one of: aws, contacts, escalation, response, access, audit, runbooks, console, drills",
        ])
    }

    @Test func aMisspelledSectionIsReportedOnceNotAsEveryReferenceIntoIt() {
        let plans = configErrors(baseConfig.replacingOccurrences(of: "escalation:\n  default:", with: "escalaton:\n  default:"))
        #expect(plans.map(\.description) == ["breakglass.yaml:5:1: unknown key `escalaton`; did you mean `escalation`?"])
        let contacts = configErrors(baseConfig.replacingOccurrences(of: "contacts:", with: "contact:"))
        #expect(contacts.map(\.description) == ["breakglass.yaml:2:1: unknown key `contact`; did you mean `contacts`?"])
        // An unrelated unknown key does not hide a wrong reference.
        let other = configErrors(baseConfig.replacingOccurrences(of: "escalation: default", with: "escalation: nope") + "\nconsle: {}")
        #expect(other.map(\.message) == ["unknown escalation plan `nope`; `escalation` defines `default`", "unknown key `consle`; did you mean `console`?"])
    }

    @Test func theErrorValueCarriesItsParts() throws {
        let error = try #require(configErrors("escalation:\n  p:\n    stages:\n      - { notify: a, wait: 5 minutes }\ncontacts: { a: {} }\n", file: "/etc/bg.yaml").first)
        #expect(error.file == "/etc/bg.yaml")
        #expect(error.line == 4)
        #expect(error.column == 28)
        #expect(error.field.description == "escalation.p.stages[0].wait")
        #expect(error.field.components == [.key("escalation"), .key("p"), .key("stages"), .index(0), .key("wait")])
        #expect(error.message == "expected a duration like 90s, 5m or 1h, found \"5 minutes\"")
    }

    @Test func aFileThatCannotBeReadIsAnErrorNamingIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bg-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: SourceErrors.self) { try ConfigLoader.load(path: dir.path + "/missing.yaml") }
        do {
            _ = try ConfigLoader.load(path: dir.path + "/missing.yaml", displayPath: "missing.yaml")
        } catch {
            #expect(error.description == "missing.yaml: cannot read the file: No such file or directory")
        }
        let latin1 = dir.appendingPathComponent("latin1.yaml")
        try Data(Array("aws:\n  profile: caf".utf8) + [0xE9, 0x0A]).write(to: latin1)
        do {
            _ = try ConfigLoader.load(path: latin1.path, displayPath: "latin1.yaml")
            Issue.record("Latin-1 bytes loaded")
        } catch {
            #expect(error.description.hasPrefix("latin1.yaml:2:15: the file is not UTF-8 text"), "\(error)")
        }
    }
}

@Suite("Config loading")
struct ConfigLoadingTests {
    @Test func theShippedExampleLoads() throws {
        let path = repositoryRoot.appendingPathComponent("docs/examples/breakglass.yaml").path
        let config = try ConfigLoader.load(path: path, displayPath: "docs/examples/breakglass.yaml")
        #expect(config.file == path)
        #expect(config.aws == AWSSettings(profile: "prod", regions: ["us-east-1", "eu-west-1"]))
        #expect(config.contacts.map(\.id) == ["primary", "secondary", "cofounder"])
        #expect(config.contacts.map(\.name) == ["Primary on-call", "Secondary", "Backup"])
        #expect(config.contacts.map(\.audience) == [.primary, .primary, .backup])
        #expect(config.contacts.map(\.channels) == [
            [.sns(topicARN: "arn:aws:sns:us-east-1:111122223333:oncall-primary")],
            [.pagerDuty(routingKeyEnv: "PD_KEY")],
            [.sms(phone: "+15555550100")],
        ])
        let plan = try #require(config.plan("default"))
        #expect(plan.stages.map { $0.notify.map(\.value) } == [["primary"], ["secondary"], ["cofounder", "secondary"]])
        #expect(plan.stages.map(\.wait) == [.seconds(300), .seconds(300), .seconds(600)])
        #expect(plan.repeatCount == 2)
        #expect(plan.reackAfter == .seconds(1800))
        #expect(config.response.count == 1)
        let rule = config.response[0]
        #expect(rule.match == AlarmMatch(alarm: "prod-db-*"))
        #expect(rule.severity == 1)
        #expect(rule.escalation.value == "default")
        #expect(rule.runbooks.map(\.value) == ["rds-failover", "db-overload"])
        #expect(rule.autoResolve == false)
        #expect(config.access.criteria == ["A customer-facing alarm is in ALARM", "The normal deploy or access path cannot fix it"])
        #expect(config.access.roles.map(\.id) == ["db-break-glass", "app-break-glass"])
        #expect(config.access.roles[1].maxDuration == .seconds(1800))
        #expect(config.access.roles[0].arn == "arn:aws:iam::111122223333:role/db-break-glass")
        #expect(config.access.roles[0].mfa)
        #expect(config.access.roles[0].maxDuration == .seconds(900))
        #expect(config.audit.cloudwatchLogs?.group == "/breakglass/audit")
        // Where things are written, for errors found later.
        #expect(config.contacts[1].location == SourceLocation(file: "docs/examples/breakglass.yaml", line: 8, column: 3))
        #expect(plan.location.line == 11)
        #expect(plan.stages[2].location == SourceLocation(file: "docs/examples/breakglass.yaml", line: 15, column: 9))
        #expect(plan.stages[2].notify[1].location.column == 31)
        #expect(rule.location.line == 19)
        #expect(rule.runbooks[1].location == SourceLocation(file: "docs/examples/breakglass.yaml", line: 22, column: 30))
        #expect(config.access.roles[0].location.line == 28)
    }

    /// The overview in docs/CONFIG.md is a working file too.
    @Test func aStagingAccountReadsIntoItsFields() throws {
        let config = try ConfigLoader.parse(
            "drills:\n  staging: { profile: staging-ops, account: \"210987654321\", region: eu-west-1, deny_user: oncall-alice }\n", file: "b.yaml")
        let staging = try #require(config.drills.staging)
        #expect(staging.profile.value == "staging-ops")
        #expect(staging.account == "210987654321")
        #expect(staging.region == "eu-west-1")
        #expect(staging.denyUser == "oncall-alice")
        #expect(try ConfigLoader.parse("drills: {}\n", file: "b.yaml").drills.staging == nil)
    }

    /// docs/schemas/config.schema.json, which editors check the file with, has the loader's sections.
    @Test func theSchemaHasEveryTopLevelKey() throws {
        let data = try Data(contentsOf: repositoryRoot.appendingPathComponent("docs/schemas/config.schema.json"))
        let schema = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let properties = try #require(schema["properties"] as? [String: Any])
        #expect(Set(properties.keys) == Set(BreakglassConfig.topLevelKeys))
    }

    @Test func theOverviewInTheDocsLoads() throws {
        let doc = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/CONFIG.md"), encoding: .utf8)
        let start = try #require(doc.range(of: "## The sections\n\n```yaml\n"))
        let end = try #require(doc.range(of: "\n```", range: start.upperBound..<doc.endIndex))
        let config = try ConfigLoader.parse(String(doc[start.upperBound..<end.lowerBound]), file: "CONFIG.md")
        #expect(config.plan("default")?.stages.last?.window?.text == "Mon-Fri 09:00-18:00")
        #expect(config.console.keys.map(\.action.value) == ["quit", "acknowledge"])
        #expect(config.console.color == .auto)
        #expect(config.runbooks.map(\.value) == ["../shared-runbooks"])
    }

    @Test(arguments: ["", "# nothing yet\n", "---\n", "~\n"])
    func anEmptyFileIsTheEmptyConfiguration(_ text: String) throws {
        let config = try ConfigLoader.parse(text, file: "breakglass.yaml")
        var empty = BreakglassConfig(file: "breakglass.yaml")
        empty.file = "breakglass.yaml"
        #expect(config == empty)
    }

    @Test func emptySectionsAreAbsentSections() throws {
        let config = try ConfigLoader.parse("aws:\ncontacts:\nescalation: ~\n", file: "f.yaml")
        #expect(config.contacts.isEmpty && config.escalation.isEmpty && config.aws == AWSSettings())
    }

    @Test func everyKeyReadsIntoItsField() throws {
        let yaml = """
            aws: { profile: ops, regions: eu-west-1 }
            contacts:
              ops:
                slack: { webhook_url_env: SLACK_URL }
                webhook: { url: "https://example.com/hook", secret_env: HOOK_SECRET }
              plain:
                webhook: { url: "http://127.0.0.1:8080/hook" }
            escalation:
              day:
                stages:
                  - notify: ops
                    wait: 1h30m
                    window: "Mon-Fri 09:00-18:00 Europe/Paris"
                  - { notify: [plain], wait: 2m30s }
            response:
              - match: { alarm: "api-*", region: eu-west-1 }
                severity: 3
                escalation: day
                runbooks: restart-api
                auto_resolve: true
            access:
              criteria: One line is enough
              roles:
                ro: { arn: "arn:aws:iam::111122223333:role/team/ro", mfa: false, max: 1h }
                rw: { arn: "arn:aws-us-gov:iam::111122223333:role/rw", mfa_serial: "arn:aws:iam::111122223333:mfa/alice", max: 12h }
            audit:
              cloudwatch_logs: { group: /bg/audit, stream: host-1, region: eu-west-1, ship_head_every: 10m }
            runbooks: [./more-runbooks, ~/runbooks, /srv/runbooks]
            console:
              theme: monochrome
              guided: true
              keys:
                quit: q
                ack: [a, "ctrl-a"]
              color: never
            """
        let config = try ConfigLoader.parse(yaml, file: "/etc/breakglass/config.yaml")
        #expect(config.aws == AWSSettings(profile: "ops", regions: ["eu-west-1"]))
        #expect(config.contacts[0].channels == [.slack(webhookURLEnv: "SLACK_URL"), .webhook(url: "https://example.com/hook", secretEnv: "HOOK_SECRET")])
        #expect(config.contacts[0].name == "ops")
        #expect(config.contacts[0].channels.flatMap(\.environmentVariables) == ["SLACK_URL", "HOOK_SECRET"])
        #expect(config.contacts[1].channels == [.webhook(url: "http://127.0.0.1:8080/hook", secretEnv: nil)])
        let stages = try #require(config.plan("day")).stages
        #expect(stages[0].wait == .seconds(5400))
        #expect(stages[0].window?.timeZone == "Europe/Paris")
        #expect(stages[0].window?.days == Set(1...5))
        #expect(stages[1].wait == .seconds(150))
        #expect(config.plan("day")?.repeatCount == 0)
        #expect(config.plan("day")?.reackAfter == nil)
        #expect(config.response[0].match == AlarmMatch(alarm: "api-*", region: "eu-west-1"))
        #expect(config.response[0].runbooks.map(\.value) == ["restart-api"])
        #expect(config.response[0].autoResolve)
        #expect(config.access.criteria == ["One line is enough"])
        #expect(config.role("ro")?.mfa == false)
        #expect(config.role("ro")?.maxDuration == .seconds(3600))
        #expect(config.role("rw")?.mfa == true)
        #expect(config.role("rw")?.mfaSerial == "arn:aws:iam::111122223333:mfa/alice")
        #expect(config.role("rw")?.maxDuration == .seconds(43200))
        #expect(config.audit.cloudwatchLogs.map { [$0.group, $0.stream, $0.region] } == ["/bg/audit", "host-1", "eu-west-1"])
        #expect(config.audit.cloudwatchLogs?.shipHeadEvery == .seconds(600))
        #expect(config.runbookFolders(home: "/home/ann", currentDirectory: "/tmp") == ["/etc/breakglass/more-runbooks", "/home/ann/runbooks", "/srv/runbooks"])
        #expect(config.console.theme?.value == "monochrome")
        #expect(config.console.theme?.location == SourceLocation(file: "/etc/breakglass/config.yaml", line: 30, column: 10))
        #expect(config.console.guided)
        #expect(config.console.keys.map(\.action.value) == ["quit", "ack"])
        #expect(config.console.keys.map { $0.keys.map(\.value) } == [["q"], ["a", "ctrl-a"]])
        #expect(config.console.keys[1].keys[1].location == SourceLocation(file: "/etc/breakglass/config.yaml", line: 34, column: 14))
        #expect(config.console.color == .never)
    }

    @Test(arguments: ConsoleColor.allCases)
    func consoleColor(_ color: ConsoleColor) throws {
        let config = try ConfigLoader.parse("console: { color: \(color.rawValue) }\n", file: "f.yaml")
        #expect(config.console.color == color)
        #expect(config.console.theme == nil && config.console.keys.isEmpty)
    }

    @Test func defaults() throws {
        let config = try ConfigLoader.parse("""
            contacts: { ops: { sms: "+15555550100" } }
            access: { roles: { db: { arn: "arn:aws:iam::111122223333:role/db" } } }
            """, file: "f.yaml")
        #expect(config.contacts[0].name == "ops")
        #expect(config.contacts[0].audience == .primary)
        #expect(config.role("db")?.mfa == true)
        #expect(config.role("db")?.maxDuration == .seconds(900))
        #expect(config.console == ConsoleSettings())
        #expect(config.audit.cloudwatchLogs == nil)
    }

    @Test func mergeKeysShareSettings() throws {
        let yaml = """
            escalation:
              base: &base
                stages: [{ notify: ops, wait: 5m }]
                repeat: 3
              night:
                <<: *base
                repeat: 1
            contacts: { ops: { sms: "+15555550100" } }
            """
        let config = try ConfigLoader.parse(yaml, file: "f.yaml")
        #expect(config.plan("night")?.stages.map(\.wait) == [.seconds(300)])
        #expect(config.plan("night")?.repeatCount == 1)
        #expect(config.plan("base")?.repeatCount == 3)
    }

    @Test func anUnknownKeyInAMergedMappingIsReportedWhereItIsWritten() {
        let errors = configErrors("x: &x { stages: [], wait: 1m }\n")
        #expect(errors.first?.description.hasPrefix("breakglass.yaml:1:1: unknown key `x`") == true, "\(errors)")
        let merged = configErrors("escalation:\n  a: &a { stagez: [] }\n  b: { <<: *a, repeat: 1 }\n")
        #expect(merged.map(\.description).contains("breakglass.yaml:2:11: escalation.a: unknown key `stagez`; did you mean `stages`?"), "\(merged)")
    }
}

@Suite("Config locator")
struct ConfigLocatorTests {
    static func locator(_ env: [String: String], files: Set<String>, folders: Set<String> = [], cwd: String = "/work") -> ConfigLocator {
        ConfigLocator(environment: env, currentDirectory: cwd) { path in
            files.contains(path) ? .file : folders.contains(path) ? .directory : .missing
        }
    }

    static let all: Set<String> = ["/work/explicit.yaml", "/env/bg.yaml", "/work/breakglass.yaml", "/xdg/breakglass/config.yaml", "/home/ann/.config/breakglass/config.yaml"]
    static let env = ["HOME": "/home/ann", "XDG_CONFIG_HOME": "/xdg", "BREAKGLASS_CONFIG": "/env/bg.yaml"]

    @Test func orderIsOptionThenVariableThenCurrentFolderThenXDG() throws {
        var files = Self.all
        var found = try Self.locator(Self.env, files: files).locate(explicitPath: "explicit.yaml").found
        #expect(found == .init(path: "/work/explicit.yaml", displayPath: "explicit.yaml", source: .option))
        found = try Self.locator(Self.env, files: files).locate(explicitPath: nil).found
        #expect(found == .init(path: "/env/bg.yaml", displayPath: "/env/bg.yaml", source: .environment))
        var env = Self.env
        env["BREAKGLASS_CONFIG"] = nil
        found = try Self.locator(env, files: files).locate(explicitPath: nil).found
        #expect(found == .init(path: "/work/breakglass.yaml", displayPath: "breakglass.yaml", source: .currentDirectory))
        files.remove("/work/breakglass.yaml")
        found = try Self.locator(env, files: files).locate(explicitPath: nil).found
        #expect(found == .init(path: "/xdg/breakglass/config.yaml", displayPath: "/xdg/breakglass/config.yaml", source: .userConfig))
        env["XDG_CONFIG_HOME"] = nil
        found = try Self.locator(env, files: files).locate(explicitPath: nil).found
        #expect(found == .init(path: "/home/ann/.config/breakglass/config.yaml", displayPath: "~/.config/breakglass/config.yaml", source: .userConfig))
        // A relative XDG_CONFIG_HOME is ignored, as the XDG spec says.
        env["XDG_CONFIG_HOME"] = "relative"
        found = try Self.locator(env, files: files).locate(explicitPath: nil).found
        #expect(found?.path == "/home/ann/.config/breakglass/config.yaml")
    }

    @Test func findingNothingIsNotAnErrorAndSaysWhereItLooked() throws {
        let search = try Self.locator(["HOME": "/home/ann"], files: [], folders: ["/work/breakglass.yaml"]).locate(explicitPath: nil)
        #expect(search.found == nil)
        #expect(search.searched == [
            "BREAKGLASS_CONFIG (not set)",
            "/work/breakglass.yaml (a folder, not a file)",
            "~/.config/breakglass/config.yaml (no such file)",
        ])
        let loaded = try Self.locator(["BREAKGLASS_CONFIG": ""], files: []).load(explicitPath: nil)
        #expect(loaded.config == BreakglassConfig())
        #expect(loaded.found == nil)
        #expect(loaded.search.searched.last == "$XDG_CONFIG_HOME/breakglass/config.yaml (neither XDG_CONFIG_HOME nor HOME is set)")
    }

    @Test func aNamedFileThatIsMissingIsAnError() {
        #expect(throws: SourceError("--config names a file that does not exist", at: .file("nope.yaml"))) {
            try Self.locator(Self.env, files: Self.all).locate(explicitPath: "nope.yaml")
        }
        #expect(throws: SourceError("--config names a folder, not a configuration file", at: .file("/etc"))) {
            try Self.locator(Self.env, files: Self.all, folders: ["/etc"]).locate(explicitPath: "/etc")
        }
        var env = Self.env
        env["BREAKGLASS_CONFIG"] = "~/gone.yaml"
        #expect(throws: SourceError("BREAKGLASS_CONFIG names a file that does not exist", at: .file("~/gone.yaml"))) {
            try Self.locator(env, files: Self.all).locate(explicitPath: nil)
        }
    }

    @Test func tildeAndDotsInANamedPath() throws {
        let found = try Self.locator(Self.env, files: ["/home/ann/bg.yaml", "/bg.yaml"]).locate(explicitPath: "~/bg.yaml").found
        #expect(found?.path == "/home/ann/bg.yaml")
        #expect(found?.displayPath == "~/bg.yaml")
        let up = try Self.locator(Self.env, files: ["/home/ann/bg.yaml", "/bg.yaml"], cwd: "/work/sub").locate(explicitPath: "../../bg.yaml").found
        #expect(up?.path == "/bg.yaml")
    }

    @Test func loadReadsTheFoundFileAndNamesItAsFound() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bg locate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "aws: { profile: p }\n".write(to: dir.appendingPathComponent("breakglass.yaml"), atomically: true, encoding: .utf8)
        let loaded = try ConfigLocator(environment: [:], currentDirectory: dir.path).load(explicitPath: nil)
        #expect(loaded.config.aws.profile == "p")
        #expect(loaded.found?.source == .currentDirectory)
        try "aws: { profle: p }\n".write(to: dir.appendingPathComponent("breakglass.yaml"), atomically: true, encoding: .utf8)
        #expect(throws: SourceErrors(SourceError("unknown key `profle`; did you mean `profile`?", at: SourceLocation(file: "breakglass.yaml", line: 1, column: 8), field: FieldPath([.key("aws")])))) {
            try ConfigLocator(environment: [:], currentDirectory: dir.path).load(explicitPath: nil)
        }
    }
}

@Suite("Config values")
struct ConfigValueTests {
    @Test func timeWindows() throws {
        let utc = TimeZone(secondsFromGMT: 0) ?? .current
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = utc
        func date(_ weekdayOffset: Int, _ hour: Int, _ minute: Int = 0) -> Date {
            // 2024-01-01 was a Monday.
            calendar.date(from: DateComponents(year: 2024, month: 1, day: 1 + weekdayOffset, hour: hour, minute: minute)) ?? Date()
        }
        let office = try TimeWindow.parse("Mon-Fri 09:00-18:00").get()
        #expect(office.contains(date(0, 9)))
        #expect(office.contains(date(4, 17, 59)))
        #expect(!office.contains(date(4, 18)))
        #expect(!office.contains(date(5, 12)))
        let night = try TimeWindow.parse("22:00-06:00").get()
        #expect(night.contains(date(2, 23)) && night.contains(date(3, 5, 59)) && !night.contains(date(3, 6)))
        let weekendNights = try TimeWindow.parse("fri-sun 22:00-06:00").get()
        #expect(weekendNights.days == [5, 6, 7])
        #expect(weekendNights.contains(date(7, 1)), "Monday 01:00 belongs to Sunday night")
        #expect(!weekendNights.contains(date(4, 1)), "Friday 01:00 belongs to Thursday night")
        let paris = try TimeWindow.parse("Sat,Sun 10:00-12:00 Europe/Paris").get()
        #expect(paris.contains(date(5, 9, 30)), "09:30 UTC is 10:30 in Paris in January")
        #expect(!paris.contains(date(5, 11, 30)))
        #expect(try TimeWindow.parse("Fri-Mon 00:00-24:00").get().days == [5, 6, 7, 1])
        for (text, why) in [
            ("9-5", "expected a time range like 09:00-18:00"),
            ("Mon-Fri", "missing the time range"),
            ("Mon 09:00-09:00", "is empty"),
            ("Mon 24:00-02:00", "cannot start at 24:00"),
            ("Mon 09:00-18:00 Mars/Olympus", "unknown time zone"),
            ("Mon 09:00-18:60", "expected a time range"),
            ("Mon 09:00-18:00 UTC extra", "expected days, a time range"),
        ] {
            switch TimeWindow.parse(text) {
            case .success: Issue.record("\(text) parsed")
            case .failure(let e): #expect(e.description.contains(why), "\(text): \(e)")
            }
        }
    }

    @Test func alarmGlobs() {
        let cases: [(String, String, Bool)] = [
            ("prod-db-*", "prod-db-writer", true), ("prod-db-*", "prod-db-", true), ("prod-db-*", "prod-api", false),
            ("*", "", true), ("a?c", "abc", true), ("a?c", "ac", false), ("*-latency-*", "eu-api-latency-p99", true),
            ("a*b*c", "axxbyyc", true), ("a*b*c", "axxbyy", false), ("[x]", "[x]", true), ("exact", "exact", true), ("exact", "exactly", false),
        ]
        for (pattern, name, expected) in cases {
            #expect(AlarmMatch(alarm: pattern).matches(alarmName: name, region: "us-east-1") == expected, "\(pattern) ~ \(name)")
        }
        #expect(!AlarmMatch(alarm: "*", region: "eu-west-1").matches(alarmName: "x", region: "us-east-1"))
    }

    @Test func awsNames() {
        #expect(ConfigValues.isRegion("us-gov-west-1") && ConfigValues.isRegion("ap-southeast-4") && !ConfigValues.isRegion("useast1") && !ConfigValues.isRegion("US-EAST-1"))
        #expect(IAMRoleARN("arn:aws:iam::111122223333:role/a/b/name") == IAMRoleARN("arn:aws:iam::111122223333:role/a/b/name"))
        let arn = IAMRoleARN("arn:aws:iam::111122223333:role/team/ops/db-break-glass")
        #expect(arn?.account == "111122223333" && arn?.path == "/team/ops/" && arn?.name == "db-break-glass" && arn?.partition == "aws")
        #expect(IAMRoleARN("arn:aws:iam::111122223333:role/x")?.path == "/")
        for bad in ["arn:aws:iam::111122223333:rolex", "arn:aws:iam::111122223333:user/x", "arn:aws:iam::11112222333:role/x", "arn:aws:iam:us-east-1:111122223333:role/x", "arn:aws:iam::111122223333:role/"] {
            #expect(IAMRoleARN(bad) == nil, "\(bad)")
        }
        #expect(ConfigValues.isE164("+15555550100") && !ConfigValues.isE164("15555550100") && !ConfigValues.isE164("+1 555 555 0100"))
        #expect(ConfigValues.isMFASerial("arn:aws:iam::111122223333:mfa/alice") && ConfigValues.isMFASerial("GAHT12345678") && !ConfigValues.isMFASerial("short"))
        #expect(ConfigValues.isWebhookURL("https://x.example/h") && ConfigValues.isWebhookURL("http://localhost:9/h") && !ConfigValues.isWebhookURL("http://x.example/h") && !ConfigValues.isWebhookURL("ftp://x/"))
    }
}

@Suite("YAML reader")
struct YAMLReaderTests {
    /// A made-up format (a theme-like file) read with the same reader, as other loaders will.
    @Test func anotherLoaderReadsItsOwnFormat() throws {
        let text = """
            name: dusk
            roles:
              alarm: { fg: red, bold: true }
              ok: { fg: green, blink: true }
            steps:
              - say: hello
              - say: a
                do: b
              - {}
            """
        let document = try YAMLDocument.parse(text, file: "themes/dusk.yaml")
        var roles: [String] = []
        var kinds: [String] = []
        if let top = document.root?.mapping(allowed: ["name", "roles", "steps"]) {
            #expect(top.required("name")?.string() == "dusk")
            for entry in top["roles"]?.entries() ?? [] {
                roles.append(entry.key)
                _ = entry.value.mapping(allowed: ["fg", "bg", "bold"])
            }
            for step in top["steps"]?.list() ?? [] {
                if let m = step.mapping(allowed: ["say", "do"]), let kind = m.exactlyOne(of: ["say", "do"]) { kinds.append(kind.key) }
            }
        }
        #expect(roles == ["alarm", "ok"])
        #expect(kinds == ["say"])
        #expect(document.errors.map(\.description) == [
            "themes/dusk.yaml:4:20: roles.ok: unknown key `blink`; expected one of: fg, bg, bold",
            "themes/dusk.yaml:8:5: steps[1]: `say` and `do` cannot be used together; use exactly one of say, do",
            "themes/dusk.yaml:9:5: steps[2]: expected one of the keys say, do, found none",
        ])
        #expect(throws: SourceErrors.self) { try document.finish() }
    }

    @Test func scalarsAreReadStrictly() throws {
        let document = try YAMLDocument.parse("""
            n: 12
            big: 99999999999999999999
            hex: 0x1F
            s: 12
            b: false
            d: 1h0m5s
            e: ""
            q: "null"
            list: [a, b]
            one: a
            """, file: "t.yaml")
        let top = try #require(document.root?.mapping(allowed: ["n", "big", "hex", "s", "b", "d", "e", "q", "list", "one"]))
        #expect(top["n"]?.int() == 12)
        #expect(top["big"]?.int() == nil)
        #expect(top["hex"]?.int() == nil)
        #expect(top["s"]?.string() == "12")
        #expect(top["b"]?.bool() == false)
        #expect(top["d"]?.duration() == .seconds(3605))
        #expect(top["e"]?.string() == nil)
        #expect(top["e"]?.string(allowEmpty: true) == "")
        #expect(top["q"]?.string() == "null")
        #expect(top["list"]?.strings() == ["a", "b"])
        #expect(top["one"]?.strings() == ["a"])
        #expect(top["list"]?.string() == nil)
        #expect(document.errors.map(\.description) == [
            "t.yaml:2:6: big: expected a whole number, found 99999999999999999999",
            "t.yaml:3:6: hex: expected a whole number, found 0x1F",
            "t.yaml:7:4: e: expected a non-empty string, found \"\"",
            "t.yaml:9:7: list: expected a non-empty string, found a list",
        ])
    }

    @Test func fieldPathsQuoteKeysThatAreNotWords() {
        #expect(FieldPath([.key("contacts"), .key("on call"), .key("sms")]).description == "contacts[\"on call\"].sms")
        #expect(FieldPath([.key("steps"), .index(0), .key("with"), .key("DBClusters[0].Status")]).description == "steps[0].with[\"DBClusters[0].Status\"]")
        #expect(FieldPath.root.description == "")
    }

    @Test func suggestions() {
        #expect(Suggestion.closest(to: "escalaton", in: BreakglassConfig.topLevelKeys) == "escalation")
        #expect(Suggestion.closest(to: "primray", in: ["primary", "secondary"]) == "primary")
        #expect(Suggestion.closest(to: "Contacts", in: BreakglassConfig.topLevelKeys) == "contacts")
        #expect(Suggestion.closest(to: "xyz", in: BreakglassConfig.topLevelKeys) == nil)
        #expect(Suggestion.closest(to: "ab", in: ["aws"]) == nil)
        #expect(Suggestion.distance("kitten", "sitting") == 3)
        #expect(Suggestion.distance("ab", "ba") == 1)
    }
}
