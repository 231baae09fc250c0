import Foundation

/// A small chart of a series: each value becomes a column of rising glyph levels (`LineGlyphs.levels`,
/// lowest first) over one or more rows, scaled between the series' minimum and maximum. Pure text,
/// so it is drawn and tested like any other string.
///
/// The minimum shows as the lowest level, never blank, so a low value is not mistaken for a gap; a
/// missing value (nil, NaN, infinite) is a blank column. A flat series sits at half height: steady,
/// not zero.
public struct Sparkline: Hashable, Sendable {
    /// Top row first; each is `values.count * columnWidth` characters.
    public let rows: [String]
    /// The smallest and largest values drawn; nil when there were none.
    public let minimum: Double?
    public let maximum: Double?

    public init(values: [Double?], height: Int = 1, columnWidth: Int = 1, levels: [Character]) {
        let height = max(1, height)
        let columnWidth = max(1, columnWidth)
        let finite = values.compactMap { $0 }.filter(\.isFinite)
        let low = finite.min()
        let high = finite.max()
        minimum = low
        maximum = high
        guard !levels.isEmpty else {
            rows = Array(repeating: String(repeating: " ", count: values.count * columnWidth), count: height)
            return
        }
        let steps = levels.count * height
        var grid = Array(repeating: [Character](), count: height)
        for value in values {
            var step = 0
            if let value, value.isFinite, let low, let high {
                step = Self.step(value, low: low, high: high, steps: steps)
            }
            for fromBottom in 0..<height {
                let filled = step - fromBottom * levels.count
                let glyph: Character = filled >= levels.count ? levels[levels.count - 1] : filled > 0 ? levels[filled - 1] : " "
                grid[height - 1 - fromBottom].append(contentsOf: repeatElement(glyph, count: columnWidth))
            }
        }
        rows = grid.map { String($0) }
    }

    /// 1 ... `steps`: the minimum at 1, the maximum at `steps`, a flat series at half.
    static func step(_ value: Double, low: Double, high: Double, steps: Int) -> Int {
        guard high > low else { return max(1, steps / 2) }
        let fraction = (value - low) / (high - low)
        return 1 + Int((fraction * Double(steps - 1)).rounded())
    }

    /// `values` squeezed into at most `width` columns: each column is the largest value of its run
    /// (a spike must not vanish), nil when its whole run is missing. Shorter series are unchanged.
    public static func fit(_ values: [Double?], toWidth width: Int) -> [Double?] {
        guard width > 0 else { return [] }
        guard values.count > width else { return values }
        return (0..<width).map { column in
            let from = column * values.count / width
            let to = max(from + 1, (column + 1) * values.count / width)
            return values[from..<to].compactMap { $0 }.filter(\.isFinite).max()
        }
    }
}
