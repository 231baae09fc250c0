import BreakglassAWS
import Foundation

/// A request refused before anything is sent to AWS: a wrong duration, a missing MFA code, a runbook
/// for another role. The message says what to change.
public struct AccessRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// RoleSessionName and SourceIdentity for a grant. STS allows the characters `[A-Za-z0-9_+=,.@-]`
/// and 2 to 64 of them in each; the name shows in CloudTrail next to every call the session makes,
/// so it says who (the OS user) and what for (the incident): `bg-alice-INC42`.
public enum AccessNaming {
    public static let maxLength = 64
    public static let minLength = 2

    /// Whether STS accepts `c` in a session name or source identity.
    public static func isAllowed(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "A"..."Z", "a"..."z", "0"..."9", "_", "+", "=", ",", ".", "@", "-": true
        default: false
        }
    }

    /// `text` with every character STS refuses replaced by `-` (runs of them by one), no leading or
    /// trailing `-`.
    public static func sanitize(_ text: String) -> String {
        var out = ""
        var lastWasDash = false
        for c in text.unicodeScalars {
            if isAllowed(c) {
                out.unicodeScalars.append(c)
                lastWasDash = c == "-"
            } else if !lastWasDash {
                out += "-"
                lastWasDash = true
            }
        }
        while out.hasPrefix("-") { out.removeFirst() }
        while out.hasSuffix("-") { out.removeLast() }
        return out
    }

    /// `bg-USER-INCIDENT` (or `bg-USER`), sanitised and at most 64 characters: the user keeps at most
    /// 32 and the incident the rest, so both stay readable.
    public static func sessionName(user: String, incident: String?) -> String {
        var who = String(sanitize(user).prefix(32))
        if who.isEmpty { who = "user" }
        var name = "bg-" + who
        if let incident {
            let what = String(sanitize(incident).prefix(maxLength - name.count - 1))
            if !what.isEmpty { name += "-" + what }
        }
        return name
    }

    /// The SourceIdentity: the same text, so CloudTrail shows the person and incident on every call,
    /// even through role chaining (SourceIdentity cannot be changed by the session).
    public static func sourceIdentity(user: String, incident: String?) -> String { sessionName(user: user, incident: incident) }

    /// Whether STS accepts `name` as a RoleSessionName or SourceIdentity.
    public static func isValid(_ name: String) -> Bool {
        (minLength...maxLength).contains(name.unicodeScalars.count) && name.unicodeScalars.allSatisfy(isAllowed)
            && !name.lowercased().hasPrefix("aws:")
    }
}

/// How long a grant lasts: `--duration` if given, else the role's `max`; never more than `max`,
/// never less than STS's 15 minutes.
public enum AccessDuration {
    /// STS AssumeRole's DurationSeconds range.
    public static let stsRange = 900...43_200

    /// The duration in whole seconds for `requested` (`--duration` as written) on `role`.
    public static func seconds(requested: String?, role: AccessRole) throws(AccessRequestError) -> Int {
        let max = Int(DurationSyntax.seconds(role.maxDuration))
        guard let requested else { return max }
        guard let d = DurationSyntax.parse(requested) else {
            if DurationSyntax.isBareNumber(requested) {
                throw AccessRequestError("--duration \(requested): add a unit, e.g. \(requested)m or \(requested)s")
            }
            throw AccessRequestError("--duration \(requested): expected a duration like 15m, 30m or 1h")
        }
        let seconds = Int(DurationSyntax.seconds(d))
        if seconds > max {
            throw AccessRequestError(
                "--duration \(requested) is longer than role \(role.id) allows: at most \(DurationSyntax.format(role.maxDuration)) (access.roles.\(role.id).max, \(role.location)); ask for \(DurationSyntax.format(role.maxDuration)) or less")
        }
        if seconds < stsRange.lowerBound {
            throw AccessRequestError("--duration \(requested) is shorter than STS grants: at least 15m")
        }
        return min(seconds, stsRange.upperBound)
    }
}

/// The parts of a role ARN a grant needs: `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME`.
public struct RoleARN: Sendable, Equatable {
    public let partition: String
    public let account: String
    /// The role's name (the last part of the path): what iam PutRolePolicy takes.
    public let name: String

    public init?(_ arn: String) {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "iam", parts[3].isEmpty, !parts[4].isEmpty, parts[5].hasPrefix("role/"),
            let last = parts[5].split(separator: "/").last, parts[5].count > 5
        else { return nil }
        partition = String(parts[1])
        account = String(parts[4])
        name = String(last)
    }
}

/// The MFA code as STS takes it: six digits.
public enum MFACode {
    public static func validate(_ code: String) throws(AccessRequestError) -> String {
        let trimmed = code.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count == 6, trimmed.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw AccessRequestError("--mfa-code must be the six digits your MFA device shows")
        }
        return trimmed
    }
}

/// The AssumeRole request of a grant, before it is sent: every parameter but the MFA code, which
/// is added at the last moment and never kept.
public struct AssumeRoleRequest: Sendable, Equatable {
    public var roleARN: String
    public var sessionName: String
    public var sourceIdentity: String
    public var durationSeconds: Int
    public var mfaSerial: String?
    public var policy: String?

    public init(roleARN: String, sessionName: String, sourceIdentity: String, durationSeconds: Int, mfaSerial: String?, policy: String?) {
        self.roleARN = roleARN
        self.sessionName = sessionName
        self.sourceIdentity = sourceIdentity
        self.durationSeconds = durationSeconds
        self.mfaSerial = mfaSerial
        self.policy = policy
    }

    /// The input of sts.AssumeRole. `mfaCode` is required when `mfaSerial` is set.
    public func input(mfaCode: String?) -> AWSValue {
        var o = AWSObject()
        o["RoleArn"] = .string(roleARN)
        o["RoleSessionName"] = .string(sessionName)
        o["DurationSeconds"] = .int(durationSeconds)
        if let mfaSerial, let mfaCode {
            o["SerialNumber"] = .string(mfaSerial)
            o["TokenCode"] = .string(mfaCode)
        }
        o["SourceIdentity"] = .string(sourceIdentity)
        if let policy { o["Policy"] = .string(policy) }
        return .object(o)
    }

    /// The credentials and the session's ARN from AssumeRole's answer.
    public static func credentials(from answer: AWSValue, roleARN: String, requestID: String?) throws(AccessRequestError) -> (AWSCredentials, assumedARN: String?) {
        guard let c = answer["Credentials"], let id = c["AccessKeyId"]?.string, !id.isEmpty,
            let secret = c["SecretAccessKey"]?.string, !secret.isEmpty, let token = c["SessionToken"]?.string, !token.isEmpty,
            let expiry = c["Expiration"]?.string
        else {
            throw AccessRequestError("the AssumeRole answer for \(roleARN) lacks Credentials (request id \(requestID ?? "none given"))")
        }
        guard let expiration = ISO8601.parse(expiry) else {
            throw AccessRequestError("the AssumeRole answer for \(roleARN) has an unreadable Expiration \(expiry)")
        }
        let credentials = AWSCredentials(
            accessKeyID: id, secretAccessKey: secret, sessionToken: token, expiration: expiration, source: "break-glass role \(roleARN)")
        return (credentials, answer["AssumedRoleUser"]?["Arn"]?.string)
    }
}

/// The `AWSRevokeOlderSessions` inline policy that cuts every session of a role issued before `now`.
public enum RevokeOlderSessions {
    public static let policyName = "AWSRevokeOlderSessions"

    public static func document(now: Date) -> String {
        let condition: AWSValue = ["DateLessThan": ["aws:TokenIssueTime": .string(ISO8601.format(now))]]
        let statement = AWSValue.object(AWSObject([
            ("Effect", .string("Deny")), ("Action", ["*"]), ("Resource", ["*"]), ("Condition", condition),
        ]))
        return JSON.encode(.object(AWSObject([("Version", .string("2012-10-17")), ("Statement", .array([statement]))])))
    }
}
