using System.Globalization;

namespace ImagePipeline.Core.Imaging;

/// <summary>Input limits applied to every image before it is decoded.</summary>
/// <param name="MaxBytes">Largest accepted original, in bytes (default 50 MiB).</param>
/// <param name="MaxPixels">Largest accepted pixel count of the frame that is decoded (default 100 megapixels).</param>
public sealed record ImageLimits(long MaxBytes, long MaxPixels)
{
    /// <summary>The default of <see cref="MaxDecodeBytes"/>: 512 MiB.</summary>
    public const long DefaultMaxDecodeBytes = 512L * 1024 * 1024;

    /// <summary>The design's defaults: 50 MiB, 100 megapixels, and a 512 MiB decode budget.</summary>
    public static ImageLimits Default { get; } = new(50L * 1024 * 1024, 100_000_000L);

    /// <summary>
    /// Largest memory, in bytes, that decoding the frame may need, judged from the header before decoding: width ×
    /// height × bands × bytes per sample as the decoder holds them (a decoder that cannot stream, such as interlaced
    /// PNG, progressive JPEG, GIF, WebP or HEIF/AVIF, holds its whole frame at full size, and the largest rendition the
    /// engine renders to memory comes on top). The pixel limit bounds pixels, not memory: 100 MP of 16-bit RGBA is
    /// 800 MB, of float RGBA 1.6 GB.
    /// </summary>
    /// <remarks>
    /// The default, 512 MiB (<see cref="DefaultMaxDecodeBytes"/>), is sized so that the 8-bit images the default pixel
    /// limit admits still pass: 100 MP of 8-bit RGBA is 400 MB of frame, and the remaining 112 MiB hold, beside a
    /// whole-frame decoder's frame, the largest rendition (2048 pixels wide, 8-bit RGBA) of any such image up to eight
    /// times taller than wide. What it refuses within 100 MP: 16-bit or float samples beyond 512 MiB (16-bit RGBA above
    /// 67 MP), progressive JPEG without chroma subsampling above 89 MP, HEIF/AVIF above about 27 MP (their decoders
    /// hold about 20 bytes per pixel). Memory for a function or host is this budget plus the process baseline and the
    /// encoders: size it with the benchmark's figure at the budget, not at the pixel limit.
    /// </remarks>
    public long MaxDecodeBytes { get; init; } = DefaultMaxDecodeBytes;

    /// <summary>Throws when a limit is not positive.</summary>
    public void Validate()
    {
        if (MaxBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxBytes), MaxBytes, "MaxBytes must be positive.");
        }

        if (MaxPixels <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPixels), MaxPixels, "MaxPixels must be positive.");
        }

        if (MaxDecodeBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDecodeBytes), MaxDecodeBytes, "MaxDecodeBytes must be positive.");
        }
    }

    /// <summary>Throws <see cref="ImageErrorCode.TooLarge"/> when <paramref name="bytes"/> exceeds <see cref="MaxBytes"/>.</summary>
    public void EnsureBytesAllowed(long bytes)
    {
        if (bytes > MaxBytes)
        {
            throw new ImageProcessingException(
                ImageErrorCode.TooLarge,
                string.Create(CultureInfo.InvariantCulture, $"The image is {bytes:N0} bytes; the limit is {MaxBytes:N0} bytes."));
        }
    }

    /// <summary>
    /// Throws <see cref="ImageErrorCode.TooManyPixels"/> when width × height × pages (in 64-bit, from the header)
    /// exceeds <see cref="MaxPixels"/>.
    /// </summary>
    public void EnsurePixelsAllowed(int width, int height, int pages)
    {
        var pixels = (long)width * height * Math.Max(1, pages);
        if (pixels > MaxPixels)
        {
            throw new ImageProcessingException(
                ImageErrorCode.TooManyPixels,
                string.Create(CultureInfo.InvariantCulture, $"The image is {width}x{height}{(pages > 1 ? $"x{pages} pages" : "")} = {pixels:N0} pixels; the limit is {MaxPixels:N0}."));
        }
    }

    /// <summary>
    /// Throws <see cref="ImageErrorCode.TooManyPixels"/> when decoding needs more than <see cref="MaxDecodeBytes"/>;
    /// <paramref name="detail"/> says how <paramref name="bytes"/> was computed (size, bands, decoder).
    /// </summary>
    public void EnsureDecodeBytesAllowed(long bytes, string detail)
    {
        if (bytes > MaxDecodeBytes)
        {
            throw new ImageProcessingException(
                ImageErrorCode.TooManyPixels,
                string.Create(CultureInfo.InvariantCulture, $"Decoding the image needs about {bytes:N0} bytes of memory ({detail}); the limit is {MaxDecodeBytes:N0} bytes."));
        }
    }
}
