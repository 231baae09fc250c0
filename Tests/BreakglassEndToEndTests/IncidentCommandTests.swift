import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// `breakglass incidents | ack | resolve | snooze | escalate` through the real binary, on a state
/// database the test fills by calling the incident store directly, as the watch daemon would. No
/// AWS server is needed: nothing here polls or sends.
@Suite struct IncidentCommandTests {
    static let yaml = """
        contacts:
          primary: { name: Primary, sns: "arn:aws:sns:us-east-1:123456789012:primary" }
          secondary: { name: Secondary, sms: "+15555550100" }
          cofounder: { name: Backup, sms: "+15555550101", audience: backup }
        escalation:
          default:
            stages:
              - { notify: [primary], wait: 5m }
              - { notify: [secondary], wait: 5m }
              - { notify: [cofounder, secondary], wait: 10m }
            repeat: 1
            reack_after: 30m
        response:
          - match: { alarm: "prod-*" }
            severity: 1
            escalation: default
            runbooks: [rds-failover]
          - match: { alarm: "cache-*" }
            severity: 2
            escalation: default
        """

    /// A 0700 folder with a configuration and a state database holding the incidents the test opens.
    final class Workspace {
        let dir: StateDir
        let incidents: IncidentStore
        let config: BreakglassConfig
        var configPath: String { dir.path + "/breakglass.yaml" }

        init(yaml: String = IncidentCommandTests.yaml) throws {
            dir = try StateDir()
            try yaml.write(toFile: dir.path + "/breakglass.yaml", atomically: true, encoding: .utf8)
            config = try ConfigLoader.parse(yaml, file: dir.path + "/breakglass.yaml")
            incidents = IncidentStore(log: AuditLog(store: try Store.open(path: dir.db)))
        }

        /// Opens an incident for `alarm` as the watch daemon would, `ago` seconds before now.
        @discardableResult
        func open(_ alarm: String, reason: String = "Threshold Crossed: 3 datapoints > 80", ago: TimeInterval = 0) throws -> Int64 {
            let now = Date().addingTimeInterval(-ago)
            let report = try incidents.observe(
                region: "us-east-1",
                alarms: [Alarm(name: alarm, state: .alarm, reason: reason, updated: now, region: "us-east-1", type: .metric)],
                config: config, actor: AuditActor(user: "watch"), now: now)
            return try #require(report.opened.first?.incident.id)
        }

        /// `breakglass ARGS --config C --state S`.
        func run(_ args: [String]) throws -> BreakglassBinary.Result {
            try BreakglassBinary.run(args + ["--config", configPath, "--state", dir.db])
        }

        /// `incidents ID --output json`, decoded.
        func json(_ id: Int64) throws -> AWSValue {
            let r = try run(["incidents", String(id), "--output", "json"])
            #expect(r.status == 0, "\(r.stderr)")
            return try JSON.decode(r.stdout.isEmpty ? "{}" : r.stdout)
        }
    }

    static var user: String { AuditActor.current().user }

    static let requiredKeys = [
        "id", "state", "title", "severity", "plan", "alarms", "stage", "pass", "next_page_at", "next_page_to", "snoozed_until", "pages",
        "acknowledged_by", "acknowledged_at", "first_acknowledged_at", "opened_at", "resolved_at", "resolved_by", "tta_seconds", "ttr_seconds",
        "runbooks",
    ]
    static let pageKeys = ["who", "name", "channel", "target", "action", "status", "when", "delivered", "delivered_at", "attempts", "detail"]

    @Test func listsOpenIncidentsWithStageAndCountdownInTableAndJSON() throws {
        let ws = try Workspace()
        let id = try ws.open("prod-db-writer\u{1b}[31m", ago: 20)

        let table = try ws.run(["incidents"])
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("ID  STATE  SEV  TITLE") == true, "\(table.stdout)")
        #expect(lines.first?.contains("STAGE  NEXT PAGE") == true && lines.first?.hasSuffix("ACK BY") == true, "\(table.stdout)")
        let row = lines.count > 1 ? lines[1] : ""
        #expect(row.hasPrefix(" \(id)  open     1  prod-db-writer[31m  1/3"), "\(table.stdout)")
        #expect(row.range(of: #"1/3 +04:[34][0-9] Secondary +—$"#, options: .regularExpression) != nil, "\(row)")
        #expect(!table.stdout.contains("\u{1b}"))
        for line in lines { #expect(TerminalText.width(line) <= 80, "\(line)") }
        #expect(table.stdout.hasSuffix("No `breakglass watch` is running on this state: pages are queued, but nothing is\nsending them.\n"))

        let list = try ws.run(["incidents", "--output", "json"])
        #expect(list.status == 0, "\(list.stderr)")
        let array = try JSON.decode(list.stdout).array ?? []
        #expect(array.count == 1)
        let json = try #require(array.first)
        let keys = json.object?.keys ?? []
        for key in Self.requiredKeys { #expect(keys.contains(key), "missing \(key)") }
        #expect(json["id"]?.int == Int(id) && json["state"]?.string == "open" && json["severity"]?.int == 1 && json["plan"]?.string == "default")
        #expect(json["title"]?.string == "prod-db-writer\u{1b}[31m in ALARM (severity 1)")
        #expect(json["stage"]?.int == 1 && json["pass"]?.int == 1 && json["snoozed_until"] == .null)
        #expect(json["alarms"]?[0]?["name"]?.string == "prod-db-writer\u{1b}[31m" && json["alarms"]?[0]?["state"]?.string == "ALARM")
        #expect(json["alarms"]?[0]?["region"]?.string == "us-east-1" && json["alarms"]?[0]?["reason"]?.string == "Threshold Crossed: 3 datapoints > 80")
        #expect(json["next_page_to"] == .array([.string("secondary")]))
        let opened = try #require(json["opened_at"]?.string.flatMap(ISO8601.parse))
        let next = try #require(json["next_page_at"]?.string.flatMap(ISO8601.parse))
        #expect(abs(next.timeIntervalSince(opened) - 300) <= 1, "\(json)")
        #expect(json["acknowledged_by"] == .null && json["tta_seconds"] == .null && json["ttr_seconds"] == .null && json["resolved_at"] == .null)
        #expect(json["runbooks"] == .array([.string("rds-failover")]))
        let pages = json["pages"]?.array ?? []
        #expect(pages.map { $0["channel"]?.string ?? "" } == ["sns", "console"])
        for key in Self.pageKeys { #expect(pages.first?.object?.keys.contains(key) == true, "page misses \(key)") }
        #expect(pages.first?["who"]?.string == "primary" && pages.first?["status"]?.string == "pending" && pages.first?["delivered"] == .bool(false))
        #expect(pages.last?["delivered"] == .bool(true) && pages.last?["action"]?.string == "trigger")
    }

    @Test func showsOneIncidentInFullWithPagesTimelineAndTheWatchLease() throws {
        let ws = try Workspace()
        let id = try ws.open("prod-api-5xx", reason: "Threshold Crossed:\u{1b}]0;pwned\u{7} 5xx > 50")

        let detail = try ws.run(["incidents", String(id)])
        #expect(detail.status == 0, "\(detail.stderr)")
        let out = detail.stdout
        #expect(out.hasPrefix("Incident \(id) · open · severity 1\nprod-api-5xx in ALARM (severity 1)"), "\(out)")
        #expect(out.contains("Next page    stage 2 pages Secondary in 0"), "\(out)")
        #expect(out.contains("Runbooks     rds-failover"))
        #expect(out.contains("  ALARM  us-east-1  prod-api-5xx  Threshold Crossed:]0;pwned 5xx > 50"), "\(out)")
        #expect(out.contains("\nPages\n") && out.contains("stage 1  Primary  sns        pending") && out.contains("console    delivered"), "\(out)")
        #expect(out.contains("\nTimeline (UTC)\n") && out.contains("incident.opened  watch") && out.contains("page.requested   watch"), "\(out)")
        #expect(out.contains("No `breakglass watch` is running on this state"))
        #expect(!out.contains("\u{1b}") && !out.contains("\u{7}"))
        for line in out.split(separator: "\n") { #expect(TerminalText.width(String(line)) <= 80, "\(line)") }

        // JSON for one incident: one object, with its timeline.
        let json = try ws.json(id)
        #expect(json["id"]?.int == Int(id))
        #expect(json["timeline"]?.array?.map { $0["kind"]?.string ?? "" } == ["incident.opened", "page.requested"])

        // A daemon holding the lease (this test process stands in for it).
        _ = try WatchLease(store: ws.incidents.store, period: 60).acquire(LeaseHolder(id: "test", pid: getpid()), now: Date())
        let held = try ws.run(["incidents", String(id)])
        #expect(held.stdout.contains("Watch        `breakglass watch` is running (pid \(getpid()) on "), "\(held.stdout)")
        #expect(try ws.run(["incidents"]).stdout.contains("`breakglass watch` is running (pid \(getpid())"))
    }

    @Test func acknowledgeStopsEscalationAndASecondAcknowledgementIsRefused() throws {
        let ws = try Workspace()
        let id = try ws.open("prod-db-writer", ago: 42)

        let ack = try ws.run(["ack", String(id)])
        #expect(ack.status == 0, "\(ack.stderr)")
        #expect(ack.stdout.range(
            of: #"^Incident \#(id) acknowledged by \#(NSRegularExpression.escapedPattern(for: Self.user))\. Escalation stopped; it alerts Primary again at \d\d:\d\d UTC unless resolved\.\n$"#,
            options: .regularExpression) != nil, "\(ack.stdout)")
        let json = try ws.json(id)
        #expect(json["state"]?.string == "acknowledged" && json["acknowledged_by"]?.string == Self.user)
        #expect(json["first_acknowledged_at"] == json["acknowledged_at"] && json["acknowledged_at"] != .null)
        let tta = try #require(json["tta_seconds"]?.double)
        #expect(tta >= 42 && tta < 100, "\(tta)")
        // The re-alert after reack_after is the next page.
        #expect(json["next_page_to"] == .array([.string("primary")]))
        let ackedAt = try #require(json["acknowledged_at"]?.string.flatMap(ISO8601.parse))
        let next = try #require(json["next_page_at"]?.string.flatMap(ISO8601.parse))
        #expect(abs(next.timeIntervalSince(ackedAt) - 1800) <= 1)
        // The SNS page not yet sent was cancelled.
        #expect(json["pages"]?.array?.first { $0["channel"]?.string == "sns" }?["status"]?.string == "cancelled")
        #expect(try ws.run(["incidents"]).stdout.contains("acked"))
        let detail = try ws.run(["incidents", String(id)]).stdout
        #expect(detail.contains("Acknowledged by \(Self.user) at ") && !detail.contains("(first by"), "\(detail)")

        let again = try ws.run(["ack", String(id)])
        #expect(again.status == 1)
        #expect(again.stdout.isEmpty)
        #expect(again.stderr.contains("breakglass: error: incident \(id): it is already acknowledged by \(Self.user) at "), "\(again.stderr)")

        // Someone else acknowledged first: the refusal names them.
        let other = try ws.open("cache-redis")
        _ = try ws.incidents.act(other, .acknowledge(by: "alice"), config: ws.config, actor: AuditActor(user: "alice"), now: Date())
        let refused = try ws.run(["ack", String(other)])
        #expect(refused.status == 1 && refused.stderr.contains("already acknowledged by alice"), "\(refused.stderr)")
    }

    @Test func snoozeTakesAConfigDurationAndRefusesABadOne() throws {
        let ws = try Workspace()
        let id = try ws.open("prod-db-writer")

        for (bad, why) in [("soon", "is not a duration"), ("30", "has no unit"), ("0m", "longer than 0s"), ("30m1h", "is not a duration")] {
            let r = try ws.run(["snooze", String(id), bad])
            #expect(r.status == 2, "\(bad): \(r.stderr)")
            #expect(r.stderr.contains(why) && r.stderr.contains("30m, 1h or 1h30m"), "\(bad): \(r.stderr)")
        }
        #expect(try ws.json(id)["snoozed_until"] == .null)

        let before = Date()
        let snooze = try ws.run(["snooze", String(id), "1h30m"])
        #expect(snooze.status == 0, "\(snooze.stderr)")
        #expect(snooze.stdout.contains("Incident \(id) snoozed by \(Self.user) until "), "\(snooze.stdout)")
        #expect(snooze.stdout.contains("Nothing is paged until then; then stage 1 pages Primary again unless it is acknowledged or resolved first."))
        let json = try ws.json(id)
        let until = try #require(json["snoozed_until"]?.string.flatMap(ISO8601.parse))
        #expect(abs(until.timeIntervalSince(before) - 5400) < 10, "\(until)")
        #expect(json["next_page_at"] == json["snoozed_until"] && json["next_page_to"] == .array([.string("primary")]))
        #expect(try ws.run(["incidents"]).stdout.contains("snoozed until "))
    }

    @Test func escalatePagesTheNextStageNowAndWarnsWithoutAWatchDaemon() throws {
        let ws = try Workspace()
        let id = try ws.open("prod-db-writer")

        let escalate = try ws.run(["escalate", String(id)])
        #expect(escalate.status == 0, "\(escalate.stderr)")
        #expect(escalate.stdout.hasPrefix("Incident \(id) escalated by \(Self.user): stage 2 pages Secondary now."), "\(escalate.stdout)")
        #expect(escalate.stdout.contains("If nobody acknowledges, stage 3 pages Backup and Secondary at "), "\(escalate.stdout)")
        #expect(escalate.stderr.contains("warning: 1 page is queued, but no `breakglass watch` is running on this state"), "\(escalate.stderr)")
        #expect(escalate.stderr.contains("nothing will send it until one runs"))

        let json = try ws.json(id)
        #expect(json["stage"]?.int == 2 && json["next_page_to"] == .array([.string("cofounder"), .string("secondary")]))
        let secondary = (json["pages"]?.array ?? []).filter { $0["who"]?.string == "secondary" && $0["action"]?.string == "trigger" }
        #expect(secondary.map { $0["channel"]?.string ?? "" }.sorted() == ["console", "sms"], "\(json)")
        #expect(secondary.first { $0["channel"]?.string == "sms" }?["status"]?.string == "pending")
        #expect(secondary.first { $0["channel"]?.string == "sms" }?["target"]?.string == "+15555550100")
        #expect(try ws.run(["incidents"]).stdout.contains("2/3"))

        // With a daemon holding the lease, nothing to warn about.
        _ = try WatchLease(store: ws.incidents.store, period: 60).acquire(LeaseHolder(id: "test", pid: getpid()), now: Date())
        let again = try ws.run(["escalate", String(id)])
        #expect(again.status == 0 && again.stdout.contains("stage 3 pages Backup and Secondary now."), "\(again.stdout)")
        #expect(!again.stderr.contains("warning"), "\(again.stderr)")
    }

    @Test func resolveRecordsTimeToResolveAndLeavesTheOpenList() throws {
        let ws = try Workspace()
        let id = try ws.open("prod-db-writer", ago: 90)

        let resolve = try ws.run(["resolve", String(id)])
        #expect(resolve.status == 0, "\(resolve.stderr)")
        #expect(resolve.stdout.range(
            of: #"^Incident \#(id) resolved by \#(NSRegularExpression.escapedPattern(for: Self.user)), 1m3\ds after it opened\. Nothing more is paged for it\.\n$"#,
            options: .regularExpression) != nil, "\(resolve.stdout)")
        let json = try ws.json(id)
        #expect(json["state"]?.string == "resolved" && json["resolved_by"]?.string == Self.user && json["resolved_at"] != .null)
        let ttr = try #require(json["ttr_seconds"]?.double)
        #expect(ttr >= 90 && ttr < 150, "\(ttr)")
        #expect(json["next_page_at"] == .null && json["next_page_to"] == .array([]))

        #expect(try ws.run(["incidents"]).stdout.hasPrefix("No open incidents.\n"))
        let all = try ws.run(["incidents", "--all"])
        #expect(all.stdout.contains("resolved"), "\(all.stdout)")
        #expect(try JSON.decode(try ws.run(["incidents", "--output", "json"]).stdout) == .array([]))

        let again = try ws.run(["resolve", String(id)])
        #expect(again.status == 1 && again.stderr.contains("incident \(id): it is already resolved"), "\(again.stderr)")
        let escalate = try ws.run(["escalate", String(id)])
        #expect(escalate.status == 1 && escalate.stderr.contains("already resolved"), "\(escalate.stderr)")
    }

    @Test func unknownIncidentsAndMissingStateExitOne() throws {
        let ws = try Workspace()
        try ws.open("prod-db-writer")
        let show = try ws.run(["incidents", "99"])
        #expect(show.status == 1 && show.stderr.contains("there is no incident 99; `breakglass incidents --all` lists them"), "\(show.stderr)")
        for command in ["ack", "resolve", "escalate"] {
            let r = try ws.run([command, "99"])
            #expect(r.status == 1 && r.stderr.contains("there is no incident 99"), "\(command): \(r.stderr)")
        }
        #expect(try ws.run(["snooze", "99", "10m"]).status == 1)
        #expect(try ws.run(["ack", "twelve"]).status == 2)

        // No state database at all: nothing to list, nothing to act on, and none is created.
        let empty = try StateDir()
        let missing = empty.path + "/none.db"
        let list = try BreakglassBinary.run(["incidents", "--config", ws.configPath, "--state", missing])
        #expect(list.status == 0 && list.stdout.hasPrefix("No open incidents (no state database at \(missing) yet)."), "\(list.stdout)")
        let ack = try BreakglassBinary.run(["ack", "1", "--config", ws.configPath, "--state", missing])
        #expect(ack.status == 1 && ack.stderr.contains("there is no incident 1: no state database at"), "\(ack.stderr)")
        #expect(!FileManager.default.fileExists(atPath: missing))
    }

    @Test func aBrokenConfigurationExitsTwoNamingFileLineAndColumn() throws {
        let ws = try Workspace()
        let id = try ws.open("prod-db-writer")
        try "contacts:\n  primary: { name: Primary, sns: \"arn:aws:sns:us-east-1:123456789012:p\" }\nescalaton: {}\n"
            .write(toFile: ws.configPath, atomically: true, encoding: .utf8)
        for args in [["incidents"], ["incidents", String(id)], ["ack", String(id)], ["snooze", String(id), "10m"]] {
            let r = try ws.run(args)
            #expect(r.status == 2, "\(args): \(r.stderr)")
            #expect(r.stderr.contains("breakglass: error: \(ws.configPath):3:1"), "\(args): \(r.stderr)")
        }
        // With the configuration fixed, the incident is as it was.
        try Self.yaml.write(toFile: ws.configPath, atomically: true, encoding: .utf8)
        #expect(try ws.json(id)["state"]?.string == "open")
    }

    @Test func everyActionIsInTheAuditTrailAsTheOSUser() throws {
        let ws = try Workspace()
        let id = try ws.open("prod-db-writer")
        for args in [["ack", String(id)], ["snooze", String(id), "10m"], ["escalate", String(id)], ["resolve", String(id)]] {
            let r = try ws.run(args)
            #expect(r.status == 0, "\(args): \(r.stderr)")
        }
        let entries = try AuditLog(store: ws.incidents.store).entries().filter { $0.draft.context.incident == String(id) }
        let byUser = entries.filter { $0.draft.actor.user == Self.user }
        #expect(byUser.map(\.draft.kind) == [
            "incident.acknowledged", "incident.snoozed", "incident.escalated", "page.requested", "incident.resolved",
        ], "\(entries.map { "\($0.draft.kind) \($0.draft.actor.user)" })")
        #expect(byUser.first?.draft.detail?.hasPrefix("acknowledged by \(Self.user).") == true)
        #expect(byUser.first { $0.draft.kind == "incident.snoozed" }?.draft.detail?.hasPrefix("snoozed by \(Self.user) until ") == true)
        #expect(try AuditLog(store: ws.incidents.store).verify().intact)

        // The timeline shows them too.
        let detail = try ws.run(["incidents", String(id)])
        for kind in ["incident.acknowledged", "incident.snoozed", "incident.escalated", "incident.resolved"] {
            #expect(detail.stdout.contains("\(kind)"), "\(kind)")
        }
        let tail = try BreakglassBinary.run(["audit", "tail", "--state", ws.dir.db, "--output", "json"])
        #expect(tail.stdout.contains("\"kind\":\"incident.resolved\",\"user\":\"\(Self.user)\""), "\(tail.stdout)")
    }
}
