using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Core.Services;

/// <summary>
/// Reads for the REST API: details, pages, and short-lived URLs of an image's objects. A pending record older than
/// <see cref="PipelineOptions.PendingLifetime"/> (an upload that never came) is hidden at once, whichever catalog holds
/// it; the record itself is kept for <see cref="PipelineOptions.PendingRetention"/> so that a late event of an upload
/// that did land still finds it (and the image reappears once a stage records it).
/// </summary>
public sealed class ImageQueries(IImageCatalog catalog, IObjectStore store, PipelineOptions options, TimeProvider clock)
{
    private readonly CursorCodec _cursors = new(options.CursorKey);

    /// <summary>The default and largest page sizes.</summary>
    public const int DefaultLimit = 20, MaxLimit = 100;

    /// <summary>
    /// A live (not deleted) image of <paramref name="ownerId"/>, or a NotFound problem: another owner's image is
    /// indistinguishable from a missing one.
    /// </summary>
    public async Task<ImageRecord> GetAsync(string ownerId, Guid id, CancellationToken cancellationToken)
    {
        var record = await catalog.GetAsync(id, cancellationToken).ConfigureAwait(false);
        return record is { DeletedAt: null } && record.OwnerId == ownerId && !IsExpired(record, clock.GetUtcNow()) ? record : throw NotFound(id);
    }

    /// <summary>A page, newest first, with the opaque cursor of the next page (null on the last).</summary>
    public async Task<(IReadOnlyList<ImageRecord> Items, string? NextCursor)> ListAsync(string ownerId, int? limit, string? cursor, CancellationToken cancellationToken)
    {
        var size = limit ?? DefaultLimit;
        if (size is < 1 or > MaxLimit)
        {
            throw new PipelineRequestException(RequestProblem.Invalid, "Invalid limit", $"limit must be between 1 and {MaxLimit}.");
        }

        CatalogPosition? after = null;
        if (cursor is not null)
        {
            if (!_cursors.TryDecode(cursor, out var position))
            {
                throw new PipelineRequestException(RequestProblem.Invalid, "Invalid cursor", "cursor is not a cursor this API issued; use nextCursor from a previous page.");
            }

            after = position;
        }

        var page = await catalog.ListAsync(ownerId, size, after, cancellationToken).ConfigureAwait(false);
        var now = clock.GetUtcNow();

        // The cursor still follows the catalog's page, so a page thinned by expired records never skips a live one.
        return ([.. page.Items.Where(r => !IsExpired(r, now))], page.Next is { } next ? _cursors.Encode(next) : null);
    }

    // Tombstones never get this far. A pending record is hidden after the visibility rule, long before its expiry.
    private bool IsExpired(ImageRecord record, DateTimeOffset now) =>
        (record.SourceEtag is null && record.CreatedAt + options.PendingLifetime <= now)
        || (record.ExpiresAt is { } expires && expires <= now);

    /// <summary>Presigned URL of the thumbnail; NotReady (409) until the thumbnail stage is done.</summary>
    public async Task<Uri> ThumbnailUrlAsync(string ownerId, Guid id, CancellationToken cancellationToken)
    {
        var record = await GetAsync(ownerId, id, cancellationToken).ConfigureAwait(false);
        return ThumbnailUrl(record) ?? throw NotReady(record, "thumbnail");
    }

    /// <summary>Presigned URL of a rendition; NotFound when the recipe never makes it for this image.</summary>
    public async Task<Uri> RenditionUrlAsync(string ownerId, Guid id, string name, CancellationToken cancellationToken)
    {
        var record = await GetAsync(ownerId, id, cancellationToken).ConfigureAwait(false);
        if (!options.Recipe.Renditions.Widths.Any(w => Imaging.RenditionRecipe.NameOf(w) == name))
        {
            throw new PipelineRequestException(RequestProblem.NotFound, "Unknown rendition", $"'{name}' is not a rendition of the recipe.");
        }

        if (record.ResizeState != StageState.Done)
        {
            throw NotReady(record, "renditions");
        }

        var rendition = record.Renditions?.FirstOrDefault(r => r.Name == name)
            ?? throw new PipelineRequestException(RequestProblem.NotFound, "Rendition not made", $"'{name}' was not made for this image: the original is narrower (renditions are never upscaled).");
        return store.PresignDownload(Bucket.Derived, rendition.Key, options.UrlLifetime);
    }

    /// <summary>Presigned download of the original under the uploader's file name; NotReady while nothing is uploaded.</summary>
    public async Task<Uri> OriginalUrlAsync(string ownerId, Guid id, CancellationToken cancellationToken)
    {
        var record = await GetAsync(ownerId, id, cancellationToken).ConfigureAwait(false);
        if (record.Status == ImageStatus.Pending)
        {
            throw NotReady(record, "original");
        }

        return OriginalUrl(record);
    }

    /// <summary>Presigned download of an uploaded record's original under the uploader's file name.</summary>
    public Uri OriginalUrl(ImageRecord record) =>
        store.PresignDownload(Bucket.Originals, ObjectKeys.Original(record.Id), options.UrlLifetime, record.FileName);

    /// <summary>The thumbnail URL of a record, or null when not made.</summary>
    public Uri? ThumbnailUrl(ImageRecord record) =>
        record is { ThumbnailState: StageState.Done, Thumbnail: { } thumbnail }
            ? store.PresignDownload(Bucket.Derived, thumbnail.Key, options.UrlLifetime)
            : null;

    /// <summary>Presigned URL of a derived object.</summary>
    public Uri DerivedUrl(DerivedFacts derived) => store.PresignDownload(Bucket.Derived, derived.Key, options.UrlLifetime);

    private static PipelineRequestException NotFound(Guid id) =>
        new(RequestProblem.NotFound, "Image not found", $"No image {ImageIds.Format(id)}.");

    private static PipelineRequestException NotReady(ImageRecord record, string what) =>
        new(RequestProblem.NotReady, "Not available yet", $"The {what} of image {ImageIds.Format(record.Id)} is not available: the image is {record.Status.ToName()}.", record.Status);
}
