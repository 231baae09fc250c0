import BreakglassAWS
import Foundation

/// One metric over a time window, in fixed periods: what GetMetricData is asked for to chart an alarm.
public struct MetricQuery: Sendable, Hashable {
    public var region: String
    public var namespace: String
    public var metric: String
    public var dimensions: [MetricDimension]
    /// "Average", "Sum", "Maximum"... or a percentile such as "p99".
    public var statistic: String
    /// Seconds per data point.
    public var period: Int
    public var start: Date
    public var end: Date

    public init(
        region: String, namespace: String, metric: String, dimensions: [MetricDimension], statistic: String, period: Int,
        start: Date, end: Date
    ) {
        self.region = region
        self.namespace = namespace
        self.metric = metric
        self.dimensions = dimensions
        self.statistic = statistic
        self.period = max(1, period)
        self.start = start
        self.end = end
    }

    /// The alarm's metric over the last `span` seconds before `now`, in `period`-second points with
    /// the alarm's statistic (Average when it names none). The window ends at the end of the
    /// period holding `now`, so the newest point is the one still filling. Nil for an alarm with no
    /// single metric: composite alarms and metric-math alarms.
    public static func recent(for alarm: Alarm, now: Date, span: TimeInterval = 3 * 3600, period: Int = 300) -> MetricQuery? {
        guard alarm.type == .metric, let namespace = alarm.namespace, let metric = alarm.metric else { return nil }
        let p = Double(max(1, period))
        let end = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / p).rounded(.down) * p + p)
        let count = max(1, (span / p).rounded(.up))
        return MetricQuery(
            region: alarm.region, namespace: namespace, metric: metric, dimensions: alarm.dimensions,
            statistic: alarm.statistic ?? "Average", period: period, start: end.addingTimeInterval(-count * p), end: end)
    }

    /// How many periods the window holds.
    public var pointCount: Int { max(0, Int((end.timeIntervalSince(start) / Double(period)).rounded(.down))) }
}

/// The data points GetMetricData returned for one query, oldest first.
public struct MetricSeries: Sendable, Hashable {
    public struct Point: Sendable, Hashable {
        public var time: Date
        public var value: Double
        public init(time: Date, value: Double) {
            self.time = time
            self.value = value
        }
    }

    public var points: [Point]

    public init(points: [Point]) {
        self.points = points.sorted { $0.time < $1.time }
    }

    /// One value per period of `query`, oldest first; nil for a period with no data point. Points
    /// outside the window are dropped; two points in one period (which GetMetricData does not send)
    /// keep the later.
    public func values(for query: MetricQuery) -> [Double?] {
        let count = query.pointCount
        var slots = [Double?](repeating: nil, count: count)
        let p = Double(query.period)
        for point in points where point.value.isFinite {
            let offset = point.time.timeIntervalSince(query.start) / p
            guard offset >= 0 else { continue }
            let slot = Int(offset.rounded(.down))
            if slot < count { slots[slot] = point.value }
        }
        return slots
    }
}

/// Reads a metric's recent data points with CloudWatch GetMetricData, following NextToken.
public struct MetricFetcher: Sendable {
    public let client: AWSClient
    /// Pages are capped so a server that keeps handing out tokens cannot keep us looping.
    public var maxPages = 20

    public init(client: AWSClient) { self.client = client }

    /// The data points of `query`, oldest first. A result whose status is neither Complete nor
    /// PartialData (Forbidden, InternalError) fails with its status and messages as the error.
    public func fetch(_ query: MetricQuery) async throws(AWSError) -> MetricSeries {
        var points: [MetricSeries.Point] = []
        var token: String?
        var seen: Set<String> = []
        for _ in 0..<maxPages {
            let answer = try await client.json(.cloudwatch, "GetMetricData", Self.request(query, nextToken: token), region: query.region)
            let page: MetricDataPage
            do { page = try MetricDataPage(answer.value) } catch {
                throw .malformedResponse(operation: "monitoring.GetMetricData", status: 200, requestID: answer.requestID, reason: error.description)
            }
            if let failure = page.failure {
                throw .service(ServiceError(
                    operation: "monitoring.GetMetricData", code: failure.code, message: failure.message, status: 200,
                    requestID: answer.requestID))
            }
            points += page.points
            guard let next = page.nextToken, !next.isEmpty, seen.insert(next).inserted else { break }
            token = next
        }
        return MetricSeries(points: points)
    }

    /// The GetMetricData input: one query with id `m`, the metric and statistic, oldest first.
    public static func request(_ query: MetricQuery, nextToken: String?) -> AWSValue {
        let dimensions: [AWSValue] = query.dimensions.map { ["Name": .string($0.name), "Value": .string($0.value)] }
        let metric: AWSValue = [
            "Namespace": .string(query.namespace), "MetricName": .string(query.metric), "Dimensions": .array(dimensions),
        ]
        let stat: AWSValue = ["Metric": metric, "Period": .int(query.period), "Stat": .string(query.statistic)]
        var o = AWSObject([
            ("MetricDataQueries", [["Id": "m", "MetricStat": stat, "ReturnData": true]]),
            ("StartTime", .number(String(Int64(query.start.timeIntervalSince1970.rounded(.down))))),
            ("EndTime", .number(String(Int64(query.end.timeIntervalSince1970.rounded(.down))))),
            ("ScanBy", "TimestampAscending"),
        ])
        if let nextToken { o["NextToken"] = .string(nextToken) }
        return .object(o)
    }
}

/// One GetMetricData answer, decoded. Pure, so it is tested without a server.
public struct MetricDataPage: Sendable, Equatable {
    public var points: [MetricSeries.Point]
    public var nextToken: String?
    /// Set when the result's StatusCode says it failed: the status and the messages AWS gave.
    public var failure: (code: String, message: String)?

    public struct DecodeError: Error, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    public static func == (a: MetricDataPage, b: MetricDataPage) -> Bool {
        a.points == b.points && a.nextToken == b.nextToken && a.failure?.code == b.failure?.code
            && a.failure?.message == b.failure?.message
    }

    public init(_ value: AWSValue) throws(DecodeError) {
        guard value.object != nil else { throw DecodeError(reason: "GetMetricData answer is not a JSON object") }
        var points: [MetricSeries.Point] = []
        var failure: (code: String, message: String)?
        let results = value["MetricDataResults"]?.array ?? []
        for (i, result) in results.enumerated() {
            let times = result["Timestamps"]?.array ?? []
            let values = result["Values"]?.array ?? []
            guard times.count == values.count else {
                throw DecodeError(reason: "MetricDataResults[\(i)] has \(times.count) timestamps but \(values.count) values")
            }
            for (t, v) in zip(times, values) {
                guard let time = AlarmPage.timestamp(t) else { throw DecodeError(reason: "MetricDataResults[\(i)] has an unreadable timestamp \(JSON.encode(t))") }
                guard let number = v.double else { throw DecodeError(reason: "MetricDataResults[\(i)] has a value that is not a number: \(JSON.encode(v))") }
                points.append(MetricSeries.Point(time: time, value: number))
            }
            let status = result["StatusCode"]?.string ?? "Complete"
            if status != "Complete" && status != "PartialData" {
                let messages = (result["Messages"]?.array ?? []).compactMap { m in
                    [m["Code"]?.string, m["Value"]?.string].compactMap { $0 }.joined(separator: ": ")
                }
                failure = (status, messages.isEmpty ? "the metric's data could not be read" : messages.joined(separator: "; "))
            }
        }
        if failure == nil, let messages = value["Messages"]?.array, let first = messages.first, let code = first["Code"]?.string,
            results.isEmpty
        {
            failure = (code, first["Value"]?.string ?? "")
        }
        self.points = points
        self.failure = failure
        nextToken = value["NextToken"]?.string
    }
}

/// Numbers and periods in few characters, for chart labels and alarm conditions.
public enum MetricFormat {
    /// "80", "0.21", "12.5", "1.5e-05": whole numbers without a fraction, others with at most three
    /// decimals, very small ones in exponent form.
    public static func number(_ v: Double) -> String {
        guard v.isFinite else { return v.isNaN ? "NaN" : (v > 0 ? "∞" : "-∞") }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        if abs(v) < 0.001 { return String(format: "%.2g", v) }
        var s = String(format: "%.3f", v)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    /// "10s", "1m", "5m", "1h", "1d"; "90s" when not a whole number of the larger unit.
    public static func period(_ seconds: Int) -> String {
        if seconds >= 86_400, seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds >= 3600, seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds >= 60, seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}
