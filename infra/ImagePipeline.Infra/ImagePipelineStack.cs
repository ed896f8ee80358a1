using Amazon.CDK;
using Amazon.CDK.AWS.Apigatewayv2;
using Amazon.CDK.AWS.CloudFront;
using Amazon.CDK.AWS.CloudFront.Origins;
using Amazon.CDK.AWS.CloudWatch;
using Amazon.CDK.AWS.DynamoDB;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.Lambda.EventSources;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AWS.S3;
using Amazon.CDK.AWS.S3.Deployment;
using Amazon.CDK.AWS.S3.Notifications;
using Amazon.CDK.AWS.SecretsManager;
using Amazon.CDK.AWS.SNS;
using Amazon.CDK.AWS.SNS.Subscriptions;
using Amazon.CDK.AWS.SQS;
using Amazon.CDK.AwsApigatewayv2Integrations;
using Constructs;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Services;
using DynamoAttribute = Amazon.CDK.AWS.DynamoDB.Attribute;
using Distribution = Amazon.CDK.AWS.CloudFront.Distribution;
using LambdaFunction = Amazon.CDK.AWS.Lambda.Function;
using LambdaFunctionProps = Amazon.CDK.AWS.Lambda.FunctionProps;
using CfnLambdaFunction = Amazon.CDK.AWS.Lambda.CfnFunction;
using LambdaHttpMethod = Amazon.CDK.AWS.Lambda.HttpMethod;

namespace ImagePipeline.Infra;

/// <summary>Props of <see cref="ImagePipelineStack"/>.</summary>
public sealed class ImagePipelineStackProps : StackProps
{
    public required StackSettings Settings { get; init; }

    /// <summary>The folder holding the published <c>bootstrap</c> (see <see cref="FunctionPackage.Resolve"/>).</summary>
    public required string FunctionPackageFolder { get; init; }

    /// <summary>The web page's files (src/ImagePipeline.Local/wwwroot).</summary>
    public required string WebRoot { get; init; }
}

/// <summary>
/// The whole pipeline in one stack: originals (versioned) and derived buckets, S3 → SNS → one SQS queue (with DLQ) per
/// stage, the resize, thumbnail, api and deadletter functions from one published bootstrap (the deadletter function
/// drains both DLQs into the catalog; what it cannot record parks in a parking queue), the DynamoDB table, the HTTP API,
/// the web page behind CloudFront, alarms and outputs. With <c>target=localstack</c> the API is a function URL and there
/// is no CloudFront (LocalStack's free edition has neither API Gateway v2 nor CloudFront).
/// </summary>
public sealed class ImagePipelineStack : Stack
{
    /// <summary>Key prefixes: the only places each function may read or write (see DESIGN.md, identifiers and keys).</summary>
    public const string OriginalsPrefix = "originals/";
    public const string RenditionsPrefix = "renditions/";
    public const string ThumbnailsPrefix = "thumbnails/";

    /// <summary>A generated cursor-signing key: 64 characters of [A-Za-z0-9] is valid base64 for 48 random bytes.</summary>
    public const int CursorKeyLength = 64;

    /// <summary>
    /// Retention of the source queues, dead-letter queues and parking queues: the longest an event may wait
    /// (<see cref="PipelineOptions.MaxEventAge"/>, 14 days, SQS's maximum). A standard queue counts it from the message's
    /// first enqueue, also after moves to a dead-letter queue; SQS's default of 4 days would lose events the catalog is
    /// still waiting for (a pending record is kept that long plus a day).
    /// </summary>
    public static readonly Duration EventRetention = Duration.Days(PipelineOptions.MaxEventAge.TotalDays);

    /// <summary>How long noncurrent versions of originals are kept: a deleted original can be restored for this long.</summary>
    public const int NoncurrentOriginalDays = 7;

    /// <summary>
    /// The deadletter function's metric (namespace <c>ImagePipeline</c>, dimension <c>Function</c> = its handler name), as
    /// src/ImagePipeline.Functions/Observability/MetricsWriter.cs writes it: one count per stage recorded failed/internal
    /// from a dead-lettered event.
    /// </summary>
    public const string MetricsNamespace = "ImagePipeline";
    public const string DeadLettersRecordedMetric = "DeadLettersRecorded";

    /// <summary>The deadletter function's handler (one of <see cref="PipelineEnvironment.Handlers"/>), also its metric dimension.</summary>
    public const string DeadLetterHandler = "deadletter";

    /// <summary>How long every function's logs are kept.</summary>
    public const RetentionDays LogRetentionDays = RetentionDays.ONE_MONTH;

    private const int LogRetentionInDays = 30;
    private readonly HashSet<string> _ourFunctions = new(StringComparer.Ordinal);
    private readonly StackSettings _settings;
    private readonly RemovalPolicy _removal;
    private readonly NagSuppressions _nag = new();

    public ImagePipelineStack(Construct scope, string id, ImagePipelineStackProps props)
        : base(scope, id, props)
    {
        ArgumentNullException.ThrowIfNull(props);
        _settings = props.Settings;
        _removal = _settings.Retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

        RequireApiConsent(_settings);

        // Access logs through a bucket policy rather than the legacy log-delivery ACL (ACLs are off on new buckets).
        Node.SetContext("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", true);

        var accessLogs = NewBucket("AccessLogs", accessLogs: null, expireAfter: Duration.Days(90));
        _nag.Add(accessLogs, "AwsSolutions-S1", "This is the server access log bucket; logging its own writes would loop.");

        var isAws = _settings.Target == DeploymentTarget.Aws;
        var web = isAws ? NewWebHosting(accessLogs) : null;
        var browserOrigins = (web is null ? _settings.DevOrigins : [web.Origin, .. _settings.DevOrigins]).ToArray();

        // Versioned: a role that may delete an original (the stages' orphan clean-up, the API's DELETE) only ever removes
        // its current version; the bytes stay restorable for NoncurrentOriginalDays. No role gets s3:DeleteObjectVersion.
        var originals = NewBucket("Originals", accessLogs, ObjectExpiry(), browserOrigins, keepNoncurrentDays: NoncurrentOriginalDays);
        var derived = NewBucket("Derived", accessLogs, ObjectExpiry());
        RequireWriteOnceOriginals(originals);

        var table = NewTable();
        var fanOut = NewFanOut(originals);

        var package = Code.FromAsset(props.FunctionPackageFolder);
        var commonEnvironment = new Dictionary<string, string>
        {
            [PipelineEnvironment.OriginalsBucket] = originals.BucketName,
            [PipelineEnvironment.DerivedBucket] = derived.BucketName,
            [PipelineEnvironment.Table] = table.TableName,

            // glibc reads this at process start: two malloc arenas instead of eight per core cut the host's peak RSS by
            // a third in the pipeline benchmark (see ProcessMemory in Imaging), at the same throughput.
            ["MALLOC_ARENA_MAX"] = "2",
        };
        if (!isAws)
        {
            commonEnvironment[PipelineEnvironment.S3PathStyle] = "true";
        }

        var stageEnvironment = new Dictionary<string, string>(commonEnvironment)
        {
            [PipelineEnvironment.MaxReceives] = FunctionSizing.MaxReceiveCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

        var resize = NewFunction("Resize", "resize", package, FunctionSizing.ResizeMemoryMb, FunctionSizing.ResizeTimeoutSeconds, stageEnvironment);
        var thumbnail = NewFunction("Thumbnail", "thumbnail", package, FunctionSizing.ThumbnailMemoryMb, FunctionSizing.ThumbnailTimeoutSeconds, stageEnvironment);

        // Records failed/internal for events a stage could not finish on any receive (crash, OOM kill, timeout): it tells
        // the stage by each record's eventSourceARN. The bucket names ride along with the common environment (the function
        // host reads them at start-up); the role reaches no bucket.
        var deadLetterEnvironment = new Dictionary<string, string>(stageEnvironment)
        {
            [PipelineEnvironment.ResizeDeadLetterQueueArn] = fanOut.Resize.DeadLetters.QueueArn,
            [PipelineEnvironment.ThumbnailDeadLetterQueueArn] = fanOut.Thumbnail.DeadLetters.QueueArn,
        };
        var deadLetter = NewFunction("DeadLetter", DeadLetterHandler, package, FunctionSizing.DeadLetterMemoryMb, FunctionSizing.DeadLetterTimeoutSeconds, deadLetterEnvironment);

        var cursorKey = new Secret(this, "CursorKey", new SecretProps
        {
            Description = "Signs the API's list cursors (IMAGEPIPELINE_CURSOR_KEY); generated, never in the template.",
            GenerateSecretString = new SecretStringGenerator { PasswordLength = CursorKeyLength, ExcludePunctuation = true, IncludeSpace = false },
            RemovalPolicy = _removal,
        });
        _nag.Add(cursorKey, "AwsSolutions-SMG4",
            "The cursor key is resolved into the api function at deploy time (dynamic reference); rotating it means a redeploy, and " +
            "only invalidates list cursors in flight, so there is no rotation schedule.");

        var apiEnvironment = new Dictionary<string, string>(commonEnvironment)
        {
            // A CloudFormation dynamic reference: the template holds the secret's ARN, CloudFormation the value.
            [PipelineEnvironment.CursorKey] = cursorKey.SecretValue.UnsafeUnwrap(),
            // Reprocessing sends the original's event to the affected stage's queue only (not through SNS).
            [PipelineEnvironment.ResizeQueueUrl] = fanOut.Resize.Queue.QueueUrl,
            [PipelineEnvironment.ThumbnailQueueUrl] = fanOut.Thumbnail.Queue.QueueUrl,
        };
        if (_settings.ExposeGps)
        {
            apiEnvironment[PipelineEnvironment.ExposeGps] = "true";
        }

        var api = NewFunction("Api", "api", package, FunctionSizing.ApiMemoryMb, FunctionSizing.ApiTimeoutSeconds, apiEnvironment);

        GrantStage(resize, originals, derived, RenditionsPrefix, table);
        GrantStage(thumbnail, originals, derived, ThumbnailsPrefix, table);
        GrantApi(api, originals, derived, table, [fanOut.Resize.Queue, fanOut.Thumbnail.Queue]);
        GrantDeadLetter(deadLetter, table);

        Subscribe(resize, fanOut.Resize.Queue, FunctionSizing.ResizeBatchSize, FunctionSizing.StageMaxConcurrency);
        Subscribe(thumbnail, fanOut.Thumbnail.Queue, FunctionSizing.ThumbnailBatchSize, FunctionSizing.StageMaxConcurrency);
        Subscribe(deadLetter, fanOut.Resize.DeadLetters, FunctionSizing.DeadLetterBatchSize, FunctionSizing.DeadLetterMaxConcurrency);
        Subscribe(deadLetter, fanOut.Thumbnail.DeadLetters, FunctionSizing.DeadLetterBatchSize, FunctionSizing.DeadLetterMaxConcurrency);

        var apiUrl = isAws ? NewHttpApi(api, browserOrigins) : NewFunctionUrl(api, browserOrigins);
        if (web is not null)
        {
            DeployWebPage(web, props.WebRoot, apiUrl);
        }

        NewAlarms([resize, thumbnail, api, deadLetter], [fanOut.Resize.Parking, fanOut.Thumbnail.Parking]);

        _ = new CfnOutput(this, "ApiUrl", new CfnOutputProps { Value = apiUrl, Description = "The REST API's root (GET /v1/health)." });
        if (web is not null)
        {
            _ = new CfnOutput(this, "WebUrl", new CfnOutputProps { Value = web.Origin, Description = "The web page." });
        }

        _ = new CfnOutput(this, "OriginalsBucketName", new CfnOutputProps { Value = originals.BucketName, Description = "Uploads: originals/{imageId}." });
        _ = new CfnOutput(this, "DerivedBucketName", new CfnOutputProps { Value = derived.BucketName, Description = "Renditions and thumbnails." });
        _ = new CfnOutput(this, "TableName", new CfnOutputProps { Value = table.TableName, Description = "The images catalog." });

        CoverHelperFunctions();
        _nag.Apply();
    }

    /// <summary>Until authentication lands, the API is public: synthesis needs the operator's explicit consent.</summary>
    /// <exception cref="InvalidOperationException">No <c>-c anonymousApi=true</c>.</exception>
    public static void RequireApiConsent(StackSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!settings.AnonymousApi)
        {
            throw new InvalidOperationException(
                "Refusing to synthesize a public API without authentication: the API has no authorizer yet, so anyone who finds " +
                "its URL can upload, list and delete images. Pass `-c anonymousApi=true` to accept that (for a demo or a test " +
                "account), or wait for the authentication issue (Cognito JWT authorizer).");
        }
    }

    private Duration? ObjectExpiry() => _settings.ObjectExpiryDays is { } days ? Duration.Days(days) : null;

    private Bucket NewBucket(string id, Bucket? accessLogs, Duration? expireAfter, IReadOnlyList<string>? putOrigins = null, int? keepNoncurrentDays = null)
    {
        var rules = new List<ILifecycleRule>
        {
            new LifecycleRule { Id = "AbortIncompleteMultipartUploads", AbortIncompleteMultipartUploadAfter = Duration.Days(1) },
        };
        if (expireAfter is not null)
        {
            rules.Add(new LifecycleRule { Id = "Expire", Expiration = expireAfter });
        }

        if (keepNoncurrentDays is { } days)
        {
            // A deleted or expired object becomes a noncurrent version behind a delete marker; both go after the window.
            rules.Add(new LifecycleRule
            {
                Id = "ExpireNoncurrentVersions",
                NoncurrentVersionExpiration = Duration.Days(days),
                ExpiredObjectDeleteMarker = true,
            });
        }

        var bucket = new Bucket(this, id, new BucketProps
        {
            BlockPublicAccess = BlockPublicAccess.BLOCK_ALL,
            Encryption = BucketEncryption.S3_MANAGED,
            EnforceSSL = true,
            MinimumTLSVersion = 1.2,
            ObjectOwnership = ObjectOwnership.BUCKET_OWNER_ENFORCED,
            Versioned = keepNoncurrentDays is not null,
            LifecycleRules = [.. rules],
            ServerAccessLogsBucket = accessLogs,
            ServerAccessLogsPrefix = accessLogs is null ? null : $"{id.ToLowerInvariant()}/",
            Cors = putOrigins is { Count: > 0 }
                ? [new CorsRule
                {
                    // Browser uploads PUT to presigned URLs with exactly the headers the API returned.
                    AllowedMethods = [HttpMethods.PUT],
                    AllowedOrigins = [.. putOrigins],
                    AllowedHeaders = ["content-type", "if-none-match"],
                    ExposedHeaders = ["etag"],
                    MaxAge = 3600,
                }]
                : null,
            RemovalPolicy = _removal,
            AutoDeleteObjects = !_settings.Retain,
        });
        return bucket;
    }

    private static void RequireWriteOnceOriginals(Bucket originals)
    {
        // Write-once originals: every write under originals/ must be conditional on the key not existing
        // (If-None-Match: *), whoever signs it. Multipart uploads cannot carry the header and are refused too: uploads
        // are single presigned PUTs of at most 50 MiB. The bucket is versioned: If-None-Match looks at the current version
        // only, so nothing overwrites a stored original, and restoring a deleted one means removing its delete marker
        // (DeleteObject with the marker's version id, an operator's action), which writes nothing and keeps the original's
        // version and ETag, the ones the catalog records.
        _ = originals.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "RequireIfNoneMatchOnOriginals",
            Effect = Effect.DENY,
            Principals = [new AnyPrincipal()],
            Actions = ["s3:PutObject"],
            Resources = [originals.ArnForObjects(OriginalsPrefix + "*")],
            Conditions = new Dictionary<string, object>
            {
                ["Null"] = new Dictionary<string, object> { ["s3:if-none-match"] = "true" },
            },
        }));
    }

    private Table NewTable()
    {
        static DynamoAttribute Key(KeyAttribute key) => new()
        {
            Name = key.Name,
            Type = key.Type == KeyAttributeType.Number ? AttributeType.NUMBER : AttributeType.STRING,
        };

        var table = new Table(this, "Images", new TableProps
        {
            PartitionKey = Key(CatalogTableSchema.PartitionKey),
            BillingMode = BillingMode.PAY_PER_REQUEST,
            PointInTimeRecovery = true,
            DeletionProtection = _settings.DeletionProtection,
            TimeToLiveAttribute = CatalogTableSchema.TimeToLiveAttribute,
            RemovalPolicy = _removal,
        });
        foreach (var index in CatalogTableSchema.GlobalIndexes)
        {
            table.AddGlobalSecondaryIndex(new GlobalSecondaryIndexProps
            {
                IndexName = index.Name,
                PartitionKey = Key(index.PartitionKey),
                SortKey = Key(index.SortKey),
                ProjectionType = ProjectionType.ALL,
            });
        }

        return table;
    }

    /// <summary>A stage's queues: its source queue, its dead-letter queue, and the parking queue behind that.</summary>
    private sealed record StageQueues(Queue Queue, Queue DeadLetters, Queue Parking);

    private sealed record FanOut(StageQueues Resize, StageQueues Thumbnail);

    private FanOut NewFanOut(Bucket originals)
    {
        // A customer-managed key: S3 cannot publish to a topic encrypted with the AWS-managed SNS key (its policy cannot
        // be changed), and the events would be dropped silently.
        var topicKey = new Key(this, "UploadsTopicKey", new KeyProps
        {
            Description = "Encrypts the uploads topic; its policy lets S3 publish the originals bucket's events.",
            EnableKeyRotation = true,
            RemovalPolicy = _removal,
        });
        _ = topicKey.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "AllowS3ToPublishEncryptedEvents",
            Principals = [new ServicePrincipal("s3.amazonaws.com")],
            Actions = ["kms:GenerateDataKey*", "kms:Decrypt"],
            Resources = ["*"],
            Conditions = new Dictionary<string, object>
            {
                ["StringEquals"] = new Dictionary<string, object> { ["aws:SourceAccount"] = Account },
                ["ArnLike"] = new Dictionary<string, object> { ["aws:SourceArn"] = originals.BucketArn },
            },
        }));

        var topic = new Topic(this, "Uploads", new TopicProps { MasterKey = topicKey, EnforceSSL = true });
        originals.AddEventNotification(EventType.OBJECT_CREATED, new SnsDestination(topic), new NotificationKeyFilter { Prefix = OriginalsPrefix });

        StageQueues QueuesFor(string id, int functionTimeoutSeconds)
        {
            // Where the deadletter function's own failures end: nothing consumes it; its depth alarm calls an operator.
            var parking = new Queue(this, id + "Parking", new QueueProps
            {
                Encryption = QueueEncryption.SQS_MANAGED,
                EnforceSSL = true,
                RetentionPeriod = EventRetention,
                RemovalPolicy = _removal,
            });
            _nag.Add(parking, "AwsSolutions-SQS3",
                "The parking queue is the end of the dead-letter path (stage queue → DLQ → parking): nothing consumes it, its depth alarm does.");

            // Drained by the deadletter function, which records the stage failed/internal. Its visibility timeout covers
            // that function's timeout (Lambda refuses a shorter one), and what it cannot record after its receives parks.
            var dlq = new Queue(this, id + "Dlq", new QueueProps
            {
                Encryption = QueueEncryption.SQS_MANAGED,
                EnforceSSL = true,
                RetentionPeriod = EventRetention,
                VisibilityTimeout = Duration.Seconds(FunctionSizing.VisibilityTimeoutFactor * FunctionSizing.DeadLetterTimeoutSeconds),
                DeadLetterQueue = new DeadLetterQueue { Queue = parking, MaxReceiveCount = FunctionSizing.DeadLetterQueueMaxReceiveCount },
                RemovalPolicy = _removal,
            });
            var queue = new Queue(this, id, new QueueProps
            {
                Encryption = QueueEncryption.SQS_MANAGED,
                EnforceSSL = true,
                RetentionPeriod = EventRetention,
                VisibilityTimeout = Duration.Seconds(FunctionSizing.VisibilityTimeoutFactor * functionTimeoutSeconds),
                DeadLetterQueue = new DeadLetterQueue { Queue = dlq, MaxReceiveCount = FunctionSizing.MaxReceiveCount },
                RemovalPolicy = _removal,
            });
            // Raw delivery: the message body is the S3 event notification itself, as the stage handlers expect.
            topic.AddSubscription(new SqsSubscription(queue, new SqsSubscriptionProps { RawMessageDelivery = true }));
            return new StageQueues(queue, dlq, parking);
        }

        return new FanOut(
            QueuesFor("ResizeQueue", FunctionSizing.ResizeTimeoutSeconds),
            QueuesFor("ThumbnailQueue", FunctionSizing.ThumbnailTimeoutSeconds));
    }

    private LambdaFunction NewFunction(string id, string handler, Code code, int memoryMb, int timeoutSeconds, Dictionary<string, string> environment)
    {
        var logGroup = new LogGroup(this, id + "Logs", new LogGroupProps { Retention = LogRetentionDays, RemovalPolicy = _removal });

        // Its own role without AWSLambdaBasicExecutionRole (logs:CreateLogGroup on every group): it writes to its group only.
        var role = new Role(this, id + "Role", new RoleProps
        {
            AssumedBy = new ServicePrincipal("lambda.amazonaws.com"),
            Description = $"The {handler} function.",
        });
        _ = logGroup.GrantWrite(role);

        var function = new LambdaFunction(this, id, new LambdaFunctionProps
        {
            Runtime = Runtime.PROVIDED_AL2023,
            Architecture = Architecture.X86_64,
            // The bootstrap reads _HANDLER, which Lambda sets from this property.
            Handler = handler,
            Code = code,
            MemorySize = memoryMb,
            Timeout = Duration.Seconds(timeoutSeconds),
            Environment = environment,
            Role = role,
            LogGroup = logGroup,
            Description = $"ImagePipeline {handler} (bootstrap, provided.al2023).",
        });
        _ = _ourFunctions.Add(function.Node.DefaultChild!.Node.Path);
        return function;
    }

    private static string Objects(Bucket bucket, string prefix) => bucket.ArnForObjects(prefix + "*");

    // Object permissions are explicit action lists, never aws-cdk-lib's grants: grantDelete and grantReadWrite emit
    // s3:DeleteObject*, which includes s3:DeleteObjectVersion and would let a role erase an original's every version.
    // With s3:DeleteObject alone, a delete on the versioned originals bucket only adds a delete marker.
    private void GrantStage(LambdaFunction function, Bucket originals, Bucket derived, string outputPrefix, Table table)
    {
        Allow(function, "ReadOriginals", ["s3:GetObject"], [Objects(originals, OriginalsPrefix)]);
        // An event for an unknown or deleted image removes the original it points at (DESIGN.md, write rules): its
        // current version only (a delete marker); the bytes stay restorable for NoncurrentOriginalDays.
        Allow(function, "DeleteOrphanOriginals", ["s3:DeleteObject"], [Objects(originals, OriginalsPrefix)]);
        // Without ListBucket S3 answers 403 instead of 404 for a missing key, and an original deleted before its event
        // arrives would look like a permission failure (retried) instead of a missing object.
        Allow(function, "DistinguishMissingOriginals", ["s3:ListBucket"], [originals.BucketArn]);
        Allow(function, "WriteOwnOutputs", ["s3:PutObject", "s3:DeleteObject"], [Objects(derived, outputPrefix)]);
        Allow(function, "RecordStage", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [table.TableArn]);
        _nag.Add(function.Role!.Node.FindChild("DefaultPolicy"), "AwsSolutions-IAM5",
            "Object permissions are scoped to this stage's key prefixes (originals/ to read, its own output prefix to write); keys are per image.",
            [$"/^Resource::<Originals[0-9A-F]{{8}}\\.Arn>\\/{OriginalsPrefix[..^1]}\\/\\*$/", $"/^Resource::<Derived[0-9A-F]{{8}}\\.Arn>\\/{outputPrefix[..^1]}\\/\\*$/"]);
    }

    private void GrantApi(LambdaFunction function, Bucket originals, Bucket derived, Table table, Queue[] stageQueues)
    {
        // Presigning a PUT needs the signer's own permission to put.
        Allow(function, "PresignUploads", ["s3:PutObject"], [Objects(originals, OriginalsPrefix)]);
        Allow(function, "ReadImages", ["s3:GetObject"],
            [Objects(originals, OriginalsPrefix), Objects(derived, RenditionsPrefix), Objects(derived, ThumbnailsPrefix)]);
        Allow(function, "DeleteImages", ["s3:DeleteObject"],
            [Objects(originals, OriginalsPrefix), Objects(derived, RenditionsPrefix), Objects(derived, ThumbnailsPrefix)]);
        Allow(function, "DistinguishMissingObjects", ["s3:ListBucket"], [originals.BucketArn, derived.BucketArn]);
        Allow(function, "Catalog", ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"],
            [table.TableArn, .. CatalogTableSchema.GlobalIndexes.Select(i => $"{table.TableArn}/index/{i.Name}")]);
        // Reprocessing queues the original's event on the affected stage's source queue: SendMessage only (the URL comes
        // from the environment), on the two source queues, never their dead-letter queues. SSE-SQS needs no KMS grant.
        Allow(function, "ReprocessStages", ["sqs:SendMessage"], [.. stageQueues.Select(q => q.QueueArn)]);
        _nag.Add(function.Role!.Node.FindChild("DefaultPolicy"), "AwsSolutions-IAM5",
            "Object permissions are scoped to the originals/, renditions/ and thumbnails/ key prefixes; keys are per image.",
            [
                $"/^Resource::<Originals[0-9A-F]{{8}}\\.Arn>\\/originals\\/\\*$/",
                $"/^Resource::<Derived[0-9A-F]{{8}}\\.Arn>\\/(renditions|thumbnails)\\/\\*$/",
            ]);
    }

    /// <summary>
    /// The deadletter function records a stage failed/internal with one conditional update; it reads no object and
    /// deletes nothing. (Consuming the dead-letter queues is granted by their event sources.)
    /// </summary>
    private static void GrantDeadLetter(LambdaFunction function, Table table) =>
        Allow(function, "RecordDeadLetters", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [table.TableArn]);

    private static void Allow(LambdaFunction function, string sid, string[] actions, string[] resources) =>
        function.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps { Sid = sid, Actions = actions, Resources = resources }));

    private static void Subscribe(LambdaFunction function, Queue queue, int batchSize, int maxConcurrency) =>
        function.AddEventSource(new SqsEventSource(queue, new SqsEventSourceProps
        {
            BatchSize = batchSize,
            // Only the failed messages of a batch are retried; the handlers report them individually.
            ReportBatchItemFailures = true,
            MaxConcurrency = maxConcurrency,
        }));

    private string NewHttpApi(LambdaFunction function, string[] origins)
    {
        var api = new HttpApi(this, "HttpApi", new HttpApiProps
        {
            Description = "ImagePipeline REST API v1.",
            DefaultIntegration = new HttpLambdaIntegration("ApiIntegration", function, new HttpLambdaIntegrationProps
            {
                PayloadFormatVersion = PayloadFormatVersion.VERSION_2_0,
            }),
            CorsPreflight = new CorsPreflightOptions
            {
                AllowOrigins = origins,
                AllowMethods = [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.DELETE],
                AllowHeaders = ["content-type"],
                MaxAge = Duration.Hours(1),
            },
            CreateDefaultStage = false,
        });
        var stage = new HttpStage(this, "HttpApiStage", new HttpStageProps
        {
            HttpApi = api,
            StageName = "$default",
            AutoDeploy = true,
            Throttle = new ThrottleSettings { RateLimit = FunctionSizing.ApiRateLimit, BurstLimit = FunctionSizing.ApiBurstLimit },
        });

        var accessLog = new LogGroup(this, "HttpApiAccessLogs", new LogGroupProps { Retention = LogRetentionDays, RemovalPolicy = _removal });
        ((CfnStage)stage.Node.DefaultChild!).AccessLogSettings = new CfnStage.AccessLogSettingsProperty
        {
            DestinationArn = accessLog.LogGroupArn,
            Format = "{\"requestId\":\"$context.requestId\",\"ip\":\"$context.identity.sourceIp\",\"time\":\"$context.requestTime\"," +
                "\"method\":\"$context.httpMethod\",\"path\":\"$context.path\",\"status\":\"$context.status\"," +
                "\"latencyMs\":\"$context.responseLatency\",\"bytes\":\"$context.responseLength\",\"error\":\"$context.integrationErrorMessage\"}",
        };

        _nag.Add(api, "AwsSolutions-APIG4",
            "No authorizer until the authentication issue lands; synthesis requires -c anonymousApi=true to accept that.", applyToChildren: true);
        return api.ApiEndpoint;
    }

    private string NewFunctionUrl(LambdaFunction function, string[] origins)
    {
        var url = function.AddFunctionUrl(new FunctionUrlOptions
        {
            // LocalStack: no API Gateway v2; a function URL delivers the same payload (HTTP API v2 format).
            AuthType = FunctionUrlAuthType.NONE,
            Cors = origins.Length == 0 ? null : new FunctionUrlCorsOptions
            {
                AllowedOrigins = origins,
                AllowedMethods = [LambdaHttpMethod.GET, LambdaHttpMethod.POST, LambdaHttpMethod.DELETE],
                AllowedHeaders = ["content-type"],
                MaxAge = Duration.Hours(1),
            },
        });
        return url.Url;
    }

    private sealed record WebHosting(Bucket Bucket, Distribution Distribution, string Origin);

    private WebHosting NewWebHosting(Bucket accessLogs)
    {
        var bucket = NewBucket("Web", accessLogs, expireAfter: null);

        // The page's own scripts and styles only. Images and uploads go to presigned S3 URLs and the API is on
        // execute-api: both are named by wildcard because naming the exact hosts would make the distribution depend on
        // the API and the buckets, whose CORS rules depend on the distribution's domain.
        var s3Hosts = $"https://*.s3.{Aws.REGION}.{Aws.URL_SUFFIX} https://*.s3.{Aws.URL_SUFFIX}";
        var csp = $"default-src 'self'; img-src 'self' blob: data: {s3Hosts}; connect-src 'self' https://*.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX} {s3Hosts}; " +
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";
        var headers = new ResponseHeadersPolicy(this, "WebHeaders", new ResponseHeadersPolicyProps
        {
            Comment = "ImagePipeline web page security headers.",
            SecurityHeadersBehavior = new ResponseSecurityHeadersBehavior
            {
                ContentSecurityPolicy = new ResponseHeadersContentSecurityPolicy { ContentSecurityPolicy = csp, Override = true },
                ContentTypeOptions = new ResponseHeadersContentTypeOptions { Override = true },
                FrameOptions = new ResponseHeadersFrameOptions { FrameOption = HeadersFrameOption.DENY, Override = true },
                ReferrerPolicy = new ResponseHeadersReferrerPolicy { ReferrerPolicy = HeadersReferrerPolicy.NO_REFERRER, Override = true },
                StrictTransportSecurity = new ResponseHeadersStrictTransportSecurity
                {
                    AccessControlMaxAge = Duration.Days(365),
                    IncludeSubdomains = true,
                    Override = true,
                },
            },
        });

        var distribution = new Distribution(this, "WebDistribution", new DistributionProps
        {
            Comment = "ImagePipeline web page.",
            DefaultBehavior = new BehaviorOptions
            {
                Origin = S3BucketOrigin.WithOriginAccessControl(bucket),
                ViewerProtocolPolicy = ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                ResponseHeadersPolicy = headers,
                CachePolicy = CachePolicy.CACHING_OPTIMIZED,
            },
            DefaultRootObject = "index.html",
            PriceClass = PriceClass.PRICE_CLASS_100,
            HttpVersion = HttpVersion.HTTP2_AND_3,
        });
        _nag.Add(distribution, "AwsSolutions-CFR1", "A public demo page: no geographic restriction is intended.");
        _nag.Add(distribution, "AwsSolutions-CFR2", "Static files only; the API has its own throttling. WAF is left to the operator (it costs per month).");
        _nag.Add(distribution, "AwsSolutions-CFR3",
            "CloudFront standard logs need an ACL-enabled bucket; the web bucket's S3 access logs record what the distribution fetches.");
        _nag.Add(distribution, "AwsSolutions-CFR4",
            "The default *.cloudfront.net certificate fixes the TLS policy; a custom domain with its own certificate sets TLSv1.2_2021.");

        return new WebHosting(bucket, distribution, $"https://{distribution.DistributionDomainName}");
    }

    private void DeployWebPage(WebHosting web, string webRoot, string apiUrl)
    {
        var deploymentLogs = new LogGroup(this, "WebDeploymentLogs", new LogGroupProps { Retention = LogRetentionDays, RemovalPolicy = RemovalPolicy.DESTROY });
        _ = new BucketDeployment(this, "WebContent", new BucketDeploymentProps
        {
            Sources =
            [
                Source.Asset(webRoot, new Amazon.CDK.AWS.S3.Assets.AssetOptions { Exclude = ["config.json"] }),
                // The page reads config.json beside it to find the API (src/ImagePipeline.Local/wwwroot/js/api.js).
                Source.JsonData("config.json", new Dictionary<string, object> { ["apiBaseUrl"] = apiUrl }),
            ],
            DestinationBucket = web.Bucket,
            Distribution = web.Distribution,
            DistributionPaths = ["/*"],
            LogGroup = deploymentLogs,
            MemoryLimit = 256,
        });
    }

    private void NewAlarms(LambdaFunction[] functions, Queue[] parkingQueues)
    {
        // The dead-letter queues are drained by the deadletter function, so their depth means nothing; what it could not
        // record waits in the parking queues.
        foreach (var parking in parkingQueues)
        {
            _ = parking.MetricApproximateNumberOfMessagesVisible(new Amazon.CDK.AWS.CloudWatch.MetricOptions { Period = Duration.Minutes(1) })
                .CreateAlarm(this, parking.Node.Id + "Depth", new CreateAlarmOptions
                {
                    AlarmDescription = "Messages in a parking queue: the deadletter function could not record a dead-lettered event " +
                        "after its receives; the image may still show processing. Inspect the message and its logs.",
                    Threshold = 0,
                    ComparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
                    EvaluationPeriods = 1,
                    TreatMissingData = TreatMissingData.NOT_BREACHING,
                });
        }

        // The deadletter function's EMF metric: a stage crashed, was killed or timed out on every receive of an event.
        _ = new Metric(new MetricProps
        {
            Namespace = MetricsNamespace,
            MetricName = DeadLettersRecordedMetric,
            DimensionsMap = new Dictionary<string, string> { ["Function"] = DeadLetterHandler },
            Statistic = "Sum",
            Period = Duration.Minutes(5),
        }).CreateAlarm(this, "DeadLettersRecorded", new CreateAlarmOptions
        {
            AlarmDescription = "The deadletter function recorded a stage failed/internal: the stage crashed, ran out of memory or " +
                "timed out on every receive of an image's event.",
            Threshold = 1,
            ComparisonOperator = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            EvaluationPeriods = 1,
            TreatMissingData = TreatMissingData.NOT_BREACHING,
        });

        foreach (var function in functions)
        {
            var options = new Amazon.CDK.AWS.CloudWatch.MetricOptions { Period = Duration.Minutes(5), Statistic = "Sum" };
            _ = function.MetricErrors(options).CreateAlarm(this, function.Node.Id + "Errors", new CreateAlarmOptions
            {
                AlarmDescription = $"The {function.Node.Id} function failed invocations (crashes or timeouts, not image errors).",
                Threshold = 0,
                ComparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
                EvaluationPeriods = 1,
                TreatMissingData = TreatMissingData.NOT_BREACHING,
            });
            _ = function.MetricThrottles(options).CreateAlarm(this, function.Node.Id + "Throttles", new CreateAlarmOptions
            {
                AlarmDescription = $"The {function.Node.Id} function was throttled (account or reserved concurrency reached).",
                Threshold = 0,
                ComparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
                EvaluationPeriods = 1,
                TreatMissingData = TreatMissingData.NOT_BREACHING,
            });
        }
    }

    /// <summary>
    /// aws-cdk-lib adds its own functions (S3 notifications, auto-delete, the web deployment) whose runtime and roles it
    /// chooses. Each gets a log group with retention, created before any custom resource invokes it (else Lambda creates
    /// one that never expires), and the cdk-nag findings on what we cannot change are suppressed with the reason.
    /// </summary>
    private void CoverHelperFunctions()
    {
        var resources = Node.FindAll().OfType<CfnResource>().ToList();
        var customResources = resources.Where(r => r.CfnResourceType.StartsWith("Custom::", StringComparison.Ordinal)
            || r.CfnResourceType == "AWS::CloudFormation::CustomResource").ToList();

        var index = 0;
        foreach (var helper in resources.Where(r => r.CfnResourceType == "AWS::Lambda::Function" && !_ourFunctions.Contains(r.Node.Path)))
        {
            // The web deployment's function takes a log group as a property; the others cannot.
            if (helper is not CfnLambdaFunction { LoggingConfig: not null })
            {
                var logGroup = new CfnLogGroup(this, $"HelperLogs{index++}", new CfnLogGroupProps
                {
                    LogGroupName = $"/aws/lambda/{helper.Ref}",
                    RetentionInDays = LogRetentionInDays,
                });
                foreach (var custom in customResources)
                {
                    custom.AddDependency(logGroup);
                }
            }

            _nag.Add(helper, "AwsSolutions-L1", "A function of aws-cdk-lib itself (custom resource handler); its runtime is chosen by the library.");
            if (helper.Node.Scope is IConstruct owner)
            {
                _nag.Add(owner, "AwsSolutions-IAM4",
                    "The role of an aws-cdk-lib custom resource handler; the library attaches the basic execution policy.",
                    ["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"], applyToChildren: true);
                _nag.Add(owner, "AwsSolutions-IAM5",
                    "The policy of an aws-cdk-lib custom resource handler: what it needs to configure bucket notifications, copy the " +
                    "web page from the asset bucket or empty a bucket; the library scopes it, the stack cannot.",
                    appliesTo: null, applyToChildren: true);
            }
        }
    }
}
