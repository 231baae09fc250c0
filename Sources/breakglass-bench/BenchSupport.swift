import BreakglassCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Running other programs to time them: `alarms` times whole processes (breakglass, curl, the AWS
/// CLI, python) and `all` runs each benchmark as a process of its own.
enum BenchProcess {
    struct Outcome {
        var status: Int32
        /// Wall time from just before `posix_spawn` until the process was reaped.
        var millis: Double
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `arguments` (the first an executable's path) with exactly `environment`, stdin on
    /// /dev/null, stdout and stderr written to the given files (truncated), no descriptor of ours
    /// and every signal at its default (`DetachedProcess.posixSpawn`); waits for it and returns its
    /// exit status (128 + the signal when killed) and its wall time. `timeout` kills it (SIGKILL)
    /// and throws.
    static func run(
        _ arguments: [String], environment: [String: String], stdout: String = "/dev/null", stderr: String = "/dev/null", timeout: Double = 600
    ) throws -> Outcome {
        guard let executable = arguments.first else { throw Failure(description: "nothing to run") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        for fd in DetachedProcess.openDescriptors() where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        let start = DispatchTime.now().uptimeNanoseconds
        // Clean signals in the child (Dispatch's threads block most, and a mask survives exec).
        let spawned = DetachedProcess.posixSpawn(
            executable: executable, arguments: arguments, environment: environment, actions: &actions, newSession: false)
        guard case .success(let pid) = spawned else {
            if case .failure(let error) = spawned { throw Failure(description: "cannot run \(error.message)") }
            throw Failure(description: "cannot run \(executable)")
        }
        // A SIGINT or SIGTERM to the bench stops the process being timed too (see BenchSignals).
        ChildProcesses.register(pid)
        defer { ChildProcesses.unregister(pid) }
        var raw: Int32 = 0
        let deadline = start + UInt64(timeout * 1e9)
        while true {
            let r = waitpid(pid, &raw, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { throw Failure(description: "waitpid(\(executable)): \(String(cString: strerror(errno)))") }
            if DispatchTime.now().uptimeNanoseconds > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &raw, 0)
                throw Failure(description: "\(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s")
            }
            // Poll finely: the waits are part of the time measured, so they must be short. A
            // blocking waitpid would be finer still but could not time out.
            usleep(r == 0 ? 200 : 0)
        }
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        let status: Int32 = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
        return Outcome(status: status, millis: Double(elapsed) / 1e6)
    }

    /// `name`'s path on `PATH` (or `name` itself when it has a slash and is executable); nil when absent.
    static func find(_ name: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for dir in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// What a quick command printed on stdout (trimmed), or nil when it failed.
    static func output(_ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment, in dir: String) -> String? {
        let out = dir + "/probe.out"
        guard let outcome = try? run(arguments, environment: environment, stdout: out, timeout: 60), outcome.status == 0,
            let text = try? String(contentsOfFile: out, encoding: .utf8)
        else { return nil }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The last non-empty lines of a file, for error messages.
    static func tail(_ path: String, lines: Int = 5) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "" }
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}

/// A private temporary folder, removed by `remove()`.
struct BenchTemporaryFolder {
    let path: String

    init(_ label: String) throws {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        path = "\(base)/breakglass-bench-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// SIGINT, SIGTERM and SIGHUP stop the child processes registered with `ChildProcesses` (the
/// moto_server `alarms` starts, the process being timed, the benchmark `all` is running) before the
/// bench exits, so an interrupted run leaves nothing behind.
enum BenchSignals {
    nonisolated(unsafe) private static var installed = false

    static func stopChildrenOnTermination() {
        guard !installed else { return }
        installed = true
        ChildProcesses.prepareForSignalHandlers()
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { sig in
                ChildProcesses.terminateAllFromSignalHandler()
                _exit(128 + sig)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            _ = sigaction(sig, &action, nil)
        }
    }
}

/// A compact JSON text of `object` (sorted keys), for `--output json`.
func benchJSON(_ object: Any) -> String {
    guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
}

/// Rounds for JSON: `digits` decimals.
func rounded(_ value: Double, _ digits: Int) -> Double {
    let scale = pow(10, Double(digits))
    return (value * scale).rounded() / scale
}

/// Left-aligned columns, for the tables the benchmarks print.
func benchTable(_ header: [String], _ rows: [[String]]) -> String {
    let all = [header] + rows
    let widths = (0..<header.count).map { c in all.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
    return all.map { row in
        row.enumerated().map { c, cell in c == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[c] - cell.count) }
            .joined(separator: "  ")
    }.joined(separator: "\n")
}

#if DEBUG
let benchBuild = "debug"
#else
let benchBuild = "release"
#endif
