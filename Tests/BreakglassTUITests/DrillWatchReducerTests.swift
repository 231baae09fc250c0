import BreakglassCore
@testable import BreakglassTUI
import Foundation
import Testing

/// A drill with `count` events in its log (alarms at one-second steps), for scrolling.
private func busyTimeline(events count: Int, now: TimeInterval = 600) -> DrillTimeline {
    var alarmed: [String: Date] = [:]
    // The start line counts as one event.
    for i in 1..<count { alarmed[String(format: "alarm-%02d", i)] = WatchFixture.at(TimeInterval(i)) }
    return DrillTimeline.build(drill: WatchFixture.drill(), entries: [], signals: DrillSignals(alarmedAt: alarmed), now: WatchFixture.at(now))
}

@Suite("Drill watch: reducer")
struct DrillWatchReducerTests {
    typealias F = WatchFixture

    enum Start: String, Sendable {
        /// 40 events at 80×24: 8 log rows (a page is 7), so the log scrolls back up to 32.
        case loaded
        case tooSmall
    }

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var start: Start = .loaded
        var keys: [Key]
        var effects: [DrillWatchEffect] = []
        /// The note field's text after the keys; nil: closed.
        var note: String?
        var scroll = 0
        var help = false
        var description: String { name }
    }

    static let cases: [Case] = [
        // The view's keys.
        Case(name: "n opens an empty note field", keys: [.char("n")], note: ""),
        Case(name: "q quits", keys: [.char("q")], effects: [.quit]),
        Case(name: "Q quits", keys: [.char("Q")], effects: [.quit]),
        Case(name: "Esc alone does nothing, never quits", keys: [.escape]),
        Case(name: "? opens the help", keys: [.char("?")], help: true),
        Case(name: "? again closes it", keys: [.char("?"), .char("?")]),
        Case(name: "Esc closes the help", keys: [.char("?"), .escape]),
        Case(name: "q quits from the help", keys: [.char("?"), .char("q")], effects: [.quit], help: true),
        Case(name: "another key closes the help and does its work", keys: [.char("?"), .up], scroll: 1),
        Case(name: "Up scrolls one line back", keys: [.up], scroll: 1),
        Case(name: "k scrolls one line back", keys: [.char("k")], scroll: 1),
        Case(name: "Down scrolls forward", keys: [.up, .up, .down], scroll: 1),
        Case(name: "j scrolls forward", keys: [.up, .up, .char("j")], scroll: 1),
        Case(name: "Down at the newest stays", keys: [.down], scroll: 0),
        Case(name: "PgUp moves a page less a line", keys: [.pageUp], scroll: 7),
        Case(name: "PgDn comes back", keys: [.pageUp, .pageUp, .pageDown], scroll: 7),
        Case(name: "Home goes to the oldest", keys: [.home], scroll: 32),
        Case(name: "g goes to the oldest", keys: [.char("g")], scroll: 32),
        Case(name: "Up stops at the oldest", keys: [.home, .up], scroll: 32),
        Case(name: "End goes to the newest", keys: [.home, .end], scroll: 0),
        Case(name: "G goes to the newest", keys: [.pageUp, .char("G")], scroll: 0),
        Case(name: "Ctrl-L repaints", keys: [.ctrl("l")], effects: [.redraw]),
        Case(name: "an unbound key does nothing", keys: [.char("x"), .tab, .function(5)]),
        // The note field's keys.
        Case(name: "Enter adds the note", keys: [.char("n"), .char("h"), .char("i"), .enter], effects: [.addNote("hi")]),
        Case(name: "q, n and ? are typed into the note", keys: [.char("n"), .char("q"), .char("n"), .char("?")], note: "qn?"),
        Case(name: "Esc cancels the note", keys: [.char("n"), .char("a"), .escape]),
        Case(name: "Esc backs out of the note, then q quits", keys: [.char("n"), .char("a"), .escape, .char("q")], effects: [.quit]),
        Case(name: "Backspace deletes", keys: [.char("n"), .char("a"), .char("b"), .backspace], note: "a"),
        Case(name: "Backspace on an empty note keeps the field", keys: [.char("n"), .backspace], note: ""),
        Case(name: "Ctrl-U clears", keys: [.char("n"), .char("a"), .char("b"), .ctrl("u")], note: ""),
        Case(name: "Enter on spaces adds nothing", keys: [.char("n"), .char(" "), .char(" "), .enter]),
        Case(name: "the note is trimmed", keys: [.char("n"), .char(" "), .char("x"), .char(" "), .enter], effects: [.addNote("x")]),
        Case(name: "Up scrolls while typing", keys: [.char("n"), .char("a"), .up], note: "a", scroll: 1),
        Case(name: "PgUp scrolls while typing", keys: [.char("n"), .pageUp], note: "", scroll: 7),
        Case(name: "Ctrl-L repaints while typing", keys: [.char("n"), .char("a"), .ctrl("l")], effects: [.redraw], note: "a"),
        Case(name: "Tab is not typed", keys: [.char("n"), .tab], note: ""),
        Case(name: "wide characters are typed whole", keys: [.char("n"), .char("確"), .char("🙂")], note: "確🙂"),
        // Too small: only quitting.
        Case(name: "too small: q quits", start: .tooSmall, keys: [.char("q")], effects: [.quit]),
        Case(name: "too small: n does nothing", start: .tooSmall, keys: [.char("n"), .up, .char("?")]),
    ]

    func start(_ start: Start) -> DrillWatchState {
        var state = F.state(busyTimeline(events: 40))
        if start == .tooSmall { _ = state.handle(.resize(TerminalSize(width: 79, height: 24)), now: F.at(600)) }
        return state
    }

    @Test(arguments: cases)
    func key(_ c: Case) {
        var state = start(c.start)
        #expect(state.layout.logRows == 8 && state.layout.maxScroll == 32)
        var effects: [DrillWatchEffect] = []
        for key in c.keys { effects += state.handle(.key(key), now: F.at(600)) }
        #expect(effects == c.effects)
        #expect(state.note == c.note)
        #expect(state.scroll == c.scroll)
        #expect(state.showingHelp == c.help)
    }

    @Test
    func aNoteIsCappedWithTheBell() {
        var state = start(.loaded)
        _ = state.handle(.key(.char("n")), now: F.at(600))
        for _ in 0..<DrillWatchState.noteLimit { #expect(state.handle(.key(.char("a")), now: F.at(600)).isEmpty) }
        #expect(state.handle(.key(.char("b")), now: F.at(600)) == [.bell])
        #expect(state.note?.count == DrillWatchState.noteLimit)
        #expect(state.message?.isError == true)
    }

    @Test
    func quittingWaitsForANoteBeingSavedUnlessAskedTwice() {
        var state = start(.loaded)
        for key in [Key.char("n"), .char("x"), .enter] { _ = state.handle(.key(key), now: F.at(600)) }
        #expect(state.savingNotes == 1)
        #expect(state.handle(.key(.char("q")), now: F.at(600)).isEmpty)
        #expect(state.quitWhenSaved)
        #expect(state.handle(.noteAdded("x"), now: F.at(601)) == [.quit])

        var impatient = start(.loaded)
        for key in [Key.char("n"), .char("x"), .enter, .char("q")] { _ = impatient.handle(.key(key), now: F.at(600)) }
        #expect(impatient.handle(.key(.char("q")), now: F.at(600)) == [.quit])
    }

    @Test
    func aFailedNoteIsShownNeverQuitsAndComesBackWithN() {
        var state = start(.loaded)
        for key in [Key.char("n"), .char("x"), .enter, .char("q")] { _ = state.handle(.key(key), now: F.at(600)) }
        #expect(state.handle(.noteFailed("x", message: "database is locked"), now: F.at(601)).isEmpty)
        #expect(state.message == ConsoleMessage("could not add the note: database is locked — n brings it back", isError: true))
        #expect(!state.quitWhenSaved)
        _ = state.handle(.key(.char("n")), now: F.at(602))
        #expect(state.note == "x")
        #expect(state.failedNote == nil)
    }

    @Test
    func loadsRunOneAtATimeAboutEverySecond() {
        var state = DrillWatchState(size: F.small)
        #expect(state.handle(.tick, now: F.at(0)) == [.load])
        // None while one runs, however long it takes.
        #expect(state.handle(.tick, now: F.at(0.5)).isEmpty)
        #expect(state.handle(.tick, now: F.at(5)).isEmpty)
        _ = state.handle(.loaded(F.running(now: 5)), now: F.at(5))
        #expect(!state.loading && state.loadedAt == F.at(5))
        // A slow load is followed by the next at once: it was due a second after the last started.
        #expect(state.handle(.tick, now: F.at(5.1)) == [.load])
        _ = state.handle(.loaded(F.running(now: 5.2)), now: F.at(5.2))
        #expect(state.handle(.tick, now: F.at(6)).isEmpty)
        #expect(state.handle(.tick, now: F.at(6.1)) == [.load])
        // A failed load keeps the snapshot and is tried again a second later.
        _ = state.handle(.loadFailed("locked"), now: F.at(6.2))
        #expect(state.timeline == F.running(now: 5.2) && state.loadError == "locked")
        #expect(state.handle(.tick, now: F.at(7)).isEmpty)
        #expect(state.handle(.tick, now: F.at(7.1)) == [.load])
        _ = state.handle(.loaded(F.running(now: 7.1)), now: F.at(7.2))
        #expect(state.loadError == nil)
    }

    @Test
    func aStoredNoteReloadsAtOnceOrRightAfterTheRunningLoad() {
        var state = start(.loaded)
        for key in [Key.char("n"), .char("x"), .enter] { _ = state.handle(.key(key), now: F.at(600)) }
        #expect(state.handle(.noteAdded("x"), now: F.at(600.2)) == [.load])
        #expect(state.message == ConsoleMessage("note added"))
        // While that load runs, a second note waits for it.
        for key in [Key.char("n"), .char("y"), .enter] { _ = state.handle(.key(key), now: F.at(600.3)) }
        #expect(state.handle(.noteAdded("y"), now: F.at(600.4)).isEmpty)
        #expect(state.handle(.loaded(busyTimeline(events: 40)), now: F.at(600.5)) == [.load])
    }

    @Test
    func noticesGoByThemselvesErrorsStayUntilAKey() {
        var state = start(.loaded)
        for key in [Key.char("n"), .char("x"), .enter] { _ = state.handle(.key(key), now: F.at(600)) }
        _ = state.handle(.noteAdded("x"), now: F.at(600))
        _ = state.handle(.tick, now: F.at(604))
        #expect(state.message != nil)
        _ = state.handle(.tick, now: F.at(605))
        #expect(state.message == nil)
        _ = state.handle(.noteFailed("y", message: "locked"), now: F.at(606))
        _ = state.handle(.tick, now: F.at(660))
        #expect(state.message?.isError == true)
        _ = state.handle(.key(.down), now: F.at(661))
        #expect(state.message == nil)
    }

    @Test
    func scrolledBackTheWindowStaysOnItsEventsAsNewOnesArrive() {
        var state = start(.loaded)
        for _ in 0..<3 { _ = state.handle(.key(.up), now: F.at(600)) }
        let shown = state.layout.visibleEvents(scroll: state.scroll).map { state.timeline?.events[$0].text }
        _ = state.handle(.loaded(busyTimeline(events: 42)), now: F.at(601))
        #expect(state.scroll == 5)
        #expect(state.layout.visibleEvents(scroll: state.scroll).map { state.timeline?.events[$0].text } == shown)
        // At the newest, new events push the window along.
        _ = state.handle(.key(.end), now: F.at(601))
        _ = state.handle(.loaded(busyTimeline(events: 44)), now: F.at(602))
        #expect(state.scroll == 0)
    }

    @Test
    func aResizeKeepsTheScrollInRange() {
        var state = start(.loaded)
        _ = state.handle(.key(.home), now: F.at(600))
        #expect(state.scroll == 32)
        _ = state.handle(.resize(F.large), now: F.at(600))
        #expect(state.scroll == state.layout.maxScroll)
        #expect(state.scroll == 40 - state.layout.logRows)
    }

    @Test
    func theNextRedrawIsTheNextSecondOfAnyClockOnScreen() {
        let state = F.state(F.running())
        // The drill started on a whole second, the step at 140 s: both flip with the wall clock.
        #expect(state.nextRedraw(after: F.at(252.3)) == F.at(253))
        #expect(state.nextRedraw(after: F.at(253)) == F.at(254))
        let offset = F.state(
            DrillTimeline.build(
                drill: Drill(id: 1, scenario: "s", startedBy: "f", startedAt: F.at(0.25)), entries: [], signals: DrillSignals(), now: F.at(10)))
        #expect(offset.nextRedraw(after: F.at(10.1)) == F.at(10.25))
        #expect(offset.nextRedraw(after: F.at(10.5)) == F.at(11))
    }

    @Test
    func theFooterKeepsTheEssentialKeysAtEightyColumnsAndAddsTheRestWithRoom() {
        let narrow = DrillWatchKeys.footer(width: 78).map(\.action)
        #expect(narrow == [.note, .older, .newer, .newest, .help, .quit])
        let wide = DrillWatchKeys.footer(width: 118).map(\.action)
        #expect(wide.contains(.pageOlder) && wide.contains(.pageNewer) && wide.last == .quit)
        #expect(DrillWatchKeys.footer(width: 400).count == DrillWatchKeys.bindings.count - 1)
    }

    @Test
    func everyActionHasABindingAndNoKeyIsBoundTwice() {
        #expect(Set(DrillWatchKeys.bindings.map(\.action)) == Set(DrillWatchAction.allCases))
        let keys = DrillWatchKeys.bindings.flatMap(\.keys)
        #expect(Set(keys).count == keys.count)
    }
}
