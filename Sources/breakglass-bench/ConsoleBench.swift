import ArgumentParser
import BreakglassCore
import BreakglassTUI
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The console's speed targets (issue 7): compose a frame with 10,000 alarms in ≤ 5 ms, launch to
/// first frame in ≤ 50 ms, ≤ 300 bytes written to the terminal when one alarm changes state, and
/// ≤ 40 MB RSS with 10,000 alarms. Composing is timed in this process; launch, bytes and memory
/// are measured on real processes through a pseudo-terminal: `breakglass console` for the launch,
/// and this binary's hidden `console-child` (the real `runConsole` on made-up alarms) for the rest.
struct ConsoleBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Time the console: compose a frame of 10,000 alarms, launch to first frame, bytes per alarm change, memory.")

    @Option(help: "Alarms the console holds.") var alarms = 10_000
    @Option(help: "Frames composed per size; the median is reported.") var runs = 201
    @Option(help: "Launches of `breakglass console` timed (after one discarded warm-up).") var launches = 11
    @Option(help: "Alarm changes per kind measured through the terminal.") var changes = 6
    @Option(help: "Key presses measured through the terminal.") var keys = 6
    @Option(help: "Refreshes of `breakglass console`'s 10,000 alarms before its memory is read again.") var refreshes = 6
    @Option(help: "The `breakglass` executable to launch (default: the one beside this binary).") var breakglass: String?
    @Flag(help: "A few runs of everything, to check the bench itself works (numbers are rough).") var quick = false
    @Option(help: "A folder to write the bytes of every frame measured through the terminal into, one file each, to see where the bytes go.")
    var dump: String?
    @Option(help: "table or json.") var output = "table"
    @Option(help: "Only these parts, comma-separated: compose, launch, real (breakglass console's memory), terminal (console-child's bytes and memory), decode (a DescribeAlarms page of 500 and of --alarms alarms, tree against direct). Default: all but decode.")
    var only: String?

    func run() throws {
        let runs = quick ? 5 : max(1, runs)
        let launches = quick ? 2 : max(1, launches)
        let changes = quick ? 1 : max(1, changes)
        let keys = quick ? 1 : max(1, keys)
        let executable = breakglass ?? ConsoleBenchProcess.sibling("breakglass")
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            FileHandle.standardError.write(Data("breakglass-bench: no breakglass executable at \(executable); build it or pass --breakglass\n".utf8))
            throw ExitCode(2)
        }
        let count = max(20, alarms)
        let data = ConsoleBenchData.alarms(count: count)

        let parts = Set((only ?? "compose,launch,real,terminal").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        let known: Set<String> = ["compose", "launch", "real", "terminal", "decode"]
        guard parts.isSubset(of: known) else {
            throw ValidationError("--only: unknown part(s) \(parts.subtracting(known).sorted().joined(separator: ", ")); the parts are compose, launch, real, terminal, decode")
        }
        var report = ConsoleBenchReport(alarms: count)
        if parts.contains("compose") {
            report.compose = [
                composeTimes(data, width: 80, height: 24, runs: runs),
                composeTimes(data, width: 200, height: 60, runs: runs),
            ]
            report.load = loadTimes(data, runs: quick ? 2 : 7)
        }
        if parts.contains("launch") {
            let launch = try LaunchBench(executable: executable, launches: launches).run()
            report.launch = launch.firstFrame
            report.startup = launch.version
            report.launchMemory = launch.memory
        }
        if parts.contains("real") {
            report.realConsole = try RealConsoleMemoryBench(executable: executable, alarms: count, refreshes: quick ? 1 : max(1, refreshes)).run()
        }
        if parts.contains("terminal") {
            let bench = ConsoleBenchProcess.sibling("breakglass-bench")
            let sizes = quick ? [(80, 24)] : [(80, 24), (200, 60)]
            for (width, height) in sizes {
                report.terminal.append(
                    try TerminalBench(bench: bench, alarms: count, width: width, height: height, changes: changes, keys: keys, dump: dump).run())
            }
        }
        if parts.contains("decode") {
            report.decode = try [500, count].map { try PageDecodeBench(alarms: $0, runs: quick ? 3 : 15).run() }
        }
        report.parts = parts
        print(output == "json" ? report.json() : report.table())
    }

    /// Frames of `alarms` at `width`×`height` after a key press: the reduce that moves the selection
    /// and the render of the whole frame, which is what a key costs before curses sees it.
    func composeTimes(_ alarms: [Alarm], width: Int, height: Int, runs: Int) -> ComposeResult {
        var state = ConsoleBenchData.loadedState(alarms, width: width, height: height)
        let theme = ConsoleBenchData.theme
        let now = ConsoleBenchData.now
        var micros: [Double] = []
        var renderOnly: [Double] = []
        var sink = 0
        for i in 0..<(runs + 1) {  // the first frame warms caches and is dropped
            let key: Key = i % 2 == 0 ? .char("j") : .char("k")
            let start = DispatchTime.now().uptimeNanoseconds
            _ = reduce(&state, .key(key), now: now)
            let grid = renderConsole(state, theme: theme, now: now)
            let mid = DispatchTime.now().uptimeNanoseconds
            let again = renderConsole(state, theme: theme, now: now)
            let end = DispatchTime.now().uptimeNanoseconds
            sink &+= grid.cells.count &+ again.width
            micros.append(Double(mid - start) / 1e3)
            renderOnly.append(Double(end - mid) / 1e3)
        }
        if sink == 0 { print("") }
        return ComposeResult(
            width: width, height: height, keyFrame: Stats(Array(micros.dropFirst())), renderOnly: Stats(Array(renderOnly.dropFirst())))
    }

    /// A refresh's result arriving: the alarms sorted into triage order, counted and measured.
    func loadTimes(_ alarms: [Alarm], runs: Int) -> Stats {
        var times: [Double] = []
        for _ in 0..<runs {
            var state = ConsoleBenchData.startedState(width: 80, height: 24)
            let start = DispatchTime.now().uptimeNanoseconds
            _ = reduce(&state, .alarmsLoaded(alarms), now: ConsoleBenchData.now)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return Stats(times)
    }
}

/// The real `runConsole` on a terminal (the parent's pseudo-terminal), with a made-up fetch of
/// `--alarms` alarms and a clock that stands still, so the only things that change the screen are
/// the keys the parent sends and the alarms each refresh returns. Refresh n (from 0) returns:
/// n = 0 the base set; 1…2·changes alternately "one alarm changed in place" and the base set; after
/// that alternately "one alarm entered ALARM" and the base set. Each fetch waits `--delay-ms`, then
/// writes one byte to `--notify-fd` before returning, so the parent can tell the frames apart.
///
/// Each fetch builds its alarms afresh and keeps nothing, as the real fetch does (it decodes new
/// strings from every answer): so while a refresh is applied the old list and the new one are both
/// in memory, as in `breakglass console`, and no list is held that a real console would not hold.
struct ConsoleChildBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console-child", abstract: "The console on made-up alarms, for `breakglass-bench console`.", shouldDisplay: false)

    @Option var alarms = 10_000
    @Option var changes = 6
    @Option var delayMs = 150
    @Option var notifyFd: Int32 = -1
    @Flag(help: "Let the clock run (from the same start), so the top bar's clock and the ages in the list tick.") var realClock = false

    func run() async throws {
        let count = max(20, alarms)
        let fetches = FetchCounter()
        let (changes, delay, fd) = (max(1, changes), UInt64(max(0, delayMs)), notifyFd)
        let started = Date()
        let running = realClock
        let clock: @Sendable () -> Date = {
            running ? ConsoleBenchData.now.addingTimeInterval(Date().timeIntervalSince(started)) : ConsoleBenchData.now
        }
        let dependencies = ConsoleDependencies(
            fetchAlarms: {
                let n = fetches.next()
                if n > 0 { try? await Task.sleep(nanoseconds: delay * 1_000_000) }
                var result = ConsoleBenchData.alarms(count: count)
                if n % 2 == 1 {
                    if n <= 2 * changes {
                        ConsoleBenchData.changeInPlace(&result)
                    } else {
                        ConsoleBenchData.enterAlarm(&result)
                    }
                }
                if fd >= 0 {
                    var byte: UInt8 = 1
                    _ = write(fd, &byte, 1)
                }
                return result
            },
            now: clock)
        let options = ConsoleOptions(identity: "AKIA…BNCH", regions: ConsoleBenchData.regions, refreshInterval: 15)
        // As `breakglass console` does: the loop blocks in poll(2), so it gets a thread of its own.
        let status = await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: runConsole(options: options, dependencies: dependencies)) }
            thread.name = "console"
            thread.start()
        }
        if status != 0 { throw ExitCode(status) }
    }
}

/// How many fetches the child has answered.
final class FetchCounter: Sendable {
    private let count = Mutex(0)

    func next() -> Int {
        count.withLock { value in
            defer { value += 1 }
            return value
        }
    }
}

// MARK: Data

/// The made-up alarms both processes use: a few in ALARM, some INSUFFICIENT_DATA, most OK; names
/// up to 60 columns, some with wide (CJK) characters; two regions.
enum ConsoleBenchData {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let regions = ["us-east-1", "eu-west-1"]
    /// Alarms in ALARM in the base set: fewer than the rows of an 80×24 list, so the last of them is
    /// on screen.
    static let alarming = 8
    static let theme = (Theme.builtIn(named: "default") ?? .default).degraded(to: .c256)

    static func alarms(count: Int) -> [Alarm] {
        let services = ["payments", "checkout", "search", "inventory", "auth", "ledger", "notifications", "api-gateway"]
        let metrics = ["latency-p99", "5xx-rate", "cpu-utilization", "queue-depth", "throttles", "disk-free"]
        let tails = ["", "-critical", "-over-threshold-for-fifteen-minutes", "-blue-green-canary", "-primary-writer-replica-lag"]
        return (0..<count).map { i in
            let state: AlarmState = i < alarming ? .alarm : (i % 20 == 0 ? .insufficientData : .ok)
            var name = "prod-\(services[i % services.count])-\(metrics[i % metrics.count])-\(i)" + tails[i % tails.count]
            if i % 50 == 7 { name = "支付服务-延迟告警-\(services[i % services.count])-\(i)" }
            name = String(name.prefix(60))
            let region = regions[i % 2]
            let reason =
                "Threshold Crossed: 3 out of the last 3 datapoints [\(90 + i % 9).2 (20/11/26 10:0\(i % 10):00)] were greater than the threshold (90.0) (minimum 3 datapoints for OK -> ALARM transition)."
            return Alarm(
                name: name, state: state, reason: reason, updated: now.addingTimeInterval(-Double(60 + i * 37)), region: region,
                type: .metric, namespace: "AWS/ApplicationELB", metric: metrics[i % metrics.count],
                arn: "arn:aws:cloudwatch:\(region):111122223333:alarm:\(name)")
        }
    }

    /// The oldest alarm in ALARM (the last ALARM row) goes to INSUFFICIENT_DATA just now: it stays on
    /// the same row (first of the INSUFFICIENT_DATA alarms, which come next in triage order), so the
    /// screen changes by its badge, its time and the counts.
    static func changeInPlace(_ alarms: inout [Alarm]) {
        alarms[alarming - 1].state = .insufficientData
        alarms[alarming - 1].updated = now
        alarms[alarming - 1].reason = "Insufficient Data: 1 datapoint was unknown."
    }

    /// An OK alarm far down the list enters ALARM just now: it goes to the top, and every row of the
    /// list below it moves down one.
    static func enterAlarm(_ alarms: inout [Alarm]) {
        let i = alarms.count / 2 + 1
        alarms[i].state = .alarm
        alarms[i].updated = now
    }

    /// A console whose first refresh has started, at `width`×`height`.
    static func startedState(width: Int, height: Int) -> ConsoleState {
        var state = ConsoleState(
            identity: "AKIA…BNCH", regions: regions, size: TerminalSize(width: width, height: height), now: now)
        _ = reduce(&state, .tick, now: now)
        return state
    }

    static func loadedState(_ alarms: [Alarm], width: Int, height: Int) -> ConsoleState {
        var state = startedState(width: width, height: height)
        _ = reduce(&state, .alarmsLoaded(alarms), now: now)
        return state
    }
}

// MARK: Results

/// Median, fastest and slowest of some samples.
struct Stats {
    var median: Double
    var min: Double
    var max: Double
    var count: Int

    init(_ samples: [Double]) {
        let sorted = samples.sorted()
        count = sorted.count
        median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
        min = sorted.first ?? 0
        max = sorted.last ?? 0
    }

    var json: [String: Any] { ["median": median, "min": min, "max": max, "runs": count] }

    func text(_ digits: Int) -> String {
        let f = "%.\(digits)f"
        return String(format: f, median) + " (" + String(format: f, min) + "–" + String(format: f, max) + ", \(count) runs)"
    }
}

struct ComposeResult {
    var width: Int
    var height: Int
    /// Microseconds: reduce of a key press plus the frame's render.
    var keyFrame: Stats
    /// Microseconds: the render alone.
    var renderOnly: Stats
}

struct TerminalResult {
    /// Bytes per second with the clock running and nothing else changing.
    var idlePerSecond: Double
    var width: Int
    var height: Int
    /// Bytes written for the frame after a refresh in which one visible alarm changed state in place.
    var inPlace: Stats
    /// Bytes for the frame after a refresh in which an alarm off screen entered ALARM (top of the list).
    var entering: Stats
    /// Bytes for the frame that says a refresh started (the refresh mark before "updated").
    var refreshStart: Stats
    /// Bytes for `j` (the selection moves down a row).
    var key: Stats
    /// Bytes from start to the screen with the alarms: the "loading…" frame, then the list.
    var firstFrame: Int
    /// The child's memory once its alarms are loaded and drawn; the peak covers the whole session.
    var memory: Memory
}

struct ConsoleBenchReport {
    var alarms: Int
    var compose: [ComposeResult] = []
    var load = Stats([])
    var launch = Stats([])
    var startup = Stats([])
    var launchMemory = Memory()
    var terminal: [TerminalResult] = []
    /// `breakglass console` itself with the alarms, from `FakeCloudWatch`.
    var realConsole = RealConsoleMemoryBench.Result(loaded: Memory(), refreshed: Memory(), refreshes: 0)
    /// DescribeAlarms pages decoded both ways (`--only decode`).
    var decode: [PageDecodeBench.Result] = []
    /// The parts measured; the others are left out of the report.
    var parts: Set<String> = ["compose", "launch", "real", "terminal"]

    static let composeTargetMicros = 5_000.0
    static let launchTargetMillis = 50.0
    static let bytesTarget = 300.0
    static let rssTargetKB = 40 * 1024

    #if DEBUG
    static let build = "debug"
    #else
    static let build = "release"
    #endif

    var composeMet: Bool { compose.allSatisfy { $0.keyFrame.median <= Self.composeTargetMicros } }
    var launchMet: Bool { launch.median <= Self.launchTargetMillis }
    var bytesMet: Bool { terminal.allSatisfy { $0.inPlace.median <= Self.bytesTarget && $0.entering.median <= Self.bytesTarget } }
    var rssMet: Bool {
        terminal.allSatisfy { $0.memory.hwm <= Self.rssTargetKB } && (!parts.contains("real") || realConsole.refreshed.hwm <= Self.rssTargetKB)
    }

    func json() -> String {
        let object: [String: Any] = [
            "benchmark": "console",
            "build": Self.build,
            "alarms": alarms,
            "compose_us": compose.map { ["size": "\($0.width)x\($0.height)", "key_frame": $0.keyFrame.json, "render_only": $0.renderOnly.json] },
            "load_ms": load.json,
            "launch_ms": launch.json,
            "startup_version_ms": startup.json,
            "launch_memory": launchMemory.json,
            "real_console_memory": [
                "loaded": realConsole.loaded.json, "refreshed": realConsole.refreshed.json, "refreshes": realConsole.refreshes,
            ] as [String: Any],
            "terminal": terminal.map {
                [
                    "size": "\($0.width)x\($0.height)", "bytes_alarm_changed_in_place": $0.inPlace.json,
                    "bytes_alarm_entered_alarm": $0.entering.json, "bytes_refresh_started": $0.refreshStart.json,
                    "bytes_key_j": $0.key.json, "bytes_per_second_idle": $0.idlePerSecond, "bytes_first_frame": $0.firstFrame, "memory": $0.memory.json,
                ] as [String: Any]
            },
            "decode_ms": decode.map { ["alarms": $0.alarms, "bytes": $0.bytes, "tree": $0.tree.json, "direct": $0.direct.json] },
            "targets": ["compose_us": Self.composeTargetMicros, "launch_ms": Self.launchTargetMillis, "bytes": Self.bytesTarget, "rss_kb": Self.rssTargetKB],
            "met": ["compose": composeMet, "launch": launchMet, "bytes": bytesMet, "rss": rssMet],
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    func table() -> String {
        func met(_ ok: Bool) -> String { ok ? "met" : "NOT MET" }
        var rows: [(String, String, String, String)] = []
        for c in compose {
            rows.append(
                ("compose after a key, \(alarms) alarms, \(c.width)x\(c.height) (µs)", c.keyFrame.text(0), "≤ 5000",
                 met(c.keyFrame.median <= Self.composeTargetMicros)))
            rows.append(("  render alone (µs)", c.renderOnly.text(0), "", ""))
        }
        if parts.contains("compose") { rows.append(("load and sort \(alarms) alarms (ms)", load.text(1), "", "")) }
        if parts.contains("launch") {
            rows.append(("launch to first frame (ms)", launch.text(1), "≤ 50", met(launchMet)))
            rows.append(("  process start-up, --version (ms)", startup.text(1), "", ""))
            rows.append(("  memory at first frame, no alarms (MB)", launchMemory.text(), "", ""))
        }
        if parts.contains("real") {
            rows.append(
                ("RSS of breakglass console, \(alarms) alarms loaded, 80x24 (MB)", realConsole.loaded.text(), "≤ 40",
                 met(realConsole.loaded.hwm <= Self.rssTargetKB)))
            rows.append(
                ("  after \(realConsole.refreshes) refreshes (peak: whole session) (MB)", realConsole.refreshed.text(), "≤ 40",
                 met(realConsole.refreshed.hwm <= Self.rssTargetKB)))
        }
        for d in decode {
            rows.append(("decode a DescribeAlarms page of \(d.alarms) alarms (\(d.bytes / 1024) KB), value tree (ms)", d.tree.text(2), "", ""))
            rows.append(("  the same, straight into alarms (ms)", d.direct.text(2), "", ""))
        }
        for t in terminal {
            let size = "\(t.width)x\(t.height)"
            rows.append(("bytes: one alarm changes state in place, \(size)", t.inPlace.text(0), "≤ 300", met(t.inPlace.median <= Self.bytesTarget)))
            rows.append(("bytes: one alarm enters ALARM (rows move), \(size)", t.entering.text(0), "≤ 300", met(t.entering.median <= Self.bytesTarget)))
            rows.append(("  bytes: the refresh mark when a refresh starts, \(size)", t.refreshStart.text(0), "", ""))
            rows.append(("  bytes: key j, \(size)", t.key.text(0), "", ""))
            rows.append(("  bytes per second, idle, clock running, \(size)", String(format: "%.0f", t.idlePerSecond), "", ""))
            rows.append(("  bytes: start to the loaded screen, \(size)", "\(t.firstFrame)", "", ""))
            rows.append(
                ("RSS of runConsole alone (console-child), \(alarms) alarms, \(size) (MB)", t.memory.text(), "≤ 40",
                 met(t.memory.hwm <= Self.rssTargetKB)))
        }
        let w0 = rows.map { $0.0.count }.max() ?? 0
        let w1 = rows.map { $0.1.count }.max() ?? 0
        let w2 = max(6, rows.map { $0.2.count }.max() ?? 0)
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
        var lines = ["console (\(Self.build) build): median (min–max)"]
        lines.append(pad("what", w0) + "  " + pad("measured", w1) + "  " + pad("target", w2) + "  result")
        for row in rows { lines.append(pad(row.0, w0) + "  " + pad(row.1, w1) + "  " + pad(row.2, w2) + "  " + row.3) }
        return lines.joined(separator: "\n")
    }
}

// MARK: Processes on a pseudo-terminal

/// A process's resident memory, in kB (see `PTYProcess.memoryKB`).
struct Memory {
    var rss = 0
    var hwm = 0
    var anon = 0
    var file = 0

    var json: [String: Any] { ["rss_kb": rss, "hwm_kb": hwm, "anon_kb": anon, "file_kb": file] }

    func text() -> String {
        func mb(_ kb: Int) -> String { String(format: "%.1f", Double(kb) / 1024) }
        return "\(mb(rss)) now, \(mb(hwm)) peak (own \(mb(anon)), files \(mb(file)))"
    }
}

/// Something went wrong running a process the bench measures; says what.
struct ConsoleBenchError: Error, CustomStringConvertible {
    let description: String
}

/// A process whose stdin, stdout and stderr are a fresh pseudo-terminal (its controlling terminal,
/// in a session of its own), read by the bench through the master side.
final class PTYProcess {
    let pid: pid_t
    let master: Int32
    private(set) var exited = false
    private(set) var status: Int32 = 0

    /// Spawns `path args` on a `width`×`height` terminal with exactly `environment`; `extraFD`, if
    /// given, becomes the child's descriptor 3.
    init(_ path: String, _ args: [String], environment: [String: String], width: Int, height: Int, extraFD: Int32? = nil) throws {
        // posix_openpt/grantpt/unlockpt/ptsname are not in Swift's Glibc module; on Linux they are
        // /dev/ptmx and two ioctls (TIOCSPTLCK to unlock, TIOCGPTN for the number), as glibc does.
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0 else {
            throw ConsoleBenchError(description: "cannot open a pseudo-terminal (/dev/ptmx): \(String(cString: strerror(errno)))")
        }
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard ioctl(master, 0x4004_5431, &unlock) == 0, ioctl(master, 0x8004_5430, &number) == 0 else {
            close(master)
            throw ConsoleBenchError(description: "cannot unlock the pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        let name = "/dev/pts/\(number)"
        var size = winsize(ws_row: UInt16(height), ws_col: UInt16(width), ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // POSIX_SPAWN_SETSID (0x80): a new session, so opening the terminal makes it the child's
        // controlling terminal, as a login shell's would be.
        posix_spawnattr_setflags(&attributes, Int16(0x80))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, name, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        if let extraFD { posix_spawn_file_actions_adddup2(&actions, extraFD, 3) }

        let argv = ([path] + args).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let error = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard error == 0 else {
            close(master)
            throw ConsoleBenchError(description: "cannot run \(path): \(String(cString: strerror(error)))")
        }
        self.pid = pid
        self.master = master
    }

    deinit {
        if !exited {
            kill(pid, SIGKILL)
            var raw: Int32 = 0
            _ = waitpid(pid, &raw, 0)
        }
        close(master)
    }

    /// Reads what is waiting on the terminal, waiting at most `timeout` seconds for the first byte.
    /// Empty when nothing came (or the child closed the terminal).
    func read(timeout: Double) -> [UInt8] {
        var fds = [pollfd(fd: master, events: Int16(POLLIN), revents: 0)]
        let ready = poll(&fds, 1, Int32(max(0, timeout * 1000)))
        guard ready > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(master, $0.baseAddress, $0.count) }
        return n > 0 ? Array(buffer[0..<n]) : []
    }

    /// Reads until `timeout` seconds pass with nothing written; returns what was read.
    func readUntilQuiet(_ quiet: Double, atMost limit: Double = 20) -> [UInt8] {
        var all: [UInt8] = []
        let deadline = Date().addingTimeInterval(limit)
        while Date() < deadline {
            let chunk = read(timeout: quiet)
            if chunk.isEmpty { break }
            all += chunk
        }
        return all
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    }

    /// Resident memory in kB, from /proc: now (VmRSS), its peak (VmHWM), and how much of it is the
    /// process's own (RssAnon: heap, stacks) rather than mapped files (RssFile: code and data of the
    /// executable and its libraries).
    func memoryKB() -> Memory {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return Memory() }
        func field(_ name: String) -> Int {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        return Memory(rss: field("VmRSS"), hwm: field("VmHWM"), anon: field("RssAnon"), file: field("RssFile"))
    }

    /// Whether the child has exited (reaping it if so). Never waits.
    func reap() -> Bool {
        guard !exited else { return true }
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return false }
        exited = true
        status = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
        return true
    }

    /// Waits up to `timeout` seconds for the child to exit, reading (and dropping) what it writes so it
    /// never blocks on a full terminal; kills it after that. Returns its exit status.
    @discardableResult
    func finish(timeout: Double = 5) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while !reap() {
            if Date() >= deadline {
                var raw: Int32 = 0
                kill(pid, SIGKILL)
                _ = waitpid(pid, &raw, 0)
                exited = true
                status = 128 + SIGKILL
                break
            }
            _ = read(timeout: 0.02)
        }
        return status
    }
}

enum ConsoleBenchProcess {
    /// An executable beside this one.
    static func sibling(_ name: String) -> String {
        let me = URL(fileURLWithPath: CommandLine.arguments.first ?? "breakglass-bench").resolvingSymlinksInPath()
        return me.deletingLastPathComponent().appendingPathComponent(name).path
    }

    static func terminalEnvironment() -> [String: String] {
        var env = ["TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"]
        env["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return env
    }

    static func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        let n = Array(needle.utf8)
        guard !n.isEmpty, haystack.count >= n.count else { return false }
        for start in 0...(haystack.count - n.count) where haystack[start] == n[0] {
            if haystack[start..<(start + n.count)].elementsEqual(n) { return true }
        }
        return false
    }
}

/// `breakglass console` from spawn to its first whole frame, with nothing on the network: the AWS
/// endpoint is a closed loopback port, the credentials are made up, HOME and the XDG folders and
/// the state file are fresh temporary ones. The first frame is complete when the top bar, the tabs
/// row and the footer (the last row curses draws) have all arrived.
struct LaunchBench {
    var executable: String
    var launches: Int

    struct Result {
        var firstFrame: Stats
        var version: Stats
        var memory: Memory
    }

    func run() throws -> Result {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("breakglass-bench-console-\(getpid())")
        // Private, as a real state folder is (breakglass warns about one others can read).
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: dir) }
        var env = ConsoleBenchProcess.terminalEnvironment()
        for (key, folder) in [("HOME", "home"), ("XDG_CONFIG_HOME", "config"), ("XDG_STATE_HOME", "state"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache")] {
            let path = dir.appendingPathComponent(folder).path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            env[key] = path
        }
        env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"
        env["AWS_ACCESS_KEY_ID"] = "AKIABENCHLAUNCH00000"
        env["AWS_SECRET_ACCESS_KEY"] = "bench-secret-not-a-real-key"
        env["AWS_REGION"] = "us-east-1"
        let state = dir.appendingPathComponent("state.db").path

        var times: [Double] = []
        var memory = Memory()
        for i in 0..<(launches + 1) {  // the first creates the state file and warms the page cache; dropped
            let start = DispatchTime.now().uptimeNanoseconds
            let child = try PTYProcess(executable, ["console", "--state", state], environment: env, width: 80, height: 24)
            var seen: [UInt8] = []
            var elapsed: Double?
            let deadline = Date().addingTimeInterval(20)
            while elapsed == nil, Date() < deadline {
                let chunk = child.read(timeout: 0.5)
                if chunk.isEmpty, child.reap() { break }
                seen += chunk
                if Self.isFirstFrame(seen) { elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 }
            }
            guard let elapsed else {
                child.finish(timeout: 1)
                throw ConsoleBenchError(
                    description: "breakglass console showed no whole first frame within 20 s; it wrote: "
                        + String(decoding: seen.suffix(400), as: UTF8.self).debugDescription)
            }
            if i > 0 { times.append(elapsed) }
            let now = child.memoryKB()
            if now.rss > memory.rss { memory = now }
            child.send("q")
            child.finish()
        }

        var version: [Double] = []
        for _ in 0..<(launches + 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            let child = try PTYProcess(executable, ["--version"], environment: env, width: 80, height: 24)
            child.finish(timeout: 10)
            version.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return Result(firstFrame: Stats(times), version: Stats(Array(version.dropFirst())), memory: memory)
    }

    /// The top bar, the tabs row and the footer's help hint: curses draws rows top to bottom, so
    /// the footer arriving means the frame is whole.
    static func isFirstFrame(_ bytes: [UInt8]) -> Bool {
        ConsoleBenchProcess.contains(bytes, "breakglass") && ConsoleBenchProcess.contains(bytes, "Alarms")
            && ConsoleBenchProcess.contains(bytes, "help")
    }
}

/// Bytes through the terminal and memory, on `console-child` holding `alarms` alarms.
struct TerminalBench {
    var bench: String
    var alarms: Int
    var width: Int
    var height: Int
    var changes: Int
    var keys: Int
    var dump: String?

    /// Quiet time that ends a frame: far longer than curses takes to write one, far shorter than the
    /// child's fetch delay.
    static let quiet = 0.25

    func run() throws -> TerminalResult {
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else {
            throw ConsoleBenchError(description: "pipe: \(String(cString: strerror(errno)))")
        }
        for fd in pipeFDs { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        let notify = pipeFDs[0]
        defer { close(notify) }
        let child: PTYProcess
        do {
            defer { close(pipeFDs[1]) }
            child = try PTYProcess(
                bench, ["console-child", "--alarms", "\(alarms)", "--changes", "\(changes)", "--notify-fd", "3"],
                environment: ConsoleBenchProcess.terminalEnvironment(), width: width, height: height, extraFD: pipeFDs[1])
        }

        // The "loading…" frame and the first refresh (no delay), then the frame with the alarms.
        let loading = try readUntilFetched(notify, child: child)
        let first = loading + waitForFrame(child)
        save(first, "first")
        guard !first.isEmpty else { throw ConsoleBenchError(description: "console-child drew nothing after loading its alarms") }
        let memory = child.memoryKB()

        var keyBytes: [Double] = []
        for _ in 0..<keys {
            child.send("j")
            let frame = waitForFrame(child)
            save(frame, "key-j-\(keyBytes.count)")
            keyBytes.append(Double(frame.count))
            child.send("k")
            _ = waitForFrame(child)
        }

        var starts: [Double] = [], inPlace: [Double] = [], entering: [Double] = []
        for round in 0..<(4 * changes) {
            child.send("R")
            let start = try readUntilFetched(notify, child: child)
            save(start, "refresh-start-\(round)")
            starts.append(Double(start.count))
            let frame = waitForFrame(child)
            save(frame, (round < 2 * changes ? "in-place-" : "entering-") + "\(round)")
            if round < 2 * changes { inPlace.append(Double(frame.count)) } else { entering.append(Double(frame.count)) }
        }
        let peak = child.memoryKB()
        child.send("q")
        let status = child.finish()
        guard status == 0 else { throw ConsoleBenchError(description: "console-child exited with status \(status)") }
        return TerminalResult(
            idlePerSecond: try idleBytesPerSecond(seconds: changes > 1 ? 5 : 2),
            width: width, height: height, inPlace: Stats(inPlace), entering: Stats(entering), refreshStart: Stats(starts),
            key: Stats(keyBytes), firstFrame: first.count, memory: Memory(rss: memory.rss, hwm: max(memory.hwm, peak.hwm), anon: memory.anon, file: memory.file))
    }

    /// With the clock running and nothing else happening: what the ticking clock and the alarms'
    /// ages cost each second, counted over `seconds` whole seconds after the alarms are drawn.
    func idleBytesPerSecond(seconds: Int) throws -> Double {
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else { throw ConsoleBenchError(description: "pipe: \(String(cString: strerror(errno)))") }
        for fd in pipeFDs { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        defer { close(pipeFDs[0]) }
        let child: PTYProcess
        do {
            defer { close(pipeFDs[1]) }
            child = try PTYProcess(
                bench, ["console-child", "--alarms", "\(alarms)", "--notify-fd", "3", "--real-clock"],
                environment: ConsoleBenchProcess.terminalEnvironment(), width: width, height: height, extraFD: pipeFDs[1])
        }
        _ = try readUntilFetched(pipeFDs[0], child: child)
        _ = waitForFrame(child)
        var bytes = 0
        let end = Date().addingTimeInterval(Double(seconds))
        while Date() < end { bytes += child.read(timeout: end.timeIntervalSinceNow).count }
        child.send("q")
        child.finish()
        return Double(bytes) / Double(seconds)
    }

    /// Writes `bytes` to the dump folder, if there is one, as `WxH-name.bin`.
    func save(_ bytes: [UInt8], _ name: String) {
        guard let dump else { return }
        try? FileManager.default.createDirectory(atPath: dump, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: "\(dump)/\(width)x\(height)-\(name).bin", contents: Data(bytes))
    }

    /// What the child writes from now until it has been quiet for `quiet` seconds, waiting up to 20 s
    /// for the first byte.
    func waitForFrame(_ child: PTYProcess) -> [UInt8] {
        let first = child.read(timeout: 20)
        guard !first.isEmpty else { return [] }
        return first + child.readUntilQuiet(Self.quiet)
    }

    /// What the child writes until its fetch hands back its alarms (it waits `--delay-ms` first, so
    /// this is the frame drawn when the refresh started). The frame with the fetched alarms comes only
    /// after they are sorted and drawn, so it is not among these bytes.
    func readUntilFetched(_ notify: Int32, child: PTYProcess) throws -> [UInt8] {
        var bytes: [UInt8] = []
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            var fds = [pollfd(fd: notify, events: Int16(POLLIN), revents: 0), pollfd(fd: child.master, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 2, 1000) >= 0 || errno == EINTR else { break }
            if fds[1].revents & Int16(POLLIN) != 0 { bytes += child.read(timeout: 0) }
            if fds[0].revents & Int16(POLLIN) != 0 {
                var byte: UInt8 = 0
                _ = Glibc.read(notify, &byte, 1)
                while true {
                    let more = child.read(timeout: 0)
                    if more.isEmpty { return bytes }
                    bytes += more
                }
            }
            if child.reap() { break }
        }
        throw ConsoleBenchError(description: "console-child did not fetch its alarms within 20 s (or exited)")
    }
}
