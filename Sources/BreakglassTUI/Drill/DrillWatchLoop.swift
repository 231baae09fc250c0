import BreakglassCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The facilitator's view's only ways to reach the world. Both closures run off the loop's thread, in
/// tasks of their own, so a slow disk never delays keys or the clock.
public struct DrillWatchDependencies: Sendable {
    /// The newest snapshot of the drill being watched (its timeline built at the time of the call).
    /// Called about once a second, never twice at once. An error is shown (sanitised) and the last
    /// snapshot stays on screen.
    public var load: @Sendable () async throws -> DrillTimeline
    /// Stores a facilitator's note on the drill (the text as typed, trimmed; never empty). An error
    /// is shown in the footer and the note is kept for `n` to bring back.
    public var addNote: @Sendable (String) async throws -> Void
    public var now: @Sendable () -> Date

    public init(
        load: @escaping @Sendable () async throws -> DrillTimeline, addNote: @escaping @Sendable (String) async throws -> Void,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.load = load
        self.addNote = addNote
        self.now = now
    }
}

/// How `breakglass drill watch` looks: the same theme settings as the console.
public struct DrillWatchOptions: Sendable {
    /// A built-in theme: `Theme.builtInNames`.
    public var themeName: String
    /// A theme already loaded (from themes/*.yaml); wins over `themeName`.
    public var theme: Theme?
    /// `.auto` follows the terminal and `NO_COLOR`.
    public var colorPolicy: ColorPolicy

    public init(themeName: String = "default", theme: Theme? = nil, colorPolicy: ColorPolicy = .auto) {
        self.themeName = themeName
        self.theme = theme
        self.colorPolicy = colorPolicy
    }
}

/// Runs the facilitator's view on the process's terminal until `q`, and returns the exit code: 0
/// after `q`, 2 when the terminal cannot be used (the reason is on stderr), 128 + signal after
/// SIGINT (130), SIGTERM or SIGHUP. The terminal is restored on every path.
///
/// The loop waits in poll(2) for the whole session, so it runs on a thread of its own; this function
/// awaits it without holding one of Swift's cooperative threads, which `load` and `addNote` need.
public func runDrillWatch(options: DrillWatchOptions, dependencies: DrillWatchDependencies) async -> Int32 {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: runDrillWatchOnTerminal(options: options, dependencies: dependencies)) }
        thread.name = "drill-watch"
        thread.start()
    }
}

private func runDrillWatchOnTerminal(options: DrillWatchOptions, dependencies: DrillWatchDependencies) -> Int32 {
    let inbox: DrillWatchInbox
    do {
        inbox = try DrillWatchInbox()
    } catch {
        FileHandle.standardError.write(Data((String(describing: error) + "\n").utf8))
        return 1
    }
    defer { inbox.close() }
    return withTerminal(
        command: "breakglass drill watch", themeName: options.themeName, theme: options.theme, colorPolicy: options.colorPolicy,
        wakeFD: inbox.wakeWriteFD
    ) { backend, theme in
        let loop = DrillWatchLoop(backend: backend, theme: theme, dependencies: dependencies, inbox: inbox, takeSignals: TerminalRestore.takePending)
        return loop.run()
    }
}

/// What makes the view tick when no key arrives.
public enum DrillWatchTicking: Sendable, Equatable {
    /// The loop wakes by itself each time the screen's clocks reach a new second.
    case everySecond
    /// Only a `.tick` pushed into the inbox makes time pass (tests, with a hand-driven clock).
    case manual
}

/// Where background work (loads, notes) and signal handlers leave news for the loop, with a
/// self-pipe that wakes its poll(2) at once. Any thread may `push`; only the loop drains. After
/// `close`, pushes are dropped, so work that answers after the view quit writes nowhere.
public final class DrillWatchInbox: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [DrillWatchEvent] = []
    private var closed = false
    private let pipe: WakePipe
    var wakeReadFD: Int32 { pipe.readFD }
    /// Written one byte per push (non-blocking: a full pipe already means a wake-up is pending).
    var wakeWriteFD: Int32 { pipe.writeFD }

    public init() throws { pipe = try WakePipe(owner: "the drill view's") }

    deinit { close() }

    /// Queues `event` and wakes the loop.
    public func push(_ event: DrillWatchEvent) {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        events.append(event)
        pipe.wake()
    }

    func drain() -> [DrillWatchEvent] {
        lock.lock()
        defer { lock.unlock() }
        let drained = events
        events.removeAll(keepingCapacity: true)
        return drained
    }

    func clearWakeups() { pipe.clear() }

    public func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        pipe.close()
    }
}

/// The impure shell around `DrillWatchState`: the one owner of the state. Each turn it waits in
/// poll(2) for a key, news in the inbox, a signal or the next second; turns what arrived into events,
/// applies them in order, runs the effects (loads and notes as detached tasks that answer through the
/// inbox) and draws once. It never blocks on anything but that poll.
public final class DrillWatchLoop {
    private(set) var state: DrillWatchState
    let backend: any TerminalBackend
    let theme: Theme
    let dependencies: DrillWatchDependencies
    let inbox: DrillWatchInbox
    let ticking: DrillWatchTicking
    private let takeSignals: () -> TerminalRestore.Pending
    private var loadTask: Task<Void, Never>?

    /// A loop drawing on `backend` (already started) in `theme` (already degraded to its colours).
    /// The caller owns `inbox`, keeps the terminal's signals, and runs `run()` on a thread of its own.
    public convenience init(
        backend: any TerminalBackend, theme: Theme, dependencies: DrillWatchDependencies, inbox: DrillWatchInbox,
        ticking: DrillWatchTicking = .everySecond
    ) {
        self.init(backend: backend, theme: theme, dependencies: dependencies, inbox: inbox, ticking: ticking, takeSignals: { .init() })
    }

    init(
        backend: any TerminalBackend, theme: Theme, dependencies: DrillWatchDependencies, inbox: DrillWatchInbox,
        ticking: DrillWatchTicking = .everySecond, takeSignals: @escaping () -> TerminalRestore.Pending
    ) {
        self.backend = backend
        self.theme = theme
        self.dependencies = dependencies
        self.inbox = inbox
        self.ticking = ticking
        self.takeSignals = takeSignals
        state = DrillWatchState(size: backend.size)
    }

    /// Runs until `q`; returns the exit code (0, or 128 + a signal). Cancels a load still running.
    public func run() -> Int32 {
        defer { loadTask?.cancel() }
        if let code = step([.resize(backend.size), .tick]) { return code }
        while true {
            let inputClosed = waitForWork()
            let signals = takeSignals()
            if let signal = signals.terminate { return 128 + signal }
            if inputClosed { return 128 + SIGHUP }
            var events: [DrillWatchEvent] = []
            if signals.windowChanged && backend.refreshSize() { events.append(.resize(backend.size)) }
            while let key = backend.readKey() {
                events.append(key == .resize ? .resize(backend.size) : .key(key))
            }
            events += inbox.drain()
            if ticking == .everySecond { events.append(.tick) }
            if let code = step(events) { return code }
        }
    }

    /// Applies `events` in order, runs their effects, then draws once; an exit code when it ends.
    private func step(_ events: [DrillWatchEvent]) -> Int32? {
        for event in events {
            for effect in state.handle(event, now: dependencies.now()) {
                switch effect {
                case .quit: return 0
                case .load: startLoad()
                case .addNote(let text): startNote(text)
                case .bell: backend.bell()
                case .redraw: backend.invalidate()
                }
            }
        }
        backend.draw(renderDrillWatch(state, theme: theme, now: dependencies.now()))
        return nil
    }

    private func startLoad() {
        let load = dependencies.load
        let inbox = self.inbox
        loadTask = Task.detached {
            let event: DrillWatchEvent
            do {
                event = .loaded(try await load())
            } catch {
                if Task.isCancelled { return }
                event = .loadFailed(String(describing: error))
            }
            inbox.push(event)
        }
    }

    /// Notes are never cancelled: the reducer waits for them before quitting, unless asked twice.
    private func startNote(_ text: String) {
        let addNote = dependencies.addNote
        let inbox = self.inbox
        Task.detached {
            do {
                try await addNote(text)
                inbox.push(.noteAdded(text))
            } catch {
                inbox.push(.noteFailed(text, message: String(describing: error)))
            }
        }
    }

    /// Sleeps until a key, news in the inbox, a signal, or (ticking every second) the screen's next
    /// second. True when the terminal's input is gone (hung up), which ends the view like SIGHUP.
    private func waitForWork() -> Bool {
        var timeout: Int32 = -1
        if ticking == .everySecond {
            let now = dependencies.now()
            let wait = state.nextRedraw(after: now).timeIntervalSince(now)
            // One millisecond past the second, so the clock has moved on when the loop looks at it.
            timeout = Int32(min(1000, max(0, (wait * 1000).rounded(.up)))) + 1
        }
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
