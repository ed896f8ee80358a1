using System.Globalization;

namespace ImagePipeline.Benchmarks;

/// <summary>One generated input: its label (24 MP…) and size.</summary>
internal sealed record InputSize(string Label, int Width, int Height)
{
    public string FileName => $"photo-{Label.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant()}-{Width}x{Height}.jpg";
}

/// <summary>The command line of the benchmark.</summary>
internal sealed record BenchmarkOptions(int Runs, string OutputDirectory, IReadOnlyList<InputSize> Sizes, bool CheckOutputs, bool Breakdown)
{
    public const string Usage = """
        usage: ImagePipeline.Benchmarks [--runs N] [--out DIR] [--sizes 24,12] [--check-outputs] [--breakdown]
               ImagePipeline.Benchmarks pipeline [--images 200] [--size 4000x3000] [--records 10000] ... (pipeline --help)
               ImagePipeline.Benchmarks --child full|thumb|imagesharp|init [IN]

          Times our engine's default recipe against vipsthumbnail and ImageMagick, and the full recipe against two
          reference engines: SixLabors.ImageSharp 2.1.13 (the design card's; centre-cropped thumbnail, as it has no
          attention crop) and sharp 0.35 (the engine of AWS's Dynamic Image Transformation; npm, run by Node).

          --runs N          measured runs per measurement after one warm-up (default 5)
          --out DIR         inputs, outputs and logs (default ./artifacts/benchmark); inputs are reused when present
          --sizes LIST      comma-separated: 24 (6000x4000), 12 (4000x3000) or WIDTHxHEIGHT (default 24,12)
          --check-outputs   also verify output dimensions (ours from the EncodedImage, external files by probing)
          --breakdown       also time parts of the work (decode/resize vs WebP encode) to explain the totals
          --child MODE IN   internal: run one operation once and exit (peak RSS of our engine and ImageSharp is measured on it)

        The reference engines' outputs are always checked (dimensions of every file), with or without --check-outputs.

        Exit code: 0 when the report was printed (whatever the target checks say), 1 on a usage error,
        2 when an output check found a wrong output, 3 when a measured command failed.
        """;

    public static BenchmarkOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var runs = 5;
        var output = Path.Combine("artifacts", "benchmark");
        IReadOnlyList<InputSize> sizes = [ParseSize("24")!, ParseSize("12")!];
        var check = false;
        var breakdown = false;
        for (var i = 0; i < args.Count; i++)
        {
            string? Value()
            {
                return i + 1 < args.Count ? args[++i] : null;
            }

            switch (args[i])
            {
                case "--runs":
                    if (!int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out runs) || runs < 1 || runs > 1000)
                    {
                        error = "--runs needs a whole number from 1 to 1000.";
                        return null;
                    }

                    break;
                case "--out":
                    var directory = Value();
                    if (string.IsNullOrWhiteSpace(directory))
                    {
                        error = "--out needs a directory.";
                        return null;
                    }

                    output = directory;
                    break;
                case "--sizes":
                    var parsed = (Value() ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(ParseSize)
                        .ToList();
                    if (parsed.Count == 0 || parsed.Any(s => s is null))
                    {
                        error = "--sizes needs a comma-separated list of 24, 12 or WIDTHxHEIGHT.";
                        return null;
                    }

                    sizes = parsed.Select(s => s!).DistinctBy(s => (s.Width, s.Height)).ToList();
                    break;
                case "--check-outputs":
                    check = true;
                    break;
                case "--breakdown":
                    breakdown = true;
                    break;
                default:
                    error = $"unknown argument '{args[i]}'.";
                    return null;
            }
        }

        error = null;
        return new BenchmarkOptions(runs, Path.GetFullPath(output), sizes, check, breakdown);
    }

    internal static InputSize? ParseSize(string text)
    {
        switch (text)
        {
            case "24":
                return new InputSize("24 MP", 6000, 4000);
            case "12":
                return new InputSize("12 MP", 4000, 3000);
        }

        var parts = text.Split('x');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var width)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var height)
            && width is >= 16 and <= 20000 && height is >= 16 and <= 20000)
        {
            var megapixels = Math.Round(width * (double)height / 1_000_000, 1);
            return new InputSize($"{megapixels.ToString(CultureInfo.InvariantCulture)} MP", width, height);
        }

        return null;
    }
}
