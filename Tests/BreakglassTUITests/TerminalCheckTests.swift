import BreakglassTUI
import Testing

@Suite("Terminal check")
struct TerminalCheckTests {
    static let good = ["TERM": "xterm-256color", "LANG": "C.UTF-8"]

    @Test(arguments: [
        ("ready", good, "UTF-8", true, true, nil),
        ("utf8 spelled differently", good, "utf8", true, true, nil),
        ("stdout piped", good, "UTF-8", true, false, "standard output is not a terminal"),
        ("stdin redirected", good, "UTF-8", false, true, "standard input is not a terminal"),
        ("neither", good, "UTF-8", false, false, "standard input and output are not a terminal"),
        ("TERM unset", ["LANG": "C.UTF-8"], "UTF-8", true, true, "TERM is not set"),
        ("TERM empty", ["TERM": "", "LANG": "C.UTF-8"], "UTF-8", true, true, "TERM is not set"),
        ("TERM dumb", ["TERM": "dumb"], "UTF-8", true, true, "TERM=dumb"),
        ("C locale", ["TERM": "linux"], "ANSI_X3.4-1968", true, true, "`export LANG=C.UTF-8`"),
        ("LC_ALL wins", ["TERM": "screen", "LANG": "C.UTF-8", "LC_ALL": "C"], "ANSI_X3.4-1968", true, true, "`export LC_ALL=C.UTF-8`"),
        ("LC_CTYPE wins", ["TERM": "screen", "LC_CTYPE": "POSIX"], "ANSI_X3.4-1968", true, true, "`export LC_CTYPE=C.UTF-8`"),
        ("Latin-1", ["TERM": "vt100", "LANG": "de_DE.ISO-8859-1"], "ISO-8859-1", true, true, "character set is ISO-8859-1 (LC_ALL unset, LC_CTYPE unset, LANG=de_DE.ISO-8859-1)"),
    ] as [(String, [String: String], String, Bool, Bool, String?)])
    func evaluate(_ name: String, _ environment: [String: String], _ codeset: String, _ stdin: Bool, _ stdout: Bool, _ expected: String?) {
        let outcome = TerminalCheck.evaluate(environment: environment, codeset: codeset, stdinIsTTY: stdin, stdoutIsTTY: stdout)
        switch (outcome, expected) {
        case (.ok, nil):
            break
        case (.refuse(let message), .some(let fragment)):
            #expect(message.contains(fragment), "\(name): \(message)")
            #expect(!message.contains("\n"), "one paragraph")
        default:
            Issue.record("\(name): got \(outcome), expected \(expected ?? "ok")")
        }
    }
}
