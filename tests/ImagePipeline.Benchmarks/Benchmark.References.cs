using System.Globalization;
using ImagePipeline.Core.Imaging;

namespace ImagePipeline.Benchmarks;

/// <summary>
/// The reference engines beside ours, on the full recipe: the design card's SixLabors.ImageSharp (in this process,
/// warm, like ours) and DIT's sharp (in a warm Node process). Peak RSS of each: a process doing the recipe once.
/// </summary>
internal sealed partial class Benchmark
{
    private const string ImageSharpFull = "ImageSharp full", SharpFull = "sharp full";

    private SharpReference? _sharp;
    private string? _sharpNote;

    /// <summary>The reference measurements of one input, and the warm Node process to end after them.</summary>
    private sealed record ReferenceRuns(
        string ImageSharpDirectory,
        Series? ImageSharp,
        Series? ImageSharpChild,
        string SharpDirectory,
        Series? Sharp,
        Series? SharpChild,
        Series? SharpInit,
        SharpServer? Server,
        IReadOnlyList<Command> Commands) : IDisposable
    {
        public IEnumerable<Series?> Warm => [ImageSharp, Sharp];

        public IEnumerable<Series?> Children => [ImageSharpChild, SharpChild, SharpInit];

        public void Dispose() => Server?.Dispose();
    }

    private void FindReferences()
    {
        _sharp = SharpReference.Find(_logs, out _sharpNote);
    }

    private void PrintReferenceEngines()
    {
        output.WriteLine($"ImageSharp: SixLabors.ImageSharp {ImageSharpReference.Version} in this process (benchmark only); thumbnail: {ImageSharpReference.ThumbnailCrop}");
        output.WriteLine($"sharp:    {(_sharp is null ? "not available" : $"{_sharp.Version} in a warm Node process; {SharpReference.Method}")}");
    }

    /// <summary>Makes each reference's outputs once (kept for the checks) and sets up its measurements.</summary>
    private ReferenceRuns PrepareReferences(string input, byte[] bytes, string stem, IReadOnlyList<(string Name, int Width)> plan)
    {
        var imageSharpDirectory = Directory.CreateDirectory(Path.Combine(options.OutputDirectory, "imagesharp")).FullName;
        Series? imageSharp = null, imageSharpChild = null;
        try
        {
            foreach (var made in ImageSharpReference.Process(bytes, Recipe))
            {
                File.WriteAllBytes(Path.Combine(imageSharpDirectory, $"{stem}-{made.Name}.webp"), made.Data);
            }

            imageSharp = InProcess(ImageSharpFull, () => ImageSharpReference.Process(bytes, Recipe));
            imageSharpChild = Commands(ImageSharpFull + " (child)", [OurChild("imagesharp", input)]);
        }
        catch (SixLabors.ImageSharp.ImageFormatException e)
        {
            _commandFailures.Add($"{ImageSharpFull}: {e.Message}");
            output.WriteLine($"FAILED {ImageSharpFull}: {e.Message}");
        }

        var sharpDirectory = Path.Combine(options.OutputDirectory, "sharp");
        if (_sharp is null)
        {
            return new ReferenceRuns(imageSharpDirectory, imageSharp, imageSharpChild, sharpDirectory, null, null, null, null, []);
        }

        var recipe = SharpReference.RecipeJson(plan, Recipe);
        var write = _sharp.Once(input, recipe, sharpDirectory);
        var stderr = Path.Combine(_logs, "sharp-full.stderr.txt");
        var first = ChildProcess.Run(write.File, write.Arguments, stderrPath: stderr);
        if (!first.Succeeded)
        {
            var failure = $"{write} failed ({first.Describe()}; see {stderr})";
            _commandFailures.Add($"{SharpFull}: {failure}");
            output.WriteLine($"FAILED {SharpFull}: {failure}");
            return new ReferenceRuns(imageSharpDirectory, imageSharp, imageSharpChild, sharpDirectory, null, null, null, null, [write]);
        }

        SharpServer server;
        try
        {
            server = _sharp.Serve(input, recipe, plan, Recipe.Thumbnail.Size, Path.Combine(_logs, "sharp-serve"));
        }
        catch (CommandFailedException e)
        {
            _commandFailures.Add($"{SharpFull}: {e.Message}");
            output.WriteLine($"FAILED {SharpFull}: {e.Message}");
            return new ReferenceRuns(imageSharpDirectory, imageSharp, imageSharpChild, sharpDirectory, null, null, null, null, [write]);
        }

        return new ReferenceRuns(
            imageSharpDirectory,
            imageSharp,
            imageSharpChild,
            sharpDirectory,
            new Series(SharpFull, server.RunOnce),
            Commands(SharpFull + " (child)", [_sharp.Once(input, recipe)]),
            Commands("sharp init only (child)", [_sharp.Init()]),
            server,
            [server.Command, write]);
    }

    private IEnumerable<Row> ReferenceRows(ReferenceRuns references) =>
    [
        ReferenceRow(ImageSharpFull, references.ImageSharp, references.ImageSharpChild, "ImageSharp failed on this input"),
        ReferenceRow(SharpFull, references.Sharp, references.SharpChild, _sharpNote ?? "sharp failed on this input"),
    ];

    private static Row ReferenceRow(string name, Series? warm, Series? child, string absent)
    {
        if (warm is null)
        {
            return Row.Without(name, "skipped: " + absent);
        }

        return warm.Result() is { } time ? Combine(name, time, child?.Result()) : Row.Without(name, "failed: " + warm.Failure);
    }

    private void PrintReferenceColdLines(ReferenceRuns references)
    {
        output.WriteLine("References as cold processes (start, load, read file, the full recipe once, exit):");
        void Line(string label, Series? series, string absent)
        {
            var m = series?.Result();
            output.WriteLine(m is null
                ? $"  {label,-11}{absent}"
                : $"  {label,-11}{Ms(m.MedianMs)} ms wall, {Ms(m.MedianCpuMs)} ms CPU, {Mib(m.PeakRssMiB)} MiB peak RSS");
        }

        Line("ImageSharp", references.ImageSharpChild, "n/a");
        Line("sharp", references.SharpChild, "n/a");
        Line("sharp init", references.SharpInit, "n/a");
        output.WriteLine();
    }

    private void PrintReferenceOutputSizes(string stem, ProcessedImage processed, ReferenceRuns references)
    {
        var haveImageSharp = references.ImageSharp is not null;
        var haveSharp = references.Sharp is not null;
        output.WriteLine($"Reference output sizes in bytes (ImageSharp {ImageSharpReference.Version}: thumbnail centre-cropped; {(_sharp is null ? "sharp n/a" : _sharp.Version)}):");
        output.WriteLine($"{"output",-8}{"ours",12}{"ImageSharp",13}{"dims",11}{"IS/ours",9}{"sharp",12}{"dims",11}{"sharp/ours",12}");
        var outputs = processed.Renditions.Select(r => (r.Name, r.Image)).Append(("thumb", processed.Thumbnail)).ToList();
        long oursTotal = 0, imageSharpTotal = 0, sharpTotal = 0;
        foreach (var (name, image) in outputs)
        {
            var (isBytes, isDims) = haveImageSharp ? FileFacts(Path.Combine(references.ImageSharpDirectory, $"{stem}-{name}.webp")) : (0, "");
            var (sharpBytes, sharpDims) = haveSharp ? FileFacts(Path.Combine(references.SharpDirectory, $"{stem}-{name}.webp")) : (0, "");
            oursTotal += image.Bytes;
            imageSharpTotal += isBytes;
            sharpTotal += sharpBytes;
            output.WriteLine($"{name,-8}{image.Bytes,12:N0}{Count(isBytes, haveImageSharp),13}{isDims,11}{SizeRatio(isBytes, image.Bytes),9}{Count(sharpBytes, haveSharp),12}{sharpDims,11}{SizeRatio(sharpBytes, image.Bytes),12}");
        }

        output.WriteLine($"{"total",-8}{oursTotal,12:N0}{Count(imageSharpTotal, haveImageSharp),13}{"",11}{SizeRatio(imageSharpTotal, oursTotal),9}{Count(sharpTotal, haveSharp),12}{"",11}{SizeRatio(sharpTotal, oursTotal),12}");
        output.WriteLine();
    }

    /// <summary>Always run, not only with --check-outputs: a reference's time means nothing if its outputs are wrong.</summary>
    private void CheckReferenceOutputs(InputSize size, string stem, IReadOnlyList<(string Name, int Width)> plan, ReferenceRuns references)
    {
        if (references.ImageSharp is null && references.Sharp is null)
        {
            return;
        }

        output.WriteLine("Reference output checks:");
        if (references.ImageSharp is not null)
        {
            CheckExternal($"{size.Label} ImageSharp", references.ImageSharpDirectory, stem, plan);
        }

        if (references.Sharp is not null)
        {
            CheckExternal($"{size.Label} sharp", references.SharpDirectory, stem, plan);
        }

        output.WriteLine();
    }

    /// <summary>The three engines on the full recipe, every size: the figures the README quotes.</summary>
    private void PrintEngines(IReadOnlyList<(InputSize Size, IReadOnlyList<Row> Rows)> results)
    {
        output.WriteLine($"== Engines side by side == (full recipe per image: {Recipe.Renditions.Widths.Count} WebP widths q{Recipe.Renditions.Quality} effort {Recipe.Renditions.Effort} + {Recipe.Thumbnail.Size}x{Recipe.Thumbnail.Size} thumbnail q{Recipe.Thumbnail.Quality})");
        output.WriteLine($"{"size",-8}{"engine",-22}{"median ms",11}{"CPU ms",10}{"peak RSS MiB",14}{"time vs ours",14}{"RSS vs ours",13}");
        output.WriteLine(new string('-', 8 + 22 + 11 + 10 + 14 + 14 + 13));
        foreach (var (size, rows) in results)
        {
            var ours = rows.FirstOrDefault(r => r.Name == OursFull)?.Value;
            foreach (var (name, label) in new[] { (OursFull, "ours"), (ImageSharpFull, $"ImageSharp {ImageSharpReference.Version}"), (SharpFull, _sharp is null ? "sharp" : $"sharp {_sharp.SharpVersion}") })
            {
                var row = rows.FirstOrDefault(r => r.Name == name);
                var first = name == OursFull ? size.Label : "";
                if (row?.Value is not { } m)
                {
                    output.WriteLine($"{first,-8}{label,-22}{row?.Missing ?? "n/a"}");
                    continue;
                }

                var timeRatio = name == OursFull ? "1.00x" : Ratio(m.MedianMs, ours?.MedianMs);
                var rssRatio = name == OursFull ? "1.00x" : Ratio(m.PeakRssMiB, ours is null || double.IsNaN(ours.PeakRssMiB) ? null : ours.PeakRssMiB);
                output.WriteLine($"{first,-8}{label,-22}{Ms(m.MedianMs),11}{Ms(m.MedianCpuMs),10}{Mib(m.PeakRssMiB),14}{timeRatio,14}{rssRatio,13}");
            }
        }

        output.WriteLine($"(time: warm, in process; ImageSharp in this process, sharp in a Node process timing itself. Peak RSS: a process doing the recipe once.");
        output.WriteLine($" ImageSharp's thumbnail is a {ImageSharpReference.ThumbnailCrop}; ours and sharp's are attention crops.)");
        output.WriteLine();
    }

    private static string SizeRatio(long value, long reference) =>
        value > 0 && reference > 0 ? ((double)value / reference).ToString("0.00", CultureInfo.InvariantCulture) + "x" : "n/a";
}
