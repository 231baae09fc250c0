import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// The sandbox's gateway in front of a real moto_server (signature and IAM checks on): requests signed
/// for the gateway's address pass through, an impaired instance reads `impaired` until a reboot
/// through the gateway, and reboots are counted by name only when they succeed.
@Suite struct SandboxGatewayMotoTests {
    static let scenario = """
        id: gateway
        title: Gateway
        resources:
          users:
            - { name: oncall }
          instances:
            - { name: prod-web, count: 2 }
          rds_clusters:
            - { name: prod-aurora, instances: [prod-aurora-1, prod-aurora-2] }
          alarms:
            - { name: prod-web-status-check }
        faults:
          - impair_instance: prod-web
        recovery:
          - { signal: reboots, of: prod-web, at_least: 1 }
        """

    static func through(_ gateway: SandboxGateway, _ server: LocalAWSServer) -> AWSClient {
        var variables = server.environment()
        variables["AWS_ENDPOINT_URL"] = gateway.endpoint
        return AWSClient(
            credentials: server.adminCredentials, endpoints: EndpointResolver(environment: AWSEnvironment(variables: variables)), transport: CurlTransport(),
            journal: server.journal)
    }

    static func call(_ client: AWSClient, _ service: String, _ name: String, _ input: AWSValue) async throws -> AWSValue {
        try await client.call(AWSCatalog.lookup(service: service, name: name), input, region: "us-east-1").value
    }

    @Test func anImpairedInstanceReadsImpairedUntilRebootedAndRebootsAreCounted() async throws {
        try await MotoHarness.withServer { server in
            let gateway = try SandboxGateway(upstreamPort: server.port)
            defer { gateway.stop() }
            let scenario = try ScenarioLoader.parse(Self.scenario, file: "gateway.yaml")
            let provisioner = SandboxProvisioner(client: server.client(), scenario: scenario, gateway: gateway)
            _ = try await provisioner.seed()
            let signals = SandboxSignals(client: server.client(), region: "us-east-1", gateway: gateway)
            #expect(try await signals.read(.instanceStatus, of: "prod-web") == "ok")
            #expect(try await signals.read(.reboots, of: "prod-web") == "0")

            try await provisioner.apply(ScenarioFault(at: .zero, .impairInstance(name: "prod-web")))
            #expect(try await signals.read(.instanceStatus, of: "prod-web") == "impaired")
            let client = Self.through(gateway, server)
            let found = try await Self.call(client, "ec2", "DescribeInstances", ["Filters": [["Name": "tag:Name", "Values": ["prod-web"]]]])
            let ids = (found["reservationSet"]?.array ?? []).flatMap { $0["instancesSet"]?.array ?? [] }.compactMap { $0["instanceId"]?.string }
            try #require(ids.count == 2)

            // Through the gateway both instances' checks are impaired; straight from moto, ok.
            let status = try await Self.call(client, "ec2", "DescribeInstanceStatus", ["InstanceIds": .array(ids.map { .string($0) })])
            let checks = (status["instanceStatusSet"]?.array ?? []).compactMap { $0["instanceStatus"]?["status"]?.string }
            #expect(checks == ["impaired", "impaired"], "\(status)")
            let system = (status["instanceStatusSet"]?.array ?? []).compactMap { $0["systemStatus"]?["status"]?.string }
            #expect(system == ["ok", "ok"])
            let direct = try await Self.call(server.client(), "ec2", "DescribeInstanceStatus", ["InstanceIds": .array(ids.map { .string($0) })])
            #expect((direct["instanceStatusSet"]?.array ?? []).compactMap { $0["instanceStatus"]?["status"]?.string } == ["ok", "ok"])

            // Rebooting one heals that one only.
            _ = try await Self.call(client, "ec2", "RebootInstances", ["InstanceIds": [.string(ids[0])]])
            let after = try await Self.call(client, "ec2", "DescribeInstanceStatus", ["InstanceIds": .array(ids.map { .string($0) })])
            let byID = Dictionary(
                uniqueKeysWithValues: (after["instanceStatusSet"]?.array ?? []).compactMap { item in
                    item["instanceId"]?.string.map { ($0, item["instanceStatus"]?["status"]?.string ?? "") }
                })
            #expect(byID == [ids[0]: "ok", ids[1]: "impaired"])
            #expect(try await signals.read(.reboots, of: "prod-web") == "1")
            #expect(try await signals.read(.instanceStatus, of: "prod-web") == "impaired")
            _ = try await Self.call(client, "ec2", "RebootInstances", ["InstanceIds": [.string(ids[1])]])
            #expect(try await signals.read(.instanceStatus, of: "prod-web") == "ok")

            // A database reboot is counted by its name; one that fails is not counted.
            _ = try await Self.call(client, "rds", "RebootDBInstance", ["DBInstanceIdentifier": "prod-aurora-1"])
            await #expect(throws: AWSError.self) { try await Self.call(client, "rds", "RebootDBInstance", ["DBInstanceIdentifier": "prod-aurora-9"]) }
            #expect(try await signals.read(.reboots, of: "prod-aurora-1") == "1")
            #expect(try await signals.read(.reboots, of: "prod-aurora-2") == "0")
            #expect(gateway.calls("RebootDBInstance") == 1)

            // `sandbox seed` starts over: nothing impaired, nothing counted.
            gateway.reset()
            #expect(try await signals.read(.reboots, of: "prod-aurora-1") == "0")
        }
    }

    @Test func aClientIsToldWhenMotoIsGone() async throws {
        let server = try await MotoHarness.start()
        let gateway = try SandboxGateway(upstreamPort: server.port)
        defer { gateway.stop() }
        let client = Self.through(gateway, server)
        _ = try await Self.call(client, "sts", "GetCallerIdentity", [:])
        MotoHarness.stop(server)
        do {
            _ = try await Self.call(client, "sts", "GetCallerIdentity", [:])
            Issue.record("a call answered with moto stopped")
        } catch {
            #expect(String(describing: error).contains("503"), "\(error)")
        }
    }
}
