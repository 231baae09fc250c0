import BreakglassAWS
import Foundation

/// The trend across drills: time to acknowledge, to access and to recover, oldest drill first, as
/// terminal sparklines and as JSON for `drill history --output json`.
public struct DrillHistory: Sendable, Equatable {
    /// One drill's figures.
    public struct Point: Sendable, Equatable {
        public var drill: Int64
        public var scenario: String
        public var participant: String?
        public var startedAt: Date
        public var target: TimeInterval
        public var clock: DrillClock.State
        /// Seconds from the drill's start; nil when it did not happen.
        public var acknowledge: TimeInterval?
        public var access: TimeInterval?
        public var recover: TimeInterval?

        /// Recovered, and within the target.
        public var metTarget: Bool { recover.map { $0 <= target } ?? false }
    }

    public enum Metric: String, Sendable, CaseIterable {
        case acknowledge, access, recover

        public var words: String {
            switch self {
            case .acknowledge: "acknowledge"
            case .access: "access"
            case .recover: "recover"
            }
        }
    }

    /// Oldest first.
    public var points: [Point]

    /// From the drills' timelines, in any order (they are sorted by start, then id).
    public init(_ timelines: [DrillTimeline]) {
        points = timelines.map { t in
            Point(
                drill: t.drill.id, scenario: t.drill.scenario, participant: t.drill.participant, startedAt: t.drill.startedAt, target: t.clock.target,
                clock: t.clock.state, acknowledge: t.timeTo(.acknowledged), access: t.timeTo(.accessGranted), recover: t.timeTo(.recovered))
        }
        .sorted { ($0.startedAt, $0.drill) < ($1.startedAt, $1.drill) }
    }

    /// The metric's values, oldest drill first; nil where it did not happen.
    public func series(_ metric: Metric) -> [TimeInterval?] {
        points.map { p in
            switch metric {
            case .acknowledge: p.acknowledge
            case .access: p.access
            case .recover: p.recover
            }
        }
    }

    // MARK: - Sparklines

    static let unicodeLevels: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
    static let asciiLevels: [Character] = ["_", ".", ",", "-", "~", "=", "*", "#"]

    /// One character per value, oldest first: the height is the value against the largest (from 0,
    /// so bars compare as times do); a value that is missing (never reached) is `×` (ASCII `x`).
    /// `ascii` writes with the levels the console uses on terminals without Unicode blocks.
    public static func sparkline(_ values: [TimeInterval?], ascii: Bool = false) -> String {
        let levels = ascii ? asciiLevels : unicodeLevels
        let top = values.compactMap { $0 }.filter(\.isFinite).max() ?? 0
        return String(
            values.map { value -> Character in
                guard let value, value.isFinite else { return ascii ? "x" : "×" }
                guard top > 0 else { return levels[0] }
                let level = Int((max(0, value) / top * Double(levels.count - 1)).rounded())
                return levels[min(levels.count - 1, max(0, level))]
            })
    }

    /// For the terminal: a line per metric (sparkline, latest, best, worst, how many reached it),
    /// then a line per drill. Scenario and participant names are sanitised of control characters.
    public func text(ascii: Bool = false) -> String {
        guard !points.isEmpty else { return "No drills yet.\n" }
        let dash = ascii ? "-" : "—"
        var lines: [String] = []
        lines.append("\(points.count) drill\(points.count == 1 ? "" : "s"), oldest first; times from each drill's start (\(ascii ? "x" : "×") not reached)")
        let width = Metric.allCases.map(\.words.count).max() ?? 0
        for metric in Metric.allCases {
            let values = series(metric)
            let present = values.compactMap { $0 }
            let name = metric.words.padding(toLength: width, withPad: " ", startingAt: 0)
            var line = "\(name)  \(Self.sparkline(values, ascii: ascii))"
            let latest = values.last.flatMap { $0 }.map(DrillFormat.clock) ?? "not reached"
            line += "  latest \(latest)"
            if let best = present.min(), let worst = present.max() {
                line += "  best \(DrillFormat.clock(best))  worst \(DrillFormat.clock(worst))"
            }
            line += "  (\(present.count) of \(values.count))"
            lines.append(line)
        }
        lines.append("")
        for p in points {
            func show(_ v: TimeInterval?) -> String { v.map(DrillFormat.clock) ?? dash }
            let who = p.participant.map { TerminalText.sanitize($0) } ?? "anyone"
            let verdict = p.recover == nil ? "not recovered" : p.metTarget ? "within target" : "over target"
            lines.append(
                "drill \(p.drill)  \(ISO8601.format(p.startedAt))  \(TerminalText.sanitize(p.scenario))  \(who)  "
                    + "ack \(show(p.acknowledge))  access \(show(p.access))  recover \(show(p.recover)) of \(DrillFormat.clock(p.target))  \(verdict)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - JSON

    /// For `--output json`: `{"drills": [...], "trend": {"acknowledge": [...], "access": [...],
    /// "recover": [...]}}`, seconds as numbers (to the millisecond), null where not reached. Text
    /// is kept as stored; JSON escaping makes it inert. `JSON.encode(history.json)` writes it.
    public var json: AWSValue {
        func seconds(_ v: TimeInterval?) -> AWSValue { IncidentListing.seconds(v) }
        let drills: [AWSValue] = points.map { p in
            .object(AWSObject([
                ("id", .number(String(p.drill))), ("scenario", .string(p.scenario)), ("participant", p.participant.map(AWSValue.string) ?? .null),
                ("started_at", .string(ISO8601.format(p.startedAt))), ("target_seconds", seconds(p.target)), ("clock", .string(p.clock.rawValue)),
                ("acknowledge_seconds", seconds(p.acknowledge)), ("access_seconds", seconds(p.access)), ("recover_seconds", seconds(p.recover)),
                ("met_target", .bool(p.metTarget)),
            ]))
        }
        let trend = AWSObject(Metric.allCases.map { m in (m.rawValue, AWSValue.array(series(m).map(seconds))) })
        return .object(AWSObject([("drills", .array(drills)), ("trend", .object(trend))]))
    }
}
