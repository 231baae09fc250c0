import Foundation

/// Where the client writes down every call that changes something, before it is sent and after.
///
/// `AWSClient` refuses to send a mutating call unless a journal has durably recorded its intent: the
/// product's journal is the audit trail (BreakglassCore's `AuditJournal`), so a crash between the
/// intent and the answer still leaves a record that the call may have happened. There is no
/// switch to turn this off: a client without a journal sends reads only.
public protocol MutationJournal: Sendable {
    /// Records, durably, that `intent` is about to be sent. Throwing stops the call: nothing is sent.
    func recordIntent(_ intent: MutationIntent) throws -> MutationTicket
    /// Records how the call ended. Called exactly once per ticket, whatever happened.
    func recordOutcome(_ outcome: MutationOutcome, for ticket: MutationTicket)
}

/// A call about to change something in AWS.
public struct MutationIntent: Sendable, Equatable {
    /// The signing name: `rds`, `ec2`, `monitoring`, `logs`, ...
    public let service: String
    public let operation: String
    public let region: String
    /// The input as sent, with the client's own secret key and session token replaced by
    /// `[redacted]` wherever they occur. The journal redacts further by field name.
    public let parameters: AWSValue
    /// Which credentials sign it (the access key id is not a secret; it names the key in CloudTrail).
    public let accessKeyID: String

    public init(service: String, operation: String, region: String, parameters: AWSValue, accessKeyID: String) {
        self.service = service
        self.operation = operation
        self.region = region
        self.parameters = parameters
        self.accessKeyID = accessKeyID
    }
}

/// The journal's handle on a recorded intent.
public struct MutationTicket: Sendable, Equatable {
    public let id: Int64
    public init(id: Int64) { self.id = id }
}

/// How a mutating call ended.
public enum MutationOutcome: Sendable, Equatable {
    /// AWS answered 2xx.
    case succeeded(requestID: String?)
    /// AWS answered with an error: nothing changed.
    case failed(code: String, message: String, requestID: String?)
    /// The request may have reached AWS and no readable answer came back: verify before doing anything.
    case unknown(detail: String)
    /// Certainly never sent (no connection, credentials expired before signing, cancelled first).
    case notSent(detail: String)

    /// The word stored in the audit trail.
    public var word: String {
        switch self {
        case .succeeded: "succeeded"
        case .failed: "failed"
        case .unknown: "unknown"
        case .notSent: "not-sent"
        }
    }

    /// What the client's error says about the call's effect. An error answer in the 5xx range is
    /// unknown, not failed: AWS can fail after acting (InternalFailure, ServiceUnavailable), so the
    /// write may have landed and must be verified, never sent again on the strength of the error.
    public static func from(_ error: AWSError) -> MutationOutcome {
        switch error {
        case .service(let e) where e.status >= 500:
            return .unknown(detail: "AWS answered HTTP \(e.status) \(e.code): \(e.message) (request id \(e.requestID ?? "none")); it may have acted before it failed")
        case .service(let e): return .failed(code: e.code, message: e.message, requestID: e.requestID)
        case .outcomeUnknown(let o): return .unknown(detail: o.description)
        case .transport(let t):
            return t.requestMayHaveBeenSent ? .unknown(detail: t.description) : .notSent(detail: t.description)
        case .malformedResponse(_, let status, let requestID, let reason):
            return .unknown(detail: "HTTP \(status), unreadable answer (request id \(requestID ?? "none")): \(reason)")
        case .credentials(let m), .configuration(let m), .audit(let m), .refused(let m): return .notSent(detail: m)
        }
    }
}

extension AWSValue {
    /// This value with every occurrence of each of `secrets` inside strings (keys and values)
    /// replaced by `[redacted]`. Empty secrets are ignored.
    public func scrubbing(_ secrets: [String]) -> AWSValue {
        let secrets = secrets.filter { $0.count >= 4 }
        guard !secrets.isEmpty else { return self }
        func scrub(_ s: String) -> String {
            var out = s
            for secret in secrets where out.contains(secret) { out = out.replacingOccurrences(of: secret, with: "[redacted]") }
            return out
        }
        func walk(_ v: AWSValue) -> AWSValue {
            switch v {
            case .string(let s): return .string(scrub(s))
            case .array(let a): return .array(a.map(walk))
            case .object(let o): return .object(AWSObject(o.members.map { (scrub($0.key), walk($0.value)) }))
            default: return v
            }
        }
        return walk(self)
    }
}
