/// A decoded AWS response (or request body): one tree for every wire protocol, so callers and runbooks
/// can look any field up by path (`MetricAlarms[0].StateValue`) without a model type per operation.
///
/// Numbers keep their text so that nothing is lost to floating point (account ids, large counters);
/// ask for `double` or `int` when a number is wanted. Object members keep the order they arrived in.
public enum AWSValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([AWSValue])
    case object(AWSObject)
}

/// An ordered set of members. Lookups are linear: AWS objects are small, and order matters for output.
public struct AWSObject: Sendable, Equatable, Sequence {
    public private(set) var members: [(key: String, value: AWSValue)]

    public init(_ members: [(key: String, value: AWSValue)] = []) { self.members = members }

    public static func == (a: AWSObject, b: AWSObject) -> Bool {
        a.members.count == b.members.count
            && zip(a.members, b.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public subscript(key: String) -> AWSValue? {
        get {
            for m in members where m.key == key { return m.value }
            return nil
        }
        set {
            if let i = members.firstIndex(where: { $0.key == key }) {
                if let newValue { members[i].value = newValue } else { members.remove(at: i) }
            } else if let newValue {
                members.append((key, newValue))
            }
        }
    }

    public var keys: [String] { members.map(\.key) }
    public var isEmpty: Bool { members.isEmpty }
    public func makeIterator() -> IndexingIterator<[(key: String, value: AWSValue)]> { members.makeIterator() }
}

extension AWSValue {
    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var array: [AWSValue]? { if case .array(let a) = self { a } else { nil } }
    public var object: AWSObject? { if case .object(let o) = self { o } else { nil } }
    public var bool: Bool? {
        switch self {
        case .bool(let b): b
        case .string("true"): true
        case .string("false"): false
        default: nil
        }
    }
    /// The number's value; also reads a numeric string (query-protocol XML carries numbers as text).
    public var double: Double? {
        switch self {
        case .number(let n), .string(let n): Double(n)
        default: nil
        }
    }
    public var int: Int? {
        switch self {
        case .number(let n), .string(let n): Int(n) ?? Double(n).flatMap { $0 == $0.rounded() ? Int(exactly: $0) : nil }
        default: nil
        }
    }
    public var isNull: Bool { if case .null = self { true } else { false } }

    public subscript(key: String) -> AWSValue? { object?[key] }
    public subscript(index: Int) -> AWSValue? {
        guard let a = array, a.indices.contains(index) else { return nil }
        return a[index]
    }

    public static func int(_ n: Int) -> AWSValue { .number(String(n)) }
}

extension AWSValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(String(value)) }
    public init(arrayLiteral elements: AWSValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, AWSValue)...) {
        self = .object(AWSObject(elements.map { ($0.0, $0.1) }))
    }
    public init(nilLiteral: ()) { self = .null }
}

extension AWSObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, AWSValue)...) {
        self.init(elements.map { ($0.0, $0.1) })
    }
}

// MARK: - Paths

/// A parsed path into an `AWSValue`: `DBClusters[0].Status`, `Items[2].pk.S`, `["odd key"].x`.
public struct AWSPath: Sendable, Equatable, CustomStringConvertible {
    public enum Component: Sendable, Equatable {
        case key(String)
        case index(Int)
    }
    public let components: [Component]
    public let text: String

    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let path: String
        public let offset: Int
        public let reason: String
        public var description: String { "bad path \"\(path)\" at character \(offset + 1): \(reason)" }
    }

    public init(_ text: String) throws(ParseError) {
        self.text = text
        var out: [Component] = []
        let chars = Array(text)
        var i = 0
        func fail(_ why: String) -> ParseError { ParseError(path: text, offset: i, reason: why) }
        var expectKey = true
        while i < chars.count {
            let c = chars[i]
            if c == "[" {
                i += 1
                if i < chars.count, chars[i] == "\"" {
                    i += 1
                    var key = ""
                    while i < chars.count, chars[i] != "\"" { key.append(chars[i]); i += 1 }
                    guard i + 1 < chars.count, chars[i + 1] == "]" else { throw fail("expected \"] after a quoted key") }
                    i += 2
                    out.append(.key(key))
                } else {
                    var digits = ""
                    while i < chars.count, chars[i].isASCII, chars[i].isNumber { digits.append(chars[i]); i += 1 }
                    guard let n = Int(digits), i < chars.count, chars[i] == "]" else {
                        throw fail("expected a non-negative index and ]")
                    }
                    i += 1
                    out.append(.index(n))
                }
                expectKey = false
            } else if c == "." {
                guard !out.isEmpty, !expectKey else { throw fail("unexpected '.'") }
                i += 1
                expectKey = true
                guard i < chars.count, chars[i] != "." else { throw fail("expected a name after '.'") }
            } else {
                guard expectKey else { throw fail("expected '.' or '[' before a name") }
                var key = ""
                while i < chars.count, chars[i] != ".", chars[i] != "[" { key.append(chars[i]); i += 1 }
                out.append(.key(key))
                expectKey = false
            }
        }
        guard !out.isEmpty else { throw ParseError(path: text, offset: 0, reason: "empty path") }
        guard !expectKey else { throw fail("path ends with '.'") }
        components = out
    }

    public var description: String { text }
}

extension AWSValue {
    /// The value at `path`, or nil when any step is missing.
    public func value(at path: AWSPath) -> AWSValue? {
        var current = self
        for c in path.components {
            switch c {
            case .key(let k): guard let next = current[k] else { return nil }; current = next
            case .index(let i): guard let next = current[i] else { return nil }; current = next
            }
        }
        return current
    }
}
