import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// Grant records in `access_grants`, `access status`'s rows, and the audit entries of access.
@Suite struct AccessStoreTests {
    static func record(_ role: String = "app-break-glass", user: String = "alice", granted: Date, minutes: Double = 15) -> AccessGrantRecord {
        AccessGrantRecord(
            role: role, roleARN: "arn:aws:iam::111122223333:role/\(role)", user: user, sshClient: "10.0.0.9", sessionName: "bg-\(user)-INC42",
            sourceIdentity: "bg-\(user)-INC42", accessKeyID: "ASIAEXAMPLE", runbook: "sqs-flush", incident: "INC42", reason: "queue backed up",
            grantedAt: granted, expiresAt: granted.addingTimeInterval(minutes * 60))
    }

    @Test func recordsAreStoredMarkedAndListed() throws {
        let folder = try StateFolder()
        let store = try Store.open(path: folder.db)
        let grants = AccessGrantStore(store: store)
        let clock = TestClock()
        let first = try grants.insert(Self.record(granted: clock.now))
        let second = try grants.insert(Self.record("db-break-glass", user: "bob", granted: clock.now))
        try grants.setHolder(first, pid: 4242)
        var r = try #require(try grants.record(first))
        #expect(r.holderPID == 4242 && r.role == "app-break-glass" && r.sshClient == "10.0.0.9" && r.expiresAt == clock.now.addingTimeInterval(900))
        #expect(try grants.active(at: clock.now).map(\.id) == [first, second])
        #expect(try grants.active(at: clock.now, user: "bob").map(\.id) == [second])

        #expect(try grants.markRevoked(first, by: "alice", at: clock.now.addingTimeInterval(60)))
        #expect(try !grants.markRevoked(first, by: "someone else", at: clock.now.addingTimeInterval(61)))
        r = try #require(try grants.record(first))
        #expect(r.revokedBy == "alice" && r.revokedAt == clock.now.addingTimeInterval(60))
        #expect(try grants.active(at: clock.now).map(\.id) == [second])
        #expect(try grants.active(at: clock.now.addingTimeInterval(900)).isEmpty)
        #expect(try grants.recent(at: clock.now).map(\.id) == [second, first])
    }

    @Test func statusRowsSayWhoHoldsWhatAndForHowLong() throws {
        let clock = TestClock()
        var mine = Self.record(granted: clock.now.addingTimeInterval(-60))
        mine.id = 1
        var gone = Self.record(granted: clock.now.addingTimeInterval(-60))
        gone.id = 2
        var theirs = Self.record("db-break-glass", user: "bob", granted: clock.now)
        theirs.id = 3
        var old = Self.record(granted: clock.now.addingTimeInterval(-3600))
        old.id = 4
        var revoked = Self.record(granted: clock.now.addingTimeInterval(-120))
        revoked.id = 5
        revoked.revokedAt = clock.now.addingTimeInterval(-30)
        revoked.revokedBy = "alice"
        let held = [AccessGrantSummary(
            id: 1, role: mine.role, roleARN: mine.roleARN, accessKeyID: "ASIAEXAMPLE", expiration: mine.expiresAt, runbook: nil, incident: nil,
            sessionName: mine.sessionName)]
        let rows = AccessStatus.rows([mine, gone, theirs, old, revoked], held: held, user: "alice", now: clock.now)
        #expect(rows.map(\.state) == [.held, .notHeld, .active, .expired, .revoked])
        #expect(rows.map(\.secondsLeft) == [840, 840, 900, nil, nil])

        let table = AccessStatus.table(rows, width: 200)
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines.count == 6)
        #expect(lines[0].hasPrefix("ID  ROLE "))
        #expect(lines[1].contains("app-break-glass") && lines[1].contains("held") && lines[1].contains("14m") && lines[1].contains("sqs-flush")
                && lines[1].contains("INC42"))
        #expect(lines[5].contains("revoked by alice"))
        #expect(AccessStatus.table([]) == "no break-glass grants recorded")

        let json = AccessStatus.json(rows)
        #expect(json[0]?["state"]?.string == "held")
        #expect(json[0]?["seconds_left"] == .number("840"))
        #expect(json[4]?["revoked_by"]?.string == "alice")
        #expect(json[3]?["seconds_left"] == .null)
        #expect(AccessStatus.formatLeft(3720) == "1h2m" && AccessStatus.formatLeft(45) == "45s" && AccessStatus.formatLeft(600) == "10m")
    }

    @Test func accessEntriesCarryContextAndNoSecrets() throws {
        let folder = try StateFolder()
        let log = AuditLog(store: try Store.open(path: folder.db))
        let actor = AuditActor(user: "alice", sshClient: "10.0.0.9", callerARN: "arn:aws:iam::111122223333:user/alice")
        let clock = TestClock()
        var record = Self.record(granted: clock.now)
        record.id = 12
        let params: AWSValue = ["RoleArn": "arn:aws:iam::111122223333:role/app-break-glass", "RoleSessionName": "bg-alice-INC42", "TokenCode": "123456"]
        try AccessAudit.requested(
            log: log, actor: actor, role: "app-break-glass", runbook: "sqs-flush", incident: "INC42", reason: "queue backed up",
            durationSeconds: 900, sessionName: "bg-alice-INC42", criteria: "confirmed with --criteria-met", parameters: params, region: "us-east-1")
        try AccessAudit.denied(
            log: log, actor: actor, role: "app-break-glass", runbook: "sqs-flush", incident: "INC42", detail: "AccessDenied: not trusted",
            requestID: "req-1", region: "us-east-1", sent: true)
        try AccessAudit.granted(
            log: log, actor: actor, record: record, durationSeconds: 900, assumedARN: "arn:aws:sts::111122223333:assumed-role/app-break-glass/bg-alice-INC42",
            requestID: "req-2", region: "us-east-1", policyCharacters: 321)
        try AccessAudit.revoked(
            log: log, actor: actor, role: "app-break-glass", grant: 12, runbook: "sqs-flush", incident: "INC42", accessKeyID: "ASIAEXAMPLE",
            how: "wiped from the agent")
        let summary = AccessGrantSummary(
            id: 12, role: "app-break-glass", roleARN: record.roleARN, accessKeyID: "ASIAEXAMPLE", expiration: record.expiresAt, runbook: "sqs-flush",
            incident: "INC42", sessionName: "bg-alice-INC42")
        try AccessAudit.expired(log: log, actor: actor, grant: summary)
        let grant = AccessGrant(
            id: 12, role: "app-break-glass", roleARN: record.roleARN,
            credentials: AWSCredentials(accessKeyID: "ASIAEXAMPLE", secretAccessKey: "wJalrXUtnFEMIsecret", sessionToken: "FwoGZXIvYXdzToken", source: "t"),
            expiration: record.expiresAt, runbook: "sqs-flush", operations: ["sqs.PurgeQueue"], sessionName: "bg-alice-INC42")
        try AccessAudit.used(log: log, actor: actor, grant: grant, runbook: "sqs-flush", run: 3)

        let entries = try log.entries()
        #expect(entries.map(\.draft.kind) == ["access.requested", "access.denied", "access.granted", "access.revoked", "access.expired", "access.used"])
        for e in entries {
            #expect(e.draft.context.role == "app-break-glass")
            #expect(e.draft.context.runbook == "sqs-flush")
            let line = AuditListing.jsonLine(e)
            #expect(!line.contains("123456") && !line.contains("wJalrXUtnFEMIsecret") && !line.contains("FwoGZXIvYXdzToken"), "\(line)")
        }
        #expect(entries[0].draft.detail == "reason: queue backed up; duration 900s; session bg-alice-INC42; criteria confirmed with --criteria-met")
        #expect(entries[0].draft.parameters?.contains("[redacted]") == true)
        #expect(entries[1].draft.requestID == "req-1" && entries[1].draft.outcome == "failed" && entries[1].draft.detail == "AccessDenied: not trusted")
        #expect(entries[2].draft.detail?.contains("access key ASIAEXAMPLE") == true && entries[2].draft.detail?.contains("session policy 321") == true)
        #expect(entries[5].draft.detail?.hasPrefix("run 3 uses grant 12") == true)
        #expect(try log.verify().intact)
    }

    @Test func aGrantsClientIsLimitedToItsRunbook() throws {
        let env = AWSEnvironment(variables: ["HOME": "/nonexistent", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"])
        let base = AWSClient(
            credentials: AWSCredentials(accessKeyID: "AKIAOPERATOR", secretAccessKey: "s", source: "env"), endpoints: EndpointResolver(environment: env),
            transport: ScriptedTransport([]))
        let expiry = Date().addingTimeInterval(900)
        let grant = AccessGrant(
            id: 1, role: "r", roleARN: "arn:aws:iam::111122223333:role/r",
            credentials: AWSCredentials(accessKeyID: "ASIAGRANT", secretAccessKey: "s2", sessionToken: "t2", expiration: expiry, source: "grant"),
            expiration: expiry, runbook: "sqs-flush", operations: ["sqs.PurgeQueue"], sessionName: "bg-a")
        let client = grant.client(from: base)
        #expect(client.credentials.accessKeyID == "ASIAGRANT")
        #expect(client.refreshing == nil)
        #expect(client.limit?.operations == ["sqs.PurgeQueue"])
        #expect(client.limit?.reason.contains("runbook sqs-flush") == true)
        let unlimited = AccessGrant(
            id: 2, role: "r", roleARN: grant.roleARN, credentials: grant.credentials, expiration: expiry, runbook: nil, operations: nil, sessionName: "bg-a")
        #expect(unlimited.client(from: base).limit == nil)
    }
}
