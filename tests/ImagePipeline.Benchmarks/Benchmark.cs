using System.Diagnostics;
using System.Globalization;
using ImagePipeline.Core.Imaging;
using ImagePipeline.Imaging;
using ImagePipeline.TestImages;

namespace ImagePipeline.Benchmarks;

/// <summary>Generates the inputs, runs every measurement, and prints the report.</summary>
internal sealed partial class Benchmark(BenchmarkOptions options, TextWriter output)
{
    private const string OursFull = "ours full", VipsFull = "vips x5 full", ImFull = "IM full";
    private const string OursThumb = "ours thumb", VipsThumb = "vipsthumbnail thumb", ImThumb = "IM thumb";

    private static readonly ImageRecipe Recipe = ImageRecipe.Default;

    private readonly LibvipsImageEngine _engine = new();
    private readonly string _logs = Path.Combine(options.OutputDirectory, "logs");
    private readonly List<string> _checkFailures = [];
    private readonly List<string> _commandFailures = [];
    private ExternalTool? _vips, _magick;

    public int Run()
    {
        Directory.CreateDirectory(options.OutputDirectory);
        Directory.CreateDirectory(_logs);
        _vips = Tools.FindVipsThumbnail(_logs, out var vipsNote);
        _magick = Tools.FindImageMagick(_logs, out var magickNote);
        FindReferences();

        PrintMachine();
        foreach (var note in new[] { vipsNote, magickNote, _sharpNote }.OfType<string>())
        {
            output.WriteLine($"NOTE: {note}");
        }

        output.WriteLine($"Runs: 1 warm-up + {options.Runs} measured per measurement; median wall time; peak RSS = highest ru_maxrss (wait4) of any measured process.");
        output.WriteLine($"Output directory: {options.OutputDirectory}");
        output.WriteLine();

        var results = new List<(InputSize Size, IReadOnlyList<Row> Rows)>();
        foreach (var size in options.Sizes)
        {
            results.Add((size, RunSize(size)));
        }

        PrintRssMethod();
        PrintEngines(results);
        PrintTargets(results);

        if (_checkFailures.Count > 0)
        {
            output.WriteLine();
            output.WriteLine($"--check-outputs: {_checkFailures.Count} problem(s):");
            foreach (var failure in _checkFailures)
            {
                output.WriteLine("  " + failure);
            }
        }

        if (_commandFailures.Count > 0)
        {
            output.WriteLine();
            output.WriteLine($"{_commandFailures.Count} measured command(s) failed:");
            foreach (var failure in _commandFailures)
            {
                output.WriteLine("  " + failure);
            }
        }

        return _checkFailures.Count > 0 ? 2 : _commandFailures.Count > 0 ? 3 : 0;
    }

    private IReadOnlyList<Row> RunSize(InputSize size)
    {
        var input = EnsureInput(size);
        var bytes = File.ReadAllBytes(input);
        var stem = Path.GetFileNameWithoutExtension(input);

        // The widths we make (none above the source); the external tools are asked for exactly these.
        var plan = Recipe.Renditions.Plan(size.Width);
        output.WriteLine($"== {size.Label}: {Path.GetFileName(input)} ({size.Width}x{size.Height}, {bytes.Length:N0} bytes) ==");

        // Our outputs, kept for the size comparison and the checks (this is also a first warm-up of the engine).
        var processed = _engine.Process(bytes, Recipe);
        var thumbnail = _engine.Thumbnail(bytes, Recipe.Thumbnail);
        var oursDirectory = Directory.CreateDirectory(Path.Combine(options.OutputDirectory, "ours")).FullName;
        foreach (var rendition in processed.Renditions)
        {
            File.WriteAllBytes(Path.Combine(oursDirectory, $"{stem}-{rendition.Name}.webp"), rendition.Image.Data.ToArray());
        }

        File.WriteAllBytes(Path.Combine(oursDirectory, $"{stem}-thumb.webp"), processed.Thumbnail.Data.ToArray());

        // Every measurement gets its warm-up, then the measured runs go round-robin, so a burst of load on the
        // machine spreads over all of them instead of skewing one.
        var oursFullSeries = InProcess(OursFull, () => _engine.Process(bytes, Recipe));
        var oursThumbSeries = InProcess(OursThumb, () => _engine.Thumbnail(bytes, Recipe.Thumbnail));

        // Ours, peak RSS: this same program as a child that does the operation once and exits.
        var oursFullChildSeries = Commands(OursFull + " (child)", [OurChild("full", input)]);
        var oursThumbChildSeries = Commands(OursThumb + " (child)", [OurChild("thumb", input)]);
        var baselineSeries = Commands("ours init only (child)", [OurChild("init", null)]);

        var vipsDirectory = Directory.CreateDirectory(Path.Combine(options.OutputDirectory, "vipsthumbnail")).FullName;
        var vipsThumbCommand = _vips is null ? null : VipsThumbnailCommand(_vips, input, Path.Combine(vipsDirectory, $"{stem}-thumb.webp"));
        var vipsRenditionCommands = _vips is null
            ? []
            : plan.Select(p => VipsRenditionCommand(_vips, input, p.Width, Path.Combine(vipsDirectory, $"{stem}-{p.Name}.webp"))).ToList();
        var vipsFullSeries = vipsThumbCommand is null ? null : Commands(VipsFull, [.. vipsRenditionCommands, vipsThumbCommand]);
        var vipsThumbSeries = vipsThumbCommand is null ? null : Commands(VipsThumb, [vipsThumbCommand]);

        var imDirectory = Directory.CreateDirectory(Path.Combine(options.OutputDirectory, "imagemagick")).FullName;
        var imThumbCommand = _magick is null ? null : MagickThumbnailCommand(_magick, input, Path.Combine(imDirectory, $"{stem}-thumb.webp"));
        var imRenditionCommands = _magick is null
            ? []
            : plan.Select(p => MagickRenditionCommand(_magick, input, p.Width, Path.Combine(imDirectory, $"{stem}-{p.Name}.webp"))).ToList();
        var imFullSeries = imThumbCommand is null ? null : Commands(ImFull, [.. imRenditionCommands, imThumbCommand]);
        var imThumbSeries = imThumbCommand is null ? null : Commands(ImThumb, [imThumbCommand]);

        using var references = PrepareReferences(input, bytes, stem, plan);
        Measure([oursFullSeries, vipsFullSeries, imFullSeries, .. references.Warm, oursThumbSeries, vipsThumbSeries, imThumbSeries, oursFullChildSeries, oursThumbChildSeries, baselineSeries, .. references.Children]);
        var oursFullTime = oursFullSeries.Result()!;
        var oursThumbTime = oursThumbSeries.Result()!;
        var oursFullChild = oursFullChildSeries.Result();
        var oursThumbChild = oursThumbChildSeries.Result();
        var baseline = baselineSeries.Result();
        var vipsFull = vipsFullSeries?.Result();
        var vipsThumb = vipsThumbSeries?.Result();

        List<Row> rows =
        [
            Combine(OursFull, oursFullTime, oursFullChild),
            External(VipsFull, vipsFullSeries, "vipsthumbnail not found"),
            External(ImFull, imFullSeries, "ImageMagick not found"),
            .. ReferenceRows(references),
            Combine(OursThumb, oursThumbTime, oursThumbChild),
            External(VipsThumb, vipsThumbSeries, "vipsthumbnail not found"),
            External(ImThumb, imThumbSeries, "ImageMagick not found"),
        ];

        output.WriteLine();
        PrintTable(rows);
        output.WriteLine();
        output.WriteLine("Ours as a cold process (child: .NET start, engine init, read file, one operation, exit):");
        output.WriteLine($"  full  {Ms(oursFullChild?.MedianMs)} ms wall, {Ms(oursFullChild?.MedianCpuMs)} ms CPU, {Mib(oursFullChild?.PeakRssMiB)} MiB peak RSS");
        output.WriteLine($"  thumb {Ms(oursThumbChild?.MedianMs)} ms wall, {Ms(oursThumbChild?.MedianCpuMs)} ms CPU, {Mib(oursThumbChild?.PeakRssMiB)} MiB peak RSS");
        output.WriteLine($"  init only (runtime + libvips + engine, no image): {Ms(baseline?.MedianMs)} ms wall, {Mib(baseline?.PeakRssMiB)} MiB peak RSS");
        output.WriteLine();
        PrintReferenceColdLines(references);

        PrintOutputSizes(stem, processed, vipsDirectory, _vips is not null, imDirectory, _magick is not null);
        PrintReferenceOutputSizes(stem, processed, references);
        CheckReferenceOutputs(size, stem, plan, references);

        if (options.CheckOutputs)
        {
            CheckOutputs(size, processed, thumbnail, vipsDirectory, _vips is not null, imDirectory, _magick is not null, stem);
        }

        if (options.Breakdown)
        {
            PrintBreakdown(input, bytes, stem, plan, vipsFull, vipsThumb, oursFullTime, oursThumbTime);
        }

        output.WriteLine("Commands:");
        foreach (var command in new[] { vipsThumbCommand }.Concat(vipsRenditionCommands).Append(imThumbCommand).Concat(imRenditionCommands).OfType<Command>().Concat(references.Commands))
        {
            output.WriteLine("  " + command);
        }

        output.WriteLine();
        return rows;
    }

    private string EnsureInput(InputSize size)
    {
        var path = Path.Combine(options.OutputDirectory, size.FileName);
        if (File.Exists(path) && new FileInfo(path).Length > 0)
        {
            return path;
        }

        output.WriteLine($"Generating {path} ({size.Width}x{size.Height}) with SampleImageSet.LargeJpeg...");
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, SampleImageSet.LargeJpeg(size.Width, size.Height));
        File.Move(temporary, path, overwrite: true);
        return path;
    }

    private static Command VipsThumbnailCommand(ExternalTool vips, string input, string output) =>
        new(vips.Path, [input, "-s", $"{Recipe.Thumbnail.Size}x{Recipe.Thumbnail.Size}", "-m", "attention",
            "-o", $"{output}[Q={Recipe.Thumbnail.Quality},effort={Recipe.Thumbnail.Effort},strip]"]);

    // "-s 2048x" is width 2048 with any height; the trailing ">" only ever shrinks, like our size=down.
    private static Command VipsRenditionCommand(ExternalTool vips, string input, int width, string output) =>
        new(vips.Path, [input, "-s", $"{width}x>", "-o", $"{output}[Q={Recipe.Renditions.Quality},effort={Recipe.Renditions.Effort},strip]"]);

    private static Command MagickThumbnailCommand(ExternalTool magick, string input, string output) =>
        new(magick.Path, [input, "-auto-orient", "-thumbnail", $"{Recipe.Thumbnail.Size}x{Recipe.Thumbnail.Size}^", "-gravity", "center",
            "-extent", $"{Recipe.Thumbnail.Size}x{Recipe.Thumbnail.Size}", "-quality", $"{Recipe.Thumbnail.Quality}",
            "-define", $"webp:method={Recipe.Thumbnail.Effort}", output]);

    private static Command MagickRenditionCommand(ExternalTool magick, string input, int width, string output) =>
        new(magick.Path, [input, "-auto-orient", "-resize", $"{width}x", "-strip", "-quality", $"{Recipe.Renditions.Quality}",
            "-define", $"webp:method={Recipe.Renditions.Effort}", output]);

    internal static Command OurChild(string mode, string? input)
    {
        var arguments = new List<string>();
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("Environment.ProcessPath is unknown.");

        // Started through "dotnet X.dll", the child is too; started through the apphost, the apphost.
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            arguments.Add(typeof(Benchmark).Assembly.Location);
        }

        arguments.AddRange(["--child", mode]);
        if (input is not null)
        {
            arguments.Add(input);
        }

        return new Command(host, arguments);
    }

    private static Series InProcess(string name, Func<object> work) => new(name, () =>
    {
        // A full collection first, so the garbage of one run is not paid by the next.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var cpuBefore = ChildProcess.SelfCpuMs();
        var started = Stopwatch.GetTimestamp();
        _ = work();
        var wall = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return new Sample(wall, ChildProcess.SelfCpuMs() - cpuBefore, -1, []);
    });

    /// <summary>
    /// The commands one after another: a run's wall and CPU time are their sums, its peak RSS the highest ru_maxrss
    /// of any of them.
    /// </summary>
    private Series Commands(string name, IReadOnlyList<Command> commands) => new(name, () =>
    {
        var stderr = Path.Combine(_logs, "last-stderr.txt");
        double wall = 0, cpu = 0;
        var peakKiB = 0L;
        var each = new List<double>();
        foreach (var command in commands)
        {
            var result = ChildProcess.Run(command.File, command.Arguments, stderrPath: stderr);
            if (!result.Succeeded)
            {
                var text = File.Exists(stderr) ? File.ReadAllText(stderr).Trim() : "";
                throw new CommandFailedException(command, result, text.Length > 2000 ? text[..2000] : text);
            }

            wall += result.WallMs;
            cpu += result.CpuMs;
            peakKiB = Math.Max(peakKiB, result.MaxRssKiB);
            each.Add(result.WallMs);
        }

        return new Sample(wall, cpu, peakKiB, each);
    });

    /// <summary>One warm-up run of each series, then <see cref="BenchmarkOptions.Runs"/> rounds of one run of each.</summary>
    private void Measure(IEnumerable<Series?> all)
    {
        var series = all.OfType<Series>().ToList();
        for (var round = 0; round <= options.Runs; round++)
        {
            foreach (var s in series.Where(s => s.Failure is null))
            {
                try
                {
                    var sample = s.RunOnce();
                    if (round > 0)
                    {
                        s.Samples.Add(sample);
                    }
                }
                catch (CommandFailedException e)
                {
                    s.Failure = e.Message;
                    _commandFailures.Add($"{s.Name}: {e.Message}");
                    output.WriteLine($"FAILED {s.Name}: {e.Message}");
                }
            }
        }
    }

    private Measurement? MeasureOne(Series series)
    {
        Measure([series]);
        return series.Result();
    }

    private static Row External(string name, Series? series, string absent) =>
        series is null ? Row.Without(name, "skipped: " + absent)
        : series.Result() is { } m ? Row.Of(name, m)
        : Row.Without(name, "failed: " + series.Failure);

    private static Row Combine(string name, Measurement time, Measurement? child) =>
        Row.Of(name, time with { PeakRssMiB = child?.PeakRssMiB ?? double.NaN });

    private void PrintTable(IReadOnlyList<Row> rows)
    {
        var byName = rows.ToDictionary(r => r.Name);
        double? Value(string name, Func<Measurement, double> pick) =>
            byName.TryGetValue(name, out var row) && row.Value is { } m && !double.IsNaN(pick(m)) ? pick(m) : null;

        // Which row each row is compared with, and which way round the ratio is taken.
        static string? ReferenceOf(string name) => name switch
        {
            OursFull => VipsFull,
            ImFull or ImageSharpFull or SharpFull => OursFull,
            OursThumb => VipsThumb,
            ImThumb => OursThumb,
            _ => null,
        };

        output.WriteLine($"{"measurement",-22}{"median ms",11}{"CPU ms",10}{"peak RSS MiB",14}{"time ratio",12}{"RSS ratio",11}  reference");
        output.WriteLine(new string('-', 22 + 11 + 10 + 14 + 12 + 11 + 2 + 22));
        foreach (var row in rows)
        {
            if (row.Value is not { } m)
            {
                output.WriteLine($"{row.Name,-22}{row.Missing}");
                continue;
            }

            string timeRatio = "", rssRatio = "", reference = "";
            if (row.Name is VipsFull or VipsThumb)
            {
                timeRatio = rssRatio = "ref";
            }
            else if (ReferenceOf(row.Name) is { } r)
            {
                reference = $"{row.Name} / {r}";
                timeRatio = Ratio(m.MedianMs, Value(r, x => x.MedianMs));
                rssRatio = Ratio(m.PeakRssMiB, Value(r, x => x.PeakRssMiB));
            }

            output.WriteLine($"{row.Name,-22}{Ms(m.MedianMs),11}{Ms(m.MedianCpuMs),10}{Mib(m.PeakRssMiB),14}{timeRatio,12}{rssRatio,11}  {reference}");
        }

        output.WriteLine("(ours: wall/CPU time in process, warm, engine built once; ours peak RSS: a child process doing the operation once.");
        output.WriteLine(" external tools: whole processes, wall/CPU summed over the commands of a run, peak RSS the largest of them.)");
    }

    /// <summary>Shows why commands are not spawned straight from this process: ru_maxrss would start at this process's peak.</summary>
    private void PrintRssMethod()
    {
        var viaShell = ChildProcess.Run("/bin/true", []);
        var direct = ChildProcess.Run("/bin/true", [], direct: true);
        output.WriteLine("== RSS method ==");
        output.WriteLine($"ru_maxrss of /bin/true: {Mib(viaShell.MaxRssMiB)} MiB as measured here (forked by /bin/sh, adopted as subreaper, reaped with wait4);");
        output.WriteLine($"{Mib(direct.MaxRssMiB)} MiB if posix_spawnp'd straight from this process (Linux carries the exec'ing memory's high-water mark over).");
        output.WriteLine();
    }

    private void PrintTargets(IReadOnlyList<(InputSize Size, IReadOnlyList<Row> Rows)> results)
    {
        output.WriteLine($"== Target checks == (load average now: {LoadAverage()})");
        foreach (var (size, rows) in results)
        {
            Measurement? Of(string name) => rows.FirstOrDefault(r => r.Name == name)?.Value;
            var oursFull = Of(OursFull);
            var oursThumb = Of(OursThumb);
            var vipsFull = Of(VipsFull);
            var vipsThumb = Of(VipsThumb);
            var imThumb = Of(ImThumb);

            Target($"{size.Label} thumbnail <= 1.1x vipsthumbnail", oursThumb, vipsThumb, (ours, vips) =>
                (ours.MedianMs <= 1.1 * vips.MedianMs, $"ours {Ms(ours.MedianMs)} ms vs vipsthumbnail {Ms(vips.MedianMs)} ms = {Ratio(ours.MedianMs, vips.MedianMs)} (limit {Ms(1.1 * vips.MedianMs)} ms)"));
            Target($"{size.Label} full recipe <= 0.85x vips x5", oursFull, vipsFull, (ours, vips) =>
                (ours.MedianMs <= 0.85 * vips.MedianMs, $"ours {Ms(ours.MedianMs)} ms vs vips x5 {Ms(vips.MedianMs)} ms = {Ratio(ours.MedianMs, vips.MedianMs)} (limit {Ms(0.85 * vips.MedianMs)} ms)"));
            if (size is { Width: 6000, Height: 4000 })
            {
                Target($"{size.Label} full recipe peak RSS <= 200 MiB", oursFull, oursFull, (ours, _) =>
                    (ours.PeakRssMiB <= 200, $"ours {Mib(ours.PeakRssMiB)} MiB (child process, incl. the .NET runtime)"));
            }

            Target($"{size.Label} ImageMagick thumbnail >= 3x ours", imThumb, oursThumb, (im, ours) =>
                (im.MedianMs >= 3 * ours.MedianMs, $"IM {Ms(im.MedianMs)} ms vs ours {Ms(ours.MedianMs)} ms = {Ratio(im.MedianMs, ours.MedianMs)} (needs >= {Ms(3 * ours.MedianMs)} ms)"));
        }

        if (!options.Sizes.Any(s => s is { Width: 6000, Height: 4000 }))
        {
            output.WriteLine("[SKIP] 24 MP full recipe peak RSS <= 200 MiB (24 MP not in --sizes)");
        }
    }

    private void Target(string what, Measurement? subject, Measurement? reference, Func<Measurement, Measurement, (bool Pass, string Detail)> judge)
    {
        if (subject is null || reference is null || double.IsNaN(subject.MedianMs) || double.IsNaN(reference.MedianMs))
        {
            output.WriteLine($"[SKIP] {what}: a measurement is missing");
            return;
        }

        var (pass, detail) = judge(subject, reference);
        output.WriteLine($"[{(pass ? "PASS" : "FAIL")}] {what}: {detail}");
    }

    private static string Ratio(double value, double? reference) =>
        reference is { } r && r > 0 && !double.IsNaN(value) ? (value / r).ToString("0.00", CultureInfo.InvariantCulture) + "x" : "n/a";

    private static string Ms(double? value) =>
        value is { } v && !double.IsNaN(v) ? v.ToString("0.0", CultureInfo.InvariantCulture) : "n/a";

    private static string Mib(double? value) =>
        value is { } v && !double.IsNaN(v) ? v.ToString("0.0", CultureInfo.InvariantCulture) : "n/a";
}
