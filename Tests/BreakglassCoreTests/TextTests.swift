import BreakglassCore
import Testing

@Suite("TerminalText")
struct TextTests {
    static let sanitizeCases: [(String, String, String)] = [
        ("plain ASCII is untouched", "prod-db-writer-health", "prod-db-writer-health"),
        ("CSI clear screen loses its ESC", "\u{1B}[2Jboom", "[2Jboom"),
        ("SGR colour loses its ESC", "\u{1B}[31mred\u{1B}[0m", "[31mred[0m"),
        ("OSC title with BEL", "\u{1B}]0;pwned\u{07}title", "]0;pwnedtitle"),
        ("OSC 8 hyperlink with ST", "\u{1B}]8;;http://evil\u{1B}\\click\u{1B}]8;;\u{1B}\\", "]8;;http://evil\\click]8;;\\"),
        ("8-bit CSI (C1)", "a\u{9B}31mb", "a31mb"),
        ("8-bit OSC and ST (C1)", "a\u{9D}0;x\u{9C}b", "a0;xb"),
        ("NEL is a line break", "a\u{85}b", "a b"),
        ("right-to-left override", "\u{202E}gnp.exe", "gnp.exe"),
        ("isolates", "a\u{2066}b\u{2067}c\u{2068}d\u{2069}e", "abcde"),
        ("marks and embeddings", "\u{200E}\u{200F}\u{061C}\u{202A}\u{202B}\u{202C}\u{202D}x", "x"),
        ("CR LF and tab become one space each run", "line1\r\nline2\tend", "line1 line2 end"),
        ("runs of breaks collapse", "a\n\n\n\tb", "a b"),
        ("line and paragraph separators", "a\u{2028}b\u{2029}c", "a b c"),
        ("NUL, BEL, backspace, DEL", "a\u{0}\u{7}\u{8}\u{7F}b", "ab"),
        ("zero-width space, BOM, soft hyphen", "a\u{200B}b\u{FEFF}c\u{AD}d", "abcd"),
        ("noncharacters", "a\u{FFFE}\u{FFFF}b", "ab"),
        ("replacement character stays", "bad \u{FFFD} byte", "bad \u{FFFD} byte"),
        ("CJK, emoji, accents stay", "東京 🔥 café", "東京 🔥 café"),
        ("ZWJ emoji sequence stays", "👩‍👩‍👧", "👩‍👩‍👧"),
        ("combining mark stays", "e\u{301}", "e\u{301}"),
        ("private use stays", "\u{E0A0} main", "\u{E0A0} main"),
    ]

    @Test(arguments: sanitizeCases)
    func sanitize(_ testCase: (String, String, String)) {
        let (_, input, expected) = testCase
        #expect(TerminalText.sanitize(input) == expected)
    }

    @Test(arguments: sanitizeCases.map(\.1))
    func sanitizedTextIsInertAndStable(_ input: String) {
        let output = TerminalText.sanitize(input)
        for scalar in output.unicodeScalars {
            let v = scalar.value
            #expect(!(v < 0x20 || (0x7F...0x9F).contains(v)), "control U+\(String(v, radix: 16)) survived")
            #expect(![0x061C, 0x200E, 0x200F].contains(v) && !(0x202A...0x202E).contains(v) && !(0x2066...0x2069).contains(v))
        }
        #expect(TerminalText.sanitize(output) == output)
    }

    @Test
    func invalidUTF8DecodesToReplacementCharacter() {
        let decoded = String(decoding: [0x61, 0xFF, 0x1B, 0x5B, 0x32, 0x4A, 0x62] as [UInt8], as: UTF8.self)
        #expect(TerminalText.sanitize(decoded) == "a\u{FFFD}[2Jb")
    }

    @Test(arguments: [
        (Unicode.Scalar("a"), 1), ("é", 1), ("\u{301}", 0), ("\u{20DD}", 0), ("漢", 2), ("あ", 2), ("Ａ", 2),
        ("\u{3000}", 2), ("🔥", 2), ("\u{1F1FA}", 2), ("\u{200B}", 0), ("\u{200D}", 0), ("\u{1B}", 0),
        ("\u{7F}", 0), ("\u{85}", 0), ("\u{2764}", 1), ("\u{1160}", 0), ("\u{20000}", 2), ("\u{AC00}", 2),
        ("\u{FE0F}", 0), ("…", 1), ("·", 1),
    ] as [(Unicode.Scalar, Int)])
    func scalarWidth(_ scalar: Unicode.Scalar, _ expected: Int) {
        #expect(TerminalText.width(of: scalar) == expected)
    }

    @Test(arguments: [
        ("", 0), ("hello", 5), ("漢字", 4), ("a漢b", 4), ("e\u{301}", 1), ("👩‍👩‍👧", 2), ("🇺🇸", 2),
        ("a\u{1B}b", 2), ("Ａ１", 4), ("\u{1100}\u{1161}\u{11A8}", 2), ("x\u{200D}", 1),
    ])
    func stringWidth(_ s: String, _ expected: Int) {
        #expect(TerminalText.width(s) == expected)
    }

    @Test(arguments: [
        ("hello", 10, "…", "hello"),
        ("hello", 5, "…", "hello"),
        ("hello world", 5, "…", "hell…"),
        ("abc", 0, "…", ""),
        ("abc", 1, "…", "…"),
        ("ab漢", 4, "…", "ab漢"),
        ("漢字テスト", 5, "…", "漢字…"),
        ("漢字テスト", 4, "…", "漢…"),
        ("a漢字", 3, "…", "a…"),
        ("漢字", 1, "…", "…"),
        ("e\u{301}e\u{301}e\u{301}", 2, "…", "e\u{301}…"),
        ("abcdef", 4, "...", "a..."),
        ("abcdef", 2, "...", "ab"),
        ("漢字", 3, "", "漢"),
    ])
    func truncate(_ s: String, _ width: Int, _ ellipsis: String, _ expected: String) {
        let result = TerminalText.truncate(s, toWidth: width, ellipsis: ellipsis)
        #expect(result == expected)
        #expect(TerminalText.width(result) <= max(0, width))
    }

    @Test(arguments: [
        ("ab", 4, TerminalText.Alignment.leading, "ab  "),
        ("7s", 4, .trailing, "  7s"),
        ("漢字テ", 5, .leading, "漢字…"),
        ("漢字テ", 4, .leading, "漢… "),
        ("漢字", 3, .trailing, "漢…"),
        ("漢字", 2, .trailing, " …"),
        ("abc", 0, .leading, ""),
    ])
    func pad(_ s: String, _ width: Int, _ alignment: TerminalText.Alignment, _ expected: String) {
        let result = TerminalText.pad(s, toWidth: width, alignment: alignment)
        #expect(result == expected)
        #expect(TerminalText.width(result) == width)
    }

    @Test(arguments: [
        ("the quick brown fox", 10, Int.max, ["the quick", "brown fox"]),
        ("abcdefghij", 4, Int.max, ["abcd", "efgh", "ij"]),
        ("one two three four", 8, 2, ["one two", "three f…"]),
        ("漢字漢字漢", 4, Int.max, ["漢字", "漢字", "漢"]),
        ("漢字漢字漢", 3, Int.max, ["漢", "字", "漢", "字", "漢"]),
        ("  spaced   out  ", 20, Int.max, ["spaced out"]),
        ("", 10, Int.max, []),
        ("word", 0, Int.max, []),
        ("abcdefghij", 4, 2, ["abcd", "efg…"]),
    ])
    func wrap(_ s: String, _ width: Int, _ maxLines: Int, _ expected: [String]) {
        let lines = TerminalText.wrap(s, toWidth: width, maxLines: maxLines)
        #expect(lines == expected)
        #expect(lines.allSatisfy { TerminalText.width($0) <= width })
    }
}
