import BreakglassAWS
@testable import BreakglassCore
import BreakglassTestSupport
@testable import BreakglassTUI
import Foundation
import Testing

// MARK: Fixtures

let failoverYAML = """
    id: rds-failover
    title: Fail over the primary database
    when: The writer is unhealthy and at least one replica is healthy.
    access: db-break-glass
    params:
      cluster: { default: prod-aurora, pattern: "^[a-z0-9-]+$" }
    steps:
      - say: Open the Alarms view and check that prod-db-writer-health is red.
      - id: before
        check:
          call: rds.DescribeDBClusters
          with: { DBClusterIdentifier: "{{cluster}}" }
          expect: { "DBClusters[0].Status": available }
      - do:
          call: rds.FailoverDBCluster
          with: { DBClusterIdentifier: "{{cluster}}" }
          confirm: type
          explain: Swaps the writer. Open connections drop for about 30 seconds.
      - wait:
          call: rds.DescribeDBClusters
          with: { DBClusterIdentifier: "{{cluster}}" }
          until: { "DBClusters[0].Status": available }
          timeout: 10m
          every: 10s
      - wait_alarm: { name: prod-db-writer-health, state: OK, timeout: 15m }
      - page: { reason: Still failing after the failover }
      - do:
          call: rds.RebootDBInstance
          with: { DBInstanceIdentifier: "{{cluster}}-1" }
          explain: Restarts the old writer.
    """

let scaleYAML = """
    id: asg-scale-out
    title: Scale out the web servers
    steps:
      - say: Look at the graphs.
      - do:
          call: autoscaling.SetDesiredCapacity
          with: { AutoScalingGroupName: web, DesiredCapacity: 8 }
          explain: Runs 8 web servers.
    """

func testRunbook(_ yaml: String) -> Runbook {
    do {
        return try RunbookLoader.parse(yaml, file: "runbooks/test.yaml")
    } catch {
        Issue.record("runbook fixture does not load: \(error)")
        return Runbook(id: "broken", title: "", steps: [], file: "", location: SourceLocation(file: "", line: 0, column: 0))
    }
}

let testShelf = RunbookShelf(
    runbooks: [testRunbook(failoverYAML), testRunbook(scaleYAML)], problems: [],
    contacts: ["Primary on-call (SNS page)", "Backup (text or call +15555550100)"])

func incidentRow(_ id: Int64, severity: Int, runbooks: [String], phase: String = "open") -> IncidentRow {
    IncidentRow(
        id: id, title: "incident \(id)", severity: severity, phase: phase, stage: 1, stages: 3, nextPageAt: nil, nextPageWho: nil,
        acknowledgedBy: nil, alarms: [], runbooks: runbooks)
}

/// A console with the test runbooks loaded (and, optionally, incidents suggesting some).
func runbookConsole(size: TerminalSize = TerminalSize(width: 80, height: 24), guided: Bool = false, incidents: [IncidentRow] = [], shelf: RunbookShelf = testShelf)
    -> ConsoleState
{
    var state = ConsoleState(identity: "AKIAEXAMPLE", regions: ["us-east-1"], size: size, now: fixedNow, guided: guided)
    state.runbookConnect(available: true)
    state.incidents.rows = incidents
    _ = reduce(&state, .tick, now: fixedNow)
    _ = reduce(&state, .runbook(.catalogLoaded(RunbookPayload(shelf))), now: fixedNow)
    return state
}

/// A stored run of `runbook` with the given statuses (pending for the rest).
func storedRun(_ runbook: Runbook, id: Int64 = 7, statuses: [RunbookStepStatus] = [], incident: String? = "12") -> RunbookRunState {
    var run = RunbookRunState(runbook: runbook, params: ["cluster": "prod-aurora"], region: "us-east-1", incident: incident, now: fixedNow)
    run.id = id
    for (i, status) in statuses.enumerated() where i < run.steps.count { run.steps[i].status = status }
    return run
}

extension ConsoleState {
    mutating func send(_ event: RunbookViewEvent) -> [ConsoleEffect] { reduce(&self, .runbook(event), now: fixedNow) }

    mutating func press(_ keys: Key...) -> [ConsoleEffect] {
        keys.flatMap { reduce(&self, .key($0), now: fixedNow) }
    }

    mutating func type(_ text: String) -> [ConsoleEffect] {
        text.flatMap { reduce(&self, .key(.char($0)), now: fixedNow) }
    }

    /// Reports for the open run's session.
    mutating func report(_ report: RunbookRunReport) -> [ConsoleEffect] {
        send(.report(session: runbook.open?.session ?? 0, RunbookPayload(report)))
    }

    mutating func ask(_ token: UInt64, _ ask: RunbookAsk) -> [ConsoleEffect] {
        send(.asked(session: runbook.open?.session ?? 0, token: token, RunbookPayload(ask)))
    }
}

func failoverConfirmation(step: Int = 2, kind: RunbookStep.Confirmation = .type) -> RunbookConfirmation {
    RunbookConfirmation(
        step: step, operation: RunbookOperation(service: "rds", name: "FailoverDBCluster"), input: ["DBClusterIdentifier": "prod-aurora"],
        explain: "Swaps the writer. Open connections drop for about 30 seconds.", kind: kind, resource: "prod-aurora")
}

/// The failover runbook open and its run started (stored run 7), at step `current`.
func startedFailover(size: TerminalSize = TerminalSize(width: 80, height: 24), statuses: [RunbookStepStatus] = [.done, .done]) -> ConsoleState {
    var state = runbookConsole(size: size)
    _ = state.openRunbook("rds-failover", incident: 12, now: fixedNow)
    _ = state.send(.grant(runbook: "rds-failover", .held(role: "db-break-glass")))
    _ = state.press(.char("n"))
    _ = state.report(.started(storedRun(state.runbook.open?.runbook ?? testRunbook(failoverYAML), statuses: statuses), resumed: false, note: nil))
    return state
}

// MARK: Reducer

@Suite("Runbook screen: keys and prompts")
struct RunbookViewTests {
    @Test func theCatalogLoadsAtTheFirstTickAndFeedsRunbookCompletion() {
        var state = ConsoleState(identity: "x", regions: ["us-east-1"], size: TerminalSize(width: 80, height: 24), now: fixedNow)
        state.runbookConnect(available: true)
        let effects = reduce(&state, .tick, now: fixedNow)
        #expect(effects.contains(.runbook(.loadCatalog)))
        #expect(state.runbook.shelf == .loading)
        // Only once while it loads.
        #expect(!reduce(&state, .tick, now: fixedNow).contains(.runbook(.loadCatalog)))
        _ = state.send(.catalogLoaded(RunbookPayload(testShelf)))
        #expect(state.runbook.catalog == ["asg-scale-out", "rds-failover"])
        #expect(state.commandCandidates.contains("runbook rds-failover"))
    }

    @Test func withoutASourceNothingLoadsAndTheScreenSaysWhy() {
        var state = ConsoleState(identity: "x", regions: ["us-east-1"], size: TerminalSize(width: 80, height: 24), now: fixedNow)
        #expect(!reduce(&state, .tick, now: fixedNow).contains(.runbook(.loadCatalog)))
        state.runbookConnect(available: false)
        #expect(!reduce(&state, .tick, now: fixedNow).contains(.runbook(.loadCatalog)))
        #expect(state.openRunbook("rds-failover", incident: nil, now: fixedNow).isEmpty)
        guard case .failed(let why) = state.runbook.shelf else {
            Issue.record("\(state.runbook.shelf)")
            return
        }
        #expect(why.contains("state file could not be opened"))
    }

    @Test func aCatalogThatFailsSaysSoAndRefreshTriesAgain() {
        var state = ConsoleState(identity: "x", regions: ["us-east-1"], size: TerminalSize(width: 80, height: 24), now: fixedNow)
        state.runbookConnect(available: true)
        _ = reduce(&state, .tick, now: fixedNow)
        _ = state.send(.catalogFailed("runbooks/x.yaml:1:1: bad"))
        #expect(state.runbook.shelf == .failed("runbooks/x.yaml:1:1: bad"))
        _ = state.press(.char("3"))
        #expect(state.press(.char("R")).contains(.runbook(.loadCatalog)))
    }

    @Test func thePickerListsRunbooksSuggestedForOpenIncidentsFirstAndEnterOpensOne() {
        var state = runbookConsole(incidents: [incidentRow(3, severity: 2, runbooks: ["asg-scale-out"]), incidentRow(12, severity: 1, runbooks: ["rds-failover"])])
        _ = state.press(.char("3"))
        #expect(state.view == .runbook)
        #expect(state.pickerOrder.map(\.id) == ["rds-failover", "asg-scale-out"])
        #expect(state.runbookAvailable == [.select])
        _ = state.press(.char("j"))
        #expect(state.runbook.pickerIndex == 1)
        _ = state.press(.char("k"), .char("k"))
        #expect(state.runbook.pickerIndex == 0)
        _ = state.press(.char("G"))
        #expect(state.runbook.pickerIndex == 1)
        _ = state.press(.char("g"))
        let effects = state.press(.enter)
        #expect(state.runbook.open?.runbook.id == "rds-failover")
        #expect(state.runbook.open?.incident == 12)
        #expect(effects == [.runbook(.checkGrant(runbook: "rds-failover", role: "db-break-glass")), .runbook(.lookUpStored(runbook: "rds-failover"))])
    }

    @Test func runbookCommandOpensByNameAndAnUnknownNameIsAnError() {
        var state = runbookConsole()
        _ = state.press(.char(":"))
        _ = state.type("runbook asg-scale-out")
        let effects = state.press(.enter)
        #expect(effects == [.runbook(.lookUpStored(runbook: "asg-scale-out"))])
        #expect(state.view == .runbook && state.runbook.open?.runbook.id == "asg-scale-out")
        _ = state.openRunbook("nope", incident: nil, now: fixedNow)
        #expect(state.message?.isError == true)
        #expect(state.message?.text.contains("no runbook named nope") == true)
    }

    @Test func openingBeforeTheCatalogArrivesWaitsForIt() {
        var state = ConsoleState(identity: "x", regions: ["us-east-1"], size: TerminalSize(width: 80, height: 24), now: fixedNow)
        state.runbookConnect(available: true)
        let effects = state.openRunbook("rds-failover", incident: 12, now: fixedNow)
        #expect(effects == [.runbook(.loadCatalog)])
        #expect(state.runbook.open == nil)
        let loaded = state.send(.catalogLoaded(RunbookPayload(testShelf)))
        #expect(state.runbook.open?.runbook.id == "rds-failover" && state.runbook.open?.incident == 12)
        #expect(loaded == [.runbook(.checkGrant(runbook: "rds-failover", role: "db-break-glass")), .runbook(.lookUpStored(runbook: "rds-failover"))])
    }

    @Test func aStoredRunIsShownWaitingAndNResumesItWithoutTheParameterForm() {
        var state = runbookConsole()
        _ = state.openRunbook("rds-failover", incident: nil, now: fixedNow)
        let title = { renderConsole(state, theme: .default, now: fixedNow).textLines().joined(separator: "\n") }
        #expect(title().contains("not started — n starts"))
        // A lookup for another runbook, or that found nothing, changes nothing.
        let runbook = testRunbook(failoverYAML)
        var stored = storedRun(runbook, id: 9, statuses: [.done, .done, .awaitingConfirmation])
        stored.status = .waiting
        stored.reason = "step 3 waits for confirmation"
        #expect(state.send(.stored(runbook: "asg-scale-out", RunbookPayload(stored))).isEmpty)
        #expect(state.send(.stored(runbook: "rds-failover", nil)).isEmpty)
        #expect(state.runbook.open?.run == nil)
        #expect(state.send(.stored(runbook: "rds-failover", RunbookPayload(stored))).isEmpty)
        #expect(state.runbook.open?.run?.id == 9)
        #expect(title().contains("run 9 · waiting — n resumes"), "\(title())")
        #expect(title().contains("step 3 waits for confirmation"), "\(title())")
        // n resumes it: no parameter form, the stored run's parameters are used.
        let effects = state.press(.char("n"))
        #expect(state.runbook.open?.form == nil)
        #expect(effects == [.runbook(.start(runbook: "rds-failover", incident: nil, session: 1, params: [:]))])
        // Once this console drives a run, a late lookup does not replace what it shows.
        var other = stored
        other.id = 10
        #expect(state.send(.stored(runbook: "rds-failover", RunbookPayload(other))).isEmpty)
        #expect(state.runbook.open?.run?.id == 9)
    }

    @Test func startupRunbookFromTheCommandLineOpensWhenTheCatalogLoads() {
        var shelf = testShelf
        shelf.initial = RunbookOpenRequest(runbook: "asg-scale-out", incident: 4)
        let state = runbookConsole(shelf: shelf)
        #expect(state.view == .runbook)
        #expect(state.runbook.open?.runbook.id == "asg-scale-out" && state.runbook.open?.incident == 4)
    }

    @Test func nStartsTheRunAndReportsFillTheChecklist() {
        var state = runbookConsole()
        _ = state.openRunbook("asg-scale-out", incident: nil, now: fixedNow)
        #expect(state.runbookAvailable.contains(.run))
        let effects = state.press(.char("n"))
        #expect(effects == [.runbook(.start(runbook: "asg-scale-out", incident: nil, session: 1))])
        #expect(state.runbook.open?.phase == .starting)
        // A second n while it starts does not start a second driver.
        #expect(state.press(.char("n")).isEmpty)
        #expect(state.message?.text.contains("busy") == true)
        let runbook = testRunbook(scaleYAML)
        _ = state.report(.started(storedRun(runbook, id: 3, incident: nil), resumed: false, note: nil))
        #expect(state.runbook.open?.phase == .running)
        _ = state.report(.progress(.say(step: 0, text: "Look at the graphs.")))
        _ = state.ask(1, .show(step: 0, text: "Look at the graphs."))
        #expect(state.runbook.open?.steps[0].status == .running)
        #expect(state.press(.char("n")) == [.runbook(.reply(token: 1, .read))])
        var done = RunbookStepState()
        done.status = .done
        _ = state.report(.progress(.step(0, done)))
        #expect(state.runbook.open?.steps[0].status == .done)
        #expect(state.runbook.open?.selected == 1)
    }

    @Test func aYesConfirmationIsYOrNothing() {
        var state = runbookConsole()
        _ = state.openRunbook("asg-scale-out", incident: nil, now: fixedNow)
        _ = state.press(.char("n"))
        _ = state.report(.started(storedRun(testRunbook(scaleYAML), id: 3, statuses: [.done], incident: nil), resumed: false, note: nil))
        let c = RunbookConfirmation(
            step: 1, operation: RunbookOperation(service: "autoscaling", name: "SetDesiredCapacity"),
            input: ["AutoScalingGroupName": "web", "DesiredCapacity": 8], explain: "Runs 8 web servers.", kind: .yes, resource: "web")
        _ = state.ask(5, .confirm(c))
        #expect(state.runbook.open?.steps[1].status == .awaitingConfirmation)
        _ = state.press(.enter)
        #expect(state.runbook.prompt == .confirmYes(token: 5))
        // Other keys neither send nor close; the prompt takes them (q does not quit).
        #expect(state.press(.char("x"), .char("q"), .char("3")).isEmpty)
        #expect(state.runbook.prompt == .confirmYes(token: 5))
        #expect(state.press(.char("y")) == [.runbook(.reply(token: 5, .confirmed(typed: nil)))])
        #expect(state.runbook.prompt == nil)
        #expect(state.runbook.open?.phase == .running)
        #expect(state.runbook.open?.steps[1].status == .running)
    }

    @Test(arguments: [Key.char("n"), .char("N"), .enter, .escape])
    func declining(_ key: Key) {
        var state = runbookConsole()
        _ = state.openRunbook("asg-scale-out", incident: nil, now: fixedNow)
        _ = state.press(.char("n"))
        _ = state.report(.started(storedRun(testRunbook(scaleYAML), id: 3, statuses: [.done], incident: nil), resumed: false, note: nil))
        let c = RunbookConfirmation(
            step: 1, operation: RunbookOperation(service: "autoscaling", name: "SetDesiredCapacity"), input: [:], explain: nil, kind: .yes, resource: nil)
        _ = state.ask(5, .confirm(c))
        _ = state.press(.char("n"))
        let effects = state.press(key)
        guard case .runbook(.reply(5, .stop(let reason)))? = effects.first else {
            Issue.record("expected a stop reply, got \(effects)")
            return
        }
        #expect(reason.contains("step 2 waits for confirmation"))
        #expect(state.runbook.open?.phase == .stopping)
        // The driver stores the run, waiting; n asks again.
        var waiting = storedRun(testRunbook(scaleYAML), id: 3, statuses: [.done, .awaitingConfirmation], incident: nil)
        waiting.status = .waiting
        waiting.reason = reason
        _ = state.report(.finished(waiting))
        #expect(state.runbook.open?.phase == .stopped(.waiting, reason: reason))
        #expect(state.press(.char("n")) == [.runbook(.start(runbook: "asg-scale-out", incident: nil, session: 2))])
    }

    @Test func aTypedConfirmationNeedsTheResourceNameExactly() {
        var state = startedFailover()
        _ = state.ask(9, .confirm(failoverConfirmation()))
        _ = state.press(.char("n"))
        #expect(state.runbook.prompt == .confirmTyped(token: 9, expected: "prod-aurora", text: "", wrong: false))
        // y is just a letter here; q and 1 too.
        #expect(state.type("prod-auroraq1y").isEmpty)
        _ = state.press(.backspace, .backspace, .backspace)
        #expect(state.runbook.prompt == .confirmTyped(token: 9, expected: "prod-aurora", text: "prod-aurora", wrong: false))
        _ = state.press(.backspace)
        #expect(state.press(.enter).isEmpty)
        #expect(state.runbook.prompt == .confirmTyped(token: 9, expected: "prod-aurora", text: "", wrong: true))
        _ = state.type("prod-aurora")
        #expect(state.press(.enter) == [.runbook(.reply(token: 9, .confirmed(typed: "prod-aurora")))])
        #expect(state.runbook.prompt == nil)
    }

    @Test func escOnTheTypedPromptStopsTheRunWaiting() {
        var state = startedFailover()
        _ = state.ask(9, .confirm(failoverConfirmation()))
        _ = state.press(.char("n"))
        _ = state.type("prod")
        let effects = state.press(.escape)
        #expect(effects.count == 1)
        if case .runbook(.reply(9, .stop))? = effects.first {} else { Issue.record("\(effects)") }
        #expect(state.runbook.prompt == nil)
        #expect(state.view == .runbook)
    }

    @Test func anOutcomeUnknownStepOffersVerifyMarkDoneAndTypedResend() {
        var state = startedFailover(statuses: [.done, .done])
        _ = state.ask(9, .confirm(failoverConfirmation()))
        _ = state.press(.char("n"))
        _ = state.type("prod-aurora")
        _ = state.press(.enter)
        var unknown = RunbookStepState()
        unknown.status = .outcomeUnknown
        unknown.input = ["DBClusterIdentifier": "prod-aurora"]
        unknown.sent = true
        unknown.detail = "outcome unknown: connection reset"
        _ = state.report(.progress(.step(2, unknown)))
        _ = state.ask(10, .decide(step: 2, verification: .cannotTell("the cluster shows no failover yet")))
        #expect(state.runbook.open?.steps[2].status == .outcomeUnknown)
        #expect(state.runbookAvailable.isSuperset(of: [.verify, .markDone, .resend]))
        #expect(!state.runbookAvailable.contains(.run))

        let verify = state.press(.char("v"))
        guard case .runbook(.verify("rds-failover", 2, let sent, "us-east-1", 1))? = verify.first else {
            Issue.record("\(verify)")
            return
        }
        #expect(sent.value.input == ["DBClusterIdentifier": "prod-aurora"])
        _ = state.send(.verified(session: 1, step: 2, RunbookPayload(.applied("prod-aurora-2 is the writer now"))))
        #expect(state.runbook.open?.steps[2].verification == .applied("prod-aurora-2 is the writer now"))
        #expect(state.message?.text == "step 3: prod-aurora-2 is the writer now")

        // m asks y/N first.
        _ = state.press(.char("m"))
        #expect(state.runbook.prompt == .markDone(token: 10))
        _ = state.press(.char("n"))
        #expect(state.runbook.prompt == nil)
        _ = state.press(.char("m"))
        #expect(state.press(.char("y")) == [.runbook(.reply(token: 10, .decided(.markDone)))])

        // S: typed, like a first send.
        _ = state.ask(11, .decide(step: 2, verification: nil))
        _ = state.press(.char("S"))
        #expect(state.runbook.prompt == .resendTyped(token: 11, expected: "prod-aurora", text: "", wrong: false))
        _ = state.type("prod")
        #expect(state.press(.enter).isEmpty)
        #expect(state.runbook.prompt == .resendTyped(token: 11, expected: "prod-aurora", text: "", wrong: true))
        _ = state.press(.escape)
        #expect(state.runbook.prompt == nil)
        _ = state.press(.char("S"))
        _ = state.type("prod-aurora")
        #expect(state.press(.enter) == [.runbook(.reply(token: 11, .decided(.resend)))])
    }

    @Test func verifyMarkDoneAndResendNeedAnOutcomeUnknownStep() {
        var state = startedFailover()
        for key in ["v", "m", "S"] {
            #expect(state.press(.char(Character(key))).isEmpty)
            #expect(state.message?.text.contains("outcome is unknown") == true)
            #expect(state.runbook.prompt == nil)
        }
    }

    @Test func abandonAsksThenStopsTheDriverFirstAndAbandonsTheStoredRun() {
        var state = startedFailover()
        _ = state.ask(9, .confirm(failoverConfirmation()))
        #expect(state.runbookAvailable.contains(.abandon))
        _ = state.press(.char("X"))
        #expect(state.runbook.prompt == .abandon)
        _ = state.press(.escape)
        #expect(state.runbook.prompt == nil)
        _ = state.press(.char("X"))
        let stop = state.press(.char("y"))
        #expect(stop == [.runbook(.reply(token: 9, .stop("abandoning the run")))])
        var waiting = storedRun(testRunbook(failoverYAML), statuses: [.done, .done, .awaitingConfirmation])
        waiting.status = .waiting
        #expect(state.report(.finished(waiting)) == [.runbook(.abandon(run: 7, reason: "abandoned from the console"))])
        var abandoned = waiting
        abandoned.status = .abandoned
        _ = state.send(.abandoned(RunbookPayload(abandoned)))
        #expect(state.runbook.open?.isFinished == true)
        #expect(state.message?.text == "run 7 abandoned")
        #expect(!state.runbookAvailable.contains(.abandon))
        #expect(state.press(.char("n")).isEmpty)
    }

    @Test func aMissingGrantIsOfferedOnceThenTheRunGoesOnWithoutIt() {
        var state = runbookConsole()
        _ = state.openRunbook("rds-failover", incident: 12, now: fixedNow)
        _ = state.send(.grant(runbook: "rds-failover", .missing(role: "db-break-glass", note: "no break-glass grant for db-break-glass is held")))
        #expect(state.press(.char("n")).isEmpty)
        #expect(state.runbook.prompt == .requestAccess(role: "db-break-glass"))
        _ = state.press(.escape)
        #expect(state.runbook.prompt == nil)
        _ = state.press(.char("n"))
        #expect(state.press(.char("n")) == [.runbook(.start(runbook: "rds-failover", incident: 12, session: 1))])
    }

    @Test func yesToTheGrantOfferOpensTheAccessScreen() {
        var state = runbookConsole()
        _ = state.openRunbook("rds-failover", incident: 12, now: fixedNow)
        _ = state.send(.grant(runbook: "rds-failover", .missing(role: "db-break-glass", note: "none")))
        _ = state.press(.char("n"))
        _ = state.press(.char("y"))
        #expect(state.view == .access)
        #expect(state.runbook.prompt == nil)
    }

    @Test func reportsAndQuestionsOfAnEarlierRunAreDroppedOrStopped() {
        var state = startedFailover()
        let stale = state.send(.asked(session: 99, token: 4, RunbookPayload(.show(step: 0, text: "old"))))
        #expect(stale == [.runbook(.reply(token: 4, .stop("the console moved on")))])
        _ = state.send(.report(session: 99, RunbookPayload(.failed("old"))))
        #expect(state.runbook.open?.note == nil)
    }

    @Test func openingAnotherRunbookStopsTheQuestionTheRunWaitsOn() {
        var state = startedFailover()
        _ = state.ask(9, .confirm(failoverConfirmation()))
        let effects = state.openRunbook("asg-scale-out", incident: nil, now: fixedNow)
        #expect(effects == [.runbook(.reply(token: 9, .stop("the console moved to runbook asg-scale-out"))), .runbook(.lookUpStored(runbook: "asg-scale-out"))])
        #expect(state.runbook.open?.runbook.id == "asg-scale-out")
    }

    @Test func escBacksOutToThePickerAndEnterComesBack() {
        var state = startedFailover()
        _ = state.press(.char("j"), .char("j"))
        #expect(state.runbook.open?.selected == 4)
        _ = state.press(.escape)
        #expect(state.runbook.showingPicker)
        #expect(state.view == .runbook)
        _ = state.press(.enter)
        #expect(!state.runbook.showingPicker)
        #expect(state.runbook.open?.runbook.id == "rds-failover")
        #expect(state.runbook.open?.run?.id == 7)
    }

    @Test func aRunThatCannotStartSaysWhy() {
        var state = runbookConsole()
        _ = state.openRunbook("asg-scale-out", incident: nil, now: fixedNow)
        _ = state.press(.char("n"))
        _ = state.report(.failed("run 3 of asg-scale-out is being driven by process 4242 right now; wait for it, or stop it first"))
        #expect(state.runbook.open?.phase == .idle)
        #expect(state.message?.isError == true)
        #expect(state.runbook.open?.note?.contains("process 4242") == true)
    }

    @Test func progressTellsWhatTheRunWaitsFor() {
        var state = startedFailover()
        _ = state.report(.progress(.awaitingApproval(step: 5, explain: "Check with me")))
        #expect(state.runbook.open?.note?.contains("breakglass runbook approve 7") == true)
        _ = state.report(.progress(.waiting("step 3 waits")))
        #expect(state.runbook.open?.note == "step 3 waits")
    }
}

// MARK: Snapshots

@Suite("Runbook screen: rendering")
struct RunbookRenderTests {
    static let sizes = [TerminalSize(width: 80, height: 24), TerminalSize(width: 120, height: 40)]

    @discardableResult
    func render(_ state: ConsoleState, snapshot: String) throws -> [String] {
        let theme = Theme.default
        let grid = renderConsole(state, theme: theme, now: fixedNow)
        #expect(grid.width == state.size.width && grid.height == state.size.height)
        for line in grid.textLines() { #expect(TerminalText.width(line) == state.size.width) }
        for y in 0..<grid.height {
            for x in 0..<grid.width {
                #expect(!grid[x, y].text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
            }
        }
        try assertSnapshot(snapshotText(grid.textLines()), named: snapshot)
        try assertSnapshot(snapshotText(styleLayer(grid, theme: theme)), named: snapshot + "-style")
        return grid.textLines()
    }

    func name(_ base: String, _ size: TerminalSize) -> String { "console-runbook-\(base)-\(size.width)x\(size.height)" }

    @Test(arguments: sizes)
    func picker(_ size: TerminalSize) throws {
        var state = runbookConsole(size: size, incidents: [incidentRow(12, severity: 1, runbooks: ["rds-failover"])])
        _ = state.press(.char("3"))
        let lines = try render(state, snapshot: name("picker", size))
        #expect(lines.contains { $0.hasPrefix("> rds-failover") && $0.contains("incident 12") })
    }

    @Test(arguments: sizes)
    func checklistWithEveryStatus(_ size: TerminalSize) throws {
        var state = startedFailover(size: size)
        let runbook = testRunbook(failoverYAML)
        var run = storedRun(runbook, statuses: [.done, .failed, .awaitingConfirmation, .running, .skipped, .outcomeUnknown, .pending])
        run.steps[1].output = .object(["DBClusters": [["Status": "modifying"]]])
        run.steps[1].detail = "DBClusters[0].Status: expected available, found modifying"
        _ = state.report(.started(run, resumed: true, note: nil))
        _ = state.press(.char("g"), .char("j"))
        let lines = try render(state, snapshot: name("checklist", size))
        let joined = lines.joined(separator: "\n")
        for label in ["done", "failed", "awaiting confirmation", "running", "skipped", "outcome unknown — verify", "pending"] {
            #expect(joined.contains(label), "\(label)")
        }
        #expect(joined.contains("Expected: DBClusters[0].Status = available"))
        #expect(joined.contains("Actual: DBClusters[0].Status = modifying"))
    }

    @Test(arguments: sizes)
    func doDetailWithTheCall(_ size: TerminalSize) throws {
        let state = startedFailover(size: size)
        let lines = try render(state, snapshot: name("do-detail", size))
        let joined = lines.joined(separator: "\n")
        #expect(joined.contains("Swaps the writer."))
        #expect(joined.contains(#"Calls rds.FailoverDBCluster with {"DBClusterIdentifier":"prod-aurora"}"#))
    }

    @Test(arguments: sizes)
    func yesNoPrompt(_ size: TerminalSize) throws {
        var state = startedFailover(size: size, statuses: [.done, .done, .done, .done, .done, .done])
        let c = RunbookConfirmation(
            step: 6, operation: RunbookOperation(service: "rds", name: "RebootDBInstance"), input: ["DBInstanceIdentifier": "prod-aurora-1"],
            explain: "Restarts the old writer.", kind: .yes, resource: "prod-aurora-1")
        _ = state.ask(3, .confirm(c))
        _ = state.press(.char("n"))
        let lines = try render(state, snapshot: name("yes-no", size))
        #expect(lines[size.height - 3].contains("Send step 7 (rds.RebootDBInstance) now?"))
        #expect(lines[size.height - 3].hasSuffix("[y/N] "))
    }

    @Test(arguments: sizes)
    func typedPrompt(_ size: TerminalSize) throws {
        var state = startedFailover(size: size)
        _ = state.ask(9, .confirm(failoverConfirmation()))
        _ = state.press(.char("n"))
        _ = state.type("prod-au")
        let lines = try render(state, snapshot: name("typed", size))
        #expect(lines[size.height - 3].contains("Type prod-aurora and Enter to send step 3 (rds.FailoverDBCluster)"))
        #expect(lines[size.height - 2].hasPrefix(" > prod-au "))
    }

    @Test(arguments: sizes)
    func outcomeUnknown(_ size: TerminalSize) throws {
        var state = startedFailover(size: size)
        var unknown = RunbookStepState()
        unknown.status = .outcomeUnknown
        unknown.input = ["DBClusterIdentifier": "prod-aurora"]
        unknown.sent = true
        _ = state.report(.progress(.step(2, unknown)))
        _ = state.ask(10, .decide(step: 2, verification: .cannotTell("the cluster shows no failover yet")))
        let lines = try render(state, snapshot: name("outcome-unknown", size))
        let joined = lines.joined(separator: "\n")
        #expect(joined.contains("outcome unknown — verify"))
        #expect(joined.contains("A read shows: the cluster shows no failover yet"))
        #expect(joined.contains("v verify with a read"))
        #expect(lines[size.height - 1].contains("v verify"))
    }
}

// MARK: Through the console's source, against moto

/// The console's loop on a thread with a TestBackend and the live runbook source on a real state
/// file, against moto_server: keys in, frames and the store out.
@Suite("Runbook screen: a real run against moto", .serialized)
struct RunbookSourceMotoTests {
    static let runbook = """
        id: test-scale-web
        title: Scale the web group
        params:
          group: { default: web }
        steps:
          - say: Look at the graphs for {{group}}.
          - check:
              call: autoscaling.DescribeAutoScalingGroups
              with: { AutoScalingGroupNames: ["{{group}}"] }
              expect: { "AutoScalingGroups[0].DesiredCapacity": 4 }
          - do:
              call: autoscaling.SetDesiredCapacity
              with: { AutoScalingGroupName: "{{group}}", DesiredCapacity: 8, HonorCooldown: false }
              confirm: type
              explain: Runs 8 web servers instead of 4.
          - check:
              call: autoscaling.DescribeAutoScalingGroups
              with: { AutoScalingGroupNames: ["{{group}}"] }
              expect: { "AutoScalingGroups[0].DesiredCapacity": 8 }
        """

    static func call(_ c: AWSClient, _ service: String, _ op: String, _ input: AWSValue) async throws -> AWSValue {
        try await c.call(AWSCatalog.lookup(service: service, name: op), input, region: "us-east-1").value
    }

    final class Loop: @unchecked Sendable {
        let backend = TestBackend(size: TerminalSize(width: 100, height: 30))
        private let lock = NSLock()
        private var exit: Int32?

        init(source: RunbookSource) throws {
            let inbox = try EventInbox()
            let dependencies = ConsoleDependencies(fetchAlarms: { [] }, runbooks: source)
            let session = ConsoleSession(
                options: ConsoleOptions(identity: "test", regions: ["us-east-1"]), size: backend.size, theme: .default, now: Date())
            let backend = self.backend
            let thread = Thread { [self] in
                let loop = ConsoleLoop(session: session, backend: backend, inbox: inbox, dependencies: dependencies, takeSignals: { .init() })
                let code = loop.run()
                inbox.close()
                lock.lock()
                exit = code
                lock.unlock()
            }
            thread.start()
        }

        var code: Int32? {
            lock.lock()
            defer { lock.unlock() }
            return exit
        }

        /// The first frame whose text contains `text`, within 30 s.
        func frame(containing text: String) async -> [String]? {
            await backend.frame(timeout: 30) { $0.textLines().joined(separator: "\n").contains(text) }?.textLines()
        }
    }

    @Test func aDoGoesOutOnceAfterTypedConfirmationAndTheRunIsStored() async throws {
        try await MotoHarness.withServer { server in
            let admin = server.client()
            _ = try await Self.call(admin, "autoscaling", "CreateLaunchConfiguration", ["LaunchConfigurationName": "web-v1", "ImageId": "ami-12c6146b", "InstanceType": "t3.micro"])
            _ = try await Self.call(admin, "autoscaling", "CreateAutoScalingGroup", [
                "AutoScalingGroupName": "web", "LaunchConfigurationName": "web-v1", "MinSize": 0, "MaxSize": 10, "DesiredCapacity": 4,
                "AvailabilityZones": ["us-east-1a"],
            ])
            let proxy = try TCPProxy(upstreamPort: server.port)
            defer { proxy.stop() }
            var env = server.environment()
            env["AWS_ENDPOINT_URL"] = proxy.endpoint
            let client = AWSClient(
                credentials: server.adminCredentials, endpoints: EndpointResolver(environment: AWSEnvironment(variables: env)), transport: CurlTransport())
            let dir = MotoHarness.runDirectory + "/console-runbook-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let store = try Store.open(path: dir + "/state.db")
            defer { store.close() }
            let runbook = testRunbook(Self.runbook)
            let source = RunbookSource.live(
                shelf: { RunbookShelf(runbooks: [runbook]) }, store: store, client: client, region: "us-east-1", config: BreakglassConfig(),
                actor: AuditActor.current(), grant: { _ in (nil, nil) })
            let loop = try Loop(source: source)
            let runs = RunbookRunStore(store: store)
            func setCalls() -> Int {
                proxy.forwardedRequests.filter { String(decoding: $0.body, as: UTF8.self).contains("Action=SetDesiredCapacity") }.count
            }

            loop.backend.press(.char("3"))
            try #require(await loop.frame(containing: "> test-scale-web") != nil, "\(loop.backend.lastGrid?.textLines() ?? [])")
            loop.backend.press(.enter)
            try #require(await loop.frame(containing: "not started — n starts") != nil)
            loop.backend.press(.char("n"))
            try #require(await loop.frame(containing: "n: go on") != nil, "\(loop.backend.lastGrid?.textLines() ?? [])")
            loop.backend.press(.char("n"))
            // The check runs by itself; the do waits for its typed confirmation.
            try #require(await loop.frame(containing: "run 1 · awaiting confirmation") != nil, "\(loop.backend.lastGrid?.textLines() ?? [])")
            loop.backend.press(.char("n"))
            try #require(await loop.frame(containing: "Type web and Enter to send step 3") != nil)
            // A wrong name sends nothing.
            for c in "wbe" { loop.backend.press(.char(c)) }
            loop.backend.press(.enter)
            try #require(await loop.frame(containing: "that is not web") != nil)
            #expect(setCalls() == 0)
            // Esc: the run stops, stored, waiting at the do.
            loop.backend.press(.escape)
            try #require(await loop.frame(containing: "waiting — n resumes") != nil, "\(loop.backend.lastGrid?.textLines() ?? [])")
            let waiting = try #require(try runs.load(1))
            #expect(waiting.run.status == .waiting)
            #expect(waiting.run.steps[2].status == .awaitingConfirmation)
            #expect(setCalls() == 0)

            // This console closes; another opens the runbook and finds the stored run, shown as it
            // was left (waiting at the do), not as a runbook not started.
            loop.backend.press(.char("q"))
            let closing = Date() + 10
            while loop.code == nil, Date() < closing { try await Task.sleep(for: .milliseconds(20)) }
            #expect(loop.code == 0)
            let next = try Loop(source: source)
            next.backend.press(.char("3"))
            try #require(await next.frame(containing: "> test-scale-web") != nil, "\(next.backend.lastGrid?.textLines() ?? [])")
            next.backend.press(.enter)
            try #require(await next.frame(containing: "run 1 · waiting — n resumes") != nil, "\(next.backend.lastGrid?.textLines() ?? [])")
            #expect(setCalls() == 0)

            // n resumes the same run; the right name sends the do, once.
            next.backend.press(.char("n"))
            try #require(await next.frame(containing: "run 1 · awaiting confirmation") != nil)
            next.backend.press(.char("n"))
            try #require(await next.frame(containing: "Type web and Enter to send step 3") != nil)
            for c in "web" { next.backend.press(.char(c)) }
            next.backend.press(.enter)
            try #require(await next.frame(containing: "run 1 · finished") != nil, "\(next.backend.lastGrid?.textLines() ?? [])")
            #expect(setCalls() == 1)
            let done = try #require(try runs.load(1))
            #expect(done.run.status == .succeeded)
            #expect(done.run.steps.map(\.status) == [.done, .done, .done, .done])
            #expect(try runs.recent().count == 1)
            let desired = try await Self.call(admin, "autoscaling", "DescribeAutoScalingGroups", ["AutoScalingGroupNames": ["web"]])
            #expect(desired.value(at: try AWSPath("AutoScalingGroups[0].DesiredCapacity"))?.int == 8)
            // The intent was in the audit trail before the send, under the run's step.
            let kinds = try AuditLog(store: store).entries().map(\.draft.kind)
            for kind in ["runbook.started", "runbook.confirmed", "aws.intent", "aws.outcome", "runbook.resumed", "runbook.finished"] {
                #expect(kinds.contains(kind), "\(kinds)")
            }

            next.backend.press(.char("q"))
            let deadline = Date() + 10
            while next.code == nil, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(next.code == 0)
            await source.finish()
            #expect(source.asks.openQuestions == 0)
        }
    }

    @Test func quittingWhileARunWaitsLeavesItStoredToResume() async throws {
        try await MotoHarness.withServer { server in
            let dir = MotoHarness.runDirectory + "/console-runbook-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let store = try Store.open(path: dir + "/state.db")
            defer { store.close() }
            let runbook = testRunbook(Self.runbook)
            let source = RunbookSource.live(
                shelf: { RunbookShelf(runbooks: [runbook], initial: RunbookOpenRequest(runbook: "test-scale-web", incident: nil)) }, store: store,
                client: server.client(), region: "us-east-1", config: BreakglassConfig(), actor: AuditActor.current(), grant: { _ in (nil, nil) })
            let loop = try Loop(source: source)
            try #require(await loop.frame(containing: "not started — n starts") != nil)
            loop.backend.press(.char("n"))
            try #require(await loop.frame(containing: "n: go on") != nil)
            #expect(source.asks.openQuestions == 1)
            loop.backend.press(.char("q"))
            let deadline = Date() + 10
            while loop.code == nil, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            await source.finish()
            let stored = try #require(try RunbookRunStore(store: store).load(1))
            #expect(stored.run.status == .waiting)
            #expect(stored.run.reason == "step 1 waits to be read")
            #expect(stored.driverPID == nil)
        }
    }
}
