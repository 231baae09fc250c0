import Foundation

/// EC2 instance metadata, IMDSv2 only: PUT /latest/api/token, then
/// GET /latest/meta-data/iam/security-credentials/ and /<role>. One attempt with 1 s timeouts, so a
/// laptop (where nothing answers) loses at most about a second. Off when AWS_EC2_METADATA_DISABLED=true.
public struct InstanceMetadataProvider: Sendable {
    public let endpoint: String
    let scheme: String
    let host: String
    let port: Int?
    let basePath: String
    let transport: any HTTPTransport

    public static let defaultEndpoint = "http://169.254.169.254"
    public static let timeouts = HTTPTimeouts(connect: 1, total: 1)

    /// Why a lookup found nothing (the chain goes on and lists it).
    public struct Unavailable: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// nil when disabled.
    public init?(environment env: AWSEnvironment, transport: any HTTPTransport) throws(AWSError) {
        if env["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true" { return nil }
        var endpoint = env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] ?? Self.defaultEndpoint
        if env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] == nil, env["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"]?.lowercased() == "ipv6" {
            endpoint = "http://[fd00:ec2::254]"
        }
        guard let parts = URLComponents(string: endpoint), let scheme = parts.scheme?.lowercased(), scheme == "http" || scheme == "https",
            var host = parts.host, !host.isEmpty
        else {
            throw .credentials("AWS_EC2_METADATA_SERVICE_ENDPOINT=\(endpoint) is not an http(s) URL")
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.endpoint = endpoint
        self.scheme = scheme
        self.host = host
        port = parts.port
        var base = parts.percentEncodedPath
        while base.hasSuffix("/") { base.removeLast() }
        basePath = base
        self.transport = transport
    }

    func request(_ method: String, _ path: String, headers: [HTTPHeader]) -> HTTPRequest {
        HTTPRequest(method: method, scheme: scheme, host: host, port: port, path: basePath + path, headers: headers)
    }

    func send(_ r: HTTPRequest) async throws(Unavailable) -> HTTPResponse {
        do {
            return try await transport.send(r, operation: "instance metadata", timeouts: Self.timeouts)
        } catch {
            throw Unavailable(description: error.kind == .timedOut ? "no answer within 1 s" : error.kind == .cannotConnect ? "cannot connect" : error.detail)
        }
    }

    /// The instance role's credentials; `Unavailable` when there is no metadata service or no role,
    /// `AWSError` when the service answers with something unusable.
    public func fetch() async throws(AWSError) -> Result<AWSCredentials, Unavailable> {
        let role: String, body: [UInt8]
        do throws(Unavailable) {
            (role, body) = try await roleCredentialsBody()
        } catch {
            return .failure(error)
        }
        return .success(try HTTPCredentialJSON.parse(
            body, tokenKey: "Token", what: "instance metadata role \(role)", source: "instance metadata role \(role)"))
    }

    func roleCredentialsBody() async throws(Unavailable) -> (String, [UInt8]) {
        do {
            let tokenResponse = try await send(request("PUT", "/latest/api/token", headers: [HTTPHeader("X-aws-ec2-metadata-token-ttl-seconds", "21600")]))
            guard tokenResponse.status == 200 else { throw Unavailable(description: "token request answered HTTP \(tokenResponse.status)") }
            let token = String(decoding: tokenResponse.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty, !token.contains("\n"), !token.contains("\r") else { throw Unavailable(description: "unusable session token") }
            let auth = [HTTPHeader("X-aws-ec2-metadata-token", token)]
            let list = try await send(request("GET", "/latest/meta-data/iam/security-credentials/", headers: auth))
            guard list.status == 200 else {
                throw Unavailable(description: list.status == 404 ? "no instance role attached" : "role list answered HTTP \(list.status)")
            }
            guard let role = String(decoding: list.body, as: UTF8.self).split(whereSeparator: \.isNewline).first.map({ $0.trimmingCharacters(in: .whitespaces) }),
                !role.isEmpty
            else { throw Unavailable(description: "no instance role attached") }
            guard role.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || "+=,.@_-".unicodeScalars.contains($0) }) else {
                throw Unavailable(description: "the role name it gave is not a valid role name")
            }
            let creds = try await send(request("GET", "/latest/meta-data/iam/security-credentials/\(role)", headers: auth))
            guard creds.status == 200 else { throw Unavailable(description: "credentials of role \(role) answered HTTP \(creds.status)") }
            return (role, creds.body)
        }
    }
}
