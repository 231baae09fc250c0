import Foundation

/// A detached tmux session of a fixed size, driven with send-keys and read with capture-pane, so
/// end-to-end tests see exactly what a person at that terminal would.
public final class TmuxSession {
    public let name: String
    /// A private server socket, so tests never touch the user's own tmux sessions.
    public let socket: String

    public init(width: Int = 80, height: Int = 24, command: String, environment: [String: String] = [:]) throws {
        name = "bg\(UInt32.random(in: 0...UInt32.max))"
        // Under the test run folder, so `make test` can stop sessions a crashed test process left.
        socket = MotoHarness.runDirectory + "/tmux-\(name).sock"
        let exports = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.shellQuote($0.value))" }.joined(separator: " ")
        // remain-on-exit keeps the pane (and its exit status) readable after the program ends; it is set
        // in the server's config so that it holds even for a program that exits at once.
        let config = socket + ".conf"
        try "set -g remain-on-exit on\nset -g status off\n".write(toFile: config, atomically: true, encoding: .utf8)
        // The pane's shell writes the program's exit status to a file: tmux 3.3 does not report it reliably.
        let wrapped = "env \(exports) \(command); echo $? > \(Self.shellQuote(socket + ".status"))"
        let result = try tmux(["-f", config, "new-session", "-d", "-x", String(width), "-y", String(height), "-s", name, wrapped])
        guard result.status == 0 else { throw TmuxError(message: "tmux new-session failed: \(result.stderr)") }
    }

    deinit {
        _ = try? tmux(["kill-server"])
        try? FileManager.default.removeItem(atPath: socket + ".conf")
        try? FileManager.default.removeItem(atPath: socket + ".status")
    }

    public struct TmuxError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    @discardableResult
    public func tmux(_ args: [String]) throws -> BreakglassBinary.Result {
        try Subprocess.run("/usr/bin/env", ["tmux", "-S", socket] + args, environment: ["TERM": "xterm-256color"], timeout: 10)
    }

    /// The visible screen as text, one line per row.
    public func capture() throws -> String {
        try tmux(["capture-pane", "-p", "-t", name]).stdout
    }

    public func sendKeys(_ keys: String...) throws {
        try tmux(["send-keys", "-t", name] + keys)
    }

    public func resize(width: Int, height: Int) throws {
        try tmux(["resize-window", "-t", name, "-x", String(width), "-y", String(height)])
    }

    /// Waits until the screen contains `text`; returns the screen. Throws with the last screen on timeout.
    @discardableResult
    public func waitFor(_ text: String, timeout: Double = 20) throws -> String {
        try waitUntil(timeout: timeout, what: "\"\(text)\"") { $0.contains(text) }
    }

    @discardableResult
    public func waitUntil(timeout: Double = 20, what: String, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var screen = ""
        while Date() < deadline {
            screen = try capture()
            if condition(screen) { return screen }
            usleep(100_000)
        }
        throw TmuxError(message: "timed out after \(timeout)s waiting for \(what); screen:\n\(screen)")
    }

    /// The program's exit status once it has exited; nil while it runs.
    public func exitStatus() throws -> Int32? {
        guard let text = try? String(contentsOfFile: socket + ".status", encoding: .utf8), text.hasSuffix("\n") else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    public func waitForExit(timeout: Double = 10) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let s = try exitStatus() { return s }
            usleep(100_000)
        }
        throw TmuxError(message: "program did not exit within \(timeout)s; screen:\n\(try capture())")
    }

    public static var isAvailable: Bool {
        (try? Subprocess.run("/usr/bin/env", ["tmux", "-V"], timeout: 5).status) == 0
    }

    static func shellQuote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
