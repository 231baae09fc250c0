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

    private init(name: String, complete: [ThemeRole: Style]) {
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

    public static let builtInNames = ["default", "monochrome"]

    public static func builtIn(named name: String) -> Theme? {
        switch name {
        case "default": .default
        case "monochrome": .monochrome
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
    /// plain text without colour.
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
        .stateOK: .plain,
        .error: Style(attributes: .bold),
        .warning: Style(attributes: .bold),
        .tabs: .plain,
        .tabActive: Style(attributes: [.bold, .reverse]),
        .accessBadge: Style(attributes: [.bold, .underline]),
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

    public static let unicode = LineGlyphs(
        horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘", full: "█",
        levels: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"])
    /// For terminals without line drawing (vt100, some `linux` consoles).
    public static let ascii = LineGlyphs(
        horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+", full: "#",
        levels: ["_", ".", ",", "-", "~", "=", "*", "#"])
}

extension LineGlyphs {
    /// ASCII for terminals that cannot show Unicode box drawing (the vt100 family, `ansi`), Unicode
    /// otherwise. The console already requires a UTF-8 locale; these terminal types ignore it.
    public static func forTerminal(_ term: String) -> LineGlyphs {
        let base = term.split(separator: "-").first.map(String.init) ?? term
        return ["vt52", "vt100", "vt102", "vt220", "vt320", "ansi", "dumb"].contains(base) ? .ascii : .unicode
    }
}
