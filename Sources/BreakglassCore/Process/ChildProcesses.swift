import Foundation
import Synchronization

/// Child processes that must not outlive us (the local AWS-compatible server). Their pids are kept in
/// a fixed array of atomics so that a signal or crash handler can stop them without allocating or
/// locking (`kill` is async-signal-safe).
public enum ChildProcesses {
    private static let capacity = 16
    nonisolated(unsafe) private static let slots: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        p.initialize(repeating: 0, count: capacity)
        return p
    }()
    private static let lock = Mutex<Void>(())

    /// Initialises the pid table now, so that its lazy initialisation never runs inside a handler.
    public static func prepareForSignalHandlers() {
        lock.withLock { _ in _ = slots }
    }

    public static func register(_ pid: Int32) {
        lock.withLock { _ in
            for i in 0..<capacity where slots[i] == 0 {
                slots[i] = pid
                return
            }
        }
    }

    public static func unregister(_ pid: Int32) {
        lock.withLock { _ in
            for i in 0..<capacity where slots[i] == pid { slots[i] = 0 }
        }
    }

    /// Sends SIGTERM to every registered child. Safe to call from a signal handler.
    public static func terminateAllFromSignalHandler() {
        for i in 0..<capacity {
            let pid = slots[i]
            if pid > 0 { kill(pid, SIGTERM) }
        }
    }
}
