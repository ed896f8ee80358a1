using ImagePipeline.Core.Imaging;

namespace ImagePipeline.Testing;

/// <summary>
/// An engine for testing the services around it: it "decodes" nothing, answers with fixed facts, and fails on demand.
/// The real engine has its own tests; this one lets service tests run in milliseconds without libvips.
/// </summary>
public sealed class FakeImageEngine : IImageEngine
{
    private int _calls;

    public IReadOnlyList<ImageFormat> DecodableFormats { get; init; } = ImageFormats.All;

    public ImageLimits Limits { get; init; } = ImageLimits.Default;

    /// <summary>The upright size every original is said to have.</summary>
    public (int Width, int Height) SourceSize { get; set; } = (1600, 1200);

    /// <summary>When set, every call throws it.</summary>
    public Exception? FailWith { get; set; }

    /// <summary>When set, runs at the start of every call (after counting it), e.g. to advance a fake clock as real work would.</summary>
    public Action? OnCall { get; set; }

    /// <summary>How many images were processed.</summary>
    public int Calls => _calls;

    public ImageInfo Probe(ReadOnlyMemory<byte> original)
    {
        Interlocked.Increment(ref _calls);
        OnCall?.Invoke();
        if (FailWith is { } failure)
        {
            throw failure;
        }

        Limits.EnsureBytesAllowed(original.Length);
        return new ImageInfo(ImageFormat.Jpeg, SourceSize.Width, SourceSize.Height, 3, 1, 1, original.Length,
            ImageMetadata.Empty with { CameraMake = "Fake", Gps = new GpsLocation(1, 2, null) });
    }

    public RenditionSet Resize(ReadOnlyMemory<byte> original, RenditionRecipe recipe, CancellationToken cancellationToken = default)
    {
        var info = Probe(original);
        return new RenditionSet(info, [.. recipe.Plan(info.Width).Select(p => new Rendition(p.Name, Encoded(p.Width, p.Width * info.Height / info.Width)))]);
    }

    public ThumbnailResult Thumbnail(ReadOnlyMemory<byte> original, ThumbnailRecipe recipe, CancellationToken cancellationToken = default) =>
        new(Probe(original), Encoded(recipe.Size, recipe.Size));

    public ProcessedImage Process(ReadOnlyMemory<byte> original, ImageRecipe recipe, CancellationToken cancellationToken = default)
    {
        var set = Resize(original, recipe.Renditions, cancellationToken);
        return new ProcessedImage(set.Source, set.Renditions, Encoded(recipe.Thumbnail.Size, recipe.Thumbnail.Size));
    }

    private static EncodedImage Encoded(int width, int height) =>
        new(width, height, "webp", System.Text.Encoding.ASCII.GetBytes($"RIFF....WEBP{width}x{height}"));
}
