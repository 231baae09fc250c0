import Foundation

/// Where Breakglass keeps its state: $XDG_STATE_HOME/breakglass, else ~/.local/state/breakglass.
/// The folder is created 0700 and files in it 0600, because state can name resources and people.
public struct StatePaths: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> StatePaths {
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") { return StatePaths(directory: xdg + "/breakglass") }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return StatePaths(directory: home + "/.local/state/breakglass")
    }

    /// Creates the folder (and parents) if needed and makes sure it is 0700.
    public func ensureDirectory() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory)
    }
}
