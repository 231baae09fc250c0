import BreakglassAWS
import BreakglassCore
import Foundation
import Testing

/// The pure parts of a request: session names STS accepts, durations within the role's max and
/// STS's range, role ARNs, MFA codes, the AssumeRole input and the revoke-older-sessions policy.
@Suite struct AccessRequestTests {
    static let names: [(user: String, incident: String?, expected: String)] = [
        ("alice", "INC42", "bg-alice-INC42"),
        ("alice", nil, "bg-alice"),
        ("alice@example.com", "INC-7", "bg-alice@example.com-INC-7"),
        // Characters STS refuses become one dash each run; none at the ends.
        ("José Núñez", "sale 2026/11 #3", "bg-Jos-N-ez-sale-2026-11-3"),
        ("  ", "INC 1", "bg-user-INC-1"),
        ("bob", "///", "bg-bob"),
        ("o'brien", "a:b", "bg-o-brien-a-b"),
        // The user keeps at most 32 characters, the incident the rest of 64.
        (String(repeating: "u", count: 40), String(repeating: "i", count: 40),
         "bg-" + String(repeating: "u", count: 32) + "-" + String(repeating: "i", count: 28)),
    ]

    @Test(arguments: names.indices)
    func sessionNamesAreWhatSTSAccepts(_ i: Int) {
        let c = Self.names[i]
        let name = AccessNaming.sessionName(user: c.user, incident: c.incident)
        #expect(name == c.expected)
        #expect(AccessNaming.isValid(name))
        #expect(name.count <= 64)
        #expect(AccessNaming.sourceIdentity(user: c.user, incident: c.incident) == name)
    }

    @Test func validityFollowsSTSRules() {
        #expect(!AccessNaming.isValid("a"))
        #expect(!AccessNaming.isValid(String(repeating: "a", count: 65)))
        #expect(AccessNaming.isValid(String(repeating: "a", count: 64)))
        #expect(!AccessNaming.isValid("has space"))
        #expect(!AccessNaming.isValid("aws:thing"))
        #expect(AccessNaming.isValid("a+b=c,d.e@f-g_h"))
        #expect(AccessNaming.sanitize("a/b\\c d") == "a-b-c-d")
    }

    static func role(max: Duration = .seconds(30 * 60)) -> AccessRole {
        AccessRole(id: "app-break-glass", arn: "arn:aws:iam::111122223333:role/app-break-glass", maxDuration: max,
                   location: SourceLocation(file: "breakglass.yaml", line: 9, column: 5))
    }

    enum Outcome: Equatable { case success(Int), failure(String) }

    static let durations: [(String?, Outcome)] = [
        (nil, .success(1800)),                 // the role's max
        ("15m", .success(900)),
        ("20m30s", .success(1230)),
        ("30m", .success(1800)),
        ("31m", .failure("--duration 31m is longer than role app-break-glass allows: at most 30m (access.roles.app-break-glass.max, breakglass.yaml:9:5)")),
        ("14m59s", .failure("--duration 14m59s is shorter than STS grants: at least 15m")),
        ("900", .failure("--duration 900: add a unit, e.g. 900m or 900s")),
        ("a while", .failure("--duration a while: expected a duration like 15m, 30m or 1h")),
    ]

    @Test(arguments: durations.indices)
    func durationsStayWithinTheRoleAndSTS(_ i: Int) {
        let (requested, expected) = Self.durations[i]
        let got: Outcome
        do throws(AccessRequestError) {
            got = .success(try AccessDuration.seconds(requested: requested, role: Self.role()))
        } catch {
            got = .failure(error.message)
        }
        switch (got, expected) {
        case (.success(let a), .success(let b)): #expect(a == b)
        case (.failure(let a), .failure(let b)): #expect(a.hasPrefix(b), "\(a)")
        default: Issue.record("\(requested ?? "nil"): got \(got), expected \(expected)")
        }
    }

    @Test func aTwelveHourRoleGetsTwelveHours() throws {
        #expect(try AccessDuration.seconds(requested: nil, role: Self.role(max: .seconds(12 * 3600))) == 43_200)
        #expect(try AccessDuration.seconds(requested: "12h", role: Self.role(max: .seconds(12 * 3600))) == 43_200)
    }

    @Test func roleARNsAreRead() {
        let plain = RoleARN("arn:aws:iam::111122223333:role/db-break-glass")
        #expect(plain == RoleARN("arn:aws:iam::111122223333:role/db-break-glass"))
        #expect(plain?.account == "111122223333" && plain?.partition == "aws" && plain?.name == "db-break-glass")
        let pathed = RoleARN("arn:aws-us-gov:iam::123456789012:role/ops/oncall/db")
        #expect(pathed?.name == "db" && pathed?.partition == "aws-us-gov")
        #expect(RoleARN("arn:aws:iam::111122223333:user/alice") == nil)
        #expect(RoleARN("arn:aws:iam:us-east-1:111122223333:role/x") == nil)
        #expect(RoleARN("not an arn") == nil)
    }

    @Test func mfaCodesAreSixDigits() throws {
        #expect(try MFACode.validate(" 123456\n") == "123456")
        for bad in ["12345", "1234567", "12345a", "١٢٣٤٥٦", ""] {
            #expect(throws: AccessRequestError.self) { try MFACode.validate(bad) }
        }
    }

    @Test func theAssumeRoleInputCarriesEverythingButTheCodeUntilAsked() {
        let request = AssumeRoleRequest(
            roleARN: "arn:aws:iam::111122223333:role/r", sessionName: "bg-alice-INC42", sourceIdentity: "bg-alice-INC42", durationSeconds: 900,
            mfaSerial: "arn:aws:iam::111122223333:mfa/alice", policy: #"{"Version":"2012-10-17","Statement":[]}"#)
        let withCode = request.input(mfaCode: "123456")
        #expect(withCode.object?.keys == ["RoleArn", "RoleSessionName", "DurationSeconds", "SerialNumber", "TokenCode", "SourceIdentity", "Policy"])
        #expect(withCode["DurationSeconds"] == .number("900"))
        #expect(withCode["TokenCode"]?.string == "123456")
        // What the audit trail records: no code, so no serial either.
        let recorded = request.input(mfaCode: nil)
        #expect(recorded.object?.keys == ["RoleArn", "RoleSessionName", "DurationSeconds", "SourceIdentity", "Policy"])
    }

    @Test func theAnswerGivesCredentialsOrSaysWhatIsMissing() throws {
        let answer: AWSValue = [
            "Credentials": ["AccessKeyId": "ASIAX", "SecretAccessKey": "wJalrXUtnFEMIsecret", "SessionToken": "FwoGZXIvYXdzToken", "Expiration": "2026-11-21T16:00:00Z"],
            "AssumedRoleUser": ["Arn": "arn:aws:sts::111122223333:assumed-role/r/bg-alice"],
        ]
        let (c, arn) = try AssumeRoleRequest.credentials(from: answer, roleARN: "arn:aws:iam::111122223333:role/r", requestID: "rid")
        #expect(c.accessKeyID == "ASIAX" && c.secretAccessKey == "wJalrXUtnFEMIsecret" && c.sessionToken == "FwoGZXIvYXdzToken")
        #expect(c.expiration == ISO8601.parse("2026-11-21T16:00:00Z"))
        #expect(arn == "arn:aws:sts::111122223333:assumed-role/r/bg-alice")
        #expect(!c.description.contains("wJalrXUtnFEMIsecret") && !c.description.contains("FwoGZXIvYXdzToken"))
        #expect(throws: AccessRequestError("the AssumeRole answer for r lacks Credentials (request id rid)")) {
            try AssumeRoleRequest.credentials(from: ["Credentials": ["AccessKeyId": "A"]], roleARN: "r", requestID: "rid")
        }
    }

    @Test func revokeOlderSessionsDeniesEverythingIssuedBeforeNow() throws {
        let now = try #require(ISO8601.parse("2026-11-21T02:14:07Z"))
        #expect(RevokeOlderSessions.document(now: now)
            == #"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["*"],"Resource":["*"],"Condition":{"DateLessThan":{"aws:TokenIssueTime":"2026-11-21T02:14:07Z"}}}]}"#)
        #expect(RevokeOlderSessions.policyName == "AWSRevokeOlderSessions")
    }
}
