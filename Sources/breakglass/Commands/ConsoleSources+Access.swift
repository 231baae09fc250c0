import BreakglassAWS
import BreakglassCore
import BreakglassTUI
import Foundation

// Wiring for the console's access screen (issue 7): owned by the access helper.

func consoleAccessSource(_ wiring: ConsoleWiring) -> AccessSource? {
    nil
}
