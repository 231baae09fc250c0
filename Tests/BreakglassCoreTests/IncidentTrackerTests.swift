import BreakglassAWS
import BreakglassCore
import Foundation
import Testing

/// Which polls open incidents, which join one, which only record a change.
@Suite("Incident tracker")
struct IncidentTrackerTests {
    static let here = BreakglassCore.SourceLocation(file: "breakglass.yaml", line: 1, column: 1)
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func rule(_ pattern: String, region: String? = nil, autoResolve: Bool = false) -> ResponseRule {
        ResponseRule(
            match: AlarmMatch(alarm: pattern, region: region), severity: 1, escalation: Located("default", at: here),
            autoResolve: autoResolve, location: here)
    }

    static let rules = [rule("prod-db-*", autoResolve: true), rule("prod-*"), rule("web-5xx", region: "eu-west-1")]

    static func alarm(_ name: String, _ state: AlarmState, at seconds: Int = 0, region: String = "us-east-1") -> Alarm {
        Alarm(name: name, state: state, reason: "because", updated: t0.addingTimeInterval(TimeInterval(seconds)), region: region, type: .metric)
    }

    static func key(_ name: String, region: String = "us-east-1") -> AlarmKey { AlarmKey(region: region, name: name) }

    @Test("alarms entering ALARM open one incident per rule, the first matching rule wins, unmatched ones open nothing")
    func opens() {
        let d = IncidentTracker.observe(
            region: "us-east-1",
            alarms: [
                Self.alarm("prod-db-writer", .alarm), Self.alarm("prod-db-replica", .alarm), Self.alarm("prod-api", .alarm),
                Self.alarm("staging-db", .alarm), Self.alarm("prod-cache", .ok), Self.alarm("web-5xx", .alarm),
            ],
            records: [:], open: [], rules: Self.rules)
        #expect(d.openings.map(\.rule) == [0, 1])
        #expect(d.openings[0].alarms.map(\.name) == ["prod-db-writer", "prod-db-replica"])
        #expect(d.openings[1].alarms.map(\.name) == ["prod-api"])
        #expect(d.changes.isEmpty && d.autoResolved.isEmpty)
        #expect(d.records.count == 6, "every alarm seen is remembered, matched or not")
        #expect(d.records[Self.key("staging-db")] == AlarmRecord(state: .alarm, since: Self.t0, incident: nil))
    }

    @Test("a flapping alarm stays in its open incident, and each change is recorded on it")
    func flapping() {
        let open = [OpenIncident(id: 7, group: "prod-db-*@*", alarms: [Self.key("prod-db-writer"), Self.key("prod-db-replica")])]
        var records = [
            Self.key("prod-db-writer"): AlarmRecord(state: .alarm, since: Self.t0, incident: 7),
            Self.key("prod-db-replica"): AlarmRecord(state: .alarm, since: Self.t0, incident: 7),
        ]
        // Poll 1: the writer goes OK (the replica is still in ALARM: no auto-resolve).
        var d = IncidentTracker.observe(
            region: "us-east-1", alarms: [Self.alarm("prod-db-writer", .ok, at: 60), Self.alarm("prod-db-replica", .alarm)], records: records,
            open: open, rules: Self.rules)
        #expect(d.openings.isEmpty && d.autoResolved.isEmpty)
        #expect(d.changes.map(\.incident) == [7] && d.changes.first?.from == .alarm)
        records = d.records
        // Poll 2: back in ALARM: it re-enters, joins the same incident.
        d = IncidentTracker.observe(
            region: "us-east-1", alarms: [Self.alarm("prod-db-writer", .alarm, at: 120), Self.alarm("prod-db-replica", .alarm)], records: records,
            open: open, rules: Self.rules)
        #expect(d.openings.isEmpty)
        #expect(d.changes.map(\.incident) == [7] && d.changes.first?.from == .ok)
        #expect(d.records[Self.key("prod-db-writer")]?.incident == 7)
        // Poll 3: nothing changed: nothing to say.
        d = IncidentTracker.observe(
            region: "us-east-1", alarms: [Self.alarm("prod-db-writer", .alarm, at: 120), Self.alarm("prod-db-replica", .alarm)],
            records: d.records, open: open, rules: Self.rules)
        #expect(d.openings.isEmpty && d.changes.isEmpty && d.autoResolved.isEmpty)
    }

    @Test("OK and back to ALARM between two polls is a new episode, seen by its timestamp")
    func missedFlap() {
        let records = [Self.key("prod-api"): AlarmRecord(state: .alarm, since: Self.t0, incident: 3)]
        // Incident 3 was resolved meanwhile; the alarm's ALARM began again at t0+300.
        let d = IncidentTracker.observe(
            region: "us-east-1", alarms: [Self.alarm("prod-api", .alarm, at: 300)], records: records, open: [], rules: Self.rules)
        #expect(d.openings.count == 1)
    }

    @Test("a timestamp finer than the stored millisecond is the same episode")
    func subMillisecond() throws {
        // What the store keeps: the millisecond text of the time, parsed back.
        let sent = Date(timeIntervalSince1970: 1_795_280_327.794)
        let stored = try #require(ISO8601.parse(ISO8601.formatMilliseconds(sent)))
        let records = [Self.key("prod-api"): AlarmRecord(state: .alarm, since: stored, incident: 3)]
        var alarm = Self.alarm("prod-api", .alarm)
        alarm.updated = sent
        let d = IncidentTracker.observe(region: "us-east-1", alarms: [alarm], records: records, open: [], rules: Self.rules)
        #expect(d.openings.isEmpty && d.changes.isEmpty)
    }

    @Test("an incident resolved while its alarm stays in ALARM is not opened again")
    func resolvedStaysResolved() {
        let records = [Self.key("prod-api"): AlarmRecord(state: .alarm, since: Self.t0, incident: 3)]
        let d = IncidentTracker.observe(
            region: "us-east-1", alarms: [Self.alarm("prod-api", .alarm)], records: records, open: [], rules: Self.rules)
        #expect(d.openings.isEmpty)
        #expect(d.records[Self.key("prod-api")]?.incident == 3)
    }

    @Test("a new alarm of the same rule joins the open incident")
    func joins() {
        let open = [OpenIncident(id: 9, group: "prod-*@*", alarms: [Self.key("prod-api")])]
        let d = IncidentTracker.observe(
            region: "us-east-1", alarms: [Self.alarm("prod-queue", .alarm)], records: [:], open: open, rules: Self.rules)
        #expect(d.openings.isEmpty)
        #expect(d.changes == [.init(incident: 9, alarm: Self.alarm("prod-queue", .alarm), from: nil)])
    }

    @Test("auto-resolve when every alarm of the incident, in every region, is OK, and only for rules that say so")
    func autoResolve() {
        let open = [
            OpenIncident(id: 1, group: "prod-db-*@*", alarms: [Self.key("prod-db-writer"), Self.key("prod-db-x", region: "eu-west-1")]),
            OpenIncident(id: 2, group: "prod-*@*", alarms: [Self.key("prod-api")]),
        ]
        var records = [
            Self.key("prod-db-writer"): AlarmRecord(state: .alarm, since: Self.t0, incident: 1),
            Self.key("prod-db-x", region: "eu-west-1"): AlarmRecord(state: .alarm, since: Self.t0, incident: 1),
            Self.key("prod-api"): AlarmRecord(state: .alarm, since: Self.t0, incident: 2),
        ]
        let oks = [Self.alarm("prod-db-writer", .ok, at: 60), Self.alarm("prod-api", .ok, at: 60)]
        var d = IncidentTracker.observe(region: "us-east-1", alarms: oks, records: records, open: open, rules: Self.rules)
        #expect(d.autoResolved.isEmpty, "the eu-west-1 alarm is still in ALARM")
        records.merge(d.records) { $1 }
        d = IncidentTracker.observe(
            region: "eu-west-1", alarms: [Self.alarm("prod-db-x", .ok, at: 70, region: "eu-west-1")], records: records, open: open,
            rules: Self.rules)
        #expect(d.autoResolved == [1], "incident 2's rule does not auto-resolve")
        // INSUFFICIENT_DATA is not OK.
        records.merge(d.records) { $1 }
        records[Self.key("prod-db-writer")] = AlarmRecord(state: .insufficientData, since: Self.t0)
        d = IncidentTracker.observe(
            region: "eu-west-1", alarms: [Self.alarm("prod-db-x", .ok, at: 70, region: "eu-west-1")], records: records, open: open,
            rules: Self.rules)
        #expect(d.autoResolved.isEmpty)
    }

    @Test("a region-bound rule matches only its region")
    func regionBound() {
        let d = IncidentTracker.observe(
            region: "us-east-1", alarms: [Self.alarm("web-5xx", .alarm)], records: [:], open: [], rules: [Self.rule("web-5xx", region: "eu-west-1")])
        #expect(d.openings.isEmpty)
        let e = IncidentTracker.observe(
            region: "eu-west-1", alarms: [Self.alarm("web-5xx", .alarm, region: "eu-west-1")], records: [:], open: [],
            rules: [Self.rule("web-5xx", region: "eu-west-1")])
        #expect(e.openings.count == 1 && e.openings[0].group == "web-5xx@eu-west-1")
    }
}
