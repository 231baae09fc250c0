import ArgumentParser
import BreakglassAWS
import BreakglassCore
import BreakglassTUI
import Foundation

struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Open the console on live CloudWatch alarms (the default command).",
        discussion: """
            Keys: j/k or arrows move, g/G top/bottom, PgUp/PgDn page, R refresh now, q quit. \
            Alarms refresh in the background every --interval seconds; the keyboard never waits \
            for the network. Needs a UTF-8 locale and a real terminal (80×24 or larger); set \
            NO_COLOR=1 for monochrome.
            """)

    @OptionGroup var aws: AWSOptions

    @Option(help: "Seconds between background refreshes of the alarm list.")
    var interval: Double = 15

    func validate() throws {
        guard interval >= 1, interval <= 3600 else { throw ValidationError("--interval must be between 1 and 3600 seconds") }
    }

    func run() async throws {
        let client: AWSClient
        let regions: [String]
        do {
            let env = try aws.environment()
            regions = try aws.resolveRegions(env)
            client = try await aws.client(env)
        } catch {
            throw report(error)
        }
        let identity = ConsoleIdentity.describe(client.credentials, endpoint: try? client.endpoints.endpoint(for: .cloudwatch, region: regions[0]))
        let status = await openConsole(client: client, regions: regions, identity: identity, interval: interval)
        if status != 0 { throw ExitCode(status) }
    }
}

/// Runs the console's main loop on alarms fetched through `client` and returns its exit status. The
/// loop blocks in poll(2) for the whole session, so it gets a thread of its own: the two threads of
/// Swift's cooperative pool (on these 2-core machines) stay free for the network work it starts.
func openConsole(client: AWSClient, regions: [String], identity: String, interval: Double) async -> Int32 {
    let fetcher = AlarmFetcher(client: client)
    let options = ConsoleOptions(identity: identity, regions: regions, refreshInterval: interval)
    let dependencies = ConsoleDependencies(
        fetchAlarms: { try await fetcher.list(regions: regions) },
        now: { Date() })
    return await withCheckedContinuation { continuation in
        let thread = Thread {
            continuation.resume(returning: runConsole(options: options, dependencies: dependencies))
        }
        thread.name = "console"
        thread.start()
    }
}

enum ConsoleIdentity {
    /// What the top bar says about who we are: the key and where it came from, and the endpoint when
    /// it is not AWS's own (so nobody mistakes a sandbox for production, or the reverse).
    static func describe(_ credentials: AWSCredentials, endpoint: Endpoint?) -> String {
        var text = shortKey(credentials.accessKeyID)
        if let endpoint, endpoint.isCustom { text += " @ \(endpoint.host)\(endpoint.port.map { ":\($0)" } ?? "")" }
        return text
    }

    /// "AKIA…COMX": how the AWS console abbreviates access keys; the full id is not secret, only long.
    static func shortKey(_ id: String) -> String {
        id.count > 12 ? "\(id.prefix(4))…\(id.suffix(4))" : id
    }
}
