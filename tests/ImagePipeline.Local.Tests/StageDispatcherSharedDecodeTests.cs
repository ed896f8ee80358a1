using ImagePipeline.Core;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Events;
using ImagePipeline.Core.Imaging;
using ImagePipeline.Core.Services;
using ImagePipeline.Core.Storage;
using ImagePipeline.Local.Pipeline;
using ImagePipeline.Testing;
using Microsoft.Data.Sqlite;

namespace ImagePipeline.Local.Tests;

/// <summary>
/// Both stages in one process: an upload whose two rows are due together is decoded once for both (the CLI's recipe),
/// and each stage still ends under its own rules. A real outbox (SQLite) and Core's StageProcessor over the in-memory
/// ports; the fake engine counts decodes.
/// </summary>
public sealed class StageDispatcherSharedDecodeTests : IDisposable
{
    private static readonly byte[] Bytes = "original bytes"u8.ToArray();
    private readonly TempDirectory _folder = new();
    private readonly InMemoryCatalog _catalog = new();
    private readonly InMemoryObjectStore _store = new(TimeProvider.System);
    private readonly FakeImageEngine _engine = new();
    private readonly CapturingLogger<StageDispatcher> _log = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task BothStagesDue_OneDecode_BothStagesDone()
    {
        var id = await RunAsync([Stage.Resize, Stage.Thumbnail], expectedReports: 2);

        Assert.Equal(1, _engine.Calls);
        var record = _catalog.Find(id)!;
        Assert.Equal((StageState.Done, StageState.Done), (record.ResizeState, record.ThumbnailState));
        Assert.Equal(ImageRecipe.Default.Renditions.Plan(_engine.SourceSize.Width).Count, record.Renditions!.Count);
        Assert.NotNull(record.Thumbnail);
        Assert.Equal((0L, 0L), await CountsAsync());
    }

    [Fact]
    public async Task BothStagesDue_FileRejected_BothFailedWithItsCodeFromOneDecode()
    {
        _engine.FailWith = new ImageProcessingException(ImageErrorCode.CorruptImage, "Damaged.");

        var id = await RunAsync([Stage.Resize, Stage.Thumbnail], expectedReports: 2);

        Assert.Equal(1, _engine.Calls);
        var record = _catalog.Find(id)!;
        Assert.Equal((StageState.Failed, StageState.Failed), (record.ResizeState, record.ThumbnailState));
        Assert.Equal(("corrupt_image", "corrupt_image"), (record.ResizeError?.Code, record.ThumbnailError?.Code));
    }

    [Fact]
    public async Task BothStagesDue_TransientFailure_EachRowRetriedWithItsOwnReceive()
    {
        _store.FailReadsWith = new TransientStorageException("disk unavailable");

        await RunAsync([Stage.Resize, Stage.Thumbnail], expectedReports: 2);

        var retries = _log.Entries.Where(e => e.Text("Outcome") == "retry").ToList();
        Assert.Equal(["resize", "thumbnail"], retries.Select(e => e.Text("Stage")).Order());
        Assert.All(retries, e => Assert.Equal("1", e.Text("Attempt")));
        Assert.Equal((2L, 0L), await CountsAsync());
    }

    [Fact]
    public async Task OnlyOneStageDue_RunsThatStageAlone()
    {
        var id = await RunAsync([Stage.Thumbnail], expectedReports: 1);

        Assert.Equal(1, _engine.Calls);
        var record = _catalog.Find(id)!;
        Assert.Equal((StageState.Pending, StageState.Done), (record.ResizeState, record.ThumbnailState));
        Assert.Null(record.Renditions);
    }

    /// <summary>Queues one uploaded image for <paramref name="stages"/> and runs the dispatcher until it logged that many stage reports.</summary>
    private async Task<Guid> RunAsync(IReadOnlyList<Stage> stages, int expectedReports)
    {
        var clock = TimeProvider.System;
        var record = _catalog.Put(new ImageRecord
        {
            Id = ImageIds.New(clock), OwnerId = "local", FileName = "a.jpg", ContentType = "image/jpeg", DeclaredBytes = Bytes.Length,
            CreatedAt = clock.GetUtcNow(), UpdatedAt = clock.GetUtcNow(), ExpiresAt = clock.GetUtcNow().AddHours(24),
        });
        var key = ObjectKeys.Original(record.Id);
        var etag = _store.PutOriginal(key, Bytes);
        var body = S3EventParser.Serialize(new ObjectCreated("local-originals", key, Bytes.Length, etag, "1"), clock.GetUtcNow());

        _outbox = new Outbox(_folder.Combine("queue.db"), clock);
        var processor = new StageProcessor(_catalog, _store, _engine, new PipelineOptions { CursorKey = new byte[32] }, clock);
        using var dispatcher = new StageDispatcher(
            _outbox, processor, new DispatcherOptions { Concurrency = 1, RetryDelay = TimeSpan.FromMinutes(1) }, _log);
        await _outbox.EnqueueAsync(key, body, stages, Token);
        await dispatcher.StartAsync(Token);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            while (_log.Entries.Count(IsReport) < expectedReports)
            {
                await Task.Delay(20, timeout.Token);
            }

            // Long enough for a second, unshared decode to show up if the rows were run apart.
            await Task.Delay(200, timeout.Token);
        }
        finally
        {
            await dispatcher.StopAsync(CancellationToken.None);
        }

        Assert.Equal(expectedReports, _log.Entries.Count(IsReport));
        return record.Id;

        static bool IsReport(CapturedEntry e) => e.Template.StartsWith("Stage {Stage} {Outcome}", StringComparison.Ordinal);
    }

    private Outbox? _outbox;

    private Task<(long Pending, long Dead)> CountsAsync() => _outbox!.CountsAsync(Token);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}
