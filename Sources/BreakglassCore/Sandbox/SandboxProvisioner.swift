import BreakglassAWS
import Foundation

/// What seeding a scenario made: the operator's key (a read-only user who may assume the break-glass
/// roles), the roles' ARNs, and the value of every signal the scenario's conditions read, as it was
/// before any fault (the baseline `changed: true` compares with).
public struct SandboxSeed: Sendable, Equatable, Codable {
    public var account: String
    public var operatorName: String?
    public var operatorARN: String?
    public var operatorKeyID: String?
    public var operatorSecret: String?
    /// Role name -> ARN.
    public var roles: [String: String]
    /// `signal|of` -> value (absent: the resource has no such value).
    public var baseline: [String: String]

    public init(account: String, operatorName: String? = nil, operatorARN: String? = nil, operatorKeyID: String? = nil, operatorSecret: String? = nil, roles: [String: String] = [:], baseline: [String: String] = [:]) {
        self.account = account
        self.operatorName = operatorName
        self.operatorARN = operatorARN
        self.operatorKeyID = operatorKeyID
        self.operatorSecret = operatorSecret
        self.roles = roles
        self.baseline = baseline
    }

    public var operatorCredentials: AWSCredentials? {
        guard let id = operatorKeyID, let secret = operatorSecret else { return nil }
        return AWSCredentials(accessKeyID: id, secretAccessKey: secret, source: "sandbox operator \(operatorName ?? "")")
    }

    static func key(_ c: ScenarioCondition) -> String { "\(c.signal.rawValue)|\(c.of)" }
}

/// Creates a scenario's resources through `AWSClient` (an administrator's client of the sandbox), and
/// applies its faults. Seeding is idempotent: what exists is put back to the scenario's values (a
/// group's capacity, a service's count, a queue's messages, an alarm's state, a function's limit), what
/// is missing is created, so `sandbox seed` resets a sandbox to the start of its incident.
public struct SandboxProvisioner: Sendable {
    public let client: AWSClient
    public let scenario: Scenario
    /// The sandbox's front door, for what moto cannot do itself (impaired status checks, seeing
    /// reboots); nil when there is none (then `impair_instance` fails, saying why).
    public let gateway: SandboxGateway?
    public var region: String { scenario.region }

    public init(client: AWSClient, scenario: Scenario, gateway: SandboxGateway? = nil) {
        self.client = client
        self.scenario = scenario
        self.gateway = gateway
    }

    /// An Ubuntu AMI from moto's built-in list; moto refuses ids it does not know.
    public static let ami = "ami-1e749f67"

    /// A resource could not be created or reset: which, and AWS's error.
    public struct SeedError: Error, CustomStringConvertible, Sendable {
        public let resource: String
        public let underlying: AWSError
        public var description: String { "sandbox: cannot set up \(resource): \(underlying)" }
    }

    func call(_ service: String, _ name: String, _ input: AWSValue, about resource: String) async throws(SeedError) -> AWSValue {
        do {
            return try await client.call(AWSCatalog.lookup(service: service, name: name), input, region: region).value
        } catch {
            throw SeedError(resource: resource, underlying: error)
        }
    }

    /// As `call`, but an error with one of `tolerated` codes (it already exists) returns nil.
    func create(_ service: String, _ name: String, _ input: AWSValue, about resource: String, tolerating tolerated: [String]) async throws(SeedError) -> AWSValue? {
        do {
            return try await client.call(AWSCatalog.lookup(service: service, name: name), input, region: region).value
        } catch {
            if let code = error.serviceError?.code, tolerated.contains(where: { code.contains($0) }) { return nil }
            throw SeedError(resource: resource, underlying: error)
        }
    }

    /// Creates or resets everything, then reads the baseline. `existing` is a previous seed of the
    /// same sandbox, whose operator key is kept rather than a new one made.
    public func seed(existing: SandboxSeed? = nil, progress: (String) -> Void = { _ in }) async throws(SeedError) -> SandboxSeed {
        let r = scenario.resources
        var seed = existing ?? SandboxSeed(account: "123456789012")
        seed.baseline = [:]
        try await seedIAM(r, &seed, progress: progress)
        for i in r.instances { try await instance(i); progress("instance \(i.name)") }
        for g in r.autoScalingGroups { try await group(g); progress("auto scaling group \(g.name)") }
        for c in r.ecsClusters { try await ecs(c); progress("ECS cluster \(c.name)") }
        for c in r.rdsClusters { try await rds(c); progress("RDS cluster \(c.name)") }
        for t in r.tables { try await table(t); progress("DynamoDB table \(t.name)") }
        for q in r.queues { try await queue(q); progress("SQS queue \(q.name)") }
        for f in r.functions { try await function(f); progress("Lambda function \(f.name)") }
        for t in r.topics {
            _ = try await call("sns", "CreateTopic", ["Name": .string(t)], about: "SNS topic \(t)")
            progress("SNS topic \(t)")
        }
        for a in r.alarms { try await alarm(a); progress("alarm \(a.name)") }
        let reader = SandboxSignals(client: client, region: region, gateway: gateway)
        for c in conditions {
            let key = SandboxSeed.key(c)
            guard seed.baseline[key] == nil else { continue }
            do {
                if let v = try await reader.read(c.signal, of: c.of) { seed.baseline[key] = v }
            } catch {
                throw SeedError(resource: "\(c.signal.rawValue) of \(c.of)", underlying: error)
            }
        }
        return seed
    }

    /// Every condition in the scenario: the alarms' and the recovery's.
    public var conditions: [ScenarioCondition] { scenario.resources.alarms.flatMap(\.okWhen) + scenario.recovery }

    // MARK: IAM

    func seedIAM(_ r: ScenarioResources, _ seed: inout SandboxSeed, progress: (String) -> Void) async throws(SeedError) {
        var userARNs: [String: String] = [:]
        for u in r.users {
            let about = "IAM user \(u.name)"
            _ = try await create("iam", "CreateUser", ["UserName": .string(u.name)], about: about, tolerating: ["EntityAlreadyExists"])
            let user = try await call("iam", "GetUser", ["UserName": .string(u.name)], about: about)
            let arn = user["User"]?["Arn"]?.string ?? "arn:aws:iam::\(seed.account):user/\(u.name)"
            userARNs[u.name] = arn
            if let account = arn.split(separator: ":", omittingEmptySubsequences: false).dropFirst(4).first, !account.isEmpty { seed.account = String(account) }
            progress(about)
        }
        for role in r.roles {
            let about = "IAM role \(role.name)"
            let principals = role.trust.compactMap { userARNs[$0] }
            var statement: AWSObject = ["Effect": "Allow", "Principal": ["AWS": .array(principals.map(AWSValue.string))], "Action": "sts:AssumeRole"]
            if role.mfa { statement["Condition"] = ["Bool": ["aws:MultiFactorAuthPresent": "true"]] }
            let trust = JSON.encode(["Version": "2012-10-17", "Statement": [.object(statement)]])
            let created = try await create(
                "iam", "CreateRole",
                ["RoleName": .string(role.name), "AssumeRolePolicyDocument": .string(trust), "MaxSessionDuration": .int(Int(role.maxSession.components.seconds))],
                about: about, tolerating: ["EntityAlreadyExists"])
            let arn = created?["Role"]?["Arn"]?.string ?? "arn:aws:iam::\(seed.account):role/\(role.name)"
            seed.roles[role.name] = arn
            _ = try await call("iam", "PutRolePolicy", ["RoleName": .string(role.name), "PolicyName": "break-glass", "PolicyDocument": .string(Self.policy(allow: role.actions))], about: about)
            progress(about)
        }
        for u in r.users {
            let about = "IAM user \(u.name)"
            let assumable = r.roles.filter { $0.trust.contains(u.name) }.compactMap { seed.roles[$0.name] }
            let document = u.access == .admin ? Self.policy(allow: ["*"]) : Self.readOnlyPolicy(assume: assumable)
            _ = try await call("iam", "PutUserPolicy", ["UserName": .string(u.name), "PolicyName": .string(u.access.rawValue), "PolicyDocument": .string(document)], about: about)
        }
        // The operator: the first read-only user, with a key unless an earlier seed made one.
        if let op = r.users.first(where: { $0.access == .readOnly }) {
            if seed.operatorName != op.name || seed.operatorKeyID == nil {
                let key = try await call("iam", "CreateAccessKey", ["UserName": .string(op.name)], about: "IAM user \(op.name)'s access key")
                guard let id = key["AccessKey"]?["AccessKeyId"]?.string, let secret = key["AccessKey"]?["SecretAccessKey"]?.string else {
                    throw SeedError(resource: "IAM user \(op.name)'s access key", underlying: .malformedResponse(operation: "iam.CreateAccessKey", status: 200, requestID: nil, reason: "no AccessKey in the answer"))
                }
                seed.operatorKeyID = id
                seed.operatorSecret = secret
            }
            seed.operatorName = op.name
            seed.operatorARN = userARNs[op.name]
        }
    }

    /// An identity policy allowing `actions` on everything.
    public static func policy(allow actions: [String]) -> String {
        JSON.encode(["Version": "2012-10-17", "Statement": [["Effect": "Allow", "Action": .array(actions.map(AWSValue.string)), "Resource": "*"]]])
    }

    /// What an operator may do without break-glass: read what the runbooks and the console read, and
    /// assume the roles that trust them. moto names CloudWatch's actions `monitoring:*`; real IAM says
    /// `cloudwatch:*`: both are granted.
    public static func readOnlyPolicy(assume roles: [String]) -> String {
        let reads = [
            "cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*", "monitoring:Describe*", "monitoring:Get*", "monitoring:List*",
            "ec2:Describe*", "autoscaling:Describe*", "ecs:Describe*", "ecs:List*", "rds:Describe*", "elasticloadbalancing:Describe*",
            "dynamodb:Describe*", "dynamodb:Query", "sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:ListQueues", "lambda:Get*", "lambda:List*",
            "sts:GetCallerIdentity", "iam:GetRole", "iam:GetUser", "iam:ListAccessKeys", "logs:Describe*",
        ]
        var statements: [AWSValue] = [["Effect": "Allow", "Action": .array(reads.map(AWSValue.string)), "Resource": "*"]]
        if !roles.isEmpty { statements.append(["Effect": "Allow", "Action": "sts:AssumeRole", "Resource": .array(roles.map(AWSValue.string))]) }
        return JSON.encode(["Version": "2012-10-17", "Statement": .array(statements)])
    }

    // MARK: Compute

    func instance(_ i: ScenarioResources.Instance) async throws(SeedError) {
        let about = "instances named \(i.name)"
        let found = try await call("ec2", "DescribeInstances", ["Filters": [["Name": "tag:Name", "Values": [.string(i.name)]]]], about: about)
        var running = 0
        var stopped: [AWSValue] = []
        for reservation in found["reservationSet"]?.array ?? [] {
            for instance in reservation["instancesSet"]?.array ?? [] {
                switch instance["instanceState"]?["name"]?.string {
                case "running", "pending": running += 1
                case "stopped", "stopping": if let id = instance["instanceId"] { stopped.append(id) }
                default: break
                }
            }
        }
        let restart = Array(stopped.prefix(max(0, i.count - running)))
        if !restart.isEmpty { _ = try await call("ec2", "StartInstances", ["InstanceIds": .array(restart)], about: about) }
        let missing = i.count - running - restart.count
        if missing > 0 {
            _ = try await call("ec2", "RunInstances", [
                "ImageId": .string(Self.ami), "MinCount": .int(missing), "MaxCount": .int(missing), "InstanceType": .string(i.type),
                // EC2's wire names (TagSpecification.1.Tag.1.Key): the catalog names no list members for tags.
                "TagSpecification": [["ResourceType": "instance", "Tag": [["Key": "Name", "Value": .string(i.name)]]]],
            ], about: about)
        }
    }

    func group(_ g: ScenarioResources.AutoScalingGroup) async throws(SeedError) {
        let about = "auto scaling group \(g.name)"
        _ = try await create("autoscaling", "CreateLaunchConfiguration", [
            "LaunchConfigurationName": .string("\(g.name)-launch"), "ImageId": .string(Self.ami), "InstanceType": .string(g.instanceType),
        ], about: about, tolerating: ["AlreadyExists"])
        let created = try await create("autoscaling", "CreateAutoScalingGroup", [
            "AutoScalingGroupName": .string(g.name), "LaunchConfigurationName": .string("\(g.name)-launch"), "MinSize": .int(g.min), "MaxSize": .int(g.max),
            "DesiredCapacity": .int(g.desired), "AvailabilityZones": [.string(region + "a")],
        ], about: about, tolerating: ["AlreadyExists"])
        if created == nil {
            _ = try await call("autoscaling", "SetDesiredCapacity", ["AutoScalingGroupName": .string(g.name), "DesiredCapacity": .int(g.desired)], about: about)
        }
    }

    func ecs(_ c: ScenarioResources.ECSCluster) async throws(SeedError) {
        _ = try await call("ecs", "CreateCluster", ["clusterName": .string(c.name)], about: "ECS cluster \(c.name)")
        for s in c.services {
            let about = "ECS service \(c.name)/\(s.name)"
            let found = try await call("ecs", "DescribeServices", ["cluster": .string(c.name), "services": [.string(s.name)]], about: about)
            let exists = (found["services"]?.array ?? []).contains { $0["status"]?.string == "ACTIVE" }
            if !exists {
                _ = try await call("ecs", "RegisterTaskDefinition", [
                    "family": .string(s.name), "containerDefinitions": [["name": .string(s.name), "image": "nginx:1.27", "memory": 256, "essential": true]],
                ], about: about)
                // Created with no tasks, so moto's first deployment is COMPLETED; the update then makes
                // moto run `count` tasks.
                _ = try await call("ecs", "CreateService", [
                    "cluster": .string(c.name), "serviceName": .string(s.name), "taskDefinition": .string("\(s.name):1"), "desiredCount": 0,
                ], about: about)
            }
            if s.count > 0 || exists {
                _ = try await call("ecs", "UpdateService", ["cluster": .string(c.name), "service": .string(s.name), "desiredCount": .int(s.count)], about: about)
            }
        }
    }

    func rds(_ c: ScenarioResources.RDSCluster) async throws(SeedError) {
        let about = "RDS cluster \(c.name)"
        _ = try await create("rds", "CreateDBCluster", [
            "DBClusterIdentifier": .string(c.name), "Engine": "aurora-mysql", "MasterUsername": "admin", "MasterUserPassword": "sandbox-only-password",
        ], about: about, tolerating: ["AlreadyExists"])
        for name in c.instances {
            let created = try await create("rds", "CreateDBInstance", [
                "DBInstanceIdentifier": .string(name), "DBClusterIdentifier": .string(c.name), "Engine": "aurora-mysql", "DBInstanceClass": .string(c.instanceClass),
            ], about: "RDS instance \(name)", tolerating: ["AlreadyExists"])
            if created == nil {
                _ = try await call("rds", "ModifyDBInstance", [
                    "DBInstanceIdentifier": .string(name), "DBInstanceClass": .string(c.instanceClass), "ApplyImmediately": true,
                ], about: "RDS instance \(name)")
            }
        }
    }

    func table(_ t: ScenarioResources.Table) async throws(SeedError) {
        let about = "DynamoDB table \(t.name)"
        let created = try await create("dynamodb", "CreateTable", [
            "TableName": .string(t.name), "BillingMode": "PROVISIONED",
            "ProvisionedThroughput": ["ReadCapacityUnits": .int(t.read), "WriteCapacityUnits": .int(t.write)],
            "AttributeDefinitions": [["AttributeName": "pk", "AttributeType": "S"], ["AttributeName": "sk", "AttributeType": "S"]],
            "KeySchema": [["AttributeName": "pk", "KeyType": "HASH"], ["AttributeName": "sk", "KeyType": "RANGE"]],
        ], about: about, tolerating: ["ResourceInUse"])
        if created == nil {
            let now = try await call("dynamodb", "DescribeTable", ["TableName": .string(t.name)], about: about)
            let read = now["Table"]?["ProvisionedThroughput"]?["ReadCapacityUnits"].flatMap(Self.number)
            let write = now["Table"]?["ProvisionedThroughput"]?["WriteCapacityUnits"].flatMap(Self.number)
            if read != Double(t.read) || write != Double(t.write) {
                _ = try await call("dynamodb", "UpdateTable", [
                    "TableName": .string(t.name), "ProvisionedThroughput": ["ReadCapacityUnits": .int(t.read), "WriteCapacityUnits": .int(t.write)],
                ], about: about)
            }
        }
        for item in t.items {
            var attributes = AWSObject()
            for (k, v) in item.sorted(by: { $0.key < $1.key }) {
                attributes[k] = Double(v) != nil && k != "pk" && k != "sk" ? ["N": .string(v)] : ["S": .string(v)]
            }
            _ = try await call("dynamodb", "PutItem", ["TableName": .string(t.name), "Item": .object(attributes)], about: about)
        }
    }

    static func number(_ v: AWSValue) -> Double? {
        switch v {
        case .number(let n), .string(let n): Double(n)
        default: nil
        }
    }

    func queue(_ q: ScenarioResources.Queue) async throws(SeedError) {
        let about = "SQS queue \(q.name)"
        let created = try await call("sqs", "CreateQueue", ["QueueName": .string(q.name)], about: about)
        guard let url = created["QueueUrl"]?.string else {
            throw SeedError(resource: about, underlying: .malformedResponse(operation: "sqs.CreateQueue", status: 200, requestID: nil, reason: "no QueueUrl in the answer"))
        }
        _ = try await call("sqs", "PurgeQueue", ["QueueUrl": .string(url)], about: about)
        try await send(q.messages, to: url, about: about)
    }

    /// Sends `count` messages, ten to a request.
    func send(_ count: Int, to url: String, about: String) async throws(SeedError) {
        var sent = 0
        while sent < count {
            let batch = min(10, count - sent)
            let entries = (0..<batch).map { i -> AWSValue in
                ["Id": .string("m\(i)"), "MessageBody": .string(#"{"order":\#(sent + i + 1),"sandbox":true}"#)]
            }
            _ = try await call("sqs", "SendMessageBatch", ["QueueUrl": .string(url), "Entries": .array(entries)], about: about)
            sent += batch
        }
    }

    func function(_ f: ScenarioResources.Function) async throws(SeedError) {
        let about = "Lambda function \(f.name)"
        let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
        let roleName = "\(f.name)-exec"
        let role = try await create("iam", "CreateRole", ["RoleName": .string(roleName), "AssumeRolePolicyDocument": .string(trust)], about: about, tolerating: ["EntityAlreadyExists"])
        let roleARN = role?["Role"]?["Arn"]?.string ?? "arn:aws:iam::123456789012:role/\(roleName)"
        let created = try await create("lambda", "CreateFunction", [
            "FunctionName": .string(f.name), "Runtime": "python3.12", "Role": .string(roleARN), "Handler": "index.handler",
            "Code": ["ZipFile": .string(Self.lambdaZip)],
        ], about: about, tolerating: ["ResourceConflict"])
        if created == nil {
            _ = try await call("lambda", "DeleteFunctionConcurrency", ["FunctionName": .string(f.name)], about: about)
        }
    }

    /// `index.py` (`def handler(event, context): return event`) deflated into a zip by Python's zipfile.
    public static let lambdaZip =
        "UEsDBBQAAAAIACxvdV20CHBpKwAAAC4AAAAIAAAAaW5kZXgucHlLSU1TyEjMS8lJLdJILUvNK9FRSM7PK0mtKNG04lIAgqLUktKiPAWwHBcAUEsBAhQDFAAAAAgALG91XbQIcGkrAAAALgAAAAgAAAAAAAAAAAAAAIABAAAAAGluZGV4LnB5UEsFBgAAAAABAAEANgAAAFEAAAAAAA=="

    func alarm(_ a: ScenarioResources.Alarm) async throws(SeedError) {
        let about = "alarm \(a.name)"
        _ = try await call("cloudwatch", "PutMetricAlarm", [
            "AlarmName": .string(a.name), "ActionsEnabled": false, "Namespace": .string(a.namespace), "MetricName": .string(a.metric), "Statistic": "Average",
            "Period": 60, "EvaluationPeriods": 1, "Threshold": .number(ScenarioCondition.show(a.threshold)), "ComparisonOperator": "GreaterThanThreshold",
        ], about: about)
        let reason = a.reason.isEmpty ? Self.reason(state: a.state, threshold: a.threshold) : a.reason
        _ = try await call("cloudwatch", "SetAlarmState", ["AlarmName": .string(a.name), "StateValue": .string(a.state), "StateReason": .string(reason)], about: about)
    }

    /// A reason worded as CloudWatch words its own, for an alarm the scenario gives none.
    static func reason(state: String, threshold: Double) -> String {
        let t = ScenarioCondition.show(threshold)
        switch state {
        case "ALARM": return "Threshold Crossed: 1 datapoint was greater than the threshold (\(t))."
        case "INSUFFICIENT_DATA": return "Insufficient Data: 1 datapoint was unknown."
        default: return "Threshold Crossed: 1 datapoint [0.0] was not greater than the threshold (\(t))."
        }
    }

    // MARK: Faults

    /// Applies one fault.
    /// The ids of the running (or starting) instances tagged `Name=name`.
    func runningInstances(named name: String, about: String) async throws(SeedError) -> [String] {
        let found = try await call("ec2", "DescribeInstances", [
            "Filters": [["Name": "tag:Name", "Values": [.string(name)]], ["Name": "instance-state-name", "Values": ["running", "pending"]]],
        ], about: about)
        return (found["reservationSet"]?.array ?? []).flatMap { $0["instancesSet"]?.array ?? [] }.compactMap { $0["instanceId"]?.string }
    }

    public func apply(_ fault: ScenarioFault) async throws(SeedError) {
        let about = fault.summary
        switch fault.action {
        case .setAlarm(let name, let state, let reason):
            _ = try await call("cloudwatch", "SetAlarmState", ["AlarmName": .string(name), "StateValue": .string(state), "StateReason": .string(reason)], about: about)
        case .fillQueue(let queue, let messages):
            let found = try await call("sqs", "GetQueueUrl", ["QueueName": .string(queue)], about: about)
            guard let url = found["QueueUrl"]?.string else {
                throw SeedError(resource: about, underlying: .malformedResponse(operation: "sqs.GetQueueUrl", status: 200, requestID: nil, reason: "no QueueUrl in the answer"))
            }
            try await send(messages, to: url, about: about)
        case .stopInstance(let name):
            let ids = try await runningInstances(named: name, about: about)
            if !ids.isEmpty { _ = try await call("ec2", "StopInstances", ["InstanceIds": .array(ids.map { .string($0) })], about: about) }
        case .impairInstance(let name):
            guard let gateway else {
                throw SeedError(resource: about, underlying: .configuration("impair_instance needs the sandbox's gateway, which this process does not run"))
            }
            gateway.impair(instances: try await runningInstances(named: name, about: about))
        case .functionConcurrency(let function, let value):
            _ = try await call("lambda", "PutFunctionConcurrency", ["FunctionName": .string(function), "ReservedConcurrentExecutions": .int(value)], about: about)
        case .scaleService(let cluster, let service, let count):
            _ = try await call("ecs", "UpdateService", ["cluster": .string(cluster), "service": .string(service), "desiredCount": .int(count)], about: about)
        case .setCapacity(let group, let desired):
            _ = try await call("autoscaling", "SetDesiredCapacity", ["AutoScalingGroupName": .string(group), "DesiredCapacity": .int(desired)], about: about)
        }
    }
}
