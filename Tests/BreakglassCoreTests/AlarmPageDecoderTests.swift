import BreakglassAWS
import Foundation
import Testing

@testable import BreakglassCore

/// `AlarmFetcher.decodePage`, which reads a DescribeAlarms body without a value tree, against the
/// expected alarms and against `AlarmPage(JSON.decode(body))`, which it replaces on the hot path
/// and must agree with on every input: the same alarms and token, or the same complaint.
@Suite struct AlarmPageDecoderTests {
    static let region = "eu-west-1"

    /// The tree decoder's answer to `body`, as `AlarmFetcher.listRegion` turns it into an error.
    static func viaTree(_ body: String) -> Result<AlarmPage, AWSError> {
        let value: AWSValue
        do { value = try JSON.decode(body) } catch {
            return .failure(.malformedResponse(operation: "monitoring.DescribeAlarms", status: 200, requestID: "rid", reason: error.description))
        }
        do { return .success(try AlarmPage(value, region: region)) } catch {
            return .failure(.malformedResponse(operation: "monitoring.DescribeAlarms", status: 200, requestID: "rid", reason: error.description))
        }
    }

    static func direct(_ body: String) -> Result<AlarmPage, AWSError> {
        do { return .success(try AlarmFetcher.decodePage(Array(body.utf8), region: region, requestID: "rid")) } catch { return .failure(error) }
    }

    static func same(_ a: Result<AlarmPage, AWSError>, _ b: Result<AlarmPage, AWSError>) -> Bool {
        switch (a, b) {
        case (.success(let x), .success(let y)): x == y
        case (.failure(let x), .failure(let y)): String(describing: x) == String(describing: y)
        default: false
        }
    }

    static let t0 = Date(timeIntervalSince1970: 0)

    /// (what, body, the page's alarms, its token)
    static let pages: [(String, String, [Alarm], String?)] = [
        ("every field of a metric alarm", #"""
            {"MetricAlarms":[{"AlarmName":"prod-db-cpu","AlarmArn":"arn:aws:cloudwatch:eu-west-1:1:alarm:prod-db-cpu",
              "StateValue":"ALARM","StateReason":"Threshold Crossed: 3 datapoints","StateUpdatedTimestamp":1795264413.5,
              "AlarmConfigurationUpdatedTimestamp":1700000000,"Namespace":"AWS/RDS","MetricName":"CPUUtilization",
              "Dimensions":[{"Name":"DBInstanceIdentifier","Value":"prod-db-1"},{"Name":"Role","Value":"WRITER"}],
              "Statistic":"Average","Period":300,"Threshold":80.5,"ComparisonOperator":"GreaterThanThreshold",
              "EvaluationPeriods":5,"DatapointsToAlarm":3}]}
            """#,
         [Alarm(
            name: "prod-db-cpu", state: .alarm, reason: "Threshold Crossed: 3 datapoints", updated: Date(timeIntervalSince1970: 1795264413.5),
            region: region, type: .metric, namespace: "AWS/RDS", metric: "CPUUtilization", arn: "arn:aws:cloudwatch:eu-west-1:1:alarm:prod-db-cpu",
            dimensions: [MetricDimension(name: "DBInstanceIdentifier", value: "prod-db-1"), MetricDimension(name: "Role", value: "WRITER")],
            statistic: "Average", period: 300, threshold: 80.5, comparison: "GreaterThanThreshold", evaluationPeriods: 5, datapointsToAlarm: 3)],
         nil),
        ("no optional field: empty reason, no time, no metric", #"{"MetricAlarms":[{"AlarmName":"a","StateValue":"OK"}]}"#,
         [Alarm(name: "a", state: .ok, reason: "", updated: t0, region: region, type: .metric)], nil),
        ("the configuration's time when the state's is missing", #"{"MetricAlarms":[{"AlarmName":"a","StateValue":"OK","AlarmConfigurationUpdatedTimestamp":1000}]}"#,
         [Alarm(name: "a", state: .ok, reason: "", updated: Date(timeIntervalSince1970: 1000), region: region, type: .metric)], nil),
        ("ISO 8601 and numeric-string times; numbers as strings; the extended statistic", #"""
            {"MetricAlarms":[
              {"AlarmName":"iso","StateValue":"INSUFFICIENT_DATA","StateUpdatedTimestamp":"2026-11-21T02:13:00.500Z",
               "ExtendedStatistic":"p99","Period":"60","Threshold":"1e3","EvaluationPeriods":2.0,"DatapointsToAlarm":"2"},
              {"AlarmName":"text-seconds","StateValue":"OK","StateUpdatedTimestamp":"1000.25","Period":1.5,"Threshold":true}]}
            """#,
         [Alarm(name: "iso", state: .insufficientData, reason: "", updated: Date(timeIntervalSince1970: 1_795_227_180.5), region: region, type: .metric,
                statistic: "p99", period: 60, threshold: 1000, evaluationPeriods: 2, datapointsToAlarm: 2),
          Alarm(name: "text-seconds", state: .ok, reason: "", updated: Date(timeIntervalSince1970: 1000.25), region: region, type: .metric)],
         nil),
        ("a composite alarm keeps no metric fields, even when sent; metric alarms come first", #"""
            {"CompositeAlarms":[{"AlarmName":"checkout","AlarmArn":"arn:c","StateValue":"ALARM","StateReason":"child alarms",
              "StateUpdatedTimestamp":20,"AlarmRule":"ALARM(a) OR ALARM(b)","Namespace":"AWS/EC2","Statistic":"Sum","Period":60,
              "Dimensions":[{"Name":"x","Value":"y"}]}],
             "MetricAlarms":[{"AlarmName":"m","StateValue":"OK","StateUpdatedTimestamp":10}]}
            """#,
         [Alarm(name: "m", state: .ok, reason: "", updated: Date(timeIntervalSince1970: 10), region: region, type: .metric),
          Alarm(name: "checkout", state: .alarm, reason: "child alarms", updated: Date(timeIntervalSince1970: 20), region: region, type: .composite, arn: "arn:c")],
         nil),
        ("unknown members of every kind are skipped, at every level", #"""
            {"Extra":{"a":[1,2,{"b":null}],"c":"\u00e9\"\\"},"MetricAlarms":[{"OKActions":[],"AlarmActions":["arn:sns"],
              "ActionsEnabled":true,"StateReasonData":"{\"version\":\"1.0\"}","Unit":null,"AlarmName":"a","Metrics":[{"Id":"m1","ReturnData":false}],
              "StateValue":"OK","TreatMissingData":"missing","Dimensions":[{"Name":"n","Value":"v","Extra":-1.5e-3}]}],"More":[[[]]]}
            """#,
         [Alarm(name: "a", state: .ok, reason: "", updated: t0, region: region, type: .metric, dimensions: [MetricDimension(name: "n", value: "v")])],
         nil),
        ("dimensions without a name or a value, or not objects, are left out; Dimensions not a list is none",
         #"{"MetricAlarms":[{"AlarmName":"a","StateValue":"OK","Dimensions":[{"Name":"n"},{"Value":"v"},{"Name":1,"Value":"v"},"x",{"Name":"k","Value":"v"}]},{"AlarmName":"b","StateValue":"OK","Dimensions":{"Name":"k","Value":"v"}}]}"#,
         [Alarm(name: "a", state: .ok, reason: "", updated: t0, region: region, type: .metric, dimensions: [MetricDimension(name: "k", value: "v")]),
          Alarm(name: "b", state: .ok, reason: "", updated: t0, region: region, type: .metric)],
         nil),
        ("escapes in names and reasons, a surrogate pair, and escaped member names", #"""
            {"MetricAlarms":[{"Alarm\u004eame":"caf\u00e9 \ud83d\udd25 \"q\"","StateValue":"ALARM","StateReason":"line\nnext\t\u001b[31m"}]}
            """#,
         [Alarm(name: "café 🔥 \"q\"", state: .alarm, reason: "line\nnext\t\u{1b}[31m", updated: t0, region: region, type: .metric)], nil),
        ("a duplicated member: the first counts", #"""
            {"MetricAlarms":[{"AlarmName":"first","AlarmName":"second","StateValue":"OK","StateValue":"BURNING","Namespace":"A","Namespace":"B"}],
             "MetricAlarms":[{"AlarmName":"other","StateValue":"OK"}],"NextToken":"t1","NextToken":"t2"}
            """#,
         [Alarm(name: "first", state: .ok, reason: "", updated: t0, region: region, type: .metric, namespace: "A")], "t1"),
        ("NextToken", #"{"MetricAlarms":[],"CompositeAlarms":[],"NextToken":"eyJwYWdlIjoyfQ=="}"#, [], "eyJwYWdlIjoyfQ=="),
        ("a NextToken that is not a string is none", #"{"NextToken":42}"#, [], nil),
        ("no lists at all, white space around", " \n{ }\t\r\n", [], nil),
        ("null lists and null fields", #"{"MetricAlarms":[{"AlarmName":"a","StateValue":"OK","StateReason":null,"Namespace":null,"Period":null}],"NextToken":null}"#,
         [Alarm(name: "a", state: .ok, reason: "", updated: t0, region: region, type: .metric)], nil),
    ]

    @Test(arguments: AlarmPageDecoderTests.pages.indices)
    func decodesEachField(_ i: Int) throws {
        let (what, body, alarms, token) = Self.pages[i]
        let page = try AlarmFetcher.decodePage(Array(body.utf8), region: Self.region)
        #expect(page.alarms == alarms, "\(what)")
        #expect(page.nextToken == token, "\(what)")
        #expect(Self.same(Self.direct(body), Self.viaTree(body)), "\(what): the tree decoder reads it differently")
    }

    @Test func anEmptyBodyIsAnEmptyPage() throws {
        #expect(try AlarmFetcher.decodePage([], region: "r") == AlarmPage(alarms: [], nextToken: nil))
    }

    /// (body, the whole reason in the AWSError)
    static let malformed: [(String, String)] = [
        ("[]", "DescribeAlarms answer is not a JSON object"),
        ("\"text\"", "DescribeAlarms answer is not a JSON object"),
        (#"{"MetricAlarms":{}}"#, "MetricAlarms is not a list"),
        (#"{"MetricAlarms":null}"#, "MetricAlarms is not a list"),
        (#"{"MetricAlarms":[{"StateValue":"OK"}]}"#, "MetricAlarms[0] has no AlarmName"),
        (#"{"MetricAlarms":[{"AlarmName":"a","StateValue":"OK"},7]}"#, "MetricAlarms[1] has no AlarmName"),
        (#"{"MetricAlarms":[{"AlarmName":5,"StateValue":"OK"}]}"#, "MetricAlarms[0] has no AlarmName"),
        (#"{"CompositeAlarms":[{"AlarmName":"x","StateValue":"BURNING"}]}"#, #"CompositeAlarms[0] (x) has an unknown StateValue "BURNING""#),
        (#"{"MetricAlarms":[{"AlarmName":"x","StateValue":{"a": [1, true]}}]}"#, #"MetricAlarms[0] (x) has an unknown StateValue {"a":[1,true]}"#),
        (#"{"MetricAlarms":[{"AlarmName":"x"}]}"#, "MetricAlarms[0] (x) has an unknown StateValue (missing)"),
        // A problem in MetricAlarms is reported before one in CompositeAlarms, wherever each is.
        (#"{"CompositeAlarms":[{"StateValue":"OK"}],"MetricAlarms":[{"AlarmName":"m"}]}"#, "MetricAlarms[0] (m) has an unknown StateValue (missing)"),
        // Malformed JSON anywhere is reported before a page of the wrong shape.
        (#"{"MetricAlarms":{},"x":tru}"#, "malformed JSON at byte 23: invalid literal"),
        (#"[] x"#, "malformed JSON at byte 3: unexpected data after the value"),
        (#"{"MetricAlarms":[{"AlarmName":"a","StateValue":"OK"}"#, "malformed JSON at byte 52: unterminated array"),
        (#"{"MetricAlarms":[{"AlarmName":"a","StateValue":"OK"},]}"#, "malformed JSON at byte 53: unexpected character ']'"),
        (#"{"MetricAlarms":[{"AlarmName":"a" "StateValue":"OK"}]}"#, "malformed JSON at byte 34: expected ',' or '}' in object"),
        (#"{"MetricAlarms":[{"AlarmName":"a\q","StateValue":"OK"}]}"#, #"malformed JSON at byte 34: invalid escape '\q'"#),
        (#"{"NextToken":"\u12G4"}"#, #"malformed JSON at byte 18: invalid hex digit in \u escape"#),
        (#"{"MetricAlarms":[01]}"#, "malformed JSON at byte 18: leading zero in a number"),
        (#"{"MetricAlarms":["#, "malformed JSON at byte 17: unexpected end of input"),
        (#"{"#, "malformed JSON at byte 1: expected a member name"),
        (#"{"a""#, "malformed JSON at byte 4: expected ':' after a member name"),
        ("{\"a\":\"tab\there\"}", "malformed JSON at byte 9: control character in string"),
        ("", "no error: an empty body is an empty page"),
        (" ", "malformed JSON at byte 1: unexpected end of input"),
        (String(repeating: "[", count: 600), "malformed JSON at byte 512: nested deeper than 512 levels"),
        (#"{"x":"# + String(repeating: "[", count: 600), "malformed JSON at byte 516: nested deeper than 512 levels"),
    ]

    @Test(arguments: AlarmPageDecoderTests.malformed.indices)
    func malformedPagesAreAWSErrorsThatSayWhatIsWrong(_ i: Int) {
        let (body, reason) = Self.malformed[i]
        if body.isEmpty { return }
        let expected = AWSError.malformedResponse(operation: "monitoring.DescribeAlarms", status: 200, requestID: "rid", reason: reason)
        switch Self.direct(body) {
        case .success(let page): Issue.record("\(body) decoded to \(page)")
        case .failure(let error): #expect(String(describing: error) == String(describing: expected))
        }
        #expect(Self.same(Self.direct(body), Self.viaTree(body)), "the tree decoder complains differently about \(body)")
    }

    /// Values many alarms repeat are held once per page, not once per alarm.
    @Test func repeatedValuesShareOneString() throws {
        let alarm = #"{"AlarmName":"NAME","StateValue":"OK","Namespace":"AWS/ApplicationELB","MetricName":"TargetResponseTime","ComparisonOperator":"GreaterThanThreshold","Dimensions":[{"Name":"LoadBalancer","Value":"app/prod-alb-1/50dc6c495c0c9188"}]}"#
        let body = #"{"MetricAlarms":["# + ["one-alarm-with-a-long-name", "two-alarm-with-a-long-name"].map { alarm.replacingOccurrences(of: "NAME", with: $0) }.joined(separator: ",") + "]}"
        let alarms = try AlarmFetcher.decodePage(Array(body.utf8), region: "r").alarms
        try #require(alarms.count == 2)
        func storage(_ s: String?) -> UnsafeRawPointer? {
            guard var s else { return nil }
            return s.withUTF8 { UnsafeRawPointer($0.baseAddress) }
        }
        #expect(storage(alarms[0].namespace) == storage(alarms[1].namespace))
        #expect(storage(alarms[0].metric) == storage(alarms[1].metric))
        #expect(storage(alarms[0].comparison) == storage(alarms[1].comparison))
        #expect(storage(alarms[0].dimensions.first?.value) == storage(alarms[1].dimensions.first?.value))
        #expect(storage(alarms[0].name) != storage(alarms[1].name))
        #expect(alarms[1].namespace == "AWS/ApplicationELB" && alarms[1].comparison == "GreaterThanThreshold")
    }

    /// A CloudWatch-sized page, and a thousand damaged copies of a small one: the direct decoder and
    /// the tree decoder agree on every one (the same alarms, or the same complaint at the same byte).
    @Test func agreesWithTheTreeDecoderOnDamagedPages() {
        let base = Array(#"{"MetricAlarms":[{"AlarmName":"a-\u00e9","AlarmArn":"arn:a","StateValue":"ALARM","StateReason":"r \"q\"","StateUpdatedTimestamp":1.5e9,"Namespace":"AWS/EC2","MetricName":"CPU","Dimensions":[{"Name":"InstanceId","Value":"i-1"}],"Statistic":"Average","Period":60,"Threshold":-0.5,"ComparisonOperator":"LessThanThreshold","EvaluationPeriods":3,"DatapointsToAlarm":2,"OKActions":[],"ActionsEnabled":true,"Unit":null}],"CompositeAlarms":[{"AlarmName":"c","StateValue":"OK","AlarmRule":"ALARM(a)"}],"NextToken":"n"}"#.utf8)
        #expect(Self.same(Self.direct(String(decoding: base, as: UTF8.self)), Self.viaTree(String(decoding: base, as: UTF8.self))))
        var rng = SplitMix64(seed: 7)
        let alphabet = Array(#"{}[]",:\ u0e9-."#.utf8) + [0x0A, 0x01, 0xC3]
        var disagreements: [String] = []
        for _ in 0..<1_000 {
            var bytes = base
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes.remove(at: at)
                case 1: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                default: bytes[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            let direct: Result<AlarmPage, AWSError>
            do { direct = .success(try AlarmFetcher.decodePage(bytes, region: Self.region, requestID: "rid")) } catch { direct = .failure(error) }
            // The tree decoder is given the same bytes (not the text, which would repair bad UTF-8).
            let tree: Result<AlarmPage, AWSError>
            do {
                let value = try JSON.decode(bytes)
                do { tree = .success(try AlarmPage(value, region: Self.region)) } catch {
                    tree = .failure(.malformedResponse(operation: "monitoring.DescribeAlarms", status: 200, requestID: "rid", reason: error.description))
                }
            } catch {
                tree = .failure(.malformedResponse(operation: "monitoring.DescribeAlarms", status: 200, requestID: "rid", reason: error.description))
            }
            if !Self.same(direct, tree) { disagreements.append(text) }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(3))")
    }

    @Test func aLargePageReadsAsTheTreeReadsIt() throws {
        var items: [String] = []
        for i in 0..<500 {
            items.append(#"{"AlarmName":"prod-service-\#(i)-latency","AlarmArn":"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:prod-service-\#(i)","StateValue":"\#(["OK", "ALARM", "INSUFFICIENT_DATA"][i % 3])","StateReason":"Threshold Crossed: 1 out of the last 1 datapoints [\#(i).5 (21/11/26 02:00:00)] was greater than the threshold (90.0).","StateUpdatedTimestamp":\#(1_795_000_000 + i),"Namespace":"AWS/ApplicationELB","MetricName":"TargetResponseTime","Dimensions":[{"Name":"LoadBalancer","Value":"app/prod-alb-\#(i % 7)/50dc6c495c0c9188"}],"Statistic":"Average","Period":60,"Threshold":90.0,"ComparisonOperator":"GreaterThanThreshold","EvaluationPeriods":3,"DatapointsToAlarm":3}"#)
        }
        let body = #"{"MetricAlarms":["# + items.joined(separator: ",") + #"],"CompositeAlarms":[],"NextToken":"next"}"#
        let page = try AlarmFetcher.decodePage(Array(body.utf8), region: Self.region)
        #expect(page.alarms.count == 500)
        #expect(Self.same(.success(page), Self.viaTree(body)))
    }
}
