using System.Globalization;
using ImagePipeline.Core.Imaging;
using ImagePipeline.Imaging;

namespace ImagePipeline.Benchmarks;

/// <summary>The outputs of our engine and the external tools: their sizes side by side, and their checks.</summary>
internal sealed partial class Benchmark
{
    private void PrintOutputSizes(string stem, ProcessedImage processed, string vipsDirectory, bool haveVips, string imDirectory, bool haveMagick)
    {
        output.WriteLine("Output sizes in bytes (same recipe; ours: libvips " + LibvipsImageEngine.LibvipsVersion + (haveVips ? $", vipsthumbnail: {_vips!.Version}" : "") + "):");
        output.WriteLine($"{"output",-8}{"ours",12}{"dims",11}{"vipsthumbnail",15}{"dims",11}{"ours/vips",11}{"ImageMagick",13}{"dims",11}");
        var outputs = processed.Renditions.Select(r => (r.Name, r.Image)).Append(("thumb", processed.Thumbnail)).ToList();
        long oursTotal = 0, vipsTotal = 0, imTotal = 0;
        foreach (var (name, image) in outputs)
        {
            var (vipsBytes, vipsDims) = haveVips ? FileFacts(Path.Combine(vipsDirectory, $"{stem}-{name}.webp")) : (0, "");
            var (imBytes, imDims) = haveMagick ? FileFacts(Path.Combine(imDirectory, $"{stem}-{name}.webp")) : (0, "");
            oursTotal += image.Bytes;
            vipsTotal += vipsBytes;
            imTotal += imBytes;
            output.WriteLine($"{name,-8}{image.Bytes,12:N0}{$"{image.Width}x{image.Height}",11}{Count(vipsBytes, haveVips),15}{vipsDims,11}{Ratio(image.Bytes, vipsBytes > 0 ? vipsBytes : null),11}{Count(imBytes, haveMagick),13}{imDims,11}");
        }

        output.WriteLine($"{"total",-8}{oursTotal,12:N0}{"",11}{Count(vipsTotal, haveVips),15}{"",11}{Ratio(oursTotal, vipsTotal > 0 ? vipsTotal : null),11}{Count(imTotal, haveMagick),13}");
        output.WriteLine();
    }

    private static string Count(long bytes, bool present) => present ? bytes.ToString("N0", CultureInfo.InvariantCulture) : "n/a";

    private (long Bytes, string Dims) FileFacts(string path)
    {
        if (!File.Exists(path))
        {
            return (0, "missing");
        }

        var bytes = File.ReadAllBytes(path);
        try
        {
            var info = _engine.Probe(bytes);
            return (bytes.Length, $"{info.Width}x{info.Height}");
        }
        catch (ImageProcessingException)
        {
            return (bytes.Length, "unreadable");
        }
    }

    private void CheckOutputs(InputSize size, ProcessedImage processed, ThumbnailResult thumbnail, string vipsDirectory, bool haveVips, string imDirectory, bool haveMagick, string stem)
    {
        output.WriteLine("Output checks:");
        var edge = Recipe.Thumbnail.Size;
        Check($"{size.Label} ours Thumbnail() is {edge}x{edge}", thumbnail.Thumbnail.Width == edge && thumbnail.Thumbnail.Height == edge && thumbnail.Thumbnail.Bytes > 0,
            $"{thumbnail.Thumbnail.Width}x{thumbnail.Thumbnail.Height}, {thumbnail.Thumbnail.Bytes} bytes");
        Check($"{size.Label} ours Process() thumbnail is {edge}x{edge}", processed.Thumbnail.Width == edge && processed.Thumbnail.Height == edge && processed.Thumbnail.Bytes > 0,
            $"{processed.Thumbnail.Width}x{processed.Thumbnail.Height}, {processed.Thumbnail.Bytes} bytes");
        var plan = Recipe.Renditions.Plan(size.Width);
        Check($"{size.Label} ours renditions are {string.Join('/', plan.Select(p => p.Width))} wide",
            processed.Renditions.Select(r => (r.Name, r.Image.Width)).SequenceEqual(plan) && processed.Renditions.All(r => r.Image.Bytes > 0),
            string.Join(", ", processed.Renditions.Select(r => $"{r.Name}={r.Image.Width}x{r.Image.Height}")));

        if (haveVips)
        {
            CheckExternal($"{size.Label} vipsthumbnail", vipsDirectory, stem, plan);
        }

        if (haveMagick)
        {
            CheckExternal($"{size.Label} ImageMagick", imDirectory, stem, plan);
        }

        output.WriteLine();
    }

    private void CheckExternal(string label, string directory, string stem, IReadOnlyList<(string Name, int Width)> plan)
    {
        var edge = Recipe.Thumbnail.Size;
        var thumbPath = Path.Combine(directory, $"{stem}-thumb.webp");
        var thumbBytes = File.Exists(thumbPath) ? new FileInfo(thumbPath).Length : -1;
        Check($"{label} thumbnail file exists and is non-empty", thumbBytes > 0, thumbBytes < 0 ? $"{thumbPath} missing" : $"{thumbBytes} bytes");
        if (thumbBytes > 0)
        {
            var (_, dims) = FileFacts(thumbPath);
            Check($"{label} thumbnail is {edge}x{edge}", dims == $"{edge}x{edge}", dims);
        }

        foreach (var (name, width) in plan)
        {
            var (bytes, dims) = FileFacts(Path.Combine(directory, $"{stem}-{name}.webp"));
            Check($"{label} {name} is {width} wide and non-empty", bytes > 0 && dims.StartsWith($"{width}x", StringComparison.Ordinal), $"{dims}, {bytes} bytes");
        }
    }

    private void Check(string what, bool ok, string detail)
    {
        output.WriteLine($"  [{(ok ? "ok" : "FAIL")}] {what} ({detail})");
        if (!ok)
        {
            _checkFailures.Add($"{what}: {detail}");
        }
    }
}
