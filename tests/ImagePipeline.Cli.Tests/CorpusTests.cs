using ImagePipeline.Testing;
using ImagePipeline.TestImages;
using static ImagePipeline.Cli.Tests.OutputChecks;

namespace ImagePipeline.Cli.Tests;

/// <summary>Every file of the shared real-world corpus (../shared/corpus) through <c>process --json</c> in one run.</summary>
public sealed class CorpusTests
{
    /// <summary>Corpus files that must fail, with their code. HEIC is judged separately: it depends on the libvips build.</summary>
    private static readonly Dictionary<string, string> ExpectedFailures = new(StringComparer.Ordinal)
    {
        ["c_formats/check.svg"] = "unsupported_format",
        ["d_hostile/ssrf_svg_image.svg"] = "unsupported_format",
        ["d_hostile/disallowed-996.svg"] = "unsupported_format",
        ["c_formats/hopper.bmp"] = "unsupported_format",
        ["c_formats/python.ico"] = "unsupported_format",
        ["d_hostile/imagetragik1_payload_url_portscan.jpg"] = "unsupported_format",
        ["d_hostile/readOnly.png"] = "unsupported_format",
        ["d_hostile/testorig12.jpg"] = "unsupported_format",
        ["d_hostile/truncated_jpeg.jpg"] = "corrupt_image",
        ["d_hostile/truncated_image.png"] = "corrupt_image",
        ["d_hostile/decompression_bomb.gif"] = "corrupt_image",
        ["b_photos/ultrahdr.jpg"] = "corrupt_image",
        ["d_hostile/16384x16384.png"] = "too_many_pixels",
        ["d_hostile/giant-image.jpg"] = "too_many_pixels",
    };

    [Fact]
    [Trait("Category", "Corpus")]
    public async Task ProcessJson_SharedCorpus_EveryFileSizedOrFailedWithItsExpectedCode()
    {
        var corpus = RepoRoot.SharedCorpus();
        Assert.SkipWhen(corpus is null, "No shared corpus: ../shared/corpus/MANIFEST.tsv is absent beside the repository.");

        var rows = ReadManifest(Path.Combine(corpus!, "MANIFEST.tsv"));
        Assert.NotEmpty(rows);
        Assert.All(ExpectedFailures.Keys, file => Assert.Contains(file, rows.Select(r => r.File)));

        using var temp = new TempDirectory();
        var output = temp.Combine("out");
        var inputs = rows.Select(r => Path.Combine(corpus!, r.File)).ToList();
        var run = await CliRunner.RunAsync(["process", .. inputs, "--out", output, "--json"], timeout: TimeSpan.FromSeconds(120));

        // Some corpus files are meant to fail: exit 2, never a crash, and one outcome per file.
        run.AssertExitCode(2);
        var outcomes = OutcomesByInput(run);
        Assert.Equal(inputs.Order(StringComparer.Ordinal), outcomes.Keys.Order(StringComparer.Ordinal));

        var problems = new List<string>();
        var heic = new List<string>();
        foreach (var (file, expectedSize) in rows)
        {
            var outcome = outcomes[Path.Combine(corpus!, file)];
            var processed = Text(outcome, "status") == "processed";
            var code = processed ? null : Text(outcome["error"]!.AsObject(), "code");
            var isHeic = file.EndsWith(".heic", StringComparison.OrdinalIgnoreCase);
            if (isHeic)
            {
                heic.Add($"{file}: {(processed ? "processed" : code + ": " + Text(outcome["error"]!.AsObject(), "message"))}");
            }

            if (ExpectedFailures.TryGetValue(file, out var expectedCode))
            {
                if (code != expectedCode)
                {
                    problems.Add($"{file}: expected {expectedCode}, got {(processed ? "processed" : code)}");
                }

                continue;
            }

            if (!processed)
            {
                // A HEIC the loaded libvips cannot decode is unsupported; a file the manifest gives no size is free to
                // fail with any permanent code; everything else must be processed.
                var allowed = isHeic ? code == "unsupported_format" : expectedSize == "-" && code != "internal";
                if (!allowed)
                {
                    problems.Add($"{file}: failed with {code}: {Text(outcome["error"]!.AsObject(), "message")}");
                }

                continue;
            }

            var dir = Text(outcome, "output");
            var metadata = ReadMetadata(dir);
            AssertDesignedShape(metadata);
            var original = metadata["original"]!.AsObject();
            var size = $"{Number(original, "width")}x{Number(original, "height")}";
            if (size != expectedSize)
            {
                problems.Add($"{file}: original {size}, the manifest expects {expectedSize} after auto-rotation");
            }

            problems.AddRange(FileProblems(dir, metadata).Select(p => $"{file}: {p}"));
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{rows.Count} corpus files in {run.Elapsed.TotalSeconds:0.0} s; HEIC: {string.Join("; ", heic)}");
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems) + Environment.NewLine + run.Stderr);
    }

    private static List<(string File, string ExpectedSize)> ReadManifest(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        var header = lines[0].Split('\t');
        var fileColumn = Array.IndexOf(header, "file");
        var sizeColumn = Array.IndexOf(header, "expected_wxh_after_autorotate");
        Assert.True(fileColumn >= 0 && sizeColumn >= 0, "MANIFEST.tsv lacks the file or expected_wxh_after_autorotate column.");
        return [.. lines.Skip(1).Select(l => l.Split('\t')).Select(c => (c[fileColumn], c[sizeColumn].Trim()))];
    }
}
