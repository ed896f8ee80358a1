using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Local.Storage;

/// <summary>
/// Objects as files under <c>{dataDir}/objects</c> (see <see cref="ObjectPaths"/>). Every write goes to a temp file in
/// the target folder, is flushed to disk and renamed into place, so a reader sees a whole object or none. Each object
/// has a sidecar <c>.{name}.meta</c> (entity tag, content type, length); the entity tag is the lower-case hex MD5 of the
/// content, as S3 gives for a single-part upload. An object's bytes are hashed once, when they are written; readers
/// take the tag from the sidecar and hash only when it is missing, torn or not the object's.
/// </summary>
public sealed class FileObjectStore : IObjectStore
{
    private const int BufferSize = 81920;
    private const string SidecarSuffix = ".meta";
    private const string DefaultContentType = "application/octet-stream";

    private readonly UrlSigner _signer;

    /// <summary>A store over <paramref name="dataDirectory"/> whose presigned URLs <paramref name="signer"/> signs.</summary>
    public FileObjectStore(string dataDirectory, UrlSigner signer)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        ArgumentNullException.ThrowIfNull(signer);
        DataDirectory = Path.GetFullPath(dataDirectory);
        _signer = signer;
        Directory.CreateDirectory(Path.Combine(DataDirectory, ObjectPaths.ObjectsFolder));
    }

    /// <summary>The data directory (absolute).</summary>
    public string DataDirectory { get; }

    /// <summary>The file that holds an object (whether or not it exists). Throws <see cref="ArgumentException"/> for an invalid key.</summary>
    public string PathOf(Bucket bucket, string key)
    {
        ObjectPaths.ValidateKey(bucket, key);
        return Path.Combine(DataDirectory, ObjectPaths.RelativePath(bucket, key));
    }

    /// <inheritdoc />
    /// <remarks>
    /// The entity tag is the one the upload computed from the bytes as they arrived and wrote to the sidecar: an
    /// original is written once, whole, and renamed into place, so the bytes read are the bytes that were hashed. The
    /// sidecar is trusted only when it is the object's own — its length is the length read and it was written after
    /// the object (it is written right after the rename; a sidecar older than the object belonged to an earlier object
    /// under the key) — and the bytes are hashed otherwise (a crash between the rename and the sidecar, a torn sidecar).
    /// </remarks>
    public async Task<StoredObject> GetOriginalAsync(string key, string ifMatchEtag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ifMatchEtag);
        var path = PathOf(Bucket.Originals, key);
        byte[] data;
        DateTime written;
        try
        {
            var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.Read | FileShare.Delete,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
                BufferSize = 0,
            });
            await using (stream.ConfigureAwait(false))
            {
                // The time and the bytes of the same file, whatever happens to the name meanwhile.
                written = File.GetLastWriteTimeUtc(stream.SafeFileHandle);
                data = GC.AllocateUninitializedArray<byte>(checked((int)stream.Length));
                await stream.ReadExactlyAsync(data, cancellationToken).ConfigureAwait(false);
                if (stream.Length != data.Length)
                {
                    // Originals are never appended to; a length that moved means this is not one whole object.
                    throw new IOException("The file changed size while it was read.");
                }
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ObjectNotFoundException(key);
        }
        catch (Exception e) when (e is IOException or OverflowException)
        {
            throw new TransientStorageException($"Could not read '{key}': {e.Message}", e);
        }

        var sidecar = await ReadSidecarAsync(path, cancellationToken, notOlderThan: written).ConfigureAwait(false);
        var etag = sidecar is not null && sidecar.Length == data.Length && IsEtag(sidecar.ETag) ? sidecar.ETag : ETagOf(data);
        return string.Equals(etag, ifMatchEtag.Trim('"'), StringComparison.OrdinalIgnoreCase)
            ? new StoredObject(data, etag)
            : throw new ObjectChangedException(key);
    }

    /// <inheritdoc />
    public async Task PutDerivedAsync(string key, ReadOnlyMemory<byte> data, string contentType, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(contentType);
        var path = PathOf(Bucket.Derived, key);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var meta = JsonSerializer.SerializeToUtf8Bytes(new ObjectMeta(ETagOf(data.Span), contentType, data.Length), ObjectMetaJsonContext.Default.ObjectMeta);
            var sidecarPath = SidecarPathFor(path);
            var sidecarTemp = TempPathFor(sidecarPath);
            var temp = TempPathFor(path);
            try
            {
                // Both temp files are written and flushed to disk side by side (one disk flush's wait instead of two in
                // a row), then the sidecar is renamed into place first: the object appears (atomically) only once its
                // sidecar is in place.
                var sidecarWritten = Task.Run(() => WriteDurably(sidecarTemp, meta, cancellationToken), cancellationToken);
                try
                {
                    WriteDurably(temp, data.Span, cancellationToken);
                }
                finally
                {
                    await sidecarWritten.ConfigureAwait(false);
                }

                File.Move(sidecarTemp, sidecarPath, overwrite: true);
                File.Move(temp, path, overwrite: true);
            }
            finally
            {
                DeleteQuietly(sidecarTemp);
                DeleteQuietly(temp);
            }
        }
        catch (IOException e)
        {
            throw new TransientStorageException($"Could not write '{key}': {e.Message}", e);
        }
    }

    /// <summary>
    /// Stores an uploaded original, once: <see cref="PutStatus.AlreadyExists"/> if the key is taken (the host answers
    /// 412, as S3 does for <c>If-None-Match: *</c>); <see cref="PutStatus.TooLong"/> as soon as more than
    /// <paramref name="expectedLength"/> bytes arrive and <see cref="PutStatus.TooShort"/> when fewer do (nothing is
    /// kept in either case). The content is streamed to a temp file, never buffered whole. <paramref name="beforeVisible"/>
    /// runs with the entity tag once the bytes are durable and before the object becomes visible: if it throws, nothing
    /// is stored and the exception propagates.
    /// </summary>
    public async Task<PutResult> PutOriginalAsync(
        string key, Stream content, long expectedLength, string contentType, CancellationToken cancellationToken,
        Func<string, CancellationToken, Task>? beforeVisible = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedLength);
        ArgumentException.ThrowIfNullOrWhiteSpace(contentType);
        var path = PathOf(Bucket.Originals, key);
        if (File.Exists(path))
        {
            return new PutResult(PutStatus.AlreadyExists, null, 0);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = TempPathFor(path);
        var sidecarPath = SidecarPathFor(path);
        var sidecarTemp = TempPathFor(sidecarPath);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            using var md5 = NewMd5();
            long received = 0;
            string etag;
            var stream = NewTempFile(temp);
            await using (stream.ConfigureAwait(false))
            {
                while (true)
                {
                    // Never ask for more than one byte past the declared length: a longer body is refused at once.
                    var want = (int)Math.Min(buffer.Length, expectedLength - received + 1);
                    var read = await content.ReadAsync(buffer.AsMemory(0, want), cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    received += read;
                    if (received > expectedLength)
                    {
                        return new PutResult(PutStatus.TooLong, null, received);
                    }

                    md5.AppendData(buffer, 0, read);
                    await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }

                if (received < expectedLength)
                {
                    return new PutResult(PutStatus.TooShort, null, received);
                }

                // The entity tag is known with the last byte: the sidecar is written and flushed to disk side by side
                // with the object's bytes, and renamed into place right after the object (never before it: the key is
                // written once, and a losing concurrent upload must not touch the winner's sidecar).
                etag = Convert.ToHexStringLower(md5.GetHashAndReset());
                var meta = JsonSerializer.SerializeToUtf8Bytes(new ObjectMeta(etag, contentType, received), ObjectMetaJsonContext.Default.ObjectMeta);
                var sidecarWritten = Task.Run(() => WriteDurably(sidecarTemp, meta, cancellationToken), cancellationToken);
                try
                {
                    stream.Flush(flushToDisk: true);
                }
                finally
                {
                    await sidecarWritten.ConfigureAwait(false);
                }
            }

            if (beforeVisible is not null)
            {
                await beforeVisible(etag, cancellationToken).ConfigureAwait(false);
            }

            try
            {
                // No-clobber rename: of two concurrent uploads exactly one wins.
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                return new PutResult(PutStatus.AlreadyExists, null, received);
            }

            try
            {
                File.Move(sidecarTemp, sidecarPath, overwrite: true);
            }
            catch (IOException)
            {
                // The object is stored: without its sidecar, readers compute the tag from the bytes.
            }

            return new PutResult(PutStatus.Created, etag, received);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            DeleteQuietly(temp);
            DeleteQuietly(sidecarTemp);
        }
    }

    /// <summary>Opens an object for serving, or null when it does not exist. The caller disposes the result.</summary>
    public async Task<LocalObject?> OpenAsync(Bucket bucket, string key, CancellationToken cancellationToken = default)
    {
        var path = PathOf(bucket, key);
        FileStream stream;
        try
        {
            stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.Read | FileShare.Delete,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
                BufferSize = 0,
            });
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        try
        {
            var meta = await ReadSidecarAsync(path, cancellationToken).ConfigureAwait(false);
            if (meta is null || meta.Length != stream.Length)
            {
                // Interrupted between the object's rename and its sidecar's: recompute the tag from the bytes.
                var etag = Convert.ToHexStringLower(await MD5Hash(stream, cancellationToken).ConfigureAwait(false));
                stream.Position = 0;
                meta = new ObjectMeta(etag, meta?.ContentType ?? DefaultContentType, stream.Length);
            }

            return new LocalObject(stream, meta.ContentType, stream.Length, meta.ETag);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public Task DeleteAsync(Bucket bucket, IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var paths = keys.Select(k => PathOf(bucket, k)).ToList();
        foreach (var path in paths)
        {
            cancellationToken.ThrowIfCancellationRequested();
            DeleteObjectFile(path);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task DeletePrefixAsync(Bucket bucket, string prefix, CancellationToken cancellationToken)
    {
        if (!ObjectPaths.IsValidKey(bucket, prefix, allowPrefix: true))
        {
            throw new ArgumentException($"'{prefix}' is not a key prefix of the {bucket} store.", nameof(prefix));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var split = prefix.LastIndexOf('/');
        var folder = Path.Combine(DataDirectory, ObjectPaths.RelativePath(bucket, prefix[..Math.Max(split, 0)])).TrimEnd('/');
        var namePrefix = prefix[(split + 1)..];
        try
        {
            if (namePrefix.Length == 0)
            {
                DeleteTree(folder);
                return Task.CompletedTask;
            }

            if (!Directory.Exists(folder))
            {
                return Task.CompletedTask;
            }

            foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos())
            {
                if (entry.Name.StartsWith('.') || !entry.Name.StartsWith(namePrefix, StringComparison.Ordinal))
                {
                    continue;
                }

                if (entry is DirectoryInfo)
                {
                    DeleteTree(entry.FullName);
                }
                else
                {
                    DeleteObjectFile(entry.FullName);
                }
            }
        }
        catch (IOException e)
        {
            throw new TransientStorageException($"Could not delete '{prefix}': {e.Message}", e);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public PresignedRequest PresignUpload(string key, string contentType, long contentLength, TimeSpan expiresIn) =>
        _signer.PresignUpload(key, contentType, contentLength, expiresIn);

    /// <inheritdoc />
    public Uri PresignDownload(Bucket bucket, string key, TimeSpan expiresIn, string? downloadFileName = null) =>
        _signer.PresignDownload(bucket, key, expiresIn, downloadFileName);

    private static void DeleteObjectFile(string path)
    {
        try
        {
            File.Delete(path);
            File.Delete(SidecarPathFor(path));
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing there: deleting a missing object is not an error.
        }
        catch (IOException e)
        {
            throw new TransientStorageException($"Could not delete '{path}': {e.Message}", e);
        }
    }

    private static void DeleteTree(string folder)
    {
        // Renamed away first, so the whole subtree disappears at once for readers; then removed at leisure.
        var trash = Path.Combine(Path.GetDirectoryName(folder)!, $".trash-{Guid.NewGuid():N}");
        try
        {
            Directory.Move(folder, trash);
        }
        catch (DirectoryNotFoundException)
        {
            return;
        }

        Directory.Delete(trash, recursive: true);
    }

    private static string TempPathFor(string path) =>
        Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");

    private static string SidecarPathFor(string path) =>
        Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}{SidecarSuffix}");

    private static FileStream NewTempFile(string path) => new(path, new FileStreamOptions
    {
        Mode = FileMode.CreateNew,
        Access = FileAccess.Write,
        Share = FileShare.None,
        Options = FileOptions.Asynchronous,
        BufferSize = 0,
    });

    /// <summary>Creates <paramref name="path"/> (which must not exist) with <paramref name="data"/>, flushed to disk.</summary>
    private static void WriteDurably(string path, ReadOnlySpan<byte> data, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        RandomAccess.Write(handle, data, 0);
        RandomAccess.FlushToDisk(handle);
    }

    /// <summary>
    /// The sidecar of <paramref name="objectPath"/>, or null when it is missing or unreadable, or (with
    /// <paramref name="notOlderThan"/>) last written before that time.
    /// </summary>
    private static async Task<ObjectMeta?> ReadSidecarAsync(string objectPath, CancellationToken cancellationToken, DateTime? notOlderThan = null)
    {
        try
        {
            var stream = File.OpenRead(SidecarPathFor(objectPath));
            await using (stream.ConfigureAwait(false))
            {
                if (notOlderThan is { } time && File.GetLastWriteTimeUtc(stream.SafeFileHandle) < time)
                {
                    return null;
                }

                return await JsonSerializer.DeserializeAsync(stream, ObjectMetaJsonContext.Default.ObjectMeta, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or JsonException)
        {
            return null;
        }
    }

    private static bool IsEtag(string? value) =>
        value is { Length: 32 } && value.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    private static void DeleteQuietly(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover dot-file is never mistaken for an object.
        }
    }

#pragma warning disable CA5351 // MD5 is the S3 single-part entity tag format here, a checksum and not a security boundary.
    private static string ETagOf(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(MD5.HashData(data));

    private static IncrementalHash NewMd5() => IncrementalHash.CreateHash(HashAlgorithmName.MD5);

    private static async Task<byte[]> MD5Hash(Stream stream, CancellationToken cancellationToken) =>
        await MD5.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
#pragma warning restore CA5351
}

/// <summary>How an original upload ended.</summary>
public enum PutStatus
{
    /// <summary>Stored; <see cref="PutResult.ETag"/> is set.</summary>
    Created,
    /// <summary>The key already holds an object: write-once refused it (412).</summary>
    AlreadyExists,
    /// <summary>The body ended before the declared length; nothing kept.</summary>
    TooShort,
    /// <summary>The body ran past the declared length; nothing kept.</summary>
    TooLong,
}

/// <summary>The outcome of <see cref="FileObjectStore.PutOriginalAsync"/>.</summary>
/// <param name="Status">How it ended.</param>
/// <param name="ETag">The stored object's entity tag (lower-case hex MD5), when created.</param>
/// <param name="BytesReceived">Bytes read from the body (for TooLong: up to one past the declared length).</param>
public sealed record PutResult(PutStatus Status, string? ETag, long BytesReceived);

/// <summary>An object opened for serving; dispose it to close the file.</summary>
/// <param name="Content">The content, positioned at its start.</param>
/// <param name="ContentType">The media type it was stored with.</param>
/// <param name="Length">Its length in bytes.</param>
/// <param name="ETag">Its entity tag (lower-case hex MD5, without quotes).</param>
public sealed record LocalObject(Stream Content, string ContentType, long Length, string ETag) : IAsyncDisposable, IDisposable
{
    /// <inheritdoc />
    public ValueTask DisposeAsync() => Content.DisposeAsync();

    /// <inheritdoc />
    public void Dispose() => Content.Dispose();
}

/// <summary>The sidecar of a stored object.</summary>
internal sealed record ObjectMeta(string ETag, string ContentType, long Length);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ObjectMeta))]
internal sealed partial class ObjectMetaJsonContext : JsonSerializerContext;
