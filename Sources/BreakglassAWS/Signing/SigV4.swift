import Crypto
import Foundation
import Synchronization

/// AWS Signature Version 4 for every service except S3 (which signs paths differently; we never call it).
///
/// The signing key depends only on the secret, the day, the region and the service, so it is derived
/// once per combination and cached with its HMAC pad states; a signature then costs one SHA-256 of
/// the body, one of the canonical request (built as bytes in one buffer) and a single HMAC.
public final class SigV4Signer: Sendable {
    private let cache = Mutex(Cache())

    private struct Cache {
        var keys: [KeyCacheEntry: SigningState] = [:]
        var lastKey: (entry: KeyCacheEntry, state: SigningState)?
        var lastDate: (second: Int64, stamp: AmzDate)?
    }

    /// The signing key, and the two SHA-256 states HMAC with it starts from: H(K^ipad ‖ ·) and
    /// H(K^opad ‖ ·) with the key's block already absorbed. A signature copies them (copy on write)
    /// instead of building an HMAC. Immutable once made; the box only tells the compiler so.
    struct SigningState: @unchecked Sendable {
        let key: SymmetricKey
        let inner: SHA256
        let outer: SHA256

        init(key bytes: [UInt8]) {
            key = SymmetricKey(data: bytes)
            var block = [UInt8](repeating: 0, count: 64)
            for (i, b) in bytes.enumerated() { block[i] = b }  // 32 bytes: shorter than a block
            var i = SHA256()
            i.update(data: block.map { $0 ^ 0x36 })
            var o = SHA256()
            o.update(data: block.map { $0 ^ 0x5C })
            inner = i
            outer = o
        }

        func mac(_ message: [UInt8]) -> SHA256.Digest {
            var i = inner
            i.update(data: message)
            let innerDigest = i.finalize()
            var o = outer
            innerDigest.withUnsafeBytes { o.update(bufferPointer: $0) }
            return o.finalize()
        }
    }

    private struct KeyCacheEntry: Hashable {
        let secret: String
        let day: String
        let region: String
        let service: String
    }

    public init() {}

    /// Headers SDKs never sign: hop-by-hop or rewritten by proxies and clients.
    static let unsignedHeaders: Set<String> = ["authorization", "expect", "transfer-encoding", "user-agent", "x-amzn-trace-id", "content-length", "connection"]
    private static let unsignedHeaderBytes: [[UInt8]] = unsignedHeaders.map { Array($0.utf8) }

    /// Signs `request` in place: sets `X-Amz-Date`, `Host` (if absent), `X-Amz-Security-Token` (with a
    /// session token) and `Authorization`.
    public func sign(
        _ request: inout HTTPRequest, credentials: AWSCredentials, region: String, service: String, date: Date
    ) {
        let stamp = amzDate(date)
        Self.replaceHeader(&request, "X-Amz-Date", stamp.full)
        if request.header("host") == nil { request.headers.insert(HTTPHeader("Host", request.hostHeader), at: 0) }
        if let token = credentials.sessionToken { Self.replaceHeader(&request, "X-Amz-Security-Token", token) }
        let canonical = Self.canonicalRequest(request)
        let scope = Array("\(stamp.day)/\(region)/\(service)/aws4_request".utf8)
        let state = signingState(secret: credentials.secretAccessKey, day: stamp.day, region: region, service: service)
        let signature = state.mac(Self.stringToSign(canonical: canonical.bytes, stamp: stamp, scope: scope))
        var auth = [UInt8]()
        auth.reserveCapacity(200 + canonical.signedHeaders.count)
        auth.append(contentsOf: "AWS4-HMAC-SHA256 Credential=".utf8)
        auth.append(contentsOf: credentials.accessKeyID.utf8)
        auth.append(UInt8(ascii: "/"))
        auth.append(contentsOf: scope)
        auth.append(contentsOf: ", SignedHeaders=".utf8)
        auth.append(contentsOf: canonical.signedHeaders)
        auth.append(contentsOf: ", Signature=".utf8)
        Hex.append(signature, to: &auth)
        Self.replaceHeader(&request, "Authorization", String(decoding: auth, as: UTF8.self))
    }

    /// X-Amz-Date for `date`; the last second's is kept, since calls come in bursts.
    func amzDate(_ date: Date) -> AmzDate {
        let second = Int64(date.timeIntervalSince1970.rounded(.down))
        if let last = cache.withLock({ $0.lastDate }), last.second == second { return last.stamp }
        let stamp = AmzDate(date)
        cache.withLock { $0.lastDate = (second, stamp) }
        return stamp
    }

    static func stringToSign(canonical: [UInt8], stamp: AmzDate, scope: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(128 + scope.count)
        out.append(contentsOf: "AWS4-HMAC-SHA256\n".utf8)
        out.append(contentsOf: stamp.full.utf8)
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: scope)
        out.append(UInt8(ascii: "\n"))
        Hex.append(SHA256.hash(data: canonical), to: &out)
        return out
    }

    /// Sets a header, keeping the position of the first existing one of that name (so a signed request
    /// prints in the order it was written) and dropping any repeats; appends it otherwise.
    static func replaceHeader(_ request: inout HTTPRequest, _ name: String, _ value: String) {
        guard let first = request.headers.firstIndex(where: { $0.name.caseInsensitiveEquals(name) }) else {
            request.headers.append(HTTPHeader(name, value))
            return
        }
        request.headers[first].value = value
        var i = request.headers.count - 1
        while i > first {
            if request.headers[i].name.caseInsensitiveEquals(name) { request.headers.remove(at: i) }
            i -= 1
        }
    }

    /// Parses the `YYYYMMDDTHHMMSSZ` form of X-Amz-Date.
    public static func parseAmzDate(_ text: String) -> Date? { AmzDate.parse(text) }

    /// What went into a signature, for tests and for `aws sign --verbose`.
    public struct Parts: Sendable {
        public let canonicalRequest: String
        public let stringToSign: String
        public let signedHeaders: String
        public let scope: String
        public let signature: String
    }

    /// Computes the parts of a signature over `request` as it stands (X-Amz-Date must already be set,
    /// or is taken from `date`).
    public func signatureParts(
        _ request: HTTPRequest, credentials: AWSCredentials, region: String, service: String, date: Date
    ) -> Parts {
        signatureParts(request, credentials: credentials, region: region, service: service, stamp: AmzDate(date))
    }

    func signatureParts(
        _ request: HTTPRequest, credentials: AWSCredentials, region: String, service: String, stamp: AmzDate
    ) -> Parts {
        let canonical = Self.canonicalRequest(request)
        let scope = "\(stamp.day)/\(region)/\(service)/aws4_request"
        let stringToSign = Self.stringToSign(canonical: canonical.bytes, stamp: stamp, scope: Array(scope.utf8))
        let state = signingState(secret: credentials.secretAccessKey, day: stamp.day, region: region, service: service)
        return Parts(
            canonicalRequest: String(decoding: canonical.bytes, as: UTF8.self),
            stringToSign: String(decoding: stringToSign, as: UTF8.self),
            signedHeaders: String(decoding: canonical.signedHeaders, as: UTF8.self), scope: scope,
            signature: Hex.encode(state.mac(stringToSign)))
    }

    func signingKey(secret: String, day: String, region: String, service: String) -> SymmetricKey {
        signingState(secret: secret, day: day, region: region, service: service).key
    }

    private func signingState(secret: String, day: String, region: String, service: String) -> SigningState {
        let entry = KeyCacheEntry(secret: secret, day: day, region: region, service: service)
        let found = cache.withLock { cache -> SigningState? in
            if let last = cache.lastKey, last.entry == entry { return last.state }
            guard let state = cache.keys[entry] else { return nil }
            cache.lastKey = (entry, state)
            return state
        }
        if let found { return found }
        func hmac(_ key: some ContiguousBytes, _ text: String) -> [UInt8] {
            Array(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: key)))
        }
        let kDate = hmac(Array(("AWS4" + secret).utf8), day)
        let kRegion = hmac(kDate, region)
        let kService = hmac(kRegion, service)
        let state = SigningState(key: hmac(kService, "aws4_request"))
        cache.withLock { cache in
            // Keys for earlier days are never used again; keep the cache from growing without bound.
            if cache.keys.count > 64 { cache.keys.removeAll() }
            cache.keys[entry] = state
            cache.lastKey = (entry, state)
        }
        return state
    }

    /// The canonical request as bytes, built in one buffer: method, canonical URI, canonical query,
    /// canonical headers, signed headers, payload hash (X-Amz-Content-Sha256 when set).
    static func canonicalRequest(_ request: HTTPRequest) -> (bytes: [UInt8], signedHeaders: [UInt8]) {
        var out = [UInt8]()
        out.reserveCapacity(256 + request.path.utf8.count + request.query.utf8.count)
        out.append(contentsOf: request.method.utf8)
        out.append(UInt8(ascii: "\n"))
        if request.path == "/" || request.path.isEmpty {
            out.append(UInt8(ascii: "/"))
        } else {
            out.append(contentsOf: canonicalURI(request.path).utf8)
        }
        out.append(UInt8(ascii: "\n"))
        if !request.query.isEmpty { out.append(contentsOf: canonicalQuery(request.query).utf8) }
        out.append(UInt8(ascii: "\n"))

        let (signed, contentHash) = appendCanonicalHeaders(request.headers, to: &out)
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: signed)
        out.append(UInt8(ascii: "\n"))
        if let contentHash {
            out.append(contentsOf: contentHash)
        } else {
            Hex.append(SHA256.hash(data: request.body), to: &out)
        }
        return (out, signed)
    }

    /// Lower-cased names, sorted (stable, so repeats keep their order); values trimmed and inner runs
    /// of white space collapsed; repeats joined with commas. Returns the signed-headers list and the
    /// X-Amz-Content-Sha256 value, if any.
    static func appendCanonicalHeaders(_ headers: [HTTPHeader], to out: inout [UInt8]) -> (signed: [UInt8], contentHash: [UInt8]?) {
        var entries: [(name: [UInt8], value: [UInt8])] = []
        entries.reserveCapacity(headers.count)
        var contentHash: [UInt8]?
        for h in headers {
            var name = Array(h.name.utf8)
            for i in name.indices where name[i] >= UInt8(ascii: "A") && name[i] <= UInt8(ascii: "Z") { name[i] |= 0x20 }
            if unsignedHeaderBytes.contains(name) { continue }
            let value = collapsedSpaces(h.value.utf8)
            if contentHash == nil, name.elementsEqual("x-amz-content-sha256".utf8) { contentHash = value }
            entries.append((name, value))
        }
        var order = Array(entries.indices)
        order.sort { a, b in
            let l = entries[a].name, r = entries[b].name
            return l == r ? a < b : l.lexicographicallyPrecedes(r)
        }
        var signed = [UInt8]()
        signed.reserveCapacity(order.count * 16)
        var previous: [UInt8]?
        for i in order {
            let e = entries[i]
            if let p = previous, p == e.name {
                out.append(UInt8(ascii: ","))
            } else {
                if previous != nil {
                    out.append(UInt8(ascii: "\n"))
                    signed.append(UInt8(ascii: ";"))
                }
                out.append(contentsOf: e.name)
                out.append(UInt8(ascii: ":"))
                signed.append(contentsOf: e.name)
                previous = e.name
            }
            out.append(contentsOf: e.value)
        }
        if previous != nil { out.append(UInt8(ascii: "\n")) }
        return (signed, contentHash)
    }

    static func collapsedSpaces(_ value: some Sequence<UInt8>) -> [UInt8] {
        var out = [UInt8]()
        var pendingSpace = false
        for b in value {
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(0x20); pendingSpace = false }
                out.append(b)
            }
        }
        return out
    }

    // MARK: - Canonical forms

    /// RFC 3986 unreserved characters stay; everything else is %XX with upper-case hex.
    static func uriEncode(_ s: some Sequence<UInt8>, keepSlash: Bool) -> String {
        var out = [UInt8]()
        for b in s {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.append(b)
            case UInt8(ascii: "/") where keepSlash:
                out.append(b)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(Hex.upper[Int(b >> 4)])
                out.append(Hex.upper[Int(b & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes %XX escapes (and, for form-style query strings, `+` as a space).
    static func percentDecode(_ s: Substring, plusIsSpace: Bool) -> [UInt8] {
        var out = [UInt8]()
        let u = Array(s.utf8)
        var i = 0
        while i < u.count {
            let b = u[i]
            if b == UInt8(ascii: "%"), i + 2 < u.count, let h = Hex.value(u[i + 1]), let l = Hex.value(u[i + 2]) {
                out.append(h << 4 | l)
                i += 3
            } else if b == UInt8(ascii: "+"), plusIsSpace {
                out.append(0x20)
                i += 1
            } else {
                out.append(b)
                i += 1
            }
        }
        return out
    }

    /// Non-S3 canonical URI: dot segments removed, empty segments collapsed, then each segment
    /// URI-encoded again (a `%20` on the wire signs as `%2520`).
    static func canonicalURI(_ path: String) -> String {
        if path.isEmpty { return "/" }
        var segments: [Substring] = []
        for seg in path.split(separator: "/", omittingEmptySubsequences: true) {
            if seg == "." { continue }
            if seg == ".." { if !segments.isEmpty { segments.removeLast() }; continue }
            segments.append(seg)
        }
        var out = "/" + segments.map { uriEncode($0.utf8, keepSlash: false) }.joined(separator: "/")
        if path.hasSuffix("/") && !segments.isEmpty { out += "/" }
        return out
    }

    /// Names and values decoded, re-encoded strictly, then sorted by name and value.
    static func canonicalQuery(_ query: String) -> String {
        if query.isEmpty { return "" }
        var pairs: [(String, String)] = []
        for item in query.split(separator: "&", omittingEmptySubsequences: true) {
            let (name, value): (Substring, Substring)
            if let eq = item.firstIndex(of: "=") {
                name = item[..<eq]
                value = item[item.index(after: eq)...]
            } else {
                name = item
                value = ""
            }
            pairs.append((
                uriEncode(percentDecode(name, plusIsSpace: false), keepSlash: false),
                uriEncode(percentDecode(value, plusIsSpace: false), keepSlash: false)
            ))
        }
        pairs.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        return pairs.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// Lower-cased names, sorted; values trimmed with inner runs of spaces collapsed; repeated headers
    /// joined with commas in the order they appear.
    static func canonicalHeaders(_ headers: [HTTPHeader]) -> (canonical: String, signed: String) {
        var out = [UInt8]()
        let (signed, _) = appendCanonicalHeaders(headers, to: &out)
        return (String(decoding: out, as: UTF8.self), String(decoding: signed, as: UTF8.self))
    }

    static func collapseSpaces(_ value: String) -> String {
        String(decoding: collapsedSpaces(value.utf8), as: UTF8.self)
    }
}

/// The two date forms SigV4 uses, made without a DateFormatter (which is slow and locale-bound).
struct AmzDate {
    let full: String  // 20150830T123600Z
    let day: String  // 20150830

    init(_ date: Date) {
        let t = UTCTime.Fields(date)
        day = "\(t.year)\(t.month2)\(t.day2)"
        full = "\(day)T\(t.hour2)\(t.minute2)\(t.second2)Z"
    }

    /// Parses `YYYYMMDDTHHMMSSZ`.
    static func parse(_ s: String) -> Date? {
        let u = Array(s.utf8)
        guard u.count == 16, u[8] == UInt8(ascii: "T"), u[15] == UInt8(ascii: "Z") else { return nil }
        func num(_ r: Range<Int>) -> Int32? { Int32(String(decoding: u[r], as: UTF8.self)) }
        guard let y = num(0..<4), let mo = num(4..<6), let d = num(6..<8), let h = num(9..<11), let mi = num(11..<13), let se = num(13..<15),
            let epoch = UTCTime.epoch(year: y, month: mo, day: d, hour: h, minute: mi, second: se)
        else { return nil }
        return Date(timeIntervalSince1970: epoch)
    }
}

enum Hex {
    static let lower: [UInt8] = Array("0123456789abcdef".utf8)
    static let upper: [UInt8] = Array("0123456789ABCDEF".utf8)

    static func append(_ bytes: some Sequence<UInt8>, to out: inout [UInt8]) {
        for b in bytes {
            out.append(lower[Int(b >> 4)])
            out.append(lower[Int(b & 0xF)])
        }
    }

    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in bytes {
            out.append(lower[Int(b >> 4)])
            out.append(lower[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func value(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
