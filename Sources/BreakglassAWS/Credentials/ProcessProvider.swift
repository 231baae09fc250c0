import Foundation

/// `credential_process`: runs the profile's command without a shell and reads the credentials it
/// prints as JSON (`Version` 1, `AccessKeyId`, `SecretAccessKey`, optional `SessionToken` and
/// `Expiration`). Its stdout holds secrets, so no error ever quotes it; its stderr is quoted, since
/// that is where such tools explain themselves.
public struct ProcessCredentialProvider: Sendable {
    /// The command line as written in the profile.
    public let command: String
    /// "profile ops in ~/.aws/config:4", for messages.
    public let origin: String
    public let variables: [String: String]

    public init(command: String, origin: String, variables: [String: String]) {
        self.command = command
        self.origin = origin
        self.variables = variables
    }

    /// Splits a command line as the SDKs do on POSIX (Python's `shlex.split`): whitespace separates
    /// words; single quotes keep everything literally; double quotes keep everything but `\"`, `\\`,
    /// `\$`, `` \` ``; a backslash outside quotes escapes the next character. nil when a quote is
    /// left open.
    public static func split(_ line: String) -> [String]? {
        var words: [String] = []
        var word = ""
        var inWord = false
        var it = Array(line).makeIterator()
        while let c = it.next() {
            switch c {
            case " ", "\t", "\n", "\r":
                if inWord { words.append(word); word = ""; inWord = false }
            case "'":
                inWord = true
                var closed = false
                while let d = it.next() {
                    if d == "'" { closed = true; break }
                    word.append(d)
                }
                if !closed { return nil }
            case "\"":
                inWord = true
                var closed = false
                while let d = it.next() {
                    if d == "\"" { closed = true; break }
                    if d == "\\" {
                        guard let e = it.next() else { return nil }
                        if e == "\"" || e == "\\" || e == "$" || e == "`" { word.append(e) } else if e != "\n" { word.append(d); word.append(e) }
                        continue
                    }
                    word.append(d)
                }
                if !closed { return nil }
            case "\\":
                inWord = true
                guard let e = it.next() else { return nil }
                if e != "\n" { word.append(e) }
            default:
                inWord = true
                word.append(c)
            }
        }
        if inWord { words.append(word) }
        return words
    }

    /// Runs the command (blocking this thread until it exits) and parses its answer.
    public func runBlocking() throws(AWSError) -> AWSCredentials {
        guard let words = Self.split(command), let program = words.first else {
            throw .credentials("\(origin): credential_process \"\(command)\" is not a command line (empty, or a quote is not closed)")
        }
        guard let executable = locate(program) else {
            throw .credentials("\(origin): credential_process program \"\(program)\" not found (looked in PATH)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(words.dropFirst())
        process.environment = variables
        // Keystrokes belong to Breakglass (the console reads the terminal); tools that must ask a
        // person something open /dev/tty themselves.
        process.standardInput = FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch {
            throw .credentials("\(origin): cannot run credential_process \"\(program)\": \(error.localizedDescription)")
        }
        // Drain both pipes at once so a chatty stderr cannot block the process writing stdout.
        let errBox = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errBox.set(err.fileHandleForReading.readDataToEndOfFile())
            group.leave()
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        let stderr = Self.excerpt(errBox.get())
        let stderrNote = stderr.isEmpty ? "" : "; its stderr says: \(stderr)"
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let how = process.terminationReason == .exit ? "exited with status \(process.terminationStatus)" : "was killed by signal \(process.terminationStatus)"
            throw .credentials("\(origin): credential_process \"\(program)\" \(how)\(stderrNote)")
        }
        return try parse(stdout, stderrNote: stderrNote)
    }

    /// Runs the command on a background thread.
    public func run() async throws(AWSError) -> AWSCredentials {
        let result: Result<AWSCredentials, AWSError> = await withCheckedContinuation { cont in
            DispatchQueue.global(qos: .userInitiated).async {
                do throws(AWSError) { cont.resume(returning: .success(try self.runBlocking())) } catch { cont.resume(returning: .failure(error)) }
            }
        }
        return try result.get()
    }

    func parse(_ stdout: Data, stderrNote: String) throws(AWSError) -> AWSCredentials {
        let what = "\(origin): credential_process output"
        guard let json = try? JSON.decode(Array(stdout)), json.object != nil else {
            throw .credentials("\(what) is not a JSON object (\(stdout.count) bytes, not shown: they may hold secrets)\(stderrNote)")
        }
        guard let version = json["Version"]?.int else { throw .credentials("\(what) has no Version (expected 1)\(stderrNote)") }
        guard version == 1 else { throw .credentials("\(what) has Version \(version); only Version 1 is understood") }
        guard let id = json["AccessKeyId"]?.string, !id.isEmpty else { throw .credentials("\(what) has no AccessKeyId\(stderrNote)") }
        guard let secret = json["SecretAccessKey"]?.string, !secret.isEmpty else { throw .credentials("\(what) has no SecretAccessKey\(stderrNote)") }
        var expiration: Date?
        if let raw = json["Expiration"]?.string {
            guard let d = ISO8601.parse(raw) else { throw .credentials("\(what) has an Expiration that is not ISO 8601: \(raw)") }
            expiration = d
        }
        let token = json["SessionToken"]?.string
        return AWSCredentials(
            accessKeyID: id, secretAccessKey: secret, sessionToken: token?.isEmpty == false ? token : nil,
            expiration: expiration, source: "credential_process of \(origin)")
    }

    func locate(_ program: String) -> String? {
        if program.contains("/") {
            let p = program.hasPrefix("~/") ? (variables["HOME"] ?? NSHomeDirectory()) + program.dropFirst(1) : program
            return FileManager.default.isExecutableFile(atPath: p) ? p : nil
        }
        let path = variables["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The end of stderr, trimmed, with control characters (terminal escapes) replaced.
    static func excerpt(_ data: Data) -> String {
        var s = String(decoding: data.suffix(1000), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        s = String(s.unicodeScalars.map { $0.value < 0x20 && $0 != "\n" || $0.value == 0x7F ? "?" : Character($0) })
        return s.replacingOccurrences(of: "\n", with: " | ")
    }
}

private final class DataBox: @unchecked Sendable {
    // Written once by the reader thread before `group.leave()`, read after `group.wait()`.
    private let lock = NSLock()
    private var data = Data()
    func set(_ d: Data) { lock.withLock { data = d } }
    func get() -> Data { lock.withLock { data } }
}
