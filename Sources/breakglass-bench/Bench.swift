import ArgumentParser
import BreakglassAWS
import BreakglassCore
import Foundation

/// Measures the targets in DESIGN.md. Each subcommand prints medians; `--output json` for machines;
/// `all` runs every one and prints one table (docs/PERFORMANCE.md).
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "breakglass-bench",
        abstract: "Measure Breakglass against its performance targets (see docs/PERFORMANCE.md).",
        version: BreakglassVersion.string,
        subcommands: [
            AllBench.self, SignBench.self, ParseBench.self, AuditBench.self, RunbookBench.self, IncidentBench.self, ConsoleBench.self,
            AlarmsBench.self, ConsoleChildBench.self,
        ])
}

/// Median wall time of one SigV4 signature of a typical form-encoded POST with a session token and a
/// cached signing key: the request is copied and signed afresh each iteration, as a real call is.
struct SignBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sign", abstract: "Time one SigV4 signature (target: ≤ 2,000 ns).")

    @Option(help: "Signatures per sample.") var iterations = 20_000
    @Option(help: "Samples; the median of their per-signature times is reported.") var samples = 15
    @Option(help: "table or json.") var output = "table"

    func run() throws {
        let signer = SigV4Signer()
        let credentials = AWSCredentials(
            accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            sessionToken: String(repeating: "FQoGZXIvYXdzEBYaDH", count: 20), source: "bench")
        let body = Array(FormEncoding.encode([
            ("Action", "DescribeAlarms"), ("Version", "2010-08-01"), ("StateValue", "ALARM"),
            ("AlarmTypes.member.1", "MetricAlarm"), ("AlarmTypes.member.2", "CompositeAlarm"), ("MaxRecords", "100"),
        ]).utf8)
        let template = HTTPRequest(
            method: "POST", host: "monitoring.us-east-1.amazonaws.com", path: "/",
            headers: [HTTPHeader("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], body: body)
        let date = Date(timeIntervalSince1970: 1_795_000_000)
        var sink = 0
        var perSignature: [Double] = []
        for _ in 0..<(samples + 1) {  // the first sample warms caches and is dropped
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<iterations {
                var r = template
                signer.sign(&r, credentials: credentials, region: "us-east-1", service: "monitoring", date: date)
                sink &+= r.headers.count
            }
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            perSignature.append(Double(elapsed) / Double(iterations))
        }
        perSignature.removeFirst()
        perSignature.sort()
        let median = perSignature[perSignature.count / 2]
        if output == "json" {
            print("{\"benchmark\":\"sign\",\"median_ns\":\(Int(median.rounded())),\"samples\":\(samples),\"iterations\":\(iterations),\"target_ns\":2000}")
        } else {
            print("sign: \(Int(median.rounded())) ns per signature (median of \(samples) samples × \(iterations); target ≤ 2000 ns)")
        }
        if sink == 0 { print("") }
    }
}

/// Opens the scratch state database a bench writes to; a bad path is a usage error (exit 2).
func openBenchStore(_ path: String) throws -> Store {
    do { return try Store.open(path: path) } catch {
        FileHandle.standardError.write(Data("breakglass-bench: \(error)\n".utf8))
        throw ExitCode(2)
    }
}
