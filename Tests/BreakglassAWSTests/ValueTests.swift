import Foundation
import Testing

@testable import BreakglassAWS

@Suite struct JSONTests {
    @Test func roundTripsKeepingOrderAndNumberText() throws {
        let text = #"{"b":1,"a":[true,false,null,"x\ny",1.50,-2e3],"c":{"d":12345678901234567890}}"#
        let v = try JSON.decode(text)
        #expect(v.object?.keys == ["b", "a", "c"])
        #expect(v["c"]?["d"] == .number("12345678901234567890"))
        #expect(JSON.encode(v) == text)
    }

    @Test func decodesEscapesAndSurrogates() throws {
        let v = try JSON.decode(#"["\u00e9\ud83d\ude00\/\"\\", "\ud800x"]"#)
        #expect(v[0]?.string == "é😀/\"\\")
        #expect(v[1]?.string == "\u{FFFD}x")
    }

    @Test(arguments: [
        ("", 0), ("{", 1), ("[1,]", 3), (#"{"a" 1}"#, 5), ("tru", 0), ("[1] x", 4), ("\"a\u{01}\"", 2), ("01x", 1),
    ])
    func malformedInputNamesTheOffset(_ text: String, _ offset: Int) {
        #expect(throws: JSON.DecodeError.self) { try JSON.decode(text) }
        do { _ = try JSON.decode(text) } catch { #expect(error.offset == offset, "\(error)") }
    }

    @Test func refusesPathologicalNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSON.DecodeError.self) { try JSON.decode(deep) }
    }

    @Test func encodingMakesControlCharactersInert() {
        #expect(JSON.encode("a\u{1B}[2Jb\u{7F}\u{2028}") == #""a\u001b[2Jb\u007f\u2028""#)
    }

    /// Strings with nothing to escape are appended whole; the rest go scalar by scalar. Both ways
    /// give the same JSON: text near the escaped ranges (é, £, …, ‘) passes as it is, C1 and bidi
    /// controls are escaped, and every string reads back unchanged.
    @Test func plainStringsAndEscapedOnesEncodeAlike() throws {
        let table: [(String, String)] = [
            ("prod-db-cpu", #""prod-db-cpu""#),
            ("arn:aws:cloudwatch:us-east-1:111122223333:alarm:x", #""arn:aws:cloudwatch:us-east-1:111122223333:alarm:x""#),
            ("café £5 … ‘q’ 日本", #""café £5 … ‘q’ 日本""#),
            ("a\u{9B}31m", #""a\u009b31m""#),
            ("\u{202E}evil\u{2066}", #""\u202eevil\u2066""#),
            ("say \"hi\" \\ ok", #""say \"hi\" \\ ok""#),
            ("", #""""#),
        ]
        for (text, json) in table {
            #expect(JSON.encode(.string(text)) == json, "\(text)")
            #expect(try JSON.decode(JSON.encode(.string(text))) == .string(text), "\(text)")
        }
    }

    @Test func pathLookups() throws {
        let v = try JSON.decode(#"{"DBClusters":[{"Status":"available","Tags":{"odd key":"v"}}]}"#)
        #expect(v.value(at: try AWSPath("DBClusters[0].Status")) == "available")
        #expect(v.value(at: try AWSPath(#"DBClusters[0].Tags["odd key"]"#)) == "v")
        #expect(v.value(at: try AWSPath("DBClusters[1].Status")) == nil)
        #expect(throws: AWSPath.ParseError.self) { try AWSPath("DBClusters[x]") }
        #expect(throws: AWSPath.ParseError.self) { try AWSPath("a..b") }
        #expect(throws: AWSPath.ParseError.self) { try AWSPath("a.") }
    }
}

@Suite struct XMLTests {
    @Test func readsAQueryAnswer() throws {
        let x = try XML.decode("""
            <?xml version="1.0"?>
            <CreateAccessKeyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
              <CreateAccessKeyResult><AccessKey><UserName>u &amp; v</UserName><SecretAccessKey>a+b/c</SecretAccessKey>
              <Note><![CDATA[<raw>]]>&#65;&#x42;</Note><Empty/></AccessKey></CreateAccessKeyResult>
              <!-- comment --><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>
            </CreateAccessKeyResponse>
            """)
        #expect(x.name == "CreateAccessKeyResponse")
        #expect(x.path("CreateAccessKeyResult", "AccessKey", "UserName")?.text == "u & v")
        #expect(x.first("Note")?.text == "<raw>AB")
        #expect(x.first("Empty")?.text == "")
        #expect(x.first("RequestId")?.text == "req-1")
    }

    @Test(arguments: ["<a><b></a>", "<a>", "<!DOCTYPE x [<!ENTITY e 'boom'>]><a>&e;</a>", "<a>&bogus;</a>", "<a></a><b/>", "text"])
    func refusesMalformedOrDangerousInput(_ text: String) {
        #expect(throws: XML.DecodeError.self) { try XML.decode(text) }
    }
}

@Suite struct ErrorDecodingTests {
    @Test func jsonErrorWithNamespacedType() {
        let r = HTTPResponse(status: 400, headers: [HTTPHeader("x-amzn-RequestId", "rid-1")], body: Array(#"{"__type":"com.amazon.coral.service#InvalidClientTokenId","message":"bad token"}"#.utf8))
        let e = AWSClient.decodeError(r, operation: "monitoring.DescribeAlarms")
        #expect(e.code == "InvalidClientTokenId")
        #expect(e.message == "bad token")
        #expect(e.requestID == "rid-1")
        #expect(e.description == "monitoring.DescribeAlarms failed: InvalidClientTokenId: bad token (HTTP 400, request id rid-1)")
    }

    @Test func queryXMLError() {
        let body = "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>nope</Message></Error><RequestId>rid-2</RequestId></ErrorResponse>"
        let e = AWSClient.decodeError(HTTPResponse(status: 403, body: Array(body.utf8)), operation: "iam.GetUser")
        #expect(e.code == "SignatureDoesNotMatch")
        #expect(e.requestID == "rid-2")
    }

    @Test func unreadableBodyKeepsTheStatus() {
        let e = AWSClient.decodeError(HTTPResponse(status: 502, body: Array("<html>bad gateway".utf8)), operation: "x.Y")
        #expect(e.code == "HTTP502")
        #expect(e.message.contains("bad gateway"))
    }
}

@Suite struct TimeTests {
    @Test(arguments: [
        ("2026-11-21T02:13:00Z", 1_795_227_180.0), ("2026-11-21T02:13:00.500Z", 1_795_227_180.5),
        ("2026-11-21T03:13:00+01:00", 1_795_227_180.0), ("2026-11-21 02:13:00", 1_795_227_180.0),
    ])
    func parsesISO8601(_ text: String, _ epoch: Double) {
        #expect(ISO8601.parse(text)?.timeIntervalSince1970 == epoch)
    }

    @Test(arguments: ["2026-13-01T00:00:00Z", "2026-11-21T25:00:00Z", "2026-11-21", "2026-11-21T02:13:00Q", "garbage"])
    func refusesMalformedISO8601(_ text: String) {
        #expect(ISO8601.parse(text) == nil)
    }

    @Test func formatsAndParsesTheSigV4Form() {
        let d = Date(timeIntervalSince1970: 1_440_938_160)
        #expect(ISO8601.format(d) == "2015-08-30T12:36:00Z")
        #expect(AmzDate(d).full == "20150830T123600Z")
        #expect(AmzDate.parse("20150830T123600Z") == d)
        #expect(AmzDate.parse("20151330T123600Z") == nil)
    }
}
