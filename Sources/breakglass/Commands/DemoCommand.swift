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
            holiday-sale incident's alarms through Breakglass's own AWS client — payment latency, the \
            order queue backing up, the database overloaded — and opens the console on them. More \
            alarms fire while you watch, and a built-in escalation plan opens incidents on them and \
            pages the console (press a to acknowledge). Quitting stops the server; its log and the \
            demo's own state file are kept under the state folder ($XDG_STATE_HOME/breakglass/demo).
            """)

    @Option(help: "Seconds between background refreshes of the alarm list.")
    var interval: Double = 3

    @Option(
        name: .customLong("state"),
        help: ArgumentHelp(
            "State database for the demo's incidents, pages and sandbox audit trail. Default: the demo's own, $XDG_STATE_HOME/breakglass/demo/state.db, never the real one.",
            valueName: "file"))
    var statePath: String?

    func validate() throws {
        guard interval >= 1, interval <= 3600 else { throw ValidationError("--interval must be between 1 and 3600 seconds") }
    }

    func run() async throws {
        let logs = StatePaths.current().directory + "/demo"
        FileHandle.standardError.write(Data("Starting the local sandbox (moto_server on 127.0.0.1)…\n".utf8))
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
        let env = AWSEnvironment(variables: ["AWS_ENDPOINT_URL": server.endpointURL, "HOME": "/nonexistent"])
        let client = AWSClient(
            credentials: server.adminCredentials, endpoints: EndpointResolver(environment: env), transport: CurlTransport(),
            journal: server.journal)
        let regions = ["us-east-1", "eu-west-1"]
        do {
            try await DemoSeed.apply(client: client, region: "us-east-1")
            try await DemoSeed.apply(DemoSeed.otherRegion, client: client, region: "eu-west-1")
        } catch {
            throw report(error)
        }
        // The incident spreads while the console is open, so the live refresh has something to show.
        let timeline = Task {
            for step in DemoSeed.timeline {
                try await Task.sleep(for: .seconds(step.after))
                try? await DemoSeed.setState(step.alarm, step.state, reason: step.reason, client: client, region: "us-east-1")
            }
        }
        defer { timeline.cancel() }
        let config: BreakglassConfig
        do {
            config = try ConfigLoader.parse(DemoPaging.configYAML, file: "demo (built in)")
        } catch {
            throw report(error)
        }
        let incidents = IncidentStore(log: AuditLog(store: store))
        DemoPaging.resolveEarlierRuns(incidents, config: config)
        // The real watch daemon, in this process, on the demo's own state: its log goes to a file
        // beside the sandbox's so it never writes over the console.
        let daemon: WatchDaemon
        do {
            daemon = try DemoPaging.daemon(client: client, store: store, incidents: incidents, config: config, logFile: logs + "/watch.log")
        } catch {
            throw report(error)
        }
        let stopWatching = Mutex(false)
        let watch = Task {
            // Start once the console is open: it shows pages written after it starts.
            guard (try? await Task.sleep(for: .seconds(4))) != nil else { return }
            await daemon.run { stopWatching.withLock { $0 } || Task.isCancelled }
        }
        defer { watch.cancel() }
        let pages = ConsolePages.source(consolePageSource(ConsolePageFeed(incidents: incidents), config: config))
        let identity = "sandbox 127.0.0.1:\(server.port)"
        let wiring = ConsoleWiring(
            client: client, regions: regions, identity: identity, interval: interval, config: config, store: store,
            storePath: statePath ?? logs + "/state.db", pages: pages, guided: false, contact: nil, look: ConsoleLook())
        let status = await openConsole(wiring)
        timeline.cancel()
        stopWatching.withLock { $0 = true }
        await watch.value
        server.stop()
        if status != 0 { throw ExitCode(status) }
    }
}

/// The demo's paging: a built-in escalation plan that the real watch daemon drives on the sandbox's
/// alarms, so the console's page banner has pages.
enum DemoPaging {
    static let configYAML = """
        contacts:
          primary: { name: "Primary on-call" }
          secondary: { name: "Secondary on-call" }
        escalation:
          demo:
            stages:
              - { notify: [primary], wait: 1m }
              - { notify: [secondary], wait: 2m }
        response:
          - match: { alarm: "prod-payments-*" }
            severity: 1
            escalation: demo
          - match: { alarm: "prod-api-*" }
            severity: 2
            escalation: demo
        """

    /// Resolves incidents an earlier demo left open (only those on the demo's own plan), so this
    /// run's alarms open new ones and page again rather than joining them.
    static func resolveEarlierRuns(_ incidents: IncidentStore, config: BreakglassConfig) {
        let actor = AuditActor(user: "demo watch")
        for incident in (try? incidents.list()) ?? [] where incident.plan == "demo" {
            _ = try? incidents.act(incident.id, .resolve(by: "demo (a new run started)"), config: config, actor: actor, now: Date())
        }
    }

    /// `breakglass watch` on the sandbox: console pages only (the demo's contacts have no other
    /// channel), a short poll interval so the incident opens soon after its alarm fires.
    static func daemon(client: AWSClient, store: Store, incidents: IncidentStore, config: BreakglassConfig, logFile: String) throws -> WatchDaemon {
        FileManager.default.createFile(atPath: logFile, contents: nil, attributes: [.posixPermissions: 0o600])
        let log = FileHandle(forWritingAtPath: logFile)
        log?.seekToEndOfFile()
        return try WatchDaemon(
            config: config, incidents: incidents, lease: WatchLease(store: store, period: 10),
            settings: WatchSettings(regions: ["us-east-1"], interval: 5), source: AlarmFetcher(client: client),
            sender: { _ in ChannelSender(aws: nil, http: client.transport, environment: [:], smsRegion: nil) },
            actor: AuditActor(user: "demo watch"),
            log: { line in log?.write(Data("\(ISO8601.format(Date())) \(line)\n".utf8)) })
    }
}
