import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// The HTTP channels over real sockets and libcurl, against a loopback server that records what
/// arrived and misbehaves on cue: the bytes a receiver gets, and how a 503, a stall, a reset and a
/// closed port are classified.
@Suite struct PageChannelHTTPTests {
    static func message(_ action: PageAction = .trigger) -> PageMessage {
        PageMessage(
            incident: 7, action: action, title: "api-5xx in ALARM (severity 2)",
            summary: "api-5xx: 5xx rate above 2% for 3 minutes.\nAcknowledge: breakglass ack 7", severity: 2,
            stage: action == .trigger ? 1 : 0, contact: "bob", contactName: "Bob Example", alarms: ["eu-west-1/api-5xx"],
            dedupKey: "breakglass-incident-7", deliveryID: "page-7-1-bob-\(action.rawValue)", openedAt: Date(timeIntervalSince1970: 1_795_000_000),
            source: "ops-host-2")
    }

    static func sender(_ environment: [String: String], total: Double = 5) -> ChannelSender {
        ChannelSender(aws: nil, http: CurlTransport(), environment: environment, smsRegion: nil, timeouts: HTTPTimeouts(connect: 2, total: total))
    }

    static func kind(_ result: DeliveryResult) -> String {
        switch result {
        case .delivered: "delivered"
        case .failed(_, let retryable): retryable ? "retryable" : "final"
        case .unknown: "unknown"
        }
    }

    static func detail(_ result: DeliveryResult) -> String {
        switch result {
        case .delivered(let reference): reference ?? ""
        case .failed(let detail, _), .unknown(let detail): detail
        }
    }

    /// Checks a signature with the Python recipe docs/CHANNELS.md gives receivers, so the document
    /// and the sender cannot drift apart.
    static func verifiedByTheDocumentedRecipe(secret: String, timestamp: String, body: [UInt8], signature: String) throws -> Bool {
        let bodyFile = MotoHarness.runDirectory + "/webhook-body-\(UUID().uuidString)"
        try Data(body).write(to: URL(fileURLWithPath: bodyFile))
        defer { try? FileManager.default.removeItem(atPath: bodyFile) }
        let script = """
            import hashlib, hmac, sys, time
            def verify(secret, timestamp, body, signature, tolerance=300):
                if abs(time.time() - int(timestamp)) > tolerance:
                    return False
                expected = "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
                return hmac.compare_digest(expected, signature)
            body = open(sys.argv[3], "rb").read()
            sys.exit(0 if verify(sys.argv[1].encode(), sys.argv[2], body, sys.argv[4]) else 1)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, secret, timestamp, bodyFile, signature]
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    @Test func webhookArrivesSignedWithTheDocumentedShape() async throws {
        let server = try FaultServer([.respond(204, [], "")])
        defer { server.stop() }
        let secret = "whsec-loopback-0123"
        let sender = Self.sender(["HOOK_SECRET": secret])
        let result = await sender.deliver(Self.message(), via: .webhook(url: "\(server.endpoint)/hooks/page?team=db", secretEnv: "HOOK_SECRET"))
        #expect(result == .delivered(reference: nil))
        let request = try #require(server.requests.first)
        #expect(server.requests.count == 1)
        #expect(request.method == "POST" && request.path == "/hooks/page?team=db")
        #expect(request.header("Content-Type") == "application/json")
        #expect(request.header("User-Agent") == "breakglass/\(BreakglassVersion.string)")
        #expect(request.header("X-Breakglass-Delivery") == "page-7-1-bob-trigger")
        #expect(request.header("X-Breakglass-Event") == "trigger")
        let timestamp = try #require(request.header("X-Breakglass-Timestamp"))
        let seconds = try #require(Int(timestamp))
        #expect(abs(Double(seconds) - Date().timeIntervalSince1970) < 60)
        let signature = try #require(request.header("X-Breakglass-Signature"))
        #expect(signature.hasPrefix("sha256=") && signature.count == 7 + 64)
        #expect(try Self.verifiedByTheDocumentedRecipe(secret: secret, timestamp: timestamp, body: request.body, signature: signature))
        #expect(try !Self.verifiedByTheDocumentedRecipe(secret: "wrong", timestamp: timestamp, body: request.body, signature: signature))
        #expect(try !Self.verifiedByTheDocumentedRecipe(secret: secret, timestamp: timestamp, body: request.body + [0x20], signature: signature))

        let body = try JSON.decode(request.body)
        #expect(body["version"]?.int == 1 && body["event"] == "trigger" && body["delivery_id"] == "page-7-1-bob-trigger")
        #expect(body["incident"]?["id"]?.int == 7 && body["incident"]?["severity"]?.int == 2 && body["incident"]?["stage"]?.int == 1)
        #expect(body["incident"]?["alarms"] == ["eu-west-1/api-5xx"])
        #expect(body["incident"]?["opened_at"] == "2026-11-18T11:06:40Z")
        #expect(body["contact"] == ["id": "bob", "name": "Bob Example"])
    }

    @Test func pagerDutyTriggerAcknowledgeAndResolveGoToTheOverrideURL() async throws {
        let accepted = #"{"status":"success","message":"Event processed","dedup_key":"breakglass-incident-7"}"#
        let server = try FaultServer([], otherwise: .respond(202, [HTTPHeader("Content-Type", "application/json")], accepted))
        defer { server.stop() }
        let key = "pdkey0123456789abcdef0123456789ab"
        let sender = Self.sender(["PD_API": key, ChannelSender.pagerDutyURLVariable: "\(server.endpoint)/v2/enqueue"])
        for action in PageAction.allCases {
            let result = await sender.deliver(Self.message(action), via: .pagerDuty(routingKeyEnv: "PD_API"))
            #expect(result == .delivered(reference: "breakglass-incident-7"), "\(action): \(result)")
        }
        let requests = server.requests
        #expect(requests.map(\.path) == ["/v2/enqueue", "/v2/enqueue", "/v2/enqueue"])
        let bodies = try requests.map { try JSON.decode($0.body) }
        #expect(bodies.map { $0["event_action"]?.string ?? "" } == ["trigger", "acknowledge", "resolve"])
        #expect(bodies.allSatisfy { $0["dedup_key"] == "breakglass-incident-7" && $0["routing_key"] == .string(key) })
        #expect(bodies[0]["payload"]?["severity"] == "error" && bodies[0]["payload"]?["source"] == "ops-host-2")
        #expect(bodies[1]["payload"] == nil && bodies[2]["payload"] == nil)
    }

    @Test func slackGetsTheTextAndItsAnswersClassifyWithoutShowingTheURL() async throws {
        let server = try FaultServer([.respond(200, [], "ok"), .respond(404, [], "no_service"), .respond(429, [], "rate_limited")])
        defer { server.stop() }
        let url = "\(server.endpoint)/services/T01/B02/slackSecretPath"
        let sender = Self.sender(["SLACK_HOOK": url])
        let results = [
            await sender.deliver(Self.message(), via: .slack(webhookURLEnv: "SLACK_HOOK")),
            await sender.deliver(Self.message(), via: .slack(webhookURLEnv: "SLACK_HOOK")),
            await sender.deliver(Self.message(), via: .slack(webhookURLEnv: "SLACK_HOOK")),
        ]
        #expect(results.map(Self.kind) == ["delivered", "final", "retryable"], "\(results)")
        #expect(results.allSatisfy { !Self.detail($0).contains("slackSecretPath") }, "\(results)")
        #expect(Self.detail(results[1]).contains("$SLACK_HOOK") && Self.detail(results[1]).contains("no_service"))
        let first = try #require(server.requests.first)
        #expect(first.path == "/services/T01/B02/slackSecretPath")
        let text = try #require(try JSON.decode(first.body)["text"]?.string)
        #expect(text.hasPrefix("*[Breakglass] Incident #7: api-5xx in ALARM (severity 2)*\napi-5xx: 5xx rate above 2%"), "\(text)")
    }

    /// One channel of each HTTP kind, all pointed at `base`.
    static func everyHTTPChannel(_ base: String) -> (environment: [String: String], channels: [(String, ContactChannel)]) {
        (["PD_API": "pdkey0123456789abcdef0123456789ab", ChannelSender.pagerDutyURLVariable: "\(base)/v2/enqueue", "SLACK_HOOK": "\(base)/services/T/B/slackSecretPath"],
         [("pagerduty", .pagerDuty(routingKeyEnv: "PD_API")), ("slack", .slack(webhookURLEnv: "SLACK_HOOK")), ("webhook", .webhook(url: "\(base)/hook", secretEnv: nil))])
    }

    @Test func aServerErrorIsRetryableOnEveryHTTPChannel() async throws {
        let server = try FaultServer([], otherwise: .serverError(503))
        defer { server.stop() }
        let (env, channels) = Self.everyHTTPChannel(server.endpoint)
        for (name, channel) in channels {
            let result = await Self.sender(env).deliver(Self.message(), via: channel)
            #expect(Self.kind(result) == "retryable" && Self.detail(result).contains("503"), "\(name): \(result)")
        }
        #expect(server.totalReceived == 3)
    }

    @Test func aStallIsUnknownForWebhooksButRetryableForPagerDuty() async throws {
        let server = try FaultServer([], otherwise: .stall)
        defer { server.stop() }
        let (env, channels) = Self.everyHTTPChannel(server.endpoint)
        var kinds: [String: String] = [:]
        for (name, channel) in channels {
            let result = await Self.sender(env, total: 1).deliver(Self.message(), via: channel)
            kinds[name] = Self.kind(result)
            #expect(!Self.detail(result).contains("slackSecretPath"), "\(name): \(result)")
            if name == "pagerduty" { #expect(Self.detail(result).contains("deduplicates on dedup_key"), "\(result)") }
        }
        #expect(kinds == ["pagerduty": "retryable", "slack": "unknown", "webhook": "unknown"])
        #expect(server.requests.count == 3, "each request arrived before the stall")
    }

    @Test func aResetAfterTheRequestIsUnknownForAWebhook() async throws {
        let server = try FaultServer([.resetAfterRequest])
        defer { server.stop() }
        let result = await Self.sender([:]).deliver(Self.message(), via: .webhook(url: "\(server.endpoint)/hook", secretEnv: nil))
        #expect(Self.kind(result) == "unknown", "\(result)")
        #expect(server.totalReceived == 1)
    }

    @Test func aClosedPortMeansNotSentAndRetryable() async throws {
        let base = "http://127.0.0.1:\(try FaultServer.unusedPort())"
        let (env, channels) = Self.everyHTTPChannel(base)
        for (name, channel) in channels {
            let result = await Self.sender(env).deliver(Self.message(), via: channel)
            #expect(Self.kind(result) == "retryable", "\(name): \(result)")
            #expect(Self.detail(result).contains("not sent") && Self.detail(result).contains("could not connect"), "\(name): \(result)")
            #expect(!Self.detail(result).contains("slackSecretPath"), "\(name): \(result)")
        }
    }
}
