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

    /// <summary>The output folder name the CLI gives an input (no collisions among the samples).</summary>
    public static string Stem(string name) => Path.GetFileNameWithoutExtension(name);
}
