import BreakglassCore
import Foundation

// The alarms screen's drawing (issue 7): the list (counts and filter, header with the sort, rows with
// their incident, the detail line) or, after Enter, one alarm's detail with its metric's sparkline.

func renderAlarms(_ state: ConsoleState, into grid: inout CellGrid, area: ScreenArea, theme: Theme, now: Date) {
    var renderer = AlarmsRenderer(state: state, theme: theme, now: now, grid: grid)
    if state.alarmsView.detail != nil, let alarm = state.selectedAlarm {
        renderer.renderAlarmDetail(alarm, area: area)
    } else {
        renderer.renderCounts()
        renderer.renderHeader()
        renderer.renderList()
        renderer.renderDetail()
    }
    grid = renderer.grid
}

struct AlarmsRenderer {
    let state: ConsoleState
    let theme: Theme
    let now: Date
    let layout: ConsoleLayout
    let columns: ConsoleLayout.Columns
    var grid: CellGrid

    init(state: ConsoleState, theme: Theme, now: Date, grid: CellGrid) {
        self.state = state
        self.theme = theme
        self.now = now
        layout = state.layout
        columns = layout.columns(incidents: state.incidents.rows.contains { $0.phase != "resolved" && !$0.alarms.isEmpty })
        self.grid = grid
    }

    var width: Int { grid.width }
    var glyphs: LineGlyphs { theme.glyphs }

    /// The age of the alarms shown, after a one-cell mark that is `LineGlyphs.busy` while a refresh
    /// is in flight: the words do not change when a refresh starts or ends, so the terminal is sent
    /// one cell each time instead of the words.
    func refreshIndicator() -> String {
        let mark = state.refreshInFlight ? glyphs.busy : " "
        switch state.refresh {
        case .neverLoaded, .loading: return "loading\(glyphs.ellipsis)"
        case .loaded(let at): return mark + " updated " + CompactDuration.format(now.timeIntervalSince(at)) + " ago"
        case .failed: return mark + " refresh failed"
        }
    }

    // MARK: Counts and header

    /// The counts by state, then the filter ("filter: TEXT · N of M", with a cursor while typing);
    /// on the right, the refresh mark, the alarms' age and the selection's position among the rows
    /// shown.
    mutating func renderCounts() {
        let y = layout.countsRow
        guard state.refresh.lastLoaded != nil else {
            let text = refreshIndicator() + " "
            let x = max(0, width - TerminalText.width(text))
            grid.put(text, x: x, y: y, style: theme[.muted])
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
            if i > 0 { x += grid.put(glyphs.separator, x: x, y: y, style: theme[.muted]) }
            let style = part.0 > 0 ? theme[part.2] : theme[.muted]
            x += grid.put("\(part.0) \(part.1)", x: x, y: y, style: style)
        }
        let view = state.alarmsView
        if view.editingFilter || !view.filter.isEmpty {
            let tail = "\(glyphs.separator)\(view.rows.count) of \(state.alarms.count)"
            x += grid.put(glyphs.separator, x: x, y: y, style: theme[.muted])
            x += grid.put("filter: ", x: x, y: y, style: theme[.muted])
            // While typing, the end of a long filter stays in view; once kept, its start.
            let room = max(1, width - 1 - x - TerminalText.width(tail) - (view.editingFilter ? 1 : 0))
            let text = glyphs.sanitize(view.filter)
            let shown: String
            if TerminalText.width(text) <= room {
                shown = text
            } else if view.editingFilter {
                var tailText = ""
                for character in text.reversed() {
                    if TerminalText.width(tailText) + TerminalText.width(String(character)) > room - TerminalText.width(glyphs.ellipsis) { break }
                    tailText.insert(character, at: tailText.startIndex)
                }
                shown = glyphs.ellipsis + tailText
            } else {
                shown = glyphs.truncate(text, toWidth: room)
            }
            x += grid.put(shown, x: x, y: y, style: theme[view.editingFilter ? .text : .accent])
            if view.editingFilter { x += grid.put(" ", x: x, y: y, style: theme[.selection]) }
            x += grid.put(tail, x: x, y: y, style: theme[.muted])
        }
        // Refresh state and position on the right: the top bar is kept for who and where.
        var right = refreshIndicator()
        if let row = view.selectedRow { right += "  \(row + 1)/\(view.rows.count)" }
        right += " "
        let rightX = width - TerminalText.width(right)
        if rightX > x + 1 {
            grid.put(right, x: rightX, y: y, style: theme[.muted])
        }
    }

    /// Column names, and on the right the sort in use; the REASON label is left out when both do
    /// not fit (the column speaks for itself).
    mutating func renderHeader() {
        let style = theme[.header]
        let c = columns
        let y = layout.headerRow
        grid.fill(y: y, style: style)
        grid.put("STATE", x: ConsoleLayout.Columns.badgeX, y: y, style: style)
        grid.put("NAME", x: c.nameX, y: y, style: style)
        if c.regionWidth > 0 { grid.put("REGION", x: c.regionX, y: y, style: style) }
        grid.put(
            glyphs.pad("IN STATE", toWidth: ConsoleLayout.Columns.timeWidth, alignment: .trailing),
            x: c.timeX, y: y, style: style)
        if c.incidentWidth > 0 { grid.put("INCIDENT", x: c.incidentX, y: y, style: style, maxWidth: c.incidentWidth) }
        let sort = "sort: \(state.alarmsView.sort.label) "
        let sortX = width - TerminalText.width(sort)
        if c.reasonWidth >= 6, c.reasonX + 6 < sortX { grid.put("REASON", x: c.reasonX, y: y, style: style) }
        grid.put(sort, x: sortX, y: y, style: style)
    }

    // MARK: List

    /// Only the visible slice of the rows is read, so the cost does not grow with the list.
    mutating func renderList() {
        let top = layout.listTop
        let rows = state.alarmsView.rows
        guard !rows.isEmpty else {
            grid.put(
                glyphs.truncate(emptyListText(), toWidth: width - 4), x: 2, y: top + 1,
                style: theme[.muted])
            return
        }
        let end = min(rows.count, state.scrollOffset + layout.listHeight)
        guard state.scrollOffset < end else { return }
        for row in state.scrollOffset..<end {
            renderRow(state.alarms[rows[row]], y: top + row - state.scrollOffset, selected: row == state.alarmsView.selectedRow)
        }
    }

    func emptyListText() -> String {
        if !state.alarms.isEmpty {
            let esc = state.keymap.keyLabel(for: .back, view: .alarms) ?? "Esc"
            return "No alarm matches \"\(glyphs.sanitize(state.alarmsView.filter))\" (\(esc) clears the filter)."
        }
        switch state.refresh {
        case .neverLoaded, .loading:
            return "Loading alarms\(glyphs.ellipsis)"
        case .failed(_, _, nil):
            return "Could not load alarms yet (the reason is below)."
        case .loaded, .failed:
            let regions = glyphs.sanitize(state.regions.joined(separator: ", "))
            return regions.isEmpty ? "No alarms" : "No alarms in \(regions)"
        }
    }

    mutating func renderRow(_ alarm: Alarm, y: Int, selected: Bool) {
        let c = columns
        let style = selected ? theme[.selection] : theme[.text]
        grid.fill(y: y, style: style)
        if selected { grid.put(">", x: 0, y: y, style: style) }
        grid.put(
            glyphs.pad(AlarmListing.label(alarm.state), toWidth: ConsoleLayout.Columns.badgeWidth),
            x: ConsoleLayout.Columns.badgeX, y: y, style: theme.style(for: alarm.state))
        grid.put(
            glyphs.truncate(glyphs.sanitize(alarm.name), toWidth: c.nameWidth),
            x: c.nameX, y: y, style: style)
        if c.regionWidth > 0 {
            grid.put(
                glyphs.truncate(glyphs.sanitize(alarm.region), toWidth: c.regionWidth),
                x: c.regionX, y: y, style: style)
        }
        grid.put(
            glyphs.pad(
                CompactDuration.format(now.timeIntervalSince(alarm.updated)),
                toWidth: ConsoleLayout.Columns.timeWidth, alignment: .trailing),
            x: c.timeX, y: y, style: style)
        if c.incidentWidth > 0, let incident = state.incidents.incident(forAlarm: AlarmID(alarm)) {
            let cell = incidentCell(incident, wide: c.incidentIsWide)
            grid.put(
                glyphs.truncate(cell.text, toWidth: c.incidentWidth), x: c.incidentX, y: y,
                style: selected ? style : theme[cell.role])
        }
        // The row says CloudWatch's threshold sentence briefly ("96.2 > 90.0 (3 of last 3)"); the
        // detail below shows it whole.
        grid.put(
            glyphs.truncate(glyphs.sanitize(AlarmReason.brief(alarm.reason)), toWidth: c.reasonWidth),
            x: c.reasonX, y: y, style: style)
    }

    /// "#12 2/3 04:12": the incident, the stage last paged of how many (when `wide`), and the time to
    /// the next page; "ack" instead once acknowledged.
    func incidentCell(_ incident: IncidentRow, wide: Bool) -> (text: String, role: ThemeRole) {
        var text = "#\(incident.id)"
        if wide { text += " " + incident.stageLabel }
        if incident.acknowledgedBy != nil || incident.phase == "acknowledged" { return (text + " ack", .muted) }
        if let at = incident.nextPageAt { text += " " + ConsoleFormat.countdown(at.timeIntervalSince(now)) }
        return (text, .warning)
    }

    // MARK: Detail line(s) under the list

    mutating func renderDetail() {
        let top = layout.detailTop
        if layout.detailHeight == 1 {
            if !renderFailure(y: top), let alarm = state.selectedAlarm {
                var x = 1
                let name = glyphs.truncate(glyphs.sanitize(alarm.name), toWidth: width / 2)
                x += grid.put(name, x: x, y: top, style: theme[.header])
                x += grid.put(": ", x: x, y: top, style: theme[.text])
                let reason = glyphs.truncate(glyphs.sanitize(alarm.reason), toWidth: width - 1 - x)
                grid.put(reason, x: x, y: top, style: theme[.text])
            }
            return
        }
        if !renderFailure(y: top) {
            grid.put(glyphs.truncate(statusText(), toWidth: width - 2), x: 1, y: top, style: theme[.muted])
        }
        guard let alarm = state.selectedAlarm else { return }
        var x = 1
        x += grid.put(AlarmListing.label(alarm.state), x: x, y: top + 1, style: theme.style(for: alarm.state))
        x += 1
        let name = glyphs.truncate(glyphs.sanitize(alarm.name), toWidth: width - 1 - x)
        x += grid.put(name, x: x, y: top + 1, style: theme[.header])
        // What is most urgent first: how long, and the incident's next page.
        var facts = ["in \(AlarmListing.label(alarm.state)) for \(CompactDuration.format(now.timeIntervalSince(alarm.updated)))"]
        if let incident = state.incidents.incident(forAlarm: AlarmID(alarm)) { facts.append(incidentSummary(incident)) }
        facts.append(glyphs.sanitize(alarm.region))
        switch alarm.type {
        case .composite: facts.append("composite")
        case .metric:
            let metric = [alarm.namespace, alarm.metric].compactMap { $0 }.joined(separator: " ")
            if !metric.isEmpty { facts.append(glyphs.sanitize(metric)) }
        }
        let room = width - 1 - (x + 2)
        if room > 0 {
            grid.put(
                glyphs.truncate(facts.joined(separator: glyphs.separator), toWidth: room), x: x + 2, y: top + 1,
                style: theme[.muted])
        }
        let lines = glyphs.wrap(
            glyphs.sanitize(alarm.reason), toWidth: width - 2, maxLines: layout.detailHeight - 2)
        for (i, line) in lines.enumerated() {
            grid.put(line, x: 1, y: top + 2 + i, style: theme[.text])
        }
    }

    /// "incident #12 stage 2/3 · next page in 04:12 to Secondary", or who acknowledged it.
    func incidentSummary(_ incident: IncidentRow) -> String {
        var text = "incident #\(incident.id) stage " + incident.stageLabel
        if let by = incident.acknowledgedBy {
            text += "\(glyphs.separator)acknowledged by " + glyphs.sanitize(by)
        } else if let at = incident.nextPageAt {
            text += "\(glyphs.separator)next page in " + ConsoleFormat.countdown(at.timeIntervalSince(now))
            if let who = incident.nextPageWho { text += " to " + glyphs.sanitize(who) }
        }
        return text
    }

    /// Draws the last refresh error on row `y` if the last refresh failed; says whether it did. The
    /// error's message is cut, not the time or the retry countdown, which matter more.
    mutating func renderFailure(y: Int) -> Bool {
        guard case .failed(let message, let at, _) = state.refresh else { return false }
        let prefix = "refresh failed \(ConsoleFormat.clock(at)): "
        let suffix: String
        if state.refreshInFlight {
            suffix = " \(glyphs.dash) retrying now"
        } else {
            let wait = max(0, state.nextRefreshAt.timeIntervalSince(now).rounded(.up))
            suffix = " \(glyphs.dash) retrying in \(CompactDuration.format(wait))"
        }
        let room = width - 2 - TerminalText.width(prefix) - TerminalText.width(suffix)
        let text = prefix + glyphs.truncate(glyphs.sanitize(message), toWidth: max(0, room)) + suffix
        grid.put(text, x: 1, y: y, style: theme[.error], maxWidth: width - 2)
        return true
    }

    func statusText() -> String {
        switch state.refresh {
        case .neverLoaded, .loading:
            return "loading alarms\(glyphs.ellipsis)"
        case .loaded(let at), .failed(_, _, .some(let at)):
            // When the next refresh comes follows from these two (it is `interval` after the update),
            // so the line stays the same between refreshes: no countdown rewritten every second.
            let count = "\(state.alarms.count) alarm\(state.alarms.count == 1 ? "" : "s")"
            return "\(count)\(glyphs.separator)updated \(ConsoleFormat.clock(at)) UTC\(glyphs.separator)refreshed every \(CompactDuration.format(state.refreshInterval))"
        case .failed(_, _, nil):
            return ""
        }
    }
}

// MARK: The alarm detail (Enter)

extension AlarmsRenderer {
    static let labelWidth = 11

    /// One alarm over the whole area: name and state, how long, the full reason, the metric and its
    /// condition, the incident, and the metric's last three hours as a sparkline (or why there is
    /// none). The reason gets the rows the rest leaves, at least one.
    mutating func renderAlarmDetail(_ alarm: Alarm, area: ScreenArea) {
        var y = area.top
        let bottom = area.bottom
        var x = 1
        x += grid.put(
            glyphs.pad(AlarmListing.label(alarm.state), toWidth: ConsoleLayout.Columns.badgeWidth), x: x, y: y,
            style: theme.style(for: alarm.state))
        x += 1
        grid.put(glyphs.sanitize(alarm.name), x: x, y: y, style: theme[.header], maxWidth: width - 1 - x)
        y += 1
        let kind = alarm.type == .composite ? "composite alarm" : (alarm.metric == nil ? "metric math alarm" : "metric alarm")
        let facts = [
            glyphs.sanitize(alarm.region),
            "in \(AlarmListing.label(alarm.state)) for \(CompactDuration.format(now.timeIntervalSince(alarm.updated))) (since \(ConsoleFormat.clock(alarm.updated)) UTC)",
            kind,
        ]
        grid.put(glyphs.truncate(facts.joined(separator: glyphs.separator), toWidth: width - 2), x: 1, y: y, style: theme[.muted])
        y += 2

        var fields: [(label: String, text: String, role: ThemeRole)] = []
        if alarm.type == .metric {
            if let namespace = alarm.namespace, let metric = alarm.metric {
                fields.append(("Metric", glyphs.sanitize(namespace + " " + metric), .text))
            }
            if !alarm.dimensions.isEmpty {
                let text = alarm.dimensions.map { $0.name + "=" + $0.value }.joined(separator: ", ")
                fields.append(("Dimensions", glyphs.sanitize(text), .text))
            }
            if let condition = alarm.conditionText { fields.append(("Condition", glyphs.sanitize(condition), .text)) }
        }
        if let incident = state.incidents.incident(forAlarm: AlarmID(alarm)) {
            let title = glyphs.sanitize(incident.shortTitle)
            fields.append(("Incident", "#\(incident.id) " + title, .text))
            fields.append(("Escalation", escalationText(incident), incident.acknowledgedBy == nil ? .warning : .muted))
        }

        let charted = alarm.type == .metric && alarm.metric != nil && alarm.namespace != nil
        // The chart's block: a blank line, its title, at least three rows and the time axis (or one
        // line saying why there is no chart).
        let chartBlock = charted ? 1 + 1 + 3 + 1 : 2
        let reasonRoom = max(1, bottom - y - fields.count - chartBlock)
        let textWidth = width - 2 - Self.labelWidth
        let reason = glyphs.wrap(glyphs.sanitize(alarm.reason), toWidth: textWidth, maxLines: reasonRoom)
        for (i, line) in (reason.isEmpty ? ["(no reason given)"] : reason).enumerated() where y < bottom {
            if i == 0 { grid.put("Reason", x: 1, y: y, style: theme[.muted]) }
            grid.put(line, x: 1 + Self.labelWidth, y: y, style: theme[reason.isEmpty ? .muted : .text])
            y += 1
        }
        for field in fields where y < bottom {
            grid.put(field.label, x: 1, y: y, style: theme[.muted])
            grid.put(glyphs.truncate(field.text, toWidth: textWidth), x: 1 + Self.labelWidth, y: y, style: theme[field.role])
            y += 1
        }
        y += 1
        guard y < bottom else { return }
        // The chart takes the rows left, up to ten.
        renderChart(alarm, top: y, rows: min(10, max(1, bottom - y - 2)), bottom: bottom)
    }

    func escalationText(_ incident: IncidentRow) -> String {
        var text = "stage " + incident.stageLabel
        if let by = incident.acknowledgedBy { return text + "\(glyphs.separator)acknowledged by " + glyphs.sanitize(by) }
        if let at = incident.nextPageAt {
            text += "\(glyphs.separator)next page in " + ConsoleFormat.countdown(at.timeIntervalSince(now))
            if let who = incident.nextPageWho { text += " to " + glyphs.sanitize(who) }
        } else {
            text += "\(glyphs.separator)no more pages scheduled"
        }
        return text
    }

    /// The title line, then the sparkline with max, last and min on its right and the window's start
    /// and end times under it; or one line saying why there is no chart.
    mutating func renderChart(_ alarm: Alarm, top: Int, rows: Int, bottom: Int) {
        var y = top
        guard alarm.type == .metric, alarm.metric != nil, alarm.namespace != nil else {
            let why = alarm.type == .composite
                ? "Composite alarm: it combines other alarms, so there is no metric to chart."
                : "Metric math alarm: it has no single metric to chart."
            grid.put(glyphs.truncate(why, toWidth: width - 2), x: 1, y: y, style: theme[.muted])
            return
        }
        let statistic = glyphs.sanitize(alarm.statistic ?? "Average")
        var title = "Last 3 hours\(glyphs.separator)\(statistic) per 5 minutes"
        let entry = state.alarmsView.metrics[AlarmID(alarm)]
        if entry?.fetchStartedAt != nil && entry?.result != nil {
            title += "\(glyphs.separator)refreshing\(glyphs.ellipsis)"
        } else if let at = entry?.answeredAt {
            title += "\(glyphs.separator)read \(ConsoleFormat.clock(at)) UTC"
        }
        grid.put(glyphs.truncate(title, toWidth: width - 2), x: 1, y: y, style: theme[.header])
        y += 1
        guard let result = entry?.result else {
            grid.put("loading\(glyphs.ellipsis)", x: 2, y: y, style: theme[.muted])
            return
        }
        switch result {
        case .failed(let failure):
            renderMetricFailure(failure, top: y, bottom: bottom)
        case .series(let query, let series):
            let values = series.values(for: query)
            guard values.contains(where: { $0 != nil }) else {
                grid.put(
                    glyphs.truncate("no data in the last 3 hours (the metric has sent no data points)", toWidth: width - 4),
                    x: 2, y: y, style: theme[.muted])
                return
            }
            let labelRoom = 14
            let columnWidth = max(1, min(3, (width - 4 - labelRoom) / max(1, values.count)))
            let fitted = Sparkline.fit(values, toWidth: max(1, (width - 4 - labelRoom) / columnWidth))
            let spark = Sparkline(values: fitted, height: rows, columnWidth: columnWidth, levels: theme.glyphs.levels)
            for (i, line) in spark.rows.enumerated() {
                grid.put(line, x: 2, y: y + i, style: theme[.accent])
            }
            let labelX = 2 + fitted.count * columnWidth + 2
            let last = values.last(where: { $0 != nil }).flatMap { $0 }
            var labels: [(Int, String)] = []
            if let high = spark.maximum { labels.append((0, "max " + MetricFormat.number(high))) }
            if let low = spark.minimum { labels.append((rows - 1, "min " + MetricFormat.number(low))) }
            if rows >= 3, let last { labels.append((rows / 2, "last " + MetricFormat.number(last))) }
            if rows == 1 {
                labels = [(0, [spark.minimum.map { "min " + MetricFormat.number($0) }, spark.maximum.map { "max " + MetricFormat.number($0) }]
                    .compactMap { $0 }.joined(separator: "  "))]
            }
            for (row, label) in labels {
                grid.put(label, x: labelX, y: y + row, style: theme[.muted], maxWidth: width - 1 - labelX)
            }
            let axisY = y + rows
            if rows > 1, axisY < bottom {
                let end = ConsoleFormat.clock(query.end).prefix(5) + " UTC"
                let start = String(ConsoleFormat.clock(query.start).prefix(5))
                grid.put(start, x: 2, y: axisY, style: theme[.muted])
                let endX = 2 + fitted.count * columnWidth - TerminalText.width(String(end))
                if endX > 2 + TerminalText.width(start) + 1 { grid.put(String(end), x: endX, y: axisY, style: theme[.muted]) }
            }
        }
    }

    /// The AWS error as AWS gave it: code, message (wrapped), request id.
    mutating func renderMetricFailure(_ failure: MetricFailure, top: Int, bottom: Int) {
        var y = top
        let head = "could not read the metric" + (failure.code.map { ": " + glyphs.sanitize($0) } ?? "")
        grid.put(glyphs.truncate(head, toWidth: width - 4), x: 2, y: y, style: theme[.error])
        y += 1
        let room = max(1, min(3, bottom - y - (failure.requestID == nil ? 0 : 1)))
        for line in glyphs.wrap(glyphs.sanitize(failure.message), toWidth: width - 4, maxLines: room) where y < bottom {
            grid.put(line, x: 2, y: y, style: theme[.text])
            y += 1
        }
        if let id = failure.requestID, y < bottom {
            grid.put(glyphs.truncate("request id " + glyphs.sanitize(id), toWidth: width - 4), x: 2, y: y, style: theme[.muted])
        }
    }
}
