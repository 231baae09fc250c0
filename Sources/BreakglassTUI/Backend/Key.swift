/// A key press as the console sees it, independent of the terminal library.
public enum Key: Hashable, Sendable {
    /// A printable character (never a control character: those arrive as `.ctrl`, `.tab`, `.enter`...).
    case char(Character)
    case up, down, left, right
    case pageUp, pageDown, home, end
    case enter, escape, tab, backTab, backspace, delete
    /// The terminal changed size; the backend's `size` has the new one.
    case resize
    /// Control plus a letter, as a lowercase letter: Ctrl-L is `.ctrl("l")`.
    case ctrl(Character)
    /// F1 is `.function(1)`.
    case function(Int)

    /// How the key is written in the footer and the help overlay. ASCII only, so it draws on any
    /// terminal.
    public var label: String {
        switch self {
        case .char(" "): "Space"
        case .char(let c): String(c)
        case .up: "Up"
        case .down: "Down"
        case .left: "Left"
        case .right: "Right"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        case .home: "Home"
        case .end: "End"
        case .enter: "Enter"
        case .escape: "Esc"
        case .tab: "Tab"
        case .backTab: "S-Tab"
        case .backspace: "Bksp"
        case .delete: "Del"
        case .resize: "Resize"
        case .ctrl(let c): "^" + String(c).uppercased()
        case .function(let n): "F\(n)"
        }
    }
}
