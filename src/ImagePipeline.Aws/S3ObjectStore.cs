using System.Net;
using System.Runtime.InteropServices;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Amazon.S3;
using Amazon.S3.Model;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Aws;

/// <summary>The two buckets of a deployment.</summary>
public sealed record S3StoreOptions
{
    /// <summary>Uploads land here (<c>originals/{imageId}</c>); writes trigger processing.</summary>
    public required string OriginalsBucket { get; init; }

    /// <summary>Renditions and thumbnails.</summary>
    public required string DerivedBucket { get; init; }

    /// <summary>Throws naming the missing setting, so a misconfigured function fails at start-up.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(OriginalsBucket))
        {
            throw new InvalidOperationException($"{nameof(OriginalsBucket)} is not set: the S3 object store needs the originals bucket name.");
        }

        if (string.IsNullOrWhiteSpace(DerivedBucket))
        {
            throw new InvalidOperationException($"{nameof(DerivedBucket)} is not set: the S3 object store needs the derived bucket name.");
        }

        if (string.Equals(OriginalsBucket, DerivedBucket, StringComparison.Ordinal))
        {
            // One bucket would make every derived write a new trigger: the recursive loop the design rules out.
            throw new InvalidOperationException($"{nameof(OriginalsBucket)} and {nameof(DerivedBucket)} must be different buckets.");
        }
    }
}

/// <summary>
/// <see cref="IObjectStore"/> on S3: originals in one bucket, derived objects in another; presigned PUT (write-once,
/// type and length signed) for uploads, presigned GET for results, and a presigned POST for browser forms.
/// </summary>
public sealed class S3ObjectStore : IObjectStore
{
    /// <summary>DeleteObjects accepts at most this many keys per call.</summary>
    public const int DeleteBatchSize = 1000;

    /// <summary>Keys per ListObjectsV2 page in <see cref="DeletePrefixAsync"/> (S3's maximum); tests lower it to page.</summary>
    internal int ListPageSize { get; set; } = DeleteBatchSize;

    private readonly IAmazonS3 _s3;
    private readonly S3StoreOptions _options;
    private readonly TimeProvider _clock;
    private readonly AWSCredentials? _credentials;

    /// <summary>A store signing POST policies with the default credential chain (what the client itself uses).</summary>
    public S3ObjectStore(IAmazonS3 s3, S3StoreOptions options, TimeProvider clock)
        : this(s3, options, clock, credentials: null)
    {
    }

    /// <summary>
    /// A store signing POST policies with <paramref name="credentials"/>: give the same credentials the client was
    /// built with when they are explicit (the SDK does not expose a client's credentials).
    /// </summary>
    public S3ObjectStore(IAmazonS3 s3, S3StoreOptions options, TimeProvider clock, AWSCredentials? credentials)
    {
        ArgumentNullException.ThrowIfNull(s3);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        options.Validate();
        AwsClients.InitializeSdk();
        _s3 = s3;
        _options = options;
        _clock = clock;
        _credentials = credentials;
    }

    /// <inheritdoc />
    public async Task<StoredObject> GetOriginalAsync(string key, string ifMatchEtag, CancellationToken cancellationToken)
    {
        RequireOriginalKey(key);
        ArgumentException.ThrowIfNullOrEmpty(ifMatchEtag);
        try
        {
            using var response = await _s3.GetObjectAsync(
                new GetObjectRequest { BucketName = _options.OriginalsBucket, Key = key, EtagToMatch = Quoted(ifMatchEtag) },
                cancellationToken).ConfigureAwait(false);
            var data = await ReadAllAsync(response.ResponseStream, response.ContentLength, cancellationToken).ConfigureAwait(false);
            return new StoredObject(data, Unquoted(response.ETag));
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.PreconditionFailed || e.ErrorCode == "PreconditionFailed")
        {
            throw new ObjectChangedException(key);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound || e.ErrorCode is "NoSuchKey" or "NotFound")
        {
            throw new ObjectNotFoundException(key);
        }
        catch (Exception e) when (AwsErrors.IsTransient(e, cancellationToken))
        {
            throw new TransientStorageException($"Reading '{key}' from S3 failed and may succeed on retry: {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public async Task PutDerivedAsync(string key, ReadOnlyMemory<byte> data, string contentType, CancellationToken cancellationToken)
    {
        RequireDerivedKey(key);
        ArgumentException.ThrowIfNullOrEmpty(contentType);
        var body = MemoryMarshal.TryGetArray(data, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);
        await using (body.ConfigureAwait(false))
        {
            try
            {
                await _s3.PutObjectAsync(
                    new PutObjectRequest { BucketName = _options.DerivedBucket, Key = key, ContentType = contentType, InputStream = body, AutoCloseStream = false },
                    cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (AwsErrors.IsTransient(e, cancellationToken))
            {
                throw new TransientStorageException($"Writing '{key}' to S3 failed and may succeed on retry: {e.Message}", e);
            }
        }
    }

    /// <inheritdoc />
    public async Task DeleteAsync(Bucket bucket, IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var key in keys)
        {
            RequireKey(key);
        }

        foreach (var batch in keys.Chunk(DeleteBatchSize))
        {
            await DeleteBatchAsync(BucketName(bucket), batch, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task DeletePrefixAsync(Bucket bucket, string prefix, CancellationToken cancellationToken)
    {
        RequirePrefix(prefix);
        var bucketName = BucketName(bucket);
        var request = new ListObjectsV2Request { BucketName = bucketName, Prefix = prefix, MaxKeys = ListPageSize };
        try
        {
            // Deleting while listing is safe: each page's continuation token is a position after the keys just read.
            ListObjectsV2Response page;
            do
            {
                page = await _s3.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
                var keys = page.S3Objects?.Select(o => o.Key).ToArray() ?? [];
                if (keys.Length > 0)
                {
                    await DeleteBatchAsync(bucketName, keys, cancellationToken).ConfigureAwait(false);
                }

                request.ContinuationToken = page.NextContinuationToken;
            }
            while (page.IsTruncated == true && !string.IsNullOrEmpty(page.NextContinuationToken));
        }
        catch (Exception e) when (e is not TransientStorageException && AwsErrors.IsTransient(e, cancellationToken))
        {
            throw new TransientStorageException($"Listing '{prefix}' in S3 failed and may succeed on retry: {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public PresignedRequest PresignUpload(string key, string contentType, long contentLength, TimeSpan expiresIn)
    {
        RequireOriginalKey(key);
        ArgumentException.ThrowIfNullOrEmpty(contentType);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(contentLength);
        var request = PresignRequest(_options.OriginalsBucket, key, HttpVerb.PUT, expiresIn);
        request.ContentType = contentType;
        request.Headers.ContentLength = contentLength;
        // Write-once: S3 answers 412 to a PUT with If-None-Match: * when the key exists. Signed, so it cannot be dropped.
        request.Headers["If-None-Match"] = "*";
        var url = new Uri(_s3.GetPreSignedURL(request));
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Content-Type"] = contentType,
            ["Content-Length"] = contentLength.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["If-None-Match"] = "*",
        };
        return new PresignedRequest(url, "PUT", headers, _clock.GetUtcNow() + expiresIn);
    }

    /// <inheritdoc />
    public Uri PresignDownload(Bucket bucket, string key, TimeSpan expiresIn, string? downloadFileName = null)
    {
        RequireKey(key);
        var request = PresignRequest(BucketName(bucket), key, HttpVerb.GET, expiresIn);
        if (downloadFileName is not null)
        {
            request.ResponseHeaderOverrides.ContentDisposition = ContentDisposition.For(downloadFileName);
        }

        return new Uri(_s3.GetPreSignedURL(request));
    }

    /// <summary>
    /// A browser form upload of an original: the policy binds the bucket, the key, the Content-Type and the size
    /// (<c>content-length-range</c> 1..<paramref name="maxBytes"/>), and expires with the injected clock. S3's POST
    /// Object has no conditional write, so unlike <see cref="PresignUpload"/> it cannot refuse a second write of the key;
    /// keys are fresh UUIDv7s, and the PUT remains the API's upload method. The CDK stack's bucket policy denies writes
    /// to <c>originals/</c> without <c>If-None-Match</c>, which a form POST cannot send: use this against a bucket
    /// without that write-once rule.
    /// </summary>
    public PresignedPost PresignUploadPost(string key, string contentType, long maxBytes, TimeSpan expiresIn)
    {
        RequireOriginalKey(key);
        ArgumentException.ThrowIfNullOrEmpty(contentType);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(expiresIn, TimeSpan.Zero);

        var immutable = (_credentials ?? _s3.Config.DefaultAWSCredentials ?? DefaultAWSCredentialsIdentityResolver.GetCredentials(_s3.Config))
            .GetCredentials();
        var credentials = new SigningCredentials(
            immutable.AccessKey, immutable.SecretKey, string.IsNullOrEmpty(immutable.Token) ? null : immutable.Token);
        return S3PostPolicy.Create(
            BucketUrl(_options.OriginalsBucket, key), _options.OriginalsBucket, key, contentType, maxBytes, _clock.GetUtcNow(), expiresIn,
            SigningRegion(), credentials);
    }

    /// <summary>
    /// The region requests are signed for: the explicit signing region of an endpoint override, else the client's region.
    /// </summary>
    internal string SigningRegion() =>
        !string.IsNullOrEmpty(_s3.Config.AuthenticationRegion) ? _s3.Config.AuthenticationRegion
        : _s3.Config.RegionEndpoint?.SystemName ?? throw new InvalidOperationException("The S3 client has no region: set AWS_REGION.");

    // The bucket's URL as the SDK addresses it (virtual-hosted or path style, custom endpoint or not): a presigned URL
    // of the key, cut before the key.
    private Uri BucketUrl(string bucket, string key)
    {
        var url = new Uri(_s3.GetPreSignedURL(PresignRequest(bucket, key, HttpVerb.GET, TimeSpan.FromMinutes(1))));
        var path = url.AbsolutePath;
        var bucketPath = path.EndsWith("/" + key, StringComparison.Ordinal) ? path[..(path.Length - key.Length)] : "/";
        return new UriBuilder(url) { Path = bucketPath, Query = string.Empty }.Uri;
    }

    private GetPreSignedUrlRequest PresignRequest(string bucket, string key, HttpVerb verb, TimeSpan expiresIn)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(expiresIn, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(expiresIn, TimeSpan.FromDays(7));
        return new GetPreSignedUrlRequest
        {
            BucketName = bucket,
            Key = key,
            Verb = verb,
            // The SDK signs with its own (skew-corrected) clock and turns Expires into X-Amz-Expires relative to it, so
            // the lifetime is given against that clock; the injected clock only dates what we report (ExpiresAt).
            Expires = DateTime.UtcNow + expiresIn,
            // Without this the SDK writes https:// even for an http endpoint (emulators, LocalStack).
            Protocol = IsHttpEndpoint ? Protocol.HTTP : Protocol.HTTPS,
        };
    }

    private bool IsHttpEndpoint =>
        _s3.Config.ServiceURL is { } url && url.StartsWith("http://", StringComparison.OrdinalIgnoreCase);

    private async Task DeleteBatchAsync(string bucket, IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        DeleteObjectsResponse response;
        try
        {
            response = await _s3.DeleteObjectsAsync(
                new DeleteObjectsRequest { BucketName = bucket, Objects = keys.Select(k => new KeyVersion { Key = k }).ToList(), Quiet = true },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (AwsErrors.IsTransient(e, cancellationToken))
        {
            throw new TransientStorageException($"Deleting {keys.Count} objects from S3 failed and may succeed on retry: {e.Message}", e);
        }

        // DeleteObjects answers 200 even when some keys failed; each failure is listed with its own code.
        if (response.DeleteErrors is { Count: > 0 } errors)
        {
            var summary = string.Join(", ", errors.Take(5).Select(e => $"{e.Key}: {e.Code}"));
            var transient = errors.Any(e => e.Code is "InternalError" or "SlowDown" or "ServiceUnavailable");
            var message = $"S3 did not delete {errors.Count} of {keys.Count} objects ({summary}).";
            throw transient ? new TransientStorageException(message) : new InvalidOperationException(message);
        }
    }

    private string BucketName(Bucket bucket) => bucket switch
    {
        Bucket.Originals => _options.OriginalsBucket,
        Bucket.Derived => _options.DerivedBucket,
        _ => throw new ArgumentOutOfRangeException(nameof(bucket), bucket, "Unknown bucket."),
    };

    private static async Task<byte[]> ReadAllAsync(Stream stream, long contentLength, CancellationToken cancellationToken)
    {
        if (contentLength >= 0 && contentLength <= Array.MaxLength)
        {
            var data = new byte[contentLength];
            await stream.ReadExactlyAsync(data, cancellationToken).ConfigureAwait(false);
            return data;
        }

        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
        return copy.ToArray();
    }

    internal static string Quoted(string etag) => etag.StartsWith('"') ? etag : $"\"{etag}\"";

    internal static string Unquoted(string? etag) => (etag ?? string.Empty).Trim('"');

    private static void RequireOriginalKey(string key)
    {
        if (!ObjectKeys.TryParseOriginal(key, out _))
        {
            throw new ArgumentException($"'{key}' is not an originals key (originals/{{imageId}}).", nameof(key));
        }
    }

    private static void RequireDerivedKey(string key)
    {
        RequireKey(key);
        if (key.StartsWith(ObjectKeys.OriginalsPrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{key}' is an originals key; derived objects never go there.", nameof(key));
        }
    }

    // Keys we build are plain relative paths; anything else is a bug upstream, refused before it reaches S3.
    private static void RequireKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (key.StartsWith('/') || key.EndsWith('/') || key.Split('/').Any(s => s is "" or "." or "..") || key.Any(char.IsControl))
        {
            throw new ArgumentException($"'{key}' is not a valid object key.", nameof(key));
        }
    }

    private static void RequirePrefix(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        // An empty or root prefix would delete the whole bucket.
        if (prefix.StartsWith('/') || prefix.Split('/').Any(s => s is "." or "..") || prefix.Contains("//", StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{prefix}' is not a valid prefix.", nameof(prefix));
        }
    }
}
