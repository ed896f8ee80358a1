using ImagePipeline.Core.Catalog;

namespace ImagePipeline.Http.Tests;

public sealed class RedirectTests
{
    private const string Signed = "?expires=1740824100&signature=sig%2Fab%2Bc%3D";

    [Fact]
    public async Task GetThumbnail_Ready_Returns302ToPresignedUrl()
    {
        var api = new ApiHarness();
        var id = ApiHarness.IdOf(api.Ready());

        var response = await api.GetAsync($"/v1/images/{id}/thumbnail");

        AssertRedirect(response, $"https://derived.store.test/thumbnails/{id}/r1/256.webp{Signed}");
    }

    [Theory]
    [InlineData("pending")]
    [InlineData("processing")]
    [InlineData("failed")]
    public async Task GetThumbnail_NotMade_Returns409WithImageStatus(string status)
    {
        var api = new ApiHarness();
        var record = Seed(api, status);

        var response = await api.GetAsync($"/v1/images/{ApiHarness.IdOf(record)}/thumbnail");

        var problem = ApiHarness.AssertProblem(response, 409, ProblemTypes.NotReady);
        Assert.Equal(status, problem.GetProperty("imageStatus").GetString());
    }

    [Fact]
    public async Task GetThumbnail_UnknownOrDeletedImage_Returns404()
    {
        var api = new ApiHarness();
        var deleted = api.Deleted();

        ApiHarness.AssertProblem(await api.GetAsync($"/v1/images/{Guid.CreateVersion7():D}/thumbnail"), 404, ProblemTypes.NotFound);
        ApiHarness.AssertProblem(await api.GetAsync($"/v1/images/{ApiHarness.IdOf(deleted)}/thumbnail"), 404, ProblemTypes.NotFound);
    }

    [Theory]
    [InlineData("thumbnail")]
    [InlineData("original")]
    [InlineData("renditions/w640")]
    public async Task GetImageObject_MalformedId_Returns404WithoutALookup(string what)
    {
        var api = new ApiHarness();

        var response = await api.GetAsync($"/v1/images/not-an-id/{what}");

        ApiHarness.AssertProblem(response, 404, ProblemTypes.NotFound);
        Assert.Equal(0, api.Catalog.Lookups);
    }

    [Theory]
    [InlineData("w320")]
    [InlineData("w640")]
    [InlineData("w2048")]
    public async Task GetRendition_Made_Returns302ToPresignedUrl(string name)
    {
        var api = new ApiHarness();
        var id = ApiHarness.IdOf(api.Ready(sourceWidth: 4000));

        var response = await api.GetAsync($"/v1/images/{id}/renditions/{name}");

        AssertRedirect(response, $"https://derived.store.test/renditions/{id}/r1/{name}.webp{Signed}");
    }

    [Theory]
    [InlineData("w999")]
    [InlineData("thumbnail")]
    [InlineData("W640")]
    [InlineData("w640.webp")]
    public async Task GetRendition_UnknownName_Returns404(string name)
    {
        var api = new ApiHarness();
        var id = ApiHarness.IdOf(api.Ready(sourceWidth: 4000));

        var response = await api.GetAsync($"/v1/images/{id}/renditions/{name}");

        var problem = ApiHarness.AssertProblem(response, 404, ProblemTypes.NotFound);
        Assert.Equal("Unknown rendition", problem.GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("w1280")]
    [InlineData("w2048")]
    public async Task GetRendition_SkippedBecauseNoUpscaling_Returns404(string name)
    {
        var api = new ApiHarness();
        var id = ApiHarness.IdOf(api.Ready(sourceWidth: 700));

        var response = await api.GetAsync($"/v1/images/{id}/renditions/{name}");

        var problem = ApiHarness.AssertProblem(response, 404, ProblemTypes.NotFound);
        Assert.Equal("Rendition not made", problem.GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("pending")]
    [InlineData("processing")]
    [InlineData("failed")]
    public async Task GetRendition_StageNotDone_Returns409WithImageStatus(string status)
    {
        var api = new ApiHarness();
        var record = Seed(api, status);

        var response = await api.GetAsync($"/v1/images/{ApiHarness.IdOf(record)}/renditions/w320");

        var problem = ApiHarness.AssertProblem(response, 409, ProblemTypes.NotReady);
        Assert.Equal(status, problem.GetProperty("imageStatus").GetString());
    }

    [Fact]
    public async Task GetRendition_UnknownImage_Returns404()
    {
        var api = new ApiHarness();

        var response = await api.GetAsync($"/v1/images/{Guid.CreateVersion7():D}/renditions/w320");

        ApiHarness.AssertProblem(response, 404, ProblemTypes.NotFound);
    }

    [Theory]
    [InlineData("processing")]
    [InlineData("ready")]
    [InlineData("failed")]
    public async Task GetOriginal_Uploaded_Returns302DownloadingUnderTheFileName(string status)
    {
        var api = new ApiHarness();
        var record = api.Catalog.Put(Seed(api, status) with { FileName = "Été 2024.jpg" });
        var id = ApiHarness.IdOf(record);

        var response = await api.GetAsync($"/v1/images/{id}/original");

        AssertRedirect(response, $"https://originals.store.test/originals/{id}{Signed}&filename=%C3%89t%C3%A9%202024.jpg");
    }

    [Fact]
    public async Task GetOriginal_Pending_Returns409WithImageStatus()
    {
        var api = new ApiHarness();
        var record = api.Pending();

        var response = await api.GetAsync($"/v1/images/{ApiHarness.IdOf(record)}/original");

        var problem = ApiHarness.AssertProblem(response, 409, ProblemTypes.NotReady);
        Assert.Equal("pending", problem.GetProperty("imageStatus").GetString());
    }

    [Fact]
    public async Task GetOriginal_UnknownOrDeletedImage_Returns404()
    {
        var api = new ApiHarness();
        var deleted = api.Deleted();

        ApiHarness.AssertProblem(await api.GetAsync($"/v1/images/{Guid.CreateVersion7():D}/original"), 404, ProblemTypes.NotFound);
        ApiHarness.AssertProblem(await api.GetAsync($"/v1/images/{ApiHarness.IdOf(deleted)}/original"), 404, ProblemTypes.NotFound);
    }

    private static ImageRecord Seed(ApiHarness api, string status) => status switch
    {
        "pending" => api.Pending(),
        "processing" => api.Processing(),
        "ready" => api.Ready(),
        "failed" => api.Failed(),
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    private static void AssertRedirect(ApiResponse response, string location)
    {
        Assert.Equal(302, response.Status);
        Assert.Equal(location, response.Headers["Location"]);
        Assert.Equal("no-store", response.Headers["Cache-Control"]);
        Assert.True(response.Body.IsEmpty);
        Assert.Null(response.ContentType);
    }
}
