using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ImagePipeline.Testing.Oidc;

namespace ImagePipeline.Local.Tests;

/// <summary>A real OpenID Connect provider and a local host that signs in through it, shared by a test class.</summary>
public sealed class SignedInHost : IAsyncLifetime
{
    public const string CliRedirect = "http://localhost:53682/callback";
    private OidcProvider? _provider;
    private LocalHost? _host;

    public OidcProvider Provider => _provider!;

    public LocalHost Host => _host!;

    public async ValueTask InitializeAsync()
    {
        _provider = await OidcProvider.StartAsync([CliRedirect]);
        _host = new LocalHost
        {
            ExtraArguments = ["--auth-authority", Provider.Issuer.ToString(), "--auth-audience", OidcProvider.Audience, "--auth-client-id", OidcProvider.ClientId],
        };
        await _host.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_provider is not null)
        {
            await _provider.DisposeAsync();
        }
    }
}

/// <summary>The local host with sign-in through a real OpenID Connect provider: who gets in, and what each one sees.</summary>
[Trait("Category", "Integration")]
public sealed class SignInTests(SignedInHost fixture) : IClassFixture<SignedInHost>
{
    private const string CliRedirect = SignedInHost.CliRedirect;

    private OidcProvider Provider => fixture.Provider;

    private LocalHost Host => fixture.Host;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact(Timeout = 120_000)]
    public async Task SignedInUsers_EachSeesOnlyTheirOwnImages()
    {
        var alice = (await Provider.SignInAsync("alice", CliRedirect, cancellationToken: Cancel)).AccessToken;
        var bob = (await Provider.SignInAsync("bob", CliRedirect, cancellationToken: Cancel)).AccessToken;

        var id = await UploadAsync(alice, TestFiles.Sample("camera-gps.jpg"), "camera-gps.jpg");
        await WaitForReadyAsync(alice, id);

        var alicesList = await GetJsonAsync(alice, "/v1/images");
        Assert.Equal(id, Assert.Single(alicesList.GetProperty("items").EnumerateArray()).GetProperty("id").GetString());
        Assert.Empty((await GetJsonAsync(bob, "/v1/images")).GetProperty("items").EnumerateArray());

        foreach (var (method, path) in new[]
        {
            ("GET", $"/v1/images/{id}"), ("GET", $"/v1/images/{id}/thumbnail"), ("GET", $"/v1/images/{id}/renditions/w320"),
            ("GET", $"/v1/images/{id}/original"), ("POST", $"/v1/images/{id}/reprocess"), ("DELETE", $"/v1/images/{id}"),
        })
        {
            using var response = await SendAsync(bob, method, path);
            await HostClient.AssertProblemAsync(response, HttpStatusCode.NotFound, $"bob: {method} {path}");
        }

        // Still there for its owner.
        Assert.Equal("ready", (await GetJsonAsync(alice, $"/v1/images/{id}")).GetProperty("status").GetString());
    }

    public static TheoryData<string> RefusedTokens => ["none", "garbage", "expired", "foreign key", "wrong audience", "wrong issuer", "id token"];

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(RefusedTokens))]
    public async Task PrivateRoutes_WithoutAValidAccessToken_Answer401Problem(string kind)
    {
        var token = kind switch
        {
            "none" => null,
            "garbage" => "not.a.jwt",
            "expired" => Provider.MintAccessToken("alice", expires: DateTime.UtcNow.AddMinutes(-5)),
            "foreign key" => Provider.MintAccessToken("alice", key: OidcProvider.ForeignKey()),
            "wrong audience" => Provider.MintAccessToken("alice", audience: "https://another.api"),
            "wrong issuer" => Provider.MintAccessToken("alice", issuer: "http://127.0.0.1:1"),
            _ => Provider.MintAccessToken("alice", audience: OidcProvider.Audience, claims: new Dictionary<string, object> { ["token_use"] = "id" }),
        };

        using var response = await SendAsync(token, "GET", "/v1/images");

        var problem = await HostClient.AssertProblemAsync(response, HttpStatusCode.Unauthorized, kind);
        Assert.Equal("https://imagepipeline.dev/problems/unauthorized", problem.GetProperty("type").GetString());
        Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task CognitoShapedAccessToken_NoAudButClientId_IsAccepted()
    {
        // Cognito's access tokens carry client_id instead of aud.
        var token = Provider.MintAccessToken(
            "carol", audience: null, claims: new Dictionary<string, object> { ["client_id"] = OidcProvider.Audience, ["token_use"] = "access" });

        using var response = await SendAsync(token, "GET", "/v1/images");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact(Timeout = 60_000)]
    public async Task PublicRoutes_NeedNoToken_AndConfigSaysHowToSignIn()
    {
        using (var health = await SendAsync(null, "GET", "/v1/health"))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        var config = (await GetJsonAsync(null, "/v1/config")).GetProperty("auth");
        Assert.Equal(Provider.Issuer.ToString().TrimEnd('/'), config.GetProperty("authority").GetString());
        Assert.Equal(OidcProvider.ClientId, config.GetProperty("clientId").GetString());
        Assert.Equal(CliRedirect, config.GetProperty("cliRedirectUri").GetString());
        Assert.Contains("openid", config.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
    }

    private async Task<HttpResponseMessage> SendAsync(string? token, string method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (json is not null || method == "POST")
        {
            request.Content = new StringContent(json ?? "{}", Encoding.UTF8, "application/json");
        }

        return await Host.Http.SendAsync(request, Cancel);
    }

    private async Task<JsonElement> GetJsonAsync(string? token, string path)
    {
        using var response = await SendAsync(token, "GET", path);
        var body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private async Task<string> UploadAsync(string token, byte[] bytes, string fileName)
    {
        using var created = await SendAsync(token, "POST", "/v1/uploads", JsonSerializer.Serialize(new { fileName, contentType = "image/jpeg", contentLength = bytes.Length }));
        var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync(Cancel)).RootElement;
        Assert.True(created.StatusCode == HttpStatusCode.Created, body.ToString());
        var upload = body.GetProperty("upload");
        var headers = upload.GetProperty("headers").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.OrdinalIgnoreCase);
        using var put = await Host.Client.PutAsync(new Uri(upload.GetProperty("url").GetString()!), bytes, headers);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        return body.GetProperty("imageId").GetString()!;
    }

    private async Task WaitForReadyAsync(string token, string id)
    {
        var stopwatch = Stopwatch.StartNew();
        while ((await GetJsonAsync(token, $"/v1/images/{id}")).GetProperty("status").GetString() != "ready")
        {
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(30), Host.OutputTail());
            await Task.Delay(100, Cancel);
        }
    }
}
