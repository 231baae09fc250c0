import BreakglassAWS
import Foundation

/// Where a sandbox keeps its state: `$XDG_STATE_HOME/breakglass/sandbox/` (0700), with
/// - `sandbox.json` (0600): what runs (pids, port), the scenario, the sandbox's own keys;
/// - `engine.json` (0600): what the running engine has done (faults applied, recovered);
/// - `breakglass.yaml`: the configuration `--sandbox` uses (the roles, the runbooks);
/// - `state.db`: the sandbox's own incidents, runs, grants and audit trail (`--sandbox` uses it; a new
///   sandbox starts a new one and keeps the last as `state.previous.db`); `moto-PORT.log`,
///   `engine.log`, `watch.log`.
///
/// The keys are those of a moto_server on loopback that dies with `sandbox down`; they open nothing
/// else, so, unlike real credentials, they are kept in a file (0600).
public struct SandboxPaths: Sendable {
    public let directory: String

    public init(state: StatePaths = .current()) { directory = state.directory + "/sandbox" }
    public init(directory: String) { self.directory = directory }

    public var record: String { directory + "/sandbox.json" }
    public var engine: String { directory + "/engine.json" }
    public var config: String { directory + "/breakglass.yaml" }
    public var store: String { directory + "/state.db" }
    public var engineLog: String { directory + "/engine.log" }

    public func ensureDirectory() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory)
    }

    /// Writes `data` to `path` whole or not at all: a 0600 file beside it, then a rename.
    public static func writeAtomically(_ data: Data, to path: String, mode: Int = 0o600) throws {
        let temporary = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: mode]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary])
        }
        guard rename(temporary, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "rename: \(why)"])
        }
    }
}

/// The running sandbox, as `sandbox up` left it.
public struct SandboxRecord: Codable, Sendable, Equatable {
    public var scenario: String
    public var scenarioFile: String
    public var title: String
    public var region: String
    /// The supervisor (`breakglass sandbox serve`), which owns moto_server and runs the engine.
    public var supervisorPID: Int32
    public var motoPID: Int32
    /// Where clients connect: the sandbox's gateway, which relays to moto_server (`motoPort`).
    public var port: Int
    /// moto_server's own port, behind the gateway; nil in a record with no gateway.
    public var motoPort: Int?
    public var motoLog: String
    public var adminKeyID: String
    public var adminSecret: String
    public var adminARN: String
    public var seed: SandboxSeed
    public var started: Date
    /// Raised by each `sandbox seed`; the engine starts the scenario's faults over when it sees a new one.
    public var epoch: Int

    public var endpoint: String { "http://127.0.0.1:\(port)" }

    public var adminCredentials: AWSCredentials {
        AWSCredentials(accessKeyID: adminKeyID, secretAccessKey: adminSecret, source: "sandbox administrator")
    }

    public init(
        scenario: String, scenarioFile: String, title: String, region: String, supervisorPID: Int32, motoPID: Int32, port: Int, motoLog: String,
        adminKeyID: String, adminSecret: String, adminARN: String, seed: SandboxSeed, started: Date, epoch: Int = 0, motoPort: Int? = nil
    ) {
        self.motoPort = motoPort
        self.scenario = scenario
        self.scenarioFile = scenarioFile
        self.title = title
        self.region = region
        self.supervisorPID = supervisorPID
        self.motoPID = motoPID
        self.port = port
        self.motoLog = motoLog
        self.adminKeyID = adminKeyID
        self.adminSecret = adminSecret
        self.adminARN = adminARN
        self.seed = seed
        self.started = started
        self.epoch = epoch
    }

    /// The record of `scenario` (read from `file`) seeded as `seed` in `server`, behind `gateway`,
    /// run by this process.
    public init(server: LocalAWSServer, gateway: SandboxGateway, scenario: Scenario, file: String, seed: SandboxSeed, started: Date = Date()) {
        self.init(
            scenario: scenario.id, scenarioFile: file, title: scenario.title, region: scenario.region, supervisorPID: getpid(), motoPID: server.pid,
            port: gateway.port, motoLog: server.logPath, adminKeyID: server.adminCredentials.accessKeyID,
            adminSecret: server.adminCredentials.secretAccessKey, adminARN: server.adminARN, seed: seed, started: started, motoPort: server.port)
    }

    public static func read(_ paths: SandboxPaths) -> SandboxRecord? {
        guard let data = FileManager.default.contents(atPath: paths.record) else { return nil }
        return try? Self.decoder.decode(SandboxRecord.self, from: data)
    }

    public func write(_ paths: SandboxPaths) throws {
        try SandboxPaths.writeAtomically(try Self.encoder.encode(self), to: paths.record)
    }

    /// The JSON coding of the sandbox's files (sorted keys, ISO 8601 dates).
    public static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.dateEncodingStrategy = .iso8601
        return e
    }()
    public static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }()

    /// An AWS environment pointing at this sandbox with `credentials` (the operator's by default),
    /// with no shared config file in play.
    public func environment(credentials: AWSCredentials? = nil) -> AWSEnvironment {
        var variables = [
            "AWS_ENDPOINT_URL": endpoint, "AWS_REGION": region, "AWS_CONFIG_FILE": "/nonexistent/config",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials", "NO_PROXY": "127.0.0.1,localhost",
        ]
        if let c = credentials ?? seed.operatorCredentials ?? Optional(adminCredentials) {
            variables["AWS_ACCESS_KEY_ID"] = c.accessKeyID
            variables["AWS_SECRET_ACCESS_KEY"] = c.secretAccessKey
        }
        return AWSEnvironment(variables: variables)
    }
}

/// What the engine of the running sandbox has done, rewritten after each turn that did something.
public struct SandboxEngineStatus: Codable, Sendable, Equatable {
    public var epoch: Int
    public var faultsApplied: Int
    public var faultsTotal: Int
    public var recoveredAt: Date?
    /// When each alarm first went to ALARM since the scenario (re)started: by a fault, or at seeding
    /// for an alarm declared in ALARM.
    public var alarmedAt: [String: Date]
    /// The last events, oldest first, each with its time.
    public var events: [String]

    public init(epoch: Int, faultsApplied: Int = 0, faultsTotal: Int, recoveredAt: Date? = nil, alarmedAt: [String: Date] = [:], events: [String] = []) {
        self.epoch = epoch
        self.faultsApplied = faultsApplied
        self.faultsTotal = faultsTotal
        self.recoveredAt = recoveredAt
        self.alarmedAt = alarmedAt
        self.events = events
    }

    enum CodingKeys: String, CodingKey { case epoch, faultsApplied, faultsTotal, recoveredAt, alarmedAt, events }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epoch = try c.decode(Int.self, forKey: .epoch)
        faultsApplied = try c.decode(Int.self, forKey: .faultsApplied)
        faultsTotal = try c.decode(Int.self, forKey: .faultsTotal)
        recoveredAt = try c.decodeIfPresent(Date.self, forKey: .recoveredAt)
        alarmedAt = try c.decodeIfPresent([String: Date].self, forKey: .alarmedAt) ?? [:]
        events = try c.decode([String].self, forKey: .events)
    }

    /// A fresh status for `scenario` started at `started`: alarms declared in ALARM count from then.
    public static func starting(epoch: Int, scenario: Scenario, at started: Date, events: [String] = []) -> SandboxEngineStatus {
        let red = scenario.resources.alarms.filter { $0.state == "ALARM" }.map { ($0.name, started) }
        return SandboxEngineStatus(epoch: epoch, faultsTotal: scenario.faults.count, alarmedAt: Dictionary(red) { a, _ in a }, events: events)
    }

    /// Records what one turn of the engine did, at `now`.
    public mutating func record(_ events: [SandboxEvent], at now: Date) {
        for event in events {
            self.events.append("\(ISO8601.format(now)) \(event)")
            switch event {
            case .faultApplied, .faultFailed: faultsApplied += 1
            case .alarmRaised(let name): if alarmedAt[name] == nil { alarmedAt[name] = now }
            case .recovered: if recoveredAt == nil { recoveredAt = now }
            default: break
            }
        }
        self.events = Array(self.events.suffix(30))
    }

    public static func read(_ paths: SandboxPaths) -> SandboxEngineStatus? {
        guard let data = FileManager.default.contents(atPath: paths.engine) else { return nil }
        return try? SandboxRecord.decoder.decode(SandboxEngineStatus.self, from: data)
    }

    public func write(_ paths: SandboxPaths) throws {
        try SandboxPaths.writeAtomically(try SandboxRecord.encoder.encode(self), to: paths.engine)
    }
}

/// The `breakglass-sandbox` profile in the AWS shared config file (`AWS_CONFIG_FILE`, else
/// `~/.aws/config`): the sandbox's endpoint and region, and a `credential_process` that asks
/// `breakglass sandbox credentials` for the operator's key, so no key is written there. Any AWS
/// tool that reads profiles (`aws --profile breakglass-sandbox`, boto3) then talks to the sandbox.
public enum SandboxProfile {
    public static let name = "breakglass-sandbox"

    public static func configPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["AWS_CONFIG_FILE"], !path.isEmpty { return path }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.aws/config"
    }

    /// The profile's section.
    public static func section(endpoint: String, region: String, executable: String) -> String {
        """
        [profile \(name)]
        # Written by `breakglass sandbox up`; `breakglass sandbox down` removes it. Loopback only.
        region = \(region)
        endpoint_url = \(endpoint)
        credential_process = \(executable) sandbox credentials

        """
    }

    /// `text` without the profile's section (from its header to the next section).
    public static func removing(from text: String) -> String {
        var out: [Substring] = []
        var inside = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("[") {
                inside = trimmed == "[profile \(name)]"
                if inside { continue }
            }
            if !inside { out.append(line) }
        }
        var result = out.joined(separator: "\n")
        while result.hasSuffix("\n\n") { result.removeLast() }
        return result
    }

    /// Writes (or replaces) the section, keeping everything else in the file.
    public static func install(endpoint: String, region: String, executable: String, path: String) throws {
        let existing = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var text = removing(from: existing)
        if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
        if !text.isEmpty { text += "\n" }
        text += section(endpoint: endpoint, region: region, executable: executable)
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let mode = (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? 0o600
        try SandboxPaths.writeAtomically(Data(text.utf8), to: path, mode: mode)
    }

    /// Removes the section; leaves the file alone when it has none. Returns whether it removed one.
    @discardableResult
    public static func uninstall(path: String) throws -> Bool {
        guard let existing = try? String(contentsOfFile: path, encoding: .utf8), existing.contains("[profile \(name)]") else { return false }
        var text = removing(from: existing)
        if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
        let mode = (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? 0o600
        try SandboxPaths.writeAtomically(Data(text.utf8), to: path, mode: mode)
        return true
    }
}

/// The configuration `breakglass --sandbox` uses: the scenario's break-glass roles (with the
/// operator's MFA device), the runbooks beside the scenarios, and the demo's escalation plan, so the
/// console, `access request` and `runbook run` work on the sandbox as they would on a real account.
public enum SandboxConfig {
    public static func yaml(record: SandboxRecord, scenario: Scenario, runbooks: String?, paging: String) -> String {
        var lines = [
            "# Written by `breakglass sandbox up` for `breakglass --sandbox`. Rewritten by each `sandbox up`.",
            "aws: { regions: [\(record.region)] }",
        ]
        if !scenario.resources.roles.isEmpty {
            lines.append("access:")
            lines.append("  criteria:")
            lines.append("    - A customer-facing alarm is in ALARM")
            lines.append("    - The normal deploy or access path cannot fix it")
            lines.append("  roles:")
            for role in scenario.resources.roles {
                let arn = record.seed.roles[role.name] ?? "arn:aws:iam::\(record.seed.account):role/\(role.name)"
                var fields = ["arn: \"\(arn)\"", "mfa: \(role.mfa)", "max: \(DurationSyntax.format(role.maxSession))"]
                if role.mfa, let op = record.seed.operatorName { fields.append("mfa_serial: \"arn:aws:iam::\(record.seed.account):mfa/\(op)\"") }
                lines.append("    \(role.name): { \(fields.joined(separator: ", ")) }")
            }
        }
        if let runbooks { lines.append("runbooks: [\"\(runbooks)\"]") }
        return lines.joined(separator: "\n") + "\n" + paging + "\n"
    }
}

extension SandboxConfig {
    /// The configuration for `scenario`, read from `scenarioPath`: the runbooks are those of the
    /// checkout the scenario sits in (`../runbooks`), when it has them.
    public static func yaml(record: SandboxRecord, scenario: Scenario, scenarioPath: String) -> String {
        let runbooks = ((scenarioPath as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent + "/runbooks"
        let dir = FileManager.default.fileExists(atPath: runbooks) ? runbooks : nil
        let known = dir.map { d in
            Set(((try? FileManager.default.contentsOfDirectory(atPath: d)) ?? []).filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) })
        }
        return yaml(record: record, scenario: scenario, runbooks: dir, paging: paging(runbooks: scenario.runbooks, knownRunbooks: known))
    }

    /// The sandbox's paging: every alarm of the scenario joins one incident (resolved on its own
    /// once every alarm is OK again) that pages the primary, then the secondary; the scenario's
    /// runbooks are suggested for it. Contacts have no channel but the console.
    public static func paging(runbooks: [String], knownRunbooks: Set<String>?) -> String {
        let suggested = runbooks.filter { knownRunbooks?.contains($0) ?? true }
        var text = """
            contacts:
              primary: { name: "Primary on-call" }
              secondary: { name: "Secondary on-call" }
            escalation:
              sandbox:
                stages:
                  - { notify: [primary], wait: 1m }
                  - { notify: [secondary], wait: 2m }
            response:
              - match: { alarm: "*" }
                severity: 2
                escalation: sandbox
                auto_resolve: true
            """
        if !suggested.isEmpty { text += "\n    runbooks: [\(suggested.joined(separator: ", "))]" }
        return text
    }
}
