import Foundation
import Synchronization

/// Runs the real `breakglass` executable, as a user would, and captures what it prints.
public enum BreakglassBinary {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        /// Wall time from launch to exit.
        public let seconds: Double
    }

    /// The built executable: $BREAKGLASS_BIN, or `breakglass` beside the test bundle.
    public static var path: String {
        if let p = ProcessInfo.processInfo.environment["BREAKGLASS_BIN"], !p.isEmpty { return p }
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("breakglass").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return ".build/debug/breakglass"
    }

    /// Runs `breakglass args...` with exactly `environment` (plus PATH and HOME unless given), killing it
    /// after `timeout` seconds.
    public static func run(_ args: [String], environment: [String: String] = [:], stdin: String? = nil, timeout: Double = 60) throws -> Result {
        try Subprocess.run(path, args, environment: environment, stdin: stdin, timeout: timeout)
    }
}

/// A child process run to completion with captured output. Spawned with posix_spawn and reaped with
/// waitpid directly: Foundation's Process can fail to notice the exit of a child that leaves a daemon
/// behind (tmux new-session), and a test must never hang on that.
public enum Subprocess {
    public static func run(_ executable: String, _ args: [String], environment: [String: String] = [:], stdin: String? = nil, timeout: Double = 60) throws -> BreakglassBinary.Result {
        var env = environment
        let parent = ProcessInfo.processInfo.environment
        for key in ["PATH", "HOME", "LANG", "TMPDIR"] where env[key] == nil { env[key] = parent[key] }

        var outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0], inPipe: [Int32] = [0, 0]
        // Close-on-exec, so a concurrent spawn elsewhere in the test process cannot inherit these ends.
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0, pipe(&inPipe) == 0 else { throw SpawnError(message: "pipe(): \(String(cString: strerror(errno)))") }
        for fd in inPipe + outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

        let start = Date()
        var pid: pid_t = 0
        let spawned = spawn(&pid, executable, args, environment: env, actions: &actions)
        close(inPipe[0]); close(outPipe[1]); close(errPipe[1])
        guard spawned == 0 else {
            close(inPipe[1]); close(outPipe[0]); close(errPipe[0])
            throw SpawnError(message: "cannot run \(executable): \(String(cString: strerror(spawned)))")
        }
        if let stdin {
            let bytes = Array(stdin.utf8)
            _ = bytes.withUnsafeBytes { write(inPipe[1], $0.baseAddress, $0.count) }
        }
        close(inPipe[1])

        // Read both pipes concurrently so a chatty child never blocks on a full pipe. Each on a
        // thread of its own: on Dispatch's global queue, under make test's load, a reader could
        // start only after the grace below had run out, and the output was lost.
        let outData = ReadBox(), errData = ReadBox()
        for (fd, box) in [(outPipe[0], outData), (errPipe[0], errData)] {
            Thread.detachNewThread {
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break }
                    box.append(Data(buffer[0..<n]))
                }
                close(fd)
                box.finish()
            }
        }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        var reaped = false
        while !reaped {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { reaped = true; break }
            if r < 0 && errno != EINTR { break }
            if Date() > deadline {
                kill(pid, SIGTERM)
                usleep(200_000)
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                reaped = true
                break
            }
            usleep(5_000)
        }
        // A child that leaves a daemon holding the pipes (tmux new-session) never closes them, so
        // after it exits wait only briefly for the rest of its output.
        let grace = Date().addingTimeInterval(3)
        while !(outData.finished && errData.finished) && Date() < grace { usleep(5_000) }
        let exitStatus: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return BreakglassBinary.Result(
            status: exitStatus, stdout: String(decoding: outData.data, as: UTF8.self),
            stderr: String(decoding: errData.data, as: UTF8.self), seconds: Date().timeIntervalSince(start))
    }

    /// posix_spawn with `args` and exactly `environment`. The child starts with no blocked signals and
    /// default dispositions: a thread of this process may have signals blocked (libdispatch's do),
    /// and a child that inherited a blocked SIGCHLD or SIGWINCH would behave unlike the same program
    /// started from a shell. Returns posix_spawn's result (0 on success).
    static func spawn(
        _ pid: inout pid_t, _ executable: String, _ args: [String], environment: [String: String], actions: inout posix_spawn_file_actions_t
    ) -> Int32 {
        let argv = ([executable] + args).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        return posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    final class ReadBox: Sendable {
        private let state = Mutex<(data: Data, finished: Bool)>((Data(), false))
        var data: Data { state.withLock { $0.data } }
        var finished: Bool { state.withLock { $0.finished } }
        func append(_ chunk: Data) { state.withLock { $0.data.append(chunk) } }
        func finish() { state.withLock { $0.finished = true } }
    }
}
