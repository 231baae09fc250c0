import BreakglassAWS
import Foundation

/// Converts an AWS Systems Manager Automation document (schemaVersion 0.3, JSON or YAML) into a
/// Breakglass runbook (docs/RUNBOOKS.md), or says which steps cannot be converted and why
/// (docs/SSM-IMPORT.md). Pure: the same text always gives the same runbook or the same problems.
///
/// - parameters become `params` (default, allowedPattern as `pattern`, description); the role SSM
///   runs as (`assumeRole`, AutomationAssumeRole) is left out with a comment.
/// - aws:executeAwsApi becomes a `check` when the catalog says the operation reads, a `do` when it
///   changes something; outputs (`$.A.B[0].C`) become `{{steps.ID.A.B[0].C}}` where later steps use
///   them.
/// - aws:waitForAwsResourceProperty becomes a `wait`, aws:assertAwsResourceProperty a `check` with
///   `expect`, aws:approve an `approve`, and aws:pause, aws:sleep and aws:branch `say` steps that tell
///   the operator what SSM would have done.
/// - Anything else is named as unconvertible, with the reason.
///
/// The runbook it writes loads with `RunbookLoader` and passes `RunbookLinter`; `convert` checks
/// that before it returns.
public enum SSMImport {
    /// A converted document.
    public struct Converted: Sendable, Equatable {
        /// The runbook, as YAML text.
        public var yaml: String
        public var runbookID: String
        public var title: String
        /// How many SSM steps were converted, and how many runbook steps they became.
        public var documentSteps: Int
        public var runbookSteps: Int
    }

    /// A step (or parameter) that has no Breakglass equivalent: where, which, and why.
    /// `file:line:column: mainSteps[2] (StopInstance): reason`.
    public struct Unconvertible: Sendable, Hashable, CustomStringConvertible {
        public var location: SourceLocation
        /// `mainSteps[2] (StopInstance)` or `parameters.InstanceId`.
        public var what: String
        public var reason: String

        public init(_ reason: String, at location: SourceLocation, what: String) {
            self.location = location
            self.what = what
            self.reason = reason
        }

        public var description: String { "\(location): \(what): \(reason)" }
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The document cannot be read, or is not a valid schemaVersion 0.3 Automation document.
        case document(SourceErrors)
        /// Steps or parameters that cannot be converted, in document order.
        case unconvertible([Unconvertible])
        /// The converted runbook does not load or lint: a bug in the import, never the document's
        /// fault.
        case invalidOutput([SourceError])

        public var description: String {
            switch self {
            case .document(let errors): errors.description
            case .unconvertible(let steps): steps.map(\.description).joined(separator: "\n")
            case .invalidOutput(let errors): errors.map(\.description).joined(separator: "\n")
            }
        }
    }

    /// Converts the document at `path` (named `displayPath` in messages and in the runbook's
    /// comment). `id`: the runbook's id; default: from the file name (`AWS-RestartEC2Instance.yaml`
    /// -> `aws-restart-ec2-instance`).
    public static func convert(path: String, displayPath: String? = nil, id: String? = nil) throws(Failure) -> Converted {
        let document: YAMLDocument
        do {
            document = try YAMLDocument.read(path: path, displayPath: displayPath)
        } catch {
            throw .document(error)
        }
        return try convert(document, id: id)
    }

    /// Converts document text; `file` names it in messages and in the runbook's comment.
    public static func convert(_ text: String, file: String, id: String? = nil) throws(Failure) -> Converted {
        let document: YAMLDocument
        do {
            document = try YAMLDocument.parse(text, file: file)
        } catch {
            throw .document(error)
        }
        return try convert(document, id: id)
    }

    static func convert(_ yaml: YAMLDocument, id: String?) throws(Failure) -> Converted {
        let runbookID = id ?? runbookID(fromFile: yaml.file)
        guard ConfigValues.isIdentifier(runbookID) else {
            throw .document(SourceErrors(SourceError(
                "the runbook id `\(runbookID)` may use only letters, digits, - and _ (and must start with a letter or digit); give one with --id",
                at: .file(yaml.file))))
        }
        guard let root = yaml.root else {
            throw .document(SourceErrors(SourceError(
                "the file is empty; expected an SSM Automation document with schemaVersion 0.3 and mainSteps", at: SourceLocation(file: yaml.file, line: 1, column: 1))))
        }
        let document = DocumentReader.read(root)
        do {
            try yaml.finish()
        } catch {
            throw .document(error)
        }
        guard let document else {
            throw .document(SourceErrors(SourceError("not an SSM Automation document", at: root.location)))
        }
        var converter = Converter(document: document)
        let runbook = converter.convert(id: runbookID)
        if !converter.problems.isEmpty {
            throw .unconvertible(converter.problems.sorted { ($0.location, $0.what, $0.reason) < ($1.location, $1.what, $1.reason) }.uniqued())
        }
        // The import's promise: what it writes loads and lints clean.
        let loaded: Runbook
        do {
            loaded = try RunbookLoader.parse(runbook.yaml, file: runbookID + ".yaml")
        } catch {
            throw .invalidOutput(error.errors)
        }
        let problems = RunbookLinter.lint(loaded)
        if !problems.isEmpty { throw .invalidOutput(problems) }
        return Converted(
            yaml: runbook.yaml, runbookID: runbookID, title: runbook.title, documentSteps: document.steps.count, runbookSteps: loaded.steps.count)
    }

    /// A runbook id from a file name: the name without its folder and extension, in lower case, with
    /// words split at case changes (`AWS-RestartEC2Instance.json` -> `aws-restart-ec2-instance`) and
    /// characters an id cannot have replaced by `-`.
    public static func runbookID(fromFile file: String) -> String {
        var name = Substring(file.split(separator: "/").last ?? Substring(file))
        for ext in [".json", ".yaml", ".yml"] where name.lowercased().hasSuffix(ext) {
            name = name.dropLast(ext.count)
        }
        let chars = Array(name)
        var out = ""
        for (i, c) in chars.enumerated() {
            if c.isUppercase, i > 0 {
                let previous = chars[i - 1]
                let nextIsLower = i + 1 < chars.count && chars[i + 1].isLowercase
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && nextIsLower) { out += "-" }
            }
            out += c.isASCII && (c.isLetter || c.isNumber) ? c.lowercased() : "-"
        }
        let id = identifier(out, fallback: "imported")
        return id
    }

    /// `text` made into an id (letters, digits, - and _, starting with a letter or digit): other
    /// characters become `-`, runs of `-` shrink to one, and leading ones go.
    static func identifier(_ text: String, fallback: String) -> String {
        var out = ""
        for c in text {
            let ok = c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "-")
            let next: Character = ok ? c : "-"
            if next == "-", out.last == "-" { continue }
            out.append(next)
        }
        while let first = out.first, first == "-" || first == "_" { out.removeFirst() }
        while out.last == "-" { out.removeLast() }
        return out.isEmpty ? fallback : out
    }
}

extension Array where Element: Hashable {
    fileprivate func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}

// MARK: - The document

/// An SSM Automation document as read: only what the import needs, each part with where it is
/// written.
struct SSMDocument {
    var file: String
    var description: String?
    /// The parameter `assumeRole` names (`{{ AutomationAssumeRole }}`), when it names one.
    var assumeRoleParam: String?
    var params: [SSMParam]
    var steps: [SSMStep]

    func step(named name: String) -> SSMStep? { steps.first { $0.name == name } }
}

struct SSMParam {
    var name: String
    var location: SourceLocation
    var type: String
    var description: String?
    var defaultValue: YAMLValue?
    var allowedPattern: YAMLValue?
    var allowedValues: [YAMLValue]?
}

struct SSMOutput {
    var name: String
    var selector: String
    var selectorValue: YAMLValue
}

struct SSMStep {
    var index: Int
    var name: String
    var location: SourceLocation
    var action: String
    var actionValue: YAMLValue
    var body: Body
    var outputs: [SSMOutput]
    /// The step's `description`, which may use `{{ … }}`.
    var description: YAMLValue?
    var onFailure: Located<String>?
    var nextStep: Located<String>?
    var isEnd: Bool
    var timeoutSeconds: Int?

    /// `mainSteps[2] (StopInstance)`, as problems name the step.
    var label: String { "mainSteps[\(index)] (\(name))" }

    enum Body {
        case api(SSMCall)
        case wait(SSMProperty)
        case assert(SSMProperty)
        case approve(SSMApprove)
        case pause
        case sleep(SSMSleep)
        case branch(SSMBranch)
        case other
    }
}

/// `Service`, `Api` and the operation's parameters.
struct SSMCall {
    var service: String
    var serviceValue: YAMLValue
    var api: String
    var apiValue: YAMLValue
    var params: [YAMLEntry]
}

/// A call, a path into its answer and the values it may have.
struct SSMProperty {
    var call: SSMCall
    var selector: String
    var selectorValue: YAMLValue
    var desired: [YAMLValue]
    var desiredValue: YAMLValue
}

struct SSMApprove {
    /// A list of names, or one string (usually `{{ Approvers }}`).
    var approvers: YAMLValue
    var message: YAMLValue?
    var minRequired: Int?
    var notificationArn: String?
}

enum SSMSleep {
    case duration(seconds: Int, written: String)
    case timestamp(YAMLValue)
}

struct SSMBranch {
    var choices: [Choice]
    var defaultStep: Located<String>?

    struct Choice {
        var next: Located<String>
        var condition: SSMCondition
    }
}

indirect enum SSMCondition {
    case compare(variable: YAMLValue, operation: String, value: YAMLValue)
    case and([SSMCondition])
    case or([SSMCondition])
    case not(SSMCondition)
}

/// Reads the document's shape and records every problem with it (file:line:column, field).
enum DocumentReader {
    static let topLevelKeys = ["schemaVersion", "description", "assumeRole", "parameters", "mainSteps", "outputs", "files"]
    static let stepKeys = [
        "name", "action", "description", "inputs", "outputs", "onFailure", "onCancel", "nextStep", "isEnd", "isCritical", "timeoutSeconds",
        "maxAttempts", "precondition",
    ]
    static let paramKeys = ["type", "description", "default", "allowedPattern", "allowedValues", "displayType", "minItems", "maxItems", "minChars", "maxChars"]
    static let paramTypes = ["String", "StringList", "Integer", "Boolean", "MapList", "StringMap"]
    static let outputKeys = ["Name", "Selector", "Type"]
    static let approveKeys = ["Approvers", "Message", "MinRequiredApprovals", "NotificationArn"]
    static let branchOperations = [
        "StringEquals", "EqualsIgnoreCase", "StartsWith", "EndsWith", "Contains", "NumericEquals", "NumericGreater", "NumericLesser",
        "NumericGreaterOrEquals", "NumericLesserOrEquals", "BooleanEquals",
    ]

    static func read(_ root: YAMLValue) -> SSMDocument? {
        guard let top = root.mapping(allowed: topLevelKeys, what: "an SSM Automation document: a mapping with schemaVersion 0.3 and mainSteps") else { return nil }
        var ok = true
        if let v = top.required("schemaVersion") {
            if let version = v.string(), version != "0.3" {
                v.error("expected schemaVersion 0.3 (an Automation document), found \(version); import-ssm converts Automation documents only, not Command (2.2) or other document types")
                ok = false
            }
        } else {
            ok = false
        }
        let description = top["description"]?.string(allowEmpty: true)
        var assumeRoleParam: String?
        if let v = top["assumeRole"], let text = v.string(allowEmpty: true) {
            let inner = text.trimmingCharacters(in: .whitespaces)
            if inner.hasPrefix("{{"), inner.hasSuffix("}}") {
                assumeRoleParam = String(inner.dropFirst(2).dropLast(2)).trimmingCharacters(in: .whitespaces)
            }
        }
        let params = top["parameters"].map(readParams) ?? []
        var steps: [SSMStep] = []
        if let v = top.required("mainSteps"), let items = v.list(what: "a list of steps") {
            if items.isEmpty { v.error("an Automation document needs at least one step") }
            for (i, item) in items.enumerated() {
                if let step = readStep(item, index: i) { steps.append(step) }
            }
            if steps.count == items.count {
                checkStepNames(steps)
            }
        } else {
            ok = false
        }
        guard ok else { return nil }
        return SSMDocument(file: root.location.file, description: description, assumeRoleParam: assumeRoleParam, params: params, steps: steps)
    }

    static func readParams(_ v: YAMLValue) -> [SSMParam] {
        guard let entries = v.entries(what: "a mapping of parameter names to parameters") else { return [] }
        var params: [SSMParam] = []
        for entry in entries {
            guard let m = entry.value.mapping(allowed: paramKeys, what: "a parameter: a mapping with type, description and default") else { continue }
            guard let type = m.required("type")?.oneOf(paramTypes) else { continue }
            var param = SSMParam(name: entry.key, location: entry.keyLocation, type: type)
            param.description = m["description"]?.string(allowEmpty: true)
            param.defaultValue = m["default"]
            if let p = m["allowedPattern"], p.string() != nil { param.allowedPattern = p }
            if let values = m["allowedValues"] {
                if let items = values.list(what: "a list of the values the parameter may have") {
                    param.allowedValues = items.filter { item in
                        if item.isScalar { return true }
                        item.expected("a value (text or a number)")
                        return false
                    }
                }
            }
            params.append(param)
        }
        return params
    }

    static func readStep(_ item: YAMLValue, index: Int) -> SSMStep? {
        guard let m = item.mapping(allowed: stepKeys, what: "a step: a mapping with name, action and inputs") else { return nil }
        let name = m.required("name")?.string()
        let actionValue = m.required("action")
        let action = actionValue?.string()
        let description = m["description"].flatMap { $0.string(allowEmpty: true) != nil ? $0 : nil }
        var onFailure: Located<String>?
        if let v = m["onFailure"], let text = v.string() {
            if text == "Abort" || text == "Continue" || text.hasPrefix("step:") {
                onFailure = v.located(text)
            } else {
                v.expected("Abort, Continue or step:StepName")
            }
        }
        let nextStep = m["nextStep"].flatMap { v in v.string().map { v.located($0) } }
        let isEnd = m["isEnd"].flatMap { $0.bool() } ?? false
        let timeout = m["timeoutSeconds"].flatMap { $0.int(in: 1...Int.max) }
        var outputs: [SSMOutput] = []
        if let v = m["outputs"], let items = v.list(what: "a list of outputs, each with Name, Selector and Type") {
            for o in items {
                guard let om = o.mapping(allowed: outputKeys, what: "an output: a mapping with Name, Selector and Type"),
                    let outputName = om.required("Name")?.string(), let selectorValue = om.required("Selector"), let selector = selectorValue.string()
                else { continue }
                _ = om["Type"]?.string()
                outputs.append(SSMOutput(name: outputName, selector: selector, selectorValue: selectorValue))
            }
        }
        guard let name, let actionValue, let action else { return nil }
        let inputs = m["inputs"]
        let body: SSMStep.Body?
        switch action {
        case "aws:executeAwsApi":
            body = requiredInputs(inputs, m, action).flatMap { readCall($0, allowing: []) }.map { .api($0) }
        case "aws:waitForAwsResourceProperty", "aws:assertAwsResourceProperty":
            body = requiredInputs(inputs, m, action).flatMap(readProperty).map { action == "aws:waitForAwsResourceProperty" ? .wait($0) : .assert($0) }
        case "aws:approve":
            body = requiredInputs(inputs, m, action).flatMap(readApprove).map { .approve($0) }
        case "aws:pause":
            if let inputs { _ = inputs.mapping(allowed: [], what: "an empty mapping: aws:pause takes no inputs") }
            body = .pause
        case "aws:sleep":
            body = requiredInputs(inputs, m, action).flatMap(readSleep).map { .sleep($0) }
        case "aws:branch":
            body = requiredInputs(inputs, m, action).flatMap(readBranch).map { .branch($0) }
        default:
            body = .other
        }
        guard let body else { return nil }
        return SSMStep(
            index: index, name: name, location: item.location, action: action, actionValue: actionValue, body: body, outputs: outputs,
            description: description, onFailure: onFailure, nextStep: nextStep, isEnd: isEnd, timeoutSeconds: timeout)
    }

    static func requiredInputs(_ inputs: YAMLValue?, _ step: YAMLMapping, _ action: String) -> YAMLValue? {
        if let inputs { return inputs }
        // Absent: "missing required key"; written but empty: "expected a mapping, found nothing".
        step.required("inputs")?.expected("a mapping of the inputs \(action) takes")
        return nil
    }

    /// `Service`, `Api` and the operation's parameters; `allowing` names the inputs the action itself
    /// takes besides those (they are not the operation's).
    static func readCall(_ v: YAMLValue, allowing: [String]) -> SSMCall? {
        guard let entries = v.entries(what: "a mapping of inputs with Service and Api") else { return nil }
        let m = YAMLMapping(value: v, entries: entries, rejections: [])
        let serviceValue = m.required("Service")
        let apiValue = m.required("Api")
        guard let serviceValue, let service = serviceValue.string(), let apiValue, let api = apiValue.string() else { return nil }
        let params = entries.filter { !["Service", "Api"].contains($0.key) && !allowing.contains($0.key) }
        return SSMCall(service: service, serviceValue: serviceValue, api: api, apiValue: apiValue, params: params)
    }

    static func readProperty(_ v: YAMLValue) -> SSMProperty? {
        guard let call = readCall(v, allowing: ["PropertySelector", "DesiredValues"]), let entries = v.entries() else { return nil }
        let m = YAMLMapping(value: v, entries: entries, rejections: [])
        let selectorValue = m.required("PropertySelector")
        let selector = selectorValue?.string()
        let desiredValue = m.required("DesiredValues")
        var desired: [YAMLValue]?
        if let desiredValue, let items = desiredValue.list(what: "a list of values, such as [available]") {
            if items.isEmpty { desiredValue.error("list at least one value") }
            let scalars = items.filter { item in
                if item.isScalar { return true }
                item.expected("a value (text, a number or true/false)")
                return false
            }
            if scalars.count == items.count, !items.isEmpty { desired = scalars }
        }
        guard let selectorValue, let selector, let desiredValue, let desired else { return nil }
        return SSMProperty(call: call, selector: selector, selectorValue: selectorValue, desired: desired, desiredValue: desiredValue)
    }

    static func readApprove(_ v: YAMLValue) -> SSMApprove? {
        guard let m = v.mapping(allowed: approveKeys, what: "a mapping of inputs with Approvers") else { return nil }
        guard let approvers = m.required("Approvers") else { return nil }
        if approvers.isList {
            _ = approvers.list { $0.string() }
        } else if approvers.string() == nil {
            return nil
        }
        let message = m["Message"]
        if let message, message.string() == nil { return nil }
        var minRequired: Int?
        if let v = m["MinRequiredApprovals"] {
            guard let n = v.int(in: 1...Int.max) else { return nil }
            minRequired = n
        }
        let notification = m["NotificationArn"]?.string()
        return SSMApprove(approvers: approvers, message: message, minRequired: minRequired, notificationArn: notification)
    }

    static func readSleep(_ v: YAMLValue) -> SSMSleep? {
        guard let m = v.mapping(allowed: ["Duration", "Timestamp"], what: "a mapping of inputs with Duration or Timestamp") else { return nil }
        switch (m["Duration"], m["Timestamp"]) {
        case (let d?, nil):
            guard let text = d.string() else { return nil }
            guard let seconds = ISO8601Duration.seconds(text) else {
                d.expected("an ISO 8601 duration such as PT10M, PT1H30M or P1D")
                return nil
            }
            return .duration(seconds: seconds, written: text)
        case (nil, let t?):
            guard t.string() != nil else { return nil }
            return .timestamp(t)
        case (_?, _?):
            m.value.error("give either Duration or Timestamp, not both")
            return nil
        case (nil, nil):
            m.value.error("aws:sleep needs Duration (such as PT10M) or Timestamp")
            return nil
        }
    }

    static func readBranch(_ v: YAMLValue) -> SSMBranch? {
        guard let m = v.mapping(allowed: ["Choices", "Default"], what: "a mapping of inputs with Choices and Default") else { return nil }
        let defaultStep = m["Default"].flatMap { d in d.string().map { d.located($0) } }
        guard let c = m.required("Choices"), let items = c.list(what: "a list of choices, each with NextStep") else { return nil }
        if items.isEmpty {
            c.error("list at least one choice")
            return nil
        }
        var choices: [SSMBranch.Choice] = []
        for item in items {
            guard let entries = item.entries(what: "a choice: a mapping with NextStep, Variable and an operation such as StringEquals") else { continue }
            let cm = YAMLMapping(value: item, entries: entries, rejections: [])
            guard let nv = cm.required("NextStep"), let next = nv.string() else { continue }
            let rest = YAMLMapping(value: item, entries: entries.filter { $0.key != "NextStep" }, rejections: [])
            guard let condition = readCondition(rest) else { continue }
            choices.append(SSMBranch.Choice(next: nv.located(next), condition: condition))
        }
        guard choices.count == items.count else { return nil }
        return SSMBranch(choices: choices, defaultStep: defaultStep)
    }

    static func readCondition(_ m: YAMLMapping) -> SSMCondition? {
        let allowed = ["Variable", "And", "Or", "Not"] + branchOperations
        for entry in m.entries where !allowed.contains(entry.key) {
            m.value.diagnostics.add(SourceError(
                "unknown key `\(entry.key)`\(Suggestion.didYouMean(entry.key, in: allowed)); a condition is Variable with one of \(branchOperations.joined(separator: ", ")), or And, Or or Not",
                at: entry.keyLocation, field: m.value.path))
            return nil
        }
        func nested(_ v: YAMLValue) -> SSMCondition? {
            guard let entries = v.entries(what: "a condition: a mapping with Variable and an operation such as StringEquals") else { return nil }
            return readCondition(YAMLMapping(value: v, entries: entries, rejections: []))
        }
        for key in ["And", "Or"] {
            guard let v = m.entries.first(where: { $0.key == key })?.value else { continue }
            guard m.entries.count == 1 else {
                v.error("\(key) stands alone in its condition; put the other tests inside its list")
                return nil
            }
            guard let items = v.list(what: "a list of conditions") else { return nil }
            if items.count < 2 { v.error("\(key) needs at least two conditions") }
            let conditions = items.compactMap(nested)
            guard conditions.count == items.count, items.count >= 2 else { return nil }
            return key == "And" ? .and(conditions) : .or(conditions)
        }
        if let v = m.entries.first(where: { $0.key == "Not" })?.value {
            guard m.entries.count == 1 else {
                v.error("Not stands alone in its condition; put the test it negates inside it")
                return nil
            }
            return nested(v).map { .not($0) }
        }
        let operations = m.entries.filter { branchOperations.contains($0.key) }
        guard let variable = m.required("Variable") else { return nil }
        guard variable.string() != nil else { return nil }
        guard operations.count == 1, let op = operations.first else {
            if operations.isEmpty {
                m.value.error("a condition needs one operation: \(branchOperations.joined(separator: ", "))")
            } else {
                m.value.diagnostics.add(SourceError("a condition has one operation; found \(operations.map(\.key).joined(separator: " and "))", at: operations[1].keyLocation, field: m.value.path))
            }
            return nil
        }
        guard op.value.isScalar else {
            op.value.expected("a value to compare with")
            return nil
        }
        return .compare(variable: variable, operation: op.key, value: op.value)
    }

    /// Step names are unique, and every step named as a next step exists.
    static func checkStepNames(_ steps: [SSMStep]) {
        var seen: [String: SSMStep] = [:]
        for step in steps {
            if let first = seen[step.name] {
                step.actionValue.diagnostics.add(SourceError(
                    "step name `\(step.name)` is already used by mainSteps[\(first.index)] at line \(first.location.line)", at: step.location,
                    field: FieldPath([.key("mainSteps"), .index(step.index), .key("name")])))
            } else {
                seen[step.name] = step
            }
        }
        let names = steps.map(\.name)
        func check(_ target: Located<String>, _ step: SSMStep, _ field: String) {
            guard seen[target.value] == nil else { return }
            let near = Suggestion.didYouMean(target.value, in: names)
            step.actionValue.diagnostics.add(SourceError(
                "no step is named `\(target.value)`\(near)", at: target.location, field: FieldPath([.key("mainSteps"), .index(step.index), .key(field)])))
        }
        for step in steps {
            if let next = step.nextStep { check(next, step, "nextStep") }
            if let failure = step.onFailure, failure.value.hasPrefix("step:") {
                check(Located(String(failure.value.dropFirst("step:".count)), at: failure.location), step, "onFailure")
            }
            if case .branch(let b) = step.body {
                for choice in b.choices { check(choice.next, step, "inputs") }
                if let d = b.defaultStep { check(d, step, "inputs") }
            }
        }
    }
}

/// ISO 8601 durations as aws:sleep takes them: `PT10M`, `PT1H30M`, `PT45S`, `P1D`, `P1DT12H`.
enum ISO8601Duration {
    /// Whole seconds, or nil when `text` is not such a duration (years and months are refused:
    /// their length depends on the date).
    static func seconds(_ text: String) -> Int? {
        guard let match = text.wholeMatch(of: /P(?:([0-9]+)W)?(?:([0-9]+)D)?(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+)S)?)?/) else { return nil }
        let parts = [match.output.1, match.output.2, match.output.3, match.output.4, match.output.5]
        guard parts.contains(where: { $0 != nil }), !text.hasSuffix("T") else { return nil }
        let sizes = [604_800, 86_400, 3_600, 60, 1]
        var total = 0
        for (part, size) in zip(parts, sizes) {
            guard let part else { continue }
            guard part.count <= 9, let n = Int(part) else { return nil }
            total += n * size
        }
        return total
    }

    /// `1 hour 30 minutes`, `10 minutes`, `45 seconds`, `2 days`.
    static func words(_ seconds: Int) -> String {
        if seconds == 0 { return "0 seconds" }
        var rest = seconds
        var parts: [String] = []
        for (size, unit) in [(86_400, "day"), (3_600, "hour"), (60, "minute"), (1, "second")] where rest >= size {
            let n = rest / size
            rest %= size
            parts.append("\(n) \(unit)\(n == 1 ? "" : "s")")
        }
        return parts.joined(separator: " ")
    }
}
