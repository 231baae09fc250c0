import BreakglassAWS
import BreakglassCore
import Foundation
import Testing

/// The trend across drills.
@Suite struct DrillHistoryTests {
    typealias F = DrillFixture

    /// A stopped drill `days` after t0 with the given times (nil: not reached).
    static func timeline(id: Int64, days: Double, ack: TimeInterval?, access: TimeInterval?, recover: TimeInterval?, participant: String? = "alice")
        -> DrillTimeline
    {
        let start = F.t0.addingTimeInterval(days * 86400)
        let drill = Drill(
            id: id, scenario: "orders-backlog", participant: participant, target: .seconds(300), startedBy: "fac", startedAt: start,
            stoppedAt: start.addingTimeInterval(1200), stoppedBy: "fac")
        var entries: [AuditEntry] = []
        func at(_ s: TimeInterval) -> String { ISO8601.formatMilliseconds(start.addingTimeInterval(s)) }
        if let ack {
            entries.append(AuditEntry(
                seq: 1, at: at(ack), draft: AuditDraft(kind: "incident.acknowledged", actor: AuditActor(user: "alice"), context: AuditContext(incident: "1")),
                prevHash: "", hash: ""))
        }
        if let access {
            entries.append(AuditEntry(
                seq: 2, at: at(access), draft: AuditDraft(kind: "access.granted", actor: AuditActor(user: "alice"), context: AuditContext(role: "r")),
                prevHash: "", hash: ""))
        }
        let signals = DrillSignals(alarmedAt: ["a": start], recoveredAt: recover.map { start.addingTimeInterval($0) })
        return DrillTimeline.build(drill: drill, entries: entries, signals: signals, now: start.addingTimeInterval(5000))
    }

    static let drills = [
        timeline(id: 3, days: 14, ack: 30, access: 90, recover: 240),
        timeline(id: 1, days: 0, ack: 60, access: 120, recover: 480),
        timeline(id: 2, days: 7, ack: 120, access: nil, recover: nil),
        timeline(id: 4, days: 21, ack: 15, access: 60, recover: 120, participant: nil),
    ]

    @Test func theTrendRunsOldestToNewest() {
        let h = DrillHistory(Self.drills)
        #expect(h.points.map(\.drill) == [1, 2, 3, 4])
        #expect(h.series(.acknowledge) == [60, 120, 30, 15])
        #expect(h.series(.access) == [120, nil, 90, 60])
        #expect(h.series(.recover) == [480, nil, 240, 120])
        #expect(h.points.map(\.metTarget) == [false, false, true, true])
        #expect(h.points.map(\.clock) == [.recovered, .stoppedUnrecovered, .recovered, .recovered])
    }

    @Test(arguments: [
        ([60, 120, nil, 30] as [TimeInterval?], false, "▅█×▃"),
        ([60, 120, nil, 30], true, "~#x,"),
        ([0, 0], false, "▁▁"),
        ([], false, ""),
        ([nil, nil], true, "xx"),
        ([10, 20, 30, 40, 50, 60, 70], false, "▂▃▄▅▆▇█"),
    ])
    func sparklines(_ values: [TimeInterval?], _ ascii: Bool, _ expected: String) {
        #expect(DrillHistory.sparkline(values, ascii: ascii) == expected)
    }

    @Test func theTerminalTextHasALinePerMetricAndPerDrill() {
        let text = DrillHistory(Self.drills).text()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "4 drills, oldest first; times from each drill's start (× not reached)")
        #expect(lines[1] == "acknowledge  ▅█▃▂  latest 00:15  best 00:15  worst 02:00  (4 of 4)")
        #expect(lines[2] == "access       █×▆▅  latest 01:00  best 01:00  worst 02:00  (3 of 4)")
        #expect(lines[3] == "recover      █×▅▃  latest 02:00  best 02:00  worst 08:00  (3 of 4)")
        #expect(lines[5].hasPrefix("drill 1  2027-01-15T08:00:00Z  orders-backlog  alice  ack 01:00  access 02:00  recover 08:00 of 05:00  over target"))
        #expect(lines[6].hasSuffix("ack 02:00  access —  recover — of 05:00  not recovered"))
        #expect(lines[8].contains("  anyone  ") && lines[8].hasSuffix("within target"))
        let ascii = DrillHistory(Self.drills).text(ascii: true)
        #expect(ascii.unicodeScalars.allSatisfy { $0.isASCII })
        #expect(DrillHistory([]).text() == "No drills yet.\n")
    }

    @Test func theJSONFormForMachines() throws {
        let h = DrillHistory(Self.drills)
        let text = JSON.encode(h.json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let drills = try #require(object["drills"] as? [[String: Any]])
        #expect(drills.count == 4)
        #expect(drills[0]["id"] as? Int == 1 && drills[0]["scenario"] as? String == "orders-backlog" && drills[0]["participant"] as? String == "alice")
        #expect(drills[0]["started_at"] as? String == "2027-01-15T08:00:00Z")
        #expect(drills[0]["target_seconds"] as? Int == 300 && drills[0]["recover_seconds"] as? Int == 480 && drills[0]["met_target"] as? Bool == false)
        #expect(drills[1]["access_seconds"] is NSNull && drills[1]["recover_seconds"] is NSNull && drills[1]["clock"] as? String == "stopped")
        #expect(drills[3]["participant"] is NSNull)
        let trend = try #require(object["trend"] as? [String: Any])
        #expect((trend["acknowledge"] as? [Int]) == [60, 120, 30, 15])
        let recover = try #require(trend["recover"] as? [Any])
        #expect(recover.count == 4 && recover[1] is NSNull && recover[0] as? Int == 480)
        #expect(text.hasPrefix("{\"drills\":[{\"id\":1,\"scenario\":\"orders-backlog\""))
    }
}
