using System.Globalization;

namespace ImagePipeline.Benchmarks;

/// <summary>The command line of <c>lambda</c> mode: the published bootstrap under the fake Runtime API.</summary>
/// <param name="ColdRuns">Fresh processes measured for the 12 MP cold start.</param>
/// <param name="WarmInvocations">Invocations after the first, per cold run (the warm median).</param>
/// <param name="AotPackage">An already published Native AOT package folder; null publishes one.</param>
/// <param name="ReadyToRunPackage">An already published ReadyToRun package folder; null publishes one.</param>
/// <param name="LimitPixels">Pixels of the largest image measured (the pipeline's limit).</param>
/// <param name="OutputDirectory">Inputs, the published package and logs.</param>
internal sealed record LambdaModeOptions(int ColdRuns, int WarmInvocations, string? AotPackage, string? ReadyToRunPackage, long LimitPixels, string OutputDirectory)
{
    public const string Usage = """
        usage: ImagePipeline.Benchmarks lambda [--runs N] [--warm N] [--aot-package DIR] [--readytorun-package DIR]
                                               [--limit-pixels N] [--out DIR]

          Runs both x86_64 function packages of src/ImagePipeline.Functions side by side, Native AOT (the default) and
          ReadyToRun, as Lambda would: a fresh bootstrap process per cold start under the in-process fake Runtime API
          of tests/ImagePipeline.Testing, against DynamoDB Local and s3rver started by the emulator fixture of
          tests/ImagePipeline.Emulators. Cold runs alternate between the packages, after one uncounted warm-up run
          each (it warms the emulators, which the packages share). It reports:
            (1) the cold start of the resize function on a 12 MP JPEG and of the api function on GET /v1/images
                (a page of 20 from DynamoDB): process start to first /next (init), process start to the first
                response, and the first invocation against the warm median (first/warm ratio);
            (2) peak RSS (ru_maxrss from wait4) of one process doing one resize, and one thumbnail, of a 24 MP JPEG,
                of a JPEG at the pixel limit, and of the worst inputs the limits admit: the largest 16-bit RGBA Adam7
                PNG whose decode fits the default decode budget, and a 2048x16383 RGBA PNG (the largest WebP
                renditions the recipe makes); plus an idle api process;
            (3) a memory size per function derived from the larger package's peaks;
            (4) the two packages side by side, with each package's size unzipped and zipped, against the targets
                (Native AOT: init <= 100 ms, api first invocation <= 50 ms, resize first/warm <= 1.15).

          --runs N                  cold processes per package and function for (1) (default 3; medians reported)
          --warm N                  warm invocations per cold process for (1) (default 5)
          --aot-package DIR         use this published Native AOT package (must hold bootstrap) instead of publishing
          --readytorun-package DIR  the same for the ReadyToRun package
          --limit-pixels N          pixels of the largest input (default 99,996,000 = 12000x8333, just under the 100 MP limit)
          --out DIR                 default ./artifacts/benchmark/lambda (inputs, the packages under build/, logs)

        Publishing runs `dotnet publish src/ImagePipeline.Functions -c Release -r linux-x64 [-p:PublishAot=false]
        --artifacts-path DIR/build`.
        Exit code: 0 when the report was printed, 1 on a usage error or when the package or emulators are unavailable.
        """;

    public static LambdaModeOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var runs = 3;
        var warm = 5;
        string? aotPackage = null;
        string? readyToRunPackage = null;
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
                case "--aot-package" when !string.IsNullOrWhiteSpace(value):
                    aotPackage = Path.GetFullPath(value);
                    break;
                case "--readytorun-package" when !string.IsNullOrWhiteSpace(value):
                    readyToRunPackage = Path.GetFullPath(value);
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
                case "--aot-package" or "--readytorun-package" or "--out":
                    error = $"{name} needs a directory.";
                    return null;
                default:
                    error = $"unknown argument '{name}'.";
                    return null;
            }
        }

        error = null;
        return new LambdaModeOptions(runs, warm, aotPackage, readyToRunPackage, limitPixels, Path.GetFullPath(output));
    }
}
