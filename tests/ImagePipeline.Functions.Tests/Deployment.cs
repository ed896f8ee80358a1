using System.Globalization;
using System.Text.Json;
using Amazon.S3.Model;
using ImagePipeline.Aws;
using ImagePipeline.Core;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Events;
using ImagePipeline.Core.Services;
using ImagePipeline.Core.Storage;
using ImagePipeline.Emulators;
using ImagePipeline.Functions.Events;

namespace ImagePipeline.Functions.Tests;

/// <summary>
/// A fresh deployment on the emulators for one test: its own buckets, table and stage queues, the environment a function
/// of it gets (as the CDK stack would set it), and helpers to seed images and build the events SQS and API Gateway would
/// send.
/// </summary>
internal sealed class Deployment
{
    public static readonly string CursorKey = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray());

    private Deployment(AwsEmulators emulators, S3StoreOptions buckets, string table, Uri resizeQueue, Uri thumbnailQueue)
    {
        Emulators = emulators;
        Buckets = buckets;
        Table = table;
        Catalog = new DynamoImageCatalog(emulators.DynamoDb, table);
        ResizeQueue = resizeQueue;
        ThumbnailQueue = thumbnailQueue;
        var suffix = Guid.NewGuid().ToString("N")[..12];
        ResizeDeadLetterQueueArn = SqsFake.QueueArn("resize-dlq-" + suffix, emulators.Region);
        ThumbnailDeadLetterQueueArn = SqsFake.QueueArn("thumbnail-dlq-" + suffix, emulators.Region);
    }

    public AwsEmulators Emulators { get; }

    public S3StoreOptions Buckets { get; }

    public string Table { get; }

    public DynamoImageCatalog Catalog { get; }

    /// <summary>The resize stage's queue (where reprocessing sends).</summary>
    public Uri ResizeQueue { get; }

    /// <summary>The thumbnail stage's queue.</summary>
    public Uri ThumbnailQueue { get; }

    /// <summary>The resize stage's dead-letter queue, as the deadletter function's event source names it.</summary>
    public string ResizeDeadLetterQueueArn { get; }

    /// <summary>The thumbnail stage's dead-letter queue.</summary>
    public string ThumbnailDeadLetterQueueArn { get; }

    public static async Task<Deployment> CreateAsync(AwsEmulators emulators, CancellationToken cancellationToken) =>
        new(emulators, await emulators.CreateBucketsAsync(cancellationToken), await emulators.CreateTableAsync(cancellationToken),
            (await emulators.CreateQueueAsync("resize", cancellationToken)).Url, (await emulators.CreateQueueAsync("thumbnail", cancellationToken)).Url);

    /// <summary>The function's environment: emulator endpoints and credentials, names, and the handler.</summary>
    public Dictionary<string, string> Environment(string handler)
    {
        var environment = new Dictionary<string, string>(Emulators.EnvironmentVariables)
        {
            [PipelineEnvironment.Handler] = handler,
            [PipelineEnvironment.OriginalsBucket] = Buckets.OriginalsBucket,
            [PipelineEnvironment.DerivedBucket] = Buckets.DerivedBucket,
            [PipelineEnvironment.Table] = Table,
            [PipelineEnvironment.MaxReceives] = "5",
        };
        if (handler == "api")
        {
            environment[SignInEnvironment.Mode] = SignInEnvironment.AnonymousMode;
            environment[PipelineEnvironment.CursorKey] = CursorKey;
            environment[PipelineEnvironment.ResizeQueueUrl] = ResizeQueue.ToString();
            environment[PipelineEnvironment.ThumbnailQueueUrl] = ThumbnailQueue.ToString();
        }

        if (handler == "deadletter")
        {
            environment[PipelineEnvironment.ResizeDeadLetterQueueArn] = ResizeDeadLetterQueueArn;
            environment[PipelineEnvironment.ThumbnailDeadLetterQueueArn] = ThumbnailDeadLetterQueueArn;
        }

        return environment;
    }

    /// <summary>An image as an upload leaves it: a pending catalog record and its original in the originals bucket.</summary>
    /// <returns>The image id and the S3 notification S3 would send for the original (the SQS message body).</returns>
    public async Task<(Guid Id, string Body)> SeedAsync(string sampleImage, CancellationToken cancellationToken)
    {
        var bytes = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "sample-images", sampleImage), cancellationToken);
        var now = DateTimeOffset.UtcNow;
        var id = ImageIds.New(TimeProvider.System);
        await Catalog.CreateAsync(
            new ImageRecord
            {
                Id = id, OwnerId = "anonymous", FileName = Path.GetFileName(sampleImage), ContentType = "image/jpeg", DeclaredBytes = bytes.Length,
                CreatedAt = now, UpdatedAt = now, ExpiresAt = now.AddHours(24),
            },
            cancellationToken);
        var key = ObjectKeys.Original(id);
        using var content = new MemoryStream(bytes);
        await Emulators.S3.PutObjectAsync(new PutObjectRequest { BucketName = Buckets.OriginalsBucket, Key = key, InputStream = content, ContentType = "application/octet-stream" }, cancellationToken);
        return (id, await NotificationAsync(key, cancellationToken));
    }

    /// <summary>The S3 event notification for an object that is in the originals bucket now.</summary>
    public async Task<string> NotificationAsync(string key, CancellationToken cancellationToken)
    {
        var head = await Emulators.S3.GetObjectMetadataAsync(Buckets.OriginalsBucket, key, cancellationToken);
        var sequencer = DateTimeOffset.UtcNow.Ticks.ToString("X", CultureInfo.InvariantCulture);
        return S3EventParser.Serialize(new ObjectCreated(Buckets.OriginalsBucket, key, head.ContentLength, head.ETag.Trim('"'), sequencer), DateTimeOffset.UtcNow);
    }

    /// <summary>An SQS event of messages (id, body, receive count).</summary>
    public static string SqsBatch(params (string MessageId, string Body, int ReceiveCount)[] messages) =>
        SqsBatchFrom([.. messages.Select(m => (m.MessageId, m.Body, m.ReceiveCount, "arn:aws:sqs:us-east-1:000000000000:imagepipeline-test"))]);

    /// <summary>An SQS event of messages (id, body, receive count, the queue's ARN as <c>eventSourceARN</c>).</summary>
    public static string SqsBatchFrom(params (string MessageId, string Body, int ReceiveCount, string SourceArn)[] messages) =>
        JsonSerializer.Serialize(
            new SqsEvent([.. messages.Select(m => new SqsMessage(
                m.MessageId, "receipt-" + m.MessageId, m.Body,
                new SqsMessageAttributes(m.ReceiveCount.ToString(CultureInfo.InvariantCulture), "1763806530123", "AIDAEXAMPLE", "1763806530200"),
                null, "aws:sqs", m.SourceArn, "us-east-1"))]),
            FunctionJsonContext.Default.SqsEvent);

    /// <summary>
    /// Takes every message waiting in <paramref name="queue"/> (what the stage's event source would deliver), deleting
    /// them.
    /// </summary>
    public async Task<List<Amazon.SQS.Model.Message>> DrainAsync(Uri queue, CancellationToken cancellationToken)
    {
        var messages = new List<Amazon.SQS.Model.Message>();
        while (true)
        {
            var response = await Emulators.Sqs.ReceiveMessageAsync(
                new Amazon.SQS.Model.ReceiveMessageRequest { QueueUrl = queue.ToString(), MaxNumberOfMessages = 10, MessageSystemAttributeNames = ["All"] },
                cancellationToken);
            if (response.Messages is not { Count: > 0 } received)
            {
                return messages;
            }

            messages.AddRange(received);
            foreach (var message in received)
            {
                await Emulators.Sqs.DeleteMessageAsync(queue.ToString(), message.ReceiptHandle, cancellationToken);
            }
        }
    }

    /// <summary>An HTTP API payload 2.0 event.</summary>
    public static string ApiEvent(
        string method, string rawPath, string rawQuery = "", string? body = null, bool base64 = false, string version = "2.0", string? jwtSubject = null)
    {
        var headers = new Dictionary<string, string> { ["host"] = "abc123.execute-api.us-east-1.amazonaws.com", ["user-agent"] = "tests" };
        if (body is not null)
        {
            headers["content-type"] = "application/json";
        }

        var request = new HttpApiRequest(
            version, "$default", rawPath, rawQuery, null, headers, null,
            new HttpApiRequestContext("000000000000", "abc123", "abc123.execute-api.us-east-1.amazonaws.com", Guid.NewGuid().ToString(), "$default",
                DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), new HttpApiRequestHttp(method, rawPath, "HTTP/1.1", "203.0.113.10", "tests"),
                jwtSubject is null ? null : new HttpApiAuthorizer(new HttpApiJwt(
                    new Dictionary<string, JsonElement>
                    {
                        ["sub"] = JsonSerializer.SerializeToElement(jwtSubject, FunctionTestJson.Default.String),
                        ["client_id"] = JsonSerializer.SerializeToElement("client-1", FunctionTestJson.Default.String),
                        ["scope"] = JsonSerializer.SerializeToElement("imagepipeline/api", FunctionTestJson.Default.String),
                    },
                    ["imagepipeline/api"]))),
            body is null ? null : base64 ? Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(body)) : body,
            base64);
        return JsonSerializer.Serialize(request, FunctionJsonContext.Default.HttpApiRequest);
    }

    /// <summary>The batch item failures of an SQS handler's response.</summary>
    public static List<string> Failures(string responseBody) =>
        [.. JsonSerializer.Deserialize(responseBody, FunctionJsonContext.Default.SqsBatchResponse)!.BatchItemFailures.Select(f => f.ItemIdentifier)];

    /// <summary>An object of the derived bucket, or null when there is none.</summary>
    public Task<byte[]?> DerivedAsync(string key, CancellationToken cancellationToken) => ObjectAsync(Buckets.DerivedBucket, key, cancellationToken);

    /// <summary>An object of the originals bucket, or null when there is none.</summary>
    public Task<byte[]?> OriginalAsync(string key, CancellationToken cancellationToken) => ObjectAsync(Buckets.OriginalsBucket, key, cancellationToken);

    private async Task<byte[]?> ObjectAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await Emulators.S3.GetObjectAsync(bucket, key, cancellationToken);
            using var copy = new MemoryStream();
            await response.ResponseStream.CopyToAsync(copy, cancellationToken);
            return copy.ToArray();
        }
        catch (Amazon.S3.AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}

/// <summary>Source-generated JSON for values the tests put into events.</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class FunctionTestJson : System.Text.Json.Serialization.JsonSerializerContext;
