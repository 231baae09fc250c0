import BreakglassCore
import BreakglassTUI
import Foundation
import Testing

/// `console.keys` from a configuration file, applied to the console's keymap.
@Suite("Keymap from the configuration")
struct KeymapConfigTests {
    /// The keymap `keys` (the text after `keys:`) gives, read from a configuration file.
    func keymap(_ keys: String) throws -> Keymap {
        let config = try ConfigLoader.parse("console:\n  keys: \(keys)\n", file: "breakglass.yaml")
        return try Keymap.console.applying(config.console.keys)
    }

    /// The problems `keys` gives, as printed.
    func problems(_ keys: String) throws -> [String] {
        let config = try ConfigLoader.parse("console:\n  keys: \(keys)\n", file: "breakglass.yaml")
        do {
            _ = try Keymap.console.applying(config.console.keys)
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test
    func noKeysIsTheBuiltInKeymap() throws {
        #expect(try Keymap.console.applying([]) == .console)
        #expect(try keymap("{}") == .console)
    }

    @Test
    func rebindingQuitMovesItEverywhereItIsBound() throws {
        let keys = try keymap("{ quit: [Q, ctrl-q] }")
        for view in ConsoleView.allCases {
            #expect(keys.action(for: .char("Q"), view: view) == .quit)
            #expect(keys.action(for: .ctrl("q"), view: view) == .quit)
            #expect(keys.action(for: .char("q"), view: view) == nil)
        }
        #expect(keys.action(for: .char("Q"), view: .runbook, guided: true) == .quit)
        // The footer and the help overlay read the same table.
        #expect(keys.footerHints(view: .alarms).contains { $0.key == "Q" && $0.description == "quit" })
        #expect(keys.keyLabel(for: .quit) == "Q")
        // Everything else is as built in.
        #expect(keys.action(for: .char("j"), view: .alarms) == .moveDown)
        #expect(keys.action(for: .char("?"), view: .alarms) == .help)
    }

    @Test
    func namedKeysAndOneKeyWithoutAList() throws {
        let keys = try keymap("{ acknowledge: [a, ctrl-a], refresh: f5, down: [j, Down, ctrl-n], help: f1 }")
        #expect(keys.action(for: .ctrl("a"), view: .alarms) == .acknowledge)
        #expect(keys.action(for: .function(5), view: .alarms) == .refresh)
        #expect(keys.action(for: .ctrl("n"), view: .alarms) == .moveDown)
        #expect(keys.action(for: .down, view: .alarms) == .moveDown)
        #expect(keys.action(for: .function(1), view: .audit) == .help)
        #expect(keys.action(for: .char("?"), view: .audit) == nil)
    }

    @Test
    func swappingTwoKeysIsJudgedAsAWhole() throws {
        // Applied one at a time, `down: k` would clash with `up: k`; together they are fine.
        let keys = try keymap("{ down: k, up: j }")
        #expect(keys.action(for: .char("k"), view: .alarms) == .moveDown)
        #expect(keys.action(for: .char("j"), view: .alarms) == .moveUp)
    }

    @Test
    func anUnknownActionIsReportedAtTheAction() throws {
        #expect(try problems("{ ack: a }") == ["breakglass.yaml:2:11: console.keys.ack: unknown action `ack`; did you mean `back`?"])
        #expect(try problems("{ quit: q, acknowlege: a }") == [
            "breakglass.yaml:2:20: console.keys.acknowlege: unknown action `acknowlege`; did you mean `acknowledge`?",
        ])
    }

    @Test
    func aBadKeyNameIsReportedAtTheKey() throws {
        let names = Key.namedKeys.map(\.name).joined(separator: ", ")
        #expect(try problems("{ quit: [q, ctrl-1] }") == [
            "breakglass.yaml:2:21: console.keys.quit: `ctrl-1` (for quit) is not a key name: use a character such as `x` or `?`, or one of \(names), ctrl-X, f1…f12",
        ])
        #expect(try problems("{ help: f13 }") == [
            "breakglass.yaml:2:17: console.keys.help: `f13` (for help) is not a key name: use a character such as `x` or `?`, or one of \(names), ctrl-X, f1…f12",
        ])
    }

    @Test
    func everyProblemIsReportedInFileOrder() throws {
        let config = try ConfigLoader.parse("""
            console:
              keys:
                quit: [q, hyper-q]
                ack: a
                help: F1
            """, file: "breakglass.yaml")
        do {
            _ = try Keymap.console.applying(config.console.keys)
            Issue.record("a keymap with two problems was accepted")
        } catch {
            #expect(error.errors.map(\.location.line) == [3, 4])
            #expect(error.errors.map(\.field.description) == ["console.keys.quit", "console.keys.ack"])
            #expect(error.errors[0].location.column == 15)
        }
    }

    @Test
    func aKeyBoundTwiceInOneScopeIsReportedAtTheKeyThatClashes() throws {
        // r already opens the suggested runbook, everywhere.
        #expect(try problems("{ quit: q, refresh: [R, r] }") == [
            "breakglass.yaml:2:33: console.keys.refresh: key r is bound to both open_runbook and refresh",
        ])
        // Guided mode has its own table: h is "I need help" there.
        #expect(try problems("{ help: h }") == ["breakglass.yaml:2:17: console.keys.help: key h is bound to both need_help and help"])
    }

    @Test
    func aKeyAScreenWouldHideIsRefusedAtTheKey() throws {
        // x resolves on the incidents screen, so as quit it would do nothing there.
        #expect(try problems("{ quit: x }") == ["breakglass.yaml:2:17: console.keys.quit: key x is bound to both quit and resolve"])
        // q as a list key would take quitting away on every list.
        #expect(try problems("{ down: [j, q] }") == ["breakglass.yaml:2:21: console.keys.down: key q is bound to both quit and down"])
        // A screen's key against a list key.
        #expect(try problems("{ filter: j }") == ["breakglass.yaml:2:19: console.keys.filter: key j is bound to both down and filter"])
        // Moving the other binding away too is fine.
        let keys = try keymap("{ quit: x, resolve: X }")
        #expect(keys.action(for: .char("x"), view: .incidents) == .quit)
        #expect(keys.action(for: .char("X"), view: .incidents) == .resolve)
    }

    @Test
    func theClashIsPutAtTheEntryThatMadeItEvenWhenWrittenFirst() throws {
        // The key is written for `resolve`; `quit` keeps its own q.
        #expect(try problems("{ resolve: q, snooze: Z }") == ["breakglass.yaml:2:20: console.keys.resolve: key q is bound to both quit and resolve"])
    }
}

@Suite("Keymap examples in the docs")
struct KeymapDocsTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Every ```yaml block of docs/CONFIG.md that has a `console:` section: its keys apply cleanly.
    @Test
    func theKeysInCONFIGmdApply() throws {
        let doc = try String(contentsOf: Self.repositoryRoot.appendingPathComponent("docs/CONFIG.md"), encoding: .utf8)
        let blocks = doc.components(separatedBy: "```yaml\n").dropFirst().compactMap { $0.components(separatedBy: "\n```").first }
        let consoleBlocks = blocks.filter { $0.contains("console:") }
        #expect(consoleBlocks.count >= 2)
        for block in consoleBlocks {
            let config = try ConfigLoader.parse(block, file: "CONFIG.md")
            #expect(!config.console.keys.isEmpty)
            #expect(throws: Never.self) { try Keymap.console.applying(config.console.keys) }
        }
    }
}
