import BreakglassAWS
import BreakglassTestSupport
import Foundation
import Testing

@testable import BreakglassCore

@Suite struct AlarmPageTests {
    @Test func decodesMetricAndCompositeAlarms() throws {
        let page = try AlarmPage(JSON.decode(#"""
            {"MetricAlarms":[{"AlarmName":"db-cpu","AlarmArn":"arn:1","StateValue":"ALARM","StateReason":"Threshold crossed",
              "StateUpdatedTimestamp":1795264413.696,"Namespace":"AWS/RDS","MetricName":"CPUUtilization"}],
             "CompositeAlarms":[{"AlarmName":"checkout","StateValue":"OK","StateReason":"","StateUpdatedTimestamp":"2026-11-21T02:13:00.500Z"}],
             "NextToken":"t2"}
            """#), region: "eu-west-1")
        #expect(page.nextToken == "t2")
        #expect(page.alarms == [
            Alarm(name: "db-cpu", state: .alarm, reason: "Threshold crossed", updated: Date(timeIntervalSince1970: 1795264413.696), region: "eu-west-1", type: .metric, namespace: "AWS/RDS", metric: "CPUUtilization", arn: "arn:1"),
            Alarm(name: "checkout", state: .ok, reason: "", updated: Date(timeIntervalSince1970: 1_795_227_180.5), region: "eu-west-1", type: .composite),
        ])
    }

    @Test(arguments: [
        (#"[]"#, "not a JSON object"),
        (#"{"MetricAlarms":{}}"#, "MetricAlarms is not a list"),
        (#"{"MetricAlarms":[{"StateValue":"OK"}]}"#, "MetricAlarms[0] has no AlarmName"),
        (#"{"CompositeAlarms":[{"AlarmName":"x","StateValue":"BURNING"}]}"#, "unknown StateValue \"BURNING\""),
    ])
    func malformedPagesSayWhatIsWrong(_ body: String, _ message: String) throws {
        let value = try JSON.decode(body)
        #expect { try AlarmPage(value, region: "us-east-1") } throws: { String(describing: $0).contains(message) }
    }

    @Test func triageOrderPutsAlarmFirstThenNewest() {
        let t = Date(timeIntervalSince1970: 1000)
        let alarms = [
            Alarm(name: "ok", state: .ok, reason: "", updated: t, region: "r", type: .metric),
            Alarm(name: "old-fire", state: .alarm, reason: "", updated: t, region: "r", type: .metric),
            Alarm(name: "nodata", state: .insufficientData, reason: "", updated: t, region: "r", type: .metric),
            Alarm(name: "new-fire", state: .alarm, reason: "", updated: t + 60, region: "r", type: .metric),
        ].sorted(by: Alarm.triageOrder)
        #expect(alarms.map(\.name) == ["new-fire", "old-fire", "nodata", "ok"])
    }
}

@Suite struct AlarmFetcherTests {
    func client(_ transport: ScriptedTransport) -> AWSClient {
        let env = AWSEnvironment(variables: ["HOME": "/nonexistent", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"])
        // One attempt per call: these tests script every answer; retries have their own tests.
        return AWSClient(credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s", source: "test"), endpoints: EndpointResolver(environment: env), transport: transport, retry: .never)
    }

    @Test func followsNextTokenAndAsksForBothAlarmTypes() async throws {
        let transport = ScriptedTransport([
            ScriptedTransport.json(#"{"MetricAlarms":[{"AlarmName":"a","StateValue":"OK","StateUpdatedTimestamp":1}],"NextToken":"p2"}"#),
            ScriptedTransport.json(#"{"MetricAlarms":[{"AlarmName":"b","StateValue":"ALARM","StateUpdatedTimestamp":2}]}"#),
        ])
        let alarms = try await AlarmFetcher(client: client(transport)).list(regions: ["us-east-1"], state: nil)
        #expect(alarms.map(\.name) == ["b", "a"])
        let bodies = try transport.requests.map { try JSON.decode($0.body) }
        #expect(bodies[0]["AlarmTypes"] == ["MetricAlarm", "CompositeAlarm"])
        #expect(bodies[0]["NextToken"] == nil)
        #expect(bodies[1]["NextToken"] == "p2")
        #expect(transport.requests[0].header("X-Amz-Target") == "GraniteServiceVersion20100801.DescribeAlarms")
        #expect(transport.requests[0].header("Content-Type") == "application/x-amz-json-1.0")
    }

    @Test func aRepeatedTokenEndsThePaging() async throws {
        let page = #"{"MetricAlarms":[],"NextToken":"same"}"#
        let transport = ScriptedTransport([ScriptedTransport.json(page), ScriptedTransport.json(page), ScriptedTransport.json(page)])
        _ = try await AlarmFetcher(client: client(transport)).list(regions: ["us-east-1"])
        #expect(transport.requests.count == 2)
    }

    @Test func serviceErrorsCarryCodeMessageAndRequestID() async {
        let transport = ScriptedTransport([.success(HTTPResponse(status: 400, headers: [HTTPHeader("x-amzn-RequestId", "rid-9")], body: Array(#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.utf8)))])
        await #expect {
            _ = try await AlarmFetcher(client: client(transport)).list(regions: ["us-east-1"])
        } throws: {
            String(describing: $0) == "monitoring.DescribeAlarms failed: ThrottlingException: Rate exceeded (HTTP 400, request id rid-9)"
        }
    }
}

@Suite struct AlarmListingTests {
    let now = Date(timeIntervalSince1970: 1_000_000)

    @Test(arguments: [(0.0, "0s"), (59.9, "59s"), (60, "1m00s"), (252, "4m12s"), (11100, "3h05m"), (187_200, "2d04h"), (-5, "0s")])
    func compactDurations(_ seconds: Double, _ text: String) {
        #expect(CompactDuration.format(seconds) == text)
    }

    @Test func tableFitsEightyColumnsAndIsInert() {
        let alarms = [
            Alarm(name: "prod-\u{1B}]0;pwned\u{07}db-\u{202E}cpu-utilisation-very-long-name-that-goes-on", state: .alarm, reason: "Threshold crossed:\n1 datapoint \u{1B}[2J was greater than 80", updated: now - 252, region: "us-east-1", type: .metric),
            Alarm(name: "注文キュー", state: .insufficientData, reason: "no data", updated: now - 11100, region: "eu-west-1", type: .metric),
        ]
        for showRegion in [false, true] {
            let table = AlarmListing.table(alarms, now: now, width: 80, showRegion: showRegion)
            for line in table.split(separator: "\n") {
                #expect(TerminalText.width(String(line)) <= 80, "\(line)")
                #expect(!line.unicodeScalars.contains { $0.value < 0x20 || $0 == "\u{202E}" })
            }
            #expect(table.contains("ALARM   4m12s"))
        }
    }

    @Test func jsonHasTheDocumentedFields() throws {
        let alarms = [
            Alarm(name: "m", state: .alarm, reason: "r", updated: Date(timeIntervalSince1970: 1_795_314_780), region: "us-east-1", type: .metric, namespace: "AWS/RDS", metric: "CPUUtilization", arn: "arn:m"),
            Alarm(name: "c", state: .ok, reason: "", updated: Date(timeIntervalSince1970: 0), region: "us-east-1", type: .composite),
        ]
        let v = try JSON.decode(AlarmListing.json(alarms))
        #expect(v[0]?.object?.keys == ["name", "state", "reason", "updated", "region", "type", "namespace", "metric", "arn"])
        #expect(v[0]?["updated"] == "2026-11-22T02:33:00Z")
        #expect(v[1]?.object?.keys == ["name", "state", "reason", "updated", "region", "type", "arn"])
        #expect(v[1]?["type"] == "composite")
    }
}
