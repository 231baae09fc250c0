import ArgumentParser
import BreakglassAWS
import BreakglassCore
import Foundation

/// `breakglass alarms` end to end against what people run today, on one local moto_server with
/// signature and IAM checks on: a raw `curl --aws-sigv4` of the same DescribeAlarms requests (the
/// floor for a program that must start, sign, send and read), `aws cloudwatch describe-alarms` and
/// a boto3 one-shot. The clients run alternately, so the noise of a shared machine falls on all of
/// them alike, and each is checked once to list every alarm before it is timed.
struct AlarmsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alarms",
        abstract: "Time `breakglass alarms` against curl, the AWS CLI and boto3 on one moto_server (target: ≤ 1.2× curl).")

    @Option(help: "Alternating runs of every client; medians are reported.") var runs = 21
    @Option(help: "Alarms seeded into moto (every 10th in ALARM).") var alarms = 500
    @Option(help: "The `breakglass` executable (default: the one beside this binary).") var breakglass: String?
    @Flag(inversion: .prefixedNo, help: "Time `aws cloudwatch describe-alarms` when the AWS CLI is installed.") var awsCli = true
    @Flag(inversion: .prefixedNo, help: "Time a boto3 one-shot when python3 has boto3.") var boto3 = true
    @Option(help: "table or json.") var output = "table"

    static let targetRatio = 1.2
    static let region = "us-east-1"

    func run() async throws {
        let executable = breakglass ?? ConsoleBenchProcess.sibling("breakglass")
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw Self.failure("no breakglass executable at \(executable); build it or pass --breakglass", code: 2)
        }
        guard let curl = BenchProcess.find("curl") else { throw Self.failure("curl is not installed; it is the baseline", code: 2) }
        BenchSignals.stopChildrenOnTermination()
        let folder = try BenchTemporaryFolder("alarms")
        defer { folder.remove() }
        let server: LocalAWSServer
        do {
            server = try await LocalAWSServer.start(logDirectory: folder.path + "/moto", journal: BenchJournal())
        } catch {
            throw Self.failure("cannot start moto_server: \(error)", code: 2)
        }
        // Stopped by its pid whatever happens below (a thrown error runs this too; a signal runs
        // BenchSignals' handler).
        defer { server.stop() }
        let result: Result
        do {
            result = try await measure(server: server, breakglass: executable, curl: curl, folder: folder.path)
        } catch {
            throw Self.failure("\(error)", code: 1)
        }
        print(output == "json" ? result.json() : result.table())
    }

    /// Says what went wrong on stderr; the exit code to throw (so the server is stopped on the way out).
    static func failure(_ message: String, code: Int32) -> ExitCode {
        FileHandle.standardError.write(Data("breakglass-bench: \(message)\n".utf8))
        return ExitCode(code)
    }

    func measure(server: LocalAWSServer, breakglass: String, curl: String, folder: String) async throws -> Result {
        let count = max(1, alarms)
        let client = server.client()
        try await Self.seed(count, client: client)
        let tokens = try await Self.pageTokens(client: client, expecting: count)

        let home = folder + "/home"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        var env = server.environment(region: Self.region)
        env["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        env["HOME"] = home
        for (name, sub) in [("XDG_CONFIG_HOME", "config"), ("XDG_STATE_HOME", "state"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache")] {
            env[name] = "\(home)/.\(sub)"
        }
        env["LANG"] = "C.UTF-8"
        env["AWS_DEFAULT_REGION"] = Self.region
        env["AWS_PAGER"] = ""
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        env["no_proxy"] = "127.0.0.1,localhost"

        var clients = [
            Client(
                name: "breakglass", command: "breakglass alarms --output json", run: [breakglass, "alarms", "--output", "json"],
                startup: [breakglass, "--version"], startupCommand: "breakglass --version", count: Self.countBreakglass),
            Client(
                name: "curl", command: "curl --aws-sigv4 (the same \(tokens.count == 1 ? "request" : "\(tokens.count) requests"))",
                run: Self.curlArguments(curl, server: server, tokens: tokens, outputs: nil),
                startup: [curl, "--version"], startupCommand: "curl --version", count: { _ in nil }),
        ]
        var skipped: [(String, String)] = []
        // python3 and the AWS CLI through pyenv's shims start bash and pyenv first: time the
        // interpreter itself, and the `aws` installed beside it.
        let python = BenchProcess.find("python3").flatMap { BenchProcess.output([$0, "-c", "import sys; print(sys.executable)"], in: folder) }
        if awsCli {
            let beside = python.map { ($0 as NSString).deletingLastPathComponent + "/aws" }
            if let aws = beside.flatMap({ BenchProcess.find($0) }) ?? BenchProcess.find("aws") {
                let version = BenchProcess.output([aws, "--version"], environment: env, in: folder).map { String($0.prefix { $0 != " " }) } ?? "aws-cli"
                clients.append(Client(
                    name: "aws-cli", command: "aws cloudwatch describe-alarms (\(version))",
                    run: [aws, "cloudwatch", "describe-alarms", "--alarm-types", "MetricAlarm", "CompositeAlarm", "--page-size", "100", "--output", "json"],
                    startup: [aws, "--version"], startupCommand: "aws --version", count: Self.countDescribeAlarms))
            } else {
                skipped.append(("aws-cli", "the AWS CLI is not installed"))
            }
        }
        if boto3 {
            if let python, let version = BenchProcess.output([python, "-c", "import boto3; print(boto3.__version__)"], environment: env, in: folder) {
                clients.append(Client(
                    name: "boto3", command: "python3 -c (boto3 \(version), describe_alarms paginated)", run: [python, "-c", Self.boto3Script],
                    startup: [python, "-c", "import boto3"], startupCommand: "python3 -c 'import boto3'", count: Self.countBoto3))
            } else {
                skipped.append(("boto3", "python3 with boto3 is not installed"))
            }
        }

        // Each client once, output kept: every alarm listed, and how many requests moto received.
        let log = server.logPath
        for i in clients.indices {
            let out = "\(folder)/check-\(clients[i].name).out"
            let err = "\(folder)/check-\(clients[i].name).err"
            let before = Self.requests(log)
            var arguments = clients[i].run
            if clients[i].name == "curl" { arguments = Self.curlArguments(curl, server: server, tokens: tokens, outputs: "\(folder)/check-curl-page") }
            let outcome = try BenchProcess.run(arguments, environment: env, stdout: out, stderr: err, timeout: 120)
            usleep(100_000)  // moto writes its access log line as it answers; let the last one land
            clients[i].requests = Self.requests(log) - before
            guard outcome.status == 0 else {
                throw BenchProcess.Failure(description: "\(clients[i].command) exited \(outcome.status): \(BenchProcess.tail(err))")
            }
            let listed = clients[i].name == "curl" ? Self.countCurlPages(folder: folder, pages: tokens.count) : clients[i].count(out)
            guard listed == count else {
                throw BenchProcess.Failure(description: "\(clients[i].command) listed \(listed.map(String.init) ?? "no") alarms, not \(count): \(BenchProcess.tail(out, lines: 2))")
            }
        }
        let byName = Dictionary(uniqueKeysWithValues: clients.map { ($0.name, $0.requests) })
        guard byName["breakglass"] == byName["curl"] else {
            throw BenchProcess.Failure(description: "breakglass sent \(byName["breakglass"] ?? 0) requests and curl \(byName["curl"] ?? 0): the work is not the same")
        }

        // Alternating runs; the order rotates each round so no client always follows the same one.
        var wall = Array(repeating: [Double](), count: clients.count)
        var startup = Array(repeating: [Double](), count: clients.count)
        for round in 0..<max(1, runs) {
            for k in clients.indices {
                let i = (k + round) % clients.count
                for (arguments, isStartup) in [(clients[i].run, false), (clients[i].startup, true)] {
                    let outcome = try BenchProcess.run(arguments, environment: env, stderr: "\(folder)/run.err", timeout: 120)
                    guard outcome.status == 0 else {
                        throw BenchProcess.Failure(description: "\(arguments.first ?? "") exited \(outcome.status) in round \(round + 1): \(BenchProcess.tail("\(folder)/run.err"))")
                    }
                    if isStartup { startup[i].append(outcome.millis) } else { wall[i].append(outcome.millis) }
                }
            }
        }
        for i in clients.indices {
            clients[i].wall = Stats(wall[i])
            clients[i].rounds = wall[i]
            clients[i].startupTime = Stats(startup[i])
        }
        return Result(alarms: count, runs: max(1, runs), pages: tokens.count, clients: clients, skipped: skipped)
    }

    // MARK: The server's alarms

    /// Creates `count` metric alarms as a team would (description, actions, one or two dimensions,
    /// datapoints to alarm, missing-data treatment) and gives each a state with CloudWatch's kind of
    /// reason: every 10th ALARM, the rest OK. moto 5.2.1 cannot make composite alarms.
    static func seed(_ count: Int, client: AWSClient) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            let workers = 4
            for w in 0..<workers {
                group.addTask {
                    for i in stride(from: w, to: count, by: workers) {
                        let (input, state, reason, data) = seedInput(i)
                        _ = try await client.json(.cloudwatch, "PutMetricAlarm", input, region: region, mutating: true)
                        _ = try await client.json(
                            .cloudwatch, "SetAlarmState",
                            ["AlarmName": input["AlarmName"] ?? .null, "StateValue": .string(state.rawValue), "StateReason": .string(reason),
                             "StateReasonData": .string(data)], region: region, mutating: true)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    static func seedInput(_ i: Int) -> (AWSValue, AlarmState, String, String) {
        let services = DescribeAlarmsFixture.services
        let service = services[i % services.count]
        let (namespace, metric, dimension) = DescribeAlarmsFixture.metrics[i % DescribeAlarmsFixture.metrics.count]
        let name = i % 40 == 17 ? "支付服务-延迟告警-\(service)-\(i)" : "prod-\(service)-\(metric.lowercased())-\(i)"
        let topic = "arn:aws:sns:us-east-1:123456789012:oncall-\(service)"
        var dimensions: [AWSValue] = [["Name": .string(dimension), "Value": .string("prod-\(service)-\(String(i, radix: 16))")]]
        if i % 3 == 0 { dimensions.append(["Name": "AvailabilityZone", "Value": .string("us-east-1\(["a", "b", "c"][(i / 3) % 3])")]) }
        let input: AWSValue = [
            "AlarmName": .string(name), "AlarmDescription": .string("Pages the \(service) on-call. Runbook: https://runbooks.example.com/\(service)/\(metric)"),
            "ActionsEnabled": true, "OKActions": [.string(topic)], "AlarmActions": [.string(topic), "arn:aws:sns:us-east-1:123456789012:oncall-all"],
            "Namespace": .string(namespace), "MetricName": .string(metric), "Statistic": "Average", "Dimensions": .array(dimensions),
            "Period": 60, "EvaluationPeriods": 3, "DatapointsToAlarm": 3, "Threshold": .number("90.0"),
            "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "missing",
        ]
        let value = 90.0 + Double(i % 9) + 0.25
        let alarming = i % 10 == 0
        let reason =
            alarming
            ? "Threshold Crossed: 3 out of the last 3 datapoints [\(value) (21/11/26 10:0\(i % 10):00), \(value - 1) (21/11/26 09:5\(i % 10):00)] were greater than the threshold (90.0) (minimum 3 datapoints for OK -> ALARM transition)."
            : "Threshold Crossed: 3 out of the last 3 datapoints [\(value - 60) (21/11/26 10:0\(i % 10):00)] were not greater than the threshold (90.0) (minimum 1 datapoint for ALARM -> OK transition)."
        let data = #"{"version":"1.0","queryDate":"2026-11-21T10:01:32.109+0000","statistic":"Average","period":60,"recentDatapoints":[\#(alarming ? value : value - 60)],"threshold":90.0}"#
        return (input, alarming ? .alarm : .ok, reason, data)
    }

    /// The NextToken of every page of the listing `breakglass alarms` does (nil for the first), read
    /// with the same request AlarmFetcher sends, so curl can send exactly those requests.
    static func pageTokens(client: AWSClient, expecting count: Int) async throws -> [String?] {
        var tokens: [String?] = [nil]
        var seen = Set<String>()
        var listed = 0
        while let token = tokens.last, tokens.count <= 1_000 {
            let answer = try await client.json(.cloudwatch, "DescribeAlarms", AlarmFetcher.request(state: nil, nextToken: token), region: region)
            let page = try AlarmPage(answer.value, region: region)
            listed += page.alarms.count
            guard let next = page.nextToken, !next.isEmpty, seen.insert(next).inserted else { break }
            tokens.append(next)
        }
        guard listed == count else { throw BenchProcess.Failure(description: "moto listed \(listed) alarms after seeding \(count)") }
        return tokens
    }

    // MARK: The clients

    struct Client {
        var name: String
        var command: String
        var run: [String]
        var startup: [String]
        var startupCommand: String
        /// How many alarms the output file lists; nil when it cannot be read.
        var count: (String) -> Int?
        var requests = 0
        var wall = Stats([])
        /// Wall times in round order, to pair each with the other clients' of the same round.
        var rounds: [Double] = []
        var startupTime = Stats([])
    }

    /// One curl process sending the pages' requests one after another on one connection (`--next`),
    /// as breakglass does: the same body, the same headers, signed by curl (SigV4, its own code).
    static func curlArguments(_ curl: String, server: LocalAWSServer, tokens: [String?], outputs: String?) -> [String] {
        let credentials = server.adminCredentials
        var arguments = [curl]
        for (i, token) in tokens.enumerated() {
            if i > 0 { arguments.append("--next") }
            arguments += [
                "-sS", "--fail", "--aws-sigv4", "aws:amz:\(region):monitoring", "--user", "\(credentials.accessKeyID):\(credentials.secretAccessKey)",
                "-H", "Content-Type: application/x-amz-json-1.0", "-H", "X-Amz-Target: GraniteServiceVersion20100801.DescribeAlarms",
                "--data-binary", JSON.encode(AlarmFetcher.request(state: nil, nextToken: token)),
                "-o", outputs.map { "\($0)-\(i)" } ?? "/dev/null", server.endpointURL + "/",
            ]
        }
        return arguments
    }

    static let boto3Script = """
        import boto3
        n = 0
        for page in boto3.client('cloudwatch').get_paginator('describe_alarms').paginate(
                AlarmTypes=['MetricAlarm', 'CompositeAlarm'], PaginationConfig={'PageSize': 100}):
            n += len(page['MetricAlarms']) + len(page['CompositeAlarms'])
        print(n)
        """

    static func json(_ path: String) -> Any? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONSerialization.jsonObject(with: data)
    }

    static func countBreakglass(_ path: String) -> Int? {
        (json(path) as? [[String: Any]])?.filter { $0["name"] is String }.count
    }

    static func countDescribeAlarms(_ path: String) -> Int? {
        guard let o = json(path) as? [String: Any] else { return nil }
        return ((o["MetricAlarms"] as? [Any])?.count ?? 0) + ((o["CompositeAlarms"] as? [Any])?.count ?? 0)
    }

    static func countCurlPages(folder: String, pages: Int) -> Int? {
        var total = 0
        for i in 0..<pages {
            guard let n = countDescribeAlarms("\(folder)/check-curl-page-\(i)") else { return nil }
            total += n
        }
        return total
    }

    static func countBoto3(_ path: String) -> Int? {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Requests moto has answered so far: its access log's lines.
    static func requests(_ log: String) -> Int {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return 0 }
        return text.split(separator: "\n").filter { $0.contains("\"POST / HTTP/1.1\"") }.count
    }

    // MARK: The report

    struct Result {
        var alarms: Int
        var runs: Int
        var pages: Int
        var clients: [Client]
        var skipped: [(String, String)]

        var curl: Client? { clients.first { $0.name == "curl" } }
        func ratio(_ c: Client) -> Double { c.wall.median / max(0.001, curl?.wall.median ?? 0) }
        /// The median of the round-by-round ratios to curl: each pair ran back to back, so a load
        /// that comes and goes over the session weighs on both sides of each ratio.
        func pairedRatio(_ c: Client) -> Double {
            guard let curl, curl.rounds.count == c.rounds.count, !c.rounds.isEmpty else { return ratio(c) }
            return Stats(zip(c.rounds, curl.rounds).map { $0 / max(0.001, $1) }).median
        }
        /// The verdict's ratio: the median of each round's ratio. Rounds run back to back, so a load
        /// that comes and goes weighs on both sides of each ratio. moto's answer to the same request
        /// also varies by ±30% from one run to the next (round ratios 0.7–1.6 in one session), more
        /// than the difference measured, so both this and the ratio of the two medians (reported
        /// too, as `ratio_of_medians`) move by a few hundredths between sessions.
        var breakglassRatio: Double { clients.first { $0.name == "breakglass" }.map(pairedRatio) ?? 0 }
        var breakglassRatioOfMedians: Double { clients.first { $0.name == "breakglass" }.map(ratio) ?? 0 }
        var met: Bool { breakglassRatio <= AlarmsBench.targetRatio }

        func json() -> String {
            let breakglassMedian = clients.first { $0.name == "breakglass" }?.wall.median ?? 0
            let object: [String: Any] = [
                "benchmark": "alarms", "build": benchBuild, "alarms": alarms, "runs": runs, "pages": pages, "signature_checks": true,
                "clients": clients.map { c in
                    [
                        "name": c.name, "command": c.command, "requests": c.requests, "wall_ms": c.wall.json, "startup_ms": c.startupTime.json,
                        "startup_command": c.startupCommand, "ratio_to_curl": rounded(ratio(c), 3),
                        "ratio_to_breakglass": rounded(c.wall.median / max(0.001, breakglassMedian), 3),
                        "paired_ratio_to_curl": rounded(pairedRatio(c), 3),
                        // Each round's wall time, in the order the rounds ran, to check the pairing.
                        "rounds_ms": c.rounds.map { rounded($0, 2) },
                    ] as [String: Any]
                },
                "skipped": skipped.map { ["name": $0.0, "reason": $0.1] },
                "target_ratio": AlarmsBench.targetRatio, "ratio": rounded(breakglassRatio, 3),
                "ratio_of_medians": rounded(breakglassRatioOfMedians, 3), "met": met,
            ]
            return benchJSON(object)
        }

        func table() -> String {
            let breakglassMedian = clients.first { $0.name == "breakglass" }?.wall.median ?? 0
            let rows = clients.map { c in
                [
                    c.command, c.wall.text(1), String(format: "%.2f×", ratio(c)), String(format: "%.2f×", pairedRatio(c)), String(format: "%.2f×", c.wall.median / max(0.001, breakglassMedian)),
                    String(format: "%.1f", c.startupTime.median), String(format: "%.1f", c.wall.median - c.startupTime.median), "\(c.requests)",
                ]
            }
            var lines = [
                "alarms (\(benchBuild) build): \(alarms) alarms on one moto_server (signature and IAM checks on), \(runs) alternating runs; ms, median (min–max)",
                benchTable(["client", "wall", "× curl", "paired × curl", "× breakglass", "start-up alone", "wall − start-up", "requests"], rows),
                "start-up alone: " + clients.map(\.startupCommand).joined(separator: ", "),
            ]
            for (name, reason) in skipped { lines.append("\(name) not timed: \(reason)") }
            lines.append(String(
                format: "breakglass / curl = %.2f× paired (target ≤ %.1f×): %@; %.2f× as the ratio of the medians", breakglassRatio,
                AlarmsBench.targetRatio, met ? "met" : "NOT MET", breakglassRatioOfMedians))
            lines.append("(× curl: the ratio of the medians; paired: the median of each round's ratio, the verdict's)")
            return lines.joined(separator: "\n")
        }
    }
}

/// The seeding's writes are the bench's own on a throwaway server: counted, not kept.
final class BenchJournal: MutationJournal, @unchecked Sendable {
    private let lock = NSLock()
    private var next: Int64 = 0

    func recordIntent(_ intent: MutationIntent) throws -> MutationTicket {
        lock.lock()
        defer { lock.unlock() }
        next += 1
        return MutationTicket(id: next)
    }

    func recordOutcome(_ outcome: MutationOutcome, for ticket: MutationTicket) {}
}
