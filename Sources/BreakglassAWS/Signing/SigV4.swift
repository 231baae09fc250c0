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
        var lastKey: LastKey?
        var lastDate: LastDate?
    }

    /// The last signing state used and what it was made from; a class, so reading it under the lock
    /// costs one retain.
    private final class LastKey: Sendable {
        let entry: KeyCacheEntry
        let state: SigningState
        init(_ entry: KeyCacheEntry, _ state: SigningState) {
            self.entry = entry
            self.state = state
        }
    }

    private final class LastDate: Sendable {
        let second: Int64
        let stamp: AmzDate
        init(_ second: Int64, _ stamp: AmzDate) {
            self.second = second
            self.stamp = stamp
        }
    }

    /// The signing key, its scope (`day/region/service/aws4_request`), and the two SHA-256 states HMAC
    /// with it starts from: H(K^ipad ‖ ·) and H(K^opad ‖ ·) with the key's block already absorbed. A
    /// signature copies them (copy on write) instead of building an HMAC. Immutable once made; the box
    /// only tells the compiler so.
    struct SigningState: @unchecked Sendable {
        let key: SymmetricKey
        let scope: [UInt8]
        let inner: SHA256
        let outer: SHA256

        init(key bytes: [UInt8], scope: [UInt8]) {
            key = SymmetricKey(data: bytes)
            self.scope = scope
            var block = [UInt8](repeating: 0, count: 64)
            for (i, b) in bytes.enumerated() { block[i] = b }  // 32 bytes: shorter than a block
            var i = SHA256()
            i.update(data: block.map { $0 ^ 0x36 })
            var o = SHA256()
            o.update(data: block.map { $0 ^ 0x5C })
            inner = i
            outer = o
        }

        func mac(_ message: UnsafeRawBufferPointer) -> SHA256.Digest {
            var i = inner
            i.update(bufferPointer: message)
            let innerDigest = i.finalize()
            var o = outer
            innerDigest.withUnsafeBytes { o.update(bufferPointer: $0) }
            return o.finalize()
        }

        func mac(_ message: [UInt8]) -> SHA256.Digest {
            message.withUnsafeBytes { mac($0) }
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
    /// Bit n set when some unsigned header's name is n bytes long.
    private static let unsignedHeaderLengths: UInt64 = unsignedHeaders.reduce(0) { $0 | 1 << UInt64($1.utf8.count) }
    private static let contentSHA256Name: [UInt8] = Array("x-amz-content-sha256".utf8)
    /// Hex SHA-256 of the empty body (GETs and most reads).
    private static let emptyBodyHash: [UInt8] = Array("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".utf8)

    /// Signs `request` in place: sets `X-Amz-Date`, `Host` (if absent), `X-Amz-Security-Token` (with a
    /// session token) and `Authorization`.
    public func sign(
        _ request: inout HTTPRequest, credentials: AWSCredentials, region: String, service: String, date: Date
    ) {
        let (stamp, state) = stampAndState(date: date, secret: credentials.secretAccessKey, region: region, service: service)
        request.headers.reserveCapacity(request.headers.count + 4)  // one copy of the headers, not one per header added
        Self.replaceHeader(&request, "x-amz-date", "X-Amz-Date", stamp.full)
        if Self.firstHeader(request.headers, "host") == nil { request.headers.insert(HTTPHeader("Host", request.hostHeader), at: 0) }
        if let token = credentials.sessionToken { Self.replaceHeader(&request, "x-amz-security-token", "X-Amz-Security-Token", token) }
        let auth = Self.withCanonicalRequest(request) { canonical, signed in
            Self.authorization(
                canonical: canonical, signedHeaders: signed, accessKeyID: credentials.accessKeyID, stamp: stamp, state: state)
        }
        Self.replaceHeader(&request, "authorization", "Authorization", auth)
    }

    /// The Authorization value for a canonical request: `AWS4-HMAC-SHA256 Credential=AKID/scope,
    /// SignedHeaders=…, Signature=…`, written straight into the string's storage.
    private static func authorization(
        canonical: UnsafeBufferPointer<UInt8>, signedHeaders: Range<Int>, accessKeyID akid: String, stamp: AmzDate,
        state: SigningState
    ) -> String {
        let canonicalHash = sha256(UnsafeRawBufferPointer(canonical))
        let scope = state.scope
        let signature = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: stringToSignCount(stamp: stamp, scope: scope)) { buffer in
            var w = ByteWriter(buffer)
            writeStringToSign(&w, canonicalHash: canonicalHash, stamp: stamp, scope: scope)
            return state.mac(UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[..<w.count])))
        }
        let prefix = "AWS4-HMAC-SHA256 Credential="
        let middle = ", SignedHeaders="
        let suffix = ", Signature="
        let count = prefix.utf8.count + akid.utf8.count + 1 + scope.count + middle.utf8.count + signedHeaders.count
            + suffix.utf8.count + 64
        return String(unsafeUninitializedCapacity: count) { buffer in
            var w = ByteWriter(buffer)
            w.append(prefix)
            w.append(akid)
            w.append(UInt8(ascii: "/"))
            w.append(scope)
            w.append(middle)
            w.append(UnsafeBufferPointer(rebasing: canonical[signedHeaders]))
            w.append(suffix)
            w.appendHex(signature)
            return w.count
        }
    }

    /// X-Amz-Date for `date` and the signing state for the day, under one lock when both are the last
    /// ones used (the usual case: calls come in bursts).
    private func stampAndState(date: Date, secret: String, region: String, service: String) -> (AmzDate, SigningState) {
        let second = Int64(date.timeIntervalSince1970.rounded(.down))
        let hit = cache.withLock { cache -> (LastDate, LastKey?)? in
            guard let last = cache.lastDate, last.second == second else { return nil }
            if let k = cache.lastKey, k.entry.secret == secret, k.entry.day == last.stamp.day, k.entry.region == region,
                k.entry.service == service
            {
                return (last, k)
            }
            return (last, nil)
        }
        let stamp: AmzDate
        if let hit {
            if let key = hit.1 { return (hit.0.stamp, key.state) }
            stamp = hit.0.stamp
        } else {
            stamp = AmzDate(date)
            let last = LastDate(second, stamp)
            cache.withLock { $0.lastDate = last }
        }
        return (stamp, signingState(secret: secret, day: stamp.day, region: region, service: service))
    }

    static func stringToSignCount(stamp: AmzDate, scope: [UInt8]) -> Int {
        17 + stamp.full.utf8.count + 1 + scope.count + 1 + 64
    }

    static func writeStringToSign(_ w: inout ByteWriter, canonicalHash: SHA256.Digest, stamp: AmzDate, scope: [UInt8]) {
        w.append("AWS4-HMAC-SHA256\n")
        w.append(stamp.full)
        w.append(UInt8(ascii: "\n"))
        w.append(scope)
        w.append(UInt8(ascii: "\n"))
        w.appendHex(canonicalHash)
    }

    static func stringToSign(canonical: [UInt8], stamp: AmzDate, scope: [UInt8]) -> [UInt8] {
        let hash = canonical.withUnsafeBytes { Self.sha256($0) }
        let count = stringToSignCount(stamp: stamp, scope: scope)
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var w = ByteWriter(buffer)
            writeStringToSign(&w, canonicalHash: hash, stamp: stamp, scope: scope)
            initialized = w.count
        }
    }

    /// Index of the first header named `lowercased` (ASCII, lower case), ignoring case.
    static func firstHeader(_ headers: [HTTPHeader], _ lowercased: StaticString, after start: Int = -1) -> Int? {
        var i = start + 1
        while i < headers.count {
            if asciiEqualsLowercased(headers[i].name, lowercased) { return i }
            i += 1
        }
        return nil
    }

    @inline(__always)
    static func asciiEqualsLowercased(_ name: String, _ lowercased: StaticString) -> Bool {
        let n = lowercased.utf8CodeUnitCount
        guard name.utf8.count == n else { return false }
        let l = lowercased.utf8Start
        if let r = name.utf8.withContiguousStorageIfAvailable({ u -> Bool in
            for i in 0..<n where lowerASCII(u[i]) != l[i] { return false }
            return true
        }) {
            return r
        }
        var i = 0
        for b in name.utf8 {
            if lowerASCII(b) != l[i] { return false }
            i += 1
        }
        return true
    }

    @inline(__always) static func lowerASCII(_ b: UInt8) -> UInt8 {
        b &- UInt8(ascii: "A") < 26 ? b | 0x20 : b
    }

    /// Sets a header, keeping the position of the first existing one of that name (so a signed request
    /// prints in the order it was written) and dropping any repeats; appends it otherwise.
    static func replaceHeader(_ request: inout HTTPRequest, _ lowercased: StaticString, _ name: String, _ value: String) {
        guard let first = firstHeader(request.headers, lowercased) else {
            request.headers.append(HTTPHeader(name, value))
            return
        }
        request.headers[first].value = value
        guard firstHeader(request.headers, lowercased, after: first) != nil else { return }
        var i = request.headers.count - 1
        while i > first {
            if asciiEqualsLowercased(request.headers[i].name, lowercased) { request.headers.remove(at: i) }
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
            signedHeaders: String(decoding: canonical.bytes[canonical.signedHeaders], as: UTF8.self), scope: scope,
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
            cache.lastKey = LastKey(entry, state)
            return state
        }
        if let found { return found }
        func hmac(_ key: some ContiguousBytes, _ text: String) -> [UInt8] {
            Array(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: key)))
        }
        let kDate = hmac(Array(("AWS4" + secret).utf8), day)
        let kRegion = hmac(kDate, region)
        let kService = hmac(kRegion, service)
        let state = SigningState(key: hmac(kService, "aws4_request"), scope: Array("\(day)/\(region)/\(service)/aws4_request".utf8))
        cache.withLock { cache in
            // Keys for earlier days are never used again; keep the cache from growing without bound.
            if cache.keys.count > 64 { cache.keys.removeAll() }
            cache.keys[entry] = state
            cache.lastKey = LastKey(entry, state)
        }
        return state
    }

    /// A signed header: where its lower-cased name sits in the names scratch buffer, and which header
    /// it is.
    private struct HeaderEntry {
        var nameStart: Int
        var nameCount: Int
        var index: Int
    }

    /// SHA-256 of contiguous bytes, without the generic `DataProtocol` path of `SHA256.hash(data:)`.
    static func sha256(_ bytes: UnsafeRawBufferPointer) -> SHA256.Digest {
        var h = SHA256()
        h.update(bufferPointer: bytes)
        return h.finalize()
    }

    private static func bytesEqual(_ a: [UInt8], _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBufferPointer { a in
            guard let x = a.baseAddress, let y = b.baseAddress else { return true }
            return memcmp(x, y, a.count) == 0
        }
    }

    /// Whether a lower-cased name is one of `unsignedHeaders`; the length rules out most at once.
    private static func isUnsigned(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        guard name.count < 64, unsignedHeaderLengths & (1 << UInt64(name.count)) != 0 else { return false }
        return unsignedHeaderBytes.contains { bytesEqual($0, name) }
    }

    /// The canonical request as bytes, built in one buffer: method, canonical URI, canonical query,
    /// canonical headers, signed headers, payload hash (X-Amz-Content-Sha256 when set). Also returns
    /// where the signed-headers list sits in it.
    static func canonicalRequest(_ request: HTTPRequest) -> (bytes: [UInt8], signedHeaders: Range<Int>) {
        withCanonicalRequest(request) { bytes, signed in (Array(bytes), signed) }
    }

    /// Builds the canonical request in a temporary buffer (on the stack when small) and passes it, with
    /// where the signed-headers list sits in it, to `body`.
    static func withCanonicalRequest<R>(
        _ request: HTTPRequest, _ body: (UnsafeBufferPointer<UInt8>, Range<Int>) -> R
    ) -> R {
        let uri: String? = request.path == "/" || request.path.isEmpty ? nil : canonicalURI(request.path)
        let query: String? = request.query.isEmpty ? nil : canonicalQuery(request.query)
        let headers = request.headers
        var nameTotal = 0
        var valueTotal = 0
        for h in headers {
            nameTotal += h.name.utf8.count
            valueTotal += h.value.utf8.count
        }
        return withUnsafeTemporaryAllocation(of: HeaderEntry.self, capacity: max(headers.count, 1)) { entries in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(nameTotal, 1)) { names in
                // Lower-cased names into the scratch buffer; unsigned headers dropped.
                var entryCount = 0
                var namesUsed = 0
                var hasContentHash = false
                for (index, h) in headers.enumerated() {
                    let start = namesUsed
                    var w = ByteWriter(UnsafeMutableBufferPointer(rebasing: names[start...]))
                    w.appendLowercased(h.name)
                    let count = w.count
                    let name = UnsafeBufferPointer(rebasing: names[start..<(start + count)])
                    if isUnsigned(name) { continue }
                    if !hasContentHash, bytesEqual(contentSHA256Name, name) { hasContentHash = true }
                    namesUsed += count
                    entries[entryCount] = HeaderEntry(nameStart: start, nameCount: count, index: index)
                    entryCount += 1
                }
                // Stable insertion sort by name: repeats keep their order.
                func precedes(_ a: HeaderEntry, _ b: HeaderEntry) -> Bool {
                    let l = UnsafeBufferPointer(rebasing: names[a.nameStart..<(a.nameStart + a.nameCount)])
                    let r = UnsafeBufferPointer(rebasing: names[b.nameStart..<(b.nameStart + b.nameCount)])
                    return l.lexicographicallyPrecedes(r)
                }
                func sameName(_ a: HeaderEntry, _ b: HeaderEntry) -> Bool {
                    a.nameCount == b.nameCount
                        && UnsafeBufferPointer(rebasing: names[a.nameStart..<(a.nameStart + a.nameCount)])
                            .elementsEqual(UnsafeBufferPointer(rebasing: names[b.nameStart..<(b.nameStart + b.nameCount)]))
                }
                if entryCount > 1 {
                    for i in 1..<entryCount {
                        let e = entries[i]
                        var j = i
                        while j > 0, precedes(e, entries[j - 1]) {
                            entries[j] = entries[j - 1]
                            j -= 1
                        }
                        entries[j] = e
                    }
                }

                let capacity = request.method.utf8.count + 1 + (uri?.utf8.count ?? 1) + 1 + (query?.utf8.count ?? 0) + 1
                    + 2 * namesUsed + valueTotal + 3 * entryCount + 3 + (hasContentHash ? valueTotal : 64)
                return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
                    var w = ByteWriter(buffer)
                    w.append(request.method)
                    w.append(UInt8(ascii: "\n"))
                    if let uri { w.append(uri) } else { w.append(UInt8(ascii: "/")) }
                    w.append(UInt8(ascii: "\n"))
                    if let query { w.append(query) }
                    w.append(UInt8(ascii: "\n"))

                    var contentHash: Range<Int>?
                    for k in 0..<entryCount {
                        let e = entries[k]
                        if k > 0, sameName(entries[k - 1], e) {
                            w.append(UInt8(ascii: ","))
                        } else {
                            if k > 0 { w.append(UInt8(ascii: "\n")) }
                            w.append(UnsafeBufferPointer(rebasing: names[e.nameStart..<(e.nameStart + e.nameCount)]))
                            w.append(UInt8(ascii: ":"))
                        }
                        let valueStart = w.count
                        w.appendCollapsingSpaces(headers[e.index].value)
                        if hasContentHash, contentHash == nil,
                            bytesEqual(contentSHA256Name, UnsafeBufferPointer(rebasing: names[e.nameStart..<(e.nameStart + e.nameCount)]))
                        {
                            contentHash = valueStart..<w.count
                        }
                    }
                    if entryCount > 0 { w.append(UInt8(ascii: "\n")) }
                    w.append(UInt8(ascii: "\n"))
                    let signedStart = w.count
                    for k in 0..<entryCount {
                        let e = entries[k]
                        if k > 0 {
                            if sameName(entries[k - 1], e) { continue }
                            w.append(UInt8(ascii: ";"))
                        }
                        w.append(UnsafeBufferPointer(rebasing: names[e.nameStart..<(e.nameStart + e.nameCount)]))
                    }
                    let signedRange = signedStart..<w.count
                    w.append(UInt8(ascii: "\n"))
                    if let contentHash {
                        w.appendCopy(of: contentHash)
                    } else if request.body.isEmpty {
                        w.append(emptyBodyHash)
                    } else {
                        w.appendHex(request.body.withUnsafeBytes { Self.sha256($0) })
                    }
                    return body(UnsafeBufferPointer(rebasing: buffer[..<w.count]), signedRange)
                }
            }
        }
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
        // The canonical request of a GET / with these headers: its header block runs from after
        // "GET\n/\n\n" to the blank line before the signed-headers list.
        let (bytes, signed) = canonicalRequest(HTTPRequest(method: "GET", host: "", headers: headers))
        let headerStart = 7
        let headerEnd = signed.lowerBound - 1
        return (String(decoding: bytes[headerStart..<headerEnd], as: UTF8.self), String(decoding: bytes[signed], as: UTF8.self))
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

public enum Hex {
    static let lower: [UInt8] = Array("0123456789abcdef".utf8)
    static let upper: [UInt8] = Array("0123456789ABCDEF".utf8)

    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
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
