/// How a service is reached and spoken to: its signing name, endpoint prefix, the id the SDKs use in
/// AWS_ENDPOINT_URL_<ID>, the prefix of its IAM actions, and its wire protocol.
public struct AWSService: Sendable, Hashable {
    public enum WireProtocol: Sendable, Hashable {
        /// POST `/` with a JSON body and `X-Amz-Target: <targetPrefix>.<Operation>`.
        case awsJSON(version: String, targetPrefix: String)
        /// POST `/` with a form body `Action=...&Version=...`, XML answers; lists as `Name.member.N`.
        case query(apiVersion: String)
        /// EC2's dialect of query: lists flattened as `Name.N`.
        case ec2(apiVersion: String)
        /// Operations are HTTP methods on paths; JSON bodies (Lambda).
        case restJSON
    }

    /// Our short name, as used on the command line and in runbooks: "cloudwatch", "iam".
    public let name: String
    public let signingName: String
    public let endpointPrefix: String
    /// The service id upper-cased with underscores: AWS_ENDPOINT_URL_<envID>.
    public let envID: String
    /// The prefix of the service's IAM actions ("cloudwatch" for CloudWatch, whose signing name is
    /// "monitoring").
    public let iamPrefix: String
    public let wireProtocol: WireProtocol
    /// Global services have one endpoint and sign for us-east-1.
    public let isGlobal: Bool

    public init(name: String, signingName: String, endpointPrefix: String, envID: String, iamPrefix: String? = nil, wireProtocol: WireProtocol, isGlobal: Bool = false) {
        self.name = name
        self.signingName = signingName
        self.endpointPrefix = endpointPrefix
        self.envID = envID
        self.iamPrefix = iamPrefix ?? signingName
        self.wireProtocol = wireProtocol
        self.isGlobal = isGlobal
    }

    public static let cloudwatch = AWSService(
        name: "cloudwatch", signingName: "monitoring", endpointPrefix: "monitoring", envID: "CLOUDWATCH", iamPrefix: "cloudwatch",
        wireProtocol: .awsJSON(version: "1.0", targetPrefix: "GraniteServiceVersion20100801"))
    public static let ec2 = AWSService(name: "ec2", signingName: "ec2", endpointPrefix: "ec2", envID: "EC2", wireProtocol: .ec2(apiVersion: "2016-11-15"))
    public static let autoscaling = AWSService(
        name: "autoscaling", signingName: "autoscaling", endpointPrefix: "autoscaling", envID: "AUTO_SCALING", wireProtocol: .query(apiVersion: "2011-01-01"))
    public static let ecs = AWSService(
        name: "ecs", signingName: "ecs", endpointPrefix: "ecs", envID: "ECS",
        wireProtocol: .awsJSON(version: "1.1", targetPrefix: "AmazonEC2ContainerServiceV20141113"))
    public static let rds = AWSService(name: "rds", signingName: "rds", endpointPrefix: "rds", envID: "RDS", wireProtocol: .query(apiVersion: "2014-10-31"))
    public static let elbv2 = AWSService(
        name: "elbv2", signingName: "elasticloadbalancing", endpointPrefix: "elasticloadbalancing", envID: "ELASTIC_LOAD_BALANCING_V2",
        wireProtocol: .query(apiVersion: "2015-12-01"))
    public static let dynamodb = AWSService(
        name: "dynamodb", signingName: "dynamodb", endpointPrefix: "dynamodb", envID: "DYNAMODB", wireProtocol: .awsJSON(version: "1.0", targetPrefix: "DynamoDB_20120810"))
    public static let sqs = AWSService(name: "sqs", signingName: "sqs", endpointPrefix: "sqs", envID: "SQS", wireProtocol: .awsJSON(version: "1.0", targetPrefix: "AmazonSQS"))
    public static let lambda = AWSService(name: "lambda", signingName: "lambda", endpointPrefix: "lambda", envID: "LAMBDA", wireProtocol: .restJSON)
    public static let sts = AWSService(name: "sts", signingName: "sts", endpointPrefix: "sts", envID: "STS", wireProtocol: .query(apiVersion: "2011-06-15"))
    public static let iam = AWSService(
        name: "iam", signingName: "iam", endpointPrefix: "iam", envID: "IAM", wireProtocol: .query(apiVersion: "2010-05-08"), isGlobal: true)
    public static let sns = AWSService(name: "sns", signingName: "sns", endpointPrefix: "sns", envID: "SNS", wireProtocol: .query(apiVersion: "2010-03-31"))
    public static let logs = AWSService(
        name: "logs", signingName: "logs", endpointPrefix: "logs", envID: "CLOUDWATCH_LOGS", wireProtocol: .awsJSON(version: "1.1", targetPrefix: "Logs_20140328"))
    public static let ssm = AWSService(name: "ssm", signingName: "ssm", endpointPrefix: "ssm", envID: "SSM", wireProtocol: .awsJSON(version: "1.1", targetPrefix: "AmazonSSM"))

    public static let all: [AWSService] = [cloudwatch, ec2, autoscaling, ecs, rds, elbv2, dynamodb, sqs, lambda, sts, iam, sns, logs, ssm]

    public static func named(_ name: String) -> AWSService? { all.first { $0.name == name.lowercased() } }
}
