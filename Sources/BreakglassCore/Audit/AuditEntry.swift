import BreakglassAWS
import Crypto
import Foundation

/// Who did something: the OS user, where they came in from over SSH, and the AWS identity they
/// acted as (when known).
public struct AuditActor: Sendable, Equatable {
    public var user: String
    /// The client address from SSH_CONNECTION ("client-ip client-port server-ip server-port").
    public var sshClient: String?
    /// The ARN sts:GetCallerIdentity returned for the credentials in use.
    public var callerARN: String?

    public init(user: String, sshClient: String? = nil, callerARN: String? = nil) {
        self.user = user
        self.sshClient = sshClient
        self.callerARN = callerARN
    }

    /// The user this process runs as, and the SSH client it came from, if any.
    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> AuditActor {
        var user = environment["USER"] ?? environment["LOGNAME"] ?? "uid \(geteuid())"
        if let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name { user = String(cString: name) }
        let ssh = environment["SSH_CONNECTION"]?.split(separator: " ").first.map(String.init)
        return AuditActor(user: user, sshClient: ssh)
    }
}

/// What an entry belongs to.
public struct AuditContext: Sendable, Equatable {
    public var incident: String?
    public var drill: String?
    public var runbook: String?
    public var step: String?
    /// The break-glass role (config id or ARN) the action was taken under.
    public var role: String?

    public init(incident: String? = nil, drill: String? = nil, runbook: String? = nil, step: String? = nil, role: String? = nil) {
        self.incident = incident
        self.drill = drill
        self.runbook = runbook
        self.step = step
        self.role = role
    }
}

/// An entry before it is appended: everything but its place in the chain.
public struct AuditDraft: Sendable, Equatable {
    /// What happened, dotted: `aws.intent`, `aws.outcome`, `note`, `access.granted`, `page.sent`,
    /// `incident.acknowledged`, ... (docs/AUDIT.md lists them).
    public var kind: String
    public var actor: AuditActor
    public var context: AuditContext
    public var service: String?
    public var operation: String?
    public var region: String?
    /// Canonical JSON, secrets redacted.
    public var parameters: String?
    public var requestID: String?
    /// succeeded, failed, unknown, not-sent (for aws.outcome); free for other kinds.
    public var outcome: String?
    /// Human text: an error's code and message, a note.
    public var detail: String?
    /// For an outcome, the intent it answers.
    public var intentSeq: Int64?

    public init(
        kind: String, actor: AuditActor, context: AuditContext = AuditContext(), service: String? = nil, operation: String? = nil,
        region: String? = nil, parameters: String? = nil, requestID: String? = nil, outcome: String? = nil, detail: String? = nil,
        intentSeq: Int64? = nil
    ) {
        self.kind = kind
        self.actor = actor
        self.context = context
        self.service = service
        self.operation = operation
        self.region = region
        self.parameters = parameters
        self.requestID = requestID
        self.outcome = outcome
        self.detail = detail
        self.intentSeq = intentSeq
    }
}

/// One link of the audit chain.
public struct AuditEntry: Sendable, Equatable {
    public var seq: Int64
    /// UTC, millisecond precision, as written ("2026-11-21T02:14:07.123Z").
    public var at: String
    public var draft: AuditDraft
    public var prevHash: String
    public var hash: String

    public init(seq: Int64, at: String, draft: AuditDraft, prevHash: String, hash: String) {
        self.seq = seq
        self.at = at
        self.draft = draft
        self.prevHash = prevHash
        self.hash = hash
    }

    /// The previous hash of the first entry.
    public static let genesis = String(repeating: "0", count: 64)

    /// Every field but the hash, as JSON with a fixed member order: the text the hash covers.
    /// Absent fields are left out, so the form never depends on how a database reports NULL.
    public static func canonical(seq: Int64, at: String, draft d: AuditDraft, prevHash: String) -> String {
        var o = AWSObject()
        o["seq"] = .number(String(seq))
        o["at"] = .string(at)
        o["kind"] = .string(d.kind)
        o["user"] = .string(d.actor.user)
        func put(_ key: String, _ value: String?) { if let value { o[key] = .string(value) } }
        put("ssh_client", d.actor.sshClient)
        put("caller_arn", d.actor.callerARN)
        put("role", d.context.role)
        put("service", d.service)
        put("operation", d.operation)
        put("region", d.region)
        put("parameters", d.parameters)
        put("request_id", d.requestID)
        put("outcome", d.outcome)
        put("detail", d.detail)
        put("incident", d.context.incident)
        put("drill", d.context.drill)
        put("runbook", d.context.runbook)
        put("step", d.context.step)
        if let i = d.intentSeq { o["intent_seq"] = .number(String(i)) }
        o["prev_hash"] = .string(prevHash)
        return JSON.encode(.object(o))
    }

    /// SHA-256 of the canonical form, lowercase hex.
    public static func hash(seq: Int64, at: String, draft: AuditDraft, prevHash: String) -> String {
        sha256Hex(canonical(seq: seq, at: at, draft: draft, prevHash: prevHash))
    }

    /// SHA-256 of the text's UTF-8, lowercase hex.
    public static func sha256Hex(_ text: String) -> String { Hex.encode(SHA256.hash(data: Array(text.utf8))) }

    /// Links `draft` after an entry whose hash is `prevHash`.
    public static func link(_ draft: AuditDraft, seq: Int64, at: String, prevHash: String) -> AuditEntry {
        AuditEntry(seq: seq, at: at, draft: draft, prevHash: prevHash, hash: hash(seq: seq, at: at, draft: draft, prevHash: prevHash))
    }

    /// Whether the stored hash is the hash of the stored fields.
    public var isIntact: Bool { hash == Self.hash(seq: seq, at: at, draft: draft, prevHash: prevHash) }

    /// The entry as one JSON object (the export and shipping format): every field plus the hash.
    public var json: AWSValue {
        var o = (try? JSON.decode(Self.canonical(seq: seq, at: at, draft: draft, prevHash: prevHash)).object) ?? AWSObject()
        o["hash"] = .string(hash)
        return .object(o)
    }
}
