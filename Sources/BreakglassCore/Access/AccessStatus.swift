import BreakglassAWS
import Foundation

/// `breakglass access status`: who holds which role, for how long yet, for what.
public enum AccessStatus {
    public enum State: String, Sendable, Equatable {
        /// Active, and this user's agent holds the credentials.
        case held
        /// Active by the record, but no agent of this user holds it any more (the agent was stopped).
        case notHeld = "not-held"
        /// Active by the record; another user's grant, whose agent this user cannot ask.
        case active
        case expired
        case revoked
    }

    public struct Row: Sendable, Equatable {
        public var record: AccessGrantRecord
        public var state: State
        /// Seconds until expiry, when active.
        public var secondsLeft: Int?
    }

    /// One row per record; `held` is what this user's agent holds (nil: no agent answered).
    public static func rows(_ records: [AccessGrantRecord], held: [AccessGrantSummary]?, user: String, now: Date) -> [Row] {
        let heldIDs = Set((held ?? []).map(\.id))
        return records.map { r in
            let state: State
            if r.revokedAt != nil {
                state = .revoked
            } else if r.expiresAt <= now {
                state = .expired
            } else if r.user != user {
                state = .active
            } else {
                state = heldIDs.contains(r.id) ? .held : .notHeld
            }
            let left = state == .held || state == .notHeld || state == .active ? Int(r.expiresAt.timeIntervalSince(now).rounded(.down)) : nil
            return Row(record: r, state: state, secondsLeft: left)
        }
    }

    /// `14m32s`, `1h2m`, `45s`.
    public static func formatLeft(_ seconds: Int) -> String {
        guard seconds > 0 else { return "0s" }
        let h = seconds / 3600, m = seconds % 3600 / 60, s = seconds % 60
        if h > 0 { return m > 0 ? "\(h)h\(m)m" : "\(h)h" }
        if m > 0 { return s > 0 ? "\(m)m\(s)s" : "\(m)m" }
        return "\(s)s"
    }

    /// A table for the terminal, sanitised, one line per grant.
    public static func table(_ rows: [Row], width: Int = 120) -> String {
        guard !rows.isEmpty else { return "no break-glass grants recorded" }
        let header = ["ID", "ROLE", "USER", "STATE", "LEFT", "RUNBOOK", "INCIDENT", "SESSION"]
        var lines: [[String]] = [header]
        for row in rows {
            let r = row.record
            var state = row.state.rawValue
            if row.state == .revoked, let by = r.revokedBy { state += " by \(by)" }
            lines.append([
                String(r.id), r.role, r.user, state, row.secondsLeft.map(formatLeft) ?? "-", r.runbook ?? "-", r.incident ?? "-", r.sessionName,
            ].map(TerminalText.sanitize))
        }
        var widths = header.map { _ in 0 }
        for line in lines { for (i, cell) in line.enumerated() { widths[i] = max(widths[i], TerminalText.width(cell)) } }
        return lines.map { line in
            let text = line.enumerated().map { i, cell in i == line.count - 1 ? cell : TerminalText.pad(cell, toWidth: widths[i]) }
                .joined(separator: "  ")
            return TerminalText.truncate(text, toWidth: max(20, width))
        }.joined(separator: "\n")
    }

    /// An array of objects for machines.
    public static func json(_ rows: [Row]) -> AWSValue {
        .array(rows.map { row in
            let r = row.record
            var o = AWSObject()
            o["id"] = .number(String(r.id))
            o["role"] = .string(r.role)
            o["role_arn"] = .string(r.roleARN)
            o["user"] = .string(r.user)
            o["state"] = .string(row.state.rawValue)
            o["seconds_left"] = row.secondsLeft.map { .int($0) } ?? .null
            o["granted_at"] = .string(ISO8601.format(r.grantedAt))
            o["expires_at"] = .string(ISO8601.format(r.expiresAt))
            o["revoked_at"] = r.revokedAt.map { .string(ISO8601.format($0)) } ?? .null
            o["revoked_by"] = r.revokedBy.map(AWSValue.string) ?? .null
            o["runbook"] = r.runbook.map(AWSValue.string) ?? .null
            o["incident"] = r.incident.map(AWSValue.string) ?? .null
            o["session_name"] = .string(r.sessionName)
            o["access_key_id"] = r.accessKeyID.map(AWSValue.string) ?? .null
            o["reason"] = .string(r.reason)
            return .object(o)
        })
    }
}
