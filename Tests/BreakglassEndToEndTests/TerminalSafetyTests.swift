import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// Hostile text through the real binary (docs/CONSOLE.md, "Terminal safety"): alarms whose names and
/// reasons carry escape sequences, C1 and bidi controls, zero-width and very wide characters, put into
/// moto with PutMetricAlarm and SetAlarmState, and AWS error messages carrying the same, reach the
/// terminal only as inert text, from `breakglass alarms` and from the console.
@Suite(.serialized) struct TerminalSafetyTests {
    /// Names moto accepts; each starts with `evil-` so a row's name column can be found.
    static let names = [
        "evil-osc52-\u{1B}]52;c;cHduZWQ=\u{07}-clip",
        "evil-csi-\u{1B}[2J\u{1B}[6n\u{1B}[31m-red",
        "evil-osc8-\u{1B}]8;;http://attacker.example/\u{1B}\\link\u{1B}]8;;\u{1B}\\",
        "evil-dcs-\u{1B}P+q544e\u{1B}\\-dcs",
        "evil-c1-\u{9B}31m\u{9D}0;title\u{9C}",
        "evil-bidi-\u{202E}fdp.exe\u{202C}\u{2066}iso\u{2069}",
        "evil-zw-zero\u{200B}width\u{FEFF}\u{2060}",
        "evil-wide-警報警報警報警報警報警報-😀",
        "evil-comb-e\u{301}\u{302}\u{303}\u{304}\u{305}x",
    ]
    static let reason = "R: \u{1B}]52;c;aGk=\u{07}\u{1B}[1;1H\u{9B}2J \u{202E}desrever\u{202C} zero\u{200B}width 警報 e\u{301}\u{302} \u{1B}P1$r\u{1B}\\ end"

    static func seed(_ server: LocalAWSServer) async throws {
        let alarms = names.enumerated().map { i, name in
            DemoSeed.SeedAlarm(name: name, namespace: "Evil/\(i)", metric: "M\(i)", threshold: 1, state: [.alarm, .ok, .insufficientData][i % 3], reason: reason)
        }
        try await DemoSeed.apply(alarms, client: server.client(), region: "us-east-1")
    }

    /// What must never reach a terminal from untrusted text, as scalars of the decoded output.
    static func unsafeScalars(in s: String) -> [String] {
        s.unicodeScalars.filter { u in
            let v = u.value
            if v == 0x0A || v == 0x200C || v == 0x200D { return false }
            return v < 0x20 || (0x7F...0x9F).contains(v) || v == 0x2028 || v == 0x2029 || u.properties.generalCategory == .format
        }.map { "U+" + String($0.value, radix: 16, uppercase: true) }
    }

    static func column(of marker: String, in line: Substring) -> Int? {
        line.range(of: marker).map { TerminalText.width(String(line[..<$0.lowerBound])) }
    }

    @Test func theAlarmsTableAndJSONAreInertAndAligned() async throws {
        try await MotoHarness.withServer { server in
            try await Self.seed(server)
            // Not a terminal, so the table is 80 columns wide.
            let table = try BreakglassBinary.run(["alarms", "--region", "us-east-1"], environment: server.environment())
            #expect(table.status == 0, "\(table.stderr)")
            #expect(Self.unsafeScalars(in: table.stdout).isEmpty, "\(Self.unsafeScalars(in: table.stdout)) in \(table.stdout.debugDescription)")
            let rows = table.stdout.split(separator: "\n").filter { $0.contains("evil-") }
            #expect(rows.count == Self.names.count, "\(table.stdout)")
            #expect(rows.allSatisfy { TerminalText.width(String($0)) <= 80 }, "\(table.stdout)")
            #expect(Set(rows.compactMap { Self.column(of: "evil-", in: $0) }).count == 1, "name column:\n\(table.stdout)")
            #expect(Set(rows.compactMap { Self.column(of: "R: ", in: $0) }).count == 1, "reason column:\n\(table.stdout)")
            #expect(table.stdout.contains("evil-bidi-fdp.exeiso"), "\(table.stdout)")

            // JSON keeps the text exactly, with every control written as \u escapes.
            let json = try BreakglassBinary.run(["alarms", "--output", "json", "--region", "us-east-1"], environment: server.environment())
            #expect(json.status == 0, "\(json.stderr)")
            // (Zero-width characters stay: they are data, and cannot move the cursor.)
            let controls = json.stdout.unicodeScalars.filter { InertText.isControl($0) && $0 != "\n" }
            #expect(controls.isEmpty, "\(controls.map { String($0.value, radix: 16) })")
            let listed = try JSON.decode(json.stdout).array ?? []
            #expect(Set(listed.compactMap { $0["name"]?.string }.filter { $0.hasPrefix("evil-") }) == Set(Self.names))
            #expect(listed.filter { $0["name"]?.string?.hasPrefix("evil-") == true }.allSatisfy { $0["reason"]?.string == Self.reason })
        }
    }

    /// An AWS error whose message carries escape sequences: the CLI's error line shows it as text.
    @Test func aHostileAWSErrorMessageIsInertOnStderr() throws {
        let message = "User: arn:aws:iam::1:user/x is not authorized \\u001b]52;c;aGk=\\u0007\\u001b[2J\\u009b6n \\u202enimda\\u202c \\u200bend"
        let server = try FaultServer([], otherwise: .respond(400, [HTTPHeader("Content-Type", "application/x-amz-json-1.0")], "{\"__type\":\"AccessDenied\",\"message\":\"\(message)\"}"))
        defer { server.stop() }
        let env = ["AWS_ENDPOINT_URL": server.endpoint, "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "us-east-1", "HOME": "/nonexistent"]
        let result = try BreakglassBinary.run(["alarms"], environment: env, timeout: 30)
        #expect(result.status == 1)
        #expect(result.stderr.contains("AccessDenied"), "\(result.stderr)")
        #expect(result.stderr.contains("is not authorized"), "\(result.stderr)")
        #expect(Self.unsafeScalars(in: result.stderr).isEmpty, "\(Self.unsafeScalars(in: result.stderr)) in \(result.stderr.debugDescription)")
    }

    /// The console in tmux, with every byte it writes recorded by script(1): the hostile payloads never
    /// appear in the byte stream, and the screen keeps its columns.
    @Test(.enabled(if: TmuxSession.isAvailable, "needs tmux (make test installs it)"))
    func theConsoleWritesNoHostileBytes() async throws {
        try await MotoHarness.withServer { server in
            try await Self.seed(server)
            let raw = MotoHarness.runDirectory + "/terminal-safety-\(UInt32.random(in: 0...UInt32.max)).raw"
            defer { try? FileManager.default.removeItem(atPath: raw) }
            let env = server.environment().merging(["TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": "/nonexistent"]) { _, b in b }
            let command = "script -q -f -e -c '\(BreakglassBinary.path) console --interval 1' '\(raw)'"
            let tmux = try TmuxSession(width: 100, height: 30, command: command, environment: env)
            var screen = try tmux.waitFor("evil-osc52")
            // Open the detail of the first hostile alarm, which shows the reason in full.
            try tmux.sendKeys("/")
            _ = try tmux.tmux(["send-keys", "-t", tmux.name, "-l", "evil-bidi"])
            try tmux.sendKeys("Enter")
            try tmux.sendKeys("Enter")
            screen = try tmux.waitFor("desrever")
            try tmux.sendKeys("Escape")
            try tmux.sendKeys("q")
            _ = try? tmux.waitForExit(timeout: 15)

            let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.prefix(30).allSatisfy { TerminalText.width(String($0)) <= 100 }, "\(screen)")
            #expect(Self.unsafeScalars(in: screen).isEmpty, "\(screen.debugDescription)")

            let bytes = try #require(FileManager.default.contents(atPath: raw), "script wrote nothing to \(raw)")
            let stream = Array(bytes)
            #expect(stream.count > 1000, "the console's output was recorded")
            func contains(_ needle: [UInt8]) -> Bool {
                guard needle.count <= stream.count else { return false }
                return (0...(stream.count - needle.count)).contains { i in stream[i..<(i + needle.count)].elementsEqual(needle) }
            }
            let payloads: [(String, [UInt8])] = [
                ("OSC 52", Array("\u{1B}]52;".utf8)), ("OSC 8", Array("\u{1B}]8;;".utf8)), ("DCS", Array("\u{1B}P+q".utf8)),
                ("DCS", Array("\u{1B}P1$r".utf8)), ("CSI 6n", Array("\u{1B}[6n".utf8)), ("CSI 1;1H from a reason", Array("\u{1B}[1;1H\u{9B}".utf8)),
                ("BEL", [0x07]), ("C1 CSI as UTF-8", [0xC2, 0x9B]), ("C1 OSC as UTF-8", [0xC2, 0x9D]), ("C1 ST as UTF-8", [0xC2, 0x9C]),
                ("U+202E", [0xE2, 0x80, 0xAE]), ("U+202C", [0xE2, 0x80, 0xAC]), ("U+2066", [0xE2, 0x81, 0xA6]), ("U+2069", [0xE2, 0x81, 0xA9]),
                ("U+200B", [0xE2, 0x80, 0x8B]), ("U+FEFF", [0xEF, 0xBB, 0xBF]), ("U+2060", [0xE2, 0x81, 0xA0]),
            ]
            for (what, needle) in payloads {
                #expect(!contains(needle), "\(what) reached the terminal")
            }
            // The printable rest of each hostile name did arrive, as text.
            #expect(contains(Array("evil-osc52-]52;c;cHduZWQ=-clip".utf8)) || screen.contains("evil-osc52-]52;c;cHduZWQ="), "\(screen)")
        }
    }
}
