import Foundation
import Testing

@testable import BreakglassAWS

/// The pure retry decisions: which failures are retried for reads and for writes, the quota, the
/// backoff, and the settings.
@Suite struct RetryPolicyTests {
    static let op = "monitoring.PutMetricAlarm"

    static func answer(_ code: String, _ status: Int) -> AWSError {
        .service(ServiceError(operation: op, code: code, message: "m", status: status, requestID: "rid"))
    }

    static func transport(_ kind: TransportError.Kind, sent: Bool) -> AWSError {
        .transport(TransportError(kind: kind, operation: op, url: "https://monitoring.us-east-1.amazonaws.com/", requestMayHaveBeenSent: sent, detail: "d"))
    }

    /// What the policy should do with a failure, for a read and for a write.
    enum Expect: Sendable, CustomStringConvertible {
        case retry(cost: Int)
        case surface
        case outcomeUnknown
        var description: String {
            switch self {
            case .retry(let c): "retry(\(c))"
            case .surface: "surface"
            case .outcomeUnknown: "outcomeUnknown"
            }
        }
    }

    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let error: AWSError
        let read: Expect
        let write: Expect
        var description: String { name }
    }

    static let throttlingCases: [Case] = RetryPolicy.throttlingCodes.sorted().map {
        Case(name: "throttle \($0)", error: answer($0, 400), read: .retry(cost: 5), write: .retry(cost: 5))
    }

    static let otherCases: [Case] = [
        Case(name: "SlowDown as a 503", error: answer("SlowDown", 503), read: .retry(cost: 5), write: .retry(cost: 5)),
        Case(name: "RequestTimeout", error: answer("RequestTimeout", 400), read: .retry(cost: 5), write: .surface),
        Case(name: "RequestTimeoutException", error: answer("RequestTimeoutException", 400), read: .retry(cost: 5), write: .surface),
        Case(name: "PriorRequestNotComplete", error: answer("PriorRequestNotComplete", 400), read: .retry(cost: 5), write: .surface),
        Case(name: "500 InternalFailure", error: answer("InternalFailure", 500), read: .retry(cost: 5), write: .surface),
        Case(name: "502 bare", error: answer("HTTP502", 502), read: .retry(cost: 5), write: .surface),
        Case(name: "503 ServiceUnavailable", error: answer("ServiceUnavailable", 503), read: .retry(cost: 5), write: .surface),
        Case(name: "504 bare", error: answer("HTTP504", 504), read: .retry(cost: 5), write: .surface),
        Case(name: "501 NotImplemented", error: answer("NotImplemented", 501), read: .surface, write: .surface),
        Case(name: "400 ValidationError", error: answer("ValidationError", 400), read: .surface, write: .surface),
        Case(name: "403 AccessDenied", error: answer("AccessDenied", 403), read: .surface, write: .surface),
        Case(name: "429 without a throttling code", error: answer("HTTP429", 429), read: .surface, write: .surface),
        Case(name: "never connected", error: transport(.cannotConnect, sent: false), read: .retry(cost: 5), write: .retry(cost: 5)),
        Case(name: "cannotConnect yet sent", error: transport(.cannotConnect, sent: true), read: .retry(cost: 5), write: .outcomeUnknown),
        Case(name: "timed out after sending", error: transport(.timedOut, sent: true), read: .retry(cost: 10), write: .outcomeUnknown),
        Case(name: "timed out, nothing counted as sent", error: transport(.timedOut, sent: false), read: .retry(cost: 10), write: .outcomeUnknown),
        Case(name: "connection lost after sending", error: transport(.connectionLost, sent: true), read: .retry(cost: 5), write: .outcomeUnknown),
        Case(name: "connection lost, nothing counted as sent", error: transport(.connectionLost, sent: false), read: .retry(cost: 5), write: .outcomeUnknown),
        Case(name: "TLS failure", error: transport(.tls, sent: false), read: .surface, write: .surface),
        Case(name: "cancelled before sending", error: transport(.cancelled, sent: false), read: .surface, write: .surface),
        Case(name: "cancelled after sending", error: transport(.cancelled, sent: true), read: .surface, write: .outcomeUnknown),
        Case(name: "other, not sent", error: transport(.other, sent: false), read: .surface, write: .surface),
        Case(name: "other, sent", error: transport(.other, sent: true), read: .surface, write: .outcomeUnknown),
        Case(name: "malformed answer", error: .malformedResponse(operation: op, status: 200, requestID: nil, reason: "r"), read: .surface, write: .surface),
        Case(name: "credentials", error: .credentials("none"), read: .surface, write: .surface),
        Case(name: "configuration", error: .configuration("bad"), read: .surface, write: .surface),
    ]

    static func check(_ decision: RetryPolicy.Decision, _ expected: Expect, _ error: AWSError, attempt: Int, maxAttempts: Int) {
        switch (expected, decision) {
        case (.retry(let cost), _):
            if attempt < maxAttempts {
                #expect(decision == .retry(cost: cost))
            } else {
                #expect(decision == .fail(error), "the last attempt's error is reported as it is")
            }
        case (.surface, _):
            #expect(decision == .fail(error))
        case (.outcomeUnknown, .fail(.outcomeUnknown(let o))):
            #expect(o.operation == op)
            #expect(o.attempt == attempt)
            #expect(.transport(o.transport) == error)
        case (.outcomeUnknown, _):
            Issue.record("expected outcomeUnknown, got \(decision)")
        }
    }

    @Test(arguments: throttlingCases + otherCases, [1, 2, 3])
    func readDecisions(_ c: Case, attempt: Int) {
        Self.check(RetryPolicy.decide(c.error, mutating: false, attempt: attempt, maxAttempts: 3), c.read, c.error, attempt: attempt, maxAttempts: 3)
    }

    @Test(arguments: throttlingCases + otherCases, [1, 2, 3])
    func writeDecisions(_ c: Case, attempt: Int) {
        Self.check(RetryPolicy.decide(c.error, mutating: true, attempt: attempt, maxAttempts: 3), c.write, c.error, attempt: attempt, maxAttempts: 3)
    }

    @Test(arguments: [1, 2, 5])
    func maxAttemptsBoundsRetries(_ maxAttempts: Int) {
        let error = Self.answer("ThrottlingException", 400)
        let retried = (1...6).filter { RetryPolicy.decide(error, mutating: false, attempt: $0, maxAttempts: maxAttempts) != .fail(error) }
        #expect(retried == Array(1..<maxAttempts))
    }

    @Test func aWriteThatMayHaveLandedIsUnknownEvenOnTheLastAttempt() {
        let error = Self.transport(.connectionLost, sent: true)
        guard case .fail(.outcomeUnknown(let o)) = RetryPolicy.decide(error, mutating: true, attempt: 3, maxAttempts: 3) else {
            Issue.record("expected outcomeUnknown")
            return
        }
        #expect(o.description.hasPrefix("monitoring.PutMetricAlarm: outcome unknown on attempt 3"))
        #expect(o.description.contains("connection to https://monitoring.us-east-1.amazonaws.com/ lost: d"))
        #expect(o.description.hasSuffix("check the resource's state before trying again"))
        #expect(AWSError.outcomeUnknown(o).description == o.description)
    }

    @Test(arguments: [
        (1, 0.0, 0), (1, 0.5, 500), (1, 1.0, 1000), (2, 0.5, 1000), (3, 0.5, 2000), (4, 1.0, 8000),
        (5, 1.0, 16000), (6, 1.0, 20000), (7, 0.25, 5000), (40, 1.0, 20000), (2, -3.0, 0), (2, 7.0, 2000), (2, .nan, 0),
    ])
    func backoff(_ attempt: Int, _ random: Double, _ milliseconds: Int64) {
        #expect(RetryPolicy.delay(afterAttempt: attempt, random: random) == .milliseconds(milliseconds))
    }

    @Test func quotaChargesRetriesAndRefundsSuccesses() {
        let quota = RetryQuota()
        #expect(quota.available == 500)
        #expect(quota.acquire(5))
        #expect(quota.acquire(10))
        #expect(quota.available == 485)
        quota.recordSuccess(lastRetryCost: 10)
        #expect(quota.available == 495)
        quota.recordSuccess(lastRetryCost: nil)
        #expect(quota.available == 496)
        for _ in 0..<10 { quota.recordSuccess(lastRetryCost: nil) }
        #expect(quota.available == 500, "never above capacity")
    }

    @Test(arguments: [(5, 100), (10, 50)])
    func quotaRunsOut(_ cost: Int, _ retries: Int) {
        let quota = RetryQuota()
        #expect((0..<retries).allSatisfy { _ in quota.acquire(cost) })
        #expect(!quota.acquire(cost))
        #expect(quota.available == 0)
        quota.recordSuccess(lastRetryCost: nil)
        #expect(!quota.acquire(5), "one token does not pay for a retry")
    }

    @Test func quotaIsSafeToShare() async {
        let quota = RetryQuota()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<100 { group.addTask { _ = quota.acquire(5) } }
        }
        #expect(quota.available == 0)
    }

    // MARK: settings

    static func env(_ vars: [String: String], config: String? = nil) -> AWSEnvironment {
        AWSEnvironment(variables: vars.merging(["HOME": "/home/test"]) { a, _ in a }) { path in
            path == "/home/test/.aws/config" ? config : nil
        }
    }

    struct SettingsCase: Sendable, CustomStringConvertible {
        let name: String
        let vars: [String: String]
        let config: String?
        let attempts: Int
        let mode: RetrySettings.Mode
        let noted: Bool
        var description: String { name }
    }

    @Test(arguments: [
        SettingsCase(name: "defaults", vars: [:], config: nil, attempts: 3, mode: .standard, noted: false),
        SettingsCase(name: "env", vars: ["AWS_MAX_ATTEMPTS": "5", "AWS_RETRY_MODE": "standard"], config: nil, attempts: 5, mode: .standard, noted: false),
        SettingsCase(name: "one attempt", vars: ["AWS_MAX_ATTEMPTS": "1"], config: nil, attempts: 1, mode: .standard, noted: false),
        SettingsCase(name: "profile", vars: [:], config: "[default]\nmax_attempts = 7\nretry_mode = standard\n", attempts: 7, mode: .standard, noted: false),
        SettingsCase(name: "named profile", vars: ["AWS_PROFILE": "prod"], config: "[default]\nmax_attempts = 7\n[profile prod]\nmax_attempts = 2\n", attempts: 2, mode: .standard, noted: false),
        SettingsCase(name: "env beats profile", vars: ["AWS_MAX_ATTEMPTS": "4"], config: "[default]\nmax_attempts = 9\nretry_mode = adaptive\n", attempts: 4, mode: .adaptive, noted: true),
        SettingsCase(name: "legacy noted", vars: ["AWS_RETRY_MODE": "legacy"], config: nil, attempts: 3, mode: .legacy, noted: true),
        SettingsCase(name: "adaptive noted", vars: ["AWS_RETRY_MODE": "Adaptive"], config: nil, attempts: 3, mode: .adaptive, noted: true),
    ])
    func settings(_ c: SettingsCase) throws {
        let s = try RetrySettings.from(environment: Self.env(c.vars, config: c.config))
        #expect(s.maxAttempts == c.attempts)
        #expect(s.mode == c.mode)
        #expect((s.note != nil) == c.noted)
        if let note = s.note { #expect(note.contains("standard mode")) }
    }

    @Test(arguments: [
        (["AWS_MAX_ATTEMPTS": "0"], nil, "AWS_MAX_ATTEMPTS=0: expected a whole number"),
        (["AWS_MAX_ATTEMPTS": "three"], nil, "AWS_MAX_ATTEMPTS=three:"),
        (["AWS_MAX_ATTEMPTS": "-1"], nil, "AWS_MAX_ATTEMPTS=-1:"),
        (["AWS_MAX_ATTEMPTS": "1000"], nil, "AWS_MAX_ATTEMPTS=1000:"),
        (["AWS_RETRY_MODE": "aggressive"], nil, "AWS_RETRY_MODE=aggressive: expected standard, legacy or adaptive"),
        ([:], "[default]\nmax_attempts = lots\n", "max_attempts in profile default=lots:"),
        (["AWS_PROFILE": "prod"], "[profile prod]\nretry_mode = turbo\n", "retry_mode in profile prod=turbo:"),
        ([:], "[default\nmax_attempts = 2\n", "cannot read the AWS shared config"),
    ] as [([String: String], String?, String)])
    func badSettingsNameTheirSource(_ vars: [String: String], _ config: String?, _ fragment: String) {
        #expect {
            _ = try RetrySettings.from(environment: Self.env(vars, config: config))
        } throws: { error in
            guard case AWSError.configuration(let message) = error else { return false }
            return message.contains(fragment)
        }
    }
}
