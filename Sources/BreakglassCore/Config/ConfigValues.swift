import Foundation

/// The shapes of AWS names and other values a configuration holds, checked when it is loaded.
public enum ConfigValues {
    /// `us-east-1`, `eu-west-2`, `us-gov-west-1`, `ap-southeast-4`, `cn-north-1`.
    public static func isRegion(_ s: String) -> Bool {
        s.wholeMatch(of: /[a-z]{2}(-[a-z]+)+-[0-9]{1,2}/) != nil
    }

    /// `arn:aws:sns:us-east-1:111122223333:oncall` (also the aws-cn and aws-us-gov partitions, and
    /// FIFO topics).
    public static func isSNSTopicARN(_ s: String) -> Bool {
        s.wholeMatch(of: /arn:aws(-cn|-us-gov)?:sns:[a-z]{2}(-[a-z]+)+-[0-9]{1,2}:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?/) != nil
    }

    /// A phone number in E.164 form: `+`, a country code, 7 to 15 digits in all.
    public static func isE164(_ s: String) -> Bool {
        s.wholeMatch(of: /\+[1-9][0-9]{6,14}/) != nil
    }

    /// A name a shell can export: letters, digits and `_`, not starting with a digit.
    public static func isEnvironmentVariableName(_ s: String) -> Bool {
        s.wholeMatch(of: /[A-Za-z_][A-Za-z0-9_]*/) != nil
    }

    /// An MFA device as STS's SerialNumber takes it: a virtual device's ARN
    /// (`arn:aws:iam::111122223333:mfa/alice`) or a hardware token's serial (`GAHT12345678`).
    public static func isMFASerial(_ s: String) -> Bool {
        s.wholeMatch(of: /[A-Za-z0-9+=\/:,.@_-]{9,256}/) != nil
    }

    /// A CloudWatch Logs group name: 1 to 512 of letters, digits, `_ - / . #`.
    public static func isLogGroupName(_ s: String) -> Bool {
        s.wholeMatch(of: /[A-Za-z0-9_\-\/.#]{1,512}/) != nil
    }

    /// A CloudWatch Logs stream name: 1 to 512 characters, no `:` or `*`.
    public static func isLogStreamName(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 512 && !s.contains(":") && !s.contains("*")
    }

    /// An id for a contact, plan, role, runbook or step: a letter or digit, then letters, digits,
    /// `-` and `_`. No dots, so `{{steps.ID.field}}` stays unambiguous.
    /// An IAM user or role name: 1–64 of letters, digits and `+=,.@_-`.
    public static func isIAMName(_ s: String) -> Bool {
        s.wholeMatch(of: /[A-Za-z0-9+=,.@_-]{1,64}/) != nil
    }

    public static func isIdentifier(_ s: String) -> Bool {
        s.wholeMatch(of: /[A-Za-z0-9][A-Za-z0-9_-]*/) != nil
    }

    /// An https URL with a host (`http://` only for loopback, to test against a local server).
    public static func isWebhookURL(_ s: String) -> Bool {
        guard let url = URL(string: s), let host = url.host, !host.isEmpty else { return false }
        switch url.scheme {
        case "https": return true
        case "http": return host == "127.0.0.1" || host == "localhost" || host == "::1" || host == "[::1]"
        default: return false
        }
    }
}

/// An IAM role ARN, taken apart: `arn:aws:iam::111122223333:role/path/name`.
public struct IAMRoleARN: Sendable, Hashable, CustomStringConvertible {
    public let partition: String
    public let account: String
    /// "/" or "/path/".
    public let path: String
    public let name: String

    public init?(_ text: String) {
        guard let m = text.wholeMatch(of: /arn:(aws|aws-cn|aws-us-gov):iam::([0-9]{12}):role(\/(?:[\x21-\x7E]+\/)?)([A-Za-z0-9+=,.@_-]{1,64})/) else { return nil }
        partition = String(m.1)
        account = String(m.2)
        path = String(m.3)
        name = String(m.4)
        guard path.hasPrefix("/"), path.hasSuffix("/"), path.count <= 512 else { return nil }
    }

    public var description: String {
        "arn:\(partition):iam::\(account):role\(path)\(name)"
    }
}

/// When an escalation stage applies: `Mon-Fri 09:00-18:00`, `Sat,Sun 10:00-16:00 Europe/Paris`,
/// `22:00-06:00` (every day, past midnight). Days are `Mon`…`Sun` (any case), single or as ranges
/// joined by commas; no days means every day. Times are 24-hour `HH:MM`; `24:00` may end a window.
/// An end at or before the start runs past midnight, and the days name the day the window starts.
/// The time zone is an IANA name; none means UTC.
public struct TimeWindow: Sendable, Hashable, CustomStringConvertible {
    /// ISO weekday numbers: 1 is Monday, 7 Sunday.
    public let days: Set<Int>
    /// Minutes after midnight, 0..<1440.
    public let start: Int
    /// Minutes after midnight, 1...1440.
    public let end: Int
    public let timeZone: String?
    public let text: String

    static let dayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    /// The window `text` states, or why it is not one.
    public static func parse(_ text: String) -> Result<TimeWindow, WindowError> {
        let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard !words.isEmpty, words.count <= 3 else { return .failure(WindowError("expected days, a time range and an optional time zone, e.g. \"Mon-Fri 09:00-18:00\"")) }
        var index = 0
        var days = Set(1...7)
        if let first = words.first, first.first?.isLetter == true {
            switch parseDays(first) {
            case .success(let d): days = d
            case .failure(let e): return .failure(e)
            }
            index = 1
        }
        guard index < words.count else { return .failure(WindowError("missing the time range, e.g. 09:00-18:00")) }
        let range = words[index].split(separator: "-", omittingEmptySubsequences: false)
        guard range.count == 2, let start = minutes(range[0]), let end = minutes(range[1]) else {
            return .failure(WindowError("expected a time range like 09:00-18:00 (24-hour HH:MM-HH:MM), found \"\(words[index])\""))
        }
        guard start < 24 * 60 else { return .failure(WindowError("a window cannot start at 24:00; use 00:00")) }
        guard end > 0 else { return .failure(WindowError("a window cannot end at 00:00; use 24:00")) }
        guard start != end else { return .failure(WindowError("the window \(words[index]) is empty; for the whole day write 00:00-24:00")) }
        var zone: String?
        if index + 1 < words.count {
            let name = words[index + 1]
            guard TimeZone(identifier: name) != nil else {
                return .failure(WindowError("unknown time zone \"\(name)\"; use an IANA name such as Europe/Paris or America/New_York"))
            }
            zone = name
        }
        guard index + (zone == nil ? 1 : 2) == words.count else {
            return .failure(WindowError("expected days, a time range and an optional time zone, e.g. \"Mon-Fri 09:00-18:00\""))
        }
        return .success(TimeWindow(days: days, start: start, end: end, timeZone: zone, text: text))
    }

    public struct WindowError: Error, Sendable, Hashable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    private static func parseDays(_ text: String) -> Result<Set<Int>, WindowError> {
        var days = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let ends = item.split(separator: "-", omittingEmptySubsequences: false)
            let numbers = ends.map { dayNames.firstIndex(of: $0.lowercased()).map { $0 + 1 } }
            guard (1...2).contains(numbers.count), numbers.allSatisfy({ $0 != nil }) else {
                return .failure(WindowError("expected days such as Mon-Fri or Sat,Sun, found \"\(text)\""))
            }
            let from = numbers[0] ?? 1, to = numbers[numbers.count - 1] ?? from
            // A range may wrap past Sunday: Fri-Mon is Fri, Sat, Sun, Mon.
            var d = from
            while true {
                days.insert(d)
                if d == to { break }
                d = d % 7 + 1
            }
        }
        return .success(days)
    }

    private static func minutes(_ text: Substring) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2,
            let h = Int(parts[0]), let m = Int(parts[1]), parts.allSatisfy({ $0.allSatisfy(\.isASCII) }),
            (0...24).contains(h), (0...59).contains(m), h < 24 || m == 0
        else { return nil }
        return h * 60 + m
    }

    /// Whether `date` falls inside the window.
    public func contains(_ date: Date) -> Bool {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone.flatMap(TimeZone.init(identifier:)) ?? TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        let parts = calendar.dateComponents([.weekday, .hour, .minute], from: date)
        // Calendar's weekday: 1 is Sunday. ISO: 1 is Monday.
        let weekday = ((parts.weekday ?? 1) + 5) % 7 + 1
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        if start < end { return days.contains(weekday) && minute >= start && minute < end }
        let yesterday = (weekday + 5) % 7 + 1
        return (days.contains(weekday) && minute >= start) || (days.contains(yesterday) && minute < end)
    }

    public var description: String { text }
}
