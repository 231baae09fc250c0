#if canImport(Glibc)
import Glibc
#endif

/// Gives memory the console has freed back to the system.
///
/// A refresh decodes a whole new list of alarms on one of the cooperative pool's threads while the
/// old list is still on screen; once the new one is applied the old one is freed. glibc's malloc
/// keeps freed memory in the arena of the thread that allocated it and returns only the top of a
/// heap to the system, so each refresh on another thread would leave a whole list's worth of
/// pages resident (with 10,000 alarms RSS grew from 31 to 49 MB over a dozen refreshes).
/// `malloc_trim(0)` hands every free page of every arena back. It is called once per applied
/// refresh, after the old list is gone and the frame is drawn: about a millisecond when there is a
/// list's worth of pages to give back, microseconds otherwise.
public enum FreedMemory {
    /// glibc's `malloc_trim`, found at run time: Swift's Glibc module does not declare malloc.h.
    /// Nil on other C libraries, where there is nothing to do.
    private static let trim: (@convention(c) (Int) -> Int32)? = {
        guard let symbol = symbol("malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
    }()
    /// glibc's `mallopt`, likewise.
    private static let mallopt: (@convention(c) (Int32, Int32) -> Int32)? = {
        guard let symbol = symbol("mallopt") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
    }()

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        #if canImport(Glibc)
        guard let program = dlopen(nil, RTLD_NOW) else { return nil }
        return dlsym(program, name)
        #else
        return nil
        #endif
    }

    /// Whether there is a `malloc_trim` to call (glibc).
    static var available: Bool { trim != nil }

    static func release() {
        _ = trim?(0)
    }

    /// glibc's `M_ARENA_MAX`.
    private static let arenaMax: Int32 = -8

    /// Caps the malloc arenas of the process at `arenas` (glibc creates up to eight per core, one
    /// for each thread that finds the others busy). Each arena keeps its own free pages and its own
    /// partly used ones, so a list decoded on one thread and freed after another's allocations
    /// leaves pages no trim can give back; fewer arenas, fewer such pages. Call it first thing,
    /// before other threads start: a thread keeps the arena it was given. Answers whether the C
    /// library took the setting (false on other C libraries).
    @discardableResult
    public static func limitArenas(to arenas: Int32) -> Bool {
        (mallopt?(arenaMax, max(1, arenas)) ?? 0) == 1
    }
}
