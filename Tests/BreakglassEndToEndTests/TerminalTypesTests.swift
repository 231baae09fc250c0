import BreakglassAWS
import BreakglassTestSupport
import Foundation
import Testing

/// The real `breakglass console` under each terminal type the console promises to work with, in tmux,
/// against a local server that answers DescribeAlarms with one alarm in ALARM.
@Suite(.serialized, .enabled(if: TmuxSession.isAvailable, "needs tmux (make test installs it)"))
struct TerminalTypesTests {
    static let alarmsAnswer = """
        {"MetricAlarms":[{"AlarmName":"prod-api-5xx","StateValue":"ALARM",\
        "StateReason":"Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).",\
        "StateUpdatedTimestamp":1700000000,"Namespace":"AWS/ApplicationELB","MetricName":"HTTPCode_Target_5XX_Count"}]}
        """

    /// A server that answers every request with the one alarm.
    static func server() throws -> FaultServer {
        try FaultServer([], otherwise: .respond(200, [HTTPHeader("Content-Type", "application/x-amz-json-1.0")], alarmsAnswer))
    }

    static func environment(term: String, server: FaultServer) -> [String: String] {
        [
            "TERM": term, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": "/nonexistent",
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": server.endpoint,
        ]
    }

    static let exitedMarker = "console exited, press Enter"

    /// `sh -c` running the console in `folder`, then saving the terminal's modes (`stty -a`) to
    /// `modes` once it has exited and waiting for Enter (so the pane is still alive while the test
    /// reads its state), then exiting with the console's status.
    static func command(_ arguments: String, in folder: String = FileManager.default.currentDirectoryPath, modes: String) -> String {
        let script = "cd '\(folder)' && \(BreakglassBinary.path) console \(arguments); s=$?; stty -a > '\(modes)'; echo \(exitedMarker); read x; exit $s"
        return "sh -c \"\(script)\""
    }

    /// Quits with `key` and checks the console exits 0; the pane's shell is left waiting for Enter.
    static func quit(_ tmux: TmuxSession, with key: String = "q") throws {
        try tmux.sendKeys(key)
        try tmux.waitFor(exitedMarker, timeout: 10)
        try tmux.sendKeys("Enter")
        #expect(try tmux.waitForExit() == 0)
    }

    /// The help box in `rows`: its top, bottom, left and right edges, found from its title.
    static func helpBox(_ rows: [[Character]]) -> (top: Int, bottom: Int, left: Int, right: Int)? {
        let title = Array(" Help ")
        for (y, row) in rows.enumerated() {
            guard let x = (0..<max(0, row.count - title.count)).first(where: { Array(row[$0..<($0 + title.count)]) == title }), x >= 2 else { continue }
            let left = x - 2
            let corner = row[left]
            guard let right = row.indices.last(where: { $0 > x && row[$0] == (corner == "+" ? "+" : "┐") }) else { return nil }
            guard let bottom = rows.indices.first(where: { $0 > y && rows[$0].count > right && rows[$0][left] == (corner == "+" ? "+" : "└") }) else { return nil }
            return (y, bottom, left, right)
        }
        return nil
    }

    static let boxDrawing: Set<Character> = ["─", "│", "┌", "┐", "└", "┘"]

    /// Terminal types with an alternate screen in terminfo (smcup): the frame is gone after `q`.
    static let alternateScreen: Set<String> = ["xterm-256color", "tmux-256color", "screen"]

    @Test(arguments: ["xterm-256color", "tmux-256color", "screen", "linux", "vt100"])
    func drawsHelpAndQuitsCleanly(term: String) throws {
        let server = try Self.server()
        let modes = MotoHarness.runDirectory + "/stty-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: modes) }
        let tmux = try TmuxSession(
            width: 80, height: 24, command: Self.command("--interval 60", modes: modes), environment: Self.environment(term: term, server: server))

        // The first frame: the tabs row and the alarm.
        var screen = try tmux.waitUntil(what: "the first frame under TERM=\(term)") { $0.contains("1 Alarms") && $0.contains("prod-api-5xx") }
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.prefix(24).allSatisfy { $0.count <= 80 }, "\(screen)")
        #expect(screen.contains("2 Incidents"), "\(screen)")
        #expect(lines.contains { $0.contains("ALARM") && $0.contains("prod-api-5xx") }, "\(screen)")

        // ? opens help in a box: ASCII on vt100, Unicode line drawing otherwise.
        try tmux.sendKeys("?")
        func rows(_ screen: String) -> [[Character]] { screen.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0) } }
        // Waits for the whole box: a slow terminal type (vt100's padding) is drawn over a while.
        screen = try tmux.waitUntil(what: "the help box") { $0.contains("Keys on Alarms") && Self.helpBox(rows($0)) != nil }
        let rows = rows(screen)
        let box = try #require(Self.helpBox(rows), "no help box:\n\(screen)")
        let (h, v, corners): (Character, Character, [Character]) = term == "vt100" ? ("-", "|", ["+", "+", "+", "+"]) : ("─", "│", ["┌", "┐", "└", "┘"])
        #expect([rows[box.top][box.left], rows[box.top][box.right], rows[box.bottom][box.left], rows[box.bottom][box.right]] == corners, "\(screen)")
        #expect(rows[box.top][box.left + 1] == h && rows[box.top][box.right - 1] == h && rows[box.bottom][box.left + 1] == h, "\(screen)")
        #expect(box.bottom - box.top > 5, "\(screen)")
        for y in (box.top + 1)..<box.bottom { #expect(rows[y][box.left] == v && rows[y][box.right] == v, "row \(y):\n\(screen)") }
        if term == "vt100" {
            #expect(!screen.contains { Self.boxDrawing.contains($0) }, "no line drawing on a vt100:\n\(screen)")
            // Nor any other non-ASCII: the punctuation comes from the ASCII glyphs too.
            let ascii = screen.unicodeScalars.allSatisfy { $0.isASCII }
            #expect(ascii, "only ASCII on a vt100:\n\(screen)")
            #expect(screen.contains(" Help - Esc closes "), "\(screen)")
        } else {
            #expect(screen.contains(" Help — Esc closes "), "\(screen)")
        }

        try tmux.sendKeys("Escape")
        try tmux.waitUntil(what: "help closed") { !$0.contains("Keys on Alarms") && $0.contains("prod-api-5xx") }
        try tmux.sendKeys("q")
        let after = try tmux.waitFor(Self.exitedMarker, timeout: 10)

        // The terminal is as the shell left it: line editing and echo back, keypad and cursor keys
        // in normal mode, cursor shown, the alternate screen left (and with it the frame).
        let stty = ((try? String(contentsOfFile: modes, encoding: .utf8)) ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == ";" }).map(String.init)
        for flag in ["icanon", "echo", "isig", "icrnl", "opost"] { #expect(stty.contains(flag), "TERM=\(term): stty shows -\(flag): \(stty)") }
        let flags = try tmux.tmux(["display-message", "-p", "-t", tmux.name, "#{alternate_on} #{cursor_flag} #{keypad_cursor_flag} #{keypad_flag}"])
        #expect(flags.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0 1 0 0", "TERM=\(term): alternate, cursor, keypad cursor, keypad: \(flags.stdout)")
        if Self.alternateScreen.contains(term) {
            #expect(!after.contains("1 Alarms"), "TERM=\(term): the frame is left on the screen:\n\(after)")
        }
        try tmux.sendKeys("Enter")
        #expect(try tmux.waitForExit() == 0)
        withExtendedLifetime(server) {}
    }

    /// The configuration's `console:` section reaches the running console: its theme (24-bit
    /// colours stepped down to the 256 of xterm-256color), `color: always` over NO_COLOR, and a key
    /// moved by `keys:`.
    @Test func themeColourAndKeysFromTheConfiguration() throws {
        let server = try Self.server()
        let folder = NSTemporaryDirectory() + "bg-look-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "console: { theme: colorblind, color: always, keys: { quit: [Q] } }\n".write(toFile: folder + "/breakglass.yaml", atomically: true, encoding: .utf8)
        var env = Self.environment(term: "xterm-256color", server: server)
        env["NO_COLOR"] = "1"
        let modes = folder + "/stty"
        let tmux = try TmuxSession(width: 80, height: 24, command: Self.command("--interval 60", in: folder, modes: modes), environment: env)
        try tmux.waitFor("prod-api-5xx")
        try tmux.waitFor("Q quit")
        // The ALARM badge: bold black on the colour-blind theme's orange (#e69f00, 178 of 256).
        let styled = try tmux.tmux(["capture-pane", "-e", "-p", "-t", tmux.name]).stdout
        #expect(styled.contains("48;5;178"), "no orange in:\n\(styled.debugDescription)")
        // q no longer quits: the console still answers the next key.
        try tmux.sendKeys("q")
        try tmux.sendKeys("?")
        try tmux.waitFor("Keys on Alarms")
        #expect(try tmux.exitStatus() == nil)
        try tmux.sendKeys("Escape")
        try Self.quit(tmux, with: "Q")
        withExtendedLifetime(server) {}
    }

    /// The parameters of every SGR sequence (`ESC [ ... m`) in `text`.
    static func sgrParameters(_ text: String) -> [[Int]] {
        var result: [[Int]] = []
        var rest = Substring(text)
        while let start = rest.range(of: "\u{1B}[") {
            rest = rest[start.upperBound...]
            guard let end = rest.firstIndex(where: { !($0.isNumber || $0 == ";") }) else { break }
            if rest[end] == "m" { result.append(rest[..<end].split(separator: ";", omittingEmptySubsequences: false).map { Int($0) ?? 0 }) }
            rest = rest[end...]
        }
        return result
    }

    @Test func noColorMeansNoColourCodes() throws {
        let server = try Self.server()
        let modes = MotoHarness.runDirectory + "/stty-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: modes) }
        var env = Self.environment(term: "xterm-256color", server: server)
        env["NO_COLOR"] = "1"
        let tmux = try TmuxSession(width: 80, height: 24, command: Self.command("--theme colorblind --interval 60", modes: modes), environment: env)
        try tmux.waitFor("prod-api-5xx")
        let styled = try tmux.tmux(["capture-pane", "-e", "-p", "-t", tmux.name]).stdout
        let sgr = Self.sgrParameters(styled).flatMap { $0 }
        let colours = sgr.filter { (30...38).contains($0) || (40...48).contains($0) || (90...97).contains($0) || (100...107).contains($0) }
        #expect(colours.isEmpty, "colour under NO_COLOR:\n\(styled.debugDescription)")
        // Still told apart without colour: the ALARM badge is bold and reversed (SGR 1 and 7).
        #expect(sgr.contains(7) && sgr.contains(1), "\(styled.debugDescription)")
        try Self.quit(tmux)
        withExtendedLifetime(server) {}
    }

    static let offline = [
        "TERM": "xterm-256color", "LANG": "C.UTF-8", "HOME": "/nonexistent", "AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "B",
        "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    ]

    @Test func anUnknownThemeIsRefusedWithTheThemesThereAre() throws {
        let result = try BreakglassBinary.run(["console", "--theme", "solarized"], environment: Self.offline)
        #expect(result.status == 2)
        #expect(result.stderr.contains("breakglass: error: --theme: no theme named `solarized`; the themes are colorblind, default, high-contrast, monochrome"), "\(result.stderr)")
    }

    @Test func configurationMistakesAreRefusedWhereTheyAreWritten() throws {
        let folder = NSTemporaryDirectory() + "bg-look-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/themes", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "console:\n  theme: ours\n  keys: { quit: hyper-q, ack: a }\n".write(toFile: folder + "/breakglass.yaml", atomically: true, encoding: .utf8)
        try "roles: { text: { fg: crimson } }\n".write(toFile: folder + "/themes/ours.yaml", atomically: true, encoding: .utf8)
        let result = try BreakglassBinary.run(["console", "--config", folder + "/breakglass.yaml"], environment: Self.offline)
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("breakglass: error: \(folder)/themes/ours.yaml:1:22: roles.text.fg: expected a colour") }, "\(result.stderr)")
        #expect(lines.contains { $0.hasPrefix("breakglass: error: \(folder)/themes/ours.yaml:1:8: roles: missing the roles `muted`") }, "\(result.stderr)")
        #expect(lines.contains { $0.hasPrefix("breakglass: error: \(folder)/breakglass.yaml:3:17: console.keys.quit: `hyper-q` (for quit) is not a key name") }, "\(result.stderr)")
        #expect(lines.contains { $0 == "breakglass: error: \(folder)/breakglass.yaml:3:26: console.keys.ack: unknown action `ack`; did you mean `back`?" }, "\(result.stderr)")
    }
}
