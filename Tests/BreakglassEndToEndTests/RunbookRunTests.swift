import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Synchronization
import Testing

/// `breakglass runbook run` and the engine's driver against moto_server: confirmations, resume after
/// SIGKILL without repeating a finished `do`, a lost answer verified instead of re-sent, approvals by
/// a second person, and undo.
@Suite struct RunbookRunTests {
    static let runbook = """
        id: test-scale-web
        title: Scale the web group
        params:
          group: { default: web, pattern: "^[a-z-]+$" }
          desired: { default: 8 }
        steps:
          - say: Look at the graphs for {{group}}.
          - id: before
            check:
              call: autoscaling.DescribeAutoScalingGroups
              with: { AutoScalingGroupNames: ["{{group}}"] }
              expect: { "AutoScalingGroups[0].DesiredCapacity": 4 }
          - do:
              call: autoscaling.SetDesiredCapacity
              with: { AutoScalingGroupName: "{{group}}", DesiredCapacity: "{{desired}}", HonorCooldown: false }
              confirm: type
              explain: Runs {{desired}} web servers instead of {{steps.before.AutoScalingGroups[0].DesiredCapacity}}.
          - wait:
              call: autoscaling.DescribeAutoScalingGroups
              with: { AutoScalingGroupNames: ["{{group}}"] }
              until: { "AutoScalingGroups[0].DesiredCapacity": "{{desired}}" }
              timeout: 1m
              every: 1s
          - wait_alarm: { name: web-5xx, state: OK, timeout: 10m }
        """

    /// A folder with the runbook and a configuration that points at it, and a state database.
    final class Workspace {
        let dir: StateDir
        var config: String { dir.path + "/breakglass.yaml" }
        var db: String { dir.db }

        init(runbooks: [String: String] = ["test-scale-web": RunbookRunTests.runbook]) throws {
            dir = try StateDir()
            let folder = dir.path + "/runbooks"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for (id, text) in runbooks { try text.write(toFile: "\(folder)/\(id).yaml", atomically: true, encoding: .utf8) }
            try "runbooks: [\"\(folder)\"]\n".write(toFile: config, atomically: true, encoding: .utf8)
        }

        /// `breakglass ARGS --config C --state S`.
        func run(_ args: [String], _ env: [String: String], timeout: Double = 90) throws -> BreakglassBinary.Result {
            try BreakglassBinary.run(args + ["--config", config, "--state", db], environment: env, timeout: timeout)
        }

        /// `breakglass ARGS --state S`, for commands that read no configuration.
        func state(_ args: [String], _ env: [String: String] = [:]) throws -> BreakglassBinary.Result {
            try BreakglassBinary.run(args + ["--state", db], environment: env)
        }
    }

    static func call(_ c: AWSClient, _ service: String, _ op: String, _ input: AWSValue) async throws -> AWSValue {
        try await c.call(AWSCatalog.lookup(service: service, name: op), input, region: "us-east-1").value
    }

    /// An Auto Scaling group `web` running 4 and an alarm `web-5xx` in `alarm`.
    static func seed(_ server: LocalAWSServer, alarm: AlarmState = .alarm) async throws {
        let c = server.client()
        _ = try await call(c, "autoscaling", "CreateLaunchConfiguration", ["LaunchConfigurationName": "web-v1", "ImageId": "ami-12c6146b", "InstanceType": "t3.micro"])
        _ = try await call(c, "autoscaling", "CreateAutoScalingGroup", [
            "AutoScalingGroupName": "web", "LaunchConfigurationName": "web-v1", "MinSize": 0, "MaxSize": 10, "DesiredCapacity": 4,
            "AvailabilityZones": ["us-east-1a"],
        ])
        try await DemoSeed.apply(
            [DemoSeed.SeedAlarm(name: "web-5xx", namespace: "AWS/ApplicationELB", metric: "HTTPCode_Target_5XX_Count", threshold: 50, state: alarm, reason: "seeded")],
            client: c, region: "us-east-1")
    }

    static func desired(_ server: LocalAWSServer) async throws -> String? {
        let v = try await call(server.client(), "autoscaling", "DescribeAutoScalingGroups", ["AutoScalingGroupNames": ["web"]])
        return v.value(at: try AWSPath("AutoScalingGroups[0].DesiredCapacity")).flatMap { $0.string ?? $0.int.map(String.init) }
    }

    @Test func stopsAtEachConfirmationThenResumesTheSameRunAndOffersUndo() async throws {
        try await MotoHarness.withServer { server in
            try await Self.seed(server, alarm: .ok)
            let ws = try Workspace()
            let env = server.environment()

            // Without --yes: the reads run, the do waits.
            let first = try ws.run(["runbook", "run", "test-scale-web"], env)
            #expect(first.status == 1, "\(first.stdout)\n\(first.stderr)")
            #expect(first.stdout.contains("run 1 of test-scale-web"), "\(first.stdout)")
            #expect(first.stdout.contains("1/5   say        read            Look at the graphs for web."), "\(first.stdout)")
            #expect(first.stdout.contains("2/5   check      done            autoscaling.DescribeAutoScalingGroups — AutoScalingGroups[0].DesiredCapacity = 4"), "\(first.stdout)")
            #expect(first.stderr.contains("step 3 (do autoscaling.SetDesiredCapacity) waits for confirmation; run again with --yes --confirm web to send it"), "\(first.stderr)")
            #expect(try await Self.desired(server) == "4")

            // --yes alone is not enough for a typed confirmation.
            let second = try ws.run(["runbook", "run", "test-scale-web", "--yes", "--confirm", "wbe"], env)
            #expect(second.status == 1)
            #expect(second.stdout.contains("resuming run 1 of test-scale-web at step 3"), "\(second.stdout)")
            #expect(second.stderr.contains("--confirm does not name web"), "\(second.stderr)")
            #expect(try await Self.desired(server) == "4")

            let third = try ws.run(["runbook", "run", "test-scale-web", "--yes", "--confirm", "web", "--output", "json"], env)
            #expect(third.status == 0, "\(third.stdout)\n\(third.stderr)")
            let json = try JSON.decode(third.stdout.isEmpty ? "{}" : third.stdout)
            #expect(json["run"]?.int == 1)
            #expect(json["status"]?.string == "succeeded")
            #expect(json["steps"]?.array?.map { $0["status"]?.string ?? "" } == ["done", "done", "done", "done", "done"])
            #expect(json["steps"]?[2]?["before"]?["DesiredCapacity"].flatMap { $0.string ?? $0.int.map(String.init) } == "4", "\(third.stdout)")
            #expect(json["undo"]?.string == "breakglass runbook undo 1")
            #expect(try await Self.desired(server) == "8")

            // The undo runbook puts 4 back, as a run of its own with the same confirmations.
            let show = try ws.run(["runbook", "undo", "1", "--show"], env)
            #expect(show.status == 0, "\(show.stderr)")
            #expect(show.stdout.contains("SetDesiredCapacity") && show.stdout.contains("4"), "\(show.stdout)")
            let undo = try ws.run(["runbook", "undo", "1", "--yes", "--confirm", "web"], env)
            #expect(undo.status == 0, "\(undo.stdout)\n\(undo.stderr)")
            #expect(try await Self.desired(server) == "4")

            let runs = try ws.state(["runbook", "runs", "--output", "json"])
            let list = try JSON.decode(runs.stdout).array ?? []
            #expect(list.map { $0["status"]?.string ?? "" } == ["succeeded", "succeeded"], "\(runs.stdout)")

            // Every step is in the audit trail, the write's intent under its run and step.
            let verify = try ws.state(["audit", "verify"])
            #expect(verify.status == 0, "\(verify.stdout)")
            let export = try ws.state(["audit", "export", "--format", "jsonl"])
            let entries = try export.stdout.split(separator: "\n").map { try JSON.decode(String($0)) }
            let kinds = entries.compactMap { $0["kind"]?.string }
            for kind in ["runbook.started", "runbook.step", "runbook.confirmed", "aws.intent", "aws.outcome", "runbook.finished"] {
                #expect(kinds.contains(kind), "\(kinds)")
            }
            let intent = try #require(entries.first { $0["kind"]?.string == "aws.intent" })
            #expect(intent["step"]?.string == "1/3")
            #expect(intent["runbook"]?.string == "test-scale-web")
        }
    }

    @Test func aRunKilledWhileWaitingResumesWithoutRepeatingItsDo() async throws {
        try await MotoHarness.withServer { server in
            try await Self.seed(server, alarm: .alarm)
            let ws = try Workspace()
            let proxy = try TCPProxy(upstreamPort: server.port)
            defer { proxy.stop() }
            var env = server.environment()
            env["AWS_ENDPOINT_URL"] = proxy.endpoint
            let args = ["runbook", "run", "test-scale-web", "--yes", "--confirm", "web", "--config", ws.config, "--state", ws.db]
            let process = try BackgroundProcess(BreakglassBinary.path, args, environment: env)
            // Wait until it is polling the alarm (step 5), then kill it without warning.
            let store = try Store.open(path: ws.db)
            let runs = RunbookRunStore(store: store)
            let deadline = Date() + 60
            var atAlarm = false
            while Date() < deadline {
                if let r = try runs.load(1), r.run.current == 4, r.run.steps[4].polls >= 1 {
                    atAlarm = true
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            try #require(atAlarm, "\(process.output())\n\(process.errors())")
            process.signal(SIGKILL)
            _ = process.wait(timeout: 10)
            #expect(try runs.load(1)?.run.steps[2].status == .done)

            // Recovery happens; the same command picks the run up at the wait.
            try await DemoSeed.setState("web-5xx", .ok, reason: "recovered", client: server.client(), region: "us-east-1")
            let again = try BreakglassBinary.run(args, environment: env)
            #expect(again.status == 0, "\(again.stdout)\n\(again.stderr)")
            #expect(again.stdout.contains("resuming run 1 of test-scale-web at step 5"), "\(again.stdout)")
            #expect(again.stdout.contains("web-5xx is OK"), "\(again.stdout)")
            let sets = proxy.forwardedRequests.filter { String(decoding: $0.body, as: UTF8.self).contains("Action=SetDesiredCapacity") }
            #expect(sets.count == 1)
            #expect(try BreakglassBinary.run(["audit", "verify", "--state", ws.db]).status == 0)
            store.close()
        }
    }

    @Test func aSecondPersonApprovesFromAnotherSession() async throws {
        try await MotoHarness.withServer { server in
            let ws = try Workspace(runbooks: [
                "test-approve": """
                id: test-approve
                title: Two people
                steps:
                  - approve: { explain: Check the graphs with me., timeout: 5m }
                  - say: Approved.
                """
            ])
            var env = server.environment()
            env["SSH_CONNECTION"] = "10.0.0.1 50000 10.0.0.9 22"
            // Without waiting, the run stops at the approve step and says how to approve.
            let first = try ws.run(["runbook", "run", "test-approve", "--no-wait"], env)
            #expect(first.status == 1)
            #expect(first.stderr.contains("breakglass runbook approve 1"), "\(first.stderr)")
            // The same person cannot approve their own run.
            let same = try ws.state(["runbook", "approve", "1"], env)
            #expect(same.status == 2)
            #expect(same.stderr.contains("the approval must come from a second person"), "\(same.stderr)")

            // Waiting, the run goes on once someone else approves.
            let process = try BackgroundProcess(BreakglassBinary.path, ["runbook", "run", "test-approve", "--config", ws.config, "--state", ws.db], environment: env)
            var other = env
            other["SSH_CONNECTION"] = "10.0.0.2 50001 10.0.0.9 22"
            let deadline = Date() + 30
            while Date() < deadline, !process.output().contains("waiting") { try await Task.sleep(for: .milliseconds(100)) }
            let approve = try ws.state(["runbook", "approve", "1"], other)
            #expect(approve.status == 0, "\(approve.stderr)")
            #expect(process.wait(timeout: 30) == 0, "\(process.output())\n\(process.errors())")
            #expect(process.output().contains("approved by"), "\(process.output())")
            #expect(try ws.state(["runbook", "approve", "1"], other).status != 0)
        }
    }

    /// A transport that delivers requests to moto but, for one operation, throws the answer away as
    /// a reset connection would: the write lands and the client cannot know. With `deliver: false`
    /// it drops the request instead, after "sending" it. Counts what it was asked to send.
    final class LosingTransport: HTTPTransport {
        let inner = CurlTransport()
        let operation: String
        let deliver: Bool
        let sent = Mutex(0)
        let losing = Mutex(true)

        init(operation: String, deliver: Bool) {
            self.operation = operation
            self.deliver = deliver
        }

        func send(_ request: HTTPRequest, operation: String, timeouts: HTTPTimeouts) async throws(TransportError) -> HTTPResponse {
            guard operation.hasSuffix(self.operation) else { return try await inner.send(request, operation: operation, timeouts: timeouts) }
            sent.withLock { $0 += 1 }
            guard losing.withLock({ $0 }) else { return try await inner.send(request, operation: operation, timeouts: timeouts) }
            if deliver { _ = try await inner.send(request, operation: operation, timeouts: timeouts) }
            throw TransportError(kind: .connectionLost, operation: operation, url: "\(request.scheme)://\(request.host)\(request.path)", requestMayHaveBeenSent: true, detail: "connection reset by peer")
        }
    }

    static func driver(_ server: LocalAWSServer, _ transport: LosingTransport, store: Store, decide: RunbookUnknownChoice?) throws -> RunbookDriver {
        let runbook = try RunbookLoader.parse(Self.runbook, file: "scale.yaml")
        let env = AWSEnvironment(variables: server.environment())
        let client = AWSClient(credentials: server.adminCredentials, endpoints: EndpointResolver(environment: env), transport: transport)
        let journal = AuditJournal(log: AuditLog(store: store), actor: AuditActor(user: "tester"))
        let interaction = RunbookInteraction(
            show: { _, _ in true }, confirm: { c in .confirmed(typed: c.expectedTyping) }, decide: { _, _ in decide }, waitsForApproval: false)
        return RunbookDriver(runbook: runbook, runs: RunbookRunStore(store: store), journal: journal, client: client, interaction: interaction, sleep: { _ in })
    }

    @Test func aLostAnswerIsVerifiedByAReadAndNotSentAgain() async throws {
        try await MotoHarness.withServer { server in
            try await Self.seed(server, alarm: .ok)
            let dir = try StateDir()
            let store = try Store.open(path: dir.db)
            let transport = LosingTransport(operation: "SetDesiredCapacity", deliver: true)
            let driver = try Self.driver(server, transport, store: store, decide: nil)
            let run = try driver.start(params: ["group": "web", "desired": .number("8")], region: "us-east-1")
            let final = await driver.drive(run)
            #expect(final.status == .succeeded, "\(final.reason ?? "")")
            #expect(final.steps[2].status == .done)
            #expect(final.steps[2].detail?.contains("a read shows it took effect") == true, "\(final.steps[2].detail ?? "")")
            #expect(transport.sent.withLock { $0 } == 1)
            #expect(try await Self.desired(server) == "8")
            let outcomes = try AuditLog(store: store).entries().filter { $0.draft.kind == "aws.outcome" }.map { $0.draft.outcome }
            #expect(outcomes == ["unknown"])
            #expect(try AuditLog(store: store).verify().intact)
        }
    }

    @Test func aWriteThatDidNotLandWaitsForAPersonThenIsSentAgainOnlyWhenTheyChoose() async throws {
        try await MotoHarness.withServer { server in
            try await Self.seed(server, alarm: .ok)
            let dir = try StateDir()
            let store = try Store.open(path: dir.db)
            let transport = LosingTransport(operation: "SetDesiredCapacity", deliver: false)
            let first = try Self.driver(server, transport, store: store, decide: nil)
            let waiting = await first.drive(try first.start(params: ["group": "web", "desired": .number("8")], region: "us-east-1"))
            #expect(waiting.status == .waiting)
            #expect(waiting.steps[2].status == .outcomeUnknown)
            guard case .notApplied? = waiting.steps[2].verification else {
                Issue.record("expected the verification to show it did not apply: \(String(describing: waiting.steps[2].verification))")
                return
            }
            #expect(waiting.reason?.contains("never sent again by itself") == true, "\(waiting.reason ?? "")")
            #expect(transport.sent.withLock { $0 } == 1)

            // Resumed with a person's choice to send it again: sent once more, deliberately.
            transport.losing.withLock { $0 = false }
            let second = try Self.driver(server, transport, store: store, decide: .resend)
            let stored = try #require(try RunbookRunStore(store: store).load(waiting.id))
            let done = await second.drive(try second.resume(stored.run))
            #expect(done.status == .succeeded, "\(done.reason ?? "")")
            #expect(transport.sent.withLock { $0 } == 2)
            #expect(try await Self.desired(server) == "8")
            let kinds = try AuditLog(store: store).entries().map(\.draft.kind)
            #expect(kinds.contains("runbook.decided"))
        }
    }

    @Test func badParametersAndUnknownRunbooksAreUsageErrors() async throws {
        let ws = try Workspace()
        let env = ["AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"]
        let bad = try ws.run(["runbook", "run", "test-scale-web", "--param", "group=Web!"], env)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--param group: \"Web!\" does not match the pattern ^[a-z-]+$"), "\(bad.stderr)")
        let unknown = try ws.run(["runbook", "run", "test-scale-wbe"], env)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("did you mean `test-scale-web`"), "\(unknown.stderr)")
        let noID = try ws.run(["runbook", "run"], env)
        #expect(noID.status == 2)
    }
}

/// `runbook run` with break-glass access, against moto with IAM checks on: the operator may only read
/// and assume the role; the runbook's `do` fails under their own credentials and succeeds with the
/// grant the agent holds; a call the granted runbook does not contain is refused before it is sent.
@Suite(.serialized) struct RunbookRunAccessTests {
    static let purge = """
        id: test-purge
        title: Empty the orders queue
        access: app-break-glass
        params:
          queue: { default: prod-orders }
        steps:
          - id: url
            check:
              call: sqs.GetQueueUrl
              with: { QueueName: "{{queue}}" }
          - do:
              call: sqs.PurgeQueue
              with: { QueueUrl: "{{steps.url.QueueUrl}}" }
              explain: Deletes every message in {{queue}}.
        """
    static let send = """
        id: test-send
        title: Put a message on the orders queue
        access: app-break-glass
        steps:
          - id: url
            check:
              call: sqs.GetQueueUrl
              with: { QueueName: prod-orders }
          - do:
              call: sqs.SendMessage
              with: { QueueUrl: "{{steps.url.QueueUrl}}", MessageBody: hello }
              explain: Sends one message.
        """

    @Test func theDoFailsWithoutAccessAndSucceedsWithTheGrant() async throws {
        try await MotoHarness.withServer { server in
            let sandbox = try await AccessSandbox.create(in: server)
            _ = try await server.client().call(AWSCatalog.lookup(service: "sqs", name: "CreateQueue"), ["QueueName": "prod-orders"], region: "us-east-1")
            let home = try TemporaryHome()
            let folder = home.path + "/runbooks"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Self.purge.write(toFile: folder + "/test-purge.yaml", atomically: true, encoding: .utf8)
            try Self.send.write(toFile: folder + "/test-send.yaml", atomically: true, encoding: .utf8)
            let config = home.path + "/breakglass.yaml"
            try sandbox.config(runbooks: folder).write(toFile: config, atomically: true, encoding: .utf8)
            let state = home.path + "/state/state.db"
            let socket = AccessAgent.socketPath(forStore: state)
            defer { AccessAgentHarness.stop(socketPath: socket) }
            var env = server.environment(credentials: sandbox.operatorCredentials)
            env["BREAKGLASS_CONFIG"] = config
            env = home.variables(env)
            func run(_ args: [String]) throws -> BreakglassBinary.Result {
                let r = try BreakglassBinary.run(args + ["--state", state], environment: env)
                AccessAgentHarness.register(socketPath: socket)
                return r
            }

            // Without a grant: the steps run as the operator, who may not purge.
            let without = try run(["runbook", "run", "test-purge", "--yes"])
            #expect(without.status == 1)
            #expect(without.stderr.contains("no break-glass grant for app-break-glass is held"), "\(without.stderr)")
            #expect(without.stdout.contains("2/2   do         failed") && without.stdout.contains("AccessDenied"), "\(without.stdout)")

            let granted = try run([
                "access", "request", "app-break-glass", "--reason", "queue backed up", "--criteria-met", "--runbook", "test-purge", "--mfa-code", "123456",
            ])
            #expect(granted.status == 0, "\(granted.stderr)")

            // The failed step, tried again, runs with the grant.
            let with = try run(["runbook", "run", "--resume", "1", "--yes"])
            #expect(with.status == 0, "\(with.stdout)\n\(with.stderr)")
            #expect(with.stdout.contains("assumed-role/app-break-glass/"), "\(with.stdout)")
            let entries = try AuditLog(store: try Store.open(path: state)).entries()
            #expect(entries.contains { $0.draft.kind == "access.used" && $0.draft.context.runbook == "test-purge" })
            let intents = entries.filter { $0.draft.kind == "aws.intent" && $0.draft.operation == "PurgeQueue" }
            #expect(intents.count == 2)
            #expect(intents.last?.draft.context.role == "app-break-glass")
            #expect(intents.last?.draft.actor.callerARN?.contains("assumed-role/app-break-glass/") == true)

            // Another runbook of the same role: the grant was derived from test-purge, so its write is
            // refused by Breakglass itself and never sent.
            let other = try run(["runbook", "run", "test-send", "--yes"])
            #expect(other.status == 1)
            #expect(other.stderr.contains("the grant for app-break-glass was derived from runbook test-purge"), "\(other.stderr)")
            #expect(other.stdout.contains("not sent") && other.stdout.contains("sqs.SendMessage"), "\(other.stdout)")
            let attributes = try await server.client().call(
                AWSCatalog.lookup(service: "sqs", name: "GetQueueAttributes"),
                ["QueueUrl": .string("\(server.endpointURL)/123456789012/prod-orders"), "AttributeNames": ["ApproximateNumberOfMessages"]], region: "us-east-1")
            #expect(attributes.value["Attributes"]?["ApproximateNumberOfMessages"]?.string == "0")
            #expect(try BreakglassBinary.run(["audit", "verify", "--state", state]).status == 0)
        }
    }
}
