import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where background work leaves events for the main loop, plus a self-pipe that wakes the loop's
/// poll(2) at once. Any thread may `push`; only the loop drains. After `close`, pushes are dropped,
/// so a refresh that finishes after the console quit cannot write to a reused descriptor.
///
/// Each refresh pushes under a generation number; `abandon()` moves to a new generation, so the
/// result of a refresh the console gave up on is dropped even if it was already queued. Work that is
/// never abandoned (page polls) pushes without one.
final class EventInbox: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [(event: ConsoleEvent, generation: Int?)] = []
    private var generation = 0
    private var closed = false
    private let pipe: WakePipe
    /// The loop polls this end.
    var wakeReadFD: Int32 { pipe.readFD }
    /// Background work and signal handlers write one byte here.
    var wakeWriteFD: Int32 { pipe.writeFD }

    init() throws { pipe = try WakePipe(owner: "the console's") }

    /// The generation work started now must push under.
    var currentGeneration: Int {
        lock.lock()
        defer { lock.unlock() }
        return generation
    }

    /// Drops everything pushed under the current generation, queued or still to come.
    func abandon() {
        lock.lock()
        defer { lock.unlock() }
        generation += 1
    }

    /// Queues `event` and wakes the loop. With a `generation`, the event is dropped if that generation
    /// was abandoned; without one it always arrives (unless the inbox is closed).
    func push(_ event: ConsoleEvent, generation pushedGeneration: Int? = nil) {
        lock.lock()
        defer { lock.unlock() }
        guard !closed, pushedGeneration == nil || pushedGeneration == generation else { return }
        events.append((event, pushedGeneration))
        pipe.wake()
    }

    func drain() -> [ConsoleEvent] {
        lock.lock()
        defer { lock.unlock() }
        let current = generation
        let drained = events.filter { $0.generation == nil || $0.generation == current }.map(\.event)
        events.removeAll(keepingCapacity: true)
        return drained
    }

    /// Empties the pipe so the next poll sleeps until something new arrives.
    func clearWakeups() { pipe.clear() }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        pipe.close()
    }
}
