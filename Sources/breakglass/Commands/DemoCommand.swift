import ArgumentParser
import BreakglassAWS
import BreakglassCore
import BreakglassTUI
import Foundation
import Synchronization

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Open the console on a local sandbox with a live incident. Needs moto_server; touches no real AWS.",
        discussion: """
            Starts moto_server on 127.0.0.1 (a free port, signature and IAM checks on), creates the \
            scenario's resources through Breakglass's own AWS client — by default the holiday-sale \
            incident: payment latency, the order queue backing up, the database overloaded — and opens \
            the console on them as the scenario's read-only on-call user. The scenario's faults unfold \
            while you watch, the real watch daemon opens an incident and escalates it, and a short tour \
            shows the keys. Break-glass access works as on AWS (any six digits pass as the MFA code); \
            running the suggested runbook recovers the sandbox. Quitting stops the server; its log and the \
            demo's own state file are kept under the state folder ($XDG_STATE_HOME/breakglass/demo).
            """)

    @Argument(help: "The scenario: an id from the scenarios folder, or a file. Default: holiday-sale.")
    var scenario: String = ScenarioCatalog.defaultID

    @OptionGroup var scenarios: ScenarioOptions

    @Option(help: "Seconds between background refreshes of the alarm list.")
    var interval: Double = 3

    @Option(
        name: .customLong("state"),
        help: ArgumentHelp(
            "State database for the demo's incidents, pages and sandbox audit trail. Default: the demo's own, $XDG_STATE_HOME/breakglass/demo/state.db, never the real one.",
            valueName: "file"))
    var statePath: String?

    @Flag(help: "Skip the on-screen tour of the keys.")
    var noTour = false

    func validate() throws {
        guard interval >= 1, interval <= 3600 else { throw ValidationError("--interval must be between 1 and 3600 seconds") }
    }

    func run() async throws {
        let logs = StatePaths.current().directory + "/demo"
        let (loaded, scenarioPath) = try scenarios.load(scenario)
        FileHandle.standardError.write(Data("Starting the local sandbox `\(loaded.id)` (moto_server on 127.0.0.1)…\n".utf8))
        let server: LocalAWSServer
        let store: Store
        do {
            try StatePaths.current().ensureDirectory()
            // The sandbox's writes go to an audit trail of its own, not the operator's real one.
            store = try Store.open(path: statePath ?? logs + "/state.db")
            let journal = AuditJournal(log: AuditLog(store: store), actor: AuditActor.current(), context: AuditContext(drill: "demo"))
            server = try await LocalAWSServer.start(logDirectory: logs, journal: journal)
        } catch {
            throw report(error)
        }
        defer { server.stop() }
        let gateway: SandboxGateway
        do { gateway = try SandboxGateway(upstreamPort: server.port) } catch { throw report(error) }
        defer { gateway.stop() }
        let admin = server.client()
        let provisioner = SandboxProvisioner(client: admin, scenario: loaded, gateway: gateway)
        let seed: SandboxSeed
        do {
            seed = try await provisioner.seed()
        } catch {
            throw report(error)
        }
        let record = SandboxRecord(server: server, gateway: gateway, scenario: loaded, file: scenarioPath, seed: seed)
        let config: BreakglassConfig
        do {
            let text = SandboxConfig.yaml(record: record, scenario: loaded, scenarioPath: scenarioPath)
            config = try ConfigLoader.parse(text, file: "demo (built in)")
        } catch {
            throw report(error)
        }
        // The console's parts that resolve AWS settings themselves (access, runbook runs) find the
        // sandbox as the scenario's on-call user: the same environment `--sandbox` sets.
        unsetenv("BREAKGLASS_CONFIG")
        adoptSandboxEnvironment(record)
        let operatorCredentials = seed.operatorCredentials ?? server.adminCredentials
        let client = AWSClient(
            credentials: operatorCredentials, endpoints: EndpointResolver(environment: record.environment()), transport: CurlTransport(),
            journal: server.journal)

        // The scenario unfolds while the console is open: faults on schedule, alarms clearing once fixed.
        let engine = SandboxEngine(provisioner: provisioner, seed: seed)
        let stopEngine = Mutex(false)
        let engineLog = DemoPaging.logFile(logs + "/engine.log")
        let started = ContinuousClock.now
        let engineTask = Task {
            await engine.run(
                elapsed: { ContinuousClock.now - started }, sleep: { try await Task.sleep(for: $0) },
                log: { event in engineLog?.write(Data("\(ISO8601.format(Date())) \(event)\n".utf8)) },
                stop: { stopEngine.withLock { $0 } })
        }
        let incidents = IncidentStore(log: AuditLog(store: store))
        DemoPaging.resolveEarlierRuns(incidents, config: config)
        // The real watch daemon, in this process, on the demo's own state: its log goes to a file
        // beside the sandbox's so it never writes over the console.
        let daemon: WatchDaemon
        do {
            daemon = try DemoPaging.daemon(client: admin, store: store, incidents: incidents, config: config, region: loaded.region, logFile: logs + "/watch.log")
        } catch {
            throw report(error)
        }
        let stopWatching = Mutex(false)
        let watch = Task {
            await daemon.run { stopWatching.withLock { $0 } || Task.isCancelled }
        }
        let pages = ConsolePages.source(consolePageSource(ConsolePageFeed(incidents: incidents), config: config))
        let identity = "\(seed.operatorName ?? "admin") @ sandbox 127.0.0.1:\(gateway.port)"
        let look = ConsoleLook()
        var wiring = ConsoleWiring(
            client: client, regions: [loaded.region], identity: identity, interval: interval, config: config, store: store,
            storePath: statePath ?? logs + "/state.db", pages: pages, guided: false, contact: nil, look: look)
        if !noTour { wiring.tour = ConsoleTour.sandbox(keymap: look.keymap) }
        let status = await openConsole(wiring)
        stopEngine.withLock { $0 = true }
        stopWatching.withLock { $0 = true }
        engineTask.cancel()
        await engineTask.value
        await watch.value
        server.stop()
        if status != 0 { throw ExitCode(status) }
    }
}

/// The demo's paging: a built-in escalation plan that the real watch daemon drives on the sandbox's
/// alarms, so the console's page banner has pages.
enum DemoPaging {
    /// Resolves incidents an earlier demo left open (only those on the demo's own plan), so this
    /// run's alarms open new ones and page again rather than joining them.
    static func resolveEarlierRuns(_ incidents: IncidentStore, config: BreakglassConfig) {
        let actor = AuditActor(user: "demo watch")
        for incident in (try? incidents.list()) ?? [] where incident.plan == "sandbox" || incident.plan == "demo" {
            _ = try? incidents.act(incident.id, .resolve(by: "demo (a new run started)"), config: config, actor: actor, now: Date())
        }
    }

    /// `breakglass watch` on the sandbox: console pages only (the demo's contacts have no other
    /// channel), a short poll interval so the incident opens soon after its alarm fires.
    static func daemon(
        client: AWSClient, store: Store, incidents: IncidentStore, config: BreakglassConfig, region: String, logFile: String, actor: String = "demo watch"
    ) throws -> WatchDaemon {
        let log = Self.logFile(logFile)
        return try WatchDaemon(
            config: config, incidents: incidents, lease: WatchLease(store: store, period: 10),
            settings: WatchSettings(regions: [region], interval: 5), source: AlarmFetcher(client: client),
            sender: { _ in ChannelSender(aws: nil, http: client.transport, environment: [:], smsRegion: nil) },
            actor: AuditActor(user: actor),
            log: { line in log?.write(Data("\(ISO8601.format(Date())) \(line)\n".utf8)) })
    }

    /// A log file (0600) opened for appending.
    static func logFile(_ path: String) -> FileHandle? {
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        let handle = FileHandle(forWritingAtPath: path)
        handle?.seekToEndOfFile()
        return handle
    }
}
