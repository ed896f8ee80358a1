using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Events;
using ImagePipeline.Core.Queues;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Core.Services;

/// <summary>
/// POST /v1/images/{id}/reprocess: runs again the stages that failed, or that an older recipe version made — the only
/// way a recorded failure is retried. The original's event goes to the affected stages' queues only.
/// </summary>
public sealed class ReprocessService(ImageQueries queries, IImageCatalog catalog, IStageQueue queue, string originalsBucket, PipelineOptions options, TimeProvider clock)
{
    /// <summary>
    /// Queues the stages to run and sets failed ones back to pending; returns the record as it is then. NotFound for an
    /// unknown, deleted or another owner's image; NotReady (409) when nothing can be reprocessed.
    /// </summary>
    public async Task<ImageRecord> ReprocessAsync(string ownerId, Guid id, CancellationToken cancellationToken)
    {
        var record = await queries.GetAsync(ownerId, id, cancellationToken).ConfigureAwait(false);
        var stages = record.StagesToReprocess(options.Recipe.Version);
        if (stages.Count == 0)
        {
            throw new PipelineRequestException(RequestProblem.NotReady, "Nothing to reprocess", record.Status switch
            {
                ImageStatus.Pending => $"Image {ImageIds.Format(id)} has no uploaded original yet.",
                ImageStatus.Processing => $"Image {ImageIds.Format(id)} is still processing; reprocess it once it has finished.",
                _ => $"Image {ImageIds.Format(id)} is ready and made by the current recipe (version {options.Recipe.Version}).",
            }, record.Status);
        }

        // The event first: if queuing fails nothing has changed and the client may simply try again. It is marked as a
        // reprocess, so it runs a failed stage even if it arrives before the reset below, which is only for the status
        // the client sees meanwhile — and is conditional on the record being as read, so a result the queued event
        // already wrote (the stage failing again at once) is never turned back into a pending stage nobody will run.
        var created = new ObjectCreated(originalsBucket, ObjectKeys.Original(id), record.Original?.Bytes ?? record.DeclaredBytes, record.SourceEtag!, null, Reprocess: true);
        var body = S3EventParser.Serialize(created, clock.GetUtcNow());
        foreach (var stage in stages)
        {
            await queue.SendAsync(stage, body, cancellationToken).ConfigureAwait(false);
        }

        var read = record.UpdatedAt;
        foreach (var stage in stages.Where(s => record.StateOf(s) == StageState.Failed))
        {
            // False when anything was written meanwhile: that result stands, and the rest of the resets are skipped.
            var at = clock.GetUtcNow();
            at = at > read ? at : read.AddTicks(1);
            if (!await catalog.ResetFailedStageAsync(id, stage, read, at, cancellationToken).ConfigureAwait(false))
            {
                break;
            }

            read = at;
        }

        return await queries.GetAsync(ownerId, id, cancellationToken).ConfigureAwait(false);
    }
}
