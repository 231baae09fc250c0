import BreakglassCore
import BreakglassTUI
import Foundation
import Testing

/// A theme file with every role plain, then `lines` spliced in under `roles:` (or replacing it).
private func themeText(setting overrides: [String: String] = [:], leaving missing: Set<String> = [], extra: String = "") -> String {
    var text = "description: test\nroles:\n"
    for role in ThemeRole.allCases where !missing.contains(role.rawValue) {
        text += "  \(role.rawValue): \(overrides[role.rawValue] ?? "{ fg: default, bg: default, attrs: [] }")\n"
    }
    return text + extra
}

@Suite("Theme files")
struct ThemeLoaderTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static var shippedFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: repositoryRoot + "/themes")) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    @Test
    func everyBuiltInThemeShipsAsAFileAndEveryFileIsBuiltIn() {
        #expect(Self.shippedFiles == Theme.builtInNames.map { $0 + ".yaml" }.sorted())
    }

    /// The files are what people read and copy; the compiled-in themes are what runs from any folder.
    /// They cannot drift apart.
    @Test(arguments: Theme.builtInNames)
    func eachShippedFileLoadsToExactlyTheBuiltInTheme(_ name: String) throws {
        let theme = try ThemeLoader.load(path: Self.repositoryRoot + "/themes/\(name).yaml", displayPath: "themes/\(name).yaml")
        let builtIn = try #require(Theme.builtIn(named: name))
        #expect(theme.name == name)
        for role in ThemeRole.allCases { #expect(theme[role] == builtIn[role], "\(name): \(role.rawValue)") }
        #expect(theme == builtIn)
    }

    @Test
    func colourFormsAndAttributes() throws {
        let theme = try ThemeLoader.parse(themeText(setting: [
            "text": "{ fg: \"#E69F00\", bg: 236 }",
            "muted": "{ fg: bright-black, attrs: dim }",
            "header": "{ fg: Bright_Red, bg: default, attrs: [bold, underline, reverse] }",
            "error": "{}",
            "warning": "{ fg: 0, bg: 255 }",
        ]), name: "t", file: "t.yaml")
        #expect(theme.name == "t")
        #expect(theme[.text] == Style(foreground: .rgb(0xE6, 0x9F, 0x00), background: .indexed(236)))
        #expect(theme[.muted] == Style(foreground: .indexed(8), attributes: .dim))
        #expect(theme[.header] == Style(foreground: .indexed(9), attributes: [.bold, .underline, .reverse]))
        #expect(theme[.error] == .plain)
        #expect(theme[.warning] == Style(foreground: .indexed(0), background: .indexed(255)))
    }

    @Test(arguments: [
        ("default", ThemeColor.terminalDefault), ("black", .indexed(0)), ("white", .indexed(7)), ("bright-white", .indexed(15)),
        ("BLUE", .indexed(4)), ("bright_cyan", .indexed(14)), ("0", .indexed(0)), ("255", .indexed(255)), ("#000000", .rgb(0, 0, 0)),
        ("#0072b2", .rgb(0, 0x72, 0xB2)),
    ])
    func colourText(_ text: String, _ colour: ThemeColor) {
        #expect(ThemeColor(themeText: text) == colour)
    }

    @Test(arguments: ["", "256", "-1", "+5", "1000", "#fff", "#gggggg", "#0072b2ff", "orange", "bright", "0x10", "0072b2"])
    func notColours(_ text: String) {
        #expect(ThemeColor(themeText: text) == nil)
    }

    @Test(arguments: [ThemeColor.terminalDefault, .indexed(3), .indexed(12), .indexed(200), .rgb(1, 2, 3), .rgb(0xE6, 0x9F, 0)])
    func colourTextRoundTrips(_ colour: ThemeColor) {
        #expect(ThemeColor(themeText: colour.themeText) == colour)
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        let expected: [String]
        var testDescription: String { name }
    }

    static let line = ThemeRole.allCases.firstIndex(of: .stateAlarm).map { $0 + 3 } ?? 0

    @Test(arguments: [
        Case(name: "a bad colour names file, line, column and field",
            text: themeText(setting: ["state_alarm": "{ fg: crimson, bg: default }"]),
            expected: ["themes/x.yaml:\(line):22: roles.state_alarm.fg: expected a colour: \"#rrggbb\", a palette number from 0 to 255, an ANSI name such as red or bright-red, or default, found \"crimson\""]),
        Case(name: "a colour out of range",
            text: themeText(setting: ["state_alarm": "{ bg: 300 }"]),
            expected: ["themes/x.yaml:\(line):22: roles.state_alarm.bg: expected a colour: \"#rrggbb\", a palette number from 0 to 255, an ANSI name such as red or bright-red, or default, found 300"]),
        Case(name: "an unquoted # colour is a YAML comment, and the error says so",
            text: themeText(setting: ["state_alarm": "\n    fg: #ff0000\n    bg: default"]),
            expected: ["themes/x.yaml:\(line + 1):8: roles.state_alarm.fg: expected a colour: \"#rrggbb\", a palette number from 0 to 255, an ANSI name such as red or bright-red, or default, found nothing; quote a colour that starts with #, as in \"#e69f00\": unquoted, YAML reads it as a comment"]),
        Case(name: "a misspelt colour name gets a suggestion",
            text: themeText(setting: ["state_alarm": "{ fg: magneta }"]),
            expected: ["themes/x.yaml:\(line):22: roles.state_alarm.fg: expected a colour: \"#rrggbb\", a palette number from 0 to 255, an ANSI name such as red or bright-red, or default, found \"magneta\"; did you mean `magenta`?"]),
        Case(name: "an unknown attribute",
            text: themeText(setting: ["state_alarm": "{ attrs: [bold, blink] }"]),
            expected: ["themes/x.yaml:\(line):32: roles.state_alarm.attrs[1]: expected one of bold, reverse, underline, dim, found \"blink\""]),
        Case(name: "an unknown style key",
            text: themeText(setting: ["state_alarm": "{ fg: red, italic: true }"]),
            expected: ["themes/x.yaml:\(line):27: roles.state_alarm: unknown key `italic`; expected one of: fg, bg, attrs"]),
        Case(name: "a style that is not a mapping",
            text: themeText(setting: ["state_alarm": "red"]),
            expected: ["themes/x.yaml:\(line):16: roles.state_alarm: expected a style such as { fg: red, bg: default, attrs: [bold] }, found \"red\""]),
        Case(name: "a missing role names the file",
            text: themeText(leaving: ["state_alarm"]),
            expected: ["themes/x.yaml:3:3: roles: missing the role `state_alarm`; a theme sets all 16 roles (text, muted, header, top_bar, footer, footer_key, selection, accent, state_alarm, state_insufficient, state_ok, error, warning, tabs, tab_active, access_badge)"]),
        Case(name: "a misspelt role is reported once, as a misspelling",
            text: themeText(leaving: ["state_alarm"], extra: "  state_alrm: {}\n"),
            expected: ["themes/x.yaml:\(ThemeRole.allCases.count + 2):3: roles: unknown key `state_alrm`; did you mean `state_alarm`?"]),
        Case(name: "an unknown top-level key",
            text: themeText(extra: "name: x\n"),
            expected: ["themes/x.yaml:\(ThemeRole.allCases.count + 3):1: unknown key `name`; expected one of: description, roles"]),
        Case(name: "no roles at all",
            text: "description: nothing\n",
            expected: ["themes/x.yaml:1:1: missing required key `roles`"]),
        Case(name: "every problem at once, in file order",
            text: themeText(setting: ["text": "{ fg: nope }", "tabs": "{ attrs: [shiny] }"]),
            expected: [
                "themes/x.yaml:3:15: roles.text.fg: expected a colour: \"#rrggbb\", a palette number from 0 to 255, an ANSI name such as red or bright-red, or default, found \"nope\"",
                "themes/x.yaml:16:19: roles.tabs.attrs[0]: expected one of bold, reverse, underline, dim, found \"shiny\"",
            ]),
    ])
    func errors(_ c: Case) {
        #expect(throws: SourceErrors.self) { try ThemeLoader.parse(c.text, name: "x", file: "themes/x.yaml") }
        do {
            _ = try ThemeLoader.parse(c.text, name: "x", file: "themes/x.yaml")
        } catch {
            #expect(error.errors.map(\.description) == c.expected)
        }
    }

    @Test
    func anEmptyFileIsAnError() {
        do {
            _ = try ThemeLoader.parse("# nothing\n", name: "x", file: "themes/x.yaml")
            Issue.record("an empty theme loaded")
        } catch {
            #expect(error.description == "themes/x.yaml: the theme file is empty; a theme sets every role under `roles:` (see docs/THEMES.md)")
        }
    }

    /// docs/schemas/theme.schema.json, which editors check theme files with, says what the loader says.
    @Test
    func theSchemaAgreesWithTheLoader() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.repositoryRoot + "/docs/schemas/theme.schema.json"))
        let schema = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let properties = try #require(schema["properties"] as? [String: Any])
        #expect(Set(properties.keys) == Set(ThemeLoader.topLevelKeys))
        let roles = try #require(properties["roles"] as? [String: Any])
        #expect(Set(try #require(roles["properties"] as? [String: Any]).keys) == Set(ThemeRole.allCases.map(\.rawValue)))
        #expect(Set(try #require(roles["required"] as? [String])) == Set(ThemeRole.allCases.map(\.rawValue)))
        let defs = try #require(schema["$defs"] as? [String: Any])
        let style = try #require(defs["style"] as? [String: Any])
        #expect(Set(try #require(style["properties"] as? [String: Any]).keys) == Set(ThemeLoader.styleKeys))
        let attribute = try #require(defs["attribute"] as? [String: Any])
        #expect(try #require(attribute["enum"] as? [String]) == ThemeLoader.attributeNames.map(\.name))
        let colour = try #require(defs["color"] as? [String: Any])
        let names = try #require((colour["oneOf"] as? [[String: Any]])?.first?["enum"] as? [String])
        #expect(names == ["default"] + ThemeColor.ansiNames)
    }

    @Test
    func theNameIsTheFileName() {
        #expect(ThemeLoader.themeName(ofFile: "/a/themes/high-contrast.yaml") == "high-contrast")
        #expect(ThemeLoader.themeName(ofFile: "night.yml") == "night")
    }
}

/// A scratch folder tree for theme lookup, removed afterwards.
final class ThemeFolders {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("bg-themes-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// Writes a complete theme whose `text` role has foreground `marker`, so tests can tell files apart.
    func write(_ relative: String, marker: UInt8 = 1) throws {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try themeText(setting: ["text": "{ fg: \(marker) }"]).write(toFile: path, atomically: true, encoding: .utf8)
    }

    func write(_ relative: String, text: String) throws {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}

@Suite("Theme lookup")
struct ThemeLookupTests {
    func lookup(_ f: ThemeFolders, config: String? = "etc/breakglass.yaml") -> ThemeLookup {
        ThemeLookup(
            currentDirectory: f.root + "/work", configFile: config.map { f.root + "/" + $0 },
            environment: ["HOME": f.root + "/home", "XDG_CONFIG_HOME": f.root + "/xdg"])
    }

    func marker(_ theme: Theme) -> ThemeColor { theme[.text].foreground }

    @Test
    func foldersInOrder() throws {
        let f = try ThemeFolders()
        #expect(lookup(f).folders == [f.root + "/work/themes", f.root + "/etc/themes", f.root + "/xdg/breakglass/themes"])
        let noXDG = ThemeLookup(currentDirectory: f.root + "/work", configFile: nil, environment: ["HOME": f.root + "/home", "XDG_CONFIG_HOME": "relative"])
        #expect(noXDG.folders == [f.root + "/work/themes", f.root + "/home/.config/breakglass/themes"])
        // The config in the current folder: its themes/ is ./themes, searched once.
        #expect(lookup(f, config: "work/breakglass.yaml").folders == [f.root + "/work/themes", f.root + "/xdg/breakglass/themes"])
    }

    @Test
    func theFirstFolderWithTheFileWinsThenTheBuiltIn() throws {
        let f = try ThemeFolders()
        let at = SourceLocation.file("--theme")
        #expect(try lookup(f).theme("high-contrast", location: at) == Theme.highContrast)
        try f.write("xdg/breakglass/themes/night.yaml", marker: 3)
        #expect(marker(try lookup(f).theme("night", location: at)) == .indexed(3))
        try f.write("etc/themes/night.yaml", marker: 2)
        #expect(marker(try lookup(f).theme("night", location: at)) == .indexed(2))
        try f.write("work/themes/night.yml", marker: 1)
        #expect(marker(try lookup(f).theme("night", location: at)) == .indexed(1))
        // A file overrides the built-in theme of its name.
        try f.write("etc/themes/default.yaml", marker: 4)
        let theme = try lookup(f).theme("default", location: at)
        #expect(marker(theme) == .indexed(4) && theme.name == "default")
    }

    @Test
    func aPathIsReadAsAFileRelativeToItsBase() throws {
        let f = try ThemeFolders()
        try f.write("work/mine.yaml", marker: 5)
        try f.write("etc/looks/team.yaml", marker: 6)
        let at = SourceLocation.file("--theme")
        #expect(marker(try lookup(f).theme("mine.yaml", location: at)) == .indexed(5))
        #expect(marker(try lookup(f).theme("./mine.yaml", location: at)) == .indexed(5))
        #expect(marker(try lookup(f).theme("looks/team.yaml", base: f.root + "/etc", location: at)) == .indexed(6))
        #expect(marker(try lookup(f).theme(f.root + "/etc/looks/team.yaml", location: at)) == .indexed(6))
        do {
            _ = try lookup(f).theme("nothing.yaml", location: at)
            Issue.record("a missing file loaded")
        } catch {
            #expect(error.description.hasPrefix("--theme: no theme file at nothing.yaml (\(f.root)/work/nothing.yaml); give a theme file's path, or a theme's name: colorblind, default"))
        }
    }

    @Test
    func anUnknownNameListsTheThemesFoundWhereItWasWritten() throws {
        let f = try ThemeFolders()
        try f.write("work/themes/solarized.yaml")
        try f.write("xdg/breakglass/themes/night.yml")
        let at = SourceLocation(file: "breakglass.yaml", line: 3, column: 12)
        do {
            _ = try lookup(f).theme("solarised", location: at, field: FieldPath([.key("console"), .key("theme")]))
            Issue.record("an unknown theme loaded")
        } catch {
            #expect(error.description == "breakglass.yaml:3:12: console.theme: no theme named `solarised`; did you mean `solarized`?; the themes are colorblind, default, high-contrast, monochrome, night, solarized (built in, or NAME.yaml in themes, \(f.root)/etc/themes, \(f.root)/xdg/breakglass/themes)")
        }
    }

    @Test
    func aBrokenThemeFileIsReportedWithItsPath() throws {
        let f = try ThemeFolders()
        try f.write("work/themes/broken.yaml", text: themeText(setting: ["accent": "{ fg: 999 }"]))
        do {
            _ = try lookup(f).theme("broken", location: .file("--theme"))
            Issue.record("a broken theme loaded")
        } catch {
            #expect(error.errors.map(\.description) == [
                "themes/broken.yaml:10:17: roles.accent.fg: expected a colour: \"#rrggbb\", a palette number from 0 to 255, an ANSI name such as red or bright-red, or default, found 999",
            ])
        }
    }

    @Test
    func pathsAreShownRelativeOrUnderHome() throws {
        let f = try ThemeFolders()
        let l = lookup(f)
        #expect(l.display(f.root + "/work/themes/a.yaml") == "themes/a.yaml")
        #expect(l.display(f.root + "/home/.config/breakglass/themes/a.yaml") == "~/.config/breakglass/themes/a.yaml")
        #expect(l.display("/elsewhere/a.yaml") == "/elsewhere/a.yaml")
    }
}
