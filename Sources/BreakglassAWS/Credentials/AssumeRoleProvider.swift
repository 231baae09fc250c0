import Foundation

/// Asks for an MFA code for a device (its `mfa_serial`). The CLI answers from `--mfa-code`, the
/// console by prompting.
public typealias MFACodeProvider = @Sendable (_ serial: String) async throws -> String

/// The settings of a profile that assumes a role.
public struct AssumeRoleSpec: Sendable, Equatable {
    public var profile: String
    public var roleARN: String
    public var sessionName: String?
    public var durationSeconds: Int?
    public var externalID: String?
    public var mfaSerial: String?
    /// "~/.aws/config:7", for messages.
    public var location: String
}

/// STS AssumeRole with the source credentials of the profile that names the role.
public struct AssumeRoleProvider: Sendable {
    public let spec: AssumeRoleSpec
    public let environment: AWSEnvironment
    public let transport: any HTTPTransport
    public let mfaCode: MFACodeProvider?
    public let now: @Sendable () -> Date

    public init(spec: AssumeRoleSpec, environment: AWSEnvironment, transport: any HTTPTransport, mfaCode: MFACodeProvider?, now: @escaping @Sendable () -> Date) {
        self.spec = spec
        self.environment = environment
        self.transport = transport
        self.mfaCode = mfaCode
        self.now = now
    }

    public func assume(with source: AWSCredentials) async throws(AWSError) -> AWSCredentials {
        let where_ = "\(spec.location): profile \(spec.profile)"
        var params: [(String, String)] = [
            ("RoleArn", spec.roleARN),
            ("RoleSessionName", spec.sessionName ?? "breakglass-\(Int(now().timeIntervalSince1970))"),
        ]
        if let d = spec.durationSeconds { params.append(("DurationSeconds", String(d))) }
        if let e = spec.externalID { params.append(("ExternalId", e)) }
        if let serial = spec.mfaSerial {
            guard let mfaCode else {
                throw .credentials(
                    "\(where_) assumes \(spec.roleARN), which needs an MFA code from \(serial); pass it with --mfa-code 123456 (or run the console, which asks for it)")
            }
            let code: String
            do { code = try await mfaCode(serial) } catch {
                throw .credentials("\(where_): no MFA code for \(serial): \(error)")
            }
            let trimmed = code.trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.count == 6, trimmed.allSatisfy(\.isASCII), trimmed.allSatisfy(\.isNumber) else {
                throw .credentials("\(where_): the MFA code for \(serial) must be six digits")
            }
            params += [("SerialNumber", serial), ("TokenCode", trimmed)]
        }
        let region = (try? RegionResolver(environment: environment).resolve()) ?? "us-east-1"
        let client = AWSClient(
            credentials: source, endpoints: EndpointResolver(environment: environment), transport: transport,
            timeouts: (try? HTTPTimeouts.from(environment: environment)) ?? .standard, now: now)
        let response: AWSClient.QueryResponse
        do {
            response = try await client.query(.sts, "AssumeRole", params, region: region, mutating: false)
        } catch {
            throw .credentials("\(where_): cannot assume \(spec.roleARN) with credentials from \(source.source): \(error)")
        }
        guard let c = response.result.child("Credentials"),
            let id = c.child("AccessKeyId")?.text, !id.isEmpty,
            let secret = c.child("SecretAccessKey")?.text, !secret.isEmpty,
            let token = c.child("SessionToken")?.text, !token.isEmpty,
            let expiry = c.child("Expiration")?.text
        else {
            throw .credentials("\(where_): the AssumeRole answer for \(spec.roleARN) lacks Credentials (request id \(response.requestID ?? "none given"))")
        }
        guard let expiration = ISO8601.parse(expiry) else {
            throw .credentials("\(where_): the AssumeRole answer has an unreadable Expiration \(expiry)")
        }
        return AWSCredentials(
            accessKeyID: id, secretAccessKey: secret, sessionToken: token, expiration: expiration,
            source: "role \(spec.roleARN) assumed by profile \(spec.profile)")
    }
}
