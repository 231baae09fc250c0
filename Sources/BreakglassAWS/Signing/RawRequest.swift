/// The plain-text request form of AWS's SigV4 test suite, and of `breakglass aws sign`:
///
///     METHOD PATH[?QUERY] HTTP/1.1
///     Name:value          (repeatable; the value is kept as written, leading space included)
///     <blank line>
///     body
///
/// `parse` reads the `.req` form; `print` writes the `.sreq` form (the same, with the headers the
/// signer added, and `Authorization: …` written with a space after the colon as AWS's files do).
public enum RawRequest {
    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        /// 1-based.
        public let line: Int
        /// 1-based, in characters.
        public let column: Int
        public let message: String

        public init(line: Int, column: Int, message: String) {
            self.line = line
            self.column = column
            self.message = message
        }

        public var description: String { "line \(line), column \(column): \(message)" }
    }

    /// Parses a raw request. Lines may end in LF or CRLF. The Host header gives `host` (and `port`).
    public static func parse(_ text: String, scheme: String = "https") throws(ParseError) -> HTTPRequest {
        // "\r\n" is one Character in Swift, so split on either ending explicitly.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        // A final newline ends the last header line; it is not an empty body.
        if lines.count > 1, lines.last == "", !lines.dropLast().contains("") { lines.removeLast() }
        guard let first = lines.first, !first.isEmpty else {
            throw ParseError(line: 1, column: 1, message: "expected a request line: METHOD PATH HTTP/1.1")
        }
        let (method, target) = try parseRequestLine(first)

        var headers: [HTTPHeader] = []
        var index = 1
        var bodyStart: Int?
        while index < lines.count {
            let line = lines[index]
            let lineNumber = index + 1
            if line.isEmpty {
                bodyStart = index + 1
                break
            }
            if line.first == " " || line.first == "\t" {
                throw ParseError(line: lineNumber, column: 1, message: "folded (multi-line) header values are not supported")
            }
            guard let colon = line.firstIndex(of: ":") else {
                throw ParseError(line: lineNumber, column: line.count + 1, message: "expected `Name:value`, found no colon")
            }
            let name = line[..<colon]
            if name.isEmpty {
                throw ParseError(line: lineNumber, column: 1, message: "empty header name")
            }
            if let bad = name.firstIndex(where: { !isTokenCharacter($0) }) {
                let column = name.distance(from: name.startIndex, to: bad) + 1
                throw ParseError(line: lineNumber, column: column, message: "character \(quoted(name[bad])) is not allowed in a header name")
            }
            headers.append(HTTPHeader(String(name), String(line[line.index(after: colon)...])))
            index += 1
        }
        let body: [UInt8]
        if let bodyStart, bodyStart < lines.count {
            body = Array(lines[bodyStart...].joined(separator: "\n").utf8)
        } else {
            body = []
        }

        guard let hostHeader = headers.first(where: { $0.name.caseInsensitiveEquals("host") }) else {
            throw ParseError(line: index + 1, column: 1, message: "missing Host header")
        }
        let (host, port) = splitHost(trimmed(hostHeader.value))
        if host.isEmpty {
            let line = (headers.firstIndex { $0.name.caseInsensitiveEquals("host") } ?? 0) + 2
            throw ParseError(line: line, column: 6, message: "empty Host header")
        }

        let path: String
        let query: String
        if let q = target.firstIndex(of: "?") {
            path = String(target[..<q])
            query = String(target[target.index(after: q)...])
        } else {
            path = String(target)
            query = ""
        }
        return HTTPRequest(method: String(method), scheme: scheme, host: host, port: port, path: path, query: query, headers: headers, body: body)
    }

    /// Writes `request` in the `.sreq` form.
    public static func print(_ request: HTTPRequest) -> String {
        var out = "\(request.method) \(request.path)\(request.query.isEmpty ? "" : "?" + request.query) HTTP/1.1"
        var authorization: [HTTPHeader] = []
        for header in request.headers {
            if header.name.caseInsensitiveEquals("authorization") {
                authorization.append(header)
                continue
            }
            out += "\n\(header.name):\(header.value)"
        }
        for header in authorization { out += "\n\(header.name): \(header.value)" }
        if !request.body.isEmpty { out += "\n\n" + String(decoding: request.body, as: UTF8.self) }
        return out
    }

    // MARK: - Helpers

    /// `METHOD SP TARGET SP HTTP/x.y`; the target runs from the first space to the last, so a raw
    /// space in a path (normalize-path/get-space) survives.
    private static func parseRequestLine(_ line: Substring) throws(ParseError) -> (Substring, Substring) {
        guard let firstSpace = line.firstIndex(of: " ") else {
            throw ParseError(line: 1, column: line.count + 1, message: "expected `METHOD PATH HTTP/1.1`, found no space after the method")
        }
        let method = line[..<firstSpace]
        if method.isEmpty { throw ParseError(line: 1, column: 1, message: "empty method") }
        if let bad = method.firstIndex(where: { !isTokenCharacter($0) }) {
            throw ParseError(line: 1, column: method.distance(from: method.startIndex, to: bad) + 1, message: "character \(quoted(method[bad])) is not allowed in a method")
        }
        guard let lastSpace = line.lastIndex(of: " "), lastSpace > firstSpace else {
            throw ParseError(line: 1, column: line.count + 1, message: "expected ` HTTP/1.1` after the path")
        }
        let version = line[line.index(after: lastSpace)...]
        if !version.hasPrefix("HTTP/") {
            throw ParseError(line: 1, column: line.distance(from: line.startIndex, to: lastSpace) + 2, message: "expected an HTTP version such as HTTP/1.1, found \(quoted(version))")
        }
        let target = line[line.index(after: firstSpace)..<lastSpace]
        if target.first != "/" {
            throw ParseError(line: 1, column: line.distance(from: line.startIndex, to: firstSpace) + 2, message: "the path must start with `/`")
        }
        return (method, target)
    }

    private static func isTokenCharacter(_ c: Character) -> Bool {
        guard let a = c.asciiValue else { return false }
        switch a {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(a)
        }
    }

    private static func quoted(_ s: some StringProtocol) -> String {
        "`" + s.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined() + "`"
    }

    private static func quoted(_ c: Character) -> String { quoted(String(c)) }

    private static func trimmed(_ s: String) -> String {
        var sub = Substring(s)
        while let f = sub.first, f == " " || f == "\t" { sub = sub.dropFirst() }
        while let l = sub.last, l == " " || l == "\t" { sub = sub.dropLast() }
        return String(sub)
    }

    /// `example.com`, `example.com:8080`, `[::1]:8080`.
    private static func splitHost(_ value: String) -> (String, Int?) {
        if value.hasPrefix("["), let close = value.firstIndex(of: "]") {
            let host = String(value[value.index(after: value.startIndex)..<close])
            let rest = value[value.index(after: close)...]
            if rest.hasPrefix(":"), let port = Int(rest.dropFirst()) { return (host, port) }
            return (host, nil)
        }
        if let colon = value.lastIndex(of: ":"), value.firstIndex(of: ":") == colon, let port = Int(value[value.index(after: colon)...]) {
            return (String(value[..<colon]), port)
        }
        return (value, nil)
    }
}
