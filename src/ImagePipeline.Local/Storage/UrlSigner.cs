using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Local.Storage;

/// <summary>
/// HMAC-SHA256 signed URLs for <c>/objects/…</c>, the local stand-in for S3 presigned URLs. The signature covers the
/// method, the path, the expiry and, when present, the content type and length (uploads) or the download file name.
/// </summary>
public sealed class UrlSigner
{
    /// <summary>The key file's name in the data directory.</summary>
    public const string KeyFileName = "signing.key";

    /// <summary>Length of the signing key in bytes.</summary>
    public const int KeyLength = 32;

    /// <summary>The longest lifetime of a URL (as S3: 7 days).</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(7);

    private const string Scheme = "imagepipeline-url-v1";

    private readonly byte[] _key;
    private readonly string _baseUrl;
    private readonly TimeProvider _clock;

    /// <summary>A signer with <paramref name="key"/> (at least 32 bytes) for URLs under <paramref name="publicBaseUrl"/>.</summary>
    public UrlSigner(ReadOnlySpan<byte> key, Uri publicBaseUrl, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(publicBaseUrl);
        ArgumentNullException.ThrowIfNull(clock);
        if (key.Length < KeyLength)
        {
            throw new ArgumentException($"The signing key must hold at least {KeyLength} bytes.", nameof(key));
        }

        if (!publicBaseUrl.IsAbsoluteUri || publicBaseUrl.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(publicBaseUrl.Query))
        {
            throw new ArgumentException($"'{publicBaseUrl}' is not an absolute http(s) base URL without a query.", nameof(publicBaseUrl));
        }

        _key = key.ToArray();
        _baseUrl = publicBaseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/');
        _clock = clock;
        PublicBaseUrl = publicBaseUrl;
    }

    /// <summary>The base of every URL this signer issues (the host's public URL).</summary>
    public Uri PublicBaseUrl { get; }

    /// <summary>A signer whose key is <c>signing.key</c> in <paramref name="dataDirectory"/>, created on first use.</summary>
    public static UrlSigner Open(string dataDirectory, Uri publicBaseUrl, TimeProvider clock) =>
        new(LoadOrCreateKey(Path.Combine(dataDirectory, KeyFileName)), publicBaseUrl, clock);

    /// <summary>
    /// Reads the key at <paramref name="path"/>, or creates it: 32 random bytes, owner read/write only, written to a
    /// temp file, flushed and renamed into place without overwriting (two processes starting at once agree on one key).
    /// </summary>
    public static byte[] LoadOrCreateKey(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        path = Path.GetFullPath(path);
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temp = $"{path}.{Guid.NewGuid():N}.tmp";
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                using (var stream = new FileStream(temp, options))
                {
                    stream.Write(RandomNumberGenerator.GetBytes(KeyLength));
                    stream.Flush(flushToDisk: true);
                }

                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first: use theirs.
            }
            finally
            {
                File.Delete(temp);
            }
        }

        var key = File.ReadAllBytes(path);
        return key.Length == KeyLength
            ? key
            : throw new InvalidOperationException($"The signing key '{path}' holds {key.Length} bytes instead of {KeyLength}; delete it to create a new one (outstanding URLs stop working).");
    }

    /// <summary>
    /// A PUT URL for an original: <c>{base}/objects/originals/{id}?expires=…&amp;type=…&amp;length=…&amp;sig=…</c>, and the
    /// headers the client must send (Content-Type, Content-Length, <c>If-None-Match: *</c>).
    /// </summary>
    public PresignedRequest PresignUpload(string key, string contentType, long contentLength, TimeSpan expiresIn)
    {
        ObjectPaths.ValidateKey(Bucket.Originals, key);
        ArgumentException.ThrowIfNullOrWhiteSpace(contentType);
        ArgumentOutOfRangeException.ThrowIfNegative(contentLength);
        var expires = ExpiryOf(expiresIn);
        var path = ObjectPaths.UrlPath(Bucket.Originals, key);
        var length = contentLength.ToString(CultureInfo.InvariantCulture);
        var signed = new SignedFields(expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), null, length, contentType);
        var url = new Uri(
            $"{_baseUrl}{path}?expires={signed.Expires}&type={Uri.EscapeDataString(contentType)}&length={length}&sig={Sign("PUT", path, signed)}");
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Content-Type"] = contentType,
            ["Content-Length"] = length,
            ["If-None-Match"] = "*",
        };
        return new PresignedRequest(url, "PUT", headers, expires);
    }

    /// <summary>
    /// A GET URL: <c>{base}/objects/{originals|derived}/…?expires=…[&amp;filename=…]&amp;sig=…</c>; the file name, when
    /// given, is signed too and becomes the response's Content-Disposition.
    /// </summary>
    public Uri PresignDownload(Bucket bucket, string key, TimeSpan expiresIn, string? fileName = null)
    {
        var path = ObjectPaths.UrlPath(bucket, key);
        var expires = ExpiryOf(expiresIn);
        var signed = new SignedFields(expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), fileName, null, null);
        var query = new StringBuilder().Append("?expires=").Append(signed.Expires);
        if (fileName is not null)
        {
            query.Append("&filename=").Append(Uri.EscapeDataString(fileName));
        }

        query.Append("&sig=").Append(Sign("GET", path, signed));
        return new Uri(_baseUrl + path + query);
    }

    /// <summary>
    /// Checks a request against its signature. <paramref name="path"/> is the request path below the host's root (e.g.
    /// <c>HttpRequest.Path</c>); <paramref name="query"/> the raw query string, with or without its leading <c>?</c>.
    /// Comparison is constant-time; an expired URL is reported only when its signature is genuine.
    /// </summary>
    public SignedUrlCheck Verify(string method, string path, string? query)
    {
        ArgumentNullException.ThrowIfNull(method);
        method = method.ToUpperInvariant();
        if (!TryParseQuery(query, out var parameters))
        {
            return SignedUrlCheck.Fail(SignedUrlStatus.BadSignature);
        }

        parameters.TryGetValue("expires", out var expiresText);
        parameters.TryGetValue("filename", out var fileName);
        parameters.TryGetValue("length", out var lengthText);
        parameters.TryGetValue("type", out var contentType);
        var upload = method == "PUT";
        if (!parameters.TryGetValue("sig", out var signature) || expiresText is null || upload && (lengthText is null || contentType is null))
        {
            return SignedUrlCheck.Fail(SignedUrlStatus.MissingParameter);
        }

        if (!long.TryParse(expiresText, NumberStyles.None, CultureInfo.InvariantCulture, out var expiresUnix)
            || expiresUnix > DateTimeOffset.MaxValue.ToUnixTimeSeconds()
            || lengthText is not null && !long.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            return SignedUrlCheck.Fail(SignedUrlStatus.MissingParameter);
        }

        if (!ObjectPaths.TryParseUrlPath(path, out var bucket, out var key) || upload && bucket != Bucket.Originals)
        {
            return SignedUrlCheck.Fail(SignedUrlStatus.BadSignature);
        }

        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        // Checked first: Base64Url throws (rather than answering false) on characters outside its alphabet.
        if (signature.Length != Base64Url.GetEncodedLength(HMACSHA256.HashSizeInBytes)
            || !Base64Url.IsValid(signature)
            || !Base64Url.TryDecodeFromChars(signature, given, out var written) || written != given.Length)
        {
            return SignedUrlCheck.Fail(SignedUrlStatus.BadSignature);
        }

        var expected = Mac(method, path, new SignedFields(expiresText, fileName, lengthText, contentType));
        if (!CryptographicOperations.FixedTimeEquals(expected, given))
        {
            return SignedUrlCheck.Fail(SignedUrlStatus.BadSignature);
        }

        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(expiresUnix);
        var length = lengthText is null ? (long?)null : long.Parse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture);
        return new SignedUrlCheck(
            _clock.GetUtcNow() >= expiresAt ? SignedUrlStatus.Expired : SignedUrlStatus.Valid,
            bucket, key, contentType, length, fileName, expiresAt);
    }

    private DateTimeOffset ExpiryOf(TimeSpan expiresIn)
    {
        if (expiresIn <= TimeSpan.Zero || expiresIn > MaxLifetime)
        {
            throw new ArgumentOutOfRangeException(nameof(expiresIn), expiresIn, "A URL lives more than 0 and at most 7 days.");
        }

        // Whole seconds, rounded up, so the URL never expires before the time the caller asked for.
        var at = _clock.GetUtcNow() + expiresIn;
        var seconds = at.ToUnixTimeSeconds() + (at.UtcTicks % TimeSpan.TicksPerSecond == 0 ? 0 : 1);
        return DateTimeOffset.FromUnixTimeSeconds(seconds);
    }

    private string Sign(string method, string path, SignedFields fields) => Base64Url.EncodeToString(Mac(method, path, fields));

    private byte[] Mac(string method, string path, SignedFields fields)
    {
        // One line per element, each value escaped so no value can imitate a separator; an absent optional field is
        // its bare name, so adding or removing a parameter changes the signed text.
        var text = new StringBuilder(Scheme).Append('\n').Append(method).Append('\n').Append(path);
        Field(text, "expires", fields.Expires);
        Field(text, "filename", fields.FileName);
        Field(text, "length", fields.Length);
        Field(text, "type", fields.ContentType);
        return HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(text.ToString()));

        static void Field(StringBuilder text, string name, string? value)
        {
            text.Append('\n').Append(name);
            if (value is not null)
            {
                text.Append('=').Append(Uri.EscapeDataString(value));
            }
        }
    }

    private static bool TryParseQuery(string? query, out Dictionary<string, string> parameters)
    {
        parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(query))
        {
            return true;
        }

        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var separator = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Decode(separator < 0 ? pair : pair[..separator]);
            var value = separator < 0 ? "" : Decode(pair[(separator + 1)..]);
            if (!parameters.TryAdd(name, value))
            {
                // A repeated parameter is ambiguous: never guess which one was meant.
                return false;
            }
        }

        return true;

        static string Decode(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));
    }

    private sealed record SignedFields(string Expires, string? FileName, string? Length, string? ContentType);
}

/// <summary>The verdict on a signed URL.</summary>
public enum SignedUrlStatus
{
    /// <summary>Genuine and not expired.</summary>
    Valid,
    /// <summary>Genuine, but past its expiry.</summary>
    Expired,
    /// <summary>Not signed by us as presented: a changed path, method, parameter, or a forged signature.</summary>
    BadSignature,
    /// <summary>A required parameter (<c>sig</c>, <c>expires</c>; for PUT <c>type</c>, <c>length</c>) is missing or not a number.</summary>
    MissingParameter,
}

/// <summary>The verdict on a signed URL and, when its signature is genuine, what it grants.</summary>
/// <param name="Status">The verdict.</param>
/// <param name="Bucket">The store the path names.</param>
/// <param name="Key">The object key the path names.</param>
/// <param name="ContentType">The signed content type (uploads).</param>
/// <param name="ContentLength">The signed content length (uploads).</param>
/// <param name="FileName">The signed download file name, for Content-Disposition.</param>
/// <param name="ExpiresAt">The signed expiry.</param>
public sealed record SignedUrlCheck(
    SignedUrlStatus Status, Bucket Bucket, string? Key, string? ContentType, long? ContentLength, string? FileName, DateTimeOffset? ExpiresAt)
{
    /// <summary>Whether the request may proceed.</summary>
    public bool IsValid => Status == SignedUrlStatus.Valid;

    internal static SignedUrlCheck Fail(SignedUrlStatus status) => new(status, Bucket.Originals, null, null, null, null, null);
}
