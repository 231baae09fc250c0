import BreakglassCore

/// The `:` command line: text typed so far, with Tab completion. Pure; the reducer owns it.
public struct CommandLineState: Hashable, Sendable {
    public internal(set) var text = ""
    /// The completions Tab cycles through, and which one is shown; nil when not completing.
    public internal(set) var completions: [String]?
    public internal(set) var completionIndex = 0
    /// What was typed before Tab started completing, restored when no completion is kept.
    var typed = ""

    public init(text: String = "") {
        self.text = text
        typed = text
    }

    public enum Outcome: Hashable, Sendable {
        case editing
        case cancelled
        case submitted(String)
    }

    /// Applies `key`: characters type, Backspace deletes (and cancels on an empty line), Tab and
    /// Shift-Tab cycle through the `candidates` that start with what was typed, Enter submits, Esc
    /// cancels.
    public mutating func edit(_ key: Key, candidates: [String]) -> Outcome {
        switch key {
        case .escape, .ctrl("c"), .ctrl("g"):
            return .cancelled
        case .enter:
            return .submitted(text.trimmingCharacters(in: .whitespaces))
        case .backspace, .ctrl("h"):
            if text.isEmpty { return .cancelled }
            text.removeLast()
            typed = text
            completions = nil
        case .ctrl("u"):
            text = ""
            typed = ""
            completions = nil
        case .tab, .backTab:
            if completions == nil {
                let prefix = typed.lowercased()
                let matches = candidates.filter { $0.lowercased().hasPrefix(prefix) }
                guard !matches.isEmpty else { return .editing }
                completions = matches
                completionIndex = key == .tab ? 0 : matches.count - 1
            } else if let list = completions {
                completionIndex = (completionIndex + (key == .tab ? 1 : list.count - 1)) % list.count
            }
            if let list = completions { text = list[completionIndex] }
        case .char(let c):
            text.append(c)
            typed = text
            completions = nil
        default:
            break
        }
        return .editing
    }
}

/// The commands `:` accepts. Any unambiguous prefix works (`:inc`), and `:q` quits.
public enum ConsoleCommandName: String, CaseIterable, Sendable {
    case alarms, incidents, runbook, access, audit, help, quit

    /// The command and its argument in `text`, or a sentence saying what is wrong.
    public static func parse(_ text: String, runbooks: [String]) -> Result<(ConsoleCommandName, String?), CommandLineError> {
        let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let first = words.first?.lowercased() else { return .failure(CommandLineError("type a command: " + list)) }
        let command: ConsoleCommandName
        if first == "q" {
            command = .quit
        } else if let exact = ConsoleCommandName(rawValue: first) {
            command = exact
        } else {
            let matches = allCases.filter { $0.rawValue.hasPrefix(first) }
            guard matches.count == 1, let only = matches.first else {
                let shown = TerminalText.sanitize(words[0])
                if matches.count > 1 { return .failure(CommandLineError("`\(shown)` could be " + matches.map(\.rawValue).joined(separator: " or "))) }
                return .failure(CommandLineError("unknown command `\(shown)`; the commands are " + list))
            }
            command = only
        }
        let rest = words.dropFirst()
        if command == .runbook, let name = rest.first {
            guard rest.count == 1 else { return .failure(CommandLineError("`runbook` takes one runbook id")) }
            guard runbooks.isEmpty || runbooks.contains(name) else {
                let shown = TerminalText.sanitize(name)
                if let near = runbooks.min(by: { editDistance($0, name) < editDistance($1, name) }), editDistance(near, name) <= 3 {
                    return .failure(CommandLineError("no runbook `\(shown)`; did you mean `\(near)`?"))
                }
                return .failure(CommandLineError("no runbook `\(shown)`; Tab after `runbook ` lists them"))
            }
            return .success((command, name))
        }
        guard rest.isEmpty else { return .failure(CommandLineError("`\(command.rawValue)` takes no argument")) }
        return .success((command, nil))
    }

    static var list: String { allCases.map { ":" + $0.rawValue }.joined(separator: " ") }
}

public struct CommandLineError: Error, Hashable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
