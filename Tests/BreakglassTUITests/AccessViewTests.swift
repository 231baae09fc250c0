import BreakglassCore
import BreakglassTestSupport
@testable import BreakglassTUI
import Foundation
import Testing

/// The roles of a typical configuration: one with MFA and 30 minutes, one without MFA and 15.
let accessRoles = [
    AccessRole(
        id: "app-break-glass", arn: "arn:aws:iam::111122223333:role/app-break-glass", mfa: true, maxDuration: .seconds(1800),
        mfaSerial: "arn:aws:iam::111122223333:mfa/ann", location: .file("breakglass.yaml")),
    AccessRole(
        id: "db-break-glass", arn: "arn:aws:iam::111122223333:role/db-break-glass", mfa: false, maxDuration: .seconds(900),
        location: .file("breakglass.yaml")),
]
let accessCriteria = ["A customer-facing alarm is in ALARM", "The normal deploy or access path cannot fix it"]

/// A console with alarms loaded and access configured as the loop does before its first tick, on
/// the access screen (the alarms screen left behind, so Esc at the top goes back to it).
func accessState(
    roles: [AccessRole] = accessRoles, criteria: [String] = accessCriteria, problem: String? = nil,
    size: TerminalSize = TerminalSize(width: 80, height: 24)
) -> ConsoleState {
    var state = loadedState(mixedAlarms(), size: size)
    _ = reduce(
        &state,
        .access(.configured(roles: roles, criteria: criteria, mfaDevices: ["app-break-glass": "arn:aws:iam::111122223333:mfa/ann"], problem: problem)),
        now: fixedNow)
    _ = reduce(&state, .key(.char("4")), now: fixedNow)
    return state
}

func heldGrant(_ role: String = "app-break-glass", left: TimeInterval = 1500, id: Int64 = 7, runbook: String? = "sqs-flush") -> AccessHeld {
    AccessHeld(
        grantID: id, role: role, expires: fixedNow.addingTimeInterval(left), sessionName: "bg-ann-INC42", runbook: runbook, incident: "INC42")
}

@discardableResult
func accessPress(_ state: inout ConsoleState, _ keys: Key..., now: Date = fixedNow) -> [ConsoleEffect] {
    var effects: [ConsoleEffect] = []
    for key in keys { effects += reduce(&state, .key(key), now: now) }
    return effects
}

func accessType(_ state: inout ConsoleState, _ text: String) {
    for c in text { _ = reduce(&state, .key(.char(c)), now: fixedNow) }
}

/// `accessState` walked through the form of app-break-glass up to the summary.
func accessSummaryState(size: TerminalSize = TerminalSize(width: 80, height: 24)) -> ConsoleState {
    var state = accessState(size: size)
    accessPress(&state, .enter, .char("y"), .char("y"), .enter)
    accessType(&state, "orders queue backed up")
    accessPress(&state, .enter, .enter)
    accessType(&state, "123456")
    accessPress(&state, .enter)
    return state
}

@Suite("Access screen: reducer")
struct AccessViewReducerTests {
    @Test func configurationBeforeTheFirstTickThenTheAgentIsPolledEveryFewSecondsWithAnOverlapGuard() {
        var state = ConsoleState(identity: "me", regions: ["us-east-1"], size: TerminalSize(width: 80, height: 24), now: fixedNow)
        // Not configured (no access source): ticks never poll.
        #expect(!reduce(&state, .tick, now: fixedNow).contains(.access(.pollHeld)))
        _ = reduce(&state, .access(.configured(roles: accessRoles, criteria: accessCriteria, mfaDevices: [:], problem: nil)), now: fixedNow)
        #expect(reduce(&state, .tick, now: fixedNow).contains(.access(.pollHeld)))
        #expect(state.access.pollInFlight)
        #expect(!reduce(&state, .tick, now: fixedNow.addingTimeInterval(10)).contains(.access(.pollHeld)), "one poll at a time")
        _ = reduce(&state, .access(.heldLoaded([])), now: fixedNow.addingTimeInterval(10))
        #expect(state.access.held == nil, "no agent, no grant")
        #expect(!reduce(&state, .tick, now: fixedNow.addingTimeInterval(12.9)).contains(.access(.pollHeld)))
        #expect(reduce(&state, .tick, now: fixedNow.addingTimeInterval(13)).contains(.access(.pollHeld)))
        // A grant made in another terminal shows in the top bar whatever screen shows.
        _ = reduce(&state, .access(.heldLoaded([heldGrant("db-break-glass", left: 800, id: 8), heldGrant(left: 300)])), now: fixedNow.addingTimeInterval(13))
        #expect(state.view == .alarms)
        #expect(state.access.held?.role == "app-break-glass" && state.access.held?.expires == fixedNow.addingTimeInterval(300), "the first to expire")
        // A failed poll is said, and the next one comes on time.
        _ = reduce(&state, .tick, now: fixedNow.addingTimeInterval(16))
        _ = reduce(&state, .access(.heldFailed("access agent: the socket belongs to another user's process")), now: fixedNow.addingTimeInterval(16))
        #expect(state.access.pollProblem?.contains("another user") == true && !state.access.pollInFlight)
        // R polls at once.
        _ = reduce(&state, .key(.char("4")), now: fixedNow.addingTimeInterval(16))
        #expect(accessPress(&state, .char("R"), now: fixedNow.addingTimeInterval(17)).contains(.access(.pollHeld)))
    }

    @Test(arguments: [
        (0, Key.char("j"), 1), (0, .down, 1), (1, .char("j"), 1), (1, .char("k"), 0), (1, .up, 0), (0, .char("k"), 0),
        (0, .char("G"), 1), (0, .end, 1), (1, .char("g"), 0), (1, .home, 0), (0, .pageDown, 1), (1, .pageUp, 0),
    ])
    func theRoleListMoves(_ start: Int, _ key: Key, _ expected: Int) {
        var state = accessState()
        for _ in 0..<start { accessPress(&state, .char("j")) }
        #expect(accessPress(&state, key).isEmpty)
        #expect(state.access.selected == expected && state.access.step == .roles)
    }

    @Test func enterOnARoleStartsItsFormAtTheCriteriaAndEscGoesBackOneStepAtATime() {
        var state = accessState()
        #expect(state.availableActions.contains(.select) && !state.access.formSteps.isEmpty)
        accessPress(&state, .enter)
        #expect(state.access.step == .criteria && state.access.role?.id == "app-break-glass")
        #expect(state.access.formSteps == [.criteria, .reason, .duration, .mfa, .summary])
        #expect(state.access.duration == "30m", "the role's max by default")
        #expect(state.availableActions.contains(.back))
        accessPress(&state, .escape)
        #expect(state.access.step == .roles && state.view == .access)
        // On the role list Esc leaves the screen for the one before.
        accessPress(&state, .escape)
        #expect(state.view == .alarms)
    }

    @Test func everyCriterionMustBeConfirmedWithYOrSpace() {
        var state = accessState()
        accessPress(&state, .enter)
        accessPress(&state, .enter)
        #expect(state.access.step == .criteria && state.access.fieldError?.contains("2 not confirmed") == true)
        accessPress(&state, .char("y"))
        #expect(state.access.confirmed == [0] && state.access.criterion == 1 && state.access.fieldError == nil)
        accessPress(&state, .char(" "))
        #expect(state.access.confirmed == [0, 1])
        accessPress(&state, .char(" "))
        #expect(state.access.confirmed == [0], "Space toggles")
        accessPress(&state, .char("k"))
        #expect(state.access.criterion == 0)
        accessPress(&state, .char("n"))
        #expect(state.access.confirmed.isEmpty, "n clears")
        accessPress(&state, .down, .char("y"), .up, .char("y"))
        #expect(state.access.confirmed == [0, 1])
        accessPress(&state, .char("q"))
        #expect(state.access.step == .criteria, "q is not a criterion key, and does not quit from here either")
        accessPress(&state, .enter)
        #expect(state.access.step == .reason)
        accessPress(&state, .escape)
        #expect(state.access.step == .criteria && state.access.confirmed == [0, 1], "back keeps what was confirmed")
    }

    @Test func theReasonIsRequiredAndTakesEveryPrintableKey() {
        var state = accessState()
        accessPress(&state, .enter, .char("y"), .char("y"), .enter)
        #expect(accessPress(&state, .enter).isEmpty)
        #expect(state.access.step == .reason && state.access.fieldError?.contains("say why") == true)
        accessType(&state, "q1 4:?/jkRD")
        #expect(state.access.reason == "q1 4:?/jkRD" && state.view == .access && state.overlay == nil)
        accessPress(&state, .backspace, .backspace)
        #expect(state.access.reason == "q1 4:?/jk")
        accessPress(&state, .ctrl("u"))
        #expect(state.access.reason.isEmpty)
        accessType(&state, "   ")
        accessPress(&state, .enter)
        #expect(state.access.step == .reason && state.access.fieldError != nil, "blanks are no reason")
        accessType(&state, String(repeating: "x", count: 400))
        #expect(state.access.reason.count == AccessViewState.reasonLimit)
        accessPress(&state, .ctrl("u"))
        accessType(&state, "orders queue backed up")
        accessPress(&state, .enter)
        #expect(state.access.step == .duration && state.access.reason == "orders queue backed up")
    }

    @Test(arguments: [
        ("1h", "duration 1h is longer than role app-break-glass allows: at most 30m"),
        ("10m", "duration 10m is shorter than STS grants: at least 15m"),
        ("20", "duration 20: add a unit, e.g. 20m or 20s"),
        ("soon", "duration soon: expected a duration like 15m, 30m or 1h"),
    ])
    func aDurationOutsideTheRolesRangeIsRefused(_ typed: String, _ error: String) {
        var state = accessState()
        accessPress(&state, .enter, .char("y"), .char("y"), .enter)
        accessType(&state, "r")
        accessPress(&state, .enter, .ctrl("u"))
        accessType(&state, typed)
        accessPress(&state, .enter)
        #expect(state.access.step == .duration)
        #expect(state.access.fieldError?.hasPrefix(error) == true, "\(state.access.fieldError ?? "nil")")
        accessPress(&state, .ctrl("u"))
        accessType(&state, "20m")
        accessPress(&state, .enter)
        #expect(state.access.step == .mfa && state.access.fieldError == nil)
    }

    @Test func theMFACodeTakesSixDigitsOnlyAndLeavesTheStateWhenSent() {
        var state = accessState()
        accessPress(&state, .enter, .char("y"), .char("y"), .enter)
        accessType(&state, "orders queue backed up")
        accessPress(&state, .enter, .enter)
        #expect(state.access.step == .mfa)
        accessType(&state, "12a-3 q45")
        #expect(state.access.mfaCode == "12345" && state.view == .access)
        accessPress(&state, .enter)
        #expect(state.access.step == .mfa && state.access.fieldError?.contains("six digits") == true)
        accessType(&state, "678")
        #expect(state.access.mfaCode == "123456", "at most six")
        accessPress(&state, .backspace)
        accessType(&state, "6")
        // Esc from the MFA step forgets the code.
        accessPress(&state, .escape)
        #expect(state.access.step == .duration && state.access.mfaCode.isEmpty)
        accessPress(&state, .enter)
        accessType(&state, "654321")
        accessPress(&state, .enter)
        #expect(state.access.step == .summary && state.access.mfaDigits == 6)
        #expect(state.availableActions.contains(.run))

        let effects = accessPress(&state, .enter)
        let form = AccessForm(
            role: "app-break-glass", reason: "orders queue backed up", durationSeconds: 1800, mfaCode: "654321", runbook: nil, params: [:])
        #expect(effects == [.access(.request(form))])
        #expect(state.access.step == .requesting && state.access.requestStartedAt == fixedNow)
        #expect(state.access.mfaCode.isEmpty, "the code is in the request only")
        #expect(accessPress(&state, .enter, .char("n")).isEmpty, "one request at a time")
    }

    @Test func nRequestsFromTheSummaryToo() {
        var state = accessSummaryState()
        let effects = accessPress(&state, .char("n"))
        #expect(effects.count == 1 && state.access.step == .requesting)
    }

    @Test func aRoleWithoutMFAAndAConfigurationWithoutCriteriaSkipThoseSteps() {
        var state = accessState(criteria: [])
        accessPress(&state, .char("j"), .enter)
        #expect(state.access.formSteps == [.reason, .duration, .summary])
        #expect(state.access.step == .reason && state.access.duration == "15m")
        accessType(&state, "r")
        accessPress(&state, .enter, .enter)
        #expect(state.access.step == .summary)
        #expect(accessPress(&state, .enter) == [.access(.request(AccessForm(
            role: "db-break-glass", reason: "r", durationSeconds: 900, mfaCode: nil, runbook: nil, params: [:])))])
    }

    @Test func aGrantIsShownHeldAndCountedDownThenEnterReturnsToTheRoles() {
        var state = accessSummaryState()
        accessPress(&state, .enter)
        let granted = AccessGranted(
            grant: heldGrant(left: 1800, runbook: nil), accessKeyID: "ASIAEXAMPLEKEY", durationSeconds: 1800, policySummary: nil, requestID: "req-1")
        _ = reduce(&state, .access(.granted(granted)), now: fixedNow)
        #expect(state.access.step == .granted && state.access.lastGrant == granted)
        #expect(state.access.held?.role == "app-break-glass" && state.access.held?.expires == fixedNow.addingTimeInterval(1800))
        #expect(state.availableActions.contains(.revoke))
        accessPress(&state, .enter)
        #expect(state.access.step == .roles)
    }

    @Test func aRefusalKeepsTheRequestAndAsksForANewCode() {
        var state = accessSummaryState()
        accessPress(&state, .enter)
        let failure = AccessFailure(code: "AccessDenied", message: "User: arn:aws:iam::111122223333:user/ann is not authorized", requestID: "req-9")
        _ = reduce(&state, .access(.requestFailed(failure)), now: fixedNow)
        #expect(state.access.step == .failed && state.access.failure == failure && state.access.held == nil)
        accessPress(&state, .enter)
        #expect(state.access.step == .mfa && state.access.mfaCode.isEmpty && state.access.reason == "orders queue backed up")
        accessType(&state, "111111")
        accessPress(&state, .enter)
        accessPress(&state, .enter)
        _ = reduce(&state, .access(.requestFailed(failure)), now: fixedNow)
        accessPress(&state, .escape)
        #expect(state.access.step == .mfa, "Esc goes back to change the request")
    }

    @Test func dRevokesAfterYesAndAnythingElseKeepsTheGrant() {
        var state = accessState()
        _ = reduce(&state, .access(.heldLoaded([heldGrant()])), now: fixedNow)
        #expect(state.availableActions.contains(.revoke))
        accessPress(&state, .char("D"))
        #expect(state.access.revokePrompt == "app-break-glass")
        #expect(accessPress(&state, .char("n")).isEmpty)
        #expect(state.access.revokePrompt == nil && state.access.notice?.text.contains("not revoked") == true)
        accessPress(&state, .char("D"))
        accessPress(&state, .escape)
        #expect(state.access.revokePrompt == nil && state.view == .access, "Esc closes the prompt, not the screen")
        accessPress(&state, .char("D"))
        #expect(accessPress(&state, .char("y")) == [.access(.revoke(role: "app-break-glass"))])
        #expect(state.access.revoking == "app-break-glass")
        _ = reduce(&state, .access(.revoked(role: "app-break-glass", lines: ["revoked grant 7 of app-break-glass (access key ASIA…): wiped from the agent"])), now: fixedNow)
        #expect(state.access.held == nil && state.access.revoking == nil)
        #expect(state.access.notice?.text.contains("wiped from the agent") == true)
        // Nothing held: D says so.
        accessPress(&state, .char("D"))
        #expect(state.access.revokePrompt == nil && state.access.notice?.isError == true)
        // A revocation that failed is said.
        _ = reduce(&state, .access(.revokeFailed(role: "app-break-glass", message: "the state file is locked")), now: fixedNow)
        #expect(state.access.notice?.text == "could not revoke app-break-glass: the state file is locked")
    }

    @Test func dOnTheRoleListRevokesTheSelectedRolesGrant() {
        var state = accessState()
        _ = reduce(&state, .access(.heldLoaded([heldGrant(), heldGrant("db-break-glass", id: 8)])), now: fixedNow)
        accessPress(&state, .char("j"), .char("D"))
        #expect(state.access.revokePrompt == "db-break-glass")
    }

    @Test func openAccessFromARunbookStartsOnItsRoleWithItsPolicy() {
        var state = loadedState(mixedAlarms())
        _ = reduce(&state, .access(.configured(roles: accessRoles, criteria: accessCriteria, mfaDevices: [:], problem: nil)), now: fixedNow)
        let effects = state.openAccess(role: "app-break-glass", runbook: "sqs-flush", params: ["queue": "prod-orders"], now: fixedNow)
        #expect(state.view == .access && state.access.step == .criteria && state.access.role?.id == "app-break-glass")
        #expect(effects == [.access(.derivePolicy(role: "app-break-glass", runbook: "sqs-flush", params: ["queue": "prod-orders"]))])
        #expect(state.access.policy == .deriving)
        accessPress(&state, .char("y"), .char("y"), .enter)
        accessType(&state, "r")
        accessPress(&state, .enter, .enter)
        accessType(&state, "123456")
        accessPress(&state, .enter)
        // Still deriving: Enter waits.
        #expect(accessPress(&state, .enter).isEmpty && state.access.fieldError?.contains("still being derived") == true)
        _ = reduce(&state, .access(.policyDerived(role: "app-break-glass", runbook: "other", summary: "stale")), now: fixedNow)
        #expect(state.access.policy == .deriving, "an answer for another request is dropped")
        _ = reduce(&state, .access(.policyDerived(role: "app-break-glass", runbook: "sqs-flush", summary: "session policy from runbook sqs-flush: 329 characters, 2 statements")), now: fixedNow)
        let sent = accessPress(&state, .enter)
        #expect(sent == [.access(.request(AccessForm(
            role: "app-break-glass", reason: "r", durationSeconds: 1800, mfaCode: "123456", runbook: "sqs-flush", params: ["queue": "prod-orders"])))])
        // After the grant the runbook's context is spent.
        _ = reduce(&state, .access(.granted(AccessGranted(grant: heldGrant(), accessKeyID: "ASIA", durationSeconds: 1800, policySummary: "p", requestID: nil))), now: fixedNow)
        #expect(state.access.runbook == nil && state.access.policy == .none)
    }

    @Test func aPolicyThatCannotBeDerivedStopsTheRequest() {
        var state = accessState()
        _ = state.openAccess(role: "db-break-glass", runbook: "sqs-flush", params: [:], now: fixedNow)
        _ = reduce(&state, .access(.policyFailed(role: "db-break-glass", runbook: "sqs-flush", message: "runbook sqs-flush runs under role app-break-glass, not db-break-glass; request app-break-glass")), now: fixedNow)
        accessPress(&state, .char("y"), .char("y"), .enter)
        accessType(&state, "r")
        accessPress(&state, .enter, .enter)
        #expect(state.access.step == .summary)
        #expect(accessPress(&state, .enter).isEmpty && state.access.step == .summary && state.access.fieldError?.contains("no session policy") == true)
    }

    @Test func openAccessBeforeTheRolesAreKnownWaitsForThem() {
        var state = loadedState(mixedAlarms())
        #expect(state.openAccess(role: "db-break-glass", runbook: nil, params: [:], now: fixedNow).isEmpty)
        #expect(state.view == .access && state.access.step == .roles)
        _ = reduce(&state, .access(.configured(roles: accessRoles, criteria: accessCriteria, mfaDevices: [:], problem: nil)), now: fixedNow)
        #expect(state.access.step == .criteria && state.access.role?.id == "db-break-glass")
    }

    @Test func openAccessForAnUnknownRoleSaysSo() {
        var state = accessState()
        _ = state.openAccess(role: "nope", runbook: nil, params: [:], now: fixedNow)
        #expect(state.access.step == .roles && state.access.notice?.isError == true && state.access.notice?.text.contains("no role nope") == true)
    }

    @Test func withoutAStateFileTheRolesShowButNothingIsRequested() {
        var state = accessState(problem: "the state file could not be opened (permission denied)")
        #expect(accessPress(&state, .enter).isEmpty)
        #expect(state.access.step == .roles && state.access.notice?.text.contains("permission denied") == true)
    }

    @Test func tabAndNumberKeysStillSwitchScreensOutsideTextFields() {
        var state = accessState()
        accessPress(&state, .char("1"))
        #expect(state.view == .alarms)
        var typing = accessState()
        accessPress(&state, .char("4"))
        accessPress(&typing, .enter, .char("y"), .char("y"), .enter, .char("1"))
        #expect(typing.view == .access && typing.access.reason == "1")
    }
}

@Suite("Access screen: rendering")
struct AccessViewRenderTests {
    static let sizes = [TerminalSize(width: 80, height: 24), TerminalSize(width: 120, height: 40)]

    /// Renders at `now`, checks every row is the terminal's width with nothing a terminal could act
    /// on, and compares the text and style layers with their snapshots.
    @discardableResult
    func render(_ state: ConsoleState, _ name: String, now: Date = fixedNow) throws -> [String] {
        let grid = renderConsole(state, theme: .default, now: now)
        let lines = grid.textLines()
        for line in lines { #expect(TerminalText.width(line) == state.size.width) }
        #expect(violations(grid).isEmpty)
        let suffix = "-\(state.size.width)x\(state.size.height)"
        try assertSnapshot(snapshotText(lines), named: "console-access-\(name)\(suffix)")
        try assertSnapshot(snapshotText(styleLayer(grid, theme: .default)), named: "console-access-\(name)\(suffix)-style")
        return lines
    }

    @Test(arguments: sizes)
    func theRoleListWithAGrantHeld(_ size: TerminalSize) throws {
        var state = accessState(size: size)
        _ = reduce(&state, .access(.heldLoaded([heldGrant(left: 1512)])), now: fixedNow)
        let lines = try render(state, "roles")
        #expect(lines[0].contains(" app-break-glass 25:12 "), "the countdown in the top bar")
        if size.width >= 120 { #expect(lines[0].contains("break-glass app-break-glass"), "the identity is the role while it is held") }
        #expect(lines.contains { $0.contains("> app-break-glass") && $0.contains("held 25:12") })
    }

    @Test(arguments: sizes)
    func theCriteria(_ size: TerminalSize) throws {
        var state = accessState(size: size)
        accessPress(&state, .enter, .char("y"))
        let lines = try render(state, "criteria")
        #expect(lines.contains { $0.contains("[x] A customer-facing alarm is in ALARM") })
        #expect(lines.contains { $0.contains("> [ ] The normal deploy or access path cannot fix it") })
    }

    @Test(arguments: sizes)
    func theReasonWithItsError(_ size: TerminalSize) throws {
        var state = accessState(size: size)
        accessPress(&state, .enter, .char("y"), .char("y"), .enter, .enter)
        accessType(&state, "orders queue \u{1B}[31mbacked up")
        let lines = try render(state, "reason")
        #expect(lines.contains { $0.contains("> orders queue [31mbacked up") }, "the escape character is not taken")
    }

    @Test(arguments: sizes)
    func theMFACode(_ size: TerminalSize) throws {
        var state = accessState(size: size)
        accessPress(&state, .enter, .char("y"), .char("y"), .enter)
        accessType(&state, "r")
        accessPress(&state, .enter, .enter)
        accessType(&state, "1234")
        let lines = try render(state, "mfa")
        #expect(lines.contains { $0.contains("MFA code from arn:aws:iam::111122223333:mfa/ann") })
        #expect(lines.contains { $0.hasPrefix(" > 1234") })
    }

    @Test(arguments: sizes)
    func theSummaryDoesNotShowTheCode(_ size: TerminalSize) throws {
        let state = accessSummaryState(size: size)
        let lines = try render(state, "summary")
        #expect(lines.contains { $0.contains("code entered (6 digits)") })
        #expect(!lines.joined().contains("123456"))
    }

    @Test(arguments: sizes)
    func aRequestInFlight(_ size: TerminalSize) throws {
        var state = accessSummaryState(size: size)
        accessPress(&state, .enter)
        let lines = try render(state, "requesting", now: fixedNow.addingTimeInterval(2))
        #expect(lines.contains { $0.contains("Asking AWS for app-break-glass… 2s") })
    }

    @Test(arguments: sizes)
    func aGrantWithTheCountdownInTheTopBar(_ size: TerminalSize) throws {
        var state = accessSummaryState(size: size)
        accessPress(&state, .enter)
        _ = reduce(&state, .access(.granted(AccessGranted(
            grant: heldGrant(left: 1800), accessKeyID: "ASIAIOSFODNN7EXAMPLE", durationSeconds: 1800,
            policySummary: "session policy from runbook sqs-flush: 329 characters, 2 statements", requestID: "c6104cbe-af31-11e0-8154-cbc7ccf896c7"))),
            now: fixedNow)
        let lines = try render(state, "granted", now: fixedNow.addingTimeInterval(61))
        #expect(lines[0].contains(" app-break-glass 28:59 "))
        #expect(lines.contains { $0.contains("Granted app-break-glass until 22:43:20 UTC (28:59 left)") })
        #expect(lines.contains { $0.contains("session policy from runbook sqs-flush: 329 characters") })
        // Under a minute left the badge turns to the alarm style.
        let late = renderConsole(state, theme: .default, now: fixedNow.addingTimeInterval(1750))
        let x = try #require(late.rowText(0).range(of: " app-break-glass 00:50 ").map { late.rowText(0).distance(from: late.rowText(0).startIndex, to: $0.lowerBound) })
        #expect(late[x + 1, 0].style == Theme.default[.stateAlarm])
    }

    @Test(arguments: sizes)
    func anAWSErrorWithCodeMessageAndRequestID(_ size: TerminalSize) throws {
        var state = accessSummaryState(size: size)
        accessPress(&state, .enter)
        _ = reduce(&state, .access(.requestFailed(AccessFailure(
            code: "AccessDenied",
            message: "User: arn:aws:iam::111122223333:user/operator is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111122223333:role/app-break-glass\u{07}",
            requestID: "c6104cbe-af31-11e0-8154-cbc7ccf896c7"))), now: fixedNow)
        let lines = try render(state, "error")
        #expect(lines.contains { $0.contains("AWS refused access to app-break-glass") })
        #expect(lines.contains { $0.contains("Code") && $0.contains("AccessDenied") })
        #expect(lines.contains { $0.contains("Request id") && $0.contains("c6104cbe-af31-11e0-8154-cbc7ccf896c7") })
    }

    @Test(arguments: sizes)
    func theRevokePrompt(_ size: TerminalSize) throws {
        var state = accessState(size: size)
        _ = reduce(&state, .access(.heldLoaded([heldGrant()])), now: fixedNow)
        accessPress(&state, .char("D"))
        let lines = try render(state, "revoke")
        #expect(lines[size.height - 2].hasPrefix(" Revoke app-break-glass now?") && lines[size.height - 2].contains("y/N"))
    }

    @Test(arguments: sizes)
    func noRolesSaysHowToAddOne(_ size: TerminalSize) throws {
        let state = accessState(roles: [], size: size)
        let lines = try render(state, "no-roles")
        #expect(lines.contains { $0.contains("No break-glass roles are configured.") })
        #expect(lines.contains { $0.contains("docs/ACCESS.md") })
        #expect(lines.contains { $0.contains("arn: arn:aws:iam::111122223333:role/app-break-glass") })
    }
}
