import BreakglassCore
import BreakglassFuzz
import Foundation
import XCTest

/// The fuzz targets (docs/FUZZING.md) in `make test`: every committed corpus input (Tests/Fuzz/corpus/
/// TARGET/, the seeds `make fuzz` starts from and the inputs that once crashed) gives success or a
/// clear error, and so do a few thousand seeded mutations of them.
final class FuzzCorpusTests: XCTestCase {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    static func corpus(_ target: FuzzTarget) throws -> [(name: String, bytes: [UInt8])] {
        let dir = fuzzDirectory.appendingPathComponent("corpus").appendingPathComponent(target.rawValue)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        return try names.map { name in
            (name, Array(try Data(contentsOf: dir.appendingPathComponent(name))))
        }
    }

    static func tokens(_ target: FuzzTarget) throws -> [[UInt8]] {
        let url = fuzzDirectory.appendingPathComponent("dict").appendingPathComponent(Fuzz.dictionaryName(for: target) + ".dict")
        return FuzzMutator.dictionaryTokens(try String(contentsOf: url, encoding: .utf8))
    }

    func testEveryCorpusInputGivesSuccessOrAClearError() throws {
        for target in FuzzTarget.allCases {
            let inputs = try Self.corpus(target)
            XCTAssertGreaterThanOrEqual(inputs.count, 5, "\(target.rawValue): the corpus has too few seeds")
            var rejected = 0
            for input in inputs {
                do {
                    if case .rejected = try Fuzz.run(target, input.bytes) { rejected += 1 }
                } catch {
                    XCTFail("corpus/\(target.rawValue)/\(input.name): \(error)")
                }
            }
            // Both sides are seeded: inputs that are accepted and inputs that are refused.
            XCTAssertGreaterThan(rejected, 0, "\(target.rawValue): no corpus input is refused")
            XCTAssertLessThan(rejected, inputs.count, "\(target.rawValue): every corpus input is refused")
        }
    }

    /// The shipped runbooks and scenarios are in the corpus, and load.
    func testShippedFilesInTheCorpusAreAccepted() throws {
        for (target, names) in [(FuzzTarget.runbook, ["db-overload.yaml", "rds-failover.yaml"]), (.scenario, ["holiday-sale.yaml"]), (.config, ["example.yaml"])] {
            let inputs = try Self.corpus(target)
            for name in names {
                let input = try XCTUnwrap(inputs.first { $0.name == name }, "corpus/\(target.rawValue)/\(name)")
                XCTAssertEqual(try Fuzz.run(target, input.bytes), .accepted, "\(target.rawValue)/\(name)")
            }
        }
    }

    /// Errors are clear: where they are, and what was wrong, with what was found quoted inertly.
    func testErrorsNameThePlaceAndQuoteControlsInertly() throws {
        let escapes = Array("aws: {profile: \"\\e[31mred\\u202e\"}\ncontacts: {\"\\e]52;c;aGk=\\a\": {name: x}}\n".utf8)
        guard case .rejected(let config) = try Fuzz.run(.config, escapes) else { return XCTFail("accepted") }
        XCTAssertTrue(config.hasPrefix("breakglass.yaml:2:"), config)
        XCTAssertFalse(config.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x202E }, config)

        guard case .rejected(let utf8) = try Fuzz.run(.runbook, Array("id: x\ntitle: a".utf8) + [0xFF]) else { return XCTFail("accepted") }
        XCTAssertEqual(utf8, "runbooks/fuzz.yaml:2:9: the file is not UTF-8 text (it has a byte sequence that is not UTF-8 here)")

        guard case .rejected(let json) = try Fuzz.run(.json, Array("{\"a\":01}".utf8)) else { return XCTFail("accepted") }
        XCTAssertEqual(json, "malformed JSON at byte 6: leading zero in a number")

        guard case .rejected(let xml) = try Fuzz.run(.xml, Array("<a><b></a>".utf8)) else { return XCTFail("accepted") }
        XCTAssertEqual(xml, "malformed XML at byte 9: </a> closes <b>")

        guard case .rejected(let request) = try Fuzz.run(.signRequest, Array("GET / HTTP/1.1\nHost:x\n  folded\n".utf8)) else { return XCTFail("accepted") }
        XCTAssertEqual(request, "line 3, column 1: folded (multi-line) header values are not supported")
    }

    /// Seeded truncations, bit flips, inserted bytes and dictionary tokens of every corpus input:
    /// none crashes, every error is clear. About 3,000 inputs; a failure names its seed and input.
    func testSeededMutationsOfTheCorpusGiveSuccessOrAClearError() throws {
        let perTarget: [FuzzTarget: Int] = [.config: 400, .runbook: 400, .scenario: 400, .xml: 600, .json: 600, .signRequest: 600]
        let started = Date()
        for target in FuzzTarget.allCases {
            let inputs = try Self.corpus(target)
            let seed = UInt64(target.rawValue.utf8.reduce(5381) { ($0 &* 33) &+ Int($1) }.magnitude)
            var mutator = FuzzMutator(seed: seed, tokens: try Self.tokens(target))
            var outcomes = (accepted: 0, rejected: 0)
            for i in 0..<(perTarget[target] ?? 0) {
                let input = inputs[i % inputs.count]
                let mutated = mutator.mutate(input.bytes)
                do {
                    switch try Fuzz.run(target, mutated) {
                    case .accepted: outcomes.accepted += 1
                    case .rejected: outcomes.rejected += 1
                    }
                } catch {
                    let saved = FileManager.default.temporaryDirectory.appendingPathComponent("breakglass-fuzz-\(target.rawValue)-\(seed)-\(i)")
                    try? Data(mutated).write(to: saved)
                    XCTFail("\(target.rawValue), seed \(seed), case \(i) (a mutation of \(input.name), saved to \(saved.path)): \(error)")
                }
            }
            XCTAssertGreaterThan(outcomes.rejected, 0, "\(target.rawValue): no mutation was refused; are the mutations happening?")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 60, "the mutation tests are meant to take seconds")
    }

    func testMutatorIsDeterministicAndParsesDictionaries() {
        var a = FuzzMutator(seed: 7, tokens: [Array("x".utf8)])
        var b = FuzzMutator(seed: 7, tokens: [Array("x".utf8)])
        let input = Array("hello world".utf8)
        let first = (0..<50).map { _ in a.mutate(input) }
        XCTAssertEqual(first, (0..<50).map { _ in b.mutate(input) })
        XCTAssertGreaterThan(Set(first).count, 30)
        XCTAssertEqual(FuzzMutator.dictionaryTokens("# c\n\"a\\\"b\"\n\"\\x0d\\x0a\"\nkw=\"Host:\"\n"), [Array("a\"b".utf8), [0x0D, 0x0A], Array("Host:".utf8)])
    }
}
