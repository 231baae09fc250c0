import Foundation

/// Signs and sends calls to AWS services and decodes their answers or errors.
///
/// `json` and `query` retry as the SDKs' standard mode does (see `RetryPolicy`), with one exception
/// that matters at 2 a.m.: a mutating call is repeated only when it certainly had no effect (AWS
/// throttled it, or the connection was never made). A write that may have reached AWS is reported as
/// `AWSError.outcomeUnknown`, never sent again.
public final class AWSClient: Sendable {
    /// The credentials the client started with (shown as "who" in the console's top bar).
    public let credentials: AWSCredentials
    /// When set, each request takes its credentials from here, so temporary credentials are
    /// refreshed ahead of expiry instead of failing an hour into a session.
    public let refreshing: RefreshingCredentials?
    public let endpoints: EndpointResolver
    public let transport: any HTTPTransport
    public let timeouts: HTTPTimeouts
    public let retry: RetrySettings
    /// Shared by every call of this client.
    public let retryQuota: RetryQuota
    /// Where every mutating call is recorded before it is sent and after. Without one, the client
    /// sends reads only (see `MutationJournal`).
    public let journal: (any MutationJournal)?
    /// When set, the only operations this client sends (see `limited(to:reason:)`); nil: any.
    public let limit: OperationLimit?
    private let signer: SigV4Signer
    private let now: @Sendable () -> Date
    private let sleep: @Sendable (Duration) async throws -> Void
    private let random: @Sendable () -> Double

    /// `sleep` waits between attempts (tests pass one that returns at once); `random` gives the
    /// backoff's jitter in [0, 1].
    public init(
        credentials: AWSCredentials, endpoints: EndpointResolver, transport: any HTTPTransport,
        timeouts: HTTPTimeouts = .standard, signer: SigV4Signer = SigV4Signer(), now: @escaping @Sendable () -> Date = { Date() },
        retry: RetrySettings = .standard, retryQuota: RetryQuota = RetryQuota(),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) },
        refreshing: RefreshingCredentials? = nil, journal: (any MutationJournal)? = nil, limit: OperationLimit? = nil
    ) {
        self.journal = journal
        self.limit = limit
        self.credentials = credentials
        self.refreshing = refreshing
        self.endpoints = endpoints
        self.transport = transport
        self.timeouts = timeouts
        self.signer = signer
        self.now = now
        self.retry = retry
        self.retryQuota = retryQuota
        self.sleep = sleep
        self.random = random
    }

    /// A client from the process's surroundings: credentials from the chain, endpoints from
    /// AWS_ENDPOINT_URL*, timeouts from BREAKGLASS_*TIMEOUT, retries from AWS_MAX_ATTEMPTS /
    /// AWS_RETRY_MODE (or the profile's max_attempts / retry_mode), libcurl with AWS_CA_BUNDLE.
    /// `retry.note` says when a retry mode other than standard was asked for.
    /// `mfaCode` supplies the code when the profile assumes a role that requires MFA.
    public static func fromEnvironment(
        _ environment: AWSEnvironment, mfaCode: MFACodeProvider? = nil, journal: (any MutationJournal)? = nil
    ) async throws(AWSError) -> AWSClient {
        let resolver = CredentialResolver(environment: environment, mfaCode: mfaCode)
        let credentials = try await resolver.resolveAsync()
        return AWSClient(
            credentials: credentials, endpoints: EndpointResolver(environment: environment),
            transport: CurlTransport(caBundle: environment["AWS_CA_BUNDLE"]),
            timeouts: try HTTPTimeouts.from(environment: environment),
            retry: try RetrySettings.from(environment: environment),
            refreshing: credentials.expiration == nil ? nil : resolver.refreshing(initial: credentials), journal: journal)
    }

    /// The same client recording its writes in `journal` (e.g. one carrying a runbook step's context).
    public func journaled(_ journal: any MutationJournal) -> AWSClient {
        AWSClient(
            credentials: credentials, endpoints: endpoints, transport: transport, timeouts: timeouts, signer: signer, now: now,
            retry: retry, retryQuota: retryQuota, sleep: sleep, random: random, refreshing: refreshing, journal: journal, limit: limit)
    }

    /// The same client, sending only `operations` ("service.Operation" with `AWSService.name`:
    /// "autoscaling.SetDesiredCapacity", "cloudwatch.DescribeAlarms"). Any other call fails with
    /// `AWSError.refused` before it is journaled or sent. `reason` says what the client is limited to
    /// ("the break-glass grant of app-break-glass for runbook asg-scale-out") and appears in that
    /// error. Limiting an already limited client keeps only the operations both allow.
    ///
    /// Defence in depth: the session policy of a break-glass grant already confines the credentials
    /// in AWS; this keeps a bug in Breakglass from even trying anything else.
    public func limited(to operations: Set<String>, reason: String) -> AWSClient {
        let allowed = limit.map { $0.operations.intersection(operations) } ?? operations
        return AWSClient(
            credentials: credentials, endpoints: endpoints, transport: transport, timeouts: timeouts, signer: signer, now: now,
            retry: retry, retryQuota: retryQuota, sleep: sleep, random: random, refreshing: refreshing, journal: journal,
            limit: OperationLimit(operations: allowed, reason: reason))
    }

    /// The same client (endpoints, transport, timeouts, retries, journal, limit) signing with
    /// `credentials` instead, without a refresher: when they carry an expiration, every call after it
    /// is refused before sending.
    public func using(credentials: AWSCredentials) -> AWSClient {
        AWSClient(
            credentials: credentials, endpoints: endpoints, transport: transport, timeouts: timeouts, signer: signer, now: now,
            retry: retry, retryQuota: retryQuota, sleep: sleep, random: random, refreshing: nil, journal: journal, limit: limit)
    }

    /// Refuses, before anything is journaled or sent, a call this client may not make: one outside
    /// its limit, or any call once its credentials (which nothing refreshes) have expired.
    func preflight(_ service: AWSService, _ operation: String) throws(AWSError) {
        let name = "\(service.name).\(operation)"
        if let limit, !limit.operations.contains(name) {
            throw .refused("\(name) is outside \(limit.reason), which allows only \(limit.operations.sorted().joined(separator: ", ")); not sent")
        }
        if refreshing == nil, let expiry = credentials.expiration, expiry <= now() {
            throw .credentials(
                "\(name): the credentials from \(credentials.source) expired at \(ISO8601.format(expiry)); request access again; not sent")
        }
    }

    /// Whether `operation` of `service` changes something. The catalog decides for the operations it
    /// holds; anything else is a write unless its name says it reads (Describe, Get, List). A caller's
    /// `mutating: true` can only add to this, never take it away.
    public static func isMutating(service: AWSService, operation: String, declared: Bool) -> Bool {
        if declared { return true }
        if let known = AWSCatalog.operation(service: service.name, name: operation) { return known.mutates }
        return !["Describe", "Get", "List", "BatchGet"].contains { operation.hasPrefix($0) }
    }

    /// Runs `body` — the whole call, retries included — between a durable intent entry and an
    /// outcome entry when the call mutates; runs it directly when it reads.
    func journaling<T: Sendable>(
        _ service: AWSService, _ operation: String, region: String, input: @autoclosure () -> AWSValue, mutating: Bool,
        _ body: () async throws(AWSError) -> T, requestID: (T) -> String?
    ) async throws(AWSError) -> T {
        try preflight(service, operation)
        guard mutating else { return try await body() }
        let name = "\(service.signingName).\(operation)"
        guard let journal else {
            throw .audit("\(name) changes something and this client has no audit trail to record it in; it was not sent")
        }
        let current = (try? await refreshing?.current()) ?? credentials
        let secrets = [current.secretAccessKey, current.sessionToken ?? "", credentials.secretAccessKey, credentials.sessionToken ?? ""]
        let intent = MutationIntent(
            service: service.signingName, operation: operation, region: region, parameters: input().scrubbing(secrets),
            accessKeyID: current.accessKeyID)
        let ticket: MutationTicket
        do {
            ticket = try journal.recordIntent(intent)
        } catch {
            throw .audit("could not record the intent of \(name) in the audit trail, so it was not sent: \(error)")
        }
        do {
            let value = try await body()
            journal.recordOutcome(.succeeded(requestID: requestID(value)), for: ticket)
            return value
        } catch {
            journal.recordOutcome(Self.scrubbed(MutationOutcome.from(error), secrets), for: ticket)
            throw error
        }
    }

    private static func scrubbed(_ outcome: MutationOutcome, _ secrets: [String]) -> MutationOutcome {
        func s(_ text: String) -> String { AWSValue.string(text).scrubbing(secrets).string ?? text }
        switch outcome {
        case .succeeded: return outcome
        case .failed(let code, let message, let id): return .failed(code: code, message: s(message), requestID: id)
        case .unknown(let d): return .unknown(detail: s(d))
        case .notSent(let d): return .notSent(detail: s(d))
        }
    }

    public struct JSONResponse: Sendable {
        public let value: AWSValue
        public let requestID: String?
    }

    public struct QueryResponse: Sendable {
        /// The `<OperationResult>` element (or the root when the answer has none).
        public let result: XMLElement
        public let requestID: String?
    }

    /// Calls an awsJson 1.0/1.1 operation. Pass `mutating: true` for any call that changes state.
    public func json(
        _ service: AWSService, _ operation: String, _ input: AWSValue = .object([:]), region: String, mutating: Bool = false
    ) async throws(AWSError) -> JSONResponse {
        guard case .awsJSON(let version, let prefix) = service.wireProtocol else {
            throw .configuration("\(service.name) does not speak awsJson")
        }
        let name = "\(service.signingName).\(operation)"
        let body = Array(JSON.encode(input).utf8)
        let headers = [HTTPHeader("Content-Type", "application/x-amz-json-\(version)"), HTTPHeader("X-Amz-Target", "\(prefix).\(operation)")]
        let mutating = Self.isMutating(service: service, operation: operation, declared: mutating)
        return try await journaling(service, operation, region: region, input: input, mutating: mutating, { () async throws(AWSError) -> JSONResponse in
        try await withRetries(operation: name, mutating: mutating) { () async throws(AWSError) -> JSONResponse in
            let response = try await self.send(service, operationName: name, region: region, body: body, headers: headers, mutating: mutating)
            guard (200..<300).contains(response.status) else { throw .service(Self.decodeError(response, operation: name)) }
            if response.body.isEmpty { return JSONResponse(value: .object([:]), requestID: response.requestID) }
            do {
                return JSONResponse(value: try JSON.decode(response.body), requestID: response.requestID)
            } catch {
                throw .malformedResponse(operation: name, status: response.status, requestID: response.requestID, reason: String(describing: error))
            }
        }
        }, requestID: \.requestID)
    }

    /// Calls a read-only awsJson operation and hands the answer's body, undecoded (no bytes when the
    /// answer had none), and its request id to `decode`: for answers too large to be worth a value
    /// tree, such as DescribeAlarms pages. Limited, journaled, retried and timed as `json` is, and
    /// `decode`'s errors are retried as `json`'s decoding errors are. A write is refused: it goes
    /// through `json`, which decides what its outcome is.
    public func jsonBody<T: Sendable>(
        _ service: AWSService, _ operation: String, _ input: AWSValue = .object([:]), region: String,
        decode: ([UInt8], _ requestID: String?) throws(AWSError) -> T
    ) async throws(AWSError) -> T {
        guard case .awsJSON(let version, let prefix) = service.wireProtocol else {
            throw .configuration("\(service.name) does not speak awsJson")
        }
        guard !Self.isMutating(service: service, operation: operation, declared: false) else {
            throw .configuration("\(service.signingName).\(operation) changes something: send it with json(_:_:_:region:mutating:)")
        }
        let name = "\(service.signingName).\(operation)"
        let body = Array(JSON.encode(input).utf8)
        let headers = [HTTPHeader("Content-Type", "application/x-amz-json-\(version)"), HTTPHeader("X-Amz-Target", "\(prefix).\(operation)")]
        return try await journaling(service, operation, region: region, input: input, mutating: false, { () async throws(AWSError) -> T in
        try await withRetries(operation: name, mutating: false) { () async throws(AWSError) -> T in
            let response = try await self.send(service, operationName: name, region: region, body: body, headers: headers)
            guard (200..<300).contains(response.status) else { throw .service(Self.decodeError(response, operation: name)) }
            return try decode(response.body, response.requestID)
        }
        }, requestID: { _ in nil })
    }

    /// Calls a query-protocol operation. `parameters` are already flattened (`Filters.member.1.Name`).
    /// Pass `mutating: true` for any call that changes state.
    public func query(
        _ service: AWSService, _ action: String, _ parameters: [(String, String)] = [], region: String, mutating: Bool = false
    ) async throws(AWSError) -> QueryResponse {
        try await query(service, action, parameters, region: region, mutating: mutating, journalInput: nil)
    }

    /// `journalInput` is what the audit trail records as the parameters (the structured input the
    /// parameters were flattened from); the flattened pairs when nil.
    func query(
        _ service: AWSService, _ action: String, _ parameters: [(String, String)], region: String, mutating: Bool, journalInput: AWSValue?
    ) async throws(AWSError) -> QueryResponse {
        let apiVersion: String
        switch service.wireProtocol {
        case .query(let v), .ec2(let v): apiVersion = v
        default: throw .configuration("\(service.name) does not speak the query protocol")
        }
        let name = "\(service.signingName).\(action)"
        let body = Array(FormEncoding.encode([("Action", action), ("Version", apiVersion)] + parameters).utf8)
        let headers = [HTTPHeader("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")]
        let mutating = Self.isMutating(service: service, operation: action, declared: mutating)
        let input = journalInput ?? AWSValue.object(AWSObject(parameters.map { ($0.0, AWSValue.string($0.1)) }))
        return try await journaling(service, action, region: region, input: input, mutating: mutating, { () async throws(AWSError) -> QueryResponse in
        try await withRetries(operation: name, mutating: mutating) { () async throws(AWSError) -> QueryResponse in
            let response = try await self.send(service, operationName: name, region: region, body: body, headers: headers, mutating: mutating)
            guard (200..<300).contains(response.status) else { throw .service(Self.decodeError(response, operation: name)) }
            let root: XMLElement
            do { root = try XML.decode(response.body) } catch {
                throw .malformedResponse(operation: name, status: response.status, requestID: response.requestID, reason: String(describing: error))
            }
            let requestID = root.first("RequestId")?.text ?? response.requestID
            return QueryResponse(result: root.child("\(action)Result") ?? root, requestID: requestID)
        }
        }, requestID: \.requestID)
    }

    /// Runs `attempt` (which signs afresh each time) until it succeeds or `RetryPolicy` says stop,
    /// paying for retries from the shared quota and sleeping the jittered backoff in between.
    func withRetries<T: Sendable>(
        operation name: String, mutating: Bool, _ attempt: () async throws(AWSError) -> T
    ) async throws(AWSError) -> T {
        var number = 1
        var lastRetryCost: Int?
        while true {
            let error: AWSError
            do {
                let value = try await attempt()
                retryQuota.recordSuccess(lastRetryCost: lastRetryCost)
                return value
            } catch let e {
                error = e
            }
            let cost: Int
            switch RetryPolicy.decide(error, mutating: mutating, attempt: number, maxAttempts: retry.maxAttempts) {
            case .fail(let final): throw final
            case .retry(let c): cost = c
            }
            // Out of quota: many calls are failing at once; report this one rather than pile on.
            guard retryQuota.acquire(cost) else { throw error }
            lastRetryCost = cost
            let pause = RetryPolicy.delay(afterAttempt: number, random: random())
            do {
                try Task.checkCancellation()
                try await sleep(pause)
                try Task.checkCancellation()
            } catch _ {
                throw .transport(TransportError(
                    kind: .cancelled, operation: name, url: "", requestMayHaveBeenSent: false,
                    detail: "cancelled before attempt \(number + 1); attempt \(number) had failed: \(error)"))
            }
            number += 1
        }
    }

    /// Builds, signs and sends one request; the answer is returned whatever its status.
    /// Writes (`mutating`) go over a fresh connection that is not reused (see `HTTPRequest.reuseConnection`).
    func send(_ service: AWSService, operationName: String, region: String, method: String = "POST", path: String = "/", body: [UInt8], headers: [HTTPHeader], mutating: Bool = false) async throws(AWSError) -> HTTPResponse {
        let endpoint = try endpoints.endpoint(for: service, region: region)
        var request = HTTPRequest(
            method: method, scheme: endpoint.scheme, host: endpoint.host, port: endpoint.port,
            path: endpoint.basePath + path, headers: headers, body: body, reuseConnection: !mutating)
        let date = now()
        let credentials = try await refreshing?.current() ?? self.credentials
        if let expiry = credentials.expiration, expiry <= date {
            // Refused before sending: AWS would answer ExpiredToken, and a write must not be half-tried.
            throw .credentials("\(operationName): the credentials from \(credentials.source) expired at \(ISO8601.format(expiry)); get new ones (or restart with a profile that can refresh them)")
        }
        signer.sign(&request, credentials: credentials, region: endpoint.signingRegion, service: service.signingName, date: date)
        do {
            return try await transport.send(request, operation: operationName, timeouts: timeouts)
        } catch {
            throw .transport(error)
        }
    }

    /// AWS error bodies come in three shapes: JSON (`__type`, `message`), query XML
    /// (`<ErrorResponse><Error><Code>`), and EC2 XML (`<Response><Errors><Error>`). Anything else keeps
    /// the HTTP status as the code and a short, sanitised excerpt as the message.
    static func decodeError(_ response: HTTPResponse, operation: String) -> ServiceError {
        var code: String?
        var message: String?
        var requestID = response.requestID
        if let json = try? JSON.decode(response.body), json.object != nil {
            code = json["__type"]?.string ?? json["code"]?.string ?? json["Code"]?.string
            message = json["message"]?.string ?? json["Message"]?.string ?? json["errorMessage"]?.string
        } else if let xml = try? XML.decode(response.body) {
            let error = xml.first("Error")
            code = error?.child("Code")?.text
            message = error?.child("Message")?.text
            requestID = requestID ?? xml.first("RequestId")?.text ?? xml.first("RequestID")?.text
        }
        if code == nil, let header = response.header("x-amzn-ErrorType") { code = header }
        if let header = response.header("x-amzn-query-error"), let c = header.split(separator: ";").first { code = String(c) }
        // "com.amazon.coral.service#InvalidClientTokenId" and "Code:http://..." both name the code.
        if var c = code {
            if let hash = c.lastIndex(of: "#") { c = String(c[c.index(after: hash)...]) }
            if let colon = c.firstIndex(of: ":") { c = String(c[..<colon]) }
            code = c
        }
        let fallback = String(decoding: response.body.prefix(200), as: UTF8.self)
        return ServiceError(
            operation: operation, code: code ?? "HTTP\(response.status)",
            message: message ?? (fallback.isEmpty ? "no message" : fallback), status: response.status, requestID: requestID)
    }
}

/// The operations a limited client may send (`AWSClient.limited(to:reason:)`).
public struct OperationLimit: Sendable, Equatable {
    /// "service.Operation", with `AWSService.name`: "autoscaling.SetDesiredCapacity".
    public let operations: Set<String>
    /// What the client is limited to, for the refusal's message.
    public let reason: String

    public init(operations: Set<String>, reason: String) {
        self.operations = operations
        self.reason = reason
    }
}

/// `application/x-www-form-urlencoded` as the AWS SDKs write it: unreserved characters kept, space as
/// `+`, everything else %XX (moto recomputes signatures over exactly this form).
public enum FormEncoding {
    public static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }

    public static func escape(_ s: String) -> String {
        var out = [UInt8]()
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.append(b)
            case 0x20: out.append(UInt8(ascii: "+"))
            default:
                out.append(UInt8(ascii: "%"))
                out.append(Hex.upper[Int(b >> 4)])
                out.append(Hex.upper[Int(b & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
