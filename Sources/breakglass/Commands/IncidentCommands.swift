import ArgumentParser
import BreakglassAWS
import BreakglassCore
import Foundation

/// What every incident command needs: the configuration (escalation plans and contact names) and
/// the incidents in the state database, which any number of processes share with the watch daemon.
struct IncidentSession {
    let config: BreakglassConfig
    /// Nil when there is no state database yet: nothing has been recorded.
    let incidents: IncidentStore?
    let statePath: String

    /// Loads the configuration (a broken one prints file:line:column and exits 2) and opens the
    /// state database if it exists; never creates one.
    static func open(config: ConfigOptions, store: StoreOptions) throws -> IncidentSession {
        let loaded = try config.load()
        guard FileManager.default.fileExists(atPath: store.path) else {
            return IncidentSession(config: loaded.config, incidents: nil, statePath: store.path)
        }
        let opened: Store
        do { opened = try store.open() } catch { throw report(error) }
        return IncidentSession(config: loaded.config, incidents: IncidentStore(log: AuditLog(store: opened)), statePath: store.path)
    }

    /// The daemon holding the watch lease on this state at `now`, if any.
    func watch(now: Date) -> WatchStatus? {
        // `live` only reads the lease; the period is the one a daemon would take it for.
        guard let incidents, let live = try? WatchLease(store: incidents.store, period: 30).live(now: now) else { return nil }
        return WatchStatus(pid: live.pid, host: live.host, until: live.until)
    }

    /// "there is no incident 12", with why when there is no state database at all.
    func notFound(_ id: Int64) -> ExitCode {
        if incidents == nil {
            return report(OperationFailure(
                "there is no incident \(id): no state database at \(statePath) yet (`breakglass watch` records incidents there; or use --state FILE)"))
        }
        return report(IncidentActionError.notFound(id))
    }
}

/// An error that is an operation's failure (exit 1), with a message of our own.
private struct OperationFailure: Error, CustomStringConvertible {
    let description: String
    init(_ text: String) { description = text }
}

struct IncidentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incidents",
        abstract: "List open incidents, or show one in full: alarms, pages, timeline.",
        discussion: """
            Without ID: the unresolved incidents, newest first (--all adds resolved ones), one line \
            each with its stage and when the next page goes out and to whom. With ID: the incident's \
            alarms, suggested runbooks, every page with its delivery status, and its timeline from the \
            audit trail. Both say whether a `breakglass watch` daemon holds the lease on this state: \
            without one, pages are queued but nothing sends them. Times are UTC. Exit 1 when ID does \
            not exist, 2 for usage and configuration errors. See docs/INCIDENTS.md.
            """)

    @Argument(help: "An incident's number: show it in full.") var id: Int64?
    @Flag(help: "Also list resolved incidents.") var all = false
    @Option(help: "table (fits the terminal, 80 columns when piped) or json.") var output: OutputFormat = .table
    @OptionGroup var config: ConfigOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var sandboxState: SandboxStateOption

    func run() async throws {
        let session = try IncidentSession.open(config: config, store: store)
        let now = Date()
        do {
            if let id { try show(id, session, now: now) } else { try list(session, now: now) }
        } catch let e as ExitCode {
            throw e
        } catch {
            throw report(error)
        }
    }

    func list(_ session: IncidentSession, now: Date) throws {
        let found = try session.incidents?.list(includeResolved: all) ?? []
        switch output {
        case .json:
            print(JSON.encode(IncidentListing.json(found, config: session.config), pretty: true))
        case .table:
            if found.isEmpty {
                let none = all ? "No incidents recorded" : "No open incidents"
                print(session.incidents == nil ? "\(none) (no state database at \(TerminalText.sanitize(session.statePath)) yet)." : "\(none).")
            } else {
                print(IncidentListing.table(found, config: session.config, now: now, width: outputWidth()))
            }
            print(IncidentListing.watchLines(session.watch(now: now), now: now, width: outputWidth()))
        }
    }

    func show(_ id: Int64, _ session: IncidentSession, now: Date) throws {
        guard let incidents = session.incidents, let incident = try incidents.incident(id) else { throw session.notFound(id) }
        let timeline = try incidents.timeline(id)
        switch output {
        case .json:
            print(JSON.encode(IncidentListing.json(incident, config: session.config, timeline: timeline), pretty: true))
        case .table:
            print(IncidentListing.detail(
                incident, timeline: timeline, config: session.config, watch: session.watch(now: now), now: now, width: outputWidth()))
        }
    }
}

/// What `ack`, `resolve`, `snooze` and `escalate` share: the incident, the configuration and the
/// state; and applying one event as the OS user, saying what happened and what happens next, and
/// warning when the pages it queued have nobody to send them.
struct IncidentTarget: ParsableArguments {
    @Argument(help: "The incident's number.") var id: Int64
    @OptionGroup var config: ConfigOptions
    @OptionGroup var store: StoreOptions
    @OptionGroup var sandboxState: SandboxStateOption

    func perform(_ event: (_ by: String, _ now: Date) -> EscalationEvent) throws {
        let session = try IncidentSession.open(config: config, store: store)
        guard let incidents = session.incidents else { throw session.notFound(id) }
        let actor = AuditActor.current()
        let now = Date()
        let applied = event(actor.user, now)
        let change: IncidentChange
        let lastPageID: Int64
        do {
            lastPageID = try incidents.incident(id)?.pages.map(\.id).max() ?? 0
            change = try incidents.act(id, applied, config: session.config, actor: actor, now: now)
        } catch {
            throw report(error)
        }
        // Written at once (not buffered as `print` is when piped), so it comes before any warning.
        FileHandle.standardOutput.write(Data((IncidentListing.sentence(for: applied, change: change, config: session.config, now: now) + "\n").utf8))
        let queued = IncidentListing.queuedForSending(change.incident, lastPageID: lastPageID)
        if !queued.isEmpty, session.watch(now: now) == nil {
            let count = queued.count == 1 ? "1 page is" : "\(queued.count) pages are"
            let warning = "breakglass: warning: \(count) queued, but no `breakglass watch` is running on this state (\(session.statePath)); "
                + "nothing will send \(queued.count == 1 ? "it" : "them") until one runs."
            FileHandle.standardError.write(Data((TerminalText.sanitize(warning) + "\n").utf8))
        }
    }
}

private let actionDiscussion = """
    Acts as the OS user running it (recorded in the audit trail with the SSH client, if any), on the \
    state database every console and the watch daemon share. Exit 1 when the incident does not exist \
    or the change is refused (already acknowledged, already resolved), 2 for usage and configuration \
    errors. Pages it queues are sent by `breakglass watch`; without one running, it says so.
    """

struct AckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ack",
        abstract: "Acknowledge an incident: escalation stops (until reack_after, if the plan has one).",
        discussion: actionDiscussion)

    @OptionGroup var incident: IncidentTarget

    func run() async throws { try incident.perform { by, _ in .acknowledge(by: by) } }
}

struct ResolveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Resolve an incident: nothing more is paged for it; channels that keep state are told.",
        discussion: actionDiscussion)

    @OptionGroup var incident: IncidentTarget

    func run() async throws { try incident.perform { by, _ in .resolve(by: by) } }
}

struct SnoozeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snooze",
        abstract: "Page nobody for a while; then the current stage is paged again unless it is acknowledged or resolved.",
        discussion: actionDiscussion)

    @OptionGroup var incident: IncidentTarget
    @Argument(help: "How long, in the configuration's syntax: 30m, 1h, 1h30m.") var duration: String

    var length: Duration? { DurationSyntax.parse(duration) }

    func validate() throws {
        let shown = TerminalText.sanitize(duration)
        guard let length else {
            if DurationSyntax.isBareNumber(duration) { throw ValidationError("`\(shown)` has no unit; write the duration as 30m, 1h or 1h30m") }
            throw ValidationError("`\(shown)` is not a duration; write it as 30m, 1h or 1h30m")
        }
        guard length > .zero else { throw ValidationError("a snooze must last longer than 0s; write it as 30m, 1h or 1h30m") }
    }

    func run() async throws {
        let seconds = (length ?? .zero).timeInterval
        try incident.perform { by, now in .snooze(until: now.addingTimeInterval(seconds), by: by) }
    }
}

struct EscalateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "escalate",
        abstract: "Page the next stage now, acknowledged or not; escalation goes on from there.",
        discussion: actionDiscussion)

    @OptionGroup var incident: IncidentTarget

    func run() async throws { try incident.perform { by, _ in .escalate(by: by) } }
}
