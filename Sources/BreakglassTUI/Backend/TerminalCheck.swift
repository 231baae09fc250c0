/// Whether the console can run in this terminal, decided before curses starts (curses itself would
/// either exit with a terse message or draw garbage). Pure: the caller passes the environment, the
/// locale's codeset (after `setlocale(LC_ALL, "")`) and whether stdin/stdout are terminals.
public enum TerminalCheck {
    public enum Outcome: Hashable, Sendable {
        case ok
        /// Do not start; print this paragraph on stderr and exit with status 2.
        case refuse(String)
    }

    public static func evaluate(
        environment: [String: String], codeset: String, stdinIsTTY: Bool, stdoutIsTTY: Bool
    ) -> Outcome {
        if !stdinIsTTY || !stdoutIsTTY {
            let which = !stdinIsTTY && !stdoutIsTTY ? "standard input and output are" :
                !stdinIsTTY ? "standard input is" : "standard output is"
            return .refuse(
                "breakglass console needs an interactive terminal, but \(which) not a terminal "
                    + "(redirected to a file or a pipe). Run it directly in a terminal, or with `ssh -t` "
                    + "over SSH; for scripts, use `breakglass alarms --output json` instead.")
        }
        let term = environment["TERM"] ?? ""
        if term.isEmpty {
            return .refuse(
                "breakglass console cannot draw because TERM is not set, so the terminal type is unknown. "
                    + "Set it to match your terminal, e.g. `export TERM=xterm-256color` "
                    + "(`tmux-256color` or `screen-256color` inside tmux or screen), and run it again.")
        }
        if term == "dumb" {
            return .refuse(
                "breakglass console cannot draw on TERM=dumb, a terminal that cannot move the cursor "
                    + "(as in an editor's shell buffer). Run it in a real terminal emulator, or set TERM to "
                    + "match yours, e.g. `export TERM=xterm-256color`.")
        }
        if !isUTF8(codeset) {
            return .refuse(
                "breakglass console needs a UTF-8 locale to draw alarm names correctly, but the current "
                    + "locale's character set is \(codeset.isEmpty ? "unknown" : codeset) "
                    + "(\(localeSummary(environment))). \(localeFix(environment)) and run it again; "
                    + "`locale -a` lists the locales installed here.")
        }
        return .ok
    }

    /// "UTF-8", "utf8", "UTF_8" all count.
    public static func isUTF8(_ codeset: String) -> Bool {
        codeset.uppercased().filter { $0 != "-" && $0 != "_" } == "UTF8"
    }

    private static let localeVariables = ["LC_ALL", "LC_CTYPE", "LANG"]

    private static func localeSummary(_ environment: [String: String]) -> String {
        localeVariables.map { name in
            if let value = environment[name], !value.isEmpty { "\(name)=\(value)" } else { "\(name) unset" }
        }.joined(separator: ", ")
    }

    /// The one variable that decides the character set is the first of LC_ALL, LC_CTYPE, LANG that is
    /// set; setting LANG does nothing while LC_ALL or LC_CTYPE says otherwise.
    private static func localeFix(_ environment: [String: String]) -> String {
        for name in ["LC_ALL", "LC_CTYPE"] {
            if let value = environment[name], !value.isEmpty {
                return "Run `export \(name)=C.UTF-8` (it overrides LANG)"
            }
        }
        return "Run `export LANG=C.UTF-8` (or another UTF-8 locale, e.g. en_US.UTF-8)"
    }
}
