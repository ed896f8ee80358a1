using System.Text.Json;
using ImagePipeline.Core.Imaging;

namespace ImagePipeline.Http.Tests;

public sealed class HealthAndOpenApiTests
{
    [Fact]
    public async Task GetHealth_Always_ReturnsOkVersionAndDecodableFormats()
    {
        var api = new ApiHarness();

        var response = await api.GetAsync("/v1/health");

        Assert.Equal(200, response.Status);
        Assert.Equal("application/json", response.ContentType);
        var body = ApiHarness.Json(response);
        Assert.Equal("ok", body.GetProperty("status").GetString());
        Assert.Equal(ApiHarness.Version, body.GetProperty("version").GetString());
        Assert.Equal(["jpeg", "png", "webp", "gif", "avif", "tiff"], body.GetProperty("formats").EnumerateArray().Select(f => f.GetString()));
    }

    [Fact]
    public async Task GetHealth_EngineDecodesHeic_ListsItInStableOrder()
    {
        var api = new ApiHarness(decodable: [ImageFormat.Tiff, ImageFormat.Heic, ImageFormat.Jpeg]);

        var body = ApiHarness.Json(await api.GetAsync("/v1/health"));

        Assert.Equal(["jpeg", "heic", "tiff"], body.GetProperty("formats").EnumerateArray().Select(f => f.GetString()));
    }

    [Fact]
    public async Task GetOpenApi_Always_ServesTheEmbeddedOpenApi31Document()
    {
        var api = new ApiHarness();

        var response = await api.GetAsync("/v1/openapi.json");

        Assert.Equal(200, response.Status);
        Assert.Equal("application/json", response.ContentType);
        Assert.Equal("no-store", response.Headers["Cache-Control"]);
        Assert.True(response.Body.Span.SequenceEqual(OpenApiDocument.Utf8.Span));
        Assert.Equal("3.1.0", ApiHarness.Json(response).GetProperty("openapi").GetString());
    }

    [Theory]
    [InlineData("/v1/health", "get", new[] { 200, 500 })]
    [InlineData("/v1/uploads", "post", new[] { 201, 400, 401, 413, 415, 500, 503 })]
    [InlineData("/v1/images", "get", new[] { 200, 400, 401, 500, 503 })]
    [InlineData("/v1/images/{id}", "get", new[] { 200, 401, 404, 500, 503 })]
    [InlineData("/v1/images/{id}", "delete", new[] { 204, 401, 404, 500, 503 })]
    [InlineData("/v1/images/{id}/thumbnail", "get", new[] { 302, 401, 404, 409, 500, 503 })]
    [InlineData("/v1/images/{id}/renditions/{name}", "get", new[] { 302, 401, 404, 409, 500, 503 })]
    [InlineData("/v1/images/{id}/original", "get", new[] { 302, 401, 404, 409, 500, 503 })]
    [InlineData("/v1/images/{id}/reprocess", "post", new[] { 202, 401, 404, 409, 415, 500, 503 })]
    [InlineData("/v1/config", "get", new[] { 200, 500 })]
    [InlineData("/v1/openapi.json", "get", new[] { 200 })]
    public void Document_EveryRoute_IsDescribedWithItsStatuses(string path, string method, int[] statuses)
    {
        var operation = OpenApiChecker.Root.GetProperty("paths").GetProperty(path).GetProperty(method);

        var documented = operation.GetProperty("responses").EnumerateObject().Select(r => int.Parse(r.Name, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(statuses.Order(), documented.Order());
    }

    [Fact]
    public void Document_Paths_AreExactlyTheRoutes()
    {
        var paths = OpenApiChecker.Root.GetProperty("paths").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal);

        Assert.Equal(
            ["/v1/config", "/v1/health", "/v1/images", "/v1/images/{id}", "/v1/images/{id}/original", "/v1/images/{id}/renditions/{name}", "/v1/images/{id}/reprocess", "/v1/images/{id}/thumbnail", "/v1/openapi.json", "/v1/uploads"],
            paths);
    }

    [Fact]
    public void Document_EveryRef_Resolves()
    {
        var references = new List<string>();
        Collect(OpenApiChecker.Root, references);

        Assert.NotEmpty(references);
        foreach (var reference in references)
        {
            OpenApiChecker.Pointer(reference);
        }

        static void Collect(JsonElement element, List<string> into)
        {
            if (element.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name == "$ref")
                    {
                        into.Add(property.Value.GetString()!);
                    }

                    Collect(property.Value, into);
                }
            }
            else if (element.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item, into);
                }
            }
        }
    }

    [Fact]
    public void Document_ProblemTypes_ListEveryTypeTheCodeUses()
    {
        var documented = OpenApiChecker.Schema("Problem").GetProperty("properties").GetProperty("type").GetProperty("enum")
            .EnumerateArray().Select(t => t.GetString());

        Assert.Equal(ProblemTypes.All.Order(), documented.Order());
        Assert.DoesNotContain("about:blank", documented);
    }

    [Theory]
    [InlineData(400, ProblemTypes.InvalidRequest)]
    [InlineData(401, ProblemTypes.Unauthorized)]
    [InlineData(403, ProblemTypes.Forbidden)]
    [InlineData(404, ProblemTypes.NotFound)]
    [InlineData(405, ProblemTypes.MethodNotAllowed)]
    [InlineData(408, ProblemTypes.InvalidRequest)]
    [InlineData(413, ProblemTypes.TooLarge)]
    [InlineData(415, ProblemTypes.UnsupportedMediaType)]
    [InlineData(431, ProblemTypes.InvalidRequest)]
    [InlineData(500, ProblemTypes.Internal)]
    [InlineData(503, ProblemTypes.Unavailable)]
    [InlineData(505, ProblemTypes.Internal)]
    public void ForStatus_StatusTheWebServerAnswersByItself_IsAProjectType(int status, string type)
    {
        Assert.Equal(type, ProblemTypes.ForStatus(status));
        Assert.Contains(type, ProblemTypes.All);
    }

    [Fact]
    public void Checker_MissingRequiredProperty_IsReported()
    {
        using var instance = JsonDocument.Parse("""{"id":"0195507a-1c00-7000-8000-000000000000","fileName":"a","status":"ready","createdAt":"2025-01-01T00:00:00Z","placeholder":null}""");

        var errors = OpenApiChecker.Validate(instance.RootElement, OpenApiChecker.Schema("ImageSummary"));

        Assert.Contains(errors, e => e.Contains("'thumbnailUrl' is missing", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"code":"internal","message":null}""", "wants string")]
    [InlineData("""{"code":"nope","message":"x"}""", "not one of")]
    [InlineData("""{"code":"internal","message":"x","extra":1}""", "'extra' is not in the schema")]
    public void Checker_WrongTypeEnumOrExtraProperty_IsReported(string json, string expected)
    {
        using var instance = JsonDocument.Parse(json);

        var errors = OpenApiChecker.Validate(instance.RootElement, OpenApiChecker.Schema("ImageError"));

        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("\"2025-01-01T00:00:00+00:00\"", false)]
    [InlineData("\"2025-01-01T00:00:00Z\"", true)]
    [InlineData("\"2025-01-01T00:00:00.1234567Z\"", true)]
    public void Checker_Timestamp_RequiresZ(string json, bool valid)
    {
        using var instance = JsonDocument.Parse(json);

        Assert.Equal(valid, OpenApiChecker.Validate(instance.RootElement, OpenApiChecker.Schema("Timestamp")).Count == 0);
    }

    [Theory]
    [InlineData("null", true)]
    [InlineData("""{"latitude":1,"longitude":2,"altitude":null}""", true)]
    [InlineData("""{"latitude":1,"longitude":2}""", false)]
    [InlineData("\"here\"", false)]
    public void Checker_NullableRef_AcceptsNullOrTheObject(string json, bool valid)
    {
        using var instance = JsonDocument.Parse(json);
        var gps = OpenApiChecker.Schema("Metadata").GetProperty("properties").GetProperty("gps");

        Assert.Equal(valid, OpenApiChecker.Validate(instance.RootElement, gps).Count == 0);
    }
}
