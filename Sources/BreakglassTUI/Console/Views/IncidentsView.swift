import BreakglassCore
import Foundation

// The incidents screen (issue 7): owned by the incidents helper. The frame calls the functions
// below; their shapes are the contract, their bodies grow.

/// One incident as the console shows it, from the shared store.
public struct IncidentRow: Hashable, Sendable {
    public var id: Int64
    public var title: String
    public var severity: Int
    /// "open", "acknowledged" or "resolved".
    public var phase: String
    /// 1-based stage last paged, and how many stages the plan has.
    public var stage: Int
    public var stages: Int
    /// When the next page goes out, and to whom; nil when nothing more is scheduled.
    public var nextPageAt: Date?
    public var nextPageWho: String?
    public var acknowledgedBy: String?
    /// The alarms (name, region) that belong to it.
    public var alarms: [AlarmID]
    /// Runbooks its response rule suggests, first is the default.
    public var runbooks: [String]

    public init(
        id: Int64, title: String, severity: Int, phase: String, stage: Int, stages: Int, nextPageAt: Date?, nextPageWho: String?,
        acknowledgedBy: String?, alarms: [AlarmID], runbooks: [String]
    ) {
        self.id = id
        self.title = title
        self.severity = severity
        self.phase = phase
        self.stage = stage
        self.stages = stages
        self.nextPageAt = nextPageAt
        self.nextPageWho = nextPageWho
        self.acknowledgedBy = acknowledgedBy
        self.alarms = alarms
        self.runbooks = runbooks
    }
}

public struct IncidentsViewState: Sendable {
    public internal(set) var rows: [IncidentRow] = []
    public init() {}

    /// The unresolved incident an alarm belongs to, if any.
    public func incident(forAlarm alarm: AlarmID) -> IncidentRow? {
        rows.first { $0.phase != "resolved" && $0.alarms.contains(alarm) }
    }
}

public enum IncidentsEvent: Hashable, Sendable {
    case loaded([IncidentRow])
}

public enum IncidentsEffect: Hashable, Sendable {
    case load
}

/// Where the incidents screen reads and acts; calls block on disk and run off the loop.
public struct IncidentsSource: Sendable {
    public var load: @Sendable () throws -> [IncidentRow]
    public init(load: @escaping @Sendable () throws -> [IncidentRow]) {
        self.load = load
    }
}

extension ConsoleState {
    /// A key the screen takes before the keymap (a text field); nil: not taken.
    mutating func incidentsKey(_ key: Key, now: Date) -> [ConsoleEffect]? { nil }

    /// The screen's answer to `action`; nil: not its action.
    mutating func incidentsPerform(_ action: ConsoleAction, now: Date) -> [ConsoleEffect]? { nil }

    mutating func incidentsReduce(_ event: IncidentsEvent, now: Date) -> [ConsoleEffect] {
        switch event {
        case .loaded(let rows): incidents.rows = rows
        }
        return []
    }

    /// Called on every tick, whichever screen shows.
    mutating func incidentsTick(now: Date) -> [ConsoleEffect] { [] }

    /// Esc on this screen: closes its inner level; false when there is none.
    mutating func incidentsBack() -> Bool { false }

    /// Actions that do something now, for the footer.
    var incidentsAvailable: Set<ConsoleAction> { [] }
}

func renderIncidents(_ state: ConsoleState, into grid: inout CellGrid, area: ScreenArea, theme: Theme, now: Date) {
    grid.put("Incidents", x: 1, y: area.top, style: theme[.muted])
}

extension ConsoleLoop {
    func perform(_ effect: IncidentsEffect) {}
}
