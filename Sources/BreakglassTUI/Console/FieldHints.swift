/// A key the focused text field answers, and what it does there, for the footer.
public struct FieldHint: Hashable, Sendable {
    public var key: String
    public var description: String

    public init(_ key: String, _ description: String) {
        self.key = key
        self.description = description
    }
}

extension ConsoleState {
    /// The keys of the text field that has the keyboard, when one has. While a field is open the
    /// keymap's letters (`q`, `?`, `:`) are typed into it, so the footer shows what the field itself
    /// does instead of hints that would not work. These keys are the fields' own, not the keymap's
    /// (rebinding `quit` does not change what Enter does in a field).
    public var fieldHints: [FieldHint]? {
        if case .command? = overlay {
            return [FieldHint("Tab", "complete"), FieldHint("Enter", "run"), FieldHint("Esc", "cancel")]
        }
        guard overlay == nil, !layout.isTooSmall else { return nil }
        if guided || view == .runbook, !runbook.showingPicker, let form = runbook.open?.form {
            if guided {
                let last = form.focus + 1 >= form.fields.count
                return [FieldHint("Enter", last ? "start" : "next"), FieldHint("Esc", "back"), FieldHint("^U", "clear")]
            }
            return [FieldHint("Enter", "start"), FieldHint("Tab", "next field"), FieldHint("Esc", "cancel"), FieldHint("^U", "clear")]
        }
        if guided || view == .runbook {
            switch runbook.prompt {
            case .confirmTyped?:
                // Guided mode keeps the backup on the step: Esc only clears what was typed.
                return [FieldHint("Enter", "send"), FieldHint("Esc", guided ? "clear" : "not now"), FieldHint("^U", "clear")]
            case .resendTyped?:
                return [FieldHint("Enter", "send again"), FieldHint("Esc", "cancel"), FieldHint("^U", "clear")]
            default:
                return nil
            }
        }
        switch view {
        case .alarms where alarmsView.editingFilter:
            return [FieldHint("Enter", "keep filter"), FieldHint("Esc", "clear filter"), FieldHint("^U", "clear"), FieldHint("Up/Down", "move")]
        case .incidents:
            guard case .snooze? = incidents.prompt else { return nil }
            return [FieldHint("Enter", "snooze"), FieldHint("Esc", "cancel"), FieldHint("^U", "clear")]
        case .access where [.reason, .duration, .mfa].contains(access.step):
            return [FieldHint("Enter", "next"), FieldHint("Esc", "back"), FieldHint("^U", "clear")]
        default:
            return nil
        }
    }
}
