using ImagePipeline.Core;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Events;
using ImagePipeline.Core.Storage;
using ImagePipeline.Local.Storage;

namespace ImagePipeline.Local.Pipeline;

/// <summary>
/// Runs at start-up, before the dispatcher, and then periodically: an original that was stored but whose outbox rows
/// were never written (a crash, or a failed queue write, between the two) gets them now, so an accepted upload is
/// never forgotten. Rows that were already queued simply run again; a duplicate is harmless.
/// </summary>
public sealed partial class StartupRecovery(
    FileObjectStore store, IImageCatalog catalog, Outbox outbox, string originalsBucket, TimeProvider clock, ILogger<StartupRecovery> logger)
{
    /// <summary>
    /// Re-queues stored originals that have pending stages and no outbox rows. At start-up (nothing is being written)
    /// it first removes partial writes a crash left behind.
    /// </summary>
    public async Task<int> RunAsync(bool atStartup, CancellationToken cancellationToken)
    {
        var folder = Path.GetDirectoryName(store.PathOf(Bucket.Originals, ObjectKeys.Original(Guid.CreateVersion7())))!;
        if (!Directory.Exists(folder))
        {
            return 0;
        }

        if (atStartup)
        {
            RemoveAbandonedTempFiles();
        }

        var recovered = 0;
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            if (!ImageIds.TryParse(Path.GetFileName(file), out var id))
            {
                continue; // temp files and sidecars
            }

            var key = ObjectKeys.Original(id);
            var record = await catalog.GetAsync(id, cancellationToken).ConfigureAwait(false);
            if (record is not { DeletedAt: null } || (record.ResizeState != StageState.Pending && record.ThumbnailState != StageState.Pending)
                || await outbox.HasRowsForAsync(key, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            await using var stored = await store.OpenAsync(Bucket.Originals, key, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                continue;
            }

            Stage[] pending = [.. new[] { Stage.Resize, Stage.Thumbnail }.Where(s => record.StateOf(s) == StageState.Pending)];
            var body = S3EventParser.Serialize(new ObjectCreated(originalsBucket, key, stored.Length, stored.ETag, null), clock.GetUtcNow());
            await outbox.EnqueueAsync(key, body, pending, cancellationToken).ConfigureAwait(false);
            recovered++;
        }

        if (recovered > 0)
        {
            LogRecovered(logger, recovered);
        }

        return recovered;
    }

    // Writes go to ".name.*.tmp" beside their target and are renamed when complete; a crash (kill -9) skips the
    // cleanup, so any temp file still there at start-up is an abandoned partial write.
    private void RemoveAbandonedTempFiles()
    {
        var objects = Path.GetDirectoryName(Path.GetDirectoryName(store.PathOf(Bucket.Originals, ObjectKeys.Original(Guid.CreateVersion7())))!)!;
        if (!Directory.Exists(objects))
        {
            return;
        }

        var removed = 0;
        foreach (var temp in Directory.EnumerateFiles(objects, ".*.tmp", SearchOption.AllDirectories))
        {
            File.Delete(temp);
            removed++;
        }

        if (removed > 0)
        {
            LogTempRemoved(logger, removed);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} partial write(s) left by an earlier crash")]
    private static partial void LogTempRemoved(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-queued {Count} stored original(s) whose events were lost in a crash")]
    private static partial void LogRecovered(ILogger logger, int count);
}
