import BreakglassAWS
import BreakglassCore
import Foundation
import Testing

/// The engine's functional core, driven by hand: every action it asks for and every event it takes,
/// on a clock the test sets. No I/O, no sleeping.
@Suite("Runbook engine")
struct RunbookEngineTests {
    static let yaml = """
        id: scale
        title: Scale the web group
        params:
          group: { default: prod-web }
          desired: { default: 8 }
        steps:
          - say: Check the dashboard for {{group}}.
          - id: before
            check:
              call: autoscaling.DescribeAutoScalingGroups
              with: { AutoScalingGroupNames: ["{{group}}"] }
              expect: { "AutoScalingGroups[0].AutoScalingGroupName": "{{group}}" }
          - do:
              call: autoscaling.SetDesiredCapacity
              with: { AutoScalingGroupName: "{{group}}", DesiredCapacity: "{{desired}}" }
              confirm: type
              explain: Runs {{desired}} servers (was {{steps.before.AutoScalingGroups[0].DesiredCapacity}}).
          - wait:
              call: autoscaling.DescribeAutoScalingGroups
              with: { AutoScalingGroupNames: ["{{group}}"] }
              until: { "AutoScalingGroups[0].DesiredCapacity": "{{desired}}" }
              timeout: 1m
              every: 20s
          - wait_alarm: { name: web-5xx, state: OK, timeout: 2m }
          - approve: { explain: A second person checks the graphs., timeout: 5m }
          - page: { reason: "{{group}} scaled" }
        """

    static func runbook() throws -> Runbook { try RunbookLoader.parse(yaml, file: "scale.yaml") }
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let group: AWSValue = ["AutoScalingGroups": [["AutoScalingGroupName": "prod-web", "DesiredCapacity": "4"]]]

    static func fresh(_ runbook: Runbook) -> RunbookRunState {
        var run = RunbookRunState(runbook: runbook, params: ["group": "prod-web", "desired": .number("8")], region: "us-east-1", now: t0)
        run.id = 7
        return run
    }

    /// Runs the engine up to the `do`'s confirmation, checking each action on the way.
    static func toConfirmation(_ rb: Runbook) throws -> RunbookRunState {
        var run = fresh(rb)
        #expect(RunbookEngine.next(&run, rb, now: t0) == .show(step: 0, text: "Check the dashboard for prod-web."))
        try RunbookEngine.apply(.shown(step: 0, by: "alice"), to: &run, rb, now: t0)
        #expect(RunbookEngine.next(&run, rb, now: t0) == .read(
            step: 1, purpose: .check, operation: RunbookOperation(service: "autoscaling", name: "DescribeAutoScalingGroups"),
            input: ["AutoScalingGroupNames": ["prod-web"]], region: nil))
        try RunbookEngine.apply(.answered(step: 1, purpose: .check, value: group, requestID: "r1"), to: &run, rb, now: t0)
        #expect(run.steps[1].status == .done)
        // Before the change: the values it changes are read and recorded.
        guard case .read(2, .before, let op, let input, nil) = RunbookEngine.next(&run, rb, now: t0) else {
            Issue.record("expected the read before the do")
            return run
        }
        #expect(op == RunbookOperation(service: "autoscaling", name: "DescribeAutoScalingGroups"))
        #expect(input["AutoScalingGroupNames"] == ["prod-web"])
        try RunbookEngine.apply(.answered(step: 2, purpose: .before, value: group, requestID: nil), to: &run, rb, now: t0)
        #expect(run.steps[2].before?["DesiredCapacity"].flatMap(RunbookText_scalar) == "4")
        #expect(run.steps[2].status == .awaitingConfirmation)
        return run
    }

    /// Up to the moment the confirmed `do` (step 3) is being sent.
    static func toSending(_ rb: Runbook) throws -> RunbookRunState {
        var run = try toConfirmation(rb)
        _ = RunbookEngine.next(&run, rb, now: t0)
        try RunbookEngine.apply(.confirmed(step: 2, by: "a", typed: "prod-web"), to: &run, rb, now: t0)
        _ = RunbookEngine.next(&run, rb, now: t0)
        try RunbookEngine.apply(.sending(step: 2), to: &run, rb, now: t0)
        return run
    }

    @Test func aRunGoesThroughEveryKindOfStep() throws {
        let rb = try Self.runbook()
        var run = try Self.toConfirmation(rb)
        let action = RunbookEngine.next(&run, rb, now: Self.t0)
        guard case .confirm(let c) = action else {
            Issue.record("expected a confirmation, got \(action)")
            return
        }
        #expect(c.kind == .type)
        #expect(c.resource == "prod-web")
        #expect(c.input == ["AutoScalingGroupName": "prod-web", "DesiredCapacity": .number("8")])
        #expect(c.explain == "Runs 8 servers (was 4).")
        try RunbookEngine.apply(.confirmed(step: 2, by: "alice", typed: "prod-web"), to: &run, rb, now: Self.t0)
        #expect(RunbookEngine.next(&run, rb, now: Self.t0) == .send(step: 2, operation: c.operation, input: c.input))
        try RunbookEngine.apply(.sending(step: 2), to: &run, rb, now: Self.t0)
        #expect(run.steps[2].sent)
        try RunbookEngine.apply(.answered(step: 2, purpose: nil, value: [:], requestID: "req-do"), to: &run, rb, now: Self.t0)
        #expect(run.steps[2].status == .done)
        #expect(run.steps[2].requestID == "req-do")

        // The wait polls on its own schedule until its answer matches.
        let poll = RunbookEngine.next(&run, rb, now: Self.t0)
        guard case .read(3, .wait, _, _, _) = poll else {
            Issue.record("expected the wait's read, got \(poll)")
            return
        }
        #expect(run.steps[3].deadline == Self.t0 + 60)
        try RunbookEngine.apply(.answered(step: 3, purpose: .wait, value: Self.group, requestID: nil), to: &run, rb, now: Self.t0)
        #expect(run.steps[3].status == .running)
        #expect(RunbookEngine.next(&run, rb, now: Self.t0 + 5) == .sleep(step: 3, until: Self.t0 + 20))
        guard case .read(3, .wait, _, _, _) = RunbookEngine.next(&run, rb, now: Self.t0 + 20) else {
            Issue.record("expected the second read at +20s")
            return
        }
        let scaled: AWSValue = ["AutoScalingGroups": [["AutoScalingGroupName": "prod-web", "DesiredCapacity": "8"]]]
        try RunbookEngine.apply(.answered(step: 3, purpose: .wait, value: scaled, requestID: nil), to: &run, rb, now: Self.t0 + 20)
        #expect(run.steps[3].status == .done)
        #expect(run.steps[3].polls == 2)

        #expect(RunbookEngine.next(&run, rb, now: Self.t0 + 21) == .read(
            step: 4, purpose: .waitAlarm, operation: RunbookOperation(service: "cloudwatch", name: "DescribeAlarms"),
            input: ["AlarmNames": ["web-5xx"]], region: nil))
        try RunbookEngine.apply(
            .answered(step: 4, purpose: .waitAlarm, value: ["MetricAlarms": [["AlarmName": "web-5xx", "StateValue": "OK"]]], requestID: nil),
            to: &run, rb, now: Self.t0 + 21)
        #expect(run.steps[4].status == .done)

        #expect(RunbookEngine.next(&run, rb, now: Self.t0 + 22) == .approval(step: 5, until: Self.t0 + 22 + 300, explain: "A second person checks the graphs."))
        try RunbookEngine.apply(.approved(step: 5, by: "bob"), to: &run, rb, now: Self.t0 + 30)
        #expect(RunbookEngine.next(&run, rb, now: Self.t0 + 31) == .page(step: 6, reason: "prod-web scaled"))
        try RunbookEngine.apply(.paged(step: 6, detail: "escalated"), to: &run, rb, now: Self.t0 + 31)
        #expect(RunbookEngine.next(&run, rb, now: Self.t0 + 32) == .finished(.succeeded))
        #expect(run.status == .succeeded)
        #expect(run.finishedAt == Self.t0 + 32)
        // What the undo runbook is built from.
        #expect(run.changes(rb).map(\.step) == [2])
        #expect(run.changes(rb).first?.before["DesiredCapacity"].flatMap(RunbookText_scalar) == "4")
    }

    @Test(arguments: [
        // typed, accepted
        ("prod-web", true), ("prod-web ", false), ("PROD-WEB", false), ("", false), ("prod-we", false),
    ])
    func typedConfirmationMustMatchTheResourceExactly(typed: String, accepted: Bool) throws {
        let rb = try Self.runbook()
        var run = try Self.toConfirmation(rb)
        _ = RunbookEngine.next(&run, rb, now: Self.t0)
        let before = run
        do {
            try RunbookEngine.apply(.confirmed(step: 2, by: "alice", typed: typed), to: &run, rb, now: Self.t0)
            #expect(accepted)
            #expect(run.steps[2].status == .running)
        } catch {
            #expect(!accepted)
            #expect(error.message.contains("needs \"prod-web\" typed"))
            #expect(run == before)
        }
    }

    /// Events that do not fit the state are refused and change nothing.
    @Test(arguments: [
        RunbookEvent.confirmed(step: 0, by: "a", typed: nil),
        .sending(step: 2),
        .answered(step: 2, purpose: nil, value: [:], requestID: nil),
        .sendUnknown(step: 2, message: "x"),
        .approved(step: 1, by: "b"),
        .shown(step: 3, by: "a"),
        .resolved(step: 1, choice: .markDone, by: "a"),
        .paged(step: 0, detail: "x"),
    ])
    func eventsOutOfPlaceAreRefused(event: RunbookEvent) throws {
        let rb = try Self.runbook()
        var run = Self.fresh(rb)
        _ = RunbookEngine.next(&run, rb, now: Self.t0)
        let before = run
        #expect(throws: RunbookEngineError.self) { try RunbookEngine.apply(event, to: &run, rb, now: Self.t0) }
        #expect(run == before)
    }

    @Test func aCheckThatDoesNotMatchFailsTheRunSayingExpectedAndFound() throws {
        let rb = try Self.runbook()
        var run = Self.fresh(rb)
        _ = RunbookEngine.next(&run, rb, now: Self.t0)
        try RunbookEngine.apply(.shown(step: 0, by: "a"), to: &run, rb, now: Self.t0)
        _ = RunbookEngine.next(&run, rb, now: Self.t0)
        try RunbookEngine.apply(.answered(step: 1, purpose: .check, value: ["AutoScalingGroups": []], requestID: "r"), to: &run, rb, now: Self.t0)
        #expect(run.steps[1].status == .failed)
        #expect(run.steps[1].detail == "AutoScalingGroups[0].AutoScalingGroupName: expected prod-web, found nothing")
        #expect(run.status == .failed)
        #expect(RunbookEngine.next(&run, rb, now: Self.t0) == .finished(.failed))
        // Tried again: the failed step starts over; the done ones stay done.
        try RunbookEngine.retry(&run)
        #expect(run.status == .running)
        #expect(run.steps[0].status == .done)
        guard case .read(1, .check, _, _, _) = RunbookEngine.next(&run, rb, now: Self.t0) else {
            Issue.record("expected the check again")
            return
        }
    }

    @Test func aWaitTimesOutAtItsDeadlineNotBefore() throws {
        let rb = try Self.runbook()
        var run = try Self.toSending(rb)
        try RunbookEngine.apply(.answered(step: 2, purpose: nil, value: [:], requestID: nil), to: &run, rb, now: Self.t0)
        var clock = Self.t0
        var reads = 0
        while true {
            let action = RunbookEngine.next(&run, rb, now: clock)
            if case .sleep(_, let until) = action {
                #expect(until <= Self.t0 + 60)
                clock = until
                continue
            }
            guard case .read(3, .wait, _, _, _) = action else { break }
            reads += 1
            // Reads fail now and then; a failed read is retried on the schedule, like a miss.
            let event: RunbookEvent =
                reads == 2
                ? .readFailed(step: 3, purpose: .wait, message: "Throttling: Rate exceeded")
                : .answered(step: 3, purpose: .wait, value: Self.group, requestID: nil)
            try RunbookEngine.apply(event, to: &run, rb, now: clock)
        }
        #expect(reads == 4)  // at 0, 20, 40 and 60 seconds
        #expect(run.steps[3].status == .failed)
        #expect(run.steps[3].detail == "timed out after 1m: AutoScalingGroups[0].DesiredCapacity: expected 8, found 4")
        #expect(run.status == .failed)
    }

    @Test func anUnknownOutcomeIsVerifiedAndNeverSentAgainByItself() throws {
        let rb = try Self.runbook()
        var run = try Self.toSending(rb)
        try RunbookEngine.apply(.sendUnknown(step: 2, message: "connection reset after the request was sent"), to: &run, rb, now: Self.t0)
        #expect(run.steps[2].status == .outcomeUnknown)
        // The next action is a read, never a send.
        guard case .read(2, .verify, _, _, _) = RunbookEngine.next(&run, rb, now: Self.t0) else {
            Issue.record("expected the verification read")
            return
        }
        // The read shows nothing changed: a person decides; the engine does not re-send.
        try RunbookEngine.apply(.answered(step: 2, purpose: .verify, value: Self.group, requestID: nil), to: &run, rb, now: Self.t0)
        guard case .decide(2, .notApplied?) = RunbookEngine.next(&run, rb, now: Self.t0) else {
            Issue.record("expected a decision, got \(RunbookEngine.next(&run, rb, now: Self.t0))")
            return
        }
        #expect(RunbookEngine.next(&run, rb, now: Self.t0 + 3600) == RunbookEngine.next(&run, rb, now: Self.t0))
        try RunbookEngine.apply(.resolved(step: 2, choice: .resend, by: "alice"), to: &run, rb, now: Self.t0)
        guard case .send(2, _, _) = RunbookEngine.next(&run, rb, now: Self.t0) else {
            Issue.record("expected the deliberate re-send")
            return
        }
    }

    @Test func aVerificationThatShowsTheChangeMarksTheStepDone() throws {
        let rb = try Self.runbook()
        var run = try Self.toSending(rb)
        try RunbookEngine.apply(.sendUnknown(step: 2, message: "timed out"), to: &run, rb, now: Self.t0)
        _ = RunbookEngine.next(&run, rb, now: Self.t0)
        let scaled: AWSValue = ["AutoScalingGroups": [["AutoScalingGroupName": "prod-web", "DesiredCapacity": "8"]]]
        try RunbookEngine.apply(.answered(step: 2, purpose: .verify, value: scaled, requestID: nil), to: &run, rb, now: Self.t0)
        #expect(run.steps[2].status == .done)
        #expect(run.steps[2].detail?.hasPrefix("outcome was unknown; a read shows it took effect") == true)
    }

    /// What an interrupted `do` becomes on resume, from what the audit trail recorded.
    @Test(arguments: [
        (RunbookSendRecord.notSent, RunbookStepStatus.awaitingConfirmation, false),
        (.unknown("no outcome"), .outcomeUnknown, true),
        (.succeeded(requestID: "abc"), .done, true),
        (.failed("ValidationError: too big"), .failed, true),
    ])
    func resumeSettlesAnInterruptedSendFromTheAuditTrail(record: RunbookSendRecord, status: RunbookStepStatus, sent: Bool) throws {
        let rb = try Self.runbook()
        var run = try Self.toSending(rb)
        // ...killed here.
        RunbookEngine.reconcile(&run, records: [2: record], now: Self.t0 + 100)
        #expect(run.steps[2].status == status)
        #expect(run.steps[2].sent == sent)
        let next = RunbookEngine.next(&run, rb, now: Self.t0 + 100)
        switch status {
        case .awaitingConfirmation:
            guard case .confirm = next else { Issue.record("expected a new confirmation, got \(next)"); return }
        case .outcomeUnknown:
            guard case .read(2, .verify, _, _, _) = next else { Issue.record("expected verification, got \(next)"); return }
        case .done:
            guard case .read(3, .wait, _, _, _) = next else { Issue.record("expected the next step, got \(next)"); return }
        default:
            #expect(next == .finished(.failed))
        }
    }

    @Test func aConfirmedButUnsentStepAsksAgainOnResume() throws {
        let rb = try Self.runbook()
        var run = try Self.toConfirmation(rb)
        _ = RunbookEngine.next(&run, rb, now: Self.t0)
        try RunbookEngine.apply(.confirmed(step: 2, by: "a", typed: "prod-web"), to: &run, rb, now: Self.t0)
        RunbookEngine.reconcile(&run, records: [:], now: Self.t0)
        #expect(run.steps[2].status == .awaitingConfirmation)
    }

    @Test func templatesThatCannotBeFilledFailTheStepNamingWhere() throws {
        let rb = try RunbookLoader.parse("""
            id: bad
            title: Bad
            steps:
              - say: "{{steps.nothing.Items[0].pk.S}}"
              - check:
                  call: sqs.GetQueueAttributes
                  with: { QueueUrl: "{{steps.nothing.QueueUrl}}" }
            """, file: "bad.yaml")
        var run = RunbookRunState(runbook: rb, params: [:], region: "us-east-1", now: Self.t0)
        // A say shows what it cannot fill in as written, for a person to read.
        #expect(RunbookEngine.next(&run, rb, now: Self.t0) == .show(step: 0, text: "{{steps.nothing.Items[0].pk.S}}"))
        try RunbookEngine.apply(.shown(step: 0, by: "a"), to: &run, rb, now: Self.t0)
        #expect(RunbookEngine.next(&run, rb, now: Self.t0) == .finished(.failed))
        #expect(run.steps[1].detail?.contains("bad.yaml:7:") == true)
    }

    @Test func anApprovalTimesOut() throws {
        let rb = try RunbookLoader.parse("""
            id: ap
            title: Approve
            steps:
              - approve: { explain: Check., timeout: 10m }
            """, file: "ap.yaml")
        var run = RunbookRunState(runbook: rb, params: [:], region: "us-east-1", now: Self.t0)
        #expect(RunbookEngine.next(&run, rb, now: Self.t0) == .approval(step: 0, until: Self.t0 + 600, explain: "Check."))
        #expect(RunbookEngine.next(&run, rb, now: Self.t0 + 599) == .approval(step: 0, until: Self.t0 + 600, explain: "Check."))
        #expect(RunbookEngine.next(&run, rb, now: Self.t0 + 600) == .finished(.failed))
        #expect(run.steps[0].detail == "nobody approved within 10m")
    }

    @Test func aRunStateSurvivesItsJSONForm() throws {
        let rb = try Self.runbook()
        var run = try Self.toSending(rb)
        try RunbookEngine.apply(.sendUnknown(step: 2, message: "reset"), to: &run, rb, now: Self.t0)
        _ = RunbookEngine.next(&run, rb, now: Self.t0)
        try RunbookEngine.apply(.answered(step: 2, purpose: .verify, value: Self.group, requestID: nil), to: &run, rb, now: Self.t0)
        let text = JSON.encode(RunbookRunCoding.encode(run))
        var back = try #require(RunbookRunCoding.decode(try JSON.decode(text)))
        back.id = run.id
        #expect(back == run)
    }
}

/// Scalars as text, as the engine compares them.
func RunbookText_scalar(_ v: AWSValue) -> String? {
    switch v {
    case .string(let s): s
    case .number(let n): n
    case .bool(let b): b ? "true" : "false"
    default: nil
    }
}
