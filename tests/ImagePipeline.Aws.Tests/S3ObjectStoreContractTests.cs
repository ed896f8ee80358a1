using System.Net;
using System.Net.Http.Headers;
using ImagePipeline.Contract.Tests.Contracts;
using ImagePipeline.Core.Storage;
using ImagePipeline.Emulators;

namespace ImagePipeline.Aws.Tests;

/// <summary>
/// The object store contract on S3 (s3rver behind the fixture's front, or LocalStack). Originals are written the way a
/// client does it: an HTTP PUT to the presigned URL with exactly the returned headers; objects are read back through
/// presigned GET URLs. This proves the URLs' shape, headers and conditions against an S3 API, but not their signatures:
/// s3rver runs with allowMismatchedSignatures. The SigV4 signatures are recomputed independently in
/// <see cref="S3PresignSignatureTests"/>.
/// </summary>
[Collection(EmulatorCollection.Name)]
[Trait("Category", "Integration")]
public sealed class S3ObjectStoreContractTests(AwsEmulators emulators) : ObjectStoreContract
{
    internal static readonly HttpClient Http = new(new SocketsHttpHandler { AllowAutoRedirect = false });

    protected override async Task<IObjectStore> CreateStoreAsync(TimeProvider clock) => await emulators.CreateObjectStoreAsync(clock, Ct);

    protected override async Task<string> PutOriginalAsync(IObjectStore store, string key, byte[] content, string contentType)
    {
        using var response = await UploadAsync(store.PresignUpload(key, contentType, content.Length, Lifetime), content);
        Assert.True(response.IsSuccessStatusCode, $"PUT {key}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
        return response.Headers.ETag!.Tag.Trim('"');
    }

    protected override async Task<byte[]?> ReadAsync(IObjectStore store, Bucket bucket, string key)
    {
        using var response = await Http.GetAsync(store.PresignDownload(bucket, key, Lifetime), Ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsByteArrayAsync(Ct);
    }

    [Fact]
    public async Task PresignUpload_SecondPutOfTheKey_IsRefusedAndTheFirstKept()
    {
        var store = await CreateStoreAsync(Clock);
        var key = ObjectKeys.Original(NewId());
        var first = RandomBytes(2_000);
        var etag = await PutOriginalAsync(store, key, first, "image/jpeg");

        using var second = await UploadAsync(store.PresignUpload(key, "image/jpeg", 2_000, Lifetime), RandomBytes(2_000));

        Assert.Equal(HttpStatusCode.PreconditionFailed, second.StatusCode);
        Assert.Equal(first, (await store.GetOriginalAsync(key, etag, Ct)).Data.ToArray());
    }

    [Fact]
    public async Task PresignDownload_WithFileName_ServesRfc6266ContentDisposition()
    {
        var store = await CreateStoreAsync(Clock);
        var key = ObjectKeys.Original(NewId());
        await PutOriginalAsync(store, key, RandomBytes(100), "image/jpeg");

        using var response = await Http.GetAsync(store.PresignDownload(Bucket.Originals, key, Lifetime, "Été à Paris.jpg"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            "attachment; filename=\"_t_ _ Paris.jpg\"; filename*=UTF-8''%C3%89t%C3%A9%20%C3%A0%20Paris.jpg",
            string.Join(", ", response.Content.Headers.GetValues("Content-Disposition")));
    }

    [Fact]
    public async Task PutDerivedAsync_StoredObject_KeepsItsContentType()
    {
        var store = await CreateStoreAsync(Clock);
        var key = ObjectKeys.Thumbnail(NewId(), 1, 256);

        await store.PutDerivedAsync(key, RandomBytes(300), "image/webp", Ct);

        using var response = await Http.GetAsync(store.PresignDownload(Bucket.Derived, key, Lifetime), Ct);
        Assert.Equal("image/webp", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(300, response.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task DeletePrefixAsync_MoreThanOneListingPage_RemovesEverything()
    {
        var store = (S3ObjectStore)await CreateStoreAsync(Clock);
        store.ListPageSize = 10; // 25 keys: three listing pages, so the continuation loop must run
        var id = NewId();
        var keys = Enumerable.Range(0, 25).Select(i => ObjectKeys.Rendition(id, 1, "w" + i)).ToArray();
        await Task.WhenAll(keys.Select(k => store.PutDerivedAsync(k, RandomBytes(5), "image/webp", Ct)));

        await store.DeletePrefixAsync(Bucket.Derived, ObjectKeys.DerivedPrefixes(id)[0], Ct);

        foreach (var key in keys)
        {
            Assert.Null(await ReadAsync(store, Bucket.Derived, key));
        }
    }

    internal static async Task<HttpResponseMessage> UploadAsync(PresignedRequest upload, byte[] content)
    {
        using var request = new HttpRequestMessage(new HttpMethod(upload.Method), upload.Url) { Content = new ByteArrayContent(content) };
        foreach (var (name, value) in upload.Headers)
        {
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(value);
            }
            else if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                request.Content.Headers.ContentLength = long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return await Http.SendAsync(request, TestContext.Current.CancellationToken);
    }
}
