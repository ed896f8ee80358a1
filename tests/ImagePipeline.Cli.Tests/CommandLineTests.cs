namespace ImagePipeline.Cli.Tests;

/// <summary>Command lines the parser refuses: the one real error on stderr, nothing on stdout, exit code 1.</summary>
public sealed class CommandLineTests
{
    [Fact]
    public async Task UnknownCommand_SaysOnlyThatAndNamesTheCommands()
    {
        var run = await CliRunner.RunAsync(["frobnicate", "--api", "http://127.0.0.1:1"]);

        run.AssertExitCode(1);
        Assert.Equal("", run.Stdout);
        Assert.StartsWith("imagepipeline: 'frobnicate' is not a command; the commands are process, upload, list,", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Required command", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("--api", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lst", "list")]
    [InlineData("uplaod", "upload")]
    [InlineData("down", "download")]
    public async Task MisspeltCommand_SuggestsTheNearOne(string typed, string meant)
    {
        var run = await CliRunner.RunAsync([typed]);

        run.AssertExitCode(1);
        Assert.Equal("", run.Stdout);
        Assert.Contains($"'{typed}' is not a command; did you mean {meant}?", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoCommand_ExitsOneNamingTheCommands()
    {
        var run = await CliRunner.RunAsync([]);

        run.AssertExitCode(1);
        Assert.Equal("", run.Stdout);
        Assert.StartsWith("imagepipeline: name a command: process, upload,", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Required command", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownOption_IsNamedOnceWithItsCommand()
    {
        var run = await CliRunner.RunAsync(["list", "--bogus"]);

        run.AssertExitCode(1);
        Assert.Equal("", run.Stdout);
        var lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["imagepipeline list: Unrecognized command or argument '--bogus'.", "Run 'imagepipeline list --help' for usage."], lines);
    }

    [Fact]
    public async Task Version_PrintsTheVersion()
    {
        var run = await CliRunner.RunAsync(["--version"]);

        run.AssertExitCode(0);
        Assert.StartsWith("0.1.0", run.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("The file is not an image in an accepted format (jpeg, tiff).", "The file is not an image in an accepted format (jpeg, tiff)")]
    [InlineData("Connection refused", "Connection refused")]
    [InlineData("done.  ", "done")]
    public void Clause_DropsTheFinalFullStopSoAJoinAddsNone(string message, string expected) =>
        Assert.Equal(expected, ClientOptions.Clause(message));
}
