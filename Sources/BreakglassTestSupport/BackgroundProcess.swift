import Foundation

/// A child process a test starts, lets run, and stops (or kills) when it chooses: crash tests SIGKILL
/// writers mid-transaction, concurrency tests run several at once, `tail -f` readers are watched.
/// Its stdout and stderr go to files in the test run directory, read with `output()`.
public final class BackgroundProcess: @unchecked Sendable {
    public let pid: pid_t
    public let stdoutPath: String
    public let stderrPath: String
    private var status: Int32?

    public init(_ executable: String, _ args: [String], environment: [String: String] = [:]) throws {
        var env = environment
        let parent = ProcessInfo.processInfo.environment
        for key in ["PATH", "HOME", "LANG", "TMPDIR"] where env[key] == nil { env[key] = parent[key] }
        let base = "\(MotoHarness.runDirectory)/bg-\(UUID().uuidString)"
        stdoutPath = base + ".out"
        stderrPath = base + ".err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var child: pid_t = 0
        let rc = Subprocess.spawn(&child, executable, args, environment: env, actions: &actions)
        guard rc == 0 else { throw Subprocess.SpawnError(message: "cannot run \(executable): \(String(cString: strerror(rc)))") }
        pid = child
    }

    deinit {
        if status == nil {
            kill(pid, SIGKILL)
            var s: Int32 = 0
            waitpid(pid, &s, 0)
        }
        try? FileManager.default.removeItem(atPath: stdoutPath)
        try? FileManager.default.removeItem(atPath: stderrPath)
    }

    public func signal(_ sig: Int32) { if status == nil { kill(pid, sig) } }

    /// Waits for the exit (up to `timeout`, then SIGKILL) and returns the status as a shell reports
    /// it: the exit code, or 128 + the signal.
    @discardableResult
    public func wait(timeout: Double = 60) -> Int32 {
        if let status { return status }
        let deadline = Date().addingTimeInterval(timeout)
        var raw: Int32 = 0
        while true {
            let r = waitpid(pid, &raw, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { raw = 0x7F; break }
            if Date() > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &raw, 0)
                break
            }
            usleep(2_000)
        }
        let code: Int32 = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
        status = code
        return code
    }

    public var hasExited: Bool {
        if status != nil { return true }
        var raw: Int32 = 0
        if waitpid(pid, &raw, WNOHANG) == pid {
            status = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
            return true
        }
        return false
    }

    public func output() -> String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    public func errors() -> String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
}

extension BreakglassBinary {
    /// `breakglass-bench`, beside `breakglass`.
    public static var benchPath: String {
        (path as NSString).deletingLastPathComponent + "/breakglass-bench"
    }
}
