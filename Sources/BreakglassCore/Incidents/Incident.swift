import BreakglassAWS
import Foundation

/// One incident as the store holds it, with its alarms and pages.
public struct Incident: Sendable, Equatable {
    public var id: Int64
    /// The response rule's group key (one unresolved incident per group).
    public var group: String
    /// The rule's alarm pattern, as written.
    public var rule: String
    /// The escalation plan's id.
    public var plan: String
    public var severity: Int
    public var title: String
    /// Suggested runbooks, from the rule.
    public var runbooks: [String]
    public var escalation: EscalationState
    public var openedAt: Date
    /// The first acknowledgement (time to acknowledge counts to it, whatever re-alerts came after).
    public var firstAcknowledgedAt: Date?
    public var firstAcknowledgedBy: String?
    public var resolvedAt: Date?
    public var resolvedBy: String?
    public var drill: String?
    public var alarms: [IncidentAlarm]
    public var pages: [PageRecord]

    public var state: String { escalation.word }
    public var isResolved: Bool { escalation.phase == .resolved }

    /// Seconds from opening to the first acknowledgement.
    public var secondsToAcknowledge: Double? { firstAcknowledgedAt.map { $0.timeIntervalSince(openedAt) } }
    /// Seconds from opening to resolution.
    public var secondsToResolve: Double? { resolvedAt.map { $0.timeIntervalSince(openedAt) } }
}

public struct IncidentAlarm: Sendable, Equatable {
    public var region: String
    public var name: String
    public var state: AlarmState
    public var reason: String
    public var joinedAt: Date
    public var changedAt: Date

    public var key: AlarmKey { AlarmKey(region: region, name: name) }
}

public enum PageStatus: String, Sendable, Codable, CaseIterable {
    /// Waiting for its (next) attempt.
    case pending
    /// Claimed by the daemon and being sent now.
    case sending
    case delivered
    /// Not delivered, and no attempt is left (or it cannot work).
    case failed
    /// Sent, and whether it arrived is not known; not sent again.
    case unknown
    /// Not needed any more: the incident was acknowledged or resolved before it went out.
    case cancelled
}

/// One page: one contact, one channel, one firing of a stage (or an acknowledge/resolve notice).
public struct PageRecord: Sendable, Equatable {
    public var id: Int64
    public var incident: Int64
    /// The firing's number within the incident (`EscalationFiring.number`).
    public var firing: Int
    /// 0-based stage index.
    public var stage: Int
    public var pass: Int
    public var reason: String
    public var action: PageAction
    public var contact: String
    public var contactName: String
    /// The channel's config key: sns, sms, pagerduty, slack, webhook, or console.
    public var channel: String
    /// Where it goes, without secrets: a topic ARN, a number, "PagerDuty ($PD_KEY)".
    public var target: String
    public var status: PageStatus
    public var attempts: Int
    public var createdAt: Date
    public var nextAttemptAt: Date?
    public var lastAttemptAt: Date?
    public var deliveredAt: Date?
    public var detail: String?
    public var reference: String?

    /// The console channel: every console on the host shows the page and rings the bell.
    public static let consoleChannel = "console"
}

/// How often, and how far apart, a failed delivery is tried again.
public struct PageRetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included.
    public var attempts: Int
    /// The wait before the second attempt; it doubles for each one after, up to `maximum`.
    public var base: TimeInterval
    public var maximum: TimeInterval

    public init(attempts: Int = 6, base: TimeInterval = 5, maximum: TimeInterval = 300) {
        self.attempts = attempts
        self.base = base
        self.maximum = maximum
    }

    /// The wait after the `attempt`-th (1-based) attempt failed.
    public func delay(after attempt: Int) -> TimeInterval {
        min(maximum, base * pow(2, Double(max(0, attempt - 1))))
    }
}

extension ContactChannel {
    /// Where a page on this channel goes, safe to show and store: never the secret itself.
    public var target: String {
        switch self {
        case .sns(let arn): arn
        case .sms(let phone): phone
        case .pagerDuty(let env): "PagerDuty ($\(env))"
        case .slack(let env): "Slack ($\(env))"
        case .webhook(let url, _):
            // The query string may carry a token; the rest names the receiver well enough.
            URLComponents(string: url).map { parts in
                var shown = parts
                shown.query = nil
                shown.fragment = nil
                shown.user = nil
                shown.password = nil
                return shown.string ?? url
            } ?? url
        }
    }

    /// Whether the channel is told when the incident is acknowledged or resolved. Texts and
    /// topics are not: nobody should be woken to hear that someone else is on it.
    public var getsNotices: Bool {
        switch self {
        case .pagerDuty, .slack, .webhook: true
        case .sns, .sms: false
        }
    }
}
