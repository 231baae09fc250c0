import BreakglassAWS

/// A rehearsed procedure from `runbooks/*.yaml` (docs/RUNBOOKS.md): parameters, then steps run one at a
/// time. Built by `RunbookLoader`, checked by `RunbookLinter`; an engine runs it step by step, rendering
/// each step's templates from the run's parameters and the outputs of the steps before it.
///
/// Everything a later check or the engine reports about keeps where it was written, so a problem found
/// after loading still names `file:line:column` and the field.
public struct Runbook: Sendable, Equatable {
    public var id: String
    public var title: String
    /// When to use it, in plain language.
    public var when: String?
    /// The break-glass role it needs (an id under `access.roles` in the configuration).
    public var access: Located<String>?
    /// In the order written.
    public var params: [RunbookParam]
    /// In the order they run; `steps[i].index == i`.
    public var steps: [RunbookStep]
    /// The file as errors name it.
    public var file: String
    /// Where the id is written.
    public var location: SourceLocation

    public init(
        id: String, title: String, when: String? = nil, access: Located<String>? = nil, params: [RunbookParam] = [], steps: [RunbookStep],
        file: String, location: SourceLocation
    ) {
        self.id = id
        self.title = title
        self.when = when
        self.access = access
        self.params = params
        self.steps = steps
        self.file = file
        self.location = location
    }

    public func param(_ name: String) -> RunbookParam? { params.first { $0.name == name } }

    /// The step with this id.
    public func step(id: String) -> RunbookStep? { steps.first { $0.id?.value == id } }

    /// Every AWS operation the steps send, in step order, each once: what a session policy for this
    /// runbook must allow (`wait_alarm` reads CloudWatch alarms, `query` reads DynamoDB).
    public var operations: [RunbookOperation] {
        var seen: [RunbookOperation] = []
        for step in steps {
            guard let op = step.operation, !seen.contains(op) else { continue }
            seen.append(op)
        }
        return seen
    }
}

/// `service.Operation`, as a runbook names a call: `rds.FailoverDBCluster`.
public struct RunbookOperation: Sendable, Hashable, CustomStringConvertible {
    /// Breakglass's short service name (`AWSService.name`): `rds`, `cloudwatch`, `elbv2`.
    public var service: String
    public var name: String

    public init(service: String, name: String) {
        self.service = service
        self.name = name
    }

    /// The catalog's entry, or nil when the catalog has no such operation (lint reports it).
    public var catalogEntry: AWSOperation? { AWSCatalog.operation(service: service, name: name) }

    public var description: String { "\(service).\(name)" }
}

// MARK: - Parameters

/// A value the run supplies (`--param cluster=prod-aurora`), used in templates as `{{cluster}}`.
public struct RunbookParam: Sendable, Equatable {
    public var name: String
    /// Used when the run gives no value: a string, a number or a boolean. Nil: the run must give one.
    public var defaultValue: AWSValue?
    /// Where the default is written.
    public var defaultLocation: SourceLocation?
    /// A regular expression every value must match (searched for, so anchor it with `^…$`).
    public var pattern: Located<String>?
    /// What the value is, shown when asking for it.
    public var description: String?
    /// Where the parameter's name is written.
    public var location: SourceLocation
    /// `params.NAME`.
    public var field: FieldPath

    public init(
        name: String, defaultValue: AWSValue? = nil, defaultLocation: SourceLocation? = nil, pattern: Located<String>? = nil,
        description: String? = nil, location: SourceLocation, field: FieldPath
    ) {
        self.name = name
        self.defaultValue = defaultValue
        self.defaultLocation = defaultLocation
        self.pattern = pattern
        self.description = description
        self.location = location
        self.field = field
    }

    /// Whether `value` (as text: numbers in decimal, booleans as true/false) matches the pattern; true
    /// when there is none. A pattern that is not a regular expression matches nothing (the loader
    /// refuses such patterns).
    public func accepts(_ value: AWSValue) -> Bool {
        guard let pattern else { return true }
        guard let text = RunbookText.scalarText(value), let regex = try? Regex(pattern.value) else { return false }
        return text.firstMatch(of: regex) != nil
    }

    /// A value given as text on the command line, typed like the default: `--param desired=8` is the
    /// number 8 when the default is a number, `--param force=true` a boolean when the default is one,
    /// and text otherwise. Nil when the text cannot be that type.
    public func value(fromText text: String) -> AWSValue? {
        switch defaultValue {
        case .number?:
            guard RunbookText.isNumber(text) else { return nil }
            return .number(text)
        case .bool?:
            switch text {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: return nil
            }
        default:
            return .string(text)
        }
    }
}

/// The values of a run's parameters: defaults, overridden by what the run gives, each checked
/// against its pattern.
public enum RunbookParams {
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        public let param: String
        public let message: String
        public var description: String { "--param \(param): \(message)" }
    }

    /// Every problem with the values given, one line each.
    public struct Problems: Error, Sendable, Hashable, CustomStringConvertible {
        public let problems: [Problem]
        public var description: String { problems.map(\.description).joined(separator: "\n") }
    }

    /// The parameters for a run of `runbook` given `given` (name -> text from the command line or a
    /// form). Every problem is returned: an unknown name, a missing value, a value of the wrong type
    /// or one that does not match the pattern.
    public static func resolve(_ runbook: Runbook, given: [String: String]) -> Result<[String: AWSValue], Problems> {
        var values: [String: AWSValue] = [:]
        var problems: [Problem] = []
        let names = runbook.params.map(\.name)
        for name in given.keys.sorted() where runbook.param(name) == nil {
            let known = names.isEmpty ? "; this runbook takes no parameters" : Suggestion.didYouMean(name, in: names) + " (parameters: \(names.joined(separator: ", ")))"
            problems.append(Problem(param: name, message: "runbook \(runbook.id) has no parameter `\(name)`\(known)"))
        }
        for param in runbook.params {
            let value: AWSValue
            if let text = given[param.name] {
                guard let typed = param.value(fromText: text) else {
                    let what = param.defaultValue.map { if case .bool = $0 { "true or false" } else { "a number" } } ?? "a value"
                    problems.append(Problem(param: param.name, message: "expected \(what), found \(text.debugDescription)"))
                    continue
                }
                value = typed
            } else if let d = param.defaultValue {
                value = d
            } else {
                problems.append(Problem(param: param.name, message: "no value given, and the parameter has no default"))
                continue
            }
            if !param.accepts(value), let pattern = param.pattern {
                let shown = RunbookText.scalarText(value) ?? ""
                problems.append(Problem(param: param.name, message: "\(shown.debugDescription) does not match the pattern \(pattern.value)"))
                continue
            }
            values[param.name] = value
        }
        return problems.isEmpty ? .success(values) : .failure(Problems(problems: problems))
    }
}

// MARK: - Steps

/// One step. Exactly one kind; an optional id names it so that later steps can use its output as
/// `{{steps.ID.Path}}`.
public struct RunbookStep: Sendable, Equatable {
    /// Its position in `Runbook.steps`, from 0.
    public var index: Int
    public var id: Located<String>?
    public var kind: Kind
    /// Where the step starts.
    public var location: SourceLocation
    /// `steps[index]`.
    public var field: FieldPath

    public init(index: Int, id: Located<String>? = nil, kind: Kind, location: SourceLocation, field: FieldPath) {
        self.index = index
        self.id = id
        self.kind = kind
        self.location = location
        self.field = field
    }

    public enum Kind: Sendable, Equatable {
        /// An instruction to read and do; confirmed with Done.
        case say(RunbookTemplate)
        /// A read-only call; shows expected against actual; runs without confirmation.
        case check(Check)
        /// A mutating call; always confirmed.
        case `do`(Do)
        /// A read-only call repeated until its answer matches, or the timeout.
        case wait(Wait)
        /// Wait until an alarm reaches a state.
        case waitAlarm(WaitAlarm)
        /// A second person confirms from their own console.
        case approve(Approve)
        /// Escalate now: page the next stage of the incident's plan.
        case page(Page)
        /// A DynamoDB query template.
        case query(Query)
    }

    /// The key that writes this kind: `say`, `check`, `do`, `wait`, `wait_alarm`, `approve`, `page`,
    /// `query`.
    public var kindName: String {
        switch kind {
        case .say: "say"
        case .check: "check"
        case .do: "do"
        case .wait: "wait"
        case .waitAlarm: "wait_alarm"
        case .approve: "approve"
        case .page: "page"
        case .query: "query"
        }
    }

    /// Every kind's key, in the order docs/RUNBOOKS.md describes them.
    public static let kindNames = ["say", "check", "do", "wait", "wait_alarm", "approve", "page", "query"]

    /// The AWS call a check, do or wait step makes.
    public var call: RunbookCall? {
        switch kind {
        case .check(let c): c.call
        case .do(let d): d.call
        case .wait(let w): w.call
        default: nil
        }
    }

    /// The AWS operation the step sends, including the implied ones: `wait_alarm` reads
    /// cloudwatch.DescribeAlarms, `query` sends dynamodb.Query (or dynamodb.Scan with `scan: true`).
    public var operation: RunbookOperation? {
        switch kind {
        case .check(let c): c.call.operation
        case .do(let d): d.call.operation
        case .wait(let w): w.call.operation
        case .waitAlarm: RunbookOperation(service: "cloudwatch", name: "DescribeAlarms")
        case .query(let q): RunbookOperation(service: "dynamodb", name: q.scan ? "Scan" : "Query")
        case .say, .approve, .page: nil
        }
    }

    /// Whether the step records an output later steps may use: the answer of its call (check, do,
    /// wait: the last answer, the one that matched) or of its query.
    public var recordsOutput: Bool {
        switch kind {
        case .check, .do, .wait, .query: true
        case .say, .waitAlarm, .approve, .page: false
        }
    }

    /// Every template in the step, in the order written.
    public var templates: [RunbookTemplate] {
        switch kind {
        case .say(let t): [t]
        case .check(let c): c.call.templates + c.expect.flatMap(\.value.templates) + (c.explain.map { [$0] } ?? [])
        case .do(let d): d.call.templates + (d.explain.map { [$0] } ?? [])
        case .wait(let w): w.call.templates + w.until.flatMap(\.value.templates) + (w.explain.map { [$0] } ?? [])
        case .waitAlarm(let w): [w.name]
        case .approve(let a): [a.explain]
        case .page(let p): [p.reason]
        case .query(let q): [q.table] + (q.index.map { [$0] } ?? []) + q.key.flatMap { $0.values.flatMap(\.templates) }
        }
    }

    public struct Check: Sendable, Equatable {
        public var call: RunbookCall
        /// Paths into the answer and the values they must have; empty: the check only shows the answer.
        public var expect: [RunbookExpectation]
        public var explain: RunbookTemplate?

        public init(call: RunbookCall, expect: [RunbookExpectation] = [], explain: RunbookTemplate? = nil) {
            self.call = call
            self.expect = expect
            self.explain = explain
        }
    }

    public struct Do: Sendable, Equatable {
        public var call: RunbookCall
        public var confirm: Confirmation
        /// What the action does and what people will notice; lint requires it.
        public var explain: RunbookTemplate?

        public init(call: RunbookCall, confirm: Confirmation = .yes, explain: RunbookTemplate? = nil) {
            self.call = call
            self.confirm = confirm
            self.explain = explain
        }
    }

    /// How a `do` is confirmed.
    public enum Confirmation: String, Sendable, Hashable, CaseIterable {
        /// A yes/no prompt.
        case yes
        /// Type the resource's name (the value of the operation's first required input).
        case type
    }

    public struct Wait: Sendable, Equatable {
        public var call: RunbookCall
        public var until: [RunbookExpectation]
        public var timeout: Duration
        /// How often to call.
        public var every: Duration
        public var explain: RunbookTemplate?

        public static let defaultEvery: Duration = .seconds(10)

        public init(call: RunbookCall, until: [RunbookExpectation], timeout: Duration, every: Duration = Wait.defaultEvery, explain: RunbookTemplate? = nil) {
            self.call = call
            self.until = until
            self.timeout = timeout
            self.every = every
            self.explain = explain
        }
    }

    public struct WaitAlarm: Sendable, Equatable {
        public var name: RunbookTemplate
        public var state: AlarmState
        /// Default: the run's region.
        public var region: String?
        public var timeout: Duration

        public init(name: RunbookTemplate, state: AlarmState, region: String? = nil, timeout: Duration) {
            self.name = name
            self.state = state
            self.region = region
            self.timeout = timeout
        }
    }

    public struct Approve: Sendable, Equatable {
        /// What the approver must check.
        public var explain: RunbookTemplate
        /// Nil: wait as long as it takes.
        public var timeout: Duration?

        public init(explain: RunbookTemplate, timeout: Duration? = nil) {
            self.explain = explain
            self.timeout = timeout
        }
    }

    public struct Page: Sendable, Equatable {
        /// Sent with the page.
        public var reason: RunbookTemplate

        public init(reason: RunbookTemplate) { self.reason = reason }
    }

    /// A DynamoDB query: key conditions only (equality on the partition key, optionally one condition on
    /// the sort key) and a limit. `scan: true` reads the whole table instead, and needs a reason.
    public struct Query: Sendable, Equatable {
        public var table: RunbookTemplate
        /// A global or local secondary index.
        public var index: RunbookTemplate?
        /// In the order written.
        public var key: [RunbookKeyCondition]
        /// Where `key` is written, when it is.
        public var keyLocation: SourceLocation?
        public var limit: Int
        public var scan: Bool
        /// Where `scan` is written, when it is.
        public var scanLocation: SourceLocation?
        public var reason: String?
        public var region: String?
        /// Where the `query` mapping starts.
        public var location: SourceLocation
        /// `steps[i].query`.
        public var field: FieldPath

        public init(
            table: RunbookTemplate, index: RunbookTemplate? = nil, key: [RunbookKeyCondition], keyLocation: SourceLocation? = nil, limit: Int,
            scan: Bool = false, scanLocation: SourceLocation? = nil, reason: String? = nil, region: String? = nil, location: SourceLocation,
            field: FieldPath
        ) {
            self.table = table
            self.index = index
            self.key = key
            self.keyLocation = keyLocation
            self.limit = limit
            self.scan = scan
            self.scanLocation = scanLocation
            self.reason = reason
            self.region = region
            self.location = location
            self.field = field
        }

        /// The DynamoDB request the step sends: `Query` with a KeyConditionExpression whose names and
        /// values are all placeholders (`#k0 = :v0 AND begins_with(#k1, :v1)`), or `Scan`. Text
        /// values are sent as strings (`S`), numbers as numbers (`N`).
        public func request(_ context: RunbookRenderContext) throws(RunbookRenderError) -> (operation: RunbookOperation, input: AWSValue) {
            var input = AWSObject()
            input["TableName"] = .string(try table.renderText(context))
            if let index { input["IndexName"] = .string(try index.renderText(context)) }
            input["Limit"] = .int(limit)
            if scan {
                return (RunbookOperation(service: "dynamodb", name: "Scan"), .object(input))
            }
            var names = AWSObject()
            var values = AWSObject()
            var clauses: [String] = []
            var v = 0
            for (k, condition) in key.enumerated() {
                names["#k\(k)"] = .string(condition.attribute)
                var placeholders: [String] = []
                for value in condition.values {
                    let rendered = try value.render(context)
                    let attribute: AWSValue
                    switch rendered {
                    case .number(let n): attribute = ["N": .string(n)]
                    case .string(let s): attribute = ["S": .string(s)]
                    default:
                        throw RunbookRenderError("a key condition's value must be text or a number (DynamoDB keys are strings or numbers)", at: value.location, field: value.field)
                    }
                    values[":v\(v)"] = attribute
                    placeholders.append(":v\(v)")
                    v += 1
                }
                clauses.append(condition.comparison.expression(name: "#k\(k)", values: placeholders))
            }
            input["KeyConditionExpression"] = .string(clauses.joined(separator: " AND "))
            input["ExpressionAttributeNames"] = .object(names)
            input["ExpressionAttributeValues"] = .object(values)
            return (RunbookOperation(service: "dynamodb", name: "Query"), .object(input))
        }
    }
}

/// One key condition of a `query` step: `pk: "{{customer}}"` (equality), or
/// `sk: { begins_with: "2024-12" }`, `sk: { between: [a, b] }`, `sk: { ">=": 5 }`.
public struct RunbookKeyCondition: Sendable, Equatable {
    public enum Comparison: String, Sendable, Hashable, CaseIterable {
        case equal = "="
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="
        case beginsWith = "begins_with"
        case between = "between"

        /// The KeyConditionExpression clause.
        func expression(name: String, values: [String]) -> String {
            switch self {
            case .beginsWith: "begins_with(\(name), \(values.first ?? ""))"
            case .between: "\(name) BETWEEN \(values.first ?? "") AND \(values.last ?? "")"
            default: "\(name) \(rawValue) \(values.first ?? "")"
            }
        }
    }

    public var attribute: String
    public var comparison: Comparison
    /// One value, or two for `between`.
    public var values: [RunbookValue]
    /// Where the attribute's name is written.
    public var location: SourceLocation
    public var field: FieldPath

    public init(attribute: String, comparison: Comparison, values: [RunbookValue], location: SourceLocation, field: FieldPath) {
        self.attribute = attribute
        self.comparison = comparison
        self.values = values
        self.location = location
        self.field = field
    }
}

/// The AWS call of a check, do or wait step: `call: rds.FailoverDBCluster` and its `with`.
public struct RunbookCall: Sendable, Equatable {
    public var operation: RunbookOperation
    /// Where the `call` value is written.
    public var location: SourceLocation
    /// `steps[i].KIND.call`.
    public var field: FieldPath
    /// The input's members, in the order written.
    public var input: [RunbookMember]
    /// Where `with` is written; nil when the step has none.
    public var inputLocation: SourceLocation?
    /// `steps[i].KIND.with`.
    public var inputField: FieldPath

    public init(operation: RunbookOperation, location: SourceLocation, field: FieldPath, input: [RunbookMember] = [], inputLocation: SourceLocation? = nil, inputField: FieldPath) {
        self.operation = operation
        self.location = location
        self.field = field
        self.input = input
        self.inputLocation = inputLocation
        self.inputField = inputField
    }

    public var templates: [RunbookTemplate] { input.flatMap(\.value.templates) }

    /// The request's input, rendered: an object with the members in the order written.
    public func render(_ context: RunbookRenderContext) throws(RunbookRenderError) -> AWSValue {
        var object = AWSObject()
        for member in input { object[member.key] = try member.value.render(context) }
        return .object(object)
    }

    /// The member that names the resource the call acts on: the first of the operation's required
    /// inputs that `with` gives (`DBClusterIdentifier`, `AutoScalingGroupName`, `QueueUrl`). What a
    /// `confirm: type` step asks the operator to type is its rendered value. Nil for an operation the
    /// catalog does not have or without required inputs.
    public var resourceMember: RunbookMember? {
        guard let entry = operation.catalogEntry else { return nil }
        for name in entry.requiredInputs {
            if let member = input.first(where: { $0.key == name }) { return member }
        }
        return nil
    }
}

/// A path into a step's answer and the value it must have: `"DBClusters[0].Status": available`.
public struct RunbookExpectation: Sendable, Equatable {
    public var path: AWSPath
    public var value: RunbookValue
    /// Where the path (the key) is written.
    public var location: SourceLocation
    /// `steps[i].KIND.expect` or `.until`.
    public var field: FieldPath

    public init(path: AWSPath, value: RunbookValue, location: SourceLocation, field: FieldPath) {
        self.path = path
        self.value = value
        self.location = location
        self.field = field
    }

    /// Whether `answer` has the expected value at the path. The expected value is rendered first (it
    /// may use templates). Values compare as AWS sends them across protocols: the number 3 equals the
    /// text "3" (query protocols send numbers as text), `true` equals "true", and an expected `null`
    /// matches a missing member.
    public func isMet(by answer: AWSValue, _ context: RunbookRenderContext) throws(RunbookRenderError) -> Bool {
        Self.same(answer.value(at: path), try value.render(context))
    }

    /// Actual against expected, as `isMet` compares them.
    public static func same(_ actual: AWSValue?, _ expected: AWSValue) -> Bool {
        guard let actual, !actual.isNull else { return expected.isNull }
        switch (actual, expected) {
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { same($0, $1) }
        case (.object, _), (_, .object), (.array, _), (_, .array):
            return actual == expected
        default:
            guard let a = RunbookText.scalarText(actual), let b = RunbookText.scalarText(expected) else { return false }
            if a == b { return true }
            if RunbookText.isNumber(a), RunbookText.isNumber(b), let x = Double(a), let y = Double(b) { return x == y }
            return false
        }
    }
}

/// A key and its value in a runbook mapping (a call's `with`, or a nested mapping in it).
public struct RunbookMember: Sendable, Equatable {
    public var key: String
    /// Where the key is written.
    public var keyLocation: SourceLocation
    public var value: RunbookValue

    public init(key: String, keyLocation: SourceLocation, value: RunbookValue) {
        self.key = key
        self.keyLocation = keyLocation
        self.value = value
    }
}

/// A value written in a runbook: text (a template), a number, a boolean, null, a list or a mapping,
/// with where it is written.
public struct RunbookValue: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case text(RunbookTemplate)
        /// As written, in decimal.
        case number(String)
        case bool(Bool)
        case null
        case list([RunbookValue])
        case mapping([RunbookMember])
    }

    public var kind: Kind
    public var location: SourceLocation
    public var field: FieldPath

    public init(_ kind: Kind, location: SourceLocation, field: FieldPath) {
        self.kind = kind
        self.location = location
        self.field = field
    }

    /// Every template in the value, in the order written.
    public var templates: [RunbookTemplate] {
        switch kind {
        case .text(let t): [t]
        case .number, .bool, .null: []
        case .list(let items): items.flatMap(\.templates)
        case .mapping(let members): members.flatMap(\.value.templates)
        }
    }

    /// The value with its templates rendered. Text that is one expression and nothing else
    /// (`"{{desired}}"`) takes the type of what it refers to, so a number stays a number.
    public func render(_ context: RunbookRenderContext) throws(RunbookRenderError) -> AWSValue {
        switch kind {
        case .text(let t): return try t.render(context)
        case .number(let n): return .number(n)
        case .bool(let b): return .bool(b)
        case .null: return .null
        case .list(let items):
            var out: [AWSValue] = []
            for item in items { out.append(try item.render(context)) }
            return .array(out)
        case .mapping(let members):
            var object = AWSObject()
            for member in members { object[member.key] = try member.value.render(context) }
            return .object(object)
        }
    }

    /// The value as written, templates unrendered (`{{cluster}}`), for showing a step.
    public var written: AWSValue {
        switch kind {
        case .text(let t): .string(t.source)
        case .number(let n): .number(n)
        case .bool(let b): .bool(b)
        case .null: .null
        case .list(let items): .array(items.map(\.written))
        case .mapping(let members): .object(AWSObject(members.map { ($0.key, $0.value.written) }))
        }
    }
}

/// How scalars read as text, the same way everywhere: in patterns, comparisons and templates.
enum RunbookText {
    /// Text for a string, number or boolean; nil for null, lists and objects.
    static func scalarText(_ value: AWSValue) -> String? {
        switch value {
        case .string(let s): s
        case .number(let n): n
        case .bool(let b): b ? "true" : "false"
        default: nil
        }
    }

    /// A decimal number: `-3`, `8`, `0.5`, `1e3`.
    static func isNumber(_ text: String) -> Bool {
        text.wholeMatch(of: /-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/) != nil
    }
}
