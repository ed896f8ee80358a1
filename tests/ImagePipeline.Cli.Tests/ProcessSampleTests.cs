using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ImagePipeline.TestImages;
using static ImagePipeline.Cli.Tests.OutputChecks;

namespace ImagePipeline.Cli.Tests;

/// <summary><c>process --json</c> on the good samples, run once by <see cref="SampleRuns"/>.</summary>
public sealed class ProcessSampleTests(SampleRuns runs)
{
    private static readonly int[] RecipeWidths = [320, 640, 1280, 2048];

    [Fact]
    public void Process_GoodSamples_ExitsZeroWithOneProcessedOutcomePerInput()
    {
        runs.Good.AssertExitCode(0);
        var outcomes = OutcomesByInput(runs.Good);
        Assert.Equal(Samples.GoodNames.Count, outcomes.Count);
        foreach (var name in Samples.GoodNames)
        {
            var outcome = Assert.Contains(Samples.PathOf(name), outcomes);
            Assert.Equal("processed", Text(outcome, "status"));
            Assert.Equal(Path.Combine(runs.GoodOut, Samples.Stem(name)), Text(outcome, "output"));
        }

        Assert.DoesNotContain("failed", runs.Good.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Process_GoodSamples_WritesRenditionsThumbnailAndMetadataPerInput()
    {
        Assert.Equal(
            Samples.GoodNames.Select(Samples.Stem).Order(StringComparer.Ordinal),
            Directory.EnumerateDirectories(runs.GoodOut).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var name in Samples.GoodNames)
        {
            var dir = Path.Combine(runs.GoodOut, Samples.Stem(name));
            foreach (var file in (string[])["w320.webp", "thumbnail.webp", "metadata.json"])
            {
                Assert.True(File.Exists(Path.Combine(dir, file)), $"{name}: missing {file}");
            }
        }
    }

    [Fact]
    public void Process_GoodSamples_MetadataJsonHasExactlyTheDesignedFields()
    {
        foreach (var name in Samples.GoodNames)
        {
            var metadata = runs.GoodMetadata(name);
            AssertDesignedShape(metadata);
            Assert.Equal(Samples.PathOf(name), Text(metadata, "source"));
        }
    }

    [Theory]
    [InlineData("camera-gps.jpg", "jpeg", 2400, 1600, "w320 w640 w1280 w2048")]
    [InlineData("portrait-6.jpg", "jpeg", 1200, 1800, "w320 w640")]
    [InlineData("tiny.jpg", "jpeg", 160, 120, "w320")]
    [InlineData("alpha.png", "png", 400, 300, "w320")]
    [InlineData("photo.webp", "webp", 800, 600, "w320 w640")]
    [InlineData("animated.gif", "gif", 240, 160, "w320")]
    [InlineData("orientation-1.jpg", "jpeg", SampleImageSet.OrientationWidth, SampleImageSet.OrientationHeight, "w320")]
    [InlineData("orientation-2.jpg", "jpeg", SampleImageSet.OrientationWidth, SampleImageSet.OrientationHeight, "w320")]
    [InlineData("orientation-3.jpg", "jpeg", SampleImageSet.OrientationWidth, SampleImageSet.OrientationHeight, "w320")]
    [InlineData("orientation-4.jpg", "jpeg", SampleImageSet.OrientationWidth, SampleImageSet.OrientationHeight, "w320")]
    [InlineData("orientation-5.jpg", "jpeg", SampleImageSet.OrientationWidth, SampleImageSet.OrientationHeight, "w320")]
    [InlineData("orientation-6.jpg", "jpeg", SampleImageSet.OrientationWidth, SampleImageSet.OrientationHeight, "w320")]
    [InlineData("orientation-7.jpg", "jpeg", SampleImageSet.OrientationWidth, SampleImageSet.OrientationHeight, "w320")]
    [InlineData("orientation-8.jpg", "jpeg", SampleImageSet.OrientationWidth, SampleImageSet.OrientationHeight, "w320")]
    public void Process_GoodSample_ReportsUprightSizeAndNeverUpscales(string name, string format, int width, int height, string renditionNames)
    {
        var metadata = runs.GoodMetadata(name);
        var original = metadata["original"]!.AsObject();
        Assert.Equal(format, Text(original, "format"));
        Assert.Equal((width, height), ((int)Number(original, "width"), (int)Number(original, "height")));
        Assert.Equal(new FileInfo(Samples.PathOf(name)).Length, Number(original, "bytes"));

        var renditions = metadata["renditions"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.Equal(renditionNames.Split(' '), renditions.Select(r => Text(r, "name")));
        foreach (var rendition in renditions)
        {
            var recipeWidth = int.Parse(Text(rendition, "name")[1..], CultureInfo.InvariantCulture);
            var expectedWidth = Math.Min(recipeWidth, width);
            Assert.Equal(expectedWidth, Number(rendition, "width"));
            Assert.InRange(Number(rendition, "height"), (long)Math.Floor((double)height * expectedWidth / width), (long)Math.Ceiling((double)height * expectedWidth / width));
        }

        // Every recipe width above the upright source width is skipped.
        Assert.All(RecipeWidths.Where(w => w > width && w != 320), w => Assert.False(File.Exists(Path.Combine(runs.GoodOut, Samples.Stem(name), $"w{w}.webp"))));
    }

    [Fact]
    public void Process_CameraGpsJpeg_MakesFourRenditionsAndReportsTheSampleExif()
    {
        var metadata = runs.GoodMetadata("camera-gps.jpg");
        var renditions = metadata["renditions"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.Equal(["w320", "w640", "w1280", "w2048"], renditions.Select(r => Text(r, "name")));
        Assert.Equal([320L, 640, 1280, 2048], renditions.Select(r => Number(r, "width")));

        var exif = metadata["metadata"]!.AsObject();
        AssertCameraExif(SyntheticImages.Camera, exif);
        var camera = SyntheticImages.Camera;
        var gps = exif["gps"]!.AsObject();
        Assert.Equal(camera.Gps!.Value.Latitude, Decimal(gps, "latitude"), 6);
        Assert.Equal(camera.Gps!.Value.Longitude, Decimal(gps, "longitude"), 6);
        Assert.Equal(camera.Gps!.Value.Altitude, Decimal(gps, "altitude"), 2);
    }

    [Fact]
    public void Process_Portrait6Jpeg_ReportsOrientedOriginal1200x1800AndNoGps()
    {
        var metadata = runs.GoodMetadata("portrait-6.jpg");
        var original = metadata["original"]!.AsObject();
        Assert.Equal(1200, Number(original, "width"));
        Assert.Equal(1800, Number(original, "height"));

        var renditions = metadata["renditions"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.Equal([(320L, 480L), (640L, 960L)], renditions.Select(r => (Number(r, "width"), Number(r, "height"))));

        var exif = metadata["metadata"]!.AsObject();
        AssertCameraExif(SyntheticImages.Camera, exif);
        Assert.Null(exif["gps"]);
    }

    [Fact]
    public void Process_TinyJpeg_MakesOnlyW320AtTheSourceWidth()
    {
        var metadata = runs.GoodMetadata("tiny.jpg");
        var rendition = Assert.Single(metadata["renditions"]!.AsArray())!.AsObject();
        Assert.Equal("w320", Text(rendition, "name"));
        Assert.Equal(160, Number(rendition, "width"));
        Assert.Equal(120, Number(rendition, "height"));
        Assert.Equal("w320.webp", Text(rendition, "file"));

        // tiny.jpg carries no EXIF: every member is present and null.
        var exif = metadata["metadata"]!.AsObject();
        Assert.All(ExifFields, field => Assert.Null(exif[field]));
    }

    [Fact]
    public void Process_GoodSamples_ThumbnailIs256x256Webp()
    {
        foreach (var name in Samples.GoodNames)
        {
            var thumbnail = runs.GoodMetadata(name)["thumbnail"]!.AsObject();
            Assert.Equal((256L, 256L), (Number(thumbnail, "width"), Number(thumbnail, "height")));
            var webp = WebpFile.Read(Path.Combine(runs.GoodOut, Samples.Stem(name), "thumbnail.webp"));
            Assert.Equal((256, 256), (webp.Width, webp.Height));
        }
    }

    [Fact]
    public void Process_GoodSamples_WebpFilesMatchMetadataAndCarryNoExifXmpOrIcc()
    {
        var problems = new List<string>();
        foreach (var name in Samples.GoodNames)
        {
            var dir = Path.Combine(runs.GoodOut, Samples.Stem(name));
            problems.AddRange(FileProblems(dir, runs.GoodMetadata(name)));
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void Process_CameraSamples_OutputsContainNoCameraOrGpsBytes()
    {
        // Belt and braces beside the chunk walk: the EXIF strings of the originals appear nowhere in the outputs.
        var model = Encoding.ASCII.GetBytes(SyntheticImages.Camera.Model);
        foreach (var name in (string[])["camera-gps.jpg", "portrait-6.jpg"])
        {
            Assert.True(File.ReadAllBytes(Samples.PathOf(name)).AsSpan().IndexOf(model) >= 0, $"{name} should carry the camera model");
            foreach (var file in Directory.EnumerateFiles(Path.Combine(runs.GoodOut, Samples.Stem(name)), "*.webp"))
            {
                Assert.True(File.ReadAllBytes(file).AsSpan().IndexOf(model) < 0, $"{file} carries the camera model");
            }
        }
    }

    private static void AssertCameraExif(CameraExif camera, JsonObject exif)
    {
        Assert.Equal(camera.Make, Text(exif, "cameraMake"));
        Assert.Equal(camera.Model, Text(exif, "cameraModel"));
        Assert.Equal(camera.LensModel, Text(exif, "lensModel"));
        Assert.Equal(camera.TakenAt.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture), Text(exif, "takenAt"));
        Assert.Equal($"1/{camera.ExposureTime.Denominator / camera.ExposureTime.Numerator}", Text(exif, "exposureTime"));
        Assert.Equal((double)camera.FNumber.Numerator / camera.FNumber.Denominator, Decimal(exif, "fNumber"), 2);
        Assert.Equal(camera.Iso, Number(exif, "iso"));
        Assert.Equal((double)camera.FocalLength.Numerator / camera.FocalLength.Denominator, Decimal(exif, "focalLength"), 2);
    }
}
