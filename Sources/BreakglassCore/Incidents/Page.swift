import Foundation

/// What a page asks of its channel: open the alert, or tell the channel the incident was
/// acknowledged or resolved (PagerDuty closes its own incident; the others get a short notice).
public enum PageAction: String, Sendable, Hashable, Codable, CaseIterable {
    case trigger, acknowledge, resolve
}

/// One message to one contact over one channel, everything a channel needs to word it. Built by
/// the watch daemon from an incident and a page row; channels never read the store.
public struct PageMessage: Sendable, Equatable {
    /// The incident's id (`breakglass ack 12`).
    public var incident: Int64
    public var action: PageAction
    /// One line: "prod-db-writer-health in ALARM (severity 1)". Untrusted parts already sanitised.
    public var title: String
    /// A few plain lines: the alarms and their reasons, the stage, how to acknowledge.
    public var summary: String
    /// 1 (most severe) to 5.
    public var severity: Int
    /// 1-based stage of the escalation plan that sent this page; 0 for acknowledge/resolve notices.
    public var stage: Int
    /// The contact's config id and display name.
    public var contact: String
    public var contactName: String
    /// "region/alarm-name" of each alarm in the incident.
    public var alarms: [String]
    /// The same for every page of one incident, across channels and stages (PagerDuty's dedup_key).
    public var dedupKey: String
    /// Unique to this page row: receivers of a generic webhook deduplicate on it.
    public var deliveryID: String
    public var openedAt: Date
    /// The host the daemon runs on (PagerDuty's `source`).
    public var source: String

    public init(
        incident: Int64, action: PageAction, title: String, summary: String, severity: Int, stage: Int, contact: String,
        contactName: String, alarms: [String], dedupKey: String, deliveryID: String, openedAt: Date, source: String
    ) {
        self.incident = incident
        self.action = action
        self.title = title
        self.summary = summary
        self.severity = severity
        self.stage = stage
        self.contact = contact
        self.contactName = contactName
        self.alarms = alarms
        self.dedupKey = dedupKey
        self.deliveryID = deliveryID
        self.openedAt = openedAt
        self.source = source
    }
}

/// How one delivery attempt ended.
public enum DeliveryResult: Sendable, Equatable {
    /// The channel accepted it; `reference` is its id for it (SNS MessageId, request id), if any.
    case delivered(reference: String?)
    /// Certainly not delivered. `retryable`: trying again later may work (throttled, 5xx, no
    /// connection); false when the request itself is wrong (a 400 from PagerDuty, a missing secret).
    case failed(detail: String, retryable: Bool)
    /// It may have been delivered (sent, then no answer). Never sent again, because one stage
    /// firing must never page a target twice; shown in the incident's timeline as unknown.
    case unknown(detail: String)
}

/// Delivers pages. The watch daemon calls it off its main loop, one attempt per call; retries and
/// backoff are the daemon's. Implementations never put secrets (routing keys, webhook URLs,
/// signing secrets) into `DeliveryResult` details.
public protocol PageSender: Sendable {
    func deliver(_ message: PageMessage, via channel: ContactChannel) async -> DeliveryResult
}
