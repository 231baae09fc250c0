import BreakglassCore
import BreakglassTUI
import Testing

@Suite("CellGrid")
struct GridTests {
    let red = Style(foreground: .indexed(1))

    @Test(arguments: [
        // (grid width, text, x, maxWidth, row text, columns written)
        (8, "hello", 0, Int.max, "hello   ", 5),
        (8, "hello", 5, Int.max, "     hel", 3),
        (5, "abcd漢", 0, Int.max, "abcd ", 4),
        (6, "漢字", 0, 3, "漢    ", 2),
        (6, "漢字", 1, Int.max, " 漢字 ", 4),
        (4, "e\u{301}x", 0, Int.max, "e\u{301}x  ", 2),
        (4, "\u{301}a", 0, Int.max, "a   ", 1),
        (4, "a\u{1B}b", 0, Int.max, "ab  ", 2),
        (4, "abc", 4, Int.max, "    ", 0),
        (4, "abc", 0, 0, "    ", 0),
        (4, "👩‍👩‍👧x", 0, Int.max, "👩‍👩‍👧x ", 3),
    ])
    func put(_ width: Int, _ text: String, _ x: Int, _ maxWidth: Int, _ row: String, _ written: Int) {
        var grid = CellGrid(width: width, height: 1)
        #expect(grid.put(text, x: x, y: 0, style: red, maxWidth: maxWidth) == written)
        #expect(grid.rowText(0) == row)
        #expect(TerminalText.width(grid.rowText(0)) == width)
        #expect(violations(grid).isEmpty)
    }

    @Test(arguments: [
        // Writes applied in order to a 4-wide row, and the row afterwards.
        ([("漢", 0), ("x", 1)], " x  "),
        ([("漢", 0), ("y", 0)], "y   "),
        ([("漢字", 0), ("日", 1)], " 日 "),
        ([("ab", 0), ("漢", 1)], "a漢 "),
        ([("a漢", 0), ("字", 2)], "a 字"),
    ] as [([(String, Int)], String)])
    func overwritingHalfAWideCharacterClearsTheOtherHalf(_ writes: [(String, Int)], _ row: String) {
        var grid = CellGrid(width: 4, height: 1)
        for (text, x) in writes { grid.put(text, x: x, y: 0, style: .plain) }
        #expect(grid.rowText(0) == row)
        #expect(violations(grid).isEmpty)
    }

    @Test
    func randomWritesKeepTheWideCharacterInvariant() {
        var generator = SplitMix64(seed: 42)
        let pieces = ["a", "漢", "字字", "🔥", "e\u{301}", "xy", "Ａ", " "]
        var grid = CellGrid(width: 9, height: 3)
        for _ in 0..<2000 {
            let text = (0..<Int(generator.next() % 4)).map { _ in pieces[Int(generator.next() % UInt64(pieces.count))] }.joined()
            grid.put(
                text, x: Int(generator.next() % 10), y: Int(generator.next() % 3), style: .plain,
                maxWidth: Int(generator.next() % 10))
            if generator.next() % 5 == 0 {
                grid.fill(x: Int(generator.next() % 9), y: Int(generator.next() % 3), width: 2, style: red)
            }
            #expect(violations(grid).isEmpty)
        }
        for y in 0..<3 { #expect(TerminalText.width(grid.rowText(y)) == 9) }
    }

    @Test
    func fillAndRestyleClipToTheGrid() {
        var grid = CellGrid(width: 5, height: 3)
        grid.fill(x: 3, y: 1, width: 10, height: 10, character: "#", style: red)
        #expect(grid.textLines() == ["     ", "   ##", "   ##"])
        #expect(grid[4, 2].style == red)
        grid.restyle(y: 0, style: red)
        #expect((0..<5).allSatisfy { grid[$0, 0].style == red })
        grid.fill(y: 0, character: "漢", style: .plain)
        #expect(grid.rowText(0) == "     ")
    }

    @Test
    func textReadsColumnsAndSkipsAContinuationAtTheStart() {
        var grid = CellGrid(width: 6, height: 1)
        grid.put("a漢字", x: 0, y: 0, style: .plain)
        #expect(grid.text(x: 1, y: 0, width: 2) == "漢")
        #expect(grid.text(x: 2, y: 0, width: 3) == "字")
        #expect(grid.text(x: 0, y: 5, width: 3) == "")
    }
}

/// Broken wide-character pairs in `grid`, as "x,y" strings (empty when the invariant holds).
func violations(_ grid: CellGrid) -> [String] {
    var found: [String] = []
    for y in 0..<grid.height {
        for x in 0..<grid.width {
            let cell = grid[x, y]
            if cell.width == 2 && (x + 1 >= grid.width || !grid[x + 1, y].isContinuation) { found.append("\(x),\(y) head") }
            if cell.isContinuation && (x == 0 || grid[x - 1, y].width != 2) { found.append("\(x),\(y) orphan") }
            if !cell.isContinuation && Int(cell.width) != TerminalText.width(of: cell.text) { found.append("\(x),\(y) width") }
        }
    }
    return found
}
