import Synchronization

/// How many attempts a call gets and which retry mode was asked for: AWS_MAX_ATTEMPTS and
/// AWS_RETRY_MODE, else the profile's `max_attempts` and `retry_mode`, else the SDKs' standard mode
/// with 3 attempts.
public struct RetrySettings: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        case standard, legacy, adaptive
    }

    /// Attempts in all, the first included; 1 means never retry.
    public var maxAttempts: Int
    /// The mode asked for. Breakglass always retries as standard mode does; see `note`.
    public var mode: Mode
    /// Where the mode came from ("AWS_RETRY_MODE", "retry_mode in profile prod"), for the note.
    public var modeSource: String?

    public static let maxAttemptsRange = 1...100

    public init(maxAttempts: Int = 3, mode: Mode = .standard, modeSource: String? = nil) {
        self.maxAttempts = maxAttempts
        self.mode = mode
        self.modeSource = modeSource
    }

    public static let standard = RetrySettings()
    /// One attempt, no retries.
    public static let never = RetrySettings(maxAttempts: 1)

    /// What to tell the user when they asked for a mode Breakglass does not implement; nil for standard.
    public var note: String? {
        let source = modeSource ?? "retry mode"
        switch mode {
        case .standard: return nil
        case .legacy:
            return "\(source) asks for legacy retries; Breakglass retries in standard mode (\(maxAttempts) attempts, jittered exponential backoff, retry quota)"
        case .adaptive:
            return "\(source) asks for adaptive retries; Breakglass retries in standard mode (\(maxAttempts) attempts) without client-side rate limiting"
        }
    }

    /// Reads the settings. A value that is not understood is a configuration error naming where it came from.
    public static func from(environment: AWSEnvironment) throws(AWSError) -> RetrySettings {
        let envAttempts = environment["AWS_MAX_ATTEMPTS"]
        let envMode = environment["AWS_RETRY_MODE"]
        var files: SharedFiles?
        if envAttempts == nil || envMode == nil {
            do { files = try environment.sharedFiles() } catch {
                throw .configuration("cannot read the AWS shared config for retry settings: \(error)")
            }
        }
        let profile = environment.profileName
        var settings = RetrySettings.standard
        if let raw = envAttempts {
            settings.maxAttempts = try parseMaxAttempts(raw, source: "AWS_MAX_ATTEMPTS")
        } else if let raw = files?.value("max_attempts", profile: profile) {
            settings.maxAttempts = try parseMaxAttempts(raw, source: "max_attempts in profile \(profile)")
        }
        if let raw = envMode {
            settings.mode = try parseMode(raw, source: "AWS_RETRY_MODE")
            settings.modeSource = "AWS_RETRY_MODE=\(raw)"
        } else if let raw = files?.value("retry_mode", profile: profile) {
            settings.mode = try parseMode(raw, source: "retry_mode in profile \(profile)")
            settings.modeSource = "retry_mode = \(raw) in profile \(profile)"
        }
        return settings
    }

    static func parseMaxAttempts(_ raw: String, source: String) throws(AWSError) -> Int {
        let trimmed = raw.trimmingSpaces()
        guard let n = Int(trimmed), maxAttemptsRange.contains(n) else {
            throw .configuration(
                "\(source)=\(raw): expected a whole number of attempts from \(maxAttemptsRange.lowerBound) to \(maxAttemptsRange.upperBound) (1 means no retries)")
        }
        return n
    }

    static func parseMode(_ raw: String, source: String) throws(AWSError) -> Mode {
        guard let mode = Mode(rawValue: raw.trimmingSpaces().lowercased()) else {
            throw .configuration("\(source)=\(raw): expected standard, legacy or adaptive")
        }
        return mode
    }
}

/// The pure retry decision of the SDKs' standard mode, narrowed by Breakglass's rule for writes:
/// a mutating call is repeated only when it certainly had no effect.
public enum RetryPolicy {
    /// What to do after a failed attempt.
    public enum Decision: Sendable, Equatable {
        /// Try again after paying `cost` from the retry quota.
        case retry(cost: Int)
        /// Stop and report this error (for a write that may have reached AWS, `.outcomeUnknown`).
        case fail(AWSError)
    }

    /// How a failure looks to the retry policy.
    public enum FailureClass: Sendable, Equatable {
        /// AWS answered that it is throttling us: the call was not executed.
        case throttled
        /// AWS answered with a transient error (500/502/503/504, RequestTimeout, ...): it may or may not
        /// have acted.
        case transientAnswer
        /// The connection was never made: nothing reached AWS.
        case neverSent
        /// No answer in time after the request may have been sent.
        case timedOut
        /// The connection broke after the request may have been sent.
        case connectionLost
        /// Anything else (client errors, TLS, cancellation, unreadable answers, configuration).
        case permanent
    }

    public static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown",
        "EC2ThrottledException",
    ]
    public static let transientCodes: Set<String> = ["RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"]
    public static let transientStatuses: Set<Int> = [500, 502, 503, 504]

    public static let retryCost = 5
    public static let timeoutRetryCost = 10
    public static let maxBackoffSeconds = 20.0

    public static func classify(_ error: AWSError) -> FailureClass {
        switch error {
        case .service(let e):
            if throttlingCodes.contains(e.code) { return .throttled }
            if transientCodes.contains(e.code) || transientStatuses.contains(e.status) { return .transientAnswer }
            return .permanent
        case .transport(let t):
            switch t.kind {
            case .cannotConnect: return t.requestMayHaveBeenSent ? .connectionLost : .neverSent
            case .timedOut: return .timedOut
            case .connectionLost: return .connectionLost
            case .tls, .cancelled, .other: return .permanent
            }
        case .credentials, .configuration, .malformedResponse, .outcomeUnknown, .audit, .refused:
            return .permanent
        }
    }

    /// The decision after attempt number `attempt` (1-based) failed with `error`.
    ///
    /// Reads: throttling, transient answers and connection failures are retried while attempts remain.
    /// Writes: retried only after a throttling answer or a connection that was never made; a 5xx answer
    /// is reported as it is; a timeout, a lost connection, or any failure after the request may have
    /// gone out becomes `.outcomeUnknown` and is never sent again.
    public static func decide(_ error: AWSError, mutating: Bool, attempt: Int, maxAttempts: Int) -> Decision {
        let failure = classify(error)
        if mutating, case .transport(let t) = error, mayHaveTakenEffect(t) {
            return .fail(.outcomeUnknown(OutcomeUnknown(operation: t.operation, transport: t, attempt: attempt)))
        }
        let retryable: Bool
        var cost = retryCost
        switch failure {
        case .throttled, .neverSent: retryable = true
        case .transientAnswer, .connectionLost: retryable = !mutating
        case .timedOut:
            retryable = !mutating
            cost = timeoutRetryCost
        case .permanent: retryable = false
        }
        guard retryable, attempt < maxAttempts else { return .fail(error) }
        return .retry(cost: cost)
    }

    /// Whether a failed write may nonetheless have been carried out by AWS.
    static func mayHaveTakenEffect(_ t: TransportError) -> Bool {
        switch t.kind {
        case .timedOut, .connectionLost: return true
        case .cannotConnect, .tls, .cancelled, .other: return t.requestMayHaveBeenSent
        }
    }

    /// The pause before attempt `attempt + 1`: random × min(2^(attempt−1) s, 20 s), `random` in [0, 1].
    public static func delay(afterAttempt attempt: Int, random: Double) -> Duration {
        let exponent = max(0, min(attempt - 1, 30))
        let cap = min(Double(1 << exponent), maxBackoffSeconds)
        let r = random.isFinite ? min(max(random, 0), 1) : 0
        return .milliseconds(Int64((r * cap * 1000).rounded()))
    }
}

/// The standard mode's retry quota, shared by every call of one client: 500 tokens; a retry costs 5
/// (10 after a timeout); a success on the first attempt returns 1, a success after retries returns what
/// the last retry cost. When the quota cannot pay for a retry, the failure is reported instead.
public final class RetryQuota: Sendable {
    public static let initialCapacity = 500
    public static let noRetryIncrement = 1

    private let tokens: Mutex<Int>
    public let capacity: Int

    public init(capacity: Int = RetryQuota.initialCapacity) {
        self.capacity = capacity
        tokens = Mutex(capacity)
    }

    public var available: Int { tokens.withLock { $0 } }

    /// Takes `cost` tokens if there are enough; false (and nothing taken) otherwise.
    public func acquire(_ cost: Int) -> Bool {
        tokens.withLock { t in
            guard t >= cost else { return false }
            t -= cost
            return true
        }
    }

    /// Records a successful call: `lastRetryCost` is what its last retry cost, nil when it succeeded
    /// on the first attempt.
    public func recordSuccess(lastRetryCost: Int?) {
        let refund = lastRetryCost ?? Self.noRetryIncrement
        tokens.withLock { t in t = min(capacity, t + refund) }
    }
}
