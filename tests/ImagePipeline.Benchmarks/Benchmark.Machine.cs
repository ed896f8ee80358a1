using System.Runtime.InteropServices;
using ImagePipeline.Imaging;

namespace ImagePipeline.Benchmarks;

/// <summary>The report's head: the machine, its load, and the engines and tools compared.</summary>
internal sealed partial class Benchmark
{
    private void PrintMachine()
    {
        PrintMachineHeader(output);
        output.WriteLine($"Vips:     {(_vips is null ? "not found" : $"{_vips.Path} ({_vips.Version})")}");
        output.WriteLine($"IM:       {(_magick is null ? "not found" : $"{_magick.Path} ({_magick.Version})")}");
        PrintReferenceEngines();
        output.WriteLine();
    }

    /// <summary>The machine, its load and our engine: the first lines of every report (this mode's and pipeline's).</summary>
    public static void PrintMachineHeader(TextWriter output)
    {
        var cpu = ReadProcLine("/proc/cpuinfo", "model name") ?? "(unknown CPU)";
        var memory = ReadProcLine("/proc/meminfo", "MemTotal");
        output.WriteLine("== Machine ==");
        output.WriteLine($"CPU:      {cpu}, {Environment.ProcessorCount} cores available{(memory is null ? "" : ", MemTotal " + memory)}");
        output.WriteLine($"Load:     {LoadAverage()} (1/5/15 min load average at start; other work on the machine skews timings)");
        output.WriteLine($"OS:       {RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture}), {RuntimeInformation.FrameworkDescription}");
        output.WriteLine($"Ours:     libvips {LibvipsImageEngine.LibvipsVersion} from {LibvipsImageEngine.LibvipsSource}");
        output.WriteLine($"          recipe v{Recipe.Version}: widths {string.Join('/', Recipe.Renditions.Widths)} WebP q{Recipe.Renditions.Quality} effort {Recipe.Renditions.Effort}; thumbnail {Recipe.Thumbnail.Size}x{Recipe.Thumbnail.Size} attention q{Recipe.Thumbnail.Quality} effort {Recipe.Thumbnail.Effort}");
    }

    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    private static string? ReadProcLine(string file, string key)
    {
        try
        {
            var line = File.ReadLines(file).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
            return line?[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }
}
