import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The POSIX pieces of the agent's Unix socket: addresses within sun_path's limit, peer
/// credentials, and line reads with a deadline.
enum UnixSocket {
    #if canImport(Glibc)
    static let streamType = Int32(SOCK_STREAM.rawValue)
    #else
    static let streamType = SOCK_STREAM
    #endif

    /// sun_path's size, NUL included (108 on Linux).
    static var pathCapacity: Int {
        let addr = sockaddr_un()
        return MemoryLayout.size(ofValue: addr.sun_path)
    }

    /// `path` as a socket address, or nil when it does not fit sun_path.
    static func address(_ path: String) -> sockaddr_un? {
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count < pathCapacity, !bytes.contains(0) else { return nil }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        return addr
    }

    static func makeSocket() -> Int32? {
        let fd = socket(AF_UNIX, streamType, 0)
        guard fd >= 0 else { return nil }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }

    /// Connects to the socket at `path`. Nil when nothing listens there (no file, or a stale one);
    /// throws for other failures.
    static func connect(_ path: String) throws(AccessAgentError) -> Int32? {
        guard var addr = address(path) else { throw .socketPathTooLong(path: path, bytes: path.utf8.count, limit: pathCapacity - 1) }
        guard let fd = makeSocket() else { throw .system("socket(): \(String(cString: strerror(errno)))") }
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if ok == 0 { return fd }
        let err = errno
        close(fd)
        if err == ENOENT || err == ECONNREFUSED { return nil }
        throw .system("cannot connect to the agent at \(path): \(String(cString: strerror(err)))")
    }

    /// The peer's user id (SO_PEERCRED).
    static func peerUID(_ fd: Int32) -> uid_t? {
        #if os(Linux)
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }, which Swift's Glibc does not import.
        var cred: (Int32, UInt32, UInt32) = (0, 0, 0)
        var len = socklen_t(MemoryLayout<(Int32, UInt32, UInt32)>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0, Int(len) == MemoryLayout<(Int32, UInt32, UInt32)>.size else { return nil }
        return cred.1
        #else
        var uid: uid_t = 0
        var gid: gid_t = 0
        return getpeereid(fd, &uid, &gid) == 0 ? uid : nil
        #endif
    }

    /// Waits up to `milliseconds` for input.
    static func waitReadable(_ fd: Int32, milliseconds: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let r = poll(&p, 1, milliseconds)
            if r < 0 && errno == EINTR { continue }
            return r > 0
        }
    }

    /// One line (without its newline), read within `milliseconds`; nil on timeout, end of stream or a
    /// line longer than `limit`.
    static func readLine(_ fd: Int32, milliseconds: Int32, limit: Int) -> String? {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        defer {
            wipe(&chunk)
            wipe(&buffer)
        }
        let deadline = Date().addingTimeInterval(Double(milliseconds) / 1000)
        while buffer.count <= limit {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                return String(decoding: buffer[..<newline], as: UTF8.self)
            }
            let left = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
            guard left > 0, waitReadable(fd, milliseconds: left) else { return nil }
            // read(2), not recv(2): the launcher reads its ready line from a pipe with this too.
            let n = read(fd, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            buffer.append(contentsOf: chunk[0..<n])
        }
        return nil
    }

    static func writeAll(_ fd: Int32, _ text: String) -> Bool {
        var bytes = Array(text.utf8)
        defer { wipe(&bytes) }
        var offset = 0
        while offset < bytes.count {
            #if os(Linux)
            let flags = Int32(MSG_NOSIGNAL)
            #else
            let flags: Int32 = 0
            #endif
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, flags) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// Overwrites a buffer that held a line of the protocol (which may carry credentials).
    static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBufferPointer { b in
            if let base = b.baseAddress { memset(base, 0, b.count) }
        }
        bytes.removeAll()
    }
}
