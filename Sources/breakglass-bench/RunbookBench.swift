import ArgumentParser
import BreakglassAWS
import BreakglassCore
import Foundation

/// What the runbook engine adds to each step: the pure transition, the run's state written durably
/// to the store and the step's audit entry appended, measured over a runbook of `say` steps (no AWS
/// call, so only the engine and the disk are timed).
struct RunbookBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runbook", abstract: "Time the engine's bookkeeping per runbook step: transition, durable state write, audit entry.")

    @Option(help: "The state database to write (created; use a scratch one).") var state: String
    @Option(help: "Steps in the runbook.") var steps = 200
    @Option(help: "Runs; the median of their per-step times is reported.") var runs = 5
    @Option(help: "table or json.") var output = "table"

    func run() async throws {
        let store = try openBenchStore(state)
        let yaml = "id: bench\ntitle: Bench\nsteps:\n" + (1...max(1, steps)).map { "  - say: Step \($0).\n" }.joined()
        let runbook = try RunbookLoader.parse(yaml, file: "bench.yaml")
        let env = AWSEnvironment(variables: ["AWS_ENDPOINT_URL": "http://127.0.0.1:9"])
        let client = AWSClient(
            credentials: AWSCredentials(accessKeyID: "AKIABENCH", secretAccessKey: "bench", source: "bench"), endpoints: EndpointResolver(environment: env),
            transport: CurlTransport())
        let journal = AuditJournal(log: AuditLog(store: store), actor: AuditActor.current(), context: AuditContext(drill: "bench"))
        let interaction = RunbookInteraction(show: { _, _ in true }, confirm: { _ in .stop("bench") }, decide: { _, _ in nil }, waitsForApproval: false)
        let driver = RunbookDriver(runbook: runbook, runs: RunbookRunStore(store: store), journal: journal, client: client, interaction: interaction)
        var perStep: [Double] = []
        for _ in 0..<(runs + 1) {  // the first run warms the cache and is dropped
            let start = DispatchTime.now().uptimeNanoseconds
            let run = await driver.drive(try driver.start(params: [:], region: "us-east-1"))
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            guard run.status == .succeeded else {
                FileHandle.standardError.write(Data("breakglass-bench: the bench run did not finish: \(run.reason ?? run.status.rawValue)\n".utf8))
                throw ExitCode(1)
            }
            perStep.append(elapsed / Double(runbook.steps.count))
        }
        perStep.removeFirst()
        perStep.sort()
        let median = perStep[perStep.count / 2]
        if output == "json" {
            print("{\"benchmark\":\"runbook\",\"median_ms_per_step\":\(String(format: "%.3f", median)),\"steps\":\(runbook.steps.count),\"runs\":\(runs)}")
        } else {
            print("runbook: \(String(format: "%.3f", median)) ms of engine bookkeeping per step (median of \(runs) runs × \(runbook.steps.count) steps: transition, durable state write, audit entry)")
        }
    }
}
