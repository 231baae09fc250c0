/// Durations as configuration files write them: whole numbers with a unit, largest unit first, each
/// unit at most once: `90s`, `5m`, `1h`, `1h30m`, `2m30s`, `500ms`, `1h0m5s`. Units: `h`, `m`, `s`,
/// `ms`. No spaces, no fractions (`1.5h` is written `1h30m`), no sign. A bare number is refused: it
/// does not say whether it means seconds or minutes.
public enum DurationSyntax {
    /// The duration `text` states, or nil when it is not one.
    public static func parse(_ text: String) -> Duration? {
        let units: [(suffix: String, milliseconds: Int64)] = [("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)]
        var rest = Substring(text)
        var total: Int64 = 0
        var nextUnit = 0
        var components = 0
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            // Nine digits is more than anyone means (31 years in seconds) and cannot overflow.
            guard !digits.isEmpty, digits.count <= 9, let number = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            // "ms" before "m", so "500ms" is not read as 500 minutes followed by "s".
            let unit: Int? = rest.hasPrefix("ms") ? 3 : rest.hasPrefix("h") ? 0 : rest.hasPrefix("m") ? 1 : rest.hasPrefix("s") ? 2 : nil
            guard let unit, unit >= nextUnit else { return nil }
            rest = rest.dropFirst(units[unit].suffix.count)
            total += number * units[unit].milliseconds
            nextUnit = unit + 1
            components += 1
        }
        return components > 0 ? .milliseconds(total) : nil
    }

    /// Whether `text` is a number without a unit (`300`, `1.5`), to say "add a unit" rather than
    /// just "not a duration".
    public static func isBareNumber(_ text: String) -> Bool {
        var body = Substring(text)
        if body.first == "-" || body.first == "+" { body = body.dropFirst() }
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        return body.contains { $0.isASCII && $0.isNumber }
            && parts.allSatisfy { part in part.allSatisfy { $0.isASCII && $0.isNumber } }
    }

    /// The shortest way to write `duration` in this syntax: `1h30m`, `90s` becomes `1m30s`, `500ms`,
    /// `0s`. Sub-millisecond parts are dropped; negative durations are written as `0s`.
    public static func format(_ duration: Duration) -> String {
        var ms = milliseconds(duration)
        guard ms > 0 else { return "0s" }
        var text = ""
        for (suffix, size) in [("h", Int64(3_600_000)), ("m", 60_000), ("s", 1_000), ("ms", 1)] where ms >= size {
            text += "\(ms / size)\(suffix)"
            ms %= size
        }
        return text
    }

    /// Whole milliseconds in `duration`, rounded down.
    public static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// Whole seconds in `duration`, rounded down (`DurationSeconds` for STS, for example).
    public static func seconds(_ duration: Duration) -> Int64 { duration.components.seconds }
}
