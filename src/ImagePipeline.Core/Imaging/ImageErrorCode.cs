namespace ImagePipeline.Core.Imaging;

/// <summary>Why an image could not be processed. Every code but <see cref="Internal"/> is permanent.</summary>
public enum ImageErrorCode
{
    /// <summary>Not an image, or a format outside the allow-list or the loaded libvips' abilities.</summary>
    UnsupportedFormat,
    /// <summary>A known format whose data is broken (truncated, malformed).</summary>
    CorruptImage,
    /// <summary>More pixels than the configured limit, judged from the header before decoding.</summary>
    TooManyPixels,
    /// <summary>More bytes than the configured limit, judged before reading.</summary>
    TooLarge,
    /// <summary>Anything else: a fault of ours or of the platform, not of the image.</summary>
    Internal,
}

/// <summary>Wire names of <see cref="ImageErrorCode"/>.</summary>
public static class ImageErrorCodes
{
    /// <summary>The snake_case code used in JSON, logs and the CLI.</summary>
    public static string ToCode(this ImageErrorCode code) => code switch
    {
        ImageErrorCode.UnsupportedFormat => "unsupported_format",
        ImageErrorCode.CorruptImage => "corrupt_image",
        ImageErrorCode.TooManyPixels => "too_many_pixels",
        ImageErrorCode.TooLarge => "too_large",
        ImageErrorCode.Internal => "internal",
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, null),
    };

    /// <summary>Parses a wire code back; unknown text is <see langword="false"/>.</summary>
    public static bool TryParse(string? text, out ImageErrorCode code)
    {
        foreach (var candidate in Enum.GetValues<ImageErrorCode>())
        {
            if (candidate.ToCode() == text)
            {
                code = candidate;
                return true;
            }
        }

        code = default;
        return false;
    }
}

/// <summary>
/// An image that could not be processed. With every code but <see cref="ImageErrorCode.Internal"/> the reason lies in
/// the image (or the limits), so retrying cannot help: the pipeline records the stage as failed with <see cref="Code"/>
/// and acknowledges the event. <see cref="ImageErrorCode.Internal"/> means the machine (out of memory, a libvips
/// fault): the pipeline retries it, and records <c>internal</c> only after the last attempt. The message is a fixed,
/// user-facing sentence for its code; the engine's own error text is only in the inner exception.
/// </summary>
public sealed class ImageProcessingException : Exception
{
    /// <summary>Creates the exception with its code and a message fit to show a user.</summary>
    public ImageProcessingException(ImageErrorCode code, string message, Exception? innerException = null)
        : base(message, innerException) => Code = code;

    /// <summary>The classified reason.</summary>
    public ImageErrorCode Code { get; }
}
