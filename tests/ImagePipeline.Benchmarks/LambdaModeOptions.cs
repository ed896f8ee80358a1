using System.Globalization;

namespace ImagePipeline.Benchmarks;

/// <summary>The command line of <c>lambda</c> mode: the published bootstrap under the fake Runtime API.</summary>
/// <param name="ColdRuns">Fresh processes measured for the 12 MP cold start.</param>
/// <param name="WarmInvocations">Invocations after the first, per cold run (the warm median).</param>
/// <param name="Package">An already published package folder; null publishes one.</param>
/// <param name="LimitPixels">Pixels of the largest image measured (the pipeline's limit).</param>
/// <param name="OutputDirectory">Inputs, the published package and logs.</param>
internal sealed record LambdaModeOptions(int ColdRuns, int WarmInvocations, string? Package, long LimitPixels, string OutputDirectory)
{
    public const string Usage = """
        usage: ImagePipeline.Benchmarks lambda [--runs N] [--warm N] [--package DIR] [--limit-pixels N] [--out DIR]

          Runs the published Lambda bootstrap (src/ImagePipeline.Functions) as Lambda would, under the in-process fake
          Runtime API of tests/ImagePipeline.Testing, against DynamoDB Local and s3rver started by the emulator fixture
          of tests/ImagePipeline.Emulators, and reports:
            (1) the cold start of the resize function on a 12 MP JPEG: process start to first /next (init), process start
                to the first response, and the first invocation against the warm median (first/warm ratio);
            (2) peak RSS (ru_maxrss from wait4) of one process doing one resize, and one thumbnail, of a 24 MP JPEG,
                of a JPEG at the pixel limit, and of the worst inputs the limits admit: the largest 16-bit RGBA Adam7
                PNG whose decode fits the default decode budget, and a 2048x16383 RGBA PNG (the largest WebP
                renditions the recipe makes); plus an idle api process;
            (3) a memory size per function derived from those peaks.

          --runs N           cold processes for (1) (default 3; medians reported)
          --warm N           warm invocations per cold process for (1) (default 5)
          --package DIR      use this published package (must hold bootstrap) instead of publishing one
          --limit-pixels N   pixels of the largest input (default 99,996,000 = 12000x8333, just under the 100 MP limit)
          --out DIR          default ./artifacts/benchmark/lambda (inputs, the package under build/, logs)

        Publishing runs `dotnet publish src/ImagePipeline.Functions -c Release -r linux-x64 --artifacts-path DIR/build`.
        Exit code: 0 when the report was printed, 1 on a usage error or when the package or emulators are unavailable.
        """;

    public static LambdaModeOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var runs = 3;
        var warm = 5;
        string? package = null;
        var limitPixels = 12000L * 8333;
        var output = Path.Combine("artifacts", "benchmark", "lambda");
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            var value = i + 1 < args.Count ? args[i + 1] : null;
            i++;
            switch (name)
            {
                case "--runs" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out runs) && runs is >= 1 and <= 50:
                case "--warm" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out warm) && warm is >= 1 and <= 100:
                    break;
                case "--limit-pixels" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out limitPixels) && limitPixels is >= 1_000_000 and <= 100_000_000:
                    break;
                case "--package" when !string.IsNullOrWhiteSpace(value):
                    package = Path.GetFullPath(value);
                    break;
                case "--out" when !string.IsNullOrWhiteSpace(value):
                    output = value;
                    break;
                case "--runs" or "--warm":
                    error = $"{name} needs a whole number (runs 1 to 50, warm 1 to 100).";
                    return null;
                case "--limit-pixels":
                    error = "--limit-pixels needs a whole number from 1,000,000 to 100,000,000.";
                    return null;
                case "--package" or "--out":
                    error = $"{name} needs a directory.";
                    return null;
                default:
                    error = $"unknown argument '{name}'.";
                    return null;
            }
        }

        error = null;
        return new LambdaModeOptions(runs, warm, package, limitPixels, Path.GetFullPath(output));
    }
}
