import BreakglassCore
import Foundation

// The incidents screen's drawing (issue 7). Pure: the countdowns are computed from absolute times
// and `now`. Everything from the store is sanitised here, just before it is measured and drawn.

func renderIncidents(_ state: ConsoleState, into grid: inout CellGrid, area: ScreenArea, theme: Theme, now: Date) {
    var renderer = IncidentsRenderer(state: state, theme: theme, now: now, grid: grid)
    renderer.render()
    grid = renderer.grid
}

/// A line of text in parts, each drawn in its theme role; for panes whose lines are built before
/// they are placed (so they can be counted and scrolled).
struct ScreenLine: Hashable, Sendable {
    struct Span: Hashable, Sendable {
        var text: String
        var role: ThemeRole
    }

    var spans: [Span]

    init(_ spans: [Span]) {
        self.spans = spans
    }

    init(_ text: String, _ role: ThemeRole = .text) {
        spans = [Span(text: text, role: role)]
    }

    static let blank = ScreenLine([])
}

extension CellGrid {
    /// Draws `line` from column `x` of row `y`, in at most `width` columns, in the theme's glyphs.
    mutating func draw(_ line: ScreenLine, x: Int, y: Int, width: Int, theme: Theme) {
        let glyphs = theme.glyphs
        var column = x
        for span in line.spans {
            let room = x + width - column
            guard room > 0 else { return }
            column += put(glyphs.truncate(glyphs.punctuated(span.text), toWidth: room), x: column, y: y, style: theme[span.role])
        }
    }
}

/// The columns of the incident list for a width: a marker, ID, SEV, STATE, STAGE, NEXT PAGE, ACK BY
/// and the title, which takes what is left.
struct IncidentColumns {
    let gap: Int
    let idX = 1, idWidth = 4
    let sevX: Int, sevWidth = 3
    let stateX: Int, stateWidth = 8
    let stageX: Int, stageWidth = 6
    let nextX: Int, nextWidth: Int
    let ackX: Int, ackWidth: Int
    let titleX: Int, titleWidth: Int

    init(width: Int) {
        gap = width >= 100 ? 2 : 1
        nextWidth = width >= 120 ? 24 : 18
        ackWidth = width >= 120 ? 14 : 9
        sevX = idX + idWidth + gap
        stateX = sevX + sevWidth + gap
        stageX = stateX + stateWidth + gap
        nextX = stageX + stageWidth + gap
        ackX = nextX + nextWidth + gap
        titleX = ackX + ackWidth + gap
        titleWidth = max(0, width - titleX - 1)
    }
}

/// The short forms a row shows, computed at drawing time from absolute times.
enum IncidentCells {
    static func state(_ row: IncidentRow) -> (String, ThemeRole) {
        switch row.phase {
        case "acknowledged": ("ack", .warning)
        case "resolved": ("resolved", .stateOK)
        default: ("open", .stateAlarm)
        }
    }

    /// "04:12 Secondary", "due Secondary" (its time passed; no daemon acted yet), "snoozed 29:59",
    /// "— exhausted", "—"; and the role: the alarm style once due, a warning under a minute.
    static func nextPage(_ row: IncidentRow, now: Date) -> (String, ThemeRole) {
        if row.isResolved { return ("—", .muted) }
        if let until = row.snoozedUntil, until > now {
            return ("snoozed " + IncidentListing.countdown(until.timeIntervalSince(now)), .muted)
        }
        guard let at = row.nextPageAt else { return (row.noNextPage.map { "— " + $0 } ?? "—", .muted) }
        let who = TerminalText.sanitize(row.nextPageWho ?? "")
        let left = at.timeIntervalSince(now)
        if left <= 0 { return ("due " + who, .stateAlarm) }
        return (IncidentListing.countdown(left) + " " + who, left <= 60 ? .warning : .text)
    }
}

struct IncidentsRenderer {
    let state: ConsoleState
    let view: IncidentsViewState
    let theme: Theme
    let now: Date
    let layout: IncidentsLayout
    var grid: CellGrid

    init(state: ConsoleState, theme: Theme, now: Date, grid: CellGrid) {
        self.state = state
        view = state.incidents
        self.theme = theme
        self.now = now
        layout = IncidentsLayout(state)
        self.grid = grid
    }

    var width: Int { grid.width }
    var glyphs: LineGlyphs { theme.glyphs }

    mutating func render() {
        guard view.poll.mode == .on else {
            renderUnavailable()
            return
        }
        renderStatus()
        renderHeader()
        renderList()
        if view.detailID != nil { renderDetail() }
        if let prompt = view.prompt, let y = layout.promptRow { renderPrompt(prompt, y: y) }
    }

    // MARK: Status and header

    mutating func renderUnavailable() {
        let top = layout.area.top + 1
        grid.put("Incidents are unavailable.", x: 2, y: top, style: theme[.warning])
        let why: String
        switch state.pageFeed.mode {
        case .unavailable(let reason):
            why = "The state file could not be opened: \(reason). Fix that and start the console again; alarms still work."
        default:
            why = "This console has no state file, where `breakglass watch` records incidents. "
                + "Start it with --state FILE (the file the watch daemon uses) to see and answer incidents here."
        }
        for (i, line) in glyphs.wrap(glyphs.sanitize(why), toWidth: max(1, width - 4), maxLines: 6).enumerated() {
            grid.put(line, x: 2, y: top + 2 + i, style: theme[.text])
        }
    }

    /// Counts on the left; on the right the poll's state: a failure (error style, with the retry
    /// countdown), no watch daemon (warning), or when it was last read.
    mutating func renderStatus() {
        let y = layout.statusRow
        var x = 1
        if view.poll.loadedAt != nil {
            let open = view.rows.filter { $0.phase == "open" }.count
            let acked = view.rows.filter { $0.phase == "acknowledged" }.count
            let resolved = view.rows.filter(\.isResolved).count
            x += grid.put("\(open) open", x: x, y: y, style: theme[open > 0 ? .stateAlarm : .muted])
            x += grid.put(glyphs.separator, x: x, y: y, style: theme[.muted])
            x += grid.put("\(acked) acknowledged", x: x, y: y, style: theme[acked > 0 ? .warning : .muted])
            if view.showResolved {
                x += grid.put("\(glyphs.separator)\(resolved) resolved", x: x, y: y, style: theme[.muted])
            }
            if let index = view.selectedIndex { x += grid.put("  \(index + 1)/\(view.rows.count)", x: x, y: y, style: theme[.muted]) }
        }
        let room = width - x - 3
        if room > 4 {
            let (text, role) = statusText()
            let shown = glyphs.truncate(text, toWidth: room) + " "
            grid.put(shown, x: width - TerminalText.width(shown), y: y, style: theme[role])
        }
        if let failure = view.poll.failure, let row = layout.failureRow {
            grid.put(Self.failureLine(failure, what: "incidents", poll: view.poll, width: width, now: now, glyphs: glyphs), x: 0, y: row, style: theme[.error])
        }
    }

    /// " could not read incidents: MESSAGE — retrying in 4s", `width` wide: the message gives way
    /// before the retry countdown, which says the screen is not stuck.
    static func failureLine(_ failure: String, what: String, poll: StorePollStatus, width: Int, now: Date, glyphs: LineGlyphs) -> String {
        let wait = poll.inFlight ? "retrying now" : "retrying in \(CompactDuration.format(max(0, poll.nextPollAt.timeIntervalSince(now)).rounded(.up)))"
        let prefix = " could not read \(what): "
        let suffix = " \(glyphs.dash) " + wait
        let room = max(1, width - 1 - TerminalText.width(prefix + suffix))
        return glyphs.pad(prefix + glyphs.truncate(glyphs.sanitize(failure), toWidth: room) + suffix, toWidth: width)
    }

    /// The right of the status line while polls work: no watch daemon (a warning), or when the
    /// list was last read.
    func statusText() -> (String, ThemeRole) {
        if view.poll.failure != nil { return ("read failed", .error) }
        guard let loaded = view.poll.loadedAt else { return ("loading\(glyphs.ellipsis)", .muted) }
        let hint = view.showResolved ? "A hides resolved" : "A shows resolved"
        if view.watchUntil.map({ $0 <= now }) ?? true, view.rows.contains(where: { !$0.isResolved }) {
            return ("no `breakglass watch` running: pages wait\(glyphs.separator)\(hint)", .warning)
        }
        return ("read \(ConsoleFormat.clock(loaded))\(glyphs.separator)\(hint)", .muted)
    }

    mutating func renderHeader() {
        let c = IncidentColumns(width: width)
        let y = layout.headerRow
        let style = theme[.header]
        grid.fill(y: y, style: style)
        grid.put(glyphs.pad("ID", toWidth: c.idWidth, alignment: .trailing), x: c.idX, y: y, style: style)
        grid.put("SEV", x: c.sevX, y: y, style: style)
        grid.put("STATE", x: c.stateX, y: y, style: style)
        grid.put("STAGE", x: c.stageX, y: y, style: style)
        grid.put("NEXT PAGE", x: c.nextX, y: y, style: style)
        grid.put("ACK BY", x: c.ackX, y: y, style: style)
        grid.put("TITLE", x: c.titleX, y: y, style: style, maxWidth: c.titleWidth)
    }

    // MARK: List

    mutating func renderList() {
        guard !view.rows.isEmpty else {
            let text: String
            if view.poll.loadedAt == nil {
                text = view.poll.failure == nil ? "Loading incidents\(glyphs.ellipsis)" : "Could not read incidents yet (the reason is above)."
            } else {
                text = view.showResolved ? "No incidents in the state file yet." : "No open incidents. A shows the resolved ones too."
            }
            grid.put(glyphs.truncate(text, toWidth: width - 4), x: 2, y: layout.listTop + 1, style: theme[.muted])
            return
        }
        let first = layout.firstVisible(selected: view.selectedIndex, offset: view.scrollOffset, count: view.rows.count)
        let end = min(view.rows.count, first + layout.listHeight)
        guard first < end else { return }
        for index in first..<end {
            renderRow(view.rows[index], y: layout.listTop + index - first, selected: index == view.selectedIndex)
        }
    }

    mutating func renderRow(_ row: IncidentRow, y: Int, selected: Bool) {
        let c = IncidentColumns(width: width)
        let base: ThemeRole = selected ? .selection : .text
        let style = theme[base]
        grid.fill(y: y, style: style)
        if selected { grid.put(">", x: 0, y: y, style: style) }
        grid.put(glyphs.pad(String(row.id), toWidth: c.idWidth, alignment: .trailing), x: c.idX, y: y, style: style)
        grid.put(glyphs.pad(String(row.severity), toWidth: c.sevWidth, alignment: .trailing), x: c.sevX, y: y,
                 style: row.severity <= 1 && !row.isResolved ? theme[.stateAlarm] : style)
        var (stateText, stateRole) = IncidentCells.state(row)
        stateText = glyphs.punctuated(stateText)
        grid.put(stateText, x: c.stateX, y: y, style: theme[stateRole])
        grid.put(glyphs.truncate(row.stageLabel, toWidth: c.stageWidth), x: c.stageX, y: y, style: style)
        var (next, nextRole) = IncidentCells.nextPage(row, now: now)
        next = glyphs.punctuated(next)
        grid.put(glyphs.truncate(next, toWidth: c.nextWidth), x: c.nextX, y: y, style: selected && nextRole == .text ? style : theme[nextRole])
        let ack = row.acknowledgedBy.map(TerminalText.sanitize) ?? glyphs.dash
        grid.put(glyphs.truncate(ack, toWidth: c.ackWidth), x: c.ackX, y: y, style: style)
        grid.put(glyphs.truncate(glyphs.sanitize(row.shortTitle), toWidth: c.titleWidth), x: c.titleX, y: y, style: style)
    }

    // MARK: Detail

    mutating func renderDetail() {
        guard let id = view.detailID else { return }
        let y = layout.dividerRow
        let ruleRole: ThemeRole = view.detailFocused ? .header : .muted
        grid.fill(y: y, character: theme.glyphs.horizontal, style: theme[ruleRole])
        var title = " Incident \(id) "
        if let row = view.detail?.row ?? view.rows.first(where: { $0.id == id }) {
            title = " Incident \(id)\(glyphs.separator)\(row.phase)\(glyphs.separator)severity \(row.severity) "
        }
        let x = 2 + grid.put(title, x: 2, y: y, style: theme[ruleRole])
        let hint = view.detailFocused ? " Tab: list\(glyphs.separator)Esc: close " : " Tab: detail\(glyphs.separator)Esc: close "
        let hintX = width - 2 - TerminalText.width(hint)
        if hintX > x + 1 { grid.put(hint, x: hintX, y: y, style: theme[ruleRole]) }
        guard layout.detailHeight > 0 else { return }
        guard let detail = view.detail else {
            let text = view.detailMissing ? "There is no incident \(id) in the state file any more." : "Loading incident \(id)\(glyphs.ellipsis)"
            grid.put(text, x: 2, y: layout.detailTop, style: theme[.muted], maxWidth: width - 4)
            return
        }
        let lines = IncidentDetailText.lines(detail, width: width, now: now)
        let first = min(view.detailOffset, max(0, lines.count - layout.detailHeight))
        for (i, line) in lines.dropFirst(first).prefix(layout.detailHeight).enumerated() {
            grid.draw(line, x: 1, y: layout.detailTop + i, width: width - 2, theme: theme)
        }
        if first + layout.detailHeight < lines.count {
            let more = " more: j/Down "
            grid.put(more, x: width - 1 - TerminalText.width(more), y: layout.detailTop + layout.detailHeight - 1, style: theme[.muted])
        }
    }

    // MARK: Prompt

    mutating func renderPrompt(_ prompt: IncidentPrompt, y: Int) {
        grid.fill(y: y, style: theme[.text])
        switch prompt {
        case .confirm(let command, let id):
            let title = view.rows.first { $0.id == id }.map { " (" + glyphs.sanitize($0.shortTitle) + ")" } ?? ""
            let question: String
            switch command {
            case .resolve: question = "Resolve incident \(id)\(title)? Nothing more is paged for it."
            case .escalate: question = "Page the next stage of incident \(id)\(title) now?"
            default: question = "\(command.verb) incident \(id)\(title)?"
            }
            let answer = " y/N "
            let x = 1 + grid.put(glyphs.truncate(question, toWidth: width - 2 - TerminalText.width(answer)), x: 1, y: y, style: theme[.warning])
            grid.put(answer, x: x, y: y, style: theme[.footerKey])
        case .snooze(let id, let text, let problem):
            var x = 1 + grid.put("Snooze incident \(id) for: ", x: 1, y: y, style: theme[.warning])
            x += grid.put(glyphs.sanitize(text), x: x, y: y, style: theme[.text])
            grid.put(" ", x: x, y: y, style: theme[.selection])
            x += 2
            if let problem {
                grid.put(glyphs.sanitize(problem), x: x, y: y, style: theme[.error], maxWidth: width - x - 1)
            } else {
                grid.put("30m, 1h, 1h30m\(glyphs.separator)Enter snoozes\(glyphs.separator)Esc cancels", x: x, y: y, style: theme[.muted], maxWidth: width - x - 1)
            }
        }
    }
}

/// The detail pane's lines for an incident at a width: the summary, its alarms, its pages and its
/// timeline (newest last). The reducer counts them to scroll; the renderer draws a window of them.
enum IncidentDetailText {
    static func lines(_ detail: IncidentDetail, width: Int, now: Date) -> [ScreenLine] {
        let room = max(20, width - 2)
        let row = detail.row
        var out: [ScreenLine] = []
        let labelWidth = 13
        func field(_ name: String, _ value: String, _ role: ThemeRole = .text) {
            for (i, line) in TerminalText.wrap(value, toWidth: room - labelWidth, maxLines: 3).enumerated() {
                out.append(ScreenLine([.init(text: TerminalText.pad(i == 0 ? name : "", toWidth: labelWidth), role: .muted), .init(text: line, role: role)]))
            }
        }
        for line in TerminalText.wrap(TerminalText.sanitize(row.title), toWidth: room, maxLines: 2) { out.append(ScreenLine(line, .header)) }

        var opened = "\(IncidentListing.clock(row.openedAt, now: now)) UTC, \(CompactDuration.format(now.timeIntervalSince(row.openedAt))) ago"
        opened += " · plan \(TerminalText.sanitize(detail.plan))"
        if detail.passes > 0 {
            if row.stage > 0 { opened += ", stage \(row.stage) of \(row.stages)" }
            opened += ", pass \(row.pass) of \(detail.passes)"
        } else {
            opened += " (not in the configuration)"
        }
        field("Opened", opened)
        let (next, nextRole) = nextPage(detail, now: now)
        field("Next page", next, nextRole)
        if let by = row.acknowledgedBy {
            field("Acknowledged", TerminalText.sanitize("by \(by)") + (detail.acknowledgedAt.map { " at \(IncidentListing.clock($0, now: now)) UTC" } ?? ""))
        } else {
            field("Acknowledged", "—")
        }
        if let at = detail.resolvedAt {
            field("Resolved", TerminalText.sanitize("by \(detail.resolvedBy ?? "someone")") + " at \(IncidentListing.clock(at, now: now)) UTC")
        }
        field("Runbooks", row.runbooks.isEmpty ? "—" : TerminalText.sanitize(row.runbooks.joined(separator: ", ")) + " (r opens the first)")

        out.append(.blank)
        out.append(ScreenLine("Alarms", .header))
        if detail.alarms.isEmpty { out.append(ScreenLine("  —", .muted)) }
        for alarm in detail.alarms {
            let head = "  " + TerminalText.pad(AlarmListing.label(alarm.state), toWidth: 5) + "  "
            let name = TerminalText.sanitize(alarm.name) + "  " + TerminalText.sanitize(alarm.region)
            let stateRole: ThemeRole = alarm.state == .alarm ? .stateAlarm : alarm.state == .ok ? .stateOK : .stateInsufficient
            out.append(ScreenLine([.init(text: head, role: stateRole), .init(text: TerminalText.truncate(name, toWidth: room - 9), role: .text)]))
            for line in TerminalText.wrap(TerminalText.sanitize(alarm.reason), toWidth: room - 9, maxLines: 2) {
                out.append(ScreenLine("         " + line, .muted))
            }
        }

        out.append(.blank)
        out.append(ScreenLine("Pages", .header))
        if detail.pages.isEmpty { out.append(ScreenLine("  —", .muted)) }
        let whoWidth = min(16, max(3, detail.pages.map { TerminalText.width(TerminalText.sanitize($0.contactName)) }.max() ?? 3))
        for page in detail.pages {
            let what = page.action == .trigger ? "stage \(page.stage)" : page.action == .acknowledge ? "ack" : "resolve"
            let statusRole: ThemeRole =
                switch page.status {
                case "failed": .error
                case "unknown", "pending", "sending": .warning
                default: .text
                }
            out.append(ScreenLine([
                .init(
                    text: "  " + IncidentListing.clock(page.createdAt, now: now) + "  " + TerminalText.pad(what, toWidth: 7) + "  "
                        + TerminalText.pad(TerminalText.sanitize(page.contactName), toWidth: whoWidth) + "  "
                        + TerminalText.pad(TerminalText.sanitize(page.channel), toWidth: 10) + "  ", role: .text),
                .init(text: page.status + (page.attempts > 1 ? " (\(page.attempts) tries)" : ""), role: statusRole),
            ]))
            if let note = page.detail {
                for line in TerminalText.wrap(TerminalText.sanitize(note), toWidth: room - 9, maxLines: 2) {
                    out.append(ScreenLine("         " + line, .muted))
                }
            }
        }

        out.append(.blank)
        out.append(ScreenLine("Timeline (UTC)", .header))
        if detail.timeline.isEmpty { out.append(ScreenLine("  —", .muted)) }
        let kindWidth = min(20, detail.timeline.map { TerminalText.width(TerminalText.sanitize($0.kind)) }.max() ?? 4)
        let textX = 2 + 8 + 2 + kindWidth + 2
        for entry in detail.timeline {
            var text = TerminalText.sanitize(entry.actor)
            if let outcome = entry.outcome { text += " [" + TerminalText.sanitize(outcome) + "]" }
            if !entry.what.isEmpty { text += " " + TerminalText.sanitize(entry.what) }
            let wrapped = TerminalText.wrap(text, toWidth: max(10, room - textX), maxLines: 4)
            for (i, line) in wrapped.enumerated() {
                if i == 0 {
                    out.append(ScreenLine([
                        .init(text: "  " + entry.time + "  ", role: .muted),
                        .init(text: TerminalText.pad(TerminalText.sanitize(entry.kind), toWidth: kindWidth) + "  ", role: .accent),
                        .init(text: line, role: .text),
                    ]))
                } else {
                    out.append(ScreenLine(String(repeating: " ", count: textX) + line))
                }
            }
        }
        return out
    }

    /// The "Next page" line: which stage pages whom, when (countdown and clock), or why nothing will.
    static func nextPage(_ detail: IncidentDetail, now: Date) -> (String, ThemeRole) {
        let row = detail.row
        if row.isResolved { return ("none: resolved", .muted) }
        var prefix = ""
        if let until = row.snoozedUntil, until > now {
            prefix = "snoozed until \(IncidentListing.clock(until, now: now)) UTC (\(IncidentListing.countdown(until.timeIntervalSince(now)))); then "
        }
        guard let at = row.nextPageAt, let stage = row.nextPageStage else {
            switch row.noNextPage {
            case "no plan": return ("none: its escalation plan is not in the configuration", .warning)
            case "exhausted": return ("none: every stage was paged and nobody acknowledged; e pages again", .stateAlarm)
            default: return (row.phase == "acknowledged" ? "none by itself: acknowledged" : "none by itself", .muted)
            }
        }
        let who = TerminalText.sanitize(IncidentListing.spoken(detail.nextPageNames))
        let left = at.timeIntervalSince(now)
        let when = left > 0
            ? "in \(IncidentListing.countdown(left)) (\(IncidentListing.clock(at, now: now)) UTC)"
            : "due since \(IncidentListing.clock(at, now: now)) UTC"
        let unless = row.phase == "acknowledged" ? "unless resolved" : "unless acknowledged"
        let role: ThemeRole = left <= 0 ? .stateAlarm : left <= 60 ? .warning : .text
        return (prefix + "stage \(stage) pages \(who) \(when) \(unless)", role)
    }
}
