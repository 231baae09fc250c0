import BreakglassAWS
import Yams

/// Reads a runbook file (`runbooks/*.yaml`, docs/RUNBOOKS.md) into a `Runbook`, or throws every
/// problem with its shape: unknown keys, wrong types, bad durations, templates or paths that do not
/// parse, duplicate step ids. Each names the file, line, column and field, in the format of the
/// configuration's errors (the same YAML reader reads both).
///
/// What needs the catalog or the configuration (does the operation exist, are its parameters right,
/// does a template refer to something real, is the role defined) is `RunbookLinter`'s job.
public enum RunbookLoader {
    /// The keys each mapping accepts, in the order docs/RUNBOOKS.md describes them. The JSON schema's
    /// properties are tested against these lists.
    public static let topLevelKeys = ["id", "title", "when", "access", "params", "steps"]
    public static let paramKeys = ["default", "pattern", "description"]
    public static let stepKeys = ["id"] + RunbookStep.kindNames
    public static let checkKeys = ["call", "with", "expect", "explain"]
    public static let doKeys = ["call", "with", "confirm", "explain"]
    public static let waitKeys = ["call", "with", "until", "timeout", "every", "explain"]
    public static let waitAlarmKeys = ["name", "state", "region", "timeout"]
    public static let approveKeys = ["explain", "timeout"]
    public static let pageKeys = ["reason"]
    public static let queryKeys = ["table", "index", "key", "limit", "scan", "reason", "region"]
    /// A key condition's comparisons, as written: `sk: { begins_with: "2024-" }`.
    public static let comparisonKeys = RunbookKeyCondition.Comparison.allCases.map(\.rawValue)

    /// Reads the file at `path`; errors name it `displayPath` (default: `path`).
    public static func load(path: String, displayPath: String? = nil) throws(SourceErrors) -> Runbook {
        try read(try YAMLDocument.read(path: path, displayPath: displayPath))
    }

    /// Reads runbook text; `file` names it in errors and becomes `Runbook.file`.
    public static func parse(_ text: String, file: String) throws(SourceErrors) -> Runbook {
        try read(try YAMLDocument.parse(text, file: file))
    }

    static func read(_ document: YAMLDocument) throws(SourceErrors) -> Runbook {
        guard let root = document.root else {
            throw SourceErrors(SourceError("the file is empty; a runbook needs at least id, title and steps", at: SourceLocation(file: document.file, line: 1, column: 1)))
        }
        var reader = Reader(file: document.file)
        let runbook = reader.readRunbook(root)
        try document.finish()
        guard let runbook else {
            // Every reason a runbook is missing was recorded; this is only reached if one was not.
            throw SourceErrors(SourceError("not a runbook", at: root.location))
        }
        return runbook
    }

    static let topLevelHints = [
        "name": "a runbook's name is its `title` (and `id`)",
        "description": "say when to use the runbook with `when`",
        "role": "the break-glass role a runbook needs is `access`",
        "parameters": "parameters are listed under `params`",
        "inputs": "parameters are listed under `params`",
    ]
    static let stepHints = [
        "explain": "`explain` belongs inside the step's kind, e.g. `do: { call: …, explain: … }`",
        "call": "a call belongs inside a `check`, `do` or `wait`, e.g. `check: { call: rds.DescribeDBClusters }`",
        "with": "`with` belongs inside a `check`, `do` or `wait`, next to `call`",
        "name": "name a step with `id`",
    ]
    static let callHints = [
        "params": "an operation's parameters are written under `with`",
        "input": "an operation's parameters are written under `with`",
        "parameters": "an operation's parameters are written under `with`",
    ]

    private struct Reader {
        let file: String
        var stepIDs: [String: SourceLocation] = [:]

        init(file: String) { self.file = file }

        mutating func readRunbook(_ root: YAMLValue) -> Runbook? {
            guard let top = root.mapping(allowed: RunbookLoader.topLevelKeys, hints: RunbookLoader.topLevelHints, what: "a runbook: a mapping with id, title and steps")
            else { return nil }
            var id: Located<String>?
            if let v = top.required("id"), let s = v.string() {
                if ConfigValues.isIdentifier(s) { id = v.located(s) } else { v.error(Self.identifierMessage("runbook id", s)) }
            }
            let title = top.required("title")?.string()
            let when = top["when"]?.string()
            var access: Located<String>?
            if let v = top["access"], let s = v.string() {
                if ConfigValues.isIdentifier(s) { access = v.located(s) } else { v.error(Self.identifierMessage("role id", s)) }
            }
            let params = top["params"].map(readParams) ?? []
            var steps: [RunbookStep] = []
            if let v = top.required("steps"), let items = v.list(what: "a list of steps") {
                if items.isEmpty { v.error("a runbook needs at least one step") }
                // A step that cannot be read is left out; its problems are recorded, so the runbook is
                // not returned at all and the other steps' indices need not shift.
                for (i, item) in items.enumerated() {
                    if let step = readStep(item, index: i) { steps.append(step) }
                }
            }
            guard let id, let title else { return nil }
            return Runbook(id: id.value, title: title, when: when, access: access, params: params, steps: steps, file: file, location: id.location)
        }

        static func identifierMessage(_ what: String, _ s: String) -> String {
            "\(what) `\(s)` may use only letters, digits, - and _ (and must start with a letter or digit)"
        }

        // MARK: params

        func readParams(_ v: YAMLValue) -> [RunbookParam] {
            guard let entries = v.entries(what: "a mapping of parameter names to parameters, such as { cluster: { default: prod-aurora } }") else { return [] }
            var params: [RunbookParam] = []
            for entry in entries {
                let name = entry.key
                if !ConfigValues.isIdentifier(name) {
                    v.diagnostics.add(SourceError(Self.identifierMessage("parameter name", name), at: entry.keyLocation, field: entry.value.path))
                    continue
                }
                if name == "steps" {
                    v.diagnostics.add(SourceError("`steps` cannot be a parameter's name: {{steps.ID.Path}} refers to a step's output", at: entry.keyLocation, field: entry.value.path))
                    continue
                }
                var param = RunbookParam(name: name, location: entry.keyLocation, field: entry.value.path)
                if entry.value.isNull {
                    params.append(param)
                    continue
                }
                guard let m = entry.value.mapping(allowed: RunbookLoader.paramKeys, what: "a parameter: a mapping with default, pattern and description, such as { default: prod-aurora }")
                else { continue }
                if let d = m["default"], let value = Self.scalar(d) {
                    param.defaultValue = value
                    param.defaultLocation = d.location
                }
                if let p = m["pattern"], let text = p.string() {
                    do {
                        _ = try Regex(text)
                        param.pattern = p.located(text)
                    } catch {
                        p.error("not a regular expression: \(error)")
                    }
                }
                param.description = m["description"]?.string()
                params.append(param)
            }
            return params
        }

        /// A parameter's default: text, a number or a boolean.
        static func scalar(_ v: YAMLValue) -> AWSValue? {
            guard let value = RunbookLoader.value(v) else { return nil }
            switch value.kind {
            case .text(let t) where t.references.isEmpty: return .string(t.source)
            case .text: v.error("a default cannot use {{…}}; write the value itself")
            case .number(let n): return .number(n)
            case .bool(let b): return .bool(b)
            case .null, .list, .mapping: v.expected("text, a number or true/false")
            }
            return nil
        }

        // MARK: steps

        mutating func readStep(_ item: YAMLValue, index: Int) -> RunbookStep? {
            guard let m = item.mapping(allowed: RunbookLoader.stepKeys, hints: RunbookLoader.stepHints,
                                       what: "a step: a mapping with one of \(RunbookStep.kindNames.joined(separator: ", "))")
            else { return nil }
            var id: Located<String>?
            if let v = m["id"], let s = v.string() {
                if !ConfigValues.isIdentifier(s) {
                    v.error(Self.identifierMessage("step id", s))
                } else if let first = stepIDs[s] {
                    v.error("step id `\(s)` is already used by the step at line \(first.line)")
                } else {
                    stepIDs[s] = v.location
                    id = v.located(s)
                }
            }
            // A misspelled kind (`chek:`) was already reported with a suggestion; "found none" would
            // only repeat it.
            if !m.keys.contains(where: { RunbookStep.kindNames.contains($0) }), RunbookStep.kindNames.contains(where: { m.reportedAsMisspelled($0) }) {
                return nil
            }
            guard let entry = m.exactlyOne(of: RunbookStep.kindNames) else { return nil }
            let v = entry.value
            let kind: RunbookStep.Kind?
            switch entry.key {
            case "say": kind = RunbookLoader.template(v).map { .say($0) }
            case "check": kind = readCheck(v).map { .check($0) }
            case "do": kind = readDo(v).map { .do($0) }
            case "wait": kind = readWait(v).map { .wait($0) }
            case "wait_alarm": kind = readWaitAlarm(v).map { .waitAlarm($0) }
            case "approve": kind = readApprove(v).map { .approve($0) }
            case "page": kind = readPage(v).map { .page($0) }
            case "query": kind = readQuery(v).map { .query($0) }
            default: kind = nil
            }
            guard let kind else { return nil }
            return RunbookStep(index: index, id: id, kind: kind, location: item.location, field: item.path)
        }

        func readCall(_ m: YAMLMapping) -> RunbookCall? {
            let withValue = m["with"]
            var input: [RunbookMember]?
            if let w = withValue {
                if RunbookLoader.isUnquotedTemplate(w) {
                    w.error(RunbookLoader.unquotedTemplateMessage)
                } else if let entries = w.entries(what: "a mapping of the operation's parameters, such as { DBClusterIdentifier: \"{{cluster}}\" }") {
                    input = entries.compactMap { e in RunbookLoader.value(e.value).map { RunbookMember(key: e.key, keyLocation: e.keyLocation, value: $0) } }
                }
            }
            guard let c = m.required("call"), let text = c.string() else { return nil }
            let pieces = text.split(separator: ".", omittingEmptySubsequences: false)
            let namePart = /[A-Za-z0-9-]+/
            guard pieces.count == 2, pieces.allSatisfy({ $0.wholeMatch(of: namePart) != nil }) else {
                c.expected("an operation as service.Operation, e.g. rds.FailoverDBCluster")
                return nil
            }
            if withValue != nil && input == nil { return nil }
            return RunbookCall(
                operation: RunbookOperation(service: String(pieces[0]), name: String(pieces[1])), location: c.location, field: c.path,
                input: input ?? [], inputLocation: withValue?.location, inputField: m.value.path.appending(key: "with"))
        }

        func readExpectations(_ v: YAMLValue, key: String) -> [RunbookExpectation]? {
            guard let entries = v.entries(what: "a mapping of paths in the answer to the values they must have, such as { \"DBClusters[0].Status\": available }")
            else { return nil }
            if entries.isEmpty { v.error("list at least one path and the value it must have, or leave `\(key)` out") }
            var out: [RunbookExpectation] = []
            var ok = true
            for e in entries {
                let path: AWSPath
                do {
                    path = try AWSPath(e.key)
                } catch {
                    v.diagnostics.add(SourceError("`\(e.key)` is not a path into the answer: \(error.reason) (at character \(error.offset + 1)); paths look like DBClusters[0].Status", at: e.keyLocation, field: e.value.path))
                    ok = false
                    continue
                }
                guard let value = RunbookLoader.value(e.value) else {
                    ok = false
                    continue
                }
                out.append(RunbookExpectation(path: path, value: value, location: e.keyLocation, field: e.value.path))
            }
            return ok ? out : nil
        }

        /// Reads an optional key with `read`; a value that is written but wrong sets `failed`.
        func optional<T>(_ v: YAMLValue?, _ failed: inout Bool, _ read: (YAMLValue) -> T?) -> T? {
            guard let v else { return nil }
            let value = read(v)
            if value == nil { failed = true }
            return value
        }

        func readCheck(_ v: YAMLValue) -> RunbookStep.Check? {
            guard let m = v.mapping(allowed: RunbookLoader.checkKeys, hints: RunbookLoader.callHints, what: "a check: a mapping with call, with and expect") else { return nil }
            var failed = false
            let call = readCall(m)
            let expect = optional(m["expect"], &failed) { readExpectations($0, key: "expect") }
            let explain = optional(m["explain"], &failed, RunbookLoader.template)
            guard let call, !failed else { return nil }
            return RunbookStep.Check(call: call, expect: expect ?? [], explain: explain)
        }

        func readDo(_ v: YAMLValue) -> RunbookStep.Do? {
            guard let m = v.mapping(allowed: RunbookLoader.doKeys, hints: RunbookLoader.callHints, what: "a do: a mapping with call, with, confirm and explain") else { return nil }
            var failed = false
            let call = readCall(m)
            let confirm = optional(m["confirm"], &failed) { c in
                c.oneOf(RunbookStep.Confirmation.allCases.map(\.rawValue)).flatMap(RunbookStep.Confirmation.init(rawValue:))
            }
            let explain = optional(m["explain"], &failed, RunbookLoader.template)
            guard let call, !failed else { return nil }
            return RunbookStep.Do(call: call, confirm: confirm ?? .yes, explain: explain)
        }

        func readWait(_ v: YAMLValue) -> RunbookStep.Wait? {
            guard let m = v.mapping(allowed: RunbookLoader.waitKeys, hints: RunbookLoader.callHints, what: "a wait: a mapping with call, with, until and timeout") else { return nil }
            var failed = false
            let call = readCall(m)
            let until = m.required("until").flatMap { readExpectations($0, key: "until") }
            let timeout = m.required("timeout")?.duration(minimum: .seconds(1))
            let every = optional(m["every"], &failed) { $0.duration(minimum: .seconds(1)) } ?? RunbookStep.Wait.defaultEvery
            if let e = m["every"], let timeout, every > timeout {
                e.error("calling every \(DurationSyntax.format(every)) is less often than the timeout, \(DurationSyntax.format(timeout)); make `every` shorter")
                failed = true
            }
            let explain = optional(m["explain"], &failed, RunbookLoader.template)
            guard let call, let until, let timeout, !failed else { return nil }
            return RunbookStep.Wait(call: call, until: until, timeout: timeout, every: every, explain: explain)
        }

        func readWaitAlarm(_ v: YAMLValue) -> RunbookStep.WaitAlarm? {
            guard let m = v.mapping(allowed: RunbookLoader.waitAlarmKeys, what: "a wait_alarm: a mapping with name, state and timeout") else { return nil }
            var failed = false
            let name = m.required("name").flatMap(RunbookLoader.template)
            let state = m.required("state")?.oneOf(AlarmState.allCases.map(\.rawValue)).flatMap(AlarmState.init(rawValue:))
            let region = optional(m["region"], &failed, RunbookLoader.region)
            let timeout = m.required("timeout")?.duration(minimum: .seconds(1))
            guard let name, let state, let timeout, !failed else { return nil }
            return RunbookStep.WaitAlarm(name: name, state: state, region: region, timeout: timeout)
        }

        func readApprove(_ v: YAMLValue) -> RunbookStep.Approve? {
            guard let m = v.mapping(allowed: RunbookLoader.approveKeys, what: "an approve: a mapping with explain (what the approver must check)") else { return nil }
            var failed = false
            let explain = m.required("explain").flatMap(RunbookLoader.template)
            let timeout = optional(m["timeout"], &failed) { $0.duration(minimum: .seconds(1)) }
            guard let explain, !failed else { return nil }
            return RunbookStep.Approve(explain: explain, timeout: timeout)
        }

        func readPage(_ v: YAMLValue) -> RunbookStep.Page? {
            guard let m = v.mapping(allowed: RunbookLoader.pageKeys, what: "a page: a mapping with reason, such as { reason: Still failing after failover }") else { return nil }
            guard let reason = m.required("reason").flatMap(RunbookLoader.template) else { return nil }
            return RunbookStep.Page(reason: reason)
        }

        func readQuery(_ v: YAMLValue) -> RunbookStep.Query? {
            guard let m = v.mapping(allowed: RunbookLoader.queryKeys, what: "a query: a mapping with table, key and limit") else { return nil }
            var failed = false
            let table = m.required("table").flatMap(RunbookLoader.template)
            let index = optional(m["index"], &failed, RunbookLoader.template)
            let key = optional(m["key"], &failed, readKey)
            let limit = m.required("limit")?.int(in: 1...1000)
            let scan = optional(m["scan"], &failed) { $0.bool() }
            let reason = optional(m["reason"], &failed) { $0.string() }
            let region = optional(m["region"], &failed, RunbookLoader.region)
            guard let table, let limit, !failed else { return nil }
            return RunbookStep.Query(
                table: table, index: index, key: key ?? [], keyLocation: m["key"]?.location, limit: limit, scan: scan ?? false,
                scanLocation: m["scan"]?.location, reason: reason, region: region, location: v.location, field: v.path)
        }

        func readKey(_ v: YAMLValue) -> [RunbookKeyCondition]? {
            if RunbookLoader.isUnquotedTemplate(v) {
                v.error(RunbookLoader.unquotedTemplateMessage)
                return nil
            }
            guard let entries = v.entries(what: "a mapping of key attributes to values, such as { pk: \"{{customer}}\" }") else { return nil }
            var out: [RunbookKeyCondition] = []
            var ok = true
            for e in entries {
                if e.value.isMapping && !RunbookLoader.isUnquotedTemplate(e.value) {
                    // { begins_with: x }, { between: [a, b] }, { ">=": x }
                    guard let cm = e.value.mapping(allowed: RunbookLoader.comparisonKeys, what: "a condition") else {
                        ok = false
                        continue
                    }
                    guard cm.entries.count == 1, let c = cm.entries.first, let comparison = RunbookKeyCondition.Comparison(rawValue: c.key) else {
                        if cm.entries.count > 1 { e.value.error("a key condition has one comparison; found \(cm.keys.joined(separator: ", "))") }
                        else if cm.rejections.isEmpty { e.value.error("expected one comparison: \(RunbookLoader.comparisonKeys.joined(separator: ", "))") }
                        ok = false
                        continue
                    }
                    var values: [RunbookValue] = []
                    if comparison == .between {
                        guard let items = c.value.list(what: "a list of two values, low and high, such as [\"2024-12-01\", \"2024-12-31\"]") else {
                            ok = false
                            continue
                        }
                        if items.count != 2 {
                            c.value.error("between takes two values, low and high; found \(items.count)")
                            ok = false
                            continue
                        }
                        values = items.compactMap(keyValue)
                        if values.count != 2 { ok = false; continue }
                    } else {
                        guard let value = keyValue(c.value) else { ok = false; continue }
                        values = [value]
                    }
                    out.append(RunbookKeyCondition(attribute: e.key, comparison: comparison, values: values, location: e.keyLocation, field: e.value.path))
                } else {
                    guard let value = keyValue(e.value) else { ok = false; continue }
                    out.append(RunbookKeyCondition(attribute: e.key, comparison: .equal, values: [value], location: e.keyLocation, field: e.value.path))
                }
            }
            return ok ? out : nil
        }

        /// A key condition's value: text (a template) or a number.
        func keyValue(_ v: YAMLValue) -> RunbookValue? {
            guard let value = RunbookLoader.value(v) else { return nil }
            switch value.kind {
            case .text, .number: return value
            default:
                v.expected("text or a number (DynamoDB keys are strings or numbers)")
                return nil
            }
        }
    }

    // MARK: Values

    /// Text, parsed as a template.
    static func template(_ v: YAMLValue) -> RunbookTemplate? {
        if isUnquotedTemplate(v) {
            v.error(unquotedTemplateMessage)
            return nil
        }
        guard let text = v.string() else { return nil }
        do {
            return try RunbookTemplate(parsing: text, at: v.location, field: v.path)
        } catch {
            v.error(error.description)
            return nil
        }
    }

    static func region(_ v: YAMLValue) -> String? {
        guard let s = v.string() else { return nil }
        guard ConfigValues.isRegion(s) else {
            v.expected("an AWS region such as us-east-1")
            return nil
        }
        return s
    }

    static let unquotedTemplateMessage = "a template must be quoted: YAML reads an unquoted {{…}} as a mapping; write \"{{name}}\""

    /// `key: {{cluster}}` without quotes: YAML reads a flow mapping whose key is another mapping.
    static func isUnquotedTemplate(_ v: YAMLValue) -> Bool {
        guard case .mapping(let m) = v.node, m.count == 1, let first = m.first, case .mapping = first.key else { return false }
        return true
    }

    /// Any value written in a runbook (a call's `with`, an expected value), with templates parsed.
    static func value(_ v: YAMLValue) -> RunbookValue? {
        switch v.node {
        case .scalar(let s):
            if v.isNull { return RunbookValue(.null, location: v.location, field: v.path) }
            if s.style == .plain || s.style == .any {
                switch YAMLValue.tagName(v.node) {
                case .int, .float:
                    guard RunbookText.isNumber(s.string) else {
                        v.expected("a number written in decimal, such as 8 or 0.5", suffix: "; quote it if it is text")
                        return nil
                    }
                    return RunbookValue(.number(s.string), location: v.location, field: v.path)
                case .bool:
                    guard let b = v.bool() else { return nil }
                    return RunbookValue(.bool(b), location: v.location, field: v.path)
                default:
                    break
                }
            }
            guard let t = template(v) else { return nil }
            return RunbookValue(.text(t), location: v.location, field: v.path)
        case .sequence:
            guard let items = v.list() else { return nil }
            let values = items.compactMap(value)
            return values.count == items.count ? RunbookValue(.list(values), location: v.location, field: v.path) : nil
        case .mapping:
            if isUnquotedTemplate(v) {
                v.error(unquotedTemplateMessage)
                return nil
            }
            guard let entries = v.entries() else { return nil }
            let members = entries.compactMap { e in value(e.value).map { RunbookMember(key: e.key, keyLocation: e.keyLocation, value: $0) } }
            return members.count == entries.count ? RunbookValue(.mapping(members), location: v.location, field: v.path) : nil
        case .alias:
            v.expected("a value")
            return nil
        }
    }
}
