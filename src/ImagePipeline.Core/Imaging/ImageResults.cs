namespace ImagePipeline.Core.Imaging;

/// <summary>What the header of an original says, with orientation applied to the dimensions.</summary>
/// <param name="Format">The detected format (from the bytes, never the declared type).</param>
/// <param name="Width">Width after EXIF orientation.</param>
/// <param name="Height">Height after EXIF orientation.</param>
/// <param name="Bands">Bands of the decoded frame (3 RGB, 4 RGBA or CMYK, 1 grey…).</param>
/// <param name="Pages">Frames or pages in the file; only the first is ever decoded.</param>
/// <param name="Orientation">The EXIF orientation tag (1–8), 1 when absent or already applied by the decoder.</param>
/// <param name="Bytes">Size of the original in bytes.</param>
/// <param name="Metadata">The EXIF subset.</param>
public sealed record ImageInfo(
    ImageFormat Format,
    int Width,
    int Height,
    int Bands,
    int Pages,
    int Orientation,
    long Bytes,
    ImageMetadata Metadata);

/// <summary>An encoded output image.</summary>
/// <param name="Width">Pixel width.</param>
/// <param name="Height">Pixel height.</param>
/// <param name="Format">Output format name, e.g. <c>webp</c>.</param>
/// <param name="Data">The encoded bytes.</param>
public sealed record EncodedImage(int Width, int Height, string Format, ReadOnlyMemory<byte> Data)
{
    /// <summary>Length of <see cref="Data"/>.</summary>
    public long Bytes => Data.Length;
}

/// <summary>One rendition of the recipe.</summary>
/// <param name="Name">Recipe name (<c>w320</c>…), independent of the actual width.</param>
/// <param name="Image">The encoded rendition.</param>
public sealed record Rendition(string Name, EncodedImage Image);

/// <summary>The resize stage's result: the probe of the original and its renditions, smallest first.</summary>
/// <param name="Source">What the original is.</param>
/// <param name="Renditions">The renditions made.</param>
public sealed record RenditionSet(ImageInfo Source, IReadOnlyList<Rendition> Renditions);

/// <summary>The thumbnail stage's result.</summary>
/// <param name="Source">What the original is.</param>
/// <param name="Thumbnail">The encoded thumbnail.</param>
public sealed record ThumbnailResult(ImageInfo Source, EncodedImage Thumbnail);

/// <summary>Every output of the recipe, made from one decode (the offline <c>process</c> command).</summary>
/// <param name="Source">What the original is.</param>
/// <param name="Renditions">The renditions made.</param>
/// <param name="Thumbnail">The encoded thumbnail.</param>
public sealed record ProcessedImage(ImageInfo Source, IReadOnlyList<Rendition> Renditions, EncodedImage Thumbnail);
