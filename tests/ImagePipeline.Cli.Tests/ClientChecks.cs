using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static ImagePipeline.Cli.Tests.OutputChecks;

namespace ImagePipeline.Cli.Tests;

/// <summary>Checks of what the client commands print.</summary>
internal static partial class ClientChecks
{
    public static readonly string[] UploadOutcomeFields = ["file", "imageId", "status", "error"];
    public static readonly string[] UploadStatuses = ["uploaded", "ready", "failed", "rejected", "timed_out"];
    public static readonly string[] PageFields = ["items", "nextCursor"];
    public static readonly string[] SummaryFields = ["id", "fileName", "status", "createdAt", "thumbnailUrl", "placeholder"];
    public static readonly string[] DetailFields =
        ["id", "fileName", "status", "createdAt", "thumbnailUrl", "placeholder", "contentType", "updatedAt", "original", "metadata", "renditions", "thumbnail", "error"];

    /// <summary>The outcomes of <c>upload --json</c> by file name, each checked for the documented shape.</summary>
    public static Dictionary<string, JsonObject> UploadOutcomesByName(CliResult run)
    {
        var outcomes = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var node in ParseOutcomes(run))
        {
            var outcome = Assert.IsType<JsonObject>(node);
            AssertFields(UploadOutcomeFields, outcome, "upload outcome");
            var status = Text(outcome, "status");
            Assert.Contains(status, UploadStatuses);
            if (outcome["imageId"] is { } id)
            {
                Assert.Matches(ImageIdPattern(), id.GetValue<string>());
            }

            if (status is "uploaded" or "ready")
            {
                Assert.NotNull(outcome["imageId"]);
                Assert.Null(outcome["error"]);
            }
            else
            {
                var error = Assert.IsType<JsonObject>(outcome["error"]);
                AssertFields(ErrorFields, error, "error");
                Assert.False(string.IsNullOrWhiteSpace(Text(error, "code")), "An error needs a code.");
                Assert.False(string.IsNullOrWhiteSpace(Text(error, "message")), "An error needs a message.");
            }

            Assert.True(outcomes.TryAdd(Path.GetFileName(Text(outcome, "file")), outcome), "Two outcomes for " + Text(outcome, "file"));
        }

        return outcomes;
    }

    /// <summary>stdout of a command that prints one JSON object.</summary>
    public static JsonObject ParseObject(CliResult run)
    {
        try
        {
            return Assert.IsType<JsonObject>(JsonNode.Parse(run.Stdout));
        }
        catch (JsonException e)
        {
            Assert.Fail($"stdout is not one JSON object: {e.Message}{Environment.NewLine}{run}");
            throw;
        }
    }

    /// <summary>Neither stream of a run with redirected output carries an ANSI escape sequence.</summary>
    public static void AssertNoEscapes(CliResult run)
    {
        Assert.False(run.Stdout.Contains('\u001b', StringComparison.Ordinal), $"stdout carries an ESC character.{Environment.NewLine}{run}");
        Assert.False(run.Stderr.Contains('\u001b', StringComparison.Ordinal), $"stderr carries an ESC character.{Environment.NewLine}{run}");
    }

    [GeneratedRegex("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")]
    public static partial Regex ImageIdPattern();
}
