using ImagePipeline.Core;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Imaging;

namespace ImagePipeline.Http.Tests;

public sealed class UploadTests
{
    private const string ValidBody = """{"fileName":"beach.jpg","contentType":"image/jpeg","contentLength":2048}""";

    [Fact]
    public async Task PostUploads_ValidBody_Returns201WithPresignedPut()
    {
        var api = new ApiHarness();

        var response = await api.PostJsonAsync("/v1/uploads", ValidBody);

        Assert.Equal(201, response.Status);
        Assert.Equal("application/json", response.ContentType);
        Assert.Equal("no-store", response.Headers["Cache-Control"]);
        var body = ApiHarness.Json(response);
        var imageId = body.GetProperty("imageId").GetString();
        Assert.True(ImageIds.TryParse(imageId, out var id));
        Assert.Equal($"/v1/images/{imageId}", response.Headers["Location"]);
        var upload = body.GetProperty("upload");
        Assert.Equal("PUT", upload.GetProperty("method").GetString());
        Assert.Equal($"https://originals.store.test/originals/{imageId}?expires=1740824100&signature=sig%2Fab%2Bc%3D", upload.GetProperty("url").GetString());
        Assert.Equal("2025-03-01T10:15:00Z", upload.GetProperty("expiresAt").GetString());
        var headers = upload.GetProperty("headers");
        Assert.Equal("image/jpeg", headers.GetProperty("Content-Type").GetString());
        Assert.Equal("2048", headers.GetProperty("Content-Length").GetString());
        Assert.Equal("*", headers.GetProperty("If-None-Match").GetString());

        var record = api.Catalog.Find(id);
        Assert.NotNull(record);
        Assert.Equal((ApiHarness.Owner, "beach.jpg", 2048L, ImageStatus.Pending), (record.OwnerId, record.FileName, record.DeclaredBytes, record.Status));
    }

    [Fact]
    public async Task PostUploads_HeifWhenEngineDecodesHeic_StoresCanonicalType()
    {
        var api = new ApiHarness(decodable: ImageFormats.All);

        var response = await api.PostJsonAsync("/v1/uploads", """{"fileName":"x.heif","contentType":"IMAGE/HEIF; q=1","contentLength":10}""");

        Assert.Equal(201, response.Status);
        Assert.Equal("image/heic", ApiHarness.Json(response).GetProperty("upload").GetProperty("headers").GetProperty("Content-Type").GetString());
    }

    [Theory]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/merge-patch+json")]
    public async Task PostUploads_JsonRequestContentType_IsAccepted(string contentType)
    {
        var api = new ApiHarness();

        var response = await api.PostJsonAsync("/v1/uploads", ValidBody, contentType);

        Assert.Equal(201, response.Status);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("not json")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    [InlineData("""{"fileName":"a.jpg","contentType":"image/jpeg","contentLength":"2048"}""")]
    [InlineData("""{"fileName":"a.jpg","contentType":"image/jpeg","contentLength":20.5}""")]
    [InlineData("""{"fileName":7,"contentType":"image/jpeg","contentLength":1}""")]
    [InlineData("""{"fileName":"a.jpg","contentType":"image/jpeg","contentLength":99999999999999999999}""")]
    [InlineData("""{"fileName":"a.jpg","contentType":"image/jpeg","contentLength":1} trailing""")]
    public async Task PostUploads_MalformedBody_Returns400(string json)
    {
        var api = new ApiHarness();

        var response = await api.PostJsonAsync("/v1/uploads", json);

        ApiHarness.AssertProblem(response, 400, ProblemTypes.InvalidRequest);
        Assert.Empty(api.Catalog.Records);
    }

    [Theory]
    [InlineData("""{"contentType":"image/jpeg","contentLength":1}""", "fileName")]
    [InlineData("""{"fileName":"","contentType":"image/jpeg","contentLength":1}""", "fileName")]
    [InlineData("""{"fileName":"\u0001\u0002 ","contentType":"image/jpeg","contentLength":1}""", "fileName")]
    [InlineData("""{"fileName":"a.jpg","contentLength":1}""", "contentType")]
    [InlineData("""{"fileName":"a.jpg","contentType":" ","contentLength":1}""", "contentType")]
    [InlineData("""{"fileName":"a.jpg","contentType":"image/jpeg"}""", "contentLength")]
    [InlineData("""{"fileName":"a.jpg","contentType":"image/jpeg","contentLength":0}""", "contentLength")]
    [InlineData("""{"fileName":"a.jpg","contentType":"image/jpeg","contentLength":-5}""", "contentLength")]
    [InlineData("""{}""", "fileName")]
    public async Task PostUploads_InvalidField_Returns400NamingIt(string json, string field)
    {
        var api = new ApiHarness();

        var response = await api.PostJsonAsync("/v1/uploads", json);

        var problem = ApiHarness.AssertProblem(response, 400, ProblemTypes.InvalidRequest);
        Assert.Contains(field, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostUploads_FileNameTooLong_Returns400()
    {
        var api = new ApiHarness();

        var response = await api.PostJsonAsync("/v1/uploads", $$"""{"fileName":"{{new string('a', 256)}}","contentType":"image/jpeg","contentLength":1}""");

        ApiHarness.AssertProblem(response, 400, ProblemTypes.InvalidRequest);
    }

    [Fact]
    public async Task PostUploads_OverSizeLimit_Returns413()
    {
        var api = new ApiHarness();
        var tooMany = api.Options.Limits.MaxBytes + 1;

        var response = await api.PostJsonAsync("/v1/uploads", $$"""{"fileName":"a.jpg","contentType":"image/jpeg","contentLength":{{tooMany}}}""");

        var problem = ApiHarness.AssertProblem(response, 413, ProblemTypes.TooLarge);
        Assert.Equal("File too large", problem.GetProperty("title").GetString());
        Assert.Empty(api.Catalog.Records);
    }

    [Fact]
    public async Task PostUploads_AtSizeLimit_Returns201()
    {
        var api = new ApiHarness();

        var response = await api.PostJsonAsync("/v1/uploads", $$"""{"fileName":"a.jpg","contentType":"image/jpeg","contentLength":{{api.Options.Limits.MaxBytes}}}""");

        Assert.Equal(201, response.Status);
    }

    [Fact]
    public async Task PostUploads_BodyOverCap_Returns413WithoutParsing()
    {
        var api = new ApiHarness();
        var padded = ValidBody[..^1] + new string(' ', ImageApi.MaxRequestBodyBytes - ValidBody.Length + 1) + "}";

        var response = await api.PostJsonAsync("/v1/uploads", padded);

        Assert.Equal(ImageApi.MaxRequestBodyBytes + 1, padded.Length);
        var problem = ApiHarness.AssertProblem(response, 413, ProblemTypes.TooLarge);
        Assert.Equal("Content Too Large", problem.GetProperty("title").GetString());
        Assert.Empty(api.Catalog.Records);
    }

    [Fact]
    public async Task PostUploads_BodyExactlyAtCap_Returns201()
    {
        var api = new ApiHarness();
        var padded = ValidBody[..^1] + new string(' ', ImageApi.MaxRequestBodyBytes - ValidBody.Length) + "}";

        var response = await api.PostJsonAsync("/v1/uploads", padded);

        Assert.Equal(ImageApi.MaxRequestBodyBytes, padded.Length);
        Assert.Equal(201, response.Status);
    }

    [Theory]
    [InlineData("image/bmp")]
    [InlineData("image/svg+xml")]
    [InlineData("application/pdf")]
    [InlineData("text/plain")]
    public async Task PostUploads_UnsupportedType_Returns415ListingAcceptedTypes(string contentType)
    {
        var api = new ApiHarness();

        var response = await api.PostJsonAsync("/v1/uploads", $$"""{"fileName":"a","contentType":"{{contentType}}","contentLength":10}""");

        var problem = ApiHarness.AssertProblem(response, 415, ProblemTypes.UnsupportedMediaType);
        Assert.Contains("image/jpeg", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(api.Catalog.Records);
    }

    [Theory]
    [InlineData("image/heic")]
    [InlineData("image/heif")]
    public async Task PostUploads_HeicWhenEngineCannotDecodeIt_Returns415NamingTheReason(string contentType)
    {
        var api = new ApiHarness(decodable: ApiHarness.NpmLibvipsFormats);

        var response = await api.PostJsonAsync("/v1/uploads", $$"""{"fileName":"a.heic","contentType":"{{contentType}}","contentLength":10}""");

        var problem = ApiHarness.AssertProblem(response, 415, ProblemTypes.UnsupportedMediaType);
        Assert.Contains("cannot be decoded", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var accepted = problem.GetProperty("detail").GetString()!.Split("Accepted:")[1];
        Assert.DoesNotContain("heic", accepted, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    public async Task PostUploads_RequestBodyNotJson_Returns415(string contentType)
    {
        var api = new ApiHarness();

        var response = await api.PostJsonAsync("/v1/uploads", ValidBody, contentType);

        ApiHarness.AssertProblem(response, 415, ProblemTypes.UnsupportedMediaType);
        Assert.Empty(api.Catalog.Records);
    }

    [Fact]
    public async Task PostUploads_JsonBodyWithoutContentType_Returns415()
    {
        // A cross-site fetch with an untyped body is a "simple" request (no preflight): it must not create anything.
        var api = new ApiHarness();

        var response = await api.PostJsonAsync("/v1/uploads", ValidBody, contentType: null);

        ApiHarness.AssertProblem(response, 415, ProblemTypes.UnsupportedMediaType);
        Assert.Empty(api.Catalog.Records);
    }

    [Fact]
    public async Task PostUploads_DuplicateKeys_Returns400()
    {
        var api = new ApiHarness();

        var response = await api.PostJsonAsync(
            "/v1/uploads", """{"fileName":"a.jpg","contentType":"image/jpeg","contentLength":10,"fileName":"b.exe"}""");

        ApiHarness.AssertProblem(response, 400, ProblemTypes.InvalidRequest);
        Assert.Empty(api.Catalog.Records);
    }

    [Theory]
    [InlineData("invoice\u202Egpj.exe", "invoicegpj.exe")]
    [InlineData("\u2066photo\u2069.jpg", "photo.jpg")]
    [InlineData("a\u200Bb\u200D.jpg", "ab.jpg")]
    public async Task PostUploads_FormatCharactersInTheName_AreStripped(string escaped, string stored)
    {
        var api = new ApiHarness();

        var response = await api.PostJsonAsync("/v1/uploads", $$"""{"fileName":"{{escaped}}","contentType":"image/jpeg","contentLength":10}""");

        Assert.Equal(201, response.Status);
        Assert.Equal(stored, Assert.Single(api.Catalog.Records).FileName);
    }

    [Theory]
    [InlineData("\u200B\u200C\u200D")]
    [InlineData("\u202E\u2066 \u2069")]
    [InlineData("\u3164")]
    public async Task PostUploads_NameWithNothingVisible_Returns400(string escaped)
    {
        var api = new ApiHarness();

        var response = await api.PostJsonAsync("/v1/uploads", $$"""{"fileName":"{{escaped}}","contentType":"image/jpeg","contentLength":10}""");

        ApiHarness.AssertProblem(response, 400, ProblemTypes.InvalidRequest);
        Assert.Empty(api.Catalog.Records);
    }
}
