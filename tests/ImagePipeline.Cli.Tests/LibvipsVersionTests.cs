using ImagePipeline.Testing;
using System.Text.Json.Nodes;
using static ImagePipeline.Cli.Tests.OutputChecks;

namespace ImagePipeline.Cli.Tests;

/// <summary>One <c>process --json</c> run of the whole sample-images folder on the system libvips 8.14, shared by the tests that need it.</summary>
public sealed class SystemLibvipsRun : IDisposable
{
    public const string Library = "/usr/lib/x86_64-linux-gnu/libvips.so.42";

    private readonly TempDirectory _temp = new();
    private readonly Lock _gate = new();
    private Task<CliResult>? _run;

    internal string Output => _temp.Combine("out");

    internal Task<CliResult> RunAsync()
    {
        lock (_gate)
        {
            return _run ??= CliRunner.RunAsync(
                ["process", Samples.Folder, "--out", Output, "--json"],
                new Dictionary<string, string?> { [CliRunner.LibvipsVariable] = Library });
        }
    }

    /// <summary>Skips the calling test when libvips 8.14 is not installed; fails it instead on CI, which must have it.</summary>
    internal static void RequireInstalled()
    {
        if (File.Exists(Library))
        {
            return;
        }

        Assert.False(
            string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase),
            $"{Library} is missing, but CI=true: the CI image must install libvips 8.14 (apt-get install libvips42).");
        Assert.Skip($"{Library} not found: install libvips 8.14 with 'apt-get install libvips42' to run this test.");
    }

    public void Dispose() => _temp.Dispose();
}

/// <summary>The oldest supported libvips (8.14, Debian/Ubuntu libvips42) must give the bundled build's outcomes.</summary>
public sealed class LibvipsVersionTests(SampleRuns runs, SystemLibvipsRun system) : IClassFixture<SystemLibvipsRun>
{
    [Fact]
    public async Task Process_WithSystemLibvips814_GivesTheBundledOutcomes()
    {
        SystemLibvipsRun.RequireInstalled();
        var run = (await system.RunAsync()).AssertExitCode(2);

        var outcomes = OutcomesByInput(run);
        var bundledFailures = OutcomesByInput(runs.Broken);
        var problems = new List<string>();
        foreach (var name in Samples.AllNames)
        {
            var outcome = outcomes[Samples.PathOf(name)];
            if (Samples.BrokenCodes.TryGetValue(name, out var code))
            {
                var got = Text(outcome, "status") == "failed" ? Text(outcome["error"]!.AsObject(), "code") : "processed";
                var bundled = Text(bundledFailures[Samples.PathOf(name)]["error"]!.AsObject(), "code");
                if (got != code || got != bundled)
                {
                    problems.Add($"{name}: {got} with libvips 8.14, {bundled} with the bundled libvips, expected {code}");
                }

                continue;
            }

            if (Text(outcome, "status") != "processed")
            {
                problems.Add($"{name}: failed with libvips 8.14: {outcome["error"]!.ToJsonString()}");
                continue;
            }

            var dir = Text(outcome, "output");
            var metadata = ReadMetadata(dir);
            var expected = runs.GoodMetadata(name);
            Compare(name, "original", expected["original"], metadata["original"], problems);
            Compare(name, "metadata", expected["metadata"], metadata["metadata"], problems);
            Compare(name, "renditions", Sizes(expected["renditions"]!.AsArray()), Sizes(metadata["renditions"]!.AsArray()), problems);
            Compare(name, "thumbnail", Sizes([expected["thumbnail"]!.DeepClone()]), Sizes([metadata["thumbnail"]!.DeepClone()]), problems);
            problems.AddRange(FileProblems(dir, metadata, metadataChunks: false).Select(p => $"{name} (libvips 8.14): {p}"));
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public async Task Process_WithSystemLibvips814_OutputsCarryNoExifXmpOrIcc()
    {
        SystemLibvipsRun.RequireInstalled();
        var run = (await system.RunAsync()).AssertExitCode(2);

        var problems = new List<string>();
        foreach (var (input, outcome) in OutcomesByInput(run).Where(o => Text(o.Value, "status") == "processed"))
        {
            var dir = Text(outcome, "output");
            problems.AddRange(FileProblems(dir, ReadMetadata(dir)).Select(p => $"{Path.GetFileName(input)} (libvips 8.14): {p}"));
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    /// <summary>Name (when present), size and format of each output: the bytes legitimately differ between builds.</summary>
    private static JsonArray Sizes(JsonArray outputs) =>
        [.. outputs.Select(o => (JsonNode)new JsonObject
        {
            ["name"] = o!["name"]?.DeepClone(),
            ["width"] = o["width"]!.DeepClone(),
            ["height"] = o["height"]!.DeepClone(),
            ["format"] = o["format"]!.DeepClone(),
        })];

    private static void Compare(string name, string what, JsonNode? bundled, JsonNode? old, List<string> problems)
    {
        if (!JsonNode.DeepEquals(bundled, old))
        {
            problems.Add($"{name}: {what} is {old?.ToJsonString()} with libvips 8.14, {bundled?.ToJsonString()} with the bundled libvips");
        }
    }
}
