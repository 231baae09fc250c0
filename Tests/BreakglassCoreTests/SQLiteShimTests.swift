import CSQLite3
import Foundation
import Testing

/// The CSQLite3 shim's wrappers do what their names promise. The store (issue 4) builds on them.
@Suite struct SQLiteShimTests {
    @Test func transientBindsCopyTheCallersBuffer() throws {
        var db: OpaquePointer?
        #expect(sqlite3_open(":memory:", &db) == SQLITE_OK)
        defer { sqlite3_close(db) }
        #expect(sqlite3_exec(db, "CREATE TABLE t (s TEXT, b BLOB)", nil, nil, nil) == SQLITE_OK)
        var stmt: OpaquePointer?
        #expect(sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?, ?)", -1, &stmt, nil) == SQLITE_OK)
        // Bind from buffers that are overwritten and freed before the statement runs: only a copy
        // (SQLITE_TRANSIENT) survives that.
        let text = try #require(strdup("prod-db-cpu"))
        let blob = UnsafeMutablePointer<UInt8>.allocate(capacity: 3)
        blob.initialize(from: [1, 2, 3], count: 3)
        #expect(bg_sqlite3_bind_text_transient(stmt, 1, text, -1) == SQLITE_OK)
        #expect(bg_sqlite3_bind_blob_transient(stmt, 2, blob, 3) == SQLITE_OK)
        memset(text, 0x58, 11)
        free(text)
        blob.update(repeating: 0, count: 3)
        blob.deallocate()
        #expect(sqlite3_step(stmt) == SQLITE_DONE)
        sqlite3_finalize(stmt)

        #expect(sqlite3_prepare_v2(db, "SELECT s, length(b), hex(b) FROM t", -1, &stmt, nil) == SQLITE_OK)
        defer { sqlite3_finalize(stmt) }
        #expect(sqlite3_step(stmt) == SQLITE_ROW)
        #expect(String(cString: try #require(sqlite3_column_text(stmt, 0))) == "prod-db-cpu")
        #expect(sqlite3_column_int(stmt, 1) == 3)
        #expect(String(cString: try #require(sqlite3_column_text(stmt, 2))) == "010203")
    }
}
