import ArgumentParser
import BreakglassAWS
import BreakglassCore
import Foundation

/// How long a durable audit intent entry takes before a mutating call may be sent: the time of
/// `AuditJournal.recordIntent` (BEGIN IMMEDIATE, link to the head, insert, record the head, COMMIT
/// with fsync of the WAL). Also the writer the crash and concurrency tests run and kill.
struct AuditBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Time one durable audit intent entry (target: ≤ 5 ms added before a mutating call).")

    @Option(help: "The state database to write (created; use a scratch one).") var state: String
    @Option(help: "Intent entries to write.") var count = 500
    @Option(help: "A label written into each entry's detail (tests use it to tell writers apart).") var writer = "bench"
    @Option(help: "table or json.") var output = "table"

    func run() throws {
        let store = try openBenchStore(state)
        let journal = AuditJournal(log: AuditLog(store: store), actor: AuditActor.current(), context: AuditContext(drill: "bench"))
        let parameters: AWSValue = ["AutoScalingGroupName": "prod-web", "DesiredCapacity": 8, "HonorCooldown": false]
        var times: [Double] = []
        times.reserveCapacity(count)
        for i in 0..<count {
            let intent = MutationIntent(
                service: "autoscaling", operation: "SetDesiredCapacity", region: "us-east-1",
                parameters: i == 0 ? parameters : ["Writer": .string(writer), "N": .number(String(i))], accessKeyID: "AKIABENCH")
            let start = DispatchTime.now().uptimeNanoseconds
            let ticket = try journal.recordIntent(intent)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            journal.recordOutcome(.succeeded(requestID: "bench-\(writer)-\(i)"), for: ticket)
        }
        guard !times.isEmpty else { return }
        times.sort()
        let median = times[times.count / 2]
        let p99 = times[min(times.count - 1, Int(Double(times.count) * 0.99))]
        if output == "json" {
            print("{\"benchmark\":\"audit\",\"median_ms\":\(String(format: "%.3f", median)),\"p99_ms\":\(String(format: "%.3f", p99)),\"count\":\(count),\"target_ms\":5}")
        } else {
            print("audit: intent entry durable in \(String(format: "%.3f", median)) ms median, \(String(format: "%.3f", p99)) ms p99 (\(count) entries; target ≤ 5 ms)")
        }
    }
}
