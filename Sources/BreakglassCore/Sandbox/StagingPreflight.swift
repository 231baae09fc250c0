import BreakglassAWS
import Foundation

/// Whether a scenario can be played on a staging account instead of the local sandbox, and the
/// account's state before the drill breaks anything.
///
/// On staging nothing is created: the scenario's resources must already be there under the names
/// the scenario uses, and its faults are real AWS calls. What only the sandbox can do is refused
/// before anything is touched: its gateway makes an instance's status check fail and counts reboots,
/// which no AWS API does.
public enum StagingPreflight {
    /// What in `scenario` only the local sandbox can do, in plain words; empty when staging can play it.
    public static func sandboxOnly(_ scenario: Scenario) -> [String] {
        var out: [String] = []
        for (i, fault) in scenario.faults.enumerated() {
            if case .impairInstance(let name) = fault.action {
                out.append("fault \(i + 1) (impair_instance \(name)): only the sandbox's gateway can make an instance fail its status check")
            }
        }
        for condition in conditions(scenario) where condition.signal == .instanceStatus || condition.signal == .reboots {
            out.append("condition `\(condition)`: \(condition.signal.rawValue) is counted by the sandbox's gateway, not read from AWS")
        }
        return out
    }

    /// Each resource the faults touch and the conditions read, once, as the signal that shows it
    /// exists (and its value before the drill): what the staging account must already have.
    public static func checks(_ scenario: Scenario) -> [(signal: ScenarioSignal, of: String)] {
        var out: [(ScenarioSignal, String)] = []
        func add(_ signal: ScenarioSignal, _ of: String) {
            if !out.contains(where: { $0.0 == signal && $0.1 == of }) { out.append((signal, of)) }
        }
        for fault in scenario.faults {
            switch fault.action {
            case .setAlarm(let name, _, _): add(.alarmState, name)
            case .fillQueue(let queue, _): add(.queueDepth, queue)
            case .stopInstance(let name), .impairInstance(let name): add(.instanceState, name)
            case .functionConcurrency(let function, _): add(.functionConcurrency, function)
            case .scaleService(let cluster, let service, _): add(.desiredCount, "\(cluster)/\(service)")
            case .setCapacity(let group, _): add(.desiredCapacity, group)
            }
        }
        for condition in conditions(scenario) where condition.signal != .instanceStatus && condition.signal != .reboots {
            add(condition.signal, condition.of)
        }
        return out.map { (signal: $0.0, of: $0.1) }
    }

    static func conditions(_ scenario: Scenario) -> [ScenarioCondition] {
        scenario.resources.alarms.flatMap(\.okWhen) + scenario.recovery
    }

    /// What reading the account found.
    public struct Findings: Sendable, Equatable {
        /// `signal|of` -> value before the drill, for the conditions `changed: true` compares with.
        public var baseline: [String: String] = [:]
        /// Alarms already in ALARM before the drill breaks anything.
        public var alarmsRed: [String] = []
        /// Each resource that is not there, or could not be read, in plain words.
        public var problems: [String] = []
    }

    /// Reads every check through `signals`. A resource that answers with nothing is missing (a
    /// function without a concurrency limit answers with nothing and is there); a read that fails is
    /// reported with AWS's code, message and request id.
    public static func survey(_ scenario: Scenario, signals: SandboxSignals) async -> Findings {
        var findings = Findings()
        for (signal, of) in checks(scenario) {
            do {
                let value = try await signals.read(signal, of: of)
                if value == nil && signal != .functionConcurrency {
                    findings.problems.append("\(signal.target.rawValue) `\(of)` is not there (\(signal.rawValue) reads nothing)")
                    continue
                }
                if let value { findings.baseline[SandboxSeed.key(ScenarioCondition(signal: signal, of: of, .changed))] = value }
                if signal == .alarmState, value == "ALARM" { findings.alarmsRed.append(of) }
            } catch {
                if case .service(let e) = error, ["NotFound", "NonExistent", "NoSuch"].contains(where: { e.code.contains($0) }) {
                    findings.problems.append("\(signal.target.rawValue) `\(of)` is not there (\(e.code): \(e.message), request id \(e.requestID ?? "none"))")
                } else {
                    findings.problems.append("\(signal.target.rawValue) `\(of)`: \(error)")
                }
            }
        }
        return findings
    }
}
