using System.Globalization;
using System.IO.Compression;
using ImagePipeline.Testing;

namespace ImagePipeline.Benchmarks;

/// <summary>One cold process: init (start to first /next), start to first response, the first and the warm invocations.</summary>
internal sealed record LambdaColdRun(double InitMs, double FirstResponseMs, double FirstInvocationMs, List<double> WarmMs, ChildResult? Exit);

/// <summary>One process doing one invocation, for its peak RSS.</summary>
internal sealed record LambdaMemoryRow(string Name, string Stage, ChildResult? Result, string? Error);

/// <summary>What the <c>lambda</c> mode measured of one package.</summary>
internal sealed class LambdaPackageRuns
{
    private LambdaPackageRuns(FunctionPackageKind kind, string folder, double unzippedMiB, double zippedMiB)
    {
        Kind = kind;
        Folder = folder;
        UnzippedMiB = unzippedMiB;
        ZippedMiB = zippedMiB;
    }

    public FunctionPackageKind Kind { get; }

    public string Folder { get; }

    public string Bootstrap => Path.Combine(Folder, FunctionPackage.BootstrapFileName);

    /// <summary>What Lambda unpacks (its limit is 250 MB).</summary>
    public double UnzippedMiB { get; }

    /// <summary>The zip the CDK app uploads (deflate, as the CDK's asset zip).</summary>
    public double ZippedMiB { get; }

    public List<LambdaColdRun> Resize { get; } = [];

    public List<LambdaColdRun> Api { get; } = [];

    public List<LambdaMemoryRow> Memory { get; } = [];

    /// <summary>The package's sizes, unzipped and zipped.</summary>
    public static LambdaPackageRuns Measure(FunctionPackageKind kind, string folder)
    {
        var unzipped = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        var zip = Path.Combine(Path.GetTempPath(), $"imagepipeline-package-{Guid.NewGuid():N}.zip");
        try
        {
            ZipFile.CreateFromDirectory(folder, zip, CompressionLevel.Optimal, includeBaseDirectory: false);
            return new LambdaPackageRuns(kind, folder, unzipped / 1048576.0, new FileInfo(zip).Length / 1048576.0);
        }
        finally
        {
            File.Delete(zip);
        }
    }
}

/// <summary>The <c>lambda</c> mode's report: peak RSS, memory sizes, and the two packages side by side against the targets.</summary>
internal sealed class LambdaReport(TextWriter output, LambdaModeOptions options)
{
    /// <summary>The Native AOT package's targets (issue 12).</summary>
    private const double InitTargetMs = 100;
    private const double ApiFirstTargetMs = 50;
    private const double ResizeFirstWarmTarget = 1.15;

    private const int NameWidth = 44;
    private const int ColumnWidth = 26;

    public static string Mib(ChildResult? result) => result is null ? "n/a" : result.MaxRssMiB.ToString("0.0", CultureInfo.InvariantCulture);

    public void PrintMemory(IReadOnlyList<LambdaPackageRuns> packages)
    {
        output.WriteLine("== 2. Peak RSS per function process (one invocation, then exit; ru_maxrss from wait4), MiB ==");
        Header(packages, "");
        foreach (var (row, index) in packages[0].Memory.Select((r, i) => (r, i)))
        {
            Line(row.Name, packages.Select(p => p.Memory[index] is { Error: null } m ? Mib(m.Result) : "ERROR " + p.Memory[index].Error));
        }

        Line("resize 12 MP (cold run, 1 + warm)", packages.Select(p => MaxRss(p.Resize).ToString("0.0", CultureInfo.InvariantCulture)));
        Line("api GET /v1/images (cold run, 1 + warm)", packages.Select(p => MaxRss(p.Api).ToString("0.0", CultureInfo.InvariantCulture)));
        output.WriteLine();
    }

    public void PrintSizing(IReadOnlyList<LambdaPackageRuns> packages)
    {
        output.WriteLine("== 3. Memory size per function (the larger package's peaks) ==");
        output.WriteLine("Lambda memory must hold the peak at the pixel limit with headroom (x1.5 for heap growth, libvips caches and");
        output.WriteLine("other inputs than the generated JPEG); it also buys CPU (1,769 MB = one vCPU).");
        output.WriteLine("A process that served several images peaks higher than one that served one (the GC lets the heap grow when");
        output.WriteLine("the machine has room; under Lambda's cgroup limit it collects sooner), so the cold runs count for resize and api.");
        foreach (var stage in new[] { "resize", "thumbnail", "api" })
        {
            var peaks = packages.SelectMany(p => p.Memory).Where(r => r.Stage == stage && r.Result is not null).Select(r => r.Result!.MaxRssMiB)
                .Concat(packages.SelectMany(p => stage switch { "resize" => p.Resize, "api" => p.Api, _ => [] }).Where(c => c.Exit is not null).Select(c => c.Exit!.MaxRssMiB));
            var peak = peaks.DefaultIfEmpty(double.NaN).Max();
            var floor = double.IsNaN(peak) ? double.NaN : Math.Ceiling(peak * 1.5 / 64) * 64;
            output.WriteLine($"{stage,-10} peak {peak:0} MiB -> at least {floor:0} MB");
        }

        output.WriteLine();
    }

    public void PrintSideBySide(IReadOnlyList<LambdaPackageRuns> packages)
    {
        output.WriteLine($"== 4. The packages side by side (medians of {options.ColdRuns} cold processes, {options.WarmInvocations} warm invocations each) ==");
        Header(packages, "target (Native AOT)");
        var aot = packages.FirstOrDefault(p => p.Kind.NativeAot);
        Line("resize: init (start to first /next)", packages.Select(p => Ms(Median(p.Resize, r => r.InitMs))),
            Verdict(aot is null ? double.NaN : Median(aot.Resize, r => r.InitMs), InitTargetMs, "<= 100 ms"));
        Line("resize 12 MP: first / warm invocation", packages.Select(p => FirstWarm(p.Resize, "0")),
            Verdict(aot is null ? double.NaN : Ratio(aot.Resize), ResizeFirstWarmTarget, "first/warm <= 1.15"));
        Line("resize: start to first response", packages.Select(p => Ms(Median(p.Resize, r => r.FirstResponseMs))));
        Line("api: init (start to first /next)", packages.Select(p => Ms(Median(p.Api, r => r.InitMs))),
            Verdict(aot is null ? double.NaN : Median(aot.Api, r => r.InitMs), InitTargetMs, "<= 100 ms"));
        Line("api GET /v1/images: first / warm", packages.Select(p => FirstWarm(p.Api, "0.0")),
            Verdict(aot is null ? double.NaN : Median(aot.Api, r => r.FirstInvocationMs), ApiFirstTargetMs, "first <= 50 ms"));
        Line("api: start to first response", packages.Select(p => Ms(Median(p.Api, r => r.FirstResponseMs))));
        Line("peak RSS: api / resize / thumbnail 24 MP", packages.Select(p =>
            $"{Mib(p.Memory.ElementAtOrDefault(0)?.Result)} / {Mib(p.Memory.ElementAtOrDefault(1)?.Result)} / {Mib(p.Memory.ElementAtOrDefault(2)?.Result)} MiB"));
        Line("package: unzipped / zipped", packages.Select(p => $"{p.UnzippedMiB:0.0} / {p.ZippedMiB:0.0} MiB"));
    }

    private void Header(IReadOnlyList<LambdaPackageRuns> packages, string last)
    {
        output.WriteLine($"{"",-NameWidth}{string.Concat(packages.Select(p => p.Kind.Name.PadRight(ColumnWidth)))}{last}");
    }

    private void Line(string name, IEnumerable<string> cells, string last = "")
    {
        output.WriteLine($"{name,-NameWidth}{string.Concat(cells.Select(c => c.PadRight(ColumnWidth)))}{last}".TrimEnd());
    }

    private static double Median(List<LambdaColdRun> runs, Func<LambdaColdRun, double> value) =>
        runs.Count == 0 ? double.NaN : Measurement.Median([.. runs.Select(value)]);

    private static double WarmMedian(List<LambdaColdRun> runs) =>
        runs.Count == 0 ? double.NaN : Measurement.Median([.. runs.SelectMany(r => r.WarmMs)]);

    private static double Ratio(List<LambdaColdRun> runs) => Median(runs, r => r.FirstInvocationMs) / WarmMedian(runs);

    private static double MaxRss(List<LambdaColdRun> runs) => runs.Select(r => r.Exit?.MaxRssMiB ?? double.NaN).DefaultIfEmpty(double.NaN).Max();

    private static string Ms(double value) => double.IsNaN(value) ? "n/a" : $"{value:0} ms";

    private static string FirstWarm(List<LambdaColdRun> runs, string format) =>
        runs.Count == 0 ? "n/a"
        : $"{Median(runs, r => r.FirstInvocationMs).ToString(format, CultureInfo.InvariantCulture)} / {WarmMedian(runs).ToString(format, CultureInfo.InvariantCulture)} ms = {Ratio(runs):0.00}x";

    private static string Verdict(double measured, double target, string what) =>
        double.IsNaN(measured) ? $"{what}: not measured" : $"{what}: {(measured <= target ? "met" : "MISSED")}";
}
