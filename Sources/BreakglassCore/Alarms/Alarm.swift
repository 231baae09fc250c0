import Foundation

/// The state CloudWatch reports for an alarm. The raw values are CloudWatch's `StateValue` strings.
public enum AlarmState: String, Sendable, CaseIterable, Codable {
    case alarm = "ALARM"
    case insufficientData = "INSUFFICIENT_DATA"
    case ok = "OK"

    /// Display and triage order: what is burning first, then what cannot be judged, then what is fine.
    public var triageRank: Int {
        switch self {
        case .alarm: 0
        case .insufficientData: 1
        case .ok: 2
        }
    }
}

/// Whether an alarm watches a metric (or metric math) or combines other alarms with a rule.
public enum AlarmType: String, Sendable, Codable {
    case metric
    case composite
}

/// One CloudWatch alarm as Breakglass shows it. Text fields hold what AWS sent, untouched: anything
/// that reaches a terminal must go through `TerminalText.sanitize` first.
public struct Alarm: Sendable, Equatable, Hashable {
    public var name: String
    public var state: AlarmState
    /// CloudWatch's `StateReason`: why the alarm is in its state, in AWS's words.
    public var reason: String
    /// When the alarm entered its current state (`StateUpdatedTimestamp`).
    public var updated: Date
    public var region: String
    public var type: AlarmType
    /// Metric alarms only; nil for composite alarms and for metric-math alarms.
    public var namespace: String?
    public var metric: String?
    public var arn: String?

    public init(
        name: String, state: AlarmState, reason: String, updated: Date, region: String,
        type: AlarmType, namespace: String? = nil, metric: String? = nil, arn: String? = nil
    ) {
        self.name = name
        self.state = state
        self.reason = reason
        self.updated = updated
        self.region = region
        self.type = type
        self.namespace = namespace
        self.metric = metric
        self.arn = arn
    }
}

extension Alarm {
    /// Triage order: ALARM, then INSUFFICIENT_DATA, then OK; within a state the most recent change
    /// first (a new fire matters more than an old one); then by name and region so the order is total.
    public static func triageOrder(_ a: Alarm, _ b: Alarm) -> Bool {
        if a.state.triageRank != b.state.triageRank { return a.state.triageRank < b.state.triageRank }
        if a.updated != b.updated { return a.updated > b.updated }
        if a.name != b.name { return a.name < b.name }
        return a.region < b.region
    }
}
