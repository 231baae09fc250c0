import BreakglassAWS
import BreakglassCore
import Foundation

/// Access agents started by `breakglass access request` in tests. Each is recorded as
/// `agent-PID.pid` under $BREAKGLASS_TEST_RUN_DIR (as moto servers are), so `make test` can stop one a
/// crashed test left behind, and stopped by its pid when the test ends.
public enum AccessAgentHarness {
    /// Records the agent serving `socketPath` (from its `agent.pid`); its pid, if one runs.
    @discardableResult
    public static func register(socketPath: String) -> Int32? {
        guard let pid = AccessAgent.recordedPID(socketPath: socketPath), isAlive(pid) else { return nil }
        FileManager.default.createFile(atPath: "\(MotoHarness.runDirectory)/agent-\(pid).pid", contents: Data("\(pid)\n".utf8))
        return pid
    }

    /// Stops the agent serving `socketPath` (SIGTERM, which wipes what it holds) and waits until it is
    /// gone; removes its record.
    public static func stop(socketPath: String) {
        guard let pid = AccessAgent.recordedPID(socketPath: socketPath) else { return }
        stop(pid: pid)
    }

    public static func stop(pid: Int32) {
        if isAlive(pid) { kill(pid, SIGTERM) }
        // It exits at its next turn; a reaper may be slow to collect it, so a zombie counts as gone.
        let deadline = Date().addingTimeInterval(5)
        while isAlive(pid) && Date() < deadline { usleep(10_000) }
        if isAlive(pid) { kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(atPath: "\(MotoHarness.runDirectory)/agent-\(pid).pid")
    }

    /// Running and not a zombie.
    public static func isAlive(_ pid: Int32) -> Bool { DetachedProcess.isAlive(pid) }
}

/// What a break-glass test needs in moto: an operator who may only read and assume the break-glass
/// role, and the role, which trusts that operator and may do anything.
public struct AccessSandbox: Sendable {
    public let operatorCredentials: AWSCredentials
    public let operatorARN: String
    public let roleARN: String
    public let account: String

    /// The operator's policy: reads of what the tests look at, and sts:AssumeRole of the role.
    public static func operatorPolicy(roleARN: String) -> String {
        #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sqs:GetQueueUrl","sqs:GetQueueAttributes","sqs:ListQueues","autoscaling:DescribeAutoScalingGroups","sts:GetCallerIdentity","iam:GetRole"],"Resource":"*"},{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"\#(roleARN)"}]}"#
    }

    /// Creates user `operator` (with an access key) and role `roleName` trusting it.
    public static func create(in server: LocalAWSServer, roleName: String = "app-break-glass", trusting: String? = nil) async throws -> AccessSandbox {
        let admin = server.client()
        func call(_ service: String, _ name: String, _ input: AWSValue) async throws -> AWSValue {
            try await admin.call(AWSCatalog.lookup(service: service, name: name), input, region: "us-east-1").value
        }
        let user = try await call("iam", "CreateUser", ["UserName": "operator"])
        guard let operatorARN = user["User"]?["Arn"]?.string else { throw LocalAWSServer.StartError(message: "CreateUser answered without an ARN") }
        let account = operatorARN.split(separator: ":", omittingEmptySubsequences: false).dropFirst(4).first.map(String.init) ?? "123456789012"
        let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"\#(trusting ?? operatorARN)"},"Action":"sts:AssumeRole"}]}"#
        let role = try await call("iam", "CreateRole", ["RoleName": .string(roleName), "AssumeRolePolicyDocument": .string(trust)])
        guard let roleARN = role["Role"]?["Arn"]?.string else { throw LocalAWSServer.StartError(message: "CreateRole answered without an ARN") }
        let everything = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        _ = try await call("iam", "PutRolePolicy", ["RoleName": .string(roleName), "PolicyName": "all", "PolicyDocument": .string(everything)])
        _ = try await call("iam", "PutUserPolicy", ["UserName": "operator", "PolicyName": "read-and-assume", "PolicyDocument": .string(operatorPolicy(roleARN: roleARN))])
        let key = try await call("iam", "CreateAccessKey", ["UserName": "operator"])
        guard let id = key["AccessKey"]?["AccessKeyId"]?.string, let secret = key["AccessKey"]?["SecretAccessKey"]?.string else {
            throw LocalAWSServer.StartError(message: "CreateAccessKey answered without a key")
        }
        return AccessSandbox(
            operatorCredentials: AWSCredentials(accessKeyID: id, secretAccessKey: secret, source: "operator"), operatorARN: operatorARN, roleARN: roleARN,
            account: account)
    }

    /// A configuration with the role (MFA on, 30 minutes at most), two criteria, and the repository's
    /// runbooks.
    public func config(runbooks: String, roleName: String = "app-break-glass") -> String {
        """
        access:
          criteria:
            - A customer-facing alarm is in ALARM
            - The normal deploy or access path cannot fix it
          roles:
            \(roleName): { arn: "\(roleARN)", mfa: true, max: 30m, mfa_serial: "arn:aws:iam::\(account):mfa/operator" }
            db-break-glass: { arn: "arn:aws:iam::\(account):role/db-break-glass", mfa: false, max: 15m }
        runbooks: ["\(runbooks)"]

        """
    }
}

/// `application/x-www-form-urlencoded` pairs, decoded (`+` is a space).
public func formFields(_ body: [UInt8]) -> [String: String] {
    var out: [String: String] = [:]
    for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        func decode(_ s: Substring) -> String { String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
        out[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
    }
    return out
}
