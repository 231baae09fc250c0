import Foundation
import Synchronization

/// A clock tests drive by hand: state machines and stores take `{ clock.now }` instead of `Date()`,
/// so a test moves time forward instead of sleeping.
public final class TestClock: Sendable {
    private let current: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = Mutex(start) }

    public var now: Date { current.withLock { $0 } }

    /// Moves the clock forward by `seconds` and returns the new time.
    @discardableResult
    public func advance(_ seconds: TimeInterval) -> Date {
        current.withLock { d in
            d += seconds
            return d
        }
    }

    public func set(_ date: Date) { current.withLock { $0 = date } }
}
