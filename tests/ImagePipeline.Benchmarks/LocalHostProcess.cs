using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ImagePipeline.Benchmarks;

/// <summary>Resident-set figures of a running process, from <c>/proc/&lt;pid&gt;/status</c>.</summary>
/// <param name="VmRssKiB">Resident now.</param>
/// <param name="VmHwmKiB">Highest resident so far (the kernel's high-water mark).</param>
internal readonly record struct ProcMemory(long VmRssKiB, long VmHwmKiB);

/// <summary>One sample of the host's CPU time and the machine's counters.</summary>
internal readonly record struct CpuSample(long Timestamp, double HostCpuMs, MachineCpu Machine);

/// <summary>
/// The local host (ImagePipeline.Local) as a child process: started through <see cref="ChildProcess.Start"/> on a
/// free loopback port with its own data directory, its memory sampled from /proc while it runs, stopped with SIGTERM
/// and reaped with wait4, so its peak RSS (ru_maxrss) is exact.
/// </summary>
internal sealed class LocalHostProcess : IDisposable
{
    private const int SampleIntervalMs = 100;

    // utime and stime in /proc/<pid>/stat are in clock ticks: USER_HZ, 100 on every Linux architecture .NET runs on.
    private const double MsPerTick = 10;

    private readonly RunningChild _child;
    private readonly CancellationTokenSource _stopSampling = new();
    private readonly Task _sampler;
    private readonly List<CpuSample> _cpuSamples = [];
    private long _peakRssKiB, _lastHwmKiB, _samples;
    private readonly Dictionary<int, double> _threadCpuMs = [];
    private readonly HashSet<int> _otherThreads = [];
    private ChildResult? _exit;

    private LocalHostProcess(RunningChild child, Uri baseUrl, string stdoutPath, string stderrPath)
    {
        _child = child;
        BaseUrl = baseUrl;
        StdoutPath = stdoutPath;
        StderrPath = stderrPath;
        _sampler = Task.Run(SampleAsync);
    }

    public Uri BaseUrl { get; }

    public int Pid => _child.Pid;

    public string StdoutPath { get; }

    public string StderrPath { get; }

    /// <summary>From the spawn to the first 200 from <c>GET /v1/health</c>.</summary>
    public double StartupMs { get; private set; }

    /// <summary>Resident set once healthy and idle: runtime, ASP.NET Core, libvips and the engine, no image yet.</summary>
    public long IdleRssKiB { get; private set; }

    /// <summary>Highest VmRSS seen by the sampler (every 100 ms).</summary>
    public long SampledPeakRssKiB => Interlocked.Read(ref _peakRssKiB);

    /// <summary>The last VmHWM read before the process exited.</summary>
    public long LastHwmKiB => Interlocked.Read(ref _lastHwmKiB);

    public long Samples => Interlocked.Read(ref _samples);

    /// <summary>
    /// Starts the host and waits until <c>GET /v1/health</c> answers 200. Throws (after killing it) when it exits or
    /// does not become healthy within <paramref name="timeout"/>.
    /// </summary>
    public static async Task<LocalHostProcess> StartAsync(
        Command launcher, string dataDirectory, int? concurrency, string logStem, HttpClient http, TimeSpan timeout)
    {
        var port = FreeLoopbackPort();
        var baseUrl = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        var arguments = new List<string>(launcher.Arguments) { "--urls", baseUrl.GetLeftPart(UriPartial.Authority), "--data-dir", dataDirectory };
        if (concurrency is { } c)
        {
            arguments.AddRange(["--concurrency", c.ToString(CultureInfo.InvariantCulture)]);
        }

        var stdout = logStem + ".log";
        var stderr = logStem + ".stderr.log";
        var child = ChildProcess.Start(launcher.File, arguments, stdout, stderr);
        var host = new LocalHostProcess(child, baseUrl, stdout, stderr);
        try
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
            while (true)
            {
                if (ChildProcess.WaitForExit(child, TimeSpan.Zero) is { } exited)
                {
                    host._exit = exited;
                    throw new InvalidOperationException($"the host exited during start-up ({exited.Describe()}): {host.LogTail()}");
                }

                try
                {
                    using var response = await http.GetAsync(new Uri(baseUrl, "/v1/health")).ConfigureAwait(false);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                if (Stopwatch.GetTimestamp() > deadline)
                {
                    throw new InvalidOperationException($"the host did not answer GET /v1/health with 200 within {timeout.TotalSeconds:0} s: {host.LogTail()}");
                }

                await Task.Delay(50).ConfigureAwait(false);
            }

            host.StartupMs = Stopwatch.GetElapsedTime(child.StartedTimestamp).TotalMilliseconds;

            // Let start-up garbage settle a moment, then take the idle figure.
            await Task.Delay(500).ConfigureAwait(false);
            host.IdleRssKiB = host.Memory()?.VmRssKiB ?? 0;
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>The host's memory now, or null when it has exited.</summary>
    public ProcMemory? Memory()
    {
        try
        {
            long rss = -1, hwm = -1;
            foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = KiB(line);
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    hwm = KiB(line);
                }
            }

            return rss < 0 || hwm < 0 ? null : new ProcMemory(rss, hwm);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>User plus system CPU time of the host so far (all threads), from /proc/&lt;pid&gt;/stat.</summary>
    public double CpuMs()
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{Pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

            // After the ")": state is field 3 of stat(5), so utime (14) and stime (15) are at 11 and 12.
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * MsPerTick;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    /// <summary>
    /// CPU time so far of the host's threads named <see cref="WatchedThread"/> (Linux keeps 15 characters of a thread's
    /// name), including those that have ended since (the runtime ends an idle background JIT thread after a few seconds
    /// and starts another when needed): the sampler reads them every 100 ms, so an ended thread's last 100 ms may be
    /// missing.
    /// </summary>
    public double WatchedThreadCpuMs()
    {
        lock (_threadCpuMs)
        {
            ReadWatchedThreads();
            return _threadCpuMs.Values.Sum();
        }
    }

    /// <summary>
    /// The name prefix whose threads <see cref="WatchedThreadCpuMs"/> adds up: the runtime's background JIT, which
    /// recompiles hot methods optimized as a fresh process warms up (tiered compilation; Linux keeps the first 15
    /// characters of ".NET Tiered Compilation Worker").
    /// </summary>
    public string WatchedThread { get; init; } = ".NET Tiered Com";

    // Under the lock: reads the CPU of threads not yet known to be others (a thread keeps the name the runtime gives it).
    private void ReadWatchedThreads()
    {
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{Pid}/task"))
            {
                if (!int.TryParse(Path.GetFileName(task), NumberStyles.None, CultureInfo.InvariantCulture, out var tid) || _otherThreads.Contains(tid))
                {
                    continue;
                }

                try
                {
                    var stat = File.ReadAllText(Path.Combine(task, "stat"));
                    var open = stat.IndexOf('(', StringComparison.Ordinal);
                    var close = stat.LastIndexOf(')');
                    if (open < 0 || close < open || !stat[(open + 1)..close].StartsWith(WatchedThread, StringComparison.Ordinal))
                    {
                        _otherThreads.Add(tid);
                        continue;
                    }

                    var fields = stat[(close + 2)..].Split(' ');
                    _threadCpuMs[tid] = (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * MsPerTick;
                }
                catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException)
                {
                    // The thread ended meanwhile: its last reading stays.
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The process has exited.
        }
    }

    /// <summary>
    /// Cores kept busy in each of <paramref name="slices"/> equal slices of [<paramref name="from"/>,
    /// <paramref name="to"/>] (Stopwatch timestamps), by the host and by the whole machine, from the 100 ms samples.
    /// </summary>
    public IReadOnlyList<(double Host, double Machine)> BusyTimeline(long from, long to, int slices)
    {
        CpuSample[] samples;
        lock (_cpuSamples)
        {
            samples = [.. _cpuSamples];
        }

        var result = new List<(double, double)>();
        if (samples.Length < 2 || to <= from)
        {
            return result;
        }

        CpuSample At(long time)
        {
            // The last sample at or before the time (the first one when none is).
            var index = Array.FindLastIndex(samples, s => s.Timestamp <= time);
            return samples[Math.Max(0, index)];
        }

        for (var i = 0; i < slices; i++)
        {
            var a = At(from + (to - from) * i / slices);
            var b = At(from + (to - from) * (i + 1) / slices);
            var ms = (b.Timestamp - a.Timestamp) * 1000.0 / Stopwatch.Frequency;
            result.Add(ms <= 0 ? (double.NaN, double.NaN) : ((b.HostCpuMs - a.HostCpuMs) / ms, MachineCpu.BusyMs(a.Machine, b.Machine) / ms));
        }

        return result;
    }

    /// <summary>
    /// Sends SIGTERM and reaps the host with wait4; SIGKILL when it has not exited within <paramref name="grace"/>.
    /// Returns its exit and its own rusage (ru_maxrss: the exact peak RSS), and whether it stopped gracefully.
    /// </summary>
    public (ChildResult Result, bool Graceful, double StopMs) Stop(TimeSpan grace)
    {
        if (_exit is not null)
        {
            return (_exit, false, 0);
        }

        var started = Stopwatch.GetTimestamp();
        ChildProcess.Signal(Pid, ChildProcess.SigTerm);
        var result = ChildProcess.WaitForExit(_child, grace);
        var graceful = result is not null;
        if (result is null)
        {
            ChildProcess.Signal(Pid, ChildProcess.SigKill);
            result = ChildProcess.WaitForExit(_child, TimeSpan.FromSeconds(30))
                ?? throw new InvalidOperationException($"host {Pid} did not exit even after SIGKILL.");
        }

        _exit = result;
        _stopSampling.Cancel();
        return (result, graceful, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>The end of the host's logs, for error messages.</summary>
    public string LogTail()
    {
        static string Tail(string path) =>
            File.Exists(path) ? string.Join(" | ", File.ReadLines(path).TakeLast(5)) : "";

        var text = (Tail(StderrPath) + " | " + Tail(StdoutPath)).Trim(' ', '|');
        return text.Length == 0 ? "(no output)" : text;
    }

    public void Dispose()
    {
        if (_exit is null)
        {
            try
            {
                Stop(TimeSpan.FromSeconds(10));
            }
            catch (InvalidOperationException)
            {
                // Already gone: nothing left to stop.
            }
        }

        _stopSampling.Cancel();
        try
        {
            _sampler.Wait();
        }
        catch (AggregateException)
        {
            // The sampler only ever ends by cancellation.
        }

        _stopSampling.Dispose();
    }

    private async Task SampleAsync()
    {
        while (!_stopSampling.IsCancellationRequested)
        {
            if (Memory() is { } memory)
            {
                InterlockedMax(ref _peakRssKiB, memory.VmRssKiB);
                Interlocked.Exchange(ref _lastHwmKiB, memory.VmHwmKiB);
                Interlocked.Increment(ref _samples);
                lock (_threadCpuMs)
                {
                    ReadWatchedThreads();
                }

                var sample = new CpuSample(Stopwatch.GetTimestamp(), CpuMs(), MachineCpu.Read());
                lock (_cpuSamples)
                {
                    _cpuSamples.Add(sample);
                }
            }

            try
            {
                await Task.Delay(SampleIntervalMs, _stopSampling.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private static long KiB(string line)
    {
        // "VmRSS:	  123456 kB"
        var number = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim().Split(' ')[0];
        return long.Parse(number, CultureInfo.InvariantCulture);
    }

    private static int FreeLoopbackPort()
    {
        // The kernel picks a free port; the host binds it a moment later (a race only another process could lose us).
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
