import BreakglassAWS
import Foundation

/// Ships the audit trail to one CloudWatch Logs stream, so that a copy exists outside the host: an
/// attacker (or an accident) that rewrites the local chain consistently, or cuts its newest entries,
/// cannot also rewrite what already landed in CloudWatch Logs. `verifyRemote` compares the two.
///
/// What it guarantees, and how:
/// - **Every entry, once.** A durable cursor (the destination's `audit_shipping` row) says which
///   entries have landed. Before a batch is sent its seq range is written there as pending (by
///   `ShippingJournal`, which refuses a batch that does not start right after the cursor); a success
///   advances the cursor and clears the range in one write; a definite failure (AWS answered with an
///   error, or the request never left) clears the range; an unknown outcome (the answer was lost) leaves
///   it. Before anything else is sent, a pending range is settled by reading the stream back
///   (GetLogEvents, newest first, as far back as the batch's first timestamp): the cursor moves to the
///   highest entry that landed, and only then does shipping continue. So a lost answer never causes a
///   resend of what landed, in this process or after a restart.
/// - **Outages and restarts.** Nothing but the cursor row carries state between rounds; a failed round
///   is repeated after a growing pause (`run`).
/// - **Heads.** An event `{"type":"head","seq":N,"hash":"…","at":"…"}` naming the last shipped entry is
///   sent after each catch-up and every `headEvery`, so the remote copy records how long the chain was
///   at a given time: cutting entries off locally afterwards shows.
///
/// One event per entry: timestamp = the entry's time in milliseconds, message = the entry's export
/// JSON (`JSON.encode(entry.json)`), one line. See docs/AUDIT-SHIPPING.md for the limits.
public final class AuditShipper: Sendable {
    public typealias Destination = AuditShippingDestination

    public struct Settings: Sendable, Equatable {
        /// Pause between rounds in `run` when all is well.
        public var interval: Duration
        /// A head event is shipped when this long has passed since the last one (and after a catch-up).
        public var headEvery: Duration
        /// Events per PutLogEvents call (CloudWatch Logs allows 10,000).
        public var maxEvents: Int
        /// A batch's size as CloudWatch Logs counts it (UTF-8 message bytes + 26 per event) stays below this.
        public var maxBatchBytes: Int
        /// A message longer than this is shipped shortened (seq, at, kind, hash and a note); CloudWatch
        /// Logs refuses events over 256 KB.
        public var maxMessageBytes: Int
        /// How long a pending batch is left alone before the stream is read back to settle it: long
        /// enough that the request cannot still be in flight (in this or another process) and that
        /// CloudWatch Logs shows what it accepted. Nil: derived from the client's timeouts and retries.
        public var reconcileAfter: Duration?
        /// The longest pause between failing rounds.
        public var maxBackoff: Duration

        public init(
            interval: Duration = .seconds(30), headEvery: Duration = .seconds(300), maxEvents: Int = 1000,
            maxBatchBytes: Int = 1_048_576, maxMessageBytes: Int = 262_144 - 26, reconcileAfter: Duration? = nil,
            maxBackoff: Duration = .seconds(600)
        ) {
            self.interval = interval
            self.headEvery = headEvery
            self.maxEvents = maxEvents
            self.maxBatchBytes = maxBatchBytes
            self.maxMessageBytes = maxMessageBytes
            self.reconcileAfter = reconcileAfter
            self.maxBackoff = maxBackoff
        }
    }

    /// Why a round stopped short.
    public enum Problem: Sendable, Equatable, CustomStringConvertible {
        /// AWS refused the batch, or it never left: nothing landed, the cursor did not move, and the next
        /// round sends the same entries again.
        case failed(String)
        /// The batch may or may not have landed (its answer was lost). It stays pending; a later round
        /// reads the stream back before sending anything.
        case outcomeUnknown(String)
        /// A pending batch is left alone until `until` (see `Settings.reconcileAfter`).
        case awaitingReconcile(first: Int64, last: Int64, until: Date)
        /// The shipping journal refused the batch before it was sent: another process is shipping to
        /// the same destination, or the state database could not record the intent.
        case refused(String)
        /// The local trail, or the copy in the stream, failed a check (an entry the stream has and the
        /// trail does not, a shipped entry that differs, a gap in the trail). Shipping stops here.
        case chain(AuditChainVerifier.Problem)
        /// CloudWatch Logs accepted the batch but rejected some of its events (too old or too new for
        /// the stream); those are missing from the remote copy.
        case rejected(String)
        /// The state database could not be read or written.
        case store(String)

        /// Whether `run` should back off before the next round.
        public var isFailure: Bool {
            switch self {
            case .awaitingReconcile, .rejected: false
            default: true
            }
        }

        public var description: String {
            switch self {
            case .failed(let m): "not shipped: \(m)"
            case .outcomeUnknown(let m): "outcome unknown: \(m); the stream will be read back before anything more is sent"
            case .awaitingReconcile(let first, let last, let until):
                "entries \(first)-\(last) were sent and their answer was lost; the stream is read back from \(ISO8601.format(until)) on to see whether they landed"
            case .refused(let m): "not sent: \(m)"
            case .chain(let p): "shipping stopped: \(p)"
            case .rejected(let m): m
            case .store(let m): "the state database: \(m)"
            }
        }
    }

    /// What reading the stream back found for a pending batch.
    public struct Reconciliation: Sendable, Equatable {
        public var pending: ClosedRange<Int64>
        /// The highest entry of the batch found in the stream; nil when none of it landed.
        public var landedThrough: Int64?

        public init(pending: ClosedRange<Int64>, landedThrough: Int64?) {
            self.pending = pending
            self.landedThrough = landedThrough
        }
    }

    /// What one round did.
    public struct Report: Sendable, Equatable, CustomStringConvertible {
        /// Entries shipped in this round.
        public var shipped = 0
        /// The range shipped in this round.
        public var first: Int64?
        public var last: Int64?
        /// PutLogEvents calls that landed.
        public var batches = 0
        /// The cursor after the round: every entry up to here has landed.
        public var cursor: Int64 = 0
        /// Whether a head event landed in this round.
        public var headShipped = false
        public var reconciled: Reconciliation?
        public var problem: Problem?

        public init() {}

        public var description: String {
            var parts: [String] = []
            if let r = reconciled {
                if let through = r.landedThrough {
                    parts.append("read back entries \(r.pending.lowerBound)-\(r.pending.upperBound): landed through \(through)")
                } else {
                    parts.append("read back entries \(r.pending.lowerBound)-\(r.pending.upperBound): none had landed")
                }
            }
            if let first, let last {
                parts.append("shipped \(shipped) \(shipped == 1 ? "entry" : "entries") (\(first)-\(last)) in \(batches) \(batches == 1 ? "batch" : "batches")")
            } else if problem == nil {
                parts.append("nothing new to ship")
            }
            if headShipped { parts.append("head shipped") }
            parts.append("cursor at \(cursor)")
            if let problem { parts.append(problem.description) }
            return parts.joined(separator: "; ")
        }
    }

    public let log: AuditLog
    public let destination: Destination
    public let settings: Settings
    /// The caller's client, journaled by a `ShippingJournal` on the log's store.
    let client: AWSClient
    private let clock: @Sendable () -> Date
    private let sleep: @Sendable (Duration) async throws -> Void

    /// `client` may carry any journal (or none): the shipper's writes go through a `ShippingJournal`.
    /// `clock` and `sleep` are injected (tests drive them by hand).
    public init(
        log: AuditLog, client: AWSClient, destination: Destination, settings: Settings = Settings(),
        clock: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.log = log
        self.destination = destination
        var s = settings
        s.maxEvents = min(max(1, s.maxEvents), 10_000)
        s.maxBatchBytes = max(s.maxBatchBytes, 1024)
        s.maxMessageBytes = min(max(256, s.maxMessageBytes), s.maxBatchBytes - Self.eventOverhead - 1)
        self.settings = s
        self.client = client.journaled(ShippingJournal(store: log.store, destination: destination, clock: clock))
        self.clock = clock
        self.sleep = sleep
    }

    /// CloudWatch Logs counts 26 bytes per event on top of its message.
    static let eventOverhead = 26
    /// A batch may not span 24 hours; keep a minute's margin.
    static let maxSpanMilliseconds: Int64 = 24 * 3_600_000 - 60_000
    /// Events older than 14 days or more than 2 hours ahead are rejected; timestamps are kept an hour
    /// inside both bounds.
    static let oldestAcceptedMilliseconds: Int64 = 14 * 86_400_000 - 3_600_000
    static let newestAcceptedMilliseconds: Int64 = 3_600_000

    /// How long a pending batch waits before it is read back.
    public var reconcileDelay: Duration {
        if let d = settings.reconcileAfter { return d }
        return Self.inFlightLimit(client)
    }

    /// The longest a write of `client` can stay in flight — every attempt taking the whole-request
    /// timeout (a write is retried only after a throttling answer or a connection never made, but a
    /// throttling answer may be slow), the longest backoff between them — plus half a minute for
    /// CloudWatch Logs to show what it accepted. 160 s with the defaults.
    public static func inFlightLimit(_ client: AWSClient) -> Duration {
        let attempts = Double(max(1, client.retry.maxAttempts))
        let seconds = attempts * client.timeouts.total + (attempts - 1) * RetryPolicy.maxBackoffSeconds + 30
        return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }

    /// The destination's cursor as stored.
    public func cursor() throws -> AuditShippingCursor {
        let key = destination.key
        return try log.store.read { try AuditShippingCursor.read($0, key: key) }
    }

    // MARK: - Rounds

    /// Rounds until the task is cancelled: `interval` apart while they succeed, twice as far apart
    /// after each failing one (up to `maxBackoff`). `onRound` sees every report. A request in flight
    /// when the task is cancelled is finished first (see `shipOnce`).
    public func run(onRound: @Sendable (Report) -> Void = { _ in }) async {
        var failures = 0
        while !Task.isCancelled {
            let report = await shipOnce()
            onRound(report)
            failures = report.problem?.isFailure == true ? failures + 1 : 0
            do { try await sleep(pause(afterFailures: failures)) } catch { return }
        }
    }

    /// The pause before the next round after `failures` failing rounds in a row.
    public func pause(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return settings.interval }
        var d = settings.interval
        for _ in 0..<min(failures, 30) {
            d = d * 2
            if d >= settings.maxBackoff { return settings.maxBackoff }
        }
        return d
    }

    /// One catch-up: settles a pending batch if there is one, ships every entry after the cursor in
    /// batches, and ships a head when one is due. Stops at the first problem, which the report names.
    /// Cancellation is honoured between batches, never in the middle of a request.
    public func shipOnce() async -> Report {
        var report = Report()
        do {
            try await round(&report)
        } catch let error as SQLiteError {
            report.problem = .store(error.description)
        } catch {
            report.problem = .store(String(describing: error))
        }
        if let c = try? cursor() { report.cursor = c.shippedSeq }
        return report
    }

    private func round(_ report: inout Report) async throws {
        let key = destination.key
        var cursor = try log.store.write { c in
            try AuditShippingCursor.ensureRow(c, key: key)
            return try AuditShippingCursor.read(c, key: key)
        }
        report.cursor = cursor.shippedSeq

        if let pending = cursor.pending {
            let since = cursor.pendingSince.flatMap(ISO8601.parse) ?? .distantPast
            let due = since.addingTimeInterval(Self.seconds(reconcileDelay))
            if clock() < due {
                report.problem = .awaitingReconcile(first: pending.lowerBound, last: pending.upperBound, until: due)
                return
            }
            guard try await reconcile(pending, cursor: cursor, report: &report) else { return }
            cursor = try self.cursor()
        }

        var headShipped = false
        var headTried = false
        var createdDestination = false
        while !Task.isCancelled {
            let entries = try log.entries(after: cursor.shippedSeq, limit: settings.maxEvents)
            guard let firstEntry = entries.first else { break }
            if firstEntry.seq != cursor.shippedSeq + 1 {
                report.problem = .chain(.missing(from: cursor.shippedSeq + 1, to: firstEntry.seq - 1))
                return
            }
            let now = clock()
            var batch = makeBatch(entries, now: now)
            let caughtUp = batch.entries == entries.count && entries.count < settings.maxEvents
            if caughtUp, let last = batch.lastEntry {
                batch.appendHead(seq: last.seq, hash: last.hash, now: now, limits: limits)
            }
            switch await send(batch, createdDestination: &createdDestination) {
            case .problem(let p):
                report.problem = p
                return
            case .landed(let rejection):
                report.batches += 1
                report.shipped += batch.entries
                report.first = report.first ?? batch.firstSeq
                report.last = batch.lastSeq
                if batch.hasHead, rejection?.head != true {
                    headShipped = true
                    try recordHeadShipped(at: now)
                }
                if let rejection { report.problem = .rejected(rejection.description) }
                // A rejected head is not tried again this round: it would be rejected again.
                headTried = headTried || batch.hasHead
            }
            cursor = try self.cursor()
            if let pending = cursor.pending {
                report.problem = .store("entries \(pending.lowerBound)-\(pending.upperBound) landed, but the cursor could not be saved; the next round reads the stream back to settle it")
                return
            }
            if let last = batch.lastSeq, cursor.shippedSeq < last {
                report.problem = .refused("the cursor was moved back to \(cursor.shippedSeq) by another process while entries through \(last) were shipped")
                return
            }
        }
        if Task.isCancelled { report.headShipped = headShipped; return }

        // A head after a catch-up that could not carry one, and the periodic head.
        let headDue: Bool = {
            guard let at = cursor.headShippedAt.flatMap(ISO8601.parse) else { return true }
            return clock().timeIntervalSince(at) >= Self.seconds(settings.headEvery)
        }()
        if !headShipped, !headTried, cursor.shippedSeq > 0, report.shipped > 0 || headDue {
            guard let entry = try log.entries(after: cursor.shippedSeq - 1, limit: 1).first, entry.seq == cursor.shippedSeq else {
                report.problem = .chain(.truncated(lastSeq: cursor.shippedSeq - 1, headSeq: cursor.shippedSeq))
                return
            }
            let now = clock()
            var batch = Batch()
            batch.appendHead(seq: entry.seq, hash: entry.hash, now: now, limits: limits)
            switch await send(batch, createdDestination: &createdDestination) {
            case .problem(let p):
                report.problem = report.problem ?? p
            case .landed(let rejection):
                if let rejection {
                    report.problem = report.problem ?? .rejected(rejection.description)
                } else {
                    headShipped = true
                    try recordHeadShipped(at: now)
                }
            }
        }
        report.headShipped = headShipped
    }

    private func recordHeadShipped(at date: Date) throws {
        let key = destination.key
        try log.store.write { c -> Void in
            try c.query("UPDATE audit_shipping SET head_shipped_at = ? WHERE destination = ?", [.text(ISO8601.formatMilliseconds(date)), .text(key)])
        }
    }

    // MARK: - Batches

    struct Limits {
        var maxEvents: Int
        var maxBatchBytes: Int
    }

    var limits: Limits { Limits(maxEvents: settings.maxEvents, maxBatchBytes: settings.maxBatchBytes) }

    /// One PutLogEvents call's events, in timestamp order.
    struct Batch {
        var events: [AWSValue] = []
        var timestamps: [Int64] = []
        var bytes = 0
        var entries = 0
        var firstSeq: Int64?
        var lastSeq: Int64?
        var lastEntry: (seq: Int64, hash: String)?
        var hasHead = false

        /// Whether an event of `size` bytes at `timestamp` fits.
        func fits(size: Int, timestamp: Int64, limits: Limits) -> Bool {
            if events.isEmpty { return true }
            if events.count >= limits.maxEvents || bytes + size >= limits.maxBatchBytes { return false }
            if let first = timestamps.first, timestamp - first > AuditShipper.maxSpanMilliseconds { return false }
            return true
        }

        /// The entry seq of each event; nil for a head.
        var eventSeqs: [Int64?] = []

        mutating func append(message: String, timestamp: Int64, seq: Int64?) {
            // Chronological within the batch, as CloudWatch Logs requires, even if the clock stepped back.
            let t = max(timestamp, timestamps.last ?? timestamp)
            events.append(["timestamp": .number(String(t)), "message": .string(message)])
            timestamps.append(t)
            eventSeqs.append(seq)
            bytes += message.utf8.count + AuditShipper.eventOverhead
        }

        mutating func appendHead(seq: Int64, hash: String, now: Date, limits: Limits) {
            let message = AuditShipper.headMessage(seq: seq, hash: hash, at: now)
            let t = AuditShipper.timestamp(now, now: now)
            guard fits(size: message.utf8.count + AuditShipper.eventOverhead, timestamp: max(t, timestamps.last ?? t), limits: limits) else { return }
            append(message: message, timestamp: t, seq: nil)
            hasHead = true
        }
    }

    func makeBatch(_ entries: [AuditEntry], now: Date) -> Batch {
        var batch = Batch()
        for entry in entries {
            // A gap in the trail ends the batch; the next round names it.
            if let last = batch.lastSeq, entry.seq != last + 1 { break }
            let message = Self.message(for: entry, maxBytes: settings.maxMessageBytes)
            let t = max(Self.timestamp(ISO8601.parse(entry.at) ?? now, now: now), batch.timestamps.last ?? Int64.min)
            guard batch.fits(size: message.utf8.count + Self.eventOverhead, timestamp: t, limits: limits) else { break }
            batch.append(message: message, timestamp: t, seq: entry.seq)
            batch.entries += 1
            batch.firstSeq = batch.firstSeq ?? entry.seq
            batch.lastSeq = entry.seq
            batch.lastEntry = (entry.seq, entry.hash)
        }
        return batch
    }

    /// The event's timestamp: the time in milliseconds, kept inside what CloudWatch Logs accepts
    /// relative to `now` (an entry older than 14 days is stamped 13 days 23 hours ago; its message
    /// keeps its real time).
    static func timestamp(_ date: Date, now: Date) -> Int64 {
        let nowMs = milliseconds(now)
        return min(max(milliseconds(date), nowMs - oldestAcceptedMilliseconds), nowMs + newestAcceptedMilliseconds)
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// The entry's export JSON on one line; an entry over `maxBytes` as its seq, time, kind and hash
    /// with a note (the hash still commits to the whole entry, which `audit export` has).
    public static func message(for entry: AuditEntry, maxBytes: Int = 262_144 - 26) -> String {
        // `JSON.encode(entry.json)` without decoding the canonical form back into a tree first (that
        // round trip was half the cost of a batch): the canonical object with the hash appended.
        let canonical = AuditEntry.canonical(seq: entry.seq, at: entry.at, draft: entry.draft, prevHash: entry.prevHash)
        let full = canonical.hasSuffix("}") && entry.hash.allSatisfy(\.isHexDigit)
            ? String(canonical.dropLast()) + ",\"hash\":\"" + entry.hash + "\"}"
            : JSON.encode(entry.json)
        let size = full.utf8.count
        guard size > maxBytes else { return full }
        var o = AWSObject()
        o["seq"] = .number(String(entry.seq))
        o["at"] = .string(entry.at)
        o["kind"] = .string(entry.draft.kind)
        o["hash"] = .string(entry.hash)
        o["truncated"] = .string("the entry is \(size) bytes, over CloudWatch Logs' event size limit; the hash covers all of it (see audit export)")
        return JSON.encode(.object(o))
    }

    /// `{"type":"head","seq":N,"hash":"…","at":"…"}`.
    public static func headMessage(seq: Int64, hash: String, at: Date) -> String {
        JSON.encode(["type": "head", "seq": .number(String(seq)), "hash": .string(hash), "at": .string(ISO8601.formatMilliseconds(at))])
    }

    enum SendResult {
        case landed(Rejection?)
        case problem(Problem)
    }

    /// Events CloudWatch Logs accepted the call with but did not store (rejectedLogEventsInfo).
    struct Rejection: Equatable {
        var seqs: [Int64]
        var head: Bool
        var reasons: [String]

        var description: String {
            var what: [String] = []
            if let first = seqs.first, let last = seqs.last {
                what.append(seqs.count == Int(last - first + 1) && seqs.count > 1 ? "entries \(first)-\(last)" : "entr\(seqs.count == 1 ? "y" : "ies") \(seqs.map(String.init).joined(separator: ", "))")
            }
            if head { what.append("the head event") }
            return "CloudWatch Logs accepted the batch but rejected \(what.joined(separator: " and ")) (\(reasons.joined(separator: "; "))); \(seqs.isEmpty ? "the head is sent again later" : "those entries are missing from the remote copy")"
        }
    }

    /// Sends `batch`; when the stream (or group) is missing, creates it once per round and sends again.
    private func send(_ batch: Batch, createdDestination: inout Bool) async -> SendResult {
        let input: AWSValue = [
            "logGroupName": .string(destination.group), "logStreamName": .string(destination.stream), "logEvents": .array(batch.events),
        ]
        while true {
            do {
                let result = try await call("PutLogEvents", input)
                return .landed(Self.rejection(result.value["rejectedLogEventsInfo"], batch: batch))
            } catch let error {
                if case .service(let e) = error, e.code == "ResourceNotFoundException", !createdDestination {
                    createdDestination = true
                    if let problem = await createDestination() { return .problem(problem) }
                    continue
                }
                return .problem(Self.classify(error))
            }
        }
    }

    /// Creates the stream, and the group first when it is missing too. Asking for the stream first
    /// means a role that may not create groups still works when the group exists.
    private func createDestination() async -> Problem? {
        let group: AWSValue = ["logGroupName": .string(destination.group)]
        let stream: AWSValue = ["logGroupName": .string(destination.group), "logStreamName": .string(destination.stream)]
        func create(_ name: String, _ input: AWSValue) async -> AWSError? {
            do {
                _ = try await call(name, input)
                return nil
            } catch {
                return error.serviceError?.code == "ResourceAlreadyExistsException" ? nil : error
            }
        }
        guard let failed = await create("CreateLogStream", stream) else { return nil }
        guard failed.serviceError?.code == "ResourceNotFoundException" else { return Self.classify(failed) }
        if let e = await create("CreateLogGroup", group) { return Self.classify(e) }
        if let e = await create("CreateLogStream", stream) { return Self.classify(e) }
        return nil
    }

    static func classify(_ error: AWSError) -> Problem {
        if case .audit(let m) = error { return .refused(m) }
        switch MutationOutcome.from(error) {
        case .unknown: return .outcomeUnknown(error.description)
        default: return .failed(error.description)
        }
    }

    /// Which events `rejectedLogEventsInfo` names. AWS: `tooOldLogEventEndIndex` and
    /// `expiredLogEventEndIndex` end the rejected prefix (exclusive), `tooNewLogEventStartIndex` starts
    /// the rejected suffix (inclusive).
    static func rejection(_ info: AWSValue?, batch: Batch) -> Rejection? {
        guard let info = info?.object, !info.isEmpty else { return nil }
        let count = batch.events.count
        var rejected = IndexSet()
        var reasons: [String] = []
        if let end = info["tooOldLogEventEndIndex"]?.int {
            rejected.insert(integersIn: 0..<min(max(end, 0), count))
            reasons.append("older than 14 days")
        }
        if let end = info["expiredLogEventEndIndex"]?.int {
            rejected.insert(integersIn: 0..<min(max(end, 0), count))
            reasons.append("older than the log group's retention")
        }
        if let start = info["tooNewLogEventStartIndex"]?.int {
            rejected.insert(integersIn: min(max(start, 0), count)..<count)
            reasons.append("more than 2 hours ahead of AWS's clock: is this host's clock right?")
        }
        guard !rejected.isEmpty else { return nil }
        let seqs = rejected.compactMap { batch.eventSeqs[$0] }
        return Rejection(seqs: seqs, head: rejected.contains { batch.eventSeqs[$0] == nil }, reasons: reasons)
    }

    /// A logs call that, once started, runs to its end even if the calling task is cancelled: a
    /// write torn off mid-request would only turn into an unknown outcome.
    private func call(_ name: String, _ input: AWSValue) async throws(AWSError) -> AWSClient.CallResult {
        try await Self.call(client, name, input, region: destination.region)
    }

    static func call(_ client: AWSClient, _ name: String, _ input: AWSValue, region: String) async throws(AWSError) -> AWSClient.CallResult {
        let operation = try AWSCatalog.lookup(service: "logs", name: name)
        let task = Task { () async throws -> AWSClient.CallResult in try await client.call(operation, input, region: region) }
        do {
            return try await task.value
        } catch let error as AWSError {
            throw error
        } catch {
            throw .configuration("logs.\(name): \(error)")
        }
    }

    // MARK: - Settling a pending batch

    /// Reads the stream back, newest first, as far as the pending batch's first timestamp, and moves
    /// the cursor to the highest entry found at or after the batch's start (checked against the local
    /// entry). False when the round must stop (the report says why).
    private func reconcile(_ pending: ClosedRange<Int64>, cursor: AuditShippingCursor, report: inout Report) async throws -> Bool {
        // Every event of the batch is stamped at or after its first entry's time, or an hour past the
        // moment it was sent, whichever is earlier (see `timestamp`); nothing before that can be ours.
        var startTime: Int64?
        if let first = try log.entries(after: pending.lowerBound - 1, limit: 1).first, first.seq == pending.lowerBound,
            let at = ISO8601.parse(first.at), let since = cursor.pendingSince.flatMap(ISO8601.parse)
        {
            startTime = max(0, min(Self.milliseconds(at), Self.milliseconds(since) + Self.newestAcceptedMilliseconds) - 1000)
        }
        var found: (seq: Int64, event: AWSObject)?
        var token: String?
        var emptyPages = 0
        reading: while true {
            var input: AWSObject = [
                "logGroupName": .string(destination.group), "logStreamName": .string(destination.stream), "startFromHead": false,
            ]
            if let startTime { input["startTime"] = .number(String(startTime)) }
            if let token { input["nextToken"] = .string(token) }
            let page: AWSClient.CallResult
            do {
                page = try await call("GetLogEvents", .object(input))
            } catch {
                if error.serviceError?.code == "ResourceNotFoundException" { break reading }  // no stream: nothing landed
                report.problem = .failed("reading \(destination) back to settle entries \(pending.lowerBound)-\(pending.upperBound): \(error)")
                return false
            }
            let events = page.value["events"]?.array ?? []
            for event in events.reversed() {
                guard let parsed = Self.parse(event), parsed.kind == .entry, parsed.seq >= pending.lowerBound else { continue }
                if found == nil || parsed.seq > (found?.seq ?? 0) { found = (parsed.seq, parsed.object) }
            }
            if let f = found, f.seq >= pending.upperBound { break }
            emptyPages = events.isEmpty ? emptyPages + 1 : 0
            guard let next = page.value["nextBackwardToken"]?.string, next != token, emptyPages < 50 else { break }
            token = next
        }

        var landed: Int64?
        if let found {
            let local = try Self.localEntries(log, seqs: [found.seq])[found.seq]
            if let detail = Self.mismatch(remote: found.event, local: local) {
                report.problem = .chain(.remoteMismatch(seq: found.seq, detail: detail))
                return false
            }
            landed = found.seq
        }
        let key = destination.key
        let settled = try log.store.write { c -> Bool in
            try c.query(
                """
                UPDATE audit_shipping SET shipped_seq = max(shipped_seq, ?), pending_first = NULL, pending_last = NULL, pending_since = NULL
                WHERE destination = ? AND pending_first = ? AND pending_last = ? AND pending_since IS ?
                """,
                [.integer(landed ?? 0), .text(key), .integer(pending.lowerBound), .integer(pending.upperBound), .optional(cursor.pendingSince)])
            return (try c.query("SELECT changes() AS n").first?.integer("n") ?? 0) > 0
        }
        guard settled else {
            report.problem = .refused("another process settled entries \(pending.lowerBound)-\(pending.upperBound) meanwhile")
            return false
        }
        report.reconciled = Reconciliation(pending: pending, landedThrough: landed.map { min($0, pending.upperBound) })
        return true
    }

    // MARK: - Remote verification

    /// What `remoteVerification` found.
    public struct RemoteVerification: Sendable, Equatable {
        /// False when the stream does not exist.
        public var streamFound = false
        /// Events read.
        public var events = 0
        /// Distinct entries among them.
        public var entries = 0
        public var heads = 0
        /// Entries present more than once (a batch re-sent after its answer was lost and the stream
        /// showed it late; harmless when they match).
        public var duplicates = 0
        /// Events that are neither entries nor heads (written by something else).
        public var foreign = 0
        /// The highest entry seq in the stream.
        public var highestSeq: Int64 = 0
        /// The first disagreement (lowest seq), if any.
        public var problem: AuditChainVerifier.Problem?

        public init() {}
    }

    /// Checks the copy in the stream against the local trail: reads every event (GetLogEvents from
    /// the head, following nextForwardToken until it stops changing) and compares each shipped entry
    /// with the local entry at its seq (every field, the hash included) and each head with the local
    /// entry it names. Returns the problem with the lowest seq, or nil when they agree. An entry (or
    /// head) the stream has and the local trail does not means the local chain was cut or rewritten.
    public static func verifyRemote(log: AuditLog, client: AWSClient, destination: Destination) async throws -> AuditChainVerifier.Problem? {
        try await remoteVerification(log: log, client: client, destination: destination).problem
    }

    /// `verifyRemote` with counts, for a report. Reads only. A missing stream is a problem when the
    /// local cursor says entries were shipped to it.
    public static func remoteVerification(log: AuditLog, client: AWSClient, destination: Destination) async throws -> RemoteVerification {
        var result = RemoteVerification()
        var seen = Set<Int64>()
        func note(_ problem: AuditChainVerifier.Problem) {
            if result.problem == nil || problem.seq < (result.problem?.seq ?? .max) { result.problem = problem }
        }
        var token: String?
        var emptyPages = 0
        result.streamFound = true
        while true {
            var input: AWSObject = ["logGroupName": .string(destination.group), "logStreamName": .string(destination.stream), "startFromHead": true]
            if let token { input["nextToken"] = .string(token) }
            let page: AWSClient.CallResult
            do {
                page = try await call(client, "GetLogEvents", .object(input), region: destination.region)
            } catch {
                guard error.serviceError?.code == "ResourceNotFoundException", token == nil else { throw error }
                result.streamFound = false
                let shipped = try log.store.read { try AuditShippingCursor.read($0, key: destination.key) }.shippedSeq
                if shipped > 0 {
                    note(.remoteMismatch(seq: 1, detail: "\(destination) does not exist, yet entries 1-\(shipped) were shipped to it (deleted, or the wrong destination)"))
                }
                return result
            }
            let events = page.value["events"]?.array ?? []
            let parsed = events.map { Self.parse($0) }
            let locals = try localEntries(log, seqs: Set(parsed.compactMap { $0?.seq }))
            for p in parsed {
                result.events += 1
                guard let p else {
                    result.foreign += 1
                    continue
                }
                switch p.kind {
                case .head:
                    result.heads += 1
                    if let detail = headMismatch(remote: p.object, local: locals[p.seq]) { note(.remoteMismatch(seq: p.seq, detail: detail)) }
                case .entry:
                    if seen.insert(p.seq).inserted { result.entries += 1 } else { result.duplicates += 1 }
                    result.highestSeq = max(result.highestSeq, p.seq)
                    if let detail = mismatch(remote: p.object, local: locals[p.seq]) { note(.remoteMismatch(seq: p.seq, detail: detail)) }
                }
            }
            emptyPages = events.isEmpty ? emptyPages + 1 : 0
            guard let next = page.value["nextForwardToken"]?.string, next != token, emptyPages < 50 else { break }
            token = next
        }
        return result
    }

    // MARK: - Reading events

    enum EventKind { case entry, head }

    /// An event's message as an entry or a head; nil when it is neither.
    static func parse(_ event: AWSValue) -> (kind: EventKind, seq: Int64, object: AWSObject)? {
        guard let message = event["message"]?.string, let object = try? JSON.decode(message).object,
            let seq = object["seq"]?.int, object["hash"]?.string != nil
        else { return nil }
        if let type = object["type"] {
            return type.string == "head" ? (.head, Int64(seq), object) : nil
        }
        return (.entry, Int64(seq), object)
    }

    /// The local entries at `seqs`, by seq.
    static func localEntries(_ log: AuditLog, seqs: Set<Int64>) throws -> [Int64: AuditEntry] {
        guard !seqs.isEmpty else { return [:] }
        var out: [Int64: AuditEntry] = [:]
        let sorted = seqs.sorted()
        try log.store.read { c in
            var start = 0
            while start < sorted.count {
                let chunk = sorted[start..<min(start + 500, sorted.count)]
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                for row in try c.query("SELECT \(AuditLog.columns) FROM audit WHERE seq IN (\(marks))", chunk.map { .integer($0) }) {
                    let e = AuditLog.entry(row)
                    out[e.seq] = e
                }
                start += 500
            }
        }
        return out
    }

    /// How a shipped entry differs from the local one; nil when they agree. A shortened event is
    /// compared on the fields it carries.
    static func mismatch(remote: AWSObject, local: AuditEntry?) -> String? {
        guard let seq = remote["seq"]?.int else { return "an event without a seq" }
        guard let local else {
            return "the copy in CloudWatch Logs has entry \(seq), the local trail does not: the local chain was truncated or rewritten"
        }
        let mine = local.json.object ?? AWSObject()
        let shortened = remote["truncated"] != nil
        var keys = remote.keys.filter { $0 != "truncated" }
        if !shortened { keys += mine.keys.filter { !keys.contains($0) } }
        let differing = keys.filter { remote[$0] != mine[$0] }
        if differing.isEmpty {
            return local.isIntact ? nil : "the local entry's hash does not match its own contents"
        }
        let shown = differing.prefix(3).map { key in
            "\(key) is \(show(remote[key])) in CloudWatch Logs and \(show(mine[key])) here"
        }
        return shown.joined(separator: "; ") + (differing.count > 3 ? " (and \(differing.count - 3) more fields)" : "")
    }

    /// How a head event disagrees with the local entry it names; nil when they agree.
    static func headMismatch(remote: AWSObject, local: AuditEntry?) -> String? {
        let seq = remote["seq"]?.int ?? 0
        let at = remote["at"]?.string ?? "an unknown time"
        guard let local else {
            return "at \(at) the chain's head was entry \(seq), which the local trail no longer has: it was truncated or rewritten"
        }
        if remote["hash"]?.string != local.hash {
            return "the head shipped at \(at) names hash \(remote["hash"]?.string ?? "(none)") for entry \(seq); the local entry's hash is \(local.hash)"
        }
        return local.isIntact ? nil : "the local entry's hash does not match its own contents"
    }

    static func show(_ value: AWSValue?) -> String {
        guard let value else { return "absent" }
        let text = TerminalText.sanitize(JSON.encode(value))
        return text.count > 60 ? String(text.prefix(57)) + "…" : text
    }
}
