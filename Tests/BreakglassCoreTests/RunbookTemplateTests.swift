import BreakglassAWS
import BreakglassCore
import Foundation
import Testing

/// Templates: parsed at load time into parts, rendered as a pure function of the run's parameters
/// and the outputs of earlier steps.
@Suite("Runbook templates")
struct RunbookTemplateTests {
    static let here = SourceLocation(file: "t.yaml", line: 3, column: 9)
    static let field = FieldPath([.key("steps"), .index(1), .key("say")])

    static func template(_ text: String) throws -> RunbookTemplate {
        try RunbookTemplate(parsing: text, at: here, field: field)
    }

    static func path(_ text: String) throws -> AWSPath { try AWSPath(text) }

    @Test func partsAreTextParametersAndOutputs() throws {
        let t = try Self.template("Writer {{ cluster }} is {{steps.before.DBClusters[0].Status}}; }} stays")
        #expect(t.parts == [
            .text("Writer "), .param("cluster"), .text(" is "),
            .output(step: "before", path: try Self.path("DBClusters[0].Status")), .text("; }} stays"),
        ])
        #expect(t.params == ["cluster"])
        #expect(t.outputs.map(\.step) == ["before"])
        #expect(!t.isSingleExpression)
        #expect(try Self.template("{{cluster}}").isSingleExpression)
        #expect(try Self.template("plain text").parts == [.text("plain text")])
        // Text built by code (an undo step, say) is taken literally, braces and all.
        #expect(RunbookTemplate(text: "set {{x}} back", at: Self.here, field: Self.field).parts == [.text("set {{x}} back")])
        #expect(try Self.template("{{steps.find.Items[0][\"odd key\"].S}}").parts == [.output(step: "find", path: try Self.path("Items[0][\"odd key\"].S"))])
    }

    @Test(arguments: [
        ("Hello {{cluster", "`{{` is not closed by `}}` (at character 7)"),
        ("{{}}", "`{{}}` is empty; write a parameter, {{name}}, or a step's output, {{steps.ID.Path}}, e.g. {{steps.find.Items[0].pk.S}} (at character 1)"),
        ("x {{steps.find}}", "`{{steps.find}}` names no path in the step's output; write {{steps.ID.Path}}, e.g. {{steps.find.Items[0].pk.S}} (at character 3)"),
        ("{{steps}}", "`{{steps}}` names no path in the step's output; write {{steps.ID.Path}}, e.g. {{steps.find.Items[0].pk.S}} (at character 1)"),
        ("{{steps.find.Items[x]}}", "`{{steps.find.Items[x]}}`: bad path \"Items[x]\" at character 7: expected a non-negative index and ] (at character 1)"),
        ("{{steps.find..pk}}", "`{{steps.find..pk}}`: bad path \".pk\" at character 1: unexpected '.' (at character 1)"),
        ("{{steps.a b.pk}}", "`{{steps.a b.pk}}`: `a b` is not a step id (letters, digits, - and _); write {{steps.ID.Path}}, e.g. {{steps.find.Items[0].pk.S}} (at character 1)"),
        ("{{cluster.name}}", "`{{cluster.name}}` is not a parameter name; a step's output is written {{steps.ID.Path}}, e.g. {{steps.find.Items[0].pk.S}} (at character 1)"),
        ("{{my param}}", "`{{my param}}` is not a parameter name (parameter names use letters, digits, - and _) (at character 1)"),
    ])
    func syntaxErrorsSayWhatAndWhere(_ text: String, _ message: String) {
        do {
            _ = try RunbookTemplate(parsing: text, at: Self.here, field: Self.field)
            Issue.record("\(text) parsed")
        } catch {
            #expect(error.description == message)
        }
    }

    static let context = RunbookRenderContext(
        params: ["cluster": "prod-aurora", "desired": .int(8), "force": false],
        outputs: [
            "before": ["DBClusters": [["Status": "available", "Members": ["a", "b"]]]],
            "asg": ["AutoScalingGroups": [["DesiredCapacity": "4"]]],
        ])

    @Test func aSingleExpressionKeepsTheValuesType() throws {
        #expect(try Self.template("{{desired}}").render(Self.context) == .int(8))
        #expect(try Self.template("{{force}}").render(Self.context) == false)
        #expect(try Self.template("{{steps.before.DBClusters[0].Members}}").render(Self.context) == ["a", "b"])
        // Query protocols answer numbers as text; the text is passed on as it is.
        #expect(try Self.template("{{steps.asg.AutoScalingGroups[0].DesiredCapacity}}").render(Self.context) == "4")
    }

    @Test func mixedTextRendersEveryValueAsText() throws {
        let t = try Self.template("{{cluster}} is {{steps.before.DBClusters[0].Status}} with {{desired}} ({{force}}) {{steps.before.DBClusters[0].Members}}")
        #expect(try t.render(Self.context) == .string("prod-aurora is available with 8 (false) [\"a\",\"b\"]"))
        #expect(try t.renderText(Self.context) == "prod-aurora is available with 8 (false) [\"a\",\"b\"]")
    }

    @Test func whatCannotBeRenderedIsAnErrorAtTheTemplate() throws {
        let cases: [(String, String)] = [
            ("{{nope}}", "no value for the parameter `nope`"),
            ("x {{steps.later.Items[0]}}", "step `later` has recorded no output (it has not run yet)"),
            ("{{steps.before.DBClusters[3].Status}}", "step `before`'s output has nothing at DBClusters[3].Status"),
        ]
        for (text, message) in cases {
            let t = try Self.template(text)
            do {
                _ = try t.render(Self.context)
                Issue.record("\(text) rendered")
            } catch {
                #expect(error.message == message)
                #expect(error.location == Self.here && error.field == Self.field)
                #expect(error.description == "t.yaml:3:9: steps[1].say: \(message)")
            }
        }
    }

    @Test func displayShowsWhatIsMissingAsWritten() throws {
        let t = try Self.template("Runs {{steps.asg.AutoScalingGroups[0].DesiredCapacity}} now, was {{steps.old.N}}; cluster {{cluster}}")
        #expect(t.display(Self.context) == "Runs 4 now, was {{steps.old.N}}; cluster prod-aurora")
        #expect(t.display(Self.context, missing: { _ in "(not yet known)" }) == "Runs 4 now, was (not yet known); cluster prod-aurora")
    }

    // MARK: Values, calls, expectations and queries, read from a runbook

    static let runbookText = """
        id: t
        title: T
        params:
          cluster: { default: prod-aurora }
          desired: { default: 8 }
          customer: { default: c-42 }
        steps:
          - id: before
            check:
              call: autoscaling.DescribeAutoScalingGroups
              with: { AutoScalingGroupNames: ["{{cluster}}-web"], MaxRecords: 1 }
              expect: { "AutoScalingGroups[0].DesiredCapacity": "{{desired}}", "AutoScalingGroups[0].Suspended": ~ }
          - do:
              call: autoscaling.SetDesiredCapacity
              with:
                AutoScalingGroupName: "{{cluster}}-web"
                DesiredCapacity: "{{steps.before.AutoScalingGroups[0].MaxSize}}"
                HonorCooldown: false
                Tags: [{ Key: owner, Value: "on-call {{desired}}" }]
              explain: Scales.
          - id: find
            query:
              table: orders
              index: by-customer
              key: { customer: "{{customer}}", placed: { between: ["2024-12-01", "2024-12-31"] } }
              limit: 25
          - id: count
            query: { table: orders, key: { pk: 7, sk: { begins_with: "ORDER#" } }, limit: 5 }
          - id: all
            query: { table: orders, scan: true, reason: tiny table, limit: 3 }
        """

    static func runbook() throws -> Runbook { try RunbookLoader.parse(runbookText, file: "t.yaml") }

    @Test func aCallRendersItsInputInTheOrderWritten() throws {
        let rb = try Self.runbook()
        let context = RunbookRenderContext(params: ["cluster": "prod", "desired": .int(8), "customer": "c-42"], outputs: ["before": ["AutoScalingGroups": [["MaxSize": "12"]]]])
        let check = try #require(rb.steps[0].call)
        #expect(try check.render(context) == ["AutoScalingGroupNames": ["prod-web"], "MaxRecords": 1])
        let change = try #require(rb.steps[1].call)
        let input = try change.render(context)
        #expect(input == ["AutoScalingGroupName": "prod-web", "DesiredCapacity": "12", "HonorCooldown": false, "Tags": [["Key": "owner", "Value": "on-call 8"]]])
        #expect(input.object?.keys == ["AutoScalingGroupName", "DesiredCapacity", "HonorCooldown", "Tags"])
        #expect(change.resourceMember?.key == "AutoScalingGroupName")
        // Before the step it refers to has run, rendering fails (the engine must not send half an input).
        #expect(throws: RunbookRenderError.self) { try change.render(RunbookRenderContext(params: context.params)) }
    }

    @Test func expectationsCompareAcrossProtocols() throws {
        let rb = try Self.runbook()
        guard case .check(let check) = rb.steps[0].kind else { Issue.record("not a check"); return }
        let context = RunbookRenderContext(params: ["desired": .int(8)])
        // The query protocol's "8" meets the number 8; a missing member meets `~` (null).
        let answer: AWSValue = ["AutoScalingGroups": [["DesiredCapacity": "8"]]]
        #expect(try check.expect.allSatisfy { try $0.isMet(by: answer, context) })
        let other: AWSValue = ["AutoScalingGroups": [["DesiredCapacity": "4", "Suspended": "yes"]]]
        #expect(try check.expect.map { try $0.isMet(by: other, context) } == [false, false])

        #expect(RunbookExpectation.same(.number("8.0"), .int(8)))
        #expect(RunbookExpectation.same(.string("true"), true))
        #expect(!RunbookExpectation.same(.string("available"), "Available"))
        #expect(!RunbookExpectation.same(nil, "available"))
        #expect(RunbookExpectation.same(["a", .number("1")], ["a", "1"]))
        #expect(!RunbookExpectation.same(["k": "v"], "v"))
    }

    @Test func aQueryBecomesAKeyConditionRequestWithPlaceholdersOnly() throws {
        let rb = try Self.runbook()
        let context = RunbookRenderContext(params: ["customer": "c-42 OR 1=1"])
        guard case .query(let find) = rb.steps[2].kind, case .query(let count) = rb.steps[3].kind, case .query(let all) = rb.steps[4].kind else {
            Issue.record("not queries")
            return
        }
        let (op, input) = try find.request(context)
        #expect(op.description == "dynamodb.Query")
        #expect(input == [
            "TableName": "orders", "IndexName": "by-customer", "Limit": 25,
            "KeyConditionExpression": "#k0 = :v0 AND #k1 BETWEEN :v1 AND :v2",
            "ExpressionAttributeNames": ["#k0": "customer", "#k1": "placed"],
            // A value never becomes part of the expression, whatever it holds.
            "ExpressionAttributeValues": [":v0": ["S": "c-42 OR 1=1"], ":v1": ["S": "2024-12-01"], ":v2": ["S": "2024-12-31"]],
        ])
        let (_, counted) = try count.request(context)
        #expect(counted["KeyConditionExpression"] == "#k0 = :v0 AND begins_with(#k1, :v1)")
        #expect(counted["ExpressionAttributeValues"] == [":v0": ["N": "7"], ":v1": ["S": "ORDER#"]])
        let (scanOp, scanInput) = try all.request(context)
        #expect(scanOp.description == "dynamodb.Scan")
        #expect(scanInput == ["TableName": "orders", "Limit": 3])
        #expect(rb.operations.map(\.description) == ["autoscaling.DescribeAutoScalingGroups", "autoscaling.SetDesiredCapacity", "dynamodb.Query", "dynamodb.Scan"])
    }

    // MARK: Parameters of a run

    static let paramsRunbook = """
        id: p
        title: P
        params:
          cluster: { default: prod-aurora, pattern: "^[a-z0-9-]+$" }
          desired: { default: 8, pattern: "^[0-9]{1,2}$" }
          force: { default: false }
          instance: { description: No default. }
        steps:
          - say: "{{cluster}} {{desired}} {{force}} {{instance}}"
        """

    @Test func runParametersAreTypedLikeTheirDefaultsAndChecked() throws {
        let rb = try RunbookLoader.parse(Self.paramsRunbook, file: "p.yaml")
        let ok = RunbookParams.resolve(rb, given: ["instance": "i-0abc", "desired": "12", "force": "true"])
        #expect(try ok.get() == ["cluster": "prod-aurora", "desired": .number("12"), "force": true, "instance": "i-0abc"])

        guard case .failure(let bad) = RunbookParams.resolve(rb, given: ["cluster": "Prod_Aurora", "desired": "many", "force": "yes", "clustr": "x"]) else {
            Issue.record("accepted")
            return
        }
        #expect(bad.description == """
            --param clustr: runbook p has no parameter `clustr`; did you mean `cluster`? (parameters: cluster, desired, force, instance)
            --param cluster: "Prod_Aurora" does not match the pattern ^[a-z0-9-]+$
            --param desired: expected a number, found "many"
            --param force: expected true or false, found "yes"
            --param instance: no value given, and the parameter has no default
            """)
        // A number given that is outside the pattern.
        guard case .failure(let big) = RunbookParams.resolve(rb, given: ["instance": "i", "desired": "120"]) else {
            Issue.record("accepted")
            return
        }
        #expect(big.problems.map(\.message) == ["\"120\" does not match the pattern ^[0-9]{1,2}$"])
    }
}
