import BreakglassAWS
import Foundation

/// A throwaway HOME with an `.aws` folder, removed when released. Its path always contains a space,
/// so every test that uses it also proves that paths are quoted, not split on spaces.
public final class TemporaryHome {
    public let path: String

    public init(config: String? = nil, credentials: String? = nil) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("bg home-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path + "/.aws", withIntermediateDirectories: true)
        if let config { try write(config: config) }
        if let credentials { try write(credentials: credentials) }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    public func write(config: String) throws {
        try config.write(toFile: path + "/.aws/config", atomically: true, encoding: .utf8)
    }

    public func write(credentials: String) throws {
        try credentials.write(toFile: path + "/.aws/credentials", atomically: true, encoding: .utf8)
    }

    /// Writes an executable shell script into the home folder and returns its path.
    public func script(_ name: String, _ body: String) throws -> String {
        let p = path + "/" + name
        try ("#!/bin/sh\n" + body + "\n").write(toFile: p, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: p)
        return p
    }

    /// Environment variables with HOME here, a plain PATH for scripts, and instance metadata off
    /// unless the test points AWS_EC2_METADATA_SERVICE_ENDPOINT somewhere itself: no test may ever
    /// reach 169.254.169.254.
    public func variables(_ vars: [String: String] = [:]) -> [String: String] {
        var v = vars
        v["HOME"] = path
        if v["PATH"] == nil { v["PATH"] = "/usr/bin:/bin" }
        if v["AWS_EC2_METADATA_SERVICE_ENDPOINT"] == nil, v["AWS_EC2_METADATA_DISABLED"] == nil { v["AWS_EC2_METADATA_DISABLED"] = "true" }
        return v
    }

    public func env(_ vars: [String: String] = [:], profile: String? = nil) -> AWSEnvironment {
        AWSEnvironment(variables: variables(vars), explicitProfile: profile)
    }
}
