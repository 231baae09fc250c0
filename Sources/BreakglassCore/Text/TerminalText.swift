/// Text that is about to reach a terminal: making untrusted text inert, and measuring and cutting it in
/// terminal columns rather than in characters.
///
/// Everything Breakglass shows that it did not write itself (alarm names, AWS messages, runbook text,
/// identities) goes through `sanitize` first; the measuring functions assume sanitized input.
///
/// Text that arrives as bytes must be decoded with `String(decoding: bytes, as: UTF8.self)`, which turns
/// invalid UTF-8 into U+FFFD. `sanitize` works on `String`, which is always valid Unicode, so it relies
/// on that step having happened.
///
/// Widths follow the common terminal convention (wcwidth): 0 for combining marks and other zero-width
/// scalars, 2 for East Asian Wide/Fullwidth and emoji-presentation scalars, 1 otherwise. A grapheme
/// cluster takes the width of its first scalar of non-zero width, capped at 2, so an emoji ZWJ sequence
/// or a letter with accents counts once.
public enum TerminalText {
    // MARK: Sanitizing

    /// Returns `s` with everything a terminal could act on removed, so that the result is plain text:
    /// - C0 controls (including ESC, so no escape sequence can start), DEL and C1 controls (including
    ///   the single-byte CSI U+009B) are dropped; what followed an ESC stays as visible, inert text.
    /// - Tab, newline, vertical tab, form feed, CR, NEL and the line/paragraph separators become a
    ///   space; a run of them (such as CR LF) becomes one space, so the text stays on one line.
    /// - Bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) are dropped,
    ///   so text cannot reorder what is drawn after it.
    /// - Other format characters (soft hyphen, zero-width space, BOM, tag characters) and unassigned
    ///   code points and noncharacters are dropped: terminals disagree on their width. ZWJ and ZWNJ stay,
    ///   because emoji sequences and some scripts need them and they cannot move the cursor.
    /// Printable text in any script, CJK, emoji, private-use characters and U+FFFD are kept.
    public static func sanitize(_ s: String) -> String {
        if isPrintableASCII(s) { return s }
        var out = String.UnicodeScalarView()
        var inBreakRun = false
        for scalar in s.unicodeScalars {
            switch disposition(of: scalar) {
            case .keep:
                out.append(scalar)
                inBreakRun = false
            case .space:
                if !inBreakRun { out.append(" ") }
                inBreakRun = true
            case .drop:
                continue
            }
        }
        return String(out)
    }

    private enum Disposition { case keep, space, drop }

    private static func disposition(of scalar: Unicode.Scalar) -> Disposition {
        let v = scalar.value
        switch v {
        case 0x09...0x0D, 0x85, 0x2028, 0x2029: return .space
        case 0x00...0x1F, 0x7F...0x9F: return .drop
        case 0x20...0x7E: return .keep
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return .drop
        case 0x200C, 0x200D: return .keep
        default: break
        }
        switch scalar.properties.generalCategory {
        case .format, .unassigned, .surrogate, .control: return .drop
        default: return .keep
        }
    }

    private static func isPrintableASCII(_ s: String) -> Bool {
        s.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    // MARK: Measuring

    /// Columns a terminal gives `scalar` on its own. Controls count 0: they must not reach a terminal,
    /// and counting them as nothing keeps a grid from reserving a cell for one.
    public static func width(of scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v < 0x7F { return v >= 0x20 ? 1 : 0 }
        if v < 0xA0 { return 0 }
        if v < 0x300 { return v == 0xAD ? 0 : 1 }
        switch v {
        case 0x1160...0x11FF, 0xD7B0...0xD7FF: return 0  // Hangul medial and final jamo join the initial.
        case 0x200B: return 0
        default: break
        }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format, .control, .lineSeparator, .paragraphSeparator:
            return 0
        default: break
        }
        if isEastAsianWide(v) || scalar.properties.isEmojiPresentation { return 2 }
        return 1
    }

    /// Columns a terminal gives one grapheme cluster: the width of its first non-zero-width scalar,
    /// capped at 2; 0 when the cluster has no visible scalar (a lone combining mark, a control).
    public static func width(of character: Character) -> Int {
        if let ascii = character.asciiValue {
            return ascii >= 0x20 && ascii < 0x7F ? 1 : 0
        }
        for scalar in character.unicodeScalars {
            let w = width(of: scalar)
            if w > 0 { return min(w, 2) }
        }
        return 0
    }

    /// Columns `s` takes on a terminal, summed over its grapheme clusters.
    public static func width(_ s: String) -> Int {
        if isPrintableASCII(s) { return s.utf8.count }
        var total = 0
        for character in s { total += width(of: character) }
        return total
    }

    // MARK: Cutting

    /// `s` cut to at most `toWidth` columns, with `ellipsis` at the end when anything was cut. Cuts only
    /// between grapheme clusters, so a wide character that does not fit is left out whole and the
    /// result may be one column narrower than asked. When `ellipsis` is wider than `toWidth`, the text
    /// is cut without it.
    public static func truncate(_ s: String, toWidth limit: Int, ellipsis: String = "…") -> String {
        guard limit > 0 else { return "" }
        let ellipsisWidth = width(ellipsis)
        let useEllipsis = ellipsisWidth <= limit
        let room = useEllipsis ? limit - ellipsisWidth : limit
        var used = 0
        var cut = s.startIndex
        var i = s.startIndex
        while i < s.endIndex {
            used += width(of: s[i])
            if used > limit {
                let kept = String(s[..<cut])
                return useEllipsis ? kept + ellipsis : kept
            }
            i = s.index(after: i)
            if used <= room { cut = i }
        }
        return s
    }

    /// Which side of a padded column the text sits on.
    public enum Alignment: Sendable {
        case leading, trailing
    }

    /// `s` made exactly `toWidth` columns wide: truncated (with `ellipsis`) when too wide, then filled
    /// with spaces. The fill also covers the column left over when a wide character did not fit.
    public static func pad(
        _ s: String, toWidth limit: Int, alignment: Alignment = .leading, ellipsis: String = "…"
    ) -> String {
        guard limit > 0 else { return "" }
        let fitted = truncate(s, toWidth: limit, ellipsis: ellipsis)
        let fill = String(repeating: " ", count: max(0, limit - width(fitted)))
        switch alignment {
        case .leading: return fitted + fill
        case .trailing: return fill + fitted
        }
    }

    /// `s` broken into lines of at most `toWidth` columns, at spaces where possible and between grapheme
    /// clusters inside words longer than a line. When the text needs more than `maxLines` lines, the
    /// last line ends with `ellipsis`.
    public static func wrap(
        _ s: String, toWidth limit: Int, maxLines: Int = .max, ellipsis: String = "…"
    ) -> [String] {
        guard limit > 0, maxLines > 0 else { return [] }
        var lines: [String] = []
        var line = ""
        var lineWidth = 0
        var words = s.split(separator: " ", omittingEmptySubsequences: true).makeIterator()
        var pending: Substring? = words.next()
        while var word = pending {
            let wordWidth = width(String(word))
            if lineWidth > 0 && lineWidth + 1 + wordWidth <= limit {
                line += " " + word
                lineWidth += 1 + wordWidth
                pending = words.next()
                continue
            }
            if lineWidth == 0 && wordWidth <= limit {
                line = String(word)
                lineWidth = wordWidth
                pending = words.next()
                continue
            }
            if lineWidth > 0 {
                if lines.count + 1 == maxLines {
                    lines.append(truncate(line + " " + word, toWidth: limit, ellipsis: ellipsis))
                    return lines
                }
                lines.append(line)
                line = ""
                lineWidth = 0
                continue
            }
            // A word wider than a whole line: break it between clusters.
            let (head, rest) = split(word, atWidth: limit)
            if lines.count + 1 == maxLines {
                lines.append(truncate(String(word), toWidth: limit, ellipsis: ellipsis))
                return lines
            }
            lines.append(String(head))
            word = rest
            pending = word.isEmpty ? words.next() : word
        }
        if lineWidth > 0 { lines.append(line) }
        return lines
    }

    /// The longest prefix of `s` at most `limit` columns wide (at least one cluster, so a caller looping
    /// on the rest always advances) and what follows it.
    private static func split(_ s: Substring, atWidth limit: Int) -> (Substring, Substring) {
        var used = 0
        var i = s.startIndex
        while i < s.endIndex {
            let w = width(of: s[i])
            if used + w > limit && i > s.startIndex { break }
            used += w
            i = s.index(after: i)
        }
        return (s[..<i], s[i...])
    }

    // MARK: East Asian Width

    /// Scalars with East Asian Width W or F (Unicode 14, assigned code points) plus the CJK blocks and
    /// planes that are wide by default, as sorted, disjoint, closed ranges.
    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0...0x23F0,
        0x23F3...0x23F3, 0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F...0x267F,
        0x2693...0x2693, 0x26A1...0x26A1, 0x26AA...0x26AB, 0x26BD...0x26BE, 0x26C4...0x26C5,
        0x26CE...0x26CE, 0x26D4...0x26D4, 0x26EA...0x26EA, 0x26F2...0x26F3, 0x26F5...0x26F5,
        0x26FA...0x26FA, 0x26FD...0x26FD, 0x2705...0x2705, 0x270A...0x270B, 0x2728...0x2728,
        0x274C...0x274C, 0x274E...0x274E, 0x2753...0x2755, 0x2757...0x2757, 0x2795...0x2797,
        0x27B0...0x27B0, 0x27BF...0x27BF, 0x2B1B...0x2B1C, 0x2B50...0x2B50, 0x2B55...0x2B55,
        0x2E80...0x2E99, 0x2E9B...0x2EF3, 0x2F00...0x2FD5, 0x2FF0...0x2FFF, 0x3000...0x303E,
        0x3041...0x3096, 0x3099...0x30FF, 0x3105...0x312F, 0x3131...0x318E, 0x3190...0x31E3,
        0x31EF...0x321E, 0x3220...0x3247, 0x3250...0x4DBF, 0x4E00...0xA48C, 0xA490...0xA4C6,
        0xA960...0xA97C, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE52,
        0xFE54...0xFE66, 0xFE68...0xFE6B, 0xFF01...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x16FE4,
        0x16FF0...0x16FF1, 0x17000...0x187F7, 0x18800...0x18CD5, 0x18D00...0x18D08, 0x1AFF0...0x1AFF3,
        0x1AFF5...0x1AFFB, 0x1AFFD...0x1AFFE, 0x1B000...0x1B122, 0x1B132...0x1B132, 0x1B150...0x1B152,
        0x1B155...0x1B155, 0x1B164...0x1B167, 0x1B170...0x1B2FB, 0x1F004...0x1F004, 0x1F0CF...0x1F0CF,
        0x1F18E...0x1F18E, 0x1F191...0x1F19A, 0x1F200...0x1F202, 0x1F210...0x1F23B, 0x1F240...0x1F248,
        0x1F250...0x1F251, 0x1F260...0x1F265, 0x1F300...0x1F320, 0x1F32D...0x1F335, 0x1F337...0x1F37C,
        0x1F37E...0x1F393, 0x1F3A0...0x1F3CA, 0x1F3CF...0x1F3D3, 0x1F3E0...0x1F3F0, 0x1F3F4...0x1F3F4,
        0x1F3F8...0x1F43E, 0x1F440...0x1F440, 0x1F442...0x1F4FC, 0x1F4FF...0x1F53D, 0x1F54B...0x1F54E,
        0x1F550...0x1F567, 0x1F57A...0x1F57A, 0x1F595...0x1F596, 0x1F5A4...0x1F5A4, 0x1F5FB...0x1F64F,
        0x1F680...0x1F6C5, 0x1F6CC...0x1F6CC, 0x1F6D0...0x1F6D2, 0x1F6D5...0x1F6D7, 0x1F6DC...0x1F6DF,
        0x1F6EB...0x1F6EC, 0x1F6F4...0x1F6FC, 0x1F7E0...0x1F7EB, 0x1F7F0...0x1F7F0, 0x1F90C...0x1F93A,
        0x1F93C...0x1F945, 0x1F947...0x1F9FF, 0x1FA70...0x1FA7C, 0x1FA80...0x1FA89, 0x1FA8F...0x1FAC6,
        0x1FACE...0x1FADC, 0x1FADF...0x1FAE9, 0x1FAF0...0x1FAF8, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
    ]

    private static func isEastAsianWide(_ v: UInt32) -> Bool {
        guard v >= 0x1100 else { return false }
        var low = 0
        var high = wideRanges.count - 1
        while low <= high {
            let mid = (low + high) / 2
            let range = wideRanges[mid]
            if v < range.lowerBound {
                high = mid - 1
            } else if v > range.upperBound {
                low = mid + 1
            } else {
                return true
            }
        }
        return false
    }
}
