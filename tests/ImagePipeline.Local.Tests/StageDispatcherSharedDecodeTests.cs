using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Imaging;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Local.Tests;

/// <summary>
/// Both stages in one process: an upload whose two rows are due together is decoded once for both (the CLI's recipe),
/// and each stage still ends under its own rules. A real outbox (SQLite) and Core's StageProcessor over the in-memory
/// ports; the fake engine counts decodes.
/// </summary>
public sealed class StageDispatcherSharedDecodeTests : IDisposable
{
    private readonly DispatcherRig _rig = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task BothStagesDue_OneDecode_BothStagesDone()
    {
        var id = await RunAsync([Stage.Resize, Stage.Thumbnail], expectedReports: 2);

        Assert.Equal(1, _rig.Engine.Calls);
        var record = _rig.Catalog.Find(id)!;
        Assert.Equal((StageState.Done, StageState.Done), (record.ResizeState, record.ThumbnailState));
        Assert.Equal(ImageRecipe.Default.Renditions.Plan(_rig.Engine.SourceSize.Width).Count, record.Renditions!.Count);
        Assert.NotNull(record.Thumbnail);
        Assert.Equal((0L, 0L), await CountsAsync());
    }

    [Fact]
    public async Task BothStagesDue_FileRejected_BothFailedWithItsCodeFromOneDecode()
    {
        _rig.Engine.FailWith = new ImageProcessingException(ImageErrorCode.CorruptImage, "Damaged.");

        var id = await RunAsync([Stage.Resize, Stage.Thumbnail], expectedReports: 2);

        Assert.Equal(1, _rig.Engine.Calls);
        var record = _rig.Catalog.Find(id)!;
        Assert.Equal((StageState.Failed, StageState.Failed), (record.ResizeState, record.ThumbnailState));
        Assert.Equal(("corrupt_image", "corrupt_image"), (record.ResizeError?.Code, record.ThumbnailError?.Code));
    }

    [Fact]
    public async Task BothStagesDue_TransientFailure_EachRowRetriedWithItsOwnReceive()
    {
        _rig.Store.FailReadsWith = new TransientStorageException("disk unavailable");

        await RunAsync([Stage.Resize, Stage.Thumbnail], expectedReports: 2);

        var retries = _rig.Log.Entries.Where(e => e.Text("Outcome") == "retry").ToList();
        Assert.Equal(["resize", "thumbnail"], retries.Select(e => e.Text("Stage")).Order());
        Assert.All(retries, e => Assert.Equal("1", e.Text("Attempt")));
        Assert.Equal((2L, 0L), await CountsAsync());
    }

    [Fact]
    public async Task BothRowsDueButResizeAlreadyDone_ResizeDuplicateAndThumbnailRunsAlone()
    {
        var id = await _rig.RunAsync(
            [Stage.Resize, Stage.Thumbnail], maxAttempts: 5, Token,
            record => record with { ResizeState = StageState.Done, ResizeRecipeVersion = ImageRecipe.Default.Version });

        Assert.Equal(1, _rig.Engine.Calls);
        Assert.Equal(
            [("resize", "duplicate"), ("thumbnail", "done")],
            _rig.Reports.Select(e => (e.Text("Stage"), e.Text("Outcome"))).Order());
        Assert.Equal(StageState.Done, _rig.Catalog.Find(id)!.ThumbnailState);
    }

    [Fact]
    public async Task OnlyOneStageDue_RunsThatStageAlone()
    {
        var id = await RunAsync([Stage.Thumbnail], expectedReports: 1);

        Assert.Equal(1, _rig.Engine.Calls);
        var record = _rig.Catalog.Find(id)!;
        Assert.Equal((StageState.Pending, StageState.Done), (record.ResizeState, record.ThumbnailState));
        Assert.Null(record.Renditions);
    }

    private async Task<Guid> RunAsync(IReadOnlyList<Stage> stages, int expectedReports)
    {
        var id = await _rig.RunAsync(stages, maxAttempts: 5, Token);
        Assert.Equal(expectedReports, _rig.Reports.Count());
        return id;
    }

    private Task<(long Pending, long Dead)> CountsAsync() => _rig.Outbox!.CountsAsync(Token);

    public void Dispose() => _rig.Dispose();
}
