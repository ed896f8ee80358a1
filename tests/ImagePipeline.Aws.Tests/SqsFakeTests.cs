using Amazon.SQS.Model;
using ImagePipeline.Emulators;

namespace ImagePipeline.Aws.Tests;

/// <summary>
/// The SQS semantics the other tests lean on, checked through the real SDK client: on the fixture's fake, or on
/// LocalStack (its container, or AWS_ENDPOINT_URL) when the fixture chose it (the same assertions hold for both).
/// </summary>
[Collection(EmulatorCollection.Name)]
[Trait("Category", "Integration")]
public sealed class SqsFakeTests(AwsEmulators emulators)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<ReceiveMessageResponse> ReceiveAsync(Uri queue, int visibilitySeconds, int wait = 0) =>
        emulators.Sqs.ReceiveMessageAsync(
            new ReceiveMessageRequest
            {
                QueueUrl = queue.ToString(), MaxNumberOfMessages = 10, VisibilityTimeout = visibilitySeconds, WaitTimeSeconds = wait,
                MessageSystemAttributeNames = ["ApproximateReceiveCount"],
            },
            Ct);

    [Fact]
    public async Task ReceiveMessage_NotDeletedWithinTheVisibilityTimeout_DeliveredAgainWithItsReceiveCount()
    {
        var (queue, _) = await emulators.CreateQueueAsync("fake", Ct);
        await emulators.Sqs.SendMessageAsync(queue.ToString(), "hello", Ct);

        var first = Assert.Single((await ReceiveAsync(queue, visibilitySeconds: 1)).Messages);
        Assert.Empty((await ReceiveAsync(queue, visibilitySeconds: 1)).Messages ?? []);
        var second = Assert.Single((await ReceiveAsync(queue, visibilitySeconds: 30, wait: 5)).Messages);

        Assert.Equal(("hello", "1"), (first.Body, first.Attributes["ApproximateReceiveCount"]));
        Assert.Equal(("hello", "2", first.MessageId), (second.Body, second.Attributes["ApproximateReceiveCount"], second.MessageId));
        await emulators.Sqs.DeleteMessageAsync(queue.ToString(), second.ReceiptHandle, Ct);
        Assert.Empty((await ReceiveAsync(queue, visibilitySeconds: 0)).Messages ?? []);
    }

    [Fact]
    public async Task ReceiveMessage_LongPoll_ReturnsAsSoonAsAMessageArrives()
    {
        var (queue, _) = await emulators.CreateQueueAsync("fake", Ct);
        var started = System.Diagnostics.Stopwatch.StartNew();

        // SQS's longest wait, so that "as soon as" and "at the end of the wait" stay far apart on a loaded machine.
        var receive = ReceiveAsync(queue, visibilitySeconds: 30, wait: 20);
        await Task.Delay(200, Ct);
        await emulators.Sqs.SendMessageAsync(queue.ToString(), "late", Ct);

        Assert.Equal("late", Assert.Single((await receive).Messages).Body);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(15), $"the long poll took {started.Elapsed}");
    }

    [Fact]
    public async Task GetQueueUrl_AndAnUnknownQueue_AnswerAsSqsDoes()
    {
        var (queue, arn) = await emulators.CreateQueueAsync("fake", Ct);
        var name = queue.Segments[^1];

        Assert.Equal(queue.ToString(), (await emulators.Sqs.GetQueueUrlAsync(name, Ct)).QueueUrl);
        Assert.EndsWith(":" + name, arn, StringComparison.Ordinal);
        await Assert.ThrowsAsync<QueueDoesNotExistException>(() => emulators.Sqs.GetQueueUrlAsync(name + "-missing", Ct));
    }
}
