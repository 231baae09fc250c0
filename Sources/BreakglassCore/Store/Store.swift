import Foundation

/// The shared state on one host: one SQLite database in WAL mode that one `watch` daemon and any
/// number of consoles and commands open at once.
///
/// - Created 0600 in a 0700 folder (SQLite gives the -wal and -shm files the database's mode).
/// - Every commit is durable (`synchronous=FULL`): an audit intent entry is on disk before the call
///   it announces is sent.
/// - Writers take the write lock up front (`BEGIN IMMEDIATE`) and wait up to `busyTimeout` for it,
///   so concurrent writers queue rather than fail; readers never block writers (WAL).
/// - `changeToken()` moves whenever any process commits, so a console notices another process's
///   change on its next poll.
/// - The schema is versioned (`PRAGMA user_version`); migrations run in one write transaction each.
public final class Store: @unchecked Sendable {
    public let path: String
    // One connection per Store, used by one thread at a time under `lock`.
    private let connection: SQLiteConnection
    private let lock = NSLock()

    public enum OpenError: Error, CustomStringConvertible, Sendable, Equatable {
        case unsafeFolder(path: String, mode: Int)
        case cannotCreate(path: String, reason: String)
        case notADatabase(path: String, reason: String)
        case newerSchema(path: String, found: Int, known: Int)
        case sqlite(String)

        public var description: String {
            switch self {
            case .unsafeFolder(let p, let mode):
                "the state folder \(p) is open to other users (mode \(String(mode, radix: 8))); state can name people and resources, so it must be 0700: chmod 700 '\(p)'"
            case .cannotCreate(let p, let reason): "cannot create the state database \(p): \(reason)"
            case .notADatabase(let p, let reason):
                "\(p) is not a readable Breakglass state database (\(reason)); move it aside to start afresh, or restore it from a backup"
            case .newerSchema(let p, let found, let known):
                "\(p) was written by a newer Breakglass (schema \(found); this one knows up to \(known)); upgrade breakglass"
            case .sqlite(let m): m
            }
        }
    }

    /// The default database: $XDG_STATE_HOME/breakglass/state.db (~/.local/state/breakglass/state.db).
    /// `$BREAKGLASS_STATE` when set (`--sandbox` sets it to the sandbox's own state), else
    /// `$XDG_STATE_HOME/breakglass/state.db`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["BREAKGLASS_STATE"], !path.isEmpty { return path }
        return StatePaths.current(environment: environment).directory + "/state.db"
    }

    /// Opens the database at `path`, creating it (and its folder, 0700) when missing, and migrates
    /// it to the current schema. A folder that exists but is open to other users is refused, because
    /// the files in it would be too. `busyTimeout` is how long a writer waits for another's lock.
    public static func open(path: String, busyTimeout: Duration = .seconds(10)) throws(OpenError) -> Store {
        let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        try prepareFolder(folder)
        try prepareFile(path)
        do {
            let connection = try SQLiteConnection(path: path, create: false)
            let ms = busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
            connection.setBusyTimeout(milliseconds: Int32(clamping: ms))
            let store = Store(path: path, connection: connection)
            try store.configure()
            try store.migrate()
            return store
        } catch let error as OpenError {
            throw error
        } catch let error as SQLiteError where error.isCorrupt {
            throw .notADatabase(path: path, reason: error.message)
        } catch {
            throw .sqlite(String(describing: error))
        }
    }

    private init(path: String, connection: SQLiteConnection) {
        self.path = path
        self.connection = connection
    }

    static func prepareFolder(_ folder: String) throws(OpenError) {
        var info = stat()
        if stat(folder, &info) != 0 {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                // createDirectory applies the umask; make sure.
                chmod(folder, 0o700)
            } catch {
                throw .cannotCreate(path: folder, reason: error.localizedDescription)
            }
            return
        }
        let mode = Int(info.st_mode & 0o7777)
        if mode & 0o077 != 0 { throw .unsafeFolder(path: folder, mode: mode) }
    }

    static func prepareFile(_ path: String) throws(OpenError) {
        // O_EXCL: whoever creates it sets 0600; if it exists, tighten it (it is ours).
        let fd = Foundation.open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if fd >= 0 {
            fchmod(fd, 0o600)
            Foundation.close(fd)
            return
        }
        let err = errno
        guard err == EEXIST else { throw .cannotCreate(path: path, reason: String(cString: strerror(err))) }
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & 0o077 != 0 { chmod(path, 0o600) }
        for suffix in ["-wal", "-shm"] where stat(path + suffix, &info) == 0 && info.st_mode & 0o077 != 0 {
            chmod(path + suffix, 0o600)
        }
    }

    private func configure() throws {
        try connection.execute("PRAGMA journal_mode=WAL")
        let mode = try connection.query("PRAGMA journal_mode").first?["journal_mode"].text
        guard mode?.lowercased() == "wal" else { throw OpenError.sqlite("\(path): could not switch to WAL mode (got \(mode ?? "nothing"))") }
        try connection.execute("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON")
        // Reads the schema page: a file that is not a database fails here, not halfway through a write.
        _ = try connection.query("SELECT count(*) FROM sqlite_master")
    }

    /// SQLite's `quick_check` over every page: "ok", or what is damaged. Proportional to the file's
    /// size, so `doctor` and `audit verify` run it, not every open.
    public func integrityCheck() throws -> String {
        try read { c in try c.query("PRAGMA quick_check").map { $0.values.first?.text ?? "" }.joined(separator: "; ") }
    }

    // MARK: - Schema

    /// Each migration runs once, in order, in its own transaction; `user_version` records the last.
    /// Append to this list; never edit a migration that has shipped.
    static let migrations: [String] = [
        // 1: the audit trail and the cursor that ships it.
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
        CREATE TABLE audit (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            user TEXT NOT NULL,
            ssh_client TEXT,
            caller_arn TEXT,
            role TEXT,
            service TEXT,
            operation TEXT,
            region TEXT,
            parameters TEXT,
            request_id TEXT,
            outcome TEXT,
            detail TEXT,
            incident TEXT,
            drill TEXT,
            runbook TEXT,
            step TEXT,
            intent_seq INTEGER,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        ) STRICT;
        CREATE INDEX audit_incident ON audit (incident) WHERE incident IS NOT NULL;
        CREATE INDEX audit_drill ON audit (drill) WHERE drill IS NOT NULL;
        CREATE TABLE audit_shipping (
            destination TEXT PRIMARY KEY,
            shipped_seq INTEGER NOT NULL,
            pending_first INTEGER,
            pending_last INTEGER,
            pending_since TEXT,
            head_shipped_at TEXT
        ) STRICT;
        """,
        // 2: runbook runs, persisted after every step transition so a run resumes where it stopped;
        // approvals are rows of their own, written by the approver's process, never by the driver.
        """
        CREATE TABLE runbook_runs (
            id INTEGER PRIMARY KEY,
            runbook TEXT NOT NULL,
            status TEXT NOT NULL,
            state TEXT NOT NULL,
            user TEXT NOT NULL,
            ssh_client TEXT,
            incident TEXT,
            drill TEXT,
            started_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            driver_pid INTEGER,
            driver_started TEXT
        ) STRICT;
        CREATE INDEX runbook_runs_open ON runbook_runs (runbook) WHERE status NOT IN ('succeeded', 'failed', 'abandoned');
        CREATE TABLE runbook_approvals (
            run INTEGER NOT NULL REFERENCES runbook_runs (id),
            step INTEGER NOT NULL,
            user TEXT NOT NULL,
            ssh_client TEXT,
            at TEXT NOT NULL,
            PRIMARY KEY (run, step)
        ) STRICT;
        """,
        // 3: break-glass grants: who holds which role until when. Never the credentials themselves,
        // which live only in the holder's memory (the console or the per-user agent).
        """
        CREATE TABLE access_grants (
            id INTEGER PRIMARY KEY,
            role TEXT NOT NULL,
            role_arn TEXT NOT NULL,
            user TEXT NOT NULL,
            ssh_client TEXT,
            session_name TEXT NOT NULL,
            source_identity TEXT NOT NULL,
            access_key_id TEXT,
            runbook TEXT,
            incident TEXT,
            reason TEXT NOT NULL,
            granted_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            revoked_at TEXT,
            revoked_by TEXT,
            holder_pid INTEGER
        ) STRICT;
        """,
        // 4: incidents, the alarms in them, what the daemon last knew of every alarm, the pages sent
        // for them, and the lease that lets one watch daemon at a time page.
        """
        CREATE TABLE incidents (
            id INTEGER PRIMARY KEY,
            grp TEXT NOT NULL,
            rule TEXT NOT NULL,
            plan TEXT NOT NULL,
            severity INTEGER NOT NULL,
            title TEXT NOT NULL,
            runbooks TEXT NOT NULL,
            state TEXT NOT NULL,
            escalation TEXT NOT NULL,
            next_at TEXT,
            opened_at TEXT NOT NULL,
            acknowledged_at TEXT,
            acknowledged_by TEXT,
            resolved_at TEXT,
            resolved_by TEXT,
            drill TEXT
        ) STRICT;
        CREATE UNIQUE INDEX incidents_one_open_per_group ON incidents (grp) WHERE state != 'resolved';
        CREATE INDEX incidents_due ON incidents (next_at) WHERE state != 'resolved';
        CREATE TABLE incident_alarms (
            incident INTEGER NOT NULL REFERENCES incidents (id),
            region TEXT NOT NULL,
            name TEXT NOT NULL,
            state TEXT NOT NULL,
            reason TEXT NOT NULL,
            joined_at TEXT NOT NULL,
            changed_at TEXT NOT NULL,
            PRIMARY KEY (incident, region, name)
        ) STRICT;
        CREATE TABLE alarm_states (
            region TEXT NOT NULL,
            name TEXT NOT NULL,
            state TEXT NOT NULL,
            since TEXT NOT NULL,
            incident INTEGER,
            seen_at TEXT NOT NULL,
            PRIMARY KEY (region, name)
        ) STRICT;
        CREATE TABLE pages (
            id INTEGER PRIMARY KEY,
            incident INTEGER NOT NULL REFERENCES incidents (id),
            firing INTEGER NOT NULL,
            stage INTEGER NOT NULL,
            pass INTEGER NOT NULL,
            reason TEXT NOT NULL,
            action TEXT NOT NULL,
            contact TEXT NOT NULL,
            contact_name TEXT NOT NULL,
            channel TEXT NOT NULL,
            target TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            next_attempt_at TEXT,
            last_attempt_at TEXT,
            delivered_at TEXT,
            detail TEXT,
            reference TEXT,
            UNIQUE (incident, firing, contact, channel, action)
        ) STRICT;
        CREATE INDEX pages_due ON pages (next_attempt_at) WHERE status = 'pending';
        CREATE TABLE leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            pid INTEGER NOT NULL,
            host TEXT NOT NULL,
            acquired_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        ) STRICT;
        """,
        // 5: drills (one running at a time) and the facilitator's notes on them.
        """
        CREATE TABLE drills (
            id INTEGER PRIMARY KEY,
            scenario TEXT NOT NULL,
            participant TEXT,
            target_ms INTEGER NOT NULL,
            status TEXT NOT NULL,
            started_by TEXT NOT NULL,
            started_at TEXT NOT NULL,
            stopped_at TEXT,
            stopped_by TEXT
        ) STRICT;
        CREATE UNIQUE INDEX drills_one_running ON drills (status) WHERE status = 'running';
        CREATE TABLE drill_notes (
            id INTEGER PRIMARY KEY,
            drill INTEGER NOT NULL REFERENCES drills (id),
            at TEXT NOT NULL,
            user TEXT NOT NULL,
            text TEXT NOT NULL
        ) STRICT;
        CREATE INDEX drill_notes_drill ON drill_notes (drill);
        """,
    ]

    public static var schemaVersion: Int { migrations.count }

    private func migrate() throws {
        let current = try connection.query("PRAGMA user_version").first?.integer("user_version") ?? 0
        if current > Self.migrations.count {
            throw OpenError.newerSchema(path: path, found: Int(current), known: Self.migrations.count)
        }
        if current == Self.migrations.count { return }
        try connection.writeTransaction {
            // Read again under the write lock: another process may have migrated meanwhile.
            let version = Int(try connection.query("PRAGMA user_version").first?.integer("user_version") ?? 0)
            for index in version..<Self.migrations.count {
                try connection.execute(Self.migrations[index])
                try connection.execute("PRAGMA user_version = \(index + 1)")
            }
        }
    }

    // MARK: - Access

    /// Runs `body` in a write transaction (`BEGIN IMMEDIATE`), committed durably on return.
    public func write<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try connection.writeTransaction { try body(connection) }
    }

    /// Runs `body` on one consistent snapshot.
    public func read<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try connection.readTransaction { try body(connection) }
    }

    /// A number that changes whenever any connection (any process) commits to the database. Cheap:
    /// poll it to notice other processes' changes.
    public func changeToken() throws -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        let mine = try connection.query("PRAGMA data_version").first?.integer("data_version") ?? 0
        // data_version ignores this connection's own commits; count those too.
        let total = try connection.query("SELECT total_changes() AS n").first?.integer("n") ?? 0
        return mine &* 1_000_003 &+ total
    }

    /// Writes a consistent copy of the whole database to `path` (`VACUUM INTO`, outside any
    /// transaction; other processes may go on writing), created 0600. Fails if `path` exists.
    public func copy(to path: String) throws {
        lock.lock()
        defer { lock.unlock() }
        let quoted = "'" + path.replacingOccurrences(of: "'", with: "''") + "'"
        try connection.execute("VACUUM INTO \(quoted)")
        chmod(path, 0o600)
    }

    public func close() {
        lock.lock()
        defer { lock.unlock() }
        connection.close()
    }

    /// The schema version recorded in the file.
    public func userVersion() throws -> Int {
        try read { Int(try $0.query("PRAGMA user_version").first?.integer("user_version") ?? 0) }
    }
}
