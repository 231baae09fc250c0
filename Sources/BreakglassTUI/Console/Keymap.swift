/// What a key can ask the console to do.
public enum ConsoleAction: String, Hashable, Sendable, CaseIterable {
    case quit, refresh, moveDown, moveUp, pageDown, pageUp, top, bottom, redraw
    /// Acknowledge the incident the page banner shows.
    case acknowledgePage
    /// Dismiss what the page banner shows.
    case dismissBanner
}

/// When a binding's hint is in the footer.
public enum FooterHint: Hashable, Sendable {
    case always
    case never
    /// Only while the action can do something (the banner's keys while it shows); these hints come
    /// first, since they are about what is happening now.
    case whenAvailable
}

/// One entry of the key table: the keys, what they do, and the words shown for them.
public struct KeyBinding: Hashable, Sendable {
    public var keys: [Key]
    public var action: ConsoleAction
    /// A few words, lower case, for the footer and the help overlay ("refresh", "page down").
    public var description: String
    public var footer: FooterHint

    public init(_ keys: [Key], _ action: ConsoleAction, _ description: String, footer: FooterHint) {
        precondition(!keys.isEmpty, "a binding needs a key")
        self.keys = keys
        self.action = action
        self.description = description
        self.footer = footer
    }

    /// All the keys, as the help overlay lists them ("j/Down").
    public var keysLabel: String { keys.map(\.label).joined(separator: "/") }
}

/// The console's key table, declared once. The reducer, the footer hints and (later) the `?` overlay
/// all read it, so a key cannot do one thing and be described as another.
///
/// Invariant: no key is bound twice. Esc never quits: it dismisses the page banner here, and cancels
/// or goes back in screens that have something to cancel.
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

    /// The first key bound to `action`, as the footer writes it.
    public func keyLabel(for action: ConsoleAction) -> String? {
        bindings.first { $0.action == action }?.keys[0].label
    }

    /// The footer's hints: those of `available` actions shown only when available, then the ones
    /// always shown, each group in table order. The footer drops hints from the end when it is too
    /// narrow. Each shows the binding's first key only.
    public func footerHints(available: Set<ConsoleAction> = []) -> [(key: String, description: String)] {
        let now = bindings.filter { $0.footer == .whenAvailable && available.contains($0.action) }
        return (now + bindings.filter { $0.footer == .always }).map { (key: $0.keys[0].label, description: $0.description) }
    }

    public static let console = Keymap([
        KeyBinding([.char("a")], .acknowledgePage, "acknowledge", footer: .whenAvailable),
        KeyBinding([.escape], .dismissBanner, "dismiss", footer: .whenAvailable),
        KeyBinding([.char("q")], .quit, "quit", footer: .always),
        KeyBinding([.char("R")], .refresh, "refresh", footer: .always),
        KeyBinding([.char("j"), .down], .moveDown, "down", footer: .always),
        KeyBinding([.char("k"), .up], .moveUp, "up", footer: .always),
        KeyBinding([.char("g"), .home], .top, "top", footer: .always),
        KeyBinding([.char("G"), .end], .bottom, "bottom", footer: .always),
        KeyBinding([.pageDown, .ctrl("f")], .pageDown, "page down", footer: .always),
        KeyBinding([.pageUp, .ctrl("b")], .pageUp, "page up", footer: .always),
        KeyBinding([.ctrl("l")], .redraw, "redraw the screen", footer: .never),
    ])
}
