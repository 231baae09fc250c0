import BreakglassAWS
import BreakglassCore
import Foundation
import Testing

/// What each mutating operation changes: the read before it, the values recorded from the read's
/// answer (query protocols answer numbers and booleans as text), whether a fresh read shows the change,
/// and the calls that put the recorded values back.
@Suite("Runbook changes")
struct RunbookChangesTests {
    static func op(_ text: String) -> RunbookOperation {
        let parts = text.split(separator: ".")
        return RunbookOperation(service: String(parts[0]), name: String(parts[1]))
    }

    enum Verdict: String, Sendable { case applied, notApplied, cannotTell }

    static func verdict(_ v: RunbookVerification) -> Verdict {
        switch v {
        case .applied: .applied
        case .notApplied: .notApplied
        case .cannotTell: .cannotTell
        }
    }

    static func detail(_ v: RunbookVerification) -> String {
        switch v {
        case .applied(let d), .notApplied(let d), .cannotTell(let d): d
        }
    }

    /// One operation: its input, the read expected, a sample answer before the change and the values
    /// recorded from it, answers after and what each says, and the undo.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var operation: String
        var input: AWSValue
        var read: (operation: String, input: AWSValue)?
        var answer: AWSValue
        var before: AWSObject
        var after: [(answer: AWSValue, verdict: Verdict, mentions: String)]
        var undo: Undo

        enum Undo: Sendable {
            /// operation, input, words the explanation must contain.
            case calls([(String, AWSValue, [String])])
            case notUndoable(String)
            case nothingToUndo
        }

        var testDescription: String { name }
    }

    // MARK: Sample answers

    static func asg(_ desired: String) -> AWSValue {
        ["AutoScalingGroups": [["AutoScalingGroupName": "prod-web", "DesiredCapacity": .string(desired), "MinSize": "1", "MaxSize": "10"]]]
    }

    static func service(desired: Int, task: String = "api:3", deployment: String = "ecs-svc/111") -> AWSValue {
        ["services": [[
            "serviceName": "orders-api", "status": "ACTIVE", "desiredCount": .int(desired), "runningCount": .int(desired),
            "taskDefinition": .string("arn:aws:ecs:us-east-1:123456789012:task-definition/\(task)"),
            "deployments": [["id": .string(deployment), "status": "PRIMARY", "rolloutState": "COMPLETED"]],
        ]], "failures": []]
    }

    static func dbInstance(_ cls: String, status: String = "available", pending: AWSObject = [:]) -> AWSValue {
        ["DBInstances": [[
            "DBInstanceIdentifier": "prod-aurora-1", "DBInstanceClass": .string(cls), "DBInstanceStatus": .string(status),
            "AllocatedStorage": "20", "MultiAZ": "false", "PendingModifiedValues": .object(pending),
        ]]]
    }

    static func cluster(writer: String, status: String = "available") -> AWSValue {
        ["DBClusters": [[
            "DBClusterIdentifier": "prod-aurora", "Status": .string(status),
            "DBClusterMembers": [
                ["DBInstanceIdentifier": "prod-aurora-1", "IsClusterWriter": writer == "prod-aurora-1" ? "true" : "false"],
                ["DBInstanceIdentifier": "prod-aurora-2", "IsClusterWriter": writer == "prod-aurora-2" ? "true" : "false"],
            ],
        ]]]
    }

    static func table(read: Int, write: Int, status: String = "ACTIVE", mode: String? = nil) -> AWSValue {
        var t: AWSObject = [
            "TableName": "prod-inventory", "TableStatus": .string(status),
            "ProvisionedThroughput": ["ReadCapacityUnits": .int(read), "WriteCapacityUnits": .int(write), "NumberOfDecreasesToday": 0],
        ]
        if let mode { t["BillingModeSummary"] = ["BillingMode": .string(mode)] }
        return ["Table": .object(t)]
    }

    static func instances(_ states: [(String, String)]) -> AWSValue {
        // Each instance in a reservation of its own, as instances started apart are.
        ["reservationSet": .array(states.map { id, state in
            ["reservationId": "r-1", "instancesSet": [["instanceId": .string(id), "instanceState": ["code": "16", "name": .string(state)]]]]
        })]
    }

    static func alarm(_ state: String, at stamp: String) -> AWSValue {
        ["MetricAlarms": [["AlarmName": "prod-db-cpu", "StateValue": .string(state), "StateUpdatedTimestamp": .number(stamp)]], "CompositeAlarms": []]
    }

    static let queueURL = "http://sqs.us-east-1.localhost:4566/123456789012/prod-orders"

    static let cases: [Case] = [
        Case(
            name: "autoscaling.SetDesiredCapacity (query: numbers as text)", operation: "autoscaling.SetDesiredCapacity",
            input: ["AutoScalingGroupName": "prod-web", "DesiredCapacity": 8, "HonorCooldown": false],
            read: ("autoscaling.DescribeAutoScalingGroups", ["AutoScalingGroupNames": ["prod-web"]]),
            answer: asg("4"), before: ["DesiredCapacity": 4],
            after: [(asg("8"), .applied, "is 8, as asked"), (asg("4"), .notApplied, "still 4"), (asg("6"), .cannotTell, "is 6"),
                    (["AutoScalingGroups": []], .cannotTell, "does not show")],
            undo: .calls([("autoscaling.SetDesiredCapacity", ["AutoScalingGroupName": "prod-web", "DesiredCapacity": 4, "HonorCooldown": false], ["from 8 back to 4"])])),
        Case(
            name: "ecs.UpdateService desiredCount", operation: "ecs.UpdateService",
            input: ["cluster": "prod", "service": "orders-api", "desiredCount": 12],
            read: ("ecs.DescribeServices", ["cluster": "prod", "services": ["orders-api"]]),
            answer: service(desired: 6), before: ["desiredCount": 6],
            after: [(service(desired: 12), .applied, "is 12"), (service(desired: 6), .notApplied, "still 6")],
            undo: .calls([("ecs.UpdateService", ["cluster": "prod", "service": "orders-api", "desiredCount": 6], ["from 12 back to 6"])])),
        Case(
            name: "ecs.UpdateService taskDefinition (answered as an ARN)", operation: "ecs.UpdateService",
            input: ["service": "orders-api", "taskDefinition": "api:4"],
            read: ("ecs.DescribeServices", ["services": ["orders-api"]]),
            answer: service(desired: 6), before: ["taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/api:3"],
            after: [(service(desired: 6, task: "api:4"), .applied, "as asked"), (service(desired: 6), .notApplied, "still")],
            undo: .calls([("ecs.UpdateService", ["service": "orders-api", "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/api:3"], ["back to arn:"])])),
        Case(
            name: "ecs.UpdateService forceNewDeployment", operation: "ecs.UpdateService",
            input: ["cluster": "prod", "service": "orders-api", "forceNewDeployment": true],
            read: ("ecs.DescribeServices", ["cluster": "prod", "services": ["orders-api"]]),
            answer: service(desired: 6), before: ["primaryDeployment": "ecs-svc/111"],
            after: [(service(desired: 6, deployment: "ecs-svc/222"), .applied, "A new deployment started"),
                    (service(desired: 6), .notApplied, "No new deployment")],
            undo: .notUndoable("cannot be taken back")),
        Case(
            name: "lambda.PutFunctionConcurrency from unreserved", operation: "lambda.PutFunctionConcurrency",
            input: ["FunctionName": "prod-ingest", "ReservedConcurrentExecutions": 0],
            read: ("lambda.GetFunctionConcurrency", ["FunctionName": "prod-ingest"]),
            answer: [:], before: ["ReservedConcurrentExecutions": nil],
            after: [(["ReservedConcurrentExecutions": 0], .applied, "is 0, as asked"), ([:], .notApplied, "still unreserved"),
                    (["ReservedConcurrentExecutions": 3], .cannotTell, "is 3")],
            undo: .calls([("lambda.DeleteFunctionConcurrency", ["FunctionName": "prod-ingest"], ["Removes prod-ingest's limit (now 0)", "shared pool"])])),
        Case(
            name: "lambda.PutFunctionConcurrency from a limit of its own", operation: "lambda.PutFunctionConcurrency",
            input: ["FunctionName": "prod-ingest", "ReservedConcurrentExecutions": 0],
            read: ("lambda.GetFunctionConcurrency", ["FunctionName": "prod-ingest"]),
            answer: ["ReservedConcurrentExecutions": 25], before: ["ReservedConcurrentExecutions": 25],
            after: [(["ReservedConcurrentExecutions": 0], .applied, "as asked"), (["ReservedConcurrentExecutions": 25], .notApplied, "still 25")],
            undo: .calls([("lambda.PutFunctionConcurrency", ["FunctionName": "prod-ingest", "ReservedConcurrentExecutions": 25], ["from 0 back to 25"])])),
        Case(
            name: "lambda.DeleteFunctionConcurrency", operation: "lambda.DeleteFunctionConcurrency",
            input: ["FunctionName": "prod-ingest"],
            read: ("lambda.GetFunctionConcurrency", ["FunctionName": "prod-ingest"]),
            answer: ["ReservedConcurrentExecutions": 0], before: ["ReservedConcurrentExecutions": 0],
            after: [([:], .applied, "unreserved"), (["ReservedConcurrentExecutions": 0], .notApplied, "still 0")],
            undo: .calls([("lambda.PutFunctionConcurrency", ["FunctionName": "prod-ingest", "ReservedConcurrentExecutions": 0], ["back to 0"])])),
        Case(
            name: "lambda.DeleteFunctionConcurrency of an unreserved function", operation: "lambda.DeleteFunctionConcurrency",
            input: ["FunctionName": "prod-ingest"],
            read: ("lambda.GetFunctionConcurrency", ["FunctionName": "prod-ingest"]),
            answer: [:], before: ["ReservedConcurrentExecutions": nil],
            after: [([:], .applied, "it already was")],
            undo: .nothingToUndo),
        Case(
            name: "rds.ModifyDBInstance class, immediately", operation: "rds.ModifyDBInstance",
            input: ["DBInstanceIdentifier": "prod-aurora-1", "DBInstanceClass": "db.r6g.2xlarge", "ApplyImmediately": true],
            read: ("rds.DescribeDBInstances", ["DBInstanceIdentifier": "prod-aurora-1"]),
            answer: dbInstance("db.r6g.large"), before: ["DBInstanceClass": "db.r6g.large"],
            after: [(dbInstance("db.r6g.2xlarge"), .applied, "as asked"),
                    (dbInstance("db.r6g.large", status: "modifying", pending: ["DBInstanceClass": "db.r6g.2xlarge"]), .applied, "pending"),
                    (dbInstance("db.r6g.large"), .notApplied, "still db.r6g.large"), (["DBInstances": []], .cannotTell, "gone")],
            undo: .calls([("rds.ModifyDBInstance", ["DBInstanceIdentifier": "prod-aurora-1", "DBInstanceClass": "db.r6g.large", "ApplyImmediately": true],
                           ["from db.r6g.2xlarge back to db.r6g.large", "restarts"])])),
        Case(
            name: "rds.ModifyDBInstance storage and Multi-AZ (query: text numbers and booleans)", operation: "rds.ModifyDBInstance",
            input: ["DBInstanceIdentifier": "prod-aurora-1", "AllocatedStorage": 100, "MultiAZ": true, "ApplyImmediately": false],
            read: ("rds.DescribeDBInstances", ["DBInstanceIdentifier": "prod-aurora-1"]),
            answer: dbInstance("db.r6g.large"), before: ["AllocatedStorage": 20, "MultiAZ": false],
            after: [(dbInstance("db.r6g.large", pending: ["AllocatedStorage": "100", "MultiAZ": "true"]), .applied, "pending"),
                    (dbInstance("db.r6g.large"), .notApplied, "still 20")],
            undo: .calls([("rds.ModifyDBInstance", ["DBInstanceIdentifier": "prod-aurora-1", "AllocatedStorage": 20, "MultiAZ": false, "ApplyImmediately": false],
                           ["from 100 back to 20", "from true back to false", "maintenance window"])])),
        Case(
            name: "rds.ModifyDBInstance of a member Breakglass does not record", operation: "rds.ModifyDBInstance",
            input: ["DBInstanceIdentifier": "prod-aurora-1", "MasterUserPassword": "hunter2-hunter2", "ApplyImmediately": true],
            read: ("rds.DescribeDBInstances", ["DBInstanceIdentifier": "prod-aurora-1"]),
            answer: dbInstance("db.r6g.large"), before: [:],
            after: [(dbInstance("db.r6g.large"), .cannotTell, "Nothing in the read")],
            undo: .notUndoable("does not record `MasterUserPassword`")),
        Case(
            name: "rds.RebootDBInstance", operation: "rds.RebootDBInstance",
            input: ["DBInstanceIdentifier": "prod-aurora-1", "ForceFailover": false],
            read: ("rds.DescribeDBInstances", ["DBInstanceIdentifier": "prod-aurora-1"]),
            answer: dbInstance("db.r6g.large"), before: ["DBInstanceStatus": "available"],
            after: [(dbInstance("db.r6g.large", status: "rebooting"), .applied, "rebooting"), (dbInstance("db.r6g.large"), .cannotTell, "leaves nothing to see")],
            undo: .notUndoable("cannot be taken back")),
        Case(
            name: "rds.FailoverDBCluster (fails back to the recorded writer)", operation: "rds.FailoverDBCluster",
            input: ["DBClusterIdentifier": "prod-aurora"],
            read: ("rds.DescribeDBClusters", ["DBClusterIdentifier": "prod-aurora"]),
            answer: cluster(writer: "prod-aurora-1"), before: ["Writer": "prod-aurora-1"],
            after: [(cluster(writer: "prod-aurora-2"), .applied, "from prod-aurora-1 to prod-aurora-2"),
                    (cluster(writer: "prod-aurora-1", status: "failing-over"), .applied, "failing over"),
                    (cluster(writer: "prod-aurora-1"), .notApplied, "still prod-aurora-1"),
                    (cluster(writer: "prod-aurora-1", status: "modifying"), .cannotTell, "read again"),
                    (["DBClusters": []], .cannotTell, "gone")],
            undo: .calls([("rds.FailoverDBCluster", ["DBClusterIdentifier": "prod-aurora", "TargetDBInstanceIdentifier": "prod-aurora-1"],
                           ["back to prod-aurora-1", "only once it is healthy"])])),
        Case(
            name: "rds.FailoverDBCluster to a target", operation: "rds.FailoverDBCluster",
            input: ["DBClusterIdentifier": "prod-aurora", "TargetDBInstanceIdentifier": "prod-aurora-2"],
            read: ("rds.DescribeDBClusters", ["DBClusterIdentifier": "prod-aurora"]),
            answer: cluster(writer: "prod-aurora-1"), before: ["Writer": "prod-aurora-1"],
            after: [(cluster(writer: "prod-aurora-2"), .applied, "as asked"), (cluster(writer: "prod-aurora-1"), .notApplied, "no failover")],
            undo: .calls([("rds.FailoverDBCluster", ["DBClusterIdentifier": "prod-aurora", "TargetDBInstanceIdentifier": "prod-aurora-1"], ["from prod-aurora-2 back to prod-aurora-1"])])),
        Case(
            name: "dynamodb.UpdateTable capacity of a provisioned table", operation: "dynamodb.UpdateTable",
            input: ["TableName": "prod-inventory", "BillingMode": "PROVISIONED", "ProvisionedThroughput": ["ReadCapacityUnits": 400, "WriteCapacityUnits": 400]],
            read: ("dynamodb.DescribeTable", ["TableName": "prod-inventory"]),
            answer: table(read: 5, write: 5), before: ["BillingMode": "PROVISIONED", "ProvisionedThroughput": ["ReadCapacityUnits": 5, "WriteCapacityUnits": 5]],
            after: [(table(read: 400, write: 400), .applied, "400 reads and 400 writes a second, as asked"),
                    (table(read: 5, write: 5), .notApplied, "still 5 reads"),
                    (table(read: 5, write: 5, status: "UPDATING"), .cannotTell, "UPDATING")],
            undo: .calls([("dynamodb.UpdateTable", ["TableName": "prod-inventory", "ProvisionedThroughput": ["ReadCapacityUnits": 5, "WriteCapacityUnits": 5]],
                           ["from 400 reads and 400 writes a second back to 5 reads and 5 writes a second"])])),
        Case(
            name: "dynamodb.UpdateTable of an on-demand table", operation: "dynamodb.UpdateTable",
            input: ["TableName": "prod-inventory", "BillingMode": "PROVISIONED", "ProvisionedThroughput": ["ReadCapacityUnits": 400, "WriteCapacityUnits": 400]],
            read: ("dynamodb.DescribeTable", ["TableName": "prod-inventory"]),
            answer: table(read: 0, write: 0, mode: "PAY_PER_REQUEST"),
            before: ["BillingMode": "PAY_PER_REQUEST", "ProvisionedThroughput": ["ReadCapacityUnits": 0, "WriteCapacityUnits": 0]],
            after: [(table(read: 400, write: 400, mode: "PROVISIONED"), .applied, "as asked"),
                    (table(read: 0, write: 0, mode: "PAY_PER_REQUEST"), .notApplied, "still PAY_PER_REQUEST")],
            undo: .calls([("dynamodb.UpdateTable", ["TableName": "prod-inventory", "BillingMode": "PAY_PER_REQUEST"], ["on-demand", "once in 24 hours"])])),
        Case(
            name: "ec2.StopInstances", operation: "ec2.StopInstances",
            input: ["InstanceIds": ["i-0aaa", "i-0bbb"]],
            read: ("ec2.DescribeInstances", ["InstanceIds": ["i-0aaa", "i-0bbb"]]),
            answer: instances([("i-0aaa", "running"), ("i-0bbb", "stopped")]), before: ["i-0aaa": "running", "i-0bbb": "stopped"],
            after: [(instances([("i-0aaa", "stopped"), ("i-0bbb", "stopped")]), .applied, "Instance i-0aaa is stopped, as asked (it was running); instance i-0bbb is stopped, as asked (it already was)."),
                    (instances([("i-0aaa", "stopping"), ("i-0bbb", "stopped")]), .applied, "on its way"),
                    (instances([("i-0aaa", "running"), ("i-0bbb", "stopped")]), .notApplied, "still running"),
                    (instances([("i-0bbb", "stopped")]), .cannotTell, "i-0aaa")],
            // i-0bbb was already stopped: only i-0aaa is started again.
            undo: .calls([("ec2.StartInstances", ["InstanceIds": ["i-0aaa"]], ["Starts instance i-0aaa again", "running before"])])),
        Case(
            name: "ec2.StartInstances", operation: "ec2.StartInstances",
            input: ["InstanceIds": ["i-0aaa"]],
            read: ("ec2.DescribeInstances", ["InstanceIds": ["i-0aaa"]]),
            answer: instances([("i-0aaa", "stopped")]), before: ["i-0aaa": "stopped"],
            after: [(instances([("i-0aaa", "pending")]), .applied, "on its way"), (instances([("i-0aaa", "stopped")]), .notApplied, "still stopped")],
            undo: .calls([("ec2.StopInstances", ["InstanceIds": ["i-0aaa"]], ["Stops instance i-0aaa again"])])),
        Case(
            name: "ec2.RebootInstances", operation: "ec2.RebootInstances", input: ["InstanceIds": ["i-0aaa"]], read: nil,
            answer: instances([("i-0aaa", "running")]), before: [:],
            after: [(instances([("i-0aaa", "running")]), .cannotTell, "No read shows")], undo: .notUndoable("restart cannot be taken back")),
        Case(
            name: "sqs.PurgeQueue (attributes are text)", operation: "sqs.PurgeQueue", input: ["QueueUrl": .string(queueURL)],
            read: ("sqs.GetQueueAttributes", ["QueueUrl": .string(queueURL), "AttributeNames": ["ApproximateNumberOfMessages"]]),
            answer: ["Attributes": ["ApproximateNumberOfMessages": "1200"]], before: ["ApproximateNumberOfMessages": 1200],
            after: [(["Attributes": ["ApproximateNumberOfMessages": "0"]], .applied, "the queue is empty"),
                    (["Attributes": ["ApproximateNumberOfMessages": "3"]], .cannotTell, "up to a minute")],
            undo: .notUndoable("deleted for good")),
        Case(
            name: "cloudwatch.SetAlarmState", operation: "cloudwatch.SetAlarmState",
            input: ["AlarmName": "prod-db-cpu", "StateValue": "ALARM", "StateReason": "drill"],
            read: ("cloudwatch.DescribeAlarms", ["AlarmNames": ["prod-db-cpu"]]),
            answer: alarm("OK", at: "1700000000.0"), before: ["StateValue": "OK", "StateUpdatedTimestamp": .number("1700000000.0")],
            after: [(alarm("ALARM", at: "1700000100.0"), .applied, "as asked"), (alarm("OK", at: "1700000160.0"), .applied, "evaluated it again"),
                    (alarm("OK", at: "1700000000.0"), .notApplied, "has not changed")],
            undo: .notUndoable("evaluates prod-db-cpu again")),
        Case(
            name: "sns.Publish", operation: "sns.Publish", input: ["TopicArn": "arn:aws:sns:us-east-1:123456789012:pages", "Message": "hi"], read: nil,
            answer: [:], before: [:], after: [([:], .cannotTell, "No read shows")], undo: .notUndoable("cannot be taken back")),
        Case(
            name: "ssm.StartAutomationExecution", operation: "ssm.StartAutomationExecution", input: ["DocumentName": "AWS-RestartEC2Instance"], read: nil,
            answer: [:], before: [:], after: [([:], .cannotTell, "No read shows")], undo: .notUndoable("Undo what it did by hand")),
        Case(
            name: "a write Breakglass knows nothing about", operation: "sqs.SendMessage", input: ["QueueUrl": .string(queueURL), "MessageBody": "x"], read: nil,
            answer: [:], before: [:], after: [([:], .cannotTell, "No read shows")], undo: .notUndoable("does not know how to undo sqs.SendMessage")),
        Case(
            name: "a read changes nothing", operation: "ec2.DescribeInstances", input: [:], read: nil,
            answer: [:], before: [:], after: [], undo: .nothingToUndo),
    ]

    @Test(arguments: cases) func readRecordVerifyUndo(_ c: Case) throws {
        let operation = Self.op(c.operation)
        let read = RunbookChanges.read(for: operation, input: c.input)
        if let expected = c.read {
            #expect(read == RunbookRead(operation: Self.op(expected.operation), input: expected.input))
            // The read is a catalog operation that reads, and lint would accept its input.
            let entry = try #require(read?.operation.catalogEntry)
            #expect(!entry.mutates)
            for member in read?.input.object?.keys ?? [] { #expect(entry.input(member) != nil, "\(member)") }
        } else {
            #expect(read == nil)
        }

        let before = RunbookChanges.before(operation, input: c.input, answer: c.answer)
        #expect(before == c.before, "recorded \(before.members)")

        for (answer, verdict, mentions) in c.after {
            let v = RunbookChanges.verify(operation, input: c.input, before: before, answer: answer)
            #expect(Self.verdict(v) == verdict, "\(v)")
            #expect(Self.detail(v).contains(mentions), "\(v)")
            #expect(Self.detail(v).hasSuffix("."), "a plain sentence: \(v)")
            #expect(!Self.detail(v).hasPrefix("Prod"), "a resource's name is written as it is: \(v)")
        }

        let plan = RunbookChanges.undo(operation, input: c.input, before: before)
        switch (c.undo, plan) {
        case (.calls(let expected), .calls(let calls)):
            #expect(calls.count == expected.count, "\(calls)")
            for (call, (op, input, words)) in zip(calls, expected) {
                #expect(call.operation == Self.op(op))
                #expect(call.input == input, "\(call.input)")
                for w in words { #expect(call.explain.contains(w), "\(call.explain)") }
                // The undo's call is a catalog write with only inputs the catalog knows.
                let entry = try #require(call.operation.catalogEntry)
                #expect(entry.mutates)
                for member in call.input.object?.keys ?? [] { #expect(entry.input(member) != nil, "\(member)") }
            }
        case (.notUndoable(let words), .notUndoable(let reason)):
            #expect(reason.contains(words), "\(reason)")
        case (.nothingToUndo, .nothingToUndo):
            break
        default:
            Issue.record("expected \(c.undo), got \(plan)")
        }
    }

    // MARK: Undo of one change, edge cases

    @Test func nothingRecordedMeansNotUndoable() {
        let plan = RunbookChanges.undo(Self.op("autoscaling.SetDesiredCapacity"), input: ["AutoScalingGroupName": "prod-web", "DesiredCapacity": 8], before: [:])
        guard case .notUndoable(let reason) = plan else { return #expect(Bool(false), "\(plan)") }
        #expect(reason.contains("was not recorded"), "\(reason)")
    }

    @Test func settingTheValueItHadLeavesNothingToUndo() {
        let set = Self.op("autoscaling.SetDesiredCapacity")
        // The query protocol's text "8" and the runbook's number 8 are the same value.
        let before = RunbookChanges.before(set, input: ["AutoScalingGroupName": "prod-web", "DesiredCapacity": 8], answer: Self.asg("8"))
        #expect(RunbookChanges.undo(set, input: ["AutoScalingGroupName": "prod-web", "DesiredCapacity": "8"], before: before) == .nothingToUndo)
    }

    @Test func aForcedDeploymentWithANewCountUndoesTheCount() {
        let update = Self.op("ecs.UpdateService")
        let input: AWSValue = ["cluster": "prod", "service": "orders-api", "desiredCount": 12, "forceNewDeployment": true]
        let before = RunbookChanges.before(update, input: input, answer: Self.service(desired: 6))
        #expect(before == ["desiredCount": 6, "primaryDeployment": "ecs-svc/111"])
        #expect(RunbookChanges.verify(update, input: input, before: before, answer: Self.service(desired: 12, deployment: "ecs-svc/9")).isApplied)
        // The count changed, the deployment did not: part of an all-or-nothing call shows.
        let half = RunbookChanges.verify(update, input: input, before: before, answer: Self.service(desired: 12))
        #expect(Self.verdict(half) == .cannotTell, "\(half)")
        guard case .calls(let calls) = RunbookChanges.undo(update, input: input, before: before) else { return #expect(Bool(false)) }
        #expect(calls.map(\.input) == [["cluster": "prod", "service": "orders-api", "desiredCount": 6]])
    }

    @Test func inputWithoutTheResourceCannotBeModelled() {
        let op = Self.op("autoscaling.SetDesiredCapacity")
        #expect(RunbookChanges.read(for: op, input: ["DesiredCapacity": 8]) == nil)
        #expect(RunbookChanges.before(op, input: ["DesiredCapacity": 8], answer: Self.asg("4")).isEmpty)
        #expect(Self.verdict(RunbookChanges.verify(op, input: ["DesiredCapacity": 8], before: [:], answer: Self.asg("4"))) == .cannotTell)
        guard case .notUndoable(let reason) = RunbookChanges.undo(op, input: ["DesiredCapacity": 8], before: [:]) else { return #expect(Bool(false)) }
        #expect(reason.contains("without AutoScalingGroupName"))
    }

    /// Every write a shipped runbook sends has a model: a read, or a reason it has none.
    @Test func everyWriteOfTheShippedRunbooksIsCovered() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("runbooks").path
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }
        try #require(!files.isEmpty)
        var writes = Set<String>()
        for file in files {
            let runbook = try RunbookLoader.load(path: folder + "/" + file)
            for step in runbook.steps { if case .do(let d) = step.kind { writes.insert(d.call.operation.description) } }
        }
        let withoutRead: Set<String> = ["ec2.RebootInstances"]
        for w in writes.sorted() {
            let read = RunbookChanges.read(for: Self.op(w), input: Self.sampleInputs[w] ?? [:])
            #expect((read != nil) != withoutRead.contains(w), "\(w)")
        }
    }

    static let sampleInputs: [String: AWSValue] = [
        "autoscaling.SetDesiredCapacity": ["AutoScalingGroupName": "g", "DesiredCapacity": 1],
        "ecs.UpdateService": ["service": "s", "desiredCount": 1],
        "lambda.PutFunctionConcurrency": ["FunctionName": "f", "ReservedConcurrentExecutions": 0],
        "lambda.DeleteFunctionConcurrency": ["FunctionName": "f"],
        "rds.ModifyDBInstance": ["DBInstanceIdentifier": "d", "DBInstanceClass": "db.t3.micro"],
        "rds.RebootDBInstance": ["DBInstanceIdentifier": "d"],
        "rds.FailoverDBCluster": ["DBClusterIdentifier": "c"],
        "dynamodb.UpdateTable": ["TableName": "t", "BillingMode": "PAY_PER_REQUEST"],
        "ec2.RebootInstances": ["InstanceIds": ["i-1"]],
        "sqs.PurgeQueue": ["QueueUrl": "u"],
    ]
}

extension RunbookVerification {
    var isApplied: Bool { if case .applied = self { true } else { false } }
}
