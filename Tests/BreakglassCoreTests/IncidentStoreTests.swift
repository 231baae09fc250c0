import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// Incidents, pages and the lease in a real store (SQLite in a temporary 0700 folder).
@Suite("Incident store")
struct IncidentStoreTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let yaml = """
        contacts:
          primary: { name: Primary, sns: "arn:aws:sns:us-east-1:123456789012:primary", pagerduty: { routing_key_env: PD_KEY } }
          secondary: { name: Secondary, webhook: { url: "https://hooks.example.com/page?token=abc" } }
        escalation:
          default:
            stages:
              - { notify: [primary], wait: 1m }
              - { notify: [secondary], wait: 1m }
            reack_after: 10m
        response:
          - match: { alarm: "prod-*" }
            severity: 1
            escalation: default
            runbooks: [asg-scale-out]
            auto_resolve: true
        """

    static func setup() throws -> (IncidentStore, BreakglassConfig, TemporaryHome) {
        let home = try TemporaryHome()
        let store = try Store.open(path: home.path + "/state/s.db")
        let config = try ConfigLoader.parse(yaml, file: "breakglass.yaml")
        return (IncidentStore(log: AuditLog(store: store)), config, home)
    }

    static let actor = AuditActor(user: "watch")

    static func alarm(_ name: String, _ state: AlarmState, at: Int = 0) -> Alarm {
        Alarm(name: name, state: state, reason: "Threshold crossed", updated: t0.addingTimeInterval(TimeInterval(at)), region: "us-east-1", type: .metric)
    }

    @Test("an alarm in ALARM opens an incident, pages its first stage on every channel and the consoles, and audits it")
    func opens() throws {
        let (incidents, config, home) = try Self.setup()
        _ = home
        let report = try incidents.observe(region: "us-east-1", alarms: [Self.alarm("prod-api", .alarm)], config: config, actor: Self.actor, now: Self.t0)
        #expect(report.opened.count == 1)
        let incident = try #require(report.opened.first?.incident)
        #expect(incident.title == "prod-api in ALARM (severity 1)" && incident.runbooks == ["asg-scale-out"] && incident.state == "open")
        #expect(incident.pages.map(\.channel) == ["sns", "pagerduty", "console"])
        #expect(incident.pages.map(\.status) == [.pending, .pending, .delivered])
        #expect(try incidents.consolePages(after: 0).count == 1)
        #expect(try incidents.timeline(incident.id).map(\.draft.kind) == ["incident.opened", "page.requested"])
        // The same poll again changes nothing; the alarm is still in its incident.
        let again = try incidents.observe(region: "us-east-1", alarms: [Self.alarm("prod-api", .alarm)], config: config, actor: Self.actor, now: Self.t0)
        #expect(again.opened.isEmpty && again.changes.isEmpty)
        #expect(try incidents.list().count == 1)
        #expect(try AuditLog(store: incidents.store).verify().intact)
    }

    @Test("acknowledging cancels pages not yet sent, tells PagerDuty, and time to acknowledge counts to the first one")
    func acknowledge() throws {
        let (incidents, config, home) = try Self.setup()
        _ = home
        let opened = try incidents.observe(region: "us-east-1", alarms: [Self.alarm("prod-api", .alarm)], config: config, actor: Self.actor, now: Self.t0)
        let id = try #require(opened.opened.first?.incident.id)
        let holder = LeaseHolder(id: "d1")
        _ = try WatchLease(store: incidents.store, period: 30).acquire(holder, now: Self.t0)
        // PagerDuty goes out; SNS stays pending.
        let pd = try #require(try incidents.duePages(now: Self.t0).first { $0.channel == "pagerduty" })
        _ = try #require(try incidents.claim(pd.id, holder: holder, now: Self.t0))
        try incidents.finish(pd.id, result: .delivered(reference: "r1"), policy: PageRetryPolicy(), actor: Self.actor, now: Self.t0)

        let change = try incidents.act(id, .acknowledge(by: "alice"), config: config, actor: AuditActor(user: "alice"), now: Self.t0.addingTimeInterval(42))
        #expect(change.incident.state == "acknowledged" && change.incident.secondsToAcknowledge == 42)
        let pages = change.incident.pages
        #expect(pages.first { $0.channel == "sns" }?.status == .cancelled)
        #expect(pages.filter { $0.action == .acknowledge }.map(\.channel).sorted() == ["console", "pagerduty"])
        // A second acknowledgement is refused and names the first.
        #expect(throws: IncidentActionError.self) {
            _ = try incidents.act(id, .acknowledge(by: "bob"), config: config, actor: AuditActor(user: "bob"), now: Self.t0.addingTimeInterval(50))
        }
        // Resolving: time to resolve, and a resolve notice to PagerDuty.
        let resolved = try incidents.act(id, .resolve(by: "alice"), config: config, actor: AuditActor(user: "alice"), now: Self.t0.addingTimeInterval(100))
        #expect(resolved.incident.isResolved && resolved.incident.secondsToResolve == 100)
        #expect(resolved.incident.pages.contains { $0.action == .resolve && $0.channel == "pagerduty" })
        #expect(try incidents.list().isEmpty && incidents.list(includeResolved: true).count == 1)
        #expect(throws: IncidentActionError.notFound(99)) {
            _ = try incidents.act(99, .resolve(by: "x"), config: config, actor: AuditActor(user: "x"), now: Self.t0)
        }
    }

    @Test("a page is sent only under the lease; failures retry with backoff, unknowns are never resent")
    func delivery() throws {
        let (incidents, config, home) = try Self.setup()
        _ = home
        _ = try incidents.observe(region: "us-east-1", alarms: [Self.alarm("prod-api", .alarm)], config: config, actor: Self.actor, now: Self.t0)
        let lease = WatchLease(store: incidents.store, period: 30)
        let d1 = LeaseHolder(id: "d1"), d2 = LeaseHolder(id: "d2")
        let sns = try #require(try incidents.duePages(now: Self.t0).first { $0.channel == "sns" })
        #expect(try incidents.claim(sns.id, holder: d1, now: Self.t0) == nil, "no lease, no send")
        #expect(try lease.acquire(d1, now: Self.t0) == .held(until: Self.t0.addingTimeInterval(30), takenOver: false))
        guard case .heldByOther = try lease.acquire(d2, now: Self.t0.addingTimeInterval(1)) else { Issue.record("d2 took a live lease"); return }
        #expect(try incidents.claim(sns.id, holder: d2, now: Self.t0.addingTimeInterval(1)) == nil, "a standby never sends")
        _ = try #require(try incidents.claim(sns.id, holder: d1, now: Self.t0))
        #expect(try incidents.claim(sns.id, holder: d1, now: Self.t0) == nil, "claimed once")

        let policy = PageRetryPolicy(attempts: 2, base: 5, maximum: 60)
        var page = try #require(try incidents.finish(sns.id, result: .failed(detail: "Throttling", retryable: true), policy: policy, actor: Self.actor, now: Self.t0))
        #expect(page.status == .pending && page.nextAttemptAt == Self.t0.addingTimeInterval(5))
        #expect(try incidents.duePages(now: Self.t0.addingTimeInterval(4)).contains { $0.id == sns.id } == false)
        _ = try #require(try incidents.claim(sns.id, holder: d1, now: Self.t0.addingTimeInterval(5)))
        page = try #require(try incidents.finish(sns.id, result: .failed(detail: "Throttling", retryable: true), policy: policy, actor: Self.actor, now: Self.t0.addingTimeInterval(5)))
        #expect(page.status == .failed && page.attempts == 2)

        let pd = try #require(try incidents.duePages(now: Self.t0).first { $0.channel == "pagerduty" })
        _ = try #require(try incidents.claim(pd.id, holder: d1, now: Self.t0))
        page = try #require(try incidents.finish(pd.id, result: .unknown(detail: "no answer"), policy: policy, actor: Self.actor, now: Self.t0))
        #expect(page.status == .unknown && page.nextAttemptAt == nil)
        let kinds = try incidents.timeline(page.incident).map(\.draft.kind)
        #expect(kinds.suffix(3) == ["page.failed", "page.failed", "page.unknown"])
    }

    @Test("a dead holder's lease is taken over at once; its half-sent pages become unknown, PagerDuty's pending again")
    func takeover() throws {
        let (incidents, config, home) = try Self.setup()
        _ = home
        _ = try incidents.observe(region: "us-east-1", alarms: [Self.alarm("prod-api", .alarm)], config: config, actor: Self.actor, now: Self.t0)
        let dead = LeaseHolder(id: "old", pid: 999_999, host: LeaseHolder.hostName())
        let alive = WatchLease(store: incidents.store, period: 30) { _ in true }
        let deadCheck = WatchLease(store: incidents.store, period: 30) { $0 != 999_999 }
        _ = try alive.acquire(dead, now: Self.t0)
        for page in try incidents.duePages(now: Self.t0) { _ = try incidents.claim(page.id, holder: dead, now: Self.t0) }
        let next = LeaseHolder(id: "new")
        guard case .heldByOther = try alive.acquire(next, now: Self.t0.addingTimeInterval(1)) else { Issue.record("took a live lease"); return }
        #expect(try deadCheck.acquire(next, now: Self.t0.addingTimeInterval(1)) == .held(until: Self.t0.addingTimeInterval(31), takenOver: true))
        #expect(try incidents.recoverInterrupted(actor: Self.actor, now: Self.t0.addingTimeInterval(1)) == 2)
        let pages = try #require(try incidents.list().first).pages
        #expect(pages.first { $0.channel == "sns" }?.status == .unknown)
        #expect(pages.first { $0.channel == "pagerduty" }?.status == .pending)
        // An expired lease is taken over even when the pid looks alive.
        #expect(try alive.acquire(LeaseHolder(id: "third"), now: Self.t0.addingTimeInterval(40)) == .held(until: Self.t0.addingTimeInterval(70), takenOver: true))
    }

    @Test("escalation ticks page the next stage when due; auto-resolve closes the incident when its alarms are OK")
    func ticksAndAutoResolve() throws {
        let (incidents, config, home) = try Self.setup()
        _ = home
        _ = try incidents.observe(region: "us-east-1", alarms: [Self.alarm("prod-api", .alarm)], config: config, actor: Self.actor, now: Self.t0)
        #expect(try incidents.tickDue(config: config, actor: Self.actor, now: Self.t0.addingTimeInterval(59)).isEmpty)
        let changes = try incidents.tickDue(config: config, actor: Self.actor, now: Self.t0.addingTimeInterval(60))
        #expect(changes.first?.firing?.contacts == ["secondary"])
        let webhook = try #require(changes.first?.incident.pages.first { $0.channel == "webhook" })
        #expect(webhook.target == "https://hooks.example.com/page", "the query string may hold a token and is not stored")
        let report = try incidents.observe(region: "us-east-1", alarms: [Self.alarm("prod-api", .ok, at: 90)], config: config, actor: Self.actor, now: Self.t0.addingTimeInterval(90))
        #expect(report.resolved.count == 1)
        let incident = try #require(try incidents.list(includeResolved: true).first)
        #expect(incident.isResolved && incident.resolvedBy == "watch (all alarms OK)")
        #expect(incident.pages.first { $0.channel == "webhook" && $0.action == .trigger }?.status == .cancelled)
        // The alarm entering ALARM again opens a new incident.
        let reopened = try incidents.observe(region: "us-east-1", alarms: [Self.alarm("prod-api", .alarm, at: 200)], config: config, actor: Self.actor, now: Self.t0.addingTimeInterval(200))
        #expect(reopened.opened.count == 1 && reopened.opened[0].incident.id != incident.id)
    }
}
