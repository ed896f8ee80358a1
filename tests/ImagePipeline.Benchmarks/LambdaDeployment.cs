using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.S3.Model;
using ImagePipeline.Aws;
using ImagePipeline.Core;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Events;
using ImagePipeline.Core.Services;
using ImagePipeline.Core.Storage;
using ImagePipeline.Emulators;
using ImagePipeline.Testing;

namespace ImagePipeline.Benchmarks;

/// <summary>
/// The <c>lambda</c> mode's deployment on the emulators (buckets, table, queues), the function processes started on it
/// with exactly the environment the CDK stack sets, and the events SQS and API Gateway would send them.
/// </summary>
internal sealed class LambdaDeployment
{
    /// <summary>How long one invocation may take, and how long the benchmark waits for it.</summary>
    public static readonly TimeSpan InvocationLimit = TimeSpan.FromMinutes(2);

    private static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(30);
    private static readonly string CursorKey = Convert.ToBase64String(new byte[32]);

    private readonly AwsEmulators _emulators;
    private readonly S3StoreOptions _buckets;
    private readonly string _table;
    private readonly DynamoImageCatalog _catalog;
    private readonly (Uri Resize, Uri Thumbnail) _queues;
    private readonly string _logs;
    private int _processes;

    private LambdaDeployment(AwsEmulators emulators, S3StoreOptions buckets, string table, (Uri, Uri) queues, string logs)
    {
        _emulators = emulators;
        _buckets = buckets;
        _table = table;
        _catalog = new DynamoImageCatalog(emulators.DynamoDb, table);
        _queues = queues;
        _logs = logs;
    }

    /// <summary>New buckets, table and queues on <paramref name="emulators"/>; function logs go to <paramref name="logs"/>.</summary>
    public static async Task<LambdaDeployment> CreateAsync(AwsEmulators emulators, string logs, CancellationToken cancellationToken)
    {
        var buckets = await emulators.CreateBucketsAsync(cancellationToken);
        var table = await emulators.CreateTableAsync(cancellationToken);
        var resize = (await emulators.CreateQueueAsync("resize", cancellationToken)).Url;
        var thumbnail = (await emulators.CreateQueueAsync("thumbnail", cancellationToken)).Url;
        return new LambdaDeployment(emulators, buckets, table, (resize, thumbnail), logs);
    }

    /// <summary>Starts <paramref name="bootstrap"/> as the <paramref name="stage"/> function under <paramref name="runtime"/>.</summary>
    public RunningChild Start(string bootstrap, string stage, FakeLambdaRuntimeApi runtime)
    {
        // Only what the CDK stack would set: FunctionEnvironment keeps this machine's own variables out.
        var environment = new Dictionary<string, string>(_emulators.EnvironmentVariables, StringComparer.Ordinal);
        environment[PipelineEnvironment.Handler] = stage;
        environment[PipelineEnvironment.OriginalsBucket] = _buckets.OriginalsBucket;
        environment[PipelineEnvironment.DerivedBucket] = _buckets.DerivedBucket;
        environment[PipelineEnvironment.Table] = _table;
        environment[PipelineEnvironment.CursorKey] = CursorKey;
        environment[SignInEnvironment.Mode] = SignInEnvironment.AnonymousMode;
        environment[PipelineEnvironment.ResizeQueueUrl] = _queues.Resize.ToString();
        environment[PipelineEnvironment.ThumbnailQueueUrl] = _queues.Thumbnail.ToString();
        environment["MALLOC_ARENA_MAX"] = "2"; // as the stack sets it on every function
        var sequence = Interlocked.Increment(ref _processes);
        return ChildProcess.Start(
            bootstrap, [], Path.Combine(_logs, $"{sequence:D3}-{stage}.log"), Path.Combine(_logs, $"{sequence:D3}-{stage}.stderr.log"), runtime.FunctionEnvironment(environment));
    }

    /// <summary>
    /// Waits for the process to exit (the Runtime API gone, its next <c>/next</c> fails and it exits; wait4 then gives
    /// its own peak RSS), killing it when it does not.
    /// </summary>
    public static ChildResult? Stop(RunningChild child)
    {
        var result = ChildProcess.WaitForExit(child, ExitWait);
        if (result is null)
        {
            ChildProcess.Signal(child.Pid, ChildProcess.SigKill);
            result = ChildProcess.WaitForExit(child, ExitWait);
        }

        return result;
    }

    /// <summary>Fails unless the invocation succeeded: the api's <paramref name="expectStatus"/>, or a batch without failures.</summary>
    /// <exception cref="InvalidOperationException">It did not.</exception>
    public static FakeInvocationResult Check(FakeInvocationResult result, int? expectStatus = null)
    {
        if (result.IsError)
        {
            throw new InvalidOperationException($"the invocation failed: {result.Body}");
        }

        using var body = JsonDocument.Parse(result.Body);
        if (expectStatus is { } status)
        {
            if (body.RootElement.GetProperty("statusCode").GetInt32() != status)
            {
                throw new InvalidOperationException($"expected status {status}: {result.Body}");
            }
        }
        else if (body.RootElement.GetProperty("batchItemFailures").GetArrayLength() != 0)
        {
            throw new InvalidOperationException($"the batch reported failures: {result.Body}");
        }

        return result;
    }

    /// <summary>An upload as it lands: a pending record and the original; returns the S3 notification (an SQS body).</summary>
    public async Task<string> SeedAsync(string input)
    {
        var bytes = await File.ReadAllBytesAsync(input);
        var now = DateTimeOffset.UtcNow;
        var id = ImageIds.New(TimeProvider.System);
        await _catalog.CreateAsync(
            new ImageRecord
            {
                Id = id, OwnerId = "anonymous", FileName = Path.GetFileName(input), DeclaredBytes = bytes.Length,
                ContentType = input.EndsWith(".png", StringComparison.Ordinal) ? "image/png" : "image/jpeg",
                CreatedAt = now, UpdatedAt = now, ExpiresAt = now.AddHours(24),
            },
            CancellationToken.None);
        var key = ObjectKeys.Original(id);
        using (var content = new MemoryStream(bytes))
        {
            await _emulators.S3.PutObjectAsync(new PutObjectRequest { BucketName = _buckets.OriginalsBucket, Key = key, InputStream = content });
        }

        var head = await _emulators.S3.GetObjectMetadataAsync(_buckets.OriginalsBucket, key);
        return S3EventParser.Serialize(new ObjectCreated(_buckets.OriginalsBucket, key, head.ContentLength, head.ETag.Trim('"'), now.Ticks.ToString("X", CultureInfo.InvariantCulture)), now);
    }

    /// <summary>An SQS event holding one message.</summary>
    public static string SqsBatch(string body) => new JsonObject
    {
        ["Records"] = new JsonArray(new JsonObject
        {
            ["messageId"] = Guid.NewGuid().ToString(),
            ["receiptHandle"] = "benchmark",
            ["body"] = body,
            ["attributes"] = new JsonObject { ["ApproximateReceiveCount"] = "1" },
            ["eventSource"] = "aws:sqs",
        }),
    }.ToJsonString();

    /// <summary>An HTTP API payload 2.0 GET.</summary>
    public static string ApiGet(string path, string query = "") => new JsonObject
    {
        ["version"] = "2.0",
        ["rawPath"] = path,
        ["rawQueryString"] = query,
        ["headers"] = new JsonObject { ["host"] = "benchmark" },
        ["requestContext"] = new JsonObject { ["http"] = new JsonObject { ["method"] = "GET", ["path"] = path } },
        ["isBase64Encoded"] = false,
    }.ToJsonString();
}
