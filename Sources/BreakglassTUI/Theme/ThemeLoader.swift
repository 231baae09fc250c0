import BreakglassCore
import Foundation

/// Reads a theme file (`themes/*.yaml`, docs/THEMES.md) into a `Theme`, or throws every problem it
/// finds, each naming the file, line, column and field (`themes/x.yaml:4:9: roles.state_alarm.fg:
/// expected a colour …`). A theme sets every role: one that is missing is an error, and so is any key
/// the format does not have. The theme's name is the file's name without `.yaml`.
///
///     description: Dark text on bright badges.     # optional, for people
///     roles:
///       state_alarm: { fg: bright-white, bg: red, attrs: [bold] }
///       ...                                        # every ThemeRole, by its raw value
public enum ThemeLoader {
    public static let topLevelKeys = ["description", "roles"]
    public static let styleKeys = ["fg", "bg", "attrs"]
    /// The attributes a style may list, as theme files name them.
    public static let attributeNames: [(name: String, attribute: TextAttributes)] = [
        ("bold", .bold), ("reverse", .reverse), ("underline", .underline), ("dim", .dim),
    ]

    static let colourWhat = "a colour: \"#rrggbb\", a palette number from 0 to 255, an ANSI name such as red or bright-red, or default"

    /// Reads the theme file at `path`; errors name it `displayPath` (default: `path`).
    public static func load(path: String, displayPath: String? = nil) throws(SourceErrors) -> Theme {
        let document = try YAMLDocument.read(path: path, displayPath: displayPath)
        return try read(document, name: themeName(ofFile: path))
    }

    /// Reads theme text; `file` names it in errors.
    public static func parse(_ text: String, name: String, file: String) throws(SourceErrors) -> Theme {
        try read(try YAMLDocument.parse(text, file: file), name: name)
    }

    /// `themes/high-contrast.yaml` is the theme `high-contrast`.
    public static func themeName(ofFile path: String) -> String {
        let file = (path as NSString).lastPathComponent
        for suffix in [".yaml", ".yml"] where file.hasSuffix(suffix) { return String(file.dropLast(suffix.count)) }
        return file
    }

    static func read(_ document: YAMLDocument, name: String) throws(SourceErrors) -> Theme {
        guard let root = document.root else {
            throw SourceErrors(SourceError(
                "the theme file is empty; a theme sets every role under `roles:` (see docs/THEMES.md)", at: .file(document.file)))
        }
        var styles: [ThemeRole: Style] = [:]
        if let top = root.mapping(allowed: topLevelKeys, what: "a mapping with `roles:` (see docs/THEMES.md)") {
            if let description = top["description"] { _ = description.string() }
            if let rolesValue = top.required("roles"),
                let roles = rolesValue.mapping(allowed: ThemeRole.allCases.map(\.rawValue), what: "a mapping of roles (text, muted, header, ...) to styles")
            {
                for entry in roles.entries {
                    guard let role = ThemeRole(rawValue: entry.key), let style = readStyle(entry.value) else { continue }
                    styles[role] = style
                }
                let missing = ThemeRole.allCases.filter { !roles.has($0.rawValue) && !roles.reportedAsMisspelled($0.rawValue) }
                if !missing.isEmpty {
                    let names = missing.map { "`\($0.rawValue)`" }.joined(separator: ", ")
                    rolesValue.error(
                        (missing.count == 1 ? "missing the role \(names)" : "missing the roles \(names)")
                            + "; a theme sets all \(ThemeRole.allCases.count) roles (\(ThemeRole.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
            }
        }
        try document.finish()
        guard ThemeRole.allCases.allSatisfy({ styles[$0] != nil }) else {
            // Every path that leaves a role out records an error above; this keeps the invariant anyway.
            throw SourceErrors(SourceError("the theme does not set every role", at: .file(document.file), field: FieldPath([.key("roles")])))
        }
        return Theme(name: name, complete: styles)
    }

    /// `{ fg: red, bg: default, attrs: [bold] }`; each key is optional (the terminal's colours, no
    /// attributes). Nil after recording an error.
    static func readStyle(_ value: YAMLValue) -> Style? {
        guard let m = value.mapping(allowed: styleKeys, what: "a style such as { fg: red, bg: default, attrs: [bold] }") else { return nil }
        var ok = true
        var style = Style()
        // A key written with an empty value is read (and refused), not taken as absent: `fg: #e69f00`
        // without quotes is `fg:` followed by a YAML comment.
        if let fg = written(m, "fg") {
            if let colour = readColour(fg) { style.foreground = colour } else { ok = false }
        }
        if let bg = written(m, "bg") {
            if let colour = readColour(bg) { style.background = colour } else { ok = false }
        }
        if let attrs = written(m, "attrs") {
            if attrs.isNull {
                attrs.expected("a list of attributes (bold, reverse, underline, dim), or [] for none")
                ok = false
            } else if let items = attrs.oneOrMany(what: "a list of attributes (bold, reverse, underline, dim)") {
                for item in items {
                    guard let name = item.oneOf(attributeNames.map(\.name)), let attribute = attributeNames.first(where: { $0.name == name }) else {
                        ok = false
                        continue
                    }
                    style.attributes.insert(attribute.attribute)
                }
            } else {
                ok = false
            }
        }
        return ok ? style : nil
    }

    static func readColour(_ value: YAMLValue) -> ThemeColor? {
        guard value.isScalar else {
            value.expected(colourWhat, suffix: value.isNull ? "; quote a colour that starts with #, as in \"#e69f00\": unquoted, YAML reads it as a comment" : "")
            return nil
        }
        guard let text = value.string() else { return nil }
        guard let colour = ThemeColor(themeText: text) else {
            value.expected(colourWhat, suffix: Suggestion.didYouMean(text.lowercased(), in: ThemeColor.ansiNames + ["default"]))
            return nil
        }
        return colour
    }

    private static func written(_ m: YAMLMapping, _ key: String) -> YAMLValue? {
        m.entries.first { $0.key == key }?.value
    }
}

/// Where `--theme NAME` and `console.theme` find a theme: a path to a theme file (it has a `/` or
/// ends in `.yaml`), else `NAME.yaml` in `./themes`, in `themes/` beside the configuration file and in
/// `$XDG_CONFIG_HOME/breakglass/themes` (`~/.config/...`), else the theme compiled in under that
/// name. A file wins over the built-in theme of its name, so a team can adjust `default`.
public struct ThemeLookup: Sendable {
    /// Absolute paths of the folders searched, in order, each once.
    public let folders: [String]
    public let currentDirectory: String
    public let home: String?

    public init(currentDirectory: String, configFile: String?, environment: [String: String]) {
        self.currentDirectory = currentDirectory
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 }
        self.home = home
        var folders = [ConfigLocator.absolute("themes", in: currentDirectory)]
        if let configFile {
            let beside = (ConfigLocator.absolute(configFile, in: currentDirectory) as NSString).deletingLastPathComponent
            folders.append(ConfigLocator.absolute("themes", in: beside))
        }
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            folders.append(ConfigLocator.absolute("breakglass/themes", in: xdg))
        } else if let home {
            folders.append(ConfigLocator.absolute(".config/breakglass/themes", in: home))
        }
        var seen = Set<String>()
        self.folders = folders.filter { seen.insert($0).inserted }
    }

    /// The theme `name` means. `base` is the folder a relative path is relative to (the current
    /// folder for `--theme`, the configuration's folder for `console.theme`); `location` and `field`
    /// are where the name was written, for errors (`.file("--theme")` for the option).
    public func theme(_ name: String, base: String? = nil, location: SourceLocation, field: FieldPath = .root) throws(SourceErrors) -> Theme {
        if Self.isPath(name) {
            let path = ConfigLocator.absolute(expandTilde(name), in: base ?? currentDirectory)
            guard Self.isFile(path) else {
                throw SourceErrors(SourceError("no theme file at \(name) (\(path)); give a theme file's path, or a theme's name: \(available().joined(separator: ", "))", at: location, field: field))
            }
            return try ThemeLoader.load(path: path, displayPath: display(path))
        }
        for folder in folders {
            for suffix in [".yaml", ".yml"] {
                let path = folder + "/" + name + suffix
                if Self.isFile(path) { return try ThemeLoader.load(path: path, displayPath: display(path)) }
            }
        }
        if let theme = Theme.builtIn(named: name) { return theme }
        let names = available()
        throw SourceErrors(SourceError(
            "no theme named `\(name)`" + Suggestion.didYouMean(name, in: names) + "; the themes are \(names.joined(separator: ", ")) "
                + "(built in, or NAME.yaml in \(folders.map { display($0) }.joined(separator: ", ")))",
            at: location, field: field))
    }

    /// Every theme name there is: the built-in ones and the files in the folders, sorted.
    public func available() -> [String] {
        var names = Set(Theme.builtInNames)
        for folder in folders {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            for file in files where !file.hasPrefix(".") && (file.hasSuffix(".yaml") || file.hasSuffix(".yml")) {
                names.insert(ThemeLoader.themeName(ofFile: file))
            }
        }
        return names.sorted()
    }

    /// A path as people should see it: relative to the current folder when inside it, `~/…` under
    /// the home folder, absolute otherwise.
    public func display(_ path: String) -> String {
        let cwd = currentDirectory.hasSuffix("/") ? currentDirectory : currentDirectory + "/"
        if path.hasPrefix(cwd) { return String(path.dropFirst(cwd.count)) }
        if let home, home != "/", path.hasPrefix(home + "/") { return "~" + path.dropFirst(home.count) }
        return path
    }

    static func isPath(_ name: String) -> Bool {
        name.contains("/") || name.hasSuffix(".yaml") || name.hasSuffix(".yml")
    }

    private func expandTilde(_ path: String) -> String {
        guard let home, path == "~" || path.hasPrefix("~/") else { return path }
        return home + path.dropFirst(1)
    }

    private static func isFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}
