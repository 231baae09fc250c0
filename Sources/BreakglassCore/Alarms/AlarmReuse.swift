import BreakglassAWS
import Synchronization

/// The alarms of the list a refresh replaces, by region and name, so the new list can keep their
/// strings instead of holding a second copy of each.
///
/// Between two refreshes almost every alarm comes back exactly as it was: same name, ARN,
/// dimensions and, unless its state changed, reason. Decoded afresh, each of those is a new heap
/// string (a reason is ~200 bytes), and until the new list replaces the old one both are held; with
/// 10,000 alarms that is most of the memory a refresh adds. With the old list at hand, a decoded
/// alarm that equals its predecessor is replaced by it, and one that changed keeps each unchanged
/// field of it, so the new list's strings are the old list's wherever the text is the same and the
/// page's own copies are let go as soon as the page is read. What the list says is unchanged:
/// only which buffer holds equal text.
public struct AlarmReuse: Sendable {
    private let previous: [Alarm]
    /// Positions in `previous` by the hash of region and name: 12 bytes an alarm rather than the
    /// ~64 of a table keyed by both strings. A position is only used once its alarm is checked to
    /// have that region and name, so two keys with one hash cost some sharing, never a wrong alarm.
    private let index: [Int: Int32]

    public static let none = AlarmReuse([])

    public init(_ previous: [Alarm]) {
        self.previous = previous
        var index: [Int: Int32] = [:]
        index.reserveCapacity(previous.count)
        for (i, alarm) in previous.enumerated() {
            // Past Int32's range (two billion alarms) the rest are not indexed, so not shared.
            guard let position = Int32(exactly: i) else { break }
            // The first of two alarms with the same key is the one kept.
            let key = Self.key(alarm)
            if index[key] == nil { index[key] = position }
        }
        self.index = index
    }

    private static func key(_ alarm: Alarm) -> Int {
        var hasher = Hasher()
        hasher.combine(alarm.region)
        hasher.combine(alarm.name)
        return hasher.finalize()
    }

    public var isEmpty: Bool { previous.isEmpty }
    /// How many alarms the previous list had.
    public var count: Int { previous.count }

    /// `alarm`, holding the previous list's storage for every field whose value is unchanged.
    public func reusing(_ alarm: Alarm) -> Alarm {
        guard !previous.isEmpty, let i = index[Self.key(alarm)] else { return alarm }
        let old = previous[Int(i)]
        guard old.name == alarm.name, old.region == alarm.region else { return alarm }
        if old == alarm { return old }
        var kept = alarm
        kept.name = old.name
        kept.region = old.region
        if old.reason == alarm.reason { kept.reason = old.reason }
        if old.arn == alarm.arn { kept.arn = old.arn }
        if old.dimensions == alarm.dimensions { kept.dimensions = old.dimensions }
        if old.namespace == alarm.namespace { kept.namespace = old.namespace }
        if old.metric == alarm.metric { kept.metric = old.metric }
        if old.statistic == alarm.statistic { kept.statistic = old.statistic }
        if old.comparison == alarm.comparison { kept.comparison = old.comparison }
        return kept
    }
}

/// Alarm lists fetched one after another, each reusing the storage of the one before (see
/// `AlarmReuse`): what the console's refreshes call. The last list is held here as well as by its
/// reader, which costs nothing while both hold the same array.
public final class AlarmRefresher: Sendable {
    private let fetcher: AlarmFetcher
    private let last = Mutex<[Alarm]>([])

    public init(_ fetcher: AlarmFetcher) { self.fetcher = fetcher }

    public func list(regions: [String], state: AlarmState? = nil) async throws(AWSError) -> [Alarm] {
        let previous = AlarmReuse(last.withLock { $0 })
        let list = try await fetcher.list(regions: regions, state: state, reusing: previous)
        last.withLock { $0 = list }
        return list
    }
}
