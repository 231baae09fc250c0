import Yams

/// The YAML writer behind `breakglass runbook import-ssm`: a value tree with comments, written in the
/// style of the shipped runbooks (block mappings and lists, short mappings in flow style, long text
/// folded). Every string is written so that the YAML reader gives back exactly that string: it is
/// left plain only when plain YAML reads it as the same text (not `yes`, `null`, `8`, `1e3`, `~`, not
/// with `: `, ` #`, a leading indicator or surrounding spaces); otherwise it is double-quoted with
/// escapes, or, when long, folded (`>-`) or kept line by line (`|-`) where those read back the same.
public enum SSMImportYAML {
    /// A value to write.
    public indirect enum Node: Sendable, Equatable {
        case string(String)
        /// Written as is: the caller passes decimal text.
        case number(String)
        case bool(Bool)
        case null
        case list([Item])
        case mapping([Entry])
    }

    /// A key and its value, with comment lines written above it.
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: Node
        public var comments: [String]

        public init(_ key: String, _ value: Node, comments: [String] = []) {
            self.key = key
            self.value = value
            self.comments = comments
        }
    }

    /// A list element, with comment lines written above it.
    public struct Item: Sendable, Equatable {
        public var value: Node
        public var comments: [String]

        public init(_ value: Node, comments: [String] = []) {
            self.value = value
            self.comments = comments
        }
    }

    /// Lines are kept within this many columns where the text allows it.
    public static let width = 100

    /// A whole document: `header` comment lines, then the top-level mapping.
    public static func document(header: [String], _ entries: [Entry]) -> String {
        var out: [String] = []
        for line in header { out += commentLines(line, indent: 0) }
        writeEntries(entries, indent: 0, into: &out)
        return out.joined(separator: "\n") + "\n"
    }

    // MARK: Scalars

    /// Where a scalar is written: as a value in block style, inside a flow collection (`{ … }`,
    /// `[ … ]`, where `,[]{}` are indicators), or as a mapping key.
    public enum Context: Sendable {
        case block, flow, key
    }

    /// `text` as one YAML token: plain when plain YAML reads it back as the same text, else
    /// double-quoted.
    public static func scalar(_ text: String, _ context: Context = .block) -> String {
        isPlainSafe(text, inFlow: context == .flow) ? text : doubleQuoted(text)
    }

    /// Whether `text` can be written without quotes and read back as the same string.
    public static func isPlainSafe(_ text: String, inFlow: Bool) -> Bool {
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return false }
        // Leading and trailing spaces are dropped by the reader; indicators start something else.
        if first == " " || last == " " || first == "\t" || last == "\t" { return false }
        if "-?:,[]{}#&*!|>'\"%@`".unicodeScalars.contains(first) { return false }
        if last == ":" { return false }
        if text.contains(": ") || text.contains(" #") || text.contains(":\t") || text.contains("\t#") { return false }
        if text.hasPrefix("...") || text.hasPrefix("---") { return false }
        for s in text.unicodeScalars {
            if !isPrintable(s) || s == "\t" || s == "\n" || s == "\r" || isSpecialBreak(s) { return false }
            // libyaml reads a `:` inside a plain scalar in a flow collection as an error.
            if inFlow && ",[]{}:".unicodeScalars.contains(s) { return false }
        }
        // What plain text would be read as: only a string stays a string. YAML 1.1's one-letter
        // booleans are quoted too, for other readers.
        if ["y", "Y", "n", "N"].contains(text) { return false }
        return YAMLValue.tagName(Node.yamsScalar(text)) == .str
    }

    /// `"…"` with every character that needs it escaped.
    public static func doubleQuoted(_ text: String) -> String {
        var out = "\""
        for s in text.unicodeScalars {
            switch s {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\0": out += "\\0"
            case "\u{85}": out += "\\N"
            case "\u{A0}": out += "\\_"
            case "\u{2028}": out += "\\L"
            case "\u{2029}": out += "\\P"
            default:
                if isPrintable(s) && s != "\u{FEFF}" {
                    out.unicodeScalars.append(s)
                } else if s.value <= 0xFF {
                    out += "\\x" + hex(s.value, digits: 2)
                } else if s.value <= 0xFFFF {
                    out += "\\u" + hex(s.value, digits: 4)
                } else {
                    out += "\\U" + hex(s.value, digits: 8)
                }
            }
        }
        return out + "\""
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    /// YAML's printable characters (what a document may hold unescaped).
    static func isPrintable(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09, 0x0A, 0x0D, 0x20...0x7E, 0x85, 0xA0...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }

    /// Characters libyaml reads as line breaks (besides \n and \r), and the byte order mark.
    static func isSpecialBreak(_ s: Unicode.Scalar) -> Bool {
        s == "\u{85}" || s == "\u{2028}" || s == "\u{2029}" || s == "\u{FEFF}"
    }

    /// Text that a folded block (`>-`) gives back unchanged once broken into lines at single
    /// spaces: one line of printable characters, no tabs, no spaces at either end.
    static func canFold(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last, first != " ", last != " " else { return false }
        return text.unicodeScalars.allSatisfy { isPrintable($0) && $0 != "\n" && $0 != "\r" && $0 != "\t" && !isSpecialBreak($0) }
    }

    /// Text that a literal block (`|-`) gives back unchanged: several lines of printable characters,
    /// none with spaces or tabs at its end or (the first) at its start, no tab at any line's start,
    /// and no empty first or last line.
    static func canKeepLines(_ text: String) -> Bool {
        guard text.contains("\n"), !text.hasPrefix("\n"), !text.hasSuffix("\n") else { return false }
        guard text.unicodeScalars.allSatisfy({ isPrintable($0) && $0 != "\r" && !isSpecialBreak($0) }) else { return false }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if let first = lines.first, first.first == " " { return false }
        return lines.allSatisfy { line in line.last != " " && line.last != "\t" && line.first != "\t" }
    }

    /// `text` broken at single spaces (a space with a non-space on both sides) into lines of at most
    /// `width` characters where possible. Joining the lines with one space gives `text` back.
    static func fold(_ text: String, width: Int) -> [String] {
        let chars = Array(text)
        var lines: [String] = []
        var start = 0
        var last: Int?
        for b in chars.indices where chars[b] == " " && b > 0 && b + 1 < chars.count && chars[b - 1] != " " && chars[b + 1] != " " {
            if b - start <= width {
                last = b
                continue
            }
            if let l = last {
                lines.append(String(chars[start..<l]))
                start = l + 1
                last = nil
                if b - start <= width {
                    last = b
                    continue
                }
            }
            // No earlier place to break: this piece is longer than the width by itself.
            lines.append(String(chars[start..<b]))
            start = b + 1
        }
        if chars.count - start > width, let l = last {
            lines.append(String(chars[start..<l]))
            start = l + 1
        }
        lines.append(String(chars[start...]))
        return lines
    }

    /// A scalar written after `prefix` (`key:` or `-`) at `indent`: on the same line, or as a folded
    /// or literal block whose lines are indented by `indent + 2`.
    static func writeScalarValue(_ text: String, prefix: String, indent: Int, into out: inout [String]) {
        let pad = String(repeating: " ", count: indent)
        let inner = String(repeating: " ", count: indent + 2)
        let single = scalar(text)
        if canKeepLines(text) {
            out.append(pad + prefix + " |-")
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                out.append(line.isEmpty ? "" : inner + line)
            }
            return
        }
        if indent + prefix.count + 1 + single.count > width, canFold(text) {
            let lines = fold(text, width: width - indent - 2)
            if lines.count > 1 {
                out.append(pad + prefix + " >-")
                for line in lines { out.append(inner + line) }
                return
            }
        }
        out.append(pad + prefix + " " + single)
    }

    // MARK: Collections

    static func scalarText(_ node: Node, _ context: Context) -> String? {
        switch node {
        case .string(let s): scalar(s, context)
        case .number(let n): n
        case .bool(let b): b ? "true" : "false"
        case .null: "~"
        case .list, .mapping: nil
        }
    }

    /// The node in flow style on one line, when it is a scalar, or a list or mapping of scalars and
    /// lists of scalars (no comments).
    static func flow(_ node: Node, depth: Int = 0) -> String? {
        if let text = scalarText(node, .flow) { return text }
        guard depth < 2 else { return nil }
        switch node {
        case .list(let items):
            if items.isEmpty { return "[]" }
            guard items.allSatisfy({ $0.comments.isEmpty }) else { return nil }
            var parts: [String] = []
            for item in items {
                guard let text = flow(item.value, depth: depth + 1) else { return nil }
                parts.append(text)
            }
            return "[" + parts.joined(separator: ", ") + "]"
        case .mapping(let entries):
            if entries.isEmpty { return "{}" }
            guard entries.allSatisfy({ $0.comments.isEmpty }) else { return nil }
            var parts: [String] = []
            for entry in entries {
                guard let text = flow(entry.value, depth: depth + 1) else { return nil }
                parts.append(scalar(entry.key, .flow) + ": " + text)
            }
            return "{ " + parts.joined(separator: ", ") + " }"
        default:
            return nil
        }
    }

    static func writeEntries(_ entries: [Entry], indent: Int, into out: inout [String]) {
        for entry in entries { writeEntry(entry, indent: indent, firstPrefix: nil, into: &out) }
    }

    /// One `key: value`. `firstPrefix` replaces the indentation of the key's line (a list item's
    /// `- `).
    static func writeEntry(_ entry: Entry, indent: Int, firstPrefix: String?, into out: inout [String]) {
        for comment in entry.comments { out += commentLines(comment, indent: indent) }
        let key = scalar(entry.key, .key) + ":"
        let lead = firstPrefix.map { String(repeating: " ", count: max(0, indent - $0.count)) + $0 } ?? String(repeating: " ", count: indent)
        func line(_ rest: String) { out.append(lead + key + rest) }
        switch entry.value {
        case .string(let s):
            var lines: [String] = []
            writeScalarValue(s, prefix: key, indent: indent, into: &lines)
            if let first = lines.first { lines[0] = lead + String(first.dropFirst(indent)) }
            out += lines
        case .number, .bool, .null:
            line(" " + (scalarText(entry.value, .block) ?? ""))
        case .list(let items):
            if items.isEmpty {
                line(" []")
            } else if let text = flow(entry.value), isShortList(items), indent + key.count + 1 + text.count <= width {
                line(" " + text)
            } else {
                line("")
                writeItems(items, indent: indent + 2, into: &out)
            }
        case .mapping(let entries):
            if entries.isEmpty {
                line(" {}")
            } else if !entries.contains(where: { if case .mapping = $0.value { true } else { false } }), let text = flow(entry.value),
                indent + key.count + 1 + text.count <= width
            {
                // A mapping of mappings (params) stays in block style, one entry a line.
                line(" " + text)
            } else {
                line("")
                writeEntries(entries, indent: indent + 2, into: &out)
            }
        }
    }

    /// Lists of scalars are written in flow style; lists of mappings (steps, filters) one per line.
    static func isShortList(_ items: [Item]) -> Bool {
        items.allSatisfy { if case .mapping = $0.value { false } else if case .list = $0.value { false } else { true } }
    }

    static func writeItems(_ items: [Item], indent: Int, into out: inout [String]) {
        let pad = String(repeating: " ", count: indent)
        for item in items {
            for comment in item.comments { out += commentLines(comment, indent: indent) }
            switch item.value {
            case .string(let s):
                writeScalarValue(s, prefix: "-", indent: indent, into: &out)
            case .number, .bool, .null:
                out.append(pad + "- " + (scalarText(item.value, .block) ?? ""))
            case .mapping(let entries):
                if entries.isEmpty {
                    out.append(pad + "- {}")
                } else {
                    // Mappings in a block list (steps) are written one key a line, the first after `- `.
                    for (i, entry) in entries.enumerated() {
                        writeEntry(entry, indent: indent + 2, firstPrefix: i == 0 ? pad + "- " : nil, into: &out)
                    }
                }
            case .list(let inner):
                if let text = flow(item.value), indent + 2 + text.count <= width {
                    out.append(pad + "- " + text)
                } else {
                    out.append(pad + "-")
                    writeItems(inner, indent: indent + 2, into: &out)
                }
            }
        }
    }

    /// `# text` at `indent`, wrapped to the width at spaces; characters that would end or break a
    /// comment line are replaced by spaces.
    static func commentLines(_ text: String, indent: Int) -> [String] {
        let clean = String(String.UnicodeScalarView(text.unicodeScalars.map { s in
            (isPrintable(s) && s != "\n" && s != "\r" && !isSpecialBreak(s)) || s == "\t" ? (s == "\t" ? " " : s) : " "
        }))
        let pad = String(repeating: " ", count: indent)
        let trimmed = String(clean.reversed().drop { $0 == " " }.reversed())
        if trimmed.isEmpty { return [pad + "#"] }
        return fold(trimmed, width: max(20, width - indent - 2)).map { pad + "# " + $0 }
    }
}

extension SSMImportYAML.Node {
    /// A Yams plain scalar holding `text`, to ask how plain YAML would read it.
    static func yamsScalar(_ text: String) -> Yams.Node { Yams.Node.scalar(Yams.Node.Scalar(text)) }
}
