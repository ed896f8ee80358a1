using System.Text.Json.Nodes;
using Amazon.CDK.Assertions;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Services;
using static ImagePipeline.Infra.Tests.TemplateJson;

namespace ImagePipeline.Infra.Tests;

/// <summary>The default stack (target aws, -c anonymousApi=true), property by property.</summary>
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
    public void Uploads_ObjectCreatedUnderOriginals_ReachTheKmsEncryptedTopicNatively()
    {
        // The bucket's own NotificationConfiguration: no custom resource, no handler function.
        Assert.DoesNotContain(_s.Resources, r => ((string?)r.Value!["Type"])!.StartsWith("Custom::", StringComparison.Ordinal));
        var topicConfiguration = Assert.Single(_s.Properties(Originals)["NotificationConfiguration"]!["TopicConfigurations"]!.AsArray())!;
        Assert.Equal("s3:ObjectCreated:*", (string?)topicConfiguration["Event"]);
        var filter = Assert.Single(topicConfiguration["Filter"]!["S3Key"]!["Rules"]!.AsArray())!;
        Assert.Equal(("prefix", "originals/"), ((string?)filter["Name"], (string?)filter["Value"]));
        Assert.Null(_s.Properties(Originals)["NotificationConfiguration"]!["QueueConfigurations"]);
        Assert.Null(_s.Properties(Originals)["NotificationConfiguration"]!["LambdaConfigurations"]);

        var (topicId, topic) = Assert.Single(_s.OfType("AWS::SNS::Topic"));
        Assert.True(Same(topicConfiguration["Topic"], Ref(topicId)));
        var keyId = _s.LogicalId("UploadsTopicKey");
        Assert.True(Same(topic["Properties"]!["KmsMasterKeyId"], GetAtt(keyId, "Arn")));
        Assert.True(_s.Properties(keyId)["EnableKeyRotation"]!.GetValue<bool>());

        // S3 checks that it may publish when the configuration is written: the policies exist first.
        var dependsOn = Strings(_s.Resources[Originals]!["DependsOn"]);
        Assert.Equal(new[] { _s.LogicalId("Uploads/Policy"), keyId }.Order(StringComparer.Ordinal), dependsOn.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void OriginalsName_Generated_IsTheStackNameAccountAndAStackIdFragment()
    {
        var name = _s.Properties(Originals)["BucketName"]!;
        var parts = name["Fn::Join"]![1]!.AsArray();
        Assert.Equal("-", (string?)name["Fn::Join"]![0]);
        Assert.Equal("imagepipeline-originals", (string?)parts[0]);
        Assert.True(Same(parts[1], Ref("AWS::AccountId")));
        // The first group of the stack id's UUID (…:stack/NAME/UUID): a new value for every stack created.
        var fragment = JsonNode.Parse("""
            {"Fn::Select":[0,{"Fn::Split":["-",{"Fn::Select":[2,{"Fn::Split":["/",{"Ref":"AWS::StackId"}]}]}]}]}
            """);
        Assert.True(Same(parts[2], fragment), parts[2]!.ToJsonString());
        Assert.Equal(3, parts.Count);
    }

    [Theory]
    [InlineData("UploadsTopicKey")]
    [InlineData("Uploads")]
    public void PublishPolicies_S3Notification_OnlyTheOriginalsBucketOfThisAccount(string holder)
    {
        // The topic's policy and the key's policy: S3 may publish (and encrypt) for the originals bucket only, named by
        // the very expression of its BucketName (not a reference, which would be a cycle), and only in this account.
        JsonArray statements;
        string[] actions;
        if (holder == "Uploads")
        {
            var topicId = _s.LogicalId("Uploads");
            var (policyId, _) = Assert.Single(_s.OfType("AWS::SNS::TopicPolicy"), p => Many(p.Resource["Properties"]!["Topics"]).Any(t => Same(t, Ref(topicId))));
            statements = _s.Properties(policyId)["PolicyDocument"]!["Statement"]!.AsArray();
            actions = ["sns:Publish"];
        }
        else
        {
            statements = _s.Properties(_s.LogicalId(holder))["KeyPolicy"]!["Statement"]!.AsArray();
            actions = ["kms:GenerateDataKey*", "kms:Decrypt"];
        }

        var fromS3 = Assert.Single(statements, s => s!["Principal"] is JsonObject principal && (string?)principal["Service"] == "s3.amazonaws.com")!;
        Assert.Equal("Allow", (string?)fromS3["Effect"]);
        Assert.Equal(actions, Strings(fromS3["Action"]));
        Assert.True(Same(fromS3["Condition"]!["StringEquals"]!["aws:SourceAccount"], Ref("AWS::AccountId")));
        var expectedArn = new JsonObject
        {
            ["Fn::Join"] = new JsonArray("", new JsonArray("arn:", Ref("AWS::Partition"), ":s3:::", _s.Properties(Originals)["BucketName"]!.DeepClone())),
        };
        Assert.True(Same(fromS3["Condition"]!["ArnLike"]!["aws:SourceArn"], expectedArn), fromS3["Condition"]!.ToJsonString());
        Assert.False(Contains(fromS3, Ref(Originals)));
        Assert.False(Contains(fromS3, GetAtt(Originals, "Arn")));
        if (holder == "Uploads")
        {
            Assert.Single(statements, s => (string?)s!["Effect"] == "Allow");
        }
    }

    [Theory]
    [InlineData("ResizeQueue")]
    [InlineData("ThumbnailQueue")]
    public void StageQueuePolicy_Subscription_LetsOnlyTheUploadsTopicSend(string queuePath)
    {
        var queueId = _s.LogicalId(queuePath);
        var (policyId, _) = Assert.Single(_s.OfType("AWS::SQS::QueuePolicy"), p => Many(p.Resource["Properties"]!["Queues"]).Any(q => Same(q, Ref(queueId))));
        var statements = _s.Properties(policyId)["PolicyDocument"]!["Statement"]!.AsArray();
        Assert.Contains(statements, s =>
            (string?)s!["Effect"] == "Allow"
            && Strings(s["Action"]).SequenceEqual(["sqs:SendMessage"])
            && (string?)s["Principal"]?["Service"] == "sns.amazonaws.com"
            && Same(s["Resource"], GetAtt(queueId, "Arn"))
            && Same(s["Condition"]?["ArnEquals"]?["aws:SourceArn"], Ref(_s.LogicalId("Uploads"))));
    }

    [Theory]
    [InlineData("ResizeQueue", "resize", FunctionSizing.ResizeTimeoutSeconds, FunctionSizing.ResizeBatchSize)]
    [InlineData("ThumbnailQueue", "thumbnail", FunctionSizing.ThumbnailTimeoutSeconds, FunctionSizing.ThumbnailBatchSize)]
    public void StageQueue_Always_IsEncryptedWithDlqAndSixTimesTheTimeout(string queuePath, string handler, int timeoutSeconds, int batchSize)
    {
        var queueId = _s.LogicalId(queuePath);
        var queue = _s.Properties(queueId);
        Assert.True(queue["SqsManagedSseEnabled"]!.GetValue<bool>());
        // 14 days, as long as the dead-letter queue: SQS's default of 4 would drop events the catalog still waits for.
        Assert.Equal(FourteenDaysInSeconds, queue["MessageRetentionPeriod"]!.GetValue<int>());
        Assert.Equal(FourteenDaysInSeconds, _s.Properties(_s.LogicalId(queuePath + "Dlq"))["MessageRetentionPeriod"]!.GetValue<int>());
        Assert.Equal(6 * timeoutSeconds, queue["VisibilityTimeout"]!.GetValue<int>());
        Assert.True(queue["VisibilityTimeout"]!.GetValue<int>() >= 6 * Function(handler).Properties["Timeout"]!.GetValue<int>());
        Assert.Equal(5, queue["RedrivePolicy"]!["maxReceiveCount"]!.GetValue<int>());
        Assert.Equal(FunctionSizing.MaxReceiveCount, queue["RedrivePolicy"]!["maxReceiveCount"]!.GetValue<int>());
        var dlqId = _s.LogicalId(queuePath + "Dlq");
        Assert.True(Same(queue["RedrivePolicy"]!["deadLetterTargetArn"], GetAtt(dlqId, "Arn")));
        Assert.True(_s.Properties(dlqId)["SqsManagedSseEnabled"]!.GetValue<bool>());

        var subscription = Assert.Single(_s.OfType("AWS::SNS::Subscription"), s => Same(s.Resource["Properties"]!["Endpoint"], GetAtt(queueId, "Arn"))).Resource["Properties"]!;
        Assert.Equal("sqs", (string?)subscription["Protocol"]);
        Assert.True(subscription["RawMessageDelivery"]!.GetValue<bool>());

        var mapping = Assert.Single(_s.OfType("AWS::Lambda::EventSourceMapping"), m => Same(m.Resource["Properties"]!["EventSourceArn"], GetAtt(queueId, "Arn"))).Resource["Properties"]!;
        Assert.True(Same(mapping["FunctionName"], Ref(Function(handler).Id)));
        Assert.Equal(["ReportBatchItemFailures"], Strings(mapping["FunctionResponseTypes"]));
        Assert.Equal(FunctionSizing.StageMaxConcurrency, mapping["ScalingConfig"]!["MaximumConcurrency"]!.GetValue<int>());
        // One message per invocation: a crash counts a receive against the poison file only, not a whole batch.
        Assert.Equal(1, batchSize);
        Assert.Equal(1, mapping["BatchSize"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("ResizeQueue")]
    [InlineData("ThumbnailQueue")]
    public void DeadLetterQueue_Always_RedrivesToAnAlarmedParkingQueue(string queuePath)
    {
        var dlqId = _s.LogicalId(queuePath + "Dlq");
        var parkingId = _s.LogicalId(queuePath + "Parking");
        var dlq = _s.Properties(dlqId);
        Assert.True(Same(dlq["RedrivePolicy"]!["deadLetterTargetArn"], GetAtt(parkingId, "Arn")));
        // The receive count survives the move into the dead-letter queue: the source's 5 plus 3 for the deadletter function.
        Assert.Equal(FunctionSizing.MaxReceiveCount + 3, dlq["RedrivePolicy"]!["maxReceiveCount"]!.GetValue<int>());
        Assert.Equal(FunctionSizing.DeadLetterQueueMaxReceiveCount, dlq["RedrivePolicy"]!["maxReceiveCount"]!.GetValue<int>());
        Assert.True(dlq["VisibilityTimeout"]!.GetValue<int>() >= 6 * Function(ImagePipelineStack.DeadLetterHandler).Properties["Timeout"]!.GetValue<int>());

        var parking = _s.Properties(parkingId);
        Assert.True(parking["SqsManagedSseEnabled"]!.GetValue<bool>());
        Assert.Equal(FourteenDaysInSeconds, parking["MessageRetentionPeriod"]!.GetValue<int>());
        Assert.Null(parking["RedrivePolicy"]);
        Assert.DoesNotContain(_s.OfType("AWS::Lambda::EventSourceMapping"), m => Same(m.Resource["Properties"]!["EventSourceArn"], GetAtt(parkingId, "Arn")));

        var (policyId, _) = Assert.Single(_s.OfType("AWS::SQS::QueuePolicy"), p => Many(p.Resource["Properties"]!["Queues"]).Any(q => Same(q, Ref(parkingId))));
        Assert.Contains(_s.Properties(policyId)["PolicyDocument"]!["Statement"]!.AsArray(), st =>
            (string?)st!["Effect"] == "Deny" && (string?)st["Condition"]?["Bool"]?["aws:SecureTransport"] == "false");

        Assert.Single(_s.OfType("AWS::CloudWatch::Alarm"), a =>
            (string?)a.Resource["Properties"]!["MetricName"] == "ApproximateNumberOfMessagesVisible"
            && Contains(a.Resource["Properties"]!["Dimensions"], GetAtt(parkingId, "QueueName"))
            && a.Resource["Properties"]!["Threshold"]!.GetValue<double>() == 0
            && (string?)a.Resource["Properties"]!["ComparisonOperator"] == "GreaterThanThreshold");
    }

    [Fact]
    public void DeadLetterFunction_Always_DrainsBothDeadLetterQueuesIntoTheCatalog()
    {
        Assert.Contains(ImagePipelineStack.DeadLetterHandler, PipelineEnvironment.Handlers);
        var (id, function) = Function(ImagePipelineStack.DeadLetterHandler);
        Assert.Equal(FunctionSizing.DeadLetterMemoryMb, function["MemorySize"]!.GetValue<int>());
        Assert.Equal(FunctionSizing.DeadLetterTimeoutSeconds, function["Timeout"]!.GetValue<int>());

        var environment = function["Environment"]!["Variables"]!.AsObject();
        Assert.True(Same(environment[PipelineEnvironment.Table], Ref(Table)));
        Assert.Equal(FunctionSizing.MaxReceiveCount.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)environment[PipelineEnvironment.MaxReceives]);
        Assert.True(Same(environment[PipelineEnvironment.ResizeDeadLetterQueueArn], GetAtt(_s.LogicalId("ResizeQueueDlq"), "Arn")));
        Assert.True(Same(environment[PipelineEnvironment.ThumbnailDeadLetterQueueArn], GetAtt(_s.LogicalId("ThumbnailQueueDlq"), "Arn")));
        Assert.Null(environment[PipelineEnvironment.CursorKey]);

        var mappings = _s.OfType("AWS::Lambda::EventSourceMapping").Where(m => Same(m.Resource["Properties"]!["FunctionName"], Ref(id))).ToList();
        Assert.Equal(2, mappings.Count);
        foreach (var dlq in new[] { "ResizeQueueDlq", "ThumbnailQueueDlq" })
        {
            var mapping = Assert.Single(mappings, m => Same(m.Resource["Properties"]!["EventSourceArn"], GetAtt(_s.LogicalId(dlq), "Arn"))).Resource["Properties"]!;
            Assert.Equal(10, mapping["BatchSize"]!.GetValue<int>());
            Assert.Equal(["ReportBatchItemFailures"], Strings(mapping["FunctionResponseTypes"]));
        }

        // The stages' dead-letter queues feed nothing else.
        foreach (var dlq in new[] { "ResizeQueueDlq", "ThumbnailQueueDlq" })
        {
            Assert.Single(_s.OfType("AWS::Lambda::EventSourceMapping"), m => Same(m.Resource["Properties"]!["EventSourceArn"], GetAtt(_s.LogicalId(dlq), "Arn")));
        }
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
            // A dynamic reference to the generated secret: the value itself never appears in the template.
            var secretId = _s.LogicalId("CursorKey");
            Assert.True(Contains(environment[PipelineEnvironment.CursorKey], Ref(secretId)));
            Assert.True(AnyString(environment[PipelineEnvironment.CursorKey], s => s.StartsWith("{{resolve:secretsmanager:", StringComparison.Ordinal)));
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
        ], consumes: []);
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
    public void HttpApi_Default_IsThrottledLoggedAndWithoutCors()
    {
        _s.Template.ResourceCountIs("AWS::ApiGatewayV2::Api", 1);
        var (_, api) = Assert.Single(_s.OfType("AWS::ApiGatewayV2::Api"));
        // The page calls the API on its own origin (CloudFront): no CORS without development origins.
        Assert.Null(api["Properties"]!["CorsConfiguration"]);

        _s.Template.HasResourceProperties("AWS::ApiGatewayV2::Stage", Match.ObjectLike(new Dictionary<string, object>
        {
            ["StageName"] = "$default",
            ["AutoDeploy"] = true,
            ["DefaultRouteSettings"] = new Dictionary<string, object>
            {
                ["ThrottlingRateLimit"] = FunctionSizing.ApiRateLimit,
                ["ThrottlingBurstLimit"] = FunctionSizing.ApiBurstLimit,
            },
            ["AccessLogSettings"] = Match.ObjectLike(new Dictionary<string, object> { ["Format"] = Match.AnyValue() }),
        }));
        _s.Template.HasResourceProperties("AWS::ApiGatewayV2::Integration", Match.ObjectLike(new Dictionary<string, object>
        {
            ["IntegrationType"] = "AWS_PROXY",
            ["PayloadFormatVersion"] = "2.0",
        }));
        Assert.Empty(_s.OfType("AWS::Lambda::Url"));
    }

    [Fact]
    public void WebPage_BehindCloudFront_SharesTheApiOriginWithoutBucketOrHelper()
    {
        var distribution = _s.Properties(_s.LogicalId("WebDistribution"))["DistributionConfig"]!;
        // One origin, the HTTP API, over HTTPS: the api function serves the page (outside /v1) and the API.
        var origin = Assert.Single(distribution["Origins"]!.AsArray())!;
        Assert.True(Contains(origin["DomainName"], Ref(_s.LogicalId("HttpApi"))));
        Assert.True(AnyString(origin["DomainName"], s => s == ".execute-api."));
        Assert.Equal("https-only", (string?)origin["CustomOriginConfig"]!["OriginProtocolPolicy"]);
        Assert.Equal(["TLSv1.2"], Strings(origin["CustomOriginConfig"]!["OriginSSLProtocols"]));
        Assert.Null(origin["S3OriginConfig"]);
        Assert.Empty(_s.OfType("AWS::CloudFront::OriginAccessControl"));
        Assert.Empty(_s.OfType("Custom::CDKBucketDeployment"));
        Assert.Empty(_s.OfType("AWS::Lambda::LayerVersion"));

        const string cachingDisabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
        const string allViewerExceptHostHeader = "b689b0a8-53d0-40ab-baf2-68738e2966ac";
        var headersPolicy = Ref(Assert.Single(_s.OfType("AWS::CloudFront::ResponseHeadersPolicy")).Id);

        // /v1/*: never cached, every method, every viewer header but Host (API Gateway needs its own).
        var api = Assert.Single(distribution["CacheBehaviors"]!.AsArray())!;
        Assert.Equal("/v1/*", (string?)api["PathPattern"]);
        Assert.Equal(["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"], Strings(api["AllowedMethods"]));
        Assert.Equal(cachingDisabled, (string?)api["CachePolicyId"]);
        Assert.Equal(allViewerExceptHostHeader, (string?)api["OriginRequestPolicyId"]);
        Assert.Equal("https-only", (string?)api["ViewerProtocolPolicy"]);
        Assert.True(Same(api["ResponseHeadersPolicyId"], headersPolicy));

        // Everything else is the page: the function's no-cache and ETag decide (nothing is stored at the edge for longer
        // than the origin allows), conditional requests reach the function, and the security headers are added.
        var page = distribution["DefaultCacheBehavior"]!;
        Assert.Equal(["GET", "HEAD"], Strings(page["AllowedMethods"]));
        Assert.Equal("redirect-to-https", (string?)page["ViewerProtocolPolicy"]);
        Assert.Equal(allViewerExceptHostHeader, (string?)page["OriginRequestPolicyId"]);
        Assert.True(Same(page["ResponseHeadersPolicyId"], headersPolicy));
        var (cacheId, cache) = Assert.Single(_s.OfType("AWS::CloudFront::CachePolicy"));
        Assert.True(Same(page["CachePolicyId"], Ref(cacheId)));
        var cacheConfig = cache["Properties"]!["CachePolicyConfig"]!;
        Assert.Equal(0, cacheConfig["MinTTL"]!.GetValue<int>());
        Assert.Equal(0, cacheConfig["DefaultTTL"]!.GetValue<int>());
        Assert.Null(distribution["DefaultRootObject"]);

        // No page bucket: the three buckets are originals, derived and access logs.
        Assert.DoesNotContain(_s.Stack.Node.Children, c => c.Node.Id == "Web");
    }

    [Fact]
    public void WebPage_Headers_CarryTheCspTheFunctionSends()
    {
        var headers = Assert.Single(_s.OfType("AWS::CloudFront::ResponseHeadersPolicy")).Resource["Properties"]!["ResponseHeadersPolicyConfig"]!["SecurityHeadersConfig"]!;
        var csp = headers["ContentSecurityPolicy"]!;
        Assert.True(csp["Override"]!.GetValue<bool>());
        Assert.Equal("DENY", (string?)headers["FrameOptions"]!["FrameOption"]);
        Assert.Equal("no-referrer", (string?)headers["ReferrerPolicy"]!["ReferrerPolicy"]);
        Assert.True(headers["ContentTypeOptions"]!["Override"]!.GetValue<bool>());
        Assert.Equal(31536000, headers["StrictTransportSecurity"]!["AccessControlMaxAgeSec"]!.GetValue<int>());

        // The api function gets the same policy (for the page requested from the API's own URL) and its page folder.
        var environment = Function("api").Properties["Environment"]!["Variables"]!;
        Assert.True(Same(environment[ImagePipelineStack.WebContentSecurityPolicyVariable], csp["ContentSecurityPolicy"]));
        Assert.Equal("wwwroot", (string?)environment[ImagePipelineStack.WebRootVariable]);

        // …which is the policy the page responder builds for the region's S3 hosts.
        var resolved = Resolve(csp["ContentSecurityPolicy"]!, new() { ["AWS::Region"] = "eu-west-1", ["AWS::URLSuffix"] = "amazonaws.com" });
        Assert.Equal(ImagePipeline.Http.StaticPage.ContentSecurityPolicy(ImagePipeline.Http.StaticPage.S3Sources("eu-west-1")), resolved);
        Assert.StartsWith("default-src 'self';", resolved, StringComparison.Ordinal);
        Assert.Contains("object-src 'none'", resolved, StringComparison.Ordinal);
        Assert.DoesNotContain("execute-api", resolved, StringComparison.Ordinal);
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

    private static string Resolve(JsonNode node, Dictionary<string, string> pseudo) => node switch
    {
        JsonValue v => v.GetValue<string>(),
        JsonObject o when o["Ref"] is { } r => pseudo[r.GetValue<string>()],
        JsonObject o when o["Fn::Join"] is JsonArray join =>
            string.Join(join[0]!.GetValue<string>(), join[1]!.AsArray().Select(p => Resolve(p!, pseudo))),
        _ => throw new InvalidOperationException("Cannot resolve " + node.ToJsonString()),
    };

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
        Assert.Equal(["ApiUrl", "DerivedBucketName", "OriginalsBucketName", "TableName", "WebUrl"], outputs.Select(o => o.Key).Order(StringComparer.Ordinal));
        Assert.True(Same(outputs["TableName"]!["Value"], Ref(Table)));
        Assert.True(Same(outputs["ApiUrl"]!["Value"], GetAtt(_s.LogicalId("HttpApi"), "ApiEndpoint")));
        Assert.True(Contains(outputs["WebUrl"]!["Value"], GetAtt(_s.LogicalId("WebDistribution"), "DomainName")));
    }
}
