import BreakglassCore
import Foundation

// The audit screen's drawing (issue 7). Everything from the trail is sanitised here, just before it
// is measured and drawn.

func renderAudit(_ state: ConsoleState, into grid: inout CellGrid, area: ScreenArea, theme: Theme, now: Date) {
    var renderer = AuditRenderer(state: state, theme: theme, now: now, grid: grid)
    renderer.render()
    grid = renderer.grid
}

/// The tail's columns for the rows shown: a marker, #, TIME, KIND, WHO, FOR (incident, runbook...),
/// OUTCOME, and WHAT, which takes what is left. Columns are as wide as their widest visible cell,
/// within limits; FOR and OUTCOME vanish when no visible entry has one.
struct AuditColumns {
    let gap: Int
    let seqX = 1, seqWidth: Int
    let timeX: Int, timeWidth = 8
    let kindX: Int, kindWidth: Int
    let actorX: Int, actorWidth: Int
    let contextX: Int, contextWidth: Int
    let outcomeX: Int, outcomeWidth: Int
    let whatX: Int, whatWidth: Int

    init(width: Int, rows: ArraySlice<AuditRow>) {
        gap = width >= 100 ? 2 : 1
        let wide = width >= 120
        func widest(_ cell: (AuditRow) -> String, least: Int, most: Int) -> Int {
            let w = rows.map { TerminalText.width(TerminalText.sanitize(cell($0))) }.max() ?? 0
            return w == 0 ? 0 : min(most, max(least, w))
        }
        seqWidth = max(3, String(rows.last?.seq ?? 0).count)
        kindWidth = max(4, widest(\.kind, least: 4, most: wide ? 20 : 15))
        actorWidth = max(3, widest(\.actor, least: 3, most: wide ? 16 : 9))
        contextWidth = widest(\.context, least: 3, most: wide ? 18 : 10)
        outcomeWidth = widest({ $0.outcome ?? "" }, least: 7, most: wide ? 10 : 7)
        timeX = seqX + seqWidth + gap
        kindX = timeX + timeWidth + gap
        actorX = kindX + kindWidth + gap
        contextX = actorX + actorWidth + gap
        outcomeX = contextX + (contextWidth > 0 ? contextWidth + gap : 0)
        whatX = outcomeX + (outcomeWidth > 0 ? outcomeWidth + gap : 0)
        whatWidth = max(0, width - whatX - 1)
    }
}

struct AuditRenderer {
    let state: ConsoleState
    let view: AuditViewState
    let theme: Theme
    let now: Date
    let layout: AuditLayout
    var grid: CellGrid

    init(state: ConsoleState, theme: Theme, now: Date, grid: CellGrid) {
        self.state = state
        view = state.audit
        self.theme = theme
        self.now = now
        layout = AuditLayout(state)
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
        if let seq = view.entrySeq {
            renderEntry(seq)
        } else {
            renderList()
        }
    }

    mutating func renderUnavailable() {
        let top = layout.area.top + 1
        grid.put("The audit trail is unavailable.", x: 2, y: top, style: theme[.warning])
        let why: String
        switch state.pageFeed.mode {
        case .unavailable(let reason):
            why = "The state file could not be opened: \(reason). `breakglass audit verify --state FILE` checks it from a shell."
        default:
            why = "This console has no state file, where the audit trail is kept. Start it with --state FILE to follow the trail here."
        }
        for (i, line) in glyphs.wrap(glyphs.sanitize(why), toWidth: max(1, width - 4), maxLines: 6).enumerated() {
            grid.put(line, x: 2, y: top + 2 + i, style: theme[.text])
        }
    }

    // MARK: Status

    /// The verification verdict on the left, first: it may take the whole row. The tail's state
    /// (following, paused) on the right when it fits; a failing tail on the area's last row.
    mutating func renderStatus() {
        let y = layout.statusRow
        let line = verificationLine()
        grid.draw(line, x: 1, y: y, width: width - 2, theme: theme)
        let x = 1 + min(width - 2, line.spans.reduce(0) { $0 + TerminalText.width($1.text) })
        let (right, rightRole) = tailStatus()
        let rightText = right + " "
        let rightWidth = TerminalText.width(rightText)
        if width - rightWidth > x + 1 { grid.put(rightText, x: width - rightWidth, y: y, style: theme[rightRole]) }
        if let failure = view.poll.failure {
            let line = IncidentsRenderer.failureLine(failure, what: "the trail", poll: view.poll, width: width, now: now, glyphs: glyphs)
            grid.put(line, x: 0, y: layout.area.bottom - 1, style: theme[.error])
        }
    }

    func verificationLine() -> ScreenLine {
        let checked = view.checkedAt.map { "\(glyphs.separator)checked \(ConsoleFormat.clock($0))" } ?? ""
        if let error = view.verificationError {
            return ScreenLine([
                .init(text: "chain not verified: \(glyphs.sanitize(error))", role: .error), .init(text: checked, role: .muted),
            ])
        }
        guard let v = view.verification else {
            return ScreenLine(view.verifyInFlight ? "verifying the chain\(glyphs.ellipsis)" : "chain not verified yet", .muted)
        }
        if let problem = v.problem {
            // The problem's words name the entry it fails at.
            return ScreenLine([
                .init(text: "chain NOT INTACT: \(glyphs.sanitize(problem))", role: .error), .init(text: checked, role: .muted),
            ])
        }
        let text = v.lastSeq.map { "chain verified: \(v.entries) entries, last #\($0)" } ?? "chain verified: no entries yet"
        return ScreenLine([.init(text: text, role: .stateOK), .init(text: checked, role: .muted)])
    }

    func tailStatus() -> (String, ThemeRole) {
        guard view.poll.loadedAt != nil else { return ("loading\(glyphs.ellipsis)", .muted) }
        if view.entrySeq != nil { return ("Esc: back to the tail", .muted) }
        return view.follow ? ("following", .muted) : ("paused\(glyphs.separator)G follows", .warning)
    }

    // MARK: Tail

    mutating func renderList() {
        let first = layout.firstVisible(selected: view.selectedIndex, offset: view.scrollOffset, count: view.rows.count)
        let end = min(view.rows.count, first + layout.listHeight)
        let shown = first < end ? view.rows[first..<end] : []
        let c = AuditColumns(width: width, rows: shown)
        renderHeader(c)
        guard !shown.isEmpty else {
            let text = view.poll.loadedAt == nil ? "Loading the audit trail\(glyphs.ellipsis)" : "The audit trail is empty: nothing has been recorded yet."
            grid.put(text, x: 2, y: layout.listTop + 1, style: theme[.muted], maxWidth: width - 4)
            return
        }
        for index in first..<end {
            renderRow(view.rows[index], c, y: layout.listTop + index - first, selected: index == view.selectedIndex)
        }
    }

    mutating func renderHeader(_ c: AuditColumns) {
        let y = layout.headerRow
        let style = theme[.header]
        grid.fill(y: y, style: style)
        grid.put(glyphs.pad("#", toWidth: c.seqWidth, alignment: .trailing), x: c.seqX, y: y, style: style)
        grid.put("TIME", x: c.timeX, y: y, style: style)
        grid.put("KIND", x: c.kindX, y: y, style: style)
        grid.put("WHO", x: c.actorX, y: y, style: style)
        if c.contextWidth > 0 { grid.put("FOR", x: c.contextX, y: y, style: style) }
        if c.outcomeWidth > 0 { grid.put("OUTCOME", x: c.outcomeX, y: y, style: style) }
        grid.put("WHAT", x: c.whatX, y: y, style: style, maxWidth: c.whatWidth)
    }

    mutating func renderRow(_ row: AuditRow, _ c: AuditColumns, y: Int, selected: Bool) {
        let style = theme[selected ? .selection : .text]
        grid.fill(y: y, style: style)
        if selected { grid.put(">", x: 0, y: y, style: style) }
        grid.put(glyphs.pad(String(row.seq), toWidth: c.seqWidth, alignment: .trailing), x: c.seqX, y: y, style: selected ? style : theme[.muted])
        grid.put(row.time, x: c.timeX, y: y, style: selected ? style : theme[.muted], maxWidth: c.timeWidth)
        grid.put(glyphs.truncate(glyphs.sanitize(row.kind), toWidth: c.kindWidth), x: c.kindX, y: y, style: selected ? style : theme[.accent])
        grid.put(glyphs.truncate(glyphs.sanitize(row.actor), toWidth: c.actorWidth), x: c.actorX, y: y, style: style)
        if c.contextWidth > 0 {
            grid.put(glyphs.truncate(glyphs.sanitize(row.context), toWidth: c.contextWidth), x: c.contextX, y: y, style: style)
        }
        if c.outcomeWidth > 0, let outcome = row.outcome {
            grid.put(glyphs.truncate(glyphs.sanitize(outcome), toWidth: c.outcomeWidth), x: c.outcomeX, y: y, style: theme[Self.outcomeRole(outcome)])
        }
        grid.put(glyphs.truncate(glyphs.sanitize(row.what), toWidth: c.whatWidth), x: c.whatX, y: y, style: style)
    }

    /// Failures stand out; success reads as fine; anything else (unknown, sent) is a warning.
    static func outcomeRole(_ outcome: String) -> ThemeRole {
        switch outcome {
        case "ok", "success", "succeeded", "delivered", "granted", "done": .stateOK
        case "failed", "error", "denied", "refused": .error
        default: .warning
        }
    }

    // MARK: One entry

    mutating func renderEntry(_ seq: Int64) {
        let y = layout.headerRow
        grid.fill(y: y, style: theme[.header])
        grid.put(" Entry #\(seq) \(glyphs.dash) Esc: back", x: 0, y: y, style: theme[.header])
        guard let row = view.rows.first(where: { $0.seq == seq }) else {
            grid.put("Entry #\(seq) is no longer in the tail.", x: 2, y: layout.entryTop + 1, style: theme[.muted], maxWidth: width - 4)
            return
        }
        let lines = AuditEntryText.lines(row, width: width)
        let first = min(view.entryOffset, max(0, lines.count - layout.entryHeight))
        for (i, line) in lines.dropFirst(first).prefix(layout.entryHeight).enumerated() {
            grid.draw(line, x: 1, y: layout.entryTop + i, width: width - 2, theme: theme)
        }
        if first + layout.entryHeight < lines.count {
            let more = " more: j/Down "
            grid.put(more, x: width - 1 - TerminalText.width(more), y: layout.entryTop + layout.entryHeight - 1, style: theme[.muted])
        }
    }
}

/// One entry whole: each field under its name, wrapped (never cut) to the width.
enum AuditEntryText {
    static let labelWidth = 15

    static func lines(_ row: AuditRow, width: Int) -> [ScreenLine] {
        let room = max(10, width - 2 - labelWidth)
        var out: [ScreenLine] = []
        for field in row.fields {
            let role: ThemeRole = field.name == "Outcome" ? AuditRenderer.outcomeRole(field.value) : field.name == "Kind" ? .accent : .text
            let wrapped = TerminalText.wrap(TerminalText.sanitize(field.value), toWidth: room)
            for (i, line) in (wrapped.isEmpty ? [""] : wrapped).enumerated() {
                out.append(ScreenLine([
                    .init(text: TerminalText.pad(i == 0 ? field.name : "", toWidth: labelWidth), role: .muted), .init(text: line, role: role),
                ]))
            }
        }
        return out
    }
}
