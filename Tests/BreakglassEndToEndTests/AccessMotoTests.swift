import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// Break-glass access through the real binary, against moto_server with IAM checks on: an operator who
/// may only read and assume the role, a role that trusts them, and a write that the operator cannot do
/// but the granted credentials (taken from the agent) can. AssumeRole's request is recorded by a
/// loopback proxy in front of moto.
@Suite(.serialized) struct AccessMotoTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// A throwaway home with the configuration and a state folder, and the environment that runs the
    /// binary as the operator against an endpoint. Stops the agent it started when released.
    final class Setup {
        let home: TemporaryHome
        let configPath: String
        let statePath: String
        var socket: String { AccessAgent.socketPath(forStore: statePath) }

        init(_ sandbox: AccessSandbox) throws {
            home = try TemporaryHome()
            configPath = home.path + "/breakglass.yaml"
            try sandbox.config(runbooks: AccessMotoTests.repository + "/runbooks").write(toFile: configPath, atomically: true, encoding: .utf8)
            statePath = home.path + "/state/state.db"
        }

        func env(_ server: LocalAWSServer, endpoint: String? = nil, credentials: AWSCredentials) -> [String: String] {
            var v = server.environment(credentials: credentials)
            if let endpoint { v["AWS_ENDPOINT_URL"] = endpoint }
            v["BREAKGLASS_CONFIG"] = configPath
            return home.variables(v)
        }

        func run(_ args: [String], _ env: [String: String], stdin: String? = nil) throws -> BreakglassBinary.Result {
            let result = try BreakglassBinary.run(args + ["--state", statePath], environment: env, stdin: stdin)
            AccessAgentHarness.register(socketPath: socket)
            return result
        }

        /// The audit trail's entries, read directly.
        func entries() throws -> [AuditEntry] { try AuditLog(store: try Store.open(path: statePath)).entries() }

        func stopAgent() { AccessAgentHarness.stop(socketPath: socket) }

        deinit { stopAgent() }
    }

    static func queue(_ server: LocalAWSServer) async throws -> String {
        let created = try await server.client().call(
            AWSCatalog.lookup(service: "sqs", name: "CreateQueue"), ["QueueName": "prod-orders"], region: "us-east-1")
        return try #require(created.value["QueueUrl"]?.string)
    }

    static let request = ["access", "request", "app-break-glass", "--reason", "orders queue backed up", "--criteria-met", "--runbook", "sqs-flush",
                          "--incident", "INC42"]

    @Test func aGrantFromTheAgentDoesWhatTheOperatorCannot() async throws {
        try await MotoHarness.withServer { server in
            let sandbox = try await AccessSandbox.create(in: server)
            let queueURL = try await Self.queue(server)
            let proxy = try TCPProxy(upstreamPort: server.port)
            defer { proxy.stop() }
            let setup = try Setup(sandbox)
            defer { setup.stopAgent() }
            let purge = try AWSCatalog.lookup(service: "sqs", name: "PurgeQueue")

            // The operator's own credentials may not purge the queue.
            let operatorClient = server.client(credentials: sandbox.operatorCredentials)
            await #expect {
                _ = try await operatorClient.call(purge, ["QueueUrl": .string(queueURL)], region: "us-east-1")
            } throws: { ($0 as? AWSError)?.serviceError?.code.contains("AccessDenied") == true }

            // Request access for the sqs-flush runbook, as the operator, through the recording proxy.
            let env = setup.env(server, endpoint: proxy.endpoint, credentials: sandbox.operatorCredentials)
            let requested = try setup.run(Self.request + ["--mfa-code", "123456"], env)
            #expect(requested.status == 0, "\(requested.stderr)")
            #expect(requested.stdout.contains("granted app-break-glass until"), "\(requested.stdout)")
            #expect(requested.stdout.contains("session policy from runbook sqs-flush: 329 characters, 2 statements"), "\(requested.stdout)")
            print("access request said: \(requested.stdout)")

            // AssumeRole carried every parameter.
            let assumeRoles = proxy.forwardedRequests.map { formFields($0.body) }.filter { $0["Action"] == "AssumeRole" }
            try #require(assumeRoles.count == 1)
            let form = assumeRoles[0]
            let user = AuditActor.current().user
            let session = AccessNaming.sessionName(user: user, incident: "INC42")
            let runbook = try RunbookLoader.load(path: Self.repository + "/runbooks/sqs-flush.yaml")
            let policy = try SessionPolicyDeriver.derive(
                runbook: runbook, params: try RunbookParams.resolve(runbook, given: [:]).get(), account: sandbox.account, region: "us-east-1")
            #expect(form["RoleArn"] == sandbox.roleARN)
            #expect(form["RoleSessionName"] == session)
            #expect(form["SourceIdentity"] == session)
            #expect(form["DurationSeconds"] == "1800")
            #expect(form["SerialNumber"] == "arn:aws:iam::\(sandbox.account):mfa/operator")
            #expect(form["TokenCode"] == "123456")
            #expect(form["Policy"] == policy.json)
            #expect(form["Policy"]?.contains(#""sqs:PurgeQueue""#) == true)
            #expect(form["Policy"]?.contains("arn:aws:sqs:us-east-1:\(sandbox.account):prod-orders") == true)

            // The agent holds the grant; the test takes it as `runbook run` will.
            let agent = AccessAgentClient(socketPath: setup.socket)
            let grant = try #require(try agent.grant(role: "app-break-glass"))
            #expect(grant.sessionName == session && grant.runbook == "sqs-flush" && grant.roleARN == sandbox.roleARN)
            #expect(grant.operations == policy.operations)
            #expect(grant.credentials.accessKeyID != sandbox.operatorCredentials.accessKeyID && grant.credentials.sessionToken != nil)
            #expect(grant.expiration > Date().addingTimeInterval(1700) && grant.expiration <= Date().addingTimeInterval(1800))

            // With the grant the write succeeds (moto does not enforce session policies, so the runbook's
            // limit is also kept by the client): a call outside the runbook is refused before sending.
            let journal = try MotoHarness.temporaryJournal()
            let granted = grant.client(from: server.client(credentials: sandbox.operatorCredentials).journaled(journal))
            let answer = try await granted.call(purge, ["QueueUrl": .string(queueURL)], region: "us-east-1")
            #expect(answer.requestID != nil)
            await #expect {
                _ = try await granted.call(AWSCatalog.lookup(service: "sqs", name: "SendMessage"), ["QueueUrl": .string(queueURL), "MessageBody": "x"],
                                           region: "us-east-1")
            } throws: { if case .refused(let m)? = $0 as? AWSError { m.contains("sqs.SendMessage") && m.contains("sqs-flush") } else { false } }
            // The same credentials unlimited are the role's session in AWS.
            let asRole = try await server.client(credentials: grant.credentials)
                .call(AWSCatalog.lookup(service: "sts", name: "GetCallerIdentity"), region: "us-east-1")
            #expect(asRole.value["Arn"]?.string?.hasSuffix(":assumed-role/app-break-glass/\(session)") == true)

            // The agent runs with none of the operator's AWS settings and no secret on its command line.
            let pid = try #require(AccessAgent.recordedPID(socketPath: setup.socket))
            let environ = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ"))).map { String(decoding: $0, as: UTF8.self) } ?? ""
            let cmdline = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))).map { String(decoding: $0, as: UTF8.self) } ?? ""
            #expect(!environ.contains("AWS_") && !environ.contains(sandbox.operatorCredentials.secretAccessKey))
            #expect(cmdline.contains("agent") && !cmdline.contains(grant.credentials.secretAccessKey))
            var info = stat()
            #expect(stat(setup.socket, &info) == 0 && info.st_mode & 0o777 == 0o600)

            // status shows who holds what, for how long, for what.
            let status = try setup.run(["access", "status", "--output", "json"], env)
            #expect(status.status == 0, "\(status.stderr)")
            let rows = try JSON.decode(status.stdout)
            #expect(rows.array?.count == 1)
            #expect(rows[0]?["state"]?.string == "held")
            #expect(rows[0]?["role"]?.string == "app-break-glass" && rows[0]?["runbook"]?.string == "sqs-flush" && rows[0]?["incident"]?.string == "INC42")
            #expect(rows[0]?["user"]?.string == user && rows[0]?["access_key_id"]?.string == grant.credentials.accessKeyID)
            #expect((rows[0]?["seconds_left"]?.int ?? 0) > 1700)
            let table = try setup.run(["access", "status"], env)
            #expect(table.stdout.contains("app-break-glass") && table.stdout.contains("held") && table.stdout.contains("INC42"), "\(table.stdout)")

            // revoke wipes it from the agent at once.
            let revoked = try setup.run(["access", "revoke", "app-break-glass"], env)
            #expect(revoked.status == 0, "\(revoked.stderr)")
            #expect(revoked.stdout.contains("wiped from the agent"), "\(revoked.stdout)")
            #expect(try agent.grant(role: "app-break-glass") == nil)
            let after = try JSON.decode(try setup.run(["access", "status", "--output", "json"], env).stdout)
            #expect(after[0]?["state"]?.string == "revoked" && after[0]?["revoked_by"]?.string == user)
            let again = try setup.run(["access", "revoke"], env)
            #expect(again.status == 0 && again.stdout.contains("no active grant of yours to revoke"), "\(again.stdout)")

            // The audit trail has it all, verifies, and holds no secret.
            let kinds = try setup.entries().map(\.draft.kind)
            #expect(kinds == ["access.requested", "access.granted", "access.revoked"])
            let verify = try setup.run(["audit", "verify"], env)
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
            var stored = ""
            for suffix in ["", "-wal", "-shm"] {
                if let data = FileManager.default.contents(atPath: setup.statePath + suffix) { stored += String(decoding: data, as: UTF8.self) }
            }
            #expect(stored.contains(grant.credentials.accessKeyID))
            #expect(!stored.contains(grant.credentials.secretAccessKey))
            #expect(!stored.contains(grant.credentials.sessionToken ?? "-"))
            #expect(!stored.replacingOccurrences(of: "123456789012", with: "").contains("123456"))
            #expect(stored.contains(#""TokenCode":"[redacted]""#))
            for output in [requested, status, table, revoked] {
                #expect(!(output.stdout + output.stderr).contains(grant.credentials.secretAccessKey))
            }
        }
    }

    @Test func refusalsSayWhatToDoAndSendNothing() async throws {
        try await MotoHarness.withServer { server in
            let sandbox = try await AccessSandbox.create(in: server)
            let proxy = try TCPProxy(upstreamPort: server.port)
            defer { proxy.stop() }
            let setup = try Setup(sandbox)
            defer { setup.stopAgent() }
            let env = setup.env(server, endpoint: proxy.endpoint, credentials: sandbox.operatorCredentials)

            // An MFA role without a code: the error names --mfa-code, and nothing reaches AWS.
            let noCode = try setup.run(Self.request, env)
            #expect(noCode.status == 2)
            #expect(noCode.stderr.contains("needs an MFA code from arn:aws:iam::\(sandbox.account):mfa/operator: pass it with --mfa-code"), "\(noCode.stderr)")
            #expect(noCode.stderr.contains("nothing was sent"))

            // Criteria not confirmed, no terminal to ask on: exit 1, listing them.
            let unconfirmed = try setup.run(
                ["access", "request", "app-break-glass", "--reason", "r", "--mfa-code", "123456"], env)
            #expect(unconfirmed.status == 1)
            #expect(unconfirmed.stderr.contains("--criteria-met") && unconfirmed.stderr.contains("  - A customer-facing alarm is in ALARM")
                    && unconfirmed.stderr.contains("  - The normal deploy or access path cannot fix it"), "\(unconfirmed.stderr)")

            // An unknown role, a duration over the role's max, a runbook of another role, a bad parameter.
            let typo = try setup.run(["access", "request", "app-brake-glass", "--reason", "r", "--criteria-met"], env)
            #expect(typo.status == 2 && typo.stderr.contains("unknown role `app-brake-glass`; did you mean `app-break-glass`?"), "\(typo.stderr)")
            let other = try setup.run(["access", "request", "nope", "--reason", "r"], env)
            #expect(other.status == 2 && other.stderr.contains("app-break-glass, db-break-glass"), "\(other.stderr)")
            let long = try setup.run(Self.request + ["--mfa-code", "123456", "--duration", "1h"], env)
            #expect(long.status == 2 && long.stderr.contains("--duration 1h is longer than role app-break-glass allows: at most 30m"), "\(long.stderr)")
            let wrongRole = try setup.run(
                ["access", "request", "db-break-glass", "--reason", "r", "--criteria-met", "--runbook", "sqs-flush"], env)
            #expect(wrongRole.status == 2 && wrongRole.stderr.contains("runbook sqs-flush runs under role app-break-glass, not db-break-glass"),
                    "\(wrongRole.stderr)")
            let badParam = try setup.run(Self.request + ["--mfa-code", "123456", "--param", "queue=no/slashes"], env)
            #expect(badParam.status == 2 && badParam.stderr.contains("--param queue"), "\(badParam.stderr)")
            let badCode = try setup.run(Self.request + ["--mfa-code", "12ab56"], env)
            #expect(badCode.status == 2 && badCode.stderr.contains("six digits"), "\(badCode.stderr)")

            #expect(proxy.forwardedRequests.isEmpty)
            #expect(AccessAgent.recordedPID(socketPath: setup.socket) == nil)
            // The criteria refusal is in the trail, as not sent.
            let entries = try setup.entries()
            #expect(entries.map(\.draft.kind) == ["access.denied"])
            #expect(entries.first?.draft.outcome == "not-sent")
        }
    }

    @Test func aRoleThatDoesNotTrustTheOperatorIsDeniedAndAudited() async throws {
        try await MotoHarness.withServer { server in
            let sandbox = try await AccessSandbox.create(in: server, trusting: "arn:aws:iam::123456789012:user/someone-else")
            let setup = try Setup(sandbox)
            defer { setup.stopAgent() }
            let env = setup.env(server, credentials: sandbox.operatorCredentials)
            let denied = try setup.run(Self.request + ["--mfa-code", "123456"], env)
            #expect(denied.status == 1)
            #expect(denied.stderr.contains("AWS refused access to app-break-glass") && denied.stderr.contains("AccessDenied"), "\(denied.stderr)")
            let entries = try setup.entries()
            #expect(entries.map(\.draft.kind) == ["access.requested", "access.denied"])
            let refusal = try #require(entries.last?.draft)
            #expect(refusal.outcome == "failed" && refusal.operation == "AssumeRole" && refusal.detail?.hasPrefix("AccessDenied") == true)
            #expect(refusal.requestID != nil)
            #expect(refusal.context.role == "app-break-glass" && refusal.context.runbook == "sqs-flush" && refusal.context.incident == "INC42")
            #expect(AccessAgent.recordedPID(socketPath: setup.socket) == nil)
            #expect(try setup.run(["audit", "verify"], env).status == 0)
        }
    }

    @Test func revokeAllSessionsAttachesTheDenyPolicyThroughTheJournal() async throws {
        try await MotoHarness.withServer { server in
            let sandbox = try await AccessSandbox.create(in: server)
            let setup = try Setup(sandbox)
            defer { setup.stopAgent() }
            let asOperator = setup.env(server, credentials: sandbox.operatorCredentials)
            let requested = try setup.run(Self.request + ["--mfa-code", "123456"], asOperator)
            try #require(requested.status == 0, "\(requested.stderr)")

            // Without --yes and without a terminal: refused, nothing sent, and the grant is still revoked.
            let unconfirmed = try setup.run(["access", "revoke", "app-break-glass", "--all-sessions"], asOperator)
            #expect(unconfirmed.status == 1)
            #expect(unconfirmed.stderr.contains("WARNING") && unconfirmed.stderr.contains("EVERY session") && unconfirmed.stderr.contains("--yes"),
                    "\(unconfirmed.stderr)")
            #expect(unconfirmed.stdout.contains("wiped from the agent"))
            let admin = server.client()
            await #expect(throws: AWSError.self) {
                _ = try await admin.query(.iam, "GetRolePolicy", [("RoleName", "app-break-glass"), ("PolicyName", "AWSRevokeOlderSessions")], region: "us-east-1")
            }
            let noRole = try setup.run(["access", "revoke", "--all-sessions", "--yes"], asOperator)
            #expect(noRole.status == 2 && noRole.stderr.contains("--all-sessions needs ROLE"))

            // With --yes, by someone allowed to change the role (the administrator here).
            let before = Date()
            let asAdmin = setup.env(server, credentials: server.adminCredentials)
            let cut = try setup.run(["access", "revoke", "app-break-glass", "--all-sessions", "--yes"], asAdmin)
            #expect(cut.status == 0, "\(cut.stderr)")
            #expect(cut.stdout.contains("cut every session of app-break-glass issued before"), "\(cut.stdout)")
            let read = try await admin.query(.iam, "GetRolePolicy", [("RoleName", "app-break-glass"), ("PolicyName", "AWSRevokeOlderSessions")], region: "us-east-1")
            let raw = try #require(read.result.child("PolicyDocument")?.text)
            let document = try JSON.decode(raw.removingPercentEncoding ?? raw)
            let statement = try #require(document["Statement"]?[0])
            #expect(statement["Effect"]?.string == "Deny")
            #expect(statement["Action"] == ["*"] && statement["Resource"] == ["*"])
            let issued = try #require(statement["Condition"]?["DateLessThan"]?["aws:TokenIssueTime"]?.string.flatMap(ISO8601.parse))
            #expect(issued >= before.addingTimeInterval(-1) && issued <= Date().addingTimeInterval(1))

            // The write went through the journal: intent before, outcome after; then the revocation.
            let entries = try setup.entries()
            let tail = entries.suffix(3).map { "\($0.draft.kind) \($0.draft.operation ?? "") \($0.draft.outcome ?? "")" }
            #expect(tail == ["aws.intent PutRolePolicy ", "aws.outcome  succeeded", "access.revoked  "], "\(tail)")
            #expect(entries.last?.draft.detail?.contains("AWSRevokeOlderSessions") == true)
            #expect(entries.map(\.draft.kind).filter { $0 == "access.revoked" }.count == 2)
            #expect(try setup.run(["audit", "verify"], asOperator).status == 0)
        }
    }
}
