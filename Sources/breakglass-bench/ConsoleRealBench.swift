import BreakglassAWS
import BreakglassCore
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The memory of `breakglass console` itself holding `alarms` alarms: the whole product (options,
/// configuration, state file, credentials, the AWS client over libcurl, the JSON decoding of every
/// page), not only `runConsole` as `console-child` runs it. Its alarms come from `FakeCloudWatch`,
/// which answers DescribeAlarms on a loopback port as CloudWatch would, 100 alarms a page, each with
/// the fields CloudWatch sends (dimensions, statistic, threshold, comparison…), split between the
/// two regions. Memory is read once the list is on screen, then after each of `refreshes` refreshes
/// (`R`), each read once the console has asked for every page and drawn the answer.
struct RealConsoleMemoryBench {
    var executable: String
    var alarms: Int
    var refreshes: Int

    struct Result {
        /// Once the first list is drawn.
        var loaded: Memory
        /// After the last refresh; its peak (VmHWM) covers the whole session.
        var refreshed: Memory
        var refreshes: Int
    }

    func run() throws -> Result {
        let server = try FakeCloudWatch(alarms: ConsoleBenchData.alarms(count: alarms), regions: ConsoleBenchData.regions)
        defer { server.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("breakglass-bench-real-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: dir) }
        var env = ConsoleBenchProcess.terminalEnvironment()
        for (key, folder) in [("HOME", "home"), ("XDG_CONFIG_HOME", "config"), ("XDG_STATE_HOME", "state"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache")] {
            let path = dir.appendingPathComponent(folder).path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            env[key] = path
        }
        env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:\(server.port)"
        env["AWS_ACCESS_KEY_ID"] = "AKIABENCHREALCONSOLE"
        env["AWS_SECRET_ACCESS_KEY"] = "bench-secret-not-a-real-key"
        var args = ["console", "--state", dir.appendingPathComponent("state.db").path, "--interval", "3600"]
        for region in ConsoleBenchData.regions { args += ["--region", region] }
        let child = try PTYProcess(executable, args, environment: env, width: 80, height: 24)
        defer {
            child.send("q")
            child.finish()
        }
        let pagesPerRefresh = server.pagesPerList
        try waitForList(child, server: server, requests: pagesPerRefresh)
        let loaded = child.memoryKB()
        for round in 1...max(1, refreshes) {
            child.send("R")
            try waitForList(child, server: server, requests: pagesPerRefresh * (round + 1))
        }
        return Result(loaded: loaded, refreshed: child.memoryKB(), refreshes: max(1, refreshes))
    }

    /// Reads the terminal until the server has answered `requests` pages in all, then for another
    /// 1.5 s, in which the console decodes the last page, applies the list and draws it.
    func waitForList(_ child: PTYProcess, server: FakeCloudWatch, requests: Int) throws {
        let deadline = Date().addingTimeInterval(120)
        var seen: [UInt8] = []
        while server.answered < requests {
            guard Date() < deadline else {
                throw ConsoleBenchError(
                    description: "breakglass console asked for \(server.answered) of \(requests) pages within 120 s; it wrote: "
                        + String(decoding: seen.suffix(400), as: UTF8.self).debugDescription)
            }
            let chunk = child.read(timeout: 0.2)
            if chunk.isEmpty, child.reap() {
                throw ConsoleBenchError(description: "breakglass console exited (status \(child.finish())) before its alarms were loaded")
            }
            seen = Array((seen + chunk).suffix(4096))
        }
        let settled = Date().addingTimeInterval(1.5)
        while Date() < settled { _ = child.read(timeout: max(0, settled.timeIntervalSinceNow)) }
    }
}

/// A loopback HTTP server answering CloudWatch's DescribeAlarms (awsJson 1.0) with `alarms`, each in
/// the region its index gives it; the region of a request is read from its credential scope, the
/// page from its NextToken. Signatures are not checked. One connection at a time, closed after each
/// answer, on a thread of its own.
final class FakeCloudWatch: @unchecked Sendable {
    let port: Int
    /// Pages a whole list takes: every region's.
    let pagesPerList: Int
    private let listener: Int32
    private let pages: [String: [Data]]
    private let count = Mutex(0)
    private let stopped = Mutex(false)

    static let pageSize = 100

    var answered: Int { count.withLock { $0 } }

    init(alarms: [Alarm], regions: [String]) throws {
        let now = Date().timeIntervalSince1970
        var byRegion: [String: [[String: Any]]] = [:]
        for (i, alarm) in alarms.enumerated() {
            byRegion[alarm.region, default: []].append(Self.json(alarm, index: i, now: now))
        }
        var pages: [String: [Data]] = [:]
        for region in regions {
            let items = byRegion[region] ?? []
            var regionPages: [Data] = []
            var start = 0
            repeat {
                let end = min(items.count, start + Self.pageSize)
                var page: [String: Any] = ["MetricAlarms": Array(items[start..<end]), "CompositeAlarms": [Any]()]
                if end < items.count { page["NextToken"] = String(end) }
                regionPages.append(try JSONSerialization.data(withJSONObject: page))
                start = end
            } while start < items.count
            pages[region] = regionPages
        }
        self.pages = pages
        pagesPerList = pages.values.reduce(0) { $0 + $1.count }

        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ConsoleBenchError(description: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0, named == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw ConsoleBenchError(description: "cannot listen on a loopback port: \(String(cString: strerror(errno)))")
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in serve() }
        thread.name = "fake-cloudwatch"
        thread.start()
    }

    func stop() {
        stopped.withLock { $0 = true }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    /// As DescribeAlarms returns a metric alarm; the made-up parts (dimension, statistic, threshold,
    /// comparison, periods) are the same for every alarm but are decoded into new strings every time.
    static func json(_ alarm: Alarm, index i: Int, now: TimeInterval) -> [String: Any] {
        [
            "AlarmName": alarm.name, "AlarmArn": alarm.arn ?? "", "StateValue": alarm.state.rawValue, "StateReason": alarm.reason,
            "StateUpdatedTimestamp": now - Double(60 + i * 37), "Namespace": alarm.namespace ?? "", "MetricName": alarm.metric ?? "",
            "Dimensions": [["Name": "LoadBalancer", "Value": "app/prod-alb-\(i % 40)/50dc6c495c0c\(String(format: "%04x", i))"]],
            "Statistic": "Average", "Period": 60, "Threshold": 90.0, "ComparisonOperator": "GreaterThanThreshold",
            "EvaluationPeriods": 3, "DatapointsToAlarm": 3,
        ]
    }

    private func serve() {
        while !stopped.withLock({ $0 }) {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                return
            }
            answer(connection)
            close(connection)
        }
    }

    private func answer(_ connection: Int32) {
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        var headerEnd: Int?
        var contentLength = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return }
            request += buffer[0..<n]
            if headerEnd == nil, let end = Self.find([13, 10, 13, 10], in: request) {
                headerEnd = end + 4
                let head = String(decoding: request[0..<end], as: UTF8.self)
                for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                    contentLength = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            if let headerEnd, request.count >= headerEnd + contentLength { break }
        }
        let head = String(decoding: request[0..<(headerEnd ?? 0)], as: UTF8.self)
        let body = Data(request[(headerEnd ?? 0)...])
        // Authorization: AWS4-HMAC-SHA256 Credential=AKIA…/20261121/eu-west-1/monitoring/aws4_request, …
        var region = ConsoleBenchData.regions[0]
        if let range = head.range(of: "Credential=") {
            let scope = head[range.upperBound...].prefix { $0 != "," && $0 != "\r" }.split(separator: "/")
            if scope.count > 2 { region = String(scope[2]) }
        }
        let token = (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["NextToken"] as? String
        let index = (Int(token ?? "0") ?? 0) / Self.pageSize
        let regionPages = pages[region] ?? []
        let page = index < regionPages.count ? regionPages[index] : Data("{\"MetricAlarms\":[]}".utf8)
        let header = "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nx-amzn-RequestId: bench\r\n"
            + "Content-Length: \(page.count)\r\nConnection: close\r\n\r\n"
        let response = Array(header.utf8) + Array(page)
        var sent = 0
        while sent < response.count {
            let n = response[sent...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return }
            sent += n
        }
        count.withLock { $0 += 1 }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return start }
        }
        return nil
    }
}

/// One DescribeAlarms page of `alarms` alarms, as `FakeCloudWatch` sends them, decoded the two ways
/// the code has had: into a value tree and then into alarms (`AlarmPage(JSON.decode(_:))`), and
/// straight into alarms (`AlarmFetcher.decodePage`). CloudWatch sends 100 a page; `breakglass
/// alarms` with 500 alarms decodes five such pages, the console with 10,000 a hundred. The time is
/// the median of `runs`, after one discarded warm-up of each.
struct PageDecodeBench {
    var alarms: Int
    var runs: Int

    struct Result {
        var alarms: Int
        var bytes: Int
        /// Milliseconds per page.
        var tree: Stats
        var direct: Stats
    }

    func run() throws -> Result {
        let now = Date().timeIntervalSince1970
        let items = ConsoleBenchData.alarms(count: alarms).enumerated().map { FakeCloudWatch.json($1, index: $0, now: now) }
        let body = [UInt8](try JSONSerialization.data(withJSONObject: ["MetricAlarms": items, "CompositeAlarms": [Any](), "NextToken": "next"]))
        let region = ConsoleBenchData.regions[0]
        func viaTree() throws -> AlarmPage { try AlarmPage(JSON.decode(body), region: region) }
        func direct() throws -> AlarmPage { try AlarmFetcher.decodePage(body, region: region) }
        guard try viaTree() == direct() else {
            throw ConsoleBenchError(description: "the two decoders read the page of \(alarms) alarms differently")
        }
        var tree: [Double] = []
        var straight: [Double] = []
        var sink = 0
        for _ in 0...runs {
            // Alternated, so machine noise falls on both alike.
            var start = DispatchTime.now().uptimeNanoseconds
            sink &+= try viaTree().alarms.count
            tree.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            start = DispatchTime.now().uptimeNanoseconds
            sink &+= try direct().alarms.count
            straight.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        if sink == 0 { print("") }
        return Result(alarms: alarms, bytes: body.count, tree: Stats(Array(tree.dropFirst())), direct: Stats(Array(straight.dropFirst())))
    }
}
