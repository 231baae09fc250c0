import BreakglassAWS
import Foundation
import Synchronization

/// Where the daemon gets alarms: one region per call (production: `AlarmFetcher`).
public protocol AlarmSource: Sendable {
    func alarms(region: String) async throws -> [Alarm]
}

extension AlarmFetcher: AlarmSource {
    public func alarms(region: String) async throws -> [Alarm] { try await listRegion(region, state: nil) }
}

public struct WatchSettings: Sendable, Equatable {
    public var regions: [String]
    /// Seconds between polls of a region while they succeed.
    public var interval: TimeInterval
    /// The longest wait between polls of a failing region.
    public var maxBackoff: TimeInterval
    public var retry: PageRetryPolicy
    /// Deliveries in flight at once (a slow webhook must not hold up the next stage's pages).
    public var maxDeliveries: Int
    /// How often the loop looks for due work: the lateness of a page at worst.
    public var tick: TimeInterval

    public init(
        regions: [String], interval: TimeInterval = 15, maxBackoff: TimeInterval = 300,
        retry: PageRetryPolicy = PageRetryPolicy(), maxDeliveries: Int = 8, tick: TimeInterval = 0.2
    ) {
        self.regions = regions
        self.interval = interval
        self.maxBackoff = maxBackoff
        self.retry = retry
        self.maxDeliveries = maxDeliveries
        self.tick = tick
    }

    /// The wait after `failures` failed polls in a row: the interval doubled per failure, at most
    /// `maxBackoff` (or the interval, if that is longer).
    public func pollDelay(failures: Int) -> TimeInterval {
        guard failures > 0 else { return interval }
        return min(max(interval, maxBackoff), interval * pow(2, Double(min(failures, 20))))
    }
}

/// The watch daemon: polls alarms in every region, opens incidents, drives their escalation and
/// delivers their pages, while it holds the watch lease. Any number may run on one state file;
/// only the lease holder does anything, and a standby takes over when the holder dies.
///
/// Everything it does goes through `IncidentStore`, whose writes are single transactions with
/// their audit entries, so it can be killed at any point: what it did is on disk, what it had not
/// yet done is done by the next holder, and a page it was sending is never sent again (except to
/// PagerDuty, which deduplicates).
///
/// The clock and the sleep are injected: tests call `step(now:)` with a clock of their own.
public final class WatchDaemon: Sendable {
    public let config: BreakglassConfig
    public let incidents: IncidentStore
    public let lease: WatchLease
    public let holder: LeaseHolder
    public let settings: WatchSettings
    private let source: any AlarmSource
    /// The sender for one page (the CLI gives each page a client journaled under its incident).
    private let sender: @Sendable (PageRecord) -> any PageSender
    private let actor: AuditActor
    private let clock: @Sendable () -> Date
    private let sleep: @Sendable (TimeInterval) async -> Void
    private let log: @Sendable (String) -> Void
    private let instance: String
    private let state = Mutex(LoopState())

    struct LoopState {
        var leaseUntil: Date?
        var nextLeaseCheck = Date.distantPast
        var nextPoll: [String: Date] = [:]
        var failures: [String: Int] = [:]
        var polling: Set<String> = []
        var delivering: Set<Int64> = []
        var planWarned: Set<Int64> = []
        var standbySaid = false
    }

    public init(
        config: BreakglassConfig, incidents: IncidentStore, lease: WatchLease, holder: LeaseHolder = LeaseHolder(), settings: WatchSettings,
        source: any AlarmSource, sender: @escaping @Sendable (PageRecord) -> any PageSender, actor: AuditActor,
        clock: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (TimeInterval) async -> Void = { try? await Task.sleep(for: .milliseconds(Int64($0 * 1000))) },
        log: @escaping @Sendable (String) -> Void
    ) throws {
        self.config = config
        self.incidents = incidents
        self.lease = lease
        self.holder = holder
        self.settings = settings
        self.source = source
        self.sender = sender
        self.actor = actor
        self.clock = clock
        self.sleep = sleep
        self.log = log
        self.instance = try incidents.instanceID()
    }

    public var isHolder: Bool {
        let now = clock()
        return state.withLock { s in s.leaseUntil.map { $0 > now } ?? false }
    }

    /// Runs until `stop()` says so, then lets deliveries in flight finish and gives the lease up so
    /// a standby takes over at once.
    public func run(stop: @escaping @Sendable () -> Bool) async {
        log(
            "watching \(settings.regions.joined(separator: ", ")) every \(Self.seconds(settings.interval)); "
                + "lease \(Self.seconds(lease.period)) on \(lease.store.path) (pid \(holder.pid))")
        await withDiscardingTaskGroup { group in
            while !stop() {
                step(now: clock(), group: &group)
                await sleep(settings.tick)
            }
            log("stopping: waiting for deliveries in flight")
        }
        do {
            try lease.release(holder)
        } catch {
            log("could not release the lease (\(error)); a standby takes over when it expires")
        }
        state.withLock { $0.leaseUntil = nil }
        log("stopped")
    }

    /// One turn of the loop at `now`: the lease, then (as holder) due polls, due escalations and
    /// due pages. Polls and deliveries start as child tasks of `group` and finish on their own.
    public func step(now: Date, group: inout DiscardingTaskGroup) {
        guard checkLease(now: now) else { return }
        for region in settings.regions {
            let due = state.withLock { s -> Bool in
                guard !s.polling.contains(region), (s.nextPoll[region] ?? .distantPast) <= now else { return false }
                s.polling.insert(region)
                return true
            }
            if due { group.addTask { await self.poll(region) } }
        }
        escalate(now: now)
        for page in claimDuePages(now: now) { group.addTask { await self.deliver(page) } }
    }

    /// Takes or renews the lease when due; whether this daemon holds it now.
    func checkLease(now: Date) -> Bool {
        let (due, held) = state.withLock { s in (s.nextLeaseCheck <= now, s.leaseUntil.map { $0 > now } ?? false) }
        guard due else { return held }
        do {
            switch try lease.acquire(holder, now: now) {
            case .held(let until, let takenOver):
                let wasHolder = state.withLock { s in
                    let was = s.leaseUntil != nil
                    s.leaseUntil = until
                    s.nextLeaseCheck = now.addingTimeInterval(lease.period / 3)
                    return was
                }
                if !wasHolder {
                    state.withLock { $0.standbySaid = false }
                    log(takenOver ? "took over the lease from a daemon that stopped renewing it or exited" : "holding the lease; paging from here")
                    let recovered = try incidents.recoverInterrupted(actor: actor, now: now)
                    if recovered > 0 { log("\(recovered) page(s) were being sent by the previous holder; see their status in `breakglass incidents ID`") }
                    warnAboutMissingPlans()
                }
                return true
            case .heldByOther(_, let pid, let host, let until):
                let wasHolder = state.withLock { s in
                    let was = s.leaseUntil != nil
                    s.leaseUntil = nil
                    s.nextLeaseCheck = now.addingTimeInterval(min(1, lease.period / 4))
                    return was
                }
                if wasHolder {
                    log("lost the lease to pid \(pid) on \(host); standing by")
                } else if !state.withLock({ s in defer { s.standbySaid = true }; return s.standbySaid }) {
                    log("standing by: pid \(pid) on \(host) holds the lease until \(ISO8601.format(until))")
                }
                return false
            }
        } catch {
            log("could not take or renew the lease: \(error)")
            state.withLock { $0.nextLeaseCheck = now.addingTimeInterval(1) }
            return held
        }
    }

    func poll(_ region: String) async {
        let started = clock()
        var delay = settings.interval
        do {
            let alarms = try await source.alarms(region: region)
            let now = clock()
            guard isHolder else {
                state.withLock { _ = $0.polling.remove(region) }
                return
            }
            let report = try incidents.observe(region: region, alarms: alarms, config: config, actor: actor, now: now)
            for change in report.opened {
                let i = change.incident
                log("incident \(i.id) opened: \(TerminalText.sanitize(i.title)) — plan \(i.plan)\(describe(change.firing))")
            }
            for (id, key, from, to) in report.changes {
                log("incident \(id): \(TerminalText.sanitize(key.description)) \(from.map { "\($0.rawValue) → " } ?? "joined in ")\(to.rawValue)")
            }
            for id in report.resolved { log("incident \(id) resolved by itself: every alarm is OK") }
            let failed = state.withLock { $0.failures[region] ?? 0 }
            if failed > 0 { log("\(region): polling works again after \(failed) failure(s)") }
            state.withLock { $0.failures[region] = 0 }
        } catch {
            let failures = state.withLock { s -> Int in
                s.failures[region, default: 0] += 1
                return s.failures[region] ?? 1
            }
            delay = settings.pollDelay(failures: failures)
            log("\(region): polling failed (\(failures) in a row): \(TerminalText.sanitize(String(describing: error))); next try in \(Self.seconds(delay))")
        }
        state.withLock { s in
            s.polling.remove(region)
            s.nextPoll[region] = started.addingTimeInterval(delay)
        }
    }

    func escalate(now: Date) {
        do {
            for change in try incidents.tickDue(config: config, actor: actor, now: now) {
                let i = change.incident
                if let firing = change.firing {
                    log("incident \(i.id): \(describe(firing).dropFirst(2))")
                } else if i.escalation.phase == .exhausted {
                    log("incident \(i.id): escalation exhausted; nobody acknowledged")
                }
            }
        } catch {
            log("escalation check failed: \(error)")
        }
    }

    /// Says once, when the lease is taken, which unresolved incidents follow a plan the configuration
    /// no longer has. The configuration is read once at start, so incidents this daemon opens always
    /// have theirs; only older ones can be stuck.
    func warnAboutMissingPlans() {
        guard let stuck = try? incidents.list().filter({ config.plan($0.plan) == nil }) else { return }
        for incident in stuck where state.withLock({ $0.planWarned.insert(incident.id).inserted }) {
            log("incident \(incident.id) follows plan `\(incident.plan)`, which the configuration no longer has; it escalates no further")
        }
    }

    func claimDuePages(now: Date) -> [PageRecord] {
        let room = state.withLock { settings.maxDeliveries - $0.delivering.count }
        guard room > 0 else { return [] }
        let due: [PageRecord]
        do { due = try incidents.duePages(now: now, limit: room + state.withLock { $0.delivering.count }) } catch {
            log("could not read the pages due: \(error)")
            return []
        }
        var claimed: [PageRecord] = []
        for page in due where claimed.count < room && !state.withLock({ $0.delivering.contains(page.id) }) {
            do {
                guard let page = try incidents.claim(page.id, holder: holder, now: now) else { continue }
                state.withLock { _ = $0.delivering.insert(page.id) }
                claimed.append(page)
            } catch {
                log("could not claim page \(page.id): \(error)")
            }
        }
        return claimed
    }

    func deliver(_ page: PageRecord) async {
        defer { state.withLock { _ = $0.delivering.remove(page.id) } }
        let result: DeliveryResult
        if let channel = config.contact(page.contact)?.channels.first(where: { $0.key == page.channel }) {
            do {
                let message = try self.message(for: page)
                result = await sender(page).deliver(message, via: channel)
            } catch {
                result = .failed(detail: "could not prepare the page: \(error)", retryable: true)
            }
        } else {
            result = .failed(detail: "contact `\(page.contact)` has no \(page.channel) channel in the configuration any more", retryable: false)
        }
        do {
            let after = try incidents.finish(page.id, result: result, policy: settings.retry, actor: actor, now: clock())
            let what = "incident \(page.incident): \(page.action.rawValue) to \(page.contactName) via \(page.channel)"
            switch result {
            case .delivered: log("\(what) delivered")
            case .failed(let detail, _):
                let next = after?.nextAttemptAt.map { "; next try at \(ISO8601.format($0))" } ?? "; giving up"
                log("\(what) failed (attempt \(page.attempts)): \(TerminalText.sanitize(detail))\(next)")
            case .unknown(let detail): log("\(what): outcome unknown, not sent again: \(TerminalText.sanitize(detail))")
            }
        } catch {
            log("incident \(page.incident): could not record the delivery of page \(page.id): \(error)")
        }
    }

    /// The words of a page: what burns, which stage, how to acknowledge.
    func message(for page: PageRecord) throws -> PageMessage {
        guard let incident = try incidents.incident(page.incident) else { throw IncidentActionError.notFound(page.incident) }
        let alarms = incident.alarms.map { "\($0.region)/\($0.name)" }
        var lines = [TerminalText.sanitize(incident.title)]
        switch page.action {
        case .trigger:
            for alarm in incident.alarms.prefix(5) {
                lines.append("\(TerminalText.sanitize(alarm.name)) (\(alarm.region)) is \(alarm.state.rawValue): \(TerminalText.sanitize(alarm.reason))")
            }
            if incident.alarms.count > 5 { lines.append("and \(incident.alarms.count - 5) more alarms") }
            lines.append("Stage \(page.stage + 1) of plan \(incident.plan), for \(page.contactName).")
            if !incident.runbooks.isEmpty { lines.append("Suggested runbooks: \(incident.runbooks.joined(separator: ", ")).") }
            lines.append("Acknowledge: breakglass ack \(incident.id)")
        case .acknowledge:
            lines.append("Acknowledged by \(incident.escalation.acknowledgedBy ?? incident.firstAcknowledgedBy ?? "someone").")
        case .resolve:
            lines.append("Resolved by \(incident.resolvedBy ?? "someone").")
        }
        return PageMessage(
            incident: incident.id, action: page.action, title: TerminalText.sanitize(incident.title), summary: lines.joined(separator: "\n"),
            severity: incident.severity, stage: page.action == .trigger ? page.stage + 1 : 0, contact: page.contact,
            contactName: page.contactName, alarms: alarms, dedupKey: "breakglass-\(instance)-incident-\(incident.id)",
            deliveryID: "breakglass-\(instance)-page-\(page.id)", openedAt: incident.openedAt, source: holder.host)
    }

    private func describe(_ firing: EscalationFiring?) -> String {
        guard let firing else { return "" }
        let names = firing.contacts.map { config.contact($0)?.name ?? $0 }
        return "; stage \(firing.stage + 1) pages \(names.joined(separator: ", ")) (\(firing.reason.rawValue))\(firing.note.map { "; \($0)" } ?? "")"
    }

    static func seconds(_ t: TimeInterval) -> String {
        DurationSyntax.format(.milliseconds(Int64((t * 1000).rounded())))
    }
}
