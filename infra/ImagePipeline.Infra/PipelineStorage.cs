using Amazon.CDK;
using Amazon.CDK.AWS.DynamoDB;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.S3;
using ImagePipeline.Core.Catalog;
using DynamoAttribute = Amazon.CDK.AWS.DynamoDB.Attribute;

namespace ImagePipeline.Infra;

/// <summary>
/// The stateful part: the originals bucket (versioned, write-once, named so that the policies that let S3 publish its
/// events can name it without referring to it), the derived bucket, the access-log bucket and the catalog table.
/// </summary>
internal sealed class PipelineStorage
{
    /// <summary>The fixed part of the originals bucket's generated name, after the stack name.</summary>
    public const string OriginalsNameSuffix = "-originals";

    /// <summary>
    /// The longest stack-name part of the generated originals name: 63 (S3's limit) minus <see cref="OriginalsNameSuffix"/>,
    /// a hyphen, the 12-digit account id, a hyphen and the 8-digit stack-id fragment.
    /// </summary>
    public const int MaxOriginalsStackPart = 63 - 10 - 1 - 12 - 1 - 8;

    private readonly StackScope _scope;

    public PipelineStorage(StackScope scope)
    {
        _scope = scope;

        // Access logs through a bucket policy rather than the legacy log-delivery ACL (ACLs are off on new buckets).
        scope.Stack.Node.SetContext("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", true);

        AccessLogs = NewBucket("AccessLogs", accessLogs: null, expireAfter: Duration.Days(90));
        scope.Nag.Add(AccessLogs, "AwsSolutions-S1", "This is the server access log bucket; logging its own writes would loop.");

        // Versioned: a role that may delete an original (the stages' orphan clean-up, the API's DELETE) only ever removes
        // its current version; the bytes stay restorable for NoncurrentOriginalDays. No role gets s3:DeleteObjectVersion.
        // A stack deployed before the bucket was named keeps its name (naming it now would replace the bucket).
        var generatedName = scope.Settings.OriginalsBucketName is null ? GeneratedOriginalsName(scope.Settings.StackName) : null;
        OriginalsName = scope.Settings.OriginalsBucketName ?? generatedName!;
        Originals = NewBucket("Originals", AccessLogs, ObjectExpiry(), keepNoncurrentDays: ImagePipelineStack.NoncurrentOriginalDays, bucketName: generatedName);
        Derived = NewBucket("Derived", AccessLogs, ObjectExpiry());
        RequireWriteOnceOriginals(Originals);

        Table = NewTable();
    }

    public Bucket AccessLogs { get; }

    public Bucket Originals { get; }

    public Bucket Derived { get; }

    public Table Table { get; }

    /// <summary>
    /// The originals bucket's name as the policies that let S3 publish its events name it: the generated name (the same
    /// expression as the bucket's <c>BucketName</c>), or, for a stack deployed before the bucket was named,
    /// <c>-c originalsBucketName</c>. Never a reference to the bucket: the bucket depends on those policies (S3 checks
    /// that it may publish when the notification is configured), so a reference would be a cycle.
    /// </summary>
    public string OriginalsName { get; }

    /// <summary>The originals bucket's ARN built from <see cref="OriginalsName"/> (no reference to the bucket).</summary>
    public string OriginalsArn => $"arn:{Aws.PARTITION}:s3:::{OriginalsName}";

    /// <summary>
    /// <c>{stack name, lower case}-originals-{account}-{stack-id fragment}</c>. The fragment is the first group of the
    /// stack id's UUID: CloudFormation's stack ids are time-based (version 1) UUIDs, whose first group is the low 32 bits
    /// of the creation time and differs for every stack, while the last group names the host and may repeat. So a stack
    /// deleted with its bucket retained and deployed again under the same name gets a new bucket name instead of failing
    /// on the old one, and no other account can predict or hold the name.
    /// </summary>
    public static string GeneratedOriginalsName(string stackName)
    {
        var stackPart = StackPart(stackName);
        var fragment = Fn.Select(0, Fn.Split("-", Fn.Select(2, Fn.Split("/", Aws.STACK_ID))));
        return Fn.Join("-", [stackPart + OriginalsNameSuffix, Aws.ACCOUNT_ID, fragment]);
    }

    /// <summary>The stack name as the start of a bucket name: lower case, cut so that the whole name fits 63 characters.</summary>
    public static string StackPart(string stackName)
    {
        ArgumentException.ThrowIfNullOrEmpty(stackName);
        var lower = stackName.ToLowerInvariant();
        return lower.Length <= MaxOriginalsStackPart ? lower : lower[..MaxOriginalsStackPart].TrimEnd('-');
    }

    /// <summary>Lets browsers PUT to presigned upload URLs from <paramref name="origins"/> (never <c>*</c>).</summary>
    public void AllowBrowserUploads(IReadOnlyList<string> origins)
    {
        if (origins.Count == 0)
        {
            return;
        }

        Originals.AddCorsRule(new CorsRule
        {
            // Browser uploads PUT to presigned URLs with exactly the headers the API returned.
            AllowedMethods = [HttpMethods.PUT],
            AllowedOrigins = [.. origins],
            AllowedHeaders = ["content-type", "if-none-match"],
            ExposedHeaders = ["etag"],
            MaxAge = 3600,
        });
    }

    private Duration? ObjectExpiry() => _scope.Settings.ObjectExpiryDays is { } days ? Duration.Days(days) : null;

    private Bucket NewBucket(string id, Bucket? accessLogs, Duration? expireAfter, int? keepNoncurrentDays = null, string? bucketName = null)
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

        return new Bucket(_scope.Stack, id, new BucketProps
        {
            BucketName = bucketName,
            BlockPublicAccess = BlockPublicAccess.BLOCK_ALL,
            Encryption = BucketEncryption.S3_MANAGED,
            EnforceSSL = true,
            MinimumTLSVersion = 1.2,
            ObjectOwnership = ObjectOwnership.BUCKET_OWNER_ENFORCED,
            Versioned = keepNoncurrentDays is not null,
            LifecycleRules = [.. rules],
            ServerAccessLogsBucket = accessLogs,
            ServerAccessLogsPrefix = accessLogs is null ? null : $"{id.ToLowerInvariant()}/",
            // With removalPolicy=destroy the bucket goes with the stack once it is empty; there is no auto-delete helper
            // function (a Node.js runtime the stack does not control): empty the buckets first (infra/README.md, teardown).
            RemovalPolicy = _scope.Removal,
        });
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
            Resources = [originals.ArnForObjects(ImagePipelineStack.OriginalsPrefix + "*")],
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

        var table = new Table(_scope.Stack, "Images", new TableProps
        {
            PartitionKey = Key(CatalogTableSchema.PartitionKey),
            BillingMode = BillingMode.PAY_PER_REQUEST,
            PointInTimeRecovery = true,
            DeletionProtection = _scope.Settings.DeletionProtection,
            TimeToLiveAttribute = CatalogTableSchema.TimeToLiveAttribute,
            RemovalPolicy = _scope.Removal,
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
}
