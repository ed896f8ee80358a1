using System.Diagnostics;
using System.Text;
using ImagePipeline.Testing;

namespace ImagePipeline.Cli.Tests;

/// <summary>What one run of the real <c>imagepipeline</c> child process did.</summary>
internal sealed record CliResult(IReadOnlyList<string> Arguments, int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    public override string ToString() =>
        $"imagepipeline {string.Join(' ', Arguments)}{Environment.NewLine}" +
        $"exit code {ExitCode} after {Elapsed.TotalSeconds:0.0} s{Environment.NewLine}" +
        $"--- stdout ---{Environment.NewLine}{Clip(Stdout)}{Environment.NewLine}" +
        $"--- stderr ---{Environment.NewLine}{Clip(Stderr)}";

    /// <summary>Fails with the whole run (command, output, error) when the exit code is not <paramref name="expected"/>.</summary>
    public CliResult AssertExitCode(int expected)
    {
        Assert.True(ExitCode == expected, $"Expected exit code {expected}, got {ExitCode}.{Environment.NewLine}{this}");
        return this;
    }

    private static string Clip(string text) => text.Length <= 6000 ? text : text[..6000] + $"… ({text.Length} characters)";
}

/// <summary>
/// Runs the CLI the way a user does: <c>dotnet imagepipeline.dll …</c> as a child process, with stdout and stderr
/// captured and a hard time limit (a hang kills the process tree and fails the test).
/// </summary>
internal static class CliRunner
{
    public const string LibvipsVariable = "IMAGEPIPELINE_LIBVIPS";

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private static readonly Lazy<string> Dll = new(FindDll);

    // The config folder of runs that do not bring their own: never the developer's ~/.config (nothing is written there:
    // the tests that log in or out give each run its own).
    private static readonly Lazy<string> SharedConfigHome = new(() =>
        Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "imagepipeline-cli-tests-config")).FullName);

    /// <summary>
    /// The CLI's entry assembly. The ProjectReference to src/ImagePipeline.Cli copies it, with its runtimeconfig.json,
    /// deps.json and the bundled libvips under runtimes/, into this test assembly's output folder.
    /// </summary>
    public static string DllPath => Dll.Value;

    /// <summary>Runs <c>imagepipeline <paramref name="arguments"/></c>. The default libvips is used unless
    /// <paramref name="environment"/> sets <see cref="LibvipsVariable"/> (a value of null removes a variable).</summary>
    public static async Task<CliResult> RunAsync(
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        TimeSpan? timeout = null,
        string? workingDirectory = null)
    {
        var args = arguments.ToList();
        return await RunAsync(StartInfo(args, environment, workingDirectory), args, timeout);
    }

    /// <summary>Runs a prepared start (e.g. another copy of the CLI) the same way; <paramref name="args"/> are for reports.</summary>
    public static async Task<CliResult> RunAsync(ProcessStartInfo start, IReadOnlyList<string> args, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var stopwatch = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + start.FileName);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(limit);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            var partial = new CliResult(args, process.ExitCode, await stdout, await stderr, stopwatch.Elapsed);
            Assert.Fail($"imagepipeline did not finish within {limit.TotalSeconds:0} s and was killed.{Environment.NewLine}{partial}");
        }

        return new CliResult(args, process.ExitCode, await stdout, await stderr, stopwatch.Elapsed);
    }

    /// <summary>
    /// How <c>imagepipeline <paramref name="arguments"/></c> is started: <c>dotnet imagepipeline.dll …</c>, output
    /// redirected, in <paramref name="workingDirectory"/> (default: the test output folder), with the default libvips
    /// and <c>NO_COLOR=1</c> unless <paramref name="environment"/> says otherwise (null removes a variable).
    /// </summary>
    public static ProcessStartInfo StartInfo(
        IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(LocalHostProcess.DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(DllPath);
        foreach (var arg in arguments)
        {
            start.ArgumentList.Add(arg);
        }

        // A developer's own IMAGEPIPELINE_LIBVIPS must not change what "the default libvips" means here.
        start.Environment.Remove(LibvipsVariable);
        // Nor may a developer's IMAGEPIPELINE_API point the client commands elsewhere.
        start.Environment.Remove("IMAGEPIPELINE_API");
        // Nor a developer's sign-in be sent or changed: no IMAGEPIPELINE_TOKEN, and a token file of the tests' own
        // (tests of sign-in give each run its own, see UserConfig), and no browser opened by login.
        start.Environment.Remove("IMAGEPIPELINE_TOKEN");
        start.Environment["XDG_CONFIG_HOME"] = SharedConfigHome.Value;
        start.Environment.Remove("DISPLAY");
        start.Environment.Remove("WAYLAND_DISPLAY");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["NO_COLOR"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        return start;
    }

    private static string FindDll()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "imagepipeline.dll");
        if (!File.Exists(path) || !File.Exists(Path.Combine(AppContext.BaseDirectory, "imagepipeline.runtimeconfig.json")))
        {
            throw new FileNotFoundException(
                "imagepipeline.dll (with its runtimeconfig.json) is not beside the tests; the ProjectReference to " +
                "src/ImagePipeline.Cli should have copied it into " + AppContext.BaseDirectory,
                path);
        }

        return path;
    }
}
