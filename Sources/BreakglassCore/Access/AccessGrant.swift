import BreakglassAWS
import Foundation

/// Break-glass credentials for one role, as the agent holds them and hands them to the process that
/// uses them (`runbook run`, the console). Lives in memory only: never written to disk, the audit
/// trail, a log, an argument list or the environment.
public struct AccessGrant: Sendable {
    /// The grant's row in `access_grants`.
    public let id: Int64
    /// The role's id under `access.roles`.
    public let role: String
    public let roleARN: String
    public let credentials: AWSCredentials
    public let expiration: Date
    /// The runbook the session policy was derived from; nil for a grant without one.
    public let runbook: String?
    /// The operations the session policy allows (`service.Operation`), for
    /// `AWSClient.limited(to:reason:)`; nil for a grant without a runbook.
    public let operations: Set<String>?
    public let sessionName: String

    public init(
        id: Int64, role: String, roleARN: String, credentials: AWSCredentials, expiration: Date, runbook: String?, operations: Set<String>?,
        sessionName: String
    ) {
        self.id = id
        self.role = role
        self.roleARN = roleARN
        self.credentials = credentials
        self.expiration = expiration
        self.runbook = runbook
        self.operations = operations
        self.sessionName = sessionName
    }

    /// An AWS client signing with these credentials: `base` with the grant's credentials and no
    /// refresher (so every call after expiry is refused before sending), limited to the runbook's
    /// operations when the grant has a runbook.
    public func client(from base: AWSClient) -> AWSClient {
        let client = base.using(credentials: credentials)
        guard let operations else { return client }
        return client.limited(to: operations, reason: "the break-glass grant of \(role) for runbook \(runbook ?? "?")")
    }
}

/// What the agent knows about a grant besides its credentials, for `access status` and the audit
/// trail when it wipes the grant.
public struct AccessGrantSummary: Sendable, Equatable {
    public var id: Int64
    public var role: String
    public var roleARN: String
    public var accessKeyID: String
    public var expiration: Date
    public var runbook: String?
    public var incident: String?
    public var sessionName: String

    public init(
        id: Int64, role: String, roleARN: String, accessKeyID: String, expiration: Date, runbook: String?, incident: String?, sessionName: String
    ) {
        self.id = id
        self.role = role
        self.roleARN = roleARN
        self.accessKeyID = accessKeyID
        self.expiration = expiration
        self.runbook = runbook
        self.incident = incident
        self.sessionName = sessionName
    }
}

/// Bytes the holder overwrites when it lets go of them. Swift strings made from them (to sign a
/// request, to answer a `get`) are copies the runtime frees but does not overwrite: this narrows
/// how long a secret sits in memory, it cannot promise more.
final class SecretBytes: @unchecked Sendable {
    // Touched only by the agent's single thread.
    private var bytes: [UInt8]

    init(_ text: String) { bytes = Array(text.utf8) }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    func wipe() {
        bytes.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            // memset through a volatile-like path: the optimiser may not drop a call it cannot see into.
            _ = withExtendedLifetime(buffer) { memset(base, 0, buffer.count) }
        }
        bytes.removeAll()
    }

    deinit { wipe() }
}
