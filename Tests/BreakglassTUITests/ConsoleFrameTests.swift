import BreakglassCore
import BreakglassTestSupport
@testable import BreakglassTUI
import Foundation
import Testing

/// The frame around the screens: tabs and switching, Esc backing out one level at a time, the `?`
/// help drawn from the keymap, the `:` command line, rebinding, guided mode's closed world and the
/// too-small screen.
@Suite("Console frame")
struct ConsoleFrameTests {
    func press(_ state: inout ConsoleState, _ keys: Key...) -> [ConsoleEffect] {
        keys.flatMap { reduce(&state, .key($0), now: fixedNow) }
    }

    func type(_ state: inout ConsoleState, _ text: String) {
        for c in text { _ = reduce(&state, .key(.char(c)), now: fixedNow) }
    }

    @Test(arguments: [
        (Key.char("2"), ConsoleView.incidents), (.char("3"), .runbook), (.char("4"), .access), (.char("5"), .audit), (.char("1"), .alarms),
    ])
    func numberKeysShowScreens(_ key: Key, _ view: ConsoleView) {
        var state = loadedState(mixedAlarms())
        if view == .alarms { _ = press(&state, .char("5")) }
        _ = press(&state, key)
        #expect(state.view == view)
        let grid = renderConsole(state, theme: .default, now: fixedNow)
        // The tab of the screen shown is drawn in the active style.
        let row = grid.rowText(ConsoleLayout.tabsRow)
        let title = view.title
        let range = try? #require(row.range(of: title))
        if let range {
            let x = row.distance(from: row.startIndex, to: range.lowerBound)
            #expect(grid[x, ConsoleLayout.tabsRow].style == Theme.default[.tabActive])
        }
    }

    @Test
    func escapeBacksOutOneLevelAtATime() {
        var state = loadedState(mixedAlarms())
        _ = press(&state, .char("2"), .char("5"))
        #expect(state.view == .audit && state.history == [.alarms, .incidents])
        _ = press(&state, .char("?"))
        #expect(state.overlay == .help(offset: 0))
        _ = press(&state, .escape)
        #expect(state.overlay == nil && state.view == .audit, "Esc first closes the help")
        _ = press(&state, .escape)
        #expect(state.view == .incidents)
        _ = press(&state, .escape)
        #expect(state.view == .alarms)
        #expect(press(&state, .escape).isEmpty && state.view == .alarms, "Esc never quits")
    }

    @Test
    func tabCyclesScreensWhenTheScreenHasNoPanes() {
        var state = loadedState(mixedAlarms())
        _ = press(&state, .tab)
        #expect(state.view == .incidents)
        _ = press(&state, .backTab, .backTab)
        #expect(state.view == .audit)
    }

    @Test
    func helpListsTheScreensKeysFromTheKeymapAndAnyKeyClosesIt() throws {
        var state = loadedState(mixedAlarms())
        _ = press(&state, .char("?"))
        let grid = renderConsole(state, theme: .default, now: fixedNow)
        let text = grid.textLines().joined(separator: "\n")
        for binding in Keymap.console.bindings(view: .alarms).prefix(8) {
            #expect(text.contains(binding.keysLabel) && text.contains(binding.description), "\(binding.keysLabel)")
        }
        try assertSnapshot(snapshotText(grid.textLines()), named: "console-help-80x24")
        #expect(press(&state, .char("x")).isEmpty && state.overlay == nil)
        _ = press(&state, .char("?"))
        #expect(press(&state, .char("q")) == [.quit], "q still quits from the help")
    }

    @Test
    func helpScrollsAt120x40AndShowsTheCommands() throws {
        var state = loadedState(mixedAlarms(), size: TerminalSize(width: 120, height: 40))
        _ = press(&state, .char("?"))
        let grid = renderConsole(state, theme: .default, now: fixedNow)
        try assertSnapshot(snapshotText(grid.textLines()), named: "console-help-120x40")
        #expect(grid.textLines().joined().contains(":runbook NAME"))
        var small = loadedState(mixedAlarms())
        _ = press(&small, .char("?"), .pageDown)
        #expect(small.overlay == .help(offset: 18))
        let scrolled = renderConsole(small, theme: .default, now: fixedNow).textLines().joined(separator: "\n")
        #expect(scrolled.contains("Commands after :"))
    }

    @Test
    func rebindingMovesTheKeyEverywhere() throws {
        let keymap = try Keymap.console.rebinding([(action: "quit", keys: ["ctrl-q"]), (action: "help", keys: ["f1", "?"])])
        var state = ConsoleState(identity: "x", regions: ["us-east-1"], size: TerminalSize(width: 80, height: 24), now: fixedNow, keymap: keymap)
        #expect(press(&state, .char("q")).isEmpty)
        #expect(press(&state, .ctrl("q")) == [.quit])
        _ = press(&state, .function(1))
        #expect(state.overlay == .help(offset: 0))
        let grid = renderConsole(state, theme: .default, now: fixedNow)
        #expect(grid.textLines().joined().contains("^Q"), "the help shows the new key")
        #expect(grid.rowText(23).contains("^Q quit"), "and so does the footer")
    }

    @Test(arguments: [
        ([(action: "quit", keys: ["j"])], "key j is bound to both"),
        ([(action: "quti", keys: ["x"])], "unknown action `quti`; did you mean `quit`?"),
        ([(action: "quit", keys: ["ctrl-"])], "`ctrl-` (for quit) is not a key name"),
        ([(action: "quit", keys: [String]())], "action `quit` needs at least one key"),
    ])
    func rebindingErrorsSayWhatIsWrong(_ overrides: [(action: String, keys: [String])], _ message: String) {
        #expect(throws: KeymapError.self) { try Keymap.console.rebinding(overrides) }
        do {
            _ = try Keymap.console.rebinding(overrides)
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test(arguments: [
        ("x", Key.char("x")), ("?", .char("?")), ("G", .char("G")), ("Enter", .enter), ("esc", .escape), ("space", .char(" ")),
        ("ctrl-l", .ctrl("l")), ("C-b", .ctrl("b")), ("F5", .function(5)), ("pagedown", .pageDown),
    ])
    func keyNames(_ name: String, _ key: Key) {
        #expect(Key(name: name) == key)
    }

    @Test(arguments: ["", "ab", "ctrl-ab", "f13", "\u{1B}", "ctrl-1"])
    func notKeyNames(_ name: String) {
        #expect(Key(name: name) == nil)
    }

    @Test
    func noKeyIsBoundTwiceInAScopeAndEveryActionHasAKey() {
        #expect(throws: KeymapError.self) {
            try Keymap(validating: [
                KeyBinding([.char("a")], .quit, "quit", footer: .always),
                KeyBinding([.char("a")], .help, "help", footer: .always),
            ])
        }
        #expect(Set(Keymap.console.bindings.map(\.action)) == Set(ConsoleAction.allCases))
        // A screen's own meaning of a key wins over the global one, and only there.
        #expect(Keymap.console.action(for: .char("n"), view: .runbook) == .run)
        #expect(Keymap.console.action(for: .char("n"), view: .alarms) == nil)
        #expect(Keymap.console.action(for: .enter, view: .alarms, guided: true) == .select)
        #expect(Keymap.console.action(for: .char("1"), view: .alarms, guided: true) == nil)
    }

    // MARK: Command line

    @Test
    func commandLineTypesCompletesAndRuns() throws {
        var state = loadedState(mixedAlarms())
        _ = press(&state, .char(":"))
        type(&state, "inc")
        _ = press(&state, .enter)
        #expect(state.view == .incidents && state.overlay == nil)

        _ = press(&state, .char(":"))
        type(&state, "a")
        _ = press(&state, .tab)
        guard case .command(let line) = state.overlay else { Issue.record("the command line closed"); return }
        #expect(line.text == "alarms" && line.completions == ["alarms", "access", "audit"])
        let grid = renderConsole(state, theme: .default, now: fixedNow)
        #expect(grid.rowText(23).hasPrefix(":alarms "))
        #expect(grid.rowText(23).contains("[alarms] access audit"))
        try assertSnapshot(snapshotText(grid.textLines()), named: "console-command-80x24")
        _ = press(&state, .tab)
        _ = press(&state, .enter)
        #expect(state.view == .access)

        _ = press(&state, .char(":"))
        type(&state, "q")
        #expect(press(&state, .enter) == [.quit])
    }

    @Test(arguments: [
        ("nope", "unknown command `nope`; the commands are :alarms :incidents :runbook :access :audit :help :quit"),
        ("a", "`a` could be alarms or access or audit"),
        ("alarms now", "`alarms` takes no argument"),
        ("runbook a b", "`runbook` takes one runbook id"),
        ("\u{1B}[2Jx", "unknown command `[2Jx`"),
    ])
    func badCommandsSaySoInTheFooterUntilTheNextKey(_ text: String, _ message: String) {
        var state = loadedState(mixedAlarms())
        _ = press(&state, .char(":"))
        type(&state, text)
        _ = press(&state, .enter)
        #expect(state.message?.isError == true)
        #expect(state.message?.text.hasPrefix(message) == true, "\(state.message?.text ?? "")")
        let grid = renderConsole(state, theme: .default, now: fixedNow)
        #expect(grid[1, 23].style == Theme.default[.error])
        #expect(!grid.rowText(23).contains("\u{1B}"))
        _ = press(&state, .char("j"))
        #expect(state.message == nil)
    }

    @Test
    func runbookCommandCompletesRunbookNamesAndOpensOne() {
        var state = loadedState(mixedAlarms())
        state.runbook.catalog = ["db-overload", "dynamodb-hot-key", "sqs-flush"]
        _ = press(&state, .char(":"))
        type(&state, "runbook d")
        _ = press(&state, .tab)
        guard case .command(let line) = state.overlay else { Issue.record("the command line closed"); return }
        #expect(line.completions == ["runbook db-overload", "runbook dynamodb-hot-key"])
        _ = press(&state, .enter)
        #expect(state.view == .runbook)

        _ = press(&state, .char(":"))
        type(&state, "runbook db-overlaod")
        _ = press(&state, .enter)
        #expect(state.message?.text == "no runbook `db-overlaod`; did you mean `db-overload`?")
    }

    @Test
    func backspaceOnAnEmptyLineAndEscapeCancel() {
        var state = loadedState(mixedAlarms())
        _ = press(&state, .char(":"), .char("x"), .backspace)
        #expect(state.overlay == .command(CommandLineState()))
        _ = press(&state, .backspace)
        #expect(state.overlay == nil)
        _ = press(&state, .char(":"), .char("x"), .escape)
        #expect(state.overlay == nil && state.view == .alarms)
    }

    // MARK: Guided mode and small terminals

    @Test
    func guidedModeIsAClosedWorld() {
        var state = ConsoleState(identity: "x", regions: ["us-east-1"], size: TerminalSize(width: 80, height: 24), now: fixedNow, guided: true)
        #expect(state.view == .runbook)
        for key: Key in [.char("1"), .char("5"), .char(":"), .tab, .char("/"), .char("a"), .escape, .escape] {
            _ = press(&state, key)
            #expect(state.view == .runbook && state.overlay == nil, "\(key)")
        }
        _ = press(&state, .char("?"))
        #expect(state.overlay == .help(offset: 0))
        let help = renderConsole(state, theme: .default, now: fixedNow).textLines().joined(separator: "\n")
        #expect(help.contains("Keys on Guided mode") && help.contains("I need help") && !help.contains("Commands after :"))
        _ = press(&state, .escape)
        #expect(press(&state, .char("q")) == [.quit])
        let grid = renderConsole(state, theme: .default, now: fixedNow)
        #expect(grid.rowText(0).hasPrefix(" breakglass · guided"))
        #expect(!grid.rowText(1).contains("2 Incidents"), "no tabs to wander to")
    }

    @Test
    func aTooSmallTerminalTakesOnlyQuitRedrawAndRefresh() {
        var state = loadedState(mixedAlarms(), size: TerminalSize(width: 60, height: 20))
        for key: Key in [.char("2"), .char("?"), .char(":"), .tab] {
            #expect(press(&state, key).isEmpty)
        }
        #expect(state.view == .alarms && state.overlay == nil)
        #expect(press(&state, .ctrl("l")) == [.redraw])
        #expect(press(&state, .char("q")) == [.quit])
        _ = reduce(&state, .resize(width: 80, height: 24), now: fixedNow)
        _ = press(&state, .char("2"))
        #expect(state.view == .incidents)
    }

    @Test(arguments: [(0.0, "00:00"), (59.2, "01:00"), (272, "04:32"), (3600, "1:00:00"), (3725, "1:02:05"), (-5, "00:00")])
    func countdowns(_ seconds: TimeInterval, _ text: String) {
        #expect(ConsoleFormat.countdown(seconds) == text)
    }

    @Test(arguments: [("vt100", LineGlyphs.ascii), ("vt220", .ascii), ("xterm-256color", .unicode), ("linux", .unicode), ("screen", .unicode), ("tmux-256color", .unicode)])
    func lineDrawingFallsBackToASCII(_ term: String, _ glyphs: LineGlyphs) {
        #expect(LineGlyphs.forTerminal(term) == glyphs)
    }

    @Test
    func helpDrawsItsBoxInASCIIWhereTheTerminalNeedsIt() {
        var state = loadedState(mixedAlarms())
        _ = press(&state, .char("?"))
        var theme = Theme.default
        theme.glyphs = .ascii
        let text = renderConsole(state, theme: theme, now: fixedNow).textLines().joined()
        #expect(text.contains("+-") && !text.contains("─") && !text.contains("┌"))
    }

    @Test(arguments: [
        (5, ConsoleAction.moveDown, 6), (5, .moveUp, 4), (0, .moveUp, 0), (9, .moveDown, 9), (5, .pageDown, 9), (5, .pageUp, 1), (1, .pageUp, 0),
        (2, .pageDown, 6), (7, .pageUp, 3), (5, .top, 0), (5, .bottom, 9), (5, .select, 5),
    ])
    func listMovesStayInsideTheList(_ current: Int, _ action: ConsoleAction, _ expected: Int) {
        #expect(ScreenArea.moved(from: current, by: action, count: 10, page: 4) == expected)
        #expect(ScreenArea.moved(from: 0, by: action, count: 0, page: 4) == 0, "an empty list stays at 0")
    }
}
