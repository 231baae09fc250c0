import Foundation

/// A folder searched for runbooks, and why it is searched.
public struct RunbookFolder: Sendable, Hashable {
    public enum Origin: Sendable, Hashable {
        /// `./runbooks`.
        case currentDirectory
        /// `runbooks/` beside the configuration file.
        case besideConfig
        /// Listed under `runbooks:` in the configuration, where it is written.
        case config(Located<String>)
    }

    /// Absolute.
    public var path: String
    public var origin: Origin

    public init(path: String, origin: Origin) {
        self.path = path
        self.origin = origin
    }
}

/// What a folder holds, as far as runbooks go.
public enum RunbookFolderListing: Sendable, Hashable {
    /// The names (not paths) of the `*.yaml` and `*.yml` files in it, hidden ones left out.
    case files([String])
    case missing
    case notAFolder
    case unreadable(String)
}

/// The file system as runbook discovery sees it: listing folders and loading files. Injected, so
/// tests can hold their runbooks in memory.
public struct RunbookFileSystem: Sendable {
    public var list: @Sendable (_ folder: String) -> RunbookFolderListing
    /// Loads the runbook at an absolute path; errors name it `display`.
    public var load: @Sendable (_ path: String, _ display: String) -> Result<Runbook, SourceErrors>

    public init(list: @escaping @Sendable (String) -> RunbookFolderListing, load: @escaping @Sendable (String, String) -> Result<Runbook, SourceErrors>) {
        self.list = list
        self.load = load
    }

    /// The real disk.
    public static let disk = RunbookFileSystem(
        list: { folder in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) else { return .missing }
            guard isDirectory.boolValue else { return .notAFolder }
            do {
                let names = try FileManager.default.contentsOfDirectory(atPath: folder)
                return .files(names.filter { !$0.hasPrefix(".") && ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) }.sorted())
            } catch {
                return .unreadable((error as NSError).localizedDescription)
            }
        },
        load: { path, display in
            do throws(SourceErrors) { return .success(try RunbookLoader.load(path: path, displayPath: display)) } catch { return .failure(error) }
        })
}

/// Finds runbooks: in `./runbooks`, in `runbooks/` beside the configuration file, and in every folder
/// the configuration lists under `runbooks:`, in that order, each folder once. Files in a folder are
/// read in name order.
public struct RunbookDiscovery: Sendable {
    public var currentDirectory: String
    public var home: String
    public var fileSystem: RunbookFileSystem

    public init(currentDirectory: String, home: String, fileSystem: RunbookFileSystem = .disk) {
        self.currentDirectory = currentDirectory
        self.home = home
        self.fileSystem = fileSystem
    }

    /// The folders to search, each once, in order.
    public func folders(_ config: BreakglassConfig) -> [RunbookFolder] {
        var folders = [RunbookFolder(path: ConfigLocator.absolute("runbooks", in: currentDirectory), origin: .currentDirectory)]
        if let file = config.file {
            let beside = (ConfigLocator.absolute(file, in: currentDirectory) as NSString).deletingLastPathComponent
            folders.append(RunbookFolder(path: ConfigLocator.absolute("runbooks", in: beside), origin: .besideConfig))
        }
        for (written, path) in zip(config.runbooks, config.runbookFolders(home: home, currentDirectory: currentDirectory)) {
            folders.append(RunbookFolder(path: path, origin: .config(written)))
        }
        var seen = Set<String>()
        return folders.filter { seen.insert($0.path).inserted }
    }

    /// A path as people should see it: relative to the current folder when inside it, `~/…` under the
    /// home folder, absolute otherwise.
    public func display(_ path: String) -> String {
        let cwd = currentDirectory.hasSuffix("/") ? currentDirectory : currentDirectory + "/"
        if path.hasPrefix(cwd) { return String(path.dropFirst(cwd.count)) }
        if !home.isEmpty, home != "/", path.hasPrefix(home + "/") { return "~" + path.dropFirst(home.count) }
        return path
    }

    /// Every runbook found, with every problem: files that cannot be read or are not valid runbooks,
    /// and ids used twice.
    ///
    /// With `files` (paths as the user gave them), those files are the ones checked: they are loaded
    /// and reported on, and they must not reuse an id that a discovered runbook already has (the
    /// discovered ones are loaded for that, but their own problems are not reported).
    public func catalog(_ config: BreakglassConfig, files given: [String]? = nil) -> RunbookCatalog {
        var candidates: [(path: String, display: String, target: Bool)] = []
        var unreadable: [SourceError] = []

        for folder in folders(config) {
            switch fileSystem.list(folder.path) {
            case .files(let names):
                for name in names {
                    let path = folder.path + "/" + name
                    candidates.append((path, display(path), given == nil))
                }
            case .missing:
                if case .config(let written) = folder.origin, given == nil {
                    unreadable.append(SourceError("the runbook folder `\(written.value)` does not exist (\(folder.path))", at: written.location, field: FieldPath([.key("runbooks")])))
                }
            case .notAFolder:
                if given == nil {
                    let at: SourceLocation
                    if case .config(let written) = folder.origin { at = written.location } else { at = .file(display(folder.path)) }
                    unreadable.append(SourceError("\(display(folder.path)) is a file, not a folder of runbooks", at: at, field: folder.origin.isConfig ? FieldPath([.key("runbooks")]) : .root))
                }
            case .unreadable(let why):
                if given == nil { unreadable.append(SourceError("cannot read the runbook folder \(display(folder.path)): \(why)", at: .file(display(folder.path)))) }
            }
        }
        for file in given ?? [] {
            let path = ConfigLocator.absolute(file, in: currentDirectory)
            if let i = candidates.firstIndex(where: { $0.path == path }) {
                candidates[i].display = file
                candidates[i].target = true
            } else {
                candidates.append((path, file, true))
            }
        }
        // Each file once, even when two folders or two arguments reach it.
        var seen = Set<String>()
        candidates = candidates.filter { seen.insert($0.path).inserted }

        var entries: [RunbookCatalog.Entry] = []
        var problems: [SourceError] = []
        var failed: [String] = []
        for candidate in candidates {
            switch fileSystem.load(candidate.path, candidate.display) {
            case .success(let runbook):
                entries.append(RunbookCatalog.Entry(runbook: runbook, path: candidate.path, checked: candidate.target))
            case .failure(let errors):
                guard candidate.target else { continue }
                failed.append(candidate.display)
                // Line 0 is the file as a whole: it could not be read at all.
                for error in errors.errors {
                    if error.line == 0 { unreadable.append(error) } else { problems.append(error) }
                }
            }
        }

        // An id used twice: the first one found wins; the problem is reported at the other, naming both.
        var kept: [RunbookCatalog.Entry] = []
        var duplicated = Set<String>()
        for entry in entries {
            guard let first = kept.first(where: { $0.runbook.id == entry.runbook.id }) else {
                kept.append(entry)
                continue
            }
            duplicated.insert(entry.runbook.id)
            let (at, other) = entry.checked || !first.checked ? (entry, first) : (first, entry)
            guard at.checked else { continue }
            problems.append(SourceError(
                "runbook id `\(entry.runbook.id)` is also used by \(other.runbook.location); ids must be unique across every runbook folder",
                at: at.runbook.location, field: FieldPath([.key("id")])))
        }
        return RunbookCatalog(
            entries: kept, problems: SourceErrors(problems).errors, unreadable: SourceErrors(unreadable).errors, failedFiles: failed,
            duplicatedIDs: duplicated, files: candidates.filter(\.target).map(\.display))
    }
}

extension RunbookFolder.Origin {
    var isConfig: Bool { if case .config = self { true } else { false } }
}

/// The runbooks found, and what is wrong with the files that were checked.
public struct RunbookCatalog: Sendable {
    public struct Entry: Sendable, Equatable {
        public var runbook: Runbook
        /// Absolute.
        public var path: String
        /// Whether this file is one of those checked (every file, unless files were named).
        public var checked: Bool

        public init(runbook: Runbook, path: String, checked: Bool = true) {
            self.runbook = runbook
            self.path = path
            self.checked = checked
        }
    }

    /// Loaded runbooks in the order found; for an id used twice, only the first.
    public var entries: [Entry]
    /// Checked files that are not valid runbooks, and ids used twice: each `file:line:column`.
    public var problems: [SourceError]
    /// Files and folders that could not be read at all.
    public var unreadable: [SourceError]
    /// Checked files that did not load, as displayed.
    public var failedFiles: [String]
    /// Ids that more than one file uses.
    public var duplicatedIDs: Set<String>
    /// Every file checked, as displayed.
    public var files: [String]

    public init(
        entries: [Entry], problems: [SourceError] = [], unreadable: [SourceError] = [], failedFiles: [String] = [], duplicatedIDs: Set<String> = [],
        files: [String] = []
    ) {
        self.entries = entries
        self.problems = problems
        self.unreadable = unreadable
        self.failedFiles = failedFiles
        self.duplicatedIDs = duplicatedIDs
        self.files = files
    }

    public var runbooks: [Runbook] { entries.map(\.runbook) }

    /// The runbooks whose files were checked.
    public var checked: [Runbook] { entries.filter(\.checked).map(\.runbook) }

    public func runbook(_ id: String) -> Runbook? { entries.first { $0.runbook.id == id }?.runbook }

    /// Response rules in the configuration that suggest a runbook no folder holds. Nothing is reported
    /// while some runbook file fails to load: it may be the one that holds the id.
    public func configProblems(_ config: BreakglassConfig) -> [SourceError] {
        guard failedFiles.isEmpty else { return [] }
        let ids = runbooks.map(\.id)
        var problems: [SourceError] = []
        for (i, rule) in config.response.enumerated() {
            for id in rule.runbooks where !ids.contains(id.value) {
                var message = "unknown runbook `\(id.value)`"
                if let near = Suggestion.closest(to: id.value, in: ids) {
                    message += "; did you mean `\(near)`?"
                } else if ids.isEmpty {
                    message += "; no runbooks were found"
                } else {
                    message += "; no runbook folder holds it"
                }
                problems.append(SourceError(message, at: id.location, field: FieldPath([.key("response"), .index(i), .key("runbooks")])))
            }
        }
        return problems
    }
}
