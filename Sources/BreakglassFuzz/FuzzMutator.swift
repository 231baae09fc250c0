import BreakglassCore
/// Seeded mutations of corpus inputs, for the property tests `make test` runs (docs/FUZZING.md):
/// truncations, bit flips, byte inserts and deletes, dictionary tokens and copied ranges, as libFuzzer
/// would make them, but deterministic, so a failure reproduces from its seed.
public struct FuzzMutator {
    /// SplitMix64 (BreakglassCore): small, fast and good enough to choose mutations.
    public typealias Random = SplitMix64

    public var random: Random
    /// Tokens to insert (the entries of the target's libFuzzer dictionary).
    public let tokens: [[UInt8]]

    public init(seed: UInt64, tokens: [[UInt8]] = []) {
        random = Random(seed: seed)
        self.tokens = tokens
    }

    /// Bytes that are interesting to every parser here: controls, quotes, the starts of multi-byte
    /// UTF-8 sequences, and bytes that are never UTF-8.
    static let interesting: [UInt8] = [0x00, 0x09, 0x0A, 0x0D, 0x1B, 0x20, 0x22, 0x26, 0x27, 0x3A, 0x3C, 0x3E, 0x5B, 0x5C, 0x5D, 0x7B, 0x7D, 0x7F, 0x80, 0x9B, 0xC2, 0xE2, 0xF0, 0xFF]

    /// One to four mutations of `input`.
    public mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        for _ in 0...random.below(4) { mutateOnce(&bytes) }
        return bytes
    }

    mutating func mutateOnce(_ bytes: inout [UInt8]) {
        let n = bytes.count
        switch random.below(7) {
        case 0:  // truncate
            bytes.removeLast(n - random.below(n + 1))
        case 1:  // flip a bit
            guard n > 0 else { return }
            bytes[random.below(n)] ^= UInt8(1 << random.below(8))
        case 2:  // set a byte to an interesting value
            guard n > 0 else { return }
            bytes[random.below(n)] = Self.interesting[random.below(Self.interesting.count)]
        case 3:  // insert an interesting byte
            bytes.insert(Self.interesting[random.below(Self.interesting.count)], at: random.below(n + 1))
        case 4:  // delete a range
            guard n > 0 else { return }
            let start = random.below(n)
            bytes.removeSubrange(start..<min(n, start + 1 + random.below(16)))
        case 5:  // insert a dictionary token
            guard !tokens.isEmpty else { return }
            bytes.insert(contentsOf: tokens[random.below(tokens.count)], at: random.below(n + 1))
        default:  // copy a range somewhere else
            guard n > 0 else { return }
            let start = random.below(n)
            let piece = Array(bytes[start..<min(n, start + 1 + random.below(64))])
            bytes.insert(contentsOf: piece, at: random.below(n + 1))
        }
    }

    /// The tokens of a libFuzzer dictionary file: every `"..."` with `\\`, `\"` and `\xNN` escapes.
    public static func dictionaryTokens(_ text: String) -> [[UInt8]] {
        var tokens: [[UInt8]] = []
        for line in text.split(separator: "\n") {
            let trimmed = line.drop { $0 == " " }
            guard !trimmed.hasPrefix("#"), let open = trimmed.firstIndex(of: "\""), let close = trimmed.lastIndex(of: "\""), open < close else { continue }
            let body = Array(trimmed[trimmed.index(after: open)..<close].utf8)
            var token: [UInt8] = []
            var i = 0
            while i < body.count {
                if body[i] == UInt8(ascii: "\\"), i + 1 < body.count {
                    if body[i + 1] == UInt8(ascii: "x"), i + 3 < body.count, let v = UInt8(String(decoding: body[(i + 2)...(i + 3)], as: UTF8.self), radix: 16) {
                        token.append(v)
                        i += 4
                        continue
                    }
                    token.append(body[i + 1])
                    i += 2
                    continue
                }
                token.append(body[i])
                i += 1
            }
            if !token.isEmpty { tokens.append(token) }
        }
        return tokens
    }
}
