using Amazon.CDK;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.S3;
using Amazon.CDK.AWS.SNS;
using Amazon.CDK.AWS.SNS.Subscriptions;
using Amazon.CDK.AWS.SQS;

namespace ImagePipeline.Infra;

/// <summary>A stage's queues: its source queue, its dead-letter queue, and the parking queue behind that.</summary>
internal sealed record StageQueues(Queue Queue, Queue DeadLetters, Queue Parking);

/// <summary>
/// S3 → SNS → one SQS queue per stage. The originals bucket's <c>s3:ObjectCreated:*</c> events under <c>originals/</c>
/// reach a KMS-encrypted topic through the bucket's own <c>NotificationConfiguration</c> (no
/// <c>Custom::S3BucketNotifications</c> and no helper function), and the topic delivers them raw to the resize and
/// thumbnail queues, each with its dead-letter and parking queue.
/// </summary>
internal sealed class PipelineFanOut
{
    /// <summary>The events announced: every way an object is created (a presigned PUT is <c>ObjectCreated:Put</c>).</summary>
    public const string ObjectCreatedEvent = "s3:ObjectCreated:*";

    private readonly StackScope _scope;

    public PipelineFanOut(StackScope scope, PipelineStorage storage)
    {
        _scope = scope;

        // Who may publish: S3, for the originals bucket of this account only (confused deputy: another account's bucket
        // cannot use S3 to write into this topic). Both policies name the bucket by its ARN built from its name, not by a
        // reference: the bucket depends on them (below), since S3 checks when the notification is configured that it may
        // publish, and a reference back to the bucket would be a dependency cycle.
        var fromOriginals = new Dictionary<string, object>
        {
            ["StringEquals"] = new Dictionary<string, object> { ["aws:SourceAccount"] = Aws.ACCOUNT_ID },
            ["ArnLike"] = new Dictionary<string, object> { ["aws:SourceArn"] = storage.OriginalsArn },
        };

        // A customer-managed key: S3 cannot publish to a topic encrypted with the AWS-managed SNS key (its policy cannot
        // be changed), and the events would be dropped silently.
        TopicKey = new Key(scope.Stack, "UploadsTopicKey", new KeyProps
        {
            Description = "Encrypts the uploads topic; its policy lets S3 publish the originals bucket's events.",
            EnableKeyRotation = true,
            RemovalPolicy = scope.Removal,
        });
        _ = TopicKey.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "AllowS3ToPublishEncryptedEvents",
            Principals = [new ServicePrincipal("s3.amazonaws.com")],
            Actions = ["kms:GenerateDataKey*", "kms:Decrypt"],
            Resources = ["*"],
            Conditions = fromOriginals,
        }));

        Topic = new Topic(scope.Stack, "Uploads", new TopicProps { MasterKey = TopicKey, EnforceSSL = true });
        _ = Topic.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "AllowOriginalsBucketToPublish",
            Principals = [new ServicePrincipal("s3.amazonaws.com")],
            Actions = ["sns:Publish"],
            Resources = [Topic.TopicArn],
            Conditions = fromOriginals,
        }));

        NotifyOnUploads(storage.Originals);

        Resize = QueuesFor("ResizeQueue", FunctionSizing.ResizeTimeoutSeconds);
        Thumbnail = QueuesFor("ThumbnailQueue", FunctionSizing.ThumbnailTimeoutSeconds);
    }

    public Key TopicKey { get; }

    public Topic Topic { get; }

    public StageQueues Resize { get; }

    public StageQueues Thumbnail { get; }

    /// <summary>
    /// The notification on the bucket itself (the L1 escape hatch): aws-cdk-lib's <c>AddEventNotification</c> would add a
    /// <c>Custom::S3BucketNotifications</c> resource run by a Python function of the library's choosing.
    /// </summary>
    private void NotifyOnUploads(Bucket originals)
    {
        var bucket = (CfnBucket)originals.Node.DefaultChild!;
        bucket.NotificationConfiguration = new CfnBucket.NotificationConfigurationProperty
        {
            TopicConfigurations = new object[]
            {
                new CfnBucket.TopicConfigurationProperty
                {
                    Event = ObjectCreatedEvent,
                    Topic = Topic.TopicArn,
                    Filter = new CfnBucket.NotificationFilterProperty
                    {
                        S3Key = new CfnBucket.S3KeyFilterProperty
                        {
                            Rules = new object[] { new CfnBucket.FilterRuleProperty { Name = "prefix", Value = ImagePipelineStack.OriginalsPrefix } },
                        },
                    },
                },
            },
        };

        // S3 validates the destination when the configuration is written: the topic's policy and the key's policy must
        // let it publish by then. (The topic itself is already a dependency through the reference above.)
        var topicPolicy = (CfnResource)Topic.Node.FindChild("Policy").Node.DefaultChild!;
        bucket.AddDependency(topicPolicy);
        bucket.AddDependency((CfnResource)TopicKey.Node.DefaultChild!);
    }

    private StageQueues QueuesFor(string id, int functionTimeoutSeconds)
    {
        // Where the deadletter function's own failures end: nothing consumes it; its depth alarm calls an operator.
        var parking = new Queue(_scope.Stack, id + "Parking", new QueueProps
        {
            Encryption = QueueEncryption.SQS_MANAGED,
            EnforceSSL = true,
            RetentionPeriod = ImagePipelineStack.EventRetention,
            RemovalPolicy = _scope.Removal,
        });
        _scope.Nag.Add(parking, "AwsSolutions-SQS3",
            "The parking queue is the end of the dead-letter path (stage queue → DLQ → parking): nothing consumes it, its depth alarm does.");

        // Drained by the deadletter function, which records the stage failed/internal. Its visibility timeout covers
        // that function's timeout (Lambda refuses a shorter one), and what it cannot record after its receives parks.
        var dlq = new Queue(_scope.Stack, id + "Dlq", new QueueProps
        {
            Encryption = QueueEncryption.SQS_MANAGED,
            EnforceSSL = true,
            RetentionPeriod = ImagePipelineStack.EventRetention,
            VisibilityTimeout = Duration.Seconds(FunctionSizing.VisibilityTimeoutFactor * FunctionSizing.DeadLetterTimeoutSeconds),
            DeadLetterQueue = new DeadLetterQueue { Queue = parking, MaxReceiveCount = FunctionSizing.DeadLetterQueueMaxReceiveCount },
            RemovalPolicy = _scope.Removal,
        });
        var queue = new Queue(_scope.Stack, id, new QueueProps
        {
            Encryption = QueueEncryption.SQS_MANAGED,
            EnforceSSL = true,
            RetentionPeriod = ImagePipelineStack.EventRetention,
            VisibilityTimeout = Duration.Seconds(FunctionSizing.VisibilityTimeoutFactor * functionTimeoutSeconds),
            DeadLetterQueue = new DeadLetterQueue { Queue = dlq, MaxReceiveCount = FunctionSizing.MaxReceiveCount },
            RemovalPolicy = _scope.Removal,
        });
        // Raw delivery: the message body is the S3 event notification itself, as the stage handlers expect.
        Topic.AddSubscription(new SqsSubscription(queue, new SqsSubscriptionProps { RawMessageDelivery = true }));
        return new StageQueues(queue, dlq, parking);
    }
}
