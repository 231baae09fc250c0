import ArgumentParser
import BreakglassAWS
import BreakglassCore
import Foundation

/// `breakglass aws call SERVICE OPERATION`: any operation of the catalog, answer printed as JSON.
struct AWSCallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call one operation from Breakglass's catalog and print the answer as JSON.",
        discussion: """
            SERVICE is one of: \(AWSService.all.map(\.name).joined(separator: ", ")). An operation the \
            catalog does not hold is refused with the list of those it does. Parameters come from \
            --input (a JSON object) and --param Name=Value (repeatable; a value that parses as JSON, \
            such as ["i-1"] or 5, is taken as JSON, anything else as text). Operations that change \
            something need --yes; they are sent once and never re-sent if the answer is lost, and each is \
            recorded in the audit trail (--state) before it is sent and after. Query \
            protocol answers (IAM, STS, RDS, EC2, ...) are converted from XML.
            """)

    @Argument(help: "Service: cloudwatch, ec2, rds, sqs, lambda, ...") var service: String
    @Argument(help: "Operation, e.g. DescribeAlarms.") var operation: String
    @Option(name: .customLong("param"), help: "Name=Value; repeat for several.") var params: [String] = []
    @Option(help: "The whole input as a JSON object.") var input: String?
    @Flag(help: "Allow an operation that changes something.") var yes = false
    @OptionGroup var aws: AWSOptions
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let op: AWSOperation
        var body = AWSObject()
        do {
            op = try AWSCatalog.lookup(service: service, name: operation)
            if let input {
                guard let object = try JSON.decode(input).object else { throw ValidationError("--input must be a JSON object") }
                body = object
            }
            for p in params {
                guard let eq = p.firstIndex(of: "="), eq != p.startIndex else { throw ValidationError("--param \(p): expected Name=Value") }
                let raw = String(p[p.index(after: eq)...])
                body[String(p[..<eq])] = (try? JSON.decode(raw)) ?? .string(raw)
            }
        } catch let error as JSON.DecodeError {
            throw ValidationError("--input: \(error)")
        } catch let error as AWSError {
            throw report(error)
        }
        if op.mutates && !yes {
            FileHandle.standardError.write(Data("breakglass: \(op.service.name) \(op.name) changes something in AWS; add --yes to send it.\n".utf8))
            throw ExitCode(1)
        }
        do {
            let env = try aws.environment()
            let region = try aws.resolveRegions(env)[0]
            var client = try await aws.client(env)
            if op.mutates {
                // Every write is recorded in the audit trail before it is sent, with who sent it.
                let arn = await callerARN(client, region: region)
                client = client.journaled(try store.journal(callerARN: arn))
            }
            let result = try await client.call(op, .object(body), region: region)
            print(JSON.encode(result.value, pretty: true))
        } catch {
            throw report(error)
        }
    }
}
