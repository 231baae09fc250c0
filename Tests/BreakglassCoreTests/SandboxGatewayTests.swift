import BreakglassCore
import Foundation
import Testing

/// The gateway's pure parts: what it reads of a request, and how it impairs an instance's checks.
/// (Through moto_server, with the real client, in SandboxGatewayMotoTests.)
@Suite struct SandboxGatewayTests {
    static let statusXML = """
        <?xml version="1.0" encoding="utf-8"?>
        <DescribeInstanceStatusResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15"><instanceStatusSet>\
        <item><availabilityZone>us-east-1a</availabilityZone><instanceId>i-aaa</instanceId><instanceState><code>16</code><name>running</name></instanceState>\
        <instanceStatus><details><item><name>reachability</name><status>passed</status></item></details><status>ok</status></instanceStatus>\
        <systemStatus><details><item><name>reachability</name><status>passed</status></item></details><status>ok</status></systemStatus></item>\
        <item><availabilityZone>us-east-1a</availabilityZone><instanceId>i-bbb</instanceId><instanceState><code>16</code><name>running</name></instanceState>\
        <instanceStatus><details><item><name>reachability</name><status>passed</status></item></details><status>ok</status></instanceStatus>\
        <systemStatus><details><item><name>reachability</name><status>passed</status></item></details><status>ok</status></systemStatus></item>\
        </instanceStatusSet><requestId>r-1</requestId></DescribeInstanceStatusResponse>
        """

    static func section(_ xml: String, of id: String, _ element: String) -> String? {
        guard let item = xml.range(of: "<instanceId>\(id)</instanceId>"),
            let open = xml.range(of: "<\(element)>", range: item.upperBound..<xml.endIndex),
            let close = xml.range(of: "</\(element)>", range: open.upperBound..<xml.endIndex)
        else { return nil }
        return String(xml[open.upperBound..<close.lowerBound])
    }

    @Test func onlyTheImpairedInstancesCheckChanges() {
        let out = SandboxGateway.impairStatuses(Self.statusXML, instances: ["i-bbb"])
        #expect(Self.section(out, of: "i-bbb", "instanceStatus") == "<details><item><name>reachability</name><status>failed</status></item></details><status>impaired</status>")
        // The system check of the same instance, and the other instance, are as moto said.
        #expect(Self.section(out, of: "i-bbb", "systemStatus") == Self.section(Self.statusXML, of: "i-bbb", "systemStatus"))
        #expect(Self.section(out, of: "i-aaa", "instanceStatus") == Self.section(Self.statusXML, of: "i-aaa", "instanceStatus"))
        #expect(out.count == Self.statusXML.count + "impaired".count - "ok".count + "failed".count - "passed".count)
    }

    @Test(arguments: [Set<String>(), ["i-zzz"]])
    func anInstanceNotInTheAnswerChangesNothing(_ ids: Set<String>) {
        #expect(SandboxGateway.impairStatuses(Self.statusXML, instances: ids) == Self.statusXML)
    }

    @Test func bothInstancesCanBeImpaired() {
        let out = SandboxGateway.impairStatuses(Self.statusXML, instances: ["i-aaa", "i-bbb"])
        for id in ["i-aaa", "i-bbb"] { #expect(Self.section(out, of: id, "instanceStatus")?.hasSuffix("<status>impaired</status>") == true, "\(id)") }
    }

    static func request(_ head: String, body: String) -> [UInt8] {
        Array((head.replacingOccurrences(of: "\n", with: "\r\n") + "Content-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)
    }

    /// (what, request bytes, operation, names).
    static let calls: [(String, [UInt8], String, Set<String>)] = [
        ("query protocol (EC2)", request("POST / HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/x-www-form-urlencoded; charset=utf-8\n",
                                          body: "Action=RebootInstances&Version=2016-11-15&InstanceId.1=i-aaa&InstanceId.2=i-b%2Bb"),
         "RebootInstances", ["i-aaa", "i-b+b"]),
        ("query protocol (RDS), + is a space", request("POST / HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/x-www-form-urlencoded\n",
                                                       body: "Action=RebootDBInstance&Version=2014-10-31&DBInstanceIdentifier=prod-aurora-1&Note=a+b"),
         "RebootDBInstance", ["prod-aurora-1", "a b"]),
        ("JSON protocol", request("POST / HTTP/1.1\nHost: 127.0.0.1\nX-Amz-Target: AmazonSQS.PurgeQueue\nContent-Type: application/x-amz-json-1.0\n",
                                  body: #"{"QueueUrl":"http://q/prod-orders","Tags":["a","b"],"N":3}"#),
         "PurgeQueue", ["http://q/prod-orders", "a", "b"]),
        ("REST", request("PUT /2015-03-31/functions/ingest/concurrency HTTP/1.1\nHost: 127.0.0.1\n", body: #"{"ReservedConcurrentExecutions":0}"#),
         "PUT /2015-03-31/functions/ingest/concurrency", []),
    ]

    @Test(arguments: calls.indices)
    func aCallIsReadFromItsRequest(_ index: Int) throws {
        let (what, bytes, operation, names) = Self.calls[index]
        let call = try #require(try SandboxGatewayTests.parse(bytes), "\(what)")
        #expect(call.operation == operation, "\(what)")
        #expect(call.names == names, "\(what)")
    }

    /// Reads `bytes` as the gateway does: through a socket pair and HTTPMessageReader.
    static func parse(_ bytes: [UInt8]) throws -> GatewayCall? {
        var fds: [Int32] = [0, 0]
        try #require(socketpair(AF_UNIX, LoopbackSocket.streamType, 0, &fds) == 0)
        defer { close(fds[1]) }
        #expect(LoopbackSocket.writeAll(fds[0], bytes))
        close(fds[0])
        var reader = HTTPMessageReader(fd: fds[1]) { false }
        return reader.readRequest().map(GatewayCall.init(request:))
    }
}
