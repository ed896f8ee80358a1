using System.Diagnostics;
using System.Text;

namespace ImagePipeline.Testing;

/// <summary>
/// Publishes a Lambda function package (src/ImagePipeline.Functions) exactly as the CDK app's command does, but into a
/// given artifacts folder, so tests and the benchmark never write into the clone's own <c>artifacts/</c> or race a
/// developer's build.
/// </summary>
public static class FunctionPackage
{
    /// <summary>The executable Lambda starts.</summary>
    public const string BootstrapFileName = "bootstrap";

    /// <summary>How long a publish may take (a cold one compiles five projects in Release and then either crossgens the
    /// framework or compiles the whole program natively, on a busy 2-core machine).</summary>
    public static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(12);

    /// <summary>Where a publish of <paramref name="kind"/> with <c>--artifacts-path</c> <paramref name="artifactsPath"/> puts the package.</summary>
    public static string OutputFolder(string artifactsPath, FunctionPackageKind kind) =>
        Path.Combine(artifactsPath, "publish", "ImagePipeline.Functions", kind.FolderName);

    /// <summary>
    /// Runs <c>dotnet publish src/ImagePipeline.Functions</c> with <paramref name="kind"/>'s arguments and <c>--artifacts-path
    /// <paramref name="artifactsPath"/></c> in <paramref name="repositoryRoot"/> and returns the package folder; throws
    /// with the build's output when it fails.
    /// </summary>
    public static async Task<string> PublishAsync(string repositoryRoot, string artifactsPath, FunctionPackageKind kind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(kind);
        var project = Path.Combine(repositoryRoot, "src", "ImagePipeline.Functions");
        if (!Directory.Exists(project))
        {
            throw new DirectoryNotFoundException($"{project} does not exist: is {repositoryRoot} the repository root?");
        }

        var start = new ProcessStartInfo(LocalHostProcess.DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = repositoryRoot,
        };

        // No build servers: a compiler server or MSBuild node started from here would outlive the tests holding their
        // output pipes open.
        foreach (var argument in new[] { "publish", project }.Concat(kind.PublishArguments).Concat(["--artifacts-path", artifactsPath, "--disable-build-servers", "-nologo"]))
        {
            start.ArgumentList.Add(argument);
        }

        // The test host's own MSBuild settings must not leak into a separate build.
        foreach (var variable in new[] { "MSBuildSDKsPath", "MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly", "VSTEST_HOST_DEBUG" })
        {
            start.Environment.Remove(variable);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PublishTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet publish ({kind}) did not finish within {PublishTimeout.TotalMinutes:0} minutes.{Environment.NewLine}{Text(output)}");
        }

        var folder = OutputFolder(artifactsPath, kind);
        if (process.ExitCode != 0 || !File.Exists(Path.Combine(folder, BootstrapFileName)))
        {
            throw new InvalidOperationException($"dotnet publish ({kind}) failed (exit code {process.ExitCode}); no {BootstrapFileName} in {folder}.{Environment.NewLine}{Text(output)}");
        }

        return folder;
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
