import BreakglassAWS
import Foundation

/// SNS topics and SMS: one Publish each through the caller's AWS client, which journals the intent
/// and outcome and never re-sends a Publish that may have reached AWS.
extension ChannelSender {
    func publishToTopic(_ m: PageMessage, topicARN arn: String) async -> DeliveryResult {
        let what = "SNS topic \(arn)"
        guard let region = Self.region(ofTopic: arn) else {
            return .failed(detail: "\(what): not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME); fix it in the config", retryable: false)
        }
        let parameters = [("TopicArn", arn), ("Subject", PageWording.snsSubject(m)), ("Message", PageWording.plainText(m))]
        return await publish(parameters, region: region, what: what)
    }

    func sendSMS(_ m: PageMessage, phone: String) async -> DeliveryResult {
        let what = "SMS to \(phone)"
        guard let region = smsRegion, !region.isEmpty else {
            return .failed(detail: "\(what): no region to send SMS from is configured; set one (SNS sends SMS only from some regions)", retryable: false)
        }
        guard ConfigValues.isE164(phone) else {
            return .failed(detail: "\(what): not an E.164 number (+ and 7 to 15 digits); fix it in the config", retryable: false)
        }
        // Transactional: SNS favours delivery over cost, as a page at 2 a.m. needs.
        let parameters = [
            ("PhoneNumber", phone), ("Message", PageWording.sms(m)),
            ("MessageAttributes.entry.1.Name", "AWS.SNS.SMS.SMSType"),
            ("MessageAttributes.entry.1.Value.DataType", "String"),
            ("MessageAttributes.entry.1.Value.StringValue", "Transactional"),
        ]
        return await publish(parameters, region: region, what: what)
    }

    private func publish(_ parameters: [(String, String)], region: String, what: String) async -> DeliveryResult {
        guard let aws else {
            return .failed(detail: "\(what): the daemon has no AWS credentials, so SNS cannot be reached; give it credentials and restart it", retryable: false)
        }
        do {
            let response = try await aws.query(.sns, "Publish", parameters, region: region, mutating: true)
            return .delivered(reference: response.result.first("MessageId")?.text ?? response.requestID)
        } catch {
            return Self.classify(error, what: what)
        }
    }

    /// The region of `arn:PARTITION:sns:REGION:ACCOUNT:NAME`; nil for anything else.
    static func region(ofTopic arn: String) -> String? {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", !parts[1].isEmpty, parts[2] == "sns", !parts[3].isEmpty, !parts[5].isEmpty else { return nil }
        return String(parts[3])
    }

    /// SNS error codes that mean the request itself is wrong (a bad ARN, a message SNS rejects, an
    /// opted-out phone number): sending the same page again would fail the same way.
    static let permanentSNSCodes: Set<String> = [
        "InvalidParameter", "InvalidParameterValue", "InvalidParameterException", "InvalidParameterValueException",
        "ValidationError", "ValidationException", "MissingParameter", "InvalidAction", "MalformedQueryString",
    ]

    /// How a failed Publish reads as a delivery. A 5xx answer may come after SNS accepted the
    /// message, and the client never re-sends a write whose fate it does not know, so both are
    /// `.unknown`. Of the 4xx answers only validation errors are final; throttling, authorization,
    /// a deleted topic or a disabled KMS key are things an operator can fix while the page waits.
    /// A refused or misconfigured client will refuse every retry too.
    static func classify(_ error: AWSError, what: String) -> DeliveryResult {
        switch error {
        case .outcomeUnknown(let o):
            return .unknown(detail: "\(what): \(ChannelHTTP.failure(o.transport)) after Publish was sent; SNS may have delivered it, so it was not sent again")
        case .service(let e) where e.status >= 500:
            return .unknown(detail: "\(what): SNS answered HTTP \(e.status) \(serviceText(e)); it may have published the page anyway, so it was not sent again")
        case .service(let e):
            if permanentSNSCodes.contains(e.code) {
                return .failed(detail: "\(what): SNS refused the page: \(serviceText(e)); fix the channel in the config", retryable: false)
            }
            return .failed(detail: "\(what): SNS refused the page: \(serviceText(e)); not delivered, try again once that is fixed", retryable: true)
        case .transport(let t) where t.requestMayHaveBeenSent:
            return .unknown(detail: "\(what): \(ChannelHTTP.failure(t)) after Publish was sent; SNS may have delivered it, so it was not sent again")
        case .transport(let t):
            return .failed(detail: "\(what): \(ChannelHTTP.failure(t)); Publish was not sent, try again later", retryable: true)
        case .malformedResponse(_, let status, let requestID, _):
            return .unknown(detail: "\(what): SNS answered HTTP \(status) (request id \(requestID ?? "none given")) in a form that could not be read; it may have published the page")
        case .audit(let m):
            return .failed(detail: "\(what): not sent, because the audit trail could not record it: \(PageWording.line(m))", retryable: true)
        case .credentials(let m):
            return .failed(detail: "\(what): not sent: \(PageWording.line(m))", retryable: true)
        case .refused(let m):
            return .failed(detail: "\(what): this AWS client may not publish to SNS: \(PageWording.line(m))", retryable: false)
        case .configuration(let m):
            return .failed(detail: "\(what): AWS settings are wrong: \(PageWording.line(m)); fix them and restart the daemon", retryable: false)
        }
    }

    private static func serviceText(_ e: ServiceError) -> String {
        "\(e.code): \(PageWording.cut(PageWording.line(e.message), 300)) (request id \(e.requestID ?? "none given"))"
    }
}
