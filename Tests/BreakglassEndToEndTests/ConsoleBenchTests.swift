import BreakglassTestSupport
import Foundation
import Testing

/// `breakglass-bench console` runs and reports every measurement, well formed. Only the shape and
/// sanity of the numbers are checked, never their size against the targets: speed is measured by
/// the bench (docs/PERFORMANCE.md), not asserted by a timed test on a shared machine.
@Suite(.serialized)
struct ConsoleBenchTests {
    static func stats(_ object: Any?, _ what: String) -> (median: Double, min: Double, max: Double, runs: Int)? {
        guard let s = object as? [String: Any], let median = s["median"] as? Double, let min = s["min"] as? Double,
            let max = s["max"] as? Double, let runs = s["runs"] as? Int
        else {
            Issue.record("\(what) is not {median, min, max, runs}: \(String(describing: object))")
            return nil
        }
        #expect(min <= median && median <= max, "\(what): min ≤ median ≤ max")
        #expect(runs > 0, "\(what) has samples")
        return (median, min, max, runs)
    }

    /// Resident memory of a live process: more than 1 MB, its own and its files' parts adding up to it.
    static func memory(_ object: Any?, _ what: String) {
        guard let m = object as? [String: Int], let rss = m["rss_kb"], let hwm = m["hwm_kb"], let anon = m["anon_kb"], let file = m["file_kb"]
        else {
            Issue.record("\(what) is not {rss_kb, hwm_kb, anon_kb, file_kb}: \(String(describing: object))")
            return
        }
        #expect(rss > 1024 && hwm >= rss, "\(what): rss \(rss) kB, peak \(hwm) kB")
        #expect(anon > 0 && file > 0 && anon + file <= rss + 64, "\(what): own \(anon) kB + files \(file) kB ≈ rss \(rss) kB")
    }

    @Test func quickRunReportsEveryMeasurementAsJSON() throws {
        let result = try Subprocess.run(
            BreakglassBinary.benchPath, ["console", "--quick", "--output", "json", "--breakglass", BreakglassBinary.path], timeout: 600)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let line = try #require(result.stdout.split(separator: "\n").last.map(String.init))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(line)")
        #expect(json["benchmark"] as? String == "console")
        #expect(["debug", "release"].contains(json["build"] as? String ?? ""))
        #expect(json["alarms"] as? Int == 10_000)

        let compose = try #require(json["compose_us"] as? [[String: Any]])
        #expect(compose.compactMap { $0["size"] as? String } == ["80x24", "200x60"])
        for size in compose {
            let frame = Self.stats(size["key_frame"], "compose key_frame")
            #expect((frame?.median ?? 0) > 0)
            _ = Self.stats(size["render_only"], "compose render_only")
        }
        #expect((Self.stats(json["load_ms"], "load_ms")?.median ?? 0) > 0)
        let launch = Self.stats(json["launch_ms"], "launch_ms")
        #expect(launch?.runs == 2)
        #expect((launch?.median ?? 0) > 0)
        _ = Self.stats(json["startup_version_ms"], "startup_version_ms")
        Self.memory(json["launch_memory"], "launch_memory")
        // `breakglass console` itself, its alarms from the bench's fake CloudWatch, then one refresh.
        let real = try #require(json["real_console_memory"] as? [String: Any])
        Self.memory(real["loaded"], "breakglass console with the alarms")
        Self.memory(real["refreshed"], "breakglass console after a refresh")
        #expect(real["refreshes"] as? Int == 1)

        let terminal = try #require(json["terminal"] as? [[String: Any]])
        #expect(terminal.count == 1)
        let t = try #require(terminal.first)
        #expect(t["size"] as? String == "80x24")
        // Every change redraws something, and less than a whole first frame.
        let first = t["bytes_first_frame"] as? Int ?? 0
        #expect(first > 80 * 24 / 2, "the first frame fills the screen: \(first) bytes")
        for key in ["bytes_alarm_changed_in_place", "bytes_alarm_entered_alarm", "bytes_refresh_started", "bytes_key_j"] {
            let bytes = Self.stats(t[key], key)
            #expect((bytes?.min ?? 0) > 0, "\(key) wrote something")
            #expect((bytes?.max ?? .infinity) < Double(first), "\(key) wrote less than the first frame")
        }
        Self.memory(t["memory"], "memory with the alarms")
        #expect((t["bytes_per_second_idle"] as? Double ?? 0) > 0, "the running clock redraws something every second")

        let targets = try #require(json["targets"] as? [String: Any])
        #expect(targets["compose_us"] as? Double == 5000 && targets["launch_ms"] as? Double == 50)
        #expect(targets["bytes"] as? Double == 300 && targets["rss_kb"] as? Int == 40 * 1024)
        let met = try #require(json["met"] as? [String: Bool])
        #expect(Set(met.keys) == ["compose", "launch", "bytes", "rss"])
    }

    @Test func aMissingBreakglassBinaryIsAUsageError() throws {
        let result = try Subprocess.run(BreakglassBinary.benchPath, ["console", "--quick", "--breakglass", "/nonexistent/breakglass"], timeout: 60)
        #expect(result.status == 2)
        #expect(result.stderr.contains("no breakglass executable at /nonexistent/breakglass"), "\(result.stderr)")
    }
}
