import BreakglassAWS
import Foundation

extension AlarmFetcher {
    /// Decodes one DescribeAlarms answer (awsJson 1.0) straight from the bytes of its body into alarms,
    /// without building a value tree first: the same alarms, token and complaints as
    /// `AlarmPage(JSON.decode(body), region:)`, for a fraction of the allocations. Values that many
    /// alarms repeat (namespace, metric, statistic, comparison, dimension names and values) share one
    /// string per page. An empty body is a page with no alarms, as `AWSClient.json` reads it.
    ///
    /// Malformed JSON and a page of the wrong shape are `AWSError.malformedResponse` for
    /// `monitoring.DescribeAlarms` (HTTP 200, `requestID`), with the reason `client.json` or
    /// `AlarmPage` would give.
    public static func decodePage(_ body: [UInt8], region: String, requestID: String? = nil) throws(AWSError) -> AlarmPage {
        var table = JSON.StringTable()
        return try decodePage(body, region: region, requestID: requestID, sharing: &table)
    }

    /// As `decodePage(_:region:requestID:)`, sharing strings through `table` (across pages, too).
    static func decodePage(_ body: [UInt8], region: String, requestID: String?, sharing table: inout JSON.StringTable) throws(AWSError) -> AlarmPage {
        guard !body.isEmpty else { return AlarmPage(alarms: [], nextToken: nil) }
        func fail(_ reason: String) -> AWSError {
            .malformedResponse(operation: "monitoring.DescribeAlarms", status: 200, requestID: requestID, reason: reason)
        }
        do {
            let reader = AlarmPageReader(body: body, region: region)
            // A page of the wrong shape is reported once the whole body is known to be JSON.
            return try JSON.read(body) { r in try reader.page(&r, sharing: &table) }.get()
        } catch let error as JSON.DecodeError {
            throw fail(error.description)
        } catch let error as AlarmPage.DecodeError {
            throw fail(error.description)
        } catch {
            throw fail(String(describing: error))
        }
    }
}

extension AlarmPage {
    public init(alarms: [Alarm], nextToken: String?) {
        self.alarms = alarms
        self.nextToken = nextToken
    }
}

/// The shape of a DescribeAlarms page, read member by member. Where `AlarmPage.init(_:region:)`
/// looks a member up in a tree, the first of duplicated members counts and the rest are skipped, so
/// both read the same page the same way; and since the tree is whole before it is looked at, a
/// syntax error anywhere wins over a page of the wrong shape, and a problem in MetricAlarms over one
/// in CompositeAlarms: here a problem of shape is noted and reading goes on to the end.
private struct AlarmPageReader {
    let body: [UInt8]
    let region: String

    /// Members of one alarm, as bits, to tell the first of a duplicated member from the rest.
    private struct Seen: OptionSet {
        let rawValue: UInt32
        static let name = Seen(rawValue: 1 << 0)
        static let state = Seen(rawValue: 1 << 1)
        static let reason = Seen(rawValue: 1 << 2)
        static let updated = Seen(rawValue: 1 << 3)
        static let configured = Seen(rawValue: 1 << 4)
        static let namespace = Seen(rawValue: 1 << 5)
        static let metric = Seen(rawValue: 1 << 6)
        static let arn = Seen(rawValue: 1 << 7)
        static let dimensions = Seen(rawValue: 1 << 8)
        static let statistic = Seen(rawValue: 1 << 9)
        static let extendedStatistic = Seen(rawValue: 1 << 10)
        static let period = Seen(rawValue: 1 << 11)
        static let threshold = Seen(rawValue: 1 << 12)
        static let comparison = Seen(rawValue: 1 << 13)
        static let evaluationPeriods = Seen(rawValue: 1 << 14)
        static let datapointsToAlarm = Seen(rawValue: 1 << 15)
    }

    func page(_ r: inout JSON.Reader, sharing table: inout JSON.StringTable) throws -> Result<AlarmPage, AlarmPage.DecodeError> {
        guard try r.kind() == .object else {
            try r.skipValue()
            return .failure(AlarmPage.DecodeError(reason: "DescribeAlarms answer is not a JSON object"))
        }
        try r.beginObject()
        var metric: [Alarm]?, composite: [Alarm]?
        var metricProblem: String?, compositeProblem: String?
        var nextToken: String?, tokenSeen = false
        while try r.nextMember() {
            if r.keyIs("MetricAlarms"), metric == nil, metricProblem == nil {
                metric = try list(&r, key: "MetricAlarms", type: .metric, problem: &metricProblem, sharing: &table)
            } else if r.keyIs("CompositeAlarms"), composite == nil, compositeProblem == nil {
                composite = try list(&r, key: "CompositeAlarms", type: .composite, problem: &compositeProblem, sharing: &table)
            } else if r.keyIs("NextToken"), !tokenSeen {
                tokenSeen = true
                nextToken = try r.stringOrSkip()
            } else {
                try r.skipValue()
            }
        }
        if let problem = metricProblem ?? compositeProblem { return .failure(AlarmPage.DecodeError(reason: problem)) }
        var alarms = metric ?? []
        if let composite { alarms += composite }
        return .success(AlarmPage(alarms: alarms, nextToken: nextToken))
    }

    /// The alarms of one list; with a problem noted instead (and the rest of the list checked and
    /// skipped), an empty one.
    private func list(
        _ r: inout JSON.Reader, key: String, type: AlarmType, problem: inout String?, sharing table: inout JSON.StringTable
    ) throws -> [Alarm] {
        guard try r.kind() == .array else {
            try r.skipValue()
            problem = "\(key) is not a list"
            return []
        }
        try r.beginArray()
        var alarms: [Alarm] = []
        var i = 0
        while try r.nextElement() {
            if problem != nil {
                try r.skipValue()
            } else {
                switch try alarm(&r, type: type, sharing: &table) {
                case .success(let a): alarms.append(a)
                case .failure(let p): problem = "\(key)[\(i)]\(p.reason)"
                }
            }
            i += 1
        }
        return problem == nil ? alarms : []
    }

    /// One alarm; a problem is the end of its message, after "MetricAlarms[3]".
    private func alarm(_ r: inout JSON.Reader, type: AlarmType, sharing table: inout JSON.StringTable) throws -> Result<Alarm, AlarmPage.DecodeError> {
        guard try r.kind() == .object else {
            try r.skipValue()
            return .failure(AlarmPage.DecodeError(reason: " has no AlarmName"))
        }
        let isMetric = type == .metric
        var seen: Seen = []
        var name: String?, stateText: String?, stateSpan: Range<Int>?, reason: String?
        var updated: Date?, configured: Date?
        var namespace: String?, metricName: String?, arn: String?, dimensions: [MetricDimension] = []
        var statistic: String?, extendedStatistic: String?, comparison: String?
        var period: Int?, threshold: Double?, evaluationPeriods: Int?, datapointsToAlarm: Int?
        /// Whether this member is `key` seen for the first time (and marks it seen).
        func first(_ member: Seen) -> Bool { seen.insert(member).inserted }
        try r.beginObject()
        while try r.nextMember() {
            if r.keyIs("AlarmName"), first(.name) {
                name = try r.stringOrSkip()
            } else if r.keyIs("StateValue"), first(.state) {
                let start = r.offset
                stateText = try r.stringOrSkip()
                stateSpan = start..<r.offset
            } else if r.keyIs("StateReason"), first(.reason) {
                reason = try r.stringOrSkip()
            } else if r.keyIs("StateUpdatedTimestamp"), first(.updated) {
                updated = try Self.timestamp(&r)
            } else if r.keyIs("AlarmConfigurationUpdatedTimestamp"), first(.configured) {
                configured = try Self.timestamp(&r)
            } else if r.keyIs("AlarmArn"), first(.arn) {
                arn = try r.stringOrSkip()
            } else if !isMetric {
                try r.skipValue()
            } else if r.keyIs("Namespace"), first(.namespace) {
                namespace = try r.stringOrSkip(sharingWith: &table)
            } else if r.keyIs("MetricName"), first(.metric) {
                metricName = try r.stringOrSkip(sharingWith: &table)
            } else if r.keyIs("Dimensions"), first(.dimensions) {
                dimensions = try Self.dimensions(&r, sharing: &table)
            } else if r.keyIs("Statistic"), first(.statistic) {
                statistic = try r.stringOrSkip(sharingWith: &table)
            } else if r.keyIs("ExtendedStatistic"), first(.extendedStatistic) {
                extendedStatistic = try r.stringOrSkip(sharingWith: &table)
            } else if r.keyIs("Period"), first(.period) {
                period = try Self.int(&r)
            } else if r.keyIs("Threshold"), first(.threshold) {
                threshold = try r.numberOrStringOrSkip().flatMap { Double($0) }
            } else if r.keyIs("ComparisonOperator"), first(.comparison) {
                comparison = try r.stringOrSkip(sharingWith: &table)
            } else if r.keyIs("EvaluationPeriods"), first(.evaluationPeriods) {
                evaluationPeriods = try Self.int(&r)
            } else if r.keyIs("DatapointsToAlarm"), first(.datapointsToAlarm) {
                datapointsToAlarm = try Self.int(&r)
            } else {
                try r.skipValue()
            }
        }
        guard let name else { return .failure(AlarmPage.DecodeError(reason: " has no AlarmName")) }
        guard let stateText, let state = AlarmState(rawValue: stateText) else {
            var shown = "(missing)"
            if let span = stateSpan, let value = try? JSON.decode(body[span]) { shown = JSON.encode(value) }
            return .failure(AlarmPage.DecodeError(reason: " (\(name)) has an unknown StateValue \(shown)"))
        }
        return .success(Alarm(
            name: name, state: state, reason: reason ?? "", updated: updated ?? configured ?? Date(timeIntervalSince1970: 0),
            region: region, type: type, namespace: namespace, metric: metricName, arn: arn, dimensions: dimensions,
            statistic: statistic ?? extendedStatistic, period: period, threshold: threshold, comparison: comparison,
            evaluationPeriods: evaluationPeriods, datapointsToAlarm: datapointsToAlarm))
    }

    /// `Dimensions: [{Name, Value}]`; entries without both (as strings) are skipped.
    private static func dimensions(_ r: inout JSON.Reader, sharing table: inout JSON.StringTable) throws -> [MetricDimension] {
        guard try r.kind() == .array else { try r.skipValue(); return [] }
        var out: [MetricDimension] = []
        try r.beginArray()
        while try r.nextElement() {
            guard try r.kind() == .object else { try r.skipValue(); continue }
            var name: String?, value: String?, nameSeen = false, valueSeen = false
            try r.beginObject()
            while try r.nextMember() {
                if r.keyIs("Name"), !nameSeen {
                    nameSeen = true
                    name = try r.stringOrSkip(sharingWith: &table)
                } else if r.keyIs("Value"), !valueSeen {
                    valueSeen = true
                    value = try r.stringOrSkip(sharingWith: &table)
                } else {
                    try r.skipValue()
                }
            }
            if let name, let value { out.append(MetricDimension(name: name, value: value)) }
        }
        return out
    }

    /// awsJson timestamps are epoch seconds; some servers send ISO 8601 strings (or seconds as a
    /// string) instead. Anything else is no time.
    private static func timestamp(_ r: inout JSON.Reader) throws -> Date? {
        switch try r.kind() {
        case .number: return try r.numberOrStringOrSkip().flatMap { Double($0) }.map { Date(timeIntervalSince1970: $0) }
        case .string:
            guard let s = try r.stringOrSkip() else { return nil }
            return ISO8601.parse(s) ?? Double(s).map { Date(timeIntervalSince1970: $0) }
        default:
            try r.skipValue()
            return nil
        }
    }

    /// A whole number, as `AWSValue.int` reads one: from a number or a numeric string, `3.0` too.
    private static func int(_ r: inout JSON.Reader) throws -> Int? {
        guard let n = try r.numberOrStringOrSkip() else { return nil }
        return Int(n) ?? Double(n).flatMap { $0 == $0.rounded() ? Int(exactly: $0) : nil }
    }
}
