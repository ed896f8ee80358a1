using System.Text;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Http.Tests;

public sealed class RoutingTests
{
    private const string SomeId = "0195507a-1c00-7000-8000-000000000000";

    [Theory]
    [InlineData("/")]
    [InlineData("")]
    [InlineData("/v1")]
    [InlineData("/v1/")]
    [InlineData("/v2/health")]
    [InlineData("/v1/nope")]
    [InlineData("/v1/health/")]
    [InlineData("//v1/health")]
    [InlineData("/v1//health")]
    [InlineData("/V1/health")]
    [InlineData("/v1/images/")]
    [InlineData("/v1/images/" + SomeId + "/nope")]
    [InlineData("/v1/images/" + SomeId + "/renditions")]
    [InlineData("/v1/images/" + SomeId + "/renditions/")]
    [InlineData("/v1/images/" + SomeId + "/renditions/w640/x")]
    [InlineData("/v1/images/" + SomeId + "/thumbnail/x")]
    [InlineData("/v1/uploads/" + SomeId)]
    [InlineData("/objects/originals/" + SomeId)]
    public async Task Handle_UnknownRoute_Returns404Problem(string path)
    {
        var api = new ApiHarness();

        var response = await api.GetAsync(path);

        var problem = ApiHarness.AssertProblem(response, 404, ProblemTypes.NotFound);
        Assert.Equal("Not Found", problem.GetProperty("title").GetString());
        Assert.Equal(0, api.Catalog.Lookups);
    }

    [Theory]
    [InlineData("POST", "/v1/health", "GET")]
    [InlineData("get", "/v1/health", "GET")]
    [InlineData("HEAD", "/v1/health", "GET")]
    [InlineData("GET", "/v1/uploads", "POST")]
    [InlineData("PUT", "/v1/uploads", "POST")]
    [InlineData("POST", "/v1/images", "GET")]
    [InlineData("DELETE", "/v1/images", "GET")]
    [InlineData("PUT", "/v1/images/" + SomeId, "GET, DELETE")]
    [InlineData("PATCH", "/v1/images/" + SomeId, "GET, DELETE")]
    [InlineData("DELETE", "/v1/images/" + SomeId + "/thumbnail", "GET")]
    [InlineData("POST", "/v1/images/" + SomeId + "/original", "GET")]
    [InlineData("DELETE", "/v1/images/" + SomeId + "/renditions/w640", "GET")]
    [InlineData("OPTIONS", "/v1/openapi.json", "GET")]
    public async Task Handle_KnownRouteWrongMethod_Returns405WithAllow(string method, string path, string allow)
    {
        var api = new ApiHarness();

        var response = await api.SendAsync(method, path);

        var problem = ApiHarness.AssertProblem(response, 405, ProblemTypes.MethodNotAllowed);
        Assert.Equal("Method Not Allowed", problem.GetProperty("title").GetString());
        Assert.Equal(allow, response.Headers["Allow"]);
        Assert.Equal(0, api.Catalog.Lookups);
    }

    [Fact]
    public async Task Handle_WrongMethodOnMalformedId_Returns404()
    {
        var api = new ApiHarness();

        var response = await api.SendAsync("PUT", "/v1/images/nope");

        ApiHarness.AssertProblem(response, 404, ProblemTypes.NotFound);
    }

    [Fact]
    public async Task Handle_UnexpectedException_Returns500WithoutInternalsAndReportsIt()
    {
        var api = new ApiHarness();
        var failure = new InvalidOperationException("connection string Password=hunter2 at /srv/secret.db");
        api.Catalog.FailWith = failure;

        var response = await api.GetAsync($"/v1/images/{SomeId}");

        var problem = ApiHarness.AssertProblem(response, 500, ProblemTypes.Internal);
        Assert.Equal("Internal Server Error", problem.GetProperty("title").GetString());
        var text = ApiHarness.Text(response);
        Assert.DoesNotContain("hunter2", text, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", text, StringComparison.Ordinal);
        Assert.Same(failure, Assert.Single(api.Errors));
    }

    [Fact]
    public async Task Handle_TransientStorageFailure_Returns503WithRetryAfter()
    {
        var api = new ApiHarness();
        api.Catalog.FailWith = new TransientStorageException("throttled");

        var response = await api.GetAsync("/v1/images");

        ApiHarness.AssertProblem(response, 503, ProblemTypes.Unavailable);
        Assert.Equal("1", response.Headers["Retry-After"]);
        Assert.Single(api.Errors);
    }

    [Fact]
    public async Task Handle_CancelledByCaller_PropagatesCancellation()
    {
        var api = new ApiHarness();
        using var cancellation = new CancellationTokenSource();
        api.Catalog.FailWith = new OperationCanceledException(cancellation.Token);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => api.Api.HandleAsync(ApiRequest.Create("GET", "/v1/images"), cancellation.Token));
        Assert.Empty(api.Errors);
    }

    [Fact]
    public async Task Handle_ClientErrors_AreNotReportedAsFailures()
    {
        var api = new ApiHarness();

        await api.GetAsync($"/v1/images/{SomeId}");
        await api.GetAsync("/v1/images?limit=x");
        await api.PostJsonAsync("/v1/uploads", "{");

        Assert.Empty(api.Errors);
    }

    [Fact]
    public async Task Handle_EveryResponse_CarriesNoStoreAndNoSniff()
    {
        var api = new ApiHarness();
        var id = ApiHarness.IdOf(api.Ready());
        var responses = new[]
        {
            await api.GetAsync("/v1/health"),
            await api.GetAsync("/v1/images"),
            await api.GetAsync($"/v1/images/{id}"),
            await api.GetAsync($"/v1/images/{id}/thumbnail"),
            await api.GetAsync("/nope"),
            await api.SendAsync("DELETE", $"/v1/images/{id}"),
            await api.PostJsonAsync("/v1/uploads", """{"fileName":"a.png","contentType":"image/png","contentLength":1}"""),
        };

        Assert.All(responses, r => Assert.Equal(("no-store", "nosniff"), (r.Headers["Cache-Control"], r.Headers["X-Content-Type-Options"])));
    }

    [Fact]
    public async Task Handle_HeaderNamesInAnyCase_AreFound()
    {
        var api = new ApiHarness();
        var request = new ApiRequest(
            "POST",
            "/v1/uploads",
            ApiRequest.None,
            new Dictionary<string, string> { ["CONTENT-TYPE"] = "text/plain" },
            Encoding.UTF8.GetBytes("{}"));

        var response = await api.Api.HandleAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(415, response.Status);
    }
}
