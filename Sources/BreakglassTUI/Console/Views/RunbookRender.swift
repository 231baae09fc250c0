import BreakglassAWS
import BreakglassCore
import Foundation

// Drawing the runbook screen: the picker, or the open runbook's checklist, the selected step's
// detail and the prompt. Everything from a runbook file, the store or AWS is sanitised here.

/// The words for a run's steps, shared by the runbook screen and guided mode.
enum RunbookWords {
    static func status(_ status: RunbookStepStatus) -> String {
        switch status {
        case .pending: "pending"
        case .running: "running"
        case .awaitingConfirmation: "awaiting confirmation"
        case .done: "done"
        case .failed: "failed"
        case .skipped: "skipped"
        case .outcomeUnknown: "outcome unknown — verify"
        }
    }

    static func role(_ status: RunbookStepStatus) -> ThemeRole {
        switch status {
        case .pending, .skipped: .muted
        case .running: .accent
        case .awaitingConfirmation, .outcomeUnknown: .warning
        case .done: .stateOK
        case .failed: .stateAlarm
        }
    }

    /// The run's parameters and outputs so far, or the runbook's defaults before there is a run.
    static func context(_ open: OpenRunbook) -> RunbookRenderContext {
        if let run = open.run { return run.renderContext(open.runbook) }
        if case .success(let params) = RunbookParams.resolve(open.runbook, given: [:]) { return RunbookRenderContext(params: params) }
        return RunbookRenderContext()
    }

    /// A step in one line: what it says or does.
    static func title(_ open: OpenRunbook, _ i: Int, _ context: RunbookRenderContext) -> String {
        let step = open.runbook.steps[i]
        let text: String
        switch step.kind {
        case .say(let t): text = open.said[i] ?? t.display(context)
        case .check(let c): text = c.explain?.display(context) ?? "check \(c.call.operation)"
        case .do(let d): text = d.explain?.display(context) ?? "\(d.call.operation)"
        case .wait(let w): text = w.explain?.display(context) ?? "wait until " + expectations(w.until, context)
        case .waitAlarm(let w): text = "wait until alarm \(w.name.display(context)) is \(w.state.rawValue)"
        case .approve(let a): text = a.explain.display(context)
        case .page(let p): text = "page the next escalation stage: " + p.reason.display(context)
        case .query(let q): text = "look up items in table \(q.table.display(context))"
        }
        return TerminalText.sanitize(text)
    }

    static func expectations(_ list: [RunbookExpectation], _ context: RunbookRenderContext) -> String {
        list.map { "\($0.path) = \(value($0.value, context))" }.joined(separator: ", ")
    }

    static func value(_ value: RunbookValue, _ context: RunbookRenderContext) -> String {
        let rendered = (try? value.render(context)) ?? value.written
        return ConsoleState.scalarText(rendered) ?? JSON.encode(rendered)
    }

    /// Exactly what a call sends: the input as rendered when the step ran (or would now), else as
    /// written, as JSON.
    static func parameters(_ call: RunbookCall, _ state: RunbookStepState, _ context: RunbookRenderContext) -> String {
        if let input = state.input { return JSON.encode(input) }
        if let input = try? call.render(context) { return JSON.encode(input) }
        return JSON.encode(.object(AWSObject(call.input.map { ($0.key, $0.value.written) })))
    }

    /// The selected step in full, one (text, role) per paragraph; the caller wraps them.
    static func detail(_ open: OpenRunbook, _ i: Int, guided: Bool = false) -> [(String, ThemeRole)] {
        let step = open.runbook.steps[i]
        let state = open.steps[i]
        let context = context(open)
        var out: [(String, ThemeRole)] = []
        switch step.kind {
        case .say(let t):
            out.append((open.said[i] ?? t.display(context), .text))
        case .check(let c):
            if let explain = c.explain { out.append((explain.display(context), .text)) }
            out.append(("Reads \(c.call.operation) \(parameters(c.call, state, context))", .muted))
            for e in c.expect {
                out.append(("Expected: \(e.path) = \(value(e.value, context))", .text))
                if let output = state.output {
                    let actual = output.value(at: e.path).map { ConsoleState.scalarText($0) ?? JSON.encode($0) } ?? "nothing"
                    out.append(("Actual:   \(e.path) = \(actual)", state.status == .failed ? .stateAlarm : .stateOK))
                }
            }
        case .do(let d):
            if let explain = d.explain { out.append((explain.display(context), .text)) }
            out.append(("Calls \(d.call.operation) with \(parameters(d.call, state, context))", .header))
            let confirm = d.confirm == .type || guided ? "type \(typing(open, i, d, state, context)) to confirm" : "confirm with y"
            out.append(("Sent only after you confirm (\(confirm)); recorded in the audit trail first.", .muted))
            if let before = state.before, !before.isEmpty { out.append(("Before the change: \(JSON.encode(.object(before)))", .muted)) }
        case .wait(let w):
            if let explain = w.explain { out.append((explain.display(context), .text)) }
            out.append(("Reads \(w.call.operation) every \(DurationSyntax.format(w.every)) until \(expectations(w.until, context)), "
                + "for up to \(DurationSyntax.format(w.timeout))", .muted))
        case .waitAlarm(let w):
            out.append(("Waits until alarm \(w.name.display(context)) is \(w.state.rawValue), for up to \(DurationSyntax.format(w.timeout))", .text))
        case .approve(let a):
            out.append((a.explain.display(context), .text))
            let run = open.run.map { String($0.id) } ?? "RUN"
            out.append(("A second person approves from their own session: breakglass runbook approve \(run)", .muted))
        case .page(let p):
            out.append((p.reason.display(context), .text))
            out.append(("Pages the next escalation stage of the run's incident.", .muted))
        case .query(let q):
            let conditions = q.key.map { "\($0.attribute) \($0.comparison.rawValue)" }.joined(separator: ", ")
            out.append(("Queries table \(q.table.display(context))" + (conditions.isEmpty ? "" : " on \(conditions)") + ", at most \(q.limit) items", .text))
        }
        if state.status == .outcomeUnknown {
            out.append(("Outcome unknown: it may have reached AWS, and it is never sent again by itself.", .warning))
            if let verification = state.verification { out.append(("A read shows: \(verification.detail)", .warning)) }
            if !guided { out.append(("v verify with a read · m mark done (it took effect) · S send again (typed)", .warning)) }
        } else if let detail = state.detail {
            out.append((detail, state.status == .failed ? .stateAlarm : .muted))
        }
        if let request = state.requestID, state.detail?.contains(request) != true { out.append(("request id \(request)", .muted)) }
        if !guided, let output = state.output, !step.isCheck {
            out.append(("Output: " + JSON.encode(output), .muted))
        }
        return out.map { (TerminalText.sanitize($0.0), $0.1) }
    }

    static func typing(_ open: OpenRunbook, _ i: Int, _ d: RunbookStep.Do, _ state: RunbookStepState, _ context: RunbookRenderContext) -> String {
        let input = state.input ?? (try? d.call.render(context))
        if let member = d.call.resourceMember, let value = input?[member.key].flatMap(ConsoleState.scalarText) { return value }
        return d.call.operation.description
    }
}

extension RunbookStep {
    var isCheck: Bool { if case .check = kind { true } else { false } }
}

func renderRunbook(_ state: ConsoleState, into grid: inout CellGrid, area: ScreenArea, theme: Theme, now: Date) {
    if let open = state.runbook.open, !state.runbook.showingPicker {
        renderOpenRunbook(state, open, into: &grid, area: area, theme: theme, now: now)
    } else {
        renderPicker(state, into: &grid, area: area, theme: theme)
    }
}

private func renderPicker(_ state: ConsoleState, into grid: inout CellGrid, area: ScreenArea, theme: Theme) {
    let glyphs = theme.glyphs
    let width = area.width
    var y = area.top
    grid.put(" Runbooks", x: 0, y: y, style: theme[.header])
    let suggested = state.suggestedRunbooks
    let order = state.pickerOrder
    switch state.runbook.shelf {
    case .notLoaded, .loading:
        grid.put("loading the runbooks\(glyphs.ellipsis)", x: 1, y: y + 2, style: theme[.muted])
        return
    case .failed(let message):
        for (i, line) in glyphs.wrap("could not load the runbooks: " + glyphs.sanitize(message), toWidth: width - 2, maxLines: 3).enumerated() {
            grid.put(line, x: 1, y: y + 2 + i, style: theme[.error])
        }
        return
    case .loaded:
        break
    }
    let summary = "\(order.count) can run" + (suggested.isEmpty ? "" : "\(glyphs.separator)\(suggested.count) suggested for open incidents") + " "
    grid.put(summary, x: max(12, width - TerminalText.width(summary)), y: y, style: theme[.muted])
    y += 1
    guard !order.isEmpty else {
        grid.put("No runbook can run. Add runbooks under runbooks/ and check them with breakglass runbook lint.", x: 1, y: y + 1, style: theme[.muted], maxWidth: width - 2)
        return
    }
    let idWidth = min(26, max(10, order.map { TerminalText.width(glyphs.sanitize($0.id)) }.max() ?? 10))
    let forWidth = suggested.isEmpty ? 0 : 14
    let titleWidth = max(10, width - 4 - idWidth - 2 - forWidth - 1)
    grid.put("  " + glyphs.pad("ID", toWidth: idWidth) + "  " + glyphs.pad("TITLE", toWidth: titleWidth) + (forWidth > 0 ? " FOR" : ""),
        x: 0, y: y, style: theme[.header], maxWidth: width)
    y += 1
    let problemsRows = state.runbook.problems.isEmpty ? 0 : 2
    let rows = max(1, area.bottom - y - problemsRows)
    let selected = min(state.runbook.pickerIndex, order.count - 1)
    let first = max(0, min(selected - rows + 1, order.count - rows))
    for (offset, runbook) in order.dropFirst(max(0, first)).prefix(rows).enumerated() {
        let index = max(0, first) + offset
        let isSelected = index == selected
        let style = isSelected ? theme[.selection] : theme[.text]
        if isSelected { grid.fill(x: 0, y: y, width: width, height: 1, style: style) }
        var line = (isSelected ? "> " : "  ") + glyphs.pad(glyphs.sanitize(runbook.id), toWidth: idWidth) + "  "
            + glyphs.pad(glyphs.sanitize(runbook.title), toWidth: titleWidth)
        if forWidth > 0, let incident = suggested.first(where: { $0.runbook == runbook.id })?.incident { line += " incident \(incident)" }
        grid.put(line, x: 0, y: y, style: style, maxWidth: width)
        y += 1
    }
    if problemsRows > 0 {
        let count = state.runbook.problems.count
        let text = "\(count) runbook\(count == 1 ? "" : "s") cannot run (lint errors): " + glyphs.sanitize(state.runbook.problems.joined(separator: "; "))
        grid.put(glyphs.truncate(text, toWidth: width - 2), x: 1, y: area.bottom - 1, style: theme[.warning])
    }
}

private func renderOpenRunbook(_ state: ConsoleState, _ open: OpenRunbook, into grid: inout CellGrid, area: ScreenArea, theme: Theme, now: Date) {
    let glyphs = theme.glyphs
    let width = area.width
    var y = area.top
    let runbook = open.runbook
    let context = RunbookWords.context(open)

    // Title, id, and where the run is.
    let status = runStatus(open, glyphs: glyphs)
    let statusWidth = TerminalText.width(status.text)
    var x = grid.put(" " + glyphs.truncate(glyphs.sanitize(runbook.title), toWidth: max(10, width - statusWidth - 20)), x: 0, y: y, style: theme[.header])
    x += grid.put("  " + glyphs.sanitize(runbook.id), x: x, y: y, style: theme[.muted], maxWidth: max(0, width - x - statusWidth - 2))
    grid.put(status.text, x: width - statusWidth, y: y, style: theme[status.role])
    y += 1
    if let when = runbook.when {
        grid.put(" When: " + glyphs.truncate(glyphs.sanitize(when), toWidth: width - 8), x: 0, y: y, style: theme[.muted])
        y += 1
    }
    if let role = runbook.access?.value {
        let (text, roleStyle): (String, ThemeRole)
        let grant: RunbookGrantStatus? = state.grantHeld(role, now: now) ? .held(role: role) : open.grant
        switch grant {
        case .held?: (text, roleStyle) = ("Access: \(role) \(glyphs.dash) break-glass grant held; steps use it", .stateOK)
        case .missing(_, _)?: (text, roleStyle) = ("Access: \(role) \(glyphs.dash) no break-glass grant held; n offers to request one (4: access screen)", .warning)
        case nil: (text, roleStyle) = ("Access: \(role)", .muted)
        }
        grid.put(" " + glyphs.truncate(glyphs.sanitize(text), toWidth: width - 2), x: 0, y: y, style: theme[roleStyle])
        y += 1
    }

    if let form = open.form {
        renderParamForm(form, into: &grid, top: y, bottom: area.bottom, width: width, theme: theme)
        return
    }

    // The prompt (or the note) takes the last row(s); the detail gets what the list leaves.
    let bottomRows = state.runbook.prompt != nil ? 2 : (open.note != nil ? 1 : 0)
    let bottom = area.bottom - bottomRows
    let steps = open.steps
    let detailMin = 6
    let listRows = max(1, min(steps.count, bottom - y - 1 - detailMin))
    let first = max(0, min(open.selected - listRows + 1, steps.count - listRows))
    let kindWidth = 11
    let statusColumn = 25
    let titleWidth = max(8, width - 2 - 3 - kindWidth - 1 - statusColumn - 1)
    for i in first..<min(steps.count, first + listRows) {
        let isSelected = i == open.selected
        let base = isSelected ? theme[.selection] : theme[.text]
        if isSelected { grid.fill(x: 0, y: y, width: width, height: 1, style: base) }
        let number = glyphs.pad("\(i + 1)", toWidth: 3, alignment: .trailing)
        var cx = grid.put((isSelected ? ">" : " ") + number + " ", x: 0, y: y, style: base)
        cx += grid.put(glyphs.pad(runbook.steps[i].kindName, toWidth: kindWidth), x: cx, y: y, style: isSelected ? base : theme[.muted])
        cx += grid.put(glyphs.pad(RunbookWords.title(open, i, context), toWidth: titleWidth) + " ", x: cx, y: y, style: base)
        let label = glyphs.punctuated(RunbookWords.status(steps[i].status))
        grid.put(glyphs.pad(label, toWidth: statusColumn), x: cx, y: y, style: isSelected ? base : theme[RunbookWords.role(steps[i].status)])
        y += 1
    }

    // The selected step in full.
    let i = min(open.selected, max(0, steps.count - 1))
    guard i < steps.count else { return }
    let heading = " Step \(i + 1) of \(steps.count)\(glyphs.separator)\(runbook.steps[i].kindName) "
    grid.fill(x: 0, y: y, width: width, character: theme.glyphs.horizontal, style: theme[.muted])
    grid.put(heading, x: 2, y: y, style: theme[.header])
    y += 1
    for (text, role) in RunbookWords.detail(open, i).map({ (glyphs.punctuated($0.0), $0.1) }) {
        for line in glyphs.wrap(text, toWidth: width - 2) {
            guard y < bottom else { break }
            grid.put(line, x: 1, y: y, style: theme[role])
            y += 1
        }
    }

    if let prompt = state.runbook.prompt {
        renderPrompt(prompt, open, into: &grid, y: area.bottom - 2, width: width, theme: theme, guided: false)
    } else if let note = open.note {
        grid.put(glyphs.truncate(glyphs.sanitize(note), toWidth: width - 2), x: 1, y: area.bottom - 1, style: theme[open.isFinished ? .error : .warning])
    }
}

/// What the run is doing, for the title row's right end.
private func runStatus(_ open: OpenRunbook, glyphs: LineGlyphs) -> (text: String, role: ThemeRole) {
    let run = open.run.map { "run \($0.id)\(glyphs.separator)" } ?? ""
    switch open.phase {
    case .idle:
        // A run on the screen while idle is the stored one (`RunbookViewEvent.stored`), not yet resumed.
        return (open.run == nil ? "not started \(glyphs.dash) n starts " : run + "waiting \(glyphs.dash) n resumes ", open.run == nil ? .muted : .warning)
    case .starting: return ("starting\(glyphs.ellipsis) ", .accent)
    case .running: return (run + "running step \((open.run?.current ?? 0) + 1) ", .accent)
    case .asking(_, let ask):
        switch ask {
        case .show: return (run + "n: go on ", .accent)
        case .confirm: return (run + "awaiting confirmation ", .warning)
        case .decide: return (run + "outcome unknown ", .warning)
        }
    case .stopping: return (run + "stopping\(glyphs.ellipsis) ", .muted)
    case .stopped(let status, _):
        switch status {
        case .succeeded: return (run + "finished ", .stateOK)
        case .failed: return (run + "failed ", .stateAlarm)
        case .abandoned: return (run + "abandoned ", .muted)
        case .waiting, .running: return (run + "waiting \(glyphs.dash) n resumes ", .warning)
        }
    }
}

/// The prompt in two rows from `y`: the question, then the field or the keys.
func renderPrompt(_ prompt: RunbookPrompt, _ open: OpenRunbook, into grid: inout CellGrid, y: Int, width: Int, theme: Theme, guided: Bool) {
    let glyphs = theme.glyphs
    let style = theme[.warning]
    grid.fill(x: 0, y: y, width: width, height: 2, style: theme[.text])
    // Room is left for a "[y/N]" at the right end.
    func question(_ text: String, _ role: ThemeRole = .warning) {
        grid.put(" " + glyphs.truncate(glyphs.sanitize(text), toWidth: width - 9), x: 0, y: y, style: theme[role])
    }
    func field(_ label: String, _ text: String, wrong: Bool, expected: String) {
        var x = grid.put(" " + label, x: 0, y: y + 1, style: theme[.text])
        let shown = glyphs.sanitize(text)
        let room = max(4, width - x - 2)
        x += grid.put(TerminalText.width(shown) > room ? String(shown.suffix(room)) : shown, x: x, y: y + 1, style: theme[.header])
        grid.put(" ", x: x, y: y + 1, style: theme[.selection])
        if wrong {
            let hint = "  that is not \(glyphs.sanitize(expected)); type it exactly"
            grid.put(hint, x: x + 1, y: y + 1, style: theme[.error], maxWidth: max(0, width - x - 2))
        }
    }
    let stepTitle: (Int) -> String = { i in
        guard i < open.runbook.steps.count, let op = open.runbook.steps[i].call?.operation else { return "step \(i + 1)" }
        return "step \(i + 1) (\(op))"
    }
    switch prompt {
    case .confirmYes:
        let step = open.ask?.ask.step ?? 0
        question("Send \(stepTitle(step)) now? It is recorded in the audit trail first.")
        grid.put(" y send\(glyphs.separator)n or Esc: not now (the run waits)", x: 0, y: y + 1, style: style)
        grid.put("[y/N]", x: width - 6, y: y, style: theme[.header])
    case .confirmTyped(_, let expected, let text, let wrong):
        let step = open.ask?.ask.step ?? 0
        if guided {
            question("To do this, type \(expected) and press Enter.", .header)
        } else {
            question("Type \(expected) and Enter to send \(stepTitle(step))\(glyphs.separator)Esc: not now")
        }
        field("> ", text, wrong: wrong, expected: expected)
    case .resendTyped(_, let expected, let text, let wrong):
        let step = open.ask?.ask.step ?? 0
        question("Send \(stepTitle(step)) AGAIN? It may already have taken effect. Type \(expected)\(glyphs.separator)Esc cancels", .stateAlarm)
        field("> ", text, wrong: wrong, expected: expected)
    case .markDone:
        let step = open.ask?.ask.step ?? 0
        question("Mark \(stepTitle(step)) done: it took effect? The run goes on without sending it.")
        grid.put(" y mark done\(glyphs.separator)n or Esc: cancel", x: 0, y: y + 1, style: style)
        grid.put("[y/N]", x: width - 6, y: y, style: theme[.header])
    case .abandon:
        question("Abandon the run of \(open.runbook.id)? It is never resumed; nothing is undone.")
        grid.put(" y abandon\(glyphs.separator)n or Esc: cancel", x: 0, y: y + 1, style: style)
        grid.put("[y/N]", x: width - 6, y: y, style: theme[.header])
    case .requestAccess(let role):
        question("\(open.runbook.id) needs role \(role); no grant is held.")
        grid.put(" y request access now (access screen)\(glyphs.separator)n run with your own credentials\(glyphs.separator)Esc cancel", x: 0, y: y + 1, style: style, maxWidth: width)
    case .help:
        question("Page the next person for help?", .header)
        grid.put(" y yes, page them\(glyphs.separator)n no", x: 0, y: y + 1, style: style)
        grid.put("[y/n]", x: width - 6, y: y, style: theme[.header])
    }
}


/// The parameter form under the runbook's title: a line saying what it is, then each parameter's
/// name and value (the cursor in the focused one), its description, pattern and default, and what
/// is wrong with it. When the fields do not all fit, the window follows the focus.
private func renderParamForm(_ form: RunbookParamForm, into grid: inout CellGrid, top: Int, bottom: Int, width: Int, theme: Theme) {
    let glyphs = theme.glyphs
    var y = top + 1
    let intro = "A new run needs its parameters. Tab moves between them, Enter starts the run, Esc cancels."
    for line in glyphs.wrap(intro, toWidth: width - 2, maxLines: 2) {
        grid.put(line, x: 1, y: y, style: theme[.muted])
        y += 1
    }
    y += 1
    let nameWidth = min(20, max(8, form.fields.map { TerminalText.width(glyphs.sanitize($0.name)) }.max() ?? 0))
    let valueX = 3 + nameWidth + 2
    let room = max(1, width - valueX - 1)
    func height(_ field: RunbookParamForm.Field) -> Int { 2 + (field.error == nil ? 0 : 1) }
    // The first field drawn: the focused one must fit below it.
    var first = 0
    while first < form.focus, form.fields[first...form.focus].map(height).reduce(0, +) > bottom - y { first += 1 }
    for (i, field) in form.fields.enumerated().dropFirst(first) {
        guard y + 1 < bottom else { break }
        let focused = i == form.focus
        grid.put(focused ? ">" : " ", x: 1, y: y, style: theme[.accent])
        grid.put(glyphs.truncate(glyphs.sanitize(field.name), toWidth: nameWidth), x: 3, y: y, style: theme[focused ? .accent : .header])
        let text = glyphs.sanitize(field.text)
        var shown = text
        if TerminalText.width(text) > room - 1 {
            // The end of a long value stays next to the cursor.
            var tail = ""
            for character in text.reversed() {
                if TerminalText.width(tail) + TerminalText.width(String(character)) > room - 1 - TerminalText.width(glyphs.ellipsis) { break }
                tail.insert(character, at: tail.startIndex)
            }
            shown = glyphs.ellipsis + tail
        }
        let w = grid.put(shown, x: valueX, y: y, style: theme[.text])
        if focused { grid.put(" ", x: valueX + w, y: y, style: theme[.selection]) }
        y += 1
        var about: [String] = []
        if let description = field.description { about.append(glyphs.sanitize(description)) }
        if let pattern = field.pattern { about.append("must match " + glyphs.sanitize(pattern)) }
        if let defaultText = field.defaultText { about.append("default " + glyphs.sanitize(defaultText)) }
        if about.isEmpty { about.append("required") }
        grid.put(glyphs.truncate(about.joined(separator: glyphs.separator), toWidth: room), x: valueX, y: y, style: theme[.muted])
        y += 1
        if let error = field.error, y < bottom {
            grid.put(glyphs.truncate(glyphs.sanitize(error), toWidth: room), x: valueX, y: y, style: theme[.error])
            y += 1
        }
    }
}
