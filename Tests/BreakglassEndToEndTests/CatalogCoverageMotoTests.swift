import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// Every catalog operation moto_server implements, sent through `AWSClient.call` with signature and
/// IAM checks on, each test creating what it needs through catalog calls and checking the value the
/// operation changed. SSM StartAutomationExecution, which moto does not implement, is checked offline.
@Suite(.serialized) struct CatalogCoverageMotoTests {
    let r = "us-east-1"

    /// An Ubuntu AMI from moto's built-in list (moto/ec2/resources/amis.json.gz); moto refuses ids it
    /// does not know with InvalidAMIID.NotFound.
    static let ami = "ami-1e749f67"

    func call(_ client: AWSClient, _ service: String, _ name: String, _ input: AWSValue = [:], region: String = "us-east-1") async throws -> AWSValue {
        try await client.call(AWSCatalog.lookup(service: service, name: name), input, region: region).value
    }

    func at(_ value: AWSValue, _ path: String) throws -> AWSValue? { value.value(at: try AWSPath(path)) }

    static var nowSeconds: Int { Int(Date().timeIntervalSince1970) }

    @Test func cloudWatchMetricDataAndAlarms() async throws {
        try await MotoHarness.withServer { server in
            let c = server.client()
            let now = Self.nowSeconds
            _ = try await call(c, "cloudwatch", "PutMetricData", [
                "Namespace": "Breakglass/Test",
                "MetricData": [
                    ["MetricName": "Errors", "Value": 3, "Timestamp": .int(now - 30), "Dimensions": [["Name": "Service", "Value": "api"]]],
                    ["MetricName": "Errors", "Value": 4, "Timestamp": .int(now - 30), "Dimensions": [["Name": "Service", "Value": "api"]]],
                ],
            ])
            let data = try await call(c, "cloudwatch", "GetMetricData", [
                "StartTime": .int(now - 600), "EndTime": .int(now + 60),
                "MetricDataQueries": [[
                    "Id": "errors",
                    "MetricStat": [
                        "Metric": ["Namespace": "Breakglass/Test", "MetricName": "Errors", "Dimensions": [["Name": "Service", "Value": "api"]]],
                        "Period": 60, "Stat": "Sum",
                    ],
                ]],
            ])
            #expect(try at(data, "MetricDataResults[0].Id") == "errors")
            let values = try #require(try at(data, "MetricDataResults[0].Values")?.array, "\(data)")
            #expect(values.compactMap(\.double) == [7], "\(data)")

            _ = try await call(c, "cloudwatch", "PutMetricAlarm", [
                "AlarmName": "api-errors", "Namespace": "Breakglass/Test", "MetricName": "Errors", "Statistic": "Sum", "Period": 60,
                "EvaluationPeriods": 1, "Threshold": 5, "ComparisonOperator": "GreaterThanThreshold",
            ])
            let before = try await call(c, "cloudwatch", "DescribeAlarms", ["AlarmNames": ["api-errors"]])
            #expect(before["MetricAlarms"]?.array?.count == 1)
            _ = try await call(c, "cloudwatch", "DeleteAlarms", ["AlarmNames": ["api-errors"]])
            let after = try await call(c, "cloudwatch", "DescribeAlarms", ["AlarmNames": ["api-errors"]])
            #expect(after["MetricAlarms"]?.array?.isEmpty ?? true, "\(after)")
        }
    }

    @Test func ec2InstanceLifecycle() async throws {
        try await MotoHarness.withServer { server in
            let c = server.client()
            let run = try await call(c, "ec2", "RunInstances", ["ImageId": .string(Self.ami), "MinCount": 1, "MaxCount": 1, "InstanceType": "t3.micro"])
            let id = try #require(try at(run, "instancesSet[0].instanceId")?.string, "\(run)")
            #expect(try at(run, "instancesSet[0].imageId") == .string(Self.ami))

            func state() async throws -> AWSValue? {
                try at(try await call(c, "ec2", "DescribeInstances", ["InstanceIds": [.string(id)]]), "reservationSet[0].instancesSet[0].instanceState.name")
            }
            let status = try await call(c, "ec2", "DescribeInstanceStatus", ["InstanceIds": [.string(id)]])
            #expect(try at(status, "instanceStatusSet[0].instanceId") == .string(id), "\(status)")
            #expect(try at(status, "instanceStatusSet[0].instanceState.name") == "running", "\(status)")

            let stop = try await call(c, "ec2", "StopInstances", ["InstanceIds": [.string(id)]])
            #expect(try at(stop, "instancesSet[0].previousState.name") == "running", "\(stop)")
            #expect(try await state() == "stopped")
            // A stopped instance only shows in DescribeInstanceStatus with IncludeAllInstances.
            let stopped = try await call(c, "ec2", "DescribeInstanceStatus", ["InstanceIds": [.string(id)], "IncludeAllInstances": true])
            #expect(try at(stopped, "instanceStatusSet[0].instanceState.name") == "stopped", "\(stopped)")

            let start = try await call(c, "ec2", "StartInstances", ["InstanceIds": [.string(id)]])
            #expect(try at(start, "instancesSet[0].previousState.name") == "stopped", "\(start)")
            #expect(try await state() == "running")

            // moto answers RebootInstances with no <return> element (AWS sends `true`); it is accepted
            // and the instance stays running.
            let reboot = try await c.call(AWSCatalog.lookup(service: "ec2", name: "RebootInstances"), ["InstanceIds": [.string(id)]], region: r)
            #expect(reboot.requestID != nil)
            #expect(try await state() == "running")
        }
    }

    @Test func elbv2TargetHealthFollowsInstanceState() async throws {
        try await MotoHarness.withServer { server in
            let c = server.client()
            let run = try await call(c, "ec2", "RunInstances", ["ImageId": .string(Self.ami), "MinCount": 2, "MaxCount": 2, "InstanceType": "t3.micro"])
            let ids = try #require(try at(run, "instancesSet")?.array, "\(run)").compactMap { $0["instanceId"]?.string }
            try #require(ids.count == 2)
            let vpc = try #require(try at(run, "instancesSet[0].vpcId")?.string, "\(run)")
            let group = try await call(c, "elbv2", "CreateTargetGroup", [
                "Name": "web", "Protocol": "HTTP", "Port": 80, "VpcId": .string(vpc), "TargetType": "instance",
            ])
            let arn = try #require(try at(group, "TargetGroups[0].TargetGroupArn")?.string, "\(group)")
            _ = try await call(c, "elbv2", "RegisterTargets", ["TargetGroupArn": .string(arn), "Targets": .array(ids.map { ["Id": .string($0)] })])
            _ = try await call(c, "ec2", "StopInstances", ["InstanceIds": [.string(ids[1])]])

            let health = try await call(c, "elbv2", "DescribeTargetHealth", ["TargetGroupArn": .string(arn)])
            let descriptions = try #require(health["TargetHealthDescriptions"]?.array, "\(health)")
            var states: [String: String] = [:]
            for d in descriptions {
                if let id = try at(d, "Target.Id")?.string { states[id] = try at(d, "TargetHealth.State")?.string }
            }
            #expect(states == [ids[0]: "healthy", ids[1]: "unused"], "\(health)")
            // Asking about one target.
            let one = try await call(c, "elbv2", "DescribeTargetHealth", ["TargetGroupArn": .string(arn), "Targets": [["Id": .string(ids[1])]]])
            #expect(try at(one, "TargetHealthDescriptions[0].TargetHealth.Reason") == "Target.InvalidState", "\(one)")
        }
    }

    @Test func autoScalingDesiredCapacity() async throws {
        try await MotoHarness.withServer { server in
            let c = server.client()
            _ = try await call(c, "autoscaling", "CreateLaunchConfiguration", [
                "LaunchConfigurationName": "web-v1", "ImageId": .string(Self.ami), "InstanceType": "t3.micro",
            ])
            _ = try await call(c, "autoscaling", "CreateAutoScalingGroup", [
                "AutoScalingGroupName": "web", "LaunchConfigurationName": "web-v1", "MinSize": 0, "MaxSize": 5, "DesiredCapacity": 1,
                "AvailabilityZones": ["us-east-1a"],
            ])
            let before = try await call(c, "autoscaling", "DescribeAutoScalingGroups", ["AutoScalingGroupNames": ["web"]])
            #expect(try at(before, "AutoScalingGroups[0].DesiredCapacity") == "1", "\(before)")
            #expect(try at(before, "AutoScalingGroups[0].LaunchConfigurationName") == "web-v1")

            _ = try await call(c, "autoscaling", "SetDesiredCapacity", ["AutoScalingGroupName": "web", "DesiredCapacity": 3, "HonorCooldown": false])
            let after = try await call(c, "autoscaling", "DescribeAutoScalingGroups", ["AutoScalingGroupNames": ["web"]])
            #expect(try at(after, "AutoScalingGroups[0].DesiredCapacity") == "3", "\(after)")
            #expect(try at(after, "AutoScalingGroups[0].Instances")?.array?.count == 3, "\(after)")
        }
    }

    @Test func ecsServiceDesiredCount() async throws {
        try await MotoHarness.withServer { server in
            let c = server.client()
            _ = try await call(c, "ecs", "CreateCluster", ["clusterName": "prod"])
            let task = try await call(c, "ecs", "RegisterTaskDefinition", [
                "family": "web", "containerDefinitions": [["name": "web", "image": "nginx:1.27", "memory": 256, "essential": true]],
            ])
            #expect(try at(task, "taskDefinition.family") == "web")
            #expect(try at(task, "taskDefinition.revision")?.int == 1)
            let created = try await call(c, "ecs", "CreateService", ["cluster": "prod", "serviceName": "web", "taskDefinition": "web:1", "desiredCount": 1])
            #expect(try at(created, "service.desiredCount")?.int == 1)

            let updated = try await call(c, "ecs", "UpdateService", ["cluster": "prod", "service": "web", "desiredCount": 4])
            #expect(try at(updated, "service.desiredCount")?.int == 4)
            let described = try await call(c, "ecs", "DescribeServices", ["cluster": "prod", "services": ["web"]])
            #expect(try at(described, "services[0].serviceName") == "web", "\(described)")
            #expect(try at(described, "services[0].desiredCount")?.int == 4, "\(described)")
            #expect(try at(described, "services[0].taskDefinition")?.string?.hasSuffix("task-definition/web:1") == true, "\(described)")
        }
    }

    @Test func rdsClusterFailoverRebootAndModify() async throws {
        try await MotoHarness.withServer { server in
            let c = server.client()
            _ = try await call(c, "rds", "CreateDBCluster", [
                "DBClusterIdentifier": "orders", "Engine": "aurora-mysql", "MasterUsername": "admin", "MasterUserPassword": "correct-horse-battery",
            ])
            for name in ["orders-1", "orders-2"] {
                _ = try await call(c, "rds", "CreateDBInstance", [
                    "DBInstanceIdentifier": .string(name), "DBClusterIdentifier": "orders", "Engine": "aurora-mysql", "DBInstanceClass": "db.r5.large",
                ])
            }
            func writer() async throws -> String? {
                let clusters = try await call(c, "rds", "DescribeDBClusters", ["DBClusterIdentifier": "orders"])
                let members = try at(clusters, "DBClusters[0].DBClusterMembers")?.array ?? []
                #expect(members.count == 2, "\(clusters)")
                return members.first { $0["IsClusterWriter"] == "true" }?["DBInstanceIdentifier"]?.string
            }
            #expect(try await writer() == "orders-1")
            let failover = try await call(c, "rds", "FailoverDBCluster", ["DBClusterIdentifier": "orders", "TargetDBInstanceIdentifier": "orders-2"])
            #expect(try at(failover, "DBCluster.DBClusterIdentifier") == "orders", "\(failover)")
            #expect(try await writer() == "orders-2")

            // moto's reboot is immediate: the instance answers and stays available.
            let reboot = try await call(c, "rds", "RebootDBInstance", ["DBInstanceIdentifier": "orders-1"])
            #expect(try at(reboot, "DBInstance.DBInstanceIdentifier") == "orders-1", "\(reboot)")

            _ = try await call(c, "rds", "ModifyDBInstance", ["DBInstanceIdentifier": "orders-1", "DBInstanceClass": "db.r5.xlarge", "ApplyImmediately": true])
            let described = try await call(c, "rds", "DescribeDBInstances", ["Filters": [["Name": "db-instance-id", "Values": ["orders-1"]]]])
            #expect(try at(described, "DBInstances[0].DBInstanceClass") == "db.r5.xlarge", "\(described)")
        }
    }

    @Test func dynamoDBPutQueryAndUpdateTable() async throws {
        try await MotoHarness.withServer { server in
            let c = server.client()
            _ = try await call(c, "dynamodb", "CreateTable", [
                "TableName": "orders", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [["AttributeName": "pk", "AttributeType": "S"], ["AttributeName": "sk", "AttributeType": "S"]],
                "KeySchema": [["AttributeName": "pk", "KeyType": "HASH"], ["AttributeName": "sk", "KeyType": "RANGE"]],
            ])
            for (pk, sk) in [("customer-1", "a"), ("customer-1", "b"), ("customer-2", "a")] {
                _ = try await call(c, "dynamodb", "PutItem", ["TableName": "orders", "Item": ["pk": ["S": .string(pk)], "sk": ["S": .string(sk)], "total": ["N": "12"]]])
            }
            let q = try await call(c, "dynamodb", "Query", [
                "TableName": "orders", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": [":p": ["S": "customer-1"]],
            ])
            #expect(q["Count"]?.int == 2, "\(q)")
            #expect(try at(q, "Items")?.array?.compactMap { $0.value(at: try AWSPath("sk.S"))?.string } == ["a", "b"], "\(q)")

            _ = try await call(c, "dynamodb", "UpdateTable", [
                "TableName": "orders", "BillingMode": "PROVISIONED", "ProvisionedThroughput": ["ReadCapacityUnits": 5, "WriteCapacityUnits": 7],
            ])
            let table = try await call(c, "dynamodb", "DescribeTable", ["TableName": "orders"])
            #expect(try at(table, "Table.ProvisionedThroughput.ReadCapacityUnits")?.int == 5, "\(table)")
            #expect(try at(table, "Table.ProvisionedThroughput.WriteCapacityUnits")?.int == 7, "\(table)")
        }
    }

    @Test func sqsSendPurgeAndCount() async throws {
        try await MotoHarness.withServer { server in
            let c = server.client()
            let created = try await call(c, "sqs", "CreateQueue", ["QueueName": "work"])
            let url = try #require(created["QueueUrl"]?.string)
            let found = try await call(c, "sqs", "GetQueueUrl", ["QueueName": "work"])
            #expect(found["QueueUrl"]?.string == url)
            for n in 1...3 {
                let sent = try await call(c, "sqs", "SendMessage", ["QueueUrl": .string(url), "MessageBody": .string("job \(n)")])
                #expect(sent["MessageId"]?.string != nil)
            }
            func count() async throws -> AWSValue? {
                try at(try await call(c, "sqs", "GetQueueAttributes", ["QueueUrl": .string(url), "AttributeNames": ["ApproximateNumberOfMessages"]]),
                    "Attributes.ApproximateNumberOfMessages")
            }
            #expect(try await count() == "3")
            _ = try await call(c, "sqs", "PurgeQueue", ["QueueUrl": .string(url)])
            #expect(try await count() == "0")
        }
    }

    /// `index.py` (`def handler(event, context): return event`) deflated into a zip by Python's zipfile.
    static let lambdaZip =
        "UEsDBBQAAAAIACxvdV20CHBpKwAAAC4AAAAIAAAAaW5kZXgucHlLSU1TyEjMS8lJLdJILUvNK9FRSM7PK0mtKNG04lIAgqLUktKiPAWwHBcAUEsBAhQDFAAAAAgALG91XbQIcGkrAAAALgAAAAgAAAAAAAAAAAAAAIABAAAAAGluZGV4LnB5UEsFBgAAAAABAAEANgAAAFEAAAAAAA=="

    @Test func lambdaCreateFunctionAndConcurrency() async throws {
        let zip = try #require(Data(base64Encoded: Self.lambdaZip))
        #expect(zip.prefix(4) == Data([0x50, 0x4B, 0x03, 0x04]))
        try await MotoHarness.withServer { server in
            let c = server.client()
            let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
            let role = try await call(c, "iam", "CreateRole", ["RoleName": "ingest-exec", "AssumeRolePolicyDocument": .string(trust)])
            let roleARN = try #require(try at(role, "Role.Arn")?.string, "\(role)")
            let fn = try await call(c, "lambda", "CreateFunction", [
                "FunctionName": "ingest", "Runtime": "python3.12", "Role": .string(roleARN), "Handler": "index.handler",
                "Code": ["ZipFile": .string(Self.lambdaZip)],
            ])
            #expect(fn["FunctionName"]?.string == "ingest", "\(fn)")
            #expect(fn["CodeSize"]?.int == zip.count, "\(fn)")
            #expect(fn["Role"]?.string == roleARN)

            let put = try await call(c, "lambda", "PutFunctionConcurrency", ["FunctionName": "ingest", "ReservedConcurrentExecutions": 5])
            #expect(put["ReservedConcurrentExecutions"]?.int == 5, "\(put)")
            // Bodiless: a DELETE signs the empty payload's hash (X-Amz-Content-SHA256), which moto needs.
            let deleted = try await call(c, "lambda", "DeleteFunctionConcurrency", ["FunctionName": "ingest"])
            #expect(deleted == [:], "\(deleted)")
            let after = try await call(c, "lambda", "GetFunctionConcurrency", ["FunctionName": "ingest"])
            #expect(after["ReservedConcurrentExecutions"]?.isNull ?? true, "\(after)")
        }
    }

    @Test func lambdaDeleteFunctionConcurrencyRequestShape() async throws {
        let transport = ScriptedTransport([.success(HTTPResponse(status: 204, headers: [HTTPHeader("x-amzn-RequestId", "req-204")], body: []))])
        let env = AWSEnvironment(variables: ["HOME": "/nonexistent", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"])
        let client = AWSClient(
            credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s", source: "test"), endpoints: EndpointResolver(environment: env),
            transport: transport, retry: .never, journal: MemoryJournal())
        let op = try AWSCatalog.lookup(service: "lambda", name: "DeleteFunctionConcurrency")
        #expect(op.mutates)
        let deleted = try await client.call(op, ["FunctionName": "ingest"], region: "us-east-1")
        #expect(deleted.value == [:] && deleted.requestID == "req-204")
        let sent = try #require(transport.requests.first)
        #expect(sent.method == "DELETE" && sent.path == "/2017-10-31/functions/ingest/concurrency" && sent.body.isEmpty && !sent.reuseConnection)
    }

    @Test func snsPublishWithMessageAttributesReachesASubscribedQueue() async throws {
        try await MotoHarness.withServer { server in
            let c = server.client()
            let topic = try await call(c, "sns", "CreateTopic", ["Name": "pages", "Attributes": ["DisplayName": "Pages"]])
            let topicARN = try #require(topic["TopicArn"]?.string, "\(topic)")
            let queue = try await call(c, "sqs", "CreateQueue", ["QueueName": "pager"])
            let url = try #require(queue["QueueUrl"]?.string)
            let attrs = try await call(c, "sqs", "GetQueueAttributes", ["QueueUrl": .string(url), "AttributeNames": ["QueueArn"]])
            let queueARN = try #require(try at(attrs, "Attributes.QueueArn")?.string)
            let sub = try await call(c, "sns", "Subscribe", ["TopicArn": .string(topicARN), "Protocol": "sqs", "Endpoint": .string(queueARN)])
            #expect(sub["SubscriptionArn"]?.string?.hasPrefix(topicARN + ":") == true, "\(sub)")

            let published = try await call(c, "sns", "Publish", [
                "TopicArn": .string(topicARN), "Subject": "orders-db", "Message": "writer failed over",
                "MessageAttributes": [
                    "severity": ["DataType": "String", "StringValue": "critical"],
                    "attempt": ["DataType": "Number", "StringValue": "2"],
                ],
            ])
            let messageID = try #require(published["MessageId"]?.string, "\(published)")

            let received = try await call(c, "sqs", "ReceiveMessage", ["QueueUrl": .string(url), "MaxNumberOfMessages": 10, "WaitTimeSeconds": 0])
            let messages = try #require(received["Messages"]?.array, "\(received)")
            #expect(messages.count == 1)
            let envelope = try JSON.decode(try #require(messages.first?["Body"]?.string))
            #expect(envelope["MessageId"]?.string == messageID, "\(envelope)")
            #expect(envelope["TopicArn"]?.string == topicARN)
            #expect(envelope["Subject"] == "orders-db")
            #expect(envelope["Message"] == "writer failed over")
            #expect(try at(envelope, "MessageAttributes.severity") == ["Type": "String", "Value": "critical"], "\(envelope)")
            #expect(try at(envelope, "MessageAttributes.attempt") == ["Type": "Number", "Value": "2"], "\(envelope)")
        }
    }

    @Test func logsPutAndGetEvents() async throws {
        try await MotoHarness.withServer { server in
            let c = server.client()
            _ = try await call(c, "logs", "CreateLogGroup", ["logGroupName": "/breakglass/audit"])
            _ = try await call(c, "logs", "CreateLogStream", ["logGroupName": "/breakglass/audit", "logStreamName": "host-1"])
            let ms = Self.nowSeconds * 1000
            let put = try await call(c, "logs", "PutLogEvents", [
                "logGroupName": "/breakglass/audit", "logStreamName": "host-1",
                "logEvents": [["timestamp": .int(ms - 2000), "message": "failover requested"], ["timestamp": .int(ms - 1000), "message": "failover done"]],
            ])
            #expect(put["nextSequenceToken"]?.string != nil, "\(put)")
            let got = try await call(c, "logs", "GetLogEvents", ["logGroupName": "/breakglass/audit", "logStreamName": "host-1", "startFromHead": true])
            #expect(got["events"]?.array?.compactMap { $0["message"]?.string } == ["failover requested", "failover done"], "\(got)")
            #expect(try at(got, "events[0].timestamp")?.int == ms - 2000)
        }
    }

    @Test func stsAssumeRoleAndIAMRolePolicyGrantAccess() async throws {
        try await MotoHarness.withServer { server in
            let c = server.client()
            let keys = try await call(c, "iam", "ListAccessKeys", ["UserName": "breakglass-admin"])
            #expect(try at(keys, "AccessKeyMetadata[0].AccessKeyId")?.string == server.adminCredentials.accessKeyID, "\(keys)")
            #expect(try at(keys, "AccessKeyMetadata[0].Status") == "Active")

            let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"\#(server.adminARN)"},"Action":"sts:AssumeRole"}]}"#
            let role = try await call(c, "iam", "CreateRole", ["RoleName": "responder", "AssumeRolePolicyDocument": .string(trust)])
            let roleARN = try #require(try at(role, "Role.Arn")?.string)
            let assumed = try await call(c, "sts", "AssumeRole", ["RoleArn": .string(roleARN), "RoleSessionName": "oncall", "DurationSeconds": 900])
            let creds = AWSCredentials(
                accessKeyID: try #require(try at(assumed, "Credentials.AccessKeyId")?.string, "\(assumed)"),
                secretAccessKey: try #require(try at(assumed, "Credentials.SecretAccessKey")?.string),
                sessionToken: try #require(try at(assumed, "Credentials.SessionToken")?.string), source: "test")
            #expect(try at(assumed, "AssumedRoleUser.Arn")?.string?.hasSuffix(":assumed-role/responder/oncall") == true, "\(assumed)")
            let asRole = server.client(credentials: creds)
            let me = try await call(asRole, "sts", "GetCallerIdentity")
            #expect(me["Arn"]?.string?.hasSuffix(":assumed-role/responder/oncall") == true, "\(me)")

            // The role has no policy yet: denied. PutRolePolicy grants it, and the same session may.
            func createQueue() async throws { _ = try await call(asRole, "sqs", "CreateQueue", ["QueueName": "responder-q"]) }
            await #expect {
                try await createQueue()
            } throws: { error in
                guard case .service(let e) = error as? AWSError else { return false }
                return e.code.contains("AccessDenied")
            }
            let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:CreateQueue","Resource":"*"}]}"#
            _ = try await call(c, "iam", "PutRolePolicy", ["RoleName": "responder", "PolicyName": "queues", "PolicyDocument": .string(policy)])
            try await createQueue()
        }
    }

    /// moto does not implement StartAutomationExecution, so its request is checked offline: awsJson
    /// 1.1 to AmazonSSM, the input as the body, a fresh connection, and no second attempt after a 500.
    @Test func ssmStartAutomationExecutionRequestShape() async throws {
        let failure = HTTPResponse(status: 500, headers: [HTTPHeader("x-amzn-RequestId", "req-500")], body: Array(#"{"__type":"InternalServerError","message":"boom"}"#.utf8))
        let transport = ScriptedTransport([ScriptedTransport.json(#"{"AutomationExecutionId":"exec-1"}"#), .success(failure), ScriptedTransport.json("{}")])
        let env = AWSEnvironment(variables: ["HOME": "/nonexistent", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"])
        let client = AWSClient(
            credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s", source: "test"), endpoints: EndpointResolver(environment: env),
            transport: transport, retry: .standard, sleep: { _ in }, journal: MemoryJournal())
        let op = try AWSCatalog.lookup(service: "ssm", name: "StartAutomationExecution")
        #expect(op.mutates && op.iamAction == "ssm:StartAutomationExecution")
        let input: AWSValue = ["DocumentName": "AWS-RestartEC2Instance", "Parameters": ["InstanceId": ["i-0abc"]]]
        let started = try await client.call(op, input, region: "eu-west-1")
        #expect(started.value["AutomationExecutionId"] == "exec-1")
        let sent = try #require(transport.requests.first)
        #expect(sent.method == "POST" && sent.path == "/")
        #expect(sent.header("X-Amz-Target") == "AmazonSSM.StartAutomationExecution")
        #expect(sent.header("Content-Type") == "application/x-amz-json-1.1")
        #expect(sent.header("Authorization")?.contains("/eu-west-1/ssm/aws4_request") == true)
        #expect(try JSON.decode(sent.body) == input)
        #expect(!sent.reuseConnection)

        // A write that may have reached AWS is not sent again, even on a retryable 500.
        await #expect(throws: AWSError.self) { _ = try await client.call(op, input, region: "eu-west-1") }
        #expect(transport.requests.count == 2)
    }
}
