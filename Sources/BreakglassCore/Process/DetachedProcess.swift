import Foundation

/// Starts a program as a detached process: its own session (so the terminal's hang-up and Ctrl-C
/// never reach it), stdio on /dev/null, only the environment given, and no open descriptor of the
/// caller's but a pipe on descriptor 3 on which it reports, in one line, how starting went. Used for
/// the access agent and the sandbox's supervisor.
public enum DetachedProcess {
    public struct SpawnError: Error, CustomStringConvertible, Sendable {
        public let message: String
        public var description: String { message }
    }

    /// Spawns `arguments` (the first is argv[0]) and waits up to `timeout` for the line the program
    /// writes to descriptor 3. Returns its pid and that line; throws when it cannot start or says
    /// nothing in time (the process is then sent SIGTERM).
    public static func spawn(executable: String, arguments: [String], environment: [String: String], timeout: Duration) throws(SpawnError) -> (pid: Int32, line: String) {
        var ready: [Int32] = [0, 0]
        guard pipe(&ready) == 0 else { throw SpawnError(message: "pipe(): \(String(cString: strerror(errno)))") }
        _ = fcntl(ready[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ready[1], F_SETFD, FD_CLOEXEC)
        defer { close(ready[0]) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, ready[1], 3)
        // Nothing else of ours: close every other descriptor this process has open now.
        for fd in openDescriptors() where fd > 3 { posix_spawn_file_actions_addclose(&actions, fd) }

        let spawned = posixSpawn(executable: executable, arguments: arguments, environment: environment, actions: &actions, newSession: true)
        close(ready[1])
        guard case .success(let pid) = spawned else {
            if case .failure(let error) = spawned { throw error }
            throw SpawnError(message: "\(executable): not started")
        }

        let ms = Int32(clamping: DurationSyntax.milliseconds(timeout))
        let line = UnixSocket.readLine(ready[0], milliseconds: ms, limit: 4096)
        var status: Int32 = 0
        guard let line else {
            if waitpid(pid, &status, WNOHANG) == 0 { kill(pid, SIGTERM) }
            throw SpawnError(message: "it did not report ready within \(DurationSyntax.format(timeout))")
        }
        // A detached process is reaped by whoever inherits it; an early exit is reaped here.
        _ = waitpid(pid, &status, WNOHANG)
        return (pid, line)
    }

    /// posix_spawn with no signal blocked and every signal at its default in the child, whichever
    /// thread spawns it (Dispatch's threads block most signals, and a mask is inherited across exec:
    /// a moto_server started from one ignored SIGTERM); in a session of its own when `newSession`.
    public static func posixSpawn(
        executable: String, arguments: [String], environment: [String: String], actions: inout posix_spawn_file_actions_t, newSession: Bool
    ) -> Result<Int32, SpawnError> {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        #if os(Linux)
        let setsid: Int32 = 0x80  // POSIX_SPAWN_SETSID (glibc 2.26), not imported by Swift's Glibc
        #else
        let setsid: Int32 = 0x400
        #endif
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | (newSession ? setsid : 0)))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard spawned == 0 else { return .failure(SpawnError(message: "\(executable): \(String(cString: strerror(spawned)))")) }
        return .success(pid)
    }

    /// Starts `arguments` (the first is argv[0], found on `PATH` through /usr/bin/env) as a child of
    /// this process, in its session, with stdin on /dev/null, stdout and stderr appended to `log`,
    /// no other descriptor of ours, and clean signals (see `posixSpawn`). Its pid; the caller reaps it.
    public static func spawnChild(arguments: [String], environment: [String: String], log: String) throws(SpawnError) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_APPEND | O_CREAT, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        for fd in openDescriptors() where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        return try posixSpawn(executable: "/usr/bin/env", arguments: ["env"] + arguments, environment: environment, actions: &actions, newSession: false).get()
    }

    /// The descriptors this process has open.
    public static func openDescriptors() -> [Int32] {
        #if os(Linux)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.compactMap { Int32($0) }.sorted()
        #else
        return Array(4..<256)
        #endif
    }

    /// Whether `pid` runs and is not a zombie.
    public static func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).prefix(1)
        return state != "Z" && state != "X"
    }

    /// SIGTERM, then SIGKILL if `pid` still runs after `grace`. Returns whether it was running.
    @discardableResult
    public static func stop(_ pid: Int32, grace: Duration = .seconds(5)) -> Bool {
        guard isAlive(pid) else { return false }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(Double(DurationSyntax.milliseconds(grace)) / 1000)
        while isAlive(pid) && Date() < deadline {
            var status: Int32 = 0
            _ = waitpid(pid, &status, WNOHANG)
            usleep(20_000)
        }
        if isAlive(pid) { kill(pid, SIGKILL) }
        return true
    }
}
