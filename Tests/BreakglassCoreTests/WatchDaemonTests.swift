import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Synchronization
import Testing

/// The daemon's loop turned by hand on a test clock, with a fake alarm source and a fake channel:
/// which step polls, pages, retries and backs off. Nothing here waits for real time.
@Suite("Watch daemon")
struct WatchDaemonTests {
    static let yaml = """
        contacts:
          primary: { name: Primary, sns: "arn:aws:sns:us-east-1:123456789012:primary" }
          secondary: { name: Secondary, pagerduty: { routing_key_env: PD_KEY } }
        escalation:
          default:
            stages:
              - { notify: [primary], wait: 1m }
              - { notify: [secondary], wait: 1m }
        response:
          - { match: { alarm: "prod-*" }, severity: 2, escalation: default }
        """

    final class FakeSource: AlarmSource, Sendable {
        let alarms = Mutex<[Alarm]>([])
        let failing = Mutex(false)
        let polls = Mutex(0)
        struct Down: Error {}
        func alarms(region: String) async throws -> [Alarm] {
            polls.withLock { $0 += 1 }
            if failing.withLock({ $0 }) { throw Down() }
            return alarms.withLock { $0 }
        }
    }

    final class Lines: Sendable {
        let all = Mutex<[String]>([])
        func contains(_ text: String) -> Bool { all.withLock { $0.contains { $0.contains(text) } } }
    }

    final class FakeSender: PageSender, Sendable {
        let sent = Mutex<[(String, PageMessage)]>([])
        let script = Mutex<[DeliveryResult]>([])
        func deliver(_ message: PageMessage, via channel: ContactChannel) async -> DeliveryResult {
            sent.withLock { $0.append((channel.key, message)) }
            return script.withLock { $0.isEmpty ? .delivered(reference: "ok") : $0.removeFirst() }
        }
        var channels: [String] { sent.withLock { $0.map(\.0) } }
    }

    struct Rig {
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        let source = FakeSource()
        let sender = FakeSender()
        let daemon: WatchDaemon
        let incidents: IncidentStore
        let home: TemporaryHome
        let lines = Lines()

        init() throws {
            home = try TemporaryHome()
            let store = try Store.open(path: home.path + "/state/s.db")
            incidents = IncidentStore(log: AuditLog(store: store))
            let config = try ConfigLoader.parse(WatchDaemonTests.yaml, file: "breakglass.yaml")
            let clock = clock, sender = sender, lines = lines
            daemon = try WatchDaemon(
                config: config, incidents: incidents, lease: WatchLease(store: store, period: 30), holder: LeaseHolder(id: "test"),
                settings: WatchSettings(regions: ["us-east-1"], interval: 15, retry: PageRetryPolicy(attempts: 3, base: 10, maximum: 60)),
                source: source, sender: { _ in sender }, actor: AuditActor(user: "watch"), clock: { clock.now },
                log: { line in lines.all.withLock { $0.append(line) } })
        }

        /// One turn of the loop at the test clock's time, waiting for the polls and deliveries it starts.
        func step(after seconds: TimeInterval = 0) async {
            _ = clock.advance(seconds)
            let now = clock.now
            await withDiscardingTaskGroup { group in daemon.step(now: now, group: &group) }
        }
    }

    static func alarm(_ state: AlarmState) -> Alarm {
        Alarm(name: "prod-api", state: state, reason: "p99 above 2 s", updated: Date(timeIntervalSince1970: 1_799_999_000), region: "us-east-1", type: .metric)
    }

    @Test("poll opens the incident, the next turn pages stage 1, the stage's wait pages stage 2")
    func escalation() async throws {
        let rig = try Rig()
        rig.source.alarms.withLock { $0 = [Self.alarm(.alarm)] }
        await rig.step()
        #expect(rig.daemon.isHolder && rig.source.polls.withLock { $0 } == 1)
        #expect(try rig.incidents.list().count == 1 && rig.sender.channels.isEmpty)
        await rig.step()
        #expect(rig.sender.channels == ["sns"])
        let message = try #require(rig.sender.sent.withLock { $0.first?.1 })
        #expect(message.title == "prod-api in ALARM (severity 2)" && message.stage == 1 && message.summary.contains("breakglass ack 1"))
        #expect(message.dedupKey.hasSuffix("-incident-1") && message.deliveryID.contains("-page-"))
        await rig.step(after: 59)
        #expect(rig.sender.channels == ["sns"], "stage 2 waits a minute")
        await rig.step(after: 1)
        await rig.step()
        #expect(rig.sender.channels == ["sns", "pagerduty"])
        #expect(rig.source.polls.withLock { $0 } == 2, "polled at 0 s and 59 s: once per 15 s interval at most")
    }

    @Test("a failed delivery is tried again after the backoff; an unknown outcome never")
    func retries() async throws {
        let rig = try Rig()
        rig.sender.script.withLock { $0 = [.failed(detail: "503", retryable: true)] }
        rig.source.alarms.withLock { $0 = [Self.alarm(.alarm)] }
        await rig.step()
        await rig.step()
        #expect(rig.sender.channels == ["sns"])
        await rig.step(after: 9)
        #expect(rig.sender.channels == ["sns"])
        await rig.step(after: 1)
        #expect(rig.sender.channels == ["sns", "sns"])
        #expect(try rig.incidents.list().first?.pages.first { $0.channel == "sns" }?.status == .delivered)

        rig.sender.script.withLock { $0 = [.unknown(detail: "no answer")] }
        await rig.step(after: 50)
        await rig.step()
        #expect(rig.sender.channels == ["sns", "sns", "pagerduty"])
        await rig.step(after: 120)
        #expect(rig.sender.channels.count == 3, "unknown: not sent again")
        #expect(rig.lines.contains("outcome unknown, not sent again"))
    }

    @Test("a failing region backs off, doubling, and says when it works again")
    func pollBackoff() async throws {
        let rig = try Rig()
        rig.source.failing.withLock { $0 = true }
        await rig.step()
        #expect(rig.source.polls.withLock { $0 } == 1)
        await rig.step(after: 15)
        #expect(rig.source.polls.withLock { $0 } == 1, "after one failure the next poll is 30 s away")
        await rig.step(after: 15)
        #expect(rig.source.polls.withLock { $0 } == 2)
        rig.source.failing.withLock { $0 = false }
        await rig.step(after: 59)
        #expect(rig.source.polls.withLock { $0 } == 2, "after two failures, 60 s")
        await rig.step(after: 1)
        #expect(rig.source.polls.withLock { $0 } == 3)
        #expect(rig.lines.contains("polling works again after 2 failure(s)"))
        #expect(WatchSettings(regions: [], interval: 15).pollDelay(failures: 10) == 300)
    }
}
