using System.Text.Json;
using ImagePipeline.Core.Imaging;

namespace ImagePipeline.Http.Tests;

public sealed class DetailTests
{
    private static readonly ImageMetadata FullMetadata = new(
        "Canon", "EOS R5", "RF24-105mm F4 L IS USM", "2024-07-14T18:03:22", "1/250", 4.0, 200, 50.0, new GpsLocation(48.8584, 2.2945, 35.5));

    [Fact]
    public async Task GetImage_Pending_WritesEveryAbsentValueAsNull()
    {
        var api = new ApiHarness();
        var record = api.Pending();

        var response = await api.GetAsync($"/v1/images/{ApiHarness.IdOf(record)}");

        Assert.Equal(200, response.Status);
        Assert.Equal("no-store", response.Headers["Cache-Control"]);
        var body = ApiHarness.Json(response);
        Assert.Equal(
            ["id", "fileName", "status", "createdAt", "thumbnailUrl", "placeholder", "contentType", "updatedAt", "original", "metadata", "renditions", "thumbnail", "error"],
            body.EnumerateObject().Select(p => p.Name));
        foreach (var name in new[] { "thumbnailUrl", "placeholder", "original", "metadata", "thumbnail", "error" })
        {
            Assert.Equal(JsonValueKind.Null, body.GetProperty(name).ValueKind);
        }

        Assert.Equal(0, body.GetProperty("renditions").GetArrayLength());
        Assert.Equal("pending", body.GetProperty("status").GetString());
        Assert.Equal("image/jpeg", body.GetProperty("contentType").GetString());
    }

    [Fact]
    public async Task GetImage_Ready_ReturnsOriginalMetadataRenditionsAndThumbnail()
    {
        var api = new ApiHarness();
        var record = api.Ready(sourceWidth: 1500, FullMetadata);
        var id = ApiHarness.IdOf(record);

        var body = ApiHarness.Json(await api.GetAsync($"/v1/images/{id}"));

        Assert.Equal("ready", body.GetProperty("status").GetString());
        var originalUrl = $"https://originals.store.test/originals/{ApiHarness.IdOf(record)}?expires={(ApiHarness.Start + api.Options.UrlLifetime).ToUnixTimeSeconds()}\u0026signature=sig%2Fab%2Bc%3D\u0026filename=photo.jpg";
        ApiHarness.AssertJson($$"""{"format":"jpeg","width":1500,"height":1125,"bytes":123456,"url":"{{originalUrl}}"}""", body.GetProperty("original"));
        var renditions = body.GetProperty("renditions").EnumerateArray().ToList();
        Assert.Equal(["w320", "w640", "w1280"], renditions.Select(r => r.GetProperty("name").GetString()));
        var renditionUrl = $"https://derived.store.test/renditions/{id}/r1/w640.webp?expires=1740824100&signature=sig%2Fab%2Bc%3D";
        ApiHarness.AssertJson($$"""{"name":"w640","width":640,"height":480,"format":"webp","bytes":6400,"url":"{{renditionUrl}}"}""", renditions[1]);
        var thumbnailUrl = $"https://derived.store.test/thumbnails/{id}/r1/256.webp?expires=1740824100&signature=sig%2Fab%2Bc%3D";
        ApiHarness.AssertJson($$"""{"width":256,"height":256,"format":"webp","bytes":9000,"url":"{{thumbnailUrl}}"}""", body.GetProperty("thumbnail"));
        Assert.Equal(thumbnailUrl, body.GetProperty("thumbnailUrl").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task GetImage_GpsNotExposed_ReturnsMetadataWithNullGps()
    {
        var api = new ApiHarness(exposeGps: false);
        var record = api.Ready(metadata: FullMetadata);

        var metadata = ApiHarness.Json(await api.GetAsync($"/v1/images/{ApiHarness.IdOf(record)}")).GetProperty("metadata");

        ApiHarness.AssertJson(
            """
            {
              "cameraMake": "Canon", "cameraModel": "EOS R5", "lensModel": "RF24-105mm F4 L IS USM", "takenAt": "2024-07-14T18:03:22",
              "exposureTime": "1/250", "fNumber": 4, "iso": 200, "focalLength": 50, "gps": null
            }
            """,
            metadata);
    }

    [Fact]
    public async Task GetImage_GpsExposed_ReturnsPosition()
    {
        var api = new ApiHarness(exposeGps: true);
        var record = api.Ready(metadata: FullMetadata with { Gps = new GpsLocation(-33.8568, 151.2153, null) });

        var metadata = ApiHarness.Json(await api.GetAsync($"/v1/images/{ApiHarness.IdOf(record)}")).GetProperty("metadata");

        ApiHarness.AssertJson("""{"latitude":-33.8568,"longitude":151.2153,"altitude":null}""", metadata.GetProperty("gps"));
    }

    [Fact]
    public async Task GetImage_MetadataAllAbsent_WritesEveryMemberAsNull()
    {
        var api = new ApiHarness(exposeGps: true);
        var record = api.Ready(metadata: ImageMetadata.Empty with { FNumber = double.NaN });

        var metadata = ApiHarness.Json(await api.GetAsync($"/v1/images/{ApiHarness.IdOf(record)}")).GetProperty("metadata");

        Assert.Equal(9, metadata.EnumerateObject().Count());
        Assert.All(metadata.EnumerateObject(), p => Assert.Equal(JsonValueKind.Null, p.Value.ValueKind));
    }

    [Fact]
    public async Task GetImage_Failed_ReturnsFirstStageErrorAndNoOutputs()
    {
        var api = new ApiHarness();
        var record = api.Failed("too_many_pixels", "The image is 20000x20000 = 400000000 pixels; the limit is 100000000.");

        var body = ApiHarness.Json(await api.GetAsync($"/v1/images/{ApiHarness.IdOf(record)}"));

        Assert.Equal("failed", body.GetProperty("status").GetString());
        ApiHarness.AssertJson("""{"code":"too_many_pixels","message":"The image is 20000x20000 = 400000000 pixels; the limit is 100000000."}""", body.GetProperty("error"));
        Assert.Equal(0, body.GetProperty("renditions").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("thumbnail").ValueKind);
    }

    [Fact]
    public async Task GetImage_OnlyThumbnailDone_ReturnsThumbnailAndNoRenditions()
    {
        var api = new ApiHarness();
        var ready = api.Ready();
        var record = api.Catalog.Put(ready with { ResizeState = Core.Catalog.StageState.Pending, Renditions = null });

        var body = ApiHarness.Json(await api.GetAsync($"/v1/images/{ApiHarness.IdOf(record)}"));

        Assert.Equal("processing", body.GetProperty("status").GetString());
        Assert.Equal(0, body.GetProperty("renditions").GetArrayLength());
        Assert.Equal(JsonValueKind.Object, body.GetProperty("thumbnail").ValueKind);
        Assert.Equal(JsonValueKind.String, body.GetProperty("thumbnailUrl").ValueKind);
    }

    [Theory]
    [InlineData(0, "2025-03-01T10:00:00Z")]
    [InlineData(5_000_000, "2025-03-01T10:00:00.5Z")]
    [InlineData(1_234_567, "2025-03-01T10:00:00.1234567Z")]
    public async Task GetImage_Timestamps_AreUtcWithZ(long extraTicks, string expected)
    {
        var api = new ApiHarness();
        // A record read back with a non-UTC offset must still be written in UTC.
        var local = ApiHarness.Start.AddTicks(extraTicks).ToOffset(TimeSpan.FromHours(2));
        var record = api.Catalog.Put(api.Pending() with { CreatedAt = local, UpdatedAt = local });

        var body = ApiHarness.Json(await api.GetAsync($"/v1/images/{ApiHarness.IdOf(record)}"));

        Assert.Equal(expected, body.GetProperty("createdAt").GetString());
        Assert.Equal(expected, body.GetProperty("updatedAt").GetString());
    }

    [Fact]
    public async Task GetImage_NonAsciiFileName_IsWrittenUnescapedButHtmlSafe()
    {
        var api = new ApiHarness();
        var record = api.Pending("Été à Zürich <1>.jpg");

        var response = await api.GetAsync($"/v1/images/{ApiHarness.IdOf(record)}");

        var text = ApiHarness.Text(response);
        Assert.Contains("\"fileName\":\"Été à Zürich \\u003C1\\u003E.jpg\"", text, StringComparison.Ordinal);
        Assert.Equal("Été à Zürich <1>.jpg", ApiHarness.Json(response).GetProperty("fileName").GetString());
    }

    [Fact]
    public async Task GetImage_UnknownId_Returns404()
    {
        var api = new ApiHarness();

        var response = await api.GetAsync($"/v1/images/{Guid.CreateVersion7():D}");

        var problem = ApiHarness.AssertProblem(response, 404, ProblemTypes.NotFound);
        Assert.False(problem.TryGetProperty("imageStatus", out _));
    }

    [Fact]
    public async Task GetImage_DeletedImage_Returns404()
    {
        var api = new ApiHarness();
        var record = api.Deleted();

        var response = await api.GetAsync($"/v1/images/{ApiHarness.IdOf(record)}");

        ApiHarness.AssertProblem(response, 404, ProblemTypes.NotFound);
    }

    public static TheoryData<string> MalformedIds =>
    [
        "abc",
        "0195507A-1C00-7000-8000-000000000000",
        "{0195507a-1c00-7000-8000-000000000000}",
        "0195507a1c0070008000000000000000",
        "0195507a-1c00-4000-8000-000000000000",
        "00000000-0000-0000-0000-000000000000",
        "0195507a-1c00-7000-8000-0000000000001",
        "0195507a-1c00-7000-8000-00000000000g",
        "0195507a-1c00-7000-8000-00000000000%30",
        "..",
    ];

    [Theory]
    [MemberData(nameof(MalformedIds))]
    public async Task GetImage_MalformedId_Returns404WithoutALookup(string id)
    {
        var api = new ApiHarness();

        var response = await api.GetAsync($"/v1/images/{id}");

        var problem = ApiHarness.AssertProblem(response, 404, ProblemTypes.NotFound);
        Assert.Contains("is not an image id", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, api.Catalog.Lookups);
    }
}
