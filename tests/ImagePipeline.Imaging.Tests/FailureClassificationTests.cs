using System.Collections.Concurrent;
using System.Globalization;
using ImagePipeline.Core.Imaging;

namespace ImagePipeline.Imaging.Tests;

/// <summary>
/// Tests that read libvips' process-wide error buffer on purpose (concurrent failures, an allocation that fails) run
/// alone, so no other test's failures write into it meanwhile.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LibvipsErrorBufferCollection
{
    public const string Name = "libvips error buffer";
}

/// <summary>What a failure of libvips means: damaged data is corrupt_image, the machine is internal (retried).</summary>
[Collection(LibvipsErrorBufferCollection.Name)]
public sealed class FailureClassificationTests
{
    private static readonly LibvipsImageEngine Engine = new();

    [Fact]
    public void Process_GoodAndCorruptImagesOnEightThreads_EachGetsItsOwnOutcomeAndNoOtherImagesText()
    {
        var inputs = MixedInputs();
        var outcomes = new ConcurrentBag<(string Name, bool Corrupt, Exception? Error)>();
        var work = Enumerable.Range(0, 8 * 12).Select(i => inputs[i % inputs.Count]).ToList();

        Parallel.ForEach(
            work,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = TestContext.Current.CancellationToken },
            input =>
            {
                try
                {
                    Engine.Process(input.Data, ImageRecipe.Default, TestContext.Current.CancellationToken);
                    outcomes.Add((input.Name, input.Corrupt, null));
                }
                catch (Exception e)
                {
                    outcomes.Add((input.Name, input.Corrupt, e));
                }
            });

        Assert.Equal(work.Count, outcomes.Count);
        Assert.All(outcomes.Where(o => !o.Corrupt), o => Assert.True(o.Error is null, $"{o.Name}: {o.Error}"));
        var failures = outcomes.Where(o => o.Corrupt).ToList();
        Assert.All(failures, o => Assert.Equal(ImageErrorCode.CorruptImage, Assert.IsType<ImageProcessingException>(o.Error).Code));

        // Every line libvips wrote for any image (kept for logs in the inner exceptions) stays out of every message.
        var libvipsLines = failures.SelectMany(o => InnerMessages(o.Error!)).SelectMany(m => m.Split([": ", "; "], StringSplitOptions.None))
            .Where(line => line.Length > 3).ToHashSet();
        Assert.NotEmpty(libvipsLines);
        Assert.All(failures, o => Assert.DoesNotContain(libvipsLines, line => o.Error!.Message.Contains(line, StringComparison.Ordinal)));
        Assert.Single(failures.Select(o => o.Error!.Message).Distinct());
    }

    [Fact]
    public void Process_TruncatedInterlacedPng_WhoseLoaderReportsNoError_IsCorrupt()
    {
        // libvips' PNG loader reports libpng's complaint as a warning: the failure carries no error text at all.
        var truncated = TestInputs.Truncated(TestInputs.Png(300, 200, alpha: true, interlace: true), 0.5);

        for (var attempt = 0; attempt < 5; attempt++)
        {
            var error = Assert.Throws<ImageProcessingException>(() => Engine.Process(truncated, ImageRecipe.Default, TestContext.Current.CancellationToken));
            Assert.Equal(ImageErrorCode.CorruptImage, error.Code);
        }
    }

    [Fact]
    public void Process_AllocationLargerThanTheMachine_IsInternalWithLibvipsTextOnlyInTheInnerException()
    {
        // A real out-of-memory: the header of an Adam7 PNG of 100000x1000000 16-bit RGBA passes limits opened wide, and
        // the loader asks libvips for its 800 GB frame at once (vips_tracked_malloc fails and says "out of memory").
        var frameBytes = 100_000L * 1_000_000 * 8;
        Assert.SkipWhen(OvercommitAlways(), "vm.overcommit_memory=1: the kernel would grant the 800 GB frame.");
        Assert.SkipWhen(MemoryAndSwapBytes() >= frameBytes, "this machine could hold the 800 GB frame.");
        var unlimited = new LibvipsImageEngine(new LibvipsEngineOptions
        {
            Limits = ImageLimits.Default with { MaxPixels = long.MaxValue, MaxDecodeBytes = long.MaxValue },
        });
        var png = TestInputs.PngHeaderOnly(100_000, 1_000_000, sixteenBit: true, interlace: true);

        Assert.Equal((100_000, 1_000_000), (unlimited.Probe(png).Width, unlimited.Probe(png).Height));
        foreach (var call in new Func<object>[]
        {
            () => unlimited.Process(png, ImageRecipe.Default, TestContext.Current.CancellationToken),
            () => unlimited.Thumbnail(png, ImageRecipe.Default.Thumbnail, TestContext.Current.CancellationToken),
        })
        {
            var error = Assert.Throws<ImageProcessingException>(call);
            Assert.Equal(ImageErrorCode.Internal, error.Code);
            Assert.DoesNotContain("memory --", error.Message, StringComparison.Ordinal);
            Assert.Contains("out of memory", error.InnerException!.ToString(), StringComparison.Ordinal);
        }

        // The default limits refuse the same file before decoding.
        Assert.Equal(ImageErrorCode.TooManyPixels, Assert.Throws<ImageProcessingException>(() => Engine.Probe(png)).Code);
    }

    [Fact]
    public void Process_CorruptSample_MessageIsOursAndLibvipsTextIsInTheInnerException()
    {
        var error = Assert.Throws<ImageProcessingException>(() => Engine.Process(Samples.Read("broken-truncated.jpg"), ImageRecipe.Default, TestContext.Current.CancellationToken));

        Assert.Equal(ImageErrorCode.CorruptImage, error.Code);
        Assert.DoesNotContain("VipsJpeg", error.Message, StringComparison.Ordinal);
        Assert.Contains("premature end of JPEG", error.InnerException!.ToString(), StringComparison.Ordinal);
    }

    private static List<(string Name, byte[] Data, bool Corrupt)> MixedInputs()
    {
        var alphaPng = Samples.Read("alpha.png");
        var interlaced = TestInputs.Png(300, 200, alpha: true, interlace: true);
        var tiff = TestInputs.Tiff(300, 200);
        var webp = Samples.Read("photo.webp");
        var gif = TestInputs.Gif(240, 160);
        return
        [
            ("orientation-1.jpg", Samples.Read("orientation-1.jpg"), false),
            ("orientation-6.jpg", Samples.Read("orientation-6.jpg"), false),
            ("tiny.jpg", Samples.Read("tiny.jpg"), false),
            ("alpha.png", alphaPng, false),
            ("interlaced.png", interlaced, false),
            ("photo.webp", webp, false),
            ("animated.gif", Samples.Read("animated.gif"), false),
            ("photo.tif", tiff, false),
            ("broken-truncated.jpg", Samples.Read("broken-truncated.jpg"), true),
            ("alpha.png cut at 1/2", TestInputs.Truncated(alphaPng, 0.5), true),
            ("interlaced.png cut at 1/2", TestInputs.Truncated(interlaced, 0.5), true),
            ("photo.webp cut at 1/2", TestInputs.Truncated(webp, 0.5), true),
            ("photo.tif cut at 1/2", TestInputs.Truncated(tiff, 0.5), true),
            ("one-frame.gif cut at 1/2", TestInputs.Truncated(gif, 0.5), true),
        ];
    }

    private static IEnumerable<string> InnerMessages(Exception error) => error.InnerException switch
    {
        AggregateException all => all.InnerExceptions.Select(e => e.Message),
        { } one => [one.Message],
        null => [],
    };

    private static bool OvercommitAlways() =>
        File.Exists("/proc/sys/vm/overcommit_memory") && File.ReadAllText("/proc/sys/vm/overcommit_memory").Trim() == "1";

    private static long MemoryAndSwapBytes()
    {
        if (!File.Exists("/proc/meminfo"))
        {
            return long.MaxValue;
        }

        long Kilobytes(string field) => File.ReadLines("/proc/meminfo")
            .Where(line => line.StartsWith(field + ":", StringComparison.Ordinal))
            .Select(line => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture))
            .FirstOrDefault();
        return (Kilobytes("MemTotal") + Kilobytes("SwapTotal")) * 1024;
    }
}
