using System.Globalization;
using System.Text.Json.Nodes;
using static ImagePipeline.Cli.Tests.ClientChecks;
using static ImagePipeline.Cli.Tests.OutputChecks;

namespace ImagePipeline.Cli.Tests;

/// <summary>
/// <c>reprocess ID… | --failed</c> against the REAL local host. A host of its own (not the shared one): <c>--failed</c>
/// reprocesses every failed image of the host, which the other client tests must not see change under them. Failed
/// images are corrupt JPEGs (<see cref="Samples.SlowCorruptJpeg"/>): a corrupt file stays corrupt, so a reprocessed one
/// goes back to processing and then fails again with the same code — which proves the call queued it.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ReprocessCommandTests(ApiHost host) : IClassFixture<ApiHost>
{
    private static readonly string[] OutcomeFields = ["imageId", "status", "error"];
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task Reprocess_FailedImage_ExitsZeroGoesBackToProcessingAndFailsAgainWithTheSameCode()
    {
        var id = await UploadAsync(Samples.SlowCorruptJpeg, "failed");
        var before = await GetAsync(id);

        var run = await host.RunAsync(["reprocess", id, "--json"]);

        run.AssertExitCode(0);
        AssertNoEscapes(run);
        var outcome = Assert.Single(Outcomes(run));
        Assert.Equal(id, Text(outcome, "imageId"));
        AssertQueued(outcome);
        Assert.Contains("Queued 1 of 1 image(s) again", run.Stderr, StringComparison.Ordinal);

        // It ran again: failed anew (a corrupt file stays corrupt), later than the first time, with the same code.
        var after = await WaitSettledAsync(id);
        Assert.Equal("failed", Text(after, "status"));
        Assert.Equal(Text(before["error"]!.AsObject(), "code"), Text(after["error"]!.AsObject(), "code"));
        Assert.Equal("corrupt_image", Text(after["error"]!.AsObject(), "code"));
        Assert.True(Time(after, "updatedAt") > Time(before, "updatedAt"), $"Not processed again: {before}{Environment.NewLine}{after}");
    }

    [Fact]
    public async Task Reprocess_ReadyImage_ExitsTwoNamingItWithTheApisReason()
    {
        var id = await UploadAsync(Samples.PathOf("tiny.jpg"), "ready");

        var run = await host.RunAsync(["reprocess", id]);

        run.AssertExitCode(2);
        AssertNoEscapes(run);
        var line = Assert.Single(run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches($"^{id}  not queued  tiny\\.jpg  409 Nothing to reprocess: .*ready and made by the current recipe", line);
        Assert.Contains("Queued 0 of 1 image(s) again", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("1 not queued", run.Stderr, StringComparison.Ordinal);
        Assert.Equal("ready", Text(await GetAsync(id), "status"));
    }

    [Fact]
    public async Task Reprocess_UnknownId_ExitsTwoWith404()
    {
        const string unknown = "0198a5c2-7f3e-7d40-9a1b-3c4d5e6f7a8b";

        var json = await host.RunAsync(["reprocess", unknown, "--json"]);
        var text = await host.RunAsync(["reprocess", unknown]);

        json.AssertExitCode(2);
        var outcome = Assert.Single(Outcomes(json));
        Assert.Equal(unknown, Text(outcome, "imageId"));
        Assert.Null(outcome["status"]);
        Assert.Equal("http_404", Text(outcome["error"]!.AsObject(), "code"));
        Assert.StartsWith("404 ", Text(outcome["error"]!.AsObject(), "message"), StringComparison.Ordinal);
        text.AssertExitCode(2);
        Assert.Matches($"^{unknown}  not queued  -  404 ", text.Stdout);
    }

    [Fact]
    public async Task Reprocess_SomeQueuedSomeNot_ExitsTwoWithOneOutcomePerImageInOrder()
    {
        var failed = await UploadAsync(Samples.SlowCorruptJpeg, "failed");
        var ready = await UploadAsync(Samples.PathOf("tiny.jpg"), "ready");

        // The failed id twice: reprocessed once (a second request would find it processing).
        var run = await host.RunAsync(["reprocess", failed, ready, failed.ToUpperInvariant(), "--json"]);

        run.AssertExitCode(2);
        var outcomes = Outcomes(run);
        Assert.Equal([failed, ready], outcomes.Select(o => Text(o, "imageId")));
        AssertQueued(outcomes[0]);
        Assert.Null(outcomes[1]["status"]);
        Assert.Equal("http_409", Text(outcomes[1]["error"]!.AsObject(), "code"));
        Assert.Contains("ready and made by the current recipe", Text(outcomes[1]["error"]!.AsObject(), "message"), StringComparison.Ordinal);
        Assert.Equal("corrupt_image", Text((await WaitSettledAsync(failed))["error"]!.AsObject(), "code"));
    }

    [Fact]
    public async Task ReprocessFailed_ReprocessesExactlyTheFailedImages()
    {
        // At least two failed images and a ready one, besides whatever the other tests of this class left; the command's
        // choice is checked against the API's own complete listing (all pages).
        await UploadAsync(Samples.SlowCorruptJpeg, "failed");
        await UploadAsync(Samples.SlowCorruptJpeg, "failed");
        await UploadAsync(Samples.PathOf("tiny.jpg"), "ready");
        await WaitAllSettledAsync();
        var expected = (await ListAllAsync()).Where(i => Text(i, "status") == "failed").Select(i => Text(i, "id")).Order(StringComparer.Ordinal).ToList();
        Assert.True(expected.Count >= 2);

        var run = await host.RunAsync(["reprocess", "--failed", "--json"]);

        run.AssertExitCode(0);
        var outcomes = Outcomes(run);
        Assert.Equal(expected, outcomes.Select(o => Text(o, "imageId")).Order(StringComparer.Ordinal));
        Assert.All(outcomes, AssertQueued);
        Assert.Contains($"Found {expected.Count} failed image(s)", run.Stderr, StringComparison.Ordinal);
        Assert.Contains($"queued {expected.Count} again.", run.Stderr, StringComparison.Ordinal);
        foreach (var id in expected)
        {
            Assert.Equal("failed", Text(await WaitSettledAsync(id), "status"));
        }
    }

    [Fact]
    public async Task ReprocessFailed_PlainText_PrintsOneLinePerImageWithItsFileNameAndStatus()
    {
        var id = await UploadAsync(Samples.SlowCorruptJpeg, "failed");
        await WaitAllSettledAsync();
        var failed = (await ListAllAsync()).Where(i => Text(i, "status") == "failed").ToDictionary(i => Text(i, "id"), i => Text(i, "fileName"));

        var run = await CliRunner.RunAsync(
            ["reprocess", "--failed", "--api", host.Url],
            new Dictionary<string, string?> { ["NO_COLOR"] = null, ["TERM"] = "xterm-256color" });

        run.AssertExitCode(0);
        AssertNoEscapes(run);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(failed.Count, lines.Length);
        Assert.Contains(id, failed.Keys);
        foreach (var (failedId, name) in failed)
        {
            Assert.Contains(lines, l => l == $"{failedId}  processing  {name}" || l == $"{failedId}  failed      {name}");
        }

        await WaitAllSettledAsync();
    }

    [Fact]
    public async Task ReprocessFailed_WithNothingFailed_SaysSoAndExitsZero()
    {
        // A fresh host holding one ready image and no failed one.
        await using var fresh = new ApiHost();
        await fresh.InitializeAsync();
        (await fresh.RunAsync(["upload", Samples.PathOf("tiny.jpg"), "--wait", "--json"])).AssertExitCode(0);

        var text = await fresh.RunAsync(["reprocess", "--failed"]);
        var json = await fresh.RunAsync(["reprocess", "--failed", "--json"]);

        text.AssertExitCode(0);
        Assert.Equal($"No failed images at {fresh.Url}: nothing to reprocess.", text.Stdout.Trim());
        json.AssertExitCode(0);
        Assert.Empty(ParseOutcomes(json));
        Assert.Contains("No failed images", json.Stderr, StringComparison.Ordinal);
    }

    /// <summary>Uploads one file with <c>--wait</c> and returns its image id, once it is <paramref name="status"/>.</summary>
    private async Task<string> UploadAsync(string path, string status)
    {
        var run = await host.RunAsync(["upload", path, "--wait", "--timeout", "40s", "--json"]);
        var outcome = Assert.Single(UploadOutcomesByName(run)).Value;
        Assert.True(Text(outcome, "status") == status, $"{path}: {outcome.ToJsonString()}{Environment.NewLine}{run}");
        return Text(outcome, "imageId");
    }

    /// <summary>
    /// An outcome of an image queued again: no error, and the status of the API's 202 detail — <c>processing</c> (its
    /// failed stages back to pending), or already <c>failed</c> again when a stage finished before the API answered.
    /// </summary>
    private static void AssertQueued(JsonObject outcome)
    {
        Assert.Null(outcome["error"]);
        Assert.Contains(Text(outcome, "status"), (string[])["processing", "failed"]);
    }

    /// <summary>The outcomes of <c>reprocess --json</c>, each checked for the documented shape.</summary>
    private static List<JsonObject> Outcomes(CliResult run)
    {
        var outcomes = new List<JsonObject>();
        foreach (var node in ParseOutcomes(run))
        {
            var outcome = Assert.IsType<JsonObject>(node);
            AssertFields(OutcomeFields, outcome, "reprocess outcome");
            Assert.Matches(ImageIdPattern(), Text(outcome, "imageId"));
            if (outcome["status"] is null)
            {
                var error = Assert.IsType<JsonObject>(outcome["error"]);
                AssertFields(ErrorFields, error, "error");
                Assert.Matches("^http_[1-5][0-9][0-9]$", Text(error, "code"));
                Assert.False(string.IsNullOrWhiteSpace(Text(error, "message")), "An error needs a message.");
            }
            else
            {
                Assert.Null(outcome["error"]);
            }

            outcomes.Add(outcome);
        }

        return outcomes;
    }

    private async Task<JsonObject> GetAsync(string id)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri($"{host.Url}/v1/images/{id}"), TestContext.Current.CancellationToken);
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Polls the image until it is ready or failed.</summary>
    private async Task<JsonObject> WaitSettledAsync(string id)
    {
        var deadline = DateTime.UtcNow + SettleTimeout;
        while (true)
        {
            var detail = await GetAsync(id);
            if (Text(detail, "status") is "ready" or "failed")
            {
                return detail;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{id} did not settle within {SettleTimeout.TotalSeconds:0} s: {detail}{Environment.NewLine}{host.Output}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Waits until no image of the host is pending or processing (another test may have queued some).</summary>
    private async Task WaitAllSettledAsync()
    {
        var deadline = DateTime.UtcNow + SettleTimeout;
        while ((await ListAllAsync()).Any(i => Text(i, "status") is "pending" or "processing"))
        {
            Assert.True(DateTime.UtcNow < deadline, $"Images still in progress after {SettleTimeout.TotalSeconds:0} s.{Environment.NewLine}{host.Output}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Every image of the host, all pages.</summary>
    private async Task<List<JsonObject>> ListAllAsync()
    {
        using var http = new HttpClient();
        var items = new List<JsonObject>();
        string? cursor = null;
        do
        {
            var url = $"{host.Url}/v1/images?limit=100" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
            var page = JsonNode.Parse(await http.GetStringAsync(new Uri(url), TestContext.Current.CancellationToken))!.AsObject();
            items.AddRange(page["items"]!.AsArray().Select(i => i!.AsObject()));
            cursor = page["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);

        return items;
    }

    private static DateTimeOffset Time(JsonObject o, string name) => DateTimeOffset.Parse(Text(o, name), CultureInfo.InvariantCulture);
}
