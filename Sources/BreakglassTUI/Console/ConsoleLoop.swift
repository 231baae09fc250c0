import BreakglassCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the `breakglass console` command decides before the console starts.
public struct ConsoleOptions: Sendable {
    /// Who is looking, shown in the top bar (e.g. the caller's ARN or "profile prod").
    public var identity: String
    public var regions: [String]
    /// Seconds between automatic refreshes while they succeed.
    public var refreshInterval: TimeInterval
    /// A built-in theme: `Theme.builtInNames`.
    public var themeName: String
    /// A theme already loaded (from themes/*.yaml); wins over `themeName`.
    public var theme: Theme?
    /// `.auto` follows the terminal and `NO_COLOR`.
    public var colorPolicy: ColorPolicy
    /// The keys, after `console.keys` in the configuration.
    public var keymap: Keymap
    /// Guided mode, for the non-technical backup.
    public var guided: Bool
    /// A tour shown over the console when it opens (`ConsoleTour`); none when empty.
    public var tour: [TourPage] = []

    public init(
        identity: String, regions: [String], refreshInterval: TimeInterval = 15, themeName: String = "default",
        theme: Theme? = nil, colorPolicy: ColorPolicy = .auto, keymap: Keymap = .console, guided: Bool = false
    ) {
        self.identity = identity
        self.regions = regions
        self.refreshInterval = refreshInterval
        self.themeName = themeName
        self.theme = theme
        self.colorPolicy = colorPolicy
        self.keymap = keymap
        self.guided = guided
    }
}

/// Where the console reads pages from and acknowledges them: the shared state file. The calls block
/// on disk, so the loop runs them one at a time on a queue of its own, never on its own thread or
/// Swift's cooperative pool. Errors are shown as `String(describing:)`, sanitised.
public struct ConsolePageSource: Sendable {
    /// The newest page id now; the console shows pages written after it.
    public var start: @Sendable () throws -> Int64
    /// Console pages written after page `after`, oldest first. Called about once a second, so it
    /// should be cheap when nothing changed (`ConsolePageFeed` checks the store's change token).
    public var poll: @Sendable (_ after: Int64) throws -> [ConsolePage]
    /// Acknowledges the incident as the person at the console; returns who it is acknowledged by.
    public var acknowledge: @Sendable (_ incident: Int64) throws -> String

    public init(
        start: @escaping @Sendable () throws -> Int64, poll: @escaping @Sendable (_ after: Int64) throws -> [ConsolePage],
        acknowledge: @escaping @Sendable (_ incident: Int64) throws -> String
    ) {
        self.start = start
        self.poll = poll
        self.acknowledge = acknowledge
    }
}

/// Whether the console shows pages.
public enum ConsolePages: Sendable {
    /// Alarms only, and nothing said about pages.
    case none
    /// Alarms only, because the state file could not be opened; the reason is shown.
    case unavailable(reason: String)
    case source(ConsolePageSource)

    var mode: PageFeedStatus.Mode {
        switch self {
        case .none: .off
        case .unavailable(let reason): .unavailable(reason)
        case .source: .on
        }
    }
}

/// The console's only ways to reach the world, injected so the loop can run against fakes.
public struct ConsoleDependencies: Sendable {
    /// Runs off the main loop; its error is shown as `String(describing:)`, sanitized.
    public var fetchAlarms: @Sendable () async throws -> [Alarm]
    public var pages: ConsolePages
    public var now: @Sendable () -> Date
    /// Each screen's way to the world; nil where it is not wired (the screen says so).
    public var metrics: MetricSource?
    public var incidents: IncidentsSource?
    public var runbooks: RunbookSource?
    public var access: AccessSource?
    public var audit: AuditSource?

    public init(
        fetchAlarms: @escaping @Sendable () async throws -> [Alarm], pages: ConsolePages = .none,
        now: @escaping @Sendable () -> Date = { Date() }, metrics: MetricSource? = nil, incidents: IncidentsSource? = nil,
        runbooks: RunbookSource? = nil, access: AccessSource? = nil, audit: AuditSource? = nil
    ) {
        self.fetchAlarms = fetchAlarms
        self.pages = pages
        self.now = now
        self.metrics = metrics
        self.incidents = incidents
        self.runbooks = runbooks
        self.access = access
        self.audit = audit
    }
}

/// Runs the alarm console on the process's terminal until the user quits, and returns the exit code:
/// 0 after `q`, 2 when the terminal cannot be used (the reason is on stderr), 128 + signal after
/// SIGINT (130), SIGTERM or SIGHUP. The terminal is restored on every path, crashes included.
///
/// Blocks the calling thread for the console's lifetime (call it from a synchronous command);
/// `fetchAlarms` and the page source run on other threads, so a slow network or a busy disk never
/// delays keys or drawing.
public func runConsole(options: ConsoleOptions, dependencies: ConsoleDependencies) -> Int32 {
    let inbox: EventInbox
    do {
        inbox = try EventInbox()
    } catch {
        printError(String(describing: error))
        return 1
    }
    defer { inbox.close() }
    return withTerminal(
        command: "breakglass console", themeName: options.themeName, theme: options.theme, colorPolicy: options.colorPolicy, wakeFD: inbox.wakeWriteFD
    ) { backend, theme in
        let session = ConsoleSession(
            options: options, size: backend.size, theme: theme, now: dependencies.now(), pages: dependencies.pages.mode)
        let loop = ConsoleLoop(session: session, backend: backend, inbox: inbox, dependencies: dependencies)
        return loop.run()
    }
}

/// The terminal set up for a full-screen view (the console, the drill view) and restored on every
/// path: the terminal checked (a refusal printed, exit 2), the theme found, the restore hooks for
/// signals and crashes installed (they wake the loop through `wakeFD`), ncurses started, the theme
/// given the terminal's glyphs and degraded to its colours. `command` names the view in messages.
/// `body` runs the loop and returns the exit code.
func withTerminal(
    command: String, themeName: String, theme given: Theme?, colorPolicy: ColorPolicy, wakeFD: Int32, _ body: (NCursesBackend, Theme) -> Int32
) -> Int32 {
    func named(_ message: String) -> String { message.replacingOccurrences(of: "breakglass console", with: command) }
    let environment = ProcessInfo.processInfo.environment
    let codeset = NCursesBackend.prepareLocale()
    let check = TerminalCheck.evaluate(
        environment: environment, codeset: codeset, stdinIsTTY: isatty(STDIN_FILENO) == 1,
        stdoutIsTTY: isatty(STDOUT_FILENO) == 1)
    if case .refuse(let message) = check {
        printError(named(message))
        return 2
    }
    guard let baseTheme = given ?? Theme.builtIn(named: themeName) else {
        printError(
            "\(command) has no theme named \"\(TerminalText.sanitize(themeName))\". Use one of: "
                + Theme.builtInNames.joined(separator: ", ") + ".")
        return 2
    }
    TerminalRestore.install(wakeFD: wakeFD, restore: NCursesBackend.emergencyRestore)
    defer { TerminalRestore.uninstall() }
    let backend: NCursesBackend
    do {
        backend = try NCursesBackend(environment: environment, colorPolicy: colorPolicy)
    } catch {
        printError(named(String(describing: error)))
        return 2
    }
    defer { backend.restore() }
    var theme = baseTheme
    theme.glyphs = backend.glyphs
    return body(backend, theme.degraded(to: backend.colorDepth))
}

private func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// The impure shell around `ConsoleSession`: the one owner of state. Each turn it waits in poll(2)
/// for a key, a background result or signal (both arrive through the inbox's wake pipe) or the next
/// deadline, turns what arrived into events, applies them in order, runs the effects and draws once.
final class ConsoleLoop {
    private(set) var session: ConsoleSession
    let backend: any TerminalBackend
    let inbox: EventInbox
    let dependencies: ConsoleDependencies
    private let takeSignals: () -> TerminalRestore.Pending
    private var refreshTask: Task<Void, Never>?
    /// Page polls and acknowledgements, one at a time, off the loop's thread. Screens run their
    /// disk work here too (one queue: SQLite work is short, and order is kept).
    let diskQueue = DispatchQueue(label: "breakglass.console.pages")

    init(
        session: ConsoleSession, backend: any TerminalBackend, inbox: EventInbox,
        dependencies: ConsoleDependencies,
        takeSignals: @escaping () -> TerminalRestore.Pending = TerminalRestore.takePending
    ) {
        self.session = session
        self.session.connect(dependencies)
        self.backend = backend
        self.inbox = inbox
        self.dependencies = dependencies
        self.takeSignals = takeSignals
    }

    /// Runs until quit; returns the exit code. Abandons a refresh still running when it returns.
    func run() -> Int32 {
        defer {
            refreshTask?.cancel()
            inbox.abandon()
        }
        if let code = step([resizeEvent()] + accessStartEvents() + [.tick]) { return code }
        while true {
            let inputClosed = waitForWork()
            let signals = takeSignals()
            if let signal = signals.terminate { return 128 + signal }
            if inputClosed { return 128 + SIGHUP }
            var events: [ConsoleEvent] = []
            if signals.windowChanged && backend.refreshSize() { events.append(resizeEvent()) }
            while let key = backend.readKey() {
                events.append(key == .resize ? resizeEvent() : .key(key))
            }
            events += inbox.drain()
            events.append(.tick)
            let refreshed = events.contains { if case .alarmsLoaded = $0 { true } else { false } }
            if let code = step(events) { return code }
            if refreshed {
                // The answer's array goes with the events; the old list went when it was applied.
                events = []
                FreedMemory.release()
            }
        }
    }

    /// Applies `events` in order, runs their effects, then draws once. Returns an exit code when the
    /// console should end.
    private func step(_ events: [ConsoleEvent]) -> Int32? {
        for event in events {
            for effect in session.handle(event, now: dependencies.now()) {
                switch effect {
                case .quit: return 0
                case .startRefresh: startRefresh()
                case .cancelRefresh: cancelRefresh()
                case .bell: backend.bell()
                case .redraw: backend.invalidate()
                case .startPages:
                    onDisk { source in
                        do { return .pagesStarted(after: try source.start()) } catch { return .pagesFailed(String(describing: error)) }
                    }
                case .pollPages(let after):
                    onDisk { source in
                        do { return .pagesArrived(try source.poll(after)) } catch { return .pagesFailed(String(describing: error)) }
                    }
                case .alarmsView(let effect): perform(effect)
                case .incidents(let effect): perform(effect)
                case .runbook(let effect): perform(effect)
                case .access(let effect): perform(effect)
                case .audit(let effect): perform(effect)
                case .acknowledge(let incident):
                    onDisk { source in
                        do {
                            return .acknowledged(incident: incident, by: try source.acknowledge(incident))
                        } catch {
                            return .acknowledgeFailed(incident: incident, message: String(describing: error))
                        }
                    }
                }
            }
        }
        backend.draw(session.frame(now: dependencies.now()))
        return nil
    }

    private func resizeEvent() -> ConsoleEvent {
        .resize(width: backend.size.width, height: backend.size.height)
    }

    private func startRefresh() {
        let fetch = dependencies.fetchAlarms
        let inbox = self.inbox
        let generation = inbox.currentGeneration
        refreshTask = Task.detached {
            let event: ConsoleEvent
            do {
                event = .alarmsLoaded(try await fetch())
            } catch {
                if Task.isCancelled { return }
                event = .alarmsFailed(String(describing: error))
            }
            inbox.push(event, generation: generation)
        }
    }

    /// Runs `work` against the page source on the disk queue and hands its event to the loop. Its
    /// result is never abandoned: page events are idempotent, and a poll always answers.
    private func onDisk(_ work: @escaping @Sendable (ConsolePageSource) -> ConsoleEvent) {
        guard case .source(let source) = dependencies.pages else { return }
        let inbox = self.inbox
        diskQueue.async { inbox.push(work(source)) }
    }

    private func cancelRefresh() {
        refreshTask?.cancel()
        refreshTask = nil
        inbox.abandon()
    }

    /// Sleeps until a key, a wake-up byte or the session's next deadline. Returns true when the
    /// terminal's input is gone (hung up), which ends the console like SIGHUP.
    private func waitForWork() -> Bool {
        let now = dependencies.now()
        let wait = session.nextWakeup(after: now).timeIntervalSince(now)
        // One millisecond past the deadline, so the clock has moved on when the loop looks at it.
        let timeout = Int32(min(1000, max(0, (wait * 1000).rounded(.up)))) + 1
        var fds = [
            pollfd(fd: backend.inputFileDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: inbox.wakeReadFD, events: Int16(POLLIN), revents: 0),
        ]
        let ready = poll(&fds, nfds_t(fds.count), timeout)
        guard ready > 0 else { return false }
        if fds[1].revents != 0 { inbox.clearWakeups() }
        let closed = Int16(POLLHUP | POLLERR | POLLNVAL)
        return fds[0].revents & closed != 0
    }
}
