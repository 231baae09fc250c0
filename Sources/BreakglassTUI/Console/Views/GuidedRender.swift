import BreakglassAWS
import BreakglassCore
import Foundation

// Guided mode, drawn below the top bar: one step per screen in the runbook's own words, "Step 2 of
// 7", a large Next/Done button, the typed confirmation before any change, and "I need help".

/// Guided mode draws the whole screen below the top bar (no tabs, no banner row of its own).
func renderGuided(_ state: ConsoleState, into grid: inout CellGrid, area: ScreenArea, theme: Theme, now: Date) {
    let glyphs = theme.glyphs
    guard let open = state.runbook.open else {
        renderGuidedPicker(state, into: &grid, area: area, theme: theme)
        return
    }
    let width = area.width
    let margin = width >= 100 ? 6 : 3
    let textWidth = width - 2 * margin
    var y = area.top + 1
    let steps = open.steps
    let i = min(open.shown, max(0, steps.count - 1))
    var counter = steps.isEmpty ? "" : "Step \(i + 1) of \(steps.count) "
    if let form = open.form { counter = "Question \(form.focus + 1) of \(form.fields.count) " }
    grid.put(" " + glyphs.truncate(glyphs.sanitize(open.runbook.title), toWidth: width - TerminalText.width(counter) - 3),
        x: 0, y: y, style: theme[.header])
    grid.put(counter, x: width - TerminalText.width(counter), y: y, style: theme[.header])
    y += 1
    grid.fill(x: 1, y: y, width: width - 2, character: theme.glyphs.horizontal, style: theme[.muted])
    y += 2

    if let form = open.form {
        renderGuidedQuestion(form, into: &grid, top: y, bottom: area.bottom, margin: margin, width: width, theme: theme)
        return
    }

    // What the screen must keep for the button, the prompt and help.
    let reserved = 3 + 1 + 2 + 2
    let textBottom = area.bottom - reserved
    for (n, paragraph) in GuidedWords.paragraphs(open, i, finished: open.isFinished).map({ (glyphs.punctuated($0.0), $0.1) }).enumerated() {
        if n > 0 { y += 1 }
        for line in glyphs.wrap(paragraph.0, toWidth: textWidth) {
            guard y < textBottom else { break }
            grid.put(line, x: margin, y: y, style: theme[paragraph.1])
            y += 1
        }
    }

    // The button.
    var button = GuidedWords.button(open, i)
    button.label = glyphs.punctuated(button.label)
    let buttonWidth = max(16, TerminalText.width(button.label) + 8)
    let bx = (width - buttonWidth) / 2
    let by = textBottom + 1
    let frame = theme[button.enabled ? .header : .muted]
    drawGuidedBox(&grid, x: bx, y: by, width: buttonWidth, height: 3, style: frame, glyphs: theme.glyphs)
    let label = button.label
    grid.put(label, x: bx + (buttonWidth - TerminalText.width(label)) / 2, y: by + 1, style: button.enabled ? theme[.selection] : theme[.muted])
    if button.enabled {
        let hint = "Enter"
        grid.put(hint, x: bx + buttonWidth + 2, y: by + 1, style: theme[.muted])
    }

    // The prompt, or what help did.
    let promptY = by + 3
    if let prompt = state.runbook.prompt {
        renderPrompt(prompt, open, into: &grid, y: promptY, width: width, theme: theme, guided: true)
    } else {
        let (text, role): (String?, ThemeRole) = {
            switch open.help {
            case .none: return (nil, .muted)
            case .paging: return ("Paging the next person\(glyphs.ellipsis)", .accent)
            case .paged(let sentence): return ("Help is on the way. " + sentence, .accent)
            case .failed(let message): return (message, .error)
            case .call(let who): return (who, .warning)
            }
        }()
        if let text {
            for (n, line) in glyphs.wrap(glyphs.sanitize(text), toWidth: width - 2, maxLines: 2).enumerated() {
                grid.put(line, x: 1, y: promptY + n, style: theme[role])
            }
        }
    }
}

/// One of the parameter form's fields in plain words: what the runbook needs, the answer being
/// typed, and what is wrong with it.
private func renderGuidedQuestion(
    _ form: RunbookParamForm, into grid: inout CellGrid, top: Int, bottom: Int, margin: Int, width: Int, theme: Theme
) {
    let glyphs = theme.glyphs
    let field = form.fields[min(form.focus, form.fields.count - 1)]
    let textWidth = width - 2 * margin
    var y = top
    var paragraphs: [(String, ThemeRole)] = [("Before it starts, this runbook needs some information from you.", .text)]
    let name = glyphs.sanitize(field.name)
    paragraphs.append((field.description.map { glyphs.sanitize($0) + " (" + name + ")" } ?? "What is the \(name)?", .header))
    if let pattern = field.pattern { paragraphs.append(("The answer must match the pattern " + glyphs.sanitize(pattern) + ".", .muted)) }
    if let value = field.defaultText { paragraphs.append(("Usually it is " + glyphs.sanitize(value) + "; that is already typed.", .muted)) }
    for (n, paragraph) in paragraphs.enumerated() {
        if n > 0 { y += 1 }
        for line in glyphs.wrap(paragraph.0, toWidth: textWidth) where y < bottom - 5 {
            grid.put(line, x: margin, y: y, style: theme[paragraph.1])
            y += 1
        }
    }
    y += 1
    let room = max(1, textWidth - 3)
    let text = glyphs.sanitize(field.text)
    let shown = TerminalText.width(text) > room ? glyphs.ellipsis + String(text.suffix(max(0, room - TerminalText.width(glyphs.ellipsis)))) : text
    let x = margin + grid.put("> ", x: margin, y: y, style: theme[.accent])
    let w = grid.put(shown, x: x, y: y, style: theme[.text])
    grid.put(" ", x: x + w, y: y, style: theme[.selection])
    y += 2
    if let error = field.error {
        for line in glyphs.wrap("That is not right: " + glyphs.sanitize(error) + ".", toWidth: textWidth, maxLines: 2) where y < bottom {
            grid.put(line, x: margin, y: y, style: theme[.error])
            y += 1
        }
        y += 1
    }
    let last = form.focus + 1 >= form.fields.count
    if y < bottom {
        grid.put(last ? "Press Enter to start." : "Press Enter for the next question.", x: margin, y: y, style: theme[.muted], maxWidth: textWidth)
    }
}

private func drawGuidedBox(_ grid: inout CellGrid, x: Int, y: Int, width w: Int, height h: Int, style: Style, glyphs: LineGlyphs) {
    guard w >= 2, h >= 2 else { return }
    grid.put(String(glyphs.topLeft), x: x, y: y, style: style)
    grid.put(String(glyphs.topRight), x: x + w - 1, y: y, style: style)
    grid.put(String(glyphs.bottomLeft), x: x, y: y + h - 1, style: style)
    grid.put(String(glyphs.bottomRight), x: x + w - 1, y: y + h - 1, style: style)
    grid.fill(x: x + 1, y: y, width: w - 2, character: glyphs.horizontal, style: style)
    grid.fill(x: x + 1, y: y + h - 1, width: w - 2, character: glyphs.horizontal, style: style)
    grid.fill(x: x, y: y + 1, width: 1, height: h - 2, character: glyphs.vertical, style: style)
    grid.fill(x: x + w - 1, y: y + 1, width: 1, height: h - 2, character: glyphs.vertical, style: style)
    grid.fill(x: x + 1, y: y + 1, width: w - 2, height: h - 2, style: style)
}

private func renderGuidedPicker(_ state: ConsoleState, into grid: inout CellGrid, area: ScreenArea, theme: Theme) {
    let glyphs = theme.glyphs
    let width = area.width
    var y = area.top + 1
    switch state.runbook.shelf {
    case .notLoaded, .loading:
        grid.put(" Getting ready\(glyphs.ellipsis)", x: 0, y: y, style: theme[.muted])
        return
    case .failed(let message):
        for line in glyphs.wrap("The runbooks could not be loaded: " + glyphs.sanitize(message), toWidth: width - 4, maxLines: 4) {
            grid.put(line, x: 2, y: y, style: theme[.error])
            y += 1
        }
        grid.put("Press h to see whom to call, or q to close.", x: 2, y: y + 1, style: theme[.text])
        return
    case .loaded:
        break
    }
    grid.put(" Which problem are you fixing?", x: 0, y: y, style: theme[.header])
    y += 2
    let order = state.pickerOrder
    guard !order.isEmpty else {
        grid.put("There is no runbook to follow. Press h to see whom to call.", x: 3, y: y, style: theme[.warning])
        return
    }
    let rows = max(1, area.bottom - y - 3)
    let selected = min(state.runbook.pickerIndex, order.count - 1)
    let first = max(0, min(selected - rows + 1, order.count - rows))
    for (offset, runbook) in order.dropFirst(first).prefix(rows).enumerated() {
        let index = first + offset
        let isSelected = index == selected
        let style = isSelected ? theme[.selection] : theme[.text]
        let number = index < 9 ? "\(index + 1)" : " "
        let line = (isSelected ? " > " : "   ") + number + "  " + glyphs.sanitize(runbook.title)
        if isSelected { grid.fill(x: 2, y: y, width: width - 4, style: style) }
        grid.put(line, x: 2, y: y, style: style, maxWidth: width - 4)
        y += 1
    }
    grid.put("Use the arrow keys (or a number) to choose, then press Enter.", x: 3, y: area.bottom - 2, style: theme[.muted], maxWidth: width - 4)
}

/// The plain words of guided mode.
enum GuidedWords {
    /// The step's words, then what happened, one (text, role) per paragraph.
    static func paragraphs(_ open: OpenRunbook, _ i: Int, finished: Bool) -> [(String, ThemeRole)] {
        guard i < open.runbook.steps.count else { return [] }
        if finished, let run = open.run {
            switch run.status {
            case .succeeded:
                return [("All \(run.steps.count) steps are done.", .stateOK), ("Thank you. You can close this screen with q.", .text)]
            case .failed:
                let failed = run.steps.firstIndex { $0.status == .failed }
                let what = failed.map { "Step \($0 + 1) did not work: " + (run.steps[$0].detail ?? "it failed") } ?? (run.reason ?? "A step did not work.")
                return [(TerminalText.sanitize(what), .stateAlarm), ("Press h to page the next person for help.", .text)]
            case .abandoned, .waiting, .running:
                return [(TerminalText.sanitize(run.reason ?? "The run stopped."), .warning), ("Press h to page the next person for help.", .text)]
            }
        }
        let step = open.runbook.steps[i]
        let state = open.steps[i]
        let context = RunbookWords.context(open)
        var out: [(String, ThemeRole)] = []
        switch step.kind {
        case .say(let t):
            out.append((open.said[i] ?? t.display(context), .text))
        case .check(let c):
            out.append((c.explain?.display(context) ?? "The console checks that " + RunbookWords.expectations(c.expect, context) + ".", .text))
            switch state.status {
            case .done: out.append(("That is as expected.", .stateOK))
            case .failed: out.append(("That is not as expected: " + (state.detail ?? "the check failed"), .stateAlarm))
            case .running: out.append(("Checking…", .accent))
            default: break
            }
        case .do(let d):
            out.append((d.explain?.display(context) ?? "This step changes something in AWS.", .text))
            out.append(("This changes \(RunbookWords.typing(open, i, d, state, context)) in AWS (\(d.call.operation)). Nothing is changed until you type its name.", .muted))
        case .wait(let w):
            out.append((w.explain?.display(context) ?? "Waiting until " + RunbookWords.expectations(w.until, context) + ".", .text))
            out.append(("This can take up to \(DurationSyntax.format(w.timeout)); the console checks by itself.", .muted))
        case .waitAlarm(let w):
            out.append(("Waiting for the alarm \(w.name.display(context)) to be \(w.state.rawValue).", .text))
            out.append(("This can take up to \(DurationSyntax.format(w.timeout)); the console checks by itself.", .muted))
        case .approve(let a):
            out.append((a.explain.display(context), .text))
            out.append(("A second person must approve this from their own console.", .muted))
        case .page(let p):
            out.append(("The console pages the next person: " + p.reason.display(context), .text))
        case .query(let q):
            out.append(("The console looks up items in \(q.table.display(context)).", .text))
        }
        switch state.status {
        case .done where !step.isCheck:
            if case .say = step.kind { break }
            out.append(("Done.", .stateOK))
        case .failed where !step.isCheck:
            out.append(("This did not work: " + (state.detail ?? "it failed"), .stateAlarm))
        case .outcomeUnknown:
            out.append(("We do not know whether this worked. Do not try it again: press h to page the next person.", .warning))
        case .running:
            if case .do = step.kind { out.append(("Working on it…", .accent)) }
            if case .wait = step.kind, let detail = state.detail { out.append(("Still waiting: " + detail, .muted)) }
            if case .waitAlarm = step.kind, let detail = state.detail { out.append(("Still waiting: " + detail, .muted)) }
        default:
            break
        }
        if let note = open.note, !open.isDriving { out.append((note, .warning)) }
        return out.map { (TerminalText.sanitize($0.0), $0.1) }
    }

    /// The button's label, and whether Enter does something now.
    static func button(_ open: OpenRunbook, _ i: Int) -> (label: String, enabled: Bool) {
        let steps = open.steps
        if open.isFinished { return ("Done", false) }
        let last = i + 1 >= steps.count
        let label = last ? "Done" : "Next"
        if i < steps.count, steps[i].status.isSettled, !last { return (label, true) }
        switch open.phase {
        case .idle, .stopped: return ("Start", true)
        case .asking(_, let ask) where ask.step == i:
            if case .decide = ask { return ("Get help", true) }
            return (label, true)
        case .asking, .starting, .running, .stopping: return ("Working…", false)
        }
    }
}
