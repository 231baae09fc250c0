import Foundation

/// Everything the AWS client reads from its surroundings: environment variables and the shared config
/// files. Injected so tests can use a temporary HOME and variables without touching the process's own.
public struct AWSEnvironment: Sendable {
    public var variables: [String: String]
    /// The profile named on the command line (`--profile`); it outranks AWS_PROFILE and, as in the SDKs,
    /// switches off credentials from environment variables.
    public var explicitProfile: String?
    private let readFile: @Sendable (String) -> String?

    public init(variables: [String: String], explicitProfile: String? = nil, readFile: @escaping @Sendable (String) -> String? = AWSEnvironment.readFileFromDisk) {
        self.variables = variables
        self.explicitProfile = explicitProfile
        self.readFile = readFile
    }

    /// This process's environment and the real file system.
    public static func current(explicitProfile: String? = nil) -> AWSEnvironment {
        AWSEnvironment(variables: ProcessInfo.processInfo.environment, explicitProfile: explicitProfile)
    }

    @Sendable public static func readFileFromDisk(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    public subscript(name: String) -> String? {
        guard let v = variables[name], !v.isEmpty else { return nil }
        return v
    }

    public var home: String { self["HOME"] ?? NSHomeDirectory() }

    public var profileName: String { explicitProfile ?? self["AWS_PROFILE"] ?? self["AWS_DEFAULT_PROFILE"] ?? "default" }

    public var configPath: String { expandTilde(self["AWS_CONFIG_FILE"] ?? "~/.aws/config") }
    public var credentialsPath: String { expandTilde(self["AWS_SHARED_CREDENTIALS_FILE"] ?? "~/.aws/credentials") }

    func expandTilde(_ p: String) -> String {
        if p == "~" { return home }
        if p.hasPrefix("~/") { return home + p.dropFirst(1) }
        return p
    }

    /// A path as people write it: the home folder shown as `~`.
    func display(_ path: String) -> String {
        let h = home
        if !h.isEmpty, h != "/", path.hasPrefix(h + "/") { return "~" + path.dropFirst(h.count) }
        return path
    }

    func read(_ path: String) -> String? { readFile(path) }

    /// Both shared files, parsed. A missing file is nil; a malformed one is an error naming it.
    public func sharedFiles() throws -> SharedFiles {
        let config = try read(configPath).map { try SharedConfigFile(path: display(configPath), text: $0, kind: .config) }
        let credentials = try read(credentialsPath).map { try SharedConfigFile(path: display(credentialsPath), text: $0, kind: .credentials) }
        return SharedFiles(config: config, credentials: credentials)
    }
}

public struct SharedFiles: Sendable {
    public let config: SharedConfigFile?
    public let credentials: SharedConfigFile?

    /// A setting of a profile: the credentials file wins over the config file, as in the SDKs.
    public func value(_ key: String, profile: String) -> String? {
        credentials?.sections[profile]?.values[key] ?? config?.sections[profile]?.values[key]
    }

    public func hasProfile(_ name: String) -> Bool {
        credentials?.sections[name] != nil || config?.sections[name] != nil
    }
}
