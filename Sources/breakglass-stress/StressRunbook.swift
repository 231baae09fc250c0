/// The runbook the stress loop runs: six `do` steps across five services that moto serves, with
/// reads and a wait between them. Every `do` carries `NONCE-stepN-end` (N its 1-based step) in
/// what it sends, so each request that reaches moto names its run and step (`StressMarkers`), and
/// a repeat of `CreateLogStream` would also fail in moto (the stream exists).
enum StressRunbook {
    static func yaml(queueURL: String, topicARN: String) -> String {
        """
        id: stress-ops
        title: Stress run with six changes
        when: Only for breakglass-stress.
        params:
          nonce: { pattern: "^[a-z0-9]+$", description: A name unique to this run. }
        steps:
          - say: Stress run {{nonce}}.
          - id: before
            check:
              call: cloudwatch.DescribeAlarms
              with: { AlarmNames: [stress-target] }
          - do:
              call: logs.CreateLogStream
              with: { logGroupName: stress, logStreamName: "{{nonce}}-step3-end" }
              explain: Creates a log stream named after the run.
          - do:
              call: cloudwatch.SetAlarmState
              with: { AlarmName: stress-target, StateValue: ALARM, StateReason: "{{nonce}}-step4-end" }
              explain: Sets the stress alarm to ALARM.
          - do:
              call: sqs.SendMessage
              with: { QueueUrl: "\(queueURL)", MessageBody: "{{nonce}}-step5-end" }
              explain: Sends one message to the stress queue.
          - wait:
              call: cloudwatch.DescribeAlarms
              with: { AlarmNames: [stress-target] }
              until: { "MetricAlarms[0].StateValue": ALARM }
              timeout: 30s
              every: 1s
          - do:
              call: sns.Publish
              with: { TopicArn: "\(topicARN)", Message: "{{nonce}}-step7-end" }
              explain: Publishes one message to the stress topic.
          - do:
              call: cloudwatch.SetAlarmState
              with: { AlarmName: stress-target, StateValue: OK, StateReason: "{{nonce}}-step8-end" }
              explain: Sets the stress alarm back to OK.
          - do:
              call: dynamodb.PutItem
              with: { TableName: stress, Item: { pk: { S: "{{nonce}}-step9-end" } } }
              explain: Writes one item named after the run.
          - check:
              call: dynamodb.DescribeTable
              with: { TableName: stress }

        """
    }
}
