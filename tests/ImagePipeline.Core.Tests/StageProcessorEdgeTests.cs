using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Events;
using ImagePipeline.Core.Imaging;
using ImagePipeline.Core.Services;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Core.Tests;

/// <summary>The time, stop, retry and reprocessing edges of <see cref="StageProcessor"/> (the fixture is in StageProcessorTests.cs).</summary>
public sealed partial class StageProcessorTests
{
    /// <summary>An upload as the API creates it (with the real expiry rule), and its original stored.</summary>
    private async Task<(Guid Id, ObjectCreated Event)> UploadAsync()
    {
        var uploads = new UploadService(_catalog, _store, ImageFormats.All, _options, _clock);
        var (record, _) = await uploads.CreateAsync("local", "a.jpg", "image/jpeg", Bytes.Length, Token);
        var key = ObjectKeys.Original(record.Id);
        var etag = _store.PutOriginal(key, Bytes);
        return (record.Id, new ObjectCreated("originals", key, Bytes.Length, etag, "1"));
    }

    [Fact]
    public async Task ProcessEvent_ArrivingAfterThePendingVisibilityAndASweep_ProcessesAndKeepsTheOriginal()
    {
        // A host stopped overnight with work queued: the events arrive 25 h after the upload, after a sweep.
        var (id, created) = await UploadAsync();
        _clock.Advance(TimeSpan.FromHours(25));
        await _catalog.PurgeExpiredAsync(_clock.GetUtcNow(), Token);

        var resize = await _processor.ProcessEventAsync(Stage.Resize, created, 1, Token);
        var thumbnail = await _processor.ProcessEventAsync(Stage.Thumbnail, created, 1, Token);

        Assert.Equal(("done", "done"), (resize.Outcome, thumbnail.Outcome));
        Assert.Equal(ImageStatus.Ready, _catalog.Find(id)!.Status);
        Assert.True(_store.Objects.ContainsKey((Bucket.Originals, created.Key)));
    }

    [Fact]
    public async Task ProcessEvent_ArrivingAtTheLongestEventAge_StillFindsTheRecord()
    {
        var (id, created) = await UploadAsync();
        _clock.Advance(PipelineOptions.MaxEventAge + _options.UrlLifetime);
        await _catalog.PurgeExpiredAsync(_clock.GetUtcNow(), Token);

        var report = await _processor.ProcessEventAsync(Stage.Resize, created, 1, Token);

        Assert.Equal("done", report.Outcome);
        Assert.True(_store.Objects.ContainsKey((Bucket.Originals, ObjectKeys.Original(id))));
    }

    [Fact]
    public async Task ProcessMessage_StopOnTheLastAttempt_PropagatesAndRecordsNothing()
    {
        var (id, created) = await UploadAsync();
        using var stopping = new CancellationTokenSource();
        _engine.OnCall = stopping.Cancel;
        _engine.FailWith = new OperationCanceledException(stopping.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _processor.ProcessMessageAsync(
            Stage.Resize, S3EventParser.Serialize(created, _clock.GetUtcNow()), _options.MaxAttempts, stopping.Token, CancellationMeaning.Shutdown));

        var record = _catalog.Find(id)!;
        Assert.Equal(StageState.Pending, record.ResizeState);
        Assert.Null(record.ResizeError);
    }

    [Fact]
    public async Task ProcessMessage_DeadlineOnTheLastAttempt_RecordsInternal()
    {
        var (id, created) = await UploadAsync();
        using var deadline = new CancellationTokenSource();
        _engine.OnCall = deadline.Cancel;
        _engine.FailWith = new OperationCanceledException(deadline.Token);

        var reports = await _processor.ProcessMessageAsync(
            Stage.Resize, S3EventParser.Serialize(created, _clock.GetUtcNow()), _options.MaxAttempts, deadline.Token);

        Assert.Equal("gave-up", Assert.Single(reports).Outcome);
        Assert.Equal("internal", _catalog.Find(id)!.ResizeError!.Code);
    }

    [Fact]
    public async Task ProcessEvent_EngineInternalError_RetriedThenRecordedInternalOnTheLastAttempt()
    {
        // Out of memory says nothing about the file: it is not corrupt_image.
        var (id, created) = await UploadAsync();
        _engine.FailWith = new ImageProcessingException(ImageErrorCode.Internal, "The image could not be processed for lack of memory.");

        var early = await _processor.ProcessEventAsync(Stage.Resize, created, 1, Token);
        Assert.Equal((StageDisposition.Retry, "retry"), (early.Disposition, early.Outcome));
        Assert.Equal(StageState.Pending, _catalog.Find(id)!.ResizeState);

        var last = await _processor.ProcessEventAsync(Stage.Resize, created, _options.MaxAttempts, Token);
        Assert.Equal((StageDisposition.Acknowledge, "gave-up"), (last.Disposition, last.Outcome));
        var error = _catalog.Find(id)!.ResizeError!;
        Assert.Equal("internal", error.Code);
        Assert.Contains("lack of memory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessEvent_FailedStage_RunsAgainOnlyForAReprocessEvent()
    {
        var (id, created) = await UploadAsync();
        _engine.FailWith = new ImageProcessingException(ImageErrorCode.Internal, "boom");
        await _processor.ProcessEventAsync(Stage.Thumbnail, created, _options.MaxAttempts, Token);
        Assert.Equal(StageState.Failed, _catalog.Find(id)!.ThumbnailState);
        _engine.FailWith = null;
        var calls = _engine.Calls;

        var redelivered = await _processor.ProcessEventAsync(Stage.Thumbnail, created, 1, Token);
        Assert.Equal("duplicate", redelivered.Outcome);
        Assert.Equal(calls, _engine.Calls);

        var reprocessed = await _processor.ProcessEventAsync(Stage.Thumbnail, created with { Reprocess = true }, 1, Token);
        Assert.Equal("done", reprocessed.Outcome);
        var record = _catalog.Find(id)!;
        Assert.Equal(StageState.Done, record.ThumbnailState);
        Assert.Null(record.ThumbnailError);
    }

    [Fact]
    public async Task ProcessEvent_DoneByAnOlderRecipe_RemadeAndTheOlderOutputsRemoved()
    {
        var (id, created) = await UploadAsync();
        await _processor.ProcessEventAsync(Stage.Thumbnail, created, 1, Token);
        var v1 = _catalog.Find(id)!.Thumbnail!.Key;
        var v2Options = _options with { Recipe = _options.Recipe with { Version = 2 } };
        var upgraded = new StageProcessor(_catalog, _store, _engine, v2Options, _clock);

        var report = await upgraded.ProcessEventAsync(Stage.Thumbnail, created, 1, Token);

        Assert.Equal("done", report.Outcome);
        var record = _catalog.Find(id)!;
        Assert.Equal(2, record.RecipeVersionOf(Stage.Thumbnail));
        Assert.Equal(ObjectKeys.Thumbnail(id, 2, 256), record.Thumbnail!.Key);
        Assert.True(_store.Objects.ContainsKey((Bucket.Derived, record.Thumbnail.Key)));
        Assert.False(_store.Objects.ContainsKey((Bucket.Derived, v1)));

        // And the old recipe's processor now sees a newer done stage: a duplicate, nothing written.
        Assert.Equal("duplicate", (await _processor.ProcessEventAsync(Stage.Thumbnail, created, 1, Token)).Outcome);
    }

    [Fact]
    public async Task AbandonMessage_DeadLetterForAProcessingImage_RecordsInternal_ButNeverOverADoneStage()
    {
        var (id, created) = await UploadAsync();
        await _processor.ProcessEventAsync(Stage.Thumbnail, created, 1, Token);
        var body = S3EventParser.Serialize(created, _clock.GetUtcNow());

        var resize = await _processor.AbandonMessageAsync(Stage.Resize, body, "dead-lettered", Token);
        var thumbnail = await _processor.AbandonMessageAsync(Stage.Thumbnail, body, "dead-lettered", Token);

        Assert.Equal(("gave-up", "duplicate"), (Assert.Single(resize).Outcome, Assert.Single(thumbnail).Outcome));
        var record = _catalog.Find(id)!;
        Assert.Equal(ImageStatus.Failed, record.Status);
        Assert.Equal("internal", record.ResizeError!.Code);
        Assert.Equal(StageState.Done, record.ThumbnailState);
    }

    [Fact]
    public async Task ProcessMessage_RecordsHoldingNull_Malformed()
    {
        var reports = await _processor.ProcessMessageAsync(Stage.Resize, """{"Records":[null]}""", 1, Token);

        Assert.Equal((StageDisposition.Acknowledge, "malformed"), (Assert.Single(reports).Disposition, reports[0].Outcome));
    }
}
