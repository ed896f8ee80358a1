using System.Diagnostics;
using System.Globalization;
using System.Text;
using static ImagePipeline.Cli.Tests.ClientChecks;

namespace ImagePipeline.Cli.Tests;

/// <summary><c>watch</c> without a terminal: plain snapshots every interval until Ctrl+C, then exit code 0.</summary>
[Collection(ApiHostCollection.Name)]
[Trait("Category", "Integration")]
public sealed class WatchTests(ApiHost host)
{
    private const int SigInt = 2, SigTerm = 15;

    [Fact]
    public async Task Watch_WithoutTerminal_PrintsPlainSnapshotsUntilInterruptedThenExitsZero()
    {
        // At least three images to show.
        (await host.PhotosUploadAsync()).AssertExitCode(0);
        var start = CliRunner.StartInfo(
            ["watch", "--limit", "3", "--interval", "300ms", "--api", host.Url],
            new Dictionary<string, string?> { ["NO_COLOR"] = null, ["TERM"] = "xterm-256color" });
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var snapshots = 0;
        var twoSnapshots = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (stdout)
            {
                stdout.AppendLine(e.Data);
                if (e.Data.Contains(" image(s) at ", StringComparison.Ordinal) && ++snapshots == 2)
                {
                    twoSnapshots.TrySetResult();
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        try
        {
            await twoSnapshots.Task.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
            var signal = await InterruptAsync(process.Id);
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(deadline.Token);
            process.WaitForExit(); // drains the output events

            var run = new CliResult(start.ArgumentList.Skip(1).ToList(), process.ExitCode, stdout.ToString(), stderr.ToString(), TimeSpan.Zero);
            Assert.True(process.ExitCode == 0, $"After SIG{(signal == SigInt ? "INT" : "TERM")}: {run}");
            AssertNoEscapes(run);
            var blocks = run.Stdout.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
            Assert.True(blocks.Length >= 2, run.ToString());
            foreach (var block in blocks.Take(2))
            {
                var lines = block.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.Matches($"^\\d{{4}}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ  3 image\\(s\\) at {System.Text.RegularExpressions.Regex.Escape(host.Url)}$", lines[0]);
                Assert.Matches("^id +file +status +created$", lines[1]);
                Assert.Equal(3, lines.Length - 2);
                Assert.All(lines.Skip(2), line => Assert.Matches("^[0-9a-f-]{36} ", line));
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>
    /// Ctrl+C: SIGINT. A process started in the background by a non-interactive shell inherits SIGINT as ignored (and
    /// .NET keeps it so); then the test sends SIGTERM, which the CLI handles the same way.
    /// </summary>
    private static async Task<int> InterruptAsync(int pid)
    {
        var signal = SigInt;
        foreach (var line in await File.ReadAllLinesAsync($"/proc/{pid}/status"))
        {
            if (line.StartsWith("SigIgn:", StringComparison.Ordinal)
                && (ulong.Parse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture) & (1UL << (SigInt - 1))) != 0)
            {
                signal = SigTerm;
            }
        }

        using var kill = Process.Start(new ProcessStartInfo("kill", ["-s", signal == SigInt ? "INT" : "TERM", pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
        return signal;
    }
}
