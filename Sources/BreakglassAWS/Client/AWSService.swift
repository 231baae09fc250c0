/// How a service is reached and spoken to: its signing name, endpoint prefix, the id the SDKs use in
/// AWS_ENDPOINT_URL_<ID>, and its wire protocol.
public struct AWSService: Sendable, Hashable {
    public enum WireProtocol: Sendable, Hashable {
        /// POST `/` with a JSON body and `X-Amz-Target: <targetPrefix>.<Operation>`.
        case awsJSON(version: String, targetPrefix: String)
        /// POST `/` with a form body `Action=...&Version=...`, XML answers.
        case query(apiVersion: String)
    }

    /// Our short name, as used on the command line and in runbooks: "cloudwatch", "iam".
    public let name: String
    public let signingName: String
    public let endpointPrefix: String
    /// The service id upper-cased with underscores: AWS_ENDPOINT_URL_<envID>.
    public let envID: String
    public let wireProtocol: WireProtocol
    /// Global services have one endpoint and sign for us-east-1.
    public let isGlobal: Bool

    public init(name: String, signingName: String, endpointPrefix: String, envID: String, wireProtocol: WireProtocol, isGlobal: Bool = false) {
        self.name = name
        self.signingName = signingName
        self.endpointPrefix = endpointPrefix
        self.envID = envID
        self.wireProtocol = wireProtocol
        self.isGlobal = isGlobal
    }

    public static let cloudwatch = AWSService(
        name: "cloudwatch", signingName: "monitoring", endpointPrefix: "monitoring", envID: "CLOUDWATCH",
        wireProtocol: .awsJSON(version: "1.0", targetPrefix: "GraniteServiceVersion20100801"))
    public static let iam = AWSService(
        name: "iam", signingName: "iam", endpointPrefix: "iam", envID: "IAM",
        wireProtocol: .query(apiVersion: "2010-05-08"), isGlobal: true)
    public static let sts = AWSService(
        name: "sts", signingName: "sts", endpointPrefix: "sts", envID: "STS",
        wireProtocol: .query(apiVersion: "2011-06-15"))
}
