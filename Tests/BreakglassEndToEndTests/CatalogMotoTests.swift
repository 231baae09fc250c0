import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// Catalog operations against moto_server with signature and IAM checks on: one or more per wire
/// protocol (query, ec2, awsJson 1.0 and 1.1, rest-json).
@Suite(.serialized) struct CatalogMotoTests {
    func op(_ service: String, _ name: String) throws -> AWSOperation { try AWSCatalog.lookup(service: service, name: name) }

    @Test func everyProtocolRoundTripsThroughMoto() async throws {
        try await MotoHarness.withServer { server in
            let client = server.client()
            let r = "us-east-1"
            // query (STS, IAM): XML answers become value trees.
            let me = try await client.call(op("sts", "GetCallerIdentity"), region: r)
            #expect(me.value["Arn"]?.string == server.adminARN)
            #expect(me.requestID != nil)
            let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"\#(server.adminARN)"},"Action":"sts:AssumeRole"}]}"#
            _ = try await client.call(op("iam", "CreateRole"), ["RoleName": "db-break-glass", "AssumeRolePolicyDocument": .string(trust)], region: r)
            let role = try await client.call(op("iam", "GetRole"), ["RoleName": "db-break-glass"], region: r)
            #expect(role.value["Role"]?["RoleName"]?.string == "db-break-glass")
            // query lists: Name.member.N
            let groups = try await client.call(op("autoscaling", "DescribeAutoScalingGroups"), ["AutoScalingGroupNames": ["web", "api"]], region: r)
            #expect(groups.value["AutoScalingGroups"] != nil)
            // RDS renames list items: Filters.Filter.N.Values.Value.M
            let dbs = try await client.call(op("rds", "DescribeDBInstances"), ["Filters": [["Name": "engine", "Values": ["aurora-mysql"]]]], region: r)
            #expect(dbs.value["DBInstances"] != nil)
            // ec2 dialect: Filter.1.Name, Filter.1.Value.1
            let instances = try await client.call(op("ec2", "DescribeInstances"), ["Filters": [["Name": "instance-state-name", "Values": ["running"]]]], region: r)
            #expect(instances.value["reservationSet"] != nil)
            // awsJson 1.0 (DynamoDB, SQS)
            _ = try await client.call(op("dynamodb", "CreateTable"), [
                "TableName": "orders", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [["AttributeName": "pk", "AttributeType": "S"]], "KeySchema": [["AttributeName": "pk", "KeyType": "HASH"]],
            ], region: r)
            let table = try await client.call(op("dynamodb", "DescribeTable"), ["TableName": "orders"], region: r)
            #expect(table.value.value(at: try AWSPath("Table.TableStatus")) == "ACTIVE")
            let queue = try await client.call(op("sqs", "CreateQueue"), ["QueueName": "orders"], region: r)
            let url = try #require(queue.value["QueueUrl"]?.string)
            let attrs = try await client.call(op("sqs", "GetQueueAttributes"), ["QueueUrl": .string(url), "AttributeNames": ["ApproximateNumberOfMessages"]], region: r)
            #expect(attrs.value.value(at: try AWSPath("Attributes.ApproximateNumberOfMessages")) == "0")
            // awsJson 1.1 (ECS, CloudWatch Logs)
            let cluster = try await client.call(op("ecs", "CreateCluster"), ["clusterName": "prod"], region: r)
            #expect(cluster.value.value(at: try AWSPath("cluster.clusterName")) == "prod")
            _ = try await client.call(op("logs", "CreateLogGroup"), ["logGroupName": "/breakglass/audit"], region: r)
            _ = try await client.call(op("logs", "CreateLogStream"), ["logGroupName": "/breakglass/audit", "logStreamName": "host-1"], region: r)
            // rest-json (Lambda): the path carries the function name, the rest is the JSON body; errors
            // keep code and request id. (moto 5.2.1 rejects every signed Lambda GET, botocore's too, so
            // the GET operations are checked for shape offline.)
            await #expect {
                _ = try await client.call(op("lambda", "PutFunctionConcurrency"), ["FunctionName": "ingest", "ReservedConcurrentExecutions": 0], region: r)
            } throws: { error in
                guard case .service(let e) = error as? AWSError else { return false }
                return e.code == "ResourceNotFoundException" && e.status == 404 && e.operation == "lambda.PutFunctionConcurrency" && e.requestID != nil
            }
        }
    }

    @Test func awsCallPrintsJSONRefusesUnknownOperationsAndUnconfirmedWrites() async throws {
        try await MotoHarness.withServer { server in
            let env = server.environment()
            let ok = try BreakglassBinary.run(["aws", "call", "sts", "GetCallerIdentity"], environment: env)
            #expect(ok.status == 0, "\(ok.stderr)")
            #expect(try JSON.decode(ok.stdout)["Arn"]?.string == server.adminARN)

            let unknown = try BreakglassBinary.run(["aws", "call", "ec2", "TerminateInstances"], environment: env)
            #expect(unknown.status == 2)
            #expect(unknown.stderr.contains("supported: DescribeInstances, DescribeInstanceStatus, RebootInstances"), "\(unknown.stderr)")

            let unconfirmed = try BreakglassBinary.run(["aws", "call", "sqs", "CreateQueue", "--param", "QueueName=q1"], environment: env)
            #expect(unconfirmed.status == 1)
            #expect(unconfirmed.stderr.contains("--yes"))
            let confirmed = try BreakglassBinary.run(["aws", "call", "sqs", "CreateQueue", "--param", "QueueName=q1", "--yes"], environment: env)
            #expect(confirmed.status == 0, "\(confirmed.stderr)")
            #expect(confirmed.stdout.contains("q1"))

            let signed = try BreakglassBinary.run(
                ["aws", "sign", "--region", "us-east-1", "--service", "sts", "--time", "20150830T123600Z"],
                environment: env, stdin: "POST / HTTP/1.1\nHost:sts.amazonaws.com\nContent-Type:application/x-www-form-urlencoded\n\nAction=GetCallerIdentity&Version=2011-06-15")
            #expect(signed.status == 0, "\(signed.stderr)")
            #expect(signed.stdout.contains("Authorization: AWS4-HMAC-SHA256 Credential=\(server.adminCredentials.accessKeyID)/20150830/us-east-1/sts/aws4_request"), "\(signed.stdout)")
            let bad = try BreakglassBinary.run(["aws", "sign", "--region", "us-east-1", "--service", "sts"], environment: env, stdin: "NOT A REQUEST\n")
            #expect(bad.status == 2)
            #expect(bad.stderr.contains("line 1"), "\(bad.stderr)")
        }
    }
}

@Suite struct QueryFlatteningTests {
    @Test func queryListsStructuresAndRenames() throws {
        let input: AWSValue = ["Filters": [["Name": "engine", "Values": ["a", "b"]]], "MaxRecords": 20, "IncludeShared": true, "Skip": nil]
        let rds = try QueryFlattening.flatten(input, listNames: ["Filters": "Filter", "Values": "Value"], ec2Dialect: false)
        #expect(rds.map { "\($0.0)=\($0.1)" } == ["Filters.Filter.1.Name=engine", "Filters.Filter.1.Values.Value.1=a", "Filters.Filter.1.Values.Value.2=b", "MaxRecords=20", "IncludeShared=true"])
        let plain = try QueryFlattening.flatten(["Names": ["x"], "Empty": []], listNames: [:], ec2Dialect: false)
        #expect(plain.map { "\($0.0)=\($0.1)" } == ["Names.member.1=x", "Empty="])
        let ec2 = try QueryFlattening.flatten(["InstanceIds": ["i-1", "i-2"], "Filters": [["Name": "n", "Values": ["v"]]]], listNames: ["InstanceIds": "InstanceId", "Filters": "Filter", "Values": "Value"], ec2Dialect: true)
        #expect(ec2.map { "\($0.0)=\($0.1)" } == ["InstanceId.1=i-1", "InstanceId.2=i-2", "Filter.1.Name=n", "Filter.1.Value.1=v"])
    }

    @Test func xmlAnswersBecomeValueTrees() throws {
        let x = try XML.decode("<R><DescribeDBClustersResult><DBClusters><DBCluster><Status>available</Status></DBCluster></DBClusters><Marker/></DescribeDBClustersResult></R>")
        let v = QueryFlattening.value(of: try #require(x.child("DescribeDBClustersResult")), dropWrapper: true)
        #expect(v.value(at: try AWSPath("DBClusters[0].Status")) == "available")
        let ec2 = try XML.decode("<DescribeInstancesResponse><reservationSet><item><instancesSet><item><instanceId>i-1</instanceId></item></instancesSet></item></reservationSet></DescribeInstancesResponse>")
        #expect(QueryFlattening.value(of: ec2, dropWrapper: true).value(at: try AWSPath("reservationSet[0].instancesSet[0].instanceId")) == "i-1")
    }

    @Test func restJSONPutsTheNameInThePathAndTheRestInTheBody() async throws {
        let transport = ScriptedTransport([ScriptedTransport.json("{}"), ScriptedTransport.json(#"{"ReservedConcurrentExecutions":0}"#)])
        let env = AWSEnvironment(variables: ["HOME": "/nonexistent", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"])
        let client = AWSClient(credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s", source: "test"), endpoints: EndpointResolver(environment: env), transport: transport, retry: .never, journal: MemoryJournal())
        _ = try await client.call(AWSCatalog.lookup(service: "lambda", name: "GetFunctionConcurrency"), ["FunctionName": "my fn:1"], region: "us-east-1")
        let put = try await client.call(AWSCatalog.lookup(service: "lambda", name: "PutFunctionConcurrency"), ["FunctionName": "ingest", "ReservedConcurrentExecutions": 0], region: "us-east-1")
        #expect(put.value["ReservedConcurrentExecutions"]?.int == 0)
        let get = transport.requests[0], sent = transport.requests[1]
        #expect(get.method == "GET" && get.path == "/2019-09-30/functions/my%20fn%3A1/concurrency" && get.body.isEmpty)
        #expect(sent.method == "PUT" && sent.path == "/2017-10-31/functions/ingest/concurrency")
        #expect(try JSON.decode(sent.body) == ["ReservedConcurrentExecutions": 0])
        #expect(!sent.reuseConnection && get.reuseConnection)
    }

    @Test func catalogKnowsMutationAndIAMActions() throws {
        let put = try AWSCatalog.lookup(service: "lambda", name: "PutFunctionConcurrency")
        #expect(put.mutates && put.iamAction == "lambda:PutFunctionConcurrency")
        #expect(try AWSCatalog.lookup(service: "cloudwatch", name: "DescribeAlarms").iamAction == "cloudwatch:DescribeAlarms")
        #expect(try !AWSCatalog.lookup(service: "rds", name: "DescribeDBClusters").mutates)
        #expect(throws: AWSError.self) { try AWSCatalog.lookup(service: "s3", name: "GetObject") }
    }
}
