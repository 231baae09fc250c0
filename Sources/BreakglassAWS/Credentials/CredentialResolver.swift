/// Finds credentials the way the AWS SDKs do, in order, and says where it looked when it finds none.
///
/// Sources, in order: environment variables (unless a profile was named on the command line); the
/// profile's static keys in the shared credentials file, then in the config file. Profiles that
/// assume a role, run a credential process or use SSO are recognised and refused with a clear
/// message until the full chain lands (issue 3).
public struct CredentialResolver: Sendable {
    public let environment: AWSEnvironment

    public init(environment: AWSEnvironment) { self.environment = environment }

    public func resolve() throws(AWSError) -> AWSCredentials {
        let env = environment
        var searched: [String] = []
        if env.explicitProfile == nil {
            let id = env["AWS_ACCESS_KEY_ID"], secret = env["AWS_SECRET_ACCESS_KEY"]
            switch (id, secret) {
            case let (id?, secret?):
                return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: env["AWS_SESSION_TOKEN"], source: "environment")
            case (_?, nil):
                throw .credentials("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both, or unset AWS_ACCESS_KEY_ID to use a profile")
            case (nil, _?):
                throw .credentials("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not: set both, or unset AWS_SECRET_ACCESS_KEY to use a profile")
            case (nil, nil):
                searched.append("environment variables AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (not set)")
            }
        }
        let profile = env.profileName
        let files: SharedFiles
        do { files = try env.sharedFiles() } catch { throw .credentials("cannot read the AWS shared config: \(error)") }

        for (file, label, isConfig) in [(files.credentials, env.display(env.credentialsPath), false), (files.config, env.display(env.configPath), true)] {
            guard let file else {
                searched.append("\(label) (no such file)")
                continue
            }
            let header = isConfig && profile != "default" ? "[profile \(profile)]" : "[\(profile)]"
            guard let section = file.sections[profile] else {
                searched.append("\(label) \(header) (no such profile)")
                continue
            }
            let id = section.values["aws_access_key_id"], secret = section.values["aws_secret_access_key"]
            if let id, let secret {
                return AWSCredentials(
                    accessKeyID: id, secretAccessKey: secret, sessionToken: section.values["aws_session_token"],
                    source: "profile \(profile) in \(label)")
            }
            if id != nil || secret != nil {
                throw .credentials("\(label):\(section.line): profile \(profile) has \(id == nil ? "aws_secret_access_key but no aws_access_key_id" : "aws_access_key_id but no aws_secret_access_key")")
            }
            for key in ["role_arn", "credential_process", "sso_session", "sso_start_url", "web_identity_token_file"] where section.values[key] != nil {
                throw .credentials("\(label):\(section.line): profile \(profile) uses \(key), which this version of Breakglass cannot use yet; give the profile static keys, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
            }
            searched.append("\(label) \(header) (no aws_access_key_id)")
        }
        throw .credentials(
            "no AWS credentials found for profile \(profile). Searched:\n"
                + searched.map { "  - \($0)" }.joined(separator: "\n")
                + "\nSet AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile that has keys with AWS_PROFILE.")
    }
}

/// Finds the region: AWS_REGION, then AWS_DEFAULT_REGION, then the profile's `region`.
public struct RegionResolver: Sendable {
    public let environment: AWSEnvironment
    public init(environment: AWSEnvironment) { self.environment = environment }

    public func resolve() throws(AWSError) -> String {
        if let r = environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] { return r }
        let profile = environment.profileName
        if let files = try? environment.sharedFiles(), let r = files.value("region", profile: profile) { return r }
        let header = profile == "default" ? "[default]" : "[profile \(profile)]"
        throw .configuration(
            "no AWS region set. Pass --region us-east-1, export AWS_REGION=us-east-1, or add \"region = us-east-1\" under \(header) in \(environment.display(environment.configPath))")
    }
}
