/// A colour as a theme states it. Themes may use any form; `ColorDepth` brings them down to what the
/// terminal can show before anything is drawn.
public enum ThemeColor: Hashable, Sendable {
    /// The terminal's own foreground or background (what the user configured).
    case terminalDefault
    /// An xterm palette index: 0–15 the ANSI colours, 16–231 the 6×6×6 cube, 232–255 the grey ramp.
    case indexed(UInt8)
    case rgb(UInt8, UInt8, UInt8)

    /// The depth a terminal needs to show this colour as stated.
    public var requiredDepth: ColorDepth {
        switch self {
        case .terminalDefault: .mono
        case .indexed(let n): n < 16 ? .c16 : .c256
        case .rgb: .trueColor
        }
    }

    /// The nearest colour a terminal of `depth` can show; `.terminalDefault` at `.mono`.
    public func degraded(to depth: ColorDepth) -> ThemeColor {
        if depth == .mono { return .terminalDefault }
        if requiredDepth <= depth { return self }
        switch self {
        case .terminalDefault:
            return self
        case .indexed(let n):
            let (r, g, b) = Palette.rgb(ofIndex: n)
            return .indexed(Palette.nearestANSI(r, g, b))
        case .rgb(let r, let g, let b):
            return .indexed(depth == .c256 ? Palette.nearest256(r, g, b) : Palette.nearestANSI(r, g, b))
        }
    }
}

extension ThemeColor {
    /// The ANSI colour names a theme file may use, in palette order: `black` is 0, `bright-white` 15.
    public static let ansiNames = [
        "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
        "bright-black", "bright-red", "bright-green", "bright-yellow", "bright-blue", "bright-magenta", "bright-cyan", "bright-white",
    ]

    /// A colour as theme files write it: `default` (the terminal's own), an ANSI name (`red`,
    /// `bright-red`; `_` for `-` and any case are accepted), a palette index `0`–`255`, or `#rrggbb`.
    /// Nil for anything else.
    public init?(themeText text: String) {
        let lower = text.lowercased().replacingOccurrences(of: "_", with: "-")
        if lower == "default" {
            self = .terminalDefault
        } else if let index = Self.ansiNames.firstIndex(of: lower) {
            self = .indexed(UInt8(index))
        } else if !text.isEmpty, text.count <= 3, text.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(text), n <= 255 {
            self = .indexed(UInt8(n))
        } else if text.count == 7, text.first == "#", let rgb = UInt32(text.dropFirst(), radix: 16),
            text.dropFirst().allSatisfy({ $0.isHexDigit })
        {
            self = .rgb(UInt8(rgb >> 16), UInt8((rgb >> 8) & 0xFF), UInt8(rgb & 0xFF))
        } else {
            return nil
        }
    }

    /// How a theme file writes this colour: an ANSI name for 0–15, the index for the rest of the
    /// palette, `#rrggbb` for 24-bit colours.
    public var themeText: String {
        switch self {
        case .terminalDefault: "default"
        case .indexed(let n) where n < 16: Self.ansiNames[Int(n)]
        case .indexed(let n): String(n)
        case .rgb(let r, let g, let b): "#" + [r, g, b].map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        }
    }
}

/// The xterm palette, for mapping colours between depths. The 16 ANSI entries use xterm's defaults;
/// terminals let users change them, so they are only a reference for "nearest".
enum Palette {
    static let ansi: [(UInt8, UInt8, UInt8)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0),
        (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0),
        (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
    ]

    /// Intensities of the six steps of each axis of the colour cube (indices 16–231).
    static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    static func rgb(ofIndex n: UInt8) -> (Int, Int, Int) {
        switch n {
        case 0..<16:
            let c = ansi[Int(n)]
            return (Int(c.0), Int(c.1), Int(c.2))
        case 16..<232:
            let i = Int(n) - 16
            return (cubeLevels[i / 36], cubeLevels[(i / 6) % 6], cubeLevels[i % 6])
        default:
            let level = 8 + 10 * (Int(n) - 232)
            return (level, level, level)
        }
    }

    /// Nearest entry of the cube or the grey ramp (not 0–15, whose values the user may have changed).
    static func nearest256(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        let (ri, gi, bi) = (nearestLevel(Int(r)), nearestLevel(Int(g)), nearestLevel(Int(b)))
        let cubeIndex = 16 + 36 * ri + 6 * gi + bi
        let cube = (cubeLevels[ri], cubeLevels[gi], cubeLevels[bi])
        let average = (Int(r) + Int(g) + Int(b)) / 3
        let greyStep = min(23, max(0, (average - 3) / 10))
        let greyLevel = 8 + 10 * greyStep
        let target = (Int(r), Int(g), Int(b))
        let cubeDistance = distance(target, cube)
        let greyDistance = distance(target, (greyLevel, greyLevel, greyLevel))
        return UInt8(greyDistance < cubeDistance ? 232 + greyStep : cubeIndex)
    }

    static func nearestANSI(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        nearestANSI(Int(r), Int(g), Int(b))
    }

    static func nearestANSI(_ r: Int, _ g: Int, _ b: Int) -> UInt8 {
        var best = 0
        var bestDistance = Int.max
        for (i, c) in ansi.enumerated() {
            let d = distance((r, g, b), (Int(c.0), Int(c.1), Int(c.2)))
            if d < bestDistance {
                best = i
                bestDistance = d
            }
        }
        return UInt8(best)
    }

    private static func nearestLevel(_ v: Int) -> Int {
        var best = 0
        for (i, level) in cubeLevels.enumerated() where abs(level - v) < abs(cubeLevels[best] - v) {
            best = i
        }
        return best
    }

    private static func distance(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Int {
        let (dr, dg, db) = (a.0 - b.0, a.1 - b.1, a.2 - b.2)
        return dr * dr + dg * dg + db * db
    }
}
