/// Columns × rows of a terminal.
public struct TerminalSize: Hashable, Sendable {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
}

/// Where frames go and keys come from. The console loop talks only to this; `NCursesBackend` is the
/// real terminal and `TestBackend` (in BreakglassTestSupport) records frames for tests.
public protocol TerminalBackend: AnyObject {
    /// The current size; after a `.resize` key it is the new size.
    var size: TerminalSize { get }
    /// Readable when keys are waiting; the loop polls it and then drains `readKey`.
    var inputFileDescriptor: Int32 { get }
    /// Makes the screen show `grid`. Sends only what changed since the last draw when it can.
    func draw(_ grid: CellGrid)
    /// The next pending key, or nil at once when none is waiting. Never blocks.
    func readKey() -> Key?
    /// Rings the terminal bell (or flashes, if the terminal prefers).
    func bell()
    /// Makes the next `draw` repaint everything, for a screen garbled by other output.
    func invalidate()
    /// Picks up the terminal's size after a SIGWINCH; returns whether it changed.
    @discardableResult func refreshSize() -> Bool
    /// Gives the terminal back to the shell. Idempotent.
    func restore()
}
