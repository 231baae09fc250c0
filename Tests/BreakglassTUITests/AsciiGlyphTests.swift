import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
@testable import BreakglassTUI
import Foundation
import Testing

/// On a terminal that gets ASCII glyphs (vt100 and its family), every cell the console draws is
/// ASCII: boxes, sparklines and punctuation ("—", "·", "…", "×") all come from `LineGlyphs.ascii`.
@Suite("ASCII glyphs: every screen")
struct AsciiGlyphTests {
    static var ascii: Theme {
        var theme = Theme.default
        theme.glyphs = .ascii
        return theme
    }

    /// Every screen in the states that draw the most punctuation, each also with help open.
    static func screens(_ size: TerminalSize) -> [(String, ConsoleState, Date)] {
        var out: [(String, ConsoleState, Date)] = []
        func add(_ name: String, _ state: ConsoleState, now: Date = fixedNow) { out.append((name, state, now)) }

        // Alarms: the list with incidents, a filter being typed (long enough to be cut at the front),
        // the detail with its sparkline, a failed refresh, loading.
        var alarms = loadedState(detailedAlarms(), size: size)
        alarms.incidents.rows = alarmIncidents()
        add("alarms", alarms)
        var filtering = alarms
        _ = reduce(&filtering, .key(.char("/")), now: fixedNow)
        for c in String(repeating: "prod-db-writer-health ", count: 5) { _ = reduce(&filtering, .key(.char(c)), now: fixedNow) }
        add("alarms filter", filtering)
        var detail = alarms
        _ = reduce(&detail, .key(.char("j")), now: fixedNow)
        if case .alarmsView(.fetchMetric(let id, let query))? = reduce(&detail, .key(.enter), now: fixedNow).first {
            _ = reduce(&detail, .alarmsView(.metricLoaded(id, query, writerSeries(query))), now: fixedNow.addingTimeInterval(1))
        }
        add("alarm detail", detail, now: fixedNow.addingTimeInterval(1))
        var failed = alarms
        _ = reduce(&failed, .alarmsFailed("ThrottlingException: Rate exceeded — slow down"), now: fixedNow)
        add("alarms failed", failed)
        var refreshing = alarms
        _ = reduce(&refreshing, .key(.char("R")), now: fixedNow)
        add("alarms refreshing", refreshing)
        var loading = ConsoleState(identity: "AKIAEXAMPLE", regions: ["us-east-1"], size: size, now: fixedNow)
        _ = reduce(&loading, .tick, now: fixedNow)
        add("alarms loading", loading)
        add("page banner", pagedState([page(41)], size: size))

        // Incidents: the list, the detail, the snooze field, a confirmation.
        let incidents = incidentsState(size: size)
        add("incidents", incidents)
        var incidentOpen = incidents
        for key in [Key.char("j"), .char("j"), .enter] { _ = reduce(&incidentOpen, .key(key), now: fixedNow) }
        _ = reduce(&incidentOpen, .incidents(.snapshot(IncidentsSnapshot(rows: someIncidents(), detail: incidentDetail()), for: incidentOpen.incidents.query)), now: fixedNow)
        add("incident detail", incidentOpen)
        var snooze = incidents
        _ = reduce(&snooze, .key(.char("z")), now: fixedNow)
        add("snooze", snooze)
        var resolve = incidents
        _ = reduce(&resolve, .key(.char("x")), now: fixedNow)
        add("resolve", resolve)

        // Runbook: the picker, the checklist with every status, the typed confirmation.
        var picker = runbookConsole(size: size, incidents: [incidentRow(12, severity: 1, runbooks: ["rds-failover"])])
        _ = picker.press(.char("3"))
        add("runbook picker", picker)
        var checklist = startedFailover(size: size)
        var run = storedRun(testRunbook(failoverYAML), statuses: [.done, .failed, .awaitingConfirmation, .running, .skipped, .outcomeUnknown, .pending])
        run.steps[1].detail = "DBClusters[0].Status: expected available, found modifying"
        _ = checklist.report(.started(run, resumed: true, note: nil))
        _ = checklist.press(.char("G"))
        add("runbook checklist", checklist)
        var typed = startedFailover(size: size)
        _ = typed.ask(9, .confirm(failoverConfirmation()))
        _ = typed.press(.char("n"))
        _ = typed.type("prod-au")
        add("runbook typed", typed)
        add("runbook not started", { var s = runbookConsole(size: size); _ = s.openRunbook("rds-failover", incident: 12, now: fixedNow); return s }())

        var form = purgeConsole(size: size)
        _ = form.press(.char("n"))
        _ = form.press(.tab)
        add("runbook parameters", form)
        var guidedForm = purgeConsole(guided: true, size: size)
        _ = guidedForm.press(.enter)
        add("guided parameters", guidedForm)

        // Access: the reason, the MFA code, a request in flight, a grant counting down.
        var reason = accessState(size: size)
        accessPress(&reason, .enter, .char("y"), .char("y"), .enter)
        add("access reason", reason)
        var mfa = reason
        accessType(&mfa, "r")
        accessPress(&mfa, .enter, .enter)
        add("access mfa", mfa)
        var requesting = accessSummaryState(size: size)
        accessPress(&requesting, .enter)
        add("access requesting", requesting, now: fixedNow.addingTimeInterval(2))
        var held = accessState(size: size)
        _ = reduce(&held, .access(.heldLoaded([heldGrant(left: 1512)])), now: fixedNow)
        add("access held", held)

        // Audit: the tail paused, one entry, a verification in flight.
        var audit = auditState(size: size)
        _ = reduce(&audit, .key(.char("k")), now: fixedNow)
        add("audit", audit)
        var entry = audit
        _ = reduce(&entry, .key(.enter), now: fixedNow)
        add("audit entry", entry)
        add("audit verifying", auditState([], size: size, verification: nil))

        // Guided: a step, the typed confirmation, the help question.
        var guided = guidedFailover(size: size)
        _ = guided.ask(1, .show(step: 0, text: "Open the Alarms view — check the writer."))
        add("guided step", guided)
        var guidedHelp = guided
        _ = guidedHelp.press(.char("h"))
        add("guided help", guidedHelp)

        // The command line, with completions.
        var command = alarms
        _ = reduce(&command, .key(.char(":")), now: fixedNow)
        _ = reduce(&command, .key(.tab), now: fixedNow)
        add("command line", command)

        // Help open over each of them.
        for (name, state, now) in out where !name.hasPrefix("command") {
            var help = state
            _ = reduce(&help, .key(.char("?")), now: now)
            if case .help? = help.overlay { out.append((name + " + help", help, now)) }
        }
        return out
    }

    static func nonASCII(_ grid: CellGrid) -> [String] {
        var found: [String] = []
        for y in 0..<grid.height {
            for x in 0..<grid.width where !grid[x, y].text.isASCII {
                found.append("(\(x),\(y)) \(grid[x, y].text) in: \(grid.rowText(y))")
            }
        }
        return found
    }

    @Test(arguments: [TerminalSize(width: 80, height: 24), TerminalSize(width: 120, height: 40)])
    func everyCellIsASCII(_ size: TerminalSize) {
        let screens = Self.screens(size)
        #expect(screens.count >= 40, "every screen, and its help where help opens")
        for (name, state, now) in screens {
            let grid = renderConsole(state, theme: Self.ascii, now: now)
            let bad = Self.nonASCII(grid)
            #expect(bad.isEmpty, "\(name) at \(size.width)x\(size.height): \(bad.prefix(3))")
            #expect(violations(grid).isEmpty)
            // The same state in Unicode still draws its punctuation, so the test above covers text
            // that would otherwise be non-ASCII.
        }
        let unicodeCells = screens.map { Self.nonASCII(renderConsole($0.1, theme: .default, now: $0.2)).count }
        #expect(unicodeCells.filter { $0 > 0 }.count > screens.count / 2, "most screens draw Unicode glyphs with the default theme")
    }

    @Test
    func thePunctuationIsTheASCIIGlyphs() {
        var help = loadedState(mixedAlarms())
        _ = reduce(&help, .key(.char("?")), now: fixedNow)
        let helpText = renderConsole(help, theme: Self.ascii, now: fixedNow).textLines().joined(separator: "\n")
        #expect(helpText.contains(" Help - Esc closes "))
        let alarms = renderConsole(loadedState(mixedAlarms()), theme: Self.ascii, now: fixedNow).textLines()
        #expect(alarms[2].hasPrefix(" 3 ALARM | 1 INSUF | 30 OK"))
        // A cut name ends in "...".
        var refreshing = loadedState(mixedAlarms())
        _ = reduce(&refreshing, .key(.char("R")), now: fixedNow)
        #expect(renderConsole(refreshing, theme: Self.ascii, now: fixedNow).rowText(2).hasSuffix("* updated 0s ago  1/34 "))
        let long = loadedState([alarm(String(repeating: "very-long-alarm-name-", count: 6), .alarm)])
        #expect(renderConsole(long, theme: Self.ascii, now: fixedNow).textLines().contains { $0.contains("very-long-alarm-name-...") || $0.contains("-...") })
        let small = ConsoleState(identity: "x", regions: [], size: TerminalSize(width: 60, height: 20), now: fixedNow)
        let tooSmall = renderConsole(small, theme: Self.ascii, now: fixedNow).textLines().joined(separator: " ")
        #expect(tooSmall.contains("need 80x24, have 60x20 - q quits"))
    }

    @Test
    func punctuatedLeavesUnicodeAloneAndWritesASCII() {
        let text = "a — b · c… 80×24 → ok"
        #expect(LineGlyphs.unicode.punctuated(text) == text)
        #expect(LineGlyphs.ascii.punctuated(text) == "a - b | c... 80x24 -> ok")
        #expect(LineGlyphs.ascii.sanitize("x\u{1B}[31m — y") == "x[31m - y")
        #expect(LineGlyphs.ascii.truncate("abcdefghij", toWidth: 6) == "abc...")
        #expect(LineGlyphs.unicode.truncate("abcdefghij", toWidth: 6) == "abcde…")
    }
}
