import BreakglassCore
import BreakglassTestSupport
@testable import BreakglassTUI
import Foundation
import Testing

/// The drill store as `drill watch` would read it: notes added through `addNote` show in the next
/// snapshot, built at the test clock's time.
private final class FakeDrill: @unchecked Sendable {
    private let lock = NSLock()
    private var notes: [DrillNote] = []
    private var loads = 0
    let clock: TestClock
    let failNotes: Bool

    init(clock: TestClock, failNotes: Bool = false) {
        self.clock = clock
        self.failNotes = failNotes
    }

    var added: [String] { locked { notes.map(\.text) } }
    var loadCount: Int { locked { loads } }

    func load() -> DrillTimeline {
        let notes = locked {
            loads += 1
            return self.notes
        }
        return DrillTimeline.build(
            drill: WatchFixture.drill(notes: notes), entries: WatchFixture.opening(), signals: WatchFixture.alarmed, steps: WatchFixture.catalog,
            now: clock.now)
    }

    func add(_ text: String) throws {
        if failNotes { throw StoreFailure() }
        let at = clock.now
        locked { notes.append(DrillNote(at: at, by: "fac", text: text)) }
    }

    var dependencies: DrillWatchDependencies {
        DrillWatchDependencies(load: { self.load() }, addNote: { try self.add($0) }, now: { self.clock.now })
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}

private struct StoreFailure: Error, CustomStringConvertible {
    var description: String { "database is locked\u{1B}[2J\n(try again)" }
}

/// The loop on a thread of its own, as `runDrillWatch` runs it.
private final class WatchRun: @unchecked Sendable {
    private let lock = NSLock()
    private var exitCode: Int32?
    let inbox: DrillWatchInbox

    private init(inbox: DrillWatchInbox) { self.inbox = inbox }

    var code: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return exitCode
    }

    static func start(backend: TestBackend, dependencies: DrillWatchDependencies, ticking: DrillWatchTicking = .manual) throws -> WatchRun {
        let run = WatchRun(inbox: try DrillWatchInbox())
        let thread = Thread {
            let loop = DrillWatchLoop(backend: backend, theme: .default, dependencies: dependencies, inbox: run.inbox, ticking: ticking)
            let code = loop.run()
            run.lock.lock()
            run.exitCode = code
            run.lock.unlock()
        }
        thread.start()
        return run
    }

    func waitForExit(timeout: Duration = .seconds(10)) async throws -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let code { return code }
            if ContinuousClock.now >= deadline { return nil }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

private func text(_ grid: CellGrid?) -> String {
    grid.map { $0.textLines().joined(separator: "\n") } ?? "(no frame)"
}

@Suite("Drill watch: loop", .serialized)
struct DrillWatchLoopTests {
    typealias F = WatchFixture

    @Test
    func aTypedNoteGoesToAddNoteAndTheClockAdvancesWithTheTicks() async throws {
        let clock = TestClock(F.at(252))
        let drill = FakeDrill(clock: clock)
        let backend = TestBackend()
        let run = try WatchRun.start(backend: backend, dependencies: drill.dependencies)

        let first = await backend.frame(timeout: 60) { $0.rowText(3).contains("10:48 left of the 15:00 target") }
        #expect(first != nil, "\(text(backend.lastGrid))")

        backend.press(.char("n"))
        for c in "purge hesitated 🙂" { backend.press(.char(c)) }
        let typing = await backend.frame(timeout: 60) { $0.rowText(23).hasPrefix(" Note: purge hesitated 🙂 ") }
        #expect(typing != nil, "\(text(backend.lastGrid))")
        backend.press(.enter)

        // Stored through addNote, then reloaded at once: the log shows it and the footer says so.
        let noted = await backend.frame(timeout: 60) { grid in
            grid.textLines().contains { $0.contains("fac          NOTE purge hesitated 🙂") } && grid.rowText(23).contains("note added")
        }
        #expect(noted != nil, "\(text(backend.lastGrid))")
        #expect(drill.added == ["purge hesitated 🙂"])

        // A second later (no key pressed) the clock has moved on.
        clock.advance(1)
        run.inbox.push(.tick)
        let ticked = await backend.frame(timeout: 60) { $0.rowText(3).contains("10:47 left of the 15:00 target") }
        #expect(ticked != nil, "\(text(backend.lastGrid))")
        #expect(ticked?.rowText(0).contains("08:04:13 UTC") == true)
        #expect(ticked?.rowText(6).contains("01:53 on it") == true)

        backend.press(.char("q"))
        #expect(try await run.waitForExit() == 0)
    }

    @Test
    func aFailingAddNoteIsShownAndTheViewGoesOn() async throws {
        let clock = TestClock(F.at(252))
        let drill = FakeDrill(clock: clock, failNotes: true)
        let backend = TestBackend()
        let run = try WatchRun.start(backend: backend, dependencies: drill.dependencies)
        _ = await backend.frame(timeout: 60) { $0.rowText(2).contains("RUNNING") }
        backend.press(.char("n"), .char("x"), .enter)
        let failed = await backend.frame(timeout: 60) { $0.rowText(23).contains("could not add the note: database is locked[2J (try again)") }
        #expect(failed != nil, "\(text(backend.lastGrid))")
        // The note comes back to try again; the view still answers keys.
        backend.press(.char("n"))
        let back = await backend.frame(timeout: 60) { $0.rowText(23).hasPrefix(" Note: x ") }
        #expect(back != nil, "\(text(backend.lastGrid))")
        backend.press(.escape, .char("q"))
        #expect(try await run.waitForExit() == 0)
    }

    @Test
    func aHungLoadNeverBlocksKeys() async throws {
        let backend = TestBackend()
        let loads = FakeDrill(clock: TestClock(F.at(10)))
        let dependencies = DrillWatchDependencies(
            load: {
                _ = loads.load()
                try await Task.sleep(for: .seconds(3600))
                return loads.load()
            },
            addNote: { _ in }, now: { F.at(10) })
        let run = try WatchRun.start(backend: backend, dependencies: dependencies)
        #expect(await backend.frame(timeout: 60) { text($0).contains("Loading the drill…") } != nil)
        backend.press(.char("?"))
        #expect(await backend.frame(timeout: 60) { text($0).contains("Help — Esc or ? closes") } != nil)
        // Ticks while the load hangs start no second one.
        for _ in 0..<3 { run.inbox.push(.tick) }
        _ = await backend.frame(timeout: 0.2) { _ in false }
        #expect(loads.loadCount == 1)
        backend.press(.char("q"))
        #expect(try await run.waitForExit() == 0)
    }

    @Test
    func tooSmallStillQuitsWithQ() async throws {
        let clock = TestClock(F.at(252))
        let backend = TestBackend(size: TerminalSize(width: 60, height: 20))
        let run = try WatchRun.start(backend: backend, dependencies: FakeDrill(clock: clock).dependencies)
        #expect(await backend.frame(timeout: 60) { text($0).contains("terminal too small") } != nil)
        backend.press(.char("q"))
        #expect(try await run.waitForExit() == 0)
    }

    /// The real ticking, on the real clock: the clock in the top bar moves without any key. Takes up to
    /// two seconds of wall time, which is what it checks.
    @Test
    func everySecondRedrawsByItself() async throws {
        let start = Date()
        let backend = TestBackend()
        let dependencies = DrillWatchDependencies(
            load: {
                DrillTimeline.build(
                    drill: Drill(id: 9, scenario: "s", startedBy: "fac", startedAt: start.addingTimeInterval(-30)), entries: [],
                    signals: DrillSignals(), now: Date())
            },
            addNote: { _ in })
        let run = try WatchRun.start(backend: backend, dependencies: dependencies, ticking: .everySecond)
        let first = try #require(await backend.frame(timeout: 60) { $0.rowText(2).contains("RUNNING") })
        // It comes a second later on a quiet machine; under make test's load it has taken over 5 s.
        let moved = await backend.frame(timeout: 30) { $0.rowText(0) != first.rowText(0) && $0.rowText(3) != first.rowText(3) }
        #expect(moved != nil, "\(text(backend.lastGrid))")
        backend.press(.char("q"))
        #expect(try await run.waitForExit() == 0)
    }
}
