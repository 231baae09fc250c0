import ArgumentParser
import BreakglassAWS
import BreakglassCore
import Foundation

struct AlarmsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alarms",
        abstract: "List CloudWatch metric and composite alarms, ALARM first.",
        discussion: """
            Reads DescribeAlarms in each region (following NextToken) with a SigV4-signed request. \
            Credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN or the \
            profile in ~/.aws/credentials and ~/.aws/config; AWS_ENDPOINT_URL_CLOUDWATCH or \
            AWS_ENDPOINT_URL point it at another endpoint.
            """)

    @Option(help: "Only alarms in this state: ALARM, OK or INSUFFICIENT_DATA.")
    var state: AlarmState?

    @OptionGroup var aws: AWSOptions

    @Option(help: "table (fits the terminal, 80 columns when piped) or json.")
    var output: OutputFormat = .table

    func run() async throws {
        let alarms: [Alarm]
        let regions: [String]
        do {
            let env = try aws.environment()
            regions = try aws.resolveRegions(env)
            let client = try await aws.client(env)
            alarms = try await AlarmFetcher(client: client).list(regions: regions, state: state)
        } catch {
            throw report(error)
        }
        switch output {
        case .json: print(AlarmListing.json(alarms))
        case .table:
            if alarms.isEmpty {
                print("No \(state.map { $0.rawValue + " " } ?? "")alarms in \(regions.joined(separator: ", ")).")
            } else {
                print(AlarmListing.table(alarms, now: Date(), width: outputWidth(), showRegion: regions.count > 1))
            }
        }
    }
}
