import Foundation

/// Finds credentials the way the AWS SDKs do, in order, and says where it looked when it finds none.
///
/// `resolveAsync()` walks botocore's chain: environment variables (unless a profile was named on the
/// command line); the profile: `role_arn` (assumed through STS with the credentials of its
/// `source_profile`, recursively, or its `credential_source`), then static keys in the shared
/// credentials file, then `credential_process`, then static keys in the config file (SSO and web
/// identity profiles are refused with a clear message); container credentials; EC2 instance
/// metadata (IMDSv2).
///
/// `resolve()` is the synchronous subset for callers that cannot wait: environment, static keys and
/// `credential_process`. It refuses profiles that assume a role (they need the network) and does not
/// consult the container agent or instance metadata.
public struct CredentialResolver: Sendable {
    public let environment: AWSEnvironment
    public let transport: any HTTPTransport
    /// Gives the MFA code when an assumed role has `mfa_serial`; nil makes such profiles an error that
    /// says how to give one.
    public let mfaCode: MFACodeProvider?
    public let now: @Sendable () -> Date

    /// `transport` defaults to libcurl with AWS_CA_BUNDLE.
    public init(
        environment: AWSEnvironment, transport: (any HTTPTransport)? = nil, mfaCode: MFACodeProvider? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.environment = environment
        self.transport = transport ?? CurlTransport(caBundle: environment["AWS_CA_BUNDLE"])
        self.mfaCode = mfaCode
        self.now = now
    }

    /// What a profile resolves to.
    enum Plan {
        case keys(AWSCredentials)
        case process(ProcessCredentialProvider)
        case assumeRole(AssumeRoleSpec, RoleSource)
    }

    enum RoleSource {
        case profile(String)
        case credentialSource(String)
    }

    // MARK: - The chain

    public func resolveAsync() async throws(AWSError) -> AWSCredentials {
        var searched: [String] = []
        if let c = try environmentCredentials(&searched) { return c }
        let profile = environment.profileName
        let files = try sharedFiles()
        if let plan = try plan(profile, files: files, searched: &searched) {
            return try await execute(plan, profile: profile, files: files, chain: [profile])
        }
        if let container = try ContainerCredentialProvider(environment: environment, transport: transport) {
            return try await container.fetch()
        }
        searched.append("container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / AWS_CONTAINER_CREDENTIALS_FULL_URI (not set)")
        if let imds = try InstanceMetadataProvider(environment: environment, transport: transport) {
            switch try await imds.fetch() {
            case .success(let c): return c
            case .failure(let why): searched.append("EC2 instance metadata at \(imds.endpoint) (\(why))")
            }
        } else {
            searched.append("EC2 instance metadata (AWS_EC2_METADATA_DISABLED=true)")
        }
        throw noCredentials(profile: profile, searched: searched)
    }

    public func resolve() throws(AWSError) -> AWSCredentials {
        var searched: [String] = []
        if let c = try environmentCredentials(&searched) { return c }
        let profile = environment.profileName
        let files = try sharedFiles()
        switch try plan(profile, files: files, searched: &searched) {
        case .keys(let c): return c
        case .process(let p): return try p.runBlocking()
        case .assumeRole(let spec, _):
            throw .credentials(
                "\(spec.location): profile \(profile) uses role_arn, which this command cannot use yet (it reads credentials without the network); give the profile static keys, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        case nil: break
        }
        searched.append("container credentials and EC2 instance metadata (not consulted by this command)")
        throw noCredentials(profile: profile, searched: searched)
    }

    /// A holder that refreshes the chain's credentials ahead of expiry (see `RefreshingCredentials`).
    public func refreshing(initial: AWSCredentials? = nil) -> RefreshingCredentials {
        RefreshingCredentials(initial: initial, now: now) { () async throws(AWSError) -> AWSCredentials in try await self.resolveAsync() }
    }

    func noCredentials(profile: String, searched: [String]) -> AWSError {
        .credentials(
            "no AWS credentials found for profile \(profile). Searched:\n"
                + searched.map { "  - \($0)" }.joined(separator: "\n")
                + "\nSet AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile that has keys with AWS_PROFILE.")
    }

    func sharedFiles() throws(AWSError) -> SharedFiles {
        do { return try environment.sharedFiles() } catch { throw .credentials("cannot read the AWS shared config: \(error)") }
    }

    func environmentCredentials(_ searched: inout [String]) throws(AWSError) -> AWSCredentials? {
        let env = environment
        guard env.explicitProfile == nil else { return nil }
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
            return nil
        }
    }

    // MARK: - Profiles

    /// "~/.aws/config:4": the file and header line of the section that sets `key` (credentials file first).
    func location(of key: String?, profile: String, files: SharedFiles) -> String {
        let env = environment
        for (file, path) in [(files.credentials, env.credentialsPath), (files.config, env.configPath)] {
            guard let section = file?.sections[profile] else { continue }
            if key == nil || section.values[key ?? ""] != nil { return "\(env.display(path)):\(section.line)" }
        }
        return env.display(env.configPath)
    }

    /// Static keys of `profile` in one file; nil when it has none, an error when only half.
    func staticKeys(_ file: SharedConfigFile?, label: String, profile: String) throws(AWSError) -> AWSCredentials? {
        guard let section = file?.sections[profile] else { return nil }
        let id = section.values["aws_access_key_id"], secret = section.values["aws_secret_access_key"]
        if let id, let secret {
            return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: section.values["aws_session_token"], source: "profile \(profile) in \(label)")
        }
        if id != nil || secret != nil {
            throw .credentials("\(label):\(section.line): profile \(profile) has \(id == nil ? "aws_secret_access_key but no aws_access_key_id" : "aws_access_key_id but no aws_secret_access_key")")
        }
        return nil
    }

    /// How `profile` gets its credentials, in botocore's order; nil (with `searched` extended) when
    /// the profile offers none.
    func plan(_ profile: String, files: SharedFiles, searched: inout [String]) throws(AWSError) -> Plan? {
        let env = environment
        let credLabel = env.display(env.credentialsPath), confLabel = env.display(env.configPath)
        if let roleARN = files.value("role_arn", profile: profile) {
            let loc = location(of: "role_arn", profile: profile, files: files)
            let sourceProfile = files.value("source_profile", profile: profile)
            let credentialSource = files.value("credential_source", profile: profile)
            let source: RoleSource
            switch (sourceProfile, credentialSource) {
            case let (p?, nil): source = .profile(p)
            case let (nil, s?):
                guard ["Environment", "EcsContainer", "Ec2InstanceMetadata"].contains(s) else {
                    throw .credentials("\(loc): profile \(profile) has credential_source = \(s); expected Environment, EcsContainer or Ec2InstanceMetadata")
                }
                source = .credentialSource(s)
            case (_?, _?):
                throw .credentials("\(loc): profile \(profile) sets both source_profile and credential_source; keep one")
            case (nil, nil):
                throw .credentials("\(loc): profile \(profile) has role_arn but neither source_profile nor credential_source, so there is nothing to assume the role with")
            }
            var duration: Int?
            if let raw = files.value("duration_seconds", profile: profile) {
                guard let d = Int(raw), (900...43200).contains(d) else {
                    throw .credentials("\(loc): profile \(profile) has duration_seconds = \(raw); expected a number of seconds from 900 to 43200")
                }
                duration = d
            }
            let spec = AssumeRoleSpec(
                profile: profile, roleARN: roleARN, sessionName: files.value("role_session_name", profile: profile), durationSeconds: duration,
                externalID: files.value("external_id", profile: profile), mfaSerial: files.value("mfa_serial", profile: profile), location: loc)
            return .assumeRole(spec, source)
        }
        for key in ["web_identity_token_file", "sso_session", "sso_start_url"] where files.value(key, profile: profile) != nil {
            throw .credentials(
                "\(location(of: key, profile: profile, files: files)): profile \(profile) uses \(key), which this version of Breakglass cannot use yet; give the profile static keys, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        }
        if let c = try staticKeys(files.credentials, label: credLabel, profile: profile) { return .keys(c) }
        if let command = files.value("credential_process", profile: profile) {
            let origin = "profile \(profile) in \(location(of: "credential_process", profile: profile, files: files))"
            return .process(ProcessCredentialProvider(command: command, origin: origin, variables: env.variables))
        }
        if let c = try staticKeys(files.config, label: confLabel, profile: profile) { return .keys(c) }
        for (file, label, isConfig) in [(files.credentials, credLabel, false), (files.config, confLabel, true)] {
            guard let file else {
                searched.append("\(label) (no such file)")
                continue
            }
            let header = isConfig && profile != "default" ? "[profile \(profile)]" : "[\(profile)]"
            searched.append(file.sections[profile] == nil ? "\(label) \(header) (no such profile)" : "\(label) \(header) (no aws_access_key_id)")
        }
        return nil
    }

    /// Carries out a plan. `chain` lists the profiles visited through source_profile, to name a cycle.
    func execute(_ plan: Plan, profile: String, files: SharedFiles, chain: [String]) async throws(AWSError) -> AWSCredentials {
        switch plan {
        case .keys(let c): return c
        case .process(let p): return try await p.run()
        case .assumeRole(let spec, let roleSource):
            let source: AWSCredentials
            switch roleSource {
            case .profile(let name) where name == profile:
                // A profile may name itself to assume its role with its own static keys.
                if let c = try staticKeys(files.credentials, label: environment.display(environment.credentialsPath), profile: profile) {
                    source = c
                } else if let c = try staticKeys(files.config, label: environment.display(environment.configPath), profile: profile) {
                    source = c
                } else {
                    throw .credentials("\(spec.location): profile \(profile) is its own source_profile but has no static keys")
                }
            case .profile(let name):
                guard !chain.contains(name) else {
                    throw .credentials("\(spec.location): source_profile forms a cycle: \((chain + [name]).joined(separator: " -> "))")
                }
                guard files.hasProfile(name) else {
                    throw .credentials("\(spec.location): profile \(profile) has source_profile = \(name), but there is no profile \(name)")
                }
                var ignored: [String] = []
                guard let next = try self.plan(name, files: files, searched: &ignored) else {
                    throw .credentials("\(spec.location): profile \(profile) has source_profile = \(name), but profile \(name) has no credentials (no keys, role_arn or credential_process)")
                }
                source = try await execute(next, profile: name, files: files, chain: chain + [name])
            case .credentialSource("Environment"):
                guard let id = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"] else {
                    throw .credentials("\(spec.location): profile \(profile) has credential_source = Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set")
                }
                source = AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"], source: "environment")
            case .credentialSource("EcsContainer"):
                guard let container = try ContainerCredentialProvider(environment: environment, transport: transport) else {
                    throw .credentials("\(spec.location): profile \(profile) has credential_source = EcsContainer, but neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set")
                }
                source = try await container.fetch()
            case .credentialSource(_):
                guard let imds = try InstanceMetadataProvider(environment: environment, transport: transport) else {
                    throw .credentials("\(spec.location): profile \(profile) has credential_source = Ec2InstanceMetadata, but AWS_EC2_METADATA_DISABLED=true")
                }
                switch try await imds.fetch() {
                case .success(let c): source = c
                case .failure(let why):
                    throw .credentials("\(spec.location): profile \(profile) has credential_source = Ec2InstanceMetadata, but instance metadata at \(imds.endpoint) gave none: \(why)")
                }
            }
            return try await AssumeRoleProvider(spec: spec, environment: environment, transport: transport, mfaCode: mfaCode, now: now).assume(with: source)
        }
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
