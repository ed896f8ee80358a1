using ImagePipeline.Core;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Events;
using ImagePipeline.Core.Services;
using ImagePipeline.Core.Storage;
using ImagePipeline.Local.Pipeline;
using ImagePipeline.Testing;
using Microsoft.Data.Sqlite;

namespace ImagePipeline.Local.Tests;

/// <summary>
/// The dispatcher over a real outbox (SQLite in a temp folder) and Core's real StageProcessor on the in-memory ports,
/// with a fake engine that counts decodes and a logger that keeps every entry. Nothing else runs.
/// </summary>
internal sealed class DispatcherRig : IDisposable
{
    private static readonly byte[] Bytes = "original bytes"u8.ToArray();
    private readonly TempDirectory _folder = new();

    public InMemoryCatalog Catalog { get; } = new();

    public InMemoryObjectStore Store { get; } = new(TimeProvider.System);

    public FakeImageEngine Engine { get; } = new();

    public CapturingLogger<StageDispatcher> Log { get; } = new();

    public Outbox? Outbox { get; private set; }

    public IEnumerable<CapturedEntry> Reports => Log.Entries.Where(e => e.Template.StartsWith("Stage {Stage} {Outcome}", StringComparison.Ordinal));

    /// <summary>Queues one uploaded image for <paramref name="stages"/> and runs the dispatcher until it logged that many stage reports.</summary>
    /// <remarks><paramref name="before"/> shapes the catalog record first (e.g. a stage already done).</remarks>
    public async Task<Guid> RunAsync(IReadOnlyList<Stage> stages, int maxAttempts, CancellationToken cancellationToken, Func<ImageRecord, ImageRecord>? before = null)
    {
        var clock = TimeProvider.System;
        var uploaded = new ImageRecord
        {
            Id = ImageIds.New(clock), OwnerId = "local", FileName = "a.jpg", ContentType = "image/jpeg", DeclaredBytes = Bytes.Length,
            CreatedAt = clock.GetUtcNow(), UpdatedAt = clock.GetUtcNow(), ExpiresAt = clock.GetUtcNow().AddHours(24),
        };
        var record = Catalog.Put(before?.Invoke(uploaded) ?? uploaded);
        var key = ObjectKeys.Original(record.Id);
        var etag = Store.PutOriginal(key, Bytes);
        var body = S3EventParser.Serialize(new ObjectCreated("local-originals", key, Bytes.Length, etag, "1"), clock.GetUtcNow());

        Outbox = new Outbox(_folder.Combine("queue.db"), clock);
        var processor = new StageProcessor(Catalog, Store, Engine, new PipelineOptions { CursorKey = new byte[32], MaxAttempts = maxAttempts }, clock);
        using var dispatcher = new StageDispatcher(
            Outbox, processor, new DispatcherOptions { Concurrency = 1, MaxAttempts = maxAttempts, RetryDelay = TimeSpan.FromMinutes(1) }, Log);
        await Outbox.EnqueueAsync(key, body, stages, cancellationToken);
        await dispatcher.StartAsync(cancellationToken);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            while (Reports.Count() < stages.Count)
            {
                await Task.Delay(20, timeout.Token);
            }

            // Long enough for an extra report (a second, unshared decode) to show up.
            await Task.Delay(200, timeout.Token);
        }
        finally
        {
            await dispatcher.StopAsync(CancellationToken.None);
        }

        return record.Id;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }
}
