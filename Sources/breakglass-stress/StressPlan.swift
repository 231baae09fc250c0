import BreakglassCore
import Foundation


/// What an iteration kills.
enum Victim: String, CaseIterable, Sendable {
    /// `breakglass runbook run stress-ops --yes`: a new run, or the resumption of a run killed before.
    case runbook
    /// `breakglass watch` while the harness flips alarms between OK and ALARM.
    case daemon
    /// `breakglass console --runbook stress-ops` in tmux, resuming a stored run with keys.
    case console
}

/// One planned kill: the victim, how long it runs before SIGKILL, and for a runbook victim whether
/// it resumes the run a previous iteration left unfinished (instead of starting a new one). The
/// console's keys are drawn from `keys` (a seed for the key sequence, so the plan stays printable).
struct PlannedKill: Equatable, Sendable {
    var iteration: Int
    var victim: Victim
    var delayMilliseconds: Int
    /// A runbook victim: kill the resumption of the last killed run rather than a fresh run.
    var resumeKilled: Bool
    /// After the checks, resume the killed run to completion at once (otherwise a later iteration
    /// kills its resumption again, up to `StressPlan.maxKillsPerRun` times).
    var resumeNow: Bool
    var keySeed: UInt64
}

/// The whole schedule, a pure function of the seed and the iteration count.
enum StressPlan {
    /// Delays are drawn from these ranges (milliseconds): long enough for the victim to be doing
    /// something, short enough that most kills land before it finishes on its own.
    static func delayRange(_ victim: Victim) -> ClosedRange<Int> {
        switch victim {
        case .runbook: 30...1_400
        case .daemon: 1_500...6_000
        case .console: 1_000...6_000
        }
    }

    /// A run is killed at most this many times in a row before it is resumed to the end.
    static let maxKillsPerRun = 3

    /// Victims are weighted: runbook runs carry the `do` steps that must never repeat.
    static let weights: [(Victim, Int)] = [(.runbook, 6), (.daemon, 2), (.console, 2)]

    /// The first `iterations` entries of the seed's schedule. Every entry draws the same number of
    /// values from the generator, so a longer schedule of the same seed starts with a shorter one.
    static func make(seed: UInt64, iterations: Int) -> [PlannedKill] {
        var rng = SplitMix64(seed: seed)
        var plan: [PlannedKill] = []
        let total = weights.reduce(0) { $0 + $1.1 }
        var killsOfPending = 0  // how many times the pending (killed, unresumed) run was killed
        for i in 1...max(1, iterations) {
            var pick = Int(rng.next() % UInt64(total))
            var victim = Victim.runbook
            for (v, w) in weights {
                if pick < w {
                    victim = v
                    break
                }
                pick -= w
            }
            let range = delayRange(victim)
            let delay = range.lowerBound + Int(rng.next() % UInt64(range.count))
            let coin = rng.next()
            let keySeed = rng.next()
            var resumeKilled = false
            var resumeNow = true
            if victim == .runbook {
                resumeKilled = killsOfPending > 0 && coin & 1 == 0
                killsOfPending = resumeKilled ? killsOfPending + 1 : 1
                // Leave the run killed for a later iteration to kill its resumption, sometimes.
                resumeNow = killsOfPending >= maxKillsPerRun || coin & 2 == 0
                if resumeNow { killsOfPending = 0 }
            }
            plan.append(PlannedKill(iteration: i, victim: victim, delayMilliseconds: delay, resumeKilled: resumeKilled, resumeNow: resumeNow, keySeed: keySeed))
        }
        return plan
    }

    /// The keys sent to the console after it has resumed the stored run, with the pause before each
    /// (milliseconds). `n` reads past a `say` and opens the confirmation a `do` waits for, `y`
    /// confirms it; `j`/`k` move the selection and `R` refreshes, as a person would. There is no
    /// `Enter`: once the run has finished, `n` opens the new-run form, and keys typed there must
    /// never start a run the harness did not plan.
    static func consoleKeys(seed: UInt64, count: Int = 40) -> [(key: String, pauseMilliseconds: Int)] {
        var rng = SplitMix64(seed: seed)
        let keys = ["n", "y", "n", "y", "y", "n", "j", "k", "R"]
        return (0..<count).map { _ in
            (keys[Int(rng.next() % UInt64(keys.count))], 60 + Int(rng.next() % 240))
        }
    }
}

/// Markers the stress runbook puts in every `do` it sends (`NONCE-stepN-end`), found again in the
/// bodies of the requests that reached moto, so each request is tied to its run's step.
enum StressMarkers {
    /// Every `NONCE-stepN-end` in `text`, as "NONCE/N".
    static func find(in text: String) -> [String] {
        var found: [String] = []
        var rest = Substring(text)
        while let end = rest.range(of: "-end") {
            let before = rest[..<end.lowerBound]
            if let stepAt = before.range(of: "-step", options: .backwards) {
                let number = before[stepAt.upperBound...]
                let nonceStart = before[..<stepAt.lowerBound].lastIndex { !($0.isLetter || $0.isNumber) }
                let nonce = before[(nonceStart.map { before.index(after: $0) } ?? before.startIndex)..<stepAt.lowerBound]
                if !number.isEmpty, number.allSatisfy(\.isNumber), !nonce.isEmpty, nonce.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
                    found.append("\(nonce)/\(number)")
                }
            }
            rest = rest[end.upperBound...]
        }
        return found
    }

    /// The operation of a request to moto: `X-Amz-Target`'s last part, else the query protocol's
    /// `Action=` in the body.
    static func operation(target: String?, body: String) -> String? {
        if let target { return target.split(separator: ".").last.map(String.init) }
        for pair in body.split(separator: "&") where pair.hasPrefix("Action=") {
            return String(pair.dropFirst("Action=".count))
        }
        return nil
    }

    /// The incident number in a page's SNS Publish (its text ends "Acknowledge: breakglass ack N"),
    /// from the form-encoded body.
    static func pagedIncident(body: String) -> Int? {
        let decoded = (body.replacingOccurrences(of: "+", with: " ").removingPercentEncoding) ?? body
        guard let r = decoded.range(of: "Acknowledge: breakglass ack ", options: .backwards) else { return nil }
        return Int(decoded[r.upperBound...].prefix { $0.isNumber })
    }
}
