import Crypto
import Foundation
import Synchronization

/// AWS Signature Version 4 for every service except S3 (which signs paths differently; we never call it).
///
/// The signing key depends only on the secret, the day, the region and the service, so it is derived
/// once per combination and cached; a signature then costs one SHA-256 of the body, one of the
/// canonical request and a single HMAC.
public final class SigV4Signer: Sendable {
    private let keys = Mutex<[KeyCacheEntry: CachedKey]>([:])

    /// SymmetricKey is an immutable value; the box only tells the compiler it may cross threads.
    private struct CachedKey: @unchecked Sendable { let key: SymmetricKey }

    private struct KeyCacheEntry: Hashable {
        let secret: String
        let day: String
        let region: String
        let service: String
    }

    public init() {}

    /// Headers SDKs never sign: hop-by-hop or rewritten by proxies and clients.
    static let unsignedHeaders: Set<String> = ["authorization", "expect", "transfer-encoding", "user-agent", "x-amzn-trace-id", "content-length", "connection"]

    /// Signs `request` in place: sets `X-Amz-Date`, `Host` (if absent), `X-Amz-Security-Token` (with a
    /// session token) and `Authorization`.
    public func sign(
        _ request: inout HTTPRequest, credentials: AWSCredentials, region: String, service: String, date: Date
    ) {
        let stamp = AmzDate(date)
        request.setHeader("X-Amz-Date", stamp.full)
        if request.header("host") == nil { request.headers.insert(HTTPHeader("Host", request.hostHeader), at: 0) }
        if let token = credentials.sessionToken { request.setHeader("X-Amz-Security-Token", token) }
        let parts = signatureParts(request, credentials: credentials, region: region, service: service, stamp: stamp)
        request.setHeader(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(parts.scope), SignedHeaders=\(parts.signedHeaders), Signature=\(parts.signature)"
        )
    }

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
        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(request.headers)
        let payloadHash = request.header("x-amz-content-sha256") ?? Hex.encode(SHA256.hash(data: request.body))
        let canonical = [
            request.method,
            Self.canonicalURI(request.path),
            Self.canonicalQuery(request.query),
            canonicalHeaders,
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")
        let scope = "\(stamp.day)/\(region)/\(service)/aws4_request"
        let stringToSign = "AWS4-HMAC-SHA256\n\(stamp.full)\n\(scope)\n" + Hex.encode(SHA256.hash(data: Array(canonical.utf8)))
        let key = signingKey(secret: credentials.secretAccessKey, day: stamp.day, region: region, service: service)
        let signature = Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
        return Parts(canonicalRequest: canonical, stringToSign: stringToSign, signedHeaders: signedHeaders, scope: scope, signature: signature)
    }

    func signingKey(secret: String, day: String, region: String, service: String) -> SymmetricKey {
        let entry = KeyCacheEntry(secret: secret, day: day, region: region, service: service)
        if let cached = keys.withLock({ $0[entry] }) { return cached.key }
        func hmac(_ key: some ContiguousBytes, _ text: String) -> [UInt8] {
            Array(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: key)))
        }
        let kDate = hmac(Array(("AWS4" + secret).utf8), day)
        let kRegion = hmac(kDate, region)
        let kService = hmac(kRegion, service)
        let key = SymmetricKey(data: hmac(kService, "aws4_request"))
        let cached = CachedKey(key: key)
        keys.withLock { cache in
            // Keys for earlier days are never used again; keep the cache from growing without bound.
            if cache.count > 64 { cache.removeAll() }
            cache[entry] = cached
        }
        return key
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
        var byName: [String: [String]] = [:]
        var order: [String] = []
        for h in headers {
            let name = h.name.lowercased()
            if unsignedHeaders.contains(name) { continue }
            if byName[name] == nil { order.append(name) }
            byName[name, default: []].append(collapseSpaces(h.value))
        }
        order.sort()
        var canonical = ""
        for name in order {
            canonical += name + ":" + (byName[name] ?? []).joined(separator: ",") + "\n"
        }
        return (canonical, order.joined(separator: ";"))
    }

    static func collapseSpaces(_ value: String) -> String {
        var out = [UInt8]()
        var pendingSpace = false
        for b in value.utf8 {
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(0x20); pendingSpace = false }
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
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
