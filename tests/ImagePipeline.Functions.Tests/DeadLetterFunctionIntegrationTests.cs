using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using ImagePipeline.Core;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Events;
using ImagePipeline.Core.Storage;
using ImagePipeline.Emulators;
using ImagePipeline.Functions.Handlers;

namespace ImagePipeline.Functions.Tests;

/// <summary>The published bootstrap serving the deadletter function against the emulators.</summary>
[Collection(BootstrapCollection.Name)]
[Trait("Category", "Integration")]
public sealed class DeadLetterFunctionIntegrationTests(AotPackage package, AwsEmulators emulators)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DeadLetter_MixedBatch_StuckStageFailedDoneStageKeptMalformedAckedUnknownAndUnwritableReturned()
    {
        var deployment = await Deployment.CreateAsync(emulators, Token);

        // An image whose thumbnail is done but whose resize never finished: the resize process died on every receive.
        var (stuck, stuckBody) = await deployment.SeedAsync("photos/tiny.jpg", Token);
        var etag = Assert.Single(S3EventParser.Parse(stuckBody)).ETag;
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(StageWriteResult.Applied, await deployment.Catalog.ApplyStageAsync(
            new StageOutcome(stuck, Stage.Thumbnail, etag, StageState.Done, new OriginalFacts("jpeg", 160, 120, 7107), null, null,
                new DerivedFacts("thumbnail", 256, 256, "webp", 1234, ObjectKeys.Thumbnail(stuck, 1, 256)), null, now, 1), Token));
        Assert.Equal(ImageStatus.Processing, (await deployment.Catalog.GetAsync(stuck, Token))!.Status);

        // An image whose record the table refuses to update (no errors map): recording its dead letter must fail.
        var (unwritable, unwritableBody) = await deployment.SeedAsync("photos/orientation-1.jpg", Token);
        await emulators.DynamoDb.UpdateItemAsync(
            new UpdateItemRequest
            {
                TableName = deployment.Table,
                Key = new() { ["id"] = new AttributeValue { S = ImageIds.Format(unwritable) } },
                UpdateExpression = "REMOVE errors",
            },
            Token);
        var (other, otherBody) = await deployment.SeedAsync("photos/orientation-2.jpg", Token);
        await using var function = BootstrapProcess.Start(package.Bootstrap, deployment.Environment("deadletter"));

        var result = await function.InvokeAsync(Deployment.SqsBatchFrom(
            ("m-stuck", stuckBody, 6, deployment.ResizeDeadLetterQueueArn),
            ("m-done", stuckBody, 6, deployment.ThumbnailDeadLetterQueueArn),
            ("m-malformed", "{\"Records\":[null]}", 6, deployment.ResizeDeadLetterQueueArn),
            ("m-unknown", otherBody, 6, "arn:aws:sqs:us-east-1:000000000000:not-a-dead-letter-queue"),
            ("m-unwritable", unwritableBody, 6, deployment.ResizeDeadLetterQueueArn)));

        Assert.False(result.IsError, result.Body + function.Output);
        Assert.Equal(["m-unknown", "m-unwritable"], Deployment.Failures(result.Body));

        var record = (await deployment.Catalog.GetAsync(stuck, Token))!;
        Assert.Equal((StageState.Failed, "internal"), (record.ResizeState, record.ResizeError?.Code));
        Assert.Contains("dead-letter queue after 5 receives", record.ResizeError!.Message, StringComparison.Ordinal);
        Assert.Equal(StageState.Done, record.ThumbnailState);
        Assert.Null(record.ThumbnailError);
        Assert.Equal(ImageStatus.Failed, record.Status);
        Assert.Equal((StageState.Pending, StageState.Pending), StatesOf((await deployment.Catalog.GetAsync(unwritable, Token))!));
        Assert.Equal((StageState.Pending, StageState.Pending), StatesOf((await deployment.Catalog.GetAsync(other, Token))!));

        await function.StopAsync();
        var metrics = function.JsonLines.Where(l => l.TryGetProperty("_aws", out _) && l.TryGetProperty(DeadLetterFunction.RecordedMetric, out _)).ToList();
        var metric = Assert.Single(metrics);
        Assert.Equal(("deadletter", "resize", 1.0), (metric.GetProperty("Function").GetString(), metric.GetProperty("Stage").GetString(), metric.GetProperty(DeadLetterFunction.RecordedMetric).GetDouble()));
        Assert.Equal("ImagePipeline", metric.GetProperty("_aws").GetProperty("CloudWatchMetrics")[0].GetProperty("Namespace").GetString());
        // The invocation's error lines (the loop's own "Runtime API went away" at the stop is not one of them): the
        // failure recorded, the unreadable message dropped, the message from a queue that is no dead-letter queue.
        var errors = function.JsonLines
            .Where(l => l.TryGetProperty("level", out var level) && level.GetString() == "Error" && l.TryGetProperty("requestId", out var id) && id.GetString() == result.RequestId)
            .ToList();
        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.GetProperty("message").GetString()!.Contains("gave-up", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.GetProperty("message").GetString()!.Contains("malformed", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.GetProperty("message").GetString()!.Contains("not-a-dead-letter-queue", StringComparison.Ordinal));
        Assert.DoesNotContain(function.JsonLines, l => l.TryGetProperty("ImagesProcessed", out _) || l.TryGetProperty("ImagesFailed", out _));
    }

    [Fact]
    public async Task DeadLetter_MissingQueueArn_InitErrorNamesIt()
    {
        var deployment = await Deployment.CreateAsync(emulators, Token);
        var environment = deployment.Environment("deadletter");
        environment.Remove("IMAGEPIPELINE_THUMBNAIL_DLQ_ARN");
        await using var function = BootstrapProcess.Start(package.Bootstrap, environment);

        var error = await function.Runtime.InitError.WaitAsync(TimeSpan.FromSeconds(30), Token);

        Assert.Equal("Runtime.ConfigInvalid", error.ErrorType);
        using var body = JsonDocument.Parse(error.Body);
        Assert.Contains("IMAGEPIPELINE_THUMBNAIL_DLQ_ARN", body.RootElement.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
        Assert.NotEqual(0, await function.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        await function.StopAsync();
    }

    private static (StageState Resize, StageState Thumbnail) StatesOf(ImageRecord record) => (record.ResizeState, record.ThumbnailState);
}
