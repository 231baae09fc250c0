import BreakglassAWS

/// The read that shows what a `do` step changes: sent before the change, to record the values it is
/// about to change, and after a change whose answer was lost, to see whether it happened.
public struct RunbookRead: Sendable, Equatable {
    public var operation: RunbookOperation
    public var input: AWSValue

    public init(operation: RunbookOperation, input: AWSValue) {
        self.operation = operation
        self.input = input
    }
}

/// Whether a change is in effect, from a fresh read; each case carries a plain-language detail
/// ("prod-web's desired capacity is 8, as asked").
public enum RunbookVerification: Sendable, Equatable {
    /// The read shows the change (or it on its way: a pending modification, an instance stopping).
    case applied(String)
    /// The read shows the values as they were before: the change did not happen.
    case notApplied(String)
    /// The read cannot tell: the change leaves no trace there, the resource is gone, or the value is
    /// neither what it was nor what was asked.
    case cannotTell(String)
}

/// One call that puts recorded values back, with what it does in plain words.
public struct RunbookUndoCall: Sendable, Equatable {
    public var operation: RunbookOperation
    public var input: AWSValue
    /// Says from what to what: "Sets prod-web's desired capacity from 8 back to 4."
    public var explain: String

    public init(operation: RunbookOperation, input: AWSValue, explain: String) {
        self.operation = operation
        self.input = input
        self.explain = explain
    }
}

/// How to undo one change (or the changes of a run).
public enum RunbookUndoPlan: Sendable, Equatable {
    /// Send these, in order.
    case calls([RunbookUndoCall])
    /// It cannot be undone; the text says why, in plain words.
    case notUndoable(String)
    /// The change left everything as it was (it set the value it found, or a later change put it back).
    case nothingToUndo
}

/// A change a run made: the `do` step's index, its call as sent, and the values `RunbookChanges.before`
/// recorded from the read sent just before it.
public struct RunbookRecordedChange: Sendable, Equatable {
    public var step: Int
    public var operation: RunbookOperation
    public var input: AWSValue
    public var before: AWSObject

    public init(step: Int, operation: RunbookOperation, input: AWSValue, before: AWSObject) {
        self.step = step
        self.operation = operation
        self.input = input
        self.before = before
    }
}

/// What each mutating operation of the catalog changes, pure: the read that shows it, the values to
/// record before it, whether a fresh read shows it in effect, and the calls that put the recorded
/// values back. The runbook engine sends the reads and the calls; nothing here talks to AWS.
///
/// Values are compared the way AWS's protocols send them (`RunbookExpectation.same`): the query
/// protocols (Auto Scaling, RDS, EC2) and SQS's attributes answer numbers and booleans as text, and
/// `before` stores them typed (`["DesiredCapacity": 4]`), so an undo call and a YAML runbook written
/// from them carry numbers as numbers.
///
/// Lambda's "no limit of its own" (GetFunctionConcurrency answers `{}`) is recorded as
/// `ReservedConcurrentExecutions: null`; an empty `before` means nothing was recorded.
public enum RunbookChanges {
    /// The read whose answer shows what `operation` with `input` changes (sent before the change, and
    /// to verify after an unknown outcome). Nil: the catalog knows no such read.
    public static func read(for operation: RunbookOperation, input: AWSValue) -> RunbookRead? {
        ChangeModel(operation, input).read
    }

    /// The values the call will change, as the read's answer shows them now (e.g.
    /// `["DesiredCapacity": 4]`). Empty when nothing is recorded.
    public static func before(_ operation: RunbookOperation, input: AWSValue, answer: AWSValue) -> AWSObject {
        let model = ChangeModel(operation, input)
        var out = AWSObject()
        for field in model.fields {
            if let value = field.value(in: answer) { out[field.key] = value }
        }
        return out
    }

    /// Whether the change asked for is in effect, from a fresh read's answer and the recorded before
    /// values.
    public static func verify(_ operation: RunbookOperation, input: AWSValue, before: AWSObject, answer: AWSValue) -> RunbookVerification {
        ChangeModel(operation, input).verify(before: before, answer: answer)
    }

    /// The calls that put `before` back.
    public static func undo(_ operation: RunbookOperation, input: AWSValue, before: AWSObject) -> RunbookUndoPlan {
        let analysis = UndoAnalysis([RunbookRecordedChange(step: 0, operation: operation, input: input, before: before)])
        let calls = analysis.groups.flatMap(\.calls)
        if !calls.isEmpty { return .calls(calls) }
        if !analysis.notUndone.isEmpty { return .notUndoable(analysis.notUndone.map(\.reason).joined(separator: " ")) }
        return .nothingToUndo
    }
}

// MARK: - What a change acts on

/// The thing whose values a change sets: the unit an undo puts back, and what changes of one run are
/// merged by (two changes of the same group's desired capacity are undone with one call, to the value
/// before the first).
enum ChangedResource: Hashable {
    case autoScalingGroup(String)
    case ecsService(cluster: String?, service: String)
    case lambdaFunction(String)
    case dbInstance(String)
    case dbCluster(String)
    case dynamoTable(String)
    case ec2Instance(String)
    case queue(String)
    case alarm(String)
}

/// How a recorded value is typed: the query protocols send numbers and booleans as text.
enum ChangedValueKind {
    case number, bool, text, any

    func normalize(_ value: AWSValue) -> AWSValue {
        switch (self, value) {
        case (.number, .string(let s)) where RunbookText.isNumber(s): return .number(s)
        case (.bool, .string("true")): return .bool(true)
        case (.bool, .string("false")): return .bool(false)
        case (.text, .number(let n)): return .string(n)
        case (_, .object(let o)):
            // Nested numbers (DynamoDB's ProvisionedThroughput) are numbers too.
            return .object(AWSObject(o.members.map { ($0.key, ChangedValueKind.number.normalize($0.value)) }))
        default: return value
        }
    }
}

/// One value a change sets, and how to find it in the read's answer.
struct ChangedField {
    var resource: ChangedResource
    /// Its name in `before`.
    var key: String
    /// In plain words, for details and explanations: "prod-web's desired capacity".
    var what: String
    /// Finds the value in the read's answer: nil when the answer does not have the resource.
    var extract: (AWSValue) -> AWSValue?
    /// The value after the call: `.null` for "removed" (Lambda's limit); nil when it cannot be known
    /// before the call (a failover with no target, a forced deployment).
    var asked: AWSValue?
    var kind: ChangedValueKind = .any
    /// Whether the undo puts it back; false for values recorded only to verify (a deployment id, an
    /// alarm's state).
    var restorable = true
    /// Values that mean the change is under way (an instance `stopping` when `stopped` was asked).
    var inProgress: Set<String> = []
    /// Where the answer shows the value as a pending change (RDS `PendingModifiedValues`).
    var pending: AWSPath?
    /// The path in the read's answer, when one path finds it (for the undo runbook's read-back).
    var path: AWSPath?
    /// How a value reads in a sentence.
    var show: (AWSValue) -> String = ChangedField.plain
    /// Whether the found value is the one asked for (the default compares as AWS's protocols send values).
    var matches: (AWSValue, AWSValue) -> Bool = ChangedField.same

    func value(in answer: AWSValue) -> AWSValue? { extract(answer).map(kind.normalize) }

    static func plain(_ value: AWSValue) -> String {
        switch value {
        case .null: "not set"
        case .string(let s): s
        case .number(let n): n
        case .bool(let b): b ? "true" : "false"
        case .array, .object: JSON.encode(value)
        }
    }

    /// `RunbookExpectation.same`, with objects compared member by member (a number or its text alike).
    static func same(_ actual: AWSValue, _ expected: AWSValue) -> Bool {
        if case .object(let a) = actual, case .object(let b) = expected {
            return a.members.count == b.members.count && b.members.allSatisfy { m in a[m.key].map { same($0, m.value) } ?? false }
        }
        return RunbookExpectation.same(actual, expected)
    }

    /// A field found at one path of the answer.
    init(
        _ resource: ChangedResource, key: String, what: String, path: String, asked: AWSValue?, kind: ChangedValueKind, restorable: Bool = true
    ) {
        let parsed = try? AWSPath(path)
        self.resource = resource
        self.key = key
        self.what = what
        self.path = parsed
        self.extract = { answer in parsed.flatMap { answer.value(at: $0) } }
        self.asked = asked.map(kind.normalize)
        self.kind = kind
        self.restorable = restorable
    }

    /// A field found by a function of the answer.
    init(
        _ resource: ChangedResource, key: String, what: String, asked: AWSValue?, kind: ChangedValueKind, restorable: Bool = true,
        extract: @escaping (AWSValue) -> AWSValue?
    ) {
        self.resource = resource
        self.key = key
        self.what = what
        self.path = nil
        self.extract = extract
        self.asked = asked.map(kind.normalize)
        self.kind = kind
        self.restorable = restorable
    }
}

/// What `operation` with `input` changes: the read, the fields, and what cannot be put back.
struct ChangeModel {
    let operation: RunbookOperation
    let input: AWSValue
    var read: RunbookRead?
    var fields: [ChangedField] = []
    /// A part of the change that cannot be put back, in plain words (a restart, deleted messages).
    var irreversible: String?
    /// Input members whose change Breakglass does not record, so an undo does not put them back.
    var unrecorded: [String] = []
    /// Why nothing can be modelled (the input lacks the resource's name).
    var problem: String?
    /// Options an undo call copies from the change (RDS `ApplyImmediately`).
    var options = AWSObject()

    init(_ operation: RunbookOperation, _ input: AWSValue) {
        self.operation = operation
        self.input = input
        build()
    }

    private func text(_ key: String) -> String? {
        switch input[key] {
        case .string(let s)?: s
        case .number(let n)?: n
        default: nil
        }
    }

    private static func op(_ service: String, _ name: String) -> RunbookOperation { RunbookOperation(service: service, name: name) }

    private mutating func need(_ key: String) -> String? {
        if let v = text(key) { return v }
        problem = "\(operation) was sent without \(key), so Breakglass cannot tell what it changed"
        return nil
    }

    private mutating func build() {
        switch (operation.service, operation.name) {
        case ("autoscaling", "SetDesiredCapacity"): autoScaling()
        case ("ecs", "UpdateService"): ecsService()
        case ("lambda", "PutFunctionConcurrency"), ("lambda", "DeleteFunctionConcurrency"): lambdaConcurrency()
        case ("rds", "ModifyDBInstance"): modifyDBInstance()
        case ("rds", "RebootDBInstance"): rebootDBInstance()
        case ("rds", "FailoverDBCluster"): failover()
        case ("dynamodb", "UpdateTable"): updateTable()
        case ("ec2", "StopInstances"), ("ec2", "StartInstances"): instanceState()
        case ("ec2", "RebootInstances"):
            irreversible = "A restart cannot be taken back; the instance comes back as it was, so there is nothing to put back."
        case ("sqs", "PurgeQueue"): purgeQueue()
        case ("cloudwatch", "SetAlarmState"): alarmState()
        case ("sns", "Publish"):
            irreversible = "A message that was sent cannot be taken back."
        case ("ssm", "StartAutomationExecution"):
            irreversible = "An automation runs its own steps in AWS; Breakglass cannot take them back. Undo what it did by hand."
        default:
            if operation.catalogEntry?.mutates ?? true {
                irreversible = "Breakglass does not know how to undo \(operation)."
            }
        }
    }

    // MARK: Auto Scaling

    private mutating func autoScaling() {
        guard let name = need("AutoScalingGroupName") else { return }
        read = RunbookRead(operation: Self.op("autoscaling", "DescribeAutoScalingGroups"), input: ["AutoScalingGroupNames": [.string(name)]])
        var field = ChangedField(
            .autoScalingGroup(name), key: "DesiredCapacity", what: "\(name)'s desired capacity", path: "AutoScalingGroups[0].DesiredCapacity",
            asked: input["DesiredCapacity"], kind: .number)
        field.extract = { answer in Self.item(answer["AutoScalingGroups"], named: name, keys: ["AutoScalingGroupName", "AutoScalingGroupARN"])?["DesiredCapacity"] }
        fields = [field]
    }

    // MARK: ECS

    private mutating func ecsService() {
        guard let service = need("service") else { return }
        let cluster = text("cluster")
        var readInput: AWSObject = [:]
        if let cluster { readInput["cluster"] = .string(cluster) }
        readInput["services"] = [.string(service)]
        read = RunbookRead(operation: Self.op("ecs", "DescribeServices"), input: .object(readInput))
        let resource = ChangedResource.ecsService(cluster: cluster, service: service)
        let find: (AWSValue) -> AWSValue? = { Self.item($0["services"], named: service, keys: ["serviceName", "serviceArn"]) }
        if let count = input["desiredCount"], !count.isNull {
            var f = ChangedField(resource, key: "desiredCount", what: "the number of containers \(service) should run", path: "services[0].desiredCount", asked: count, kind: .number)
            f.extract = { find($0)?["desiredCount"] }
            fields.append(f)
        }
        if let task = input["taskDefinition"], !task.isNull {
            var f = ChangedField(resource, key: "taskDefinition", what: "the task definition (version) \(service) runs", path: "services[0].taskDefinition", asked: task, kind: .text)
            f.extract = { find($0)?["taskDefinition"] }
            f.matches = Self.sameTaskDefinition
            fields.append(f)
        }
        if input["forceNewDeployment"]?.bool == true {
            // Recorded only to see, afterwards, that a new deployment started.
            fields.append(ChangedField(resource, key: "primaryDeployment", what: "\(service)'s current deployment", asked: nil, kind: .text, restorable: false) { answer in
                guard let deployments = find(answer)?["deployments"]?.array else { return nil }
                let primary = deployments.first { $0["status"]?.string == "PRIMARY" } ?? deployments.first
                return primary?["id"]
            })
            irreversible = "The restart of \(service)'s containers (a forced new deployment) cannot be taken back; the new containers run the same version, so there is nothing to put back."
        }
        let handled: Set<String> = ["cluster", "service", "desiredCount", "taskDefinition", "forceNewDeployment"]
        unrecorded = (input.object?.keys ?? []).filter { !handled.contains($0) }
    }

    /// A service's task definition is answered as an ARN (`…:task-definition/web:3`); it may be asked
    /// for as the ARN, as `family:revision`, or as the family alone (its latest revision).
    static func sameTaskDefinition(_ actual: AWSValue, _ expected: AWSValue) -> Bool {
        guard let a = actual.string, let e = expected.string else { return ChangedField.same(actual, expected) }
        if a == e || a.hasSuffix("task-definition/" + e) || e.hasSuffix("task-definition/" + a) { return true }
        let family = a.split(separator: "/").last.map { String($0.split(separator: ":").first ?? "") }
        return !e.contains(":") && family == e
    }

    // MARK: Lambda

    private mutating func lambdaConcurrency() {
        guard let function = need("FunctionName") else { return }
        read = RunbookRead(operation: Self.op("lambda", "GetFunctionConcurrency"), input: ["FunctionName": .string(function)])
        let asked: AWSValue? = operation.name == "DeleteFunctionConcurrency" ? .null : input["ReservedConcurrentExecutions"]
        var f = ChangedField(.lambdaFunction(function), key: "ReservedConcurrentExecutions", what: "\(function)'s reserved concurrency", asked: asked, kind: .number) { answer in
            // GetFunctionConcurrency answers {} for a function without a limit of its own.
            guard answer.object != nil else { return nil }
            return answer["ReservedConcurrentExecutions"] ?? .null
        }
        f.path = try? AWSPath("ReservedConcurrentExecutions")
        f.show = { $0.isNull ? "unreserved (the account's shared pool)" : ChangedField.plain($0) }
        fields = [f]
    }

    // MARK: RDS

    /// ModifyDBInstance's members that DescribeDBInstances shows, with where and how they are typed.
    static let modifiable: [(member: String, path: String, kind: ChangedValueKind, what: String)] = [
        ("DBInstanceClass", "DBInstanceClass", .text, "size (instance class)"),
        ("AllocatedStorage", "AllocatedStorage", .number, "storage (GiB)"),
        ("MaxAllocatedStorage", "MaxAllocatedStorage", .number, "storage autoscaling limit (GiB)"),
        ("StorageType", "StorageType", .text, "storage type"),
        ("Iops", "Iops", .number, "provisioned IOPS"),
        ("StorageThroughput", "StorageThroughput", .number, "storage throughput"),
        ("MultiAZ", "MultiAZ", .bool, "Multi-AZ setting"),
        ("EngineVersion", "EngineVersion", .text, "engine version"),
        ("BackupRetentionPeriod", "BackupRetentionPeriod", .number, "backup retention (days)"),
        ("PreferredBackupWindow", "PreferredBackupWindow", .text, "backup window"),
        ("PreferredMaintenanceWindow", "PreferredMaintenanceWindow", .text, "maintenance window"),
        ("AutoMinorVersionUpgrade", "AutoMinorVersionUpgrade", .bool, "automatic minor upgrades"),
        ("PubliclyAccessible", "PubliclyAccessible", .bool, "public accessibility"),
        ("DeletionProtection", "DeletionProtection", .bool, "deletion protection"),
        ("CopyTagsToSnapshot", "CopyTagsToSnapshot", .bool, "copying of tags to snapshots"),
        ("MonitoringInterval", "MonitoringInterval", .number, "monitoring interval"),
        ("PromotionTier", "PromotionTier", .number, "promotion tier"),
        ("CACertificateIdentifier", "CACertificateIdentifier", .text, "CA certificate"),
        ("LicenseModel", "LicenseModel", .text, "license model"),
        ("NetworkType", "NetworkType", .text, "network type"),
        ("EnableIAMDatabaseAuthentication", "IAMDatabaseAuthenticationEnabled", .bool, "IAM database authentication"),
        ("EnablePerformanceInsights", "PerformanceInsightsEnabled", .bool, "Performance Insights"),
        ("DBParameterGroupName", "DBParameterGroups[0].DBParameterGroupName", .text, "parameter group"),
    ]

    private mutating func modifyDBInstance() {
        guard let id = need("DBInstanceIdentifier") else { return }
        read = RunbookRead(operation: Self.op("rds", "DescribeDBInstances"), input: ["DBInstanceIdentifier": .string(id)])
        if let apply = input["ApplyImmediately"] { options["ApplyImmediately"] = ChangedValueKind.bool.normalize(apply) }
        let control: Set<String> = ["DBInstanceIdentifier", "ApplyImmediately", "AllowMajorVersionUpgrade"]
        for (key, value) in input.object ?? [:] where !control.contains(key) && !value.isNull {
            guard let known = Self.modifiable.first(where: { $0.member == key }) else {
                unrecorded.append(key)
                continue
            }
            var f = ChangedField(.dbInstance(id), key: key, what: "\(id)'s \(known.what)", path: "DBInstances[0].\(known.path)", asked: value, kind: known.kind)
            let relative = try? AWSPath(known.path)
            f.extract = { answer in
                // A member the instance does not show is not set (Iops on gp2 storage): null.
                guard let instance = Self.item(answer["DBInstances"], named: id, keys: ["DBInstanceIdentifier", "DBInstanceArn"]) else { return nil }
                return relative.flatMap { instance.value(at: $0) } ?? .null
            }
            f.pending = try? AWSPath("DBInstances[0].PendingModifiedValues.\(key)")
            fields.append(f)
        }
        if input["NewDBInstanceIdentifier"] != nil {
            irreversible = "Renaming \(id) is not put back; rename it again by hand if needed."
        }
    }

    private mutating func rebootDBInstance() {
        guard let id = need("DBInstanceIdentifier") else { return }
        read = RunbookRead(operation: Self.op("rds", "DescribeDBInstances"), input: ["DBInstanceIdentifier": .string(id)])
        var f = ChangedField(.dbInstance(id), key: "DBInstanceStatus", what: "\(id)'s status", path: "DBInstances[0].DBInstanceStatus", asked: nil, kind: .text, restorable: false)
        f.extract = { Self.item($0["DBInstances"], named: id, keys: ["DBInstanceIdentifier", "DBInstanceArn"])?["DBInstanceStatus"] }
        fields = [f]
        irreversible = "A restart of \(id) cannot be taken back; the server comes back as it was, so there is nothing to put back."
    }

    private mutating func failover() {
        guard let id = need("DBClusterIdentifier") else { return }
        read = RunbookRead(operation: Self.op("rds", "DescribeDBClusters"), input: ["DBClusterIdentifier": .string(id)])
        fields = [ChangedField(.dbCluster(id), key: "Writer", what: "\(id)'s writer", asked: input["TargetDBInstanceIdentifier"], kind: .text) { answer in
            Self.writer(of: Self.item(answer["DBClusters"], named: id, keys: ["DBClusterIdentifier", "DBClusterArn"]))
        }]
    }

    /// The instance that writes: the cluster member with `IsClusterWriter` true.
    static func writer(of cluster: AWSValue?) -> AWSValue? {
        guard let cluster else { return nil }
        let members = cluster["DBClusterMembers"]?.array ?? []
        return members.first { $0["IsClusterWriter"]?.bool == true }?["DBInstanceIdentifier"] ?? .null
    }

    // MARK: DynamoDB

    private mutating func updateTable() {
        guard let table = need("TableName") else { return }
        read = RunbookRead(operation: Self.op("dynamodb", "DescribeTable"), input: ["TableName": .string(table)])
        let mode = input["BillingMode"]
        let throughput = input["ProvisionedThroughput"]
        if mode != nil || throughput != nil {
            // ProvisionedThroughput is only taken by a provisioned table, so giving it alone means PROVISIONED.
            let askedMode: AWSValue? = mode ?? "PROVISIONED"
            fields.append(ChangedField(.dynamoTable(table), key: "BillingMode", what: "\(table)'s billing mode", asked: askedMode, kind: .text) { answer in
                guard let t = answer["Table"], t.object != nil else { return nil }
                // A table that was never switched has no BillingModeSummary: it is provisioned.
                return t["BillingModeSummary"]?["BillingMode"] ?? "PROVISIONED"
            })
            var askedThroughput: AWSValue?
            if let throughput, let o = throughput.object {
                askedThroughput = .object(AWSObject(["ReadCapacityUnits", "WriteCapacityUnits"].compactMap { k in o[k].map { (k, $0) } }))
            }
            var f = ChangedField(.dynamoTable(table), key: "ProvisionedThroughput", what: "\(table)'s capacity", asked: askedThroughput, kind: .any) { answer in
                guard let t = answer["Table"], t.object != nil else { return nil }
                let p = t["ProvisionedThroughput"]
                return .object(AWSObject(["ReadCapacityUnits", "WriteCapacityUnits"].map { k in (k, p?[k] ?? 0) }))
            }
            f.show = { v in
                let r = v["ReadCapacityUnits"].map(ChangedField.plain) ?? "?"
                let w = v["WriteCapacityUnits"].map(ChangedField.plain) ?? "?"
                return "\(r) reads and \(w) writes a second"
            }
            fields.append(f)
        }
        let handled: Set<String> = ["TableName", "BillingMode", "ProvisionedThroughput"]
        unrecorded = (input.object?.keys ?? []).filter { !handled.contains($0) }
    }

    // MARK: EC2

    private mutating func instanceState() {
        let ids = (input["InstanceIds"]?.array ?? []).compactMap(\.string)
        guard !ids.isEmpty else {
            problem = "\(operation) was sent without InstanceIds, so Breakglass cannot tell what it changed"
            return
        }
        read = RunbookRead(operation: Self.op("ec2", "DescribeInstances"), input: ["InstanceIds": .array(ids.map { .string($0) })])
        let stopping = operation.name == "StopInstances"
        for id in ids {
            var f = ChangedField(.ec2Instance(id), key: id, what: "instance \(id)", asked: stopping ? "stopped" : "running", kind: .text) { answer in
                Self.instance(id, in: answer)?["instanceState"]?["name"]
            }
            f.inProgress = stopping ? ["stopping"] : ["pending"]
            fields.append(f)
        }
    }

    /// The instance with this id in a DescribeInstances answer, whichever reservation holds it.
    static func instance(_ id: String, in answer: AWSValue) -> AWSValue? {
        for reservation in answer["reservationSet"]?.array ?? [] {
            if let found = reservation["instancesSet"]?.array?.first(where: { $0["instanceId"]?.string == id }) { return found }
        }
        return nil
    }

    // MARK: SQS, CloudWatch

    private mutating func purgeQueue() {
        guard let url = need("QueueUrl") else { return }
        read = RunbookRead(operation: Self.op("sqs", "GetQueueAttributes"), input: ["QueueUrl": .string(url), "AttributeNames": ["ApproximateNumberOfMessages"]])
        let name = url.split(separator: "/").last.map(String.init) ?? url
        fields = [ChangedField(.queue(url), key: "ApproximateNumberOfMessages", what: "the number of messages waiting in \(name)", path: "Attributes.ApproximateNumberOfMessages", asked: 0, kind: .number, restorable: false)]
        irreversible = "Purged messages are deleted for good; they cannot be brought back."
    }

    private mutating func alarmState() {
        guard let name = need("AlarmName") else { return }
        read = RunbookRead(operation: Self.op("cloudwatch", "DescribeAlarms"), input: ["AlarmNames": [.string(name)]])
        let find: (AWSValue) -> AWSValue? = { answer in
            (answer["MetricAlarms"]?.array ?? []).first { $0["AlarmName"]?.string == name }
                ?? (answer["CompositeAlarms"]?.array ?? []).first { $0["AlarmName"]?.string == name }
        }
        fields = [
            ChangedField(.alarm(name), key: "StateValue", what: "\(name)'s state", asked: input["StateValue"], kind: .text, restorable: false) { find($0)?["StateValue"] },
            ChangedField(.alarm(name), key: "StateUpdatedTimestamp", what: "when \(name)'s state last changed", asked: nil, kind: .any, restorable: false) {
                find($0)?["StateUpdatedTimestamp"]
            },
        ]
        irreversible = "CloudWatch evaluates \(name) again from its metric and sets its state itself; a state set by hand is not a value to put back."
    }

    // MARK: Helpers

    /// The element of `list` whose `keys` (name, ARN) equal `name`; the only element when none does
    /// (the read asked for this one resource, perhaps by another form of its name).
    static func item(_ list: AWSValue?, named name: String, keys: [String]) -> AWSValue? {
        guard let items = list?.array else { return nil }
        if let found = items.first(where: { item in keys.contains { item[$0]?.string == name } }) { return found }
        // Not `count == 1 ? items[0] : nil`: AWSValue is ExpressibleByNilLiteral, so that nil is `.null`.
        guard items.count == 1, let only = items.first else { return nil }
        return only
    }
}

// MARK: - Verification

extension ChangeModel {
    enum FieldState {
        /// At the asked value; `evidence` is false when it was already that before.
        case asAsked(evidence: Bool, String)
        case unchanged(String)
        case other(String)
        case missing(String)
    }

    func state(of field: ChangedField, asked: AWSValue, before: AWSObject, answer: AWSValue) -> FieldState {
        let was = before[field.key].map(field.kind.normalize)
        guard let now = field.value(in: answer) else {
            return .missing("the read does not show \(field.what) (is it gone?)")
        }
        let wasText = was.map { " (it was \(field.show($0)))" } ?? ""
        if field.matches(now, asked) {
            let already = was.map { field.matches($0, asked) } ?? false
            return .asAsked(evidence: !already, "\(field.what) is \(field.show(now)), as asked" + (already ? " (it already was)" : wasText))
        }
        if let p = field.pending, let pending = answer.value(at: p), !pending.isNull, field.matches(field.kind.normalize(pending), asked) {
            return .asAsked(evidence: true, "\(field.what) is changing to \(field.show(asked)) (pending; it is \(field.show(now)) until AWS applies it)")
        }
        if let s = now.string, field.inProgress.contains(s) {
            return .asAsked(evidence: true, "\(field.what) is \(s), on its way to \(field.show(asked))")
        }
        if let was, field.matches(now, was) {
            return .unchanged("\(field.what) is still \(field.show(now)), not the \(field.show(asked)) asked")
        }
        let neither = was.map { ", nor the \(field.show($0)) it was before" } ?? ""
        return .other("\(field.what) is \(field.show(now)): not the \(field.show(asked)) asked\(neither); something else may have changed it")
    }

    func verify(before: AWSObject, answer: AWSValue) -> RunbookVerification {
        if let problem { return .cannotTell(problem + ".") }
        guard read != nil else {
            return .cannotTell("No read shows whether \(operation) took effect; check by hand (the audit trail has the request).")
        }
        switch (operation.service, operation.name) {
        case ("ecs", "UpdateService") where input["forceNewDeployment"]?.bool == true: return verifyDeployment(before: before, answer: answer)
        case ("rds", "RebootDBInstance"): return verifyReboot(answer: answer)
        case ("rds", "FailoverDBCluster"): return verifyFailover(before: before, answer: answer)
        case ("sqs", "PurgeQueue"): return verifyPurge(answer: answer)
        case ("cloudwatch", "SetAlarmState"): return verifyAlarm(before: before, answer: answer)
        default: break
        }
        var result = combine(fields.compactMap { f in f.asked.map { state(of: f, asked: $0, before: before, answer: answer) } })
        if operation.service == "dynamodb", case .notApplied(let detail) = result,
            let status = answer["Table"]?["TableStatus"]?.string, status != "ACTIVE"
        {
            result = .cannotTell("\(detail); but the table is \(status), so a change may still be under way. Read it again when it is ACTIVE.")
        }
        return result
    }

    func combine(_ states: [FieldState]) -> RunbookVerification {
        guard !states.isEmpty else { return .cannotTell("Nothing in the read shows whether \(operation) took effect.") }
        var details: [String] = []
        var evidence = false, unchanged = false, unclear = false
        for s in states {
            switch s {
            case .asAsked(let e, let d): details.append(d); evidence = evidence || e
            case .unchanged(let d): details.append(d); unchanged = true
            case .other(let d), .missing(let d): details.append(d); unclear = true
            }
        }
        let text = Self.sentence(details)
        if unclear { return .cannotTell(text) }
        if !unchanged { return .applied(text) }
        if !evidence { return .notApplied(text) }
        return .cannotTell(text + " Part of the change shows and part does not.")
    }

    /// The parts joined into one sentence. The first word is capitalized when it is a plain word;
    /// a resource's name (`prod-web's`) is left as it is written.
    static func sentence(_ parts: [String]) -> String {
        guard let first = parts.first else { return "" }
        return ([capitalizedStart(first)] + parts.dropFirst()).joined(separator: "; ") + "."
    }

    static func capitalizedStart(_ text: String) -> String {
        let word = text.prefix { $0 != " " }
        let plainWord = !word.isEmpty && word.allSatisfy { $0.isASCII && $0.isLowercase }
        return plainWord ? text.prefix(1).uppercased() + text.dropFirst() : text
    }

    func verifyDeployment(before: AWSObject, answer: AWSValue) -> RunbookVerification {
        var states = fields.compactMap { f in f.asked.map { state(of: f, asked: $0, before: before, answer: answer) } }
        if let f = fields.first(where: { $0.key == "primaryDeployment" }) {
            let now = f.value(in: answer)
            switch (before[f.key], now) {
            case (_, nil), (_, .null?): states.append(.missing("the read shows no deployment of the service"))
            case (nil, let now?): states.append(.other("its current deployment is \(ChangedField.plain(now)), and the one before was not recorded"))
            case (let was?, let now?) where ChangedField.same(now, was):
                states.append(.unchanged("no new deployment started (the current one is still \(ChangedField.plain(now)))"))
            case (_, let now?): states.append(.asAsked(evidence: true, "a new deployment started (\(ChangedField.plain(now)))"))
            }
        }
        return combine(states)
    }

    func verifyReboot(answer: AWSValue) -> RunbookVerification {
        guard let f = fields.first, let status = f.value(in: answer)?.string else {
            return .cannotTell("The read does not show \(fields.first?.what ?? "the server") (is it gone?).")
        }
        if status == "rebooting" { return .applied("\(ChangedField.sentence(["\(f.what) is rebooting"]))") }
        return .cannotTell(ChangedField.sentenceStart(
            "\(f.what) is \(status). A restart that has finished leaves nothing to see in the read; the server's events or uptime show it"))
    }

    func verifyFailover(before: AWSObject, answer: AWSValue) -> RunbookVerification {
        guard let f = fields.first, let cluster = Self.item(answer["DBClusters"], named: text("DBClusterIdentifier") ?? "", keys: ["DBClusterIdentifier", "DBClusterArn"]),
            let now = f.value(in: answer)
        else { return .cannotTell("The read does not show the cluster (is it gone?).") }
        let status = cluster["Status"]?.string ?? "unknown"
        let was = before[f.key]
        if let target = f.asked, !target.isNull, ChangedField.same(now, target), !(was.map { ChangedField.same($0, target) } ?? false) {
            return .applied(ChangedField.sentenceStart("\(f.what) is now \(ChangedField.plain(now)), as asked (it was \(was.map(ChangedField.plain) ?? "not recorded"))"))
        }
        if let was, !was.isNull, !now.isNull, !ChangedField.same(now, was) {
            let note = f.asked.map { ", not the \(ChangedField.plain($0)) asked" } ?? ""
            return .applied(ChangedField.sentenceStart("\(f.what) changed from \(ChangedField.plain(was)) to \(ChangedField.plain(now))\(note)"))
        }
        if status == "failing-over" {
            return .applied(ChangedField.sentenceStart("the cluster is failing over"))
        }
        guard let was else { return .cannotTell(ChangedField.sentenceStart("\(f.what) is \(ChangedField.plain(now)); the writer before was not recorded")) }
        if ChangedField.same(now, was), status == "available" {
            return .notApplied(ChangedField.sentenceStart("\(f.what) is still \(ChangedField.plain(now)) and the cluster is available: no failover happened"))
        }
        return .cannotTell(ChangedField.sentenceStart("\(f.what) is \(ChangedField.plain(now)) and the cluster is \(status); read again when it is available"))
    }

    func verifyPurge(answer: AWSValue) -> RunbookVerification {
        guard let f = fields.first, let count = f.value(in: answer) else { return .cannotTell("The read does not show the queue (is it gone?).") }
        if ChangedField.same(count, 0) { return .applied(ChangedField.sentenceStart("\(f.what) is 0: the queue is empty")) }
        return .cannotTell(ChangedField.sentenceStart(
            "\(f.what) is \(ChangedField.plain(count)). A purge takes up to a minute, and messages sent since are not purged, so this does not tell whether it happened; read again in a minute"))
    }

    func verifyAlarm(before: AWSObject, answer: AWSValue) -> RunbookVerification {
        guard fields.count == 2, let now = fields[0].value(in: answer) else { return .cannotTell("The read does not show the alarm (is it gone?).") }
        let state = fields[0], stamp = fields[1]
        let asked = state.asked ?? .null
        if ChangedField.same(now, asked) { return .applied(ChangedField.sentenceStart("\(state.what) is \(ChangedField.plain(now)), as asked")) }
        let nowStamp = stamp.value(in: answer)
        if let was = before[stamp.key], let nowStamp, !ChangedField.same(was, nowStamp) {
            return .applied(ChangedField.sentenceStart(
                "\(state.what) changed at \(ChangedField.plain(nowStamp)) and is \(ChangedField.plain(now)) now: CloudWatch has evaluated it again since it was set to \(ChangedField.plain(asked))"))
        }
        if let was = before[state.key], ChangedField.same(now, was), before[stamp.key] != nil {
            return .notApplied(ChangedField.sentenceStart("\(state.what) is still \(ChangedField.plain(now)) and has not changed since before the call"))
        }
        return .cannotTell(ChangedField.sentenceStart("\(state.what) is \(ChangedField.plain(now)), not the \(ChangedField.plain(asked)) asked"))
    }
}

extension ChangedField {
    static func sentence(_ parts: [String]) -> String { ChangeModel.sentence(parts) }
    static func sentenceStart(_ text: String) -> String { ChangeModel.sentence([text]) }
}
