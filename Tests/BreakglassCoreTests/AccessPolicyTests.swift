import BreakglassAWS
import BreakglassCore
import Foundation
import Testing

/// The session policy derived from a runbook: exact content for every shipped runbook, the STS size
/// limit, and how an oversized policy is made to fit or refused.
@Suite struct AccessPolicyTests {
    static let account = "111122223333"
    static let region = "us-east-1"

    static func shipped(_ id: String) throws -> Runbook {
        let path = repositoryRoot.appendingPathComponent("runbooks/\(id).yaml").path
        return try RunbookLoader.load(path: path, displayPath: "runbooks/\(id).yaml")
    }

    static func defaults(_ runbook: Runbook, _ given: [String: String] = [:]) throws -> [String: AWSValue] {
        try RunbookParams.resolve(runbook, given: given).get()
    }

    static func policy(_ id: String, _ given: [String: String] = [:]) throws -> SessionPolicy {
        let runbook = try shipped(id)
        return try SessionPolicyDeriver.derive(runbook: runbook, params: try defaults(runbook, given), account: account, region: region)
    }

    static func doc(_ statements: String) -> String { #"{"Version":"2012-10-17","Statement":["# + statements + "]}" }
    static func allow(_ actions: [String], _ resources: [String]) -> String {
        func one(_ items: [String]) -> String {
            items.count == 1 ? "\"\(items[0])\"" : "[" + items.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        }
        return #"{"Effect":"Allow","Action":"# + one(actions) + #","Resource":"# + one(resources) + "}"
    }

    static let arn = "arn:aws"
    static let here = "\(region):\(account)"

    /// Every shipped runbook, with its default parameters, in us-east-1 of 111122223333.
    static let expected: [(String, String, Set<String>)] = [
        ("asg-scale-out", doc([
            allow(["autoscaling:DescribeAutoScalingGroups"], ["*"]),
            allow(["autoscaling:SetDesiredCapacity"], ["\(arn):autoscaling:\(here):autoScalingGroup:*:autoScalingGroupName/prod-web"]),
            allow(["cloudwatch:DescribeAlarms"], ["\(arn):cloudwatch:\(here):alarm:prod-api-5xx-rate"]),
        ].joined(separator: ",")),
         ["autoscaling.DescribeAutoScalingGroups", "autoscaling.SetDesiredCapacity", "cloudwatch.DescribeAlarms"]),
        ("db-overload", doc([
            allow(["rds:DescribeDBInstances", "rds:ModifyDBInstance"], ["\(arn):rds:\(here):db:prod-aurora-1"]),
            allow(["cloudwatch:DescribeAlarms"], ["\(arn):cloudwatch:\(here):alarm:prod-db-cpu"]),
        ].joined(separator: ",")),
         ["rds.DescribeDBInstances", "rds.ModifyDBInstance", "cloudwatch.DescribeAlarms"]),
        ("dynamodb-hot-key", doc(
            allow(["dynamodb:DescribeTable", "dynamodb:UpdateTable", "dynamodb:Query"], ["\(arn):dynamodb:\(here):table/prod-inventory"])),
         ["dynamodb.DescribeTable", "dynamodb.UpdateTable", "dynamodb.Query"]),
        ("ec2-reboot", doc([
            // Which instance is only known once the first step has found it.
            allow(["ec2:DescribeInstances", "ec2:DescribeInstanceStatus", "ec2:RebootInstances"], ["*"]),
            allow(["cloudwatch:DescribeAlarms"], ["\(arn):cloudwatch:\(here):alarm:prod-web-status-check"]),
        ].joined(separator: ",")),
         ["ec2.DescribeInstances", "ec2.DescribeInstanceStatus", "ec2.RebootInstances", "cloudwatch.DescribeAlarms"]),
        ("ecs-redeploy", doc(
            allow(["ecs:DescribeServices", "ecs:UpdateService"], ["\(arn):ecs:\(here):service/prod/orders-worker"])),
         ["ecs.DescribeServices", "ecs.UpdateService"]),
        ("ecs-scale", doc(
            allow(["ecs:DescribeServices", "ecs:UpdateService"], ["\(arn):ecs:\(here):service/prod/orders-api"])),
         ["ecs.DescribeServices", "ecs.UpdateService"]),
        ("freeze-ingestion", doc([
            allow(["lambda:GetFunctionConcurrency", "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency"],
                  ["\(arn):lambda:\(here):function:prod-ingest"]),
            allow(["cloudwatch:DescribeAlarms"], ["\(arn):cloudwatch:\(here):alarm:prod-db-cpu", "\(arn):cloudwatch:\(here):alarm:prod-ingest-throttles"]),
        ].joined(separator: ",")),
         ["lambda.GetFunctionConcurrency", "lambda.PutFunctionConcurrency", "lambda.DeleteFunctionConcurrency", "cloudwatch.DescribeAlarms"]),
        ("pause-workers", doc([
            // The second UpdateService restores a count read at run time, on the same service.
            allow(["ecs:DescribeServices", "ecs:UpdateService"], ["\(arn):ecs:\(here):service/prod/orders-worker"]),
            allow(["cloudwatch:DescribeAlarms"], ["\(arn):cloudwatch:\(here):alarm:prod-db-cpu"]),
        ].joined(separator: ",")),
         ["ecs.DescribeServices", "ecs.UpdateService", "cloudwatch.DescribeAlarms"]),
        ("rds-failover", doc([
            allow(["rds:DescribeDBClusters", "rds:FailoverDBCluster"], ["\(arn):rds:\(here):cluster:prod-aurora"]),
            allow(["cloudwatch:DescribeAlarms"], ["\(arn):cloudwatch:\(here):alarm:prod-db-writer-health"]),
        ].joined(separator: ",")),
         ["rds.DescribeDBClusters", "rds.FailoverDBCluster", "cloudwatch.DescribeAlarms"]),
        ("rds-reboot", doc([
            allow(["rds:DescribeDBInstances", "rds:RebootDBInstance"], ["\(arn):rds:\(here):db:prod-aurora-1"]),
            allow(["cloudwatch:DescribeAlarms"], ["\(arn):cloudwatch:\(here):alarm:prod-db-writer-health"]),
        ].joined(separator: ",")),
         ["rds.DescribeDBInstances", "rds.RebootDBInstance", "cloudwatch.DescribeAlarms"]),
        ("sqs-flush", doc([
            // The queue URL comes from GetQueueUrl of the named queue, so PurgeQueue is on that queue only.
            allow(["sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:PurgeQueue"], ["\(arn):sqs:\(here):prod-orders"]),
            allow(["cloudwatch:DescribeAlarms"], ["\(arn):cloudwatch:\(here):alarm:prod-orders-queue-depth"]),
        ].joined(separator: ",")),
         ["sqs.GetQueueUrl", "sqs.GetQueueAttributes", "sqs.PurgeQueue", "cloudwatch.DescribeAlarms"]),
    ]

    @Test(arguments: expected.map(\.0))
    func shippedRunbookPolicyIsExactAndFits(_ id: String) throws {
        let (_, json, operations) = try #require(Self.expected.first { $0.0 == id })
        let policy = try Self.policy(id)
        #expect(policy.json == json)
        #expect(policy.operations == operations)
        #expect(policy.widened.isEmpty)
        #expect(policy.size <= SessionPolicy.stsLimit)
        #expect(policy.size == policy.derivedSize)
        // It is a JSON document IAM can read.
        let parsed = try JSON.decode(policy.json)
        #expect(parsed["Version"]?.string == "2012-10-17")
    }

    @Test func everyShippedRunbookIsCovered() throws {
        let folder = repositoryRoot.appendingPathComponent("runbooks").path
        let ids = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }
        #expect(Set(ids) == Set(Self.expected.map(\.0)))
        var sizes: [String] = []
        for id in ids.sorted() { sizes.append("\(id) \(try Self.policy(id).size)") }
        print("session policy sizes: " + sizes.joined(separator: ", "))
    }

    @Test func paramsOverrideDefaultsAndRegionAndPartitionComeFromTheGrant() throws {
        let runbook = try Self.shipped("asg-scale-out")
        let policy = try SessionPolicyDeriver.derive(
            runbook: runbook, params: try Self.defaults(runbook, ["group": "blue-web", "alarm": "blue-5xx"]), account: "222233334444",
            region: "cn-north-1", partition: "aws-cn")
        #expect(policy.statements.map(\.resources) == [
            ["*"],
            ["arn:aws-cn:autoscaling:cn-north-1:222233334444:autoScalingGroup:*:autoScalingGroupName/blue-web"],
            ["arn:aws-cn:cloudwatch:cn-north-1:222233334444:alarm:blue-5xx"],
        ])
    }

    static func runbook(_ yaml: String) throws -> Runbook { try RunbookLoader.parse(yaml, file: "r.yaml") }

    /// Table: a step as written -> the statements its policy has.
    static let cases: [(String, [SessionPolicy.Statement])] = [
        // A list gives one resource per item; upper case RDS ids are lowered as RDS stores them.
        ("""
         - do: { call: ec2.RebootInstances, with: { InstanceIds: [i-1, i-2] }, explain: Restarts two servers for the test. }
         - check: { call: rds.DescribeDBInstances, with: { DBInstanceIdentifier: Prod-DB } }
         """,
         [.init(actions: ["ec2:RebootInstances"], resources: ["arn:aws:ec2:us-east-1:111122223333:instance/i-1", "arn:aws:ec2:us-east-1:111122223333:instance/i-2"]),
          .init(actions: ["rds:DescribeDBInstances"], resources: ["arn:aws:rds:us-east-1:111122223333:db:prod-db"])]),
        // ECS's cluster defaults to "default"; a query step on an index names the index.
        ("""
         - check: { call: ecs.DescribeServices, with: { services: [api] } }
         - query: { table: orders, index: by-customer, key: { customer: c1 }, limit: 5 }
         """,
         [.init(actions: ["ecs:DescribeServices"], resources: ["arn:aws:ecs:us-east-1:111122223333:service/default/api"]),
          .init(actions: ["dynamodb:Query"], resources: ["arn:aws:dynamodb:us-east-1:111122223333:table/orders/index/by-customer"])]),
        // A resource read from an earlier step is unknown: the action goes on "*", once and for all.
        ("""
         - id: find
           check: { call: rds.DescribeDBInstances, with: { DBInstanceIdentifier: a } }
         - do: { call: rds.RebootDBInstance, with: { DBInstanceIdentifier: "{{steps.find.DBInstances[0].DBInstanceIdentifier}}" }, explain: Restarts the one found above. }
         - do: { call: rds.RebootDBInstance, with: { DBInstanceIdentifier: b }, explain: Restarts the second database for the test. }
         """,
         [.init(actions: ["rds:DescribeDBInstances"], resources: ["arn:aws:rds:us-east-1:111122223333:db:a"]),
          .init(actions: ["rds:RebootDBInstance"], resources: ["*"])]),
        // A wait_alarm in another region names that region; a queue URL given outright names its queue.
        ("""
         - wait_alarm: { name: eu-alarm, state: OK, region: eu-west-1, timeout: 5m }
         - do: { call: sqs.PurgeQueue, with: { QueueUrl: "https://sqs.us-east-1.amazonaws.com/999988887777/jobs" }, explain: Empties the jobs queue for the test. }
         """,
         [.init(actions: ["cloudwatch:DescribeAlarms"], resources: ["arn:aws:cloudwatch:eu-west-1:111122223333:alarm:eu-alarm"]),
          .init(actions: ["sqs:PurgeQueue"], resources: ["arn:aws:sqs:us-east-1:999988887777:jobs"])]),
        // Actions on the same resources share a statement; a scan is its own action.
        ("""
         - check: { call: dynamodb.DescribeTable, with: { TableName: t } }
         - query: { table: t, limit: 5, scan: true, reason: The table is tiny and has no useful key. }
         - check: { call: lambda.GetFunctionConcurrency, with: { FunctionName: "arn:aws:lambda:us-east-1:111122223333:function:f" } }
         """,
         [.init(actions: ["dynamodb:DescribeTable", "dynamodb:Scan"], resources: ["arn:aws:dynamodb:us-east-1:111122223333:table/t"]),
          .init(actions: ["lambda:GetFunctionConcurrency"], resources: ["arn:aws:lambda:us-east-1:111122223333:function:f"])]),
    ]

    @Test(arguments: cases.indices)
    func derivesStatements(_ index: Int) throws {
        let (steps, statements) = Self.cases[index]
        let runbook = try Self.runbook("id: t\ntitle: T\nsteps:\n" + steps.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n")
        let policy = try SessionPolicyDeriver.derive(runbook: runbook, params: [:], account: Self.account, region: Self.region)
        #expect(policy.statements == statements)
    }

    /// Fifty instances named outright: too long for STS as derived, so the action is widened to "*".
    @Test func anOversizedPolicyIsWidenedOneActionAtATime() throws {
        let ids = (1...50).map { "i-0123456789abcdef\(String(format: "%02d", $0))" }.joined(separator: ", ")
        let runbook = try Self.runbook("""
            id: many
            title: Many
            steps:
              - check: { call: rds.DescribeDBClusters, with: { DBClusterIdentifier: c } }
              - do: { call: ec2.RebootInstances, with: { InstanceIds: [\(ids)] }, explain: Restarts fifty servers at once for the test. }
              - do: { call: ec2.StopInstances, with: { InstanceIds: [i-1] }, explain: Stops one server for the test and nothing more. }
            """)
        let policy = try SessionPolicyDeriver.derive(runbook: runbook, params: [:], account: Self.account, region: Self.region)
        #expect(policy.derivedSize > SessionPolicy.stsLimit)
        #expect(policy.size <= SessionPolicy.stsLimit)
        #expect(policy.widened == ["ec2:RebootInstances"])
        #expect(policy.statements == [
            .init(actions: ["rds:DescribeDBClusters"], resources: ["arn:aws:rds:us-east-1:111122223333:cluster:c"]),
            .init(actions: ["ec2:RebootInstances"], resources: ["*"]),
            .init(actions: ["ec2:StopInstances"], resources: ["arn:aws:ec2:us-east-1:111122223333:instance/i-1"]),
        ])

        // A smaller limit widens the action with the next most resource text too, which joins the "*" statement.
        let tighter = try SessionPolicyDeriver.derive(runbook: runbook, params: [:], account: Self.account, region: Self.region, limit: 250)
        #expect(tighter.widened == ["ec2:RebootInstances", "ec2:StopInstances"])
        #expect(tighter.statements == [
            .init(actions: ["rds:DescribeDBClusters"], resources: ["arn:aws:rds:us-east-1:111122223333:cluster:c"]),
            .init(actions: ["ec2:RebootInstances", "ec2:StopInstances"], resources: ["*"]),
        ])
        #expect(tighter.size == 236)

        // And when not even every action on "*" fits, it is refused with the sizes.
        #expect(throws: SessionPolicyError.tooLarge(runbook: "many", derived: policy.derivedSize, smallest: 150, limit: 100)) {
            try SessionPolicyDeriver.derive(runbook: runbook, params: [:], account: Self.account, region: Self.region, limit: 100)
        }
        let message = SessionPolicyError.tooLarge(runbook: "many", derived: 2500, smallest: 133, limit: 100).description
        #expect(message.contains("2500") && message.contains("133") && message.contains("100"))
    }
}
