import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// Drills and their notes in the store (migration 5), and the audit entries each change writes.
@Suite struct DrillStoreTests {
    static let facilitator = AuditActor(user: "fac", sshClient: "10.0.0.5")

    @Test func startNoteStopAndReadBack() throws {
        let folder = try StateFolder()
        let clock = TestClock()
        let log = AuditLog(store: try Store.open(path: folder.db), clock: { clock.now })
        let drills = DrillStore(log: log)
        #expect(try drills.current() == nil)

        let t0 = clock.now.addingTimeInterval(0.1234)
        let started = try drills.start(scenario: "orders-backlog", participant: " alice ", target: .seconds(600), actor: Self.facilitator, now: t0)
        #expect(started.id == 1 && started.participant == "alice" && started.target == .seconds(600) && started.status == .running)
        #expect(abs(started.startedAt.timeIntervalSince1970 - 1_800_000_000.123) < 0.000_01, "stored to the millisecond")
        #expect(try drills.current() == started)

        let note = try drills.addNote("  alice skipped the check  ", to: started.id, actor: Self.facilitator, now: t0.addingTimeInterval(60))
        #expect(note.text == "alice skipped the check" && note.by == "fac")
        #expect(try drills.current()?.notes == [note])

        let stopped = try drills.stop(actor: Self.facilitator, now: t0.addingTimeInterval(300))
        #expect(stopped.status == .stopped && stopped.stoppedBy == "fac" && stopped.notes == [note])
        #expect(try drills.current() == nil)
        #expect(try drills.drill(started.id) == stopped)

        // Reopened by another process: all there.
        let again = DrillStore(log: AuditLog(store: try Store.open(path: folder.db)))
        #expect(try again.drill(1) == stopped)
        #expect(try again.list() == [stopped])

        // Each change is an audit entry with the drill's id, and the chain holds.
        let entries = try log.entries()
        #expect(entries.map(\.draft.kind) == ["drill.started", "drill.note", "drill.stopped"])
        #expect(entries.allSatisfy { $0.draft.context.drill == "1" && $0.draft.actor == Self.facilitator })
        #expect(entries[0].draft.detail == "drill 1 of scenario orders-backlog, participant alice, target 10m")
        #expect(entries[1].draft.detail == "alice skipped the check")
        #expect(entries[2].draft.detail == "drill 1 of scenario orders-backlog stopped after 05:00")
        #expect(try log.verify().intact)
    }

    @Test func oneDrillRunsAtATime() throws {
        let folder = try StateFolder()
        let store = try Store.open(path: folder.db)
        let drills = DrillStore(log: AuditLog(store: store))
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let first = try drills.start(scenario: "orders-backlog", actor: Self.facilitator, now: t0)
        #expect(first.participant == nil && first.target == Drill.defaultTarget && first.target == .seconds(900))
        #expect(throws: DrillStoreError.alreadyRunning(1, scenario: "orders-backlog")) {
            try drills.start(scenario: "db-too-small", actor: Self.facilitator, now: t0)
        }
        // The unique index refuses a second running row even from a writer that skips the check.
        #expect(throws: (any Error).self) {
            try store.write { c in
                try c.execute("INSERT INTO drills (scenario, target_ms, status, started_by, started_at) VALUES ('x', 1, 'running', 'x', 'x')")
            }
        }
        try drills.stop(first.id, actor: Self.facilitator, now: t0.addingTimeInterval(60))
        let second = try drills.start(scenario: "db-too-small", participant: "bob", actor: Self.facilitator, now: t0.addingTimeInterval(120))
        #expect(second.id == 2)
        #expect(try drills.list().map(\.id) == [1, 2])
        #expect(try drills.list().map(\.status) == [.stopped, .running])
    }

    @Test func refusals() throws {
        let folder = try StateFolder()
        let drills = DrillStore(log: AuditLog(store: try Store.open(path: folder.db)))
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(throws: DrillStoreError.noneRunning) { try drills.stop(actor: Self.facilitator, now: t0) }
        #expect(throws: DrillStoreError.notFound(7)) { try drills.stop(7, actor: Self.facilitator, now: t0) }
        #expect(throws: DrillStoreError.notFound(7)) { try drills.addNote("x", to: 7, actor: Self.facilitator, now: t0) }
        #expect(throws: DrillStoreError.emptyScenario) { try drills.start(scenario: " ", actor: Self.facilitator, now: t0) }
        #expect(throws: DrillStoreError.badTarget) { try drills.start(scenario: "s", target: .zero, actor: Self.facilitator, now: t0) }
        let d = try drills.start(scenario: "s", actor: Self.facilitator, now: t0)
        #expect(throws: DrillStoreError.emptyNote) { try drills.addNote(" \n", to: d.id, actor: Self.facilitator, now: t0) }
        try drills.stop(actor: Self.facilitator, now: t0)
        #expect(throws: DrillStoreError.alreadyStopped(d.id)) { try drills.stop(d.id, actor: Self.facilitator, now: t0) }
        // A debrief may still add a note to a stopped drill.
        try drills.addNote("debrief: page earlier", to: d.id, actor: Self.facilitator, now: t0.addingTimeInterval(10))
        #expect(try drills.drill(d.id)?.notes.map(\.text) == ["debrief: page earlier"])
        #expect(try drills.drill(99) == nil)
        #expect(DrillStoreError.alreadyRunning(2, scenario: "s").description.contains("breakglass drill stop"))
    }

    @Test func theTablesAreStrictAndTheNotesKeepTheirText() throws {
        let folder = try StateFolder()
        let store = try Store.open(path: folder.db)
        let sql = try store.read { c in
            try c.query("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN ('drills', 'drill_notes') ORDER BY name")
                .map { ($0.text("name") ?? "", $0.text("sql") ?? "") }
        }
        #expect(sql.map(\.0) == ["drill_notes", "drills"])
        #expect(sql.allSatisfy { $0.1.hasSuffix("STRICT") })
        let drills = DrillStore(log: AuditLog(store: store))
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let d = try drills.start(scenario: "s", actor: Self.facilitator, now: t0)
        let typed = "<script>alert(1)</script> & \u{1b}[31mred"
        try drills.addNote(typed, to: d.id, actor: Self.facilitator, now: t0)
        #expect(try drills.drill(d.id)?.notes.first?.text == typed, "kept as typed; renderers escape")
        let detail = try AuditLog(store: store).entries().last?.draft.detail
        #expect(detail?.contains("\u{1b}") == false && detail?.contains("<script>") == true, "the audit entry is sanitised of control characters")
    }
}
