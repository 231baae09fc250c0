import BreakglassCore
@testable import BreakglassTUI
import Foundation
import Testing

@Suite("Console reducer")
struct ConsoleReducerTests {
    // 30 alarms at 80×24: the list shows 18 rows (rows 4 to 21, under the tabs, counts and header).
    @Test(arguments: [
        (0, Key.char("j"), 1, [ConsoleEffect]()),
        (0, .down, 1, []),
        (5, .char("k"), 4, []),
        (5, .up, 4, []),
        (0, .char("k"), 0, []),
        (29, .char("j"), 29, []),
        (0, .char("G"), 29, []),
        (0, .end, 29, []),
        (20, .char("g"), 0, []),
        (20, .home, 0, []),
        (0, .pageDown, 18, []),
        (0, .ctrl("f"), 18, []),
        (25, .pageDown, 29, []),
        (25, .pageUp, 7, []),
        (25, .ctrl("b"), 7, []),
        (5, .pageUp, 0, []),
        (7, .escape, 7, []),
        (7, .char("x"), 7, []),
        (7, .char("/"), 7, []),
        (7, .resize, 7, []),
        (7, .char("q"), 7, [.quit]),
        (7, .char("R"), 7, [.startRefresh]),
        (7, .ctrl("l"), 7, [.redraw]),
    ])
    func keys(_ start: Int, _ key: Key, _ expectedSelection: Int, _ expectedEffects: [ConsoleEffect]) {
        var state = loadedState(okAlarms(30))
        state.select(start)
        let effects = reduce(&state, .key(key), now: fixedNow)
        #expect(effects == expectedEffects)
        #expect(state.selectedIndex == expectedSelection)
        #expect(state.selectedID == AlarmID(state.alarms[expectedSelection]))
        let visible = state.scrollOffset..<(state.scrollOffset + state.layout.listHeight)
        #expect(visible.contains(expectedSelection))
    }

    @Test
    func escapeNeverQuitsAndOnlyDismissesTheBanner() {
        #expect(Keymap.console.action(for: .escape, view: .alarms) == .back)
        var state = loadedState(okAlarms(3))
        #expect(reduce(&state, .key(.escape), now: fixedNow).isEmpty)
        #expect(state.selectedIndex == 0)
    }

    @Test
    func firstTickStartsARefreshAndTheGuardPreventsOverlap() {
        var state = ConsoleState(identity: "me", regions: ["us-east-1"], size: TerminalSize(width: 80, height: 24), now: fixedNow)
        #expect(state.refresh == .neverLoaded)
        // Other screens may start their own first loads on the first tick.
        #expect(reduce(&state, .tick, now: fixedNow).filter { $0 == .startRefresh } == [.startRefresh])
        #expect(state.refreshInFlight)
        #expect(state.refresh == .loading)
        #expect(!reduce(&state, .tick, now: fixedNow.addingTimeInterval(20)).contains(.startRefresh))
        #expect(reduce(&state, .key(.char("R")), now: fixedNow.addingTimeInterval(21)).isEmpty)
        #expect(reduce(&state, .alarmsLoaded([]), now: fixedNow.addingTimeInterval(22)).isEmpty)
        #expect(!state.refreshInFlight)
        #expect(state.refresh == .loaded(at: fixedNow.addingTimeInterval(22)))
        #expect(state.nextRefreshAt == fixedNow.addingTimeInterval(37))
    }

    @Test(arguments: [
        (0.0, [ConsoleEffect]()),
        (14.999, []),
        (15.0, [.startRefresh]),
        (100.0, [.startRefresh]),
    ])
    func tickStartsARefreshWhenDue(_ after: TimeInterval, _ expected: [ConsoleEffect]) {
        var state = loadedState(okAlarms(2))
        #expect(reduce(&state, .tick, now: fixedNow.addingTimeInterval(after)) == expected)
        #expect(state.refreshInFlight == !expected.isEmpty)
    }

    @Test(arguments: [(1, 30.0), (2, 60.0), (3, 120.0), (4, 240.0), (5, 300.0), (6, 300.0), (40, 300.0)])
    func failuresBackOffExponentiallyUpToFiveMinutes(_ failures: Int, _ delay: TimeInterval) {
        var state = loadedState(okAlarms(2))
        var now = fixedNow
        for _ in 0..<failures {
            now = state.nextRefreshAt
            #expect(reduce(&state, .tick, now: now) == [.startRefresh])
            _ = reduce(&state, .alarmsFailed("ThrottlingException: Rate exceeded"), now: now)
        }
        #expect(state.consecutiveFailures == failures)
        #expect(state.nextRefreshAt == now.addingTimeInterval(delay))
        #expect(reduce(&state, .tick, now: now.addingTimeInterval(delay - 1)).isEmpty)
        #expect(state.alarms.count == 2, "the last good list is kept")
        guard case .failed(let message, let at, let lastLoaded) = state.refresh else {
            Issue.record("expected a failed status, got \(state.refresh)")
            return
        }
        #expect(message == "ThrottlingException: Rate exceeded")
        #expect(at == now)
        #expect(lastLoaded == fixedNow)

        _ = reduce(&state, .tick, now: state.nextRefreshAt)
        _ = reduce(&state, .alarmsLoaded(okAlarms(3)), now: state.nextRefreshAt)
        #expect(state.consecutiveFailures == 0)
        #expect(state.retryDelay == 15)
    }

    @Test
    func backoffNeverShortensALongInterval() {
        var state = ConsoleState(identity: "", regions: [], refreshInterval: 600, size: TerminalSize(width: 80, height: 24), now: fixedNow)
        _ = reduce(&state, .tick, now: fixedNow)
        _ = reduce(&state, .alarmsFailed("boom"), now: fixedNow)
        #expect(state.nextRefreshAt == fixedNow.addingTimeInterval(600))
    }

    @Test
    func manualRefreshSkipsTheBackoffWait() {
        var state = loadedState([])
        _ = reduce(&state, .tick, now: state.nextRefreshAt)
        _ = reduce(&state, .alarmsFailed("boom"), now: fixedNow.addingTimeInterval(15))
        #expect(reduce(&state, .key(.char("R")), now: fixedNow.addingTimeInterval(16)) == [.startRefresh])
    }

    @Test
    func aRefreshWithNoAnswerIsAbandonedAfterTheTimeout() {
        var state = loadedState(okAlarms(2))
        let started = state.nextRefreshAt
        _ = reduce(&state, .tick, now: started)
        #expect(reduce(&state, .tick, now: started.addingTimeInterval(59)).isEmpty)
        #expect(reduce(&state, .tick, now: started.addingTimeInterval(60)) == [.cancelRefresh])
        #expect(!state.refreshInFlight)
        #expect(state.consecutiveFailures == 1)
        guard case .failed(let message, _, _) = state.refresh else {
            Issue.record("expected failed")
            return
        }
        #expect(message == "no answer after 1m00s")
    }

    @Test
    func alarmsAreSortedOnLoad() {
        let state = loadedState([alarm("b-ok", .ok), alarm("a-insuf", .insufficientData), alarm("old-alarm", .alarm, ago: 900), alarm("new-alarm", .alarm, ago: 5)])
        #expect(state.alarms.map(\.name) == ["new-alarm", "old-alarm", "a-insuf", "b-ok"])
        #expect(state.counts == AlarmCounts(alarm: 2, insufficientData: 1, ok: 1))
    }

    @Test
    func selectionFollowsTheAlarmAcrossRefreshes() {
        var state = loadedState([alarm("a", .ok, ago: 10), alarm("b", .ok, ago: 20), alarm("c", .ok, ago: 30)])
        _ = reduce(&state, .key(.char("j")), now: fixedNow)
        #expect(state.selectedAlarm?.name == "b")
        let reloaded = [
            alarm("new-fire", .alarm, ago: 1), alarm("a", .ok, ago: 10), alarm("another", .insufficientData),
            alarm("b", .ok, ago: 20), alarm("c", .ok, ago: 30),
        ]
        _ = reduce(&state, .tick, now: state.nextRefreshAt)
        _ = reduce(&state, .alarmsLoaded(reloaded), now: fixedNow.addingTimeInterval(15))
        #expect(state.selectedAlarm?.name == "b")
        #expect(state.selectedIndex == 3)
    }

    @Test
    func selectionMatchesRegionAsWellAsName() {
        var state = loadedState(
            [alarm("dup", .ok, ago: 10, region: "eu-west-1"), alarm("dup", .ok, ago: 20, region: "us-east-1")],
            regions: ["us-east-1", "eu-west-1"])
        _ = reduce(&state, .key(.char("j")), now: fixedNow)
        #expect(state.selectedID == AlarmID(name: "dup", region: "us-east-1"))
        _ = reduce(&state, .alarmsLoaded([alarm("dup", .ok, ago: 30, region: "eu-west-1"), alarm("dup", .ok, ago: 20, region: "us-east-1")]), now: fixedNow)
        #expect(state.selectedIndex == 0)
        #expect(state.selectedAlarm?.region == "us-east-1")
    }

    @Test(arguments: [(3, 10, 3), (9, 10, 9), (12, 10, 9), (0, 0, nil)] as [(Int, Int, Int?)])
    func aVanishedSelectionStaysAtTheSamePosition(_ selected: Int, _ remaining: Int, _ expected: Int?) {
        var state = loadedState(okAlarms(20))
        state.select(selected)
        _ = reduce(&state, .alarmsLoaded(okAlarms(20).dropFirst(20 - remaining).map { var a = $0; a.name += "-renamed"; return a }), now: fixedNow)
        #expect(state.selectedIndex == expected)
        #expect(state.selectedID == expected.map { AlarmID(state.alarms[$0]) })
    }

    @Test
    func scrollingKeepsTheSelectionVisible() {
        var state = loadedState(okAlarms(100))
        #expect(state.layout.listHeight == 18)
        _ = reduce(&state, .key(.char("G")), now: fixedNow)
        #expect(state.scrollOffset == 82)
        _ = reduce(&state, .key(.char("g")), now: fixedNow)
        #expect(state.scrollOffset == 0)
        for _ in 0..<18 { _ = reduce(&state, .key(.down), now: fixedNow) }
        #expect(state.selectedIndex == 18)
        #expect(state.scrollOffset == 1)
        for _ in 0..<5 { _ = reduce(&state, .key(.up), now: fixedNow) }
        #expect(state.scrollOffset == 1)
    }

    @Test(arguments: [
        // (start size, selection, new size, expected scroll)
        (TerminalSize(width: 120, height: 40), 30, TerminalSize(width: 80, height: 24), 13),
        (TerminalSize(width: 80, height: 24), 99, TerminalSize(width: 120, height: 40), 69),
        (TerminalSize(width: 80, height: 24), 0, TerminalSize(width: 200, height: 60), 0),
    ])
    func resizeKeepsTheSelectionVisibleWithoutBlankSpace(_ from: TerminalSize, _ selection: Int, _ to: TerminalSize, _ scroll: Int) {
        var state = loadedState(okAlarms(100), size: from)
        state.select(selection)
        _ = reduce(&state, .resize(width: to.width, height: to.height), now: fixedNow)
        #expect(state.scrollOffset == scroll)
        #expect(state.selectedIndex == selection)
    }

    @Test
    func tooSmallOnlyQuitsAndRefreshes() {
        var state = loadedState(okAlarms(10))
        _ = reduce(&state, .resize(width: 60, height: 20), now: fixedNow)
        #expect(state.layout.isTooSmall)
        #expect(reduce(&state, .key(.char("j")), now: fixedNow).isEmpty)
        #expect(state.selectedIndex == 0)
        #expect(reduce(&state, .key(.char("R")), now: fixedNow) == [.startRefresh])
        #expect(reduce(&state, .key(.char("q")), now: fixedNow) == [.quit])
    }

    @Test(arguments: [
        ("first load with alarms firing does not ring", false, [ConsoleEffect]()),
        ("a new ALARM rings", true, [.bell]),
    ])
    func bellForNewAlarms(_ name: String, _ secondLoad: Bool, _ expected: [ConsoleEffect]) {
        var state = ConsoleState(identity: "", regions: [], size: TerminalSize(width: 80, height: 24), now: fixedNow)
        _ = reduce(&state, .tick, now: fixedNow)
        var effects = reduce(&state, .alarmsLoaded([alarm("x", .alarm), alarm("y", .ok)]), now: fixedNow)
        if secondLoad {
            effects = reduce(&state, .alarmsLoaded([alarm("x", .alarm), alarm("y", .alarm)]), now: fixedNow)
        }
        #expect(effects == expected)
    }

    @Test
    func stillFiringAlarmsDoNotRingAgain() {
        var state = loadedState([alarm("x", .alarm)])
        #expect(reduce(&state, .alarmsLoaded([alarm("x", .alarm, ago: 100)]), now: fixedNow).isEmpty)
    }

    @Test
    func everyActionHasAKeyAndFooterHintsFollowTheTable() {
        let bound = Set(Keymap.console.bindings.map(\.action))
        #expect(bound == Set(ConsoleAction.allCases))
        #expect(Keymap.console.footerHints(view: .alarms).map(\.key) == ["/", "s", "q", "?", ":"])
        #expect(Keymap.console.footerHints(view: .alarms, available: [.back]).map(\.key).prefix(2) == ["Esc", "/"])
        #expect(Keymap.console.footerHints(view: .alarms, available: [.back, .acknowledge]).map(\.key).prefix(3) == ["a", "Esc", "/"])
        #expect(Keymap.console.footerHints(view: .alarms, guided: true).map(\.key) == ["Enter", "h", "q"])
        #expect(Keymap.console.bindings.first { $0.action == .moveDown }?.keysLabel == "j/Down")
    }

    @Test
    func sessionWakesAtTheNextSecondOrRefresh() {
        let now = Date(timeIntervalSince1970: 1_700_000_000.25)
        var session = ConsoleSession(
            options: ConsoleOptions(identity: "", regions: []), size: TerminalSize(width: 80, height: 24),
            theme: .default, now: now)
        #expect(session.nextWakeup(after: now) == now, "the first refresh is due at once")
        _ = session.handle(.tick, now: now)
        #expect(session.nextWakeup(after: now) == Date(timeIntervalSince1970: 1_700_000_001))
        _ = session.handle(.alarmsLoaded([]), now: now)
        #expect(session.nextWakeup(after: now.addingTimeInterval(14.9)) == now.addingTimeInterval(15))
    }
}
