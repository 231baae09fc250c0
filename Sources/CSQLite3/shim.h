#ifndef BREAKGLASS_CSQLITE3_SHIM_H
#define BREAKGLASS_CSQLITE3_SHIM_H
// SQLite for Swift. SQLITE_TRANSIENT is a cast of -1 to a function pointer, which Swift cannot
// import, and sqlite3_config is variadic; both are wrapped as typed inline functions, prefixed bg_.
#include <sqlite3.h>

/// Binds a copy of `text` (SQLite copies it before returning: SQLITE_TRANSIENT).
static inline int bg_sqlite3_bind_text_transient(sqlite3_stmt *stmt, int index, const char *text, int bytes) {
    return sqlite3_bind_text(stmt, index, text, bytes, SQLITE_TRANSIENT);
}

/// Binds a copy of `blob` (SQLITE_TRANSIENT).
static inline int bg_sqlite3_bind_blob_transient(sqlite3_stmt *stmt, int index, const void *blob, int bytes) {
    return sqlite3_bind_blob(stmt, index, blob, bytes, SQLITE_TRANSIENT);
}

/// sqlite3_config(SQLITE_CONFIG_MULTITHREAD): connections are never shared between threads at once.
/// Must be called before sqlite3_initialize or any other SQLite call.
static inline int bg_sqlite3_config_multithread(void) {
    return sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
}

#endif
