using System.Runtime.ExceptionServices;
using ImagePipeline.Core.Imaging;
using ImagePipeline.Imaging.Interop;

namespace ImagePipeline.Imaging;

/// <summary>
/// <see cref="IImageEngine"/> on libvips. Every call copies the original once into libvips-owned memory, reads the
/// header to enforce the limits, and decodes with shrink-on-load so a 24 MP JPEG never exists at full size in memory.
/// </summary>
public sealed class LibvipsImageEngine : IImageEngine
{
    // libvips' VIPS_MAX_COORD: a height that never constrains a width-driven resize.
    private const int Unbounded = 10_000_000;

    private readonly int _encodeParallelism;

    /// <summary>Loads and initialises libvips (once per process) and finds out which formats it can decode.</summary>
    /// <exception cref="LibvipsNotFoundException">No libvips could be loaded; the message lists what was tried.</exception>
    public LibvipsImageEngine(LibvipsEngineOptions? options = null)
    {
        options ??= new LibvipsEngineOptions();
        options.Validate();
        Vips.Initialize(options.Concurrency);
        Limits = options.Limits;
        _encodeParallelism = options.EncodeParallelism;
        DecodableFormats = DetectDecodableFormats();
    }

    /// <inheritdoc />
    public IReadOnlyList<ImageFormat> DecodableFormats { get; }

    /// <inheritdoc />
    public ImageLimits Limits { get; }

    /// <summary>The loaded libvips version, e.g. <c>8.18.7</c>.</summary>
    public static string LibvipsVersion => Vips.Version.ToString();

    /// <summary>Where the loaded libvips came from (path or soname).</summary>
    public static string LibvipsSource => Vips.LoadedFrom;

    /// <inheritdoc />
    public ImageInfo Probe(ReadOnlyMemory<byte> original)
    {
        using var source = Open(original);
        return source.Info;
    }

    /// <inheritdoc />
    public RenditionSet Resize(ReadOnlyMemory<byte> original, RenditionRecipe recipe, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        cancellationToken.ThrowIfCancellationRequested();
        using var source = Open(original);
        var plan = recipe.Plan(source.Info.Width);
        using var largest = DecodeLargest(source, plan, cancellationToken);
        var jobs = plan.Select(p => (Func<EncodedImage>)(() => EncodeWidth(largest, p.Width, recipe.Quality, recipe.Effort, cancellationToken)));
        var encoded = RunLargestFirst(jobs.ToList(), cancellationToken);
        return new RenditionSet(source.Info, plan.Select((p, i) => new Rendition(p.Name, encoded[i])).ToList());
    }

    /// <inheritdoc />
    public ThumbnailResult Thumbnail(ReadOnlyMemory<byte> original, ThumbnailRecipe recipe, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        cancellationToken.ThrowIfCancellationRequested();
        using var source = Open(original);
        var thumbnail = Decoding(cancellationToken, () =>
        {
            // Cover crop: the short side must still reach the edge after shrink-on-load.
            var shortSide = Math.Min(source.Info.Width, source.Info.Height);
            using var loaded = Load(source, (double)recipe.Size / shortSide);
            using var cropped = ThumbnailOf(loaded, recipe.Size, recipe.Size, crop: true);
            return Encode(cropped, recipe.Quality, recipe.Effort, cancellationToken);
        });
        return new ThumbnailResult(source.Info, thumbnail);
    }

    /// <inheritdoc />
    public ProcessedImage Process(ReadOnlyMemory<byte> original, ImageRecipe recipe, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        cancellationToken.ThrowIfCancellationRequested();
        using var source = Open(original);
        var plan = recipe.Renditions.Plan(source.Info.Width);
        using var largest = DecodeLargest(source, plan, cancellationToken);
        var jobs = plan
            .Select(p => (Func<EncodedImage>)(() => EncodeWidth(largest, p.Width, recipe.Renditions.Quality, recipe.Renditions.Effort, cancellationToken)))
            .Append(() => ThumbnailFromLargestIsSharp(source.Info, largest, recipe.Thumbnail)
                ? EncodeThumbnail(largest, recipe.Thumbnail, cancellationToken)
                : Thumbnail(original, recipe.Thumbnail, cancellationToken).Thumbnail)
            .ToList();
        var encoded = RunLargestFirst(jobs, cancellationToken);
        var renditions = plan.Select((p, i) => new Rendition(p.Name, encoded[i])).ToList();
        return new ProcessedImage(source.Info, renditions, encoded[^1]);
    }

    // A panorama's 2048-wide rendition can be shorter than the thumbnail edge while the original is not: then the
    // thumbnail gets a decode of its own rather than an enlargement of the rendition.
    private static bool ThumbnailFromLargestIsSharp(ImageInfo source, VipsImage largest, ThumbnailRecipe recipe) =>
        Math.Min(largest.Width, largest.Height) >= Math.Min(recipe.Size, Math.Min(source.Width, source.Height));

    private Source Open(ReadOnlyMemory<byte> original)
    {
        Limits.EnsureBytesAllowed(original.Length);
        if (original.IsEmpty)
        {
            throw new ImageProcessingException(ImageErrorCode.UnsupportedFormat, "The file is empty.");
        }

        var format = FormatDetector.Detect(original.Span) ?? throw new ImageProcessingException(
            ImageErrorCode.UnsupportedFormat,
            "The file is not an image in an accepted format (" + string.Join(", ", DecodableFormats.Select(f => f.ToName())) + ").");
        if (format == ImageFormat.Jpeg && FormatDetector.JpegPrecision(original.Span) is { } bits and not 8)
        {
            throw new ImageProcessingException(
                ImageErrorCode.UnsupportedFormat, $"{bits}-bit JPEG is not supported; only 8-bit JPEG can be decoded.");
        }

        if (!DecodableFormats.Contains(format))
        {
            throw new ImageProcessingException(
                ImageErrorCode.UnsupportedFormat,
                $"{format.ToName().ToUpperInvariant()} images cannot be decoded by the loaded libvips {Vips.Version}.");
        }

        var blob = VipsBlob.Copy(original.Span);
        try
        {
            var info = ReadHeader(blob, format, original);
            return new Source(blob, info);
        }
        catch
        {
            blob.Dispose();
            throw;
        }
    }

    private ImageInfo ReadHeader(VipsBlob blob, ImageFormat format, ReadOnlyMemory<byte> original)
    {
        int width, height, bands, pages, orientation;
        try
        {
            using var op = VipsOperation.New(FormatDetector.LoaderOf(format)).Set("buffer", blob);
            using var built = op.Build();
            using var header = built.GetImage("out");
            width = header.Width;
            height = header.PageHeight;
            bands = header.Bands;
            pages = header.Pages;
            orientation = header.GetInt("orientation") is { } tag and >= 1 and <= 8 ? tag : 1;
        }
        catch (VipsException e)
        {
            throw ClassifyHeaderFailure(e);
        }

        // Only the first page or frame is ever decoded, so that is what the pixel limit weighs.
        Limits.EnsurePixelsAllowed(width, height, 1);
        var swapped = orientation >= 5;
        return new ImageInfo(
            format,
            swapped ? height : width,
            swapped ? width : height,
            bands,
            pages,
            orientation,
            original.Length,
            ExifReader.Read(original));
    }

    internal static ImageProcessingException ClassifyHeaderFailure(VipsException e)
    {
        // A recognised container whose variant libvips refuses (12-bit JPEG, unknown HEIF codec) is a format we do
        // not support; anything else that breaks while reading the header is damaged data.
        var unsupported = e.Message.Contains("nsupported", StringComparison.Ordinal)
            || e.Message.Contains("not supported", StringComparison.OrdinalIgnoreCase)
            || e.Message.Contains("not a known", StringComparison.OrdinalIgnoreCase);
        return unsupported
            ? new ImageProcessingException(ImageErrorCode.UnsupportedFormat, "The image uses a variant that cannot be decoded: " + e.Message, e)
            : new ImageProcessingException(ImageErrorCode.CorruptImage, "The image header is damaged: " + e.Message, e);
    }

    /// <summary>One shrink-on-load decode to the largest planned width, rendered to memory for every consumer.</summary>
    private static VipsImage DecodeLargest(Source source, IReadOnlyList<(string Name, int Width)> plan, CancellationToken cancellationToken) =>
        Decoding(cancellationToken, () =>
        {
            var width = plan.Max(p => p.Width);
            using var loaded = Load(source, (double)width / source.Info.Width);
            using var resized = ThumbnailOf(loaded, width, Unbounded, crop: false);
            using var registration = cancellationToken.Register(resized.Kill);
            var memory = resized.CopyMemory();

            // Already sRGB: without the profile, later resizes skip a needless sRGB→sRGB transform.
            memory.Remove("icc-profile-data");
            return memory;
        });

    /// <summary>
    /// Opens the first frame with the format's own shrink-on-load, as far as it stays at or above
    /// <paramref name="scale"/> of the full size. Loading explicitly (not through thumbnail_buffer, whose tile cache
    /// turns read errors into warnings) makes <c>fail_on=truncated</c> reach the caller as an error.
    /// </summary>
    private static VipsImage Load(Source source, double scale)
    {
        var shrink = 1;
        while (shrink < 8 && 1.0 / (shrink * 2) >= scale)
        {
            shrink *= 2;
        }

        using var op = VipsOperation.New(FormatDetector.LoaderOf(source.Info.Format))
            .Set("buffer", source.Blob)
            .SetFromString("access", "sequential")
            .SetFromString("fail_on", "truncated");
        if (shrink > 1 && source.Info.Format == ImageFormat.Jpeg)
        {
            op.Set("shrink", shrink);
        }
        else if (shrink > 1 && source.Info.Format == ImageFormat.Webp)
        {
            op.Set("scale", 1.0 / shrink);
        }

        using var built = op.Build();
        return built.GetImage("out");
    }

    /// <summary>libvips' thumbnail on a loaded image: orientation, colour management to sRGB, alpha-correct resampling.</summary>
    private static VipsImage ThumbnailOf(VipsImage image, int width, int height, bool crop)
    {
        using var op = VipsOperation.New("thumbnail_image")
            .Set("in", image)
            .Set("width", width)
            .Set("height", height);
        if (crop)
        {
            op.SetFromString("crop", "attention");
        }
        else
        {
            op.SetFromString("size", "down");
        }

        using var built = op.Build();
        return built.GetImage("out");
    }

    private static EncodedImage EncodeWidth(VipsImage largest, int width, int quality, int effort, CancellationToken cancellationToken)
    {
        if (width >= largest.Width)
        {
            return Encode(largest, quality, effort, cancellationToken);
        }

        using var resized = ThumbnailOf(largest, width, Unbounded, crop: false);
        return Encode(resized, quality, effort, cancellationToken);
    }

    private static EncodedImage EncodeThumbnail(VipsImage largest, ThumbnailRecipe recipe, CancellationToken cancellationToken)
    {
        using var thumbnail = ThumbnailOf(largest, recipe.Size, recipe.Size, crop: true);
        return Encode(thumbnail, recipe.Quality, recipe.Effort, cancellationToken);
    }

    private static EncodedImage Encode(VipsImage image, int quality, int effort, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var bare = WithoutMetadata(image);
        using var registration = cancellationToken.Register(bare.Kill);
        using var op = VipsOperation.New("webpsave_buffer")
            .Set("in", bare)
            .Set("Q", quality)
            .Set(Vips.WebpEffortArgument, effort);
        if (Vips.SaversHaveKeep)
        {
            op.SetFromString("keep", "none");
        }
        else
        {
            op.Set("strip", true);
        }

        using var built = op.Build();
        using var blob = built.GetBlob("buffer");
        return new EncodedImage(bare.Width, bare.Height, "webp", WebpContainer.StripMetadata(blob.ToArray()));
    }

    /// <summary>
    /// A header-only copy with every metadata field removed. Savers are asked to strip as well, but libvips 8.14's
    /// webpsave ignores <c>strip</c> and would write the original's EXIF (GPS included): what is not on the image
    /// cannot be written by any saver version.
    /// </summary>
    private static VipsImage WithoutMetadata(VipsImage image)
    {
        using var op = VipsOperation.New("copy").Set("in", image);
        using var built = op.Build();
        var copy = built.GetImage("out");
        foreach (var field in copy.Fields())
        {
            if (IsMetadata(field))
            {
                copy.Remove(field);
            }
        }

        return copy;
    }

    internal static bool IsMetadata(string field) =>
        field.EndsWith("-data", StringComparison.Ordinal)
        || field.StartsWith("exif-", StringComparison.Ordinal)
        || field.StartsWith("xmp", StringComparison.Ordinal)
        || field.StartsWith("iptc", StringComparison.Ordinal)
        || field.StartsWith("gps", StringComparison.OrdinalIgnoreCase)
        || field is "orientation" or "heif-primary" or "interlaced";

    private List<EncodedImage> RunLargestFirst(List<Func<EncodedImage>> jobs, CancellationToken cancellationToken)
    {
        // WebP encoding is single-threaded, so outputs of one image are encoded side by side; the largest (index
        // order is smallest first) starts first because it takes longest.
        var results = new EncodedImage[jobs.Count];
        try
        {
            Parallel.ForEach(
                Enumerable.Range(0, jobs.Count).Reverse(),
                new ParallelOptions { MaxDegreeOfParallelism = _encodeParallelism, CancellationToken = cancellationToken },
                i => results[i] = Decoding(cancellationToken, jobs[i]));
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }

        return [.. results];
    }

    /// <summary>Pixel work after a good header: a libvips failure there means the data itself is broken.</summary>
    private static T Decoding<T>(CancellationToken cancellationToken, Func<T> work)
    {
        try
        {
            return work();
        }
        catch (VipsException e)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Users see this message: keep libvips' own words, not the name of our call into it.
            var reason = e.Message.Replace("vips_image_copy_memory: ", "", StringComparison.Ordinal);
            throw new ImageProcessingException(ImageErrorCode.CorruptImage, "The image data is damaged or truncated: " + reason, e);
        }
    }

    private static IReadOnlyList<ImageFormat> DetectDecodableFormats()
    {
        var formats = new List<ImageFormat>();
        foreach (var format in ImageFormats.All)
        {
            if (!Vips.HasOperation(FormatDetector.LoaderOf(format)))
            {
                continue;
            }

            try
            {
                using var blob = VipsBlob.Copy(Convert.FromBase64String(FormatDetector.SampleOf(format)));
                using var op = VipsOperation.New(FormatDetector.LoaderOf(format)).Set("buffer", blob);
                using var built = op.Build();
                using var image = built.GetImage("out");
                using var copy = image.CopyMemory();
                formats.Add(format);
            }
            catch (VipsException)
            {
                // The loader exists but cannot decode this codec (e.g. heifload without an HEVC decoder).
            }
        }

        return formats;
    }

    private sealed class Source(VipsBlob blob, ImageInfo info) : IDisposable
    {
        public VipsBlob Blob { get; } = blob;

        public ImageInfo Info { get; } = info;

        public void Dispose() => Blob.Dispose();
    }
}
