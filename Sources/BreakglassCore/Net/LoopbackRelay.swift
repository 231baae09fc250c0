import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The accept loop and connection threads of an HTTP/1.1 relay on 127.0.0.1 in front of a server on
/// 127.0.0.1 (moto_server), shared by the sandbox's gateway and the tests' fault proxy. It listens on
/// a free port from `init`; from `start(_:)` on, it gives each client connection a thread of its own
/// and hands it to the handler as a `RelayConnection`, which reads the client's requests, forwards them and writes answers; what
/// passes and what is done to it is the handler's business. `stop()` shuts every connection and
/// waits for the threads. Threads and POSIX sockets.
public final class LoopbackRelay: Sendable {
    public typealias Handler = @Sendable (inout RelayConnection) -> Void

    public let port: Int
    public let upstreamPort: Int
    let name: String

    struct State: Sendable {
        var stopping = false
        var started = false
        /// Whether the relay should be listening; `setListening` changes it and waits.
        var listening = true
        var waiters: [DispatchSemaphore] = []
        var listenError: String?
        /// Client connections open now (owned by their threads; shut down, never closed, by others).
        var clients: Set<Int32> = []
        var threads = 0
    }

    let state = Mutex(State())
    let acceptFinished = DispatchSemaphore(value: 0)
    /// The listening socket; touched only by the accept thread (and after it has finished).
    let listener: Mutex<Int32>
    /// While not listening, the old listener after shutdown(2): connections are refused, but the port
    /// stays bound, so no other test's server can take it meanwhile and answer in the relay's place.
    let held = Mutex<Int32>(-1)

    /// Listens on a free port of 127.0.0.1, to relay to 127.0.0.1:`upstreamPort` once started; `name`
    /// names the threads ("SandboxGateway", "TCPProxy"). Connections wait in the backlog until `start`.
    public init(name: String, upstreamPort: Int) throws(LoopbackSocket.SocketError) {
        let fd = try LoopbackSocket.listener(port: 0)
        guard let port = LoopbackSocket.boundPort(fd) else {
            close(fd)
            throw LoopbackSocket.SocketError("getsockname: \(String(cString: strerror(errno)))")
        }
        self.port = port
        self.upstreamPort = upstreamPort
        self.name = name
        listener = Mutex(fd)
    }

    /// Starts accepting connections, each served by `handler` on a thread of its own. Once only.
    public func start(_ handler: @escaping Handler) {
        let first = state.withLock { s -> Bool in
            guard !s.started, !s.stopping else { return false }
            s.started = true
            return true
        }
        guard first else { return }
        let thread = Thread { [self] in acceptLoop(handler) }
        thread.name = "\(name):\(port)"
        thread.start()
    }

    public var stopping: Bool { state.withLock { $0.stopping } }

    /// Stops listening, shuts every connection and waits (up to 5 s) for the connection threads.
    public func stop() {
        let (first, started) = state.withLock { s -> (Bool, Bool) in
            guard !s.stopping else { return (false, s.started) }
            s.stopping = true
            for fd in s.clients { shutdown(fd, Int32(SHUT_RDWR)) }
            return (true, s.started)
        }
        guard first else { return }
        guard started else {
            listener.withLock { fd in
                if fd >= 0 { close(fd) }
                fd = -1
            }
            return
        }
        acceptFinished.wait()
        let deadline = Date().addingTimeInterval(5)
        while state.withLock({ $0.threads }) > 0 && Date() < deadline { usleep(2_000) }
    }

    /// Stops listening (new connections are refused, ECONNREFUSED, and every open one is shut down) or
    /// listens again on the same port; returns once that is in effect (or throws after 5 s).
    public func setListening(_ on: Bool) throws(LoopbackSocket.SocketError) {
        let done = DispatchSemaphore(value: 0)
        state.withLock { s in
            s.listening = on
            s.waiters.append(done)
        }
        guard done.wait(timeout: .now() + 5) == .success else {
            throw LoopbackSocket.SocketError("the relay did not \(on ? "listen again" : "stop listening") within 5 s")
        }
        if let error = state.withLock({ $0.listenError }) { throw LoopbackSocket.SocketError(error) }
    }

    func acceptLoop(_ handler: @escaping Handler) {
        defer {
            listener.withLock { fd in
                if fd >= 0 { close(fd) }
                fd = -1
            }
            held.withLock { h in
                if h >= 0 { close(h) }
                h = -1
            }
            acceptFinished.signal()
        }
        while !stopping {
            let (listening, waiters) = state.withLock { s -> (Bool, [DispatchSemaphore]) in
                let w = s.waiters
                s.waiters.removeAll()
                return (s.listening, w)
            }
            apply(listening: listening)
            for w in waiters { w.signal() }
            let fd = listener.withLock { $0 }
            guard fd >= 0 else {
                poll(nil, 0, 50)
                continue
            }
            guard LoopbackSocket.waitReadable(fd, milliseconds: 50) else { continue }
            let client = accept(fd, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            let admitted = state.withLock { s -> Bool in
                guard !s.stopping, s.listening else { return false }
                s.clients.insert(client)
                s.threads += 1
                return true
            }
            guard admitted else {
                close(client)
                continue
            }
            let thread = Thread { [self] in
                var connection = RelayConnection(client: client, upstreamPort: upstreamPort) { [self] in stopping }
                handler(&connection)
                connection.closeUpstream()
                state.withLock { s in
                    s.clients.remove(client)
                    s.threads -= 1
                }
                close(client)
            }
            thread.name = "\(name):\(port) connection"
            thread.start()
        }
    }

    /// Closes or reopens the listening socket to match `listening`.
    func apply(listening: Bool) {
        listener.withLock { fd in
            if !listening {
                if fd >= 0 {
                    shutdown(fd, Int32(SHUT_RDWR))
                    let old = fd
                    held.withLock { h in
                        if h >= 0 { close(h) }
                        h = old
                    }
                    fd = -1
                }
                state.withLock { s in for c in s.clients { shutdown(c, Int32(SHUT_RDWR)) } }
            } else if fd < 0 {
                held.withLock { h in
                    if h >= 0 { close(h) }
                    h = -1
                }
                do {
                    fd = try LoopbackSocket.listener(port: port)
                    state.withLock { $0.listenError = nil }
                } catch {
                    state.withLock { $0.listenError = String(describing: error) }
                }
            }
        }
    }
}

/// One client connection of a `LoopbackRelay`, and the connection to the server behind it (made on
/// the first request forwarded, kept while both sides keep theirs).
public struct RelayConnection {
    /// The client's socket (closed by the relay when the handler returns).
    public let client: Int32
    let upstreamPort: Int
    let stopping: @Sendable () -> Bool
    var fromClient: HTTPMessageReader
    var upstream: Int32 = -1
    var fromServer: HTTPMessageReader?

    init(client: Int32, upstreamPort: Int, stopping: @escaping @Sendable () -> Bool) {
        self.client = client
        self.upstreamPort = upstreamPort
        self.stopping = stopping
        fromClient = HTTPMessageReader(fd: client, stopping: stopping)
    }

    /// What became of a request sent on to the server.
    public enum Sent: Sendable, Equatable {
        /// Written in full: the server has it.
        case sent
        /// The server could not be reached: nothing was sent.
        case unreachable
        /// The connection to the server broke while writing: it may have part of the request.
        case broken
    }

    /// The client's next request; nil when it closes the connection (or the relay stops).
    public mutating func readRequest() -> HTTPRequestMessage? { fromClient.readRequest() }

    /// Writes `request` to the server, connecting first if need be.
    public mutating func send(_ request: HTTPRequestMessage) -> Sent {
        if upstream < 0 {
            guard let fd = LoopbackSocket.connect(port: upstreamPort) else { return .unreachable }
            upstream = fd
            fromServer = HTTPMessageReader(fd: fd, stopping: stopping)
        }
        return LoopbackSocket.writeAll(upstream, request.raw) ? .sent : .broken
    }

    /// The server's whole answer to `request` (sent with `send`); nil when the server goes away first.
    public mutating func receive(for request: HTTPRequestMessage) -> HTTPResponseMessage? {
        guard var reader = fromServer, let response = reader.readResponse(head: request.method == "HEAD") else { return nil }
        fromServer = reader
        return response
    }

    /// Writes bytes to the client; false when it has gone.
    public func answer(_ bytes: [UInt8]) -> Bool { LoopbackSocket.writeAll(client, bytes) }

    /// Makes the client's connection end with a reset (SO_LINGER 0) when the handler returns.
    public func reset() { LoopbackSocket.reset(client) }

    /// Keeps the client's connection open without answering, discarding whatever it sends, until it
    /// closes, the relay stops, or `limit` seconds pass: a server that went quiet.
    public func hold(limit: TimeInterval) {
        let deadline = Date().addingTimeInterval(limit)
        var scratch = [UInt8](repeating: 0, count: 4096)
        while !stopping() && Date() < deadline {
            guard LoopbackSocket.waitReadable(client, milliseconds: 20) else { continue }
            let n = recv(client, &scratch, scratch.count, 0)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
        }
    }

    mutating func closeUpstream() {
        if upstream >= 0 { close(upstream) }
        upstream = -1
        fromServer = nil
    }
}

extension HTTPResponseMessage {
    /// The answer with `body` in place of its own (not chunked), Content-Length set to match and any
    /// Transfer-Encoding dropped.
    public func replacingBody(with body: [UInt8], contentLength: Int? = nil) -> HTTPResponseMessage {
        let head = String(decoding: raw[..<bodyStart], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        lines = lines.filter { !$0.lowercased().hasPrefix("transfer-encoding:") && !$0.lowercased().hasPrefix("content-length:") }
        lines.append("Content-Length: \(contentLength ?? body.count)")
        let newHead = Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
        var out = self
        out.raw = newHead + body
        out.bodyStart = newHead.count
        out.chunked = false
        out.fields = fields.filter { $0.0 != "transfer-encoding" && $0.0 != "content-length" } + [("content-length", String(contentLength ?? body.count))]
        return out
    }
}
