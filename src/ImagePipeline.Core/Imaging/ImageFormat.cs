namespace ImagePipeline.Core.Imaging;

/// <summary>An input format the pipeline accepts (the design's loader allow-list).</summary>
public enum ImageFormat
{
    /// <summary>JPEG (baseline, progressive, arithmetic-coded; 8-bit).</summary>
    Jpeg,
    /// <summary>PNG, including palette, alpha and 16-bit.</summary>
    Png,
    /// <summary>WebP, lossy or lossless; first frame of an animation.</summary>
    Webp,
    /// <summary>GIF; first frame of an animation.</summary>
    Gif,
    /// <summary>AVIF (AV1 in HEIF).</summary>
    Avif,
    /// <summary>HEIC (HEVC in HEIF); decodable only where libvips has an HEVC decoder.</summary>
    Heic,
    /// <summary>TIFF.</summary>
    Tiff,
}

/// <summary>Wire names and media types of <see cref="ImageFormat"/>.</summary>
public static class ImageFormats
{
    /// <summary>Every format of the allow-list, in a stable order.</summary>
    public static IReadOnlyList<ImageFormat> All { get; } =
        [ImageFormat.Jpeg, ImageFormat.Png, ImageFormat.Webp, ImageFormat.Gif, ImageFormat.Avif, ImageFormat.Heic, ImageFormat.Tiff];

    /// <summary>The lower-case name used in JSON (<c>original.format</c>, <c>formats</c> of the health check).</summary>
    public static string ToName(this ImageFormat format) => format switch
    {
        ImageFormat.Jpeg => "jpeg",
        ImageFormat.Png => "png",
        ImageFormat.Webp => "webp",
        ImageFormat.Gif => "gif",
        ImageFormat.Avif => "avif",
        ImageFormat.Heic => "heic",
        ImageFormat.Tiff => "tiff",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>The media types an upload may declare for a format; the first is canonical.</summary>
    public static IReadOnlyList<string> MediaTypes(this ImageFormat format) => format switch
    {
        ImageFormat.Jpeg => ["image/jpeg"],
        ImageFormat.Png => ["image/png"],
        ImageFormat.Webp => ["image/webp"],
        ImageFormat.Gif => ["image/gif"],
        ImageFormat.Avif => ["image/avif"],
        ImageFormat.Heic => ["image/heic", "image/heif"],
        ImageFormat.Tiff => ["image/tiff"],
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>Finds the format a declared media type stands for (case-insensitive, parameters ignored).</summary>
    public static bool TryFromMediaType(string? mediaType, out ImageFormat format)
    {
        format = default;
        if (string.IsNullOrWhiteSpace(mediaType))
        {
            return false;
        }

        var bare = mediaType.Split(';', 2)[0].Trim();
        foreach (var candidate in All)
        {
            foreach (var type in candidate.MediaTypes())
            {
                if (string.Equals(type, bare, StringComparison.OrdinalIgnoreCase))
                {
                    format = candidate;
                    return true;
                }
            }
        }

        return false;
    }
}
