import ArgumentParser
import BreakglassAWS
import BreakglassCore
import Foundation
import Synchronization

/// `breakglass watch`: the daemon that polls alarms, opens incidents, escalates and pages.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Poll alarms, open incidents, escalate and page (the daemon; runs in the foreground).",
        discussion: """
            Polls DescribeAlarms in every region (--region, else the config's aws.regions), opens an \
            incident when an alarm matching a response rule enters ALARM, and pages that rule's \
            escalation plan stage by stage until someone runs `breakglass ack ID`. Logs to stderr. \
            Several may run on one state file: one holds the lease and pages, the others stand by and \
            take over within one lease period if it dies. SIGTERM or SIGINT stops it cleanly (exit 0); \
            a second signal exits at once. A systemd unit is in docs/breakglass-watch.service.
            """)

    @OptionGroup var aws: AWSOptions
    @OptionGroup var store: StoreOptions

    @Option(help: "Seconds between polls of each region while they succeed (failures back off up to 5 minutes).")
    var interval: Double = 15

    @Option(help: ArgumentHelp("How long the lease lasts without renewal; a standby takes over within it.", valueName: "duration"))
    var lease: String = "30s"

    @Option(help: ArgumentHelp("Wait before retrying a failed delivery; it doubles per attempt, up to 5 minutes.", valueName: "duration"))
    var pageRetry: String = "5s"

    @Option(help: "Delivery attempts per page, the first included.")
    var pageAttempts: Int = 6

    func validate() throws {
        guard interval >= 1, interval <= 3600 else { throw ValidationError("--interval must be between 1 and 3600 seconds") }
        guard let l = DurationSyntax.parse(lease), l >= .seconds(2), l <= .seconds(3600) else {
            throw ValidationError("--lease must be a duration between 2s and 1h, like 30s")
        }
        guard let r = DurationSyntax.parse(pageRetry), r >= .milliseconds(100), r <= .seconds(300) else {
            throw ValidationError("--page-retry must be a duration between 100ms and 5m, like 5s")
        }
        guard (1...20).contains(pageAttempts) else { throw ValidationError("--page-attempts must be between 1 and 20") }
    }

    func run() async throws {
        let config = try aws.loadConfig()
        if config.response.isEmpty {
            FileHandle.standardError.write(Data(
                "breakglass: warning: the configuration has no response rules, so no alarm opens an incident; see docs/CONFIG.md\n".utf8))
        }
        let state: Store
        let client: AWSClient
        let regions: [String]
        do {
            state = try store.open()
            let env = try aws.environment()
            regions = try aws.resolveRegions(env)
            client = try await aws.client(env)
        } catch {
            throw report(error)
        }
        let log = AuditLog(store: state)
        let actor = AuditActor.current()
        let journal = AuditJournal(log: log, actor: actor)
        let environment = ProcessInfo.processInfo.environment
        let smsRegion = config.aws.regions.first ?? regions.first
        let http = client.transport
        let settings = WatchSettings(
            regions: regions, interval: interval,
            retry: PageRetryPolicy(attempts: pageAttempts, base: (DurationSyntax.parse(pageRetry) ?? .seconds(5)).timeInterval))
        let daemon: WatchDaemon
        do {
            daemon = try WatchDaemon(
                config: config, incidents: IncidentStore(log: log), lease: WatchLease(store: state, period: (DurationSyntax.parse(lease) ?? .seconds(30)).timeInterval),
                settings: settings, source: AlarmFetcher(client: client),
                sender: { page in
                    // Each page's SNS Publish is journaled under its incident.
                    let scoped = client.journaled(journal.with(context: AuditContext(incident: String(page.incident))))
                    // A stalled webhook must not sit on a page for the AWS client's 30 s.
                    return ChannelSender(
                        aws: scoped, http: http, environment: environment, smsRegion: smsRegion, timeouts: HTTPTimeouts(connect: 3, total: 10))
                },
                actor: actor, log: Self.log)
        } catch {
            throw report(error)
        }

        let signals = Mutex<Int>(0)
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                let count = signals.withLock { n -> Int in
                    n += 1
                    return n
                }
                if count > 1 { Foundation.exit(0) }
                Self.log("received \(sig == SIGTERM ? "SIGTERM" : "SIGINT"); stopping")
            }
            source.resume()
            sources.append(source)
        }
        await daemon.run { signals.withLock { $0 > 0 } }
        for source in sources { source.cancel() }
    }

    /// One line per event on stderr, timestamped (journald adds its own, but a terminal does not).
    @Sendable static func log(_ line: String) {
        FileHandle.standardError.write(Data("\(ISO8601.format(Date())) breakglass watch: \(line)\n".utf8))
    }
}
