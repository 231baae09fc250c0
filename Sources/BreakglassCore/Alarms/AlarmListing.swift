import BreakglassAWS
import Foundation

/// How long something has been so, in the fewest characters that still read at a glance:
/// `45s`, `4m12s`, `3h05m`, `2d04h`. Negative spans (a clock behind AWS's) and non-finite ones read as `0s`.
public enum CompactDuration {
    public static func format(_ seconds: TimeInterval) -> String {
        let s = seconds.isFinite ? max(0, Int(min(seconds, 1e12).rounded(.down))) : 0
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        switch s {
        case ..<60: return "\(s)s"
        case ..<3600: return "\(s / 60)m\(two(s % 60))s"
        case ..<86400: return "\(s / 3600)h\(two(s % 3600 / 60))m"
        default: return "\(s / 86400)d\(two(s % 86400 / 3600))h"
        }
    }
}

/// The `breakglass alarms` output forms. Pure: the same alarms and clock give the same text.
public enum AlarmListing {
    /// Short state labels that fit a narrow column.
    public static func label(_ state: AlarmState) -> String {
        switch state {
        case .alarm: "ALARM"
        case .insufficientData: "INSUF"
        case .ok: "OK"
        }
    }

    /// A plain-text table at most `width` columns wide (80 unless the terminal is wider). Every
    /// AWS-supplied field is sanitised, so escape sequences in names or reasons print inert.
    public static func table(_ alarms: [Alarm], now: Date, width: Int = 80, showRegion: Bool) -> String {
        let width = max(width, 40)
        let stateW = 5, ageW = 6, regionW = showRegion ? 14 : 0
        let fixed = stateW + 2 + ageW + 2 + (showRegion ? regionW + 2 : 0)
        let rest = width - fixed
        let nameW = min(max(rest * 45 / 100, 12), max(alarms.map { TerminalText.width(TerminalText.sanitize($0.name)) }.max() ?? 4, 4))
        let reasonW = max(rest - nameW - 2, 0)
        func row(_ state: String, _ age: String, _ region: String, _ name: String, _ reason: String) -> String {
            var line = TerminalText.pad(state, toWidth: stateW) + "  " + TerminalText.pad(age, toWidth: ageW, alignment: .trailing) + "  "
            if showRegion { line += TerminalText.pad(region, toWidth: regionW) + "  " }
            line += TerminalText.pad(name, toWidth: nameW)
            if reasonW > 0 { line += "  " + TerminalText.truncate(reason, toWidth: reasonW) }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
        var lines = [row("STATE", "SINCE", "REGION", "NAME", "REASON")]
        for a in alarms {
            lines.append(row(
                label(a.state), CompactDuration.format(now.timeIntervalSince(a.updated)), TerminalText.sanitize(a.region),
                TerminalText.sanitize(a.name), TerminalText.sanitize(a.reason)))
        }
        return lines.joined(separator: "\n")
    }

    /// JSON for machines: an array of objects with `name`, `state`, `reason`, `updated` (ISO 8601 UTC),
    /// `region`, `type`, `arn`, and for metric alarms `namespace` and `metric` (null for metric math).
    /// Text is kept as AWS sent it; JSON escaping makes control characters inert.
    public static func json(_ alarms: [Alarm]) -> String {
        let items: [AWSValue] = alarms.map { a in
            var o = AWSObject([
                ("name", .string(a.name)), ("state", .string(a.state.rawValue)), ("reason", .string(a.reason)),
                ("updated", .string(ISO8601.format(a.updated))), ("region", .string(a.region)), ("type", .string(a.type.rawValue)),
            ])
            if a.type == .metric {
                o["namespace"] = a.namespace.map(AWSValue.string) ?? .null
                o["metric"] = a.metric.map(AWSValue.string) ?? .null
            }
            o["arn"] = a.arn.map(AWSValue.string) ?? .null
            return .object(o)
        }
        return JSON.encode(.array(items), pretty: true)
    }
}
