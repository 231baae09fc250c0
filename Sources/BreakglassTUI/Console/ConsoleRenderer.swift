import BreakglassCore
import Foundation

/// The alarm console as a grid of `state.size`. Pure: the same state, theme and time give the same
/// frame. Only the visible rows are measured and sanitized, so the cost does not grow with the
/// number of alarms. Every string that came from outside goes through `LineGlyphs.sanitize`
/// (`TerminalText.sanitize`, with the punctuation in the terminal's glyphs).
public func renderConsole(_ state: ConsoleState, theme: Theme, now: Date) -> CellGrid {
    var renderer = ConsoleRenderer(state: state, theme: theme, now: now)
    renderer.render()
    return renderer.grid
}

struct ConsoleRenderer {
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
    var glyphs: LineGlyphs { theme.glyphs }

    mutating func render() {
        guard !layout.isTooSmall else {
            renderTooSmall()
            return
        }
        renderTopBar()
        let area = layout.area
        if state.guided {
            let guidedArea = ScreenArea(top: 1, height: max(0, layout.footerRow - 1), width: width)
            renderGuided(state, into: &grid, area: guidedArea, theme: theme, now: now)
        } else {
            renderTabs()
            renderBanner()
            switch state.view {
            case .alarms: renderAlarms(state, into: &grid, area: area, theme: theme, now: now)
            case .incidents: renderIncidents(state, into: &grid, area: area, theme: theme, now: now)
            case .runbook: renderRunbook(state, into: &grid, area: area, theme: theme, now: now)
            case .access: renderAccess(state, into: &grid, area: area, theme: theme, now: now)
            case .audit: renderAudit(state, into: &grid, area: area, theme: theme, now: now)
            }
        }
        renderFooter()
        switch state.overlay {
        case .help(let offset): renderHelp(offset: offset)
        case .command(let line): renderCommandLine(line)
        case .tour(let page): renderTour(page: page)
        case nil: break
        }
    }

    // MARK: Bars

    mutating func renderTopBar() {
        let style = theme[.topBar]
        grid.fill(y: 0, style: style)
        let clock = ConsoleFormat.clock(now) + " UTC "
        var rightX = width - TerminalText.width(clock)
        grid.put(clock, x: max(0, rightX), y: 0, style: style)
        // While a break-glass grant is held, its role and time left, left of the clock, in the alarm
        // style when under a minute: the most important thing to know before sending anything.
        if let held = state.access.held {
            let left = held.expires.timeIntervalSince(now)
            let text = left > 0
                ? " \(glyphs.sanitize(held.role)) \(ConsoleFormat.countdown(left)) "
                : " \(glyphs.sanitize(held.role)) expired "
            let badge = theme[left > 60 ? .accessBadge : .stateAlarm]
            let x = rightX - 1 - TerminalText.width(text)
            if x > 24 {
                grid.put(text, x: x, y: 0, style: badge)
                rightX = x
            }
        }
        let product = state.guided ? " breakglass\(glyphs.separator)guided" : " breakglass"
        grid.put(product, x: 0, y: 0, style: style)
        // Identity, then regions. When both do not fit, the regions keep at least half the room: which
        // region you are looking at matters more than the tail of an ARN.
        let identity = glyphs.sanitize(state.access.held.map { "break-glass " + $0.role } ?? state.identity)
        let regions = glyphs.sanitize(state.regions.joined(separator: ","))
        let identityWidth = TerminalText.width(identity)
        let regionsWidth = TerminalText.width(regions)
        var x = TerminalText.width(product) + 2
        let room = rightX - 2 - x
        if room > 0 {
            let regionsRoom = identity.isEmpty ? min(regionsWidth, room) : min(regionsWidth, max(room / 2, room - identityWidth - 2))
            let identityRoom = room - (regionsRoom > 0 ? regionsRoom + 2 : 0)
            if identityRoom > 0, !identity.isEmpty {
                x += grid.put(glyphs.truncate(identity, toWidth: identityRoom), x: x, y: 0, style: style) + 2
            }
            if regionsRoom > 0 {
                grid.put(glyphs.truncate(regions, toWidth: regionsRoom), x: x, y: 0, style: style)
            }
        }
    }

    /// The screens, the current one highlighted, with their number keys; on the right, whether
    /// pages are off or failing.
    mutating func renderTabs() {
        let y = ConsoleLayout.tabsRow
        grid.fill(y: y, style: theme[.tabs])
        var x = 1
        for view in ConsoleView.allCases {
            let key = state.keymap.keyLabel(for: action(showing: view), view: state.view) ?? ""
            var label = " " + (key.isEmpty ? "" : key + " ") + view.title
            if let badge = tabBadge(view) { label += " " + badge }
            label += " "
            let style = view == state.view ? theme[.tabActive] : theme[.tabs]
            guard x + TerminalText.width(label) < width - 1 else { break }
            x += grid.put(label, x: x, y: y, style: style) + 1
        }
        if let marker = state.pageFeed.marker {
            let text = marker + " "
            let markerX = width - TerminalText.width(text)
            if markerX > x + 1 { grid.put(text, x: markerX, y: y, style: theme[.warning]) }
        }
    }

    /// A count worth seeing from any screen: alarms in ALARM, unresolved incidents.
    func tabBadge(_ view: ConsoleView) -> String? {
        switch view {
        case .alarms: state.counts.alarm > 0 ? "(\(state.counts.alarm))" : nil
        case .incidents:
            state.incidents.rows.contains { $0.phase != "resolved" }
                ? "(\(state.incidents.rows.filter { $0.phase != "resolved" }.count))" : nil
        default: nil
        }
    }

    func action(showing view: ConsoleView) -> ConsoleAction {
        switch view {
        case .alarms: .showAlarms
        case .incidents: .showIncidents
        case .runbook: .showRunbook
        case .access: .showAccess
        case .audit: .showAudit
        }
    }

    // MARK: Banner

    /// The page banner on its row: a page waiting for an answer in the alarm style (reverse video in
    /// monochrome), news that it was acknowledged or resolved in the accent style, problems as
    /// warnings. Everything from the store is sanitised; the text is cut to the width.
    mutating func renderBanner() {
        guard let banner = state.banner else { return }
        let y = ConsoleLayout.bannerRow
        let line = BannerText.line(banner, width: width, keys: state.keymap, view: state.view, glyphs: glyphs)
        let style = theme[line.role]
        grid.fill(y: y, style: style)
        grid.put(line.left, x: 0, y: y, style: style, maxWidth: width)
        if !line.right.isEmpty {
            grid.put(line.right, x: max(0, width - TerminalText.width(line.right)), y: y, style: style)
        }
    }

    // MARK: Footer

    mutating func renderFooter() {
        let y = layout.footerRow
        grid.fill(y: y, style: theme[.footer])
        if let message = state.message {
            let text = glyphs.truncate(glyphs.sanitize(message.text), toWidth: width - 2)
            grid.put(text, x: 1, y: y, style: theme[message.isError ? .error : .accent])
            return
        }
        var x = 1
        // A text field takes the keys: its own hints, not the keymap's letters it would swallow.
        if let field = state.fieldHints {
            for hint in field {
                let needed = TerminalText.width(hint.key) + 1 + TerminalText.width(hint.description)
                if x + needed > width - 1 { break }
                x += grid.put(hint.key, x: x, y: y, style: theme[.footerKey])
                x += 1
                x += grid.put(hint.description, x: x, y: y, style: theme[.footer])
                x += 2
            }
            return
        }
        let hints = state.keymap.footerHints(view: state.view, guided: state.guided, available: state.availableActions)
        for var hint in hints {
            // Esc closes the screen's inner level first; at the top of a screen it dismisses the banner.
            if hint.action == .back, !state.screenHasInnerLevel, state.banner != nil { hint.description = "dismiss" }
            let needed = TerminalText.width(hint.key) + 1 + TerminalText.width(hint.description)
            if x + needed > width - 1 { break }
            x += grid.put(hint.key, x: x, y: y, style: theme[.footerKey])
            x += 1
            x += grid.put(hint.description, x: x, y: y, style: theme[.footer])
            x += 2
        }
    }

    // MARK: Overlays

    /// The keys of the screen under it, from the keymap, in a box over the screen: each binding's
    /// keys and words, the screen's own first, then the `:` commands.
    mutating func renderHelp(offset: Int) {
        let bindings = state.keymap.bindings(view: state.view, guided: state.guided)
        var lines: [(keys: String, text: String, heading: Bool)] = []
        let screen = state.guided ? "Guided mode" : state.view.title
        lines.append(("", "Keys on \(screen)", true))
        for binding in bindings { lines.append((binding.keysLabel, binding.description, false)) }
        if !state.guided {
            lines.append(("", "", false))
            lines.append(("", "Commands after :", true))
            for command in ConsoleCommandName.allCases {
                lines.append((":" + command.rawValue + (command == .runbook ? " NAME" : ""), commandHelp(command), false))
            }
        }
        let keyWidth = min(22, lines.map { TerminalText.width($0.keys) }.max() ?? 0)
        let boxWidth = min(width - 4, max(40, keyWidth + 32))
        let boxHeight = min(grid.height - 2, lines.count + 3)
        let x0 = max(0, (width - boxWidth) / 2)
        let y0 = max(1, (grid.height - boxHeight) / 2)
        let glyphs = theme.glyphs
        let frame = theme[.header]
        grid.fill(x: x0, y: y0, width: boxWidth, height: boxHeight, style: theme[.text])
        grid.drawBox(x: x0, y: y0, width: boxWidth, height: boxHeight, style: frame, glyphs: glyphs)
        let title = " Help \(glyphs.dash) Esc closes "
        grid.put(title, x: x0 + 2, y: y0, style: frame, maxWidth: boxWidth - 4)
        let room = boxHeight - 2
        let first = min(offset, max(0, lines.count - room))
        for (i, line) in lines.dropFirst(first).prefix(room).enumerated() {
            let y = y0 + 1 + i
            if line.heading {
                grid.put(line.text, x: x0 + 2, y: y, style: theme[.header], maxWidth: boxWidth - 4)
            } else {
                grid.put(glyphs.truncate(line.keys, toWidth: keyWidth), x: x0 + 2, y: y, style: theme[.footerKey])
                grid.put(line.text, x: x0 + 4 + keyWidth, y: y, style: theme[.text], maxWidth: boxWidth - 6 - keyWidth)
            }
        }
        if first + room < lines.count {
            grid.put(" more: j/Down ", x: x0 + boxWidth - 16, y: y0 + boxHeight - 1, style: frame)
        }
    }

    func commandHelp(_ command: ConsoleCommandName) -> String {
        switch command {
        case .alarms: "the alarms"
        case .incidents: "incidents, stages and countdowns"
        case .runbook: "open a runbook (Tab completes)"
        case .access: "request or revoke break-glass access"
        case .audit: "the audit trail and its verification"
        case .help: "this help"
        case .quit: "leave the console (also :q)"
        }
    }

    /// The command line on the footer row: what is typed, a cursor, and the completions.
    mutating func renderCommandLine(_ line: CommandLineState) {
        let y = layout.footerRow
        grid.fill(y: y, style: theme[.text])
        var x = grid.put(":", x: 0, y: y, style: theme[.footerKey])
        let text = glyphs.sanitize(line.text)
        // The end of a long line stays visible.
        let room = width - 2
        let shown = TerminalText.width(text) > room ? String(text.suffix(room)) : text
        x += grid.put(shown, x: x, y: y, style: theme[.text])
        grid.put(" ", x: x, y: y, style: theme[.selection])
        // The line's own keys against the right edge, while they leave room for what is typed.
        var right = width - 1
        let keys = state.fieldHints ?? []
        let keysWidth = keys.map { TerminalText.width($0.key) + 1 + TerminalText.width($0.description) }.reduce(0, +) + 2 * max(0, keys.count - 1)
        if !keys.isEmpty, right - keysWidth > x + 12 {
            var kx = right - keysWidth
            right = kx - 2
            for hint in keys {
                kx += grid.put(hint.key, x: kx, y: y, style: theme[.footerKey]) + 1
                kx += grid.put(hint.description, x: kx, y: y, style: theme[.muted]) + 2
            }
        }
        if let completions = line.completions, completions.count > 1 {
            let others = completions.enumerated().map { $0.offset == line.completionIndex ? "[\($0.element)]" : $0.element }
            let hint = "  " + others.joined(separator: " ")
            grid.put(glyphs.sanitize(hint), x: x + 2, y: y, style: theme[.muted], maxWidth: max(0, right - x - 2))
        }
    }

    // MARK: Too small

    mutating func renderTooSmall() {
        guard width > 0, grid.height > 0 else { return }
        let need = ConsoleLayout.minimumSize
        let message =
            "terminal too small: need \(need.width)\(glyphs.times)\(need.height), have \(state.size.width)\(glyphs.times)\(state.size.height) \(glyphs.dash) q quits"
        let lines = glyphs.wrap(message, toWidth: width, maxLines: grid.height)
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
    static func line(
        _ banner: PageBanner, width: Int, keys: Keymap = .console, view: ConsoleView = .alarms, glyphs: LineGlyphs = .unicode
    ) -> (left: String, right: String, role: ThemeRole)
    {
        let ack = keys.keyLabel(for: .acknowledge, view: view).map { "\($0): acknowledge" }
        let dismiss = keys.keyLabel(for: .back, view: view).map { "\($0): dismiss" }
        let lead: String
        var details: [String]
        var hint: String?
        let role: ThemeRole
        var more = 0
        switch banner {
        case .problem(let text):
            lead = glyphs.sanitize(text)
            details = []
            hint = dismiss
            role = .warning
        case .notice(let notice, let others):
            more = others
            let title = glyphs.sanitize(notice.title)
            switch notice.kind {
            case .paged(let stage, _, let contacts):
                lead = "PAGE  incident \(notice.incident)"
                details = ["stage \(stage)", glyphs.sanitize(contacts.joined(separator: ", ")), title]
                hint = ack
                role = .stateAlarm
            case .acknowledging:
                lead = "PAGE  incident \(notice.incident)"
                details = ["acknowledging" + glyphs.ellipsis, title]
                role = .stateAlarm
            case .acknowledgeFailed(let message):
                // The store's errors start by naming the incident, which the lead already does.
                let named = "incident \(notice.incident): "
                lead = "could not acknowledge incident \(notice.incident)"
                details = [glyphs.sanitize(message.hasPrefix(named) ? String(message.dropFirst(named.count)) : message)]
                hint = ack.map { $0 + " again" }
                role = .error
            case .acknowledged(let by):
                lead = "incident \(notice.incident) acknowledged" + (by.map { " by " + glyphs.sanitize($0) } ?? "")
                details = [title]
                hint = dismiss
                role = .accent
            case .resolved(let by):
                lead = "incident \(notice.incident) resolved" + (by.map { " by " + glyphs.sanitize($0) } ?? "")
                details = [title]
                hint = dismiss
                role = .accent
            }
        }
        let right = more > 0 ? "  +\(more) more " : " "
        let body = ([lead] + details).joined(separator: glyphs.separator)
        if let hint {
            let full = " " + body + " \(glyphs.dash) " + hint
            if TerminalText.width(full) + TerminalText.width(right) <= width { return (full, right, role) }
        }
        let leadText = " " + lead
        let room = width - TerminalText.width(leadText) - TerminalText.width(right)
        guard !details.isEmpty, room > 3 else {
            return (glyphs.truncate(leadText, toWidth: max(0, width - TerminalText.width(right))), right, role)
        }
        return (leadText + glyphs.separator + fitSegments(details, toWidth: room - TerminalText.width(glyphs.separator), glyphs: glyphs), right, role)
    }

    /// `segments` joined by " · " in at most `toWidth` columns. When they do not fit, the segments
    /// before the last give up columns first (down to 8 each), then the last is cut: the last is the
    /// title, which says what is burning.
    static func fitSegments(_ segments: [String], toWidth limit: Int, glyphs: LineGlyphs = .unicode) -> String {
        let separator = glyphs.separator
        var widths = segments.map(TerminalText.width)
        var excess = widths.reduce(0, +) + TerminalText.width(separator) * max(0, segments.count - 1) - limit
        guard excess > 0 else { return segments.joined(separator: separator) }
        for i in widths.indices.dropLast() where excess > 0 {
            let give = min(excess, max(0, widths[i] - 8))
            widths[i] -= give
            excess -= give
        }
        if excess > 0, let last = widths.indices.last { widths[last] = max(0, widths[last] - excess) }
        return zip(segments, widths).map { glyphs.truncate($0, toWidth: $1) }.joined(separator: separator)
    }
}
