import BreakglassAWS
import BreakglassTestSupport
import Foundation
import Testing

/// Query-protocol maps: `Name.entry.N.key` / `.value`, with the operation's names for key and value.
@Suite struct QueryMapTests {
    func pairs(_ p: [(String, String)]) -> [String] { p.map { "\($0.0)=\($0.1)" } }

    @Test func standardMapsUseEntryKeyAndValueInTheObjectsOrder() throws {
        let input: AWSValue = ["Name": "alerts", "Attributes": ["DisplayName": "On call", "FifoTopic": "false"]]
        let out = try QueryFlattening.flatten(input, listNames: [:], maps: ["Attributes": .standard], ec2Dialect: false)
        #expect(pairs(out) == [
            "Name=alerts",
            "Attributes.entry.1.key=DisplayName", "Attributes.entry.1.value=On call",
            "Attributes.entry.2.key=FifoTopic", "Attributes.entry.2.value=false",
        ])
    }

    @Test func snsPublishRenamesKeyAndValueAndFlattensStructuredValues() throws {
        let publish = try AWSCatalog.lookup(service: "sns", name: "Publish")
        #expect(publish.maps["MessageAttributes"] == QueryMap(key: "Name", value: "Value"))
        let input: AWSValue = [
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:pages", "Message": "db down",
            "MessageAttributes": [
                "severity": ["DataType": "String", "StringValue": "critical"],
                "attempt": ["DataType": "Number", "StringValue": "2"],
            ],
        ]
        let out = try QueryFlattening.flatten(input, listNames: publish.listNames, maps: publish.maps, ec2Dialect: false)
        #expect(pairs(out) == [
            "TopicArn=arn:aws:sns:us-east-1:123456789012:pages", "Message=db down",
            "MessageAttributes.entry.1.Name=severity",
            "MessageAttributes.entry.1.Value.DataType=String", "MessageAttributes.entry.1.Value.StringValue=critical",
            "MessageAttributes.entry.2.Name=attempt",
            "MessageAttributes.entry.2.Value.DataType=Number", "MessageAttributes.entry.2.Value.StringValue=2",
        ])
    }

    @Test func mapsNestInsideListsAndOnlyDeclaredMembersAreMaps() throws {
        // A map inside a list item, and a structure with the same shape that is not declared a map.
        let input: AWSValue = ["Items": [["Tags": ["team": "db"], "Config": ["Mode": "fast"]]]]
        let out = try QueryFlattening.flatten(input, listNames: [:], maps: ["Tags": QueryMap(key: "K", value: "V")], ec2Dialect: false)
        #expect(pairs(out) == ["Items.member.1.Tags.entry.1.K=team", "Items.member.1.Tags.entry.1.V=db", "Items.member.1.Config.Mode=fast"])
        // Map values that are lists use the operation's list names.
        let lists = try QueryFlattening.flatten(["M": ["a": ["x", "y"]]], listNames: [:], maps: ["M": .standard], ec2Dialect: false)
        #expect(pairs(lists) == ["M.entry.1.key=a", "M.entry.1.value.member.1=x", "M.entry.1.value.member.2=y"])
    }

    @Test func emptyAndNullMapsSendNothingAndAListIsRefused() throws {
        let empty = try QueryFlattening.flatten(["Attributes": [:], "Other": nil, "Name": "t"], listNames: [:], maps: ["Attributes": .standard], ec2Dialect: false)
        #expect(pairs(empty) == ["Name=t"])
        #expect(throws: AWSError.self) {
            try QueryFlattening.flatten(["Attributes": ["a", "b"]], listNames: [:], maps: ["Attributes": .standard], ec2Dialect: false)
        }
    }

    @Test func callSendsTheMapOnTheWire() async throws {
        let answer = "<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>"
        let transport = ScriptedTransport([.success(HTTPResponse(status: 200, headers: [HTTPHeader("x-amzn-RequestId", "r-1")], body: Array(answer.utf8)))])
        let env = AWSEnvironment(variables: ["HOME": "/nonexistent", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"])
        let client = AWSClient(
            credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s", source: "test"), endpoints: EndpointResolver(environment: env),
            transport: transport, retry: .never, journal: MemoryJournal())
        let r = try await client.call(
            AWSCatalog.lookup(service: "sns", name: "Publish"),
            ["TopicArn": "arn:t", "Message": "hi", "MessageAttributes": ["sev": ["DataType": "String", "StringValue": "low"]]], region: "us-east-1")
        #expect(r.value["MessageId"]?.string == "m-1")
        let body = String(decoding: try #require(transport.requests.first).body, as: UTF8.self)
        #expect(body.contains("MessageAttributes.entry.1.Name=sev"), "\(body)")
        #expect(body.contains("MessageAttributes.entry.1.Value.DataType=String"), "\(body)")
        #expect(body.contains("MessageAttributes.entry.1.Value.StringValue=low"), "\(body)")
    }
}
