/// SplitMix64: a small, fast generator that can be seeded, so a seed names the same sequence on
/// every machine (Swift's SystemRandomNumberGenerator cannot be seeded). What the fault proxy, the
/// stress schedule, the fuzz mutator and randomized tests draw from, so a failure reproduces from
/// its seed. Not for anything secret.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A double in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(UInt64(1) << 53) }

    /// A number in 0..<n; 0 when n is 0 or less.
    public mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
}
