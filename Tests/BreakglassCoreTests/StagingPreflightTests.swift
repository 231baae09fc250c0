import BreakglassCore
import Foundation
import Testing

/// Which scenarios a staging account can play, and what it must already have: pure, from the
/// scenario alone (the reads themselves are tested against moto in DrillStagingTests).
@Suite struct StagingPreflightTests {
    static func scenario(_ faults: String, recovery: String = "") throws -> Scenario {
        try ScenarioLoader.parse("""
            id: t
            title: T
            region: us-east-1
            resources:
              instances: [{ name: web, count: 1 }]
              ecs_clusters: [{ name: prod, services: [{ name: api, count: 2 }] }]
              queues: [{ name: q }]
              functions: [{ name: f }]
              auto_scaling_groups: [{ name: g, min: 1, max: 4, desired: 2 }]
              alarms:
                - { name: a, namespace: N, metric: M, threshold: 1, ok_when: { signal: queue_depth, of: q, below: 5 } }
            faults:
            \(faults)
            \(recovery.isEmpty ? "" : "recovery:\n" + recovery)
            """, file: "t.yaml")
    }

    @Test func onlyTheGatewaysFaultsAndSignalsAreSandboxOnly() throws {
        let playable = try Self.scenario("""
              - fill_queue: { queue: q, messages: 10 }
              - { at: 5s, scale_service: { service: prod/api, count: 0 } }
              - { at: 6s, stop_instance: web }
              - { at: 7s, function_concurrency: { function: f, value: 0 } }
              - { at: 8s, set_capacity: { group: g, desired: 1 } }
              - { at: 9s, set_alarm: { name: a, state: ALARM, reason: r } }
            """, recovery: "  - { signal: alarm_state, of: a, is: OK }")
        #expect(StagingPreflight.sandboxOnly(playable).isEmpty)

        let impaired = try Self.scenario("  - impair_instance: web", recovery: "  - { signal: reboots, of: web, at_least: 1 }\n  - { signal: instance_status, of: web, is: ok }")
        let only = StagingPreflight.sandboxOnly(impaired)
        #expect(only.count == 3, "\(only)")
        #expect(only.first?.hasPrefix("fault 1 (impair_instance web)") == true, "\(only)")
        #expect(only.contains { $0.contains("reboots is counted by the sandbox's gateway") }, "\(only)")
    }

    @Test func everyResourceAFaultTouchesOrAConditionReadsIsCheckedOnce() throws {
        let s = try Self.scenario("""
              - fill_queue: { queue: q, messages: 10 }
              - { at: 1s, fill_queue: { queue: q, messages: 10 } }
              - { at: 5s, scale_service: { service: prod/api, count: 0 } }
              - { at: 6s, stop_instance: web }
              - { at: 7s, function_concurrency: { function: f, value: 0 } }
              - { at: 8s, set_capacity: { group: g, desired: 1 } }
              - { at: 9s, set_alarm: { name: a, state: ALARM, reason: r } }
            """, recovery: "  - { signal: alarm_state, of: a, is: OK }\n  - { signal: running_count, of: prod/api, at_least: 2 }")
        let checks = StagingPreflight.checks(s).map { "\($0.signal.rawValue) \($0.of)" }
        #expect(checks == [
            "queue_depth q", "desired_count prod/api", "instance_state web", "function_concurrency f", "desired_capacity g", "alarm_state a",
            "running_count prod/api",
        ])
    }
}
