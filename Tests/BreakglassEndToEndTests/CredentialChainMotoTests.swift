import BreakglassAWS
import BreakglassTestSupport
import Foundation
import Testing

/// Assume-role profiles against moto_server with IAM checks on: moto verifies the signature of the
/// source credentials and the role's trust policy, and the session credentials it issues must in turn
/// sign calls it accepts.
@Suite(.serialized) struct CredentialChainMotoTests {
    static func trustPolicy(_ principal: String) -> String {
        #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"\#(principal)"},"Action":"sts:AssumeRole"}]}"#
    }

    static func createRole(_ name: String, trusting principal: String, client: AWSClient) async throws {
        _ = try await client.query(.iam, "CreateRole", [("RoleName", name), ("AssumeRolePolicyDocument", trustPolicy(principal))], region: "us-east-1", mutating: true)
        let allow = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        _ = try await client.query(.iam, "PutRolePolicy", [("RoleName", name), ("PolicyName", "all"), ("PolicyDocument", allow)], region: "us-east-1", mutating: true)
    }

    @Test func assumeRoleProfilesYieldWorkingSessionCredentials() async throws {
        try await MotoHarness.withServer { server in
            let admin = server.client()
            try await Self.createRole("breakglass-e2e", trusting: server.adminARN, client: admin)
            try await Self.createRole("untrusting", trusting: "arn:aws:iam::123456789012:user/someone-else", client: admin)
            let account = server.adminARN.split(separator: ":", omittingEmptySubsequences: false).dropFirst(4).first.map(String.init) ?? "123456789012"

            let home = try TemporaryHome()
            let keys = server.adminCredentials
            let script = try home.script("admin-creds", """
                echo '{"Version":1,"AccessKeyId":"\(keys.accessKeyID)","SecretAccessKey":"\(keys.secretAccessKey)"}'
                """)
            try home.write(config: """
                [profile admin]
                aws_access_key_id = \(keys.accessKeyID)
                aws_secret_access_key = \(keys.secretAccessKey)
                [profile oncall]
                role_arn = arn:aws:iam::\(account):role/breakglass-e2e
                source_profile = admin
                role_session_name = pager-duty
                duration_seconds = 900
                [profile via-process]
                credential_process = "\(script)"
                [profile oncall-process]
                role_arn = arn:aws:iam::\(account):role/breakglass-e2e
                source_profile = via-process
                [profile denied]
                role_arn = arn:aws:iam::\(account):role/untrusting
                source_profile = admin
                """)

            func resolver(_ profile: String) -> CredentialResolver {
                CredentialResolver(environment: home.env([
                    "AWS_PROFILE": profile, "AWS_ENDPOINT_URL": server.endpointURL, "AWS_REGION": "us-east-1", "NO_PROXY": "127.0.0.1,localhost",
                ]))
            }

            for (profile, session) in [("oncall", "pager-duty"), ("oncall-process", "breakglass-")] {
                let creds = try await resolver(profile).resolveAsync()
                #expect(creds.sessionToken != nil && creds.accessKeyID != keys.accessKeyID, "\(profile)")
                let expiry = try #require(creds.expiration, "\(profile)")
                #expect(expiry > Date(), "\(profile)")
                let who = try await server.client(credentials: creds).query(.sts, "GetCallerIdentity", region: "us-east-1")
                let arn = who.result.child("Arn")?.text ?? ""
                #expect(arn.contains(":assumed-role/breakglass-e2e/\(session)"), "\(profile): \(arn)")
            }

            await #expect {
                try await resolver("denied").resolveAsync()
            } throws: { error in
                let text = String(describing: error)
                return text.contains("profile denied") && text.contains("cannot assume arn:aws:iam::\(account):role/untrusting") && text.contains("AccessDenied")
            }
        }
    }
}
