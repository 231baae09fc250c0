import BreakglassCore
import BreakglassTestSupport
@testable import BreakglassTUI
import Foundation
import Testing

// MARK: Fixtures

/// `count` entries numbered from `from`, a few kinds, each ten seconds after the one before.
func auditRows(_ count: Int, from: Int64 = 1) -> [AuditRow] {
    (0..<count).map { i in
        let seq = from + Int64(i)
        switch i % 4 {
        case 0: return auditRow(seq, "incident.opened", at: Double(seq) * 10 - 3000, detail: "prod-api in ALARM (severity 1): rule prod-*, plan default, severity 1")
        case 1: return auditRow(seq, "page.delivered", at: Double(seq) * 10 - 3000, outcome: "delivered", detail: "trigger to Primary via sns (arn:aws:sns:us-east-1:123456789012:primary), attempt 1")
        case 2: return auditRow(seq, "aws.outcome", at: Double(seq) * 10 - 3000, actor: "alice@10.0.0.5", incident: nil, outcome: "succeeded", detail: "autoscaling SetDesiredCapacity us-east-1 request 5f2c")
        default: return auditRow(seq, "note", at: Double(seq) * 10 - 3000, actor: "bob", detail: "customer confirmed recovery")
        }
    }
}

func auditEffects(_ effects: [ConsoleEffect]) -> [AuditEffect] {
    effects.compactMap { if case .audit(let e) = $0 { e } else { nil } }
}

/// The console on the audit screen, its source wired, after the first tail and verification.
func auditState(
    _ rows: [AuditRow] = auditRows(30), size: TerminalSize = TerminalSize(width: 80, height: 24),
    verification: AuditVerification? = AuditVerification(entries: 30, lastSeq: 30)
) -> ConsoleState {
    var state = loadedState(mixedAlarms(), size: size, identity: "AKIAIOSFODNN7EXAMPLE @ 127.0.0.1:5000")
    state.auditConnect(available: true)
    _ = reduce(&state, .key(.char("5")), now: fixedNow)
    _ = reduce(&state, .tick, now: fixedNow)
    _ = reduce(&state, .audit(.tail(rows, after: nil)), now: fixedNow)
    if let verification { _ = reduce(&state, .audit(.verified(verification)), now: fixedNow) }
    return state
}

// MARK: Reducer

@Suite("Audit screen: keys, tail and verification")
struct AuditReducerTests {
    @Test
    func tailsAndVerifiesOnlyWhileShownVerifyingAtMostEveryTenSeconds() {
        var state = loadedState(mixedAlarms())
        state.auditConnect(available: true)
        #expect(auditEffects(reduce(&state, .tick, now: fixedNow)).isEmpty, "not shown: nothing read")
        _ = reduce(&state, .key(.char("5")), now: fixedNow)
        #expect(auditEffects(reduce(&state, .tick, now: fixedNow)) == [.tail(after: nil, limit: 500), .verify])
        #expect(auditEffects(reduce(&state, .tick, now: fixedNow.addingTimeInterval(2))).isEmpty, "one of each at a time")
        _ = reduce(&state, .audit(.tail(auditRows(3), after: nil)), now: fixedNow.addingTimeInterval(2))
        _ = reduce(&state, .audit(.verified(AuditVerification(entries: 3, lastSeq: 3))), now: fixedNow.addingTimeInterval(2))
        #expect(auditEffects(reduce(&state, .tick, now: fixedNow.addingTimeInterval(3))) == [.tail(after: 3, limit: 500)])
        _ = reduce(&state, .audit(.unchanged), now: fixedNow.addingTimeInterval(3))
        #expect(auditEffects(reduce(&state, .tick, now: fixedNow.addingTimeInterval(9.9))) == [.tail(after: 3, limit: 500)])
        _ = reduce(&state, .audit(.unchanged), now: fixedNow.addingTimeInterval(9.9))
        #expect(auditEffects(reduce(&state, .tick, now: fixedNow.addingTimeInterval(10.9))) == [.tail(after: 3, limit: 500), .verify])
        _ = reduce(&state, .audit(.verificationUnchanged), now: fixedNow.addingTimeInterval(11))
        #expect(state.audit.verification == AuditVerification(entries: 3, lastSeq: 3) && state.audit.checkedAt == fixedNow.addingTimeInterval(11))
        _ = reduce(&state, .audit(.failed("disk I/O error")), now: fixedNow.addingTimeInterval(11))
        #expect(state.audit.poll.nextPollAt == fixedNow.addingTimeInterval(13), "backs off")
        _ = reduce(&state, .key(.char("1")), now: fixedNow.addingTimeInterval(14))
        #expect(auditEffects(reduce(&state, .tick, now: fixedNow.addingTimeInterval(30))).isEmpty)
    }

    @Test
    func followsNewEntriesUntilThePersonMovesUp() {
        var state = auditState()
        #expect(state.audit.selectedIndex == 29 && state.audit.follow)
        _ = reduce(&state, .audit(.tail(auditRows(2, from: 31), after: 30)), now: fixedNow)
        #expect(state.audit.selectedRow?.seq == 32)
        _ = reduce(&state, .key(.char("k")), now: fixedNow)
        #expect(!state.audit.follow && state.audit.selectedRow?.seq == 31)
        _ = reduce(&state, .audit(.tail(auditRows(2, from: 33), after: 32)), now: fixedNow)
        #expect(state.audit.selectedRow?.seq == 31, "stays where the person is")
        _ = reduce(&state, .audit(.tail(auditRows(1, from: 33), after: 32)), now: fixedNow)
        #expect(state.audit.rows.count == 34, "an entry already shown is not added twice")
        _ = reduce(&state, .key(.char("G")), now: fixedNow)
        #expect(state.audit.follow && state.audit.selectedRow?.seq == 34)
        _ = reduce(&state, .key(.char("g")), now: fixedNow)
        #expect(!state.audit.follow && state.audit.selectedRow?.seq == 1)
        _ = reduce(&state, .key(.pageDown), now: fixedNow)
        #expect(state.audit.selectedRow?.seq == 20)
        _ = reduce(&state, .key(.pageUp), now: fixedNow)
        #expect(state.audit.selectedRow?.seq == 1)
        _ = reduce(&state, .key(.char("j")), now: fixedNow)
        #expect(state.audit.selectedRow?.seq == 2)
    }

    @Test
    func keepsAtMostTheNewestTwoThousandAndAFullBatchAsksAgain() {
        var state = auditState(auditRows(500))
        #expect(auditEffects(reduce(&state, .tick, now: fixedNow.addingTimeInterval(0.5))).isEmpty, "the first answer is the newest, not a batch to follow")
        for batch in 0..<4 {
            _ = reduce(&state, .tick, now: fixedNow.addingTimeInterval(Double(batch + 1) * 20))
            _ = reduce(&state, .audit(.tail(auditRows(500, from: Int64(501 + batch * 500)), after: Int64(500 + batch * 500))), now: fixedNow.addingTimeInterval(Double(batch + 1) * 20))
            #expect(state.audit.poll.due, "a full batch may have more behind it")
        }
        #expect(state.audit.rows.count == 2000 && state.audit.rows.first?.seq == 501 && state.audit.selectedRow?.seq == 2500)
    }

    @Test
    func enterShowsOneEntryWholeAndEscGoesBack() {
        var state = auditState(size: TerminalSize(width: 80, height: 24))
        _ = reduce(&state, .key(.char("k")), now: fixedNow)
        _ = reduce(&state, .key(.enter), now: fixedNow)
        #expect(state.audit.entrySeq == 29 && state.availableActions.contains(.back))
        _ = reduce(&state, .key(.char("j")), now: fixedNow)
        #expect(state.audit.entryOffset == 0, "the entry fits: nothing to scroll")
        _ = reduce(&state, .key(.escape), now: fixedNow)
        #expect(state.audit.entrySeq == nil && state.view == .audit)
        #expect(state.audit.selectedRow?.seq == 29)
        _ = reduce(&state, .key(.escape), now: fixedNow)
        #expect(state.view == .alarms)
    }

    @Test
    func aLongEntryScrolls() {
        var row = auditRow(1, "aws.intent", detail: String(repeating: "a long parameter value ", count: 120))
        row.fields.append(AuditField("Parameters", String(repeating: "{\"Key\":\"Value\"} ", count: 80)))
        var state = auditState([row])
        _ = reduce(&state, .key(.enter), now: fixedNow)
        _ = reduce(&state, .key(.char("j")), now: fixedNow)
        #expect(state.audit.entryOffset == 1)
        _ = reduce(&state, .key(.char("G")), now: fixedNow)
        let bottom = state.audit.entryOffset
        #expect(bottom > 10)
        _ = reduce(&state, .key(.pageDown), now: fixedNow)
        #expect(state.audit.entryOffset == bottom)
        _ = reduce(&state, .key(.char("g")), now: fixedNow)
        #expect(state.audit.entryOffset == 0)
    }

    @Test
    func capitalRReadsAndVerifiesNow() {
        var state = auditState()
        _ = reduce(&state, .audit(.unchanged), now: fixedNow)
        #expect(auditEffects(reduce(&state, .key(.char("R")), now: fixedNow.addingTimeInterval(0.1))) == [.tail(after: 30, limit: 500), .verify])
    }

    @Test
    func aConsoleWithoutASourceStopsAsking() {
        var state = auditState(verification: nil)
        _ = reduce(&state, .audit(.unavailable), now: fixedNow)
        #expect(state.audit.poll.mode == .unavailable)
        #expect(auditEffects(reduce(&state, .tick, now: fixedNow.addingTimeInterval(60))).isEmpty)
    }
}

// MARK: Rendering

@Suite("Audit screen: rendering")
struct AuditRenderTests {
    static let sizes = [TerminalSize(width: 80, height: 24), TerminalSize(width: 120, height: 40)]

    @discardableResult
    func render(_ state: ConsoleState, snapshot: String, theme: Theme = .default) throws -> CellGrid {
        let grid = renderConsole(state, theme: theme, now: fixedNow)
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
    func theTailNewestAtTheBottom(_ size: TerminalSize) throws {
        let state = auditState(size: size)
        let grid = try render(state, snapshot: "console-audit-tail")
        let lines = grid.textLines()
        #expect(lines[2].hasPrefix(" chain verified: 30 entries, last #30 · checked 22:13:20"))
        #expect(lines[2].hasSuffix(" following "))
        #expect(grid[2, 2].style == Theme.default[.stateOK])
        #expect(lines.contains { $0.hasPrefix(size.width >= 100 ? "> 30  21:28:20" : "> 30 21:28:20") })
        #expect(lines[4].hasPrefix(size.height >= 40 ? "   1" : "  12"), "as many of the newest as fit")
    }

    @Test(arguments: sizes)
    func oneEntryWhole(_ size: TerminalSize) throws {
        var state = auditState(size: size)
        for _ in 0..<3 { _ = reduce(&state, .key(.char("k")), now: fixedNow) }
        _ = reduce(&state, .key(.enter), now: fixedNow)
        let grid = try render(state, snapshot: "console-audit-entry")
        let text = grid.textLines().joined(separator: "\n")
        #expect(text.contains("Entry #27 — Esc: back"))
        #expect(text.contains("Outcome        succeeded"))
    }

    @Test(arguments: sizes)
    func aBrokenChainSaysWhereInTheErrorStyle(_ size: TerminalSize) throws {
        var state = auditState(size: size)
        _ = reduce(&state, .key(.char("k")), now: fixedNow)
        _ = reduce(
            &state,
            .audit(.verified(AuditVerification(entries: 30, lastSeq: 30, problem: "entry 17 was edited: its hash does not match its contents", problemSeq: 17))),
            now: fixedNow)
        let grid = try render(state, snapshot: "console-audit-broken")
        #expect(grid.rowText(2).hasPrefix(" chain NOT INTACT: entry 17 was edited: its hash does not match its contents"))
        #expect(grid[2, 2].style == Theme.default[.error])
        #expect(grid.rowText(2).hasSuffix(size.width >= 100 ? " paused · G follows " : "… "), "the verdict comes first")
    }

    @Test(arguments: sizes)
    func emptyAndVerifying(_ size: TerminalSize) throws {
        let state = auditState([], size: size, verification: nil)
        let grid = try render(state, snapshot: "console-audit-empty")
        #expect(grid.rowText(2).hasPrefix(" verifying the chain…"))
        #expect(grid.rowText(5).hasPrefix("  The audit trail is empty: nothing has been recorded yet."))
    }

    @Test(arguments: sizes)
    func unavailableSaysWhy(_ size: TerminalSize) throws {
        var state = loadedState(mixedAlarms(), size: size)
        state.auditConnect(available: false)
        _ = reduce(&state, .key(.char("5")), now: fixedNow)
        let grid = try render(state, snapshot: "console-audit-unavailable")
        let text = grid.textLines().joined(separator: " ")
        #expect(text.contains("The audit trail is unavailable."))
        #expect(text.contains("--state FILE to follow the trail here."))
    }

    @Test
    func aFailingTailAndAVerificationThatCouldNotRun() throws {
        var state = auditState(size: TerminalSize(width: 120, height: 40))
        _ = reduce(&state, .audit(.failed("disk I/O error")), now: fixedNow)
        _ = reduce(&state, .audit(.verificationFailed("database disk image is malformed")), now: fixedNow)
        let grid = renderConsole(state, theme: .default, now: fixedNow)
        #expect(grid.rowText(2).hasPrefix(" chain not verified: database disk image is malformed"))
        #expect(grid.rowText(38) == TerminalText.pad(" could not read the trail: disk I/O error — retrying in 2s", toWidth: 120))
        #expect(grid[1, 38].style == Theme.default[.error])
    }

    @Test
    func hostileTextIsInert() throws {
        let rows = [
            auditRow(1, "note\u{1B}[2J", actor: "\u{1B}]0;owned\u{07}mallory", incident: "\u{202E}12", outcome: "\u{9B}31m", detail: "漢字🔥\u{1B}[1A\u{1B}[2K\r\nforged line"),
        ]
        var state = auditState(rows, verification: AuditVerification(entries: 1, lastSeq: 1, problem: "entry 1 \u{1B}[5mwas edited", problemSeq: 1))
        var grid = try render(state, snapshot: "console-audit-hostile")
        #expect(grid.rowText(4).contains("漢字🔥[1A[2K forged line"))
        _ = reduce(&state, .key(.enter), now: fixedNow)
        grid = renderConsole(state, theme: .default, now: fixedNow)
        let text = grid.textLines().joined(separator: "\n")
        #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x9B || (0x202A...0x202E).contains($0.value) })
        #expect(text.contains("Detail         漢字🔥[1A[2K forged line"))
    }
}

// MARK: The source on a real store

@Suite("Audit screen: the store source")
struct AuditSourceTests {
    @Test
    func tailsNewEntriesAndVerifiesTheChainAsAuditVerifyDoes() throws {
        let home = try TemporaryHome()
        let store = try Store.open(path: home.path + "/state/state.db")
        let log = AuditLog(store: store, clock: { fixedNow })
        let source = AuditSource.shared(AuditConsoleFeed(log: log))
        #expect(try source.tail(nil, 500) == [])
        #expect(try source.verify() == AuditVerification(entries: 0, lastSeq: nil))
        for i in 1...5 {
            try log.append(AuditDraft(kind: "note", actor: AuditActor(user: "alice", sshClient: "10.0.0.5"), context: AuditContext(incident: "12"), detail: "note \(i)"))
        }
        let first = try #require(try source.tail(nil, 3))
        #expect(first.map(\.seq) == [3, 4, 5], "the newest, oldest first")
        #expect(first.last?.actor == "alice@10.0.0.5" && first.last?.context == "12" && first.last?.what == "note 5" && first.last?.time == "22:13:20")
        #expect(first.last?.fields.contains(AuditField("Detail", "note 5")) == true)
        #expect(try source.tail(5, 3) == nil, "nothing committed since")
        try log.append(AuditDraft(kind: "note", actor: AuditActor(user: "bob"), context: AuditContext(), detail: "note 6"))
        #expect(try source.tail(5, 3)?.map(\.seq) == [6])
        // Behind by more than a batch: a full answer is followed up even if nothing else was committed.
        #expect(try source.tail(0, 3)?.map(\.seq) == [1, 2, 3])
        #expect(try source.tail(3, 3)?.map(\.seq) == [4, 5, 6])
        #expect(try source.tail(6, 3) == [])

        #expect(try source.verify() == AuditVerification(entries: 6, lastSeq: 6))
        #expect(try source.verify() == nil, "nothing committed: the verdict stands")
        // Someone edits an entry in place behind Breakglass's back.
        _ = try store.write { c in try c.query("UPDATE audit SET detail = 'all fine' WHERE seq = 3") }
        let broken = try #require(try source.verify())
        #expect(broken.problemSeq == 3 && broken.problem == "entry 3 was edited: its hash does not match its contents")
    }
}
