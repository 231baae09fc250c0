import CSQLite3
import Foundation

/// An SQLite failure: what was being done, SQLite's result code and its message.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let message: String
    public let context: String

    public var description: String { "\(context): \(message) (SQLite code \(code))" }

    /// The database is locked by another process past the busy timeout.
    public var isBusy: Bool { code & 0xFF == SQLITE_BUSY || code & 0xFF == SQLITE_LOCKED }
    /// The file is not a database, or is damaged.
    public var isCorrupt: Bool { code & 0xFF == SQLITE_CORRUPT || code & 0xFF == SQLITE_NOTADB }
}

/// A value bound to, or read from, an SQL statement.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public var text: String? { if case .text(let s) = self { s } else { nil } }
    public var integer: Int64? { if case .integer(let i) = self { i } else { nil } }
}

extension SQLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(nilLiteral: ()) { self = .null }
    /// `.text(s)` or `.null`.
    public static func optional(_ s: String?) -> SQLValue { s.map(SQLValue.text) ?? .null }
    public static func optional(_ i: Int64?) -> SQLValue { i.map(SQLValue.integer) ?? .null }
}

/// One row of a result, by column name.
public struct SQLRow: Sendable {
    public let columns: [String]
    public let values: [SQLValue]

    public subscript(_ name: String) -> SQLValue {
        guard let i = columns.firstIndex(of: name) else { return .null }
        return values[i]
    }
    public func text(_ name: String) -> String? { self[name].text }
    public func integer(_ name: String) -> Int64? { self[name].integer }
}

/// One SQLite connection. Not thread-safe by itself: `Store` serialises access with a lock.
/// The C library is built thread-safe by Debian; each connection is used by one thread at a time.
public final class SQLiteConnection {
    private var handle: OpaquePointer?
    public let path: String

    /// Opens (creating when `create`) the database at `path`. The caller has already created the file
    /// with the mode it wants; SQLite gives its -wal and -shm files the same mode.
    public init(path: String, create: Bool) throws(SQLiteError) {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            throw SQLiteError(code: rc, message: message, context: "opening \(path)")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
    }

    deinit { close() }

    public func close() {
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    private func failure(_ rc: Int32, _ context: String) -> SQLiteError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "closed"
        return SQLiteError(code: rc, message: message, context: context)
    }

    /// Runs one or more statements that take no parameters and return no rows worth reading.
    public func execute(_ sql: String) throws(SQLiteError) {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &error)
        if rc != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? "error \(rc)"
            sqlite3_free(error)
            throw SQLiteError(code: sqlite3_extended_errcode(handle), message: message, context: Self.summary(sql))
        }
    }

    /// Runs `sql` with `arguments` bound to its `?` placeholders and returns every row.
    @discardableResult
    public func query(_ sql: String, _ arguments: [SQLValue] = []) throws(SQLiteError) -> [SQLRow] {
        var rows: [SQLRow] = []
        try each(sql, arguments) { rows.append($0) }
        return rows
    }

    /// Runs `sql` and hands each row to `body` as it is read (for exports of any length).
    public func each(_ sql: String, _ arguments: [SQLValue] = [], _ body: (SQLRow) throws(SQLiteError) -> Void) throws(SQLiteError) {
        var stmt: OpaquePointer?
        var rc = sqlite3_prepare_v2(handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw failure(rc, Self.summary(sql)) }
        defer { sqlite3_finalize(stmt) }
        for (i, value) in arguments.enumerated() {
            let index = Int32(i + 1)
            switch value {
            case .null: rc = sqlite3_bind_null(stmt, index)
            case .integer(let v): rc = sqlite3_bind_int64(stmt, index, v)
            case .real(let v): rc = sqlite3_bind_double(stmt, index, v)
            case .text(let v): rc = bg_sqlite3_bind_text_transient(stmt, index, v, -1)
            case .blob(let v): rc = v.withUnsafeBytes { bg_sqlite3_bind_blob_transient(stmt, index, $0.baseAddress, Int32($0.count)) }
            }
            guard rc == SQLITE_OK else { throw failure(rc, Self.summary(sql)) }
        }
        let count = sqlite3_column_count(stmt)
        var names: [String] = []
        for i in 0..<count { names.append(String(cString: sqlite3_column_name(stmt, i))) }
        while true {
            rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw failure(rc, Self.summary(sql)) }
            var values: [SQLValue] = []
            values.reserveCapacity(Int(count))
            for i in 0..<count {
                switch sqlite3_column_type(stmt, i) {
                case SQLITE_INTEGER: values.append(.integer(sqlite3_column_int64(stmt, i)))
                case SQLITE_FLOAT: values.append(.real(sqlite3_column_double(stmt, i)))
                case SQLITE_TEXT:
                    if let p = sqlite3_column_text(stmt, i) {
                        values.append(.text(String(decoding: UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(stmt, i))), as: UTF8.self)))
                    } else {
                        values.append(.text(""))
                    }
                case SQLITE_BLOB:
                    let n = Int(sqlite3_column_bytes(stmt, i))
                    if let p = sqlite3_column_blob(stmt, i), n > 0 {
                        values.append(.blob(Array(UnsafeRawBufferPointer(start: p, count: n))))
                    } else {
                        values.append(.blob([]))
                    }
                default: values.append(.null)
                }
            }
            try body(SQLRow(columns: names, values: values))
        }
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`: the write lock is taken up front, so two
    /// writers queue on the busy timeout instead of failing on upgrade. Rolled back on any error.
    public func writeTransaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// A read that sees one consistent snapshot.
    public func readTransaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN DEFERRED")
        defer { try? execute("COMMIT") }
        return try body()
    }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    public func setBusyTimeout(milliseconds: Int32) { sqlite3_busy_timeout(handle, milliseconds) }

    static func summary(_ sql: String) -> String {
        let line = sql.split(whereSeparator: \.isNewline).first.map(String.init) ?? sql
        return line.count > 60 ? String(line.prefix(60)) + "…" : line
    }
}
