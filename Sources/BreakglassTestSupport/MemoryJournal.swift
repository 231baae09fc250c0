import BreakglassAWS
import Foundation

/// A journal for client tests that keeps what the client recorded in memory, in order, and can be
/// told to refuse intents (as a full disk would).
public final class MemoryJournal: MutationJournal, @unchecked Sendable {
    public enum Record: Sendable, Equatable {
        case intent(MutationIntent)
        case outcome(MutationOutcome, ticket: Int64)
    }

    private let lock = NSLock()
    private var _records: [Record] = []
    private let refuse: Bool

    public init(refuse: Bool = false) { self.refuse = refuse }

    public var records: [Record] { lock.withLock { _records } }

    public struct Refused: Error, CustomStringConvertible {
        public var description: String { "disk full (test)" }
    }

    public func recordIntent(_ intent: MutationIntent) throws -> MutationTicket {
        try lock.withLock {
            if refuse { throw Refused() }
            _records.append(.intent(intent))
            return MutationTicket(id: Int64(_records.count))
        }
    }

    public func recordOutcome(_ outcome: MutationOutcome, for ticket: MutationTicket) {
        lock.withLock { _records.append(.outcome(outcome, ticket: ticket.id)) }
    }
}
