import BreakglassAWS
import Foundation

/// One finding of `breakglass doctor`: a check, how it went, what was found and, when it did not
/// pass, what to do.
public struct DoctorResult: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, CaseIterable {
        case pass = "PASS"
        case warn = "WARN"
        case fail = "FAIL"
    }

    public var check: String
    public var status: Status
    public var detail: String
    /// What to do; nil when passing.
    public var fix: String?

    public init(_ check: String, _ status: Status, _ detail: String, fix: String? = nil) {
        self.check = check
        self.status = status
        self.detail = detail
        self.fix = fix
    }

    public static func pass(_ check: String, _ detail: String) -> DoctorResult { DoctorResult(check, .pass, detail) }
    public static func warn(_ check: String, _ detail: String, fix: String) -> DoctorResult { DoctorResult(check, .warn, detail, fix: fix) }
    public static func fail(_ check: String, _ detail: String, fix: String) -> DoctorResult { DoctorResult(check, .fail, detail, fix: fix) }
}

/// Every finding, printed one line each (or as JSON), and the exit status: 1 when anything failed.
public struct DoctorReport: Sendable, Hashable {
    public var results: [DoctorResult]

    public init(_ results: [DoctorResult]) { self.results = results }

    public var hasFailure: Bool { results.contains { $0.status == .fail } }

    /// DESIGN.md's codes: 0 when nothing failed, 1 when a check failed (warnings do not fail).
    public var exitStatus: Int32 { hasFailure ? 1 : 0 }

    /// `STATUS  check  detail  Fix: what to do`, one line per finding (untrusted text made inert),
    /// then a count.
    public func text() -> String {
        let width = results.map { TerminalText.width(TerminalText.sanitize($0.check)) }.max() ?? 0
        var lines = results.map { r in
            var line = "\(r.status.rawValue)  " + TerminalText.pad(TerminalText.sanitize(r.check), toWidth: width) + "  " + TerminalText.sanitize(r.detail)
            if let fix = r.fix { line += "  Fix: " + TerminalText.sanitize(fix) }
            return line
        }
        let count = { (s: DoctorResult.Status) in results.filter { $0.status == s }.count }
        let warnings = count(.warn), failures = count(.fail)
        lines.append("\(count(.pass)) passed, \(warnings) \(warnings == 1 ? "warning" : "warnings"), \(failures) failed")
        return lines.joined(separator: "\n")
    }

    /// `[{"check", "status", "detail", "fix"}]`; `fix` is null when passing.
    public func json() -> String {
        JSON.encode(.array(results.map { r in
            .object(AWSObject([
                ("check", .string(r.check)), ("status", .string(r.status.rawValue)), ("detail", .string(r.detail)),
                ("fix", r.fix.map(AWSValue.string) ?? .null),
            ]))
        }), pretty: true)
    }
}
