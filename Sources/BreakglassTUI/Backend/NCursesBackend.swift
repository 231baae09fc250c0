import CNCursesW

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real terminal, through ncursesw. The only file that imports the curses module: everything
/// else draws into a `CellGrid` and reads `Key`s.
///
/// Drawing copies the grid into curses' virtual screen and calls `wnoutrefresh` + `doupdate`, so
/// curses sends only the cells that changed since the last frame.
public final class NCursesBackend: TerminalBackend {
    /// Sets the process locale from the environment (curses needs it for wide characters) and returns
    /// its codeset for `TerminalCheck`. Call once, before `init`.
    public static func prepareLocale() -> String {
        _ = cursesActiveFlag.pointee  // initialize the flag now, never first inside a signal handler
        _ = setlocale(LC_ALL, "")
        guard let codeset = bg_codeset() else { return "" }
        return String(cString: codeset)
    }

    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The depth frames are drawn at; degrade the theme to it before rendering.
    public let colorDepth: ColorDepth
    /// Box and sparkline characters this terminal can show.
    public let glyphs: LineGlyphs
    public private(set) var size: TerminalSize
    public var inputFileDescriptor: Int32 { STDIN_FILENO }

    private var active = false
    /// Direct-colour terminals (COLORS = 2^24) take colour numbers as 0xRRGGBB above 7.
    private let directColor: Bool
    private let terminalColors: Int
    private let maxPairs: Int
    private var nextPair = 1
    private var pairs: [PairKey: Int16] = [:]
    private var styles: [Style: (attr_t, Int16)] = [:]
    private var buffer: [wchar_t] = []

    private struct PairKey: Hashable {
        let foreground: Int32
        let background: Int32
    }

    /// Starts curses on the process's terminal: cbreak, no echo, keypad, hidden cursor, non-blocking
    /// reads, a 25 ms Esc delay, and colours unless `policy`/`NO_COLOR`/the terminal rule them out.
    /// Install `TerminalRestore` first. Throws when the terminal type is unknown to terminfo.
    public init(environment: [String: String], colorPolicy: ColorPolicy) throws {
        guard bg_newterm(nil) != nil else {
            let term = environment["TERM"] ?? ""
            throw StartError(
                description: "breakglass console does not know how to drive a terminal of type "
                    + "TERM=\(term): terminfo has no entry for it. Set TERM to a type installed here, "
                    + "e.g. `export TERM=xterm-256color` (`tmux-256color` or `screen` inside tmux or "
                    + "screen), or install the ncurses-term package, and run it again.")
        }
        cursesActiveFlag.pointee = 1
        active = true
        let screen = bg_stdscr()
        _ = cbreak()
        _ = noecho()
        _ = nonl()
        _ = keypad(screen, true)
        _ = intrflush(screen, false)
        _ = leaveok(screen, true)
        _ = nodelay(screen, true)
        _ = curs_set(0)
        bg_set_escdelay(25)

        let allowsColor = ColorDepth.detect(environment: environment, terminalColors: 256, policy: colorPolicy) != .mono
        if allowsColor && has_colors() {
            _ = start_color()
            _ = use_default_colors()
            terminalColors = Int(bg_colors())
            colorDepth = ColorDepth.detect(
                environment: environment, terminalColors: terminalColors, policy: colorPolicy)
        } else {
            terminalColors = 0
            colorDepth = .mono
        }
        directColor = terminalColors > 256
        maxPairs = colorDepth == .mono ? 0 : min(Int(bg_color_pairs()), Int(Int16.max))
        size = TerminalSize(width: Int(bg_cols()), height: Int(bg_lines()))
        glyphs = LineGlyphs.forTerminal(environment["TERM"] ?? "")
    }

    deinit { restore() }

    public func draw(_ grid: CellGrid) {
        guard active, let window = bg_stdscr() else { return }
        let rows = min(grid.height, Int(bg_lines()))
        let columns = min(grid.width, Int(bg_cols()))
        for y in 0..<rows {
            var x = 0
            while x < columns {
                if grid[x, y].isContinuation {
                    x += 1
                    continue
                }
                let start = x
                let style = grid[x, y].style
                buffer.removeAll(keepingCapacity: true)
                // A run ends at a style change and after any non-ASCII character: the next run is then
                // placed by absolute position, so a character whose width the C library judges
                // differently from TerminalText cannot shift the rest of the row.
                while x < columns {
                    let cell = grid[x, y]
                    if cell.isContinuation {
                        x += 1
                        continue
                    }
                    if cell.style != style { break }
                    for scalar in cell.text.unicodeScalars { buffer.append(wchar_t(bitPattern: scalar.value)) }
                    x += 1
                    if !cell.text.isASCII { break }
                }
                let (attributes, pair) = cursesStyle(style)
                _ = bg_wattr_set(window, attributes, pair)
                _ = buffer.withUnsafeBufferPointer { text in
                    mvwaddnwstr(window, Int32(y), Int32(start), text.baseAddress, Int32(text.count))
                }
            }
        }
        _ = wnoutrefresh(window)
        _ = doupdate()
    }

    public func readKey() -> Key? {
        guard active else { return nil }
        while true {
            var code: wint_t = 0
            let status = wget_wch(bg_stdscr(), &code)
            if status == ERR { return nil }
            let key = status == bg_key_code_yes() ? functionKey(Int32(bitPattern: code)) : characterKey(UInt32(code))
            if let key { return key }
        }
    }

    public func bell() {
        guard active else { return }
        _ = beep()
    }

    public func invalidate() {
        guard active else { return }
        _ = bg_clearok_curscr()
    }

    @discardableResult
    public func refreshSize() -> Bool {
        guard active else { return false }
        var rows: Int32 = 0
        var columns: Int32 = 0
        var changed = false
        if bg_winsize(STDOUT_FILENO, &rows, &columns) == 0, rows != bg_lines() || columns != bg_cols() {
            _ = resizeterm(rows, columns)
            changed = true
        }
        size = TerminalSize(width: Int(bg_cols()), height: Int(bg_lines()))
        return changed
    }

    public func restore() {
        guard active else { return }
        active = false
        cursesActiveFlag.pointee = 0
        _ = endwin()
    }

    /// For `TerminalRestore`'s crash and second-signal paths: ends curses if it is running. Plain C
    /// function, no Swift state beyond a raw flag, so it can be called from a signal handler.
    public static let emergencyRestore: @convention(c) () -> Void = {
        if cursesActiveFlag.pointee != 0 {
            cursesActiveFlag.pointee = 0
            _ = endwin()
        }
    }

    // MARK: Keys

    private func functionKey(_ code: Int32) -> Key? {
        switch code {
        case bg_key_up(): return .up
        case bg_key_down(): return .down
        case bg_key_left(): return .left
        case bg_key_right(): return .right
        case bg_key_ppage(): return .pageUp
        case bg_key_npage(): return .pageDown
        case bg_key_home(): return .home
        case bg_key_end(): return .end
        case bg_key_enter(): return .enter
        case bg_key_backspace(): return .backspace
        case bg_key_btab(): return .backTab
        case bg_key_dc(): return .delete
        case bg_key_resize():
            size = TerminalSize(width: Int(bg_cols()), height: Int(bg_lines()))
            return .resize
        case bg_key_f(1)...bg_key_f(63): return .function(Int(code - bg_key_f(0)))
        default: return nil
        }
    }

    private func characterKey(_ value: UInt32) -> Key? {
        switch value {
        case 0x09: return .tab
        case 0x0A, 0x0D: return .enter
        case 0x1B: return .escape
        case 0x08, 0x7F: return .backspace
        case 0x01...0x1A: return Unicode.Scalar(0x60 + value).map { .ctrl(Character($0)) }
        case 0x00...0x1F, 0x80...0x9F: return nil
        default: return Unicode.Scalar(value).map { .char(Character($0)) }
        }
    }

    // MARK: Colours

    private func cursesStyle(_ style: Style) -> (attr_t, Int16) {
        if let cached = styles[style] { return cached }
        var attributes = bg_a_normal()
        if style.attributes.contains(.bold) { attributes |= bg_a_bold() }
        if style.attributes.contains(.reverse) { attributes |= bg_a_reverse() }
        if style.attributes.contains(.underline) { attributes |= bg_a_underline() }
        if style.attributes.contains(.dim) { attributes |= bg_a_dim() }
        var pair: Int16 = 0
        if colorDepth != .mono {
            let (foreground, brighten) = colorNumber(style.foreground)
            let (background, _) = colorNumber(style.background)
            if brighten { attributes |= bg_a_bold() }
            pair = pairNumber(foreground: foreground, background: background)
        }
        styles[style] = (attributes, pair)
        return (attributes, pair)
    }

    /// The curses colour number for `color`, and whether the foreground needs bold to stand in for a
    /// bright colour the terminal lacks (8-colour terminals such as the Linux console).
    private func colorNumber(_ color: ThemeColor) -> (Int32, Bool) {
        switch color.degraded(to: colorDepth) {
        case .terminalDefault:
            return (-1, false)
        case .indexed(let n):
            if directColor && n >= 8 {
                let (r, g, b) = Palette.rgb(ofIndex: n)
                return (Int32(r << 16 | g << 8 | b), false)
            }
            if Int(n) < terminalColors { return (Int32(n), false) }
            if n < 16 { return (Int32(n % 8), true) }
            let (r, g, b) = Palette.rgb(ofIndex: n)
            return (Int32(Palette.nearestANSI(r, g, b) % 8), false)
        case .rgb(let r, let g, let b):
            return (Int32(r) << 16 | Int32(g) << 8 | Int32(b), false)
        }
    }

    private func pairNumber(foreground: Int32, background: Int32) -> Int16 {
        if foreground == -1 && background == -1 { return 0 }
        let key = PairKey(foreground: foreground, background: background)
        if let pair = pairs[key] { return pair }
        guard nextPair < maxPairs, init_extended_pair(Int32(nextPair), foreground, background) != ERR else {
            return 0
        }
        let pair = Int16(nextPair)
        pairs[key] = pair
        nextPair += 1
        return pair
    }
}

/// Whether curses is running, readable from a signal handler (a raw word, no exclusivity checks).
nonisolated(unsafe) private let cursesActiveFlag: UnsafeMutablePointer<Int32> = {
    let flag = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    flag.initialize(to: 0)
    return flag
}()
