import BreakglassAWS
import BreakglassCore
import Foundation
import Testing

/// The undo runbook a run's recorded changes give: its shape, its YAML read back by the loader to the
/// same runbook, lint passing it, changes of one value merged, and nothing offered when nothing can be
/// undone.
@Suite("Runbook undo")
struct RunbookUndoTests {
    static func op(_ text: String) -> RunbookOperation { RunbookChangesTests.op(text) }

    static let original = """
        id: holiday-sale
        title: Ride out the holiday sale
        access: app-break-glass
        steps:
          - say: Go.
        """

    static func runbook() throws -> Runbook { try RunbookLoader.parse(original, file: "runbooks/holiday-sale.yaml") }

    static func change(_ step: Int, _ operation: String, _ input: AWSValue, answer: AWSValue) -> RunbookRecordedChange {
        let op = op(operation)
        return RunbookRecordedChange(step: step, operation: op, input: input, before: RunbookChanges.before(op, input: input, answer: answer))
    }

    /// A run that changed a bit of everything, in run order.
    static let run: [RunbookRecordedChange] = [
        change(1, "autoscaling.SetDesiredCapacity", ["AutoScalingGroupName": "prod-web", "DesiredCapacity": 8, "HonorCooldown": false], answer: RunbookChangesTests.asg("4")),
        change(3, "lambda.PutFunctionConcurrency", ["FunctionName": "prod-ingest", "ReservedConcurrentExecutions": 0], answer: [:]),
        change(4, "ecs.UpdateService", ["cluster": "prod", "service": "orders-api", "forceNewDeployment": true], answer: RunbookChangesTests.service(desired: 6)),
        change(5, "rds.FailoverDBCluster", ["DBClusterIdentifier": "prod-aurora"], answer: RunbookChangesTests.cluster(writer: "prod-aurora-1")),
        change(6, "sqs.PurgeQueue", ["QueueUrl": .string(RunbookChangesTests.queueURL)], answer: ["Attributes": ["ApproximateNumberOfMessages": "40"]]),
        change(8, "dynamodb.UpdateTable", ["TableName": "prod-inventory", "ProvisionedThroughput": ["ReadCapacityUnits": 400, "WriteCapacityUnits": 400]],
               answer: RunbookChangesTests.table(read: 5, write: 5)),
        change(9, "ec2.StopInstances", ["InstanceIds": ["i-0aaa"]], answer: RunbookChangesTests.instances([("i-0aaa", "running")])),
    ]

    @Test func aRunsUndoRunbookPutsBackEachChangeLatestFirst() throws {
        let original = try Self.runbook()
        let undo = try #require(RunbookUndo.runbook(undoing: Self.run, of: original, run: 42))
        #expect(undo.id == "undo-holiday-sale-42")
        #expect(undo.title == "Undo run 42 of Ride out the holiday sale")
        #expect(undo.access?.value == "app-break-glass")
        #expect(undo.params.isEmpty)
        #expect(undo.file == "undo of run 42")
        #expect(undo.steps.allSatisfy { $0.location.file == "undo of run 42" })

        // say, then per change a do and the read that shows it back.
        #expect(undo.steps.map(\.kindName) == ["say", "do", "wait", "do", "wait", "do", "wait", "do", "wait", "do", "wait"])
        let calls = undo.steps.compactMap { step -> String? in if case .do(let d) = step.kind { d.call.operation.description } else { nil } }
        #expect(calls == ["ec2.StartInstances", "dynamodb.UpdateTable", "rds.FailoverDBCluster", "lambda.DeleteFunctionConcurrency", "autoscaling.SetDesiredCapacity"])
        for step in undo.steps {
            guard case .do(let d) = step.kind else { continue }
            // A name is typed to confirm; EC2's InstanceIds is a list, confirmed with yes.
            #expect(d.confirm == (d.call.operation.service == "ec2" ? .yes : .type), "\(d.call.operation)")
            #expect(d.explain?.source.isEmpty == false)
        }

        // Rendered with no parameters, the calls are the recorded values.
        let context = RunbookRenderContext()
        guard case .do(let asg) = undo.steps[9].kind, case .wait(let asgWait) = undo.steps[10].kind else { return #expect(Bool(false)) }
        #expect(try asg.call.render(context) == ["AutoScalingGroupName": "prod-web", "DesiredCapacity": 4, "HonorCooldown": false])
        #expect(asg.explain?.source.contains("from 8 back to 4") == true)
        #expect(asgWait.until.count == 1 && asgWait.until[0].path.text == "AutoScalingGroups[0].DesiredCapacity")
        // The read back holds against the group as the query protocol answers it.
        #expect(try asgWait.until[0].isMet(by: RunbookChangesTests.asg("4"), context))
        #expect(try !asgWait.until[0].isMet(by: RunbookChangesTests.asg("8"), context))
        guard case .do(let lambda) = undo.steps[7].kind, case .wait(let lambdaWait) = undo.steps[8].kind else { return #expect(Bool(false)) }
        #expect(try lambda.call.render(context) == ["FunctionName": "prod-ingest"])
        #expect(try lambdaWait.until[0].isMet(by: [:], context), "unreserved: the member is missing")
        #expect(try !lambdaWait.until[0].isMet(by: ["ReservedConcurrentExecutions": 0], context))
        guard case .do(let failover) = undo.steps[5].kind else { return #expect(Bool(false)) }
        #expect(try failover.call.render(context) == ["DBClusterIdentifier": "prod-aurora", "TargetDBInstanceIdentifier": "prod-aurora-1"])

        // The say names what is put back and what is not.
        guard case .say(let say) = undo.steps[0].kind else { return #expect(Bool(false)) }
        #expect(say.source.contains("prod-web's desired capacity, from 8 back to 4"), "\(say.source)")
        #expect(say.source.contains("prod-aurora's writer, back to prod-aurora-1"), "\(say.source)")
        #expect(say.source.contains("step 5 (ecs.UpdateService)"), "\(say.source)")
        #expect(say.source.contains("step 7 (sqs.PurgeQueue)"), "\(say.source)")

        // Lint passes it, against a configuration that defines the role too.
        #expect(RunbookLinter.lint(undo).isEmpty, "\(RunbookLinter.lint(undo))")
        let config = try ConfigLoader.parse("""
            access:
              roles:
                app-break-glass: { arn: "arn:aws:iam::111122223333:role/app-break-glass" }
            """, file: "breakglass.yaml")
        #expect(RunbookLinter.lint(undo, config: config).isEmpty)
    }

    @Test func theYAMLLoadsBackToTheSameRunbookWithTheUndoableChangesAsComments() throws {
        let original = try Self.runbook()
        let yaml = try #require(RunbookUndo.yaml(undoing: Self.run, of: original, run: 42))
        let loaded = try RunbookLoader.parse(yaml, file: "undo of run 42")
        #expect(loaded == RunbookUndo.runbook(undoing: Self.run, of: original, run: 42))
        // Under another file name, only the locations differ.
        let elsewhere = try RunbookLoader.parse(yaml, file: "saved.yaml")
        #expect(try Self.withoutLocations(elsewhere) == Self.withoutLocations(loaded))
        #expect(RunbookLinter.lint(loaded).isEmpty)

        let comments = yaml.split(separator: "\n").prefix { $0.hasPrefix("#") }
        #expect(comments.contains { $0.contains("Not undone") }, "\(yaml)")
        #expect(comments.contains { $0.contains("step 5 (ecs.UpdateService)") && $0.contains("cannot be taken back") })
        #expect(comments.contains { $0.contains("step 7 (sqs.PurgeQueue)") && $0.contains("deleted for good") })
        // Numbers stay numbers: the query protocol's "4" is written 4.
        #expect(yaml.contains("\"DesiredCapacity\": 4,"), "\(yaml)")
    }

    /// What a runbook says and does, without where it is written, so two runbooks read from different
    /// files compare by content.
    static func withoutLocations(_ runbook: Runbook) throws -> [String] {
        var out = [runbook.id, runbook.title, runbook.when ?? "", runbook.access?.value ?? "", "\(runbook.params.count)"]
        let context = RunbookRenderContext()
        for step in runbook.steps {
            out.append(step.kindName)
            if let call = step.call { out += [call.operation.description, JSON.encode(try call.render(context))] }
            switch step.kind {
            case .say(let t): out.append(t.source)
            case .do(let d): out += [d.confirm.rawValue, d.explain?.source ?? ""]
            case .check(let c): out += c.expect.map { "\($0.path.text)=\(JSON.encode($0.value.written))" } + [c.explain?.source ?? ""]
            case .wait(let w): out += w.until.map { "\($0.path.text)=\(JSON.encode($0.value.written))" } + ["\(w.timeout)", "\(w.every)", w.explain?.source ?? ""]
            default: out.append("?")
            }
        }
        return out
    }

    @Test func changesOfOneValueAreUndoneOnceToTheFirstRecordedValue() throws {
        let original = try Self.runbook()
        let twice = [
            Self.change(2, "autoscaling.SetDesiredCapacity", ["AutoScalingGroupName": "prod-web", "DesiredCapacity": 8], answer: RunbookChangesTests.asg("4")),
            Self.change(5, "autoscaling.SetDesiredCapacity", ["AutoScalingGroupName": "prod-web", "DesiredCapacity": 10], answer: RunbookChangesTests.asg("8")),
        ]
        let undo = try #require(RunbookUndo.runbook(undoing: twice.reversed(), of: original, run: 3))
        let dos = undo.steps.compactMap { step -> RunbookStep.Do? in if case .do(let d) = step.kind { d } else { nil } }
        #expect(dos.count == 1)
        #expect(try dos.first?.call.render(RunbookRenderContext()) == ["AutoScalingGroupName": "prod-web", "DesiredCapacity": 4, "HonorCooldown": false])
        #expect(dos.first?.explain?.source.contains("from 10 back to 4") == true)
    }

    /// pause-workers and freeze-ingestion put their own change back; undoing each step in turn would
    /// pause the workers or freeze ingestion again on the way, so there is nothing to undo.
    @Test func aRunThatRolledItselfBackHasNothingToUndo() throws {
        let original = try Self.runbook()
        let pause = [
            Self.change(3, "ecs.UpdateService", ["cluster": "prod", "service": "orders-api", "desiredCount": 1], answer: RunbookChangesTests.service(desired: 6)),
            Self.change(7, "ecs.UpdateService", ["cluster": "prod", "service": "orders-api", "desiredCount": 6], answer: RunbookChangesTests.service(desired: 1)),
        ]
        #expect(RunbookUndo.runbook(undoing: pause, of: original, run: 1) == nil)
        #expect(RunbookUndo.yaml(undoing: pause, of: original, run: 1) == nil)
        let freeze = [
            Self.change(2, "lambda.PutFunctionConcurrency", ["FunctionName": "prod-ingest", "ReservedConcurrentExecutions": 0], answer: [:]),
            Self.change(6, "lambda.DeleteFunctionConcurrency", ["FunctionName": "prod-ingest"], answer: ["ReservedConcurrentExecutions": 0]),
        ]
        #expect(RunbookUndo.runbook(undoing: freeze, of: original, run: 2) == nil)
        // Stopped halfway (frozen, never thawed): the undo thaws.
        let halfway = try #require(RunbookUndo.runbook(undoing: Array(freeze.prefix(1)), of: original, run: 2))
        #expect(halfway.steps.contains { if case .do(let d) = $0.kind { d.call.operation == Self.op("lambda.DeleteFunctionConcurrency") } else { false } })
        // A stop and a start of the same instance cancel out.
        let bounce = [
            Self.change(1, "ec2.StopInstances", ["InstanceIds": ["i-0aaa"]], answer: RunbookChangesTests.instances([("i-0aaa", "running")])),
            Self.change(2, "ec2.StartInstances", ["InstanceIds": ["i-0aaa"]], answer: RunbookChangesTests.instances([("i-0aaa", "stopped")])),
        ]
        #expect(RunbookUndo.runbook(undoing: bounce, of: original, run: 4) == nil)
    }

    @Test func nothingUndoableGivesNoRunbook() throws {
        let original = try Self.runbook()
        #expect(RunbookUndo.runbook(undoing: [], of: original, run: 1) == nil)
        let irreversible = [
            Self.change(1, "ec2.RebootInstances", ["InstanceIds": ["i-0aaa"]], answer: [:]),
            Self.change(2, "sqs.PurgeQueue", ["QueueUrl": .string(RunbookChangesTests.queueURL)], answer: ["Attributes": ["ApproximateNumberOfMessages": "3"]]),
            Self.change(3, "rds.RebootDBInstance", ["DBInstanceIdentifier": "prod-aurora-1"], answer: RunbookChangesTests.dbInstance("db.r6g.large")),
            Self.change(4, "cloudwatch.SetAlarmState", ["AlarmName": "prod-db-cpu", "StateValue": "ALARM", "StateReason": "drill"],
                        answer: RunbookChangesTests.alarm("OK", at: "1")),
            // Recorded nothing (the read failed): nothing can be put back.
            RunbookRecordedChange(step: 5, operation: Self.op("autoscaling.SetDesiredCapacity"), input: ["AutoScalingGroupName": "prod-web", "DesiredCapacity": 8], before: [:]),
        ]
        #expect(RunbookUndo.runbook(undoing: irreversible, of: original, run: 1) == nil)
        #expect(RunbookUndo.yaml(undoing: irreversible, of: original, run: 1) == nil)
    }

    @Test func anUndoOfARunbookWithoutAccessHasNone() throws {
        let plain = try RunbookLoader.parse("id: plain\ntitle: \"Plain: \\\"quoted\\\" title\"\nsteps:\n  - say: Go.\n", file: "plain.yaml")
        let changes = [Self.change(0, "rds.ModifyDBInstance", ["DBInstanceIdentifier": "prod-aurora-1", "DBInstanceClass": "db.r6g.2xlarge", "ApplyImmediately": true],
                                   answer: RunbookChangesTests.dbInstance("db.r6g.large"))]
        let undo = try #require(RunbookUndo.runbook(undoing: changes, of: plain, run: 9))
        #expect(undo.access == nil)
        #expect(undo.title == "Undo run 9 of Plain: \"quoted\" title")
        #expect(undo.steps.map(\.kindName) == ["say", "do", "wait"])
        guard case .wait(let w) = undo.steps[2].kind else { return #expect(Bool(false)) }
        #expect(w.until.map(\.path.text) == ["DBInstances[0].DBInstanceClass", "DBInstances[0].DBInstanceStatus"])
        #expect(w.timeout == .seconds(45 * 60))
        #expect(try w.until.allSatisfy { try $0.isMet(by: RunbookChangesTests.dbInstance("db.r6g.large"), RunbookRenderContext()) })
    }
}
