import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// Every shipped runbook has a fixture. The runs themselves, through the engine and the binary, are
/// in ShippedRunbookRunTests.
@Suite struct RunbookFixtureMotoTests {
    let region = "us-east-1"

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func runbook(_ id: String) throws -> Runbook {
        try RunbookLoader.load(path: "\(root)/runbooks/\(id).yaml", displayPath: "runbooks/\(id).yaml")
    }

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
}
