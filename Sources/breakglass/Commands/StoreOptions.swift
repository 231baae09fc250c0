import ArgumentParser
import BreakglassAWS
import BreakglassCore
import Foundation

/// `--state FILE`: the state database every command on this host shares.
/// `--sandbox` for commands that only read or write the state (runbook runs, audit, incidents):
/// the sandbox's own state instead of the real one, as the AWS commands' `--sandbox` gives them.
struct SandboxStateOption: ParsableArguments {
    @Flag(help: "Use the running sandbox's own state (its runs, grants, incidents and audit trail).")
    var sandbox = false

    func validate() throws {
        guard sandbox else { return }
        _ = try runningSandbox()
        setenv("BREAKGLASS_STATE", SandboxPaths().store, 1)
        // Its configuration too (its escalation plans, its runbooks); --config still wins.
        setenv("BREAKGLASS_CONFIG", SandboxPaths().config, 1)
    }
}

struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("state"), help: "State database. Default: $XDG_STATE_HOME/breakglass/state.db (~/.local/state/breakglass/state.db).")
    var statePath: String?

    var path: String { statePath ?? Store.defaultPath() }

    /// Opens (creating when missing) the state database; errors say what to do.
    func open() throws(Store.OpenError) -> Store {
        if statePath == nil {
            do { try StatePaths.current().ensureDirectory() } catch {
                throw .cannotCreate(path: StatePaths.current().directory, reason: error.localizedDescription)
            }
        }
        return try Store.open(path: path)
    }

    /// The audit trail's journal for AWS writes made by this process, as the current OS user.
    func journal(callerARN: String? = nil, context: AuditContext = AuditContext()) throws(Store.OpenError) -> AuditJournal {
        var actor = AuditActor.current()
        actor.callerARN = callerARN
        return AuditJournal(log: AuditLog(store: try open()), actor: actor, context: context)
    }
}

/// The ARN of the identity `client` signs as (sts:GetCallerIdentity, a read), for the audit trail's
/// "who". Nil when it cannot be found out; a write is not held up for it.
func callerARN(_ client: AWSClient, region: String) async -> String? {
    guard let op = AWSCatalog.operation(service: "sts", name: "GetCallerIdentity") else { return nil }
    return try? await client.call(op, region: region).value["Arn"]?.string
}
