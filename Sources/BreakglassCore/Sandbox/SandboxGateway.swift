import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The sandbox's front door: a loopback HTTP/1.1 relay between every client of the sandbox (the
/// console, runbook runs, the AWS CLI through the `breakglass-sandbox` profile) and moto_server.
/// Requests and answers pass through unchanged (signatures stay valid: the Host header is the one
/// the client signed), with two things moto cannot do itself:
///
/// - it **sees the calls**: every answered call is counted by operation and by each name it carries
///   (`RebootDBInstance` naming `prod-aurora-1`), so a scenario can ask whether a reboot happened,
///   which leaves no other trace on moto (signal `reboots`);
/// - it **impairs instances**: moto reports every running instance's status checks as `ok`; for an
///   instance a fault impaired, the gateway answers DescribeInstanceStatus with the instance check
///   `impaired` (reachability `failed`) until a RebootInstances naming it succeeds, as a reboot fixes
///   a hung server on AWS.
///
/// It listens on 127.0.0.1 only and connects to 127.0.0.1 only, through a `LoopbackRelay`.
public final class SandboxGateway: Sendable {
    public let port: Int
    public let upstreamPort: Int
    public var endpoint: String { "http://127.0.0.1:\(port)" }

    struct State: Sendable {
        var impaired: Set<String> = []
        /// Answered calls (2xx) by "Operation\u{0}name", and by operation alone under "Operation\u{0}".
        var counts: [String: Int] = [:]
    }

    let state = Mutex(State())
    /// The accept loop and connection threads (shared with the tests' fault proxy).
    let relay: LoopbackRelay

    /// Listens on a free port of 127.0.0.1 and relays to moto_server on 127.0.0.1:`upstreamPort`.
    public init(upstreamPort: Int) throws(LoopbackSocket.SocketError) {
        relay = try LoopbackRelay(name: "SandboxGateway", upstreamPort: upstreamPort)
        port = relay.port
        self.upstreamPort = upstreamPort
        relay.start { [weak self] connection in self?.serve(&connection) }
    }

    deinit { relay.stop() }

    /// Stops listening, closes every connection and waits (up to 5 s) for the relay threads.
    public func stop() { relay.stop() }

    // MARK: - What scenarios use

    /// Makes the instances' status checks read `impaired` until each is rebooted.
    public func impair(instances ids: [String]) {
        state.withLock { $0.impaired.formUnion(ids) }
    }

    /// Forgets what the gateway saw and did: the scenario starts over (`sandbox seed`).
    public func reset() {
        state.withLock { s in
            s.impaired.removeAll()
            s.counts.removeAll()
        }
    }

    public func isImpaired(_ instanceID: String) -> Bool { state.withLock { $0.impaired.contains(instanceID) } }

    /// How many calls of `operation` (e.g. `RebootDBInstance`) were answered with success, in all or
    /// only those naming `name` among their parameters' values.
    public func calls(_ operation: String, naming name: String? = nil) -> Int {
        state.withLock { $0.counts[operation + "\u{0}" + (name ?? ""), default: 0] }
    }

    /// Records an answered call; a successful reboot heals the instances it names.
    func record(_ call: GatewayCall, status: Int) {
        guard (200..<300).contains(status) else { return }
        state.withLock { s in
            s.counts[call.operation + "\u{0}", default: 0] += 1
            for name in call.names { s.counts[call.operation + "\u{0}" + name, default: 0] += 1 }
            if call.operation == "RebootInstances" { s.impaired.subtract(call.names) }
        }
    }

    // MARK: - Relaying

    /// Relays requests on one client connection until either side closes. A request whose answer
    /// cannot be read from moto is answered with a reset, so the client knows the outcome is unknown.
    func serve(_ connection: inout RelayConnection) {
        while true {
            guard let request = connection.readRequest() else { return }
            switch connection.send(request) {
            case .sent: break
            case .unreachable:
                // moto is gone (sandbox down): nothing was sent; refuse cleanly.
                _ = connection.answer(Self.unavailable)
                return
            case .broken:
                connection.reset()
                return
            }
            guard var response = connection.receive(for: request) else {
                connection.reset()
                return
            }
            let call = GatewayCall(request: request)
            record(call, status: response.status)
            if call.operation == "DescribeInstanceStatus", response.status == 200, !response.chunked {
                let impaired = state.withLock { $0.impaired }
                if !impaired.isEmpty {
                    let body = String(decoding: response.raw[response.bodyStart...], as: UTF8.self)
                    let rewritten = Self.impairStatuses(body, instances: impaired)
                    if rewritten != body { response = response.replacingBody(with: Array(rewritten.utf8)) }
                }
            }
            // The answer says whether the connection ends (moto's always do): the client is told
            // the same, so both connections end together.
            guard connection.answer(response.raw), !response.closes else { return }
            if request.header("connection")?.lowercased() == "close" { return }
        }
    }

    /// What a client gets when moto_server is not there: nothing was sent on.
    static let unavailable: [UInt8] = {
        let body = "the sandbox's moto_server is not running (breakglass sandbox status)\n"
        return Array("HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
    }()

    /// DescribeInstanceStatus's XML with the instance check of each of `instances` made `impaired`
    /// (its details `failed`); everything else as it was.
    public static func impairStatuses(_ xml: String, instances: Set<String>) -> String {
        var out = xml
        for id in instances {
            var searchFrom = out.startIndex
            while let idRange = out.range(of: "<instanceId>\(id)</instanceId>", range: searchFrom..<out.endIndex) {
                searchFrom = idRange.upperBound
                // The instance check of the same item: before the next item's instanceId.
                let nextItem = out.range(of: "<instanceId>", range: idRange.upperBound..<out.endIndex)?.lowerBound ?? out.endIndex
                guard let open = out.range(of: "<instanceStatus>", range: idRange.upperBound..<nextItem),
                    let close = out.range(of: "</instanceStatus>", range: open.upperBound..<nextItem)
                else { continue }
                let section = String(out[open.upperBound..<close.lowerBound])
                    .replacingOccurrences(of: "<status>passed</status>", with: "<status>failed</status>")
                    .replacingOccurrences(of: "<status>ok</status>", with: "<status>impaired</status>")
                out.replaceSubrange(open.upperBound..<close.lowerBound, with: section)
                searchFrom = out.index(open.upperBound, offsetBy: section.count, limitedBy: out.endIndex) ?? out.endIndex
            }
        }
        return out
    }
}

/// What the gateway reads of a request: the operation, and the names it carries.
public struct GatewayCall: Sendable, Equatable {
    /// `RebootDBInstance`: the form's Action (query protocol) or the part of X-Amz-Target after its
    /// last dot (JSON protocol); for REST APIs, the method and path.
    public var operation: String
    /// Every parameter value that is a plain string: `InstanceId.1`'s, `DBInstanceIdentifier`'s, a
    /// JSON body's top-level strings and string lists.
    public var names: Set<String>

    public init(operation: String, names: Set<String>) {
        self.operation = operation
        self.names = names
    }

    public init(request: HTTPRequestMessage) {
        if let target = request.header("x-amz-target") {
            operation = target.split(separator: ".").last.map(String.init) ?? target
            names = Self.jsonNames(request.body)
            return
        }
        let form = Self.form(request.body)
        if request.header("content-type")?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true, let action = form["Action"] {
            operation = action
            names = Set(form.filter { $0.key != "Action" && $0.key != "Version" }.values)
            return
        }
        operation = request.method + " " + (request.path.split(separator: "?").first.map(String.init) ?? request.path)
        names = Self.jsonNames(request.body)
    }

    /// A form body's fields, decoded (`+` is a space).
    static func form(_ body: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            guard let key = parts.first else { continue }
            fields[decode(key)] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }

    static func jsonNames(_ body: [UInt8]) -> Set<String> {
        guard !body.isEmpty, let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return [] }
        var names: Set<String> = []
        for value in object.values {
            if let s = value as? String { names.insert(s) }
            if let list = value as? [Any] { names.formUnion(list.compactMap { $0 as? String }) }
        }
        return names
    }
}
