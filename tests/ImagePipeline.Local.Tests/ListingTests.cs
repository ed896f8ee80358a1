using System.Net;
using System.Text.Json;

namespace ImagePipeline.Local.Tests;

/// <summary><c>GET /v1/images</c> pages newest first with an opaque, signed cursor.</summary>
[Collection(SharedHostCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ListingTests(LocalHost host)
{
    [Fact(Timeout = 60_000)]
    public async Task ListImages_PagesOfTwo_NewestFirstUntilNextCursorIsNull()
    {
        var api = host.Client;
        var bytes = TestFiles.Sample("tiny.jpg");
        var uploaded = new List<string>();
        for (var i = 1; i <= 5; i++)
        {
            uploaded.Add(await api.UploadAsync(bytes, $"listed-{i}.jpg", "image/jpeg"));
        }

        // Tests sharing the host run one at a time, so these five are the newest images.
        var seen = new List<(string Id, DateTimeOffset CreatedAt, string FileName)>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await GetPageAsync(cursor is null ? "/v1/images?limit=2" : $"/v1/images?limit=2&cursor={Uri.EscapeDataString(cursor)}");
            pages++;
            var items = page.GetProperty("items").EnumerateArray().ToList();
            var next = page.GetProperty("nextCursor");
            cursor = next.ValueKind == JsonValueKind.Null ? null : next.GetString();
            Assert.InRange(items.Count, cursor is null ? 0 : 2, 2);
            seen.AddRange(items.Select(item => (item.GetProperty("id").GetString()!, item.GetProperty("createdAt").GetDateTimeOffset(), item.GetProperty("fileName").GetString()!)));
            Assert.True(pages < 1000, "the cursor never ends");
        }
        while (cursor is not null);

        Assert.True(pages >= 3, $"5 images in pages of 2 need at least 3 pages; got {pages}");
        Assert.Equal(Enumerable.Reverse(uploaded), seen.Take(5).Select(s => s.Id));
        Assert.Equal(["listed-5.jpg", "listed-4.jpg", "listed-3.jpg", "listed-2.jpg", "listed-1.jpg"], seen.Take(5).Select(s => s.FileName));
        Assert.Equal(seen.Count, seen.Select(s => s.Id).Distinct().Count());

        // Newest first throughout: (createdAt, id) strictly decreasing; ids are UUIDv7, so they sort by time too.
        foreach (var (newer, older) in seen.Zip(seen.Skip(1)))
        {
            Assert.True(
                newer.CreatedAt > older.CreatedAt || (newer.CreatedAt == older.CreatedAt && string.CompareOrdinal(newer.Id, older.Id) > 0),
                $"{newer} is listed before {older}");
        }

        // The last page is also reached in one request.
        var all = await GetPageAsync("/v1/images?limit=100");
        Assert.Equal(JsonValueKind.Null, all.GetProperty("nextCursor").ValueKind);
        Assert.Equal(seen.Select(s => s.Id), all.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()));
    }

    [Fact(Timeout = 30_000)]
    public async Task ListImages_GarbledOrForgedCursor_Returns400()
    {
        var api = host.Client;
        var bytes = TestFiles.Sample("tiny.jpg");
        await api.UploadAsync(bytes, "cursor-1.jpg", "image/jpeg");
        await api.UploadAsync(bytes, "cursor-2.jpg", "image/jpeg");
        var cursor = (await GetPageAsync("/v1/images?limit=1")).GetProperty("nextCursor").GetString()!;
        var forged = cursor[..^2] + (cursor[^2] == 'A' ? 'B' : 'A') + cursor[^1];

        foreach (var bad in new[] { "garbled!!", "AAAA", forged, cursor + "x" })
        {
            await api.AssertGetProblemAsync($"/v1/images?limit=2&cursor={Uri.EscapeDataString(bad)}", HttpStatusCode.BadRequest);
        }

        await api.AssertGetProblemAsync("/v1/images?limit=0", HttpStatusCode.BadRequest);
        await api.AssertGetProblemAsync("/v1/images?limit=101", HttpStatusCode.BadRequest);
        Assert.True(host.IsRunning);
    }

    private async Task<JsonElement> GetPageAsync(string path)
    {
        using var response = await host.Http.GetAsync(path, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement;
    }
}
