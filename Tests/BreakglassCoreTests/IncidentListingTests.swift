import BreakglassAWS
@testable import BreakglassCore
import Foundation
import Testing

/// The pure output forms of `breakglass incidents` and the action commands, on a clock the tests set.
@Suite("Incident listing")
struct IncidentListingTests {
    /// 2027-01-14T08:00:00Z.
    static let t0 = Date(timeIntervalSince1970: 1_799_913_600)
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
          quiet:
            stages:
              - { notify: [primary], wait: 5m }
        response:
          - match: { alarm: "prod-*" }
            severity: 1
            escalation: default
            runbooks: [rds-failover]
        """

    static func config() throws -> BreakglassConfig { try ConfigLoader.parse(yaml, file: "breakglass.yaml") }

    /// An incident opened at t0 under `plan`, with its first-stage page, after `events` (at the given
    /// seconds after t0).
    static func incident(
        _ id: Int64 = 12, plan: String = "default", title: String = "prod-db in ALARM (severity 1)", events: [(Int, EscalationEvent)] = []
    ) throws -> Incident {
        let config = try config()
        let p = try #require(config.plan(plan))
        var (state, _) = EscalationEngine.open(plan: p, now: t0)
        var firstAck: (String, Date)?
        for (t, event) in events {
            let now = t0.addingTimeInterval(TimeInterval(t))
            _ = try EscalationEngine.apply(event, to: &state, plan: p, now: now)
            if case .acknowledge(let by) = event, firstAck == nil { firstAck = (by, now) }
        }
        let page = PageRecord(
            id: 1, incident: id, firing: 1, stage: 0, pass: 0, reason: "opened", action: .trigger, contact: "primary", contactName: "Primary",
            channel: "sns", target: "arn:aws:sns:us-east-1:123456789012:primary", status: .failed, attempts: 6, createdAt: t0, nextAttemptAt: nil,
            lastAttemptAt: t0, deliveredAt: nil, detail: "AuthorizationError: \u{1b}[31mdenied", reference: nil)
        return Incident(
            id: id, group: "prod-*@*", rule: "prod-*", plan: plan, severity: 1, title: title, runbooks: ["rds-failover"], escalation: state,
            openedAt: t0, firstAcknowledgedAt: firstAck?.1, firstAcknowledgedBy: firstAck?.0, resolvedAt: nil, resolvedBy: nil, drill: nil,
            alarms: [
                IncidentAlarm(region: "us-east-1", name: "prod-db", state: .alarm, reason: "Threshold Crossed:\u{1b}]0;pwned\u{7}", joinedAt: t0, changedAt: t0)
            ],
            pages: [page])
    }

    // MARK: Small forms

    static let countdowns: [(Double, String)] = [
        (0, "00:00"), (-5, "00:00"), (252, "04:12"), (251.2, "04:12"), (3599, "59:59"), (3725, "1:02:05"), (187_200, "2d04h"),
    ]

    @Test("countdowns read at a glance", arguments: countdowns)
    func countdown(_ seconds: Double, _ expected: String) {
        #expect(IncidentListing.countdown(seconds) == expected)
    }

    @Test("clock times are UTC, with the date when far from now")
    func clock() {
        #expect(IncidentListing.clock(Self.t0.addingTimeInterval(3 * 3600 + 30 * 60), now: Self.t0) == "11:30")
        #expect(IncidentListing.clock(Self.t0.addingTimeInterval(2 * 86400), now: Self.t0) == "01-16 08:00")
        #expect(IncidentListing.fullTime(Self.t0) == "2027-01-14 08:00:00 UTC")
    }

    @Test("names are spoken as a list")
    func spoken() {
        #expect(IncidentListing.spoken([]) == "nobody")
        #expect(IncidentListing.spoken(["Backup", "Secondary"]) == "Backup and Secondary")
        #expect(IncidentListing.spoken(["A", "B", "C"]) == "A, B and C")
    }

    static let secondsCases: [(Double, String)] = [(42, "42"), (42.5, "42.5"), (0.001, "0.001"), (61.1204, "61.12"), (-0.25, "-0.25")]

    @Test("JSON seconds keep milliseconds without trailing zeros", arguments: secondsCases)
    func seconds(_ value: Double, _ expected: String) {
        #expect(IncidentListing.seconds(value) == .number(expected))
    }

    // MARK: The next page

    @Test("the next page is the tick at nextAt applied to a copy")
    func nextPage() throws {
        let config = try Self.config()
        let plan = config.plan("default")
        // Just opened: stage 2 pages secondary in 5m.
        let opened = try Self.incident()
        #expect(NextPage.of(opened.escalation, plan: plan)
            == NextPage(at: Self.t0.addingTimeInterval(300), stage: 1, pass: 0, contacts: ["secondary"], reason: .timeout))
        // Acknowledged: the re-alert of the current stage after reack_after.
        let acked = try Self.incident(events: [(60, .acknowledge(by: "alice"))])
        #expect(NextPage.of(acked.escalation, plan: plan)
            == NextPage(at: Self.t0.addingTimeInterval(60 + 1800), stage: 0, pass: 0, contacts: ["primary"], reason: .realert))
        // Snoozed: the current stage again when the snooze ends.
        let snoozed = try Self.incident(events: [(60, .snooze(until: Self.t0.addingTimeInterval(1800), by: "alice"))])
        #expect(NextPage.of(snoozed.escalation, plan: plan)?.reason == .snoozeEnded)
        #expect(NextPage.of(snoozed.escalation, plan: plan)?.at == Self.t0.addingTimeInterval(1800))
        // After the last stage the plan repeats once.
        let last = try Self.incident(events: [(300, .tick), (600, .tick)])
        #expect(NextPage.of(last.escalation, plan: plan)
            == NextPage(at: Self.t0.addingTimeInterval(1200), stage: 0, pass: 1, contacts: ["primary"], reason: .repeated))
        // The last stage of the last pass: the next change pages nobody.
        let ending = try Self.incident(events: [(300, .tick), (600, .tick), (1200, .tick), (1500, .tick), (1800, .tick)])
        #expect(ending.escalation.nextAt != nil)
        #expect(NextPage.of(ending.escalation, plan: plan) == nil)
        // No plan, or resolved: nothing.
        #expect(NextPage.of(opened.escalation, plan: nil) == nil)
        let resolved = try Self.incident(events: [(60, .resolve(by: "alice"))])
        #expect(NextPage.of(resolved.escalation, plan: plan) == nil)
        // A plan without reack_after: an acknowledgement stops it for good.
        let quiet = try Self.incident(plan: "quiet", events: [(60, .acknowledge(by: "alice"))])
        #expect(NextPage.of(quiet.escalation, plan: config.plan("quiet")) == nil)
    }

    @Test("the NEXT PAGE cell: countdown and who, snoozed, due, exhausted")
    func nextPageCell() throws {
        let config = try Self.config()
        #expect(IncidentListing.nextPageCell(try Self.incident(), config: config, now: Self.t0.addingTimeInterval(48)) == "04:12 Secondary")
        let third = try Self.incident(events: [(300, .tick)])
        #expect(IncidentListing.nextPageCell(third, config: config, now: Self.t0.addingTimeInterval(300)) == "05:00 Backup +1")
        #expect(IncidentListing.nextPageCell(try Self.incident(), config: config, now: Self.t0.addingTimeInterval(400)) == "due Secondary")
        let snoozed = try Self.incident(events: [(60, .snooze(until: Self.t0.addingTimeInterval(5400), by: "alice"))])
        #expect(IncidentListing.nextPageCell(snoozed, config: config, now: Self.t0.addingTimeInterval(60)) == "snoozed until 09:30")
        let exhausted = try Self.incident(events: [(300, .tick), (600, .tick), (1200, .tick), (1500, .tick), (1800, .tick), (2400, .tick)])
        #expect(exhausted.escalation.phase == .exhausted)
        #expect(IncidentListing.nextPageCell(exhausted, config: config, now: Self.t0.addingTimeInterval(2400)) == "— exhausted")
        let resolved = try Self.incident(events: [(60, .resolve(by: "alice"))])
        #expect(IncidentListing.nextPageCell(resolved, config: config, now: Self.t0) == "—")
        let gone = try Self.incident(plan: "default")
        var noPlan = config
        noPlan.escalation.removeAll()
        #expect(IncidentListing.nextPageCell(gone, config: noPlan, now: Self.t0) == "— no plan")
    }

    // MARK: Table

    @Test("the table fits 80 columns, cuts long and wide titles by display width, and is sanitised")
    func table() throws {
        let config = try Self.config()
        let long = try Self.incident(13, title: "prod-支付-数据库-写入节点-健康检查-失败 in ALARM (severity 1)")
        let evil = try Self.incident(12, title: "prod-\u{1b}[2Jdb in ALARM", events: [(60, .acknowledge(by: "alice"))])
        let text = IncidentListing.table([long, evil], config: config, now: Self.t0.addingTimeInterval(60), width: 80)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        for line in lines { #expect(TerminalText.width(line) <= 80, "\(line)") }
        #expect(lines[0].hasPrefix("ID  STATE  SEV  TITLE"))
        #expect(lines[0].contains("STAGE  NEXT PAGE") && lines[0].hasSuffix("ACK BY"))
        #expect(lines[1].hasPrefix("13  open     1  prod-支付") && lines[1].contains("…"), "\(lines[1])")
        #expect(lines[1].contains("1/3") && lines[1].contains("04:00 Secondary") && lines[1].hasSuffix("—"), "\(lines[1])")
        #expect(!text.contains("\u{1b}"))
        #expect(lines[2].contains("acked") && lines[2].contains("30:00 Primary") && lines[2].hasSuffix("alice"), "\(lines[2])")
        // The title leaves out what the SEV column says.
        #expect(IncidentListing.shortTitle(long) == "prod-支付-数据库-写入节点-健康检查-失败")
        #expect(IncidentListing.shortTitle(evil) == "prod-\u{1b}[2Jdb in ALARM")
        // Narrow terminals still get every column, the title cut shorter.
        for line in IncidentListing.table([long], config: config, now: Self.t0, width: 60).split(separator: "\n") {
            #expect(TerminalText.width(String(line)) <= 60)
        }
    }

    @Test("stage labels: current of total, the pass after the first")
    func stages() throws {
        let config = try Self.config()
        let plan = config.plan("default")
        #expect(IncidentListing.stageLabel(try Self.incident(), plan: plan) == "1/3")
        #expect(IncidentListing.stageLabel(try Self.incident(events: [(300, .tick), (600, .tick), (1200, .tick)]), plan: plan) == "1/3 p2")
        #expect(IncidentListing.stageLabel(try Self.incident(), plan: nil) == "1")
    }

    // MARK: Detail

    @Test("the detail view has the summary, alarms, pages, timeline and the watch line, sanitised")
    func detail() throws {
        let config = try Self.config()
        let incident = try Self.incident()
        let entry = AuditEntry(
            seq: 1, at: "2027-01-14T08:00:00.123Z",
            draft: AuditDraft(kind: "incident.opened", actor: AuditActor(user: "watch"), context: AuditContext(incident: "12"), detail: "opened \u{1b}[1m"),
            prevHash: AuditEntry.genesis, hash: "x")
        let none = IncidentListing.detail(incident, timeline: [entry], config: config, watch: nil, now: Self.t0.addingTimeInterval(60), width: 80)
        #expect(none.hasPrefix("Incident 12 · open · severity 1\nprod-db in ALARM (severity 1)"))
        #expect(none.contains("Next page    stage 2 pages Secondary in 04:00 (08:05 UTC) unless acknowledged\n"), "\(none)")
        #expect(none.contains("Escalation   plan default, stage 1 of 3, pass 1 of 2"))
        #expect(none.contains("Runbooks     rds-failover"))
        #expect(none.contains("Watch        No `breakglass watch` is running on this state: pages are queued,\n             but nothing is sending them."), "\(none)")
        #expect(none.contains("  ALARM  us-east-1  prod-db  Threshold Crossed:]0;pwned"), "\(none)")
        #expect(none.contains("08:00  stage 1  Primary  sns        failed     6"), "\(none)")
        #expect(none.contains("↳ AuthorizationError: [31mdenied"))
        #expect(none.contains("  08:00:00  incident.opened  watch  opened [1m"), "\(none)")
        #expect(!none.contains("\u{1b}") && !none.contains("\u{7}"))
        for line in none.split(separator: "\n") { #expect(TerminalText.width(String(line)) <= 80, "\(line)") }

        #expect(IncidentListing.watchLines(nil, now: Self.t0, width: 80)
            == "No `breakglass watch` is running on this state: pages are queued, but nothing is\nsending them.")
        let snoozed = try Self.incident(events: [(60, .snooze(until: Self.t0.addingTimeInterval(1860), by: "alice"))])
        #expect(IncidentListing.nextPageText(snoozed, plan: config.plan("default"), config: config, now: Self.t0.addingTimeInterval(60))
            == "snoozed until 08:31 UTC (30:00 from now); then stage 1 pages Primary unless acknowledged or resolved")
        let acked = try Self.incident(events: [(60, .acknowledge(by: "alice"))])
        #expect(IncidentListing.nextPageText(acked, plan: config.plan("default"), config: config, now: Self.t0.addingTimeInterval(2000))
            == "stage 1 pages Primary due since 08:31 UTC unless resolved")
        // A long reason wraps under its column rather than being cut.
        var wordy = incident
        wordy.alarms[0].reason = "Threshold Crossed: 3 out of the last 3 datapoints [0.0 (14/01/27 07:58:00)] were less than the threshold (1.0)."
        let wrapped = IncidentListing.detail(wordy, timeline: [], config: config, watch: nil, now: Self.t0, width: 80)
        #expect(wrapped.contains("""
              ALARM  us-east-1  prod-db  Threshold Crossed: 3 out of the last 3 datapoints
                                         [0.0 (14/01/27 07:58:00)] were less than the
                                         threshold (1.0).
            """), "\(wrapped)")
        let held = IncidentListing.detail(
            incident, timeline: [], config: config, watch: WatchStatus(pid: 4242, host: "bastion", until: Self.t0.addingTimeInterval(30)),
            now: Self.t0, width: 100)
        #expect(held.contains("Watch        `breakglass watch` is running (pid 4242 on bastion) and sending pages."))
    }

    // MARK: JSON

    @Test("JSON has every key in a fixed order, with null when nothing will page")
    func json() throws {
        let config = try Self.config()
        let acked = try Self.incident(events: [(42, .acknowledge(by: "alice"))])
        let value = IncidentListing.json(acked, config: config)
        #expect(value.object?.keys == [
            "id", "state", "phase", "title", "severity", "plan", "rule", "alarms", "stage", "stages", "pass", "passes", "next_page_at",
            "next_page_stage", "next_page_to", "snoozed_until", "realerts", "pages", "acknowledged_by", "acknowledged_at", "first_acknowledged_by",
            "first_acknowledged_at", "opened_at", "resolved_at", "resolved_by", "tta_seconds", "ttr_seconds", "runbooks", "drill",
        ])
        #expect(value["state"]?.string == "acknowledged" && value["stage"]?.int == 1 && value["pass"]?.int == 1)
        #expect(value["next_page_at"]?.string == "2027-01-14T08:30:42Z" && value["next_page_to"] == .array([.string("primary")]))
        #expect(value["acknowledged_by"]?.string == "alice" && value["tta_seconds"] == .number("42") && value["ttr_seconds"] == .null)
        #expect(value["alarms"]?[0]?.object?.keys.prefix(4) == ["name", "region", "state", "reason"])
        #expect(value["alarms"]?[0]?["reason"]?.string == "Threshold Crossed:\u{1b}]0;pwned\u{7}", "JSON keeps the text; escaping makes it inert")
        let page = try #require(value["pages"]?[0]?.object)
        for key in ["who", "name", "channel", "target", "action", "status", "when", "delivered", "delivered_at", "attempts", "detail"] {
            #expect(page.keys.contains(key), "\(key)")
        }
        #expect(page["who"]?.string == "primary" && page["delivered"] == .bool(false) && page["attempts"]?.int == 6)
        #expect(JSON.encode(value).contains("\\u001b"))

        let quiet = IncidentListing.json(try Self.incident(plan: "quiet", events: [(60, .acknowledge(by: "alice"))]), config: config)
        #expect(quiet["next_page_at"] == .null && quiet["next_page_to"] == .array([]))
        let timeline = IncidentListing.json(acked, config: config, timeline: [])
        #expect(timeline.object?.keys.last == "timeline")
    }

    // MARK: Sentences

    @Test("each action says what happened and what happens next")
    func sentences() throws {
        let config = try Self.config()
        let now = Self.t0.addingTimeInterval(60)
        func say(_ event: EscalationEvent, _ incident: Incident, firing: EscalationFiring? = nil) -> String {
            IncidentListing.sentence(for: event, change: IncidentChange(incident: incident, firing: firing, pagesQueued: 0), config: config, now: now)
        }
        #expect(say(.acknowledge(by: "alice"), try Self.incident(events: [(60, .acknowledge(by: "alice"))]))
            == "Incident 12 acknowledged by alice. Escalation stopped; it alerts Primary again at 08:31 UTC unless resolved.")
        #expect(say(.acknowledge(by: "alice"), try Self.incident(plan: "quiet", events: [(60, .acknowledge(by: "alice"))]))
            == "Incident 12 acknowledged by alice. Escalation stopped; nothing more is paged by itself. Run `breakglass resolve 12` when it is over.")
        var resolved = try Self.incident(events: [(60, .resolve(by: "bob"))])
        resolved.resolvedAt = now
        #expect(say(.resolve(by: "bob"), resolved) == "Incident 12 resolved by bob, 1m00s after it opened. Nothing more is paged for it.")
        let until = Self.t0.addingTimeInterval(1860)
        #expect(say(.snooze(until: until, by: "alice"), try Self.incident(events: [(60, .snooze(until: until, by: "alice"))]))
            == "Incident 12 snoozed by alice until 08:31 UTC. Nothing is paged until then; then stage 1 pages Primary again unless it is acknowledged or resolved first.")
        let escalated = try Self.incident(events: [(60, .escalate(by: "alice"))])
        let firing = EscalationFiring(number: 2, stage: 1, pass: 0, contacts: ["secondary"], reason: .manual)
        #expect(say(.escalate(by: "alice"), escalated, firing: firing)
            == "Incident 12 escalated by alice: stage 2 pages Secondary now. If nobody acknowledges, stage 3 pages Backup and Secondary at 08:06 UTC.")
        #expect(say(.acknowledge(by: "ev\u{1b}[2Jil"), try Self.incident(plan: "quiet", events: [(60, .acknowledge(by: "x"))])).contains("ev[2Jil"))
    }

    @Test("pages queued for sending are the new pending ones")
    func queued() throws {
        var incident = try Self.incident()
        var pending = incident.pages[0]
        pending.id = 2
        pending.status = .pending
        var console = pending
        console.id = 3
        console.channel = "console"
        console.status = .delivered
        incident.pages += [pending, console]
        #expect(IncidentListing.queuedForSending(incident, lastPageID: 1).map(\.id) == [2])
        #expect(IncidentListing.queuedForSending(incident, lastPageID: 3).isEmpty)
    }
}
