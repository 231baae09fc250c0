import BreakglassCore
import Foundation

// The alarms screen's drawing (issue 7): owned by the alarms helper.

func renderAlarms(_ state: ConsoleState, into grid: inout CellGrid, area: ScreenArea, theme: Theme, now: Date) {
    var renderer = AlarmsRenderer(state: state, theme: theme, now: now, grid: grid)
    renderer.renderCounts()
    renderer.renderHeader()
    renderer.renderList()
    renderer.renderDetail()
    grid = renderer.grid
}

struct AlarmsRenderer {
    let state: ConsoleState
    let theme: Theme
    let now: Date
    let layout: ConsoleLayout
    var grid: CellGrid

    init(state: ConsoleState, theme: Theme, now: Date, grid: CellGrid) {
        self.state = state
        self.theme = theme
        self.now = now
        layout = state.layout
        self.grid = grid
    }

    var width: Int { grid.width }

    func refreshIndicator() -> String {
        switch state.refresh {
        case .neverLoaded, .loading: return "loading…"
        case _ where state.refreshInFlight: return "refreshing…"
        case .loaded(let at): return "updated " + CompactDuration.format(now.timeIntervalSince(at)) + " ago"
        case .failed: return "refresh failed"
        }
    }

    mutating func renderCounts() {
        guard state.refresh.lastLoaded != nil else {
            let text = refreshIndicator() + " "
            let x = max(0, width - TerminalText.width(text))
            grid.put(text, x: x, y: layout.countsRow, style: theme[.muted])
            return
        }
        let counts = state.counts
        let parts: [(Int, String, ThemeRole)] = [
            (counts.alarm, "ALARM", .stateAlarm),
            (counts.insufficientData, "INSUF", .stateInsufficient),
            (counts.ok, "OK", .stateOK),
        ]
        var x = 1
        for (i, part) in parts.enumerated() {
            if i > 0 { x += grid.put(" · ", x: x, y: layout.countsRow, style: theme[.muted]) }
            let style = part.0 > 0 ? theme[part.2] : theme[.muted]
            x += grid.put("\(part.0) \(part.1)", x: x, y: layout.countsRow, style: style)
        }
        // Refresh state and position on the right: the top bar is kept for who and where.
        var right = refreshIndicator()
        if let index = state.selectedIndex { right += "  \(index + 1)/\(state.alarms.count)" }
        right += " "
        let rightX = width - TerminalText.width(right)
        if rightX > x + 1 {
            grid.put(right, x: rightX, y: layout.countsRow, style: theme[.muted])
        }
    }

    mutating func renderHeader() {
        let style = theme[.header]
        let c = layout.columns
        let y = layout.headerRow
        grid.fill(y: y, style: style)
        grid.put("STATE", x: ConsoleLayout.Columns.badgeX, y: y, style: style)
        grid.put("NAME", x: c.nameX, y: y, style: style)
        if c.regionWidth > 0 { grid.put("REGION", x: c.regionX, y: y, style: style) }
        grid.put(
            TerminalText.pad("IN STATE", toWidth: ConsoleLayout.Columns.timeWidth, alignment: .trailing),
            x: c.timeX, y: y, style: style)
        grid.put("REASON", x: c.reasonX, y: y, style: style, maxWidth: c.reasonWidth)
    }

    // MARK: List

    mutating func renderList() {
        let top = layout.listTop
        guard !state.alarms.isEmpty else {
            grid.put(
                TerminalText.truncate(emptyListText(), toWidth: width - 4), x: 2, y: top + 1,
                style: theme[.muted])
            return
        }
        let end = min(state.alarms.count, state.scrollOffset + layout.listHeight)
        guard state.scrollOffset < end else { return }
        for index in state.scrollOffset..<end {
            renderRow(state.alarms[index], y: top + index - state.scrollOffset, selected: index == state.selectedIndex)
        }
    }

    func emptyListText() -> String {
        switch state.refresh {
        case .neverLoaded, .loading:
            return "Loading alarms…"
        case .failed(_, _, nil):
            return "Could not load alarms yet (the reason is below)."
        case .loaded, .failed:
            let regions = TerminalText.sanitize(state.regions.joined(separator: ", "))
            return regions.isEmpty ? "No alarms" : "No alarms in \(regions)"
        }
    }

    mutating func renderRow(_ alarm: Alarm, y: Int, selected: Bool) {
        let c = layout.columns
        let style = selected ? theme[.selection] : theme[.text]
        grid.fill(y: y, style: style)
        if selected { grid.put(">", x: 0, y: y, style: style) }
        grid.put(
            TerminalText.pad(AlarmListing.label(alarm.state), toWidth: ConsoleLayout.Columns.badgeWidth),
            x: ConsoleLayout.Columns.badgeX, y: y, style: theme.style(for: alarm.state))
        grid.put(
            TerminalText.truncate(TerminalText.sanitize(alarm.name), toWidth: c.nameWidth),
            x: c.nameX, y: y, style: style)
        if c.regionWidth > 0 {
            grid.put(
                TerminalText.truncate(TerminalText.sanitize(alarm.region), toWidth: c.regionWidth),
                x: c.regionX, y: y, style: style)
        }
        grid.put(
            TerminalText.pad(
                CompactDuration.format(now.timeIntervalSince(alarm.updated)),
                toWidth: ConsoleLayout.Columns.timeWidth, alignment: .trailing),
            x: c.timeX, y: y, style: style)
        grid.put(
            TerminalText.truncate(TerminalText.sanitize(alarm.reason), toWidth: c.reasonWidth),
            x: c.reasonX, y: y, style: style)
    }

    // MARK: Detail

    mutating func renderDetail() {
        let top = layout.detailTop
        if layout.detailHeight == 1 {
            if !renderFailure(y: top), let alarm = state.selectedAlarm {
                var x = 1
                let name = TerminalText.truncate(TerminalText.sanitize(alarm.name), toWidth: width / 2)
                x += grid.put(name, x: x, y: top, style: theme[.header])
                x += grid.put(": ", x: x, y: top, style: theme[.text])
                let reason = TerminalText.truncate(TerminalText.sanitize(alarm.reason), toWidth: width - 1 - x)
                grid.put(reason, x: x, y: top, style: theme[.text])
            }
            return
        }
        if !renderFailure(y: top) {
            grid.put(TerminalText.truncate(statusText(), toWidth: width - 2), x: 1, y: top, style: theme[.muted])
        }
        guard let alarm = state.selectedAlarm else { return }
        var x = 1
        x += grid.put(AlarmListing.label(alarm.state), x: x, y: top + 1, style: theme.style(for: alarm.state))
        x += 1
        let name = TerminalText.truncate(TerminalText.sanitize(alarm.name), toWidth: width - 1 - x)
        x += grid.put(name, x: x, y: top + 1, style: theme[.header])
        var facts = [TerminalText.sanitize(alarm.region)]
        switch alarm.type {
        case .composite: facts.append("composite")
        case .metric:
            let metric = [alarm.namespace, alarm.metric].compactMap { $0 }.joined(separator: " ")
            if !metric.isEmpty { facts.append(TerminalText.sanitize(metric)) }
        }
        facts.append("in \(AlarmListing.label(alarm.state)) for \(CompactDuration.format(now.timeIntervalSince(alarm.updated)))")
        let room = width - 1 - (x + 2)
        if room > 0 {
            grid.put(
                TerminalText.truncate(facts.joined(separator: " · "), toWidth: room), x: x + 2, y: top + 1,
                style: theme[.muted])
        }
        let lines = TerminalText.wrap(
            TerminalText.sanitize(alarm.reason), toWidth: width - 2, maxLines: layout.detailHeight - 2)
        for (i, line) in lines.enumerated() {
            grid.put(line, x: 1, y: top + 2 + i, style: theme[.text])
        }
    }

    /// Draws the last refresh error on row `y` if the last refresh failed; says whether it did. The
    /// error's message is cut, not the time or the retry countdown, which matter more.
    mutating func renderFailure(y: Int) -> Bool {
        guard case .failed(let message, let at, _) = state.refresh else { return false }
        let prefix = "refresh failed \(ConsoleFormat.clock(at)): "
        let suffix: String
        if state.refreshInFlight {
            suffix = " — retrying now"
        } else {
            let wait = max(0, state.nextRefreshAt.timeIntervalSince(now).rounded(.up))
            suffix = " — retrying in \(CompactDuration.format(wait))"
        }
        let room = width - 2 - TerminalText.width(prefix) - TerminalText.width(suffix)
        let text = prefix + TerminalText.truncate(TerminalText.sanitize(message), toWidth: max(0, room)) + suffix
        grid.put(text, x: 1, y: y, style: theme[.error], maxWidth: width - 2)
        return true
    }

    func statusText() -> String {
        switch state.refresh {
        case .neverLoaded, .loading:
            return "loading alarms…"
        case .loaded(let at), .failed(_, _, .some(let at)):
            let count = "\(state.alarms.count) alarm\(state.alarms.count == 1 ? "" : "s")"
            if state.refreshInFlight { return "\(count) · updated \(ConsoleFormat.clock(at)) UTC · refreshing…" }
            let wait = max(0, state.nextRefreshAt.timeIntervalSince(now).rounded(.up))
            return "\(count) · updated \(ConsoleFormat.clock(at)) UTC · next refresh in \(CompactDuration.format(wait))"
        case .failed(_, _, nil):
            return ""
        }
    }

}
