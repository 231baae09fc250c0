import Foundation

/// A sandbox scenario (`scenarios/*.yaml`): the AWS resources a live-like incident needs, the faults
/// that break them on a schedule, how each alarm clears, and the condition that says the incident is
/// over. docs/SANDBOX.md describes the format; `ScenarioLoader` reads it.
public struct Scenario: Sendable, Equatable {
    public var id: String
    public var title: String
    public var description: String
    /// The region everything is created in.
    public var region: String
    /// The runbooks that recover it, best first.
    public var runbooks: [String]
    public var resources: ScenarioResources
    public var faults: [ScenarioFault]
    /// Every condition holds: the incident is over.
    public var recovery: [ScenarioCondition]
    public var file: String

    public init(
        id: String, title: String, description: String = "", region: String = "us-east-1", runbooks: [String] = [],
        resources: ScenarioResources = ScenarioResources(), faults: [ScenarioFault] = [], recovery: [ScenarioCondition] = [], file: String = ""
    ) {
        self.id = id
        self.title = title
        self.description = description
        self.region = region
        self.runbooks = runbooks
        self.resources = resources
        self.faults = faults
        self.recovery = recovery
        self.file = file
    }
}

public struct ScenarioResources: Sendable, Equatable {
    public var users: [User] = []
    public var roles: [Role] = []
    public var instances: [Instance] = []
    public var autoScalingGroups: [AutoScalingGroup] = []
    public var ecsClusters: [ECSCluster] = []
    public var rdsClusters: [RDSCluster] = []
    public var tables: [Table] = []
    public var queues: [Queue] = []
    public var functions: [Function] = []
    public var topics: [String] = []
    public var alarms: [Alarm] = []

    public init() {}

    /// An IAM user. `access: read-only` may read what the runbooks read and assume the roles that
    /// trust it; `admin` may do anything. The sandbox's operator is the first read-only user.
    public struct User: Sendable, Equatable {
        public var name: String
        public var access: Access
        public enum Access: String, Sendable, CaseIterable { case readOnly = "read-only", admin }
        public init(name: String, access: Access = .readOnly) {
            self.name = name
            self.access = access
        }
    }

    /// A break-glass role: trusts `trust` (user names), may do `actions` (IAM action patterns), and,
    /// with `mfa`, is described to Breakglass as one that needs an MFA code.
    public struct Role: Sendable, Equatable {
        public var name: String
        public var trust: [String]
        public var mfa: Bool
        public var actions: [String]
        public var maxSession: Duration
        public init(name: String, trust: [String], mfa: Bool = true, actions: [String] = ["*"], maxSession: Duration = .seconds(3600)) {
            self.name = name
            self.trust = trust
            self.mfa = mfa
            self.actions = actions
            self.maxSession = maxSession
        }
    }

    /// EC2 instances tagged `Name: name`.
    public struct Instance: Sendable, Equatable {
        public var name: String
        public var type: String
        public var count: Int
        public init(name: String, type: String = "t3.micro", count: Int = 1) {
            self.name = name
            self.type = type
            self.count = count
        }
    }

    public struct AutoScalingGroup: Sendable, Equatable {
        public var name: String
        public var min: Int
        public var max: Int
        public var desired: Int
        public var instanceType: String
        public init(name: String, min: Int, max: Int, desired: Int, instanceType: String = "t3.micro") {
            self.name = name
            self.min = min
            self.max = max
            self.desired = desired
            self.instanceType = instanceType
        }
    }

    public struct ECSCluster: Sendable, Equatable {
        public var name: String
        public var services: [Service]
        public struct Service: Sendable, Equatable {
            public var name: String
            public var count: Int
            public init(name: String, count: Int) {
                self.name = name
                self.count = count
            }
        }
        public init(name: String, services: [Service]) {
            self.name = name
            self.services = services
        }
    }

    /// An Aurora MySQL cluster; its first instance writes.
    public struct RDSCluster: Sendable, Equatable {
        public var name: String
        public var instances: [String]
        public var instanceClass: String
        public init(name: String, instances: [String], instanceClass: String = "db.r6g.large") {
            self.name = name
            self.instances = instances
            self.instanceClass = instanceClass
        }
    }

    /// A provisioned DynamoDB table with a string partition key `pk` and sort key `sk`, and items.
    public struct Table: Sendable, Equatable {
        public var name: String
        public var read: Int
        public var write: Int
        public var items: [[String: String]]
        public init(name: String, read: Int = 5, write: Int = 5, items: [[String: String]] = []) {
            self.name = name
            self.read = read
            self.write = write
            self.items = items
        }
    }

    /// An SQS queue holding `messages` messages once seeded.
    public struct Queue: Sendable, Equatable {
        public var name: String
        public var messages: Int
        public init(name: String, messages: Int = 0) {
            self.name = name
            self.messages = messages
        }
    }

    /// A Lambda function (a Python handler that returns its event), with its execution role.
    public struct Function: Sendable, Equatable {
        public var name: String
        public init(name: String) { self.name = name }
    }

    /// A CloudWatch metric alarm. moto never evaluates alarms: the sandbox sets its state, to `state`
    /// when seeded, by faults, and to OK once every `okWhen` condition holds.
    public struct Alarm: Sendable, Equatable {
        public var name: String
        public var namespace: String
        public var metric: String
        public var threshold: Double
        public var state: String
        public var reason: String
        public var okWhen: [ScenarioCondition]
        public init(
            name: String, namespace: String = "Breakglass/Sandbox", metric: String? = nil, threshold: Double = 1, state: String = "OK",
            reason: String = "", okWhen: [ScenarioCondition] = []
        ) {
            self.name = name
            self.namespace = namespace
            self.metric = metric ?? name
            self.threshold = threshold
            self.state = state
            self.reason = reason
            self.okWhen = okWhen
        }
    }

    /// Every resource name declared, by kind, for checking references.
    public var names: [ScenarioSignal.Target: Set<String>] {
        var out: [ScenarioSignal.Target: Set<String>] = [:]
        out[.alarm] = Set(alarms.map(\.name))
        out[.queue] = Set(queues.map(\.name))
        out[.group] = Set(autoScalingGroups.map(\.name))
        out[.service] = Set(ecsClusters.flatMap { c in c.services.map { "\(c.name)/\($0.name)" } })
        out[.dbInstance] = Set(rdsClusters.flatMap(\.instances))
        out[.dbCluster] = Set(rdsClusters.map(\.name))
        out[.table] = Set(tables.map(\.name))
        out[.function] = Set(functions.map(\.name))
        out[.instance] = Set(instances.map(\.name))
        out[.machine] = Set(instances.map(\.name)).union(rdsClusters.flatMap(\.instances))
        out[.user] = Set(users.map(\.name))
        return out
    }
}

/// One thing the sandbox can read about a resource, as a number or a word.
public enum ScenarioSignal: String, Sendable, CaseIterable, Equatable {
    case alarmState = "alarm_state"
    case queueDepth = "queue_depth"
    case desiredCapacity = "desired_capacity"
    case desiredCount = "desired_count"
    case runningCount = "running_count"
    case deployment
    case instanceClass = "instance_class"
    case clusterWriter = "cluster_writer"
    case readCapacity = "read_capacity"
    case writeCapacity = "write_capacity"
    case functionConcurrency = "function_concurrency"
    case instanceState = "instance_state"
    /// `ok` or `impaired`: the instance check DescribeInstanceStatus reports (through the sandbox's
    /// gateway, which impairs an instance for `impair_instance` until it is rebooted).
    case instanceStatus = "instance_status"
    /// How many reboots of the instance (RebootInstances) or database instance (RebootDBInstance)
    /// succeeded since the sandbox started, as the gateway saw them.
    case reboots

    /// What kind of resource `of` names.
    public enum Target: String, Sendable, Hashable {
        case alarm, queue, group, service, dbInstance = "database instance", dbCluster = "database cluster", table, function, instance
        case machine = "instance or database instance"
        case user
    }

    public var target: Target {
        switch self {
        case .alarmState: .alarm
        case .queueDepth: .queue
        case .desiredCapacity: .group
        case .desiredCount, .runningCount, .deployment: .service
        case .instanceClass: .dbInstance
        case .clusterWriter: .dbCluster
        case .readCapacity, .writeCapacity: .table
        case .functionConcurrency: .function
        case .instanceState, .instanceStatus: .instance
        case .reboots: .machine
        }
    }

    public var isNumeric: Bool {
        switch self {
        case .queueDepth, .desiredCapacity, .desiredCount, .runningCount, .readCapacity, .writeCapacity, .functionConcurrency, .reboots: true
        default: false
        }
    }
}

/// `{ signal: queue_depth, of: prod-orders, below: 10 }`: a signal of a resource compared with a value.
public struct ScenarioCondition: Sendable, Equatable, CustomStringConvertible {
    public var signal: ScenarioSignal
    public var of: String
    public var comparison: Comparison

    public enum Comparison: Sendable, Equatable {
        case below(Double)
        case above(Double)
        case atLeast(Double)
        case atMost(Double)
        /// Equal as text, or as numbers when both are numbers; `none` is a missing value.
        case equals(String)
        case notEquals(String)
        /// Differs from the value read when the scenario was seeded.
        case changed
    }

    public init(signal: ScenarioSignal, of: String, _ comparison: Comparison) {
        self.signal = signal
        self.of = of
        self.comparison = comparison
    }

    /// Whether `value` (nil: the resource has no such value, e.g. no concurrency limit) meets the
    /// condition; `baseline` is the value read at seeding, for `changed`.
    public func holds(_ value: String?, baseline: String?) -> Bool {
        let number = value.flatMap(Double.init)
        switch comparison {
        case .below(let n): return number.map { $0 < n } ?? false
        case .above(let n): return number.map { $0 > n } ?? false
        case .atLeast(let n): return number.map { $0 >= n } ?? false
        case .atMost(let n): return number.map { $0 <= n } ?? false
        case .equals(let text): return Self.same(value, text)
        case .notEquals(let text): return !Self.same(value, text)
        case .changed: return value != baseline
        }
    }

    static func same(_ value: String?, _ text: String) -> Bool {
        guard let value else { return text == "none" }
        if value == text { return true }
        if let a = Double(value), let b = Double(text) { return a == b }
        return false
    }

    public var description: String {
        let what: String
        switch comparison {
        case .below(let n): what = "below \(Self.show(n))"
        case .above(let n): what = "above \(Self.show(n))"
        case .atLeast(let n): what = "at least \(Self.show(n))"
        case .atMost(let n): what = "at most \(Self.show(n))"
        case .equals(let t): what = "is \(t)"
        case .notEquals(let t): what = "is not \(t)"
        case .changed: what = "changed"
        }
        return "\(signal.rawValue) of \(of) \(what)"
    }

    static func show(_ n: Double) -> String { n == n.rounded() && abs(n) < 1e15 ? String(Int(n)) : String(n) }
}

/// Something the scenario breaks, `at` after it starts.
public struct ScenarioFault: Sendable, Equatable {
    public var at: Duration
    public var action: Action

    public enum Action: Sendable, Equatable {
        /// SetAlarmState.
        case setAlarm(name: String, state: String, reason: String)
        /// Sends `messages` more messages to the queue.
        case fillQueue(queue: String, messages: Int)
        /// StopInstances on every instance named `name`.
        case stopInstance(name: String)
        /// The status checks of every instance named `name` read `impaired` until it is rebooted.
        case impairInstance(name: String)
        /// PutFunctionConcurrency.
        case functionConcurrency(function: String, value: Int)
        /// UpdateService desiredCount.
        case scaleService(cluster: String, service: String, count: Int)
        /// SetDesiredCapacity.
        case setCapacity(group: String, desired: Int)
    }

    public init(at: Duration, _ action: Action) {
        self.at = at
        self.action = action
    }

    public var summary: String {
        switch action {
        case .setAlarm(let name, let state, _): "alarm \(name) set to \(state)"
        case .fillQueue(let queue, let n): "\(n) messages sent to \(queue)"
        case .stopInstance(let name): "instances named \(name) stopped"
        case .impairInstance(let name): "instances named \(name) impaired (status checks fail until rebooted)"
        case .functionConcurrency(let f, let v): "\(f)'s concurrency set to \(v)"
        case .scaleService(let c, let s, let n): "\(c)/\(s) scaled to \(n)"
        case .setCapacity(let g, let n): "\(g)'s desired capacity set to \(n)"
        }
    }
}
