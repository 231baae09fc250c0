import BreakglassCore
import Foundation
import Testing

/// The escalation state machine on a clock the tests set: every timed rule is checked by moving
/// `now`, never by waiting.
@Suite("Escalation engine")
struct EscalationEngineTests {
    /// 2026-11-16 is a Monday; 10:00 UTC.
    static let t0 = Date(timeIntervalSince1970: 1_794_823_200)
    static let here = BreakglassCore.SourceLocation(file: "breakglass.yaml", line: 1, column: 1)

    static func stage(_ contacts: [String], wait: Int, window: String? = nil) -> EscalationStage {
        EscalationStage(
            notify: contacts.map { Located($0, at: here) }, wait: .seconds(wait),
            window: window.flatMap { try? TimeWindow.parse($0).get() }, location: here)
    }

    static func plan(_ stages: [EscalationStage], repeat count: Int = 0, reack: Int? = nil) -> EscalationPlan {
        EscalationPlan(id: "p", stages: stages, repeatCount: count, reackAfter: reack.map { .seconds($0) }, location: here)
    }

    /// primary (5m) -> secondary (5m) -> cofounder + secondary (10m), repeated once.
    static let standard = plan(
        [stage(["primary"], wait: 300), stage(["secondary"], wait: 300), stage(["cofounder", "secondary"], wait: 600)], repeat: 1,
        reack: 1800)

    /// One step of a script: at `t` seconds after t0, apply `event`; expect a firing of these
    /// contacts for this reason (or none), and the phase after.
    struct Step: Sendable, CustomStringConvertible {
        var t: Int
        var event: EscalationEvent
        var fires: [String]?
        var reason: EscalationFiring.Reason?
        var phase: EscalationState.Phase
        var next: Int?
        var description: String { "t+\(t)s \(event)" }
    }

    static func run(_ plan: EscalationPlan, _ steps: [Step], sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        var (state, first) = EscalationEngine.open(plan: plan, now: t0)
        #expect(first.number == 1 && first.reason == .opened)
        var numbers = [first.number]
        for step in steps {
            let now = t0.addingTimeInterval(TimeInterval(step.t))
            let firing = try EscalationEngine.apply(step.event, to: &state, plan: plan, now: now)
            #expect(firing?.contacts == step.fires, "\(step)", sourceLocation: sourceLocation)
            #expect(firing?.reason == step.reason, "\(step)", sourceLocation: sourceLocation)
            #expect(state.phase == step.phase, "\(step)", sourceLocation: sourceLocation)
            #expect(state.nextAt == step.next.map { t0.addingTimeInterval(TimeInterval($0)) }, "\(step): next", sourceLocation: sourceLocation)
            if let firing { numbers.append(firing.number) }
        }
        // Firing numbers are unique and increasing: a page is named by (firing, contact, channel).
        #expect(numbers == Array(1...numbers.count), sourceLocation: sourceLocation)
    }

    @Test("opening pages the first stage and waits its wait")
    func opens() {
        let (state, firing) = EscalationEngine.open(plan: Self.standard, now: Self.t0)
        #expect(firing == EscalationFiring(number: 1, stage: 0, pass: 0, contacts: ["primary"], reason: .opened))
        #expect(state.phase == .paging && state.word == "open")
        #expect(state.nextAt == Self.t0.addingTimeInterval(300))
    }

    @Test("unacknowledged: each stage after the previous one's wait, then a repeat pass, then exhausted")
    func escalatesThroughPasses() throws {
        try Self.run(Self.standard, [
            Step(t: 299, event: .tick, fires: nil, reason: nil, phase: .paging, next: 300),
            Step(t: 300, event: .tick, fires: ["secondary"], reason: .timeout, phase: .paging, next: 600),
            Step(t: 300, event: .tick, fires: nil, reason: nil, phase: .paging, next: 600),
            Step(t: 600, event: .tick, fires: ["cofounder", "secondary"], reason: .timeout, phase: .paging, next: 1200),
            Step(t: 1200, event: .tick, fires: ["primary"], reason: .repeated, phase: .paging, next: 1500),
            Step(t: 1500, event: .tick, fires: ["secondary"], reason: .timeout, phase: .paging, next: 1800),
            Step(t: 1800, event: .tick, fires: ["cofounder", "secondary"], reason: .timeout, phase: .paging, next: 2400),
            Step(t: 2400, event: .tick, fires: nil, reason: nil, phase: .exhausted, next: nil),
            Step(t: 9000, event: .tick, fires: nil, reason: nil, phase: .exhausted, next: nil),
        ])
    }

    @Test("a late tick (daemon was down) pages one stage, and that stage's wait starts then")
    func lateTickFiresOnce() throws {
        try Self.run(Self.standard, [
            Step(t: 5000, event: .tick, fires: ["secondary"], reason: .timeout, phase: .paging, next: 5300),
            Step(t: 5000, event: .tick, fires: nil, reason: nil, phase: .paging, next: 5300),
        ])
    }

    @Test("acknowledging stops escalation; with reack_after it alerts the current stage again, then escalates on")
    func acknowledgeAndRealert() throws {
        try Self.run(Self.standard, [
            Step(t: 300, event: .tick, fires: ["secondary"], reason: .timeout, phase: .paging, next: 600),
            Step(t: 400, event: .acknowledge(by: "alice"), fires: nil, reason: nil, phase: .acknowledged, next: 2200),
            Step(t: 600, event: .tick, fires: nil, reason: nil, phase: .acknowledged, next: 2200),
            Step(t: 2200, event: .tick, fires: ["secondary"], reason: .realert, phase: .paging, next: 2500),
            Step(t: 2500, event: .tick, fires: ["cofounder", "secondary"], reason: .timeout, phase: .paging, next: 3100),
        ])
    }

    @Test("without reack_after an acknowledged incident stays quiet until resolved; resolving ends everything")
    func acknowledgeWithoutRealert() throws {
        let plan = Self.plan([Self.stage(["primary"], wait: 60), Self.stage(["secondary"], wait: 60)])
        try Self.run(plan, [
            Step(t: 10, event: .acknowledge(by: "alice"), fires: nil, reason: nil, phase: .acknowledged, next: nil),
            Step(t: 100_000, event: .tick, fires: nil, reason: nil, phase: .acknowledged, next: nil),
            Step(t: 100_001, event: .resolve(by: "alice"), fires: nil, reason: nil, phase: .resolved, next: nil),
            Step(t: 200_000, event: .tick, fires: nil, reason: nil, phase: .resolved, next: nil),
        ])
    }

    @Test("resolving an acknowledged incident stops its re-alert")
    func resolveStopsRealert() throws {
        try Self.run(Self.standard, [
            Step(t: 10, event: .acknowledge(by: "alice"), fires: nil, reason: nil, phase: .acknowledged, next: 1810),
            Step(t: 20, event: .resolve(by: "alice"), fires: nil, reason: nil, phase: .resolved, next: nil),
            Step(t: 1810, event: .tick, fires: nil, reason: nil, phase: .resolved, next: nil),
        ])
    }

    @Test("a snooze silences the incident, then alerts the current stage again and escalation resumes")
    func snooze() throws {
        try Self.run(Self.standard, [
            Step(t: 100, event: .snooze(until: Self.t0.addingTimeInterval(1000), by: "bob"), fires: nil, reason: nil, phase: .paging, next: 1000),
            Step(t: 300, event: .tick, fires: nil, reason: nil, phase: .paging, next: 1000),
            Step(t: 1000, event: .tick, fires: ["primary"], reason: .snoozeEnded, phase: .paging, next: 1300),
            Step(t: 1300, event: .tick, fires: ["secondary"], reason: .timeout, phase: .paging, next: 1600),
            // Snoozing an acknowledged incident: it alerts again when the snooze ends.
            Step(t: 1400, event: .acknowledge(by: "bob"), fires: nil, reason: nil, phase: .acknowledged, next: 3200),
            Step(t: 1500, event: .snooze(until: Self.t0.addingTimeInterval(4000), by: "bob"), fires: nil, reason: nil, phase: .acknowledged, next: 4000),
            Step(t: 3200, event: .tick, fires: nil, reason: nil, phase: .acknowledged, next: 4000),
            Step(t: 4000, event: .tick, fires: ["secondary"], reason: .snoozeEnded, phase: .paging, next: 4300),
        ])
    }

    @Test("escalate pages the next stage now, even when acknowledged; past the last stage it pages the last again")
    func escalateNow() throws {
        try Self.run(Self.standard, [
            Step(t: 10, event: .acknowledge(by: "alice"), fires: nil, reason: nil, phase: .acknowledged, next: 1810),
            Step(t: 20, event: .escalate(by: "alice"), fires: ["secondary"], reason: .manual, phase: .paging, next: 320),
            Step(t: 30, event: .escalate(by: "alice"), fires: ["cofounder", "secondary"], reason: .manual, phase: .paging, next: 630),
            Step(t: 40, event: .escalate(by: "alice"), fires: ["cofounder", "secondary"], reason: .manual, phase: .paging, next: 640),
            Step(t: 640, event: .tick, fires: ["primary"], reason: .repeated, phase: .paging, next: 940),
        ])
    }

    @Test("an exhausted incident can still be escalated and acknowledged")
    func exhausted() throws {
        let plan = Self.plan([Self.stage(["primary"], wait: 60)])
        try Self.run(plan, [
            Step(t: 60, event: .tick, fires: nil, reason: nil, phase: .exhausted, next: nil),
            Step(t: 70, event: .escalate(by: "carol"), fires: ["primary"], reason: .manual, phase: .paging, next: 130),
            Step(t: 80, event: .acknowledge(by: "carol"), fires: nil, reason: nil, phase: .acknowledged, next: nil),
        ])
    }

    @Test("stages outside their time window are skipped; with none in its window the first is paged anyway")
    func timeWindows() throws {
        // Monday 10:00 UTC: the office-hours stage applies, the weekend one does not.
        let plan = Self.plan([
            Self.stage(["weekend"], wait: 60, window: "Sat-Sun 00:00-24:00"),
            Self.stage(["office"], wait: 60, window: "Mon-Fri 09:00-18:00"),
            Self.stage(["night"], wait: 60, window: "22:00-06:00"),
            Self.stage(["boss"], wait: 60),
        ])
        let (state, first) = EscalationEngine.open(plan: plan, now: Self.t0)
        #expect(first.contacts == ["office"] && first.stage == 1 && first.note == nil)
        var s = state
        let second = try EscalationEngine.apply(.tick, to: &s, plan: plan, now: Self.t0.addingTimeInterval(60))
        #expect(second?.contacts == ["boss"], "the night stage is skipped at 10:01")

        // Saturday 23:00 UTC: weekend and night both apply.
        let saturdayNight = Self.t0.addingTimeInterval(5 * 86400 + 13 * 3600)
        let (_, weekendFirst) = EscalationEngine.open(plan: plan, now: saturdayNight)
        #expect(weekendFirst.contacts == ["weekend"])

        // A plan whose only stage is outside its window still wakes someone, and says why.
        let narrow = Self.plan([Self.stage(["office"], wait: 60, window: "Mon-Fri 09:00-18:00")])
        let (_, forced) = EscalationEngine.open(plan: narrow, now: saturdayNight)
        #expect(forced.contacts == ["office"])
        #expect(forced.note?.contains("no stage's time window") == true)
    }

    @Test("refused events change nothing", arguments: [
        (EscalationEvent.resolve(by: "x"), EscalationError.alreadyResolved),
        (.acknowledge(by: "x"), .alreadyResolved),
        (.escalate(by: "x"), .alreadyResolved),
        (.snooze(until: Date(timeIntervalSince1970: 1_794_826_800), by: "x"), .alreadyResolved),
    ])
    func refusedAfterResolve(event: EscalationEvent, error: EscalationError) throws {
        var (state, _) = EscalationEngine.open(plan: Self.standard, now: Self.t0)
        _ = try EscalationEngine.apply(.resolve(by: "a"), to: &state, plan: Self.standard, now: Self.t0)
        let before = state
        #expect(throws: error) { _ = try EscalationEngine.apply(event, to: &state, plan: Self.standard, now: Self.t0.addingTimeInterval(1)) }
        #expect(state == before)
    }

    @Test("acknowledging twice names who acknowledged first; a snooze must end in the future")
    func doubleAckAndPastSnooze() throws {
        var (state, _) = EscalationEngine.open(plan: Self.standard, now: Self.t0)
        _ = try EscalationEngine.apply(.acknowledge(by: "alice"), to: &state, plan: Self.standard, now: Self.t0.addingTimeInterval(5))
        let before = state
        #expect(throws: EscalationError.alreadyAcknowledged(by: "alice", at: Self.t0.addingTimeInterval(5))) {
            _ = try EscalationEngine.apply(.acknowledge(by: "bob"), to: &state, plan: Self.standard, now: Self.t0.addingTimeInterval(6))
        }
        #expect(throws: EscalationError.snoozeInPast) {
            _ = try EscalationEngine.apply(.snooze(until: Self.t0, by: "bob"), to: &state, plan: Self.standard, now: Self.t0.addingTimeInterval(6))
        }
        #expect(state == before)
    }

    @Test("the state survives a JSON round trip")
    func codable() throws {
        var (state, _) = EscalationEngine.open(plan: Self.standard, now: Self.t0)
        _ = try EscalationEngine.apply(.acknowledge(by: "alice"), to: &state, plan: Self.standard, now: Self.t0.addingTimeInterval(5))
        let data = try JSONEncoder().encode(state)
        #expect(try JSONDecoder().decode(EscalationState.self, from: data) == state)
    }
}
