using System.Diagnostics;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Events;
using ImagePipeline.Core.Imaging;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Core.Services;

/// <summary>What the queue should do with a message.</summary>
public enum StageDisposition
{
    /// <summary>Done with it (processed, failed permanently, duplicate, stale or irrelevant): delete the message.</summary>
    Acknowledge,
    /// <summary>A transient failure: leave it for another receive.</summary>
    Retry,
}

/// <summary>What a cancelled token means to the caller of <see cref="StageProcessor"/>.</summary>
public enum CancellationMeaning
{
    /// <summary>The invocation ran out of time: the attempt failed (a Lambda deadline).</summary>
    Deadline,
    /// <summary>The host is stopping gracefully: not an attempt; nothing is recorded.</summary>
    Shutdown,
}

/// <summary>How much a <see cref="StageReport"/> matters to whoever runs the pipeline: the level a host logs it at.</summary>
public enum StageSeverity
{
    /// <summary>Work done, or nothing to do (a duplicate, stale or orphan event, a deleted image, a test event).</summary>
    Routine,
    /// <summary>The user's file cannot be processed (a permanent error code was recorded); nothing is wrong with the pipeline.</summary>
    FileRejected,
    /// <summary>A failure of ours that another attempt may cure (the message is retried).</summary>
    Transient,
    /// <summary>A failure of ours that is final: <c>internal</c> recorded, or a message that could not be read at all.</summary>
    Fault,
}

/// <summary>What happened to one event, for the host to log and count.</summary>
/// <param name="Disposition">Acknowledge or retry.</param>
/// <param name="Outcome">
/// <c>done</c>, <c>failed</c>, <c>duplicate</c>, <c>stale</c>, <c>orphan</c>, <c>deleted</c>, <c>ignored</c>,
/// <c>malformed</c>, <c>retry</c> or <c>gave-up</c>.
/// </param>
/// <param name="ImageId">The image, when the key named one.</param>
/// <param name="ErrorCode">The error code recorded, for failures.</param>
/// <param name="Detail">A human-readable explanation.</param>
/// <param name="Elapsed">Time spent.</param>
/// <param name="OutputBytes">Bytes written to the derived store.</param>
public sealed record StageReport(
    StageDisposition Disposition, string Outcome, Guid? ImageId, string? ErrorCode, string Detail, TimeSpan Elapsed, long OutputBytes)
{
    /// <summary>
    /// The report's weight: a permanent failure of the user's file is <see cref="StageSeverity.FileRejected"/>, a
    /// retry <see cref="StageSeverity.Transient"/>, a final failure of ours (<c>internal</c> recorded, or an unreadable
    /// message dropped) <see cref="StageSeverity.Fault"/>, anything else <see cref="StageSeverity.Routine"/>.
    /// </summary>
    public StageSeverity Severity => Outcome switch
    {
        "retry" => StageSeverity.Transient,
        "gave-up" or "malformed" => StageSeverity.Fault,
        "failed" => ImageErrorCodes.TryParse(ErrorCode, out var code) && code != ImageErrorCode.Internal
            ? StageSeverity.FileRejected
            : StageSeverity.Fault,
        _ => StageSeverity.Routine,
    };
}

/// <summary>
/// Runs one stage for object-created events, idempotently: outputs go to keys that are a pure function of
/// (imageId, recipe), the catalog write is conditional, and every event ends acknowledged unless a retry can help.
/// </summary>
public sealed class StageProcessor(IImageCatalog catalog, IObjectStore store, IImageEngine engine, PipelineOptions options, TimeProvider clock)
{
    /// <summary>How long recording a give-up may take once the invocation's own token has fired.</summary>
    public static readonly TimeSpan GiveUpWriteTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Processes a queue message body (an S3 event notification). <paramref name="attempt"/> is the 1-based receive
    /// count; on the last allowed one a transient failure is recorded as <c>internal</c> and acknowledged.
    /// <paramref name="cancellation"/> says what a cancelled token means: a deadline (the attempt failed) or a
    /// graceful stop of the host (nothing happened: <see cref="OperationCanceledException"/> propagates and nothing is
    /// recorded, so the message stays queued as it was).
    /// </summary>
    public async Task<IReadOnlyList<StageReport>> ProcessMessageAsync(
        Stage stage, string body, int attempt, CancellationToken cancellationToken, CancellationMeaning cancellation = CancellationMeaning.Deadline)
    {
        IReadOnlyList<ObjectCreated> events;
        try
        {
            events = S3EventParser.Parse(body);
        }
        catch (FormatException e)
        {
            // No receive can make a malformed body valid.
            return [new StageReport(StageDisposition.Acknowledge, "malformed", null, null, e.Message, TimeSpan.Zero, 0)];
        }

        if (events.Count == 0)
        {
            return [new StageReport(StageDisposition.Acknowledge, "ignored", null, null, "No object-created records (e.g. s3:TestEvent).", TimeSpan.Zero, 0)];
        }

        var reports = new List<StageReport>(events.Count);
        foreach (var created in events)
        {
            reports.Add(await ProcessEventAsync(stage, created, attempt, cancellationToken, cancellation).ConfigureAwait(false));
        }

        return reports;
    }

    /// <summary>Processes one object-created event for <paramref name="stage"/>; see <see cref="ProcessMessageAsync"/>.</summary>
    public async Task<StageReport> ProcessEventAsync(
        Stage stage, ObjectCreated created, int attempt, CancellationToken cancellationToken, CancellationMeaning cancellation = CancellationMeaning.Deadline)
    {
        var stopwatch = Stopwatch.StartNew();
        if (!ObjectKeys.TryParseOriginal(created.Key, out var id))
        {
            return Report(StageDisposition.Acknowledge, "ignored", null, null, $"'{created.Key}' is not an original's key.");
        }

        StageReport Report(StageDisposition disposition, string outcome, Guid? imageId, string? code, string detail, long bytes = 0) =>
            new(disposition, outcome, imageId, code, detail, stopwatch.Elapsed, bytes);

        try
        {
            var record = await catalog.GetAsync(id, cancellationToken).ConfigureAwait(false);
            if (record is null || record.DeletedAt is not null)
            {
                // An upload nobody asked for, or one whose image was deleted meanwhile: it must not linger.
                await RemoveOrphanAsync(stage, id, cancellationToken).ConfigureAwait(false);
                return Report(StageDisposition.Acknowledge, "orphan", id, null, record is null ? "No catalog record; original removed." : "Image deleted; original removed.");
            }

            var state = record.StateOf(stage);
            if ((state == StageState.Done && record.RecipeVersionOf(stage) >= options.Recipe.Version)
                || (state == StageState.Failed && record.SourceEtag == created.ETag && !created.Reprocess))
            {
                // A failure is recorded only for a permanent reason (or after the last retry): decoding the same
                // bytes again, e.g. a hostile file on every redelivery, cannot end differently. Only an explicit
                // reprocess runs a failed stage again; a done stage runs again only for a newer recipe.
                return Report(StageDisposition.Acknowledge, "duplicate", id, null, $"The {stage.ToName()} stage already ended {state.ToName()}.");
            }

            if (record.SourceEtag is { } known && known != created.ETag)
            {
                return Report(StageDisposition.Acknowledge, "stale", id, null, $"The record belongs to original {known}, the event to {created.ETag}.");
            }

            var (outcome, written) = await RunAsync(stage, id, created, cancellationToken).ConfigureAwait(false);
            if (outcome is null)
            {
                return Report(StageDisposition.Acknowledge, "stale", id, null, "The original is gone or is not the version the event announced.");
            }

            var bytes = written.Sum(w => w.Bytes);
            switch (await catalog.ApplyStageAsync(outcome, cancellationToken).ConfigureAwait(false))
            {
                case StageWriteResult.Applied:
                    var detail = outcome.Error?.Message ?? "Recorded.";
                    if (outcome.State == StageState.Done && state == StageState.Done)
                    {
                        detail = await RemoveOlderOutputsAsync(record, stage, written, cancellationToken).ConfigureAwait(false);
                    }

                    return Report(StageDisposition.Acknowledge, outcome.State == StageState.Done ? "done" : "failed", id, outcome.Error?.Code, detail, bytes);
                case StageWriteResult.Deleted or StageWriteResult.Unknown:
                    await RemoveOrphanAsync(stage, id, cancellationToken).ConfigureAwait(false);
                    return Report(StageDisposition.Acknowledge, "deleted", id, null, "The image was deleted while processing; its objects were removed.");
                case StageWriteResult.AlreadyDone:
                    return Report(StageDisposition.Acknowledge, "duplicate", id, null, "Another delivery finished this stage first; the outputs are identical.");
                default:
                    return Report(StageDisposition.Acknowledge, "stale", id, null, "The record holds another original.");
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (attempt < options.MaxAttempts)
            {
                return Report(StageDisposition.Retry, "retry", id, null, $"Attempt {attempt} of {options.MaxAttempts}: {e.GetType().Name}: {e.Message}");
            }

            return await GiveUpAsync(stage, id, created, GaveUpMessage(e), Report, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellation == CancellationMeaning.Shutdown)
        {
            // The host is stopping: not an attempt. The message stays queued exactly as it was.
            throw;
        }
        catch (OperationCanceledException e)
        {
            if (attempt < options.MaxAttempts)
            {
                return Report(StageDisposition.Retry, "retry", id, null, "Cancelled (deadline or shutdown) before the stage finished.");
            }

            // The last receive ran out of time: still record the failure, or the image would stay processing forever
            // while its message sits in the dead-letter queue. The caller's token has fired, so the write gets its own
            // short one (the deadline margin leaves room for it).
            using var recording = new CancellationTokenSource(GiveUpWriteTimeout);
            return await GiveUpAsync(stage, id, created, GaveUpMessage(e), Report, recording.Token).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Records <paramref name="stage"/> failed with <c>internal</c> for every image of a message that will not be
    /// processed any more: on its last allowed receive when no time was left to start it, or when it reached the
    /// dead-letter queue because the process died on every receive (crash, OOM kill, timeout). The write follows the
    /// stage-result rules, so it never replaces a done stage. A malformed body yields one acknowledged report.
    /// </summary>
    public async Task<IReadOnlyList<StageReport>> AbandonMessageAsync(Stage stage, string body, string reason, CancellationToken cancellationToken)
    {
        IReadOnlyList<ObjectCreated> events;
        try
        {
            events = S3EventParser.Parse(body);
        }
        catch (FormatException e)
        {
            return [new StageReport(StageDisposition.Acknowledge, "malformed", null, null, e.Message, TimeSpan.Zero, 0)];
        }

        var reports = new List<StageReport>(events.Count);
        foreach (var created in events)
        {
            if (ObjectKeys.TryParseOriginal(created.Key, out var id))
            {
                reports.Add(await GiveUpAsync(
                    stage, id, created, $"Processing never finished: {reason}",
                    (disposition, outcome, imageId, code, detail, bytes) => new StageReport(disposition, outcome, imageId, code, detail, TimeSpan.Zero, bytes),
                    cancellationToken).ConfigureAwait(false));
            }
        }

        return reports;
    }

    /// <summary>
    /// Removes the original and this stage's own outputs (exact keys under the current recipe). Each stage receives
    /// every event, so between them both stages' outputs go; and a stage never lists or deletes where it does not
    /// write, which keeps its AWS role to its own prefix.
    /// </summary>
    private async Task RemoveOrphanAsync(Stage stage, Guid id, CancellationToken cancellationToken)
    {
        await store.DeleteAsync(Bucket.Originals, [ObjectKeys.Original(id)], cancellationToken).ConfigureAwait(false);
        var version = options.Recipe.Version;
        IReadOnlyCollection<string> own = stage == Stage.Resize
            ? [.. options.Recipe.Renditions.Widths.Select(width => ObjectKeys.Rendition(id, version, RenditionRecipe.NameOf(width)))]
            : [ObjectKeys.Thumbnail(id, version, options.Recipe.Thumbnail.Size)];
        await store.DeleteAsync(Bucket.Derived, own, cancellationToken).ConfigureAwait(false);
    }

    private string GaveUpMessage(Exception error) => error switch
    {
        OperationCanceledException => $"Processing did not finish in time on any of {options.MaxAttempts} attempts.",
        ImageProcessingException image => $"Processing failed {options.MaxAttempts} times: {image.Message}",
        _ => $"Processing failed {options.MaxAttempts} times on a storage or service error ({error.GetType().Name}).",
    };

    private async Task<StageReport> GiveUpAsync(
        Stage stage, Guid id, ObjectCreated created, string message,
        Func<StageDisposition, string, Guid?, string?, string, long, StageReport> report, CancellationToken cancellationToken)
    {
        // Record the stage failed so no image stays processing forever; the conditions keep a done stage done.
        var outcome = Outcome(stage, id, created, StageState.Failed, error: new StageError(ImageErrorCode.Internal.ToCode(), message));
        try
        {
            return await catalog.ApplyStageAsync(outcome, cancellationToken).ConfigureAwait(false) switch
            {
                StageWriteResult.Applied => report(StageDisposition.Acknowledge, "gave-up", id, ImageErrorCode.Internal.ToCode(), message, 0),
                StageWriteResult.AlreadyDone => report(StageDisposition.Acknowledge, "duplicate", id, null, "The stage is already done; nothing to record.", 0),
                StageWriteResult.Stale => report(StageDisposition.Acknowledge, "stale", id, null, "The record holds another original.", 0),
                _ => report(StageDisposition.Acknowledge, "orphan", id, null, "No live image; nothing to record.", 0),
            };
        }
        catch (Exception e)
        {
            // Cancellation included: another receive (or the dead-letter queue and its alarm) is all that is left.
            return report(StageDisposition.Retry, "retry", id, null, $"Could not even record the failure: {e.Message}", 0);
        }
    }

    private async Task<(StageOutcome? Outcome, List<DerivedFacts> Written)> RunAsync(Stage stage, Guid id, ObjectCreated created, CancellationToken cancellationToken)
    {
        var written = new List<DerivedFacts>();
        StoredObject original;
        try
        {
            // Judged from the event before any read, so an oversized object costs nothing.
            options.Limits.EnsureBytesAllowed(created.Size);
            original = await store.GetOriginalAsync(created.Key, created.ETag, cancellationToken).ConfigureAwait(false);
        }
        catch (ImageProcessingException e)
        {
            return (Failed(stage, id, created, e), written);
        }
        catch (Exception e) when (e is ObjectNotFoundException or ObjectChangedException)
        {
            return (null, written);
        }

        var version = options.Recipe.Version;
        try
        {
            if (stage == Stage.Resize)
            {
                var set = engine.Resize(original.Data, options.Recipe.Renditions, cancellationToken);
                foreach (var rendition in set.Renditions)
                {
                    var key = ObjectKeys.Rendition(id, version, rendition.Name);
                    await store.PutDerivedAsync(key, rendition.Image.Data, "image/webp", cancellationToken).ConfigureAwait(false);
                    written.Add(Facts(rendition.Name, rendition.Image, key));
                }

                return (Outcome(stage, id, created, StageState.Done, Original(set.Source), set.Source.Metadata, renditions: written), written);
            }

            var thumbnail = engine.Thumbnail(original.Data, options.Recipe.Thumbnail, cancellationToken);
            var thumbnailKey = ObjectKeys.Thumbnail(id, version, options.Recipe.Thumbnail.Size);
            await store.PutDerivedAsync(thumbnailKey, thumbnail.Thumbnail.Data, "image/webp", cancellationToken).ConfigureAwait(false);
            var facts = Facts("thumbnail", thumbnail.Thumbnail, thumbnailKey);
            written.Add(facts);
            return (Outcome(stage, id, created, StageState.Done, Original(thumbnail.Source), thumbnail.Source.Metadata, thumbnail: facts), written);
        }
        catch (ImageProcessingException e) when (e.Code != ImageErrorCode.Internal)
        {
            // Internal engine errors (out of memory, a libvips fault) say nothing about the file: they propagate as
            // transient, are retried, and are recorded as internal only after the last attempt.
            return (Failed(stage, id, created, e), written);
        }
    }

    /// <summary>After a newer recipe's outputs replaced a done stage, the older recipe's objects are removed.</summary>
    private async Task<string> RemoveOlderOutputsAsync(ImageRecord before, Stage stage, List<DerivedFacts> written, CancellationToken cancellationToken)
    {
        var older = stage == Stage.Resize ? before.Renditions ?? [] : before.Thumbnail is { } thumbnail ? [thumbnail] : [];
        string[] keys = [.. older.Select(d => d.Key).Except(written.Select(w => w.Key))];
        if (keys.Length == 0)
        {
            return "Recorded.";
        }

        try
        {
            await store.DeleteAsync(Bucket.Derived, keys, cancellationToken).ConfigureAwait(false);
            return $"Recorded; {keys.Length} output(s) of recipe {before.RecipeVersionOf(stage)} removed.";
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The new outputs are recorded and served; the old ones are only unreferenced bytes.
            return $"Recorded; removing {keys.Length} output(s) of recipe {before.RecipeVersionOf(stage)} failed: {e.Message}";
        }
    }

    private StageOutcome Failed(Stage stage, Guid id, ObjectCreated created, ImageProcessingException e) =>
        Outcome(stage, id, created, StageState.Failed, error: new StageError(e.Code.ToCode(), e.Message));

    private StageOutcome Outcome(
        Stage stage, Guid id, ObjectCreated created, StageState state, OriginalFacts? original = null, ImageMetadata? metadata = null,
        IReadOnlyList<DerivedFacts>? renditions = null, DerivedFacts? thumbnail = null, StageError? error = null) =>
        new(id, stage, created.ETag, state, original, metadata, renditions, thumbnail, error, clock.GetUtcNow(), options.Recipe.Version);

    private static OriginalFacts Original(ImageInfo info) => new(info.Format.ToName(), info.Width, info.Height, info.Bytes);

    private static DerivedFacts Facts(string name, EncodedImage image, string key) =>
        new(name, image.Width, image.Height, image.Format, image.Bytes, key);
}
