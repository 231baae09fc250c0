import BreakglassCore
import Foundation

/// The console without a terminal: its state, the pure step that applies events, and the frame that
/// state draws as. The ncurses loop is a thin shell around it, and tests drive it directly.
public struct ConsoleSession: Sendable {
    public private(set) var state: ConsoleState
    /// Already degraded to the terminal's colour depth.
    public var theme: Theme

    public init(state: ConsoleState, theme: Theme) {
        self.state = state
        self.theme = theme
    }

    public init(options: ConsoleOptions, size: TerminalSize, theme: Theme, now: Date, pages: PageFeedStatus.Mode = .off) {
        self.init(
            state: ConsoleState(
                identity: options.identity, regions: options.regions, refreshInterval: options.refreshInterval,
                size: size, now: now, pages: pages, guided: options.guided, keymap: options.keymap),
            theme: theme)
        if !options.guided { state.startTour(options.tour) }
    }

    /// Tells the screens which sources are wired, before the first event: a screen without its
    /// source says so instead of polling.
    public mutating func connect(_ dependencies: ConsoleDependencies) {
        state.incidentsConnect(available: dependencies.incidents != nil)
        state.auditConnect(available: dependencies.audit != nil)
        state.runbookConnect(available: dependencies.runbooks != nil)
    }

    public mutating func handle(_ event: ConsoleEvent, now: Date) -> [ConsoleEffect] {
        reduce(&state, event, now: now)
    }

    public func frame(now: Date) -> CellGrid {
        renderConsole(state, theme: theme, now: now)
    }

    /// When the loop must wake even if nothing happens: the next whole second (the clock and the
    /// times in state move), the next refresh or the next page poll, whichever is soonest. Never
    /// earlier than `now`.
    public func nextWakeup(after now: Date) -> Date {
        var next = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down) + 1)
        if !state.refreshInFlight { next = min(next, state.nextRefreshAt) }
        if state.pageFeed.mode == .on, !state.pageFeed.inFlight { next = min(next, state.pageFeed.nextPollAt) }
        return max(now, next)
    }
}
