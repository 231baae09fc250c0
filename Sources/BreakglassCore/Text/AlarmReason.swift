import Foundation

/// CloudWatch's state reasons, said briefly for a list row.
///
/// CloudWatch explains a threshold alarm's state in one long sentence:
/// `Threshold Crossed: 3 out of the last 3 datapoints [96.2 (20/11/26 10:01:00), 95.1 (…)] were
/// greater than the threshold (90.0) (minimum 3 datapoints for OK -> ALARM transition).`
/// A list row has room for its first 40–110 columns, which say the least: "Threshold Crossed: 3
/// out of the last …". `brief` gives the same facts in the order they matter at a glance —
/// `96.2, 95.1 > 90.0 (3 of last 3)` — and leaves every other reason (free text set by a person or
/// a tool, composite alarms, anomaly bands) exactly as it is. The detail view shows the full reason.
public enum AlarmReason {
    /// The brief form of a CloudWatch threshold reason, or `reason` itself when it is not one.
    public static func brief(_ reason: String) -> String {
        guard let rest = reason.dropPrefix("Threshold Crossed: ") else { return reason }
        if let missing = missingData(rest) { return missing }
        return crossing(rest) ?? reason
    }

    /// `no datapoints were received for 2 periods and 2 missing datapoints were treated as [Breaching].`
    /// → `no data for 2 periods (treated as breaching)`.
    static func missingData(_ text: Substring) -> String? {
        guard let afterFor = text.dropPrefix("no datapoints were received for ") else { return nil }
        let periods = afterFor.prefix { $0 != " " }
        guard !periods.isEmpty, periods.allSatisfy(\.isNumber) else { return nil }
        let unit = periods == "1" ? "period" : "periods"
        var out = "no data for \(periods) \(unit)"
        if let open = afterFor.range(of: "treated as ["), let close = afterFor[open.upperBound...].firstIndex(of: "]") {
            out += " (treated as \(afterFor[open.upperBound..<close].lowercased()))"
        }
        return out
    }

    /// The comparison words CloudWatch uses, longest first, and the symbol for each, and for its
    /// negation ("was not greater than" is `<=`).
    static let comparisons: [(words: String, symbol: String, negated: String)] = [
        ("greater than or equal to the threshold", ">=", "<"),
        ("less than or equal to the threshold", "<=", ">"),
        ("greater than the threshold", ">", "<="),
        ("less than the threshold", "<", ">="),
    ]

    /// `N datapoint(s) [v (t), …] was/were [not] COMPARISON (T)…` and
    /// `M out of the last N datapoints [v (t), …] were COMPARISON (T)…`, and the form CloudWatch
    /// uses when the datapoints that crossed come after: `… were COMPARISON (T). The most recent
    /// datapoints which crossed the threshold: [v (t), …] …`.
    static func crossing(_ text: Substring) -> String? {
        // The counts before "datapoint(s)".
        guard let datapointsAt = text.range(of: " datapoint") else { return nil }
        let counts = text[..<datapointsAt.lowerBound]
        var of: (Substring, Substring)?
        if let out = counts.range(of: " out of the last ") {
            let m = counts[..<out.lowerBound], n = counts[out.upperBound...]
            guard !m.isEmpty, !n.isEmpty, m.allSatisfy(\.isNumber), n.allSatisfy(\.isNumber) else { return nil }
            of = (m, n)
        } else {
            guard !counts.isEmpty, counts.allSatisfy(\.isNumber) else { return nil }
        }
        // The comparison and the threshold.
        var found: (range: Range<Substring.Index>, symbol: String)?
        for c in comparisons {
            guard let r = text.range(of: c.words) else { continue }
            let before = text[..<r.lowerBound]
            let negated = before.hasSuffix(" not ")
            found = (r, negated ? c.negated : c.symbol)
            break
        }
        guard let (words, symbol) = found else { return nil }
        let afterWords = text[words.upperBound...].drop { $0 == " " }
        guard afterWords.first == "(", let close = afterWords.firstIndex(of: ")") else { return nil }
        let threshold = afterWords[afterWords.index(after: afterWords.startIndex)..<close]
        guard !threshold.isEmpty, threshold.count <= 32 else { return nil }
        // The values: the first bracket of the sentence (before the comparison, or after it in the
        // "most recent datapoints" form), each value without its timestamp.
        // A bracket that holds anything but values is not CloudWatch's sentence: left whole.
        let before = text[..<words.lowerBound], after = text[close...]
        let values: [String]
        if before.contains("[") {
            guard let v = bracketValues(before) else { return nil }
            values = v
        } else if after.contains("[") {
            guard let v = bracketValues(after) else { return nil }
            values = v
        } else {
            values = []
        }
        // Without values, the count (`1 datapoint > 80.0`), unless "M of last N" says it.
        var out = ""
        if !values.isEmpty { out = values.joined(separator: ", ") + " " }
        else if of == nil { out = "\(counts) datapoint\(counts == "1" ? "" : "s") " }
        out += "\(symbol) \(threshold)"
        if let (m, n) = of { out += " (\(m) of last \(n))" }
        return out
    }

    /// The values in the first `[…]` of `text`: `[96.2 (20/11/26 10:01:00), 95.1 (…)]` → 96.2, 95.1;
    /// `[24.8, 27.1]` → 24.8, 27.1. Nil without a bracket or when it holds something else.
    static func bracketValues(_ text: Substring) -> [String]? {
        guard let open = text.firstIndex(of: "["), let close = text[open...].firstIndex(of: "]") else { return nil }
        var values: [String] = []
        var depth = 0
        var current = ""
        for ch in text[text.index(after: open)..<close] {
            switch ch {
            case "(": depth += 1
            case ")": depth = max(0, depth - 1)
            case "," where depth == 0:
                values.append(current.trimmingSpaces())
                current = ""
            default: if depth == 0 { current.append(ch) }
            }
        }
        values.append(current.trimmingSpaces())
        guard !values.isEmpty, values.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isNumber || "-+.eE".contains($0) } }) else { return nil }
        return values
    }
}

extension StringProtocol {
    fileprivate func dropPrefix(_ prefix: String) -> SubSequence? {
        hasPrefix(prefix) ? self[index(startIndex, offsetBy: prefix.count)...] : nil
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
