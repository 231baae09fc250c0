import BreakglassAWS
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum AccessAgentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The socket's path does not fit sun_path.
    case socketPathTooLong(path: String, bytes: Int, limit: Int)
    /// The folder that would hold the socket is open to other users.
    case unsafeFolder(path: String, mode: Int)
    /// The agent answered something else than the protocol, or refused.
    case agent(String)
    /// The agent did not start.
    case start(String)
    case system(String)

    public var description: String {
        switch self {
        case .socketPathTooLong(let p, let bytes, let limit):
            "the agent's socket \(p) is \(bytes) bytes long, and Unix sockets allow at most \(limit); use a state database in a shorter folder (--state FILE, or a shorter XDG_STATE_HOME)"
        case .unsafeFolder(let p, let mode):
            "the folder \(p) is open to other users (mode \(String(mode, radix: 8))); the agent's socket must be in a 0700 folder: chmod 700 '\(p)'"
        case .agent(let m): "access agent: \(m)"
        case .start(let m): "cannot start the access agent: \(m)"
        case .system(let m): m
        }
    }
}

/// The per-user process that holds break-glass credentials in memory for the commands that use them
/// (`breakglass access agent`, started by `access request`; docs/ACCESS.md).
///
/// - Listens on a Unix socket next to the state database (`socketPath(forStore:)`), mode 0600 in the
///   0700 state folder, and answers only peers running as its own user (SO_PEERCRED).
/// - Holds each grant until it expires, then wipes it; `revoke` wipes at once.
/// - Exits when it has held nothing for `idleExit`, and on SIGTERM/SIGINT (which wipe everything).
/// - No core dumps (RLIMIT_CORE 0), stdio on /dev/null, its own session, and an environment with no
///   AWS settings; credentials reach it only through the socket.
public enum AccessAgent {
    /// The agent's socket for the state database at `storePath`: `agent.sock` in the same folder.
    public static func socketPath(forStore storePath: String) -> String {
        folder(of: storePath) + "/agent.sock"
    }

    /// `agent.pid` beside the socket, written by the running agent.
    public static func pidPath(socketPath: String) -> String { folder(of: socketPath) + "/agent.pid" }

    /// `agent.lock` beside the socket: held (flock) by the running agent, so two never run at once.
    static func lockPath(socketPath: String) -> String { folder(of: socketPath) + "/agent.lock" }

    static func folder(of path: String) -> String {
        let dir = (path as NSString).deletingLastPathComponent
        return dir.isEmpty ? "." : dir
    }

    /// Whether the socket's path fits sun_path (107 bytes on Linux).
    public static func checkSocketPath(_ path: String) throws(AccessAgentError) {
        guard UnixSocket.address(path) != nil else {
            throw .socketPathTooLong(path: path, bytes: path.utf8.count, limit: UnixSocket.pathCapacity - 1)
        }
    }

    /// Whether the agent answers a peer running as `peerUID`: only its own user. (Root is not let in
    /// either: root can read the agent's memory anyway, and has no business asking.)
    public static func admits(peerUID: uid_t?, ownUID: uid_t) -> Bool {
        guard let peerUID else { return false }
        return peerUID == ownUID
    }

    /// The pid recorded by the running agent, if any.
    public static func recordedPID(socketPath: String) -> Int32? {
        guard let data = FileManager.default.contents(atPath: pidPath(socketPath: socketPath)),
            let pid = Int32(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0
        else { return nil }
        return pid
    }
}

/// The agent's server: one thread, `poll(2)` on the socket and a wake pipe, one request per
/// connection. Time comes from `now`, so expiry is testable with a clock.
public final class AccessAgentServer: @unchecked Sendable {
    public let socketPath: String
    public let idleExit: Duration
    private let now: @Sendable () -> Date
    private let onExpired: @Sendable ([AccessGrantSummary]) -> Void
    private let ownUID: uid_t
    // Touched only by the serving thread, except `wake`, which any thread may write to.
    private var vault = AccessVault()
    private var listener: Int32 = -1
    private var lock: Int32 = -1
    private let wake: (read: Int32, write: Int32)

    public enum Prepared: Sendable, Equatable {
        /// Listening; `run()` serves.
        case listening
        /// Another agent holds the lock for this socket: it serves, and this one must not.
        case alreadyRunning
    }

    public enum Ended: Sendable, Equatable {
        case idle, stopped
    }

    /// `onExpired` is told, on the serving thread, about every grant wiped because its time was up.
    public init(
        socketPath: String, idleExit: Duration = .seconds(60), now: @escaping @Sendable () -> Date = { Date() },
        onExpired: @escaping @Sendable ([AccessGrantSummary]) -> Void = { _ in }, ownUID: uid_t = geteuid()
    ) throws(AccessAgentError) {
        try AccessAgent.checkSocketPath(socketPath)
        self.socketPath = socketPath
        self.idleExit = idleExit
        self.now = now
        self.onExpired = onExpired
        self.ownUID = ownUID
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw .system("pipe(): \(String(cString: strerror(errno)))") }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        wake = (fds[0], fds[1])
    }

    deinit {
        _ = vault.revoke(role: nil)
        close(wake.read)
        close(wake.write)
        if listener >= 0 { close(listener) }
        if lock >= 0 { close(lock) }
    }

    /// The write end of the wake pipe, for a signal handler (`write(2)` is async-signal-safe).
    public var wakeDescriptor: Int32 { wake.write }

    /// Makes the server stop at its next turn (from any thread).
    public func stop() {
        var b: UInt8 = 1
        _ = write(wake.write, &b, 1)
    }

    /// Takes the lock, replaces a stale socket, and listens (0600, in a folder that must be 0700).
    public func prepare() throws(AccessAgentError) -> Prepared {
        let folder = AccessAgent.folder(of: socketPath)
        var info = stat()
        guard stat(folder, &info) == 0 else { throw .system("the folder \(folder) does not exist") }
        if info.st_mode & 0o077 != 0 { throw .unsafeFolder(path: folder, mode: Int(info.st_mode & 0o7777)) }

        let lockPath = AccessAgent.lockPath(socketPath: socketPath)
        let lockFD = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lockFD >= 0 else { throw .system("cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        if flock(lockFD, LOCK_EX | LOCK_NB) != 0 {
            close(lockFD)
            return .alreadyRunning
        }
        lock = lockFD

        // Holding the lock, any socket file there is a dead agent's.
        unlink(socketPath)
        guard let fd = UnixSocket.makeSocket(), var addr = UnixSocket.address(socketPath) else {
            throw .system("socket(): \(String(cString: strerror(errno)))")
        }
        // No umask(2) around bind: it is process-wide, and a console or test process creates other
        // files at the same time. The folder is 0700, so the socket is reachable by nobody else in
        // the moment before the chmod below.
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .system("cannot listen on \(socketPath): \(reason)")
        }
        chmod(socketPath, 0o600)
        guard listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .system("cannot listen on \(socketPath): \(reason)")
        }
        listener = fd
        let pidPath = AccessAgent.pidPath(socketPath: socketPath)
        unlink(pidPath)
        let pidFD = open(pidPath, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if pidFD >= 0 {
            let text = "\(getpid())\n"
            _ = text.withCString { write(pidFD, $0, strlen($0)) }
            close(pidFD)
        }
        return .listening
    }

    /// Serves until idle for `idleExit` or stopped; then wipes everything and removes the socket.
    @discardableResult
    public func run() -> Ended {
        var emptySince: Date? = now()
        defer { shutdown() }
        while true {
            let t = now()
            let expired = vault.wipeExpired(now: t)
            if !expired.isEmpty { onExpired(expired) }
            if vault.isEmpty {
                if emptySince == nil { emptySince = t }
            } else {
                emptySince = nil
            }
            if let since = emptySince, t.timeIntervalSince(since) >= Double(DurationSyntax.milliseconds(idleExit)) / 1000 { return .idle }

            // Wake for the next expiry or the idle deadline, and at least every second (clocks move).
            var wait = 1000.0
            if let next = vault.nextExpiration { wait = min(wait, next.timeIntervalSince(t) * 1000) }
            if let since = emptySince {
                wait = min(wait, (since.timeIntervalSince(t) + Double(DurationSyntax.milliseconds(idleExit)) / 1000) * 1000)
            }
            var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
            let r = poll(&fds, 2, Int32(max(0, min(wait.rounded(.up), 1000))))
            if r < 0 && errno != EINTR { return .stopped }
            if fds[1].revents != 0 { return .stopped }
            if fds[0].revents & Int16(POLLIN) != 0 {
                let served = serveOne()
                // Idle time counts from the moment the agent last let go of its last grant.
                if !vault.isEmpty {
                    emptySince = nil
                } else if emptySince == nil {
                    emptySince = served
                }
            }
        }
    }

    /// Accepts one connection, checks who it is, answers one line; returns when (by `now`) it answered.
    func serveOne() -> Date {
        let client = accept(listener, nil, nil)
        guard client >= 0 else { return now() }
        defer { close(client) }
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        guard AccessAgent.admits(peerUID: UnixSocket.peerUID(client), ownUID: ownUID) else {
            _ = UnixSocket.writeAll(client, AccessAgentCoding.encode(.error("this agent serves only its own user")) + "\n")
            return now()
        }
        guard let line = UnixSocket.readLine(client, milliseconds: 2000, limit: AccessAgentCoding.maxLine) else { return now() }
        var expired: [AccessGrantSummary] = []
        let at = now()
        let reply = vault.handle(line, now: at, expired: &expired)
        if !expired.isEmpty { onExpired(expired) }
        _ = UnixSocket.writeAll(client, reply + "\n")
        return at
    }

    private func shutdown() {
        _ = vault.revoke(role: nil)
        if listener >= 0 {
            close(listener)
            listener = -1
            unlink(socketPath)
            unlink(AccessAgent.pidPath(socketPath: socketPath))
        }
        if lock >= 0 {
            close(lock)
            lock = -1
        }
    }
}

/// Talks to the agent. Every call is one connection; a missing agent is not an error for `grant`.
public struct AccessAgentClient: Sendable {
    public let socketPath: String
    /// How long to wait for an answer.
    public var timeoutMilliseconds: Int32 = 5000
    var now: @Sendable () -> Date = { Date() }

    public init(socketPath: String) { self.socketPath = socketPath }

    init(socketPath: String, now: @escaping @Sendable () -> Date) {
        self.socketPath = socketPath
        self.now = now
    }

    /// The grant held for `role`, credentials included; nil when no agent runs, it holds nothing for
    /// the role, or what it holds has expired.
    public func grant(role: String) throws -> AccessGrant? {
        guard case .grant(let g)? = try send(.get(role: role)), let g else { return nil }
        guard g.summary.expiration > now() else { return nil }
        return g.grant
    }

    /// Whether an agent answers on the socket.
    public func isRunning() throws(AccessAgentError) -> Bool { try send(.list) != nil }

    /// Hands a grant to the agent; the ids of grants it replaced (the same role's).
    public func put(_ grant: AccessAgentGrant) throws(AccessAgentError) -> [Int64] {
        guard let answer = try send(.put(grant)) else { throw .agent("no agent is running at \(socketPath)") }
        guard case .put(let replaced) = answer else { throw .agent("unexpected answer to put") }
        return replaced
    }

    /// What the agent holds (no secrets); nil when no agent runs.
    public func list() throws(AccessAgentError) -> [AccessGrantSummary]? {
        guard let answer = try send(.list) else { return nil }
        guard case .list(let s) = answer else { throw .agent("unexpected answer to list") }
        return s
    }

    /// Wipes the grant for `role` (every grant when nil); what was wiped, or nil when no agent runs.
    public func revoke(role: String?) throws(AccessAgentError) -> [AccessGrantSummary]? {
        guard let answer = try send(.revoke(role: role)) else { return nil }
        guard case .revoked(let s) = answer else { throw .agent("unexpected answer to revoke") }
        return s
    }

    /// Sends one request; nil when no agent listens. An agent that is not this user's is refused.
    func send(_ request: AccessAgentRequest) throws(AccessAgentError) -> AccessAgentResponse? {
        guard let fd = try UnixSocket.connect(socketPath) else { return nil }
        defer { close(fd) }
        guard AccessAgent.admits(peerUID: UnixSocket.peerUID(fd), ownUID: geteuid()) else {
            throw .agent("the socket \(socketPath) belongs to another user's process; not used")
        }
        guard UnixSocket.writeAll(fd, AccessAgentCoding.encode(request) + "\n") else { throw .agent("the agent closed the connection") }
        guard let line = UnixSocket.readLine(fd, milliseconds: timeoutMilliseconds, limit: AccessAgentCoding.maxLine) else {
            throw .agent("no answer from the agent at \(socketPath)")
        }
        let answer: AccessAgentResponse
        do { answer = try AccessAgentCoding.decodeResponse(line, to: request) } catch { throw .agent(error.message) }
        if case .error(let m) = answer { throw .agent(m) }
        return answer
    }
}

/// Starts the agent as a detached process: its own session, stdio on /dev/null, an environment with
/// nothing of the caller's but PATH, HOME and the locale, and no open descriptor of the caller's
/// but the pipe on which it reports that it listens.
public enum AccessAgentLauncher {
    /// The running agent's pid; starts one (`executable access agent …`) when none answers.
    public static func ensureRunning(
        executable: String, socketPath: String, storePath: String, environment: [String: String] = ProcessInfo.processInfo.environment,
        timeout: Duration = .seconds(10)
    ) throws(AccessAgentError) -> Int32? {
        let client = AccessAgentClient(socketPath: socketPath)
        if try client.isRunning() { return AccessAgent.recordedPID(socketPath: socketPath) }
        try start(executable: executable, socketPath: socketPath, storePath: storePath, environment: environment, timeout: timeout)
        return AccessAgent.recordedPID(socketPath: socketPath)
    }

    /// The path of the running executable (/proc/self/exe on Linux).
    public static func currentExecutable() -> String {
        #if os(Linux)
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if n > 0 { return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        #endif
        return CommandLine.arguments.first ?? "breakglass"
    }

    static func start(
        executable: String, socketPath: String, storePath: String, environment: [String: String], timeout: Duration
    ) throws(AccessAgentError) {
        var env: [String: String] = [:]
        for key in ["PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "USER", "LOGNAME"] { env[key] = environment[key] }
        let args = [executable, "access", "agent", "--socket", socketPath, "--state", storePath, "--ready-fd", "3"]
        do {
            let (_, line) = try DetachedProcess.spawn(executable: executable, arguments: args, environment: env, timeout: timeout)
            guard line == "ready" || line == "running" else { throw AccessAgentError.start("the agent said: \(line)") }
        } catch let error as DetachedProcess.SpawnError {
            throw .start(error.message)
        } catch let error as AccessAgentError {
            throw error
        } catch {
            throw .start(String(describing: error))
        }
    }
}
