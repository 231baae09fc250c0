/// An HTTP request as it will go on the wire. `path` and `query` are in their wire form (already
/// percent-encoded); the signer canonicalises them again as SigV4 requires.
public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    public var scheme: String
    public var host: String
    /// nil for the scheme's default port.
    public var port: Int?
    public var path: String
    /// Without the leading "?"; empty for none.
    public var query: String
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    /// Whether the request may go over a pooled, already-open connection. False for writes: an HTTP
    /// client that finds a reused connection dead may silently send the request again on a new one,
    /// and a write must never be sent twice.
    public var reuseConnection: Bool

    public init(
        method: String, scheme: String = "https", host: String, port: Int? = nil, path: String = "/",
        query: String = "", headers: [HTTPHeader] = [], body: [UInt8] = [], reuseConnection: Bool = true
    ) {
        self.reuseConnection = reuseConnection
        self.method = method
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The Host header's value: the host, with the port when it is not the scheme's default.
    public var hostHeader: String {
        guard let port else { return host }
        if (scheme == "https" && port == 443) || (scheme == "http" && port == 80) { return host }
        let h = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "\(h):\(port)"
    }

    public var url: String {
        let h = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        let portPart = port.map { ":\($0)" } ?? ""
        return "\(scheme)://\(h)\(portPart)\(path)\(query.isEmpty ? "" : "?" + query)"
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveEquals(name) }?.value
    }

    public mutating func setHeader(_ name: String, _ value: String) {
        headers.removeAll { $0.name.caseInsensitiveEquals(name) }
        headers.append(HTTPHeader(name, value))
    }
}

public struct HTTPHeader: Sendable, Equatable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// An HTTP answer. `requestID` is AWS's request id, from whichever header the service uses.
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [HTTPHeader]
    public var body: [UInt8]

    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveEquals(name) }?.value
    }

    public var requestID: String? {
        header("x-amzn-RequestId") ?? header("x-amz-request-id") ?? header("x-amz-id-2")
    }
}

extension String {
    func caseInsensitiveEquals(_ other: String) -> Bool {
        let a = utf8, b = other.utf8
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { x, y in
            x == y || (x | 0x20 == y | 0x20 && (x | 0x20) >= 0x61 && (x | 0x20) <= 0x7A)
        }
    }
}
