import BreakglassCore
import BreakglassTestSupport
@testable import BreakglassTUI
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The loop on a thread of its own with a TestBackend, as `runConsole` runs it on the terminal.
private final class LoopRun: @unchecked Sendable {
    private let lock = NSLock()
    private var exitCode: Int32?

    var code: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return exitCode
    }

    func finish(_ code: Int32) {
        lock.lock()
        exitCode = code
        lock.unlock()
    }

    static func start(
        backend: TestBackend, fetch: @escaping @Sendable () async throws -> [Alarm], pages: ConsolePages = .none,
        metrics: MetricSource? = nil, signals: @escaping @Sendable () -> TerminalRestore.Pending = { .init() }
    ) throws -> LoopRun {
        let inbox = try EventInbox()
        let dependencies = ConsoleDependencies(fetchAlarms: fetch, pages: pages, metrics: metrics)
        let session = ConsoleSession(
            options: ConsoleOptions(identity: "test", regions: ["us-east-1"]), size: backend.size, theme: .default,
            now: dependencies.now(), pages: pages.mode)
        let run = LoopRun()
        let thread = Thread {
            let loop = ConsoleLoop(session: session, backend: backend, inbox: inbox, dependencies: dependencies, takeSignals: signals)
            let code = loop.run()
            inbox.close()
            run.finish(code)
        }
        thread.start()
        return run
    }

    func waitForExit(timeout: Duration = .seconds(5)) async throws -> Int32? {
        let deadline = ContinuousClock.now + timeout
        // Look once more after the deadline: when other tests keep the cooperative pool busy, this
        // task can wake long after the loop has finished, and must not report that as a timeout.
        while true {
            if let code { return code }
            if ContinuousClock.now >= deadline { return nil }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

private func frame(of backend: TestBackend, timeout: Duration = .seconds(20), where condition: (CellGrid) -> Bool) async throws -> CellGrid? {
    let deadline = ContinuousClock.now + timeout
    // Look once more after the deadline: a test task starved by other tests' blocking work can wake
    // long after the frame was drawn, and must not report that as a missing frame.
    while true {
        if let grid = backend.lastGrid, condition(grid) { return grid }
        if ContinuousClock.now >= deadline { return nil }
        try await Task.sleep(for: .milliseconds(5))
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
    func increment() {
        lock.lock()
        count += 1
        lock.unlock()
    }
}

/// The state file's console pages as a test writes them, behind a page source like the store's.
private final class FakePages: @unchecked Sendable {
    private let lock = NSLock()
    private var pages: [ConsolePage] = []
    private var acknowledgedIncidents: [Int64] = []
    private var polls = 0

    func add(_ page: ConsolePage) { locked { pages.append(page) } }
    var acknowledged: [Int64] { locked { acknowledgedIncidents } }
    var pollCount: Int { locked { polls } }

    /// Starts after page 40; acknowledges as alice.
    var source: ConsolePageSource {
        ConsolePageSource(
            start: { 40 },
            poll: { after in
                self.locked {
                    self.polls += 1
                    return self.pages.filter { $0.id > after }
                }
            },
            acknowledge: { incident in
                self.locked { self.acknowledgedIncidents.append(incident) }
                return "alice"
            })
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}

private struct FakeAWSError: Error, CustomStringConvertible {
    var description: String { "ThrottlingException\u{1B}[2J: Rate exceeded\n(request id 1234-abcd)" }
}

@Suite("Console loop", .serialized)
struct ConsoleLoopTests {
    @Test
    func aHungRefreshNeverBlocksKeysAndIsNotStartedTwice() async throws {
        let backend = TestBackend()
        let fetches = Counter()
        let run = try LoopRun.start(backend: backend) {
            fetches.increment()
            try await Task.sleep(for: .seconds(3600))
            return []
        }
        let loading = try await frame(of: backend) { $0.rowText(5).contains("Loading alarms…") }
        #expect(loading != nil)
        backend.press(.char("R"), .char("R"), .down)
        _ = try await frame(of: backend, timeout: .milliseconds(200)) { _ in false }
        #expect(fetches.value == 1)
        backend.press(.char("q"))
        #expect(try await run.waitForExit() == 0)
    }

    @Test
    func loadedAlarmsAppearAndKeysMoveTheSelection() async throws {
        let backend = TestBackend()
        let run = try LoopRun.start(backend: backend) { mixedAlarms() }
        let loaded = try await frame(of: backend) { $0.rowText(4).hasPrefix("> ALARM  payments-composite") }
        #expect(loaded != nil)
        backend.press(.char("j"), .down)
        let moved = try await frame(of: backend) { $0.rowText(6).hasPrefix("> ALARM  checkout-api-5xx-rate") }
        #expect(moved != nil)
        backend.press(.escape)
        backend.press(.char("q"))
        #expect(try await run.waitForExit() == 0)
    }

    @Test
    func refreshErrorsAreShownSanitized() async throws {
        let backend = TestBackend()
        let run = try LoopRun.start(backend: backend) { throw FakeAWSError() }
        let failed = try await frame(of: backend) { $0.rowText(22).contains("refresh failed") }
        let line = failed?.rowText(22) ?? ""
        #expect(line.hasPrefix(" refresh failed ") && line.contains(": ThrottlingException[2J: Rate exce"))
        #expect(!line.unicodeScalars.contains { $0.value < 0x20 })
        // The first retry waits the 30 s interval; the frame read may be a later one, counting down.
        let seconds = line.firstMatch(of: /— retrying in (\d+)s/).flatMap { Int($0.1) }
        #expect(seconds.map { (1...30).contains($0) } == true, "\(line)")
        backend.press(.char("q"))
        #expect(try await run.waitForExit() == 0)
    }

    @Test
    func resizingToTooSmallStillQuits() async throws {
        let backend = TestBackend()
        let run = try LoopRun.start(backend: backend) { [] }
        _ = try await frame(of: backend) { $0.rowText(5).contains("No alarms in us-east-1") }
        backend.resize(to: TerminalSize(width: 60, height: 20))
        let small = try await frame(of: backend) { $0.width == 60 && $0.textLines().joined().contains("terminal too small") }
        #expect(small != nil)
        backend.press(.char("q"))
        #expect(try await run.waitForExit() == 0)
    }

    @Test
    func aNewPageRingsTheBellOnceAndItsAcknowledgementDoesNot() async throws {
        let backend = TestBackend()
        let store = FakePages()
        let run = try LoopRun.start(backend: backend, fetch: { [] }, pages: .source(store.source))
        _ = try await frame(of: backend) { $0.rowText(5).contains("No alarms in us-east-1") }
        #expect(backend.bellCount == 0)
        store.add(page(41))
        let paged = try await frame(of: backend) { $0.rowText(2).hasPrefix(" PAGE  incident 12 · stage 1 · Primary on-call") }
        #expect(paged != nil)
        #expect(backend.bellCount == 1)
        store.add(page(42, .acknowledge, by: "bob"))
        let acknowledged = try await frame(of: backend) { $0.rowText(2).hasPrefix(" incident 12 acknowledged by bob") }
        #expect(acknowledged != nil)
        // Later polls find nothing new and ring nothing.
        let polls = store.pollCount
        _ = try await frame(of: backend, timeout: .seconds(3)) { _ in store.pollCount >= polls + 2 }
        #expect(backend.bellCount == 1)
        backend.press(.char("q"))
        #expect(try await run.waitForExit() == 0)
    }

    @Test
    func aAcknowledgesThePagedIncidentOffTheLoop() async throws {
        let backend = TestBackend()
        let store = FakePages()
        store.add(page(41, incident: 7))
        let run = try LoopRun.start(backend: backend, fetch: { [] }, pages: .source(store.source))
        _ = try await frame(of: backend) { $0.rowText(2).hasPrefix(" PAGE  incident 7") }
        backend.press(.char("a"))
        let done = try await frame(of: backend) { $0.rowText(2).hasPrefix(" incident 7 acknowledged by alice") }
        #expect(done != nil)
        #expect(store.acknowledged == [7])
        backend.press(.escape)
        let dismissed = try await frame(of: backend) { $0.rowText(3).hasPrefix("  STATE") }
        #expect(dismissed != nil)
        backend.press(.char("q"))
        #expect(try await run.waitForExit() == 0)
    }

    @Test
    func theAlarmDetailReadsItsMetricOffTheLoop() async throws {
        let backend = TestBackend()
        let fetches = Counter()
        let metrics = MetricSource { query in
            fetches.increment()
            return writerSeries(query)
        }
        let run = try LoopRun.start(backend: backend, fetch: { detailedAlarms() }, metrics: metrics)
        _ = try await frame(of: backend) { $0.rowText(4).hasPrefix("> ALARM  payments-composite") }
        backend.press(.char("j"), .enter)
        let charted = try await frame(of: backend) { grid in grid.textLines().contains { $0.contains("max 50") } }
        #expect(charted != nil)
        #expect(charted?.rowText(2).hasPrefix(" ALARM prod-db-writer-health") == true)
        // Closed and opened again: the answer is reused.
        backend.press(.escape, .enter)
        _ = try await frame(of: backend, timeout: .milliseconds(200)) { _ in false }
        #expect(fetches.value == 1)
        backend.press(.char("q"))
        #expect(try await run.waitForExit() == 0)
    }

    @Test
    func withoutAMetricSourceTheDetailSaysSo() async throws {
        let backend = TestBackend()
        let run = try LoopRun.start(backend: backend, fetch: { detailedAlarms() })
        _ = try await frame(of: backend) { $0.rowText(4).hasPrefix("> ALARM  payments-composite") }
        backend.press(.char("j"), .enter)
        let said = try await frame(of: backend) { grid in grid.textLines().contains { $0.contains("no way to read metrics") } }
        #expect(said != nil)
        backend.press(.char("q"))
        #expect(try await run.waitForExit() == 0)
    }

    /// The loop gives the memory of the list a refresh replaced back after applying it; on glibc the
    /// call it needs is found.
    @Test
    func freedMemoryIsReleasedThroughMallocTrimOnGlibc() {
        #if canImport(Glibc)
        #expect(FreedMemory.available)
        #endif
        FreedMemory.release()
    }

    @Test(arguments: [(SIGINT, 130), (SIGTERM, 143), (SIGHUP, 129)] as [(Int32, Int32)])
    func terminationSignalsEndTheLoopWithTheirStatus(_ signal: Int32, _ status: Int32) async throws {
        let backend = TestBackend()
        let raised = Counter()
        let run = try LoopRun.start(backend: backend, fetch: { [] }, signals: {
            raised.value > 0 ? TerminalRestore.Pending(windowChanged: false, terminate: signal) : .init()
        })
        _ = try await frame(of: backend) { $0.rowText(5).contains("No alarms") }
        raised.increment()
        backend.press(.char("x"))  // any wake-up: the real handler writes to the wake pipe
        #expect(try await run.waitForExit() == status)
    }
}

@Suite("Event inbox")
struct EventInboxTests {
    private func readable(_ fd: Int32) -> Bool {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
        return poll(&fds, 1, 0) == 1
    }

    @Test
    func pushWakesThePollAndAbandonDropsOldWork() throws {
        let inbox = try EventInbox()
        defer { inbox.close() }
        #expect(!readable(inbox.wakeReadFD))
        let first = inbox.currentGeneration
        inbox.push(.tick, generation: first)
        #expect(readable(inbox.wakeReadFD))
        inbox.clearWakeups()
        #expect(!readable(inbox.wakeReadFD))
        #expect(inbox.drain() == [.tick])
        #expect(inbox.drain().isEmpty)

        inbox.push(.alarmsFailed("late"), generation: first)
        inbox.abandon()
        inbox.push(.alarmsFailed("later"), generation: first)
        #expect(inbox.drain().isEmpty, "results of an abandoned refresh never arrive")
        inbox.push(.alarmsLoaded([]), generation: inbox.currentGeneration)
        #expect(inbox.drain() == [.alarmsLoaded([])])
    }

    @Test
    func pushesAfterCloseAreDropped() throws {
        let inbox = try EventInbox()
        inbox.close()
        inbox.push(.tick, generation: inbox.currentGeneration)
        #expect(inbox.drain().isEmpty)
    }
}
