import Crypto

/// Appends bytes to a buffer whose size was worked out beforehand: no reallocation, no uniqueness
/// checks per byte. Every write is bounds-checked, so a wrong size traps instead of overrunning.
struct ByteWriter {
    private let base: UnsafeMutablePointer<UInt8>?
    private let capacity: Int
    private(set) var count = 0

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        base = buffer.baseAddress
        capacity = buffer.count
    }

    @inline(__always)
    private func reserve(_ n: Int) -> UnsafeMutablePointer<UInt8>? {
        precondition(n <= capacity - count, "ByteWriter: buffer too small")
        return base.map { $0 + count }
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        guard let p = reserve(1) else { return }
        p.pointee = byte
        count += 1
    }

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, let p = reserve(bytes.count) else { return }
        p.update(from: source, count: bytes.count)
        count += bytes.count
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    mutating func append(_ text: String) {
        if text.utf8.withContiguousStorageIfAvailable({ append($0) }) == nil {
            for b in text.utf8 { append(b) }
        }
    }

    /// Copies bytes already written (`range` must lie before `count`).
    mutating func appendCopy(of range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= count)
        guard let base, let p = reserve(range.count) else { return }
        p.update(from: base + range.lowerBound, count: range.count)
        count += range.count
    }

    /// ASCII upper case folded to lower case; other bytes as they are.
    mutating func appendLowercased(_ text: String) {
        func fold(_ u: UnsafeBufferPointer<UInt8>) {
            guard let p = reserve(u.count) else { return }
            for i in 0..<u.count {
                let b = u[i]
                p[i] = b &- UInt8(ascii: "A") < 26 ? b | 0x20 : b
            }
            count += u.count
        }
        if text.utf8.withContiguousStorageIfAvailable(fold) == nil {
            Array(text.utf8).withUnsafeBufferPointer(fold)
        }
    }

    /// Leading and trailing white space (space, tab, CR, LF) dropped, inner runs written as one space.
    mutating func appendCollapsingSpaces(_ text: String) {
        func collapse(_ u: UnsafeBufferPointer<UInt8>) {
            guard let p = reserve(u.count), let source = u.baseAddress else { return }
            // Output never runs ahead of input (a space written stands for white space read), so an
            // 8-byte store at `n` stays inside the `u.count` bytes reserved while `i + 8 <= u.count`.
            var n = 0
            var i = 0
            var pendingSpace = false
            while i < u.count {
                if i + 8 <= u.count {
                    let word = UnsafeRawPointer(source + i).loadUnaligned(as: UInt64.self)
                    // Is any byte below 0x21? (Exact as a yes/no test.) If not, none is white space.
                    let low = (word &- 0x2121_2121_2121_2121) & ~word & 0x8080_8080_8080_8080
                    if low == 0 {
                        if pendingSpace {
                            p[n] = 0x20
                            n += 1
                            pendingSpace = false
                        }
                        UnsafeMutableRawPointer(p + n).storeBytes(of: word, as: UInt64.self)
                        n += 8
                        i += 8
                        continue
                    }
                }
                let end = min(i + 8, u.count)
                while i < end {
                    let b = source[i]
                    if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D {
                        pendingSpace = n > 0
                    } else {
                        if pendingSpace {
                            p[n] = 0x20
                            n += 1
                            pendingSpace = false
                        }
                        p[n] = b
                        n += 1
                    }
                    i += 1
                }
            }
            count += n
        }
        if text.utf8.withContiguousStorageIfAvailable(collapse) == nil {
            Array(text.utf8).withUnsafeBufferPointer(collapse)
        }
    }

    mutating func appendHex(_ digest: SHA256.Digest) {
        digest.withUnsafeBytes { bytes in
            guard let p = reserve(bytes.count * 2) else { return }
            for i in 0..<bytes.count {
                let b = bytes[i]
                p[2 * i] = Self.hexDigit(b >> 4)
                p[2 * i + 1] = Self.hexDigit(b & 0xF)
            }
            count += bytes.count * 2
        }
    }

    @inline(__always)
    static func hexDigit(_ n: UInt8) -> UInt8 { n < 10 ? n &+ 0x30 : n &+ 0x57 }
}
