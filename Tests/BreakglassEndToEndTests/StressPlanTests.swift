import BreakglassTestSupport
import Foundation
import Testing

/// The stress loop's schedule (`breakglass-stress --print-plan`): a pure function of the seed, so a
/// seed printed by a failing `make stress` names the same victims, delays and keys again. The loop
/// itself is not run here (`make stress` runs it).
@Suite struct StressPlanTests {
    static var stressPath: String { (BreakglassBinary.path as NSString).deletingLastPathComponent + "/breakglass-stress" }

    struct Line: Equatable {
        var iteration: Int
        var victim: String
        var delay: Int
        var resumeKilled: Bool
        var resumeNow: Bool
    }

    static func plan(seed: UInt64, iterations: Int) throws -> (text: String, lines: [Line]) {
        let r = try Subprocess.run(stressPath, ["--print-plan", "--seed", String(seed), "--iterations", String(iterations)], timeout: 30)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map { line -> Line in
            let f = line.split(separator: " ")
            return Line(
                iteration: Int(f[0]) ?? -1, victim: String(f[1]), delay: Int(f[2].dropLast(2)) ?? -1,
                resumeKilled: f[3] == "resumeKilled=true", resumeNow: f[4] == "resumeNow=true")
        }
        return (r.stdout, lines)
    }

    @Test func aSeedNamesOneScheduleAndAnotherSeedAnother() throws {
        let a = try Self.plan(seed: 42, iterations: 60)
        let b = try Self.plan(seed: 42, iterations: 60)
        let c = try Self.plan(seed: 43, iterations: 60)
        #expect(a.text == b.text)
        #expect(a.text != c.text)
        #expect(a.lines.map(\.iteration) == Array(1...60))
    }

    @Test func delaysStayInTheirRangesAndEveryVictimIsKilled() throws {
        let lines = try Self.plan(seed: 7, iterations: 200).lines
        let ranges = ["runbook": 30...1_400, "daemon": 1_500...6_000, "console": 1_000...6_000]
        for line in lines {
            let range = try #require(ranges[line.victim], "unknown victim in \(line)")
            #expect(range.contains(line.delay), "\(line)")
        }
        for victim in ranges.keys { #expect(lines.contains { $0.victim == victim }, "\(victim) is never killed") }
        // Runbook runs are the majority: they carry the do steps that must not repeat.
        #expect(lines.filter { $0.victim == "runbook" }.count > lines.count / 2)
    }

    @Test func aKilledRunIsResumedAgainAtMostThreeKillsInARow() throws {
        let runbook = try Self.plan(seed: 99, iterations: 300).lines.filter { $0.victim == "runbook" }
        #expect(runbook.first?.resumeKilled == false)
        var kills = 0
        var sawResumeKilled = false
        for line in runbook {
            kills = line.resumeKilled ? kills + 1 : 1
            if line.resumeKilled { sawResumeKilled = true }
            #expect(kills <= 3, "\(line)")
            if kills == 3 { #expect(line.resumeNow, "\(line)") }
            if line.resumeNow { kills = 0 }
        }
        #expect(sawResumeKilled)
    }
}
