import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Synchronization
import Testing

/// The agent: its protocol, what it holds and for how long (on a test clock), who it answers, and a
/// real socket served in this process.
@Suite(.serialized) struct AccessAgentTests {
    static func grant(id: Int64 = 7, role: String = "app-break-glass", expires: Date, operations: Set<String>? = ["sqs.PurgeQueue"]) -> AccessAgentGrant {
        AccessAgentGrant(
            summary: AccessGrantSummary(
                id: id, role: role, roleARN: "arn:aws:iam::111122223333:role/\(role)", accessKeyID: "ASIAEXAMPLE\(id)", expiration: expires,
                runbook: "sqs-flush", incident: "INC42", sessionName: "bg-alice-INC42"),
            secretAccessKey: "secret-\(id)-wJalrXUtnFEMI", sessionToken: "token-\(id)-FwoGZXIvYXdz", operations: operations)
    }

    // MARK: Protocol

    @Test func requestsAndAnswersSurviveEncoding() throws {
        let clock = TestClock()
        let g = Self.grant(expires: clock.now.addingTimeInterval(900.5))
        for request in [AccessAgentRequest.put(g), .get(role: "r"), .list, .revoke(role: "r"), .revoke(role: nil)] {
            let line = AccessAgentCoding.encode(request)
            #expect(!line.contains("\n"))
            #expect(try AccessAgentCoding.decodeRequest(line) == request)
        }
        let answers: [(AccessAgentRequest, AccessAgentResponse)] = [
            (.put(g), .put(replaced: [3, 4])), (.get(role: "r"), .grant(g)), (.get(role: "r"), .grant(nil)),
            (.list, .list([g.summary])), (.revoke(role: nil), .revoked([g.summary])), (.list, .error("nope")),
        ]
        for (request, answer) in answers {
            #expect(try AccessAgentCoding.decodeResponse(AccessAgentCoding.encode(answer), to: request) == answer)
        }
        // A grant keeps its millisecond expiry, operations and optional fields.
        let back = try AccessAgentCoding.decodeRequest(AccessAgentCoding.encode(AccessAgentRequest.put(g)))
        guard case .put(let decoded) = back else { Issue.record("not a put"); return }
        #expect(decoded.summary.expiration == g.summary.expiration)
        #expect(decoded.grant.credentials.secretAccessKey == g.secretAccessKey)
        #expect(decoded.grant.operations == ["sqs.PurgeQueue"])
    }

    @Test func malformedLinesAreRefusedWithAReason() {
        let cases: [(String, String)] = [
            ("not json", "not a JSON object"),
            (#"{"op":"fly"}"#, #"unknown op "fly""#),
            (#"{"op":"get"}"#, "get needs a role"),
            (#"{"op":"put","grant":{"id":1}}"#, "a grant lacks id, role, roleArn, accessKeyId, expiration or sessionName"),
            (#"{"op":"put","grant":{"id":1,"role":"r","roleArn":"a","accessKeyId":"k","expiration":"2027-01-01T00:00:00Z","sessionName":"s"}}"#,
             "a grant lacks its credentials"),
        ]
        for (line, message) in cases {
            #expect(throws: AccessProtocolError(message)) { try AccessAgentCoding.decodeRequest(line) }
        }
        var vault = AccessVault()
        var expired: [AccessGrantSummary] = []
        #expect(vault.handle("nonsense", now: Date(), expired: &expired) == #"{"ok":false,"error":"not a JSON object"}"#)
    }

    // MARK: What the agent holds

    @Test func grantsAreWipedAtExpiryOnTheInjectedClock() {
        let clock = TestClock()
        var vault = AccessVault()
        let g = Self.grant(expires: clock.now.addingTimeInterval(900))
        #expect(vault.put(g, now: clock.now) == [])
        #expect(vault.get(role: "app-break-glass", now: clock.now)?.secretAccessKey == g.secretAccessKey)
        #expect(vault.nextExpiration == g.summary.expiration)

        clock.advance(899)
        #expect(vault.get(role: "app-break-glass", now: clock.now) != nil)
        #expect(vault.wipeExpired(now: clock.now) == [])

        clock.advance(1)  // exactly at expiry: gone
        #expect(vault.wipeExpired(now: clock.now) == [g.summary])
        #expect(vault.isEmpty)
        #expect(vault.get(role: "app-break-glass", now: clock.now) == nil)
        #expect(vault.nextExpiration == nil)

        // A get after expiry wipes too, and an expired grant is never taken.
        #expect(vault.put(Self.grant(id: 8, expires: clock.now.addingTimeInterval(60)), now: clock.now) == [])
        clock.advance(61)
        #expect(vault.get(role: "app-break-glass", now: clock.now) == nil)
        #expect(vault.isEmpty)
        #expect(vault.put(Self.grant(id: 9, expires: clock.now), now: clock.now) == [])
        #expect(vault.isEmpty)
    }

    @Test func oneGrantPerRoleAndRevokeWipesAtOnce() {
        let clock = TestClock()
        var vault = AccessVault()
        _ = vault.put(Self.grant(id: 1, role: "a", expires: clock.now.addingTimeInterval(900)), now: clock.now)
        _ = vault.put(Self.grant(id: 2, role: "b", expires: clock.now.addingTimeInterval(600)), now: clock.now)
        #expect(vault.put(Self.grant(id: 3, role: "a", expires: clock.now.addingTimeInterval(900)), now: clock.now) == [1])
        #expect(vault.summaries.map(\.id) == [2, 3])
        #expect(vault.revoke(role: "b").map(\.id) == [2])
        #expect(vault.revoke(role: "b") == [])
        #expect(vault.revoke(role: nil).map(\.id) == [3])
        #expect(vault.isEmpty)
    }

    @Test func theListAnswerCarriesNoSecret() {
        let clock = TestClock()
        var vault = AccessVault()
        var expired: [AccessGrantSummary] = []
        let g = Self.grant(expires: clock.now.addingTimeInterval(900))
        _ = vault.handle(AccessAgentCoding.encode(AccessAgentRequest.put(g)), now: clock.now, expired: &expired)
        let list = vault.handle(AccessAgentCoding.encode(AccessAgentRequest.list), now: clock.now, expired: &expired)
        #expect(list.contains("ASIAEXAMPLE7"))
        #expect(!list.contains(g.secretAccessKey) && !list.contains(g.sessionToken))
        let revoked = vault.handle(AccessAgentCoding.encode(AccessAgentRequest.revoke(role: nil)), now: clock.now, expired: &expired)
        #expect(!revoked.contains(g.secretAccessKey) && !revoked.contains(g.sessionToken))
    }

    // MARK: Who it answers

    @Test func onlyItsOwnUserIsAnswered() {
        #expect(AccessAgent.admits(peerUID: 1000, ownUID: 1000))
        #expect(!AccessAgent.admits(peerUID: 1001, ownUID: 1000))
        #expect(!AccessAgent.admits(peerUID: 0, ownUID: 1000))
        #expect(!AccessAgent.admits(peerUID: nil, ownUID: 1000))
    }

    @Test func theSocketSitsBesideTheStoreWithinSunPath() throws {
        #expect(AccessAgent.socketPath(forStore: "/home/ann/.local/state/breakglass/state.db") == "/home/ann/.local/state/breakglass/agent.sock")
        #expect(AccessAgent.socketPath(forStore: "state.db") == "./agent.sock")
        try AccessAgent.checkSocketPath("/" + String(repeating: "a", count: 106))
        let long = "/" + String(repeating: "a", count: 107)
        #expect(throws: AccessAgentError.socketPathTooLong(path: long, bytes: 108, limit: 107)) { try AccessAgent.checkSocketPath(long) }
        #expect(AccessAgentError.socketPathTooLong(path: long, bytes: 108, limit: 107).description.contains("--state FILE"))
        #expect(throws: AccessAgentError.self) { _ = try AccessAgentServer(socketPath: long) }
    }

    // MARK: A real socket, served by a thread of this process

    final class Served: Sendable {
        let server: AccessAgentServer
        let folder: String
        let done = DispatchSemaphore(value: 0)
        let ended = Mutex<AccessAgentServer.Ended?>(nil)
        let expired = Box()
        var socket: String { server.socketPath }

        final class Box: Sendable {
            let value = Mutex<[AccessGrantSummary]>([])
        }

        init(clock: TestClock, idle: Duration = .seconds(3600)) throws {
            folder = NSTemporaryDirectory() + "bg-agent-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let box = expired
            server = try AccessAgentServer(
                socketPath: folder + "/agent.sock", idleExit: idle, now: { clock.now }, onExpired: { got in box.value.withLock { $0 += got } })
            try #require(try server.prepare() == .listening)
        }

        func start() {
            let thread = Thread { [self] in
                let how = server.run()
                ended.withLock { $0 = how }
                done.signal()
            }
            thread.start()
        }

        func stop() {
            server.stop()
            _ = done.wait(timeout: .now() + 10)
            try? FileManager.default.removeItem(atPath: folder)
        }
    }

    @Test func aServedAgentHoldsGivesAndWipes() throws {
        let clock = TestClock()
        let served = try Served(clock: clock)
        served.start()
        defer { served.stop() }

        // The socket is 0600 in a 0700 folder, and the pid file names this process.
        var info = stat()
        try #require(stat(served.socket, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(info.st_mode & S_IFMT == S_IFSOCK)
        #expect(AccessAgent.recordedPID(socketPath: served.socket) == getpid())

        let client = AccessAgentClient(socketPath: served.socket)
        #expect(try client.isRunning())
        #expect(try client.grant(role: "app-break-glass") == nil)
        let g = Self.grant(expires: clock.now.addingTimeInterval(900))
        #expect(try client.put(g) == [])
        let got = try #require(try client.grant(role: "app-break-glass"))
        #expect(got.id == 7 && got.credentials.secretAccessKey == g.secretAccessKey && got.credentials.sessionToken == g.sessionToken)
        #expect(got.operations == ["sqs.PurgeQueue"] && got.runbook == "sqs-flush" && got.sessionName == "bg-alice-INC42")
        #expect(try client.list()?.map(\.id) == [7])

        // A second agent for the same socket sees the first and steps aside.
        let second = try AccessAgentServer(socketPath: served.socket)
        #expect(try second.prepare() == .alreadyRunning)

        // Time passes on the test clock: at expiry the grant is gone.
        clock.advance(900)
        #expect(try client.grant(role: "app-break-glass") == nil)
        #expect(try client.list() == [])

        // Revoke wipes at once.
        #expect(try client.put(Self.grant(id: 8, expires: clock.now.addingTimeInterval(900))) == [])
        #expect(try client.revoke(role: nil)?.map(\.id) == [8])
        #expect(try client.grant(role: "app-break-glass") == nil)
    }

    @Test func theServerReportsExpiredGrantsAndExitsWhenIdle() throws {
        let clock = TestClock()
        let served = try Served(clock: clock, idle: .seconds(60))
        served.start()
        defer { served.stop() }
        let client = AccessAgentClient(socketPath: served.socket)
        _ = try client.put(Self.grant(expires: clock.now.addingTimeInterval(900)))
        clock.advance(1000)
        // The next request runs the expiry sweep first, and the server says what it wiped.
        #expect(try client.list() == [])
        #expect(served.expired.value.withLock { $0.map(\.id) } == [7])
        // Idle for 60 s of the clock since it let go of its grant: the loop ends by itself. This last
        // request only wakes it at once instead of at its next one-second turn; the agent may answer
        // it or may already have noticed it is idle and closed (both are right), so its answer is
        // not checked.
        clock.advance(61)
        _ = try? client.isRunning()
        #expect(served.done.wait(timeout: .now() + 10) == .success)
        served.done.signal()
        #expect(served.ended.withLock { $0 } == .idle)
        // It removed its socket and pid file; a client now finds no agent.
        #expect(!FileManager.default.fileExists(atPath: served.socket))
        #expect(try client.grant(role: "app-break-glass") == nil)
        #expect(try !client.isRunning())
    }

    @Test func aClientWithoutAgentGetsNothing() throws {
        let client = AccessAgentClient(socketPath: NSTemporaryDirectory() + "bg-none-\(UUID().uuidString.prefix(8)).sock")
        #expect(try client.grant(role: "any") == nil)
        #expect(try client.list() == nil)
        #expect(try client.revoke(role: nil) == nil)
    }
}
