import Foundation

/// A snapshot that differs from the stored one (or was missing). Its description is a readable
/// line diff, so a failing test shows what changed without opening files.
public struct SnapshotMismatch: Error, CustomStringConvertible {
    public let name: String
    public let path: String
    public let diff: String

    public var description: String {
        "snapshot \(name) differs from \(path) (re-record with SNAPSHOT_RECORD=1 if the change is intended):\n\(diff)"
    }
}

/// Compares `text` with `__Snapshots__/NAME.txt` beside the calling test file.
///
/// - With `SNAPSHOT_RECORD=1` in the environment it writes the file and passes.
/// - When the file is missing it writes it and throws, so a new snapshot is looked at once before it
///   guards anything.
/// - Otherwise it throws `SnapshotMismatch` with a line diff when the texts differ.
///
/// Trailing spaces are stripped from every line before comparing and storing (editors and diffs
/// hide them); tests that care about exact widths should assert them separately.
public func assertSnapshot(
    _ text: String, named name: String, filePath: String = #filePath,
    environment: [String: String] = ProcessInfo.processInfo.environment
) throws {
    let directory = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        .appendingPathComponent("__Snapshots__", isDirectory: true)
    let file = directory.appendingPathComponent("\(name).txt")
    let actual = normalizeSnapshot(text)
    let fileManager = FileManager.default

    if environment["SNAPSHOT_RECORD"] == "1" || !fileManager.fileExists(atPath: file.path) {
        let existed = fileManager.fileExists(atPath: file.path)
        try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(actual.utf8).write(to: file)
        if existed || environment["SNAPSHOT_RECORD"] == "1" { return }
        throw SnapshotMismatch(
            name: name, path: file.path, diff: "no stored snapshot; recorded it. Check the file and run again.")
    }
    let expected = try String(decoding: Data(contentsOf: file), as: UTF8.self)
    guard normalizeSnapshot(expected) != actual else { return }
    throw SnapshotMismatch(name: name, path: file.path, diff: lineDiff(expected: expected, actual: actual))
}

/// `lines` joined with newlines, as snapshot text (one trailing newline).
public func snapshotText(_ lines: [String]) -> String {
    lines.joined(separator: "\n") + "\n"
}

private func normalizeSnapshot(_ text: String) -> String {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
        var s = Substring(line)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
    while lines.last == "" { lines.removeLast() }
    return lines.joined(separator: "\n") + "\n"
}

/// A unified-style diff by longest common subsequence: "-" lines only in the stored snapshot, "+"
/// lines only in the new text, two lines of context around each change, line numbers of the stored
/// file. Snapshots are screens (tens of lines), so the quadratic table is small.
public func lineDiff(expected: String, actual: String) -> String {
    let old = normalizeSnapshot(expected).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    let new = normalizeSnapshot(actual).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    var table = Array(repeating: Array(repeating: 0, count: new.count + 1), count: old.count + 1)
    for i in stride(from: old.count - 1, through: 0, by: -1) {
        for j in stride(from: new.count - 1, through: 0, by: -1) {
            table[i][j] = old[i] == new[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
        }
    }
    enum Op { case same(Int, String), removed(Int, String), added(String) }
    var ops: [Op] = []
    var i = 0
    var j = 0
    while i < old.count || j < new.count {
        if i < old.count, j < new.count, old[i] == new[j] {
            ops.append(.same(i + 1, old[i]))
            i += 1
            j += 1
        } else if i < old.count, j == new.count || table[i + 1][j] >= table[i][j + 1] {
            ops.append(.removed(i + 1, old[i]))
            i += 1
        } else {
            ops.append(.added(new[j]))
            j += 1
        }
    }
    var show = Array(repeating: false, count: ops.count)
    for (k, op) in ops.enumerated() {
        if case .same = op { continue }
        for c in max(0, k - 2)...min(ops.count - 1, k + 2) { show[c] = true }
    }
    var out: [String] = []
    var skipped = false
    for (k, op) in ops.enumerated() {
        guard show[k] else {
            skipped = true
            continue
        }
        if skipped { out.append("  ...") }
        skipped = false
        switch op {
        case .same(let n, let line): out.append(String(format: "  %3d |", n) + line)
        case .removed(let n, let line): out.append(String(format: "- %3d |", n) + line)
        case .added(let line): out.append("+     |" + line)
        }
    }
    return out.joined(separator: "\n")
}
