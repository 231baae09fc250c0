import BreakglassAWS
import Foundation

/// The agent's protocol: one JSON object per line each way, one request per connection.
///
/// Requests:
/// - `{"op":"put","grant":{…}}`: hold a grant (with its credentials); replaces a grant held for the
///   same role. Answer `{"ok":true,"replaced":[ids]}`.
/// - `{"op":"get","role":"ROLE"}`: the grant held for the role, credentials included:
///   `{"ok":true,"grant":{…}}`, or `{"ok":true}` when none is held (or it has expired).
/// - `{"op":"list"}`: every grant held, without secrets: `{"ok":true,"grants":[…]}`.
/// - `{"op":"revoke","role":"ROLE"}` or `{"op":"revoke"}` (all): wipes at once:
///   `{"ok":true,"revoked":[summaries]}`.
/// Errors: `{"ok":false,"error":"…"}`.
public enum AccessAgentRequest: Sendable, Equatable {
    case put(AccessAgentGrant)
    case get(role: String)
    case list
    case revoke(role: String?)
}

/// A grant as it travels to and from the agent: the summary plus the credentials.
public struct AccessAgentGrant: Sendable, Equatable {
    public var summary: AccessGrantSummary
    public var secretAccessKey: String
    public var sessionToken: String
    public var operations: Set<String>?

    public init(summary: AccessGrantSummary, secretAccessKey: String, sessionToken: String, operations: Set<String>?) {
        self.summary = summary
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.operations = operations
    }

    public var grant: AccessGrant {
        AccessGrant(
            id: summary.id, role: summary.role, roleARN: summary.roleARN,
            credentials: AWSCredentials(
                accessKeyID: summary.accessKeyID, secretAccessKey: secretAccessKey, sessionToken: sessionToken, expiration: summary.expiration,
                source: "break-glass grant \(summary.id) (\(summary.role))"),
            expiration: summary.expiration, runbook: summary.runbook, operations: operations, sessionName: summary.sessionName)
    }
}

public enum AccessAgentResponse: Sendable, Equatable {
    case ok
    case put(replaced: [Int64])
    case grant(AccessAgentGrant?)
    case list([AccessGrantSummary])
    case revoked([AccessGrantSummary])
    case error(String)
}

public struct AccessProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Encoding and decoding of the protocol's lines.
public enum AccessAgentCoding {
    /// Longest line either side accepts (a grant with a long session token is about 2 KB).
    public static let maxLine = 64 * 1024

    public static func encode(_ request: AccessAgentRequest) -> String {
        var o = AWSObject()
        switch request {
        case .put(let g):
            o["op"] = "put"
            o["grant"] = encode(g)
        case .get(let role):
            o["op"] = "get"
            o["role"] = .string(role)
        case .list:
            o["op"] = "list"
        case .revoke(let role):
            o["op"] = "revoke"
            if let role { o["role"] = .string(role) }
        }
        return JSON.encode(.object(o))
    }

    public static func decodeRequest(_ line: String) throws(AccessProtocolError) -> AccessAgentRequest {
        guard let value = try? JSON.decode(line), let o = value.object else { throw AccessProtocolError("not a JSON object") }
        switch o["op"]?.string {
        case "put":
            guard let g = o["grant"] else { throw AccessProtocolError("put needs a grant") }
            return .put(try decodeGrant(g))
        case "get":
            guard let role = o["role"]?.string else { throw AccessProtocolError("get needs a role") }
            return .get(role: role)
        case "list": return .list
        case "revoke": return .revoke(role: o["role"]?.string)
        default: throw AccessProtocolError("unknown op \(o["op"].map { JSON.encode($0) } ?? "(none)")")
        }
    }

    public static func encode(_ response: AccessAgentResponse) -> String {
        var o = AWSObject()
        o["ok"] = true
        switch response {
        case .ok: break
        case .put(let replaced): o["replaced"] = .array(replaced.map { .number(String($0)) })
        case .grant(let g): if let g { o["grant"] = encode(g) }
        case .list(let s): o["grants"] = .array(s.map(encode))
        case .revoked(let s): o["revoked"] = .array(s.map(encode))
        case .error(let m):
            o["ok"] = false
            o["error"] = .string(m)
        }
        return JSON.encode(.object(o))
    }

    /// The answer to `request`, read from `line`.
    public static func decodeResponse(_ line: String, to request: AccessAgentRequest) throws(AccessProtocolError) -> AccessAgentResponse {
        guard let value = try? JSON.decode(line), let o = value.object else { throw AccessProtocolError("the agent's answer is not a JSON object") }
        guard o["ok"]?.bool == true else { return .error(o["error"]?.string ?? "the agent refused without saying why") }
        switch request {
        case .put: return .put(replaced: (o["replaced"]?.array ?? []).compactMap { $0.int.map(Int64.init) })
        case .get: return .grant(try o["grant"].map { (g) throws(AccessProtocolError) in try decodeGrant(g) })
        case .list:
            var out: [AccessGrantSummary] = []
            for s in o["grants"]?.array ?? [] { out.append(try decodeSummary(s)) }
            return .list(out)
        case .revoke:
            var out: [AccessGrantSummary] = []
            for s in o["revoked"]?.array ?? [] { out.append(try decodeSummary(s)) }
            return .revoked(out)
        }
    }

    static func encode(_ s: AccessGrantSummary) -> AWSValue {
        var o = AWSObject()
        o["id"] = .number(String(s.id))
        o["role"] = .string(s.role)
        o["roleArn"] = .string(s.roleARN)
        o["accessKeyId"] = .string(s.accessKeyID)
        o["expiration"] = .string(ISO8601.formatMilliseconds(s.expiration))
        if let r = s.runbook { o["runbook"] = .string(r) }
        if let i = s.incident { o["incident"] = .string(i) }
        o["sessionName"] = .string(s.sessionName)
        return .object(o)
    }

    static func encode(_ g: AccessAgentGrant) -> AWSValue {
        guard var o = encode(g.summary).object else { return .null }
        o["secretAccessKey"] = .string(g.secretAccessKey)
        o["sessionToken"] = .string(g.sessionToken)
        if let ops = g.operations { o["operations"] = .array(ops.sorted().map(AWSValue.string)) }
        return .object(o)
    }

    static func decodeSummary(_ v: AWSValue) throws(AccessProtocolError) -> AccessGrantSummary {
        guard let id = v["id"]?.int, let role = v["role"]?.string, let arn = v["roleArn"]?.string, let key = v["accessKeyId"]?.string,
            let exp = v["expiration"]?.string.flatMap(ISO8601.parse), let session = v["sessionName"]?.string
        else { throw AccessProtocolError("a grant lacks id, role, roleArn, accessKeyId, expiration or sessionName") }
        return AccessGrantSummary(
            id: Int64(id), role: role, roleARN: arn, accessKeyID: key, expiration: exp, runbook: v["runbook"]?.string,
            incident: v["incident"]?.string, sessionName: session)
    }

    static func decodeGrant(_ v: AWSValue) throws(AccessProtocolError) -> AccessAgentGrant {
        let summary = try decodeSummary(v)
        guard let secret = v["secretAccessKey"]?.string, !secret.isEmpty, let token = v["sessionToken"]?.string, !token.isEmpty else {
            throw AccessProtocolError("a grant lacks its credentials")
        }
        var operations: Set<String>?
        if let ops = v["operations"]?.array {
            let names = ops.compactMap(\.string)
            guard names.count == ops.count else { throw AccessProtocolError("operations must be strings") }
            operations = Set(names)
        }
        return AccessAgentGrant(summary: summary, secretAccessKey: secret, sessionToken: token, operations: operations)
    }
}

/// What the agent holds, and the rules it holds it by: one grant per role, nothing past its
/// expiration. Owned by the agent's one thread; time comes from the caller, so tests drive it with a
/// clock instead of waiting.
public struct AccessVault: Sendable {
    final class Held: @unchecked Sendable {
        let summary: AccessGrantSummary
        let operations: Set<String>?
        let secret: SecretBytes
        let token: SecretBytes

        init(_ g: AccessAgentGrant) {
            summary = g.summary
            operations = g.operations
            secret = SecretBytes(g.secretAccessKey)
            token = SecretBytes(g.sessionToken)
        }

        var grant: AccessAgentGrant {
            AccessAgentGrant(summary: summary, secretAccessKey: secret.text, sessionToken: token.text, operations: operations)
        }

        func wipe() {
            secret.wipe()
            token.wipe()
        }
    }

    private var held: [Held] = []

    public init() {}

    public var isEmpty: Bool { held.isEmpty }
    public var count: Int { held.count }

    /// When the next grant expires.
    public var nextExpiration: Date? { held.map(\.summary.expiration).min() }

    /// The summaries of what is held, soonest to expire first.
    public var summaries: [AccessGrantSummary] { held.map(\.summary).sorted { $0.expiration < $1.expiration } }

    /// Holds `grant`, wiping any grant held for the same role; returns the ids it replaced.
    public mutating func put(_ grant: AccessAgentGrant, now: Date) -> [Int64] {
        var replaced: [Int64] = []
        held.removeAll { h in
            guard h.summary.role == grant.summary.role || h.summary.id == grant.summary.id else { return false }
            replaced.append(h.summary.id)
            h.wipe()
            return true
        }
        if grant.summary.expiration > now { held.append(Held(grant)) }
        return replaced
    }

    /// The grant for `role`, unless it has expired (then it is wiped first).
    public mutating func get(role: String, now: Date) -> AccessAgentGrant? {
        _ = wipeExpired(now: now)
        return held.first { $0.summary.role == role }?.grant
    }

    /// Wipes the grant for `role`, or every grant; returns what it wiped.
    public mutating func revoke(role: String?) -> [AccessGrantSummary] {
        var out: [AccessGrantSummary] = []
        held.removeAll { h in
            guard role == nil || h.summary.role == role else { return false }
            out.append(h.summary)
            h.wipe()
            return true
        }
        return out
    }

    /// Wipes every grant whose expiration is at or before `now`; returns what it wiped.
    public mutating func wipeExpired(now: Date) -> [AccessGrantSummary] {
        var out: [AccessGrantSummary] = []
        held.removeAll { h in
            guard h.summary.expiration <= now else { return false }
            out.append(h.summary)
            h.wipe()
            return true
        }
        return out
    }

    /// Answers one request line; `expired` receives the grants wiped because their time was up.
    public mutating func handle(_ line: String, now: Date, expired: inout [AccessGrantSummary]) -> String {
        expired += wipeExpired(now: now)
        let request: AccessAgentRequest
        do { request = try AccessAgentCoding.decodeRequest(line) } catch {
            return AccessAgentCoding.encode(.error(error.message))
        }
        switch request {
        case .put(let g):
            guard g.summary.expiration > now else {
                return AccessAgentCoding.encode(.error("grant \(g.summary.id) expired at \(ISO8601.format(g.summary.expiration)); not held"))
            }
            return AccessAgentCoding.encode(.put(replaced: put(g, now: now)))
        case .get(let role): return AccessAgentCoding.encode(.grant(get(role: role, now: now)))
        case .list: return AccessAgentCoding.encode(.list(summaries))
        case .revoke(let role): return AccessAgentCoding.encode(.revoked(revoke(role: role)))
        }
    }
}
