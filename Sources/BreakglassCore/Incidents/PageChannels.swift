import BreakglassAWS
import Foundation

/// Delivers pages over every kind of `ContactChannel`: SNS topics and SMS through the caller's
/// journaled AWS client, PagerDuty, Slack and generic webhooks over HTTP. Each call is one attempt;
/// whether and when to try again is the watch daemon's, guided by the `DeliveryResult`.
///
/// One rule decides every classification: a page that may have reached a person is reported as
/// `.unknown`, never as a retryable failure, because a retry could page them twice. PagerDuty is the
/// exception that proves it: it deduplicates on `dedup_key`, so an event that went unanswered is
/// safe to send again and is reported as retryable. docs/CHANNELS.md has the full table.
///
/// Secrets live only in `environment` (the names of the variables come from the config). They are
/// read at delivery and never appear in a result's detail: details name the variable instead, and
/// every detail is scrubbed of the channel's secret values before it is returned, as a second line
/// of defence against a server or libcurl echoing one back.
public struct ChannelSender: PageSender {
    /// Where PagerDuty events go unless `pagerDutyURLVariable` says otherwise.
    public static let pagerDutyEventsURL = "https://events.pagerduty.com/v2/enqueue"
    /// Overrides `pagerDutyEventsURL` (a regional endpoint, a proxy, a loopback server in tests).
    public static let pagerDutyURLVariable = "BREAKGLASS_PAGERDUTY_EVENTS_URL"

    let aws: AWSClient?
    let http: any HTTPTransport
    let environment: [String: String]
    let smsRegion: String?
    let timeouts: HTTPTimeouts
    let now: @Sendable () -> Date

    /// `aws` sends SNS and SMS pages and must carry the audit journal (Publish is a write); nil when
    /// the daemon has no AWS credentials, which fails those two channels without trying. `smsRegion`
    /// is the region SMS is sent from (SNS SMS is not offered in every region); nil fails SMS pages.
    /// `timeouts` bound each HTTP delivery, so a stalled receiver cannot hold a stage up.
    public init(
        aws: AWSClient?, http: any HTTPTransport, environment: [String: String], smsRegion: String?,
        timeouts: HTTPTimeouts = .standard, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.aws = aws
        self.http = http
        self.environment = environment
        self.smsRegion = smsRegion
        self.timeouts = timeouts
        self.now = now
    }

    public func deliver(_ message: PageMessage, via channel: ContactChannel) async -> DeliveryResult {
        let result: DeliveryResult
        switch channel {
        case .sns(let arn): result = await publishToTopic(message, topicARN: arn)
        case .sms(let phone): result = await sendSMS(message, phone: phone)
        case .pagerDuty(let variable): result = await sendPagerDuty(message, routingKeyVariable: variable)
        case .slack(let variable): result = await postSlack(message, webhookVariable: variable)
        case .webhook(let url, let variable): result = await postWebhook(message, url: url, secretVariable: variable)
        }
        return Self.scrubbed(result, secrets: secretValues(of: channel))
    }

    /// The value of `variable` when it is set to something other than blanks.
    func secret(_ variable: String) -> String? {
        guard let value = environment[variable], !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        return value
    }

    /// Every string a detail must not contain for this channel: the secrets' values, and for a Slack
    /// webhook also its path, where the secret part of the URL lives.
    func secretValues(of channel: ContactChannel) -> [String] {
        var values: [String] = []
        for variable in channel.environmentVariables {
            guard let value = secret(variable) else { continue }
            let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
            values += [value, trimmed]
            if case .slack = channel, let path = URLComponents(string: trimmed)?.percentEncodedPath, path.count > 1 {
                values.append(path)
            }
        }
        // Too short to replace without mangling ordinary words; such a "secret" protects nothing anyway.
        return values.filter { $0.count >= 4 }.sorted { $0.count > $1.count }
    }

    static func scrubbed(_ result: DeliveryResult, secrets: [String]) -> DeliveryResult {
        guard !secrets.isEmpty else { return result }
        func clean(_ text: String) -> String {
            secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "[redacted]") }
        }
        switch result {
        case .delivered(let reference): return .delivered(reference: reference.map(clean))
        case .failed(let detail, let retryable): return .failed(detail: clean(detail), retryable: retryable)
        case .unknown(let detail): return .unknown(detail: clean(detail))
        }
    }
}
