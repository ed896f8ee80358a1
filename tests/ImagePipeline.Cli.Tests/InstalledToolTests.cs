using System.Reflection.PortableExecutable;
using System.Text.Json.Nodes;
using ImagePipeline.TestImages;
using ImagePipeline.Testing;
using static ImagePipeline.Cli.Tests.ClientChecks;
using static ImagePipeline.Cli.Tests.OutputChecks;

namespace ImagePipeline.Cli.Tests;

/// <summary>
/// The CLI as users get it (README, "The CLI client"): <c>dotnet pack src/ImagePipeline.Cli -c Release</c>, then
/// <c>dotnet tool install</c> from the folder it wrote, here into a temporary <c>--tool-path</c>; the installed
/// <c>imagepipeline</c> is run directly, as from the PATH.
/// </summary>
[Collection(ApiHostCollection.Name)]
[Trait("Category", "Integration")]
public sealed class InstalledToolTests(ApiHost host)
{
    // A cold pack compiles three projects in Release and precompiles them (ReadyToRun).
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(8);

    [Fact]
    public async Task InstalledTool_FromThePackedPackages_RunsVersionListAndProcess()
    {
        using var temp = new TempDirectory();
        var ct = TestContext.Current.CancellationToken;
        var feed = temp.Combine("feed");
        var root = RepoRoot.Find();

        // Its own artifacts folder: the clone's artifacts/ (and a developer's build in it) stay untouched.
        await DotnetCommand.RunAsync(
            root, ["pack", Path.Combine(root, "src", "ImagePipeline.Cli"), "-c", "Release", "-o", feed, "--artifacts-path", temp.Combine("artifacts")], PackTimeout, ct);
        Assert.Equal(
            ["ImagePipeline.Cli.0.1.0.nupkg", "ImagePipeline.Cli.linux-x64.0.1.0.nupkg"],
            Directory.GetFiles(feed).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // Only the packed folder as a source: nothing is looked up on a registry.
        var config = temp.Combine("nuget.config");
        await File.WriteAllTextAsync(
            config,
            $"""<configuration><packageSources><clear /><add key="packed" value="{feed}" /></packageSources></configuration>""",
            ct);
        var tools = temp.Combine("tools");
        await DotnetCommand.RunAsync(temp.Path, ["tool", "install", "ImagePipeline.Cli", "--tool-path", tools, "--configfile", config], PackTimeout, ct);

        var tool = Path.Combine(tools, "imagepipeline");
        Assert.True(File.Exists(tool), "dotnet tool install made no imagepipeline command in " + tools);
        var installed = Path.GetDirectoryName(Path.GetFullPath(new FileInfo(tool).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? tool))!;
        AssertReadyToRun(Path.Combine(installed, "imagepipeline.dll"));

        var version = await RunAsync(tool, "--version");
        version.AssertExitCode(0);
        Assert.StartsWith("0.1.0", version.Stdout, StringComparison.Ordinal);

        var list = await RunAsync(tool, "list", "--json", "--api", host.Url);
        list.AssertExitCode(0);
        AssertFields(PageFields, ParseObject(list), "page");

        // process decodes with libvips: the package must carry it.
        var output = temp.Combine("out");
        var process = await RunAsync(tool, "process", Samples.PathOf("tiny.jpg"), "--out", output, "--json");
        process.AssertExitCode(0);
        var outcome = Assert.IsType<JsonObject>(Assert.Single(JsonNode.Parse(process.Stdout)!.AsArray()));
        Assert.Equal("processed", outcome["status"]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(output, "tiny", "thumbnail.webp")), process.ToString());
    }

    /// <summary>Runs the installed command itself (not <c>dotnet imagepipeline.dll</c>), as a shell would from the PATH.</summary>
    private static Task<CliResult> RunAsync(string tool, params string[] arguments)
    {
        var start = CliRunner.StartInfo(arguments);
        start.FileName = tool;
        start.ArgumentList.RemoveAt(0);
        // The apphost finds the runtime the tests run on, wherever it is installed.
        start.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(LocalHostProcess.DotnetHost());
        return CliRunner.RunAsync(start, arguments);
    }

    /// <summary>The assembly carries precompiled (ReadyToRun) code, which is what keeps a command's start-up short.</summary>
    private static void AssertReadyToRun(string assembly)
    {
        using var pe = new PEReader(File.OpenRead(assembly));
        Assert.True(pe.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0, assembly + " is not ReadyToRun.");
    }
}
