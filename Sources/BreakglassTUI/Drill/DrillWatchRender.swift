import BreakglassCore
import Foundation

/// The facilitator's view as a grid of `state.size`. Pure: the same state, theme and time give the
/// same frame. Everything that came from outside (scenario, user names, alarm names, step titles,
/// notes, AWS messages, errors) goes through `LineGlyphs.sanitize` and is measured in terminal
/// columns; the Unicode punctuation of the view's own words is drawn in the theme's glyphs.
///
/// The recovery clock is drawn from the snapshot and `now`: while the drill runs it keeps counting
/// between loads, so it moves every second even when a load is slow.
public func renderDrillWatch(_ state: DrillWatchState, theme: Theme, now: Date) -> CellGrid {
    var renderer = DrillWatchRenderer(state: state, theme: theme, now: now)
    renderer.render()
    return renderer.grid
}

/// The recovery clock of `timeline` at `now`: a running clock counts on from the snapshot (never
/// backwards); a stopped or recovered one is final.
public func liveClock(_ timeline: DrillTimeline, now: Date) -> DrillClock {
    var clock = timeline.clock
    if clock.state == .running { clock.elapsed = max(clock.elapsed, now.timeIntervalSince(timeline.drill.startedAt)) }
    return clock
}

/// The role the recovery clock is drawn in: the alarm style once over the target (or stopped without
/// recovering), OK when recovered within it, a warning while it runs within it.
public func clockRole(_ clock: DrillClock) -> ThemeRole {
    switch clock.state {
    case .running: clock.isOver ? .stateAlarm : .warning
    case .recovered: clock.isOver ? .stateAlarm : .stateOK
    case .stoppedUnrecovered: .stateAlarm
    }
}

struct DrillWatchRenderer {
    let state: DrillWatchState
    let theme: Theme
    let now: Date
    let layout: DrillWatchLayout
    var grid: CellGrid

    init(state: DrillWatchState, theme: Theme, now: Date) {
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
        if let timeline = state.timeline {
            renderClock(timeline)
            renderStep(timeline)
            renderMilestones(timeline)
            renderLog(timeline)
        } else {
            renderLoading()
        }
        renderFooter()
        if state.showingHelp { renderHelp() }
    }

    // MARK: Top bar

    mutating func renderTopBar() {
        let style = theme[.topBar]
        grid.fill(y: DrillWatchLayout.topBarRow, style: style)
        let clock = ConsoleFormat.clock(now) + " UTC "
        var right = width - TerminalText.width(clock)
        grid.put(clock, x: right, y: 0, style: style)
        if let loadedAt = state.loadedAt, now.timeIntervalSince(loadedAt) >= DrillWatchState.staleAfter {
            let stale = " not updated for \(CompactDuration.format(now.timeIntervalSince(loadedAt))) "
            let x = right - 1 - TerminalText.width(stale)
            if x > 30 {
                grid.put(stale, x: x, y: 0, style: theme[.warning])
                right = x
            }
        }
        var parts = ["breakglass"]
        if let drill = state.timeline?.drill {
            parts += [
                "drill \(drill.id)" + (drill.status == .stopped ? " (stopped)" : ""), glyphs.sanitize(drill.scenario),
                drill.participant.map { "participant " + glyphs.sanitize($0) } ?? "any participant",
            ]
        } else {
            parts.append("drill")
        }
        grid.put(glyphs.truncate(" " + parts.joined(separator: glyphs.separator), toWidth: max(0, right - 2)), x: 0, y: 0, style: style)
    }

    // MARK: The recovery clock

    mutating func renderClock(_ timeline: DrillTimeline) {
        let clock = liveClock(timeline, now: now)
        let role = theme[clockRole(clock)]
        let digits = DrillFormat.clock(clock.elapsed)
        let big = BigDigits.lines(digits, ascii: glyphs.full.isASCII)
        let boxWidth = TerminalText.width(big[0]) + 2
        let top = DrillWatchLayout.clockTop
        grid.fill(x: 1, y: top, width: boxWidth, height: BigDigits.height, style: role)
        for (i, line) in big.enumerated() { grid.put(line, x: 2, y: top + i, style: role) }

        let x = 1 + boxWidth + 2
        let room = max(0, width - x - 1)
        let target = DrillFormat.clock(clock.target)
        let headline: String
        let verdict: String
        switch clock.state {
        case .running:
            headline = clock.isOver ? "RUNNING \(glyphs.dot) OVER TARGET" : "RUNNING"
            verdict = clock.isOver
                ? "\(DrillFormat.clock(-clock.margin)) over the \(target) target"
                : "\(DrillFormat.clock(clock.margin)) left of the \(target) target"
        case .recovered:
            headline = "RECOVERED in \(DrillFormat.clock(clock.elapsed))"
            verdict = clock.isOver
                ? "\(DrillFormat.clock(-clock.margin)) over the \(target) target"
                : "\(DrillFormat.clock(clock.margin)) under the \(target) target"
        case .stoppedUnrecovered:
            headline = "NOT RECOVERED"
            verdict = "stopped after \(DrillFormat.clock(clock.elapsed)); the target was \(target)"
        }
        grid.put(glyphs.truncate(" \(headline) ", toWidth: room), x: x, y: top, style: role)
        grid.put(glyphs.truncate(verdict, toWidth: room - 1), x: x + 1, y: top + 1, style: theme[.text])

        // What matters now first: a cut line loses the start time, not what the drill waits for.
        let drill = timeline.drill
        var context: [String] = []
        if let stopped = drill.stoppedAt {
            context.append("stopped \(ConsoleFormat.clock(stopped)) UTC" + (drill.stoppedBy.map { " by " + glyphs.sanitize($0) } ?? ""))
        } else if let awaiting = timeline.awaiting {
            context.append(waiting(for: awaiting))
        } else {
            context.append("runs until `drill stop`")
        }
        context.append("started \(ConsoleFormat.clock(drill.startedAt)) UTC by \(glyphs.sanitize(drill.startedBy))")
        grid.put(glyphs.truncate(context.joined(separator: glyphs.separator), toWidth: room - 1), x: x + 1, y: top + 2, style: theme[.muted])
    }

    func waiting(for kind: DrillMilestone.Kind) -> String {
        switch kind {
        case .detected: "waiting for an alarm"
        case .acknowledged: "waiting for acknowledgement"
        case .accessGranted: "waiting for access"
        case .recovered: "waiting for recovery"
        case .stepStarted, .stepFinished: "waiting for the runbook"
        }
    }

    // MARK: The current step

    mutating func renderStep(_ timeline: DrillTimeline) {
        let y = DrillWatchLayout.stepRow
        var x = 1 + grid.put("Current step", x: 1, y: y, style: theme[.header]) + 2
        guard let current = timeline.currentStep else {
            let none = timeline.clock.state == .recovered ? "none \(glyphs.dash) recovered" : "none under way"
            grid.put(none, x: x, y: y, style: theme[.muted])
            return
        }
        let end = width - 1
        x += grid.put(glyphs.sanitize(current.step.name), x: x, y: y, style: theme[.text], maxWidth: end - x)
        var elapsed = current.elapsed
        if timeline.clock.state == .running { elapsed = max(elapsed, now.timeIntervalSince(current.since)) }
        x += grid.put(glyphs.separator, x: x, y: y, style: theme[.muted], maxWidth: end - x)
        x += grid.put("\(DrillFormat.clock(elapsed)) on it", x: x, y: y, style: theme[.accent], maxWidth: end - x)
        if let outcome = current.lastOutcome {
            x += grid.put(glyphs.separator, x: x, y: y, style: theme[.muted], maxWidth: end - x)
            x += grid.put("last try " + glyphs.sanitize(outcome), x: x, y: y, style: theme[.error], maxWidth: end - x)
        }
        if let title = current.step.title, end - x > TerminalText.width(glyphs.separator) + 3 {
            x += grid.put(glyphs.separator, x: x, y: y, style: theme[.muted])
            grid.put(glyphs.truncate(glyphs.sanitize(title), toWidth: end - x), x: x, y: y, style: theme[.text])
        }
    }

    // MARK: Milestones

    /// Column x positions of the milestone table: label, from start, since previous, what.
    var tableColumns: (label: Int, offset: Int, previous: Int, what: Int) {
        let labelWidth = width >= 120 ? 20 : 17
        return (1, 1 + labelWidth, 1 + labelWidth + 12, 1 + labelWidth + 24)
    }

    mutating func renderMilestones(_ timeline: DrillTimeline) {
        let c = tableColumns
        let header = theme[.header]
        let y0 = DrillWatchLayout.tableHeaderRow
        grid.put("Milestone", x: c.label, y: y0, style: header)
        grid.put("From start", x: c.offset, y: y0, style: header)
        grid.put("Since prev", x: c.previous, y: y0, style: header)
        grid.put("What", x: c.what, y: y0, style: header)
        let whatWidth = max(0, width - 1 - c.what)
        for (i, row) in DrillWatchMilestones.rows(timeline, limit: layout.milestoneRows).enumerated() {
            let y = DrillWatchLayout.tableTop + i
            switch row {
            case .reached(let m):
                grid.put(m.label, x: c.label, y: y, style: theme[m.kind == .recovered ? .stateOK : .text], maxWidth: c.offset - c.label - 1)
                grid.put(DrillFormat.offset(m.offset), x: c.offset, y: y, style: theme[.text])
                grid.put(DrillFormat.clock(m.sincePrevious), x: c.previous, y: y, style: theme[.text])
                grid.put(glyphs.truncate(what(m), toWidth: whatWidth), x: c.what, y: y, style: theme[.text])
            case .pending(let kind):
                let muted = theme[.muted]
                grid.put(kind.words, x: c.label, y: y, style: muted)
                grid.put(glyphs.dash, x: c.offset, y: y, style: muted)
                grid.put(glyphs.dash, x: c.previous, y: y, style: muted)
                grid.put("pending", x: c.what, y: y, style: muted)
            case .hidden(let count):
                grid.put("\(glyphs.ellipsis) \(count) earlier milestones", x: c.label, y: y, style: theme[.muted])
            }
        }
    }

    /// The milestone's "what" column: the step and its title for steps, else its detail; then who.
    func what(_ m: DrillMilestone) -> String {
        var parts: [String] = []
        if let step = m.step {
            parts.append(glyphs.sanitize(step.name))
            if m.kind == .stepFinished { parts.append(glyphs.sanitize(m.detail)) } else if let title = step.title { parts.append(glyphs.sanitize(title)) }
        } else {
            parts.append(glyphs.sanitize(m.detail))
        }
        if let by = m.by { parts.append(glyphs.sanitize(by)) }
        return parts.joined(separator: glyphs.separator)
    }

    // MARK: The event log

    mutating func renderLog(_ timeline: DrillTimeline) {
        let y0 = layout.logHeaderRow
        var x = 1 + grid.put("Event log", x: 1, y: y0, style: theme[.header])
        let count = timeline.events.count
        x += grid.put(glyphs.separator + (count == 1 ? "1 event" : "\(count) events"), x: x, y: y0, style: theme[.muted])
        let scroll = min(state.scroll, layout.maxScroll)
        if scroll > 0 {
            let below = "\(scroll) newer below \(glyphs.dash) End shows the newest"
            x += grid.put(glyphs.separator, x: x, y: y0, style: theme[.muted])
            grid.put(below, x: x, y: y0, style: theme[.accent], maxWidth: width - 1 - x)
        }
        let whoWidth = width >= 120 ? 16 : 12
        let whoX = 10
        let textX = whoX + whoWidth + 1
        let textWidth = max(0, width - 1 - textX)
        for (row, index) in layout.visibleEvents(scroll: scroll).enumerated() {
            let event = timeline.events[index]
            let y = layout.logTop + row
            grid.put(DrillFormat.offset(event.offset), x: 1, y: y, style: theme[.muted])
            let who = event.by.map(glyphs.sanitize) ?? "sandbox"
            grid.put(glyphs.truncate(who, toWidth: whoWidth), x: whoX, y: y, style: theme[event.by == nil ? .muted : .text])
            if event.kind == "drill.note" {
                // The notes stand out: a tag and the accent, so a debrief finds them at a glance.
                let tag = "NOTE "
                let tagWidth = grid.put(tag, x: textX, y: y, style: theme[.accent])
                let text = event.text.hasPrefix("note: ") ? String(event.text.dropFirst(6)) : event.text
                grid.put(glyphs.truncate(glyphs.sanitize(text), toWidth: textWidth - tagWidth), x: textX + tagWidth, y: y, style: theme[.accent])
            } else {
                grid.put(glyphs.truncate(glyphs.sanitize(event.text), toWidth: textWidth), x: textX, y: y, style: theme[role(of: event)])
            }
        }
    }

    /// Alarms as warnings, recovery as OK, refusals and failed calls and steps as errors. Decided by
    /// the entry's kind and the start or end of the line the timeline wrote, never by words inside
    /// untrusted text (an alarm named "failed-logins" is not an error).
    func role(of event: DrillEvent) -> ThemeRole {
        switch event.kind {
        case "alarm": return .warning
        case "recovered": return .stateOK
        case "drill.started", "drill.stopped": return .header
        case "aws.outcome": return event.text.hasPrefix("call failed") || event.text.hasPrefix("call outcome-unknown") ? .error : .text
        case "runbook.step": return event.text.hasSuffix(" failed") || event.text.hasSuffix(" outcome-unknown") ? .error : .text
        default: return event.kind.hasSuffix(".denied") || event.kind.hasSuffix(".failed") ? .error : .text
        }
    }

    // MARK: Before the first snapshot

    mutating func renderLoading() {
        let lines: [(String, ThemeRole)]
        if let error = state.loadError {
            lines = glyphs.wrap("Could not read the drill: " + glyphs.sanitize(error), toWidth: width - 4, maxLines: 6).map { ($0, .error) }
                + [("Trying again every second; q quits.", .muted)]
        } else {
            lines = [("Loading the drill" + glyphs.ellipsis, .muted)]
        }
        let top = max(2, (layout.footerRow - lines.count) / 2)
        for (i, line) in lines.enumerated() {
            grid.put(line.0, x: max(0, (width - TerminalText.width(line.0)) / 2), y: top + i, style: theme[line.1])
        }
    }

    // MARK: Footer

    mutating func renderFooter() {
        let y = layout.footerRow
        grid.fill(y: y, style: theme[.footer])
        if let note = state.note {
            renderNoteField(note, y: y)
            // An error that arrives while a note is typed goes above the field, not under it.
            if let message = state.message, message.isError { renderMessage(message.text, isError: true, y: y - 1) }
            return
        }
        if let message = state.message {
            renderMessage(message.text, isError: message.isError, y: y)
            return
        }
        if let error = state.loadError, state.timeline != nil {
            renderMessage("could not update the drill: " + error, isError: true, y: y)
            return
        }
        let hints = DrillWatchKeys.footer(width: width - 2)
        var x = 1
        for hint in hints {
            x += grid.put(hint.label, x: x, y: y, style: theme[.footerKey]) + 1
            x += grid.put(hint.description, x: x, y: y, style: theme[.footer]) + 2
        }
    }

    mutating func renderMessage(_ text: String, isError: Bool, y: Int) {
        grid.fill(y: y, style: theme[.footer])
        grid.put(glyphs.truncate(glyphs.sanitize(text), toWidth: width - 2), x: 1, y: y, style: theme[isError ? .error : .accent])
    }

    /// The note field on the footer row: what is typed (its end stays in view), a cursor, the field's
    /// keys on the right while there is room, and how many characters are left near the limit.
    mutating func renderNoteField(_ note: String, y: Int) {
        var x = 1 + grid.put("Note:", x: 1, y: y, style: theme[.footerKey]) + 1
        var right = width - 1
        let left = DrillWatchState.noteLimit - note.count
        if left <= 40 {
            let counter = "\(left) left"
            right -= TerminalText.width(counter)
            grid.put(counter, x: right, y: y, style: theme[left == 0 ? .warning : .muted])
            right -= 2
        }
        let keys = DrillWatchKeys.noteHints
        let keysWidth = keys.map { TerminalText.width($0.key) + 1 + TerminalText.width($0.description) }.reduce(0, +) + 2 * (keys.count - 1)
        if right - keysWidth > x + 24 {
            var kx = right - keysWidth
            right = kx - 2
            for hint in keys {
                kx += grid.put(hint.key, x: kx, y: y, style: theme[.footerKey]) + 1
                kx += grid.put(hint.description, x: kx, y: y, style: theme[.muted]) + 2
            }
        }
        let room = max(1, right - x - 1)
        let text = glyphs.sanitize(note)
        x += grid.put(tail(text, width: room), x: x, y: y, style: theme[.text])
        grid.put(" ", x: x, y: y, style: theme[.selection])
    }

    /// The end of `text` in at most `width` columns (whole characters).
    func tail(_ text: String, width limit: Int) -> String {
        guard TerminalText.width(text) > limit else { return text }
        var out = ""
        var used = 0
        for character in text.reversed() {
            let w = TerminalText.width(of: character)
            if used + w > limit { break }
            out.insert(character, at: out.startIndex)
            used += w
        }
        return out
    }

    // MARK: Help

    mutating func renderHelp() {
        let boxWidth = min(width - 4, 72)
        let inner = boxWidth - 4
        var lines: [(keys: String, text: String)] = [("", "Keys")]
        for binding in DrillWatchKeys.bindings { lines.append((binding.label, binding.description)) }
        lines.append(("", ""))
        lines.append(("", "The note field: Enter adds the note, Esc cancels, Bksp deletes, ^U clears."))
        lines.append(("", "The clock is the time to recovery against the target, in the alarm colours once over it."))
        lines.append(("", "Dimmed milestones have not happened yet. NOTE marks the facilitator's notes."))
        let keyWidth = 8
        var rows: [(keys: String, text: String)] = []
        for line in lines {
            if line.keys.isEmpty {
                let wrapped = glyphs.wrap(line.text, toWidth: inner)
                rows += wrapped.isEmpty ? [("", "")] : wrapped.map { ("", $0) }
            } else {
                rows.append(line)
            }
        }
        let boxHeight = min(grid.height - 2, rows.count + 2)
        let x0 = max(0, (width - boxWidth) / 2)
        let y0 = max(1, (grid.height - boxHeight) / 2)
        let frame = theme[.header]
        grid.fill(x: x0, y: y0, width: boxWidth, height: boxHeight, style: theme[.text])
        grid.drawBox(x: x0, y: y0, width: boxWidth, height: boxHeight, style: frame, glyphs: glyphs)
        grid.put(" Help \(glyphs.dash) Esc or ? closes ", x: x0 + 2, y: y0, style: frame, maxWidth: boxWidth - 4)
        for (i, row) in rows.prefix(boxHeight - 2).enumerated() {
            let y = y0 + 1 + i
            if row.keys.isEmpty {
                grid.put(row.text, x: x0 + 2, y: y, style: theme[row.text == "Keys" ? .header : .text], maxWidth: inner)
            } else {
                grid.put(row.keys, x: x0 + 2, y: y, style: theme[.footerKey], maxWidth: keyWidth)
                grid.put(row.text, x: x0 + 3 + keyWidth, y: y, style: theme[.text], maxWidth: inner - keyWidth - 1)
            }
        }
    }

    // MARK: Too small

    /// Below 80×24: what is needed, that `q` quits, and (when it fits) the clock in one line.
    mutating func renderTooSmall() {
        guard width > 0, grid.height > 0 else { return }
        let need = DrillWatchLayout.minimumSize
        let message =
            "terminal too small: need \(need.width)\(glyphs.times)\(need.height), have \(state.size.width)\(glyphs.times)\(state.size.height) \(glyphs.dash) q quits"
        var lines = glyphs.wrap(message, toWidth: width, maxLines: grid.height).map { ($0, ThemeRole.warning) }
        if let timeline = state.timeline, lines.count + 2 <= grid.height {
            let clock = liveClock(timeline, now: now)
            lines.append(("", .text))
            lines += glyphs.wrap(glyphs.punctuated(clock.summary), toWidth: width, maxLines: grid.height - lines.count).map { ($0, clockRole(clock)) }
        }
        let top = max(0, (grid.height - lines.count) / 2)
        for (i, line) in lines.enumerated() {
            grid.put(line.0, x: max(0, (width - TerminalText.width(line.0)) / 2), y: top + i, style: theme[line.1])
        }
    }
}

extension DrillWatchKeys {
    /// The footer's hints in `width` columns: every binding when all fit; else the essential ones and
    /// as many others as fit, in the table's order.
    public static func footer(width: Int) -> [Binding] {
        func needed(_ list: [Binding]) -> Int {
            list.map { TerminalText.width($0.label) + 1 + TerminalText.width($0.description) }.reduce(0, +) + 2 * max(0, list.count - 1)
        }
        let shown = bindings.filter { $0.action != .back }
        if needed(shown) <= width { return shown }
        var chosen = Set(shown.filter(\.essential).map(\.action))
        for binding in shown where !binding.essential {
            let trial = shown.filter { chosen.contains($0.action) || $0.action == binding.action }
            if needed(trial) <= width { chosen.insert(binding.action) }
        }
        return shown.filter { chosen.contains($0.action) }
    }
}
