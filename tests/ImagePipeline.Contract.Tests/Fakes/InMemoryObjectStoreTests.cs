using ImagePipeline.Contract.Tests.Contracts;
using ImagePipeline.Core.Storage;
using ImagePipeline.Testing;

namespace ImagePipeline.Contract.Tests.Fakes;

/// <summary>The object-store fake the service tests use keeps the same contract as the real stores.</summary>
public sealed class InMemoryObjectStoreTests : ObjectStoreContract
{
    protected override Task<IObjectStore> CreateStoreAsync(TimeProvider clock) => Task.FromResult<IObjectStore>(new InMemoryObjectStore(clock));

    protected override Task<string> PutOriginalAsync(IObjectStore store, string key, byte[] content, string contentType) =>
        Task.FromResult(((InMemoryObjectStore)store).PutOriginal(key, content));

    protected override Task<byte[]?> ReadAsync(IObjectStore store, Bucket bucket, string key) =>
        Task.FromResult(((InMemoryObjectStore)store).Objects.TryGetValue((bucket, key), out var data) ? data : null);
}
