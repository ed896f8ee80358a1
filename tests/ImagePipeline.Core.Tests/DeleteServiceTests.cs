using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Services;
using ImagePipeline.Core.Storage;
using ImagePipeline.Testing;

namespace ImagePipeline.Core.Tests;

public sealed class DeleteServiceTests
{
    private readonly FakeClock _clock = new(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero));
    private readonly InMemoryCatalog _catalog = new();
    private readonly InMemoryObjectStore _store;
    private readonly DeleteService _deletes;

    public DeleteServiceTests()
    {
        _store = new InMemoryObjectStore(_clock);
        _deletes = new DeleteService(_catalog, _store, new PipelineOptions { CursorKey = new byte[32] }, _clock);
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private Guid Stored()
    {
        var record = _catalog.Put(new ImageRecord
        {
            Id = ImageIds.New(_clock), OwnerId = "local", FileName = "a.jpg", ContentType = "image/jpeg", DeclaredBytes = 3,
            CreatedAt = _clock.GetUtcNow(), UpdatedAt = _clock.GetUtcNow(),
        });
        _store.PutOriginal(ObjectKeys.Original(record.Id), [1, 2, 3]);
        _store.Objects[(Bucket.Derived, ObjectKeys.Thumbnail(record.Id, 1, 256))] = [4];
        return record.Id;
    }

    [Fact]
    public async Task DeleteAsync_StorageFailedAfterTombstone_RepeatedDeleteRemovesObjectsThenAnswersNotFound()
    {
        var id = Stored();
        _store.FailDeletesWith = new TransientStorageException("S3 throttled");
        await Assert.ThrowsAsync<TransientStorageException>(() => _deletes.DeleteAsync("local", id, Token));
        Assert.NotNull(_catalog.Find(id)!.DeletedAt);
        Assert.NotEmpty(_store.Objects);

        _store.FailDeletesWith = null;
        var again = await Assert.ThrowsAsync<PipelineRequestException>(() => _deletes.DeleteAsync("local", id, Token));

        Assert.Equal(RequestProblem.NotFound, again.Problem);
        Assert.Empty(_store.Objects);
    }

    [Fact]
    public async Task DeleteAsync_AnotherOwnersImage_NotFoundAndNothingRemoved()
    {
        var id = Stored();

        var error = await Assert.ThrowsAsync<PipelineRequestException>(() => _deletes.DeleteAsync("someone-else", id, Token));

        Assert.Equal(RequestProblem.NotFound, error.Problem);
        Assert.Null(_catalog.Find(id)!.DeletedAt);
        Assert.Equal(2, _store.Objects.Count);
    }
}
