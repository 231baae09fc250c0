/// Sends one HTTP request and returns the answer. Implementations never retry: retry policy lives
/// above them, where it is known whether the call mutates.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest, operation: String, timeouts: HTTPTimeouts) async throws(TransportError) -> HTTPResponse
}

public struct HTTPTimeouts: Sendable, Equatable {
    /// Time allowed to establish the connection (TCP and TLS).
    public var connect: Double
    /// Time allowed for the whole exchange.
    public var total: Double

    public init(connect: Double = 5, total: Double = 30) {
        self.connect = connect
        self.total = total
    }

    public static let standard = HTTPTimeouts()

    /// Reads BREAKGLASS_CONNECT_TIMEOUT and BREAKGLASS_TIMEOUT (seconds) over the defaults.
    public static func from(environment: AWSEnvironment) throws(AWSError) -> HTTPTimeouts {
        var t = HTTPTimeouts.standard
        for (name, path) in [("BREAKGLASS_CONNECT_TIMEOUT", \HTTPTimeouts.connect), ("BREAKGLASS_TIMEOUT", \HTTPTimeouts.total)] {
            guard let raw = environment[name] else { continue }
            guard let v = Double(raw), v > 0, v <= 3600 else {
                throw .configuration("\(name)=\(raw): expected a number of seconds between 0 and 3600")
            }
            t[keyPath: path] = v
        }
        return t
    }
}
