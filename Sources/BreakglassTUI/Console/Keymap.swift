/// What a key can ask the console to do. The raw value is the action's name in the configuration's
/// `console.keys` (docs/CONFIG.md), so it is part of the file format: rename with care.
public enum ConsoleAction: String, Hashable, Sendable, CaseIterable {
    // Anywhere.
    case quit, help, redraw
    case commandLine = "command_line"
    /// Esc: closes what is open (overlay, prompt, detail), one level at a time.
    case back
    case nextPane = "next_pane"
    case previousPane = "previous_pane"
    case showAlarms = "alarms"
    case showIncidents = "incidents"
    case showRunbook = "runbook"
    case showAccess = "access"
    case showAudit = "audit"
    case refresh
    /// Acknowledge the incident in front of you: the selected one, or the one the page banner shows.
    case acknowledge
    /// Open the runbook suggested for the selected alarm or incident.
    case openRunbook = "open_runbook"
    // Lists.
    case moveDown = "down"
    case moveUp = "up"
    case pageDown = "page_down"
    case pageUp = "page_up"
    case top, bottom
    /// Enter: open the selection, or do what the screen's main prompt offers.
    case select
    // Alarms.
    case filter, sort
    // Incidents.
    case resolve, escalate, snooze
    case toggleResolved = "show_resolved"
    // Runbook and access.
    /// The runbook's next step, or start the run (Enter does the same when nothing is selected).
    case run
    /// Verify an outcome-unknown step with its read.
    case verify
    case markDone = "mark_done"
    case resend
    case abandon
    case revoke
    // Guided mode.
    /// "I need help": pages the next escalation stage after a yes/no.
    case needHelp = "need_help"
}

/// Where a binding applies. A key is looked up in the current screen's scope first, then in the
/// list scope (when the screen is a list), then globally; so a screen may give a key its own meaning,
/// but no key is bound twice in one scope.
public enum KeyScope: Hashable, Sendable {
    case global
    /// Every screen that shows a selectable list.
    case list
    case view(ConsoleView)
    /// Guided mode, which replaces every other scope: only its own keys and quitting work.
    case guided
}

/// The console's screens, in the order of their number keys.
public enum ConsoleView: String, Hashable, Sendable, CaseIterable {
    case alarms, incidents, runbook, access, audit

    public var title: String {
        switch self {
        case .alarms: "Alarms"
        case .incidents: "Incidents"
        case .runbook: "Runbook"
        case .access: "Access"
        case .audit: "Audit"
        }
    }
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
    public var scope: KeyScope
    /// A few words, lower case, for the footer and the help overlay ("refresh", "page down").
    public var description: String
    public var footer: FooterHint

    public init(_ keys: [Key], _ action: ConsoleAction, _ description: String, footer: FooterHint, scope: KeyScope = .global) {
        precondition(!keys.isEmpty, "a binding needs a key")
        self.keys = keys
        self.action = action
        self.description = description
        self.footer = footer
        self.scope = scope
    }

    /// All the keys, as the help overlay lists them ("j/Down").
    public var keysLabel: String { keys.map(\.label).joined(separator: "/") }
}

/// A problem with `console.keys` in the configuration, said in the file's terms.
public struct KeymapError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The console's key table, declared once. The reducer, the footer hints and the `?` overlay all
/// read it, so a key cannot do one thing and be described as another.
///
/// Invariant: no key is bound twice in one scope. Esc never quits: it backs out one level.
public struct Keymap: Hashable, Sendable {
    public let bindings: [KeyBinding]
    private let actions: [KeyScope: [Key: ConsoleAction]]

    /// Fails when a key is bound twice in one scope.
    public init(validating bindings: [KeyBinding]) throws(KeymapError) {
        var actions: [KeyScope: [Key: ConsoleAction]] = [:]
        for binding in bindings {
            for key in binding.keys {
                if let other = actions[binding.scope]?[key], other != binding.action {
                    throw KeymapError("key \(key.label) is bound to both \(other.rawValue) and \(binding.action.rawValue)")
                }
                actions[binding.scope, default: [:]][key] = binding.action
            }
        }
        // A screen sees its own keys, the list keys and the global ones together: a key bound in two
        // of them would hide one action there, so that is a clash too (guided mode stands alone).
        for view in ConsoleView.allCases {
            var seen: [Key: ConsoleAction] = [:]
            for scope in [KeyScope.global, .list, .view(view)] {
                for (key, action) in actions[scope] ?? [:] {
                    if let other = seen[key], other != action {
                        throw KeymapError("key \(key.label) is bound to both \(other.rawValue) and \(action.rawValue)")
                    }
                    seen[key] = action
                }
            }
        }
        self.bindings = bindings
        self.actions = actions
    }

    public init(_ bindings: [KeyBinding]) {
        do {
            try self.init(validating: bindings)
        } catch {
            preconditionFailure(error.message)
        }
    }

    /// The action `key` has on `view` (a list screen when `list`), or in guided mode.
    public func action(for key: Key, view: ConsoleView, list: Bool = true, guided: Bool = false) -> ConsoleAction? {
        if guided { return actions[.guided]?[key] }
        if let action = actions[.view(view)]?[key] { return action }
        if list, let action = actions[.list]?[key] { return action }
        return actions[.global]?[key]
    }

    /// The first key bound to `action` in the scopes that apply on `view`, as the footer writes it.
    public func keyLabel(for action: ConsoleAction, view: ConsoleView = .alarms, guided: Bool = false) -> String? {
        let scopes: [KeyScope] = guided ? [.guided] : [.view(view), .list, .global]
        for scope in scopes {
            if let binding = bindings.first(where: { $0.scope == scope && $0.action == action }) { return binding.keys[0].label }
        }
        return nil
    }

    /// The bindings that apply on `view` (or in guided mode), the screen's own first.
    public func bindings(view: ConsoleView, list: Bool = true, guided: Bool = false) -> [KeyBinding] {
        if guided { return bindings.filter { $0.scope == .guided } }
        let own = bindings.filter { $0.scope == .view(view) }
        let listed = list ? bindings.filter { $0.scope == .list } : []
        let global = bindings.filter { $0.scope == .global }
        // A key the screen rebinds no longer does its global thing there.
        let shadowed = Set((own + listed).flatMap(\.keys))
        return own + listed + global.compactMap { b in
            let keys = b.keys.filter { !shadowed.contains($0) }
            guard !keys.isEmpty else { return nil }
            var copy = b
            copy.keys = keys
            return copy
        }
    }

    /// The footer's hints on `view`: those of `available` actions shown only when available, then
    /// the ones always shown, the screen's own first. The footer drops hints from the end when it is
    /// too narrow. Each shows the binding's first key only.
    public func footerHints(view: ConsoleView, list: Bool = true, guided: Bool = false, available: Set<ConsoleAction> = [])
        -> [(key: String, description: String, action: ConsoleAction)]
    {
        let applicable = bindings(view: view, list: list, guided: guided)
        let available = applicable.filter { $0.footer == .whenAvailable && available.contains($0.action) }
        // A page waiting for an answer comes before anything the screen offers.
        let now = available.filter { $0.action == .acknowledge } + available.filter { $0.action != .acknowledge }
        return (now + applicable.filter { $0.footer == .always }).map { (key: $0.keys[0].label, description: $0.description, action: $0.action) }
    }

    /// This keymap with the keys of some actions replaced, as `console.keys` in the configuration
    /// says: action name → key names (`Key(name:)`). An action bound in several scopes gets the new
    /// keys in each. Fails on an unknown action or key name, or a key then bound twice in a scope.
    public func rebinding(_ overrides: [(action: String, keys: [String])]) throws(KeymapError) -> Keymap {
        var bindings = self.bindings
        for (name, keyNames) in overrides {
            guard let action = ConsoleAction(rawValue: name) else {
                let near = ConsoleAction.allCases.map(\.rawValue).min { editDistance($0, name) < editDistance($1, name) }
                throw KeymapError("unknown action `\(name)`" + (near.map { "; did you mean `\($0)`?" } ?? ""))
            }
            guard !keyNames.isEmpty else { throw KeymapError("action `\(name)` needs at least one key") }
            var keys: [Key] = []
            for keyName in keyNames {
                guard let key = Key(name: keyName) else {
                    throw KeymapError("`\(keyName)` (for \(name)) is not a key name: use a character such as `x` or `?`, or one of "
                        + Key.namedKeys.map(\.name).joined(separator: ", ") + ", ctrl-X, f1…f12")
                }
                keys.append(key)
            }
            guard bindings.contains(where: { $0.action == action }) else {
                throw KeymapError("action `\(name)` has no key to replace")
            }
            for i in bindings.indices where bindings[i].action == action { bindings[i].keys = keys }
        }
        return try Keymap(validating: bindings)
    }

    public static let console = Keymap([
        // Anywhere.
        KeyBinding([.char("a")], .acknowledge, "acknowledge", footer: .whenAvailable),
        KeyBinding([.escape], .back, "back", footer: .whenAvailable),
        KeyBinding([.char("q")], .quit, "quit", footer: .always),
        KeyBinding([.char("?")], .help, "help", footer: .always),
        KeyBinding([.char(":")], .commandLine, "command", footer: .always),
        KeyBinding([.tab], .nextPane, "next pane", footer: .never),
        KeyBinding([.backTab], .previousPane, "previous pane", footer: .never),
        KeyBinding([.char("1")], .showAlarms, "alarms", footer: .never),
        KeyBinding([.char("2")], .showIncidents, "incidents", footer: .never),
        KeyBinding([.char("3")], .showRunbook, "runbook", footer: .never),
        KeyBinding([.char("4")], .showAccess, "access", footer: .never),
        KeyBinding([.char("5")], .showAudit, "audit", footer: .never),
        KeyBinding([.char("r")], .openRunbook, "runbook", footer: .whenAvailable),
        KeyBinding([.char("R")], .refresh, "refresh", footer: .never),
        KeyBinding([.ctrl("l")], .redraw, "redraw the screen", footer: .never),
        // Lists.
        KeyBinding([.enter], .select, "open", footer: .whenAvailable, scope: .list),
        KeyBinding([.char("j"), .down], .moveDown, "down", footer: .never, scope: .list),
        KeyBinding([.char("k"), .up], .moveUp, "up", footer: .never, scope: .list),
        KeyBinding([.char("g"), .home], .top, "top", footer: .never, scope: .list),
        KeyBinding([.char("G"), .end], .bottom, "bottom", footer: .never, scope: .list),
        KeyBinding([.pageDown, .ctrl("f")], .pageDown, "page down", footer: .never, scope: .list),
        KeyBinding([.pageUp, .ctrl("b")], .pageUp, "page up", footer: .never, scope: .list),
        // Alarms.
        KeyBinding([.char("/")], .filter, "filter", footer: .always, scope: .view(.alarms)),
        KeyBinding([.char("s")], .sort, "sort", footer: .always, scope: .view(.alarms)),
        // Incidents.
        KeyBinding([.char("x")], .resolve, "resolve", footer: .whenAvailable, scope: .view(.incidents)),
        KeyBinding([.char("e")], .escalate, "escalate", footer: .whenAvailable, scope: .view(.incidents)),
        KeyBinding([.char("z")], .snooze, "snooze", footer: .whenAvailable, scope: .view(.incidents)),
        KeyBinding([.char("A")], .toggleResolved, "show resolved", footer: .never, scope: .view(.incidents)),
        // Runbook.
        KeyBinding([.char("n")], .run, "next step", footer: .whenAvailable, scope: .view(.runbook)),
        KeyBinding([.char("v")], .verify, "verify", footer: .whenAvailable, scope: .view(.runbook)),
        KeyBinding([.char("m")], .markDone, "mark done", footer: .whenAvailable, scope: .view(.runbook)),
        KeyBinding([.char("S")], .resend, "send again", footer: .whenAvailable, scope: .view(.runbook)),
        KeyBinding([.char("X")], .abandon, "abandon run", footer: .whenAvailable, scope: .view(.runbook)),
        // Access.
        KeyBinding([.char("n")], .run, "request", footer: .whenAvailable, scope: .view(.access)),
        KeyBinding([.char("D")], .revoke, "revoke", footer: .whenAvailable, scope: .view(.access)),
        // Guided mode: one step per screen; nothing else is reachable.
        KeyBinding([.enter, .char(" ")], .select, "next / done", footer: .always, scope: .guided),
        KeyBinding([.char("h")], .needHelp, "I need help", footer: .always, scope: .guided),
        KeyBinding([.char("?")], .help, "keys", footer: .never, scope: .guided),
        KeyBinding([.escape], .back, "back", footer: .whenAvailable, scope: .guided),
        KeyBinding([.char("q")], .quit, "quit", footer: .always, scope: .guided),
        KeyBinding([.ctrl("l")], .redraw, "redraw the screen", footer: .never, scope: .guided),
    ])
}

extension Key {
    /// Names of keys that are not one printable character, as `console.keys` writes them.
    public static let namedKeys: [(name: String, key: Key)] = [
        ("up", .up), ("down", .down), ("left", .left), ("right", .right),
        ("pageup", .pageUp), ("pagedown", .pageDown), ("home", .home), ("end", .end),
        ("enter", .enter), ("esc", .escape), ("tab", .tab), ("backtab", .backTab),
        ("backspace", .backspace), ("delete", .delete), ("space", .char(" ")),
    ]

    /// A key from its configuration name: one printable character (`x`, `?`, `G`), a name from
    /// `namedKeys` (any case), `ctrl-X`, or `f1`…`f12`.
    public init?(name: String) {
        if name.count == 1, let c = name.first, !c.isWhitespace, c.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) {
            self = .char(c)
            return
        }
        let lower = name.lowercased()
        if let named = Key.namedKeys.first(where: { $0.name == lower }) {
            self = named.key
            return
        }
        if lower.hasPrefix("ctrl-") || lower.hasPrefix("c-") {
            let rest = lower.drop(while: { $0 != "-" }).dropFirst()
            if rest.count == 1, let c = rest.first, c.isASCII, c.isLetter {
                self = .ctrl(c)
                return
            }
            return nil
        }
        if lower.hasPrefix("f"), let n = Int(lower.dropFirst()), (1...12).contains(n) {
            self = .function(n)
            return
        }
        return nil
    }
}

/// Levenshtein distance, for "did you mean" on short names.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
