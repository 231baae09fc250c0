import BreakglassCore
import BreakglassTestSupport
@testable import BreakglassTUI
import Foundation
import Testing

// MARK: Fixtures

/// An incident row as the store's feed gives it; the next page is `nextIn` seconds after `fixedNow`.
func incidentRow(
    _ id: Int64, severity: Int = 1, phase: String = "open", stage: Int = 1, stages: Int = 2, nextIn: TimeInterval? = 252,
    who: String? = "Secondary", ackBy: String? = nil, name: String = "prod-api", openedAgo: TimeInterval = 600,
    runbooks: [String] = ["asg-scale-out"], snoozedFor: TimeInterval? = nil, noNextPage: String? = nil
) -> IncidentRow {
    IncidentRow(
        id: id, title: "\(name) in ALARM (severity \(severity))", severity: severity, phase: phase, stage: stage, stages: stages,
        nextPageAt: nextIn.map { fixedNow.addingTimeInterval($0) }, nextPageWho: nextIn == nil ? nil : who, acknowledgedBy: ackBy,
        alarms: [AlarmID(name: name, region: "us-east-1")], runbooks: runbooks, openedAt: fixedNow.addingTimeInterval(-openedAgo),
        shortTitle: name, pass: 1, nextPageStage: nextIn == nil ? nil : stage + 1,
        snoozedUntil: snoozedFor.map { fixedNow.addingTimeInterval($0) }, noNextPage: noNextPage)
}

/// Four incidents: two open of different severities, one acknowledged, one snoozed.
func someIncidents() -> [IncidentRow] {
    [
        incidentRow(14, severity: 2, name: "checkout-api-5xx-rate", openedAgo: 3000, runbooks: []),
        incidentRow(12, name: "prod-db-writer-health", openedAgo: 252),
        incidentRow(11, name: "prod-api", openedAgo: 900, snoozedFor: 1500),
        incidentRow(9, phase: "acknowledged", stage: 2, nextIn: 1800, who: "Primary", ackBy: "alice", name: "ingest-queue-age", openedAgo: 7200),
    ]
}

func auditRow(_ seq: Int64, _ kind: String, at seconds: TimeInterval = 0, actor: String = "watch", incident: String? = "12", outcome: String? = nil, detail: String) -> AuditRow {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    let at = formatter.string(from: fixedNow.addingTimeInterval(seconds))
    var fields = [AuditField("Entry", "#\(seq)"), AuditField("Time", at), AuditField("Kind", kind), AuditField("Who", actor)]
    if let incident { fields.append(AuditField("Incident", incident)) }
    if let outcome { fields.append(AuditField("Outcome", outcome)) }
    fields.append(AuditField("Detail", detail))
    fields.append(AuditField("Hash", String(repeating: "ab", count: 32)))
    return AuditRow(seq: seq, at: at, kind: kind, actor: actor, context: incident ?? "", outcome: outcome, what: detail, fields: fields)
}

/// Incident 12 in full: two alarms, its pages and its timeline.
func incidentDetail(_ row: IncidentRow = incidentRow(12, name: "prod-db-writer-health", openedAgo: 252)) -> IncidentDetail {
    IncidentDetail(
        row: row, plan: "default", passes: 1, nextPageNames: ["Secondary"],
        alarms: [
            .init(name: "prod-db-writer-health", region: "us-east-1", state: .alarm,
                  reason: "Threshold Crossed: 3 out of the last 3 datapoints [0.0 (14/11/23 22:08:00)] were less than the threshold (1.0)."),
            .init(name: "prod-db-reader-health", region: "us-east-1", state: .ok, reason: "Threshold Crossed: 1 datapoint [4.0] was not less than the threshold (1.0)."),
        ],
        pages: [
            .init(createdAt: fixedNow.addingTimeInterval(-252), action: .trigger, stage: 1, contactName: "Primary on-call", channel: "sns", status: "delivered"),
            .init(createdAt: fixedNow.addingTimeInterval(-252), action: .trigger, stage: 1, contactName: "Primary on-call", channel: "pagerduty", status: "failed",
                  attempts: 6, detail: "PagerDuty answered 400: Invalid Routing Key"),
            .init(createdAt: fixedNow.addingTimeInterval(-252), action: .trigger, stage: 1, contactName: "Primary on-call", channel: "console", status: "delivered"),
        ],
        timeline: [
            auditRow(41, "incident.opened", at: -252, detail: "prod-db-writer-health in ALARM (severity 1): rule prod-*, plan default, severity 1"),
            auditRow(42, "page.requested", at: -252, detail: "stage 1 pages Primary on-call: opened"),
            auditRow(43, "page.failed", at: -200, outcome: "failed", detail: "trigger to Primary on-call via pagerduty (R0123) failed: PagerDuty answered 400: Invalid Routing Key; not tried again: it cannot work as configured"),
            auditRow(44, "note", at: -60, actor: "alice@10.0.0.5", detail: "looking at the writer's connection pool"),
        ])
}

/// The alarm console on the incidents screen, its source wired, after one poll answered `rows`.
func incidentsState(_ rows: [IncidentRow] = someIncidents(), size: TerminalSize = TerminalSize(width: 80, height: 24), watch: Bool = true) -> ConsoleState {
    var state = loadedState(mixedAlarms(), size: size, identity: "AKIAIOSFODNN7EXAMPLE @ 127.0.0.1:5000")
    state.incidentsConnect(available: true)
    _ = reduce(&state, .key(.char("2")), now: fixedNow)
    _ = reduce(&state, .tick, now: fixedNow)
    _ = reduce(
        &state, .incidents(.snapshot(IncidentsSnapshot(rows: rows, watchUntil: watch ? fixedNow.addingTimeInterval(20) : nil), for: state.incidents.query)),
        now: fixedNow)
    return state
}

/// The incidents effects among `effects`.
func incidentEffects(_ effects: [ConsoleEffect]) -> [IncidentsEffect] {
    effects.compactMap { if case .incidents(let e) = $0 { e } else { nil } }
}

// MARK: Reducer

@Suite("Incidents screen: keys and polling")
struct IncidentsReducerTests {
    let all = IncidentsQuery(includeResolved: false, detail: nil)

    @Test
    func pollsOnEveryTickOneAtATimeOnlyWhenWiredAndBacksOffOnFailure() {
        var state = loadedState(mixedAlarms())
        #expect(incidentEffects(reduce(&state, .tick, now: fixedNow.addingTimeInterval(1))).isEmpty, "not wired: nothing polls")
        state.incidentsConnect(available: true)
        // Whatever screen shows: the alarms screen and the tabs use the list.
        #expect(state.view == .alarms)
        #expect(incidentEffects(reduce(&state, .tick, now: fixedNow)) == [.load(all, force: false)])
        #expect(incidentEffects(reduce(&state, .tick, now: fixedNow.addingTimeInterval(5))).isEmpty, "one poll at a time")
        _ = reduce(&state, .incidents(.unchanged(all)), now: fixedNow.addingTimeInterval(5))
        #expect(incidentEffects(reduce(&state, .tick, now: fixedNow.addingTimeInterval(5.5))).isEmpty)
        #expect(incidentEffects(reduce(&state, .tick, now: fixedNow.addingTimeInterval(6))) == [.load(all, force: false)])
        _ = reduce(&state, .incidents(.failed("database is locked")), now: fixedNow.addingTimeInterval(6))
        #expect(state.incidents.poll.nextPollAt == fixedNow.addingTimeInterval(8))
        #expect(incidentEffects(reduce(&state, .tick, now: fixedNow.addingTimeInterval(7.9))).isEmpty)
        #expect(incidentEffects(reduce(&state, .tick, now: fixedNow.addingTimeInterval(8))).count == 1)
        _ = reduce(&state, .incidents(.failed("database is locked")), now: fixedNow.addingTimeInterval(8))
        #expect(state.incidents.poll.nextPollAt == fixedNow.addingTimeInterval(12))
        #expect(incidentEffects(reduce(&state, .tick, now: fixedNow.addingTimeInterval(12))).count == 1)
        _ = reduce(&state, .incidents(.snapshot(IncidentsSnapshot(rows: someIncidents()), for: all)), now: fixedNow.addingTimeInterval(12))
        #expect(state.incidents.poll.failure == nil && state.incidents.poll.consecutiveFailures == 0)
        #expect(state.incidents.poll.nextPollAt == fixedNow.addingTimeInterval(13))
    }

    @Test
    func aConsoleWithoutASourceStopsAsking() {
        var state = loadedState(mixedAlarms())
        state.incidentsConnect(available: true)
        _ = reduce(&state, .tick, now: fixedNow)
        _ = reduce(&state, .incidents(.unavailable), now: fixedNow)
        #expect(state.incidents.poll.mode == .unavailable)
        #expect(incidentEffects(reduce(&state, .tick, now: fixedNow.addingTimeInterval(10))).isEmpty)
    }

    @Test
    func unresolvedFirstMostSevereAndOldestFirstAndTheAlarmsScreenFindsThem() {
        var rows = someIncidents()
        rows.append(incidentRow(3, phase: "resolved", nextIn: nil, name: "old-one", openedAgo: 90_000))
        let state = incidentsState(rows)
        #expect(state.incidents.rows.map(\.id) == [9, 11, 12, 14], "resolved ones only with A")
        #expect(state.incidents.selectedRow?.id == 9)
        #expect(state.incidents.incident(forAlarm: AlarmID(name: "prod-api", region: "us-east-1"))?.id == 11)
        #expect(state.incidents.incident(forAlarm: AlarmID(name: "prod-api", region: "eu-west-1")) == nil)
    }

    @Test(arguments: [
        (Key.char("j"), 1), (.down, 1), (.char("k"), 0), (.up, 0), (.char("G"), 3), (.end, 3), (.char("g"), 0), (.pageDown, 3), (.pageUp, 0),
    ] as [(Key, Int)])
    func listKeysMoveTheSelection(_ key: Key, _ expected: Int) {
        var state = incidentsState()
        #expect(reduce(&state, .key(key), now: fixedNow).isEmpty)
        #expect(state.incidents.selectedIndex == expected)
    }

    @Test
    func theSelectionFollowsItsIncidentAcrossPolls() {
        var state = incidentsState()
        _ = reduce(&state, .key(.char("j")), now: fixedNow)
        #expect(state.incidents.selectedRow?.id == 11)
        var rows = someIncidents()
        rows.insert(incidentRow(20, name: "new-one", openedAgo: 5000), at: 0)
        _ = reduce(&state, .incidents(.snapshot(IncidentsSnapshot(rows: rows), for: all)), now: fixedNow)
        #expect(state.incidents.selectedRow?.id == 11)
        // Gone: the selection stays at the same position.
        _ = reduce(&state, .incidents(.snapshot(IncidentsSnapshot(rows: rows.filter { $0.id != 11 }), for: all)), now: fixedNow)
        #expect(state.incidents.selectedIndex == 2)
    }

    @Test
    func enterOpensTheDetailTabSwitchesPanesAndEscClosesIt() {
        var state = incidentsState()
        _ = reduce(&state, .key(.char("j")), now: fixedNow.addingTimeInterval(0.2))
        let opened = IncidentsQuery(includeResolved: false, detail: 11)
        // Asked at once, although the last poll was less than a second ago.
        #expect(incidentEffects(reduce(&state, .key(.enter), now: fixedNow.addingTimeInterval(0.2))) == [.load(opened, force: false)])
        #expect(state.incidents.detailID == 11 && state.incidents.detailFocused)
        _ = reduce(&state, .incidents(.snapshot(IncidentsSnapshot(rows: someIncidents(), detail: incidentDetail(incidentRow(11))), for: opened)), now: fixedNow)
        #expect(state.incidents.detail?.row.id == 11)
        // Focus on the detail: j scrolls it; Tab gives the list the keys back, where j moves and the detail follows.
        _ = reduce(&state, .key(.char("j")), now: fixedNow)
        #expect(state.incidents.detailOffset == 1 && state.incidents.selectedRow?.id == 11)
        _ = reduce(&state, .key(.char("G")), now: fixedNow)
        let bottom = state.incidents.detailOffset
        #expect(bottom > 1)
        _ = reduce(&state, .key(.char("j")), now: fixedNow)
        #expect(state.incidents.detailOffset == bottom, "never past the end")
        _ = reduce(&state, .key(.char("g")), now: fixedNow)
        #expect(state.incidents.detailOffset == 0)
        _ = reduce(&state, .key(.tab), now: fixedNow)
        #expect(!state.incidents.detailFocused && state.view == .incidents)
        _ = reduce(&state, .key(.backTab), now: fixedNow)
        #expect(state.incidents.detailFocused)
        _ = reduce(&state, .key(.tab), now: fixedNow)
        let effects = incidentEffects(reduce(&state, .key(.char("j")), now: fixedNow.addingTimeInterval(2)))
        #expect(state.incidents.detailID == 12 && state.incidents.detail == nil)
        #expect(effects == [.load(IncidentsQuery(includeResolved: false, detail: 12), force: false)])
        // Esc closes the detail, then goes back to the alarms screen.
        _ = reduce(&state, .key(.escape), now: fixedNow)
        #expect(state.incidents.detailID == nil && state.view == .incidents)
        _ = reduce(&state, .key(.escape), now: fixedNow)
        #expect(state.view == .alarms)
    }

    @Test
    func tabWithoutADetailSwitchesScreens() {
        var state = incidentsState()
        _ = reduce(&state, .key(.tab), now: fixedNow)
        #expect(state.view == .runbook)
    }

    @Test
    func aAcknowledgesTheSelectedIncidentAndTheAnswerShows() {
        var state = incidentsState()
        _ = reduce(&state, .key(.char("j")), now: fixedNow)
        #expect(incidentEffects(reduce(&state, .key(.char("a")), now: fixedNow)) == [.act(incident: 11, .acknowledge)])
        #expect(state.message == ConsoleMessage("acknowledging incident 11…"))
        _ = reduce(&state, .incidents(.acted(incident: 11, message: "Incident 11 acknowledged by alice. Escalation stopped.")), now: fixedNow.addingTimeInterval(0.3))
        #expect(state.message == ConsoleMessage("Incident 11 acknowledged by alice. Escalation stopped."))
        // The list reloads at once.
        #expect(incidentEffects(reduce(&state, .tick, now: fixedNow.addingTimeInterval(0.3))) == [.load(all, force: false)])
    }

    @Test
    func aRefusalIsSaidOnceAsAnError() {
        var state = incidentsState()
        _ = reduce(&state, .key(.char("a")), now: fixedNow)
        _ = reduce(
            &state, .incidents(.actFailed(incident: 9, command: .acknowledge, message: "incident 9: it is already acknowledged by alice at 2023-11-14T20:13:20Z")),
            now: fixedNow)
        #expect(state.message == ConsoleMessage("could not acknowledge incident 9: it is already acknowledged by alice at 2023-11-14T20:13:20Z", isError: true))
    }

    @Test
    func aWithNoIncidentFallsBackToTheBanner() {
        var state = pagedState([page(41)])
        state.incidentsConnect(available: true)
        _ = reduce(&state, .key(.char("2")), now: fixedNow)
        _ = reduce(&state, .incidents(.snapshot(IncidentsSnapshot(rows: []), for: all)), now: fixedNow)
        #expect(reduce(&state, .key(.char("a")), now: fixedNow) == [.acknowledge(incident: 12)])
    }

    @Test(arguments: [
        (Key.char("x"), IncidentCommand.resolve), (.char("e"), .escalate),
    ] as [(Key, IncidentCommand)])
    func resolveAndEscalateAskFirst(_ key: Key, _ command: IncidentCommand) {
        var state = incidentsState()
        #expect(reduce(&state, .key(key), now: fixedNow).isEmpty)
        #expect(state.incidents.prompt == .confirm(command, incident: 9))
        #expect(state.availableActions == [.back])
        #expect(incidentEffects(reduce(&state, .key(.char("y")), now: fixedNow)) == [.act(incident: 9, command)])
        #expect(state.incidents.prompt == nil)
        // Anything but y says no, q and Esc included: neither quits nor leaves the screen.
        for no in [Key.char("n"), .enter, .char("q"), .escape] {
            _ = reduce(&state, .key(key), now: fixedNow)
            #expect(reduce(&state, .key(no), now: fixedNow).isEmpty)
            #expect(state.incidents.prompt == nil && state.view == .incidents)
            #expect(state.message == ConsoleMessage("incident 9: \(command.verb) cancelled"))
        }
    }

    @Test
    func zAsksHowLongInATextFieldThatTakesEveryKey() {
        var state = incidentsState()
        _ = reduce(&state, .key(.char("z")), now: fixedNow)
        #expect(state.incidents.prompt == .snooze(incident: 9, text: "", problem: nil))
        for key in [Key.char("q"), .char("3"), .backspace, .backspace, .char("3"), .char("0")] {
            #expect(reduce(&state, .key(key), now: fixedNow).isEmpty, "typed, never quitting")
        }
        #expect(state.incidents.prompt == .snooze(incident: 9, text: "30", problem: nil))
        _ = reduce(&state, .key(.enter), now: fixedNow)
        #expect(state.incidents.prompt == .snooze(incident: 9, text: "30", problem: "`30` has no unit; write 30m, 1h or 1h30m"))
        _ = reduce(&state, .key(.char("m")), now: fixedNow)
        #expect(incidentEffects(reduce(&state, .key(.enter), now: fixedNow)) == [.act(incident: 9, .snooze(seconds: 1800))])
        #expect(state.incidents.prompt == nil)
        _ = reduce(&state, .key(.char("z")), now: fixedNow)
        _ = reduce(&state, .key(.char("x")), now: fixedNow)
        _ = reduce(&state, .key(.enter), now: fixedNow)
        #expect(state.incidents.prompt == .snooze(incident: 9, text: "x", problem: "`x` is not a duration; write 30m, 1h or 1h30m"))
        _ = reduce(&state, .key(.ctrl("u")), now: fixedNow)
        _ = reduce(&state, .key(.enter), now: fixedNow)
        #expect(state.incidents.prompt == .snooze(incident: 9, text: "", problem: "type how long: 30m, 1h or 1h30m"))
        _ = reduce(&state, .key(.escape), now: fixedNow)
        #expect(state.incidents.prompt == nil && state.view == .incidents)
    }

    @Test
    func rOpensTheSuggestedRunbookOrSaysThereIsNone() {
        var state = incidentsState()
        _ = reduce(&state, .key(.char("r")), now: fixedNow)
        #expect(state.view == .runbook)
        state = incidentsState()
        _ = reduce(&state, .key(.char("G")), now: fixedNow)
        #expect(state.incidents.selectedRow?.id == 14)
        _ = reduce(&state, .key(.char("r")), now: fixedNow)
        #expect(state.view == .incidents)
        #expect(state.message == ConsoleMessage("incident 14 suggests no runbook; :runbook NAME opens one"))
    }

    @Test
    func capitalATogglesResolvedIncidents() {
        var state = incidentsState()
        let withResolved = IncidentsQuery(includeResolved: true, detail: nil)
        #expect(incidentEffects(reduce(&state, .key(.char("A")), now: fixedNow.addingTimeInterval(0.5))) == [.load(withResolved, force: false)])
        var rows = someIncidents()
        rows.append(incidentRow(3, phase: "resolved", nextIn: nil, name: "old-one"))
        _ = reduce(&state, .incidents(.snapshot(IncidentsSnapshot(rows: rows), for: withResolved)), now: fixedNow)
        #expect(state.incidents.rows.map(\.id) == [9, 11, 12, 14, 3])
        _ = reduce(&state, .key(.char("G")), now: fixedNow)
        _ = reduce(&state, .key(.char("x")), now: fixedNow)
        #expect(state.incidents.prompt == nil && state.message == ConsoleMessage("incident 3 is already resolved"))
        _ = reduce(&state, .key(.char("a")), now: fixedNow)
        #expect(state.message == ConsoleMessage("incident 3 is resolved; there is nothing to acknowledge"))
        _ = reduce(&state, .key(.char("A")), now: fixedNow)
        #expect(state.incidents.rows.map(\.id) == [9, 11, 12, 14], "hidden at once")
    }

    @Test
    func anAnswerToAnOlderQuestionAsksAgain() {
        var state = incidentsState()
        _ = reduce(&state, .tick, now: fixedNow.addingTimeInterval(1))
        _ = reduce(&state, .key(.char("A")), now: fixedNow.addingTimeInterval(1.1))
        _ = reduce(&state, .incidents(.unchanged(all)), now: fixedNow.addingTimeInterval(1.2))
        #expect(incidentEffects(reduce(&state, .tick, now: fixedNow.addingTimeInterval(1.3))) == [.load(IncidentsQuery(includeResolved: true, detail: nil), force: false)])
    }

    @Test
    func capitalRReadsEvenWhenNothingChanged() {
        var state = incidentsState()
        let effects = incidentEffects(reduce(&state, .key(.char("R")), now: fixedNow.addingTimeInterval(0.1)))
        #expect(effects == [.load(all, force: true)])
    }

    @Test
    func theFooterOffersWhatTheSelectionAllows() {
        var state = incidentsState()
        #expect(state.availableActions.isSuperset(of: [.select, .resolve, .escalate, .snooze, .openRunbook]))
        #expect(!state.availableActions.contains(.acknowledge), "incident 9 is acknowledged")
        _ = reduce(&state, .key(.char("j")), now: fixedNow)
        #expect(state.availableActions.contains(.acknowledge))
        _ = reduce(&state, .key(.enter), now: fixedNow)
        #expect(state.availableActions.isSuperset(of: [.back, .nextPane]) && !state.availableActions.contains(.select))
        state = incidentsState([])
        #expect(state.incidentsAvailable.isEmpty)
    }
}

// MARK: Rendering

@Suite("Incidents screen: rendering")
struct IncidentsRenderTests {
    static let sizes = [TerminalSize(width: 80, height: 24), TerminalSize(width: 120, height: 40)]

    @discardableResult
    func render(_ state: ConsoleState, snapshot: String, theme: Theme = .default, now: Date = fixedNow) throws -> CellGrid {
        let grid = renderConsole(state, theme: theme, now: now)
        #expect(grid.width == state.size.width && grid.height == state.size.height)
        for line in grid.textLines() { #expect(TerminalText.width(line) == state.size.width) }
        #expect(violations(grid).isEmpty)
        for y in 0..<grid.height {
            for x in 0..<grid.width {
                #expect(!grid[x, y].text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
            }
        }
        let name = "\(snapshot)-\(state.size.width)x\(state.size.height)"
        try assertSnapshot(snapshotText(grid.textLines()), named: name)
        try assertSnapshot(snapshotText(styleLayer(grid, theme: theme)), named: name + "-style")
        return grid
    }

    @Test(arguments: sizes)
    func theList(_ size: TerminalSize) throws {
        let state = incidentsState(size: size)
        let grid = try render(state, snapshot: "console-incidents-list")
        let lines = grid.textLines()
        #expect(lines[1].contains(" 2 Incidents (4) "))
        #expect(lines[2].hasPrefix(" 3 open · 1 acknowledged  1/4"))
        #expect(lines[4].hasPrefix(">   9"))
        if size.width == 80 {
            #expect(lines[3] == "   ID SEV STATE    STAGE  NEXT PAGE          ACK BY    TITLE                    ")
            #expect(lines[5] == "   11   1 open     1/2    snoozed 25:00      —         prod-api                 ")
            #expect(lines[6] == "   12   1 open     1/2    04:12 Secondary    —         prod-db-writer-health    ")
            #expect(lines[23].hasPrefix(" x resolve  e escalate  z snooze  Enter open"))
        }
        // The countdown moves with the clock, from the same state.
        let later = renderConsole(state, theme: .default, now: fixedNow.addingTimeInterval(200))
        #expect(later.rowText(6).contains("00:52 Secondary"))
        #expect(later[IncidentColumns(width: size.width).nextX, 6].style == Theme.default[.warning])
        let due = renderConsole(state, theme: .default, now: fixedNow.addingTimeInterval(300))
        #expect(due.rowText(6).contains("due Secondary"))
        #expect(due[IncidentColumns(width: size.width).nextX, 6].style == Theme.default[.stateAlarm])
    }

    @Test(arguments: sizes)
    func theDetail(_ size: TerminalSize) throws {
        var state = incidentsState(size: size)
        _ = reduce(&state, .key(.char("j")), now: fixedNow)
        _ = reduce(&state, .key(.char("j")), now: fixedNow)
        _ = reduce(&state, .key(.enter), now: fixedNow)
        _ = reduce(&state, .incidents(.snapshot(IncidentsSnapshot(rows: someIncidents(), detail: incidentDetail()), for: state.incidents.query)), now: fixedNow)
        let grid = try render(state, snapshot: "console-incidents-detail")
        let text = grid.textLines().joined(separator: "\n")
        #expect(text.contains("Incident 12 · open · severity 1"))
        #expect(text.contains("Next page    stage 2 pages Secondary in 04:12 (22:17 UTC) unless acknowledged"))
        #expect(text.contains("Alarms"))
        if size.height >= 40 {
            #expect(text.contains("22:09  stage 1  Primary on-call  pagerduty   failed (6 tries)"))
            #expect(text.contains("22:12:20  note"))
        } else {
            // The rest is a scroll away.
            _ = reduce(&state, .key(.char("G")), now: fixedNow)
            let end = renderConsole(state, theme: .default, now: fixedNow).textLines().joined(separator: "\n")
            #expect(end.contains("alice@10.0.0.5 looking at the writer's"))
        }
    }

    @Test(arguments: sizes)
    func aConfirmPrompt(_ size: TerminalSize) throws {
        var state = incidentsState(size: size)
        _ = reduce(&state, .key(.char("x")), now: fixedNow)
        let grid = try render(state, snapshot: "console-incidents-confirm")
        #expect(grid.rowText(size.height - 2).hasPrefix(" Resolve incident 9 (ingest-queue-age)? Nothing more is paged for it. y/N "))
    }

    @Test(arguments: sizes)
    func theSnoozeFieldWithAProblem(_ size: TerminalSize) throws {
        var state = incidentsState(size: size)
        _ = reduce(&state, .key(.char("z")), now: fixedNow)
        for c in "90" { _ = reduce(&state, .key(.char(c)), now: fixedNow) }
        _ = reduce(&state, .key(.enter), now: fixedNow)
        let grid = try render(state, snapshot: "console-incidents-snooze")
        #expect(grid.rowText(size.height - 2).hasPrefix(" Snooze incident 9 for: 90  `90` has no unit; write 30m, 1h or 1h30m"))
    }

    @Test(arguments: sizes)
    func emptyAndNoWatchDaemon(_ size: TerminalSize) throws {
        let state = incidentsState([], size: size)
        let grid = try render(state, snapshot: "console-incidents-empty")
        #expect(grid.rowText(5).hasPrefix("  No open incidents. A shows the resolved ones too."))
        let alone = incidentsState(size: size, watch: false)
        #expect(renderConsole(alone, theme: .default, now: fixedNow).rowText(2).contains("no `breakglass watch` running: pages wait"))
    }

    @Test(arguments: sizes)
    func unavailableSaysWhy(_ size: TerminalSize) throws {
        var state = ConsoleState(
            identity: "AKIAEXAMPLE", regions: ["us-east-1"], size: size, now: fixedNow,
            pages: .unavailable("/home/oncall/.local/state/breakglass is mode 0755; run chmod 700 /home/oncall/.local/state/breakglass"))
        state.incidentsConnect(available: false)
        _ = reduce(&state, .key(.char("2")), now: fixedNow)
        let grid = try render(state, snapshot: "console-incidents-unavailable")
        let text = grid.textLines().joined(separator: " ")
        #expect(text.contains("Incidents are unavailable."))
        #expect(text.contains("The state file could not be opened: /home/oncall/.local/state/breakglass is"))
        #expect(text.contains("Fix that and"))
        var bare = loadedState(mixedAlarms(), size: size)
        bare.incidentsConnect(available: false)
        _ = reduce(&bare, .key(.char("2")), now: fixedNow)
        #expect(renderConsole(bare, theme: .default, now: fixedNow).textLines().joined(separator: " ").contains("--state FILE"))
    }

    @Test
    func aFailingPollSaysSoAndKeepsTheList() throws {
        var state = incidentsState()
        _ = reduce(&state, .tick, now: fixedNow.addingTimeInterval(1))
        _ = reduce(&state, .incidents(.failed("database is locked\u{1B}[2J")), now: fixedNow.addingTimeInterval(1))
        let grid = try render(state, snapshot: "console-incidents-failed", now: fixedNow.addingTimeInterval(1))
        #expect(grid.rowText(2).hasSuffix(" read failed "))
        #expect(grid.rowText(22) == TerminalText.pad(" could not read incidents: database is locked[2J — retrying in 2s", toWidth: 80))
        #expect(grid[1, 22].style == Theme.default[.error])
        #expect(grid.rowText(4).hasPrefix(">   9"))
    }

    @Test
    func hostileTextIsInert() throws {
        let name = "\u{1B}[2J\u{1B}]0;owned\u{07}漢字アラーム🔥\u{202E}\nx"
        var row = incidentRow(7, who: "\u{1B}[31mBob", ackBy: nil, name: name)
        row.title = name + " in ALARM (severity 1)"
        var state = incidentsState([row], size: TerminalSize(width: 120, height: 40))
        _ = reduce(&state, .key(.enter), now: fixedNow)
        var detail = incidentDetail(row)
        detail.alarms[0].name = name
        detail.alarms[0].reason = "\u{1B}[1A\u{1B}[2Kreason\r\nforged line"
        detail.timeline.append(auditRow(45, "note\u{1B}[5m", actor: "\u{1B}[8mmallory", detail: "\u{9B}31mred\u{1B}P+q\u{1B}\\ done"))
        _ = reduce(&state, .incidents(.snapshot(IncidentsSnapshot(rows: [row], detail: detail), for: state.incidents.query)), now: fixedNow)
        let grid = try render(state, snapshot: "console-incidents-hostile")
        let text = grid.textLines().joined(separator: "\n")
        #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x9B || (0x202A...0x202E).contains($0.value) })
        #expect(text.contains("[2J]0;owned漢字アラーム🔥 x"))
    }
}

// MARK: The source on a real store

/// Incidents in a real state file (SQLite in a temporary 0700 folder), through the source the
/// console wires.
@Suite("Incidents screen: the store source")
struct IncidentsSourceTests {
    static let t0 = fixedNow
    static let yaml = """
        contacts:
          primary: { name: Primary, sns: "arn:aws:sns:us-east-1:123456789012:primary" }
          secondary: { name: Secondary, sns: "arn:aws:sns:us-east-1:123456789012:secondary" }
        escalation:
          default:
            stages:
              - { notify: [primary], wait: 5m }
              - { notify: [secondary], wait: 5m }
        response:
          - match: { alarm: "prod-*" }
            severity: 1
            escalation: default
            runbooks: [asg-scale-out]
          - match: { alarm: "dev-*" }
            severity: 3
            escalation: default
        """

    static func open(_ home: TemporaryHome) throws -> (IncidentConsoleFeed, BreakglassConfig) {
        let store = try Store.open(path: home.path + "/state/state.db")
        return (IncidentConsoleFeed(incidents: IncidentStore(log: AuditLog(store: store))), try ConfigLoader.parse(yaml, file: "breakglass.yaml"))
    }

    static func openIncident(_ feed: IncidentConsoleFeed, _ config: BreakglassConfig, _ name: String, at: TimeInterval = 0) throws -> Int64 {
        let alarm = Alarm(name: name, state: .alarm, reason: "Threshold Crossed", updated: t0, region: "us-east-1", type: .metric)
        let report = try feed.incidents.observe(region: "us-east-1", alarms: [alarm], config: config, actor: AuditActor(user: "watch"), now: t0.addingTimeInterval(at))
        return try #require(report.opened.first?.incident.id)
    }

    @Test
    func thePollReadsOnlyWhenSomethingWasCommittedOrTheQuestionChanged() throws {
        let home = try TemporaryHome()
        let (feed, config) = try Self.open(home)
        let source = IncidentsSource.shared(feed, config: config, actor: AuditActor(user: "alice"))
        let list = IncidentsQuery(includeResolved: false, detail: nil)
        #expect(try source.load(list, false, Self.t0)?.rows == [])
        #expect(try source.load(list, false, Self.t0) == nil, "nothing committed: unchanged")
        #expect(try source.load(list, true, Self.t0)?.rows == [], "forced")

        let api = try Self.openIncident(feed, config, "prod-api")
        let dev = try Self.openIncident(feed, config, "dev-batch", at: -60)
        let snapshot = try #require(try source.load(list, false, Self.t0.addingTimeInterval(1)))
        #expect(snapshot.watchUntil == nil)
        let row = try #require(snapshot.rows.first { $0.id == api })
        #expect(row.phase == "open" && row.stage == 1 && row.stages == 2 && row.stageLabel == "1/2" && row.severity == 1)
        #expect(row.nextPageAt == Self.t0.addingTimeInterval(300) && row.nextPageWho == "Secondary" && row.nextPageStage == 2)
        #expect(row.shortTitle == "prod-api" && row.runbooks == ["asg-scale-out"] && row.alarms == [AlarmID(name: "prod-api", region: "us-east-1")])
        #expect(snapshot.rows.first { $0.id == dev }?.severity == 3)
        #expect(try source.load(list, false, Self.t0.addingTimeInterval(2)) == nil)

        // Asking for one in full is a new question: read at once.
        let detail = try #require(try source.load(IncidentsQuery(includeResolved: false, detail: api), false, Self.t0)?.detail)
        #expect(detail.row.id == api && detail.plan == "default" && detail.passes == 1 && detail.nextPageNames == ["Secondary"])
        #expect(detail.pages.map(\.channel) == ["sns", "console"] && detail.pages.allSatisfy { $0.stage == 1 && $0.contactName == "Primary" })
        #expect(detail.timeline.map(\.kind) == ["incident.opened", "page.requested"])
        #expect(detail.alarms.map(\.name) == ["prod-api"])
        #expect(try source.load(IncidentsQuery(includeResolved: false, detail: 99), false, Self.t0)?.detail == nil)
    }

    @Test
    func theActionsGoThroughTheStoreAsThePersonAtTheConsole() throws {
        let home = try TemporaryHome()
        let (feed, config) = try Self.open(home)
        let source = IncidentsSource.shared(feed, config: config, actor: AuditActor(user: "alice", sshClient: "10.0.0.5"))
        let id = try Self.openIncident(feed, config, "prod-api")
        let list = IncidentsQuery(includeResolved: false, detail: nil)
        _ = try source.load(list, false, Self.t0)

        let escalated = try source.act(id, .escalate, Self.t0.addingTimeInterval(10))
        #expect(escalated.hasPrefix("Incident \(id) escalated by alice: stage 2 pages Secondary now."))
        #expect(escalated.hasSuffix("No `breakglass watch` is running on this state: nothing sends the page queued."))
        #expect(try source.load(list, false, Self.t0.addingTimeInterval(10))?.rows.first?.stage == 2, "the act's commit moves the token")

        let snoozed = try source.act(id, .snooze(seconds: 1800), Self.t0.addingTimeInterval(20))
        #expect(snoozed.hasPrefix("Incident \(id) snoozed by alice until 22:43 UTC."))
        #expect(try source.load(list, false, Self.t0.addingTimeInterval(20))?.rows.first?.snoozedUntil == Self.t0.addingTimeInterval(1820))

        let acked = try source.act(id, .acknowledge, Self.t0.addingTimeInterval(30))
        #expect(acked.hasPrefix("Incident \(id) acknowledged by alice."))
        let row = try #require(try source.load(list, false, Self.t0.addingTimeInterval(30))?.rows.first)
        #expect(row.phase == "acknowledged" && row.acknowledgedBy == "alice")
        #expect(throws: IncidentActionError.self) { try source.act(id, .acknowledge, Self.t0.addingTimeInterval(40)) }
        do {
            _ = try source.act(id, .acknowledge, Self.t0.addingTimeInterval(40))
        } catch {
            #expect(String(describing: error).hasPrefix("incident \(id): "))
        }

        #expect(try source.act(id, .resolve, Self.t0.addingTimeInterval(60)).hasPrefix("Incident \(id) resolved by alice"))
        #expect(try source.load(list, false, Self.t0.addingTimeInterval(60))?.rows == [])
        let all = try #require(try source.load(IncidentsQuery(includeResolved: true, detail: id), false, Self.t0.addingTimeInterval(60)))
        #expect(all.rows.map(\.phase) == ["resolved"])
        let kinds = try #require(all.detail).timeline.map(\.kind)
        #expect(kinds == ["incident.opened", "page.requested", "incident.escalated", "page.requested", "incident.snoozed", "incident.acknowledged", "incident.resolved"])
        #expect(all.detail?.timeline.last?.actor == "alice@10.0.0.5")
        #expect(try AuditLog(store: feed.incidents.store).verify().intact)
        #expect(throws: IncidentActionError.notFound(99)) { try source.act(99, .resolve, Self.t0) }
    }

    /// The real loop on a thread of its own, its sources on the store: the poll and `a` run off
    /// the loop and come back to the screen; the audit screen tails and verifies the same trail.
    @Test
    func theLoopPollsActsAndTailsThroughTheStore() throws {
        let home = try TemporaryHome()
        let (feed, config) = try Self.open(home)
        let id = try Self.openIncident(feed, config, "prod-api", at: -30)
        let dependencies = ConsoleDependencies(
            fetchAlarms: { [] }, now: { fixedNow },
            incidents: .shared(feed, config: config, actor: AuditActor(user: "alice")),
            audit: .shared(AuditConsoleFeed(log: feed.incidents.log)))
        let backend = TestBackend()
        let inbox = try EventInbox()
        let session = ConsoleSession(
            options: ConsoleOptions(identity: "test", regions: ["us-east-1"]), size: backend.size, theme: .default, now: fixedNow)
        let thread = Thread {
            _ = ConsoleLoop(session: session, backend: backend, inbox: inbox, dependencies: dependencies, takeSignals: { .init() }).run()
            inbox.close()
        }
        thread.start()
        defer { backend.press(.char("q")) }
        backend.press(.char("2"))
        let listed = backend.waitForFrame { $0.rowText(4).hasPrefix(">   \(id)   1 open     1/2    04:30 Secondary") }
        #expect(listed != nil, "\(backend.lastGrid?.textLines().joined(separator: "\n") ?? "no frame")")
        backend.press(.char("a"))
        let acked = backend.waitForFrame { $0.rowText(4).contains(" ack ") && $0.rowText(4).contains("alice") }
        #expect(acked != nil, "\(backend.lastGrid?.textLines().joined(separator: "\n") ?? "no frame")")
        #expect(try feed.incidents.incident(id)?.escalation.acknowledgedBy == "alice")
        backend.press(.char("5"))
        let tailed = backend.waitForFrame {
            $0.rowText(2).hasPrefix(" chain verified: 3 entries, last #3") && $0.textLines().contains { $0.contains("acknowledged by alice") }
        }
        #expect(tailed != nil, "\(backend.lastGrid?.textLines().joined(separator: "\n") ?? "no frame")")
    }

    @Test
    func aWatchDaemonHoldingTheLeaseIsSeen() throws {
        let home = try TemporaryHome()
        let (feed, config) = try Self.open(home)
        let source = IncidentsSource.shared(feed, config: config, actor: AuditActor(user: "alice"))
        _ = try WatchLease(store: feed.incidents.store, period: 30).acquire(LeaseHolder(id: "d1"), now: Self.t0)
        let snapshot = try #require(try source.load(IncidentsQuery(includeResolved: false, detail: nil), false, Self.t0.addingTimeInterval(1)))
        #expect(snapshot.watchUntil == Self.t0.addingTimeInterval(30))
    }
}
