import ArgumentParser
import BreakglassAWS
import BreakglassCore
import Foundation
import Synchronization

struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "A scenario-driven AWS sandbox on moto_server (127.0.0.1 only; never real AWS).",
        discussion: """
            `sandbox up` starts moto_server on 127.0.0.1 with signature and IAM checks on, creates the \
            scenario's resources through Breakglass's own AWS client, breaks them on the scenario's \
            schedule, and writes the profile `breakglass-sandbox`. Then `breakglass --sandbox COMMAND` \
            (or AWS_PROFILE=breakglass-sandbox) works on the sandbox. docs/SANDBOX.md describes scenarios.
            """,
        subcommands: [SandboxUpCommand.self, SandboxSeedCommand.self, SandboxDownCommand.self, SandboxStatusCommand.self, SandboxListCommand.self,
                      SandboxCredentialsCommand.self, SandboxServeCommand.self])
}

/// `--scenarios DIR` and how a scenario name is found.
struct ScenarioOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Folder of scenario files. Default: ./scenarios, then the scenarios beside this breakglass's checkout, then $XDG_DATA_HOME/breakglass/scenarios.", valueName: "dir"))
    var scenarios: String?

    var directories: [String] {
        if let scenarios { return [scenarios] }
        var dirs = [FileManager.default.currentDirectoryPath + "/scenarios"]
        if let checkout = Self.checkoutDirectory() { dirs.append(checkout + "/scenarios") }
        let env = ProcessInfo.processInfo.environment
        let data = env["XDG_DATA_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.local/share")
        dirs.append(data + "/breakglass/scenarios")
        return dirs
    }

    /// The checkout this binary was built in (`.build/…/breakglass` → the folder holding `scenarios/`).
    static func checkoutDirectory() -> String? {
        var dir = (AccessAgentLauncher.currentExecutable() as NSString).deletingLastPathComponent
        for _ in 0..<5 {
            if FileManager.default.fileExists(atPath: dir + "/scenarios/\(ScenarioCatalog.defaultID).yaml") { return dir }
            dir = (dir as NSString).deletingLastPathComponent
        }
        return nil
    }

    /// Finds and loads `name` (an id or a path); a broken file prints every problem and exits 2.
    func load(_ name: String) throws -> (Scenario, String) {
        guard let path = ScenarioCatalog.locate(name, in: directories) else {
            let known = directories.flatMap(ScenarioCatalog.ids(in:))
            var message = "no scenario `\(name)` in \(directories.joined(separator: ", "))"
            if let near = Suggestion.closest(to: name, in: known) { message += "; did you mean `\(near)`?" }
            else if !known.isEmpty { message += "; there are: \(Array(Set(known)).sorted().joined(separator: ", "))" }
            throw report(ValidationError(message))
        }
        do {
            return (try ScenarioLoader.load(path: path), (path as NSString).standardizingPath)
        } catch {
            throw ConfigOptions.report(error)
        }
    }
}

/// The running sandbox's record, or an error saying there is none.
func runningSandbox(_ paths: SandboxPaths = SandboxPaths()) throws -> SandboxRecord {
    guard let record = SandboxRecord.read(paths) else {
        throw report(ValidationError("no sandbox is running; start one with `breakglass sandbox up`"))
    }
    guard DetachedProcess.isAlive(record.supervisorPID) else {
        throw report(ValidationError("the sandbox `\(record.scenario)` stopped (its supervisor, pid \(record.supervisorPID), is gone); `breakglass sandbox down` cleans up, then `breakglass sandbox up` starts a new one"))
    }
    return record
}

func adminClient(_ record: SandboxRecord, journal: (any MutationJournal)? = nil) -> AWSClient {
    let env = record.environment(credentials: record.adminCredentials)
    return AWSClient(credentials: record.adminCredentials, endpoints: EndpointResolver(environment: env), transport: CurlTransport(), journal: journal)
}

/// The sandbox's own audit trail, for the writes that set it up and break it.
func sandboxJournal(_ paths: SandboxPaths, what: String) throws -> (Store, AuditJournal) {
    try paths.ensureDirectory()
    let store = try Store.open(path: paths.store)
    return (store, AuditJournal(log: AuditLog(store: store), actor: AuditActor.current(), context: AuditContext(drill: what)))
}

struct SandboxUpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up", abstract: "Start a sandbox: moto_server on 127.0.0.1, the scenario's resources, its faults on schedule.")

    @Argument(help: "The scenario: an id from the scenarios folder, or a file. Default: holiday-sale.")
    var scenario: String = ScenarioCatalog.defaultID

    @OptionGroup var options: ScenarioOptions

    @Flag(help: "Do not write the breakglass-sandbox profile to the AWS config file.")
    var noProfile = false

    @Option(help: "How long to wait for the sandbox to come up.")
    var timeout = "120s"

    func run() async throws {
        guard let wait = DurationSyntax.parse(timeout) else { throw ValidationError("--timeout: expected a duration like 90s") }
        let (loaded, path) = try options.load(scenario)
        let (record, notes) = try bringUpSandbox(loaded, path: path, wait: wait, profile: !noProfile)
        print(summary(record, loaded, notes: notes))
    }

    func summary(_ record: SandboxRecord, _ scenario: Scenario, notes: [String]) -> String {
        let r = scenario.resources
        var tally: [(Int, String)] = []
        tally.append((r.users.count, "IAM users"))
        tally.append((r.roles.count, "roles"))
        tally.append((r.instances.reduce(0) { $0 + $1.count }, "instances"))
        tally.append((r.autoScalingGroups.count, "auto scaling groups"))
        tally.append((r.ecsClusters.reduce(0) { $0 + $1.services.count }, "ECS services"))
        tally.append((r.rdsClusters.reduce(0) { $0 + $1.instances.count }, "RDS instances"))
        tally.append((r.tables.count, "DynamoDB tables"))
        tally.append((r.queues.count, "SQS queues"))
        tally.append((r.functions.count, "Lambda functions"))
        tally.append((r.topics.count, "SNS topics"))
        tally.append((r.alarms.count, "alarms"))
        let counts = tally.filter { $0.0 > 0 }.map { "\($0.0) \($0.1)" }
        var lines = [
            "sandbox `\(scenario.id)` is up: \(TerminalText.sanitize(scenario.title))",
            "  endpoint   \(record.endpoint) (moto_server pid \(record.motoPID), supervisor pid \(record.supervisorPID))",
            "  region     \(record.region)",
            "  created    \(counts.joined(separator: ", "))",
            "  faults     \(scenario.faults.count) on schedule" + (scenario.faults.isEmpty ? "" : ", the first \(DurationSyntax.format(scenario.faults.map(\.at).min() ?? .zero)) after start"),
        ]
        if let op = record.seed.operatorName { lines.append("  you are    \(op) (read-only; break-glass roles: \(scenario.resources.roles.map(\.name).joined(separator: ", ")))") }
        if !scenario.runbooks.isEmpty { lines.append("  runbooks   \(scenario.runbooks.joined(separator: ", "))") }
        lines += notes.map { "  \($0)" }
        lines.append("")
        lines.append("Use it:  breakglass --sandbox            (the console; or AWS_PROFILE=\(SandboxProfile.name) breakglass)")
        lines.append("         breakglass sandbox status       breakglass sandbox seed (start over)       breakglass sandbox down")
        return lines.joined(separator: "\n")
    }
}

/// Starts the supervisor (`sandbox serve`) for `loaded` and waits until it is ready; writes the
/// configuration `--sandbox` uses and, with `profile`, the `breakglass-sandbox` profile. Refuses when a
/// sandbox runs; clears what a dead one left. `drill` tags the sandbox's own writes in its audit trail.
func bringUpSandbox(_ loaded: Scenario, path: String, wait: Duration, profile: Bool, drill: String? = nil) throws -> (SandboxRecord, [String]) {
    let paths = SandboxPaths()
    if let record = SandboxRecord.read(paths) {
        if DetachedProcess.isAlive(record.supervisorPID) {
            throw report(ValidationError("a sandbox is already running: `\(record.scenario)` on \(record.endpoint) (pid \(record.supervisorPID)); `breakglass sandbox seed` resets it, `breakglass sandbox down` stops it"))
        }
        stopSandbox(record, paths: paths)
    }
    do { try paths.ensureDirectory() } catch { throw report(error) }
    // A new sandbox starts with a state of its own: runs, grants and incidents of the last one
    // belong to a moto_server that is gone (a run left waiting there must not resume here). The
    // last one's state is kept beside it as state.previous.db.
    for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: paths.store + suffix) {
        let previous = paths.directory + "/state.previous.db" + suffix
        unlink(previous)
        rename(paths.store + suffix, previous)
    }
    FileHandle.standardError.write(Data("Starting the sandbox `\(loaded.id)` (moto_server on 127.0.0.1)…\n".utf8))
    var env = detachedEnvironment()
    env["NO_PROXY"] = "127.0.0.1,localhost"
    let executable = AccessAgentLauncher.currentExecutable()
    let line: String
    do {
        line = try DetachedProcess.spawn(
            executable: executable, arguments: [executable, "sandbox", "serve", path, "--ready-fd", "3"] + (drill.map { ["--drill", $0] } ?? []),
            environment: env, timeout: wait
        ).line
    } catch {
        throw report(ValidationError("the sandbox did not start: \(error)"))
    }
    guard line == "ready", let record = SandboxRecord.read(paths) else {
        let why = line.hasPrefix("failed ") ? String(line.dropFirst(7)).replacingOccurrences(of: "\\n", with: "\n") : line
        throw report(ValidationError("the sandbox did not start: \(why)\n(its logs are in \(paths.directory))"))
    }
    var notes: [String] = []
    do {
        try writeConfig(record: record, scenario: loaded, scenarioPath: path, paths: paths)
        if profile {
            let profilePath = SandboxProfile.configPath()
            try SandboxProfile.install(endpoint: record.endpoint, region: record.region, executable: executable, path: profilePath)
            notes.append("profile `\(SandboxProfile.name)` written to \(profilePath)")
        }
    } catch {
        stopSandbox(record, paths: paths)
        throw report(error)
    }
    return (record, notes)
}

/// Writes the configuration `--sandbox` uses.
func writeConfig(record: SandboxRecord, scenario: Scenario, scenarioPath: String, paths: SandboxPaths) throws {
    let text = SandboxConfig.yaml(record: record, scenario: scenario, scenarioPath: scenarioPath)
    try SandboxPaths.writeAtomically(Data(text.utf8), to: paths.config)
}

/// Makes this process's AWS environment the sandbox's (its endpoint, the operator's key, no shared
/// config files), so every part of breakglass that resolves AWS settings itself finds it. The key is
/// a loopback sandbox's and stays in this process's memory.
func adoptSandboxEnvironment(_ record: SandboxRecord) {
    for name in ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION"] { unsetenv(name) }
    for (name, value) in record.environment().variables { setenv(name, value, 1) }
}

/// Stops a sandbox by its pids and removes what says it runs; keeps its logs and audit trail.
func stopSandbox(_ record: SandboxRecord, paths: SandboxPaths) {
    // moto_server first: a supervisor in the middle of a turn (a fault sending hundreds of messages)
    // then fails its next call at once and sees the stop, instead of running out the grace period.
    DetachedProcess.stop(record.motoPID)
    DetachedProcess.stop(record.supervisorPID)
    try? SandboxProfile.uninstall(path: SandboxProfile.configPath())
    for file in [paths.record, paths.engine, paths.config] { try? FileManager.default.removeItem(atPath: file) }
}

struct SandboxDownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "down", abstract: "Stop the sandbox (by its pids) and remove its profile. Safe to run twice.")

    func run() throws {
        let paths = SandboxPaths()
        guard let record = SandboxRecord.read(paths) else {
            // Nothing runs; a profile left by a crash goes all the same.
            let removed = (try? SandboxProfile.uninstall(path: SandboxProfile.configPath())) ?? false
            print("no sandbox is running" + (removed ? " (removed a stale `\(SandboxProfile.name)` profile)" : ""))
            return
        }
        stopSandbox(record, paths: paths)
        print("sandbox `\(record.scenario)` stopped (moto_server pid \(record.motoPID)); its logs and audit trail stay in \(paths.directory)")
    }
}

struct SandboxSeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed", abstract: "Put the running sandbox back to the start of its scenario: resources reset, faults from the beginning.")

    func run() async throws {
        let paths = SandboxPaths()
        var record = try runningSandbox(paths)
        let scenario: Scenario
        do { scenario = try ScenarioLoader.load(path: record.scenarioFile) } catch { throw ConfigOptions.report(error) }
        do {
            let (store, journal) = try sandboxJournal(paths, what: "sandbox \(scenario.id)")
            defer { store.close() }
            let provisioner = SandboxProvisioner(client: adminClient(record, journal: journal), scenario: scenario)
            record.seed = try await provisioner.seed(existing: record.seed)
            record.epoch += 1
            record.scenario = scenario.id
            record.title = scenario.title
            try record.write(paths)
            try writeConfig(record: record, scenario: scenario, scenarioPath: record.scenarioFile, paths: paths)
        } catch {
            throw report(error)
        }
        // The engine picks the new epoch up at its next turn (every two seconds).
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline, SandboxEngineStatus.read(paths)?.epoch != record.epoch { try await Task.sleep(for: .milliseconds(200)) }
        let started = SandboxEngineStatus.read(paths)?.epoch == record.epoch
        print("sandbox `\(scenario.id)` seeded again: every resource is back to the scenario's values; "
            + (started ? "its \(scenario.faults.count) faults start over now" : "the engine has not yet picked it up (see \(paths.engineLog))"))
    }
}

struct SandboxStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "What the sandbox runs, what has been broken, and whether it has recovered.")

    @Option(help: "table or json.") var output: OutputFormat = .table

    func run() async throws {
        let paths = SandboxPaths()
        guard let record = SandboxRecord.read(paths) else {
            if output == .json { print(#"{"running":false}"#) } else { print("no sandbox is running; `breakglass sandbox up` starts one") }
            return
        }
        let alive = DetachedProcess.isAlive(record.supervisorPID) && DetachedProcess.isAlive(record.motoPID)
        let engine = SandboxEngineStatus.read(paths)
        var alarms: [(String, String)] = []
        var readError: String?
        if alive {
            do {
                let answer = try await adminClient(record).call(AWSCatalog.lookup(service: "cloudwatch", name: "DescribeAlarms"), [:], region: record.region)
                alarms = (answer.value["MetricAlarms"]?.array ?? []).compactMap { a in
                    guard let name = a["AlarmName"]?.string, let state = a["StateValue"]?.string else { return nil }
                    return (name, state)
                }
            } catch {
                readError = error.description
            }
        }
        if output == .json {
            var object: AWSObject = [
                "running": .bool(alive), "scenario": .string(record.scenario), "endpoint": .string(record.endpoint), "region": .string(record.region),
                "supervisor_pid": .int(Int(record.supervisorPID)), "moto_pid": .int(Int(record.motoPID)), "started": .string(ISO8601.format(record.started)),
                "alarms": .object(AWSObject(alarms.map { ($0.0, AWSValue.string($0.1)) })),
            ]
            if let engine {
                object["faults_applied"] = .int(engine.faultsApplied)
                object["faults_total"] = .int(engine.faultsTotal)
                object["recovered_at"] = engine.recoveredAt.map { .string(ISO8601.format($0)) } ?? .null
            }
            if let readError { object["error"] = .string(readError) }
            print(JSON.encode(.object(object)))
            return
        }
        var lines = [
            "sandbox `\(record.scenario)`: \(alive ? "running" : "NOT RUNNING (`breakglass sandbox down` cleans up)")",
            "  \(TerminalText.sanitize(record.title))",
            "  endpoint   \(record.endpoint) (moto_server pid \(record.motoPID), supervisor pid \(record.supervisorPID))",
            "  up since   \(ISO8601.format(record.started))",
        ]
        if let engine {
            lines.append("  faults     \(engine.faultsApplied) of \(engine.faultsTotal) applied")
            lines.append("  recovered  " + (engine.recoveredAt.map { "yes, at \(ISO8601.format($0))" } ?? "not yet"))
        }
        if !alarms.isEmpty {
            lines.append("  alarms")
            for (name, state) in alarms.sorted(by: { a, b in a.1 == b.1 ? a.0 < b.0 : a.1 == "ALARM" || (b.1 != "ALARM" && a.0 < b.0) }) {
                lines.append("    \(state.padding(toLength: 18, withPad: " ", startingAt: 0))\(TerminalText.sanitize(name))")
            }
        }
        if let readError { lines.append("  cannot read the alarms: \(TerminalText.sanitize(readError))") }
        if let events = engine?.events.suffix(8), !events.isEmpty {
            lines.append("  recent")
            lines += events.map { "    \(TerminalText.sanitize($0))" }
        }
        print(lines.joined(separator: "\n"))
    }
}

struct SandboxListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The scenarios there are, and the runbooks that recover each.")

    @OptionGroup var options: ScenarioOptions

    func run() throws {
        var seen = Set<String>()
        var failed = false
        for dir in options.directories {
            for id in ScenarioCatalog.ids(in: dir) where seen.insert(id).inserted {
                do {
                    let s = try ScenarioLoader.load(path: "\(dir)/\(id).yaml")
                    print("\(s.id.padding(toLength: 20, withPad: " ", startingAt: 0)) \(TerminalText.sanitize(s.title))")
                    if !s.runbooks.isEmpty { print("\(String(repeating: " ", count: 21))recovered by: \(s.runbooks.joined(separator: ", "))") }
                } catch {
                    failed = true
                    _ = ConfigOptions.report(error)
                }
            }
        }
        if seen.isEmpty { print("no scenarios in \(options.directories.joined(separator: ", "))") }
        if failed { throw ExitCode(2) }
    }
}

/// `credential_process` of the `breakglass-sandbox` profile.
struct SandboxCredentialsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credentials", abstract: "Print the sandbox operator's key as credential_process JSON.", shouldDisplay: false)

    @Flag(help: "The sandbox administrator's key instead.") var admin = false

    func run() throws {
        guard let record = SandboxRecord.read(SandboxPaths()) else {
            FileHandle.standardError.write(Data("breakglass: error: no sandbox is running; start one with `breakglass sandbox up`\n".utf8))
            throw ExitCode(1)
        }
        let c = admin ? record.adminCredentials : (record.seed.operatorCredentials ?? record.adminCredentials)
        print(JSON.encode(["Version": 1, "AccessKeyId": .string(c.accessKeyID), "SecretAccessKey": .string(c.secretAccessKey)]))
    }
}

/// Set by SIGTERM/SIGINT in the supervisor.
private let sandboxStop = Atomic<Bool>(false)

/// The sandbox's supervisor, started detached by `sandbox up`: owns moto_server, seeds the scenario,
/// then runs its engine until SIGTERM, when it stops moto_server and exits.
struct SandboxServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run a sandbox in the foreground (started by sandbox up).", shouldDisplay: false)

    @Argument(help: "The scenario file.") var scenario: String
    @Option(help: "A descriptor to write \"ready\" (or \"failed REASON\") to.") var readyFd: Int32?
    @Option(help: "The drill this sandbox runs for: its writes are tagged with it in the audit trail.") var drill: String?

    func run() async throws {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGHUP, SIG_IGN)
        signal(SIGTERM) { _ in sandboxStop.store(true, ordering: .relaxed) }
        signal(SIGINT) { _ in sandboxStop.store(true, ordering: .relaxed) }
        let paths = SandboxPaths()
        let loaded: Scenario
        do { loaded = try ScenarioLoader.load(path: scenario) } catch {
            tell("failed " + error.errors.map(\.description).joined(separator: "\\n"))
            throw ExitCode(2)
        }
        let server: LocalAWSServer
        let gateway: SandboxGateway
        let store: Store
        var record: SandboxRecord
        do {
            let (s, journal) = try sandboxJournal(paths, what: drill ?? "sandbox \(loaded.id)")
            store = s
            server = try await LocalAWSServer.start(logDirectory: paths.directory, journal: journal)
            do {
                gateway = try SandboxGateway(upstreamPort: server.port)
                let provisioner = SandboxProvisioner(client: server.client(), scenario: loaded, gateway: gateway)
                let seed = try await provisioner.seed()
                record = SandboxRecord(server: server, gateway: gateway, scenario: loaded, file: scenario, seed: seed)
                try record.write(paths)
            } catch {
                server.stop()
                throw error
            }
        } catch {
            tell("failed " + String(describing: error).replacingOccurrences(of: "\n", with: "\\n"))
            throw ExitCode(1)
        }
        defer {
            gateway.stop()
            server.stop()
            store.close()
        }
        let status = SandboxEngineStatus.starting(epoch: record.epoch, scenario: loaded, at: record.started)
        try? status.write(paths)
        let watch = startWatching(record: record, scenario: loaded, client: server.client(), store: store, paths: paths)
        tell("ready")
        await serve(record: record, scenario: loaded, client: server.client(), gateway: gateway, paths: paths, status: status)
        await watch?.value
    }

    /// The watch daemon on the sandbox's own state, as `breakglass watch --sandbox` would run it:
    /// incidents open, escalate and page (to consoles attached to that state) as in production.
    /// Its log is `watch.log` beside the engine's. Nil, with the reason in the engine's log, when it
    /// cannot start (another daemon holds the state's lease, say).
    func startWatching(record: SandboxRecord, scenario: Scenario, client: AWSClient, store: Store, paths: SandboxPaths) -> Task<Void, Never>? {
        let log = DemoPaging.logFile(paths.engineLog)
        do {
            let text = SandboxConfig.yaml(record: record, scenario: scenario, scenarioPath: self.scenario)
            let config = try ConfigLoader.parse(text, file: "sandbox (built in)")
            let incidents = IncidentStore(log: AuditLog(store: store))
            DemoPaging.resolveEarlierRuns(incidents, config: config)
            let daemon = try DemoPaging.daemon(
                client: client, store: store, incidents: incidents, config: config, region: scenario.region, logFile: paths.directory + "/watch.log",
                actor: "sandbox watch")
            return Task { await daemon.run { sandboxStop.load(ordering: .relaxed) } }
        } catch {
            log?.write(Data("\(ISO8601.format(Date())) the watch daemon did not start: \(error)\n".utf8))
            return nil
        }
    }

    /// Turns the engine every two seconds (sooner when a fault is due) until told to stop; starts
    /// over when `sandbox seed` raises the record's epoch.
    func serve(record: SandboxRecord, scenario: Scenario, client: AWSClient, gateway: SandboxGateway, paths: SandboxPaths, status: SandboxEngineStatus) async {
        let log = DemoPaging.logFile(paths.engineLog)
        var current = record
        var scenario = scenario
        var engine = SandboxEngine(provisioner: SandboxProvisioner(client: client, scenario: scenario, gateway: gateway), seed: record.seed)
        var start = ContinuousClock.now
        var status = status
        while !sandboxStop.load(ordering: .relaxed) {
            if let latest = SandboxRecord.read(paths), latest.epoch != current.epoch {
                current = latest
                if let reloaded = try? ScenarioLoader.load(path: latest.scenarioFile) { scenario = reloaded }
                gateway.reset()
                engine = SandboxEngine(provisioner: SandboxProvisioner(client: client, scenario: scenario, gateway: gateway), seed: latest.seed)
                start = ContinuousClock.now
                status = SandboxEngineStatus.starting(epoch: latest.epoch, scenario: scenario, at: Date(), events: status.events)
                status.events.append("\(ISO8601.format(Date())) seeded again: the scenario starts over")
                try? status.write(paths)
            }
            status = await Self.turnAndRest(engine, elapsed: ContinuousClock.now - start, status: status, paths: paths, log: log)
        }
    }

    /// One turn of `engine`, then up to two seconds' rest (cut short by `stop`). Each event is
    /// logged and the status written as it happens: a drill's watcher sees an alarm go red while
    /// the same turn is still filling a queue. The status after the turn. The sandbox's supervisor
    /// and a staging drill's engine both run on it.
    static func turnAndRest(
        _ engine: SandboxEngine, elapsed: Duration, status: SandboxEngineStatus, paths: SandboxPaths, log: FileHandle?,
        stop: @escaping @Sendable () -> Bool = { sandboxStop.load(ordering: .relaxed) }
    ) async -> SandboxEngineStatus {
        let shared = Mutex(status)
        _ = await turn(engine, elapsed: elapsed, stop: stop) { event in
            let now = Date()
            log?.write(Data("\(ISO8601.format(now)) \(event)\n".utf8))
            shared.withLock { s in
                s.record([event], at: now)
                try? s.write(paths)
            }
        }
        for _ in 0..<20 where !stop() {
            try? await Task.sleep(for: .milliseconds(100))
        }
        return shared.withLock { $0 }
    }

    /// One turn of the engine, cancelled when the supervisor is told to stop: `sandbox down` stops
    /// moto_server first, and a turn's reads would otherwise retry against it with backoff until the
    /// grace period runs out and the supervisor is killed before it cleans up.
    static func turn(
        _ engine: SandboxEngine, elapsed: Duration, stop: @escaping @Sendable () -> Bool = { sandboxStop.load(ordering: .relaxed) },
        progress: @escaping @Sendable (SandboxEvent) -> Void
    ) async -> [SandboxEvent] {
        let work = Task { await engine.turn(elapsed: elapsed, progress: progress) }
        let watcher = Task {
            while !Task.isCancelled {
                if stop() {
                    work.cancel()
                    return
                }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        let events = await work.value
        watcher.cancel()
        return events
    }

    func tell(_ line: String) { tellReady(readyFd, line) }
}

/// Writes a detached child's one line to its parent (`ready`, or `failed REASON`) on `fd`, and
/// closes it: what `DetachedProcess.spawn` waits for.
func tellReady(_ fd: Int32?, _ line: String) {
    guard let fd, fd >= 0 else { return }
    _ = (line + "\n").withCString { write(fd, $0, strlen($0)) }
    close(fd)
}

/// The environment a detached child (the sandbox's supervisor, a staging drill's engine) gets from
/// this process: the basics of a login and the state folder, plus `extra` names when set; nothing else.
func detachedEnvironment(adding extra: [String] = []) -> [String: String] {
    var env: [String: String] = [:]
    let mine = ProcessInfo.processInfo.environment
    for key in ["PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "USER", "LOGNAME", "XDG_STATE_HOME", "TMPDIR"] + extra { env[key] = mine[key] }
    return env
}
