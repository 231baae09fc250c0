import ArgumentParser
import BreakglassAWS
import Foundation

/// The `breakglass` command. With no subcommand it opens the console.
@main
struct Breakglass: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "breakglass",
        abstract: "The on-call console for teams on AWS: live alarms, runbooks, break-glass access.",
        discussion: "Run with no subcommand to open the console. Exit codes: 0 success, 1 operation failed, 2 usage or configuration error, 3 verification failed, 130 interrupted.",
        version: BreakglassVersion.string,
        subcommands: [ConsoleCommand.self, AlarmsCommand.self, IncidentsCommand.self, AckCommand.self, ResolveCommand.self, SnoozeCommand.self, EscalateCommand.self, DemoCommand.self, SandboxCommand.self, DrillCommand.self, DoctorCommand.self, AuditCommand.self, RunbookCommand.self, AccessCommand.self, WatchCommand.self, AWSCommand.self],
        defaultSubcommand: ConsoleCommand.self)

    /// As ArgumentParser's own entry point, except that usage errors exit 2 (DESIGN.md's code for
    /// usage and configuration errors) rather than 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
