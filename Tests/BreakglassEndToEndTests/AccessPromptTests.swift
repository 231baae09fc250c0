import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// On a terminal, `access request` asks each criterion (y/N) and then the MFA code, and `access revoke
/// --all-sessions` asks for the role's id to be typed; a "no" stops the request.
@Suite(.serialized, .enabled(if: TmuxSession.isAvailable, "needs tmux (make test installs it)"))
struct AccessPromptTests {
    static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    @Test func criteriaThenMFACodeAreAskedOnTheTerminal() async throws {
        try await MotoHarness.withServer { server in
            let sandbox = try await AccessSandbox.create(in: server)
            let home = try TemporaryHome()
            let config = home.path + "/breakglass.yaml"
            try sandbox.config(runbooks: AccessMotoTests.repository + "/runbooks").write(toFile: config, atomically: true, encoding: .utf8)
            let state = home.path + "/state/state.db"
            let socket = AccessAgent.socketPath(forStore: state)
            defer { AccessAgentHarness.stop(socketPath: socket) }
            func env(_ credentials: AWSCredentials) -> [String: String] {
                var v = server.environment(credentials: credentials)
                v["BREAKGLASS_CONFIG"] = config
                v["TERM"] = "xterm-256color"
                v["LANG"] = "C.UTF-8"
                v["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
                return home.variables(v)
            }
            let request = "\(Self.quote(BreakglassBinary.path)) access request app-break-glass --reason 'queue backed up' --runbook sqs-flush --state \(Self.quote(state))"

            // "n" to a criterion: nothing requested.
            let declined = try TmuxSession(width: 120, command: request, environment: env(sandbox.operatorCredentials))
            try declined.waitFor("A customer-facing alarm is in ALARM? [y/N]")
            try declined.sendKeys("n", "Enter")
            #expect(try declined.waitForExit() == 1)
            #expect(try declined.capture().contains("not confirmed: A customer-facing alarm is in ALARM; no access requested"))

            // Both confirmed, then the code: granted.
            let tmux = try TmuxSession(width: 120, command: request, environment: env(sandbox.operatorCredentials))
            try tmux.waitFor("Break-glass criteria for app-break-glass")
            try tmux.waitFor("A customer-facing alarm is in ALARM? [y/N]")
            try tmux.sendKeys("y", "Enter")
            try tmux.waitFor("The normal deploy or access path cannot fix it? [y/N]")
            try tmux.sendKeys("y", "Enter")
            try tmux.waitFor("MFA code for arn:aws:iam::\(sandbox.account):mfa/operator:")
            try tmux.sendKeys("123456", "Enter")
            let status = try tmux.waitForExit(timeout: 30)
            AccessAgentHarness.register(socketPath: socket)
            let screen = try tmux.capture()
            #expect(status == 0, "\(screen)")
            #expect(screen.contains("granted app-break-glass until"), "\(screen)")
            #expect(try AccessAgentClient(socketPath: socket).grant(role: "app-break-glass") != nil)
            let entries = try AuditLog(store: try Store.open(path: state)).entries()
            #expect(entries.map(\.draft.kind) == ["access.denied", "access.requested", "access.granted"])
            #expect(entries[1].draft.detail?.contains("criteria confirmed one by one") == true)

            // --all-sessions on a terminal: the role's id must be typed.
            let revoke = try TmuxSession(
                width: 120, command: "\(Self.quote(BreakglassBinary.path)) access revoke app-break-glass --all-sessions --state \(Self.quote(state))",
                environment: env(server.adminCredentials))
            try revoke.waitFor("Type the role's id (app-break-glass) to confirm:")
            try revoke.sendKeys("app-break-glass", "Enter")
            #expect(try revoke.waitForExit(timeout: 30) == 0)
            #expect(try revoke.capture().contains("cut every session of app-break-glass"))
        }
    }
}
