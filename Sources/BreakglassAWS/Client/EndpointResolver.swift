/// Where a service's requests go. The SDKs' order: AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the
/// config file's `[services NAME]` section named by the profile's `services` key (`cloudwatch =` then
/// an indented `endpoint_url = ...`), then the profile's `endpoint_url`; all are ignored when
/// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true. Otherwise the service's public endpoint for the region.
public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
    public var scheme: String
    public var host: String
    public var port: Int?
    /// A path prefix from the configured URL, without a trailing slash ("" for none).
    public var basePath: String
    /// Region to sign for (global services sign for us-east-1).
    public var signingRegion: String
    /// Whether this endpoint was configured rather than derived (shown in the console's top bar).
    public var isCustom: Bool

    public var description: String {
        "\(scheme)://\(host)\(port.map { ":\($0)" } ?? "")\(basePath)"
    }

    /// Parses an endpoint URL such as `http://127.0.0.1:5000` or `https://monitoring.example.com/base`.
    public static func parse(_ url: String, signingRegion: String, isCustom: Bool = true) throws(AWSError) -> Endpoint {
        guard let schemeEnd = url.range(of: "://") else {
            throw .configuration("endpoint URL \"\(url)\" has no scheme: write it as https://host or http://127.0.0.1:PORT")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw .configuration("endpoint URL \"\(url)\": scheme must be http or https")
        }
        var rest = url[schemeEnd.upperBound...]
        if let q = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<q] }
        let authority: Substring
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = String(rest[slash...])
            while path.hasSuffix("/") { path.removeLast() }
        } else {
            authority = rest
        }
        var host = String(authority)
        var port: Int?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw .configuration("endpoint URL \"\(url)\": unclosed [ in host") }
            let after = host[host.index(after: close)...]
            let inner = String(host[host.index(after: host.startIndex)..<close])
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else { throw .configuration("endpoint URL \"\(url)\": bad port") }
                port = p
            }
            host = inner
        } else if let colon = host.lastIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]), (1...65535).contains(p) else {
                throw .configuration("endpoint URL \"\(url)\": bad port")
            }
            port = p
            host = String(host[..<colon])
        }
        guard !host.isEmpty else { throw .configuration("endpoint URL \"\(url)\" has no host") }
        return Endpoint(scheme: scheme, host: host, port: port, basePath: path, signingRegion: signingRegion, isCustom: isCustom)
    }
}

public struct EndpointResolver: Sendable {
    public let environment: AWSEnvironment
    public init(environment: AWSEnvironment) { self.environment = environment }

    public func endpoint(for service: AWSService, region: String) throws(AWSError) -> Endpoint {
        let signingRegion = service.isGlobal ? (region.hasPrefix("cn-") ? "cn-north-1" : "us-east-1") : region
        let ignore = environment["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]?.lowercased() == "true"
        if !ignore {
            if let url = environment["AWS_ENDPOINT_URL_\(service.envID)"] ?? environment["AWS_ENDPOINT_URL"] {
                return try Endpoint.parse(url, signingRegion: signingRegion)
            }
            if let files = try? environment.sharedFiles() {
                let profile = environment.profileName
                if let servicesName = files.value("services", profile: profile),
                    let url = files.config?.sections["services \(servicesName)"]?.nested[service.envID.lowercased()]?["endpoint_url"]
                {
                    return try Endpoint.parse(url, signingRegion: signingRegion)
                }
                if let url = files.value("endpoint_url", profile: profile) {
                    return try Endpoint.parse(url, signingRegion: signingRegion)
                }
            }
        }
        guard Self.isValidRegion(region) else {
            throw .configuration("\"\(region)\" is not an AWS region name (expected something like us-east-1)")
        }
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        let host = service.isGlobal ? "\(service.endpointPrefix).\(suffix)" : "\(service.endpointPrefix).\(region).\(suffix)"
        return Endpoint(scheme: "https", host: host, port: nil, basePath: "", signingRegion: signingRegion, isCustom: false)
    }

    /// Region names are lower-case letters, digits and dashes; this keeps a typo from building a host
    /// name somewhere else.
    static func isValidRegion(_ r: String) -> Bool {
        !r.isEmpty && r.count <= 32 && r.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
            && r.first != "-" && r.last != "-"
    }
}
