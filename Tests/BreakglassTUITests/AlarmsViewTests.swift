import BreakglassCore
import BreakglassTestSupport
@testable import BreakglassTUI
import Foundation
import Testing

// MARK: Fixtures

/// prod-db-writer-health with everything the detail can show: dimensions, statistic, condition.
func writerHealth() -> Alarm {
    var a = alarm(
        "prod-db-writer-health", .alarm, ago: 252,
        reason: "Threshold Crossed: 3 out of the last 3 datapoints [0.0 (14/11/23 22:08:00), 0.0 (14/11/23 22:07:00), 0.0 (14/11/23 22:06:00)] were less than the threshold (1.0) (minimum 3 datapoints for OK -> ALARM transition).",
        namespace: "AWS/RDS", metric: "DatabaseConnections")
    a.dimensions = [MetricDimension(name: "DBClusterIdentifier", value: "prod-aurora"), MetricDimension(name: "Role", value: "WRITER")]
    a.statistic = "Minimum"
    a.period = 60
    a.threshold = 1
    a.comparison = "LessThanThreshold"
    a.evaluationPeriods = 3
    a.datapointsToAlarm = 3
    return a
}

/// `mixedAlarms()` with prod-db-writer-health in full.
func detailedAlarms() -> [Alarm] {
    mixedAlarms().map { $0.name == "prod-db-writer-health" ? writerHealth() : $0 }
}

/// Incident 12 pages about the writer (stage 2 of 3, the next page in 4m12s, a runbook); incident 7,
/// acknowledged, holds the 5xx alarm and suggests no runbook.
func alarmIncidents() -> [IncidentRow] {
    [
        IncidentRow(
            id: 12, title: "prod-db-writer-health in ALARM (severity 1)", severity: 1, phase: "open", stage: 2, stages: 3,
            nextPageAt: fixedNow.addingTimeInterval(252), nextPageWho: "Secondary", acknowledgedBy: nil,
            alarms: [AlarmID(name: "prod-db-writer-health", region: "us-east-1")], runbooks: ["rds-failover", "db-overload"]),
        IncidentRow(
            id: 7, title: "checkout-api-5xx-rate in ALARM (severity 2)", severity: 2, phase: "acknowledged", stage: 1, stages: 2,
            nextPageAt: nil, nextPageWho: nil, acknowledgedBy: "alice",
            alarms: [AlarmID(name: "checkout-api-5xx-rate", region: "us-east-1")], runbooks: []),
    ]
}

/// The last three hours of the writer's connections in 5-minute points: busy, a gap, then nothing.
func writerSeries(_ query: MetricQuery) -> MetricSeries {
    var points: [MetricSeries.Point] = []
    for i in 0..<query.pointCount where !(28..<31).contains(i) {
        let value = i >= 33 ? 0 : 40 + Double((i * 7) % 11)
        points.append(MetricSeries.Point(time: query.start.addingTimeInterval(Double(i * query.period)), value: value))
    }
    return MetricSeries(points: points)
}

/// The alarm screen's invariants (AlarmsViewState's and ConsoleState's), checked after every step.
func checkAlarmInvariants(_ state: ConsoleState, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let view = state.alarmsView
    #expect(view.sorted.sorted() == Array(state.alarms.indices), sourceLocation: sourceLocation)
    let shown = Set(view.rows)
    #expect(view.sorted.filter { shown.contains($0) } == view.rows, "rows keep the sort order", sourceLocation: sourceLocation)
    #expect((view.selectedRow == nil) == view.rows.isEmpty, sourceLocation: sourceLocation)
    #expect((state.selectedIndex == nil) == view.rows.isEmpty, sourceLocation: sourceLocation)
    if let row = view.selectedRow {
        #expect(view.rows[row] == state.selectedIndex, sourceLocation: sourceLocation)
        #expect(state.selectedID == state.selectedAlarm.map(AlarmID.init), sourceLocation: sourceLocation)
        #expect(row >= state.scrollOffset && row < state.scrollOffset + state.layout.listHeight, sourceLocation: sourceLocation)
    }
    if let detail = view.detail { #expect(detail == state.selectedID, sourceLocation: sourceLocation) }
}

private func press(_ state: inout ConsoleState, _ keys: Key..., now: Date = fixedNow) -> [ConsoleEffect] {
    var effects: [ConsoleEffect] = []
    for key in keys {
        effects += reduce(&state, .key(key), now: now)
        checkAlarmInvariants(state)
    }
    return effects
}

private func type(_ state: inout ConsoleState, _ text: String) -> [ConsoleEffect] {
    var effects: [ConsoleEffect] = []
    for c in text { effects += press(&state, .char(c)) }
    return effects
}

private func shownNames(_ state: ConsoleState) -> [String] {
    state.alarmsView.rows.map { state.alarms[$0].name }
}

// MARK: Keys

@Suite("Alarms screen: keys")
struct AlarmsViewKeyTests {
    @Test
    func slashOpensAFilterThatNarrowsAsYouTypeAndTakesEveryKey() {
        var state = loadedState(mixedAlarms())
        #expect(press(&state, .char("/")).isEmpty)
        #expect(state.alarmsView.editingFilter)
        #expect(state.availableActions.contains(.back))
        // q and : are typed, not obeyed, while the field is open.
        #expect(type(&state, "q").isEmpty)
        #expect(state.alarmsView.filter == "q")
        #expect(state.overlay == nil)
        _ = press(&state, .backspace)
        _ = type(&state, "DB")
        #expect(state.alarmsView.filter == "DB")
        #expect(shownNames(state) == ["prod-db-writer-health"])
        _ = press(&state, .backspace)
        #expect(shownNames(state).count == 34, "every alarm has a d (in \"datapoint\" or \"data\")")
        _ = type(&state, "b")
        #expect(press(&state, .enter).isEmpty)
        #expect(!state.alarmsView.editingFilter)
        #expect(state.alarmsView.filter == "Db", "Enter keeps the filter")
        // With the field closed, keys are keys again.
        #expect(press(&state, .char("q")) == [.quit])
    }

    @Test(arguments: [
        ("WRITER", ["prod-db-writer-health"]),
        ("eu-west", ["eu-db"]),
        ("5.0", ["checkout-api-5xx-rate", "eu-db"]),
        ("insuf", ["ingest-queue-age"]),
        ("insufficient_data", ["ingest-queue-age"]),
        ("alarm", ["payments-composite", "prod-db-writer-health", "checkout-api-5xx-rate"]),
        ("ok", ["eu-db"]),
        ("no-such-thing", []),
    ])
    func filterMatchesNameRegionReasonAndStateIgnoringCase(_ text: String, _ expected: [String]) {
        let alarms = Array(mixedAlarms().prefix(4)) + [alarm("eu-db", .ok, ago: 30, region: "eu-west-1")]
        var state = loadedState(alarms, regions: ["us-east-1", "eu-west-1"])
        _ = press(&state, .char("/"))
        _ = type(&state, text)
        #expect(shownNames(state) == expected)
        #expect(state.alarmsView.editingFilter)
    }

    @Test
    func escapeClearsTheFieldAndThenTheKeptFilter() {
        var state = loadedState(mixedAlarms())
        _ = press(&state, .char("/"))
        _ = type(&state, "rate")
        _ = press(&state, .escape)
        #expect(!state.alarmsView.editingFilter && state.alarmsView.filter.isEmpty)
        #expect(state.alarmsView.rows.count == 34)
        _ = press(&state, .char("/"))
        _ = type(&state, "rate")
        _ = press(&state, .enter)
        #expect(shownNames(state) == ["payments-composite", "checkout-api-5xx-rate"], "the composite's reason names the other")
        #expect(press(&state, .escape).isEmpty)
        #expect(state.alarmsView.filter.isEmpty && state.alarmsView.rows.count == 34)
        #expect(!state.availableActions.contains(.back))
        // `/` again starts from the kept text, and Ctrl-U clears it.
        _ = press(&state, .char("/"))
        _ = type(&state, "x")
        _ = press(&state, .ctrl("u"))
        #expect(state.alarmsView.filter.isEmpty && state.alarmsView.editingFilter)
    }

    @Test
    func theSelectionFollowsTheSameAlarmThroughFilteringAndComesBack() {
        var state = loadedState(mixedAlarms())
        _ = press(&state, .char("j"), .char("j"))
        #expect(state.selectedAlarm?.name == "checkout-api-5xx-rate")
        _ = press(&state, .char("/"))
        _ = type(&state, "threshold")
        #expect(state.selectedAlarm?.name == "checkout-api-5xx-rate", "still shown, still selected")
        #expect(state.alarmsView.selectedRow == 1)
        _ = type(&state, "zz")
        #expect(state.alarmsView.rows.isEmpty)
        #expect(state.selectedAlarm == nil && state.selectedIndex == nil)
        #expect(press(&state, .down).isEmpty)
        _ = press(&state, .backspace, .backspace)
        #expect(state.selectedAlarm?.name == "checkout-api-5xx-rate", "the remembered alarm comes back")
        // An alarm the filter hides gives way to the first match.
        _ = press(&state, .ctrl("u"))
        _ = type(&state, "ingest")
        #expect(state.selectedAlarm?.name == "ingest-queue-age")
        // Arrows move within the matches while typing.
        _ = press(&state, .ctrl("u"))
        _ = type(&state, "ok-02")
        _ = press(&state, .down, .down)
        #expect(state.selectedAlarm?.name == "ok-022")
        #expect(state.alarmsView.filter == "ok-02")
    }

    @Test
    func sortCyclesTriageNameLastChangeRegionAndTheSelectionFollows() {
        let alarms = [
            alarm("b-fire", .alarm, ago: 900, region: "us-east-1"), alarm("a-ok", .ok, ago: 5, region: "us-east-1"),
            alarm("c-insuf", .insufficientData, ago: 60, region: "eu-west-1"), alarm("d-fire", .alarm, ago: 30, region: "eu-west-1"),
        ]
        var state = loadedState(alarms, regions: ["us-east-1", "eu-west-1"])
        #expect(state.alarmsView.sort == .triage)
        #expect(shownNames(state) == ["d-fire", "b-fire", "c-insuf", "a-ok"])
        _ = press(&state, .char("j"))
        #expect(state.selectedAlarm?.name == "b-fire")
        let orders: [(AlarmSort, [String])] = [
            (.name, ["a-ok", "b-fire", "c-insuf", "d-fire"]),
            (.recent, ["a-ok", "d-fire", "c-insuf", "b-fire"]),
            (.region, ["d-fire", "c-insuf", "b-fire", "a-ok"]),
            (.triage, ["d-fire", "b-fire", "c-insuf", "a-ok"]),
        ]
        for (sort, names) in orders {
            #expect(press(&state, .char("s")).isEmpty)
            #expect(state.alarmsView.sort == sort)
            #expect(shownNames(state) == names)
            #expect(state.selectedAlarm?.name == "b-fire")
        }
    }

    @Test
    func aRefreshIsPutInTriageOrderAndAnAnswerAlreadyInOrderIsNotCopied() {
        // Out of order, with two alarms alike in everything the order looks at.
        let shuffled = [
            alarm("ok-new", .ok, ago: 5), alarm("twin", .ok, ago: 300, reason: "first"), alarm("fire", .alarm, ago: 900),
            alarm("twin", .ok, ago: 300, reason: "second"), alarm("insuf", .insufficientData, ago: 60),
        ]
        let sorted = ConsoleState.triageSorted(shuffled)
        #expect(sorted.map(\.name) == ["fire", "insuf", "ok-new", "twin", "twin"])
        #expect(sorted.map(\.reason).suffix(2) == ["first", "second"], "ties keep their order")
        #expect(sorted == shuffled.sorted(by: Alarm.triageOrder))
        // In order already, as AlarmFetcher.list answers: the same storage comes back.
        let again = ConsoleState.triageSorted(sorted)
        #expect(again == sorted)
        #expect(again.withUnsafeBufferPointer { $0.baseAddress } == sorted.withUnsafeBufferPointer { $0.baseAddress })

        var state = loadedState(shuffled)
        #expect(state.alarms == sorted)
        checkAlarmInvariants(state)
        _ = reduce(&state, .alarmsLoaded(Array(sorted.reversed())), now: fixedNow)
        #expect(state.alarms.map(\.name) == ["fire", "insuf", "ok-new", "twin", "twin"])
        #expect(state.counts == AlarmCounts(alarm: 1, insufficientData: 1, ok: 3))
        checkAlarmInvariants(state)
    }

    @Test
    func filterAndSortSurviveARefreshAndTheSelectionStays() {
        var state = loadedState(mixedAlarms())
        _ = press(&state, .char("s"))
        _ = press(&state, .char("/"))
        _ = type(&state, "ok-0")
        _ = press(&state, .enter, .char("j"), .char("j"))
        #expect(state.selectedAlarm?.name == "ok-002")
        var reloaded = mixedAlarms()
        reloaded.insert(alarm("ok-0new", .ok, ago: 1), at: 0)
        _ = reduce(&state, .alarmsLoaded(reloaded), now: fixedNow)
        checkAlarmInvariants(state)
        #expect(state.alarmsView.sort == .name && state.alarmsView.filter == "ok-0")
        #expect(state.alarmsView.rows.count == 31)
        #expect(state.selectedAlarm?.name == "ok-002")
    }

    @Test
    func enterOpensTheDetailAndFetchesTheMetricOnceAMinute() {
        var state = loadedState(detailedAlarms())
        _ = press(&state, .char("j"))
        let effects = press(&state, .enter)
        let query = MetricQuery(
            region: "us-east-1", namespace: "AWS/RDS", metric: "DatabaseConnections", dimensions: writerHealth().dimensions,
            statistic: "Minimum", period: 300, start: Date(timeIntervalSince1970: 1_699_989_300), end: Date(timeIntervalSince1970: 1_700_000_100))
        let id = AlarmID(name: "prod-db-writer-health", region: "us-east-1")
        #expect(effects == [.alarmsView(.fetchMetric(id, query))])
        #expect(query.pointCount == 36)
        #expect(state.alarmsView.detail == id)
        #expect(!state.availableActions.contains(.select) && state.availableActions.contains(.back))
        // Enter again, or a tick while the fetch runs, fetches nothing more.
        #expect(press(&state, .enter).isEmpty)
        #expect(reduce(&state, .tick, now: fixedNow.addingTimeInterval(5)).allSatisfy { !isMetricFetch($0) })
        _ = reduce(&state, .alarmsView(.metricLoaded(id, query, writerSeries(query))), now: fixedNow.addingTimeInterval(2))
        // Closed and opened again within the minute: the answer is reused.
        #expect(press(&state, .escape).isEmpty)
        #expect(state.alarmsView.detail == nil)
        #expect(press(&state, .enter, now: fixedNow.addingTimeInterval(30)).isEmpty)
        // While open, the data is read again once it is a minute old; R reads it at once.
        #expect(reduce(&state, .tick, now: fixedNow.addingTimeInterval(61)).allSatisfy { !isMetricFetch($0) })
        #expect(reduce(&state, .tick, now: fixedNow.addingTimeInterval(62)).contains { isMetricFetch($0) })
        _ = reduce(&state, .alarmsView(.metricFailed(id, MetricFailure(code: "Throttling", message: "Rate exceeded", requestID: "r-1"))), now: fixedNow.addingTimeInterval(63))
        #expect(press(&state, .char("R"), now: fixedNow.addingTimeInterval(64)).contains { isMetricFetch($0) })
    }

    @Test
    func movingInTheDetailShowsTheNextAlarmAndCompositesFetchNothing() {
        var state = loadedState(detailedAlarms())
        // payments-composite is first: a composite alarm has no metric.
        #expect(press(&state, .enter).isEmpty)
        #expect(state.alarmsView.detail == AlarmID(name: "payments-composite", region: "us-east-1"))
        let effects = press(&state, .char("j"))
        #expect(state.alarmsView.detail == AlarmID(name: "prod-db-writer-health", region: "us-east-1"))
        #expect(effects.count == 1 && effects.allSatisfy { isMetricFetch($0) })
        // `/` leaves the detail for the filter.
        _ = press(&state, .char("/"))
        #expect(state.alarmsView.detail == nil && state.alarmsView.editingFilter)
    }

    @Test
    func theDetailClosesWhenItsAlarmIsNoLongerListed() {
        var state = loadedState(detailedAlarms())
        _ = press(&state, .char("j"), .enter)
        _ = reduce(&state, .alarmsLoaded(detailedAlarms().filter { $0.name != "prod-db-writer-health" }), now: fixedNow)
        checkAlarmInvariants(state)
        #expect(state.alarmsView.detail == nil)
        #expect(state.message?.text == "prod-db-writer-health (us-east-1) is no longer listed; its detail closed.")
    }

    @Test
    func rOpensTheIncidentsRunbookOrSaysWhyThereIsNone() {
        var state = loadedState(detailedAlarms())
        state.incidents.rows = alarmIncidents()
        // payments-composite: no incident.
        #expect(!state.availableActions.contains(.openRunbook))
        _ = press(&state, .char("r"))
        #expect(state.view == .alarms)
        #expect(state.message?.text == "No runbook is suggested for payments-composite: it belongs to no open incident. Open one with :runbook NAME.")
        // checkout-api-5xx-rate: incident 7 names no runbook.
        _ = press(&state, .char("j"), .char("j"))
        _ = press(&state, .char("r"))
        #expect(state.message?.text == "No runbook is suggested for checkout-api-5xx-rate: incident #7's response rule names none. Open one with :runbook NAME.")
        // prod-db-writer-health: incident 12's first runbook opens on the runbook screen.
        _ = press(&state, .char("k"))
        #expect(state.availableActions.contains(.openRunbook))
        _ = press(&state, .char("r"))
        #expect(state.view == .runbook)
        #expect(state.message == nil)
    }

    @Test
    func theQueryIsTheAlarmsMetricAndStatisticOverThreeHoursOrNone() {
        var a = alarm("cpu", .ok)
        a.statistic = nil
        let query = MetricQuery.recent(for: a, now: fixedNow)
        #expect(query?.statistic == "Average")
        #expect(query?.end == Date(timeIntervalSince1970: 1_700_000_100))
        #expect(MetricQuery.recent(for: alarm("math", .ok, namespace: nil, metric: nil), now: fixedNow) == nil)
        #expect(MetricQuery.recent(for: mixedAlarms()[3], now: fixedNow) == nil, "composite")
    }

    @Test
    func typingAFilterOverTenThousandAlarmsTestsOnlyWhatIsStillShown() {
        var state = loadedState(okAlarms(10_000))
        _ = press(&state, .char("/"))
        _ = type(&state, "ok-99")
        #expect(state.alarmsView.rows.count == 110)
        #expect(state.alarmsView.haystacks.count == 10_000)
        _ = type(&state, "9")
        #expect(shownNames(state) == ["ok-999"] + (0..<10).map { "ok-999\($0)" })
        _ = press(&state, .escape)
        #expect(state.alarmsView.haystacks.isEmpty, "dropped with the filter")
        #expect(state.alarmsView.rows.count == 10_000)
    }
}

func isMetricFetch(_ effect: ConsoleEffect) -> Bool {
    if case .alarmsView(.fetchMetric) = effect { return true }
    return false
}

// MARK: Rendering

@Suite("Alarms screen: rendering")
struct AlarmsViewRenderTests {
    let identity = "AKIAIOSFODNN7EXAMPLE @ 127.0.0.1:5000"

    /// Renders, checks the frame is the terminal's size with intact wide characters and no control
    /// characters, and compares the text and style layers with their snapshots.
    @discardableResult
    func render(_ state: ConsoleState, theme: Theme = .default, now: Date = fixedNow, snapshot: String) throws -> CellGrid {
        let grid = renderConsole(state, theme: theme, now: now)
        #expect(grid.width == state.size.width && grid.height == state.size.height)
        for line in grid.textLines() { #expect(TerminalText.width(line) == state.size.width) }
        #expect(violations(grid).isEmpty)
        for y in 0..<grid.height {
            for x in 0..<grid.width {
                #expect(!grid[x, y].text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
            }
        }
        try assertSnapshot(snapshotText(grid.textLines()), named: snapshot)
        try assertSnapshot(snapshotText(styleLayer(grid, theme: theme)), named: snapshot + "-style")
        return grid
    }

    func state(_ size: TerminalSize, regions: [String] = ["us-east-1"]) -> ConsoleState {
        var state = loadedState(detailedAlarms(), size: size, regions: regions, identity: identity)
        state.incidents.rows = alarmIncidents()
        return state
    }

    /// The detail of prod-db-writer-health with `result` as its metric's answer.
    func detail(_ size: TerminalSize, _ result: (MetricQuery) -> AlarmsViewEvent) -> ConsoleState {
        var state = state(size)
        _ = reduce(&state, .key(.char("j")), now: fixedNow)
        let effects = reduce(&state, .key(.enter), now: fixedNow)
        guard case .alarmsView(.fetchMetric(_, let query)) = effects.first else {
            Issue.record("Enter did not fetch the metric: \(effects)")
            return state
        }
        _ = reduce(&state, .alarmsView(result(query)), now: fixedNow.addingTimeInterval(1))
        return state
    }

    static let writer = AlarmID(name: "prod-db-writer-health", region: "us-east-1")

    @Test(arguments: [(TerminalSize(width: 80, height: 24), "80x24"), (TerminalSize(width: 120, height: 40), "120x40")])
    func theListShowsEachAlarmsIncident(_ size: TerminalSize, _ name: String) throws {
        var state = state(size)
        _ = reduce(&state, .key(.char("j")), now: fixedNow)
        let grid = try render(state, snapshot: "console-alarms-incidents-\(name)")
        let lines = grid.textLines()
        let c = state.layout.columns(incidents: true)
        #expect(grid.text(x: c.incidentX, y: 3, width: 8) == "INCIDENT")
        let wide = size.width >= 100
        #expect(c.incidentIsWide == wide)
        #expect(grid.text(x: c.incidentX, y: 5, width: c.incidentWidth) == TerminalText.pad(wide ? "#12 2/3 04:12" : "#12 04:12", toWidth: c.incidentWidth))
        #expect(grid.text(x: c.incidentX, y: 6, width: c.incidentWidth) == TerminalText.pad(wide ? "#7 1/2 ack" : "#7 ack", toWidth: c.incidentWidth))
        #expect(grid[c.incidentX, 6].style == Theme.default[.muted])
        // Name and reason stay readable at 80 columns.
        #expect(c.nameWidth >= state.widestName && c.reasonWidth >= 25)
        #expect(lines[5].hasPrefix("> ALARM  prod-db-writer-health"))
        if size.height >= 30 {
            #expect(lines.contains { $0.contains("incident #12 stage 2/3 · next page in 04:12 to Secondary") })
        }
    }

    @Test(arguments: [(TerminalSize(width: 80, height: 24), "80x24"), (TerminalSize(width: 120, height: 40), "120x40")])
    func theListWithAFilterBeingTypedAndAnotherSort(_ size: TerminalSize, _ name: String) throws {
        var state = state(size)
        for key in [Key.char("s"), .char("/"), .char("R"), .char("a"), .char("T"), .char("e")] {
            _ = reduce(&state, .key(key), now: fixedNow)
        }
        let grid = try render(state, snapshot: "console-alarms-filter-\(name)")
        let lines = grid.textLines()
        #expect(lines[2].hasPrefix(" 3 ALARM · 1 INSUF · 30 OK · filter: RaTe  · 2 of 34"))
        #expect(grid[Int(TerminalText.width(" 3 ALARM · 1 INSUF · 30 OK · filter: RaTe")), 2].style == Theme.default[.selection], "the cursor")
        // The selection (the first alarm, payments-composite) still matches, so it stays.
        #expect(lines[2].hasSuffix("updated 0s ago  2/2 "))
        #expect(lines[3].hasSuffix(" sort: name "))
        #expect(lines[4].hasPrefix("  ALARM  checkout-api-5xx-rate"))
        #expect(lines[5].hasPrefix("> ALARM  payments-composite"))
    }

    @Test
    func aFilterMatchingNothingSaysSoAndHowToClearIt() throws {
        var state = state(TerminalSize(width: 80, height: 24))
        for key in [Key.char("/"), .char("z"), .char("z"), .enter] { _ = reduce(&state, .key(key), now: fixedNow) }
        let lines = renderConsole(state, theme: .default, now: fixedNow).textLines()
        #expect(lines[2].hasPrefix(" 3 ALARM · 1 INSUF · 30 OK · filter: zz · 0 of 34"))
        #expect(lines[5].hasPrefix("  No alarm matches \"zz\" (Esc clears the filter)."))
        #expect(lines[22].trimmingCharacters(in: .whitespaces).isEmpty)
    }

    @Test(arguments: [(TerminalSize(width: 80, height: 24), "80x24"), (TerminalSize(width: 120, height: 40), "120x40")])
    func theDetailWithASparkline(_ size: TerminalSize, _ name: String) throws {
        let state = detail(size) { .metricLoaded(Self.writer, $0, writerSeries($0)) }
        let grid = try render(state, now: fixedNow.addingTimeInterval(1), snapshot: "console-alarms-detail-\(name)")
        let text = grid.textLines().joined(separator: "\n")
        #expect(grid.rowText(2).hasPrefix(" ALARM prod-db-writer-health"))
        #expect(grid.rowText(3).hasPrefix(" us-east-1 · in ALARM for 4m13s (since 22:09:08 UTC) · metric alarm"))
        #expect(text.contains("Metric     AWS/RDS DatabaseConnections"))
        #expect(text.contains("Dimensions DBClusterIdentifier=prod-aurora, Role=WRITER"))
        #expect(text.contains("Condition  Minimum < 1 for 3 periods of 1m"))
        #expect(text.contains("Incident   #12 prod-db-writer-health"))
        #expect(text.contains("Escalation stage 2/3 · next page in 04:11 to Secondary"))
        #expect(text.contains("Last 3 hours · Minimum per 5 minutes · read 22:13:21 UTC"))
        #expect(text.contains("max 50") && text.contains("min 0") && text.contains("last 0"))
        #expect(text.contains("19:15") && text.contains("22:15 UTC"))
        // The whole reason, wrapped, at 120 columns; what does not fit at 80x24 ends with an ellipsis.
        if size.width >= 120 { #expect(text.contains("(minimum 3 datapoints for OK -> ALARM transition).")) }
        #expect(grid.rowText(size.height - 1).hasPrefix(" Esc back  r runbook"))
    }

    @Test(arguments: [(TerminalSize(width: 80, height: 24), "80x24"), (TerminalSize(width: 120, height: 40), "120x40")])
    func theDetailWithAnAWSError(_ size: TerminalSize, _ name: String) throws {
        let failure = MetricFailure(
            code: "AccessDenied",
            message: "User: arn:aws:sts::111122223333:assumed-role/oncall/alice is not authorized to perform: cloudwatch:GetMetricData\u{1B}[2J because no identity-based policy allows the cloudwatch:GetMetricData action",
            requestID: "6f1c0e1a-5b7e-4d0c-9a43-1f0a9c3e2b11")
        let state = detail(size) { _ in .metricFailed(Self.writer, failure) }
        let grid = try render(state, now: fixedNow.addingTimeInterval(1), snapshot: "console-alarms-detail-error-\(name)")
        let text = grid.textLines().joined(separator: "\n")
        #expect(text.contains("could not read the metric: AccessDenied"))
        #expect(text.contains("request id 6f1c0e1a-5b7e-4d0c-9a43-1f0a9c3e2b11"))
        #expect(text.contains("cloudwatch:GetMetricData[2J"), "escape sequences are made inert")
    }

    @Test
    func theDetailSaysLoadingNoDataOrCompositeInsteadOfAChart() {
        var loading = state(TerminalSize(width: 80, height: 24))
        _ = reduce(&loading, .key(.char("j")), now: fixedNow)
        _ = reduce(&loading, .key(.enter), now: fixedNow)
        #expect(renderConsole(loading, theme: .default, now: fixedNow).textLines().contains { $0.hasPrefix("  loading…") })

        let empty = detail(TerminalSize(width: 80, height: 24)) { .metricLoaded(Self.writer, $0, MetricSeries(points: [])) }
        #expect(renderConsole(empty, theme: .default, now: fixedNow).textLines().contains {
            $0.hasPrefix("  no data in the last 3 hours (the metric has sent no data points)")
        })

        var composite = state(TerminalSize(width: 80, height: 24))
        _ = reduce(&composite, .key(.enter), now: fixedNow)
        let lines = renderConsole(composite, theme: .default, now: fixedNow).textLines()
        #expect(lines[2].hasPrefix(" ALARM payments-composite"))
        #expect(lines.contains { $0.hasPrefix(" Composite alarm: it combines other alarms, so there is no metric to chart.") })
    }

    @Test
    func theSparklineFallsBackToASCIIOnTerminalsWithoutLineDrawing() throws {
        let state = detail(TerminalSize(width: 80, height: 24)) { .metricLoaded(Self.writer, $0, writerSeries($0)) }
        var theme = Theme.default
        theme.glyphs = .ascii
        let lines = renderConsole(state, theme: theme, now: fixedNow).textLines()
        let title = try #require(lines.firstIndex { $0.hasPrefix(" Last 3 hours") })
        let axis = try #require(lines.firstIndex { $0.hasPrefix("  19:15") })
        let chart = Array(lines[(title + 1)..<axis])
        #expect(chart.count >= 3)
        #expect(chart.first?.contains("max 50") == true && chart.last?.contains("min 0") == true)
        #expect(chart.allSatisfy { $0.unicodeScalars.allSatisfy { $0.isASCII } })
        #expect(chart.last?.contains("_") == true)
    }

    /// The renderer reads only the visible rows, so a frame over 10,000 alarms costs about what a
    /// frame over 30 does. Timings are printed (docs/PERFORMANCE.md reports them), not asserted.
    @Test
    func aFrameOverTenThousandAlarmsReadsOnlyTheVisibleRows() {
        var big = loadedState(okAlarms(10_000))
        big.incidents.rows = alarmIncidents()
        var small = loadedState(okAlarms(30))
        small.incidents.rows = alarmIncidents()
        for key in [Key.char("s"), .char("/"), .char("o"), .char("k"), .enter, .char("G")] {
            _ = reduce(&big, .key(key), now: fixedNow)
            _ = reduce(&small, .key(key), now: fixedNow)
        }
        let lines = renderConsole(big, theme: .default, now: fixedNow).textLines()
        #expect(lines[2].contains("filter: ok · 10000 of 10000"))
        #expect(lines[21].hasPrefix("> OK     ok-9999"))
        func median(_ state: ConsoleState) -> Double {
            var times: [Double] = []
            for _ in 0..<31 {
                let start = ContinuousClock.now
                _ = renderConsole(state, theme: .default, now: fixedNow)
                let elapsed = ContinuousClock.now - start
                times.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
            }
            return times.sorted()[times.count / 2]
        }
        let bigMs = median(big)
        let smallMs = median(small)
        print("alarms frame compose (debug build): 10,000 alarms \(String(format: "%.3f", bigMs)) ms, 30 alarms \(String(format: "%.3f", smallMs)) ms")
        // And what a filter keystroke costs the reducer over 10,000 alarms: the first builds the
        // search text, later ones narrow what is shown; a sort re-sorts every index.
        func timed(_ keys: [Key], on state: inout ConsoleState) -> Double {
            let start = ContinuousClock.now
            for key in keys { _ = reduce(&state, .key(key), now: fixedNow) }
            let elapsed = ContinuousClock.now - start
            return Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        }
        var typing = loadedState(okAlarms(10_000))
        let first = timed([.char("/"), .char("o")], on: &typing)
        let narrowing = timed([.char("k"), .char("-"), .char("9")], on: &typing) / 3
        let widening = timed([.backspace], on: &typing)
        let sort = timed([.enter, .char("s")], on: &typing)
        #expect(typing.alarmsView.rows.count == 10_000)
        print("alarms filter keystroke over 10,000 (debug build): first \(String(format: "%.2f", first)) ms, narrowing \(String(format: "%.2f", narrowing)) ms, widening \(String(format: "%.2f", widening)) ms; sort by name \(String(format: "%.2f", sort)) ms")
    }
}
