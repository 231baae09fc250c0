import BreakglassAWS
import Foundation

/// Runbook runs in the state store (`runbook_runs`, `runbook_approvals`): each run's whole state as
/// JSON, written after every transition in one durable transaction, so a run killed at any moment
/// resumes from its last transition. Approvals are rows of their own, written by the approver's
/// process; the run's driver only reads them.
public struct RunbookRunStore: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    /// A stored run and who drives it.
    public struct Record: Sendable, Equatable {
        public var run: RunbookRunState
        public var user: String
        public var sshClient: String?
        public var updatedAt: Date
        /// The process driving the run now, if it recorded one.
        public var driverPID: Int32?
    }

    public struct Approval: Sendable, Equatable {
        public var run: Int64
        public var step: Int
        public var user: String
        public var sshClient: String?
        public var at: Date
    }

    /// Stores a new run and returns it with its number.
    public func create(_ run: RunbookRunState, actor: AuditActor, driverPID: Int32?, now: Date) throws -> RunbookRunState {
        var run = run
        let stamp = ISO8601.formatMilliseconds(now)
        run.id = try store.write { c in
            try c.query(
                """
                INSERT INTO runbook_runs (runbook, status, state, user, ssh_client, incident, drill, started_at, updated_at, driver_pid)
                VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id
                """,
                [
                    .text(run.runbook), .text(run.status.rawValue), .text("{}"), .text(actor.user), .optional(actor.sshClient),
                    .optional(run.incident), .optional(run.drill), .text(ISO8601.formatMilliseconds(run.startedAt)), .text(stamp),
                    driverPID.map { .integer(Int64($0)) } ?? .null,
                ]
            ).first?.integer("id") ?? 0
        }
        try save(run, now: now)
        return run
    }

    /// Writes the run's state; durable when it returns.
    public func save(_ run: RunbookRunState, now: Date) throws {
        let json = JSON.encode(RunbookRunCoding.encode(run))
        _ = try store.write { c in
            try c.query(
                "UPDATE runbook_runs SET status = ?, state = ?, updated_at = ? WHERE id = ?",
                [.text(run.status.rawValue), .text(json), .text(ISO8601.formatMilliseconds(now)), .integer(run.id)])
        }
    }

    /// Records (or clears, with nil) the process driving a run.
    public func setDriver(_ run: Int64, pid: Int32?) throws {
        _ = try store.write { c in
            try c.query("UPDATE runbook_runs SET driver_pid = ? WHERE id = ?", [pid.map { .integer(Int64($0)) } ?? .null, .integer(run)])
        }
    }

    public func load(_ id: Int64) throws -> Record? {
        try store.read { c in try c.query("SELECT * FROM runbook_runs WHERE id = ?", [.integer(id)]).first.map(Self.record) }
    }

    /// Runs not yet finished, oldest first; of one runbook when `runbook` is given.
    public func unfinished(runbook: String? = nil) throws -> [Record] {
        try store.read { c in
            var sql = "SELECT * FROM runbook_runs WHERE status NOT IN ('succeeded', 'failed', 'abandoned')"
            var args: [SQLValue] = []
            if let runbook {
                sql += " AND runbook = ?"
                args.append(.text(runbook))
            }
            return try c.query(sql + " ORDER BY id", args).map(Self.record)
        }
    }

    /// The latest runs, newest first.
    public func recent(limit: Int = 20) throws -> [Record] {
        try store.read { c in try c.query("SELECT * FROM runbook_runs ORDER BY id DESC LIMIT ?", [.integer(Int64(limit))]).map(Self.record) }
    }

    /// Records `actor`'s approval of step `step` (0-based) of run `run`. Once per step: a second
    /// approval is refused.
    public func approve(run: Int64, step: Int, actor: AuditActor, now: Date) throws {
        _ = try store.write { c in
            try c.query(
                "INSERT INTO runbook_approvals (run, step, user, ssh_client, at) VALUES (?,?,?,?,?)",
                [.integer(run), .integer(Int64(step)), .text(actor.user), .optional(actor.sshClient), .text(ISO8601.formatMilliseconds(now))])
        }
    }

    public func approval(run: Int64, step: Int) throws -> Approval? {
        try store.read { c in
            try c.query("SELECT * FROM runbook_approvals WHERE run = ? AND step = ?", [.integer(run), .integer(Int64(step))]).first.map { row in
                Approval(
                    run: run, step: step, user: row.text("user") ?? "", sshClient: row.text("ssh_client"),
                    at: ISO8601.parse(row.text("at") ?? "") ?? Date(timeIntervalSince1970: 0))
            }
        }
    }

    /// What the audit trail recorded of each `do` of `run` that was being sent: its intent entry
    /// (step context "RUN/STEP") and the outcome linked to it.
    public func sendRecords(_ run: RunbookRunState, log: AuditLog) throws -> [Int: RunbookSendRecord] {
        var records: [Int: RunbookSendRecord] = [:]
        for (i, state) in run.steps.enumerated() where state.status == .running && state.sent {
            let step = RunbookRunCoding.auditStep(run: run.id, step: i)
            records[i] = try store.read { c -> RunbookSendRecord in
                guard
                    let intent = try c.query(
                        "SELECT seq FROM audit WHERE kind = 'aws.intent' AND runbook = ? AND step = ? ORDER BY seq DESC LIMIT 1",
                        [.text(run.runbook), .text(step)]
                    ).first?.integer("seq")
                else { return .notSent }
                guard let outcome = try c.query("SELECT outcome, request_id, detail FROM audit WHERE kind = 'aws.outcome' AND intent_seq = ?", [.integer(intent)]).first else {
                    return .unknown("the intent was recorded (audit entry \(intent)) and no outcome")
                }
                let detail = outcome.text("detail") ?? ""
                switch outcome.text("outcome") {
                case "succeeded": return .succeeded(requestID: outcome.text("request_id"))
                case "failed": return .failed(detail)
                case "not-sent": return .notSent
                default: return .unknown(detail.isEmpty ? "recorded as unknown (audit entry \(intent))" : detail)
                }
            }
        }
        return records
    }

    static func record(_ row: SQLRow) -> Record {
        let decoded = (try? JSON.decode(row.text("state") ?? "{}")).flatMap(RunbookRunCoding.decode)
        var run = decoded ?? RunbookRunState(
            runbook: Runbook(id: row.text("runbook") ?? "", title: "", steps: [], file: "", location: SourceLocation(file: "", line: 0, column: 0)),
            params: [:], region: "", now: Date(timeIntervalSince1970: 0))
        run.id = row.integer("id") ?? 0
        if decoded == nil {
            run.status = .failed
            run.reason = "its stored state cannot be read"
        }
        return Record(
            run: run, user: row.text("user") ?? "", sshClient: row.text("ssh_client"),
            updatedAt: ISO8601.parse(row.text("updated_at") ?? "") ?? Date(timeIntervalSince1970: 0),
            driverPID: row.integer("driver_pid").map { Int32(truncatingIfNeeded: $0) })
    }
}

/// The JSON form of a run's state (the `state` column), documented in docs/RUNBOOKS.md.
public enum RunbookRunCoding {
    /// The `step` an audit entry of a run's step carries: "RUN/STEP", the step counted from 1.
    public static func auditStep(run: Int64, step: Int) -> String { "\(run)/\(step + 1)" }

    public static func encode(_ run: RunbookRunState) -> AWSValue {
        var o = AWSObject()
        o["runbook"] = .string(run.runbook)
        if let s = run.source { o["source"] = .string(s) }
        o["params"] = .object(AWSObject(run.params.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }))
        o["region"] = .string(run.region)
        if let r = run.role { o["role"] = .string(r) }
        if let x = run.incident { o["incident"] = .string(x) }
        if let x = run.drill { o["drill"] = .string(x) }
        o["status"] = .string(run.status.rawValue)
        if let r = run.reason { o["reason"] = .string(r) }
        o["shape"] = .array(run.shape.map { .string($0) })
        o["started_at"] = date(run.startedAt)
        if let f = run.finishedAt { o["finished_at"] = date(f) }
        o["steps"] = .array(run.steps.map(encodeStep))
        return .object(o)
    }

    public static func encodeStep(_ s: RunbookStepState) -> AWSValue {
        var o = AWSObject()
        o["status"] = .string(s.status.rawValue)
        if let d = s.startedAt { o["started_at"] = date(d) }
        if let d = s.finishedAt { o["finished_at"] = date(d) }
        if let d = s.detail { o["detail"] = .string(d) }
        if let r = s.requestID { o["request_id"] = .string(r) }
        if let v = s.output { o["output"] = v }
        if let v = s.input { o["input"] = v }
        if s.beforeRead { o["before_read"] = .bool(true) }
        if let b = s.before { o["before"] = .object(b) }
        if s.sent { o["sent"] = .bool(true) }
        if let c = s.confirmedBy { o["by"] = .string(c) }
        if let v = s.verification {
            let (verdict, detail): (String, String) =
                switch v {
                case .applied(let d): ("applied", d)
                case .notApplied(let d): ("not_applied", d)
                case .cannotTell(let d): ("cannot_tell", d)
                }
            o["verification"] = ["verdict": .string(verdict), "detail": .string(detail)]
        }
        if let d = s.deadline { o["deadline"] = date(d) }
        if let d = s.nextPollAt { o["next_poll_at"] = date(d) }
        if s.polls > 0 { o["polls"] = .int(s.polls) }
        return .object(o)
    }

    public static func decode(_ value: AWSValue) -> RunbookRunState? {
        guard let runbook = value["runbook"]?.string, let region = value["region"]?.string,
            let status = value["status"]?.string.flatMap(RunbookRunStatus.init(rawValue:)),
            let started = value["started_at"].flatMap(parseDate), let steps = value["steps"]?.array
        else { return nil }
        var params: [String: AWSValue] = [:]
        for (k, v) in value["params"]?.object ?? AWSObject() { params[k] = v }
        var run = RunbookRunState(
            runbook: Runbook(id: runbook, title: "", steps: [], file: "", location: SourceLocation(file: "", line: 0, column: 0)), params: params, region: region,
            role: value["role"]?.string, incident: value["incident"]?.string, drill: value["drill"]?.string, source: value["source"]?.string, now: started)
        run.status = status
        run.reason = value["reason"]?.string
        run.shape = value["shape"]?.array?.compactMap(\.string) ?? []
        run.finishedAt = value["finished_at"].flatMap(parseDate)
        var decoded: [RunbookStepState] = []
        for step in steps {
            guard let s = decodeStep(step) else { return nil }
            decoded.append(s)
        }
        run.steps = decoded
        return run
    }

    static func decodeStep(_ v: AWSValue) -> RunbookStepState? {
        guard let status = v["status"]?.string.flatMap(RunbookStepStatus.init(rawValue:)) else { return nil }
        var s = RunbookStepState()
        s.status = status
        s.startedAt = v["started_at"].flatMap(parseDate)
        s.finishedAt = v["finished_at"].flatMap(parseDate)
        s.detail = v["detail"]?.string
        s.requestID = v["request_id"]?.string
        s.output = v["output"]
        s.input = v["input"]
        s.beforeRead = v["before_read"]?.bool ?? false
        s.before = v["before"]?.object
        s.sent = v["sent"]?.bool ?? false
        s.confirmedBy = v["by"]?.string
        if let ver = v["verification"], let detail = ver["detail"]?.string {
            switch ver["verdict"]?.string {
            case "applied": s.verification = .applied(detail)
            case "not_applied": s.verification = .notApplied(detail)
            default: s.verification = .cannotTell(detail)
            }
        }
        s.deadline = v["deadline"].flatMap(parseDate)
        s.nextPollAt = v["next_poll_at"].flatMap(parseDate)
        s.polls = v["polls"]?.int ?? 0
        return s
    }

    static func date(_ d: Date) -> AWSValue { .string(ISO8601.formatMilliseconds(d)) }
    static func parseDate(_ v: AWSValue) -> Date? { v.string.flatMap(ISO8601.parse) }
}
