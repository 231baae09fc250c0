import BreakglassAWS
import BreakglassCore
import Foundation

// The parameter form (issue 7): a runbook whose parameters cannot all be taken from their defaults
// (one has none, or a default does not match its pattern) asks for them before its first run, one
// field per parameter, prefilled with the defaults, each checked against its pattern.

/// The values of a new run's parameters being typed.
public struct RunbookParamForm: Hashable, Sendable {
    public struct Field: Hashable, Sendable {
        public var name: String
        /// What the value is (the runbook's `description`), untrusted.
        public var description: String?
        /// The regular expression the value must match, as written.
        public var pattern: String?
        /// The default, as text; the field starts with it.
        public var defaultText: String?
        public var text: String
        /// What was wrong with the value when it was last checked; cleared by typing.
        public var error: String?
    }

    public var fields: [Field]
    /// The field with the cursor.
    public var focus = 0

    /// At most this many characters in a field.
    public static let maximumLength = 256

    public init(_ runbook: Runbook) {
        fields = runbook.params.map { param in
            let text = param.defaultValue.flatMap(ConsoleState.scalarText)
            return Field(name: param.name, description: param.description, pattern: param.pattern?.value, defaultText: text, text: text ?? "")
        }
    }

    /// Whether a new run of `runbook` must ask: some parameter has no usable default.
    public static func needed(_ runbook: Runbook) -> Bool {
        if case .failure = RunbookParams.resolve(runbook, given: [:]) { return true }
        return false
    }

    /// What is wrong with `field`'s value for `runbook`, in words for the person typing it;
    /// nil when it is fine.
    static func problem(_ field: Field, in runbook: Runbook) -> String? {
        guard let param = runbook.param(field.name) else { return "runbook \(runbook.id) has no parameter `\(field.name)`" }
        if field.text.isEmpty { return "a value is required" }
        guard let value = param.value(fromText: field.text) else {
            if case .bool? = param.defaultValue { return "must be true or false" }
            return "must be a number"
        }
        if !param.accepts(value), let pattern = param.pattern {
            return "does not match the pattern \(pattern.value)"
        }
        return nil
    }

    /// Every field's value, by name.
    var values: [String: String] {
        Dictionary(fields.map { ($0.name, $0.text) }, uniquingKeysWith: { first, _ in first })
    }
}

extension ConsoleState {
    /// A key while the parameter form is open: it takes every key. Characters type into the field
    /// with the cursor, Backspace deletes, Ctrl-U clears, Tab/Down and Shift-Tab/Up move between
    /// fields (checking the one left), Enter checks every field and, when all are right, goes on
    /// as `n` does: access first if the runbook needs a grant none covers, else the run (in guided
    /// mode Enter goes on to the next field first), Esc closes the form (in guided
    /// mode it goes back a field: there is no way out of the runbook but quitting).
    mutating func paramFormKey(_ key: Key, now: Date) -> [ConsoleEffect]? {
        guard let open = runbook.open, var form = open.form else { return nil }
        let last = form.fields.count - 1
        switch key {
        case .char(let c):
            if form.fields[form.focus].text.count < RunbookParamForm.maximumLength { form.fields[form.focus].text.append(c) }
            form.fields[form.focus].error = nil
        case .backspace, .delete:
            if !form.fields[form.focus].text.isEmpty { form.fields[form.focus].text.removeLast() }
            form.fields[form.focus].error = nil
        case .ctrl("u"):
            form.fields[form.focus].text = ""
            form.fields[form.focus].error = nil
        case .tab, .down:
            form.fields[form.focus].error = RunbookParamForm.problem(form.fields[form.focus], in: open.runbook)
            form.focus = form.focus == last ? 0 : form.focus + 1
        case .backTab, .up:
            form.fields[form.focus].error = RunbookParamForm.problem(form.fields[form.focus], in: open.runbook)
            form.focus = form.focus == 0 ? last : form.focus - 1
        case .escape:
            if guided {
                form.focus = max(0, form.focus - 1)
            } else {
                runbook.open?.form = nil
                message = ConsoleMessage("\(open.runbook.id) not started")
                return []
            }
        case .enter:
            if guided, form.focus < last {
                // One question at a time: this one must be right before the next.
                form.fields[form.focus].error = RunbookParamForm.problem(form.fields[form.focus], in: open.runbook)
                if form.fields[form.focus].error == nil { form.focus += 1 }
                break
            }
            for i in form.fields.indices { form.fields[i].error = RunbookParamForm.problem(form.fields[i], in: open.runbook) }
            if let wrong = form.fields.firstIndex(where: { $0.error != nil }) {
                form.focus = wrong
                break
            }
            runbook.open?.form = nil
            runbook.open?.params = form.values
            // On the runbook screen, the run may still need access first (goOn offers it).
            return guided ? startRun() : goOn(now: now)
        case .resize, .ctrl("l"):
            return nil
        default:
            break
        }
        runbook.open?.form = form
        return []
    }
}
