using System.Net;
using System.Text.Json;
using ImagePipeline.TestImages;

namespace ImagePipeline.Local.Tests;

/// <summary>Every file of the shared real-world corpus (<c>../shared/corpus/MANIFEST.tsv</c>) through the real host.</summary>
[Collection(SharedHostCollection.Name)]
[Trait("Category", "Integration")]
public sealed class CorpusTests(LocalHost host)
{
    // What the pipeline must refuse, by file name; every other decodable file ends ready.
    private static readonly Dictionary<string, string> ExpectedFailures = new(StringComparer.Ordinal)
    {
        ["truncated_jpeg.jpg"] = "corrupt_image",
        ["truncated_image.png"] = "corrupt_image",
        ["decompression_bomb.gif"] = "corrupt_image",
        ["ultrahdr.jpg"] = "corrupt_image",
        ["16384x16384.png"] = "too_many_pixels",
        ["giant-image.jpg"] = "too_many_pixels",
        ["testorig12.jpg"] = "unsupported_format",
    };

    private sealed record Entry(string File, long Bytes, string ExpectedSize, string Description)
    {
        public string Name => Path.GetFileName(File);

        public string Extension => Path.GetExtension(File).ToLowerInvariant();

        // svg, bmp and ico have no loader on the allow-list; an ImageMagick MVG payload is text named .jpg.
        public string? ExpectedCode =>
            ExpectedFailures.TryGetValue(Name, out var code) ? code
            : Extension is ".svg" or ".bmp" or ".ico" || Description.Contains("ImageMagick Vector Graphic", StringComparison.Ordinal) ? "unsupported_format"
            : null;

        public string ContentType => Extension switch
        {
            ".jpg" or ".jpeg" => "image/jpeg",
            ".png" => "image/png",
            ".webp" => "image/webp",
            ".gif" => "image/gif",
            ".avif" => "image/avif",
            ".heic" => "image/heic",
            ".tif" or ".tiff" => "image/tiff",
            _ => "image/jpeg", // the bytes decide
        };
    }

    [Fact(Timeout = 120_000)]
    public async Task Upload_SharedCorpus_EachReadyWithExpectedSizeOrFailedWithExpectedCode()
    {
        var corpus = RepoRoot.SharedCorpus();
        Assert.SkipWhen(corpus is null, "No shared corpus (../shared/corpus/MANIFEST.tsv) beside this clone.");
        var entries = ReadManifest(corpus);
        Assert.True(entries.Count >= 40, $"MANIFEST.tsv lists only {entries.Count} files");
        var api = host.Client;
        var formats = (await api.HealthAsync()).GetProperty("formats").EnumerateArray().Select(f => f.GetString()).ToHashSet();

        var uploaded = new List<(Entry Entry, string Id)>();
        var refusedAtPost = new List<string>();
        await Parallel.ForEachAsync(entries, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = TestContext.Current.CancellationToken }, async (entry, _) =>
        {
            var bytes = await File.ReadAllBytesAsync(Path.Combine(corpus, entry.File), TestContext.Current.CancellationToken);
            Assert.Equal(entry.Bytes, bytes.Length);
            if (bytes.Length == 0)
            {
                using var response = await api.PostUploadAsync(entry.Name, entry.ContentType, 0);
                await HostClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, $"POST {entry.File} (empty)");
                lock (refusedAtPost)
                {
                    refusedAtPost.Add(entry.File);
                }

                return;
            }

            if (entry.Extension == ".heic" && !formats.Contains("heic"))
            {
                using var response = await api.PostUploadAsync(entry.Name, entry.ContentType, bytes.Length);
                await HostClient.AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, $"POST {entry.File} (no HEIC decoder)");
                lock (refusedAtPost)
                {
                    refusedAtPost.Add(entry.File);
                }

                return;
            }

            var id = await api.UploadAsync(bytes, entry.Name, entry.ContentType);
            lock (uploaded)
            {
                uploaded.Add((entry, id));
            }
        });

        var failures = new List<string>();
        foreach (var (entry, id) in uploaded.OrderBy(u => u.Entry.File, StringComparer.Ordinal))
        {
            var detail = await api.WaitForStatusAsync(id, HostClient.Terminal, TimeSpan.FromSeconds(60));
            var status = detail.GetProperty("status").GetString();
            var code = detail.GetProperty("error") is { ValueKind: JsonValueKind.Object } error ? error.GetProperty("code").GetString() : null;
            var original = detail.GetProperty("original");
            var size = original.ValueKind == JsonValueKind.Object ? $"{original.GetProperty("width")}x{original.GetProperty("height")}" : "-";
            var ok = entry.ExpectedCode is { } expectedCode
                ? status == "failed" && code == expectedCode
                : status == "ready" && size == entry.ExpectedSize && original.GetProperty("bytes").GetInt64() == entry.Bytes;
            if (!ok)
            {
                failures.Add($"{entry.File}: expected {entry.ExpectedCode ?? "ready " + entry.ExpectedSize}, got {status} {code} {size}: {detail.GetProperty("error")}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {uploaded.Count} corpus files:{Environment.NewLine}{string.Join(Environment.NewLine, failures)}");
        Assert.Contains("d_hostile/readOnly.png", refusedAtPost);
        Assert.Equal(entries.Count, uploaded.Count + refusedAtPost.Count);
        Assert.True(host.IsRunning, host.OutputTail());
        await api.HealthAsync();
    }

    private static List<Entry> ReadManifest(string corpus)
    {
        var lines = File.ReadAllLines(Path.Combine(corpus, "MANIFEST.tsv"));
        var header = lines[0].Split('\t').Select((name, index) => (name, index)).ToDictionary(c => c.name, c => c.index);
        return [.. lines.Skip(1).Where(line => line.Length > 0).Select(line => line.Split('\t')).Select(c => new Entry(
            c[header["file"]],
            long.Parse(c[header["bytes"]], System.Globalization.CultureInfo.InvariantCulture),
            c[header["expected_wxh_after_autorotate"]],
            c[header["format_file1"]]))];
    }
}
