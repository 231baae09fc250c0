import BreakglassCore
import Foundation

// The audit screen (issue 7): a live tail of the audit trail, newest at the bottom, following new
// entries unless the person moved up; Enter shows one entry whole; the status line says whether the
// hash chain verifies. Drawing is in AuditRender.swift.

/// One audit entry as the screen shows it. Text is as stored (it can carry AWS messages and alarm
/// names): sanitise it before drawing.
public struct AuditRow: Hashable, Sendable {
    public var seq: Int64
    /// As stored: "2023-11-14T22:13:20.123Z".
    public var at: String
    public var kind: String
    /// "alice" or "alice@10.0.0.5".
    public var actor: String
    /// What it belongs to: "12 rds-failover#3", from `AuditListing.belongsTo`.
    public var context: String
    public var outcome: String?
    /// The operation, parameters and detail in one line, from `AuditListing.what`.
    public var what: String
    /// Every field, for the entry shown whole.
    public var fields: [AuditField]

    public init(seq: Int64, at: String, kind: String, actor: String, context: String, outcome: String?, what: String, fields: [AuditField] = []) {
        self.seq = seq
        self.at = at
        self.kind = kind
        self.actor = actor
        self.context = context
        self.outcome = outcome
        self.what = what
        self.fields = fields
    }

    public init(_ entry: AuditEntry) {
        let d = entry.draft
        var actor = d.actor.user
        if let ssh = d.actor.sshClient { actor += "@" + ssh }
        var fields: [AuditField] = [AuditField("Entry", "#\(entry.seq)"), AuditField("Time", entry.at), AuditField("Kind", d.kind), AuditField("Who", d.actor.user)]
        let optional: [(String, String?)] = [
            ("SSH client", d.actor.sshClient), ("Caller ARN", d.actor.callerARN), ("Role", d.context.role), ("Incident", d.context.incident),
            ("Drill", d.context.drill), ("Runbook", d.context.runbook), ("Step", d.context.step), ("Service", d.service),
            ("Operation", d.operation), ("Region", d.region), ("Parameters", d.parameters), ("Request id", d.requestID),
            ("Outcome", d.outcome), ("For intent", d.intentSeq.map { "#\($0)" }), ("Detail", d.detail),
        ]
        for (name, value) in optional { if let value { fields.append(AuditField(name, value)) } }
        fields.append(AuditField("Hash", entry.hash))
        fields.append(AuditField("Previous hash", entry.prevHash))
        self.init(
            seq: entry.seq, at: entry.at, kind: d.kind, actor: actor, context: AuditListing.belongsTo(d.context), outcome: d.outcome,
            what: AuditListing.what(d), fields: fields)
    }

    /// "22:13:20" (UTC), from the stored time.
    public var time: String {
        let chars = Array(at)
        guard chars.count >= 19 else { return TerminalText.sanitize(at) }
        return TerminalText.sanitize(String(chars[11..<19]))
    }
}

/// One named value of an entry.
public struct AuditField: Hashable, Sendable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// What checking the whole chain found, as `breakglass audit verify` says it.
public struct AuditVerification: Hashable, Sendable {
    public var entries: Int64
    /// The entry the recorded head names; nil for an empty trail.
    public var lastSeq: Int64?
    /// The first problem and the entry it concerns; nil when the chain is intact.
    public var problem: String?
    public var problemSeq: Int64?

    public init(entries: Int64, lastSeq: Int64?, problem: String? = nil, problemSeq: Int64? = nil) {
        self.entries = entries
        self.lastSeq = lastSeq
        self.problem = problem
        self.problemSeq = problemSeq
    }

    public init(_ verification: AuditLog.Verification) {
        self.init(
            entries: verification.entries, lastSeq: verification.head?.seq, problem: verification.problem?.description,
            problemSeq: verification.problem?.seq)
    }
}

public struct AuditViewState: Sendable {
    /// The tail, oldest first, at most `kept` entries.
    public internal(set) var rows: [AuditRow] = []
    public internal(set) var poll = StorePollStatus()
    public internal(set) var selectedIndex: Int?
    /// The selection stays on the newest entry as entries arrive; moving up stops that, G (or
    /// moving back to the last) starts it again.
    public internal(set) var follow = true
    public internal(set) var scrollOffset = 0
    /// The entry shown whole (Enter), and the first of its lines shown.
    public internal(set) var entrySeq: Int64?
    public internal(set) var entryOffset = 0
    /// The last verification's verdict, and when a verification last ran or found nothing new.
    public internal(set) var verification: AuditVerification?
    public internal(set) var verificationError: String?
    public internal(set) var checkedAt: Date?
    public internal(set) var verifyInFlight = false
    public internal(set) var nextVerifyAt = Date.distantPast

    /// Entries kept for scrolling back; older ones are dropped (`breakglass audit export` has all).
    public static let kept = 2000
    /// Entries read per poll.
    public static let batch = 500
    /// Verification walks the whole chain: at most this often, and only when something was committed.
    public static let verifyInterval: TimeInterval = 10

    public init() {}

    public var selectedRow: AuditRow? { selectedIndex.map { rows[$0] } }

    /// Where the next poll starts: nil before the first answer (the newest `batch`).
    var after: Int64? {
        guard poll.loadedAt != nil else { return nil }
        return rows.last?.seq ?? 0
    }
}

public enum AuditEvent: Hashable, Sendable {
    /// Entries after `after` (the newest ones when nil), oldest first.
    case tail([AuditRow], after: Int64?)
    /// Nothing was committed since the last poll.
    case unchanged
    case failed(String)
    /// The console has no audit source (no state file).
    case unavailable
    case verified(AuditVerification)
    /// Nothing was committed since the last verification: its verdict stands.
    case verificationUnchanged
    case verificationFailed(String)
}

public enum AuditEffect: Hashable, Sendable {
    /// Read entries after `after` (the newest `limit` when nil); report with `tail`, `unchanged` or `failed`.
    case tail(after: Int64?, limit: Int)
    /// Check the whole chain; report with `verified`, `verificationUnchanged` or `verificationFailed`.
    case verify
}

/// Where the audit screen reads; calls block on disk and run off the loop.
public struct AuditSource: Sendable {
    /// Entries after `after` (the newest `limit` when nil), at most `limit`; nil when nothing was
    /// committed since the last answer.
    public var tail: @Sendable (_ after: Int64?, _ limit: Int) throws -> [AuditRow]?
    /// The chain checked whole; nil when nothing was committed since the last check.
    public var verify: @Sendable () throws -> AuditVerification?

    public init(
        tail: @escaping @Sendable (_ after: Int64?, _ limit: Int) throws -> [AuditRow]?,
        verify: @escaping @Sendable () throws -> AuditVerification?
    ) {
        self.tail = tail
        self.verify = verify
    }

    /// The source on the shared store's trail through `feed`.
    public static func shared(_ feed: AuditConsoleFeed) -> AuditSource {
        AuditSource(
            tail: { after, limit in try feed.tail(after: after, limit: limit)?.map(AuditRow.init) },
            verify: { try feed.verify().map(AuditVerification.init) })
    }
}

extension ConsoleState {
    /// Whether the console has an audit source; before this, nothing polls.
    public mutating func auditConnect(available: Bool) {
        audit.poll.mode = available ? .on : .unavailable
    }

    mutating func auditKey(_ key: Key, now: Date) -> [ConsoleEffect]? { nil }

    mutating func auditPerform(_ action: ConsoleAction, now: Date) -> [ConsoleEffect]? {
        switch action {
        case .moveDown, .moveUp, .pageDown, .pageUp, .top, .bottom:
            if audit.entrySeq != nil {
                scrollAuditEntry(action)
            } else {
                moveAuditSelection(action)
            }
            return []
        case .select:
            guard let row = audit.selectedRow else { return [] }
            audit.entrySeq = row.seq
            audit.entryOffset = 0
            return []
        case .refresh:
            audit.poll.due = true
            audit.nextVerifyAt = now
            return auditTick(now: now)
        default:
            return nil
        }
    }

    mutating func auditReduce(_ event: AuditEvent, now: Date) -> [ConsoleEffect] {
        switch event {
        case .tail(let rows, let after):
            audit.poll.succeeded(now: now)
            appendAudit(rows)
            // A full batch may have more behind it.
            if after != nil && rows.count >= AuditViewState.batch { audit.poll.due = true }
        case .unchanged:
            audit.poll.succeeded(now: now)
        case .failed(let message):
            audit.poll.failed(message, now: now)
        case .unavailable:
            audit.poll.mode = .unavailable
            audit.poll.inFlight = false
            audit.verifyInFlight = false
        case .verified(let verification):
            audit.verifyInFlight = false
            audit.verification = verification
            audit.verificationError = nil
            audit.checkedAt = now
        case .verificationUnchanged:
            audit.verifyInFlight = false
            audit.checkedAt = now
        case .verificationFailed(let message):
            audit.verifyInFlight = false
            audit.verificationError = message
            audit.checkedAt = now
        }
        return []
    }

    /// Polls and verifies only while the screen shows: nothing else uses the trail.
    mutating func auditTick(now: Date) -> [ConsoleEffect] {
        guard view == .audit, audit.poll.mode == .on else { return [] }
        var effects: [ConsoleEffect] = []
        if audit.poll.start(now: now).start {
            effects.append(.audit(.tail(after: audit.after, limit: AuditViewState.batch)))
        }
        if !audit.verifyInFlight, now >= audit.nextVerifyAt {
            audit.verifyInFlight = true
            audit.nextVerifyAt = now.addingTimeInterval(AuditViewState.verifyInterval)
            effects.append(.audit(.verify))
        }
        return effects
    }

    /// Esc: closes the entry shown whole.
    mutating func auditBack() -> Bool {
        guard audit.entrySeq != nil else { return false }
        audit.entrySeq = nil
        audit.entryOffset = 0
        return true
    }

    var auditAvailable: Set<ConsoleAction> {
        if audit.entrySeq != nil { return [.back] }
        return audit.rows.isEmpty ? [] : [.select]
    }

    // MARK: Helpers

    /// Adds entries newer than the last one kept, drops the oldest beyond `kept`, and keeps the
    /// selection on the newest while following (else on the same entry).
    mutating func appendAudit(_ new: [AuditRow]) {
        let last = audit.rows.last?.seq ?? 0
        let fresh = new.filter { $0.seq > last }
        guard !fresh.isEmpty else { return }
        let selectedSeq = audit.selectedRow?.seq
        audit.rows += fresh
        if audit.rows.count > AuditViewState.kept { audit.rows.removeFirst(audit.rows.count - AuditViewState.kept) }
        if audit.follow || selectedSeq == nil {
            audit.selectedIndex = audit.rows.count - 1
        } else {
            audit.selectedIndex = audit.rows.firstIndex { $0.seq == selectedSeq } ?? 0
        }
        keepAuditSelectionVisible()
    }

    mutating func moveAuditSelection(_ action: ConsoleAction) {
        guard let current = audit.selectedIndex else { return }
        let last = audit.rows.count - 1
        audit.selectedIndex = ScreenArea.moved(from: current, by: action, count: audit.rows.count, page: AuditLayout(self).listHeight)
        audit.follow = audit.selectedIndex == last
        keepAuditSelectionVisible()
    }

    mutating func scrollAuditEntry(_ action: ConsoleAction) {
        let layout = AuditLayout(self)
        let lines = audit.rows.first { $0.seq == audit.entrySeq }.map { AuditEntryText.lines($0, width: size.width).count } ?? 0
        let maximum = max(0, lines - layout.entryHeight)
        audit.entryOffset = ScreenArea.moved(from: audit.entryOffset, by: action, count: maximum + 1, page: layout.entryHeight - 1)
    }

    mutating func keepAuditSelectionVisible() {
        audit.scrollOffset = AuditLayout(self).firstVisible(selected: audit.selectedIndex, offset: audit.scrollOffset, count: audit.rows.count)
    }
}

/// Where the audit screen's parts go: the verification line, the column header and the tail; an
/// entry shown whole takes the rows below the verification line.
struct AuditLayout {
    let area: ScreenArea
    let statusRow: Int
    let headerRow: Int
    let listTop: Int
    let listHeight: Int
    let entryTop: Int
    let entryHeight: Int

    init(_ state: ConsoleState) {
        area = state.layout.area
        statusRow = area.top
        headerRow = area.top + 1
        listTop = area.top + 2
        // While the tail cannot be read, the last row says why.
        listHeight = max(0, area.height - 2 - (state.audit.poll.failure == nil ? 0 : 1))
        entryTop = area.top + 2
        entryHeight = listHeight
    }

    /// The first row shown: `offset` moved the least to show `selected`, never past the end.
    func firstVisible(selected: Int?, offset: Int, count: Int) -> Int {
        ScreenArea.firstVisible(selected: selected, offset: offset, count: count, height: listHeight)
    }
}

extension ConsoleLoop {
    /// Runs the screen's reads on the disk queue and hands the answers back through the inbox.
    func perform(_ effect: AuditEffect) {
        let inbox = self.inbox
        guard let source = dependencies.audit else {
            inbox.push(.audit(.unavailable))
            return
        }
        switch effect {
        case .tail(let after, let limit):
            diskQueue.async {
                do {
                    if let rows = try source.tail(after, limit) {
                        inbox.push(.audit(.tail(rows, after: after)))
                    } else {
                        inbox.push(.audit(.unchanged))
                    }
                } catch {
                    inbox.push(.audit(.failed(String(describing: error))))
                }
            }
        case .verify:
            diskQueue.async {
                do {
                    if let verification = try source.verify() {
                        inbox.push(.audit(.verified(verification)))
                    } else {
                        inbox.push(.audit(.verificationUnchanged))
                    }
                } catch {
                    inbox.push(.audit(.verificationFailed(String(describing: error))))
                }
            }
        }
    }
}
