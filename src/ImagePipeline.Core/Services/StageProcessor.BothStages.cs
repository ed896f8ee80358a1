using System.Diagnostics;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Events;
using ImagePipeline.Core.Imaging;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Core.Services;

/// <summary>The reports of one message run for both stages at once: one list per stage, in event order.</summary>
/// <param name="Resize">The resize stage's reports.</param>
/// <param name="Thumbnail">The thumbnail stage's reports.</param>
public sealed record BothStagesReports(IReadOnlyList<StageReport> Resize, IReadOnlyList<StageReport> Thumbnail);

public sealed partial class StageProcessor
{
    /// <summary>
    /// Processes a message that both stages received, for both, where the two run in one process (the local host):
    /// when both stages must run for an image, the original is read and decoded once (the CLI's recipe) and each
    /// stage's outcome is recorded under its own rules; otherwise each stage runs as <see cref="ProcessEventAsync"/>
    /// would run it alone. Attempts, retries, give-ups and what cancellation means are per stage, as if apart.
    /// </summary>
    public async Task<BothStagesReports> ProcessMessageForBothStagesAsync(
        string body, int resizeAttempt, int thumbnailAttempt, CancellationToken cancellationToken, CancellationMeaning cancellation = CancellationMeaning.Deadline)
    {
        IReadOnlyList<ObjectCreated> events;
        try
        {
            events = S3EventParser.Parse(body);
        }
        catch (FormatException e)
        {
            StageReport[] malformed = [new(StageDisposition.Acknowledge, "malformed", null, null, e.Message, TimeSpan.Zero, 0)];
            return new(malformed, malformed);
        }

        if (events.Count == 0)
        {
            StageReport[] ignored = [new(StageDisposition.Acknowledge, "ignored", null, null, "No object-created records (e.g. s3:TestEvent).", TimeSpan.Zero, 0)];
            return new(ignored, ignored);
        }

        var resize = new List<StageReport>(events.Count);
        var thumbnail = new List<StageReport>(events.Count);
        foreach (var created in events)
        {
            var (r, t) = await ProcessEventForBothStagesAsync(created, resizeAttempt, thumbnailAttempt, cancellationToken, cancellation).ConfigureAwait(false);
            resize.Add(r);
            thumbnail.Add(t);
        }

        return new(resize, thumbnail);
    }

    private async Task<(StageReport Resize, StageReport Thumbnail)> ProcessEventForBothStagesAsync(
        ObjectCreated created, int resizeAttempt, int thumbnailAttempt, CancellationToken cancellationToken, CancellationMeaning cancellation)
    {
        var report = Reporter(Stopwatch.StartNew());
        if (!ObjectKeys.TryParseOriginal(created.Key, out var id))
        {
            var ignored = report(StageDisposition.Acknowledge, "ignored", null, null, $"'{created.Key}' is not an original's key.", 0);
            return (ignored, ignored);
        }

        ImageRecord? record;
        try
        {
            record = await catalog.GetAsync(id, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return (await FailureAsync(Stage.Resize, id, created, resizeAttempt, e, report, cancellationToken, cancellation).ConfigureAwait(false),
                await FailureAsync(Stage.Thumbnail, id, created, thumbnailAttempt, e, report, cancellationToken, cancellation).ConfigureAwait(false));
        }

        if (NothingToDo(Stage.Resize, record, created) is not null || NothingToDo(Stage.Thumbnail, record, created) is not null)
        {
            // At most one stage has work (or the image is gone): nothing to share; each runs on the record as read.
            return (await ProcessStageAsync(Stage.Resize, id, created, record, resizeAttempt, report, cancellationToken, cancellation).ConfigureAwait(false),
                await ProcessStageAsync(Stage.Thumbnail, id, created, record, thumbnailAttempt, report, cancellationToken, cancellation).ConfigureAwait(false));
        }

        BothOutcomes run;
        try
        {
            run = await RunBothAsync(id, created, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return (await FailureAsync(Stage.Resize, id, created, resizeAttempt, e, report, cancellationToken, cancellation).ConfigureAwait(false),
                await FailureAsync(Stage.Thumbnail, id, created, thumbnailAttempt, e, report, cancellationToken, cancellation).ConfigureAwait(false));
        }

        // Each stage's write stands on its own: one that failed to record is retried without undoing the other.
        return (await RecordOrFailAsync(Stage.Resize, id, created, record!, run.Resize, run.ResizeWritten, resizeAttempt, report, cancellationToken, cancellation).ConfigureAwait(false),
            await RecordOrFailAsync(Stage.Thumbnail, id, created, record!, run.Thumbnail, run.ThumbnailWritten, thumbnailAttempt, report, cancellationToken, cancellation).ConfigureAwait(false));
    }

    private async Task<StageReport> RecordOrFailAsync(
        Stage stage, Guid id, ObjectCreated created, ImageRecord before, StageOutcome? outcome, List<DerivedFacts> written, int attempt,
        Reporting report, CancellationToken cancellationToken, CancellationMeaning cancellation)
    {
        try
        {
            return await RecordAsync(stage, id, before, outcome, written, report, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return await FailureAsync(stage, id, created, attempt, e, report, cancellationToken, cancellation).ConfigureAwait(false);
        }
    }

    private sealed record BothOutcomes(StageOutcome? Resize, List<DerivedFacts> ResizeWritten, StageOutcome? Thumbnail, List<DerivedFacts> ThumbnailWritten);

    /// <summary>Both stages' work from one read and one decode; null outcomes when the original is gone or changed.</summary>
    private async Task<BothOutcomes> RunBothAsync(Guid id, ObjectCreated created, CancellationToken cancellationToken)
    {
        StoredObject original;
        try
        {
            options.Limits.EnsureBytesAllowed(created.Size);
            original = await store.GetOriginalAsync(created.Key, created.ETag, cancellationToken).ConfigureAwait(false);
        }
        catch (ImageProcessingException e)
        {
            return new(Failed(Stage.Resize, id, created, e), [], Failed(Stage.Thumbnail, id, created, e), []);
        }
        catch (Exception e) when (e is ObjectNotFoundException or ObjectChangedException)
        {
            return new(null, [], null, []);
        }

        var version = options.Recipe.Version;
        ProcessedImage processed;
        try
        {
            processed = engine.Process(original.Data, options.Recipe, cancellationToken);
        }
        catch (ImageProcessingException e) when (e.Code != ImageErrorCode.Internal)
        {
            // The same file fails the same way for both stages: one decode decides for both.
            return new(Failed(Stage.Resize, id, created, e), [], Failed(Stage.Thumbnail, id, created, e), []);
        }

        var renditions = new List<DerivedFacts>();
        foreach (var rendition in processed.Renditions)
        {
            var key = ObjectKeys.Rendition(id, version, rendition.Name);
            await store.PutDerivedAsync(key, rendition.Image.Data, "image/webp", cancellationToken).ConfigureAwait(false);
            renditions.Add(Facts(rendition.Name, rendition.Image, key));
        }

        var thumbnailKey = ObjectKeys.Thumbnail(id, version, options.Recipe.Thumbnail.Size);
        await store.PutDerivedAsync(thumbnailKey, processed.Thumbnail.Data, "image/webp", cancellationToken).ConfigureAwait(false);
        var thumbnail = Facts("thumbnail", processed.Thumbnail, thumbnailKey);
        var source = Original(processed.Source);
        return new(
            Outcome(Stage.Resize, id, created, StageState.Done, source, processed.Source.Metadata, renditions: renditions),
            renditions,
            Outcome(Stage.Thumbnail, id, created, StageState.Done, source, processed.Source.Metadata, thumbnail: thumbnail),
            [thumbnail]);
    }
}
