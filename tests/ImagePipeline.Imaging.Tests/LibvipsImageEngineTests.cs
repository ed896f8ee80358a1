using ImagePipeline.Core.Imaging;
using ImagePipeline.TestImages;

namespace ImagePipeline.Imaging.Tests;

public sealed class LibvipsImageEngineTests
{
    private static readonly LibvipsImageEngine Engine = new();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Process_EveryExifOrientation_OutputsAreUprightWithoutOrientationTag(int orientation)
    {
        var result = Engine.Process(Samples.Read($"orientation-{orientation}.jpg"), ImageRecipe.Default, TestContext.Current.CancellationToken);

        Assert.Equal(orientation, result.Source.Orientation);
        Assert.Equal((SampleImageSet.OrientationWidth, SampleImageSet.OrientationHeight), (result.Source.Width, result.Source.Height));
        var rendition = Samples.Decode(result.Renditions[0].Image.Data);
        Assert.Equal((320, 213), (rendition.Width, rendition.Height));
        Assert.True(rendition.TopLeftIsRed, $"orientation {orientation}: the red corner is not top-left ({string.Join(",", rendition.TopLeft)})");
        Assert.False(rendition.BottomRightIsRed);
        Assert.DoesNotContain("orientation", rendition.MetadataFields);
    }

    [Fact]
    public void Resize_LargeCamera_MakesEveryRecipeWidthWithAspectKept()
    {
        var result = Engine.Resize(Samples.Read("camera-gps.jpg"), ImageRecipe.Default.Renditions, TestContext.Current.CancellationToken);

        Assert.Equal(["w320", "w640", "w1280", "w2048"], result.Renditions.Select(r => r.Name));
        foreach (var rendition in result.Renditions)
        {
            var decoded = Samples.Decode(rendition.Image.Data);
            Assert.Equal(int.Parse(rendition.Name[1..], System.Globalization.CultureInfo.InvariantCulture), decoded.Width);
            Assert.Equal(Math.Round(decoded.Width * 1600 / 2400.0), decoded.Height, tolerance: 1);
            Assert.Equal((decoded.Width, decoded.Height), (rendition.Image.Width, rendition.Image.Height));
            Assert.Equal("webp", rendition.Image.Format);
        }
    }

    [Fact]
    public void Resize_SourceNarrowerThanEveryWidth_MakesOneRenditionAtSourceWidth()
    {
        var result = Engine.Resize(Samples.Read("tiny.jpg"), ImageRecipe.Default.Renditions, TestContext.Current.CancellationToken);

        var only = Assert.Single(result.Renditions);
        Assert.Equal("w320", only.Name);
        Assert.Equal((160, 120), (only.Image.Width, only.Image.Height));
    }

    [Fact]
    public void Resize_TallerThanWebpCanHold_RenditionIsScaledToFit()
    {
        // 400x30000: the w320 rendition would be 24000 pixels tall; a WebP holds at most 16383 a side.
        var result = Engine.Resize(TestInputs.GradientPng(400, 30_000), ImageRecipe.Default.Renditions, TestContext.Current.CancellationToken);

        var only = Assert.Single(result.Renditions);
        Assert.Equal("w320", only.Name);
        Assert.Equal(16383, only.Image.Height);
        Assert.Equal(218, only.Image.Width, tolerance: 1);
        Assert.Equal((only.Image.Width, only.Image.Height), (Samples.Decode(only.Image.Data).Width, Samples.Decode(only.Image.Data).Height));
    }

    [Fact]
    public void Resize_PortraitWithOrientation6_WidthsApplyToTheUprightImage()
    {
        var result = Engine.Resize(Samples.Read("portrait-6.jpg"), ImageRecipe.Default.Renditions, TestContext.Current.CancellationToken);

        Assert.Equal((1200, 1800), (result.Source.Width, result.Source.Height));
        Assert.Equal(["w320", "w640"], result.Renditions.Select(r => r.Name));
        Assert.Equal(960, result.Renditions[1].Image.Height);
    }

    [Theory]
    [InlineData("camera-gps.jpg")]
    [InlineData("tiny.jpg")]
    [InlineData("alpha.png")]
    [InlineData("photo.webp")]
    [InlineData("animated.gif")]
    public void Thumbnail_AnyAcceptedSample_IsSquareWebpOfRecipeSize(string name)
    {
        var result = Engine.Thumbnail(Samples.Read(name), ImageRecipe.Default.Thumbnail, TestContext.Current.CancellationToken);

        var decoded = Samples.Decode(result.Thumbnail.Data);
        Assert.Equal((256, 256), (decoded.Width, decoded.Height));
        Assert.Equal("RIFF"u8.ToArray(), result.Thumbnail.Data[..4].ToArray());
    }

    [Fact]
    public void Process_CameraWithGps_NoOutputCarriesMetadata()
    {
        var result = Engine.Process(Samples.Read("camera-gps.jpg"), ImageRecipe.Default, TestContext.Current.CancellationToken);

        Assert.NotNull(result.Source.Metadata.Gps);
        foreach (var output in result.Renditions.Select(r => r.Image).Append(result.Thumbnail))
        {
            Assert.Empty(Samples.Decode(output.Data).MetadataFields);
            Assert.False(output.Data.Span.IndexOf("Exif"u8) >= 0, "an output contains an EXIF block");
            Assert.False(output.Data.Span.IndexOf("GPS"u8) >= 0, "an output mentions GPS");
        }
    }

    [Fact]
    public void Probe_CameraSample_ReadsTheExifSubset()
    {
        var info = Engine.Probe(Samples.Read("camera-gps.jpg"));

        Assert.Equal(ImageFormat.Jpeg, info.Format);
        Assert.Equal(
            new ImageMetadata("ImagePipeline", "Synthetic Camera 1", "Synthetic 24-70mm f/2.8", "2024-05-17T14:30:15", "1/250", 2.8, 200, 50, null),
            info.Metadata with { Gps = null });
        var gps = Assert.IsType<GpsLocation>(info.Metadata.Gps);
        Assert.Equal(48.8583701, gps.Latitude, 5);
        Assert.Equal(2.2944813, gps.Longitude, 5);
        Assert.Equal(35.5, gps.Altitude);
    }

    [Fact]
    public void Process_AlphaPng_KeepsTransparency()
    {
        var result = Engine.Process(Samples.Read("alpha.png"), ImageRecipe.Default, TestContext.Current.CancellationToken);

        Assert.Equal(4, Samples.Decode(result.Renditions[0].Image.Data).Bands);
    }

    [Fact]
    public void Process_AnimatedGif_UsesFirstFrameOnly()
    {
        var result = Engine.Process(Samples.Read("animated.gif"), ImageRecipe.Default, TestContext.Current.CancellationToken);

        Assert.Equal(3, result.Source.Pages);
        Assert.Equal((240, 160), (result.Source.Width, result.Source.Height));
        Assert.Equal(160, result.Renditions[0].Image.Height);
        Assert.True(Samples.Decode(result.Renditions[0].Image.Data).TopLeftIsRed, "the first frame carries the red corner");
    }

    [Theory]
    [InlineData("broken-truncated.jpg", ImageErrorCode.CorruptImage)]
    [InlineData("broken-empty.jpg", ImageErrorCode.UnsupportedFormat)]
    [InlineData("broken-text.jpg", ImageErrorCode.UnsupportedFormat)]
    [InlineData("bomb-120mp.png", ImageErrorCode.TooManyPixels)]
    public void Process_BrokenOrHostileSample_FailsWithItsCode(string name, ImageErrorCode expected)
    {
        var error = Assert.Throws<ImageProcessingException>(() => Engine.Process(Samples.Read(name), ImageRecipe.Default, TestContext.Current.CancellationToken));

        Assert.Equal(expected, error.Code);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Theory]
    [InlineData("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><image href=\"file:///etc/passwd\"/></svg>")]
    [InlineData("push graphic-context\nviewbox 0 0 640 480\nfill 'url(https://127.0.0.1/x.jpg)'\npop graphic-context\n")]
    [InlineData("BM6\0\0\0\0\0\0\06\0\0\0(\0\0\0")]
    public void Probe_NonAllowListedFormat_IsUnsupportedWithoutDecoding(string content)
    {
        var error = Assert.Throws<ImageProcessingException>(() => Engine.Probe(System.Text.Encoding.ASCII.GetBytes(content)));

        Assert.Equal(ImageErrorCode.UnsupportedFormat, error.Code);
    }

    [Fact]
    public void Probe_OverByteLimit_IsTooLargeBeforeAnyDecode()
    {
        var small = new LibvipsImageEngine(new LibvipsEngineOptions { Limits = ImageLimits.Default with { MaxBytes = 1000 } });

        var error = Assert.Throws<ImageProcessingException>(() => small.Probe(Samples.Read("tiny.jpg")));

        Assert.Equal(ImageErrorCode.TooLarge, error.Code);
    }

    [Fact]
    public void Probe_OverPixelLimit_IsTooManyPixels()
    {
        var strict = new LibvipsImageEngine(new LibvipsEngineOptions { Limits = ImageLimits.Default with { MaxPixels = 600 * 400 - 1 } });

        Assert.Equal(ImageErrorCode.TooManyPixels, Assert.Throws<ImageProcessingException>(() => strict.Probe(Samples.Read("orientation-1.jpg"))).Code);
        Assert.Equal(160, strict.Probe(Samples.Read("tiny.jpg")).Width);
    }

    [Fact]
    public void Process_CancelledToken_ThrowsOperationCanceled()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => Engine.Process(Samples.Read("camera-gps.jpg"), ImageRecipe.Default, cancelled.Token));
    }

    [Fact]
    public void Process_ManyImagesAtOnce_AllSucceedIdentically()
    {
        var original = Samples.Read("orientation-6.jpg");
        var expected = Engine.Process(original, ImageRecipe.Default, TestContext.Current.CancellationToken);

        var results = Enumerable.Range(0, 16).AsParallel().WithDegreeOfParallelism(4)
            .Select(_ => Engine.Process(original, ImageRecipe.Default, TestContext.Current.CancellationToken))
            .ToList();

        Assert.All(results, r => Assert.Equal(expected.Thumbnail.Data.ToArray(), r.Thumbnail.Data.ToArray()));
    }

    [Fact]
    public void DecodableFormats_BundledLibvips_IncludesEveryFormatButPossiblyHeic()
    {
        Assert.Superset(
            new HashSet<ImageFormat> { ImageFormat.Jpeg, ImageFormat.Png, ImageFormat.Webp, ImageFormat.Gif, ImageFormat.Avif, ImageFormat.Tiff },
            Engine.DecodableFormats.ToHashSet());
        Assert.Matches(@"^8\.\d+\.\d+$", LibvipsImageEngine.LibvipsVersion);
    }
}
