import ArgumentParser
import BreakglassAWS
import BreakglassCore
import Foundation

/// `breakglass runbook list | show ID | lint [FILE...]`: the rehearsed procedures in runbooks/.
struct RunbookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runbook",
        abstract: "List, show and check runbooks: rehearsed procedures, one confirmed step at a time.",
        discussion: """
            Runbooks are read from ./runbooks, from runbooks/ beside the configuration file and from the \
            folders the configuration lists under `runbooks:`. docs/RUNBOOKS.md describes the format.
            """,
        subcommands: [
            RunbookListCommand.self, RunbookShowCommand.self, RunbookLintCommand.self, RunbookRunCommand.self, RunbookRunsCommand.self,
            RunbookApproveCommand.self, RunbookAbandonCommand.self, RunbookUndoCommand.self,
            RunbookImportSSMCommand.self,
        ])
}

extension RunbookDiscovery {
    /// This process's current folder and home folder, and the real disk.
    static func current() -> RunbookDiscovery {
        let home = ProcessInfo.processInfo.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return RunbookDiscovery(currentDirectory: FileManager.default.currentDirectoryPath, home: home)
    }
}

/// Prints problems the way every command does (`breakglass: error: file:line:column: field: message`)
/// on stderr.
func reportRunbookProblems(_ problems: [SourceError]) {
    guard !problems.isEmpty else { return }
    let lines = problems.map { "breakglass: error: " + TerminalText.sanitize($0.description) + "\n" }
    FileHandle.standardError.write(Data(lines.joined().utf8))
}

/// `--param name=value` options as a dictionary; a later value for the same name wins.
func runbookParams(_ options: [String]) throws(ValidationError) -> [String: String] {
    var given: [String: String] = [:]
    for p in options {
        guard let eq = p.firstIndex(of: "="), eq != p.startIndex else { throw ValidationError("--param \(p): expected name=value") }
        given[String(p[..<eq])] = String(p[p.index(after: eq)...])
    }
    return given
}

extension RunbookCatalog {
    /// The runbook `id`, or exit 2 after saying why not: no such id (with the nearest one), or an id
    /// two files share. Problems with runbooks that did not load are printed too, since the one
    /// asked for may be among them.
    func find(_ id: String) throws(ExitCode) -> Runbook {
        guard let runbook = runbook(id) else {
            let ids = runbooks.map(\.id)
            var message = "no runbook `\(id)`"
            if let near = Suggestion.closest(to: id, in: ids) {
                message += "; did you mean `\(near)`?"
            } else if !ids.isEmpty {
                message += "; runbooks: \(ids.joined(separator: ", "))"
            }
            FileHandle.standardError.write(Data("breakglass: error: \(TerminalText.sanitize(message))\n".utf8))
            reportRunbookProblems(unreadable + problems)
            throw ExitCode(2)
        }
        if duplicatedIDs.contains(id) {
            reportRunbookProblems(problems.filter { $0.field == FieldPath([.key("id")]) && $0.message.contains("`\(id)`") })
            throw ExitCode(2)
        }
        return runbook
    }
}

struct RunbookListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the runbooks found: id, title, access role, number of steps, file.",
        discussion: "Exits 2 when a runbook file cannot be read or is not a valid runbook (each problem is printed on stderr); the others are still listed.")

    @OptionGroup var config: ConfigOptions
    @Option(help: "table or json (an array of {id, title, when, access, steps, params, file}).") var output: OutputFormat = .table

    func run() throws {
        let loaded = try config.load()
        let catalog = RunbookDiscovery.current().catalog(loaded.config)
        let rows = catalog.entries.map { (runbook: $0.runbook, file: $0.runbook.file) }
        switch output {
        case .json: print(JSON.encode(RunbookListing.listJSON(rows), pretty: true))
        case .table:
            if rows.isEmpty {
                FileHandle.standardError.write(Data("breakglass: no runbooks found in ./runbooks, beside the configuration file, or in the folders it lists\n".utf8))
            } else {
                // Titles are shortened only to fit a terminal; a pipe gets them whole.
                print(RunbookListing.table(rows, width: isatty(STDOUT_FILENO) == 1 ? outputWidth() : Int.max))
            }
        }
        let problems = catalog.unreadable + catalog.problems
        reportRunbookProblems(problems)
        if !problems.isEmpty { throw ExitCode(2) }
    }
}

struct RunbookShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a runbook's steps in plain language, with the AWS call each one makes.")

    @Argument(help: "The runbook's id, as `runbook list` shows it.") var id: String
    @OptionGroup var config: ConfigOptions
    @Option(help: "table (plain text) or json (the runbook with every step's kind, call and input).") var output: OutputFormat = .table

    func run() throws {
        let loaded = try config.load()
        let runbook = try RunbookDiscovery.current().catalog(loaded.config).find(id)
        switch output {
        case .json: print(JSON.encode(RunbookListing.showJSON(runbook, file: runbook.file), pretty: true))
        case .table: print(RunbookListing.show(runbook, file: runbook.file, width: isatty(STDOUT_FILENO) == 1 ? outputWidth() : 100))
        }
    }
}

struct RunbookLintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Check runbooks against the catalog of AWS operations and the configuration.",
        discussion: """
            Without FILE, checks every runbook found. Prints one line per problem, \
            file:line:column: field: message, on standard output. Checks: the YAML and its keys, \
            that each call is an operation Breakglass knows, that a check or wait only reads and a do \
            only changes, each call's parameters (missing, unknown or misspelled), every {{param}} and \
            {{steps.ID.Path}}, that each do has an explain, that a query has key conditions (or a scan a \
            reason), that defaults match their patterns, that runbook ids are unique, and, with a \
            configuration file, that each access role is defined and each response rule names a runbook \
            that exists. Exits 0 when there is no problem, 3 when there are problems, 2 when a file or \
            folder cannot be read or the configuration has errors.
            """)

    @Argument(help: "Runbook files to check. Default: every runbook found.") var files: [String] = []
    @OptionGroup var config: ConfigOptions
    @Option(help: "table (one line per problem) or json (an array of {file, line, column, field, message}).") var output: OutputFormat = .table

    func run() throws {
        let loaded = try config.load()
        let catalog = RunbookDiscovery.current().catalog(loaded.config, files: files.isEmpty ? nil : files)
        // Lint names the configuration file as the user knows it (`breakglass.yaml`, `~/.config/…`).
        var settings: BreakglassConfig?
        if let found = loaded.found {
            settings = loaded.config
            settings?.file = found.displayPath
        }
        var problems = catalog.problems
        for runbook in catalog.checked { problems += RunbookLinter.lint(runbook, config: settings) }
        if files.isEmpty, let settings { problems += catalog.configProblems(settings) }
        problems = SourceErrors(problems).errors

        switch output {
        case .json:
            print(JSON.encode(RunbookListing.problemsJSON(SourceErrors(catalog.unreadable + problems).errors), pretty: true))
        case .table:
            reportRunbookProblems(catalog.unreadable)
            let text = problems.map { TerminalText.sanitize($0.description) + "\n" }.joined()
            FileHandle.standardOutput.write(Data(text.utf8))
            let count = catalog.files.count
            let summary: String
            if count == 0 && catalog.unreadable.isEmpty {
                summary = "no runbooks found in ./runbooks, beside the configuration file, or in the folders it lists"
            } else if problems.isEmpty && catalog.unreadable.isEmpty {
                summary = "\(count) runbook file\(count == 1 ? "" : "s"), no problems"
            } else {
                let n = problems.count + catalog.unreadable.count
                summary = "\(n) problem\(n == 1 ? "" : "s"), \(count) runbook file\(count == 1 ? "" : "s") checked"
            }
            FileHandle.standardError.write(Data("breakglass: runbook lint: \(summary)\n".utf8))
        }
        if !catalog.unreadable.isEmpty { throw ExitCode(2) }
        if !problems.isEmpty { throw ExitCode(3) }
    }
}
