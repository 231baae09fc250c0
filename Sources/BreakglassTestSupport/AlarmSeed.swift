import BreakglassAWS
import BreakglassCore
import Foundation

/// Alarms for tests that only need alarms in moto (the demo and the sandbox use scenarios/*.yaml):
/// the holiday-sale incident's. Payment latency spikes, the order queue backs up and the shared
/// database is overloaded, while other services look healthy.
public enum DemoSeed {
    public struct SeedAlarm: Sendable {
        public let name: String
        public let namespace: String
        public let metric: String
        public let threshold: Double
        public let state: AlarmState
        public let reason: String

        public init(name: String, namespace: String, metric: String, threshold: Double, state: AlarmState, reason: String) {
            self.name = name
            self.namespace = namespace
            self.metric = metric
            self.threshold = threshold
            self.state = state
            self.reason = reason
        }
    }

    public static let alarms: [SeedAlarm] = [
        SeedAlarm(name: "prod-payments-latency-p99", namespace: "Shop/Payments", metric: "ProviderLatencyP99", threshold: 3, state: .alarm,
                  reason: "Threshold Crossed: 3 datapoints [24.8, 27.1, 22.9] were greater than the threshold (3.0)."),
        SeedAlarm(name: "prod-orders-queue-depth", namespace: "AWS/SQS", metric: "ApproximateNumberOfMessagesVisible", threshold: 10_000, state: .alarm,
                  reason: "Threshold Crossed: 1 datapoint [251840.0] was greater than the threshold (10000.0)."),
        SeedAlarm(name: "prod-db-cpu", namespace: "AWS/RDS", metric: "CPUUtilization", threshold: 80, state: .alarm,
                  reason: "Threshold Crossed: 5 datapoints [97.2, 98.9, 99.1, 98.4, 99.6] were greater than the threshold (80.0)."),
        SeedAlarm(name: "prod-db-deadlocks", namespace: "AWS/RDS", metric: "Deadlocks", threshold: 5, state: .insufficientData,
                  reason: "Insufficient Data: 2 datapoints were unknown."),
        SeedAlarm(name: "prod-api-5xx-rate", namespace: "AWS/ApplicationELB", metric: "HTTPCode_Target_5XX_Count", threshold: 50, state: .ok,
                  reason: "Threshold Crossed: 1 datapoint [12.0] was not greater than the threshold (50.0)."),
        SeedAlarm(name: "prod-web-status-check", namespace: "AWS/EC2", metric: "StatusCheckFailed", threshold: 1, state: .ok,
                  reason: "Threshold Crossed: 1 datapoint [0.0] was not greater than or equal to the threshold (1.0)."),
        SeedAlarm(name: "prod-ingest-throttles", namespace: "AWS/Lambda", metric: "Throttles", threshold: 10, state: .ok,
                  reason: "Threshold Crossed: 1 datapoint [0.0] was not greater than the threshold (10.0)."),
        SeedAlarm(name: "staging-api-latency", namespace: "AWS/ApplicationELB", metric: "TargetResponseTime", threshold: 1, state: .ok,
                  reason: "Threshold Crossed: 1 datapoint [0.21] was not greater than the threshold (1.0)."),
    ]

    /// Creates `alarms` in `region` and sets each to its state. All are metric alarms: moto 5.2.1 cannot
    /// create composite alarms (no PutCompositeAlarm, and it drops AlarmRule from PutMetricAlarm).
    public static func apply(_ alarms: [SeedAlarm] = DemoSeed.alarms, client: AWSClient, region: String) async throws(AWSError) {
        for a in alarms {
            var input: AWSObject = ["AlarmName": .string(a.name), "ActionsEnabled": false]
            input["Namespace"] = .string(a.namespace)
            input["MetricName"] = .string(a.metric)
            input["Statistic"] = "Average"
            input["Period"] = 60
            input["EvaluationPeriods"] = 1
            input["Threshold"] = .number(String(a.threshold))
            input["ComparisonOperator"] = "GreaterThanThreshold"
            _ = try await client.json(.cloudwatch, "PutMetricAlarm", .object(input), region: region, mutating: true)
            try await setState(a.name, a.state, reason: a.reason, client: client, region: region)
        }
    }

    public static func setState(_ name: String, _ state: AlarmState, reason: String, client: AWSClient, region: String) async throws(AWSError) {
        _ = try await client.json(.cloudwatch, "SetAlarmState", ["AlarmName": .string(name), "StateValue": .string(state.rawValue), "StateReason": .string(reason)], region: region, mutating: true)
    }
}
