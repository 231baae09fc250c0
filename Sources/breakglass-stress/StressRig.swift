import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation

/// The moto_server, the counting proxy, the shared state folder and configuration, and the
/// bookkeeping of one stress session.
final class StressRig {
    let seed: UInt64
    let server: LocalAWSServer
    let proxy: TCPProxy
    /// The work folder: `state/` (0700, state.db), `breakglass.yaml`, `runbooks/`, `run/` (logs).
    let dir: String
    var stateDir: String { dir + "/state" }
    var db: String { stateDir + "/state.db" }
    var config: String { dir + "/breakglass.yaml" }
    let queueURL: String
    let topicARN: String
    let started = Date()
    var stats = StressStats()
    /// A run killed and not yet resumed to its end.
    var pending: PendingRun?

    struct PendingRun {
        var id: Int64
        var nonce: String
        var kills: Int
    }

    static let alarms = ["prod-stress-1", "prod-stress-2", "prod-stress-3"]

    private init(seed: UInt64, server: LocalAWSServer, proxy: TCPProxy, dir: String, queueURL: String, topicARN: String) {
        self.seed = seed
        self.server = server
        self.proxy = proxy
        self.dir = dir
        self.queueURL = queueURL
        self.topicARN = topicARN
    }

    /// The environment every breakglass process gets: moto's administrator, through the proxy.
    var environment: [String: String] {
        var env = server.environment()
        env["AWS_ENDPOINT_URL"] = proxy.endpoint
        env["HOME"] = dir + "/home"
        env["XDG_STATE_HOME"] = dir + "/home/.local/state"
        env["XDG_CONFIG_HOME"] = dir + "/home/.config"
        env["LANG"] = "C.UTF-8"
        return env
    }

    static func start(seed: UInt64) async throws -> StressRig {
        var template = Array((NSTemporaryDirectory() + "breakglass-stress-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ buffer -> UnsafeMutablePointer<CChar>? in
            guard let base = buffer.baseAddress else { return nil }
            return mkdtemp(base)
        }) else {
            throw StressFailure("mkdtemp: \(String(cString: strerror(errno)))")
        }
        let dir = String(cString: made)
        let fm = FileManager.default
        for sub in ["state", "run", "runbooks", "home"] {
            try fm.createDirectory(atPath: "\(dir)/\(sub)", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        // moto's log and pid file, and the daemons' output, go under the work folder.
        setenv("BREAKGLASS_TEST_RUN_DIR", dir + "/run", 1)
        // Runbooks are found in ./runbooks too: run from the work folder, not the repository.
        guard fm.changeCurrentDirectoryPath(dir) else { throw StressFailure("cannot change to \(dir)") }

        let server = try await MotoHarness.start()
        let proxy: TCPProxy
        do { proxy = try TCPProxy(upstreamPort: server.port) } catch {
            MotoHarness.stop(server)
            throw error
        }
        do {
            let c = server.client()
            func call(_ service: String, _ op: String, _ input: AWSValue) async throws -> AWSValue {
                try await c.call(AWSCatalog.lookup(service: service, name: op), input, region: "us-east-1").value
            }
            _ = try await call("logs", "CreateLogGroup", ["logGroupName": "stress"])
            let queue = try await call("sqs", "CreateQueue", ["QueueName": "stress"])
            let topic = try await call("sns", "CreateTopic", ["Name": "stress-oncall"])
            _ = try await call("dynamodb", "CreateTable", [
                "TableName": "stress", "KeySchema": [["AttributeName": "pk", "KeyType": "HASH"]],
                "AttributeDefinitions": [["AttributeName": "pk", "AttributeType": "S"]], "BillingMode": "PAY_PER_REQUEST",
            ])
            for name in ["stress-target"] + alarms {
                _ = try await call("cloudwatch", "PutMetricAlarm", [
                    "AlarmName": .string(name), "MetricName": "Latency", "Namespace": "Stress", "Statistic": "Average", "Period": 60,
                    "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold",
                ])
                _ = try await call("cloudwatch", "SetAlarmState", ["AlarmName": .string(name), "StateValue": "OK", "StateReason": "seeded"])
            }
            guard let url = queue["QueueUrl"]?.string, let arn = topic["TopicArn"]?.string else {
                throw StressFailure("moto answered CreateQueue or CreateTopic without a URL or ARN")
            }
            let rig = StressRig(seed: seed, server: server, proxy: proxy, dir: dir, queueURL: url, topicARN: arn)
            try rig.writeFiles()
            // The runbook lints clean before anything is killed: a broken runbook is not a crash.
            let lint = try rig.breakglass(["runbook", "lint", "--config", rig.config])
            guard lint.status == 0 else { throw StressFailure("the stress runbook does not lint clean:\n\(lint.stdout)\(lint.stderr)") }
            return rig
        } catch {
            proxy.stop()
            MotoHarness.stop(server)
            throw error
        }
    }

    func writeFiles() throws {
        try StressRunbook.yaml(queueURL: queueURL, topicARN: topicARN).write(toFile: dir + "/runbooks/stress-ops.yaml", atomically: true, encoding: .utf8)
        let yaml = """
            aws: { regions: [us-east-1] }
            runbooks: ["\(dir)/runbooks"]
            contacts:
              primary: { name: Primary on-call, sns: "\(topicARN)" }
            escalation:
              default:
                stages:
                  - { notify: [primary], wait: 1h }
            response:
              - match: { alarm: "prod-stress-*" }
                severity: 2
                escalation: default
                auto_resolve: true
                runbooks: [stress-ops]

            """
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
    }

    func stop(keepFolder: Bool) {
        proxy.stop()
        MotoHarness.stop(server)
        if !keepFolder { try? FileManager.default.removeItem(atPath: dir) }
    }

    /// `breakglass ARGS` with the rig's environment, to completion.
    func breakglass(_ args: [String], timeout: Double = 120) throws -> BreakglassBinary.Result {
        try BreakglassBinary.run(args, environment: environment, timeout: timeout)
    }

    /// `breakglass ARGS --config C --state S`.
    func withConfig(_ args: [String], timeout: Double = 120) throws -> BreakglassBinary.Result {
        try breakglass(args + ["--config", config, "--state", db], timeout: timeout)
    }

    /// A direct client to moto (not through the proxy, so its calls are not counted): the harness's
    /// own alarm flips.
    lazy var direct: AWSClient = server.client()

    // MARK: - The loop

    func execute(_ plan: [PlannedKill], kills target: Int) async throws {
        for kill in plan {
            if stats.kills >= target { break }
            let line: String
            switch kill.victim {
            case .runbook: line = try await runbookIteration(kill)
            case .daemon: line = try await daemonIteration(kill)
            case .console: line = try await consoleIteration(kill)
            }
            say(String(format: "%4d  kill %4d/%d  ", kill.iteration, stats.kills, target)
                + kill.victim.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0) + String(format: "%5d ms  ", kill.delayMilliseconds) + line)
        }
        if stats.kills < target {
            throw StressFailure("only \(stats.kills) of \(target) kills landed in \(plan.count) iterations: the victims finish before their delays run out")
        }
        let iterations = stats.attempts.values.reduce(0, +)
        // Whatever is still unfinished resumes to its end; then one last look at everything.
        if let p = pending {
            let outcome = try resolve(p.id, nonce: p.nonce, iteration: iterations)
            say("final: run \(p.id) \(outcome)")
            pending = nil
        }
        try check(iteration: iterations, after: "the final resumption")
        let final = try breakglass(["audit", "verify", "--state", db])
        stats.finalVerify = final.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: - Runbook runs

    func nonce(_ iteration: Int) -> String { "s\(seed % 1_000_000)i\(iteration)" }

    func runbookIteration(_ k: PlannedKill) async throws -> String {
        var args: [String]
        var nonce: String
        var runID: Int64?
        var earlier = ""
        if k.resumeKilled, let p = pending, try status(of: p.id).map({ !$0.isFinished }) ?? false {
            args = ["runbook", "run", "--resume", String(p.id), "--yes"]
            nonce = p.nonce
            runID = p.id
        } else {
            if let p = pending {
                // The schedule starts a new run: the killed one is resumed to its end first.
                earlier = "run \(p.id) first: " + (try resolve(p.id, nonce: p.nonce, iteration: k.iteration)) + "; then "
                pending = nil
            }
            nonce = self.nonce(k.iteration)
            args = ["runbook", "run", "stress-ops", "--new", "--param", "nonce=\(nonce)", "--yes"]
        }
        let process = try BackgroundProcess(BreakglassBinary.path, args + ["--config", config, "--state", db], environment: environment)
        try await Task.sleep(for: .milliseconds(k.delayMilliseconds))
        let landed = !process.hasExited
        if landed { process.signal(SIGKILL) }
        let status = process.wait(timeout: 30)
        stats.count(.runbook, landed: landed)
        // Let the proxy finish forwarding whatever the process had written before it died.
        try await Task.sleep(for: .milliseconds(300))
        if runID == nil { runID = try findRun(nonce: nonce) }
        var line = earlier + (landed ? "killed" : "finished before the kill (exit \(status))")
        guard let id = runID else {
            try check(iteration: k.iteration, after: "killing a new run before it was stored")
            stats.killedBeforeStored += 1
            return line + ": before the run was stored"
        }
        let where_ = try killPoint(id, nonce: nonce)
        if landed {
            line += " run \(id) \(where_.description)"
            if where_.midStep { stats.midStep += 1 }
            if where_.midSend { stats.midSend += 1 }
            if case .unknown? = where_.send { stats.intentWithoutOutcome += 1 }
        } else {
            line += " run \(id)"
        }
        try check(iteration: k.iteration, after: "killing run \(id)")
        if k.resumeNow || !landed {
            let outcome = try resolve(id, nonce: nonce, iteration: k.iteration)
            pending = nil
            return line + "; " + outcome
        }
        pending = PendingRun(id: id, nonce: nonce, kills: (pending?.id == id ? pending?.kills ?? 0 : 0) + 1)
        return line + "; left for the next runbook iteration to resume"
    }

    struct KillPoint: CustomStringConvertible {
        var step: Int?
        var kind: String
        var midStep: Bool
        /// A `do` marked as sending: what the audit trail says of it.
        var send: RunbookSendRecord?
        var midSend: Bool { send != nil }
        /// The step is outcome unknown: the victim had resumed a run an earlier kill left mid-send,
        /// and was showing it (never re-sending it) when it was killed.
        var waitsOnUnknown = false
        var description: String {
            guard let step else { return "after its last step" }
            let at = "at step \(step + 1) (\(kind))"
            switch send {
            case .notSent?: return at + ", a do marked as sending with no intent entry yet"
            case .unknown?: return at + ", a do whose intent is recorded and whose answer is not"
            case .succeeded?, .failed?: return at + ", a do whose outcome is recorded and the run not yet saved"
            case nil where waitsOnUnknown: return at + ", a do whose outcome an earlier kill left unknown, waiting for a person"
            case nil: return at + (midStep ? ", mid-step" : ", between steps")
            }
        }
    }

    /// Where the kill left run `id`: the step it was at, whether a step was in flight, and for a
    /// `do` being sent, what the audit trail holds of it.
    func killPoint(_ id: Int64, nonce: String) throws -> KillPoint {
        let store = try openStore()
        defer { store.close() }
        let runs = RunbookRunStore(store: store)
        guard let record = try runs.load(id) else { return KillPoint(step: nil, kind: "", midStep: false) }
        let run = record.run
        guard let i = run.current ?? run.steps.firstIndex(where: { $0.status == .running }) else {
            return KillPoint(step: nil, kind: "", midStep: false)
        }
        let state = run.steps[i]
        let midStep = state.status == .running
        let send = midStep && state.sent ? try runs.sendRecords(run, log: AuditLog(store: store))[i] : nil
        return KillPoint(
            step: i, kind: i < run.shape.count ? run.shape[i] : "?", midStep: midStep, send: send, waitsOnUnknown: state.status == .outcomeUnknown)
    }

    func status(of id: Int64) throws -> RunbookRunStatus? { try loadRun(id)?.run.status }

    func loadRun(_ id: Int64) throws -> RunbookRunStore.Record? {
        let store = try openStore()
        defer { store.close() }
        return try RunbookRunStore(store: store).load(id)
    }

    func findRun(nonce: String) throws -> Int64? {
        let store = try openStore()
        defer { store.close() }
        return try RunbookRunStore(store: store).recent(limit: 10).first { $0.run.params["nonce"]?.string == nonce }?.run.id
    }

    func openStore() throws -> Store {
        do { return try Store.open(path: db) } catch { throw StressFailure("the state does not open: \(error)") }
    }

    /// Resumes run `id` with `runbook run --resume` until it finishes or stops clearly. A step whose
    /// outcome is unknown is settled as a person with perfect knowledge would: `--mark-done` when its
    /// request reached moto (the proxy saw it), `--resend` when it did not. Returns what happened.
    func resolve(_ id: Int64, nonce: String, iteration: Int) throws -> String {
        guard let before = try status(of: id), !before.isFinished else { return "run \(id) already \(try status(of: id)?.rawValue ?? "gone")" }
        var decision: [String] = []
        var notes: [String] = []
        for _ in 0..<8 {
            let r = try withConfig(["runbook", "run", "--resume", String(id), "--yes", "--output", "json"] + decision)
            stats.resumes += 1
            guard let json = try? JSON.decode(r.stdout), let status = json["status"]?.string else {
                throw StressFailure("iteration \(iteration): `runbook run --resume \(id)` did not resume (exit \(r.status)): \(r.stderr)\(r.stdout)")
            }
            try check(iteration: iteration, after: "resuming run \(id)")
            let reason = json["reason"]?.string ?? ""
            switch status {
            case "succeeded":
                stats.resumedToEnd += 1
                return (notes + ["resumed to the end"]).joined(separator: ", ")
            case "failed":
                stats.clearStops.append("run \(id): \(reason)")
                return (notes + ["stopped: failed: \(reason)"]).joined(separator: ", ")
            case "waiting" where reason.contains("outcome is unknown"):
                guard let step = json["current_step"]?.int else { throw StressFailure("iteration \(iteration): run \(id) waits on an unknown outcome at no step") }
                let marker = "\(nonce)/\(step)"
                let reached = forwardedCount(marker: marker)
                decision = reached > 0 ? ["--mark-done"] : ["--resend"]
                if reached > 0 { stats.markDone += 1 } else { stats.resend += 1 }
                notes.append("step \(step) outcome unknown, \(reached > 0 ? "it reached moto: --mark-done" : "it never reached moto: --resend")")
            default:
                throw StressFailure("iteration \(iteration): run \(id) resumed to \(status) without a clear reason: \(reason) \(r.stderr)")
            }
        }
        throw StressFailure("iteration \(iteration): run \(id) did not settle after 8 resumptions")
    }

    // MARK: - The watch daemon

    func daemonIteration(_ k: PlannedKill) async throws -> String {
        let process = try BackgroundProcess(
            BreakglassBinary.path,
            ["watch", "--interval", "1", "--lease", "2s", "--page-retry", "200ms", "--config", config, "--state", db], environment: environment)
        // Alarms go through incidents' lives while the daemon watches: one alarm fires (an incident
        // opens and pages), then all go OK (it resolves on its own), then another fires.
        var rng = SplitMix64(seed: k.keySeed)
        let deadline = Date().addingTimeInterval(Double(k.delayMilliseconds) / 1000)
        var flips = 0
        var firing = rng.next() % 2 == 0
        while Date() < deadline {
            let pause = 400 + Int(rng.next() % 900)
            let left = Int(deadline.timeIntervalSinceNow * 1000)
            try await Task.sleep(for: .milliseconds(max(0, min(pause, left))))
            guard Date() < deadline else { break }
            firing.toggle()
            let chosen = Self.alarms[Int(rng.next() % UInt64(Self.alarms.count))]
            for alarm in firing ? [chosen] : Self.alarms {
                _ = try await direct.call(
                    AWSCatalog.lookup(service: "cloudwatch", name: "SetAlarmState"),
                    ["AlarmName": .string(alarm), "StateValue": .string(firing ? "ALARM" : "OK"), "StateReason": "breakglass-stress flips it"],
                    region: "us-east-1")
                flips += 1
            }
        }
        let landed = !process.hasExited
        if landed { process.signal(SIGKILL) }
        let status = process.wait(timeout: 30)
        guard landed else {
            throw StressFailure("iteration \(k.iteration): the watch daemon exited by itself (exit \(status)) before the kill: \(process.errors())")
        }
        stats.count(.daemon, landed: true)
        stats.alarmFlips += flips
        try await Task.sleep(for: .milliseconds(300))
        try check(iteration: k.iteration, after: "killing the watch daemon")
        return "killed, \(flips) alarm changes; pages so far \(stats.pagesForwarded)"
    }

    // MARK: - The console

    func consoleIteration(_ k: PlannedKill) async throws -> String {
        // The console resumes the runbook's unfinished run: the killed one, or a new run stopped at
        // its first `do` (run without --yes).
        var id: Int64
        var nonce: String
        if let p = pending, try status(of: p.id).map({ !$0.isFinished }) ?? false {
            id = p.id
            nonce = p.nonce
        } else {
            nonce = self.nonce(k.iteration)
            let r = try withConfig(["runbook", "run", "stress-ops", "--new", "--param", "nonce=\(nonce)"])
            guard r.status == 1, let found = try findRun(nonce: nonce) else {
                throw StressFailure("iteration \(k.iteration): `runbook run stress-ops` without --yes should stop at the first do (exit 1), exit \(r.status): \(r.stderr)")
            }
            id = found
        }
        let doneBefore = try loadRun(id)?.run.steps.filter { $0.status == .done }.count ?? 0
        let tmux = try ConsoleInTmux(rig: self)
        defer { tmux.close() }
        let start = Date()
        let deadline = start.addingTimeInterval(Double(k.delayMilliseconds) / 1000)
        var sent: [String] = []
        // The console opens on the runbook; `n` asks for the parameters of a new run (the form), and
        // Enter resumes the stored unfinished run with its own parameters instead.
        try await Task.sleep(for: .milliseconds(min(700, k.delayMilliseconds / 2)))
        try tmux.send("n")
        try await Task.sleep(for: .milliseconds(150))
        try tmux.type(nonce)
        try tmux.send("Enter")
        sent += ["n", nonce, "Enter"]
        for (key, pause) in StressPlan.consoleKeys(seed: k.keySeed) {
            let left = Int(deadline.timeIntervalSinceNow * 1000)
            if left <= 0 { break }
            try await Task.sleep(for: .milliseconds(min(pause, left)))
            guard Date() < deadline else { break }
            try tmux.send(key)
            sent.append(key)
        }
        let left = deadline.timeIntervalSinceNow
        if left > 0 { try await Task.sleep(for: .milliseconds(Int(left * 1000))) }
        let landed = tmux.isAlive
        if landed { kill(tmux.pid, SIGKILL) }
        stats.count(.console, landed: landed)
        guard landed else {
            throw StressFailure("iteration \(k.iteration): the console exited by itself before the kill; screen:\n\(tmux.screen())")
        }
        try await Task.sleep(for: .milliseconds(300))
        let point = try killPoint(id, nonce: nonce)
        if point.midStep { stats.midStep += 1 }
        if point.midSend { stats.midSend += 1 }
        if case .unknown? = point.send { stats.intentWithoutOutcome += 1 }
        let doneAfter = try loadRun(id)?.run.steps.filter { $0.status == .done }.count ?? 0
        stats.consoleSteps += max(0, doneAfter - doneBefore)
        try check(iteration: k.iteration, after: "killing the console")
        let outcome = try resolve(id, nonce: nonce, iteration: k.iteration)
        pending = nil
        return "killed after keys \(sent.joined(separator: " ")); run \(id) \(point.description), \(doneAfter - doneBefore) steps done in the console; \(outcome)"
    }

    // MARK: - The checks

    /// The state opens, the chain verifies, and the requests that reached moto agree with the audit
    /// trail: each had its intent first, no `do` step's request arrived twice, no finished `do` was
    /// sent again, and no incident's page arrived twice.
    func check(iteration: Int, after what: String) throws {
        func fail(_ message: String) -> StressFailure {
            StressFailure("iteration \(iteration) (seed \(seed)), after \(what): \(message)")
        }
        // The proxy first: everything it saw was journaled before it was sent.
        let forwarded = proxy.forwardedRequests
        let verify = try breakglass(["audit", "verify", "--state", db])
        guard verify.status == 0, verify.stdout.contains("audit trail intact") else {
            throw fail("`breakglass audit verify` exit \(verify.status): \(verify.stdout)\(verify.stderr)")
        }
        let runs = try breakglass(["runbook", "runs", "--limit", "1000", "--output", "json", "--state", db])
        guard runs.status == 0, (try? JSON.decode(runs.stdout))?.array != nil else {
            throw fail("the stored runs do not load: `breakglass runbook runs` exit \(runs.status): \(runs.stderr)")
        }
        let export = try breakglass(["audit", "export", "--format", "jsonl", "--state", db])
        guard export.status == 0 else { throw fail("`breakglass audit export` exit \(export.status): \(export.stderr)") }

        var intentsByMarker: [String: [Int]] = [:]
        var intentsByOperation: [String: Int] = [:]
        var intentMarkers: [Int: [String]] = [:]
        var outcomes: [Int: String] = [:]
        var entries = 0
        for line in export.stdout.split(separator: "\n") {
            guard let e = try? JSON.decode(String(line)) else { throw fail("audit export printed a line that is not JSON: \(line.prefix(200))") }
            entries += 1
            let seq = e["seq"]?.int ?? 0
            switch e["kind"]?.string {
            case "aws.intent":
                intentsByOperation[e["operation"]?.string ?? "?", default: 0] += 1
                let markers = StressMarkers.find(in: String(line))
                intentMarkers[seq] = markers
                for m in markers { intentsByMarker[m, default: []].append(seq) }
            case "aws.outcome":
                if let of = e["intent_seq"]?.int { outcomes[of] = e["outcome"]?.string ?? "" }
            default: break
            }
        }
        stats.auditEntries = entries

        var forwardedByMarker: [String: Int] = [:]
        var mutatingByOperation: [String: Int] = [:]
        var pagesByIncident: [Int: Int] = [:]
        for request in forwarded {
            let body = String(decoding: request.body, as: UTF8.self)
            guard let op = StressMarkers.operation(target: request.target, body: body) else { continue }
            guard AWSCatalog.operations.contains(where: { $0.name == op && $0.mutates }) else { continue }
            mutatingByOperation[op, default: 0] += 1
            for m in StressMarkers.find(in: body) { forwardedByMarker[m, default: 0] += 1 }
            if op == "Publish", let incident = StressMarkers.pagedIncident(body: body) { pagesByIncident[incident, default: 0] += 1 }
        }
        stats.mutatingByOperation = mutatingByOperation
        stats.pagesForwarded = pagesByIncident.values.reduce(0, +)

        for (op, n) in mutatingByOperation.sorted(by: { $0.key < $1.key }) where n > intentsByOperation[op, default: 0] {
            throw fail("\(n) \(op) requests reached moto but the audit trail holds \(intentsByOperation[op, default: 0]) intents for \(op): a write was sent without its intent")
        }
        for (m, n) in forwardedByMarker.sorted(by: { $0.key < $1.key }) {
            let (nonce, step) = Self.split(m)
            if n > 1 { throw fail("step \(step) of the run with nonce \(nonce) reached moto \(n) times: a do was repeated") }
            if n > (intentsByMarker[m]?.count ?? 0) { throw fail("step \(step) of the run with nonce \(nonce) reached moto without an intent entry") }
        }
        for (m, seqs) in intentsByMarker {
            let sorted = seqs.sorted()
            for (i, seq) in sorted.enumerated() where i < sorted.count - 1 {
                if let o = outcomes[seq], o == "succeeded" || o == "failed" {
                    let (nonce, step) = Self.split(m)
                    throw fail("step \(step) of the run with nonce \(nonce) finished (\(o), audit entry \(seq)) and was sent again (intent \(sorted[i + 1]))")
                }
            }
        }
        for (incident, n) in pagesByIncident where n > 1 {
            throw fail("incident \(incident)'s page reached SNS \(n) times; one stage firing pages a contact once")
        }
    }

    static func split(_ marker: String) -> (String, String) {
        let parts = marker.split(separator: "/")
        return (parts.first.map(String.init) ?? marker, parts.count > 1 ? String(parts[1]) : "?")
    }

    func forwardedCount(marker: String) -> Int {
        proxy.forwardedRequests.filter { StressMarkers.find(in: String(decoding: $0.body, as: UTF8.self)).contains(marker) }.count
    }

    // MARK: - Summary

    func printSummary() {
        let s = stats
        let seconds = Date().timeIntervalSince(started)
        say("")
        say("summary (seed \(seed), \(String(format: "%.0f", seconds)) s):")
        for v in Victim.allCases {
            say("  \(v.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(s.attempts[v, default: 0]) iterations, \(s.landed[v, default: 0]) killed while running")
        }
        say("  kills mid-step: \(s.midStep) (of them in a do being sent: \(s.midSend), with its intent recorded and no answer: \(s.intentWithoutOutcome)); runbook kills before the run was stored: \(s.killedBeforeStored)")
        say("  resumptions: \(s.resumes) (runs resumed to the end: \(s.resumedToEnd); clear stops: \(s.clearStops.count); outcome unknown settled with --mark-done \(s.markDone), --resend \(s.resend))")
        for stop in s.clearStops.prefix(10) { say("    stopped: \(stop)") }
        say("  console: \(s.consoleSteps) run steps done through keys; daemon: \(s.alarmFlips) alarm changes, \(s.pagesForwarded) pages reached SNS")
        let total = s.mutatingByOperation.values.reduce(0, +)
        say("  mutating calls that reached moto: \(total) (" + s.mutatingByOperation.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")")
        say("  audit entries: \(s.auditEntries); \(s.finalVerify)")
    }
}

struct StressStats {
    var attempts: [Victim: Int] = [:]
    var landed: [Victim: Int] = [:]
    var midStep = 0
    var midSend = 0
    var intentWithoutOutcome = 0
    var killedBeforeStored = 0
    var resumes = 0
    var resumedToEnd = 0
    var clearStops: [String] = []
    var markDone = 0
    var resend = 0
    var consoleSteps = 0
    var alarmFlips = 0
    var pagesForwarded = 0
    var mutatingByOperation: [String: Int] = [:]
    var auditEntries = 0
    var finalVerify = ""

    var kills: Int { landed.values.reduce(0, +) }

    mutating func count(_ v: Victim, landed hit: Bool) {
        attempts[v, default: 0] += 1
        if hit { landed[v, default: 0] += 1 }
    }
}

/// `breakglass console --runbook stress-ops` in a detached tmux session on a private socket, its
/// pane's program exec'd so the pane's pid is the console's.
final class ConsoleInTmux {
    let socket: String
    let pid: Int32

    init(rig: StressRig) throws {
        socket = rig.dir + "/run/tmux-\(UInt32.random(in: 0...UInt32.max)).sock"
        let conf = socket + ".conf"
        try "set -g remain-on-exit on\nset -g status off\n".write(toFile: conf, atomically: true, encoding: .utf8)
        var env = rig.environment
        env["TERM"] = "xterm-256color"
        let exports = env.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.quote($0.value))" }.joined(separator: " ")
        let command = "exec env \(exports) \(Self.quote(BreakglassBinary.path)) console --runbook stress-ops --config \(Self.quote(rig.config)) --state \(Self.quote(rig.db))"
        let started = try Self.tmux(socket, ["-f", conf, "new-session", "-d", "-x", "100", "-y", "30", "-s", "stress", command])
        guard started.status == 0 else { throw StressFailure("tmux new-session failed: \(started.stderr)") }
        let shown = try Self.tmux(socket, ["display-message", "-p", "-t", "stress", "#{pane_pid}"])
        guard let pid = Int32(shown.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            _ = try? Self.tmux(socket, ["kill-server"])
            throw StressFailure("tmux did not say the console's pid: \(shown.stdout)\(shown.stderr)")
        }
        self.pid = pid
    }

    var isAlive: Bool {
        guard kill(pid, 0) == 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        // A zombie (Z) has exited: only its parent, the tmux server, has not reaped it yet.
        return !stat.contains(") Z ")
    }

    func send(_ key: String) throws { _ = try Self.tmux(socket, ["send-keys", "-t", "stress", key]) }

    /// Types `text` literally.
    func type(_ text: String) throws { _ = try Self.tmux(socket, ["send-keys", "-t", "stress", "-l", text]) }

    func screen() -> String { (try? Self.tmux(socket, ["capture-pane", "-p", "-t", "stress"]).stdout) ?? "" }

    func close() {
        _ = try? Self.tmux(socket, ["kill-server"])
        for path in [socket, socket + ".conf"] { try? FileManager.default.removeItem(atPath: path) }
    }

    static func tmux(_ socket: String, _ args: [String]) throws -> BreakglassBinary.Result {
        try Subprocess.run("/usr/bin/env", ["tmux", "-S", socket] + args, environment: ["TERM": "xterm-256color"], timeout: 10)
    }

    static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
