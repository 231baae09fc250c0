/// SSM Automation documents for the import tests, modelled on the runbooks AWS publishes
/// (AWS-RestartEC2Instance, AWS-RebootRdsInstance, scaling an Auto Scaling group). Kept as text here
/// because BreakglassCoreTests declares no resources.
enum SSMFixtures {
    struct Fixture: Sendable, CustomStringConvertible {
        let file: String
        let text: String
        var description: String { file }
    }

    /// Every document that converts.
    static let convertible: [Fixture] = [restartEC2, rebootRDS, scaleASG, restartECSService]

    /// AWS-RestartEC2Instance, written with aws:executeAwsApi and waits instead of SSM's
    /// aws:changeInstanceState helper. YAML, with the usual AutomationAssumeRole and a StringList.
    static let restartEC2 = Fixture(file: "Breakglass-RestartEC2Instance.yaml", text: #"""
        description: |
          ### Document name - Breakglass-RestartEC2Instance

          ## What does this document do?
          Restarts an EC2 instance: stops it, starts it again and waits until its status checks pass.

          ## Input parameters
          * InstanceId: (Required) The instance to restart.
          * AutomationAssumeRole: (Optional) The role Automation runs as.
        schemaVersion: '0.3'
        assumeRole: '{{ AutomationAssumeRole }}'
        parameters:
          InstanceId:
            type: StringList
            description: (Required) The ID of the EC2 instance to restart.
            allowedPattern: '^i-[a-z0-9]{8,17}$'
          AutomationAssumeRole:
            type: String
            description: (Optional) The ARN of the role that allows Automation to perform the actions on your behalf.
            default: ''
            allowedPattern: '^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@_\/-]+|^$'
        mainSteps:
          - name: DescribeInstance
            action: aws:executeAwsApi
            onFailure: Abort
            inputs:
              Service: ec2
              Api: DescribeInstances
              InstanceIds: '{{ InstanceId }}'
            outputs:
              - Name: State
                Selector: $.Reservations[0].Instances[0].State.Name
                Type: String
          - name: CheckRunning
            action: aws:branch
            inputs:
              Choices:
                - NextStep: StopInstance
                  Variable: '{{ DescribeInstance.State }}'
                  StringEquals: running
              Default: StartInstance
          - name: StopInstance
            action: aws:executeAwsApi
            description: Stops the instance. Whatever is only in its memory is lost; its disks are kept.
            inputs:
              Service: ec2
              Api: StopInstances
              InstanceIds: '{{ InstanceId }}'
          - name: WaitForStopped
            action: aws:waitForAwsResourceProperty
            timeoutSeconds: 600
            inputs:
              Service: ec2
              Api: DescribeInstances
              InstanceIds: '{{ InstanceId }}'
              PropertySelector: $.Reservations[0].Instances[0].State.Name
              DesiredValues:
                - stopped
          - name: StartInstance
            action: aws:executeAwsApi
            inputs: { Service: ec2, Api: start_instances, InstanceIds: '{{ InstanceId }}' }
          - name: WaitForStatusOk
            action: aws:waitForAwsResourceProperty
            inputs:
              Service: ec2
              Api: describe_instance_status
              InstanceIds: '{{ InstanceId }}'
              PropertySelector: $.InstanceStatuses[0].InstanceStatus.Status
              DesiredValues: [ok]
        """#)

    /// AWS-RebootRdsInstance with a choice between a plain reboot and one with a failover. JSON.
    static let rebootRDS = Fixture(file: "RebootRdsInstance.json", text: #"""
        {
          "schemaVersion": "0.3",
          "description": "Reboot an RDS DB instance\nReboots the instance, with a failover to its standby when asked and when it is Multi-AZ, and waits until it is available.",
          "assumeRole": "{{ AutomationAssumeRole }}",
          "parameters": {
            "InstanceId": {
              "type": "String",
              "description": "(Required) The identifier of the RDS DB instance.",
              "allowedPattern": "^[a-zA-Z][a-zA-Z0-9-]{0,62}$",
              "default": "prod-aurora-1"
            },
            "ForceFailover": {
              "type": "Boolean",
              "default": false,
              "description": "(Optional) Fail over to the standby while rebooting (Multi-AZ instances only)."
            },
            "AutomationAssumeRole": {
              "type": "String",
              "default": "",
              "description": "(Optional) The ARN of the role that allows Automation to perform the actions on your behalf."
            }
          },
          "mainSteps": [
            {
              "name": "GetInstance",
              "action": "aws:executeAwsApi",
              "inputs": { "Service": "rds", "Api": "describe_db_instances", "DBInstanceIdentifier": "{{ InstanceId }}" },
              "outputs": [
                { "Name": "Status", "Selector": "$.DBInstances[0].DBInstanceStatus", "Type": "String" },
                { "Name": "MultiAZ", "Selector": "$.DBInstances[0].MultiAZ", "Type": "Boolean" }
              ]
            },
            {
              "name": "AssertAvailable",
              "action": "aws:assertAwsResourceProperty",
              "description": "AWS can only reboot an instance it reports as \"available\".",
              "inputs": {
                "Service": "rds",
                "Api": "DescribeDBInstances",
                "DBInstanceIdentifier": "{{ InstanceId }}",
                "PropertySelector": "$.DBInstances[0].DBInstanceStatus",
                "DesiredValues": ["available"]
              }
            },
            {
              "name": "ChooseReboot",
              "action": "aws:branch",
              "inputs": {
                "Choices": [
                  {
                    "NextStep": "RebootWithFailover",
                    "And": [
                      { "Variable": "{{ ForceFailover }}", "BooleanEquals": true },
                      { "Variable": "{{ GetInstance.MultiAZ }}", "BooleanEquals": true }
                    ]
                  }
                ],
                "Default": "Reboot"
              }
            },
            {
              "name": "RebootWithFailover",
              "action": "aws:executeAwsApi",
              "description": "Reboots {{ InstanceId }} and fails over to its standby. Connections drop for about a minute.",
              "nextStep": "WaitForAvailable",
              "inputs": { "Service": "rds", "Api": "RebootDBInstance", "DBInstanceIdentifier": "{{ InstanceId }}", "ForceFailover": true }
            },
            {
              "name": "Reboot",
              "action": "aws:executeAwsApi",
              "inputs": { "Service": "rds", "Api": "RebootDBInstance", "DBInstanceIdentifier": "{{ InstanceId }}" }
            },
            {
              "name": "WaitForAvailable",
              "action": "aws:waitForAwsResourceProperty",
              "timeoutSeconds": 900,
              "inputs": {
                "Service": "rds",
                "Api": "DescribeDBInstances",
                "DBInstanceIdentifier": "{{ InstanceId }}",
                "PropertySelector": "$.DBInstances[0].DBInstanceStatus",
                "DesiredValues": ["available"]
              }
            }
          ]
        }
        """#)

    /// Scaling out an Auto Scaling group after an approval, with a pause, a sleep and an Integer
    /// parameter. YAML.
    static let scaleASG = Fixture(file: "ScaleOutASG.yml", text: #"""
        schemaVersion: "0.3"
        description: "# Scale out an Auto Scaling group\nRaises the desired capacity of a group after an approval."
        parameters:
          AutoScalingGroupName:
            type: String
            default: prod-web
            allowedPattern: "^[A-Za-z0-9._-]+$"
            description: The Auto Scaling group to scale out.
          DesiredCapacity:
            type: Integer
            default: 8
            description: "How many instances to run: the group's new desired capacity."
          Approvers:
            type: StringList
            default: ["arn:aws:iam::111122223333:role/oncall-lead"]
            description: Who may approve the change.
          Environment:
            type: String
            default: prod
            allowedValues: [staging, prod]
        mainSteps:
          - name: Describe
            action: aws:executeAwsApi
            inputs:
              Service: autoscaling
              Api: DescribeAutoScalingGroups
              AutoScalingGroupNames: ["{{ AutoScalingGroupName }}"]
            outputs:
              - { Name: Current, Selector: "$.AutoScalingGroups[0].DesiredCapacity", Type: Integer }
              - { Name: Max, Selector: "$.AutoScalingGroups[0].MaxSize", Type: Integer }
          - name: CheckRoom
            action: aws:branch
            inputs:
              Choices:
                - NextStep: Approve
                  Variable: "{{ Describe.Max }}"
                  NumericGreaterOrEquals: 8
              Default: TooSmall
          - name: TooSmall
            action: aws:pause
            description: "The group's maximum size is below 8: raise MaxSize first, or ask for fewer instances."
            isEnd: true
            inputs: {}
          - name: Approve
            action: aws:approve
            timeoutSeconds: 1800
            inputs:
              NotificationArn: arn:aws:sns:us-east-1:111122223333:oncall-approvals
              Message: "Scale {{ AutoScalingGroupName }} in {{ Environment }} from {{ Describe.Current }} to {{ DesiredCapacity }} instances?"
              MinRequiredApprovals: 2
              Approvers: "{{ Approvers }}"
          - name: Scale
            action: aws:executeAwsApi
            inputs:
              Service: autoscaling
              Api: set_desired_capacity
              AutoScalingGroupName: "{{ AutoScalingGroupName }}"
              DesiredCapacity: "{{ DesiredCapacity }}"
              HonorCooldown: false
          - name: LetInstancesStart
            action: aws:sleep
            inputs:
              Duration: PT5M
          - name: WaitForCapacity
            action: aws:waitForAwsResourceProperty
            timeoutSeconds: 300
            inputs:
              Service: autoscaling
              Api: DescribeAutoScalingGroups
              AutoScalingGroupNames: ["{{ AutoScalingGroupName }}"]
              PropertySelector: "$.AutoScalingGroups[0].DesiredCapacity"
              DesiredValues: ["{{ DesiredCapacity }}"]
        """#)

    /// Forcing a new deployment of an ECS service (lower camel case inputs). JSON.
    static let restartECSService = Fixture(file: "restart_ecs_service.json", text: #"""
        {"schemaVersion":"0.3","description":"Restart every task of an ECS service","parameters":{"Cluster":{"type":"String","default":"prod"},"Service":{"type":"String","default":"orders-worker","allowedPattern":"^[A-Za-z0-9_-]+$"}},"mainSteps":[{"name":"before","action":"aws:executeAwsApi","inputs":{"Service":"ecs","Api":"DescribeServices","cluster":"{{Cluster}}","services":["{{Service}}"]},"outputs":[{"Name":"Running","Selector":"$.services[0].runningCount","Type":"Integer"}]},{"name":"redeploy","action":"aws:executeAwsApi","description":"Starts new tasks and stops the old ones once the new ones are healthy. {{ before.Running }} tasks run now.","inputs":{"Service":"ecs","Api":"update_service","cluster":"{{Cluster}}","service":"{{Service}}","forceNewDeployment":true}},{"name":"wait","action":"aws:waitForAwsResourceProperty","timeoutSeconds":5,"inputs":{"Service":"ecs","Api":"DescribeServices","cluster":"{{Cluster}}","services":["{{Service}}"],"PropertySelector":"$.services[0].deployments[0].rolloutState","DesiredValues":["COMPLETED"]}}]}
        """#)

    /// AWS-RestartEC2Instance as AWS publishes it, with a few more steps that have no Breakglass
    /// equivalent.
    static let unconvertible = Fixture(file: "AWS-RestartEC2Instance.yaml", text: #"""
        description: Restart EC2 instances
        schemaVersion: '0.3'
        assumeRole: '{{ AutomationAssumeRole }}'
        parameters:
          InstanceId:
            type: StringList
            description: (Required) EC2 Instance(s) to restart
          AutomationAssumeRole:
            type: String
            description: (Optional) The ARN of the role that allows Automation to perform the actions on your behalf.
            default: ''
          Tags:
            type: MapList
            default: []
        mainSteps:
          - name: stopInstances
            action: aws:changeInstanceState
            inputs:
              InstanceIds: '{{ InstanceId }}'
              DesiredState: stopped
          - name: runScript
            action: aws:runCommand
            inputs:
              DocumentName: AWS-RunShellScript
              InstanceIds: '{{ InstanceId }}'
              Parameters: { commands: [uptime] }
          - name: waitEither
            action: aws:waitForAwsResourceProperty
            inputs:
              Service: ec2
              Api: DescribeInstances
              InstanceIds: '{{ InstanceId }}'
              PropertySelector: $.Reservations[0].Instances[0].State.Name
              DesiredValues: [stopped, terminated]
          - name: deleteDatabase
            action: aws:executeAwsApi
            inputs:
              Service: rds
              Api: DeleteDBInstance
              DBInstanceIdentifier: '{{ global:ACCOUNT_ID }}'
          - name: startInstances
            action: aws:changeInstanceState
            inputs:
              InstanceIds: '{{ InstanceId }}'
              DesiredState: running
        """#)
}
