import BreakglassTestSupport
import Foundation
import Testing

@testable import BreakglassAWS

/// Credential and region resolution against real files in a temporary HOME.
@Suite struct EnvironmentTests {
    @Test func environmentVariablesComeFirst() throws {
        let home = try TemporaryHome(credentials: "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n")
        let c = try CredentialResolver(environment: home.env(["AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "envsecret", "AWS_SESSION_TOKEN": "tok"])).resolve()
        #expect(c.accessKeyID == "ENVKEY")
        #expect(c.sessionToken == "tok")
        #expect(c.source == "environment")
    }

    @Test func anExplicitProfileOutranksTheEnvironment() throws {
        let home = try TemporaryHome(credentials: "[prod]\naws_access_key_id = PRODKEY\naws_secret_access_key = prodsecret\n")
        let c = try CredentialResolver(environment: home.env(["AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "x"], profile: "prod")).resolve()
        #expect(c.accessKeyID == "PRODKEY")
        #expect(c.source == "profile prod in ~/.aws/credentials")
    }

    @Test func profileFromAWSProfileInTheConfigFile() throws {
        let home = try TemporaryHome(config: """
            # comment
            [default]
            region = eu-west-1
            [profile ops]
            aws_access_key_id = OPSKEY
            aws_secret_access_key = opssecret
            region = ap-southeast-2
            s3 =
              max_concurrent_requests = 4
            """)
        let env = home.env(["AWS_PROFILE": "ops"])
        #expect(try CredentialResolver(environment: env).resolve().accessKeyID == "OPSKEY")
        #expect(try RegionResolver(environment: env).resolve() == "ap-southeast-2")
        #expect(try RegionResolver(environment: home.env()).resolve() == "eu-west-1")
        #expect(try RegionResolver(environment: home.env(["AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "x"])).resolve() == "us-west-2")
    }

    @Test func missingCredentialsNameEveryPlaceSearched() throws {
        let home = try TemporaryHome(config: "[profile other]\nregion = us-east-1\n")
        #expect {
            try CredentialResolver(environment: home.env(["AWS_PROFILE": "ghost"])).resolve()
        } throws: { error in
            let text = String(describing: error)
            return text.contains("AWS_ACCESS_KEY_ID") && text.contains("~/.aws/credentials (no such file)")
                && text.contains("~/.aws/config [profile ghost] (no such profile)") && text.contains("profile ghost")
        }
    }

    @Test func halfSetEnvironmentIsAnError() throws {
        let home = try TemporaryHome()
        #expect(throws: AWSError.self) { try CredentialResolver(environment: home.env(["AWS_ACCESS_KEY_ID": "X"])).resolve() }
    }

    @Test func unsupportedProfileKindsAreRefusedClearly() throws {
        let home = try TemporaryHome(config: "[profile role]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = default\n")
        #expect {
            try CredentialResolver(environment: home.env(["AWS_PROFILE": "role"])).resolve()
        } throws: { String(describing: $0).contains("~/.aws/config:1: profile role uses role_arn") }
    }

    @Test func noRegionSaysHowToSetOne() throws {
        let home = try TemporaryHome()
        #expect {
            try RegionResolver(environment: home.env()).resolve()
        } throws: { String(describing: $0).contains("export AWS_REGION=us-east-1") }
    }

    @Test func malformedConfigNamesFileAndLine() throws {
        let home = try TemporaryHome(config: "[default]\nregion = us-east-1\nthis line is wrong\n")
        #expect {
            try CredentialResolver(environment: home.env()).resolve()
        } throws: { String(describing: $0).contains("~/.aws/config:3: expected key = value") }
    }
}

@Suite struct EndpointTests {
    func env(_ vars: [String: String]) -> AWSEnvironment { AWSEnvironment(variables: vars.merging(["HOME": "/nonexistent"]) { a, _ in a }) }

    @Test func serviceSpecificOverridesGeneric() throws {
        let e = try EndpointResolver(environment: env(["AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_CLOUDWATCH": "http://127.0.0.1:4566/base/"])).endpoint(for: .cloudwatch, region: "eu-west-1")
        #expect(e == Endpoint(scheme: "http", host: "127.0.0.1", port: 4566, basePath: "/base", signingRegion: "eu-west-1", isCustom: true))
    }

    @Test func ignoreSwitchRestoresTheDefault() throws {
        let e = try EndpointResolver(environment: env(["AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"])).endpoint(for: .cloudwatch, region: "us-east-1")
        #expect(e.description == "https://monitoring.us-east-1.amazonaws.com")
    }

    @Test func globalServicesSignForUSEast1() throws {
        let e = try EndpointResolver(environment: env([:])).endpoint(for: .iam, region: "eu-west-1")
        #expect(e.host == "iam.amazonaws.com")
        #expect(e.signingRegion == "us-east-1")
    }

    @Test(arguments: ["127.0.0.1:4566", "ftp://x", "http://:80", "http://h:99999", "http://[::1"])
    func badURLsAreConfigurationErrors(_ url: String) {
        #expect(throws: AWSError.self) { try Endpoint.parse(url, signingRegion: "us-east-1") }
    }

    @Test func configServicesSectionThenProfileEndpoint() throws {
        let home = try TemporaryHome(config: """
            [profile local]
            services = sandbox
            endpoint_url = http://127.0.0.1:7000
            [services sandbox]
            cloudwatch =
              endpoint_url = http://127.0.0.1:7001
            cloudwatch_logs =
              endpoint_url = http://127.0.0.1:7002
            """)
        let env = home.env(["AWS_PROFILE": "local"])
        let resolver = EndpointResolver(environment: env)
        #expect(try resolver.endpoint(for: .cloudwatch, region: "us-east-1").port == 7001)
        #expect(try resolver.endpoint(for: .logs, region: "us-east-1").port == 7002)
        #expect(try resolver.endpoint(for: .sqs, region: "us-east-1").port == 7000)
        let overridden = EndpointResolver(environment: home.env(["AWS_PROFILE": "local", "AWS_ENDPOINT_URL": "http://127.0.0.1:7003"]))
        #expect(try overridden.endpoint(for: .cloudwatch, region: "us-east-1").port == 7003)
    }

    @Test func regionTyposDoNotBuildHostNames() {
        #expect(throws: AWSError.self) { try EndpointResolver(environment: env([:])).endpoint(for: .cloudwatch, region: "us-east-1.evil.com/") }
    }
}
