using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace ImagePipeline.Benchmarks;

/// <summary>
/// Phase 1 of pipeline mode: one photo at a time. Each photo goes through <c>imagepipeline process PHOTO</c> (a fresh
/// process, as a user runs it) and through the running host (POST, PUT, then ready), the two interleaved photo by
/// photo so that load on the machine hits both alike; the figures are medians over the photos.
/// </summary>
internal sealed partial class PipelineBenchmark
{
    private const double LatencyTarget = 1.2;
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan LatencyTimeout = TimeSpan.FromSeconds(120);

    private async Task<LatencyResult?> RunLatencyAsync(Command cli, Command launcher, IReadOnlyList<string> inputs, HttpClient http)
    {
        var n = Math.Min(options.LatencyImages, inputs.Count);
        output.WriteLine($"== 1. One photo at a time: PUT -> ready on the host vs imagepipeline process on the same photo ({n} photos) ==");
        var (host, dataDirectory) = await StartHostAsync(launcher, http, "latency");
        if (host is null)
        {
            return null;
        }

        var cliOut = Path.Combine(options.OutputDirectory, "cli-latency");
        try
        {
            using var watcher = new HostLogWatcher(host.StdoutPath);
            var byId = new ConcurrentDictionary<string, ImageState>(StringComparer.Ordinal);

            // Warm-up, not counted: the host's first image pays JIT and first-use costs a long-running host pays once;
            // the CLI's first run loads its files into the page cache.
            Progress("latency: warm-up (one photo through each, not counted)...");
            var warmHost = await OnePhotoThroughHostAsync(http, host, watcher, inputs[0], byId);
            var warmCli = OnePhotoThroughCli(cli, inputs[0], Path.Combine(cliOut, "warm-up"));
            output.WriteLine($"warm-up:  first photo through the fresh host {Sec(warmHost.LatencyMs)} s PUT -> ready ({warmHost.Status}); "
                + $"CLI {Sec(warmCli.WallMs)} s (not counted)");

            var samples = new List<LatencySample>(n);
            var machineBefore = MachineCpu.Read();
            var hostCpuBefore = host.CpuMs();
            var selfCpuBefore = ChildProcess.SelfCpuMs();
            var started = Stopwatch.GetTimestamp();
            var cliCpu = 0.0;
            for (var i = 0; i < n; i++)
            {
                // Alternate which goes first, so neither always follows the other's exit.
                var photo = inputs[i];
                HostPhoto hostRun;
                ChildResult cliRun;
                if (i % 2 == 0)
                {
                    cliRun = OnePhotoThroughCli(cli, photo, Path.Combine(cliOut, $"{i:D4}"));
                    await Task.Delay(Settle);
                    hostRun = await OnePhotoThroughHostAsync(http, host, watcher, photo, byId);
                }
                else
                {
                    hostRun = await OnePhotoThroughHostAsync(http, host, watcher, photo, byId);
                    await Task.Delay(Settle);
                    cliRun = OnePhotoThroughCli(cli, photo, Path.Combine(cliOut, $"{i:D4}"));
                }

                cliCpu += cliRun.CpuMs;
                samples.Add(new LatencySample(photo, cliRun, hostRun));
                Progress($"  photo {i + 1}/{n}: CLI {Sec(cliRun.WallMs)} s, host PUT -> ready {Sec(hostRun.LatencyMs)} s ({hostRun.Status})");
                await Task.Delay(Settle);
            }

            var windowMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var machineBusy = MachineCpu.BusyMs(machineBefore, MachineCpu.Read());
            var hostCpu = host.CpuMs() - hostCpuBefore;
            var selfCpu = ChildProcess.SelfCpuMs() - selfCpuBefore;

            // The CLI's cost per photo once it runs: the same photos in one warm process, one at a time.
            Progress($"latency: imagepipeline process --parallel 1 on the {n} photos in one process...");
            var warmRun = n >= 2 ? RunCliOnce(cli, inputs.Take(n).ToList(), Path.Combine(cliOut, "one-process"), ["--parallel", "1"]) : null;
            var (exit, graceful, _) = host.Stop(StopGrace);
            var result = new LatencyResult(samples, warmHost, warmCli, warmRun, windowMs, machineBusy, hostCpu, selfCpu, cliCpu, exit, graceful);
            await File.WriteAllLinesAsync(
                Path.Combine(_logs, "latency.tsv"),
                samples.Select(s => string.Join('\t', s.Photo, Fixed(s.Cli.WallMs, "0"), Fixed(s.Host.LatencyMs, "0"), Fixed(s.Host.LoggedMs, "0"), Fixed(s.Host.ResizeMs, "0"), Fixed(s.Host.ThumbnailMs, "0"), Fixed(s.Host.UploadMs, "0"), s.Host.Status))
                    .Prepend("photo\tcli_wall_ms\thost_put_to_ready_ms\thost_put_to_logged_ms\tresize_ms\tthumbnail_ms\tupload_ms\tstatus"));
            PrintLatency(result, host);
            return result;
        }
        finally
        {
            host.Dispose();
            DeleteQuietly(dataDirectory);
            DeleteQuietly(cliOut);
        }
    }

    private ChildResult OnePhotoThroughCli(Command cli, string photo, string outDirectory) =>
        RunCliOnce(cli, [photo], outDirectory, []);

    private ChildResult RunCliOnce(Command cli, IReadOnlyList<string> photos, string outDirectory, IReadOnlyList<string> extra)
    {
        DeleteQuietly(outDirectory);
        var name = Path.GetFileName(outDirectory);
        return ChildProcess.Run(
            cli.File, [.. cli.Arguments, "process", .. photos, "--out", outDirectory, .. extra],
            Path.Combine(_logs, $"cli-latency-{name}.log"), Path.Combine(_logs, $"cli-latency-{name}.stderr.log"));
    }

    /// <summary>
    /// POST + PUT one photo, then wait for the host's log to show both stages finished and confirm with
    /// <c>GET /v1/images/{id}</c>. The latency runs from the PUT's response to that GET's response.
    /// </summary>
    private static async Task<HostPhoto> OnePhotoThroughHostAsync(
        HttpClient http, LocalHostProcess host, HostLogWatcher watcher, string photo, ConcurrentDictionary<string, ImageState> byId)
    {
        var image = new ImageState(photo);
        await UploadAsync(http, host.BaseUrl, image, byId, CancellationToken.None);
        if (image.UploadError is not null || image.ImageId is null)
        {
            return new HostPhoto(null, "upload error: " + image.UploadError, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0);
        }

        var id = image.ImageId;
        var logged = watcher.WaitAsync(id);
        var deadline = Stopwatch.GetTimestamp() + (long)(LatencyTimeout.TotalSeconds * Stopwatch.Frequency);
        string? status = null;
        var gets = 0;
        long readyAt = 0;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            // The log line is the signal; a GET every second is only a safety net should the log say nothing.
            if (!logged.IsCompleted)
            {
                await Task.WhenAny(logged, Task.Delay(1000));
            }

            (status, readyAt) = await StatusAsync(http, host.BaseUrl, id);
            gets++;
            if (status is "ready" or "failed")
            {
                break;
            }

            if (logged.IsCompleted)
            {
                // Logged but not yet visible (never expected: the line follows the catalog write): look again soon.
                await Task.Delay(5);
            }
        }

        var loggedAt = watcher.CompletedAt(id);
        var (resizeMs, thumbnailMs) = watcher.StageTimes(id);
        return new HostPhoto(
            id,
            status ?? "unknown",
            Seconds(image.PostStarted, image.PutDone) * 1000,
            readyAt == 0 ? double.NaN : Seconds(image.PutDone, readyAt) * 1000,
            loggedAt is { } at ? Seconds(image.PutDone, at) * 1000 : double.NaN,
            resizeMs,
            thumbnailMs,
            gets);
    }

    private static async Task<(string? Status, long At)> StatusAsync(HttpClient http, Uri baseUrl, string id)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(baseUrl, $"/v1/images/{id}"));
            var body = await response.Content.ReadAsByteArrayAsync();
            var at = Stopwatch.GetTimestamp();
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return ($"http {(int)response.StatusCode}", 0);
            }

            using var document = JsonDocument.Parse(body);
            return (document.RootElement.GetProperty("status").GetString(), at);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException)
        {
            return ($"error {e.GetType().Name}", 0);
        }
    }

    private void PrintLatency(LatencyResult r, LocalHostProcess host)
    {
        var ready = r.Samples.Where(s => s.Host.Status == "ready").ToList();
        var cliOk = r.Samples.Where(s => s.Cli.Succeeded).ToList();
        var hostMs = ready.Select(s => s.Host.LatencyMs).ToList();
        var loggedMs = ready.Select(s => s.Host.LoggedMs).Where(v => !double.IsNaN(v)).ToList();
        var cliMs = cliOk.Select(s => s.Cli.WallMs).ToList();
        var resizeMs = ready.Select(s => s.Host.ResizeMs).Where(v => !double.IsNaN(v)).ToList();
        var thumbMs = ready.Select(s => s.Host.ThumbnailMs).Where(v => !double.IsNaN(v)).ToList();
        var slowestStage = ready.Select(s => Math.Max(s.Host.ResizeMs, s.Host.ThumbnailMs)).Where(v => !double.IsNaN(v)).ToList();
        var outside = ready.Select(s => s.Host.LatencyMs - Math.Max(s.Host.ResizeMs, s.Host.ThumbnailMs)).Where(v => !double.IsNaN(v)).ToList();
        var pairRatios = r.Samples.Where(s => s.Host.Status == "ready" && s.Cli.Succeeded).Select(s => s.Host.LatencyMs / s.Cli.WallMs).ToList();

        output.WriteLine($"photos:   {r.Samples.Count} copies of the input JPEG under different names, one at a time: the CLI and the host alternate which goes first, "
            + $"{Settle.TotalMilliseconds:0} ms apart; {ready.Count}/{r.Samples.Count} ready on the host, {cliOk.Count}/{r.Samples.Count} processed by the CLI");
        foreach (var failed in r.Samples.Where(s => s.Host.Status != "ready" || !s.Cli.Succeeded))
        {
            output.WriteLine($"  FAILED  {failed.Photo}: host {failed.Host.Status} ({failed.Host.ImageId}), CLI {failed.Cli.Describe()}");
        }

        output.WriteLine($"host:     PUT response -> GET /v1/images/{{id}} answers ready: median {Sec(Percentile(hostMs, 50))} s, max {Sec(hostMs.DefaultIfEmpty(double.NaN).Max())} s, "
            + $"min {Sec(hostMs.DefaultIfEmpty(double.NaN).Min())} s (signal: the host's second stage log line, read {Fixed(Percentile(loggedMs, 50), "0")} ms after the PUT at the median; "
            + $"{Fixed(ready.Select(s => (double)s.Host.Gets).DefaultIfEmpty(double.NaN).Average(), "0.0")} GETs per photo)");
        output.WriteLine($"          inside the stages (host log): resize median {Fixed(Percentile(resizeMs, 50), "0")} ms, thumbnail {Fixed(Percentile(thumbMs, 50), "0")} ms (they run side by side); "
            + $"the slower of the two {Fixed(Percentile(slowestStage, 50), "0")} ms, so {Fixed(Percentile(outside, 50), "0")} ms at the median (max {Fixed(outside.DefaultIfEmpty(double.NaN).Max(), "0")} ms) "
            + "is outside the stages (waking, receiving, logging, the GET)");
        var bytes = r.Samples.Count > 0 ? new FileInfo(r.Samples[0].PhotoPath).Length : 0;
        output.WriteLine($"          upload (POST + PUT of {bytes:N0} bytes): "
            + $"median {Fixed(Percentile(ready.Select(s => s.Host.UploadMs).ToList(), 50), "0")} ms (not in the latency)");
        output.WriteLine($"CLI:      imagepipeline process PHOTO --out DIR, a fresh process each (start to exit): median {Sec(Percentile(cliMs, 50))} s, max {Sec(cliMs.DefaultIfEmpty(double.NaN).Max())} s, "
            + $"CPU {Sec(Percentile(cliOk.Select(s => s.Cli.CpuMs).ToList(), 50))} s, peak RSS {Mib((long)Percentile(cliOk.Select(s => (double)s.Cli.MaxRssKiB).ToList(), 50))} MiB");
        if (r.WarmRun is { } warm)
        {
            var marginal = WarmCliPerPhotoMs(r);
            output.WriteLine($"          the same {r.Samples.Count} photos in one process (--parallel 1): {Sec(warm.WallMs)} s ({warm.Describe()}), "
                + $"so {Sec(marginal)} s per photo once the process runs ((that - one cold run) / {r.Samples.Count - 1})");
        }

        var ratio = Percentile(hostMs, 50) / Percentile(cliMs, 50);
        output.WriteLine($"ratio:    host median / CLI median = {Fixed(ratio, "0.00")}x (target <= {LatencyTarget:0.0}x); per photo: median {Fixed(Percentile(pairRatios, 50), "0.00")}x, "
            + $"max {Fixed(pairRatios.DefaultIfEmpty(double.NaN).Max(), "0.00")}x");
        output.WriteLine($"machine:  {Fixed(r.MachineBusyMs / r.WindowMs, "0.00")} of {Environment.ProcessorCount} cores busy over the {r.WindowMs / 1000:0.0} s: the host {Fixed(r.HostCpuMs / r.WindowMs, "0.00")}, "
            + $"the CLI runs {Fixed(r.CliCpuMs / r.WindowMs, "0.00")}, this client {Fixed(r.SelfCpuMs / r.WindowMs, "0.00")}, "
            + $"everything else {Fixed((r.MachineBusyMs - r.HostCpuMs - r.CliCpuMs - r.SelfCpuMs) / r.WindowMs, "0.00")} (idle machine: ~0); load now {Benchmark.LoadAverage()}");
        output.WriteLine($"host:     CPU {Fixed(r.HostCpuMs / Math.Max(1, r.Samples.Count), "0")} ms per photo; peak RSS {Mib(r.Exit.MaxRssKiB)} MiB (ru_maxrss); stopped by {(r.Graceful ? "SIGTERM" : "SIGKILL")}; logs {host.StdoutPath}");
        output.WriteLine();
    }

    /// <summary>The CLI's time per photo inside a running process: (N photos in one process - one cold run) / (N - 1).</summary>
    private static double WarmCliPerPhotoMs(LatencyResult r)
    {
        var cold = Percentile(r.Samples.Where(s => s.Cli.Succeeded).Select(s => s.Cli.WallMs).ToList(), 50);
        return r.WarmRun is { Succeeded: true } warm && r.Samples.Count >= 2 ? (warm.WallMs - cold) / (r.Samples.Count - 1) : double.NaN;
    }

    /// <summary>One photo through the host: its status, and times in milliseconds.</summary>
    /// <param name="ImageId">The image, when the POST succeeded.</param>
    /// <param name="Status">Its final status, or what went wrong.</param>
    /// <param name="UploadMs">POST start to PUT response.</param>
    /// <param name="LatencyMs">PUT response to the GET that answered ready (or failed).</param>
    /// <param name="LoggedMs">PUT response to the moment the host's second stage log line was read.</param>
    /// <param name="ResizeMs">Inside the resize stage, as the host logged it.</param>
    /// <param name="ThumbnailMs">Inside the thumbnail stage, as the host logged it.</param>
    /// <param name="Gets">GET /v1/images/{id} requests made while waiting.</param>
    private sealed record HostPhoto(
        string? ImageId, string Status, double UploadMs, double LatencyMs, double LoggedMs, double ResizeMs, double ThumbnailMs, int Gets);

    private sealed record LatencySample(string PhotoPath, ChildResult Cli, HostPhoto Host)
    {
        public string Photo => Path.GetFileName(PhotoPath);
    }

    private sealed record LatencyResult(
        List<LatencySample> Samples, HostPhoto WarmHost, ChildResult WarmCli, ChildResult? WarmRun, double WindowMs, double MachineBusyMs,
        double HostCpuMs, double SelfCpuMs, double CliCpuMs, ChildResult Exit, bool Graceful)
    {
        public List<double> HostMs => [.. Samples.Where(s => s.Host.Status == "ready").Select(s => s.Host.LatencyMs)];

        public List<double> CliMs => [.. Samples.Where(s => s.Cli.Succeeded).Select(s => s.Cli.WallMs)];

        public double Ratio => Percentile(HostMs, 50) / Percentile(CliMs, 50);
    }
}
