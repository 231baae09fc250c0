import BreakglassAWS
import Foundation

/// Why the store refused a drill action.
public enum DrillStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Another drill is running; one at a time (there is one sandbox).
    case alreadyRunning(Int64, scenario: String)
    case notFound(Int64)
    /// `stop` with no drill running.
    case noneRunning
    /// `stop` of a drill that was already stopped.
    case alreadyStopped(Int64)
    case emptyNote
    case emptyScenario
    case badTarget
    case store(String)

    public var description: String {
        switch self {
        case .alreadyRunning(let id, let scenario):
            "drill \(id) (\(scenario)) is still running; stop it first (breakglass drill stop)"
        case .notFound(let id): "there is no drill \(id); `breakglass drill history` lists them"
        case .noneRunning: "no drill is running"
        case .alreadyStopped(let id): "drill \(id) has already stopped"
        case .emptyNote: "a note needs some text"
        case .emptyScenario: "a drill needs a scenario"
        case .badTarget: "a drill's target must be longer than zero"
        case .store(let m): m
        }
    }
}

/// Drills and their notes in the shared store (`drills`, `drill_notes`: Store migration 5). Like
/// `IncidentStore`, every change is one write transaction that also appends its audit entry
/// (`drill.started`, `drill.note`, `drill.stopped`, each with the drill's id in `drill`), so the
/// state and the trail never disagree. At most one drill runs at a time: `start` refuses while
/// another runs, and a unique index backs that up against a writer that skips the check.
public final class DrillStore: Sendable {
    public let store: Store
    public let log: AuditLog

    public init(log: AuditLog) {
        self.store = log.store
        self.log = log
    }

    static let columns = "id, scenario, participant, target_ms, started_by, started_at, stopped_at, stopped_by"

    /// Starts a drill of `scenario` at `now`, started by `actor`.
    public func start(scenario: String, participant: String? = nil, target: Duration = Drill.defaultTarget, actor: AuditActor, now: Date) throws -> Drill {
        let scenario = scenario.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !scenario.isEmpty else { throw DrillStoreError.emptyScenario }
        let targetMS = DurationSyntax.milliseconds(target)
        guard targetMS > 0 else { throw DrillStoreError.badTarget }
        let participant = participant.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
        return try store.write { c in
            if let running = try Self.running(c) { throw DrillStoreError.alreadyRunning(running.id, scenario: running.scenario) }
            let rows = try c.query(
                """
                INSERT INTO drills (scenario, participant, target_ms, status, started_by, started_at) VALUES (?, ?, ?, 'running', ?, ?) RETURNING id
                """,
                [.text(scenario), .optional(participant), .integer(targetMS), .text(actor.user), .text(ISO8601.formatMilliseconds(now))])
            guard let id = rows.first?.integer("id") else { throw DrillStoreError.store("inserting into drills returned no id") }
            let drill = Drill(
                id: id, scenario: scenario, participant: participant, target: .milliseconds(targetMS), startedBy: actor.user,
                startedAt: Self.stored(now))
            try log.append(
                AuditDraft(
                    kind: "drill.started", actor: actor, context: AuditContext(drill: drill.auditID),
                    detail: TerminalText.sanitize(
                        "drill \(id) of scenario \(scenario), participant \(participant ?? "anyone"), target \(DurationSyntax.format(drill.target))")),
                in: c)
            return drill
        }
    }

    /// The running drill, if any.
    public func current() throws -> Drill? {
        try store.read { c in try Self.running(c).map { try Self.withNotes(c, $0) } }
    }

    /// The drill `id`, if there is one.
    public func drill(_ id: Int64) throws -> Drill? {
        try store.read { c in try Self.load(c, id) }
    }

    /// Every drill, oldest first, with its notes.
    public func list() throws -> [Drill] {
        try store.read { c in
            var drills = try c.query("SELECT \(Self.columns) FROM drills ORDER BY id").map(Self.drill)
            var notes: [Int64: [DrillNote]] = [:]
            try c.each("SELECT drill, at, user, text FROM drill_notes ORDER BY id") { row in
                notes[row.integer("drill") ?? 0, default: []].append(Self.note(row))
            }
            for i in drills.indices { drills[i].notes = notes[drills[i].id] ?? [] }
            return drills
        }
    }

    /// Adds a note to drill `id` (running or stopped: a debrief may add one afterwards). The text is
    /// kept as typed, trimmed; the audit entry carries it sanitised of control characters.
    @discardableResult
    public func addNote(_ text: String, to id: Int64, actor: AuditActor, now: Date) throws -> DrillNote {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw DrillStoreError.emptyNote }
        return try store.write { c in
            guard try Self.load(c, id) != nil else { throw DrillStoreError.notFound(id) }
            try c.query(
                "INSERT INTO drill_notes (drill, at, user, text) VALUES (?, ?, ?, ?)",
                [.integer(id), .text(ISO8601.formatMilliseconds(now)), .text(actor.user), .text(text)])
            try log.append(
                AuditDraft(kind: "drill.note", actor: actor, context: AuditContext(drill: String(id)), detail: TerminalText.sanitize(text)), in: c)
            return DrillNote(at: Self.stored(now), by: actor.user, text: text)
        }
    }

    /// Stops drill `id`, or the running one when nil, at `now`. Returns it as stored.
    @discardableResult
    public func stop(_ id: Int64? = nil, actor: AuditActor, now: Date) throws -> Drill {
        try store.write { c in
            let found: Drill?
            if let id {
                found = try Self.load(c, id)
                guard found != nil else { throw DrillStoreError.notFound(id) }
            } else {
                found = try Self.running(c).map { try Self.withNotes(c, $0) }
            }
            guard var drill = found else { throw DrillStoreError.noneRunning }
            guard drill.stoppedAt == nil else { throw DrillStoreError.alreadyStopped(drill.id) }
            let stamp = ISO8601.formatMilliseconds(now)
            try c.query(
                "UPDATE drills SET status = 'stopped', stopped_at = ?, stopped_by = ? WHERE id = ?", [.text(stamp), .text(actor.user), .integer(drill.id)])
            drill.stoppedAt = Self.stored(now)
            drill.stoppedBy = actor.user
            let ran = DrillFormat.clock(drill.stoppedAt.map { $0.timeIntervalSince(drill.startedAt) } ?? 0)
            try log.append(
                AuditDraft(
                    kind: "drill.stopped", actor: actor, context: AuditContext(drill: drill.auditID),
                    detail: TerminalText.sanitize("drill \(drill.id) of scenario \(drill.scenario) stopped after \(ran)")),
                in: c)
            return drill
        }
    }

    // MARK: - Rows

    /// `date` as a read back from the store would give it: to the millisecond.
    static func stored(_ date: Date) -> Date { ISO8601.parse(ISO8601.formatMilliseconds(date)) ?? date }

    static func running(_ c: SQLiteConnection) throws -> Drill? {
        try c.query("SELECT \(columns) FROM drills WHERE status = 'running' ORDER BY id DESC LIMIT 1").first.map(drill)
    }

    static func load(_ c: SQLiteConnection, _ id: Int64) throws -> Drill? {
        guard let drill = try c.query("SELECT \(columns) FROM drills WHERE id = ?", [.integer(id)]).first.map(drill) else { return nil }
        return try withNotes(c, drill)
    }

    static func withNotes(_ c: SQLiteConnection, _ drill: Drill) throws -> Drill {
        var drill = drill
        drill.notes = try c.query("SELECT at, user, text FROM drill_notes WHERE drill = ? ORDER BY id", [.integer(drill.id)]).map(note)
        return drill
    }

    static func drill(_ row: SQLRow) -> Drill {
        func date(_ name: String) -> Date? { row.text(name).flatMap(ISO8601.parse) }
        return Drill(
            id: row.integer("id") ?? 0, scenario: row.text("scenario") ?? "", participant: row.text("participant"),
            target: .milliseconds(row.integer("target_ms") ?? 0), startedBy: row.text("started_by") ?? "",
            startedAt: date("started_at") ?? Date(timeIntervalSince1970: 0), stoppedAt: date("stopped_at"), stoppedBy: row.text("stopped_by"))
    }

    static func note(_ row: SQLRow) -> DrillNote {
        DrillNote(at: row.text("at").flatMap(ISO8601.parse) ?? Date(timeIntervalSince1970: 0), by: row.text("user") ?? "", text: row.text("text") ?? "")
    }
}
