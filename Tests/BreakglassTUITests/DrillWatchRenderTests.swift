import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
@testable import BreakglassTUI
import Foundation
import Testing

/// Drills for the facilitator's view, built the way `drill watch` builds them: audit entries, what the
/// sandbox saw and a time, through `DrillTimeline.build`. Untrusted text on purpose: an escape
/// sequence in an AWS message, emoji and CJK in notes.
enum WatchFixture {
    /// 2027-01-15 08:00:00 UTC.
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func at(_ seconds: TimeInterval) -> Date { t0.addingTimeInterval(seconds) }

    static func drill(target: Duration = .seconds(900), stoppedAfter: TimeInterval? = nil, notes: [DrillNote] = []) -> Drill {
        Drill(
            id: 3, scenario: "orders-backlog", participant: "alice", target: target, startedBy: "fac", startedAt: t0,
            stoppedAt: stoppedAfter.map(at), stoppedBy: stoppedAfter == nil ? nil : "fac", notes: notes)
    }

    static func entry(
        _ seq: Int64, _ seconds: TimeInterval, _ kind: String, by user: String = "alice", incident: String? = nil, runbook: String? = nil,
        step: String? = nil, role: String? = nil, outcome: String? = nil, detail: String? = nil, service: String? = nil, operation: String? = nil
    ) -> AuditEntry {
        AuditEntry(
            seq: seq, at: ISO8601.formatMilliseconds(at(seconds)),
            draft: AuditDraft(
                kind: kind, actor: AuditActor(user: user), context: AuditContext(incident: incident, runbook: runbook, step: step, role: role),
                service: service, operation: operation, outcome: outcome, detail: detail),
            prevHash: "", hash: "")
    }

    static let catalog: [String: [DrillStepInfo]] = [
        "sqs-flush": [
            DrillStepInfo(id: "depth", title: "Look at something in AWS: sqs.GetQueueAttributes"),
            DrillStepInfo(id: "purge", title: "Change something in AWS (asks yes or no first): sqs.PurgeQueue"),
            DrillStepInfo(id: "settle", title: "Wait for prod-orders-queue-depth to be OK"),
        ]
    ]

    /// The daemon opens the incident; alice acknowledges, gets access, does step 1 and tries step 2,
    /// which AWS refuses.
    static func opening() -> [AuditEntry] {
        [
            entry(1, 6, "incident.opened", by: "watch", incident: "7", detail: "prod-orders-queue-depth in ALARM"),
            entry(2, 60, "incident.acknowledged", incident: "7"),
            entry(3, 110, "access.requested", role: "app-break-glass"),
            entry(4, 120, "access.granted", role: "app-break-glass", outcome: "succeeded"),
            entry(5, 130, "runbook.started", runbook: "sqs-flush", detail: "run 4 of sqs-flush (3 steps)"),
            entry(6, 140, "runbook.step", runbook: "sqs-flush", step: "4/1", outcome: "done", detail: "step 1 (depth) done"),
            entry(7, 150, "runbook.confirmed", runbook: "sqs-flush", step: "4/2", detail: "alice confirmed step 2: sqs.PurgeQueue"),
            entry(8, 151, "aws.intent", runbook: "sqs-flush", step: "4/2", service: "sqs", operation: "PurgeQueue"),
            entry(
                9, 152, "aws.outcome", runbook: "sqs-flush", step: "4/2", outcome: "failed",
                detail: "AccessDenied\u{1B}[2J: not authorized to perform sqs:PurgeQueue"),
            entry(10, 153, "runbook.step", runbook: "sqs-flush", step: "4/2", outcome: "failed", detail: "step 2 (purge) failed"),
        ]
    }

    static let alarmed = DrillSignals(alarmedAt: ["prod-orders-queue-depth": at(5)])

    static let chatNote = DrillNote(at: at(100), by: "fac", text: "alice asked in chat who is on call 🙂")

    /// Running at 04:12 (target 15:00): on step 2, whose last try failed.
    static func running(now: TimeInterval = 252, notes: [DrillNote] = [chatNote]) -> DrillTimeline {
        DrillTimeline.build(drill: drill(notes: notes), entries: opening(), signals: alarmed, steps: catalog, now: at(now))
    }

    /// Step 2 goes through on the second try, step 3 settles, the queue recovers at 07:12; the drill
    /// is not stopped yet.
    static func recovered() -> DrillTimeline {
        let rest = [
            entry(11, 250, "runbook.resumed", runbook: "sqs-flush", step: "4/2", detail: "run 4 resumed at step 2"),
            entry(12, 260, "aws.intent", runbook: "sqs-flush", step: "4/2", service: "sqs", operation: "PurgeQueue"),
            entry(13, 261, "aws.outcome", runbook: "sqs-flush", step: "4/2", outcome: "succeeded"),
            entry(14, 261, "runbook.step", runbook: "sqs-flush", step: "4/2", outcome: "done", detail: "step 2 (purge) done"),
            entry(15, 420, "runbook.step", runbook: "sqs-flush", step: "4/3", outcome: "done", detail: "step 3 (settle) done"),
            entry(16, 420, "runbook.finished", runbook: "sqs-flush", outcome: "succeeded", detail: "run 4 succeeded"),
        ]
        let notes = [chatNote, DrillNote(at: at(300), by: "fac", text: "debrief: purge took two tries; 同僚に確認した")]
        let signals = DrillSignals(alarmedAt: alarmed.alarmedAt, recoveredAt: at(432))
        return DrillTimeline.build(drill: drill(notes: notes), entries: opening() + rest, signals: signals, steps: catalog, now: at(500))
    }

    /// At 16:30 against a 15:00 target, access refused and asked again, three runbook steps done and
    /// still not recovered: more milestones than 80×24 has rows for.
    static func overTarget() -> DrillTimeline {
        let entries = [
            entry(1, 6, "incident.opened", by: "watch", incident: "7", detail: "prod-orders-queue-depth in ALARM"),
            entry(2, 240, "incident.acknowledged", incident: "7"),
            entry(3, 300, "access.requested", role: "app-break-glass"),
            entry(4, 301, "access.denied", role: "app-break-glass", outcome: "denied", detail: "no open incident names this role"),
            entry(5, 400, "runbook.started", runbook: "sqs-flush", detail: "run 4 of sqs-flush (3 steps)"),
            entry(6, 460, "runbook.step", runbook: "sqs-flush", step: "4/1", outcome: "done", detail: "step 1 (depth) done"),
            entry(7, 700, "runbook.step", runbook: "sqs-flush", step: "4/2", outcome: "skipped", detail: "step 2 (purge) skipped"),
            entry(8, 860, "runbook.step", runbook: "sqs-flush", step: "4/3", outcome: "done", detail: "step 3 (settle) done"),
            entry(9, 860, "runbook.finished", runbook: "sqs-flush", outcome: "succeeded", detail: "run 4 succeeded"),
            entry(10, 905, "access.requested", role: "app-break-glass"),
        ]
        return DrillTimeline.build(drill: drill(), entries: entries, signals: alarmed, steps: catalog, now: at(990))
    }

    /// A state showing `timeline` on a terminal of `size`.
    static func state(_ timeline: DrillTimeline, size: TerminalSize = TerminalSize(width: 80, height: 24)) -> DrillWatchState {
        var state = DrillWatchState(size: size)
        _ = state.handle(.tick, now: timeline.now)
        _ = state.handle(.loaded(timeline), now: timeline.now)
        return state
    }

    static let small = TerminalSize(width: 80, height: 24)
    static let large = TerminalSize(width: 120, height: 40)
}

@Suite("Drill watch: rendering")
struct DrillWatchRenderTests {
    typealias F = WatchFixture

    /// Renders, checks the frame is the terminal's size, every row exactly as wide, wide characters
    /// whole and nothing a terminal could act on, and compares the text and style layers with their
    /// snapshots.
    @discardableResult
    func render(_ state: DrillWatchState, theme: Theme = .default, now: Date, snapshot: String) throws -> CellGrid {
        let grid = renderDrillWatch(state, theme: theme, now: now)
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

    func row(_ lines: [String], containing text: String) -> Int? {
        lines.firstIndex { $0.contains(text) }
    }

    /// The style of the cell where `text` starts on row `y`.
    func style(_ grid: CellGrid, at text: String, row y: Int) -> Style? {
        let line = grid.rowText(y)
        guard let found = line.range(of: text) else { return nil }
        return grid[TerminalText.width(String(line[..<found.lowerBound])), y].style
    }

    @Test(arguments: [F.small, F.large])
    func aRunningDrill(size: TerminalSize) throws {
        let timeline = F.running()
        let grid = try render(F.state(timeline, size: size), now: timeline.now, snapshot: "drill-watch-running-\(size.width)x\(size.height)")
        let lines = grid.textLines()
        #expect(lines[0].hasPrefix(" breakglass · drill 3 · orders-backlog · participant alice"))
        #expect(lines[0].hasSuffix("08:04:12 UTC "))
        #expect(lines[2].contains(" RUNNING "))
        #expect(lines[3].contains("10:48 left of the 15:00 target"))
        #expect(lines[4].contains("waiting for recovery · started 08:00:00 UTC by fac"))
        // The big digits, in the warning role while under the target.
        #expect(lines[2].hasPrefix("  █▀█ █ █ ▄ ▄█  ▀▀█    RUNNING "))
        #expect(lines[3].hasPrefix("  █ █ ▀▀█ ▄  █  █▀▀ "))
        #expect(lines[4].hasPrefix("  ▀▀▀   ▀   ▀▀▀ ▀▀▀ "))
        #expect(grid[2, 2].style == Theme.default[.warning])
        #expect(lines[6].hasPrefix(" Current step  sqs-flush step 2 (purge) · 01:52 on it · last try failed · Chan"))
        #expect(style(grid, at: "last try failed", row: 6) == Theme.default[.error])
        // Milestones in order, recovery pending and dimmed; the columns widen with the terminal.
        let pending = try #require(row(lines, containing: "pending"))
        if size == F.small {
            #expect(lines[9].hasPrefix(" Detected         +00:05      00:05       prod-orders-queue-depth in ALARM"))
            #expect(lines[pending].hasPrefix(" Recovered        —           —           pending"))
        } else {
            #expect(lines[9].hasPrefix(" Detected            +00:05      00:05       prod-orders-queue-depth in ALARM"))
            #expect(lines[pending].hasPrefix(" Recovered           —           —           pending"))
        }
        #expect(grid[1, pending].style == Theme.default[.muted])
        // The AWS message's escape is gone.
        #expect(lines.contains { $0.contains("AccessDenied[2J: not authorized") })
        #expect(lines[size.height - 1].hasPrefix(" n add a note  Up/k older events  Down/j newer"))
    }

    @Test(arguments: [F.small, F.large])
    func aRecoveredDrill(size: TerminalSize) throws {
        let timeline = F.recovered()
        let grid = try render(F.state(timeline, size: size), now: timeline.now, snapshot: "drill-watch-recovered-\(size.width)x\(size.height)")
        let lines = grid.textLines()
        #expect(lines[2].contains(" RECOVERED in 07:12 "))
        #expect(lines[3].contains("07:48 under the 15:00 target"))
        #expect(lines[4].contains("runs until `drill stop`"))
        #expect(grid[2, 2].style == Theme.default[.stateOK])
        #expect(lines[6].hasPrefix(" Current step  none — recovered"))
        // The notes stand out, wide characters and all.
        let note = try #require(row(lines, containing: "fac          NOTE debrief: purge took two tries; 同僚に確認した") ?? row(lines, containing: "fac              NOTE debrief"))
        #expect(style(grid, at: "NOTE", row: note) == Theme.default[.accent])
        #expect(style(grid, at: "同僚", row: note) == Theme.default[.accent])
        #expect(!lines.contains { $0.contains("pending") })
        // A minute later the clock has not moved: recovery stopped it.
        let later = renderDrillWatch(F.state(timeline, size: size), theme: .default, now: F.at(560))
        #expect(later.textLines()[2...4] == lines[2...4])
    }

    @Test(arguments: [F.small, F.large])
    func aDrillOverItsTarget(size: TerminalSize) throws {
        let timeline = F.overTarget()
        let grid = try render(F.state(timeline, size: size), now: timeline.now, snapshot: "drill-watch-over-\(size.width)x\(size.height)")
        let lines = grid.textLines()
        #expect(lines[2].contains(" RUNNING · OVER TARGET "))
        #expect(lines[3].contains("01:30 over the 15:00 target"))
        #expect(grid[2, 2].style == Theme.default[.stateAlarm])
        if size == F.small {
            // Six rows for ten milestones: the earliest steps give way, the pending ones stay.
            #expect(lines[9].hasPrefix(" Detected "))
            #expect(lines[11].hasPrefix(" … 5 earlier"))
            #expect(lines[13].hasPrefix(" Access granted   —"))
            #expect(lines[14].hasPrefix(" Recovered        —"))
        } else {
            #expect(!lines.contains { $0.contains("earlier") })
            let refused = try #require(row(lines, containing: "was refused role app-break-glass"))
            #expect(style(grid, at: "was refused", row: refused) == Theme.default[.error])
        }
    }

    @Test(arguments: [F.small, F.large])
    func aNoteBeingTyped(size: TerminalSize) throws {
        let timeline = F.running()
        var state = F.state(timeline, size: size)
        for key in [Key.char("n")] + "purge hesitated: 確認 first".map(Key.char) { _ = state.handle(.key(key), now: timeline.now) }
        let grid = try render(state, now: timeline.now, snapshot: "drill-watch-note-\(size.width)x\(size.height)")
        let footer = grid.textLines()[size.height - 1]
        #expect(footer.hasPrefix(" Note: purge hesitated: 確認 first "))
        #expect(footer.contains("Enter add  Esc cancel  ^U clear"))
        let cursor = TerminalText.width(" Note: purge hesitated: 確認 first")
        #expect(grid[cursor, size.height - 1].style == Theme.default[.selection])
    }

    @Test
    func aLongNoteKeepsItsEndInViewAndCountsDown() {
        let timeline = F.running()
        var state = F.state(timeline)
        _ = state.handle(.key(.char("n")), now: timeline.now)
        for _ in 0..<250 { _ = state.handle(.key(.char("x")), now: timeline.now) }
        _ = state.handle(.key(.char("!")), now: timeline.now)
        let footer = renderDrillWatch(state, theme: .default, now: timeline.now).textLines()[23]
        #expect(footer.hasPrefix(" Note: xxxx"))
        #expect(footer.contains("x! "))
        #expect(footer.hasSuffix("29 left "))
    }

    @Test
    func tooSmallSaysWhatIsNeededAndStillShowsTheClock() throws {
        let timeline = F.running()
        let state = F.state(timeline, size: TerminalSize(width: 60, height: 20))
        let grid = try render(state, now: timeline.now, snapshot: "drill-watch-too-small")
        let text = grid.textLines().joined(separator: "\n")
        #expect(text.contains("terminal too small: need 80×24, have 60×20 — q quits"))
        #expect(text.contains("running 04:12, 10:48 left of the 15:00 target"))
    }

    @Test
    func monochromeAndASCII() throws {
        var theme = Theme.default.degraded(to: .mono)
        theme.glyphs = .ascii
        let timeline = F.overTarget()
        let grid = try render(F.state(timeline), theme: theme, now: timeline.now, snapshot: "drill-watch-over-80x24-ascii-mono")
        let lines = grid.textLines()
        #expect(lines.allSatisfy { $0.unicodeScalars.allSatisfy(\.isASCII) })
        // Seven segments for 16:30.
        #expect(lines[2].hasPrefix("       _     _   _ "))
        #expect(lines[3].hasPrefix("    | |_  .  _| | |"))
        #expect(lines[4].hasPrefix("    | |_| .  _| |_|"))
        #expect(lines[2].contains(" RUNNING | OVER TARGET "))
        // Over the target reads without colour: bold and reverse.
        #expect(grid[2, 3].style.attributes == [.bold, .reverse])
        #expect(grid[2, 3].style.foreground == .terminalDefault)
    }

    @Test
    func aStoppedDrillThatNeverRecovered() {
        let timeline = DrillTimeline.build(
            drill: F.drill(stoppedAfter: 600), entries: F.opening(), signals: F.alarmed, steps: F.catalog, now: F.at(700))
        let grid = renderDrillWatch(F.state(timeline), theme: .default, now: F.at(700.5))
        let lines = grid.textLines()
        #expect(lines[0].hasPrefix(" breakglass · drill 3 (stopped) · orders-backlog"))
        #expect(lines[2].contains(" NOT RECOVERED "))
        #expect(lines[3].contains("stopped after 10:00; the target was 15:00"))
        #expect(lines[4].contains("stopped 08:10:00 UTC by fac"))
        #expect(grid[2, 2].style == Theme.default[.stateAlarm])
    }

    @Test
    func logColoursComeFromWhatHappenedNotFromWordsInNames() throws {
        let entries = [
            F.entry(1, 6, "incident.opened", by: "watch", incident: "7", detail: "failed-logins in ALARM"),
            F.entry(2, 7, "aws.outcome", runbook: "sqs-flush", step: "4/1", outcome: "outcome-unknown", detail: ": timed out"),
            F.entry(3, 8, "access.denied", role: "failed-role"),
        ]
        let timeline = DrillTimeline.build(drill: F.drill(), entries: entries, signals: DrillSignals(), now: F.at(10))
        let grid = renderDrillWatch(F.state(timeline, size: F.large), theme: .default, now: F.at(10))
        let lines = grid.textLines()
        let opened = try #require(row(lines, containing: "incident 7 opened: failed-logins in ALARM"))
        let unknown = try #require(row(lines, containing: "call outcome-unknown"))
        let denied = try #require(row(lines, containing: "was refused role failed-role"))
        #expect(style(grid, at: "incident 7", row: opened) == Theme.default[.text])
        #expect(style(grid, at: "call", row: unknown) == Theme.default[.error])
        #expect(style(grid, at: "was refused", row: denied) == Theme.default[.error])
    }

    @Test
    func theRunningClockCountsBetweenLoads() {
        let timeline = F.running()
        let state = F.state(timeline)
        let later = renderDrillWatch(state, theme: .default, now: F.at(255)).textLines()
        #expect(later[3].contains("10:45 left of the 15:00 target"))
        #expect(later[6].contains("01:55 on it"))
        // A clock behind the snapshot's never runs the drill's clock backwards.
        #expect(renderDrillWatch(state, theme: .default, now: F.at(200)).textLines()[3].contains("10:48 left"))
    }

    @Test
    func scrolledBackTheLogSaysWhatIsBelow() {
        let timeline = F.running()
        var state = F.state(timeline)
        _ = state.handle(.key(.up), now: timeline.now)
        _ = state.handle(.key(.up), now: timeline.now)
        let lines = renderDrillWatch(state, theme: .default, now: timeline.now).textLines()
        let header = lines[state.layout.logHeaderRow]
        #expect(header.hasPrefix(" Event log · 13 events · 2 newer below — End shows the newest"))
        #expect(lines[state.layout.logTop + state.layout.logRows - 1].contains("sends sqs.PurgeQueue"))
    }

    @Test
    func theHelpListsEveryKeyFromTheTable() {
        let timeline = F.running()
        var state = F.state(timeline)
        _ = state.handle(.key(.char("?")), now: timeline.now)
        let text = renderDrillWatch(state, theme: .default, now: timeline.now).textLines().joined(separator: "\n")
        #expect(text.contains("Help — Esc or ? closes"))
        for binding in DrillWatchKeys.bindings { #expect(text.contains(binding.label + " ")) }
    }

    @Test
    func beforeTheFirstLoadAndWhenLoadsFail() {
        var state = DrillWatchState(size: F.small)
        #expect(renderDrillWatch(state, theme: .default, now: F.t0).textLines().contains { $0.contains("Loading the drill…") })
        _ = state.handle(.loadFailed("database is locked\u{1B}[31m"), now: F.t0)
        let failed = renderDrillWatch(state, theme: .default, now: F.t0).textLines()
        #expect(failed.contains { $0.contains("Could not read the drill: database is locked[31m") })
        // Once a snapshot is on screen, a failed reload keeps it, says so and marks it stale.
        state = F.state(F.running())
        _ = state.handle(.loadFailed("database is locked"), now: F.at(260))
        let stale = renderDrillWatch(state, theme: .default, now: F.at(260)).textLines()
        #expect(stale[23].hasPrefix(" could not update the drill: database is locked"))
        #expect(stale[0].contains(" not updated for 8s "))
    }

    @Test
    func bigDigitsFaces() {
        #expect(BigDigits.lines("10:42", ascii: false) == ["▄█  █▀█ ▄ █ █ ▀▀█", " █  █ █ ▄ ▀▀█ █▀▀", "▀▀▀ ▀▀▀     ▀ ▀▀▀"])
        #expect(BigDigits.lines("10:42", ascii: true) == ["     _         _ ", "  | | | . |_|  _|", "  | |_| .   | |_ "])
        #expect(BigDigits.width("1:02:05", ascii: false) == 7 * 3 - 4 + 6)
    }
}
