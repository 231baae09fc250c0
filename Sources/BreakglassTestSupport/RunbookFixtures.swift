import BreakglassAWS
import BreakglassCore
import Foundation

/// What a non-interactive run of a shipped runbook needs once `RunbookFixtures.prepare` has created its
/// resources: the parameters to run it with and the names its `confirm: type` steps ask for, in step
/// order (`--confirm NAME` for each).
public struct RunbookFixture: Sendable {
    public var params: [String: String]
    /// Resource names a `confirm: type` step asks for.
    public var confirms: [String]
    /// Values `prepare` read before any run, for `recovered` to compare with when the change leaves
    /// nothing else to see (ecs-redeploy: the deployment id a forced deployment replaces).
    public var before: [String: String]

    public init(params: [String: String], confirms: [String], before: [String: String] = [:]) {
        self.params = params
        self.confirms = confirms
        self.before = before
    }
}

/// A fixture asked for a runbook it does not know, or moto answered without what was expected.
public struct RunbookFixtureError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
    public init(_ message: String) { self.message = message }
}

/// The resources each runbook in `runbooks/` acts on, created in moto_server through the catalog,
/// so that a run of the runbook can complete there; and a read-back that its change happened.
///
/// Every alarm a runbook's `wait_alarm` waits for is created and set, with SetAlarmState, to the state
/// the step waits for (moto never evaluates alarms, so the state stays), so no test waits. What moto
/// 5.2.1 cannot do:
/// - `ec2-reboot`: moto reports every running instance's status checks as `ok`; the runbook's check
///   that they are `impaired` holds only through a `SandboxGateway` that impairs the instance.
/// - `freeze-ingestion`: moto rejects every signed Lambda request without a body (GET
///   GetFunctionConcurrency, DELETE DeleteFunctionConcurrency) with SignatureDoesNotMatch, unless the
///   request signs `x-amz-content-sha256`, which `AWSClient` does not send for rest-json calls.
/// ECS services are created with a desired count of 0 and then scaled: moto marks a service's
/// deployment COMPLETED only when it was created with no more tasks than it runs (it runs none), and
/// an update sets the running count to the desired count.
public enum RunbookFixtures {
    /// The runbooks a fixture exists for: every one in `runbooks/`.
    public static let ids = [
        "ec2-reboot", "asg-scale-out", "ecs-redeploy", "ecs-scale", "pause-workers", "rds-reboot", "rds-failover", "db-overload",
        "freeze-ingestion", "sqs-flush", "dynamodb-hot-key",
    ]

    /// An Ubuntu AMI from moto's built-in list; moto refuses ids it does not know.
    public static let ami = SandboxProvisioner.ami

    /// Creates in moto (through `client`, an admin client of the LocalAWSServer) everything runbook `id`
    /// needs so that a non-interactive run with these params and `--yes --confirm ...` completes:
    /// resources, alarms set to the state its wait_alarm expects (SetAlarmState, so no test waits),
    /// queue messages, table items. Throws for an unknown id.
    public static func prepare(_ id: String, client: AWSClient, region: String) async throws -> RunbookFixture {
        let aws = Caller(client: client, region: region)
        switch id {
        case "ec2-reboot":
            _ = try await aws.call("ec2", "RunInstances", [
                "ImageId": .string(ami), "MinCount": 1, "MaxCount": 1, "InstanceType": "t3.micro",
                // EC2's wire names (TagSpecification.1.Tag.1.Key): the catalog names no list members for tags.
                "TagSpecification": [["ResourceType": "instance", "Tag": [["Key": "Name", "Value": "prod-web"]]]],
            ])
            try await aws.alarm("prod-web-status-check", state: "OK")
            return RunbookFixture(params: ["name": "prod-web", "alarm": "prod-web-status-check"], confirms: [])

        case "asg-scale-out":
            _ = try await aws.call("autoscaling", "CreateLaunchConfiguration", [
                "LaunchConfigurationName": "prod-web-v1", "ImageId": .string(ami), "InstanceType": "t3.micro",
            ])
            _ = try await aws.call("autoscaling", "CreateAutoScalingGroup", [
                "AutoScalingGroupName": "prod-web", "LaunchConfigurationName": "prod-web-v1", "MinSize": 1, "MaxSize": 10, "DesiredCapacity": 4,
                "AvailabilityZones": [.string(region + "a")],
            ])
            try await aws.alarm("prod-api-5xx-rate", state: "OK")
            return RunbookFixture(params: ["group": "prod-web", "desired": "8", "alarm": "prod-api-5xx-rate"], confirms: ["prod-web"])

        case "ecs-redeploy":
            try await aws.ecsService(cluster: "prod", service: "orders-worker", count: 3)
            let services = try await aws.call("ecs", "DescribeServices", ["cluster": "prod", "services": ["orders-worker"]])
            guard let deployment = services.value(at: try AWSPath("services[0].deployments[0].id"))?.string else {
                throw RunbookFixtureError("DescribeServices shows no deployment of orders-worker: \(services)")
            }
            return RunbookFixture(params: ["cluster": "prod", "service": "orders-worker"], confirms: [], before: ["deployment": deployment])

        case "ecs-scale":
            try await aws.ecsService(cluster: "prod", service: "orders-api", count: 6)
            return RunbookFixture(params: ["cluster": "prod", "service": "orders-api", "count": "12"], confirms: ["orders-api"])

        case "pause-workers":
            try await aws.ecsService(cluster: "prod", service: "orders-worker", count: 6)
            try await aws.alarm("prod-db-cpu", state: "OK")
            return RunbookFixture(params: ["cluster": "prod", "service": "orders-worker", "paused": "1", "alarm": "prod-db-cpu"], confirms: ["orders-worker"])

        case "rds-reboot":
            try await aws.auroraCluster("prod-aurora", instances: ["prod-aurora-1"])
            try await aws.alarm("prod-db-writer-health", state: "OK")
            return RunbookFixture(params: ["instance": "prod-aurora-1", "alarm": "prod-db-writer-health"], confirms: ["prod-aurora-1"])

        case "rds-failover":
            // moto fails over only a cluster with two instances; the first created writes.
            try await aws.auroraCluster("prod-aurora", instances: ["prod-aurora-1", "prod-aurora-2"])
            try await aws.alarm("prod-db-writer-health", state: "OK")
            return RunbookFixture(params: ["cluster": "prod-aurora", "alarm": "prod-db-writer-health"], confirms: ["prod-aurora"])

        case "db-overload":
            try await aws.auroraCluster("prod-aurora", instances: ["prod-aurora-1"])
            try await aws.alarm("prod-db-cpu", state: "OK")
            return RunbookFixture(params: ["instance": "prod-aurora-1", "class": "db.r6g.2xlarge", "alarm": "prod-db-cpu"], confirms: ["prod-aurora-1"])

        case "freeze-ingestion":
            let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
            let role = try await aws.call("iam", "CreateRole", ["RoleName": "prod-ingest-exec", "AssumeRolePolicyDocument": .string(trust)])
            guard let roleARN = role.value(at: try AWSPath("Role.Arn"))?.string else { throw RunbookFixtureError("CreateRole answered without Role.Arn: \(role)") }
            _ = try await aws.call("lambda", "CreateFunction", [
                "FunctionName": "prod-ingest", "Runtime": "python3.12", "Role": .string(roleARN), "Handler": "index.handler",
                "Code": ["ZipFile": .string(lambdaZip)],
            ])
            try await aws.alarm("prod-db-cpu", state: "OK")
            try await aws.alarm("prod-ingest-throttles", state: "OK")
            return RunbookFixture(params: ["function": "prod-ingest", "alarm": "prod-db-cpu"], confirms: ["prod-ingest"])

        case "sqs-flush":
            let queue = try await aws.call("sqs", "CreateQueue", ["QueueName": "prod-orders"])
            guard let url = queue["QueueUrl"]?.string else { throw RunbookFixtureError("CreateQueue answered without QueueUrl: \(queue)") }
            for n in 1...5 {
                _ = try await aws.call("sqs", "SendMessage", ["QueueUrl": .string(url), "MessageBody": .string(#"{"order":\#(n)}"#)])
            }
            try await aws.alarm("prod-orders-queue-depth", state: "OK")
            return RunbookFixture(params: ["queue": "prod-orders", "alarm": "prod-orders-queue-depth"], confirms: [])

        case "dynamodb-hot-key":
            _ = try await aws.call("dynamodb", "CreateTable", [
                "TableName": "prod-inventory", "BillingMode": "PROVISIONED",
                "ProvisionedThroughput": ["ReadCapacityUnits": 5, "WriteCapacityUnits": 5],
                "AttributeDefinitions": [["AttributeName": "pk", "AttributeType": "S"], ["AttributeName": "sk", "AttributeType": "S"]],
                "KeySchema": [["AttributeName": "pk", "KeyType": "HASH"], ["AttributeName": "sk", "KeyType": "RANGE"]],
            ])
            for (pk, sk) in [("sku-holiday-bundle", "2024-12-01#a"), ("sku-holiday-bundle", "2024-12-01#b"), ("sku-holiday-bundle", "2024-12-02#a"), ("sku-other", "2024-12-01#a")] {
                _ = try await aws.call("dynamodb", "PutItem", ["TableName": "prod-inventory", "Item": ["pk": ["S": .string(pk)], "sk": ["S": .string(sk)], "stock": ["N": "3"]]])
            }
            return RunbookFixture(params: ["table": "prod-inventory", "key": "sku-holiday-bundle", "read": "400", "write": "400"], confirms: ["prod-inventory"])

        default:
            throw RunbookFixtureError("no fixture for runbook `\(id)`; fixtures exist for \(ids.joined(separator: ", "))")
        }
    }

    /// Reads back that the runbook's change happened (e.g. desired capacity is now 8). Returns a
    /// description of what differs, or nil when all is as expected.
    public static func recovered(_ id: String, fixture: RunbookFixture, client: AWSClient, region: String) async throws -> String? {
        let aws = Caller(client: client, region: region)
        let p = fixture.params
        var problems: [String] = []
        func expect(_ answer: AWSValue, _ path: String, _ expected: AWSValue, _ what: String) throws {
            let found = answer.value(at: try AWSPath(path))
            if !RunbookExpectation.same(found, expected) {
                problems.append("\(what): expected \(show(expected)) at \(path), found \(found.map(show) ?? "nothing")")
            }
        }
        switch id {
        case "ec2-reboot":
            let found = try await aws.call("ec2", "DescribeInstances", ["Filters": [["Name": "tag:Name", "Values": [.string(p["name"] ?? "")]]]])
            try expect(found, "reservationSet[0].instancesSet[0].instanceState.name", "running", "the rebooted server runs")
            if let instance = found.value(at: try AWSPath("reservationSet[0].instancesSet[0].instanceId")) {
                let status = try await aws.call("ec2", "DescribeInstanceStatus", ["InstanceIds": [instance]])
                try expect(status, "instanceStatusSet[0].instanceStatus.status", "ok", "its status checks pass")
            }
        case "asg-scale-out":
            let groups = try await aws.call("autoscaling", "DescribeAutoScalingGroups", ["AutoScalingGroupNames": [.string(p["group"] ?? "")]])
            try expect(groups, "AutoScalingGroups[0].DesiredCapacity", .number(p["desired"] ?? ""), "the group's desired capacity")
        case "ecs-redeploy":
            let services = try await aws.call("ecs", "DescribeServices", ["cluster": .string(p["cluster"] ?? ""), "services": [.string(p["service"] ?? "")]])
            try expect(services, "services[0].deployments[0].rolloutState", "COMPLETED", "the new deployment's rollout")
            // A forced deployment replaces the deployment: moto gives it a new id.
            let deployment = services.value(at: try AWSPath("services[0].deployments[0].id"))?.string
            if deployment == nil || deployment == fixture.before["deployment"] {
                problems.append("no new deployment: the service's deployment is still \(deployment ?? "missing")")
            }
        case "ecs-scale":
            let services = try await aws.call("ecs", "DescribeServices", ["cluster": .string(p["cluster"] ?? ""), "services": [.string(p["service"] ?? "")]])
            try expect(services, "services[0].desiredCount", .number(p["count"] ?? ""), "the service's desired count")
            try expect(services, "services[0].runningCount", .number(p["count"] ?? ""), "the service's running count")
        case "pause-workers":
            // The runbook rolls back: the workers are back to the 6 the fixture started.
            let services = try await aws.call("ecs", "DescribeServices", ["cluster": .string(p["cluster"] ?? ""), "services": [.string(p["service"] ?? "")]])
            try expect(services, "services[0].desiredCount", 6, "the workers' desired count, rolled back")
            try expect(services, "services[0].runningCount", 6, "the workers' running count, rolled back")
        case "rds-reboot":
            let db = try await aws.call("rds", "DescribeDBInstances", ["DBInstanceIdentifier": .string(p["instance"] ?? "")])
            try expect(db, "DBInstances[0].DBInstanceStatus", "available", "the server is available again")
        case "rds-failover":
            let clusters = try await aws.call("rds", "DescribeDBClusters", ["DBClusterIdentifier": .string(p["cluster"] ?? "")])
            try expect(clusters, "DBClusters[0].Status", "available", "the cluster is available")
            let members = clusters.value(at: try AWSPath("DBClusters[0].DBClusterMembers"))?.array ?? []
            let writer = members.first { $0["IsClusterWriter"]?.bool == true }?["DBInstanceIdentifier"]?.string
            if writer != "prod-aurora-2" { problems.append("the writer: expected prod-aurora-2 after the failover, found \(writer ?? "none")") }
        case "db-overload":
            let db = try await aws.call("rds", "DescribeDBInstances", ["DBInstanceIdentifier": .string(p["instance"] ?? "")])
            try expect(db, "DBInstances[0].DBInstanceClass", .string(p["class"] ?? ""), "the server's size")
            try expect(db, "DBInstances[0].DBInstanceStatus", "available", "the server is available")
        case "freeze-ingestion":
            // Unfrozen at the end: no limit of its own.
            let concurrency = try await aws.call("lambda", "GetFunctionConcurrency", ["FunctionName": .string(p["function"] ?? "")])
            try expect(concurrency, "ReservedConcurrentExecutions", nil, "the function's limit, removed again")
        case "sqs-flush":
            let url = try await aws.call("sqs", "GetQueueUrl", ["QueueName": .string(p["queue"] ?? "")])
            let attributes = try await aws.call("sqs", "GetQueueAttributes", ["QueueUrl": url["QueueUrl"] ?? "", "AttributeNames": ["ApproximateNumberOfMessages"]])
            try expect(attributes, "Attributes.ApproximateNumberOfMessages", 0, "the messages waiting")
        case "dynamodb-hot-key":
            let table = try await aws.call("dynamodb", "DescribeTable", ["TableName": .string(p["table"] ?? "")])
            try expect(table, "Table.ProvisionedThroughput.ReadCapacityUnits", .number(p["read"] ?? ""), "the table's read capacity")
            try expect(table, "Table.ProvisionedThroughput.WriteCapacityUnits", .number(p["write"] ?? ""), "the table's write capacity")
        default:
            throw RunbookFixtureError("no fixture for runbook `\(id)`; fixtures exist for \(ids.joined(separator: ", "))")
        }
        return problems.isEmpty ? nil : "\(id): " + problems.joined(separator: "; ")
    }

    static func show(_ value: AWSValue) -> String {
        switch value {
        case .string(let s): s
        case .number(let n): n
        default: JSON.encode(value)
        }
    }

    /// The sandbox's Lambda package (`def handler(event, context): return event`).
    public static let lambdaZip = SandboxProvisioner.lambdaZip

    /// Catalog calls in one region.
    struct Caller {
        let client: AWSClient
        let region: String

        func call(_ service: String, _ name: String, _ input: AWSValue = [:]) async throws -> AWSValue {
            try await client.call(AWSCatalog.lookup(service: service, name: name), input, region: region).value
        }

        /// A metric alarm set to `state`. moto never evaluates alarms, so the state stays.
        func alarm(_ name: String, state: String) async throws {
            _ = try await call("cloudwatch", "PutMetricAlarm", [
                "AlarmName": .string(name), "Namespace": "Breakglass/Fixture", "MetricName": .string(name), "Statistic": "Average", "Period": 60,
                "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold",
            ])
            _ = try await call("cloudwatch", "SetAlarmState", ["AlarmName": .string(name), "StateValue": .string(state), "StateReason": "set by the test fixture"])
        }

        /// A cluster (created once per fixture), a task definition and a service running `count` tasks.
        func ecsService(cluster: String, service: String, count: Int) async throws {
            _ = try await call("ecs", "CreateCluster", ["clusterName": .string(cluster)])
            _ = try await call("ecs", "RegisterTaskDefinition", [
                "family": .string(service), "containerDefinitions": [["name": .string(service), "image": "nginx:1.27", "memory": 256, "essential": true]],
            ])
            // Created with no tasks, so moto's first deployment is COMPLETED; the update then makes
            // moto run `count` tasks.
            _ = try await call("ecs", "CreateService", ["cluster": .string(cluster), "serviceName": .string(service), "taskDefinition": .string("\(service):1"), "desiredCount": 0])
            if count > 0 {
                _ = try await call("ecs", "UpdateService", ["cluster": .string(cluster), "service": .string(service), "desiredCount": .int(count)])
            }
        }

        /// An Aurora MySQL cluster and its instances; the first instance writes.
        func auroraCluster(_ cluster: String, instances: [String]) async throws {
            _ = try await call("rds", "CreateDBCluster", [
                "DBClusterIdentifier": .string(cluster), "Engine": "aurora-mysql", "MasterUsername": "admin", "MasterUserPassword": "correct-horse-battery",
            ])
            for name in instances {
                _ = try await call("rds", "CreateDBInstance", [
                    "DBInstanceIdentifier": .string(name), "DBClusterIdentifier": .string(cluster), "Engine": "aurora-mysql", "DBInstanceClass": "db.r6g.large",
                ])
            }
        }
    }
}
