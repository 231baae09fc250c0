import BreakglassCore
import Foundation

/// The alarm console as a grid of `state.size`. Pure: the same state, theme and time give the same
/// frame. Only the visible rows are measured and sanitized, so the cost does not grow with the
/// number of alarms. Every string that came from outside goes through `TerminalText.sanitize`.
public func renderConsole(_ state: ConsoleState, theme: Theme, now: Date) -> CellGrid {
    var renderer = ConsoleRenderer(state: state, theme: theme, now: now)
    renderer.render()
    return renderer.grid
}

private struct ConsoleRenderer {
    let state: ConsoleState
    let theme: Theme
    let now: Date
    let layout: ConsoleLayout
    var grid: CellGrid

    init(state: ConsoleState, theme: Theme, now: Date) {
        self.state = state
        self.theme = theme
        self.now = now
        layout = state.layout
        grid = CellGrid(width: state.size.width, height: state.size.height, style: theme[.text])
    }

    var width: Int { grid.width }

    mutating func render() {
        guard !layout.isTooSmall else {
            renderTooSmall()
            return
        }
        renderTopBar()
        renderCounts()
        renderBanner()
        renderHeader()
        renderList()
        renderDetail()
        renderFooter()
    }

    // MARK: Bars

    mutating func renderTopBar() {
        let style = theme[.topBar]
        grid.fill(y: 0, style: style)
        let right = ConsoleFormat.clock(now) + " UTC "
        let rightX = width - TerminalText.width(right)
        let product = " breakglass"
        grid.put(product, x: 0, y: 0, style: style)
        // Identity, then regions. When both do not fit, the regions keep at least half the room: which
        // region you are looking at matters more than the tail of an ARN.
        let identity = TerminalText.sanitize(state.identity)
        let regions = TerminalText.sanitize(state.regions.joined(separator: ","))
        let identityWidth = TerminalText.width(identity)
        let regionsWidth = TerminalText.width(regions)
        var x = TerminalText.width(product) + 2
        let room = rightX - 2 - x
        if room > 0 {
            let regionsRoom = identity.isEmpty ? min(regionsWidth, room) : min(regionsWidth, max(room / 2, room - identityWidth - 2))
            let identityRoom = room - (regionsRoom > 0 ? regionsRoom + 2 : 0)
            if identityRoom > 0, !identity.isEmpty {
                x += grid.put(TerminalText.truncate(identity, toWidth: identityRoom), x: x, y: 0, style: style) + 2
            }
            if regionsRoom > 0 {
                grid.put(TerminalText.truncate(regions, toWidth: regionsRoom), x: x, y: 0, style: style)
            }
        }
        grid.put(right, x: max(0, rightX), y: 0, style: style)
    }

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
            grid.put(text, x: x, y: 1, style: theme[.muted])
            renderPagesMarker(endingAt: x, after: 1)
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
            if i > 0 { x += grid.put(" · ", x: x, y: 1, style: theme[.muted]) }
            let style = part.0 > 0 ? theme[part.2] : theme[.muted]
            x += grid.put("\(part.0) \(part.1)", x: x, y: 1, style: style)
        }
        // Refresh state and position on the right: the top bar is kept for who and where.
        var right = refreshIndicator()
        if let index = state.selectedIndex { right += "  \(index + 1)/\(state.alarms.count)" }
        right += " "
        let rightX = width - TerminalText.width(right)
        if rightX > x + 1 {
            grid.put(right, x: rightX, y: 1, style: theme[.muted])
            renderPagesMarker(endingAt: rightX, after: x)
        }
    }

    /// "pages off" or "pages failing" just left of `endingAt`, when pages do not work and it fits
    /// after column `after`.
    mutating func renderPagesMarker(endingAt end: Int, after: Int) {
        guard let marker = state.pageFeed.marker else { return }
        let text = marker + " · "
        let x = end - TerminalText.width(text)
        guard x > after + 1 else { return }
        grid.put(marker, x: x, y: 1, style: theme[.warning])
        grid.put(" · ", x: x + TerminalText.width(marker), y: 1, style: theme[.muted])
    }

    // MARK: Banner

    /// The page banner on its row: a page waiting for an answer in the alarm style (reverse video in
    /// monochrome), news that it was acknowledged or resolved in the accent style, problems as
    /// warnings. Everything from the store is sanitised; the text is cut to the width.
    mutating func renderBanner() {
        guard let banner = state.banner else { return }
        let y = ConsoleLayout.bannerRow
        let line = BannerText.line(banner, width: width)
        let style = theme[line.role]
        grid.fill(y: y, style: style)
        grid.put(line.left, x: 0, y: y, style: style, maxWidth: width)
        if !line.right.isEmpty {
            grid.put(line.right, x: max(0, width - TerminalText.width(line.right)), y: y, style: style)
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

    // MARK: Footer

    mutating func renderFooter() {
        let y = layout.footerRow
        grid.fill(y: y, style: theme[.footer])
        var x = 1
        for hint in Keymap.console.footerHints(available: state.bannerActions) {
            let needed = TerminalText.width(hint.key) + 1 + TerminalText.width(hint.description)
            if x + needed > width - 1 { break }
            x += grid.put(hint.key, x: x, y: y, style: theme[.footerKey])
            x += 1
            x += grid.put(hint.description, x: x, y: y, style: theme[.footer])
            x += 2
        }
    }

    // MARK: Too small

    mutating func renderTooSmall() {
        guard width > 0, grid.height > 0 else { return }
        let need = ConsoleLayout.minimumSize
        let message =
            "terminal too small: need \(need.width)×\(need.height), have \(state.size.width)×\(state.size.height) — q quits"
        let lines = TerminalText.wrap(message, toWidth: width, maxLines: grid.height)
        let top = max(0, (grid.height - lines.count) / 2)
        for (i, line) in lines.enumerated() {
            let x = max(0, (width - TerminalText.width(line)) / 2)
            grid.put(line, x: x, y: top + i, style: theme[.warning])
        }
    }
}

/// The words of the page banner, cut to fit: kept apart from drawing so tests can check the cutting.
enum BannerText {
    /// The banner's text for `width` columns: `left` from the first column, `right` (the count of
    /// other notices) against the right edge, and the role to draw the row in. The key hint is added
    /// only when everything fits; the footer always lists the banner's keys.
    static func line(_ banner: PageBanner, width: Int) -> (left: String, right: String, role: ThemeRole) {
        let keys = Keymap.console
        let ack = keys.keyLabel(for: .acknowledgePage).map { "\($0): acknowledge" }
        let dismiss = keys.keyLabel(for: .dismissBanner).map { "\($0): dismiss" }
        let lead: String
        var details: [String]
        var hint: String?
        let role: ThemeRole
        var more = 0
        switch banner {
        case .problem(let text):
            lead = TerminalText.sanitize(text)
            details = []
            hint = dismiss
            role = .warning
        case .notice(let notice, let others):
            more = others
            let title = TerminalText.sanitize(notice.title)
            switch notice.kind {
            case .paged(let stage, _, let contacts):
                lead = "PAGE  incident \(notice.incident)"
                details = ["stage \(stage)", TerminalText.sanitize(contacts.joined(separator: ", ")), title]
                hint = ack
                role = .stateAlarm
            case .acknowledging:
                lead = "PAGE  incident \(notice.incident)"
                details = ["acknowledging…", title]
                role = .stateAlarm
            case .acknowledgeFailed(let message):
                // The store's errors start by naming the incident, which the lead already does.
                let named = "incident \(notice.incident): "
                lead = "could not acknowledge incident \(notice.incident)"
                details = [TerminalText.sanitize(message.hasPrefix(named) ? String(message.dropFirst(named.count)) : message)]
                hint = ack.map { $0 + " again" }
                role = .error
            case .acknowledged(let by):
                lead = "incident \(notice.incident) acknowledged" + (by.map { " by " + TerminalText.sanitize($0) } ?? "")
                details = [title]
                hint = dismiss
                role = .accent
            case .resolved(let by):
                lead = "incident \(notice.incident) resolved" + (by.map { " by " + TerminalText.sanitize($0) } ?? "")
                details = [title]
                hint = dismiss
                role = .accent
            }
        }
        let right = more > 0 ? "  +\(more) more " : " "
        let body = ([lead] + details).joined(separator: " · ")
        if let hint {
            let full = " " + body + " — " + hint
            if TerminalText.width(full) + TerminalText.width(right) <= width { return (full, right, role) }
        }
        let leadText = " " + lead
        let room = width - TerminalText.width(leadText) - TerminalText.width(right)
        guard !details.isEmpty, room > 3 else {
            return (TerminalText.truncate(leadText, toWidth: max(0, width - TerminalText.width(right))), right, role)
        }
        return (leadText + " · " + fitSegments(details, toWidth: room - 3), right, role)
    }

    /// `segments` joined by " · " in at most `toWidth` columns. When they do not fit, the segments
    /// before the last give up columns first (down to 8 each), then the last is cut: the last is the
    /// title, which says what is burning.
    static func fitSegments(_ segments: [String], toWidth limit: Int) -> String {
        let separator = " · "
        var widths = segments.map(TerminalText.width)
        var excess = widths.reduce(0, +) + TerminalText.width(separator) * max(0, segments.count - 1) - limit
        guard excess > 0 else { return segments.joined(separator: separator) }
        for i in widths.indices.dropLast() where excess > 0 {
            let give = min(excess, max(0, widths[i] - 8))
            widths[i] -= give
            excess -= give
        }
        if excess > 0, let last = widths.indices.last { widths[last] = max(0, widths[last] - excess) }
        return zip(segments, widths).map { TerminalText.truncate($0, toWidth: $1) }.joined(separator: separator)
    }
}
