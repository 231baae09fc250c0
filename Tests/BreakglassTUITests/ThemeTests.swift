import BreakglassCore
import BreakglassTUI
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
        #expect(theme[.stateOK].attributes == [])
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
        for name in Theme.builtInNames { #expect(Theme.builtIn(named: name)?.name == name) }
        #expect(Theme.builtIn(named: "solarized") == nil)
    }
}
