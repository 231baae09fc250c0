import BreakglassAWS
import Foundation

/// A runbook that puts back what a run changed, built from the values `RunbookChanges.before`
/// recorded before each `do` step.
///
/// Changes are undone latest first. Changes of the same value are merged: the value goes back, in one
/// call, to what it was before the run's first change of it, and a value a later step already put back
/// (freeze-ingestion's limit, pause-workers' count) is left alone — undoing each step in turn would
/// pause the workers or freeze ingestion again on the way.
public enum RunbookUndo {
    /// A runbook that undoes `changes` (latest first) of a run of `original` (run number `run`): a `say`
    /// explaining what it puts back, then per change a `do` (confirm: type when the call has a resource
    /// member, with a plain `explain` saying from what to what) followed by a `check` or `wait` that
    /// reads the value back; params none. Nil when nothing can be undone. Its id is
    /// "undo-<original id>-<run>", title "Undo run <run> of <original title>". Steps' SourceLocations
    /// point at a synthetic file name "undo of run <run>".
    public static func runbook(undoing changes: [RunbookRecordedChange], of original: Runbook, run: Int64) -> Runbook? {
        guard let text = yaml(undoing: changes, of: original, run: run) else { return nil }
        // The runbook is the YAML read back, so the two can never disagree; its locations are the
        // YAML's lines under the synthetic file name.
        return try? RunbookLoader.parse(text, file: fileName(run: run))
    }

    /// The same as runbook YAML text in our format (docs/RUNBOOKS.md), which RunbookLoader loads back
    /// to an equal runbook (ignoring locations) and RunbookLinter passes; plus a list of the changes
    /// that could not be undone as YAML comments at the top.
    public static func yaml(undoing changes: [RunbookRecordedChange], of original: Runbook, run: Int64) -> String? {
        var analysis = UndoAnalysis(changes)
        // A value with `{{` in it would be read back as a template; no AWS name has one, but the
        // runbook must load.
        analysis.groups.removeAll { group in
            let bad = group.calls.contains { YAMLText.hasTemplate($0.input) } || group.readbacks.joined().contains { YAMLText.hasTemplate($0.input) }
            if bad {
                analysis.notUndone.append(NotUndone(step: group.steps.last ?? 0, operation: group.calls.first?.operation, reason: "A value to put back contains `{{`, which a runbook cannot write; put \(group.summary) back by hand."))
            }
            return bad
        }
        guard !analysis.groups.isEmpty else { return nil }

        var lines: [String] = []
        lines.append("# Undo of run \(run) of \(YAMLText.comment(original.id)) (\(YAMLText.comment(original.title))), written by Breakglass from the")
        lines.append("# values it recorded before each change. The latest change is undone first.")
        if !analysis.notUndone.isEmpty {
            lines.append("# Not undone:")
            for n in analysis.notUndone { lines.append("#   \(YAMLText.comment(n.label)): \(YAMLText.comment(n.reason))") }
        }
        lines.append("id: \(YAMLText.quote("undo-\(original.id)-\(run)"))")
        lines.append("title: \(YAMLText.quote("Undo run \(run) of \(original.title)"))")
        lines.append("when: \(YAMLText.quote(YAMLText.plain("To put back what run \(run) of \(original.id) changed, as it was before that run.")))")
        if let access = original.access { lines.append("access: \(YAMLText.quote(access.value))") }
        lines.append("steps:")

        var say = "This puts back what run \(run) of \(original.id) changed, the latest change first:"
        for group in analysis.groups { say += "\n- \(group.summary)" }
        if !analysis.notUndone.isEmpty {
            say += "\nNot undone (see each reason):"
            for n in analysis.notUndone { say += "\n- \(n.label): \(n.reason)" }
        }
        say += "\nEach change is confirmed before it is sent. Stop here if any of these values were changed again since the run on purpose."
        lines.append("  - say: \(YAMLText.quote(YAMLText.plain(say)))")

        for group in analysis.groups {
            for (call, readbacks) in zip(group.calls, group.readbacks) {
                lines.append("  - do:")
                lines.append("      call: \(call.operation.service).\(call.operation.name)")
                lines.append("      with: \(YAMLText.flow(call.input))")
                if Self.hasResourceMember(call) { lines.append("      confirm: type") }
                lines.append("      explain: \(YAMLText.quote(YAMLText.plain(call.explain)))")
                for r in readbacks {
                    lines.append("  - \(r.kind == .wait ? "wait" : "check"):")
                    lines.append("      call: \(r.operation.service).\(r.operation.name)")
                    lines.append("      with: \(YAMLText.flow(r.input))")
                    let paths = "{" + r.expect.map { "\(YAMLText.quote($0.path)): \(YAMLText.flow($0.value))" }.joined(separator: ", ") + "}"
                    if r.kind == .wait {
                        lines.append("      until: \(paths)")
                        lines.append("      timeout: \(r.timeout)")
                        lines.append("      every: \(r.every)")
                    } else {
                        lines.append("      expect: \(paths)")
                    }
                    lines.append("      explain: \(YAMLText.quote(YAMLText.plain(r.explain)))")
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// "undo of run 7": the file an undo runbook's locations name.
    static func fileName(run: Int64) -> String { "undo of run \(run)" }

    /// Whether a `confirm: type` can ask for the call's resource: the catalog's first required input
    /// that the call gives, when it is a name (EC2's `InstanceIds` is a list: a yes/no confirmation).
    static func hasResourceMember(_ call: RunbookUndoCall) -> Bool {
        guard let entry = call.operation.catalogEntry, let input = call.input.object,
            let member = entry.requiredInputs.first(where: { input[$0] != nil }), let value = input[member]
        else { return false }
        return RunbookText.scalarText(value) != nil
    }
}

// MARK: - Undo analysis

/// A read that shows an undo took effect: the step written after its `do`.
struct UndoReadback {
    enum Kind { case wait, check }
    var kind: Kind
    var operation: RunbookOperation
    var input: AWSValue
    var expect: [(path: String, value: AWSValue)]
    var timeout = "5m"
    var every = "10s"
    var explain: String
}

/// The calls that put one resource's values back.
struct UndoGroup {
    var resource: ChangedResource
    var calls: [RunbookUndoCall]
    /// For each call, the reads after it.
    var readbacks: [[UndoReadback]]
    /// "prod-web's desired capacity, from 8 back to 4".
    var summary: String
    /// The steps whose changes it undoes, in run order.
    var steps: [Int]
}

/// A change, or part of one, that cannot be undone, and why.
struct NotUndone {
    var step: Int
    var operation: RunbookOperation?
    var reason: String

    /// "step 5 (ecs.UpdateService)"; steps count from 1, as people read a runbook.
    var label: String { "step \(step + 1)" + (operation.map { " (\($0))" } ?? "") }
}

/// What undoing a run's changes takes: per resource, the value before its first change against the
/// value its last change set.
struct UndoAnalysis {
    var groups: [UndoGroup] = []
    var notUndone: [NotUndone] = []

    private struct Tracked {
        var resource: ChangedResource
        var keys: [String] = []
        var fields: [String: ChangedField] = [:]
        var original = AWSObject()
        var unrecorded: Set<String> = []
        var final: [String: AWSValue?] = [:]
        var steps: [Int] = []
        var options = AWSObject()
        var firstOperation: RunbookOperation
    }

    init(_ changes: [RunbookRecordedChange]) {
        let ordered = changes.enumerated().sorted { ($0.element.step, $0.offset) < ($1.element.step, $1.offset) }.map(\.element)
        var tracked: [ChangedResource: Tracked] = [:]
        var order: [ChangedResource] = []
        for change in ordered {
            let model = ChangeModel(change.operation, change.input)
            if let problem = model.problem { notUndone.append(NotUndone(step: change.step, operation: change.operation, reason: problem + ".")) }
            if let reason = model.irreversible { notUndone.append(NotUndone(step: change.step, operation: change.operation, reason: reason)) }
            if !model.unrecorded.isEmpty {
                let names = model.unrecorded.map { "`\($0)`" }.joined(separator: ", ")
                notUndone.append(NotUndone(step: change.step, operation: change.operation, reason: "Breakglass does not record \(names) before a change, so \(model.unrecorded.count == 1 ? "it is" : "they are") not put back."))
            }
            for field in model.fields where field.restorable {
                var t = tracked[field.resource] ?? Tracked(resource: field.resource, firstOperation: change.operation)
                if tracked[field.resource] == nil { order.append(field.resource) }
                if !t.keys.contains(field.key) {
                    t.keys.append(field.key)
                    if let before = change.before[field.key] {
                        t.original[field.key] = field.kind.normalize(before)
                    } else {
                        t.unrecorded.insert(field.key)
                        notUndone.append(NotUndone(step: change.step, operation: change.operation, reason: "\(Self.capitalized(field.what)) before the change was not recorded, so it cannot be put back."))
                    }
                }
                t.fields[field.key] = field
                t.final[field.key] = field.asked
                if t.steps.last != change.step { t.steps.append(change.step) }
                for (k, v) in model.options { t.options[k] = v }
                tracked[field.resource] = t
            }
        }
        var built: [UndoGroup] = []
        for resource in order {
            guard let t = tracked[resource] else { continue }
            let changed = t.keys.filter { key in
                guard !t.unrecorded.contains(key), let field = t.fields[key], let was = t.original[key] else { return false }
                guard let final = t.final[key], let now = final else { return true }  // not known in advance: assume it changed
                return !field.matches(was, now)
            }
            guard !changed.isEmpty else { continue }
            switch Self.restore(t.resource, changed: changed, fields: t.fields, original: t.original, final: t.final, options: t.options) {
            case .success(var group):
                group.steps = t.steps
                built.append(group)
            case .failure(let reason):
                notUndone.append(NotUndone(step: t.steps.last ?? 0, operation: t.firstOperation, reason: reason.text))
            }
        }
        // Latest first: by the last step that changed each resource.
        groups = built.enumerated().sorted { ($0.element.steps.last ?? 0, $0.offset) > ($1.element.steps.last ?? 0, $1.offset) }.map(\.element)
    }

    struct Reason: Error { var text: String }

    static func capitalized(_ s: String) -> String { ChangeModel.capitalizedStart(s) }

    private static func op(_ service: String, _ name: String) -> RunbookOperation { RunbookOperation(service: service, name: name) }

    /// The value a change set, in words: "8", or `unknown` when it was not known in advance.
    private static func shown(_ field: ChangedField, _ value: AWSValue??, unknown: String) -> String {
        guard let value, let value else { return unknown }
        return field.show(value)
    }

    /// The calls that put `changed` back to `original` on one resource, and the reads after them.
    static func restore(
        _ resource: ChangedResource, changed: [String], fields: [String: ChangedField], original: AWSObject, final: [String: AWSValue?], options: AWSObject
    ) -> Result<UndoGroup, Reason> {
        func field(_ key: String) -> ChangedField? { fields[key] }
        func fromTo(_ key: String) -> String {
            guard let f = field(key), let was = original[key] else { return key }
            // A value not known in advance (the writer a failover picked) is not named.
            guard let after = final[key], let after else { return "\(f.what), back to \(f.show(was))" }
            return "\(f.what), from \(f.show(after)) back to \(f.show(was))"
        }
        let summary = changed.map { fromTo($0) }.joined(separator: "; ")
        func group(_ calls: [RunbookUndoCall], _ readbacks: [[UndoReadback]]) -> Result<UndoGroup, Reason> {
            .success(UndoGroup(resource: resource, calls: calls, readbacks: readbacks, summary: summary, steps: []))
        }

        switch resource {
        case .autoScalingGroup(let name):
            guard let was = original["DesiredCapacity"] else { return .failure(Reason(text: "The desired capacity before was not recorded.")) }
            let call = RunbookUndoCall(
                operation: op("autoscaling", "SetDesiredCapacity"),
                input: ["AutoScalingGroupName": .string(name), "DesiredCapacity": was, "HonorCooldown": false],
                explain: "Sets \(fromTo("DesiredCapacity")), as it was before the change. Servers are started or stopped to match over the next few minutes.")
            let read = UndoReadback(
                kind: .wait, operation: op("autoscaling", "DescribeAutoScalingGroups"), input: ["AutoScalingGroupNames": [.string(name)]],
                expect: [("AutoScalingGroups[0].DesiredCapacity", was)], timeout: "5m", every: "10s",
                explain: "Waits until AWS has taken the size \(ChangedField.plain(was)) again.")
            return group([call], [[read]])

        case .ecsService(let cluster, let service):
            var input = AWSObject()
            if let cluster { input["cluster"] = .string(cluster) }
            input["service"] = .string(service)
            var expect: [(path: String, value: AWSValue)] = []
            for key in changed {
                guard let was = original[key] else { continue }
                input[key] = was
                expect.append(("services[0].\(key)", was))
            }
            var readInput = AWSObject()
            if let cluster { readInput["cluster"] = .string(cluster) }
            readInput["services"] = [.string(service)]
            let call = RunbookUndoCall(
                operation: op("ecs", "UpdateService"), input: .object(input),
                explain: "Sets \(summary), as before the change. ECS starts or stops containers to match over the next minutes.")
            let read = UndoReadback(
                kind: .wait, operation: op("ecs", "DescribeServices"), input: .object(readInput), expect: expect, timeout: "10m", every: "15s",
                explain: "Waits until \(service) has the values it had before the change.")
            return group([call], [[read]])

        case .lambdaFunction(let function):
            guard let was = original["ReservedConcurrentExecutions"] else { return .failure(Reason(text: "The reserved concurrency before was not recorded.")) }
            let now = field("ReservedConcurrentExecutions").map { shown($0, final["ReservedConcurrentExecutions"], unknown: "its current value") } ?? "its current value"
            let call: RunbookUndoCall
            if was.isNull {
                call = RunbookUndoCall(
                    operation: op("lambda", "DeleteFunctionConcurrency"), input: ["FunctionName": .string(function)],
                    explain: "Removes \(function)'s limit (now \(now)), so it runs from the account's shared pool again, as it did before the change.")
            } else {
                call = RunbookUndoCall(
                    operation: op("lambda", "PutFunctionConcurrency"), input: ["FunctionName": .string(function), "ReservedConcurrentExecutions": was],
                    explain: "Sets \(fromTo("ReservedConcurrentExecutions")), as it was before the change.")
            }
            let read = UndoReadback(
                kind: .wait, operation: op("lambda", "GetFunctionConcurrency"), input: ["FunctionName": .string(function)],
                expect: [("ReservedConcurrentExecutions", was)], timeout: "2m", every: "10s",
                explain: was.isNull ? "Checks that \(function) has no limit of its own any more." : "Checks that \(function)'s limit is \(ChangedField.plain(was)) again.")
            return group([call], [[read]])

        case .dbInstance(let id):
            var input: AWSObject = ["DBInstanceIdentifier": .string(id)]
            var expect: [(path: String, value: AWSValue)] = []
            var parts: [String] = []
            for key in changed {
                guard let was = original[key], let f = field(key) else { continue }
                if was.isNull { continue }
                input[key] = was
                parts.append(fromTo(key))
                if let path = f.path { expect.append((path.text, was)) }
            }
            let unset = changed.filter { original[$0]?.isNull == true }
            guard !parts.isEmpty else {
                return .failure(Reason(text: "\(id)'s \(unset.joined(separator: ", ")) was not set before the change, and ModifyDBInstance cannot unset it."))
            }
            let immediately = options["ApplyImmediately"]?.bool == true
            if let apply = options["ApplyImmediately"] { input["ApplyImmediately"] = apply }
            var explain = "Sets \(parts.joined(separator: "; ")), as before the change"
            explain += immediately ? ", now rather than in the next maintenance window." : ", in the next maintenance window (the change asked it so)."
            if changed.contains("DBInstanceClass") { explain += " A change of size restarts the server: open connections drop while it switches over." }
            if !unset.isEmpty { explain += " (\(unset.joined(separator: ", ")) was not set before and stays as it is.)" }
            let call = RunbookUndoCall(operation: op("rds", "ModifyDBInstance"), input: .object(input), explain: explain)
            let read: UndoReadback
            if immediately {
                read = UndoReadback(
                    kind: .wait, operation: op("rds", "DescribeDBInstances"), input: ["DBInstanceIdentifier": .string(id)],
                    expect: expect + [("DBInstances[0].DBInstanceStatus", "available")], timeout: "45m", every: "30s",
                    explain: "Waits until \(id) has its old values back and is available; a resize usually takes 10 to 30 minutes.")
            } else {
                read = UndoReadback(
                    kind: .check, operation: op("rds", "DescribeDBInstances"), input: ["DBInstanceIdentifier": .string(id)],
                    expect: [("DBInstances[0].DBInstanceIdentifier", .string(id))],
                    explain: "Shows \(id); its PendingModifiedValues list what AWS changes in the next maintenance window.")
            }
            return group([call], [[read]])

        case .dbCluster(let id):
            guard let was = original["Writer"]?.string else {
                return .failure(Reason(text: "\(id)'s writer before the failover was not recorded, so Breakglass cannot fail back to it."))
            }
            let now = field("Writer").map { shown($0, final["Writer"], unknown: "the instance that writes now") } ?? "the instance that writes now"
            let call = RunbookUndoCall(
                operation: op("rds", "FailoverDBCluster"), input: ["DBClusterIdentifier": .string(id), "TargetDBInstanceIdentifier": .string(was)],
                explain: "Fails \(id) over again, from \(now) back to \(was), which was the writer before the change. Open connections drop for about 30 seconds. \(was) was the writer when the failover was asked for: do this only once it is healthy again.")
            let read = UndoReadback(
                kind: .wait, operation: op("rds", "DescribeDBClusters"), input: ["DBClusterIdentifier": .string(id)],
                expect: [("DBClusters[0].Status", "available")], timeout: "10m", every: "10s",
                explain: "Waits until the cluster is available again; its members (DBClusterMembers) show \(was) as the writer.")
            return group([call], [[read]])

        case .dynamoTable(let table):
            guard let mode = original["BillingMode"]?.string else { return .failure(Reason(text: "\(table)'s billing mode before the change was not recorded.")) }
            var input: AWSObject = ["TableName": .string(table)]
            var expect: [(path: String, value: AWSValue)] = [("Table.TableStatus", "ACTIVE")]
            var explain: String
            if mode == "PAY_PER_REQUEST" {
                input["BillingMode"] = "PAY_PER_REQUEST"
                expect.append(("Table.BillingModeSummary.BillingMode", "PAY_PER_REQUEST"))
                explain = "Switches \(table) back to on-demand billing (PAY_PER_REQUEST), as it was before the change. AWS allows this switch once in 24 hours."
            } else {
                guard let throughput = original["ProvisionedThroughput"] else { return .failure(Reason(text: "\(table)'s capacity before the change was not recorded.")) }
                if changed.contains("BillingMode") {
                    input["BillingMode"] = "PROVISIONED"
                    expect.append(("Table.BillingModeSummary.BillingMode", "PROVISIONED"))
                }
                input["ProvisionedThroughput"] = throughput
                for k in ["ReadCapacityUnits", "WriteCapacityUnits"] {
                    if let v = throughput[k] { expect.append(("Table.ProvisionedThroughput.\(k)", v)) }
                }
                explain = "Sets \(summary), as before the change. AWS allows only a few decreases of capacity a day."
            }
            let call = RunbookUndoCall(operation: op("dynamodb", "UpdateTable"), input: .object(input), explain: explain)
            let read = UndoReadback(
                kind: .wait, operation: op("dynamodb", "DescribeTable"), input: ["TableName": .string(table)], expect: expect, timeout: "15m", every: "15s",
                explain: "Waits until \(table) is ACTIVE with the values it had before the change.")
            return group([call], [[read]])

        case .ec2Instance(let id):
            guard let was = original[id]?.string else { return .failure(Reason(text: "The state of instance \(id) before the change was not recorded.")) }
            let start: Bool
            switch was {
            case "running", "pending": start = true
            case "stopped", "stopping": start = false
            default: return .failure(Reason(text: "Instance \(id) was \(was) before the change; Breakglass can only start or stop an instance again."))
            }
            let call = RunbookUndoCall(
                operation: op("ec2", start ? "StartInstances" : "StopInstances"), input: ["InstanceIds": [.string(id)]],
                explain: start
                    ? "Starts instance \(id) again: it was \(was) before the change. It takes a minute or two to boot."
                    : "Stops instance \(id) again: it was \(was) before the change. Whatever runs on it stops; its disk is kept.")
            let read = UndoReadback(
                kind: .wait, operation: op("ec2", "DescribeInstances"), input: ["InstanceIds": [.string(id)]],
                expect: [("reservationSet[0].instancesSet[0].instanceState.name", start ? "running" : "stopped")], timeout: "10m", every: "15s",
                explain: "Waits until instance \(id) is \(start ? "running" : "stopped").")
            return group([call], [[read]])

        case .queue, .alarm:
            return .failure(Reason(text: "There is nothing Breakglass can put back."))
        }
    }
}

// MARK: - YAML text

/// Writing values as YAML that `RunbookLoader` reads back as the same values: strings always double
/// quoted (so `"8"` stays text and `8` a number), flow collections for inputs.
enum YAMLText {
    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                let v = u.value
                if v < 0x20 || v == 0x7F || (0x80...0x9F).contains(v) || v == 0x2028 || v == 0x2029 || v == 0xFEFF {
                    let hex = String(v, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    static func flow(_ value: AWSValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .number(let n): RunbookText.isNumber(n) ? n : quote(n)
        case .string(let s): quote(s)
        case .array(let items): "[" + items.map(flow).joined(separator: ", ") + "]"
        case .object(let o): "{" + o.members.map { "\(quote($0.key)): \(flow($0.value))" }.joined(separator: ", ") + "}"
        }
    }

    /// Text for `say` and `explain`, which are templates: `{{` would start one.
    static func plain(_ s: String) -> String { s.replacingOccurrences(of: "{{", with: "{ {") }

    /// One line of a comment.
    static func comment(_ s: String) -> String {
        String(s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) })
    }

    static func hasTemplate(_ value: AWSValue) -> Bool {
        switch value {
        case .string(let s): s.contains("{{")
        case .array(let a): a.contains(where: hasTemplate)
        case .object(let o): o.members.contains { $0.key.contains("{{") || hasTemplate($0.value) }
        default: false
        }
    }
}
