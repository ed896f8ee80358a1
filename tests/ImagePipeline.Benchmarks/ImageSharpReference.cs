using System.Reflection;
using ImagePipeline.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace ImagePipeline.Benchmarks;

/// <summary>One output of a reference engine: its name (<c>w320</c>…, <c>thumb</c>), size and bytes.</summary>
internal sealed record ReferenceOutput(string Name, int Width, int Height, byte[] Data);

/// <summary>
/// The design card's engine, SixLabors.ImageSharp 2.1.13, doing the default recipe the way our engine does it: one
/// decode, one resize to the largest width, every output from that, encoded side by side. Benchmark only.
/// </summary>
/// <remarks>
/// ImageSharp has no attention (saliency) crop: its thumbnail is a centre crop, so it does less work than ours there.
/// It has no shrink-on-load either (2.x decodes every JPEG pixel), and its resampler is its default (bicubic).
/// </remarks>
internal static class ImageSharpReference
{
    public const string ThumbnailCrop = "centre crop (ImageSharp has no attention crop)";

    /// <summary>The package version (the assembly version stays 2.0.0 across the 2.x line).</summary>
    public static string Version { get; } =
        typeof(Image).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "(version unknown)";

    /// <summary>The five outputs of <paramref name="recipe"/> for <paramref name="original"/>, largest first.</summary>
    public static IReadOnlyList<ReferenceOutput> Process(byte[] original, ImageRecipe recipe)
    {
        using var decoded = Image.Load<Rgb24>(original);
        decoded.Mutate(x => x.AutoOrient());

        // Our outputs carry no metadata; neither may these (the WebP encoder writes EXIF and XMP it finds).
        decoded.Metadata.ExifProfile = null;
        decoded.Metadata.XmpProfile = null;
        decoded.Metadata.IccProfile = null;

        var plan = recipe.Renditions.Plan(decoded.Width);
        var largestWidth = plan.Max(p => p.Width);
        using var largest = largestWidth < decoded.Width ? decoded.Clone(x => x.Resize(largestWidth, 0)) : decoded.Clone();

        // As in our engine: a rendition too short for the thumbnail's edge is not its source; the decode is.
        var edge = recipe.Thumbnail.Size;
        var thumbnailSource = Math.Min(largest.Width, largest.Height) >= Math.Min(edge, Math.Min(decoded.Width, decoded.Height)) ? largest : decoded;

        var jobs = plan
            .Select(p => (Func<ReferenceOutput>)(() => Rendition(largest, p.Name, p.Width, recipe.Renditions)))
            .Append(() => Thumbnail(thumbnailSource, recipe.Thumbnail))
            .ToList();
        var results = new ReferenceOutput[jobs.Count];

        // Largest first, as many at once as there are cores: the same schedule as our engine's encodes.
        Parallel.ForEach(
            Enumerable.Range(0, jobs.Count).Reverse(),
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            i => results[i] = jobs[i]());
        return results;
    }

    private static ReferenceOutput Rendition(Image<Rgb24> largest, string name, int width, RenditionRecipe recipe)
    {
        if (width >= largest.Width)
        {
            return Encode(largest, name, recipe.Quality, recipe.Effort);
        }

        using var resized = largest.Clone(x => x.Resize(width, 0));
        return Encode(resized, name, recipe.Quality, recipe.Effort);
    }

    private static ReferenceOutput Thumbnail(Image<Rgb24> source, ThumbnailRecipe recipe)
    {
        using var cropped = source.Clone(x => x.Resize(new ResizeOptions
        {
            Size = new Size(recipe.Size, recipe.Size),
            Mode = ResizeMode.Crop,
            Position = AnchorPositionMode.Center,
        }));
        return Encode(cropped, "thumb", recipe.Quality, recipe.Effort);
    }

    private static ReferenceOutput Encode(Image<Rgb24> image, string name, int quality, int effort)
    {
        using var stream = new MemoryStream();
        image.Save(stream, new WebpEncoder
        {
            FileFormat = WebpFileFormatType.Lossy,
            Quality = quality,

            // WebpEncodingMethod Level0–Level6 are libwebp's method 0–6, which libvips calls effort.
            Method = (WebpEncodingMethod)effort,
        });
        return new ReferenceOutput(name, image.Width, image.Height, stream.ToArray());
    }
}
