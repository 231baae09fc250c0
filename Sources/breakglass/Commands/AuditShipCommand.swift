import ArgumentParser
import BreakglassAWS
import BreakglassCore
import Foundation
import Synchronization

/// `breakglass audit ship`: copies the audit trail to a CloudWatch Logs stream with `AuditShipper`
/// (docs/AUDIT-SHIPPING.md), once or, with --follow, until SIGINT or SIGTERM.
struct AuditShipCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ship",
        abstract: "Copy the audit trail to CloudWatch Logs: once, or with --follow until interrupted.",
        discussion: """
            Each entry becomes one log event carrying its export JSON; a head event \
            ({"type":"head","seq":N,"hash":...}) follows each catch-up and every 5 minutes. A cursor in the \
            state database makes every entry land once, across outages and restarts; a batch whose answer \
            was lost is read back from the stream before anything more is sent. The stream's region: \
            --region, else the first of the configuration's aws.regions, else AWS_REGION and the profile's. \
            Needs logs:CreateLogGroup, \
            logs:CreateLogStream, logs:PutLogEvents and logs:GetLogEvents on the group. Exit codes: 0 all \
            shipped (or nothing new), 1 not all shipped, 2 usage or configuration error, 3 the stream \
            disagrees with the local trail, 130 interrupted (--follow stopped by SIGINT; SIGTERM exits 0).
            """)

    @Flag(help: "Keep shipping new entries until SIGINT or SIGTERM.") var follow = false
    @Option(help: "Seconds between rounds with --follow (failing rounds back off up to 10 minutes).") var interval: Double = 30
    @OptionGroup var where_: ShippingOptions
    @OptionGroup var aws: AWSOptions
    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard interval >= 0.1, interval <= 3600 else { throw ValidationError("--interval must be between 0.1 and 3600 seconds") }
        guard aws.regions.count <= 1 else { throw ValidationError("give one --region: a log stream lives in one region") }
    }

    func run() async throws {
        guard FileManager.default.fileExists(atPath: store.path) else {
            throw ValidationError("no state database at \(store.path) (nothing has been recorded yet, or use --state FILE)")
        }
        do {
            let env = try aws.environment()
            let (destination, configured) = try where_.destination(aws: aws, env: env)
            let client = try await aws.client(env)
            let log = AuditLog(store: try store.open())
            var settings = AuditShipper.Settings(interval: .milliseconds(Int64((interval * 1000).rounded())))
            if let every = configured?.shipHeadEvery { settings.headEvery = every }
            let shipper = AuditShipper(log: log, client: client, destination: destination, settings: settings)
            if follow {
                try await runFollowing(shipper)
            } else {
                let report = await shipper.shipOnce()
                Self.show(report, to: destination, timestamped: false)
                if let problem = report.problem { throw ExitCode(Self.exitCode(for: problem)) }
            }
        } catch let e as ExitCode {
            throw e
        } catch {
            throw report(error)
        }
    }

    /// Rounds until SIGINT (exit 130) or SIGTERM (exit 0). The round in progress finishes its
    /// request first; a second signal exits at once (a lost answer is settled by the next run).
    func runFollowing(_ shipper: AuditShipper) async throws {
        let destination = shipper.destination
        let task = Task { await shipper.run { Self.show($0, to: destination, timestamped: true) } }
        let received = Mutex<[Int32]>([])
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                let count = received.withLock { r -> Int in
                    r.append(sig)
                    return r.count
                }
                if count > 1 { Foundation.exit(sig == SIGINT ? 130 : 0) }
                task.cancel()
            }
            source.resume()
            sources.append(source)
        }
        FileHandle.standardError.write(Data(
            "breakglass: shipping the audit trail to \(TerminalText.sanitize(destination.description)) every \(Self.seconds(interval)); Ctrl-C stops\n".utf8))
        await task.value
        for source in sources { source.cancel() }
        if received.withLock({ $0.first }) == SIGINT { throw ExitCode(130) }
    }

    static func exitCode(for problem: AuditShipper.Problem) -> Int32 {
        // (kept in one place: `audit verify --remote` maps the same way)
        if case .chain = problem { return 3 }
        return 1
    }

    static func seconds(_ s: Double) -> String {
        s == s.rounded() ? "\(Int(s)) s" : String(format: "%.1f s", s)
    }

    /// One line per round on stdout (written at once, so a pipe or file sees it as it happens), and
    /// the problem, if any, on stderr.
    static func show(_ report: AuditShipper.Report, to destination: AuditShippingDestination, timestamped: Bool) {
        let prefix = timestamped ? ISO8601.format(Date()) + " " : ""
        let line = TerminalText.sanitize("\(prefix)audit trail -> \(destination.group) / \(destination.stream): \(report)")
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
        if let problem = report.problem {
            FileHandle.standardError.write(Data(("breakglass: " + TerminalText.sanitize(problem.description) + "\n").utf8))
        }
    }
}

/// Where the audit trail is shipped: `--group`/`--stream`/`--region`, else the configuration's
/// `audit.cloudwatch_logs` (group, stream, region), else the defaults (stream breakglass-<host>,
/// the first configured region).
struct ShippingOptions: ParsableArguments {
    @Option(help: "CloudWatch Logs log group (created when missing). Default: audit.cloudwatch_logs.group in the configuration.") var group: String?
    @Option(help: "Log stream in the group. Default: audit.cloudwatch_logs.stream, else breakglass-<hostname>.") var stream: String?

    static let groupCharacters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-/.#")

    func destination(aws: AWSOptions, env: AWSEnvironment) throws -> (AuditShippingDestination, CloudWatchLogsAudit?) {
        let configured = try aws.loadConfig().audit.cloudwatchLogs
        guard let group = group ?? configured?.group else {
            throw ValidationError("no log group: give --group, or set audit.cloudwatch_logs.group in the configuration (docs/CONFIG.md)")
        }
        guard (1...512).contains(group.utf8.count), group.unicodeScalars.allSatisfy(Self.groupCharacters.contains) else {
            throw ValidationError("log group \"\(TerminalText.sanitize(group))\": must be 1-512 characters of letters, digits and _ - / . #")
        }
        let stream = stream ?? configured?.stream ?? AuditShippingDestination.defaultStream()
        guard (1...512).contains(stream.utf8.count), !stream.contains(":"), !stream.contains("*"),
            !stream.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) })
        else { throw ValidationError("log stream \"\(TerminalText.sanitize(stream))\": must be 1-512 characters without : or * or control characters") }
        let region: String
        if let r = aws.regions.first { region = r } else if let r = configured?.region { region = r } else {
            guard let r = try aws.resolveRegions(env).first else { throw AWSError.configuration("no region: use --region") }
            region = r
        }
        return (AuditShippingDestination(region: region, group: group, stream: stream), configured)
    }
}
