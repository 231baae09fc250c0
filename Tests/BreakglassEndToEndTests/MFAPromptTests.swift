import BreakglassAWS
import BreakglassTestSupport
import Foundation
import Testing

/// A profile that assumes a role with MFA: on a terminal, Breakglass asks for the code (naming the
/// device) before anything else takes the screen; without a terminal it says how to pass one.
@Suite(.serialized, .enabled(if: TmuxSession.isAvailable, "needs tmux (make test installs it)"))
struct MFAPromptTests {
    @Test func promptsForTheCodeThenAssumesTheRole() async throws {
        try await MotoHarness.withServer { server in
            // The role may read alarms (moto names CloudWatch's actions monitoring:*, real IAM cloudwatch:*).
            let readAlarms = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["cloudwatch:DescribeAlarms","monitoring:DescribeAlarms"],"Resource":"*"}]}"#
            let (home, _) = try await server.oncallRoleWithMFA(policyName: "read-alarms", policy: readAlarms)
            let env = home.variables([
                "AWS_PROFILE": "oncall", "AWS_ENDPOINT_URL": server.endpointURL, "TERM": "xterm-256color", "LANG": "C.UTF-8",
                "NO_PROXY": "127.0.0.1,localhost", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            ])
            let tmux = try TmuxSession(command: "\(BreakglassBinary.path) alarms", environment: env)
            try tmux.waitFor("MFA code for arn:aws:iam::123456789012:mfa/oncall-phone:")
            try tmux.sendKeys("123456", "Enter")
            let status = try tmux.waitForExit()
            let screen = try tmux.capture()
            #expect(status == 0, "\(screen)")
            #expect(screen.contains("No alarms in us-east-1"), "\(screen)")

            // The session really is the role's: it may read alarms but not write them.
            let asRole = try BreakglassBinary.run(["aws", "call", "cloudwatch", "SetAlarmState", "--yes", "--mfa-code", "654321",
                                                  "--param", "AlarmName=x", "--param", "StateValue=OK", "--param", "StateReason=r"], environment: env)
            #expect(asRole.status == 1)
            #expect(asRole.stderr.contains("AccessDenied") && asRole.stderr.contains("assumed-role/oncall"), "\(asRole.stderr)")

            // Without a terminal there is no prompt: the error says how to give the code.
            let piped = try BreakglassBinary.run(["alarms"], environment: env)
            #expect(piped.status == 2)
            #expect(piped.stderr.contains("MFA"), "\(piped.stderr)")
        }
    }
}
