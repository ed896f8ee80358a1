using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Core.Services;

/// <summary>DELETE /v1/images/{id}: tombstone first (the image leaves listings at once), then its objects.</summary>
public sealed class DeleteService(IImageCatalog catalog, IObjectStore store, PipelineOptions options, TimeProvider clock)
{
    /// <summary>Deletes an image of <paramref name="ownerId"/>; NotFound when unknown, another owner's, or already deleted.</summary>
    public async Task DeleteAsync(string ownerId, Guid id, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var record = await catalog.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (record is null || record.OwnerId != ownerId)
        {
            throw NotFound(id);
        }

        if (record.DeletedAt is not null
            || !await catalog.MarkDeletedAsync(id, now, now + options.TombstoneLifetime, cancellationToken).ConfigureAwait(false))
        {
            // Already deleted. The earlier DELETE may have failed after its tombstone (S3 throttled, say) and nothing
            // else would ever remove the objects, so a repeated DELETE finishes the job before answering 404.
            await RemoveObjectsAsync(store, id, cancellationToken).ConfigureAwait(false);
            throw NotFound(id);
        }

        await RemoveObjectsAsync(store, id, cancellationToken).ConfigureAwait(false);
    }

    private static PipelineRequestException NotFound(Guid id) =>
        new(RequestProblem.NotFound, "Image not found", $"No image {ImageIds.Format(id)}.");

    /// <summary>Removes an image's original and every derived object (any recipe version).</summary>
    public static async Task RemoveObjectsAsync(IObjectStore store, Guid id, CancellationToken cancellationToken)
    {
        await store.DeleteAsync(Bucket.Originals, [ObjectKeys.Original(id)], cancellationToken).ConfigureAwait(false);
        foreach (var prefix in ObjectKeys.DerivedPrefixes(id))
        {
            await store.DeletePrefixAsync(Bucket.Derived, prefix, cancellationToken).ConfigureAwait(false);
        }
    }
}
