import BreakglassCore
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A loopback HTTP/1.1 proxy between a client and a server on 127.0.0.1 (moto_server), whose
/// behaviour a test switches at any moment, to produce each kind of network failure for real:
///
/// - `.forward`: requests go to the server and answers come back, connection for connection.
/// - `.refuse`: the proxy stops listening (keeping the port bound), so connections are refused (ECONNREFUSED) and nothing
///   reaches the server — the client knows for certain that its request was never sent. Open
///   connections are closed without forwarding anything. (Accepting a connection and closing it at
///   once is not a clean "never sent" to an HTTP client: it has written its request by then and can
///   only report a lost connection.)
/// - `.dropAnswer`: each request is forwarded and the server's whole answer read, then the client's
///   connection is reset (SO_LINGER 0) without passing the answer on: the write landed, and the client
///   cannot know.
/// - `.reset`: each request is read, then the connection reset (SO_LINGER 0) without forwarding it:
///   nothing landed, but the client had written its request, so to it the outcome is unknown.
///
/// It counts the requests it forwarded per operation (the part of `X-Amz-Target` after the last dot)
/// and keeps each forwarded request's body. Threads and POSIX sockets; `stop()` closes everything.
public final class TCPProxy: Sendable {
    public enum Mode: Sendable, Equatable {
        case forward, refuse, dropAnswer, reset
    }

    /// A request that reached the server.
    public struct Forwarded: Sendable {
        /// `X-Amz-Target`, e.g. `Logs_20140328.PutLogEvents`; nil when absent.
        public let target: String?
        /// The part after the last dot: `PutLogEvents`.
        public var operation: String? { target.map { $0.split(separator: ".").last.map(String.init) ?? $0 } }
        public let body: [UInt8]
        /// The mode the proxy was in when it forwarded the request.
        public let mode: Mode
    }

    public let port: Int
    public let upstreamPort: Int
    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`.
    public var endpoint: String { "http://127.0.0.1:\(port)" }

    private let core: Core

    /// Listens on a free port of 127.0.0.1 and forwards to 127.0.0.1:`upstreamPort`.
    public init(upstreamPort: Int, mode: Mode = .forward) throws {
        let fd = try Self.makeListener(port: 0)
        guard let port = LoopbackSocket.boundPort(fd) else {
            close(fd)
            throw ProxyError("getsockname: \(String(cString: strerror(errno)))")
        }
        self.port = port
        self.upstreamPort = upstreamPort
        core = Core(port: port, upstreamPort: upstreamPort, listener: fd, mode: .forward)
        let core = self.core
        let thread = Thread { core.acceptLoop() }
        thread.name = "TCPProxy:\(port)"
        thread.start()
        // Starting in another mode waits until it is in effect, like any switch.
        if mode != .forward { try setMode(mode) }
    }

    deinit { core.stop() }

    public var mode: Mode { core.state.withLock { $0.mode } }

    /// Switches the mode and returns once it is in effect: after `.refuse`, new connections are refused
    /// and every open one has been shut down; after the others, the proxy listens again on its port.
    public func setMode(_ mode: Mode) throws {
        let done = DispatchSemaphore(value: 0)
        core.state.withLock { s in
            s.mode = mode
            s.waiters.append(done)
        }
        guard done.wait(timeout: .now() + 5) == .success else { throw ProxyError("the proxy did not switch to \(mode) within 5 s") }
        if let error = core.state.withLock({ $0.listenError }) { throw ProxyError(error) }
    }

    /// Requests forwarded to the server for `operation` ("PutLogEvents").
    public func forwarded(_ operation: String) -> Int {
        core.state.withLock { s in s.forwarded.filter { $0.operation == operation }.count }
    }

    /// Every forwarded request, in order.
    public var forwardedRequests: [Forwarded] { core.state.withLock { $0.forwarded } }

    /// Stops listening, closes every connection and waits for the proxy's threads.
    public func stop() { core.stop() }

    public struct ProxyError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// A listener on 127.0.0.1:`port` (0: any free port).
    static func makeListener(port: Int) throws -> Int32 {
        do { return try LoopbackSocket.listener(port: port) } catch { throw ProxyError(error.description) }
    }

    // MARK: - The proxy's threads

    struct State: Sendable {
        var mode: Mode
        var waiters: [DispatchSemaphore] = []
        var listenError: String?
        var forwarded: [Forwarded] = []
        var stopping = false
        /// Client connections open now (owned by their threads; shut down, never closed, by others).
        var clients: Set<Int32> = []
        var threads = 0
    }

    final class Core: Sendable {
        let state: Mutex<State>
        let port: Int
        let upstreamPort: Int
        let acceptFinished = DispatchSemaphore(value: 0)
        /// The listening socket; touched only by the accept thread (and `stop` after it has finished).
        let listener: Mutex<Int32>
        /// In `.refuse`, the old listener after shutdown(2): no longer listening (connections are
        /// refused) but still bound, so no other test's server can take the port meanwhile and
        /// answer in the proxy's place.
        let held = Mutex<Int32>(-1)

        init(port: Int, upstreamPort: Int, listener: Int32, mode: Mode) {
            self.port = port
            self.upstreamPort = upstreamPort
            self.listener = Mutex(listener)
            state = Mutex(State(mode: mode))
        }

        var stopping: Bool { state.withLock { $0.stopping } }

        func stop() {
            let first = state.withLock { s -> Bool in
                guard !s.stopping else { return false }
                s.stopping = true
                for fd in s.clients { shutdown(fd, Int32(SHUT_RDWR)) }
                return true
            }
            guard first else { return }
            acceptFinished.wait()
            let deadline = Date().addingTimeInterval(5)
            while state.withLock({ $0.threads }) > 0 && Date() < deadline { usleep(2_000) }
        }

        func acceptLoop() {
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
                let (mode, waiters) = state.withLock { s -> (Mode, [DispatchSemaphore]) in
                    let w = s.waiters
                    s.waiters.removeAll()
                    return (s.mode, w)
                }
                apply(mode)
                for w in waiters { w.signal() }
                let fd = listener.withLock { $0 }
                guard fd >= 0 else {
                    poll(nil, 0, 10)
                    continue
                }
                guard LoopbackSocket.waitReadable(fd, milliseconds: 10) else { continue }
                let client = accept(fd, nil, nil)
                guard client >= 0 else { continue }
                let admitted = state.withLock { s -> Bool in
                    guard !s.stopping, s.mode != .refuse else { return false }
                    s.clients.insert(client)
                    s.threads += 1
                    return true
                }
                guard admitted else {
                    close(client)
                    continue
                }
                let thread = Thread { [self] in
                    self.serve(client)
                    self.state.withLock { s in
                        s.clients.remove(client)
                        s.threads -= 1
                    }
                    close(client)
                }
                thread.name = "TCPProxy:\(port) connection"
                thread.start()
            }
        }

        /// Closes or reopens the listening socket to match `mode`.
        func apply(_ mode: Mode) {
            listener.withLock { fd in
                if mode == .refuse {
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
                        fd = try TCPProxy.makeListener(port: port)
                        state.withLock { $0.listenError = nil }
                    } catch {
                        state.withLock { $0.listenError = String(describing: error) }
                    }
                }
            }
        }

        /// Relays requests on one client connection until either side closes or the mode says stop.
        func serve(_ client: Int32) {
            var fromClient = HTTPMessageReader(fd: client) { [self] in self.stopping }
            var upstream: Int32 = -1
            var fromServer: HTTPMessageReader?
            defer { if upstream >= 0 { close(upstream) } }
            while true {
                guard let request = fromClient.readRequest() else { return }
                let mode = state.withLock { $0.mode }
                if mode == .refuse { return }
                if mode == .reset {
                    LoopbackSocket.reset(client)
                    return
                }
                if upstream < 0 {
                    guard let fd = LoopbackSocket.connect(port: upstreamPort) else { return }
                    upstream = fd
                    fromServer = HTTPMessageReader(fd: fd) { [self] in self.stopping }
                }
                guard LoopbackSocket.writeAll(upstream, request.raw) else { return }
                state.withLock { $0.forwarded.append(Forwarded(target: request.header("x-amz-target"), body: request.body, mode: mode)) }
                guard var reader = fromServer, let response = reader.readResponse(head: request.method == "HEAD") else {
                    LoopbackSocket.reset(client)
                    return
                }
                fromServer = reader
                if mode == .dropAnswer {
                    LoopbackSocket.reset(client)
                    return
                }
                guard LoopbackSocket.writeAll(client, response.raw), !response.closes else { return }
            }
        }
    }
}
