import BreakglassTestSupport
import Foundation
import Testing

@Suite("Snapshot helper")
struct SnapshotTests {
    func temporaryTestFile() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("snapshot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("SomeTests.swift").path
    }

    @Test
    func recordsMissingSnapshotsThenComparesAndDiffs() throws {
        let file = try temporaryTestFile()
        #expect(throws: SnapshotMismatch.self) { try assertSnapshot("a\nb  \n", named: "s", filePath: file, environment: [:]) }
        try assertSnapshot("a\nb\n", named: "s", filePath: file, environment: [:])
        do {
            try assertSnapshot("a\nB\n", named: "s", filePath: file, environment: [:])
            Issue.record("a changed line must fail")
        } catch let mismatch as SnapshotMismatch {
            #expect(mismatch.diff == "    1 |a\n-   2 |b\n+     |B")
            #expect(mismatch.description.contains("SNAPSHOT_RECORD=1"))
        }
        try assertSnapshot("a\nB\n", named: "s", filePath: file, environment: ["SNAPSHOT_RECORD": "1"])
        try assertSnapshot("a\nB\n", named: "s", filePath: file, environment: [:])
    }

    @Test
    func diffShowsContextAroundChangesOnly() {
        let old = (1...10).map { "line \($0)" }.joined(separator: "\n")
        var newLines = (1...10).map { "line \($0)" }
        newLines[7] = "changed"
        let diff = lineDiff(expected: old, actual: newLines.joined(separator: "\n"))
        #expect(diff == "  ...\n    6 |line 6\n    7 |line 7\n-   8 |line 8\n+     |changed\n    9 |line 9\n   10 |line 10")
    }
}
