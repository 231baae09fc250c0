import BreakglassAWS

/// The session policy a break-glass grant for a runbook is assumed with: the credentials may do what
/// the runbook's steps do and nothing else. AWS gives the session the intersection of the role's own
/// policies and this one.
///
/// Derived purely from the runbook, the run's parameters and the role's account and region:
/// - one `Allow` per IAM action of every operation the steps send (`Runbook.operations`, the implied
///   ones of `wait_alarm` and `query` included);
/// - on the resources the catalog can name (`AWSCatalog.resourceForms`), rendered from the
///   parameters; on `*` when the action only takes `*`, or when the resource depends on what an
///   earlier step answers (`{{steps.find.…}}`), which no one knows before the run (except a queue URL
///   from sqs GetQueueUrl, which names the queue asked for: see `knownOutput`);
/// - actions with the same resources share a statement; statements in the order their first action
///   appears in the runbook, actions likewise, resources sorted.
///
/// STS accepts at most 2,048 characters of policy. A policy over that is made to fit by widening,
/// one action at a time (the one with the most resource text first), that action's resources to `*`
/// (which merges it into the `*` statement); if even one statement on `*` is too long, it is refused.
public struct SessionPolicy: Sendable, Equatable {
    public struct Statement: Sendable, Equatable {
        /// IAM actions: `autoscaling:SetDesiredCapacity`.
        public var actions: [String]
        /// ARNs, or `["*"]`.
        public var resources: [String]

        public init(actions: [String], resources: [String]) {
            self.actions = actions
            self.resources = resources
        }
    }

    public var statements: [Statement]
    /// The policy document as sent: compact JSON.
    public var json: String
    /// The operations the runbook sends, `service.Operation` (`AWSService.name`), for
    /// `AWSClient.limited(to:reason:)`.
    public var operations: Set<String>
    /// Actions whose resources were widened to `*` to fit STS's limit; empty when it fit as derived.
    public var widened: [String]
    /// The size of the policy as derived, before any widening.
    public var derivedSize: Int

    /// Characters of plain text, as STS counts them (the JSON is ASCII unless a name is not).
    public var size: Int { json.utf8.count }

    /// STS's limit on a session policy's plain text.
    public static let stsLimit = 2048
}

/// Why a policy could not be derived.
public enum SessionPolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Even with every action on `*` the policy is longer than STS accepts.
    case tooLarge(runbook: String, derived: Int, smallest: Int, limit: Int)
    /// A step names a service Breakglass does not know (lint reports it too).
    case unknownService(runbook: String, operation: String)

    public var description: String {
        switch self {
        case .tooLarge(let r, let derived, let smallest, let limit):
            "the session policy for runbook \(r) is \(derived) characters as derived and still \(smallest) with every action on \"*\"; STS accepts at most \(limit): the runbook uses too many different actions for one grant"
        case .unknownService(let r, let op):
            "runbook \(r) calls \(op), whose service Breakglass does not know; run `breakglass runbook lint`"
        }
    }
}

public enum SessionPolicyDeriver {
    /// One action and what it may act on: nil resources means `*`.
    struct Grant {
        var action: String
        var resources: [String]?
    }

    /// The policy for running `runbook` with `params` (already resolved: defaults overridden by
    /// `--param`, see `RunbookParams.resolve`) in `region` of `account`; `partition` from the role's
    /// ARN (`aws`, `aws-cn`, `aws-us-gov`).
    public static func derive(
        runbook: Runbook, params: [String: AWSValue], account: String, region: String, partition: String = "aws",
        limit: Int = SessionPolicy.stsLimit
    ) throws(SessionPolicyError) -> SessionPolicy {
        var context = RunbookRenderContext(params: params)
        var order: [String] = []
        var resources: [String: [String]] = [:]
        var onAnything = Set<String>()
        var operations = Set<String>()
        for step in runbook.steps {
            guard let op = step.operation else { continue }
            guard let service = AWSService.named(op.service) else {
                throw .unknownService(runbook: runbook.id, operation: op.description)
            }
            operations.insert("\(service.name).\(op.name)")
            let action = "\(service.iamPrefix):\(op.name)"
            let (input, stepRegion) = inputs(of: step, context)
            let form = AWSCatalog.resourceForms["\(service.name).\(op.name)"]
            let arns = form?.arns(input: input, partition: partition, region: stepRegion ?? region, account: account)
            if let id = step.id?.value, let known = knownOutput(of: step, op: op, input: input, partition: partition, region: stepRegion ?? region, account: account) {
                context.outputs[id] = known
            }
            if !order.contains(action) { order.append(action) }
            if let arns {
                for arn in arns where !(resources[action] ?? []).contains(arn) { resources[action, default: []].append(arn) }
            } else {
                // Once on `*`, always: `*` covers every other resource of the action.
                onAnything.insert(action)
            }
        }
        let grants = order.map { Grant(action: $0, resources: onAnything.contains($0) ? nil : resources[$0] ?? []) }
        var widened: [String] = []
        var statements = group(grants, widened: [])
        let derivedSize = render(statements).utf8.count
        while render(statements).utf8.count > limit {
            // Widen the action with the most resource text; ties go to the first in the runbook.
            let candidates = grants.filter { $0.resources != nil && !widened.contains($0.action) }
            guard let pick = candidates.max(by: { a, b in
                let la = (a.resources ?? []).joined().utf8.count, lb = (b.resources ?? []).joined().utf8.count
                if la != lb { return la < lb }
                return (order.firstIndex(of: a.action) ?? 0) > (order.firstIndex(of: b.action) ?? 0)
            }) else {
                throw .tooLarge(runbook: runbook.id, derived: derivedSize, smallest: render(statements).utf8.count, limit: limit)
            }
            widened.append(pick.action)
            statements = group(grants, widened: widened)
        }
        return SessionPolicy(
            statements: statements, json: render(statements), operations: operations, widened: widened, derivedSize: derivedSize)
    }

    /// The part of a step's answer that is known before the run, so later steps that use it still
    /// name their resource: sqs GetQueueUrl answers the URL of the queue it names
    /// (`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`), which `{{steps.ID.QueueUrl}}` then reads.
    static func knownOutput(
        of step: RunbookStep, op: RunbookOperation, input: [String: AWSResourceForm.MemberValue], partition: String, region: String, account: String
    ) -> AWSValue? {
        guard op.service == "sqs", op.name == "GetQueueUrl", case .given(let names)? = input["QueueName"], names.count == 1 else { return nil }
        var owner = account
        switch input["QueueOwnerAWSAccountId"] {
        case .given(let ids)? where ids.count == 1: owner = ids[0]
        case nil: break
        default: return nil
        }
        let domain = partition == "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com"
        return ["QueueUrl": .string("https://sqs.\(region).\(domain)/\(owner)/\(names[0])")]
    }

    /// Actions sharing the same resources in one statement, in order of first appearance.
    static func group(_ grants: [Grant], widened: [String]) -> [SessionPolicy.Statement] {
        var statements: [SessionPolicy.Statement] = []
        for g in grants {
            let resources = (widened.contains(g.action) ? nil : g.resources).map { $0.sorted() } ?? ["*"]
            if let i = statements.firstIndex(where: { $0.resources == resources }) {
                statements[i].actions.append(g.action)
            } else {
                statements.append(SessionPolicy.Statement(actions: [g.action], resources: resources))
            }
        }
        return statements
    }

    /// Compact JSON; a single action or resource is written as a string, several as a list.
    public static func render(_ statements: [SessionPolicy.Statement]) -> String {
        func one(_ items: [String]) -> AWSValue { items.count == 1 ? .string(items[0]) : .array(items.map(AWSValue.string)) }
        let list = statements.map { s -> AWSValue in
            .object(AWSObject([("Effect", .string("Allow")), ("Action", one(s.actions)), ("Resource", one(s.resources))]))
        }
        return JSON.encode(.object(AWSObject([("Version", .string("2012-10-17")), ("Statement", .array(list))])))
    }

    /// The members of the step's request that a resource ARN may use, rendered from the parameters
    /// alone (`.unknown` when a member reads an earlier step's output), and the step's own region.
    static func inputs(of step: RunbookStep, _ context: RunbookRenderContext) -> ([String: AWSResourceForm.MemberValue], String?) {
        var out: [String: AWSResourceForm.MemberValue] = [:]
        func text(_ t: RunbookTemplate) -> AWSResourceForm.MemberValue {
            (try? t.renderText(context)).map { .given([$0]) } ?? .unknown
        }
        switch step.kind {
        case .check(let c): return (members(c.call, context), nil)
        case .do(let d): return (members(d.call, context), nil)
        case .wait(let w): return (members(w.call, context), nil)
        case .waitAlarm(let w):
            out["AlarmNames"] = text(w.name)
            return (out, w.region)
        case .query(let q):
            out["TableName"] = text(q.table)
            if let index = q.index { out["IndexName"] = text(index) }
            return (out, q.region)
        case .say, .approve, .page:
            return (out, nil)
        }
    }

    static func members(_ call: RunbookCall, _ context: RunbookRenderContext) -> [String: AWSResourceForm.MemberValue] {
        var out: [String: AWSResourceForm.MemberValue] = [:]
        for member in call.input {
            guard let value = try? member.value.render(context) else {
                out[member.key] = .unknown
                continue
            }
            if let scalar = RunbookText.scalarText(value) {
                out[member.key] = .given([scalar])
            } else if case .array(let items) = value {
                let texts = items.compactMap(RunbookText.scalarText)
                out[member.key] = texts.count == items.count ? .given(texts) : .unknown
            } else if !value.isNull {
                out[member.key] = .unknown
            }
        }
        return out
    }
}
