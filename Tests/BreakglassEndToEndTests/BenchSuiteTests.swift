import BreakglassTestSupport
import Foundation
import Testing

/// `breakglass-bench parse`, `alarms` and `all` run and report well-formed, sane numbers on small
/// sizes. Their size against the targets is never asserted: speed is measured by the bench
/// (docs/PERFORMANCE.md), not by a timed test on a shared machine.
@Suite(.serialized)
struct BenchSuiteTests {
    static func bench(_ args: [String], timeout: Double = 600) throws -> Any {
        let result = try Subprocess.run(BreakglassBinary.benchPath, args, timeout: timeout)
        #expect(result.status == 0, "breakglass-bench \(args.joined(separator: " ")): \(result.stderr)")
        let line = try #require(result.stdout.split(separator: "\n").last.map(String.init), "no output; stderr: \(result.stderr)")
        return try JSONSerialization.jsonObject(with: Data(line.utf8))
    }

    @discardableResult
    static func stats(_ object: Any?, _ what: String, runs: Int? = nil) -> Double {
        let s = ConsoleBenchTests.stats(object, what)
        #expect((s?.median ?? 0) > 0, "\(what) took some time")
        if let runs { #expect(s?.runs == runs, "\(what): \(runs) samples") }
        return s?.median ?? 0
    }

    @Test func parseDecodesEveryAlarmAndReportsItsParts() throws {
        let json = try #require(try Self.bench(["parse", "--alarms", "300", "--samples", "3", "--output", "json"]) as? [String: Any])
        #expect(json["benchmark"] as? String == "parse")
        #expect(json["alarms"] as? Int == 300 && json["pages"] as? Int == 3)
        // A CloudWatch alarm with its actions, reason and reason data is over a kilobyte of JSON.
        #expect((json["bytes"] as? Int ?? 0) > 300 * 1000, "bytes: \(json["bytes"] ?? "none")")
        let decode = Self.stats(json["decode_ms"], "decode_ms", runs: 3)
        Self.stats(json["json_tree_ms"], "json_tree_ms", runs: 3)
        Self.stats(json["tree_to_alarms_ms"], "tree_to_alarms_ms", runs: 3)
        Self.stats(json["free_tree_ms"], "free_tree_ms", runs: 3)
        Self.stats(json["pages_sorted_ms"], "pages_sorted_ms", runs: 3)
        let scan = Self.stats(json["scan_bytes_ms"], "scan_bytes_ms", runs: 3)
        Self.stats(json["foundation_jsonserialization_ms"], "foundation_jsonserialization_ms", runs: 3)
        #expect(scan < decode, "one pass over the bytes (\(scan) ms) is cheaper than decoding them (\(decode) ms)")
        let perAlarm = json["us_per_alarm"] as? Double ?? 0
        #expect(abs(perAlarm - decode * 1000 / 300) <= 0.01 * perAlarm + 0.002, "µs per alarm \(perAlarm) is the decode's median over 300")
        // botocore, when python3 has it, parsed the same answer into the same number of alarms.
        if json["botocore_ms"] != nil {
            #expect(json["botocore_alarms"] as? Int == 300)
            #expect((json["botocore_ms"] as? Double ?? 0) > 0 && (json["python_json_loads_ms"] as? Double ?? 0) > 0)
        }
    }

    @Test func alarmsTimesEveryClientOnTheSameServer() throws {
        let json = try #require(
            try Self.bench(["alarms", "--alarms", "20", "--runs", "3", "--output", "json", "--breakglass", BreakglassBinary.path]) as? [String: Any])
        #expect(json["benchmark"] as? String == "alarms")
        #expect(json["alarms"] as? Int == 20 && json["runs"] as? Int == 3)
        #expect(json["signature_checks"] as? Bool == true)
        let pages = json["pages"] as? Int ?? 0
        #expect(pages >= 1)
        let clients = try #require(json["clients"] as? [[String: Any]])
        let byName = Dictionary(clients.map { ($0["name"] as? String ?? "?", $0) }, uniquingKeysWith: { a, _ in a })
        let breakglass = try #require(byName["breakglass"])
        let curl = try #require(byName["curl"])
        // Each client was checked to list all 20 alarms; breakglass and curl sent the same requests.
        #expect(breakglass["requests"] as? Int == pages && curl["requests"] as? Int == pages)
        var medians: [String: Double] = [:]
        for (name, c) in byName {
            medians[name] = Self.stats(c["wall_ms"], "\(name) wall_ms", runs: 3)
            Self.stats(c["startup_ms"], "\(name) startup_ms", runs: 3)
            #expect((c["requests"] as? Int ?? 0) >= 1, "\(name) asked moto")
            #expect(!(c["command"] as? String ?? "").isEmpty)
            #expect((c["paired_ratio_to_curl"] as? Double ?? 0) > 0, "\(name) has a paired ratio")
            #expect((c["rounds_ms"] as? [Double])?.count == 3, "\(name) has each round's time")
        }
        // The verdict is the paired ratio (the median of each round's ratio); the ratio of the
        // medians is reported beside it.
        let ratio = try #require(json["ratio"] as? Double)
        #expect(ratio == breakglass["paired_ratio_to_curl"] as? Double, "ratio \(ratio) is breakglass's paired ratio")
        let ofMedians = try #require(json["ratio_of_medians"] as? Double)
        let expected = (medians["breakglass"] ?? 0) / (medians["curl"] ?? 1)
        #expect(abs(ofMedians - expected) <= 0.001 + 0.001 * expected, "ratio_of_medians \(ofMedians) is breakglass's median over curl's (\(expected))")
        #expect(json["target_ratio"] as? Double == 1.2)
        #expect(json["met"] as? Bool == (ratio <= 1.2))
        // The AWS CLI and boto3 are either timed or said to be missing.
        let skipped = (json["skipped"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        for name in ["aws-cli", "boto3"] {
            #expect((byName[name] != nil) != skipped.contains(name), "\(name) is timed or skipped, once")
        }
    }

    @Test func alarmsWithoutABreakglassBinaryIsAUsageError() throws {
        let result = try Subprocess.run(BreakglassBinary.benchPath, ["alarms", "--breakglass", "/nonexistent/breakglass"], timeout: 60)
        #expect(result.status == 2)
        #expect(result.stderr.contains("no breakglass executable at /nonexistent/breakglass"), "\(result.stderr)")
    }

    @Test func allRunsEveryBenchmarkIntoOneTable() throws {
        let rows = try #require(
            try Self.bench(["all", "--quick", "--skip", "console", "--output", "json", "--breakglass", BreakglassBinary.path], timeout: 900)
                as? [[String: Any]])
        let benchmarks = Set(rows.compactMap { $0["benchmark"] as? String })
        #expect(benchmarks == ["sign", "parse", "audit", "runbook", "incidents", "alarms"])
        for row in rows {
            let what = "\(row["benchmark"] ?? "?"): \(row["measure"] ?? "?")"
            #expect(row["error"] == nil, "\(what) ran")
            #expect((row["median"] as? Double ?? 0) > 0, "\(what) has a median")
            if let target = row["target"] as? Double {
                #expect(row["met"] as? Bool == ((row["median"] as? Double ?? .infinity) <= target), "\(what): met is median ≤ target")
            } else {
                #expect(row["met"] is NSNull, "\(what) has no target, so neither met nor missed")
            }
        }
        let targets = rows.filter { $0["target"] is Double }.compactMap { $0["benchmark"] as? String }
        #expect(Set(targets) == ["sign", "audit", "alarms"], "the rows with a target: \(targets)")
    }

    @Test func allRefusesAnUnknownBenchmark() throws {
        let result = try Subprocess.run(BreakglassBinary.benchPath, ["all", "--skip", "nonsense"], timeout: 60)
        #expect(result.status != 0)
        #expect(result.stderr.contains("no benchmark named nonsense"), "\(result.stderr)")
    }
}
