import BreakglassAWS
import BreakglassTestSupport
import Foundation
import Testing

@testable import BreakglassCore

/// A fresh 0700 folder for one test's state database, removed afterwards.
final class StateFolder {
    let path: String
    var db: String { path + "/state.db" }
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("bg state-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

func mode(_ path: String) -> Int {
    var info = stat()
    return stat(path, &info) == 0 ? Int(info.st_mode & 0o7777) : -1
}

@Suite struct StoreTests {
    @Test func theDatabaseIsCreated0600InA0700FolderInWALMode() throws {
        let folder = try StateFolder()
        let nested = folder.path + "/deeper/breakglass"
        let store = try Store.open(path: nested + "/state.db")
        try AuditLog(store: store).append(AuditDraft(kind: "note", actor: AuditActor(user: "ana")))
        #expect(mode(nested) == 0o700)
        #expect(mode(nested + "/state.db") == 0o600)
        #expect(mode(nested + "/state.db-wal") == 0o600)
        #expect(mode(nested + "/state.db-shm") == 0o600)
        #expect(try store.read { try $0.query("PRAGMA journal_mode").first?.text("journal_mode") } == "wal")
        #expect(try store.userVersion() == Store.schemaVersion)
    }

    @Test func aFolderOpenToOthersIsRefusedWithTheFix() throws {
        let folder = try StateFolder()
        chmod(folder.path, 0o755)
        #expect {
            _ = try Store.open(path: folder.db)
        } throws: { error in
            guard case Store.OpenError.unsafeFolder(_, let m) = error else { return false }
            return m == 0o755 && String(describing: error).contains("chmod 700")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.db))
    }

    @Test func aLooseDatabaseFileIsTightenedTo0600() throws {
        let folder = try StateFolder()
        FileManager.default.createFile(atPath: folder.db, contents: nil, attributes: [.posixPermissions: 0o644])
        _ = try Store.open(path: folder.db)
        #expect(mode(folder.db) == 0o600)
    }

    @Test func aFileThatIsNotADatabaseIsReportedNotOverwritten() throws {
        let folder = try StateFolder()
        let junk = Data(repeating: 0x41, count: 4096)
        FileManager.default.createFile(atPath: folder.db, contents: junk, attributes: [.posixPermissions: 0o600])
        #expect {
            _ = try Store.open(path: folder.db)
        } throws: { error in
            guard case Store.OpenError.notADatabase = error else { return false }
            return String(describing: error).contains("move it aside")
        }
        #expect(FileManager.default.contents(atPath: folder.db) == junk)
    }

    @Test func aNewerSchemaIsRefused() throws {
        let folder = try StateFolder()
        let store = try Store.open(path: folder.db)
        _ = try store.write { try $0.execute("PRAGMA user_version = 99") }
        store.close()
        #expect(throws: Store.OpenError.newerSchema(path: folder.db, found: 99, known: Store.schemaVersion)) {
            _ = try Store.open(path: folder.db)
        }
    }

    @Test func migrationsRunOnceAndReopeningKeepsData() throws {
        let folder = try StateFolder()
        let first = try Store.open(path: folder.db)
        try AuditLog(store: first).append(AuditDraft(kind: "note", actor: AuditActor(user: "ana"), detail: "kept"))
        first.close()
        let second = try Store.open(path: folder.db)
        #expect(try AuditLog(store: second).entries().map(\.draft.detail) == ["kept"])
        #expect(try second.userVersion() == Store.schemaVersion)
    }

    /// A console polls `changeToken` to notice another process's commit; a second connection stands
    /// in for the other process here (the end-to-end tests use real processes).
    @Test func anotherConnectionsCommitMovesTheChangeToken() throws {
        let folder = try StateFolder()
        let console = try Store.open(path: folder.db)
        let daemon = try Store.open(path: folder.db)
        let before = try console.changeToken()
        #expect(try console.changeToken() == before)
        try AuditLog(store: daemon).append(AuditDraft(kind: "note", actor: AuditActor(user: "daemon")))
        let after = try console.changeToken()
        #expect(after != before)
        try AuditLog(store: console).append(AuditDraft(kind: "note", actor: AuditActor(user: "me")))
        #expect(try console.changeToken() != after)
    }
}

@Suite struct AuditChainTests {
    static let t0 = Date(timeIntervalSince1970: 1_795_000_000.25)

    func filledLog(_ folder: StateFolder, count: Int = 6) throws -> AuditLog {
        let clock = TestClock(Self.t0)
        let log = AuditLog(store: try Store.open(path: folder.db), clock: { clock.advance(1) })
        for i in 1...count {
            try log.append(AuditDraft(
                kind: i % 2 == 1 ? "aws.intent" : "aws.outcome", actor: AuditActor(user: "ana", sshClient: "203.0.113.9"),
                context: AuditContext(incident: "INC-7", runbook: "rds-failover", step: "\(i)"), service: "rds",
                operation: "FailoverDBCluster", region: "us-east-1", parameters: #"{"DBClusterIdentifier":"prod-aurora"}"#,
                outcome: i % 2 == 0 ? "succeeded" : nil, intentSeq: i % 2 == 0 ? Int64(i - 1) : nil))
        }
        return log
    }

    @Test func entriesLinkEachToThePreviousAndVerify() throws {
        let folder = try StateFolder()
        let log = try filledLog(folder)
        let entries = try log.entries()
        #expect(entries.map(\.seq) == [1, 2, 3, 4, 5, 6])
        #expect(entries[0].prevHash == AuditEntry.genesis)
        for (a, b) in zip(entries, entries.dropFirst()) { #expect(b.prevHash == a.hash) }
        #expect(entries[0].at == "2026-11-18T11:06:41.250Z")  // t0 + 1 s: the clock ticks once per append
        let v = try log.verify()
        #expect(v.intact && v.entries == 6 && v.head?.seq == 6)
    }

    @Test func anEmptyTrailVerifies() throws {
        let folder = try StateFolder()
        let v = try AuditLog(store: try Store.open(path: folder.db)).verify()
        #expect(v.intact && v.entries == 0 && v.head == nil)
    }

    /// Each kind of tampering, done with plain SQL as someone with the file would, is caught and the
    /// first bad entry named.
    @Test(arguments: [
        ("edit a field", "UPDATE audit SET outcome = 'failed' WHERE seq = 4", Int64(4), "edited"),
        ("edit and rehash nothing else", "UPDATE audit SET detail = 'nothing to see' WHERE seq = 2", Int64(2), "edited"),
        ("delete one", "DELETE FROM audit WHERE seq = 3", Int64(3), "missing"),
        ("delete and renumber", "DELETE FROM audit WHERE seq = 3; UPDATE audit SET seq = seq - 1 WHERE seq > 3", Int64(3), "edited"),
        (
            "insert a copy", "UPDATE audit SET seq = seq + 100 WHERE seq >= 3; UPDATE audit SET seq = seq - 99 WHERE seq >= 103; INSERT INTO audit SELECT 3, at, kind, user, ssh_client, caller_arn, role, service, operation, region, parameters, request_id, outcome, detail, incident, drill, runbook, step, intent_seq, prev_hash, hash FROM audit WHERE seq = 2",
            Int64(3), "edited"
        ),
        ("swap two", "UPDATE audit SET seq = -5 WHERE seq = 5; UPDATE audit SET seq = 5 WHERE seq = 4; UPDATE audit SET seq = 4 WHERE seq = -5", Int64(4), "edited"),
        ("truncate the newest", "DELETE FROM audit WHERE seq > 4", Int64(5), "cut off"),
        ("append outside", "INSERT INTO audit SELECT 7, at, kind, user, ssh_client, caller_arn, role, service, operation, region, parameters, request_id, outcome, detail, incident, drill, runbook, step, intent_seq, hash, hash FROM audit WHERE seq = 6", Int64(7), "outside"),
    ])
    func tamperingIsDetectedAndTheFirstBadEntryNamed(what: String, sql: String, seq: Int64, words: String) throws {
        let folder = try StateFolder()
        let log = try filledLog(folder)
        try log.store.write { try $0.execute(sql) }
        let v = try log.verify()
        let problem = try #require(v.problem, "\(what) went unnoticed")
        #expect(problem.seq == seq, "\(what): \(problem)")
        #expect(problem.description.contains(words), "\(what): \(problem)")
    }

    /// A rewrite that recomputes every hash after an edit keeps the chain self-consistent; only the
    /// recorded head (and, beyond that, the shipped copy) can tell.
    @Test func aConsistentRewriteIsCaughtByTheRecordedHead() throws {
        let folder = try StateFolder()
        let log = try filledLog(folder)
        var entries = try log.entries()
        entries[1].draft.outcome = "failed"
        var prev = AuditEntry.genesis
        for i in entries.indices {
            entries[i] = AuditEntry.link(entries[i].draft, seq: entries[i].seq, at: entries[i].at, prevHash: prev)
            prev = entries[i].hash
        }
        try log.store.write { c in
            for e in entries {
                try c.query("UPDATE audit SET outcome = ?, prev_hash = ?, hash = ? WHERE seq = ?", [.optional(e.draft.outcome), .text(e.prevHash), .text(e.hash), .integer(e.seq)])
            }
        }
        #expect(try log.verify().problem == .headMismatch(seq: 6))
    }

    /// The pure verifier on its own, table-driven.
    @Test func theVerifierIsAPureFunctionOfEntriesAndHead() {
        let actor = AuditActor(user: "u")
        var chain: [AuditEntry] = []
        var prev = AuditEntry.genesis
        for i in 1...4 {
            let e = AuditEntry.link(AuditDraft(kind: "note", actor: actor, detail: "n\(i)"), seq: Int64(i), at: "2026-01-01T00:00:0\(i).000Z", prevHash: prev)
            chain.append(e)
            prev = e.hash
        }
        let head = (seq: Int64(4), hash: chain[3].hash)
        #expect(AuditChainVerifier.verify(chain, head: head) == nil)
        #expect(AuditChainVerifier.verify(Array(chain.prefix(3)), head: head) == .truncated(lastSeq: 3, headSeq: 4))
        #expect(AuditChainVerifier.verify([chain[0], chain[2], chain[3]], head: head) == .missing(from: 2, to: 2))
        #expect(AuditChainVerifier.verify(chain, head: nil) == .beyondHead(seq: 1, headSeq: 0))
        #expect(AuditChainVerifier.verify([], head: head) == .truncated(lastSeq: 0, headSeq: 4))
        var edited = chain
        edited[2].draft.detail = "changed"
        #expect(AuditChainVerifier.verify(edited, head: head) == .edited(seq: 3))
    }

    @Test func concurrentWritersInOneProcessNeverForkTheChain() async throws {
        let folder = try StateFolder()
        let path = folder.db
        _ = try Store.open(path: path)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<4 {
                group.addTask {
                    let log = AuditLog(store: try Store.open(path: path))
                    for i in 0..<50 { try log.append(AuditDraft(kind: "note", actor: AuditActor(user: "w\(w)"), detail: "\(i)")) }
                }
            }
            try await group.waitForAll()
        }
        let log = AuditLog(store: try Store.open(path: path))
        let v = try log.verify()
        #expect(v.intact && v.entries == 200)
    }
}

@Suite struct AuditJournalTests {
    @Test func intentsAndOutcomesLandInTheChainWithSecretsRedacted() throws {
        let folder = try StateFolder()
        let log = AuditLog(store: try Store.open(path: folder.db))
        let journal = AuditJournal(
            log: log, actor: AuditActor(user: "ana", sshClient: "198.51.100.4", callerARN: "arn:aws:iam::123456789012:user/ana"),
            context: AuditContext(incident: "INC-1", runbook: "freeze-ingestion", step: "3", role: "ingest-break-glass"))
        let ticket = try journal.recordIntent(MutationIntent(
            service: "sts", operation: "AssumeRole", region: "us-east-1",
            parameters: ["RoleArn": "arn:aws:iam::1:role/r", "TokenCode": "918273", "Nested": ["SecretAccessKey": "abc", "NextToken": "page-2"]],
            accessKeyID: "AKIAEXAMPLE"))
        journal.recordOutcome(.failed(code: "AccessDenied", message: "not allowed", requestID: "req-9"), for: ticket)
        let entries = try log.entries()
        #expect(entries.count == 2)
        let intent = entries[0], outcome = entries[1]
        #expect(intent.draft.kind == "aws.intent" && intent.draft.operation == "AssumeRole")
        #expect(intent.draft.parameters == #"{"RoleArn":"arn:aws:iam::1:role/r","TokenCode":"[redacted]","Nested":{"SecretAccessKey":"[redacted]","NextToken":"page-2"}}"#)
        #expect(intent.draft.actor.sshClient == "198.51.100.4" && intent.draft.context.role == "ingest-break-glass")
        #expect(outcome.draft.kind == "aws.outcome" && outcome.draft.intentSeq == 1 && outcome.draft.outcome == "failed")
        #expect(outcome.draft.requestID == "req-9" && outcome.draft.detail == "AccessDenied: not allowed")
        #expect(try log.verify().intact)
    }

    @Test(arguments: [
        ("SecretAccessKey", true), ("aws_secret_access_key", true), ("SessionToken", true), ("TokenCode", true), ("Password", true),
        ("X-Amz-Security-Token", true), ("routing_key", true), ("NextToken", false), ("ClientRequestToken", false),
        ("SerialNumber", false), ("RoleArn", false), ("DBClusterIdentifier", false),
    ])
    func secretFieldsAreRecognisedByName(name: String, secret: Bool) {
        #expect(AuditRedactor.isSecretField(name) == secret)
    }

    @Test func actorComesFromTheUserAndSSHConnection() {
        let actor = AuditActor.current(environment: ["SSH_CONNECTION": "203.0.113.7 52144 10.0.0.5 22"])
        #expect(actor.sshClient == "203.0.113.7")
        #expect(!actor.user.isEmpty)
        #expect(AuditActor.current(environment: [:]).sshClient == nil)
    }
}

@Suite struct AuditListingTests {
    @Test func theExportLineIsTheEntrysJSONWithItsHash() {
        let draft = AuditDraft(
            kind: "aws.intent", actor: AuditActor(user: "ana", sshClient: "203.0.113.9", callerARN: "arn:aws:iam::1:user/ana"),
            context: AuditContext(incident: "INC-1", runbook: "r", step: "2", role: "db"), service: "rds", operation: "RebootDBInstance",
            region: "us-east-1", parameters: #"{"DBInstanceIdentifier":"db-1"}"#, detail: "esc \u{1B} del \u{7F} ü \u{2028}")
        let e = AuditEntry.link(draft, seq: 9, at: "2026-11-21T02:14:07.123Z", prevHash: AuditEntry.genesis)
        #expect(AuditListing.jsonLine(e) == JSON.encode(e.json))
    }
}
