import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// POSIX sockets on 127.0.0.1, shared by the sandbox's gateway and the tests' loopback servers and
/// proxies. Nothing here can reach beyond loopback: every address it makes is 127.0.0.1.
public enum LoopbackSocket {
    #if canImport(Glibc)
    public static let streamType = Int32(SOCK_STREAM.rawValue)
    #else
    public static let streamType = SOCK_STREAM
    #endif

    public struct SocketError: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// 127.0.0.1:`port`.
    public static func address(port: Int) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return addr
    }

    /// bind(2) to 127.0.0.1:`port` (0: any free port); bind's result.
    public static func bind(_ fd: Int32, port: Int) -> Int32 {
        var addr = address(port: port)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    /// The port `fd` is bound to.
    public static func boundPort(_ fd: Int32) -> Int? {
        var addr = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return ok == 0 ? Int(UInt16(bigEndian: addr.sin_port)) : nil
    }

    /// poll(2) for input; false on timeout.
    public static func waitReadable(_ fd: Int32, milliseconds: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, milliseconds) > 0
    }

    /// A listening socket on 127.0.0.1:`port` (0: any free port), close-on-exec. SO_REUSEADDR, inherited
    /// by accepted connections, lets a proxy listen on the same port again after it stopped listening.
    public static func listener(port: Int) throws(SocketError) -> Int32 {
        let fd = socket(AF_INET, streamType, 0)
        guard fd >= 0 else { throw SocketError("socket: \(String(cString: strerror(errno)))") }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, port: port) == 0, listen(fd, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw SocketError("bind/listen on 127.0.0.1:\(port): \(reason)")
        }
        return fd
    }

    /// A connection to 127.0.0.1:`port`, close-on-exec; nil when refused.
    public static func connect(port: Int) -> Int32? {
        let fd = socket(AF_INET, streamType, 0)
        guard fd >= 0 else { return nil }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        var addr = address(port: port)
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    /// Writes all of `bytes`; false when the peer has gone.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// Makes the next close(2) a reset (SO_LINGER 0) instead of an orderly shutdown.
    public static func reset(_ fd: Int32) {
        var hard = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, socklen_t(MemoryLayout<linger>.size))
    }
}

/// One HTTP/1.1 request as read off a socket: its bytes as received, and the parts a proxy looks at.
public struct HTTPRequestMessage: Sendable {
    public var raw: [UInt8]
    public var method: String
    public var path: String
    /// Header names lowercased, in the order received.
    public var fields: [(String, String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return fields.first { $0.0 == lower }?.1
    }
}

/// One HTTP/1.1 answer: its bytes as received, its status, and where its body starts.
public struct HTTPResponseMessage: Sendable {
    public var raw: [UInt8]
    public var status: Int
    public var fields: [(String, String)]
    /// `raw[bodyStart...]` is the body as framed on the wire (chunked when `chunked`).
    public var bodyStart: Int
    public var chunked: Bool
    /// The server closes the connection after this answer.
    public var closes: Bool
}

/// Buffered reads of HTTP/1.1 messages from one socket, giving up when the peer closes or `stopping`
/// says so (checked every 20 ms while waiting).
public struct HTTPMessageReader {
    public let fd: Int32
    let stopping: @Sendable () -> Bool
    var buffer: [UInt8] = []

    public init(fd: Int32, stopping: @escaping @Sendable () -> Bool) {
        self.fd = fd
        self.stopping = stopping
    }

    /// Reads more bytes; false at end of stream, on error, or when stopping.
    mutating func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while !stopping() {
            guard LoopbackSocket.waitReadable(fd, milliseconds: 20) else { continue }
            let n = recv(fd, &chunk, chunk.count, 0)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
        return false
    }

    /// Takes everything up to and including `terminator`.
    mutating func take(through terminator: [UInt8]) -> [UInt8]? {
        var searchFrom = 0
        while true {
            if buffer.count >= terminator.count {
                var i = searchFrom
                while i + terminator.count <= buffer.count {
                    if buffer[i..<(i + terminator.count)].elementsEqual(terminator) {
                        let out = Array(buffer[..<(i + terminator.count)])
                        buffer.removeFirst(i + terminator.count)
                        return out
                    }
                    i += 1
                }
                searchFrom = max(0, buffer.count - terminator.count + 1)
            }
            guard fill() else { return nil }
        }
    }

    mutating func take(count: Int) -> [UInt8]? {
        while buffer.count < count {
            guard fill() else { return nil }
        }
        let out = Array(buffer[..<count])
        buffer.removeFirst(count)
        return out
    }

    mutating func takeAll() -> [UInt8] {
        while fill() {}
        let out = buffer
        buffer.removeAll()
        return out
    }

    static let crlf: [UInt8] = Array("\r\n".utf8)
    static let blankLine: [UInt8] = Array("\r\n\r\n".utf8)

    static func headers(_ head: [UInt8]) -> (first: String, fields: [(String, String)]) {
        let lines = String(decoding: head, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: true)
        let fields = lines.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return (lines.first.map(String.init) ?? "", fields)
    }

    /// One request: head and Content-Length body (a chunked request body is read whole, as framed).
    /// Nil when the client goes away.
    public mutating func readRequest() -> HTTPRequestMessage? {
        guard let head = take(through: Self.blankLine) else { return nil }
        let (first, fields) = Self.headers(head)
        let words = first.split(separator: " ")
        let method = words.first.map(String.init) ?? ""
        let path = words.count > 1 ? String(words[1]) : ""
        if fields.contains(where: { $0.0 == "transfer-encoding" && $0.1.lowercased().contains("chunked") }) {
            guard let (framed, body) = readChunks() else { return nil }
            return HTTPRequestMessage(raw: head + framed, method: method, path: path, fields: fields, body: body)
        }
        let length = fields.first { $0.0 == "content-length" }.flatMap { Int($0.1) } ?? 0
        guard let body = take(count: length) else { return nil }
        return HTTPRequestMessage(raw: head + body, method: method, path: path, fields: fields, body: body)
    }

    /// A chunked body: as framed on the wire, and decoded.
    mutating func readChunks() -> (framed: [UInt8], body: [UInt8])? {
        var framed: [UInt8] = []
        var body: [UInt8] = []
        while true {
            guard let sizeLine = take(through: Self.crlf) else { return nil }
            framed += sizeLine
            let text = String(decoding: sizeLine.dropLast(2), as: UTF8.self)
            guard let size = Int(text.split(separator: ";").first.map(String.init) ?? "", radix: 16), size >= 0 else { return nil }
            if size == 0 {
                while true {
                    guard let trailer = take(through: Self.crlf) else { return nil }
                    framed += trailer
                    if trailer.count == 2 { return (framed, body) }
                }
            }
            guard let data = take(count: size + 2) else { return nil }
            framed += data
            body += data.dropLast(2)
        }
    }

    /// One whole answer, framed by Content-Length, chunked encoding, or the end of the connection.
    public mutating func readResponse(head isHead: Bool) -> HTTPResponseMessage? {
        guard let head = take(through: Self.blankLine) else { return nil }
        let (status, fields) = Self.headers(head)
        let parts = status.split(separator: " ")
        let code = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        let connection = fields.first { $0.0 == "connection" }?.1.lowercased()
        let closes = connection == "close" || (status.hasPrefix("HTTP/1.0") && connection != "keep-alive")
        func answer(_ body: [UInt8], chunked: Bool = false, closes: Bool) -> HTTPResponseMessage {
            HTTPResponseMessage(raw: head + body, status: code, fields: fields, bodyStart: head.count, chunked: chunked, closes: closes)
        }
        if isHead || code == 204 || code == 304 || (100..<200).contains(code) { return answer([], closes: closes) }
        if fields.contains(where: { $0.0 == "transfer-encoding" && $0.1.lowercased().contains("chunked") }) {
            guard let (framed, _) = readChunks() else { return nil }
            return answer(framed, chunked: true, closes: closes)
        }
        if let length = fields.first(where: { $0.0 == "content-length" }).flatMap({ Int($0.1) }) {
            guard let body = take(count: length) else { return nil }
            return answer(body, closes: closes)
        }
        return answer(takeAll(), closes: true)
    }
}
