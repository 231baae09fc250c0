/// Calling any catalog operation, whatever its service's wire protocol, with one value tree in and
/// one out.
extension AWSClient {
    public struct CallResult: Sendable {
        public let value: AWSValue
        public let requestID: String?
    }

    /// Sends `operation` with `input` (an object) and decodes the answer into a value tree. Writes
    /// (`operation.mutates`) are never re-sent once they may have reached AWS.
    public func call(_ operation: AWSOperation, _ input: AWSValue = .object([:]), region: String) async throws(AWSError) -> CallResult {
        guard input.object != nil else { throw .configuration("\(operation.service.name) \(operation.name): the input must be a JSON object") }
        let service = operation.service
        switch service.wireProtocol {
        case .awsJSON:
            let r = try await json(service, operation.name, input, region: region, mutating: operation.mutates)
            return CallResult(value: r.value, requestID: r.requestID)
        case .query, .ec2:
            let isEC2: Bool = if case .ec2 = service.wireProtocol { true } else { false }
            let parameters = try QueryFlattening.flatten(input, listNames: operation.listNames, maps: operation.maps, ec2Dialect: isEC2)
            let r = try await query(service, operation.name, parameters, region: region, mutating: operation.mutates, journalInput: input)
            return CallResult(value: QueryFlattening.value(of: r.result, dropWrapper: true), requestID: r.requestID)
        case .restJSON:
            return try await restJSON(operation, input, region: region)
        }
    }

    /// SHA-256 of no bytes, in hex.
    static let emptyPayloadSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    func restJSON(_ operation: AWSOperation, _ input: AWSValue, region: String) async throws(AWSError) -> CallResult {
        guard let http = operation.http else { throw .configuration("\(operation.service.name) \(operation.name) has no HTTP binding") }
        let name = "\(operation.service.signingName).\(operation.name)"
        var body = input.object ?? AWSObject()
        var path = ""
        var rest = Substring(http.path)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            path += rest[..<open]
            let member = String(rest[rest.index(after: open)..<close])
            guard let value = body[member], let text = value.string ?? (value.int.map(String.init)) else {
                throw .configuration("\(operation.service.name) \(operation.name) needs \(member)")
            }
            path += SigV4Signer.uriEncode(text.utf8, keepSlash: false)
            body[member] = nil
            rest = rest[rest.index(after: close)...]
        }
        path += rest
        let sendsBody = http.method == "PUT" || http.method == "POST"
        let bytes = sendsBody ? Array(JSON.encode(.object(body)).utf8) : []
        // A bodiless request (GET, DELETE) also signs the empty payload's hash as X-Amz-Content-SHA256.
        // AWS accepts the header on every service; moto 5.2.1's Lambda checks a bodiless request's
        // signature against it and fails without it (botocore, which omits it, fails there too).
        let headers =
            sendsBody
            ? [HTTPHeader("Content-Type", "application/json")]
            : [HTTPHeader("X-Amz-Content-SHA256", Self.emptyPayloadSHA256)]
        let finalPath = path
        return try await journaling(operation.service, operation.name, region: region, input: input, mutating: operation.mutates, { () async throws(AWSError) -> CallResult in
        try await withRetries(operation: name, mutating: operation.mutates) { () async throws(AWSError) -> CallResult in
            let response = try await self.send(
                operation.service, operationName: name, region: region, method: http.method, path: finalPath, body: bytes, headers: headers,
                mutating: operation.mutates)
            guard (200..<300).contains(response.status) else { throw .service(Self.decodeError(response, operation: name)) }
            if response.body.isEmpty { return CallResult(value: .object([:]), requestID: response.requestID) }
            do {
                return CallResult(value: try JSON.decode(response.body), requestID: response.requestID)
            } catch {
                throw .malformedResponse(operation: name, status: response.status, requestID: response.requestID, reason: String(describing: error))
            }
        }
        }, requestID: \.requestID)
    }
}

/// The query protocols' request and answer shapes, to and from the value tree.
public enum QueryFlattening {
    /// Form parameters for `input`: structures as `Name.Sub`, lists as `Name.member.N` (or the
    /// operation's item name, RDS `Filters.Filter.N`), in EC2's dialect `Name.N` with the member's wire
    /// name (`InstanceIds` -> `InstanceId.1`); maps (the members named in `maps`) as
    /// `Name.entry.N.key` / `Name.entry.N.value` with the map's names for key and value, entries in
    /// the object's order; booleans `true`/`false`; null members left out.
    public static func flatten(
        _ input: AWSValue, listNames: [String: String], maps: [String: QueryMap] = [:], ec2Dialect: Bool
    ) throws(AWSError) -> [(String, String)] {
        var out: [(String, String)] = []
        func walk(_ value: AWSValue, _ prefix: String, member: String) throws(AWSError) {
            switch value {
            case .null: return
            case .string(let s): out.append((prefix, s))
            case .number(let n): out.append((prefix, n))
            case .bool(let b): out.append((prefix, b ? "true" : "false"))
            case .array(let items):
                if maps[member] != nil { throw .configuration("\(member) is a map: give it as an object, not a list") }
                if items.isEmpty { out.append((prefix, "")); return }
                for (i, item) in items.enumerated() {
                    let key = ec2Dialect ? "\(prefix).\(i + 1)" : "\(prefix).\(listNames[member] ?? "member").\(i + 1)"
                    try walk(item, key, member: member)
                }
            case .object(let o):
                if let map = maps[member] {
                    // An empty map sends nothing, as the SDKs do.
                    for (i, (key, value)) in o.enumerated() {
                        let entry = "\(prefix).entry.\(i + 1)"
                        out.append(("\(entry).\(map.key)", key))
                        try walk(value, "\(entry).\(map.value)", member: "")
                    }
                    return
                }
                for (k, v) in o {
                    var wire = k
                    if ec2Dialect, case .array = v { wire = listNames[k] ?? k }
                    try walk(v, prefix.isEmpty ? wire : "\(prefix).\(wire)", member: k)
                }
            }
        }
        guard input.object != nil else { throw .configuration("query input must be an object") }
        try walk(input, "", member: "")
        return out
    }

    /// An XML answer as a value tree. An element whose children all carry one name that is `member`,
    /// `item`, or the singular of the element's own name (`DBInstances` > `DBInstance`) is a list; an
    /// element without children is a string; anything else is an object.
    public static func value(of element: XMLElement, dropWrapper: Bool = false) -> AWSValue {
        if element.children.isEmpty { return dropWrapper ? .object([:]) : .string(element.text) }
        if !dropWrapper, let only = element.children.first?.name, element.children.allSatisfy({ $0.name == only }),
            only == "member" || only == "item" || element.name == only + "s" || element.name == only + "Set" || element.children.count > 1
        {
            return .array(element.children.map { value(of: $0) })
        }
        return .object(AWSObject(element.children.map { ($0.name, value(of: $0)) }))
    }
}
