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

    @Flag(help: "Guided mode: one runbook step per screen in plain words, for whoever is not an engineer.")
    var guided = false

    @Option(name: .customLong("as"), help: "Who is at the console: a contact id from the configuration. A contact with `audience: backup` gets guided mode.")
    var contact: String?

    @Option(help: "A theme: a name from themes/ (default, high-contrast, monochrome, colorblind) or a theme file.")
    var theme: String?

    @Option(name: .customLong("runbook"), help: "Open the console on this runbook (in guided mode, the runbook to follow).")
    var runbookID: String?

    @Option(help: "The incident the runbook is for: its run is recorded under it, and guided mode's \"I need help\" escalates it.")
    var incident: Int64?

    func validate() throws {
        guard interval >= 1, interval <= 3600 else { throw ValidationError("--interval must be between 1 and 3600 seconds") }
    }

    func run() async throws {
        // Before the console's threads start: two malloc arenas, not up to sixteen, so the lists
        // each refresh decodes and frees leave fewer partly used pages behind (see FreedMemory).
        FreedMemory.limitArenas(to: 2)
        let client: AWSClient
        let regions: [String]
        let config: BreakglassConfig
        do {
            let loaded = try aws.config.load()
            var found = loaded.config
            // Runbook access roles are linted against a configuration file only when one was found.
            if let file = loaded.found { found.file = file.displayPath }
            config = found
            let env = try aws.environment()
            regions = try aws.resolveRegions(env)
            client = try await aws.client(env)
        } catch {
            throw report(error)
        }
        let identity = ConsoleIdentity.describe(client.credentials, endpoint: try? client.endpoints.endpoint(for: .cloudwatch, region: regions[0]))
        let guidedMode: Bool
        let look: ConsoleLook
        do {
            guidedMode = try ConsoleWiring.guided(flag: guided, contact: contact, config: config)
            look = try ConsoleLook.resolve(theme: theme, config: config)
        } catch {
            throw report(error)
        }
        let store: Store?
        let pages: ConsolePages
        do {
            let opened = try state.open()
            store = opened
            pages = .source(consolePageSource(ConsolePageFeed(incidents: IncidentStore(log: AuditLog(store: opened))), config: config))
        } catch {
            store = nil
            pages = .unavailable(reason: error.description)
        }
        let wiring = ConsoleWiring(
            client: client, regions: regions, identity: identity, interval: interval, config: config, store: store,
            storePath: state.path, pages: pages, guided: guidedMode, contact: contact, look: look, runbook: runbookID, incident: incident,
            profile: aws.profile)
        let status = await openConsole(wiring)
        if status != 0 { throw ExitCode(status) }
    }
}

/// Everything the console's screens are wired to, decided by the command that opens it.
struct ConsoleWiring: Sendable {
    var client: AWSClient
    var regions: [String]
    var identity: String
    var interval: Double
    var config: BreakglassConfig
    /// The shared state file; nil when it could not be opened (pages say why; the screens that need
    /// it say they are off).
    var store: Store?
    var storePath: String
    var pages: ConsolePages
    var guided: Bool
    /// The contact id at the console (`--as`), if given.
    var contact: String?
    var look: ConsoleLook
    /// The runbook to open first (`--runbook`), and the incident it is for (`--incident`).
    var runbook: String? = nil
    var incident: Int64? = nil
    /// The shared-config profile named with `--profile`: the access screen looks up a role's MFA
    /// device (`mfa_serial`) in it, as `breakglass access request --profile` does. Nil: the
    /// configuration's `aws.profile`, then AWS_PROFILE, then "default".
    var profile: String? = nil
    /// A tour of the keys shown when the console opens (`breakglass demo`).
    var tour: [TourPage] = []

    /// Guided mode with --guided, with `console.guided: true` in the configuration, or when the
    /// contact named by --as has `audience: backup`.
    static func guided(flag: Bool, contact: String?, config: BreakglassConfig) throws -> Bool {
        let flag = flag || config.console.guided
        guard let contact else { return flag }
        guard let found = config.contacts.first(where: { $0.id == contact }) else {
            let ids = config.contacts.map(\.id)
            if ids.isEmpty { throw ValidationError("--as \(contact): the configuration has no contacts") }
            throw ValidationError("--as \(contact): no such contact; the contacts are " + ids.joined(separator: ", "))
        }
        return flag || found.audience == .backup
    }
}

/// Runs the console's main loop on alarms fetched through `client` and returns its exit status. The
/// loop blocks in poll(2) for the whole session, so it gets a thread of its own: the two threads of
/// Swift's cooperative pool (on these 2-core machines) stay free for the network work it starts.
func openConsole(_ wiring: ConsoleWiring) async -> Int32 {
    let fetcher = AlarmRefresher(AlarmFetcher(client: wiring.client))
    let regions = wiring.regions
    var configured = ConsoleOptions(
        identity: wiring.identity, regions: regions, refreshInterval: wiring.interval, theme: wiring.look.theme,
        colorPolicy: wiring.look.colorPolicy, keymap: wiring.look.keymap, guided: wiring.guided)
    configured.tour = wiring.tour
    let options = configured
    let runbooks = consoleRunbookSource(wiring)
    let dependencies = ConsoleDependencies(
        fetchAlarms: { try await fetcher.list(regions: regions) },
        pages: wiring.pages,
        now: { Date() },
        metrics: consoleMetricSource(wiring),
        incidents: consoleIncidentsSource(wiring),
        runbooks: runbooks,
        access: consoleAccessSource(wiring),
        audit: consoleAuditSource(wiring))
    let status = await withCheckedContinuation { continuation in
        let thread = Thread {
            continuation.resume(returning: runConsole(options: options, dependencies: dependencies))
        }
        thread.name = "console"
        thread.start()
    }
    // A run waiting for the person is stored to resume later, not cut off mid-write.
    await runbooks?.finish()
    return status
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
