import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// The store side of the console's page feed, on a real state file: what a console polls.
@Suite("Console pages: the feed")
struct ConsolePageFeedTests {
    static let yaml = """
        contacts:
          primary: { name: "Primary on-call" }
          backup: { name: Backup }
        escalation:
          default:
            stages:
              - { notify: [primary, backup], wait: 5m }
        response:
          - match: { alarm: "prod-*" }
            severity: 1
            escalation: default
        """

    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func open(_ home: TemporaryHome) throws -> (ConsolePageFeed, BreakglassConfig) {
        let store = try Store.open(path: home.path + "/state/state.db")
        return (ConsolePageFeed(incidents: IncidentStore(log: AuditLog(store: store))), try ConfigLoader.parse(yaml, file: "breakglass.yaml"))
    }

    static func openIncident(_ feed: ConsolePageFeed, _ config: BreakglassConfig, name: String = "prod-api") throws -> Int64 {
        let alarm = Alarm(name: name, state: .alarm, reason: "Threshold Crossed", updated: t0, region: "us-east-1", type: .metric)
        let report = try feed.incidents.observe(region: "us-east-1", alarms: [alarm], config: config, actor: AuditActor(user: "watch"), now: t0)
        return try #require(report.opened.first?.incident.id)
    }

    @Test
    func pagesAfterTheStartComeWithTheirIncidentAndNoticesSayWho() throws {
        let home = try TemporaryHome()
        let (feed, config) = try Self.open(home)
        let old = try Self.openIncident(feed, config, name: "prod-old")
        _ = try feed.incidents.act(old, .resolve(by: "bob"), config: config, actor: AuditActor(user: "bob"), now: Self.t0)
        let start = try feed.start()
        #expect(try feed.pages(after: start).isEmpty, "pages from before the start are not shown")

        let id = try Self.openIncident(feed, config, name: "prod-api-2")
        let pages = try feed.pages(after: start)
        #expect(pages.map(\.contactName) == ["Primary on-call", "Backup"])
        #expect(pages.allSatisfy { $0.incident == id && $0.action == .trigger && $0.stage == 1 && $0.firing == 1 && $0.by == nil })
        #expect(pages.first?.title == "prod-api-2 in ALARM (severity 1)" && pages.first?.severity == 1)

        let after = try #require(pages.last?.id)
        #expect(try feed.acknowledge(id, config: config, actor: AuditActor(user: "alice"), now: Self.t0.addingTimeInterval(30)) == "alice")
        let notices = try feed.pages(after: after)
        #expect(notices.map(\.action) == [.acknowledge, .acknowledge])
        #expect(notices.allSatisfy { $0.by == "alice" && $0.stage == 0 })
    }

    @Test
    func nothingNewIsCheapAndAFullBatchIsFollowedUp() throws {
        let home = try TemporaryHome()
        let (feed, config) = try Self.open(home)
        let start = try feed.start()
        #expect(try feed.pages(after: start).isEmpty)
        #expect(try feed.pages(after: start).isEmpty, "no commit since: answered from the change token")
        _ = try Self.openIncident(feed, config)
        // Two console pages, read one at a time: the second comes although nothing was committed in between.
        let first = try feed.pages(after: start, limit: 1)
        #expect(first.count == 1)
        let second = try feed.pages(after: try #require(first.last?.id), limit: 1)
        #expect(second.map(\.contactName) == ["Backup"])
        #expect(try feed.pages(after: try #require(second.last?.id), limit: 1).isEmpty)
    }

    @Test
    func anIncidentWhosePlanIsGoneCanStillBeAcknowledged() throws {
        let home = try TemporaryHome()
        let (feed, config) = try Self.open(home)
        let id = try Self.openIncident(feed, config)
        let empty = try ConfigLoader.parse("", file: "breakglass.yaml")
        #expect(try feed.acknowledge(id, config: empty, actor: AuditActor(user: "bob"), now: Self.t0) == "bob")
        #expect(try feed.incidents.incident(id)?.state == "acknowledged")
        #expect(throws: IncidentActionError.self) { try feed.acknowledge(id, config: empty, actor: AuditActor(user: "carol"), now: Self.t0) }
    }
}
