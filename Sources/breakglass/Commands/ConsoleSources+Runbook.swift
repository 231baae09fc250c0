import BreakglassAWS
import BreakglassCore
import BreakglassTUI
import Foundation

// Wiring for the console's runbook screen (issue 7): owned by the runbook helper.

func consoleRunbookSource(_ wiring: ConsoleWiring) -> RunbookSource? {
    nil
}
