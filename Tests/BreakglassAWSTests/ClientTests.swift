import BreakglassTestSupport
import Testing

@testable import BreakglassAWS

@Suite struct ClientTests {
    /// libcurl silently re-sends a request when a reused connection turns out dead; so a write must
    /// never go over a reused connection, while reads may.
    @Test func writesNeverReuseAConnectionReadsMay() async throws {
        let transport = ScriptedTransport([ScriptedTransport.json("{}"), ScriptedTransport.json("{}"), ScriptedTransport.json("<R><RResult/></R>")])
        let env = AWSEnvironment(variables: ["HOME": "/nonexistent", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"])
        let client = AWSClient(credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s", source: "test"), endpoints: EndpointResolver(environment: env), transport: transport, retry: .never)
        _ = try await client.json(.cloudwatch, "DescribeAlarms", region: "us-east-1")
        _ = try await client.json(.cloudwatch, "SetAlarmState", ["AlarmName": "a", "StateValue": "OK", "StateReason": "r"], region: "us-east-1", mutating: true)
        _ = try await client.query(.iam, "R", region: "us-east-1", mutating: true)
        #expect(transport.requests.map(\.reuseConnection) == [true, false, false])
    }
}
