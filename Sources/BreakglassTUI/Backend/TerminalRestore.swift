import BreakglassCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Gives the terminal back on every way out: normal exit (the loop returns and the caller restores),
/// SIGINT/SIGTERM/SIGHUP (the handler only records the signal and wakes the loop, which restores and
/// returns 128 + signal, 130 for Ctrl-C) and crashes (SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT: the
/// handler restores at once, puts back the previous disposition — the default, or the Swift runtime's
/// backtracer when it installed one — and re-raises, so the crash report lands on a usable terminal).
///
/// Handlers must be installed before curses starts: ncurses installs its own SIGINT/SIGTERM/SIGWINCH
/// handlers only where the disposition is still the default, and ours must win. SIGWINCH is also
/// ours: it can be delivered to any thread, so an EINTR on the loop's poll is not a reliable signal;
/// the handler writes to the loop's wake pipe instead.
///
/// Handlers touch only the words below and call write(2), _exit(2), sigaction(2) and raise(3) (plus
/// the restore hook, best effort, when the process is going down anyway). The pipe write/poll pair
/// orders a handler's writes before the loop's reads.
enum TerminalRestore {
    /// Signals that ask the console to end, restoring first.
    static let terminationSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]
    static let crashSignals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT]

    struct Pending: Equatable, Sendable {
        var windowChanged = false
        /// The first termination signal received, if any.
        var terminate: Int32?
    }

    /// Installs the handlers. `wakeFD` is written (one byte) when a signal needs the loop's attention;
    /// `restore` puts the terminal back and must be safe to call more than once.
    static func install(wakeFD: Int32, restore: @escaping @convention(c) () -> Void) {
        guard !installed else { return }
        installed = true
        signalWords[Word.wakeFD.rawValue] = wakeFD
        signalWords[Word.pendingTerminate.rawValue] = 0
        signalWords[Word.pendingWindowChange.rawValue] = 0
        restoreHook.pointee = restore
        ChildProcesses.prepareForSignalHandlers()
        installAlternateStack()
        for sig in terminationSignals { set(sig, handler: handleTermination, flags: SA_RESTART) }
        set(SIGWINCH, handler: handleWindowChange, flags: SA_RESTART)
        for sig in crashSignals { set(sig, handler: handleCrash, flags: SA_ONSTACK) }
    }

    /// Puts back every disposition `install` replaced and stops waking the loop.
    static func uninstall() {
        guard installed else { return }
        for sig in terminationSignals + [SIGWINCH] + crashSignals {
            _ = sigaction(sig, savedActions + Int(sig), nil)
        }
        signalWords[Word.wakeFD.rawValue] = -1
        restoreHook.pointee = nil
        installed = false
    }

    /// What arrived since the last call. A window change is reported once; a termination stays.
    static func takePending() -> Pending {
        var pending = Pending()
        if signalWords[Word.pendingWindowChange.rawValue] != 0 {
            signalWords[Word.pendingWindowChange.rawValue] = 0
            pending.windowChanged = true
        }
        let terminate = signalWords[Word.pendingTerminate.rawValue]
        if terminate != 0 { pending.terminate = terminate }
        return pending
    }

    nonisolated(unsafe) private static var installed = false

    private static func set(_ sig: Int32, handler: @convention(c) (Int32) -> Void, flags: Int32) {
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = handler
        #else
        action.__sigaction_u.__sa_handler = handler
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = flags
        _ = sigaction(sig, &action, savedActions + Int(sig))
    }

    /// A stack overflow is reported as SIGSEGV on the overflowed stack; the handler needs its own
    /// stack to run at all. Applies to the thread that installs (the main loop's).
    private static func installAlternateStack() {
        let size = 64 * 1024
        guard let memory = malloc(size) else { return }
        var stack = stack_t()
        stack.ss_sp = memory
        stack.ss_size = size
        stack.ss_flags = 0
        if sigaltstack(&stack, nil) != 0 { free(memory) }
    }
}

/// State the signal handlers read. It lives behind raw pointers on purpose: a handler can interrupt the
/// main thread in the middle of an access to a Swift global, and Swift's exclusivity checks would then
/// trap; pointer accesses are not checked, never allocate and never lock. Each global is touched by
/// `install` before any handler can run, so its lazy initialization never happens inside a handler.
private enum Word: Int {
    case wakeFD, pendingTerminate, pendingWindowChange
}

nonisolated(unsafe) private let signalWords: UnsafeMutablePointer<Int32> = {
    let words = UnsafeMutablePointer<Int32>.allocate(capacity: 3)
    words.initialize(repeating: 0, count: 3)
    words[Word.wakeFD.rawValue] = -1
    return words
}()

/// Dispositions replaced by `install`, indexed by signal number.
nonisolated(unsafe) private let savedActions: UnsafeMutablePointer<sigaction> = {
    let actions = UnsafeMutablePointer<sigaction>.allocate(capacity: 65)
    actions.initialize(repeating: sigaction(), count: 65)
    return actions
}()

nonisolated(unsafe) private let restoreHook: UnsafeMutablePointer<(@convention(c) () -> Void)?> = {
    let hook = UnsafeMutablePointer<(@convention(c) () -> Void)?>.allocate(capacity: 1)
    hook.initialize(to: nil)
    return hook
}()

private func wakeLoop() {
    let savedErrno = errno
    var byte: UInt8 = 1
    let fd = signalWords[Word.wakeFD.rawValue]
    if fd >= 0 { _ = write(fd, &byte, 1) }
    errno = savedErrno
}

private func handleTermination(_ sig: Int32) {
    if signalWords[Word.pendingTerminate.rawValue] != 0 {
        // Asked twice: the loop did not get to it, so do not make the user wait.
        restoreHook.pointee?()
        ChildProcesses.terminateAllFromSignalHandler()
        _exit(128 + sig)
    }
    signalWords[Word.pendingTerminate.rawValue] = sig
    wakeLoop()
}

private func handleWindowChange(_ sig: Int32) {
    signalWords[Word.pendingWindowChange.rawValue] = 1
    wakeLoop()
}

private func handleCrash(_ sig: Int32) {
    restoreHook.pointee?()
    // A sandbox server started by this process (the demo) must not outlive it.
    ChildProcesses.terminateAllFromSignalHandler()
    _ = sigaction(sig, savedActions + Int(sig), nil)
    raise(sig)
}
