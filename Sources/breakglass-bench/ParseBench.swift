import ArgumentParser
import BreakglassAWS
import BreakglassCore
import Foundation

/// Decoding a DescribeAlarms answer into `[Alarm]` the way `breakglass alarms` does: each page's
/// bytes straight into alarms (`AlarmFetcher.decodePage`, as `AlarmFetcher.listRegion` does through
/// `AWSClient.jsonBody`), beside the generic path every other answer takes (a value tree from
/// `JSON.decode`, then `AlarmPage`), timed in its parts. No network.
struct ParseBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse", abstract: "Time decoding a DescribeAlarms answer of 10,000 alarms into alarms, as `breakglass alarms` does.")

    @Option(help: "Alarms in the answer.") var alarms = 10_000
    @Option(help: "Samples after one discarded warm-up; medians are reported.") var samples = 11
    @Flag(inversion: .prefixedNo, help: "Also time python's json.loads and botocore's parser on the same body (needs python3 with botocore).")
    var botocore = true
    @Option(help: "table or json.") var output = "table"

    func run() throws {
        let count = max(1, alarms)
        let samples = max(1, samples)
        let body = DescribeAlarmsFixture.body(0..<count, nextToken: nil)
        let pages = stride(from: 0, to: count, by: DescribeAlarmsFixture.pageSize).map { start in
            let end = min(count, start + DescribeAlarmsFixture.pageSize)
            return DescribeAlarmsFixture.body(start..<end, nextToken: end < count ? "token-\(end)" : nil)
        }
        // Check once that the fixture decodes to what was made, so a decoder that skips work is caught.
        let check = try Self.decode(body)
        guard check.count == count, check.filter({ $0.state == .alarm }).count == DescribeAlarmsFixture.alarming(count),
            check.filter({ $0.type == .composite }).count == DescribeAlarmsFixture.composites(count)
        else {
            FileHandle.standardError.write(Data("breakglass-bench: the \(count)-alarm answer decoded to \(check.count) alarms\n".utf8))
            throw ExitCode(1)
        }
        guard try AlarmPage(try JSON.decode(body), region: "us-east-1").alarms == check else {
            FileHandle.standardError.write(Data("breakglass-bench: AlarmFetcher.decodePage and AlarmPage over JSON.decode disagree on the answer\n".utf8))
            throw ExitCode(1)
        }

        var whole: [Double] = [], tree: [Double] = [], toAlarms: [Double] = [], free: [Double] = [], paged: [Double] = [], scan: [Double] = []
        var foundation: [Double] = [], direct: [Double] = []
        var sink = 0
        for _ in 0..<(samples + 1) {  // the first round warms caches and is dropped
            whole.append(try Self.ms { sink &+= try Self.decode(body).count })
            var value = AWSValue.null
            tree.append(try Self.ms { value = try JSON.decode(body) })
            toAlarms.append(try Self.ms { sink &+= try AlarmPage(value, region: "us-east-1").alarms.count })
            free.append(Self.ms { value = .null })
            paged.append(try Self.ms {
                var all: [Alarm] = []
                for page in pages { all.append(contentsOf: try Self.decode(page)) }
                sink &+= all.sorted(by: Alarm.triageOrder).count
            })
            direct.append(try Self.ms { sink &+= try AlarmPage(try JSON.decode(body), region: "us-east-1").alarms.count })
            scan.append(Self.ms { sink &+= Self.countQuotes(body) })
            foundation.append(try Self.ms { sink &+= (try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])?.count ?? 0 })
        }
        if sink == 0 { print("") }
        let result = Result(
            alarms: count, bytes: body.count, pages: pages.count, samples: samples,
            whole: Stats(Array(whole.dropFirst())), tree: Stats(Array(tree.dropFirst())), toAlarms: Stats(Array(toAlarms.dropFirst())),
            free: Stats(Array(free.dropFirst())), direct: Stats(Array(direct.dropFirst())),
            paged: Stats(Array(paged.dropFirst())), scan: Stats(Array(scan.dropFirst())), foundation: Stats(Array(foundation.dropFirst())),
            python: botocore ? Self.python(body, samples: samples) : nil)
        print(output == "json" ? result.json() : result.table())
    }

    /// What `AlarmFetcher.listRegion` does with one answer's bytes.
    static func decode(_ body: [UInt8]) throws -> [Alarm] {
        try AlarmFetcher.decodePage(body, region: "us-east-1").alarms
    }

    static func ms(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    }

    /// One pass over every byte doing the least a parser must (find the quotes): the floor of any
    /// decoder that reads the whole answer.
    static func countQuotes(_ body: [UInt8]) -> Int {
        body.withUnsafeBufferPointer { bytes in
            var n = 0
            for b in bytes where b == 0x22 { n &+= 1 }
            return n
        }
    }

    /// python3's `json.loads` and botocore's parser (the awsJson parser with DescribeAlarms' output
    /// shape, what boto3 and the AWS CLI run on an answer: timestamps into datetimes, and so on) on
    /// the same body, in one python process; nil when python3 or botocore is missing.
    static func python(_ body: [UInt8], samples: Int) -> PythonResult? {
        guard let python = BenchProcess.find("python3"), let folder = try? BenchTemporaryFolder("parse") else { return nil }
        defer { folder.remove() }
        let file = folder.path + "/body.json"
        guard FileManager.default.createFile(atPath: file, contents: Data(body)) else { return nil }
        let script = """
            import json, sys, time
            import botocore, botocore.session
            from botocore import parsers
            body = open(sys.argv[1], 'rb').read()
            samples = int(sys.argv[2])
            shape = botocore.session.get_session().get_service_model('cloudwatch').operation_model('DescribeAlarms').output_shape
            parser = parsers.create_parser('json')
            loads, parses, n = [], [], 0
            for _ in range(samples + 1):
                t = time.perf_counter(); json.loads(body); loads.append(time.perf_counter() - t)
                t = time.perf_counter()
                r = parser.parse({'body': body, 'headers': {}, 'status_code': 200}, shape)
                parses.append(time.perf_counter() - t)
                n = len(r.get('MetricAlarms', [])) + len(r.get('CompositeAlarms', []))
            med = lambda v: sorted(v[1:])[len(v[1:]) // 2] * 1000
            print(json.dumps({'json_loads_ms': med(loads), 'botocore_ms': med(parses), 'alarms': n, 'botocore_version': botocore.__version__}))
            """
        let out = folder.path + "/python.out"
        guard let outcome = try? BenchProcess.run(
            [python, "-c", script, file, String(samples)], environment: ProcessInfo.processInfo.environment, stdout: out, stderr: folder.path + "/python.err"),
            outcome.status == 0, let text = try? String(contentsOfFile: out, encoding: .utf8),
            let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let loads = object["json_loads_ms"] as? Double, let parse = object["botocore_ms"] as? Double, let n = object["alarms"] as? Int
        else { return nil }
        return PythonResult(jsonLoads: loads, botocore: parse, alarms: n, version: object["botocore_version"] as? String ?? "?")
    }

    struct PythonResult {
        var jsonLoads: Double
        var botocore: Double
        var alarms: Int
        var version: String
    }

    struct Result {
        var alarms: Int
        var bytes: Int
        var pages: Int
        var samples: Int
        /// One answer of all the alarms: bytes to `[Alarm]`.
        var whole: Stats
        /// The same in two halves: bytes to the value tree, and the tree to alarms.
        var tree: Stats
        var toAlarms: Stats
        /// Letting the value tree go (the decode above includes it: the tree is a temporary).
        var free: Stats
        /// The generic path: a value tree (`JSON.decode`), then alarms (`AlarmPage`), the tree let go.
        var direct: Stats
        /// The same alarms as `breakglass alarms` gets them: 100-alarm pages, each decoded, then all
        /// sorted into triage order.
        var paged: Stats
        var scan: Stats
        var foundation: Stats
        var python: PythonResult?

        var microsPerAlarm: Double { whole.median * 1000 / Double(alarms) }

        func json() -> String {
            var object: [String: Any] = [
                "benchmark": "parse", "build": benchBuild, "alarms": alarms, "bytes": bytes, "pages": pages, "samples": samples,
                "decode_ms": whole.json, "json_tree_ms": tree.json, "tree_to_alarms_ms": toAlarms.json, "free_tree_ms": free.json, "tree_path_ms": direct.json, "pages_sorted_ms": paged.json,
                "us_per_alarm": rounded(microsPerAlarm, 3), "mb_per_s": rounded(Double(bytes) / 1e3 / whole.median, 1),
                "scan_bytes_ms": scan.json, "foundation_jsonserialization_ms": foundation.json,
                "xml": "not measured: AlarmFetcher reads DescribeAlarms through awsJson only",
            ]
            if let python {
                object["python_json_loads_ms"] = rounded(python.jsonLoads, 3)
                object["botocore_ms"] = rounded(python.botocore, 3)
                object["botocore_alarms"] = python.alarms
                object["botocore_version"] = python.version
            }
            return benchJSON(object)
        }

        func table() -> String {
            let mb = String(format: "%.1f MB", Double(bytes) / 1e6)
            var rows: [[String]] = [
                ["decode one answer of \(alarms) alarms (\(mb)) into alarms (AlarmFetcher.decodePage)", whole.text(2) + " ms", String(format: "%.2f µs per alarm", microsPerAlarm)],
                ["the generic path: a JSON value tree, then alarms", direct.text(2) + " ms", String(format: "%.2f µs per alarm", direct.median * 1000 / Double(alarms))],
                ["  bytes to the JSON value tree", tree.text(2) + " ms", ""],
                ["  value tree to alarms", toAlarms.text(2) + " ms", ""],
                ["  freeing the value tree", free.text(2) + " ms", ""],
                ["the same as \(pages) pages of 100, then sorted into triage order", paged.text(2) + " ms", ""],
                ["floor: one pass over every byte", scan.text(2) + " ms", ""],
                ["Foundation's JSONSerialization, tree only", foundation.text(2) + " ms", ""],
            ]
            if let python {
                rows.append(["python json.loads, tree only", String(format: "%.2f ms", python.jsonLoads), ""])
                rows.append([
                    "botocore \(python.version)'s parser (what boto3 and the AWS CLI run)", String(format: "%.2f ms", python.botocore),
                    String(format: "%.1f× breakglass", python.botocore / whole.median),
                ])
            }
            return "parse (\(benchBuild) build), median (min–max) of \(samples) samples\n" + benchTable(["what", "median", ""], rows)
        }
    }
}

/// DescribeAlarms answers as CloudWatch sends them over awsJson 1.0: metric alarms with their
/// actions, description, dimensions, state reason and the reason's JSON data (escaped quotes),
/// timestamps as epoch seconds; every 50th a composite alarm with its rule; every 10th in ALARM,
/// every 20th of the rest INSUFFICIENT_DATA; every 40th name in CJK.
enum DescribeAlarmsFixture {
    static let pageSize = 100
    static let services = ["payments", "checkout", "search", "inventory", "auth", "ledger", "notifications", "api-gateway"]
    static let metrics = [
        ("AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer"), ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer"),
        ("AWS/EC2", "CPUUtilization", "AutoScalingGroupName"), ("AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName"),
        ("AWS/Lambda", "Throttles", "FunctionName"), ("AWS/RDS", "ReplicaLag", "DBInstanceIdentifier"),
    ]

    static func state(_ i: Int) -> AlarmState { i % 10 == 0 ? .alarm : (i % 20 == 5 ? .insufficientData : .ok) }
    static func isComposite(_ i: Int) -> Bool { i % 50 == 49 }
    static func alarming(_ count: Int) -> Int { (0..<count).filter { state($0) == .alarm }.count }
    static func composites(_ count: Int) -> Int { (0..<count).filter(isComposite).count }

    static func body(_ range: Range<Int>, nextToken: String?) -> [UInt8] {
        var metric: [String] = [], composite: [String] = []
        for i in range { if isComposite(i) { composite.append(alarm(i)) } else { metric.append(alarm(i)) } }
        var text = "{\"CompositeAlarms\":[" + composite.joined(separator: ",") + "],\"MetricAlarms\":[" + metric.joined(separator: ",") + "]"
        if let nextToken { text += ",\"NextToken\":\"\(nextToken)\"" }
        return Array((text + "}").utf8)
    }

    static func alarm(_ i: Int) -> String {
        let service = services[i % services.count]
        let (namespace, metricName, dimension) = metrics[i % metrics.count]
        let name = i % 40 == 17 ? "支付服务-延迟告警-\(service)-\(i)" : "prod-\(service)-\(metricName.lowercased())-\(i)"
        let st = state(i)
        let t0 = 1_795_000_000.0 - Double(i * 37)
        let updated = String(format: "%.3f", t0)
        let configured = String(format: "%.3f", t0 - 86_400 * Double(1 + i % 90))
        let topic = "arn:aws:sns:us-east-1:111122223333:oncall-\(service)"
        let value = 90.0 + Double(i % 9) + 0.25
        let reason: String
        let data: String
        switch st {
        case .alarm:
            reason = "Threshold Crossed: 3 out of the last 3 datapoints [\(value) (21/11/26 10:0\(i % 10):00), \(value - 1) (21/11/26 09:5\(i % 10):00)] were greater than the threshold (90.0) (minimum 3 datapoints for OK -> ALARM transition)."
            data = #"{\"version\":\"1.0\",\"queryDate\":\"2026-11-21T10:0\#(i % 10):32.109+0000\",\"startDate\":\"2026-11-21T09:57:00.000+0000\",\"statistic\":\"Average\",\"period\":60,\"recentDatapoints\":[\#(value),\#(value - 1),\#(value - 2)],\"threshold\":90.0,\"evaluatedDatapoints\":[{\"timestamp\":\"2026-11-21T09:59:00.000+0000\",\"sampleCount\":12.0,\"value\":\#(value)}]}"#
        case .insufficientData:
            reason = "Insufficient Data: 3 datapoints were unknown."
            data = #"{\"version\":\"1.0\",\"queryDate\":\"2026-11-21T10:01:32.109+0000\",\"statistic\":\"Average\",\"period\":60,\"recentDatapoints\":[],\"threshold\":90.0,\"evaluatedDatapoints\":[]}"#
        case .ok:
            reason = "Threshold Crossed: 3 out of the last 3 datapoints [\(value - 60) (21/11/26 10:0\(i % 10):00)] were not greater than the threshold (90.0) (minimum 1 datapoint for ALARM -> OK transition)."
            data = #"{\"version\":\"1.0\",\"queryDate\":\"2026-11-21T10:01:32.109+0000\",\"startDate\":\"2026-11-21T09:58:00.000+0000\",\"statistic\":\"Average\",\"period\":60,\"recentDatapoints\":[\#(value - 60)],\"threshold\":90.0}"#
        }
        var fields = [
            "\"AlarmName\":\"\(name)\"", "\"AlarmArn\":\"arn:aws:cloudwatch:us-east-1:111122223333:alarm:\(name)\"",
            "\"AlarmDescription\":\"Pages the \(service) on-call. Runbook: https://runbooks.example.com/\(service)/\(metricName)\"",
            "\"AlarmConfigurationUpdatedTimestamp\":\(configured)", "\"ActionsEnabled\":true",
            "\"OKActions\":[\"\(topic)\"]", "\"AlarmActions\":[\"\(topic)\",\"arn:aws:sns:us-east-1:111122223333:oncall-all\"]",
            "\"InsufficientDataActions\":[]", "\"StateValue\":\"\(st.rawValue)\"", "\"StateReason\":\"\(reason)\"",
            "\"StateReasonData\":\"\(data)\"", "\"StateUpdatedTimestamp\":\(updated)", "\"StateTransitionedTimestamp\":\(updated)",
        ]
        if isComposite(i) {
            fields.append(#""AlarmRule":"ALARM(\"prod-\#(service)-targetresponsetime-\#(i - 1)\") AND NOT OK(\"prod-\#(service)-cputilization-\#(i - 2)\")""#)
            fields.append("\"ActionsSuppressedBy\":\"None\"")
        } else {
            fields += [
                "\"MetricName\":\"\(metricName)\"", "\"Namespace\":\"\(namespace)\"", "\"Statistic\":\"Average\"",
                "\"Dimensions\":[{\"Name\":\"\(dimension)\",\"Value\":\"prod-\(service)-\(String(i, radix: 16))\"}"
                    + (i % 3 == 0 ? ",{\"Name\":\"AvailabilityZone\",\"Value\":\"us-east-1\(["a", "b", "c"][(i / 3) % 3])\"}" : "") + "]",
                "\"Period\":60", "\"EvaluationPeriods\":3", "\"DatapointsToAlarm\":3", "\"Threshold\":90.0",
                "\"ComparisonOperator\":\"GreaterThanThreshold\"", "\"TreatMissingData\":\"missing\"",
            ]
        }
        return "{" + fields.joined(separator: ",") + "}"
    }
}
