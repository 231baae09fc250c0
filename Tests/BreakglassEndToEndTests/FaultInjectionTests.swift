import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// Shipped runbooks run by the real binary through `TCPProxy` in `.faults` mode in front of moto_server
/// (signature and IAM checks on): three requests in ten are throttled, answered 5xx, reset before
/// or after reaching moto, stalled past the client's timeout, truncated or malformed. Each run must
/// complete (with its change made) or stop in a clear state — failed with AWS's code, message and
/// request id, or waiting on an outcome that is unknown — never crash or hang; moto must never
/// receive the same mutating call twice; the audit chain must verify after every run. A run left on an
/// unknown outcome is then settled as a person would (`--mark-done` when the write landed, `--resend`
/// when it did not) and must finish. And the console,
/// pointed at the same kind of proxy, must keep answering keys.
///
/// The seeds are fixed so `make test` is repeatable; `BREAKGLASS_FAULT_SEED=N` runs seed N (and the
/// two after it), `BREAKGLASS_FAULT_SEED=random` a fresh one. Every seed is printed. docs/FAULTS.md.
@Suite struct FaultInjectionTests {
    /// Shipped runbooks that complete on moto without a second person, across both wire protocols:
    /// ECS and DynamoDB speak JSON, RDS and Auto Scaling the query protocol.
    static let runbookIDs = ["ecs-scale", "dynamodb-hot-key", "rds-reboot", "asg-scale-out"]
    static let rate = 0.3

    static let seeds: [UInt64] = {
        let raw = ProcessInfo.processInfo.environment["BREAKGLASS_FAULT_SEED"]
        guard let raw else { return [11, 12, 13, 14] }
        let base = raw == "random" ? UInt64.random(in: 1...UInt64(UInt32.max)) : FaultPlan.seed()
        return [base, base &+ 1, base &+ 2]
    }()

    /// Whether an operation changes nothing, as Breakglass's catalog says (Query and the Describe,
    /// Get and List calls the runbooks read with); an operation it does not hold counts as a write.
    static func isRead(_ operation: String) -> Bool {
        let known = AWSCatalog.operations.filter { $0.name == operation }
        return !known.isEmpty && known.allSatisfy { !$0.mutates }
    }

    /// The shipped runbook's text with its polling made quick (`every: 15s` → `every: 1s`), so a
    /// failed read costs a second, not a quarter of a minute; nothing else changes.
    static func quickPolling(_ id: String) throws -> String {
        let text = try String(contentsOfFile: "runbooks/\(id).yaml", encoding: .utf8)
        return text.replacingOccurrences(of: #"every: [0-9]+s"#, with: "every: 1s", options: .regularExpression)
    }

    /// The binary's absolute path (the runs start in another folder).
    static var binary: String {
        let path = BreakglassBinary.path
        return path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    struct RunReport: CustomStringConvertible {
        var id: String
        var status: String
        var reason: String
        var description: String { "\(id): \(status) \(reason)" }
    }

    @Test(arguments: FaultInjectionTests.seeds)
    func shippedRunbooksCompleteOrStopClearlyUnderFaults(_ seed: UInt64) async throws {
        print("fault injection: seed \(seed), rate \(Self.rate) (BREAKGLASS_FAULT_SEED=\(seed) reproduces it)")
        try await MotoHarness.withServer { server in
            var fixtures: [(String, RunbookFixture)] = []
            for id in Self.runbookIDs {
                fixtures.append((id, try await RunbookFixtures.prepare(id, client: server.client(), region: "us-east-1")))
            }
            let dir = try StateDir()
            let folder = dir.path + "/runbooks"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for id in Self.runbookIDs { try Self.quickPolling(id).write(toFile: "\(folder)/\(id).yaml", atomically: true, encoding: .utf8) }

            let proxy = try TCPProxy(upstreamPort: server.port, mode: .faults(FaultPlan(seed: seed, rate: Self.rate, stallLimit: 10)))
            defer { proxy.stop() }
            var env = server.environment()
            env["AWS_ENDPOINT_URL"] = proxy.endpoint
            env["BREAKGLASS_TIMEOUT"] = "2"
            env["SSH_CONNECTION"] = "10.0.0.1 50000 10.0.0.9 22"

            var reports: [RunReport] = []
            /// Runs left waiting on an unknown outcome: the runbook, its run number and the write.
            var unsettled: [(id: String, fixture: RunbookFixture, run: Int, operation: String)] = []
            for (id, fixture) in fixtures {
                var args = ["runbook", "run", id, "--yes", "--no-wait", "--state", dir.db, "--output", "json"]
                for (k, v) in fixture.params.sorted(by: { $0.key < $1.key }) { args += ["--param", "\(k)=\(v)"] }
                for name in fixture.confirms { args += ["--confirm", name] }
                // Run from the state folder, whose ./runbooks holds the copies (the package's own
                // ./runbooks would hold the same ids).
                let r = try Subprocess.run("/bin/sh", ["-c", #"cd "$1" && shift && exec "$@""#, "sh", dir.path, Self.binary] + args, environment: env, timeout: 90)
                let context = "seed \(seed), \(id): exit \(r.status) after \(String(format: "%.1f", r.seconds)) s\nstdout: \(r.stdout)\nstderr: \(r.stderr)"
                // Nothing crashes: the command ends on its own with 0 (done) or 1 (stopped), and says why.
                #expect(r.status == 0 || r.status == 1, "\(context)")
                #expect(!r.stderr.contains("Fatal error"), "\(context)")
                let json = (try? JSON.decode(r.stdout)) ?? .null
                let status = json["status"]?.string ?? "none"
                let reason = json["reason"]?.string ?? ""
                let steps = json["steps"]?.array ?? []
                reports.append(RunReport(id: id, status: status, reason: reason))
                switch status {
                case "succeeded":
                    #expect(r.status == 0, "\(context)")
                    let problem = try await RunbookFixtures.recovered(id, fixture: fixture, client: server.client(), region: "us-east-1")
                    #expect(problem == nil, "a run that says it succeeded made its change: \(problem ?? "")\n\(context)")
                case "failed":
                    let failed = steps.first { $0["status"]?.string == "failed" }
                    #expect(failed != nil && !reason.isEmpty, "a failed run names its failed step and why\n\(context)")
                    // An error answer (here, the proxy's) is reported with its code, message and request id.
                    if reason.contains("InternalFailure") || reason.contains("ServiceUnavailable") {
                        #expect(reason.contains("(injected)") && reason.contains("request id fault-"), "code, message and request id\n\(context)")
                    }
                case "waiting":
                    // The only thing a --yes --no-wait run of these runbooks can wait on: a write whose
                    // outcome is unknown, which a read could not settle. Never re-sent by itself.
                    let unknown = steps.first { $0["status"]?.string == "outcome_unknown" }
                    #expect(unknown != nil, "a stopped run shows its unknown step\n\(context)")
                    #expect(reason.contains("outcome is unknown"), "\(context)")
                    if let run = json["run"]?.int, let operation = unknown?["operation"]?.string {
                        unsettled.append((id, fixture, run, operation))
                    }
                default:
                    Issue.record("no clear state: \(context)")
                }
                let verify = try BreakglassBinary.run(["audit", "verify", "--state", dir.db])
                #expect(verify.status == 0, "the audit chain verifies after \(id) (seed \(seed)): \(verify.stdout)\(verify.stderr)")
            }

            // A person settles each unknown outcome as the proxy's record says (as CloudTrail would):
            // --mark-done when the write reached moto, --resend when it did not. With the faults
            // off, the run then finishes, its change made, and the writes still reached moto once.
            if !unsettled.isEmpty { try proxy.setMode(.forward) }
            // No stalls now: the usual timeout, so a slow moto on a loaded machine is not a new unknown.
            var calm = env
            calm["BREAKGLASS_TIMEOUT"] = "30"
            for (id, fixture, run, operation) in unsettled {
                let name = operation.split(separator: ".").last.map(String.init) ?? operation
                let landed = proxy.forwardedRequests.contains { $0.operation == name }
                var args = ["runbook", "run", "--resume", String(run), "--yes", "--no-wait", landed ? "--mark-done" : "--resend", "--state", dir.db, "--output", "json"]
                for name in fixture.confirms { args += ["--confirm", name] }
                let r = try Subprocess.run("/bin/sh", ["-c", #"cd "$1" && shift && exec "$@""#, "sh", dir.path, Self.binary] + args, environment: calm, timeout: 120)
                let status = (try? JSON.decode(r.stdout))?["status"]?.string
                #expect(r.status == 0 && status == "succeeded", "seed \(seed), \(id) resumed with \(landed ? "--mark-done" : "--resend"): \(r.stdout)\n\(r.stderr)")
                let problem = try await RunbookFixtures.recovered(id, fixture: fixture, client: server.client(), region: "us-east-1")
                #expect(problem == nil, "seed \(seed), \(id) after resuming: \(problem ?? "")")
                print("fault injection: seed \(seed): \(id) run \(run) resumed with \(landed ? "--mark-done" : "--resend"): \(status ?? "?")")
            }
            if !unsettled.isEmpty {
                let verify = try BreakglassBinary.run(["audit", "verify", "--state", dir.db])
                #expect(verify.status == 0, "the audit chain verifies after the resumptions (seed \(seed)): \(verify.stdout)\(verify.stderr)")
            }

            // moto never received a mutating call twice: same operation, same parameters.
            let forwarded = proxy.forwardedRequests
            let writes = forwarded.filter { !Self.isRead($0.operation ?? "") }
            var seen: [String: Int] = [:]
            for write in writes { seen[(write.operation ?? "?") + "\n" + write.bodyText, default: 0] += 1 }
            for (call, count) in seen where count > 1 {
                Issue.record("seed \(seed): moto received this write \(count) times:\n\(call)")
            }
            #expect(!writes.isEmpty, "seed \(seed): no write reached moto at all: \(reports)")
            let injected = proxy.injectedCounts
            #expect(!injected.isEmpty, "seed \(seed): no fault was injected")
            print("fault injection: seed \(seed): \(forwarded.count) requests reached moto (\(writes.count) writes, \(seen.count) different); "
                + "faults \(InjectedFault.allCases.map { "\($0.rawValue) \(injected[$0, default: 0])" }.joined(separator: ", ")); "
                + "runs \(reports.map { "\($0.id) \($0.status)" }.joined(separator: ", "))")
            for report in reports where report.status != "succeeded" { print("fault injection: seed \(seed): \(report)") }
        }
    }

    /// The console reads its alarms through a proxy that stalls (past the client's 2 s timeout), resets,
    /// throttles, truncates or garbles half of all requests: every key still answers at once (help
    /// opens and closes within a round trip of tmux), the alarms still arrive and keep refreshing, and
    /// q quits at once.
    @Test(.enabled(if: TmuxSession.isAvailable, "needs tmux (make test installs it)"))
    func theConsoleKeepsAnsweringKeysUnderFaults() async throws {
        try await MotoHarness.withServer { server in
            try await DemoSeed.apply(client: server.client(), region: "us-east-1")
            let seed = Self.seeds[0]
            let plan = FaultPlan(
                seed: seed, rate: 0.5,
                weights: [.stall: 3, .resetBeforeForwarding: 1, .resetAfterForwarding: 1, .throttle: 1, .truncated: 1, .malformed: 1, .serverError: 1],
                stallLimit: 10)
            print("fault injection (console): seed \(seed), rate 0.5, stalls weighted 3 of 9")
            let proxy = try TCPProxy(upstreamPort: server.port, mode: .faults(plan))
            defer { proxy.stop() }
            var env = server.environment().merging(ConsoleTests.terminalEnvironment()) { _, b in b }
            env["AWS_ENDPOINT_URL"] = proxy.endpoint
            env["BREAKGLASS_TIMEOUT"] = "2"
            let tmux = try TmuxSession(width: 100, height: 30, command: "\(BreakglassBinary.path) console --interval 1", environment: env)
            try tmux.waitFor("breakglass", timeout: 20)
            var rounds: [Double] = []
            for round in 0..<10 {
                let start = Date()
                try tmux.sendKeys("?")
                try tmux.waitFor("Help — Esc closes", timeout: 5)
                try tmux.sendKeys("Escape")
                try tmux.waitUntil(timeout: 5, what: "help closed (round \(round))") { !$0.contains("Help — Esc closes") }
                rounds.append(Date().timeIntervalSince(start))
                try await Task.sleep(for: .milliseconds(500))
            }
            // Whatever the faults, the alarms arrive.
            try tmux.waitFor("prod-payments-latency-p99", timeout: 30)
            // And keep refreshing: another request reaches moto.
            let before = proxy.forwardedRequests.count
            let deadline = Date() + 20
            while proxy.forwardedRequests.count == before && Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
            let reached = proxy.forwardedRequests.count
            #expect(reached > before, "the console kept refreshing: no request reached moto in 20 s after \(before)")
            let slowest = rounds.max() ?? 0
            let injected = proxy.injectedCounts
            #expect(injected[.stall, default: 0] >= 1, "the console met at least one stall: \(injected)")
            // Each round is two tmux send-keys and a few capture-panes (polled every 100 ms).
            #expect(slowest < 3, "a key round trip took \(slowest) s under faults: \(rounds)")
            let quit = Date()
            try tmux.sendKeys("q")
            #expect(try tmux.waitForExit(timeout: 5) == 0)
            #expect(Date().timeIntervalSince(quit) < 3)
            print("fault injection (console): \(rounds.count) help round trips, slowest \(String(format: "%.2f", slowest)) s; "
                + "\(reached) requests reached moto; faults \(InjectedFault.allCases.map { "\($0.rawValue) \(injected[$0, default: 0])" }.joined(separator: ", "))")
        }
    }
}
