import BreakglassCore
import Foundation

/// What `TCPProxy` in `.faults` mode can do to a request instead of relaying it faithfully.
public enum InjectedFault: String, Sendable, CaseIterable, Codable, Hashable {
    /// Answered at once, not forwarded: 400 ThrottlingException (JSON), Throttling (query XML) or
    /// RequestLimitExceeded (EC2 XML), as the protocol of the request has it.
    case throttle
    /// Answered at once, not forwarded: 500 InternalFailure or 503 ServiceUnavailable.
    case serverError = "5xx"
    /// The request is read and the connection reset; nothing reaches the server.
    case resetBeforeForwarding = "reset-before"
    /// The request is forwarded and the server's answer read, then the client's connection reset:
    /// the call took effect and the client cannot know.
    case resetAfterForwarding = "reset-after"
    /// The request is read and never answered (not forwarded): the client's timeout decides.
    case stall
    /// Forwarded; the answer's head and half its body are passed on, then the connection closed.
    case truncated
    /// Forwarded; the answer's body is replaced by bytes that are neither JSON nor XML.
    case malformed

    /// Whether the server receives the request (and may act on it) before the fault.
    public var forwards: Bool {
        switch self {
        case .resetAfterForwarding, .truncated, .malformed: true
        case .throttle, .serverError, .resetBeforeForwarding, .stall: false
        }
    }
}

/// A fault schedule: each request gets a fault with probability `rate`, the kind drawn by `weights`,
/// from a PRNG seeded with `seed`, so the same seed gives the same sequence of choices.
public struct FaultPlan: Sendable, Equatable {
    public var seed: UInt64
    /// 0...1: the share of requests that get a fault.
    public var rate: Double
    /// Relative weight of each kind; kinds absent or weighted 0 never happen.
    public var weights: [InjectedFault: Int]
    /// How long a stalled request is held open at most (the client's timeout should come first).
    public var stallLimit: TimeInterval

    public init(seed: UInt64, rate: Double, weights: [InjectedFault: Int] = FaultPlan.evenMix, stallLimit: TimeInterval = 30) {
        self.seed = seed
        self.rate = rate.isFinite ? min(max(rate, 0), 1) : 0
        self.weights = weights.filter { $0.value > 0 }
        self.stallLimit = stallLimit
    }

    /// Every kind, equally likely.
    public static let evenMix: [InjectedFault: Int] = Dictionary(uniqueKeysWithValues: InjectedFault.allCases.map { ($0, 1) })

    /// `BREAKGLASS_FAULT_SEED` when set (to reproduce a failure), else a fresh random seed.
    public static func seed(environment: [String: String] = ProcessInfo.processInfo.environment) -> UInt64 {
        if let raw = environment["BREAKGLASS_FAULT_SEED"], let seed = UInt64(raw.trimmingCharacters(in: .whitespaces)) { return seed }
        return UInt64.random(in: 1...UInt64(UInt32.max))
    }
}


/// The pure choice behind `.faults` mode: for each request, nil (relay it faithfully) or a fault.
public struct FaultChooser: Sendable {
    public let plan: FaultPlan
    var rng: SplitMix64
    /// The kinds with their weights, in `InjectedFault.allCases` order (a dictionary's order is not stable).
    let table: [(InjectedFault, Int)]
    let total: Int

    public init(_ plan: FaultPlan) {
        self.plan = plan
        rng = SplitMix64(seed: plan.seed)
        table = InjectedFault.allCases.compactMap { kind in plan.weights[kind].map { (kind, $0) } }
        total = table.reduce(0) { $0 + $1.1 }
    }

    /// The next request's fault, if any. Draws two numbers per request whatever the answer, so one
    /// choice never shifts the ones after it.
    public mutating func next() -> InjectedFault? {
        let roll = rng.unit()
        let pick = rng.next()
        guard total > 0, roll < plan.rate else { return nil }
        var ticket = Int(pick % UInt64(total))
        for (kind, weight) in table {
            if ticket < weight { return kind }
            ticket -= weight
        }
        return nil
    }
}
