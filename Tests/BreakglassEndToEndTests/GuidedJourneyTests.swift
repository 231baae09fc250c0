import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// The backup's journey (issue 7): `breakglass console --guided` in tmux, against moto, on a state
/// file holding an open incident. One step per screen, the change only after its resource's name is
/// typed, and "I need help" escalating the incident.
@Suite(.serialized, .enabled(if: TmuxSession.isAvailable, "needs tmux (make test installs it)"))
struct GuidedJourneyTests {
    static let config = """
        contacts:
          primary: { name: "Primary on-call" }
          secondary: { name: "Secondary" }
          cofounder: { name: "Backup", audience: backup }
        escalation:
          default:
            stages:
              - { notify: [primary], wait: 30m }
              - { notify: [secondary], wait: 30m }
        response:
          - match: { alarm: "web-*" }
            severity: 1
            escalation: default
            runbooks: [scale-web]
        """

    static let runbook = """
        id: scale-web
        title: Add web servers
        steps:
          - say: Look at the web graphs. If they are red, go on.
          - do:
              call: autoscaling.SetDesiredCapacity
              with: { AutoScalingGroupName: web, DesiredCapacity: 8, HonorCooldown: false }
              explain: Starts four more web servers so the site keeps up.
          - check:
              call: autoscaling.DescribeAutoScalingGroups
              with: { AutoScalingGroupNames: [web] }
              expect: { "AutoScalingGroups[0].DesiredCapacity": 8 }
              explain: Checks that AWS now runs eight web servers.
        """

    static func call(_ c: AWSClient, _ service: String, _ op: String, _ input: AWSValue) async throws -> AWSValue {
        try await c.call(AWSCatalog.lookup(service: service, name: op), input, region: "us-east-1").value
    }

    @Test func theBackupCompletesARunbookWithTypedConfirmationAndAsksForHelp() async throws {
        try await MotoHarness.withServer { server in
            let admin = server.client()
            _ = try await Self.call(admin, "autoscaling", "CreateLaunchConfiguration", ["LaunchConfigurationName": "web-v1", "ImageId": "ami-12c6146b", "InstanceType": "t3.micro"])
            _ = try await Self.call(admin, "autoscaling", "CreateAutoScalingGroup", [
                "AutoScalingGroupName": "web", "LaunchConfigurationName": "web-v1", "MinSize": 0, "MaxSize": 10, "DesiredCapacity": 4,
                "AvailabilityZones": ["us-east-1a"],
            ])

            // A folder (no spaces: it goes on the tmux command line) with the configuration, the
            // runbook and a state file where an incident is open.
            let folder = NSTemporaryDirectory() + "bg-guided-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: folder + "/runbooks", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try (Self.config + "\nrunbooks: [\"\(folder)/runbooks\"]\n").write(toFile: folder + "/breakglass.yaml", atomically: true, encoding: .utf8)
            try Self.runbook.write(toFile: folder + "/runbooks/scale-web.yaml", atomically: true, encoding: .utf8)
            let statePath = folder + "/state.db"
            let store = try Store.open(path: statePath)
            defer { store.close() }
            let incidents = IncidentStore(log: AuditLog(store: store))
            let config = try ConfigLoader.parse(Self.config, file: "breakglass.yaml")
            let alarm = Alarm(name: "web-5xx", state: .alarm, reason: "Threshold Crossed", updated: Date(), region: "us-east-1", type: .metric)
            let opened = try incidents.observe(region: "us-east-1", alarms: [alarm], config: config, actor: AuditActor(user: "watch"), now: Date())
            let id = try #require(opened.opened.first?.incident.id)
            #expect(try incidents.incident(id)?.escalation.stage == 0)

            // Every AWS call goes through a proxy that counts them.
            let proxy = try TCPProxy(upstreamPort: server.port)
            defer { proxy.stop() }
            var env = server.environment().merging(ConsoleTests.terminalEnvironment()) { _, b in b }
            env["AWS_ENDPOINT_URL"] = proxy.endpoint
            func sets() -> Int {
                proxy.forwardedRequests.filter { String(decoding: $0.body, as: UTF8.self).contains("Action=SetDesiredCapacity") }.count
            }
            let tmux = try TmuxSession(
                width: 80, height: 24,
                command: "\(BreakglassBinary.path) console --guided --incident \(id) --config '\(folder)/breakglass.yaml' --state '\(statePath)'",
                environment: env)

            // Step 1: the runbook's own words, a big Next.
            var screen = try tmux.waitUntil(timeout: 30, what: "step 1 and its Next button") { $0.contains("Step 1 of 3") && $0.contains("Next") }
            #expect(screen.contains("breakglass · guided"), "\(screen)")
            #expect(screen.contains("Look at the web graphs. If they are red, go on."), "\(screen)")
            #expect(screen.contains("Next"), "\(screen)")
            #expect(!screen.contains("Incidents"), "no tabs in guided mode: \(screen)")
            // Keys of the full console lead nowhere.
            try tmux.sendKeys("2", ":", "Tab")
            try await Task.sleep(for: .milliseconds(300))
            screen = try tmux.capture()
            #expect(screen.contains("Step 1 of 3") && !screen.contains("Commands after") && !screen.contains("STATE  NAME"), "\(screen)")
            try tmux.sendKeys("Enter")

            // Step 2: the change, only after typing the group's name.
            screen = try tmux.waitFor("To do this, type web and press Enter.", timeout: 30)
            #expect(screen.contains("Step 2 of 3"), "\(screen)")
            #expect(screen.contains("Starts four more web servers so the site keeps up."), "\(screen)")
            try tmux.sendKeys("w", "b", "e", "Enter")
            screen = try tmux.waitFor("that is not web", timeout: 10)
            #expect(sets() == 0)
            try tmux.sendKeys("w", "e", "b", "Enter")
            screen = try tmux.waitFor("All 3 steps are done.", timeout: 30)
            #expect(sets() == 1)
            let desired = try await Self.call(admin, "autoscaling", "DescribeAutoScalingGroups", ["AutoScalingGroupNames": ["web"]])
            #expect(desired.value(at: try AWSPath("AutoScalingGroups[0].DesiredCapacity"))?.int == 8)
            let run = try #require(try RunbookRunStore(store: store).recent().first)
            #expect(run.run.status == .succeeded)
            #expect(run.run.incident == String(id))

            // "I need help": a yes/no, then the next stage is paged and the screen says who.
            try tmux.sendKeys("h")
            try tmux.waitFor("Page the next person for help?", timeout: 10)
            try tmux.sendKeys("y")
            screen = try tmux.waitFor("Help is on the way.", timeout: 10)
            #expect(screen.contains("Secondary"), "\(screen)")
            let escalated = try #require(try incidents.incident(id))
            #expect(escalated.escalation.stage == 1)
            #expect(escalated.pages.contains { $0.contactName == "Secondary" })
            let shown = try BreakglassBinary.run(["incidents", String(id), "--config", folder + "/breakglass.yaml", "--state", statePath])
            #expect(shown.stdout.contains("Secondary"), "\(shown.stdout)\n\(shown.stderr)")

            try tmux.sendKeys("q")
            #expect(try tmux.waitForExit() == 0)
            #expect(sets() == 1)
            #expect(try BreakglassBinary.run(["audit", "verify", "--state", statePath]).status == 0)
        }
    }
}
