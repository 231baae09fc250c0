import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// A private 0700 folder holding one state database for a test that runs the real binaries.
final class StateDir {
    let path: String
    var db: String { path + "/state.db" }
    init() throws {
        path = "\(MotoHarness.runDirectory)/state \(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

@Suite struct AuditCommandTests {
    func note(_ dir: StateDir, _ text: String) throws {
        let r = try BreakglassBinary.run(["audit", "note", text, "--state", dir.db, "--incident", "INC-3"])
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func notesTailExportAndVerify() throws {
        let dir = try StateDir()
        for i in 1...3 { try note(dir, "step \(i) done") }
        try note(dir, "reason: \u{1B}]0;owned\u{07}\u{1B}[2Jpwned")

        let tail = try BreakglassBinary.run(["audit", "tail", "--state", dir.db, "-n", "2"])
        #expect(tail.status == 0)
        let lines = tail.stdout.split(separator: "\n")
        try #require(lines.count == 2, "\(tail.stdout) \(tail.stderr)")
        #expect(lines[0].hasPrefix("3 ") && lines[0].contains("note step 3 done") && lines[0].contains("INC-3"), "\(tail.stdout)")
        // An escape sequence in a note is shown inert, never sent to the terminal.
        #expect(!tail.stdout.contains("\u{1B}") && !tail.stdout.contains("\u{07}"))

        let jsonl = try BreakglassBinary.run(["audit", "export", "--state", dir.db, "--format", "jsonl"])
        #expect(jsonl.status == 0)
        let objects = try jsonl.stdout.split(separator: "\n").map { try JSON.decode(String($0)) }
        #expect(objects.map { $0["seq"]?.int } == [1, 2, 3, 4])
        #expect(objects[0]["prev_hash"]?.string == AuditEntry.genesis)
        #expect(objects[1]["prev_hash"]?.string == objects[0]["hash"]?.string)
        // Anyone can check the export: the hash covers the line without its hash member.
        for object in objects {
            var o = try #require(object.object)
            let hash = o["hash"]?.string
            o["hash"] = nil
            #expect(AuditEntry.sha256Hex(JSON.encode(.object(o))) == hash)
        }

        let md = try BreakglassBinary.run(["audit", "export", "--state", dir.db, "--format", "markdown"])
        #expect(md.status == 0)
        #expect(md.stdout.contains("- Chain: intact; head is entry 4"))
        #expect(md.stdout.contains("| 2 | ") && md.stdout.contains("step 2 done"))
        #expect(!md.stdout.contains("\u{1B}"))

        let verify = try BreakglassBinary.run(["audit", "verify", "--state", dir.db])
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("audit trail intact: 4 entries"), "\(verify.stdout)")
    }

    /// Each kind of tampering, done to the file with plain SQL, makes `audit verify` exit 3 and name
    /// the first bad entry.
    @Test(arguments: [
        ("update", "UPDATE audit SET detail = 'all fine' WHERE seq = 3", "entry 3 was edited"),
        ("delete", "DELETE FROM audit WHERE seq = 2", "entry 2 is missing"),
        ("insert", "UPDATE audit SET seq = seq + 100 WHERE seq >= 4; UPDATE audit SET seq = seq - 99 WHERE seq >= 104; INSERT INTO audit SELECT 4, at, kind, user, ssh_client, caller_arn, role, service, operation, region, parameters, request_id, outcome, 'forged', incident, drill, runbook, step, intent_seq, prev_hash, hash FROM audit WHERE seq = 3", "entry 4 was edited"),
        ("reorder", "UPDATE audit SET seq = -1 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = -1", "entry 2 was edited"),
        ("truncate", "DELETE FROM audit WHERE seq >= 4", "entries 4-5 are missing"),
    ])
    func tamperingFailsVerificationWithExit3(kind: String, sql: String, expected: String) throws {
        let dir = try StateDir()
        for i in 1...5 { try note(dir, "entry \(i)") }
        let store = try Store.open(path: dir.db)
        try store.write { try $0.execute(sql) }
        store.close()
        let r = try BreakglassBinary.run(["audit", "verify", "--state", dir.db])
        #expect(r.status == 3, "\(kind): \(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("NOT INTACT") && r.stdout.contains(expected), "\(kind): \(r.stdout)")
    }

    /// A state file cut short on disk (not through SQL) is reported as damaged, exit 3.
    @Test func aTruncatedFileFailsVerification() throws {
        let dir = try StateDir()
        for i in 1...40 { try note(dir, String(repeating: "long note \(i) ", count: 40)) }
        // Fold the WAL into the main file, then cut the file in half.
        let store = try Store.open(path: dir.db)
        _ = try store.read { try $0.query("PRAGMA wal_checkpoint(TRUNCATE)") }
        store.close()
        let size = try #require(FileManager.default.attributesOfItem(atPath: dir.db)[.size] as? Int)
        #expect(truncate(dir.db, off_t(size / 2)) == 0)
        let r = try BreakglassBinary.run(["audit", "verify", "--state", dir.db])
        #expect(r.status == 3, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("NOT INTACT"), "\(r.stdout)")
    }

    /// docs/AUDIT.md's Python checks an export without Breakglass; it must keep working, control
    /// characters, DEL and non-ASCII text included.
    @Test func theDocumentedPythonCheckVerifiesAnExport() throws {
        let dir = try StateDir()
        try note(dir, "plain")
        try note(dir, "esc \u{1B}[31m tab\t nl\n del\u{7F} ü — \u{2028} \"q\" / \\")
        let export = try BreakglassBinary.run(["audit", "export", "--state", dir.db])
        let file = dir.path + "/audit.jsonl"
        try export.stdout.write(toFile: file, atomically: true, encoding: .utf8)
        let doc = try String(contentsOfFile: "docs/AUDIT.md", encoding: .utf8)
        let start = try #require(doc.range(of: "```python\n"))
        let end = try #require(doc.range(of: "```", range: start.upperBound..<doc.endIndex))
        let script = String(doc[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "open(\"audit.jsonl\")", with: "open(\"\(file)\")")
            + "print(\"verified\")\n"
        let ok = try Subprocess.run("/usr/bin/env", ["python3", "-c", script])
        #expect(ok.status == 0 && ok.stdout.contains("verified"), "\(ok.stderr)")
        // And it fails on a tampered export.
        try export.stdout.replacingOccurrences(of: "plain", with: "plane").write(toFile: file, atomically: true, encoding: .utf8)
        let bad = try Subprocess.run("/usr/bin/env", ["python3", "-c", script])
        #expect(bad.status != 0)
    }

    @Test func readingCommandsNeverCreateAStateFile() throws {
        let dir = try StateDir()
        let r = try BreakglassBinary.run(["audit", "verify", "--state", dir.db])
        #expect(r.status == 2)
        #expect(r.stderr.contains("no state database at"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.db))
    }

    @Test func aStateFolderOpenToOthersIsRefused() throws {
        let dir = try StateDir()
        chmod(dir.path, 0o755)
        let r = try BreakglassBinary.run(["audit", "note", "x", "--state", dir.db])
        #expect(r.status == 2)
        #expect(r.stderr.contains("chmod 700"), "\(r.stderr)")
    }
}

/// Several processes on one state database: writers never lose or fork entries, a writer killed
/// mid-transaction never damages the store, and a reader sees others' commits within a second.
@Suite(.serialized) struct StoreProcessTests {
    @Test func severalProcessesWriteAtOnceWithoutLoss() throws {
        let dir = try StateDir()
        let writers = try (0..<4).map { w in
            try BackgroundProcess(BreakglassBinary.benchPath, ["audit", "--state", dir.db, "--count", "150", "--writer", "w\(w)"])
        }
        for w in writers { #expect(w.wait(timeout: 120) == 0, "\(w.errors())") }
        let log = AuditLog(store: try Store.open(path: dir.db))
        let v = try log.verify()
        #expect(v.intact && v.entries == 4 * 150 * 2, "\(String(describing: v.problem)) \(v.entries)")
        let intents = try log.entries().filter { $0.draft.kind == "aws.intent" }
        for w in 0..<4 {
            let mine = intents.filter { $0.draft.parameters?.contains("\"w\(w)\"") == true }
            #expect(mine.count == 149, "writer w\(w) wrote \(mine.count) of 149 tagged intents")  // the first carries the sample input
        }
        // Every outcome names an intent that exists and is an intent.
        let bySeq = Dictionary(uniqueKeysWithValues: try log.entries().map { ($0.seq, $0) })
        for e in bySeq.values where e.draft.kind == "aws.outcome" {
            #expect(bySeq[e.draft.intentSeq ?? 0]?.draft.kind == "aws.intent")
        }
    }

    @Test func aWriterKilledMidTransactionNeverDamagesTheStore() throws {
        let dir = try StateDir()
        var generator = SystemRandomNumberGenerator()
        var previous: Int64 = 0
        var kills = 0
        for round in 0..<30 {
            let writer = try BackgroundProcess(BreakglassBinary.benchPath, ["audit", "--state", dir.db, "--count", "1000000", "--writer", "r\(round)"])
            // Let it get going: wait until its first entry is in (start-up takes longer on a busy
            // machine), then kill it at a random moment while it writes.
            let started = Date()
            while Date().timeIntervalSince(started) < 20, !writer.hasExited {
                if let store = try? Store.open(path: dir.db) {
                    let head = (try? AuditLog(store: store).head())?.seq ?? 0
                    store.close()
                    if head > previous { break }
                }
                usleep(5_000)
            }
            usleep(UInt32.random(in: 0...60_000, using: &generator))
            writer.signal(SIGKILL)
            if writer.wait(timeout: 10) == 128 + SIGKILL { kills += 1 }
            let store = try Store.open(path: dir.db)
            #expect(try store.integrityCheck() == "ok")
            let v = try AuditLog(store: store).verify()
            #expect(v.intact, "round \(round): \(String(describing: v.problem))")
            #expect(v.entries >= previous, "round \(round): entries went from \(previous) to \(v.entries)")
            previous = v.entries
            store.close()
        }
        #expect(kills >= 25, "only \(kills) writers were killed mid-run")
        #expect(previous > 30, "the writers wrote only \(previous) entries in all")
        // And the store still takes writes.
        let r = try BreakglassBinary.run(["audit", "note", "after the crashes", "--state", dir.db])
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func aFollowingReaderSeesAnotherProcessesCommitWithinASecond() throws {
        let dir = try StateDir()
        try BreakglassBinary.run(["audit", "note", "first", "--state", dir.db])
        let tail = try BackgroundProcess(BreakglassBinary.path, ["audit", "tail", "-f", "--output", "json", "--state", dir.db])
        defer { tail.signal(SIGTERM); tail.wait(timeout: 5) }
        let started = Date()
        while !tail.output().contains("\"first\"") && Date().timeIntervalSince(started) < 10 { usleep(10_000) }
        #expect(tail.output().contains("\"first\""), "\(tail.errors())")
        let r = try BreakglassBinary.run(["audit", "note", "from another shell", "--state", dir.db])
        #expect(r.status == 0)
        let committed = Date()
        while !tail.output().contains("from another shell") && Date().timeIntervalSince(committed) < 5 { usleep(5_000) }
        let seen = Date().timeIntervalSince(committed)
        #expect(tail.output().contains("from another shell"))
        #expect(seen < 1.0, "the reader saw the commit after \(seen) s")
    }
}
