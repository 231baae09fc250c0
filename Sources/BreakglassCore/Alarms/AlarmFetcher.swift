import BreakglassAWS
import Foundation
import Synchronization

/// Lists CloudWatch alarms, metric and composite, across regions, following NextToken.
public struct AlarmFetcher: Sendable {
    public let client: AWSClient
    /// Pages are capped so a server that keeps handing out tokens cannot keep us looping.
    public var maxPages = 1_000

    public init(client: AWSClient) { self.client = client }

    /// All alarms in `regions` (optionally only those in `state`), in triage order. Regions are
    /// fetched concurrently; the first failure fails the whole list, naming its region. With
    /// `reusing` (the list this one will replace), alarms and fields that are unchanged keep that
    /// list's storage rather than a second copy.
    ///
    /// Every region's pages go into one list as they arrive, made room for once at the size of the
    /// list it replaces: no list per region to join at the end, and no growing by doubling while
    /// the list comes back to its size (with 10,000 alarms, ~5 MB of arrays a refresh used to hold
    /// at once). The order pages arrive in does not matter: the triage order is total.
    public func list(regions: [String], state: AlarmState? = nil, reusing previous: AlarmReuse = .none) async throws(AWSError) -> [Alarm] {
        let collected = Collected(capacity: previous.count)
        let failure: AWSError? = await withTaskGroup(of: AWSError?.self) { group in
            for region in regions {
                group.addTask {
                    do throws(AWSError) {
                        try await forEachPage(region, state: state) { page in collected.append(page, reusing: previous) }
                        return nil
                    } catch { return error }
                }
            }
            for await error in group {
                if let error {
                    group.cancelAll()
                    return error
                }
            }
            return nil
        }
        if let failure { throw failure }
        var all = collected.take()
        Alarm.sortIntoTriageOrder(&all)
        return all
    }

    /// The alarms of one region, in the order CloudWatch sends them.
    public func listRegion(_ region: String, state: AlarmState?, reusing previous: AlarmReuse = .none) async throws(AWSError) -> [Alarm] {
        let collected = Collected(capacity: 0)
        try await forEachPage(region, state: state) { page in collected.append(page, reusing: previous) }
        return collected.take()
    }

    /// Asks for every page of `region`'s alarms in turn, each decoded from its bytes straight into
    /// alarms, without a JSON tree, and handed to `body` before the next is asked for.
    private func forEachPage(_ region: String, state: AlarmState?, _ body: (AlarmPage) -> Void) async throws(AWSError) {
        var token: String?
        var seen: Set<String> = []
        for _ in 0..<maxPages {
            let page = try await client.jsonBody(.cloudwatch, "DescribeAlarms", Self.request(state: state, nextToken: token), region: region) {
                (body, requestID) throws(AWSError) in try Self.decodePage(body, region: region, requestID: requestID)
            }
            body(page)
            guard let next = page.nextToken, !next.isEmpty, seen.insert(next).inserted else { break }
            token = next
        }
    }

    /// The alarms of a list being fetched, appended to by each region's task.
    private final class Collected: Sendable {
        private let alarms: Mutex<[Alarm]>

        init(capacity: Int) {
            var alarms: [Alarm] = []
            alarms.reserveCapacity(capacity)
            self.alarms = Mutex(alarms)
        }

        /// The page's alarms; with a previous list, holding its storage where unchanged, so the
        /// page's own copies of unchanged text are let go with the page.
        func append(_ page: AlarmPage, reusing previous: AlarmReuse) {
            alarms.withLock { alarms in
                if previous.isEmpty {
                    alarms.append(contentsOf: page.alarms)
                } else {
                    for alarm in page.alarms { alarms.append(previous.reusing(alarm)) }
                }
            }
        }

        func take() -> [Alarm] { alarms.withLock { alarms in
            let taken = alarms
            alarms = []
            return taken
        } }
    }

    /// The DescribeAlarms input. AlarmTypes must name both kinds: without it AWS returns metric
    /// alarms only.
    public static func request(state: AlarmState?, nextToken: String?) -> AWSValue {
        var o = AWSObject([("AlarmTypes", ["MetricAlarm", "CompositeAlarm"]), ("MaxRecords", 100)])
        if let state { o["StateValue"] = .string(state.rawValue) }
        if let nextToken { o["NextToken"] = .string(nextToken) }
        return .object(o)
    }
}

/// One DescribeAlarms answer, decoded. Pure, so it is tested without a server.
public struct AlarmPage: Sendable, Equatable {
    public var alarms: [Alarm]
    public var nextToken: String?

    public struct DecodeError: Error, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    public init(_ value: AWSValue, region: String) throws(DecodeError) {
        guard value.object != nil else { throw DecodeError(reason: "DescribeAlarms answer is not a JSON object") }
        var alarms: [Alarm] = []
        for (key, type) in [("MetricAlarms", AlarmType.metric), ("CompositeAlarms", .composite)] {
            guard let list = value[key] else { continue }
            guard let items = list.array else { throw DecodeError(reason: "\(key) is not a list") }
            for (i, item) in items.enumerated() {
                guard let name = item["AlarmName"]?.string else { throw DecodeError(reason: "\(key)[\(i)] has no AlarmName") }
                guard let raw = item["StateValue"]?.string, let state = AlarmState(rawValue: raw) else {
                    throw DecodeError(reason: "\(key)[\(i)] (\(name)) has an unknown StateValue \(item["StateValue"].map { JSON.encode($0) } ?? "(missing)")")
                }
                alarms.append(Alarm(
                    name: name, state: state, reason: item["StateReason"]?.string ?? "",
                    updated: Self.timestamp(item["StateUpdatedTimestamp"]) ?? Self.timestamp(item["AlarmConfigurationUpdatedTimestamp"]) ?? Date(timeIntervalSince1970: 0),
                    region: region, type: type,
                    namespace: type == .metric ? item["Namespace"]?.string : nil,
                    metric: type == .metric ? item["MetricName"]?.string : nil,
                    arn: item["AlarmArn"]?.string,
                    dimensions: type == .metric ? Self.dimensions(item["Dimensions"]) : [],
                    statistic: type == .metric ? item["Statistic"]?.string ?? item["ExtendedStatistic"]?.string : nil,
                    period: type == .metric ? item["Period"]?.int : nil,
                    threshold: type == .metric ? item["Threshold"]?.double : nil,
                    comparison: type == .metric ? item["ComparisonOperator"]?.string : nil,
                    evaluationPeriods: type == .metric ? item["EvaluationPeriods"]?.int : nil,
                    datapointsToAlarm: type == .metric ? item["DatapointsToAlarm"]?.int : nil))
            }
        }
        self.alarms = alarms
        self.nextToken = value["NextToken"]?.string
    }

    /// `Dimensions: [{Name, Value}]`; entries without both are skipped.
    static func dimensions(_ v: AWSValue?) -> [MetricDimension] {
        (v?.array ?? []).compactMap { d in
            guard let name = d["Name"]?.string, let value = d["Value"]?.string else { return nil }
            return MetricDimension(name: name, value: value)
        }
    }

    /// awsJson timestamps are epoch seconds; some servers send ISO 8601 strings instead.
    static func timestamp(_ v: AWSValue?) -> Date? {
        guard let v else { return nil }
        if case .number = v, let d = v.double { return Date(timeIntervalSince1970: d) }
        if let s = v.string { return ISO8601.parse(s) ?? Double(s).map { Date(timeIntervalSince1970: $0) } }
        return nil
    }
}
