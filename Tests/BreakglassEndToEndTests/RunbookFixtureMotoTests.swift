import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// Each shipped runbook's fixture, against moto_server with signature and IAM checks on: `prepare`
/// creates what the runbook acts on, every `check` holds against it when its turn comes, and the
/// runbook's calls, sent in order with the fixture's parameters, take it to the end, where `recovered`
/// finds the change made. The two runbooks moto cannot finish are known issues, each matched to the
/// reason, so each turns into a failure when moto can.
@Suite(.serialized) struct RunbookFixtureMotoTests {
    let region = "us-east-1"

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func runbook(_ id: String) throws -> Runbook {
        try RunbookLoader.load(path: "\(root)/runbooks/\(id).yaml", displayPath: "runbooks/\(id).yaml")
    }

    /// Where moto 5.2.1 stops a run, and the words the failure names it by.
    static let stops: [String: (reason: String, match: String)] = [
        "ec2-reboot": ("moto reports every running instance's status checks as ok, so the check that they are impaired fails", "instanceStatus.status"),
        "freeze-ingestion": ("moto 5.2.1 rejects signed Lambda requests without a body (GetFunctionConcurrency's GET)", "SignatureDoesNotMatch"),
    ]

    @Test func everyShippedRunbookHasAFixture() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.root + "/runbooks").filter { $0.hasSuffix(".yaml") }
        #expect(Set(files.map { String($0.dropLast(".yaml".count)) }) == Set(RunbookFixtures.ids))
        for id in RunbookFixtures.ids { #expect(try Self.runbook(id).id == id) }
    }

    @Test func anUnknownRunbookHasNoFixture() async throws {
        let client = AWSClient(
            credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s", source: "test"),
            endpoints: EndpointResolver(environment: AWSEnvironment(variables: ["AWS_ENDPOINT_URL": "http://127.0.0.1:9"])), transport: CurlTransport())
        await #expect(throws: RunbookFixtureError.self) { _ = try await RunbookFixtures.prepare("restart-api", client: client, region: region) }
    }

    @Test(arguments: RunbookFixtures.ids) func preparedRunbookCompletes(_ id: String) async throws {
        let runbook = try Self.runbook(id)
        try await MotoHarness.withServer { server in
            let client = server.client()
            let fixture = try await RunbookFixtures.prepare(id, client: client, region: region)
            let params = try RunbookParams.resolve(runbook, given: fixture.params).get()
            if let stop = Self.stops[id] {
                try await withKnownIssue(Comment(rawValue: stop.reason)) {
                    try await walk(runbook, params: params, fixture: fixture, client: client)
                } matching: { issue in
                    issue.error.map { "\($0)".contains(stop.match) } ?? false
                }
            } else {
                try await walk(runbook, params: params, fixture: fixture, client: client)
                let problem = try await RunbookFixtures.recovered(id, fixture: fixture, client: client, region: region)
                #expect(problem == nil, "\(problem ?? "")")
            }
        }
    }

    struct StepFailed: Error, CustomStringConvertible {
        let description: String
    }

    /// Sends the runbook's calls in order as a non-interactive run would (say, approve and page need
    /// nobody here): each check must hold, each wait must match within a few seconds (moto changes
    /// things at once), each alarm must be in the state waited for, and the `confirm: type` steps must
    /// ask for the fixture's names.
    func walk(_ runbook: Runbook, params: [String: AWSValue], fixture: RunbookFixture, client: AWSClient) async throws {
        var outputs: [String: AWSValue] = [:]
        var confirms: [String] = []
        var failures: [String] = []
        func context() -> RunbookRenderContext { RunbookRenderContext(params: params, outputs: outputs) }
        func send(_ call: RunbookCall) async throws -> AWSValue {
            let input = try call.render(context())
            return try await client.call(AWSCatalog.lookup(service: call.operation.service, name: call.operation.name), input, region: region).value
        }
        for step in runbook.steps {
            var output: AWSValue?
            switch step.kind {
            case .say, .approve, .page:
                continue
            case .check(let c):
                let answer = try await send(c.call)
                // A check that does not hold is reported at the end: the walk goes on, so a known issue
                // in one check still shows that the rest of the runbook runs.
                for e in c.expect where !(try e.isMet(by: answer, context())) {
                    failures.append("\(runbook.id) \(step.field): expected \(e.path.text) = \(e.value.written), found \(answer.value(at: e.path).map { "\($0)" } ?? "nothing")")
                }
                output = answer
            case .do(let d):
                if d.confirm == .type {
                    let name = try d.call.resourceMember.map { try $0.value.render(context()) }.flatMap { v -> String? in v.string ?? v.int.map(String.init) }
                    confirms.append(name ?? d.call.operation.description)
                }
                output = try await send(d.call)
            case .wait(let w):
                var answer: AWSValue = [:]
                var met = false
                for _ in 0..<25 {
                    answer = try await send(w.call)
                    met = try w.until.allSatisfy { try $0.isMet(by: answer, context()) }
                    if met { break }
                    try await Task.sleep(for: .milliseconds(200))
                }
                if !met { throw StepFailed(description: "\(runbook.id) \(step.field): \(w.until.map { "\($0.path.text) = \($0.value.written)" }) never held; last answer \(answer)") }
                output = answer
            case .waitAlarm(let w):
                let name = try w.name.renderText(context())
                let alarms = try await client.call(AWSCatalog.lookup(service: "cloudwatch", name: "DescribeAlarms"), ["AlarmNames": [.string(name)]], region: region).value
                let state = alarms.value(at: try AWSPath("MetricAlarms[0].StateValue"))?.string
                if state != w.state.rawValue { throw StepFailed(description: "\(runbook.id) \(step.field): alarm \(name) is \(state ?? "missing"), not \(w.state.rawValue)") }
            case .query(let q):
                let request = try q.request(context())
                output = try await client.call(AWSCatalog.lookup(service: request.operation.service, name: request.operation.name), request.input, region: region).value
            }
            if let id = step.id?.value, let output { outputs[id] = output }
        }
        #expect(confirms == fixture.confirms, "\(runbook.id): the names its confirm: type steps ask for")
        if !failures.isEmpty { throw StepFailed(description: failures.joined(separator: "\n")) }
    }
}
