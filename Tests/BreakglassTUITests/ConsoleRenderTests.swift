import BreakglassCore
import BreakglassTestSupport
@testable import BreakglassTUI
import Foundation
import Testing

@Suite("Console rendering")
struct ConsoleRenderTests {
    let identity = "AKIAIOSFODNN7EXAMPLE @ 127.0.0.1:5000"

    /// Renders, checks the frame is exactly the terminal's size with intact wide characters, and
    /// compares it with the stored snapshot.
    @discardableResult
    func render(_ state: ConsoleState, theme: Theme = .default, now: Date = fixedNow, snapshot: String) throws -> CellGrid {
        let grid = renderConsole(state, theme: theme, now: now)
        #expect(grid.width == state.size.width && grid.height == state.size.height)
        for line in grid.textLines() { #expect(TerminalText.width(line) == state.size.width) }
        #expect(violations(grid).isEmpty)
        try assertSnapshot(snapshotText(grid.textLines()), named: snapshot)
        return grid
    }

    @Test
    func alarmsAt80x24() throws {
        let state = loadedState(mixedAlarms(), identity: identity)
        let grid = try render(state, snapshot: "console-80x24")
        let lines = grid.textLines()
        #expect(lines[0].hasPrefix(" breakglass  AKIAIOSFODNN7EXAMPLE @ 127.0.0.1:5000  us-east-1"))
        #expect(lines[1].hasPrefix("  1 Alarms (3)   2 Incidents"))
        #expect(lines[2].hasSuffix("updated 0s ago  1/34 "))
        #expect(lines[0].hasSuffix("  22:13:20 UTC "))
        #expect(lines[2].hasPrefix(" 3 ALARM · 1 INSUF · 30 OK"))
        #expect(lines[3].hasPrefix("  STATE  NAME"))
        #expect(lines[4].hasPrefix("> ALARM  payments-composite"))
        #expect(lines[5].contains("   4m12s  "))
        #expect(lines[6].contains("   3h05m  "))
        #expect(lines[7].hasPrefix("  INSUF  ingest-queue-age") && lines[7].contains("   2d04h  "))
        #expect(lines[22].hasPrefix(" payments-composite: arn:aws:cloudwatch"))
        #expect(lines[3].hasSuffix(" sort: triage "))
        #expect(lines[23].hasPrefix(" Enter open  / filter  s sort  q quit"))
    }

    @Test
    func multipleRegionsAt120x40UseTheRoom() throws {
        var alarms = mixedAlarms()
        alarms.append(alarm("prod-db-writer-health", .ok, ago: 7200, region: "eu-west-1", reason: "Threshold Crossed: 3 datapoints were not less than the threshold (1.0)."))
        var state = loadedState(alarms, size: TerminalSize(width: 120, height: 40), regions: ["us-east-1", "eu-west-1"], identity: identity)
        for _ in 0..<2 { _ = reduce(&state, .key(.down), now: fixedNow) }
        let grid = try render(state, now: fixedNow.addingTimeInterval(3), snapshot: "console-120x40-regions")
        let lines = grid.textLines()
        let columns = state.layout.columns
        #expect(columns.reasonWidth > ConsoleLayout(size: TerminalSize(width: 80, height: 24), regions: state.regions, widestName: state.widestName).columns.reasonWidth)
        #expect(columns.nameWidth == state.widestName)
        #expect(grid.text(x: columns.regionX, y: 3, width: 6) == "REGION")
        #expect(lines[6].hasPrefix("> ALARM  checkout-api-5xx-rate"))
        #expect(grid.text(x: columns.regionX, y: 6, width: 9) == "us-east-1")
        #expect(lines[35].contains("updated 22:13:20 UTC · refreshed every 15s"))
        #expect(lines[36].hasPrefix(" ALARM checkout-api-5xx-rate  in ALARM for 3h05m · us-east-1 · AWS/ApplicationELB HTTPCode_Target_5XX_Count"))
        #expect(lines[37].hasPrefix(" Threshold Crossed: 1 datapoint [12.5]"))
    }

    @Test
    func loadingBeforeTheFirstAnswer() throws {
        var state = ConsoleState(identity: identity, regions: ["us-east-1"], size: TerminalSize(width: 80, height: 24), now: fixedNow)
        _ = reduce(&state, .tick, now: fixedNow)
        let lines = try render(state, snapshot: "console-loading-80x24").textLines()
        #expect(lines[2].contains("loading…"))
        #expect(lines[5].hasPrefix("  Loading alarms…"))
    }

    @Test(arguments: [(["us-east-1"], "No alarms in us-east-1"), (["us-east-1", "eu-west-1"], "No alarms in us-east-1, eu-west-1"), ([], "No alarms")])
    func emptyList(_ regions: [String], _ message: String) throws {
        let state = loadedState([], regions: regions, identity: identity)
        let grid = renderConsole(state, theme: .default, now: fixedNow)
        #expect(grid.rowText(5).hasPrefix("  " + message + " "))
        if regions.count == 1 { try assertSnapshot(snapshotText(grid.textLines()), named: "console-empty-80x24") }
    }

    @Test
    func failedRefreshKeepsTheListAndSaysWhenItRetries() throws {
        var state = loadedState(mixedAlarms(), identity: identity)
        let failedAt = state.nextRefreshAt
        _ = reduce(&state, .tick, now: failedAt)
        _ = reduce(&state, .alarmsFailed("AccessDenied: User is not authorized to perform cloudwatch:DescribeAlarms (request id 6f1c0e1a)\nretry later"), now: failedAt)
        let grid = try render(state, now: failedAt.addingTimeInterval(0.5), snapshot: "console-failed-80x24")
        let lines = grid.textLines()
        #expect(lines[2].contains("refresh failed"))
        #expect(lines[4].hasPrefix("> ALARM  payments-composite"))
        #expect(lines[22].hasPrefix(" refresh failed 22:13:35: AccessDenied: User is not"))
        #expect(lines[22].hasSuffix("… — retrying in 30s "))
        #expect(grid[1, 22].style == Theme.default[.error])
    }

    @Test
    func failedFirstRefreshSaysSo() throws {
        var state = ConsoleState(identity: identity, regions: ["us-east-1"], size: TerminalSize(width: 80, height: 24), now: fixedNow)
        _ = reduce(&state, .tick, now: fixedNow)
        _ = reduce(&state, .alarmsFailed("could not connect: timed out"), now: fixedNow)
        _ = reduce(&state, .tick, now: state.nextRefreshAt)
        let lines = try render(state, now: fixedNow.addingTimeInterval(31), snapshot: "console-failed-nodata-80x24").textLines()
        #expect(lines[5].hasPrefix("  Could not load alarms yet"))
        #expect(lines[22].hasPrefix(" refresh failed 22:13:20: could not connect: timed out — retrying now "))
        #expect(lines[2].hasSuffix(" ↻ refresh failed "), "the mark says a retry is in flight")
    }

    /// A refresh starting and ending changes one cell of the frame (the mark before "updated"), at
    /// 80×24 and at 200×60 (which has the status line): nothing else is rewritten for it.
    @Test(arguments: [TerminalSize(width: 80, height: 24), TerminalSize(width: 200, height: 60)])
    func aRefreshChangesOneCell(_ size: TerminalSize) {
        var state = loadedState(mixedAlarms(), size: size, identity: identity)
        let before = renderConsole(state, theme: .default, now: fixedNow)
        _ = reduce(&state, .key(.char("R")), now: fixedNow)
        #expect(state.refreshInFlight)
        let during = renderConsole(state, theme: .default, now: fixedNow)
        var changed: [(Int, Int)] = []
        for y in 0..<size.height {
            for x in 0..<size.width where before[x, y] != during[x, y] { changed.append((x, y)) }
        }
        #expect(changed.count == 1, "\(changed)")
        if let (x, y) = changed.first {
            #expect(y == 2 && during[x, y].text == "↻" && before[x, y].text == " ")
            #expect(during.rowText(2).hasSuffix("↻ updated 0s ago  1/34 "))
        }
        _ = reduce(&state, .alarmsLoaded(mixedAlarms()), now: fixedNow)
        #expect(renderConsole(state, theme: .default, now: fixedNow) == before, "and back when it ends")
    }

    @Test(arguments: [(60, 20), (79, 24), (80, 23), (20, 5), (1, 1), (0, 0)])
    func tooSmall(_ width: Int, _ height: Int) throws {
        var state = loadedState(mixedAlarms())
        _ = reduce(&state, .resize(width: width, height: height), now: fixedNow)
        let grid = renderConsole(state, theme: .default, now: fixedNow)
        #expect(grid.width == width && grid.height == height)
        let text = grid.textLines().joined(separator: " ").split(separator: " ").joined(separator: " ")
        if width >= 60 {
            #expect(text == "terminal too small: need 80×24, have \(width)×\(height) — q quits")
        }
        if width == 60 { try assertSnapshot(snapshotText(grid.textLines()), named: "console-too-small-60x20") }
        #expect(violations(grid).isEmpty)
    }

    @Test
    func hostileTextRendersInertAndAligned() throws {
        let hostile = [
            alarm("\u{1B}[2J\u{202E}evil 漢字名前のアラーム\u{1B}]0;owned\u{07}", .alarm, ago: 5, reason: "\u{1B}]8;;http://evil\u{1B}\\click\u{1B}]8;;\u{1B}\\\nline2\u{9B}31m \u{2066}x\u{2069}"),
            alarm("名前🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥", .insufficientData, ago: 65, region: "us-east-1\u{1B}[1m"),
            alarm("e\u{301}\u{301}\u{301}-combining", .ok, ago: 3700),
        ]
        let state = loadedState(hostile, regions: ["us-east-1", "eu-\u{202E}west-1"], identity: "arn:aws:sts::1:assumed-role/\u{1B}[31mX")
        let grid = try render(state, snapshot: "console-hostile-80x24")
        for y in 0..<grid.height {
            for x in 0..<grid.width {
                for scalar in grid[x, y].text.unicodeScalars {
                    let v = scalar.value
                    #expect(!(v < 0x20 || (0x7F...0x9F).contains(v)), "control at \(x),\(y)")
                    #expect(!(0x202A...0x202E).contains(v) && !(0x2066...0x2069).contains(v), "bidi at \(x),\(y)")
                }
            }
        }
        let c = state.layout.columns
        let times = ["5s", "1m05s", "1h01m"]
        for (row, time) in times.enumerated() {
            #expect(grid.text(x: c.timeX, y: 4 + row, width: ConsoleLayout.Columns.timeWidth) == TerminalText.pad(time, toWidth: 8, alignment: .trailing))
            #expect(grid[c.reasonX - 1, 4 + row].text == " ")
        }
        #expect(grid.text(x: c.nameX, y: 4, width: c.nameWidth).hasPrefix("[2Jevil 漢字名前"))
    }

    @Test
    func selectionAndBadgesUseTheirRoles() {
        var state = loadedState(mixedAlarms())
        _ = reduce(&state, .key(.down), now: fixedNow)
        for theme in [Theme.default, Theme.default.degraded(to: .mono)] {
            let grid = renderConsole(state, theme: theme, now: fixedNow)
            #expect(grid[0, 5].text == ">")
            #expect(grid[0, 5].style == theme[.selection])
            #expect(grid[20, 5].style == theme[.selection])
            #expect(grid[20, 4].style == theme[.text])
            #expect(grid[2, 5].style == theme[.stateAlarm])
            #expect(grid[2, 7].style == theme[.stateInsufficient])
            #expect(grid[2, 8].style == theme[.stateOK])
            #expect(grid[1, 23].style == theme[.footerKey])
        }
    }

    @Test
    func onlyVisibleRowsAreDrawnFromALargeList() {
        var state = loadedState(okAlarms(10_000))
        _ = reduce(&state, .key(.char("G")), now: fixedNow)
        let lines = renderConsole(state, theme: .default, now: fixedNow).textLines()
        #expect(lines[21].hasPrefix("> OK     ok-9999"))
        #expect(lines[2].hasSuffix("10000/10000 "))
    }

    @Test(arguments: [
        (-5.0, "0s"), (0, "0s"), (59.9, "59s"), (60, "1m00s"), (252, "4m12s"), (3599, "59m59s"), (3600, "1h00m"),
        (11_100, "3h05m"), (86_399, "23h59m"), (86_400, "1d00h"), (187_200, "2d04h"), (8_640_000, "100d00h"),
    ])
    func timeInState(_ seconds: TimeInterval, _ expected: String) {
        #expect(CompactDuration.format(seconds) == expected)
    }

    @Test(arguments: [(0.0, "00:00:00"), (1_700_000_000, "22:13:20"), (86_399.9, "23:59:59"), (-1, "23:59:59")])
    func clock(_ epoch: TimeInterval, _ expected: String) {
        #expect(ConsoleFormat.clock(Date(timeIntervalSince1970: epoch)) == expected)
    }
}
