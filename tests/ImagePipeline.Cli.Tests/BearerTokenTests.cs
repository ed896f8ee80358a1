using ImagePipeline.Testing;

namespace ImagePipeline.Cli.Tests;

/// <summary>
/// Where the bearer token goes and what a gateway's 401 becomes, against fake servers that record every request: the
/// token reaches the API's own routes, never the presigned object URLs the API hands out (S3, another host, or even
/// the API's own host), and the API Gateway authorizer's <c>{"message":"Unauthorized"}</c> ends like a problem does.
/// </summary>
[Trait("Category", "Integration")]
public sealed class BearerTokenTests
{
    private const string Id = "0198a5c2-7f3e-7d40-9a1b-3c4d5e6f7a8b";
    private const string Token = "test-token-0123456789";

    [Theory(Timeout = 60_000)]
    [InlineData("another host")]
    [InlineData("the API's own host")]
    public async Task Download_SendsTheTokenToTheApi_ButNotToThePresignedUrl(string where)
    {
        await using var storage = new FakeHttpServer(_ => new FakeResponse(200, "original bytes", "image/jpeg"));
        FakeHttpServer? api = null;
        api = new FakeHttpServer(request => request.Target.StartsWith("/v1/", StringComparison.Ordinal)
            ? new FakeResponse(302, "", Headers: new Dictionary<string, string>
            {
                // "localhost" is another host name than the API's 127.0.0.1, even on the same machine.
                ["Location"] = where == "another host"
                    ? $"http://localhost:{storage.Port}/bucket/originals/{Id}?X-Amz-Signature=abc"
                    : $"/objects/originals/{Id}?sig=abc",
            })
            : new FakeResponse(200, "original bytes", "image/jpeg"));
        await using var _ = api;
        using var temp = new TempDirectory();
        var file = temp.Combine("photo.jpg");

        var run = await CliRunner.RunAsync(
            ["download", Id, "--rendition", "original", "-o", file, "--api", api.Url],
            new Dictionary<string, string?> { ["IMAGEPIPELINE_TOKEN"] = Token });

        run.AssertExitCode(0);
        Assert.Equal("original bytes", await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken));
        var apiCall = Assert.Single(api.Requests, r => r.Target.StartsWith("/v1/", StringComparison.Ordinal));
        Assert.Equal("Bearer " + Token, apiCall.Headers.GetValueOrDefault("authorization"));
        var objectCall = Assert.Single(where == "another host" ? storage.Requests : api.Requests.Where(r => r.Target.StartsWith("/objects/", StringComparison.Ordinal)));
        Assert.False(objectCall.Headers.ContainsKey("authorization"), "The presigned URL got the bearer token.");
    }

    [Fact(Timeout = 60_000)]
    public async Task Upload_SendsTheTokenToTheApi_ButNotToThePresignedPut()
    {
        await using var storage = new FakeHttpServer(_ => new FakeResponse(200));
        await using var api = new FakeHttpServer(request => request.Target == "/v1/uploads"
            ? new FakeResponse(201, $$$"""{"imageId":"{{{Id}}}","upload":{"url":"http://localhost:{{{storage.Port}}}/bucket/originals/{{{Id}}}?X-Amz-Signature=abc","method":"PUT","headers":{"Content-Type":"image/png","If-None-Match":"*"},"expiresAt":"2030-01-01T00:00:00Z"}}""")
            : new FakeResponse(404));

        var run = await CliRunner.RunAsync(
            ["upload", Samples.PathOf("alpha.png"), "--api", api.Url],
            new Dictionary<string, string?> { ["IMAGEPIPELINE_TOKEN"] = Token });

        run.AssertExitCode(0);
        Assert.Equal("Bearer " + Token, Assert.Single(api.Requests).Headers.GetValueOrDefault("authorization"));
        var put = Assert.Single(storage.Requests);
        Assert.Equal("PUT", put.Method);
        Assert.False(put.Headers.ContainsKey("authorization"), "The presigned PUT got the bearer token.");
    }

    [Fact(Timeout = 60_000)]
    public async Task Watch_SignInRefusedAtALaterRefresh_EndsWithExitOneAndTheLoginHint()
    {
        var calls = 0;
        await using var api = new FakeHttpServer(_ => Interlocked.Increment(ref calls) == 1
            ? new FakeResponse(200, """{"items":[],"nextCursor":null}""")
            : new FakeResponse(401, """{"message":"Unauthorized"}"""));

        var run = await CliRunner.RunAsync(["watch", "--interval", "200ms", "--api", api.Url], new Dictionary<string, string?> { ["IMAGEPIPELINE_TOKEN"] = Token }, TimeSpan.FromSeconds(30));

        run.AssertExitCode(1);
        Assert.Contains("0 image(s) at " + api.Url, run.Stdout, StringComparison.Ordinal);
        Assert.Contains($"imagepipeline watch: the API at {api.Url} refused the token in IMAGEPIPELINE_TOKEN (401 Unauthorized)", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("run imagepipeline login", run.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task SavedSignIn_ExpiredAndTheIssuerUnreachable_ExitsOneSayingTheRenewalFailed()
    {
        await using var api = new FakeHttpServer(request => request.Headers.ContainsKey("authorization")
            ? new FakeResponse(200, """{"items":[],"nextCursor":null}""")
            : new FakeResponse(401, """{"message":"Unauthorized"}"""));
        using var home = new UserConfig();
        var past = DateTimeOffset.UtcNow.AddMinutes(-5);
        await new ImagePipeline.Cli.SignIn.TokenStore(home.Folder).SaveAsync(
            api.Url, new("http://127.0.0.1:9", "client", "openid", "alice", "expired-token", past, "refresh-token", past), TestContext.Current.CancellationToken);

        var run = await CliRunner.RunAsync(["list", "--api", api.Url], home.Environment());

        run.AssertExitCode(1);
        Assert.Contains("renewing the saved sign-in", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("run imagepipeline login", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled", run.Stderr, StringComparison.Ordinal);
        // The expired token is not sent.
        Assert.False(Assert.Single(api.Requests).Headers.ContainsKey("authorization"));
    }

    [Theory(Timeout = 60_000)]
    [InlineData("gateway", """{"message":"Unauthorized"}""", "application/json", "401 Unauthorized")]
    [InlineData("problem", """{"type":"about:blank","title":"Unauthorized","status":401,"detail":"The access token was not accepted."}""", "application/problem+json", "401 Unauthorized: The access token was not accepted")]
    [InlineData("empty", "", "text/plain", "401 Unauthorized")]
    public async Task List_401FromTheApiOrItsGateway_ExitsOneWithTheLoginHint(string shape, string body, string contentType, string reason)
    {
        await using var api = new FakeHttpServer(_ => new FakeResponse(401, body, contentType, new Dictionary<string, string> { ["WWW-Authenticate"] = "Bearer" }));
        using var home = new UserConfig();

        var run = await CliRunner.RunAsync(["list", "--api", api.Url], home.Environment());

        run.AssertExitCode(1);
        Assert.Empty(run.Stdout);
        Assert.True(
            run.Stderr.Contains($"imagepipeline list: the API at {api.Url} needs sign-in ({reason}): run imagepipeline login --api {api.Url}.", StringComparison.Ordinal),
            $"{shape}: unexpected message.{Environment.NewLine}{run}");
        // No token to send: the request went without one.
        Assert.False(Assert.Single(api.Requests).Headers.ContainsKey("authorization"));
    }
}
