import BreakglassCore
import BreakglassTestSupport
@testable import BreakglassTUI
import Foundation
import Testing

/// The grid's style layer as text: one letter per cell naming the theme role whose style the cell
/// has (the first in this order, for roles that look alike), "?" for none. Snapshots of it show
/// where each role is used without depending on the colours a theme picks.
func styleLayer(_ grid: CellGrid, theme: Theme) -> [String] {
    let legend: [(ThemeRole, Character)] = [
        (.text, "."), (.stateAlarm, "A"), (.selection, "s"), (.footerKey, "k"), (.accent, "c"), (.error, "E"), (.warning, "W"),
        (.topBar, "T"), (.muted, "m"), (.header, "h"), (.stateInsufficient, "I"), (.stateOK, "O"), (.tabActive, "t"),
        (.tabs, "b"), (.accessBadge, "B"),
    ]
    return (0..<grid.height).map { y in
        String((0..<grid.width).map { x in legend.first { theme[$0.0] == grid[x, y].style }?.1 ?? "?" })
    }
}

@Suite("Console pages: rendering")
struct ConsolePageRenderTests {
    /// Renders, checks the frame is the terminal's size with intact wide characters and nothing a
    /// terminal could act on, and compares the text and style layers with their snapshots.
    @discardableResult
    func render(_ state: ConsoleState, theme: Theme = .default, snapshot: String) throws -> CellGrid {
        let grid = renderConsole(state, theme: theme, now: fixedNow)
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

    @Test
    func aPageAt80x24() throws {
        let state = pagedState([page(41)])
        let grid = try render(state, snapshot: "console-page-80x24")
        let lines = grid.textLines()
        #expect(lines[2] == " PAGE  incident 12 · stage 1 · Primary on-call · prod-api in ALARM (severity 1) ")
        #expect(grid[0, 2].style == Theme.default[.stateAlarm] && grid[79, 2].style == Theme.default[.stateAlarm])
        #expect(lines[3].hasPrefix(" 3 ALARM · 1 INSUF · 30 OK"))
        #expect(lines[4].hasPrefix("  STATE  NAME"))
        #expect(lines[5].hasPrefix("> ALARM  payments-composite"))
        #expect(lines[23].hasPrefix(" a acknowledge  Enter open  Esc dismiss  / filter"))
    }

    @Test
    func severalPagesAt120x40ShowTheNewestTheCountAndTheKey() throws {
        let state = pagedState(
            [
                page(41, incident: 11, title: "prod-db-writer-health in ALARM (severity 1)"),
                page(42, incident: 12, .acknowledge, by: "alice"),
                page(43, incident: 14, firing: 2, stage: 2, contact: "Secondary", title: "prod-db in ALARM (severity 2)", severity: 2),
                page(44, incident: 14, firing: 2, stage: 2, contact: "Backup", title: "prod-db in ALARM (severity 2)", severity: 2),
            ],
            size: TerminalSize(width: 120, height: 40), regions: ["us-east-1", "eu-west-1"])
        let lines = try render(state, snapshot: "console-page-120x40").textLines()
        #expect(lines[2].hasPrefix(" PAGE  incident 14 · stage 2 · Secondary, Backup · prod-db in ALARM (severity 2) — a: acknowledge"))
        #expect(lines[2].hasSuffix("  +2 more "))
    }

    @Test
    func aPageUnderNoColorIsReverseVideo() throws {
        let theme = Theme.default.degraded(to: .mono)
        let state = pagedState([page(41), page(42, incident: 13, .acknowledge, by: "alice")])
        let grid = try render(state, theme: theme, snapshot: "console-page-mono-80x24")
        #expect(grid[0, 2].style.attributes.contains(.reverse))
        #expect(grid[0, 2].style.foreground == .terminalDefault && grid[0, 2].style.background == .terminalDefault)
        #expect(grid.rowText(2).hasSuffix("  +1 more "))
    }

    @Test(arguments: [
        // The key hint is left out when it does not fit; the footer has it.
        ([page(41), page(42, .acknowledge, by: "alice")], " incident 12 acknowledged by alice · prod-api in ALARM (severity 1)", ThemeRole.accent),
        ([page(41), page(42, .resolve, by: "watch (all alarms OK)")], " incident 12 resolved by watch (all alarms OK) · prod-api in ALARM (severity 1)", .accent),
        ([page(41, .acknowledge, by: nil)], " incident 12 acknowledged · prod-api in ALARM (severity 1) — Esc: dismiss", .accent),
    ] as [([ConsolePage], String, ThemeRole)])
    func noticesReadAsNews(_ pages: [ConsolePage], _ expected: String, _ role: ThemeRole) {
        let grid = renderConsole(pagedState(pages), theme: .default, now: fixedNow)
        #expect(grid.rowText(2) == TerminalText.pad(expected, toWidth: 80))
        #expect(grid[1, 2].style == Theme.default[role])
        #expect(grid.rowText(23).hasPrefix(" Enter open  Esc dismiss  / filter"))
    }

    @Test
    func acknowledgingAndItsFailureAt80x24() throws {
        var state = pagedState([page(41)])
        _ = reduce(&state, .key(.char("a")), now: fixedNow)
        var grid = renderConsole(state, theme: .default, now: fixedNow)
        #expect(grid.rowText(2) == TerminalText.pad(" PAGE  incident 12 · acknowledging… · prod-api in ALARM (severity 1)", toWidth: 80))
        #expect(grid.rowText(23).hasPrefix(" Enter open  Esc dismiss  / filter"))
        _ = reduce(&state, .acknowledgeFailed(incident: 12, message: "the state file is locked by another process (database is locked)\u{1B}[2J"), now: fixedNow)
        grid = try render(state, snapshot: "console-page-ack-failed-80x24")
        #expect(grid.rowText(2).hasPrefix(" could not acknowledge incident 12 · the state file is locked"))
        #expect(grid.rowText(2).hasSuffix("… "))
        #expect(grid[1, 2].style == Theme.default[.error])
        // The store's refusal names the incident; the banner says it once.
        _ = reduce(&state, .key(.char("a")), now: fixedNow)
        _ = reduce(&state, .acknowledgeFailed(incident: 12, message: "incident 12: it is already acknowledged by bob at 2023-11-14T22:13:00Z"), now: fixedNow)
        grid = renderConsole(state, theme: .default, now: fixedNow)
        #expect(grid.rowText(2).hasPrefix(" could not acknowledge incident 12 · it is already acknowledged by bob at "))
    }

    @Test
    func pagesOffAt80x24() throws {
        var state = ConsoleState(
            identity: "AKIAIOSFODNN7EXAMPLE @ 127.0.0.1:5000", regions: ["us-east-1"], size: TerminalSize(width: 80, height: 24), now: fixedNow,
            pages: .unavailable("/home/oncall/.local/state/breakglass is mode 0755; run chmod 700 /home/oncall/.local/state/breakglass"))
        _ = reduce(&state, .tick, now: fixedNow)
        _ = reduce(&state, .alarmsLoaded(mixedAlarms()), now: fixedNow)
        var grid = try render(state, snapshot: "console-pages-off-80x24")
        #expect(grid.rowText(2).hasPrefix(" pages off: /home/oncall/.local/state/breakglass is mode 0755; run chmod 700 "))
        #expect(grid.rowText(2).hasSuffix("… "))
        #expect(grid.rowText(1).hasSuffix("  pages off "), "the tabs row says so on every screen")
        #expect(grid[70, 1].style == Theme.default[.warning])
        _ = reduce(&state, .key(.escape), now: fixedNow)
        grid = renderConsole(state, theme: .default, now: fixedNow)
        #expect(grid.rowText(2).hasPrefix(" 3 ALARM · 1 INSUF · 30 OK"))
        #expect(grid.rowText(1).hasSuffix("  pages off "))
        _ = reduce(&state, .key(.char("5")), now: fixedNow)
        #expect(renderConsole(state, theme: .default, now: fixedNow).rowText(1).hasSuffix("  pages off "))
    }

    @Test
    func hostileTextInAPageIsInertAndWideCharactersFit() throws {
        let state = pagedState([
            page(41, contact: "\u{1B}]0;owned\u{07}On-call 当番", title: "\u{1B}[2J\u{202E}漢字名前のアラーム🔥 in ALARM (severity 1)\nline2"),
        ])
        let grid = try render(state, snapshot: "console-page-hostile-80x24")
        let banner = grid.rowText(2)
        #expect(banner.hasPrefix(" PAGE  incident 12 · stage 1 · ]0;owne… · [2J漢字名前のアラーム🔥 in ALARM (se… "))
        #expect(!banner.unicodeScalars.contains { (0x202A...0x202E).contains($0.value) })
        #expect(TerminalText.width(banner) == 80)
    }

    @Test(arguments: [
        (["stage 1", "Primary on-call", "prod-api in ALARM (severity 1)"], 100, "stage 1 · Primary on-call · prod-api in ALARM (severity 1)"),
        (["stage 1", "Primary on-call", "prod-api in ALARM (severity 1)"], 51, "stage 1 · Primary… · prod-api in ALARM (severity 1)"),
        (["stage 1", "Primary on-call", "prod-api in ALARM (severity 1)"], 30, "stage 1 · Primary… · prod-api…"),
        (["漢字名前のアラーム"], 9, "漢字名前…"),
    ] as [([String], Int, String)])
    func segmentsGiveWayBeforeTheTitle(_ segments: [String], _ width: Int, _ expected: String) {
        let fitted = BannerText.fitSegments(segments, toWidth: width)
        #expect(fitted == expected)
        #expect(TerminalText.width(fitted) <= width)
    }
}
