import BreakglassAWS
import BreakglassCore
import Foundation

/// The fuzz targets (docs/FUZZING.md): one plain function per parser of untrusted input, called by
/// the libFuzzer driver (`breakglass-fuzz`, built by scripts/fuzz.sh with `-sanitize=fuzzer`) and by
/// the tests that replay the committed corpus (Tests/Fuzz/corpus/TARGET/) in `make test`.
///
/// A target gives `.accepted` or `.rejected(message)`. Both are fine; what is not is a crash (the
/// process dies, which libFuzzer records) or an error that is not clear, which `run` throws as a
/// `FuzzViolation` and the driver turns into a crash: a loader error with no message or a position
/// outside the input, a decoder error with no reason or an offset past the end, a message carrying
/// a terminal control character, or a decoded value that does not survive encoding and decoding again.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `breakglass.yaml`, through `ConfigLoader`.
    case config
    /// `runbooks/*.yaml`, through `RunbookLoader`.
    case runbook
    /// `scenarios/*.yaml`, through `ScenarioLoader`.
    case scenario
    /// A query-protocol answer or error body, through `XML.decode`.
    case xml
    /// An awsJson answer or error body, through `JSON.decode`, then the DescribeAlarms and
    /// GetMetricData page decoders.
    case json
    /// `breakglass aws sign`'s stdin, through `RawRequest.parse`, then signed and printed.
    case signRequest = "sign-request"
}

/// What a target made of one input.
public enum FuzzOutcome: Sendable, Equatable {
    case accepted
    /// The error the user would see.
    case rejected(String)
}

/// An input a target handled without crashing but not well: the error it gave is not clear.
public struct FuzzViolation: Error, Sendable, CustomStringConvertible {
    public let target: FuzzTarget
    public let problem: String
    public var description: String { "\(target.rawValue): \(problem)" }
}

public enum Fuzz {
    /// The name errors give the input, as if it were a file of that name.
    public static func fileName(for target: FuzzTarget) -> String {
        switch target {
        case .config: "breakglass.yaml"
        case .runbook: "runbooks/fuzz.yaml"
        case .scenario: "scenarios/fuzz.yaml"
        case .xml: "response.xml"
        case .json: "response.json"
        case .signRequest: "stdin"
        }
    }

    /// The libFuzzer dictionary (Tests/Fuzz/dict/NAME.dict) for a target.
    public static func dictionaryName(for target: FuzzTarget) -> String {
        switch target {
        case .config, .runbook, .scenario: "yaml"
        case .xml: "xml"
        case .json: "json"
        case .signRequest: "sign-request"
        }
    }

    public static func run(_ target: FuzzTarget, _ bytes: [UInt8]) throws(FuzzViolation) -> FuzzOutcome {
        switch target {
        case .config, .runbook, .scenario: return try loader(target, bytes)
        case .xml: return try xml(bytes)
        case .json: return try json(bytes)
        case .signRequest: return try signRequest(bytes)
        }
    }

    // MARK: Loaders

    static func loader(_ target: FuzzTarget, _ bytes: [UInt8]) throws(FuzzViolation) -> FuzzOutcome {
        let file = fileName(for: target)
        do throws(SourceErrors) {
            let text = try YAMLDocument.text(of: bytes, file: file)
            switch target {
            case .config: _ = try ConfigLoader.parse(text, file: file)
            case .runbook: _ = try RunbookLoader.parse(text, file: file)
            default: _ = try ScenarioLoader.parse(text, file: file)
            }
            return .accepted
        } catch {
            return .rejected(try checkSourceErrors(error, target: target, bytes: bytes))
        }
    }

    /// Every problem names the input, has a message, and sits on a line the input has (line 0, the
    /// file as a whole, is allowed for problems that have no place, such as an empty file).
    static func checkSourceErrors(_ errors: SourceErrors, target: FuzzTarget, bytes: [UInt8]) throws(FuzzViolation) -> String {
        guard !errors.errors.isEmpty else { throw FuzzViolation(target: target, problem: "the loader threw an empty list of errors") }
        let lines = yamlLineCount(bytes)
        for e in errors.errors {
            let problem: String?
            if e.file != fileName(for: target) {
                problem = "an error names the file \(e.file.debugDescription)"
            } else if e.message.trimmingCharacters(in: .whitespaces).isEmpty {
                problem = "an error at \(e.location) has no message"
            } else if e.line < 0 || e.column < 0 || (e.line == 0) != (e.column == 0) {
                problem = "an error has the position line \(e.line), column \(e.column)"
            } else if e.line > lines + 1 {
                problem = "an error is at line \(e.line) of an input of \(lines) lines"
            } else if let c = controlCharacter(in: e.description) {
                problem = "an error's text carries the control character U+\(String(c.value, radix: 16, uppercase: true)): \(e.description.debugDescription)"
            } else {
                problem = nil
            }
            if let problem { throw FuzzViolation(target: target, problem: problem) }
        }
        return errors.description
    }

    // MARK: Decoders

    static func xml(_ bytes: [UInt8]) throws(FuzzViolation) -> FuzzOutcome {
        let root: XMLElement
        do {
            root = try XML.decode(bytes)
        } catch {
            try checkDecodeError(.xml, offset: error.offset, reason: error.reason, description: error.description, count: bytes.count)
            return .rejected(error.description)
        }
        // What the client reads from a query answer or error: every lookup must be safe on any tree.
        _ = root.first("Error")?.child("Code")?.text
        _ = root.first("RequestId")?.text
        _ = root.path("DescribeAlarmsResult", "MetricAlarms")?.children.count
        // An element's text written with XML.escape reads back as the same text.
        let text = root.text
        let wrapped = "<v>" + XML.escape(text) + "</v>"
        do {
            let again = try XML.decode(wrapped)
            guard again.text == text else {
                throw FuzzViolation(target: .xml, problem: "the text \(text.debugDescription) reads back as \(again.text.debugDescription) after XML.escape")
            }
        } catch let violation as FuzzViolation {
            throw violation
        } catch {
            throw FuzzViolation(target: .xml, problem: "the escaped text \(wrapped.debugDescription) does not decode: \(error)")
        }
        return .accepted
    }

    static func json(_ bytes: [UInt8]) throws(FuzzViolation) -> FuzzOutcome {
        let value: AWSValue
        do {
            value = try JSON.decode(bytes)
        } catch {
            try checkDecodeError(.json, offset: error.offset, reason: error.reason, description: error.description, count: bytes.count)
            return .rejected(error.description)
        }
        // Encoding what was decoded gives JSON that decodes to the same value, compact and pretty.
        for pretty in [false, true] {
            let encoded = JSON.encode(value, pretty: pretty)
            if let c = controlCharacter(in: encoded) {
                throw FuzzViolation(target: .json, problem: "JSON.encode wrote the control character U+\(String(c.value, radix: 16, uppercase: true))")
            }
            do {
                let again = try JSON.decode(encoded)
                guard again == value else {
                    throw FuzzViolation(target: .json, problem: "\(encoded.debugDescription) does not decode to the value it was encoded from")
                }
            } catch let violation as FuzzViolation {
                throw violation
            } catch {
                throw FuzzViolation(target: .json, problem: "JSON.encode wrote \(encoded.debugDescription), which does not decode: \(error)")
            }
        }
        // The page decoders the console and the CLI run on DescribeAlarms and GetMetricData answers.
        var rejection: String?
        do {
            let page = try AlarmPage(value, region: "us-east-1")
            for alarm in page.alarms { _ = TerminalText.sanitize(alarm.name); _ = TerminalText.sanitize(alarm.reason) }
        } catch {
            rejection = try checkReason(.json, error.description)
        }
        do {
            _ = try MetricDataPage(value)
        } catch {
            let reason = try checkReason(.json, error.description)
            rejection = rejection ?? reason
        }
        return rejection.map { .rejected($0) } ?? .accepted
    }

    static func checkDecodeError(_ target: FuzzTarget, offset: Int, reason: String, description: String, count: Int) throws(FuzzViolation) {
        if offset < 0 || offset > count {
            throw FuzzViolation(target: target, problem: "an error at byte \(offset) of an input of \(count) bytes: \(description)")
        }
        _ = try checkReason(target, reason)
        if let c = controlCharacter(in: description) {
            throw FuzzViolation(target: target, problem: "an error's text carries the control character U+\(String(c.value, radix: 16, uppercase: true)): \(description.debugDescription)")
        }
    }

    static func checkReason(_ target: FuzzTarget, _ reason: String) throws(FuzzViolation) -> String {
        if reason.trimmingCharacters(in: .whitespaces).isEmpty {
            throw FuzzViolation(target: target, problem: "an error without a reason")
        }
        return reason
    }

    // MARK: Raw requests

    /// What `breakglass aws sign` does with its stdin, short of reading credentials: decode it as
    /// UTF-8, parse it, sign it with fixed credentials and print it. A printed request parses again.
    static func signRequest(_ bytes: [UInt8]) throws(FuzzViolation) -> FuzzOutcome {
        guard let text = String(validating: bytes, as: UTF8.self) else { return .rejected("the request is not valid UTF-8") }
        var request: HTTPRequest
        do {
            request = try RawRequest.parse(text)
        } catch {
            let lines = max(1, lineCount(bytes))
            if error.line < 1 || error.column < 1 || error.line > lines + 1 {
                throw FuzzViolation(target: .signRequest, problem: "an error at line \(error.line), column \(error.column) of an input of \(lines) lines: \(error)")
            }
            _ = try checkReason(.signRequest, error.message)
            if let c = controlCharacter(in: error.description) {
                throw FuzzViolation(target: .signRequest, problem: "an error's text carries the control character U+\(String(c.value, radix: 16, uppercase: true)): \(error.description.debugDescription)")
            }
            return .rejected(error.description)
        }
        let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "token", source: "fuzz")
        SigV4Signer().sign(&request, credentials: credentials, region: "us-east-1", service: "service", date: Date(timeIntervalSince1970: 1_440_938_160))
        let printed = RawRequest.print(request)
        do {
            _ = try RawRequest.parse(printed)
        } catch {
            throw FuzzViolation(target: .signRequest, problem: "the signed request does not parse again (\(error)): \(printed.debugDescription)")
        }
        return .accepted
    }

    // MARK: Helpers

    /// Lines as libyaml counts them: LF, CR, CR LF, NEL, LS and PS each end one.
    static func yamlLineCount(_ bytes: [UInt8]) -> Int {
        var lines = 1
        var previous: Unicode.Scalar?
        for u in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            switch u {
            case "\n": if previous != "\r" { lines += 1 }
            case "\r", "\u{85}", "\u{2028}", "\u{2029}": lines += 1
            default: break
            }
            previous = u
        }
        return lines
    }

    static func lineCount(_ bytes: [UInt8]) -> Int {
        bytes.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
    }

    /// The first scalar in `s` a terminal would act on: C0 controls other than tab and newline, DEL,
    /// C1 controls, and the bidirectional controls. Errors quote what they found; they must quote it
    /// inertly.
    static func controlCharacter(in s: String) -> Unicode.Scalar? {
        s.unicodeScalars.first { u in
            let v = u.value
            if v == 0x09 || v == 0x0A { return false }
            return v < 0x20 || (0x7F...0x9F).contains(v) || v == 0x061C || v == 0x200E || v == 0x200F
                || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
        }
    }
}
