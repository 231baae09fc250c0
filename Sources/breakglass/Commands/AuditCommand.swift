import ArgumentParser
import BreakglassAWS
import BreakglassCore
import Foundation

/// `breakglass audit verify | tail | export | note`: the hash-chained audit trail in the state database.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read, check and export the tamper-evident audit trail.",
        discussion: """
            Every AWS write (its intent before it is sent, its outcome after), page, acknowledgement and \
            access grant is an entry; each carries the hash of the one before. See docs/AUDIT.md.
            """,
        subcommands: [AuditVerifyCommand.self, AuditTailCommand.self, AuditExportCommand.self, AuditNoteCommand.self, AuditShipCommand.self])
}

extension StoreOptions {
    /// Opens an existing state database; a missing one is an error (reading commands never create one).
    func openExisting() throws -> Store {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("no state database at \(path) (nothing has been recorded yet, or use --state FILE)")
        }
        return try open()
    }
}

struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the whole chain. Exit 0 when intact, 3 when any entry was edited, deleted, inserted or reordered.",
        discussion: """
            Names the first bad entry. Also checks the database file itself (SQLite quick_check). With \
            --remote, also compares the trail with the copy shipped to CloudWatch Logs (audit ship): \
            every shipped entry and chain head must match the local entry of the same number, so a \
            local trail rewritten with fresh hashes is caught too.
            """)

    @Flag(help: "Also compare with the copy shipped to CloudWatch Logs (needs logs:GetLogEvents).") var remote = false
    @OptionGroup var where_: ShippingOptions
    @OptionGroup var aws: AWSOptions
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let opened: Store
        do {
            opened = try store.openExisting()
        } catch let error as Store.OpenError {
            if case .notADatabase = error {
                print("audit trail NOT INTACT: \(error)")
                throw ExitCode(3)
            }
            throw report(error)
        }
        do {
            let check = try opened.integrityCheck()
            guard check == "ok" else {
                print("audit trail NOT INTACT: the database file is damaged: \(TerminalText.sanitize(check))")
                throw ExitCode(3)
            }
            let v = try AuditLog(store: opened).verify()
            if let problem = v.problem {
                print("audit trail NOT INTACT: \(problem) (\(store.path))")
                throw ExitCode(3)
            }
            if let head = v.head {
                print("audit trail intact: \(v.entries) entries; head is entry \(head.seq), hash \(head.hash)")
            } else {
                print("audit trail intact: no entries yet")
            }
            if remote { try await verifyRemote(AuditLog(store: opened)) }
        } catch let e as ExitCode {
            throw e
        } catch let error as SQLiteError where error.isCorrupt {
            print("audit trail NOT INTACT: the database file is damaged: \(error)")
            throw ExitCode(3)
        } catch {
            throw report(error)
        }
    }
}

extension AuditVerifyCommand {
    /// Compares the local trail with the shipped copy; exit 3 on any disagreement.
    func verifyRemote(_ log: AuditLog) async throws {
        let env = try aws.environment()
        let (destination, _) = try where_.destination(aws: aws, env: env)
        let client = try await aws.client(env)
        let shipped = try ShippingJournal(store: log.store, destination: destination).cursor().shippedSeq
        let result = try await AuditShipper.remoteVerification(log: log, client: client, destination: destination)
        let name = TerminalText.sanitize("\(destination.group) / \(destination.stream) (\(destination.region))")
        if let problem = result.problem {
            print("audit trail NOT INTACT against \(name): \(TerminalText.sanitize(problem.description))")
            throw ExitCode(3)
        }
        if !result.streamFound {
            if shipped > 0 {
                print("audit trail NOT INTACT against \(name): the stream is gone, but entries 1-\(shipped) were shipped to it")
                throw ExitCode(3)
            }
            print("nothing shipped to \(name) yet")
            return
        }
        print("matches \(name): \(result.entries) shipped entries, \(result.heads) chain heads\(result.duplicates > 0 ? ", \(result.duplicates) entries shipped twice (identical)" : "")")
    }
}

struct AuditTailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Show the newest entries; with -f, keep showing new ones as any process writes them.")

    @Option(name: [.customShort("n"), .customLong("count")], help: "How many of the newest entries to show first.") var count = 20
    @Flag(name: .shortAndLong, help: "Follow: print entries as they are written, until interrupted.") var follow = false
    @Option(help: "table (one line per entry) or json (JSON Lines).") var output: OutputFormat = .table
    @Option(help: "Seconds between checks for new entries with -f.") var interval = 0.25
    @OptionGroup var store: StoreOptions
    @OptionGroup var sandboxState: SandboxStateOption

    func validate() throws {
        guard count >= 0 else { throw ValidationError("--count must be 0 or more") }
        guard interval >= 0.05, interval <= 60 else { throw ValidationError("--interval must be between 0.05 and 60 seconds") }
    }

    func run() async throws {
        do {
            let opened = try store.openExisting()
            let log = AuditLog(store: opened)
            let width = outputWidth()
            var last: Int64 = 0
            func emit(_ entries: [AuditEntry]) {
                var out = ""
                for e in entries {
                    out += (output == .json ? AuditListing.jsonLine(e) : AuditListing.line(e, width: width)) + "\n"
                    last = e.seq
                }
                if !out.isEmpty {
                    FileHandle.standardOutput.write(Data(out.utf8))
                }
            }
            emit(try log.last(count))
            if last == 0, let head = try log.head() { last = head.seq }
            guard follow else { return }
            var token = try opened.changeToken()
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(interval))
                let now = try opened.changeToken()
                if now == token { continue }
                token = now
                emit(try log.entries(after: last))
            }
        } catch {
            throw report(error)
        }
    }
}

struct AuditExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the whole trail to stdout as JSON Lines (verifiable) or a Markdown report.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case jsonl, markdown }

    @Option(help: "jsonl or markdown.") var format: Format = .jsonl
    @OptionGroup var store: StoreOptions
    @OptionGroup var sandboxState: SandboxStateOption

    func run() async throws {
        do {
            let log = AuditLog(store: try store.openExisting())
            let out = FileHandle.standardOutput
            var buffer = ""
            func flush(force: Bool = false) {
                if force || buffer.utf8.count > 64 * 1024 {
                    out.write(Data(buffer.utf8))
                    buffer = ""
                }
            }
            if format == .markdown {
                buffer += AuditListing.markdownHeader(verification: try log.verify(), path: store.path, generatedAt: Date())
            }
            try log.forEach { e in
                buffer += format == .jsonl ? AuditListing.jsonLine(e) + "\n" : AuditListing.markdownRow(e)
                flush()
            }
            flush(force: true)
        } catch {
            throw report(error)
        }
    }
}

struct AuditNoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "note",
        abstract: "Add a note to the trail (\"paged DBA by phone\", \"customer confirmed recovery\").")

    @Argument(help: "The note.") var text: String
    @Option(help: "The incident it belongs to.") var incident: String?
    @Option(help: "The drill it belongs to.") var drill: String?
    @OptionGroup var store: StoreOptions
    @OptionGroup var sandboxState: SandboxStateOption

    func validate() throws {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ValidationError("the note is empty") }
    }

    func run() async throws {
        do {
            let log = AuditLog(store: try store.open())
            let entry = try log.append(AuditDraft(
                kind: "note", actor: AuditActor.current(), context: AuditContext(incident: incident, drill: drill), detail: text))
            print("recorded as entry \(entry.seq)")
        } catch {
            throw report(error)
        }
    }
}
