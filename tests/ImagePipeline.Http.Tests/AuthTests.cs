using System.Text;
using ImagePipeline.Core.Catalog;

namespace ImagePipeline.Http.Tests;

/// <summary>With sign-in on: the three public routes, 401 problem details everywhere else, and each owner alone.</summary>
public sealed class AuthTests
{
    private static readonly SignInConfig SignIn = new(
        "https://issuer.example", "client-1", ["openid", "profile", "offline_access"], null, "http://localhost:53682/callback");

    private static ApiHarness SignedIn() => new(ownerOf: request => request.CallerSubject, signIn: SignIn);

    public static TheoryData<string, string> PrivateRoutes => new()
    {
        { "POST", "/v1/uploads" },
        { "GET", "/v1/images" },
        { "GET", "/v1/images/0190f0b4-7c5e-7c4e-8a3b-1234567890ab" },
        { "DELETE", "/v1/images/0190f0b4-7c5e-7c4e-8a3b-1234567890ab" },
        { "GET", "/v1/images/0190f0b4-7c5e-7c4e-8a3b-1234567890ab/thumbnail" },
        { "GET", "/v1/images/0190f0b4-7c5e-7c4e-8a3b-1234567890ab/renditions/w640" },
        { "GET", "/v1/images/0190f0b4-7c5e-7c4e-8a3b-1234567890ab/original" },
        { "POST", "/v1/images/0190f0b4-7c5e-7c4e-8a3b-1234567890ab/reprocess" },
    };

    [Theory]
    [MemberData(nameof(PrivateRoutes))]
    public async Task PrivateRoute_WithoutCaller_Answers401ProblemWithABearerChallenge(string method, string path)
    {
        var api = SignedIn();

        var response = await api.SendAsync(method, path, Encoding.UTF8.GetBytes("{}"), new() { ["content-type"] = "application/json" });

        var problem = ApiHarness.AssertProblem(response, 401, ProblemTypes.Unauthorized);
        Assert.Equal("Bearer", response.Headers["WWW-Authenticate"]);
        Assert.Contains("/v1/config", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(api.Catalog.Records);
        Assert.Equal(0, api.Catalog.Lookups);
    }

    [Fact]
    public async Task PrivateRoute_RefusedToken_SaysInvalidToken()
    {
        // The host validated the Authorization header and found no caller in it.
        var api = SignedIn();

        var response = await api.SendAsync("GET", "/v1/images", headers: new() { ["authorization"] = "Bearer not-a-token" });

        ApiHarness.AssertProblem(response, 401, ProblemTypes.Unauthorized);
        Assert.Equal("Bearer error=\"invalid_token\"", response.Headers["WWW-Authenticate"]);
    }

    [Theory]
    [InlineData("/v1/health")]
    [InlineData("/v1/openapi.json")]
    [InlineData("/v1/config")]
    public async Task PublicRoute_WithoutCaller_Answers200(string path)
    {
        var response = await SignedIn().GetAsync(path);

        Assert.Equal(200, response.Status);
    }

    [Fact]
    public async Task Config_SignInOn_DescribesTheIssuerAndClient()
    {
        var response = await SignedIn().GetAsync("/v1/config");

        ApiHarness.AssertJson(
            """{"auth":{"authority":"https://issuer.example","clientId":"client-1","scopes":["openid","profile","offline_access"],"logoutUrl":null,"cliRedirectUri":"http://localhost:53682/callback"}}""",
            ApiHarness.Json(response));
    }

    [Fact]
    public async Task Config_Anonymous_AuthIsNull()
    {
        var response = await new ApiHarness().GetAsync("/v1/config");

        ApiHarness.AssertJson("""{"auth":null}""", ApiHarness.Json(response));
    }

    [Fact]
    public async Task EveryImageRoute_AnotherOwnersImage_Is404AndUntouched()
    {
        var api = SignedIn();
        var alices = api.Catalog.Put(api.Ready() with { OwnerId = "alice" });
        var failed = api.Catalog.Put(api.Failed() with { OwnerId = "alice" });
        var id = ApiHarness.IdOf(alices);

        foreach (var (method, path) in new[]
        {
            ("GET", $"/v1/images/{id}"), ("GET", $"/v1/images/{id}/thumbnail"), ("GET", $"/v1/images/{id}/renditions/w640"),
            ("GET", $"/v1/images/{id}/original"), ("DELETE", $"/v1/images/{id}"), ("POST", $"/v1/images/{ApiHarness.IdOf(failed)}/reprocess"),
        })
        {
            var response = await api.SendAsync(method, path, Encoding.UTF8.GetBytes("{}"), new() { ["content-type"] = "application/json" }, caller: "bob");
            ApiHarness.AssertProblem(response, 404, ProblemTypes.NotFound);
        }

        var bobsList = ApiHarness.Json(await api.SendAsync("GET", "/v1/images", caller: "bob"));
        Assert.Equal(0, bobsList.GetProperty("items").GetArrayLength());
        Assert.Equal(2, ApiHarness.Json(await api.SendAsync("GET", "/v1/images", caller: "alice")).GetProperty("items").GetArrayLength());
        Assert.Null(api.Catalog.Find(alices.Id)!.DeletedAt);
        Assert.Equal(StageState.Failed, api.Catalog.Find(failed.Id)!.ResizeState);
        Assert.Empty(api.Queue.Sent);
    }

    [Fact]
    public async Task Upload_SignedIn_RecordsTheCallerAsOwner()
    {
        var api = SignedIn();

        var response = await api.SendAsync(
            "POST", "/v1/uploads", Encoding.UTF8.GetBytes("""{"fileName":"a.jpg","contentType":"image/jpeg","contentLength":10}"""),
            new() { ["content-type"] = "application/json" }, caller: "alice");

        Assert.Equal(201, response.Status);
        Assert.Equal("alice", Assert.Single(api.Catalog.Records).OwnerId);
    }
}
