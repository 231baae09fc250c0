import BreakglassAWS
import Foundation
import Synchronization

/// A moto_server on 127.0.0.1, on a free port, with signature and IAM checks on.
///
/// moto lets the first `INITIAL_NO_AUTH_ACTION_COUNT` requests through unchecked; `start` spends
/// exactly those on creating an administrator (user, inline policy, access key) and from then on every
/// request must be signed with that key. The server is stopped by its pid: `stop()`, or, if this process
/// dies by a signal, by the handlers that call `ChildProcesses.terminateAllFromSignalHandler`.
public final class LocalAWSServer: Sendable {
    public let pid: Int32
    public let port: Int
    public let logPath: String
    /// The administrator created at start: an IAM user allowed `*` on `*`.
    public let adminCredentials: AWSCredentials
    public let adminARN: String
    /// Where this sandbox's writes are recorded (the bootstrap's among them).
    public let journal: any MutationJournal

    public var endpointURL: String { "http://127.0.0.1:\(port)" }

    /// Requests moto serves without checking signatures: the three bootstrap calls.
    static let bootstrapRequests = 3

    public struct StartError: Error, CustomStringConvertible, Sendable {
        public let message: String
        public var description: String { message }
        public init(message: String) { self.message = message }
    }

    private init(pid: Int32, port: Int, logPath: String, admin: AWSCredentials, adminARN: String, journal: any MutationJournal) {
        self.journal = journal
        self.pid = pid
        self.port = port
        self.logPath = logPath
        self.adminCredentials = admin
        self.adminARN = adminARN
    }

    /// Starts the server and bootstraps the administrator. `logDirectory` receives `moto-PORT.log`;
    /// `journal` records the bootstrap's writes (and is handed to clients of this server).
    /// Throws with the log's last lines when moto_server is missing or does not come up in `timeout`.
    public static func start(
        logDirectory: String, journal: any MutationJournal, executable: String = "moto_server", timeout: TimeInterval = 30
    ) async throws -> LocalAWSServer {
        try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var lastError = "no attempt made"
        for _ in 0..<3 {  // the free port can be taken between probing and binding; try another
            let port = try freeLoopbackPort()
            let logPath = "\(logDirectory)/moto-\(port).log"
            guard FileManager.default.createFile(atPath: logPath, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw StartError(message: "cannot write \(logPath)")
            }
            var env = ProcessInfo.processInfo.environment
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = String(bootstrapRequests)
            // moto must never reach out; keep proxies from routing loopback traffic elsewhere.
            env["NO_PROXY"] = "127.0.0.1,localhost"
            env["no_proxy"] = "127.0.0.1,localhost"
            let pid: Int32
            do {
                pid = try DetachedProcess.spawnChild(arguments: [executable, "-H", "127.0.0.1", "-p", String(port)], environment: env, log: logPath)
            } catch {
                throw StartError(message: "cannot start \(executable): \(error). Install it with: pip install 'moto[server]'")
            }
            ChildProcesses.register(pid)
            let running: @Sendable () -> Bool = { DetachedProcess.isAlive(pid) }
            let ready = await waitUntilReady(port: port, running: running, timeout: timeout)
            if ready {
                do {
                    let (admin, arn) = try await bootstrapAdmin(port: port, journal: journal)
                    return LocalAWSServer(pid: pid, port: port, logPath: logPath, admin: admin, adminARN: arn, journal: journal)
                } catch {
                    // Another moto_server took the port first (ours could not bind and exited, and the
                    // other answered in its place): try another port.
                    let lostRace = !running()
                    stop(pid: pid)
                    lastError = "moto_server on port \(port) started but the administrator could not be created: \(error)"
                    if lostRace { continue }
                    throw StartError(message: lastError)
                }
            }
            stop(pid: pid)
            lastError = "moto_server did not answer on 127.0.0.1:\(port) within \(Int(timeout))s; its log ends:\n" + tail(of: logPath)
            if !running(), tail(of: logPath).contains("not found") || tail(of: logPath).contains("No such file") {
                throw StartError(message: "\(executable) is not installed: pip install 'moto[server]'\n\(tail(of: logPath))")
            }
        }
        throw StartError(message: lastError)
    }

    /// Stops the server: SIGTERM, then SIGKILL if it has not exited within two seconds. Safe to call twice.
    public func stop() { Self.stop(pid: pid) }

    /// Whether the process is still alive (and not a zombie waiting to be reaped).
    public var isRunning: Bool { DetachedProcess.isAlive(pid) }

    static func stop(pid: Int32) {
        defer { ChildProcesses.unregister(pid) }
        guard kill(pid, 0) == 0 else { return }
        kill(pid, SIGTERM)
        for _ in 0..<40 {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid || kill(pid, 0) != 0 { return }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }

    /// Ports this process has handed out, never handed out twice: two servers started at once could
    /// otherwise probe the same free port.
    private static let handedOut = Mutex<Set<Int>>([])

    /// A TCP port on 127.0.0.1 that nothing listens on right now and this process has not handed out.
    public static func freeLoopbackPort() throws -> Int {
        for _ in 0..<20 {
            let port = try probeFreePort()
            if handedOut.withLock({ $0.insert(port).inserted }) { return port }
        }
        throw StartError(message: "no free port on 127.0.0.1 that this process has not used already")
    }

    private static func probeFreePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw StartError(message: "socket(): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw StartError(message: "bind(127.0.0.1:0): \(String(cString: strerror(errno)))") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard named == 0 else { throw StartError(message: "getsockname: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    private static func waitUntilReady(port: Int, running: @Sendable () -> Bool, timeout: TimeInterval) async -> Bool {
        let transport = CurlTransport()
        let deadline = Date().addingTimeInterval(timeout)
        let probe = HTTPRequest(method: "GET", scheme: "http", host: "127.0.0.1", port: port, path: "/moto-api/")
        while Date() < deadline {
            if !running() { return false }
            if let r = try? await transport.send(probe, operation: "moto readiness", timeouts: HTTPTimeouts(connect: 1, total: 2)), r.status == 200 {
                return true
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    private static func bootstrapAdmin(port: Int, journal: any MutationJournal) async throws -> (AWSCredentials, String) {
        var env = AWSEnvironment(variables: ["AWS_ENDPOINT_URL": "http://127.0.0.1:\(port)"])
        env.variables["HOME"] = "/nonexistent"
        // moto does not check these three requests; they are signed anyway with a throwaway key.
        let unchecked = AWSCredentials(accessKeyID: "AKIABOOTSTRAP0000000", secretAccessKey: "bootstrap", source: "bootstrap")
        let client = AWSClient(credentials: unchecked, endpoints: EndpointResolver(environment: env), transport: CurlTransport(), journal: journal)
        let user = "breakglass-admin"
        let created = try await client.query(.iam, "CreateUser", [("UserName", user)], region: "us-east-1", mutating: true)
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        _ = try await client.query(.iam, "PutUserPolicy", [("UserName", user), ("PolicyName", "administrator"), ("PolicyDocument", policy)], region: "us-east-1", mutating: true)
        let key = try await client.query(.iam, "CreateAccessKey", [("UserName", user)], region: "us-east-1", mutating: true)
        guard let id = key.result.first("AccessKeyId")?.text, let secret = key.result.first("SecretAccessKey")?.text else {
            throw StartError(message: "CreateAccessKey answered without a key")
        }
        let arn = created.result.first("Arn")?.text ?? "arn:aws:iam::123456789012:user/\(user)"
        return (AWSCredentials(accessKeyID: id, secretAccessKey: secret, source: "local moto_server administrator"), arn)
    }

    static func tail(of path: String, lines: Int = 15) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "(no log)" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

extension LocalAWSServer {
    /// Environment variables that point the AWS client and `breakglass` at this server as its
    /// administrator, with no shared config files in play.
    public func environment(region: String = "us-east-1", credentials: AWSCredentials? = nil) -> [String: String] {
        let c = credentials ?? adminCredentials
        var env = [
            "AWS_ENDPOINT_URL": endpointURL, "AWS_ACCESS_KEY_ID": c.accessKeyID, "AWS_SECRET_ACCESS_KEY": c.secretAccessKey,
            "AWS_REGION": region, "AWS_CONFIG_FILE": "/nonexistent/config", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
            "NO_PROXY": "127.0.0.1,localhost",
        ]
        if let t = c.sessionToken { env["AWS_SESSION_TOKEN"] = t }
        return env
    }

    /// An AWS client for this server.
    public func client(credentials: AWSCredentials? = nil) -> AWSClient {
        let env = AWSEnvironment(variables: environment(credentials: credentials))
        return AWSClient(
            credentials: credentials ?? adminCredentials, endpoints: EndpointResolver(environment: env), transport: CurlTransport(),
            journal: journal)
    }
}
