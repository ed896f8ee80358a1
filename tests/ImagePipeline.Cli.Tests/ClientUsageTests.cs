using ImagePipeline.Testing;
using static ImagePipeline.Cli.Tests.ClientChecks;

namespace ImagePipeline.Cli.Tests;

/// <summary>The client commands' usage and connection errors: exit code 1, said on stderr, nothing sent or written.</summary>
public sealed class ClientUsageTests
{
    private const string DeadApi = "http://127.0.0.1:1";
    private const string SomeId = "0198a5c2-7f3e-7d40-9a1b-3c4d5e6f7a8b";

    public static TheoryData<string[]> EveryClientCommand => new()
    {
        { ["upload", Samples.PathOf("tiny.jpg"), "--json"] },
        { ["upload", Samples.PathOf("tiny.jpg"), "--wait"] },
        { ["list"] },
        { ["list", "--json"] },
        { ["show", SomeId] },
        { ["download", SomeId, "-o", Path.Combine(Path.GetTempPath(), "imagepipeline-never-written.webp")] },
        { ["delete", SomeId] },
        { ["watch"] },
        { ["reprocess", SomeId] },
        { ["reprocess", SomeId, "--json"] },
        { ["reprocess", "--failed", "--json"] },
    };

    [Theory]
    [MemberData(nameof(EveryClientCommand))]
    public async Task DeadApi_ExitsOneNamingTheUrlWithNothingOnStdout(string[] arguments)
    {
        var run = await CliRunner.RunAsync([.. arguments, "--api", DeadApi]);

        run.AssertExitCode(1);
        Assert.Contains($"cannot reach the ImagePipeline API at {DeadApi}", run.Stderr, StringComparison.Ordinal);
        Assert.Equal("", run.Stdout);
        AssertNoEscapes(run);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(15), $"A refused connection should fail fast.{Environment.NewLine}{run}");
    }

    [Theory]
    [InlineData("show", "not-an-id")]
    [InlineData("download", "12345")]
    [InlineData("delete", "0198a5c2-7f3e-4d40-9a1b-3c4d5e6f7a8b")] // a UUID, but version 4: never an image id
    [InlineData("show", "0198a5c2-7f3e-7d40-9a1b-3c4d5e6f7a8b/../x")]
    [InlineData("reprocess", "not-an-id")]
    public async Task GarbageId_IsAUsageErrorNamingIt(string command, string id)
    {
        // The dead API proves nothing is sent: a request would fail with "cannot reach".
        var run = await CliRunner.RunAsync([command, id, "--api", DeadApi]);

        run.AssertExitCode(1);
        Assert.Contains($"'{id}' is not an image id", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot reach", run.Stderr, StringComparison.Ordinal);
        AssertNoEscapes(run);
    }

    [Fact]
    public async Task UpperCaseId_IsAccepted()
    {
        var run = await CliRunner.RunAsync(["show", SomeId.ToUpperInvariant(), "--api", DeadApi]);

        // Past the argument check: the request is tried (and fails: nothing listens).
        run.AssertExitCode(1);
        Assert.Contains("cannot reach", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--api", "upload", "tiny.jpg", "--api", "ftp://example.com")]
    [InlineData("--api", "list", "--api", "not a url")]
    [InlineData("--parallel", "upload", "tiny.jpg", "--parallel", "0")]
    [InlineData("--timeout", "upload", "tiny.jpg", "--wait", "--timeout", "soon")]
    [InlineData("--timeout", "upload", "tiny.jpg", "--wait", "--timeout", "0s")]
    [InlineData("--limit", "list", "--limit", "101")]
    [InlineData("--interval", "watch", "--interval", "0")]
    [InlineData("--rendition", "download", SomeId, "--rendition", "../../etc")]
    public async Task BadOption_IsAUsageErrorNamingIt(string option, params string[] arguments)
    {
        var run = await CliRunner.RunAsync([.. arguments.Select(a => a == "tiny.jpg" ? Samples.PathOf(a) : a)]);

        run.AssertExitCode(1);
        Assert.Contains(option, run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot reach", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not both", "reprocess", SomeId, "--failed")]
    [InlineData("not both", "reprocess", "--failed", SomeId, "--json")]
    [InlineData("use --failed", "reprocess")]
    [InlineData("use --failed", "reprocess", "--json")]
    [InlineData("--bogus", "reprocess", "--failed", "--bogus")]
    [InlineData("--bogus", "reprocess", SomeId, "--bogus")]
    [InlineData("--all", "reprocess", "--all")]
    public async Task Reprocess_IdsWithFailedNeitherOrAnUnknownOption_IsAUsageError(string message, params string[] arguments)
    {
        var run = await CliRunner.RunAsync([.. arguments, "--api", DeadApi]);

        run.AssertExitCode(1);
        Assert.Contains(message, run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot reach", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiVariable_WhenNotAUrl_IsAUsageErrorNamingIt()
    {
        var run = await CliRunner.RunAsync(["list"], new Dictionary<string, string?> { ["IMAGEPIPELINE_API"] = "localhost:5080" });

        run.AssertExitCode(1);
        Assert.Contains("IMAGEPIPELINE_API", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upload_MissingInput_ExitsOneNamingIt()
    {
        using var temp = new TempDirectory();
        var missing = temp.Combine("no-such-photo.jpg");

        var run = await CliRunner.RunAsync(["upload", missing, "--api", DeadApi]);

        run.AssertExitCode(1);
        Assert.Contains(missing, run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot reach", run.Stderr, StringComparison.Ordinal);
    }
}
