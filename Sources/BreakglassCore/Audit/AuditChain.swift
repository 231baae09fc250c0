/// Checks an audit chain, one entry at a time, as a pure function of what it is fed: the entries in
/// `seq` order and the head (last seq and hash) recorded with every append.
///
/// What each kind of tampering looks like:
/// - an entry edited in place: its hash no longer matches its fields (`edited`);
/// - an entry deleted: a gap in the numbers (`missing`), or, if renumbered, a link to a hash that is
///   not the previous entry's (`brokenLink`);
/// - an entry inserted or entries reordered: a broken link, or a hash that does not match;
/// - the newest entries cut off: the recorded head names an entry that is not there (`truncated`);
/// - entries added after the head outside Breakglass: `beyondHead`;
/// - the whole chain rewritten consistently: only a copy kept elsewhere (the CloudWatch Logs
///   shipment of heads) can tell; see `AuditShipper`.
public struct AuditChainVerifier: Sendable {
    public enum Problem: Sendable, Equatable, CustomStringConvertible {
        case edited(seq: Int64)
        case brokenLink(seq: Int64)
        case missing(from: Int64, to: Int64)
        case truncated(lastSeq: Int64, headSeq: Int64)
        case beyondHead(seq: Int64, headSeq: Int64)
        case headMismatch(seq: Int64)
        case remoteMismatch(seq: Int64, detail: String)

        /// The first entry the problem concerns.
        public var seq: Int64 {
            switch self {
            case .edited(let s), .brokenLink(let s), .beyondHead(let s, _), .headMismatch(let s), .remoteMismatch(let s, _): s
            case .missing(let from, _): from
            case .truncated(let last, _): last + 1
            }
        }

        public var description: String {
            switch self {
            case .edited(let s): "entry \(s) was edited: its hash does not match its contents"
            case .brokenLink(let s): "entry \(s) does not follow entry \(s - 1): an entry before it was removed, inserted or moved"
            case .missing(let from, let to):
                from == to ? "entry \(from) is missing: it was deleted" : "entries \(from)-\(to) are missing: they were deleted"
            case .truncated(let last, let head):
                "entries \(last + 1)-\(head) are missing: the trail ends at \(last) but \(head) entries were written (cut off)"
            case .beyondHead(let s, let head):
                "entry \(s) was added outside Breakglass: the trail's recorded head is entry \(head)"
            case .headMismatch(let s): "entry \(s) does not match the trail's recorded head: the chain was rewritten"
            case .remoteMismatch(let s, let detail): "entry \(s) differs from the copy shipped to CloudWatch Logs: \(detail)"
            }
        }
    }

    public private(set) var checked: Int64 = 0
    public private(set) var lastSeq: Int64 = 0
    public private(set) var lastHash = AuditEntry.genesis
    public private(set) var problem: Problem?
    private let head: (seq: Int64, hash: String)?

    /// `head` is the (seq, hash) recorded with the last append, or nil for an empty trail.
    public init(head: (seq: Int64, hash: String)?) { self.head = head }

    /// Checks the next entry. After the first problem, further entries are ignored: later links
    /// would only repeat it.
    public mutating func feed(_ entry: AuditEntry) {
        guard problem == nil else { return }
        if let head, entry.seq > head.seq {
            problem = .beyondHead(seq: entry.seq, headSeq: head.seq)
            return
        }
        if head == nil {
            problem = .beyondHead(seq: entry.seq, headSeq: 0)
            return
        }
        if entry.seq != lastSeq + 1 {
            if entry.seq > lastSeq + 1 { problem = .missing(from: lastSeq + 1, to: entry.seq - 1) } else { problem = .brokenLink(seq: entry.seq) }
            return
        }
        if !entry.isIntact {
            problem = .edited(seq: entry.seq)
            return
        }
        if entry.prevHash != lastHash {
            problem = .brokenLink(seq: entry.seq)
            return
        }
        if let head, entry.seq == head.seq, entry.hash != head.hash {
            problem = .headMismatch(seq: entry.seq)
            return
        }
        lastSeq = entry.seq
        lastHash = entry.hash
        checked += 1
    }

    /// The verdict once every entry has been fed.
    public mutating func finish() -> Problem? {
        if problem == nil, let head, lastSeq < head.seq { problem = .truncated(lastSeq: lastSeq, headSeq: head.seq) }
        return problem
    }

    /// Verifies a whole chain in memory.
    public static func verify(_ entries: [AuditEntry], head: (seq: Int64, hash: String)?) -> Problem? {
        var v = AuditChainVerifier(head: head)
        for e in entries { v.feed(e) }
        return v.finish()
    }
}
