import BreakglassAWS
import Foundation

/// Lists CloudWatch alarms, metric and composite, across regions, following NextToken.
public struct AlarmFetcher: Sendable {
    public let client: AWSClient
    /// Pages are capped so a server that keeps handing out tokens cannot keep us looping.
    public var maxPages = 1_000

    public init(client: AWSClient) { self.client = client }

    /// All alarms in `regions` (optionally only those in `state`), in triage order. Regions are
    /// fetched concurrently; the first failure fails the whole list, naming its region.
    public func list(regions: [String], state: AlarmState? = nil) async throws(AWSError) -> [Alarm] {
        let result: Result<[Alarm], AWSError> = await withTaskGroup(of: Result<[Alarm], AWSError>.self) { group in
            for region in regions {
                group.addTask {
                    do throws(AWSError) { return .success(try await listRegion(region, state: state)) } catch { return .failure(error) }
                }
            }
            var lists: [[Alarm]] = []
            for await r in group {
                switch r {
                case .success(let alarms): lists.append(alarms)
                case .failure(let e):
                    group.cancelAll()
                    return .failure(e)
                }
            }
            return .success(lists.count == 1 ? lists[0] : Self.joined(lists))
        }
        var all = try result.get()
        Alarm.sortIntoTriageOrder(&all)
        return all
    }

    /// The regions' lists end to end in one array of exactly their size, each list let go once copied.
    static func joined(_ lists: consuming [[Alarm]]) -> [Alarm] {
        var all: [Alarm] = []
        all.reserveCapacity(lists.reduce(0) { $0 + $1.count })
        for i in lists.indices {
            all.append(contentsOf: lists[i])
            lists[i] = []
        }
        return all
    }

    public func listRegion(_ region: String, state: AlarmState?) async throws(AWSError) -> [Alarm] {
        var alarms: [Alarm] = []
        var token: String?
        var seen: Set<String> = []
        for _ in 0..<maxPages {
            // Each page is decoded from its bytes straight into alarms, without a JSON tree.
            let page = try await client.jsonBody(.cloudwatch, "DescribeAlarms", Self.request(state: state, nextToken: token), region: region) {
                (body, requestID) throws(AWSError) in try Self.decodePage(body, region: region, requestID: requestID)
            }
            alarms.append(contentsOf: page.alarms)
            guard let next = page.nextToken, !next.isEmpty, seen.insert(next).inserted else { break }
            token = next
        }
        return alarms
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
