import BreakglassAWS
import BreakglassCore
import BreakglassTUI
import Foundation

// Wiring for the console's incidents screen (issue 7): owned by the incidents helper.

func consoleIncidentsSource(_ wiring: ConsoleWiring) -> IncidentsSource? {
    nil
}

/// The audit screen's source on the shared state file; nil when it could not be opened.
func consoleAuditSource(_ wiring: ConsoleWiring) -> AuditSource? {
    nil
}
