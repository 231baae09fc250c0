import BreakglassAWS
import Foundation

/// Which faults are due: the scenario's faults in time order, and how many have been applied.
/// Pure, so tests drive it with any elapsed time.
public struct SandboxTimeline: Sendable, Equatable {
    public let faults: [ScenarioFault]
    public private(set) var applied = 0

    public init(_ faults: [ScenarioFault]) {
        // Stable: faults at the same time keep the order they are written in.
        self.faults = faults.enumerated().sorted { a, b in a.element.at != b.element.at ? a.element.at < b.element.at : a.offset < b.offset }.map(\.element)
    }

    /// The faults due `elapsed` after the start that have not been applied yet; marks them applied.
    public mutating func take(elapsed: Duration) -> [ScenarioFault] {
        var out: [ScenarioFault] = []
        while applied < faults.count, faults[applied].at <= elapsed {
            out.append(faults[applied])
            applied += 1
        }
        return out
    }

    /// When the next fault is due, or nil when all are applied.
    public var next: Duration? { applied < faults.count ? faults[applied].at : nil }
    public var isDone: Bool { applied == faults.count }
}

/// What the sandbox did in one turn, for its log and for a drill's milestones.
public enum SandboxEvent: Sendable, Equatable, CustomStringConvertible {
    case faultApplied(String)
    /// A fault set this alarm to ALARM: when a drill counts the incident as detectable.
    case alarmRaised(String)
    case faultFailed(String, error: String)
    case alarmCleared(String, because: String)
    case recovered([String])
    case readFailed(String)

    public var description: String {
        switch self {
        case .faultApplied(let s): "fault: \(s)"
        case .alarmRaised(let a): "alarm \(a) is in ALARM"
        case .faultFailed(let s, let e): "fault failed: \(s): \(e)"
        case .alarmCleared(let a, let why): "alarm \(a) set to OK: \(why)"
        case .recovered(let why): "recovered: " + why.joined(separator: "; ")
        case .readFailed(let e): "read failed (tried again next turn): \(e)"
        }
    }
}

/// Makes a sandbox behave like the incident it plays: applies the scenario's faults on schedule and,
/// because moto never evaluates alarms, sets an alarm back to OK once its `ok_when` conditions hold
/// (the queue drained, the group scaled out). It also notices when the scenario's recovery condition
/// first holds. Time is injected: `turn(elapsed:)` is one step; `run` loops on a clock.
public actor SandboxEngine {
    public let provisioner: SandboxProvisioner
    public let seed: SandboxSeed
    let signals: SandboxSignals
    var timeline: SandboxTimeline
    public private(set) var recovered = false

    public init(provisioner: SandboxProvisioner, seed: SandboxSeed) {
        self.provisioner = provisioner
        self.seed = seed
        self.signals = SandboxSignals(client: provisioner.client, region: provisioner.region, gateway: provisioner.gateway)
        self.timeline = SandboxTimeline(provisioner.scenario.faults)
    }

    public var faultsPending: Bool { !timeline.isDone }

    /// One turn: the faults due by `elapsed`, then the alarms' conditions, then the recovery.
    /// `progress` hears each event as it happens (a turn that fills a queue takes seconds; a
    /// watcher should not wait for its end to see the alarms it already raised).
    public func turn(elapsed: Duration, progress: (@Sendable (SandboxEvent) -> Void)? = nil) async -> [SandboxEvent] {
        var events: [SandboxEvent] = [] {
            didSet { if let last = events.last, events.count > oldValue.count { progress?(last) } }
        }
        for fault in timeline.take(elapsed: elapsed) {
            do {
                try await provisioner.apply(fault)
                events.append(.faultApplied(fault.summary))
                if case .setAlarm(let name, "ALARM", _) = fault.action { events.append(.alarmRaised(name)) }
            } catch {
                events.append(.faultFailed(fault.summary, error: error.description))
            }
        }
        for alarm in provisioner.scenario.resources.alarms where !alarm.okWhen.isEmpty {
            do {
                guard try await signals.read(.alarmState, of: alarm.name) != "OK" else { continue }
                var reasons: [String] = []
                var all = true
                for condition in alarm.okWhen {
                    let (holds, value) = try await signals.holds(condition, baseline: seed.baseline)
                    if !holds { all = false; break }
                    reasons.append("\(condition) (now \(value ?? "none"))")
                }
                guard all else { continue }
                let why = reasons.joined(separator: "; ")
                _ = try await signals.call("cloudwatch", "SetAlarmState", [
                    "AlarmName": .string(alarm.name), "StateValue": "OK", "StateReason": .string("Recovered in the sandbox: \(why)"),
                ])
                events.append(.alarmCleared(alarm.name, because: why))
            } catch {
                events.append(.readFailed(error.description))
            }
        }
        // Recovery counts once every fault has happened: before that the incident is still unfolding.
        if !recovered, timeline.isDone, !provisioner.scenario.recovery.isEmpty {
            do {
                let (holds, why) = try await recoveryHolds()
                if holds {
                    recovered = true
                    events.append(.recovered(why))
                }
            } catch {
                events.append(.readFailed(error.description))
            }
        }
        return events
    }

    /// Whether every recovery condition holds now, with each condition and the value read.
    public func recoveryHolds() async throws(AWSError) -> (Bool, [String]) {
        var why: [String] = []
        for condition in provisioner.scenario.recovery {
            let (holds, value) = try await signals.holds(condition, baseline: seed.baseline)
            if !holds { return (false, ["\(condition): now \(value ?? "none")"]) }
            why.append("\(condition) (now \(value ?? "none"))")
        }
        return (true, why)
    }

    /// Turns every `every` until `stop()` says so; `elapsed()` is the time since the scenario started.
    public func run(
        every: Duration = .seconds(2), elapsed: @Sendable () -> Duration, sleep: @Sendable (Duration) async throws -> Void,
        log: @Sendable (SandboxEvent) -> Void, stop: @Sendable () -> Bool
    ) async {
        while !stop() && !Task.isCancelled {
            for event in await turn(elapsed: elapsed()) { log(event) }
            var wait = every
            if let next = timeline.next {
                let until = next - elapsed()
                if until < wait { wait = max(until, .milliseconds(50)) }
            }
            do { try await sleep(wait) } catch { return }
        }
    }
}
