import ArgumentParser
import BreakglassAWS
import BreakglassCore
import Foundation

/// What the watch daemon spends on the store per poll and per acknowledgement: a poll of `alarms`
/// alarms that changes nothing (the steady state: the transaction that compares every alarm with
/// what the store remembers), a poll that opens an incident and queues its first stage's pages, and
/// an acknowledgement with its audit entry. No network: the alarms are made up.
struct IncidentBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incidents", abstract: "Time the watch daemon's store work per poll (steady and opening) and per acknowledgement.")

    @Option(help: "The state database to write (created; use a scratch one).") var state: String
    @Option(help: "Alarms in each poll.") var alarms = 500
    @Option(help: "Rounds; medians are reported.") var runs = 21
    @Option(help: "table or json.") var output = "table"

    static let yaml = """
        contacts:
          primary: { name: Primary, sns: "arn:aws:sns:us-east-1:111122223333:primary", pagerduty: { routing_key_env: PD_KEY } }
          secondary: { name: Secondary, slack: { webhook_url_env: SLACK_URL } }
        escalation:
          default:
            stages:
              - { notify: [primary, secondary], wait: 5m }
        response:
          - { match: { alarm: "bench-fire-*" }, severity: 1, escalation: default }
        """

    func run() throws {
        let store = try openBenchStore(state)
        let config = try ConfigLoader.parse(Self.yaml, file: "bench.yaml")
        let incidents = IncidentStore(log: AuditLog(store: store))
        let actor = AuditActor(user: "bench")
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let quiet = (0..<max(1, alarms)).map { i in
            Alarm(name: "bench-quiet-\(i)", state: i % 10 == 0 ? .alarm : .ok, reason: "Threshold Crossed", updated: t0, region: "us-east-1", type: .metric)
        }
        _ = try incidents.observe(region: "us-east-1", alarms: quiet, config: config, actor: actor, now: t0)

        func ms(_ body: () throws -> Void) rethrows -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        }
        var steady: [Double] = [], opening: [Double] = [], acking: [Double] = []
        for round in 0..<(runs + 1) {
            let now = t0.addingTimeInterval(TimeInterval(round * 60 + 1))
            steady.append(try ms { _ = try incidents.observe(region: "us-east-1", alarms: quiet, config: config, actor: actor, now: now) })
            // One alarm of the rule fires in a new episode: an incident opens with its pages.
            let fire = Alarm(name: "bench-fire-1", state: .alarm, reason: "Threshold Crossed", updated: now, region: "us-east-1", type: .metric)
            var opened: Int64?
            opening.append(try ms {
                opened = try incidents.observe(region: "us-east-1", alarms: quiet + [fire], config: config, actor: actor, now: now).opened.first?.incident.id
            })
            guard let id = opened else {
                FileHandle.standardError.write(Data("breakglass-bench: round \(round) opened no incident\n".utf8))
                throw ExitCode(1)
            }
            acking.append(try ms { _ = try incidents.act(id, .acknowledge(by: "bench"), config: config, actor: actor, now: now) })
            _ = try incidents.act(id, .resolve(by: "bench"), config: config, actor: actor, now: now)
        }
        func median(_ v: [Double]) -> Double {
            let sorted = v.dropFirst().sorted()
            return sorted[sorted.count / 2]
        }
        let (s, o, a) = (median(steady), median(opening), median(acking))
        if output == "json" {
            print(
                "{\"benchmark\":\"incidents\",\"alarms\":\(quiet.count),\"runs\":\(runs),\"median_ms_poll_steady\":\(String(format: "%.3f", s)),"
                    + "\"median_ms_poll_opening\":\(String(format: "%.3f", o)),\"median_ms_acknowledge\":\(String(format: "%.3f", a))}")
        } else {
            print("incidents: a poll of \(quiet.count) alarms that changes nothing: \(String(format: "%.2f", s)) ms (median of \(runs))")
            print("incidents: a poll that opens an incident and queues its pages: \(String(format: "%.2f", o)) ms")
            print("incidents: an acknowledgement with its audit entry and notices: \(String(format: "%.2f", a)) ms")
        }
    }
}
