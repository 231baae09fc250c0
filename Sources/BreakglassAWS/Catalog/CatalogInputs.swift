/// One member of an operation's input: its name, as the API reference and the SDKs write it
/// (`DBClusterIdentifier`; ECS and CloudWatch Logs use lower camel case, `desiredCount`), and whether
/// AWS refuses the call without it.
public struct AWSInputMember: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let required: Bool

    public init(_ name: String, required: Bool) {
        self.name = name
        self.required = required
    }

    public static func required(_ name: String) -> AWSInputMember { AWSInputMember(name, required: true) }
    public static func optional(_ name: String) -> AWSInputMember { AWSInputMember(name, required: false) }

    public var description: String { required ? "\(name) (required)" : name }
}

extension AWSOperation {
    /// The top-level members of the operation's input, in the order of the API reference. Runbook lint
    /// checks a step's `with` against them: a name not listed is a typo, and a required one missing
    /// makes AWS refuse the call.
    public var inputs: [AWSInputMember] { AWSCatalog.inputs["\(service.name).\(name)"] ?? [] }

    /// The members AWS refuses the call without.
    public var requiredInputs: [String] { inputs.filter(\.required).map(\.name) }

    /// The member called `name`, if the operation takes one.
    public func input(_ name: String) -> AWSInputMember? { inputs.first { $0.name == name } }
}

extension AWSCatalog {
    /// Every catalog operation's input members, keyed `service.Operation`. Taken from the AWS service
    /// models that the API references and the SDKs are generated from (botocore 1.43.11's
    /// `service-2.json`: each input shape's members and its `required` list), and checked by hand
    /// against the API reference pages for the operations runbooks use. A test keeps this table and
    /// `operations` in step: every operation has an entry, and every entry an operation.
    public static let inputs: [String: [AWSInputMember]] = [
        // Amazon CloudWatch 2010-08-01
        "cloudwatch.DescribeAlarms": [.optional("AlarmNames"), .optional("AlarmNamePrefix"), .optional("AlarmTypes"),
            .optional("ChildrenOfAlarmName"), .optional("ParentsOfAlarmName"), .optional("StateValue"), .optional("ActionPrefix"),
            .optional("MaxRecords"), .optional("NextToken")],
        "cloudwatch.GetMetricData": [.required("MetricDataQueries"), .required("StartTime"), .required("EndTime"), .optional("NextToken"),
            .optional("ScanBy"), .optional("MaxDatapoints"), .optional("LabelOptions")],
        "cloudwatch.SetAlarmState": [.required("AlarmName"), .required("StateValue"), .required("StateReason"),
            .optional("StateReasonData")],
        "cloudwatch.PutMetricAlarm": [.required("AlarmName"), .optional("AlarmDescription"), .optional("ActionsEnabled"),
            .optional("OKActions"), .optional("AlarmActions"), .optional("InsufficientDataActions"), .optional("MetricName"),
            .optional("Namespace"), .optional("Statistic"), .optional("ExtendedStatistic"), .optional("Dimensions"), .optional("Period"),
            .optional("Unit"), .optional("EvaluationPeriods"), .optional("DatapointsToAlarm"), .optional("Threshold"),
            .optional("ComparisonOperator"), .optional("TreatMissingData"), .optional("EvaluateLowSampleCountPercentile"),
            .optional("Metrics"), .optional("Tags"), .optional("ThresholdMetricId"), .optional("EvaluationCriteria"),
            .optional("EvaluationInterval")],
        "cloudwatch.PutMetricData": [.required("Namespace"), .optional("MetricData"), .optional("EntityMetricData"),
            .optional("StrictEntityValidation")],
        "cloudwatch.DeleteAlarms": [.required("AlarmNames")],
        // Amazon Elastic Compute Cloud 2016-11-15
        "ec2.DescribeInstances": [.optional("InstanceIds"), .optional("IncludeManagedResources"), .optional("DryRun"),
            .optional("Filters"), .optional("NextToken"), .optional("MaxResults")],
        "ec2.DescribeInstanceStatus": [.optional("InstanceIds"), .optional("MaxResults"), .optional("NextToken"),
            .optional("IncludeManagedResources"), .optional("DryRun"), .optional("Filters"), .optional("IncludeAllInstances")],
        "ec2.RebootInstances": [.required("InstanceIds"), .optional("DryRun")],
        "ec2.StopInstances": [.required("InstanceIds"), .optional("Hibernate"), .optional("SkipOsShutdown"), .optional("DryRun"),
            .optional("Force")],
        "ec2.StartInstances": [.required("InstanceIds"), .optional("AdditionalInfo"), .optional("DryRun")],
        "ec2.RunInstances": [.optional("BlockDeviceMappings"), .optional("ImageId"), .optional("InstanceType"),
            .optional("Ipv6AddressCount"), .optional("Ipv6Addresses"), .optional("KernelId"), .optional("KeyName"), .required("MaxCount"),
            .required("MinCount"), .optional("Monitoring"), .optional("Placement"), .optional("RamdiskId"), .optional("SecurityGroupIds"),
            .optional("SecurityGroups"), .optional("SubnetId"), .optional("UserData"), .optional("ElasticGpuSpecification"),
            .optional("ElasticInferenceAccelerators"), .optional("TagSpecifications"), .optional("LaunchTemplate"),
            .optional("InstanceMarketOptions"), .optional("CreditSpecification"), .optional("CpuOptions"),
            .optional("CapacityReservationSpecification"), .optional("HibernationOptions"), .optional("LicenseSpecifications"),
            .optional("MetadataOptions"), .optional("EnclaveOptions"), .optional("PrivateDnsNameOptions"), .optional("MaintenanceOptions"),
            .optional("DisableApiStop"), .optional("EnablePrimaryIpv6"), .optional("NetworkPerformanceOptions"), .optional("Operator"),
            .optional("SecondaryInterfaces"), .optional("DryRun"), .optional("DisableApiTermination"),
            .optional("InstanceInitiatedShutdownBehavior"), .optional("PrivateIpAddress"), .optional("ClientToken"),
            .optional("AdditionalInfo"), .optional("NetworkInterfaces"), .optional("IamInstanceProfile"), .optional("EbsOptimized")],
        // Auto Scaling 2011-01-01
        "autoscaling.DescribeAutoScalingGroups": [.optional("AutoScalingGroupNames"), .optional("IncludeInstances"),
            .optional("NextToken"), .optional("MaxRecords"), .optional("Filters")],
        "autoscaling.SetDesiredCapacity": [.required("AutoScalingGroupName"), .required("DesiredCapacity"), .optional("HonorCooldown")],
        "autoscaling.CreateLaunchConfiguration": [.required("LaunchConfigurationName"), .optional("ImageId"), .optional("KeyName"),
            .optional("SecurityGroups"), .optional("ClassicLinkVPCId"), .optional("ClassicLinkVPCSecurityGroups"), .optional("UserData"),
            .optional("InstanceId"), .optional("InstanceType"), .optional("KernelId"), .optional("RamdiskId"),
            .optional("BlockDeviceMappings"), .optional("InstanceMonitoring"), .optional("SpotPrice"), .optional("IamInstanceProfile"),
            .optional("EbsOptimized"), .optional("AssociatePublicIpAddress"), .optional("PlacementTenancy"), .optional("MetadataOptions")],
        "autoscaling.CreateAutoScalingGroup": [.required("AutoScalingGroupName"), .optional("LaunchConfigurationName"),
            .optional("LaunchTemplate"), .optional("MixedInstancesPolicy"), .optional("InstanceId"), .required("MinSize"),
            .required("MaxSize"), .optional("DesiredCapacity"), .optional("DefaultCooldown"), .optional("AvailabilityZones"),
            .optional("AvailabilityZoneIds"), .optional("LoadBalancerNames"), .optional("TargetGroupARNs"), .optional("HealthCheckType"),
            .optional("HealthCheckGracePeriod"), .optional("PlacementGroup"), .optional("VPCZoneIdentifier"),
            .optional("TerminationPolicies"), .optional("NewInstancesProtectedFromScaleIn"), .optional("CapacityRebalance"),
            .optional("LifecycleHookSpecificationList"), .optional("DeletionProtection"), .optional("Tags"),
            .optional("ServiceLinkedRoleARN"), .optional("MaxInstanceLifetime"), .optional("Context"), .optional("DesiredCapacityType"),
            .optional("DefaultInstanceWarmup"), .optional("TrafficSources"), .optional("InstanceMaintenancePolicy"),
            .optional("AvailabilityZoneDistribution"), .optional("AvailabilityZoneImpairmentPolicy"),
            .optional("SkipZonalShiftValidation"), .optional("CapacityReservationSpecification"), .optional("InstanceLifecyclePolicy")],
        // Amazon EC2 Container Service 2014-11-13
        "ecs.DescribeServices": [.optional("cluster"), .required("services"), .optional("include")],
        "ecs.UpdateService": [.optional("cluster"), .required("service"), .optional("desiredCount"), .optional("taskDefinition"),
            .optional("capacityProviderStrategy"), .optional("deploymentConfiguration"), .optional("availabilityZoneRebalancing"),
            .optional("networkConfiguration"), .optional("placementConstraints"), .optional("placementStrategy"),
            .optional("platformVersion"), .optional("forceNewDeployment"), .optional("healthCheckGracePeriodSeconds"),
            .optional("deploymentController"), .optional("enableExecuteCommand"), .optional("enableECSManagedTags"),
            .optional("loadBalancers"), .optional("propagateTags"), .optional("serviceRegistries"),
            .optional("serviceConnectConfiguration"), .optional("volumeConfigurations"), .optional("vpcLatticeConfigurations")],
        "ecs.CreateCluster": [.optional("clusterName"), .optional("tags"), .optional("settings"), .optional("configuration"),
            .optional("capacityProviders"), .optional("defaultCapacityProviderStrategy"), .optional("serviceConnectDefaults")],
        "ecs.RegisterTaskDefinition": [.required("family"), .optional("taskRoleArn"), .optional("executionRoleArn"),
            .optional("networkMode"), .required("containerDefinitions"), .optional("volumes"), .optional("placementConstraints"),
            .optional("requiresCompatibilities"), .optional("cpu"), .optional("memory"), .optional("tags"), .optional("pidMode"),
            .optional("ipcMode"), .optional("proxyConfiguration"), .optional("inferenceAccelerators"), .optional("ephemeralStorage"),
            .optional("runtimePlatform"), .optional("enableFaultInjection")],
        "ecs.CreateService": [.optional("cluster"), .required("serviceName"), .optional("taskDefinition"),
            .optional("availabilityZoneRebalancing"), .optional("loadBalancers"), .optional("serviceRegistries"),
            .optional("desiredCount"), .optional("clientToken"), .optional("launchType"), .optional("capacityProviderStrategy"),
            .optional("platformVersion"), .optional("role"), .optional("deploymentConfiguration"), .optional("placementConstraints"),
            .optional("placementStrategy"), .optional("networkConfiguration"), .optional("healthCheckGracePeriodSeconds"),
            .optional("schedulingStrategy"), .optional("deploymentController"), .optional("tags"), .optional("enableECSManagedTags"),
            .optional("propagateTags"), .optional("enableExecuteCommand"), .optional("serviceConnectConfiguration"),
            .optional("volumeConfigurations"), .optional("vpcLatticeConfigurations")],
        // Amazon Relational Database Service 2014-10-31
        "rds.DescribeDBInstances": [.optional("DBInstanceIdentifier"), .optional("Filters"), .optional("MaxRecords"), .optional("Marker")],
        "rds.DescribeDBClusters": [.optional("DBClusterIdentifier"), .optional("Filters"), .optional("MaxRecords"), .optional("Marker"),
            .optional("IncludeShared")],
        "rds.RebootDBInstance": [.required("DBInstanceIdentifier"), .optional("ForceFailover")],
        "rds.FailoverDBCluster": [.required("DBClusterIdentifier"), .optional("TargetDBInstanceIdentifier")],
        "rds.ModifyDBInstance": [.required("DBInstanceIdentifier"), .optional("AllocatedStorage"), .optional("DBInstanceClass"),
            .optional("DBSubnetGroupName"), .optional("DBSecurityGroups"), .optional("VpcSecurityGroupIds"), .optional("ApplyImmediately"),
            .optional("MasterUserPassword"), .optional("DBParameterGroupName"), .optional("BackupRetentionPeriod"),
            .optional("PreferredBackupWindow"), .optional("PreferredMaintenanceWindow"), .optional("MultiAZ"), .optional("EngineVersion"),
            .optional("AllowMajorVersionUpgrade"), .optional("AutoMinorVersionUpgrade"), .optional("LicenseModel"), .optional("Iops"),
            .optional("StorageThroughput"), .optional("OptionGroupName"), .optional("NewDBInstanceIdentifier"), .optional("StorageType"),
            .optional("TdeCredentialArn"), .optional("TdeCredentialPassword"), .optional("CACertificateIdentifier"), .optional("Domain"),
            .optional("DomainFqdn"), .optional("DomainOu"), .optional("DomainAuthSecretArn"), .optional("DomainDnsIps"),
            .optional("DisableDomain"), .optional("CopyTagsToSnapshot"), .optional("MonitoringInterval"), .optional("DBPortNumber"),
            .optional("PubliclyAccessible"), .optional("MonitoringRoleArn"), .optional("DomainIAMRoleName"), .optional("PromotionTier"),
            .optional("EnableIAMDatabaseAuthentication"), .optional("DatabaseInsightsMode"), .optional("EnablePerformanceInsights"),
            .optional("PerformanceInsightsKMSKeyId"), .optional("PerformanceInsightsRetentionPeriod"),
            .optional("CloudwatchLogsExportConfiguration"), .optional("ProcessorFeatures"), .optional("UseDefaultProcessorFeatures"),
            .optional("DeletionProtection"), .optional("MaxAllocatedStorage"), .optional("CertificateRotationRestart"),
            .optional("ReplicaMode"), .optional("AutomationMode"), .optional("ResumeFullAutomationModeMinutes"),
            .optional("EnableCustomerOwnedIp"), .optional("NetworkType"), .optional("AwsBackupRecoveryPointArn"),
            .optional("ManageMasterUserPassword"), .optional("RotateMasterUserPassword"), .optional("MasterUserSecretKmsKeyId"),
            .optional("MultiTenant"), .optional("DedicatedLogVolume"), .optional("Engine"), .optional("AdditionalStorageVolumes"),
            .optional("TagSpecifications"), .optional("MasterUserAuthenticationType")],
        "rds.CreateDBCluster": [.optional("AvailabilityZones"), .optional("BackupRetentionPeriod"), .optional("CharacterSetName"),
            .optional("DatabaseName"), .required("DBClusterIdentifier"), .optional("DBClusterParameterGroupName"),
            .optional("VpcSecurityGroupIds"), .optional("DBSubnetGroupName"), .required("Engine"), .optional("EngineVersion"),
            .optional("Port"), .optional("MasterUsername"), .optional("MasterUserPassword"), .optional("OptionGroupName"),
            .optional("PreferredBackupWindow"), .optional("PreferredMaintenanceWindow"), .optional("ReplicationSourceIdentifier"),
            .optional("Tags"), .optional("StorageEncrypted"), .optional("KmsKeyId"), .optional("PreSignedUrl"),
            .optional("EnableIAMDatabaseAuthentication"), .optional("BacktrackWindow"), .optional("EnableCloudwatchLogsExports"),
            .optional("EngineMode"), .optional("ScalingConfiguration"), .optional("RdsCustomClusterConfiguration"),
            .optional("DBClusterInstanceClass"), .optional("AllocatedStorage"), .optional("StorageType"), .optional("Iops"),
            .optional("PubliclyAccessible"), .optional("AutoMinorVersionUpgrade"), .optional("DeletionProtection"),
            .optional("GlobalClusterIdentifier"), .optional("EnableHttpEndpoint"), .optional("CopyTagsToSnapshot"), .optional("Domain"),
            .optional("DomainIAMRoleName"), .optional("EnableGlobalWriteForwarding"), .optional("NetworkType"),
            .optional("ServerlessV2ScalingConfiguration"), .optional("MonitoringInterval"), .optional("MonitoringRoleArn"),
            .optional("DatabaseInsightsMode"), .optional("EnablePerformanceInsights"), .optional("PerformanceInsightsKMSKeyId"),
            .optional("PerformanceInsightsRetentionPeriod"), .optional("EnableLimitlessDatabase"), .optional("ClusterScalabilityType"),
            .optional("DBSystemId"), .optional("ManageMasterUserPassword"), .optional("EnableLocalWriteForwarding"),
            .optional("MasterUserSecretKmsKeyId"), .optional("CACertificateIdentifier"), .optional("EngineLifecycleSupport"),
            .optional("TagSpecifications"), .optional("MasterUserAuthenticationType"), .optional("WithExpressConfiguration"),
            .optional("SourceRegion")],
        "rds.CreateDBInstance": [.optional("DBName"), .required("DBInstanceIdentifier"), .optional("AllocatedStorage"),
            .required("DBInstanceClass"), .required("Engine"), .optional("MasterUsername"), .optional("MasterUserPassword"),
            .optional("DBSecurityGroups"), .optional("VpcSecurityGroupIds"), .optional("AvailabilityZone"), .optional("DBSubnetGroupName"),
            .optional("PreferredMaintenanceWindow"), .optional("DBParameterGroupName"), .optional("BackupRetentionPeriod"),
            .optional("PreferredBackupWindow"), .optional("Port"), .optional("MultiAZ"), .optional("EngineVersion"),
            .optional("AutoMinorVersionUpgrade"), .optional("LicenseModel"), .optional("Iops"), .optional("StorageThroughput"),
            .optional("OptionGroupName"), .optional("CharacterSetName"), .optional("NcharCharacterSetName"),
            .optional("PubliclyAccessible"), .optional("Tags"), .optional("DBClusterIdentifier"), .optional("StorageType"),
            .optional("TdeCredentialArn"), .optional("TdeCredentialPassword"), .optional("StorageEncrypted"), .optional("KmsKeyId"),
            .optional("Domain"), .optional("DomainFqdn"), .optional("DomainOu"), .optional("DomainAuthSecretArn"),
            .optional("DomainDnsIps"), .optional("CopyTagsToSnapshot"), .optional("MonitoringInterval"), .optional("MonitoringRoleArn"),
            .optional("DomainIAMRoleName"), .optional("PromotionTier"), .optional("Timezone"),
            .optional("EnableIAMDatabaseAuthentication"), .optional("DatabaseInsightsMode"), .optional("EnablePerformanceInsights"),
            .optional("PerformanceInsightsKMSKeyId"), .optional("PerformanceInsightsRetentionPeriod"),
            .optional("EnableCloudwatchLogsExports"), .optional("ProcessorFeatures"), .optional("DeletionProtection"),
            .optional("MaxAllocatedStorage"), .optional("EnableCustomerOwnedIp"), .optional("NetworkType"), .optional("BackupTarget"),
            .optional("CustomIamInstanceProfile"), .optional("DBSystemId"), .optional("CACertificateIdentifier"),
            .optional("ManageMasterUserPassword"), .optional("MasterUserSecretKmsKeyId"), .optional("MultiTenant"),
            .optional("DedicatedLogVolume"), .optional("EngineLifecycleSupport"), .optional("AdditionalStorageVolumes"),
            .optional("TagSpecifications"), .optional("MasterUserAuthenticationType")],
        // Elastic Load Balancing 2015-12-01
        "elbv2.DescribeTargetHealth": [.required("TargetGroupArn"), .optional("Targets"), .optional("Include")],
        "elbv2.CreateTargetGroup": [.required("Name"), .optional("Protocol"), .optional("ProtocolVersion"), .optional("Port"),
            .optional("VpcId"), .optional("HealthCheckProtocol"), .optional("HealthCheckPort"), .optional("HealthCheckEnabled"),
            .optional("HealthCheckPath"), .optional("HealthCheckIntervalSeconds"), .optional("HealthCheckTimeoutSeconds"),
            .optional("HealthyThresholdCount"), .optional("UnhealthyThresholdCount"), .optional("Matcher"), .optional("TargetType"),
            .optional("Tags"), .optional("IpAddressType"), .optional("TargetControlPort")],
        "elbv2.RegisterTargets": [.required("TargetGroupArn"), .required("Targets")],
        // Amazon DynamoDB 2012-08-10
        "dynamodb.DescribeTable": [.required("TableName")],
        "dynamodb.Query": [.required("TableName"), .optional("IndexName"), .optional("Select"), .optional("AttributesToGet"),
            .optional("Limit"), .optional("ConsistentRead"), .optional("KeyConditions"), .optional("QueryFilter"),
            .optional("ConditionalOperator"), .optional("ScanIndexForward"), .optional("ExclusiveStartKey"),
            .optional("ReturnConsumedCapacity"), .optional("ProjectionExpression"), .optional("FilterExpression"),
            .optional("KeyConditionExpression"), .optional("ExpressionAttributeNames"), .optional("ExpressionAttributeValues")],
        "dynamodb.UpdateTable": [.optional("AttributeDefinitions"), .required("TableName"), .optional("BillingMode"),
            .optional("ProvisionedThroughput"), .optional("GlobalSecondaryIndexUpdates"), .optional("StreamSpecification"),
            .optional("SSESpecification"), .optional("ReplicaUpdates"), .optional("TableClass"), .optional("DeletionProtectionEnabled"),
            .optional("MultiRegionConsistency"), .optional("GlobalTableWitnessUpdates"), .optional("OnDemandThroughput"),
            .optional("WarmThroughput"), .optional("GlobalTableSettingsReplicationMode")],
        "dynamodb.CreateTable": [.optional("AttributeDefinitions"), .required("TableName"), .optional("KeySchema"),
            .optional("LocalSecondaryIndexes"), .optional("GlobalSecondaryIndexes"), .optional("BillingMode"),
            .optional("ProvisionedThroughput"), .optional("StreamSpecification"), .optional("SSESpecification"), .optional("Tags"),
            .optional("TableClass"), .optional("DeletionProtectionEnabled"), .optional("WarmThroughput"), .optional("ResourcePolicy"),
            .optional("OnDemandThroughput"), .optional("GlobalTableSourceArn"), .optional("GlobalTableSettingsReplicationMode")],
        "dynamodb.PutItem": [.required("TableName"), .required("Item"), .optional("Expected"), .optional("ReturnValues"),
            .optional("ReturnConsumedCapacity"), .optional("ReturnItemCollectionMetrics"), .optional("ConditionalOperator"),
            .optional("ConditionExpression"), .optional("ExpressionAttributeNames"), .optional("ExpressionAttributeValues"),
            .optional("ReturnValuesOnConditionCheckFailure")],
        // Amazon Simple Queue Service 2012-11-05
        "sqs.GetQueueAttributes": [.required("QueueUrl"), .optional("AttributeNames")],
        "sqs.GetQueueUrl": [.required("QueueName"), .optional("QueueOwnerAWSAccountId")],
        "sqs.PurgeQueue": [.required("QueueUrl")],
        "sqs.CreateQueue": [.required("QueueName"), .optional("Attributes"), .optional("tags")],
        "sqs.SendMessage": [.required("QueueUrl"), .required("MessageBody"), .optional("DelaySeconds"), .optional("MessageAttributes"),
            .optional("MessageSystemAttributes"), .optional("MessageDeduplicationId"), .optional("MessageGroupId")],
        "sqs.SendMessageBatch": [.required("QueueUrl"), .required("Entries")],
        "sqs.ReceiveMessage": [.required("QueueUrl"), .optional("AttributeNames"), .optional("MessageSystemAttributeNames"),
            .optional("MessageAttributeNames"), .optional("MaxNumberOfMessages"), .optional("VisibilityTimeout"),
            .optional("WaitTimeSeconds"), .optional("ReceiveRequestAttemptId")],
        // AWS Lambda 2015-03-31
        "lambda.GetFunctionConcurrency": [.required("FunctionName")],
        "lambda.PutFunctionConcurrency": [.required("FunctionName"), .required("ReservedConcurrentExecutions")],
        "lambda.DeleteFunctionConcurrency": [.required("FunctionName")],
        "lambda.CreateFunction": [.required("FunctionName"), .optional("Runtime"), .required("Role"), .optional("Handler"),
            .required("Code"), .optional("Description"), .optional("Timeout"), .optional("MemorySize"), .optional("Publish"),
            .optional("VpcConfig"), .optional("PackageType"), .optional("DeadLetterConfig"), .optional("Environment"),
            .optional("KMSKeyArn"), .optional("TracingConfig"), .optional("Tags"), .optional("Layers"), .optional("FileSystemConfigs"),
            .optional("ImageConfig"), .optional("CodeSigningConfigArn"), .optional("Architectures"), .optional("EphemeralStorage"),
            .optional("SnapStart"), .optional("LoggingConfig"), .optional("CapacityProviderConfig"), .optional("PublishTo"),
            .optional("DurableConfig"), .optional("TenancyConfig")],
        // AWS Security Token Service 2011-06-15
        "sts.GetCallerIdentity": [],
        "sts.AssumeRole": [.required("RoleArn"), .required("RoleSessionName"), .optional("PolicyArns"), .optional("Policy"),
            .optional("DurationSeconds"), .optional("Tags"), .optional("TransitiveTagKeys"), .optional("ExternalId"),
            .optional("SerialNumber"), .optional("TokenCode"), .optional("SourceIdentity"), .optional("ProvidedContexts")],
        // AWS Identity and Access Management 2010-05-08
        "iam.ListAccessKeys": [.optional("UserName"), .optional("Marker"), .optional("MaxItems")],
        "iam.GetRole": [.required("RoleName")],
        "iam.GetUser": [.optional("UserName")],
        "iam.PutRolePolicy": [.required("RoleName"), .required("PolicyName"), .required("PolicyDocument")],
        "iam.CreateRole": [.optional("Path"), .required("RoleName"), .required("AssumeRolePolicyDocument"), .optional("Description"),
            .optional("MaxSessionDuration"), .optional("PermissionsBoundary"), .optional("Tags")],
        "iam.CreateUser": [.optional("Path"), .required("UserName"), .optional("PermissionsBoundary"), .optional("Tags")],
        "iam.PutUserPolicy": [.required("UserName"), .required("PolicyName"), .required("PolicyDocument")],
        "iam.CreateAccessKey": [.optional("UserName")],
        // Amazon Simple Notification Service 2010-03-31
        "sns.Publish": [.optional("TopicArn"), .optional("TargetArn"), .optional("PhoneNumber"), .required("Message"),
            .optional("Subject"), .optional("MessageStructure"), .optional("MessageAttributes"), .optional("MessageDeduplicationId"),
            .optional("MessageGroupId")],
        "sns.CreateTopic": [.required("Name"), .optional("Attributes"), .optional("Tags"), .optional("DataProtectionPolicy")],
        "sns.Subscribe": [.required("TopicArn"), .required("Protocol"), .optional("Endpoint"), .optional("Attributes"),
            .optional("ReturnSubscriptionArn")],
        // Amazon CloudWatch Logs 2014-03-28
        "logs.CreateLogGroup": [.required("logGroupName"), .optional("kmsKeyId"), .optional("tags"), .optional("logGroupClass"),
            .optional("deletionProtectionEnabled")],
        "logs.CreateLogStream": [.required("logGroupName"), .required("logStreamName")],
        "logs.PutLogEvents": [.required("logGroupName"), .required("logStreamName"), .required("logEvents"), .optional("sequenceToken"),
            .optional("entity")],
        "logs.GetLogEvents": [.optional("logGroupName"), .optional("logGroupIdentifier"), .required("logStreamName"),
            .optional("startTime"), .optional("endTime"), .optional("nextToken"), .optional("limit"), .optional("startFromHead"),
            .optional("unmask")],
        // Amazon Simple Systems Manager (SSM) 2014-11-06
        "ssm.StartAutomationExecution": [.required("DocumentName"), .optional("DocumentVersion"), .optional("Parameters"),
            .optional("ClientToken"), .optional("Mode"), .optional("TargetParameterName"), .optional("Targets"), .optional("TargetMaps"),
            .optional("MaxConcurrency"), .optional("MaxErrors"), .optional("TargetLocations"), .optional("Tags"),
            .optional("AlarmConfiguration"), .optional("TargetLocationsURL")],
    ]
}
