import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// The console's access screen through the real binary in tmux, against moto_server with IAM checks
/// on: an operator who may only read and assume the break-glass role requests it with the checklist,
/// a reason and an MFA code, sees the countdown in the top bar, and revokes it; a grant made by
/// `breakglass access request` in another terminal shows in the top bar too. AssumeRole's request is
/// recorded by a loopback proxy in front of moto.
@Suite(.serialized, .enabled(if: TmuxSession.isAvailable, "needs tmux (make test installs it)"))
struct ConsoleAccessTests {
    static func shellQuote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// The console in tmux as the operator, on the access screen.
    static func console(_ setup: AccessMotoTests.Setup, _ env: [String: String]) throws -> TmuxSession {
        let tmux = try TmuxSession(
            width: 100, height: 30, command: "\(shellQuote(BreakglassBinary.path)) console --interval 30 --state \(shellQuote(setup.statePath))",
            environment: env)
        try tmux.waitFor(" 4 Access")
        try tmux.sendKeys("4")
        try tmux.waitFor("Break-glass access: pick a role")
        return tmux
    }

    /// The operator's environment for the binary in a terminal, through `endpoint`.
    static func environment(_ setup: AccessMotoTests.Setup, _ server: LocalAWSServer, _ sandbox: AccessSandbox, endpoint: String? = nil) -> [String: String] {
        var env = setup.env(server, endpoint: endpoint, credentials: sandbox.operatorCredentials)
        env["TERM"] = "xterm-256color"
        env["LANG"] = "C.UTF-8"
        env["LC_ALL"] = "C.UTF-8"
        return env
    }

    /// Fills in the form for app-break-glass: both criteria, the reason, the default duration and
    /// the MFA code; leaves the summary showing.
    static func fillForm(_ tmux: TmuxSession, reason: String, code: String) throws {
        try tmux.sendKeys("Enter")
        try tmux.waitFor("[ ] A customer-facing alarm is in ALARM")
        try tmux.sendKeys("y")
        try tmux.sendKeys("Space")
        try tmux.waitFor("2 of 2 confirmed")
        try tmux.sendKeys("Enter")
        try tmux.waitFor("Why do you need it?")
        try tmux.sendKeys("-l", reason)
        try tmux.sendKeys("Enter")
        try tmux.waitFor("How long? At most 30m")
        try tmux.sendKeys("Enter")
        try tmux.waitFor("MFA code from arn:aws:iam::")
        try tmux.sendKeys("-l", code)
        try tmux.sendKeys("Enter")
        try tmux.waitFor("code entered (6 digits)")
    }

    @Test func aGrantWithMFAIsHeldCountedDownInTheTopBarAndRevoked() async throws {
        try await MotoHarness.withServer { server in
            let sandbox = try await AccessSandbox.create(in: server)
            let proxy = try TCPProxy(upstreamPort: server.port)
            defer { proxy.stop() }
            let setup = try AccessMotoTests.Setup(sandbox)
            defer { setup.stopAgent() }
            let env = Self.environment(setup, server, sandbox, endpoint: proxy.endpoint)
            let tmux = try Self.console(setup, env)

            try Self.fillForm(tmux, reason: "orders queue backed up", code: "246810")
            var screen = try tmux.capture()
            #expect(screen.contains("none: the session can do whatever the role can"), "\(screen)")
            #expect(!screen.contains("246810"), "the code is not shown on the summary")
            try tmux.sendKeys("Enter")
            screen = try tmux.waitFor("Granted app-break-glass until", timeout: 20)
            AccessAgentHarness.register(socketPath: setup.socket)
            let top = String(screen.split(separator: "\n", omittingEmptySubsequences: false)[0])
            #expect(top.contains("break-glass app-break-glass") && (top.contains(" app-break-glass 29:") || top.contains(" app-break-glass 30:00")), "\(top)")

            // AssumeRole carried the MFA device and code, the role's max and who asked.
            let assumeRoles = proxy.forwardedRequests.map { formFields($0.body) }.filter { $0["Action"] == "AssumeRole" }
            try #require(assumeRoles.count == 1)
            let form = assumeRoles[0]
            let session = AccessNaming.sessionName(user: AuditActor.current().user, incident: nil)
            #expect(form["RoleArn"] == sandbox.roleARN && form["RoleSessionName"] == session && form["SourceIdentity"] == session)
            #expect(form["SerialNumber"] == "arn:aws:iam::\(sandbox.account):mfa/operator" && form["TokenCode"] == "246810")
            #expect(form["DurationSeconds"] == "1800" && form["Policy"] == nil)

            // The agent holds it: the granted credentials are the role's session in AWS.
            let agent = AccessAgentClient(socketPath: setup.socket)
            let grant = try #require(try agent.grant(role: "app-break-glass"))
            let asRole = try await server.client(credentials: grant.credentials)
                .call(AWSCatalog.lookup(service: "sts", name: "GetCallerIdentity"), region: "us-east-1")
            #expect(asRole.value["Arn"]?.string?.hasSuffix(":assumed-role/app-break-glass/\(session)") == true)
            #expect(screen.contains(grant.credentials.accessKeyID) && !screen.contains(grant.credentials.secretAccessKey))

            // The audit trail says it was confirmed in the console, without the code.
            var entries = try setup.entries()
            #expect(entries.map(\.draft.kind) == ["access.requested", "access.granted"])
            #expect(entries[0].draft.detail?.contains("reason: orders queue backed up") == true)
            #expect(entries[0].draft.detail?.contains("criteria confirmed one by one in the console") == true)
            #expect(entries[0].draft.parameters?.contains(#""TokenCode":"[redacted]""#) == true)

            // D, then y, revokes: the agent wipes it and the top bar's countdown goes.
            try tmux.sendKeys("D")
            try tmux.waitFor("Revoke app-break-glass now?")
            try tmux.sendKeys("y")
            screen = try tmux.waitFor("wiped from the agent", timeout: 10)
            let after = String(screen.split(separator: "\n", omittingEmptySubsequences: false)[0])
            #expect(!after.contains("app-break-glass"), "\(after)")
            #expect(try agent.grant(role: "app-break-glass") == nil)
            entries = try setup.entries()
            #expect(entries.map(\.draft.kind) == ["access.requested", "access.granted", "access.revoked"])

            try tmux.sendKeys("q")
            #expect(try tmux.waitForExit() == 0)
        }
    }

    static func topBar(_ screen: String) -> String {
        String(screen.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
    }

    @Test func aGrantMadeInAnotherTerminalShowsInTheTopBarUntilItIsRevoked() async throws {
        try await MotoHarness.withServer { server in
            let sandbox = try await AccessSandbox.create(in: server)
            let setup = try AccessMotoTests.Setup(sandbox)
            defer { setup.stopAgent() }
            let env = Self.environment(setup, server, sandbox)
            let tmux = try Self.console(setup, env)
            try tmux.waitFor("No grant held")
            try tmux.sendKeys("1")
            try tmux.waitUntil(what: "the alarms screen") { !$0.contains("No grant held") }

            // Another terminal requests the role; the console, on another screen, polls the agent.
            let requested = try setup.run(
                ["access", "request", "app-break-glass", "--reason", "from another terminal", "--criteria-met", "--mfa-code", "123456"], env)
            try #require(requested.status == 0, "\(requested.stderr)")
            let screen = try tmux.waitUntil(timeout: 10, what: "the countdown in the top bar") { Self.topBar($0).contains(" app-break-glass 29:") }
            #expect(Self.topBar(screen).contains("break-glass app-break-glass"), "\(screen)")
            try tmux.sendKeys("4")
            try tmux.waitFor("held 29:")

            let revoked = try setup.run(["access", "revoke"], env)
            #expect(revoked.status == 0 && revoked.stdout.contains("wiped from the agent"), "\(revoked.stdout)")
            try tmux.waitUntil(timeout: 10, what: "the countdown gone") { !Self.topBar($0).contains("app-break-glass") && $0.contains("No grant held") }
            try tmux.sendKeys("q")
            #expect(try tmux.waitForExit() == 0)
        }
    }

    @Test func aRefusalShowsAWSsCodeMessageAndRequestID() async throws {
        try await MotoHarness.withServer { server in
            let sandbox = try await AccessSandbox.create(in: server, trusting: "arn:aws:iam::123456789012:user/someone-else")
            let setup = try AccessMotoTests.Setup(sandbox)
            defer { setup.stopAgent() }
            let env = Self.environment(setup, server, sandbox)
            let tmux = try Self.console(setup, env)
            try Self.fillForm(tmux, reason: "orders queue backed up", code: "654321")
            try tmux.sendKeys("Enter")
            let screen = try tmux.waitFor("AWS refused access to app-break-glass", timeout: 20)
            #expect(screen.contains("AccessDenied") && screen.contains("Request id"), "\(screen)")
            #expect(!Self.topBar(screen).contains("app-break-glass"))
            let entries = try setup.entries()
            #expect(entries.map(\.draft.kind) == ["access.requested", "access.denied"])
            let shown = screen.split(separator: "\n").first { $0.contains("Request id") }.map { $0.replacingOccurrences(of: "Request id", with: "").trimmingCharacters(in: .whitespaces) }
            // (The client keeps the CR LF that ends moto's x-amzn-RequestId header line; the screen's sanitising drops it.)
            #expect(shown != nil && shown == entries.last?.draft.requestID?.trimmingCharacters(in: .whitespacesAndNewlines), "the request id on screen is AWS's: \(String(describing: shown?.debugDescription)) vs \(String(describing: entries.last?.draft.requestID?.debugDescription))")
            // Enter asks for a new code; the rest of the request is kept.
            try tmux.sendKeys("Enter")
            try tmux.waitFor("MFA code from arn:aws:iam::")
            // q is text in a field; Esc backs out one step at a time, then q quits.
            for step in ["How long?", "Why do you need it?", "2 of 2 confirmed", "pick a role"] {
                try tmux.sendKeys("Escape")
                try tmux.waitFor(step)
            }
            try tmux.sendKeys("q")
            #expect(try tmux.waitForExit() == 0)
        }
    }
}
