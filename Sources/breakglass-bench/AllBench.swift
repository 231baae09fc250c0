import ArgumentParser
import Foundation

/// Every benchmark, each in a process of its own (so one's memory and caches do not colour the
/// next), read back through its `--output json`, and one table of what was measured against its
/// target. What `make bench` runs.
struct AllBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all", abstract: "Run every benchmark and print one table: benchmark, target, median, met or missed.")

    static let names = ["sign", "parse", "audit", "runbook", "incidents", "console", "alarms"]

    @Option(help: "The `breakglass` executable (default: the one beside this binary).") var breakglass: String?
    @Flag(help: "Few and small runs of everything, to check the suite works (numbers are rough).") var quick = false
    @Option(help: "Leave out a benchmark (\(AllBench.names.joined(separator: ", "))); repeatable.") var skip: [String] = []
    @Option(help: "table or json (an array of objects, one per measurement).") var output = "table"

    func validate() throws {
        for name in skip where !Self.names.contains(name) {
            throw ValidationError("no benchmark named \(name); the benchmarks are \(Self.names.joined(separator: ", "))")
        }
    }

    func run() throws {
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let executable = breakglass ?? ConsoleBenchProcess.sibling("breakglass")
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            FileHandle.standardError.write(Data("breakglass-bench: no breakglass executable at \(executable); build it or pass --breakglass\n".utf8))
            throw ExitCode(2)
        }
        BenchSignals.stopChildrenOnTermination()
        let folder = try BenchTemporaryFolder("all")
        defer { folder.remove() }
        var rows: [Row] = []
        var failed = false
        for name in Self.names where !skip.contains(name) {
            FileHandle.standardError.write(Data("breakglass-bench all: \(name)…\n".utf8))
            let out = "\(folder.path)/\(name).out", err = "\(folder.path)/\(name).err"
            let outcome: BenchProcess.Outcome
            do {
                outcome = try BenchProcess.run(
                    [me, name] + arguments(name, folder: folder.path, breakglass: executable) + ["--output", "json"],
                    environment: ProcessInfo.processInfo.environment, stdout: out, stderr: err, timeout: 3600)
            } catch {
                rows.append(Row(benchmark: name, failure: "\(error)"))
                failed = true
                continue
            }
            let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            let last = text.split(separator: "\n").last.map(String.init) ?? ""
            guard outcome.status == 0, let json = try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any] else {
                let why = BenchProcess.tail(err, lines: 3)
                rows.append(Row(benchmark: name, failure: "exited \(outcome.status)" + (why.isEmpty ? "" : ": \(why)")))
                failed = true
                continue
            }
            rows += Self.rows(name, json)
            FileHandle.standardError.write(Data(String(format: "breakglass-bench all: %@ took %.0f s\n", name, outcome.millis / 1000).utf8))
        }
        if output == "json" {
            print(benchJSON(rows.map(\.json)))
        } else {
            print("breakglass-bench all (\(benchBuild) build\(quick ? ", --quick: rough numbers" : "")): medians; docs/PERFORMANCE.md explains each")
            print(benchTable(["benchmark", "measure", "median", "target", "result"], rows.map(\.cells)))
        }
        if failed { throw ExitCode(1) }
    }

    /// The options each benchmark gets: its state file in the temporary folder, the breakglass to
    /// launch, and with `--quick` small sizes.
    func arguments(_ name: String, folder: String, breakglass: String) -> [String] {
        switch name {
        case "sign": return quick ? ["--iterations", "2000", "--samples", "3"] : []
        case "parse": return quick ? ["--alarms", "1000", "--samples", "3"] : []
        case "audit": return ["--state", "\(folder)/audit.db"] + (quick ? ["--count", "50"] : [])
        case "runbook": return ["--state", "\(folder)/runbook.db"] + (quick ? ["--steps", "20", "--runs", "2"] : [])
        case "incidents": return ["--state", "\(folder)/incidents.db"] + (quick ? ["--alarms", "100", "--runs", "3"] : [])
        case "console": return ["--breakglass", breakglass] + (quick ? ["--quick"] : [])
        case "alarms": return ["--breakglass", breakglass] + (quick ? ["--alarms", "50", "--runs", "3"] : [])
        default: return []
        }
    }

    /// One measurement: its median, unit and (when DESIGN.md sets one) target, met when the median
    /// is at most the target.
    struct Row {
        var benchmark: String
        var measure: String
        var median: Double?
        var unit: String
        var target: Double?
        var failure: String?

        init(_ benchmark: String, _ measure: String, _ median: Double?, _ unit: String, target: Double? = nil) {
            self.benchmark = benchmark
            self.measure = measure
            self.median = median
            self.unit = unit
            self.target = target
        }

        init(benchmark: String, failure: String) {
            self.benchmark = benchmark
            measure = "did not run"
            unit = ""
            self.failure = failure
        }

        var met: Bool? {
            if failure != nil { return false }
            guard let target, let median else { return nil }
            return median <= target
        }

        func format(_ value: Double) -> String {
            switch unit {
            case "ns", "bytes", "µs": return String(format: "%.0f %@", value, unit)
            case "MB": return String(format: "%.1f MB", value)
            case "× curl", "× breakglass": return String(format: "%.2f%@", value, unit)
            case "µs/alarm": return String(format: "%.2f µs per alarm", value)
            default: return String(format: value >= 100 ? "%.0f %@" : "%.2f %@", value, unit)
            }
        }

        var cells: [String] {
            let result: String
            switch met {
            case .some(true): result = "met"
            case .some(false): result = failure.map { "FAILED: \($0)" } ?? "MISSED"
            case .none: result = "—"
            }
            return [benchmark, measure, median.map(format) ?? "—", target.map { "≤ " + format($0) } ?? "—", result]
        }

        var json: [String: Any] {
            var o: [String: Any] = [
                "benchmark": benchmark, "measure": measure, "unit": unit,
                "median": median.map { rounded($0, 4) } ?? NSNull(), "target": target ?? NSNull(), "met": met ?? NSNull(),
            ]
            if let failure { o["error"] = failure }
            return o
        }
    }

    static func number(_ v: Any?) -> Double? {
        if let d = v as? Double { return d }
        if let i = v as? Int { return Double(i) }
        if let n = v as? NSNumber { return n.doubleValue }
        return nil
    }

    static func median(_ v: Any?) -> Double? { number((v as? [String: Any])?["median"]) }

    /// The rows of one benchmark's JSON (see each benchmark's `json()`).
    static func rows(_ name: String, _ j: [String: Any]) -> [Row] {
        var rows: [Row] = []
        switch name {
        case "sign":
            rows.append(Row(name, "one SigV4 signature, cached signing key", number(j["median_ns"]), "ns", target: number(j["target_ns"])))
        case "parse":
            let n = j["alarms"] as? Int ?? 0
            rows.append(Row(name, "decode a \(n)-alarm DescribeAlarms answer into alarms", median(j["decode_ms"]), "ms"))
            rows.append(Row(name, "  per alarm", number(j["us_per_alarm"]), "µs/alarm"))
            rows.append(Row(name, "  as \(j["pages"] as? Int ?? 0) pages of 100, sorted (breakglass alarms' way)", median(j["pages_sorted_ms"]), "ms"))
            if let b = number(j["botocore_ms"]) { rows.append(Row(name, "  botocore's parser, same answer", b, "ms")) }
        case "audit":
            rows.append(Row(name, "intent entry durable before a mutating call", number(j["median_ms"]), "ms", target: number(j["target_ms"])))
            rows.append(Row(name, "  p99", number(j["p99_ms"]), "ms"))
        case "runbook":
            rows.append(Row(name, "engine bookkeeping per step", number(j["median_ms_per_step"]), "ms"))
        case "incidents":
            let n = j["alarms"] as? Int ?? 0
            rows.append(Row(name, "poll of \(n) alarms, nothing changes", number(j["median_ms_poll_steady"]), "ms"))
            rows.append(Row(name, "poll that opens an incident", number(j["median_ms_poll_opening"]), "ms"))
            rows.append(Row(name, "acknowledge", number(j["median_ms_acknowledge"]), "ms"))
        case "console":
            let targets = j["targets"] as? [String: Any] ?? [:]
            for c in j["compose_us"] as? [[String: Any]] ?? [] {
                rows.append(Row(name, "compose a frame after a key, \(c["size"] as? String ?? "")", median(c["key_frame"]), "µs", target: number(targets["compose_us"])))
            }
            rows.append(Row(name, "launch to first frame", median(j["launch_ms"]), "ms", target: number(targets["launch_ms"])))
            rows.append(Row(name, "  process start-up (--version)", median(j["startup_version_ms"]), "ms"))
            for t in j["terminal"] as? [[String: Any]] ?? [] {
                let size = t["size"] as? String ?? ""
                rows.append(Row(name, "bytes: one alarm changes state in place, \(size)", median(t["bytes_alarm_changed_in_place"]), "bytes", target: number(targets["bytes"])))
                rows.append(Row(name, "bytes: one alarm enters ALARM, \(size)", median(t["bytes_alarm_entered_alarm"]), "bytes", target: number(targets["bytes"])))
                let peak = number((t["memory"] as? [String: Any])?["hwm_kb"]).map { $0 / 1024 }
                rows.append(Row(name, "RSS peak, console loop alone (console-child), \(size)", peak, "MB", target: number(targets["rss_kb"]).map { $0 / 1024 }))
            }
            if let real = j["real_console_memory"] as? [String: Any] {
                let rssTarget = number(targets["rss_kb"]).map { $0 / 1024 }
                let loaded = number((real["loaded"] as? [String: Any])?["rss_kb"]).map { $0 / 1024 }
                rows.append(Row(name, "RSS, breakglass console with \(j["alarms"] as? Int ?? 0) alarms", loaded, "MB", target: rssTarget))
                let peak = number((real["refreshed"] as? [String: Any])?["hwm_kb"]).map { $0 / 1024 }
                rows.append(Row(name, "  peak over \(real["refreshes"] as? Int ?? 0) refreshes", peak, "MB", target: rssTarget))
            }
        case "alarms":
            let n = j["alarms"] as? Int ?? 0
            rows.append(Row(name, "breakglass alarms / curl, \(n) alarms on moto, paired", number(j["ratio"]), "× curl", target: number(j["target_ratio"])))
            rows.append(Row(name, "  the same, as the ratio of the medians", number(j["ratio_of_medians"]), "× curl"))
            for c in j["clients"] as? [[String: Any]] ?? [] {
                let command = c["command"] as? String ?? "?"
                rows.append(Row(name, "  \(command)", median(c["wall_ms"]), "ms"))
                let client = c["name"] as? String ?? ""
                if client != "curl" && client != "breakglass" {
                    rows.append(Row(name, "    against curl", number(c["ratio_to_curl"]), "× curl"))
                    rows.append(Row(name, "    against breakglass", number(c["ratio_to_breakglass"]), "× breakglass"))
                }
                rows.append(Row(name, "    start-up alone (\(c["startup_command"] as? String ?? "?"))", median(c["startup_ms"]), "ms"))
            }
        default:
            break
        }
        return rows
    }
}
