import BreakglassCore
@testable import BreakglassTUI
import Testing

@Suite("Theme and colour depth")
struct ThemeTests {
    @Test(arguments: [
        ([:], 256, ColorPolicy.auto, ColorDepth.c256),
        (["NO_COLOR": "1"], 256, .auto, .mono),
        (["NO_COLOR": "yes"], 16_777_216, .auto, .mono),
        (["NO_COLOR": ""], 256, .auto, .c256),
        ([:], 16_777_216, .auto, .trueColor),
        ([:], 88, .auto, .c16),
        ([:], 16, .auto, .c16),
        ([:], 8, .auto, .c16),
        ([:], 2, .auto, .mono),
        ([:], 0, .auto, .mono),
        ([:], 256, .never, .mono),
        (["NO_COLOR": "1"], 256, .always, .c256),
        (["NO_COLOR": "1"], 0, .always, .mono),
    ] as [([String: String], Int, ColorPolicy, ColorDepth)])
    func detect(_ environment: [String: String], _ colors: Int, _ policy: ColorPolicy, _ expected: ColorDepth) {
        #expect(ColorDepth.detect(environment: environment, terminalColors: colors, policy: policy) == expected)
    }

    @Test(arguments: [
        (ThemeColor.rgb(255, 0, 0), ColorDepth.trueColor, ThemeColor.rgb(255, 0, 0)),
        (.rgb(255, 0, 0), .c256, .indexed(196)),
        (.rgb(255, 0, 0), .c16, .indexed(9)),
        (.rgb(0, 0, 0), .c256, .indexed(16)),
        (.rgb(255, 255, 255), .c256, .indexed(231)),
        (.rgb(128, 128, 128), .c256, .indexed(244)),
        (.rgb(0, 95, 175), .c256, .indexed(25)),
        (.rgb(30, 30, 200), .c16, .indexed(4)),
        (.indexed(196), .c256, .indexed(196)),
        (.indexed(196), .c16, .indexed(9)),
        (.indexed(245), .c16, .indexed(8)),
        (.indexed(250), .c16, .indexed(7)),
        (.indexed(22), .c16, .indexed(0)),
        (.indexed(3), .c16, .indexed(3)),
        (.indexed(3), .mono, .terminalDefault),
        (.rgb(1, 2, 3), .mono, .terminalDefault),
        (.terminalDefault, .c16, .terminalDefault),
    ])
    func degradeColor(_ color: ThemeColor, _ depth: ColorDepth, _ expected: ThemeColor) {
        #expect(color.degraded(to: depth) == expected)
    }

    @Test(arguments: ColorDepth.allCases)
    func degradedThemesUseOnlyColoursTheTerminalHas(_ depth: ColorDepth) {
        let theme = Theme(
            name: "vivid",
            overrides: [.topBar: Style(foreground: .rgb(250, 250, 250), background: .rgb(20, 40, 120))]
        ).degraded(to: depth)
        for role in ThemeRole.allCases {
            #expect(theme[role].foreground.requiredDepth <= depth, "\(role) foreground")
            #expect(theme[role].background.requiredDepth <= depth, "\(role) background")
        }
    }

    @Test(arguments: ColorDepth.allCases)
    func alarmStatesStayDistinguishableAtEveryDepth(_ depth: ColorDepth) {
        let theme = Theme.default.degraded(to: depth)
        let looks = [theme[.stateAlarm], theme[.stateInsufficient], theme[.stateOK], theme[.selection]]
        #expect(Set(looks).count == looks.count)
        #expect(theme[.selection] != theme[.text])
    }

    @Test
    func monochromeUsesAttributesOnly() {
        let theme = Theme.default.degraded(to: .mono)
        #expect(theme[.stateAlarm].attributes == [.bold, .reverse])
        #expect(theme[.stateInsufficient].attributes == .underline)
        #expect(theme[.stateOK].attributes == .dim)
        #expect(theme.name == "default")
        for role in ThemeRole.allCases {
            #expect(theme[role].foreground == .terminalDefault && theme[role].background == .terminalDefault)
        }
    }

    @Test
    func overridesKeepTheBaseForOtherRoles() {
        let error = Style(foreground: .indexed(13), attributes: .underline)
        let theme = Theme(name: "custom", overrides: [.error: error])
        #expect(theme[.error] == error)
        for role in ThemeRole.allCases where role != .error { #expect(theme[role] == Theme.default[role]) }
    }

    @Test
    func builtInThemesAreFoundByName() {
        #expect(Theme.builtInNames == ["default", "high-contrast", "monochrome", "colorblind"])
        for name in Theme.builtInNames { #expect(Theme.builtIn(named: name)?.name == name) }
        #expect(Theme.builtIn(named: "solarized") == nil)
    }

    static let everyThemeAtEveryDepth: [(String, ColorDepth)] = Theme.builtInNames.flatMap { name in ColorDepth.allCases.map { (name, $0) } }

    /// What must never blur: the three alarm states and the selection, against each other and against
    /// plain text, in every shipped theme at every depth (colours step down; mono keeps attributes).
    @Test(arguments: everyThemeAtEveryDepth)
    func statesAndSelectionStayDistinguishable(_ name: String, _ depth: ColorDepth) throws {
        let theme = try #require(Theme.builtIn(named: name)).degraded(to: depth)
        let looks: [(String, Style)] = [
            ("text", theme[.text]), ("state_alarm", theme[.stateAlarm]), ("state_insufficient", theme[.stateInsufficient]),
            ("state_ok", theme[.stateOK]), ("selection", theme[.selection]),
        ]
        for (i, a) in looks.enumerated() {
            for b in looks[(i + 1)...] { #expect(a.1 != b.1, "\(name) at \(depth): \(a.0) looks like \(b.0)") }
        }
        // Error and warning are not drawn as plain text either.
        #expect(theme[.error] != theme[.text] && theme[.warning] != theme[.text], "\(name) at \(depth)")
        for role in ThemeRole.allCases {
            #expect(theme[role].foreground.requiredDepth <= depth && theme[role].background.requiredDepth <= depth, "\(name) \(role) at \(depth)")
        }
    }

    /// A badge with a background keeps a foreground that is not the same colour after degrading (the
    /// word would vanish into the badge).
    @Test(arguments: everyThemeAtEveryDepth)
    func degradedBadgesKeepTheirTextVisible(_ name: String, _ depth: ColorDepth) throws {
        let theme = try #require(Theme.builtIn(named: name)).degraded(to: depth)
        for role in ThemeRole.allCases where theme[role].background != .terminalDefault {
            #expect(theme[role].foreground != theme[role].background, "\(name) \(role) at \(depth)")
        }
    }

    static func isRedOrGreen(_ colour: ThemeColor) -> Bool {
        let rgb: (Int, Int, Int)
        switch colour {
        case .terminalDefault: return false
        case .indexed(let n): rgb = Palette.rgb(ofIndex: n)
        case .rgb(let r, let g, let b): rgb = (Int(r), Int(g), Int(b))
        }
        let (r, g, b) = rgb
        let red = r >= 150 && g < 110 && b < 110
        let green = g >= 150 && r < 110 && b < 150
        return red || green
    }

    /// Red against green is what most colour-blind people cannot tell apart: the colour-blind theme
    /// uses neither at any depth, and its alarm states differ by attributes as well as by colour.
    @Test(arguments: ColorDepth.allCases)
    func theColourBlindThemeUsesNoRedOrGreen(_ depth: ColorDepth) {
        let theme = Theme.colorblind.degraded(to: depth)
        for role in ThemeRole.allCases {
            #expect(!Self.isRedOrGreen(theme[role].foreground) && !Self.isRedOrGreen(theme[role].background), "\(role) at \(depth): \(theme[role])")
        }
        let attributes = [theme[.stateAlarm].attributes, theme[.stateInsufficient].attributes, theme[.stateOK].attributes]
        #expect(Set(attributes.map(\.rawValue)).count == 3)
    }

    @Test
    func theRedOrGreenCheckCatchesRedAndGreen() {
        for colour in [ThemeColor.indexed(1), .indexed(2), .indexed(9), .indexed(10), .indexed(196), .indexed(46), .rgb(213, 94, 0)] {
            #expect(Self.isRedOrGreen(colour), "\(colour)")
        }
        for colour in [ThemeColor.indexed(3), .indexed(4), .indexed(208), .rgb(0xE6, 0x9F, 0), .rgb(0x56, 0xB4, 0xE9), .terminalDefault] {
            #expect(!Self.isRedOrGreen(colour), "\(colour)")
        }
    }

    @Test
    func theMonochromeThemeHasNoColour() {
        for role in ThemeRole.allCases {
            #expect(Theme.monochrome[role].foreground == .terminalDefault && Theme.monochrome[role].background == .terminalDefault)
        }
        #expect(Theme.monochrome.degraded(to: .trueColor) == Theme.monochrome)
    }

    @Test(arguments: [
        ("xterm-256color", false), ("xterm", false), ("tmux-256color", false), ("screen", false), ("screen-256color", false),
        ("linux", false), ("rxvt-unicode-256color", false), ("vte-256color", false), ("alacritty", false), ("", false),
        ("vt100", true), ("vt102", true), ("vt220", true), ("vt220-8bit", true), ("vt100-am", true), ("vt52", true), ("VT100", true),
        ("vt320", true), ("vt420", true), ("ansi", true), ("ansi.sys", true), ("pcansi", true), ("cons25", true), ("sun", true),
        ("dumb", true),
    ])
    func lineDrawingForTerminal(_ term: String, _ ascii: Bool) {
        #expect(LineGlyphs.forTerminal(term) == (ascii ? .ascii : .unicode), "TERM=\(term)")
    }

    @Test
    func asciiGlyphsAreASCII() {
        let g = LineGlyphs.ascii
        let all = [g.horizontal, g.vertical, g.topLeft, g.topRight, g.bottomLeft, g.bottomRight, g.full] + g.levels
        #expect(all.allSatisfy { $0.isASCII })
    }
}
