import BreakglassAWS

/// Where something was written: a file, a 1-based line and a 1-based column. Columns count Unicode
/// scalars, as libyaml does. Line 0 means the file as a whole (it could not be read, for example).
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// The whole file, when no line applies.
    public static func file(_ file: String) -> SourceLocation { SourceLocation(file: file, line: 0, column: 0) }

    /// "breakglass.yaml:12:7", or just the file when the line is unknown.
    public var description: String { line > 0 ? "\(file):\(line):\(column)" : file }

    public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.file, a.line, a.column) < (b.file, b.line, b.column)
    }
}

/// A value together with where it was written, for later code that has to report about it
/// (an unknown runbook id in a response rule, a key name the console does not know).
public struct Located<Value> {
    public var value: Value
    public var location: SourceLocation

    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

extension Located: Sendable where Value: Sendable {}
extension Located: Equatable where Value: Equatable {}
extension Located: Hashable where Value: Hashable {}

/// The path of a field inside a document, as people write it: `escalation.default.stages[1].wait`.
/// List indices count from 0. Keys that are not plain words are quoted: `contacts["on call"]`.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    public enum Component: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    public var components: [Component]

    public init(_ components: [Component] = []) { self.components = components }

    /// The document itself.
    public static let root = FieldPath()

    public var isRoot: Bool { components.isEmpty }

    public func appending(key: String) -> FieldPath { FieldPath(components + [.key(key)]) }
    public func appending(index: Int) -> FieldPath { FieldPath(components + [.index(index)]) }

    public var description: String {
        var text = ""
        for component in components {
            switch component {
            case .index(let i):
                text += "[\(i)]"
            case .key(let k):
                if Self.isPlain(k) {
                    text += text.isEmpty ? k : "." + k
                } else {
                    text += "[\(k.debugDescription)]"
                }
            }
        }
        return text
    }

    private static func isPlain(_ key: String) -> Bool {
        !key.isEmpty && key.unicodeScalars.allSatisfy { s in
            (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || s == "_" || s == "-"
        }
    }
}

/// One problem in a configuration, runbook, theme or scenario file: where, which field, and a message
/// that says what was expected and what was found.
///
/// `description`: `breakglass.yaml:12:7: escalation.default.stages[1].wait: expected a duration like
/// 90s, 5m or 1h, found "5 minutes"`. The field is left out when the problem is not about a field
/// (YAML syntax), and line and column when the file could not be read at all.
public struct SourceError: Error, Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation
    public var field: FieldPath
    public var message: String

    public init(_ message: String, at location: SourceLocation, field: FieldPath = .root) {
        self.location = location
        self.field = field
        self.message = message
    }

    public var file: String { location.file }
    public var line: Int { location.line }
    public var column: Int { location.column }

    /// Controls a terminal would act on (C0 but tab, DEL, C1 and the bidirectional controls) are
    /// written as `\u{1B}`: messages quote what they found, and what they found may be hostile. A
    /// field key with such characters is quoted the same way (docs/FUZZING.md).
    public var description: String {
        InertText.quoting(field.isRoot ? "\(location): \(message)" : "\(location): \(field): \(message)")
    }
}

/// Every problem found in one or more files, in file order. Never empty when thrown.
public struct SourceErrors: Error, Sendable, Hashable, CustomStringConvertible {
    public var errors: [SourceError]

    public init(_ errors: [SourceError]) {
        // A stable sort, so problems found at the same place keep the order they were found in.
        self.errors = errors.enumerated().sorted { a, b in
            a.element.location != b.element.location ? a.element.location < b.element.location : a.offset < b.offset
        }.map(\.element)
    }

    public init(_ error: SourceError) { self.errors = [error] }

    /// One line per problem.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
