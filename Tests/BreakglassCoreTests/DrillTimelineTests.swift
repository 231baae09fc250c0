import BreakglassAWS
import BreakglassCore
import Foundation
import Testing

/// Shared fixtures for the drill suites: a drill started at `t0` and audit entries at offsets from it.
enum DrillFixture {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func at(_ seconds: TimeInterval) -> Date { t0.addingTimeInterval(seconds) }

    static func drill(
        participant: String? = "alice", target: Duration = .seconds(900), stoppedAfter: TimeInterval? = nil, notes: [DrillNote] = [], id: Int64 = 3
    ) -> Drill {
        Drill(
            id: id, scenario: "orders-backlog", participant: participant, target: target, startedBy: "fac", startedAt: t0,
            stoppedAt: stoppedAfter.map(at), stoppedBy: stoppedAfter == nil ? nil : "fac", notes: notes)
    }

    /// An audit entry `seconds` after the start. `step` is "RUN/STEP".
    static func entry(
        _ seq: Int64, _ seconds: TimeInterval, _ kind: String, by user: String = "alice", incident: String? = nil, drill: String? = nil,
        runbook: String? = nil, step: String? = nil, role: String? = nil, outcome: String? = nil, detail: String? = nil,
        service: String? = nil, operation: String? = nil
    ) -> AuditEntry {
        AuditEntry(
            seq: seq, at: ISO8601.formatMilliseconds(at(seconds)),
            draft: AuditDraft(
                kind: kind, actor: AuditActor(user: user), context: AuditContext(incident: incident, drill: drill, runbook: runbook, step: step, role: role),
                service: service, operation: operation, outcome: outcome, detail: detail),
            prevHash: "", hash: "")
    }

    /// A participant who does everything, in order: the incident opens (by the daemon), alice
    /// acknowledges, gets access, runs sqs-flush's three steps; the queue recovers at 210 s.
    static func fullRun() -> [AuditEntry] {
        [
            entry(1, 6, "incident.opened", by: "watch", incident: "7", detail: "prod-orders-queue-depth in ALARM"),
            entry(2, 60, "incident.acknowledged", incident: "7", detail: "acknowledged by alice."),
            entry(3, 110, "access.requested", role: "app-break-glass"),
            entry(4, 120, "access.granted", role: "app-break-glass", outcome: "succeeded"),
            entry(5, 130, "runbook.started", runbook: "sqs-flush", detail: "run 4 of sqs-flush (3 steps)"),
            entry(6, 140, "runbook.step", runbook: "sqs-flush", step: "4/1", outcome: "done", detail: "step 1 (check) done"),
            entry(7, 150, "runbook.confirmed", runbook: "sqs-flush", step: "4/2", detail: "alice confirmed step 2: sqs.PurgeQueue"),
            entry(8, 151, "aws.intent", runbook: "sqs-flush", step: "4/2", service: "sqs", operation: "PurgeQueue"),
            entry(9, 152, "aws.outcome", runbook: "sqs-flush", step: "4/2", outcome: "succeeded"),
            entry(10, 152, "runbook.step", runbook: "sqs-flush", step: "4/2", outcome: "done", detail: "step 2 (do) done"),
            entry(11, 200, "runbook.step", runbook: "sqs-flush", step: "4/3", outcome: "done", detail: "step 3 (wait_alarm) done"),
            entry(12, 200, "runbook.finished", runbook: "sqs-flush", outcome: "succeeded", detail: "run 4 succeeded"),
        ]
    }

    static let signals = DrillSignals(alarmedAt: ["prod-orders-queue-depth": at(5), "prod-orders-age": at(8)], recoveredAt: at(210))

    static let catalog: [String: [DrillStepInfo]] = [
        "sqs-flush": [
            DrillStepInfo(id: "depth", title: "Check the queue depth"), DrillStepInfo(title: "Purge the queue"),
            DrillStepInfo(title: "Wait for the alarm to be OK"),
        ]
    ]

    /// Milestones as "kind+offset" (steps as "kind:N+offset"), for compact comparison.
    static func shape(_ t: DrillTimeline) -> String {
        t.milestones.map { m in
            let step = m.step.map { ":\($0.number)" } ?? ""
            return "\(m.kind.rawValue)\(step)+\(Int(m.offset))"
        }.joined(separator: " ")
    }
}

@Suite struct DrillTimelineTests {
    typealias F = DrillFixture

    struct Case: CustomStringConvertible {
        var name: String
        var drill: Drill
        var entries: [AuditEntry]
        var signals: DrillSignals
        var now: TimeInterval
        var milestones: String
        var clock: String
        /// "runbook step N" or nil.
        var current: String?
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "every milestone, in order, steps chained finish to start", drill: F.drill(), entries: F.fullRun(), signals: F.signals, now: 400,
            milestones:
                "detected+5 acknowledged+60 access_granted+120 step_started:1+130 step_finished:1+140 step_started:2+140 "
                + "step_finished:2+152 step_started:3+152 step_finished:3+200 recovered+210",
            clock: "recovered in 03:30, 11:30 under the 15:00 target", current: nil),
        Case(
            name: "entries arrive out of order: sorted by time, then seq", drill: F.drill(), entries: F.fullRun().reversed(), signals: F.signals, now: 400,
            milestones:
                "detected+5 acknowledged+60 access_granted+120 step_started:1+130 step_finished:1+140 step_started:2+140 "
                + "step_finished:2+152 step_started:3+152 step_finished:3+200 recovered+210",
            clock: "recovered in 03:30, 11:30 under the 15:00 target", current: nil),
        Case(
            name: "repeats are events, not milestones: a second ack, a second grant, a second run",
            drill: F.drill(),
            entries: F.fullRun() + [
                F.entry(13, 220, "incident.acknowledged", incident: "7"),
                F.entry(14, 230, "access.granted", role: "db-break-glass"),
                F.entry(15, 240, "runbook.started", runbook: "sqs-flush", detail: "run 5 of sqs-flush (3 steps)"),
                F.entry(16, 250, "runbook.step", runbook: "sqs-flush", step: "5/1", outcome: "done"),
            ],
            signals: F.signals, now: 300,
            milestones:
                "detected+5 acknowledged+60 access_granted+120 step_started:1+130 step_finished:1+140 step_started:2+140 "
                + "step_finished:2+152 step_started:3+152 step_finished:3+200 recovered+210",
            clock: "recovered in 03:30, 11:30 under the 15:00 target", current: "sqs-flush step 2 run 5"),
        Case(
            name: "missing milestones stay missing; the clock runs", drill: F.drill(),
            entries: [F.entry(1, 40, "incident.acknowledged", incident: "7")], signals: DrillSignals(alarmedAt: ["a": F.at(3)]), now: 400,
            milestones: "detected+3 acknowledged+40", clock: "running 06:40, 08:20 left of the 15:00 target", current: nil),
        Case(
            name: "nothing at all", drill: F.drill(), entries: [], signals: DrillSignals(), now: 10, milestones: "",
            clock: "running 00:10, 14:50 left of the 15:00 target", current: nil),
        Case(
            name: "only the participant's actions count",
            drill: F.drill(participant: "alice"),
            entries: [
                F.entry(1, 20, "incident.acknowledged", by: "bob", incident: "7"),
                F.entry(2, 30, "access.granted", by: "bob", role: "app-break-glass"),
                F.entry(3, 35, "runbook.started", by: "bob", runbook: "sqs-flush", detail: "run 2 of sqs-flush (3 steps)"),
                F.entry(4, 50, "incident.acknowledged", by: "alice", incident: "7"),
                F.entry(5, 90, "access.granted", by: "alice", role: "app-break-glass"),
            ],
            signals: DrillSignals(alarmedAt: ["a": F.at(3)]), now: 100, milestones: "detected+3 acknowledged+50 access_granted+90",
            clock: "running 01:40, 13:20 left of the 15:00 target", current: nil),
        Case(
            name: "without a named participant anyone's actions count",
            drill: F.drill(participant: nil),
            entries: [
                F.entry(1, 20, "incident.acknowledged", by: "bob", incident: "7"),
                F.entry(2, 30, "access.granted", by: "bob", role: "app-break-glass"),
                F.entry(4, 50, "incident.acknowledged", by: "alice", incident: "7"),
            ],
            signals: DrillSignals(alarmedAt: ["a": F.at(3)]), now: 100, milestones: "detected+3 acknowledged+20 access_granted+30",
            clock: "running 01:40, 13:20 left of the 15:00 target", current: nil),
        Case(
            name: "stopped before recovery: later recovery, later entries and later alarms do not count",
            drill: F.drill(stoppedAfter: 300),
            entries: [
                F.entry(1, 60, "incident.acknowledged", incident: "7"),
                F.entry(2, 299, "runbook.started", runbook: "sqs-flush", detail: "run 4 of sqs-flush (3 steps)"),
                F.entry(3, 301, "access.granted", role: "app-break-glass"),
            ],
            signals: DrillSignals(alarmedAt: ["a": F.at(10), "late": F.at(305)], recoveredAt: F.at(350)), now: 1000,
            milestones: "detected+10 acknowledged+60 step_started:1+299",
            clock: "not recovered: stopped after 05:00, 10:00 under the 15:00 target", current: "sqs-flush step 1 run 4"),
        Case(
            name: "a clock past its target, still running",
            drill: F.drill(target: .seconds(120)), entries: [], signals: DrillSignals(alarmedAt: ["a": F.at(1)]), now: 200,
            milestones: "detected+1", clock: "running 03:20, 01:20 over the 02:00 target", current: nil),
        Case(
            name: "recovered past the target", drill: F.drill(target: .seconds(180)), entries: F.fullRun(), signals: F.signals, now: 400,
            milestones:
                "detected+5 acknowledged+60 access_granted+120 step_started:1+130 step_finished:1+140 step_started:2+140 "
                + "step_finished:2+152 step_started:3+152 step_finished:3+200 recovered+210",
            clock: "recovered in 03:30, 00:30 over the 03:00 target", current: nil),
        Case(
            name: "a failed step is no finish: the run waits on it, the next never starts",
            drill: F.drill(),
            entries: [
                F.entry(1, 130, "runbook.started", runbook: "sqs-flush", detail: "run 4 of sqs-flush (3 steps)"),
                F.entry(2, 140, "runbook.step", runbook: "sqs-flush", step: "4/1", outcome: "done"),
                F.entry(3, 150, "runbook.step", runbook: "sqs-flush", step: "4/2", outcome: "failed", detail: "step 2 (do) failed: AccessDenied"),
            ],
            signals: DrillSignals(), now: 200, milestones: "step_started:1+130 step_finished:1+140 step_started:2+140",
            clock: "running 03:20, 11:40 left of the 15:00 target", current: "sqs-flush step 2 run 4 failed"),
        Case(
            name: "a run resumed without its start seen: its step entries start steps",
            drill: F.drill(),
            entries: [
                F.entry(1, 30, "runbook.resumed", runbook: "sqs-flush", step: "9/2", detail: "run 9 resumed at step 2"),
                F.entry(2, 45, "runbook.step", runbook: "sqs-flush", step: "9/2", outcome: "done"),
            ],
            signals: DrillSignals(), now: 60, milestones: "step_started:2+30 step_finished:2+45 step_started:3+45",
            clock: "running 01:00, 14:00 left of the 15:00 target", current: "sqs-flush step 3 run 9"),
        Case(
            name: "ties: detection before an action at the same instant, recovery after",
            drill: F.drill(),
            entries: [F.entry(1, 20, "incident.acknowledged", incident: "7"), F.entry(2, 50, "access.granted", role: "r")],
            signals: DrillSignals(alarmedAt: ["a": F.at(20)], recoveredAt: F.at(50)), now: 60,
            milestones: "detected+20 acknowledged+20 access_granted+50 recovered+50",
            clock: "recovered in 00:50, 14:10 under the 15:00 target", current: nil),
        Case(
            name: "an alarm red before the start counts from the start; other drills' and the drill's own entries are ignored",
            drill: F.drill(),
            entries: [
                F.entry(1, -30, "incident.acknowledged", incident: "7"),
                F.entry(2, 10, "incident.acknowledged", incident: "7", drill: "99"),
                F.entry(3, 11, "drill.note", drill: "3", detail: "not a milestone"),
                F.entry(4, 12, "incident.acknowledged", incident: "7", drill: "3"),
            ],
            signals: DrillSignals(alarmedAt: ["a": F.at(-100)]), now: 60, milestones: "detected+0 acknowledged+12",
            clock: "running 01:00, 14:00 left of the 15:00 target", current: nil),
    ]

    @Test(arguments: cases) func milestonesAndClock(_ c: Case) {
        let t = DrillTimeline.build(drill: c.drill, entries: c.entries, signals: c.signals, steps: F.catalog, now: F.at(c.now))
        #expect(F.shape(t) == c.milestones)
        #expect(t.clock.summary == c.clock)
        let current = t.currentStep.map { "\($0.step.runbook) step \($0.step.number) run \($0.step.run)" + ($0.lastOutcome.map { " \($0)" } ?? "") }
        #expect(current == c.current)
        // Offsets never decrease; each milestone's time since the previous adds up to its offset.
        var total = 0.0
        for m in t.milestones {
            total += m.sincePrevious
            #expect(abs(total - m.offset) < 0.001)
            #expect(m.sincePrevious >= 0)
        }
    }

    @Test func milestonesCarryWhoWhatAndTheStepsTitles() throws {
        let t = DrillTimeline.build(drill: F.drill(), entries: F.fullRun(), signals: F.signals, steps: F.catalog, now: F.at(400))
        let detected = try #require(t.milestone(.detected))
        #expect(detected.detail == "prod-orders-queue-depth in ALARM" && detected.by == nil)
        #expect(t.milestone(.acknowledged)?.detail == "incident 7" && t.milestone(.acknowledged)?.by == "alice")
        #expect(t.milestone(.accessGranted)?.detail == "role app-break-glass")
        let first = try #require(t.milestones.first { $0.kind == .stepStarted })
        #expect(first.step == DrillStep(runbook: "sqs-flush", run: 4, number: 1, id: "depth", title: "Check the queue depth"))
        #expect(first.step?.name == "sqs-flush step 1 (depth)" && first.label == "Step 1 started")
        #expect(t.milestones.filter { $0.kind == .stepFinished }.map(\.detail) == ["done", "done", "done"])
        #expect(t.timeTo(.detected) == 5 && t.timeTo(.acknowledged) == 60 && t.timeTo(.accessGranted) == 120 && t.timeTo(.recovered) == 210)
        #expect(t.milestone(.acknowledged)?.sincePrevious == 55)
        #expect(t.awaiting == nil)
        #expect(t.steps.map { "\($0.step.number) \(Int($0.start.timeIntervalSince(F.t0)))-\($0.end.map { Int($0.timeIntervalSince(F.t0)) } ?? -1)" } == [
            "1 130-140", "2 140-152", "3 152-200",
        ])
    }

    @Test func withoutACatalogStepsHaveNumbersOnlyAndTheStartedEntryGivesTheCount() {
        // Without a catalog, the count comes from runbook.started's "(3 steps)": step 3 done starts no step 4.
        let t = DrillTimeline.build(drill: F.drill(), entries: F.fullRun(), signals: F.signals, now: F.at(400))
        #expect(t.milestones.compactMap(\.step).allSatisfy { $0.title == nil && $0.id == nil })
        #expect(t.milestones.filter { $0.kind == .stepStarted }.count == 3)
        // A run whose size nobody knows starts no step after a finish: only entries of a step start it.
        let unknown = DrillTimeline.build(
            drill: F.drill(),
            entries: [
                F.entry(1, 10, "runbook.started", runbook: "mystery", detail: "run 1 of mystery"),
                F.entry(2, 20, "runbook.step", runbook: "mystery", step: "1/1", outcome: "done"),
            ],
            signals: DrillSignals(), now: F.at(30))
        #expect(F.shape(unknown) == "step_started:1+10 step_finished:1+20")
    }

    @Test func theCurrentStepIsTheOpenStepOfTheLatestRunWithItsTime() throws {
        let entries = Array(F.fullRun().prefix(7))  // up to step 2 confirmed at 150
        let t = DrillTimeline.build(drill: F.drill(), entries: entries, signals: F.signals, steps: F.catalog, now: F.at(170))
        let c = try #require(t.currentStep)
        #expect(c.step.number == 2 && c.step.title == "Purge the queue" && c.since == F.at(140) && c.elapsed == 30 && c.lastOutcome == nil)
        #expect(t.awaiting == .recovered)
        // A failed try, then a resume on the same step: under way again.
        let retried = DrillTimeline.build(
            drill: F.drill(),
            entries: [
                F.entry(1, 130, "runbook.started", runbook: "sqs-flush", detail: "run 4 of sqs-flush (3 steps)"),
                F.entry(2, 140, "runbook.step", runbook: "sqs-flush", step: "4/1", outcome: "failed"),
                F.entry(3, 160, "runbook.resumed", runbook: "sqs-flush", step: "4/1", detail: "run 4 resumed at step 1"),
            ],
            signals: DrillSignals(), now: F.at(170))
        #expect(retried.currentStep?.step.number == 1 && retried.currentStep?.lastOutcome == nil && retried.currentStep?.since == F.at(130))
    }

    @Test func theEventLogTellsEverythingInOrderIncludingRepeatsOthersAndNotes() {
        let notes = [DrillNote(at: F.at(100), by: "fac", text: "alice is reading the runbook")]
        let entries = F.fullRun() + [F.entry(13, 220, "incident.acknowledged", by: "bob", incident: "7")]
        let t = DrillTimeline.build(drill: F.drill(stoppedAfter: 600, notes: notes), entries: entries, signals: F.signals, now: F.at(700))
        let lines = t.events.map { "\(Int($0.offset)) \($0.kind) \($0.by ?? "-"): \($0.text)" }
        #expect(lines.first == "0 drill.started fac: drill 3 started: scenario orders-backlog, participant alice, target 15m")
        #expect(lines.contains("5 alarm -: alarm prod-orders-queue-depth in ALARM"))
        #expect(lines.contains("8 alarm -: alarm prod-orders-age in ALARM"))
        #expect(lines.contains("6 incident.opened watch: incident 7 opened: prod-orders-queue-depth in ALARM"))
        #expect(lines.contains("60 incident.acknowledged alice: acknowledged incident 7"))
        #expect(lines.contains("220 incident.acknowledged bob: acknowledged incident 7"))
        #expect(lines.contains("100 drill.note fac: note: alice is reading the runbook"))
        #expect(lines.contains("151 aws.intent alice: sends sqs.PurgeQueue (sqs-flush step 4/2)"))
        #expect(lines.contains("152 runbook.step alice: runbook sqs-flush: step 2 (do) done"))
        #expect(lines.contains("210 recovered -: the scenario's recovery condition held"))
        #expect(lines.last == "600 drill.stopped fac: drill 3 stopped")
        #expect(t.events.map(\.at) == t.events.map(\.at).sorted())
        #expect(t.events.count == 1 + 2 + entries.count + 1 + 1 + 1)
    }

    @Test func stepInfoComesFromRunbooks() throws {
        let rb = try RunbookLoader.parse(
            """
            id: tiny
            title: Tiny
            steps:
              - say: Look at the queue.
              - id: depth
                check:
                  call: sqs.GetQueueAttributes
                  with: { QueueUrl: q }
            """, file: "tiny.yaml")
        let catalog = DrillStepInfo.catalog([rb])
        #expect(catalog["tiny"]?.map(\.id) == [nil, "depth"])
        #expect(catalog["tiny"]?.first?.title == "Read and do: Look at the queue.")
        #expect(catalog["tiny"]?.last?.title.contains("sqs.GetQueueAttributes") == true)
    }

    @Test func clockFormat() {
        #expect(DrillFormat.clock(0) == "00:00")
        #expect(DrillFormat.clock(59.9) == "00:59")
        #expect(DrillFormat.clock(252) == "04:12")
        #expect(DrillFormat.clock(3725) == "1:02:05")
        #expect(DrillFormat.clock(-5) == "-00:05")
        #expect(DrillFormat.offset(75) == "+01:15")
        #expect(DrillFormat.clock(.infinity) == "--:--")
    }
}
