using System.Diagnostics;
using System.Globalization;
using ImagePipeline.Core.Imaging;
using ImagePipeline.Emulators;
using ImagePipeline.TestImages;
using ImagePipeline.Testing;

namespace ImagePipeline.Benchmarks;

/// <summary>
/// <c>lambda</c> mode: both x86_64 function packages (Native AOT and ReadyToRun) as Lambda runs them (a fresh process
/// per cold start, events from a Runtime API), against the emulators. The fake Runtime API and the emulator fixture are
/// the ones the Functions tests use. The report is <see cref="LambdaReport"/>.
/// </summary>
internal sealed class LambdaBenchmark(LambdaModeOptions options, TextWriter output)
{
    /// <summary>Images in the api's catalog: GET /v1/images?limit=20 reads a full page.</summary>
    private const int ApiImages = 20;

    private readonly string _logs = Path.Combine(options.OutputDirectory, "logs");

    public async Task<int> RunAsync()
    {
        Directory.CreateDirectory(_logs);
        _ = new Imaging.LibvipsImageEngine();
        Benchmark.PrintMachineHeader(output);

        var packages = new List<LambdaPackageRuns>();
        try
        {
            foreach (var (kind, given) in new[] { (FunctionPackageKind.Aot, options.AotPackage), (FunctionPackageKind.ReadyToRun, options.ReadyToRunPackage) })
            {
                var folder = given ?? await PublishAsync(kind);
                if (!File.Exists(Path.Combine(folder, FunctionPackage.BootstrapFileName)))
                {
                    await Console.Error.WriteLineAsync($"error: {Path.Combine(folder, FunctionPackage.BootstrapFileName)} does not exist.");
                    return 1;
                }

                packages.Add(LambdaPackageRuns.Measure(kind, folder));
            }
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or DirectoryNotFoundException)
        {
            await Console.Error.WriteLineAsync("error: " + e.Message);
            return 1;
        }

        foreach (var package in packages)
        {
            output.WriteLine($"Package:  {package.Kind,-18} {package.Folder} ({package.UnzippedMiB:0.0} MiB unzipped, {package.ZippedMiB:0.0} MiB zipped)");
        }

        var limitWidth = 12000;
        var limitHeight = (int)(options.LimitPixels / limitWidth);
        var mp12 = EnsureInput(4000, 3000);
        var mp24 = EnsureInput(6000, 4000);
        var limit = EnsureInput(limitWidth, limitHeight);
        var small = EnsureInput(640, 480);
        output.WriteLine($"Inputs:   {Describe(mp12)}, {Describe(mp24)}, {Describe(limit)}, {Describe(small)} (SampleImageSet.LargeJpeg)");

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
            output.WriteLine($"Run:      per package, {options.ColdRuns} cold resize processes x (1 + {options.WarmInvocations} warm invocations) on 12 MP, the same for the api on "
                + $"GET /v1/images?limit={ApiImages}; the packages alternate; one process per peak-RSS measurement");
            output.WriteLine();

            var stages = await LambdaDeployment.CreateAsync(emulators, _logs, CancellationToken.None);
            var api = await LambdaDeployment.CreateAsync(emulators, _logs, CancellationToken.None);
            for (var i = 0; i < ApiImages; i++)
            {
                _ = await api.SeedAsync(small);
            }

            await ColdStartsAsync(packages, stages, api, mp12);
            var memory = new List<(string Name, string Stage, string? Input)>
            {
                ("api idle + GET /v1/health", "api", null),
                ("resize 24 MP", "resize", mp24),
                ("thumbnail 24 MP", "thumbnail", mp24),
                ($"resize {options.LimitPixels / 1e6:0.0} MP (limit)", "resize", limit),
                ($"thumbnail {options.LimitPixels / 1e6:0.0} MP (limit)", "thumbnail", limit),
                ($"resize {budgetWidth}x{budgetHeight} RGBA16 Adam7 (budget)", "resize", budget),
                ($"thumbnail {budgetWidth}x{budgetHeight} RGBA16 Adam7 (budget)", "thumbnail", budget),
                ("resize 2048x16383 RGBA (tallest WebP)", "resize", tall),
                ("thumbnail 2048x16383 RGBA (tallest WebP)", "thumbnail", tall),
            };
            foreach (var (name, stage, input) in memory)
            {
                foreach (var package in packages)
                {
                    package.Memory.Add(await OneInvocationAsync(package, stages, stage, input, name));
                }
            }

            var report = new LambdaReport(output, options);
            report.PrintMemory(packages);
            report.PrintSizing(packages);
            report.PrintSideBySide(packages);
            return 0;
        }
        finally
        {
            await emulators.DisposeAsync();
        }
    }

    // ---------------------------------------------------------------- 1. cold starts

    private async Task ColdStartsAsync(List<LambdaPackageRuns> packages, LambdaDeployment stages, LambdaDeployment api, string input)
    {
        output.WriteLine("== 1. Cold starts: resize on a 12 MP JPEG, api on GET /v1/images ==");

        // Run 0 is not counted: it warms what the packages share, the emulators' own code paths (DynamoDB Local is a JVM:
        // its first Query of a table would otherwise be charged to whichever package asks first) and the page cache.
        for (var run = 0; run <= options.ColdRuns; run++)
        {
            foreach (var package in packages)
            {
                Progress($"cold run {run}/{options.ColdRuns}{(run == 0 ? " (warm-up)" : "")}, {package.Kind}: seeding {1 + options.WarmInvocations} images...");
                var bodies = new List<string>();
                for (var i = 0; i <= options.WarmInvocations; i++)
                {
                    bodies.Add(LambdaDeployment.SqsBatch(await stages.SeedAsync(input)));
                }

                Record(package, package.Resize, "resize", run, await ColdRunAsync(package, stages, "resize", bodies, expectStatus: null));
            }

            foreach (var package in packages)
            {
                Progress($"cold run {run}/{options.ColdRuns}{(run == 0 ? " (warm-up)" : "")}, {package.Kind}: api...");
                var requests = Enumerable.Repeat(LambdaDeployment.ApiGet("/v1/images", $"limit={ApiImages}"), 1 + options.WarmInvocations).ToList();
                Record(package, package.Api, "api", run, await ColdRunAsync(package, api, "api", requests, expectStatus: 200));
            }
        }

        output.WriteLine();
    }

    private void Record(LambdaPackageRuns package, List<LambdaColdRun> runs, string stage, int run, (LambdaColdRun? Run, string? Error) result)
    {
        if (result.Run is not { } cold)
        {
            output.WriteLine($"{package.Kind,-18} {stage,-7} run {run}: ERROR {result.Error}");
            return;
        }

        if (run == 0)
        {
            output.WriteLine($"{package.Kind,-18} {stage,-7} run 0 (warm-up, not counted): init {cold.InitMs:0} ms; first invocation {cold.FirstInvocationMs:0.0} ms");
            return;
        }

        runs.Add(cold);
        output.WriteLine($"{package.Kind,-18} {stage,-7} run {run}: init {cold.InitMs:0} ms; start to first response {cold.FirstResponseMs:0} ms; "
            + $"first invocation {cold.FirstInvocationMs:0.0} ms; warm {string.Join(" / ", cold.WarmMs.Select(w => w.ToString("0.0", CultureInfo.InvariantCulture)))} ms; "
            + $"peak RSS {LambdaReport.Mib(cold.Exit)} MiB");
    }

    /// <summary>One fresh process: the first event queued before it asks (so start to response is all cold start), then the rest.</summary>
    private static async Task<(LambdaColdRun? Run, string? Error)> ColdRunAsync(LambdaPackageRuns package, LambdaDeployment deployment, string stage, List<string> events, int? expectStatus)
    {
        await using var runtime = new FakeLambdaRuntimeApi();
        var child = deployment.Start(package.Bootstrap, stage, runtime);
        try
        {
            var first = LambdaDeployment.Check(await runtime.InvokeAsync(events[0], LambdaDeployment.InvocationLimit, LambdaDeployment.InvocationLimit), expectStatus);
            var init = Stopwatch.GetElapsedTime(child.StartedTimestamp, await runtime.FirstNextRequest).TotalMilliseconds;
            var warm = new List<double>();
            foreach (var next in events.Skip(1))
            {
                warm.Add(LambdaDeployment.Check(await runtime.InvokeAsync(next, LambdaDeployment.InvocationLimit, LambdaDeployment.InvocationLimit), expectStatus).Duration.TotalMilliseconds);
            }

            await runtime.DisposeAsync();
            var exit = LambdaDeployment.Stop(child);
            return (new LambdaColdRun(init, Stopwatch.GetElapsedTime(child.StartedTimestamp, first.Answered).TotalMilliseconds, first.Duration.TotalMilliseconds, warm, exit), null);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            await runtime.DisposeAsync();
            _ = LambdaDeployment.Stop(child);
            return (null, e.Message);
        }
    }

    // ---------------------------------------------------------------- 2. peak RSS

    private static async Task<LambdaMemoryRow> OneInvocationAsync(LambdaPackageRuns package, LambdaDeployment deployment, string stage, string? input, string name)
    {
        Progress($"{package.Kind}: {name}...");
        var payload = input is null ? LambdaDeployment.ApiGet("/v1/health") : LambdaDeployment.SqsBatch(await deployment.SeedAsync(input));
        await using var runtime = new FakeLambdaRuntimeApi();
        var child = deployment.Start(package.Bootstrap, stage, runtime);
        string? error = null;
        try
        {
            var result = LambdaDeployment.Check(await runtime.InvokeAsync(payload, LambdaDeployment.InvocationLimit, LambdaDeployment.InvocationLimit), expectStatus: input is null ? 200 : null);
            Progress($"{package.Kind}: {name}: answered in {result.Duration.TotalMilliseconds:0} ms");
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            error = e.Message;
        }

        await runtime.DisposeAsync();
        return new LambdaMemoryRow(name, stage, LambdaDeployment.Stop(child), error);
    }

    // ---------------------------------------------------------------- inputs and packages

    private async Task<string> PublishAsync(FunctionPackageKind kind)
    {
        var artifacts = Path.Combine(options.OutputDirectory, "build");
        Progress($"publishing the {kind} package into {artifacts} (dotnet publish src/ImagePipeline.Functions {string.Join(' ', kind.PublishArguments)})...");
        var watch = Stopwatch.StartNew();
        var folder = await FunctionPackage.PublishAsync(RepoRoot.Find(), artifacts, kind, CancellationToken.None);
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

    private static void Progress(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}
