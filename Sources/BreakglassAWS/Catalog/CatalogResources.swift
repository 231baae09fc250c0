/// Which resource an operation acts on, as an IAM policy names it: the ARN built from the call's
/// input. A break-glass session policy (BreakglassCore's `SessionPolicy`) uses it to allow each action
/// on exactly the resources a runbook touches.
///
/// A template is an ARN with placeholders in braces:
/// - `{partition}`, `{region}`, `{account}`: the grant's partition, the call's region, the account.
/// - `{Member}`: the input member's value; a list gives one ARN per item.
/// - `{Member=default}`: the same, with a default when the input leaves the member out (ECS's
///   `cluster` is `default` then).
/// - `{Member|lower}`: lowercased (RDS keeps identifiers in lower case, and so do its ARNs).
/// - `{Member|queueName}`, `{Member|queueAccount}`: the queue's name and account from an SQS queue
///   URL (`https://sqs.us-east-1.amazonaws.com/111122223333/orders`).
///
/// Only operations whose IAM action supports resource-level permissions are listed (the Service
/// Authorization Reference's "Resource types" column): `ec2:DescribeInstances`,
/// `autoscaling:DescribeAutoScalingGroups` and the like must be allowed on `*`, so they have none.
public struct AWSResourceForm: Sendable, Hashable {
    /// Tried in order: the first whose members the input gives all of is used.
    public let templates: [String]

    public init(_ templates: String...) { self.templates = templates }

    /// The input members the templates read.
    public var members: Set<String> {
        Set(templates.flatMap { Self.placeholders($0).compactMap { $0.member } })
    }

    /// One placeholder: `{Member=default|modifier}`, or one of the grant's own values.
    struct Placeholder: Hashable {
        var member: String?
        var builtin: String?
        var defaultValue: String?
        var modifier: String?
    }

    static let builtins: Set<String> = ["partition", "region", "account"]

    /// The template split into literal text and placeholders, in order.
    static func parts(_ template: String) -> [Either] {
        var out: [Either] = []
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            if open > rest.startIndex { out.append(.text(String(rest[..<open]))) }
            var body = Substring(rest[rest.index(after: open)..<close])
            var p = Placeholder()
            if let bar = body.firstIndex(of: "|") {
                p.modifier = String(body[body.index(after: bar)...])
                body = body[..<bar]
            }
            if let eq = body.firstIndex(of: "=") {
                p.defaultValue = String(body[body.index(after: eq)...])
                body = body[..<eq]
            }
            if builtins.contains(String(body)) { p.builtin = String(body) } else { p.member = String(body) }
            out.append(.placeholder(p))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { out.append(.text(String(rest))) }
        return out
    }

    enum Either: Hashable {
        case text(String)
        case placeholder(Placeholder)
    }

    static func placeholders(_ template: String) -> [Placeholder] {
        parts(template).compactMap { if case .placeholder(let p) = $0 { p } else { nil } }
    }

    /// What a member's value is when rendering: given (text, or a list of texts), absent, or known to
    /// exist but not knowable yet (a runbook template that reads an earlier step's output).
    public enum MemberValue: Sendable, Hashable {
        case given([String])
        case unknown
    }

    /// The ARNs the operation acts on for `input` (member name -> value; members left out are
    /// absent), or nil when they cannot be known: a member the chosen template needs is `.unknown`,
    /// or no template has all its members. The first template whose members are all present (or have
    /// defaults) is used, so a more specific form (a DynamoDB index) can come before a general one.
    /// A single-member template whose value is already an ARN (`arn:...`) gives the value itself.
    public func arns(input: [String: MemberValue], partition: String, region: String, account: String) -> [String]? {
        templates: for template in templates {
            let parts = Self.parts(template)
            var combos: [String] = [""]
            let memberCount = parts.filter { if case .placeholder(let p) = $0 { p.member != nil } else { false } }.count
            for part in parts {
                switch part {
                case .text(let t):
                    combos = combos.map { $0 + t }
                case .placeholder(let p):
                    if let b = p.builtin {
                        let v = b == "partition" ? partition : b == "region" ? region : account
                        combos = combos.map { $0 + v }
                        continue
                    }
                    guard let member = p.member else { continue }
                    let values: [String]
                    switch input[member] {
                    case .unknown?: return nil
                    case .given(let items)?: values = items
                    case nil:
                        guard let d = p.defaultValue else { continue templates }
                        values = [d]
                    }
                    if values.isEmpty { return nil }
                    if memberCount == 1, values.allSatisfy({ $0.hasPrefix("arn:") }) { return values }
                    var next: [String] = []
                    for combo in combos {
                        for v in values {
                            guard let text = Self.apply(p.modifier, to: v) else { return nil }
                            next.append(combo + text)
                        }
                    }
                    combos = next
                }
            }
            return combos
        }
        return nil
    }

    static func apply(_ modifier: String?, to value: String) -> String? {
        guard !value.isEmpty, !value.contains("*"), !value.contains("?") else { return nil }
        switch modifier {
        case nil: return value
        case "lower": return value.lowercased()
        case "queueName", "queueAccount":
            // https://sqs.REGION.amazonaws.com/ACCOUNT/NAME (or a custom endpoint with the same path).
            let path = value.split(separator: "/", omittingEmptySubsequences: true)
            guard value.contains("://"), path.count >= 4 else { return nil }
            return String(modifier == "queueName" ? path[path.count - 1] : path[path.count - 2])
        default: return nil
        }
    }
}

extension AWSOperation {
    /// How the operation's resource is named in a policy; nil when its IAM action takes only `*`.
    public var resourceForm: AWSResourceForm? { AWSCatalog.resourceForms["\(service.name).\(name)"] }
}

extension AWSCatalog {
    /// Resource ARN forms, keyed `service.Operation` (our service names). Checked against the
    /// Service Authorization Reference's resource types for each action; `dynamodb.Scan` is here
    /// because runbooks' `query` steps with `scan: true` send it.
    public static let resourceForms: [String: AWSResourceForm] = {
        let asg = AWSResourceForm("arn:{partition}:autoscaling:{region}:{account}:autoScalingGroup:*:autoScalingGroupName/{AutoScalingGroupName}")
        let alarm = AWSResourceForm("arn:{partition}:cloudwatch:{region}:{account}:alarm:{AlarmName}")
        let alarms = AWSResourceForm("arn:{partition}:cloudwatch:{region}:{account}:alarm:{AlarmNames}")
        let instances = AWSResourceForm("arn:{partition}:ec2:{region}:{account}:instance/{InstanceIds}")
        let db = AWSResourceForm("arn:{partition}:rds:{region}:{account}:db:{DBInstanceIdentifier|lower}")
        let cluster = AWSResourceForm("arn:{partition}:rds:{region}:{account}:cluster:{DBClusterIdentifier|lower}")
        let table = AWSResourceForm("arn:{partition}:dynamodb:{region}:{account}:table/{TableName}")
        let tableOrIndex = AWSResourceForm(
            "arn:{partition}:dynamodb:{region}:{account}:table/{TableName}/index/{IndexName}", "arn:{partition}:dynamodb:{region}:{account}:table/{TableName}")
        let queue = AWSResourceForm("arn:{partition}:sqs:{region}:{QueueUrl|queueAccount}:{QueueUrl|queueName}")
        let function = AWSResourceForm("arn:{partition}:lambda:{region}:{account}:function:{FunctionName}")
        return [
            "cloudwatch.DescribeAlarms": alarms,
            "cloudwatch.SetAlarmState": alarm,
            "cloudwatch.PutMetricAlarm": alarm,
            "cloudwatch.DeleteAlarms": alarms,
            "ec2.RebootInstances": instances,
            "ec2.StopInstances": instances,
            "ec2.StartInstances": instances,
            "autoscaling.SetDesiredCapacity": asg,
            "ecs.DescribeServices": AWSResourceForm("arn:{partition}:ecs:{region}:{account}:service/{cluster=default}/{services}"),
            "ecs.UpdateService": AWSResourceForm("arn:{partition}:ecs:{region}:{account}:service/{cluster=default}/{service}"),
            "rds.DescribeDBInstances": db,
            "rds.RebootDBInstance": db,
            "rds.ModifyDBInstance": db,
            "rds.DescribeDBClusters": cluster,
            "rds.FailoverDBCluster": cluster,
            "elbv2.RegisterTargets": AWSResourceForm("{TargetGroupArn}"),
            "dynamodb.DescribeTable": table,
            "dynamodb.UpdateTable": table,
            "dynamodb.PutItem": table,
            "dynamodb.Query": tableOrIndex,
            "dynamodb.Scan": tableOrIndex,
            "sqs.GetQueueUrl": AWSResourceForm(
                "arn:{partition}:sqs:{region}:{QueueOwnerAWSAccountId}:{QueueName}", "arn:{partition}:sqs:{region}:{account}:{QueueName}"),
            "sqs.GetQueueAttributes": queue,
            "sqs.PurgeQueue": queue,
            "sqs.SendMessage": queue,
            "sqs.SendMessageBatch": queue,
            "sqs.ReceiveMessage": queue,
            "lambda.GetFunctionConcurrency": function,
            "lambda.PutFunctionConcurrency": function,
            "lambda.DeleteFunctionConcurrency": function,
            "sns.Publish": AWSResourceForm("{TopicArn}"),
            "iam.GetRole": AWSResourceForm("arn:{partition}:iam::{account}:role/{RoleName}"),
            "iam.GetUser": AWSResourceForm("arn:{partition}:iam::{account}:user/{UserName}"),
            "iam.PutRolePolicy": AWSResourceForm("arn:{partition}:iam::{account}:role/{RoleName}"),
            "logs.CreateLogStream": AWSResourceForm("arn:{partition}:logs:{region}:{account}:log-group:{logGroupName}:log-stream:{logStreamName}"),
            "logs.PutLogEvents": AWSResourceForm("arn:{partition}:logs:{region}:{account}:log-group:{logGroupName}:log-stream:{logStreamName}"),
        ]
    }()
}
