import BreakglassAWS
import Foundation

/// Audit entries of break-glass access: `access.requested`, `access.granted`, `access.denied`,
/// `access.revoked`, `access.expired`, `access.used`. Each names the role, and the runbook and
/// incident when there are; details carry the reason, duration, session name and access key id.
/// Never a secret key, session token or MFA code.
public enum AccessAudit {
    static func context(role: String, runbook: String?, incident: String?) -> AuditContext {
        AuditContext(incident: incident, runbook: runbook, role: role)
    }

    /// A request, before AssumeRole is sent. `parameters` are AssumeRole's, without the MFA code.
    @discardableResult
    public static func requested(
        log: AuditLog, actor: AuditActor, role: String, runbook: String?, incident: String?, reason: String, durationSeconds: Int,
        sessionName: String, criteria: String, parameters: AWSValue, region: String
    ) throws -> AuditEntry {
        try log.append(AuditDraft(
            kind: "access.requested", actor: actor, context: context(role: role, runbook: runbook, incident: incident), service: "sts",
            operation: "AssumeRole", region: region, parameters: JSON.encode(AuditRedactor.redact(parameters)),
            detail: "reason: \(reason); duration \(durationSeconds)s; session \(sessionName); criteria \(criteria)"))
    }

    /// A refusal: AssumeRole failed (with AWS's code, message and request id), or the request was
    /// refused before it was sent (criteria not confirmed).
    @discardableResult
    public static func denied(
        log: AuditLog, actor: AuditActor, role: String, runbook: String?, incident: String?, detail: String, requestID: String? = nil,
        region: String? = nil, sent: Bool
    ) throws -> AuditEntry {
        try log.append(AuditDraft(
            kind: "access.denied", actor: actor, context: context(role: role, runbook: runbook, incident: incident),
            service: sent ? "sts" : nil, operation: sent ? "AssumeRole" : nil, region: sent ? region : nil, requestID: requestID,
            outcome: sent ? "failed" : "not-sent", detail: detail))
    }

    @discardableResult
    public static func granted(
        log: AuditLog, actor: AuditActor, record: AccessGrantRecord, durationSeconds: Int, assumedARN: String?, requestID: String?,
        region: String, policyCharacters: Int?
    ) throws -> AuditEntry {
        var detail = "grant \(record.id): session \(record.sessionName), access key \(record.accessKeyID ?? "?"), \(durationSeconds)s until \(ISO8601.format(record.expiresAt))"
        if let assumedARN { detail += ", as \(assumedARN)" }
        if let policyCharacters { detail += ", session policy \(policyCharacters) characters" }
        detail += "; reason: \(record.reason)"
        return try log.append(AuditDraft(
            kind: "access.granted", actor: actor, context: context(role: record.role, runbook: record.runbook, incident: record.incident),
            service: "sts", operation: "AssumeRole", region: region, requestID: requestID, outcome: "succeeded", detail: detail))
    }

    /// A grant wiped at once by `access revoke` (`how` says what was done: wiped from the agent,
    /// and whether older sessions were cut).
    @discardableResult
    public static func revoked(
        log: AuditLog, actor: AuditActor, role: String, grant: Int64?, runbook: String?, incident: String?, accessKeyID: String?, how: String,
        requestID: String? = nil
    ) throws -> AuditEntry {
        var detail = grant.map { "grant \($0): " } ?? ""
        if let accessKeyID { detail += "access key \(accessKeyID): " }
        detail += how
        return try log.append(AuditDraft(
            kind: "access.revoked", actor: actor, context: context(role: role, runbook: runbook, incident: incident), requestID: requestID,
            detail: detail))
    }

    /// A grant wiped by its holder when its time was up.
    @discardableResult
    public static func expired(log: AuditLog, actor: AuditActor, grant: AccessGrantSummary) throws -> AuditEntry {
        try log.append(AuditDraft(
            kind: "access.expired", actor: actor, context: context(role: grant.role, runbook: grant.runbook, incident: grant.incident),
            detail: "grant \(grant.id): access key \(grant.accessKeyID), session \(grant.sessionName) expired at \(ISO8601.format(grant.expiration)); wiped from the agent"))
    }

    /// A runbook run starts using a grant's credentials (`runbook run` records it).
    @discardableResult
    public static func used(log: AuditLog, actor: AuditActor, grant: AccessGrant, runbook: String, run: Int64) throws -> AuditEntry {
        var detail = "run \(run) uses grant \(grant.id): session \(grant.sessionName), access key \(grant.credentials.accessKeyID), until \(ISO8601.format(grant.expiration))"
        if let granted = grant.runbook, granted != runbook { detail += " (granted for runbook \(granted))" }
        return try log.append(AuditDraft(
            kind: "access.used", actor: actor, context: AuditContext(runbook: runbook, role: grant.role), detail: detail))
    }
}
