import ArgumentParser
import BreakglassAWS
import BreakglassCore
import Foundation
import Synchronization

/// A drill on the staging account the config names (`drills.staging`) instead of the local sandbox.
///
/// Nothing is created there: the scenario's resources must already exist under its names, and are
/// checked first (read-only). Its faults are real AWS calls, so the account is confirmed before
/// anything is touched: its id typed at a prompt, or `--confirm ACCOUNT` where there is no terminal.
/// The scenario's engine then runs detached (`drill engine`), with the staging credentials in its
/// memory only, writing its status and log into the drill's folder; `drill stop` stops it and
/// restores the denied user's access. The participant works on staging with their usual tools
/// (`breakglass --profile PROFILE`), so their steps land in the operator's own audit trail.
struct StagingDrill: Codable, Sendable {
    var profile: String
    var account: String
    /// Who the profile signs in as there (sts:GetCallerIdentity).
    var caller: String
    var region: String
    var scenarioFile: String
    var enginePID: Int32?
    /// The IAM user whose normal access is denied until `drill stop`.
    var deniedUser: String?

    static func file(_ folder: String) -> String { folder + "/staging.json" }

    static func read(_ folder: String) -> StagingDrill? {
        guard let data = FileManager.default.contents(atPath: file(folder)) else { return nil }
        return try? SandboxRecord.decoder.decode(StagingDrill.self, from: data)
    }

    func write(_ folder: String) throws {
        try SandboxPaths.writeAtomically(try SandboxRecord.encoder.encode(self), to: Self.file(folder))
    }

    /// Where the engine writes `engine.json` and `engine.log`: the drill's own folder.
    static func paths(_ folder: String) -> SandboxPaths { SandboxPaths(directory: folder) }
}

extension DrillStartCommand {
    /// `drill start SCENARIO --staging`: check, confirm, deny, start the engine, start the clock.
    func startStaging(_ loaded: Scenario, path: String, goal: Duration, wait: Duration) async throws {
        let config = try self.config.load().config
        guard let staging = config.drills.staging else {
            throw report(ValidationError("--staging: the configuration names no staging account; add `drills: { staging: { profile: NAME } }` (docs/DRILLS.md)"))
        }
        let only = StagingPreflight.sandboxOnly(loaded)
        if !only.isEmpty {
            throw report(ValidationError("scenario `\(loaded.id)` (\(path)) needs the local sandbox and cannot run on staging:\n  " + only.joined(separator: "\n  ")))
        }
        if denyNormalAccess, staging.denyUser == nil {
            throw report(ValidationError("--deny-normal-access on staging needs the user to deny: set drills.staging.deny_user (\(staging.profile.location))"))
        }
        var scenario = loaded
        if let region = staging.region { scenario.region = region }
        let profile = staging.profile.value

        // Who the profile is, and whether the scenario's resources are there: all reads.
        let env = config.awsEnvironment(variables: ProcessInfo.processInfo.environment, commandLineProfile: profile).0
        let client: AWSClient
        let identity: AWSValue
        do {
            client = try await AWSClient.fromEnvironment(env, mfaCode: terminalMFAPrompt())
            identity = try await client.call(AWSCatalog.lookup(service: "sts", name: "GetCallerIdentity"), [:], region: scenario.region).value
        } catch {
            throw report(error)
        }
        let account = identity["Account"]?.string ?? ""
        let caller = identity["Arn"]?.string ?? "?"
        if let expected = staging.account, expected != account {
            throw report(ValidationError("profile `\(profile)` answers for account \(account), not the staging account \(expected) the configuration names (\(staging.profile.location)); nothing was changed"))
        }
        FileHandle.standardError.write(Data("Checking that staging account \(account) has the scenario's resources (reads only)…\n".utf8))
        let findings = await StagingPreflight.survey(scenario, signals: SandboxSignals(client: client, region: scenario.region))
        if !findings.problems.isEmpty {
            throw report(ValidationError("staging account \(account) (profile `\(profile)`, \(scenario.region)) cannot play `\(loaded.id)`; nothing was changed:\n  "
                + findings.problems.map(TerminalText.sanitize).joined(separator: "\n  ")))
        }

        try confirm(account: account, caller: caller, profile: profile, scenario: scenario)

        let (place, drill, actor) = try beginDrill(loaded, goal: goal)
        defer { place.store.close() }
        let folder = place.folder(drill.id)
        var record = StagingDrill(profile: profile, account: account, caller: caller, region: scenario.region, scenarioFile: path)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try record.write(folder)
            var status = SandboxEngineStatus.starting(epoch: 1, scenario: scenario, at: drill.startedAt)
            status.alarmedAt = Dictionary(findings.alarmsRed.map { ($0, drill.startedAt) }) { a, _ in a }
            try status.write(StagingDrill.paths(folder))
        } catch {
            _ = try? place.drills.stop(drill.id, actor: actor, now: Date())
            throw report(error)
        }
        if denyNormalAccess, let user = staging.denyUser {
            do {
                try await DrillDenial.deny(user, client: stagingJournaled(client, store: place.store, drill: drill), region: scenario.region)
                record.deniedUser = user
                try? record.write(folder)
            } catch {
                FileHandle.standardError.write(Data("breakglass: could not deny \(user)'s normal access: \(error)\n".utf8))
            }
        }
        do {
            record.enginePID = try startEngine(drill: drill, folder: folder, credentials: client.credentials, profile: profile, scenario: scenario, path: path,
                                               baseline: findings.baseline, account: account, wait: wait)
            try record.write(folder)
        } catch {
            if let user = record.deniedUser { try? await DrillDenial.restore(user, client: stagingJournaled(client, store: place.store, drill: drill), region: scenario.region) }
            _ = try? place.drills.stop(drill.id, actor: actor, now: Date())
            throw error
        }
        let roles = loaded.resources.roles.map(\.name).joined(separator: ", ")
        print("""
            drill \(drill.id) started on STAGING: `\(loaded.id)` — \(TerminalText.sanitize(loaded.title))
              target      \(DurationSyntax.format(goal)) to recover
              participant \(participant.map(TerminalText.sanitize) ?? "anyone on this machine")
              staging     account \(account), profile `\(profile)`, \(scenario.region) (\(loaded.faults.count) faults on schedule, real AWS calls)
              access      \(record.deniedUser.map { "\($0)'s normal access is denied: only break-glass\(roles.isEmpty ? "" : " (\(roles))") works" } ?? "unchanged")

            The participant works in:   breakglass --profile \(profile)
            Watch it live:              breakglass drill watch      (n adds a note)
            End it:                     breakglass drill stop       then: breakglass drill report
            """)
    }

    /// The account typed back at a prompt, or `--confirm`; anything else cancels before a change.
    func confirm(account: String, caller: String, profile: String, scenario: Scenario) throws {
        var plan = "This drill breaks staging account \(account) on purpose (profile `\(profile)`, signed in as \(TerminalText.sanitize(caller)), \(scenario.region)):\n"
        for fault in scenario.faults {
            plan += "  +\(DurationSyntax.format(fault.at))  \(TerminalText.sanitize(fault.summary))\n"
        }
        if let given = confirmAccount {
            guard given == account else {
                throw report(ValidationError("--confirm \(TerminalText.sanitize(given)) is not the account profile `\(profile)` answers for (\(account)); nothing was changed"))
            }
            FileHandle.standardError.write(Data(plan.utf8))
            return
        }
        guard isatty(STDIN_FILENO) == 1 else {
            throw report(ValidationError("a staging drill changes a real account and needs confirming: run it on a terminal, or pass --confirm \(account)"))
        }
        FileHandle.standardError.write(Data((plan + "Type the account id (\(account)) to go on, anything else to cancel: ").utf8))
        let typed = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces)
        guard typed == account else {
            throw report(ValidationError("not confirmed; nothing was changed"))
        }
    }


    /// Starts `drill engine` detached with the staging credentials in its environment (never on
    /// disk) and waits for it to say it runs; its pid.
    func startEngine(
        drill: Drill, folder: String, credentials: AWSCredentials, profile: String, scenario: Scenario, path: String, baseline: [String: String],
        account: String, wait: Duration
    ) throws -> Int32 {
        var env = detachedEnvironment(adding: [
            "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CA_BUNDLE", "NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy",
        ])
        // The profile names the endpoint (endpoint_url) and region; the keys are the ones resolved here.
        env["AWS_PROFILE"] = profile
        env["AWS_ACCESS_KEY_ID"] = credentials.accessKeyID
        env["AWS_SECRET_ACCESS_KEY"] = credentials.secretAccessKey
        if let token = credentials.sessionToken { env["AWS_SESSION_TOKEN"] = token }
        let baselineFile = folder + "/baseline.json"
        try SandboxPaths.writeAtomically(try SandboxRecord.encoder.encode(SandboxSeed(account: account, baseline: baseline)), to: baselineFile)
        let executable = AccessAgentLauncher.currentExecutable()
        var arguments = [executable, "drill", "engine", String(drill.id), "--scenario", path, "--region", scenario.region, "--ready-fd", "3"]
        if let statePath = state.statePath { arguments += ["--state", statePath] }
        let spawned: (pid: Int32, line: String)
        do {
            spawned = try DetachedProcess.spawn(executable: executable, arguments: arguments, environment: env, timeout: wait)
        } catch {
            throw report(ValidationError("the drill's engine did not start: \(error)"))
        }
        guard spawned.line == "ready" else {
            DetachedProcess.stop(spawned.pid)
            let why = spawned.line.hasPrefix("failed ") ? String(spawned.line.dropFirst(7)) : spawned.line
            throw report(ValidationError("the drill's engine did not start: \(why) (its log: \(folder)/engine.log)"))
        }
        return spawned.pid
    }
}

/// The staging client journaling into the operator's audit trail, tagged with the drill (so the
/// report tells the drill's own calls from the participant's).
func stagingJournaled(_ client: AWSClient, store: Store, drill: Drill) -> AWSClient {
    client.journaled(AuditJournal(log: AuditLog(store: store), actor: AuditActor.current(), context: AuditContext(drill: drill.auditID)))
}

/// Set by SIGTERM/SIGINT in the staging engine.
private let engineStop = Atomic<Bool>(false)

/// A staging drill's engine, started detached by `drill start --staging`: applies the scenario's
/// faults to the staging account on schedule, notices the recovery, and writes what it did into the
/// drill's folder, until `drill stop` sends SIGTERM.
struct DrillEngineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "engine", abstract: "Run a staging drill's faults (started by drill start --staging).", shouldDisplay: false)

    @Argument(help: "The drill.") var id: Int64
    @Option(help: "The scenario file.") var scenario: String
    @Option(help: "The staging region.") var region: String
    @Option(help: "A descriptor to write \"ready\" (or \"failed REASON\") to.") var readyFd: Int32?
    @OptionGroup var state: StoreOptions

    func run() async throws {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGHUP, SIG_IGN)
        signal(SIGTERM) { _ in engineStop.store(true, ordering: .relaxed) }
        signal(SIGINT) { _ in engineStop.store(true, ordering: .relaxed) }
        let folder = StatePaths.current().directory + "/drills/\(id)"
        let paths = StagingDrill.paths(folder)
        let log = DemoPaging.logFile(paths.engineLog)
        var loaded: Scenario
        do { loaded = try ScenarioLoader.load(path: scenario) } catch {
            tell("failed " + error.errors.map(\.description).joined(separator: "; "))
            throw ExitCode(2)
        }
        loaded.region = region
        let store: Store
        let client: AWSClient
        let seed: SandboxSeed
        do {
            store = try state.open()
            guard let data = FileManager.default.contents(atPath: folder + "/baseline.json") else { throw ValidationError("no baseline in \(folder)") }
            seed = try SandboxRecord.decoder.decode(SandboxSeed.self, from: data)
            let journal = AuditJournal(log: AuditLog(store: store), actor: AuditActor.current(), context: AuditContext(drill: String(id)))
            client = try await AWSClient.fromEnvironment(.current(), journal: journal)
        } catch {
            tell("failed \(error)")
            throw ExitCode(1)
        }
        defer { store.close() }
        var status = SandboxEngineStatus.read(paths) ?? SandboxEngineStatus.starting(epoch: 1, scenario: loaded, at: Date())
        let engine = SandboxEngine(provisioner: SandboxProvisioner(client: client, scenario: loaded), seed: seed)
        log?.write(Data("\(ISO8601.format(Date())) the drill's engine runs on staging (\(region)), pid \(getpid())\n".utf8))
        tell("ready")
        let start = ContinuousClock.now
        while !engineStop.load(ordering: .relaxed) {
            status = await SandboxServeCommand.turnAndRest(
                engine, elapsed: ContinuousClock.now - start, status: status, paths: paths, log: log, stop: { engineStop.load(ordering: .relaxed) })
        }
        log?.write(Data("\(ISO8601.format(Date())) the drill's engine stopped\n".utf8))
    }

    func tell(_ line: String) { tellReady(readyFd, line) }
}
