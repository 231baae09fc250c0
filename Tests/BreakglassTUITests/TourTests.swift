import BreakglassCore
import BreakglassTestSupport
@testable import BreakglassTUI
import Foundation
import Testing

/// The tour `breakglass demo` opens with: drawn over the console, Enter pages through it, Left goes
/// back, Esc ends it, quit still quits, and it names keys as the keymap binds them.
@Suite("Console tour")
struct TourTests {
    func press(_ state: inout ConsoleState, _ keys: Key...) -> [ConsoleEffect] {
        keys.flatMap { reduce(&state, .key($0), now: fixedNow) }
    }

    func toured(_ keymap: Keymap = .console) -> ConsoleState {
        var state = loadedState(mixedAlarms())
        state.keymap = keymap
        state.startTour(ConsoleTour.sandbox(keymap: keymap))
        return state
    }

    @Test func entersPagesThroughAndTheLastEndsIt() {
        var state = toured()
        let pages = state.tour.count
        #expect(pages == 5)
        #expect(state.overlay == .tour(page: 0))
        _ = press(&state, .enter)
        #expect(state.overlay == .tour(page: 1))
        _ = press(&state, .left, .left)
        #expect(state.overlay == .tour(page: 0))
        _ = press(&state, .right, .char(" "))
        #expect(state.overlay == .tour(page: 2))
        for _ in 2..<pages { _ = press(&state, .enter) }
        #expect(state.overlay == nil)
        #expect(state.view == .alarms, "the tour changes nothing under it")
    }

    @Test(arguments: [Key.escape, .char("a"), .char("2")])
    func anyOtherKeyEndsItWithoutActing(_ key: Key) {
        var state = toured()
        let effects = press(&state, key)
        #expect(state.overlay == nil)
        #expect(effects.isEmpty)
        #expect(state.view == .alarms)
    }

    @Test func quitStillQuits() {
        var state = toured()
        #expect(press(&state, .char("q")) == [.quit])
    }

    @Test func drawsItsPageInABoxAt80x24AndNamesReboundKeys() throws {
        let keymap = try Keymap.console.rebinding([(action: "acknowledge", keys: ["ctrl-a"])])
        var state = toured(keymap)
        _ = press(&state, .enter, .enter)
        let text = renderConsole(state, theme: .default, now: fixedNow).textLines().joined(separator: "\n")
        #expect(text.contains("Tour 3/5"), "\(text)")
        #expect(text.contains("Answer the page"), "\(text)")
        #expect(text.contains("^A acknowledges"), "\(text)")
        #expect(text.split(separator: "\n").allSatisfy { TerminalText.width(String($0)) <= 80 })
    }

    @Test func guidedModeHasNoTour() {
        var options = ConsoleOptions(identity: "x", regions: ["us-east-1"], guided: true)
        options.tour = ConsoleTour.sandbox(keymap: .console)
        let session = ConsoleSession(
            options: options,
            size: TerminalSize(width: 80, height: 24), theme: .default, now: fixedNow)
        #expect(session.state.overlay == nil)
    }
}
