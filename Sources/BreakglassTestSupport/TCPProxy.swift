import BreakglassCore
import Foundation
import Synchronization

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
/// - `.faults(plan)`: each request is relayed faithfully or, at the plan's rate, given one of the
///   `InjectedFault`s (throttled, 5xx, reset before or after forwarding, stalled, truncated,
///   malformed), chosen by a PRNG seeded from the plan, so a seed reproduces the sequence.
///
/// It records every request that reached the server (`forwardedRequests`: operation, body, and the
/// fault done to its answer, if any) and every fault it injected (`injections`). The accept loop and
/// connection threads are a `LoopbackRelay`'s; `stop()` closes everything.
public final class TCPProxy: Sendable {
    public enum Mode: Sendable, Equatable {
        case forward, refuse, dropAnswer, reset
        case faults(FaultPlan)
    }

    /// A request that reached the server.
    public struct Forwarded: Sendable {
        /// `X-Amz-Target`, e.g. `Logs_20140328.PutLogEvents`; nil when absent.
        public let target: String?
        /// `PutLogEvents` (the part of X-Amz-Target after the last dot), the form's Action
        /// (`SetDesiredCapacity`) for the query protocol, or the method and path for REST APIs.
        public let operation: String?
        public let method: String
        public let path: String
        public let body: [UInt8]
        /// The mode the proxy was in when it forwarded the request.
        public let mode: Mode
        /// What was done to the server's answer on its way back; nil: passed on as it was.
        public let fault: InjectedFault?

        public var bodyText: String { String(decoding: body, as: UTF8.self) }
    }

    /// A fault injected in `.faults` mode.
    public struct Injection: Sendable, Equatable {
        public let fault: InjectedFault
        public let operation: String
        /// The request id given in the injected answer (throttle, 5xx), for matching what the client reports.
        public let requestID: String?
    }

    public let port: Int
    public let upstreamPort: Int
    /// `http://127.0.0.1:PORT`, for `AWS_ENDPOINT_URL`.
    public var endpoint: String { "http://127.0.0.1:\(port)" }

    private let core: Core
    private let relay: LoopbackRelay

    /// Listens on a free port of 127.0.0.1 and forwards to 127.0.0.1:`upstreamPort`.
    public init(upstreamPort: Int, mode: Mode = .forward) throws {
        do { relay = try LoopbackRelay(name: "TCPProxy", upstreamPort: upstreamPort) } catch { throw ProxyError(error.description) }
        port = relay.port
        self.upstreamPort = upstreamPort
        core = Core()
        let core = self.core
        relay.start { connection in core.serve(&connection) }
        // Starting in another mode waits until it is in effect, like any switch.
        if mode != .forward { try setMode(mode) }
    }

    deinit { relay.stop() }

    public var mode: Mode { core.state.withLock { $0.mode } }

    /// Switches the mode and returns once it is in effect: after `.refuse`, new connections are refused
    /// and every open one has been shut down; after the others, the proxy listens again on its port.
    /// Switching to `.faults(plan)` starts the plan's sequence of choices from its seed.
    public func setMode(_ mode: Mode) throws {
        core.state.withLock { s in
            s.mode = mode
            if case .faults(let plan) = mode { s.chooser = FaultChooser(plan) } else { s.chooser = nil }
        }
        do { try relay.setListening(mode != .refuse) } catch { throw ProxyError(error.description) }
    }

    /// Requests forwarded to the server for `operation` ("PutLogEvents").
    public func forwarded(_ operation: String) -> Int {
        core.state.withLock { s in s.forwarded.filter { $0.operation == operation }.count }
    }

    /// Every forwarded request, in order.
    public var forwardedRequests: [Forwarded] { core.state.withLock { $0.forwarded } }

    /// Every fault injected, in order.
    public var injections: [Injection] { core.state.withLock { $0.injections } }

    /// How many faults of each kind were injected.
    public var injectedCounts: [InjectedFault: Int] {
        core.state.withLock { s in s.injections.reduce(into: [:]) { $0[$1.fault, default: 0] += 1 } }
    }

    /// Stops listening, closes every connection and waits for the proxy's threads.
    public func stop() { relay.stop() }

    public struct ProxyError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    // MARK: - Serving a connection

    struct State: Sendable {
        var mode: Mode = .forward
        var chooser: FaultChooser?
        var forwarded: [Forwarded] = []
        var injections: [Injection] = []
    }

    final class Core: Sendable {
        let state = Mutex(State())

        /// Relays requests on one client connection until either side closes or the mode says stop.
        func serve(_ connection: inout RelayConnection) {
            while true {
                guard let request = connection.readRequest() else { return }
                let call = GatewayCall(request: request)
                let (mode, fault, number) = state.withLock { s -> (Mode, InjectedFault?, Int) in
                    let fault = s.chooser?.next()
                    if let fault {
                        let number = s.injections.count + 1
                        let id = fault == .throttle || fault == .serverError ? "fault-\(number)" : nil
                        s.injections.append(Injection(fault: fault, operation: call.operation, requestID: id))
                    }
                    return (s.mode, fault, s.injections.count)
                }
                switch mode {
                case .refuse: return
                case .reset:
                    connection.reset()
                    return
                case .forward, .dropAnswer, .faults: break
                }
                if let fault, !fault.forwards {
                    switch fault {
                    case .throttle, .serverError:
                        guard connection.answer(Self.errorAnswer(fault, for: request, number: number)) else { return }
                        continue
                    case .stall:
                        if case .faults(let plan) = mode { connection.hold(limit: plan.stallLimit) }
                        return
                    default:
                        connection.reset()
                        return
                    }
                }
                switch connection.send(request) {
                case .sent: break
                case .unreachable: return
                case .broken:
                    connection.reset()
                    return
                }
                state.withLock {
                    $0.forwarded.append(Forwarded(
                        target: request.header("x-amz-target"), operation: call.operation, method: request.method, path: request.path,
                        body: request.body, mode: mode, fault: fault))
                }
                guard let response = connection.receive(for: request) else {
                    connection.reset()
                    return
                }
                if mode == .dropAnswer || fault == .resetAfterForwarding {
                    connection.reset()
                    return
                }
                if fault == .truncated {
                    _ = connection.answer(Self.truncated(response))
                    return
                }
                let answer = fault == .malformed ? response.replacingBody(with: Self.garbage) : response
                guard connection.answer(answer.raw), !answer.closes else { return }
            }
        }

        /// Bytes that are neither JSON nor XML.
        static let garbage: [UInt8] = [0x00, 0xFF, 0xFE] + Array("}{ <<injected by the fault proxy: not JSON, not XML".utf8)

        /// The answer's head (promising the whole body) and the first half of its body; when the body
        /// is too short to halve, all of it under a Content-Length 64 bytes longer.
        static func truncated(_ response: HTTPResponseMessage) -> [UInt8] {
            let bodyCount = response.raw.count - response.bodyStart
            if bodyCount >= 2 { return Array(response.raw.prefix(response.bodyStart + bodyCount / 2)) }
            let body = Array(response.raw[response.bodyStart...])
            return response.replacingBody(with: body, contentLength: body.count + 64).raw
        }

        /// A throttling or 5xx answer in the request's protocol: JSON (X-Amz-Target or REST), EC2 XML,
        /// or query XML.
        static func errorAnswer(_ fault: InjectedFault, for request: HTTPRequestMessage, number: Int) -> [UInt8] {
            let requestID = "fault-\(number)"
            let status: Int
            let code: String
            let message: String
            if fault == .throttle {
                status = 400
                message = "Rate exceeded (injected)"
                code = Self.isEC2(request) ? "RequestLimitExceeded" : Self.isQuery(request) ? "Throttling" : "ThrottlingException"
            } else if number % 2 == 0 {
                (status, code, message) = (503, "ServiceUnavailable", "Service unavailable (injected)")
            } else {
                (status, code, message) = (500, "InternalFailure", "Internal failure (injected)")
            }
            let contentType: String
            let body: String
            if Self.isEC2(request) {
                contentType = "text/xml"
                body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>\(code)</Code><Message>\(message)</Message></Error></Errors><RequestID>\(requestID)</RequestID></Response>"
            } else if Self.isQuery(request) {
                contentType = "text/xml"
                let type = status >= 500 ? "Receiver" : "Sender"
                body = "<ErrorResponse><Error><Type>\(type)</Type><Code>\(code)</Code><Message>\(message)</Message></Error><RequestId>\(requestID)</RequestId></ErrorResponse>"
            } else {
                contentType = "application/x-amz-json-1.1"
                body = #"{"__type":"\#(code)","message":"\#(message)"}"#
            }
            let reason = [400: "Bad Request", 500: "Internal Server Error", 503: "Service Unavailable"][status] ?? "Error"
            let head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(contentType)\r\nx-amzn-RequestId: \(requestID)\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n"
            return Array((head + body).utf8)
        }

        static func isQuery(_ request: HTTPRequestMessage) -> Bool {
            request.header("x-amz-target") == nil
                && request.header("content-type")?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true
        }

        /// Signed for the `ec2` service (its credential scope says so).
        static func isEC2(_ request: HTTPRequestMessage) -> Bool {
            isQuery(request) && (request.header("authorization") ?? "").contains("/ec2/aws4_request")
        }
    }
}
