using Amazon.SQS.Model;
using ImagePipeline.Emulators;

namespace ImagePipeline.Aws.Tests;

/// <summary>
/// The fixture's LocalStack container serves what the other tests create: buckets, a table, queues whose URLs reach it
/// and whose ARNs are the ones the tests compute. Skipped, with the fixture's reason, wherever the fixture chose
/// something else (no Docker engine, or AWS_ENDPOINT_URL set).
/// </summary>
[Collection(EmulatorCollection.Name)]
[Trait("Category", "Integration")]
public sealed class LocalStackContainerTests(AwsEmulators emulators)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Fixture_DockerAnswers_LocalStackServesTheBucketsTableAndQueues()
    {
        Assert.SkipWhen(emulators.Choice.Backend != EmulatorBackend.LocalStackContainer, emulators.Choice.ToString());

        var buckets = await emulators.CreateBucketsAsync(Ct);
        var table = await emulators.CreateTableAsync(Ct);
        var (queue, arn) = await emulators.CreateQueueAsync("localstack", Ct);

        var bucketNames = (await emulators.S3.ListBucketsAsync(Ct)).Buckets.Select(b => b.BucketName).ToList();
        Assert.Contains(buckets.OriginalsBucket, bucketNames);
        Assert.Contains(buckets.DerivedBucket, bucketNames);
        Assert.Equal("ACTIVE", (await emulators.DynamoDb.DescribeTableAsync(table, Ct)).Table.TableStatus.Value);
        Assert.Null(emulators.SqsFake);
        Assert.Equal(emulators.SqsEndpoint.Authority, queue.Authority);
        var attributes = await emulators.Sqs.GetQueueAttributesAsync(
            new GetQueueAttributesRequest { QueueUrl = queue.ToString(), AttributeNames = ["QueueArn"] }, Ct);
        Assert.Equal(arn, attributes.QueueARN);
    }
}
