using ImagePipeline.Core.Imaging;

namespace ImagePipeline.Imaging.Tests;

/// <summary>
/// The decode budget (<see cref="ImageLimits.MaxDecodeBytes"/>) weighs memory, where the pixel limit weighs pixels.
/// Decoding tests use a 1 MP pixel limit and a budget of the same shape as the defaults (4 bytes per pixel of the limit
/// plus room for a rendition beside a whole-frame decoder) to stay fast; header-only tests use the defaults.
/// </summary>
public sealed class DecodeBudgetTests
{
    private const long Budget = 5_500_000;

    private static readonly LibvipsImageEngine Default = new();

    private static readonly LibvipsImageEngine Small = new(new LibvipsEngineOptions
    {
        Limits = ImageLimits.Default with { MaxPixels = 1_000_000, MaxDecodeBytes = Budget },
    });

    [Fact]
    public void Process_SixteenBitRgbaUnderThePixelLimitButOverTheBudget_IsRefusedBeforeDecoding()
    {
        var png = TestInputs.Png(1000, 800, alpha: true, sixteenBit: true); // 0.8 MP x 4 bands x 2 bytes = 6.4 MB

        var probed = Assert.Throws<ImageProcessingException>(() => Small.Probe(png));
        Assert.Equal(ImageErrorCode.TooManyPixels, probed.Code);
        Assert.Contains("6,400,000 bytes", probed.Message, StringComparison.Ordinal);
        Assert.Contains("the limit is 5,500,000 bytes", probed.Message, StringComparison.Ordinal);

        // Cut short, the file would be corrupt_image if anything decoded it: it is refused from its header alone.
        var cut = TestInputs.Truncated(png, 0.3);
        Assert.Equal(ImageErrorCode.TooManyPixels, Assert.Throws<ImageProcessingException>(() => Small.Process(cut, ImageRecipe.Default, TestContext.Current.CancellationToken)).Code);

        // The same pixels in 8 bits (3.2 MB) pass.
        Small.Process(TestInputs.Png(1000, 800, alpha: true), ImageRecipe.Default, TestContext.Current.CancellationToken);
    }

    [Fact]
    public void Process_InterlacedPngWhoseWholeDecodeExceedsTheBudget_IsRefusedWhereItsStreamingTwinPasses()
    {
        // Adam7 makes libpng hold the whole 4 MB frame while the 640-wide rendition (1.6 MB) is rendered beside it.
        var interlaced = TestInputs.Png(1000, 1000, alpha: true, interlace: true);

        var error = Assert.Throws<ImageProcessingException>(() => Small.Process(interlaced, ImageRecipe.Default, TestContext.Current.CancellationToken));

        Assert.Equal(ImageErrorCode.TooManyPixels, error.Code);
        Assert.Contains("5,638,400 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("interlaced", error.Message, StringComparison.Ordinal);
        Assert.Contains("the limit is 5,500,000 bytes", error.Message, StringComparison.Ordinal);
        Small.Process(TestInputs.Png(1000, 1000, alpha: true), ImageRecipe.Default, TestContext.Current.CancellationToken);
    }

    [Fact]
    public void Probe_ProgressiveJpegWithoutChromaSubsampling_CountsItsCoefficients()
    {
        // libjpeg keeps 16-bit coefficients of all three full-size components of a multi-scan file: 6 bytes per pixel.
        var error = Assert.Throws<ImageProcessingException>(() => Small.Probe(TestInputs.Jpeg(1000, 1000, progressive: true, subsample: false)));

        Assert.Equal(ImageErrorCode.TooManyPixels, error.Code);
        Assert.Contains("6,000,000 bytes", error.Message, StringComparison.Ordinal);
        Small.Process(TestInputs.Jpeg(1000, 1000, progressive: false, subsample: false), ImageRecipe.Default, TestContext.Current.CancellationToken);
        Small.Process(TestInputs.Jpeg(1000, 1000, progressive: true, subsample: true), ImageRecipe.Default, TestContext.Current.CancellationToken);
    }

    [Fact]
    public void Probe_Avif_CountsTheDecodersWorkingSet()
    {
        // libheif and the AV1 decoder hold about 16-19 bytes per pixel: 0.48 MP of AVIF is over a budget 1 MP of PNG fits.
        var error = Assert.Throws<ImageProcessingException>(() => Small.Probe(TestInputs.Avif(800, 600)));

        Assert.Equal(ImageErrorCode.TooManyPixels, error.Code);
        Assert.Contains("9,600,000 bytes", error.Message, StringComparison.Ordinal);
        Small.Process(TestInputs.Avif(400, 300), ImageRecipe.Default, TestContext.Current.CancellationToken);
    }

    public static TheoryData<string, Func<byte[]>> OrdinaryPhotosAtThePixelLimit() => new()
    {
        { "baseline JPEG", () => TestInputs.Jpeg(1250, 800, progressive: false) },
        { "progressive JPEG 4:2:0", () => TestInputs.Jpeg(1250, 800, progressive: true) },
        { "RGBA PNG", () => TestInputs.Png(1250, 800, alpha: true) },
        { "interlaced RGB PNG", () => TestInputs.Png(1250, 800, alpha: false, interlace: true) },
        { "WebP", () => TestInputs.Webp(1250, 800) },
        { "GIF", () => TestInputs.Gif(1250, 800) },
        { "TIFF", () => TestInputs.Tiff(1250, 800) },
    };

    [Theory]
    [MemberData(nameof(OrdinaryPhotosAtThePixelLimit))]
    public void Process_Ordinary8BitPhotoAtThePixelLimit_Passes(string kind, Func<byte[]> make)
    {
        var result = Small.Process(make(), ImageRecipe.Default, TestContext.Current.CancellationToken);

        Assert.True(result.Source.Width * result.Source.Height == 1_000_000, kind);
        Assert.Equal((256, 256), (result.Thumbnail.Width, result.Thumbnail.Height));
    }

    [Theory]
    [InlineData(10_000, 10_000, false, false)] // 100 MP of 8-bit RGBA: 400 MB
    [InlineData(10_000, 10_000, false, true)] // the same, interlaced: 400 MB held whole
    [InlineData(8_000, 8_000, true, false)] // 64 MP of 16-bit RGBA: 512 MB
    public void Probe_DefaultLimits_AdmitImagesWithinTheBudget(int width, int height, bool sixteenBit, bool interlace)
    {
        var info = Default.Probe(TestInputs.PngHeaderOnly(width, height, sixteenBit, interlace));

        Assert.Equal((width, height, 4), (info.Width, info.Height, info.Bands));
    }

    [Theory]
    [InlineData(10_000, 10_000, "800,000,000 bytes")] // 100 MP of 16-bit RGBA
    [InlineData(8_200, 8_200, "537,920,000 bytes")] // 67 MP of 16-bit RGBA: just over 512 MiB
    public void Probe_DefaultLimits_RefuseSixteenBitRgbaOverTheBudget(int width, int height, string bytes)
    {
        var error = Assert.Throws<ImageProcessingException>(() => Default.Probe(TestInputs.PngHeaderOnly(width, height, sixteenBit: true, interlace: false)));

        Assert.Equal(ImageErrorCode.TooManyPixels, error.Code);
        Assert.Contains(bytes, error.Message, StringComparison.Ordinal);
        Assert.Contains("the limit is 536,870,912 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_NonPositiveBudget_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new LibvipsImageEngine(new LibvipsEngineOptions { Limits = ImageLimits.Default with { MaxDecodeBytes = 0 } }));
}
