import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
@testable import BreakglassTUI
import Foundation
import Testing

/// Hostile text in the console (docs/CONSOLE.md, "Terminal safety"): alarm names, reasons and AWS
/// messages carrying escape sequences, C1 controls, bidi controls, zero-width characters, invalid
/// UTF-8 and very wide or heavily combined characters render as inert text in aligned columns.
@Suite("Terminal safety: the console's frames")
struct TerminalSafetyRenderTests {
    /// Each name starts with a marker, so a test can find where the name column starts on its row.
    static let hostileNames = [
        "evil-osc52-\u{1B}]52;c;cHduZWQ=\u{07}-clipboard",
        "evil-csi-\u{1B}[2J\u{1B}[6n\u{1B}[?1049l\u{1B}[31m-red",
        "evil-osc8-\u{1B}]8;;http://attacker.example/\u{1B}\\link\u{1B}]8;;\u{1B}\\",
        "evil-dcs-\u{1B}P+q544e\u{1B}\\-dcs",
        "evil-c1-\u{9B}31m\u{9D}0;title\u{9C}-c1",
        "evil-bidi-\u{202E}fdp.exe\u{202C}\u{2066}iso\u{2069}\u{200F}",
        "evil-zw-zero\u{200B}width\u{FEFF}\u{2060}\u{00AD}",
        "evil-wide-警報警報警報警報警報警報警報警報警報警報-😀😀",
        "evil-comb-e\u{301}\u{302}\u{303}\u{304}\u{305}\u{306}\u{307}\u{308}x",
        "evil-nl-line\r\nbreak\u{85}\u{2028}next",
    ]

    static let hostileReason = "R: \u{1B}]52;c;aGk=\u{07}\u{1B}[1;1H\u{9B}2J \u{202E}desrever\u{202C} zero\u{200B}width 警報 e\u{301}\u{302}\u{303} \u{1B}P1$r\u{1B}\\ end"

    /// Alarms as the client would decode them from a DescribeAlarms answer, including one whose name
    /// and reason arrive as bytes that are not UTF-8.
    static func hostileAlarms() throws -> [Alarm] {
        var alarms = hostileNames.enumerated().map { i, name in
            alarm(name, [AlarmState.alarm, .insufficientData, .ok][i % 3], ago: Double(60 * (i + 1)), reason: hostileReason)
        }
        let bytes: [UInt8] = Array(#"{"MetricAlarms":[{"AlarmName":"evil-utf8-"#.utf8) + [0xFF, 0xC0, 0x80, 0xED, 0xA0, 0x80, 0xE2, 0x80]
            + Array(#"-bytes","StateValue":"ALARM","StateReason":"R: "#.utf8) + [0xC2, 0x9B] + Array("31m ".utf8) + [0xFE, 0xFF]
            + Array(#" tail","StateUpdatedTimestamp":1699999900}]}"#.utf8)
        let page = try AlarmPage(try JSON.decode(bytes), region: "us-east-1")
        alarms += page.alarms
        return alarms + okAlarms(3)
    }

    /// Scalars that must never reach a terminal from untrusted text: C0 and C1 controls, DEL, the
    /// bidi controls, and zero-width and other format characters (ZWJ and ZWNJ aside).
    static func unsafeScalars(in s: String) -> [String] {
        s.unicodeScalars.filter { u in
            let v = u.value
            if v == 0x200C || v == 0x200D { return false }
            return v < 0x20 || (0x7F...0x9F).contains(v) || v == 0x2028 || v == 0x2029
                || u.properties.generalCategory == .format
        }.map { "U+" + String($0.value, radix: 16, uppercase: true) }
    }

    static func checkInert(_ grid: CellGrid, _ what: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(violations(grid).isEmpty, "\(what): \(violations(grid))", sourceLocation: sourceLocation)
        for (y, line) in grid.textLines().enumerated() {
            #expect(TerminalText.width(line) == grid.width, "\(what): row \(y) is \(TerminalText.width(line)) columns: \(line)", sourceLocation: sourceLocation)
            let unsafe = unsafeScalars(in: line)
            #expect(unsafe.isEmpty, "\(what): row \(y) carries \(unsafe): \(line.debugDescription)", sourceLocation: sourceLocation)
        }
        for cell in grid.cells {
            let unsafe = unsafeScalars(in: String(cell.text))
            #expect(unsafe.isEmpty, "\(what): a cell holds \(unsafe)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: [TerminalSize(width: 80, height: 24), TerminalSize(width: 132, height: 40)])
    func hostileAlarmsRenderInertInAlignedColumns(_ size: TerminalSize) throws {
        let alarms = try Self.hostileAlarms()
        let state = loadedState(alarms, size: size)
        let grid = renderConsole(state, theme: .default, now: fixedNow)
        Self.checkInert(grid, "list at \(size.width)x\(size.height)")

        // Every hostile row is on screen, its name starts in the same column, and what follows the
        // name (the reason or the age) starts in the same column too: nothing moved the cursor.
        let lines = grid.textLines()
        let rows = lines.filter { $0.range(of: #"^ *>? *(ALARM|INSUF|OK) {2,}evil-"#, options: .regularExpression) != nil }
        #expect(rows.count == Self.hostileNames.count + 1, "\(lines.joined(separator: "\n"))")
        let nameColumns = Set(rows.map { TerminalText.width(String($0[..<($0.range(of: "evil-")?.lowerBound ?? $0.startIndex)])) })
        #expect(nameColumns.count == 1, "names start in columns \(nameColumns):\n\(rows.joined(separator: "\n"))")
        // Where a row shows the reason, it starts in the same column on every row.
        let reasonColumns = Set(rows.compactMap { row in row.range(of: "R: ").map { TerminalText.width(String(row[..<$0.lowerBound])) } })
        #expect(reasonColumns.count <= 1, "reasons start in columns \(reasonColumns):\n\(rows.joined(separator: "\n"))")

        // The escape sequences' printable remainders are shown as text, so the user sees something is odd.
        let text = lines.joined(separator: "\n")
        #expect(text.contains("evil-osc52-]52;c;cHduZWQ=-clipboard") || text.contains("evil-osc52-]52;c;cHduZWQ="), "\(text)")
        #expect(text.contains("evil-utf8-\u{FFFD}"), "\(text)")
    }

    @Test func theDetailOfAHostileAlarmRendersInert() throws {
        let alarms = try Self.hostileAlarms()
        for name in Self.hostileNames.prefix(6) + ["evil-utf8-"] {
            var state = loadedState(alarms, size: TerminalSize(width: 80, height: 24))
            // Select the alarm with the filter, then open its detail.
            for key in [Key.char("/")] + "evil-".map({ Key.char($0) }) + [.enter] { _ = reduce(&state, .key(key), now: fixedNow) }
            let index = try #require(state.alarmsView.rows.firstIndex { state.alarms[$0].name.hasPrefix(name) || state.alarms[$0].name == name })
            for _ in 0..<index { _ = reduce(&state, .key(.char("j")), now: fixedNow) }
            let effects = reduce(&state, .key(.enter), now: fixedNow)
            if case .alarmsView(.fetchMetric(_, let query)) = effects.first {
                _ = reduce(&state, .alarmsView(.metricLoaded(AlarmID(name: state.alarms[state.alarmsView.rows[index]].name, region: "us-east-1"), query, MetricSeries(points: []))), now: fixedNow)
            }
            let grid = renderConsole(state, theme: .default, now: fixedNow.addingTimeInterval(1))
            Self.checkInert(grid, "detail of \(name.debugDescription)")
            #expect(grid.textLines().joined().contains("R: "), "the reason is shown:\n\(grid.textLines().joined(separator: "\n"))")
        }
    }

    @Test func hostileAWSErrorMessagesRenderInert() {
        var state = loadedState(okAlarms(3), size: TerminalSize(width: 80, height: 24))
        let message = "AccessDenied: \u{1B}]52;c;aGk=\u{07}\u{1B}[2J\u{9B}6n \u{202E}nimda\u{202C} User: arn:aws:iam::1:user/x\u{200B}y"
        _ = reduce(&state, .alarmsFailed(message), now: fixedNow)
        let grid = renderConsole(state, theme: .default, now: fixedNow)
        Self.checkInert(grid, "alarms failed")
        #expect(grid.textLines().joined().contains("AccessDenied"), "\(grid.textLines().joined(separator: "\n"))")

        var paging = loadedState(okAlarms(3), size: TerminalSize(width: 80, height: 24))
        _ = reduce(&paging, .pagesFailed(message), now: fixedNow)
        Self.checkInert(renderConsole(paging, theme: .default, now: fixedNow), "pages failed")
    }

    /// The CLI's table (`breakglass alarms`) from the same alarms: no unsafe scalar, every line within
    /// the width, and the name and reason columns start at the same column on every row.
    @Test(arguments: [80, 132])
    func theAlarmsTableIsInertAndAligned(_ width: Int) throws {
        let alarms = try Self.hostileAlarms()
        for showRegion in [false, true] {
            let table = AlarmListing.table(alarms, now: fixedNow, width: width, showRegion: showRegion)
            let lines = table.split(separator: "\n").map(String.init)
            #expect(lines.count == alarms.count + 1)
            #expect(Self.unsafeScalars(in: table.replacingOccurrences(of: "\n", with: "")).isEmpty, "\(table.debugDescription)")
            for line in lines { #expect(TerminalText.width(line) <= width, "\(line)") }
            let hostile = lines.filter { $0.contains("evil-") }
            #expect(hostile.count == Self.hostileNames.count + 1)
            let nameColumns = Set(hostile.map { TerminalText.width(String($0[..<($0.range(of: "evil-")?.lowerBound ?? $0.startIndex)])) })
            let reasonColumns = Set(hostile.map { TerminalText.width(String($0[..<($0.range(of: "R: ")?.lowerBound ?? $0.startIndex)])) })
            #expect(nameColumns.count == 1, "\(table)")
            #expect(reasonColumns.count == 1, "reasons start in columns \(reasonColumns):\n\(table)")
        }
    }
}
