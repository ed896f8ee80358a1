using System.Security.Cryptography;
using ImagePipeline.Contract.Tests.Contracts;
using ImagePipeline.Core.Storage;
using ImagePipeline.Local.Storage;
using ImagePipeline.Testing;

namespace ImagePipeline.Contract.Tests.Local;

/// <summary>The object store contract on files, plus the local host's own duties: write-once, exact length, key safety, signed URLs.</summary>
public sealed class FileObjectStoreTests : ObjectStoreContract, IDisposable
{
    private static readonly Uri BaseUrl = new("http://127.0.0.1:5080");

    private readonly TempDirectory _directory = new();

    protected override Task<IObjectStore> CreateStoreAsync(TimeProvider clock) => Task.FromResult<IObjectStore>(NewStore(clock));

    protected override async Task<string> PutOriginalAsync(IObjectStore store, string key, byte[] content, string contentType)
    {
        var result = await ((FileObjectStore)store).PutOriginalAsync(key, new MemoryStream(content), content.Length, contentType, Ct);
        Assert.Equal(PutStatus.Created, result.Status);
        return result.ETag!;
    }

    protected override async Task<byte[]?> ReadAsync(IObjectStore store, Bucket bucket, string key)
    {
        await using var local = await ((FileObjectStore)store).OpenAsync(bucket, key, Ct);
        if (local is null)
        {
            return null;
        }

        using var copy = new MemoryStream();
        await local.Content.CopyToAsync(copy, Ct);
        return copy.ToArray();
    }

    // ---- layout and serving --------------------------------------------------------------------------------------

    [Fact]
    public async Task PutOriginalAsync_NewKey_StoresUnderObjectsOriginals()
    {
        var store = NewStore();
        var id = NewId();
        var data = RandomBytes(1_000);

        var result = await store.PutOriginalAsync(ObjectKeys.Original(id), new MemoryStream(data), data.Length, "image/jpeg", Ct);

        Assert.Equal(new PutResult(PutStatus.Created, Convert.ToHexStringLower(MD5.HashData(data)), data.Length), result);
        Assert.Equal(data, await File.ReadAllBytesAsync(_directory.Combine("data", "objects", "originals", id.ToString()), Ct));
    }

    [Fact]
    public async Task PutDerivedAsync_RenditionKey_StoresUnderObjectsDerived()
    {
        var store = NewStore();
        var key = ObjectKeys.Rendition(NewId(), 1, "w640");
        var data = RandomBytes(100);

        await store.PutDerivedAsync(key, data, "image/webp", Ct);

        Assert.Equal(data, await File.ReadAllBytesAsync(_directory.Combine(["data", "objects", "derived", .. key.Split('/')]), Ct));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(store.PathOf(Bucket.Derived, key))!, "*.tmp"));
    }

    [Fact]
    public async Task OpenAsync_StoredObject_ReturnsContentTypeLengthAndEtag()
    {
        var store = NewStore();
        var key = ObjectKeys.Original(NewId());
        var data = RandomBytes(5_000);
        await store.PutOriginalAsync(key, new MemoryStream(data), data.Length, "image/png", Ct);

        await using var local = await store.OpenAsync(Bucket.Originals, key, Ct);

        Assert.NotNull(local);
        Assert.Equal("image/png", local.ContentType);
        Assert.Equal(data.Length, local.Length);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(data)), local.ETag);
    }

    [Fact]
    public async Task OpenAsync_MissingObject_ReturnsNull()
    {
        var store = NewStore();

        Assert.Null(await store.OpenAsync(Bucket.Derived, ObjectKeys.Thumbnail(NewId(), 1, 256), Ct));
    }

    [Fact]
    public async Task OpenAsync_SidecarLost_RecomputesTheEtag()
    {
        var store = NewStore();
        var key = ObjectKeys.Thumbnail(NewId(), 1, 256);
        var data = RandomBytes(300);
        await store.PutDerivedAsync(key, data, "image/webp", Ct);
        var path = store.PathOf(Bucket.Derived, key);
        File.Delete(Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".meta"));

        await using var local = await store.OpenAsync(Bucket.Derived, key, Ct);

        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(data)), local!.ETag);
        Assert.Equal(data.Length, local.Length);
    }

    [Fact]
    public async Task GetOriginalAsync_ItsOwnSidecar_GivesTheUploadsEtagWithoutHashingAgain()
    {
        var store = NewStore();
        var (key, data) = await PutNewOriginalAsync(store);

        // A sidecar of the right length, written after the object, is the tag's source: it is believed as it is.
        await RewriteSidecarAsync(store, key, OtherEtag, data.Length);

        Assert.Equal(OtherEtag, (await store.GetOriginalAsync(key, OtherEtag, Ct)).ETag);
        await Assert.ThrowsAsync<ObjectChangedException>(() => store.GetOriginalAsync(key, Md5(data), Ct));
    }

    [Theory]
    [InlineData("lost")]
    [InlineData("torn")]
    [InlineData("other length")]
    [InlineData("older than the object")]
    public async Task GetOriginalAsync_SidecarNotTheObjectsOwn_HashesTheBytes(string sidecar)
    {
        var store = NewStore();
        var (key, data) = await PutNewOriginalAsync(store);
        var path = SidecarPath(store, key);
        switch (sidecar)
        {
            case "lost":
                File.Delete(path);
                break;
            case "torn":
                await File.WriteAllTextAsync(path, "{\"eTag\":\"01234", Ct);
                break;
            case "other length":
                await RewriteSidecarAsync(store, key, OtherEtag, data.Length + 1);
                break;
            default:
                await RewriteSidecarAsync(store, key, OtherEtag, data.Length);
                File.SetLastWriteTimeUtc(path, File.GetLastWriteTimeUtc(store.PathOf(Bucket.Originals, key)) - TimeSpan.FromHours(1));
                break;
        }

        Assert.Equal(data, (await store.GetOriginalAsync(key, Md5(data), Ct)).Data.ToArray());
        await Assert.ThrowsAsync<ObjectChangedException>(() => store.GetOriginalAsync(key, OtherEtag, Ct));
    }

    // ---- write-once and exact length -----------------------------------------------------------------------------

    [Fact]
    public async Task PutOriginalAsync_KeyTaken_ReturnsAlreadyExistsAndKeepsTheFirst()
    {
        var store = NewStore();
        var key = ObjectKeys.Original(NewId());
        var first = RandomBytes(100);
        var etag = (await store.PutOriginalAsync(key, new MemoryStream(first), 100, "image/jpeg", Ct)).ETag!;

        var second = await store.PutOriginalAsync(key, new MemoryStream(RandomBytes(100)), 100, "image/jpeg", Ct);

        Assert.Equal(PutStatus.AlreadyExists, second.Status);
        Assert.Null(second.ETag);
        Assert.Equal(first, (await store.GetOriginalAsync(key, etag, Ct)).Data.ToArray());
    }

    [Fact]
    public async Task PutOriginalAsync_ConcurrentUploadsOfOneKey_ExactlyOneIsCreated()
    {
        var store = NewStore();
        var key = ObjectKeys.Original(NewId());

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            Task.Run(() => store.PutOriginalAsync(key, new MemoryStream(RandomBytes(200_000)), 200_000, "image/jpeg", Ct), Ct)));

        var created = Assert.Single(results, r => r.Status == PutStatus.Created);
        Assert.All(results.Where(r => r != created), r => Assert.Equal(PutStatus.AlreadyExists, r.Status));
        Assert.Equal(created.ETag, (await store.OpenAsync(Bucket.Originals, key, Ct))!.ETag);
        AssertNoTempFiles();
    }

    [Fact]
    public async Task PutOriginalAsync_MoreBytesThanDeclared_ReturnsTooLongAndKeepsNothing()
    {
        var store = NewStore();
        var key = ObjectKeys.Original(NewId());

        var result = await store.PutOriginalAsync(key, new MemoryStream(RandomBytes(1_001)), 1_000, "image/jpeg", Ct);

        Assert.Equal(PutStatus.TooLong, result.Status);
        Assert.Null(await store.OpenAsync(Bucket.Originals, key, Ct));
        AssertNoTempFiles();
    }

    [Fact]
    public async Task PutOriginalAsync_EndlessBody_StopsReadingJustPastTheDeclaredLength()
    {
        var store = NewStore();
        var body = new EndlessStream();

        var result = await store.PutOriginalAsync(ObjectKeys.Original(NewId()), body, 300_000, "image/jpeg", Ct);

        Assert.Equal(PutStatus.TooLong, result.Status);
        Assert.Equal(300_001, body.BytesRead);
        AssertNoTempFiles();
    }

    [Fact]
    public async Task PutOriginalAsync_FewerBytesThanDeclared_ReturnsTooShortAndKeepsNothing()
    {
        var store = NewStore();
        var key = ObjectKeys.Original(NewId());

        var result = await store.PutOriginalAsync(key, new MemoryStream(RandomBytes(999)), 1_000, "image/jpeg", Ct);

        Assert.Equal(PutStatus.TooShort, result.Status);
        Assert.Null(await store.OpenAsync(Bucket.Originals, key, Ct));
        AssertNoTempFiles();

        // The key is still free for a correct upload.
        var retry = await store.PutOriginalAsync(key, new MemoryStream(RandomBytes(1_000)), 1_000, "image/jpeg", Ct);
        Assert.Equal(PutStatus.Created, retry.Status);
    }

    // ---- key safety ----------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("")]
    [InlineData("../secret")]
    [InlineData("renditions/../../../etc/passwd")]
    [InlineData("renditions/./w320.webp")]
    [InlineData("/etc/passwd")]
    [InlineData("renditions\\x\\w320.webp")]
    [InlineData("renditions//w320.webp")]
    [InlineData("renditions/x/")]
    [InlineData("renditions/.x.meta")]
    [InlineData("renditions/a b.webp")]
    [InlineData("renditions/%2e%2e/x")]
    public async Task AnyOperation_UnsafeDerivedKey_ThrowsArgumentException(string key)
    {
        var store = NewStore();

        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.PutDerivedAsync(key, RandomBytes(1), "image/webp", Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.OpenAsync(Bucket.Derived, key, Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.DeleteAsync(Bucket.Derived, [key], Ct));
        Assert.ThrowsAny<ArgumentException>(() => store.PresignDownload(Bucket.Derived, key, Lifetime));
    }

    [Theory]
    [InlineData("originals/../derived/x")]
    [InlineData("originals/")]
    [InlineData("renditions/x/r1/w320.webp")]
    [InlineData("derived/renditions/x")]
    [InlineData("originals/a/../../b")]
    public async Task AnyOperation_UnsafeOriginalKey_ThrowsArgumentException(string key)
    {
        var store = NewStore();

        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.GetOriginalAsync(key, "etag", Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.PutOriginalAsync(key, new MemoryStream([1]), 1, "image/jpeg", Ct));
        Assert.ThrowsAny<ArgumentException>(() => store.PresignUpload(key, "image/jpeg", 1, Lifetime));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("../")]
    [InlineData("renditions/../../")]
    [InlineData("/renditions/")]
    public async Task DeletePrefixAsync_UnsafePrefix_ThrowsArgumentException(string prefix)
    {
        var store = NewStore();

        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.DeletePrefixAsync(Bucket.Derived, prefix, Ct));
    }

    [Fact]
    public async Task DeletePrefixAsync_PartialName_RemovesMatchingSiblingsOnly()
    {
        var store = NewStore();
        var id = NewId();
        var w320 = ObjectKeys.Rendition(id, 1, "w320");
        var w640 = ObjectKeys.Rendition(id, 1, "w640");
        var other = ObjectKeys.Rendition(id, 1, "x100");
        foreach (var key in new[] { w320, w640, other })
        {
            await store.PutDerivedAsync(key, RandomBytes(10), "image/webp", Ct);
        }

        await store.DeletePrefixAsync(Bucket.Derived, w320[..w320.LastIndexOf('/')] + "/w", Ct);

        Assert.Null(await store.OpenAsync(Bucket.Derived, w320, Ct));
        Assert.Null(await store.OpenAsync(Bucket.Derived, w640, Ct));
        Assert.NotNull(await ReadAsync(store, Bucket.Derived, other));
    }

    // ---- signed URLs ---------------------------------------------------------------------------------------------

    [Fact]
    public void PresignUpload_Original_UrlHasTheLocalShapeAndVerifies()
    {
        var signer = NewSigner();
        var store = NewStore(signer: signer);
        var id = NewId();

        var upload = store.PresignUpload(ObjectKeys.Original(id), "image/jpeg", 1234, Lifetime);

        Assert.StartsWith($"http://127.0.0.1:5080/objects/originals/{id}?expires=", upload.Url.AbsoluteUri, StringComparison.Ordinal);
        Assert.Contains("&type=image%2Fjpeg&length=1234&sig=", upload.Url.Query, StringComparison.Ordinal);
        var check = signer.Verify("PUT", upload.Url.AbsolutePath, upload.Url.Query);
        Assert.Equal(SignedUrlStatus.Valid, check.Status);
        Assert.Equal((Bucket.Originals, ObjectKeys.Original(id), "image/jpeg", 1234L), (check.Bucket, check.Key, check.ContentType, check.ContentLength));
    }

    [Fact]
    public void PresignUpload_AfterItsLifetime_VerifiesAsExpired()
    {
        var signer = NewSigner();
        var store = NewStore(signer: signer);
        var upload = store.PresignUpload(ObjectKeys.Original(NewId()), "image/jpeg", 1234, Lifetime);

        Clock.Advance(Lifetime - TimeSpan.FromSeconds(1));
        Assert.Equal(SignedUrlStatus.Valid, signer.Verify("PUT", upload.Url.AbsolutePath, upload.Url.Query).Status);
        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(SignedUrlStatus.Expired, signer.Verify("PUT", upload.Url.AbsolutePath, upload.Url.Query).Status);
    }

    [Fact]
    public void PresignDownload_WithFileName_VerifiesThenExpires()
    {
        var signer = NewSigner();
        var store = NewStore(signer: signer);
        var key = ObjectKeys.Rendition(NewId(), 1, "w320");

        var url = store.PresignDownload(Bucket.Derived, key, Lifetime, "Été.jpg");

        Assert.StartsWith($"http://127.0.0.1:5080/objects/derived/{key}?expires=", url.AbsoluteUri, StringComparison.Ordinal);
        var check = signer.Verify("GET", url.AbsolutePath, url.Query);
        Assert.Equal(SignedUrlStatus.Valid, check.Status);
        Assert.Equal((Bucket.Derived, key, "Été.jpg"), (check.Bucket, check.Key, check.FileName));
        Clock.Advance(Lifetime);
        Assert.Equal(SignedUrlStatus.Expired, signer.Verify("GET", url.AbsolutePath, url.Query).Status);
    }

    public void Dispose() => _directory.Dispose();

    private UrlSigner NewSigner(TimeProvider? clock = null) =>
        new(RandomNumberGenerator.GetBytes(UrlSigner.KeyLength), BaseUrl, clock ?? Clock);

    private FileObjectStore NewStore(TimeProvider? clock = null, UrlSigner? signer = null) =>
        new(_directory.Combine("data"), signer ?? NewSigner(clock));

    private const string OtherEtag = "0123456789abcdef0123456789abcdef";

    private static string Md5(byte[] data) => Convert.ToHexStringLower(MD5.HashData(data));

    private static string SidecarPath(FileObjectStore store, string key)
    {
        var path = store.PathOf(Bucket.Originals, key);
        return Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".meta");
    }

    private static async Task<(string Key, byte[] Data)> PutNewOriginalAsync(FileObjectStore store)
    {
        var key = ObjectKeys.Original(NewId());
        var data = RandomBytes(2_000);
        Assert.Equal(PutStatus.Created, (await store.PutOriginalAsync(key, new MemoryStream(data), data.Length, "image/jpeg", Ct)).Status);
        return (key, data);
    }

    /// <summary>Rewrites the sidecar the upload wrote, with another entity tag and length (and a fresh write time).</summary>
    private static async Task RewriteSidecarAsync(FileObjectStore store, string key, string etag, long length)
    {
        var path = SidecarPath(store, key);
        var json = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(path, Ct))!.AsObject();
        var etagName = json.Single(p => p.Value?.ToString().Length == 32).Key;
        var lengthName = json.Single(p => p.Value?.GetValueKind() == System.Text.Json.JsonValueKind.Number).Key;
        json[etagName] = etag;
        json[lengthName] = length;
        await File.WriteAllTextAsync(path, json.ToJsonString(), Ct);
    }

    private void AssertNoTempFiles()
    {
        var data = _directory.Combine("data");
        Assert.Empty(Directory.EnumerateFiles(data, "*.tmp", SearchOption.AllDirectories));
    }

    /// <summary>A body that never ends, counting what was read from it.</summary>
    private sealed class EndlessStream : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            buffer.AsSpan(offset, count).Fill(0xAB);
            BytesRead += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
