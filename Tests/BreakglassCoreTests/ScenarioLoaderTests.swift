import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// A small scenario with one of everything the error cases need; each case changes one line.
private let baseScenario = """
    id: drill
    title: A drill
    resources:
      users:
        - { name: oncall }
      roles:
        - { name: app-break-glass, trust: [oncall] }
      ecs_clusters:
        - name: prod
          services:
            - { name: orders-worker, count: 2 }
      queues:
        - { name: prod-orders, messages: 5 }
      alarms:
        - name: prod-orders-queue-depth
          ok_when: { signal: queue_depth, of: prod-orders, below: 100 }
    faults:
      - fill_queue: { queue: prod-orders, messages: 200 }
      - at: 20s
        scale_service: { service: prod/orders-worker, count: 0 }
    recovery:
      - { signal: queue_depth, of: prod-orders, below: 100 }
    """

private func scenarioErrors(_ yaml: String) -> [String] {
    do {
        _ = try ScenarioLoader.parse(yaml, file: "s.yaml")
        return []
    } catch {
        return error.errors.map(\.description)
    }
}

private func changed(_ old: String, _ new: String) -> String {
    precondition(baseScenario.contains(old), "the base scenario has no `\(old)`")
    return baseScenario.replacingOccurrences(of: old, with: new)
}

@Suite("Scenario loading")
struct ScenarioLoaderTests {
    static let scenarios = repositoryRoot.appendingPathComponent("scenarios").path
    static let runbooks = repositoryRoot.appendingPathComponent("runbooks").path

    @Test func theBaseScenarioLoadsWithEveryField() throws {
        let s = try ScenarioLoader.parse(baseScenario, file: "s.yaml")
        #expect(s.id == "drill" && s.title == "A drill" && s.region == "us-east-1" && s.file == "s.yaml")
        #expect(s.resources.users == [.init(name: "oncall", access: .readOnly)])
        #expect(s.resources.roles == [.init(name: "app-break-glass", trust: ["oncall"], mfa: true, actions: ["*"], maxSession: .seconds(3600))])
        #expect(s.resources.ecsClusters == [.init(name: "prod", services: [.init(name: "orders-worker", count: 2)])])
        #expect(s.resources.queues == [.init(name: "prod-orders", messages: 5)])
        let alarm = try #require(s.resources.alarms.first)
        #expect(alarm.namespace == "Breakglass/Sandbox" && alarm.metric == "prod-orders-queue-depth" && alarm.threshold == 1 && alarm.state == "OK")
        #expect(alarm.okWhen == [ScenarioCondition(signal: .queueDepth, of: "prod-orders", .below(100))])
        #expect(s.faults == [
            ScenarioFault(at: .zero, .fillQueue(queue: "prod-orders", messages: 200)),
            ScenarioFault(at: .seconds(20), .scaleService(cluster: "prod", service: "orders-worker", count: 0)),
        ])
        #expect(s.recovery.map(\.description) == ["queue_depth of prod-orders below 100"])
    }

    /// (what, the base scenario's text, what replaces it, every error as file:line:column: field: message).
    static let badInput: [(String, String, String, [String])] = [
        ("unknown top-level key", "title: A drill", "tittle: A drill", [
            "s.yaml:2:1: unknown key `tittle`; did you mean `title`?",
        ]),
        ("unknown key in a resource", "{ name: prod-orders, messages: 5 }", "{ name: prod-orders, mesages: 5 }", [
            "s.yaml:13:28: resources.queues[0]: unknown key `mesages`; did you mean `messages`?",
        ]),
        ("unknown key in an alarm", "      ok_when:", "      ok_wen:", [
            "s.yaml:16:7: resources.alarms[0]: unknown key `ok_wen`; did you mean `ok_when`?",
        ]),
        ("unknown signal", "- { signal: queue_depth, of: prod-orders, below: 100 }", "- { signal: queue_dept, of: prod-orders, below: 100 }", [
            "s.yaml:22:15: recovery[0].signal: expected one of alarm_state, queue_depth, desired_capacity, desired_count, running_count, deployment, "
                + "instance_class, cluster_writer, read_capacity, write_capacity, function_concurrency, instance_state, instance_status, reboots, found \"queue_dept\"; did you mean `queue_depth`?",
        ]),
        ("a condition naming an undeclared resource", "- { signal: queue_depth, of: prod-orders, below: 100 }", "- { signal: queue_depth, of: prod-order, below: 100 }", [
            "s.yaml:22:32: recovery[0].of: no queue named `prod-order` in this scenario's resources; did you mean `prod-orders`?",
        ]),
        ("a condition naming a kind the scenario has none of", "{ signal: queue_depth, of: prod-orders, below: 100 }\nfaults",
         "{ signal: desired_capacity, of: prod-web, at_least: 8 }\nfaults", [
            "s.yaml:16:48: resources.alarms[0].ok_when.of: no group named `prod-web` in this scenario's resources; the scenario declares no group",
        ]),
        ("a fault naming an undeclared queue", "fill_queue: { queue: prod-orders,", "fill_queue: { queue: orders,", [
            "s.yaml:18:26: faults[0].fill_queue.queue: no queue named `orders` in this scenario's resources",
        ]),
        ("a fault with two kinds", "  - fill_queue: { queue: prod-orders, messages: 200 }",
         "  - fill_queue: { queue: prod-orders, messages: 200 }\n    set_capacity: { group: prod-web, desired: 2 }", [
            "s.yaml:19:5: faults[0]: `fill_queue` and `set_capacity` cannot be used together; "
                + "use exactly one of set_alarm, fill_queue, stop_instance, impair_instance, function_concurrency, scale_service, set_capacity",
        ]),
        ("a fault with no kind", "    scale_service:", "    scale_servce:", [
            "s.yaml:19:5: faults[1]: expected one of the keys set_alarm, fill_queue, stop_instance, impair_instance, function_concurrency, scale_service, set_capacity, found none",
            "s.yaml:20:5: faults[1]: unknown key `scale_servce`; did you mean `scale_service`?",
        ]),
        ("a service without its cluster", "service: prod/orders-worker", "service: orders-worker", [
            "s.yaml:20:31: faults[1].scale_service.service: expected CLUSTER/SERVICE, e.g. prod/orders-worker, found \"orders-worker\"",
        ]),
        ("`below` on a signal that is not a number", "- { signal: queue_depth, of: prod-orders, below: 100 }",
         "- { signal: alarm_state, of: prod-orders-queue-depth, below: 1 }", [
            "s.yaml:22:64: recovery[0].below: alarm_state is not a number; use `is`, `is_not` or `changed`",
        ]),
        ("two comparisons", "- { signal: queue_depth, of: prod-orders, below: 100 }", "- { signal: queue_depth, of: prod-orders, below: 100, above: 5 }", [
            "s.yaml:22:5: recovery[0]: a condition takes only one of: below, above",
        ]),
        ("no comparison", "- { signal: queue_depth, of: prod-orders, below: 100 }", "- { signal: queue_depth, of: prod-orders }", [
            "s.yaml:22:5: recovery[0]: a condition needs one of: below, above, at_least, at_most, is, is_not, changed",
        ]),
        ("`changed: false`", "- { signal: queue_depth, of: prod-orders, below: 100 }", "- { signal: queue_depth, of: prod-orders, changed: false }", [
            "s.yaml:22:54: recovery[0].changed: expected true (`changed: true`), found false",
        ]),
        ("a name declared twice", "    - { name: prod-orders, messages: 5 }", "    - { name: prod-orders, messages: 5 }\n    - { name: prod-orders }", [
            "s.yaml:14:15: resources.queues[1].name: `prod-orders` is declared twice in queues",
        ]),
        ("a user declared twice", "    - { name: oncall }", "    - { name: oncall }\n    - { name: oncall, access: admin }", [
            "s.yaml:6:15: resources.users[1].name: `oncall` is declared twice in users",
        ]),
        ("a misspelt `resources:` is one error, not one per reference", "resources:", "resorces:", [
            "s.yaml:3:1: unknown key `resorces`; did you mean `resources`?",
        ]),
        ("a duration without a unit", "  - at: 20s", "  - at: 20", [
            "s.yaml:19:9: faults[1].at: expected a duration like 90s, 5m or 1h, found 20 (a number without a unit); add a unit, e.g. 20s or 20m",
        ]),
        ("a duration that is not one", "  - at: 20s", "  - at: soon", [
            "s.yaml:19:9: faults[1].at: expected a duration like 90s, 5m or 1h, found \"soon\"",
        ]),
        ("a fault more than a day in", "  - at: 20s", "  - at: 25h", [
            "s.yaml:19:9: faults[1].at: expected a duration of at most 24h, found \"25h\"",
        ]),
        ("a role's session shorter than AWS allows", "trust: [oncall] }", "trust: [oncall], max: 5m }", [
            "s.yaml:7:54: resources.roles[0].max: expected a duration from 15m to 12h, found \"5m\"",
        ]),
        ("an id with capitals", "id: drill", "id: Drill_1", [
            "s.yaml:1:5: id: expected an id of lower-case letters, digits and dashes (e.g. holiday-sale), found \"Drill_1\"",
        ]),
        ("a count out of range", "{ name: orders-worker, count: 2 }", "{ name: orders-worker, count: 200 }", [
            "s.yaml:11:41: resources.ecs_clusters[0].services[0].count: expected a whole number from 0 to 100, found 200",
        ]),
    ]

    @Test(arguments: badInput.indices)
    func badInputNamesFileLineColumnAndField(_ index: Int) {
        let (what, old, new, expected) = Self.badInput[index]
        #expect(scenarioErrors(changed(old, new)) == expected, "\(what)")
    }

    @Test func everyProblemIsReportedAtOnce() {
        let yaml = changed("title: A drill", "tittle: A drill")
            .replacingOccurrences(of: "  - at: 20s", with: "  - at: 20")
            .replacingOccurrences(of: "- { signal: queue_depth, of: prod-orders,", with: "- { signal: queue_depth, of: prod-order,")
        #expect(scenarioErrors(yaml) == [
            "s.yaml:2:1: unknown key `tittle`; did you mean `title`?",
            "s.yaml:19:9: faults[1].at: expected a duration like 90s, 5m or 1h, found 20 (a number without a unit); add a unit, e.g. 20s or 20m",
            "s.yaml:22:32: recovery[0].of: no queue named `prod-order` in this scenario's resources; did you mean `prod-orders`?",
        ])
    }

    @Test(arguments: ["", "\n", "# only a comment\n", "~\n"])
    func anEmptyFileSaysWhatItNeeds(_ text: String) {
        #expect(scenarioErrors(text) == ["s.yaml: the scenario is empty; it needs at least `id`, `title` and `resources`"])
    }

    @Test func aRoleTrustingAnUndeclaredUserIsAnError() throws {
        let errors: [SourceError]
        do {
            _ = try ScenarioLoader.parse(changed("trust: [oncall] }", "trust: [oncal] }"), file: "s.yaml")
            errors = []
        } catch {
            errors = error.errors
        }
        #expect(errors.map(\.description) == [
            "s.yaml:7:40: resources.roles[0].trust[0]: no user named `oncal` in this scenario's resources; did you mean `oncall`?",
        ])
    }

    // MARK: The shipped scenarios

    static var shipped: [String] { ScenarioCatalog.ids(in: scenarios) }

    @Test func aScenarioShipsForEveryShippedRunbook() throws {
        let runbookIDs = Set(ScenarioCatalog.ids(in: Self.runbooks))
        #expect(runbookIDs.count == 11)
        var covered = Set<String>()
        for id in Self.shipped {
            let s = try ScenarioLoader.load(path: "\(Self.scenarios)/\(id).yaml")
            covered.formUnion(s.runbooks)
        }
        #expect(runbookIDs.subtracting(covered).isEmpty, "no scenario for \(runbookIDs.subtracting(covered).sorted())")
        #expect(Self.shipped.contains(ScenarioCatalog.defaultID))
    }

    /// Every shipped scenario loads; its id is its file's name; the runbooks it names exist and can
    /// act in it: their break-glass role is declared (trusting the operator, MFA on), the resources
    /// their parameters' defaults name are declared, and it has faults and a recovery.
    @Test(arguments: ScenarioCatalog.ids(in: repositoryRoot.appendingPathComponent("scenarios").path))
    func shippedScenarioLoadsAndFitsItsRunbooks(_ id: String) throws {
        let s = try ScenarioLoader.load(path: "\(Self.scenarios)/\(id).yaml")
        #expect(s.id == id)
        #expect(!s.title.isEmpty && !s.description.isEmpty)
        #expect(!s.faults.isEmpty && !s.recovery.isEmpty)
        #expect(!s.runbooks.isEmpty)
        let operatorUser = try #require(s.resources.users.first { $0.access == .readOnly })
        #expect(operatorUser.name == "oncall")
        let names = s.resources.names
        let declared = names.values.reduce(Set<String>()) { $0.union($1) }
            .union(s.resources.ecsClusters.map(\.name)).union(s.resources.ecsClusters.flatMap { $0.services.map(\.name) })
        // Every alarm a fault sets or a condition reads starts OK or is broken by a fault, so the
        // incident starts at `sandbox up`.
        let faulted = Set(s.faults.compactMap { if case .setAlarm(let name, "ALARM", _) = $0.action { name } else { nil } })
        #expect(!faulted.isEmpty, "no alarm turns red")
        // The first runbook is the one the scenario is for: every name its defaults give is declared.
        let runbook = try RunbookLoader.load(path: "\(Self.runbooks)/\(try #require(s.runbooks.first)).yaml")
        for other in s.runbooks { #expect(FileManager.default.fileExists(atPath: "\(Self.runbooks)/\(other).yaml"), "\(other)") }
        let role = try #require(runbook.access?.value)
        let declaredRole = try #require(s.resources.roles.first { $0.name == role }, "role \(role) is not declared")
        #expect(declaredRole.trust.contains("oncall") && declaredRole.mfa)
        for param in runbook.params {
            guard let value = param.defaultValue?.string, ["group", "name", "service", "instance", "cluster", "table", "queue", "function", "alarm"].contains(param.name) else { continue }
            #expect(declared.contains(value), "\(runbook.id)'s \(param.name) default `\(value)` is not declared in \(id)")
        }
        // The alarm the runbook waits for is red from the start: a run begun at once must not find
        // it still green.
        if let alarm = runbook.params.first(where: { $0.name == "alarm" })?.defaultValue?.string {
            let atOnce = s.faults.contains { if case .setAlarm(alarm, "ALARM", _) = $0.action { $0.at == .zero } else { false } }
            #expect(atOnce, "\(runbook.id) waits for \(alarm), which no fault breaks at 0s in \(id)")
        }
    }

    // MARK: docs/schemas/scenario.schema.json

    @Test func theSchemaIsDraft202012WithEveryRefDefined() throws {
        let schema = try SchemaTests.schema("scenario")
        #expect(schema["$schema"]?.string == "https://json-schema.org/draft/2020-12/schema")
        let defs = Set(schema["$defs"]?.object?.keys ?? [])
        for ref in SchemaTests.refs(in: schema) {
            #expect(ref.hasPrefix("#/$defs/") && defs.contains(String(ref.dropFirst("#/$defs/".count))), "\(ref)")
        }
        // The schema names the same signals and fault kinds as the loader.
        let signals = schema["$defs"]?["condition"]?["properties"]?["signal"]?["enum"]?.array?.compactMap(\.string) ?? []
        #expect(signals == ScenarioSignal.allCases.map(\.rawValue))
        let kinds = (schema["$defs"]?["fault"]?["oneOf"]?.array ?? []).compactMap { $0["required"]?[0]?.string }
        #expect(kinds == ["set_alarm", "fill_queue", "stop_instance", "impair_instance", "function_concurrency", "scale_service", "set_capacity"])
    }

    @Test(.enabled(if: SchemaTests.hasPythonJSONSchema, "python3 with jsonschema and PyYAML is not installed"))
    func theShippedScenariosValidateAndBadOnesDoNot() throws {
        var documents = try Self.shipped.map { try String(contentsOfFile: "\(Self.scenarios)/\($0).yaml", encoding: .utf8) }
        let good = documents.count
        documents.append(changed("title: A drill", "tittle: A drill"))
        documents.append(changed("  - at: 20s", "  - at: 20"))
        documents.append(changed("- { signal: queue_depth, of: prod-orders, below: 100 }", "- { signal: alarm_state, of: prod-orders-queue-depth, below: 1 }"))
        documents.append(changed("  - fill_queue: { queue: prod-orders, messages: 200 }",
                                 "  - fill_queue: { queue: prod-orders, messages: 200 }\n    set_capacity: { group: prod-web, desired: 2 }"))
        documents.append(baseScenario)
        let results = try SchemaTests.validate("scenario", documents)
        for (i, id) in Self.shipped.enumerated() { #expect(results[i] == [], "\(id)") }
        #expect(results[good].contains { $0.contains("'tittle' was unexpected") }, "\(results[good])")
        for i in (good + 1)..<(good + 4) { #expect(!results[i].isEmpty, "bad document \(i - good) validated") }
        #expect(results[good + 4] == [])
    }
}

@Suite("Sandbox timeline")
struct SandboxTimelineTests {
    static func alarm(_ name: String, at seconds: Int) -> ScenarioFault {
        ScenarioFault(at: .seconds(seconds), .setAlarm(name: name, state: "ALARM", reason: ""))
    }

    static func names(_ faults: [ScenarioFault]) -> [String] {
        faults.map { if case .setAlarm(let name, _, _) = $0.action { name } else { "?" } }
    }

    @Test func faultsAreOrderedByTime() {
        let t = SandboxTimeline([Self.alarm("c", at: 30), Self.alarm("a", at: 0), Self.alarm("b", at: 10)])
        #expect(Self.names(t.faults) == ["a", "b", "c"])
        #expect(t.applied == 0 && !t.isDone)
    }

    @Test func faultsAtTheSameTimeKeepTheOrderWritten() {
        let t = SandboxTimeline([
            Self.alarm("late", at: 20), Self.alarm("x1", at: 5), Self.alarm("first", at: 0), Self.alarm("x2", at: 5), Self.alarm("x3", at: 5),
            Self.alarm("first-too", at: 0),
        ])
        #expect(Self.names(t.faults) == ["first", "first-too", "x1", "x2", "x3", "late"])
    }

    @Test func takeHandsOutEachDueFaultOnceAcrossTurns() {
        var t = SandboxTimeline([Self.alarm("a", at: 0), Self.alarm("b", at: 10), Self.alarm("c", at: 10), Self.alarm("d", at: 45)])
        #expect(t.next == .zero)
        #expect(Self.names(t.take(elapsed: .zero)) == ["a"])
        #expect(t.next == .seconds(10))
        #expect(Self.names(t.take(elapsed: .milliseconds(9999))) == [])
        #expect(Self.names(t.take(elapsed: .seconds(10))) == ["b", "c"])
        #expect(t.applied == 3 && !t.isDone)
        #expect(Self.names(t.take(elapsed: .seconds(10))) == [], "the same time again hands out nothing")
        #expect(t.next == .seconds(45))
        // A turn that comes late gets what was due; time going backwards gets nothing.
        #expect(Self.names(t.take(elapsed: .seconds(5))) == [])
        #expect(Self.names(t.take(elapsed: .seconds(300))) == ["d"])
        #expect(t.isDone && t.applied == 4 && t.next == nil)
        #expect(t.take(elapsed: .seconds(3600)).isEmpty)
    }

    @Test func oneLateTurnTakesEverythingDueInOrder() {
        var t = SandboxTimeline([Self.alarm("c", at: 30), Self.alarm("a", at: 0), Self.alarm("b", at: 10)])
        #expect(Self.names(t.take(elapsed: .seconds(60))) == ["a", "b", "c"])
        #expect(t.isDone)
    }

    @Test func anEmptyTimelineIsDoneFromTheStart() {
        var t = SandboxTimeline([])
        #expect(t.isDone && t.next == nil && t.take(elapsed: .seconds(1)).isEmpty)
    }
}
