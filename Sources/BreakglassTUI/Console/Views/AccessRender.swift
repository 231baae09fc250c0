import BreakglassCore
import Foundation

/// Draws the access screen in `area`: the role list (or how to add a role), the form's step, the
/// request in flight, its answer, and the revoke prompt. Pure; everything from the configuration,
/// the agent or AWS is sanitised, and every line is cut to the width.
func renderAccess(_ state: ConsoleState, into grid: inout CellGrid, area: ScreenArea, theme: Theme, now: Date) {
    var r = AccessRenderer(access: state.access, keymap: state.keymap, grid: grid, area: area, theme: theme, now: now)
    r.render()
    grid = r.grid
}

private struct AccessRenderer {
    let access: AccessViewState
    let keymap: Keymap
    var grid: CellGrid
    let area: ScreenArea
    let theme: Theme
    let now: Date
    var y: Int

    init(access: AccessViewState, keymap: Keymap, grid: CellGrid, area: ScreenArea, theme: Theme, now: Date) {
        self.access = access
        self.keymap = keymap
        self.grid = grid
        self.area = area
        self.theme = theme
        self.now = now
        y = area.top
    }

    var width: Int { area.width }
    var glyphs: LineGlyphs { theme.glyphs }
    /// The last row the step may use: the bottom row is kept for the prompt or the notice.
    var lastRow: Int { area.bottom - 2 }

    // MARK: Lines

    /// Writes `text` (already sanitised) on the current row from `x`, cut to the width.
    @discardableResult
    mutating func put(_ text: String, x: Int, style: ThemeRole) -> Int {
        guard y <= lastRow else { return 0 }
        return grid.put(glyphs.truncate(glyphs.punctuated(text), toWidth: max(0, width - x - 1)), x: x, y: y, style: theme[style])
    }

    mutating func line(_ text: String, x: Int = 1, style: ThemeRole = .text) {
        put(text, x: x, style: style)
        y += 1
    }

    /// `text` wrapped to the width from `x`, in at most `maxLines` lines.
    mutating func wrapped(_ text: String, x: Int = 1, style: ThemeRole = .text, maxLines: Int = 4) {
        for part in glyphs.wrap(glyphs.punctuated(text), toWidth: max(1, width - x - 1), maxLines: maxLines) { line(part, x: x, style: style) }
    }

    /// "label     value" with the label in the muted style, the value wrapped after it.
    mutating func field(_ label: String, _ value: String, style: ThemeRole = .text, maxLines: Int = 2) {
        put(label, x: 1, style: .muted)
        let x = 13
        let parts = glyphs.wrap(glyphs.punctuated(value), toWidth: max(1, width - x - 1), maxLines: maxLines)
        if parts.isEmpty { y += 1 }
        for part in parts { line(part, x: x, style: style) }
    }

    func key(_ action: ConsoleAction, _ fallback: String) -> String {
        keymap.keyLabel(for: action, view: .access) ?? fallback
    }

    // MARK: Screen

    mutating func render() {
        guard area.height > 2 else { return }
        guard access.configured else {
            line("Break-glass access", style: .header)
            y += 1
            line("Break-glass access is not available in this console.", style: .warning)
            return
        }
        if access.roles.isEmpty {
            renderNoRoles()
            renderBottom()
            return
        }
        renderTitle()
        y += 1
        switch access.step {
        case .roles: renderRoles()
        case .criteria: renderCriteria()
        case .reason, .duration, .mfa: renderField()
        case .summary: renderSummary()
        case .requesting: renderRequesting()
        case .granted: renderGranted()
        case .failed: renderFailed()
        }
        renderBottom()
    }

    /// The title, and on the form the steps with the current one marked.
    mutating func renderTitle() {
        guard let role = access.role else { return }
        switch access.step {
        case .roles:
            line("Break-glass access: pick a role", style: .header)
        default:
            let title = "Request " + glyphs.sanitize(role.id)
            var x = 1 + put(title, x: 1, style: .header) + 3
            let names: [(AccessStep, String)] = access.formSteps.map { ($0, Self.stepName($0)) }
            let current = access.formSteps.firstIndex(of: access.step) ?? access.formSteps.count
            for (i, (step, name)) in names.enumerated() {
                let style: ThemeRole = step == access.step ? .accent : (i < current ? .text : .muted)
                if i > 0 { x += put(" > ", x: x, style: .muted) }
                x += put(name, x: x, style: style)
            }
            y += 1
        }
    }

    static func stepName(_ step: AccessStep) -> String {
        switch step {
        case .criteria: "criteria"
        case .reason: "reason"
        case .duration: "duration"
        case .mfa: "MFA"
        case .summary: "summary"
        default: ""
        }
    }

    mutating func renderNoRoles() {
        line("Break-glass access", style: .header)
        y += 1
        line("No break-glass roles are configured.", style: .warning)
        wrapped("Add one under access.roles in the configuration (docs/ACCESS.md), then start the console again:", maxLines: 2)
        y += 1
        for text in [
            "access:", "  criteria:", "    - A customer-facing alarm is in ALARM", "  roles:", "    app-break-glass:",
            "      arn: arn:aws:iam::111122223333:role/app-break-glass", "      mfa: true", "      max: 30m",
        ] {
            line(text, x: 3, style: .accent)
        }
        y += 1
        wrapped(
            "The role's trust policy must admit you, and your own policy must allow sts:AssumeRole on it. `breakglass doctor` checks the configuration.",
            style: .muted, maxLines: 3)
    }

    mutating func renderRoles() {
        let ids = access.roles.map { glyphs.sanitize($0.id) }
        let idWidth = min(28, max(4, ids.map(TerminalText.width).max() ?? 0))
        let cols = (role: 3, mfa: 3 + idWidth + 2, max: 3 + idWidth + 7, grant: 3 + idWidth + 14, arn: 3 + idWidth + 28)
        put("ROLE", x: cols.role, style: .header)
        put("MFA", x: cols.mfa, style: .header)
        put("MAX", x: cols.max, style: .header)
        put("GRANT", x: cols.grant, style: .header)
        line("ARN", x: cols.arn, style: .header)
        let room = max(1, min(access.roles.count, lastRow - y - 5))
        let first = min(max(0, access.selected - room + 1), max(0, access.roles.count - room))
        for i in first..<min(access.roles.count, first + room) {
            let role = access.roles[i]
            let selected = i == access.selected
            if selected {
                grid.fill(x: 0, y: y, width: width, style: theme[.selection])
                put(">", x: 1, style: .selection)
            }
            let base: ThemeRole = selected ? .selection : .text
            put(glyphs.truncate(ids[i], toWidth: idWidth), x: cols.role, style: base)
            put(role.mfa ? "yes" : "no", x: cols.mfa, style: base)
            put(DurationSyntax.format(role.maxDuration), x: cols.max, style: base)
            if let held = access.heldGrant(of: role.id) {
                put("held " + ConsoleFormat.countdown(held.expires.timeIntervalSince(now)), x: cols.grant, style: selected ? .selection : .accessBadge)
            } else {
                put("-", x: cols.grant, style: selected ? .selection : .muted)
            }
            line(glyphs.sanitize(role.arn), x: cols.arn, style: selected ? .selection : .muted)
        }
        y += 1
        wrapped("Enter: request the selected role\(glyphs.separator)\(key(.revoke, "D")): revoke a held grant\(glyphs.separator)every step is in the audit trail", style: .muted, maxLines: 2)
        y += 1
        renderHeld()
    }

    /// The grants the agent holds, or why none shows.
    mutating func renderHeld() {
        guard y <= lastRow else { return }
        if let problem = access.pollProblem {
            wrapped("The access agent could not be asked: " + glyphs.sanitize(problem), style: .warning, maxLines: 2)
            return
        }
        guard !access.heldGrants.isEmpty else {
            line("No grant held (no access agent holds break-glass credentials for you).", style: .muted)
            return
        }
        line("Held by your access agent", style: .header)
        for held in access.heldGrants {
            var text = "\(glyphs.sanitize(held.role))  until \(ConsoleFormat.clock(held.expires)) UTC  (\(countdown(held.expires)))  session \(glyphs.sanitize(held.sessionName))"
            if let runbook = held.runbook { text += "  runbook \(glyphs.sanitize(runbook))" }
            if let incident = held.incident { text += "  incident \(glyphs.sanitize(incident))" }
            line(text, x: 3)
        }
    }

    func countdown(_ expires: Date) -> String {
        let left = expires.timeIntervalSince(now)
        return left > 0 ? ConsoleFormat.countdown(left) + " left" : "expired"
    }

    mutating func renderCriteria() {
        wrapped("Confirm each criterion: y or Space confirms, n clears; Enter goes on once every one is confirmed.", style: .muted, maxLines: 2)
        y += 1
        for (i, criterion) in access.criteria.enumerated() {
            guard y <= lastRow - 3 else { break }
            let confirmed = access.confirmed.contains(i)
            let cursor = i == access.criterion
            let box = confirmed ? "[x]" : "[ ]"
            put(cursor ? ">" : " ", x: 1, style: cursor ? .accent : .text)
            put(box, x: 3, style: confirmed ? .stateOK : .warning)
            let parts = glyphs.wrap(glyphs.sanitize(criterion), toWidth: max(1, width - 8), maxLines: 3)
            for part in parts { line(part, x: 7, style: cursor ? .accent : .text) }
        }
        y += 1
        line("\(access.confirmed.count) of \(access.criteria.count) confirmed", style: access.confirmed.count == access.criteria.count ? .stateOK : .muted)
        renderFieldError()
    }

    mutating func renderField() {
        guard let role = access.role else { return }
        let prompt: String
        let value: String
        let note: String
        switch access.step {
        case .reason:
            prompt = "Why do you need it? (required; recorded in the audit trail)"
            value = glyphs.sanitize(access.reason)
            note = "Enter goes on\(glyphs.separator)Ctrl-U clears\(glyphs.separator)Esc goes back"
        case .duration:
            prompt = "How long? At most \(DurationSyntax.format(role.maxDuration)) (the role's max), at least 15m."
            value = glyphs.sanitize(access.duration)
            note = "e.g. 15m, 30m or 1h\(glyphs.separator)Enter goes on\(glyphs.separator)Esc goes back"
        default:
            let device = access.mfaDevices[role.id].map { " from " + glyphs.sanitize($0) } ?? ""
            prompt = "MFA code\(device): the six digits your device shows now."
            // Shown as typed: the code is single-use and expires within a minute, and a person
            // under stress must see a mistyped digit before AWS refuses it.
            value = access.mfaCode
            note = "digits only\(glyphs.separator)used once, never stored\(glyphs.separator)Enter goes on\(glyphs.separator)Esc goes back"
        }
        wrapped(prompt, maxLines: 2)
        y += 1
        // The end of a long value stays visible next to the cursor.
        let room = max(1, width - 7)
        let shown = TerminalText.width(value) > room - 1
            ? glyphs.ellipsis + String(value.suffix(room - 1 - TerminalText.width(glyphs.ellipsis))) : value
        put(">", x: 1, style: .accent)
        let w = put(shown, x: 3, style: .text)
        put(" ", x: 3 + w, style: .selection)
        y += 2
        line(note, style: .muted)
        renderFieldError()
    }

    mutating func renderFieldError() {
        guard let error = access.fieldError else { return }
        y += 1
        wrapped(glyphs.sanitize(error), style: .error, maxLines: 3)
    }

    mutating func renderSummary() {
        guard let role = access.role else { return }
        field("Role", glyphs.sanitize(role.id) + "  " + glyphs.sanitize(role.arn))
        if !access.criteria.isEmpty { field("Criteria", "\(access.confirmed.count) of \(access.criteria.count) confirmed") }
        field("Reason", glyphs.sanitize(access.reason), maxLines: 3)
        let seconds = (try? AccessDuration.seconds(requested: access.duration, role: role)) ?? 0
        field("Duration", "\(AccessStatus.formatLeft(seconds)) from when AWS grants it (until about \(ConsoleFormat.clock(now.addingTimeInterval(Double(seconds)))) UTC)")
        if role.mfa {
            let device = access.mfaDevices[role.id].map { " from " + glyphs.sanitize($0) } ?? ""
            field("MFA", "code entered (\(access.mfaDigits) digits)\(device)")
        } else {
            field("MFA", "not needed for this role")
        }
        switch access.policy {
        case .none: field("Policy", "none: the session can do whatever the role can")
        case .deriving: field("Policy", "deriving from runbook \(glyphs.sanitize(access.runbook ?? "?"))\(glyphs.ellipsis)", style: .muted)
        case .derived(let summary): field("Policy", glyphs.sanitize(summary))
        case .failed(let message): field("Policy", glyphs.sanitize(message), style: .error, maxLines: 4)
        }
        y += 1
        wrapped(
            "Enter (or \(key(.run, "n"))) asks AWS for \(glyphs.sanitize(role.id)) with your own credentials; Esc changes the request.",
            style: .accent, maxLines: 2)
        renderFieldError()
    }

    mutating func renderRequesting() {
        guard let role = access.role else { return }
        let waited = access.requestStartedAt.map { max(0, Int(now.timeIntervalSince($0))) } ?? 0
        line("Asking AWS for \(glyphs.sanitize(role.id))\(glyphs.ellipsis) \(waited)s", style: .accent)
        y += 1
        wrapped("sts AssumeRole with your own credentials; the answer shows here, and the console keeps working meanwhile.", style: .muted)
    }

    mutating func renderGranted() {
        guard let granted = access.lastGrant else { return }
        let grant = granted.grant
        line("Granted \(glyphs.sanitize(grant.role)) until \(ConsoleFormat.clock(grant.expires)) UTC (\(countdown(grant.expires)))", style: .stateOK)
        y += 1
        field("Session", glyphs.sanitize(grant.sessionName))
        field("Access key", glyphs.sanitize(granted.accessKeyID) + ", held in memory by your access agent")
        field("Policy", glyphs.sanitize(granted.policySummary ?? "none: the session can do whatever the role can"), maxLines: 3)
        if let id = granted.requestID { field("Request id", glyphs.sanitize(id)) }
        y += 1
        wrapped(
            "The top bar counts down to the expiry. \(key(.revoke, "D")) revokes it now; Enter goes back to the roles. `breakglass runbook run` and the runbook screen use it.",
            style: .muted, maxLines: 3)
    }

    mutating func renderFailed() {
        guard let failure = access.failure else { return }
        let role = access.role.map { glyphs.sanitize($0.id) } ?? "the role"
        line(failure.code != nil ? "AWS refused access to \(role)" : "Access to \(role) was not granted", style: .error)
        y += 1
        if let code = failure.code { field("Code", glyphs.sanitize(code), style: .error) }
        field("Message", glyphs.sanitize(failure.message), maxLines: 5)
        if failure.code != nil { field("Request id", glyphs.sanitize(failure.requestID ?? "none given")) }
        y += 1
        let again = access.role?.mfa == true ? "Enter tries again with a new MFA code" : "Enter tries again"
        wrapped("Nothing was granted; the refusal is in the audit trail. \(again); Esc changes the request.", style: .muted, maxLines: 2)
    }

    /// The bottom row: the revoke prompt, else the last revocation's answer or the screen's notice.
    mutating func renderBottom() {
        let row = area.bottom - 1
        guard row >= area.top else { return }
        if let role = access.revokePrompt {
            let text = " Revoke \(glyphs.sanitize(role)) now? Your agent wipes the credentials at once. y/N "
            grid.fill(x: 0, y: row, width: width, style: theme[.warning])
            grid.put(glyphs.truncate(text, toWidth: width), x: 0, y: row, style: theme[.warning])
            return
        }
        if let notice = access.notice {
            grid.put(
                glyphs.truncate(glyphs.sanitize(notice.text), toWidth: width - 2), x: 1, y: row,
                style: theme[notice.isError ? .error : .accent])
        }
    }
}
