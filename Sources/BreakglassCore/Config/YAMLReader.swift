import Foundation
import Yams

// A small typed reader over Yams' node tree, shared by every YAML file Breakglass reads (the
// configuration, runbooks, themes, scenarios). A loader walks the document with it:
//
//     let document = try YAMLDocument.read(path: path)            // syntax errors throw here
//     if let top = document.root?.mapping(allowed: ["id", "title", "steps"]) {
//         let id = top.required("id")?.string()
//         let steps = top.optional("steps")?.list { step in readStep(step) }
//     }
//     try document.finish()                                      // throws everything recorded
//
// Each read returns nil when the value is not what was asked for, after recording a `SourceError`
// that names the file, line, column and field and says what was expected and what was found. The
// loader carries on, so one pass reports every independent problem.

/// Problems recorded while a document is read. Shared by every value of one document.
public final class SourceDiagnostics {
    public private(set) var errors: [SourceError] = []

    public init() {}

    public func add(_ error: SourceError) { errors.append(error) }

    public var isEmpty: Bool { errors.isEmpty }
}

/// A parsed YAML file: its root value (nil when the file holds no document, or only `null`) and the
/// problems recorded so far.
public struct YAMLDocument {
    public let file: String
    public let root: YAMLValue?
    public let diagnostics: SourceDiagnostics

    /// Parses `text`; `file` is the name errors give (usually the path as the user wrote it). YAML
    /// syntax errors (bad indentation, an unclosed quote, a duplicate key, tabs) throw here with
    /// the position libyaml reports.
    public static func parse(_ text: String, file: String) throws(SourceErrors) -> YAMLDocument {
        let diagnostics = SourceDiagnostics()
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw SourceErrors(YAMLSyntax.error(error, file: file, text: text))
        }
        let root = node.map { YAMLValue(node: $0, path: .root, file: file, diagnostics: diagnostics) }
        return YAMLDocument(file: file, root: root?.isNull == true ? nil : root, diagnostics: diagnostics)
    }

    /// Reads and parses the file at `path`. Errors name it `displayPath` (default: `path`). A file
    /// that cannot be read, or is not UTF-8, is an error too.
    public static func read(path: String, displayPath: String? = nil) throws(SourceErrors) -> YAMLDocument {
        let name = displayPath ?? path
        let bytes: [UInt8]
        switch FileBytes.contents(of: path) {
        case .success(let b): bytes = b
        case .failure(let why): throw SourceErrors(SourceError("cannot read the file: \(why)", at: .file(name)))
        }
        return try parse(try text(of: bytes, file: name), file: name)
    }

    /// A file's bytes as text, or the error for a file that is not UTF-8, at the first byte that is
    /// not. What `read(path:)` does between reading a file and parsing it; public for the fuzz targets
    /// (docs/FUZZING.md), which feed the loaders bytes rather than files.
    public static func text(of bytes: [UInt8], file name: String) throws(SourceErrors) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw SourceErrors(SourceError("the file is not UTF-8 text (it has a byte sequence that is not UTF-8 here)", at: YAMLSyntax.firstInvalidUTF8(bytes, file: name)))
        }
        return text
    }

    /// Every problem recorded so far, in file order.
    public var errors: [SourceError] { SourceErrors(diagnostics.errors).errors }

    /// Throws every problem recorded while reading, in file order; returns when there were none.
    public func finish() throws(SourceErrors) {
        if !diagnostics.isEmpty { throw SourceErrors(diagnostics.errors) }
    }
}

/// One value in a document, with where it was written and its field path. Reading it as a type
/// returns nil (and records an error) when it is not of that type.
public struct YAMLValue {
    let node: Node
    public let path: FieldPath
    public let location: SourceLocation
    public let diagnostics: SourceDiagnostics

    init(node: Node, path: FieldPath, file: String, diagnostics: SourceDiagnostics) {
        self.node = node
        self.path = path
        self.diagnostics = diagnostics
        let mark = node.mark
        location = SourceLocation(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0)
    }

    /// Records `message` as a problem with this value.
    public func error(_ message: String) {
        diagnostics.add(SourceError(message, at: location, field: path))
    }

    /// Records "expected `what`, found …".
    public func expected(_ what: String, suffix: String = "") {
        error("expected \(what), found \(found)\(suffix)")
    }

    /// This value in the words of an error message: `"5 minutes"`, `300`, `true`, `a list`,
    /// `a mapping`, `nothing` (an empty value).
    public var found: String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let s):
            if isNull { return s.string.isEmpty ? "nothing" : s.string }
            if s.string.isEmpty { return "\"\"" }
            if s.style == .plain || s.style == .any {
                switch Self.tagName(node) {
                case .bool, .int, .float: return s.string
                default: return Self.quote(s.string)
                }
            }
            // A quoted "true" or "2" is a string: say so, or "expected a number, found "2"" puzzles.
            let plain = Node.scalar(Node.Scalar(s.string))
            switch Self.tagName(plain) {
            case .bool, .int, .float, .null: return "the quoted string \(Self.quote(s.string)) (remove the quotes)"
            default: return Self.quote(s.string)
            }
        }
    }

    /// Like `found`, but never shows the text of a scalar (it may be a secret).
    public var foundWithoutText: String {
        if case .scalar = node, !isNull { return "a value (not shown, in case it is a secret)" }
        return found
    }

    static func tagName(_ node: Node) -> Tag.Name { Tag.Name(rawValue: node.tag.rawValue) }

    static func quote(_ text: String) -> String {
        let limit = 60
        let shown = text.count > limit ? String(text.prefix(limit)) + "…" : text
        return shown.debugDescription
    }

    /// An empty value, `~` or `null` (unquoted).
    public var isNull: Bool {
        guard case .scalar(let s) = node else { return false }
        return s.style != .singleQuoted && s.style != .doubleQuoted && Self.tagName(node) == .null
    }

    private var plainScalar: String? {
        guard case .scalar(let s) = node, s.style == .plain || s.style == .any else { return nil }
        return s.string
    }

    /// `value` located here.
    public func located<T>(_ value: T) -> Located<T> { Located(value, at: location) }

    // MARK: Scalars

    /// A string: any scalar that is not empty or null (`name: 5` reads as "5"; quote it or not).
    /// An empty string is refused unless `allowEmpty`.
    public func string(allowEmpty: Bool = false) -> String? {
        guard case .scalar(let s) = node, !isNull else {
            expected(allowEmpty ? "a string" : "a non-empty string")
            return nil
        }
        if s.string.isEmpty && !allowEmpty {
            expected("a non-empty string")
            return nil
        }
        return s.string
    }

    /// A whole number written without quotes, in decimal; within `range` when given.
    public func int(in range: ClosedRange<Int>? = nil) -> Int? {
        let what: String
        switch range {
        case nil: what = "a whole number"
        case let r? where r.upperBound == Int.max: what = "a whole number of at least \(r.lowerBound)"
        case let r?: what = "a whole number from \(r.lowerBound) to \(r.upperBound)"
        }
        guard let text = plainScalar, Self.tagName(node) == .int, Self.isDecimal(text), let n = Int(text) else {
            expected(what)
            return nil
        }
        if let range, !range.contains(n) {
            expected(what)
            return nil
        }
        return n
    }

    private static func isDecimal(_ text: String) -> Bool {
        let digits = text.first == "-" || text.first == "+" ? text.dropFirst() : Substring(text)
        return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// `true` or `false` (also `True`/`TRUE`/`False`/`FALSE`), unquoted. YAML 1.1's `yes`, `no`,
    /// `on` and `off` are refused: YAML 1.2 and editors read them as strings.
    public func bool() -> Bool? {
        switch plainScalar {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default:
            expected("true or false")
            return nil
        }
    }

    /// A duration in `DurationSyntax` (`90s`, `5m`, `1h`, `1h30m`, `500ms`), at least `minimum` and
    /// at most `maximum` when given.
    public func duration(minimum: Duration? = nil, maximum: Duration? = nil) -> Duration? {
        let what = "a duration like 90s, 5m or 1h"
        guard case .scalar(let s) = node, !isNull else {
            expected(what)
            return nil
        }
        let text = s.string
        guard let duration = DurationSyntax.parse(text) else {
            if DurationSyntax.isBareNumber(text) {
                let hint = text.allSatisfy({ $0.isASCII && $0.isNumber })
                    ? "add a unit, e.g. \(text)s or \(text)m" : "durations are whole numbers with a unit, e.g. 1m30s"
                error("expected \(what), found \(text) (a number without a unit); \(hint)")
            } else if text.contains(".") {
                expected(what, suffix: "; use whole numbers of each unit, e.g. 1h30m rather than 1.5h")
            } else {
                expected(what)
            }
            return nil
        }
        switch (minimum, maximum) {
        case let (min?, max?) where duration < min || duration > max:
            expected("a duration from \(DurationSyntax.format(min)) to \(DurationSyntax.format(max))")
            return nil
        case let (min?, nil) where duration < min:
            expected("a duration of at least \(DurationSyntax.format(min))")
            return nil
        case let (nil, max?) where duration > max:
            expected("a duration of at most \(DurationSyntax.format(max))")
            return nil
        default:
            return duration
        }
    }

    /// One of `choices` (a string), suggesting the closest when it is not.
    public func oneOf(_ choices: [String]) -> String? {
        guard case .scalar(let s) = node, !isNull else {
            expected("one of \(choices.joined(separator: ", "))")
            return nil
        }
        guard choices.contains(s.string) else {
            expected("one of \(choices.joined(separator: ", "))", suffix: Suggestion.didYouMean(s.string, in: choices))
            return nil
        }
        return s.string
    }

    // MARK: Lists

    /// The elements of a list, each with its path (`stages[1]`).
    public func list(what: String = "a list") -> [YAMLValue]? {
        guard case .sequence(let seq) = node else {
            expected(what)
            return nil
        }
        return seq.enumerated().map { i, element in
            YAMLValue(node: element, path: path.appending(index: i), file: location.file, diagnostics: diagnostics)
        }
    }

    /// The elements of a list read with `read`; elements it rejects are left out (their problems are
    /// recorded). Nil when this is not a list.
    public func list<T>(what: String = "a list", _ read: (YAMLValue) -> T?) -> [T]? {
        list(what: what)?.compactMap(read)
    }

    /// One value or a list of them, as a list: `notify: primary` reads like `notify: [primary]`.
    /// A mapping (or nothing) is an error.
    public func oneOrMany(what: String = "a string or a list of strings") -> [YAMLValue]? {
        switch node {
        case .scalar where !isNull: return [self]
        case .sequence: return list()
        default:
            expected(what)
            return nil
        }
    }

    /// A string or a list of strings: `regions: us-east-1` and `regions: [us-east-1, eu-west-1]`.
    public func strings() -> [String]? { locatedStrings()?.map(\.value) }

    /// As `strings()`, each with where it was written.
    public func locatedStrings() -> [Located<String>]? {
        oneOrMany()?.compactMap { element in element.string().map { element.located($0) } }
    }

    public var isScalar: Bool { if case .scalar = node { !isNull } else { false } }
    public var isMapping: Bool { if case .mapping = node { true } else { false } }
    public var isList: Bool { if case .sequence = node { true } else { false } }

    // MARK: Mappings

    /// A mapping whose keys are fixed names: any key not in `allowed` is an error naming it, with the
    /// closest allowed key when one is near (`unknown key `escalaton`; did you mean `escalation`?`), or
    /// `hints[key]` when given (to say why a key does not exist and what to write instead).
    /// `what` describes the expected value in the error when this is not a mapping.
    public func mapping(allowed: [String], hints: [String: String] = [:], what: String = "a mapping") -> YAMLMapping? {
        guard let entries = entries(what: what) else { return nil }
        var known: [YAMLEntry] = []
        var rejected: [String] = []
        for entry in entries {
            if allowed.contains(entry.key) {
                known.append(entry)
            } else {
                var message = "unknown key `\(entry.key)`"
                if let hint = hints[entry.key] {
                    message += "; \(hint)"
                } else if let near = Suggestion.closest(to: entry.key, in: allowed) {
                    message += "; did you mean `\(near)`?"
                } else if allowed.count <= 12 {
                    message += "; expected one of: \(allowed.joined(separator: ", "))"
                }
                diagnostics.add(SourceError(message, at: entry.keyLocation, field: path))
                rejected.append(message)
            }
        }
        return YAMLMapping(value: self, entries: known, rejections: rejected)
    }

    /// A mapping whose keys are names the user chose (contact ids, plan ids), in the order written.
    /// Merge keys (`<<: *defaults`) are applied where they stand: keys written in the mapping win
    /// over merged ones, and an earlier merged mapping wins over a later one. Keys must be
    /// non-empty strings.
    public func entries(what: String = "a mapping") -> [YAMLEntry]? {
        guard case .mapping(let m) = node else {
            expected(what)
            return nil
        }
        let file = location.file
        var explicit = Set<String>()
        for (key, _) in m where !Self.isMergeKey(key) {
            if case .scalar(let s) = key { explicit.insert(s.string) }
        }
        var result: [YAMLEntry] = []
        var seen = Set<String>()
        for (keyNode, valueNode) in m {
            let keyValue = YAMLValue(node: keyNode, path: path, file: file, diagnostics: diagnostics)
            if Self.isMergeKey(keyNode) {
                let merged = YAMLValue(node: valueNode, path: path, file: file, diagnostics: diagnostics)
                let sources: [YAMLValue]
                switch valueNode {
                case .mapping: sources = [merged]
                case .sequence(let seq) where seq.allSatisfy({ if case .mapping = $0 { true } else { false } }):
                    sources = seq.map { YAMLValue(node: $0, path: path, file: file, diagnostics: diagnostics) }
                default:
                    merged.expected("a mapping or a list of mappings to merge (an alias such as *defaults)")
                    continue
                }
                for source in sources {
                    for entry in source.entries() ?? [] where !explicit.contains(entry.key) && !seen.contains(entry.key) {
                        seen.insert(entry.key)
                        result.append(entry)
                    }
                }
                continue
            }
            guard case .scalar(let s) = keyNode, !keyValue.isNull, !s.string.isEmpty else {
                keyValue.expected("a key name")
                continue
            }
            // Yams refuses duplicate keys, and merged keys never shadow written ones: keys are unique.
            seen.insert(s.string)
            let value = YAMLValue(node: valueNode, path: path.appending(key: s.string), file: file, diagnostics: diagnostics)
            result.append(YAMLEntry(key: s.string, keyLocation: keyValue.location, value: value))
        }
        return result
    }

    private static func isMergeKey(_ key: Node) -> Bool {
        guard case .scalar(let s) = key, s.style == .plain || s.style == .any else { return false }
        return s.string == "<<"
    }
}

/// A key and its value in a mapping.
public struct YAMLEntry {
    public let key: String
    /// Where the key is written (where people look for "the contact `primary`").
    public let keyLocation: SourceLocation
    public let value: YAMLValue

    /// The key with where it was written.
    public var locatedKey: Located<String> { Located(key, at: keyLocation) }
}

/// A mapping with fixed keys (see `YAMLValue.mapping(allowed:)`); unknown keys are already reported
/// and left out.
public struct YAMLMapping {
    /// The mapping itself (its location is where it starts).
    public let value: YAMLValue
    public let entries: [YAMLEntry]
    /// The errors already given for unknown keys in this mapping.
    let rejections: [String]

    public var keys: [String] { entries.map(\.key) }

    /// Whether `key` is written, even with an empty value.
    public func has(_ key: String) -> Bool { entries.contains { $0.key == key } }

    /// The value of `key`, or nil when it is absent or empty (`key:`, `key: ~`): optional fields
    /// treat an empty value as not given.
    public func optional(_ key: String) -> YAMLValue? {
        guard let v = entries.first(where: { $0.key == key })?.value, !v.isNull else { return nil }
        return v
    }

    public subscript(key: String) -> YAMLValue? { optional(key) }

    /// Whether an unknown key here was reported as a likely misspelling of `key` (or with a hint
    /// naming it): then problems that follow from `key` being absent need not be reported.
    public func reportedAsMisspelled(_ key: String) -> Bool {
        rejections.contains { $0.contains("`\(key)`") }
    }

    /// The value of `key`; when absent, records "missing required key" at the mapping and returns
    /// nil. An empty value is returned, so reading it reports "found nothing". When an unknown key
    /// here was already reported as a likely misspelling of `key` (or with a hint naming it), its
    /// absence is not reported again.
    public func required(_ key: String) -> YAMLValue? {
        if let v = entries.first(where: { $0.key == key })?.value { return v }
        if !reportedAsMisspelled(key) {
            value.error("missing required key `\(key)`")
        }
        return nil
    }

    /// The one entry among `keys` (a runbook step is exactly one of say, check, do, ...). None or
    /// several are errors.
    public func exactlyOne(of keys: [String]) -> YAMLEntry? {
        let present = entries.filter { keys.contains($0.key) }
        switch present.count {
        case 1: return present[0]
        case 0:
            value.error("expected one of the keys \(keys.joined(separator: ", ")), found none")
            return nil
        default:
            value.diagnostics.add(SourceError(
                "`\(present[0].key)` and `\(present[1].key)` cannot be used together; use exactly one of \(keys.joined(separator: ", "))",
                at: present[1].keyLocation, field: value.path))
            return nil
        }
    }
}

/// "Did you mean …?" for a misspelled name.
public enum Suggestion {
    /// The candidate nearest to `name` by edit distance (transpositions count once), when near
    /// enough to be a typo: at most 1 edit for names of up to 4 characters, 2 up to 8, 3 beyond.
    public static func closest(to name: String, in candidates: [String]) -> String? {
        let limit = name.count <= 4 ? 1 : name.count <= 8 ? 2 : 3
        var best: (String, Int)?
        for candidate in candidates where candidate != name {
            let d = distance(name.lowercased(), candidate.lowercased())
            if d <= limit, d < max(candidate.count, 2), d < (best?.1 ?? Int.max) { best = (candidate, d) }
        }
        return best?.0
    }

    /// "; did you mean `x`?" or "".
    public static func didYouMean(_ name: String, in candidates: [String]) -> String {
        closest(to: name, in: candidates).map { "; did you mean `\($0)`?" } ?? ""
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and adjacent
    /// transpositions each cost 1.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}

/// Turns what Yams throws into a `SourceError` at libyaml's position.
enum YAMLSyntax {
    static func error(_ error: any Error, file: String, text: String) -> SourceError {
        guard let yaml = error as? YamlError else {
            return SourceError("YAML: \(error)", at: .file(file))
        }
        switch yaml {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = "YAML syntax: \(problem)"
            if let context, !context.text.isEmpty, context.mark.line > 0, context.mark.line != mark.line || context.mark.column != mark.column {
                message += " (\(context.text) at \(context.mark.line):\(context.mark.column))"
            } else if let context, !context.text.isEmpty {
                message += " (\(context.text))"
            }
            if character(in: text, line: mark.line, column: mark.column) == "\t" {
                message += "; YAML does not allow tabs for indentation, use spaces"
            }
            return SourceError(message, at: SourceLocation(file: file, line: mark.line, column: mark.column))
        case .reader(let problem, let offset, _, _):
            return SourceError("YAML: \(problem)", at: offset.map { position(ofCharacterOffset: $0, in: text, file: file) } ?? .file(file))
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.first ?? ""
            let first = context.mark
            if let second = secondOccurrence(of: key, after: first, in: text) {
                return SourceError("duplicate key `\(key)`; it is already set at line \(first.line)", at: SourceLocation(file: file, line: second.line, column: second.column))
            }
            return SourceError("duplicate key `\(key)`: it is set more than once in this mapping", at: SourceLocation(file: file, line: first.line, column: first.column))
        default:
            return SourceError("YAML: \(yaml)", at: .file(file))
        }
    }

    /// The character at a 1-based line and column (counted in Unicode scalars).
    static func character(in text: String, line: Int, column: Int) -> Unicode.Scalar? {
        guard line >= 1, column >= 1 else { return nil }
        var currentLine = 1
        var currentColumn = 1
        for scalar in text.unicodeScalars {
            if currentLine == line && currentColumn == column { return scalar }
            if scalar == "\n" {
                if currentLine == line { return nil }
                currentLine += 1
                currentColumn = 1
            } else {
                currentColumn += 1
            }
        }
        return nil
    }

    static func position(ofCharacterOffset offset: Int, in text: String, file: String) -> SourceLocation {
        var line = 1, column = 1
        for character in text.prefix(offset) {
            if character == "\n" || character == "\r\n" {
                line += 1
                column = 1
            } else {
                column += character.unicodeScalars.count
            }
        }
        return SourceLocation(file: file, line: line, column: column)
    }

    /// Where the first byte that is not UTF-8 is.
    static func firstInvalidUTF8(_ bytes: [UInt8], file: String) -> SourceLocation {
        var line = 1, column = 1
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while case .scalarValue(let scalar) = decoder.decode(&iterator) {
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return SourceLocation(file: file, line: line, column: column)
    }

    /// Yams reports a duplicate key at its first occurrence; the mistake is usually the second one.
    /// In a block mapping it starts in the same column on a later line; in a flow mapping it follows
    /// a `,` or `{`. Nil when it cannot be found with that rule (the caller then uses the first).
    static func secondOccurrence(of key: String, after first: Mark, in text: String) -> (line: Int, column: Int)? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array(String($0).unicodeScalars) }
        guard first.line >= 1, first.line <= lines.count, !key.isEmpty else { return nil }
        let firstLine = lines[first.line - 1]
        let keyScalars = Array(key.unicodeScalars)
        let spellings = [keyScalars, Array("\"\(key)\"".unicodeScalars), Array("'\(key)'".unicodeScalars)]

        func keyAt(_ line: [Unicode.Scalar], _ index: Int) -> Int? {
            for spelling in spellings where index + spelling.count <= line.count && Array(line[index..<index + spelling.count]) == spelling {
                var j = index + spelling.count
                while j < line.count, line[j] == " " { j += 1 }
                if j < line.count, line[j] == ":" { return index }
            }
            return nil
        }

        // A flow mapping: the first key follows `{` or `,`.
        var before = first.column - 2
        while before >= 0, before < firstLine.count, firstLine[before] == " " { before -= 1 }
        let isFlow = before >= 0 && before < firstLine.count && (firstLine[before] == "{" || firstLine[before] == ",")
        if isFlow {
            for lineIndex in (first.line - 1)..<lines.count {
                let line = lines[lineIndex]
                let start = lineIndex == first.line - 1 ? first.column : 0
                var i = start
                while i < line.count {
                    if line[i] == "{" || line[i] == "," {
                        var j = i + 1
                        while j < line.count, line[j] == " " { j += 1 }
                        if let at = keyAt(line, j) { return (lineIndex + 1, at + 1) }
                    }
                    i += 1
                }
                if lineIndex == first.line - 1 {
                    // Continuation lines of a flow mapping may start with the key itself.
                    continue
                }
                var j = 0
                while j < line.count, line[j] == " " { j += 1 }
                if let at = keyAt(line, j) { return (lineIndex + 1, at + 1) }
            }
            return nil
        }
        let column = first.column - 1
        for lineIndex in first.line..<lines.count {
            let line = lines[lineIndex]
            // Stop where the mapping ends: a non-blank, non-comment line indented less than the key.
            var indent = 0
            while indent < line.count, line[indent] == " " { indent += 1 }
            if indent < line.count, line[indent] != "#", indent < column {
                return nil
            }
            if indent == column, let at = keyAt(line, column) { return (lineIndex + 1, at + 1) }
        }
        return nil
    }
}

/// Reading a whole file with the reason when it cannot be read.
enum FileBytes {
    static func contents(of path: String) -> Result<[UInt8], FileReadError> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(FileReadError(reason: String(cString: strerror(errno)))) }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            return .failure(FileReadError(reason: "it is a folder, not a file"))
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return .failure(FileReadError(reason: String(cString: strerror(errno)))) }
            if n == 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return .success(bytes)
    }

    struct FileReadError: Error, CustomStringConvertible {
        let reason: String
        var description: String { reason }
    }
}
