using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Web;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using ImagePipeline.Contract.Tests.Support;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Aws.Tests;

/// <summary>The S3 store without a network: presigned URL shape, error classification, delete batching.</summary>
public sealed class S3ObjectStoreTests
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly S3StoreOptions Buckets = new() { OriginalsBucket = "originals-b", DerivedBucket = "derived-b" };
    private static readonly string Original = ObjectKeys.Original(Guid.CreateVersion7(T0));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void PresignUpload_HttpEndpoint_PathStyleHttpUrlSigningTypeLengthAndIfNoneMatch()
    {
        using var s3 = new FakeS3Client();
        var store = new S3ObjectStore(s3, Buckets, new FakeTimeProvider(T0));
        var started = Stopwatch.StartNew();
        var upload = store.PresignUpload(Original, "image/jpeg", 2_345_678, TimeSpan.FromMinutes(15));
        var took = started.Elapsed;

        Assert.Equal("http", upload.Url.Scheme);
        Assert.Equal($"/originals-b/{Original}", upload.Url.AbsolutePath);
        var query = HttpUtility.ParseQueryString(upload.Url.Query);
        Assert.Equal("content-length;content-type;host;if-none-match", query["X-Amz-SignedHeaders"]);
        // The SDK counts X-Amz-Expires (rounded to seconds) from its own reading of the wall clock, taken during the call,
        // a moment after the store's: on a loaded machine that moment may cost the URL a second, never more than the call took.
        var expires = int.Parse(query["X-Amz-Expires"]!, CultureInfo.InvariantCulture);
        Assert.InRange(expires, 900 - (int)Math.Ceiling(took.TotalSeconds), 900);
        Assert.StartsWith("AKID/", query["X-Amz-Credential"], StringComparison.Ordinal);
        Assert.Equal(
            new Dictionary<string, string> { ["Content-Type"] = "image/jpeg", ["Content-Length"] = "2345678", ["If-None-Match"] = "*" },
            upload.Headers.OrderBy(h => h.Key).ToDictionary());
        Assert.Equal(T0.AddMinutes(15), upload.ExpiresAt);
    }

    [Fact]
    public void PresignDownload_WithFileName_SignsResponseContentDisposition()
    {
        using var s3 = new FakeS3Client();
        var url = new S3ObjectStore(s3, Buckets, TimeProvider.System).PresignDownload(Bucket.Originals, Original, TimeSpan.FromMinutes(15), "Été.jpg");

        var query = HttpUtility.ParseQueryString(url.Query);
        Assert.Equal("attachment; filename=\"_t_.jpg\"; filename*=UTF-8''%C3%89t%C3%A9.jpg", query["response-content-disposition"]);
        Assert.Equal("host", query["X-Amz-SignedHeaders"]);
    }

    [Theory]
    [InlineData(HttpStatusCode.PreconditionFailed, "PreconditionFailed", typeof(ObjectChangedException))]
    [InlineData(HttpStatusCode.NotFound, "NoSuchKey", typeof(ObjectNotFoundException))]
    [InlineData(HttpStatusCode.ServiceUnavailable, "SlowDown", typeof(TransientStorageException))]
    [InlineData(HttpStatusCode.InternalServerError, "InternalError", typeof(TransientStorageException))]
    [InlineData(HttpStatusCode.BadRequest, "RequestTimeout", typeof(TransientStorageException))]
    [InlineData(HttpStatusCode.Forbidden, "AccessDenied", typeof(AmazonS3Exception))]
    public async Task GetOriginalAsync_ServiceError_IsClassified(HttpStatusCode status, string code, Type expected)
    {
        using var s3 = new FakeS3Client
        {
            OnGet = _ => throw new AmazonS3Exception("refused", ErrorType.Sender, code, "req", status),
        };
        var store = new S3ObjectStore(s3, Buckets, TimeProvider.System);

        var thrown = await Assert.ThrowsAnyAsync<Exception>(() => store.GetOriginalAsync(Original, "abc", Ct));

        Assert.IsType(expected, thrown);
    }

    [Fact]
    public async Task GetOriginalAsync_ConnectionFailure_IsTransient()
    {
        using var s3 = new FakeS3Client { OnGet = _ => throw new HttpRequestException("connection reset") };

        await Assert.ThrowsAsync<TransientStorageException>(() => new S3ObjectStore(s3, Buckets, TimeProvider.System).GetOriginalAsync(Original, "abc", Ct));
    }

    [Fact]
    public async Task GetOriginalAsync_CallerCancelled_StaysACancellation()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        using var s3 = new FakeS3Client { OnGet = _ => throw new OperationCanceledException(cancelled.Token) };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => new S3ObjectStore(s3, Buckets, TimeProvider.System).GetOriginalAsync(Original, "abc", cancelled.Token));
    }

    [Fact]
    public async Task GetOriginalAsync_Found_SendsQuotedIfMatchAndReturnsTheUnquotedEtag()
    {
        GetObjectRequest? sent = null;
        using var s3 = new FakeS3Client
        {
            OnGet = request =>
            {
                sent = request;
                return new GetObjectResponse { ResponseStream = new MemoryStream([1, 2, 3]), ContentLength = 3, ETag = "\"abc\"" };
            },
        };

        var stored = await new S3ObjectStore(s3, Buckets, TimeProvider.System).GetOriginalAsync(Original, "abc", Ct);

        Assert.Equal("\"abc\"", sent!.EtagToMatch);
        Assert.Equal(("originals-b", Original), (sent.BucketName, sent.Key));
        Assert.Equal([1, 2, 3], stored.Data.ToArray());
        Assert.Equal("abc", stored.ETag);
    }

    [Fact]
    public async Task DeleteAsync_2500Keys_ThreeBatchesOfAtMost1000()
    {
        using var s3 = new FakeS3Client();
        var keys = Enumerable.Range(0, 2500).Select(i => $"renditions/x/r1/w{i}.webp").ToArray();

        await new S3ObjectStore(s3, Buckets, TimeProvider.System).DeleteAsync(Bucket.Derived, keys, Ct);

        Assert.Equal([1000, 1000, 500], s3.Deletes.Select(d => d.Objects.Count));
        Assert.All(s3.Deletes, d => Assert.Equal("derived-b", d.BucketName));
        Assert.Equal(keys, s3.Deletes.SelectMany(d => d.Objects.Select(o => o.Key)));
    }

    [Fact]
    public async Task DeleteAsync_NoKeys_NoCall()
    {
        using var s3 = new FakeS3Client();

        await new S3ObjectStore(s3, Buckets, TimeProvider.System).DeleteAsync(Bucket.Derived, [], Ct);

        Assert.Empty(s3.Deletes);
    }

    [Theory]
    [InlineData("SlowDown", typeof(TransientStorageException))]
    [InlineData("AccessDenied", typeof(InvalidOperationException))]
    public async Task DeleteAsync_PerKeyErrors_AreReported(string code, Type expected)
    {
        using var s3 = new FakeS3Client
        {
            OnDelete = _ => new DeleteObjectsResponse { DeleteErrors = [new DeleteError { Key = "renditions/x/r1/w1.webp", Code = code }] },
        };

        var thrown = await Assert.ThrowsAnyAsync<Exception>(
            () => new S3ObjectStore(s3, Buckets, TimeProvider.System).DeleteAsync(Bucket.Derived, ["renditions/x/r1/w1.webp"], Ct));

        Assert.IsType(expected, thrown);
        Assert.Contains(code, thrown.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("../")]
    [InlineData("renditions/../")]
    public async Task DeletePrefixAsync_UnsafePrefix_ThrowsArgumentException(string prefix)
    {
        using var s3 = new FakeS3Client();

        await Assert.ThrowsAnyAsync<ArgumentException>(() => new S3ObjectStore(s3, Buckets, TimeProvider.System).DeletePrefixAsync(Bucket.Derived, prefix, Ct));
    }

    [Theory]
    [InlineData("renditions/x/r1/w320.webp")]
    [InlineData("originals/not-a-uuid")]
    [InlineData("originals/../x")]
    public void PresignUpload_NotAnOriginalKey_ThrowsArgumentException(string key)
    {
        using var s3 = new FakeS3Client();

        Assert.ThrowsAny<ArgumentException>(() => new S3ObjectStore(s3, Buckets, TimeProvider.System).PresignUpload(key, "image/jpeg", 1, TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task PutDerivedAsync_OriginalsKey_ThrowsArgumentException()
    {
        using var s3 = new FakeS3Client();

        await Assert.ThrowsAnyAsync<ArgumentException>(
            () => new S3ObjectStore(s3, Buckets, TimeProvider.System).PutDerivedAsync(Original, new byte[1], "image/webp", Ct));
    }

    [Theory]
    [InlineData("", "d", "OriginalsBucket")]
    [InlineData("o", " ", "DerivedBucket")]
    [InlineData("same", "same", "different")]
    public void Constructor_BadBuckets_NamesTheSetting(string originals, string derived, string named)
    {
        using var s3 = new FakeS3Client();

        var thrown = Assert.Throws<InvalidOperationException>(
            () => new S3ObjectStore(s3, new S3StoreOptions { OriginalsBucket = originals, DerivedBucket = derived }, TimeProvider.System));

        Assert.Contains(named, thrown.Message, StringComparison.Ordinal);
    }
}
