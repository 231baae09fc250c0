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
    /// The metric's dimensions, as the alarm names them; empty for composite and metric-math alarms.
    public var dimensions: [MetricDimension]
    /// The statistic the alarm evaluates: CloudWatch's `Statistic` ("Average", "Sum"...) or its
    /// `ExtendedStatistic` ("p99"); nil when not a single-metric alarm.
    public var statistic: String?
    /// Seconds per evaluated period.
    public var period: Int?
    public var threshold: Double?
    /// CloudWatch's `ComparisonOperator`, e.g. "GreaterThanThreshold".
    public var comparison: String?
    public var evaluationPeriods: Int?
    public var datapointsToAlarm: Int?

    public init(
        name: String, state: AlarmState, reason: String, updated: Date, region: String,
        type: AlarmType, namespace: String? = nil, metric: String? = nil, arn: String? = nil,
        dimensions: [MetricDimension] = [], statistic: String? = nil, period: Int? = nil, threshold: Double? = nil,
        comparison: String? = nil, evaluationPeriods: Int? = nil, datapointsToAlarm: Int? = nil
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
        self.dimensions = dimensions
        self.statistic = statistic
        self.period = period
        self.threshold = threshold
        self.comparison = comparison
        self.evaluationPeriods = evaluationPeriods
        self.datapointsToAlarm = datapointsToAlarm
    }
}

/// One dimension of a CloudWatch metric: `InstanceId=i-0abc`.
public struct MetricDimension: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

extension Alarm {
    /// The condition in a few symbols, e.g. "Average > 80.0 for 3 of 5 periods of 5m"; nil when
    /// the comparison or threshold is unknown. Text from AWS is not sanitised here.
    public var conditionText: String? {
        guard let comparison, let threshold else { return nil }
        let symbol: String
        switch comparison {
        case "GreaterThanThreshold": symbol = ">"
        case "GreaterThanOrEqualToThreshold": symbol = "≥"
        case "LessThanThreshold": symbol = "<"
        case "LessThanOrEqualToThreshold": symbol = "≤"
        default: symbol = comparison
        }
        var text = "\(statistic ?? metric ?? "value") \(symbol) \(MetricFormat.number(threshold))"
        if let evaluationPeriods {
            let plural = evaluationPeriods == 1 ? "period" : "periods"
            if let datapointsToAlarm, datapointsToAlarm != evaluationPeriods {
                text += " for \(datapointsToAlarm) of \(evaluationPeriods) \(plural)"
            } else {
                text += " for \(evaluationPeriods) \(plural)"
            }
            if let period { text += " of \(MetricFormat.period(period))" }
        }
        return text
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

    /// Sorts `alarms` into `Alarm.triageOrder` in place. The sort moves positions (8 bytes each),
    /// not alarms (over 200 bytes each), then the alarms are put in their places by following the
    /// permutation's cycles: no second list and no merge buffer of alarms, which with 10,000 alarms
    /// is ~3 MB less at the moment a refresh holds the most.
    public static func sortIntoTriageOrder(_ alarms: inout [Alarm]) {
        guard alarms.count > 1 else { return }
        let inOrder = alarms.withUnsafeBufferPointer { a in a.indices.dropFirst().allSatisfy { !triageOrder(a[$0], a[$0 - 1]) } }
        if inOrder { return }
        // order[i]: the position, in the list as it is, of the alarm that belongs at i.
        let order = alarms.withUnsafeBufferPointer { a in
            Array(a.indices).sorted { triageOrder(a[$0], a[$1]) }
        }
        var placed = [Bool](repeating: false, count: alarms.count)
        alarms.withUnsafeMutableBufferPointer { a in
            for start in a.indices where !placed[start] {
                // Walk the cycle through `start`: each place takes the alarm that belongs there.
                let held = a[start]
                var i = start
                while true {
                    placed[i] = true
                    let from = order[i]
                    if from == start { a[i] = held; break }
                    a[i] = a[from]
                    i = from
                }
            }
        }
    }
}
