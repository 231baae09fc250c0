import BreakglassAWS
@testable import BreakglassCore
import BreakglassTestSupport
@testable import BreakglassTUI
import Foundation
import Testing

/// A runbook with a parameter that has no default (and a pattern), one with a text default and one
/// with a number default.
let purgeYAML = """
    id: queue-purge
    title: Purge a stuck queue
    params:
      queue: { description: The queue to purge, pattern: "^[a-z0-9-]+$" }
      stage: { default: prod, description: Which deployment }
      batch: { default: 10 }
    steps:
      - say: Check the dead-letter queue first.
      - do:
          call: sqs.PurgeQueue
          with: { QueueUrl: "https://sqs.us-east-1.amazonaws.com/111122223333/{{queue}}" }
          explain: Drops every message in the queue.
    """

let formShelf = RunbookShelf(
    runbooks: [testRunbook(purgeYAML), testRunbook(failoverYAML)], problems: [], contacts: ["Primary on-call (SNS page)"])

/// The purge runbook open on the runbook screen (or in guided mode, its form open at once).
func purgeConsole(guided: Bool = false, size: TerminalSize = TerminalSize(width: 80, height: 24)) -> ConsoleState {
    var shelf = formShelf
    if guided { shelf.initial = RunbookOpenRequest(runbook: "queue-purge", incident: 12) }
    var state = runbookConsole(size: size, guided: guided, shelf: shelf)
    if !guided { _ = state.openRunbook("queue-purge", incident: 12, now: fixedNow) }
    return state
}

extension ConsoleState {
    var form: RunbookParamForm? { runbook.open?.form }
}

@Suite("Runbook parameter form: keys")
struct RunbookParamFormTests {
    @Test
    func nOpensTheFormPrefilledWithTheDefaultsInsteadOfStarting() throws {
        var state = purgeConsole()
        #expect(state.form == nil)
        #expect(state.press(.char("n")) == [])
        let form = try #require(state.form)
        #expect(form.fields.map(\.name) == ["queue", "stage", "batch"])
        #expect(form.fields.map(\.text) == ["", "prod", "10"])
        #expect(form.fields[0].description == "The queue to purge")
        #expect(form.fields[0].pattern == "^[a-z0-9-]+$")
        #expect(form.focus == 0)
        #expect(state.runbook.open?.phase == .idle)
    }

    @Test
    func aRunbookWhoseDefaultsAllWorkStartsWithoutAForm() {
        var state = runbookConsole()
        _ = state.openRunbook("asg-scale-out", incident: nil, now: fixedNow)
        #expect(state.press(.char("n")) == [.runbook(.start(runbook: "asg-scale-out", incident: nil, session: 1))])
        #expect(state.form == nil)
    }

    @Test
    func charactersTypeIntoTheFocusedFieldEvenTheKeymapsLetters() {
        var state = purgeConsole()
        _ = state.press(.char("n"))
        #expect(state.type("orders-q:?1") == [])
        #expect(state.form?.fields[0].text == "orders-q:?1")
        #expect(state.view == .runbook && state.overlay == nil, "q, : and ? were typed, not obeyed")
    }

    @Test
    func backspaceDeletesAndCtrlUClears() {
        var state = purgeConsole()
        _ = state.press(.char("n"))
        _ = state.type("ordersx")
        _ = state.press(.backspace)
        #expect(state.form?.fields[0].text == "orders")
        _ = state.press(.delete)
        #expect(state.form?.fields[0].text == "order")
        _ = state.press(.ctrl("u"))
        #expect(state.form?.fields[0].text == "")
        // On an empty field Backspace does nothing.
        _ = state.press(.backspace)
        #expect(state.form?.fields[0].text == "")
    }

    @Test(arguments: [(Key.tab, 1), (.down, 1), (.backTab, 2), (.up, 2)])
    func tabAndArrowsMoveBetweenFieldsAroundTheEnds(_ key: Key, _ expected: Int) {
        var state = purgeConsole()
        _ = state.press(.char("n"))
        _ = state.press(key)
        #expect(state.form?.focus == expected)
        // Moving on checks the field left: the empty queue says it is required.
        #expect(state.form?.fields[0].error == "a value is required")
        _ = state.press(key, key)
        #expect(state.form?.focus == 0, "three moves go round the three fields")
    }

    @Test
    func typingClearsTheFieldsError() {
        var state = purgeConsole()
        _ = state.press(.char("n"))
        _ = state.press(.tab, .backTab)
        #expect(state.form?.fields[0].error != nil)
        _ = state.type("o")
        #expect(state.form?.fields[0].error == nil)
    }

    @Test
    func enterChecksEveryFieldAndGoesToTheFirstWrongOne() {
        var state = purgeConsole()
        _ = state.press(.char("n"))
        _ = state.type("Orders Queue")
        _ = state.press(.tab, .tab, .ctrl("u"))
        _ = state.type("ten")
        #expect(state.press(.enter) == [], "nothing starts while a field is wrong")
        let form = state.form
        #expect(form?.focus == 0)
        #expect(form?.fields[0].error == "does not match the pattern ^[a-z0-9-]+$")
        #expect(form?.fields[1].error == nil)
        #expect(form?.fields[2].error == "must be a number")
        #expect(state.runbook.open?.phase == .idle)
    }

    @Test
    func enterWithEveryFieldRightStartsTheRunWithTheValues() {
        var state = purgeConsole()
        _ = state.press(.char("n"))
        _ = state.type("orders-dlq")
        let effects = state.press(.enter)
        #expect(effects == [.runbook(.start(runbook: "queue-purge", incident: 12, session: 1, params: ["queue": "orders-dlq", "stage": "prod", "batch": "10"]))])
        #expect(state.form == nil)
        #expect(state.runbook.open?.phase == .starting)
        // The values are the same checks `breakglass runbook run --param` makes.
        guard case .runbook(.start(_, _, _, let params))? = effects.first else { return }
        #expect((try? RunbookParams.resolve(testRunbook(purgeYAML), given: params).get())?["batch"] == .number("10"))
    }

    @Test
    func escClosesTheFormWithoutStartingAndNAsksAgainKeepingNothing() {
        var state = purgeConsole()
        _ = state.press(.char("n"))
        _ = state.type("orders")
        #expect(state.press(.escape) == [])
        #expect(state.form == nil)
        #expect(state.message?.text == "queue-purge not started")
        #expect(state.runbook.open?.phase == .idle)
        _ = state.press(.char("n"))
        #expect(state.form?.fields[0].text == "", "a new form starts from the defaults")
    }

    /// A runbook that needs a grant: the parameters come first, then the offer of access, whose
    /// session policy is derived for the values typed.
    @Test
    func theFormComesBeforeTheAccessOfferAndItsValuesGoToThePolicy() {
        let guarded = testRunbook("""
            id: queue-purge-guarded
            title: Purge a stuck queue under a grant
            access: app-break-glass
            params:
              queue: { description: The queue to purge }
              stage: { default: prod }
            steps:
              - say: Check the dead-letter queue first.
            """)
        var state = runbookConsole(shelf: RunbookShelf(runbooks: [guarded], problems: [], contacts: []))
        _ = state.openRunbook("queue-purge-guarded", incident: nil, now: fixedNow)
        _ = state.send(.grant(runbook: "queue-purge-guarded", .missing(role: "app-break-glass", note: "no grant held")))
        _ = state.press(.char("n"))
        #expect(state.form != nil, "the parameters are asked for first")
        #expect(state.runbook.prompt == nil)
        _ = state.type("orders-dlq")
        #expect(state.press(.enter) == [])
        #expect(state.form == nil)
        #expect(state.runbook.prompt == .requestAccess(role: "app-break-glass"))
        _ = state.press(.char("y"))
        #expect(state.view == .access)
        #expect(state.access.params == ["queue": "orders-dlq", "stage": "prod"])
        // Back on the runbook, n starts the run with the same values, without asking again.
        _ = state.press(.char("3"))
        let effects = state.press(.char("n"))
        #expect(effects == [.runbook(.start(runbook: "queue-purge-guarded", incident: nil, session: 1, params: ["queue": "orders-dlq", "stage": "prod"]))])
    }

    @Test
    func resizeAndRedrawStillWork() {
        var state = purgeConsole()
        _ = state.press(.char("n"))
        #expect(state.press(.ctrl("l")) == [.redraw])
        #expect(state.form != nil)
    }

    @Test
    func guidedModeAsksOneQuestionAtATimeAndEscGoesBack() {
        var state = purgeConsole(guided: true)
        #expect(state.form?.focus == 0, "guided mode opens the form at once")
        #expect(state.press(.enter) == [])
        #expect(state.form?.focus == 0, "an empty required answer does not go on")
        #expect(state.form?.fields[0].error == "a value is required")
        _ = state.type("orders-dlq")
        _ = state.press(.enter)
        #expect(state.form?.focus == 1)
        _ = state.press(.escape)
        #expect(state.form?.focus == 0, "Esc goes back a question")
        _ = state.press(.escape)
        #expect(state.form?.focus == 0 && state.form != nil, "and never out of the runbook")
        _ = state.press(.enter, .enter)
        #expect(state.form?.focus == 2)
        let effects = state.press(.enter)
        #expect(effects == [.runbook(.start(runbook: "queue-purge", incident: 12, session: 1, params: ["queue": "orders-dlq", "stage": "prod", "batch": "10"]))])
    }

    @Test
    func theFootersHintsAreTheForms() {
        var state = purgeConsole()
        _ = state.press(.char("n"))
        #expect(state.fieldHints?.map(\.key) == ["Enter", "Tab", "Esc", "^U"])
        var guided = purgeConsole(guided: true)
        #expect(guided.fieldHints?.first == FieldHint("Enter", "next"))
        _ = guided.type("q")
        _ = guided.press(.enter, .enter)
        #expect(guided.fieldHints?.first == FieldHint("Enter", "start"))
    }
}

@Suite("Runbook parameter form: rendering")
struct RunbookParamFormRenderTests {
    func render(_ state: ConsoleState, snapshot: String) throws -> [String] {
        let grid = renderConsole(state, theme: .default, now: fixedNow)
        #expect(violations(grid).isEmpty)
        try assertSnapshot(snapshotText(grid.textLines()), named: snapshot)
        try assertSnapshot(snapshotText(styleLayer(grid, theme: .default)), named: snapshot + "-style")
        return grid.textLines()
    }

    @Test
    func theFormWithAnErrorAt80x24() throws {
        var state = purgeConsole()
        _ = state.press(.char("n"))
        _ = state.type("Orders")
        _ = state.press(.tab)
        let lines = try render(state, snapshot: "console-runbook-params-80x24")
        let text = lines.joined(separator: "\n")
        #expect(text.contains("A new run needs its parameters."))
        #expect(lines.contains { $0.hasPrefix("   queue") && $0.contains("Orders") })
        #expect(text.contains("The queue to purge · must match ^[a-z0-9-]+$"))
        #expect(text.contains("does not match the pattern ^[a-z0-9-]+$"))
        #expect(lines.contains { $0.hasPrefix(" > stage") && $0.contains("prod") })
        #expect(text.contains("default prod"))
        #expect(lines[23].hasPrefix(" Enter start  Tab next field  Esc cancel  ^U clear"))
    }

    @Test
    func aGuidedQuestionAt80x24() throws {
        var state = purgeConsole(guided: true)
        _ = state.press(.enter)
        let lines = try render(state, snapshot: "console-guided-params-80x24")
        let text = lines.joined(separator: "\n")
        #expect(lines[2].hasSuffix("Question 1 of 3 "))
        #expect(text.contains("The queue to purge (queue)"))
        #expect(text.contains("That is not right: a value is required."))
        #expect(text.contains("Press Enter for the next question."))
    }
}

/// The form through the real loop and run source: the typed values are the stored run's parameters.
@Suite("Runbook parameter form: a real run", .serialized)
struct RunbookParamFormRunTests {
    static let runbook = """
        id: test-greet
        title: Greet someone
        params:
          who: { description: Whom to greet, pattern: "^[a-z]+$" }
          times: { default: 2 }
        steps:
          - say: Hello {{who}}, {{times}} times.
        """

    @Test func theFormsValuesStartTheRunAndAreStored() async throws {
        try await MotoHarness.withServer { server in
            let dir = MotoHarness.runDirectory + "/console-form-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let store = try Store.open(path: dir + "/state.db")
            defer { store.close() }
            let runbook = testRunbook(Self.runbook)
            let source = RunbookSource.live(
                shelf: { RunbookShelf(runbooks: [runbook]) }, store: store, client: server.client(), region: "us-east-1", config: BreakglassConfig(),
                actor: AuditActor.current(), grant: { _ in (nil, nil) })
            let loop = try RunbookSourceMotoTests.Loop(source: source)

            loop.backend.press(.char("3"))
            try #require(await loop.frame(containing: "> test-greet") != nil)
            loop.backend.press(.enter)
            loop.backend.press(.char("n"))
            try #require(await loop.frame(containing: "A new run needs its parameters.") != nil, "\(loop.backend.lastGrid?.textLines() ?? [])")
            for c in "Ann" { loop.backend.press(.char(c)) }
            loop.backend.press(.enter)
            try #require(await loop.frame(containing: "does not match the pattern ^[a-z]+$") != nil, "\(loop.backend.lastGrid?.textLines() ?? [])")
            loop.backend.press(.ctrl("u"))
            for c in "ann" { loop.backend.press(.char(c)) }
            loop.backend.press(.enter)
            try #require(await loop.frame(containing: "Hello ann, 2 times.") != nil, "\(loop.backend.lastGrid?.textLines() ?? [])")
            let stored = try #require(try RunbookRunStore(store: store).load(1))
            #expect(stored.run.params["who"] == .string("ann"))
            #expect(stored.run.params["times"] == .number("2"))

            loop.backend.press(.char("q"))
            let deadline = Date() + 10
            while loop.code == nil, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(loop.code == 0)
            await source.finish()
            #expect(try RunbookRunStore(store: store).load(1)?.run.status == .waiting, "stored, waiting at the say")

            // A second console cannot know of the stored run before starting: its form's values are
            // not used for the resumed run, and it says so.
            let again = RunbookSource.live(
                shelf: { RunbookShelf(runbooks: [runbook]) }, store: store, client: server.client(), region: "us-east-1", config: BreakglassConfig(),
                actor: AuditActor.current(), grant: { _ in (nil, nil) })
            let second = try RunbookSourceMotoTests.Loop(source: again)
            second.backend.press(.char("3"))
            try #require(await second.frame(containing: "> test-greet") != nil)
            second.backend.press(.enter)
            second.backend.press(.char("n"))
            try #require(await second.frame(containing: "A new run needs its parameters.") != nil)
            for c in "bob" { second.backend.press(.char(c)) }
            second.backend.press(.enter)
            let resumed = try #require(await second.frame(containing: "resumed with the parameters it started with"), "\(second.backend.lastGrid?.textLines() ?? [])")
            #expect(resumed.joined(separator: "\n").contains("Hello ann, 2 times."))
            #expect(try RunbookRunStore(store: store).load(1)?.run.params["who"] == .string("ann"))
            second.backend.press(.char("q"))
            let end = Date() + 10
            while second.code == nil, Date() < end { try await Task.sleep(for: .milliseconds(20)) }
            await again.finish()
        }
    }
}
