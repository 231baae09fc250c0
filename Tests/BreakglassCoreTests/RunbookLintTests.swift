import BreakglassAWS
import BreakglassCore
import Foundation
import Testing

/// Every problem `RunbookLinter` finds, each at its `file:line:column` and field.
func lintProblems(_ yaml: String, config: BreakglassConfig? = nil, file: String = "r.yaml") throws -> [String] {
    let runbook = try RunbookLoader.parse(yaml, file: file)
    return RunbookLinter.lint(runbook, config: config).map(\.description)
}

@Suite("Runbook lint")
struct RunbookLintTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let yaml: String
        let expected: [String]
        var testDescription: String { name }
    }

    /// Each runbook below has exactly the problems listed. Lines and columns are 1-based.
    static let cases: [Case] = [
        Case(name: "unknown operation, with the nearest and the service's operations", yaml: """
            id: a
            title: A
            steps:
              - check: { call: rds.DescribeDbClusters }
            """,
            expected: ["r.yaml:4:20: steps[0].check.call: rds has no operation `DescribeDbClusters` in Breakglass's catalog; did you mean `DescribeDBClusters`? (rds has DescribeDBInstances, DescribeDBClusters, RebootDBInstance, FailoverDBCluster, ModifyDBInstance, CreateDBCluster, CreateDBInstance)"]),
        Case(name: "an operation the catalog does not hold", yaml: """
            id: a
            title: A
            steps:
              - do: { call: rds.DeleteDBCluster, with: { DBClusterIdentifier: x }, explain: Deletes it. }
            """,
            expected: ["r.yaml:4:17: steps[0].do.call: rds has no operation `DeleteDBCluster` in Breakglass's catalog (rds has DescribeDBInstances, DescribeDBClusters, RebootDBInstance, FailoverDBCluster, ModifyDBInstance, CreateDBCluster, CreateDBInstance)"]),
        Case(name: "unknown service", yaml: """
            id: a
            title: A
            steps:
              - check: { call: rdss.DescribeDBClusters }
            """,
            expected: ["r.yaml:4:20: steps[0].check.call: unknown service `rdss`; did you mean `rds`? (Breakglass's catalog has cloudwatch, ec2, autoscaling, ecs, rds, elbv2, dynamodb, sqs, lambda, sts, iam, sns, logs, ssm)"]),
        Case(name: "a check that changes something", yaml: """
            id: a
            title: A
            steps:
              - check:
                  call: rds.FailoverDBCluster
                  with: { DBClusterIdentifier: prod-aurora }
            """,
            expected: ["r.yaml:5:13: steps[0].check.call: a `check` step only reads, but rds.FailoverDBCluster changes something in AWS; use a `do` step, which is confirmed before it is sent"]),
        Case(name: "a wait that changes something", yaml: """
            id: a
            title: A
            steps:
              - wait:
                  call: sqs.PurgeQueue
                  with: { QueueUrl: q }
                  until: { Marker: x }
                  timeout: 1m
            """,
            expected: ["r.yaml:5:13: steps[0].wait.call: a `wait` step only reads, but sqs.PurgeQueue changes something in AWS; use a `do` step, which is confirmed before it is sent"]),
        Case(name: "a do that only reads", yaml: """
            id: a
            title: A
            steps:
              - do:
                  call: rds.DescribeDBClusters
                  explain: Looks.
            """,
            expected: ["r.yaml:5:13: steps[0].do.call: rds.DescribeDBClusters only reads; a `do` step is for changes and is confirmed first. Use a `check` step (or a `wait` to repeat it until it matches)"]),
        Case(name: "missing required parameter", yaml: """
            id: a
            title: A
            steps:
              - do:
                  call: autoscaling.SetDesiredCapacity
                  with: { AutoScalingGroupName: prod-web }
                  explain: Scales.
            """,
            expected: ["r.yaml:6:13: steps[0].do.with: missing required parameter `DesiredCapacity` for autoscaling.SetDesiredCapacity"]),
        Case(name: "missing required parameters and no with", yaml: """
            id: a
            title: A
            steps:
              - do: { call: lambda.PutFunctionConcurrency, explain: Freezes. }
            """,
            expected: [
                "r.yaml:4:17: steps[0].do.call: lambda.PutFunctionConcurrency needs the parameter `FunctionName`; give it under `with`",
                "r.yaml:4:17: steps[0].do.call: lambda.PutFunctionConcurrency needs the parameter `ReservedConcurrentExecutions`; give it under `with`",
            ]),
        Case(name: "misspelled parameter is one problem", yaml: """
            id: a
            title: A
            steps:
              - do:
                  call: rds.FailoverDBCluster
                  with:
                    DBClusterIdentifer: prod-aurora
                  confirm: type
                  explain: Swaps the writer.
            """,
            expected: ["r.yaml:7:9: steps[0].do.with: rds.FailoverDBCluster has no parameter `DBClusterIdentifer`; did you mean `DBClusterIdentifier`?"]),
        Case(name: "unknown parameter lists the few there are", yaml: """
            id: a
            title: A
            steps:
              - do:
                  call: rds.FailoverDBCluster
                  with: { DBClusterIdentifier: prod-aurora, Force: true }
                  explain: Swaps the writer.
            """,
            expected: ["r.yaml:6:49: steps[0].do.with: rds.FailoverDBCluster has no parameter `Force`; it takes DBClusterIdentifier, TargetDBInstanceIdentifier"]),
        Case(name: "unknown parameter of an operation that takes many", yaml: """
            id: a
            title: A
            steps:
              - do:
                  call: rds.ModifyDBInstance
                  with: { DBInstanceIdentifier: db, Colour: blue }
                  explain: Paints it.
            """,
            expected: ["r.yaml:6:41: steps[0].do.with: rds.ModifyDBInstance has no parameter `Colour`; see its API reference for the \(AWSCatalog.operation(service: "rds", name: "ModifyDBInstance")?.inputs.count ?? 0) it takes"]),
        Case(name: "unknown template parameter with a suggestion", yaml: """
            id: a
            title: A
            params:
              cluster: { default: prod-aurora }
            steps:
              - check:
                  call: rds.DescribeDBClusters
                  with: { DBClusterIdentifier: "{{clustr}}" }
            """,
            expected: ["r.yaml:8:36: steps[0].check.with.DBClusterIdentifier: unknown parameter `clustr` in {{clustr}}; did you mean `cluster`?"]),
        Case(name: "unknown template parameter in a runbook without params", yaml: """
            id: a
            title: A
            steps:
              - say: Check {{alarm}} in the Alarms view.
            """,
            expected: ["r.yaml:4:10: steps[0].say: unknown parameter `alarm` in {{alarm}}; the runbook has no `params`"]),
        Case(name: "unknown template parameter among several", yaml: """
            id: a
            title: A
            params: { cluster: {}, instance: {} }
            steps:
              - wait_alarm: { name: "{{alarm}}", state: OK, timeout: 5m }
            """,
            expected: ["r.yaml:5:25: steps[0].wait_alarm.name: unknown parameter `alarm` in {{alarm}}; the runbook's parameters are cluster, instance"]),
        Case(name: "output of a step that does not exist", yaml: """
            id: a
            title: A
            steps:
              - id: find
                check: { call: dynamodb.DescribeTable, with: { TableName: t } }
              - say: "Status: {{steps.fnd.Table.TableStatus}}"
            """,
            expected: ["r.yaml:6:10: steps[1].say: no step has the id `fnd` (in {{steps.fnd.Table.TableStatus}}); did you mean `find`?"]),
        Case(name: "output of a later step", yaml: """
            id: a
            title: A
            steps:
              - say: "It had {{steps.after.Table.ItemCount}} items"
              - id: after
                check: { call: dynamodb.DescribeTable, with: { TableName: t } }
            """,
            expected: ["r.yaml:4:10: steps[0].say: step `after` (steps[1]) runs after this one, so its output does not exist yet; a step can only use the outputs of steps before it (in {{steps.after.Table.ItemCount}})"]),
        Case(name: "a step's own output", yaml: """
            id: a
            title: A
            steps:
              - id: w
                wait:
                  call: dynamodb.DescribeTable
                  with: { TableName: t }
                  until: { Table.ItemCount: "{{steps.w.Table.ItemCount}}" }
                  timeout: 5m
            """,
            expected: ["r.yaml:8:33: steps[0].wait.until[\"Table.ItemCount\"]: {{steps.w.Table.ItemCount}} refers to this step's own output; a step can only use the outputs of steps before it"]),
        Case(name: "output of a step that records none", yaml: """
            id: a
            title: A
            steps:
              - id: note
                say: Write down the time.
              - page: { reason: "{{steps.note.text}}" }
            """,
            expected: ["r.yaml:6:21: steps[1].page.reason: step `note` is a `say` step and records no output; only check, do, wait and query steps do (in {{steps.note.text}})"]),
        Case(name: "a do without explain", yaml: """
            id: a
            title: A
            steps:
              - do:
                  call: rds.RebootDBInstance
                  with: { DBInstanceIdentifier: prod-aurora-1 }
            """,
            expected: ["r.yaml:4:5: steps[0].do: a `do` step needs `explain`: say in plain words what it changes and what people will notice"]),
        Case(name: "a query without key conditions", yaml: """
            id: a
            title: A
            steps:
              - query: { table: orders, limit: 10 }
            """,
            expected: ["r.yaml:4:12: steps[0].query: a query needs key conditions: `key` with the partition key's value, such as { pk: \"{{customer}}\" } (a table scan needs `scan: true` and a `reason`)"]),
        Case(name: "a scan without reason", yaml: """
            id: a
            title: A
            steps:
              - query:
                  table: orders
                  scan: true
                  limit: 10
            """,
            expected: ["r.yaml:6:13: steps[0].query.scan: a scan reads the whole table and can use up its read capacity; add a `reason` that says why that is acceptable here, or query by key instead"]),
        Case(name: "a scan with key conditions", yaml: """
            id: a
            title: A
            steps:
              - query: { table: orders, scan: true, reason: tiny table, key: { pk: x }, limit: 10 }
            """,
            expected: ["r.yaml:4:66: steps[0].query.key: a scan takes no key conditions; remove `key`, or remove `scan: true` to query by key"]),
        Case(name: "three key conditions", yaml: """
            id: a
            title: A
            steps:
              - query: { table: orders, key: { pk: x, sk: { begins_with: y }, status: open }, limit: 10 }
            """,
            expected: ["r.yaml:4:67: steps[0].query.key: a query has at most two key conditions: the partition key and, optionally, the sort key; filter on other attributes after reading"]),
        Case(name: "no equality on the partition key", yaml: """
            id: a
            title: A
            steps:
              - query: { table: orders, key: { sk: { ">=": 5 } }, limit: 10 }
            """,
            expected: ["r.yaml:4:36: steps[0].query.key.sk: the partition key needs an equality condition (`sk: value`); >= can only apply to the sort key"]),
        Case(name: "two range conditions", yaml: """
            id: a
            title: A
            steps:
              - query: { table: orders, key: { pk: { "<": 1 }, sk: { begins_with: y } }, limit: 10 }
            """,
            expected: ["r.yaml:4:36: steps[0].query.key.pk: the partition key needs an equality condition (`pk: value`); < can only apply to the sort key"]),
        Case(name: "a default that does not match its pattern", yaml: """
            id: a
            title: A
            params:
              cluster: { default: Prod_Aurora, pattern: "^[a-z0-9-]+$" }
              desired: { default: 120, pattern: "^[0-9]{1,2}$" }
            steps:
              - say: "{{cluster}} {{desired}}"
            """,
            expected: [
                "r.yaml:4:23: params.cluster.default: the default \"Prod_Aurora\" does not match the pattern ^[a-z0-9-]+$",
                "r.yaml:5:23: params.desired.default: the default \"120\" does not match the pattern ^[0-9]{1,2}$",
            ]),
        Case(name: "several problems, in file order", yaml: """
            id: a
            title: A
            params: { table: { default: orders } }
            steps:
              - id: before
                check: { call: dynamodb.DescribeTable, with: { TableNme: "{{table}}" } }
              - do:
                  call: dynamodb.UpdateTable
                  with: { TableName: "{{steps.before.Table.TableName}}", BillingMode: "{{mode}}" }
            """,
            expected: [
                "r.yaml:6:52: steps[0].check.with: dynamodb.DescribeTable has no parameter `TableNme`; did you mean `TableName`?",
                "r.yaml:7:5: steps[1].do: a `do` step needs `explain`: say in plain words what it changes and what people will notice",
                "r.yaml:9:75: steps[1].do.with.BillingMode: unknown parameter `mode` in {{mode}}; the runbook's parameters are table",
            ]),
    ]

    @Test(arguments: cases)
    func eachProblemIsAtItsFileLineColumnAndField(_ c: Case) throws {
        #expect(try lintProblems(c.yaml) == c.expected)
    }

    /// The same runbooks without the problem lint clean, so each case above tests one thing.
    @Test func aGoodRunbookHasNoProblems() throws {
        #expect(try lintProblems(designRunbook) == [])
        #expect(try lintProblems("""
            id: a
            title: A
            params: { customer: { default: c-1 } }
            steps:
              - id: find
                query: { table: orders, key: { pk: "{{customer}}", sk: { begins_with: "2024-" } }, limit: 10 }
              - id: scan
                query: { table: settings, scan: true, reason: Twelve rows; never grows., limit: 20 }
              - say: "First order: {{steps.find.Items[0].sk.S}}; {{steps.scan.Count}} settings"
            """) == [])
    }

    // MARK: Access roles, against the configuration

    static let config = """
        access:
          roles:
            db-break-glass: { arn: "arn:aws:iam::111122223333:role/db-break-glass" }
            app-break-glass: { arn: "arn:aws:iam::111122223333:role/app-break-glass" }
        """

    @Test func anAccessRoleMustBeDefinedInTheConfiguration() throws {
        let config = try ConfigLoader.parse(Self.config, file: "breakglass.yaml")
        let misspelled = designRunbook.replacingOccurrences(of: "access: db-break-glass", with: "access: db-breakglass")
        #expect(try lintProblems(misspelled, config: config) == [
            "r.yaml:4:9: access: role `db-breakglass` is not defined under access.roles in breakglass.yaml; did you mean `db-break-glass`?"
        ])
        let other = designRunbook.replacingOccurrences(of: "access: db-break-glass", with: "access: ops")
        #expect(try lintProblems(other, config: config) == [
            "r.yaml:4:9: access: role `ops` is not defined under access.roles in breakglass.yaml; the configuration in breakglass.yaml defines `db-break-glass`, `app-break-glass`"
        ])
        #expect(try lintProblems(designRunbook, config: try ConfigLoader.parse("aws: { regions: [us-east-1] }\n", file: "bg.yaml")) == [
            "r.yaml:4:9: access: role `db-break-glass` is not defined under access.roles in bg.yaml; the configuration in bg.yaml defines no roles"
        ])
        // Without a configuration there is nothing to check the role against.
        #expect(try lintProblems(misspelled) == [])
        #expect(try lintProblems(designRunbook, config: config) == [])
    }

    // MARK: The shipped runbooks

    static func shipped() throws -> [Runbook] {
        let folder = repositoryRoot.appendingPathComponent("runbooks").path
        return try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }.sorted().map { name in
            try RunbookLoader.load(path: folder + "/" + name, displayPath: "runbooks/" + name)
        }
    }

    @Test func everyShippedRunbookLintsClean() throws {
        let config = try ConfigLoader.parse(Self.config, file: "breakglass.yaml")
        let runbooks = try Self.shipped()
        try #require(runbooks.count >= 10)
        for runbook in runbooks {
            #expect(RunbookLinter.lint(runbook).map(\.description) == [], "\(runbook.file)")
            #expect(RunbookLinter.lint(runbook, config: config).map(\.description) == [], "\(runbook.file)")
            #expect(runbook.file == "runbooks/\(runbook.id).yaml", "a runbook's file is named after its id")
            #expect(runbook.when?.isEmpty == false, "\(runbook.id) says when to use it")
            for step in runbook.steps {
                if case .do(let d) = step.kind { #expect((d.explain?.source.count ?? 0) >= 40, "\(runbook.id) \(step.field) explains itself") }
            }
        }
        #expect(Set(runbooks.map(\.id)).count == runbooks.count)
    }

    /// Each incident DESIGN.md lists has a runbook, making the call that fixes it.
    @Test func theShippedRunbooksCoverTheDesignsIncidents() throws {
        let runbooks = try Self.shipped()
        func calls(_ id: String) -> [String] {
            runbooks.first { $0.id == id }?.steps.compactMap { step in step.operation.map { op in
                // `ecs.UpdateService` twice, once forcing a new deployment and once setting the count.
                let detail = step.call?.input.map(\.key).filter { ["forceNewDeployment", "desiredCount"].contains($0) }.first.map { "+" + $0 } ?? ""
                return op.description + detail
            } } ?? []
        }
        #expect(calls("ec2-reboot").contains("ec2.RebootInstances"))
        #expect(calls("asg-scale-out").contains("autoscaling.SetDesiredCapacity"))
        #expect(calls("ecs-redeploy").contains("ecs.UpdateService+forceNewDeployment"))
        #expect(calls("ecs-scale").contains("ecs.UpdateService+desiredCount"))
        #expect(calls("rds-reboot").contains("rds.RebootDBInstance"))
        #expect(calls("rds-failover").contains("rds.FailoverDBCluster"))
        #expect(calls("db-overload").contains("rds.ModifyDBInstance"))
        #expect(calls("freeze-ingestion").contains("lambda.PutFunctionConcurrency") && calls("freeze-ingestion").contains("lambda.DeleteFunctionConcurrency"))
        #expect(calls("sqs-flush").contains("sqs.PurgeQueue"))
        #expect(calls("dynamodb-hot-key").contains("dynamodb.UpdateTable") && calls("dynamodb-hot-key").contains("dynamodb.Query"))

        // Roll back: pause-workers records the count at the start and its last change puts back that
        // recorded value, not a number written in the file.
        let pause = try #require(runbooks.first { $0.id == "pause-workers" })
        let changes = pause.steps.compactMap { step -> RunbookStep.Do? in if case .do(let d) = step.kind { d } else { nil } }
        try #require(changes.count == 2)
        let restored = try #require(changes[1].call.input.first { $0.key == "desiredCount" }?.value.templates.first)
        #expect(restored.isSingleExpression && restored.outputs.map(\.step) == ["before"])
        #expect(restored.outputs.first?.path.text == "services[0].desiredCount")
        let recorded = try #require(pause.step(id: "before"))
        #expect(recorded.index == 1 && recorded.call?.operation.description == "ecs.DescribeServices")
    }

    /// Defaults fit the demo's holiday-sale scenario: every alarm a runbook waits for is one the demo
    /// has (or DESIGN.md's prod-db-writer-health), and every runbook runs on its defaults alone.
    @Test func defaultsMatchTheDemoAndRenderWithoutAnyValueGiven() throws {
        let demo = try ScenarioLoader.load(path: repositoryRoot.appendingPathComponent("scenarios/holiday-sale.yaml").path)
        let alarms = Set(demo.resources.alarms.map(\.name) + ["prod-db-writer-health"])
        for runbook in try Self.shipped() {
            let params = try RunbookParams.resolve(runbook, given: [:]).get()
            let context = RunbookRenderContext(params: params)
            for step in runbook.steps {
                if case .waitAlarm(let w) = step.kind {
                    let name = try w.name.renderText(context)
                    #expect(alarms.contains(name), "\(runbook.id): \(name)")
                }
                // Whatever uses only parameters renders; what uses outputs waits for the run.
                for template in step.templates where template.outputs.isEmpty {
                    #expect(throws: Never.self, "\(runbook.id) \(template.field)") { try template.render(context) }
                }
            }
            for say in runbook.steps.compactMap({ s -> RunbookTemplate? in if case .say(let t) = s.kind { t } else { nil } }) {
                #expect(!say.display(context).contains("{{") || !say.outputs.isEmpty, "\(runbook.id): \(say.source)")
            }
        }
    }

    // MARK: The catalog's input members

    @Test func everyCatalogOperationDescribesItsInputs() {
        let names = Set(AWSCatalog.operations.map { "\($0.service.name).\($0.name)" })
        #expect(Set(AWSCatalog.inputs.keys) == names)
        for op in AWSCatalog.operations where op.name != "GetCallerIdentity" {
            #expect(!op.inputs.isEmpty, "\(op.service.name).\(op.name)")
            #expect(Set(op.inputs.map(\.name)).count == op.inputs.count, "\(op.service.name).\(op.name) lists a member twice")
        }
    }

    @Test(arguments: [
        ("rds", "FailoverDBCluster", ["DBClusterIdentifier"], ["DBClusterIdentifier", "TargetDBInstanceIdentifier"]),
        ("rds", "RebootDBInstance", ["DBInstanceIdentifier"], ["DBInstanceIdentifier", "ForceFailover"]),
        ("autoscaling", "SetDesiredCapacity", ["AutoScalingGroupName", "DesiredCapacity"], ["AutoScalingGroupName", "DesiredCapacity", "HonorCooldown"]),
        ("lambda", "PutFunctionConcurrency", ["FunctionName", "ReservedConcurrentExecutions"], ["FunctionName", "ReservedConcurrentExecutions"]),
        ("lambda", "DeleteFunctionConcurrency", ["FunctionName"], ["FunctionName"]),
        ("sqs", "PurgeQueue", ["QueueUrl"], ["QueueUrl"]),
        ("ec2", "RebootInstances", ["InstanceIds"], ["InstanceIds", "DryRun"]),
        ("sts", "GetCallerIdentity", [], []),
        ("cloudwatch", "SetAlarmState", ["AlarmName", "StateValue", "StateReason"], ["AlarmName", "StateValue", "StateReason", "StateReasonData"]),
        ("elbv2", "DescribeTargetHealth", ["TargetGroupArn"], ["TargetGroupArn", "Targets", "Include"]),
        ("logs", "PutLogEvents", ["logGroupName", "logStreamName", "logEvents"], ["logGroupName", "logStreamName", "logEvents", "sequenceToken", "entity"]),
    ])
    func inputsFollowTheAPIReference(_ service: String, _ name: String, _ required: [String], _ all: [String]) throws {
        let op = try #require(AWSCatalog.operation(service: service, name: name))
        #expect(op.requiredInputs == required)
        #expect(op.inputs.map(\.name) == all)
        for name in all { #expect(op.input(name)?.required == required.contains(name), "\(name)") }
        #expect(op.input("NoSuchMember") == nil)
    }

    @Test func ecsTakesLowerCamelCaseAndDynamoDBQueryItsExpressions() throws {
        let update = try #require(AWSCatalog.operation(service: "ecs", name: "UpdateService"))
        #expect(update.requiredInputs == ["service"])
        #expect(update.input("desiredCount") != nil && update.input("forceNewDeployment") != nil && update.input("DesiredCount") == nil)
        let query = try #require(AWSCatalog.operation(service: "dynamodb", name: "Query"))
        #expect(query.requiredInputs == ["TableName"])
        for member in ["KeyConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues", "Limit", "IndexName"] {
            #expect(query.input(member) != nil, "\(member)")
        }
    }
}
