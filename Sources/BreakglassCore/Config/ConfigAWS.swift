import BreakglassAWS

/// Which shared-config profile the credential chain uses, and why (for messages).
public struct AWSProfileChoice: Sendable, Hashable {
    public var name: String
    /// "--profile", "the config's aws.profile", "AWS_PROFILE", "AWS_DEFAULT_PROFILE" or "default".
    public var origin: String

    public init(name: String, origin: String) {
        self.name = name
        self.origin = origin
    }
}

extension BreakglassConfig {
    /// The AWS environment commands use: `commandLineProfile` (`--profile`) first, then the config's
    /// aws.profile, both as explicit profiles (they outrank AWS_PROFILE and switch off
    /// AWS_ACCESS_KEY_ID, as `--profile` does in the SDKs); with neither, the usual AWS_PROFILE
    /// resolution.
    public func awsEnvironment(variables: [String: String], commandLineProfile: String?) -> (AWSEnvironment, AWSProfileChoice) {
        if let p = commandLineProfile {
            return (AWSEnvironment(variables: variables, explicitProfile: p), .init(name: p, origin: "--profile"))
        }
        if let p = aws.profile {
            return (AWSEnvironment(variables: variables, explicitProfile: p), .init(name: p, origin: "the config's aws.profile"))
        }
        let env = AWSEnvironment(variables: variables)
        let origin = env["AWS_PROFILE"] != nil ? "AWS_PROFILE" : env["AWS_DEFAULT_PROFILE"] != nil ? "AWS_DEFAULT_PROFILE" : "default"
        return (env, .init(name: env.profileName, origin: origin))
    }
}
