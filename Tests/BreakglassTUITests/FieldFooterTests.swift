import BreakglassCore
import BreakglassTestSupport
@testable import BreakglassTUI
import Foundation
import Testing

/// While a text field has the keys, the footer shows the field's keys, not the keymap's letters
/// (which would be typed into it).
@Suite("Footer while a text field is open")
struct FieldFooterTests {
    func footer(_ state: ConsoleState) -> String {
        renderConsole(state, theme: .default, now: fixedNow).rowText(state.size.height - 1)
    }

    /// The footer starts with `expected` and offers none of the keymap's keys.
    func expectFieldFooter(_ state: ConsoleState, _ expected: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let row = footer(state)
        #expect(row.hasPrefix(expected), "footer: \(row)", sourceLocation: sourceLocation)
        for keymapHint in ["q quit", "? help", ": command"] {
            #expect(!row.contains(keymapHint), "footer: \(row)", sourceLocation: sourceLocation)
        }
    }

    @Test
    func theKeymapsHintsWithoutAField() {
        let state = loadedState(mixedAlarms())
        #expect(state.fieldHints == nil)
        #expect(footer(state).contains("q quit"))
    }

    @Test
    func theAlarmsFilter() {
        var state = loadedState(mixedAlarms())
        _ = reduce(&state, .key(.char("/")), now: fixedNow)
        for c in "prod q" { _ = reduce(&state, .key(.char(c)), now: fixedNow) }
        expectFieldFooter(state, " Enter keep filter  Esc clear filter  ^U clear  Up/Down move")
        // Enter keeps the filter and closes the field: the keymap's hints are back.
        _ = reduce(&state, .key(.enter), now: fixedNow)
        #expect(state.fieldHints == nil)
        #expect(footer(state).contains("q quit"))
    }

    @Test
    func theSnoozeDuration() {
        var state = incidentsState()
        _ = reduce(&state, .key(.char("z")), now: fixedNow)
        expectFieldFooter(state, " Enter snooze  Esc cancel  ^U clear")
        // The y/N question is not a text field.
        var confirm = incidentsState()
        _ = reduce(&confirm, .key(.char("x")), now: fixedNow)
        #expect(confirm.fieldHints == nil)
    }

    @Test
    func theRunbooksTypedConfirmationAndResend() {
        var state = startedFailover()
        _ = state.ask(9, .confirm(failoverConfirmation()))
        _ = state.press(.char("n"))
        _ = state.type("prod-q")
        expectFieldFooter(state, " Enter send  Esc not now  ^U clear")
        // Elsewhere the prompt does not take the keys, and the footer is the keymap's.
        _ = state.press(.char("1"))
        #expect(state.view == .runbook, "the field took the 1")
        // A y/N confirmation is not a field.
        var yesNo = startedFailover()
        _ = yesNo.ask(9, .confirm(failoverConfirmation(kind: .yes)))
        _ = yesNo.press(.char("n"))
        #expect(yesNo.fieldHints == nil)
    }

    @Test
    func guidedTypedConfirmationSaysEscClears() {
        var state = guidedFailover()
        _ = state.report(.progress(.step(0, { var s = RunbookStepState(); s.status = .done; return s }())))
        _ = state.report(.progress(.step(1, { var s = RunbookStepState(); s.status = .done; return s }())))
        _ = state.press(.enter, .enter)
        _ = state.ask(2, .confirm(failoverConfirmation()))
        _ = state.type("prod-")
        expectFieldFooter(state, " Enter send  Esc clear  ^U clear")
    }

    @Test(arguments: [(AccessStep.reason, 0), (.duration, 1), (.mfa, 2)])
    func theAccessFields(_ step: AccessStep, _ index: Int) {
        var state = accessState()
        accessPress(&state, .enter, .char("y"), .char("y"), .enter)
        #expect(state.access.step == .reason)
        if index >= 1 {
            accessType(&state, "queue backed up")
            accessPress(&state, .enter)
        }
        if index >= 2 { accessPress(&state, .enter) }
        #expect(state.access.step == step)
        expectFieldFooter(state, " Enter next  Esc back  ^U clear")
        // The roles list before the fields shows the keymap's hints.
        var roles = accessState()
        #expect(roles.fieldHints == nil)
        accessPress(&roles, .enter)
        #expect(roles.fieldHints == nil, "the criteria are a checklist, not a field")
    }

    @Test
    func theCommandLine() {
        var state = loadedState(mixedAlarms())
        _ = reduce(&state, .key(.char(":")), now: fixedNow)
        for c in "inc" { _ = reduce(&state, .key(.char(c)), now: fixedNow) }
        let row = footer(state)
        #expect(row.hasPrefix(":inc "))
        #expect(row.hasSuffix("Tab complete  Enter run  Esc cancel "), "footer: \(row)")
        #expect(!row.contains("q quit"))
        // Completions take the room between what is typed and the keys.
        _ = reduce(&state, .key(.escape), now: fixedNow)
        _ = reduce(&state, .key(.char(":")), now: fixedNow)
        _ = reduce(&state, .key(.tab), now: fixedNow)
        let completing = footer(state)
        #expect(completing.contains("[alarms] incidents"), "footer: \(completing)")
        #expect(completing.hasSuffix("Tab complete  Enter run  Esc cancel "), "footer: \(completing)")
    }

    @Test
    func theFieldsHintsAreInTheFooterStyles() {
        var state = incidentsState()
        _ = reduce(&state, .key(.char("z")), now: fixedNow)
        let grid = renderConsole(state, theme: .default, now: fixedNow)
        let y = state.size.height - 1
        #expect(grid[1, y].style == Theme.default[.footerKey])
        #expect(grid[7, y].style == Theme.default[.footer])
    }
}
