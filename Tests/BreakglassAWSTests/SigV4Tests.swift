import Foundation
import Testing

@testable import BreakglassAWS

/// Cases from AWS's published SigV4 test suite (credentials AKIDEXAMPLE, 2015-08-30T12:36:00Z,
/// us-east-1, service "service"). The full suite lands with the AWS client issue.
@Suite struct SigV4Tests {
    static let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", source: "test")
    static let date = Date(timeIntervalSince1970: 1_440_938_160)  // 20150830T123600Z

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let method: String
        let path: String
        let query: String
        let signature: String
        var testDescription: String { name }
    }

    @Test(arguments: [
        Case(name: "get-vanilla", method: "GET", path: "/", query: "", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Case(name: "get-vanilla-query-order-key-case", method: "GET", path: "/", query: "Param2=value2&Param1=value1", signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        Case(name: "post-vanilla", method: "POST", path: "/", query: "", signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        Case(name: "get-utf8", method: "GET", path: "/ሴ", query: "", signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
    ])
    func publishedSuite(_ c: Case) {
        var request = HTTPRequest(method: c.method, host: "example.amazonaws.com", path: c.path, query: c.query, headers: [HTTPHeader("Host", "example.amazonaws.com")])
        SigV4Signer().sign(&request, credentials: Self.credentials, region: "us-east-1", service: "service", date: Self.date)
        #expect(request.header("X-Amz-Date") == "20150830T123600Z")
        #expect(request.header("Authorization") == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=\(c.signature)")
    }

    @Test func signingKeyMatchesPublishedDerivation() {
        let key = SigV4Signer().signingKey(secret: Self.credentials.secretAccessKey, day: "20150830", region: "us-east-1", service: "service")
        #expect(key.withUnsafeBytes { Hex.encode($0) } == "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75")
    }

    @Test func sessionTokenIsSignedAndSent() {
        let creds = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret", sessionToken: "TOKEN", source: "test")
        var request = HTTPRequest(method: "POST", host: "sts.amazonaws.com", body: Array("Action=GetCallerIdentity".utf8))
        SigV4Signer().sign(&request, credentials: creds, region: "us-east-1", service: "sts", date: Self.date)
        #expect(request.header("X-Amz-Security-Token") == "TOKEN")
        #expect(request.header("Authorization")?.contains("SignedHeaders=host;x-amz-date;x-amz-security-token,") == true)
    }

    @Test(arguments: [
        ("/", "/"), ("", "/"), ("//", "/"), ("//example//", "/example/"), ("/./", "/"), ("/./example", "/example"),
        ("/example/..", "/"), ("/example1/example2/../..", "/"), ("/example space/", "/example%20space/"),
        ("/a%20b", "/a%2520b"), ("/-._~0-9A-Za-z", "/-._~0-9A-Za-z"),
    ])
    func canonicalURI(_ input: String, _ expected: String) {
        #expect(SigV4Signer.canonicalURI(input) == expected)
    }

    @Test(arguments: [
        ("Param2=value2&Param1=value1", "Param1=value1&Param2=value2"),
        ("Param1=value2&Param1=Value1", "Param1=Value1&Param1=value2"),
        ("Param1=value1&a=1&A=0", "A=0&Param1=value1&a=1"),
        ("Param1", "Param1="),
        ("%E1%88%B4=bar", "%E1%88%B4=bar"),
        ("a=b%2Fc&x=%7e", "a=b%2Fc&x=~"),
    ])
    func canonicalQuery(_ input: String, _ expected: String) {
        #expect(SigV4Signer.canonicalQuery(input) == expected)
    }

    @Test func headersLowercasedTrimmedCollapsedAndJoined() {
        let (canonical, signed) = SigV4Signer.canonicalHeaders([
            HTTPHeader("Host", "example.amazonaws.com"), HTTPHeader("My-Header1", "  value1  "),
            HTTPHeader("My-Header2", "\"a   b   c\""), HTTPHeader("my-header1", "value2"), HTTPHeader("User-Agent", "x"),
        ])
        #expect(signed == "host;my-header1;my-header2")
        #expect(canonical == "host:example.amazonaws.com\nmy-header1:value1,value2\nmy-header2:\"a b c\"\n")
    }

    @Test func signingKeyIsCachedPerDayRegionService() {
        let signer = SigV4Signer()
        let a = signer.signingKey(secret: "s", day: "20260101", region: "us-east-1", service: "monitoring")
        let b = signer.signingKey(secret: "s", day: "20260101", region: "us-east-1", service: "monitoring")
        let c = signer.signingKey(secret: "s", day: "20260102", region: "us-east-1", service: "monitoring")
        #expect(a == b)
        #expect(a != c)
    }

    @Test func formEncodingMatchesTheSDKs() {
        #expect(FormEncoding.encode([("Action", "PutUserPolicy"), ("PolicyDocument", "{\"a\": \"b/c~d\"}")]) == "Action=PutUserPolicy&PolicyDocument=%7B%22a%22%3A+%22b%2Fc~d%22%7D")
    }

    @Test func credentialsNeverDescribeTheirSecret() {
        let c = AWSCredentials(accessKeyID: "AKIAEXAMPLE", secretAccessKey: "SUPERSECRET", sessionToken: "TOKENVALUE", source: "environment")
        let text = "\(c) \(String(reflecting: c))"
        #expect(!text.contains("SUPERSECRET"))
        #expect(!text.contains("TOKENVALUE"))
        #expect(text.contains("AKIAEXAMPLE"))
    }
}
