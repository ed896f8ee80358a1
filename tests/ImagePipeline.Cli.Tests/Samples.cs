using ImagePipeline.TestImages;

namespace ImagePipeline.Cli.Tests;

/// <summary>The committed sample-images/ set as the CLI tests see it.</summary>
internal static class Samples
{
    /// <summary>The samples that must fail, with the error code each must fail with.</summary>
    public static IReadOnlyDictionary<string, string> BrokenCodes { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["bomb-120mp.png"] = "too_many_pixels",
        ["broken-empty.jpg"] = "unsupported_format",
        ["broken-text.jpg"] = "unsupported_format",
        ["broken-truncated.jpg"] = "corrupt_image",
    };

    public static string Folder { get; } = Path.Combine(RepoRoot.Find(), "sample-images");

    /// <summary>Every sample SampleImageSet makes, in its order.</summary>
    public static IReadOnlyList<string> AllNames { get; } = [.. SampleImageSet.Files.Select(f => f.Name)];

    public static IReadOnlyList<string> GoodNames { get; } = [.. AllNames.Where(n => !BrokenCodes.ContainsKey(n))];

    public static IReadOnlyList<string> BrokenNames { get; } = [.. AllNames.Where(BrokenCodes.ContainsKey)];

    public static string PathOf(string name) => SampleImageSet.PathOf(Folder, name);

    /// <summary>
    /// A 24 MP JPEG cut off at 90 % (made once per test run, beside the tests): <c>corrupt_image</c> like
    /// broken-truncated.jpg, but each stage takes a hundred milliseconds or more to find out, where the small broken
    /// samples fail within a few. Reprocess tests use it: the API answers a reprocess once it has queued the stages and
    /// set them back to pending, and a stage that fails again within milliseconds can finish before that answer.
    /// </summary>
    public static string SlowCorruptJpeg => SlowCorrupt.Value;

    private static readonly Lazy<string> SlowCorrupt = new(() =>
    {
        var whole = SampleImageSet.LargeJpeg(6000, 4000);
        var path = Path.Combine(AppContext.BaseDirectory, "truncated-24mp.jpg");
        File.WriteAllBytes(path, whole[..(whole.Length * 9 / 10)]);
        return path;
    });

    /// <summary>The output folder name the CLI gives an input (no collisions among the samples).</summary>
    public static string Stem(string name) => Path.GetFileNameWithoutExtension(name);
}
