using System.Runtime.ExceptionServices;
using ImagePipeline.Core.Imaging;
using ImagePipeline.Imaging.Libvips;
using NetVips;

namespace ImagePipeline.Imaging;

/// <summary>
/// <see cref="IImageEngine"/> on libvips. Every call copies the original once into libvips-owned memory, reads the
/// header to enforce the limits, and decodes with shrink-on-load so a 24 MP JPEG never exists at full size in memory.
/// </summary>
/// <remarks>
/// Failures are classified by what they mean, with messages fit for a user and the same for every image of a code:
/// libvips' error buffer is process-wide, so its text can belong to another image and is kept only in the inner
/// exception, for logs. A decode failure becomes <see cref="ImageErrorCode.CorruptImage"/> only when a second decode of
/// the same bytes fails too and neither failure's text names the machine; text that names the machine (memory, threads,
/// temporary files), text nobody recognises, and a failure the second decode does not repeat are
/// <see cref="ImageErrorCode.Internal"/>, which the pipeline retries.
/// </remarks>
public sealed class LibvipsImageEngine : IImageEngine
{
    // libvips' VIPS_MAX_COORD: a height that never constrains a width-driven resize.
    private const int Unbounded = 10_000_000;

    // WebP's largest width or height.
    private const int WebpMaxDimension = 16383;

    /// <summary>The message of every <see cref="ImageErrorCode.CorruptImage"/> raised from libvips' failures.</summary>
    internal const string CorruptMessage = "The image data is damaged or truncated and cannot be decoded.";

    /// <summary>The message of every <see cref="ImageErrorCode.Internal"/> raised from libvips' failures.</summary>
    internal const string InternalMessage =
        "The image could not be processed because of a fault outside the image (such as memory or threads); a later attempt may succeed.";

    /// <summary>The message of a format variant the loader refuses; the format name is ours.</summary>
    internal static string UnsupportedVariantMessage(ImageFormat format) =>
        $"The {format.ToName().ToUpperInvariant()} image uses a variant that cannot be decoded.";

    private readonly int _encodeParallelism;

    /// <summary>Loads and initialises libvips (once per process) and finds out which formats it can decode.</summary>
    /// <exception cref="LibvipsNotFoundException">No libvips could be loaded; the message lists what was tried.</exception>
    public LibvipsImageEngine(LibvipsEngineOptions? options = null)
    {
        options ??= new LibvipsEngineOptions();
        options.Validate();
        LibvipsRuntime.Initialize(options.Concurrency);
        Limits = options.Limits;
        _encodeParallelism = options.EncodeParallelism;
        DecodableFormats = DetectDecodableFormats();
    }

    /// <inheritdoc />
    public IReadOnlyList<ImageFormat> DecodableFormats { get; }

    /// <inheritdoc />
    public ImageLimits Limits { get; }

    /// <summary>The loaded libvips version, e.g. <c>8.18.7</c>.</summary>
    public static string LibvipsVersion => LibvipsRuntime.Version.ToString();

    /// <summary>Where the loaded libvips came from: the bundled file or the one <c>IMAGEPIPELINE_LIBVIPS</c> names.</summary>
    public static string LibvipsSource => LibvipsRuntime.LoadedFrom;

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
        var jobs = plan.Select(p => (Func<EncodedImage>)(() => Rendering(cancellationToken, () => EncodeWidth(largest, p.Width, recipe.Quality, recipe.Effort, cancellationToken))));
        var encoded = RunLargestFirst(jobs.ToList(), cancellationToken);
        return new RenditionSet(source.Info, plan.Select((p, i) => new Rendition(p.Name, encoded[i])).ToList());
    }

    /// <inheritdoc />
    public ThumbnailResult Thumbnail(ReadOnlyMemory<byte> original, ThumbnailRecipe recipe, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        cancellationToken.ThrowIfCancellationRequested();
        using var source = Open(original);
        return new ThumbnailResult(source.Info, DecodeThumbnail(source, recipe, cancellationToken));
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
            .Select(p => (Func<EncodedImage>)(() => Rendering(cancellationToken, () => EncodeWidth(largest, p.Width, recipe.Renditions.Quality, recipe.Renditions.Effort, cancellationToken))))
            .Append(() => ThumbnailFromLargestIsSharp(source.Info, largest, recipe.Thumbnail)
                ? Rendering(cancellationToken, () => EncodeThumbnail(largest, recipe.Thumbnail, cancellationToken))
                : DecodeThumbnail(source, recipe.Thumbnail, cancellationToken))
            .ToList();
        var encoded = RunLargestFirst(jobs, cancellationToken);
        var renditions = plan.Select((p, i) => new Rendition(p.Name, encoded[i])).ToList();
        return new ProcessedImage(source.Info, renditions, encoded[^1]);
    }

    // A panorama's 2048-wide rendition can be shorter than the thumbnail edge while the original is not: then the
    // thumbnail gets a decode of its own rather than an enlargement of the rendition.
    private static bool ThumbnailFromLargestIsSharp(ImageInfo source, Image largest, ThumbnailRecipe recipe) =>
        Math.Min(largest.Width, largest.Height) >= Math.Min(recipe.Size, Math.Min(source.Width, source.Height));

    private Original Open(ReadOnlyMemory<byte> original)
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
                $"{format.ToName().ToUpperInvariant()} images cannot be decoded by the loaded libvips {LibvipsRuntime.Version}.");
        }

        Source data;
        try
        {
            data = Source.NewFromMemory(original.Span);
        }
        catch (VipsException e)
        {
            // Copying bytes into libvips' memory can only fail for want of memory.
            throw new ImageProcessingException(ImageErrorCode.Internal, InternalMessage, e);
        }

        try
        {
            var (info, footprint) = ReadHeader(data, format, original);
            return new Original(data, info, footprint);
        }
        catch
        {
            data.Dispose();
            throw;
        }
    }

    private (ImageInfo Info, DecodeFootprint Footprint) ReadHeader(Source data, ImageFormat format, ReadOnlyMemory<byte> original)
    {
        Header header;
        try
        {
            header = Header.Read(data, format);
        }
        catch (VipsException e)
        {
            throw ClassifyHeaderFailure(data, format, e);
        }

        // Only the first page or frame is ever decoded, so that is what the limits weigh.
        Limits.EnsurePixelsAllowed(header.Width, header.Height, 1);
        var footprint = DecodeFootprint.Of(format, header.Width, header.Height, header.Bands, header.BandFormat, header.Interlaced, header.ChromaSubsample);
        Limits.EnsureDecodeBytesAllowed(footprint.LeastBytes, footprint.Describe(DecodeFootprint.MaxShrink));
        var swapped = header.Orientation >= 5;
        var info = new ImageInfo(
            format,
            swapped ? header.Height : header.Width,
            swapped ? header.Width : header.Height,
            header.Bands,
            header.Pages,
            header.Orientation,
            original.Length,
            ExifReader.Read(original));
        return (info, footprint);
    }

    /// <summary>
    /// A header that libvips refused. Reading a header costs next to nothing, so it is read a second time: a failure
    /// that does not repeat, or whose text names the machine, was not the file's.
    /// </summary>
    private static ImageProcessingException ClassifyHeaderFailure(Source data, ImageFormat format, VipsException failure)
    {
        var first = VipsErrorText.Classify(LibvipsErrors.TextOf(failure));
        if (first == VipsFailureKind.Machine)
        {
            return new ImageProcessingException(ImageErrorCode.Internal, InternalMessage, failure);
        }

        VipsException again;
        try
        {
            _ = Header.Read(data, format);
            return new ImageProcessingException(ImageErrorCode.Internal, InternalMessage, failure);
        }
        catch (VipsException e)
        {
            again = e;
        }

        var second = VipsErrorText.Classify(LibvipsErrors.TextOf(again));
        var both = new AggregateException(failure, again);
        if (second == VipsFailureKind.Machine)
        {
            return new ImageProcessingException(ImageErrorCode.Internal, InternalMessage, both);
        }

        // A recognised container whose variant libvips refuses (12-bit JPEG, a HEIF codec it lacks) is a format we do
        // not support; a header that breaks for reasons the decoders name, or without a word, is damaged data.
        if (first == VipsFailureKind.Unsupported || second == VipsFailureKind.Unsupported)
        {
            return new ImageProcessingException(ImageErrorCode.UnsupportedFormat, UnsupportedVariantMessage(format), both);
        }

        return IsAboutTheFile(first) || IsAboutTheFile(second)
            ? new ImageProcessingException(ImageErrorCode.CorruptImage, CorruptMessage, both)
            : new ImageProcessingException(ImageErrorCode.Internal, InternalMessage, both);
    }

    private static bool IsAboutTheFile(VipsFailureKind kind) =>
        kind is VipsFailureKind.Decode or VipsFailureKind.Unsupported or VipsFailureKind.Silent;

    /// <summary>One shrink-on-load decode to the largest planned width, rendered to memory for every consumer.</summary>
    private Image DecodeLargest(Original source, IReadOnlyList<(string Name, int Width)> plan, CancellationToken cancellationToken)
    {
        var width = plan.Max(p => p.Width);
        var scale = (double)width / source.Info.Width;

        // A decoder that holds its whole frame still holds it while the rendition is rendered to memory beside it.
        var rendition = source.Footprint.HoldsWholeFrame ? RenditionBytes(source.Info, width) : 0;
        return Decode(source, scale, cancellationToken, () =>
        {
            using var loaded = Load(source, scale, rendition);
            using var resized = ThumbnailOf(loaded, width, Unbounded, crop: false);
            using var registration = cancellationToken.Register(() => resized.SetKill(true));
            using var memory = resized.CopyMemory();

            // Already sRGB: without the profile, later resizes skip a needless sRGB→sRGB transform.
            return memory.Mutate(m => m.Remove("icc-profile-data"));
        });
    }

    private static long RenditionBytes(ImageInfo source, int width)
    {
        var height = Math.Ceiling((double)source.Height * Math.Min(width, source.Width) / source.Width);
        return (long)(Math.Min(width, source.Width) * height * DecodeFootprint.RenditionBytesPerPixel);
    }

    /// <summary>The square thumbnail from a decode of its own, shrunk on load as far as the cover crop allows.</summary>
    private EncodedImage DecodeThumbnail(Original source, ThumbnailRecipe recipe, CancellationToken cancellationToken)
    {
        // Cover crop: the short side must still reach the edge after shrink-on-load.
        var scale = (double)recipe.Size / Math.Min(source.Info.Width, source.Info.Height);
        return Decode(source, scale, cancellationToken, () =>
        {
            using var loaded = Load(source, scale);
            using var cropped = ThumbnailOf(loaded, recipe.Size, recipe.Size, crop: true);
            return Encode(cropped, recipe.Quality, recipe.Effort, cancellationToken);
        });
    }

    /// <summary>
    /// Opens the first frame with the format's own shrink-on-load, as far as it stays at or above
    /// <paramref name="scale"/> of the full size. Loading explicitly (not through thumbnail_buffer, whose tile cache
    /// turns read errors into warnings) makes <c>fail_on=truncated</c> reach the caller as an error. The decode budget
    /// is checked first, with the shrink the loader will apply and <paramref name="alsoHeld"/> bytes held beside it.
    /// </summary>
    private Image Load(Original source, double scale, long alsoHeld = 0)
    {
        var shrink = 1;
        while (shrink < DecodeFootprint.MaxShrink && 1.0 / (shrink * 2) >= scale)
        {
            shrink *= 2;
        }

        var footprint = source.Footprint;
        var detail = footprint.Describe(shrink) + (alsoHeld > 0 ? $", plus a {alsoHeld}-byte rendition held beside the frame" : "");
        Limits.EnsureDecodeBytesAllowed(footprint.BytesAt(shrink) + alsoHeld, detail);

        var options = new VOption { { "access", Enums.Access.Sequential }, { "fail_on", Enums.FailOn.Truncated } };
        if (shrink > 1 && source.Info.Format == ImageFormat.Jpeg)
        {
            options.Add("shrink", shrink);
        }
        else if (shrink > 1 && source.Info.Format == ImageFormat.Webp)
        {
            options.Add("scale", 1.0 / shrink);
        }

        return (Image)Operation.Call(FormatDetector.LoaderOf(source.Info.Format), options, source.Data);
    }

    /// <summary>libvips' thumbnail on a loaded image: orientation, colour management to sRGB, alpha-correct resampling.</summary>
    private static Image ThumbnailOf(Image image, int width, int height, bool crop) => crop
        ? image.ThumbnailImage(width, height, crop: Enums.Interesting.Attention)
        : image.ThumbnailImage(width, height, size: Enums.Size.Down);

    private static EncodedImage EncodeWidth(Image largest, int width, int quality, int effort, CancellationToken cancellationToken)
    {
        if (width >= largest.Width)
        {
            return Encode(largest, quality, effort, cancellationToken);
        }

        using var resized = ThumbnailOf(largest, width, Unbounded, crop: false);
        return Encode(resized, quality, effort, cancellationToken);
    }

    private static EncodedImage EncodeThumbnail(Image largest, ThumbnailRecipe recipe, CancellationToken cancellationToken)
    {
        using var thumbnail = ThumbnailOf(largest, recipe.Size, recipe.Size, crop: true);
        return Encode(thumbnail, recipe.Quality, recipe.Effort, cancellationToken);
    }

    private static EncodedImage Encode(Image image, int quality, int effort, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (image.Width > WebpMaxDimension || image.Height > WebpMaxDimension)
        {
            // A WebP holds at most 16383 pixels a side: a very tall image's rendition is scaled down to fit (its name
            // stays the recipe's) rather than failing the same way on every attempt.
            using var fitted = ThumbnailOf(image, WebpMaxDimension, WebpMaxDimension, crop: false);
            return Encode(fitted, quality, effort, cancellationToken);
        }

        using var bare = WithoutMetadata(image);
        using var registration = cancellationToken.Register(() => bare.SetKill(true));
        var options = new VOption { { "Q", quality }, { LibvipsRuntime.WebpEffortArgument, effort } };
        if (LibvipsRuntime.SaversHaveKeep)
        {
            options.Add("keep", Enums.ForeignKeep.None);
        }
        else
        {
            options.Add("strip", true);
        }

        var webp = (byte[])Operation.Call("webpsave_buffer", options, bare);
        return new EncodedImage(bare.Width, bare.Height, "webp", WebpContainer.StripMetadata(webp));
    }

    /// <summary>
    /// A header-only copy with every metadata field removed. Savers are asked to strip as well, but libvips 8.14's
    /// webpsave ignores <c>strip</c> and would write the original's EXIF (GPS included): what is not on the image
    /// cannot be written by any saver version.
    /// </summary>
    private static Image WithoutMetadata(Image image) => image.Mutate(copy =>
    {
        foreach (var field in copy.GetFields())
        {
            if (IsMetadata(field))
            {
                copy.Remove(field);
            }
        }
    });

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
                i => results[i] = jobs[i]());
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }

        return [.. results];
    }

    /// <summary>
    /// Pixel work that decodes <paramref name="source"/> at <paramref name="scale"/>. When libvips fails, its text says
    /// what it says, but it may be another image's: see <see cref="ClassifyDecodeFailure"/>.
    /// </summary>
    private T Decode<T>(Original source, double scale, CancellationToken cancellationToken, Func<T> work)
    {
        try
        {
            return work();
        }
        catch (VipsException e)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw ClassifyDecodeFailure(source, scale, e, cancellationToken);
        }
    }

    /// <summary>
    /// Machine text (memory, threads, temporary files) is <see cref="ImageErrorCode.Internal"/> at once. Otherwise the
    /// file is decoded a second time, on its own (the same loader and shrink, into a statistic that keeps no pixels):
    /// when that succeeds the first failure was not the file's (Internal); when it fails too, without machine text,
    /// and either failure's text is a decoder's complaint (or says nothing, as libvips' PNG loader does), the data is
    /// damaged (<see cref="ImageErrorCode.CorruptImage"/>); text nobody recognises stays Internal.
    /// </summary>
    private ImageProcessingException ClassifyDecodeFailure(Original source, double scale, VipsException failure, CancellationToken cancellationToken)
    {
        var first = VipsErrorText.Classify(LibvipsErrors.TextOf(failure));
        if (first == VipsFailureKind.Machine)
        {
            return new ImageProcessingException(ImageErrorCode.Internal, InternalMessage, failure);
        }

        var again = DecodeAgain(source, scale, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        if (again is null)
        {
            return new ImageProcessingException(ImageErrorCode.Internal, InternalMessage, failure);
        }

        var second = VipsErrorText.Classify(LibvipsErrors.TextOf(again));
        var both = new AggregateException(failure, again);
        return second != VipsFailureKind.Machine && (IsAboutTheFile(first) || IsAboutTheFile(second))
            ? new ImageProcessingException(ImageErrorCode.CorruptImage, CorruptMessage, both)
            : new ImageProcessingException(ImageErrorCode.Internal, InternalMessage, both);
    }

    /// <summary>Decodes every pixel once more into <c>avg</c>; null when that succeeds, else its failure.</summary>
    private VipsException? DecodeAgain(Original source, double scale, CancellationToken cancellationToken)
    {
        try
        {
            using var loaded = Load(source, scale);
            using var registration = cancellationToken.Register(() => loaded.SetKill(true));
            _ = loaded.Avg();
            return null;
        }
        catch (VipsException e)
        {
            return e;
        }
    }

    /// <summary>Work on an image already in memory (encoding a rendition): a libvips failure there is never the file's.</summary>
    private static T Rendering<T>(CancellationToken cancellationToken, Func<T> work)
    {
        try
        {
            return work();
        }
        catch (VipsException e)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new ImageProcessingException(ImageErrorCode.Internal, InternalMessage, e);
        }
    }

    private static IReadOnlyList<ImageFormat> DetectDecodableFormats()
    {
        var formats = new List<ImageFormat>();
        foreach (var format in ImageFormats.All)
        {
            if (!LibvipsRuntime.HasOperation(FormatDetector.LoaderOf(format)))
            {
                continue;
            }

            try
            {
                using var sample = Source.NewFromMemory(Convert.FromBase64String(FormatDetector.SampleOf(format)));
                using var image = (Image)Operation.Call(FormatDetector.LoaderOf(format), null, sample);
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

    private sealed class Original(Source data, ImageInfo info, DecodeFootprint footprint) : IDisposable
    {
        /// <summary>libvips' copy of the bytes; every load of this image reads it (never two at once).</summary>
        public Source Data { get; } = data;

        public ImageInfo Info { get; } = info;

        public DecodeFootprint Footprint { get; } = footprint;

        public void Dispose() => Data.Dispose();
    }

    /// <summary>What the loader says before decoding: stored size of the first page, samples, layout.</summary>
    private readonly record struct Header(
        int Width, int Height, int Bands, int Pages, int Orientation, Enums.BandFormat BandFormat, bool Interlaced, string? ChromaSubsample)
    {
        public static Header Read(Source data, ImageFormat format)
        {
            using var header = (Image)Operation.Call(FormatDetector.LoaderOf(format), null, data);
            return new Header(
                header.Width,
                header.PageHeight,
                header.Bands,
                IntField(header, "n-pages") is { } pages and > 1 ? pages : 1,
                IntField(header, "orientation") is { } tag and >= 1 and <= 8 ? tag : 1,
                header.Format,
                IntField(header, "interlaced") is > 0,
                header.Contains("jpeg-chroma-subsample") ? header.Get("jpeg-chroma-subsample") as string : null);
        }

        private static int? IntField(Image image, string name) => image.Contains(name) ? image.Get(name) as int? : null;
    }
}
