using System.Text.Json;
using System.Text.Json.Nodes;

namespace ImagePipeline.Cli.Tests;

/// <summary>Checks of what <c>process</c> writes and prints, shared by the sample, corpus and libvips-version tests.</summary>
internal static class OutputChecks
{
    public static readonly string[] OutcomeFields = ["input", "status", "output", "error"];
    public static readonly string[] ErrorFields = ["code", "message"];
    public static readonly string[] MetadataFileFields = ["source", "original", "metadata", "renditions", "thumbnail"];
    public static readonly string[] OriginalFields = ["format", "width", "height", "bytes"];
    public static readonly string[] ExifFields =
        ["cameraMake", "cameraModel", "lensModel", "takenAt", "exposureTime", "fNumber", "iso", "focalLength", "gps"];
    public static readonly string[] GpsFields = ["latitude", "longitude", "altitude"];
    public static readonly string[] RenditionFields = ["name", "width", "height", "format", "bytes", "file"];
    public static readonly string[] ThumbnailFields = ["width", "height", "format", "bytes", "file"];
    public static readonly string[] ErrorCodes = ["unsupported_format", "corrupt_image", "too_many_pixels", "too_large", "internal"];

    /// <summary>stdout of a <c>--json</c> run: exactly one JSON array (parsing fails on anything before or after it).</summary>
    public static JsonArray ParseOutcomes(CliResult run)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(run.Stdout);
        }
        catch (JsonException e)
        {
            Assert.Fail($"stdout is not one JSON value: {e.Message}{Environment.NewLine}{run}");
            throw;
        }

        Assert.True(root is JsonArray, $"stdout is not a JSON array.{Environment.NewLine}{run}");
        return root.AsArray();
    }

    /// <summary>The outcomes of a --json run by input path, each checked for the designed shape.</summary>
    public static Dictionary<string, JsonObject> OutcomesByInput(CliResult run)
    {
        var outcomes = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var node in ParseOutcomes(run))
        {
            var outcome = Assert.IsType<JsonObject>(node);
            AssertFields(OutcomeFields, outcome, "outcome");
            var status = Text(outcome, "status");
            Assert.Contains(status, (string[])["processed", "failed"]);
            if (status == "processed")
            {
                Assert.Equal(JsonValueKind.String, outcome["output"]!.GetValueKind());
                Assert.Null(outcome["error"]);
            }
            else
            {
                Assert.Null(outcome["output"]);
                var error = Assert.IsType<JsonObject>(outcome["error"]);
                AssertFields(ErrorFields, error, "error");
                Assert.Contains(Text(error, "code"), ErrorCodes);
                Assert.False(string.IsNullOrWhiteSpace(Text(error, "message")), "An error needs a message.");
            }

            Assert.True(outcomes.TryAdd(Text(outcome, "input"), outcome), "Two outcomes for " + Text(outcome, "input"));
        }

        return outcomes;
    }

    public static JsonObject ReadMetadata(string outputDir)
    {
        var path = Path.Combine(outputDir, "metadata.json");
        Assert.True(File.Exists(path), "Missing " + path);
        return Assert.IsType<JsonObject>(JsonNode.Parse(File.ReadAllText(path)));
    }

    /// <summary>metadata.json has exactly the design's members, with the right JSON types, at every level.</summary>
    public static void AssertDesignedShape(JsonObject metadata)
    {
        AssertFields(MetadataFileFields, metadata, "metadata.json");
        Assert.Equal(JsonValueKind.String, metadata["source"]!.GetValueKind());

        var original = Assert.IsType<JsonObject>(metadata["original"]);
        AssertFields(OriginalFields, original, "original");
        Assert.Equal(JsonValueKind.String, original["format"]!.GetValueKind());
        AssertNumbers(original, "width", "height", "bytes");

        var exif = Assert.IsType<JsonObject>(metadata["metadata"]);
        AssertFields(ExifFields, exif, "metadata");
        foreach (var field in (string[])["cameraMake", "cameraModel", "lensModel", "takenAt", "exposureTime"])
        {
            Assert.True(exif[field] is null || exif[field]!.GetValueKind() == JsonValueKind.String, $"metadata.{field} must be a string or null");
        }

        foreach (var field in (string[])["fNumber", "iso", "focalLength"])
        {
            Assert.True(exif[field] is null || exif[field]!.GetValueKind() == JsonValueKind.Number, $"metadata.{field} must be a number or null");
        }

        if (exif["gps"] is { } gpsNode)
        {
            var gps = Assert.IsType<JsonObject>(gpsNode);
            AssertFields(GpsFields, gps, "metadata.gps");
            AssertNumbers(gps, "latitude", "longitude");
            Assert.True(gps["altitude"] is null || gps["altitude"]!.GetValueKind() == JsonValueKind.Number, "gps.altitude must be a number or null");
        }

        var renditions = Assert.IsType<JsonArray>(metadata["renditions"]);
        Assert.NotEmpty(renditions);
        foreach (var node in renditions)
        {
            var rendition = Assert.IsType<JsonObject>(node);
            AssertFields(RenditionFields, rendition, "rendition");
            AssertNumbers(rendition, "width", "height", "bytes");
            Assert.Matches("^w(320|640|1280|2048)$", Text(rendition, "name"));
            Assert.Equal(Text(rendition, "name") + ".webp", Text(rendition, "file"));
            Assert.Equal("webp", Text(rendition, "format"));
        }

        var thumbnail = Assert.IsType<JsonObject>(metadata["thumbnail"]);
        AssertFields(ThumbnailFields, thumbnail, "thumbnail");
        AssertNumbers(thumbnail, "width", "height", "bytes");
        Assert.Equal("thumbnail.webp", Text(thumbnail, "file"));
        Assert.Equal("webp", Text(thumbnail, "format"));
    }

    /// <summary>
    /// Everything wrong with the files of one output folder: each file metadata.json names must be a real WebP whose
    /// header size and byte count match metadata.json and that is a still image; with
    /// <paramref name="metadataChunks"/>, it must also carry no EXIF, XMP or ICC data; and the folder holds nothing else.
    /// </summary>
    public static List<string> FileProblems(string outputDir, JsonObject metadata, bool metadataChunks = true)
    {
        var problems = new List<string>();
        var outputs = metadata["renditions"]!.AsArray().Select(n => n!.AsObject()).Append(metadata["thumbnail"]!.AsObject()).ToList();
        foreach (var output in outputs)
        {
            var file = Text(output, "file");
            var path = Path.Combine(outputDir, file);
            if (!File.Exists(path))
            {
                problems.Add($"{path}: missing");
                continue;
            }

            var bytes = File.ReadAllBytes(path);
            if (bytes.Length != Number(output, "bytes"))
            {
                problems.Add($"{path}: {bytes.Length} bytes, metadata.json says {Number(output, "bytes")}");
            }

            WebpFile webp;
            try
            {
                webp = WebpFile.Parse(bytes);
            }
            catch (InvalidDataException e)
            {
                problems.Add($"{path}: {e.Message}");
                continue;
            }

            var (width, height) = (Number(output, "width"), Number(output, "height"));
            if (webp.Width != width || webp.Height != height)
            {
                problems.Add($"{path}: the WebP header says {webp.Width}x{webp.Height}, metadata.json {width}x{height}");
            }

            if (webp.Canvas is { } canvas && canvas != (webp.Width, webp.Height))
            {
                problems.Add($"{path}: VP8X canvas {canvas.Width}x{canvas.Height} differs from the frame {webp.Width}x{webp.Height}");
            }

            string[] forbiddenChunks = metadataChunks ? ["EXIF", "XMP ", "ICCP", "ANIM", "ANMF"] : ["ANIM", "ANMF"];
            var forbidden = webp.Chunks.Intersect(forbiddenChunks).ToList();
            if (forbidden.Count > 0)
            {
                problems.Add($"{path}: carries {string.Join(", ", forbidden)} (chunks: {string.Join(", ", webp.Chunks)})");
            }

            var forbiddenFlags = metadataChunks ? WebpFile.ExifFlag | WebpFile.XmpFlag | WebpFile.IccFlag | WebpFile.AnimationFlag : WebpFile.AnimationFlag;
            if (webp.Flags is { } flags && (flags & forbiddenFlags) != 0)
            {
                problems.Add($"{path}: VP8X flags 0x{flags:X2} announce {(metadataChunks ? "EXIF, XMP, ICC or animation" : "animation")}");
            }
        }

        var expected = outputs.Select(o => Text(o, "file")).Append("metadata.json").Order(StringComparer.Ordinal);
        var actual = Directory.EnumerateFileSystemEntries(outputDir).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        if (!expected.SequenceEqual(actual))
        {
            problems.Add($"{outputDir} holds [{string.Join(", ", actual)}], expected [{string.Join(", ", expected)}]");
        }

        return problems;
    }

    public static void AssertFields(IEnumerable<string> expected, JsonObject actual, string what) =>
        Assert.True(
            expected.Order(StringComparer.Ordinal).SequenceEqual(actual.Select(p => p.Key).Order(StringComparer.Ordinal)),
            $"{what} has members [{string.Join(", ", actual.Select(p => p.Key))}], the design says [{string.Join(", ", expected)}]");

    public static string Text(JsonObject json, string name) => json[name]!.GetValue<string>();

    public static long Number(JsonObject json, string name) => json[name]!.GetValue<long>();

    public static double Decimal(JsonObject json, string name) => json[name]!.GetValue<double>();

    private static void AssertNumbers(JsonObject json, params string[] names)
    {
        foreach (var name in names)
        {
            Assert.True(json[name] is { } value && value.GetValueKind() == JsonValueKind.Number, $"{name} must be a number");
        }
    }
}
