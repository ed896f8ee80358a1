namespace ImagePipeline.Core.Imaging;

/// <summary>Input limits applied to every image before it is decoded.</summary>
/// <param name="MaxBytes">Largest accepted original, in bytes (default 50 MiB).</param>
/// <param name="MaxPixels">Largest accepted pixel count of the frame that is decoded (default 100 megapixels).</param>
public sealed record ImageLimits(long MaxBytes, long MaxPixels)
{
    /// <summary>The design's defaults: 50 MiB and 100 megapixels.</summary>
    public static ImageLimits Default { get; } = new(50L * 1024 * 1024, 100_000_000L);

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
    }

    /// <summary>Throws <see cref="ImageErrorCode.TooLarge"/> when <paramref name="bytes"/> exceeds <see cref="MaxBytes"/>.</summary>
    public void EnsureBytesAllowed(long bytes)
    {
        if (bytes > MaxBytes)
        {
            throw new ImageProcessingException(
                ImageErrorCode.TooLarge,
                $"The image is {bytes} bytes; the limit is {MaxBytes} bytes.");
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
                $"The image is {width}x{height}{(pages > 1 ? $"x{pages} pages" : "")} = {pixels} pixels; the limit is {MaxPixels}.");
        }
    }
}
