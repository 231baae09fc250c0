/// What a key can ask the console to do.
public enum ConsoleAction: String, Hashable, Sendable, CaseIterable {
    case quit, refresh, moveDown, moveUp, pageDown, pageUp, top, bottom, redraw
}

/// One entry of the key table: the keys, what they do, and the words shown for them.
public struct KeyBinding: Hashable, Sendable {
    public var keys: [Key]
    public var action: ConsoleAction
    /// A few words, lower case, for the footer and the help overlay ("refresh", "page down").
    public var description: String
    public var showInFooter: Bool

    public init(_ keys: [Key], _ action: ConsoleAction, _ description: String, footer: Bool) {
        precondition(!keys.isEmpty, "a binding needs a key")
        self.keys = keys
        self.action = action
        self.description = description
        showInFooter = footer
    }

    /// All the keys, as the help overlay lists them ("j/Down").
    public var keysLabel: String { keys.map(\.label).joined(separator: "/") }
}

/// The console's key table, declared once. The reducer, the footer hints and (later) the `?` overlay
/// all read it, so a key cannot do one thing and be described as another.
///
/// Invariant: no key is bound twice. Esc is deliberately unbound here: it cancels or goes back in
/// screens that have something to cancel, and never quits.
public struct Keymap: Sendable {
    public let bindings: [KeyBinding]
    private let actions: [Key: ConsoleAction]

    public init(_ bindings: [KeyBinding]) {
        var actions: [Key: ConsoleAction] = [:]
        for binding in bindings {
            for key in binding.keys {
                precondition(actions[key] == nil, "key \(key.label) is bound twice")
                actions[key] = binding.action
            }
        }
        self.bindings = bindings
        self.actions = actions
    }

    public func action(for key: Key) -> ConsoleAction? { actions[key] }

    /// The footer's hints in table order, which is also the order they are dropped from the end when
    /// the footer is too narrow. Each shows the binding's first key only.
    public var footerHints: [(key: String, description: String)] {
        bindings.filter(\.showInFooter).map { (key: $0.keys[0].label, description: $0.description) }
    }

    public static let console = Keymap([
        KeyBinding([.char("q")], .quit, "quit", footer: true),
        KeyBinding([.char("R")], .refresh, "refresh", footer: true),
        KeyBinding([.char("j"), .down], .moveDown, "down", footer: true),
        KeyBinding([.char("k"), .up], .moveUp, "up", footer: true),
        KeyBinding([.char("g"), .home], .top, "top", footer: true),
        KeyBinding([.char("G"), .end], .bottom, "bottom", footer: true),
        KeyBinding([.pageDown, .ctrl("f")], .pageDown, "page down", footer: true),
        KeyBinding([.pageUp, .ctrl("b")], .pageUp, "page up", footer: true),
        KeyBinding([.ctrl("l")], .redraw, "redraw the screen", footer: false),
    ])
}
