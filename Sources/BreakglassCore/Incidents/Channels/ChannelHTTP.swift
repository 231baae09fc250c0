import BreakglassAWS
import Foundation

/// Where an HTTP channel posts, checked before anything is sent: http or https only, a host, no
/// credentials in the URL (secrets belong in environment variables, and HTTPRequest would not send
/// them anyway). Problems are described without the URL, because a Slack webhook URL is a secret.
struct HTTPEndpoint {
    var scheme: String
    var host: String
    var port: Int?
    /// Wire form, percent-encoded; "/" when the URL has none.
    var path: String
    /// Wire form, without "?"; sent, never shown.
    var query: String

    struct Problem: Error {
        /// Completes "<the URL> ..." ("is not a URL", "uses ftp; only http and https are supported").
        let reason: String
    }

    init(_ raw: String) throws(Problem) {
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let c = URLComponents(string: text), let rawScheme = c.scheme else {
            throw Problem(reason: "is not a URL (expected http:// or https://)")
        }
        let scheme = rawScheme.lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw Problem(reason: "uses \(scheme):; only http and https are supported")
        }
        guard var host = c.host, !host.isEmpty else { throw Problem(reason: "has no host") }
        guard c.user == nil, c.password == nil else {
            throw Problem(reason: "carries a user name or password; put credentials in an environment variable, never in the URL")
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if let port = c.port, !(1...65535).contains(port) { throw Problem(reason: "has port \(port), outside 1-65535") }
        self.scheme = scheme
        self.host = host
        self.port = c.port
        self.path = c.percentEncodedPath.isEmpty ? "/" : c.percentEncodedPath
        self.query = c.percentEncodedQuery ?? ""
    }

    /// scheme://host[:port]/path: what a detail may show of a URL that is not secret. The query is
    /// left out because receivers put tokens there.
    var display: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(h)\(port.map { ":\($0)" } ?? "")\(path)"
    }

    /// A POST of `body`, over a connection of its own: libcurl silently re-sends a request whose
    /// reused connection turns out dead, and a page must not arrive twice.
    func post(_ body: [UInt8], headers: [HTTPHeader]) -> HTTPRequest {
        HTTPRequest(
            method: "POST", scheme: scheme, host: host, port: port, path: path, query: query, headers: headers, body: body,
            reuseConnection: false)
    }
}

/// How HTTP answers and failures become `DeliveryResult`s. `what` names the destination without a
/// secret ("the Slack webhook in $SLACK_ONCALL", "webhook https://hooks.example.com/page").
enum ChannelHTTP {
    static var userAgent: String { "breakglass/\(BreakglassVersion.string)" }

    /// The classification for Slack and generic webhooks, which do not deduplicate: 2xx delivered;
    /// 429 and 5xx answered, so certainly not acted on the way the sender wanted, and retryable;
    /// any other answer means the request itself is wrong and will be refused again.
    static func classify(_ response: HTTPResponse, what: String) -> DeliveryResult {
        let status = response.status
        if (200..<300).contains(status) { return .delivered(reference: nil) }
        let said = answerText(response).map { ": \($0)" } ?? ""
        if status == 429 || (500..<600).contains(status) {
            return .failed(detail: "\(what) answered HTTP \(status)\(said); not delivered, try again later", retryable: true)
        }
        return .failed(
            detail: "\(what) refused the page with HTTP \(status)\(said); sending it again will not help, check the channel's settings",
            retryable: false)
    }

    /// A transport failure of a receiver that does not deduplicate: when any byte went out, the
    /// receiver may have acted on it, so the page is unknown and never sent again.
    static func classify(_ error: TransportError, what: String) -> DeliveryResult {
        if error.requestMayHaveBeenSent {
            return .unknown(detail: "\(what): \(failure(error)) after the page was sent; it may have been delivered, so it was not sent again")
        }
        return .failed(detail: "\(what): \(failure(error)); the page was not sent, try again later", retryable: true)
    }

    /// What went wrong, in words, without `TransportError.description`, which contains the URL.
    static func failure(_ error: TransportError) -> String {
        let what: String = switch error.kind {
        case .cannotConnect: "could not connect"
        case .timedOut: "no answer in time"
        case .connectionLost: "the connection broke"
        case .tls: "TLS failed"
        case .cancelled: "cancelled"
        case .other: "the request failed"
        }
        // libcurl's messages name the host, rarely the URL; if one does, it must not show a query.
        let text = error.url.isEmpty ? error.detail : error.detail.replacingOccurrences(of: error.url, with: "the URL")
        let detail = PageWording.cut(PageWording.line(text), 200)
        return detail.isEmpty ? what : "\(what) (\(detail))"
    }

    /// A short, safe excerpt of what the receiver said, for a detail; nil when it said nothing.
    static func answerText(_ response: HTTPResponse) -> String? {
        let text = PageWording.cut(PageWording.line(String(decoding: response.body.prefix(600), as: UTF8.self)), 200)
        return text.isEmpty ? nil : text
    }

    static func send(_ transport: any HTTPTransport, _ request: HTTPRequest, operation: String, timeouts: HTTPTimeouts)
        async -> Result<HTTPResponse, TransportError>
    {
        do {
            return .success(try await transport.send(request, operation: operation, timeouts: timeouts))
        } catch {
            return .failure(error)
        }
    }
}
