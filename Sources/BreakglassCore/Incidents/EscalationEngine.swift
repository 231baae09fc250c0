import BreakglassAWS
import Foundation

/// Where an incident's escalation stands. Persisted as JSON with the incident and changed only by
/// `EscalationEngine`, so every process that holds the state (the daemon, `ack` in another shell)
/// agrees on what happens next.
public struct EscalationState: Sendable, Equatable, Codable {
    public enum Phase: String, Sendable, Codable {
        /// Paging stage after stage until someone acknowledges.
        case paging
        /// Someone acknowledged; nothing is paged unless `reack_after` passes or a snooze ends.
        case acknowledged
        /// Every pass of every stage was paged and nobody acknowledged. Nothing more is sent on its
        /// own; acknowledging, escalating and resolving still work.
        case exhausted
        case resolved
    }

    public var phase: Phase
    /// The pass through the stages, 0 for the first (the plan repeats `repeatCount` more times).
    public var pass: Int
    /// The index of the stage paged last; -1 before the first.
    public var stage: Int
    /// How many firings so far; each firing's number is unique within the incident.
    public var firings: Int
    /// When the next timed change is due (the next stage, a re-alert, the end of a snooze); nil when
    /// nothing will happen without a person.
    public var nextAt: Date?
    /// While set and in the future, nothing is paged; when it passes, the incident alerts again.
    public var snoozedUntil: Date?
    public var acknowledgedAt: Date?
    public var acknowledgedBy: String?
    /// How many times an acknowledged incident alerted again.
    public var realerts: Int

    public init(
        phase: Phase = .paging, pass: Int = 0, stage: Int = -1, firings: Int = 0, nextAt: Date? = nil, snoozedUntil: Date? = nil,
        acknowledgedAt: Date? = nil, acknowledgedBy: String? = nil, realerts: Int = 0
    ) {
        self.phase = phase
        self.pass = pass
        self.stage = stage
        self.firings = firings
        self.nextAt = nextAt
        self.snoozedUntil = snoozedUntil
        self.acknowledgedAt = acknowledgedAt
        self.acknowledgedBy = acknowledgedBy
        self.realerts = realerts
    }

    /// The word `breakglass incidents` shows: open, acknowledged or resolved.
    public var word: String {
        switch phase {
        case .paging, .exhausted: "open"
        case .acknowledged: "acknowledged"
        case .resolved: "resolved"
        }
    }
}

/// One stage paged: every contact of `stage` is to be reached on every channel, once.
public struct EscalationFiring: Sendable, Equatable {
    public enum Reason: String, Sendable, Codable {
        /// The incident opened.
        case opened
        /// The previous stage's wait passed without an acknowledgement.
        case timeout
        /// A new pass of the plan began (`repeat`).
        case repeated
        /// Acknowledged, but not resolved within `reack_after`.
        case realert
        /// A snooze ended with the incident unresolved.
        case snoozeEnded = "snooze-ended"
        /// Someone asked for it (`breakglass escalate`, or "I need help" in the console).
        case manual
    }

    /// Unique within the incident, from 1: with the contact and channel it names a page exactly once.
    public var number: Int
    /// 0-based stage index.
    public var stage: Int
    public var pass: Int
    public var contacts: [String]
    public var reason: Reason
    /// Said in the timeline when the stage was chosen against its time window.
    public var note: String?

    public init(number: Int, stage: Int, pass: Int, contacts: [String], reason: Reason, note: String? = nil) {
        self.number = number
        self.stage = stage
        self.pass = pass
        self.contacts = contacts
        self.reason = reason
        self.note = note
    }
}

public enum EscalationEvent: Sendable, Equatable {
    /// The clock moved; due stages, re-alerts and snooze ends happen.
    case tick
    case acknowledge(by: String)
    case resolve(by: String)
    case snooze(until: Date, by: String)
    /// Page the next stage now.
    case escalate(by: String)
}

public enum EscalationError: Error, Sendable, Equatable, CustomStringConvertible {
    case alreadyResolved
    case alreadyAcknowledged(by: String, at: Date)
    case snoozeInPast

    public var description: String {
        switch self {
        case .alreadyResolved: "it is already resolved"
        case .alreadyAcknowledged(let by, let at): "it is already acknowledged by \(by) at \(ISO8601.format(at))"
        case .snoozeInPast: "a snooze must end in the future"
        }
    }
}

/// The escalation state machine: pure functions of (state, plan, event, now), so tests drive it
/// with a clock of their own and nothing waits.
///
/// Rules:
/// - Opening pages the first stage whose time window contains now. When no stage's window does,
///   the first stage is paged anyway (someone must always be woken) and the firing says so.
/// - A stage's `wait` passing without an acknowledgement pages the next stage in its window; after
///   the last stage a new pass begins, up to `repeat` more passes, then the incident is exhausted.
/// - At most one firing per event: after a daemon outage the next stage is paged once, and its wait
///   starts then, not in the past.
/// - Acknowledging stops escalation; with `reack_after`, an incident still unresolved that long
///   after the acknowledgement alerts the current stage again and escalation resumes.
/// - A snooze silences the incident until it ends, then alerts the current stage again.
/// - Escalating pages the next stage in its window now (the last stage again when there is none)
///   and resumes escalation from there, acknowledged or not.
public enum EscalationEngine {
    /// The state of an incident that opens at `now`, and the first firing.
    public static func open(plan: EscalationPlan, now: Date) -> (EscalationState, EscalationFiring) {
        var state = EscalationState()
        let (index, note) = firstStage(plan, from: 0, now: now) ?? (0, noWindowNote(now))
        let firing = fire(&state, plan, stage: index, pass: 0, reason: .opened, now: now, note: note)
        return (state, firing)
    }

    /// Applies `event` at `now`; returns the firing it causes, if any. Refused events change nothing.
    public static func apply(
        _ event: EscalationEvent, to state: inout EscalationState, plan: EscalationPlan, now: Date
    ) throws(EscalationError) -> EscalationFiring? {
        switch event {
        case .tick:
            return tick(&state, plan, now: now)
        case .acknowledge(let by):
            if state.phase == .resolved { throw .alreadyResolved }
            if state.phase == .acknowledged, let at = state.acknowledgedAt, state.snoozedUntil == nil {
                throw .alreadyAcknowledged(by: state.acknowledgedBy ?? "someone", at: at)
            }
            state.phase = .acknowledged
            state.acknowledgedAt = now
            state.acknowledgedBy = by
            state.snoozedUntil = nil
            state.nextAt = plan.reackAfter.map { now.addingTimeInterval($0.timeInterval) }
            return nil
        case .resolve:
            if state.phase == .resolved { throw .alreadyResolved }
            state.phase = .resolved
            state.nextAt = nil
            state.snoozedUntil = nil
            return nil
        case .snooze(let until, _):
            if state.phase == .resolved { throw .alreadyResolved }
            guard until > now else { throw .snoozeInPast }
            state.snoozedUntil = until
            state.nextAt = until
            if state.phase == .exhausted { state.phase = .paging }
            return nil
        case .escalate:
            if state.phase == .resolved { throw .alreadyResolved }
            let next = firstStage(plan, from: state.stage + 1, now: now)?.index
                ?? lastStage(plan, now: now) ?? max(0, plan.stages.count - 1)
            state.phase = .paging
            state.acknowledgedAt = nil
            state.acknowledgedBy = nil
            state.snoozedUntil = nil
            return fire(&state, plan, stage: next, pass: state.pass, reason: .manual, now: now, note: nil)
        }
    }

    /// Whatever is due at `now`: a snooze's end, a re-alert, the next stage, a new pass.
    static func tick(_ state: inout EscalationState, _ plan: EscalationPlan, now: Date) -> EscalationFiring? {
        guard let due = state.nextAt, due <= now, state.phase != .resolved, !plan.stages.isEmpty else { return nil }
        let current = min(max(state.stage, 0), plan.stages.count - 1)
        if state.snoozedUntil != nil {
            state.snoozedUntil = nil
            state.phase = .paging
            state.acknowledgedAt = nil
            state.acknowledgedBy = nil
            return fire(&state, plan, stage: current, pass: state.pass, reason: .snoozeEnded, now: now, note: nil)
        }
        switch state.phase {
        case .acknowledged:
            state.phase = .paging
            state.realerts += 1
            state.acknowledgedAt = nil
            state.acknowledgedBy = nil
            return fire(&state, plan, stage: current, pass: state.pass, reason: .realert, now: now, note: nil)
        case .paging:
            if let next = firstStage(plan, from: state.stage + 1, now: now) {
                return fire(&state, plan, stage: next.index, pass: state.pass, reason: .timeout, now: now, note: next.note)
            }
            guard state.pass < plan.repeatCount else {
                state.phase = .exhausted
                state.nextAt = nil
                return nil
            }
            let (index, note) = firstStage(plan, from: 0, now: now) ?? (0, noWindowNote(now))
            return fire(&state, plan, stage: index, pass: state.pass + 1, reason: .repeated, now: now, note: note)
        case .exhausted, .resolved:
            state.nextAt = nil
            return nil
        }
    }

    private static func fire(
        _ state: inout EscalationState, _ plan: EscalationPlan, stage: Int, pass: Int, reason: EscalationFiring.Reason, now: Date,
        note: String?
    ) -> EscalationFiring {
        state.firings += 1
        state.stage = stage
        state.pass = pass
        state.phase = .paging
        let s = plan.stages[stage]
        state.nextAt = now.addingTimeInterval(s.wait.timeInterval)
        return EscalationFiring(number: state.firings, stage: stage, pass: pass, contacts: s.notify.map(\.value), reason: reason, note: note)
    }

    /// The first stage at or after `from` whose window contains `now`.
    static func firstStage(_ plan: EscalationPlan, from: Int, now: Date) -> (index: Int, note: String?)? {
        guard from < plan.stages.count else { return nil }
        for index in max(0, from)..<plan.stages.count where plan.stages[index].window?.contains(now) ?? true {
            return (index, nil)
        }
        return nil
    }

    /// The last stage whose window contains `now`.
    static func lastStage(_ plan: EscalationPlan, now: Date) -> Int? {
        plan.stages.indices.last { plan.stages[$0].window?.contains(now) ?? true }
    }

    static func noWindowNote(_ now: Date) -> String {
        "no stage's time window contains \(ISO8601.format(now)); paging stage 1 anyway"
    }

    /// When `state` next needs the clock, for a daemon deciding how long to sleep.
    public static func nextWake(_ state: EscalationState) -> Date? {
        state.phase == .resolved ? nil : state.nextAt
    }
}
