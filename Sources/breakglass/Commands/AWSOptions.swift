import ArgumentParser
import BreakglassAWS
import BreakglassCore
import Foundation

/// Options every command that talks to AWS shares.
struct AWSOptions: ParsableArguments {
    @Option(name: .customLong("region"), help: "AWS region; repeat for several. Default: AWS_REGION, AWS_DEFAULT_REGION, then the profile's region.")
    var regions: [String] = []

    @Option(help: "Shared config profile. Default: AWS_PROFILE, then \"default\". Naming one ignores AWS_ACCESS_KEY_ID.")
    var profile: String?

    @Option(help: "MFA code: for the profile's role when it requires one (mfa_serial); for `access request`, for the break-glass role.")
    var mfaCode: String?

    @Flag(help: "Work on the local sandbox (`breakglass sandbox up`): its endpoint, its operator's key, its configuration unless --config names one.")
    var sandbox = false

    @OptionGroup var config: ConfigOptions

    /// With `--sandbox`, this process's AWS environment becomes the sandbox's (its endpoint, its
    /// operator's key, no shared config files) and the configuration the sandbox's unless `--config`
    /// names one, so every command and every part of the console finds them the usual way. The key is
    /// a loopback sandbox's; it stays in this process's memory.
    func validate() throws {
        guard sandbox else { return }
        let record = try runningSandbox()
        guard profile == nil else { throw ValidationError("--sandbox and --profile cannot be used together") }
        adoptSandboxEnvironment(record)
        if config.path == nil { setenv("BREAKGLASS_CONFIG", SandboxPaths().config, 1) }
        // The sandbox's incidents, runbook runs, grants and audit trail stay in its own state, apart
        // from the real ones (`--state` still names another).
        setenv("BREAKGLASS_STATE", SandboxPaths().store, 1)
    }

    /// The configuration file's settings (the empty configuration when there is none). A broken
    /// file prints each problem as file:line:column and exits 2.
    func loadConfig() throws(ExitCode) -> BreakglassConfig { try config.load().config }

    /// The AWS environment: `--profile`, else the config's aws.profile, else AWS_PROFILE and the rest
    /// of the usual chain.
    func environment() throws(ExitCode) -> AWSEnvironment {
        try loadConfig().awsEnvironment(variables: ProcessInfo.processInfo.environment, commandLineProfile: profile).0
    }

    /// A client from the environment and these options.
    func client(_ env: AWSEnvironment) async throws(AWSError) -> AWSClient {
        try await AWSClient.fromEnvironment(env, mfaCode: mfaCodeProvider)
    }

    /// `--mfa-code` when given; otherwise, on a terminal, a prompt naming the MFA device (read before
    /// any console takes the screen); otherwise none, and the resolver says how to give a code.
    var mfaCodeProvider: MFACodeProvider? {
        if let code = mfaCode { return { _ in code } }
        return terminalMFAPrompt()
    }

    /// `--region` (repeatable), else the config's aws.regions, else AWS_REGION, AWS_DEFAULT_REGION and
    /// the profile's region.
    func resolveRegions(_ env: AWSEnvironment) throws -> [String] {
        var seen = Set<String>()
        if !regions.isEmpty { return regions.filter { seen.insert($0).inserted } }
        let configured = try loadConfig().aws.regions
        if !configured.isEmpty { return configured.filter { seen.insert($0).inserted } }
        return [try RegionResolver(environment: env).resolve()]
    }
}

/// On a terminal, a prompt for the MFA code naming the device (on stderr, read from stdin);
/// without one, nil, and the resolver says how to give a code.
func terminalMFAPrompt() -> MFACodeProvider? {
    guard isatty(STDIN_FILENO) == 1, isatty(STDERR_FILENO) == 1 else { return nil }
    return { serial in
        FileHandle.standardError.write(Data("MFA code for \(TerminalText.sanitize(serial)): ".utf8))
        guard let line = readLine(strippingNewline: true) else {
            throw AWSError.credentials("no MFA code entered for \(serial)")
        }
        return line.trimmingCharacters(in: .whitespaces)
    }
}

/// Prints an error the way every command does (to stderr, untrusted text sanitised) and gives the
/// exit code DESIGN.md assigns: 2 for usage and configuration, 1 for a failed operation.
func report(_ error: any Error) -> ExitCode {
    let text: String
    let code: Int32
    switch error {
    case let e as ExitCode:
        // Already reported (configuration errors print themselves).
        return e
    case let e as SourceErrors:
        return ConfigOptions.report(e)
    case let e as ValidationError:
        text = e.message
        code = 2
    case let e as AWSError:
        text = e.description
        switch e {
        case .credentials, .configuration: code = 2
        default: code = 1
        }
    case let e as Store.OpenError:
        text = e.description
        code = 2
    case let e as LocalAWSServer.StartError:
        text = e.description
        code = 1
    default:
        text = String(describing: error)
        code = 1
    }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { TerminalText.sanitize(String($0)) }
    FileHandle.standardError.write(Data(("breakglass: error: " + lines.joined(separator: "\n") + "\n").utf8))
    return ExitCode(code)
}

/// The terminal's width when stdout is one, so tables can use the room; 80 otherwise.
func outputWidth() -> Int {
    var size = winsize()
    if isatty(STDOUT_FILENO) == 1, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 {
        return Int(size.ws_col)
    }
    return 80
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

extension AlarmState: ExpressibleByArgument {}
