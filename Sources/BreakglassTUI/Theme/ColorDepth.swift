/// How many colours the terminal can show, from none to 24-bit. Ordered: a deeper terminal can show
/// everything a shallower one can.
public enum ColorDepth: Int, Comparable, Sendable, CaseIterable {
    /// No colour: attributes (bold, reverse, underline, dim) only.
    case mono
    /// The 16 ANSI colours (8-colour terminals such as the Linux console are treated as this; the
    /// backend folds the bright half onto the base colours).
    case c16
    case c256
    case trueColor

    public static func < (a: ColorDepth, b: ColorDepth) -> Bool { a.rawValue < b.rawValue }

    /// The depth to draw at. `NO_COLOR` set to anything non-empty means no colour
    /// (https://no-color.org) unless `policy` is `.always`; otherwise the terminal's colour count
    /// (curses' `COLORS`, 0 when it has none) decides.
    public static func detect(
        environment: [String: String], terminalColors: Int, policy: ColorPolicy = .auto
    ) -> ColorDepth {
        switch policy {
        case .never: return .mono
        case .auto: if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return .mono }
        case .always: break
        }
        switch terminalColors {
        case (1 << 24)...: return .trueColor
        case 256...: return .c256
        case 8...: return .c16
        default: return .mono
        }
    }
}

/// Whether to use colour: `.auto` follows the terminal and `NO_COLOR`, `.never` forces monochrome,
/// `.always` ignores `NO_COLOR` (but still cannot show colours the terminal lacks).
public enum ColorPolicy: String, Sendable, CaseIterable {
    case auto, never, always
}
