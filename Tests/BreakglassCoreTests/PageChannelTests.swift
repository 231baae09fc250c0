import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Crypto
import Foundation
import Testing

/// The paging channels against a scripted transport: what each one puts on the wire, and how every
/// answer and failure is classified. Loopback and moto tests (BreakglassEndToEndTests) cover the
/// same over real sockets.
@Suite struct PageChannelTests {
    static let opened = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18T...
    static let sent = Date(timeIntervalSince1970: 1_795_000_123)

    static func message(
        _ action: PageAction = .trigger, title: String = "prod-db-writer-health in ALARM (severity 1)", severity: Int = 1,
        summary: String = "prod-db-writer-health: Threshold Crossed: 3 datapoints were greater than 80.\nStage 1 of db-oncall.\nAcknowledge: breakglass ack 12",
        alarms: [String] = ["us-east-1/prod-db-writer-health"]
    ) -> PageMessage {
        PageMessage(
            incident: 12, action: action, title: title, summary: summary, severity: severity, stage: action == .trigger ? 1 : 0,
            contact: "alice", contactName: "Alice Example", alarms: alarms, dedupKey: "breakglass-incident-12",
            deliveryID: "page-12-1-alice-webhook", openedAt: opened, source: "ops-host-1")
    }

    static func sender(
        _ transport: ScriptedTransport, aws: AWSClient? = nil, environment: [String: String] = [:], smsRegion: String? = "us-east-1"
    ) -> ChannelSender {
        ChannelSender(aws: aws, http: transport, environment: environment, smsRegion: smsRegion, timeouts: HTTPTimeouts(connect: 1, total: 2), now: { sent })
    }

    static func awsClient(_ transport: ScriptedTransport, journal: any MutationJournal = MemoryJournal()) -> AWSClient {
        let env = AWSEnvironment(variables: ["HOME": "/nonexistent", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"])
        return AWSClient(
            credentials: AWSCredentials(accessKeyID: "AKIDTEST", secretAccessKey: "s3cr3t-aws-key", source: "test"),
            endpoints: EndpointResolver(environment: env), transport: transport, retry: .never, journal: journal)
    }

    static func answer(_ status: Int, _ body: String = "", headers: [HTTPHeader] = []) -> Result<HTTPResponse, TransportError> {
        .success(HTTPResponse(status: status, headers: headers, body: Array(body.utf8)))
    }

    static func transportFailure(_ kind: TransportError.Kind, sent: Bool, url: String = "https://example.invalid/x") -> Result<HTTPResponse, TransportError> {
        .failure(TransportError(kind: kind, operation: "test", url: url, requestMayHaveBeenSent: sent, detail: "injected failure talking to \(url)"))
    }

    /// The form body of a query-protocol request as name/value pairs.
    static func form(_ request: HTTPRequest) -> [String: String] {
        var out: [String: String] = [:]
        for pair in String(decoding: request.body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            out[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return out
    }

    static func json(_ request: HTTPRequest) throws -> AWSValue { try JSON.decode(request.body) }

    static func detail(_ result: DeliveryResult) -> String {
        switch result {
        case .delivered(let reference): reference ?? ""
        case .failed(let detail, _): detail
        case .unknown(let detail): detail
        }
    }

    /// "delivered", "retryable", "final" or "unknown": the classification, without the wording.
    static func kind(_ result: DeliveryResult) -> String {
        switch result {
        case .delivered: "delivered"
        case .failed(_, let retryable): retryable ? "retryable" : "final"
        case .unknown: "unknown"
        }
    }

    static let topic = "arn:aws:sns:eu-west-1:123456789012:db-oncall"
    static let publishOK = answer(
        200, "<PublishResponse><PublishResult><MessageId>msg-0001</MessageId></PublishResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></PublishResponse>")

    static func snsError(_ status: Int, _ code: String) -> Result<HTTPResponse, TransportError> {
        answer(status, "<ErrorResponse><Error><Type>Sender</Type><Code>\(code)</Code><Message>injected \(code)</Message></Error><RequestId>req-err</RequestId></ErrorResponse>")
    }

    // MARK: SNS topic

    @Test func topicPublishGoesToTheTopicsRegionAndIsJournaled() async throws {
        let transport = ScriptedTransport([Self.publishOK])
        let journal = MemoryJournal()
        let result = await Self.sender(transport, aws: Self.awsClient(transport, journal: journal)).deliver(Self.message(), via: .sns(topicARN: Self.topic))
        #expect(result == .delivered(reference: "msg-0001"))
        let request = try #require(transport.requests.first)
        #expect(request.header("Authorization")?.contains("/eu-west-1/sns/aws4_request") == true)
        let form = Self.form(request)
        #expect(form["Action"] == "Publish")
        #expect(form["TopicArn"] == Self.topic)
        #expect(form["Subject"] == "Breakglass Incident #12: prod-db-writer-health in ALARM (severity 1)")
        let text = try #require(form["Message"])
        #expect(text.hasPrefix("[Breakglass] Incident #12: prod-db-writer-health in ALARM (severity 1)\n\nprod-db-writer-health: Threshold Crossed"))
        #expect(text.components(separatedBy: "breakglass ack 12").count == 2, "the ack instruction appears once: \(text)")
        #expect(journal.records.count == 2)
        guard case .intent(let intent) = journal.records.first else { Issue.record("no intent first"); return }
        #expect(intent.operation == "Publish" && intent.region == "eu-west-1")
        guard case .outcome(.succeeded, _) = journal.records.last else { Issue.record("no success outcome: \(journal.records)"); return }
    }

    @Test func subjectIsPrintableASCIIUnder100AndTheAckLineIsAddedWhenMissing() async throws {
        let transport = ScriptedTransport([Self.publishOK])
        let title = "caf\u{E9} \u{1F525} \u{1B}[31mred\u{202E}evil\nsecond line " + String(repeating: "x", count: 200)
        _ = await Self.sender(transport, aws: Self.awsClient(transport)).deliver(Self.message(title: title, summary: "one reason"), via: .sns(topicARN: Self.topic))
        let form = Self.form(try #require(transport.requests.first))
        let subject = try #require(form["Subject"])
        #expect(subject.count <= 99 && subject.hasSuffix("..."))
        #expect(subject.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }, "\(subject)")
        #expect(subject.hasPrefix("Breakglass Incident #12: caf? ? [31mredevil second line"), "\(subject)")
        let text = try #require(form["Message"])
        #expect(!text.contains("\u{1B}") && !text.contains("\u{202E}"))
        #expect(text.hasSuffix("one reason\n\nAcknowledge: breakglass ack 12"), "\(text)")
    }

    @Test(arguments: [
        (snsError(500, "InternalError"), "unknown"),
        (snsError(503, "ServiceUnavailable"), "unknown"),
        (snsError(400, "InvalidParameter"), "final"),
        (snsError(400, "InvalidParameterValue"), "final"),
        (snsError(400, "Throttling"), "retryable"),
        (snsError(403, "AuthorizationError"), "retryable"),
        (snsError(404, "NotFound"), "retryable"),
        (snsError(400, "KMSDisabled"), "retryable"),
        (transportFailure(.timedOut, sent: true), "unknown"),
        (transportFailure(.connectionLost, sent: true), "unknown"),
        (transportFailure(.cannotConnect, sent: false), "retryable"),
        (answer(200, "not xml <"), "unknown"),
    ])
    func publishFailuresClassify(answer: Result<HTTPResponse, TransportError>, expected: String) async {
        let transport = ScriptedTransport([answer])
        let result = await Self.sender(transport, aws: Self.awsClient(transport)).deliver(Self.message(), via: .sns(topicARN: Self.topic))
        #expect(Self.kind(result) == expected, "\(result)")
        #expect(Self.detail(result).contains(Self.topic), "\(result)")
        #expect(transport.requests.count == 1, "one attempt, never a resend")
    }

    @Test func publishRefusedBeforeSendingIsClassifiedWithoutAnyRequest() async {
        let transport = ScriptedTransport([Self.publishOK])
        let noJournal = await Self.sender(transport, aws: Self.awsClient(transport, journal: MemoryJournal(refuse: true)))
            .deliver(Self.message(), via: .sns(topicARN: Self.topic))
        #expect(Self.kind(noJournal) == "retryable" && Self.detail(noJournal).contains("audit trail"), "\(noJournal)")
        let limited = Self.awsClient(transport).limited(to: ["cloudwatch.DescribeAlarms"], reason: "a test grant")
        let refused = await Self.sender(transport, aws: limited).deliver(Self.message(), via: .sns(topicARN: Self.topic))
        #expect(Self.kind(refused) == "final" && Self.detail(refused).contains("a test grant"), "\(refused)")
        let noClient = await Self.sender(transport).deliver(Self.message(), via: .sns(topicARN: Self.topic))
        #expect(Self.kind(noClient) == "final" && Self.detail(noClient).contains("no AWS credentials"), "\(noClient)")
        let badARN = await Self.sender(transport, aws: Self.awsClient(transport)).deliver(Self.message(), via: .sns(topicARN: "arn:aws:sqs:us-east-1:1:q"))
        #expect(Self.kind(badARN) == "final" && Self.detail(badARN).contains("not an SNS topic ARN"), "\(badARN)")
        #expect(transport.requests.isEmpty)
    }

    // MARK: SMS

    @Test func smsPublishesToThePhoneFromTheSMSRegionInAtMost140Characters() async throws {
        let transport = ScriptedTransport([Self.publishOK, Self.publishOK])
        let sender = Self.sender(transport, aws: Self.awsClient(transport), smsRegion: "ap-southeast-2")
        let long = Self.message(title: String(repeating: "very-long-alarm-name-", count: 20))
        #expect(await sender.deliver(long, via: .sms(phone: "+15555550123")) == .delivered(reference: "msg-0001"))
        let request = try #require(transport.requests.first)
        #expect(request.header("Authorization")?.contains("/ap-southeast-2/sns/aws4_request") == true)
        let form = Self.form(request)
        #expect(form["PhoneNumber"] == "+15555550123" && form["TopicArn"] == nil)
        #expect(form["MessageAttributes.entry.1.Value.StringValue"] == "Transactional")
        let text = try #require(form["Message"])
        #expect(text.count <= 140, "\(text.count): \(text)")
        #expect(text.hasPrefix("Breakglass #12: very-long-alarm-name-") && text.hasSuffix("... - ack: breakglass ack 12"), "\(text)")

        _ = await sender.deliver(Self.message(.resolve), via: .sms(phone: "+15555550123"))
        #expect(Self.form(transport.requests[1])["Message"] == "Breakglass #12 resolved: prod-db-writer-health in ALARM (severity 1)")
    }

    @Test func smsWithoutARegionOrWithABadNumberFailsForGoodWithoutSending() async {
        let transport = ScriptedTransport([Self.publishOK])
        let noRegion = await Self.sender(transport, aws: Self.awsClient(transport), smsRegion: nil).deliver(Self.message(), via: .sms(phone: "+15555550123"))
        #expect(Self.kind(noRegion) == "final" && Self.detail(noRegion).contains("no region"), "\(noRegion)")
        let badNumber = await Self.sender(transport, aws: Self.awsClient(transport)).deliver(Self.message(), via: .sms(phone: "555-0123"))
        #expect(Self.kind(badNumber) == "final" && Self.detail(badNumber).contains("E.164"), "\(badNumber)")
        #expect(transport.requests.isEmpty)
    }

    // MARK: PagerDuty

    static let routingKey = "R0UTINGKEY0123456789abcdefABCDEF"
    static let pdEnv = ["PD_DB": routingKey]

    @Test func pagerDutyTriggerCarriesTheDocumentedFields() async throws {
        let transport = ScriptedTransport([Self.answer(202, #"{"status":"success","message":"Event processed","dedup_key":"breakglass-incident-12"}"#)])
        let result = await Self.sender(transport, environment: Self.pdEnv).deliver(Self.message(), via: .pagerDuty(routingKeyEnv: "PD_DB"))
        #expect(result == .delivered(reference: "breakglass-incident-12"))
        let request = try #require(transport.requests.first)
        #expect(request.url == "https://events.pagerduty.com/v2/enqueue")
        #expect(request.method == "POST" && request.header("Content-Type") == "application/json")
        #expect(request.reuseConnection == false)
        let body = try Self.json(request)
        #expect(body["routing_key"] == .string(Self.routingKey))
        #expect(body["event_action"] == "trigger")
        #expect(body["dedup_key"] == "breakglass-incident-12")
        #expect(body["client"] == "Breakglass")
        let payload = try #require(body["payload"])
        #expect(payload["summary"] == "[Breakglass] Incident #12: prod-db-writer-health in ALARM (severity 1)")
        #expect(payload["source"] == "ops-host-1")
        #expect(payload["severity"] == "critical")
        #expect(payload["timestamp"] == .string(ISO8601.format(Self.opened)))
        #expect(payload["component"] == "prod-db-writer-health" && payload["group"] == "us-east-1")
        let details = try #require(payload["custom_details"])
        #expect(details["incident"]?.int == 12 && details["stage"]?.int == 1 && details["contact"] == "alice")
        #expect(details["alarms"] == ["us-east-1/prod-db-writer-health"])
        #expect(details["acknowledge"] == "breakglass ack 12")
    }

    @Test(arguments: [(1, "critical"), (2, "error"), (3, "warning"), (4, "info"), (5, "info"), (0, "critical"), (9, "info")])
    func pagerDutySeverityMapping(severity: Int, expected: String) async throws {
        let transport = ScriptedTransport([Self.answer(202, "{}")])
        _ = await Self.sender(transport, environment: Self.pdEnv).deliver(Self.message(severity: severity), via: .pagerDuty(routingKeyEnv: "PD_DB"))
        let request = try #require(transport.requests.first)
        #expect(try Self.json(request)["payload"]?["severity"] == .string(expected))
    }

    @Test func pagerDutyAcknowledgeAndResolveCarryOnlyTheKeys() async throws {
        let transport = ScriptedTransport([Self.answer(202, "{}"), Self.answer(202, "{}")])
        let env = Self.pdEnv.merging([ChannelSender.pagerDutyURLVariable: "http://127.0.0.1:8099/v2/enqueue"]) { $1 }
        let sender = Self.sender(transport, environment: env)
        for action in [PageAction.acknowledge, .resolve] {
            #expect(await sender.deliver(Self.message(action), via: .pagerDuty(routingKeyEnv: "PD_DB")) == .delivered(reference: "breakglass-incident-12"))
        }
        for (request, action) in zip(transport.requests, ["acknowledge", "resolve"]) {
            #expect(request.url == "http://127.0.0.1:8099/v2/enqueue")
            let body = try Self.json(request)
            #expect(body.object?.keys == ["routing_key", "event_action", "dedup_key"])
            #expect(body["event_action"] == .string(action))
        }
    }

    @Test func pagerDutySummaryIsCutTo1024() async throws {
        let transport = ScriptedTransport([Self.answer(202, "{}")])
        _ = await Self.sender(transport, environment: Self.pdEnv).deliver(Self.message(title: String(repeating: "t", count: 3000)), via: .pagerDuty(routingKeyEnv: "PD_DB"))
        let request = try #require(transport.requests.first)
        let summary = try #require(try Self.json(request)["payload"]?["summary"]?.string)
        #expect(summary.count == 1024 && summary.hasSuffix("..."))
    }

    @Test(arguments: [
        (answer(400, #"{"status":"invalid event","message":"Event object is invalid","errors":["'payload.severity' is invalid"]}"#), "final"),
        (answer(404, "no such route"), "final"),
        (answer(429, #"{"status":"throttle event","message":"Requests for this service are arriving too quickly"}"#), "retryable"),
        (answer(500, ""), "retryable"),
        (answer(503, "upstream down"), "retryable"),
        (transportFailure(.timedOut, sent: true), "retryable"),
        (transportFailure(.connectionLost, sent: true), "retryable"),
        (transportFailure(.cannotConnect, sent: false), "retryable"),
    ])
    func pagerDutyAnswersClassify(answer: Result<HTTPResponse, TransportError>, expected: String) async {
        let transport = ScriptedTransport([answer])
        let result = await Self.sender(transport, environment: Self.pdEnv).deliver(Self.message(), via: .pagerDuty(routingKeyEnv: "PD_DB"))
        #expect(Self.kind(result) == expected, "\(result)")
        #expect(!Self.detail(result).contains(Self.routingKey))
        if case .failure(let e) = answer, e.requestMayHaveBeenSent {
            #expect(Self.detail(result).contains("deduplicates on dedup_key"), "\(result)")
        }
    }

    @Test func pagerDutyErrorDetailsQuotePagerDutyButNeverTheKey() async {
        let echo = #"{"status":"invalid event","message":"routing key \#(Self.routingKey) is not known","errors":["bad"]}"#
        let transport = ScriptedTransport([Self.answer(400, echo)])
        let result = await Self.sender(transport, environment: Self.pdEnv).deliver(Self.message(), via: .pagerDuty(routingKeyEnv: "PD_DB"))
        #expect(Self.kind(result) == "final")
        #expect(Self.detail(result).contains("invalid event; routing key [redacted] is not known; bad"), "\(result)")
        #expect(!Self.detail(result).contains(Self.routingKey))
    }

    @Test func pagerDutyWithoutARoutingKeyNamesTheVariableAndSendsNothing() async {
        let transport = ScriptedTransport([])
        for env in [[:], ["PD_DB": "  \n"]] {
            let result = await Self.sender(transport, environment: env).deliver(Self.message(), via: .pagerDuty(routingKeyEnv: "PD_DB"))
            #expect(Self.kind(result) == "final" && Self.detail(result).contains("PD_DB"), "\(result)")
        }
        let badURL = await Self.sender(transport, environment: Self.pdEnv.merging([ChannelSender.pagerDutyURLVariable: "ftp://x/"]) { $1 })
            .deliver(Self.message(), via: .pagerDuty(routingKeyEnv: "PD_DB"))
        #expect(Self.kind(badURL) == "final" && Self.detail(badURL).contains("only http and https"), "\(badURL)")
        #expect(transport.requests.isEmpty)
    }

    // MARK: Slack

    static let slackURL = "https://hooks.slack.com/services/T0001/B0002/SeCrEtToKeN123"
    static let slackEnv = ["SLACK_ONCALL": slackURL]

    @Test func slackPostsEscapedTextToTheURLInTheVariable() async throws {
        let transport = ScriptedTransport([Self.answer(200, "ok")])
        let m = Self.message(title: "a < b & c > d <!channel>", summary: "reason <https://evil.example|click>")
        #expect(await Self.sender(transport, environment: Self.slackEnv).deliver(m, via: .slack(webhookURLEnv: "SLACK_ONCALL")) == .delivered(reference: nil))
        let request = try #require(transport.requests.first)
        #expect(request.url == Self.slackURL)
        let body = try Self.json(request)
        #expect(body.object?.keys == ["text"])
        let text = try #require(body["text"]?.string)
        #expect(text.hasPrefix("*[Breakglass] Incident #12: a &lt; b &amp; c &gt; d &lt;!channel&gt;*\nreason &lt;https://evil.example|click&gt;"), "\(text)")
        #expect(text.hasSuffix("Acknowledge: `breakglass ack 12`"))
        #expect(!text.contains("<") && !text.contains(">"))
    }

    static let webhookCases: [(Result<HTTPResponse, TransportError>, String)] = [
        (answer(200, "ok"), "delivered"),
        (answer(204), "delivered"),
        (answer(429, "rate_limited"), "retryable"),
        (answer(500, "rollup_error"), "retryable"),
        (answer(503), "retryable"),
        (answer(400, "invalid_payload"), "final"),
        (answer(403, "action_prohibited"), "final"),
        (answer(404, "no_service"), "final"),
        (answer(410, "channel_is_archived"), "final"),
        (answer(302, ""), "final"),
        (transportFailure(.timedOut, sent: true, url: slackURL), "unknown"),
        (transportFailure(.connectionLost, sent: true, url: slackURL), "unknown"),
        (transportFailure(.cancelled, sent: true, url: slackURL), "unknown"),
        (transportFailure(.cannotConnect, sent: false, url: slackURL), "retryable"),
        (transportFailure(.tls, sent: false, url: slackURL), "retryable"),
    ]

    @Test(arguments: webhookCases)
    func slackAnswersClassifyAndNeverShowTheURL(answer: Result<HTTPResponse, TransportError>, expected: String) async {
        let transport = ScriptedTransport([answer])
        let result = await Self.sender(transport, environment: Self.slackEnv).deliver(Self.message(), via: .slack(webhookURLEnv: "SLACK_ONCALL"))
        #expect(Self.kind(result) == expected, "\(result)")
        #expect(!Self.detail(result).contains("SeCrEtToKeN123") && !Self.detail(result).contains("/services/"), "\(result)")
        if expected != "delivered" { #expect(Self.detail(result).contains("$SLACK_ONCALL"), "\(result)") }
    }

    @Test func slackReceiverEchoingTheURLIsRedacted() async {
        let transport = ScriptedTransport([Self.answer(400, "invalid_token for \(Self.slackURL)")])
        let result = await Self.sender(transport, environment: Self.slackEnv).deliver(Self.message(), via: .slack(webhookURLEnv: "SLACK_ONCALL"))
        #expect(Self.kind(result) == "final")
        #expect(!Self.detail(result).contains("SeCrEtToKeN123"), "\(result)")
    }

    @Test func slackWithoutAUsableURLFailsForGoodWithoutShowingIt() async {
        let transport = ScriptedTransport([])
        let missing = await Self.sender(transport).deliver(Self.message(), via: .slack(webhookURLEnv: "SLACK_ONCALL"))
        #expect(Self.kind(missing) == "final" && Self.detail(missing).contains("SLACK_ONCALL is not set"), "\(missing)")
        let notHTTP = await Self.sender(transport, environment: ["SLACK_ONCALL": "file:///etc/SeCrEtToKeN123"])
            .deliver(Self.message(), via: .slack(webhookURLEnv: "SLACK_ONCALL"))
        #expect(Self.kind(notHTTP) == "final" && Self.detail(notHTTP).contains("only http and https"), "\(notHTTP)")
        #expect(!Self.detail(notHTTP).contains("SeCrEtToKeN123"))
        #expect(transport.requests.isEmpty)
    }

    // MARK: Generic webhook

    static let hookURL = "https://hooks.example.com/breakglass/page?token=qs-token-1"
    static let hookSecret = "whsec-0123456789"

    @Test func webhookBodyAndHeadersFollowTheDocumentedShape() async throws {
        let transport = ScriptedTransport([Self.answer(200, "")])
        let m = Self.message(alarms: ["us-east-1/prod-db-writer-health", "eu-west-1/replica-lag"])
        let result = await Self.sender(transport, environment: ["HOOK_SECRET": Self.hookSecret]).deliver(m, via: .webhook(url: Self.hookURL, secretEnv: "HOOK_SECRET"))
        #expect(result == .delivered(reference: nil))
        let request = try #require(transport.requests.first)
        #expect(request.url == Self.hookURL && request.method == "POST")
        #expect(request.header("Content-Type") == "application/json")
        #expect(request.header("User-Agent") == "breakglass/\(BreakglassVersion.string)")
        #expect(request.header("X-Breakglass-Delivery") == "page-12-1-alice-webhook")
        #expect(request.header("X-Breakglass-Event") == "trigger")
        #expect(request.header("X-Breakglass-Timestamp") == "1795000123")
        let body = try Self.json(request)
        #expect(body.object?.keys == ["version", "event", "delivery_id", "sent_at", "source", "incident", "contact"])
        #expect(body["version"]?.int == 1 && body["event"] == "trigger" && body["delivery_id"] == "page-12-1-alice-webhook")
        #expect(body["sent_at"] == .string(ISO8601.format(Self.sent)))
        let incident = try #require(body["incident"])
        #expect(incident["id"]?.int == 12 && incident["severity"]?.int == 1 && incident["stage"]?.int == 1)
        #expect(incident["title"] == "prod-db-writer-health in ALARM (severity 1)")
        #expect(incident["summary"]?.string?.contains("\nStage 1 of db-oncall.\n") == true)
        #expect(incident["alarms"] == ["us-east-1/prod-db-writer-health", "eu-west-1/replica-lag"])
        #expect(incident["opened_at"] == .string(ISO8601.format(Self.opened)))
        #expect(body["contact"] == ["id": "alice", "name": "Alice Example"])
    }

    @Test func webhookSignatureIsHMACOfTimestampDotBody() async throws {
        let transport = ScriptedTransport([Self.answer(202, "")])
        _ = await Self.sender(transport, environment: ["HOOK_SECRET": Self.hookSecret]).deliver(Self.message(), via: .webhook(url: Self.hookURL, secretEnv: "HOOK_SECRET"))
        let request = try #require(transport.requests.first)
        let timestamp = try #require(request.header("X-Breakglass-Timestamp"))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(Array("\(timestamp).".utf8) + request.body), using: SymmetricKey(data: Data(Self.hookSecret.utf8)))
        let expected = "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
        #expect(request.header("X-Breakglass-Signature") == expected)
        #expect(WebhookSignature.sign(secret: Self.hookSecret, timestamp: 1_795_000_123, body: request.body) == expected)
    }

    @Test func webhookWithoutSecretIsUnsignedAndAMissingSecretFailsForGood() async throws {
        let transport = ScriptedTransport([Self.answer(200, "")])
        #expect(await Self.sender(transport).deliver(Self.message(), via: .webhook(url: Self.hookURL, secretEnv: nil)) == .delivered(reference: nil))
        #expect(try #require(transport.requests.first).header("X-Breakglass-Signature") == nil)
        let missing = await Self.sender(transport).deliver(Self.message(), via: .webhook(url: Self.hookURL, secretEnv: "HOOK_SECRET"))
        #expect(Self.kind(missing) == "final" && Self.detail(missing).contains("HOOK_SECRET"), "\(missing)")
        #expect(transport.requests.count == 1)
    }

    @Test(arguments: webhookCases)
    func webhookAnswersClassifyAndShowTheURLWithoutItsQuery(answer: Result<HTTPResponse, TransportError>, expected: String) async {
        let transport = ScriptedTransport([answer])
        let result = await Self.sender(transport, environment: ["HOOK_SECRET": Self.hookSecret]).deliver(Self.message(), via: .webhook(url: Self.hookURL, secretEnv: "HOOK_SECRET"))
        #expect(Self.kind(result) == expected, "\(result)")
        if expected != "delivered" { #expect(Self.detail(result).contains("webhook https://hooks.example.com/breakglass/page"), "\(result)") }
        #expect(!Self.detail(result).contains("qs-token-1") && !Self.detail(result).contains(Self.hookSecret), "\(result)")
    }

    @Test(arguments: [
        ("ftp://hooks.example.com/x", "only http and https"),
        ("https://user:pw-secret@hooks.example.com/x", "user name or password"),
        ("hooks.example.com/x", "not a URL"),
        ("https:///x", "no host"),
    ])
    func webhookRefusesURLsItCannotUse(url: String, reason: String) async {
        let transport = ScriptedTransport([])
        let result = await Self.sender(transport).deliver(Self.message(), via: .webhook(url: url, secretEnv: nil))
        #expect(Self.kind(result) == "final" && Self.detail(result).contains(reason), "\(result)")
        #expect(!Self.detail(result).contains("pw-secret"))
        #expect(transport.requests.isEmpty)
    }

    @Test func untrustedAlarmTextIsMadeInertInEveryChannel() async throws {
        let evil = "db\u{1B}]8;;https://evil\u{7}x\u{202E}gnp.exe\u{0}"
        let m = Self.message(title: evil, summary: "line1\u{1B}[2J\nline2\u{9B}31m", alarms: ["us-east-1/\(evil)"])
        let transport = ScriptedTransport([Self.publishOK, Self.answer(200, "ok"), Self.answer(200, ""), Self.answer(202, "{}")])
        let sender = Self.sender(transport, aws: Self.awsClient(transport), environment: Self.slackEnv.merging(Self.pdEnv) { $1 })
        _ = await sender.deliver(m, via: .sns(topicARN: Self.topic))
        _ = await sender.deliver(m, via: .slack(webhookURLEnv: "SLACK_ONCALL"))
        _ = await sender.deliver(m, via: .webhook(url: Self.hookURL, secretEnv: nil))
        _ = await sender.deliver(m, via: .pagerDuty(routingKeyEnv: "PD_DB"))
        #expect(transport.requests.count == 4)
        let texts = [Self.form(transport.requests[0])["Message"] ?? ""] + transport.requests.dropFirst().map { request in
            (try? JSON.decode(request.body)).map { JSON.encode($0) } ?? ""
        }
        for text in texts {
            for bad in ["\u{1B}", "\u{7}", "\u{202E}", "\u{0}", "\u{9B}", "\\u001b", "\\u0007", "\\u0000"] {
                #expect(!text.contains(bad), "\(bad.unicodeScalars.first.map { String($0.value, radix: 16) } ?? "") in \(text)")
            }
        }
    }
}
