import BreakglassCore
import Foundation

// The alarms screen (issue 7): owned by the alarms helper. The frame calls the functions below.

public struct AlarmsViewState: Sendable {
    public init() {}
}

public enum AlarmsViewEvent: Hashable, Sendable {}

public enum AlarmsViewEffect: Hashable, Sendable {}

/// Where the alarm detail gets its metric's recent data points; runs off the loop.
public struct MetricSource: Sendable {
    public init() {}
}

extension ConsoleState {
    mutating func alarmsViewKey(_ key: Key, now: Date) -> [ConsoleEffect]? { nil }

    mutating func alarmsViewPerform(_ action: ConsoleAction, now: Date) -> [ConsoleEffect]? {
        guard let current = selectedIndex else { return nil }
        let page = max(1, layout.listHeight)
        let target: Int
        switch action {
        case .moveDown: target = current + 1
        case .moveUp: target = current - 1
        case .pageDown: target = current + page
        case .pageUp: target = current - page
        case .top: target = 0
        case .bottom: target = alarms.count - 1
        default: return nil
        }
        select(min(max(0, target), alarms.count - 1))
        return []
    }

    mutating func alarmsViewReduce(_ event: AlarmsViewEvent, now: Date) -> [ConsoleEffect] { [] }
    mutating func alarmsViewTick(now: Date) -> [ConsoleEffect] { [] }
    mutating func alarmsViewBack() -> Bool { false }
    var alarmsViewAvailable: Set<ConsoleAction> { [] }

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

extension ConsoleLoop {
    func perform(_ effect: AlarmsViewEffect) {}
}
