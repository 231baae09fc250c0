import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

func runbookErrors(_ yaml: String, file: String = "r.yaml") -> [SourceError] {
    do {
        _ = try RunbookLoader.parse(yaml, file: file)
        return []
    } catch {
        return error.errors
    }
}

/// The example from DESIGN.md's "Runbooks" section, as written there.
let designRunbook = """
    id: rds-failover
    title: Fail over the primary database
    when: The writer is unhealthy and at least one replica is healthy.
    access: db-break-glass          # the role this runbook needs; its session policy is derived from the steps
    params:
      cluster: { default: prod-aurora, pattern: "^[a-z0-9-]+$" }
    steps:
      - say: Open the Alarms view and check that prod-db-writer-health is red.
      - check:                     # read-only call; shows expected vs actual; runs without confirmation
          call: rds.DescribeDBClusters
          with: { DBClusterIdentifier: "{{cluster}}" }
          expect: { "DBClusters[0].Status": available }
      - do:                        # mutating call; always confirmed; typed confirmation when `confirm: type`
          call: rds.FailoverDBCluster
          with: { DBClusterIdentifier: "{{cluster}}" }
          confirm: type
          explain: Swaps the writer. Open connections drop for about 30 seconds.
      - wait:
          call: rds.DescribeDBClusters
          with: { DBClusterIdentifier: "{{cluster}}" }
          until: { "DBClusters[0].Status": available }
          timeout: 10m
      - wait_alarm: { name: prod-db-writer-health, state: OK, timeout: 15m }
    """

@Suite("Runbook loading")
struct RunbookLoaderTests {
    @Test func theDesignsExampleLoadsWithEveryField() throws {
        let rb = try RunbookLoader.parse(designRunbook, file: "runbooks/rds-failover.yaml")
        #expect(rb.id == "rds-failover" && rb.title == "Fail over the primary database")
        #expect(rb.when == "The writer is unhealthy and at least one replica is healthy.")
        #expect(rb.access?.value == "db-break-glass")
        #expect(rb.access?.location == SourceLocation(file: "runbooks/rds-failover.yaml", line: 4, column: 9))
        #expect(rb.location == SourceLocation(file: "runbooks/rds-failover.yaml", line: 1, column: 5))
        #expect(rb.params.map(\.name) == ["cluster"])
        #expect(rb.params.first?.defaultValue == "prod-aurora")
        #expect(rb.params.first?.pattern?.value == "^[a-z0-9-]+$")
        #expect(rb.params.first?.field.description == "params.cluster")
        #expect(rb.steps.map(\.kindName) == ["say", "check", "do", "wait", "wait_alarm"])
        #expect(rb.steps.map(\.index) == [0, 1, 2, 3, 4])
        #expect(rb.steps.map(\.location.line) == [8, 9, 13, 18, 23])
        #expect(rb.steps[3].field.description == "steps[3]")

        guard case .say(let say) = rb.steps[0].kind, case .check(let check) = rb.steps[1].kind, case .do(let change) = rb.steps[2].kind,
            case .wait(let wait) = rb.steps[3].kind, case .waitAlarm(let alarm) = rb.steps[4].kind
        else {
            Issue.record("kinds")
            return
        }
        #expect(say.source == "Open the Alarms view and check that prod-db-writer-health is red.")
        #expect(check.call.operation.description == "rds.DescribeDBClusters")
        #expect(check.call.location == SourceLocation(file: "runbooks/rds-failover.yaml", line: 10, column: 13))
        #expect(check.call.input.map(\.key) == ["DBClusterIdentifier"])
        #expect(check.call.input.first?.value.templates.first?.parts == [.param("cluster")])
        #expect(check.expect.map(\.path.text) == ["DBClusters[0].Status"])
        #expect(check.expect.first?.value.written == "available")
        #expect(check.expect.first?.field.description == "steps[1].check.expect[\"DBClusters[0].Status\"]")
        #expect(change.confirm == .type)
        #expect(change.explain?.source == "Swaps the writer. Open connections drop for about 30 seconds.")
        #expect(change.call.resourceMember?.key == "DBClusterIdentifier")
        #expect(wait.timeout == .seconds(600) && wait.every == .seconds(10))
        #expect(wait.until.map(\.path.text) == ["DBClusters[0].Status"])
        #expect(alarm.name.source == "prod-db-writer-health" && alarm.state == .ok && alarm.timeout == .seconds(900) && alarm.region == nil)
        #expect(rb.steps.map(\.recordsOutput) == [false, true, true, true, false])
        #expect(rb.operations.map(\.description) == ["rds.DescribeDBClusters", "rds.FailoverDBCluster", "cloudwatch.DescribeAlarms"])
    }

    @Test func valuesKeepTheirTypes() throws {
        let rb = try RunbookLoader.parse("""
            id: v
            title: V
            params:
              n: { default: 8 }
              b: { default: true }
              s: { default: "8" }
            steps:
              - do:
                  call: rds.ModifyDBInstance
                  with: { DBInstanceIdentifier: db, AllocatedStorage: 100, ApplyImmediately: true, MonitoringInterval: 0.5, DBPortNumber: "5432", Domain: ~, VpcSecurityGroupIds: [sg-1, sg-2] }
                  explain: x
            """, file: "v.yaml")
        #expect(rb.params.map(\.defaultValue) == [.number("8"), .bool(true), .string("8")])
        let call = try #require(rb.steps.first?.call)
        #expect(call.input.map(\.value.written) == ["db", .number("100"), true, .number("0.5"), "5432", .null, ["sg-1", "sg-2"]])
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let yaml: String
        /// Every error, in order.
        let expected: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "empty file", yaml: "# nothing yet\n", expected: ["r.yaml:1:1: the file is empty; a runbook needs at least id, title and steps"]),
        Case(name: "YAML syntax", yaml: "id: a\ntitle: [T\nsteps: []\n", expected: ["r.yaml:3:6: YAML syntax: did not find expected ',' or ']' (while parsing a flow sequence at 2:8)"]),
        Case(name: "misspelled top-level key", yaml: "id: a\ntitel: T\nsteps:\n  - say: hi\n", expected: ["r.yaml:2:1: unknown key `titel`; did you mean `title`?"]),
        Case(name: "a key from elsewhere says what to use", yaml: "id: a\ntitle: T\nrole: db\nsteps:\n  - say: hi\n",
             expected: ["r.yaml:3:1: unknown key `role`; the break-glass role a runbook needs is `access`"]),
        Case(name: "missing id and steps", yaml: "title: T\n", expected: ["r.yaml:1:1: missing required key `id`", "r.yaml:1:1: missing required key `steps`"]),
        Case(name: "bad runbook id", yaml: "id: rds failover\ntitle: T\nsteps:\n  - say: hi\n",
             expected: ["r.yaml:1:5: id: runbook id `rds failover` may use only letters, digits, - and _ (and must start with a letter or digit)"]),
        Case(name: "no steps", yaml: "id: a\ntitle: T\nsteps: []\n", expected: ["r.yaml:3:8: steps: a runbook needs at least one step"]),
        Case(name: "a step that is only text", yaml: "id: a\ntitle: T\nsteps:\n  - Open the alarms view\n",
             expected: ["r.yaml:4:5: steps[0]: expected a step: a mapping with one of say, check, do, wait, wait_alarm, approve, page, query, found \"Open the alarms view\""]),
        Case(name: "two kinds in one step", yaml: "id: a\ntitle: T\nsteps:\n  - { say: a, page: { reason: b } }\n",
             expected: ["r.yaml:4:15: steps[0]: `say` and `page` cannot be used together; use exactly one of say, check, do, wait, wait_alarm, approve, page, query"]),
        Case(name: "misspelled kind is one error", yaml: "id: a\ntitle: T\nsteps:\n  - chek: { call: rds.DescribeDBClusters }\n",
             expected: ["r.yaml:4:5: steps[0]: unknown key `chek`; did you mean `check`?"]),
        Case(name: "explain beside the kind", yaml: "id: a\ntitle: T\nsteps:\n  - do: { call: rds.RebootDBInstance }\n    explain: Restarts it.\n",
             expected: ["r.yaml:5:5: steps[0]: unknown key `explain`; `explain` belongs inside the step's kind, e.g. `do: { call: …, explain: … }`"]),
        Case(name: "duplicate step id", yaml: "id: a\ntitle: T\nsteps:\n  - id: x\n    say: one\n  - id: x\n    say: two\n",
             expected: ["r.yaml:6:9: steps[1].id: step id `x` is already used by the step at line 4"]),
        Case(name: "bad step id", yaml: "id: a\ntitle: T\nsteps:\n  - id: find.me\n    say: one\n",
             expected: ["r.yaml:4:9: steps[0].id: step id `find.me` may use only letters, digits, - and _ (and must start with a letter or digit)"]),
        Case(name: "unquoted template", yaml: "id: a\ntitle: T\nsteps:\n  - check:\n      call: rds.DescribeDBClusters\n      with: { DBClusterIdentifier: {{cluster}} }\n",
             expected: ["r.yaml:6:36: steps[0].check.with.DBClusterIdentifier: a template must be quoted: YAML reads an unquoted {{…}} as a mapping; write \"{{name}}\""]),
        Case(name: "template syntax", yaml: "id: a\ntitle: T\nsteps:\n  - say: \"Hello {{cluster\"\n",
             expected: ["r.yaml:4:10: steps[0].say: `{{` is not closed by `}}` (at character 7)"]),
        Case(name: "call without a service", yaml: "id: a\ntitle: T\nsteps:\n  - check: { call: DescribeDBClusters }\n",
             expected: ["r.yaml:4:20: steps[0].check.call: expected an operation as service.Operation, e.g. rds.FailoverDBCluster, found \"DescribeDBClusters\""]),
        Case(name: "call missing", yaml: "id: a\ntitle: T\nsteps:\n  - check: { with: { DBClusterIdentifier: x } }\n",
             expected: ["r.yaml:4:12: steps[0].check: missing required key `call`"]),
        Case(name: "with is not a mapping", yaml: "id: a\ntitle: T\nsteps:\n  - check: { call: rds.DescribeDBClusters, with: prod-aurora }\n",
             expected: ["r.yaml:4:50: steps[0].check.with: expected a mapping of the operation's parameters, such as { DBClusterIdentifier: \"{{cluster}}\" }, found \"prod-aurora\""]),
        Case(name: "a path that does not parse", yaml: "id: a\ntitle: T\nsteps:\n  - check:\n      call: rds.DescribeDBClusters\n      expect: { \"DBClusters[x].Status\": available }\n",
             expected: ["r.yaml:6:17: steps[0].check.expect[\"DBClusters[x].Status\"]: `DBClusters[x].Status` is not a path into the answer: expected a non-negative index and ] (at character 12); paths look like DBClusters[0].Status"]),
        Case(name: "empty expect", yaml: "id: a\ntitle: T\nsteps:\n  - check: { call: rds.DescribeDBClusters, expect: {} }\n",
             expected: ["r.yaml:4:52: steps[0].check.expect: list at least one path and the value it must have, or leave `expect` out"]),
        Case(name: "confirm", yaml: "id: a\ntitle: T\nsteps:\n  - do: { call: rds.RebootDBInstance, confirm: typed, explain: x }\n",
             expected: ["r.yaml:4:48: steps[0].do.confirm: expected one of yes, type, found \"typed\"; did you mean `type`?"]),
        Case(name: "wait without until and timeout", yaml: "id: a\ntitle: T\nsteps:\n  - wait: { call: rds.DescribeDBClusters }\n",
             expected: ["r.yaml:4:11: steps[0].wait: missing required key `until`", "r.yaml:4:11: steps[0].wait: missing required key `timeout`"]),
        Case(name: "duration without a unit", yaml: "id: a\ntitle: T\nsteps:\n  - wait: { call: rds.DescribeDBClusters, until: { Marker: x }, timeout: 600 }\n",
             expected: ["r.yaml:4:74: steps[0].wait.timeout: expected a duration like 90s, 5m or 1h, found 600 (a number without a unit); add a unit, e.g. 600s or 600m"]),
        Case(name: "every longer than timeout", yaml: "id: a\ntitle: T\nsteps:\n  - wait: { call: rds.DescribeDBClusters, until: { Marker: x }, timeout: 1m, every: 2m }\n",
             expected: ["r.yaml:4:85: steps[0].wait.every: calling every 2m is less often than the timeout, 1m; make `every` shorter"]),
        Case(name: "alarm state", yaml: "id: a\ntitle: T\nsteps:\n  - wait_alarm: { name: x, state: GREEN, timeout: 5m }\n",
             expected: ["r.yaml:4:35: steps[0].wait_alarm.state: expected one of ALARM, INSUFFICIENT_DATA, OK, found \"GREEN\""]),
        Case(name: "alarm region", yaml: "id: a\ntitle: T\nsteps:\n  - wait_alarm: { name: x, state: OK, region: virginia, timeout: 5m }\n",
             expected: ["r.yaml:4:47: steps[0].wait_alarm.region: expected an AWS region such as us-east-1, found \"virginia\""]),
        Case(name: "approve without explain", yaml: "id: a\ntitle: T\nsteps:\n  - approve: { timeout: 5m }\n",
             expected: ["r.yaml:4:14: steps[0].approve: missing required key `explain`"]),
        Case(name: "page as text", yaml: "id: a\ntitle: T\nsteps:\n  - page: now\n",
             expected: ["r.yaml:4:11: steps[0].page: expected a page: a mapping with reason, such as { reason: Still failing after failover }, found \"now\""]),
        Case(name: "query limit", yaml: "id: a\ntitle: T\nsteps:\n  - query: { table: t, key: { pk: x }, limit: 5000 }\n",
             expected: ["r.yaml:4:47: steps[0].query.limit: expected a whole number from 1 to 1000, found 5000"]),
        Case(name: "key condition with two comparisons", yaml: "id: a\ntitle: T\nsteps:\n  - query: { table: t, key: { pk: x, sk: { \">\": 1, \"<\": 9 } }, limit: 5 }\n",
             expected: ["r.yaml:4:42: steps[0].query.key.sk: a key condition has one comparison; found >, <"]),
        Case(name: "key condition comparison", yaml: "id: a\ntitle: T\nsteps:\n  - query: { table: t, key: { pk: x, sk: { starts_with: A } }, limit: 5 }\n",
             expected: ["r.yaml:4:44: steps[0].query.key.sk: unknown key `starts_with`; expected one of: =, <, <=, >, >=, begins_with, between"]),
        Case(name: "between takes two values", yaml: "id: a\ntitle: T\nsteps:\n  - query: { table: t, key: { pk: x, sk: { between: [1] } }, limit: 5 }\n",
             expected: ["r.yaml:4:53: steps[0].query.key.sk.between: between takes two values, low and high; found 1"]),
        Case(name: "parameter named steps", yaml: "id: a\ntitle: T\nparams:\n  steps: { default: x }\nsteps:\n  - say: hi\n",
             expected: ["r.yaml:4:3: params.steps: `steps` cannot be a parameter's name: {{steps.ID.Path}} refers to a step's output"]),
        Case(name: "pattern that is not a regular expression", yaml: "id: a\ntitle: T\nparams:\n  c: { pattern: \"^[a-z\" }\nsteps:\n  - say: hi\n",
             expected: ["r.yaml:4:17: params.c.pattern: not a regular expression: "]),
        Case(name: "default that is a list", yaml: "id: a\ntitle: T\nparams:\n  c: { default: [a, b] }\nsteps:\n  - say: hi\n",
             expected: ["r.yaml:4:17: params.c.default: expected text, a number or true/false, found a list"]),
        Case(name: "default with a template", yaml: "id: a\ntitle: T\nparams:\n  c: { default: \"{{d}}\" }\nsteps:\n  - say: hi\n",
             expected: ["r.yaml:4:17: params.c.default: a default cannot use {{…}}; write the value itself"]),
        Case(name: "a number not in decimal", yaml: "id: a\ntitle: T\nsteps:\n  - do: { call: autoscaling.SetDesiredCapacity, with: { DesiredCapacity: 0x10 }, explain: x }\n",
             expected: ["r.yaml:4:74: steps[0].do.with.DesiredCapacity: expected a number written in decimal, such as 8 or 0.5, found 0x10; quote it if it is text"]),
    ]

    @Test(arguments: cases)
    func errorsNameFileLineColumnAndField(_ c: Case) {
        let errors = runbookErrors(c.yaml).map(\.description)
        if c.name == "pattern that is not a regular expression" {
            // The regular expression engine words the reason itself.
            #expect(errors.count == 1 && errors.first?.hasPrefix(c.expected[0]) == true, "\(errors)")
            return
        }
        #expect(errors == c.expected)
    }

    @Test func everyIndependentProblemIsReportedInOnePass() {
        let errors = runbookErrors("""
            id: a b
            title: T
            params:
              c: { default: x, patern: "^x$" }
            steps:
              - say: "{{c"
              - check: { call: rds, with: 5 }
              - wait_alarm: { name: x, state: ok, timeout: 5 }
            """)
        #expect(errors.map { "\($0.line):\($0.column) \($0.field)" } == [
            "1:5 id", "4:20 params.c", "6:10 steps[0].say", "7:20 steps[1].check.call", "7:31 steps[1].check.with",
            "8:35 steps[2].wait_alarm.state", "8:48 steps[2].wait_alarm.timeout",
        ])
    }

    // MARK: The JSON schema agrees with the loader

    static let schemaURL = repositoryRoot.appendingPathComponent("docs/schemas/runbook.schema.json")

    static func schema() throws -> AWSValue { try JSON.decode(Array(try Data(contentsOf: schemaURL))) }

    /// For each mapping in a runbook, the keys the loader accepts (it lists them when it meets an
    /// unknown key with no near match) are exactly the schema's properties there.
    @Test(arguments: [
        ("zzzzzz: 1", "properties", RunbookLoader.topLevelKeys),
        ("params: { p: { zzzzzz: 1 } }", "properties.params.additionalProperties.properties", RunbookLoader.paramKeys),
        ("steps: [ { zzzzzz: 1 } ]", "$defs.step.oneOf[*].properties", RunbookLoader.stepKeys),
        ("steps: [ { check: { zzzzzz: 1 } } ]", "$defs.step.oneOf[1].properties.check.properties", RunbookLoader.checkKeys),
        ("steps: [ { do: { zzzzzz: 1 } } ]", "$defs.step.oneOf[2].properties.do.properties", RunbookLoader.doKeys),
        ("steps: [ { wait: { zzzzzz: 1 } } ]", "$defs.step.oneOf[3].properties.wait.properties", RunbookLoader.waitKeys),
        ("steps: [ { wait_alarm: { zzzzzz: 1 } } ]", "$defs.step.oneOf[4].properties.wait_alarm.properties", RunbookLoader.waitAlarmKeys),
        ("steps: [ { approve: { zzzzzz: 1 } } ]", "$defs.step.oneOf[5].properties.approve.properties", RunbookLoader.approveKeys),
        ("steps: [ { page: { zzzzzz: 1 } } ]", "$defs.step.oneOf[6].properties.page.properties", RunbookLoader.pageKeys),
        ("steps: [ { query: { zzzzzz: 1 } } ]", "$defs.step.oneOf[7].properties.query.properties", RunbookLoader.queryKeys),
        ("steps: [ { query: { table: t, limit: 1, key: { k: { zzzzzz: 1 } } } } ]", "$defs.keyCondition.oneOf[1].properties", RunbookLoader.comparisonKeys),
    ])
    func schemaKeysAreTheLoadersKeys(_ yaml: String, _ schemaPath: String, _ loaderKeys: [String]) throws {
        let schema = try Self.schema()
        var schemaKeys: Set<String> = []
        if schemaPath.contains("[*]") {
            // Every step kind: `id` and its own key.
            for variant in schema["$defs"]?["step"]?["oneOf"]?.array ?? [] { schemaKeys.formUnion(variant["properties"]?.object?.keys ?? []) }
        } else {
            var node: AWSValue? = schema
            for part in schemaPath.split(separator: ".") {
                if let open = part.firstIndex(of: "["), let index = Int(part[part.index(after: open)...].dropLast()) {
                    node = node?[String(part[..<open])]?[index]
                } else {
                    node = node?[String(part)]
                }
            }
            schemaKeys = Set(try #require(node?.object?.keys, "\(schemaPath)"))
        }
        #expect(schemaKeys == Set(loaderKeys), "\(schemaPath)")
        let message = try #require(runbookErrors("id: a\ntitle: T\n" + yaml).first { $0.message.hasPrefix("unknown key `zzzzzz`") }?.message, "\(yaml)")
        let listed = message.components(separatedBy: "expected one of: ").last ?? ""
        #expect(Set(listed.components(separatedBy: ", ")) == Set(loaderKeys), "\(message)")
    }

    @Test func theSchemaNamesEveryStepKindInOrder() throws {
        let variants = try #require(try Self.schema()["$defs"]?["step"]?["oneOf"]?.array)
        let kinds = variants.compactMap { $0["required"]?[0]?.string }
        #expect(kinds == RunbookStep.kindNames)
        #expect(try Self.schema()["required"] == ["id", "title", "steps"])
    }

    static let hasPythonJSONSchema: Bool = {
        let probe = try? Subprocess.run("/usr/bin/env", ["python3", "-c", "import jsonschema, yaml"], timeout: 30)
        return probe?.status == 0
    }()

    /// Every shipped runbook is valid under the schema, and the schema refuses what the loader or lint
    /// refuses (python3's jsonschema; documents read with PyYAML).
    @Test(.enabled(if: hasPythonJSONSchema, "python3 with jsonschema and PyYAML is not installed"))
    func shippedRunbooksValidateAndBrokenOnesDoNot() throws {
        let folder = repositoryRoot.appendingPathComponent("runbooks")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        try #require(files.count >= 10)
        let broken = [
            designRunbook.replacingOccurrences(of: "      explain: Swaps the writer. Open connections drop for about 30 seconds.\n", with: ""),
            designRunbook + "\n  - query: { table: orders, scan: true, limit: 5 }\n",
            designRunbook + "\n  - query: { table: orders, limit: 5 }\n",
            designRunbook + "\n  - query: { table: orders, key: { pk: a, sk: { starts_with: b } }, limit: 5 }\n",
            designRunbook.replacingOccurrences(of: "cluster: { default", with: "steps: { default"),
            designRunbook.replacingOccurrences(of: "timeout: 10m", with: "timeout: 10 minutes"),
        ]
        let script = """
            import json, sys, yaml
            from jsonschema import Draft202012Validator
            validator = Draft202012Validator(json.load(open(sys.argv[1])))
            print(json.dumps([[e.message for e in validator.iter_errors(yaml.safe_load(open(p)))] for p in sys.argv[2:]]))
            """
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bg-runbook-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var paths = files.map { folder.appendingPathComponent($0).path }
        for (i, text) in ([designRunbook] + broken).enumerated() {
            let p = dir.appendingPathComponent("\(i).yaml").path
            try text.write(toFile: p, atomically: true, encoding: .utf8)
            paths.append(p)
        }
        let result = try Subprocess.run("/usr/bin/env", ["python3", "-c", script, Self.schemaURL.path] + paths, timeout: 60)
        try #require(result.status == 0, "\(result.stderr)")
        let verdicts = (try JSON.decode(result.stdout).array ?? []).map { ($0.array ?? []).compactMap(\.string) }
        try #require(verdicts.count == files.count + 1 + broken.count)
        for (file, errors) in zip(files, verdicts) { #expect(errors == [], "\(file): \(errors)") }
        #expect(verdicts[files.count] == [], "the DESIGN example: \(verdicts[files.count])")
        for (i, errors) in verdicts.suffix(broken.count).enumerated() { #expect(!errors.isEmpty, "broken case \(i) passed the schema") }
    }

    // MARK: Discovery

    /// Runbook folders in memory: folder -> file name -> text.
    static func fileSystem(_ folders: [String: [String: String]]) -> RunbookFileSystem {
        RunbookFileSystem(
            list: { folder in
                guard let files = folders[folder] else { return folders.keys.contains { $0.hasPrefix(folder + "/") } ? .files([]) : .missing }
                return .files(files.keys.sorted())
            },
            load: { path, display in
                let folder = (path as NSString).deletingLastPathComponent
                let name = (path as NSString).lastPathComponent
                guard let text = folders[folder]?[name] else { return .failure(SourceErrors(SourceError("cannot read the file: No such file or directory", at: .file(display)))) }
                do throws(SourceErrors) { return .success(try RunbookLoader.parse(text, file: display)) } catch { return .failure(error) }
            })
    }

    static func runbook(_ id: String) -> String { "id: \(id)\ntitle: \(id)\nsteps:\n  - say: hi\n" }

    static func config(_ yaml: String, file: String) throws -> BreakglassConfig {
        var config = try ConfigLoader.parse(yaml, file: file)
        config.file = file
        return config
    }

    @Test func foldersAreSearchedInOrderEachOnce() throws {
        let discovery = RunbookDiscovery(currentDirectory: "/work", home: "/home/ann", fileSystem: Self.fileSystem([:]))
        #expect(discovery.folders(BreakglassConfig()).map(\.path) == ["/work/runbooks"])
        let config = try Self.config("runbooks: [../shared, ~/mine, /srv/runbooks, runbooks]\n", file: "/etc/breakglass/breakglass.yaml")
        #expect(discovery.folders(config).map(\.path) == ["/work/runbooks", "/etc/breakglass/runbooks", "/etc/shared", "/home/ann/mine", "/srv/runbooks"])
        // A configuration in the current folder: ./runbooks is also the folder beside it.
        let local = try Self.config("runbooks: extra\n", file: "/work/breakglass.yaml")
        #expect(discovery.folders(local).map(\.path) == ["/work/runbooks", "/work/extra"])
        #expect(discovery.display("/work/runbooks/a.yaml") == "runbooks/a.yaml")
        #expect(discovery.display("/home/ann/mine/a.yaml") == "~/mine/a.yaml")
        #expect(discovery.display("/srv/runbooks/a.yaml") == "/srv/runbooks/a.yaml")
    }

    @Test func aDuplicateIDNamesBothFiles() throws {
        let fs = Self.fileSystem([
            "/work/runbooks": ["a.yaml": Self.runbook("restart-api"), "b.yaml": Self.runbook("scale")],
            "/srv/team": ["other.yaml": "# the same id, written later\n" + Self.runbook("restart-api")],
        ])
        let config = try Self.config("runbooks: /srv/team\n", file: "/etc/bg.yaml")
        let catalog = RunbookDiscovery(currentDirectory: "/work", home: "/home/ann", fileSystem: fs).catalog(config)
        #expect(catalog.problems.map(\.description) == [
            "/srv/team/other.yaml:2:5: id: runbook id `restart-api` is also used by runbooks/a.yaml:1:5; ids must be unique across every runbook folder"
        ])
        #expect(catalog.runbooks.map(\.id) == ["restart-api", "scale"])
        #expect(catalog.runbook("restart-api")?.file == "runbooks/a.yaml")
        #expect(catalog.duplicatedIDs == ["restart-api"])
        #expect(catalog.files == ["runbooks/a.yaml", "runbooks/b.yaml", "/srv/team/other.yaml"])
    }

    @Test func brokenFilesAndMissingFoldersAreReportedAndTheRestStillLoads() throws {
        let fs = Self.fileSystem([
            "/work/runbooks": ["bad.yaml": "id: bad\ntitle: B\nsteps: []\n", "good.yaml": Self.runbook("good")],
        ])
        let config = try Self.config("response:\n  - { match: { alarm: x }, severity: 1, escalation: p, runbooks: [good, god] }\nescalation: { p: { stages: [{ notify: c, wait: 1m }] } }\ncontacts: { c: {} }\nrunbooks: [gone]\n", file: "/work/breakglass.yaml")
        let catalog = RunbookDiscovery(currentDirectory: "/work", home: "/h", fileSystem: fs).catalog(config)
        #expect(catalog.runbooks.map(\.id) == ["good"])
        #expect(catalog.problems.map(\.description) == ["runbooks/bad.yaml:3:8: steps: a runbook needs at least one step"])
        #expect(catalog.unreadable.map(\.description) == ["/work/breakglass.yaml:5:12: runbooks: the runbook folder `gone` does not exist (/work/gone)"])
        #expect(catalog.failedFiles == ["runbooks/bad.yaml"])
        // While a file fails to load, an unknown id in a response rule may be in it: not reported.
        #expect(catalog.configProblems(config) == [])
        let fixed = RunbookDiscovery(currentDirectory: "/work", home: "/h", fileSystem: Self.fileSystem(["/work/runbooks": ["good.yaml": Self.runbook("good")]])).catalog(config)
        #expect(fixed.configProblems(config).map(\.description) == ["/work/breakglass.yaml:2:73: response[0].runbooks: unknown runbook `god`; did you mean `good`?"])
    }

    @Test func namedFilesAreCheckedAgainstTheDiscoveredOnes() throws {
        let fs = Self.fileSystem([
            "/work/runbooks": ["a.yaml": Self.runbook("a"), "broken.yaml": "id: [\n"],
            "/tmp/new": ["n.yaml": Self.runbook("a"), "m.yaml": Self.runbook("m")],
        ])
        let discovery = RunbookDiscovery(currentDirectory: "/work", home: "/h", fileSystem: fs)
        let catalog = discovery.catalog(BreakglassConfig(), files: ["../tmp/new/n.yaml", "/tmp/new/m.yaml", "runbooks/a.yaml"])
        // Only the named files are reported on (runbooks/broken.yaml is not): those discovered first, then the others as named.
        #expect(catalog.files == ["runbooks/a.yaml", "../tmp/new/n.yaml", "/tmp/new/m.yaml"])
        #expect(catalog.checked.map(\.id) == ["a", "m"])
        #expect(catalog.problems.map(\.description) == ["../tmp/new/n.yaml:1:5: id: runbook id `a` is also used by runbooks/a.yaml:1:5; ids must be unique across every runbook folder"])
        // A named file that a discovered one duplicates: the problem is shown at the named file.
        let only = discovery.catalog(BreakglassConfig(), files: ["/tmp/new/n.yaml"])
        #expect(only.problems.map(\.file) == ["/tmp/new/n.yaml"])
        let missing = discovery.catalog(BreakglassConfig(), files: ["nope.yaml"])
        #expect(missing.unreadable.map(\.description) == ["nope.yaml: cannot read the file: No such file or directory"])
        #expect(missing.problems.isEmpty && missing.failedFiles == ["nope.yaml"])
    }

    @Test func theDiskIsReadWithTheRealLoader() throws {
        let home = try TemporaryHome()
        let folder = home.path + "/runbooks"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Self.runbook("z").write(toFile: folder + "/z.yaml", atomically: true, encoding: .utf8)
        try Self.runbook("a").write(toFile: folder + "/a.yml", atomically: true, encoding: .utf8)
        try "not a runbook".write(toFile: folder + "/notes.txt", atomically: true, encoding: .utf8)
        try Self.runbook("hidden").write(toFile: folder + "/.#z.yaml", atomically: true, encoding: .utf8)
        let catalog = RunbookDiscovery(currentDirectory: home.path, home: "/nonexistent").catalog(BreakglassConfig())
        #expect(catalog.runbooks.map(\.id) == ["a", "z"])
        #expect(catalog.files == ["runbooks/a.yml", "runbooks/z.yaml"])
        #expect(catalog.problems.isEmpty && catalog.unreadable.isEmpty)
    }
}
