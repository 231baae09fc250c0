import BreakglassAWS
@testable import BreakglassCore
import BreakglassTestSupport
@testable import BreakglassTUI
import Foundation
import Testing

/// Guided mode on the failover runbook for incident 12, its run (7) started at step 1.
func guidedFailover(size: TerminalSize = TerminalSize(width: 80, height: 24)) -> ConsoleState {
    var shelf = testShelf
    shelf.initial = RunbookOpenRequest(runbook: "rds-failover", incident: 12)
    var state = runbookConsole(size: size, guided: true, shelf: shelf)
    _ = state.report(.started(storedRun(testRunbook(failoverYAML)), resumed: false, note: nil))
    return state
}

@Suite("Guided mode: keys and prompts")
struct GuidedViewTests {
    @Test func theRunbookFromTheCommandLineOpensAndItsRunStarts() {
        var shelf = testShelf
        shelf.initial = RunbookOpenRequest(runbook: "rds-failover", incident: 12)
        var state = ConsoleState(identity: "x", regions: ["us-east-1"], size: TerminalSize(width: 80, height: 24), now: fixedNow, guided: true)
        state.runbookConnect(available: true)
        #expect(reduce(&state, .tick, now: fixedNow).contains(.runbook(.loadCatalog)))
        let effects = state.send(.catalogLoaded(RunbookPayload(shelf)))
        #expect(effects == [.runbook(.start(runbook: "rds-failover", incident: 12, session: 1))])
        #expect(state.view == .runbook)
    }

    @Test func withoutOneTheFirstSuggestionOfTheMostSevereOpenIncidentIsTaken() {
        let rows = [
            incidentRow(3, severity: 2, runbooks: ["asg-scale-out"]),
            incidentRow(12, severity: 1, runbooks: ["rds-failover", "asg-scale-out"]),
            incidentRow(1, severity: 1, runbooks: ["asg-scale-out"], phase: "resolved"),
        ]
        let state = runbookConsole(guided: true, incidents: rows)
        #expect(state.runbook.open?.runbook.id == "rds-failover")
        #expect(state.runbook.open?.incident == 12)
    }

    @Test func anIncidentThatArrivesLaterIsStillTakenUntilThePersonChooses() {
        var state = runbookConsole(guided: true)
        #expect(state.runbook.open == nil)
        state.incidents.rows = [incidentRow(12, severity: 1, runbooks: ["asg-scale-out"])]
        let effects = reduce(&state, .tick, now: fixedNow)
        #expect(effects.contains(.runbook(.start(runbook: "asg-scale-out", incident: 12, session: 1))))
    }

    @Test func thePlainPickerTakesArrowsDigitsAndEnter() {
        var state = runbookConsole(guided: true)
        #expect(state.runbook.open == nil)
        _ = state.press(.down)
        #expect(state.runbook.pickerIndex == 1)
        _ = state.press(.char("1"))
        #expect(state.runbook.pickerIndex == 0)
        // Touched: a suggestion arriving now does not take over.
        state.incidents.rows = [incidentRow(12, severity: 1, runbooks: ["rds-failover"])]
        _ = reduce(&state, .tick, now: fixedNow)
        #expect(state.runbook.open == nil)
        _ = state.press(.char("2"))
        #expect(state.pickerOrder[state.runbook.pickerIndex].id == "asg-scale-out")
        let effects = state.press(.enter)
        #expect(effects == [.runbook(.start(runbook: "asg-scale-out", incident: nil, session: 1))])
    }

    @Test func keysOutsideGuidedModeDoNothing() {
        var state = guidedFailover()
        for key in [Key.char("1"), .char("2"), .char("4"), .char(":"), .tab, .backTab, .char("a"), .char("r"), .char("X"), .char("S"), .char("n")] {
            let effects = state.press(key)
            #expect(effects.isEmpty, "\(key)")
            #expect(state.view == .runbook, "\(key)")
            #expect(state.overlay == nil, "\(key)")
            #expect(state.runbook.prompt == nil, "\(key)")
        }
        #expect(state.press(.char("q")) == [.quit])
    }

    @Test func nextReadsPastASayAndShowsACheckResultUntilNext() {
        var state = guidedFailover()
        _ = state.ask(1, .show(step: 0, text: "Open the Alarms view and check that prod-db-writer-health is red."))
        #expect(state.press(.enter) == [.runbook(.reply(token: 1, .read))])
        #expect(state.runbook.open?.phase == .running)
        var done = RunbookStepState()
        done.status = .done
        _ = state.report(.progress(.step(0, done)))
        #expect(state.runbook.open?.shown == 1)
        // The check finishes; its result stays on screen.
        var checked = RunbookStepState()
        checked.status = .done
        checked.output = .object(["DBClusters": [["Status": "available"]]])
        _ = state.report(.progress(.step(1, checked)))
        #expect(state.runbook.open?.shown == 1)
        // The do's question arrives while the person still reads; Next moves to it and opens the field.
        _ = state.ask(2, .confirm(failoverConfirmation(kind: .yes)))
        #expect(state.runbook.prompt == nil)
        _ = state.press(.char(" "))
        #expect(state.runbook.open?.shown == 2)
        #expect(state.runbook.prompt == .confirmTyped(token: 2, expected: "prod-aurora", text: "", wrong: false))
    }

    @Test func everyChangeNeedsTheResourceTypedAndTheFieldTakesEveryLetter() {
        var state = guidedFailover()
        _ = state.report(.progress(.step(0, { var s = RunbookStepState(); s.status = .done; return s }())))
        _ = state.report(.progress(.step(1, { var s = RunbookStepState(); s.status = .done; return s }())))
        _ = state.press(.enter, .enter)
        _ = state.ask(2, .confirm(failoverConfirmation(kind: .yes)))
        #expect(state.runbook.open?.shown == 2)
        #expect(state.runbook.prompt == .confirmTyped(token: 2, expected: "prod-aurora", text: "", wrong: false))
        // h and q are letters in the field, not help or quit.
        #expect(state.type("hq").isEmpty)
        #expect(state.runbook.prompt == .confirmTyped(token: 2, expected: "prod-aurora", text: "hq", wrong: false))
        // Esc clears the field but keeps the step waiting.
        #expect(state.press(.escape).isEmpty)
        #expect(state.runbook.prompt == .confirmTyped(token: 2, expected: "prod-aurora", text: "", wrong: false))
        _ = state.type("prod-arora")
        #expect(state.press(.enter).isEmpty)
        #expect(state.runbook.prompt == .confirmTyped(token: 2, expected: "prod-aurora", text: "", wrong: true))
        _ = state.type("prod-aurora")
        #expect(state.press(.enter) == [.runbook(.reply(token: 2, .confirmed(typed: "prod-aurora")))])
        #expect(state.runbook.open?.phase == .running)
    }

    @Test func helpAsksYesOrNoThenEscalatesTheIncidentAndSaysWho() {
        var state = guidedFailover()
        #expect(state.press(.char("h")).isEmpty)
        #expect(state.runbook.prompt == .help)
        _ = state.press(.char("n"))
        #expect(state.runbook.prompt == nil)
        _ = state.press(.char("h"))
        #expect(state.press(.char("y")) == [.runbook(.escalate(incident: 12))])
        #expect(state.runbook.open?.help == .paging)
        _ = state.send(.escalated("Incident 12 escalated by backup: stage 2 pages Secondary now."))
        #expect(state.runbook.open?.help == .paged("Incident 12 escalated by backup: stage 2 pages Secondary now."))
        _ = state.send(.escalateFailed("could not page for help: locked"))
        #expect(state.runbook.open?.help == .failed("could not page for help: locked"))
        // Esc clears what help said.
        _ = state.press(.escape)
        #expect(state.runbook.open?.help == GuidedHelp.none)
    }

    @Test func withoutAnIncidentHelpSaysWhomToCall() {
        var shelf = testShelf
        shelf.initial = RunbookOpenRequest(runbook: "asg-scale-out", incident: nil)
        var state = runbookConsole(guided: true, shelf: shelf)
        _ = state.press(.char("h"))
        #expect(state.press(.char("y")).isEmpty)
        #expect(state.runbook.open?.help == .call("There is no incident to page for. Call: Primary on-call (SNS page); Backup (text or call +15555550100)"))
    }

    @Test func anOutcomeUnknownStepIsNotTheBackupsToDecide() {
        var state = guidedFailover()
        _ = state.report(.progress(.step(0, { var s = RunbookStepState(); s.status = .done; return s }())))
        _ = state.report(.progress(.step(1, { var s = RunbookStepState(); s.status = .done; return s }())))
        _ = state.press(.enter, .enter)
        _ = state.ask(4, .decide(step: 2, verification: nil))
        _ = state.press(.enter)
        #expect(state.runbook.prompt == .help)
        #expect(state.guidedAvailable.contains(.back))
    }

    @Test func aFinishedRunCannotBeStartedAgain() {
        var state = guidedFailover()
        var run = storedRun(testRunbook(failoverYAML), statuses: Array(repeating: .done, count: 7))
        run.status = .succeeded
        _ = state.report(.finished(run))
        #expect(state.press(.enter).isEmpty)
        #expect(GuidedWords.paragraphs(state.runbook.open!, 6, finished: true).first?.0 == "All 7 steps are done.")
    }
}

@Suite("Guided mode: rendering")
struct GuidedRenderTests {
    @discardableResult
    func render(_ state: ConsoleState, snapshot: String) throws -> [String] {
        let theme = Theme.default
        let grid = renderConsole(state, theme: theme, now: fixedNow)
        for line in grid.textLines() { #expect(TerminalText.width(line) == state.size.width) }
        try assertSnapshot(snapshotText(grid.textLines()), named: snapshot)
        try assertSnapshot(snapshotText(styleLayer(grid, theme: theme)), named: snapshot + "-style")
        return grid.textLines()
    }

    func name(_ base: String, _ size: TerminalSize) -> String { "console-guided-\(base)-\(size.width)x\(size.height)" }

    @Test(arguments: RunbookRenderTests.sizes)
    func aStep(_ size: TerminalSize) throws {
        var state = guidedFailover(size: size)
        _ = state.ask(1, .show(step: 0, text: "Open the Alarms view and check that prod-db-writer-health is red."))
        let lines = try render(state, snapshot: name("step", size))
        let joined = lines.joined(separator: "\n")
        #expect(lines[2].hasSuffix("Step 1 of 7 "))
        #expect(joined.contains("Open the Alarms view and check that prod-db-writer-health is red."))
        #expect(joined.contains("│      Next      │") || joined.contains("Next"))
        #expect(lines[0].hasPrefix(" breakglass · guided"))
        // No tabs in guided mode.
        #expect(!joined.contains("2 Incidents"))
    }

    @Test(arguments: RunbookRenderTests.sizes)
    func theConfirmation(_ size: TerminalSize) throws {
        var state = guidedFailover(size: size)
        _ = state.report(.progress(.step(0, { var s = RunbookStepState(); s.status = .done; return s }())))
        _ = state.report(.progress(.step(1, { var s = RunbookStepState(); s.status = .done; return s }())))
        _ = state.press(.enter, .enter)
        _ = state.ask(2, .confirm(failoverConfirmation()))
        _ = state.type("prod-")
        let lines = try render(state, snapshot: name("confirm", size))
        let joined = lines.joined(separator: "\n")
        #expect(joined.contains("Step 3 of 7"))
        #expect(joined.contains("Swaps the writer."))
        #expect(joined.contains("To do this, type prod-aurora and press Enter."))
        #expect(joined.contains(" > prod- "))
    }

    @Test(arguments: RunbookRenderTests.sizes)
    func theHelpPrompt(_ size: TerminalSize) throws {
        var state = guidedFailover(size: size)
        _ = state.ask(1, .show(step: 0, text: "Open the Alarms view."))
        _ = state.press(.char("h"))
        let lines = try render(state, snapshot: name("help", size))
        #expect(lines.joined(separator: "\n").contains("Page the next person for help?"))
    }

    @Test func thePickerInPlainWords() throws {
        let state = runbookConsole(guided: true)
        let lines = try render(state, snapshot: "console-guided-picker-80x24")
        #expect(lines.joined(separator: "\n").contains("Which problem are you fixing?"))
        #expect(lines.contains { $0.contains("> 1  Scale out the web servers") || $0.contains("> 1  Fail over the primary database") })
    }
}
