using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Events;
using ImagePipeline.Core.Imaging;
using ImagePipeline.Core.Services;
using ImagePipeline.Core.Storage;
using ImagePipeline.Testing;

namespace ImagePipeline.Core.Tests;

public sealed partial class StageProcessorTests
{
    private static readonly byte[] Bytes = "original bytes"u8.ToArray();
    private readonly ManualClock _clock = new(DateTimeOffset.Parse("2026-11-22T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly InMemoryCatalog _catalog = new();
    private readonly InMemoryObjectStore _store;
    private readonly FakeImageEngine _engine = new();
    private readonly PipelineOptions _options = new() { CursorKey = new byte[32] };
    private readonly StageProcessor _processor;

    public StageProcessorTests()
    {
        _store = new InMemoryObjectStore(_clock);
        _processor = new StageProcessor(_catalog, _store, _engine, _options, _clock);
    }

    private CancellationToken Token => TestContext.Current.CancellationToken;

    private (ImageRecord Record, ObjectCreated Event) Uploaded()
    {
        var record = _catalog.Put(new ImageRecord
        {
            Id = ImageIds.New(_clock), OwnerId = "local", FileName = "a.jpg", ContentType = "image/jpeg", DeclaredBytes = Bytes.Length,
            CreatedAt = _clock.GetUtcNow(), UpdatedAt = _clock.GetUtcNow(), ExpiresAt = _clock.GetUtcNow().AddHours(24),
        });
        var key = ObjectKeys.Original(record.Id);
        var etag = _store.PutOriginal(key, Bytes);
        return (record, new ObjectCreated("originals", key, Bytes.Length, etag, "1"));
    }

    [Fact]
    public async Task ProcessEvent_BothStages_ImageBecomesReadyWithOutputsAtRecipeKeys()
    {
        var (record, created) = Uploaded();

        var resize = await _processor.ProcessEventAsync(Stage.Resize, created, 1, Token);
        var thumbnail = await _processor.ProcessEventAsync(Stage.Thumbnail, created, 1, Token);

        Assert.Equal(("done", "done"), (resize.Outcome, thumbnail.Outcome));
        Assert.Equal((StageSeverity.Routine, StageSeverity.Routine), (resize.Severity, thumbnail.Severity));
        var stored = _catalog.Find(record.Id)!;
        Assert.Equal(ImageStatus.Ready, stored.Status);
        Assert.Null(stored.ExpiresAt);
        Assert.Equal(created.ETag, stored.SourceEtag);
        Assert.Equal(["w320", "w640", "w1280"], stored.Renditions!.Select(r => r.Name));
        Assert.Equal(ObjectKeys.Thumbnail(record.Id, 1, 256), stored.Thumbnail!.Key);
        Assert.All(stored.Renditions!.Append(stored.Thumbnail), d => Assert.True(_store.Objects.ContainsKey((Bucket.Derived, d.Key))));
        Assert.NotNull(stored.Metadata!.Gps);
    }

    [Fact]
    public async Task ProcessEvent_DuplicateDelivery_AcknowledgedWithoutReprocessing()
    {
        var (record, created) = Uploaded();
        await _processor.ProcessEventAsync(Stage.Resize, created, 1, Token);
        var before = _catalog.Find(record.Id);
        var calls = _engine.Calls;
        _clock.Advance(TimeSpan.FromMinutes(1));

        var again = await _processor.ProcessEventAsync(Stage.Resize, created, 1, Token);

        Assert.Equal((StageDisposition.Acknowledge, "duplicate", StageSeverity.Routine), (again.Disposition, again.Outcome, again.Severity));
        Assert.Equal(calls, _engine.Calls);
        Assert.Equal(before, _catalog.Find(record.Id));
    }

    [Fact]
    public async Task ProcessEvent_StaleEtag_AcknowledgedAndNothingChanges()
    {
        var (record, created) = Uploaded();
        await _processor.ProcessEventAsync(Stage.Resize, created, 1, Token);
        var before = _catalog.Find(record.Id);

        var stale = await _processor.ProcessEventAsync(Stage.Thumbnail, created with { ETag = "0000" }, 1, Token);

        Assert.Equal((StageDisposition.Acknowledge, "stale"), (stale.Disposition, stale.Outcome));
        Assert.Equal(before, _catalog.Find(record.Id));
    }

    [Fact]
    public async Task ProcessEvent_DeletedImage_RemovesTheOriginalAndWritesNothing()
    {
        var (record, created) = Uploaded();
        await _catalog.MarkDeletedAsync(record.Id, _clock.GetUtcNow(), _clock.GetUtcNow().AddDays(7), Token);

        var report = await _processor.ProcessEventAsync(Stage.Resize, created, 1, Token);

        Assert.Equal("orphan", report.Outcome);
        Assert.Empty(_store.Objects);
        Assert.Equal(0, _engine.Calls);
    }

    [Fact]
    public async Task ProcessEvent_UnknownImage_RemovesTheOriginal()
    {
        var key = ObjectKeys.Original(ImageIds.New(_clock));
        var etag = _store.PutOriginal(key, Bytes);

        var report = await _processor.ProcessEventAsync(Stage.Thumbnail, new ObjectCreated("originals", key, Bytes.Length, etag, null), 1, Token);

        Assert.Equal((StageDisposition.Acknowledge, "orphan"), (report.Disposition, report.Outcome));
        Assert.Empty(_store.Objects);
    }

    [Fact]
    public async Task ProcessEvent_PermanentImageError_RecordedFailedOnceAndAcknowledged()
    {
        var (record, created) = Uploaded();
        _engine.FailWith = new ImageProcessingException(ImageErrorCode.CorruptImage, "truncated");

        var report = await _processor.ProcessEventAsync(Stage.Resize, created, 1, Token);

        Assert.Equal((StageDisposition.Acknowledge, "failed", "corrupt_image"), (report.Disposition, report.Outcome, report.ErrorCode));
        Assert.Equal(StageSeverity.FileRejected, report.Severity);
        var stored = _catalog.Find(record.Id)!;
        Assert.Equal(ImageStatus.Failed, stored.Status);
        Assert.Equal(new StageError("corrupt_image", "truncated"), stored.Error);
    }

    [Fact]
    public async Task ProcessEvent_RedeliveryOfAFailedStage_AcknowledgedWithoutDecodingAgain()
    {
        var (record, created) = Uploaded();
        _engine.FailWith = new ImageProcessingException(ImageErrorCode.CorruptImage, "truncated");
        await _processor.ProcessEventAsync(Stage.Resize, created, 1, Token);
        var calls = _engine.Calls;
        var before = _catalog.Find(record.Id);

        var again = await _processor.ProcessEventAsync(Stage.Resize, created, 1, Token);

        Assert.Equal((StageDisposition.Acknowledge, "duplicate", StageSeverity.Routine), (again.Disposition, again.Outcome, again.Severity));
        Assert.Equal(calls, _engine.Calls);
        Assert.Equal(before, _catalog.Find(record.Id));
    }

    [Fact]
    public async Task ProcessEvent_EventSizeOverLimit_FailsTooLargeWithoutReading()
    {
        var (record, created) = Uploaded();
        _store.FailReadsWith = new InvalidOperationException("the original must not be read");

        var report = await _processor.ProcessEventAsync(Stage.Resize, created with { Size = _options.Limits.MaxBytes + 1 }, 1, Token);

        Assert.Equal(("failed", "too_large", StageSeverity.FileRejected), (report.Outcome, report.ErrorCode, report.Severity));
        Assert.Equal("too_large", _catalog.Find(record.Id)!.ResizeError!.Code);
    }

    [Fact]
    public async Task ProcessEvent_TransientFailureBeforeLastAttempt_AsksForRetryAndRecordsNothing()
    {
        var (record, created) = Uploaded();
        _store.FailReadsWith = new TransientStorageException("throttled");

        var report = await _processor.ProcessEventAsync(Stage.Resize, created, _options.MaxAttempts - 1, Token);

        Assert.Equal((StageDisposition.Retry, "retry", StageSeverity.Transient), (report.Disposition, report.Outcome, report.Severity));
        Assert.Equal(StageState.Pending, _catalog.Find(record.Id)!.ResizeState);
    }

    [Fact]
    public async Task ProcessEvent_TransientFailureOnLastAttempt_RecordsInternalAndAcknowledges()
    {
        var (record, created) = Uploaded();
        _store.FailReadsWith = new TransientStorageException("throttled");

        var report = await _processor.ProcessEventAsync(Stage.Thumbnail, created, _options.MaxAttempts, Token);

        Assert.Equal((StageDisposition.Acknowledge, "gave-up", "internal"), (report.Disposition, report.Outcome, report.ErrorCode));
        Assert.Equal(StageSeverity.Fault, report.Severity);
        Assert.Equal(ImageStatus.Failed, _catalog.Find(record.Id)!.Status);
    }

    [Fact]
    public async Task ProcessEvent_ImageDeletedWhileProcessing_RemovesTheOutputsJustWritten()
    {
        var (record, created) = Uploaded();
        var deleting = new DeletingEngine(_engine, () => _catalog.MarkDeletedAsync(record.Id, _clock.GetUtcNow(), _clock.GetUtcNow().AddDays(7), Token).GetAwaiter().GetResult());
        var processor = new StageProcessor(_catalog, _store, deleting, _options, _clock);

        var report = await processor.ProcessEventAsync(Stage.Resize, created, 1, Token);

        Assert.Equal("deleted", report.Outcome);
        Assert.Empty(_store.Objects);
    }

    [Theory]
    [InlineData("s3-test-event.json", "ignored")]
    [InlineData("s3-encoded-key.json", "ignored")]
    public async Task ProcessMessage_NothingToDo_Acknowledged(string golden, string outcome)
    {
        var body = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "events", golden));

        var report = Assert.Single(await _processor.ProcessMessageAsync(Stage.Resize, body, 1, Token));

        Assert.Equal((StageDisposition.Acknowledge, outcome), (report.Disposition, report.Outcome));
    }

    [Fact]
    public async Task ProcessMessage_MalformedBody_AcknowledgedAsMalformed()
    {
        var report = Assert.Single(await _processor.ProcessMessageAsync(Stage.Resize, "{not json", 1, Token));

        Assert.Equal((StageDisposition.Acknowledge, "malformed", StageSeverity.Fault), (report.Disposition, report.Outcome, report.Severity));
    }

    [Fact]
    public async Task ProcessEvent_DeletedImageWithBothStagesOutputs_EachStageRemovesOnlyWhatItWritesWithoutListing()
    {
        var (record, created) = Uploaded();
        await _processor.ProcessEventAsync(Stage.Resize, created, 1, Token);
        await _processor.ProcessEventAsync(Stage.Thumbnail, created, 1, Token);
        await _catalog.MarkDeletedAsync(record.Id, _clock.GetUtcNow(), _clock.GetUtcNow().AddDays(7), Token);

        // Late redeliveries after a DELETE whose own clean-up did not finish.
        await _processor.ProcessEventAsync(Stage.Resize, created, 2, Token);
        Assert.DoesNotContain(_store.Objects.Keys, k => k.Item2.StartsWith("renditions/", StringComparison.Ordinal) || k.Item1 == Bucket.Originals);
        Assert.Contains(_store.Objects.Keys, k => k.Item2.StartsWith("thumbnails/", StringComparison.Ordinal));

        await _processor.ProcessEventAsync(Stage.Thumbnail, created, 2, Token);
        Assert.Empty(_store.Objects);

        // A stage's AWS role may delete only where it writes: no listing of the derived bucket.
        Assert.Empty(_store.DeletedPrefixes);
    }

    [Fact]
    public async Task ProcessEvent_CancelledOnLastAttempt_RecordedInternalNotLeftProcessing()
    {
        var (record, created) = Uploaded();
        using var deadline = new CancellationTokenSource();
        await deadline.CancelAsync();
        _engine.FailWith = new OperationCanceledException(deadline.Token);

        var report = await _processor.ProcessEventAsync(Stage.Resize, created, _options.MaxAttempts, deadline.Token);

        Assert.Equal((StageDisposition.Acknowledge, "gave-up", "internal"), (report.Disposition, report.Outcome, report.ErrorCode));
        Assert.Equal(StageState.Failed, _catalog.Find(record.Id)!.StateOf(Stage.Resize));
    }

    [Fact]
    public async Task ProcessEvent_CancelledBeforeLastAttempt_Retried()
    {
        var (record, created) = Uploaded();
        using var deadline = new CancellationTokenSource();
        await deadline.CancelAsync();
        _engine.FailWith = new OperationCanceledException(deadline.Token);

        var report = await _processor.ProcessEventAsync(Stage.Resize, created, _options.MaxAttempts - 1, deadline.Token);

        Assert.Equal(StageDisposition.Retry, report.Disposition);
        Assert.Equal(StageState.Pending, _catalog.Find(record.Id)!.StateOf(Stage.Resize));
    }

    [Fact]
    public async Task AbandonMessage_LastReceiveNotStarted_RecordsInternal()
    {
        var (record, created) = Uploaded();

        var report = Assert.Single(await _processor.AbandonMessageAsync(Stage.Thumbnail, S3EventParser.Serialize(created, _clock.GetUtcNow()), "no time left", Token));

        Assert.Equal((StageDisposition.Acknowledge, "gave-up"), (report.Disposition, report.Outcome));
        var stored = _catalog.Find(record.Id)!;
        Assert.Equal(StageState.Failed, stored.StateOf(Stage.Thumbnail));
        Assert.Contains("no time left", stored.ThumbnailError!.Message, StringComparison.Ordinal);
        Assert.Equal(0, _engine.Calls);
    }

    /// <summary>Runs a side effect in the middle of processing, as a concurrent DELETE would.</summary>
    private sealed class DeletingEngine(FakeImageEngine inner, Action during) : IImageEngine
    {
        public IReadOnlyList<ImageFormat> DecodableFormats => inner.DecodableFormats;

        public ImageLimits Limits => inner.Limits;

        public ImageInfo Probe(ReadOnlyMemory<byte> original) => inner.Probe(original);

        public RenditionSet Resize(ReadOnlyMemory<byte> original, RenditionRecipe recipe, CancellationToken cancellationToken = default)
        {
            during();
            return inner.Resize(original, recipe, cancellationToken);
        }

        public ThumbnailResult Thumbnail(ReadOnlyMemory<byte> original, ThumbnailRecipe recipe, CancellationToken cancellationToken = default) =>
            inner.Thumbnail(original, recipe, cancellationToken);

        public ProcessedImage Process(ReadOnlyMemory<byte> original, ImageRecipe recipe, CancellationToken cancellationToken = default) =>
            inner.Process(original, recipe, cancellationToken);
    }
}
