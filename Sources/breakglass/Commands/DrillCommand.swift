import ArgumentParser
import BreakglassAWS
import BreakglassCore
import BreakglassTUI
import Foundation

struct DrillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill",
        abstract: "Break a sandbox on purpose, watch the time to recovery, and report it.",
        discussion: """
            breakglass drill start holiday-sale --target 15m     (the facilitator; the participant then works in `breakglass --sandbox`)
            breakglass drill start holiday-sale --staging        (the same on the staging account the config names, after typing its id)
            breakglass drill watch                               (the facilitator, in a second session: live, `n` adds a note)
            breakglass drill stop                                (ends it, restores access, takes the sandbox down)
            breakglass drill report                              (Markdown and HTML with a timeline)
            breakglass drill history                             (the trend across drills)
            """,
        subcommands: [DrillStartCommand.self, DrillWatchCommand.self, DrillStopCommand.self, DrillReportCommand.self, DrillHistoryCommand.self,
                      DrillEngineCommand.self])
}

/// Where drills live: the drill records in the operator's own state (not the sandbox's, which a new
/// sandbox replaces), and each stopped drill's archive in `$XDG_STATE_HOME/breakglass/drills/ID/`:
/// `sandbox.db` (a copy of the sandbox's state: its audit trail is the drill's evidence),
/// `signals.json` (when each alarm went red, when the recovery held), `engine.log`, and the reports.
struct DrillPlace: Sendable {
    let state: StatePaths
    let store: Store
    let drills: DrillStore
    /// The runbooks' step ids and titles, read once (the watch view builds a timeline every second).
    let steps: [String: [DrillStepInfo]]

    static func open(_ options: StoreOptions) throws -> DrillPlace {
        let state = StatePaths.current()
        let store: Store
        do { store = try options.open() } catch { throw report(error) }
        return DrillPlace(state: state, store: store, drills: DrillStore(log: AuditLog(store: store)), steps: stepCatalog())
    }

    func folder(_ id: Int64) -> String { state.directory + "/drills/\(id)" }

    /// `id`, else the running drill, else the newest.
    func drill(_ id: Int64?) throws -> Drill {
        do {
            if let id {
                guard let found = try drills.drill(id) else { throw report(ValidationError("there is no drill \(id); `breakglass drill history` lists them")) }
                return found
            }
            if let running = try drills.current() { return running }
            guard let newest = try drills.list().last else { throw report(ValidationError("no drill has been run yet; start one with `breakglass drill start SCENARIO`")) }
            return newest
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw report(error)
        }
    }

    /// What the drill's timeline is built from: the live sandbox while it runs, its archive after.
    func evidence(_ drill: Drill) -> (entries: [AuditEntry], signals: DrillSignals) {
        let sandboxDB: String
        let signals: DrillSignals
        if StagingDrill.read(folder(drill.id)) != nil {
            // On staging the participant works in the operator's own state; the engine's status is
            // in the drill's folder, running or stopped.
            let status = SandboxEngineStatus.read(StagingDrill.paths(folder(drill.id)))
            let entries = (try? AuditLog(store: store).entries()) ?? []
            return (entries, DrillSignals(alarmedAt: status?.alarmedAt ?? [:], recoveredAt: status?.recoveredAt))
        }
        if drill.status == .running {
            let paths = SandboxPaths(state: state)
            sandboxDB = paths.store
            let status = SandboxEngineStatus.read(paths)
            signals = DrillSignals(alarmedAt: status?.alarmedAt ?? [:], recoveredAt: status?.recoveredAt)
        } else {
            sandboxDB = folder(drill.id) + "/sandbox.db"
            signals = DrillArchive.readSignals(folder(drill.id)) ?? DrillSignals()
        }
        guard FileManager.default.fileExists(atPath: sandboxDB), let store = try? Store.open(path: sandboxDB) else { return ([], signals) }
        defer { store.close() }
        let entries = (try? AuditLog(store: store).entries()) ?? []
        return (entries, signals)
    }

    /// The drill's timeline at `now`, with the runbooks' step titles when they can be found. The
    /// sandbox's own AWS calls (seeding, each fault's calls: dozens for a queue filled) are left out
    /// of the event log; what the engine did is told once per fault from its log instead.
    func timeline(_ drill: Drill, now: Date = Date()) -> DrillTimeline {
        let (entries, signals) = evidence(drill)
        let participantSide = entries.filter { !($0.draft.context.drill == drill.auditID && $0.draft.kind.hasPrefix("aws.")) }
        var timeline = DrillTimeline.build(drill: drill, entries: participantSide, signals: signals, steps: steps, now: now)
        let end = min(drill.stoppedAt ?? now, now)
        let engine = drill.status == .running && StagingDrill.read(folder(drill.id)) == nil ? SandboxPaths(state: state).engineLog : folder(drill.id) + "/engine.log"
        let lines = (try? String(contentsOfFile: engine, encoding: .utf8))?.split(separator: "\n") ?? []
        for line in lines {
            guard let space = line.firstIndex(of: " "), let at = ISO8601.parse(String(line[..<space])), at >= drill.startedAt, at <= end else { continue }
            let text = String(line[line.index(after: space)...])
            // An alarm going red is already in the log from the sandbox's signals.
            if text.hasPrefix("alarm "), text.hasSuffix(" is in ALARM") { continue }
            timeline.events.append(DrillEvent(at: at, offset: at.timeIntervalSince(drill.startedAt), kind: "sandbox", by: "sandbox", text: text))
        }
        timeline.events.sort { $0.at < $1.at }
        return timeline
    }

    /// Step ids and titles of the runbooks in the usual folders (and the checkout's).
    static func stepCatalog() -> [String: [DrillStepInfo]] {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        var config = BreakglassConfig()
        if let checkout = ScenarioOptions.checkoutDirectory() { config.runbooks.append(Located(checkout + "/runbooks", at: .file("checkout"))) }
        let catalog = RunbookDiscovery(currentDirectory: FileManager.default.currentDirectoryPath, home: home).catalog(config)
        return DrillStepInfo.catalog(catalog.entries.map(\.runbook))
    }
}

/// A stopped drill's evidence, kept after its sandbox is gone.
enum DrillArchive {
    struct Signals: Codable {
        var alarmedAt: [String: Date]
        var recoveredAt: Date?
    }

    static func readSignals(_ folder: String) -> DrillSignals? {
        guard let data = FileManager.default.contents(atPath: folder + "/signals.json"),
            let s = try? SandboxRecord.decoder.decode(Signals.self, from: data)
        else { return nil }
        return DrillSignals(alarmedAt: s.alarmedAt, recoveredAt: s.recoveredAt)
    }

    /// Copies the sandbox's state (`VACUUM INTO`, a consistent copy while others may write), the
    /// engine's signals and its log into `folder` (0700, files 0600).
    static func keep(_ paths: SandboxPaths, into folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let copy = folder + "/sandbox.db"
        try? FileManager.default.removeItem(atPath: copy)
        let store = try Store.open(path: paths.store)
        defer { store.close() }
        try store.copy(to: copy)
        let status = SandboxEngineStatus.read(paths)
        let signals = Signals(alarmedAt: status?.alarmedAt ?? [:], recoveredAt: status?.recoveredAt)
        try SandboxPaths.writeAtomically(try SandboxRecord.encoder.encode(signals), to: folder + "/signals.json")
        if let log = FileManager.default.contents(atPath: paths.engineLog) {
            try SandboxPaths.writeAtomically(log, to: folder + "/engine.log")
        }
    }
}

/// The inline policy that takes a sandbox user's normal access away for a drill: everything but
/// assuming a role (break-glass) and asking who it is is denied.
enum DrillDenial {
    static let policyName = "breakglass-drill-deny-normal-access"
    static let policy = #"{"Version":"2012-10-17","Statement":[{"Sid":"DrillDenyNormalAccess","Effect":"Deny","NotAction":["sts:AssumeRole","sts:GetCallerIdentity"],"Resource":"*"}]}"#

    static func client(_ record: SandboxRecord, drill: Int64) throws -> AWSClient {
        let (_, journal) = try sandboxJournal(SandboxPaths(), what: String(drill))
        return AWSClient(
            credentials: record.adminCredentials, endpoints: EndpointResolver(environment: record.environment(credentials: record.adminCredentials)),
            transport: CurlTransport(), journal: journal)
    }

    static func deny(_ user: String, record: SandboxRecord, drill: Int64) async throws {
        try await deny(user, client: client(record, drill: drill), region: record.region)
    }

    static func restore(_ user: String, record: SandboxRecord, drill: Int64) async throws {
        try await restore(user, client: client(record, drill: drill), region: record.region)
    }

    static func deny(_ user: String, client: AWSClient, region: String) async throws {
        _ = try await client.call(
            AWSCatalog.lookup(service: "iam", name: "PutUserPolicy"),
            ["UserName": .string(user), "PolicyName": .string(policyName), "PolicyDocument": .string(policy)], region: region)
    }

    static func restore(_ user: String, client: AWSClient, region: String) async throws {
        _ = try await client.call(
            AWSCatalog.lookup(service: "iam", name: "DeleteUserPolicy"), ["UserName": .string(user), "PolicyName": .string(policyName)], region: region)
    }
}

struct DrillStartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start", abstract: "Bring a scenario's sandbox up, break it on its schedule, and start the drill clock.")

    @Argument(help: "The scenario: an id from the scenarios folder, or a file.") var scenario: String
    @Option(help: "The participant's OS user: only their actions count for the milestones. Default: anyone's.") var participant: String?
    @Option(help: "The time to recovery to aim for, e.g. 15m.") var target = "15m"
    @Flag(help: "Deny the sandbox's on-call user everything but break-glass (sts:AssumeRole) for the drill; drill stop restores it.")
    var denyNormalAccess = false
    @Option(help: "How long to wait for the sandbox to come up.") var timeout = "120s"
    @Flag(help: "Break the staging account the configuration names (drills.staging) instead of a local sandbox: real AWS calls, after its id is typed (docs/DRILLS.md).")
    var staging = false
    @Option(name: .customLong("confirm"), help: ArgumentHelp("With --staging and no terminal: the staging account's id, confirming the drill may break it.", valueName: "account"))
    var confirmAccount: String?
    @OptionGroup var options: ScenarioOptions
    @OptionGroup var state: StoreOptions
    @OptionGroup var config: ConfigOptions

    func validate() throws {
        guard let t = DurationSyntax.parse(target), t >= .seconds(10), t <= .seconds(86400) else {
            throw ValidationError("--target: expected a duration from 10s to 24h, like 15m")
        }
        if let p = participant, p.isEmpty || p.contains(where: { $0.isWhitespace || $0.isNewline }) {
            throw ValidationError("--participant: expected an OS user name")
        }
        if confirmAccount != nil && !staging { throw ValidationError("--confirm goes with --staging") }
    }

    /// Opens the drill state and records the drill as started (on the sandbox or on staging); the
    /// caller closes the store.
    func beginDrill(_ loaded: Scenario, goal: Duration) throws -> (place: DrillPlace, drill: Drill, actor: AuditActor) {
        let place = try DrillPlace.open(state)
        let actor = AuditActor.current()
        do {
            return (place, try place.drills.start(scenario: loaded.id, participant: participant, target: goal, actor: actor, now: Date()), actor)
        } catch {
            place.store.close()
            throw report(error)
        }
    }

    func run() async throws {
        guard let wait = DurationSyntax.parse(timeout) else { throw ValidationError("--timeout: expected a duration like 90s") }
        let goal = DurationSyntax.parse(target) ?? Drill.defaultTarget
        let (loaded, path) = try options.load(scenario)
        if staging { return try await startStaging(loaded, path: path, goal: goal, wait: wait) }
        let (place, drill, actor) = try beginDrill(loaded, goal: goal)
        defer { place.store.close() }
        let record: SandboxRecord
        do {
            (record, _) = try bringUpSandbox(loaded, path: path, wait: wait, profile: true, drill: drill.auditID)
        } catch {
            // No sandbox, no drill: the record says it stopped at once.
            _ = try? place.drills.stop(drill.id, actor: actor, now: Date())
            throw error
        }
        var denied: String?
        if denyNormalAccess, let user = record.seed.operatorName {
            do {
                try await DrillDenial.deny(user, record: record, drill: drill.id)
                denied = user
            } catch {
                FileHandle.standardError.write(Data("breakglass: could not deny \(user)'s normal access: \(error)\n".utf8))
            }
        }
        if let denied { try? SandboxPaths.writeAtomically(Data(denied.utf8), to: SandboxPaths().directory + "/drill-denied") }
        let roles = loaded.resources.roles.map(\.name).joined(separator: ", ")
        print("""
            drill \(drill.id) started: `\(loaded.id)` — \(TerminalText.sanitize(loaded.title))
              target      \(DurationSyntax.format(goal)) to recover
              participant \(participant.map(TerminalText.sanitize) ?? "anyone on this machine")
              sandbox     \(record.endpoint) (\(loaded.faults.count) faults on schedule)
              access      \(denied.map { "\($0)'s normal access is denied: only break-glass (\(roles)) works" } ?? "as in the scenario (read-only; break-glass: \(roles))")

            The participant works in:   breakglass --sandbox        (the console)
            Watch it live:              breakglass drill watch      (n adds a note)
            End it:                     breakglass drill stop       then: breakglass drill report
            """)
    }
}

struct DrillWatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "The facilitator's live view: the participant's step, each milestone's time, the clock against the target; n adds a note.")

    @Argument(help: "The drill. Default: the running one, else the newest.") var id: Int64?
    @Option(help: "A theme: \(Theme.builtInNames.joined(separator: ", ")).") var theme = "default"
    @OptionGroup var state: StoreOptions

    func run() async throws {
        let place = try DrillPlace.open(state)
        let drill = try place.drill(id)
        let store = place.store
        // SQLite and file reads happen on a queue of their own, not on the two cooperative threads.
        let disk = DispatchQueue(label: "drill-watch disk")
        @Sendable func onDisk<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
            try await withCheckedThrowingContinuation { continuation in disk.async { continuation.resume(with: Result { try work() }) } }
        }
        let dependencies = DrillWatchDependencies(
            load: {
                try await onDisk {
                    // Read anew each time: notes, the stop, and the sandbox's trail change under us.
                    let current = try DrillStore(log: AuditLog(store: store)).drill(drill.id) ?? drill
                    return place.timeline(current)
                }
            },
            addNote: { text in
                try await onDisk { _ = try DrillStore(log: AuditLog(store: store)).addNote(text, to: drill.id, actor: AuditActor.current(), now: Date()) }
            })
        let code = await runDrillWatch(options: DrillWatchOptions(themeName: theme), dependencies: dependencies)
        store.close()
        if code != 0 { throw ExitCode(code) }
    }
}

struct DrillStopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "End the running drill: keep its evidence, restore normal access, take the sandbox down.")

    @OptionGroup var state: StoreOptions
    @OptionGroup var config: ConfigOptions

    func run() async throws {
        let place = try DrillPlace.open(state)
        defer { place.store.close() }
        let running: Drill
        do {
            guard let found = try place.drills.current() else { throw report(ValidationError("no drill is running")) }
            running = found
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw report(error)
        }
        if let staging = StagingDrill.read(place.folder(running.id)) { return try await stopStaging(running, staging, place: place) }
        let paths = SandboxPaths()
        let record = SandboxRecord.read(paths)
        // Normal access first, while the sandbox still answers.
        let deniedFile = paths.directory + "/drill-denied"
        if let record, let user = FileManager.default.contents(atPath: deniedFile).map({ String(decoding: $0, as: UTF8.self) }) {
            do {
                try await DrillDenial.restore(user, record: record, drill: running.id)
                try? FileManager.default.removeItem(atPath: deniedFile)
                print("restored \(user)'s normal access")
            } catch {
                FileHandle.standardError.write(Data("breakglass: could not restore \(user)'s normal access: \(error)\n".utf8))
            }
        }
        let stopped: Drill
        do { stopped = try place.drills.stop(running.id, actor: AuditActor.current(), now: Date()) } catch { throw report(error) }
        do {
            try DrillArchive.keep(paths, into: place.folder(stopped.id))
        } catch {
            FileHandle.standardError.write(Data("breakglass: could not keep the sandbox's evidence in \(place.folder(stopped.id)): \(error)\n".utf8))
        }
        if let record { stopSandbox(record, paths: paths) }
        try? FileManager.default.removeItem(atPath: deniedFile)
        let timeline = place.timeline(stopped)
        print("drill \(stopped.id) stopped after \(DrillFormat.clock(stopped.stoppedAt.map { $0.timeIntervalSince(stopped.startedAt) } ?? 0)): \(timeline.clock.summary)")
        if record != nil { print("the sandbox is down; its evidence is kept in \(place.folder(stopped.id))") }
        print("report:  breakglass drill report \(stopped.id)")
    }
}

extension DrillStopCommand {
    /// A staging drill: its engine stops (no more faults), the denied user gets their access back,
    /// the clock stops. What the faults broke stays broken until someone mends it: the report and
    /// the participant's runbooks say what was done.
    func stopStaging(_ running: Drill, _ staging: StagingDrill, place: DrillPlace) async throws {
        if let pid = staging.enginePID, DetachedProcess.isAlive(pid) { DetachedProcess.stop(pid) }
        if let user = staging.deniedUser {
            do {
                let config = try self.config.load().config
                let env = config.awsEnvironment(variables: ProcessInfo.processInfo.environment, commandLineProfile: staging.profile).0
                let client = try await AWSClient.fromEnvironment(env, mfaCode: nil)
                try await DrillDenial.restore(user, client: stagingJournaled(client, store: place.store, drill: running), region: staging.region)
                var kept = staging
                kept.deniedUser = nil
                try? kept.write(place.folder(running.id))
                print("restored \(user)'s normal access in staging account \(staging.account)")
            } catch {
                FileHandle.standardError.write(Data("breakglass: could not restore \(user)'s normal access in staging account \(staging.account): \(error)\n".utf8))
            }
        }
        let stopped: Drill
        do { stopped = try place.drills.stop(running.id, actor: AuditActor.current(), now: Date()) } catch { throw report(error) }
        let timeline = place.timeline(stopped)
        print("drill \(stopped.id) stopped after \(DrillFormat.clock(stopped.stoppedAt.map { $0.timeIntervalSince(stopped.startedAt) } ?? 0)): \(timeline.clock.summary)")
        print("staging account \(staging.account): no more faults; what they changed stays as the participant left it")
        print("report:  breakglass drill report \(stopped.id)")
    }
}

struct DrillReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Write a drill's report as Markdown and a self-contained HTML page, and print where.")

    @Argument(help: "The drill. Default: the running one, else the newest.") var id: Int64?
    @OptionGroup var state: StoreOptions

    func run() throws {
        let place = try DrillPlace.open(state)
        defer { place.store.close() }
        let drill = try place.drill(id)
        let timeline = place.timeline(drill)
        let folder = place.folder(drill.id)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try SandboxPaths.writeAtomically(Data(DrillReport.markdown(timeline).utf8), to: folder + "/report.md")
            try SandboxPaths.writeAtomically(Data(DrillReport.html(timeline).utf8), to: folder + "/report.html")
        } catch {
            throw report(error)
        }
        print(timeline.clock.summary)
        print(folder + "/report.md")
        print(folder + "/report.html")
    }
}

struct DrillHistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Time to acknowledge, access and recover across drills, as a trend.")

    @Option(help: "table or json.") var output: OutputFormat = .table
    @Flag(help: "ASCII sparklines (also when the terminal cannot show Unicode blocks).") var ascii = false
    @OptionGroup var state: StoreOptions

    func run() throws {
        let place = try DrillPlace.open(state)
        defer { place.store.close() }
        let drills: [Drill]
        do { drills = try place.drills.list() } catch { throw report(error) }
        let history = DrillHistory(drills.map { place.timeline($0) })
        switch output {
        case .json: print(JSON.encode(history.json, pretty: true))
        case .table:
            if drills.isEmpty {
                print("No drills yet; start one with `breakglass drill start SCENARIO`.")
            } else {
                let utf8 = (ProcessInfo.processInfo.environment["LANG"] ?? ProcessInfo.processInfo.environment["LC_ALL"] ?? "").uppercased().contains("UTF")
                print(history.text(ascii: ascii || !utf8))
            }
        }
    }
}
