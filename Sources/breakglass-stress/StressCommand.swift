import ArgumentParser
import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation

/// `breakglass-stress`: kills runbook runs, the watch daemon and the console with SIGKILL at seeded
/// random moments, against one moto_server behind a counting proxy, and after every kill checks that
/// the state opens, the audit chain verifies, runs resume, and no `do` reached moto twice.
/// Not part of `make test`: `make stress` (scripts/stress.sh). See docs/STRESS.md.
@main
struct StressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "breakglass-stress",
        abstract: "Kill runbook runs, the watch daemon and the console at random moments; check the state after each kill.",
        discussion: """
            Starts moto_server (127.0.0.1, signature and IAM checks on) behind a loopback proxy that \
            counts every request reaching it, then kills a victim with SIGKILL per iteration. After each \
            kill: `breakglass audit verify` says the chain is intact, the stored runs load, the run \
            resumes (`runbook run --resume`) to its end or a clear stop, every mutating request that \
            reached moto had its audit intent first, and no `do` step and no page reached moto twice. \
            Exits 1 naming the iteration and the seed on the first violation. See docs/STRESS.md.
            """)

    @Option(help: "How many kills (victims that finish before their kill do not count).") var iterations = 200
    @Option(help: "The seed of the schedule (victims, delays, keys); random when left out, and printed either way.") var seed: UInt64?
    @Option(help: "The breakglass executable (default: the one beside this one, or $BREAKGLASS_BIN).") var breakglass: String?
    @Flag(help: "Print the schedule for --seed and --iterations and exit, without running anything.") var printPlan = false
    @Flag(help: "Keep the work folder (state, config, logs) at the end instead of removing it.") var keep = false

    func validate() throws {
        guard (1...100_000).contains(iterations) else { throw ValidationError("--iterations must be between 1 and 100000") }
    }

    func run() async throws {
        let seed = self.seed ?? UInt64.random(in: 1...UInt64(UInt32.max))
        let plan = StressPlan.make(seed: seed, iterations: iterations)
        if printPlan {
            for p in plan {
                let keys = p.victim == .console ? " keys " + StressPlan.consoleKeys(seed: p.keySeed).map(\.key).joined(separator: ",") : ""
                print("\(p.iteration) \(p.victim.rawValue) \(p.delayMilliseconds)ms resumeKilled=\(p.resumeKilled) resumeNow=\(p.resumeNow)\(keys)")
            }
            return
        }
        if let breakglass {
            let absolute = breakglass.hasPrefix("/") ? breakglass : FileManager.default.currentDirectoryPath + "/" + breakglass
            setenv("BREAKGLASS_BIN", absolute, 1)
        }
        guard FileManager.default.isExecutableFile(atPath: BreakglassBinary.path) else {
            throw StressFailure("no breakglass executable at \(BreakglassBinary.path); build it (swift build) or pass --breakglass BIN")
        }
        ChildProcesses.prepareForSignalHandlers()
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig) { _ in
                ChildProcesses.terminateAllFromSignalHandler()
                _exit(130)
            }
        }
        say("breakglass-stress: seed \(seed), \(iterations) iterations, breakglass \(BreakglassBinary.path)")
        say("reproduce the schedule with: breakglass-stress --seed \(seed) --iterations \(iterations)")
        let rig = try await StressRig.start(seed: seed)
        var failure: StressFailure?
        do {
            // A victim that finishes before its kill is not a kill: the schedule runs on until
            // `iterations` kills have landed (its first entries are the ones --print-plan shows).
            try await rig.execute(StressPlan.make(seed: seed, iterations: iterations * 4 + 20), kills: iterations)
        } catch let f as StressFailure {
            failure = f
        } catch {
            failure = StressFailure("\(error)")
        }
        rig.printSummary()
        rig.stop(keepFolder: keep || failure != nil)
        if let failure {
            FileHandle.standardError.write(Data("breakglass-stress: FAILED (seed \(seed)): \(failure.message)\n".utf8))
            FileHandle.standardError.write(Data("breakglass-stress: the state, config and logs are kept in \(rig.dir)\n".utf8))
            throw ExitCode(1)
        }
        say("breakglass-stress: no violation in \(iterations) kills (seed \(seed))")
    }
}

struct StressFailure: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// One line on standard output, written at once (the loop runs for minutes; each line is progress).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
