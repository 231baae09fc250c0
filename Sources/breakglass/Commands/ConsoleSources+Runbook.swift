import BreakglassAWS
import BreakglassCore
import BreakglassTUI
import Foundation

// Wiring for the console's runbook screen and guided mode (issue 7).

/// The runbook screen's source: the runbooks `runbook run` would find (those that lint clean), runs
/// driven on the shared state file as this OS user with the break-glass grant the access agent holds
/// (exactly as `runbook run` drives them), and "I need help" escalating on the same file. Nil when
/// the state file could not be opened: runs must be stored, so the screen says it is unavailable.
func consoleRunbookSource(_ wiring: ConsoleWiring) -> RunbookSource? {
    guard let store = wiring.store else { return nil }
    let config = wiring.config
    let storePath = wiring.storePath
    let initial = wiring.runbook != nil || wiring.incident != nil ? RunbookOpenRequest(runbook: wiring.runbook, incident: wiring.incident) : nil
    let contacts = RunbookRunner.contactLines(config)
    return .live(
        shelf: { consoleRunbookShelf(config: config, initial: initial, contacts: contacts) },
        store: store, client: wiring.client, region: wiring.regions.first ?? "us-east-1", config: config, actor: AuditActor.current(),
        grant: { lookUpGrant(for: $0, storePath: storePath) },
        caller: { client, region in await callerARN(client, region: region) },
        driverAlive: { RunSession.isBreakglass(pid: $0) })
}

/// The runbooks found as `runbook run` finds them; one that does not load or lint clean cannot run
/// from the console, and is named with its first problem.
func consoleRunbookShelf(config: BreakglassConfig, initial: RunbookOpenRequest?, contacts: [String]) -> RunbookShelf {
    let catalog = RunbookDiscovery.current().catalog(config)
    var runbooks: [Runbook] = []
    var problems = catalog.problems.map(\.description) + catalog.unreadable.map(\.description)
    for runbook in catalog.runbooks where !catalog.duplicatedIDs.contains(runbook.id) {
        let lint = RunbookLinter.lint(runbook, config: config.file == nil ? nil : config)
        if let first = lint.first {
            problems.append("\(runbook.id): \(first.description)")
        } else {
            runbooks.append(runbook)
        }
    }
    return RunbookShelf(runbooks: runbooks, problems: problems, initial: initial, contacts: contacts)
}
