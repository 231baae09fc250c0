import BreakglassCore
import Testing

/// The command a waiting run tells the second person to type names the sandbox when the run is there.
@Suite struct ApproveHintTests {
    @Test(arguments: [
        ([:], "breakglass runbook approve 7"),
        (["XDG_STATE_HOME": "/s"], "breakglass runbook approve 7"),
        (["XDG_STATE_HOME": "/s", "BREAKGLASS_STATE": "/s/breakglass/sandbox/state.db"], "breakglass runbook approve 7 --sandbox"),
        (["XDG_STATE_HOME": "/s", "BREAKGLASS_STATE": "/elsewhere/state.db"], "breakglass runbook approve 7"),
    ])
    func approveCommand(_ environment: [String: String], _ expected: String) {
        #expect(RunbookDriver.approveCommand(7, environment: environment) == expected)
    }
}
