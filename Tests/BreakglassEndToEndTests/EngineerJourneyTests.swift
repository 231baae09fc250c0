import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// The engineer's journey (issue 7), the real binary in tmux against moto with IAM checks on: an
/// incident is open and paging; the engineer acknowledges it on the incidents screen, opens its
/// suggested runbook, is offered break-glass access because the runbook needs a role their own
/// credentials lack, gets it (criteria, reason, MFA code), runs the runbook to the end with typed
/// confirmation — the purge reaching AWS exactly once, under the role — and resolves the incident.
@Suite(.serialized, .enabled(if: TmuxSession.isAvailable, "needs tmux (make test installs it)"))
struct EngineerJourneyTests {
    static let incidentConfig = """
        contacts:
          primary: { name: "Primary on-call" }
          secondary: { name: "Secondary" }
        escalation:
          default:
            stages:
              - { notify: [primary], wait: 30m }
              - { notify: [secondary], wait: 30m }
        response:
          - match: { alarm: "prod-orders-*" }
            severity: 1
            escalation: default
            runbooks: [flush-orders]

        """

    static let runbook = """
        id: flush-orders
        title: Empty the orders queue
        when: The orders queue is backed up with stale messages.
        access: app-break-glass
        params:
          queue: { default: prod-orders, pattern: "^[A-Za-z0-9_-]{1,80}$", description: The queue to empty. }
        steps:
          - id: url
            check:
              call: sqs.GetQueueUrl
              with: { QueueName: "{{queue}}" }
              explain: Finds the queue's address.
          - do:
              call: sqs.PurgeQueue
              with: { QueueUrl: "{{steps.url.QueueUrl}}" }
              confirm: type
              explain: Deletes every message in {{queue}}; this cannot be undone.
        """

    @Test func theEngineerAcknowledgesGetsAccessAndRunsTheRunbookToTheEnd() async throws {
        try await MotoHarness.withServer { server in
            let sandbox = try await AccessSandbox.create(in: server)
            let queueURL = try await AccessMotoTests.queue(server)
            _ = try await server.client().call(
                AWSCatalog.lookup(service: "sqs", name: "SendMessage"), ["QueueUrl": .string(queueURL), "MessageBody": "order 1"], region: "us-east-1")
            let setup = try AccessMotoTests.Setup(sandbox)
            defer { setup.stopAgent() }
            let runbooks = setup.home.path + "/runbooks"
            try FileManager.default.createDirectory(atPath: runbooks, withIntermediateDirectories: true)
            try Self.runbook.write(toFile: runbooks + "/flush-orders.yaml", atomically: true, encoding: .utf8)
            let configText = sandbox.config(runbooks: runbooks) + Self.incidentConfig
            try configText.write(toFile: setup.configPath, atomically: true, encoding: .utf8)
            try FileManager.default.createDirectory(
                atPath: (setup.statePath as NSString).deletingLastPathComponent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])

            // The watch daemon's part: the alarm opened an incident, which paged stage 1.
            let store = try Store.open(path: setup.statePath)
            defer { store.close() }
            let incidents = IncidentStore(log: AuditLog(store: store))
            let config = try ConfigLoader.parse(configText, file: "breakglass.yaml")
            let alarm = Alarm(name: "prod-orders-queue-depth", state: .alarm, reason: "Threshold Crossed", updated: Date(), region: "us-east-1", type: .metric)
            let opened = try incidents.observe(region: "us-east-1", alarms: [alarm], config: config, actor: AuditActor(user: "watch"), now: Date())
            let id = try #require(opened.opened.first?.incident.id)

            let proxy = try TCPProxy(upstreamPort: server.port)
            defer { proxy.stop() }
            let env = ConsoleAccessTests.environment(setup, server, sandbox, endpoint: proxy.endpoint)
            let tmux = try TmuxSession(
                width: 80, height: 24,
                command: "\(ConsoleAccessTests.shellQuote(BreakglassBinary.path)) console --interval 30 --state \(ConsoleAccessTests.shellQuote(setup.statePath))",
                environment: env)
            try tmux.waitFor(" 2 Incidents")

            // 1. Acknowledge it on the incidents screen.
            try tmux.sendKeys("2")
            try tmux.waitFor("prod-orders-queue-depth", timeout: 15)
            try tmux.sendKeys("a")
            try tmux.waitUntil(timeout: 15, what: "the incident acknowledged") { _ in (try? incidents.incident(id)?.state) == "acknowledged" }

            // 2. Open its runbook: it needs a role no grant covers, so access is offered.
            try tmux.sendKeys("r")
            try tmux.waitFor("Empty the orders queue", timeout: 15)
            try tmux.sendKeys("n")
            try tmux.waitFor("needs role app-break-glass; no grant is held", timeout: 15)
            try tmux.sendKeys("y")

            // 3. Break-glass access: criteria, reason, duration, MFA code.
            try tmux.waitFor("[ ] A customer-facing alarm is in ALARM", timeout: 15)
            try tmux.sendKeys("y")
            try tmux.sendKeys("Space")
            try tmux.waitFor("2 of 2 confirmed")
            try tmux.sendKeys("Enter")
            try tmux.waitFor("Why do you need it?")
            try tmux.sendKeys("-l", "orders queue backed up, incident \(id)")
            try tmux.sendKeys("Enter")
            try tmux.waitFor("How long? At most 30m")
            try tmux.sendKeys("Enter")
            try tmux.waitFor("MFA code from arn:aws:iam::")
            try tmux.sendKeys("-l", "135790")
            try tmux.sendKeys("Enter")
            try tmux.waitFor("code entered (6 digits)")
            try tmux.sendKeys("Enter")
            var screen = try tmux.waitFor("Granted app-break-glass until", timeout: 20)
            AccessAgentHarness.register(socketPath: setup.socket)
            let topBar = String(screen.split(separator: "\n", omittingEmptySubsequences: false)[0])
            #expect(topBar.contains("app-break-glass 29:") || topBar.contains("app-break-glass 30:00"), "the countdown is in the top bar: \(topBar)")

            // 4. Back to the runbook: run it to the end, the purge sent after typing its resource.
            try tmux.sendKeys("3")
            try tmux.waitFor("Empty the orders queue")
            try tmux.sendKeys("n")
            // The check runs; the do waits for the person, and n opens its confirmation.
            try tmux.waitFor("awaiting confirmation", timeout: 20)
            try tmux.sendKeys("n")
            screen = try tmux.waitUntil(timeout: 20, what: "the typed confirmation") { $0.contains(" Type ") && $0.contains(" and Enter to send") }
            let expected = try #require(screen.split(separator: "\n").lazy.compactMap { line -> String? in
                guard let range = line.range(of: "Type ") else { return nil }
                return line[range.upperBound...].split(separator: " ").first.map(String.init)
            }.first)
            let purges = { proxy.forwardedRequests.filter { formFields($0.body)["Action"] == "PurgeQueue" || $0.operation == "PurgeQueue" } }
            #expect(purges().isEmpty, "nothing is sent before the confirmation")
            try tmux.sendKeys("-l", expected)
            try tmux.sendKeys("Enter")
            let runs = RunbookRunStore(store: store)
            try tmux.waitUntil(timeout: 20, what: "the run finished") { _ in (try? runs.recent().first?.run.status) == .succeeded }
            try tmux.waitFor("finished", timeout: 10)
            #expect(purges().count == 1, "the purge reached AWS exactly once")
            let run = try #require(try runs.recent().first)
            #expect(run.run.role == "app-break-glass", "it ran under the break-glass role")
            #expect(run.run.incident == String(id))

            // 5. Resolve the incident from the incidents screen.
            try tmux.sendKeys("2")
            try tmux.waitFor("prod-orders-queue-depth")
            try tmux.sendKeys("x")
            try tmux.waitFor("y/N", timeout: 10)
            try tmux.sendKeys("y")
            try tmux.waitUntil(timeout: 15, what: "the incident resolved") { _ in (try? incidents.incident(id)?.state) == "resolved" }

            try tmux.sendKeys("q")
            #expect(try tmux.waitForExit() == 0)
            #expect(purges().count == 1)
            #expect(try setup.run(["audit", "verify"], env).status == 0)
            let kinds = try setup.entries().map(\.draft.kind)
            for kind in ["incident.acknowledged", "access.granted", "runbook.started", "runbook.finished", "incident.resolved"] {
                #expect(kinds.contains(kind), "\(kind) in \(kinds)")
            }
        }
    }
}
