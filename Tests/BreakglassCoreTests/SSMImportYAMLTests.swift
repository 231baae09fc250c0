@testable import BreakglassCore
import Testing

/// The YAML writer behind import-ssm: whatever string it writes, the YAML reader gives back exactly.
@Suite("SSM import YAML")
struct SSMImportYAMLTests {
    typealias Y = SSMImportYAML

    /// A small seeded generator, so a failure can be repeated.
    typealias Generator = SplitMix64

    /// Pieces YAML treats specially, and ordinary ones.
    static let pieces: [String] = [
        "a", "b", "Z", "0", "7", "42", "-", "?", ":", ": ", ",", "[", "]", "{", "}", "#", " #", "&", "*", "!", "|", ">", "'", "\"", "%", "@", "`",
        " ", "  ", "\t", "\n", "\r", "\r\n", "\\", "\u{0}", "\u{7}", "\u{1B}", "\u{7F}", "\u{85}", "\u{A0}", "\u{2028}", "\u{2029}", "\u{FEFF}",
        "é", "日本", "🚀", "e\u{301}", "yes", "no", "on", "off", "y", "n", "true", "False", "null", "~", "NULL", ".inf", ".nan", "0x1F", "0o17",
        "1e3", "1_000", "12:30", "2024-12-01", "<<", "=", "---", "...", "{{cluster}}", "{{ steps.x.A[0].B }}", "}}", "DBClusters[0].Status",
        "arn:aws:iam::111122223333:role/x", "http://example.com/a#b", "- x", "? x", "word", " word ",
    ]

    static func randomString(_ g: inout Generator) -> String {
        let count = Int.random(in: 0...6, using: &g)
        let text = (0..<count).map { _ in pieces[Int.random(in: 0..<pieces.count, using: &g)] }.joined()
        // The reader drops a byte order mark at the very start of a value, however it is written.
        return text.hasPrefix("\u{FEFF}") ? "x" + text : text
    }

    /// `text` written in every position the writer uses, read back with the YAML reader.
    static func roundTrip(_ text: String) throws -> [String] {
        let long = Array(repeating: text.isEmpty ? "x" : text, count: 1 + 120 / max(1, text.count)).joined(separator: " ")
        let doc = Y.document(header: ["comment: " + text], [
            Y.Entry("block", .string(text), comments: [text]),
            Y.Entry("long", .string(long)),
            Y.Entry("flow", .mapping([Y.Entry("k", .string(text))])),
            Y.Entry("list", .list([Y.Item(.string(text)), Y.Item(.string(long)), Y.Item(.mapping([Y.Entry("in", .string(text)), Y.Entry("x", .string(long))]))])),
            Y.Entry("keys", .mapping([Y.Entry(text.isEmpty ? "empty" : text, .string("v")), Y.Entry("other", .list(Array(repeating: Y.Item(.string(long)), count: 2)))])),
        ])
        let parsed = try YAMLDocument.parse(doc, file: "t.yaml")
        guard let top = parsed.root?.entries() else { return [] }
        func value(_ key: String) -> YAMLValue? { top.first { $0.key == key }?.value }
        var out: [String] = []
        out.append(value("block")?.string(allowEmpty: true) ?? "<nil>")
        out.append(value("long")?.string(allowEmpty: true) == long ? text : "<long differs>")
        out.append(value("flow")?.entries()?.first?.value.string(allowEmpty: true) ?? "<nil>")
        let items = value("list")?.list() ?? []
        out.append(items.first?.string(allowEmpty: true) ?? "<nil>")
        out.append(items.dropFirst().first?.string(allowEmpty: true) == long ? text : "<long item differs>")
        let inner = items.last?.entries() ?? []
        out.append(inner.first?.value.string(allowEmpty: true) ?? "<nil>")
        out.append(inner.last?.value.string(allowEmpty: true) == long ? text : "<long inner differs>")
        out.append(text.isEmpty ? "" : value("keys")?.entries()?.first?.key ?? "<nil>")
        #expect(parsed.errors.isEmpty, "\(parsed.errors)")
        return out
    }

    @Test func randomStringsRoundTripUnchanged() throws {
        var g = Generator(seed: 20_250_131)
        for _ in 0..<1500 {
            let text = Self.randomString(&g)
            let back: [String]
            do {
                back = try Self.roundTrip(text)
            } catch {
                Issue.record("\(text.debugDescription) does not parse back: \(error)")
                continue
            }
            #expect(back == Array(repeating: text, count: 8), "\(text.debugDescription)")
        }
    }

    @Test(arguments: [
        "", "yes", "no", "null", "~", "8", "-3", "0.5", "1e3", "true", "007", "12:30", "2024-12-01", "key: value", "a #b", "#x", " lead", "trail ",
        "\"quoted\"", "'single'", "line\nbreak", "tab\there", "{{cluster}}", "- item", "*alias", "&anchor", "!tag", "%dir", "@at", "`tick",
        "multi\nline text\n\nwith a blank line", "ends with newline\n", "\nstarts with newline", "  indented\nfirst", "second\n  indented",
    ])
    func trickyStringsRoundTrip(_ text: String) throws {
        #expect(try Self.roundTrip(text) == Array(repeating: text, count: 8))
    }

    @Test func plainOnlyWhenPlainReadsTheSameText() {
        #expect(Y.scalar("prod-aurora") == "prod-aurora")
        #expect(Y.scalar("Restarts the server. It is gone for a minute.") == "Restarts the server. It is gone for a minute.")
        #expect(Y.scalar("arn:aws:iam::111122223333:role/x") == "arn:aws:iam::111122223333:role/x")
        #expect(Y.scalar("{{cluster}}") == "\"{{cluster}}\"")
        #expect(Y.scalar("yes") == "\"yes\"")
        #expect(Y.scalar("8") == "\"8\"")
        #expect(Y.scalar("a: b") == "\"a: b\"")
        #expect(Y.scalar("a #b") == "\"a #b\"")
        #expect(Y.scalar("line\nbreak\t\u{7}\u{85}\u{FEFF}") == #""line\nbreak\t\x07\N\uFEFF""#)
        #expect(Y.scalar("DBClusters[0].Status") == "DBClusters[0].Status")
        #expect(Y.scalar("DBClusters[0].Status", .flow) == "\"DBClusters[0].Status\"")
        #expect(Y.scalar("a, b", .flow) == "\"a, b\"")
    }

    @Test func theLayoutFollowsTheShippedRunbooks() {
        let text = Y.document(header: ["yaml-language-server: $schema=../docs/schemas/runbook.schema.json"], [
            Y.Entry("id", .string("rds-reboot")),
            Y.Entry("params", .mapping([Y.Entry("instance", .mapping([Y.Entry("default", .string("prod-aurora-1")), Y.Entry("pattern", .string("^[a-z][a-z0-9-]{0,62}$"))]))])),
            Y.Entry("steps", .list([
                Y.Item(.mapping([Y.Entry("say", .string(String(repeating: "Open the Alarms view and check. ", count: 4).trimmingCharacters(in: .whitespaces)))]), comments: ["First."]),
                Y.Item(.mapping([Y.Entry("id", .string("before")), Y.Entry("check", .mapping([
                    Y.Entry("call", .string("rds.DescribeDBInstances")),
                    Y.Entry("with", .mapping([Y.Entry("DBInstanceIdentifier", .string("{{instance}}"))])),
                    Y.Entry("expect", .mapping([Y.Entry("DBInstances[0].DBInstanceStatus", .string("available"))])),
                    Y.Entry("explain", .string("Two lines:\nthe second one.")),
                ]))])),
                Y.Item(.mapping([Y.Entry("do", .mapping([Y.Entry("call", .string("ec2.RebootInstances")), Y.Entry("with", .mapping([Y.Entry("InstanceIds", .list([Y.Item(.string("{{id}}"))])), Y.Entry("DryRun", .bool(false))]))]))])),
            ])),
        ])
        #expect(text == """
            # yaml-language-server: $schema=../docs/schemas/runbook.schema.json
            id: rds-reboot
            params:
              instance: { default: prod-aurora-1, pattern: "^[a-z][a-z0-9-]{0,62}$" }
            steps:
              # First.
              - say: >-
                  Open the Alarms view and check. Open the Alarms view and check. Open the Alarms view and
                  check. Open the Alarms view and check.
              - id: before
                check:
                  call: rds.DescribeDBInstances
                  with: { DBInstanceIdentifier: "{{instance}}" }
                  expect: { "DBInstances[0].DBInstanceStatus": available }
                  explain: |-
                    Two lines:
                    the second one.
              - do:
                  call: ec2.RebootInstances
                  with: { InstanceIds: ["{{id}}"], DryRun: false }

            """)
    }

    @Test func foldingBreaksOnlyAtSingleSpaces() {
        #expect(Y.fold("aaa bbb ccc", width: 7) == ["aaa bbb", "ccc"])
        #expect(Y.fold("aaa  bbb ccc", width: 4) == ["aaa  bbb", "ccc"])
        #expect(Y.fold("abcdefghij klm", width: 4) == ["abcdefghij", "klm"])
        #expect(Y.fold("short", width: 40) == ["short"])
    }
}
