import Foundation

/// An alarm's identity: CloudWatch alarm names are unique per region.
public struct AlarmKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var region: String
    public var name: String

    public init(region: String, name: String) {
        self.region = region
        self.name = name
    }

    public static func < (a: AlarmKey, b: AlarmKey) -> Bool { (a.region, a.name) < (b.region, b.name) }
    public var description: String { "\(region)/\(name)" }
}

/// What the daemon last knew of an alarm: its state, since when (CloudWatch's
/// StateUpdatedTimestamp), and the incident its current ALARM episode went to (nil when it went to
/// none: no rule matched, or it is not in ALARM).
public struct AlarmRecord: Sendable, Equatable {
    public var state: AlarmState
    public var since: Date
    public var incident: Int64?

    public init(state: AlarmState, since: Date, incident: Int64? = nil) {
        self.state = state
        self.since = since
        self.incident = incident
    }
}

/// An unresolved incident, as much as the tracker needs of it.
public struct OpenIncident: Sendable, Equatable {
    public var id: Int64
    /// The response rule's group key (`ResponseRule.groupKey`).
    public var group: String
    public var alarms: Set<AlarmKey>

    public init(id: Int64, group: String, alarms: Set<AlarmKey>) {
        self.id = id
        self.group = group
        self.alarms = alarms
    }
}

/// What one poll of one region means for incidents.
public struct TrackerDecisions: Sendable, Equatable {
    /// A new incident for the rule at `rule` (an index into the config's `response`), with the
    /// alarms of that rule that entered ALARM in this poll.
    public struct Opening: Sendable, Equatable {
        public var rule: Int
        public var group: String
        public var alarms: [Alarm]
    }

    /// An alarm of (or joining) an open incident whose state changed.
    public struct Change: Sendable, Equatable {
        public var incident: Int64
        public var alarm: Alarm
        /// nil when the alarm joins the incident with this change.
        public var from: AlarmState?

        public init(incident: Int64, alarm: Alarm, from: AlarmState?) {
            self.incident = incident
            self.alarm = alarm
            self.from = from
        }
    }

    public var openings: [Opening] = []
    public var changes: [Change] = []
    /// Open incidents whose rule resolves them by themselves and whose alarms are now all OK.
    public var autoResolved: [Int64] = []
    /// Every alarm of the poll, as the daemon must now remember it. Alarms of an opening get their
    /// incident once the store has given it an id.
    public var records: [AlarmKey: AlarmRecord] = [:]

    public init() {}
}

extension ResponseRule {
    /// Alarms one rule matches form one group: while an incident of the group is unresolved, its
    /// alarms (new ones included) belong to it, so an alarm that flaps does not open another.
    public var groupKey: String { "\(match.alarm)@\(match.region ?? "*")" }
}

/// Turns the alarms one poll of a region saw into incident decisions. Pure: the store loads the
/// inputs and applies the decisions in one transaction.
///
/// - An alarm *enters* ALARM when the daemon has no record of it, or its record says another state,
///   or the record's ALARM began at another time (it went OK and back between two polls). Only
///   entering counts: an incident resolved while its alarm stays in ALARM is not opened again.
/// - An alarm entering ALARM goes to the first response rule that matches it. If that rule's group
///   has an unresolved incident the alarm joins it; otherwise the rule's alarms that entered ALARM in
///   this poll open one incident together.
/// - State changes of alarms in an open incident are recorded on it (the flapping shows in the
///   timeline, no new incident).
/// - An open incident whose rule says `auto_resolve` resolves once every one of its alarms, in any
///   region, is OK.
public enum IncidentTracker {
    public static func observe(
        region: String, alarms: [Alarm], records known: [AlarmKey: AlarmRecord], open: [OpenIncident], rules: [ResponseRule]
    ) -> TrackerDecisions {
        var decisions = TrackerDecisions()
        var openByGroup: [String: OpenIncident] = [:]
        for incident in open { openByGroup[incident.group] = incident }
        var incidentOf: [AlarmKey: Int64] = [:]
        for incident in open { for key in incident.alarms { incidentOf[key] = incident.id } }
        var openingIndex: [String: Int] = [:]

        for alarm in alarms where alarm.region == region {
            let key = AlarmKey(region: region, name: alarm.name)
            let before = known[key]
            let entered = alarm.state == .alarm && (before == nil || before?.state != .alarm || !sameInstant(before?.since, alarm.updated))
            var record = AlarmRecord(state: alarm.state, since: alarm.updated, incident: alarm.state == .alarm ? before?.incident : nil)

            if entered {
                record.incident = nil
                if let ruleIndex = rules.firstIndex(where: { $0.match.matches(alarmName: alarm.name, region: region) }) {
                    let group = rules[ruleIndex].groupKey
                    if let incident = openByGroup[group] {
                        record.incident = incident.id
                        decisions.changes.append(.init(incident: incident.id, alarm: alarm, from: incident.alarms.contains(key) ? before?.state : nil))
                    } else if let index = openingIndex[group] {
                        decisions.openings[index].alarms.append(alarm)
                    } else {
                        openingIndex[group] = decisions.openings.count
                        decisions.openings.append(.init(rule: ruleIndex, group: group, alarms: [alarm]))
                    }
                }
            } else if let incident = incidentOf[key], let before, before.state != alarm.state {
                decisions.changes.append(.init(incident: incident, alarm: alarm, from: before.state))
            }
            decisions.records[key] = record
        }

        let autoGroups = Set(rules.filter(\.autoResolve).map(\.groupKey))
        for incident in open where autoGroups.contains(incident.group) && !incident.alarms.isEmpty {
            // Only incidents this poll can speak for: one of their alarms is in this region.
            guard incident.alarms.contains(where: { $0.region == region }) else { continue }
            let joining = decisions.changes.contains { $0.incident == incident.id && $0.alarm.state == .alarm }
            let allOK = incident.alarms.allSatisfy { key in (decisions.records[key] ?? known[key])?.state == .ok }
            if allOK && !joining { decisions.autoResolved.append(incident.id) }
        }
        return decisions
    }

    /// Timestamps are stored to the millisecond (truncated), and CloudWatch may send finer ones:
    /// within two milliseconds is the same instant. Two real state changes of one alarm are never
    /// that close.
    static func sameInstant(_ a: Date?, _ b: Date) -> Bool {
        guard let a else { return false }
        return abs(a.timeIntervalSince(b)) < 0.002
    }
}
