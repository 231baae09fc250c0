import BreakglassTUI
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A terminal for tests: keeps the last frame, counts bells and repaints, and hands out keys the test
/// queued. Thread-safe, so a test can press keys while a console loop runs on another thread. Its
/// `inputFileDescriptor` is a pipe that is readable exactly while keys are queued, like a terminal.
public final class TestBackend: TerminalBackend, @unchecked Sendable {
    private let lock = NSLock()
    private var currentSize: TerminalSize
    private var keys: [Key] = []
    private var grids: [CellGrid] = []
    private var bells = 0
    private var invalidations = 0
    private var restores = 0
    private var pendingSize: TerminalSize?
    private let inputPipe: (read: Int32, write: Int32)

    public init(size: TerminalSize = TerminalSize(width: 80, height: 24)) {
        currentSize = size
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        }
        inputPipe = (fds[0], fds[1])
    }

    deinit {
        _ = close(inputPipe.read)
        _ = close(inputPipe.write)
    }

    public var size: TerminalSize { locked { currentSize } }
    public var inputFileDescriptor: Int32 { inputPipe.read }

    /// The most recent frame drawn, if any.
    public var lastGrid: CellGrid? { locked { grids.last } }
    public var drawCount: Int { locked { grids.count } }
    public var bellCount: Int { locked { bells } }
    public var invalidateCount: Int { locked { invalidations } }
    public var restoreCount: Int { locked { restores } }

    /// Queues keys as if typed.
    public func press(_ pressed: Key...) {
        locked {
            keys.append(contentsOf: pressed)
            var byte: UInt8 = 1
            _ = write(inputPipe.write, &byte, 1)
        }
    }

    /// Changes the size and queues `.resize`, as curses does after SIGWINCH.
    public func resize(to size: TerminalSize) {
        locked { pendingSize = size }
        press(.resize)
    }

    public func draw(_ grid: CellGrid) {
        locked { grids.append(grid) }
    }

    public func readKey() -> Key? {
        locked {
            guard !keys.isEmpty else {
                var buffer = [UInt8](repeating: 0, count: 64)
                while read(inputPipe.read, &buffer, buffer.count) > 0 {}
                return nil
            }
            let key = keys.removeFirst()
            if key == .resize, let size = pendingSize {
                currentSize = size
                pendingSize = nil
            }
            return key
        }
    }

    public func bell() { locked { bells += 1 } }
    public func invalidate() { locked { invalidations += 1 } }
    public func refreshSize() -> Bool { false }
    public func restore() { locked { restores += 1 } }

    /// Waits (polling) until the last frame satisfies `condition`; returns that frame, or nil after
    /// `timeout` seconds.
    public func waitForFrame(timeout: TimeInterval = 5, where condition: (CellGrid) -> Bool) -> CellGrid? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let grid = lastGrid, condition(grid) { return grid }
            usleep(2_000)
        }
        return nil
    }

    /// `waitForFrame` for async tests: sleeps with `Task.sleep`, so it never holds one of Swift's
    /// cooperative threads (two on these machines) while the console's own tasks need them — a
    /// blocking wait there can starve the very work it waits for when tests run in parallel.
    public func frame(timeout: TimeInterval = 5, where condition: (CellGrid) -> Bool) async -> CellGrid? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let grid = lastGrid, condition(grid) { return grid }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return nil
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}
