using ImagePipeline.Contract.Tests.Support;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Events;
using ImagePipeline.Core.Storage;
using ImagePipeline.Local.Pipeline;
using ImagePipeline.Local.Storage;
using ImagePipeline.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace ImagePipeline.Contract.Tests.Local;

/// <summary>
/// An upload interrupted between "bytes durable" and "events queued" (a crash, a failed queue write) is finished from
/// its staged row; one whose original never became visible is forgotten; one still in flight is left alone.
/// </summary>
public sealed class UploadRecoveryTests : IDisposable
{
    private static readonly byte[] Bytes = "the original"u8.ToArray();
    private readonly TempDirectory _directory = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero));
    private readonly FileObjectStore _store;
    private readonly Outbox _outbox;
    private readonly UploadRecovery _recovery;

    public UploadRecoveryTests()
    {
        var data = _directory.Combine("data");
        Directory.CreateDirectory(data);
        _store = new FileObjectStore(data, UrlSigner.Open(data, new Uri("http://127.0.0.1:5080"), _clock));
        _outbox = new Outbox(Path.Combine(data, "queue.db"), _clock);
        _recovery = new UploadRecovery(_store, _outbox, _clock, NullLogger<UploadRecovery>.Instance);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }

    /// <summary>An upload as the object endpoint does it, stopping where a crash after the rename would.</summary>
    private async Task<string> StoreWithoutActivatingAsync()
    {
        var key = ObjectKeys.Original(Guid.CreateVersion7());
        var result = await _store.PutOriginalAsync(key, new MemoryStream(Bytes), Bytes.Length, "image/jpeg", Ct, async (etag, token) =>
            await _outbox.StageAsync(key, S3EventParser.Serialize(new ObjectCreated("local-originals", key, Bytes.Length, etag, null), _clock.GetUtcNow()), token));
        Assert.Equal(PutStatus.Created, result.Status);
        return key;
    }

    [Fact]
    public async Task RunAsync_AtStartup_StoredButNotActivated_QueuesBothStages()
    {
        var key = await StoreWithoutActivatingAsync();
        var woken = new List<Stage>();
        _outbox.Enqueued += woken.AddRange;

        Assert.Equal(1, await _recovery.RunAsync(atStartup: true, Ct));

        var resize = Assert.Single(await _outbox.DueAsync(Stage.Resize, 10, new HashSet<long>(), Ct));
        var thumbnail = Assert.Single(await _outbox.DueAsync(Stage.Thumbnail, 10, new HashSet<long>(), Ct));
        Assert.Equal(key, Assert.Single(S3EventParser.Parse(resize.Body)).Key);
        Assert.Equal(resize.Body, thumbnail.Body);
        Assert.Equal([Stage.Resize, Stage.Thumbnail], woken);
        Assert.Empty(await _outbox.StagedBeforeAsync(DateTimeOffset.MaxValue, Ct));
        Assert.Equal(0, await _recovery.RunAsync(atStartup: true, Ct));
    }

    [Fact]
    public async Task RunAsync_StagedButNeverStored_ForgetsIt()
    {
        // The process died before the rename: nothing stored, the client was never told so.
        var key = ObjectKeys.Original(Guid.CreateVersion7());
        await _outbox.StageAsync(key, S3EventParser.Serialize(new ObjectCreated("local-originals", key, 1, "e", null), _clock.GetUtcNow()), Ct);

        Assert.Equal(0, await _recovery.RunAsync(atStartup: true, Ct));

        Assert.Empty(await _outbox.StagedBeforeAsync(DateTimeOffset.MaxValue, Ct));
        Assert.Empty(await _outbox.DueAsync(Stage.Resize, 10, new HashSet<long>(), Ct));
    }

    [Fact]
    public async Task RunAsync_Periodic_LeavesAnUploadInFlightAloneUntilItIsOld()
    {
        var key = await StoreWithoutActivatingAsync();

        Assert.Equal(0, await _recovery.RunAsync(atStartup: false, Ct));
        Assert.Single(await _outbox.StagedBeforeAsync(DateTimeOffset.MaxValue, Ct));

        _clock.Advance(UploadRecovery.InFlightAllowance);
        Assert.Equal(1, await _recovery.RunAsync(atStartup: false, Ct));
        Assert.Equal(key, Assert.Single(S3EventParser.Parse(Assert.Single(await _outbox.DueAsync(Stage.Resize, 10, new HashSet<long>(), Ct)).Body)).Key);
    }

    [Fact]
    public async Task PutOriginalAsync_StagingFails_StoresNothing()
    {
        var key = ObjectKeys.Original(Guid.CreateVersion7());

        await Assert.ThrowsAsync<TransientStorageException>(() => _store.PutOriginalAsync(
            key, new MemoryStream(Bytes), Bytes.Length, "image/jpeg", Ct, (_, _) => throw new TransientStorageException("queue.db is busy")));

        await using var stored = await _store.OpenAsync(Bucket.Originals, key, Ct);
        Assert.Null(stored);
        Assert.Empty(Directory.EnumerateFiles(_directory.Combine("data"), "*.tmp", SearchOption.AllDirectories));
    }
}
