import BreakglassAWS
@testable import BreakglassCore
import Foundation
import Testing

@Suite("Metric fetcher: decoding and formats")
struct MetricFetcherTests {
    let query = MetricQuery(
        region: "us-east-1", namespace: "AWS/RDS", metric: "DatabaseConnections", dimensions: [MetricDimension(name: "Role", value: "WRITER")],
        statistic: "p99", period: 300, start: Date(timeIntervalSince1970: 1_699_989_300), end: Date(timeIntervalSince1970: 1_700_000_100))

    @Test
    func theRequestAsksForOneStatisticOldestFirst() {
        let request = MetricFetcher.request(query, nextToken: "t1")
        #expect(JSON.encode(request) == #"{"MetricDataQueries":[{"Id":"m","MetricStat":{"Metric":{"Namespace":"AWS/RDS","MetricName":"DatabaseConnections","Dimensions":[{"Name":"Role","Value":"WRITER"}]},"Period":300,"Stat":"p99"},"ReturnData":true}],"StartTime":1699989300,"EndTime":1700000100,"ScanBy":"TimestampAscending","NextToken":"t1"}"#)
    }

    @Test
    func pointsLandInTheirPeriodsAndFailuresKeepAWSsWords() throws {
        let page = try MetricDataPage(try JSON.decode(#"{"MetricDataResults":[{"Id":"m","Timestamps":[1699999800,1699989300,"2023-11-14T19:20:00Z"],"Values":[3.5,1,2],"StatusCode":"PartialData"}],"NextToken":"n"}"#))
        #expect(page.failure == nil && page.nextToken == "n")
        let values = MetricSeries(points: page.points).values(for: query)
        #expect(values.count == 36)
        #expect(values[0] == 1 && values[1] == 2 && values[35] == 3.5)
        #expect(values[2...34].allSatisfy { $0 == nil })

        let denied = try MetricDataPage(try JSON.decode(#"{"MetricDataResults":[{"Id":"m","Timestamps":[],"Values":[],"StatusCode":"Forbidden","Messages":[{"Code":"Forbidden","Value":"not allowed to read AWS/RDS"}]}]}"#))
        #expect(denied.failure?.code == "Forbidden" && denied.failure?.message == "Forbidden: not allowed to read AWS/RDS")
        #expect(throws: MetricDataPage.DecodeError.self) {
            _ = try MetricDataPage(try JSON.decode(#"{"MetricDataResults":[{"Timestamps":[1],"Values":[]}]}"#))
        }
    }

    @Test(arguments: [(80.0, "80"), (0.21, "0.21"), (12.5, "12.5"), (1.0 / 3.0, "0.333"), (-4, "-4"), (0.00001, "1e-05")])
    func numbersAreShort(_ value: Double, _ text: String) {
        #expect(MetricFormat.number(value) == text)
    }

    @Test
    func conditionsReadAsSymbols() {
        var alarm = Alarm(name: "a", state: .ok, reason: "", updated: Date(), region: "r", type: .metric, namespace: "n", metric: "CPU")
        #expect(alarm.conditionText == nil)
        alarm.threshold = 80
        alarm.comparison = "GreaterThanOrEqualToThreshold"
        #expect(alarm.conditionText == "CPU ≥ 80")
        alarm.statistic = "Average"
        alarm.evaluationPeriods = 1
        alarm.period = 300
        #expect(alarm.conditionText == "Average ≥ 80 for 1 period of 5m")
    }
}
