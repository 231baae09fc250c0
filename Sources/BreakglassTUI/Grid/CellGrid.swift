import BreakglassCore

/// One terminal cell. A wide character occupies two cells: the first holds it with `width` 2, the second
/// is a continuation (`width` 0) that draws nothing. Invariant kept by `CellGrid`: every width-2 cell is
/// followed by a continuation in the same row, and every continuation follows a width-2 cell.
public struct Cell: Hashable, Sendable {
    /// One grapheme cluster; a space for blank and continuation cells.
    public var text: Character
    /// 1 or 2 for a cell that starts a character, 0 for the right half of a wide one.
    public var width: UInt8
    public var style: Style

    public init(text: Character, width: UInt8, style: Style) {
        self.text = text
        self.width = width
        self.style = style
    }

    public var isContinuation: Bool { width == 0 }

    public static func blank(_ style: Style) -> Cell { Cell(text: " ", width: 1, style: style) }
}

/// A frame: what the terminal should show, cell by cell. Rendering is a pure function into a grid and
/// the backend copies the grid to the screen, so widgets never touch curses and tests can read frames.
///
/// The grid does not sanitize: callers pass text that went through `TerminalText.sanitize`. It does
/// handle widths: it never stores half a wide character, and overwriting either half of one clears the
/// other half.
public struct CellGrid: Hashable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int, style: Style = .plain) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank(style), count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        cells[y * width + x]
    }

    /// Writes `text` from column `x` of row `y`, using at most `maxWidth` columns and never past the
    /// right edge. Stops before a character that does not fit whole (a wide character never loses its
    /// right half). Zero-width clusters, which have no cell of their own, are skipped, and nothing is
    /// written outside the grid. Returns the number of columns written.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: Style, maxWidth: Int = .max) -> Int {
        guard y >= 0, y < height, x >= 0, x < width, maxWidth > 0 else { return 0 }
        let limit = maxWidth >= width - x ? width : x + maxWidth
        var column = x
        for character in text {
            let w = TerminalText.width(of: character)
            if w == 0 { continue }
            if column + w > limit { break }
            place(character, width: w, x: column, y: y, style: style)
            column += w
        }
        return column - x
    }

    /// Sets a `width`×`height` block from (`x`, `y`) to `character` in `style`, clipped to the grid.
    /// `character` must be one column wide; anything else is drawn as a space.
    public mutating func fill(
        x: Int = 0, y: Int, width fillWidth: Int? = nil, height fillHeight: Int = 1,
        character: Character = " ", style: Style
    ) {
        let ch = TerminalText.width(of: character) == 1 ? character : " "
        let x0 = max(0, x)
        let x1 = min(width, x + (fillWidth ?? width))
        let y0 = max(0, y)
        let y1 = min(height, y + fillHeight)
        guard x0 < x1, y0 < y1 else { return }
        for row in y0..<y1 {
            for column in x0..<x1 {
                place(ch, width: 1, x: column, y: row, style: style)
            }
        }
    }

    /// Sets the style of a run of cells without changing their text, e.g. to highlight a row after its
    /// columns were written. Both halves of a wide character get the style.
    public mutating func restyle(x: Int = 0, y: Int, width runWidth: Int? = nil, style: Style) {
        guard y >= 0, y < height else { return }
        let x0 = max(0, x)
        let x1 = min(width, x + (runWidth ?? width))
        guard x0 < x1 else { return }
        for column in x0..<x1 { cells[y * width + column].style = style }
    }

    /// The text of row `y` as a terminal would show it (continuation cells contribute nothing, so the
    /// result is exactly `width` columns wide).
    public func rowText(_ y: Int) -> String {
        text(x: 0, y: y, width: width)
    }

    /// The text of `width` columns from (`x`, `y`). A wide character whose head is in the range counts
    /// whole; a continuation at the start of the range is skipped.
    public func text(x: Int, y: Int, width runWidth: Int) -> String {
        guard y >= 0, y < height else { return "" }
        var out = ""
        let x0 = max(0, x)
        let x1 = min(width, x + runWidth)
        guard x0 < x1 else { return "" }
        for column in x0..<x1 {
            let cell = cells[y * width + column]
            if !cell.isContinuation { out.append(cell.text) }
        }
        return out
    }

    /// Every row's text, top to bottom; what snapshot tests compare.
    public func textLines() -> [String] {
        (0..<height).map(rowText)
    }

    private mutating func place(_ character: Character, width w: Int, x: Int, y: Int, style: Style) {
        let row = y * width
        clearOverlap(row: row, x: x)
        if w == 2 { clearOverlap(row: row, x: x + 1) }
        cells[row + x] = Cell(text: character, width: UInt8(w), style: style)
        if w == 2 { cells[row + x + 1] = Cell(text: " ", width: 0, style: style) }
    }

    /// Before cell `x` is overwritten: if it is half of a wide character, turns the other half into a
    /// blank so no orphan half remains.
    private mutating func clearOverlap(row: Int, x: Int) {
        let cell = cells[row + x]
        if cell.width == 0, x > 0 {
            cells[row + x - 1] = .blank(cells[row + x - 1].style)
        } else if cell.width == 2, x + 1 < width {
            cells[row + x + 1] = .blank(cells[row + x + 1].style)
        }
    }
}

extension CellGrid {
    /// A frame of `glyphs`' box-drawing characters (ASCII `+ - |` on terminals that need it) round
    /// `width`×`height` cells at `x`, `y`; nothing when narrower or lower than 2.
    mutating func drawBox(x: Int, y: Int, width w: Int, height h: Int, style: Style, glyphs: LineGlyphs) {
        guard w >= 2, h >= 2 else { return }
        put(String(glyphs.topLeft), x: x, y: y, style: style)
        put(String(glyphs.topRight), x: x + w - 1, y: y, style: style)
        put(String(glyphs.bottomLeft), x: x, y: y + h - 1, style: style)
        put(String(glyphs.bottomRight), x: x + w - 1, y: y + h - 1, style: style)
        fill(x: x + 1, y: y, width: w - 2, character: glyphs.horizontal, style: style)
        fill(x: x + 1, y: y + h - 1, width: w - 2, character: glyphs.horizontal, style: style)
        fill(x: x, y: y + 1, width: 1, height: h - 2, character: glyphs.vertical, style: style)
        fill(x: x + w - 1, y: y + 1, width: 1, height: h - 2, character: glyphs.vertical, style: style)
    }
}
