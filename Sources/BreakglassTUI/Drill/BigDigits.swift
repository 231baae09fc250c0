import BreakglassCore

/// A clock in digits three rows tall, for a time that must be read from across the room (the drill's
/// recovery clock). Two faces: with Unicode block elements, a 3×5-dot font drawn two dots to a cell
/// with `▀ ▄ █`; on ASCII terminals (`LineGlyphs.ascii`), seven segments of `_` and `|`.
///
/// Only digits and `:` have a face; anything else is a blank column of its own width.
public enum BigDigits {
    public static let height = 3

    /// `text` as `height` rows of equal width, one blank column between characters.
    public static func lines(_ text: String, ascii: Bool) -> [String] {
        var rows = Array(repeating: "", count: height)
        for (i, character) in text.enumerated() {
            let face = (ascii ? asciiFaces[character] : unicodeFaces[character]) ?? Array(repeating: " ", count: height)
            for r in 0..<height { rows[r] += (i > 0 ? " " : "") + face[r] }
        }
        return rows
    }

    /// Columns `lines(text, ascii:)` takes.
    public static func width(_ text: String, ascii: Bool) -> Int {
        lines(text, ascii: ascii).first.map(TerminalText.width) ?? 0
    }

    /// Dots, five rows of three (a colon is one wide), `#` lit.
    static let dots: [Character: [String]] = [
        "0": ["###", "#.#", "#.#", "#.#", "###"],
        "1": [".#.", "##.", ".#.", ".#.", "###"],
        "2": ["###", "..#", "###", "#..", "###"],
        "3": ["###", "..#", "###", "..#", "###"],
        "4": ["#.#", "#.#", "###", "..#", "..#"],
        "5": ["###", "#..", "###", "..#", "###"],
        "6": ["###", "#..", "###", "#.#", "###"],
        "7": ["###", "..#", "..#", "..#", "..#"],
        "8": ["###", "#.#", "###", "#.#", "###"],
        "9": ["###", "#.#", "###", "..#", "###"],
        ":": [".", "#", ".", "#", "."],
    ]

    /// Each cell shows two dot rows: the upper half, the lower half, both or neither.
    static let unicodeFaces: [Character: [String]] = dots.mapValues { rows in
        let padded = rows + [String(repeating: ".", count: rows[0].count)]
        return (0..<height).map { r in
            String(
                zip(padded[2 * r], padded[2 * r + 1]).map { top, bottom -> Character in
                    switch (top == "#", bottom == "#") {
                    case (true, true): "█"
                    case (true, false): "▀"
                    case (false, true): "▄"
                    case (false, false): " "
                    }
                })
        }
    }

    static let asciiFaces: [Character: [String]] = [
        "0": [" _ ", "| |", "|_|"],
        "1": ["   ", "  |", "  |"],
        "2": [" _ ", " _|", "|_ "],
        "3": [" _ ", " _|", " _|"],
        "4": ["   ", "|_|", "  |"],
        "5": [" _ ", "|_ ", " _|"],
        "6": [" _ ", "|_ ", "|_|"],
        "7": [" _ ", "  |", "  |"],
        "8": [" _ ", "|_|", "|_|"],
        "9": [" _ ", "|_|", " _|"],
        ":": [" ", ".", "."],
    ]
}
