import BreakglassAWS
import Foundation

/// The audit trail as the AWS client's journal: an `aws.intent` entry, durably committed before a
/// mutating call is sent, and an `aws.outcome` entry (linked to it by `intent_seq`) after.
public struct AuditJournal: MutationJournal {
    public let log: AuditLog
    public var actor: AuditActor
    public var context: AuditContext
    /// Where an outcome that cannot be written is reported (stderr in the CLI).
    private let warn: @Sendable (String) -> Void

    public init(
        log: AuditLog, actor: AuditActor, context: AuditContext = AuditContext(),
        warn: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(("breakglass: " + $0 + "\n").utf8)) }
    ) {
        self.log = log
        self.actor = actor
        self.context = context
        self.warn = warn
    }

    /// The same journal recording entries as part of `context` (an incident, a runbook step).
    public func with(context: AuditContext) -> AuditJournal {
        var copy = self
        copy.context = context
        return copy
    }

    public func recordIntent(_ intent: MutationIntent) throws -> MutationTicket {
        let entry = try log.append(AuditDraft(
            kind: "aws.intent", actor: actor, context: context, service: intent.service, operation: intent.operation,
            region: intent.region, parameters: JSON.encode(AuditRedactor.redact(intent.parameters)),
            detail: "signed with access key \(intent.accessKeyID)"))
        return MutationTicket(id: entry.seq)
    }

    public func recordOutcome(_ outcome: MutationOutcome, for ticket: MutationTicket) {
        var draft = AuditDraft(kind: "aws.outcome", actor: actor, context: context, outcome: outcome.word, intentSeq: ticket.id)
        switch outcome {
        case .succeeded(let id): draft.requestID = id
        case .failed(let code, let message, let id):
            draft.requestID = id
            draft.detail = "\(code): \(message)"
        case .unknown(let detail), .notSent(let detail): draft.detail = detail
        }
        // The call has happened; its outcome must not be lost to a busy moment. A few tries, then
        // say so: the intent entry without an outcome then reads as "outcome unknown".
        var lastError: (any Error)?
        for attempt in 0..<3 {
            do {
                try log.append(draft)
                return
            } catch {
                lastError = error
                if attempt < 2 { usleep(50_000) }
            }
        }
        warn("could not record the outcome (\(outcome.word)) of audit entry \(ticket.id): \(lastError.map { String(describing: $0) } ?? "")")
    }
}

/// Replaces secret values by field name before anything reaches the audit trail: secret keys,
/// session tokens, passwords, MFA codes, private keys, webhook and routing keys.
public enum AuditRedactor {
    public static let marker = "[redacted]"

    /// Field names (lowercased, without `_`/`-`) that hold secrets wherever they appear.
    static let secretWords = ["secret", "password", "passwd", "privatekey", "sessiontoken", "tokencode", "authorization", "apikey", "routingkey", "credentials", "signingkey"]
    /// Tokens that are identifiers, not secrets.
    static let notSecret = ["nexttoken", "clienttoken", "clientrequesttoken", "idempotencytoken", "continuationtoken"]

    public static func isSecretField(_ name: String) -> Bool {
        let key = String(name.lowercased().filter { $0.isLetter || $0.isNumber })
        if notSecret.contains(where: { key.hasSuffix($0) }) { return false }
        if secretWords.contains(where: { key.contains($0) }) { return true }
        // "Token", "SessionToken", "X-Amz-Security-Token", "auth_token": a bare token is a secret.
        return key.hasSuffix("token")
    }

    public static func redact(_ value: AWSValue) -> AWSValue {
        switch value {
        case .object(let o):
            return .object(AWSObject(o.members.map { m in
                (m.key, isSecretField(m.key) && m.value != .null ? .string(marker) : redact(m.value))
            }))
        case .array(let a): return .array(a.map(redact))
        default: return value
        }
    }
}
