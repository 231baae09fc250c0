import ArgumentParser
import BreakglassCore
import Foundation

/// `breakglass runbook import-ssm FILE [--id ID] [--output FILE] [--force]`: an SSM Automation
/// document as a runbook (docs/SSM-IMPORT.md).
struct RunbookImportSSMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-ssm",
        abstract: "Convert an SSM Automation document (schemaVersion 0.3, JSON or YAML) into a runbook.",
        discussion: """
            Prints the runbook on standard output, or writes it to --output FILE (never replacing an \
            existing file unless --force; the file appears whole or not at all). aws:executeAwsApi \
            becomes a check or a do, aws:waitForAwsResourceProperty a wait, \
            aws:assertAwsResourceProperty a check with expect, aws:approve an approve, and aws:pause, \
            aws:sleep and aws:branch say steps. When a step cannot be converted, every such step is \
            listed (file:line:column: mainSteps[i] (name): reason), nothing is written and the exit \
            status is 1. A document that is not a valid schemaVersion 0.3 Automation document exits 2, \
            with file:line:column and the field of each problem. docs/SSM-IMPORT.md has the details.
            """)

    @Argument(help: ArgumentHelp("The SSM Automation document, JSON or YAML.", valueName: "file")) var file: String
    @Option(help: ArgumentHelp("The runbook's id. Default: from the file name (AWS-RestartEC2Instance.json -> aws-restart-ec2-instance).", valueName: "id"))
    var id: String?
    @Option(name: .customLong("output"), help: ArgumentHelp("Write the runbook to this file instead of standard output.", valueName: "file"))
    var outputPath: String?
    @Flag(help: "Replace the --output file when it exists.") var force = false

    func run() throws {
        if let outputPath, !force, FileManager.default.fileExists(atPath: outputPath) {
            Self.fail("\(outputPath) already exists; use --force to replace it")
            throw ExitCode(2)
        }
        let converted: SSMImport.Converted
        do {
            converted = try SSMImport.convert(path: file, id: id)
        } catch {
            switch error {
            case .document(let errors):
                reportRunbookProblems(errors.errors)
                throw ExitCode(2)
            case .unconvertible(let parts):
                let lines = parts.map { "breakglass: error: " + TerminalText.sanitize($0.description) + "\n" }
                FileHandle.standardError.write(Data(lines.joined().utf8))
                let steps = Set(parts.filter { $0.what.hasPrefix("mainSteps[") }.map(\.what)).count
                let params = Set(parts.filter { $0.what.hasPrefix("parameters.") }.map(\.what)).count
                var what: [String] = []
                if steps > 0 { what.append("\(steps) step\(steps == 1 ? "" : "s")") }
                if params > 0 { what.append("\(params) parameter\(params == 1 ? "" : "s")") }
                Self.note("\(what.joined(separator: " and ")) cannot be converted; nothing was written")
                throw ExitCode(1)
            case .invalidOutput(let problems):
                Self.fail("the converted runbook does not pass lint, which is a bug in import-ssm; nothing was written. Its problems:")
                reportRunbookProblems(problems)
                throw ExitCode(1)
            }
        }

        guard let outputPath else {
            FileHandle.standardOutput.write(Data(converted.yaml.utf8))
            Self.note("converted \(converted.documentSteps) SSM step\(converted.documentSteps == 1 ? "" : "s") into runbook \(converted.runbookID) (\(converted.runbookSteps) step\(converted.runbookSteps == 1 ? "" : "s"))")
            return
        }
        switch AtomicFile.save(converted.yaml, to: outputPath, replace: force) {
        case .success:
            Self.note("converted \(converted.documentSteps) SSM step\(converted.documentSteps == 1 ? "" : "s") into runbook \(converted.runbookID) (\(converted.runbookSteps) step\(converted.runbookSteps == 1 ? "" : "s")), written to \(outputPath); check it with `breakglass runbook lint \(outputPath)`")
        case .failure(let problem):
            Self.fail(problem.message)
            throw ExitCode(2)
        }
    }

    static func fail(_ message: String) {
        FileHandle.standardError.write(Data("breakglass: error: \(TerminalText.sanitize(message))\n".utf8))
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data("breakglass: runbook import-ssm: \(TerminalText.sanitize(message))\n".utf8))
    }
}

/// Writing a file so that it appears whole or not at all: the text goes to a new temporary file in
/// the same folder, is flushed to disk, and is then renamed over the target (`replace`) or linked to
/// it (otherwise: the link fails when the target exists, even if it appeared a moment ago).
enum AtomicFile {
    struct Problem: Error {
        let message: String
    }

    static func save(_ text: String, to path: String, replace: Bool) -> Result<Void, Problem> {
        let folder = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = (folder.isEmpty ? "" : folder + "/") + ".\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return .failure(Problem(message: "cannot write \(path): \(String(cString: strerror(errno)))")) }
        var failure: String?
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                failure = String(cString: strerror(errno))
                break
            }
            written += n
        }
        if failure == nil, fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        defer { unlink(temporary) }
        if let failure { return .failure(Problem(message: "cannot write \(path): \(failure)")) }
        if replace {
            guard rename(temporary, path) == 0 else { return .failure(Problem(message: "cannot write \(path): \(String(cString: strerror(errno)))")) }
        } else {
            guard link(temporary, path) == 0 else {
                if errno == EEXIST { return .failure(Problem(message: "\(path) already exists; use --force to replace it")) }
                return .failure(Problem(message: "cannot write \(path): \(String(cString: strerror(errno)))"))
            }
        }
        return .success(())
    }
}
