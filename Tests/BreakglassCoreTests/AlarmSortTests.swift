import BreakglassAWS
import BreakglassTestSupport
import Foundation
import Testing

@testable import BreakglassCore

/// `Alarm.sortIntoTriageOrder`, which `AlarmFetcher.list` sorts with in place, against
/// `sorted(by: Alarm.triageOrder)`, the sort it replaces.
@Suite struct AlarmSortTests {
    /// Lists with ties in every key, duplicates, and already sorted or reversed runs.
    static func alarms(_ count: Int, seed: UInt64) -> [Alarm] {
        var state = seed
        func next(_ n: UInt64) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % n)
        }
        let states: [AlarmState] = [.ok, .alarm, .insufficientData]
        return (0..<count).map { _ in
            Alarm(
                name: "alarm-\(next(8))", state: states[next(3)], reason: "r\(next(1000))", updated: Date(timeIntervalSince1970: Double(next(5))),
                region: ["us-east-1", "eu-west-1"][next(2)], type: .metric)
        }
    }

    @Test(arguments: [0, 1, 2, 3, 17, 500, 2_000])
    func sortsAsSortedDoes(_ count: Int) {
        for seed in 1...5 as ClosedRange<UInt64> {
            let list = Self.alarms(count, seed: seed)
            var inPlace = list
            Alarm.sortIntoTriageOrder(&inPlace)
            // Equal alarms are interchangeable, so the stable and the in-place sort must agree exactly.
            #expect(inPlace == list.sorted(by: Alarm.triageOrder), "\(count) alarms, seed \(seed)")
        }
    }

    @Test func aSortedListIsLeftAsItIs() {
        var list = Self.alarms(300, seed: 9).sorted(by: Alarm.triageOrder)
        let before = list.withUnsafeBufferPointer { $0.baseAddress }
        Alarm.sortIntoTriageOrder(&list)
        #expect(list.withUnsafeBufferPointer { $0.baseAddress } == before)
        // Reversed, every alarm moves (ties keep their reversed order, as a stable sort keeps them).
        var reversed = Array(list.reversed())
        let expected = reversed.sorted(by: Alarm.triageOrder)
        Alarm.sortIntoTriageOrder(&reversed)
        #expect(reversed == expected)
    }

    @Test func twoRegionsComeBackAsOneListInTriageOrder() async throws {
        let transport = ScriptedTransport([
            ScriptedTransport.json(#"{"MetricAlarms":[{"AlarmName":"a","StateValue":"OK","StateUpdatedTimestamp":1},{"AlarmName":"c","StateValue":"ALARM","StateUpdatedTimestamp":1}]}"#),
            ScriptedTransport.json(#"{"MetricAlarms":[{"AlarmName":"b","StateValue":"ALARM","StateUpdatedTimestamp":2}]}"#),
        ])
        let env = AWSEnvironment(variables: ["HOME": "/nonexistent", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"])
        let client = AWSClient(
            credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s", source: "test"), endpoints: EndpointResolver(environment: env),
            transport: transport, retry: .never)
        let alarms = try await AlarmFetcher(client: client).list(regions: ["us-east-1", "eu-west-1"])
        // Which region gets which scripted page depends on which request goes first; the order does not.
        #expect(alarms.map(\.name) == ["b", "c", "a"])
        #expect(Set(alarms.map(\.region)) == ["us-east-1", "eu-west-1"])
    }
}
