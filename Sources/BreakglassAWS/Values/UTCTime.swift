import Foundation

/// Calendar arithmetic in UTC without DateFormatter (slow, and bound to a locale): the fields of a date,
/// and the instant of a set of fields.
enum UTCTime {
    struct Fields {
        let year: Int32, month: Int32, day: Int32, hour: Int32, minute: Int32, second: Int32

        init(_ date: Date) {
            var t = time_t(date.timeIntervalSince1970.rounded(.down))
            var tm = tm()
            gmtime_r(&t, &tm)
            year = tm.tm_year + 1900
            month = tm.tm_mon + 1
            day = tm.tm_mday
            hour = tm.tm_hour
            minute = tm.tm_min
            second = tm.tm_sec
        }

        var month2: String { Self.two(month) }
        var day2: String { Self.two(day) }
        var hour2: String { Self.two(hour) }
        var minute2: String { Self.two(minute) }
        var second2: String { Self.two(second) }
        static func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
    }

    /// Seconds since 1970 of the given UTC fields, or nil when a field is out of range.
    static func epoch(year: Int32, month: Int32, day: Int32, hour: Int32, minute: Int32, second: Int32) -> TimeInterval? {
        guard (1...12).contains(month), (1...31).contains(day), (0..<24).contains(hour), (0..<60).contains(minute), (0...60).contains(second) else { return nil }
        var tm = tm()
        tm.tm_year = year - 1900
        tm.tm_mon = month - 1
        tm.tm_mday = day
        tm.tm_hour = hour
        tm.tm_min = minute
        tm.tm_sec = second
        return TimeInterval(timegm(&tm))
    }
}

/// ISO 8601 in UTC with optional fractional seconds, without a (slow, locale-bound) DateFormatter.
public enum ISO8601 {
    public static func format(_ date: Date) -> String {
        let t = UTCTime.Fields(date)
        return "\(t.year)-\(t.month2)-\(t.day2)T\(t.hour2):\(t.minute2):\(t.second2)Z"
    }

    /// With milliseconds: "2026-11-21T02:14:07.123Z" (audit entries, drill clocks).
    public static func formatMilliseconds(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let ms = min(999, max(0, Int(((date.timeIntervalSince1970 - seconds) * 1000).rounded(.down))))
        let t = UTCTime.Fields(Date(timeIntervalSince1970: seconds))
        let frac = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return "\(t.year)-\(t.month2)-\(t.day2)T\(t.hour2):\(t.minute2):\(t.second2).\(frac)Z"
    }

    public static func parse(_ s: String) -> Date? {
        let u = Array(s.utf8)
        guard u.count >= 19, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"), u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: " "),
            u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":")
        else { return nil }
        func num(_ r: Range<Int>) -> Int32? { Int32(String(decoding: u[r], as: UTF8.self)) }
        guard let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13), let mi = num(14..<16), let se = num(17..<19) else { return nil }
        var i = 19
        var fraction = 0.0
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            while i < u.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(u[i]) {
                fraction += Double(u[i] - UInt8(ascii: "0")) * scale
                scale /= 10
                i += 1
            }
        }
        var offset = 0
        if i < u.count {
            if u[i] == UInt8(ascii: "Z") { i += 1 } else if u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") {
                let sign = u[i] == UInt8(ascii: "+") ? 1 : -1
                let rest = String(decoding: u[(i + 1)...], as: UTF8.self).replacingOccurrences(of: ":", with: "")
                guard rest.count == 4, let hh = Int(rest.prefix(2)), let mm = Int(rest.suffix(2)) else { return nil }
                offset = sign * (hh * 3600 + mm * 60)
                i = u.count
            } else { return nil }
        }
        guard i == u.count, let epoch = UTCTime.epoch(year: y, month: mo, day: d, hour: h, minute: mi, second: se) else { return nil }
        return Date(timeIntervalSince1970: epoch - TimeInterval(offset) + fraction)
    }
}
