namespace ImagePipeline.Core.Imaging;

/// <summary>
/// Decodes, measures and re-encodes images. Implementations are thread-safe; every method either returns a result
/// or throws <see cref="ImageProcessingException"/>: a permanent, image-caused failure, or code
/// <see cref="ImageErrorCode.Internal"/> for one that means the machine and is worth retrying.
/// </summary>
public interface IImageEngine
{
    /// <summary>The formats this engine can actually decode (e.g. no HEIC without an HEVC decoder).</summary>
    IReadOnlyList<ImageFormat> DecodableFormats { get; }

    /// <summary>The limits every call enforces before decoding.</summary>
    ImageLimits Limits { get; }

    /// <summary>Reads the header and metadata only, and enforces the limits.</summary>
    ImageInfo Probe(ReadOnlyMemory<byte> original);

    /// <summary>Makes the recipe's renditions from one decode of <paramref name="original"/>.</summary>
    RenditionSet Resize(ReadOnlyMemory<byte> original, RenditionRecipe recipe, CancellationToken cancellationToken = default);

    /// <summary>Makes the square, attention-cropped thumbnail.</summary>
    ThumbnailResult Thumbnail(ReadOnlyMemory<byte> original, ThumbnailRecipe recipe, CancellationToken cancellationToken = default);

    /// <summary>Makes every output of <paramref name="recipe"/> from one decode.</summary>
    ProcessedImage Process(ReadOnlyMemory<byte> original, ImageRecipe recipe, CancellationToken cancellationToken = default);
}
