import ArgumentParser
import BreakglassAWS
import BreakglassCore
import Foundation

/// `breakglass aws …`: low-level AWS tools.
struct AWSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aws",
        abstract: "Low-level AWS tools: sign a raw request, call a catalog operation.",
        subcommands: [AWSSignCommand.self, AWSCallCommand.self])
}

/// `breakglass aws sign`: signs a raw HTTP request read from stdin with SigV4 and prints it.
struct AWSSignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a raw HTTP request (read from stdin) with AWS SigV4 and print the signed request.",
        discussion: """
            The request is written as in AWS's SigV4 test suite:

              POST / HTTP/1.1
              Host:sts.amazonaws.com
              Content-Type:application/x-www-form-urlencoded; charset=utf-8

              Action=GetCallerIdentity&Version=2011-06-15

            The request line, then `Name:value` headers (a name may repeat), a blank line and the body.
            A Host header is required. X-Amz-Date, X-Amz-Security-Token (with temporary credentials) and
            Authorization are set, and the request is printed in the same form. Credentials come from the
            usual chain (environment, --profile or AWS_PROFILE, shared files). Malformed input exits 2
            with the line and column of the problem.
            """)

    @Option(help: "Signing region, e.g. us-east-1.")
    var region: String

    @Option(help: "Signing name of the service, e.g. sts, monitoring, logs.")
    var service: String

    @Option(help: "Signing time as YYYYMMDDTHHMMSSZ (default: now).")
    var time: String?

    @Option(help: "Shared config profile. Default: AWS_PROFILE, then \"default\". Naming one ignores AWS_ACCESS_KEY_ID.")
    var profile: String?

    @Option(help: "MFA code, when the profile assumes a role that requires one (mfa_serial).")
    var mfaCode: String?

    func validate() throws {
        if let time, SigV4Signer.parseAmzDate(time) == nil {
            throw ValidationError("--time must look like 20150830T123600Z (UTC), not \(TerminalText.sanitize(time))")
        }
        if region.isEmpty { throw ValidationError("--region must not be empty") }
        if service.isEmpty { throw ValidationError("--service must not be empty") }
    }

    func run() async throws {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        guard let text = String(data: data, encoding: .utf8) else {
            FileHandle.standardError.write(Data("breakglass: error: stdin: the request is not valid UTF-8\n".utf8))
            throw ExitCode(2)
        }
        var request: HTTPRequest
        do {
            request = try RawRequest.parse(text)
        } catch {
            FileHandle.standardError.write(Data("breakglass: error: stdin: \(TerminalText.sanitize(error.description))\n".utf8))
            throw ExitCode(2)
        }
        let date = time.flatMap(SigV4Signer.parseAmzDate) ?? Date()
        let credentials: AWSCredentials
        do {
            credentials = try await CredentialResolver(
                environment: AWSEnvironment.current(explicitProfile: profile), mfaCode: mfaCode.map { code -> MFACodeProvider in { @Sendable _ in code } }
            ).resolveAsync()
        } catch {
            throw report(error)
        }
        SigV4Signer().sign(&request, credentials: credentials, region: region, service: service, date: date)
        print(RawRequest.print(request))
    }
}
