using ImagePipeline.Core.Imaging;

namespace ImagePipeline.Core.Catalog;

/// <summary>
/// The catalog of images: SQLite locally, DynamoDB in AWS. The write rules are the design's and identical on every
/// implementation (a shared contract test suite proves it).
/// </summary>
public interface IImageCatalog
{
    /// <summary>Puts a new record if none exists with its id; false when one does.</summary>
    Task<bool> CreateAsync(ImageRecord record, CancellationToken cancellationToken);

    /// <summary>The record, tombstones included (callers decide what a deleted record means to them).</summary>
    Task<ImageRecord?> GetAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>
    /// One conditional update for one stage: applied only if the record exists, is not deleted, the source etag is
    /// absent or equal to the event's, and the stage is not already done — except that a <em>done</em> outcome may
    /// replace a done stage made by an older recipe version (a failure never replaces a done stage). Sets the stage's
    /// own attributes, its recipe version, its error, <c>updatedAt</c>; sets <c>sourceEtag</c>, <c>original</c>,
    /// <c>metadata</c> if not yet set; removes <c>expiresAt</c>. Never a read-modify-write of the whole record.
    /// </summary>
    Task<StageWriteResult> ApplyStageAsync(StageOutcome outcome, CancellationToken cancellationToken);

    /// <summary>
    /// Reprocessing: sets a <em>failed</em> stage back to pending, removes its error and sets <c>updatedAt</c> to
    /// <paramref name="at"/>, on condition that the record exists, is not deleted, the stage is still failed and
    /// nothing was written since the caller read it (<c>updatedAt</c> = <paramref name="readUpdatedAt"/>): a newer
    /// result — e.g. the reprocessed stage failing again already — is never turned back into pending. False when the
    /// condition does not hold.
    /// </summary>
    Task<bool> ResetFailedStageAsync(Guid id, Stage stage, DateTimeOffset readUpdatedAt, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Newest first by (createdAt, id); <paramref name="after"/> is the last item of the previous page.</summary>
    Task<CatalogPage> ListAsync(string ownerId, int limit, CatalogPosition? after, CancellationToken cancellationToken);

    /// <summary>Sets <c>deletedAt</c> and the tombstone's expiry and drops it from listings; false if unknown or already deleted.</summary>
    Task<bool> MarkDeletedAsync(Guid id, DateTimeOffset deletedAt, DateTimeOffset expiresAt, CancellationToken cancellationToken);

    /// <summary>
    /// Removes records whose <c>expiresAt</c> has passed (locally; DynamoDB's TTL does this in AWS). Only pending
    /// records (nothing uploaded: no <c>sourceEtag</c>) and tombstones ever carry an expiry, and a record whose
    /// upload landed is never removed here even if it still carries one.
    /// </summary>
    Task<int> PurgeExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>What one stage learned and made, written by <see cref="IImageCatalog.ApplyStageAsync"/>.</summary>
/// <param name="ImageId">The image.</param>
/// <param name="Stage">Which stage.</param>
/// <param name="SourceEtag">The entity tag the event announced (and the stage read).</param>
/// <param name="State"><see cref="StageState.Done"/> or <see cref="StageState.Failed"/>.</param>
/// <param name="Original">Header facts, when the header could be read.</param>
/// <param name="Metadata">The EXIF subset, when read.</param>
/// <param name="Renditions">Resize stage outputs.</param>
/// <param name="Thumbnail">Thumbnail stage output.</param>
/// <param name="Error">Why it failed.</param>
/// <param name="At">When.</param>
/// <param name="RecipeVersion">The recipe version the result was made with.</param>
public sealed record StageOutcome(
    Guid ImageId,
    Stage Stage,
    string SourceEtag,
    StageState State,
    OriginalFacts? Original,
    ImageMetadata? Metadata,
    IReadOnlyList<DerivedFacts>? Renditions,
    DerivedFacts? Thumbnail,
    StageError? Error,
    DateTimeOffset At,
    int RecipeVersion);

/// <summary>Result of a conditional stage write.</summary>
public enum StageWriteResult
{
    /// <summary>Written.</summary>
    Applied,
    /// <summary>Not written: no such image.</summary>
    Unknown,
    /// <summary>Not written: the image is deleted (its outputs must be removed).</summary>
    Deleted,
    /// <summary>Not written: this stage is already done (a duplicate event, or a failure over a done stage).</summary>
    AlreadyDone,
    /// <summary>Not written: the record holds another source etag (a stale event).</summary>
    Stale,
}

/// <summary>A position in the newest-first listing.</summary>
/// <param name="CreatedAt">Creation time of the last item returned.</param>
/// <param name="Id">Its id (ties broken by id).</param>
public sealed record CatalogPosition(DateTimeOffset CreatedAt, Guid Id);

/// <summary>One page of a listing.</summary>
/// <param name="Items">Records, newest first.</param>
/// <param name="Next">Where the next page starts, or null on the last page.</param>
public sealed record CatalogPage(IReadOnlyList<ImageRecord> Items, CatalogPosition? Next);
