import BreakglassAWS
import Foundation

/// The audit trail for people and machines: terminal lines, JSON Lines and Markdown. All text from
/// entries (which can carry AWS messages and alarm names) is sanitised before a terminal sees it.
public enum AuditListing {
    /// "rds FailoverDBCluster us-east-1 {"DBClusterIdentifier":"prod-aurora"}", or a note's text.
    public static func what(_ d: AuditDraft) -> String {
        var parts: [String] = []
        if let s = d.service, let o = d.operation { parts.append("\(s) \(o)") } else if let o = d.operation { parts.append(o) }
        if let r = d.region { parts.append(r) }
        if d.kind == "aws.intent", let p = d.parameters, p != "{}" { parts.append(p) }
        if let i = d.intentSeq { parts.append("(for #\(i))") }
        if let id = d.requestID { parts.append("request \(id)") }
        if let detail = d.detail { parts.append(detail) }
        return parts.joined(separator: " ")
    }

    /// "INC-7 rds-failover#3" — what the entry belongs to.
    public static func belongsTo(_ c: AuditContext) -> String {
        var parts: [String] = []
        if let i = c.incident { parts.append(i) }
        if let d = c.drill { parts.append("drill \(d)") }
        if let r = c.runbook { parts.append(c.step.map { "\(r)#\($0)" } ?? r) }
        if let role = c.role { parts.append("as \(role)") }
        return parts.joined(separator: " ")
    }

    /// One line per entry, fitted to `width`: seq, time (UTC, to the second), user, kind, outcome,
    /// what. Sanitised.
    public static func line(_ e: AuditEntry, width: Int) -> String {
        let time = e.at.count >= 19 ? String(e.at.prefix(19)).replacingOccurrences(of: "T", with: " ") : e.at
        var who = e.draft.actor.user
        if let ssh = e.draft.actor.sshClient { who += "@" + ssh }
        let outcome = e.draft.outcome.map { " [\($0)]" } ?? ""
        let context = belongsTo(e.draft.context)
        let text = "\(e.seq) \(time) \(who) \(e.draft.kind)\(outcome) \(what(e.draft))" + (context.isEmpty ? "" : " · \(context)")
        return TerminalText.truncate(TerminalText.sanitize(text), toWidth: max(20, width))
    }

    /// One JSON object per line: every field, the hash, in the order the hash covers them. An
    /// entry's hash is SHA-256 over its line with `hash` removed, so the export can be checked by
    /// anyone (docs/AUDIT.md shows how).
    public static func jsonLine(_ e: AuditEntry) -> String {
        // The canonical form with the hash appended: the same text as `JSON.encode(e.json)`, without
        // decoding and re-encoding it.
        var line = AuditEntry.canonical(seq: e.seq, at: e.at, draft: e.draft, prevHash: e.prevHash)
        line.removeLast()
        return line + ",\"hash\":\"" + e.hash + "\"}"
    }

    /// A Markdown report: the verification verdict, then a table of every entry.
    public static func markdownHeader(verification: AuditLog.Verification, path: String, generatedAt: Date) -> String {
        var out = "# Breakglass audit trail\n\n"
        out += "- State: `\(escapeCode(path))`\n"
        out += "- Exported: \(ISO8601.format(generatedAt))\n"
        out += "- Entries: \(verification.entries)\n"
        if let problem = verification.problem {
            out += "- Chain: **NOT INTACT** — \(escapeCell(problem.description))\n"
        } else if let head = verification.head {
            out += "- Chain: intact; head is entry \(head.seq), hash `\(head.hash)`\n"
        } else {
            out += "- Chain: intact (empty)\n"
        }
        out += "\n| # | time (UTC) | who | what | outcome | request id | belongs to |\n| --- | --- | --- | --- | --- | --- | --- |\n"
        return out
    }

    public static func markdownRow(_ e: AuditEntry) -> String {
        var who = e.draft.actor.user
        if let ssh = e.draft.actor.sshClient { who += " from " + ssh }
        if let arn = e.draft.actor.callerARN { who += " as " + arn }
        var what = e.draft.kind
        let summary = Self.what(AuditDraft(
            kind: e.draft.kind, actor: e.draft.actor, service: e.draft.service, operation: e.draft.operation, region: e.draft.region,
            parameters: e.draft.parameters, detail: e.draft.detail, intentSeq: e.draft.intentSeq))
        if !summary.isEmpty { what += ": " + summary }
        let cells = [
            "\(e.seq)", e.at, who, what, e.draft.outcome ?? "", e.draft.requestID ?? "", belongsTo(e.draft.context),
        ]
        return "| " + cells.map(escapeCell).joined(separator: " | ") + " |\n"
    }

    /// Markdown table cells: no pipes, no newlines, no control characters, no HTML.
    static func escapeCell(_ s: String) -> String {
        var out = ""
        for ch in TerminalText.sanitize(s) {
            switch ch {
            case "|": out += "\\|"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "`": out += "\\`"
            case "\n", "\r": out += " "
            default: out.append(ch)
            }
        }
        return out
    }

    static func escapeCode(_ s: String) -> String { TerminalText.sanitize(s).replacingOccurrences(of: "`", with: "'") }
}
