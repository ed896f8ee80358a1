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

/// <summary>The deadletter handler over Core's real StageProcessor with the in-memory fakes of the ports.</summary>
public sealed class DeadLetterFunctionTests
{
    private const string ResizeDlq = "arn:aws:sqs:us-east-1:123456789012:imagepipeline-resize-dlq";
    private const string ThumbnailDlq = "arn:aws:sqs:us-east-1:123456789012:imagepipeline-thumbnail-dlq";
    private const string Etag = "9e107d9d372bb6826bd81d3542a419d6";

    private readonly FakeClock _clock = new(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero));
    private readonly InMemoryCatalog _catalog = new();
    private readonly WriteFailingCatalog _failingCatalog;
    private readonly StringWriter _output = new();
    private readonly DeadLetterFunction _function;

    public DeadLetterFunctionTests()
    {
        _failingCatalog = new WriteFailingCatalog(_catalog);
        var options = new PipelineOptions { CursorKey = new byte[32], MaxAttempts = 5 };
        var processor = new StageProcessor(_failingCatalog, new InMemoryObjectStore(_clock), new FakeImageEngine(), options, _clock);
        _function = new DeadLetterFunction(
            processor, new Dictionary<string, Stage> { [ResizeDlq] = Stage.Resize, [ThumbnailDlq] = Stage.Thumbnail }, 5,
            new JsonLogger(_output, _clock, "deadletter"), new MetricsWriter(_output, _clock, "deadletter"));
    }

    /// <summary>An uploaded image whose resize stage never finished and whose thumbnail is in <paramref name="thumbnail"/>.</summary>
    private (Guid Id, string Body) Processing(StageState thumbnail = StageState.Pending)
    {
        var record = _catalog.Put(new ImageRecord
        {
            Id = ImageIds.New(_clock), OwnerId = "anonymous", FileName = "a.jpg", ContentType = "image/jpeg", DeclaredBytes = 10,
            CreatedAt = _clock.GetUtcNow(), UpdatedAt = _clock.GetUtcNow(), SourceEtag = Etag,
            ResizeState = StageState.Pending, ThumbnailState = thumbnail,
            Thumbnail = thumbnail == StageState.Done ? new DerivedFacts("thumbnail", 256, 256, "webp", 5, "thumbnails/x/r1/256.webp") : null,
        });
        var key = ObjectKeys.Original(record.Id);
        return (record.Id, S3EventParser.Serialize(new ObjectCreated("originals", key, 10, Etag, "1"), _clock.GetUtcNow()));
    }

    private static byte[] Batch(params (string Id, string Body, string? Arn)[] messages) =>
        JsonSerializer.SerializeToUtf8Bytes(
            new SqsEvent([.. messages.Select(m => new SqsMessage(m.Id, "h", m.Body, new SqsMessageAttributes("6", null, null, null), null, "aws:sqs", m.Arn, "us-east-1"))]),
            FunctionJsonContext.Default.SqsEvent);

    private InvocationContext Context() =>
        new(new Invocation("req", _clock.GetUtcNow() + TimeSpan.FromSeconds(30), null, null, ReadOnlyMemory<byte>.Empty), _clock, CancellationToken.None);

    private static List<string> Failures(byte[] response) =>
        [.. JsonSerializer.Deserialize(response, FunctionJsonContext.Default.SqsBatchResponse)!.BatchItemFailures.Select(f => f.ItemIdentifier)];

    private List<JsonElement> Lines() =>
        [.. _output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)];

    private List<JsonElement> RecordedMetrics() =>
        [.. Lines().Where(l => l.TryGetProperty("_aws", out _) && l.TryGetProperty(DeadLetterFunction.RecordedMetric, out _))];

    [Fact]
    public async Task Handle_StuckImageOfEitherStage_RecordedFailedInternalWithMetricAndErrorLog()
    {
        var (resize, resizeBody) = Processing();
        var (thumbnail, thumbnailBody) = Processing();

        var response = await _function.HandleAsync(Batch(("m1", resizeBody, ResizeDlq), ("m2", thumbnailBody, ThumbnailDlq)), Context());

        Assert.Empty(Failures(response));
        var resized = _catalog.Find(resize)!;
        Assert.Equal((StageState.Failed, "internal", StageState.Pending), (resized.ResizeState, resized.ResizeError!.Code, resized.ThumbnailState));
        Assert.Contains("dead-letter queue after 5 receives of the resize queue", resized.ResizeError.Message, StringComparison.Ordinal);
        var thumbnailed = _catalog.Find(thumbnail)!;
        Assert.Equal((StageState.Pending, StageState.Failed), (thumbnailed.ResizeState, thumbnailed.ThumbnailState));
        Assert.Equal(ImageStatus.Failed, thumbnailed.Status);

        var metrics = RecordedMetrics();
        Assert.Equal(2, metrics.Count);
        Assert.Equal(["resize", "thumbnail"], metrics.Select(m => m.GetProperty("Stage").GetString()).Order());
        Assert.All(metrics, m => Assert.Equal("deadletter", m.GetProperty("Function").GetString()));
        Assert.All(metrics, m => Assert.Equal(1, m.GetProperty(DeadLetterFunction.RecordedMetric).GetDouble()));
        Assert.Equal(2, Lines().Count(l => l.TryGetProperty("level", out var level) && level.GetString() == "Error"));
    }

    [Fact]
    public async Task Handle_StageAlreadyDone_LeftDoneAcknowledgedNoMetric()
    {
        var (id, body) = Processing(thumbnail: StageState.Done);

        var response = await _function.HandleAsync(Batch(("m1", body, ThumbnailDlq)), Context());

        Assert.Empty(Failures(response));
        var record = _catalog.Find(id)!;
        Assert.Equal(StageState.Done, record.ThumbnailState);
        Assert.Null(record.ThumbnailError);
        Assert.Empty(RecordedMetrics());
    }

    [Fact]
    public async Task Handle_MalformedBodyAndTestEvent_Acknowledged()
    {
        var response = await _function.HandleAsync(
            Batch(("m1", "not json", ResizeDlq), ("m2", Golden.Read("s3-test-event.json"), ThumbnailDlq)), Context());

        Assert.Empty(Failures(response));
        Assert.Empty(RecordedMetrics());
    }

    [Fact]
    public async Task Handle_UnknownOrMissingSourceArn_ReturnedAsFailureAndLoggedAsError()
    {
        var (id, body) = Processing();

        var response = await _function.HandleAsync(
            Batch(("m1", body, "arn:aws:sqs:us-east-1:123456789012:some-other-queue"), ("m2", body, null)), Context());

        Assert.Equal(["m1", "m2"], Failures(response));
        Assert.Equal(StageState.Pending, _catalog.Find(id)!.ResizeState);
        var errors = Lines().Where(l => l.GetProperty("level").GetString() == "Error").ToList();
        Assert.Equal(2, errors.Count);
        Assert.Contains("some-other-queue", errors[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(RecordedMetrics());
    }

    [Fact]
    public async Task Handle_RecordCannotBeWritten_OnlyThatItemReturnedAsFailure()
    {
        var (good, goodBody) = Processing();
        var (bad, badBody) = Processing();
        _failingCatalog.FailWritesOf = bad;

        var response = await _function.HandleAsync(Batch(("m-good", goodBody, ResizeDlq), ("m-bad", badBody, ResizeDlq)), Context());

        Assert.Equal(["m-bad"], Failures(response));
        Assert.Equal(StageState.Failed, _catalog.Find(good)!.ResizeState);
        Assert.Equal(StageState.Pending, _catalog.Find(bad)!.ResizeState);
        Assert.Single(RecordedMetrics());
    }

    [Fact]
    public async Task Handle_InvocationTokenCancelled_EverythingReturnedUnrecorded()
    {
        var (id, body) = Processing();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var context = new InvocationContext(new Invocation("req", _clock.GetUtcNow().AddSeconds(1), null, null, ReadOnlyMemory<byte>.Empty), _clock, cancelled.Token);

        var response = await _function.HandleAsync(Batch(("m1", body, ResizeDlq), ("m2", body, ThumbnailDlq)), context);

        Assert.Equal(["m1", "m2"], Failures(response));
        Assert.Equal(StageState.Pending, _catalog.Find(id)!.ResizeState);
    }

    [Fact]
    public async Task Handle_RecordWithoutMessageId_WholeInvocationFails()
    {
        var payload = Encoding.UTF8.GetBytes("""{"Records":[{"body":"{}","eventSourceARN":"arn:aws:sqs:us-east-1:123456789012:imagepipeline-resize-dlq"}]}""");

        await Assert.ThrowsAsync<InvalidDataException>(() => _function.HandleAsync(payload, Context()));
    }

    /// <summary>The in-memory catalog, except that stage writes of one image throw (a throttled table, say).</summary>
    private sealed class WriteFailingCatalog(InMemoryCatalog inner) : IImageCatalog
    {
        public Guid? FailWritesOf { get; set; }

        public Task<bool> CreateAsync(ImageRecord record, CancellationToken cancellationToken) => inner.CreateAsync(record, cancellationToken);

        public Task<ImageRecord?> GetAsync(Guid id, CancellationToken cancellationToken) => inner.GetAsync(id, cancellationToken);

        public Task<StageWriteResult> ApplyStageAsync(StageOutcome outcome, CancellationToken cancellationToken) =>
            outcome.ImageId == FailWritesOf
                ? Task.FromException<StageWriteResult>(new TransientStorageException("DynamoDB throttled"))
                : inner.ApplyStageAsync(outcome, cancellationToken);

        public Task<bool> ResetFailedStageAsync(Guid id, Stage stage, DateTimeOffset readUpdatedAt, DateTimeOffset at, CancellationToken cancellationToken) =>
            inner.ResetFailedStageAsync(id, stage, readUpdatedAt, at, cancellationToken);

        public Task<CatalogPage> ListAsync(string ownerId, int limit, CatalogPosition? after, CancellationToken cancellationToken) =>
            inner.ListAsync(ownerId, limit, after, cancellationToken);

        public Task<bool> MarkDeletedAsync(Guid id, DateTimeOffset deletedAt, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
            inner.MarkDeletedAsync(id, deletedAt, expiresAt, cancellationToken);

        public Task<int> PurgeExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken) => inner.PurgeExpiredAsync(now, cancellationToken);
    }
}
