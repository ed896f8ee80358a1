namespace ImagePipeline.Core.Storage;

/// <summary>Which store an object lives in. Two buckets, so no function ever writes where it is triggered.</summary>
public enum Bucket
{
    /// <summary>Uploaded originals (<c>originals/…</c>); writes here trigger processing.</summary>
    Originals,
    /// <summary>Renditions and thumbnails.</summary>
    Derived,
}

/// <summary>Object storage as the pipeline needs it: S3 in AWS, files locally.</summary>
public interface IObjectStore
{
    /// <summary>
    /// Reads an original, only if its entity tag still equals <paramref name="ifMatchEtag"/> (the one the event
    /// announced). Throws <see cref="ObjectNotFoundException"/>, <see cref="ObjectChangedException"/>, or
    /// <see cref="TransientStorageException"/> for failures worth retrying.
    /// </summary>
    Task<StoredObject> GetOriginalAsync(string key, string ifMatchEtag, CancellationToken cancellationToken);

    /// <summary>Writes (or overwrites, idempotently) a derived object.</summary>
    Task PutDerivedAsync(string key, ReadOnlyMemory<byte> data, string contentType, CancellationToken cancellationToken);

    /// <summary>Deletes objects; missing ones are not an error.</summary>
    Task DeleteAsync(Bucket bucket, IReadOnlyCollection<string> keys, CancellationToken cancellationToken);

    /// <summary>Deletes every object under <paramref name="prefix"/>.</summary>
    Task DeletePrefixAsync(Bucket bucket, string prefix, CancellationToken cancellationToken);

    /// <summary>
    /// A URL the client PUTs the original to. The signature binds the content type and length, and the request must
    /// carry <c>If-None-Match: *</c> so the key is written once.
    /// </summary>
    PresignedRequest PresignUpload(string key, string contentType, long contentLength, TimeSpan expiresIn);

    /// <summary>A short-lived GET URL; <paramref name="downloadFileName"/> sets Content-Disposition (RFC 6266).</summary>
    Uri PresignDownload(Bucket bucket, string key, TimeSpan expiresIn, string? downloadFileName = null);
}

/// <summary>An object read back: its bytes and entity tag (without quotes).</summary>
public sealed record StoredObject(ReadOnlyMemory<byte> Data, string ETag);

/// <summary>A request the client must send exactly as given: method, URL and headers.</summary>
public sealed record PresignedRequest(Uri Url, string Method, IReadOnlyDictionary<string, string> Headers, DateTimeOffset ExpiresAt);

/// <summary>The object does not exist (never uploaded, or deleted).</summary>
public sealed class ObjectNotFoundException(string key) : Exception($"No object at '{key}'.");

/// <summary>The object's entity tag is not the one expected: these bytes are not the ones an event announced.</summary>
public sealed class ObjectChangedException(string key) : Exception($"The object at '{key}' is not the version the event announced.");

/// <summary>A storage or catalog failure that may succeed when retried (throttling, timeouts, I/O contention).</summary>
public sealed class TransientStorageException(string message, Exception? innerException = null) : Exception(message, innerException);
