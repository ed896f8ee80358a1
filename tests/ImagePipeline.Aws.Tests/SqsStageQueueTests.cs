using Amazon.SQS;
using Amazon.SQS.Model;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Events;
using ImagePipeline.Core.Storage;
using ImagePipeline.Emulators;

namespace ImagePipeline.Aws.Tests;

/// <summary>
/// The SQS stage queue against a real SQS endpoint: the fixture's SQS fake (AWS JSON 1.0, as SDK v4 speaks it), or
/// LocalStack's SQS when the fixture chose LocalStack. What was sent is read back with ReceiveMessage, as the stage's
/// event source mapping would.
/// </summary>
[Collection(EmulatorCollection.Name)]
[Trait("Category", "Integration")]
public sealed class SqsStageQueueTests(AwsEmulators emulators)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<SqsStageQueue> CreateQueueAsync(IAmazonSQS? client = null)
    {
        var resize = await emulators.CreateQueueAsync("resize", Ct);
        var thumbnail = await emulators.CreateQueueAsync("thumbnail", Ct);
        return new SqsStageQueue(client ?? emulators.Sqs, resize.Url, thumbnail.Url);
    }

    private async Task<List<Message>> ReceiveAllAsync(Uri queueUrl)
    {
        var messages = new List<Message>();
        while (true)
        {
            var response = await emulators.Sqs.ReceiveMessageAsync(
                new ReceiveMessageRequest { QueueUrl = queueUrl.ToString(), MaxNumberOfMessages = 10, WaitTimeSeconds = 0, MessageSystemAttributeNames = ["All"] },
                Ct);
            if (response.Messages is not { Count: > 0 } received)
            {
                return messages;
            }

            messages.AddRange(received);
            foreach (var message in received)
            {
                await emulators.Sqs.DeleteMessageAsync(queueUrl.ToString(), message.ReceiptHandle, Ct);
            }
        }
    }

    private static string Event(string etag = "9e107d9d372bb6826bd81d3542a419d6") =>
        S3EventParser.Serialize(
            new ObjectCreated("originals-bucket", ObjectKeys.Original(Guid.CreateVersion7()), 1234, etag, null, Reprocess: true),
            DateTimeOffset.UtcNow);

    [Fact]
    public async Task SendAsync_EachStage_OnlyThatStagesQueueReceivesTheBodyIntact()
    {
        var queue = await CreateQueueAsync();
        var resizeBody = Event();
        var thumbnailBody = Event() + " \u00e9\u00e8 \U0001F600 \"quoted\" \\ </xml> & <";

        await queue.SendAsync(Stage.Resize, resizeBody, Ct);
        await queue.SendAsync(Stage.Thumbnail, thumbnailBody, Ct);

        var resize = Assert.Single(await ReceiveAllAsync(queue.QueueUrlOf(Stage.Resize)));
        Assert.Equal(resizeBody, resize.Body);
        Assert.Equal("1", resize.Attributes["ApproximateReceiveCount"]);
        var thumbnail = Assert.Single(await ReceiveAllAsync(queue.QueueUrlOf(Stage.Thumbnail)));
        Assert.Equal(thumbnailBody, thumbnail.Body);

        // What the stage will read: the reprocess marker survives the trip.
        var created = Assert.Single(S3EventParser.Parse(resize.Body));
        Assert.True(created.Reprocess);
    }

    [Fact]
    public async Task SendAsync_BodyNearSqsLimit_ArrivesWhole()
    {
        var queue = await CreateQueueAsync();
        var body = Event() + new string(' ', SqsStageQueue.MaxBodyBytes - Event().Length - 16);

        await queue.SendAsync(Stage.Resize, body, Ct);

        Assert.Equal(body, Assert.Single(await ReceiveAllAsync(queue.QueueUrlOf(Stage.Resize))).Body);
    }

    [Fact]
    public async Task SendAsync_BodyOverSqsLimit_RefusedBeforeSending()
    {
        var queue = await CreateQueueAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => queue.SendAsync(Stage.Resize, new string('x', SqsStageQueue.MaxBodyBytes + 1), Ct));

        Assert.Empty(await ReceiveAllAsync(queue.QueueUrlOf(Stage.Resize)));
    }

    [Fact]
    public async Task SendAsync_QueueDoesNotExist_NotTransient()
    {
        var missing = new Uri(emulators.SqsEndpoint, "000000000000/no-such-queue-" + Guid.NewGuid().ToString("N"));
        var queue = new SqsStageQueue(emulators.Sqs, missing, missing);

        var thrown = await Assert.ThrowsAnyAsync<Exception>(() => queue.SendAsync(Stage.Thumbnail, Event(), Ct));

        // A deployment mistake: retrying sends the same request to the same refusal.
        Assert.IsType<QueueDoesNotExistException>(thrown);
    }

    [Fact]
    public async Task SendAsync_ThrottlingServerErrorsResetsAndLostAnswers_AllTransientAndLostOnesStillDelivered()
    {
        // Every request fails, one of the SQS kinds each (seeded), with the SDK's retries off so each reaches the queue.
        var faults = new FaultInjector(seed: 20261206, rate: 1.0);
        using var client = emulators.CreateSqsClient(config => faults.Configure(config, FaultService.Sqs));
        var queue = await CreateQueueAsync(client);
        const int sends = 24;

        for (var i = 0; i < sends; i++)
        {
            var error = await Assert.ThrowsAsync<TransientStorageException>(() => queue.SendAsync(Stage.Resize, Event(), Ct));
            Assert.Contains("resize queue", error.Message, StringComparison.Ordinal);
            Assert.NotNull(error.InnerException);
        }

        // The SDK resends on a dropped connection by itself (even with retries off), so a send may meet two faults.
        Assert.InRange(faults.InjectedTotal, sends, 2 * sends);
        Assert.Equal(4, faults.Injected.Count);

        // A lost answer is a message sent all the same: why the stages must take duplicates.
        var lost = faults.Injected.GetValueOrDefault("sqs lost-response");
        Assert.True(lost > 0);
        Assert.Equal(lost, (await ReceiveAllAsync(queue.QueueUrlOf(Stage.Resize))).Count);
    }

    [Fact]
    public async Task SendAsync_CallerCancelled_CancellationNotTransient()
    {
        var queue = await CreateQueueAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queue.SendAsync(Stage.Resize, Event(), cancelled.Token));
    }

    [Fact]
    public void Constructor_NotAQueueUrl_Refused()
    {
        var good = new Uri("https://sqs.us-east-1.amazonaws.com/123456789012/resize");

        Assert.Throws<ArgumentException>(() => new SqsStageQueue(emulators.Sqs, new Uri("resize", UriKind.Relative), good));
        Assert.Throws<ArgumentException>(() => new SqsStageQueue(emulators.Sqs, good, new Uri("ftp://example.com/thumbnail")));
        Assert.Equal(good, new SqsStageQueue(emulators.Sqs, good, good).QueueUrlOf(Stage.Thumbnail));
    }
}
