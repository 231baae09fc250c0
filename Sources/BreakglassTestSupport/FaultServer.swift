import BreakglassAWS
import BreakglassCore
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small HTTP/1.1 server on 127.0.0.1 for tests of what the client does when the network or AWS
/// misbehaves. It answers each request with the next behaviour of its script (then `otherwise`), one
/// connection at a time, always with `Connection: close`, and counts the requests it received per
/// operation (the part of X-Amz-Target after the last dot, or the form body's Action). It also keeps
/// each request as received (`requests`), for tests of what a client put on the wire.
public final class FaultServer: Sendable {
    public enum Behaviour: Sendable {
        /// Answer with this status, headers and body.
        case respond(Int, [HTTPHeader], String)
        /// 400 `{"__type":"ThrottlingException","message":"Rate exceeded"}`.
        case throttle
        /// This status with an AWS-style JSON error (`InternalFailure`, `ServiceUnavailable`, ...).
        case serverError(Int)
        /// Read the request, then reset the connection (SO_LINGER 0) without answering.
        case resetAfterRequest
        /// Read the request and never answer (until the server stops).
        case stall
        /// Headers promising a longer body than is sent, then close.
        case truncated
        /// 200 with a body that is neither JSON nor XML.
        case malformed
    }

    /// The port it listens on.
    public let port: Int
    public var endpoint: String { "http://127.0.0.1:\(port)" }

    private let core: Core

    /// Starts listening at once; `otherwise` answers every request after the script runs out.
    public init(_ script: [Behaviour], otherwise: Behaviour = .respond(200, [], "{}")) throws {
        let fd = socket(AF_INET, LoopbackSocket.streamType, 0)
        guard fd >= 0 else { throw ServerError("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard LoopbackSocket.bind(fd, port: 0) == 0, listen(fd, 16) == 0, let port = LoopbackSocket.boundPort(fd) else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ServerError("bind/listen on 127.0.0.1: \(reason)")
        }
        self.port = port
        core = Core(listener: fd, script: script, otherwise: otherwise)
        let core = self.core
        let thread = Thread { core.run() }
        thread.name = "FaultServer:\(port)"
        thread.start()
    }

    deinit { core.stop() }

    /// Stops accepting, closes every connection (stalled ones included) and waits for the thread.
    public func stop() { core.stop() }

    /// Requests received for `operation` ("PutMetricAlarm", "CreateUser").
    public func received(_ operation: String) -> Int { core.state.withLock { $0.counts[operation, default: 0] } }

    /// Requests received in all.
    public var totalReceived: Int { core.state.withLock { $0.total } }

    /// Every request received, in order (a request is recorded once it has been read in full,
    /// before it is answered).
    public var requests: [ReceivedRequest] { core.state.withLock { $0.received } }

    /// One request as it arrived: the request line's method and target, the headers in order, and
    /// the Content-Length body.
    public struct ReceivedRequest: Sendable, Equatable {
        public var method: String
        /// The request target as sent: the path with its query, if any.
        public var path: String
        public var headers: [HTTPHeader]
        public var body: [UInt8]

        /// The first header of that name, ignoring case.
        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        public var bodyText: String { String(decoding: body, as: UTF8.self) }
    }

    /// A port on 127.0.0.1 nobody listens on (bound, then released).
    public static func unusedPort() throws -> Int {
        let fd = socket(AF_INET, LoopbackSocket.streamType, 0)
        guard fd >= 0 else { throw ServerError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard LoopbackSocket.bind(fd, port: 0) == 0, let port = LoopbackSocket.boundPort(fd) else { throw ServerError("bind: \(String(cString: strerror(errno)))") }
        return port
    }

    public struct ServerError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    struct State: Sendable {
        var script: [Behaviour]
        var counts: [String: Int] = [:]
        var total = 0
        var received: [ReceivedRequest] = []
        var stopping = false
        var stopped = false
        var listener: Int32
        /// Connections left open by `.stall`, closed on stop.
        var held: [Int32] = []
    }

    final class Core: Sendable {
        let state: Mutex<State>
        let otherwise: Behaviour
        let finished = DispatchSemaphore(value: 0)

        init(listener: Int32, script: [Behaviour], otherwise: Behaviour) {
            state = Mutex(State(script: script, listener: listener))
            self.otherwise = otherwise
        }

        func stop() {
            let wasRunning = state.withLock { s -> Bool in
                guard !s.stopping else { return false }
                s.stopping = true
                return true
            }
            guard wasRunning else { return }
            finished.wait()
            state.withLock { s in
                for fd in s.held { close(fd) }
                s.held.removeAll()
                close(s.listener)
                s.stopped = true
            }
        }

        var stopping: Bool { state.withLock { $0.stopping } }

        func run() {
            defer { finished.signal() }
            let listener = state.withLock { $0.listener }
            while !stopping {
                guard LoopbackSocket.waitReadable(listener, milliseconds: 50) else { continue }
                let conn = accept(listener, nil, nil)
                guard conn >= 0 else { continue }
                handle(conn)
            }
        }

        func handle(_ conn: Int32) {
            guard let request = readRequest(conn) else {
                close(conn)
                return
            }
            let behaviour = state.withLock { s -> Behaviour in
                s.total += 1
                s.received.append(request.received)
                if let op = request.operation { s.counts[op, default: 0] += 1 }
                return s.script.isEmpty ? otherwise : s.script.removeFirst()
            }
            switch behaviour {
            case .respond(let status, let headers, let body):
                answer(conn, status: status, headers: headers, body: body)
            case .throttle:
                answer(conn, status: 400, headers: [HTTPHeader("x-amzn-RequestId", "fault-throttle")],
                    body: #"{"__type":"ThrottlingException","message":"Rate exceeded"}"#)
            case .serverError(let status):
                let code = status == 503 ? "ServiceUnavailable" : "InternalFailure"
                answer(conn, status: status, headers: [HTTPHeader("x-amzn-RequestId", "fault-\(status)")],
                    body: #"{"__type":"\#(code)","message":"injected \#(status)"}"#)
            case .resetAfterRequest:
                var hardClose = linger(l_onoff: 1, l_linger: 0)
                setsockopt(conn, SOL_SOCKET, SO_LINGER, &hardClose, socklen_t(MemoryLayout<linger>.size))
                close(conn)
            case .stall:
                state.withLock { $0.held.append(conn) }
            case .truncated:
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n{\"Metric"
                writeAll(conn, Array(head.utf8))
                close(conn)
            case .malformed:
                answer(conn, status: 200, headers: [HTTPHeader("Content-Type", "text/html")], body: "<html>not what you asked for")
            }
        }

        func answer(_ conn: Int32, status: Int, headers: [HTTPHeader], body: String) {
            let bytes = Array(body.utf8)
            var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
            if !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
                head += "Content-Type: application/x-amz-json-1.0\r\n"
            }
            for h in headers { head += "\(h.name): \(h.value)\r\n" }
            head += "Content-Length: \(bytes.count)\r\nConnection: close\r\n\r\n"
            writeAll(conn, Array(head.utf8) + bytes)
            shutdown(conn, Int32(SHUT_WR))
            // Let the client read the answer and close first, so the close is orderly.
            var scratch = [UInt8](repeating: 0, count: 512)
            while LoopbackSocket.waitReadable(conn, milliseconds: 500), recv(conn, &scratch, scratch.count, 0) > 0 {}
            close(conn)
        }

        static func reason(_ status: Int) -> String {
            switch status {
            case 200: "OK"
            case 202: "Accepted"
            case 400: "Bad Request"
            case 429: "Too Many Requests"
            case 500: "Internal Server Error"
            case 502: "Bad Gateway"
            case 503: "Service Unavailable"
            case 504: "Gateway Timeout"
            default: "Status"
            }
        }

        func writeAll(_ conn: Int32, _ bytes: [UInt8]) {
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { send(conn, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return }
                offset += n
            }
        }

        struct Request {
            var head: String
            var body: [UInt8]

            var operation: String? {
                for line in head.split(separator: "\r\n").dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    if line[..<colon].lowercased() == "x-amz-target" {
                        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                        return value.split(separator: ".").last.map(String.init) ?? value
                    }
                }
                let form = String(decoding: body, as: UTF8.self)
                for pair in form.split(separator: "&") where pair.hasPrefix("Action=") {
                    return String(pair.dropFirst("Action=".count))
                }
                return nil
            }

            var received: ReceivedRequest {
                let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
                let requestLine = lines.first.map { $0.split(separator: " ") } ?? []
                var headers: [HTTPHeader] = []
                for line in lines.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers.append(HTTPHeader(
                        String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
                }
                return ReceivedRequest(
                    method: requestLine.first.map(String.init) ?? "", path: requestLine.count > 1 ? String(requestLine[1]) : "",
                    headers: headers, body: body)
            }
        }

        /// Reads the head and a Content-Length body; nil if the peer goes away or the server stops.
        func readRequest(_ conn: Int32) -> Request? {
            var data = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 4096)
            let terminator: [UInt8] = Array("\r\n\r\n".utf8)
            var headEnd: Int?
            var contentLength = 0
            while true {
                if let end = headEnd, data.count >= end + contentLength {
                    let head = String(decoding: data[..<end], as: UTF8.self)
                    return Request(head: head, body: Array(data[end..<(end + contentLength)]))
                }
                if stopping { return nil }
                guard LoopbackSocket.waitReadable(conn, milliseconds: 50) else { continue }
                let n = recv(conn, &buffer, buffer.count, 0)
                if n <= 0 { return nil }
                data.append(contentsOf: buffer[0..<n])
                if headEnd == nil, let range = Self.find(terminator, in: data) {
                    headEnd = range
                    let head = String(decoding: data[..<range], as: UTF8.self)
                    for line in head.split(separator: "\r\n") {
                        guard let colon = line.firstIndex(of: ":"), line[..<colon].lowercased() == "content-length" else { continue }
                        contentLength = Int(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)) ?? 0
                    }
                }
            }
        }

        /// The index just past the first occurrence of `needle`.
        static func find(_ needle: [UInt8], in data: [UInt8]) -> Int? {
            guard data.count >= needle.count else { return nil }
            for i in 0...(data.count - needle.count) where data[i..<(i + needle.count)].elementsEqual(needle) {
                return i + needle.count
            }
            return nil
        }
    }
}
