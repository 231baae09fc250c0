import BreakglassCore

/// Where everything on the facilitator's view goes, for a terminal size and a snapshot. The reducer
/// (for scrolling) and the renderer read the same layout, so they agree on how many log rows show.
///
/// Rows: 0 the top bar; 2–4 the recovery clock; 6 the participant's current step; 8 the milestone
/// table's header and its rows from 9; a blank row, the event log's header and the log down to the
/// row above the footer, on the last row. The milestone table gets the rows it needs up to half of
/// what is left below it (the log keeps at least 4), so a taller terminal shows more of both.
public struct DrillWatchLayout: Hashable, Sendable {
    public static let minimumSize = ConsoleLayout.minimumSize
    public static let topBarRow = 0
    public static let clockTop = 2
    public static let stepRow = 6
    public static let tableHeaderRow = 8
    public static let tableTop = 9

    public let size: TerminalSize
    /// Rows of the milestone table below its header.
    public let milestoneRows: Int
    /// Lines in the event log.
    public let eventCount: Int

    public init(size: TerminalSize, timeline: DrillTimeline?) {
        self.size = size
        eventCount = timeline?.events.count ?? 0
        let wanted = timeline.map { DrillWatchMilestones.count(in: $0) } ?? 0
        // Below the table's first row: the table, a blank row, the log's header, the log, the footer.
        let room = max(0, size.height - Self.tableTop - 3)
        milestoneRows = max(0, min(wanted, room - max(4, room / 2)))
    }

    public var isTooSmall: Bool {
        size.width < Self.minimumSize.width || size.height < Self.minimumSize.height
    }

    public var logHeaderRow: Int { Self.tableTop + milestoneRows + 1 }
    public var logTop: Int { logHeaderRow + 1 }
    public var footerRow: Int { size.height - 1 }
    public var logRows: Int { max(0, footerRow - logTop) }
    /// What PgUp and PgDn move: a page less one line, so one line stays in view.
    public var logPage: Int { max(1, logRows - 1) }
    /// The furthest back the log scrolls: its oldest line on the top row.
    public var maxScroll: Int { max(0, eventCount - logRows) }

    /// The events shown for `scroll`: indices into the timeline's events, oldest first.
    public func visibleEvents(scroll: Int) -> Range<Int> {
        let end = max(0, eventCount - min(max(0, scroll), maxScroll))
        return max(0, end - logRows)..<end
    }
}

/// The rows of the milestone table: what happened, in order, then what has not happened yet.
public enum DrillWatchMilestones {
    public enum Row: Equatable, Sendable {
        case reached(DrillMilestone)
        /// Detected, acknowledged, access granted or recovered, still to happen.
        case pending(DrillMilestone.Kind)
        /// Earlier milestones left out for room.
        case hidden(Int)
    }

    /// The milestones every drill measures, in the order they are expected.
    public static let headline: [DrillMilestone.Kind] = [.detected, .acknowledged, .accessGranted, .recovered]

    /// Rows needed to show everything.
    public static func count(in timeline: DrillTimeline) -> Int {
        timeline.milestones.count + headline.filter { timeline.milestone($0) == nil }.count
    }

    /// The table in at most `limit` rows. When everything does not fit, the earliest runbook-step
    /// milestones (then the earliest others) give way to one "… N earlier" row where the first of them
    /// stood; what has not happened yet always shows.
    public static func rows(_ timeline: DrillTimeline, limit: Int) -> [Row] {
        let all = timeline.milestones.map(Row.reached) + headline.filter { timeline.milestone($0) == nil }.map(Row.pending)
        guard all.count > limit else { return all }
        guard limit > 0 else { return [] }
        let excess = all.count - limit + 1
        let isStep: (DrillMilestone) -> Bool = { $0.kind == .stepStarted || $0.kind == .stepFinished }
        let reached = timeline.milestones.indices
        let order = reached.filter { isStep(timeline.milestones[$0]) } + reached.filter { !isStep(timeline.milestones[$0]) }
        let hide = Set(order.prefix(excess))
        guard let first = hide.min() else { return Array(all.prefix(limit)) }
        var out: [Row] = []
        for (i, row) in all.enumerated() {
            if i == first { out.append(.hidden(hide.count)) }
            if !hide.contains(i) { out.append(row) }
        }
        return Array(out.prefix(limit))
    }
}
