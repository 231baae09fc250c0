import Foundation

/// Holds credentials and fetches new ones ahead of expiry, as botocore does: within `advisory`
/// (15 min) of expiry it tries to refresh but keeps the old ones if that fails; within `mandatory`
/// (10 min) it must refresh, and a failure is an error. Credentials without an expiry never refresh.
/// Concurrent callers share one refresh.
public actor RefreshingCredentials {
    public typealias Fetch = @Sendable () async throws(AWSError) -> AWSCredentials

    private let fetch: Fetch
    private let now: @Sendable () -> Date
    public let advisory: TimeInterval
    public let mandatory: TimeInterval
    private var cached: AWSCredentials?
    private var inFlight: Task<Result<AWSCredentials, AWSError>, Never>?
    /// The last refresh that failed while old credentials were still good enough, for a status line.
    public private(set) var lastRefreshError: AWSError?

    public init(
        initial: AWSCredentials? = nil, advisory: TimeInterval = 15 * 60, mandatory: TimeInterval = 10 * 60,
        now: @escaping @Sendable () -> Date = { Date() }, fetch: @escaping Fetch
    ) {
        self.cached = initial
        self.advisory = advisory
        self.mandatory = mandatory
        self.now = now
        self.fetch = fetch
    }

    /// Credentials good for at least `mandatory` more seconds (or ones that never expire).
    public func current() async throws(AWSError) -> AWSCredentials {
        if let c = cached {
            guard let expiry = c.expiration else { return c }
            let left = expiry.timeIntervalSince(now())
            if left > advisory { return c }
            if left > mandatory {
                switch await refresh() {
                case .success(let fresh): return fresh
                case .failure(let error):
                    lastRefreshError = error
                    return c
                }
            }
        }
        switch await refresh() {
        case .success(let fresh): return fresh
        case .failure(let error):
            if let c = cached, let expiry = c.expiration {
                let minutes = Int(expiry.timeIntervalSince(now()) / 60)
                throw .credentials("credentials from \(c.source) \(minutes > 0 ? "expire in \(minutes) min" : "have expired") and could not be refreshed: \(error)")
            }
            throw error
        }
    }

    private func refresh() async -> Result<AWSCredentials, AWSError> {
        if let inFlight { return await inFlight.value }
        let fetch = self.fetch
        let task = Task { () async -> Result<AWSCredentials, AWSError> in
            do throws(AWSError) { return .success(try await fetch()) } catch { return .failure(error) }
        }
        inFlight = task
        let result = await task.value
        inFlight = nil
        if case .success(let fresh) = result {
            cached = fresh
            lastRefreshError = nil
        }
        return result
    }
}
