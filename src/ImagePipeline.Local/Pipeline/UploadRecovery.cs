using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Storage;
using ImagePipeline.Local.Storage;

namespace ImagePipeline.Local.Pipeline;

/// <summary>
/// Finishes uploads that a crash (or a failed queue write) interrupted between "bytes durable" and "events queued".
/// Every upload is staged in the outbox before its original becomes visible, so only staged rows need looking at —
/// never a listing of every original: one whose object exists gets its events, one whose object never appeared is
/// forgotten. Runs at start-up (all staged rows; nothing is in flight) and then periodically (rows older than a minute,
/// so an upload in progress is left alone).
/// </summary>
public sealed partial class UploadRecovery(FileObjectStore store, Outbox outbox, TimeProvider clock, ILogger<UploadRecovery> logger)
{
    private static readonly Stage[] BothStages = [Stage.Resize, Stage.Thumbnail];

    /// <summary>How old a staged row must be before a periodic run touches it.</summary>
    public static readonly TimeSpan InFlightAllowance = TimeSpan.FromMinutes(1);

    /// <summary>Queues or forgets staged uploads; at start-up it first removes partial writes a crash left behind.</summary>
    public async Task<int> RunAsync(bool atStartup, CancellationToken cancellationToken)
    {
        if (atStartup)
        {
            RemoveAbandonedTempFiles();
        }

        var cutoff = atStartup ? DateTimeOffset.MaxValue : clock.GetUtcNow() - InFlightAllowance;
        var recovered = 0;
        foreach (var (key, body) in await outbox.StagedBeforeAsync(cutoff, cancellationToken).ConfigureAwait(false))
        {
            await using var stored = await store.OpenAsync(Bucket.Originals, key, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                // The process died before the rename: nothing was stored and the client was never told it was.
                await outbox.DiscardStagedAsync(key, cancellationToken).ConfigureAwait(false);
                continue;
            }

            await outbox.ActivateAsync(key, body, BothStages, cancellationToken).ConfigureAwait(false);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queued the events of {Count} stored original(s) whose upload was interrupted")]
    private static partial void LogRecovered(ILogger logger, int count);
}
