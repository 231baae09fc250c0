import BreakglassAWS
import Foundation

/// Runbooks for people and machines: the `runbook list` table, `runbook show` in plain language, and
/// both as JSON. Runbook text is untrusted (anyone may drop a file in a runbook folder), so all of it
/// is sanitised before a terminal sees it.
public enum RunbookListing {
    // MARK: list

    /// One row per runbook: id, title, access role, number of steps, file. Fitted to `width` by
    /// shortening titles.
    public static func table(_ entries: [(runbook: Runbook, file: String)], width: Int) -> String {
        let header = ["ID", "TITLE", "ACCESS", "STEPS", "FILE"]
        let rows = entries.map { e in
            [e.runbook.id, e.runbook.title, e.runbook.access?.value ?? "-", String(e.runbook.steps.count), e.file].map(TerminalText.sanitize)
        }
        var widths = header.map(TerminalText.width)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], TerminalText.width(cell)) }
        }
        let others = widths.enumerated().filter { $0.offset != 1 }.map(\.element).reduce(0, +) + 2 * (header.count - 1)
        widths[1] = max(min(widths[1], width - others), 12)
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                i == cells.count - 1 ? cell : TerminalText.pad(cell, toWidth: widths[i], alignment: i == 3 ? .trailing : .leading)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    /// `[{id, title, when, access, steps, params, file}]`.
    public static func listJSON(_ entries: [(runbook: Runbook, file: String)]) -> AWSValue {
        .array(entries.map { e in
            var o = AWSObject()
            o["id"] = .string(e.runbook.id)
            o["title"] = .string(e.runbook.title)
            o["when"] = e.runbook.when.map(AWSValue.string) ?? .null
            o["access"] = e.runbook.access.map { .string($0.value) } ?? .null
            o["steps"] = .int(e.runbook.steps.count)
            o["params"] = .array(e.runbook.params.map { .string($0.name) })
            o["file"] = .string(e.file)
            return .object(o)
        })
    }

    // MARK: show

    /// The runbook in plain language: what it is for, its parameters, then each step with what it
    /// does and, for calls, the exact operation and input. Templates are shown as written.
    public static func show(_ runbook: Runbook, file: String, width: Int = 100) -> String {
        let width = max(width, 40)
        var out: [String] = []
        /// `text` wrapped to the width: the first line starts at `indent` after `prefix`, the others at
        /// `hanging`.
        func add(_ text: String, indent: Int, hanging: Int? = nil, prefix: String = "") {
            let clean = TerminalText.sanitize(text)
            let hanging = hanging ?? indent + prefix.count
            let lines = TerminalText.wrap(clean, toWidth: width - hanging)
            for (i, l) in lines.enumerated() {
                out.append(i == 0 ? String(repeating: " ", count: indent) + prefix + l : String(repeating: " ", count: hanging) + l)
            }
            if lines.isEmpty { out.append(String(repeating: " ", count: indent) + prefix) }
        }
        add("\(runbook.id): \(runbook.title)", indent: 0)
        if let when = runbook.when { add("When: \(when)", indent: 2, hanging: 8) }
        add("Access: " + (runbook.access.map { "\($0.value) (a break-glass role; its credentials can make only the calls below)" } ?? "none: runs with your own credentials"), indent: 2, hanging: 10)
        add("File: \(file)", indent: 2, hanging: 8)
        if !runbook.params.isEmpty {
            out.append("")
            out.append("Parameters (a run may give other values)")
            for p in runbook.params {
                var text = p.name + ": "
                text += p.defaultValue.map { "default " + (RunbookText.scalarText($0) ?? "") } ?? "no default, a value must be given"
                if let pattern = p.pattern { text += "; must match \(pattern.value)" }
                add(text, indent: 2, hanging: 4)
                if let d = p.description { add(d, indent: 4) }
            }
        }
        out.append("")
        out.append("Steps")
        let number = String(runbook.steps.count).count
        for step in runbook.steps {
            let label = TerminalText.pad(String(step.index + 1), toWidth: number, alignment: .trailing) + ". "
            let lines = describe(step)
            add(lines.headline, indent: 2, prefix: label)
            for detail in lines.details { add(detail, indent: 2 + label.count + 2, hanging: 2 + label.count + 4) }
        }
        return out.joined(separator: "\n")
    }

    /// A step in plain words: a headline saying what happens and whether it changes anything, then
    /// details (the call's input, what is expected, the explanation). Not sanitised; `show` does that.
    public static func describe(_ step: RunbookStep) -> (headline: String, details: [String]) {
        var details: [String] = []
        let headline: String
        func input(_ call: RunbookCall) {
            for member in call.input { details.append("\(member.key): \(shown(member.value.written))") }
        }
        func expectations(_ list: [RunbookExpectation], _ verb: String) {
            for e in list { details.append("\(verb) \(e.path.text) is \(shown(e.value.written))") }
        }
        switch step.kind {
        case .say(let t):
            headline = "Read and do: \(t.source)"
        case .check(let c):
            headline = "Check, reading only (runs without asking): \(c.call.operation)"
            input(c.call)
            expectations(c.expect, "Expects")
            if let e = c.explain { details.append(e.source) }
        case .do(let d):
            let confirm: String
            switch d.confirm {
            case .yes: confirm = "asks yes or no first"
            case .type:
                let name = d.call.resourceMember.map { "the name \(shown($0.value.written))" } ?? "the resource's name"
                confirm = "asks you to type \(name) first"
            }
            headline = "Change something in AWS (\(confirm)): \(d.call.operation)"
            input(d.call)
            if let e = d.explain { details.append(e.source) }
        case .wait(let w):
            headline = "Wait, reading \(w.call.operation) every \(DurationSyntax.format(w.every)) for up to \(DurationSyntax.format(w.timeout))"
            input(w.call)
            expectations(w.until, "Until")
            if let e = w.explain { details.append(e.source) }
        case .waitAlarm(let w):
            let region = w.region.map { " in \($0)" } ?? ""
            headline = "Wait for the alarm \(w.name.source)\(region) to be \(w.state.rawValue), for up to \(DurationSyntax.format(w.timeout))."
        case .approve(let a):
            let timeout = a.timeout.map { " (waits up to \(DurationSyntax.format($0)))" } ?? ""
            headline = "A second person approves from their own console\(timeout): \(a.explain.source)"
        case .page(let p):
            headline = "Page the next escalation stage now: \(p.reason.source)"
        case .query(let q):
            let index = q.index.map { ", index \($0.source)" } ?? ""
            if q.scan {
                headline = "Read the whole table \(q.table.source)\(index) (a DynamoDB scan, at most \(q.limit) items)"
                if let r = q.reason { details.append("Why a scan is acceptable: \(r)") }
            } else {
                let conditions = q.key.map { c -> String in
                    let values = c.values.map { shown($0.written) }
                    switch c.comparison {
                    case .beginsWith: return "\(c.attribute) begins with \(values.first ?? "")"
                    case .between: return "\(c.attribute) between \(values.first ?? "") and \(values.last ?? "")"
                    default: return "\(c.attribute) \(c.comparison.rawValue) \(values.first ?? "")"
                    }
                }.joined(separator: " and ")
                headline = "Look up items in the DynamoDB table \(q.table.source)\(index) where \(conditions), at most \(q.limit), reading only"
            }
        }
        if let id = step.id, step.recordsOutput { details.append("Its answer is kept as steps.\(id.value) for the steps after it.") }
        return (headline, details)
    }

    /// A value as a person reads it: text as is, anything else as compact JSON.
    static func shown(_ value: AWSValue) -> String {
        RunbookText.scalarText(value) ?? JSON.encode(value)
    }

    /// The whole runbook as data: id, title, when, access, file, params and every step with its kind,
    /// call, input (templates as written) and settings.
    public static func showJSON(_ runbook: Runbook, file: String) -> AWSValue {
        var o = AWSObject()
        o["id"] = .string(runbook.id)
        o["title"] = .string(runbook.title)
        o["when"] = runbook.when.map(AWSValue.string) ?? .null
        o["access"] = runbook.access.map { .string($0.value) } ?? .null
        o["file"] = .string(file)
        o["params"] = .array(runbook.params.map { p in
            var po = AWSObject()
            po["name"] = .string(p.name)
            po["default"] = p.defaultValue ?? .null
            po["pattern"] = p.pattern.map { .string($0.value) } ?? .null
            po["description"] = p.description.map(AWSValue.string) ?? .null
            return .object(po)
        })
        o["steps"] = .array(runbook.steps.map(stepJSON))
        return .object(o)
    }

    static func stepJSON(_ step: RunbookStep) -> AWSValue {
        var o = AWSObject()
        o["number"] = .int(step.index + 1)
        o["id"] = step.id.map { .string($0.value) } ?? .null
        o["kind"] = .string(step.kindName)
        o["description"] = .string(describe(step).headline)
        func call(_ c: RunbookCall) {
            o["call"] = .string(c.operation.description)
            o["with"] = .object(AWSObject(c.input.map { ($0.key, $0.value.written) }))
        }
        func expectations(_ list: [RunbookExpectation]) -> AWSValue {
            .object(AWSObject(list.map { ($0.path.text, $0.value.written) }))
        }
        func text(_ t: RunbookTemplate?) -> AWSValue { t.map { .string($0.source) } ?? .null }
        switch step.kind {
        case .say(let t):
            o["text"] = .string(t.source)
        case .check(let c):
            call(c.call)
            o["expect"] = expectations(c.expect)
            o["explain"] = text(c.explain)
        case .do(let d):
            call(d.call)
            o["confirm"] = .string(d.confirm.rawValue)
            o["explain"] = text(d.explain)
        case .wait(let w):
            call(w.call)
            o["until"] = expectations(w.until)
            o["timeout"] = .string(DurationSyntax.format(w.timeout))
            o["every"] = .string(DurationSyntax.format(w.every))
            o["explain"] = text(w.explain)
        case .waitAlarm(let w):
            o["name"] = .string(w.name.source)
            o["state"] = .string(w.state.rawValue)
            o["region"] = w.region.map(AWSValue.string) ?? .null
            o["timeout"] = .string(DurationSyntax.format(w.timeout))
        case .approve(let a):
            o["explain"] = .string(a.explain.source)
            o["timeout"] = a.timeout.map { .string(DurationSyntax.format($0)) } ?? .null
        case .page(let p):
            o["reason"] = .string(p.reason.source)
        case .query(let q):
            o["table"] = .string(q.table.source)
            o["index"] = text(q.index)
            o["key"] = .object(AWSObject(q.key.map { c in
                let values = c.values.map(\.written)
                let first = values.first ?? .null
                let value: AWSValue = c.comparison == .equal ? first : [c.comparison.rawValue: c.comparison == .between ? .array(values) : first]
                return (c.attribute, value)
            }))
            o["limit"] = .int(q.limit)
            o["scan"] = .bool(q.scan)
            o["reason"] = q.reason.map(AWSValue.string) ?? .null
            o["region"] = q.region.map(AWSValue.string) ?? .null
        }
        return .object(o)
    }

    // MARK: lint

    /// `[{file, line, column, field, message}]`.
    public static func problemsJSON(_ problems: [SourceError]) -> AWSValue {
        .array(problems.map { p in
            var o = AWSObject()
            o["file"] = .string(p.file)
            o["line"] = .int(p.line)
            o["column"] = .int(p.column)
            o["field"] = p.field.isRoot ? .null : .string(p.field.description)
            o["message"] = .string(p.message)
            return .object(o)
        })
    }
}
