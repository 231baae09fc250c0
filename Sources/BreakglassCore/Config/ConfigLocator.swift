import Foundation

/// Finds the configuration file, first of:
/// 1. `--config FILE` (a missing file is an error),
/// 2. `$BREAKGLASS_CONFIG` (a missing file is an error: the variable names it on purpose),
/// 3. `./breakglass.yaml`,
/// 4. `$XDG_CONFIG_HOME/breakglass/config.yaml` (`~/.config` when XDG_CONFIG_HOME is unset or not
///    absolute).
///
/// Finding none is not an error: commands run on the empty configuration and can say where they
/// looked. The environment, the current folder and the file system are injected so tests never touch
/// the real home.
public struct ConfigLocator: Sendable {
    public enum Source: String, Sendable, Hashable {
        case option = "--config"
        case environment = "BREAKGLASS_CONFIG"
        case currentDirectory = "./breakglass.yaml"
        case userConfig = "$XDG_CONFIG_HOME/breakglass/config.yaml"
    }

    public enum FileKind: Sendable, Hashable {
        case file, directory, missing
    }

    public struct Found: Sendable, Hashable {
        /// Absolute path, to read.
        public let path: String
        /// The path as people should see it: as given on the command line or in the variable,
        /// `breakglass.yaml` for the current folder, `~/…` under the home folder.
        public let displayPath: String
        public let source: Source

        public init(path: String, displayPath: String, source: Source) {
            self.path = path
            self.displayPath = displayPath
            self.source = source
        }
    }

    public struct Search: Sendable, Hashable {
        public let found: Found?
        /// Every place considered, in order, with what was there: `./breakglass.yaml (no such file)`.
        public let searched: [String]

        public init(found: Found?, searched: [String]) {
            self.found = found
            self.searched = searched
        }
    }

    public let environment: [String: String]
    public let currentDirectory: String
    let fileKind: @Sendable (String) -> FileKind

    public init(environment: [String: String], currentDirectory: String, fileKind: @escaping @Sendable (String) -> FileKind = ConfigLocator.fileKindOnDisk) {
        self.environment = environment
        self.currentDirectory = currentDirectory
        self.fileKind = fileKind
    }

    /// This process's environment, current folder and file system.
    public static func current() -> ConfigLocator {
        ConfigLocator(environment: ProcessInfo.processInfo.environment, currentDirectory: FileManager.default.currentDirectoryPath)
    }

    @Sendable public static func fileKindOnDisk(_ path: String) -> FileKind {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return .missing }
        return isDirectory.boolValue ? .directory : .file
    }

    /// Where the configuration is, or nil with the places searched. Throws when `--config` or
    /// BREAKGLASS_CONFIG names something that is not a file.
    public func locate(explicitPath: String?) throws(SourceError) -> Search {
        var searched: [String] = []
        if let explicit = explicitPath {
            return Search(found: try named(explicit, by: .option, what: "--config"), searched: ["--config \(explicit)"])
        }
        if let variable = value("BREAKGLASS_CONFIG") {
            return Search(found: try named(variable, by: .environment, what: "BREAKGLASS_CONFIG"), searched: ["BREAKGLASS_CONFIG=\(variable)"])
        }
        searched.append("BREAKGLASS_CONFIG (not set)")

        let local = Self.absolute("breakglass.yaml", in: currentDirectory)
        switch fileKind(local) {
        case .file: return Search(found: Found(path: local, displayPath: "breakglass.yaml", source: .currentDirectory), searched: searched + [local])
        case .directory: searched.append("\(local) (a folder, not a file)")
        case .missing: searched.append("\(local) (no such file)")
        }

        if let folder = userConfigFolder() {
            let path = folder + "/breakglass/config.yaml"
            switch fileKind(path) {
            case .file: return Search(found: Found(path: path, displayPath: display(path), source: .userConfig), searched: searched + [display(path)])
            case .directory: searched.append("\(display(path)) (a folder, not a file)")
            case .missing: searched.append("\(display(path)) (no such file)")
            }
        } else {
            searched.append("$XDG_CONFIG_HOME/breakglass/config.yaml (neither XDG_CONFIG_HOME nor HOME is set)")
        }
        return Search(found: nil, searched: searched)
    }

    /// Finds and loads the configuration: the empty one when there is no file.
    public func load(explicitPath: String?) throws(SourceErrors) -> LoadedConfig {
        let search: Search
        do { search = try locate(explicitPath: explicitPath) } catch { throw SourceErrors(error) }
        guard let found = search.found else { return LoadedConfig(config: BreakglassConfig(), search: search) }
        let config = try ConfigLoader.load(path: found.path, displayPath: found.displayPath)
        return LoadedConfig(config: config, search: search)
    }

    private func named(_ path: String, by source: Source, what: String) throws(SourceError) -> Found {
        let absolute = Self.absolute(expandTilde(path), in: currentDirectory)
        switch fileKind(absolute) {
        case .file: return Found(path: absolute, displayPath: path, source: source)
        case .directory: throw SourceError("\(what) names a folder, not a configuration file", at: .file(path))
        case .missing: throw SourceError("\(what) names a file that does not exist", at: .file(path))
        }
    }

    private func value(_ name: String) -> String? {
        guard let v = environment[name], !v.isEmpty else { return nil }
        return v
    }

    private var home: String? { value("HOME") }

    /// XDG_CONFIG_HOME when absolute (the XDG spec says to ignore relative ones), else ~/.config.
    func userConfigFolder() -> String? {
        if let xdg = value("XDG_CONFIG_HOME"), xdg.hasPrefix("/") { return xdg }
        return home.map { $0 + "/.config" }
    }

    private func expandTilde(_ path: String) -> String {
        guard let home else { return path }
        if path == "~" { return home }
        if path.hasPrefix("~/") { return home + path.dropFirst(1) }
        return path
    }

    /// A path with the home folder shown as `~`.
    func display(_ path: String) -> String {
        if let home, home != "/", path.hasPrefix(home + "/") { return "~" + path.dropFirst(home.count) }
        return path
    }

    /// `path` made absolute against `directory`, with `.` and `..` resolved.
    public static func absolute(_ path: String, in directory: String) -> String {
        let joined = path.hasPrefix("/") ? path : (directory.hasSuffix("/") ? directory + path : directory + "/" + path)
        var parts: [Substring] = []
        for part in joined.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}

/// A configuration and where it came from.
public struct LoadedConfig: Sendable, Hashable {
    public let config: BreakglassConfig
    public let search: ConfigLocator.Search

    public init(config: BreakglassConfig, search: ConfigLocator.Search) {
        self.config = config
        self.search = search
    }

    /// The file, or nil when none was found (the configuration is then empty).
    public var found: ConfigLocator.Found? { search.found }
}
