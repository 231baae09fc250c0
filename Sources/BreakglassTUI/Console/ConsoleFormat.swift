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

    private static func twoDigits(_ n: Int) -> String {
        n < 10 ? "0\(n)" : "\(n)"
    }
}
