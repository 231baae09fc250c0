import BreakglassCore
import Foundation

// The access screen (issue 7): owned by the access helper. The frame calls the functions below.

public struct AccessViewState: Sendable {
    public init() {}

    /// The break-glass grant held now, for the top bar: its role and when it expires.
    public var held: (role: String, expires: Date)? { nil }
}

public enum AccessEvent: Hashable, Sendable {}

public enum AccessEffect: Hashable, Sendable {}

/// Where the access screen asks for, shows and revokes grants; calls run off the loop.
public struct AccessSource: Sendable {
    public init() {}
}

extension ConsoleState {
    /// Opens the access screen to request `role` (nil: let the person pick), with the session
    /// policy derived from `runbook` and its `params` when given: the runbook screen calls this when
    /// a runbook needs a role no grant covers.
    mutating func openAccess(role: String?, runbook: String?, params: [String: String], now: Date) -> [ConsoleEffect] {
        show(.access)
        return []
    }

    mutating func accessKey(_ key: Key, now: Date) -> [ConsoleEffect]? { nil }
    mutating func accessPerform(_ action: ConsoleAction, now: Date) -> [ConsoleEffect]? { nil }
    mutating func accessReduce(_ event: AccessEvent, now: Date) -> [ConsoleEffect] { [] }
    mutating func accessTick(now: Date) -> [ConsoleEffect] { [] }
    mutating func accessBack() -> Bool { false }
    var accessAvailable: Set<ConsoleAction> { [] }
}

func renderAccess(_ state: ConsoleState, into grid: inout CellGrid, area: ScreenArea, theme: Theme, now: Date) {
    grid.put("Access", x: 1, y: area.top, style: theme[.muted])
}

extension ConsoleLoop {
    func perform(_ effect: AccessEffect) {}
}
