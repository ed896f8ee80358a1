using ImagePipeline.Testing;

namespace ImagePipeline.Cli.Tests;

/// <summary>
/// NetVips falls back, silently, to the system's <c>libvips.so.42</c> when the bundled one is missing; Debian's 8.14 is
/// installed on these machines, so without the engine's check a broken install would run on another libvips and
/// produce other outputs. These copies of the CLI are broken on purpose.
/// </summary>
[Trait("Category", "Integration")]
public sealed class LibvipsChoiceTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Process_BundledLibvipsMissing_FailsNamingTheFileInsteadOfRunningOnTheSystemOne()
    {
        var app = CopyOfTheCli(bundled: null);

        var result = await RunAsync(app, "process", Samples.PathOf("tiny.jpg"), "--out", _temp.Combine("out"));

        result.AssertExitCode(ExitCodes.UsageOrConnection);
        Assert.Contains("bundled libvips", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(app, "runtimes", "linux-x64", "native", "libvips.so.42"), result.Stderr, StringComparison.Ordinal);
        Assert.Contains("IMAGEPIPELINE_LIBVIPS", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_temp.Combine("out", "tiny")), "nothing may be processed on a libvips nobody chose");
    }

    [Fact]
    public async Task Process_BundledFileIsAnotherVersion_FailsWithBothVersions()
    {
        SystemLibvipsRun.RequireInstalled();
        var app = CopyOfTheCli(bundled: SystemLibvipsRun.Library);

        var result = await RunAsync(app, "process", Samples.PathOf("tiny.jpg"), "--out", _temp.Combine("out"));

        result.AssertExitCode(ExitCodes.UsageOrConnection);
        Assert.Matches(@"is 8\.1[0-7]\.\d+, but this build expects 8\.18\.7", result.Stderr);
    }

    [Fact]
    public async Task Process_LibvipsVariableNamesAMissingFile_FailsNamingIt()
    {
        var missing = _temp.Combine("nowhere", "libvips.so.42");

        var result = await CliRunner.RunAsync(
            ["process", Samples.PathOf("tiny.jpg"), "--out", _temp.Combine("out")],
            new Dictionary<string, string?> { [CliRunner.LibvipsVariable] = missing });

        result.AssertExitCode(ExitCodes.UsageOrConnection);
        Assert.Contains($"IMAGEPIPELINE_LIBVIPS={missing}", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>The CLI's managed files in a folder of their own, with <paramref name="bundled"/> (or nothing) as the bundled libvips.</summary>
    private string CopyOfTheCli(string? bundled)
    {
        var app = Directory.CreateDirectory(_temp.Combine("app")).FullName;
        foreach (var file in Directory.EnumerateFiles(AppContext.BaseDirectory).Where(f => f.EndsWith(".dll", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal)))
        {
            File.Copy(file, Path.Combine(app, Path.GetFileName(file)));
        }

        if (bundled is not null)
        {
            var native = Directory.CreateDirectory(Path.Combine(app, "runtimes", "linux-x64", "native")).FullName;
            File.Copy(bundled, Path.Combine(native, "libvips.so.42"));
        }

        return app;
    }

    private static Task<CliResult> RunAsync(string app, params string[] arguments)
    {
        var start = CliRunner.StartInfo(arguments);
        start.ArgumentList[0] = Path.Combine(app, Path.GetFileName(CliRunner.DllPath));
        return CliRunner.RunAsync(start, arguments);
    }

    public void Dispose() => _temp.Dispose();
}
