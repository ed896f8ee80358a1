using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Local.Faults;

/// <summary>The stages' catalog with transient faults injected by a <see cref="FaultPlan"/> (reads and writes alike).</summary>
internal sealed class FaultInjectingCatalog(IImageCatalog inner, FaultPlan plan) : IImageCatalog
{
    public Task<bool> CreateAsync(ImageRecord record, CancellationToken cancellationToken) =>
        plan.RunAsync("catalog create", () => inner.CreateAsync(record, cancellationToken));

    public Task<ImageRecord?> GetAsync(Guid id, CancellationToken cancellationToken) =>
        plan.RunAsync("catalog get", () => inner.GetAsync(id, cancellationToken));

    public Task<StageWriteResult> ApplyStageAsync(StageOutcome outcome, CancellationToken cancellationToken) =>
        plan.RunAsync("catalog stage write", () => inner.ApplyStageAsync(outcome, cancellationToken));

    public Task<bool> ResetFailedStageAsync(Guid id, Stage stage, DateTimeOffset readUpdatedAt, DateTimeOffset at, CancellationToken cancellationToken) =>
        plan.RunAsync("catalog reset", () => inner.ResetFailedStageAsync(id, stage, readUpdatedAt, at, cancellationToken));

    public Task<CatalogPage> ListAsync(string ownerId, int limit, CatalogPosition? after, CancellationToken cancellationToken) =>
        plan.RunAsync("catalog list", () => inner.ListAsync(ownerId, limit, after, cancellationToken));

    public Task<bool> MarkDeletedAsync(Guid id, DateTimeOffset deletedAt, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
        plan.RunAsync("catalog delete", () => inner.MarkDeletedAsync(id, deletedAt, expiresAt, cancellationToken));

    public Task<int> PurgeExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        plan.RunAsync("catalog purge", () => inner.PurgeExpiredAsync(now, cancellationToken));
}

/// <summary>The stages' object store with transient faults injected by a <see cref="FaultPlan"/>; signing is never faulted.</summary>
internal sealed class FaultInjectingObjectStore(IObjectStore inner, FaultPlan plan) : IObjectStore
{
    public Task<StoredObject> GetOriginalAsync(string key, string ifMatchEtag, CancellationToken cancellationToken) =>
        plan.RunAsync("original read", () => inner.GetOriginalAsync(key, ifMatchEtag, cancellationToken));

    public Task PutDerivedAsync(string key, ReadOnlyMemory<byte> data, string contentType, CancellationToken cancellationToken) =>
        plan.RunAsync("derived write", () => inner.PutDerivedAsync(key, data, contentType, cancellationToken));

    public Task DeleteAsync(Bucket bucket, IReadOnlyCollection<string> keys, CancellationToken cancellationToken) =>
        plan.RunAsync("delete", () => inner.DeleteAsync(bucket, keys, cancellationToken));

    public Task DeletePrefixAsync(Bucket bucket, string prefix, CancellationToken cancellationToken) =>
        plan.RunAsync("prefix delete", () => inner.DeletePrefixAsync(bucket, prefix, cancellationToken));

    public PresignedRequest PresignUpload(string key, string contentType, long contentLength, TimeSpan expiresIn) =>
        inner.PresignUpload(key, contentType, contentLength, expiresIn);

    public Uri PresignDownload(Bucket bucket, string key, TimeSpan expiresIn, string? downloadFileName = null) =>
        inner.PresignDownload(bucket, key, expiresIn, downloadFileName);
}
