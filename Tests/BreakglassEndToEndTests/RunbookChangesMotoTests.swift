import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// `RunbookChanges` against moto_server with signature and IAM checks on, for each mutating operation
/// with a read: moto accepts the read, `before` finds the real value in its answer, the change (sent
/// with the admin client, so the harness's journal records it) shows as applied, and the undo
/// runbook's calls put the value back, which its own read-back steps and a fresh read both show.
@Suite(.serialized) struct RunbookChangesMotoTests {
    let region = "us-east-1"

    static func op(_ text: String) -> RunbookOperation {
        let parts = text.split(separator: ".").map(String.init)
        return RunbookOperation(service: parts.first ?? "", name: parts.last ?? "")
    }

    func call(_ client: AWSClient, _ operation: RunbookOperation, _ input: AWSValue) async throws -> AWSValue {
        try await client.call(AWSCatalog.lookup(service: operation.service, name: operation.name), input, region: region).value
    }

    func call(_ client: AWSClient, _ operation: String, _ input: AWSValue = [:]) async throws -> AWSValue {
        try await call(client, Self.op(operation), input)
    }

    enum Verdict { case applied, notApplied, cannotTell }

    static func verdict(_ v: RunbookVerification) -> Verdict {
        switch v {
        case .applied: .applied
        case .notApplied: .notApplied
        case .cannotTell: .cannotTell
        }
    }

    static let original: Runbook? = try? RunbookLoader.parse("id: t\ntitle: T\nsteps:\n  - say: Go.\n", file: "t.yaml")

    /// Read, record, change, verify, undo, read again. `restored` names the recorded values the undo
    /// must bring back (all of `expectBefore` when nil); `undoable: false` expects no undo at all.
    @discardableResult
    func roundTrip(
        _ client: AWSClient, _ operation: String, _ input: AWSValue, expectBefore: AWSObject, verified: Verdict = .applied, undoable: Bool = true,
        restored: [String]? = nil
    ) async throws -> AWSObject {
        let op = Self.op(operation)
        let read = try #require(RunbookChanges.read(for: op, input: input), "\(operation) has a read")
        let before = RunbookChanges.before(op, input: input, answer: try await call(client, read.operation, read.input))
        #expect(before == expectBefore, "\(operation): recorded \(before.members)")

        _ = try await call(client, op, input)
        let after = try await call(client, read.operation, read.input)
        let verification = RunbookChanges.verify(op, input: input, before: before, answer: after)
        #expect(Self.verdict(verification) == verified, "\(operation): \(verification)")

        let plan = RunbookChanges.undo(op, input: input, before: before)
        guard undoable else {
            guard case .notUndoable = plan else { Issue.record("\(operation): expected no undo, got \(plan)"); return before }
            return before
        }
        guard case .calls(let calls) = plan else { Issue.record("\(operation): expected undo calls, got \(plan)"); return before }
        // The undo runbook sends the same calls, and its read-back steps hold once they are sent.
        let change = RunbookRecordedChange(step: 0, operation: op, input: input, before: before)
        let original = try #require(Self.original)
        let undo = try #require(RunbookUndo.runbook(undoing: [change], of: original, run: 1))
        var sent: [AWSValue] = []
        for step in undo.steps {
            switch step.kind {
            case .do(let d):
                let rendered = try d.call.render(RunbookRenderContext())
                sent.append(rendered)
                _ = try await call(client, d.call.operation, rendered)
            case .wait(let w):
                let answer = try await call(client, w.call.operation, try w.call.render(RunbookRenderContext()))
                for e in w.until { #expect(try e.isMet(by: answer, RunbookRenderContext()), "\(operation) undo: \(e.path.text) = \(e.value.written) in \(answer)") }
            case .check(let c):
                let answer = try await call(client, c.call.operation, try c.call.render(RunbookRenderContext()))
                for e in c.expect { #expect(try e.isMet(by: answer, RunbookRenderContext()), "\(operation) undo: \(e.path.text) in \(answer)") }
            default:
                break
            }
        }
        #expect(sent == calls.map(\.input))
        let again = RunbookChanges.before(op, input: input, answer: try await call(client, read.operation, read.input))
        for key in restored ?? expectBefore.keys {
            #expect(again[key] == before[key], "\(operation): \(key) is back to \(before[key].map { "\($0)" } ?? "nothing"), found \(again[key].map { "\($0)" } ?? "nothing")")
        }
        return before
    }

    @Test func autoScalingDesiredCapacity() async throws {
        try await MotoHarness.withServer { server in
            let c = server.client()
            _ = try await call(c, "autoscaling.CreateLaunchConfiguration", ["LaunchConfigurationName": "web-v1", "ImageId": .string(RunbookFixtures.ami), "InstanceType": "t3.micro"])
            _ = try await call(c, "autoscaling.CreateAutoScalingGroup", [
                "AutoScalingGroupName": "web", "LaunchConfigurationName": "web-v1", "MinSize": 1, "MaxSize": 10, "DesiredCapacity": 4, "AvailabilityZones": ["us-east-1a"],
            ])
            // The query protocol answers "4"; the recorded value is the number 4.
            try await roundTrip(c, "autoscaling.SetDesiredCapacity", ["AutoScalingGroupName": "web", "DesiredCapacity": 8, "HonorCooldown": false], expectBefore: ["DesiredCapacity": 4])
        }
    }

    @Test func ecsServiceCountTaskDefinitionAndForcedDeployment() async throws {
        try await MotoHarness.withServer { server in
            let c = server.client()
            _ = try await call(c, "ecs.CreateCluster", ["clusterName": "prod"])
            for _ in 1...2 {
                _ = try await call(c, "ecs.RegisterTaskDefinition", ["family": "web", "containerDefinitions": [["name": "web", "image": "nginx:1.27", "memory": 256]]])
            }
            _ = try await call(c, "ecs.CreateService", ["cluster": "prod", "serviceName": "web", "taskDefinition": "web:1", "desiredCount": 3])
            try await roundTrip(c, "ecs.UpdateService", ["cluster": "prod", "service": "web", "desiredCount": 5], expectBefore: ["desiredCount": 3])

            let services = try await call(c, "ecs.DescribeServices", ["cluster": "prod", "services": ["web"]])
            let arn = try #require(services.value(at: try AWSPath("services[0].taskDefinition"))?.string)
            #expect(arn.hasSuffix("task-definition/web:1"), "\(arn)")
            try await roundTrip(c, "ecs.UpdateService", ["cluster": "prod", "service": "web", "taskDefinition": "web:2"], expectBefore: ["taskDefinition": .string(arn)])

            // A forced deployment: moto gives the deployment a new id, which verify sees; nothing to undo.
            let deployment = try #require(services.value(at: try AWSPath("services[0].deployments[0].id")))
            try await roundTrip(c, "ecs.UpdateService", ["cluster": "prod", "service": "web", "forceNewDeployment": true],
                                expectBefore: ["primaryDeployment": deployment], undoable: false)
        }
    }

    @Test func lambdaConcurrency() async throws {
        try await MotoHarness.withServer { server in
            let c = server.client()
            let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
            let role = try await call(c, "iam.CreateRole", ["RoleName": "ingest-exec", "AssumeRolePolicyDocument": .string(trust)])
            _ = try await call(c, "lambda.CreateFunction", [
                "FunctionName": "ingest", "Runtime": "python3.12", "Role": role.value(at: try AWSPath("Role.Arn")) ?? "", "Handler": "index.handler",
                "Code": ["ZipFile": .string(RunbookFixtures.lambdaZip)],
            ])
            try await roundTrip(c, "lambda.PutFunctionConcurrency", ["FunctionName": "ingest", "ReservedConcurrentExecutions": 0],
                                expectBefore: ["ReservedConcurrentExecutions": nil])
        }
    }

    @Test func rdsModifyFailoverAndReboot() async throws {
        try await MotoHarness.withServer { server in
            let c = server.client()
            _ = try await call(c, "rds.CreateDBCluster", ["DBClusterIdentifier": "orders", "Engine": "aurora-mysql", "MasterUsername": "admin", "MasterUserPassword": "correct-horse-battery"])
            for name in ["orders-1", "orders-2"] {
                _ = try await call(c, "rds.CreateDBInstance", ["DBInstanceIdentifier": .string(name), "DBClusterIdentifier": "orders", "Engine": "aurora-mysql", "DBInstanceClass": "db.r6g.large"])
            }
            try await roundTrip(c, "rds.ModifyDBInstance", ["DBInstanceIdentifier": "orders-1", "DBInstanceClass": "db.r6g.2xlarge", "ApplyImmediately": true],
                                expectBefore: ["DBInstanceClass": "db.r6g.large"])
            // The failover's undo fails back to the writer recorded before it.
            try await roundTrip(c, "rds.FailoverDBCluster", ["DBClusterIdentifier": "orders"], expectBefore: ["Writer": "orders-1"])
            // moto's reboot changes nothing it shows (no "rebooting"), so verify cannot tell; nothing to undo.
            try await roundTrip(c, "rds.RebootDBInstance", ["DBInstanceIdentifier": "orders-2"], expectBefore: ["DBInstanceStatus": "available"],
                                verified: .cannotTell, undoable: false)
        }
    }

    @Test func dynamoDBCapacityAndBillingMode() async throws {
        try await MotoHarness.withServer { server in
            let c = server.client()
            for (name, provisioned) in [("provisioned", true), ("on-demand", false)] {
                var create: AWSObject = [
                    "TableName": .string(name), "AttributeDefinitions": [["AttributeName": "pk", "AttributeType": "S"]],
                    "KeySchema": [["AttributeName": "pk", "KeyType": "HASH"]],
                ]
                if provisioned {
                    create["BillingMode"] = "PROVISIONED"
                    create["ProvisionedThroughput"] = ["ReadCapacityUnits": 5, "WriteCapacityUnits": 5]
                } else {
                    create["BillingMode"] = "PAY_PER_REQUEST"
                }
                _ = try await call(c, "dynamodb.CreateTable", .object(create))
            }
            try await roundTrip(c, "dynamodb.UpdateTable", ["TableName": "provisioned", "ProvisionedThroughput": ["ReadCapacityUnits": 50, "WriteCapacityUnits": 60]],
                                expectBefore: ["BillingMode": "PROVISIONED", "ProvisionedThroughput": ["ReadCapacityUnits": 5, "WriteCapacityUnits": 5]])
            try await roundTrip(c, "dynamodb.UpdateTable", [
                "TableName": "on-demand", "BillingMode": "PROVISIONED", "ProvisionedThroughput": ["ReadCapacityUnits": 400, "WriteCapacityUnits": 400],
            ], expectBefore: ["BillingMode": "PAY_PER_REQUEST", "ProvisionedThroughput": ["ReadCapacityUnits": 0, "WriteCapacityUnits": 0]], restored: ["BillingMode"])
        }
    }

    @Test func ec2StopAndStart() async throws {
        try await MotoHarness.withServer { server in
            let c = server.client()
            let run = try await call(c, "ec2.RunInstances", ["ImageId": .string(RunbookFixtures.ami), "MinCount": 1, "MaxCount": 1, "InstanceType": "t3.micro"])
            let id = try #require(run.value(at: try AWSPath("instancesSet[0].instanceId"))?.string)
            try await roundTrip(c, "ec2.StopInstances", ["InstanceIds": [.string(id)]], expectBefore: [id: "running"])
            _ = try await call(c, "ec2.StopInstances", ["InstanceIds": [.string(id)]])
            try await roundTrip(c, "ec2.StartInstances", ["InstanceIds": [.string(id)]], expectBefore: [id: "stopped"])
        }
    }

    @Test func sqsPurge() async throws {
        try await MotoHarness.withServer { server in
            let c = server.client()
            let url = try #require(try await call(c, "sqs.CreateQueue", ["QueueName": "orders"])["QueueUrl"])
            for n in 1...3 { _ = try await call(c, "sqs.SendMessage", ["QueueUrl": url, "MessageBody": .string("order \(n)")]) }
            // SQS answers attributes as text; the count is recorded as a number.
            try await roundTrip(c, "sqs.PurgeQueue", ["QueueUrl": url], expectBefore: ["ApproximateNumberOfMessages": 3], undoable: false)
        }
    }

    @Test func cloudWatchAlarmState() async throws {
        try await MotoHarness.withServer { server in
            let c = server.client()
            _ = try await call(c, "cloudwatch.PutMetricAlarm", [
                "AlarmName": "db-cpu", "Namespace": "Breakglass/Test", "MetricName": "CPU", "Statistic": "Average", "Period": 60, "EvaluationPeriods": 1,
                "Threshold": 80, "ComparisonOperator": "GreaterThanThreshold",
            ])
            let alarms = try await call(c, "cloudwatch.DescribeAlarms", ["AlarmNames": ["db-cpu"]])
            let stamp = try #require(alarms.value(at: try AWSPath("MetricAlarms[0].StateUpdatedTimestamp")), "\(alarms)")
            // moto starts a new alarm in OK (AWS: INSUFFICIENT_DATA) and never evaluates it.
            #expect(alarms.value(at: try AWSPath("MetricAlarms[0].StateValue")) == "OK", "\(alarms)")
            try await roundTrip(c, "cloudwatch.SetAlarmState", ["AlarmName": "db-cpu", "StateValue": "ALARM", "StateReason": "drill"],
                                expectBefore: ["StateValue": "OK", "StateUpdatedTimestamp": stamp], undoable: false)
        }
    }
}
