import BreakglassAWS
import BreakglassCore
import Foundation

/// moto_server for tests: on 127.0.0.1, a free port, signature and IAM checks on, an administrator
/// user created for the test. Always stopped by pid: `withServer` stops it when the body returns or
/// throws; its pid is also written under $BREAKGLASS_TEST_RUN_DIR so `make test` can stop any server a
/// crashed test process left behind.
public enum MotoHarness {
    public static func withServer<T>(_ body: (LocalAWSServer) async throws -> T) async throws -> T {
        let server = try await start()
        defer { stop(server) }
        return try await body(server)
    }

    public static func start() async throws -> LocalAWSServer {
        let logs = runDirectory + "/logs"
        let server = try await LocalAWSServer.start(logDirectory: logs, journal: try temporaryJournal())
        guard FileManager.default.createFile(atPath: "\(runDirectory)/moto-\(server.pid).pid", contents: Data("\(server.pid)\n".utf8)) else {
            server.stop()
            throw LocalAWSServer.StartError(message: "cannot write a pid file under \(runDirectory)")
        }
        return server
    }

    public static func stop(_ server: LocalAWSServer) {
        server.stop()
        try? FileManager.default.removeItem(atPath: "\(runDirectory)/moto-\(server.pid).pid")
    }

    /// An audit journal on a fresh store of its own under the run directory.
    public static func temporaryJournal() throws -> AuditJournal {
        let folder = "\(runDirectory)/audit-\(UUID().uuidString)"
        let store = try Store.open(path: folder + "/state.db")
        return AuditJournal(log: AuditLog(store: store), actor: AuditActor(user: "test"))
    }

    public static var runDirectory: String {
        let dir = ProcessInfo.processInfo.environment["BREAKGLASS_TEST_RUN_DIR"] ?? (NSTemporaryDirectory() + "breakglass-tests")
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}

extension LocalAWSServer {
    /// Creates the IAM role `oncall`, which the administrator may assume, with `policy` as its
    /// inline policy, and a throwaway home whose `~/.aws/config` has a `base` profile (the
    /// administrator's keys) and an `oncall` profile that assumes the role with an MFA device
    /// (`mfa_serial = arn:aws:iam::123456789012:mfa/oncall-phone`). Returns the home and the role's ARN.
    public func oncallRoleWithMFA(policyName: String, policy: String) async throws -> (home: TemporaryHome, roleARN: String) {
        let client = client()
        let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"\#(adminARN)"},"Action":"sts:AssumeRole"}]}"#
        let role = try await client.call(
            AWSCatalog.lookup(service: "iam", name: "CreateRole"), ["RoleName": "oncall", "AssumeRolePolicyDocument": .string(trust)], region: "us-east-1")
        guard let roleARN = role.value["Role"]?["Arn"]?.string else { throw StartError(message: "CreateRole answered without an ARN") }
        _ = try await client.call(
            AWSCatalog.lookup(service: "iam", name: "PutRolePolicy"), ["RoleName": "oncall", "PolicyName": .string(policyName), "PolicyDocument": .string(policy)],
            region: "us-east-1")
        let home = try TemporaryHome(config: """
            [profile base]
            aws_access_key_id = \(adminCredentials.accessKeyID)
            aws_secret_access_key = \(adminCredentials.secretAccessKey)
            region = us-east-1
            [profile oncall]
            role_arn = \(roleARN)
            source_profile = base
            mfa_serial = arn:aws:iam::123456789012:mfa/oncall-phone
            region = us-east-1
            """)
        return (home, roleARN)
    }
}
