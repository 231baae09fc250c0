import ArgumentParser
import BreakglassCore
import Foundation

/// `--config FILE`, shared by every command that reads the configuration.
struct ConfigOptions: ParsableArguments {
    @Option(
        name: .customLong("config"),
        help: ArgumentHelp(
            "Configuration file. Default: $BREAKGLASS_CONFIG, ./breakglass.yaml, then $XDG_CONFIG_HOME/breakglass/config.yaml (~/.config/breakglass/config.yaml).",
            valueName: "file"))
    var path: String?

    /// Finds and reads the configuration: the empty one when there is no file, every problem when
    /// it has some.
    func loadResult(locator: ConfigLocator = .current()) -> Result<LoadedConfig, SourceErrors> {
        do { return .success(try locator.load(explicitPath: path)) } catch { return .failure(error) }
    }

    /// As `loadResult`, for commands that cannot run on a broken configuration: prints each problem
    /// on stderr (`breakglass: error: file:line:column: field: message`) and exits 2.
    func load(locator: ConfigLocator = .current()) throws(ExitCode) -> LoadedConfig {
        switch loadResult(locator: locator) {
        case .success(let loaded): return loaded
        case .failure(let errors): throw Self.report(errors)
        }
    }

    /// Prints configuration problems the way every command does and gives DESIGN.md's exit code
    /// for configuration errors, 2.
    static func report(_ errors: SourceErrors) -> ExitCode {
        let lines = errors.errors.map { "breakglass: error: " + TerminalText.sanitize($0.description) + "\n" }
        FileHandle.standardError.write(Data(lines.joined().utf8))
        return ExitCode(2)
    }
}
