import BreakglassCore
import BreakglassTestSupport
import Foundation
import Synchronization
import Testing

@testable import BreakglassAWS

/// The fault choice (pure) and each fault kind of `TCPProxy`'s `.faults` mode, one at a time, in front
/// of a `FaultServer` that answers every request with success: what the client sees, and what reached
/// the server.
@Suite struct FaultProxyTests {
    // MARK: - The choice

    @Test func theSameSeedGivesTheSameFaults() {
        var a = FaultChooser(FaultPlan(seed: 42, rate: 0.3))
        var b = FaultChooser(FaultPlan(seed: 42, rate: 0.3))
        var c = FaultChooser(FaultPlan(seed: 43, rate: 0.3))
        let first = (0..<500).map { _ in a.next() }
        #expect(first == (0..<500).map { _ in b.next() })
        #expect(first != (0..<500).map { _ in c.next() })
    }

    @Test func theRateAndTheMixAreKept() {
        var chooser = FaultChooser(FaultPlan(seed: 7, rate: 0.25, weights: [.throttle: 3, .stall: 1]))
        let draws = (0..<20_000).map { _ in chooser.next() }
        let faults = draws.compactMap { $0 }
        let share = Double(faults.count) / Double(draws.count)
        #expect(abs(share - 0.25) < 0.02, "\(share)")
        #expect(Set(faults) == [.throttle, .stall])
        let throttles = Double(faults.filter { $0 == .throttle }.count) / Double(faults.count)
        #expect(abs(throttles - 0.75) < 0.03, "\(throttles)")
    }

    @Test func rateZeroNeverAndRateOneAlways() {
        var never = FaultChooser(FaultPlan(seed: 1, rate: 0))
        var always = FaultChooser(FaultPlan(seed: 1, rate: 1))
        #expect((0..<1000).allSatisfy { _ in never.next() == nil })
        #expect((0..<1000).allSatisfy { _ in always.next() != nil })
        var none = FaultChooser(FaultPlan(seed: 1, rate: 1, weights: [:]))
        #expect(none.next() == nil)
    }

    @Test func everyKindComesUpInAnEvenMix() {
        var chooser = FaultChooser(FaultPlan(seed: 99, rate: 1))
        let kinds = Set((0..<500).compactMap { _ in chooser.next() })
        #expect(kinds == Set(InjectedFault.allCases))
    }

    // MARK: - Each kind through the proxy

    static func client(port: Int) -> AWSClient {
        let env = AWSEnvironment(variables: ["HOME": "/nonexistent", "AWS_ENDPOINT_URL": "http://127.0.0.1:\(port)"])
        return AWSClient(
            credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s", source: "test"),
            endpoints: EndpointResolver(environment: env), transport: CurlTransport(),
            timeouts: HTTPTimeouts(connect: 1, total: 1), retry: RetrySettings(maxAttempts: 1),
            sleep: { _ in }, random: { 0.5 }, journal: MemoryJournal())
    }

    static let alarmInput: AWSValue = ["AlarmName": "db-cpu", "StateValue": "ALARM", "StateReason": "test"]

    /// A write through a proxy that gives every request `fault`: the error the client reports, and
    /// how many requests reached the server.
    static func write(through fault: InjectedFault, query: Bool = false) async throws -> (AWSError?, Int) {
        let server = try FaultServer([], otherwise: .respond(200, [], query ? "<SetAlarmStateResponse/>" : "{}"))
        defer { server.stop() }
        let proxy = try TCPProxy(upstreamPort: server.port, mode: .faults(FaultPlan(seed: 1, rate: 1, weights: [fault: 1], stallLimit: 5)))
        defer { proxy.stop() }
        let client = Self.client(port: proxy.port)
        do {
            if query {
                _ = try await client.query(.iam, "CreateUser", [("UserName", "u")], region: "us-east-1", mutating: true)
            } else {
                _ = try await client.json(.cloudwatch, "SetAlarmState", Self.alarmInput, region: "us-east-1", mutating: true)
            }
            return (nil, server.totalReceived)
        } catch {
            #expect(proxy.injections.count == 1 && proxy.injections.first?.fault == fault)
            #expect(proxy.forwardedRequests.count == (fault.forwards ? 1 : 0))
            return (error, server.totalReceived)
        }
    }

    @Test func throttlingIsAnsweredInTheRequestsProtocol() async throws {
        let (json, jsonSent) = try await Self.write(through: .throttle)
        #expect(json?.serviceError?.code == "ThrottlingException" && json?.serviceError?.requestID == "fault-1", "\(String(describing: json))")
        #expect(jsonSent == 0)
        let (xml, xmlSent) = try await Self.write(through: .throttle, query: true)
        #expect(xml?.serviceError?.code == "Throttling" && xml?.serviceError?.requestID == "fault-1", "\(String(describing: xml))")
        #expect(xmlSent == 0)
        #expect(RetryPolicy.classify(try #require(xml)) == .throttled)
    }

    @Test func a5xxIsAnAWSErrorWithItsRequestID() async throws {
        let (error, sent) = try await Self.write(through: .serverError)
        #expect(error?.serviceError?.status == 500 && error?.serviceError?.code == "InternalFailure", "\(String(describing: error))")
        #expect(sent == 0)
    }

    @Test(arguments: [InjectedFault.resetBeforeForwarding, .resetAfterForwarding, .truncated, .stall])
    func aWriteWhoseAnswerIsLostIsOutcomeUnknown(_ fault: InjectedFault) async throws {
        let (error, sent) = try await Self.write(through: fault)
        guard case .outcomeUnknown? = error else {
            Issue.record("\(fault): \(String(describing: error))")
            return
        }
        #expect(sent == (fault.forwards ? 1 : 0), "\(fault)")
    }

    @Test func aMalformedAnswerToAWriteIsUnknownInTheJournal() async throws {
        let (error, sent) = try await Self.write(through: .malformed)
        let e = try #require(error)
        guard case .malformedResponse = e else {
            Issue.record("\(e)")
            return
        }
        #expect(MutationOutcome.from(e).word == "unknown")
        #expect(sent == 1)
    }
}
