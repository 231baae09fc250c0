import BreakglassCore
import Foundation

// The audit screen (issue 7): owned by the incidents helper. The frame calls the functions below.

public struct AuditViewState: Sendable {
    public init() {}
}

public enum AuditEvent: Hashable, Sendable {}

public enum AuditEffect: Hashable, Sendable {}

/// Where the audit screen reads; calls block on disk and run off the loop.
public struct AuditSource: Sendable {
    public init() {}
}

extension ConsoleState {
    mutating func auditKey(_ key: Key, now: Date) -> [ConsoleEffect]? { nil }
    mutating func auditPerform(_ action: ConsoleAction, now: Date) -> [ConsoleEffect]? { nil }
    mutating func auditReduce(_ event: AuditEvent, now: Date) -> [ConsoleEffect] { [] }
    mutating func auditTick(now: Date) -> [ConsoleEffect] { [] }
    mutating func auditBack() -> Bool { false }
    var auditAvailable: Set<ConsoleAction> { [] }
}

func renderAudit(_ state: ConsoleState, into grid: inout CellGrid, area: ScreenArea, theme: Theme, now: Date) {
    grid.put("Audit", x: 1, y: area.top, style: theme[.muted])
}

extension ConsoleLoop {
    func perform(_ effect: AuditEffect) {}
}
