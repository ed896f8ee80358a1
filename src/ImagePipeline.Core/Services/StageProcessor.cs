using System.Diagnostics;
using System.Runtime.ExceptionServices;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Events;
using ImagePipeline.Core.Imaging;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Core.Services;

/// <summary>
/// Runs one stage for object-created events, idempotently: outputs go to keys that are a pure function of
/// (imageId, recipe), the catalog write is conditional, and every event ends acknowledged unless a retry can help.
/// </summary>
public sealed partial class StageProcessor(IImageCatalog catalog, IObjectStore store, IImageEngine engine, PipelineOptions options, TimeProvider clock)
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
        var report = Reporter(Stopwatch.StartNew());
        if (!ObjectKeys.TryParseOriginal(created.Key, out var id))
        {
            return report(StageDisposition.Acknowledge, "ignored", null, null, $"'{created.Key}' is not an original's key.", 0);
        }

        ImageRecord? record;
        try
        {
            record = await catalog.GetAsync(id, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return await FailureAsync(stage, id, created, attempt, e, report, cancellationToken, cancellation).ConfigureAwait(false);
        }

        return await ProcessStageAsync(stage, id, created, record, attempt, report, cancellationToken, cancellation).ConfigureAwait(false);
    }

    /// <summary>One stage for one event whose catalog record has been read.</summary>
    private async Task<StageReport> ProcessStageAsync(
        Stage stage, Guid id, ObjectCreated created, ImageRecord? record, int attempt, Reporting report, CancellationToken cancellationToken, CancellationMeaning cancellation)
    {
        try
        {
            if (await SettledAsync(stage, id, record, created, report, cancellationToken).ConfigureAwait(false) is { } settled)
            {
                return settled;
            }

            var (outcome, written) = await RunAsync(stage, id, created, cancellationToken).ConfigureAwait(false);
            return await RecordAsync(stage, id, record!, outcome, written, report, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return await FailureAsync(stage, id, created, attempt, e, report, cancellationToken, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The report of an event that needs no work from <paramref name="stage"/> (an orphan, whose original is removed; a
    /// duplicate; a stale event), or null when the stage must run.
    /// </summary>
    private async Task<StageReport?> SettledAsync(Stage stage, Guid id, ImageRecord? record, ObjectCreated created, Reporting report, CancellationToken cancellationToken)
    {
        if (NothingToDo(stage, record, created) is not { } nothing)
        {
            return null;
        }

        if (nothing.Outcome == "orphan")
        {
            // An upload nobody asked for, or one whose image was deleted meanwhile: it must not linger.
            await RemoveOrphanAsync(stage, id, cancellationToken).ConfigureAwait(false);
        }

        return report(StageDisposition.Acknowledge, nothing.Outcome, id, null, nothing.Detail, 0);
    }

    /// <summary>Why <paramref name="stage"/> has nothing to do for this event (orphan, duplicate, stale), or null when it must run.</summary>
    private (string Outcome, string Detail)? NothingToDo(Stage stage, ImageRecord? record, ObjectCreated created)
    {
        if (record is null || record.DeletedAt is not null)
        {
            return ("orphan", record is null ? "No catalog record; original removed." : "Image deleted; original removed.");
        }

        var state = record.StateOf(stage);
        if ((state == StageState.Done && record.RecipeVersionOf(stage) >= options.Recipe.Version)
            || (state == StageState.Failed && record.SourceEtag == created.ETag && !created.Reprocess))
        {
            // A failure is recorded only for a permanent reason (or after the last retry): decoding the same
            // bytes again, e.g. a hostile file on every redelivery, cannot end differently. Only an explicit
            // reprocess runs a failed stage again; a done stage runs again only for a newer recipe.
            return ("duplicate", $"The {stage.ToName()} stage already ended {state.ToName()}.");
        }

        if (record.SourceEtag is { } known && known != created.ETag)
        {
            return ("stale", $"The record belongs to original {known}, the event to {created.ETag}.");
        }

        return null;
    }

    /// <summary>Writes a stage's outcome to the catalog (conditionally) and reports what became of it.</summary>
    private async Task<StageReport> RecordAsync(
        Stage stage, Guid id, ImageRecord before, StageOutcome? outcome, List<DerivedFacts> written, Reporting report, CancellationToken cancellationToken)
    {
        if (outcome is null)
        {
            return report(StageDisposition.Acknowledge, "stale", id, null, "The original is gone or is not the version the event announced.", 0);
        }

        var bytes = written.Sum(w => w.Bytes);
        switch (await catalog.ApplyStageAsync(outcome, cancellationToken).ConfigureAwait(false))
        {
            case StageWriteResult.Applied:
                var detail = outcome.Error?.Message ?? "Recorded.";
                if (outcome.State == StageState.Done && before.StateOf(stage) == StageState.Done)
                {
                    detail = await RemoveOlderOutputsAsync(before, stage, written, cancellationToken).ConfigureAwait(false);
                }

                return report(StageDisposition.Acknowledge, outcome.State == StageState.Done ? "done" : "failed", id, outcome.Error?.Code, detail, bytes);
            case StageWriteResult.Deleted or StageWriteResult.Unknown:
                await RemoveOrphanAsync(stage, id, cancellationToken).ConfigureAwait(false);
                return report(StageDisposition.Acknowledge, "deleted", id, null, "The image was deleted while processing; its objects were removed.", 0);
            case StageWriteResult.AlreadyDone:
                return report(StageDisposition.Acknowledge, "duplicate", id, null, "Another delivery finished this stage first; the outputs are identical.", 0);
            default:
                return report(StageDisposition.Acknowledge, "stale", id, null, "The record holds another original.", 0);
        }
    }

    /// <summary>
    /// What an exception during <paramref name="stage"/> comes to: a retry, or on the last allowed attempt the failure
    /// recorded as <c>internal</c>. A cancelled token is a deadline (the attempt failed, and the failure is still
    /// recorded on the last one) unless <paramref name="cancellation"/> says the host is stopping: then the exception
    /// propagates and nothing is recorded.
    /// </summary>
    private async Task<StageReport> FailureAsync(
        Stage stage, Guid id, ObjectCreated created, int attempt, Exception error, Reporting report, CancellationToken cancellationToken, CancellationMeaning cancellation)
    {
        if (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return attempt < options.MaxAttempts
                ? report(StageDisposition.Retry, "retry", id, null, $"Attempt {attempt} of {options.MaxAttempts}: {error.GetType().Name}: {error.Message}", 0)
                : await GiveUpAsync(stage, id, created, GaveUpMessage(error), report, cancellationToken).ConfigureAwait(false);
        }

        if (cancellation == CancellationMeaning.Shutdown)
        {
            // The host is stopping: not an attempt. The message stays queued exactly as it was.
            ExceptionDispatchInfo.Capture(error).Throw();
        }

        if (attempt < options.MaxAttempts)
        {
            return report(StageDisposition.Retry, "retry", id, null, "Cancelled (deadline or shutdown) before the stage finished.", 0);
        }

        // The last receive ran out of time: still record the failure, or the image would stay processing forever
        // while its message sits in the dead-letter queue. The caller's token has fired, so the write gets its own
        // short one (the deadline margin leaves room for it).
        using var recording = new CancellationTokenSource(GiveUpWriteTimeout);
        return await GiveUpAsync(stage, id, created, GaveUpMessage(error), report, recording.Token).ConfigureAwait(false);
    }

    private delegate StageReport Reporting(StageDisposition disposition, string outcome, Guid? imageId, string? code, string detail, long bytes);

    private static Reporting Reporter(Stopwatch stopwatch) =>
        (disposition, outcome, imageId, code, detail, bytes) => new(disposition, outcome, imageId, code, detail, stopwatch.Elapsed, bytes);

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
                    (disposition, outcome, imageId, code, detail, bytes) => new(disposition, outcome, imageId, code, detail, TimeSpan.Zero, bytes),
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
        Reporting report, CancellationToken cancellationToken)
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
