namespace ImagePipeline.Benchmarks;

/// <summary>--breakdown: parts of the work timed on their own.</summary>
internal sealed partial class Benchmark
{
    /// <summary>Parts of the work, to tell decode/resize cost from WebP encode cost.</summary>
    private void PrintBreakdown(string input, byte[] bytes, string stem, IReadOnlyList<(string Name, int Width)> plan, Measurement? vipsFull, Measurement? vipsThumb, Measurement oursFull, Measurement oursThumb)
    {
        output.WriteLine("Breakdown (median wall ms / CPU ms; each measured on its own after a warm-up):");
        void Line(string label, Measurement? m) =>
            output.WriteLine($"  {label,-58}{Ms(m?.MedianMs),9} / {Ms(m?.MedianCpuMs)}");

        var largest = plan.Max(p => p.Width);
        Line("ours Probe (header + EXIF)", MeasureOne(InProcess("probe", () => _engine.Probe(bytes))));
        foreach (var width in new[] { largest, plan.Min(p => p.Width) }.Distinct())
        {
            Line($"ours Resize w{width} only (decode + 1 WebP encode)", MeasureOne(InProcess("resize one", () => _engine.Resize(bytes, Recipe.Renditions with { Widths = [width] }))));
        }

        Line($"ours Resize {plan.Count} widths (no thumbnail)", MeasureOne(InProcess("resize all", () => _engine.Resize(bytes, Recipe.Renditions))));
        Line($"ours Process ({plan.Count} widths + thumbnail)", oursFull);
        Line("ours Thumbnail", oursThumb);
        if (_vips is null || vipsFull is null || vipsThumb is null)
        {
            output.WriteLine();
            return;
        }

        for (var i = 0; i < plan.Count; i++)
        {
            output.WriteLine($"  {$"vipsthumbnail {plan[i].Name} (whole process, wall only)",-58}{Ms(vipsFull.CommandMedianMs[i]),9}");
        }

        Line("vipsthumbnail thumb (whole process)", vipsThumb);

        // The same decode + shrink to the largest width written as an uncompressed .v (no WebP encode), and the WebP
        // encode of that .v alone: together they split the largest rendition's cost.
        var scratch = Directory.CreateDirectory(Path.Combine(options.OutputDirectory, "breakdown")).FullName;
        var decoded = Path.Combine(scratch, $"{stem}-w{largest}.v");
        var decode = MeasureOne(Commands("vipsthumbnail to .v", [new Command(_vips.Path, [input, "-s", $"{largest}x>", "-o", decoded])]));
        Line($"vipsthumbnail w{largest} to .v (decode + resize, no encode)", decode);
        var vipsCli = Tools.FindOnPath("vips");
        if (vipsCli is not null && decode is not null)
        {
            var webp = Path.Combine(scratch, $"{stem}-w{largest}-encode.webp") + $"[Q={Recipe.Renditions.Quality},effort={Recipe.Renditions.Effort},strip]";
            Line($"vips copy w{largest}.v -> WebP (encode only, libvips 8.14)", MeasureOne(Commands("vips copy .v to webp", [new Command(vipsCli, ["copy", decoded, webp])])));
        }

        output.WriteLine();
    }
}
