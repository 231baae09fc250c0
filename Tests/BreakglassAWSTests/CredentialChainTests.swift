import BreakglassTestSupport
import Foundation
import Synchronization
import Testing

@testable import BreakglassAWS

/// The credential chain without AWS: credential_process scripts in a temporary HOME, container and
/// instance-metadata servers on loopback (FaultServer) or scripted transports, AssumeRole answers
/// scripted, and the refresh holder driven by a test clock. No test can reach 169.254.x.x: every
/// environment either disables IMDS or points it at loopback, and the one RELATIVE_URI test uses a
/// scripted transport.
@Suite struct CredentialChainTests {
    /// Records requests and the timeouts they were sent with, answering from a script.
    final class Recorder: HTTPTransport {
        let state: Mutex<(answers: [HTTPResponse], sent: [(HTTPRequest, HTTPTimeouts)])>
        init(_ answers: [HTTPResponse]) { state = Mutex((answers, [])) }
        var sent: [(HTTPRequest, HTTPTimeouts)] { state.withLock { $0.sent } }
        func send(_ request: HTTPRequest, operation: String, timeouts: HTTPTimeouts) async throws(TransportError) -> HTTPResponse {
            let next = state.withLock { s -> HTTPResponse? in
                s.sent.append((request, timeouts))
                return s.answers.isEmpty ? nil : s.answers.removeFirst()
            }
            guard let next else { throw TransportError(kind: .cannotConnect, operation: operation, url: request.url, requestMayHaveBeenSent: false, detail: "nothing scripted") }
            return next
        }
    }

    static let goodJSON = #"{"Version":1,"AccessKeyId":"PROCKEY","SecretAccessKey":"procsecret","SessionToken":"proctoken","Expiration":"2030-01-02T03:04:05Z"}"#
    static let httpCreds = #"{"Code":"Success","AccessKeyId":"HTTPKEY","SecretAccessKey":"httpsecret","Token":"httptoken","Expiration":"2031-05-06T07:08:09Z"}"#

    // MARK: credential_process

    @Test(arguments: [
        ("a b  c", ["a", "b", "c"]),
        (#"'/x y/z' --p 'a b'"#, ["/x y/z", "--p", "a b"]),
        (#""dq \"in\" \$HOME" plain\ space"#, [#"dq "in" $HOME"#, "plain space"]),
        (#"a""b'c'"#, ["abc"]),
        (#"x '' y"#, ["x", "", "y"]),
    ])
    func commandsSplitLikeTheSDKs(_ line: String, _ words: [String]) {
        #expect(ProcessCredentialProvider.split(line) == words)
    }

    @Test(arguments: [#"a 'b"#, #"a "b"#, "a \\"])
    func unclosedQuotesDoNotSplit(_ line: String) {
        #expect(ProcessCredentialProvider.split(line) == nil)
    }

    @Test func credentialProcessRunsWithQuotedArgumentsSyncAndAsync() async throws {
        let home = try TemporaryHome()
        let script = try home.script("creds tool", """
            [ "$1" = "--role" ] && [ "$2" = "on call" ] || { echo "bad args: $*" >&2; exit 2; }
            echo "progress chatter" >&2
            echo '\(Self.goodJSON)'
            """)
        try "[profile p]\ncredential_process = \"\(script)\" --role 'on call'\n".write(toFile: home.path + "/.aws/config", atomically: true, encoding: .utf8)
        let env = home.env(["AWS_PROFILE": "p"])
        for c in [try CredentialResolver(environment: env).resolve(), try await CredentialResolver(environment: env).resolveAsync()] {
            #expect(c.accessKeyID == "PROCKEY")
            #expect(c.secretAccessKey == "procsecret")
            #expect(c.sessionToken == "proctoken")
            #expect(c.expiration == ISO8601.parse("2030-01-02T03:04:05Z"))
            #expect(c.source.contains("profile p in ~/.aws/config:1"))
        }
    }

    /// Every failure names the profile and file, quotes stderr, and never shows stdout (secrets).
    @Test(arguments: [
        ("echo 'SECRET-STDOUT {'; echo 'token expired, run login' >&2; exit 3", ["exited with status 3", "token expired, run login"]),
        ("echo 'SECRET-STDOUT not json'; echo 'warn: odd' >&2", ["not a JSON object", "warn: odd"]),
        (#"echo '{"Version":2,"AccessKeyId":"SECRET-STDOUT","SecretAccessKey":"x"}'"#, ["Version 2"]),
        (#"echo '{"Version":1,"SecretAccessKey":"SECRET-STDOUT"}'"#, ["no AccessKeyId"]),
        (#"echo '{"Version":1,"AccessKeyId":"SECRET-STDOUT","SecretAccessKey":"x","Expiration":"tomorrow"}'"#, ["not ISO 8601"]),
        ("kill -9 $$", ["killed by signal 9"]),
    ])
    func credentialProcessFailuresAreClearAndNeverLeakStdout(_ body: String, _ expected: [String]) throws {
        let home = try TemporaryHome()
        let script = try home.script("creds", body)
        try "[default]\nregion = us-east-1\n[profile p]\ncredential_process = '\(script)'\n".write(toFile: home.path + "/.aws/config", atomically: true, encoding: .utf8)
        #expect {
            try CredentialResolver(environment: home.env(["AWS_PROFILE": "p"])).resolve()
        } throws: { error in
            let text = String(describing: error)
            return text.contains("profile p in ~/.aws/config:3") && !text.contains("SECRET-STDOUT") && expected.allSatisfy { text.contains($0) }
        }
    }

    @Test func aMissingProgramOrBrokenQuoteIsNamed() throws {
        let home = try TemporaryHome(config: "[profile a]\ncredential_process = no-such-tool-xyz --x\n[profile b]\ncredential_process = 'open\n")
        #expect { try CredentialResolver(environment: home.env(["AWS_PROFILE": "a"])).resolve() } throws: {
            String(describing: $0).contains("\"no-such-tool-xyz\" not found")
        }
        #expect { try CredentialResolver(environment: home.env(["AWS_PROFILE": "b"])).resolve() } throws: {
            String(describing: $0).contains("quote is not closed")
        }
    }

    // MARK: assume role (scripted STS; the real exchange is in CredentialChainMotoTests)

    static func stsAnswer(_ id: String = "ASIAROLE") -> HTTPResponse {
        HTTPResponse(status: 200, body: Array("""
            <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
            <Credentials><AccessKeyId>\(id)</AccessKeyId><SecretAccessKey>rolesecret</SecretAccessKey><SessionToken>roletoken</SessionToken>
            <Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult>
            <ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></AssumeRoleResponse>
            """.utf8))
    }

    static func form(_ r: HTTPRequest) -> [String: String] {
        var out: [String: String] = [:]
        for pair in String(decoding: r.body, as: UTF8.self).split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
            if kv.count == 2 { out[kv[0]] = kv[1] }
        }
        return out
    }

    static let roleConfig = """
        [profile base]
        aws_access_key_id = BASEKEY
        aws_secret_access_key = basesecret
        [profile role]
        role_arn = arn:aws:iam::123456789012:role/ops
        source_profile = base
        external_id = ext-1
        duration_seconds = 1800
        [profile mfa]
        role_arn = arn:aws:iam::123456789012:role/admin
        source_profile = base
        mfa_serial = arn:aws:iam::123456789012:mfa/me
        [profile chained]
        role_arn = arn:aws:iam::123456789012:role/second
        source_profile = role
        role_session_name = night-shift
        [profile loop-a]
        role_arn = arn:aws:iam::123456789012:role/a
        source_profile = loop-b
        [profile loop-b]
        role_arn = arn:aws:iam::123456789012:role/b
        source_profile = loop-a
        [profile fromenv]
        role_arn = arn:aws:iam::123456789012:role/env
        credential_source = Environment
        """

    @Test func assumeRoleSendsTheProfileSettingsSignedWithTheSource() async throws {
        let home = try TemporaryHome(config: Self.roleConfig)
        let t = Recorder([Self.stsAnswer()])
        let r = CredentialResolver(environment: home.env(["AWS_PROFILE": "role", "AWS_REGION": "eu-west-1"]), transport: t, now: { Date(timeIntervalSince1970: 1_700_000_000) })
        let c = try await r.resolveAsync()
        #expect(c.accessKeyID == "ASIAROLE" && c.sessionToken == "roletoken" && c.expiration == ISO8601.parse("2030-01-01T00:00:00Z"))
        let request = try #require(t.sent.first?.0)
        let form = Self.form(request)
        #expect(form["Action"] == "AssumeRole")
        #expect(form["RoleArn"] == "arn:aws:iam::123456789012:role/ops")
        #expect(form["ExternalId"] == "ext-1" && form["DurationSeconds"] == "1800")
        #expect(form["RoleSessionName"] == "breakglass-1700000000")
        #expect(request.host == "sts.eu-west-1.amazonaws.com")
        #expect(request.header("Authorization")?.contains("Credential=BASEKEY/") == true)
        // The synchronous API cannot reach STS and says so, naming the file and line.
        #expect { try r.resolve() } throws: { String(describing: $0).contains("~/.aws/config:4: profile role uses role_arn") }
    }

    @Test func chainedRolesUseEachStepsCredentials() async throws {
        let home = try TemporaryHome(config: Self.roleConfig)
        let t = Recorder([Self.stsAnswer("ASIAFIRST"), Self.stsAnswer("ASIASECOND")])
        let c = try await CredentialResolver(environment: home.env(["AWS_PROFILE": "chained", "AWS_REGION": "us-east-1"]), transport: t).resolveAsync()
        #expect(c.accessKeyID == "ASIASECOND")
        let sent = t.sent.map(\.0)
        #expect(sent.count == 2)
        #expect(Self.form(sent[1])["RoleSessionName"] == "night-shift")
        #expect(sent[1].header("Authorization")?.contains("Credential=ASIAFIRST/") == true)
        #expect(sent[1].header("X-Amz-Security-Token") == "roletoken")
    }

    @Test(arguments: [
        ("loop-a", "source_profile forms a cycle: loop-a -> loop-b -> loop-a"),
        ("mfa", "needs an MFA code from arn:aws:iam::123456789012:mfa/me; pass it with --mfa-code"),
        ("fromenv", "credential_source = Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set"),
    ])
    func assumeRoleMisconfigurationsAreNamed(_ profile: String, _ message: String) async throws {
        let home = try TemporaryHome(config: Self.roleConfig)
        let t = Recorder([])
        await #expect { try await CredentialResolver(environment: home.env(), transport: t).resolveAsyncNamed(profile) } throws: {
            String(describing: $0).contains(message)
        }
        #expect(t.sent.isEmpty, "nothing may reach STS")
    }

    @Test func mfaCodeComesFromTheCallersClosure() async throws {
        let home = try TemporaryHome(config: Self.roleConfig)
        let t = Recorder([Self.stsAnswer()])
        let asked = Mutex<[String]>([])
        let r = CredentialResolver(environment: home.env(["AWS_REGION": "us-east-1"], profile: "mfa"), transport: t, mfaCode: { serial in
            asked.withLock { $0.append(serial) }
            return " 123456\n"
        })
        _ = try await r.resolveAsync()
        #expect(asked.withLock { $0 } == ["arn:aws:iam::123456789012:mfa/me"])
        let form = Self.form(try #require(t.sent.first?.0))
        #expect(form["SerialNumber"] == "arn:aws:iam::123456789012:mfa/me" && form["TokenCode"] == "123456")
    }

    // MARK: container credentials

    @Test func containerFullURIOnLoopbackWithTokenFile() async throws {
        let home = try TemporaryHome()
        let server = try FaultServer([.respond(200, [], Self.httpCreds)])
        defer { server.stop() }
        try "secret-token\n".write(toFile: home.path + "/token", atomically: true, encoding: .utf8)
        let env = home.env([
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "\(server.endpoint)/v2/creds?id=1", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": home.path + "/token",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "ignored-when-a-file-is-given",
        ])
        let c = try await CredentialResolver(environment: env).resolveAsync()
        #expect(c.accessKeyID == "HTTPKEY" && c.sessionToken == "httptoken")
        #expect(c.expiration == ISO8601.parse("2031-05-06T07:08:09Z"))
        #expect(server.totalReceived == 1)

        // The same request, recorded: path, query and Authorization from the file.
        let t = Recorder([HTTPResponse(status: 200, body: Array(Self.httpCreds.utf8))])
        _ = try await CredentialResolver(environment: env, transport: t).resolveAsync()
        let sent = try #require(t.sent.first?.0)
        #expect(sent.url == "\(server.endpoint)/v2/creds?id=1")
        #expect(sent.header("Authorization") == "secret-token")
    }

    @Test func containerRelativeURIGoesToTheECSAgentWithTheToken() async throws {
        let home = try TemporaryHome()
        let t = Recorder([HTTPResponse(status: 200, body: Array(Self.httpCreds.utf8))])
        let env = home.env(["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "tok"])
        _ = try await CredentialResolver(environment: env, transport: t).resolveAsync()
        let sent = try #require(t.sent.first?.0)
        #expect(sent.url == "http://169.254.170.2/v2/credentials/abc")
        #expect(sent.method == "GET" && sent.header("Authorization") == "tok")
    }

    @Test(arguments: [
        ("http://example.com/creds", false), ("http://10.0.0.5/creds", false), ("https://example.com/creds", true),
        ("http://127.0.0.1:9/creds", true), ("http://[::1]:9/creds", true), ("http://localhost:9/creds", true), ("ftp://127.0.0.1/", false),
    ])
    func containerFullURIMustBeLoopbackOrHTTPS(_ url: String, _ allowed: Bool) async throws {
        let home = try TemporaryHome()
        let t = Recorder([HTTPResponse(status: 200, body: Array(Self.httpCreds.utf8))])
        let r = CredentialResolver(environment: home.env(["AWS_CONTAINER_CREDENTIALS_FULL_URI": url]), transport: t)
        if allowed {
            #expect(try await r.resolveAsync().accessKeyID == "HTTPKEY")
        } else {
            await #expect { try await r.resolveAsync() } throws: { String(describing: $0).contains("AWS_CONTAINER_CREDENTIALS_FULL_URI=\(url)") }
            #expect(t.sent.isEmpty)
        }
    }

    @Test func aConfiguredContainerThatFailsIsAnError() async throws {
        let home = try TemporaryHome()
        let server = try FaultServer([.respond(403, [], #"{"message":"denied"}"#)])
        defer { server.stop() }
        let r = CredentialResolver(environment: home.env(["AWS_CONTAINER_CREDENTIALS_FULL_URI": server.endpoint + "/c"]))
        await #expect { try await r.resolveAsync() } throws: { String(describing: $0).contains("HTTP 403 (is the authorization token right?)") }
    }

    // MARK: instance metadata

    @Test func imdsV2TokenThenRoleThenCredentials() async throws {
        let home = try TemporaryHome()
        let server = try FaultServer([
            .respond(200, [HTTPHeader("Content-Type", "text/plain")], "imds-token"),
            .respond(200, [HTTPHeader("Content-Type", "text/plain")], "web-role\n"),
            .respond(200, [], Self.httpCreds),
        ])
        defer { server.stop() }
        let env = home.env(["AWS_EC2_METADATA_SERVICE_ENDPOINT": server.endpoint])
        let c = try await CredentialResolver(environment: env).resolveAsync()
        #expect(c.accessKeyID == "HTTPKEY" && c.source == "instance metadata role web-role")
        #expect(server.totalReceived == 3)

        let t = Recorder([HTTPResponse(status: 200, body: Array("imds-token".utf8)), HTTPResponse(status: 200, body: Array("web-role".utf8)), HTTPResponse(status: 200, body: Array(Self.httpCreds.utf8))])
        _ = try await CredentialResolver(environment: env, transport: t).resolveAsync()
        let sent = t.sent
        #expect(sent.map { "\($0.0.method) \($0.0.path)" } == [
            "PUT /latest/api/token", "GET /latest/meta-data/iam/security-credentials/", "GET /latest/meta-data/iam/security-credentials/web-role",
        ])
        #expect(sent[0].0.header("X-aws-ec2-metadata-token-ttl-seconds") == "21600")
        #expect(sent.dropFirst().allSatisfy { $0.0.header("X-aws-ec2-metadata-token") == "imds-token" })
        #expect(sent.allSatisfy { $0.1 == HTTPTimeouts(connect: 1, total: 1) })
    }

    @Test func noCredentialsListsEveryPlaceIncludingContainerAndIMDS() async throws {
        let home = try TemporaryHome(config: "[profile other]\nregion = us-east-1\n")
        let port = try FaultServer.unusedPort()
        let r = CredentialResolver(environment: home.env(["AWS_PROFILE": "ghost", "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(port)"]))
        await #expect { try await r.resolveAsync() } throws: { error in
            let text = String(describing: error)
            return text.contains("AWS_ACCESS_KEY_ID") && text.contains("~/.aws/credentials (no such file)")
                && text.contains("~/.aws/config [profile ghost] (no such profile)")
                && text.contains("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / AWS_CONTAINER_CREDENTIALS_FULL_URI (not set)")
                && text.contains("EC2 instance metadata at http://127.0.0.1:\(port) (cannot connect)")
        }
        await #expect { try await CredentialResolver(environment: home.env(["AWS_PROFILE": "ghost"])).resolveAsync() } throws: {
            String(describing: $0).contains("EC2 instance metadata (AWS_EC2_METADATA_DISABLED=true)")
        }
    }

    // MARK: order

    /// env → profile → container → IMDS: each row removes the sources above the one that must win.
    @Test(arguments: [
        (true, true, true, "environment"),
        (false, true, true, "profile default in ~/.aws/credentials"),
        (false, false, true, "container credentials"),
        (false, false, false, "instance metadata role r"),
    ])
    func sourcesAreTriedInBotocoresOrder(_ withEnv: Bool, _ withProfile: Bool, _ withContainer: Bool, _ winner: String) async throws {
        let home = try TemporaryHome(credentials: withProfile ? "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = s\n" : nil)
        let container = try FaultServer([], otherwise: .respond(200, [], Self.httpCreds))
        defer { container.stop() }
        let imds = try FaultServer([.respond(200, [], "tok"), .respond(200, [], "r")], otherwise: .respond(200, [], Self.httpCreds))
        defer { imds.stop() }
        var vars = ["AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.endpoint]
        if withEnv { vars["AWS_ACCESS_KEY_ID"] = "ENVKEY"; vars["AWS_SECRET_ACCESS_KEY"] = "s" }
        if withContainer { vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = container.endpoint + "/c" }
        let c = try await CredentialResolver(environment: home.env(vars)).resolveAsync()
        #expect(c.source.hasPrefix(winner), "\(c.source)")
    }

    // MARK: refresh

    final class Clock: Sendable {
        let t = Mutex<Date>(Date(timeIntervalSince1970: 1_000_000))
        func advance(_ s: TimeInterval) { t.withLock { $0 += s } }
        var now: Date { t.withLock { $0 } }
    }

    /// Starting from credentials that expire in 60 min, the clock moves to `minutesLeft` before
    /// expiry and the next fetch succeeds or fails.
    @Test(arguments: [
        (20.0, true, "OLD", 0),  // outside the advisory window: no fetch
        (14.0, true, "NEW", 1),  // advisory window: refreshed
        (14.0, false, "OLD", 1),  // advisory window, refresh fails: old ones still good for 14 min
        (9.0, true, "NEW", 1),  // mandatory window: refreshed
        (9.0, false, "error", 1),  // mandatory window, refresh fails: an error
        (-1.0, false, "error", 1),  // expired, refresh fails: an error
    ])
    func refreshAheadOfExpiry(_ minutesLeft: Double, _ fetchWorks: Bool, _ expected: String, _ fetches: Int) async throws {
        let clock = Clock()
        let count = Mutex(0)
        let old = AWSCredentials(accessKeyID: "OLD", secretAccessKey: "s", sessionToken: "t", expiration: clock.now.addingTimeInterval(3600), source: "test")
        let holder = RefreshingCredentials(initial: old, now: { clock.now }) { () async throws(AWSError) -> AWSCredentials in
            count.withLock { $0 += 1 }
            guard fetchWorks else { throw .credentials("STS unreachable") }
            return AWSCredentials(accessKeyID: "NEW", secretAccessKey: "s", sessionToken: "t", expiration: clock.now.addingTimeInterval(3600), source: "test")
        }
        clock.advance(3600 - minutesLeft * 60)
        do {
            let c = try await holder.current()
            #expect(c.accessKeyID == expected)
        } catch {
            #expect(expected == "error")
            #expect(String(describing: error).contains("could not be refreshed: credentials: STS unreachable"))
        }
        #expect(count.withLock { $0 } == fetches)
    }

    @Test func concurrentCallersShareOneRefreshAndStaticCredentialsNeverRefresh() async throws {
        let count = Mutex(0)
        let holder = RefreshingCredentials(now: { Date() }) { () async throws(AWSError) -> AWSCredentials in
            count.withLock { $0 += 1 }
            try? await Task.sleep(for: .milliseconds(50))
            return AWSCredentials(accessKeyID: "K", secretAccessKey: "s", expiration: Date().addingTimeInterval(3600), source: "test")
        }
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try await holder.current().accessKeyID } }
            for try await id in group { #expect(id == "K") }
        }
        #expect(count.withLock { $0 } == 1)

        let fixed = RefreshingCredentials(initial: AWSCredentials(accessKeyID: "S", secretAccessKey: "s", source: "env")) { () async throws(AWSError) -> AWSCredentials in
            throw .credentials("must not be called")
        }
        #expect(try await fixed.current().accessKeyID == "S")
    }
}

extension CredentialResolver {
    /// The chain for a named profile (as `--profile` would name it).
    func resolveAsyncNamed(_ profile: String) async throws(AWSError) -> AWSCredentials {
        var env = environment
        env.explicitProfile = profile
        return try await CredentialResolver(environment: env, transport: transport, mfaCode: mfaCode, now: now).resolveAsync()
    }
}
