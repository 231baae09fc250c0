import BreakglassCore

/// Where everything on the alarm console goes for a terminal size. The reducer (for paging and
/// scrolling) and the renderer read the same layout, so they agree on how many rows are visible.
///
/// Rows: 0 top bar, 1 the screens' tabs, then the page banner while there is one (row 2), the
/// screen's area, and the footer on the last row. On the alarms screen the area holds the counts,
/// the column header, the alarm list and the detail block (1 line; 4 lines when the terminal has at
/// least 30 rows); Enter replaces them with one alarm's detail over the whole area.
public struct ConsoleLayout: Hashable, Sendable {
    public static let minimumSize = TerminalSize(width: 80, height: 24)
    public static let tabsRow = 1
    public static let bannerRow = 2

    public let size: TerminalSize
    /// Alarms from several regions can share a name, so the region gets a column when more than one
    /// region is shown.
    public let regionWidth: Int
    /// Display width of the longest alarm name; 0 when unknown (no alarms yet).
    public let widestName: Int
    /// 1 while the page banner shows, else 0: the list gives up a row for it.
    public let bannerHeight: Int

    public init(size: TerminalSize, regions: [String], widestName: Int = 0, banner: Bool = false) {
        self.size = size
        self.widestName = widestName
        bannerHeight = banner ? 1 : 0
        if regions.count > 1 {
            let widest = regions.map { TerminalText.width(TerminalText.sanitize($0)) }.max() ?? 0
            regionWidth = min(14, max(6, widest))
        } else {
            regionWidth = 0
        }
    }

    public var isTooSmall: Bool {
        size.width < Self.minimumSize.width || size.height < Self.minimumSize.height
    }

    /// Where a screen draws: below the tabs (and the banner), above the footer.
    public var area: ScreenArea {
        ScreenArea(top: contentTop, height: max(0, footerRow - contentTop), width: size.width)
    }

    public var contentTop: Int { Self.bannerRow + bannerHeight }
    public var countsRow: Int { contentTop }
    public var detailHeight: Int { size.height >= 30 ? 4 : 1 }
    public var headerRow: Int { contentTop + 1 }
    public var listTop: Int { headerRow + 1 }
    public var listHeight: Int { max(0, size.height - listTop - detailHeight - 1) }
    public var detailTop: Int { listTop + listHeight }
    public var footerRow: Int { size.height - 1 }

    /// Columns of an alarm row: a selection marker, the state badge, the name, the region (when shown),
    /// the time in state, the incident (when any alarm may belong to one) and the reason, separated by
    /// two spaces. Name and reason share what is left: names are what people scan for, so the name
    /// column is as wide as the longest name, up to 65% of the room and 64 columns (and at least 16);
    /// with no names known it takes 45%.
    ///
    /// The incident column says "#12 2/3 04:12" (id, stage of stages, next page) where name and
    /// reason keep at least 60 columns between them, "#12 04:12" where they keep 36 (80 columns with
    /// one region or two), and is left out below that: the name and the reason matter more, and the
    /// detail line and Enter show the incident in full.
    public struct Columns: Hashable, Sendable {
        public static let badgeX = 2
        public static let badgeWidth = 5
        public static let timeWidth = 8
        public static let gap = 2
        public static let incidentWideWidth = 14
        public static let incidentCompactWidth = 9

        public let nameX: Int
        public let nameWidth: Int
        public let regionX: Int
        public let regionWidth: Int
        public let timeX: Int
        /// 0 when the column is left out.
        public let incidentX: Int
        public let incidentWidth: Int
        public let reasonX: Int
        public let reasonWidth: Int

        /// The incident column shows the stage too.
        public var incidentIsWide: Bool { incidentWidth >= Self.incidentWideWidth }
    }

    public var columns: Columns { columns(incidents: false) }

    /// The columns, with room for the incident column when `incidents` (any open incident has alarms).
    public func columns(incidents: Bool) -> Columns {
        let gap = Columns.gap
        let nameX = Columns.badgeX + Columns.badgeWidth + gap
        let regionSpace = regionWidth > 0 ? regionWidth + gap : 0
        var flexible = max(2, size.width - nameX - gap - regionSpace - Columns.timeWidth - gap)
        var incidentWidth = 0
        if incidents {
            if flexible - Columns.incidentWideWidth - gap >= 60 {
                incidentWidth = Columns.incidentWideWidth
            } else if flexible - Columns.incidentCompactWidth - gap >= 36 {
                incidentWidth = Columns.incidentCompactWidth
            }
            if incidentWidth > 0 { flexible -= incidentWidth + gap }
        }
        let cap = min(64, flexible * 65 / 100)
        let nameWidth = widestName > 0 ? min(cap, max(16, widestName)) : min(64, max(16, flexible * 45 / 100))
        let reasonWidth = max(0, flexible - nameWidth)
        let regionX = nameX + nameWidth + gap
        let timeX = regionX + regionSpace
        let incidentX = incidentWidth > 0 ? timeX + Columns.timeWidth + gap : 0
        let reasonX = incidentWidth > 0 ? incidentX + incidentWidth + gap : timeX + Columns.timeWidth + gap
        return Columns(
            nameX: nameX, nameWidth: nameWidth, regionX: regionX, regionWidth: regionWidth, timeX: timeX,
            incidentX: incidentX, incidentWidth: incidentWidth, reasonX: reasonX, reasonWidth: reasonWidth)
    }
}

/// The rows a screen may draw in, the full width of the terminal.
public struct ScreenArea: Hashable, Sendable {
    public var top: Int
    public var height: Int
    public var width: Int

    public init(top: Int, height: Int, width: Int) {
        self.top = top
        self.height = height
        self.width = width
    }

    /// The row after the last one of the area.
    public var bottom: Int { top + height }

    /// Where a list action moves a position in `count` rows (or a pane's scroll offset, with
    /// `count` = the largest offset + 1): one row for up and down, `page` rows for the page keys,
    /// to either end for top and bottom; always inside the list.
    public static func moved(from current: Int, by action: ConsoleAction, count: Int, page: Int) -> Int {
        let last = max(0, count - 1)
        let target: Int
        switch action {
        case .moveDown: target = current + 1
        case .moveUp: target = current - 1
        case .pageDown: target = current + max(1, page)
        case .pageUp: target = current - max(1, page)
        case .top: target = 0
        case .bottom: target = last
        default: target = current
        }
        return min(max(0, target), last)
    }

    /// The first row a list of `count` rows, `height` tall, shows: `offset` moved the least to show
    /// `selected`, and never past the end (a taller window shows more rows, not blank space).
    public static func firstVisible(selected: Int?, offset: Int, count: Int, height: Int) -> Int {
        guard height > 0 else { return 0 }
        var first = offset
        if let selected {
            if selected < first { first = selected }
            if selected >= first + height { first = selected - height + 1 }
        }
        return min(max(0, first), max(0, count - height))
    }
}
