import Foundation

/// ECS/EKS container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on 169.254.170.2) or
/// AWS_CONTAINER_CREDENTIALS_FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read at each
/// fetch, so rotated tokens work) or AWS_CONTAINER_AUTHORIZATION_TOKEN sent as Authorization.
public struct ContainerCredentialProvider: Sendable {
    public let url: String
    let request: HTTPRequest
    let tokenFile: String?
    let token: String?
    let transport: any HTTPTransport
    let readFile: @Sendable (String) -> String?

    public static let relativeHost = "169.254.170.2"
    /// Hosts a FULL_URI may name over plain http, as in the SDKs: loopback, and the ECS and EKS
    /// agents' link-local addresses.
    static let allowedHTTPHosts: Set<String> = ["169.254.170.2", "169.254.170.23", "fd00:ec2::23", "localhost", "::1"]

    /// nil when neither variable is set (the source is not configured).
    public init?(environment env: AWSEnvironment, transport: any HTTPTransport) throws(AWSError) {
        let url: String
        if let relative = env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] {
            url = "http://\(Self.relativeHost)" + (relative.hasPrefix("/") ? relative : "/" + relative)
        } else if let full = env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] {
            url = full
        } else {
            return nil
        }
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(), scheme == "http" || scheme == "https",
            var host = parts.host, !host.isEmpty
        else {
            throw .credentials("AWS_CONTAINER_CREDENTIALS_FULL_URI=\(url) is not an http(s) URL")
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if scheme == "http", !(Self.allowedHTTPHosts.contains(host.lowercased()) || Self.isLoopbackIPv4(host)) {
            throw .credentials(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI=\(url): over plain http the host must be loopback (127.0.0.1, ::1, localhost) or the container agent's address; use https otherwise")
        }
        self.url = url
        request = HTTPRequest(
            method: "GET", scheme: scheme, host: host, port: parts.port, path: parts.percentEncodedPath.isEmpty ? "/" : parts.percentEncodedPath,
            query: parts.percentEncodedQuery ?? "")
        tokenFile = env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]
        token = env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
        self.transport = transport
        readFile = { env.read($0) }
    }

    static func isLoopbackIPv4(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    public func fetch() async throws(AWSError) -> AWSCredentials {
        var request = self.request
        var authorization: String?
        if let tokenFile {
            guard let text = readFile(tokenFile) else {
                throw .credentials("container credentials: cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(tokenFile)")
            }
            authorization = text.trimmingCharacters(in: .whitespacesAndNewlines)
        } else if let token {
            authorization = token
        }
        if let authorization {
            guard !authorization.contains("\r"), !authorization.contains("\n") else {
                throw .credentials("container credentials: the authorization token contains a line break")
            }
            request.setHeader("Authorization", authorization)
        }
        request.setHeader("Accept", "application/json")
        var lastError = ""
        // As the SDKs do: a few quick attempts, since the agent can be briefly busy.
        for _ in 0..<3 {
            let response: HTTPResponse
            do {
                response = try await transport.send(request, operation: "container credentials", timeouts: HTTPTimeouts(connect: 2, total: 2))
            } catch {
                lastError = error.description
                continue
            }
            if (500..<600).contains(response.status) {
                lastError = "HTTP \(response.status)"
                continue
            }
            guard response.status == 200 else {
                throw .credentials("container credentials from \(url): HTTP \(response.status)\(response.status == 401 || response.status == 403 ? " (is the authorization token right?)" : "")")
            }
            return try HTTPCredentialJSON.parse(response.body, tokenKey: "Token", what: "container credentials from \(url)", source: "container credentials (\(url))")
        }
        throw .credentials("container credentials from \(url): \(lastError)")
    }
}

/// The JSON the container agent and instance metadata answer with.
enum HTTPCredentialJSON {
    static func parse(_ body: [UInt8], tokenKey: String, what: String, source: String) throws(AWSError) -> AWSCredentials {
        guard let json = try? JSON.decode(body), json.object != nil else { throw .credentials("\(what): the answer is not a JSON object") }
        if let code = json["Code"]?.string, code != "Success" {
            throw .credentials("\(what): \(code): \(json["Message"]?.string ?? "no message")")
        }
        guard let id = json["AccessKeyId"]?.string, !id.isEmpty, let secret = json["SecretAccessKey"]?.string, !secret.isEmpty else {
            throw .credentials("\(what): the answer has no AccessKeyId / SecretAccessKey")
        }
        var expiration: Date?
        if let raw = json["Expiration"]?.string {
            guard let d = ISO8601.parse(raw) else { throw .credentials("\(what): unreadable Expiration \(raw)") }
            expiration = d
        }
        let token = json[tokenKey]?.string
        return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: token?.isEmpty == false ? token : nil, expiration: expiration, source: source)
    }
}
