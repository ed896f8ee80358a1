using System.Collections.Concurrent;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Testing;

/// <summary>
/// An in-memory <see cref="IObjectStore"/> whose presigned URLs look like S3's: absolute, expiring, and carrying a
/// percent-escaped signature (so tests can prove escapes survive into JSON and Location headers).
/// </summary>
public sealed class InMemoryObjectStore(TimeProvider clock) : IObjectStore
{
    public const string Signature = "sig%2Fab%2Bc%3D";

    public ConcurrentDictionary<(Bucket, string), byte[]> Objects { get; } = new();

    public ConcurrentQueue<string> DeletedPrefixes { get; } = new();

    /// <summary>When set, reads of originals throw it (a transient fault to retry).</summary>
    public Exception? FailReadsWith { get; set; }

    /// <summary>When set, deletes throw it (S3 throttling, say).</summary>
    public Exception? FailDeletesWith { get; set; }

    /// <summary>Stores an original as an upload would; returns its entity tag (hex MD5, as S3's single-part).</summary>
    public string PutOriginal(string key, byte[] data)
    {
        Objects[(Bucket.Originals, key)] = data;
        return ETagOf(data);
    }

    public static string ETagOf(byte[] data) => Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(data));

    public Task<StoredObject> GetOriginalAsync(string key, string ifMatchEtag, CancellationToken cancellationToken)
    {
        if (FailReadsWith is { } failure)
        {
            throw failure;
        }

        if (!Objects.TryGetValue((Bucket.Originals, key), out var data))
        {
            throw new ObjectNotFoundException(key);
        }

        return ETagOf(data) == ifMatchEtag ? Task.FromResult(new StoredObject(data, ifMatchEtag)) : throw new ObjectChangedException(key);
    }

    public Task PutDerivedAsync(string key, ReadOnlyMemory<byte> data, string contentType, CancellationToken cancellationToken)
    {
        Objects[(Bucket.Derived, key)] = data.ToArray();
        return Task.CompletedTask;
    }

    public Task DeleteAsync(Bucket bucket, IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        if (FailDeletesWith is { } failure)
        {
            throw failure;
        }

        foreach (var key in keys)
        {
            Objects.TryRemove((bucket, key), out _);
        }

        return Task.CompletedTask;
    }

    public Task DeletePrefixAsync(Bucket bucket, string prefix, CancellationToken cancellationToken)
    {
        DeletedPrefixes.Enqueue(prefix);
        foreach (var key in Objects.Keys.Where(k => k.Item1 == bucket && k.Item2.StartsWith(prefix, StringComparison.Ordinal)))
        {
            Objects.TryRemove(key, out _);
        }

        return Task.CompletedTask;
    }

    public PresignedRequest PresignUpload(string key, string contentType, long contentLength, TimeSpan expiresIn)
    {
        var expiresAt = clock.GetUtcNow() + expiresIn;
        var headers = new Dictionary<string, string>
        {
            ["Content-Type"] = contentType,
            ["Content-Length"] = contentLength.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["If-None-Match"] = "*",
        };
        return new PresignedRequest(Url("originals", key, expiresAt, null), "PUT", headers, expiresAt);
    }

    public Uri PresignDownload(Bucket bucket, string key, TimeSpan expiresIn, string? downloadFileName = null) =>
        Url(bucket == Bucket.Originals ? "originals" : "derived", key, clock.GetUtcNow() + expiresIn, downloadFileName);

    private static Uri Url(string bucket, string key, DateTimeOffset expiresAt, string? fileName)
    {
        var query = $"expires={expiresAt.ToUnixTimeSeconds()}&signature={Signature}";
        if (fileName is not null)
        {
            query += "&filename=" + Uri.EscapeDataString(fileName);
        }

        return new Uri($"https://{bucket}.store.test/{key}?{query}");
    }
}
