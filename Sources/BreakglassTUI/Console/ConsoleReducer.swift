import BreakglassCore
import Foundation

/// Everything that can happen to the console. The main loop turns keys, resizes, the clock and
/// background results into these, one stream, in order.
public enum ConsoleEvent: Hashable, Sendable {
    case key(Key)
    case resize(width: Int, height: Int)
    /// Time passed; due refreshes start and a refresh past its timeout is abandoned. Sent at least once
    /// a second.
    case tick
    case alarmsLoaded([Alarm])
    /// A refresh failed; the message is shown (sanitized) in the status line.
    case alarmsFailed(String)
    /// The newest page id when the console started: pages after it are shown.
    case pagesStarted(after: Int64)
    /// Console pages written since the last poll, oldest first (possibly none).
    case pagesArrived([ConsolePage])
    /// A page poll (or finding the starting point) failed.
    case pagesFailed(String)
    /// The acknowledgement asked for with `a` is written.
    case acknowledged(incident: Int64, by: String)
    case acknowledgeFailed(incident: Int64, message: String)
}

/// What the loop must do after an event. The reducer only asks; the loop does it.
public enum ConsoleEffect: Hashable, Sendable {
    /// Fetch alarms in the background and report back with `alarmsLoaded` or `alarmsFailed`.
    case startRefresh
    /// Abandon the running refresh: cancel it and drop its result if it still arrives.
    case cancelRefresh
    case quit
    /// An alarm went into ALARM since the last refresh, or someone was paged.
    case bell
    /// Find the newest page id in the background; report with `pagesStarted` or `pagesFailed`.
    case startPages
    /// Read console pages after `after` in the background; report with `pagesArrived` or `pagesFailed`.
    case pollPages(after: Int64)
    /// Acknowledge `incident` in the background as the person at the console; report with
    /// `acknowledged` or `acknowledgeFailed`.
    case acknowledge(incident: Int64)
    /// Repaint the whole screen on the next draw.
    case redraw
}

/// Applies `event` to `state`. Pure: time comes in as `now`, work goes out as effects.
public func reduce(_ state: inout ConsoleState, _ event: ConsoleEvent, now: Date) -> [ConsoleEffect] {
    switch event {
    case .tick:
        return state.tickRefresh(now: now) + state.tickPages(now: now)
    case .resize(let width, let height):
        state.size = TerminalSize(width: max(0, width), height: max(0, height))
        state.keepSelectionVisible()
        return []
    case .key(let key):
        guard let action = Keymap.console.action(for: key) else { return [] }
        return state.perform(action, now: now)
    case .alarmsLoaded(let alarms):
        return state.load(alarms, now: now)
    case .alarmsFailed(let message):
        state.fail(message, now: now)
        return []
    case .pagesStarted(let after):
        state.pagesStarted(after: after, now: now)
        return []
    case .pagesArrived(let pages):
        return state.receive(pages, now: now)
    case .pagesFailed(let message):
        state.pagesFailed(message, now: now)
        return []
    case .acknowledged(let incident, let by):
        state.acknowledged(incident: incident, by: by)
        return []
    case .acknowledgeFailed(let incident, let message):
        state.acknowledgeFailed(incident: incident, message: message)
        return []
    }
}

extension ConsoleState {
    /// Abandons a refresh past its timeout, or starts one when due.
    mutating func tickRefresh(now: Date) -> [ConsoleEffect] {
        if refreshInFlight, let started = refreshStartedAt, now.timeIntervalSince(started) >= refreshTimeout {
            fail("no answer after \(CompactDuration.format(refreshTimeout))", now: now)
            return [.cancelRefresh]
        }
        guard !refreshInFlight, now >= nextRefreshAt else { return [] }
        return startRefresh(now: now)
    }

    /// Starts a refresh unless one is running (the overlap guard).
    mutating func startRefresh(now: Date) -> [ConsoleEffect] {
        guard !refreshInFlight else { return [] }
        refreshInFlight = true
        refreshStartedAt = now
        if refresh == .neverLoaded { refresh = .loading }
        return [.startRefresh]
    }

    mutating func perform(_ action: ConsoleAction, now: Date) -> [ConsoleEffect] {
        switch action {
        case .quit: return [.quit]
        case .refresh: return startRefresh(now: now)
        case .redraw: return [.redraw]
        default: break
        }
        // Everything else needs the screen to be visible; on the too-small screen only quitting and
        // refreshing work (nobody acknowledges a page they cannot read).
        guard !layout.isTooSmall else { return [] }
        switch action {
        case .dismissBanner:
            dismissBanner()
            return []
        case .acknowledgePage:
            return acknowledgeShown()
        default: break
        }
        guard let current = selectedIndex else { return [] }
        let page = max(1, layout.listHeight)
        let target: Int
        switch action {
        case .moveDown: target = current + 1
        case .moveUp: target = current - 1
        case .pageDown: target = current + page
        case .pageUp: target = current - page
        case .top: target = 0
        case .bottom: target = alarms.count - 1
        case .quit, .refresh, .redraw, .dismissBanner, .acknowledgePage: return []
        }
        select(min(max(0, target), alarms.count - 1))
        return []
    }

    /// Replaces the list, keeping the selection on the same alarm (by name and region) when it is still
    /// there, else at the same position.
    mutating func load(_ loaded: [Alarm], now: Date) -> [ConsoleEffect] {
        let wasLoaded = refresh.lastLoaded != nil
        var previouslyAlarming = Set<AlarmID>()
        if wasLoaded {
            for alarm in alarms where alarm.state == .alarm { previouslyAlarming.insert(AlarmID(alarm)) }
        }
        alarms = loaded.sorted(by: Alarm.triageOrder)
        counts = AlarmCounts(alarms)
        widestName = alarms.reduce(0) { max($0, TerminalText.width(TerminalText.sanitize($1.name))) }

        if alarms.isEmpty {
            selectedIndex = nil
            selectedID = nil
        } else if let id = selectedID, let index = alarms.firstIndex(where: { $0.name == id.name && $0.region == id.region }) {
            select(index)
        } else {
            select(min(selectedIndex ?? 0, alarms.count - 1))
        }
        keepSelectionVisible()

        refresh = .loaded(at: now)
        refreshInFlight = false
        refreshStartedAt = nil
        consecutiveFailures = 0
        nextRefreshAt = now.addingTimeInterval(refreshInterval)

        let newlyAlarming = wasLoaded && alarms.contains {
            $0.state == .alarm && !previouslyAlarming.contains(AlarmID($0))
        }
        return newlyAlarming ? [.bell] : []
    }

    mutating func fail(_ message: String, now: Date) {
        refresh = .failed(message: message, at: now, lastLoaded: refresh.lastLoaded)
        refreshInFlight = false
        refreshStartedAt = nil
        consecutiveFailures += 1
        nextRefreshAt = now.addingTimeInterval(retryDelay)
    }

    mutating func select(_ index: Int) {
        selectedIndex = index
        selectedID = AlarmID(alarms[index])
        keepSelectionVisible()
    }

    /// Scrolls the least needed to show the selection, and never past the end of the list (so a
    /// taller terminal shows more rows instead of blank space).
    mutating func keepSelectionVisible() {
        let height = layout.listHeight
        guard height > 0 else { return }
        if let index = selectedIndex {
            if index < scrollOffset { scrollOffset = index }
            if index >= scrollOffset + height { scrollOffset = index - height + 1 }
        }
        scrollOffset = min(max(0, scrollOffset), max(0, alarms.count - height))
    }
}
