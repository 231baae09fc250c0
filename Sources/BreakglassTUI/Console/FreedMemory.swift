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

    /// Lets go of the pages of code and read-only data that are mapped but no longer used: every
    /// file mapping that cannot be written and holds no page of its own (`Anonymous: 0` in
    /// /proc/self/smaps) is dropped with `madvise(MADV_DONTNEED)`. Such a page is the file's, cached
    /// by the kernel; the next use of it maps it again from the cache (a minor fault, about a
    /// microsecond, 64 KB at a time). Start-up runs code the console never runs again (options,
    /// configuration, the credential chain, the state file's schema, terminfo), and the kernel maps
    /// code in 64 KB runs around each page used, so after the first list is on screen most of the
    /// mapped code is not needed. Mappings with pages of their own (relocated data, even where it is
    /// read-only now) are left alone: dropping those would lose what was written to them. Answers
    /// the size of the mappings so treated, resident or not (0 on other systems).
    @discardableResult
    public static func dropUnusedCode() -> Int {
        #if os(Linux)
        guard let file = fopen("/proc/self/smaps", "r") else { return 0 }
        defer { fclose(file) }
        var ranges: [(start: UInt, end: UInt)] = []
        var candidate: (start: UInt, end: UInt)?
        var line = [CChar](repeating: 0, count: 4096)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(cString: line)
            if let dash = text.firstIndex(of: "-"), let start = UInt(text[..<dash], radix: 16) {
                // "start-end perms offset dev inode path"
                let fields = text.split(separator: " ", omittingEmptySubsequences: true)
                candidate = nil
                guard fields.count >= 6, let end = UInt(fields[0].split(separator: "-").last ?? "", radix: 16) else { continue }
                let perms = fields[1]
                if fields[5].hasPrefix("/"), perms.hasPrefix("r"), !perms.contains("w"), perms.hasSuffix("p") {
                    candidate = (start, end)
                }
            } else if text.hasPrefix("Anonymous:"), let c = candidate {
                let kB = text.dropFirst("Anonymous:".count).split(separator: " ").first.flatMap { Int($0) } ?? -1
                if kB == 0 { ranges.append(c) }
                candidate = nil
            }
        }
        var dropped = 0
        for r in ranges {
            let length = Int(r.end - r.start)
            if madvise(UnsafeMutableRawPointer(bitPattern: r.start), length, MADV_DONTNEED) == 0 { dropped += length }
        }
        return dropped
        #else
        return 0
        #endif
    }
}
