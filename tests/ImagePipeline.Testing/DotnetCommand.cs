using System.Diagnostics;
using System.Text;

namespace ImagePipeline.Testing;

/// <summary>
/// Runs the .NET CLI (<c>dotnet publish</c>, <c>pack</c>, <c>tool install</c>…) from a test as a separate build: no
/// build servers, none of the test host's MSBuild settings, output collected for the failure message.
/// </summary>
public static class DotnetCommand
{
    /// <summary>
    /// Runs <c>dotnet <paramref name="arguments"/></c> in <paramref name="workingDirectory"/>; throws with everything it
    /// printed when it exits non-zero or runs longer than <paramref name="timeout"/>. Returns what it printed.
    /// </summary>
    public static async Task<string> RunAsync(string workingDirectory, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(LocalHostProcess.DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory,
        };

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // No build servers: a compiler server or MSBuild node started from here would outlive the tests holding their
        // output pipes open.
        if (start.ArgumentList[0] is "build" or "publish" or "pack")
        {
            start.ArgumentList.Add("--disable-build-servers");
            start.ArgumentList.Add("-nologo");
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
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var command = "dotnet " + string.Join(' ', start.ArgumentList);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{command} did not finish within {timeout.TotalMinutes:0.#} minutes.{Environment.NewLine}{Text(output)}");
        }

        return process.ExitCode == 0
            ? Text(output)
            : throw new InvalidOperationException($"{command} failed (exit code {process.ExitCode}).{Environment.NewLine}{Text(output)}");
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
