using System.Diagnostics;
using System.Text;

namespace ImagePipeline.Cli.Tests;

/// <summary>
/// The real <c>imagepipeline</c> child process for commands a test talks to while they run (<c>login</c> prints an
/// address and waits): its stderr is read line by line as it comes, so the test can wait for a line, act on it, then
/// wait for the exit. Disposing kills it if it still runs.
/// </summary>
internal sealed class RunningCli : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _arguments;
    private readonly Stopwatch _stopwatch = Stopwatch.StartNew();
    private readonly StringBuilder _stdout = new(), _stderr = new();
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];

    private RunningCli(List<string> arguments, IReadOnlyDictionary<string, string?>? environment)
    {
        _arguments = arguments;
        _process = new Process { StartInfo = CliRunner.StartInfo(arguments, environment) };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data, _stdout, _stdoutClosed, matchWaiters: false);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data, _stderr, _stderrClosed, matchWaiters: true);
        if (!_process.Start())
        {
            throw new InvalidOperationException("Could not start imagepipeline.");
        }

        _process.StandardInput.Close();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Starts <c>imagepipeline <paramref name="arguments"/></c> (environment as <see cref="CliRunner.StartInfo"/> takes it).</summary>
    public static RunningCli Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null) =>
        new([.. arguments], environment);

    /// <summary>What it wrote to stderr so far.</summary>
    public string Stderr
    {
        get
        {
            lock (_lock)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>
    /// The first stderr line (already written or still to come) that <paramref name="match"/> accepts; fails the test
    /// with what was written when none comes within <paramref name="timeout"/> or the process ends first.
    /// </summary>
    public async Task<string> WaitForStderrLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            foreach (var line in _stderr.ToString().Split('\n'))
            {
                if (match(line.TrimEnd('\r')))
                {
                    return line.TrimEnd('\r');
                }
            }

            _waiters.Add((match, found));
        }

        var ended = _stderrClosed.Task.ContinueWith(_ => "", TaskScheduler.Default);
        var winner = await Task.WhenAny(found.Task, ended, Task.Delay(timeout, TestContext.Current.CancellationToken));
        if (winner == found.Task)
        {
            return await found.Task;
        }

        var result = await StopAsync();
        Assert.Fail($"The expected line did not appear on stderr {(winner == ended ? "before the process ended" : $"within {timeout.TotalSeconds:0} s")}.{Environment.NewLine}{result}");
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>Waits for the exit (killing it after <paramref name="timeout"/>, which fails the test) and returns the run.</summary>
    public async Task<CliResult> WaitForExitAsync(TimeSpan? timeout = null)
    {
        var limit = timeout ?? CliRunner.DefaultTimeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(limit);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            var partial = await StopAsync();
            Assert.Fail($"imagepipeline did not finish within {limit.TotalSeconds:0} s and was killed.{Environment.NewLine}{partial}");
        }

        return await ResultAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }

    private async Task<CliResult> StopAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }

        await _process.WaitForExitAsync(CancellationToken.None);
        return await ResultAsync();
    }

    private async Task<CliResult> ResultAsync()
    {
        // The streams end shortly after the exit; their last lines must be in the result.
        await Task.WhenAny(Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task), Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None));
        lock (_lock)
        {
            return new CliResult(_arguments, _process.ExitCode, _stdout.ToString(), _stderr.ToString(), _stopwatch.Elapsed);
        }
    }

    private void OnLine(string? line, StringBuilder into, TaskCompletionSource closed, bool matchWaiters)
    {
        if (line is null)
        {
            closed.TrySetResult();
            return;
        }

        lock (_lock)
        {
            into.Append(line).Append('\n');
            if (!matchWaiters)
            {
                return;
            }

            foreach (var waiter in _waiters.ToList())
            {
                if (waiter.Match(line))
                {
                    waiter.Found.TrySetResult(line);
                    _waiters.Remove(waiter);
                }
            }
        }
    }
}
