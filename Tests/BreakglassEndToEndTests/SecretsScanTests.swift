import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// After a run that handled real-looking secrets — a secret access key, an MFA code, the session
/// token of an assumed role — none of them is anywhere in the state database, its WAL or shared
/// memory file, or what the commands printed to stderr.
@Suite struct SecretsScanTests {
    @Test func noSecretReachesTheStateFilesOrTheLogs() async throws {
        try await MotoHarness.withServer { server in
            let sqsOnly = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sqs:*","sts:GetCallerIdentity"],"Resource":"*"}]}"#
            let (home, _) = try await server.oncallRoleWithMFA(policyName: "sqs", policy: sqsOnly)
            let dir = try StateDir()
            let mfaCode = "918273"
            let env = home.variables(["AWS_PROFILE": "oncall", "AWS_ENDPOINT_URL": server.endpointURL, "NO_PROXY": "127.0.0.1,localhost"])
            var stderr = ""
            func run(_ args: [String]) throws -> BreakglassBinary.Result {
                let r = try BreakglassBinary.run(args + ["--state", dir.db], environment: env)
                stderr += r.stderr
                return r
            }
            let created = try run(["aws", "call", "sqs", "CreateQueue", "--param", "QueueName=orders", "--yes", "--mfa-code", mfaCode])
            #expect(created.status == 0, "\(created.stderr)")
            let url = try #require(try JSON.decode(created.stdout)["QueueUrl"]?.string)
            // A write whose parameters carry secret-looking fields, and one AWS refuses.
            let sent = try run([
                "aws", "call", "sqs", "SendMessage", "--yes", "--mfa-code", mfaCode, "--input",
                #"{"QueueUrl":"\#(url)","MessageBody":"order 1","MessageAttributes":{"Password":{"DataType":"String","StringValue":"\#(server.adminCredentials.secretAccessKey)"}}}"#,
            ])
            #expect(sent.status == 0, "\(sent.stderr)")
            let refused = try run(["aws", "call", "cloudwatch", "SetAlarmState", "--yes", "--mfa-code", mfaCode,
                                   "--param", "AlarmName=x", "--param", "StateValue=OK", "--param", "StateReason=r"])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("AccessDenied"), "\(refused.stderr)")

            // The trail has all three writes, who made them, and how each ended.
            let log = AuditLog(store: try Store.open(path: dir.db))
            let entries = try log.entries()
            let intents = entries.filter { $0.draft.kind == "aws.intent" }
            #expect(intents.map { $0.draft.operation } == ["CreateQueue", "SendMessage", "SetAlarmState"])
            #expect(intents.allSatisfy { $0.draft.actor.callerARN?.contains("assumed-role/oncall") == true }, "\(intents.map(\.draft.actor))")
            #expect(entries.filter { $0.draft.kind == "aws.outcome" }.map { $0.draft.outcome } == ["succeeded", "succeeded", "failed"])
            #expect(try log.verify().intact)
            try BreakglassBinary.run(["audit", "export", "--state", dir.db]).stderr.forEach { stderr.append($0) }
            log.store.close()

            let secrets = [
                ("the secret access key", server.adminCredentials.secretAccessKey),
                ("the MFA code", mfaCode),
                ("a moto session token", "FQoGZXIvYXdzEBYaD"),
            ]
            for file in [dir.db, dir.db + "-wal", dir.db + "-shm"] {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                for (what, secret) in secrets {
                    #expect(data.range(of: Data(secret.utf8)) == nil, "\(what) is in \(file)")
                }
            }
            for (what, secret) in secrets { #expect(!stderr.contains(secret), "\(what) is in the commands' stderr") }
            // The redaction left its mark where the secret field was.
            #expect(intents[1].draft.parameters?.contains(#""Password":"[redacted]""#) == true, "\(intents[1].draft.parameters ?? "")")
        }
    }
}
