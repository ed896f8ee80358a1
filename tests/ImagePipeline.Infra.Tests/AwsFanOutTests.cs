using System.Text.Json.Nodes;
using ImagePipeline.Core.Services;
using static ImagePipeline.Infra.Tests.TemplateJson;

namespace ImagePipeline.Infra.Tests;

/// <summary>The default stack's fan-out: the native notification, the publish policies, the stage, dead-letter and parking queues.</summary>
[Trait("Category", "Integration")]
public sealed class AwsFanOutTests(SynthesizedStacks stacks)
{
    private const int FourteenDaysInSeconds = 14 * 24 * 3600;

    private readonly Synthesized _s = stacks.Aws;

    private string Originals => _s.LogicalId("Originals");
    private string Table => _s.LogicalId("Images");

    private (string Id, JsonObject Properties) Function(string handler)
    {
        var (id, resource) = Assert.Single(_s.OfType("AWS::Lambda::Function"), f => (string?)f.Resource["Properties"]!["Handler"] == handler);
        return (id, resource["Properties"]!.AsObject());
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
}
