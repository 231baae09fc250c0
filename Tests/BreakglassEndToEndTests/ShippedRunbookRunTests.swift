import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// Each shipped runbook, run end to end by the real binary (`breakglass runbook run ID --yes
/// --confirm ...`) against moto_server with signature and IAM checks on, on the resources its fixture
/// creates; a second person approves from another SSH session when a step asks. The runbook must
/// finish and its change must be there. moto 5.2.1 reports every running instance's status checks as
/// `ok`, so ec2-reboot runs through the sandbox's gateway, which reports the server impaired until
/// it is rebooted, as the web-status-check scenario does.
@Suite struct ShippedRunbookRunTests {
    struct RunFailed: Error, CustomStringConvertible {
        let description: String
    }

    @Test(arguments: RunbookFixtures.ids) func shippedRunbookRunsToTheEnd(_ id: String) async throws {
        try await MotoHarness.withServer { server in
            let fixture = try await RunbookFixtures.prepare(id, client: server.client(), region: "us-east-1")
            let dir = try StateDir()
            var env = server.environment()
            env["SSH_CONNECTION"] = "10.0.0.1 50000 10.0.0.9 22"
            var approver = env
            approver["SSH_CONNECTION"] = "10.0.0.2 50001 10.0.0.9 22"
            var args = ["runbook", "run", id, "--yes", "--no-wait", "--state", dir.db, "--output", "json"]
            for (k, v) in fixture.params.sorted(by: { $0.key < $1.key }) { args += ["--param", "\(k)=\(v)"] }
            for name in fixture.confirms { args += ["--confirm", name] }
            // No configuration file: the runbooks come from ./runbooks, with no access roles to check.
            var gateway: SandboxGateway?
            defer { gateway?.stop() }
            if id == "ec2-reboot" {
                let front = try SandboxGateway(upstreamPort: server.port)
                gateway = front
                let found = try await server.client().call(
                    AWSCatalog.lookup(service: "ec2", name: "DescribeInstances"),
                    ["Filters": [["Name": "tag:Name", "Values": [.string(fixture.params["name"] ?? "")]]]], region: "us-east-1")
                let ids = (found.value["reservationSet"]?.array ?? []).flatMap { $0["instancesSet"]?.array ?? [] }.compactMap { $0["instanceId"]?.string }
                try #require(!ids.isEmpty, "no instance named \(fixture.params["name"] ?? "")")
                front.impair(instances: ids)
                env["AWS_ENDPOINT_URL"] = front.endpoint
                approver["AWS_ENDPOINT_URL"] = front.endpoint
            }

            func run() async throws {
                var attempts = 0
                while true {
                    attempts += 1
                    let r = try BreakglassBinary.run(args, environment: env, timeout: 120)
                    let json = (try? JSON.decode(r.stdout)) ?? .null
                    let status = json["status"]?.string
                    if r.status == 0, status == "succeeded" { return }
                    let current = json["current_step"]?.int ?? 0
                    let kind = json["steps"]?[current - 1]?["kind"]?.string
                    if status == "waiting", kind == "approve", attempts < 6 {
                        let approve = try BreakglassBinary.run(["runbook", "approve", "\(json["run"]?.int ?? 0)", "--state", dir.db], environment: approver)
                        #expect(approve.status == 0, "\(approve.stderr)")
                        continue
                    }
                    throw RunFailed(description: "\(id): exit \(r.status), \(json["reason"]?.string ?? r.stderr)\n\(r.stdout)")
                }
            }

            try await run()
            let problem = try await RunbookFixtures.recovered(id, fixture: fixture, client: server.client(), region: "us-east-1")
            #expect(problem == nil, "\(id): \(problem ?? "")")
            if let gateway {
                // The run saw the server impaired, rebooted it once, and then saw it pass.
                #expect(gateway.calls("RebootInstances") == 1)
                #expect(gateway.calls("DescribeInstanceStatus") >= 2)
            }
            // Every step and the write before and after it are in an intact audit trail.
            let verify = try BreakglassBinary.run(["audit", "verify", "--state", dir.db])
            #expect(verify.status == 0, "\(verify.stdout)")
        }
    }
}
