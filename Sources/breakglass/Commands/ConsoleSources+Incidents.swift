import BreakglassAWS
import BreakglassCore
import BreakglassTUI
import Foundation

// Wiring for the console's incidents and audit screens (issue 7).

/// The incidents screen's source on the shared state file, acting as this OS user under the
/// configuration's plans and contacts; nil when the file could not be opened (the screen says why).
func consoleIncidentsSource(_ wiring: ConsoleWiring) -> IncidentsSource? {
    guard let store = wiring.store else { return nil }
    let feed = IncidentConsoleFeed(incidents: IncidentStore(log: AuditLog(store: store)))
    return .shared(feed, config: wiring.config, actor: AuditActor.current())
}

/// The audit screen's source on the shared state file; nil when it could not be opened.
func consoleAuditSource(_ wiring: ConsoleWiring) -> AuditSource? {
    guard let store = wiring.store else { return nil }
    return .shared(AuditConsoleFeed(log: AuditLog(store: store)))
}
