using System.Text.Json;
using ImagePipeline.Core.Services;

namespace ImagePipeline.Http.Tests;

public sealed class ListTests
{
    [Fact]
    public async Task GetImages_NoImages_ReturnsEmptyItemsAndNullCursor()
    {
        var api = new ApiHarness();

        var response = await api.GetAsync("/v1/images");

        Assert.Equal(200, response.Status);
        Assert.Equal("no-store", response.Headers["Cache-Control"]);
        var body = ApiHarness.Json(response);
        Assert.Equal(0, body.GetProperty("items").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("nextCursor").ValueKind);
    }

    [Fact]
    public async Task GetImages_MoreThanOnePage_PagesNewestFirstWithDefaultLimit()
    {
        var api = new ApiHarness();
        var created = Enumerable.Range(0, 25).Select(i => api.Pending($"p{i}.jpg", ApiHarness.Start.AddMinutes(i))).ToList();
        var newestFirst = created.AsEnumerable().Reverse().Select(ApiHarness.IdOf).ToList();

        var first = ApiHarness.Json(await api.GetAsync("/v1/images"));
        var cursor = first.GetProperty("nextCursor").GetString();
        var second = ApiHarness.Json(await api.GetAsync("/v1/images?cursor=" + Uri.EscapeDataString(cursor!)));

        Assert.Equal(newestFirst[..ImageQueries.DefaultLimit], Ids(first));
        Assert.Equal(newestFirst[ImageQueries.DefaultLimit..], Ids(second));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("nextCursor").ValueKind);
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("2", 2)]
    [InlineData("003", 3)]
    [InlineData("100", 5)]
    public async Task GetImages_Limit_CapsThePage(string limit, int expected)
    {
        var api = new ApiHarness();
        for (var i = 0; i < 5; i++)
        {
            api.Pending(createdAt: ApiHarness.Start.AddSeconds(i));
        }

        var body = ApiHarness.Json(await api.GetAsync("/v1/images?limit=" + limit));

        Assert.Equal(expected, body.GetProperty("items").GetArrayLength());
        Assert.Equal(expected < 5, body.GetProperty("nextCursor").ValueKind == JsonValueKind.String);
    }

    [Fact]
    public async Task GetImages_RepeatedLimit_UsesTheLast()
    {
        var api = new ApiHarness();
        for (var i = 0; i < 3; i++)
        {
            api.Pending(createdAt: ApiHarness.Start.AddSeconds(i));
        }

        var body = ApiHarness.Json(await api.GetAsync("/v1/images?limit=1&limit=2"));

        Assert.Equal(2, body.GetProperty("items").GetArrayLength());
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("1.5")]
    [InlineData("+5")]
    [InlineData("-1")]
    [InlineData("%205")]
    [InlineData("5%20")]
    [InlineData("1e2")]
    [InlineData("0x10")]
    [InlineData("99999999999")]
    [InlineData("0")]
    [InlineData("101")]
    public async Task GetImages_LimitNotAnIntegerIn1To100_Returns400(string limit)
    {
        var api = new ApiHarness();
        api.Pending();

        var response = await api.GetAsync("/v1/images?limit=" + limit);

        var problem = ApiHarness.AssertProblem(response, 400, ProblemTypes.InvalidRequest);
        Assert.Equal("Invalid limit", problem.GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("%00%FF")]
    public async Task GetImages_GarbledCursor_Returns400(string cursor)
    {
        var api = new ApiHarness();

        var response = await api.GetAsync("/v1/images?cursor=" + cursor);

        var problem = ApiHarness.AssertProblem(response, 400, ProblemTypes.InvalidRequest);
        Assert.Equal("Invalid cursor", problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task GetImages_CursorSignedWithAnotherKey_Returns400()
    {
        var other = new ApiHarness(cursorKey: Enumerable.Repeat((byte)9, 32).ToArray());
        other.Pending(createdAt: ApiHarness.Start);
        other.Pending(createdAt: ApiHarness.Start.AddSeconds(1));
        var forged = ApiHarness.Json(await other.GetAsync("/v1/images?limit=1")).GetProperty("nextCursor").GetString()!;
        var api = new ApiHarness();

        var response = await api.GetAsync("/v1/images?cursor=" + forged);

        ApiHarness.AssertProblem(response, 400, ProblemTypes.InvalidRequest);
    }

    [Fact]
    public async Task GetImages_PendingPastItsExpiry_GoneFromListAndDetailBeforeAnyPurge()
    {
        var api = new ApiHarness();
        var abandoned = api.Pending(createdAt: ApiHarness.Start);
        var ready = api.Ready(createdAt: ApiHarness.Start.AddSeconds(1));
        api.Clock.Advance(api.Options.PendingLifetime + TimeSpan.FromSeconds(1));

        var items = ApiHarness.Json(await api.GetAsync("/v1/images")).GetProperty("items");

        Assert.Equal([ApiHarness.IdOf(ready)], items.EnumerateArray().Select(i => i.GetProperty("id").GetString()));
        ApiHarness.AssertProblem(await api.GetAsync($"/v1/images/{ApiHarness.IdOf(abandoned)}"), 404, ProblemTypes.NotFound);
    }

    [Fact]
    public async Task GetImages_MixedStates_SummariesCarryThumbnailUrlOnlyWhenMade()
    {
        var api = new ApiHarness();
        var pending = api.Pending(createdAt: ApiHarness.Start);
        var ready = api.Ready(createdAt: ApiHarness.Start.AddSeconds(1));

        var items = ApiHarness.Json(await api.GetAsync("/v1/images")).GetProperty("items");

        var readyItem = items[0];
        Assert.Equal(ApiHarness.IdOf(ready), readyItem.GetProperty("id").GetString());
        Assert.Equal("ready", readyItem.GetProperty("status").GetString());
        Assert.Equal(
            $"https://derived.store.test/thumbnails/{ApiHarness.IdOf(ready)}/r1/256.webp?expires=1740824100&signature=sig%2Fab%2Bc%3D",
            readyItem.GetProperty("thumbnailUrl").GetString());
        var pendingItem = items[1];
        Assert.Equal(ApiHarness.IdOf(pending), pendingItem.GetProperty("id").GetString());
        Assert.Equal("pending", pendingItem.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, pendingItem.GetProperty("thumbnailUrl").ValueKind);
        foreach (var item in items.EnumerateArray())
        {
            Assert.Equal(["id", "fileName", "status", "createdAt", "thumbnailUrl", "placeholder"], item.EnumerateObject().Select(p => p.Name));
            Assert.Equal(JsonValueKind.Null, item.GetProperty("placeholder").ValueKind);
            Assert.EndsWith("Z", item.GetProperty("createdAt").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task GetImages_DeletedAndOtherOwnersImages_AreNotListed()
    {
        var api = new ApiHarness();
        var mine = api.Pending();
        api.Deleted();
        api.Pending(owner: "someone-else");

        var items = ApiHarness.Json(await api.GetAsync("/v1/images")).GetProperty("items");

        Assert.Equal([ApiHarness.IdOf(mine)], items.EnumerateArray().Select(i => i.GetProperty("id").GetString()));
    }

    private static List<string> Ids(JsonElement page) => [.. page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!)];
}
