import ArgumentParser
import BreakglassAWS
import BreakglassCore
import BreakglassTUI
import Foundation

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check that this machine is ready for an incident: configuration, state folder, terminal, AWS credentials, access roles, console look.",
        discussion: """
            Prints one line per check: PASS, WARN or FAIL, the check, what was found and, when it did \
            not pass, what to do. Exits 1 when any check fails (warnings do not fail), 0 otherwise. \
            Secrets are never printed: credentials are named by their source and shortened key id.
            """)

    @OptionGroup var config: ConfigOptions

    @OptionGroup var store: StoreOptions

    @Option(help: "Shared config profile for the credentials check. Default: the configuration's aws.profile, then AWS_PROFILE.")
    var profile: String?

    @Option(help: "MFA code, when the profile assumes a role that requires one (mfa_serial).")
    var mfaCode: String?

    @Option(help: "table (one line per check) or json (an array of {check, status, detail, fix}).")
    var output: OutputFormat = .table

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let loaded = config.loadResult()
        var results = DoctorChecks.config(loaded)
        let facts = stateFacts()
        results += DoctorChecks.state(facts)
        if facts.databaseFacts.kind == .file, facts.folderFacts.mode & 0o077 == 0 {
            results += DoctorChecks.store(storeFacts(), path: facts.database)
        }
        results += DoctorChecks.terminal(terminalFacts(environment))

        let settings = (try? loaded.get())?.config ?? BreakglassConfig()
        let (awsEnvironment, choice) = settings.awsEnvironment(variables: environment, commandLineProfile: profile)
        var codeProvider: MFACodeProvider?
        if let code = mfaCode { codeProvider = { @Sendable _ in code } }
        let resolver = CredentialResolver(environment: awsEnvironment, mfaCode: codeProvider)
        let credentials: Result<AWSCredentials, AWSError>
        do throws(AWSError) { credentials = .success(try await resolver.resolveAsync()) } catch { credentials = .failure(error) }
        results.append(DoctorChecks.credentials(credentials, profile: choice, now: Date()))

        if case .success(let l) = loaded {
            let catalog = RunbookDiscovery.current().catalog(l.config)
            var problems = catalog.unreadable + catalog.problems
            for runbook in catalog.checked { problems += RunbookLinter.lint(runbook, config: l.config) }
            problems += catalog.configProblems(l.config)
            results += DoctorChecks.runbooks(count: catalog.entries.count, problems: SourceErrors(problems).errors)
            let profileSerial = (try? awsEnvironment.sharedFiles())?.value("mfa_serial", profile: choice.name)
            results += DoctorChecks.roles(l.config.access, profile: choice, profileMFASerial: profileSerial)
            results += DoctorChecks.contacts(l.config.contacts, environment: environment)
            results += Self.consoleCheck(l, environment: environment)
        }

        let report = DoctorReport(results)
        print(output == .json ? report.json() : report.text())
        if report.hasFailure { throw ExitCode(1) }
    }

    /// `console.theme` and `console.keys` resolved exactly as the console resolves them (no
    /// `--theme`), every problem at once.
    static func consoleCheck(_ loaded: LoadedConfig, environment: [String: String]) -> [DoctorResult] {
        var config = loaded.config
        // As the console does: a theme path is relative to the configuration's folder.
        if let file = loaded.found { config.file = file.displayPath }
        var problems: [SourceError] = []
        do {
            _ = try ConsoleLook.resolve(theme: nil, config: config, environment: environment)
        } catch {
            problems = error.errors
        }
        return DoctorChecks.console(
            theme: config.console.theme?.value, rebound: config.console.keys.map(\.action.value), problems: problems)
    }

    /// Opens the existing state database and checks its pages and its audit chain.
    func storeFacts() -> Result<DoctorChecks.StoreFacts, DoctorChecks.StoreProblem> {
        do {
            let opened = try Store.open(path: store.path)
            defer { opened.close() }
            let integrity = try opened.integrityCheck()
            let v = try AuditLog(store: opened).verify()
            return .success(DoctorChecks.StoreFacts(
                schemaVersion: try opened.userVersion(), integrity: integrity, entries: v.entries, headSeq: v.head?.seq,
                chainProblem: v.problem?.description))
        } catch let error as Store.OpenError {
            return .failure(DoctorChecks.StoreProblem(message: error.description, fix: "see the message; `breakglass audit verify` says more"))
        } catch {
            return .failure(DoctorChecks.StoreProblem(message: String(describing: error), fix: "move the file aside and keep it for investigation; a new one is created on next use"))
        }
    }

    /// The state database (`--state`, else the default) and the folder that holds it.
    func stateFacts() -> DoctorChecks.StateFacts {
        let database = ConfigLocator.absolute(store.path, in: FileManager.default.currentDirectoryPath)
        let folder = (database as NSString).deletingLastPathComponent
        return DoctorChecks.StateFacts(folder: folder, folderFacts: Self.facts(folder), database: database, databaseFacts: Self.facts(database), userID: getuid())
    }

    static func facts(_ path: String) -> DoctorChecks.FileFacts {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        let kind: DoctorChecks.FileFacts.Kind
        switch info.st_mode & S_IFMT {
        case S_IFDIR: kind = .directory
        case S_IFREG: kind = .file
        default: kind = .other
        }
        return DoctorChecks.FileFacts(kind: kind, mode: UInt32(info.st_mode) & 0o7777, owner: UInt32(info.st_uid))
    }

    /// What the console would see: TERM and friends, whether stdout is a terminal and its size, and
    /// the locale's character set judged by the console's own rule.
    func terminalFacts(_ environment: [String: String]) -> DoctorChecks.TerminalFacts {
        let codeset = NCursesBackend.prepareLocale()
        let isTTY = isatty(STDOUT_FILENO) == 1
        var size = winsize()
        let hasSize = isTTY && ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0
        return DoctorChecks.TerminalFacts(
            environment: environment, stdoutIsTTY: isTTY, columns: hasSize ? Int(size.ws_col) : nil, rows: hasSize ? Int(size.ws_row) : nil,
            codeset: codeset, codesetIsUTF8: TerminalCheck.isUTF8(codeset))
    }
}
