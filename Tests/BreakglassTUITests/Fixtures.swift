import BreakglassCore
import BreakglassTUI
import Foundation

/// 2023-11-14 22:13:20 UTC: every test's "now", so clocks and times in state are fixed.
let fixedNow = Date(timeIntervalSince1970: 1_700_000_000)

func alarm(
    _ name: String, _ state: AlarmState = .ok, ago seconds: TimeInterval = 60, region: String = "us-east-1",
    reason: String = "Threshold Crossed: 1 datapoint [1.0] was not greater than the threshold (5.0).",
    type: AlarmType = .metric, namespace: String? = "AWS/EC2", metric: String? = "CPUUtilization"
) -> Alarm {
    Alarm(
        name: name, state: state, reason: reason, updated: fixedNow.addingTimeInterval(-seconds), region: region,
        type: type, namespace: namespace, metric: metric)
}

/// `count` OK alarms named ok-000, ok-001, ..., each a minute older than the one before.
func okAlarms(_ count: Int, region: String = "us-east-1") -> [Alarm] {
    (0..<count).map { i in alarm(String(format: "ok-%03d", i), .ok, ago: 60 * Double(i + 1), region: region) }
}

/// A state that has loaded `alarms` at `fixedNow` on a terminal of `size`.
func loadedState(
    _ alarms: [Alarm], size: TerminalSize = TerminalSize(width: 80, height: 24), regions: [String] = ["us-east-1"],
    identity: String = "AKIAEXAMPLE"
) -> ConsoleState {
    var state = ConsoleState(identity: identity, regions: regions, refreshInterval: 15, size: size, now: fixedNow)
    _ = reduce(&state, .tick, now: fixedNow)
    _ = reduce(&state, .alarmsLoaded(alarms), now: fixedNow)
    return state
}

/// A realistic mix for screens: a few in ALARM, some without data, many fine.
func mixedAlarms() -> [Alarm] {
    [
        alarm(
            "prod-db-writer-health", .alarm, ago: 252,
            reason: "Threshold Crossed: 3 out of the last 3 datapoints [0.0 (14/11/23 22:08:00)] were less than the threshold (1.0).",
            namespace: "AWS/RDS", metric: "DatabaseConnections"),
        alarm(
            "checkout-api-5xx-rate", .alarm, ago: 11_100,
            reason: "Threshold Crossed: 1 datapoint [12.5] was greater than the threshold (5.0).",
            namespace: "AWS/ApplicationELB", metric: "HTTPCode_Target_5XX_Count"),
        alarm("ingest-queue-age", .insufficientData, ago: 187_200, reason: "Insufficient Data: 1 datapoint was unknown."),
        alarm("payments-composite", .alarm, ago: 42, reason: "arn:aws:cloudwatch:us-east-1:111122223333:alarm:checkout-api-5xx-rate transitioned to ALARM", type: .composite, namespace: nil, metric: nil),
    ] + okAlarms(30)
}

/// A console page as the store's feed gives it: incident 12's first stage paging the primary by default.
func page(
    _ id: Int64, incident: Int64 = 12, _ action: PageAction = .trigger, firing: Int = 1, stage: Int = 1,
    contact: String = "Primary on-call", title: String = "prod-api in ALARM (severity 1)", severity: Int = 1, by: String? = nil
) -> ConsolePage {
    ConsolePage(
        id: id, incident: incident, firing: firing, action: action, stage: action == .trigger ? stage : 0, contactName: contact,
        title: title, severity: severity, by: by, createdAt: fixedNow)
}

/// `loadedState` watching pages, its starting point (page 40) known.
func pagingState(
    _ alarms: [Alarm] = mixedAlarms(), size: TerminalSize = TerminalSize(width: 80, height: 24), regions: [String] = ["us-east-1"],
    identity: String = "AKIAEXAMPLE"
) -> ConsoleState {
    var state = ConsoleState(identity: identity, regions: regions, refreshInterval: 15, size: size, now: fixedNow, pages: .on)
    _ = reduce(&state, .tick, now: fixedNow)
    _ = reduce(&state, .alarmsLoaded(alarms), now: fixedNow)
    _ = reduce(&state, .pagesStarted(after: 40), now: fixedNow)
    return state
}

/// `pagingState` after `pages` arrived.
func pagedState(_ pages: [ConsolePage], size: TerminalSize = TerminalSize(width: 80, height: 24), regions: [String] = ["us-east-1"]) -> ConsoleState {
    var state = pagingState(size: size, regions: regions, identity: "AKIAIOSFODNN7EXAMPLE @ 127.0.0.1:5000")
    _ = reduce(&state, .pagesArrived(pages), now: fixedNow)
    return state
}
