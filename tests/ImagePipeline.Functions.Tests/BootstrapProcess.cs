using System.Diagnostics;
using System.Text;
using System.Text.Json;
using ImagePipeline.Testing;

namespace ImagePipeline.Functions.Tests;

/// <summary>
/// The published <c>bootstrap</c> as a child process under a <see cref="FakeLambdaRuntimeApi"/>, the way Lambda runs
/// it: only the given environment (plus PATH and HOME), stdout captured line by line. Disposing kills it and stops
/// the fake Runtime API.
/// </summary>
internal sealed class BootstrapProcess : IAsyncDisposable
{
    public static readonly TimeSpan InvokeWait = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly Lock _gate = new();

    private BootstrapProcess(Process process, FakeLambdaRuntimeApi runtime)
    {
        _process = process;
        Runtime = runtime;
    }

    /// <summary>The fake Runtime API the process polls.</summary>
    public FakeLambdaRuntimeApi Runtime { get; }

    /// <summary>stdout lines so far; stderr lines are prefixed with <c>[stderr] </c>.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>The stdout lines that are JSON objects, parsed.</summary>
    public IReadOnlyList<JsonElement> JsonLines =>
        [.. Lines.Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    /// <summary>Everything written so far, for failure messages.</summary>
    public string Output => string.Join(Environment.NewLine, Lines);

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// Starts <paramref name="bootstrap"/> with <paramref name="environment"/> and a fresh fake Runtime API; through
    /// <paramref name="launcher"/> (a program and its arguments, the bootstrap's path appended) when given, e.g. qemu-user.
    /// </summary>
    public static BootstrapProcess Start(string bootstrap, IReadOnlyDictionary<string, string> environment, IReadOnlyList<string>? launcher = null)
    {
        var runtime = new FakeLambdaRuntimeApi();
        var start = new ProcessStartInfo(launcher is { Count: > 0 } ? launcher[0] : bootstrap)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            StandardOutputEncoding = Encoding.UTF8,
            WorkingDirectory = Path.GetDirectoryName(bootstrap)!,
        };
        if (launcher is { Count: > 0 })
        {
            foreach (var argument in launcher.Skip(1).Append(bootstrap))
            {
                start.ArgumentList.Add(argument);
            }
        }

        start.Environment.Clear();
        foreach (var (name, value) in runtime.FunctionEnvironment(environment))
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        var host = new BootstrapProcess(process, runtime);
        process.OutputDataReceived += (_, e) => host.Append(e.Data);
        process.ErrorDataReceived += (_, e) => host.Append(e.Data is null ? null : "[stderr] " + e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>Sends one event and returns the function's answer (fails the test on a timeout, with the output).</summary>
    public async Task<FakeInvocationResult> InvokeAsync(string payload, TimeSpan? timeLimit = null)
    {
        try
        {
            return await Runtime.InvokeAsync(payload, timeLimit ?? TimeSpan.FromSeconds(60), InvokeWait);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message} Exited: {HasExited}.{Environment.NewLine}{Output}", e);
        }
    }

    /// <summary>Waits for the process to end on its own.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    /// <summary>
    /// Ends the run the way Lambda ends an environment: stops the fake Runtime API, so the bootstrap's wait for its next
    /// event fails and it exits, then waits for the exit and for stdout and stderr to be read to their end, so
    /// <see cref="Lines"/> holds everything the process wrote. Asserts that the bootstrap made no request the Runtime API
    /// does not serve (a second answer to one event, a wrong path). Every integration test calls this before asserting
    /// on the output.
    /// </summary>
    /// <returns>The exit code.</returns>
    public async Task<int> StopAsync()
    {
        await Runtime.DisposeAsync();
        using (var cancel = new CancellationTokenSource(InvokeWait))
        {
            try
            {
                // Also waits for the redirected stdout and stderr to reach their end.
                await _process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The bootstrap did not exit within {InvokeWait.TotalSeconds:0} s of the Runtime API stopping.{Environment.NewLine}{Output}");
            }
        }

        Assert.True(Runtime.Unexpected.IsEmpty, $"The bootstrap made requests the Runtime API does not serve: {string.Join(", ", Runtime.Unexpected)}{Environment.NewLine}{Output}");
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }

        _process.Dispose();
        await Runtime.DisposeAsync();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _lines.Add(line);
        }
    }
}
