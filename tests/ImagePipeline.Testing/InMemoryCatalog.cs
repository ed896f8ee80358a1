using System.Collections.Concurrent;
using ImagePipeline.Core.Catalog;

namespace ImagePipeline.Testing;

/// <summary>An in-memory <see cref="IImageCatalog"/> following the design's write rules, counting reads.</summary>
public sealed class InMemoryCatalog : IImageCatalog
{
    private readonly ConcurrentDictionary<Guid, ImageRecord> _records = new();
    private int _lookups;

    /// <summary>Calls of <see cref="GetAsync"/> and <see cref="ListAsync"/>: proves a malformed id never reaches storage.</summary>
    public int Lookups => _lookups;

    /// <summary>When set, every read throws it (for 500/503 tests).</summary>
    public Exception? FailWith { get; set; }

    public IReadOnlyCollection<ImageRecord> Records => [.. _records.Values];

    /// <summary>Stores a record as is (tests build every state directly).</summary>
    public ImageRecord Put(ImageRecord record)
    {
        _records[record.Id] = record;
        return record;
    }

    public ImageRecord? Find(Guid id) => _records.GetValueOrDefault(id);

    public Task<bool> CreateAsync(ImageRecord record, CancellationToken cancellationToken) =>
        Task.FromResult(_records.TryAdd(record.Id, record));

    public Task<ImageRecord?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        Read();
        return Task.FromResult(_records.GetValueOrDefault(id));
    }

    public Task<StageWriteResult> ApplyStageAsync(StageOutcome outcome, CancellationToken cancellationToken)
    {
        lock (_records)
        {
            return Task.FromResult(Apply(outcome));
        }
    }

    private StageWriteResult Apply(StageOutcome outcome)
    {
        if (!_records.TryGetValue(outcome.ImageId, out var record))
        {
            return StageWriteResult.Unknown;
        }

        if (record.DeletedAt is not null)
        {
            return StageWriteResult.Deleted;
        }

        if (record.SourceEtag is { } etag && etag != outcome.SourceEtag)
        {
            return StageWriteResult.Stale;
        }

        if (record.StateOf(outcome.Stage) == StageState.Done
            && (outcome.State == StageState.Failed || record.RecipeVersionOf(outcome.Stage) >= outcome.RecipeVersion))
        {
            return StageWriteResult.AlreadyDone;
        }

        var updated = record with
        {
            SourceEtag = record.SourceEtag ?? outcome.SourceEtag,
            Original = record.Original ?? outcome.Original,
            Metadata = record.Metadata ?? outcome.Metadata,
            ExpiresAt = null,
            UpdatedAt = outcome.At,
        };
        updated = outcome.Stage == Stage.Resize
            ? updated with { ResizeState = outcome.State, Renditions = outcome.Renditions, ResizeError = outcome.Error, ResizeRecipeVersion = outcome.RecipeVersion }
            : updated with { ThumbnailState = outcome.State, Thumbnail = outcome.Thumbnail, ThumbnailError = outcome.Error, ThumbnailRecipeVersion = outcome.RecipeVersion };
        _records[record.Id] = updated;
        return StageWriteResult.Applied;
    }

    public Task<bool> ResetFailedStageAsync(Guid id, Stage stage, DateTimeOffset readUpdatedAt, DateTimeOffset at, CancellationToken cancellationToken)
    {
        lock (_records)
        {
            if (!_records.TryGetValue(id, out var record) || record.DeletedAt is not null || record.StateOf(stage) != StageState.Failed
                || record.UpdatedAt != readUpdatedAt)
            {
                return Task.FromResult(false);
            }

            _records[id] = stage == Stage.Resize
                ? record with { ResizeState = StageState.Pending, ResizeError = null, UpdatedAt = at }
                : record with { ThumbnailState = StageState.Pending, ThumbnailError = null, UpdatedAt = at };
            return Task.FromResult(true);
        }
    }

    public Task<CatalogPage> ListAsync(string ownerId, int limit, CatalogPosition? after, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        Read();
        var ordered = _records.Values
            .Where(r => r.OwnerId == ownerId && r.DeletedAt is null)
            .OrderByDescending(r => r.CreatedAt)
            .ThenByDescending(r => r.Id)
            .Where(r => after is null || r.CreatedAt < after.CreatedAt || (r.CreatedAt == after.CreatedAt && r.Id.CompareTo(after.Id) < 0))
            .Take(limit + 1)
            .ToList();
        var items = ordered.Take(limit).ToList();
        var next = ordered.Count > limit ? new CatalogPosition(items[^1].CreatedAt, items[^1].Id) : null;
        return Task.FromResult(new CatalogPage(items, next));
    }

    public Task<bool> MarkDeletedAsync(Guid id, DateTimeOffset deletedAt, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        if (!_records.TryGetValue(id, out var record) || record.DeletedAt is not null)
        {
            return Task.FromResult(false);
        }

        _records[id] = record with { DeletedAt = deletedAt, ExpiresAt = expiresAt };
        return Task.FromResult(true);
    }

    public Task<int> PurgeExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var expired = _records.Values.Where(r => r.ExpiresAt <= now && (r.SourceEtag is null || r.DeletedAt is not null)).Select(r => r.Id).ToList();
        foreach (var id in expired)
        {
            _records.TryRemove(id, out _);
        }

        return Task.FromResult(expired.Count);
    }

    private void Read()
    {
        Interlocked.Increment(ref _lookups);
        if (FailWith is { } failure)
        {
            throw failure;
        }
    }
}
