import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A self-pipe that wakes a loop's poll(2) at once: any thread (or a signal handler, through
/// `writeFD`) writes a byte; the loop polls `readFD` and empties it. Both ends are non-blocking and
/// close-on-exec; a full pipe already means a wake-up is pending. The console's and the drill
/// view's inboxes each own one.
final class WakePipe: @unchecked Sendable {
    let readFD: Int32
    let writeFD: Int32
    private let lock = NSLock()
    private var closed = false

    struct PipeError: Error, CustomStringConvertible {
        let errno: Int32
        /// Whose pipe: "the console's", "the drill view's".
        let owner: String
        var description: String { "could not create \(owner) wake-up pipe: \(String(cString: strerror(errno)))" }
    }

    init(owner: String) throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw PipeError(errno: errno, owner: owner) }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        readFD = fds[0]
        writeFD = fds[1]
    }

    deinit { close() }

    func wake() {
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)
    }

    /// Empties the pipe so the next poll sleeps until something new arrives.
    func clear() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readFD, &buffer, buffer.count) > 0 {}
    }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        #if canImport(Glibc)
        _ = Glibc.close(readFD)
        _ = Glibc.close(writeFD)
        #else
        _ = Darwin.close(readFD)
        _ = Darwin.close(writeFD)
        #endif
    }
}
