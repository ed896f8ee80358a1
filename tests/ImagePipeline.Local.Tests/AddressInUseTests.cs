using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ImagePipeline.Testing;

namespace ImagePipeline.Local.Tests;

/// <summary>A second host on a taken address (often the first one still running) says so in one line and exits 1, before it opens anything in its data directory.</summary>
[Trait("Category", "Integration")]
public sealed class AddressInUseTests : IDisposable
{
    private readonly TempDirectory _data = new();

    [Fact]
    public async Task Start_AddressTakenByAnotherProgram_OneClearLineAndExitOne()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var start = new ProcessStartInfo(LocalHostProcess.DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { LocalHostProcess.DllPath, "--urls", $"http://127.0.0.1:{port}", "--data-dir", _data.Path })
        {
            start.ArgumentList.Add(arg);
        }

        using var host = Process.Start(start)!;
        var stdout = host.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = host.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        await host.WaitForExitAsync(deadline.Token);

        Assert.Equal(1, host.ExitCode);
        var error = await stderr;
        Assert.Contains($"http://127.0.0.1:{port}/ is already in use", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", error + await stdout, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_data.Path));
    }

    public void Dispose() => _data.Dispose();
}
