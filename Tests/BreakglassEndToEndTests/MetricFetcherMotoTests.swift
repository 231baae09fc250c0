import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// The alarm detail's metric reads (GetMetricData through `MetricFetcher`) against moto_server with
/// signature and IAM checks on.
@Suite(.serialized) struct MetricFetcherMotoTests {
    static let dimensions = [MetricDimension(name: "DBClusterIdentifier", value: "prod-aurora")]

    /// Writes `values` (period index → value) of Shop/DB Connections for `dimensions`, one point in
    /// the middle of each period of `query`.
    func put(_ values: [Int: Double], _ query: MetricQuery, dimensions: [MetricDimension], client: AWSClient) async throws {
        let data: [AWSValue] = values.sorted { $0.key < $1.key }.map { index, value in
            let time = query.start.addingTimeInterval(Double(index * query.period) + 100)
            return [
                "MetricName": "Connections",
                "Dimensions": .array(dimensions.map { ["Name": .string($0.name), "Value": .string($0.value)] }),
                "Timestamp": .number(String(Int(time.timeIntervalSince1970))),
                "Value": .number(MetricFormat.number(value)),
            ]
        }
        _ = try await client.call(try AWSCatalog.lookup(service: "cloudwatch", name: "PutMetricData"), ["Namespace": "Shop/DB", "MetricData": .array(data)], region: query.region)
    }

    @Test func anAlarmsMetricComesBackInItsPeriodsWithItsGaps() async throws {
        try await MotoHarness.withServer { server in
            let client = server.client()
            let region = "us-east-1"
            // An alarm on the metric: its dimensions, statistic and condition are read back.
            _ = try await client.json(.cloudwatch, "PutMetricAlarm", [
                "AlarmName": "prod-db-connections", "Namespace": "Shop/DB", "MetricName": "Connections",
                "Dimensions": [["Name": "DBClusterIdentifier", "Value": "prod-aurora"]], "Statistic": "Maximum", "Period": 60,
                "EvaluationPeriods": 3, "DatapointsToAlarm": 2, "Threshold": .number("1.5"), "ComparisonOperator": "LessThanThreshold",
            ], region: region, mutating: true)
            let alarms = try await AlarmFetcher(client: client).list(regions: [region])
            let alarm = try #require(alarms.first { $0.name == "prod-db-connections" })
            #expect(alarm.dimensions == Self.dimensions)
            #expect(alarm.statistic == "Maximum" && alarm.period == 60 && alarm.threshold == 1.5)
            #expect(alarm.conditionText == "Maximum < 1.5 for 2 of 3 periods of 1m")

            let query = try #require(MetricQuery.recent(for: alarm, now: Date()))
            #expect(query.pointCount == 36 && query.statistic == "Maximum" && query.dimensions == Self.dimensions)
            // Every period but 10 to 12 has a point; another cluster's points must not show.
            var values: [Int: Double] = [:]
            for i in 0..<36 where !(10...12).contains(i) { values[i] = Double(i % 7) * 2.5 }
            try await put(values, query, dimensions: Self.dimensions, client: client)
            try await put([0: 999, 20: 999], query, dimensions: [MetricDimension(name: "DBClusterIdentifier", value: "staging")], client: client)

            let series = try await MetricFetcher(client: client).fetch(query)
            let read = series.values(for: query)
            #expect(read.count == 36)
            for i in 0..<36 {
                #expect(read[i] == values[i], "period \(i)")
            }
            #expect(series.points.map(\.time) == series.points.map(\.time).sorted())
        }
    }

    @Test func aCallerWithoutGetMetricDataGetsAccessDeniedWithItsRequestID() async throws {
        try await MotoHarness.withServer { server in
            let admin = server.client()
            let iam = { (name: String) throws -> AWSOperation in try AWSCatalog.lookup(service: "iam", name: name) }
            _ = try await admin.call(iam("CreateUser"), ["UserName": "reader"], region: "us-east-1")
            let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudwatch:DescribeAlarms","Resource":"*"}]}"#
            _ = try await admin.call(iam("PutUserPolicy"), ["UserName": "reader", "PolicyName": "alarms-only", "PolicyDocument": .string(policy)], region: "us-east-1")
            let key = try await admin.call(iam("CreateAccessKey"), ["UserName": "reader"], region: "us-east-1")
            let id = try #require(key.value["AccessKey"]?["AccessKeyId"]?.string)
            let secret = try #require(key.value["AccessKey"]?["SecretAccessKey"]?.string)
            let reader = server.client(credentials: AWSCredentials(accessKeyID: id, secretAccessKey: secret, source: "test"))

            let query = MetricQuery(
                region: "us-east-1", namespace: "Shop/DB", metric: "Connections", dimensions: Self.dimensions, statistic: "Average",
                period: 300, start: Date().addingTimeInterval(-10_800), end: Date())
            await #expect {
                _ = try await MetricFetcher(client: reader).fetch(query)
            } throws: { error in
                guard case .service(let e) = error as? AWSError else { return false }
                return e.code == "AccessDenied" && e.operation == "monitoring.GetMetricData" && e.requestID != nil && e.message.contains("GetMetricData")
            }
        }
    }
}
