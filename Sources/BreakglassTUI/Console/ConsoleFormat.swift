import BreakglassCore
import Foundation

/// Short, fixed-shape text for times and states, so columns stay narrow and aligned.
enum ConsoleFormat {
    /// "HH:MM:SS" of `date` in UTC (on-call hand-offs across time zones talk in UTC).
    static func clock(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let ofDay = ((seconds % 86_400) + 86_400) % 86_400
        return "\(twoDigits(ofDay / 3600)):\(twoDigits(ofDay / 60 % 60)):\(twoDigits(ofDay % 60))"
    }

    /// A countdown: "MM:SS" under an hour, "H:MM:SS" from an hour; 00:00 once passed.
    static func countdown(_ seconds: TimeInterval) -> String {
        let total = max(0, Int(seconds.rounded(.up)))
        if total >= 3600 { return "\(total / 3600):\(twoDigits(total / 60 % 60)):\(twoDigits(total % 60))" }
        return "\(twoDigits(total / 60)):\(twoDigits(total % 60))"
    }

    private static func twoDigits(_ n: Int) -> String {
        n < 10 ? "0\(n)" : "\(n)"
    }
}
