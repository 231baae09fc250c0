import BreakglassAWS
import BreakglassTestSupport
import Foundation
import Testing

@testable import BreakglassCore

/// Where a string's bytes live: two strings with the same address share one buffer.
private func storage(_ s: String?) -> UInt? {
    guard var s else { return nil }
    return s.withUTF8 { $0.baseAddress.map { UInt(bitPattern: $0) } }
}

/// A string equal to `s` in a buffer of its own, as a decoder would make it.
private func fresh(_ s: String) -> String { String(decoding: Array(s.utf8), as: UTF8.self) }

private let reason = "Threshold Crossed: 3 out of the last 3 datapoints [96.2 (21/11/26 02:10:00)] were greater than the threshold (90.0)."

private func alarm(_ name: String, state: AlarmState = .ok, reason why: String = reason, region: String = "us-east-1", updated: Double = 100) -> Alarm {
    Alarm(
        name: fresh(name), state: state, reason: fresh(why), updated: Date(timeIntervalSince1970: updated), region: fresh(region),
        type: .metric, namespace: fresh("AWS/ApplicationELB"), metric: fresh("TargetResponseTime"),
        arn: fresh("arn:aws:cloudwatch:\(region):123456789012:alarm:\(name)"),
        dimensions: [MetricDimension(name: fresh("LoadBalancer"), value: fresh("app/checkout-frontend/50dc6c495c0c9188"))],
        statistic: "Average", period: 60, threshold: 90, comparison: fresh("GreaterThanThreshold"), evaluationPeriods: 3)
}

@Suite struct AlarmReuseTests {
    @Test func anUnchangedAlarmIsThePreviousOneWithItsStorage() {
        let old = alarm("checkout-latency-p99-over-two-seconds")
        let new = alarm("checkout-latency-p99-over-two-seconds")
        #expect(storage(new.reason) != storage(old.reason))
        let kept = AlarmReuse([old]).reusing(new)
        #expect(kept == new)
        #expect(storage(kept.name) == storage(old.name))
        #expect(storage(kept.reason) == storage(old.reason))
        #expect(storage(kept.arn) == storage(old.arn))
        #expect(storage(kept.dimensions[0].value) == storage(old.dimensions[0].value))
    }

    @Test func aChangedAlarmKeepsItsNewValuesAndTheOldStorageOfWhatDidNotChange() {
        let old = alarm("checkout-latency-p99-over-two-seconds")
        let new = alarm("checkout-latency-p99-over-two-seconds", state: .alarm, reason: reason + " Now breaching.", updated: 200)
        let kept = AlarmReuse([old]).reusing(new)
        #expect(kept == new)
        #expect(storage(kept.reason) == storage(new.reason))
        #expect(storage(kept.name) == storage(old.name))
        #expect(storage(kept.arn) == storage(old.arn))
        #expect(storage(kept.namespace) == storage(old.namespace))
        #expect(storage(kept.comparison) == storage(old.comparison))
        #expect(storage(kept.dimensions[0].value) == storage(old.dimensions[0].value))
    }

    @Test func changedDimensionsAreTheNewOnes() {
        let old = alarm("checkout-latency-p99-over-two-seconds")
        var new = alarm("checkout-latency-p99-over-two-seconds")
        new.dimensions = [MetricDimension(name: "LoadBalancer", value: "app/checkout-frontend/ffffffffffffffff")]
        let kept = AlarmReuse([old]).reusing(new)
        #expect(kept == new)
        #expect(storage(kept.reason) == storage(old.reason))
    }

    @Test(arguments: [
        ("another-alarm-with-a-long-enough-name", "us-east-1"),
        ("checkout-latency-p99-over-two-seconds", "eu-west-1"),
    ])
    func anAlarmMatchesOnlyByRegionAndName(_ name: String, _ region: String) {
        let old = alarm("checkout-latency-p99-over-two-seconds")
        let new = alarm(name, region: region)
        let kept = AlarmReuse([old]).reusing(new)
        #expect(kept == new)
        #expect(storage(kept.reason) == storage(new.reason))
        #expect(storage(kept.name) == storage(new.name))
    }

    @Test func ofTwoPreviousAlarmsWithOneNameTheFirstCounts() {
        let first = alarm("checkout-latency-p99-over-two-seconds", reason: "first reason, long enough to be on the heap")
        let second = alarm("checkout-latency-p99-over-two-seconds", reason: "second reason, long enough to be on the heap")
        let new = alarm("checkout-latency-p99-over-two-seconds", reason: "second reason, long enough to be on the heap")
        let kept = AlarmReuse([first, second]).reusing(new)
        #expect(kept == new)
        #expect(storage(kept.name) == storage(first.name))
        #expect(storage(kept.reason) == storage(new.reason))
    }

    @Test func nothingPreviousChangesNothing() {
        let new = alarm("checkout-latency-p99-over-two-seconds")
        #expect(AlarmReuse.none.isEmpty)
        #expect(storage(AlarmReuse.none.reusing(new).reason) == storage(new.reason))
    }

    func client(_ transport: ScriptedTransport) -> AWSClient {
        let env = AWSEnvironment(variables: ["HOME": "/nonexistent", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"])
        return AWSClient(credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s", source: "test"), endpoints: EndpointResolver(environment: env), transport: transport, retry: .never)
    }

    static func page(_ states: [(String, String)], next: String? = nil) -> Result<HTTPResponse, TransportError> {
        let items = states.map { name, state in
            #"{"AlarmName":"\#(name)","AlarmArn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:\#(name)","StateValue":"\#(state)","#
                + #""StateReason":"\#(reason) \#(state)","StateUpdatedTimestamp":\#(state == "ALARM" ? 200 : 100),"#
                + #""Namespace":"AWS/ApplicationELB","MetricName":"TargetResponseTime","#
                + #""Dimensions":[{"Name":"LoadBalancer","Value":"app/\#(name)/50dc6c495c0c9188"}]}"#
        }
        let token = next.map { #","NextToken":"\#($0)""# } ?? ""
        return ScriptedTransport.json(#"{"MetricAlarms":["# + items.joined(separator: ",") + "]" + token + "}")
    }

    /// A refresh through `AlarmRefresher` is the list a fresh fetch gives, holding the previous
    /// list's text wherever it is unchanged, across pages.
    @Test func aRefreshIsTheSameListSharingTheUnchangedText() async throws {
        let first = [("api-gateway-5xx-rate-over-one-percent", "OK"), ("checkout-latency-p99-over-two-seconds", "OK")]
        let second = [("orders-queue-depth-over-ten-thousand", "OK")]
        let changed = [("api-gateway-5xx-rate-over-one-percent", "OK"), ("checkout-latency-p99-over-two-seconds", "ALARM")]
        let transport = ScriptedTransport([
            Self.page(first, next: "p2"), Self.page(second),
            Self.page(changed, next: "p2"), Self.page(second),
            Self.page(changed, next: "p2"), Self.page(second),
        ])
        let refresher = AlarmRefresher(AlarmFetcher(client: client(transport)))
        let before = try await refresher.list(regions: ["us-east-1"])
        let after = try await refresher.list(regions: ["us-east-1"])
        let plain = try await AlarmFetcher(client: client(transport)).list(regions: ["us-east-1"])
        #expect(after == plain)
        #expect(after.map(\.name) == ["checkout-latency-p99-over-two-seconds", "api-gateway-5xx-rate-over-one-percent", "orders-queue-depth-over-ten-thousand"])
        let old = Dictionary(uniqueKeysWithValues: before.map { ($0.name, $0) })
        for alarm in after {
            let previous = try #require(old[alarm.name])
            #expect(storage(alarm.name) == storage(previous.name))
            #expect(storage(alarm.arn) == storage(previous.arn))
            #expect(storage(alarm.dimensions[0].value) == storage(previous.dimensions[0].value))
            if alarm.state == previous.state {
                #expect(storage(alarm.reason) == storage(previous.reason), "\(alarm.name)")
            } else {
                #expect(storage(alarm.reason) != storage(previous.reason))
                #expect(alarm.reason.hasSuffix("ALARM"))
            }
        }
    }
}
