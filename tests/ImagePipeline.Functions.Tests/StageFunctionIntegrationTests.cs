using System.Text.Json;
using Amazon.DynamoDBv2.Model;
using ImagePipeline.Core;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Storage;
using ImagePipeline.Emulators;

namespace ImagePipeline.Functions.Tests;

/// <summary>The published bootstrap serving the resize and thumbnail functions against the emulators.</summary>
[Collection(BootstrapCollection.Name)]
[Trait("Category", "Integration")]
public sealed class StageFunctionIntegrationTests(AotPackage package, AwsEmulators emulators)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static bool IsWebp(byte[]? data) =>
        data is { Length: > 12 } && data.AsSpan(0, 4).SequenceEqual("RIFF"u8) && data.AsSpan(8, 4).SequenceEqual("WEBP"u8);

    [Fact]
    public async Task Resize_BatchOfPhotos_CatalogDoneRenditionsWrittenJsonLogsAndMetrics()
    {
        var deployment = await Deployment.CreateAsync(emulators, Token);
        var (camera, cameraBody) = await deployment.SeedAsync("photos/camera-gps.jpg", Token);
        var (tiny, tinyBody) = await deployment.SeedAsync("photos/tiny.jpg", Token);
        await using var function = BootstrapProcess.Start(package.Bootstrap, deployment.Environment("resize"));

        var result = await function.InvokeAsync(Deployment.SqsBatch(("m-camera", cameraBody, 1), ("m-tiny", tinyBody, 1)));

        Assert.False(result.IsError, result.Body + function.Output);
        Assert.Empty(Deployment.Failures(result.Body));
        var record = (await deployment.Catalog.GetAsync(camera, Token))!;
        Assert.Equal(StageState.Done, record.ResizeState);
        Assert.Equal(StageState.Pending, record.ThumbnailState);
        Assert.Equal(["w320", "w640", "w1280", "w2048"], record.Renditions!.Select(r => r.Name));
        Assert.NotNull(record.Metadata?.Gps);
        foreach (var rendition in record.Renditions!)
        {
            Assert.Equal(ObjectKeys.Rendition(camera, 1, rendition.Name), rendition.Key);
            Assert.True(IsWebp(await deployment.DerivedAsync(rendition.Key, Token)), $"{rendition.Key} is not a WebP in the derived bucket");
        }

        var tinyRecord = (await deployment.Catalog.GetAsync(tiny, Token))!;
        Assert.Equal(["w320"], tinyRecord.Renditions!.Select(r => r.Name));
        Assert.Equal(160, tinyRecord.Renditions![0].Width);

        // Structured logs: every stdout line is one JSON object; the stage lines carry the request id. Stopped first,
        // so every line the process wrote has been read.
        await function.StopAsync();
        Assert.All(function.Lines.Where(l => !l.StartsWith("[stderr]", StringComparison.Ordinal)), l => Assert.StartsWith("{", l, StringComparison.Ordinal));
        var stageLines = function.JsonLines.Where(l => l.TryGetProperty("messageTemplate", out var t) && t.GetString()!.StartsWith("Stage ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, stageLines.Count);
        Assert.All(stageLines, l => Assert.Equal(result.RequestId, l.GetProperty("requestId").GetString()));
        Assert.All(stageLines, l => Assert.Equal("done", l.GetProperty("properties").GetProperty("Outcome").GetString()));
        var metrics = function.JsonLines.Where(l => l.TryGetProperty("_aws", out _) && l.TryGetProperty("ImagesProcessed", out _)).ToList();
        Assert.Equal(2, metrics.Count);
        Assert.All(metrics, m => Assert.Equal("resize", m.GetProperty("Function").GetString()));

        // Both connections were opened during init, before the first event.
        var opened = Assert.Single(function.JsonLines, l => Template(l).StartsWith("Connections opened during init", StringComparison.Ordinal));
        Assert.Equal("catalog,originals", opened.GetProperty("properties").GetProperty("Services").GetString());
    }

    [Fact]
    public async Task Resize_CatalogUnreachableDuringInit_InitCompletesWithAWarningAndTheMessageIsRetried()
    {
        var deployment = await Deployment.CreateAsync(emulators, Token);
        var (_, body) = await deployment.SeedAsync("photos/tiny.jpg", Token);
        var environment = deployment.Environment("resize");
        environment["AWS_ENDPOINT_URL_DYNAMODB"] = $"http://127.0.0.1:{ClosedLoopbackPort()}";
        await using var function = BootstrapProcess.Start(package.Bootstrap, environment);

        var result = await function.InvokeAsync(Deployment.SqsBatch(("m-unreachable", body, 1)));

        // The failed priming read did not fail the init: the event was served, and its message goes back for a retry.
        Assert.False(function.Runtime.InitError.IsCompleted, function.Output);
        Assert.False(result.IsError, result.Body + function.Output);
        Assert.Equal(["m-unreachable"], Deployment.Failures(result.Body));
        await function.StopAsync();
        var warning = Assert.Single(function.JsonLines, l => Template(l).StartsWith("Opening the {Service} connection during init failed", StringComparison.Ordinal));
        Assert.Equal("Warning", warning.GetProperty("level").GetString());
        Assert.Equal("catalog", warning.GetProperty("properties").GetProperty("Service").GetString());
    }

    private static string Template(JsonElement line) => line.TryGetProperty("messageTemplate", out var template) ? template.GetString()! : "";

    private static int ClosedLoopbackPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Fact]
    public async Task Thumbnail_Batch_ThumbnailWrittenAndRecorded()
    {
        var deployment = await Deployment.CreateAsync(emulators, Token);
        var (id, body) = await deployment.SeedAsync("photos/portrait-6.jpg", Token);
        await using var function = BootstrapProcess.Start(package.Bootstrap, deployment.Environment("thumbnail"));

        var result = await function.InvokeAsync(Deployment.SqsBatch(("m1", body, 1), ("m-test", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "events", "s3-test-event.json")), 1)));

        Assert.False(result.IsError, result.Body + function.Output);
        Assert.Empty(Deployment.Failures(result.Body));
        var record = (await deployment.Catalog.GetAsync(id, Token))!;
        Assert.Equal((StageState.Pending, StageState.Done), (record.ResizeState, record.ThumbnailState));
        Assert.Equal((256, 256), (record.Thumbnail!.Width, record.Thumbnail.Height));
        Assert.Equal(ObjectKeys.Thumbnail(id, 1, 256), record.Thumbnail.Key);
        Assert.True(IsWebp(await deployment.DerivedAsync(record.Thumbnail.Key, Token)));
        Assert.Equal((1200, 1800), (record.Original!.Width, record.Original.Height));
        await function.StopAsync();
    }

    [Fact]
    public async Task Resize_OneMessageFailsUnexpectedly_ExactlyThatItemReturned()
    {
        var deployment = await Deployment.CreateAsync(emulators, Token);
        var (good, goodBody) = await deployment.SeedAsync("photos/tiny.jpg", Token);
        var (broken, brokenBody) = await deployment.SeedAsync("photos/orientation-1.jpg", Token);

        // A real failure of the real table, for this item only: its record lacks the errors map every stage update
        // writes into, so DynamoDB refuses the update. The stage cannot tell this from any other storage failure, so
        // it must hand the message back to SQS rather than acknowledge it.
        await emulators.DynamoDb.UpdateItemAsync(
            new UpdateItemRequest
            {
                TableName = deployment.Table,
                Key = new() { ["id"] = new AttributeValue { S = ImageIds.Format(broken) } },
                UpdateExpression = "REMOVE errors",
            },
            Token);
        await using var function = BootstrapProcess.Start(package.Bootstrap, deployment.Environment("resize"));

        var result = await function.InvokeAsync(Deployment.SqsBatch(("m-good", goodBody, 1), ("m-broken", brokenBody, 2)));

        Assert.False(result.IsError, result.Body + function.Output);
        Assert.Equal(["m-broken"], Deployment.Failures(result.Body));
        Assert.Equal(StageState.Done, (await deployment.Catalog.GetAsync(good, Token))!.ResizeState);
        Assert.Equal(StageState.Pending, (await deployment.Catalog.GetAsync(broken, Token))!.ResizeState);
        await function.StopAsync();
        var retry = Assert.Single(function.JsonLines, l => l.TryGetProperty("TransientFailures", out _));
        Assert.Equal("resize", retry.GetProperty("Function").GetString());
    }

    [Fact]
    public async Task Resize_PoisonImages_RecordedFailedWithTheirCodesAndNotRetried()
    {
        var deployment = await Deployment.CreateAsync(emulators, Token);
        var (truncated, truncatedBody) = await deployment.SeedAsync("broken/broken-truncated.jpg", Token);
        var (text, textBody) = await deployment.SeedAsync("broken/broken-text.jpg", Token);
        var (bomb, bombBody) = await deployment.SeedAsync("broken/bomb-120mp.png", Token);
        await using var function = BootstrapProcess.Start(package.Bootstrap, deployment.Environment("resize"));

        var result = await function.InvokeAsync(Deployment.SqsBatch(("m1", truncatedBody, 1), ("m2", textBody, 1), ("m3", bombBody, 1)));

        Assert.False(result.IsError, result.Body + function.Output);
        Assert.Empty(Deployment.Failures(result.Body));
        foreach (var (id, code) in new[] { (truncated, "corrupt_image"), (text, "unsupported_format"), (bomb, "too_many_pixels") })
        {
            var record = (await deployment.Catalog.GetAsync(id, Token))!;
            Assert.Equal((StageState.Failed, code), (record.ResizeState, record.ResizeError?.Code));
            Assert.Equal(ImageStatus.Failed, record.Status);
        }

        await function.StopAsync();
        var failures = function.JsonLines.Where(l => l.TryGetProperty("ImagesFailed", out _)).Select(l => l.GetProperty("ErrorCode").GetString()).Order();
        Assert.Equal(["corrupt_image", "too_many_pixels", "unsupported_format"], failures);
    }

    [Fact]
    public async Task Stage_EventIsNotAnSqsBatch_InvocationErrorAndNextEventStillServed()
    {
        var deployment = await Deployment.CreateAsync(emulators, Token);
        await using var function = BootstrapProcess.Start(package.Bootstrap, deployment.Environment("thumbnail"));

        var error = await function.InvokeAsync("[1,2,3]");
        var next = await function.InvokeAsync(Deployment.SqsBatch());

        Assert.True(error.IsError);
        using var body = JsonDocument.Parse(error.Body);
        Assert.Equal("JsonException", body.RootElement.GetProperty("errorType").GetString());
        Assert.False(next.IsError);
        Assert.Empty(Deployment.Failures(next.Body));
        await function.StopAsync();
    }

    [Fact]
    public async Task Bootstrap_MissingTableName_InitErrorNamesTheVariableAndProcessExits()
    {
        var deployment = await Deployment.CreateAsync(emulators, Token);
        var environment = deployment.Environment("resize");
        environment.Remove("IMAGEPIPELINE_TABLE");
        await using var function = BootstrapProcess.Start(package.Bootstrap, environment);

        var error = await function.Runtime.InitError.WaitAsync(TimeSpan.FromSeconds(30), Token);
        var exitCode = await function.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("Runtime.ConfigInvalid", error.ErrorType);
        using var body = JsonDocument.Parse(error.Body);
        Assert.Contains("IMAGEPIPELINE_TABLE", body.RootElement.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
        Assert.Equal("FunctionConfigurationException", body.RootElement.GetProperty("errorType").GetString());
        Assert.NotEqual(0, exitCode);
        await function.StopAsync();
        Assert.Contains(function.JsonLines, l => l.GetProperty("level").GetString() == "Error" && l.GetProperty("message").GetString()!.Contains("IMAGEPIPELINE_TABLE", StringComparison.Ordinal));
    }
}
