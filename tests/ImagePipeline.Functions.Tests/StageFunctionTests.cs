using System.Text;
using System.Text.Json;
using ImagePipeline.Core;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Events;
using ImagePipeline.Core.Services;
using ImagePipeline.Core.Storage;
using ImagePipeline.Functions.Events;
using ImagePipeline.Functions.Handlers;
using ImagePipeline.Functions.Observability;
using ImagePipeline.Functions.Runtime;
using ImagePipeline.Testing;

namespace ImagePipeline.Functions.Tests;

/// <summary>The SQS handler over Core's real StageProcessor with the in-memory fakes of the ports.</summary>
public sealed class StageFunctionTests
{
    private const int MaxReceives = 5;
    private static readonly byte[] Bytes = "original bytes"u8.ToArray();
    private readonly FakeClock _clock = new(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero));
    private readonly InMemoryCatalog _catalog = new();
    private readonly InMemoryObjectStore _store;
    private readonly FakeImageEngine _engine = new();
    private readonly StringWriter _output = new();
    private readonly StageFunction _function;

    public StageFunctionTests()
    {
        _store = new InMemoryObjectStore(_clock);
        var processor = new StageProcessor(_catalog, _store, _engine, new PipelineOptions { CursorKey = new byte[32], MaxAttempts = MaxReceives }, _clock);
        _function = new StageFunction(Stage.Resize, processor, MaxReceives, new JsonLogger(_output, _clock, "resize"), new MetricsWriter(_output, _clock, "resize"), TimeSpan.FromSeconds(3));
    }

    private (Guid Id, string Body) Uploaded()
    {
        var record = _catalog.Put(new ImageRecord
        {
            Id = ImageIds.New(_clock), OwnerId = "anonymous", FileName = "a.jpg", ContentType = "image/jpeg", DeclaredBytes = Bytes.Length,
            CreatedAt = _clock.GetUtcNow(), UpdatedAt = _clock.GetUtcNow(), ExpiresAt = _clock.GetUtcNow().AddHours(24),
        });
        var key = ObjectKeys.Original(record.Id);
        var etag = _store.PutOriginal(key, Bytes);
        return (record.Id, S3EventParser.Serialize(new ObjectCreated("originals", key, Bytes.Length, etag, "1"), _clock.GetUtcNow()));
    }

    private static byte[] Batch(params (string Id, string Body, int Receives)[] messages) =>
        JsonSerializer.SerializeToUtf8Bytes(
            new SqsEvent([.. messages.Select(m => new SqsMessage(m.Id, "h", m.Body, new SqsMessageAttributes(m.Receives.ToString(System.Globalization.CultureInfo.InvariantCulture), null, null, null), null, "aws:sqs", null, null))]),
            FunctionJsonContext.Default.SqsEvent);

    private InvocationContext Context(TimeSpan left) => ContextUnder(left, CancellationToken.None);

    /// <summary>A context whose invocation token is <paramref name="invocationToken"/> (the runtime's deadline token).</summary>
    private InvocationContext ContextUnder(TimeSpan left, CancellationToken invocationToken) =>
        new(new Invocation("req", _clock.GetUtcNow() + left, null, null, ReadOnlyMemory<byte>.Empty), _clock, invocationToken);

    private static List<string> Failures(byte[] response) =>
        [.. JsonSerializer.Deserialize(response, FunctionJsonContext.Default.SqsBatchResponse)!.BatchItemFailures.Select(f => f.ItemIdentifier)];

    private List<JsonElement> Lines() =>
        [.. _output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)];

    [Fact]
    public async Task Handle_GoodMessagesAndTestEvent_AllAcknowledgedAndDone()
    {
        var (a, bodyA) = Uploaded();
        var (b, bodyB) = Uploaded();

        var response = await _function.HandleAsync(Batch(("m1", bodyA, 1), ("m2", Golden.Read("s3-test-event.json"), 1), ("m3", bodyB, 1)), Context(TimeSpan.FromMinutes(1)));

        Assert.Empty(Failures(response));
        Assert.Equal(StageState.Done, _catalog.Find(a)!.StateOf(Stage.Resize));
        Assert.Equal(StageState.Done, _catalog.Find(b)!.StateOf(Stage.Resize));
        var processed = Lines().Where(l => l.TryGetProperty("_aws", out _) && l.TryGetProperty("ImagesProcessed", out _)).ToList();
        Assert.Equal(2, processed.Count);
        Assert.All(processed, l => Assert.True(l.GetProperty("OutputBytes").GetDouble() > 0));
    }

    [Fact]
    public async Task Handle_TransientFailureBeforeLastReceive_ReturnedForRetry()
    {
        var (id, body) = Uploaded();
        _store.FailReadsWith = new TransientStorageException("S3 throttled");

        var response = await _function.HandleAsync(Batch(("m1", body, 4)), Context(TimeSpan.FromMinutes(1)));

        Assert.Equal(["m1"], Failures(response));
        Assert.Equal(StageState.Pending, _catalog.Find(id)!.StateOf(Stage.Resize));
        Assert.Contains(Lines(), l => l.TryGetProperty("TransientFailures", out _));
    }

    [Fact]
    public async Task Handle_TransientFailureOnLastReceive_RecordedInternalAndAcknowledged()
    {
        var (id, body) = Uploaded();
        _store.FailReadsWith = new TransientStorageException("S3 throttled");

        var response = await _function.HandleAsync(Batch(("m1", body, 5)), Context(TimeSpan.FromMinutes(1)));

        Assert.Empty(Failures(response));
        var record = _catalog.Find(id)!;
        Assert.Equal(StageState.Failed, record.StateOf(Stage.Resize));
        Assert.Equal("internal", record.ResizeError!.Code);
        Assert.Contains(Lines(), l => l.TryGetProperty("ImagesFailed", out _) && l.GetProperty("ErrorCode").GetString() == "internal");
    }

    [Fact]
    public async Task Handle_DeadlineNear_EverythingReturnedUnprocessed()
    {
        var (_, bodyA) = Uploaded();
        var (_, bodyB) = Uploaded();

        var response = await _function.HandleAsync(Batch(("m1", bodyA, 1), ("m2", bodyB, 1)), Context(TimeSpan.FromSeconds(2)));

        Assert.Equal(["m1", "m2"], Failures(response));
        Assert.Equal(0, _engine.Calls);
        Assert.Contains(Lines(), l => l.TryGetProperty("level", out var level) && level.GetString() == "Warning");
    }

    [Fact]
    public async Task Handle_DeadlineNearsDuringFirstRecord_RestReturnedUnprocessed()
    {
        var (first, bodyA) = Uploaded();
        var (second, bodyB) = Uploaded();
        _engine.OnCall = () => _clock.Advance(TimeSpan.FromSeconds(58));

        var response = await _function.HandleAsync(Batch(("m1", bodyA, 1), ("m2", bodyB, 1)), Context(TimeSpan.FromMinutes(1)));

        Assert.Equal(["m2"], Failures(response));
        Assert.Equal(1, _engine.Calls);
        Assert.Equal(StageState.Done, _catalog.Find(first)!.StateOf(Stage.Resize));
        Assert.Equal(StageState.Pending, _catalog.Find(second)!.StateOf(Stage.Resize));
        Assert.Contains(Lines(), l => l.TryGetProperty("level", out var level) && level.GetString() == "Warning");
    }

    [Fact]
    public async Task Handle_InvocationTokenAlreadyCancelled_EverythingReturnedUnprocessed()
    {
        var (first, bodyA) = Uploaded();
        var (_, bodyB) = Uploaded();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var response = await _function.HandleAsync(Batch(("m1", bodyA, 1), ("m2", bodyB, 1)), ContextUnder(TimeSpan.FromMinutes(1), cancelled.Token));

        Assert.Equal(["m1", "m2"], Failures(response));
        Assert.Equal(0, _engine.Calls);
        Assert.Equal(StageState.Pending, _catalog.Find(first)!.StateOf(Stage.Resize));
    }

    [Fact]
    public async Task Handle_MalformedBody_AcknowledgedNotRetried()
    {
        var response = await _function.HandleAsync(Batch(("m1", "not json", 1)), Context(TimeSpan.FromMinutes(1)));

        Assert.Empty(Failures(response));
    }

    [Fact]
    public async Task Handle_RecordWithoutMessageId_WholeInvocationFails()
    {
        var payload = Encoding.UTF8.GetBytes("""{"Records":[{"body":"{}"}]}""");

        await Assert.ThrowsAsync<InvalidDataException>(() => _function.HandleAsync(payload, Context(TimeSpan.FromMinutes(1))));
    }

    [Fact]
    public async Task Handle_EmptyBatch_EmptyResponse()
    {
        var response = await _function.HandleAsync("""{"Records":[]}"""u8.ToArray(), Context(TimeSpan.FromMinutes(1)));

        Assert.Equal("""{"batchItemFailures":[]}""", Encoding.UTF8.GetString(response));
    }

    [Fact]
    public async Task Handle_DeadlineNearOnLastReceive_RecordedInternalNotLeftProcessing()
    {
        var (early, bodyEarly) = Uploaded();
        var (last, bodyLast) = Uploaded();

        var response = await _function.HandleAsync(Batch(("m1", bodyEarly, 1), ("m2", bodyLast, MaxReceives)), Context(TimeSpan.FromSeconds(2)));

        // The early receive goes back to the queue; the last one would go to the dead-letter queue, so it is recorded.
        Assert.Equal(["m1"], Failures(response));
        Assert.Equal(0, _engine.Calls);
        Assert.Equal(StageState.Pending, _catalog.Find(early)!.StateOf(Stage.Resize));
        var record = _catalog.Find(last)!;
        Assert.Equal(StageState.Failed, record.StateOf(Stage.Resize));
        Assert.Equal("internal", record.ResizeError!.Code);
    }

    /// <summary>The one line the function logged for the stage's report.</summary>
    private JsonElement StageLine() =>
        Assert.Single(Lines(), l => l.TryGetProperty("messageTemplate", out var t) && t.GetString()!.StartsWith("Stage {Stage}", StringComparison.Ordinal));

    [Fact]
    public async Task Handle_StageDone_LoggedAsInformationWithoutACode()
    {
        var (_, body) = Uploaded();

        await _function.HandleAsync(Batch(("m1", body, 1)), Context(TimeSpan.FromMinutes(1)));

        var line = StageLine();
        Assert.Equal("Information", line.GetProperty("level").GetString());
        Assert.False(line.GetProperty("properties").TryGetProperty("ErrorCode", out _), "A success names no error code.");
        Assert.DoesNotContain("code", line.GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("Stage resize done image ", line.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handle_UsersFileCannotBeProcessed_LoggedAsWarningWithItsCode()
    {
        var (_, body) = Uploaded();
        _engine.FailWith = new Core.Imaging.ImageProcessingException(Core.Imaging.ImageErrorCode.CorruptImage, "The file is damaged.");

        var response = await _function.HandleAsync(Batch(("m1", body, 1)), Context(TimeSpan.FromMinutes(1)));

        Assert.Empty(Failures(response));
        var line = StageLine();
        Assert.Equal("Warning", line.GetProperty("level").GetString());
        Assert.Equal("corrupt_image", line.GetProperty("properties").GetProperty("ErrorCode").GetString());
        Assert.Contains("failed image", line.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("with corrupt_image", line.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handle_TransientFailures_WarningWhileRetriedErrorOnceRecordedInternal()
    {
        var (_, body) = Uploaded();
        _store.FailReadsWith = new TransientStorageException("S3 throttled");

        await _function.HandleAsync(Batch(("m1", body, MaxReceives - 1)), Context(TimeSpan.FromMinutes(1)));
        var retried = StageLine();
        _output.GetStringBuilder().Clear();
        await _function.HandleAsync(Batch(("m1", body, MaxReceives)), Context(TimeSpan.FromMinutes(1)));
        var gaveUp = StageLine();

        Assert.Equal(("retry", "Warning"), (retried.GetProperty("properties").GetProperty("Outcome").GetString(), retried.GetProperty("level").GetString()));
        Assert.Equal(("gave-up", "Error"), (gaveUp.GetProperty("properties").GetProperty("Outcome").GetString(), gaveUp.GetProperty("level").GetString()));
        Assert.Equal("internal", gaveUp.GetProperty("properties").GetProperty("ErrorCode").GetString());
    }
}
