import BreakglassCore
import Foundation

// The runbook screen and guided mode (issue 7): owned by the runbook helper. The frame calls the
// functions below.

public struct RunbookViewState: Sendable {
    /// Runbook ids known to the catalog, for `:runbook NAME` completion.
    public internal(set) var catalog: [String] = []
    public init() {}
}

public enum RunbookViewEvent: Hashable, Sendable {}

public enum RunbookViewEffect: Hashable, Sendable {}

/// Where the runbook screen finds runbooks and drives runs; calls run off the loop.
public struct RunbookSource: Sendable {
    public init() {}
}

extension ConsoleState {
    /// Opens runbook `id` (for `incident`, when known) on the runbook screen.
    mutating func openRunbook(_ id: String, incident: Int64?, now: Date) -> [ConsoleEffect] {
        show(.runbook)
        return []
    }

    mutating func runbookKey(_ key: Key, now: Date) -> [ConsoleEffect]? { nil }
    mutating func runbookPerform(_ action: ConsoleAction, now: Date) -> [ConsoleEffect]? { nil }
    mutating func runbookReduce(_ event: RunbookViewEvent, now: Date) -> [ConsoleEffect] { [] }
    mutating func runbookTick(now: Date) -> [ConsoleEffect] { [] }
    mutating func runbookBack() -> Bool { false }
    var runbookAvailable: Set<ConsoleAction> { [] }

    /// Guided mode: a key the guided screen takes before its keymap; nil: not taken.
    mutating func guidedKey(_ key: Key, now: Date) -> [ConsoleEffect]? { nil }
    mutating func guidedPerform(_ action: ConsoleAction, now: Date) -> [ConsoleEffect]? { nil }
    mutating func guidedBack() -> Bool { false }
    var guidedAvailable: Set<ConsoleAction> { [] }
}

func renderRunbook(_ state: ConsoleState, into grid: inout CellGrid, area: ScreenArea, theme: Theme, now: Date) {
    grid.put("Runbook", x: 1, y: area.top, style: theme[.muted])
}

/// Guided mode draws the whole screen below the top bar (no tabs, no banner row of its own).
func renderGuided(_ state: ConsoleState, into grid: inout CellGrid, area: ScreenArea, theme: Theme, now: Date) {
    grid.put("Guided", x: 1, y: area.top, style: theme[.muted])
}

extension ConsoleLoop {
    func perform(_ effect: RunbookViewEffect) {}
}
