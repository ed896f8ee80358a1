using ImagePipeline.Testing;
using System.Text.Json.Nodes;
using static ImagePipeline.Cli.Tests.ClientChecks;
using static ImagePipeline.Cli.Tests.OutputChecks;

namespace ImagePipeline.Cli.Tests;

/// <summary>
/// upload, list, show, download and delete against the REAL local host (a child process, see <see cref="ApiHost"/>),
/// each command run as a child process too, with output redirected (so: no terminal, no ANSI codes).
/// </summary>
[Collection(ApiHostCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ClientCommandTests(ApiHost host)
{
    // Plain output must stay plain even when the environment invites colour.
    private static readonly Dictionary<string, string?> ColourfulEnvironment = new() { ["NO_COLOR"] = null, ["TERM"] = "xterm-256color", ["COLORTERM"] = "truecolor" };

    [Fact]
    public async Task Upload_PhotosWithWaitJson_ExitsZeroAndEveryFileIsReady()
    {
        var run = await host.PhotosUploadAsync();

        run.AssertExitCode(0);
        AssertNoEscapes(run);
        var outcomes = UploadOutcomesByName(run);
        Assert.Equal(Samples.GoodNames.Order(StringComparer.Ordinal), outcomes.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, outcome) in outcomes)
        {
            Assert.True(Text(outcome, "status") == "ready", $"{name}: {outcome.ToJsonString()}{Environment.NewLine}{run}");
        }

        Assert.Contains($"{Samples.GoodNames.Count} ready", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upload_BrokenWithWaitJson_ExitsTwoWithEachFailureCodeAndTheEmptyFileRejected()
    {
        var run = await host.BrokenUploadAsync();

        run.AssertExitCode(2);
        AssertNoEscapes(run);
        var outcomes = UploadOutcomesByName(run);
        Assert.Equal(Samples.BrokenNames.Order(StringComparer.Ordinal), outcomes.Keys.Order(StringComparer.Ordinal));

        // An empty file never gets an image: POST /v1/uploads refuses contentLength 0 with a 400.
        var empty = outcomes["broken-empty.jpg"];
        Assert.Equal("rejected", Text(empty, "status"));
        Assert.Null(empty["imageId"]);
        Assert.Equal("http_400", Text(empty["error"]!.AsObject(), "code"));
        Assert.StartsWith("400 ", Text(empty["error"]!.AsObject(), "message"), StringComparison.Ordinal);

        foreach (var name in Samples.BrokenNames.Where(n => n != "broken-empty.jpg"))
        {
            var outcome = outcomes[name];
            Assert.True(Text(outcome, "status") == "failed", $"{name}: {outcome.ToJsonString()}");
            Assert.NotNull(outcome["imageId"]);
            Assert.Equal(Samples.BrokenCodes[name], Text(outcome["error"]!.AsObject(), "code"));
        }
    }

    [Fact]
    public async Task Upload_UnknownExtension_IsTriedAsOctetStreamAndRejectedWith415()
    {
        using var temp = new TempDirectory();
        var notes = temp.Combine("notes.txt");
        await File.WriteAllTextAsync(notes, "not an image", TestContext.Current.CancellationToken);

        var run = await host.RunAsync(["upload", notes, "--json"]);

        run.AssertExitCode(2);
        var outcome = Assert.Single(UploadOutcomesByName(run)).Value;
        Assert.Equal("rejected", Text(outcome, "status"));
        Assert.Null(outcome["imageId"]);
        var error = outcome["error"]!.AsObject();
        Assert.Equal("http_415", Text(error, "code"));
        Assert.Contains("application/octet-stream", Text(error, "message"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upload_WithoutJsonOrTerminal_PrintsOnePlainLinePerFile()
    {
        using var temp = new TempDirectory();
        var notes = temp.Combine("notes.txt");
        await File.WriteAllTextAsync(notes, "not an image", TestContext.Current.CancellationToken);
        var tiny = Samples.PathOf("tiny.jpg");

        var run = await CliRunner.RunAsync(["upload", tiny, notes, "--api", host.Url], ColourfulEnvironment);

        run.AssertExitCode(2);
        AssertNoEscapes(run);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Matches($"^uploaded +{Regex(tiny)} +[0-9a-f-]{{36}}$", lines.Single(l => l.Contains("tiny.jpg", StringComparison.Ordinal)));
        Assert.Matches($"^rejected +{Regex(notes)} +- +http_415: 415 ", lines.Single(l => l.Contains("notes.txt", StringComparison.Ordinal)));
        Assert.Contains("1 uploaded, 1 rejected", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_Json_IsTheApiPageHoldingTheUploadsNewestFirst()
    {
        var ids = await PhotoIdsAsync();

        var run = await host.RunAsync(["list", "--limit", "100", "--json"]);

        run.AssertExitCode(0);
        var page = ParseObject(run);
        AssertFields(PageFields, page, "page");
        Assert.Null(page["nextCursor"]);
        var items = page["items"]!.AsArray().Select(n => n!.AsObject()).ToList();
        foreach (var item in items)
        {
            AssertFields(SummaryFields, item, "summary");
        }

        var listed = items.ToDictionary(i => Text(i, "id"));
        foreach (var (name, id) in ids)
        {
            Assert.True(listed.TryGetValue(id, out var item), $"{name} ({id}) is not listed.{Environment.NewLine}{run}");
            Assert.Equal(name, Text(item!, "fileName"));
            Assert.Equal("ready", Text(item!, "status"));
            Assert.NotNull(item!["thumbnailUrl"]);
        }

        var created = items.Select(i => DateTimeOffset.Parse(Text(i, "createdAt"), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(created.OrderDescending(), created);
    }

    [Fact]
    public async Task List_CursorOfTheFirstPage_GivesTheNextAndAGarbledOneIsAUsageError()
    {
        await PhotoIdsAsync();

        var first = ParseObject((await host.RunAsync(["list", "--limit", "2", "--json"])).AssertExitCode(0));
        var cursor = first["nextCursor"]!.GetValue<string>();
        var second = ParseObject((await host.RunAsync(["list", "--limit", "2", "--cursor", cursor, "--json"])).AssertExitCode(0));
        var garbled = await host.RunAsync(["list", "--cursor", "not-a-cursor"]);

        var firstIds = first["items"]!.AsArray().Select(i => Text(i!.AsObject(), "id")).ToList();
        var secondIds = second["items"]!.AsArray().Select(i => Text(i!.AsObject(), "id")).ToList();
        Assert.Equal(2, firstIds.Count);
        Assert.Equal(2, secondIds.Count);
        Assert.Empty(firstIds.Intersect(secondIds));
        garbled.AssertExitCode(1);
        Assert.Contains("400 ", garbled.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_Text_IsAPlainTableWithoutEscapes()
    {
        var ids = await PhotoIdsAsync();

        var run = await CliRunner.RunAsync(["list", "--limit", "100", "--api", host.Url], ColourfulEnvironment);

        run.AssertExitCode(0);
        AssertNoEscapes(run);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches("^id +file +status +created$", lines[0]);
        foreach (var (name, id) in ids)
        {
            Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, $"^{id} +{Regex(name)} +ready +\\d{{4}}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$"));
        }
    }

    [Fact]
    public async Task Show_Json_IsTheApiDetailVerbatim()
    {
        var id = (await PhotoIdsAsync())["camera-gps.jpg"];

        var run = await host.RunAsync(["show", id, "--json"]);
        using var http = new HttpClient();
        var direct = JsonNode.Parse(await http.GetStringAsync(new Uri($"{host.Url}/v1/images/{id}"), TestContext.Current.CancellationToken))!.AsObject();

        run.AssertExitCode(0);
        var detail = ParseObject(run);
        AssertFields(DetailFields, detail, "detail");
        Assert.Equal(id, Text(detail, "id"));
        Assert.Equal("ready", Text(detail, "status"));
        Assert.Null(detail["error"]);
        Assert.NotNull(detail["metadata"]!["cameraMake"]);
        Assert.NotEmpty(detail["renditions"]!.AsArray());

        // The same document the API serves, apart from the presigned URLs (signed anew on every request).
        Assert.True(JsonNode.DeepEquals(WithoutUrls(direct), WithoutUrls(detail)), $"show --json differs from GET /v1/images/{id}:{Environment.NewLine}{detail}{Environment.NewLine}{direct}");
    }

    [Fact]
    public async Task Show_Text_IsLabelledLinesWithoutEscapes()
    {
        var id = (await PhotoIdsAsync())["camera-gps.jpg"];

        var run = await CliRunner.RunAsync(["show", id, "--api", host.Url], ColourfulEnvironment);

        run.AssertExitCode(0);
        AssertNoEscapes(run);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches($"^id +{id}$", lines[0]);
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, "^file +camera-gps\\.jpg$"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, "^status +ready$"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, "^original +jpeg \\d+x\\d+, "));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, "^w320 +webp 320x\\d+, "));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, "^thumbnail +webp 256x256, "));
    }

    [Fact]
    public async Task Download_RenditionAndThumbnail_HaveTheDimensionsAndSizesOfTheDetail()
    {
        var id = (await PhotoIdsAsync())["camera-gps.jpg"];
        var detail = ParseObject((await host.RunAsync(["show", id, "--json"])).AssertExitCode(0));
        using var temp = new TempDirectory();

        var w640 = detail["renditions"]!.AsArray().Select(r => r!.AsObject()).Single(r => Text(r, "name") == "w640");
        var renditionRun = await host.RunAsync(["download", id, "--rendition", "w640", "-o", temp.Combine("r.webp")]);
        var thumbnailRun = await host.RunAsync(["download", id, "--rendition", "thumbnail", "-o", temp.Combine("t.webp")]);

        renditionRun.AssertExitCode(0);
        thumbnailRun.AssertExitCode(0);
        AssertSameWebp(w640, temp.Combine("r.webp"));
        AssertSameWebp(detail["thumbnail"]!.AsObject(), temp.Combine("t.webp"));
    }

    [Fact]
    public async Task Download_WithoutRendition_SavesTheLargestAsIdDashNameAndNeverReplacesAFile()
    {
        var id = (await PhotoIdsAsync())["camera-gps.jpg"];
        var detail = ParseObject((await host.RunAsync(["show", id, "--json"])).AssertExitCode(0));
        var largest = detail["renditions"]!.AsArray().Select(r => r!.AsObject()).MaxBy(r => Number(r, "width"))!;
        using var temp = new TempDirectory();

        var first = await host.RunAsync(["download", id], temp.Path);
        var expected = temp.Combine($"{id}-{Text(largest, "name")}.webp");
        var before = File.GetLastWriteTimeUtc(expected);
        var second = await host.RunAsync(["download", id], temp.Path);

        first.AssertExitCode(0);
        Assert.Contains(expected, first.Stdout, StringComparison.Ordinal);
        AssertSameWebp(largest, expected);
        second.AssertExitCode(1);
        Assert.Contains("exists", second.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, File.GetLastWriteTimeUtc(expected));
        Assert.Single(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public async Task Download_Original_IsTheUploadedBytesUnderTheUploadedName()
    {
        var id = (await PhotoIdsAsync())["camera-gps.jpg"];
        using var temp = new TempDirectory();

        var run = await host.RunAsync(["download", id, "--rendition", "original"], temp.Path);

        run.AssertExitCode(0);
        var saved = temp.Combine("camera-gps.jpg");
        Assert.True(File.Exists(saved), $"No {saved}.{Environment.NewLine}{run}");
        Assert.Equal(await File.ReadAllBytesAsync(Samples.PathOf("camera-gps.jpg"), TestContext.Current.CancellationToken), await File.ReadAllBytesAsync(saved, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Download_Original_WithA255CharacterName_IsSavedUnderThatName()
    {
        // 255 bytes is the longest file name Linux file systems take: the temp file beside it must be shorter than a
        // name derived from it could be.
        using var temp = new TempDirectory();
        var name = new string('a', 251) + ".jpg";
        var source = Path.Combine(Directory.CreateDirectory(temp.Combine("in")).FullName, name);
        File.Copy(Samples.PathOf("tiny.jpg"), source);
        var upload = (await host.RunAsync(["upload", source, "--json"])).AssertExitCode(0);
        var id = Text(Assert.Single(UploadOutcomesByName(upload)).Value, "imageId");
        var folder = Directory.CreateDirectory(temp.Combine("out")).FullName;

        var run = await host.RunAsync(["download", id, "--rendition", "original"], folder);

        run.AssertExitCode(0);
        var saved = Path.Combine(folder, name);
        Assert.Equal([saved], Directory.GetFiles(folder));
        Assert.Equal(await File.ReadAllBytesAsync(source, TestContext.Current.CancellationToken), await File.ReadAllBytesAsync(saved, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Download_Original_WhenItsNameExists_IsNotReplacedAndLeavesNoTempFile()
    {
        var id = (await PhotoIdsAsync())["camera-gps.jpg"];
        using var temp = new TempDirectory();
        var existing = temp.Combine("camera-gps.jpg");
        await File.WriteAllTextAsync(existing, "mine", TestContext.Current.CancellationToken);

        // The original's name is only known from the download's answer: the check is the final, no-clobber move.
        var run = await host.RunAsync(["download", id, "--rendition", "original"], temp.Path);

        run.AssertExitCode(1);
        Assert.Contains("exists", run.Stderr, StringComparison.Ordinal);
        Assert.Equal("mine", await File.ReadAllTextAsync(existing, TestContext.Current.CancellationToken));
        Assert.Equal([existing], Directory.GetFiles(temp.Path));
    }

    [Fact]
    public async Task Download_RenditionNeverMade_ExitsTwoWithTheApisMessage()
    {
        var id = (await PhotoIdsAsync())["tiny.jpg"];
        using var temp = new TempDirectory();

        // tiny.jpg is narrower than 2048 px: the recipe never upscales, so w2048 is not made for it (404).
        var run = await host.RunAsync(["download", id, "--rendition", "w2048", "-o", temp.Combine("x.webp")]);

        run.AssertExitCode(2);
        Assert.Contains("404 ", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public async Task Download_FailedImage_ExitsTwoNamingItsErrorWithSinglePunctuation()
    {
        var upload = (await host.BrokenUploadAsync()).AssertExitCode(2);
        var id = Text(UploadOutcomesByName(upload)["broken-text.jpg"], "imageId");
        using var temp = new TempDirectory();

        var run = await host.RunAsync(["download", id], temp.Path);

        run.AssertExitCode(2);
        var message = run.Stderr.Trim();
        Assert.StartsWith($"imagepipeline download: image {id} has no renditions: it is failed (unsupported_format: The file is not an image", message, StringComparison.Ordinal);
        Assert.EndsWith(")).", message, StringComparison.Ordinal); // the message's own "(…, tiff)" inside ours
        Assert.DoesNotContain(".)", message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public async Task Delete_RemovesTheImage_ThenShowAndDeleteExitTwo()
    {
        var upload = await host.RunAsync(["upload", Samples.PathOf("tiny.jpg"), "--json"]);
        upload.AssertExitCode(0);
        var id = Text(Assert.Single(UploadOutcomesByName(upload)).Value, "imageId");

        var delete = await host.RunAsync(["delete", id]);
        var show = await host.RunAsync(["show", id]);
        var again = await host.RunAsync(["delete", id]);

        delete.AssertExitCode(0);
        Assert.Equal($"deleted {id}", delete.Stdout.Trim());
        show.AssertExitCode(2);
        Assert.Contains("404 ", show.Stderr, StringComparison.Ordinal);
        again.AssertExitCode(2);
        Assert.Contains("404 ", again.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_DefaultsToTheEnvironmentVariable()
    {
        var run = await CliRunner.RunAsync(["list", "--limit", "1", "--json"], new Dictionary<string, string?> { ["IMAGEPIPELINE_API"] = host.Url });

        run.AssertExitCode(0);
        AssertFields(PageFields, ParseObject(run), "page");
    }

    /// <summary>The photos' image ids by file name, from the shared <c>upload --wait --json</c> (which must have succeeded).</summary>
    private async Task<Dictionary<string, string>> PhotoIdsAsync()
    {
        var run = (await host.PhotosUploadAsync()).AssertExitCode(0);
        return UploadOutcomesByName(run).ToDictionary(o => o.Key, o => Text(o.Value, "imageId"));
    }

    private static void AssertSameWebp(JsonObject expected, string path)
    {
        Assert.True(File.Exists(path), "Missing " + path);
        var webp = WebpFile.Read(path);
        Assert.Equal((Number(expected, "width"), Number(expected, "height")), ((long)webp.Width, (long)webp.Height));
        Assert.Equal(Number(expected, "bytes"), new FileInfo(path).Length);
    }

    private static JsonNode WithoutUrls(JsonObject detail)
    {
        var copy = detail.DeepClone().AsObject();
        copy.Remove("thumbnailUrl");
        copy["original"]?.AsObject().Remove("url");
        copy["thumbnail"]?.AsObject().Remove("url");
        foreach (var rendition in copy["renditions"]!.AsArray())
        {
            rendition!.AsObject().Remove("url");
        }

        return copy;
    }

    private static string Regex(string text) => System.Text.RegularExpressions.Regex.Escape(text);
}
