import BreakglassAWS
import Crypto
import Foundation

/// Slack incoming webhooks and generic webhooks. Neither deduplicates, so a request that went out
/// and got no answer is `.unknown` and never sent again (see `ChannelHTTP.classify`).
extension ChannelSender {
    func postSlack(_ m: PageMessage, webhookVariable variable: String) async -> DeliveryResult {
        // The URL is the secret: details say where it is, never what it is.
        let what = "the Slack webhook in $\(variable)"
        guard let raw = secret(variable) else {
            return .failed(detail: "Slack: \(variable) is not set (or is empty) in the daemon's environment; set it to the channel's incoming webhook URL", retryable: false)
        }
        let endpoint: HTTPEndpoint
        do {
            endpoint = try HTTPEndpoint(raw)
        } catch {
            return .failed(detail: "Slack: the value of \(variable) \(error.reason)", retryable: false)
        }
        let body = Array(JSON.encode(["text": .string(PageWording.slackText(m))]).utf8)
        let request = endpoint.post(body, headers: [
            HTTPHeader("Content-Type", "application/json"), HTTPHeader("User-Agent", ChannelHTTP.userAgent),
        ])
        switch await ChannelHTTP.send(http, request, operation: "slack.webhook", timeouts: timeouts) {
        case .success(let response): return ChannelHTTP.classify(response, what: what)
        case .failure(let error): return ChannelHTTP.classify(error, what: what)
        }
    }

    func postWebhook(_ m: PageMessage, url: String, secretVariable: String?) async -> DeliveryResult {
        let endpoint: HTTPEndpoint
        do {
            endpoint = try HTTPEndpoint(url)
        } catch {
            return .failed(detail: "webhook: the configured URL \(error.reason); fix it in the config", retryable: false)
        }
        let what = "webhook \(endpoint.display)"
        var signingSecret: String?
        if let variable = secretVariable {
            guard let value = secret(variable) else {
                return .failed(
                    detail: "\(what): the signing secret variable \(variable) is not set (or is empty) in the daemon's environment; set it, or drop secret_env from the channel",
                    retryable: false)
            }
            signingSecret = value
        }
        let sentAt = now()
        let timestamp = Int(sentAt.timeIntervalSince1970.rounded(.down))
        let body = Array(JSON.encode(Self.webhookBody(m, sentAt: sentAt)).utf8)
        var headers = [
            HTTPHeader("Content-Type", "application/json"), HTTPHeader("User-Agent", ChannelHTTP.userAgent),
            HTTPHeader(WebhookSignature.deliveryHeader, m.deliveryID), HTTPHeader(WebhookSignature.eventHeader, m.action.rawValue),
            HTTPHeader(WebhookSignature.timestampHeader, String(timestamp)),
        ]
        if let signingSecret {
            headers.append(HTTPHeader(WebhookSignature.signatureHeader, WebhookSignature.sign(secret: signingSecret, timestamp: timestamp, body: body)))
        }
        switch await ChannelHTTP.send(http, endpoint.post(body, headers: headers), operation: "webhook.deliver", timeouts: timeouts) {
        case .success(let response): return ChannelHTTP.classify(response, what: what)
        case .failure(let error): return ChannelHTTP.classify(error, what: what)
        }
    }

    /// Version 1 of the webhook body (docs/CHANNELS.md). Members are only ever added; a change that
    /// would break a receiver gets a new `version`.
    static func webhookBody(_ m: PageMessage, sentAt: Date) -> AWSValue {
        var incident = AWSObject()
        incident["id"] = .int(Int(m.incident))
        incident["title"] = .string(PageWording.title(m))
        incident["summary"] = .string(PageWording.summary(m))
        incident["severity"] = .int(m.severity)
        incident["stage"] = .int(m.stage)
        incident["alarms"] = .array(m.alarms.map { .string(PageWording.line($0)) })
        incident["opened_at"] = .string(ISO8601.format(m.openedAt))
        incident["dedup_key"] = .string(m.dedupKey)
        incident["acknowledge"] = .string(PageWording.ackCommand(m))
        var body = AWSObject()
        body["version"] = .int(1)
        body["event"] = .string(m.action.rawValue)
        body["delivery_id"] = .string(m.deliveryID)
        body["sent_at"] = .string(ISO8601.format(sentAt))
        body["source"] = .string(PageWording.line(m.source))
        body["incident"] = .object(incident)
        body["contact"] = .object(AWSObject([("id", .string(m.contact)), ("name", .string(PageWording.line(m.contactName)))]))
        return .object(body)
    }
}

/// How a generic webhook's receiver can tell a page came from Breakglass and is fresh: the
/// signature is HMAC-SHA256, keyed with the secret's UTF-8 bytes, over "<timestamp>.<body>", where
/// timestamp is the X-Breakglass-Timestamp header (Unix seconds) and body the exact bytes received.
/// Signing the timestamp lets a receiver refuse replays older than a few minutes.
public enum WebhookSignature {
    public static let signatureHeader = "X-Breakglass-Signature"
    public static let timestampHeader = "X-Breakglass-Timestamp"
    public static let deliveryHeader = "X-Breakglass-Delivery"
    public static let eventHeader = "X-Breakglass-Event"

    /// "sha256=" and the lowercase hex HMAC, the header's value.
    public static func sign(secret: String, timestamp: Int, body: [UInt8]) -> String {
        let key = SymmetricKey(data: Array(secret.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(timestamp).".utf8) + body, using: key)
        return "sha256=" + Hex.encode(mac)
    }
}
