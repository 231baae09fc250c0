import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// `drill start --staging`: a drill on the staging account the config names, played here by a
/// moto_server on loopback (signature and IAM checks on) reached through an AWS profile with an
/// `endpoint_url`, exactly as a real staging profile would be used. Its resources exist before the
/// drill, as a team's staging would have them; the drill creates nothing, confirms the account,
/// breaks it on schedule, and `drill stop` stops breaking it and gives the denied user access back.
@Suite struct DrillStagingTests {
    /// A small scenario of its own, with faults at once, so the drill runs in seconds: the queue
    /// floods and its alarm goes red; it recovers when the queue is drained.
    static let scenario = """
        id: staging-backlog
        title: "The order queue backs up"
        region: us-east-1
        resources:
          users:
            - { name: oncall, access: read-only }
          queues:
            - { name: stg-orders, messages: 0 }
          alarms:
            - name: stg-orders-depth
              namespace: AWS/SQS
              metric: ApproximateNumberOfMessagesVisible
              threshold: 100
              ok_when: { signal: queue_depth, of: stg-orders, below: 10 }
        faults:
          - fill_queue: { queue: stg-orders, messages: 40 }
          - set_alarm:
              name: stg-orders-depth
              state: ALARM
              reason: "Threshold Crossed: 1 datapoint [140.0] was greater than the threshold (100.0)."
        recovery:
          - { signal: alarm_state, of: stg-orders-depth, is: OK }
        """

    @Test func aStagingDrillConfirmsTheAccountBreaksItOnScheduleAndStopsCleanly() async throws {
        try await MotoHarness.withServer { server in
            try await Self.drill(server)
        }
    }

    static func drill(_ server: LocalAWSServer) async throws {
        // The staging account, as the team keeps it: the scenario's resources are already there.
        let folder = try TemporaryHome()
        try scenario.write(toFile: folder.path + "/staging-backlog.yaml", atomically: true, encoding: .utf8)
        let loaded = try ScenarioLoader.load(path: folder.path + "/staging-backlog.yaml")
        let seed = try await SandboxProvisioner(client: server.client(), scenario: loaded).seed()
        let oncallKeys = try #require(seed.operatorCredentials)

        let sandbox = try SandboxHome()
        var engine: Int32?
        defer {
            if let engine { kill(engine, SIGKILL) }
            sandbox.teardown()
        }
        try """
            [profile staging]
            region = us-east-1
            endpoint_url = \(server.endpointURL)
            aws_access_key_id = \(server.adminCredentials.accessKeyID)
            aws_secret_access_key = \(server.adminCredentials.secretAccessKey)
            """.write(toFile: sandbox.home.path + "/aws-config", atomically: true, encoding: .utf8)
        let config = sandbox.home.path + "/breakglass.yaml"
        try """
            drills:
              staging: { profile: staging, account: "123456789012", deny_user: oncall }
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let shipped = SandboxScenarioTests.scenarioFolder
        let start = ["drill", "start", "--staging", "--config", config, "--target", "5m"]

        // Refused before anything is touched: a scenario only the sandbox can play, resources that
        // staging does not have, the wrong account typed, no confirmation at all.
        let gateway = try await sandbox.run(start + ["web-status-check", "--scenarios", shipped, "--confirm", "123456789012"])
        #expect(gateway.status == 2 && gateway.stderr.contains("needs the local sandbox") && gateway.stderr.contains("impair_instance"), "\(gateway.stderr)")
        let missing = try await sandbox.run(start + ["holiday-sale", "--scenarios", shipped, "--confirm", "123456789012"])
        #expect(missing.status == 2 && missing.stderr.contains("queue `prod-orders` is not there") && missing.stderr.contains("nothing was changed"), "\(missing.stderr)")
        let wrong = try await sandbox.run(start + ["staging-backlog", "--scenarios", folder.path, "--confirm", "111122223333"])
        #expect(wrong.status == 2 && wrong.stderr.contains("is not the account profile `staging` answers for (123456789012)"), "\(wrong.stderr)")
        let unconfirmed = try await sandbox.run(start + ["staging-backlog", "--scenarios", folder.path], stdin: "")
        #expect(unconfirmed.status == 2 && unconfirmed.stderr.contains("pass --confirm 123456789012"), "\(unconfirmed.stderr)")
        let admin = server.client()
        #expect(try await depth(admin) == "0", "a refused drill changed the queue")
        let none = try await sandbox.run(["drill", "history", "--output", "json"])
        #expect(none.stdout.contains("\"drills\" : [\n\n  ]") || !none.stdout.contains("staging-backlog"), "a refused drill was recorded: \(none.stdout)")

        // Confirmed: the drill starts, oncall's normal access goes, the faults land on schedule.
        let started = try await sandbox.run(start + ["staging-backlog", "--scenarios", folder.path, "--confirm", "123456789012", "--deny-normal-access"], timeout: 90)
        let drillFolder = sandbox.state + "/breakglass/drills/1"
        engine = StagingDrillFile.read(drillFolder)?.enginePID
        if let engine {
            // `make test` stops it should this test crash.
            FileManager.default.createFile(atPath: "\(MotoHarness.runDirectory)/sandbox-\(engine).pid", contents: Data("\(engine)\n".utf8))
        }
        try #require(started.status == 0, "drill start --staging: \(started.stderr)")
        #expect(started.stdout.contains("started on STAGING") && started.stdout.contains("account 123456789012"), "\(started.stdout)")
        #expect(started.stdout.contains("oncall's normal access is denied"), "\(started.stdout)")
        #expect(started.stderr.contains("+0s") && started.stderr.contains("stg-orders"), "the plan was not shown: \(started.stderr)")

        let oncall = server.client(credentials: oncallKeys)
        do {
            _ = try await oncall.call(AWSCatalog.lookup(service: "cloudwatch", name: "DescribeAlarms"), [:], region: "us-east-1")
            Issue.record("oncall could read alarms during the drill")
        } catch {
            #expect("\(error)".contains("AccessDenied"), "\(error)")
        }

        let paths = SandboxPaths(directory: drillFolder)
        var status = SandboxEngineStatus.read(paths)
        let deadline = Date().addingTimeInterval(30)
        while (status?.faultsApplied ?? 0) < 2 || status?.alarmedAt["stg-orders-depth"] == nil, Date() < deadline {
            try await Task.sleep(for: .milliseconds(300))
            status = SandboxEngineStatus.read(paths)
        }
        #expect(status?.faultsApplied == 2 && status?.alarmedAt["stg-orders-depth"] != nil, "\(String(describing: status))")
        #expect(try await depth(admin) == "40", "the queue was not filled on staging")

        // The participant drains the queue; the engine sees the alarm's condition and the recovery.
        let url = try await admin.call(AWSCatalog.lookup(service: "sqs", name: "GetQueueUrl"), ["QueueName": "stg-orders"], region: "us-east-1").value["QueueUrl"]
        _ = try await admin.call(AWSCatalog.lookup(service: "sqs", name: "PurgeQueue"), ["QueueUrl": url ?? ""], region: "us-east-1")
        let recoveredBy = Date().addingTimeInterval(30)
        while SandboxEngineStatus.read(paths)?.recoveredAt == nil, Date() < recoveredBy { try await Task.sleep(for: .milliseconds(300)) }
        #expect(SandboxEngineStatus.read(paths)?.recoveredAt != nil, "no recovery seen: \(String(describing: SandboxEngineStatus.read(paths)))")

        let stop = try await sandbox.run(["drill", "stop", "--config", config], timeout: 60)
        #expect(stop.status == 0, "drill stop: \(stop.stderr)")
        #expect(stop.stdout.contains("restored oncall's normal access in staging account 123456789012"), "\(stop.stdout)")
        #expect(stop.stdout.contains("recovered in"), "\(stop.stdout)")
        if let engine { #expect(await SandboxHome.gone(engine), "the drill's engine still runs after drill stop") }
        _ = try await oncall.call(AWSCatalog.lookup(service: "cloudwatch", name: "DescribeAlarms"), [:], region: "us-east-1")

        // The report has the milestones the engine saw; the trail holds the drill's own calls, tagged.
        let report = try await sandbox.run(["drill", "report"])
        try #require(report.status == 0, "drill report: \(report.stderr)")
        let markdownPath = try #require(report.stdout.split(separator: "\n").map(String.init).first { $0.hasSuffix("report.md") })
        let markdown = try String(contentsOfFile: markdownPath, encoding: .utf8)
        let names = DrillTests.milestoneRows(markdown).map(\.name)
        #expect(names.contains("Detected") && names.contains("Recovered"), "\(names)")
        let verify = try await sandbox.run(["audit", "verify"])
        #expect(verify.status == 0, "audit verify: \(verify.stdout)\(verify.stderr)")
        let trail = try await sandbox.run(["audit", "export", "--format", "jsonl"])
        #expect(trail.stdout.contains("SendMessageBatch") && trail.stdout.contains("PutUserPolicy") && trail.stdout.contains("DeleteUserPolicy"), "\(trail.stdout.suffix(2000))")
        #expect(!trail.stdout.contains(server.adminCredentials.secretAccessKey), "a secret key reached the audit trail")
        for file in try FileManager.default.contentsOfDirectory(atPath: drillFolder) {
            let text = (try? String(contentsOfFile: drillFolder + "/" + file, encoding: .utf8)) ?? ""
            #expect(!text.contains(server.adminCredentials.secretAccessKey), "a secret key reached \(file)")
        }
        if let engine { try? FileManager.default.removeItem(atPath: "\(MotoHarness.runDirectory)/sandbox-\(engine).pid") }
    }

    static func depth(_ client: AWSClient) async throws -> String? {
        let url = try await client.call(AWSCatalog.lookup(service: "sqs", name: "GetQueueUrl"), ["QueueName": "stg-orders"], region: "us-east-1").value["QueueUrl"]
        let attributes = try await client.call(
            AWSCatalog.lookup(service: "sqs", name: "GetQueueAttributes"), ["QueueUrl": url ?? "", "AttributeNames": ["ApproximateNumberOfMessages"]],
            region: "us-east-1")
        return attributes.value["Attributes"]?["ApproximateNumberOfMessages"]?.string
    }
}

/// The test's reading of `drills/ID/staging.json` (the binary's own type lives in the executable).
enum StagingDrillFile {
    struct Record: Decodable { var enginePID: Int32? }
    static func read(_ folder: String) -> Record? {
        guard let data = FileManager.default.contents(atPath: folder + "/staging.json") else { return nil }
        return try? SandboxRecord.decoder.decode(Record.self, from: data)
    }
}
