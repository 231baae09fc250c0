import Foundation

/// A drill: a scenario broken on purpose while a participant recovers it against a target time
/// (docs/DRILLS.md). One row of `drills` (Store migration 5) with its notes.
///
/// The id is an integer the store assigns, like incidents, runbook runs and grants: two facilitators
/// starting at once cannot collide, it is short to type (`drill report 3`), and audit entries carry it
/// as decimal text in their `drill` field, as they carry incidents.
public struct Drill: Sendable, Equatable {
    public var id: Int64
    /// The scenario's id (`scenarios/ID.yaml`).
    public var scenario: String
    /// The OS user whose actions count for the milestones; nil: anyone's do.
    public var participant: String?
    /// The time to recovery the team aims for.
    public var target: Duration
    /// Who started it (the facilitator's OS user).
    public var startedBy: String
    public var startedAt: Date
    public var stoppedAt: Date?
    public var stoppedBy: String?
    /// Oldest first.
    public var notes: [DrillNote]

    public static let defaultTarget: Duration = .seconds(15 * 60)

    public init(
        id: Int64 = 0, scenario: String, participant: String? = nil, target: Duration = Drill.defaultTarget, startedBy: String, startedAt: Date,
        stoppedAt: Date? = nil, stoppedBy: String? = nil, notes: [DrillNote] = []
    ) {
        self.id = id
        self.scenario = scenario
        self.participant = participant
        self.target = target
        self.startedBy = startedBy
        self.startedAt = startedAt
        self.stoppedAt = stoppedAt
        self.stoppedBy = stoppedBy
        self.notes = notes
    }

    public enum Status: String, Sendable, Equatable {
        case running, stopped
    }

    public var status: Status { stoppedAt == nil ? .running : .stopped }

    /// The target in seconds.
    public var targetSeconds: TimeInterval { TimeInterval(DurationSyntax.milliseconds(target)) / 1000 }

    /// What audit entries of this drill carry in their `drill` field.
    public var auditID: String { String(id) }
}

/// A facilitator's note, timed.
public struct DrillNote: Sendable, Equatable {
    public var at: Date
    /// Who wrote it (OS user).
    public var by: String
    /// As typed: untrusted; renderers escape or sanitise it.
    public var text: String

    public init(at: Date, by: String, text: String) {
        self.at = at
        self.by = by
        self.text = text
    }
}
