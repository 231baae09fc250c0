import BreakglassCore
import Foundation

/// Whether this console watches the shared store for pages, and how that is going. Polls run one
/// at a time (the overlap guard) every `interval` while they succeed, backing off on failure.
public struct PageFeedStatus: Hashable, Sendable {
    public enum Mode: Hashable, Sendable {
        /// No page feed is wired (a console on alarms alone); nothing is said about pages.
        case off
        /// The state file could not be opened; the console shows alarms only and says why.
        case unavailable(String)
        case on
    }

    public var mode: Mode
    /// Pages up to this id have been taken in; nil until the starting point (the newest page when the
    /// console started) is known, so pages written before the console opened are never shown.
    public internal(set) var after: Int64?
    public internal(set) var inFlight = false
    /// When the next poll is due (a tick at or after it starts one).
    public internal(set) var nextPollAt: Date
    /// The last poll's error; nil once one succeeds.
    public internal(set) var failure: String?
    public internal(set) var consecutiveFailures = 0
    /// The person dismissed the banner that said pages are off or failing; it stays away until
    /// polls recover and fail again.
    public internal(set) var problemDismissed = false

    public static let interval: TimeInterval = 1
    public static let maximumBackoff: TimeInterval = 30

    public init(mode: Mode, now: Date) {
        self.mode = mode
        nextPollAt = now
    }

    /// What is wrong with pages, for the banner: nil when they work (or are not wired).
    public var problem: String? {
        switch mode {
        case .off: nil
        case .unavailable(let reason): "pages off: \(reason) — showing alarms only"
        case .on: failure.map { "pages: could not read the state file: \($0)" }
        }
    }

    /// The short word for the counts row: nil while pages work.
    public var marker: String? {
        switch mode {
        case .off: nil
        case .unavailable: "pages off"
        case .on: failure == nil ? nil : "pages failing"
        }
    }

    /// The wait after `consecutiveFailures` failed polls: 1 s doubled per failure, at most 30 s.
    public var retryDelay: TimeInterval {
        min(Self.maximumBackoff, Self.interval * Double(1 << min(consecutiveFailures, 10)))
    }
}

/// What the banner says about one incident. The console keeps at most one notice per incident (the
/// latest news replaces the older), in the order the news arrived.
public struct PageNotice: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// Stage `stage` (1-based) of firing `firing` paged `contacts` (display names, as they arrived).
        case paged(stage: Int, firing: Int, contacts: [String])
        case acknowledged(by: String?)
        case resolved(by: String?)
        /// `a` was pressed here and the acknowledgement is being written.
        case acknowledging
        /// Acknowledging from here failed; the message says why.
        case acknowledgeFailed(String)
    }

    public var incident: Int64
    /// The incident's title, untrusted (sanitised when drawn).
    public var title: String
    public var severity: Int
    public var kind: Kind

    public init(incident: Int64, title: String, severity: Int, kind: Kind) {
        self.incident = incident
        self.title = title
        self.severity = severity
        self.kind = kind
    }

    /// Someone still has to answer it: paged and not acknowledged. The banner shows these before
    /// notices that only inform, so news about one incident never hides a page for another.
    public var needsAnswer: Bool {
        switch kind {
        case .paged, .acknowledging, .acknowledgeFailed: true
        case .acknowledged, .resolved: false
        }
    }

    /// `a` can acknowledge it from here.
    public var canAcknowledge: Bool {
        switch kind {
        case .paged, .acknowledgeFailed: true
        case .acknowledging, .acknowledged, .resolved: false
        }
    }
}

/// What the banner row shows, when anything.
public enum PageBanner: Hashable, Sendable {
    /// `notice`, with `more` other notices behind it.
    case notice(PageNotice, more: Int)
    /// Pages are off or failing; the text says why.
    case problem(String)
}

extension ConsoleState {
    /// The most notices kept; older ones are dropped first.
    static let noticeLimit = 50

    /// Index in `notices` of the one the banner shows: the one acted on with `a` while it has the
    /// focus, else the newest that needs an answer, else the newest.
    public var shownNoticeIndex: Int? {
        if let focusedIncident, let index = notices.firstIndex(where: { $0.incident == focusedIncident }) { return index }
        return notices.lastIndex(where: \.needsAnswer) ?? (notices.isEmpty ? nil : notices.count - 1)
    }

    public var banner: PageBanner? {
        if let index = shownNoticeIndex { return .notice(notices[index], more: notices.count - 1) }
        if let problem = pageFeed.problem, !pageFeed.problemDismissed { return .problem(problem) }
        return nil
    }

    /// The banner's keys that do something now, for the footer.
    public var bannerActions: Set<ConsoleAction> {
        guard let banner else { return [] }
        if case .notice(let notice, _) = banner, notice.canAcknowledge { return [.acknowledge, .back] }
        return [.back]
    }

    // MARK: Polling

    /// Starts the next poll when one is due and none is running: first the starting point, then the
    /// pages after it.
    mutating func tickPages(now: Date) -> [ConsoleEffect] {
        guard pageFeed.mode == .on, !pageFeed.inFlight, now >= pageFeed.nextPollAt else { return [] }
        pageFeed.inFlight = true
        if let after = pageFeed.after { return [.pollPages(after: after)] }
        return [.startPages]
    }

    mutating func pagesStarted(after: Int64, now: Date) {
        if pageFeed.after == nil { pageFeed.after = after }
        pollSucceeded(now: now)
    }

    /// Takes in pages newer than those seen (a late or repeated answer changes nothing) and rings
    /// once when any of them pages someone.
    mutating func receive(_ pages: [ConsolePage], now: Date) -> [ConsoleEffect] {
        pollSucceeded(now: now)
        guard var seen = pageFeed.after else { return [] }
        var ring = false
        for page in pages.sorted(by: { $0.id < $1.id }) where page.id > seen {
            seen = page.id
            let existing = notices.firstIndex { $0.incident == page.incident }
            var notice = existing.map { notices[$0] } ?? PageNotice(incident: page.incident, title: page.title, severity: page.severity, kind: .acknowledging)
            notice.title = page.title
            notice.severity = page.severity
            switch page.action {
            case .trigger:
                ring = true
                focusedIncident = nil
                if case .paged(let stage, let firing, var contacts) = notice.kind, existing != nil, firing == page.firing {
                    if !contacts.contains(page.contactName) { contacts.append(page.contactName) }
                    notice.kind = .paged(stage: stage, firing: firing, contacts: contacts)
                } else {
                    notice.kind = .paged(stage: page.stage, firing: page.firing, contacts: [page.contactName])
                }
            case .acknowledge:
                notice.kind = .acknowledged(by: page.by)
            case .resolve:
                notice.kind = .resolved(by: page.by)
            }
            if let existing { notices.remove(at: existing) }
            notices.append(notice)
        }
        pageFeed.after = seen
        if notices.count > Self.noticeLimit { notices.removeFirst(notices.count - Self.noticeLimit) }
        keepSelectionVisible()
        return ring ? [.bell] : []
    }

    mutating func pagesFailed(_ message: String, now: Date) {
        pageFeed.inFlight = false
        pageFeed.failure = message
        pageFeed.consecutiveFailures += 1
        pageFeed.nextPollAt = now.addingTimeInterval(pageFeed.retryDelay)
        keepSelectionVisible()
    }

    private mutating func pollSucceeded(now: Date) {
        pageFeed.inFlight = false
        if pageFeed.failure != nil {
            pageFeed.failure = nil
            pageFeed.problemDismissed = false
        }
        pageFeed.consecutiveFailures = 0
        pageFeed.nextPollAt = now.addingTimeInterval(PageFeedStatus.interval)
        keepSelectionVisible()
    }

    // MARK: Keys and answers

    /// Esc: drops the notice the banner shows (the next one, if any, takes its place), or hides the
    /// pages-off message.
    mutating func dismissBanner() {
        if let index = shownNoticeIndex {
            notices.remove(at: index)
            focusedIncident = nil
        } else if pageFeed.problem != nil {
            pageFeed.problemDismissed = true
        }
        keepSelectionVisible()
    }

    /// `a`: acknowledges the incident the banner shows, when it is waiting for an answer.
    mutating func acknowledgeShown() -> [ConsoleEffect] {
        guard pageFeed.mode == .on, let index = shownNoticeIndex, notices[index].canAcknowledge else { return [] }
        notices[index].kind = .acknowledging
        focusedIncident = notices[index].incident
        return [.acknowledge(incident: notices[index].incident)]
    }

    mutating func acknowledged(incident: Int64, by: String) {
        guard let index = notices.firstIndex(where: { $0.incident == incident }) else { return }
        notices[index].kind = .acknowledged(by: by)
    }

    mutating func acknowledgeFailed(incident: Int64, message: String) {
        guard let index = notices.firstIndex(where: { $0.incident == incident }), notices[index].kind == .acknowledging else { return }
        notices[index].kind = .acknowledgeFailed(message)
    }
}
