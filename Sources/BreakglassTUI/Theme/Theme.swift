import BreakglassCore

/// The semantic roles screens draw with. Screens name a role; the theme decides what it looks like.
public enum ThemeRole: String, Sendable, CaseIterable {
    case text, muted, header
    case topBar = "top_bar"
    case footer
    case footerKey = "footer_key"
    case selection
    /// Things to notice that are not problems: a page acknowledged or resolved.
    case accent
    case stateAlarm = "state_alarm"
    case stateInsufficient = "state_insufficient"
    case stateOK = "state_ok"
    case error, warning
    /// The row of screens, and the screen shown.
    case tabs
    case tabActive = "tab_active"
    /// The break-glass role and its countdown in the top bar.
    case accessBadge = "access_badge"
}

/// A style for every role. Invariant: all roles are set, so drawing code never needs a fallback.
/// Before drawing, `degraded(to:)` brings a theme down to the terminal's colour depth.
public struct Theme: Hashable, Sendable {
    public var name: String
    private var styles: [ThemeRole: Style]
    /// Box and rule characters: Unicode line drawing, or ASCII where the terminal cannot draw it.
    public var glyphs: LineGlyphs = .unicode

    /// A theme that sets `overrides` over `base` (roles it does not name keep the base's style).
    public init(name: String, overrides: [ThemeRole: Style] = [:], base: Theme = .default) {
        self.name = name
        styles = base.styles.merging(overrides) { _, new in new }
    }

    /// A theme that sets every role itself (the built-in themes, and theme files once read).
    init(name: String, complete: [ThemeRole: Style]) {
        precondition(ThemeRole.allCases.allSatisfy { complete[$0] != nil }, "theme \(name) misses a role")
        self.name = name
        styles = complete
    }

    public subscript(role: ThemeRole) -> Style {
        get { styles[role] ?? .plain }
        set { styles[role] = newValue }
    }

    public func style(for state: AlarmState) -> Style {
        switch state {
        case .alarm: self[.stateAlarm]
        case .insufficientData: self[.stateInsufficient]
        case .ok: self[.stateOK]
        }
    }

    /// This theme as a terminal of `depth` can show it. Colours step down truecolor → nearest of 256 →
    /// nearest of 16. At `.mono` colours cannot carry meaning, so every role takes the `monochrome`
    /// theme's attribute-only style, which keeps alarm states apart (ALARM bold+reverse,
    /// INSUFFICIENT_DATA underline, OK plain).
    public func degraded(to depth: ColorDepth) -> Theme {
        if depth == .mono {
            var theme = Theme.monochrome
            theme.name = name
            theme.glyphs = glyphs
            return theme
        }
        var copy = self
        for (role, style) in styles {
            var s = style
            s.foreground = style.foreground.degraded(to: depth)
            s.background = style.background.degraded(to: depth)
            copy.styles[role] = s
        }
        return copy
    }

    /// The themes compiled in, so the console looks right from any folder. Each matches the file of
    /// the same name in themes/ (a test loads every shipped file and compares).
    public static let builtInNames = ["default", "high-contrast", "monochrome", "colorblind"]

    public static func builtIn(named name: String) -> Theme? {
        switch name {
        case "default": .default
        case "high-contrast": .highContrast
        case "monochrome": .monochrome
        case "colorblind": .colorblind
        default: nil
        }
    }

    /// Colours chosen so the 16-colour fallback (and the 8-colour Linux console) stays legible:
    /// badges and bars use ANSI colours; only muted text relies on the 256-colour grey ramp.
    public static let `default` = Theme(name: "default", complete: [
        .text: .plain,
        .muted: Style(foreground: .indexed(245)),
        .header: Style(attributes: .bold),
        .topBar: Style(foreground: .indexed(15), background: .indexed(4), attributes: .bold),
        .footer: .plain,
        .footerKey: Style(foreground: .indexed(6), attributes: .bold),
        .selection: Style(foreground: .indexed(0), background: .indexed(6)),
        .accent: Style(foreground: .indexed(14), attributes: .bold),
        .stateAlarm: Style(foreground: .indexed(15), background: .indexed(1), attributes: .bold),
        .stateInsufficient: Style(foreground: .indexed(0), background: .indexed(3)),
        .stateOK: Style(foreground: .indexed(2)),
        .error: Style(foreground: .indexed(9), attributes: .bold),
        .warning: Style(foreground: .indexed(11)),
        .tabs: Style(foreground: .indexed(245)),
        .tabActive: Style(foreground: .indexed(15), background: .indexed(4), attributes: .bold),
        .accessBadge: Style(foreground: .indexed(0), background: .indexed(11), attributes: .bold),
    ])

    /// Attributes only. Each alarm state and the selection look different from each other and from
    /// plain text without colour: ALARM bold and reverse, INSUFFICIENT_DATA underlined, OK dim (it
    /// needs no attention), the selection reversed.
    public static let monochrome = Theme(name: "monochrome", complete: [
        .text: .plain,
        .muted: Style(attributes: .dim),
        .header: Style(attributes: [.bold, .underline]),
        .topBar: Style(attributes: .reverse),
        .footer: .plain,
        .footerKey: Style(attributes: .bold),
        .selection: Style(attributes: .reverse),
        .accent: Style(attributes: .bold),
        .stateAlarm: Style(attributes: [.bold, .reverse]),
        .stateInsufficient: Style(attributes: .underline),
        .stateOK: Style(attributes: .dim),
        .error: Style(attributes: .bold),
        .warning: Style(attributes: .bold),
        .tabs: .plain,
        .tabActive: Style(attributes: [.bold, .reverse]),
        .accessBadge: Style(attributes: [.bold, .underline]),
    ])

    /// For low vision and bright rooms: nothing is faded, badges are dark text on bright
    /// backgrounds or bright text on dark ones, and bars are reversed so they stand out on light and
    /// dark terminals alike. Only the 16 ANSI colours, so it looks the same at every depth but mono.
    public static let highContrast = Theme(name: "high-contrast", complete: [
        .text: .plain,
        .muted: .plain,
        .header: Style(attributes: [.bold, .underline]),
        .topBar: Style(attributes: [.bold, .reverse]),
        .footer: .plain,
        .footerKey: Style(attributes: [.bold, .reverse]),
        .selection: Style(foreground: .indexed(0), background: .indexed(14), attributes: .bold),
        .accent: Style(attributes: [.bold, .underline]),
        .stateAlarm: Style(foreground: .indexed(15), background: .indexed(1), attributes: .bold),
        .stateInsufficient: Style(foreground: .indexed(0), background: .indexed(11), attributes: .bold),
        .stateOK: Style(foreground: .indexed(0), background: .indexed(10), attributes: .bold),
        .error: Style(foreground: .indexed(15), background: .indexed(1), attributes: [.bold, .underline]),
        .warning: Style(foreground: .indexed(0), background: .indexed(11), attributes: [.bold, .underline]),
        .tabs: .plain,
        .tabActive: Style(attributes: [.bold, .reverse, .underline]),
        .accessBadge: Style(foreground: .indexed(0), background: .indexed(15), attributes: [.bold, .underline]),
    ])

    /// Safe for red-green colour blindness (and readable in greys): meaning rides on orange against
    /// blue (the Okabe–Ito palette) and on attributes, never on red against green. ALARM is bold on
    /// orange, INSUFFICIENT_DATA underlined on grey, OK sky blue, the selection white on blue.
    public static let colorblind = Theme(name: "colorblind", complete: [
        .text: .plain,
        .muted: Style(foreground: .rgb(0x8A, 0x8A, 0x8A)),
        .header: Style(attributes: .bold),
        .topBar: Style(foreground: .rgb(0xFF, 0xFF, 0xFF), background: .rgb(0x00, 0x72, 0xB2), attributes: .bold),
        .footer: .plain,
        .footerKey: Style(foreground: .rgb(0x56, 0xB4, 0xE9), attributes: .bold),
        .selection: Style(foreground: .rgb(0xFF, 0xFF, 0xFF), background: .rgb(0x00, 0x72, 0xB2)),
        .accent: Style(foreground: .rgb(0x56, 0xB4, 0xE9), attributes: [.bold, .underline]),
        .stateAlarm: Style(foreground: .rgb(0x00, 0x00, 0x00), background: .rgb(0xE6, 0x9F, 0x00), attributes: .bold),
        .stateInsufficient: Style(foreground: .rgb(0x00, 0x00, 0x00), background: .rgb(0xBB, 0xBB, 0xBB), attributes: .underline),
        .stateOK: Style(foreground: .rgb(0x56, 0xB4, 0xE9)),
        .error: Style(foreground: .rgb(0xE6, 0x9F, 0x00), attributes: [.bold, .underline]),
        .warning: Style(foreground: .rgb(0xE6, 0x9F, 0x00), attributes: .bold),
        .tabs: Style(foreground: .rgb(0x8A, 0x8A, 0x8A)),
        .tabActive: Style(foreground: .rgb(0xFF, 0xFF, 0xFF), background: .rgb(0x00, 0x72, 0xB2), attributes: .bold),
        .accessBadge: Style(foreground: .rgb(0x00, 0x00, 0x00), background: .rgb(0xF0, 0xE4, 0x42), attributes: .bold),
    ])
}

/// The characters boxes and rules are drawn with.
public struct LineGlyphs: Hashable, Sendable {
    public var horizontal: Character
    public var vertical: Character
    public var topLeft: Character
    public var topRight: Character
    public var bottomLeft: Character
    public var bottomRight: Character
    /// A filled and an empty block, for bars and sparklines' floor.
    public var full: Character
    /// Eight rising levels for sparklines, lowest first.
    public var levels: [Character]
    /// Punctuation the screens write with: the dash before a hint or an aside ("—"), the dot between
    /// the parts of a line ("·"), the end of cut or unfinished text ("…"), and the sign of a size
    /// ("80×24"). ASCII terminals get "-", "|", "..." and "x".
    public var dash: String
    public var dot: String
    public var ellipsis: String
    public var times: String
    /// One cell beside "updated 12s ago" while a refresh is in flight ("↻", ASCII "*"): the words
    /// stay put, so a refresh costs the terminal a cell, not a line.
    public var busy: String

    public static let unicode = LineGlyphs(
        horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘", full: "█",
        levels: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"], dash: "—", dot: "·", ellipsis: "…", times: "×", busy: "↻")
    /// For terminals without line drawing (vt100, some `linux` consoles).
    public static let ascii = LineGlyphs(
        horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+", full: "#",
        levels: ["_", ".", ",", "-", "~", "=", "*", "#"], dash: "-", dot: "|", ellipsis: "...", times: "x", busy: "*")

    /// The dot with a space each side: what separates the parts of a line.
    public var separator: String { " " + dot + " " }

    /// `text` with the Unicode punctuation the console's own sentences use written in these glyphs:
    /// for text composed away from the renderer (a command's answer, a step's note, an error) just
    /// before it is drawn. Unchanged with the Unicode glyphs.
    public func punctuated(_ text: String) -> String {
        guard self != .unicode, text.unicodeScalars.contains(where: { !$0.isASCII }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "—", "–": out += dash
            case "·": out += dot
            case "…": out += ellipsis
            case "×": out += times
            case "↻": out += busy
            case "→": out += "->"
            case "←": out += "<-"
            case "↑": out += "^"
            case "↓": out += "v"
            case "‘", "’": out += "'"
            case "“", "”": out += "\""
            default: out.append(character)
            }
        }
        return out
    }

    /// `TerminalText.sanitize`, then `punctuated`: untrusted or composed text ready to draw.
    public func sanitize(_ text: String) -> String {
        punctuated(TerminalText.sanitize(text))
    }

    /// `TerminalText.truncate` ending cut text with this set's ellipsis.
    public func truncate(_ s: String, toWidth limit: Int) -> String {
        TerminalText.truncate(s, toWidth: limit, ellipsis: ellipsis)
    }

    /// `TerminalText.pad` ending cut text with this set's ellipsis.
    public func pad(_ s: String, toWidth limit: Int, alignment: TerminalText.Alignment = .leading) -> String {
        TerminalText.pad(s, toWidth: limit, alignment: alignment, ellipsis: ellipsis)
    }

    /// `TerminalText.wrap` ending a last cut line with this set's ellipsis.
    public func wrap(_ s: String, toWidth limit: Int, maxLines: Int = .max) -> [String] {
        TerminalText.wrap(s, toWidth: limit, maxLines: maxLines, ellipsis: ellipsis)
    }
}

extension LineGlyphs {
    /// ASCII for terminal types that cannot show Unicode box drawing, Unicode otherwise. The console
    /// requires a UTF-8 locale, but these terminals ignore it: the DEC vt family (`vt52`, `vt100`,
    /// `vt220`, `vt320`, ... and variants such as `vt100-am` or `vt220-8bit`; not `vte`, GNOME's
    /// UTF-8 terminal), `ansi` (DOS ANSI.SYS and friends), `pcansi`, `cons25` (FreeBSD's CP437
    /// console), `sun` and `dumb`. `linux`, `screen`, `tmux` and the xterm family draw lines.
    /// Decided from the name alone, so it works before curses starts and in tests.
    public static func forTerminal(_ term: String) -> LineGlyphs {
        let base = (term.split(separator: "-").first.map(String.init) ?? term).lowercased()
        return asciiTerminal(base) ? .ascii : .unicode
    }

    private static func asciiTerminal(_ base: String) -> Bool {
        if base.hasPrefix("vt"), base.dropFirst(2).first?.isASCII == true, base.dropFirst(2).first?.isNumber == true { return true }
        if base.hasPrefix("ansi") || base.hasPrefix("pcansi") { return true }
        return ["cons25", "sun", "dumb"].contains(base)
    }
}
