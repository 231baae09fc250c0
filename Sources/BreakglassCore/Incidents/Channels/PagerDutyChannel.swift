import BreakglassAWS
import Foundation

/// PagerDuty Events API v2: one event per page, keyed by the incident's `dedupKey`, so PagerDuty
/// keeps one alert per incident across stages and channels, and acknowledge/resolve close it.
extension ChannelSender {
    func sendPagerDuty(_ m: PageMessage, routingKeyVariable variable: String) async -> DeliveryResult {
        guard let routingKey = secret(variable)?.trimmingCharacters(in: .whitespacesAndNewlines) else {
            return .failed(
                detail: "PagerDuty: the routing key variable \(variable) is not set (or is empty) in the daemon's environment; set it to the service's Events API v2 integration key",
                retryable: false)
        }
        let override = environment[Self.pagerDutyURLVariable].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
        let endpoint: HTTPEndpoint
        do {
            endpoint = try HTTPEndpoint(override ?? Self.pagerDutyEventsURL)
        } catch {
            return .failed(detail: "PagerDuty: \(Self.pagerDutyURLVariable) \(error.reason)", retryable: false)
        }
        let what = "PagerDuty at \(endpoint.display)"
        let body = Array(JSON.encode(Self.pagerDutyEvent(m, routingKey: routingKey)).utf8)
        let request = endpoint.post(body, headers: [
            HTTPHeader("Content-Type", "application/json"), HTTPHeader("User-Agent", ChannelHTTP.userAgent),
        ])
        switch await ChannelHTTP.send(http, request, operation: "pagerduty.enqueue", timeouts: timeouts) {
        case .success(let response): return Self.classifyPagerDuty(response, what: what, dedupKey: m.dedupKey)
        case .failure(let error):
            // PagerDuty folds events with one dedup_key into one alert, so sending again is safe.
            let sent = error.requestMayHaveBeenSent
                ? "it may have been received, and sending it again is safe because PagerDuty deduplicates on dedup_key"
                : "the event was not sent"
            return .failed(detail: "\(what): \(ChannelHTTP.failure(error)); \(sent); try again later", retryable: true)
        }
    }

    /// The event body. Only a trigger carries a `payload`: acknowledge and resolve need nothing but
    /// the routing key and the dedup key.
    static func pagerDutyEvent(_ m: PageMessage, routingKey: String) -> AWSValue {
        var event = AWSObject()
        event["routing_key"] = .string(routingKey)
        event["event_action"] = .string(m.action.rawValue)
        event["dedup_key"] = .string(m.dedupKey)
        guard m.action == .trigger else { return .object(event) }

        var payload = AWSObject()
        payload["summary"] = .string(PageWording.cut("[Breakglass] " + PageWording.headline(m), 1024))
        payload["source"] = .string(m.source.isEmpty ? "breakglass" : PageWording.line(m.source))
        payload["severity"] = .string(pagerDutySeverity(m.severity))
        payload["timestamp"] = .string(ISO8601.format(m.openedAt))
        let alarms = m.alarms.map(PageWording.line)
        // Alarms are "region/name": one alarm names the component, one region the group.
        let regions = Set(alarms.compactMap { $0.split(separator: "/", maxSplits: 1).first.map(String.init) })
        if alarms.count == 1, let name = alarms[0].split(separator: "/", maxSplits: 1).last { payload["component"] = .string(String(name)) }
        if regions.count == 1, let region = regions.first { payload["group"] = .string(region) }
        payload["class"] = .string("alarm")
        var details = AWSObject()
        details["incident"] = .int(Int(m.incident))
        details["stage"] = .int(m.stage)
        details["contact"] = .string(m.contact)
        details["contact_name"] = .string(PageWording.line(m.contactName))
        details["alarms"] = .array(alarms.map(AWSValue.string))
        details["summary"] = .string(PageWording.summary(m))
        details["acknowledge"] = .string(PageWording.ackCommand(m))
        payload["custom_details"] = .object(details)

        event["payload"] = .object(payload)
        event["client"] = .string("Breakglass")
        return .object(event)
    }

    /// Breakglass severity 1 (worst) to 5 as PagerDuty's four levels; out-of-range values clamp.
    static func pagerDutySeverity(_ severity: Int) -> String {
        switch severity {
        case ...1: "critical"
        case 2: "error"
        case 3: "warning"
        default: "info"
        }
    }

    /// PagerDuty's documented answers: 202 accepted; 400 the event is invalid (will be refused
    /// again); 429 throttled and 5xx failed (retry later). Any other 4xx (a wrong override URL, a
    /// proxy refusing) is as final as a 400; a 3xx is not followed and is final too.
    static func classifyPagerDuty(_ response: HTTPResponse, what: String, dedupKey: String) -> DeliveryResult {
        let status = response.status
        let answer = try? JSON.decode(response.body)
        if (200..<300).contains(status) {
            return .delivered(reference: answer?["dedup_key"]?.string ?? dedupKey)
        }
        var said = [answer?["status"]?.string, answer?["message"]?.string].compactMap { $0 }
        said += (answer?["errors"]?.array ?? []).compactMap(\.string)
        let text = said.isEmpty ? ChannelHTTP.answerText(response) : PageWording.cut(PageWording.line(said.joined(separator: "; ")), 300)
        let suffix = text.map { ": \($0)" } ?? ""
        if status == 429 || (500..<600).contains(status) {
            return .failed(detail: "\(what) answered HTTP \(status)\(suffix); not accepted, try again later", retryable: true)
        }
        return .failed(
            detail: "\(what) rejected the event with HTTP \(status)\(suffix); sending it again will not help, check the routing key and the event",
            retryable: false)
    }
}
