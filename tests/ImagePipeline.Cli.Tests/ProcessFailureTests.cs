using ImagePipeline.Testing;
using static ImagePipeline.Cli.Tests.OutputChecks;

namespace ImagePipeline.Cli.Tests;

/// <summary>Inputs that cannot be processed: the run goes on, exits 2, and names each failure with its code.</summary>
public sealed class ProcessFailureTests(SampleRuns runs)
{
    private const long FiftyMiB = 50L * 1024 * 1024;

    [Fact]
    public void ProcessJson_BrokenSamples_ExitsTwoWithOneJsonArrayOfFailedOutcomes()
    {
        runs.Broken.AssertExitCode(2);
        var outcomes = OutcomesByInput(runs.Broken);
        Assert.Equal(Samples.BrokenNames.Select(Samples.PathOf).Order(StringComparer.Ordinal), outcomes.Keys.Order(StringComparer.Ordinal));
        Assert.All(outcomes.Values, outcome => Assert.Equal("failed", Text(outcome, "status")));

        // No outputs for failed inputs; in --json mode stderr holds only the summary.
        Assert.Empty(Directory.Exists(runs.BrokenOut) ? Directory.EnumerateFileSystemEntries(runs.BrokenOut) : []);
        Assert.DoesNotContain("failed    ", runs.Broken.Stderr, StringComparison.Ordinal);
        Assert.Contains($"Processed 0 of {Samples.BrokenNames.Count}", runs.Broken.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("broken-truncated.jpg", "corrupt_image")]
    [InlineData("broken-empty.jpg", "unsupported_format")]
    [InlineData("broken-text.jpg", "unsupported_format")]
    [InlineData("bomb-120mp.png", "too_many_pixels")]
    public void ProcessJson_BrokenSample_FailsWithItsErrorCode(string name, string code)
    {
        var outcome = Assert.Contains(Samples.PathOf(name), OutcomesByInput(runs.Broken));
        Assert.Equal("failed", Text(outcome, "status"));
        Assert.Equal(code, Text(outcome["error"]!.AsObject(), "code"));
    }

    [Fact]
    public void ProcessJson_PixelBomb_MessageGroupsTheDigitsOfLargeNumbers()
    {
        var outcome = Assert.Contains(Samples.PathOf("bomb-120mp.png"), OutcomesByInput(runs.Broken));

        Assert.Equal(
            "The image is 12000x10000 = 120,000,000 pixels; the limit is 100,000,000.",
            Text(outcome["error"]!.AsObject(), "message"));
    }

    [Fact]
    public async Task Process_MixedInputsWithoutJson_ExitsTwoAndNamesEachFailureWithItsCodeOnStderr()
    {
        using var temp = new TempDirectory();
        var good = Samples.PathOf("tiny.jpg");
        var run = await CliRunner.RunAsync(["process", good, .. Samples.BrokenNames.Select(Samples.PathOf), "--out", temp.Combine("out")]);

        run.AssertExitCode(2);
        var errorLines = run.Stderr.Split('\n');
        foreach (var (name, code) in Samples.BrokenCodes)
        {
            Assert.True(
                errorLines.Any(line => line.StartsWith("failed", StringComparison.Ordinal) && line.Contains($"{Samples.PathOf(name)}: {code}:", StringComparison.Ordinal)),
                $"stderr does not name {name} with {code}.{Environment.NewLine}{run}");
        }

        Assert.Contains($"processed {good} -> {temp.Combine("out", "tiny")}", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("failed", run.Stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(temp.Combine("out", "tiny", "metadata.json")));
    }

    [Fact]
    public async Task ProcessJson_FileOverFiftyMiB_FailsTooLargeBeforeReadingIt()
    {
        // A sparse file: 50 MiB + 1 byte long, no data blocks, so the test writes (almost) nothing to disk.
        using var temp = new TempDirectory();
        var big = temp.Combine("huge.jpg");
        using (var stream = File.Create(big))
        {
            stream.SetLength(FiftyMiB + 1);
        }

        var run = await CliRunner.RunAsync(["process", big, "--out", temp.Combine("out"), "--json"]);

        run.AssertExitCode(2);
        var outcome = Assert.Single(OutcomesByInput(run)).Value;
        var error = outcome["error"]!.AsObject();
        Assert.Equal("too_large", Text(error, "code"));
        Assert.Contains("the limit is 52,428,800 bytes", Text(error, "message"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessJson_FileOfExactlyFiftyMiB_IsNotTooLarge()
    {
        // The limit is inclusive: a 50 MiB file is read and judged by its content (zeros: not an image).
        using var temp = new TempDirectory();
        var big = temp.Combine("limit.jpg");
        using (var stream = File.Create(big))
        {
            stream.SetLength(FiftyMiB);
        }

        var run = await CliRunner.RunAsync(["process", big, "--out", temp.Combine("out"), "--json"]);

        run.AssertExitCode(2);
        var outcome = Assert.Single(OutcomesByInput(run)).Value;
        Assert.Equal("unsupported_format", Text(outcome["error"]!.AsObject(), "code"));
    }
}
