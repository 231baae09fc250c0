import Foundation

/// How drill times are written everywhere (the report, the history, the facilitator's view).
public enum DrillFormat {
    /// Whole seconds as a stopwatch: `04:07`, `1:02:05`; negative values get a leading `-`.
    /// Fractions are dropped (a clock at 59.9 s still shows `00:59`).
    public static func clock(_ seconds: TimeInterval) -> String {
        guard seconds.isFinite else { return "--:--" }
        let whole = Int64(abs(seconds).rounded(.down))
        let sign = seconds < 0 && whole > 0 ? "-" : ""
        let h = whole / 3600
        let m = (whole % 3600) / 60
        let s = whole % 60
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return h > 0 ? "\(sign)\(h):\(two(m)):\(two(s))" : "\(sign)\(two(m)):\(two(s))"
    }

    /// An offset from the drill's start: `+04:07`.
    public static func offset(_ seconds: TimeInterval) -> String { seconds < 0 ? clock(seconds) : "+" + clock(seconds) }
}
