import BreakglassCore

// The configuration's `console:` section in the console's terms: `console.keys` applied to the
// keymap, `console.color` as a colour policy. Owned by the themes helper (issue 7).

extension Keymap {
    /// This keymap after the configuration's `console.keys` (`Keymap.rebinding`), with each problem
    /// where it is written: an unknown action at the action, a key name that is not one at the key,
    /// a key that would do two things where both apply (in one scope, or one a screen's own binding
    /// would hide) at the key the configuration wrote.
    public func applying(_ overrides: [BreakglassCore.KeyBinding]) throws(SourceErrors) -> Keymap {
        guard !overrides.isEmpty else { return self }
        func field(_ o: BreakglassCore.KeyBinding) -> FieldPath { FieldPath([.key("console"), .key("keys"), .key(o.action.value)]) }

        // Each entry on its own: unknown actions and key names, with rebinding's own words.
        var errors: [SourceError] = []
        for o in overrides {
            do {
                _ = try rebinding([(o.action.value, o.keys.map(\.value))])
            } catch {
                if ConsoleAction(rawValue: o.action.value) == nil || o.keys.isEmpty {
                    errors.append(SourceError(error.message, at: o.action.location, field: field(o)))
                } else if let bad = o.keys.first(where: { Key(name: $0.value) == nil }) {
                    errors.append(SourceError(error.message, at: bad.location, field: field(o)))
                }
                // Otherwise a clash that only the whole set decides (`up: j` with `down: k`): below.
            }
        }
        if !errors.isEmpty { throw SourceErrors(errors) }

        let all = overrides.map { (action: $0.action.value, keys: $0.keys.map(\.value)) }
        do {
            return try rebinding(all)
        } catch {
            // Put the clash at the key the configuration wrote for one of the two actions.
            let clashes = Self.clashes(in: Self.rebound(bindings, overrides))
            let clash = clashes.first { "key \($0.key.label) is bound to both \($0.first) and \($0.second)" == error.message } ?? clashes.first
            let culprit = clash.flatMap { clash in
                overrides.last { o in [clash.first, clash.second].contains(o.action.value) && o.keys.contains { Key(name: $0.value) == clash.key } }
            }
            let location = culprit.flatMap { o in o.keys.last { Key(name: $0.value) == clash?.key }?.location } ?? overrides[0].action.location
            throw SourceErrors(SourceError(error.message, at: location, field: field(culprit ?? overrides[0])))
        }
    }

    /// `bindings` with the keys `overrides` give (known actions and key names only).
    private static func rebound(_ bindings: [BreakglassTUI.KeyBinding], _ overrides: [BreakglassCore.KeyBinding]) -> [BreakglassTUI.KeyBinding] {
        var bindings = bindings
        for o in overrides {
            guard let action = ConsoleAction(rawValue: o.action.value) else { continue }
            let keys = o.keys.compactMap { Key(name: $0.value) }
            for i in bindings.indices where bindings[i].action == action { bindings[i].keys = keys }
        }
        return bindings
    }

    /// Every key that does two things where both apply: twice in one scope, or in two scopes a screen
    /// sees together (global, list, its own). Each pair in both orders, to match the keymap's message.
    private static func clashes(in bindings: [BreakglassTUI.KeyBinding]) -> [(key: Key, first: String, second: String)] {
        var found: [(key: Key, first: String, second: String)] = []
        for (i, a) in bindings.enumerated() {
            for b in bindings[(i + 1)...] where a.action != b.action {
                guard seenTogether(a.scope, b.scope) else { continue }
                for key in a.keys where b.keys.contains(key) {
                    found.append((key, a.action.rawValue, b.action.rawValue))
                    found.append((key, b.action.rawValue, a.action.rawValue))
                }
            }
        }
        return found
    }

    /// Whether some screen looks keys up in both scopes.
    private static func seenTogether(_ a: KeyScope, _ b: KeyScope) -> Bool {
        switch (a, b) {
        case (.guided, .guided): true
        case (.guided, _), (_, .guided): false
        case (.view(let x), .view(let y)): x == y
        default: true
        }
    }
}

extension ColorPolicy {
    /// The configuration's `console.color`.
    public init(_ setting: ConsoleColor) {
        switch setting {
        case .auto: self = .auto
        case .never: self = .never
        case .always: self = .always
        }
    }
}
