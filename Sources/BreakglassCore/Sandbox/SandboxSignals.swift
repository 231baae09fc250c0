import BreakglassAWS
import Foundation

/// Reads a scenario signal from the sandbox: one read call per signal, its value as text (numbers as
/// AWS sends them), nil when the resource has no such value (a function without a concurrency limit).
public struct SandboxSignals: Sendable {
    public let client: AWSClient
    public let region: String
    /// What the sandbox's gateway saw and does (reboots, impaired instances); nil without one.
    public let gateway: SandboxGateway?

    public init(client: AWSClient, region: String, gateway: SandboxGateway? = nil) {
        self.client = client
        self.region = region
        self.gateway = gateway
    }

    func call(_ service: String, _ name: String, _ input: AWSValue) async throws(AWSError) -> AWSValue {
        try await client.call(AWSCatalog.lookup(service: service, name: name), input, region: region).value
    }

    public func read(_ signal: ScenarioSignal, of name: String) async throws(AWSError) -> String? {
        switch signal {
        case .alarmState:
            let found = try await call("cloudwatch", "DescribeAlarms", ["AlarmNames": [.string(name)]])
            return Self.text(found["MetricAlarms"]?.array?.first?["StateValue"])
        case .queueDepth:
            let url = try await call("sqs", "GetQueueUrl", ["QueueName": .string(name)])
            let attributes = try await call("sqs", "GetQueueAttributes", ["QueueUrl": url["QueueUrl"] ?? "", "AttributeNames": ["ApproximateNumberOfMessages"]])
            return Self.text(attributes["Attributes"]?["ApproximateNumberOfMessages"])
        case .desiredCapacity:
            let groups = try await call("autoscaling", "DescribeAutoScalingGroups", ["AutoScalingGroupNames": [.string(name)]])
            return Self.text(groups["AutoScalingGroups"]?.array?.first?["DesiredCapacity"])
        case .desiredCount, .runningCount, .deployment:
            let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
            let services = try await call("ecs", "DescribeServices", ["cluster": .string(parts.first ?? ""), "services": [.string(parts.last ?? "")]])
            let service = services["services"]?.array?.first
            switch signal {
            case .desiredCount: return Self.text(service?["desiredCount"])
            case .runningCount: return Self.text(service?["runningCount"])
            default: return Self.text(service?["deployments"]?.array?.first?["id"])
            }
        case .instanceClass:
            let db = try await call("rds", "DescribeDBInstances", ["DBInstanceIdentifier": .string(name)])
            return Self.text(db["DBInstances"]?.array?.first?["DBInstanceClass"])
        case .clusterWriter:
            let clusters = try await call("rds", "DescribeDBClusters", ["DBClusterIdentifier": .string(name)])
            let members = clusters["DBClusters"]?.array?.first?["DBClusterMembers"]?.array ?? []
            return Self.text(members.first { $0["IsClusterWriter"]?.bool == true || $0["IsClusterWriter"]?.string == "true" }?["DBInstanceIdentifier"])
        case .readCapacity, .writeCapacity:
            let table = try await call("dynamodb", "DescribeTable", ["TableName": .string(name)])
            let throughput = table["Table"]?["ProvisionedThroughput"]
            return Self.text(throughput?[signal == .readCapacity ? "ReadCapacityUnits" : "WriteCapacityUnits"])
        case .functionConcurrency:
            let concurrency = try await call("lambda", "GetFunctionConcurrency", ["FunctionName": .string(name)])
            return Self.text(concurrency["ReservedConcurrentExecutions"])
        case .instanceState:
            let found = try await call("ec2", "DescribeInstances", ["Filters": [["Name": "tag:Name", "Values": [.string(name)]]]])
            let states = (found["reservationSet"]?.array ?? []).flatMap { $0["instancesSet"]?.array ?? [] }.compactMap { $0["instanceState"]?["name"]?.string }
            // One word for them all: running when any runs.
            if states.contains("running") { return "running" }
            return states.first
        case .instanceStatus:
            // moto says `ok` for every running instance; the gateway knows which it impairs.
            let ids = try await instanceIDs(named: name)
            if ids.contains(where: { gateway?.isImpaired($0) == true }) { return "impaired" }
            let found = try await call("ec2", "DescribeInstanceStatus", ["InstanceIds": .array(ids.map { .string($0) })])
            let statuses = (found["instanceStatusSet"]?.array ?? []).compactMap { $0["instanceStatus"]?["status"]?.string }
            return statuses.first { $0 != "ok" } ?? statuses.first
        case .reboots:
            guard let gateway else { return nil }
            // A database instance is named in RebootDBInstance; an EC2 instance by its id.
            var count = gateway.calls("RebootDBInstance", naming: name)
            for id in try await instanceIDs(named: name) { count += gateway.calls("RebootInstances", naming: id) }
            return String(count)
        }
    }

    /// The ids of every instance tagged `Name=name` (none when it names no instance).
    func instanceIDs(named name: String) async throws(AWSError) -> [String] {
        let found = try await call("ec2", "DescribeInstances", ["Filters": [["Name": "tag:Name", "Values": [.string(name)]]]])
        return (found["reservationSet"]?.array ?? []).flatMap { $0["instancesSet"]?.array ?? [] }.compactMap { $0["instanceId"]?.string }
    }

    static func text(_ value: AWSValue?) -> String? {
        switch value {
        case .string(let s)?: s
        case .number(let n)?: n
        case .bool(let b)?: b ? "true" : "false"
        default: nil
        }
    }

    /// Reads `condition`'s signal and says whether it holds.
    public func holds(_ condition: ScenarioCondition, baseline: [String: String]) async throws(AWSError) -> (holds: Bool, value: String?) {
        let value = try await read(condition.signal, of: condition.of)
        return (condition.holds(value, baseline: baseline[SandboxSeed.key(condition)]), value)
    }
}
