import CCurl
import Foundation
import Synchronization

/// HTTP over libcurl. Easy handles are pooled, so connections (and TLS sessions) are reused across
/// calls; each transfer runs on a background thread, never the caller's; cancelling the calling task
/// aborts the transfer at curl's next progress check. TLS verification stays on; AWS_CA_BUNDLE
/// names extra roots; HTTPS_PROXY / NO_PROXY are honoured by libcurl itself.
public final class CurlTransport: HTTPTransport {
    private let pool = Mutex<[Handle]>([])
    private let caBundle: String?
    private static let maxPooled = 8

    private struct Handle: @unchecked Sendable {
        // A CURL easy handle is used by one transfer at a time: it is either in the pool or owned by
        // exactly one running transfer.
        let raw: UnsafeMutableRawPointer
    }

    private static let globalInit: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    public init(caBundle: String? = nil) {
        _ = Self.globalInit
        self.caBundle = caBundle
    }

    deinit {
        for h in pool.withLock({ $0 }) { curl_easy_cleanup(h.raw) }
    }

    public func send(_ request: HTTPRequest, operation: String, timeouts: HTTPTimeouts) async throws(TransportError) -> HTTPResponse {
        let transfer = Transfer()
        let result: Result<HTTPResponse, TransportError> = await withTaskCancellationHandler {
            await withCheckedContinuation { (cont: CheckedContinuation<Result<HTTPResponse, TransportError>, Never>) in
                let job = Job(transport: self, request: request, operation: operation, timeouts: timeouts, transfer: transfer)
                DispatchQueue.global(qos: .userInitiated).async {
                    cont.resume(returning: job.run())
                }
            }
        } onCancel: {
            transfer.cancelled.store(true, ordering: .relaxed)
        }
        return try result.get()
    }

    private struct Job: @unchecked Sendable {
        let transport: CurlTransport
        let request: HTTPRequest
        let operation: String
        let timeouts: HTTPTimeouts
        let transfer: Transfer

        func run() -> Result<HTTPResponse, TransportError> {
            transport.perform(request, operation: operation, timeouts: timeouts, transfer: transfer)
        }
    }

    private func checkout() -> Handle? {
        if let h = pool.withLock({ $0.popLast() }) { return h }
        guard let raw = curl_easy_init() else { return nil }
        return Handle(raw: raw)
    }

    private func checkin(_ h: Handle) {
        curl_easy_reset(h.raw)
        let keep = pool.withLock { pool -> Bool in
            guard pool.count < Self.maxPooled else { return false }
            pool.append(h)
            return true
        }
        if !keep { curl_easy_cleanup(h.raw) }
    }

    private func perform(_ request: HTTPRequest, operation: String, timeouts: HTTPTimeouts, transfer: Transfer) -> Result<HTTPResponse, TransportError> {
        let url = request.url
        func fail(_ kind: TransportError.Kind, sent: Bool, _ detail: String) -> Result<HTTPResponse, TransportError> {
            .failure(TransportError(kind: kind, operation: operation, url: url, requestMayHaveBeenSent: sent, detail: detail))
        }
        if transfer.cancelled.load(ordering: .relaxed) { return fail(.cancelled, sent: false, "cancelled before sending") }
        guard let handle = checkout() else { return fail(.other, sent: false, "libcurl could not create a handle") }
        defer { checkin(handle) }
        let h = handle.raw

        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for header in request.headers where !header.name.caseInsensitiveEquals("content-length") {
            headerList = curl_slist_append(headerList, "\(header.name): \(header.value)")
        }
        // We sign ourselves; curl must not add headers that change the request's meaning.
        headerList = curl_slist_append(headerList, "Expect:")
        headerList = curl_slist_append(headerList, "Accept:")
        if request.header("content-type") == nil { headerList = curl_slist_append(headerList, "Content-Type:") }

        let unmanaged = Unmanaged.passRetained(transfer)
        defer { unmanaged.release() }
        let context = unmanaged.toOpaque()

        var ok = true
        func set(_ code: CURLcode) { if code != CURLE_OK { ok = false } }
        set(bg_curl_setopt_string(h, CURLOPT_URL, url))
        set(bg_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1))
        set(bg_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, Int(timeouts.connect * 1000)))
        set(bg_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, Int(timeouts.total * 1000)))
        set(bg_curl_setopt_long(h, CURLOPT_FOLLOWLOCATION, 0))
        set(bg_curl_setopt_long(h, CURLOPT_TCP_KEEPALIVE, 1))
        if !request.reuseConnection {
            // libcurl re-sends a request (POST body included) when a reused connection turns out to
            // be dead before any answer arrives. A write gets a connection of its own, used once.
            set(bg_curl_setopt_long(h, CURLOPT_FRESH_CONNECT, 1))
            set(bg_curl_setopt_long(h, CURLOPT_FORBID_REUSE, 1))
        }
        set(bg_curl_setopt_string(h, CURLOPT_PROTOCOLS_STR, "http,https"))
        set(bg_curl_setopt_string(h, CURLOPT_USERAGENT, "breakglass/\(BreakglassVersion.string)"))
        set(bg_curl_setopt_string(h, CURLOPT_ACCEPT_ENCODING, ""))
        set(bg_curl_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 1))
        set(bg_curl_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 2))
        if let caBundle { set(bg_curl_setopt_string(h, CURLOPT_CAINFO, caBundle)) }
        set(bg_curl_setopt_slist(h, CURLOPT_HTTPHEADER, headerList))
        set(bg_curl_setopt_write_function(h, CURLOPT_WRITEFUNCTION, curlWriteBody))
        set(bg_curl_setopt_pointer(h, CURLOPT_WRITEDATA, context))
        set(bg_curl_setopt_write_function(h, CURLOPT_HEADERFUNCTION, curlWriteHeader))
        set(bg_curl_setopt_pointer(h, CURLOPT_HEADERDATA, context))
        set(bg_curl_setopt_long(h, CURLOPT_NOPROGRESS, 0))
        set(bg_curl_setopt_xferinfo_function(h, curlProgress))
        set(bg_curl_setopt_pointer(h, CURLOPT_XFERINFODATA, context))
        set(bg_curl_setopt_pointer(h, CURLOPT_ERRORBUFFER, transfer.errorBuffer))

        switch request.method {
        case "GET": set(bg_curl_setopt_long(h, CURLOPT_HTTPGET, 1))
        case "HEAD": set(bg_curl_setopt_long(h, CURLOPT_NOBODY, 1))
        default:
            if request.method != "POST" { set(bg_curl_setopt_string(h, CURLOPT_CUSTOMREQUEST, request.method)) }
            set(bg_curl_setopt_long(h, CURLOPT_POST, 1))
            set(bg_curl_setopt_off(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
            request.body.withUnsafeBytes { buf in
                // COPYPOSTFIELDS copies, so the body need not outlive this call.
                set(bg_curl_setopt_pointer(h, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: buf.baseAddress ?? UnsafeRawPointer(bitPattern: 1))))
            }
        }
        guard ok else { return fail(.other, sent: false, "libcurl rejected an option (is libcurl older than 7.85?)") }

        let code = curl_easy_perform(h)
        var requestSize = 0
        bg_curl_getinfo_long(h, CURLINFO_REQUEST_SIZE, &requestSize)
        let sent = requestSize > 0
        if code != CURLE_OK {
            let detail = transfer.errorMessage.isEmpty ? String(cString: curl_easy_strerror(code)) : transfer.errorMessage
            switch code {
            case CURLE_ABORTED_BY_CALLBACK: return fail(.cancelled, sent: sent, "cancelled")
            case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
                return fail(.cannotConnect, sent: false, detail)
            case CURLE_OPERATION_TIMEDOUT:
                var connectTime = 0.0
                bg_curl_getinfo_double(h, CURLINFO_CONNECT_TIME, &connectTime)
                return connectTime == 0 && !sent
                    ? fail(.cannotConnect, sent: false, "connect timed out after \(Self.seconds(timeouts.connect)) (\(detail))")
                    : fail(.timedOut, sent: sent, "no complete answer within \(Self.seconds(timeouts.total)) (\(detail))")
            case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
                CURLE_SSL_CACERT_BADFILE:
                return fail(.tls, sent: false, detail)
            case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE:
                return fail(.connectionLost, sent: sent, detail)
            default:
                return fail(.other, sent: sent, detail)
            }
        }
        var status = 0
        bg_curl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
        return .success(HTTPResponse(status: status, headers: transfer.headers, body: transfer.body))
    }

    static func seconds(_ s: Double) -> String {
        s == s.rounded() ? "\(Int(s))s" : String(format: "%.1fs", s)
    }
}

/// State shared with libcurl's callbacks for one transfer. Only the transfer's thread touches `body`
/// and `headers`; `cancelled` is set from the cancelling task.
final class Transfer: @unchecked Sendable {
    var body: [UInt8] = []
    var headers: [HTTPHeader] = []
    let cancelled = Atomic<Bool>(false)
    let errorBuffer: UnsafeMutablePointer<CChar>

    init() {
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit { errorBuffer.deallocate() }

    var errorMessage: String {
        var s = String(cString: errorBuffer)
        while s.hasSuffix("\n") { s.removeLast() }
        return s
    }
}

private func curlWriteBody(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let data, let context else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    let n = size * count
    data.withMemoryRebound(to: UInt8.self, capacity: n) { transfer.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: n)) }
    return n
}

private func curlWriteHeader(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let data, let context else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    let n = size * count
    let line = data.withMemoryRebound(to: UInt8.self, capacity: n) { String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self) }
    if line.hasPrefix("HTTP/") {
        transfer.headers.removeAll()  // a new response (after 100 Continue or a redirect) starts over
    } else if let colon = line.firstIndex(of: ":") {
        let name = String(line[..<colon]).trimmingSpaces()
        var value = String(line[line.index(after: colon)...]).trimmingSpaces()
        // "\r\n" is one Character in Swift, so look at the scalars: hasSuffix("\r") never matched it.
        while let last = value.unicodeScalars.last, last == "\r" || last == "\n" { value.unicodeScalars.removeLast() }
        transfer.headers.append(HTTPHeader(name, value.trimmingSpaces()))
    }
    return n
}

private func curlProgress(_ context: UnsafeMutableRawPointer?, _ a: curl_off_t, _ b: curl_off_t, _ c: curl_off_t, _ d: curl_off_t) -> Int32 {
    guard let context else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
    return transfer.cancelled.load(ordering: .relaxed) ? 1 : 0
}
