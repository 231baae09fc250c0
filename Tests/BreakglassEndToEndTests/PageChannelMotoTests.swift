import BreakglassAWS
import BreakglassCore
import BreakglassTestSupport
import Foundation
import Testing

/// SNS and SMS pages against moto_server with signature checks on. moto delivers a topic's
/// messages into a subscribed SQS queue, which lets the test read what a subscriber would get.
@Suite(.serialized) struct PageChannelMotoTests {
    static func op(_ service: String, _ name: String) throws -> AWSOperation { try AWSCatalog.lookup(service: service, name: name) }

    static let message = PageMessage(
        incident: 31, action: .trigger, title: "orders-queue-depth in ALARM (severity 2)",
        summary: "orders-queue-depth: Threshold Crossed: 1 datapoint was greater than 1000.\nStage 1 of app-oncall.", severity: 2, stage: 1,
        contact: "carol", contactName: "Carol Example", alarms: ["us-east-1/orders-queue-depth"], dedupKey: "breakglass-incident-31",
        deliveryID: "page-31-1-carol-sns", openedAt: Date(timeIntervalSince1970: 1_795_000_000), source: "ops-host-3")

    @Test func aTopicPageArrivesOnceInTheSubscribedQueueAndSMSIsPublished() async throws {
        try await MotoHarness.withServer { server in
            let admin = server.client()
            let r = "us-east-1"
            let topic = try await admin.call(Self.op("sns", "CreateTopic"), ["Name": "app-oncall"], region: r)
            let topicARN = try #require(topic.value["TopicArn"]?.string)
            let queue = try await admin.call(Self.op("sqs", "CreateQueue"), ["QueueName": "page-observer"], region: r)
            let queueURL = try #require(queue.value["QueueUrl"]?.string)
            let attributes = try await admin.call(Self.op("sqs", "GetQueueAttributes"), ["QueueUrl": .string(queueURL), "AttributeNames": ["QueueArn"]], region: r)
            let queueARN = try #require(attributes.value["Attributes"]?["QueueArn"]?.string)
            _ = try await admin.call(Self.op("sns", "Subscribe"), ["TopicArn": .string(topicARN), "Protocol": "sqs", "Endpoint": .string(queueARN)], region: r)

            let journal = try MotoHarness.temporaryJournal()
            let sender = ChannelSender(aws: server.client().journaled(journal), http: CurlTransport(), environment: [:], smsRegion: r)
            let result = await sender.deliver(Self.message, via: .sns(topicARN: topicARN))
            guard case .delivered(let reference) = result, let messageID = reference else {
                Issue.record("not delivered: \(result)")
                return
            }

            let received = try await admin.call(
                Self.op("sqs", "ReceiveMessage"), ["QueueUrl": .string(queueURL), "MaxNumberOfMessages": 10, "WaitTimeSeconds": 1], region: r)
            let messages = received.value["Messages"]?.array ?? []
            #expect(messages.count == 1, "exactly one copy: \(messages)")
            let body = try #require(messages.first?["Body"]?.string)
            let notification = try JSON.decode(body)
            #expect(notification["MessageId"] == .string(messageID))
            #expect(notification["TopicArn"] == .string(topicARN))
            #expect(notification["Subject"] == "Breakglass Incident #31: orders-queue-depth in ALARM (severity 2)")
            #expect(notification["Message"] == .string("""
                [Breakglass] Incident #31: orders-queue-depth in ALARM (severity 2)

                orders-queue-depth: Threshold Crossed: 1 datapoint was greater than 1000.
                Stage 1 of app-oncall.

                Acknowledge: breakglass ack 31
                """))

            let sms = await sender.deliver(Self.message, via: .sms(phone: "+15555550123"))
            guard case .delivered(let smsID) = sms else {
                Issue.record("SMS not delivered: \(sms)")
                return
            }
            #expect(smsID != nil)

            // A deleted (here: never created) topic is something an operator can fix: retryable.
            let missing = await sender.deliver(Self.message, via: .sns(topicARN: "arn:aws:sns:us-east-1:123456789012:no-such-topic"))
            #expect({ if case .failed(_, true) = missing { true } else { false } }(), "\(missing)")

            // Every Publish left an intent before it was sent and an outcome after.
            let entries = try journal.log.entries()
            let intents = entries.filter { $0.draft.kind == "aws.intent" }
            #expect(intents.map { $0.draft.operation ?? "" } == ["Publish", "Publish", "Publish"])
            #expect(intents.allSatisfy { $0.draft.service == "sns" && $0.draft.region == r })
            #expect(intents[0].draft.parameters?.contains(topicARN) == true)
            #expect(intents[1].draft.parameters?.contains("+15555550123") == true)
            let outcomes = entries.filter { $0.draft.kind == "aws.outcome" }
            #expect(outcomes.map { $0.draft.intentSeq } == intents.map { Optional($0.seq) })
            #expect(outcomes.map { $0.draft.outcome ?? "" } == ["succeeded", "succeeded", "failed"])
        }
    }
}
