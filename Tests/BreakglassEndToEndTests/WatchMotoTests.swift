import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Crypto
import Foundation
import Testing

/// `breakglass watch` as a real process against moto with IAM checks on: alarms open incidents,
/// SNS topics (read back through subscribed SQS queues) receive exactly the expected pages in
/// order and on time, acknowledging and resolving stop what they must, webhooks are signed, and a
/// second daemon sends nothing until the first dies.
@Suite(.serialized) struct WatchMotoTests {
    /// A sandbox for one test: two SNS topics read through SQS queues, an alarm, a webhook receiver,
    /// a config and a state folder.
    final class Rig: @unchecked Sendable {
        let server: LocalAWSServer
        let client: AWSClient
        let state = try! StateDir()
        let webhook: FaultServer
        var queues: [String: String] = [:]
        var topics: [String: String] = [:]
        var config = ""
        var configPath: String { state.path + "/breakglass.yaml" }
        var daemons: [BackgroundProcess] = []
        static let secret = "webhook-signing-secret-for-tests"

        init(server: LocalAWSServer) throws {
            self.server = server
            client = server.client()
            webhook = try FaultServer([], otherwise: .respond(200, [], "ok"))
        }

        /// The usual rig: the primary and the secondary each paged through a topic and a queue,
        /// under a plan of `stages`.
        static func paging(_ server: LocalAWSServer, stages: String, reack: String? = nil) async throws -> Rig {
            let rig = try Rig(server: server)
            try await rig.pager("primary")
            try await rig.pager("secondary")
            try rig.writeConfig(stages: stages, reack: reack)
            return rig
        }

        func call(_ service: String, _ name: String, _ input: AWSValue = [:]) async throws -> AWSValue {
            try await client.call(AWSCatalog.lookup(service: service, name: name), input, region: "us-east-1").value
        }

        /// A topic named `name` whose messages land in a queue of the same name.
        func pager(_ name: String) async throws {
            let topic = try #require(try await call("sns", "CreateTopic", ["Name": .string(name)])["TopicArn"]?.string)
            let url = try #require(try await call("sqs", "CreateQueue", ["QueueName": .string(name)])["QueueUrl"]?.string)
            let attrs = try await call("sqs", "GetQueueAttributes", ["QueueUrl": .string(url), "AttributeNames": ["QueueArn"]])
            let arn = try #require(attrs["Attributes"]?["QueueArn"]?.string)
            _ = try await call("sns", "Subscribe", ["TopicArn": .string(topic), "Protocol": "sqs", "Endpoint": .string(arn)])
            topics[name] = topic
            queues[name] = url
        }

        func alarm(_ name: String, _ state: String) async throws {
            _ = try await call("cloudwatch", "PutMetricAlarm", [
                "AlarmName": .string(name), "MetricName": "Latency", "Namespace": "Shop", "Statistic": "Average", "Period": 60,
                "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold",
            ])
            try await set(name, state)
        }

        func set(_ name: String, _ state: String) async throws {
            _ = try await call("cloudwatch", "SetAlarmState", ["AlarmName": .string(name), "StateValue": .string(state), "StateReason": "test says so"])
        }

        /// One SNS message as its queue received it: its text, and when moto enqueued it (SQS's
        /// SentTimestamp), so timing is measured by the server, not by a busy test process.
        struct Received: Sendable {
            var text: String
            var sent: Date
        }

        /// Messages the queue has received since the last read (a read hides what it returns for an
        /// hour, so each message is returned once), oldest first.
        func drain(_ name: String) async throws -> [Received] {
            let url = try #require(queues[name])
            let got = try await call("sqs", "ReceiveMessage", [
                "QueueUrl": .string(url), "MaxNumberOfMessages": 10, "WaitTimeSeconds": 0, "VisibilityTimeout": 3600, "AttributeNames": ["All"],
            ])
            var messages: [Received] = []
            for message in got["Messages"]?.array ?? [] {
                let body = try JSON.decode(try #require(message["Body"]?.string))
                let ms = message["Attributes"]?["SentTimestamp"]?.string.flatMap(Double.init) ?? 0
                messages.append(Received(text: body["Message"]?.string ?? "", sent: Date(timeIntervalSince1970: ms / 1000)))
            }
            return messages.sorted { $0.sent < $1.sent }
        }

        func writeConfig(stages: String, reack: String? = nil, autoResolve: Bool = false) throws {
            config = """
                aws: { regions: [us-east-1] }
                contacts:
                  primary: { name: Primary on-call, sns: "\(topics["primary"] ?? "")" }
                  secondary:
                    name: Secondary
                    sns: "\(topics["secondary"] ?? "")"
                    webhook: { url: "\(webhook.endpoint)/hooks/page?token=t", secret_env: BG_TEST_WEBHOOK_SECRET }
                escalation:
                  default:
                    stages:
                \(stages)
                \(reack.map { "    reack_after: \($0)" } ?? "")
                response:
                  - match: { alarm: "prod-*" }
                    severity: 1
                    escalation: default
                    auto_resolve: \(autoResolve)
                """
            try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        }

        var environment: [String: String] {
            var env = server.environment()
            env["BG_TEST_WEBHOOK_SECRET"] = Self.secret
            return env
        }

        @discardableResult
        func startDaemon() throws -> BackgroundProcess {
            let d = try BackgroundProcess(
                BreakglassBinary.path,
                ["watch", "--interval", "1", "--lease", "2s", "--page-retry", "200ms", "--config", configPath, "--state", state.db],
                environment: environment)
            daemons.append(d)
            return d
        }

        func run(_ args: [String]) throws -> BreakglassBinary.Result {
            try BreakglassBinary.run(args + ["--config", configPath, "--state", state.db], environment: environment)
        }

        func stop() {
            for d in daemons { d.signal(SIGTERM) }
            for d in daemons { _ = d.wait(timeout: 10) }
            webhook.stop()
        }
    }

    /// Polls `body` every 100 ms until it returns a value or `timeout` passes.
    static func eventually<T>(_ timeout: Double, _ body: () async throws -> T?) async throws -> T? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let v = try await body() { return v }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    static func incidents(_ rig: Rig) throws -> [AWSValue] {
        let r = try rig.run(["incidents", "--all", "--output", "json"])
        guard r.status == 0 else { throw WatchTestError("incidents failed: \(r.stderr)") }
        return try JSON.decode(Array(r.stdout.utf8)).array ?? []
    }

    struct WatchTestError: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    @Test("stages page in order at their waits, exactly once each; the webhook is signed")
    func escalatesInOrder() async throws {
        try await MotoHarness.withServer { server in
            let rig = try await Rig.paging(server, stages: """
                      - { notify: [primary], wait: 3s }
                      - { notify: [secondary], wait: 3s }
                """)
            defer { rig.stop() }
            try await rig.alarm("prod-checkout-latency", "OK")
            let daemon = try rig.startDaemon()
            try await rig.set("prod-checkout-latency", "ALARM")

            // Both stages, read back from their queues; the times are moto's.
            var primary: [Rig.Received] = [], secondary: [Rig.Received] = []
            let both = try await Self.eventually(40) { () async throws -> Bool? in
                primary += try await rig.drain("primary")
                secondary += try await rig.drain("secondary")
                return secondary.isEmpty ? nil : true
            }
            #expect(both == true, "stage 2 never paged: \(daemon.errors())")
            primary += try await rig.drain("primary")
            try #require(primary.count == 1 && secondary.count == 1, "\(primary.map(\.text)) \(secondary.map(\.text)) \(daemon.errors())")
            #expect(primary[0].text.contains("prod-checkout-latency") && primary[0].text.contains("breakglass ack 1"), "\(primary[0].text)")
            let gap = secondary[0].sent.timeIntervalSince(primary[0].sent)
            // Stage 2 is due 3 s after stage 1 became due, not after its page landed: on a loaded
            // machine stage 1's delivery can land a second late, so the gap between the two queues'
            // timestamps shrinks by as much. It must still be a wait, not an immediate second page.
            #expect(gap > 1.5 && gap < 6, "stage 2 paged \(gap) s after stage 1; its wait is 3 s")
            print("measure: watch stage 2 reached its queue \(String(format: "%.3f", gap)) s after stage 1 (wait 3 s)")

            // Signed webhook for the secondary, once.
            let hook = try #require(try await Self.eventually(5) { rig.webhook.requests.first })
            #expect(rig.webhook.requests.count == 1)
            #expect(hook.method == "POST" && hook.path == "/hooks/page?token=t")
            let timestamp = try #require(hook.header("X-Breakglass-Timestamp"))
            let mac = HMAC<SHA256>.authenticationCode(for: Array((timestamp + ".").utf8) + hook.body, using: SymmetricKey(data: Array(Rig.secret.utf8)))
            #expect(hook.header("X-Breakglass-Signature") == "sha256=" + mac.map { String(format: "%02x", $0) }.joined())
            let body = try JSON.decode(hook.body)
            #expect(body["event"] == "trigger", "\(body)")
            #expect(hook.header("X-Breakglass-Delivery")?.isEmpty == false)

            #expect(!daemon.errors().contains("ALARM → ALARM"), "an alarm that stays in ALARM is not a new change each poll")
            // After the last stage's wait the incident is exhausted: no more pages, and JSON says so.
            try await Task.sleep(for: .seconds(4))
            let lateP = try await rig.drain("primary"), lateS = try await rig.drain("secondary")
            #expect(lateP.isEmpty && lateS.isEmpty, "\(lateP.map(\.text)) \(lateS.map(\.text))")
            let incident = try #require(try Self.incidents(rig).first)
            #expect(incident["state"] == "open" && incident["next_page_at"] == .null, "\(incident)")
            let pages = incident["pages"]?.array ?? []
            let sns = pages.filter { $0["channel"] == "sns" }
            #expect(sns.map { $0["who"]?.string ?? "" } == ["primary", "secondary"], "\(pages)")
            #expect(sns.allSatisfy { $0["delivered"] == true })
            // Every Publish went through the audit trail under the incident.
            let log = AuditLog(store: try Store.open(path: rig.state.db))
            let intents = try log.entries().filter { $0.draft.kind == "aws.intent" && $0.draft.operation == "Publish" }
            #expect(intents.count == 2 && intents.allSatisfy { $0.draft.context.incident == "1" })
            #expect(try log.verify().intact)
        }
    }

    @Test("acknowledging stops the next stage; a flapping alarm opens no second incident")
    func acknowledgeStops() async throws {
        try await MotoHarness.withServer { server in
            // Stage 1 waits long enough for the test to acknowledge on a busy machine.
            let rig = try await Rig.paging(server, stages: """
                      - { notify: [primary], wait: 10s }
                      - { notify: [secondary], wait: 3s }
                """)
            defer { rig.stop() }
            try await rig.alarm("prod-db-writer", "OK")
            let daemon = try rig.startDaemon()
            try await rig.set("prod-db-writer", "ALARM")
            let paged = try await Self.eventually(30) { try await rig.drain("primary").first }
            let pagedAt = try #require(paged, "\(daemon.errors())").sent
            let ack = try rig.run(["ack", "1"])
            #expect(ack.status == 0, "\(ack.stderr)")
            try #require(Date().timeIntervalSince(pagedAt) < 10, "the test acknowledged too late to prove anything")
            // Flap while acknowledged.
            try await rig.set("prod-db-writer", "OK")
            try await Task.sleep(for: .seconds(1.5))
            try await rig.set("prod-db-writer", "ALARM")
            // Past the moment stage 2 would have paged.
            try await Task.sleep(for: .seconds(max(1, 11 - Date().timeIntervalSince(pagedAt))))
            #expect(try await rig.drain("secondary").isEmpty, "acknowledged: stage 2 must not page")
            #expect(rig.webhook.requests.isEmpty)
            let all = try Self.incidents(rig)
            #expect(all.count == 1, "a flapping alarm opened another incident: \(all)")
            #expect(all.first?["state"] == "acknowledged" && all.first?["acknowledged_by"]?.string?.isEmpty == false)
            // The flap is on the incident's record, once per change seen, not once per poll.
            let flaps = daemon.errors().split(separator: "\n").filter { $0.contains("incident 1: us-east-1/prod-db-writer") }
            #expect((1...3).contains(flaps.count), "\(flaps)")
        }
    }

    @Test("an acknowledged incident re-alerts after reack_after; resolving stops it")
    func realertAndResolve() async throws {
        try await MotoHarness.withServer { server in
            let rig = try await Rig.paging(server, stages: """
                      - { notify: [primary], wait: 30s }
                """, reack: "5s")
            defer { rig.stop() }
            try await rig.alarm("prod-api-a", "OK")
            try await rig.alarm("prod-api-b", "OK")
            let daemon = try rig.startDaemon()
            try await rig.set("prod-api-a", "ALARM")
            let first = try await Self.eventually(30) { try await rig.drain("primary").first }
            #expect(first != nil, "\(daemon.errors())")
            #expect(try rig.run(["ack", "1"]).status == 0)
            let ackedAt = Date()
            // Not resolved: the primary is paged again about 5 s after the acknowledgement.
            let realert = try await Self.eventually(20) { try await rig.drain("primary").first }
            let again = try #require(realert, "no re-alert: \(daemon.errors())")
            #expect(again.sent.timeIntervalSince(ackedAt) > 4, "re-alerted \(again.sent.timeIntervalSince(ackedAt)) s after the acknowledgement")
            // Acknowledged again, then resolved before its re-alert is due.
            #expect(try rig.run(["ack", "1"]).status == 0)
            let reackedAt = Date()
            let resolved = try rig.run(["resolve", "1"])
            #expect(resolved.status == 0, "\(resolved.stderr)")
            let resolvedAt = Date()
            try #require(resolvedAt.timeIntervalSince(reackedAt) < 4, "the test resolved too late to prove anything")
            // Past the re-alert the acknowledgement would have caused: nothing may be sent.
            try await Task.sleep(for: .seconds(7))
            let after = try await rig.drain("primary").filter { $0.sent > resolvedAt }
            #expect(after.isEmpty, "resolved: no more re-alerts: \(after.map(\.text)) \(daemon.errors())")
            let incident = try #require(try Self.incidents(rig).first)
            #expect(incident["state"] == "resolved" && incident["ttr_seconds"]?.double != nil, "\(incident)")
            let triggers = (incident["pages"]?.array ?? []).filter { $0["channel"] == "sns" && $0["action"] == "trigger" }
            #expect(triggers.count == 2, "the first page and one re-alert: \(triggers)")
        }
    }

    @Test("a second daemon sends nothing while the first lives, and takes over when it is killed")
    func leaseTakeover() async throws {
        try await MotoHarness.withServer { server in
            let rig = try await Rig.paging(server, stages: """
                      - { notify: [primary], wait: 8s }
                      - { notify: [secondary], wait: 30s }
                """)
            defer { rig.stop() }
            try await rig.alarm("prod-search", "OK")
            let first = try rig.startDaemon()
            #expect(try await Self.eventually(10) { first.errors().contains("holding the lease") ? true : nil } == true, "\(first.errors())")
            let second = try rig.startDaemon()
            #expect(try await Self.eventually(10) { second.errors().contains("standing by") ? true : nil } == true, "\(second.errors())")
            try await rig.set("prod-search", "ALARM")
            let paged = try await Self.eventually(30) { try await rig.drain("primary").first }
            let pagedAt = try #require(paged, "\(first.errors())").sent
            // The page can land in the queue a moment before the holder logs its delivery.
            let logged = try await Self.eventually(5) { first.errors().contains("delivered") ? true : nil }
            #expect(logged == true && !second.errors().contains("delivered"), "only the holder pages: \(first.errors()) / \(second.errors())")
            try #require(Date().timeIntervalSince(pagedAt) < 6, "the test is too late to kill the holder before stage 2")

            first.signal(SIGKILL)
            _ = first.wait(timeout: 5)
            let killedAt = Date()
            let tookOver = try await Self.eventually(10) { second.errors().contains("took over the lease") ? Date() : nil }
            let at = try #require(tookOver, "the standby never took over: \(second.errors())")
            print("measure: watch standby took over \(String(format: "%.3f", at.timeIntervalSince(killedAt))) s after the holder was killed (lease 2 s)")
            // Within one lease period (2 s), plus what a busy machine adds to noticing it.
            #expect(at.timeIntervalSince(killedAt) < 4, "took \(at.timeIntervalSince(killedAt)) s; the lease is 2 s")
            // Stage 2 comes from the new holder, once, on time; the primary is not paged again.
            let stage2 = try await Self.eventually(30) { try await rig.drain("secondary").first }
            let stage2At = try #require(stage2, "\(second.errors())").sent
            #expect(abs(stage2At.timeIntervalSince(pagedAt) - 8) < 3, "stage 2 paged \(stage2At.timeIntervalSince(pagedAt)) s after stage 1")
            #expect(second.errors().contains("delivered"))
            try await Task.sleep(for: .seconds(1))
            let lateP = try await rig.drain("primary"), lateS = try await rig.drain("secondary")
            #expect(lateP.isEmpty && lateS.isEmpty, "\(lateP.map(\.text)) \(lateS.map(\.text))")
            #expect(rig.webhook.requests.count == 1)
        }
    }

    @Test("SIGTERM stops the daemon cleanly and gives the lease up at once")
    func sigterm() async throws {
        try await MotoHarness.withServer { server in
            let rig = try await Rig.paging(server, stages: "      - { notify: [primary], wait: 5s }")
            defer { rig.stop() }
            let daemon = try rig.startDaemon()
            #expect(try await Self.eventually(10) { daemon.errors().contains("holding the lease") ? true : nil } == true, "\(daemon.errors())")
            daemon.signal(SIGTERM)
            #expect(daemon.wait(timeout: 10) == 0, "\(daemon.errors())")
            #expect(daemon.errors().contains("stopped"))
            let store = try Store.open(path: rig.state.db)
            #expect(try WatchLease(store: store, period: 2).live(now: Date()) == nil, "the lease is released")
        }
    }
}
