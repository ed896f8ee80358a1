using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.S3.Model;
using ImagePipeline.Aws;
using ImagePipeline.Core;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Events;
using ImagePipeline.Core.Imaging;
using ImagePipeline.Core.Services;
using ImagePipeline.Core.Storage;
using ImagePipeline.Emulators;
using ImagePipeline.TestImages;
using ImagePipeline.Testing;

namespace ImagePipeline.Benchmarks;

/// <summary>
/// <c>lambda</c> mode: the published bootstrap as Lambda runs it (a fresh process per cold start, events from a Runtime
/// API), against the emulators. The fake Runtime API and the emulator fixture are the ones the Functions tests use.
/// </summary>
internal sealed class LambdaBenchmark(LambdaModeOptions options, TextWriter output)
{
    private static readonly TimeSpan InvocationLimit = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(30);
    private static readonly string CursorKey = Convert.ToBase64String(new byte[32]);

    private readonly string _logs = Path.Combine(options.OutputDirectory, "logs");
    private int _processes;

    public async Task<int> RunAsync()
    {
        Directory.CreateDirectory(_logs);
        _ = new Imaging.LibvipsImageEngine();
        Benchmark.PrintMachineHeader(output);

        string package;
        try
        {
            package = options.Package ?? await PublishAsync();
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or DirectoryNotFoundException)
        {
            await Console.Error.WriteLineAsync("error: " + e.Message);
            return 1;
        }

        var bootstrap = Path.Combine(package, FunctionPackage.BootstrapFileName);
        if (!File.Exists(bootstrap))
        {
            await Console.Error.WriteLineAsync($"error: {bootstrap} does not exist.");
            return 1;
        }

        output.WriteLine($"Package:  {package} ({DirectoryMiB(package):0} MiB unzipped)");
        var limitWidth = 12000;
        var limitHeight = (int)(options.LimitPixels / limitWidth);
        var mp12 = EnsureInput(4000, 3000);
        var mp24 = EnsureInput(6000, 4000);
        var limit = EnsureInput(limitWidth, limitHeight);
        output.WriteLine($"Inputs:   {Describe(mp12)}, {Describe(mp24)}, {Describe(limit)} (SampleImageSet.LargeJpeg)");

        // The worst inputs the limits admit. The decode budget's: the largest square 16-bit RGBA Adam7 PNG whose
        // whole frame plus the 2048-wide rendition fit ImageLimits.Default.MaxDecodeBytes (libpng holds the frame).
        // The encoders': a 2048x16383 RGBA PNG, whose renditions are the largest WebP pictures the recipe can make.
        var (budgetWidth, budgetHeight) = BudgetSquare();
        var budget = EnsurePng(budgetWidth, budgetHeight, sixteenBit: true, interlace: true);
        var tall = EnsurePng(2048, 16383, sixteenBit: false, interlace: false);
        output.WriteLine($"          {Describe(budget)} (16-bit RGBA, Adam7: {DecodeBytes(budgetWidth, budgetHeight)} bytes of the {ImageLimits.Default.MaxDecodeBytes}-byte decode budget), {Describe(tall)} (8-bit RGBA) (PngWriter)");

        var emulators = new AwsEmulators();
        try
        {
            Progress("starting the emulators...");
            await emulators.InitializeAsync();
            output.WriteLine($"AWS:      {emulators.Choice.Description}, started in {emulators.StartupTime.TotalSeconds:0.0} s");
            output.WriteLine($"Run:      {options.ColdRuns} cold resize processes x (1 + {options.WarmInvocations} warm invocations) on 12 MP; one process per peak-RSS measurement");
            output.WriteLine();

            var buckets = await emulators.CreateBucketsAsync(CancellationToken.None);
            var table = await emulators.CreateTableAsync(CancellationToken.None);
            var queues = ((await emulators.CreateQueueAsync("resize", CancellationToken.None)).Url, (await emulators.CreateQueueAsync("thumbnail", CancellationToken.None)).Url);
            var deployment = new Target(emulators, buckets, table, new DynamoImageCatalog(emulators.DynamoDb, table), queues);

            var cold = await ColdStartAsync(bootstrap, deployment, mp12);
            var memory = new List<(string Name, string Stage, ChildResult? Result, string? Error)>
            {
                await OneInvocationAsync(bootstrap, deployment, "api", null, "api idle + GET /v1/health"),
                await OneInvocationAsync(bootstrap, deployment, "resize", mp24, "resize 24 MP"),
                await OneInvocationAsync(bootstrap, deployment, "thumbnail", mp24, "thumbnail 24 MP"),
                await OneInvocationAsync(bootstrap, deployment, "resize", limit, $"resize {options.LimitPixels / 1e6:0.0} MP (limit)"),
                await OneInvocationAsync(bootstrap, deployment, "thumbnail", limit, $"thumbnail {options.LimitPixels / 1e6:0.0} MP (limit)"),
                await OneInvocationAsync(bootstrap, deployment, "resize", budget, $"resize {budgetWidth}x{budgetHeight} RGBA16 Adam7 (budget)"),
                await OneInvocationAsync(bootstrap, deployment, "thumbnail", budget, $"thumbnail {budgetWidth}x{budgetHeight} RGBA16 Adam7 (budget)"),
                await OneInvocationAsync(bootstrap, deployment, "resize", tall, "resize 2048x16383 RGBA (tallest WebP)"),
                await OneInvocationAsync(bootstrap, deployment, "thumbnail", tall, "thumbnail 2048x16383 RGBA (tallest WebP)"),
            };
            PrintMemory(memory, cold);
            return 0;
        }
        finally
        {
            await emulators.DisposeAsync();
        }
    }

    /// <summary>A deployment on the emulators: its buckets, table and catalog.</summary>
    private sealed record Target(AwsEmulators Emulators, S3StoreOptions Buckets, string Table, DynamoImageCatalog Catalog, (Uri Resize, Uri Thumbnail) Queues);

    private sealed record ColdRun(double InitMs, double FirstResponseMs, double FirstInvocationMs, List<double> WarmMs, ChildResult? Exit);

    // ---------------------------------------------------------------- 1. cold start

    private async Task<List<ColdRun>> ColdStartAsync(string bootstrap, Target target, string input)
    {
        output.WriteLine("== 1. Cold start: resize function, 12 MP JPEG ==");
        var runs = new List<ColdRun>();
        for (var run = 1; run <= options.ColdRuns; run++)
        {
            Progress($"cold run {run}/{options.ColdRuns}: seeding {1 + options.WarmInvocations} images...");
            var bodies = new List<string>();
            for (var i = 0; i <= options.WarmInvocations; i++)
            {
                bodies.Add(await SeedAsync(target, input));
            }

            await using var runtime = new FakeLambdaRuntimeApi();
            var child = Start(bootstrap, target, "resize", runtime);

            // Queued before the process asks, so the first /next gets it at once: start-to-response is all cold start.
            var first = runtime.InvokeAsync(SqsBatch(bodies[0]), InvocationLimit, InvocationLimit);
            FakeInvocationResult firstResult;
            try
            {
                firstResult = Check(await first);
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException)
            {
                output.WriteLine($"run {run}: ERROR {e.Message}");
                Stop(child);
                continue;
            }

            var init = Stopwatch.GetElapsedTime(child.StartedTimestamp, await runtime.FirstNextRequest).TotalMilliseconds;
            var warm = new List<double>();
            foreach (var body in bodies.Skip(1))
            {
                warm.Add(Check(await runtime.InvokeAsync(SqsBatch(body), InvocationLimit, InvocationLimit)).Duration.TotalMilliseconds);
            }

            await runtime.DisposeAsync();
            var exit = Stop(child);
            var result = new ColdRun(init, Stopwatch.GetElapsedTime(child.StartedTimestamp, firstResult.Answered).TotalMilliseconds, firstResult.Duration.TotalMilliseconds, warm, exit);
            runs.Add(result);
            output.WriteLine($"run {run}: init (start to first /next) {result.InitMs:0} ms; start to first response {result.FirstResponseMs:0} ms; "
                + $"first invocation {result.FirstInvocationMs:0} ms; warm {string.Join(" / ", warm.Select(w => w.ToString("0", CultureInfo.InvariantCulture)))} ms; "
                + $"peak RSS {Mib(exit)} MiB");
        }

        if (runs.Count > 0)
        {
            var warmMedian = Measurement.Median([.. runs.SelectMany(r => r.WarmMs)]);
            var firstMedian = Measurement.Median([.. runs.Select(r => r.FirstInvocationMs)]);
            output.WriteLine($"median:   init {Measurement.Median([.. runs.Select(r => r.InitMs)]):0} ms, start to first response {Measurement.Median([.. runs.Select(r => r.FirstResponseMs)]):0} ms, "
                + $"first invocation {firstMedian:0} ms, warm {warmMedian:0} ms: first/warm = {firstMedian / warmMedian:0.00}x");
        }

        output.WriteLine();
        return runs;
    }

    // ---------------------------------------------------------------- 2. peak RSS

    private async Task<(string Name, string Stage, ChildResult? Result, string? Error)> OneInvocationAsync(string bootstrap, Target target, string stage, string? input, string name)
    {
        Progress($"{name}...");
        var payload = input is null ? ApiHealthEvent() : SqsBatch(await SeedAsync(target, input));
        await using var runtime = new FakeLambdaRuntimeApi();
        var child = Start(bootstrap, target, stage, runtime);
        string? error = null;
        try
        {
            var result = Check(await runtime.InvokeAsync(payload, InvocationLimit, InvocationLimit), expectStatus: input is null ? 200 : null);
            Progress($"{name}: answered in {result.Duration.TotalMilliseconds:0} ms");
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            error = e.Message;
        }

        await runtime.DisposeAsync();
        return (name, stage, Stop(child), error);
    }

    private void PrintMemory(List<(string Name, string Stage, ChildResult? Result, string? Error)> rows, List<ColdRun> cold)
    {
        output.WriteLine("== 2. Peak RSS per function process (one invocation, then exit; ru_maxrss from wait4) ==");
        foreach (var (name, _, result, error) in rows)
        {
            output.WriteLine($"{name,-32} {(error is null ? $"{Mib(result)} MiB" : "ERROR " + error)}");
        }

        if (cold.Count > 0)
        {
            output.WriteLine($"{"resize 12 MP (cold run, 1+warm)",-32} {cold.Max(c => c.Exit?.MaxRssMiB ?? double.NaN):0.0} MiB");
        }

        output.WriteLine();
        output.WriteLine("== 3. Memory size per function ==");
        output.WriteLine("Lambda memory must hold the peak at the pixel limit with headroom (x1.5 for heap growth, libvips caches and");
        output.WriteLine("other inputs than the generated JPEG); it also buys CPU (1,769 MB = one vCPU).");
        output.WriteLine("A process that served several images peaks higher than one that served one (the GC lets the heap grow when");
        output.WriteLine("the machine has room; under Lambda's cgroup limit it collects sooner), so the cold runs count for resize.");
        foreach (var stage in new[] { "resize", "thumbnail", "api" })
        {
            var peaks = rows.Where(r => r.Stage == stage && r.Result is not null).Select(r => r.Result!.MaxRssMiB);
            if (stage == "resize")
            {
                peaks = peaks.Concat(cold.Where(c => c.Exit is not null).Select(c => c.Exit!.MaxRssMiB));
            }

            var peak = peaks.DefaultIfEmpty(double.NaN).Max();
            var floor = double.IsNaN(peak) ? double.NaN : Math.Ceiling(peak * 1.5 / 64) * 64;
            output.WriteLine($"{stage,-10} peak {peak:0} MiB -> at least {floor:0} MB");
        }
    }

    // ---------------------------------------------------------------- processes and events

    private RunningChild Start(string bootstrap, Target target, string stage, FakeLambdaRuntimeApi runtime)
    {
        // ChildProcess passes this process's environment on: set exactly what the CDK stack would.
        foreach (var (name, value) in target.Emulators.EnvironmentVariables)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        Environment.SetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API", runtime.HostAndPort);
        Environment.SetEnvironmentVariable(PipelineEnvironment.Handler, stage);
        Environment.SetEnvironmentVariable(PipelineEnvironment.OriginalsBucket, target.Buckets.OriginalsBucket);
        Environment.SetEnvironmentVariable(PipelineEnvironment.DerivedBucket, target.Buckets.DerivedBucket);
        Environment.SetEnvironmentVariable(PipelineEnvironment.Table, target.Table);
        Environment.SetEnvironmentVariable(PipelineEnvironment.CursorKey, CursorKey);
        Environment.SetEnvironmentVariable(SignInEnvironment.Mode, SignInEnvironment.AnonymousMode);
        Environment.SetEnvironmentVariable(PipelineEnvironment.ResizeQueueUrl, target.Queues.Resize.ToString());
        Environment.SetEnvironmentVariable(PipelineEnvironment.ThumbnailQueueUrl, target.Queues.Thumbnail.ToString());
        Environment.SetEnvironmentVariable("IMAGEPIPELINE_LIBVIPS", null);
        Environment.SetEnvironmentVariable("MALLOC_ARENA_MAX", "2"); // as the stack sets it on every function
        var sequence = Interlocked.Increment(ref _processes);
        return ChildProcess.Start(bootstrap, [], Path.Combine(_logs, $"{sequence:D2}-{stage}.log"), Path.Combine(_logs, $"{sequence:D2}-{stage}.stderr.log"));
    }

    // The Runtime API gone, the bootstrap's next /next fails and it exits; wait4 then gives its own peak RSS.
    private static ChildResult? Stop(RunningChild child)
    {
        var result = ChildProcess.WaitForExit(child, ExitWait);
        if (result is null)
        {
            ChildProcess.Signal(child.Pid, ChildProcess.SigKill);
            result = ChildProcess.WaitForExit(child, ExitWait);
        }

        return result;
    }

    private static FakeInvocationResult Check(FakeInvocationResult result, int? expectStatus = null)
    {
        if (result.IsError)
        {
            throw new InvalidOperationException($"the invocation failed: {result.Body}");
        }

        using var body = JsonDocument.Parse(result.Body);
        if (expectStatus is { } status)
        {
            if (body.RootElement.GetProperty("statusCode").GetInt32() != status)
            {
                throw new InvalidOperationException($"expected status {status}: {result.Body}");
            }
        }
        else if (body.RootElement.GetProperty("batchItemFailures").GetArrayLength() != 0)
        {
            throw new InvalidOperationException($"the batch reported failures: {result.Body}");
        }

        return result;
    }

    private static async Task<string> SeedAsync(Target target, string input)
    {
        var bytes = await File.ReadAllBytesAsync(input);
        var now = DateTimeOffset.UtcNow;
        var id = ImageIds.New(TimeProvider.System);
        await target.Catalog.CreateAsync(
            new ImageRecord
            {
                Id = id, OwnerId = "anonymous", FileName = Path.GetFileName(input), DeclaredBytes = bytes.Length,
                ContentType = input.EndsWith(".png", StringComparison.Ordinal) ? "image/png" : "image/jpeg",
                CreatedAt = now, UpdatedAt = now, ExpiresAt = now.AddHours(24),
            },
            CancellationToken.None);
        var key = ObjectKeys.Original(id);
        using (var content = new MemoryStream(bytes))
        {
            await target.Emulators.S3.PutObjectAsync(new PutObjectRequest { BucketName = target.Buckets.OriginalsBucket, Key = key, InputStream = content });
        }

        var head = await target.Emulators.S3.GetObjectMetadataAsync(target.Buckets.OriginalsBucket, key);
        return S3EventParser.Serialize(new ObjectCreated(target.Buckets.OriginalsBucket, key, head.ContentLength, head.ETag.Trim('"'), now.Ticks.ToString("X", CultureInfo.InvariantCulture)), now);
    }

    private static string SqsBatch(string body) => new JsonObject
    {
        ["Records"] = new JsonArray(new JsonObject
        {
            ["messageId"] = Guid.NewGuid().ToString(),
            ["receiptHandle"] = "benchmark",
            ["body"] = body,
            ["attributes"] = new JsonObject { ["ApproximateReceiveCount"] = "1" },
            ["eventSource"] = "aws:sqs",
        }),
    }.ToJsonString();

    private static string ApiHealthEvent() => new JsonObject
    {
        ["version"] = "2.0",
        ["rawPath"] = "/v1/health",
        ["rawQueryString"] = "",
        ["headers"] = new JsonObject { ["host"] = "benchmark" },
        ["requestContext"] = new JsonObject { ["http"] = new JsonObject { ["method"] = "GET", ["path"] = "/v1/health" } },
        ["isBase64Encoded"] = false,
    }.ToJsonString();

    // ---------------------------------------------------------------- inputs, package, formatting

    private async Task<string> PublishAsync()
    {
        var artifacts = Path.Combine(options.OutputDirectory, "build");
        Progress($"publishing the function package into {artifacts} (dotnet publish src/ImagePipeline.Functions -c Release -r linux-x64)...");
        var watch = Stopwatch.StartNew();
        var folder = await FunctionPackage.PublishAsync(RepoRoot.Find(), artifacts, FunctionPackageKind.Aot, CancellationToken.None);
        Progress($"published in {watch.Elapsed.TotalSeconds:0} s");
        return folder;
    }

    private string EnsureInput(int width, int height)
    {
        var path = Path.Combine(options.OutputDirectory, $"source-{width}x{height}.jpg");
        if (!File.Exists(path) || new FileInfo(path).Length == 0)
        {
            Directory.CreateDirectory(options.OutputDirectory);
            Progress($"generating {path} with SampleImageSet.LargeJpeg({width}, {height})...");
            File.WriteAllBytes(path + ".tmp", SampleImageSet.LargeJpeg(width, height));
            File.Move(path + ".tmp", path, overwrite: true);
        }

        return path;
    }

    private string EnsurePng(int width, int height, bool sixteenBit, bool interlace)
    {
        var path = Path.Combine(options.OutputDirectory, $"source-{width}x{height}-rgba{(sixteenBit ? 16 : 8)}{(interlace ? "-adam7" : "")}.png");
        if (!File.Exists(path) || new FileInfo(path).Length == 0)
        {
            Directory.CreateDirectory(options.OutputDirectory);
            Progress($"generating {path} with PngWriter...");
            PngWriter.WriteRgba(path + ".tmp", width, height, sixteenBit, interlace);
            File.Move(path + ".tmp", path, overwrite: true);
        }

        return path;
    }

    // What the engine counts for a 16-bit RGBA Adam7 PNG: the whole frame, plus the 2048-wide 8-bit RGBA rendition.
    private static long DecodeBytes(int width, int height) =>
        ((long)width * height * 8) + (2048L * (long)Math.Ceiling(2048.0 * height / width) * 4);

    private static (int Width, int Height) BudgetSquare()
    {
        var side = (int)Math.Sqrt((ImageLimits.Default.MaxDecodeBytes - (2048L * 2048 * 4)) / 8.0);
        while (DecodeBytes(side, side) > ImageLimits.Default.MaxDecodeBytes)
        {
            side--;
        }

        return (side, side);
    }

    private static string Describe(string path) =>
        $"{Path.GetFileName(path)} ({new FileInfo(path).Length / 1048576.0:0.0} MiB)";

    private static double DirectoryMiB(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) / 1048576.0;

    private static string Mib(ChildResult? result) => result is null ? "n/a" : result.MaxRssMiB.ToString("0.0", CultureInfo.InvariantCulture);

    private static void Progress(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}
