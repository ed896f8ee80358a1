using ImagePipeline.Testing;
using System.Text.Json.Nodes;

[assembly: AssemblyFixture(typeof(ImagePipeline.Cli.Tests.SampleRuns))]

namespace ImagePipeline.Cli.Tests;

/// <summary>
/// The two sample runs many tests look at, made once per test run with the default (bundled) libvips:
/// every good sample (<c>--json</c>, expected exit 0) and every broken sample (<c>--json</c>, expected exit 2).
/// </summary>
public sealed class SampleRuns : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();

    internal string GoodOut => _temp.Combine("good");

    internal string BrokenOut => _temp.Combine("broken");

    internal CliResult Good { get; private set; } = null!;

    internal CliResult Broken { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var missing = Samples.AllNames.Where(n => !File.Exists(Samples.PathOf(n))).ToList();
        if (missing.Count > 0)
        {
            throw new FileNotFoundException(
                $"sample-images/ lacks {string.Join(", ", missing)}; regenerate it with 'dotnet run --project tests/ImagePipeline.TestImages'.");
        }

        Good = await CliRunner.RunAsync(["process", .. Samples.GoodNames.Select(Samples.PathOf), "--out", GoodOut, "--json"]);
        Broken = await CliRunner.RunAsync(["process", .. Samples.BrokenNames.Select(Samples.PathOf), "--out", BrokenOut, "--json"]);
    }

    /// <summary>metadata.json of a good sample.</summary>
    internal JsonObject GoodMetadata(string name) => OutputChecks.ReadMetadata(Path.Combine(GoodOut, Samples.Stem(name)));

    public ValueTask DisposeAsync()
    {
        _temp.Dispose();
        return ValueTask.CompletedTask;
    }
}
