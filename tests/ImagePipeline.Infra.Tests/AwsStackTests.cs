using System.Text.Json.Nodes;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Services;
using static ImagePipeline.Infra.Tests.TemplateJson;

namespace ImagePipeline.Infra.Tests;

/// <summary>The default stack (target aws, no flags: Cognito sign-in), property by property.</summary>
[Trait("Category", "Integration")]
public sealed class AwsStackTests(SynthesizedStacks stacks)
{
    private const int FourteenDaysInSeconds = 14 * 24 * 3600;

    private readonly Synthesized _s = stacks.Aws;

    private string Originals => _s.LogicalId("Originals");
    private string Derived => _s.LogicalId("Derived");
    private string Table => _s.LogicalId("Images");

    private (string Id, JsonObject Properties) Function(string handler)
    {
        var (id, resource) = Assert.Single(_s.OfType("AWS::Lambda::Function"), f => (string?)f.Resource["Properties"]!["Handler"] == handler);
        return (id, resource["Properties"]!.AsObject());
    }

    [Fact]
    public void Buckets_Always_BlockPublicAccessEncryptAndEnforceSsl()
    {
        var buckets = _s.OfType("AWS::S3::Bucket");
        Assert.Equal(3, buckets.Count); // originals, derived, access logs (the page ships with the api function)
        foreach (var (id, bucket) in buckets)
        {
            var properties = bucket["Properties"]!;
            var block = properties["PublicAccessBlockConfiguration"]!.AsObject();
            foreach (var setting in new[] { "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets" })
            {
                Assert.True(block[setting]!.GetValue<bool>(), $"{id}: {setting}");
            }

            Assert.Equal("AES256", (string?)properties["BucketEncryption"]!["ServerSideEncryptionConfiguration"]![0]!["ServerSideEncryptionByDefault"]!["SSEAlgorithm"]);
            Assert.Contains(properties["LifecycleConfiguration"]!["Rules"]!.AsArray(), r => r!["AbortIncompleteMultipartUpload"] is not null);

            var policy = Assert.Single(_s.OfType("AWS::S3::BucketPolicy"), p => Same(p.Resource["Properties"]!["Bucket"], Ref(id)));
            Assert.Contains(policy.Resource["Properties"]!["PolicyDocument"]!["Statement"]!.AsArray(), s =>
                (string?)s!["Effect"] == "Deny"
                && (string?)s["Condition"]?["Bool"]?["aws:SecureTransport"] == "false");
            Assert.DoesNotContain(policy.Resource["Properties"]!["PolicyDocument"]!["Statement"]!.AsArray(), s =>
                (string?)s!["Effect"] == "Allow" && (Same(s["Principal"], JsonValue.Create("*")) || Same(s["Principal"]?["AWS"], JsonValue.Create("*"))));
        }
    }

    [Fact]
    public void Buckets_ByDefault_AreRetainedWithoutExpiry()
    {
        foreach (var (_, bucket) in _s.OfType("AWS::S3::Bucket").Where(b => b.Id != _s.LogicalId("AccessLogs")))
        {
            Assert.Equal("Retain", (string?)bucket["DeletionPolicy"]);
            Assert.DoesNotContain(bucket["Properties"]!["LifecycleConfiguration"]!["Rules"]!.AsArray(), r => r!["ExpirationInDays"] is not null);
        }

        Assert.Equal("Retain", (string?)_s.Resources[Table]!["DeletionPolicy"]);
    }

    [Fact]
    public void OriginalsCors_BrowserUploads_AllowOnlyTheWebPageOriginToPut()
    {
        var rules = _s.Properties(Originals)["CorsConfiguration"]!["CorsRules"]!.AsArray();
        var rule = Assert.Single(rules)!;
        Assert.Equal(["PUT"], Strings(rule["AllowedMethods"]));
        var origin = Assert.Single(Many(rule["AllowedOrigins"]));
        Assert.False(AnyString(origin, s => s.Contains('*', StringComparison.Ordinal)));
        Assert.True(Contains(origin, GetAtt(_s.LogicalId("WebDistribution"), "DomainName")));
        Assert.Contains("if-none-match", Strings(rule["AllowedHeaders"]));
        Assert.Null(_s.Properties(Derived)["CorsConfiguration"]);
    }

    [Fact]
    public void OriginalsPolicy_WritesWithoutIfNoneMatch_AreDenied()
    {
        var policy = Assert.Single(_s.OfType("AWS::S3::BucketPolicy"), p => Same(p.Resource["Properties"]!["Bucket"], Ref(Originals)));
        Assert.Contains(policy.Resource["Properties"]!["PolicyDocument"]!["Statement"]!.AsArray(), s =>
            (string?)s!["Effect"] == "Deny"
            && Strings(s["Action"]).SequenceEqual(["s3:PutObject"])
            && Same(s["Resource"], ObjectsArn(Originals, "originals/*"))
            && (string?)s["Condition"]?["Null"]?["s3:if-none-match"] == "true");
    }

    [Fact]
    public void Originals_Always_AreVersionedAndNoncurrentVersionsExpireAfterSevenDays()
    {
        var originals = _s.Properties(Originals);
        Assert.Equal("Enabled", (string?)originals["VersioningConfiguration"]!["Status"]);
        var rule = Assert.Single(originals["LifecycleConfiguration"]!["Rules"]!.AsArray(), r => r!["NoncurrentVersionExpiration"] is not null)!;
        Assert.Equal("Enabled", (string?)rule["Status"]);
        Assert.Equal(7, rule["NoncurrentVersionExpiration"]!["NoncurrentDays"]!.GetValue<int>());
        Assert.Equal(ImagePipelineStack.NoncurrentOriginalDays, rule["NoncurrentVersionExpiration"]!["NoncurrentDays"]!.GetValue<int>());
        Assert.True(rule["ExpiredObjectDeleteMarker"]!.GetValue<bool>());
        Assert.Null(rule["Prefix"]);
        Assert.Null(rule["TagFilters"]);

        // Derived objects are re-made from the originals: not versioned.
        Assert.Null(_s.Properties(Derived)["VersioningConfiguration"]);
    }

    [Fact]
    public void Policies_Everywhere_GrantNoDeleteObjectVersionOnOriginals()
    {
        // No statement anywhere (role, bucket or managed policy) can delete an object version: no helper function holds
        // s3:DeleteObject* any more (the web deployment and the auto-delete handler are gone).
        Assert.Empty(PolicyStatements.StatementsCovering(_s, "s3:DeleteObjectVersion"));
    }

    [Theory]
    [InlineData("resize", FunctionSizing.ResizeMemoryMb, FunctionSizing.ResizeTimeoutSeconds)]
    [InlineData("thumbnail", FunctionSizing.ThumbnailMemoryMb, FunctionSizing.ThumbnailTimeoutSeconds)]
    [InlineData("api", FunctionSizing.ApiMemoryMb, FunctionSizing.ApiTimeoutSeconds)]
    [InlineData("deadletter", FunctionSizing.DeadLetterMemoryMb, FunctionSizing.DeadLetterTimeoutSeconds)]
    public void Function_FromTheOneBootstrap_HasRuntimeSizeAndEnvironment(string handler, int memoryMb, int timeoutSeconds)
    {
        var (_, function) = Function(handler);
        Assert.Equal("provided.al2023", (string?)function["Runtime"]);
        Assert.Equal(["x86_64"], Strings(function["Architectures"]));
        Assert.Equal(memoryMb, function["MemorySize"]!.GetValue<int>());
        Assert.Equal(timeoutSeconds, function["Timeout"]!.GetValue<int>());

        var environment = function["Environment"]!["Variables"]!.AsObject();
        Assert.True(Same(environment[PipelineEnvironment.OriginalsBucket], Ref(Originals)));
        Assert.True(Same(environment[PipelineEnvironment.DerivedBucket], Ref(Derived)));
        Assert.True(Same(environment[PipelineEnvironment.Table], Ref(Table)));
        Assert.Null(environment[PipelineEnvironment.S3PathStyle]);
        Assert.Equal("2", (string?)environment["MALLOC_ARENA_MAX"]);
        if (handler == "api")
        {
            Assert.Null(environment[PipelineEnvironment.MaxReceives]);
            // Only where the key is (Parameter Store's reference to the generated secret), never the key or a dynamic reference.
            var secretId = _s.LogicalId("CursorKey");
            Assert.Null(environment[PipelineEnvironment.CursorKey]);
            Assert.True(Contains(environment[SignInEnvironment.CursorKeyParameter], Ref(secretId)));
            var generator = _s.Properties(secretId)["GenerateSecretString"]!;
            Assert.Equal(ImagePipelineStack.CursorKeyLength, generator["PasswordLength"]!.GetValue<int>());
            Assert.True(generator["ExcludePunctuation"]!.GetValue<bool>());
            // Reprocessing sends to the stage queues by URL.
            Assert.True(Same(environment[PipelineEnvironment.ResizeQueueUrl], Ref(_s.LogicalId("ResizeQueue"))));
            Assert.True(Same(environment[PipelineEnvironment.ThumbnailQueueUrl], Ref(_s.LogicalId("ThumbnailQueue"))));
        }
        else
        {
            Assert.Equal("5", (string?)environment[PipelineEnvironment.MaxReceives]);
            Assert.Null(environment[PipelineEnvironment.CursorKey]);
        }

        Assert.Equal(4, _s.OfType("AWS::Lambda::Function").Count(f => (string?)f.Resource["Properties"]!["Runtime"] == "provided.al2023"));
    }

    [Fact]
    public void Functions_All_ShareOneCodeAsset()
    {
        var codes = _s.OfType("AWS::Lambda::Function")
            .Where(f => (string?)f.Resource["Properties"]!["Runtime"] == "provided.al2023")
            .Select(f => f.Resource["Properties"]!["Code"]!)
            .ToArray();

        Assert.Equal(4, codes.Length);
        Assert.All(codes, c => Assert.True(Same(c, codes[0]), $"{c.ToJsonString()} differs from {codes[0].ToJsonString()}"));
        Assert.EndsWith(".zip", (string?)codes[0]["S3Key"], StringComparison.Ordinal);
    }

    [Fact]
    public void Functions_All_HaveLogRetention()
    {
        var logGroups = _s.OfType("AWS::Logs::LogGroup");
        foreach (var (id, function) in _s.OfType("AWS::Lambda::Function"))
        {
            var configured = function["Properties"]!["LoggingConfig"]?["LogGroup"];
            var group = configured is not null
                ? Assert.Single(logGroups, g => Same(configured, Ref(g.Id)))
                : Assert.Single(logGroups, g => Contains(g.Resource["Properties"]!["LogGroupName"], Ref(id)));
            Assert.True(group.Resource["Properties"]!["RetentionInDays"]!.GetValue<int>() > 0, id);
        }

        // Our four and nothing else: no handler function of aws-cdk-lib.
        Assert.Equal(4, _s.OfType("AWS::Lambda::Function").Count);
    }

    [Fact]
    public void StageRoles_Always_ReachOnlyTheirPrefixes()
    {
        AssertStatements("resize",
        [
            ("s3:GetObject", [ObjectsArn(Originals, "originals/*")]),
            ("s3:DeleteObject", [ObjectsArn(Originals, "originals/*")]),
            ("s3:ListBucket", [GetAtt(Originals, "Arn")]),
            ("s3:PutObject,s3:DeleteObject", [ObjectsArn(Derived, "renditions/*")]),
            ("dynamodb:GetItem,dynamodb:UpdateItem", [GetAtt(Table, "Arn")]),
        ], consumes: ["ResizeQueue"]);
        AssertStatements("thumbnail",
        [
            ("s3:GetObject", [ObjectsArn(Originals, "originals/*")]),
            ("s3:DeleteObject", [ObjectsArn(Originals, "originals/*")]),
            ("s3:ListBucket", [GetAtt(Originals, "Arn")]),
            ("s3:PutObject,s3:DeleteObject", [ObjectsArn(Derived, "thumbnails/*")]),
            ("dynamodb:GetItem,dynamodb:UpdateItem", [GetAtt(Table, "Arn")]),
        ], consumes: ["ThumbnailQueue"]);
    }

    [Fact]
    public void DeadLetterRole_Always_ReachesOnlyTheCatalogAndTheDeadLetterQueues()
    {
        // No object at all; the items it records, only through a conditional update.
        AssertStatements(ImagePipelineStack.DeadLetterHandler,
        [
            ("dynamodb:GetItem,dynamodb:UpdateItem", [GetAtt(Table, "Arn")]),
        ], consumes: ["ResizeQueueDlq", "ThumbnailQueueDlq"]);
    }

    [Fact]
    public void ApiRole_Always_ReachesOnlyTheCatalogAndImagePrefixes()
    {
        JsonNode[] images = [ObjectsArn(Originals, "originals/*"), ObjectsArn(Derived, "renditions/*"), ObjectsArn(Derived, "thumbnails/*")];
        var index = new JsonObject { ["Fn::Join"] = new JsonArray("", new JsonArray(GetAtt(Table, "Arn"), "/index/" + CatalogTableSchema.ByOwner.Name)) };
        AssertStatements("api",
        [
            ("s3:PutObject", [ObjectsArn(Originals, "originals/*")]),
            ("s3:GetObject", images),
            ("s3:DeleteObject", images),
            ("s3:ListBucket", [GetAtt(Originals, "Arn"), GetAtt(Derived, "Arn")]),
            ("dynamodb:PutItem,dynamodb:GetItem,dynamodb:UpdateItem,dynamodb:Query", [GetAtt(Table, "Arn"), index]),
            // Reprocess: the two stage queues, not their dead-letter or parking queues.
            ("sqs:SendMessage", [GetAtt(_s.LogicalId("ResizeQueue"), "Arn"), GetAtt(_s.LogicalId("ThumbnailQueue"), "Arn")]),
            // The cursor key through Parameter Store's reference path: both, on that parameter and that secret only.
            ("ssm:GetParameter", [CursorKeyParameterArn(_s)]),
            ("secretsmanager:GetSecretValue", [Ref(_s.LogicalId("CursorKey"))]),
        ], consumes: []);
    }

    /// <summary>The ARN of the api function's cursor-key parameter, as the template builds it from its environment's name.</summary>
    internal static JsonObject CursorKeyParameterArn(Synthesized s)
    {
        var (_, api) = Assert.Single(s.OfType("AWS::Lambda::Function"), f => (string?)f.Resource["Properties"]!["Handler"] == "api");
        var name = api["Properties"]!["Environment"]!["Variables"]![SignInEnvironment.CursorKeyParameter]!["Fn::Join"]![1]!.AsArray();
        Assert.Equal(SignInEnvironment.SecretsManagerReferencePrefix, (string?)name[0]);
        return new JsonObject
        {
            ["Fn::Join"] = new JsonArray("", new JsonArray(
                "arn:", Ref("AWS::Partition"), ":ssm:", Ref("AWS::Region"), ":", Ref("AWS::AccountId"),
                ":parameter" + SignInEnvironment.SecretsManagerReferencePrefix, name[1]!.DeepClone())),
        };
    }

    private void AssertStatements(string handler, (string Actions, JsonNode[] Resources)[] expected, string[] consumes)
    {
        var (_, function) = Function(handler);
        var roleId = ((string?)function["Role"]!["Fn::GetAtt"]![0])!;
        Assert.Empty(_s.Properties(roleId)["ManagedPolicyArns"]?.AsArray() ?? []);
        var policy = Assert.Single(_s.OfType("AWS::IAM::Policy"), p => Contains(p.Resource["Properties"]!["Roles"], Ref(roleId)));
        var statements = policy.Resource["Properties"]!["PolicyDocument"]!["Statement"]!.AsArray().Select(s => s!).ToList();

        var logGroup = function["LoggingConfig"]!["LogGroup"]!;
        var expectedAll = expected.ToList();
        expectedAll.Add(("logs:CreateLogStream,logs:PutLogEvents", [GetAtt(((string?)logGroup["Ref"])!, "Arn")]));
        foreach (var queuePath in consumes)
        {
            expectedAll.Add(("sqs:ReceiveMessage,sqs:ChangeMessageVisibility,sqs:GetQueueUrl,sqs:DeleteMessage,sqs:GetQueueAttributes",
                [GetAtt(_s.LogicalId(queuePath), "Arn")]));
        }

        Assert.Equal(expectedAll.Count, statements.Count);
        foreach (var (actions, resources) in expectedAll)
        {
            Assert.Contains(statements, s =>
                (string?)s["Effect"] == "Allow"
                && s["Condition"] is null
                && string.Join(',', Strings(s["Action"])) == actions
                && Many(s["Resource"]).Count == resources.Length
                && resources.All(r => Many(s["Resource"]).Any(x => Same(x, r))));
        }
    }

    [Fact]
    public void Policies_Everywhere_HaveNoWildcardActionsOrResourcesBeyondCdkHelpers()
    {
        // With aws-cdk-lib's helper functions gone, no statement needs "*" as its resource.
        foreach (var (_, policy) in _s.OfType("AWS::IAM::Policy"))
        {
            foreach (var statement in policy["Properties"]!["PolicyDocument"]!["Statement"]!.AsArray())
            {
                var actions = Strings(statement!["Action"]);
                Assert.DoesNotContain(actions, a => a == "*" || a.EndsWith(":*", StringComparison.Ordinal));
                Assert.DoesNotContain(Many(statement["Resource"]), r => r is JsonValue v && v.GetValue<string>() == "*");
            }
        }
    }

    [Fact]
    public void Table_FromTheSharedSchema_IsOnDemandWithPitrTtlAndOwnerIndex()
    {
        var table = _s.Properties(Table);
        Assert.Equal("PAY_PER_REQUEST", (string?)table["BillingMode"]);
        Assert.True(table["PointInTimeRecoverySpecification"]!["PointInTimeRecoveryEnabled"]!.GetValue<bool>());
        Assert.True(table["DeletionProtectionEnabled"]!.GetValue<bool>());
        Assert.Equal(CatalogTableSchema.TimeToLiveAttribute, (string?)table["TimeToLiveSpecification"]!["AttributeName"]);
        Assert.True(table["TimeToLiveSpecification"]!["Enabled"]!.GetValue<bool>());
        var key = Assert.Single(table["KeySchema"]!.AsArray())!;
        Assert.Equal((CatalogTableSchema.PartitionKey.Name, "HASH"), ((string?)key["AttributeName"], (string?)key["KeyType"]));

        var index = Assert.Single(table["GlobalSecondaryIndexes"]!.AsArray())!;
        Assert.Equal(CatalogTableSchema.ByOwner.Name, (string?)index["IndexName"]);
        Assert.Equal("ALL", (string?)index["Projection"]!["ProjectionType"]);
        var indexKeys = index["KeySchema"]!.AsArray().Select(k => ((string?)k!["AttributeName"], (string?)k["KeyType"])).ToList();
        Assert.Equal([(CatalogTableSchema.ByOwner.PartitionKey.Name, "HASH"), (CatalogTableSchema.ByOwner.SortKey.Name, "RANGE")], indexKeys);
        var attributes = table["AttributeDefinitions"]!.AsArray().Select(a => ((string?)a!["AttributeName"], (string?)a["AttributeType"])).ToHashSet();
        Assert.Equal(3, attributes.Count);
        Assert.Contains(("createdKey", "S"), attributes);
    }

    [Fact]
    public void Functions_DependsOn_OnlyTheirPolicy()
    {
        // The role is referenced by the Role property already (cfn-lint W3005); the policy must exist before the function runs.
        foreach (var handler in PipelineEnvironment.Handlers)
        {
            var (id, function) = Function(handler);
            var roleId = ((string?)function["Role"]!["Fn::GetAtt"]![0])!;
            var policy = Assert.Single(_s.OfType("AWS::IAM::Policy"), p => Contains(p.Resource["Properties"]!["Roles"], Ref(roleId)));
            Assert.Equal([policy.Id], Strings(_s.Resources[id]!["DependsOn"]));
        }
    }

    [Fact]
    public void Alarms_Always_WatchDeadLettersErrorsAndThrottles()
    {
        var alarms = _s.OfType("AWS::CloudWatch::Alarm").Select(a => a.Resource["Properties"]!).ToList();
        // The dead-letter queues are drained by the deadletter function: their depth is watched at the parking queues.
        foreach (var parking in new[] { "ResizeQueueParking", "ThumbnailQueueParking" })
        {
            var parkingName = GetAtt(_s.LogicalId(parking), "QueueName");
            Assert.Single(alarms, a => (string?)a["MetricName"] == "ApproximateNumberOfMessagesVisible"
                && Contains(a["Dimensions"], parkingName) && a["Threshold"]!.GetValue<double>() == 0
                && (string?)a["ComparisonOperator"] == "GreaterThanThreshold");
        }

        foreach (var dlq in new[] { "ResizeQueueDlq", "ThumbnailQueueDlq" })
        {
            Assert.DoesNotContain(alarms, a => Contains(a["Dimensions"], GetAtt(_s.LogicalId(dlq), "QueueName")));
        }

        // What the deadletter function records, from its EMF line (namespace and dimension as MetricsWriter writes them).
        var recorded = Assert.Single(alarms, a => (string?)a["MetricName"] == "DeadLettersRecorded");
        Assert.Equal("ImagePipeline", (string?)recorded["Namespace"]);
        Assert.Equal("Sum", (string?)recorded["Statistic"]);
        Assert.Equal(300, recorded["Period"]!.GetValue<int>());
        Assert.Equal(1, recorded["Threshold"]!.GetValue<double>());
        Assert.Equal("GreaterThanOrEqualToThreshold", (string?)recorded["ComparisonOperator"]);
        Assert.Equal("notBreaching", (string?)recorded["TreatMissingData"]);
        var dimension = Assert.Single(recorded["Dimensions"]!.AsArray())!;
        Assert.Equal(("Function", "deadletter"), ((string?)dimension["Name"], (string?)dimension["Value"]));

        foreach (var handler in PipelineEnvironment.Handlers)
        {
            var function = Ref(Function(handler).Id);
            Assert.Single(alarms, a => (string?)a["MetricName"] == "Errors" && Contains(a["Dimensions"], function));
            Assert.Single(alarms, a => (string?)a["MetricName"] == "Throttles" && Contains(a["Dimensions"], function));
        }

        // Two parking queues, errors and throttles of four functions, dead letters recorded.
        Assert.Equal(11, alarms.Count);
    }

    [Fact]
    public void Outputs_Always_NameTheEndpointsBucketsAndTable()
    {
        var outputs = _s.Json["Outputs"]!.AsObject();
        Assert.Equal(["ApiUrl", "DerivedBucketName", "HostedUiDomain", "OriginalsBucketName", "TableName", "UserPoolClientId", "UserPoolId", "WebUrl"],
            outputs.Select(o => o.Key).Order(StringComparer.Ordinal));
        Assert.True(Same(outputs["TableName"]!["Value"], Ref(Table)));
        Assert.True(Same(outputs["ApiUrl"]!["Value"], GetAtt(_s.LogicalId("HttpApi"), "ApiEndpoint")));
        Assert.True(Contains(outputs["WebUrl"]!["Value"], GetAtt(_s.LogicalId("WebDistribution"), "DomainName")));
    }
}
