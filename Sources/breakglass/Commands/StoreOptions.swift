import ArgumentParser
import BreakglassAWS
import BreakglassCore
import Foundation

/// `--state FILE`: the state database every command on this host shares.
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
