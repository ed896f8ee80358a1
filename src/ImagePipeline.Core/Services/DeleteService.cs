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
        if (record is not { DeletedAt: null } || record.OwnerId != ownerId
            || !await catalog.MarkDeletedAsync(id, now, now + options.TombstoneLifetime, cancellationToken).ConfigureAwait(false))
        {
            throw new PipelineRequestException(RequestProblem.NotFound, "Image not found", $"No image {ImageIds.Format(id)}.");
        }

        await RemoveObjectsAsync(store, id, cancellationToken).ConfigureAwait(false);
    }

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
