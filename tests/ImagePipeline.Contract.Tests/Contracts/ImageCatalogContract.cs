using ImagePipeline.Core;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Imaging;

namespace ImagePipeline.Contract.Tests.Contracts;

/// <summary>
/// The design's catalog write rules, proved on every <see cref="IImageCatalog"/>: subclass it with a factory of a fresh,
/// empty catalog. Only Core types are used here, so the DynamoDB catalog joins by subclassing too.
/// </summary>
public abstract class ImageCatalogContract
{
    protected const string Owner = "local";
    protected const string Etag1 = "9e107d9d372bb6826bd81d3542a419d6";
    protected const string Etag2 = "e4d909c290d0fb1ca068ffaddf22cbd0";

    protected static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    protected static readonly OriginalFacts SampleOriginal = new("jpeg", 4000, 3000, 2_345_678);

    protected static readonly ImageMetadata SampleMetadata = new(
        "Canon", "EOS R5", "RF24-70mm F2.8 L IS USM", "2024-05-01T10:11:12", "1/250", 2.8, 100, 35.5,
        new GpsLocation(48.858370, 2.294481, 35.25));

    /// <summary>A new, empty catalog (each call a separate one).</summary>
    protected abstract Task<IImageCatalog> CreateCatalogAsync();

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    // ---- create / get --------------------------------------------------------------------------------------------

    [Fact]
    public async Task CreateAsync_NewId_StoresTheRecordAsGiven()
    {
        var catalog = await CreateCatalogAsync();
        var record = NewRecord(T0) with { FileName = "Été à Paris \"1\".jpg", DeclaredBytes = 52_428_800 };

        Assert.True(await catalog.CreateAsync(record, Ct));

        var stored = await catalog.GetAsync(record.Id, Ct);
        Assert.NotNull(stored);
        AssertSameRecord(record, stored);
        Assert.Equal(ImageStatus.Pending, stored.Status);
    }

    [Fact]
    public async Task CreateAsync_ExistingId_ReturnsFalseAndKeepsTheFirst()
    {
        var catalog = await CreateCatalogAsync();
        var first = NewRecord(T0);
        await catalog.CreateAsync(first, Ct);

        var second = first with { FileName = "other.png", ContentType = "image/png", CreatedAt = T0.AddHours(1) };
        Assert.False(await catalog.CreateAsync(second, Ct));

        AssertSameRecord(first, (await catalog.GetAsync(first.Id, Ct))!);
    }

    [Fact]
    public async Task GetAsync_UnknownId_ReturnsNull()
    {
        var catalog = await CreateCatalogAsync();

        Assert.Null(await catalog.GetAsync(Guid.CreateVersion7(T0), Ct));
    }

    // ---- stage results -------------------------------------------------------------------------------------------

    [Fact]
    public async Task ApplyStageAsync_ResizeDone_SetsOnlyResizeAttributes()
    {
        var catalog = await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);
        var outcome = Done(record.Id, Stage.Resize, at: T0.AddSeconds(5));

        Assert.Equal(StageWriteResult.Applied, await catalog.ApplyStageAsync(outcome, Ct));

        var stored = (await catalog.GetAsync(record.Id, Ct))!;
        Assert.Equal(StageState.Done, stored.ResizeState);
        Assert.Equal(outcome.Renditions!, stored.Renditions!);
        Assert.Null(stored.ResizeError);
        Assert.Equal(StageState.Pending, stored.ThumbnailState);
        Assert.Null(stored.Thumbnail);
        Assert.Null(stored.ThumbnailError);
        Assert.Equal(Etag1, stored.SourceEtag);
        Assert.Equal(SampleOriginal, stored.Original);
        Assert.Equal(SampleMetadata, stored.Metadata);
        Assert.Equal(T0.AddSeconds(5), stored.UpdatedAt);
        AssertSameRecord(record, stored with
        {
            ResizeState = StageState.Pending,
            ResizeRecipeVersion = null,
            Renditions = null,
            SourceEtag = null,
            Original = null,
            Metadata = null,
            UpdatedAt = record.UpdatedAt,
            ExpiresAt = record.ExpiresAt,
        });
    }

    [Fact]
    public async Task ApplyStageAsync_ThumbnailDone_SetsOnlyThumbnailAttributes()
    {
        var catalog = await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);
        var outcome = Done(record.Id, Stage.Thumbnail, at: T0.AddSeconds(3));

        Assert.Equal(StageWriteResult.Applied, await catalog.ApplyStageAsync(outcome, Ct));

        var stored = (await catalog.GetAsync(record.Id, Ct))!;
        Assert.Equal(StageState.Done, stored.ThumbnailState);
        Assert.Equal(outcome.Thumbnail, stored.Thumbnail);
        Assert.Null(stored.ThumbnailError);
        Assert.Equal(StageState.Pending, stored.ResizeState);
        Assert.Null(stored.Renditions);
        Assert.Null(stored.ResizeError);
        Assert.Equal(Etag1, stored.SourceEtag);
        Assert.Equal(T0.AddSeconds(3), stored.UpdatedAt);
    }

    [Theory]
    [InlineData(Stage.Resize, Stage.Thumbnail)]
    [InlineData(Stage.Thumbnail, Stage.Resize)]
    public async Task ApplyStageAsync_StagesInEitherOrder_BothLand(Stage first, Stage second)
    {
        var catalog = await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);
        var resize = Done(record.Id, Stage.Resize);
        var thumbnail = Done(record.Id, Stage.Thumbnail);
        StageOutcome Of(Stage stage) => stage == Stage.Resize ? resize : thumbnail;

        Assert.Equal(StageWriteResult.Applied, await catalog.ApplyStageAsync(Of(first), Ct));
        Assert.Equal(StageWriteResult.Applied, await catalog.ApplyStageAsync(Of(second), Ct));

        var stored = (await catalog.GetAsync(record.Id, Ct))!;
        Assert.Equal(resize.Renditions!, stored.Renditions!);
        Assert.Equal(thumbnail.Thumbnail, stored.Thumbnail);
        Assert.Equal(ImageStatus.Ready, stored.Status);
    }

    [Fact]
    public async Task ApplyStageAsync_DuplicateEvent_ReturnsAlreadyDoneAndChangesNothing()
    {
        var catalog = await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);
        await catalog.ApplyStageAsync(Done(record.Id, Stage.Resize, at: T0.AddSeconds(1)), Ct);
        var before = (await catalog.GetAsync(record.Id, Ct))!;

        var duplicate = Done(record.Id, Stage.Resize, at: T0.AddSeconds(9)) with
        {
            Renditions = [new DerivedFacts("w320", 320, 200, "webp", 1, "renditions/x/r1/w320.webp")],
        };
        Assert.Equal(StageWriteResult.AlreadyDone, await catalog.ApplyStageAsync(duplicate, Ct));

        AssertSameRecord(before, (await catalog.GetAsync(record.Id, Ct))!);
    }

    [Fact]
    public async Task ApplyStageAsync_DuplicateFailureAfterDone_ReturnsAlreadyDoneAndKeepsDone()
    {
        var catalog = await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);
        await catalog.ApplyStageAsync(Done(record.Id, Stage.Thumbnail), Ct);

        var late = Failed(record.Id, Stage.Thumbnail, "internal");
        Assert.Equal(StageWriteResult.AlreadyDone, await catalog.ApplyStageAsync(late, Ct));

        var stored = (await catalog.GetAsync(record.Id, Ct))!;
        Assert.Equal(StageState.Done, stored.ThumbnailState);
        Assert.Null(stored.ThumbnailError);
    }

    [Fact]
    public async Task ApplyStageAsync_OtherEtag_ReturnsStaleAndChangesNothing()
    {
        var catalog = await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);
        await catalog.ApplyStageAsync(Done(record.Id, Stage.Resize, Etag1), Ct);
        var before = (await catalog.GetAsync(record.Id, Ct))!;

        Assert.Equal(StageWriteResult.Stale, await catalog.ApplyStageAsync(Done(record.Id, Stage.Thumbnail, Etag2), Ct));

        AssertSameRecord(before, (await catalog.GetAsync(record.Id, Ct))!);
    }

    [Fact]
    public async Task ApplyStageAsync_OtherEtagOnDoneStage_ReturnsStale()
    {
        var catalog = await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);
        await catalog.ApplyStageAsync(Done(record.Id, Stage.Resize, Etag1), Ct);

        // Both conditions fail; the event belongs to other bytes, which is the more telling reason.
        Assert.Equal(StageWriteResult.Stale, await catalog.ApplyStageAsync(Done(record.Id, Stage.Resize, Etag2), Ct));
    }

    [Fact]
    public async Task ApplyStageAsync_DeletedImage_ReturnsDeletedAndChangesNothing()
    {
        var catalog = await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);
        Assert.True(await catalog.MarkDeletedAsync(record.Id, T0.AddMinutes(1), T0.AddDays(7), Ct));
        var before = (await catalog.GetAsync(record.Id, Ct))!;

        Assert.Equal(StageWriteResult.Deleted, await catalog.ApplyStageAsync(Done(record.Id, Stage.Resize), Ct));

        var after = (await catalog.GetAsync(record.Id, Ct))!;
        AssertSameRecord(before, after);
        Assert.Equal(StageState.Pending, after.ResizeState);
        Assert.Equal(T0.AddDays(7), after.ExpiresAt);
    }

    [Fact]
    public async Task ApplyStageAsync_UnknownImage_ReturnsUnknownAndCreatesNothing()
    {
        var catalog = await CreateCatalogAsync();
        var id = Guid.CreateVersion7(T0);

        Assert.Equal(StageWriteResult.Unknown, await catalog.ApplyStageAsync(Done(id, Stage.Thumbnail), Ct));

        Assert.Null(await catalog.GetAsync(id, Ct));
    }

    [Fact]
    public async Task ApplyStageAsync_FailedStage_RecordsStateCodeAndMessage()
    {
        var catalog = await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);
        var outcome = Failed(record.Id, Stage.Resize, "corrupt_image");

        Assert.Equal(StageWriteResult.Applied, await catalog.ApplyStageAsync(outcome, Ct));

        var stored = (await catalog.GetAsync(record.Id, Ct))!;
        Assert.Equal(StageState.Failed, stored.ResizeState);
        Assert.Equal(new StageError("corrupt_image", "The image data is damaged."), stored.ResizeError);
        Assert.Null(stored.Renditions);
        Assert.Equal(StageState.Pending, stored.ThumbnailState);
        Assert.Null(stored.ThumbnailError);
        Assert.Equal(Etag1, stored.SourceEtag);
        Assert.Equal(ImageStatus.Failed, stored.Status);
        Assert.Equal("corrupt_image", stored.Error?.Code);
    }

    [Fact]
    public async Task ApplyStageAsync_DoneAfterFailed_ReplacesTheFailure()
    {
        var catalog = await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);
        await catalog.ApplyStageAsync(Failed(record.Id, Stage.Thumbnail, "internal"), Ct);

        Assert.Equal(StageWriteResult.Applied, await catalog.ApplyStageAsync(Done(record.Id, Stage.Thumbnail), Ct));

        var stored = (await catalog.GetAsync(record.Id, Ct))!;
        Assert.Equal(StageState.Done, stored.ThumbnailState);
        Assert.Null(stored.ThumbnailError);
        Assert.NotNull(stored.Thumbnail);
    }

    [Fact]
    public async Task Status_ThroughTheStages_IsPendingThenProcessingThenReady()
    {
        var catalog = await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);
        Assert.Equal(ImageStatus.Pending, (await catalog.GetAsync(record.Id, Ct))!.Status);

        await catalog.ApplyStageAsync(Done(record.Id, Stage.Thumbnail), Ct);
        Assert.Equal(ImageStatus.Processing, (await catalog.GetAsync(record.Id, Ct))!.Status);

        await catalog.ApplyStageAsync(Done(record.Id, Stage.Resize), Ct);
        Assert.Equal(ImageStatus.Ready, (await catalog.GetAsync(record.Id, Ct))!.Status);
    }

    [Fact]
    public async Task Status_OneStageFailed_IsFailedWhateverTheOther()
    {
        var catalog = await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);

        await catalog.ApplyStageAsync(Failed(record.Id, Stage.Resize, "too_many_pixels"), Ct);
        Assert.Equal(ImageStatus.Failed, (await catalog.GetAsync(record.Id, Ct))!.Status);

        await catalog.ApplyStageAsync(Done(record.Id, Stage.Thumbnail), Ct);
        var stored = (await catalog.GetAsync(record.Id, Ct))!;
        Assert.Equal(ImageStatus.Failed, stored.Status);
        Assert.Equal("too_many_pixels", stored.Error?.Code);
    }

    [Fact]
    public async Task ApplyStageAsync_SecondStageWithSameEtag_KeepsTheFirstSourceFacts()
    {
        var catalog = await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);
        await catalog.ApplyStageAsync(Done(record.Id, Stage.Resize), Ct);

        var other = Done(record.Id, Stage.Thumbnail) with
        {
            Original = new OriginalFacts("png", 1, 1, 1),
            Metadata = ImageMetadata.Empty with { CameraMake = "Other" },
        };
        Assert.Equal(StageWriteResult.Applied, await catalog.ApplyStageAsync(other, Ct));

        var stored = (await catalog.GetAsync(record.Id, Ct))!;
        Assert.Equal(Etag1, stored.SourceEtag);
        Assert.Equal(SampleOriginal, stored.Original);
        Assert.Equal(SampleMetadata, stored.Metadata);
    }

    [Fact]
    public async Task ApplyStageAsync_FirstStageWithoutSourceFacts_SecondStageSetsThem()
    {
        var catalog = await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);
        await catalog.ApplyStageAsync(Failed(record.Id, Stage.Resize, "too_large"), Ct);
        Assert.Null((await catalog.GetAsync(record.Id, Ct))!.Original);

        await catalog.ApplyStageAsync(Done(record.Id, Stage.Thumbnail), Ct);

        var stored = (await catalog.GetAsync(record.Id, Ct))!;
        Assert.Equal(SampleOriginal, stored.Original);
        Assert.Equal(SampleMetadata, stored.Metadata);
    }

    [Fact]
    public async Task ApplyStageAsync_MetadataWithGps_RoundTripsExactly()
    {
        var catalog = await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);
        var metadata = new ImageMetadata(null, "Pixel 8", null, "2023-12-31T23:59:59", "1/10000", null, 12_800, 6.9,
            new GpsLocation(-33.856784, 151.215297, null));

        await catalog.ApplyStageAsync(Done(record.Id, Stage.Resize) with { Metadata = metadata }, Ct);

        var stored = (await catalog.GetAsync(record.Id, Ct))!;
        Assert.Equal(metadata, stored.Metadata);
        Assert.Equal(metadata.Gps, stored.Metadata!.Gps);
    }

    [Theory]
    [InlineData(StageState.Done)]
    [InlineData(StageState.Failed)]
    public async Task ApplyStageAsync_AnyResult_RemovesExpiresAt(StageState state)
    {
        var catalog = await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);
        Assert.NotNull((await catalog.GetAsync(record.Id, Ct))!.ExpiresAt);

        var outcome = state == StageState.Done ? Done(record.Id, Stage.Resize) : Failed(record.Id, Stage.Resize, "unsupported_format");
        await catalog.ApplyStageAsync(outcome, Ct);

        Assert.Null((await catalog.GetAsync(record.Id, Ct))!.ExpiresAt);
    }

    [Fact]
    public async Task ApplyStageAsync_BothStagesConcurrentlyOn50Images_NoUpdateIsLost()
    {
        var catalog = await CreateCatalogAsync();
        var records = new List<ImageRecord>();
        for (var i = 0; i < 50; i++)
        {
            records.Add(await CreateAsync(catalog, T0.AddMilliseconds(i)));
        }

        // Each stage twice (a duplicate delivery racing the first), all 200 writes at once.
        var outcomes = records.SelectMany(r => new[]
        {
            Done(r.Id, Stage.Resize), Done(r.Id, Stage.Thumbnail), Done(r.Id, Stage.Resize), Done(r.Id, Stage.Thumbnail),
        });
        var results = await Task.WhenAll(outcomes.Select(o => Task.Run(() => catalog.ApplyStageAsync(o, Ct), Ct)));

        Assert.Equal(100, results.Count(r => r == StageWriteResult.Applied));
        Assert.Equal(100, results.Count(r => r == StageWriteResult.AlreadyDone));
        foreach (var record in records)
        {
            var stored = (await catalog.GetAsync(record.Id, Ct))!;
            Assert.Equal(StageState.Done, stored.ResizeState);
            Assert.Equal(StageState.Done, stored.ThumbnailState);
            Assert.Equal(4, stored.Renditions?.Count);
            Assert.NotNull(stored.Thumbnail);
            Assert.Equal(ImageStatus.Ready, stored.Status);
        }
    }

    // ---- delete / purge ------------------------------------------------------------------------------------------

    [Fact]
    public async Task MarkDeletedAsync_LiveImage_TombstonesAndDropsFromListingAtOnce()
    {
        var catalog = await CreateCatalogAsync();
        var kept = await CreateAsync(catalog, T0);
        var deleted = await CreateAsync(catalog, T0.AddSeconds(1));
        await catalog.ApplyStageAsync(Done(deleted.Id, Stage.Resize), Ct);

        Assert.True(await catalog.MarkDeletedAsync(deleted.Id, T0.AddHours(1), T0.AddDays(7), Ct));

        var page = await catalog.ListAsync(Owner, 10, null, Ct);
        Assert.Equal([kept.Id], page.Items.Select(r => r.Id));
        var tombstone = (await catalog.GetAsync(deleted.Id, Ct))!;
        Assert.Equal(T0.AddHours(1), tombstone.DeletedAt);
        Assert.Equal(T0.AddDays(7), tombstone.ExpiresAt);
    }

    [Fact]
    public async Task MarkDeletedAsync_SecondTime_ReturnsFalseAndKeepsTheFirstTombstone()
    {
        var catalog = await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);
        Assert.True(await catalog.MarkDeletedAsync(record.Id, T0.AddHours(1), T0.AddDays(7), Ct));

        Assert.False(await catalog.MarkDeletedAsync(record.Id, T0.AddHours(2), T0.AddDays(8), Ct));

        var tombstone = (await catalog.GetAsync(record.Id, Ct))!;
        Assert.Equal(T0.AddHours(1), tombstone.DeletedAt);
        Assert.Equal(T0.AddDays(7), tombstone.ExpiresAt);
    }

    [Fact]
    public async Task MarkDeletedAsync_UnknownImage_ReturnsFalse()
    {
        var catalog = await CreateCatalogAsync();

        Assert.False(await catalog.MarkDeletedAsync(Guid.CreateVersion7(T0), T0, T0.AddDays(7), Ct));
    }

    [Fact]
    public async Task PurgeExpiredAsync_ExpiredPendingAndTombstones_RemovesThoseOnly()
    {
        var catalog = await CreateCatalogAsync();
        var expiredPending = await CreateAsync(catalog, T0);                                   // expires T0 + 24 h
        var livePending = await CreateAsync(catalog, T0.AddHours(2));                          // expires T0 + 26 h
        var processed = await CreateAsync(catalog, T0.AddSeconds(1));                          // expiry removed
        await catalog.ApplyStageAsync(Done(processed.Id, Stage.Resize), Ct);
        var expiredTombstone = await CreateAsync(catalog, T0.AddSeconds(2));
        await catalog.MarkDeletedAsync(expiredTombstone.Id, T0.AddHours(1), T0.AddHours(25), Ct); // exactly now
        var liveTombstone = await CreateAsync(catalog, T0.AddSeconds(3));
        await catalog.MarkDeletedAsync(liveTombstone.Id, T0.AddHours(1), T0.AddDays(7), Ct);

        Assert.Equal(2, await catalog.PurgeExpiredAsync(T0.AddHours(25), Ct));

        Assert.Null(await catalog.GetAsync(expiredPending.Id, Ct));
        Assert.Null(await catalog.GetAsync(expiredTombstone.Id, Ct));
        Assert.NotNull(await catalog.GetAsync(livePending.Id, Ct));
        Assert.NotNull(await catalog.GetAsync(processed.Id, Ct));
        Assert.NotNull(await catalog.GetAsync(liveTombstone.Id, Ct));
        Assert.Equal(0, await catalog.PurgeExpiredAsync(T0.AddHours(25), Ct));
    }

    [Fact]
    public async Task PurgeExpiredAsync_UploadNeverRecordedWithinTheEventLifetime_KeepsTheRecordUntilItsExpiry()
    {
        // The design's expiry rule: a pending record carries createdAt + 15 days (the longest an event can wait, plus a
        // day), so a backlog that outlives the API's 24-hour visibility still finds the record.
        var catalog = await CreateCatalogAsync();
        var record = NewRecord(T0) with { ExpiresAt = T0.AddDays(15) };
        Assert.True(await catalog.CreateAsync(record, Ct));

        Assert.Equal(0, await catalog.PurgeExpiredAsync(T0.AddHours(25), Ct));
        Assert.Equal(StageWriteResult.Applied, await catalog.ApplyStageAsync(Done(record.Id, Stage.Resize, at: T0.AddDays(10)), Ct));
        Assert.Equal(0, await catalog.PurgeExpiredAsync(T0.AddDays(16), Ct));

        var stored = (await catalog.GetAsync(record.Id, Ct))!;
        Assert.Null(stored.ExpiresAt);
        Assert.Equal(ImageStatus.Processing, stored.Status);
    }

    [Fact]
    public async Task PurgeExpiredAsync_PendingRecordPastItsExpiry_RemovesIt()
    {
        var catalog = await CreateCatalogAsync();
        var record = NewRecord(T0) with { ExpiresAt = T0.AddDays(15) };
        await catalog.CreateAsync(record, Ct);

        Assert.Equal(1, await catalog.PurgeExpiredAsync(T0.AddDays(15), Ct));
        Assert.Null(await catalog.GetAsync(record.Id, Ct));
    }

    // ---- recipe versions and reprocessing -----------------------------------------------------------------------

    [Fact]
    public async Task ApplyStageAsync_Result_RecordsItsRecipeVersion()
    {
        var catalog = await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);

        await catalog.ApplyStageAsync(Done(record.Id, Stage.Resize, recipe: 3), Ct);
        await catalog.ApplyStageAsync(Failed(record.Id, Stage.Thumbnail, "corrupt_image", recipe: 2), Ct);

        var stored = (await catalog.GetAsync(record.Id, Ct))!;
        Assert.Equal(3, stored.RecipeVersionOf(Stage.Resize));
        Assert.Equal(2, stored.RecipeVersionOf(Stage.Thumbnail));
    }

    [Fact]
    public async Task ApplyStageAsync_DoneByNewerRecipeOverOlderDone_ReplacesTheOutputs()
    {
        var catalog = await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);
        await catalog.ApplyStageAsync(Done(record.Id, Stage.Resize, recipe: 1), Ct);

        Assert.Equal(StageWriteResult.Applied, await catalog.ApplyStageAsync(Done(record.Id, Stage.Resize, at: T0.AddHours(1), recipe: 2), Ct));

        var stored = (await catalog.GetAsync(record.Id, Ct))!;
        Assert.Equal(2, stored.RecipeVersionOf(Stage.Resize));
        Assert.All(stored.Renditions!, r => Assert.Contains("/r2/", r.Key, StringComparison.Ordinal));
        Assert.Equal(T0.AddHours(1), stored.UpdatedAt);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task ApplyStageAsync_DoneBySameOrOlderRecipeOverDone_ReturnsAlreadyDone(int recipe)
    {
        var catalog = await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);
        await catalog.ApplyStageAsync(Done(record.Id, Stage.Thumbnail, recipe: 2), Ct);

        Assert.Equal(StageWriteResult.AlreadyDone, await catalog.ApplyStageAsync(Done(record.Id, Stage.Thumbnail, recipe: recipe), Ct));
        Assert.Equal(2, (await catalog.GetAsync(record.Id, Ct))!.RecipeVersionOf(Stage.Thumbnail));
    }

    [Fact]
    public async Task ApplyStageAsync_FailureOfNewerRecipeOverOlderDone_KeepsTheDoneStage()
    {
        var catalog = await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);
        await catalog.ApplyStageAsync(Done(record.Id, Stage.Resize, recipe: 1), Ct);

        Assert.Equal(StageWriteResult.AlreadyDone, await catalog.ApplyStageAsync(Failed(record.Id, Stage.Resize, "internal", recipe: 2), Ct));

        var stored = (await catalog.GetAsync(record.Id, Ct))!;
        Assert.Equal(StageState.Done, stored.ResizeState);
        Assert.Equal(1, stored.RecipeVersionOf(Stage.Resize));
        Assert.Null(stored.ResizeError);
    }

    [Fact]
    public async Task ResetFailedStageAsync_FailedStage_SetsItPendingAndClearsItsErrorOnly()
    {
        var catalog = await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);
        await catalog.ApplyStageAsync(Failed(record.Id, Stage.Resize, "internal"), Ct);
        await catalog.ApplyStageAsync(Done(record.Id, Stage.Thumbnail), Ct);

        var read = (await catalog.GetAsync(record.Id, Ct))!.UpdatedAt;
        Assert.True(await catalog.ResetFailedStageAsync(record.Id, Stage.Resize, read, T0.AddHours(2), Ct));

        var stored = (await catalog.GetAsync(record.Id, Ct))!;
        Assert.Equal(StageState.Pending, stored.ResizeState);
        Assert.Null(stored.ResizeError);
        Assert.Equal(StageState.Done, stored.ThumbnailState);
        Assert.NotNull(stored.Thumbnail);
        Assert.Equal(Etag1, stored.SourceEtag);
        Assert.Equal(T0.AddHours(2), stored.UpdatedAt);
        Assert.Equal(ImageStatus.Processing, stored.Status);

        // Pending again, so the next stage result lands as for a first run.
        Assert.Equal(StageWriteResult.Applied, await catalog.ApplyStageAsync(Done(record.Id, Stage.Resize), Ct));
        Assert.Equal(ImageStatus.Ready, (await catalog.GetAsync(record.Id, Ct))!.Status);
    }

    [Fact]
    public async Task ResetFailedStageAsync_DonePendingDeletedOrUnknown_ReturnsFalseAndChangesNothing()
    {
        var catalog = await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);
        await catalog.ApplyStageAsync(Done(record.Id, Stage.Thumbnail), Ct);
        var before = (await catalog.GetAsync(record.Id, Ct))!;

        Assert.False(await catalog.ResetFailedStageAsync(record.Id, Stage.Thumbnail, before.UpdatedAt, T0.AddHours(2), Ct));
        Assert.False(await catalog.ResetFailedStageAsync(record.Id, Stage.Resize, before.UpdatedAt, T0.AddHours(2), Ct));
        AssertSameRecord(before, (await catalog.GetAsync(record.Id, Ct))!);

        var deleted = await CreateAsync(catalog, T0.AddSeconds(1));
        await catalog.ApplyStageAsync(Failed(deleted.Id, Stage.Resize, "internal"), Ct);
        await catalog.MarkDeletedAsync(deleted.Id, T0.AddHours(1), T0.AddDays(7), Ct);
        Assert.False(await catalog.ResetFailedStageAsync(deleted.Id, Stage.Resize, (await catalog.GetAsync(deleted.Id, Ct))!.UpdatedAt, T0.AddHours(2), Ct));
        Assert.Equal(StageState.Failed, (await catalog.GetAsync(deleted.Id, Ct))!.ResizeState);

        Assert.False(await catalog.ResetFailedStageAsync(Guid.CreateVersion7(T0), Stage.Resize, T0, T0, Ct));
    }

    [Fact]
    public async Task ResetFailedStageAsync_WrittenSinceRead_ReturnsFalseAndKeepsTheNewerResult()
    {
        // Reprocessing read the failure, queued the event, and the stage failed again before the reset: the new
        // failure must stand, or the stage would be pending with no event left to run it.
        var catalog = await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);
        await catalog.ApplyStageAsync(Failed(record.Id, Stage.Resize, "corrupt_image"), Ct);
        var read = (await catalog.GetAsync(record.Id, Ct))!.UpdatedAt;
        var again = Failed(record.Id, Stage.Resize, "corrupt_image") with { At = read.AddSeconds(1) };
        Assert.Equal(StageWriteResult.Applied, await catalog.ApplyStageAsync(again, Ct));

        Assert.False(await catalog.ResetFailedStageAsync(record.Id, Stage.Resize, read, read.AddSeconds(2), Ct));

        var stored = (await catalog.GetAsync(record.Id, Ct))!;
        Assert.Equal(StageState.Failed, stored.ResizeState);
        Assert.Equal(read.AddSeconds(1), stored.UpdatedAt);
    }

    // ---- listing -------------------------------------------------------------------------------------------------

    [Fact]
    public async Task ListAsync_RecordsCreatedOutOfOrder_NewestFirst()
    {
        var catalog = await CreateCatalogAsync();
        var created = new List<ImageRecord>();
        foreach (var minutes in new[] { 3, 1, 4, 0, 2 })
        {
            created.Add(await CreateAsync(catalog, T0.AddMinutes(minutes)));
        }

        var page = await catalog.ListAsync(Owner, 10, null, Ct);

        Assert.Equal(created.OrderByDescending(r => r.CreatedAt).Select(r => r.Id), page.Items.Select(r => r.Id));
        Assert.Null(page.Next);
    }

    [Fact]
    public async Task ListAsync_OtherOwners_AreNotListed()
    {
        var catalog = await CreateCatalogAsync();
        var mine = await CreateAsync(catalog, T0);
        await CreateAsync(catalog, T0.AddSeconds(1), owner: "someone-else");

        var page = await catalog.ListAsync(Owner, 10, null, Ct);
        var empty = await catalog.ListAsync("nobody", 10, null, Ct);

        Assert.Equal([mine.Id], page.Items.Select(r => r.Id));
        Assert.Empty(empty.Items);
        Assert.Null(empty.Next);
    }

    [Fact]
    public async Task ListAsync_45RecordsByPagesOf20_Returns20Then20Then5WithoutGapsOrDuplicates()
    {
        var catalog = await CreateCatalogAsync();
        var created = new List<ImageRecord>();
        for (var i = 0; i < 45; i++)
        {
            // Groups of three share a creation time, so ties straddle the page boundaries (20 and 40).
            created.Add(await CreateAsync(catalog, T0.AddSeconds(i / 3)));
        }

        await CreateAsync(catalog, T0.AddSeconds(5), owner: "someone-else");

        var sizes = new List<int>();
        var listed = new List<Guid>();
        CatalogPosition? after = null;
        do
        {
            var page = await catalog.ListAsync(Owner, 20, after, Ct);
            sizes.Add(page.Items.Count);
            listed.AddRange(page.Items.Select(r => r.Id));
            after = page.Next;
            if (after is not null)
            {
                Assert.Equal(new CatalogPosition(page.Items[^1].CreatedAt, page.Items[^1].Id), after);
            }
        }
        while (after is not null && sizes.Count < 10);

        Assert.Equal([20, 20, 5], sizes);
        Assert.Equal(NewestFirst(created), listed);
    }

    [Fact]
    public async Task ListAsync_SameCreatedAt_TiesBrokenByIdDescending()
    {
        var catalog = await CreateCatalogAsync();
        var created = new List<ImageRecord>();
        for (var i = 0; i < 7; i++)
        {
            created.Add(await CreateAsync(catalog, T0));
        }

        var listed = new List<Guid>();
        CatalogPosition? after = null;
        for (var pages = 0; pages < 10; pages++)
        {
            var page = await catalog.ListAsync(Owner, 2, after, Ct);
            listed.AddRange(page.Items.Select(r => r.Id));
            after = page.Next;
            if (after is null)
            {
                break;
            }
        }

        Assert.Equal(NewestFirst(created), listed);
    }

    [Fact]
    public async Task ListAsync_ExactMultipleOfLimit_EndsWithEveryRecordOnce()
    {
        var catalog = await CreateCatalogAsync();
        var created = new List<ImageRecord>();
        for (var i = 0; i < 10; i++)
        {
            created.Add(await CreateAsync(catalog, T0.AddSeconds(i)));
        }

        var listed = new List<Guid>();
        CatalogPosition? after = null;
        for (var pages = 0; pages < 10; pages++)
        {
            var page = await catalog.ListAsync(Owner, 5, after, Ct);
            listed.AddRange(page.Items.Select(r => r.Id));
            after = page.Next;
            if (after is null)
            {
                break;
            }
        }

        Assert.Null(after);
        Assert.Equal(NewestFirst(created), listed);
    }

    [Fact]
    public async Task ListAsync_AfterPositionOfADeletedRecord_ContinuesWithTheNextOlder()
    {
        var catalog = await CreateCatalogAsync();
        var records = new List<ImageRecord>();
        for (var i = 0; i < 4; i++)
        {
            records.Add(await CreateAsync(catalog, T0.AddSeconds(i)));
        }

        var first = await catalog.ListAsync(Owner, 2, null, Ct);
        await catalog.MarkDeletedAsync(first.Items[^1].Id, T0.AddMinutes(1), T0.AddDays(7), Ct);

        var second = await catalog.ListAsync(Owner, 2, first.Next, Ct);

        Assert.Equal([records[1].Id, records[0].Id], second.Items.Select(r => r.Id));
        Assert.Null(second.Next);
    }

    [Fact]
    public async Task ListAsync_LimitBelowOne_Throws()
    {
        var catalog = await CreateCatalogAsync();

        await Assert.ThrowsAnyAsync<ArgumentException>(() => catalog.ListAsync(Owner, 0, null, Ct));
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    protected static ImageRecord NewRecord(DateTimeOffset createdAt, string owner = Owner) => new()
    {
        Id = Guid.CreateVersion7(createdAt),
        OwnerId = owner,
        FileName = "photo.jpg",
        ContentType = "image/jpeg",
        DeclaredBytes = 2_345_678,
        CreatedAt = createdAt,
        UpdatedAt = createdAt,
        ExpiresAt = createdAt.AddHours(24),
        ResizeState = StageState.Pending,
        ThumbnailState = StageState.Pending,
    };

    protected static async Task<ImageRecord> CreateAsync(IImageCatalog catalog, DateTimeOffset createdAt, string owner = Owner)
    {
        var record = NewRecord(createdAt, owner);
        Assert.True(await catalog.CreateAsync(record, Ct));
        return record;
    }

    protected static StageOutcome Done(Guid id, Stage stage, string etag = Etag1, DateTimeOffset? at = null, int recipe = 1)
    {
        var text = ImageIds.Format(id);
        IReadOnlyList<DerivedFacts>? renditions = stage == Stage.Resize
            ?
            [
                new("w320", 320, 240, "webp", 12_345, $"renditions/{text}/r{recipe}/w320.webp"),
                new("w640", 640, 480, "webp", 34_567, $"renditions/{text}/r{recipe}/w640.webp"),
                new("w1280", 1280, 960, "webp", 98_765, $"renditions/{text}/r{recipe}/w1280.webp"),
                new("w2048", 2048, 1536, "webp", 201_234, $"renditions/{text}/r{recipe}/w2048.webp"),
            ]
            : null;
        var thumbnail = stage == Stage.Thumbnail ? new DerivedFacts("thumbnail", 256, 256, "webp", 8_765, $"thumbnails/{text}/r{recipe}/256.webp") : null;
        return new StageOutcome(id, stage, etag, StageState.Done, SampleOriginal, SampleMetadata, renditions, thumbnail, null, at ?? T0.AddSeconds(30), recipe);
    }

    protected static StageOutcome Failed(Guid id, Stage stage, string code, string etag = Etag1, int recipe = 1) =>
        new(id, stage, etag, StageState.Failed, null, null, null, null,
            new StageError(code, code == "corrupt_image" ? "The image data is damaged." : $"Failed: {code}."), T0.AddSeconds(30), recipe);

    /// <summary>The contract's order: createdAt descending, ties by the canonical id text descending.</summary>
    protected static IEnumerable<Guid> NewestFirst(IEnumerable<ImageRecord> records) =>
        records.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => ImageIds.Format(r.Id), StringComparer.Ordinal).Select(r => r.Id);

    /// <summary>Every attribute equal (lists compared item by item).</summary>
    protected static void AssertSameRecord(ImageRecord expected, ImageRecord actual)
    {
        Assert.Equal(expected with { Renditions = null }, actual with { Renditions = null });
        Assert.Equal(expected.Renditions is null, actual.Renditions is null);
        if (expected.Renditions is not null)
        {
            Assert.Equal(expected.Renditions, actual.Renditions!);
        }
    }
}
