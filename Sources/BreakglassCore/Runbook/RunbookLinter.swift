import BreakglassAWS
import Foundation

/// Checks a loaded runbook against Breakglass's catalog of AWS operations and, when given, the
/// configuration: the problems a run would otherwise meet halfway through an incident. Pure: the
/// same runbook, catalog and configuration always give the same problems, in file order, each with
/// `file:line:column` and the field.
///
/// - `call` names an operation the catalog has (the message lists what the service offers);
/// - a `check` or `wait` only reads, a `do` only changes (`mutates` in the catalog);
/// - `with` gives every required parameter and no unknown one (with the nearest name suggested);
/// - every `{{param}}` is a parameter, and every `{{steps.ID.Path}}` names an earlier step that
///   records an output;
/// - a `do` says what it does (`explain`);
/// - a `query` has key conditions (equality on the partition key, at most one condition on the sort
///   key), or `scan: true` with a `reason`;
/// - each parameter's default matches its pattern;
/// - `access` names a role the configuration defines.
public enum RunbookLinter {
    /// `config`: the configuration to check `access` against; nil when there is none (a runbook linted
    /// on its own, or no configuration file was found).
    public static func lint(_ runbook: Runbook, config: BreakglassConfig? = nil) -> [SourceError] {
        var problems: [SourceError] = []
        func report(_ message: String, _ location: SourceLocation, _ field: FieldPath) {
            problems.append(SourceError(message, at: location, field: field))
        }

        if let access = runbook.access, let config {
            let roles = config.access.roles.map(\.id)
            if !roles.contains(access.value) {
                let file = config.file.map { " in \($0)" } ?? ""
                let known: String
                if roles.isEmpty {
                    known = "; the configuration\(file) defines no roles"
                } else if let near = Suggestion.closest(to: access.value, in: roles) {
                    known = "; did you mean `\(near)`?"
                } else {
                    known = "; the configuration\(file) defines \(roles.map { "`\($0)`" }.joined(separator: ", "))"
                }
                report("role `\(access.value)` is not defined under access.roles\(file)\(known)", access.location, FieldPath([.key("access")]))
            }
        }

        for param in runbook.params {
            if let value = param.defaultValue, let pattern = param.pattern, !param.accepts(value) {
                let shown = RunbookText.scalarText(value) ?? ""
                report("the default \(shown.debugDescription) does not match the pattern \(pattern.value)", param.defaultLocation ?? param.location, param.field.appending(key: "default"))
            }
        }

        for step in runbook.steps {
            if let call = step.call { problems += checkCall(call, in: step) }
            switch step.kind {
            case .do(let d) where d.explain == nil || d.explain?.source.trimmingCharacters(in: .whitespaces).isEmpty == true:
                report("a `do` step needs `explain`: say in plain words what it changes and what people will notice", step.location, step.field.appending(key: "do"))
            case .query(let q):
                problems += checkQuery(q)
            default:
                break
            }
            for template in step.templates {
                problems += checkTemplate(template, in: step, of: runbook)
            }
        }
        return SourceErrors(problems).errors
    }

    // MARK: Calls

    static func checkCall(_ call: RunbookCall, in step: RunbookStep) -> [SourceError] {
        let op = call.operation
        guard AWSService.named(op.service)?.name == op.service else {
            let services = AWSService.all.map(\.name)
            let near = Suggestion.closest(to: op.service, in: services).map { "; did you mean `\($0)`?" } ?? ""
            return [SourceError(
                "unknown service `\(op.service)`\(near) (Breakglass's catalog has \(services.joined(separator: ", ")))", at: call.location, field: call.field)]
        }
        guard let entry = op.catalogEntry else {
            let names = AWSCatalog.operations(of: op.service).map(\.name)
            let near = Suggestion.closest(to: op.name, in: names).map { "; did you mean `\($0)`?" } ?? ""
            return [SourceError(
                "\(op.service) has no operation `\(op.name)` in Breakglass's catalog\(near) (\(op.service) has \(names.joined(separator: ", ")))",
                at: call.location, field: call.field)]
        }
        var problems: [SourceError] = []
        switch step.kind {
        case .check where entry.mutates, .wait where entry.mutates:
            problems.append(SourceError(
                "a `\(step.kindName)` step only reads, but \(op) changes something in AWS; use a `do` step, which is confirmed before it is sent",
                at: call.location, field: call.field))
        case .do where !entry.mutates:
            problems.append(SourceError(
                "\(op) only reads; a `do` step is for changes and is confirmed first. Use a `check` step (or a `wait` to repeat it until it matches)",
                at: call.location, field: call.field))
        default:
            break
        }

        let inputs = entry.inputs.map(\.name)
        var misspelt = Set<String>()
        for member in call.input where entry.input(member.key) == nil {
            var message = "\(op) has no parameter `\(member.key)`"
            if let near = Suggestion.closest(to: member.key, in: inputs) {
                message += "; did you mean `\(near)`?"
                misspelt.insert(near)
            } else if inputs.isEmpty {
                message += "; it takes none"
            } else if inputs.count <= 12 {
                message += "; it takes \(inputs.joined(separator: ", "))"
            } else {
                message += "; see its API reference for the \(inputs.count) it takes"
            }
            problems.append(SourceError(message, at: member.keyLocation, field: call.inputField))
        }
        for name in entry.requiredInputs where !call.input.contains(where: { $0.key == name }) && !misspelt.contains(name) {
            if let at = call.inputLocation {
                problems.append(SourceError("missing required parameter `\(name)` for \(op)", at: at, field: call.inputField))
            } else {
                problems.append(SourceError("\(op) needs the parameter `\(name)`; give it under `with`", at: call.location, field: call.field))
            }
        }
        return problems
    }

    // MARK: Queries

    static func checkQuery(_ q: RunbookStep.Query) -> [SourceError] {
        var problems: [SourceError] = []
        if q.scan {
            if q.reason?.trimmingCharacters(in: .whitespaces).isEmpty ?? true {
                problems.append(SourceError(
                    "a scan reads the whole table and can use up its read capacity; add a `reason` that says why that is acceptable here, or query by key instead",
                    at: q.scanLocation ?? q.location, field: q.field.appending(key: "scan")))
            }
            if !q.key.isEmpty, let at = q.keyLocation {
                problems.append(SourceError("a scan takes no key conditions; remove `key`, or remove `scan: true` to query by key", at: at, field: q.field.appending(key: "key")))
            }
            return problems
        }
        guard !q.key.isEmpty else {
            let at = q.keyLocation ?? q.location
            let field = q.keyLocation == nil ? q.field : q.field.appending(key: "key")
            problems.append(SourceError(
                "a query needs key conditions: `key` with the partition key's value, such as { pk: \"{{customer}}\" } (a table scan needs `scan: true` and a `reason`)",
                at: at, field: field))
            return problems
        }
        if q.key.count > 2, let extra = q.key.dropFirst(2).first {
            problems.append(SourceError(
                "a query has at most two key conditions: the partition key and, optionally, the sort key; filter on other attributes after reading",
                at: extra.location, field: q.field.appending(key: "key")))
        }
        let equalities = q.key.filter { $0.comparison == .equal }
        if equalities.isEmpty, let first = q.key.first {
            problems.append(SourceError(
                "the partition key needs an equality condition (`\(first.attribute): value`); \(first.comparison.rawValue) can only apply to the sort key",
                at: first.location, field: first.field))
        } else if q.key.count - equalities.count > 1, let second = q.key.filter({ $0.comparison != .equal }).dropFirst().first {
            problems.append(SourceError(
                "only the sort key can take a \(second.comparison.rawValue) condition; the partition key needs an equality",
                at: second.location, field: second.field))
        }
        return problems
    }

    // MARK: Templates

    static func checkTemplate(_ template: RunbookTemplate, in step: RunbookStep, of runbook: Runbook) -> [SourceError] {
        var problems: [SourceError] = []
        let params = runbook.params.map(\.name)
        for part in template.references {
            switch part {
            case .text:
                break
            case .param(let name):
                guard runbook.param(name) == nil else { continue }
                var message = "unknown parameter `\(name)` in \(RunbookTemplate.expressionText(part))"
                if params.isEmpty {
                    message += "; the runbook has no `params`"
                } else if let near = Suggestion.closest(to: name, in: params) {
                    message += "; did you mean `\(near)`?"
                } else {
                    message += "; the runbook's parameters are \(params.joined(separator: ", "))"
                }
                problems.append(SourceError(message, at: template.location, field: template.field))
            case .output(let id, _):
                let shown = RunbookTemplate.expressionText(part)
                guard let source = runbook.step(id: id) else {
                    let ids = runbook.steps.compactMap { $0.id?.value }
                    var message = "no step has the id `\(id)` (in \(shown))"
                    if let near = Suggestion.closest(to: id, in: ids) {
                        message += "; did you mean `\(near)`?"
                    } else if ids.isEmpty {
                        message += "; give the step whose output you want an `id`"
                    } else {
                        message += "; step ids: \(ids.joined(separator: ", "))"
                    }
                    problems.append(SourceError(message, at: template.location, field: template.field))
                    continue
                }
                if source.index == step.index {
                    problems.append(SourceError("\(shown) refers to this step's own output; a step can only use the outputs of steps before it", at: template.location, field: template.field))
                } else if source.index > step.index {
                    problems.append(SourceError(
                        "step `\(id)` (\(source.field)) runs after this one, so its output does not exist yet; a step can only use the outputs of steps before it (in \(shown))",
                        at: template.location, field: template.field))
                } else if !source.recordsOutput {
                    problems.append(SourceError(
                        "step `\(id)` is a `\(source.kindName)` step and records no output; only check, do, wait and query steps do (in \(shown))",
                        at: template.location, field: template.field))
                }
            }
        }
        return problems
    }
}
