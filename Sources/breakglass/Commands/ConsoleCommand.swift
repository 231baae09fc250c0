import ArgumentParser
import BreakglassAWS
import BreakglassCore
import BreakglassTUI
import Foundation

struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Open the console on live CloudWatch alarms (the default command).",
        discussion: """
            Keys: j/k or arrows move, g/G top/bottom, PgUp/PgDn page, R refresh now, q quit. \
            Alarms refresh in the background every --interval seconds; the keyboard never waits \
            for the network. Pages the watch daemon writes into the state file (--state) show in a \
            banner and ring the bell: a acknowledges the paged incident, Esc dismisses the banner. \
            Needs a UTF-8 locale and a real terminal (80×24 or larger); set NO_COLOR=1 for \
            monochrome.
            """)

    @OptionGroup var aws: AWSOptions
    @OptionGroup var state: StoreOptions

    @Option(help: "Seconds between background refreshes of the alarm list.")
    var interval: Double = 15

    func validate() throws {
        guard interval >= 1, interval <= 3600 else { throw ValidationError("--interval must be between 1 and 3600 seconds") }
    }

    func run() async throws {
        let client: AWSClient
        let regions: [String]
        let config: BreakglassConfig
        do {
            config = try aws.loadConfig()
            let env = try aws.environment()
            regions = try aws.resolveRegions(env)
            client = try await aws.client(env)
        } catch {
            throw report(error)
        }
        let identity = ConsoleIdentity.describe(client.credentials, endpoint: try? client.endpoints.endpoint(for: .cloudwatch, region: regions[0]))
        let pages = consolePages(state, config: config)
        let status = await openConsole(client: client, regions: regions, identity: identity, interval: interval, pages: pages)
        if status != 0 { throw ExitCode(status) }
    }
}

/// Runs the console's main loop on alarms fetched through `client` and returns its exit status. The
/// loop blocks in poll(2) for the whole session, so it gets a thread of its own: the two threads of
/// Swift's cooperative pool (on these 2-core machines) stay free for the network work it starts.
func openConsole(client: AWSClient, regions: [String], identity: String, interval: Double, pages: ConsolePages) async -> Int32 {
    let fetcher = AlarmFetcher(client: client)
    let options = ConsoleOptions(identity: identity, regions: regions, refreshInterval: interval)
    let dependencies = ConsoleDependencies(
        fetchAlarms: { try await fetcher.list(regions: regions) },
        pages: pages,
        now: { Date() })
    return await withCheckedContinuation { continuation in
        let thread = Thread {
            continuation.resume(returning: runConsole(options: options, dependencies: dependencies))
        }
        thread.name = "console"
        thread.start()
    }
}

/// The console's page feed on the state file `state` names: the pages the watch daemon writes
/// there, and acknowledging as this OS user under `config` (for the acknowledgement's notices; an
/// incident whose plan is not in it can still be acknowledged). When the file cannot be opened the
/// console still shows alarms, and says why pages are off.
func consolePages(_ state: StoreOptions, config: BreakglassConfig) -> ConsolePages {
    let store: Store
    do {
        store = try state.open()
    } catch {
        return .unavailable(reason: error.description)
    }
    return .source(consolePageSource(ConsolePageFeed(incidents: IncidentStore(log: AuditLog(store: store))), config: config))
}

/// The console's page source on `feed`: acknowledging as this OS user under `config`.
func consolePageSource(_ feed: ConsolePageFeed, config: BreakglassConfig) -> ConsolePageSource {
    let actor = AuditActor.current()
    return ConsolePageSource(
        start: { try feed.start() },
        poll: { try feed.pages(after: $0) },
        acknowledge: { try feed.acknowledge($0, config: config, actor: actor, now: Date()) })
}

enum ConsoleIdentity {
    /// What the top bar says about who we are: the key and where it came from, and the endpoint when
    /// it is not AWS's own (so nobody mistakes a sandbox for production, or the reverse).
    static func describe(_ credentials: AWSCredentials, endpoint: Endpoint?) -> String {
        var text = shortKey(credentials.accessKeyID)
        if let endpoint, endpoint.isCustom { text += " @ \(endpoint.host)\(endpoint.port.map { ":\($0)" } ?? "")" }
        return text
    }

    /// "AKIA…COMX": how the AWS console abbreviates access keys; the full id is not secret, only long.
    static func shortKey(_ id: String) -> String {
        id.count > 12 ? "\(id.prefix(4))…\(id.suffix(4))" : id
    }
}
