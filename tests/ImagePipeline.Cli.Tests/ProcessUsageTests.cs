using ImagePipeline.Testing;
using static ImagePipeline.Cli.Tests.OutputChecks;

namespace ImagePipeline.Cli.Tests;

/// <summary>Usage errors (exit 1, nothing written), output folder names, and choosing libvips.</summary>
public sealed class ProcessUsageTests
{
    [Fact]
    public async Task Process_WithoutOut_ExitsOneNamingTheOption()
    {
        var run = await CliRunner.RunAsync(["process", Samples.PathOf("tiny.jpg")]);

        run.AssertExitCode(1);
        Assert.Contains("--out", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_NonexistentInput_ExitsOneNamingThePathAndWritesNothing()
    {
        using var temp = new TempDirectory();
        var missing = temp.Combine("no-such-photo.jpg");
        var run = await CliRunner.RunAsync(["process", Samples.PathOf("tiny.jpg"), missing, "--out", temp.Combine("out")]);

        run.AssertExitCode(1);
        Assert.Contains(missing, run.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Combine("out")), "A usage error must not create the output folder.");
    }

    [Fact]
    public async Task Process_ParallelZero_ExitsOneNamingTheOption()
    {
        using var temp = new TempDirectory();
        var run = await CliRunner.RunAsync(["process", Samples.PathOf("tiny.jpg"), "--out", temp.Combine("out"), "--parallel", "0"]);

        run.AssertExitCode(1);
        Assert.Contains("--parallel", run.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Combine("out")), "A usage error must not create the output folder.");
    }

    [Fact]
    public async Task Process_ParallelNotANumber_ExitsOne()
    {
        using var temp = new TempDirectory();
        var run = await CliRunner.RunAsync(["process", Samples.PathOf("tiny.jpg"), "--out", temp.Combine("out"), "--parallel", "many"]);

        run.AssertExitCode(1);
        Assert.Contains("--parallel", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_FolderWithOnlyHiddenOrNonImageFiles_ExitsOneWritingNothing()
    {
        using var temp = new TempDirectory();
        var input = temp.Combine("in");
        Directory.CreateDirectory(input);
        File.Copy(Samples.PathOf("tiny.jpg"), Path.Combine(input, ".hidden.jpg"));
        File.WriteAllText(Path.Combine(input, "notes.txt"), "a sidecar, not an image");

        var run = await CliRunner.RunAsync(["process", input, "--out", temp.Combine("out")]);

        run.AssertExitCode(1);
        Assert.StartsWith("imagepipeline process:", run.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.Combine("out")));
    }

    [Fact]
    public async Task Process_FolderWithHiddenAndNonImageFiles_ProcessesOnlyTheImagesAndCountsTheRest()
    {
        using var temp = new TempDirectory();
        var input = temp.Combine("in");
        Directory.CreateDirectory(Path.Combine(input, ".cache"));
        File.Copy(Samples.PathOf("tiny.jpg"), Path.Combine(input, "tiny.JPG"));
        File.Copy(Samples.PathOf("tiny.jpg"), Path.Combine(input, ".cache", "tiny.jpg"));
        File.WriteAllText(Path.Combine(input, "tiny.xmp"), "<x:xmpmeta/>");

        var output = temp.Combine("out");
        var run = await CliRunner.RunAsync(["process", input, "--out", output, "--json"]);

        run.AssertExitCode(0);
        var outcome = Assert.Single(OutcomesByInput(run));
        Assert.Equal(Path.Combine(input, "tiny.JPG"), outcome.Key);
        Assert.Contains("skipped 2", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(["tiny"], Directory.EnumerateDirectories(output).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Process_SameStemInThreeFolders_WritesNameThenNameDash2ThenNameDash3()
    {
        using var temp = new TempDirectory();
        var inputs = temp.Combine("in");
        string[] copies = [Path.Combine(inputs, "a", "tiny.jpg"), Path.Combine(inputs, "b", "tiny.jpg"), Path.Combine(inputs, "c", "tiny.png")];
        foreach (var copy in copies)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(Samples.PathOf("tiny.jpg"), copy);
        }

        var output = temp.Combine("out");
        var run = await CliRunner.RunAsync(["process", inputs, "--out", output, "--json"]);

        run.AssertExitCode(0);
        var outcomes = OutcomesByInput(run);
        string[] names = ["tiny", "tiny-2", "tiny-3"];
        for (var i = 0; i < copies.Length; i++)
        {
            var outcome = Assert.Contains(copies[i], outcomes);
            Assert.Equal(Path.Combine(output, names[i]), Text(outcome, "output"));
            Assert.Equal(copies[i], Text(ReadMetadata(Path.Combine(output, names[i])), "source"));
        }

        Assert.Equal(names, Directory.EnumerateDirectories(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Process_SameStemGivenAsFiles_NumbersInCommandLineOrder()
    {
        using var temp = new TempDirectory();
        var first = temp.Combine("z", "tiny.jpg");
        var second = temp.Combine("a", "tiny.jpg");
        foreach (var copy in (string[])[first, second])
        {
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(Samples.PathOf("tiny.jpg"), copy);
        }

        var output = temp.Combine("out");
        var run = await CliRunner.RunAsync(["process", first, second, "--out", output, "--json"]);

        run.AssertExitCode(0);
        var outcomes = OutcomesByInput(run);
        Assert.Equal(Path.Combine(output, "tiny"), Text(outcomes[first], "output"));
        Assert.Equal(Path.Combine(output, "tiny-2"), Text(outcomes[second], "output"));
    }

    [Fact]
    public async Task Process_BadLibvipsPath_ExitsOneNamingTheVariableAndThePath()
    {
        using var temp = new TempDirectory();
        const string bad = "/nonexistent/libvips.so";
        var run = await CliRunner.RunAsync(
            ["process", Samples.PathOf("tiny.jpg"), "--out", temp.Combine("out"), "--json"],
            new Dictionary<string, string?> { [CliRunner.LibvipsVariable] = bad });

        run.AssertExitCode(1);
        Assert.Contains(CliRunner.LibvipsVariable, run.Stderr, StringComparison.Ordinal);
        Assert.Contains(bad, run.Stderr, StringComparison.Ordinal);
        Assert.Equal("", run.Stdout.Trim());
        Assert.False(Directory.Exists(temp.Combine("out")), "Nothing may be written when libvips cannot be loaded.");
    }
}
