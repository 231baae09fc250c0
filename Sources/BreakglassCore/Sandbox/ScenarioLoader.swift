import Foundation

/// Reads `scenarios/*.yaml`. Every problem is reported at once, each naming file, line, column and
/// field; references (an alarm's condition naming a queue, a fault naming a service) must name
/// resources the scenario declares.
public enum ScenarioLoader {
    public static func load(path: String, displayPath: String? = nil) throws(SourceErrors) -> Scenario {
        let document = try YAMLDocument.read(path: path, displayPath: displayPath)
        return try read(document)
    }

    public static func parse(_ text: String, file: String) throws(SourceErrors) -> Scenario {
        try read(try YAMLDocument.parse(text, file: file))
    }

    static func read(_ document: YAMLDocument) throws(SourceErrors) -> Scenario {
        guard let root = document.root else {
            throw SourceErrors(SourceError("the scenario is empty; it needs at least `id`, `title` and `resources`", at: .file(document.file)))
        }
        var scenario = Scenario(id: "", title: "", file: document.file)
        var references: [(YAMLValue, ScenarioSignal.Target, String)] = []
        // When the resources themselves have errors (a misspelt `resources:`, a name missing), the
        // references to them would only repeat those errors: they are checked once the resources read.
        var resourcesFailed = false
        if let top = root.mapping(allowed: ["id", "title", "description", "region", "runbooks", "resources", "faults", "recovery"]) {
            if let v = top.required("id"), let id = v.string() {
                if id.range(of: "^[a-z0-9][a-z0-9-]{0,62}$", options: .regularExpression) == nil {
                    v.expected("an id of lower-case letters, digits and dashes (e.g. holiday-sale)")
                }
                scenario.id = id
            }
            scenario.title = top.required("title")?.string() ?? ""
            scenario.description = top["description"]?.string() ?? ""
            if let v = top["region"], let region = v.string() {
                if region.range(of: "^[a-z]{2}(-[a-z]+)+-[0-9]$", options: .regularExpression) == nil {
                    v.expected("a region such as us-east-1")
                }
                scenario.region = region
            }
            scenario.runbooks = top["runbooks"]?.strings() ?? []
            let before = document.diagnostics.errors.count
            if let v = top.required("resources") {
                scenario.resources = resources(v, references: &references)
                resourcesFailed = document.diagnostics.errors.count > before
            } else {
                resourcesFailed = true
            }
            scenario.faults = top["faults"]?.list { fault($0, references: &references) } ?? []
            scenario.recovery = top["recovery"]?.list { condition($0, references: &references) } ?? []
        }
        let names = scenario.resources.names
        for (value, target, name) in references where !resourcesFailed && !(names[target] ?? []).contains(name) {
            let known = (names[target] ?? []).sorted()
            let hint = known.isEmpty ? "; the scenario declares no \(target.rawValue)" : Suggestion.didYouMean(name, in: known)
            value.error("no \(target.rawValue) named `\(name)` in this scenario's resources\(hint)")
        }
        try document.finish()
        return scenario
    }

    // MARK: Resources

    static func resources(_ value: YAMLValue, references: inout [(YAMLValue, ScenarioSignal.Target, String)]) -> ScenarioResources {
        var out = ScenarioResources()
        // Every name declared, with where, so a repeat is reported where it is written again.
        var declared: [(kind: String, value: YAMLValue, name: String)] = []
        func declare(_ kind: String, _ m: YAMLMapping) -> String? {
            guard let v = m.required("name"), let name = v.string() else { return nil }
            declared.append((kind, v, name))
            return name
        }
        guard
            let m = value.mapping(allowed: [
                "users", "roles", "instances", "auto_scaling_groups", "ecs_clusters", "rds_clusters", "dynamodb_tables", "queues", "functions",
                "topics", "alarms",
            ])
        else { return out }
        out.users = m["users"]?.list { v in
            guard let u = v.mapping(allowed: ["name", "access"]), let name = declare("users", u) else { return nil }
            let access = u["access"]?.oneOf(ScenarioResources.User.Access.allCases.map(\.rawValue)).flatMap(ScenarioResources.User.Access.init) ?? .readOnly
            return ScenarioResources.User(name: name, access: access)
        } ?? []
        out.roles = m["roles"]?.list { v in
            guard let r = v.mapping(allowed: ["name", "trust", "mfa", "actions", "max"]), let name = declare("roles", r) else { return nil }
            return ScenarioResources.Role(
                name: name, trust: trusted(r.required("trust"), references: &references), mfa: r["mfa"]?.bool() ?? true, actions: r["actions"]?.strings() ?? ["*"],
                maxSession: r["max"]?.duration(minimum: .seconds(900), maximum: .seconds(43200)) ?? .seconds(3600))
        } ?? []
        out.instances = m["instances"]?.list { v in
            guard let i = v.mapping(allowed: ["name", "type", "count"]), let name = declare("instances", i) else { return nil }
            return ScenarioResources.Instance(name: name, type: i["type"]?.string() ?? "t3.micro", count: i["count"]?.int(in: 1...20) ?? 1)
        } ?? []
        out.autoScalingGroups = m["auto_scaling_groups"]?.list { v in
            guard let g = v.mapping(allowed: ["name", "min", "max", "desired", "type"]), let name = declare("auto_scaling_groups", g) else { return nil }
            let min = g["min"]?.int(in: 0...100) ?? 1
            let max = g["max"]?.int(in: 1...100) ?? 10
            let desired = g.required("desired")?.int(in: 0...100) ?? min
            if desired < min || desired > max { v.error("desired (\(desired)) must be from min (\(min)) to max (\(max))") }
            return ScenarioResources.AutoScalingGroup(name: name, min: min, max: max, desired: desired, instanceType: g["type"]?.string() ?? "t3.micro")
        } ?? []
        out.ecsClusters = m["ecs_clusters"]?.list { v in
            guard let c = v.mapping(allowed: ["name", "services"]), let name = declare("ecs_clusters", c) else { return nil }
            let services = c.required("services")?.list { s -> ScenarioResources.ECSCluster.Service? in
                guard let sm = s.mapping(allowed: ["name", "count"]), let nv = sm.required("name"), let n = nv.string() else { return nil }
                declared.append(("services of \(name)", nv, n))
                return .init(name: n, count: sm.required("count")?.int(in: 0...100) ?? 0)
            } ?? []
            return ScenarioResources.ECSCluster(name: name, services: services)
        } ?? []
        out.rdsClusters = m["rds_clusters"]?.list { v in
            guard let c = v.mapping(allowed: ["name", "instances", "class"]), let name = declare("rds_clusters", c) else { return nil }
            let instances = c.required("instances")?.oneOrMany()?.compactMap { iv -> String? in
                guard let n = iv.string() else { return nil }
                declared.append(("database instances", iv, n))
                return n
            } ?? []
            return ScenarioResources.RDSCluster(name: name, instances: instances, instanceClass: c["class"]?.string() ?? "db.r6g.large")
        } ?? []
        out.tables = m["dynamodb_tables"]?.list { v in
            guard let t = v.mapping(allowed: ["name", "read", "write", "items"]), let name = declare("dynamodb_tables", t) else { return nil }
            let items = t["items"]?.list { item -> [String: String]? in
                guard let entries = item.entries() else { return nil }
                var out: [String: String] = [:]
                for e in entries { out[e.key] = e.value.string(allowEmpty: true) }
                if out["pk"] == nil || out["sk"] == nil { item.error("an item needs `pk` and `sk` (the table's keys)") }
                return out
            } ?? []
            return ScenarioResources.Table(name: name, read: t["read"]?.int(in: 1...40000) ?? 5, write: t["write"]?.int(in: 1...40000) ?? 5, items: items)
        } ?? []
        out.queues = m["queues"]?.list { v in
            guard let q = v.mapping(allowed: ["name", "messages"]), let name = declare("queues", q) else { return nil }
            return ScenarioResources.Queue(name: name, messages: q["messages"]?.int(in: 0...5000) ?? 0)
        } ?? []
        out.functions = m["functions"]?.list { v in
            guard let f = v.mapping(allowed: ["name"]), let name = declare("functions", f) else { return nil }
            return ScenarioResources.Function(name: name)
        } ?? []
        out.topics = m["topics"]?.list { tv in
            guard let n = tv.string() else { return nil }
            declared.append(("topics", tv, n))
            return n
        } ?? []
        out.alarms = m["alarms"]?.list { v in
            guard let a = v.mapping(allowed: ["name", "namespace", "metric", "threshold", "state", "reason", "ok_when"]),
                let name = declare("alarms", a)
            else { return nil }
            return ScenarioResources.Alarm(
                name: name, namespace: a["namespace"]?.string() ?? "Breakglass/Sandbox", metric: a["metric"]?.string(),
                threshold: a["threshold"].flatMap(number) ?? 1, state: a["state"]?.oneOf(alarmStates) ?? "OK", reason: a["reason"]?.string() ?? "",
                okWhen: a["ok_when"].map { w in (w.isList ? w.list() : [w])?.compactMap { condition($0, references: &references) } ?? [] } ?? [])
        } ?? []
        var seen: [String: Set<String>] = [:]
        for (kind, value, name) in declared where !seen[kind, default: []].insert(name).inserted {
            value.error("`\(name)` is declared twice in \(kind)")
        }
        return out
    }

    /// A role's `trust`: one user or a list, each a reference to a declared user.
    static func trusted(_ value: YAMLValue?, references: inout [(YAMLValue, ScenarioSignal.Target, String)]) -> [String] {
        value?.oneOrMany()?.compactMap { v in
            guard let user = v.string() else { return nil }
            references.append((v, .user, user))
            return user
        } ?? []
    }

    static let alarmStates = ["OK", "ALARM", "INSUFFICIENT_DATA"]

    /// A number written without quotes.
    static func number(_ v: YAMLValue) -> Double? {
        guard v.isScalar, let text = v.string(), let n = Double(text), n.isFinite else {
            v.expected("a number")
            return nil
        }
        return n
    }

    // MARK: Conditions and faults

    static let comparisons = ["below", "above", "at_least", "at_most", "is", "is_not", "changed"]

    static func condition(_ v: YAMLValue, references: inout [(YAMLValue, ScenarioSignal.Target, String)]) -> ScenarioCondition? {
        guard let m = v.mapping(allowed: ["signal", "of"] + comparisons) else { return nil }
        let signalValue = m.required("signal")
        let signal = signalValue?.oneOf(ScenarioSignal.allCases.map(\.rawValue)).flatMap(ScenarioSignal.init)
        let ofValue = m.required("of")
        let of = ofValue?.string()
        let given = m.entries.filter { comparisons.contains($0.key) }
        guard given.count == 1, let entry = given.first else {
            v.error(given.isEmpty ? "a condition needs one of: \(comparisons.joined(separator: ", "))" : "a condition takes only one of: \(given.map(\.key).joined(separator: ", "))")
            return nil
        }
        guard let signal, let of, let ofValue else { return nil }
        references.append((ofValue, signal.target, of))
        let comparison: ScenarioCondition.Comparison?
        switch entry.key {
        case "below", "above", "at_least", "at_most":
            if !signal.isNumeric { entry.value.error("\(signal.rawValue) is not a number; use `is`, `is_not` or `changed`") }
            comparison = number(entry.value).map { n in
                switch entry.key {
                case "below": .below(n)
                case "above": .above(n)
                case "at_least": .atLeast(n)
                default: .atMost(n)
                }
            }
        case "is": comparison = entry.value.string().map { .equals($0) }
        case "is_not": comparison = entry.value.string().map { .notEquals($0) }
        default:
            comparison = entry.value.bool() == true ? .changed : nil
            if comparison == nil { entry.value.expected("true (`changed: true`)") }
        }
        return comparison.map { ScenarioCondition(signal: signal, of: of, $0) }
    }

    static let faultKinds = ["set_alarm", "fill_queue", "stop_instance", "impair_instance", "function_concurrency", "scale_service", "set_capacity"]

    static func fault(_ v: YAMLValue, references: inout [(YAMLValue, ScenarioSignal.Target, String)]) -> ScenarioFault? {
        guard let m = v.mapping(allowed: ["at"] + faultKinds) else { return nil }
        let at = m["at"]?.duration(maximum: .seconds(86400)) ?? .zero
        guard let entry = m.exactlyOne(of: faultKinds) else { return nil }
        let body = entry.value
        switch entry.key {
        case "set_alarm":
            guard let a = body.mapping(allowed: ["name", "state", "reason"]), let nameValue = a.required("name"), let name = nameValue.string(),
                let state = a.required("state")?.oneOf(alarmStates)
            else { return nil }
            references.append((nameValue, .alarm, name))
            return ScenarioFault(at: at, .setAlarm(name: name, state: state, reason: a["reason"]?.string() ?? "Set by the sandbox scenario."))
        case "fill_queue":
            guard let q = body.mapping(allowed: ["queue", "messages"]), let qv = q.required("queue"), let queue = qv.string(),
                let n = q.required("messages")?.int(in: 1...5000)
            else { return nil }
            references.append((qv, .queue, queue))
            return ScenarioFault(at: at, .fillQueue(queue: queue, messages: n))
        case "stop_instance":
            guard let name = body.string() else { return nil }
            references.append((body, .instance, name))
            return ScenarioFault(at: at, .stopInstance(name: name))
        case "impair_instance":
            guard let name = body.string() else { return nil }
            references.append((body, .instance, name))
            return ScenarioFault(at: at, .impairInstance(name: name))
        case "function_concurrency":
            guard let f = body.mapping(allowed: ["function", "value"]), let fv = f.required("function"), let function = fv.string(),
                let value = f.required("value")?.int(in: 0...1000)
            else { return nil }
            references.append((fv, .function, function))
            return ScenarioFault(at: at, .functionConcurrency(function: function, value: value))
        case "scale_service":
            guard let s = body.mapping(allowed: ["service", "count"]), let sv = s.required("service"), let service = sv.string(),
                let count = s.required("count")?.int(in: 0...100)
            else { return nil }
            let parts = service.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else {
                sv.expected("CLUSTER/SERVICE, e.g. prod/orders-worker")
                return nil
            }
            references.append((sv, .service, service))
            return ScenarioFault(at: at, .scaleService(cluster: parts[0], service: parts[1], count: count))
        default:
            guard let g = body.mapping(allowed: ["group", "desired"]), let gv = g.required("group"), let group = gv.string(),
                let desired = g.required("desired")?.int(in: 0...100)
            else { return nil }
            references.append((gv, .group, group))
            return ScenarioFault(at: at, .setCapacity(group: group, desired: desired))
        }
    }
}

/// The scenarios a checkout ships (`scenarios/`), found beside the runbooks.
public enum ScenarioCatalog {
    /// The scenario `make demo` opens.
    public static let defaultID = "holiday-sale"

    /// `name` as a path when it names a file, else `DIR/name.yaml` in the first of `directories` that has it.
    public static func locate(_ name: String, in directories: [String]) -> String? {
        if name.hasSuffix(".yaml") || name.contains("/") { return FileManager.default.fileExists(atPath: name) ? name : nil }
        for dir in directories where FileManager.default.fileExists(atPath: "\(dir)/\(name).yaml") { return "\(dir)/\(name).yaml" }
        return nil
    }

    /// The ids of the scenarios in `directory`, sorted.
    public static func ids(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }
}
