/// Every way a call to AWS can fail, each described in words a person at 2 a.m. can act on. Service
/// errors carry AWS's code, message and request id; transport errors say whether the request may
/// have reached AWS, which decides whether a write may be retried.
public enum AWSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No usable credentials, or malformed credential settings.
    case credentials(String)
    /// Missing or invalid settings (region, endpoint URL).
    case configuration(String)
    /// AWS (or the AWS-compatible server) answered with an error.
    case service(ServiceError)
    /// The request failed on the way: no connection, a timeout, a reset.
    case transport(TransportError)
    /// AWS answered, but not in a form we can read.
    case malformedResponse(operation: String, status: Int, requestID: String?, reason: String)
    /// A mutating call failed after the request may have reached AWS: it may or may not have taken
    /// effect, and it was not sent again.
    case outcomeUnknown(OutcomeUnknown)
    /// A mutating call was refused before sending because its intent could not be recorded in the
    /// audit trail (or the client has no journal). Nothing was sent.
    case audit(String)
    /// Refused before journaling or sending because the client may not make this call: a client
    /// limited to a break-glass grant's runbook (`AWSClient.limited(to:reason:)`). The message names
    /// the call and what the client is limited to. Nothing was sent.
    case refused(String)

    public var description: String {
        switch self {
        case .credentials(let m): "credentials: \(m)"
        case .configuration(let m): "configuration: \(m)"
        case .service(let e): e.description
        case .transport(let e): e.description
        case .malformedResponse(let op, let status, let id, let reason):
            "\(op): unreadable answer (HTTP \(status)\(id.map { ", request id \($0)" } ?? "")): \(reason)"
        case .outcomeUnknown(let o): o.description
        case .audit(let m): "audit: \(m)"
        case .refused(let m): "refused: \(m)"
        }
    }

    public var serviceError: ServiceError? { if case .service(let e) = self { e } else { nil } }
}

public struct ServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// "monitoring.DescribeAlarms", "iam.CreateUser".
    public let operation: String
    public let code: String
    public let message: String
    public let status: Int
    public let requestID: String?

    public init(operation: String, code: String, message: String, status: Int, requestID: String?) {
        self.operation = operation
        self.code = code
        self.message = message
        self.status = status
        self.requestID = requestID
    }

    public var description: String {
        "\(operation) failed: \(code): \(message) (HTTP \(status), request id \(requestID ?? "none given"))"
    }
}

public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The connection was never made: nothing reached the server.
        case cannotConnect
        /// No answer within the time allowed.
        case timedOut
        /// The connection broke after the request was (perhaps partly) sent.
        case connectionLost
        /// TLS could not be established or verified.
        case tls
        /// The call was cancelled by the caller.
        case cancelled
        case other
    }

    public let kind: Kind
    public let operation: String
    public let url: String
    /// True when any byte of the request went out, so the server may have acted on it.
    public let requestMayHaveBeenSent: Bool
    public let detail: String

    public init(kind: Kind, operation: String, url: String, requestMayHaveBeenSent: Bool, detail: String) {
        self.kind = kind
        self.operation = operation
        self.url = url
        self.requestMayHaveBeenSent = requestMayHaveBeenSent
        self.detail = detail
    }

    public var description: String {
        let what: String = switch kind {
        case .cannotConnect: "cannot connect to \(url)"
        case .timedOut: "no answer from \(url) in time"
        case .connectionLost: "connection to \(url) lost"
        case .tls: "TLS failure talking to \(url)"
        case .cancelled: "cancelled"
        case .other: "request to \(url) failed"
        }
        return "\(operation): \(what): \(detail)"
    }
}

/// A write whose fate is unknown: the request may have reached AWS (a timeout, a reset, a lost
/// connection after sending), so it may have taken effect. Breakglass never re-sends it; the person
/// must look before trying again.
public struct OutcomeUnknown: Error, Sendable, Equatable, CustomStringConvertible {
    /// "iam.CreateUser", "monitoring.SetAlarmState".
    public let operation: String
    /// How the attempt failed.
    public let transport: TransportError
    /// Which attempt (1-based) failed this way; earlier ones certainly had no effect.
    public let attempt: Int
    /// What to check before trying again.
    public let check: String

    public static let defaultCheck =
        "the request may have reached AWS and taken effect, so it was not sent again; check the resource's state before trying again"

    public init(operation: String, transport: TransportError, attempt: Int = 1, check: String = OutcomeUnknown.defaultCheck) {
        self.operation = operation
        self.transport = transport
        self.attempt = attempt
        self.check = check
    }

    public var description: String {
        var what = transport.description
        if what.hasPrefix(operation + ": ") { what.removeFirst(operation.count + 2) }
        let attemptNote = attempt > 1 ? " on attempt \(attempt) (earlier attempts were refused unexecuted)" : ""
        return "\(operation): outcome unknown\(attemptNote): \(what); \(check)"
    }
}
