import BreakglassAWS
import Foundation
import Yams

/// Turns a read `SSMDocument` into runbook YAML, recording every part it cannot convert.
struct Converter {
    typealias Node = SSMImportYAML.Node
    typealias Entry = SSMImportYAML.Entry
    typealias Item = SSMImportYAML.Item

    let document: SSMDocument
    var problems: [SSMImport.Unconvertible] = []
    /// SSM parameter name -> the runbook's parameter name.
    var paramNames: [String: String] = [:]
    /// SSM parameters of type StringList (a runbook parameter holds one value).
    var listParams: Set<String> = []
    /// Parameters left out: the role SSM runs the document as.
    var dropped: Set<String> = []
    /// SSM step name -> step id.
    var stepIDs: [String: String] = [:]
    /// Steps whose action has no equivalent: a step that uses their outputs cannot be converted either.
    var skipped: Set<Int> = []
    /// StringList parameters whose conversion to a one-item list is already explained in a comment.
    var explainedListParams: Set<String> = []

    init(document: SSMDocument) {
        self.document = document
    }

    /// One runbook step still to be written; its text may name other steps by number, which is known
    /// only once every step is planned.
    struct Planned {
        var ssmName: String
        var id: String?
        var comments: [String]
        var kind: String
        var body: (Targets) -> Node
    }

    /// Where each SSM step ended up: `step 4 (RebootInstance)`.
    struct Targets {
        var numbers: [String: Int]
        var ids: [String: String]

        func name(_ ssmName: String) -> String {
            let id = ids[ssmName] ?? ssmName
            guard let n = numbers[ssmName] else { return "step \(id)" }
            return "step \(n) (\(id))"
        }
    }

    mutating func problem(_ reason: String, at location: SourceLocation, _ what: String) {
        problems.append(SSMImport.Unconvertible(reason, at: location, what: what))
    }

    // MARK: The runbook

    mutating func convert(id: String) -> (yaml: String, title: String) {
        assignNames()
        let params = convertParams()
        for step in document.steps {
            if case .other = step.body { skipped.insert(step.index) }
        }
        var planned: [Planned] = []
        for step in document.steps {
            let reported = problems.count
            let converted = convertStep(step)
            if converted.isEmpty && problems.count == reported {
                // Every way a step fails records why; this keeps a step from ever vanishing silently.
                problem("cannot be converted", at: step.location, step.label)
            }
            planned += converted
        }

        var numbers: [String: Int] = [:]
        for (i, p) in planned.enumerated() where numbers[p.ssmName] == nil { numbers[p.ssmName] = i + 1 }
        let targets = Targets(numbers: numbers, ids: stepIDs)
        let steps = planned.map { p -> Item in
            var entries: [Entry] = []
            if let id = p.id { entries.append(Entry("id", .string(id))) }
            entries.append(Entry(p.kind, p.body(targets)))
            return Item(.mapping(entries), comments: p.comments)
        }

        let title = Self.title(document.description, file: document.file)
        var header = [
            "yaml-language-server: $schema=../docs/schemas/runbook.schema.json",
            "Imported from the SSM Automation document \(document.file)",
            "by `breakglass runbook import-ssm`. Read every step before you rely on it: SSM's branches, pauses and sleeps are `say` steps here, and an explain the document did not give is generated.",
        ]
        if let description = document.description?.trimmingCharacters(in: .whitespacesAndNewlines), !description.isEmpty {
            header.append("The document's description:")
            let lines = description.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            header += lines.prefix(12).map { "  " + $0 }
            if lines.count > 12 { header.append("  …") }
        }
        var entries = [Entry("id", .string(id)), Entry("title", .string(title))]
        var accessNotes = ["access: add the break-glass role this runbook needs (a role under access.roles in the configuration); its session is limited to the calls the steps make."]
        for name in document.params.map(\.name) where dropped.contains(name) {
            accessNotes.append("The SSM parameter \(name) (the role SSM runs the document as) is left out: Breakglass derives its own session policy from the steps.")
        }
        if !params.isEmpty {
            entries.append(Entry("params", .mapping(params), comments: accessNotes))
            entries.append(Entry("steps", .list(steps)))
        } else {
            entries.append(Entry("steps", .list(steps), comments: accessNotes))
        }
        return (SSMImportYAML.document(header: header, entries), title)
    }

    /// The title: the first line of the document's description that says something (Markdown
    /// heading marks removed, AWS's "Document name - …" and question headings skipped), or
    /// "Imported from FILE".
    static func title(_ description: String?, file: String) -> String {
        let fallback = "Imported from \(file.split(separator: "/").last.map(String.init) ?? file)"
        guard let description else { return fallback }
        for raw in description.split(whereSeparator: \.isNewline) {
            var line = raw.trimmingCharacters(in: .whitespaces)
            let heading = line.hasPrefix("#")
            while let first = line.first, first == "#" || first == "*" || first == "_" || first == " " { line.removeFirst() }
            while let last = line.last, last == "*" || last == "_" || last == " " { line.removeLast() }
            let words = line.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            if words.isEmpty || words.lowercased().hasPrefix("document name") || (heading && words.hasSuffix("?")) { continue }
            guard words.count > 100 else { return words }
            let cut = words.prefix(100)
            return String(cut[..<(cut.lastIndex(of: " ") ?? cut.endIndex)]) + "…"
        }
        return fallback
    }

    /// Runbook names for parameters and steps: SSM's names where they are valid ids, else made
    /// valid, and unique.
    mutating func assignNames() {
        var used = Set<String>()
        func unique(_ base: String) -> String {
            var name = base
            var n = 2
            while used.contains(name) {
                name = "\(base)-\(n)"
                n += 1
            }
            used.insert(name)
            return name
        }
        for param in document.params {
            if param.name == "AutomationAssumeRole" || param.name == document.assumeRoleParam {
                dropped.insert(param.name)
                continue
            }
            var name = SSMImport.identifier(param.name, fallback: "param")
            if name == "steps" { name = "steps-param" }
            paramNames[param.name] = unique(name)
            if param.type == "StringList" { listParams.insert(param.name) }
        }
        used = []
        for step in document.steps {
            stepIDs[step.name] = unique(SSMImport.identifier(step.name, fallback: "step"))
        }
    }

    // MARK: Parameters

    mutating func convertParams() -> [Entry] {
        var out: [Entry] = []
        for param in document.params {
            guard let name = paramNames[param.name] else { continue }
            let what = "parameters.\(param.name)"
            var comments: [String] = []
            if name != param.name { comments.append("SSM's name: \(param.name).") }
            var fields: [Entry] = []
            var defaultValue: AWSValue?
            var ok = true

            switch param.type {
            case "MapList", "StringMap":
                problem(
                    "a \(param.type) parameter holds \(param.type == "MapList" ? "a list of mappings" : "a mapping"); a Breakglass parameter holds one value (text, a number or true/false)",
                    at: param.location, what)
                continue
            case "StringList":
                comments.append("SSM's \(param.name) is a StringList; a Breakglass parameter holds one value, so this one takes one item.")
            default:
                break
            }

            if let d = param.defaultValue {
                switch defaultFor(param, d) {
                case .success(let value): defaultValue = value
                case .failure(let reason):
                    problem(reason.text, at: d.location, what)
                    ok = false
                }
            }

            var pattern: String?
            if let values = param.allowedValues, !values.isEmpty {
                let texts = values.compactMap { $0.string(allowEmpty: true) }
                pattern = "^(?:" + texts.map(Self.regexEscaped).joined(separator: "|") + ")$"
                comments.append("pattern: from SSM's allowedValues (\(texts.joined(separator: ", "))).")
                if param.allowedPattern != nil { comments.append("SSM's allowedPattern is left out: the allowed values say more.") }
            } else if let p = param.allowedPattern, let text = p.string() {
                pattern = text
                if !text.hasPrefix("^") || !text.hasSuffix("$") {
                    comments.append("pattern: SSM's allowedPattern as written; Breakglass searches for it in the value, so anchor it with ^…$ to match the whole value.")
                }
            }
            if let text = pattern {
                let location = (param.allowedPattern ?? param.allowedValues?.first)?.location ?? param.location
                do {
                    let regex = try Regex(text)
                    if let defaultValue, let shown = RunbookText.scalarText(defaultValue), shown.firstMatch(of: regex) == nil {
                        problem("the default \(shown.debugDescription) does not match the parameter's pattern \(text)", at: param.defaultValue?.location ?? location, what)
                        ok = false
                    }
                } catch {
                    problem("the pattern \(text) is not a regular expression Breakglass can read: \(error)", at: location, what)
                    ok = false
                }
            }
            guard ok else { continue }
            if let defaultValue {
                switch defaultValue {
                case .number(let n): fields.append(Entry("default", .number(n)))
                case .bool(let b): fields.append(Entry("default", .bool(b)))
                case .string(let s): fields.append(Entry("default", .string(s)))
                default: break
                }
            }
            if let pattern { fields.append(Entry("pattern", .string(pattern))) }
            if let d = param.description?.trimmingCharacters(in: .whitespacesAndNewlines), !d.isEmpty {
                fields.append(Entry("description", .string(d)))
            }
            out.append(Entry(name, .mapping(fields), comments: comments))
        }
        return out
    }

    /// A parameter's default as a runbook default: text, a number or a boolean, by the SSM type.
    func defaultFor(_ param: SSMParam, _ v: YAMLValue) -> Result<AWSValue, Reason> {
        var value = v
        if param.type == "StringList" {
            if v.isList {
                let items = v.list() ?? []
                if items.count > 1 {
                    return .failure(Reason("the default lists \(items.count) values; a Breakglass parameter holds one value, so the default can only be one item"))
                }
                guard let only = items.first else { return .failure(Reason("the default is an empty list; leave the default out instead")) }
                value = only
            }
        }
        guard case .scalar(let s) = value.node, !value.isNull else {
            return .failure(Reason("the default is \(value.found); a Breakglass default is text, a number or true/false"))
        }
        let text = s.string
        if text.contains("{{") {
            return .failure(Reason("the default uses {{…}} (\(text)); a Breakglass default is a value written out, not a template"))
        }
        switch param.type {
        case "Integer":
            guard RunbookText.isNumber(text), Int(text) != nil else { return .failure(Reason("the default \(text.debugDescription) is not a whole number, as an Integer parameter needs")) }
            return .success(.number(text))
        case "Boolean":
            switch text.lowercased() {
            case "true": return .success(.bool(true))
            case "false": return .success(.bool(false))
            default: return .failure(Reason("the default \(text.debugDescription) is not true or false, as a Boolean parameter needs"))
            }
        default:
            return .success(.string(text))
        }
    }

    struct Reason: Error {
        var text: String
        init(_ text: String) { self.text = text }
    }

    /// Why a `{{ … }}` cannot be converted.
    struct ReferenceProblem: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    static func regexEscaped(_ text: String) -> String {
        var out = ""
        for c in text {
            if "\\^$.|?*+()[]{}".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    // MARK: Templates

    /// SSM's `{{ Param }}`, `{{ Step.Output }}` as the runbook writes them. Records why a reference
    /// cannot be converted and returns nil.
    mutating func render(_ text: String, at v: YAMLValue, in step: SSMStep) -> (text: String, singleListParam: Bool)? {
        var out = ""
        var rest = Substring(text)
        var references = 0
        var listParam = false
        var failed = false
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                problem("`{{` in \(Self.shown(text)) is not closed by `}}`", at: v.location, step.label)
                return nil
            }
            let inner = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            rest = rest[close.upperBound...]
            references += 1
            switch reference(inner, in: step) {
            case .success(let piece):
                out += piece
                if listParams.contains(inner) { listParam = true }
            case .failure(let reason):
                problem(reason.reason, at: v.location, step.label)
                failed = true
            }
        }
        out += rest
        if failed { return nil }
        return (out, references == 1 && listParam && text.trimmingCharacters(in: .whitespaces) == text && text.hasPrefix("{{") && text.hasSuffix("}}"))
    }

    static func shown(_ text: String) -> String {
        let limit = 80
        return (text.count > limit ? String(text.prefix(limit)) + "…" : text).debugDescription
    }

    /// One `{{ … }}`.
    func reference(_ inner: String, in step: SSMStep) -> Result<String, ReferenceProblem> {
        let written = "{{ \(inner) }}"
        if let colon = inner.firstIndex(of: ":") {
            let scope = inner[..<colon].lowercased()
            if scope == "global" || scope == "automation" {
                return .failure(ReferenceProblem(
                    "uses \(written), a value SSM fills in as it runs; a Breakglass runbook knows only its parameters and the outputs of earlier steps, so make it a parameter"))
            }
            return .failure(ReferenceProblem("uses \(written), which is not a parameter or a step's output"))
        }
        if let name = paramNames[inner] { return .success("{{\(name)}}") }
        if let dot = inner.firstIndex(of: "."), !dropped.contains(inner) {
            let stepName = String(inner[..<dot])
            let outputName = String(inner[inner.index(after: dot)...])
            guard let source = document.step(named: stepName) else {
                return .failure(ReferenceProblem("uses \(written), but no step is named \(stepName)"))
            }
            if skipped.contains(source.index) {
                return .failure(ReferenceProblem("uses \(written), an output of \(source.label), which cannot be converted"))
            }
            if source.index >= step.index {
                return .failure(ReferenceProblem(
                    "uses \(written), the output of \(source.index == step.index ? "this step itself" : "a later step (\(source.label))"); Breakglass runs steps in order, so a step can only use the outputs of steps before it"))
            }
            guard case .api(let call) = source.body else {
                return .failure(ReferenceProblem("uses \(written), but \(source.label) is an \(source.action) step, whose outputs have no Breakglass equivalent"))
            }
            guard let output = source.outputs.first(where: { $0.name == outputName }) else {
                let names = source.outputs.map(\.name)
                return .failure(ReferenceProblem("uses \(written), but step \(stepName) has no output named \(outputName)\(names.isEmpty ? " (it declares no outputs)" : " (it has \(names.joined(separator: ", ")))")"))
            }
            let isEC2 = Self.service(call.service)?.name == "ec2"
            switch Self.path(fromSelector: output.selector, ec2: isEC2) {
            case .success(let path):
                return .success("{{steps.\(stepIDs[source.name] ?? source.name).\(path)}}")
            case .failure(let why):
                return .failure(ReferenceProblem("uses \(written), whose Selector \(output.selector) \(why.text)"))
            }
        }
        if dropped.contains(inner) {
            return .failure(ReferenceProblem("uses \(written), the role SSM runs the document as; the import leaves that parameter out because Breakglass derives its own session policy from the steps"))
        }
        guard let name = paramNames[inner] else {
            let near = Suggestion.didYouMean(inner, in: Array(paramNames.keys).sorted())
            return .failure(ReferenceProblem("uses \(written), but the document has no parameter \(inner)\(near)"))
        }
        return .success("{{\(name)}}")
    }

    // MARK: Paths

    /// A JSONPath selector (`$.DBInstances[0].DBInstanceStatus`) as a runbook path
    /// (`DBInstances[0].DBInstanceStatus`). EC2's answers use the names of its XML, so with `ec2`
    /// the member names are translated (`$.Reservations[0].Instances[0].State.Name` ->
    /// `reservationSet[0].instancesSet[0].instanceState.name`).
    static func path(fromSelector selector: String, ec2: Bool) -> Result<String, Reason> {
        let plain = "is not a plain path into the answer: Breakglass paths name members and list positions, such as $.DBInstances[0].DBInstanceStatus"
        let chars = Array(selector.trimmingCharacters(in: .whitespaces))
        var i = 0
        var components: [AWSPath.Component] = []
        if i < chars.count, chars[i] == "$" { i += 1 }
        let rooted = i == 1
        func name() -> String? {
            var text = ""
            while i < chars.count, !".[]*?@()$'\" ".contains(chars[i]) {
                text.append(chars[i])
                i += 1
            }
            return text.isEmpty ? nil : text
        }
        if !rooted {
            guard let first = name() else { return .failure(Reason(plain)) }
            components.append(.key(first))
        }
        while i < chars.count {
            switch chars[i] {
            case ".":
                i += 1
                guard let key = name() else { return .failure(Reason(plain)) }
                components.append(.key(key))
            case "[":
                i += 1
                if i < chars.count, chars[i] == "'" || chars[i] == "\"" {
                    let quote = chars[i]
                    i += 1
                    var key = ""
                    while i < chars.count, chars[i] != quote {
                        key.append(chars[i])
                        i += 1
                    }
                    guard i + 1 < chars.count, chars[i + 1] == "]", !key.isEmpty, !key.contains("\"") else { return .failure(Reason(plain)) }
                    i += 2
                    components.append(.key(key))
                } else {
                    var digits = ""
                    while i < chars.count, chars[i].isASCII, chars[i].isNumber {
                        digits.append(chars[i])
                        i += 1
                    }
                    guard let n = Int(digits), i < chars.count, chars[i] == "]" else { return .failure(Reason(plain)) }
                    i += 1
                    components.append(.index(n))
                }
            default:
                return .failure(Reason(plain))
            }
        }
        guard !components.isEmpty else {
            return .failure(Reason("selects the whole answer; a Breakglass template names a path inside it, such as DBInstances[0].DBInstanceStatus"))
        }
        var text = ""
        for component in components {
            switch component {
            case .index(let n): text += "[\(n)]"
            case .key(let raw):
                let key = ec2 ? ec2Name(raw) : raw
                if key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) {
                    text += text.isEmpty ? key : "." + key
                } else {
                    text += "[\"\(key)\"]"
                }
            }
        }
        guard (try? AWSPath(text)) != nil else { return .failure(Reason(plain)) }
        return .success(text)
    }

    /// EC2 answers in Breakglass are its XML: lists are `…Set` and members are in lower camel case.
    static let ec2Names = [
        "Reservations": "reservationSet", "Instances": "instancesSet", "InstanceStatuses": "instanceStatusSet",
        "StartingInstances": "instancesSet", "StoppingInstances": "instancesSet", "TerminatingInstances": "instancesSet",
        "State": "instanceState", "InstanceState": "instanceState", "CurrentState": "currentState", "PreviousState": "previousState",
        "Tags": "tagSet", "SecurityGroups": "groupSet", "Groups": "groupSet", "NetworkInterfaces": "networkInterfaceSet",
        "BlockDeviceMappings": "blockDeviceMapping", "Events": "eventsSet", "ProductCodes": "productCodes",
    ]

    static func ec2Name(_ name: String) -> String {
        if let known = ec2Names[name] { return known }
        guard let first = name.first, first.isUppercase else { return name }
        return first.lowercased() + name.dropFirst()
    }

    // MARK: Calls

    /// SSM's service names (boto3's client names) -> Breakglass's.
    static let serviceAliases = ["monitoring": "cloudwatch", "cloudwatchlogs": "logs", "elasticloadbalancingv2": "elbv2", "elbv2": "elbv2"]

    static func service(_ name: String) -> AWSService? {
        let key = name.lowercased().filter { $0 != "-" && $0 != "_" && $0 != " " }
        return AWSService.named(serviceAliases[key] ?? key)
    }

    /// The catalog's operation for an SSM `Api`: PascalCase or boto3's snake_case
    /// (`describe_db_instances` -> DescribeDBInstances), compared without underscores and case.
    static func operation(_ service: AWSService, api: String) -> AWSOperation? {
        let key = api.filter { $0 != "_" }.lowercased()
        return AWSCatalog.operations(of: service.name).first { $0.name.lowercased() == key }
    }

    /// The operation and its input for a step's call; nil (with the problems recorded) when the
    /// catalog has no such operation or the input does not fit it.
    mutating func call(_ c: SSMCall, in step: SSMStep, notes: inout [String]) -> (op: AWSOperation, with: [Entry])? {
        guard let service = Self.service(c.service) else {
            problem(
                "Breakglass's catalog has no service `\(c.service)` (it has \(AWSService.all.map(\.name).joined(separator: ", ")))",
                at: c.serviceValue.location, step.label)
            return nil
        }
        guard let op = Self.operation(service, api: c.api) else {
            let names = AWSCatalog.operations(of: service.name).map(\.name)
            let near = Suggestion.closest(to: c.api.filter { $0 != "_" }, in: names).map { "; did you mean \($0)?" } ?? ""
            problem(
                "\(service.name).\(c.api) is not in Breakglass's catalog\(near) (\(service.name) has \(names.joined(separator: ", ")))",
                at: c.apiValue.location, step.label)
            return nil
        }
        var with: [Entry] = []
        var ok = true
        let inputs = op.inputs.map(\.name)
        for member in c.params {
            if op.input(member.key) == nil {
                let near = Suggestion.closest(to: member.key, in: inputs).map { "; did you mean \($0)?" } ?? ""
                problem("\(op.service.name).\(op.name) has no parameter \(member.key) in Breakglass's catalog\(near)", at: member.keyLocation, step.label)
                ok = false
                continue
            }
            guard let value = value(member.value, in: step, member: member.key, notes: &notes) else {
                ok = false
                continue
            }
            with.append(Entry(member.key, value))
        }
        for name in op.requiredInputs where !c.params.contains(where: { $0.key == name }) {
            problem("\(op.service.name).\(op.name) needs the parameter \(name), which the step does not give", at: c.apiValue.location, step.label)
            ok = false
        }
        return ok ? (op, with) : nil
    }

    /// An input value, with its templates converted. A member given a StringList parameter on its own
    /// (`InstanceIds: "{{ InstanceId }}"`) becomes a list of that one value.
    mutating func value(_ v: YAMLValue, in step: SSMStep, member: String?, notes: inout [String]) -> Node? {
        switch v.node {
        case .scalar(let s):
            if v.isNull { return .null }
            if s.style == .plain || s.style == .any {
                switch YAMLValue.tagName(v.node) {
                case .bool where ["true", "false"].contains(s.string.lowercased()):
                    return .bool(s.string.lowercased() == "true")
                case .int, .float:
                    if RunbookText.isNumber(s.string) { return .number(s.string) }
                default:
                    break
                }
            }
            guard let rendered = render(s.string, at: v, in: step) else { return nil }
            if let member, rendered.singleListParam {
                let written = s.string.trimmingCharacters(in: .whitespaces)
                if explainedListParams.insert(written).inserted {
                    notes.append("\(member): SSM passes the StringList \(written) here; the runbook passes its one value as a list (here and below).")
                }
                return .list([Item(.string(rendered.text))])
            }
            return .string(rendered.text)
        case .sequence:
            var items: [Item] = []
            for item in v.list() ?? [] {
                guard let converted = value(item, in: step, member: nil, notes: &notes) else { return nil }
                items.append(Item(converted))
            }
            return .list(items)
        case .mapping:
            var entries: [Entry] = []
            for entry in v.entries() ?? [] {
                guard let converted = value(entry.value, in: step, member: nil, notes: &notes) else { return nil }
                entries.append(Entry(entry.key, converted))
            }
            return .mapping(entries)
        case .alias:
            problem("a YAML alias (*name) is not supported here; write the value out", at: v.location, step.label)
            return nil
        }
    }

    /// A scalar as the value a runbook compares with: a number or boolean as written, text with its
    /// templates converted.
    mutating func scalarValue(_ v: YAMLValue, in step: SSMStep) -> Node? {
        var notes: [String] = []
        return value(v, in: step, member: nil, notes: &notes)
    }

    // MARK: Steps

    mutating func convertStep(_ step: SSMStep) -> [Planned] {
        let id = stepIDs[step.name]
        var comments = ["SSM step \(step.name) (\(step.action))" + (id != step.name ? ", id \(id ?? step.name)" : "") + "."]
        var notes: [String] = []
        var description: String?
        if let v = step.description, let raw = v.string(allowEmpty: true)?.trimmingCharacters(in: .whitespacesAndNewlines), !raw.isEmpty {
            guard let rendered = render(raw, at: v, in: step) else { return [] }
            description = rendered.text
        }
        var planned: [Planned] = []

        func plan(_ kind: String, _ body: Node) {
            planned.append(Planned(ssmName: step.name, id: id, comments: comments, kind: kind) { _ in body })
        }

        switch step.body {
        case .api(let c):
            guard let (op, with) = call(c, in: step, notes: &notes) else { return [] }
            for output in step.outputs {
                if case .success(let path) = Self.path(fromSelector: output.selector, ec2: op.service.name == "ec2") {
                    notes.append("SSM output \(output.name) (\(output.selector)) is {{steps.\(id ?? step.name).\(path)}} here.")
                }
            }
            let callEntries = [Entry("call", .string("\(op.service.name).\(op.name)"))] + (with.isEmpty ? [] : [Entry("with", .mapping(with))])
            if op.mutates {
                var fields = callEntries
                let resource = op.requiredInputs.first { name in with.contains { $0.key == name } }
                let resourceValue = resource.flatMap { name in with.first { $0.key == name }?.value }
                switch resourceValue {
                case .string?, .number?:
                    fields.append(Entry("confirm", .string("type")))
                    notes.append("confirm: type, because \(op.service.name).\(op.name) acts on one named resource: the operator types its \(resource ?? "name") before the call is sent.")
                case .list?:
                    notes.append("confirm: yes, not type: \(op.service.name).\(op.name) names its resources in a list (\(resource ?? "")), and a typed confirmation needs one name.")
                default:
                    break
                }
                let explain = description ?? Self.generatedExplain(op, resource: resourceValue)
                if description == nil { notes.append("explain: generated; the SSM step has no description. Say what the change does and what people will notice.") }
                fields.append(Entry("explain", .string(explain)))
                comments += notes
                plan("do", .mapping(fields))
            } else {
                var fields = callEntries
                if let description { fields.append(Entry("explain", .string(description))) }
                comments += notes
                plan("check", .mapping(fields))
            }

        case .wait(let p), .assert(let p):
            let isWait: Bool
            if case .wait = step.body { isWait = true } else { isWait = false }
            guard let (op, with) = call(p.call, in: step, notes: &notes) else { return [] }
            if op.mutates {
                problem(
                    "\(step.action) calls \(op.service.name).\(op.name), which changes something in AWS; a Breakglass \(isWait ? "wait" : "check") only reads",
                    at: p.call.apiValue.location, step.label)
                return []
            }
            let path: String
            switch Self.path(fromSelector: p.selector, ec2: op.service.name == "ec2") {
            case .success(let converted): path = converted
            case .failure(let why):
                problem("PropertySelector \(p.selector) \(why.text)", at: p.selectorValue.location, step.label)
                return []
            }
            if op.service.name == "ec2", "$." + path != p.selector.trimmingCharacters(in: .whitespaces) {
                notes.append("EC2 answers use the names of its XML: SSM's \(p.selector) is \(path) here.")
            }
            guard p.desired.count == 1, let only = p.desired.first else {
                let values = p.desired.compactMap { $0.string(allowEmpty: true) }.joined(separator: ", ")
                problem(
                    "DesiredValues lists \(p.desired.count) values (\(values)); a Breakglass \(isWait ? "wait" : "check") compares each path with one value, so it cannot accept any of several",
                    at: p.desiredValue.location, step.label)
                return []
            }
            guard let expected = scalarValue(only, in: step) else { return [] }
            var fields = [Entry("call", .string("\(op.service.name).\(op.name)"))] + (with.isEmpty ? [] : [Entry("with", .mapping(with))])
            fields.append(Entry(isWait ? "until" : "expect", .mapping([Entry(path, expected)])))
            if isWait {
                let seconds = step.timeoutSeconds ?? 3600
                let timeout = Duration.seconds(seconds)
                fields.append(Entry("timeout", .string(DurationSyntax.format(timeout))))
                if timeout < RunbookStep.Wait.defaultEvery { fields.append(Entry("every", .string(DurationSyntax.format(timeout)))) }
                if step.timeoutSeconds == nil {
                    notes.append("timeout: 1h, SSM's default for aws:waitForAwsResourceProperty (3600 seconds); shorten it to what the change really takes.")
                }
            }
            if let description { fields.append(Entry("explain", .string(description))) }
            comments += notes
            plan(isWait ? "wait" : "check", .mapping(fields))

        case .approve(let a):
            guard let body = approve(a, step: step, description: description, notes: &notes) else { return [] }
            comments += notes
            plan("approve", body)

        case .pause:
            let text = (description.map { $0 + " " } ?? "Stop and check that the steps so far went as expected. ") + "Continue when you are ready."
            comments.append("aws:pause: SSM waits here until someone resumes the automation; the operator confirms this step instead.")
            plan("say", .string(text))

        case .sleep(let sleep):
            let text: String
            switch sleep {
            case .duration(let seconds, let written):
                text = "Wait \(ISO8601Duration.words(seconds)) before you go on, then confirm this step." + (description.map { " " + $0 } ?? "")
                comments.append("aws:sleep \(written): Breakglass runbooks have no timed sleep, so the operator waits and confirms.")
            case .timestamp(let t):
                guard let raw = t.string(), let when = render(raw, at: t, in: step)?.text else { return [] }
                text = "Wait until \(when) (UTC) before you go on, then confirm this step." + (description.map { " " + $0 } ?? "")
                comments.append("aws:sleep until a timestamp: Breakglass runbooks have no timed sleep, so the operator waits and confirms.")
            }
            plan("say", .string(text))

        case .branch(let b):
            guard let body = branch(b, step: step, description: description) else { return [] }
            comments.append("aws:branch: a Breakglass runbook is a checklist run from top to bottom, so the operator reads the choice and skips the steps that do not apply.")
            planned.append(Planned(ssmName: step.name, id: id, comments: comments, kind: "say", body: body))

        case .other:
            problem(Self.otherActionReason(step.action), at: step.actionValue.location, step.label)
            return []
        }

        guard !planned.isEmpty else { return [] }
        if let failure = step.onFailure {
            switch failure.value {
            case "Continue":
                planned[0].comments.append("onFailure: Continue: SSM went on when this step failed; in Breakglass a failed step waits for the operator to decide.")
            case let value where value.hasPrefix("step:"):
                let target = String(value.dropFirst("step:".count))
                planned[0].comments.append("onFailure: when this step failed, SSM went on at \(target); in Breakglass the operator decides.")
            default:
                break
            }
        }
        if case .branch = step.body { return planned }
        planned += flowAfter(step)
        return planned
    }

    /// What follows a step that does not simply go on with the next one: `nextStep` elsewhere, or
    /// `isEnd` before the last step.
    mutating func flowAfter(_ step: SSMStep) -> [Planned] {
        let following = step.index + 1 < document.steps.count ? document.steps[step.index + 1].name : nil
        if let next = step.nextStep, next.value != following, let target = document.step(named: next.value) {
            if target.index <= step.index {
                problem(
                    "nextStep goes back to \(target.label); a Breakglass runbook runs once from top to bottom, so it cannot repeat steps",
                    at: next.location, step.label)
                return []
            }
            let name = next.value
            return [Planned(ssmName: step.name, id: nil, comments: ["nextStep: \(name) in the SSM document."], kind: "say") { targets in
                .string("Go on at \(targets.name(name)) now: skip the steps in between, which the SSM document runs only on other paths.")
            }]
        }
        if step.isEnd, following != nil {
            return [Planned(ssmName: step.name, id: nil, comments: ["isEnd: the SSM document stops after \(step.name)."], kind: "say") { _ in
                .string("Stop here: the SSM document ends after this step. The steps below belong to other paths of the document; skip them.")
            }]
        }
        return []
    }

    static func generatedExplain(_ op: AWSOperation, resource: Node?) -> String {
        var target = ""
        switch resource {
        case .string(let s)?: target = " for \(s)"
        case .number(let n)?: target = " for \(n)"
        case .list(let items)? where items.count == 1:
            if case .string(let s) = items[0].value { target = " for \(s)" }
        default: break
        }
        return "Sends \(op.service.name).\(op.name)\(target). This changes something in AWS; the SSM document does not say what people will notice, so read the call before you confirm."
    }

    mutating func approve(_ a: SSMApprove, step: SSMStep, description: String?, notes: inout [String]) -> Node? {
        var message = description ?? "Approve the steps that follow."
        if let m = a.message, let raw = m.string(allowEmpty: true) {
            guard let rendered = render(raw, at: m, in: step) else { return nil }
            if !rendered.text.trimmingCharacters(in: .whitespaces).isEmpty { message = rendered.text }
        }
        var approvers: [String] = []
        if a.approvers.isList {
            for item in a.approvers.list() ?? [] {
                guard let raw = item.string(), let rendered = render(raw, at: item, in: step) else { return nil }
                approvers.append(rendered.text)
            }
        } else if let raw = a.approvers.string() {
            guard let rendered = render(raw, at: a.approvers, in: step) else { return nil }
            approvers.append(rendered.text)
        }
        var explain = message
        if !approvers.isEmpty {
            explain += (explain.hasSuffix(".") || explain.hasSuffix("?") || explain.hasSuffix("!") ? " " : ". ")
            explain += "In the SSM document the approvers were \(approvers.joined(separator: ", "))"
            if let n = a.minRequired, n > 1 { explain += ", and \(n) of them had to approve" }
            explain += "."
        }
        notes.append("aws:approve: a second person approves from their own console; SSM's Approvers\(a.minRequired.map { _ in " and MinRequiredApprovals" } ?? "") are kept in the explain text.")
        if let arn = a.notificationArn { notes.append("SSM announced the approval on the SNS topic \(arn); Breakglass shows it in every console instead.") }
        var fields = [Entry("explain", .string(explain))]
        if let seconds = step.timeoutSeconds { fields.append(Entry("timeout", .string(DurationSyntax.format(.seconds(seconds))))) }
        return .mapping(fields)
    }

    // MARK: Branches

    mutating func branch(_ b: SSMBranch, step: SSMStep, description: String?) -> ((Targets) -> Node)? {
        var sentences: [(Targets) -> String] = []
        var ok = true
        for choice in b.choices {
            guard let condition = words(choice.condition, in: step) else {
                ok = false
                continue
            }
            guard let target = document.step(named: choice.next.value) else { continue }
            if target.index <= step.index {
                problem(
                    "NextStep \(choice.next.value) goes back to \(target.label); a Breakglass runbook runs once from top to bottom, so it cannot repeat steps",
                    at: choice.next.location, step.label)
                ok = false
                continue
            }
            let name = choice.next.value
            sentences.append { targets in "If \(condition), go on at \(targets.name(name))." }
        }
        if let d = b.defaultStep, let target = document.step(named: d.value) {
            if target.index <= step.index {
                problem(
                    "Default \(d.value) goes back to \(target.label); a Breakglass runbook runs once from top to bottom, so it cannot repeat steps",
                    at: d.location, step.label)
                ok = false
            }
            let name = d.value
            sentences.append { targets in "Otherwise, go on at \(targets.name(name))." }
        } else {
            sentences.append { _ in "Otherwise, go on with the next step." }
        }
        guard ok else { return nil }
        let intro = description.map { $0 + " " } ?? ""
        return { targets in
            .string(intro + "Choose how to go on. " + sentences.map { $0(targets) }.joined(separator: " ") + " Skip the steps in between.")
        }
    }

    /// A condition in plain words: `{{steps.x.Status}} is "available" and {{count}} is more than 3`.
    mutating func words(_ condition: SSMCondition, in step: SSMStep, negated: Bool = false, nested: Bool = false) -> String? {
        switch condition {
        case .compare(let variable, let operation, let value):
            guard let raw = variable.string(), let rendered = render(raw, at: variable, in: step) else { return nil }
            guard rendered.text.contains("{{") else {
                problem(
                    "the branch's Variable \(Self.shown(raw)) is not a parameter or a step's output, so there is nothing for the operator to look at",
                    at: variable.location, step.label)
                return nil
            }
            guard let compared = scalarValue(value, in: step) else { return nil }
            let shownValue: String
            switch compared {
            case .string(let s): shownValue = "\"\(s)\""
            case .number(let n): shownValue = n
            case .bool(let b): shownValue = b ? "true" : "false"
            default: shownValue = "empty"
            }
            return rendered.text + " " + Self.operationWords(operation, negated: negated, value: shownValue)
        case .and(let items), .or(let items):
            let isAnd: Bool
            if case .and = condition { isAnd = true } else { isAnd = false }
            var parts: [String] = []
            for item in items {
                guard let part = words(item, in: step, nested: true) else { return nil }
                parts.append(part)
            }
            let joined = parts.joined(separator: isAnd ? " and " : " or ")
            if negated { return "not (\(joined))" }
            return nested ? "(\(joined))" : joined
        case .not(let inner):
            if case .compare = inner { return words(inner, in: step, negated: !negated, nested: nested) }
            guard let text = words(inner, in: step, nested: true) else { return nil }
            let trimmed = text.hasPrefix("(") && text.hasSuffix(")") ? String(text.dropFirst().dropLast()) : text
            return negated ? text : "not (\(trimmed))"
        }
    }

    static func operationWords(_ operation: String, negated: Bool, value: String) -> String {
        switch (operation, negated) {
        case ("StringEquals", false), ("NumericEquals", false), ("BooleanEquals", false): "is \(value)"
        case ("StringEquals", true), ("NumericEquals", true), ("BooleanEquals", true): "is not \(value)"
        case ("EqualsIgnoreCase", false): "is \(value) (in upper or lower case)"
        case ("EqualsIgnoreCase", true): "is not \(value) (in upper or lower case)"
        case ("StartsWith", false): "starts with \(value)"
        case ("StartsWith", true): "does not start with \(value)"
        case ("EndsWith", false): "ends with \(value)"
        case ("EndsWith", true): "does not end with \(value)"
        case ("Contains", false): "contains \(value)"
        case ("Contains", true): "does not contain \(value)"
        case ("NumericGreater", false), ("NumericLesserOrEquals", true): "is more than \(value)"
        case ("NumericGreater", true), ("NumericLesserOrEquals", false): "is at most \(value)"
        case ("NumericLesser", false), ("NumericGreaterOrEquals", true): "is less than \(value)"
        case ("NumericLesser", true), ("NumericGreaterOrEquals", false): "is at least \(value)"
        default: "\(negated ? "does not match" : "matches") \(operation) \(value)"
        }
    }

    // MARK: Other actions

    static func otherActionReason(_ action: String) -> String {
        let supported = "the import converts aws:executeAwsApi, aws:waitForAwsResourceProperty, aws:assertAwsResourceProperty, aws:approve, aws:pause, aws:sleep and aws:branch"
        switch action {
        case "aws:runCommand", "aws:runShellScript", "aws:runPowerShellScript":
            return "\(action) runs commands on instances through SSM Run Command; a Breakglass runbook only makes AWS API calls from its catalog (write the commands in a `say` step for the operator instead)"
        case "aws:executeScript":
            return "aws:executeScript runs a Python or PowerShell script inside SSM; a Breakglass runbook does not run scripts (make each API call an aws:executeAwsApi step, or write the check in a `say` step)"
        case "aws:invokeLambdaFunction":
            return "aws:invokeLambdaFunction invokes a Lambda function; lambda.Invoke is not in Breakglass's catalog"
        case "aws:createStack", "aws:deleteStack":
            return "\(action) changes a CloudFormation stack; cloudformation is not in Breakglass's catalog"
        case "aws:changeInstanceState":
            return "aws:changeInstanceState has no Breakglass equivalent; write it as aws:executeAwsApi (ec2 StopInstances or StartInstances) followed by aws:waitForAwsResourceProperty on DescribeInstances"
        case "aws:runInstances", "aws:createImage", "aws:copyImage", "aws:deleteImage", "aws:createTags":
            return "\(action) is an EC2 helper of SSM's with no Breakglass equivalent; \(supported)"
        case "aws:executeAutomation", "aws:executeStateMachine":
            return "\(action) starts another automation or state machine, which a Breakglass runbook cannot follow; \(supported)"
        case "aws:loop":
            return "aws:loop repeats steps; a Breakglass runbook runs once from top to bottom"
        default:
            return "\(action) has no Breakglass equivalent; \(supported)"
        }
    }
}

