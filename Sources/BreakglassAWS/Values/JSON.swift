/// JSON to and from `AWSValue`. Written here, rather than through Foundation, so that decoding a large
/// DescribeAlarms page stays fast and every failure says where in the input it happened.
public enum JSON {
    public struct DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
        /// Byte offset into the input where decoding stopped.
        public let offset: Int
        public let reason: String
        public var description: String { "malformed JSON at byte \(offset): \(reason)" }
    }

    public static func decode(_ bytes: some Collection<UInt8>) throws(DecodeError) -> AWSValue {
        let array = Array(bytes)
        return try array.withUnsafeBufferPointer { (buffer) throws(DecodeError) -> AWSValue in
            var parser = Parser(bytes: buffer)
            parser.skipSpace()
            let value = try parser.parseValue(depth: 0)
            parser.skipSpace()
            guard parser.pos == buffer.count else { throw parser.error("unexpected data after the value") }
            return value
        }
    }

    public static func decode(_ text: String) throws(DecodeError) -> AWSValue { try decode(Array(text.utf8)) }

    /// Compact JSON. `pretty` indents by two spaces for people.
    public static func encode(_ value: AWSValue, pretty: Bool = false) -> String {
        // Written as bytes and made a string once: appending to a String checks its capacity and
        // form at every piece, which for `breakglass alarms --output json` cost more than the rest
        // of the command's own work.
        var out: [UInt8] = []
        write(value, into: &out, pretty: pretty, indent: 0)
        return String(decoding: out, as: UTF8.self)
    }

    private static func write(_ v: AWSValue, into out: inout [UInt8], pretty: Bool, indent: Int) {
        switch v {
        case .null: append("null", to: &out)
        case .bool(let b): append(b ? "true" : "false", to: &out)
        case .number(let n): out.append(contentsOf: n.utf8)
        case .string(let s): writeString(s, into: &out)
        case .array(let a):
            if a.isEmpty { append("[]", to: &out); return }
            out.append(UInt8(ascii: "["))
            for (i, e) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { newline(indent + 2, &out) }
                write(e, into: &out, pretty: pretty, indent: indent + 2)
            }
            if pretty { newline(indent, &out) }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            if o.isEmpty { append("{}", to: &out); return }
            out.append(UInt8(ascii: "{"))
            for (i, m) in o.members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { newline(indent + 2, &out) }
                writeString(m.key, into: &out)
                append(pretty ? ": " : ":", to: &out)
                write(m.value, into: &out, pretty: pretty, indent: indent + 2)
            }
            if pretty { newline(indent, &out) }
            out.append(UInt8(ascii: "}"))
        }
    }

    @inline(__always)
    private static func append(_ text: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// A line break and `indent` spaces.
    private static func newline(_ indent: Int, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\n"))
        for _ in 0..<indent { out.append(UInt8(ascii: " ")) }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Whether `b` may begin something `writeString` escapes: below 0x20, `"`, `\`, DEL, 0xC2
    /// (U+0080–U+00BF, the C1 controls among them) and 0xE2 (U+2000–U+2FFF: the bidirectional
    /// controls and the line separators among them).
    @inline(__always)
    private static func mayNeedEscape(_ b: UInt8) -> Bool {
        b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F || b == 0xC2 || b == 0xE2
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings (names, ARNs, timestamps) need no escape at all: they are appended whole.
        // A byte that may begin something to escape sends the string down the scalar-by-scalar path.
        let plain = s.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            for b in bytes where mayNeedEscape(b) { return false }
            out.append(contentsOf: bytes)
            return true
        } ?? false
        if plain {
            out.append(UInt8(ascii: "\""))
            return
        }
        for u in s.unicodeScalars {
            switch u {
            case "\"": append("\\\"", to: &out)
            case "\\": append("\\\\", to: &out)
            case "\n": append("\\n", to: &out)
            case "\r": append("\\r", to: &out)
            case "\t": append("\\t", to: &out)
            case "\u{08}": append("\\b", to: &out)
            case "\u{0C}": append("\\f", to: &out)
            default:
                // Control characters (C0, DEL and C1, whose U+009B a terminal may take for CSI), the
                // bidirectional controls and the line separators are escaped, so that JSON output is
                // safe to print to a terminal and to embed in JavaScript (docs/FUZZING.md).
                if InertText.isControl(u) || u.value == 0x2028 || u.value == 0x2029 {
                    let v = Int(u.value)
                    append("\\u", to: &out)
                    for shift in [12, 8, 4, 0] { out.append(hex[(v >> shift) & 0xF]) }
                } else {
                    UTF8.encode(u) { out.append($0) }
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static let maxDepth = 512

    fileprivate struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var pos = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        func error(_ reason: String) -> DecodeError { DecodeError(offset: pos, reason: reason) }

        mutating func skipSpace() {
            while pos < bytes.count {
                switch bytes[pos] {
                case 0x20, 0x0A, 0x0D, 0x09: pos += 1
                default: return
                }
            }
        }

        mutating func parseValue(depth: Int) throws(DecodeError) -> AWSValue {
            guard depth < JSON.maxDepth else { throw error("nested deeper than \(JSON.maxDepth) levels") }
            guard pos < bytes.count else { throw error("unexpected end of input") }
            switch bytes[pos] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth)
            case UInt8(ascii: "["): return try parseArray(depth: depth)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
            default: throw error("unexpected character '\(Self.printable(bytes[pos]))'")
            }
        }

        static func printable(_ b: UInt8) -> String {
            (0x21...0x7E).contains(b) ? String(UnicodeScalar(b)) : "\\x" + String(b, radix: 16)
        }

        mutating func literal(_ word: StaticString) throws(DecodeError) {
            let n = word.utf8CodeUnitCount
            guard pos + n <= bytes.count else { throw error("unexpected end of input") }
            let start = word.utf8Start
            for i in 0..<n where bytes[pos + i] != start[i] { throw error("invalid literal") }
            pos += n
        }

        mutating func parseNumber() throws(DecodeError) -> AWSValue {
            let start = pos
            try scanNumber()
            return .number(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self))
        }

        /// Moves past a number, checking its grammar.
        mutating func scanNumber() throws(DecodeError) {
            if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            func digits(_ p: inout Int, _ b: UnsafeBufferPointer<UInt8>) -> Int {
                let s = p
                while p < b.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[p]) { p += 1 }
                return p - s
            }
            let intStart = pos
            guard digits(&pos, bytes) > 0 else { throw error("expected digits") }
            if bytes[intStart] == UInt8(ascii: "0"), pos - intStart > 1 {
                pos = intStart + 1
                throw error("leading zero in a number")
            }
            if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
                pos += 1
                guard digits(&pos, bytes) > 0 else { throw error("expected digits after '.'") }
            }
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
                pos += 1
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
                guard digits(&pos, bytes) > 0 else { throw error("expected exponent digits") }
            }
        }

        mutating func parseString() throws(DecodeError) -> String {
            pos += 1  // opening quote
            let start = pos
            // Fast path: no escapes.
            while pos < bytes.count {
                let b = bytes[pos]
                if b == UInt8(ascii: "\"") {
                    let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
                    pos += 1
                    return s
                }
                if b == UInt8(ascii: "\\") { break }
                if b < 0x20 { throw error("control character in string") }
                pos += 1
            }
            var out = Array(bytes[start..<pos])
            while pos < bytes.count {
                let b = bytes[pos]
                if b == UInt8(ascii: "\"") {
                    pos += 1
                    return String(decoding: out, as: UTF8.self)
                }
                if b < 0x20 { throw error("control character in string") }
                if b != UInt8(ascii: "\\") { out.append(b); pos += 1; continue }
                pos += 1
                guard pos < bytes.count else { break }
                let e = bytes[pos]
                pos += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        // A high surrogate must be followed by a low one; a lone one becomes U+FFFD.
                        if pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") {
                            pos += 2
                            let low = try hex4()
                            if (0xDC00...0xDFFF).contains(low) {
                                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                appendScalar(0xFFFD, to: &out)
                                scalar = low
                            }
                        } else {
                            scalar = 0xFFFD
                        }
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        scalar = 0xFFFD
                    }
                    appendScalar(scalar, to: &out)
                default: throw error("invalid escape '\\\(Self.printable(e))'")
                }
            }
            throw error("unterminated string")
        }

        mutating func hex4() throws(DecodeError) -> UInt32 {
            guard pos + 4 <= bytes.count else { throw error("truncated \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let b = bytes[pos]
                let d: UInt32
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
                default: throw error("invalid hex digit in \\u escape")
                }
                v = v << 4 | d
                pos += 1
            }
            return v
        }

        func appendScalar(_ v: UInt32, to out: inout [UInt8]) {
            let scalar = Unicode.Scalar(v) ?? "\u{FFFD}"
            out.append(contentsOf: String(Character(scalar)).utf8)
        }

        mutating func parseArray(depth: Int) throws(DecodeError) -> AWSValue {
            pos += 1
            var items: [AWSValue] = []
            skipSpace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try parseValue(depth: depth + 1))
                skipSpace()
                guard pos < bytes.count else { throw error("unterminated array") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
                throw error("expected ',' or ']' in array")
            }
        }

        mutating func parseObject(depth: Int) throws(DecodeError) -> AWSValue {
            pos += 1
            var members: [(key: String, value: AWSValue)] = []
            skipSpace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(AWSObject(members)) }
            while true {
                skipSpace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw error("expected a member name") }
                let key = try parseString()
                skipSpace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw error("expected ':' after a member name") }
                pos += 1
                skipSpace()
                members.append((key, try parseValue(depth: depth + 1)))
                skipSpace()
                guard pos < bytes.count else { throw error("unterminated object") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(AWSObject(members)) }
                throw error("expected ',' or '}' in object")
            }
        }
    }
}


// MARK: - Reading without a tree

extension JSON {
    /// Reads a JSON document in place, front to back, for callers that know the shape they want and
    /// would otherwise build an `AWSValue` tree only to copy a few fields out of it (a DescribeAlarms
    /// page: 100 alarms of ~25 members each, of which the console keeps a dozen). Nothing is
    /// allocated but the strings asked for; members not asked for are checked and skipped. Every
    /// document the reader accepts, `decode` accepts too, and the same malformed input fails both.
    ///
    /// A reader borrows the bytes: use it only inside `JSON.read`'s closure.
    ///
    ///     try JSON.read(body) { r in
    ///         try r.beginObject()
    ///         while try r.nextMember() {
    ///             if r.keyIs("Name") { name = try r.stringOrSkip() } else { try r.skipValue() }
    ///         }
    ///     }
    public struct Reader {
        fileprivate var parser: Parser
        /// Where the current member's name is in the input (between its quotes), and whether it
        /// holds escapes (then it is compared decoded).
        private var keyStart = 0
        private var keyEnd = 0
        private var keyEscaped = false
        /// Objects and arrays entered and not yet left: the depth of the next value, as `decode` counts it.
        private var depth = 0

        fileprivate init(_ bytes: UnsafeBufferPointer<UInt8>) { parser = Parser(bytes: bytes) }

        public enum Kind: Sendable, Equatable {
            case object, array, string, number, bool, null
        }

        /// Byte offset of the next thing to read.
        public var offset: Int { parser.pos }

        /// An error at the reader's position, for callers' own complaints about the shape.
        public func error(_ reason: String) -> DecodeError { parser.error(reason) }

        /// What the next value is, without reading it.
        public mutating func kind() throws(DecodeError) -> Kind {
            parser.skipSpace()
            guard parser.pos < parser.bytes.count else { throw parser.error("unexpected end of input") }
            switch parser.bytes[parser.pos] {
            case UInt8(ascii: "{"): return .object
            case UInt8(ascii: "["): return .array
            case UInt8(ascii: "\""): return .string
            case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
            case UInt8(ascii: "n"): return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
            default: throw parser.error("unexpected character '\(Parser.printable(parser.bytes[parser.pos]))'")
            }
        }

        /// Enters an object; then `nextMember` until it answers false.
        public mutating func beginObject() throws(DecodeError) {
            guard try kind() == .object else { throw parser.error("expected an object") }
            guard depth < JSON.maxDepth else { throw parser.error("nested deeper than \(JSON.maxDepth) levels") }
            parser.pos += 1
            depth += 1
        }

        /// Moves to the next member of the object entered last and past its ':'; false (and out of
        /// the object) after the last. The member's value must be read or skipped before the next call.
        public mutating func nextMember() throws(DecodeError) -> Bool {
            let first = previousByte() == UInt8(ascii: "{")
            parser.skipSpace()
            guard parser.pos < parser.bytes.count else { throw parser.error(first ? "expected a member name" : "unterminated object") }
            let b = parser.bytes[parser.pos]
            if b == UInt8(ascii: "}") { parser.pos += 1; depth -= 1; return false }
            if !first {
                guard b == UInt8(ascii: ",") else { throw parser.error("expected ',' or '}' in object") }
                parser.pos += 1
                parser.skipSpace()
            }
            guard parser.pos < parser.bytes.count, parser.bytes[parser.pos] == UInt8(ascii: "\"") else {
                throw parser.error("expected a member name")
            }
            keyStart = parser.pos + 1
            keyEscaped = try skipString()
            keyEnd = parser.pos - 1
            parser.skipSpace()
            guard parser.pos < parser.bytes.count, parser.bytes[parser.pos] == UInt8(ascii: ":") else {
                throw parser.error("expected ':' after a member name")
            }
            parser.pos += 1
            parser.skipSpace()
            return true
        }

        /// Whether the current member is called `name`.
        public func keyIs(_ name: StaticString) -> Bool {
            let n = name.utf8CodeUnitCount
            if keyEscaped { return key == String(decoding: UnsafeBufferPointer(start: name.utf8Start, count: n), as: UTF8.self) }
            guard keyEnd - keyStart == n else { return false }
            let start = name.utf8Start
            for i in 0..<n where parser.bytes[keyStart + i] != start[i] { return false }
            return true
        }

        /// The current member's name.
        public var key: String {
            var p = parser
            p.pos = keyStart - 1
            return (try? p.parseString()) ?? ""
        }

        /// Enters an array; then `nextElement` until it answers false.
        public mutating func beginArray() throws(DecodeError) {
            guard try kind() == .array else { throw parser.error("expected an array") }
            guard depth < JSON.maxDepth else { throw parser.error("nested deeper than \(JSON.maxDepth) levels") }
            parser.pos += 1
            depth += 1
        }

        /// Moves to the next element of the array entered last; false (and out of the array) after
        /// the last. The element must be read or skipped before the next call.
        public mutating func nextElement() throws(DecodeError) -> Bool {
            let first = previousByte() == UInt8(ascii: "[")
            parser.skipSpace()
            guard parser.pos < parser.bytes.count else {
                // As `decode` says it: a first element that is not there is a value missing.
                if first { return true }
                throw parser.error("unterminated array")
            }
            let b = parser.bytes[parser.pos]
            if b == UInt8(ascii: "]") { parser.pos += 1; depth -= 1; return false }
            if !first {
                guard b == UInt8(ascii: ",") else { throw parser.error("expected ',' or ']' in array") }
                parser.pos += 1
                parser.skipSpace()
            }
            return true
        }

        /// The string here, decoded.
        public mutating func string() throws(DecodeError) -> String {
            guard try kind() == .string else { throw parser.error("expected a string") }
            return try parser.parseString()
        }

        /// The string here, or nil (and the value skipped) when the value is not a string.
        public mutating func stringOrSkip() throws(DecodeError) -> String? {
            guard try kind() == .string else { try skipValue(); return nil }
            return try parser.parseString()
        }

        /// As `stringOrSkip`, but a string already in `table` is handed out again instead of being
        /// allocated anew: for values many records repeat (a namespace, a statistic).
        public mutating func stringOrSkip(sharingWith table: inout StringTable) throws(DecodeError) -> String? {
            guard try kind() == .string else { try skipValue(); return nil }
            let start = parser.pos + 1
            if try skipString() {
                // Escaped: rare in the values worth sharing; decode it plainly.
                var p = parser
                p.pos = start - 1
                return try p.parseString()
            }
            return table.string(UnsafeBufferPointer(rebasing: parser.bytes[start..<(parser.pos - 1)]))
        }

        /// A number's text, or a string's (query-protocol answers and some servers send numbers as
        /// strings), as `AWSValue.double` and `.int` read both; nil (and the value skipped) otherwise.
        public mutating func numberOrStringOrSkip() throws(DecodeError) -> String? {
            switch try kind() {
            case .string: return try parser.parseString()
            case .number:
                let start = parser.pos
                try parser.scanNumber()
                return String(decoding: UnsafeBufferPointer(rebasing: parser.bytes[start..<parser.pos]), as: UTF8.self)
            default:
                try skipValue()
                return nil
            }
        }

        /// Checks the value here and moves past it, building nothing.
        public mutating func skipValue() throws(DecodeError) {
            guard depth < JSON.maxDepth else { throw parser.error("nested deeper than \(JSON.maxDepth) levels") }
            switch try kind() {
            case .object:
                try beginObject()
                while try nextMember() { try skipValue() }
            case .array:
                try beginArray()
                while try nextElement() { try skipValue() }
            case .string: _ = try skipString()
            case .number: try parser.scanNumber()
            case .bool:
                if parser.bytes[parser.pos] == UInt8(ascii: "t") { try parser.literal("true") } else { try parser.literal("false") }
            case .null: try parser.literal("null")
            }
        }

        /// Moves past the string at the reader's position (its opening quote), checking its escapes
        /// as `parseString` does; answers whether it held any.
        private mutating func skipString() throws(DecodeError) -> Bool {
            parser.pos += 1
            var escaped = false
            while parser.pos < parser.bytes.count {
                let b = parser.bytes[parser.pos]
                if b == UInt8(ascii: "\"") { parser.pos += 1; return escaped }
                if b < 0x20 { throw parser.error("control character in string") }
                parser.pos += 1
                guard b == UInt8(ascii: "\\") else { continue }
                escaped = true
                guard parser.pos < parser.bytes.count else { break }
                let e = parser.bytes[parser.pos]
                parser.pos += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    continue
                case UInt8(ascii: "u"): _ = try parser.hex4()
                default: throw parser.error("invalid escape '\\\(Parser.printable(e))'")
                }
            }
            throw parser.error("unterminated string")
        }

        /// The last byte before the position that is not white space (0 at the start).
        private func previousByte() -> UInt8 {
            var i = parser.pos - 1
            while i >= 0 {
                switch parser.bytes[i] {
                case 0x20, 0x0A, 0x0D, 0x09: i -= 1
                default: return parser.bytes[i]
                }
            }
            return 0
        }
    }

    /// Runs `body` with a reader over `bytes`, then checks that nothing but white space follows what
    /// it read. Errors thrown by `body` pass through as they are.
    public static func read<T>(_ bytes: [UInt8], _ body: (inout Reader) throws -> T) throws -> T {
        try bytes.withUnsafeBufferPointer { buffer in
            var reader = Reader(buffer)
            let value = try body(&reader)
            reader.parser.skipSpace()
            guard reader.parser.pos == buffer.count else { throw reader.parser.error("unexpected data after the value") }
            return value
        }
    }

    /// Strings decoded once and handed out again: every record that names the same short value
    /// shares one copy of it. A fixed number of slots, so a stream of distinct values costs at most
    /// that many strings; values longer than `maxLength` bytes are never kept.
    public struct StringTable {
        private var slots: [String?]
        public static let maxLength = 64

        /// `slots` is rounded up to a power of two.
        public init(slots: Int = 256) {
            var n = 1
            while n < max(slots, 1) { n <<= 1 }
            self.slots = Array(repeating: nil, count: n)
        }

        /// `bytes` as a string, from the table when it is there (a colliding value replaces the
        /// older one).
        public mutating func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
            guard bytes.count <= Self.maxLength, bytes.count > 15 else {
                // Up to 15 bytes a Swift string is held inline, with nothing to share.
                return String(decoding: bytes, as: UTF8.self)
            }
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in bytes { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
            let slot = Int(truncatingIfNeeded: hash) & (slots.count - 1)
            if let kept = slots[slot], kept.utf8.count == bytes.count, kept.utf8.elementsEqual(bytes) { return kept }
            let s = String(decoding: bytes, as: UTF8.self)
            slots[slot] = s
            return s
        }
    }
}
