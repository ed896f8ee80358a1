using ImagePipeline.Core.Storage;

namespace ImagePipeline.Local.Storage;

/// <summary>
/// How keys map to files and URL paths in the local data directory, which holds both buckets in one tree:
/// <c>objects/originals/{id}</c> (key <c>originals/{id}</c> of the originals bucket) and <c>objects/derived/{key}</c>.
/// The URL path of an object is <c>/</c> + its path relative to the data directory.
/// </summary>
/// <remarks>
/// Keys are stricter than S3's: segments of <c>A–Z a–z 0–9 - . _ ~</c> joined by <c>/</c>, none empty and none starting
/// with a dot (which rules out <c>.</c> and <c>..</c> and reserves dot-names for temp files and sidecars). Such a key is
/// its own URL encoding, so a signed path reads the same raw or decoded.
/// </remarks>
public static class ObjectPaths
{
    /// <summary>The folder of the data directory that holds every object.</summary>
    public const string ObjectsFolder = "objects";

    /// <summary>The URL path prefix of the originals bucket: <c>/objects/originals/</c>.</summary>
    public const string OriginalsUrlPrefix = "/" + ObjectsFolder + "/" + ObjectKeys.OriginalsPrefix;

    /// <summary>The URL path prefix of the derived bucket: <c>/objects/derived/</c>.</summary>
    public const string DerivedUrlPrefix = "/" + ObjectsFolder + "/" + DerivedFolder + "/";

    /// <summary>The longest key accepted.</summary>
    public const int MaxKeyLength = 1024;

    private const string DerivedFolder = "derived";

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="key"/> is a valid key of <paramref name="bucket"/>.</summary>
    public static void ValidateKey(Bucket bucket, string key, string parameterName = "key")
    {
        if (!IsValidKey(bucket, key, allowPrefix: false))
        {
            throw new ArgumentException(
                bucket == Bucket.Originals
                    ? $"'{key}' is not a key of the originals store: originals/<name> with segments of [A-Za-z0-9-._~], none empty or starting with '.'."
                    : $"'{key}' is not an object key: segments of [A-Za-z0-9-._~] separated by '/', none empty or starting with '.', not absolute.",
                parameterName);
        }
    }

    /// <summary>Whether <paramref name="key"/> is a valid key (or, with <paramref name="allowPrefix"/>, key prefix) of <paramref name="bucket"/>.</summary>
    public static bool IsValidKey(Bucket bucket, string? key, bool allowPrefix = false)
    {
        if (string.IsNullOrEmpty(key) || key.Length > MaxKeyLength)
        {
            return false;
        }

        if (bucket == Bucket.Originals && (!key.StartsWith(ObjectKeys.OriginalsPrefix, StringComparison.Ordinal) || key.Length == ObjectKeys.OriginalsPrefix.Length && !allowPrefix))
        {
            return false;
        }

        var segments = key.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            var last = i == segments.Length - 1;
            if (segment.Length == 0)
            {
                // Only a prefix may end with '/', and only after at least one segment.
                if (!(allowPrefix && last && i > 0))
                {
                    return false;
                }

                continue;
            }

            if (segment[0] == '.' || !segment.All(IsKeyChar))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The path of an object relative to the data directory, with '/' separators.</summary>
    public static string RelativePath(Bucket bucket, string key) =>
        bucket == Bucket.Originals ? $"{ObjectsFolder}/{key}" : $"{ObjectsFolder}/{DerivedFolder}/{key}";

    /// <summary>The URL path (from the host's root) serving an object: <c>/objects/originals/{id}</c> or <c>/objects/derived/{key}</c>.</summary>
    public static string UrlPath(Bucket bucket, string key)
    {
        ValidateKey(bucket, key);
        return "/" + RelativePath(bucket, key);
    }

    /// <summary>The object a URL path names, or false when it names none.</summary>
    public static bool TryParseUrlPath(string? path, out Bucket bucket, out string key)
    {
        bucket = Bucket.Originals;
        key = "";
        if (path is null)
        {
            return false;
        }

        if (path.StartsWith(OriginalsUrlPrefix, StringComparison.Ordinal))
        {
            key = path[("/" + ObjectsFolder + "/").Length..];
        }
        else if (path.StartsWith(DerivedUrlPrefix, StringComparison.Ordinal))
        {
            bucket = Bucket.Derived;
            key = path[DerivedUrlPrefix.Length..];
        }
        else
        {
            return false;
        }

        return IsValidKey(bucket, key);
    }

    private static bool IsKeyChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~';
}
