import BreakglassAWS
@testable import BreakglassCore
import Foundation
import Testing

/// `SSMImport`: SSM Automation documents into runbooks, or the list of what cannot be converted.
@Suite("SSM import")
struct SSMImportTests {
    /// A schemaVersion 0.3 document with these parameters and steps (YAML, indented as under
    /// `parameters:` and `mainSteps:`).
    static func document(params: String = "", _ steps: String) -> String {
        var text = "schemaVersion: '0.3'\ndescription: Test document\n"
        if !params.isEmpty { text += "parameters:\n" + params.indented(2) + "\n" }
        return text + "mainSteps:\n" + steps.indented(2) + "\n"
    }

    /// The document converted, loaded back with the runbook loader and linted: it must lint clean.
    static func convert(_ text: String, file: String = "doc.yaml") throws -> (yaml: String, runbook: Runbook) {
        let converted = try SSMImport.convert(text, file: file)
        let runbook = try RunbookLoader.parse(converted.yaml, file: "out.yaml")
        #expect(RunbookLinter.lint(runbook).map(\.description) == [], "\(converted.yaml)")
        return (converted.yaml, runbook)
    }

    /// Each step in one line: its id, kind and what it does.
    static func summary(_ step: RunbookStep) -> String {
        var text = step.id.map { "\($0.value): " } ?? ""
        func call(_ c: RunbookCall) -> String {
            "\(c.operation)" + (c.input.isEmpty ? "" : " " + JSON.encode(.object(AWSObject(c.input.map { ($0.key, $0.value.written) }))))
        }
        func expectations(_ e: [RunbookExpectation]) -> String {
            e.map { "\($0.path.text)=\(JSON.encode($0.value.written))" }.joined(separator: ",")
        }
        switch step.kind {
        case .say(let t): text += "say \(t.source)"
        case .check(let c):
            text += "check \(call(c.call))"
            if !c.expect.isEmpty { text += " expect \(expectations(c.expect))" }
            if let e = c.explain { text += " explain \(e.source)" }
        case .do(let d): text += "do \(call(d.call)) confirm \(d.confirm.rawValue) explain \(d.explain?.source ?? "-")"
        case .wait(let w):
            text += "wait \(call(w.call)) until \(expectations(w.until)) timeout \(DurationSyntax.format(w.timeout)) every \(DurationSyntax.format(w.every))"
            if let e = w.explain { text += " explain \(e.source)" }
        case .approve(let a): text += "approve \(a.explain.source)" + (a.timeout.map { " timeout \(DurationSyntax.format($0))" } ?? "")
        case .waitAlarm, .page, .query: text += step.kindName
        }
        return text
    }

    static func problems(_ text: String, file: String = "doc.yaml") -> [String] {
        do {
            let converted = try SSMImport.convert(text, file: file)
            Issue.record("expected problems, got\n\(converted.yaml)")
            return []
        } catch {
            switch error {
            case .unconvertible(let parts): return parts.map(\.description)
            case .document(let errors): return errors.errors.map { "document: " + $0.description }
            case .invalidOutput(let errors): return errors.map { "invalid output: " + $0.description }
            }
        }
    }

    static func documentErrors(_ text: String, file: String = "doc.yaml") -> [String] {
        do {
            _ = try SSMImport.convert(text, file: file)
            Issue.record("expected document errors")
            return []
        } catch {
            switch error {
            case .document(let errors): return errors.errors.map(\.description)
            default:
                Issue.record("expected document errors, got \(error)")
                return []
            }
        }
    }

    // MARK: Each action

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let params: String
        let steps: String
        let expected: [String]
        var testDescription: String { name }

        init(_ name: String, params: String = "", _ steps: String, _ expected: [String]) {
            self.name = name
            self.params = params
            self.steps = steps
            self.expected = expected
        }
    }

    static let cases: [Case] = [
        Case("a read becomes a check", params: "Db: { type: String, default: prod-db }", """
            - name: Describe
              action: aws:executeAwsApi
              description: Reads the instance.
              inputs: { Service: rds, Api: DescribeDBInstances, DBInstanceIdentifier: '{{ Db }}' }
            """, [#"Describe: check rds.DescribeDBInstances {"DBInstanceIdentifier":"{{Db}}"} explain Reads the instance."#]),
        Case("a change becomes a do with typed confirmation and the step's description", params: "Db: { type: String, default: prod-db }", """
            - name: Reboot
              action: aws:executeAwsApi
              description: Restarts the database. Connections drop for a minute.
              inputs: { Service: rds, Api: RebootDBInstance, DBInstanceIdentifier: '{{Db}}', ForceFailover: false }
            """, [#"Reboot: do rds.RebootDBInstance {"DBInstanceIdentifier":"{{Db}}","ForceFailover":false} confirm type explain Restarts the database. Connections drop for a minute."#]),
        Case("a change without a description gets a generated explain", params: "Queue: { type: String, default: q }", """
            - name: Purge
              action: aws:executeAwsApi
              inputs: { Service: sqs, Api: PurgeQueue, QueueUrl: '{{ Queue }}' }
            """, [#"Purge: do sqs.PurgeQueue {"QueueUrl":"{{Queue}}"} confirm type explain Sends sqs.PurgeQueue for {{Queue}}. This changes something in AWS; the SSM document does not say what people will notice, so read the call before you confirm."#]),
        Case("a change whose resource is a list is confirmed with yes", """
            - name: Reboot
              action: aws:executeAwsApi
              inputs: { Service: ec2, Api: RebootInstances, InstanceIds: [i-0123456789abcdef0] }
            """, [#"Reboot: do ec2.RebootInstances {"InstanceIds":["i-0123456789abcdef0"]} confirm yes explain Sends ec2.RebootInstances for i-0123456789abcdef0. This changes something in AWS; the SSM document does not say what people will notice, so read the call before you confirm."#]),
        Case("snake_case API names", """
            - { name: a, action: aws:executeAwsApi, inputs: { Service: rds, Api: describe_db_clusters } }
            - { name: b, action: aws:executeAwsApi, inputs: { Service: autoscaling, Api: describe_auto_scaling_groups } }
            - { name: c, action: aws:executeAwsApi, inputs: { Service: lambda, Api: get_function_concurrency, FunctionName: f } }
            - { name: d, action: aws:executeAwsApi, inputs: { Service: sts, Api: get_caller_identity } }
            - { name: e, action: aws:executeAwsApi, inputs: { Service: CloudWatch, Api: describeAlarms } }
            """, ["a: check rds.DescribeDBClusters", "b: check autoscaling.DescribeAutoScalingGroups",
                  #"c: check lambda.GetFunctionConcurrency {"FunctionName":"f"}"#, "d: check sts.GetCallerIdentity", "e: check cloudwatch.DescribeAlarms"]),
        Case("an output used later becomes a step output reference", """
            - name: Find
              action: aws:executeAwsApi
              inputs: { Service: rds, Api: DescribeDBClusters }
              outputs:
                - { Name: Writer, Selector: '$.DBClusters[0].DBClusterMembers[0].DBInstanceIdentifier', Type: String }
                - { Name: Odd, Selector: "$['DBClusters'][0]['Status']", Type: String }
            - name: Reboot
              action: aws:executeAwsApi
              description: 'Restarts {{ Find.Writer }} ({{Find.Odd}}).'
              inputs: { Service: rds, Api: RebootDBInstance, DBInstanceIdentifier: '{{ Find.Writer }}' }
            """, ["Find: check rds.DescribeDBClusters",
                  #"Reboot: do rds.RebootDBInstance {"DBInstanceIdentifier":"{{steps.Find.DBClusters[0].DBClusterMembers[0].DBInstanceIdentifier}}"} confirm type explain Restarts {{steps.Find.DBClusters[0].DBClusterMembers[0].DBInstanceIdentifier}} ({{steps.Find.DBClusters[0].Status}})."#]),
        Case("EC2 selectors become the names of EC2's XML", """
            - name: Find
              action: aws:executeAwsApi
              inputs: { Service: ec2, Api: DescribeInstances, Filters: [{ Name: 'tag:Name', Values: [web] }] }
              outputs: [{ Name: Id, Selector: '$.Reservations[0].Instances[0].InstanceId', Type: String }]
            - name: WaitOk
              action: aws:waitForAwsResourceProperty
              inputs:
                Service: ec2
                Api: DescribeInstanceStatus
                InstanceIds: ['{{ Find.Id }}']
                PropertySelector: $.InstanceStatuses[0].SystemStatus.Status
                DesiredValues: [ok]
            """, [#"Find: check ec2.DescribeInstances {"Filters":[{"Name":"tag:Name","Values":["web"]}]}"#,
                  #"WaitOk: wait ec2.DescribeInstanceStatus {"InstanceIds":["{{steps.Find.reservationSet[0].instancesSet[0].instanceId}}"]} until instanceStatusSet[0].systemStatus.status="ok" timeout 1h every 10s"#]),
        Case("a wait with its timeout, and one with SSM's default", """
            - name: Short
              action: aws:waitForAwsResourceProperty
              timeoutSeconds: 90
              description: Waits for the cluster.
              inputs: { Service: rds, Api: DescribeDBClusters, DBClusterIdentifier: c, PropertySelector: '$.DBClusters[0].Status', DesiredValues: [available] }
            - name: Long
              action: aws:waitForAwsResourceProperty
              inputs: { Service: sqs, Api: GetQueueAttributes, QueueUrl: q, AttributeNames: [All], PropertySelector: $.Attributes.ApproximateNumberOfMessages, DesiredValues: ['0'] }
            - name: Tiny
              action: aws:waitForAwsResourceProperty
              timeoutSeconds: 3
              inputs: { Service: rds, Api: DescribeDBClusters, PropertySelector: '$.DBClusters[0].Status', DesiredValues: [available] }
            """, [#"Short: wait rds.DescribeDBClusters {"DBClusterIdentifier":"c"} until DBClusters[0].Status="available" timeout 1m30s every 10s explain Waits for the cluster."#,
                  #"Long: wait sqs.GetQueueAttributes {"QueueUrl":"q","AttributeNames":["All"]} until Attributes.ApproximateNumberOfMessages="0" timeout 1h every 10s"#,
                  #"Tiny: wait rds.DescribeDBClusters until DBClusters[0].Status="available" timeout 3s every 3s"#]),
        Case("an assert becomes a check with expect", """
            - name: IsAvailable
              action: aws:assertAwsResourceProperty
              inputs: { Service: ecs, Api: describe_services, cluster: prod, services: [api], PropertySelector: '$.services[0].desiredCount', DesiredValues: [3] }
            """, [#"IsAvailable: check ecs.DescribeServices {"cluster":"prod","services":["api"]} expect services[0].desiredCount=3"#]),
        Case("an approval keeps its message, approvers and timeout", params: "Who: { type: StringList, default: [alice] }", """
            - name: Ok
              action: aws:approve
              timeoutSeconds: 900
              inputs: { Message: 'Purge the queue?', Approvers: ['{{ Who }}', arn:aws:iam::111122223333:user/bob], MinRequiredApprovals: 2 }
            - name: Plain
              action: aws:approve
              inputs: { Approvers: '{{Who}}' }
            """, ["Ok: approve Purge the queue? In the SSM document the approvers were {{Who}}, arn:aws:iam::111122223333:user/bob, and 2 of them had to approve. timeout 15m",
                  "Plain: approve Approve the steps that follow. In the SSM document the approvers were {{Who}}."]),
        Case("text that YAML would read as something else stays text", params: "Answer: { type: String, default: 'no' }", """
            - name: Tricky
              action: aws:executeAwsApi
              description: "#1: check it, 'quoted' and \\"double\\" -- yes"
              inputs: { Service: sqs, Api: GetQueueUrl, QueueName: '007', QueueOwnerAWSAccountId: 'yes' }
            - name: Counts
              action: aws:assertAwsResourceProperty
              inputs: { Service: sqs, Api: GetQueueAttributes, QueueUrl: 'null', AttributeNames: ['~', 'on'], PropertySelector: '$.Attributes.A', DesiredValues: ['8'] }
            - name: Number
              action: aws:assertAwsResourceProperty
              inputs: { Service: sqs, Api: GetQueueAttributes, QueueUrl: "{{ Answer }}: yes", PropertySelector: '$.Attributes.A', DesiredValues: [8] }
            """, [#"Tricky: check sqs.GetQueueUrl {"QueueName":"007","QueueOwnerAWSAccountId":"yes"} explain #1: check it, 'quoted' and "double" -- yes"#,
                  #"Counts: check sqs.GetQueueAttributes {"QueueUrl":"null","AttributeNames":["~","on"]} expect Attributes.A="8""#,
                  #"Number: check sqs.GetQueueAttributes {"QueueUrl":"{{Answer}}: yes"} expect Attributes.A=8"#]),
        Case("a pause asks the operator to go on when ready", """
            - { name: Look, action: aws:pause, inputs: {} }
            - { name: Check, action: aws:pause, description: Check the dashboard. }
            """, ["Look: say Stop and check that the steps so far went as expected. Continue when you are ready.",
                  "Check: say Check the dashboard. Continue when you are ready."]),
        Case("a sleep asks the operator to wait", """
            - { name: Settle, action: aws:sleep, inputs: { Duration: PT1H30M } }
            - { name: Day, action: aws:sleep, inputs: { Duration: P1DT45S } }
            - { name: Until, action: aws:sleep, inputs: { Timestamp: '2025-01-31T09:00:00Z' } }
            """, ["Settle: say Wait 1 hour 30 minutes before you go on, then confirm this step.",
                  "Day: say Wait 1 day 45 seconds before you go on, then confirm this step.",
                  "Until: say Wait until 2025-01-31T09:00:00Z (UTC) before you go on, then confirm this step."]),
        Case("a branch is spelled out", params: "Mode: { type: String, default: fast }\nCount: { type: Integer, default: 3 }", """
            - name: Get
              action: aws:executeAwsApi
              inputs: { Service: rds, Api: DescribeDBClusters }
              outputs: [{ Name: Status, Selector: '$.DBClusters[0].Status', Type: String }]
            - name: Choose
              action: aws:branch
              inputs:
                Choices:
                  - { NextStep: Failover, Variable: '{{ Get.Status }}', StringEquals: available }
                  - NextStep: Wait
                    Or:
                      - { Variable: '{{Mode}}', EqualsIgnoreCase: SLOW }
                      - Not: { Variable: '{{Count}}', NumericLesser: 2 }
                      - And:
                          - { Variable: '{{Mode}}', StartsWith: f }
                          - Not: { Or: [{ Variable: '{{Mode}}', EndsWith: x }, { Variable: '{{Mode}}', Contains: y }] }
                Default: Done
            - { name: Failover, action: aws:pause, inputs: {} }
            - { name: Wait, action: aws:pause, inputs: {} }
            - { name: Done, action: aws:pause, inputs: {} }
            """, ["Get: check rds.DescribeDBClusters",
                  #"Choose: say Choose how to go on. If {{steps.Get.DBClusters[0].Status}} is "available", go on at step 3 (Failover). If {{Mode}} is "SLOW" (in upper or lower case) or {{Count}} is at least 2 or ({{Mode}} starts with "f" and not ({{Mode}} ends with "x" or {{Mode}} contains "y")), go on at step 4 (Wait). Otherwise, go on at step 5 (Done). Skip the steps in between."#,
                  "Failover: say Stop and check that the steps so far went as expected. Continue when you are ready.",
                  "Wait: say Stop and check that the steps so far went as expected. Continue when you are ready.",
                  "Done: say Stop and check that the steps so far went as expected. Continue when you are ready."]),
    ]

    @Test(arguments: cases)
    func eachActionConverts(_ c: Case) throws {
        let (yaml, runbook) = try Self.convert(Self.document(params: c.params, c.steps))
        #expect(runbook.steps.map(Self.summary) == c.expected, "\(yaml)")
    }

    @Test func controlFlowBecomesInstructions() throws {
        let (yaml, runbook) = try Self.convert(Self.document(params: "Flag: { type: Boolean, default: true }", """
            - name: Choose
              action: aws:branch
              inputs: { Choices: [{ NextStep: B, Variable: '{{ Flag }}', BooleanEquals: false }] }
            - { name: A, action: aws:pause, nextStep: C }
            - { name: B, action: aws:pause, isEnd: true }
            - { name: C, action: aws:pause, nextStep: D }
            - { name: D, action: aws:pause }
            """))
        #expect(runbook.steps.map(Self.summary) == [
            "Choose: say Choose how to go on. If {{Flag}} is false, go on at step 4 (B). Otherwise, go on with the next step. Skip the steps in between.",
            "A: say Stop and check that the steps so far went as expected. Continue when you are ready.",
            "say Go on at step 6 (C) now: skip the steps in between, which the SSM document runs only on other paths.",
            "B: say Stop and check that the steps so far went as expected. Continue when you are ready.",
            "say Stop here: the SSM document ends after this step. The steps below belong to other paths of the document; skip them.",
            "C: say Stop and check that the steps so far went as expected. Continue when you are ready.",
            "D: say Stop and check that the steps so far went as expected. Continue when you are ready.",
        ], "\(yaml)")
    }

    // MARK: Parameters

    @Test func parametersBecomeParams() throws {
        let (yaml, runbook) = try Self.convert(Self.document(params: """
            Cluster: { type: String, default: prod-aurora, allowedPattern: '^[a-z][a-z0-9-]{0,62}$', description: The cluster. }
            Desired: { type: Integer, default: 8 }
            Force: { type: Boolean, default: 'false' }
            Ids: { type: StringList, default: [i-0123456789abcdef0], description: Instances. }
            Size: { type: String, allowedValues: [db.r6g.large, db.r6g.2xlarge], default: db.r6g.large }
            Loose: { type: String, allowedPattern: '[0-9]+', default: '12' }
            my.param: { type: String, default: 'yes' }
            steps: { type: String, default: '007' }
            AutomationAssumeRole: { type: String, default: '' }
            """, "- { name: Look, action: aws:pause, description: 'Check {{ my.param }} and {{steps}}.' }"))
        #expect(runbook.steps.map(Self.summary) == ["Look: say Check {{my-param}} and {{steps-param}}. Continue when you are ready."])
        let params = runbook.params.map { p in
            "\(p.name)=\(p.defaultValue.map { JSON.encode($0) } ?? "-") \(p.pattern?.value ?? "-") \(p.description ?? "-")"
        }
        #expect(params == [
            #"Cluster="prod-aurora" ^[a-z][a-z0-9-]{0,62}$ The cluster."#,
            "Desired=8 - -",
            "Force=false - -",
            #"Ids="i-0123456789abcdef0" - Instances."#,
            #"Size="db.r6g.large" ^(?:db\.r6g\.large|db\.r6g\.2xlarge)$ -"#,
            #"Loose="12" [0-9]+ -"#,
            #"my-param="yes" - -"#,
            #"steps-param="007" - -"#,
        ], "\(yaml)")
        for comment in [
            "# SSM's Ids is a StringList; a Breakglass parameter holds one value, so this one takes one item.",
            "# pattern: from SSM's allowedValues (db.r6g.large, db.r6g.2xlarge).",
            "# pattern: SSM's allowedPattern as written; Breakglass searches for it in the value, so anchor it",
            "# SSM's name: my.param.",
            "# The SSM parameter AutomationAssumeRole (the role SSM runs the document as) is left out: Breakglass",
        ] {
            #expect(yaml.contains(comment), "\(comment)\n\(yaml)")
        }
    }

    // MARK: What cannot be converted

    struct Unconvertible: Sendable, CustomTestStringConvertible {
        let name: String
        let params: String
        let steps: String
        let expected: [String]
        var testDescription: String { name }

        init(_ name: String, params: String = "", _ steps: String, _ expected: [String]) {
            self.name = name
            self.params = params
            self.steps = steps
            self.expected = expected
        }
    }

    /// Lines and columns: the document starts with 2 header lines, then `parameters:` and its lines
    /// when there are any, then `mainSteps:`; steps are indented by 2.
    static let unconvertibleCases: [Unconvertible] = [
        Unconvertible("an operation the catalog does not have, with what the service has", """
            - { name: Delete, action: aws:executeAwsApi, inputs: { Service: rds, Api: DeleteDBInstance, DBInstanceIdentifier: x } }
            """, ["doc.yaml:4:77: mainSteps[0] (Delete): rds.DeleteDBInstance is not in Breakglass's catalog (rds has DescribeDBInstances, DescribeDBClusters, RebootDBInstance, FailoverDBCluster, ModifyDBInstance, CreateDBCluster, CreateDBInstance)"]),
        Unconvertible("a misspelled operation, with the nearest", """
            - { name: Get, action: aws:executeAwsApi, inputs: { Service: rds, Api: describe_db_instance } }
            """, ["doc.yaml:4:74: mainSteps[0] (Get): rds.describe_db_instance is not in Breakglass's catalog; did you mean DescribeDBInstances? (rds has DescribeDBInstances, DescribeDBClusters, RebootDBInstance, FailoverDBCluster, ModifyDBInstance, CreateDBCluster, CreateDBInstance)"]),
        Unconvertible("a service the catalog does not have", """
            - { name: Get, action: aws:executeAwsApi, inputs: { Service: s3, Api: ListBuckets } }
            """, ["doc.yaml:4:64: mainSteps[0] (Get): Breakglass's catalog has no service `s3` (it has cloudwatch, ec2, autoscaling, ecs, rds, elbv2, dynamodb, sqs, lambda, sts, iam, sns, logs, ssm)"]),
        Unconvertible("a parameter the operation does not take, and one it needs", """
            - name: Reboot
              action: aws:executeAwsApi
              inputs: { Service: rds, Api: RebootDBInstance, DBInstanceIdentifer: x }
            """, ["doc.yaml:6:34: mainSteps[0] (Reboot): rds.RebootDBInstance needs the parameter DBInstanceIdentifier, which the step does not give",
                  "doc.yaml:6:52: mainSteps[0] (Reboot): rds.RebootDBInstance has no parameter DBInstanceIdentifer in Breakglass's catalog; did you mean DBInstanceIdentifier?"]),
        Unconvertible("a wait for one of several values", """
            - name: Wait
              action: aws:waitForAwsResourceProperty
              inputs:
                Service: rds
                Api: DescribeDBClusters
                PropertySelector: $.DBClusters[0].Status
                DesiredValues: [available, backing-up]
            """, ["doc.yaml:10:22: mainSteps[0] (Wait): DesiredValues lists 2 values (available, backing-up); a Breakglass wait compares each path with one value, so it cannot accept any of several"]),
        Unconvertible("an assert for one of several values, and a selector that is not a path", """
            - name: Check
              action: aws:assertAwsResourceProperty
              inputs: { Service: rds, Api: DescribeDBClusters, PropertySelector: '$.DBClusters[0].Status', DesiredValues: [a, b] }
            - name: Deep
              action: aws:assertAwsResourceProperty
              inputs: { Service: rds, Api: DescribeDBClusters, PropertySelector: '$..Status', DesiredValues: [a] }
            """, ["doc.yaml:6:113: mainSteps[0] (Check): DesiredValues lists 2 values (a, b); a Breakglass check compares each path with one value, so it cannot accept any of several",
                  "doc.yaml:9:72: mainSteps[1] (Deep): PropertySelector $..Status is not a plain path into the answer: Breakglass paths name members and list positions, such as $.DBInstances[0].DBInstanceStatus"]),
        Unconvertible("a wait on a call that changes something", """
            - name: Wait
              action: aws:waitForAwsResourceProperty
              inputs: { Service: sqs, Api: PurgeQueue, QueueUrl: q, PropertySelector: $.x, DesiredValues: [a] }
            """, ["doc.yaml:6:34: mainSteps[0] (Wait): aws:waitForAwsResourceProperty calls sqs.PurgeQueue, which changes something in AWS; a Breakglass wait only reads"]),
        Unconvertible("SSM's own variables", """
            - name: Get
              action: aws:executeAwsApi
              inputs: { Service: sts, Api: AssumeRole, RoleArn: 'arn:aws:iam::{{ global:ACCOUNT_ID }}:role/x', RoleSessionName: '{{automation:EXECUTION_ID}}' }
            """, ["doc.yaml:6:55: mainSteps[0] (Get): uses {{ global:ACCOUNT_ID }}, a value SSM fills in as it runs; a Breakglass runbook knows only its parameters and the outputs of earlier steps, so make it a parameter",
                  "doc.yaml:6:119: mainSteps[0] (Get): uses {{ automation:EXECUTION_ID }}, a value SSM fills in as it runs; a Breakglass runbook knows only its parameters and the outputs of earlier steps, so make it a parameter"]),
        Unconvertible("references that cannot work", params: "Role: { type: String }\nAutomationAssumeRole: { type: String }", """
            - name: First
              action: aws:executeAwsApi
              inputs: { Service: sns, Api: Publish, Message: '{{ Later.Out }} {{ Missing }} {{ AutomationAssumeRole }} {{ Role.Name }}', TopicArn: t }
            - name: Later
              action: aws:executeAwsApi
              inputs: { Service: rds, Api: DescribeDBClusters }
              outputs: [{ Name: Out, Selector: $, Type: String }]
            - name: Use
              action: aws:executeAwsApi
              inputs: { Service: sns, Api: Publish, Message: '{{ Later.Out }} {{ Later.Other }}', TopicArn: t }
            """, [
                "doc.yaml:9:52: mainSteps[0] (First): uses {{ AutomationAssumeRole }}, the role SSM runs the document as; the import leaves that parameter out because Breakglass derives its own session policy from the steps",
                "doc.yaml:9:52: mainSteps[0] (First): uses {{ Later.Out }}, the output of a later step (mainSteps[1] (Later)); Breakglass runs steps in order, so a step can only use the outputs of steps before it",
                "doc.yaml:9:52: mainSteps[0] (First): uses {{ Missing }}, but the document has no parameter Missing",
                "doc.yaml:9:52: mainSteps[0] (First): uses {{ Role.Name }}, but no step is named Role",
                "doc.yaml:16:52: mainSteps[2] (Use): uses {{ Later.Other }}, but step Later has no output named Other (it has Out)",
                "doc.yaml:16:52: mainSteps[2] (Use): uses {{ Later.Out }}, whose Selector $ selects the whole answer; a Breakglass template names a path inside it, such as DBInstances[0].DBInstanceStatus",
            ]),
        Unconvertible("a branch on something the operator cannot see, and one that goes back", params: "Mode: { type: String }", """
            - { name: Start, action: aws:pause }
            - name: Choose
              action: aws:branch
              inputs:
                Choices:
                  - { NextStep: Start, Variable: '{{ Mode }}', StringEquals: again }
                  - { NextStep: End, Variable: plain text, StringEquals: x }
                  - { NextStep: End, Variable: '{{ global:REGION }}', StringEquals: us-east-1 }
            - { name: End, action: aws:pause, nextStep: Start }
            """, [
                "doc.yaml:11:23: mainSteps[1] (Choose): NextStep Start goes back to mainSteps[0] (Start); a Breakglass runbook runs once from top to bottom, so it cannot repeat steps",
                "doc.yaml:12:38: mainSteps[1] (Choose): the branch's Variable \"plain text\" is not a parameter or a step's output, so there is nothing for the operator to look at",
                "doc.yaml:13:38: mainSteps[1] (Choose): uses {{ global:REGION }}, a value SSM fills in as it runs; a Breakglass runbook knows only its parameters and the outputs of earlier steps, so make it a parameter",
                "doc.yaml:14:47: mainSteps[2] (End): nextStep goes back to mainSteps[0] (Start); a Breakglass runbook runs once from top to bottom, so it cannot repeat steps",
            ]),
        Unconvertible("parameters a runbook cannot hold", params: """
            Tags: { type: MapList }
            Settings: { type: StringMap, default: {} }
            Ids: { type: StringList, default: [a, b] }
            Count: { type: Integer, default: many }
            When: { type: String, default: '{{ global:DATE }}' }
            Zone: { type: String, default: eu, allowedPattern: '^us-' }
            Bad: { type: String, allowedPattern: '([' }
            """, "- { name: Look, action: aws:pause }", [
                "doc.yaml:4:3: parameters.Tags: a MapList parameter holds a list of mappings; a Breakglass parameter holds one value (text, a number or true/false)",
                "doc.yaml:5:3: parameters.Settings: a StringMap parameter holds a mapping; a Breakglass parameter holds one value (text, a number or true/false)",
                "doc.yaml:6:37: parameters.Ids: the default lists 2 values; a Breakglass parameter holds one value, so the default can only be one item",
                "doc.yaml:7:36: parameters.Count: the default \"many\" is not a whole number, as an Integer parameter needs",
                "doc.yaml:8:34: parameters.When: the default uses {{…}} ({{ global:DATE }}); a Breakglass default is a value written out, not a template",
                "doc.yaml:9:34: parameters.Zone: the default \"eu\" does not match the parameter's pattern ^us-",
                "doc.yaml:10:40: parameters.Bad: the pattern ([ is not a regular expression Breakglass can read: expected custom character class members",
            ]),
        Unconvertible("actions with no equivalent", """
            - { name: a, action: aws:runCommand, inputs: { DocumentName: AWS-RunShellScript } }
            - { name: b, action: aws:executeScript, inputs: { Runtime: python3.11, Handler: h, Script: x } }
            - { name: c, action: aws:invokeLambdaFunction, inputs: { FunctionName: f } }
            - { name: d, action: aws:createStack, inputs: { StackName: s } }
            - { name: e, action: aws:changeInstanceState, inputs: { InstanceIds: [i-1], DesiredState: stopped } }
            - { name: f, action: aws:loop, inputs: {} }
            - { name: g, action: aws:somethingNew, inputs: {} }
            """, [
                "doc.yaml:4:24: mainSteps[0] (a): aws:runCommand runs commands on instances through SSM Run Command; a Breakglass runbook only makes AWS API calls from its catalog (write the commands in a `say` step for the operator instead)",
                "doc.yaml:5:24: mainSteps[1] (b): aws:executeScript runs a Python or PowerShell script inside SSM; a Breakglass runbook does not run scripts (make each API call an aws:executeAwsApi step, or write the check in a `say` step)",
                "doc.yaml:6:24: mainSteps[2] (c): aws:invokeLambdaFunction invokes a Lambda function; lambda.Invoke is not in Breakglass's catalog",
                "doc.yaml:7:24: mainSteps[3] (d): aws:createStack changes a CloudFormation stack; cloudformation is not in Breakglass's catalog",
                "doc.yaml:8:24: mainSteps[4] (e): aws:changeInstanceState has no Breakglass equivalent; write it as aws:executeAwsApi (ec2 StopInstances or StartInstances) followed by aws:waitForAwsResourceProperty on DescribeInstances",
                "doc.yaml:9:24: mainSteps[5] (f): aws:loop repeats steps; a Breakglass runbook runs once from top to bottom",
                "doc.yaml:10:24: mainSteps[6] (g): aws:somethingNew has no Breakglass equivalent; the import converts aws:executeAwsApi, aws:waitForAwsResourceProperty, aws:assertAwsResourceProperty, aws:approve, aws:pause, aws:sleep and aws:branch",
            ]),
    ]

    @Test(arguments: unconvertibleCases)
    func whatCannotBeConvertedIsNamed(_ c: Unconvertible) {
        #expect(Self.problems(Self.document(params: c.params, c.steps)) == c.expected)
    }

    @Test func aStepThatUsesTheOutputOfAnUnconvertibleStepSaysSo() {
        #expect(Self.problems(Self.document("""
            - name: Run
              action: aws:executeScript
              inputs: { Runtime: python3.11, Handler: h, Script: x }
              outputs: [{ Name: Id, Selector: $.Payload.id, Type: String }]
            - { name: Use, action: aws:executeAwsApi, inputs: { Service: sqs, Api: PurgeQueue, QueueUrl: '{{ Run.Id }}' } }
            """)) == [
                "doc.yaml:5:13: mainSteps[0] (Run): aws:executeScript runs a Python or PowerShell script inside SSM; a Breakglass runbook does not run scripts (make each API call an aws:executeAwsApi step, or write the check in a `say` step)",
                "doc.yaml:8:96: mainSteps[1] (Use): uses {{ Run.Id }}, an output of mainSteps[0] (Run), which cannot be converted",
            ])
    }

    // MARK: Broken documents

    @Test func brokenDocumentsNameFileLineColumnAndField() {
        #expect(Self.documentErrors("schemaVersion: '2.2'\nmainSteps: []\n") == [
            "doc.yaml:1:16: schemaVersion: expected schemaVersion 0.3 (an Automation document), found 2.2; import-ssm converts Automation documents only, not Command (2.2) or other document types",
            "doc.yaml:2:12: mainSteps: an Automation document needs at least one step",
        ])
        #expect(Self.documentErrors("schemaVersion: '0.3'\ndescription: x\n") == ["doc.yaml:1:1: missing required key `mainSteps`"])
        #expect(Self.documentErrors("- a\n- b\n") == ["doc.yaml:1:1: expected an SSM Automation document: a mapping with schemaVersion 0.3 and mainSteps, found a list"])
        #expect(Self.documentErrors(Self.document("""
            - action: aws:pause
            - name: NoAction
            - name: Api
              action: aws:executeAwsApi
              inputs: { Api: DescribeDBClusters }
            - name: Wait
              action: aws:waitForAwsResourceProperty
              inputs: { Service: rds, Api: DescribeDBClusters, DesiredValues: available }
            - { name: Sleep, action: aws:sleep, inputs: { Duration: 10 minutes } }
            - { name: Branch, action: aws:branch, inputs: { Choices: [{ NextStep: Nowhere, Variable: '{{x}}', StringEqual: a }] } }
            - { name: Go, action: aws:pause, nextStep: Nowere, isEnd: 'yes', timeoutSeconds: 0 }
            - { name: Go, action: aws:approve, inputs: {} }
            - { name: Inputs, action: aws:executeAwsApi }
            - 'just text'
            """)) == [
                "doc.yaml:4:5: mainSteps[0]: missing required key `name`",
                "doc.yaml:5:5: mainSteps[1]: missing required key `action`",
                "doc.yaml:8:13: mainSteps[2].inputs: missing required key `Service`",
                "doc.yaml:11:13: mainSteps[3].inputs: missing required key `PropertySelector`",
                "doc.yaml:11:69: mainSteps[3].inputs.DesiredValues: expected a list of values, such as [available], found \"available\"",
                "doc.yaml:12:59: mainSteps[4].inputs.Duration: expected an ISO 8601 duration such as PT10M, PT1H30M or P1D, found \"10 minutes\"",
                "doc.yaml:13:101: mainSteps[5].inputs.Choices[0]: unknown key `StringEqual`; did you mean `StringEquals`?; a condition is Variable with one of StringEquals, EqualsIgnoreCase, StartsWith, EndsWith, Contains, NumericEquals, NumericGreater, NumericLesser, NumericGreaterOrEquals, NumericLesserOrEquals, BooleanEquals, or And, Or or Not",
                "doc.yaml:14:61: mainSteps[6].isEnd: expected true or false, found the quoted string \"yes\" (remove the quotes)",
                "doc.yaml:14:84: mainSteps[6].timeoutSeconds: expected a whole number of at least 1, found 0",
                "doc.yaml:15:46: mainSteps[7].inputs: missing required key `Approvers`",
                "doc.yaml:16:5: mainSteps[8]: missing required key `inputs`",
                "doc.yaml:17:5: mainSteps[9]: expected a step: a mapping with name, action and inputs, found \"just text\"",
            ])
        // Names of steps are checked once every step reads.
        #expect(Self.documentErrors(Self.document("""
            - { name: A, action: aws:pause, nextStep: C }
            - { name: B, action: aws:branch, inputs: { Choices: [{ NextStep: Z, Variable: '{{x}}', StringEquals: a }], Default: Y } }
            - { name: A, action: aws:pause, onFailure: 'step:Q' }
            """)) == [
                "doc.yaml:4:45: mainSteps[0].nextStep: no step is named `C`; did you mean `A`?",
                "doc.yaml:5:68: mainSteps[1].inputs: no step is named `Z`; did you mean `A`?",
                "doc.yaml:5:119: mainSteps[1].inputs: no step is named `Y`; did you mean `A`?",
                "doc.yaml:6:5: mainSteps[2].name: step name `A` is already used by mainSteps[0] at line 4",
                "doc.yaml:6:46: mainSteps[2].onFailure: no step is named `Q`; did you mean `A`?",
            ])
        // JSON keeps its lines and columns too.
        #expect(Self.documentErrors("{\n  \"schemaVersion\": \"0.3\",\n  \"mainSteps\": [\n    {\"name\": \"x\", \"action\": [\"a\"],\n     \"inputs\": {}}\n  ]\n}\n", file: "d.json")
            == ["d.json:4:29: mainSteps[0].action: expected a non-empty string, found a list"])
    }

    @Test func syntaxErrorsAndUnreadableFiles() {
        let syntax = Self.documentErrors("{\"schemaVersion\": \"0.3\",\n  \"mainSteps\": [\n}\n", file: "d.json")
        #expect(syntax.count == 1 && syntax[0].hasPrefix("d.json:3:1: YAML syntax: "), "\(syntax)")
        do {
            _ = try SSMImport.convert(path: "/nonexistent/doc.yaml", displayPath: "doc.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "doc.yaml: cannot read the file: No such file or directory")
        }
    }

    // MARK: The fixtures

    @Test(arguments: SSMFixtures.convertible)
    func everyFixtureConvertsToARunbookThatLintsClean(_ fixture: SSMFixtures.Fixture) throws {
        let converted = try SSMImport.convert(fixture.text, file: fixture.file)
        #expect(converted.yaml.hasPrefix("# yaml-language-server: $schema=../docs/schemas/runbook.schema.json\n# Imported from the SSM Automation document \(fixture.file)\n# by `breakglass runbook import-ssm`."), "\(converted.yaml)")
        let runbook = try RunbookLoader.parse(converted.yaml, file: converted.runbookID + ".yaml")
        #expect(RunbookLinter.lint(runbook).isEmpty, "\(RunbookLinter.lint(runbook))\n\(converted.yaml)")
        #expect(runbook.id == converted.runbookID)
        // Converting is a pure function of the text.
        #expect(try SSMImport.convert(fixture.text, file: fixture.file) == converted)
    }

    @Test func restartEC2() throws {
        let (yaml, runbook) = try Self.convert(SSMFixtures.restartEC2.text, file: SSMFixtures.restartEC2.file)
        #expect(runbook.id == "breakglass-restart-ec2-instance")
        #expect(runbook.title == "Restarts an EC2 instance: stops it, starts it again and waits until its status checks pass.")
        #expect(runbook.params.map(\.name) == ["InstanceId"])
        let id = "{{steps.DescribeInstance.reservationSet[0].instancesSet[0].instanceState.name}}"
        #expect(runbook.steps.map(Self.summary) == [
            #"DescribeInstance: check ec2.DescribeInstances {"InstanceIds":["{{InstanceId}}"]}"#,
            #"CheckRunning: say Choose how to go on. If \#(id) is "running", go on at step 3 (StopInstance). Otherwise, go on at step 5 (StartInstance). Skip the steps in between."#,
            #"StopInstance: do ec2.StopInstances {"InstanceIds":["{{InstanceId}}"]} confirm yes explain Stops the instance. Whatever is only in its memory is lost; its disks are kept."#,
            #"WaitForStopped: wait ec2.DescribeInstances {"InstanceIds":["{{InstanceId}}"]} until reservationSet[0].instancesSet[0].instanceState.name="stopped" timeout 10m every 10s"#,
            #"StartInstance: do ec2.StartInstances {"InstanceIds":["{{InstanceId}}"]} confirm yes explain Sends ec2.StartInstances for {{InstanceId}}. This changes something in AWS; the SSM document does not say what people will notice, so read the call before you confirm."#,
            #"WaitForStatusOk: wait ec2.DescribeInstanceStatus {"InstanceIds":["{{InstanceId}}"]} until instanceStatusSet[0].instanceStatus.status="ok" timeout 1h every 10s"#,
        ], "\(yaml)")
        for text in [
            "# InstanceIds: SSM passes the StringList {{ InstanceId }} here; the runbook passes its one value\n  # as a list (here and below).",
            "# EC2 answers use the names of its XML: SSM's $.Reservations[0].Instances[0].State.Name is",
            "# SSM output State ($.Reservations[0].Instances[0].State.Name) is",
            "# timeout: 1h, SSM's default for aws:waitForAwsResourceProperty (3600 seconds); shorten it to what",
            "# The SSM parameter AutomationAssumeRole (the role SSM runs the document as) is left out",
        ] {
            #expect(yaml.contains(text), "\(text)\n\(yaml)")
        }
    }

    @Test func rebootRDS() throws {
        let (yaml, runbook) = try Self.convert(SSMFixtures.rebootRDS.text, file: SSMFixtures.rebootRDS.file)
        #expect(runbook.id == "reboot-rds-instance")
        #expect(runbook.title == "Reboot an RDS DB instance")
        #expect(runbook.params.map(\.name) == ["InstanceId", "ForceFailover"])
        #expect(runbook.params[1].defaultValue == .bool(false))
        #expect(runbook.steps.map(Self.summary) == [
            #"GetInstance: check rds.DescribeDBInstances {"DBInstanceIdentifier":"{{InstanceId}}"}"#,
            #"AssertAvailable: check rds.DescribeDBInstances {"DBInstanceIdentifier":"{{InstanceId}}"} expect DBInstances[0].DBInstanceStatus="available" explain AWS can only reboot an instance it reports as "available"."#,
            "ChooseReboot: say Choose how to go on. If {{ForceFailover}} is true and {{steps.GetInstance.DBInstances[0].MultiAZ}} is true, go on at step 4 (RebootWithFailover). Otherwise, go on at step 6 (Reboot). Skip the steps in between.",
            #"RebootWithFailover: do rds.RebootDBInstance {"DBInstanceIdentifier":"{{InstanceId}}","ForceFailover":true} confirm type explain Reboots {{InstanceId}} and fails over to its standby. Connections drop for about a minute."#,
            "say Go on at step 7 (WaitForAvailable) now: skip the steps in between, which the SSM document runs only on other paths.",
            #"Reboot: do rds.RebootDBInstance {"DBInstanceIdentifier":"{{InstanceId}}"} confirm type explain Sends rds.RebootDBInstance for {{InstanceId}}. This changes something in AWS; the SSM document does not say what people will notice, so read the call before you confirm."#,
            #"WaitForAvailable: wait rds.DescribeDBInstances {"DBInstanceIdentifier":"{{InstanceId}}"} until DBInstances[0].DBInstanceStatus="available" timeout 15m every 10s"#,
        ], "\(yaml)")
    }

    @Test func scaleASG() throws {
        let (yaml, runbook) = try Self.convert(SSMFixtures.scaleASG.text, file: SSMFixtures.scaleASG.file)
        #expect(runbook.id == "scale-out-asg")
        #expect(runbook.params.map(\.name) == ["AutoScalingGroupName", "DesiredCapacity", "Approvers", "Environment"])
        #expect(runbook.param("DesiredCapacity")?.defaultValue == .number("8"))
        #expect(runbook.param("Environment")?.pattern?.value == "^(?:staging|prod)$")
        #expect(runbook.steps.map(Self.summary) == [
            #"Describe: check autoscaling.DescribeAutoScalingGroups {"AutoScalingGroupNames":["{{AutoScalingGroupName}}"]}"#,
            "CheckRoom: say Choose how to go on. If {{steps.Describe.AutoScalingGroups[0].MaxSize}} is at least 8, go on at step 5 (Approve). Otherwise, go on at step 3 (TooSmall). Skip the steps in between.",
            "TooSmall: say The group's maximum size is below 8: raise MaxSize first, or ask for fewer instances. Continue when you are ready.",
            "say Stop here: the SSM document ends after this step. The steps below belong to other paths of the document; skip them.",
            "Approve: approve Scale {{AutoScalingGroupName}} in {{Environment}} from {{steps.Describe.AutoScalingGroups[0].DesiredCapacity}} to {{DesiredCapacity}} instances? In the SSM document the approvers were {{Approvers}}, and 2 of them had to approve. timeout 30m",
            #"Scale: do autoscaling.SetDesiredCapacity {"AutoScalingGroupName":"{{AutoScalingGroupName}}","DesiredCapacity":"{{DesiredCapacity}}","HonorCooldown":false} confirm type explain Sends autoscaling.SetDesiredCapacity for {{AutoScalingGroupName}}. This changes something in AWS; the SSM document does not say what people will notice, so read the call before you confirm."#,
            "LetInstancesStart: say Wait 5 minutes before you go on, then confirm this step.",
            #"WaitForCapacity: wait autoscaling.DescribeAutoScalingGroups {"AutoScalingGroupNames":["{{AutoScalingGroupName}}"]} until AutoScalingGroups[0].DesiredCapacity="{{DesiredCapacity}}" timeout 5m every 10s"#,
        ], "\(yaml)")
        #expect(yaml.contains("# SSM announced the approval on the SNS topic arn:aws:sns:us-east-1:111122223333:oncall-approvals;"), "\(yaml)")
        #expect(yaml.contains("# aws:sleep PT5M: Breakglass runbooks have no timed sleep, so the operator waits and confirms."), "\(yaml)")
    }

    @Test func theUnconvertibleFixtureListsEveryStep() {
        #expect(Self.problems(SSMFixtures.unconvertible.text, file: SSMFixtures.unconvertible.file) == [
            "AWS-RestartEC2Instance.yaml:12:3: parameters.Tags: a MapList parameter holds a list of mappings; a Breakglass parameter holds one value (text, a number or true/false)",
            "AWS-RestartEC2Instance.yaml:17:13: mainSteps[0] (stopInstances): aws:changeInstanceState has no Breakglass equivalent; write it as aws:executeAwsApi (ec2 StopInstances or StartInstances) followed by aws:waitForAwsResourceProperty on DescribeInstances",
            "AWS-RestartEC2Instance.yaml:22:13: mainSteps[1] (runScript): aws:runCommand runs commands on instances through SSM Run Command; a Breakglass runbook only makes AWS API calls from its catalog (write the commands in a `say` step for the operator instead)",
            "AWS-RestartEC2Instance.yaml:34:22: mainSteps[2] (waitEither): DesiredValues lists 2 values (stopped, terminated); a Breakglass wait compares each path with one value, so it cannot accept any of several",
            "AWS-RestartEC2Instance.yaml:39:12: mainSteps[3] (deleteDatabase): rds.DeleteDBInstance is not in Breakglass's catalog (rds has DescribeDBInstances, DescribeDBClusters, RebootDBInstance, FailoverDBCluster, ModifyDBInstance, CreateDBCluster, CreateDBInstance)",
            "AWS-RestartEC2Instance.yaml:42:13: mainSteps[4] (startInstances): aws:changeInstanceState has no Breakglass equivalent; write it as aws:executeAwsApi (ec2 StopInstances or StartInstances) followed by aws:waitForAwsResourceProperty on DescribeInstances",
        ])
    }

    @Test func runbookIDsFromFileNames() {
        #expect(SSMImport.runbookID(fromFile: "docs/AWS-RestartEC2Instance.json") == "aws-restart-ec2-instance")
        #expect(SSMImport.runbookID(fromFile: "RebootRdsInstance.yaml") == "reboot-rds-instance")
        #expect(SSMImport.runbookID(fromFile: "scale out ASG!.yml") == "scale-out-asg")
        #expect(SSMImport.runbookID(fromFile: "DBInstanceFailover") == "db-instance-failover")
        #expect(SSMImport.runbookID(fromFile: "_.json") == "imported")
        do {
            _ = try SSMImport.convert(Self.document("- { name: a, action: aws:pause }"), file: "d.yaml", id: "no spaces")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("the runbook id `no spaces` may use only letters, digits, - and _"), "\(error)")
        }
    }

    @Test func stepIDsAreValidAndUnique() throws {
        let (_, runbook) = try Self.convert(Self.document("""
            - { name: _first, action: aws:pause }
            - { name: 'a.b', action: aws:pause }
            - { name: 'a b', action: aws:pause }
            """))
        #expect(runbook.steps.compactMap { $0.id?.value } == ["first", "a-b", "a-b-2"])
    }
}

extension String {
    /// Every line indented by `n` spaces.
    func indented(_ n: Int) -> String {
        split(separator: "\n", omittingEmptySubsequences: false).map { String(repeating: " ", count: n) + $0 }.joined(separator: "\n")
    }
}
