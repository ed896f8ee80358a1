using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using ImagePipeline.Imaging;
using ImagePipeline.TestImages;

namespace ImagePipeline.Benchmarks;

/// <summary>
/// <c>pipeline</c> mode: the offline CLI (the reference) against the local host taking the same images through the
/// REST API, end to end — one photo at a time (latency) and all at once (throughput) — plus list latency over a large
/// catalog. Prints a report; the targets are judged, not enforced.
/// </summary>
internal sealed partial class PipelineBenchmark(PipelineModeOptions options, TextWriter output)
{
    private const double ThroughputTarget = 0.95;
    private const double ListP99TargetMs = 20;
    private const int ListLimit = 50;
    private const int PollPageLimit = 100;
    private const int ListWarmUp = 20;
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(60);

    private readonly string _logs = Path.Combine(options.OutputDirectory, "logs");

    public async Task<int> RunAsync()
    {
        var cli = ProjectBinaries.Find("ImagePipeline.Cli", "imagepipeline", out var cliError);
        var host = ProjectBinaries.Find("ImagePipeline.Local", "ImagePipeline.Local", out var hostError);
        if (cli is null || host is null)
        {
            await Console.Error.WriteLineAsync("error: " + (cliError ?? hostError));
            return 1;
        }

        Directory.CreateDirectory(_logs);

        // Loads libvips in this process too, so the header can name the build the CLI and the host load.
        _ = new LibvipsImageEngine();
        Benchmark.PrintMachineHeader(output);
        output.WriteLine($"CLI:      {cli}");
        output.WriteLine($"Host:     {host}");
        output.WriteLine($"Run:      {options.LatencyImages} photos one at a time, then {options.Images} images at once, {options.Size.Width}x{options.Size.Height}; client parallelism {options.Parallel}; "
            + $"host --concurrency {(options.HostConcurrency is { } c ? c.ToString(CultureInfo.InvariantCulture) : $"default ({Environment.ProcessorCount})")}; "
            + $"ready = both stage lines in the host log, confirmed by the API (sweeps every {options.PollMs} ms in the burst); {options.Records:N0} records, {options.ListRequests} list requests");
        output.WriteLine($"Output:   {options.OutputDirectory} (host logs in logs/)");
        output.WriteLine();

        var inputs = EnsureInputs();
        var baseline = InitBaseline();

        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.Parallel + 4,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(5) };

        var latency = options.LatencyImages > 0 ? await RunLatencyAsync(cli, host, inputs, http) : null;
        var burst = inputs.Take(options.Images).ToList();
        var reference = RunReference(cli, burst);
        var throughput = await RunThroughputAsync(host, burst, http, baseline);
        var list = options.Records > 0 ? await RunListLatencyAsync(host, http) : null;

        PrintSummary(latency, reference, throughput, list, baseline);
        return 0;
    }

    // ---------------------------------------------------------------- inputs and baseline

    private List<string> EnsureInputs()
    {
        var (width, height) = (options.Size.Width, options.Size.Height);
        var directory = Directory.CreateDirectory(Path.Combine(options.OutputDirectory, $"inputs-{width}x{height}")).FullName;
        var source = Path.Combine(options.OutputDirectory, $"source-{width}x{height}.jpg");
        if (!File.Exists(source) || new FileInfo(source).Length == 0)
        {
            Progress($"generating {source} with SampleImageSet.LargeJpeg({width}, {height})...");
            File.WriteAllBytes(source + ".tmp", SampleImageSet.LargeJpeg(width, height));
            File.Move(source + ".tmp", source, overwrite: true);
        }

        var length = new FileInfo(source).Length;
        var count = Math.Max(options.Images, options.LatencyImages);
        var inputs = new List<string>(count);
        var copied = 0;
        for (var i = 1; i <= count; i++)
        {
            var path = Path.Combine(directory, $"photo-{i:D4}.jpg");
            if (!File.Exists(path) || new FileInfo(path).Length != length)
            {
                File.Copy(source, path, overwrite: true);
                copied++;
            }

            inputs.Add(path);
        }

        output.WriteLine("== Inputs ==");
        output.WriteLine($"{count} x photo-NNNN.jpg in {directory}: copies of one SampleImageSet.LargeJpeg({width}, {height}), {length:N0} bytes each"
            + (copied > 0 ? $" ({copied} copied now)" : " (reused)"));
        output.WriteLine();
        return inputs;
    }

    /// <summary>A cold child that only builds the engine: the runtime + libvips baseline every process pays.</summary>
    private ChildResult? InitBaseline()
    {
        var command = Benchmark.OurChild("init", null);
        try
        {
            var result = ChildProcess.Run(command.File, command.Arguments, stderrPath: Path.Combine(_logs, "init-baseline.stderr.log"));
            return result.Succeeded ? result : null;
        }
        catch (InvalidOperationException e)
        {
            Progress("init baseline failed: " + e.Message);
            return null;
        }
    }

    // ---------------------------------------------------------------- 1. reference: imagepipeline process

    private ReferenceResult RunReference(Command cli, IReadOnlyList<string> inputs)
    {
        output.WriteLine($"== 2. Burst reference: imagepipeline process on {inputs.Count} images at once (default --parallel) ==");
        var outDirectory = Path.Combine(options.OutputDirectory, "cli-out");
        if (Directory.Exists(outDirectory))
        {
            Directory.Delete(outDirectory, recursive: true);
        }

        var stdout = Path.Combine(_logs, "cli-process.log");
        var stderr = Path.Combine(_logs, "cli-process.stderr.log");
        Progress($"running imagepipeline process on {inputs.Count} images...");
        ChildResult result;
        var machineBefore = MachineCpu.Read();
        MachineCpu machineAfter;
        try
        {
            result = ChildProcess.Run(cli.File, [.. cli.Arguments, "process", .. inputs, "--out", outDirectory], stdout, stderr);
            machineAfter = MachineCpu.Read();
        }
        catch (InvalidOperationException e)
        {
            output.WriteLine($"ERROR: could not run the CLI: {e.Message}");
            output.WriteLine();
            return new ReferenceResult(null, 0, e.Message);
        }

        var processed = File.Exists(stdout) ? File.ReadLines(stdout).Count(l => l.StartsWith("processed ", StringComparison.Ordinal)) : 0;
        var summary = File.Exists(stderr) ? File.ReadLines(stderr).LastOrDefault(l => l.StartsWith("Processed ", StringComparison.Ordinal)) : null;
        output.WriteLine($"command:  {cli} process <{inputs.Count} files> --out {outDirectory}");
        output.WriteLine($"result:   {result.Describe()}, {processed}/{inputs.Count} processed{(summary is null ? "" : $" (CLI: \"{summary}\")")}");
        var seconds = result.WallMs / 1000;
        output.WriteLine($"time:     {Sec(result.WallMs)} s wall (process start to exit) = {Rate(processed, seconds)} images/s; "
            + $"CPU {Sec(result.CpuMs)} s = {Fixed(result.CpuMs / result.WallMs, "0.00")} cores busy, {Fixed(result.CpuMs / Math.Max(1, processed), "0")} ms CPU per image");
        output.WriteLine($"memory:   peak RSS {Mib(result.MaxRssKiB)} MiB (ru_maxrss from wait4)");
        var machineBusy = MachineCpu.BusyMs(machineBefore, machineAfter);
        output.WriteLine($"machine:  {Fixed(machineBusy / result.WallMs, "0.00")} of {Environment.ProcessorCount} cores busy during the run: the CLI {Fixed(result.CpuMs / result.WallMs, "0.00")}, "
            + $"everything else {Fixed((machineBusy - result.CpuMs) / result.WallMs, "0.00")}; iowait {Fixed(MachineCpu.IoWaitMs(machineBefore, machineAfter) / result.WallMs, "0.00")} cores");
        output.WriteLine();
        return new ReferenceResult(result, processed, result.Succeeded ? null : $"exit: {result.Describe()}; see {stderr}");
    }

    // ---------------------------------------------------------------- 2. the host: upload all, wait for ready

    /// <summary>A fresh host on a fresh data directory, described in the output; null (reported) when it does not start.</summary>
    private async Task<(LocalHostProcess? Host, string DataDirectory)> StartHostAsync(Command launcher, HttpClient http, string label)
    {
        var dataDirectory = FreshDataDirectory(label);
        try
        {
            var host = await LocalHostProcess.StartAsync(launcher, dataDirectory, options.HostConcurrency, Path.Combine(_logs, $"host-{label}"), http, TimeSpan.FromSeconds(60));
            PrintHost(host, dataDirectory);
            return (host, dataDirectory);
        }
        catch (InvalidOperationException e)
        {
            output.WriteLine($"ERROR: the host did not start: {e.Message}");
            output.WriteLine();
            DeleteQuietly(dataDirectory);
            return (null, dataDirectory);
        }
    }

    private async Task<ThroughputResult?> RunThroughputAsync(Command launcher, IReadOnlyList<string> inputs, HttpClient http, ChildResult? baseline)
    {
        output.WriteLine($"== 3. Burst: the local host takes {inputs.Count} images uploaded at once, until all are ready ==");
        var (host, dataDirectory) = await StartHostAsync(launcher, http, "throughput");
        if (host is null)
        {
            return null;
        }

        try
        {
            var images = inputs.Select(p => new ImageState(p)).ToArray();
            var byId = new ConcurrentDictionary<string, ImageState>(StringComparer.Ordinal);
            using var watcher = new HostLogWatcher(host.StdoutPath);
            Progress($"uploading {images.Length} images at parallelism {options.Parallel} and waiting for ready...");

            var started = Stopwatch.GetTimestamp();
            var machineBefore = MachineCpu.Read();
            var hostCpuBefore = host.CpuMs();
            var tieringBefore = host.WatchedThreadCpuMs();
            var selfCpuBefore = ChildProcess.SelfCpuMs();
            var uploads = Parallel.ForEachAsync(
                images,
                new ParallelOptions { MaxDegreeOfParallelism = options.Parallel },
                (image, ct) => UploadAsync(http, host.BaseUrl, image, byId, ct));
            var polls = await PollUntilDoneAsync(http, host, watcher, images, byId, uploads, started);
            await uploads;
            var finished = Stopwatch.GetTimestamp();
            var machineAfter = MachineCpu.Read();
            var hostCpu = host.CpuMs() - hostCpuBefore;
            var tieringCpu = host.WatchedThreadCpuMs() - tieringBefore;
            var selfCpu = ChildProcess.SelfCpuMs() - selfCpuBefore;
            var endMemory = host.Memory();
            var sweepCost = await MeasureSweepCostAsync(http, host, 50);

            // Failed images: their error, from the detail.
            foreach (var image in images.Where(i => i is { Status: "failed", ImageId: not null }))
            {
                image.Error = await ErrorOfAsync(http, host.BaseUrl, image.ImageId!);
            }

            var (exit, graceful, stopMs) = host.Stop(StopGrace);
            var stages = StageStats.Parse(host.StdoutPath);
            var result = new ThroughputResult(
                images, started, finished, polls, hostCpu, selfCpu, host.StartupMs, host.IdleRssKiB, host.SampledPeakRssKiB,
                endMemory?.VmRssKiB ?? -1, host.LastHwmKiB, host.Samples, exit, graceful, stopMs, stages,
                MachineCpu.BusyMs(machineBefore, machineAfter), MachineCpu.IoWaitMs(machineBefore, machineAfter), sweepCost.CpuMsPerSweep, sweepCost.Pages);
            result.TieringCpuMs = tieringCpu;
            result.Logged = images.Count(i => i.ImageId is not null && watcher.CompletedAt(i.ImageId) is not null);
            result.Timeline = host.BusyTimeline(started, images.Where(i => i.Done != 0).Select(i => i.Done).DefaultIfEmpty(finished).Max(), 10);
            PrintThroughput(result, baseline, host);
            return result;
        }
        finally
        {
            host.Dispose();
            DeleteQuietly(dataDirectory);
        }
    }

    private static async ValueTask UploadAsync(HttpClient http, Uri baseUrl, ImageState image, ConcurrentDictionary<string, ImageState> byId, CancellationToken cancellationToken)
    {
        try
        {
            var length = new FileInfo(image.Path).Length;
            image.PostStarted = Stopwatch.GetTimestamp();
            using var post = await http.PostAsync(new Uri(baseUrl, "/v1/uploads"), UploadRequest(Path.GetFileName(image.Path), length), cancellationToken);
            var body = await post.Content.ReadAsStringAsync(cancellationToken);
            if (post.StatusCode != HttpStatusCode.Created)
            {
                image.UploadError = $"POST /v1/uploads answered {(int)post.StatusCode}: {Shorten(body)}";
                return;
            }

            string url, method;
            List<(string Name, string Value)> headers;
            using (var document = JsonDocument.Parse(body))
            {
                var root = document.RootElement;
                image.ImageId = root.GetProperty("imageId").GetString();
                var upload = root.GetProperty("upload");
                url = upload.GetProperty("url").GetString()!;
                method = upload.GetProperty("method").GetString()!;
                headers = upload.GetProperty("headers").EnumerateObject().Select(h => (h.Name, h.Value.GetString() ?? "")).ToList();
            }

            byId[image.ImageId!] = image;
            using var put = new HttpRequestMessage(new HttpMethod(method), new Uri(url));
            put.Content = new StreamContent(new FileStream(image.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true), 1 << 16);
            foreach (var (name, value) in headers)
            {
                if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                {
                    put.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(value);
                }
                else if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    put.Content.Headers.ContentLength = long.Parse(value, CultureInfo.InvariantCulture);
                }
                else if (!put.Headers.TryAddWithoutValidation(name, value))
                {
                    put.Content.Headers.TryAddWithoutValidation(name, value);
                }
            }

            using var response = await http.SendAsync(put, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                image.UploadError = $"PUT answered {(int)response.StatusCode}: {Shorten(await response.Content.ReadAsStringAsync(cancellationToken))}";
                return;
            }

            image.PutDone = Stopwatch.GetTimestamp();
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or JsonException or KeyNotFoundException or FormatException)
        {
            image.UploadError = $"{e.GetType().Name}: {e.Message}";
        }
    }

    /// <summary>
    /// Sweeps <c>GET /v1/images?limit=100</c> (all pages) every poll interval — and at once when the host's log says
    /// every uploaded image is done — until every image is ready or failed, or nothing moves for long. An image is
    /// stamped done when the host logged its second stage result (the log watcher), or when a sweep first showed it
    /// ready or failed if that came first (no log line: the sweep is then the only signal).
    /// </summary>
    private async Task<PollStats> PollUntilDoneAsync(
        HttpClient http, LocalHostProcess host, HostLogWatcher watcher, ImageState[] images, ConcurrentDictionary<string, ImageState> byId, Task uploads, long started)
    {
        using var logged = new SemaphoreSlim(0, int.MaxValue);
        void OnLogged()
        {
            try
            {
                logged.Release();
            }
            catch (ObjectDisposedException)
            {
                // A line read just as the sweeps ended.
            }
        }

        watcher.ImageCompleted += OnLogged;
        try
        {
            return await SweepUntilDoneAsync();
        }
        finally
        {
            watcher.ImageCompleted -= OnLogged;
        }

        async Task<PollStats> SweepUntilDoneAsync()
        {
            var sweepMs = new List<double>();
            var errors = new List<string>();
            var stallLimit = TimeSpan.FromSeconds(180);
            var lastProgress = Stopwatch.GetTimestamp();
            var terminal = 0;
            var reported = 0;
            var slowestAt = 0.0;
            while (true)
            {
                var sweepStarted = Stopwatch.GetTimestamp();
                var loggedBeforeSweep = watcher.Completed;
                await SweepAsync(http, host.BaseUrl, errors, (id, status, seenAt) =>
                {
                    if (!byId.TryGetValue(id, out var image) || image.Done != 0)
                    {
                        return;
                    }

                    image.Status = status;
                    if (status is "ready" or "failed")
                    {
                        image.Done = watcher.CompletedAt(id) is { } loggedAt ? Math.Min(loggedAt, seenAt) : seenAt;
                    }
                });

                var sweep = Stopwatch.GetElapsedTime(sweepStarted).TotalMilliseconds;
                if (sweep > sweepMs.DefaultIfEmpty(0).Max())
                {
                    slowestAt = Seconds(started, sweepStarted);
                }

                sweepMs.Add(sweep);

                // Upload errors are final once the uploads have finished (their completion publishes the fields).
                var done = images.Count(i => i.Done != 0 || (uploads.IsCompleted && i.UploadError is not null));
                if (done != terminal)
                {
                    terminal = done;
                    lastProgress = Stopwatch.GetTimestamp();
                }

                if (done / 50 != reported / 50 || done == images.Length)
                {
                    reported = done;
                    Progress($"  {done}/{images.Length} done after {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s");
                }

                if (uploads.IsCompleted && done == images.Length)
                {
                    break;
                }

                if (Stopwatch.GetElapsedTime(lastProgress) > stallLimit)
                {
                    errors.Add($"gave up waiting: no image became ready or failed for {stallLimit.TotalSeconds:0} s");
                    break;
                }

                if (host.Memory() is null)
                {
                    errors.Add("the host exited while images were processing");
                    break;
                }

                // Until the next sweep is due, unless the log says every uploaded image is done: then sweep at once.
                while (true)
                {
                    var wait = options.PollMs - Stopwatch.GetElapsedTime(sweepStarted).TotalMilliseconds;
                    var uploaded = images.Count(i => i.ImageId is not null && i.UploadError is null);
                    if (wait <= 0 || (uploads.IsCompleted && watcher.Completed >= uploaded && watcher.Completed > loggedBeforeSweep))
                    {
                        break;
                    }

                    await logged.WaitAsync(TimeSpan.FromMilliseconds(wait));
                }
            }

            return new PollStats(sweepMs, errors, slowestAt);
        }
    }

    /// <summary>
    /// One sweep of <c>GET /v1/images?limit=100</c> over all pages; <paramref name="onItem"/> gets each item's id,
    /// status and the time its page arrived. Failures are added to <paramref name="errors"/> and end the sweep.
    /// </summary>
    private static async Task<int> SweepAsync(HttpClient http, Uri baseUrl, List<string> errors, Action<string, string?, long> onItem)
    {
        string? cursor = null;
        var pages = 0;
        do
        {
            var query = $"/v1/images?limit={PollPageLimit}" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
            try
            {
                using var response = await http.GetAsync(new Uri(baseUrl, query));
                var body = await response.Content.ReadAsByteArrayAsync();
                var seenAt = Stopwatch.GetTimestamp();
                pages++;
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    errors.Add($"GET {query} answered {(int)response.StatusCode}");
                    break;
                }

                using var document = JsonDocument.Parse(body);
                foreach (var item in document.RootElement.GetProperty("items").EnumerateArray())
                {
                    onItem(item.GetProperty("id").GetString() ?? "", item.GetProperty("status").GetString(), seenAt);
                }

                cursor = document.RootElement.GetProperty("nextCursor").GetString();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
            {
                errors.Add($"GET {query}: {e.GetType().Name}: {e.Message}");
                break;
            }
        }
        while (cursor is not null);

        return pages;
    }

    /// <summary>
    /// What the polling itself cost the host: CPU per sweep, measured once all images are ready (the host is idle
    /// otherwise) over <paramref name="sweeps"/> sweeps.
    /// </summary>
    private static async Task<(double CpuMsPerSweep, int Pages)> MeasureSweepCostAsync(HttpClient http, LocalHostProcess host, int sweeps)
    {
        var errors = new List<string>();
        await SweepAsync(http, host.BaseUrl, errors, (_, _, _) => { });
        await Task.Delay(200);
        var before = host.CpuMs();
        var pages = 0;
        for (var i = 0; i < sweeps; i++)
        {
            pages = await SweepAsync(http, host.BaseUrl, errors, (_, _, _) => { });
        }

        return errors.Count > 0 ? (double.NaN, pages) : ((host.CpuMs() - before) / sweeps, pages);
    }

    private static async Task<string> ErrorOfAsync(HttpClient http, Uri baseUrl, string imageId)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(baseUrl, $"/v1/images/{imageId}"));
            using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
            return document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
                ? $"{error.GetProperty("code").GetString()}: {error.GetProperty("message").GetString()}"
                : "(no error in the detail)";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return $"(detail unavailable: {e.Message})";
        }
    }

    private void PrintThroughput(ThroughputResult r, ChildResult? baseline, LocalHostProcess host)
    {
        var n = r.Images.Length;
        var ready = r.Images.Count(i => i.Status == "ready");
        var failed = r.Images.Where(i => i.Status == "failed").ToList();
        var uploadErrors = r.Images.Where(i => i.UploadError is not null).ToList();
        var stuck = r.Images.Where(i => i.UploadError is null && i.Done == 0).ToList();
        var lastPut = r.Images.Where(i => i.PutDone != 0).Select(i => i.PutDone).DefaultIfEmpty(r.Started).Max();
        var bytes = r.Images.Where(i => i.PutDone != 0).Sum(i => new FileInfo(i.Path).Length);
        var uploadSeconds = Seconds(r.Started, lastPut);
        output.WriteLine($"uploads:  {n - uploadErrors.Count}/{n} POST /v1/uploads + PUT done at parallelism {options.Parallel}; last PUT done {uploadSeconds:0.00} s after the first POST "
            + $"({bytes / 1048576.0:0} MiB, {bytes / 1048576.0 / Math.Max(uploadSeconds, 1e-9):0} MiB/s while processing ran alongside)");
        output.WriteLine($"ready:    {ready}/{n} ready, {failed.Count} failed, {uploadErrors.Count} upload errors, {stuck.Count} never finished");
        foreach (var image in failed)
        {
            output.WriteLine($"  FAILED  {Path.GetFileName(image.Path)} ({image.ImageId}): {image.Error}");
        }

        foreach (var image in uploadErrors)
        {
            output.WriteLine($"  UPLOAD  {Path.GetFileName(image.Path)}: {image.UploadError}");
        }

        foreach (var image in stuck.Take(10))
        {
            output.WriteLine($"  STUCK   {Path.GetFileName(image.Path)} ({image.ImageId}): last status {image.Status ?? "never listed"}");
        }

        foreach (var error in r.Polls.Errors.Take(10))
        {
            output.WriteLine($"  POLL    {error}");
        }

        output.WriteLine($"time:     {r.WallSeconds:0.00} s from the first POST to the last ready seen = {Rate(ready, r.WallSeconds)} images/s");
        var latencies = r.Images.Where(i => i is { Status: "ready", PutDone: not 0 }).Select(i => Math.Max(0, Seconds(i.PutDone, i.Done) * 1000)).ToList();
        var sweep = Percentile(r.Polls.SweepMs, 50);
        output.WriteLine($"latency:  upload-to-ready (PUT response to the host logging the image's second stage result; {r.Logged}/{n} seen in the log, the rest by a sweep), {latencies.Count} images: "
            + $"p50 {Sec(Percentile(latencies, 50))} s, p90 {Sec(Percentile(latencies, 90))} s, p99 {Sec(Percentile(latencies, 99))} s, max {Sec(latencies.DefaultIfEmpty(double.NaN).Max())} s, min {Sec(latencies.DefaultIfEmpty(double.NaN).Min())} s");
        output.WriteLine($"          statuses: a sweep of all pages (limit {PollPageLimit}) every {options.PollMs} ms, and at once when the log says all are done, takes p50 {Fixed(sweep, "0.0")} ms, p99 {Fixed(Percentile(r.Polls.SweepMs, 99), "0.0")} ms, max {Fixed(r.Polls.SweepMs.DefaultIfEmpty(double.NaN).Max(), "0.0")} ms (at +{r.Polls.SlowestAtSeconds:0.0} s) "
            + $"({r.Polls.SweepMs.Count} sweeps); the log line is read within ~1 ms of being written; all images arrive in one burst, so most of the latency is queueing");
        output.WriteLine($"CPU:      host {Sec(r.HostCpuMs)} s in the window = {Fixed(r.HostCpuMs / (r.WallSeconds * 1000), "0.00")} cores busy, {Fixed(r.HostCpuMs / Math.Max(1, ready), "0")} ms per ready image; "
            + $"client (this process: uploads, polls) {Sec(r.SelfCpuMs)} s = {Fixed(r.SelfCpuMs / (r.WallSeconds * 1000), "0.00")} cores");
        output.WriteLine($"          of the host's CPU, {Sec(r.TieringCpuMs)} s ({Fixed(100 * r.TieringCpuMs / r.HostCpuMs, "0.0")}%) was the runtime's background JIT tiering up the fresh process "
            + $"(threads \"{host.WatchedThread}\"; the first calls' JIT on the calling threads is not in it)");
        var windowMs = r.WallSeconds * 1000;
        output.WriteLine($"machine:  {Fixed(r.MachineBusyMs / windowMs, "0.00")} of {Environment.ProcessorCount} cores busy in the window: the host {Fixed(r.HostCpuMs / windowMs, "0.00")}, "
            + $"the client {Fixed(r.SelfCpuMs / windowMs, "0.00")}, everything else {Fixed((r.MachineBusyMs - r.HostCpuMs - r.SelfCpuMs) / windowMs, "0.00")}; iowait {Fixed(r.MachineIoWaitMs / windowMs, "0.00")} cores");
        if (r.Timeline.Count > 0)
        {
            output.WriteLine($"          cores busy per tenth of the window, host:    {string.Join(' ', r.Timeline.Select(t => Fixed(t.Host, "0.00")))}");
            output.WriteLine($"          cores busy per tenth of the window, machine: {string.Join(' ', r.Timeline.Select(t => Fixed(t.Machine, "0.00")))}");
        }

        var pollCpu = r.SweepCpuMs * r.Polls.SweepMs.Count;
        output.WriteLine($"polling:  a sweep of all {r.SweepPages} pages costs the host {Fixed(r.SweepCpuMs, "0.0")} ms CPU (50 sweeps once all were ready); "
            + $"the run's {r.Polls.SweepMs.Count} sweeps ~ {Sec(pollCpu)} s = {Fixed(pollCpu / Math.Max(1, n), "0")} ms per image, {Fixed(100 * pollCpu / r.HostCpuMs, "0.0")}% of the host's CPU (an upper bound: early sweeps had fewer pages)");
        foreach (var line in r.Stages.Describe())
        {
            output.WriteLine("          " + line);
        }

        output.WriteLine($"memory:   idle after start-up {Mib(r.IdleRssKiB)} MiB; VmRSS sampled every 100 ms peak {Mib(r.SampledPeakRssKiB)} MiB ({r.Samples} samples), "
            + $"{Mib(r.EndRssKiB)} MiB when all were ready; VmHWM {Mib(r.LastHwmKiB)} MiB; ru_maxrss at exit (wait4) {Mib(r.Exit.MaxRssKiB)} MiB");
        output.WriteLine($"          baseline: a cold process that only initialises the runtime + libvips + engine peaks at {(baseline is null ? "n/a" : Mib(baseline.MaxRssKiB))} MiB; "
            + "the host adds ASP.NET Core, SQLite and the images in flight");
        output.WriteLine($"stop:     {(r.Graceful ? "SIGTERM" : "SIGTERM ignored, SIGKILL")}: {r.Exit.Describe()} after {Fixed(r.StopMs, "0")} ms; host CPU total {Sec(r.Exit.CpuMs)} s; start-up to healthy {Fixed(r.StartupMs, "0")} ms");
        output.WriteLine($"logs:     {host.StdoutPath}");
        output.WriteLine();
    }

    // ---------------------------------------------------------------- 3. list latency over a large catalog

    private async Task<ListResult?> RunListLatencyAsync(Command launcher, HttpClient http)
    {
        output.WriteLine($"== 4. GET /v1/images?limit={ListLimit} latency over {options.Records:N0} catalog records ==");
        var (host, dataDirectory) = await StartHostAsync(launcher, http, "list");
        if (host is null)
        {
            return null;
        }

        try
        {
            Progress($"creating {options.Records:N0} records with POST /v1/uploads at parallelism {options.Parallel}...");
            var errors = new ConcurrentQueue<string>();
            var postMs = new ConcurrentBag<double>();
            var postCpuBefore = host.CpuMs();
            var started = Stopwatch.GetTimestamp();
            await Parallel.ForEachAsync(
                Enumerable.Range(1, options.Records),
                new ParallelOptions { MaxDegreeOfParallelism = options.Parallel },
                async (i, ct) =>
                {
                    var t = Stopwatch.GetTimestamp();
                    try
                    {
                        using var response = await http.PostAsync(new Uri(host.BaseUrl, "/v1/uploads"), UploadRequest($"record-{i:D6}.jpg", 1_000_000), ct);
                        await response.Content.ReadAsByteArrayAsync(ct);
                        if (response.StatusCode != HttpStatusCode.Created)
                        {
                            errors.Enqueue($"record {i}: {(int)response.StatusCode}");
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        errors.Enqueue($"record {i}: {e.Message}");
                    }

                    postMs.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                });
            var createSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var postCpu = host.CpuMs() - postCpuBefore;
            var created = options.Records - errors.Count;
            output.WriteLine($"records:  {created:N0}/{options.Records:N0} created in {createSeconds:0.00} s = {created / createSeconds:0} POST/s at parallelism {options.Parallel} "
                + $"(POST latency p50 {Fixed(Percentile([.. postMs], 50), "0.0")} ms, p99 {Fixed(Percentile([.. postMs], 99), "0.0")} ms; host CPU {Fixed(postCpu / options.Records, "0.00")} ms per POST); all pending, as real catalog records");
            foreach (var error in errors.Take(5))
            {
                output.WriteLine($"  POST    {error}");
            }

            Progress($"measuring {options.ListRequests} sequential list requests...");
            var firstMs = new List<double>();
            var deeperMs = new List<double>();
            var listErrors = new List<string>();
            string? firstCursor = null, deepCursor = null;
            var listCpuBefore = host.CpuMs();
            var depth = 1;
            var maxDepth = 1;
            var shortPages = 0;
            for (var i = 0; i < ListWarmUp + options.ListRequests; i++)
            {
                var first = i % 2 == 0 || firstCursor is null;
                var cursor = first ? null : deepCursor ?? firstCursor;
                var query = $"/v1/images?limit={ListLimit}" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
                var t = Stopwatch.GetTimestamp();
                byte[] body;
                HttpStatusCode status;
                try
                {
                    using var response = await http.GetAsync(new Uri(host.BaseUrl, query));
                    body = await response.Content.ReadAsByteArrayAsync();
                    status = response.StatusCode;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    listErrors.Add($"{query}: {e.Message}");
                    continue;
                }

                var ms = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                if (status != HttpStatusCode.OK)
                {
                    listErrors.Add($"{query}: {(int)status}");
                    continue;
                }

                using var document = JsonDocument.Parse(body);
                var items = document.RootElement.GetProperty("items").GetArrayLength();
                var next = document.RootElement.GetProperty("nextCursor").GetString();
                if (items < ListLimit && next is not null)
                {
                    shortPages++;
                }

                if (first)
                {
                    firstCursor = next;
                }
                else
                {
                    depth = cursor == firstCursor ? 2 : depth + 1;
                    maxDepth = Math.Max(maxDepth, depth);
                    deepCursor = next;
                }

                if (i >= ListWarmUp)
                {
                    (first ? firstMs : deeperMs).Add(ms);
                }
            }

            var listCpu = host.CpuMs() - listCpuBefore;
            var all = firstMs.Concat(deeperMs).ToList();
            var (exit, graceful, _) = host.Stop(StopGrace);
            var result = new ListResult(created, createSeconds, all, firstMs, deeperMs, maxDepth, listErrors, exit, graceful, host.SampledPeakRssKiB);
            output.WriteLine($"requests: {ListWarmUp} warm-up, then {all.Count} measured one after another over one kept-alive loopback connection "
                + $"({firstMs.Count} first page, {deeperMs.Count} deeper pages following nextCursor, reaching page {maxDepth} of {(created + ListLimit - 1) / ListLimit}); client-measured, send to body read; "
                + $"host CPU {Fixed(listCpu / (ListWarmUp + options.ListRequests), "0.00")} ms per request");
            output.WriteLine($"all:      p50 {Fixed(Percentile(all, 50), "0.00")} ms, p90 {Fixed(Percentile(all, 90), "0.00")} ms, p99 {Fixed(Percentile(all, 99), "0.00")} ms, max {Fixed(all.DefaultIfEmpty(double.NaN).Max(), "0.00")} ms");
            output.WriteLine($"first:    p50 {Fixed(Percentile(firstMs, 50), "0.00")} ms, p99 {Fixed(Percentile(firstMs, 99), "0.00")} ms");
            output.WriteLine($"deeper:   p50 {Fixed(Percentile(deeperMs, 50), "0.00")} ms, p99 {Fixed(Percentile(deeperMs, 99), "0.00")} ms");
            if (shortPages > 0)
            {
                output.WriteLine($"WARNING:  {shortPages} page(s) had fewer than {ListLimit} items but a nextCursor");
            }

            foreach (var error in listErrors.Take(5))
            {
                output.WriteLine($"  LIST    {error}");
            }

            output.WriteLine($"host:     peak RSS {Mib(exit.MaxRssKiB)} MiB (ru_maxrss); stopped by {(graceful ? "SIGTERM" : "SIGKILL")}, {exit.Describe()}; logs {host.StdoutPath}");
            output.WriteLine("note:     the records are pending (no thumbnail URL to sign); a ready record adds one signed URL per item");
            output.WriteLine();
            return result;
        }
        finally
        {
            host.Dispose();
            DeleteQuietly(dataDirectory);
        }
    }

    // ---------------------------------------------------------------- summary

    private void PrintSummary(LatencyResult? latency, ReferenceResult reference, ThroughputResult? throughput, ListResult? list, ChildResult? baseline)
    {
        var n = options.Images;
        var referenceRate = reference.Result is { } cli && reference.Processed > 0 ? reference.Processed / (cli.WallMs / 1000) : double.NaN;
        var ready = throughput?.Images.Count(i => i.Status == "ready") ?? 0;
        var hostRate = throughput is null || ready == 0 ? double.NaN : ready / throughput.WallSeconds;
        var ratio = hostRate / referenceRate;
        var latencies = throughput?.Images.Where(i => i is { Status: "ready", PutDone: not 0 }).Select(i => Seconds(i.PutDone, i.Done) * 1000).ToList() ?? [];
        var listAll = list?.AllMs ?? [];

        output.WriteLine("== Summary ==");
        var m = latency?.Samples.Count ?? 0;
        var hostLatency = latency?.HostMs ?? [];
        var cliLatency = latency?.CliMs ?? [];
        var latencyRatio = latency?.Ratio ?? double.NaN;
        var rows = new List<(string What, string Value, string Target)>
        {
            ($"one at a time: process PHOTO, {m} photos", latency is null ? "n/a" : $"median {Sec(Percentile(cliLatency, 50))} s, max {Sec(cliLatency.DefaultIfEmpty(double.NaN).Max())} s (a fresh process each)", "reference"),
            ($"one at a time: host PUT -> ready", latency is null ? "n/a" : $"median {Sec(Percentile(hostLatency, 50))} s, max {Sec(hostLatency.DefaultIfEmpty(double.NaN).Max())} s ({hostLatency.Count} ready)", ""),
            ("host / process latency (medians)", double.IsNaN(latencyRatio) ? "n/a" : $"{latencyRatio:0.00}x", $"<= {LatencyTarget:0.0}x"),
            ($"imagepipeline process, {n} images", reference.Result is { } r ? $"{Rate(reference.Processed, r.WallMs / 1000)} images/s ({Sec(r.WallMs)} s, {reference.Processed} ok)" : "n/a", "reference"),
            ("  its peak RSS", reference.Result is { } r2 ? $"{Mib(r2.MaxRssKiB)} MiB" : "n/a", ""),
            ($"local host, {n} images", throughput is null ? "n/a" : $"{Rate(ready, throughput.WallSeconds)} images/s ({throughput.WallSeconds:0.0} s, {ready} ready)", ""),
            ("host / process throughput", double.IsNaN(ratio) ? "n/a" : $"{ratio:0.00}x", $">= {ThroughputTarget:0.00}x"),
            ("burst upload-to-ready p50 / p99", throughput is null ? "n/a" : $"{Sec(Percentile(latencies, 50))} s / {Sec(Percentile(latencies, 99))} s (queueing: all arrive at once)", ""),
            ("host peak RSS (ru_maxrss)", throughput is null ? "n/a" : $"{Mib(throughput.Exit.MaxRssKiB)} MiB (idle {Mib(throughput.IdleRssKiB)} MiB)", "bounded"),
            ("engine-only baseline RSS", baseline is null ? "n/a" : $"{Mib(baseline.MaxRssKiB)} MiB", ""),
            ($"GET /v1/images?limit={ListLimit} p50 / p99", list is null ? "n/a" : $"{Fixed(Percentile(listAll, 50), "0.00")} / {Fixed(Percentile(listAll, 99), "0.00")} ms ({listAll.Count} req, {list.Created:N0} records)", $"p99 <= {ListP99TargetMs:0} ms"),
        };
        var width = rows.Max(x => x.What.Length) + 2;
        var valueWidth = rows.Max(x => x.Value.Length) + 2;
        output.WriteLine($"{"measurement".PadRight(width)}{"value".PadRight(valueWidth)}target");
        foreach (var (what, value, target) in rows)
        {
            output.WriteLine($"{what.PadRight(width)}{value.PadRight(valueWidth)}{target}".TrimEnd());
        }

        output.WriteLine();
        if (latency is null)
        {
            output.WriteLine($"[SKIP] one-at-a-time PUT -> ready <= {LatencyTarget:0.0}x imagepipeline process: {(options.LatencyImages == 0 ? "--latency-images 0" : "the host run did not happen")}");
        }
        else
        {
            Verdict($"one at a time: PUT -> ready <= {LatencyTarget:0.0}x imagepipeline process (medians over {m} photos)",
                !double.IsNaN(latencyRatio) && latencyRatio <= LatencyTarget && hostLatency.Count == m,
                $"{Sec(Percentile(hostLatency, 50))} s vs {Sec(Percentile(cliLatency, 50))} s = {Fixed(latencyRatio, "0.00")}x; max {Sec(hostLatency.DefaultIfEmpty(double.NaN).Max())} s; {hostLatency.Count}/{m} ready");
        }

        var failures = throughput is null ? n : n - ready;
        Verdict($"all {n} images ready", throughput is not null && ready == n,
            throughput is null ? "the host run did not happen" : $"{ready}/{n} ready" + (failures > 0 ? $", {failures} not (listed above)" : ""));
        Verdict($"host throughput >= {ThroughputTarget:0.00}x imagepipeline process", !double.IsNaN(ratio) && ratio >= ThroughputTarget,
            double.IsNaN(ratio) ? "a measurement is missing" : $"{Fixed(hostRate, "0.00")} vs {Fixed(referenceRate, "0.00")} images/s = {ratio:0.00}x");
        if (list is null)
        {
            output.WriteLine($"[SKIP] GET /v1/images?limit={ListLimit} p99 <= {ListP99TargetMs:0} ms: {(options.Records == 0 ? "--records 0" : "the host run did not happen")}");
        }
        else
        {
            var p99 = Percentile(listAll, 99);
            Verdict($"GET /v1/images?limit={ListLimit} p99 <= {ListP99TargetMs:0} ms", p99 <= ListP99TargetMs && list.Errors.Count == 0,
                $"p99 {Fixed(p99, "0.00")} ms over {listAll.Count} requests, {list.Created:N0} records" + (list.Errors.Count > 0 ? $", {list.Errors.Count} errors" : ""));
        }

        if (reference.Result is { } cliRun && throughput is not null && ready > 0 && reference.Processed > 0)
        {
            // throughput = images / wall = (CPU / wall) / (CPU / image): the ratio splits into how much CPU each image
            // costs and how busy the cores were kept (other load on the machine moves the second factor).
            var cpuPerImage = cliRun.CpuMs / reference.Processed / (throughput.HostCpuMs / ready);
            var busy = throughput.HostCpuMs / (throughput.WallSeconds * 1000) / (cliRun.CpuMs / cliRun.WallMs);
            output.WriteLine($"[INFO] ratio {Fixed(ratio, "0.00")}x = CPU-per-image ratio {cpuPerImage:0.00} (CLI {cliRun.CpuMs / reference.Processed:0} ms vs host {throughput.HostCpuMs / ready:0} ms per image) "
                + $"x cores-busy ratio {busy:0.00} (host {throughput.HostCpuMs / (throughput.WallSeconds * 1000):0.00} vs CLI {cliRun.CpuMs / cliRun.WallMs:0.00} cores; the client used {throughput.SelfCpuMs / (throughput.WallSeconds * 1000):0.00} more)");
        }

        if (latency is not null && !double.IsNaN(WarmCliPerPhotoMs(latency)))
        {
            var warm = WarmCliPerPhotoMs(latency);
            output.WriteLine($"[INFO] one at a time, against the CLI already running (no process start): {Sec(warm)} s per photo, "
                + $"host median {Fixed(Percentile(hostLatency, 50) / warm, "0.00")}x that");
        }

        output.WriteLine($"[INFO] host peak RSS: {(throughput is null ? "n/a" : $"{Mib(throughput.Exit.MaxRssKiB)} MiB ru_maxrss, {Mib(throughput.SampledPeakRssKiB)} MiB sampled VmRSS peak")}, "
            + $"engine-only baseline {(baseline is null ? "n/a" : Mib(baseline.MaxRssKiB))} MiB, CLI {(reference.Result is null ? "n/a" : Mib(reference.Result.MaxRssKiB))} MiB");
        output.WriteLine($"Load at end: {Benchmark.LoadAverage()} (1/5/15 min)");
    }

    private void Verdict(string what, bool pass, string detail) =>
        output.WriteLine($"[{(pass ? "PASS" : "FAIL")}] {what}: {detail}");

    // ---------------------------------------------------------------- helpers

    private void PrintHost(LocalHostProcess host, string dataDirectory) =>
        output.WriteLine($"host:     pid {host.Pid} on {host.BaseUrl}, data dir {dataDirectory}; healthy {host.StartupMs:0} ms after spawn; idle RSS {Mib(host.IdleRssKiB)} MiB");

    private static string FreshDataDirectory(string purpose)
    {
        var path = Path.Combine(Path.GetTempPath(), $"imagepipeline-bench-{Environment.ProcessId}-{purpose}");
        DeleteQuietly(path);
        Directory.CreateDirectory(path);
        return path;
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Progress($"could not delete {path}: {e.Message}");
        }
    }

    private static ByteArrayContent UploadRequest(string fileName, long length)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("fileName", fileName);
            writer.WriteString("contentType", "image/jpeg");
            writer.WriteNumber("contentLength", length);
            writer.WriteEndObject();
        }

        var content = new ByteArrayContent(buffer.WrittenSpan.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static void Progress(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");

    private static string Shorten(string text) => text.Length > 300 ? text[..300] + "…" : text;

    private static double Seconds(long from, long to) => (to - from) / (double)Stopwatch.Frequency;

    /// <summary>Nearest-rank percentile; NaN for no values.</summary>
    internal static double Percentile(IReadOnlyCollection<double> values, double percent)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    private static string Fixed(double value, string format) =>
        double.IsNaN(value) || double.IsInfinity(value) ? "n/a" : value.ToString(format, CultureInfo.InvariantCulture);

    private static string Sec(double ms) => Fixed(ms / 1000, "0.00");

    private static string Rate(int count, double seconds) => seconds > 0 ? Fixed(count / seconds, "0.00") : "n/a";

    private static string Mib(long kib) => kib < 0 ? "n/a" : (kib / 1024.0).ToString("0.0", CultureInfo.InvariantCulture);

    /// <summary>One image of the throughput run. Written by its upload, then only by the poller.</summary>
    private sealed class ImageState(string path)
    {
        public string Path { get; } = path;

        public string? ImageId { get; set; }

        public long PostStarted { get; set; }

        public long PutDone { get; set; }

        public string? UploadError { get; set; }

        /// <summary>The last status the poller saw.</summary>
        public string? Status { get; set; }

        /// <summary>When the first sweep showing it ready or failed got its page; 0 until then.</summary>
        public long Done { get; set; }

        public string? Error { get; set; }
    }

    private sealed record PollStats(List<double> SweepMs, List<string> Errors, double SlowestAtSeconds);

    private sealed record ReferenceResult(ChildResult? Result, int Processed, string? Problem);

    private sealed record ThroughputResult(
        ImageState[] Images, long Started, long Finished, PollStats Polls, double HostCpuMs, double SelfCpuMs, double StartupMs,
        long IdleRssKiB, long SampledPeakRssKiB, long EndRssKiB, long LastHwmKiB, long Samples, ChildResult Exit, bool Graceful, double StopMs,
        StageStats Stages, double MachineBusyMs, double MachineIoWaitMs, double SweepCpuMs, int SweepPages)
    {
        /// <summary>Host CPU of the runtime's background JIT (tiering up) in the window.</summary>
        public double TieringCpuMs { get; set; } = double.NaN;

        /// <summary>Images whose completion the host log showed.</summary>
        public int Logged { get; set; }

        /// <summary>Host and machine cores busy in each tenth of the window.</summary>
        public IReadOnlyList<(double Host, double Machine)> Timeline { get; set; } = [];

        /// <summary>From the first POST to the last ready (or failed) seen.</summary>
        public double WallSeconds
        {
            get
            {
                var last = Images.Where(i => i.Done != 0).Select(i => i.Done).DefaultIfEmpty(Finished).Max();
                return Seconds(Started, last);
            }
        }
    }

    private sealed record ListResult(
        int Created, double CreateSeconds, List<double> AllMs, List<double> FirstMs, List<double> DeeperMs, int MaxDepth, List<string> Errors,
        ChildResult Exit, bool Graceful, long SampledPeakRssKiB);

    /// <summary>Per-stage times from the host's log lines ("Stage resize done image … in 812 ms, …, attempt 1: …").</summary>
    private sealed partial class StageStats
    {
        private readonly Dictionary<(string Stage, string Outcome), List<double>> _times = [];
        private int _retries;
        private int _lines;

        public static StageStats Parse(string logPath)
        {
            var stats = new StageStats();
            if (!File.Exists(logPath))
            {
                return stats;
            }

            foreach (var line in File.ReadLines(logPath))
            {
                var match = StageLine().Match(line);
                if (!match.Success)
                {
                    continue;
                }

                stats._lines++;
                var key = (match.Groups["stage"].Value, match.Groups["outcome"].Value);
                if (!stats._times.TryGetValue(key, out var list))
                {
                    stats._times[key] = list = [];
                }

                list.Add(double.Parse(match.Groups["ms"].Value, CultureInfo.InvariantCulture));
                if (int.Parse(match.Groups["attempt"].Value, CultureInfo.InvariantCulture) > 1)
                {
                    stats._retries++;
                }
            }

            return stats;
        }

        public IEnumerable<string> Describe()
        {
            if (_lines == 0)
            {
                yield return "stages:   no stage lines in the host log";
                yield break;
            }

            foreach (var ((stage, outcome), times) in _times.OrderBy(t => t.Key.Stage, StringComparer.Ordinal).ThenBy(t => t.Key.Outcome, StringComparer.Ordinal))
            {
                yield return $"stage {stage,-9} {outcome,-7} {times.Count,5} x: mean {times.Average():0} ms, p50 {Percentile(times, 50):0} ms, p99 {Percentile(times, 99):0} ms, "
                    + $"sum {times.Sum() / 1000:0.0} s (wall inside the stage, from the host log; includes waiting for a core)";
            }

            yield return $"retried attempts: {_retries}";
        }

        [GeneratedRegex(@"Stage (?<stage>\S+) (?<outcome>\S+) image \S+ (?:with \S+ )?in (?<ms>\d+) ms, (?:\d+ bytes, )?attempt (?<attempt>\d+)", RegexOptions.CultureInvariant)]
        private static partial Regex StageLine();
    }
}
