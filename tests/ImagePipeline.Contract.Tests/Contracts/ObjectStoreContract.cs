using System.Security.Cryptography;
using ImagePipeline.Contract.Tests.Support;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Contract.Tests.Contracts;

/// <summary>
/// What the pipeline needs of an <see cref="IObjectStore"/>, proved on every implementation. Subclasses provide a fresh,
/// empty store and the two things the port itself does not offer: writing an original (the client's presigned PUT)
/// and reading any object back (the client's presigned GET).
/// </summary>
public abstract class ObjectStoreContract
{
    protected static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    protected static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);

    /// <summary>The clock the store's URLs are signed against.</summary>
    protected FakeTimeProvider Clock { get; } = new(T0);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A new, empty store whose presigned URLs use <paramref name="clock"/>.</summary>
    protected abstract Task<IObjectStore> CreateStoreAsync(TimeProvider clock);

    /// <summary>Stores an original as a client upload would; returns its entity tag (without quotes).</summary>
    protected abstract Task<string> PutOriginalAsync(IObjectStore store, string key, byte[] content, string contentType);

    /// <summary>Reads any object back, or null when there is none.</summary>
    protected abstract Task<byte[]?> ReadAsync(IObjectStore store, Bucket bucket, string key);

    [Fact]
    public async Task PutDerivedAsync_ThenRead_ReturnsTheSameBytes()
    {
        var store = await CreateStoreAsync(Clock);
        var key = ObjectKeys.Rendition(NewId(), 1, "w320");
        var data = RandomBytes(70_000);

        await store.PutDerivedAsync(key, data, "image/webp", Ct);

        Assert.Equal(data, await ReadAsync(store, Bucket.Derived, key));
    }

    [Fact]
    public async Task PutDerivedAsync_SameKeyTwice_TheLastWriteWins()
    {
        var store = await CreateStoreAsync(Clock);
        var key = ObjectKeys.Thumbnail(NewId(), 1, 256);

        await store.PutDerivedAsync(key, RandomBytes(100), "image/webp", Ct);
        var second = RandomBytes(50);
        await store.PutDerivedAsync(key, second, "image/webp", Ct);

        Assert.Equal(second, await ReadAsync(store, Bucket.Derived, key));
    }

    [Fact]
    public async Task GetOriginalAsync_MatchingEtag_ReturnsTheBytesAndEtag()
    {
        var store = await CreateStoreAsync(Clock);
        var key = ObjectKeys.Original(NewId());
        var data = RandomBytes(123_456);
        var etag = await PutOriginalAsync(store, key, data, "image/jpeg");

        var original = await store.GetOriginalAsync(key, etag, Ct);

        Assert.Equal(data, original.Data.ToArray());
        Assert.Equal(etag, original.ETag);
        Assert.DoesNotContain('"', original.ETag);
    }

    [Fact]
    public async Task GetOriginalAsync_SinglePartUpload_EtagIsTheContentMd5()
    {
        var store = await CreateStoreAsync(Clock);
        var key = ObjectKeys.Original(NewId());
        var data = RandomBytes(4_096);

        var etag = await PutOriginalAsync(store, key, data, "image/png");

        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(data)), etag);
    }

    [Fact]
    public async Task GetOriginalAsync_OtherEtag_ThrowsObjectChanged()
    {
        var store = await CreateStoreAsync(Clock);
        var key = ObjectKeys.Original(NewId());
        await PutOriginalAsync(store, key, RandomBytes(1_000), "image/jpeg");

        await Assert.ThrowsAsync<ObjectChangedException>(() => store.GetOriginalAsync(key, "0123456789abcdef0123456789abcdef", Ct));
    }

    [Fact]
    public async Task GetOriginalAsync_MissingKey_ThrowsObjectNotFound()
    {
        var store = await CreateStoreAsync(Clock);

        await Assert.ThrowsAsync<ObjectNotFoundException>(
            () => store.GetOriginalAsync(ObjectKeys.Original(NewId()), "0123456789abcdef0123456789abcdef", Ct));
    }

    [Fact]
    public async Task DeleteAsync_MissingKeys_DoesNotThrow()
    {
        var store = await CreateStoreAsync(Clock);
        var id = NewId();

        await store.DeleteAsync(Bucket.Originals, [ObjectKeys.Original(id)], Ct);
        await store.DeleteAsync(Bucket.Derived, [ObjectKeys.Rendition(id, 1, "w320"), ObjectKeys.Thumbnail(id, 1, 256)], Ct);
        await store.DeleteAsync(Bucket.Derived, [], Ct);
    }

    [Fact]
    public async Task DeleteAsync_ExistingKeys_RemovesThoseOnly()
    {
        var store = await CreateStoreAsync(Clock);
        var id = NewId();
        var original = ObjectKeys.Original(id);
        var w320 = ObjectKeys.Rendition(id, 1, "w320");
        var w640 = ObjectKeys.Rendition(id, 1, "w640");
        await PutOriginalAsync(store, original, RandomBytes(10), "image/jpeg");
        await store.PutDerivedAsync(w320, RandomBytes(10), "image/webp", Ct);
        await store.PutDerivedAsync(w640, RandomBytes(10), "image/webp", Ct);

        await store.DeleteAsync(Bucket.Derived, [w320], Ct);
        await store.DeleteAsync(Bucket.Originals, [original], Ct);

        Assert.Null(await ReadAsync(store, Bucket.Derived, w320));
        Assert.Null(await ReadAsync(store, Bucket.Originals, original));
        Assert.NotNull(await ReadAsync(store, Bucket.Derived, w640));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.GetOriginalAsync(original, "0123456789abcdef0123456789abcdef", Ct));
    }

    [Fact]
    public async Task DeletePrefixAsync_OneImagesPrefix_RemovesThatPrefixOnly()
    {
        var store = await CreateStoreAsync(Clock);
        var a = NewId();
        var b = NewId();
        string[] aRenditions = [ObjectKeys.Rendition(a, 1, "w320"), ObjectKeys.Rendition(a, 1, "w640"), ObjectKeys.Rendition(a, 2, "w320")];
        string[] kept = [ObjectKeys.Rendition(b, 1, "w320"), ObjectKeys.Thumbnail(a, 1, 256), ObjectKeys.Thumbnail(b, 1, 256)];
        foreach (var key in aRenditions.Concat(kept))
        {
            await store.PutDerivedAsync(key, RandomBytes(10), "image/webp", Ct);
        }

        await PutOriginalAsync(store, ObjectKeys.Original(a), RandomBytes(10), "image/jpeg");

        await store.DeletePrefixAsync(Bucket.Derived, ObjectKeys.DerivedPrefixes(a)[0], Ct);

        foreach (var key in aRenditions)
        {
            Assert.Null(await ReadAsync(store, Bucket.Derived, key));
        }

        foreach (var key in kept)
        {
            Assert.NotNull(await ReadAsync(store, Bucket.Derived, key));
        }

        Assert.NotNull(await ReadAsync(store, Bucket.Originals, ObjectKeys.Original(a)));
    }

    [Fact]
    public async Task DeletePrefixAsync_NothingUnderThePrefix_DoesNotThrow()
    {
        var store = await CreateStoreAsync(Clock);

        foreach (var prefix in ObjectKeys.DerivedPrefixes(NewId()))
        {
            await store.DeletePrefixAsync(Bucket.Derived, prefix, Ct);
        }
    }

    [Fact]
    public async Task PresignUpload_Original_SignsAPutOfThatKeyWithWriteOnceHeaders()
    {
        var store = await CreateStoreAsync(Clock);
        var key = ObjectKeys.Original(NewId());

        var upload = store.PresignUpload(key, "image/jpeg", 2_345_678, Lifetime);

        Assert.Equal("PUT", upload.Method);
        Assert.True(upload.Url.IsAbsoluteUri);
        Assert.EndsWith("/" + key, upload.Url.AbsolutePath, StringComparison.Ordinal);
        Assert.Equal("image/jpeg", Header(upload, "Content-Type"));
        Assert.Equal("2345678", Header(upload, "Content-Length"));
        Assert.Equal("*", Header(upload, "If-None-Match"));
        Assert.Equal(T0 + Lifetime, upload.ExpiresAt);
    }

    [Fact]
    public async Task PresignUpload_AnotherMoment_ExpiresRelativeToTheClock()
    {
        var store = await CreateStoreAsync(Clock);
        Clock.Advance(TimeSpan.FromHours(3));

        var upload = store.PresignUpload(ObjectKeys.Original(NewId()), "image/png", 10, TimeSpan.FromMinutes(5));

        Assert.Equal(T0 + TimeSpan.FromHours(3) + TimeSpan.FromMinutes(5), upload.ExpiresAt);
    }

    [Fact]
    public async Task PresignDownload_DerivedAndOriginal_UrlsNameTheirKeys()
    {
        var store = await CreateStoreAsync(Clock);
        var id = NewId();
        var thumbnail = ObjectKeys.Thumbnail(id, 1, 256);
        var original = ObjectKeys.Original(id);

        var thumbnailUrl = store.PresignDownload(Bucket.Derived, thumbnail, Lifetime);
        var originalUrl = store.PresignDownload(Bucket.Originals, original, Lifetime, "Été à Paris.jpg");

        Assert.True(thumbnailUrl.IsAbsoluteUri);
        Assert.EndsWith("/" + thumbnail, thumbnailUrl.AbsolutePath, StringComparison.Ordinal);
        Assert.EndsWith("/" + original, originalUrl.AbsolutePath, StringComparison.Ordinal);
        Assert.NotEqual(thumbnailUrl.GetLeftPart(UriPartial.Path), originalUrl.GetLeftPart(UriPartial.Path));
        Assert.False(string.IsNullOrEmpty(thumbnailUrl.Query));
    }

    protected static Guid NewId() => Guid.CreateVersion7();

    protected static byte[] RandomBytes(int length) => RandomNumberGenerator.GetBytes(length);

    private static string? Header(PresignedRequest request, string name) =>
        request.Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
}
