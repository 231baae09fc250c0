import BreakglassAWS
import Foundation
import Synchronization

/// An HTTP transport that answers from a script and records every request, for testing client logic
/// (pagination, error decoding) without a server. Tests that talk AWS use moto_server instead.
public final class ScriptedTransport: HTTPTransport {
    private let state: Mutex<(answers: [Result<HTTPResponse, TransportError>], requests: [HTTPRequest])>

    public init(_ answers: [Result<HTTPResponse, TransportError>]) {
        state = Mutex((answers, []))
    }

    public var requests: [HTTPRequest] { state.withLock { $0.requests } }

    public func send(_ request: HTTPRequest, operation: String, timeouts: HTTPTimeouts) async throws(TransportError) -> HTTPResponse {
        let next: Result<HTTPResponse, TransportError>? = state.withLock { s in
            s.requests.append(request)
            return s.answers.isEmpty ? nil : s.answers.removeFirst()
        }
        guard let next else {
            throw TransportError(kind: .other, operation: operation, url: request.url, requestMayHaveBeenSent: false, detail: "script ran out of answers")
        }
        return try next.get()
    }

    /// A 200 answer with a JSON body.
    public static func json(_ body: String, requestID: String = "req-test") -> Result<HTTPResponse, TransportError> {
        .success(HTTPResponse(status: 200, headers: [HTTPHeader("x-amzn-RequestId", requestID)], body: Array(body.utf8)))
    }
}
