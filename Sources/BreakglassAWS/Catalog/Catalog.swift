/// One operation Breakglass may send: which service, whether it changes anything, the IAM action it
/// needs, and what its wire protocol needs beyond the service's defaults.
public struct AWSOperation: Sendable, Hashable {
    public let service: AWSService
    public let name: String
    /// True when the call changes state in AWS: it is never retried once it may have reached AWS,
    /// and (with the audit trail) its intent is recorded before it is sent.
    public let mutates: Bool
    /// For rest-json operations: the HTTP method and path template, `{Member}` taken from the input.
    public let http: HTTPBinding?
    /// Query protocols: member names whose list items are not `member` (RDS `Filters.Filter.N`), or,
    /// in EC2's dialect, the wire name of a list member (`InstanceIds` -> `InstanceId.N`).
    public let listNames: [String: String]
    /// Query protocols: members that are maps (objects whose keys are data, not member names), sent as
    /// `Name.entry.N.<key>` / `Name.entry.N.<value>` with the model's names for key and value.
    public let maps: [String: QueryMap]

    public struct HTTPBinding: Sendable, Hashable {
        public let method: String
        public let path: String
    }

    public init(
        _ service: AWSService, _ name: String, mutates: Bool, http: HTTPBinding? = nil, listNames: [String: String] = [:], maps: [String: QueryMap] = [:]
    ) {
        self.service = service
        self.name = name
        self.mutates = mutates
        self.http = http
        self.listNames = listNames
        self.maps = maps
    }

    /// The IAM action, as a policy names it: `cloudwatch:DescribeAlarms`, `lambda:PutFunctionConcurrency`.
    public var iamAction: String { "\(service.iamPrefix):\(name)" }
}

/// How the query protocol names the parts of one map entry: `key`/`value` unless the service model
/// renames them (SNS Publish `MessageAttributes.entry.N.Name` / `.Value`).
public struct QueryMap: Sendable, Hashable {
    public let key: String
    public let value: String

    public init(key: String = "key", value: String = "value") {
        self.key = key
        self.value = value
    }

    /// `Name.entry.N.key` / `Name.entry.N.value`.
    public static let standard = QueryMap()
}

/// The operations DESIGN.md lists, and the create calls the sandbox needs. Anything else is refused,
/// which keeps a typo in a runbook from reaching AWS as some other call.
public enum AWSCatalog {
    static let ec2Lists = ["InstanceIds": "InstanceId", "Filters": "Filter", "Values": "Value", "GroupIds": "SecurityGroupId"]
    static let rdsLists = ["Filters": "Filter", "Values": "Value"]

    public static let operations: [AWSOperation] = [
        // CloudWatch
        AWSOperation(.cloudwatch, "DescribeAlarms", mutates: false),
        AWSOperation(.cloudwatch, "GetMetricData", mutates: false),
        AWSOperation(.cloudwatch, "SetAlarmState", mutates: true),
        AWSOperation(.cloudwatch, "PutMetricAlarm", mutates: true),
        AWSOperation(.cloudwatch, "PutMetricData", mutates: true),
        AWSOperation(.cloudwatch, "DeleteAlarms", mutates: true),
        // EC2
        AWSOperation(.ec2, "DescribeInstances", mutates: false, listNames: ec2Lists),
        AWSOperation(.ec2, "DescribeInstanceStatus", mutates: false, listNames: ec2Lists),
        AWSOperation(.ec2, "RebootInstances", mutates: true, listNames: ec2Lists),
        AWSOperation(.ec2, "StopInstances", mutates: true, listNames: ec2Lists),
        AWSOperation(.ec2, "StartInstances", mutates: true, listNames: ec2Lists),
        AWSOperation(.ec2, "RunInstances", mutates: true, listNames: ec2Lists),
        // Auto Scaling
        AWSOperation(.autoscaling, "DescribeAutoScalingGroups", mutates: false),
        AWSOperation(.autoscaling, "SetDesiredCapacity", mutates: true),
        AWSOperation(.autoscaling, "CreateLaunchConfiguration", mutates: true),
        AWSOperation(.autoscaling, "CreateAutoScalingGroup", mutates: true),
        // ECS
        AWSOperation(.ecs, "DescribeServices", mutates: false),
        AWSOperation(.ecs, "UpdateService", mutates: true),
        AWSOperation(.ecs, "CreateCluster", mutates: true),
        AWSOperation(.ecs, "RegisterTaskDefinition", mutates: true),
        AWSOperation(.ecs, "CreateService", mutates: true),
        // RDS
        AWSOperation(.rds, "DescribeDBInstances", mutates: false, listNames: rdsLists),
        AWSOperation(.rds, "DescribeDBClusters", mutates: false, listNames: rdsLists),
        AWSOperation(.rds, "RebootDBInstance", mutates: true),
        AWSOperation(.rds, "FailoverDBCluster", mutates: true),
        AWSOperation(.rds, "ModifyDBInstance", mutates: true),
        AWSOperation(.rds, "CreateDBCluster", mutates: true),
        AWSOperation(.rds, "CreateDBInstance", mutates: true),
        // ELBv2
        AWSOperation(.elbv2, "DescribeTargetHealth", mutates: false),
        AWSOperation(.elbv2, "CreateTargetGroup", mutates: true),
        AWSOperation(.elbv2, "RegisterTargets", mutates: true),
        // DynamoDB
        AWSOperation(.dynamodb, "DescribeTable", mutates: false),
        AWSOperation(.dynamodb, "Query", mutates: false),
        AWSOperation(.dynamodb, "UpdateTable", mutates: true),
        AWSOperation(.dynamodb, "CreateTable", mutates: true),
        AWSOperation(.dynamodb, "PutItem", mutates: true),
        // SQS
        AWSOperation(.sqs, "GetQueueAttributes", mutates: false),
        AWSOperation(.sqs, "GetQueueUrl", mutates: false),
        AWSOperation(.sqs, "PurgeQueue", mutates: true),
        AWSOperation(.sqs, "CreateQueue", mutates: true),
        AWSOperation(.sqs, "SendMessage", mutates: true),
        AWSOperation(.sqs, "SendMessageBatch", mutates: true),
        // ReceiveMessage deletes nothing, but it hides what it returns from other consumers for the
        // visibility timeout and counts towards a redrive policy's maxReceiveCount: a change to the
        // queue, so it is a write (never re-sent, audited), though one that undoes itself.
        AWSOperation(.sqs, "ReceiveMessage", mutates: true),
        // Lambda (rest-json)
        AWSOperation(.lambda, "GetFunctionConcurrency", mutates: false, http: .init(method: "GET", path: "/2019-09-30/functions/{FunctionName}/concurrency")),
        AWSOperation(.lambda, "PutFunctionConcurrency", mutates: true, http: .init(method: "PUT", path: "/2017-10-31/functions/{FunctionName}/concurrency")),
        AWSOperation(.lambda, "DeleteFunctionConcurrency", mutates: true, http: .init(method: "DELETE", path: "/2017-10-31/functions/{FunctionName}/concurrency")),
        AWSOperation(.lambda, "CreateFunction", mutates: true, http: .init(method: "POST", path: "/2015-03-31/functions")),
        // STS
        AWSOperation(.sts, "GetCallerIdentity", mutates: false),
        // AssumeRole creates a session but changes nothing in the account; it is safe to retry.
        AWSOperation(.sts, "AssumeRole", mutates: false),
        // IAM
        AWSOperation(.iam, "ListAccessKeys", mutates: false),
        AWSOperation(.iam, "GetRole", mutates: false),
        AWSOperation(.iam, "GetUser", mutates: false),
        AWSOperation(.iam, "PutRolePolicy", mutates: true),
        AWSOperation(.iam, "CreateRole", mutates: true),
        AWSOperation(.iam, "CreateUser", mutates: true),
        AWSOperation(.iam, "PutUserPolicy", mutates: true),
        AWSOperation(.iam, "DeleteUserPolicy", mutates: true),
        AWSOperation(.iam, "CreateAccessKey", mutates: true),
        // SNS
        AWSOperation(.sns, "Publish", mutates: true, maps: ["MessageAttributes": QueryMap(key: "Name", value: "Value")]),
        AWSOperation(.sns, "CreateTopic", mutates: true, maps: ["Attributes": .standard]),
        AWSOperation(.sns, "Subscribe", mutates: true, maps: ["Attributes": .standard]),
        // CloudWatch Logs
        AWSOperation(.logs, "CreateLogGroup", mutates: true),
        AWSOperation(.logs, "CreateLogStream", mutates: true),
        AWSOperation(.logs, "PutLogEvents", mutates: true),
        AWSOperation(.logs, "GetLogEvents", mutates: false),
        // SSM
        AWSOperation(.ssm, "StartAutomationExecution", mutates: true),
    ]

    public static func operation(service: String, name: String) -> AWSOperation? {
        operations.first { $0.service.name == service.lowercased() && $0.name == name }
    }

    public static func operations(of service: String) -> [AWSOperation] {
        operations.filter { $0.service.name == service.lowercased() }
    }

    /// Finds an operation or says what exists instead.
    public static func lookup(service: String, name: String) throws(AWSError) -> AWSOperation {
        guard AWSService.named(service) != nil else {
            throw .configuration("unknown service \"\(service)\"; supported: \(AWSService.all.map(\.name).joined(separator: ", "))")
        }
        guard let op = operation(service: service, name: name) else {
            let known = operations(of: service).map(\.name).joined(separator: ", ")
            throw .configuration("\(service) has no supported operation \"\(name)\"; supported: \(known)")
        }
        return op
    }
}
