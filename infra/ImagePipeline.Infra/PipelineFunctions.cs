using System.Globalization;
using Amazon.CDK;
using Amazon.CDK.AWS.DynamoDB;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.Lambda.EventSources;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AWS.S3;
using Amazon.CDK.AWS.SecretsManager;
using Amazon.CDK.AWS.SQS;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Services;
using LambdaFunction = Amazon.CDK.AWS.Lambda.Function;
using LambdaFunctionProps = Amazon.CDK.AWS.Lambda.FunctionProps;

namespace ImagePipeline.Infra;

/// <summary>
/// The four functions (resize, thumbnail, api, deadletter) from the one published bootstrap on <c>provided.al2023</c>:
/// their environment, their own roles with exact statements, their log groups and their queue subscriptions.
/// </summary>
internal sealed class PipelineFunctions
{
    private readonly StackScope _scope;
    private readonly List<LambdaFunction> _all = [];

    public PipelineFunctions(StackScope scope, PipelineStorage storage, PipelineFanOut fanOut, string packageFolder)
    {
        _scope = scope;
        var package = Code.FromAsset(packageFolder);
        var commonEnvironment = new Dictionary<string, string>
        {
            [PipelineEnvironment.OriginalsBucket] = storage.Originals.BucketName,
            [PipelineEnvironment.DerivedBucket] = storage.Derived.BucketName,
            [PipelineEnvironment.Table] = storage.Table.TableName,

            // glibc reads this at process start: two malloc arenas instead of eight per core cut the host's peak RSS by
            // a third in the pipeline benchmark (see ProcessMemory in Imaging), at the same throughput.
            ["MALLOC_ARENA_MAX"] = "2",
        };
        if (!scope.IsAws)
        {
            commonEnvironment[PipelineEnvironment.S3PathStyle] = "true";
        }

        var stageEnvironment = new Dictionary<string, string>(commonEnvironment)
        {
            [PipelineEnvironment.MaxReceives] = FunctionSizing.MaxReceiveCount.ToString(CultureInfo.InvariantCulture),
        };

        Resize = NewFunction("Resize", "resize", package, FunctionSizing.ResizeMemoryMb, FunctionSizing.ResizeTimeoutSeconds, stageEnvironment);
        Thumbnail = NewFunction("Thumbnail", "thumbnail", package, FunctionSizing.ThumbnailMemoryMb, FunctionSizing.ThumbnailTimeoutSeconds, stageEnvironment);

        // Records failed/internal for events a stage could not finish on any receive (crash, OOM kill, timeout): it tells
        // the stage by each record's eventSourceARN. The bucket names ride along with the common environment (the function
        // host reads them at start-up); the role reaches no bucket.
        var deadLetterEnvironment = new Dictionary<string, string>(stageEnvironment)
        {
            [PipelineEnvironment.ResizeDeadLetterQueueArn] = fanOut.Resize.DeadLetters.QueueArn,
            [PipelineEnvironment.ThumbnailDeadLetterQueueArn] = fanOut.Thumbnail.DeadLetters.QueueArn,
        };
        DeadLetter = NewFunction("DeadLetter", ImagePipelineStack.DeadLetterHandler, package,
            FunctionSizing.DeadLetterMemoryMb, FunctionSizing.DeadLetterTimeoutSeconds, deadLetterEnvironment);

        CursorKey = new Secret(scope.Stack, "CursorKey", new SecretProps
        {
            Description = "Signs the API's list cursors; generated, never in the template: the api function reads it at start-up.",
            GenerateSecretString = new SecretStringGenerator { PasswordLength = ImagePipelineStack.CursorKeyLength, ExcludePunctuation = true, IncludeSpace = false },
            RemovalPolicy = scope.Removal,
        });
        scope.Nag.Add(CursorKey, "AwsSolutions-SMG4",
            "The cursor key only signs list cursors: rotating it (put a new value; functions read it at start-up) invalidates the " +
            "cursors in flight and nothing else, so there is no rotation schedule or rotation function.");

        var apiEnvironment = new Dictionary<string, string>(commonEnvironment)
        {
            // Only where the key is: Parameter Store's reference to the secret, read at start-up (never its value here).
            [SignInEnvironment.CursorKeyParameter] = CursorKeyParameterName,
            // Reprocessing sends the original's event to the affected stage's queue only (not through SNS).
            [PipelineEnvironment.ResizeQueueUrl] = fanOut.Resize.Queue.QueueUrl,
            [PipelineEnvironment.ThumbnailQueueUrl] = fanOut.Thumbnail.Queue.QueueUrl,
        };
        if (scope.Settings.ExposeGps)
        {
            apiEnvironment[PipelineEnvironment.ExposeGps] = "true";
        }

        Api = NewFunction("Api", "api", package, FunctionSizing.ApiMemoryMb, FunctionSizing.ApiTimeoutSeconds, apiEnvironment);

        GrantStage(Resize, storage, ImagePipelineStack.RenditionsPrefix);
        GrantStage(Thumbnail, storage, ImagePipelineStack.ThumbnailsPrefix);
        GrantApi(Api, storage, [fanOut.Resize.Queue, fanOut.Thumbnail.Queue]);
        GrantCursorKey(Api);
        GrantDeadLetter(DeadLetter, storage.Table);

        Subscribe(Resize, fanOut.Resize.Queue, FunctionSizing.ResizeBatchSize, FunctionSizing.StageMaxConcurrency);
        Subscribe(Thumbnail, fanOut.Thumbnail.Queue, FunctionSizing.ThumbnailBatchSize, FunctionSizing.StageMaxConcurrency);
        Subscribe(DeadLetter, fanOut.Resize.DeadLetters, FunctionSizing.DeadLetterBatchSize, FunctionSizing.DeadLetterMaxConcurrency);
        Subscribe(DeadLetter, fanOut.Thumbnail.DeadLetters, FunctionSizing.DeadLetterBatchSize, FunctionSizing.DeadLetterMaxConcurrency);
    }

    public LambdaFunction Resize { get; }

    public LambdaFunction Thumbnail { get; }

    public LambdaFunction Api { get; }

    public LambdaFunction DeadLetter { get; }

    /// <summary>The generated secret that signs list cursors.</summary>
    public Secret CursorKey { get; }

    /// <summary>The SSM parameter that reads <see cref="CursorKey"/>: <c>/aws/reference/secretsmanager/NAME</c>.</summary>
    public string CursorKeyParameterName => SignInEnvironment.SecretsManagerReferencePrefix + CursorKey.SecretName;

    /// <summary>All four, in handler order.</summary>
    public IReadOnlyList<LambdaFunction> All => _all;

    /// <summary>Adds a variable to the api function's environment (the web page's settings on AWS).</summary>
    public void AddApiEnvironment(string name, string value)
    {
        _ = Api.AddEnvironment(name, value);
    }

    /// <summary>
    /// aws-cdk-lib makes each function depend on its role and on the role's policy. The role is also referenced by the
    /// function's <c>Role</c> property, so that dependency is redundant (cfn-lint W3005); the policy's is not (the function
    /// must not run before it may do its work). Call once every statement is added.
    /// </summary>
    public void DropRedundantRoleDependencies()
    {
        foreach (var function in _all)
        {
            var policy = (CfnResource)function.Role!.Node.FindChild("DefaultPolicy").Node.DefaultChild!;
            ((CfnResource)function.Node.DefaultChild!).AddOverride("DependsOn", new[] { _scope.Stack.GetLogicalId(policy) });
        }
    }

    private LambdaFunction NewFunction(string id, string handler, Code code, int memoryMb, int timeoutSeconds, Dictionary<string, string> environment)
    {
        var logGroup = new LogGroup(_scope.Stack, id + "Logs", new LogGroupProps { Retention = ImagePipelineStack.LogRetentionDays, RemovalPolicy = _scope.Removal });

        // Its own role without AWSLambdaBasicExecutionRole (logs:CreateLogGroup on every group): it writes to its group only.
        var role = new Role(_scope.Stack, id + "Role", new RoleProps
        {
            AssumedBy = new ServicePrincipal("lambda.amazonaws.com"),
            Description = $"The {handler} function.",
        });
        _ = logGroup.GrantWrite(role);

        var function = new LambdaFunction(_scope.Stack, id, new LambdaFunctionProps
        {
            Runtime = Runtime.PROVIDED_AL2023,
            // The package was published for this architecture (FunctionPackage.Resolve checks an explicit one).
            Architecture = _scope.Settings.Architecture == FunctionArchitecture.Arm64 ? Architecture.ARM_64 : Architecture.X86_64,
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
        _all.Add(function);
        return function;
    }

    private static string Objects(Bucket bucket, string prefix) => bucket.ArnForObjects(prefix + "*");

    // Object permissions are explicit action lists, never aws-cdk-lib's grants: grantDelete and grantReadWrite emit
    // s3:DeleteObject*, which includes s3:DeleteObjectVersion and would let a role erase an original's every version.
    // With s3:DeleteObject alone, a delete on the versioned originals bucket only adds a delete marker.
    private void GrantStage(LambdaFunction function, PipelineStorage storage, string outputPrefix)
    {
        var (originals, derived) = (storage.Originals, storage.Derived);
        Allow(function, "ReadOriginals", ["s3:GetObject"], [Objects(originals, ImagePipelineStack.OriginalsPrefix)]);
        // An event for an unknown or deleted image removes the original it points at (DESIGN.md, write rules): its
        // current version only (a delete marker); the bytes stay restorable for NoncurrentOriginalDays.
        Allow(function, "DeleteOrphanOriginals", ["s3:DeleteObject"], [Objects(originals, ImagePipelineStack.OriginalsPrefix)]);
        // Without ListBucket S3 answers 403 instead of 404 for a missing key, and an original deleted before its event
        // arrives would look like a permission failure (retried) instead of a missing object.
        Allow(function, "DistinguishMissingOriginals", ["s3:ListBucket"], [originals.BucketArn]);
        Allow(function, "WriteOwnOutputs", ["s3:PutObject", "s3:DeleteObject"], [Objects(derived, outputPrefix)]);
        Allow(function, "RecordStage", ["dynamodb:GetItem", "dynamodb:UpdateItem"], [storage.Table.TableArn]);
        _scope.Nag.Add(function.Role!.Node.FindChild("DefaultPolicy"), "AwsSolutions-IAM5",
            "Object permissions are scoped to this stage's key prefixes (originals/ to read, its own output prefix to write); keys are per image.",
            [
                $"/^Resource::<Originals[0-9A-F]{{8}}\\.Arn>\\/{ImagePipelineStack.OriginalsPrefix[..^1]}\\/\\*$/",
                $"/^Resource::<Derived[0-9A-F]{{8}}\\.Arn>\\/{outputPrefix[..^1]}\\/\\*$/",
            ]);
    }

    private void GrantApi(LambdaFunction function, PipelineStorage storage, Queue[] stageQueues)
    {
        var (originals, derived, table) = (storage.Originals, storage.Derived, storage.Table);
        string[] images =
        [
            Objects(originals, ImagePipelineStack.OriginalsPrefix),
            Objects(derived, ImagePipelineStack.RenditionsPrefix),
            Objects(derived, ImagePipelineStack.ThumbnailsPrefix),
        ];

        // Presigning a PUT needs the signer's own permission to put.
        Allow(function, "PresignUploads", ["s3:PutObject"], [Objects(originals, ImagePipelineStack.OriginalsPrefix)]);
        Allow(function, "ReadImages", ["s3:GetObject"], images);
        Allow(function, "DeleteImages", ["s3:DeleteObject"], images);
        Allow(function, "DistinguishMissingObjects", ["s3:ListBucket"], [originals.BucketArn, derived.BucketArn]);
        Allow(function, "Catalog", ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"],
            [table.TableArn, .. CatalogTableSchema.GlobalIndexes.Select(i => $"{table.TableArn}/index/{i.Name}")]);
        // Reprocessing queues the original's event on the affected stage's source queue: SendMessage only (the URL comes
        // from the environment), on the two source queues, never their dead-letter queues. SSE-SQS needs no KMS grant.
        Allow(function, "ReprocessStages", ["sqs:SendMessage"], [.. stageQueues.Select(q => q.QueueArn)]);
        _scope.Nag.Add(function.Role!.Node.FindChild("DefaultPolicy"), "AwsSolutions-IAM5",
            "Object permissions are scoped to the originals/, renditions/ and thumbnails/ key prefixes; keys are per image.",
            [
                $"/^Resource::<Originals[0-9A-F]{{8}}\\.Arn>\\/originals\\/\\*$/",
                $"/^Resource::<Derived[0-9A-F]{{8}}\\.Arn>\\/(renditions|thumbnails)\\/\\*$/",
            ]);
    }

    /// <summary>
    /// Reading the cursor key through Parameter Store's reference path needs both permissions: <c>ssm:GetParameter</c>
    /// on the reference parameter and <c>secretsmanager:GetSecretValue</c> on the secret (encrypted with the AWS-managed
    /// key, which needs no grant). Nothing else of Parameter Store or Secrets Manager.
    /// </summary>
    private void GrantCursorKey(LambdaFunction function)
    {
        var parameterArn = $"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:{Aws.ACCOUNT_ID}:parameter{CursorKeyParameterName}";
        Allow(function, "ReadCursorKeyParameter", ["ssm:GetParameter"], [parameterArn]);
        Allow(function, "ReadCursorKeySecret", ["secretsmanager:GetSecretValue"], [CursorKey.SecretArn]);
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
}
