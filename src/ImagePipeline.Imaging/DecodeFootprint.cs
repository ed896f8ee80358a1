using System.Globalization;
using ImagePipeline.Core.Imaging;
using NetVips;

namespace ImagePipeline.Imaging;

/// <summary>
/// The memory a decode of an image's first frame needs, judged from its header alone, for
/// <see cref="ImageLimits.MaxDecodeBytes"/>. Width × height × bytes per pixel as the decoder holds them:
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Bytes per pixel are bands × bytes per sample (libvips' band format), except where the decoder keeps more:
/// GIF and WebP decode into an RGBA buffer (4); a progressive JPEG keeps 16-bit DCT coefficients of every component
/// (2 × samples per pixel after chroma subsampling); HEIF/AVIF (libheif + the AV1 decoder) measured 15.8–18.9 bytes per
/// pixel with the bundled libvips 8.18.7 for 8- and 10-bit RGB(A), counted as 14 + 2 × bands × bytes per sample.</item>
/// <item>A decoder that holds its whole frame (interlaced PNG, progressive JPEG, GIF, WebP, HEIF/AVIF) is counted at
/// full size, whatever the output size, and the largest rendition the engine renders to memory comes on top.</item>
/// <item>Streaming decoders (baseline JPEG, non-interlaced PNG, TIFF strips or tiles) hold a band of rows. A baseline
/// JPEG is counted at the size its shrink-on-load delivers. PNG and TIFF have no shrink-on-load, and the resize holds a
/// band of rows that grows with the shrink factor up to the whole frame for wide images (40000×2500 16-bit RGBA PNG:
/// 446 MiB above the process baseline for an 800 MB frame), so they are counted at full size: an upper bound. A TIFF
/// stored as one strip was measured no worse than a striped one with deflate (libtiff decodes it in chunks); an
/// uncompressed one needs about twice its frame, but its frame is its file, which <see cref="ImageLimits.MaxBytes"/>
/// bounds.</item>
/// </list>
/// </remarks>
internal sealed record DecodeFootprint(long Width, long Height, double BytesPerPixel, bool ShrinksOnLoad, bool HoldsWholeFrame, string Layout)
{
    /// <summary>The largest shrink-on-load factor the engine asks a loader for.</summary>
    public const int MaxShrink = 8;

    /// <summary>What a rendition held in memory costs per pixel: 8-bit sRGB, with alpha at most.</summary>
    public const int RenditionBytesPerPixel = 4;

    /// <summary>Bytes the decoder holds when the engine asks for a shrink-on-load of <paramref name="shrink"/>.</summary>
    public long BytesAt(int shrink)
    {
        var factor = ShrinksOnLoad ? Math.Max(1, shrink) : 1;
        var width = (Width + factor - 1) / factor;
        var height = (Height + factor - 1) / factor;
        return Saturate((double)width * height * BytesPerPixel);
    }

    /// <summary>The least any decode of this image needs (the largest shrink-on-load): what a probe can already refuse.</summary>
    public long LeastBytes => BytesAt(MaxShrink);

    /// <summary>The facts behind <see cref="BytesAt"/>, for the refusal message.</summary>
    public string Describe(int shrink)
    {
        var size = ShrinksOnLoad && shrink > 1
            ? $"{Width}x{Height} pixels decoded at 1/{shrink}"
            : $"{Width}x{Height} pixels";
        return $"{size}, {Layout}";
    }

    /// <summary>The footprint of the first frame described by a header.</summary>
    /// <param name="format">The detected format.</param>
    /// <param name="width">Stored width.</param>
    /// <param name="height">Stored height of one page or frame.</param>
    /// <param name="bands">Bands libvips reports.</param>
    /// <param name="bandFormat">libvips' band format of a sample.</param>
    /// <param name="interlaced">Whether libvips' header says interlaced (Adam7 PNG) or progressive (JPEG).</param>
    /// <param name="chromaSubsample">libvips' <c>jpeg-chroma-subsample</c> (e.g. <c>4:2:0</c>), null when absent.</param>
    public static DecodeFootprint Of(ImageFormat format, int width, int height, int bands, Enums.BandFormat bandFormat, bool interlaced, string? chromaSubsample)
    {
        bands = Math.Max(1, bands);
        var sample = BytesPerSample(bandFormat);
        var plain = $"{bands} band{(bands == 1 ? "" : "s")} of {sample} byte{(sample == 1 ? "" : "s")}";
        return format switch
        {
            ImageFormat.Jpeg when interlaced => ProgressiveJpeg(width, height, bands, chromaSubsample),
            ImageFormat.Jpeg => new(width, height, bands * sample, ShrinksOnLoad: true, HoldsWholeFrame: false, plain),
            ImageFormat.Png when interlaced => new(width, height, bands * sample, false, true, plain + ", interlaced: decoded whole"),
            ImageFormat.Gif => new(width, height, 4, false, true, "decoded whole as 8-bit RGBA"),
            ImageFormat.Webp => new(width, height, 4, false, true, "decoded whole as 8-bit RGBA"),
            ImageFormat.Avif or ImageFormat.Heic => new(
                width, height, 14 + (2 * bands * sample), false, true, $"{plain}, decoded whole by libheif at about {14 + (2 * bands * sample)} bytes per pixel"),
            _ => new(width, height, bands * sample, false, false, plain),
        };
    }

    private static DecodeFootprint ProgressiveJpeg(int width, int height, int bands, string? chromaSubsample)
    {
        // libjpeg keeps every DCT coefficient (a 16-bit JCOEF) of the whole image for a multi-scan file; chroma
        // subsampling shrinks the two colour components of a three-component image.
        double samples = (bands, chromaSubsample) switch
        {
            (3, "4:2:0") => 1.5,
            (3, "4:2:2" or "4:4:0") => 2,
            _ => bands,
        };
        return new(
            width,
            height,
            2 * samples,
            false,
            true,
            $"progressive: 16-bit DCT coefficients of {samples.ToString("0.##", CultureInfo.InvariantCulture)} samples per pixel, held whole");
    }

    private static int BytesPerSample(Enums.BandFormat format) => format switch
    {
        Enums.BandFormat.Uchar or Enums.BandFormat.Char => 1,
        Enums.BandFormat.Ushort or Enums.BandFormat.Short => 2,
        Enums.BandFormat.Uint or Enums.BandFormat.Int or Enums.BandFormat.Float => 4,
        Enums.BandFormat.Complex or Enums.BandFormat.Double => 8,
        _ => 16,
    };

    private static long Saturate(double bytes) => bytes >= long.MaxValue ? long.MaxValue : (long)Math.Ceiling(bytes);
}
