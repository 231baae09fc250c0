import ArgumentParser
import BreakglassAWS
import BreakglassCore
import Foundation

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Open the console on a local sandbox with a live incident. Needs moto_server; touches no real AWS.",
        discussion: """
            Starts moto_server on 127.0.0.1 (a free port, signature and IAM checks on), creates the \
            holiday-sale incident's alarms through Breakglass's own AWS client — payment latency, the \
            order queue backing up, the database overloaded — and opens the console on them. More \
            alarms fire while you watch. Quitting stops the server; its log is kept under the state \
            folder ($XDG_STATE_HOME/breakglass/demo).
            """)

    @Option(help: "Seconds between background refreshes of the alarm list.")
    var interval: Double = 3

    func validate() throws {
        guard interval >= 1, interval <= 3600 else { throw ValidationError("--interval must be between 1 and 3600 seconds") }
    }

    func run() async throws {
        let logs = StatePaths.current().directory + "/demo"
        FileHandle.standardError.write(Data("Starting the local sandbox (moto_server on 127.0.0.1)…\n".utf8))
        let server: LocalAWSServer
        do {
            try StatePaths.current().ensureDirectory()
            // The sandbox's writes go to an audit trail of its own, not the operator's real one.
            let store = try Store.open(path: logs + "/state.db")
            let journal = AuditJournal(log: AuditLog(store: store), actor: AuditActor.current(), context: AuditContext(drill: "demo"))
            server = try await LocalAWSServer.start(logDirectory: logs, journal: journal)
        } catch {
            throw report(error)
        }
        defer { server.stop() }
        let env = AWSEnvironment(variables: ["AWS_ENDPOINT_URL": server.endpointURL, "HOME": "/nonexistent"])
        let client = AWSClient(
            credentials: server.adminCredentials, endpoints: EndpointResolver(environment: env), transport: CurlTransport(),
            journal: server.journal)
        let regions = ["us-east-1", "eu-west-1"]
        do {
            try await DemoSeed.apply(client: client, region: "us-east-1")
            try await DemoSeed.apply(DemoSeed.otherRegion, client: client, region: "eu-west-1")
        } catch {
            throw report(error)
        }
        // The incident spreads while the console is open, so the live refresh has something to show.
        let timeline = Task {
            for step in DemoSeed.timeline {
                try await Task.sleep(for: .seconds(step.after))
                try? await DemoSeed.setState(step.alarm, step.state, reason: step.reason, client: client, region: "us-east-1")
            }
        }
        defer { timeline.cancel() }
        let identity = "sandbox 127.0.0.1:\(server.port)"
        let status = await openConsole(client: client, regions: regions, identity: identity, interval: interval)
        timeline.cancel()
        server.stop()
        if status != 0 { throw ExitCode(status) }
    }
}
