namespace ImagePipeline.Cli.Tests;

/// <summary>
/// What <c>login</c> makes of a deployment's <c>GET /v1/config</c> when it cannot be used (a fake API serves it): each
/// ends with exit code 1 and a message saying what is wrong, before any browser or listener.
/// </summary>
[Trait("Category", "Integration")]
public sealed class LoginConfigTests
{
    [Theory(Timeout = 60_000)]
    [InlineData("no config route", 404, "", "does not say how to sign in (GET /v1/config: 404")]
    [InlineData("not JSON", 200, "<html></html>", "is not the ImagePipeline API's JSON")]
    [InlineData("issuer down", 200, """{"auth":{"authority":"http://127.0.0.1:9","clientId":"c","scopes":["openid"],"logoutUrl":null,"cliRedirectUri":"http://localhost:53682/callback"}}""", "cannot start the sign-in at the identity provider http://127.0.0.1:9")]
    [InlineData("redirect elsewhere", 200, """{"auth":{"authority":"http://127.0.0.1:9","clientId":"c","scopes":["openid"],"logoutUrl":null,"cliRedirectUri":"https://attacker.example/callback"}}""", "announces a CLI redirect URI that is not http://localhost:PORT/callback")]
    [InlineData("no client", 200, """{"auth":{"authority":"http://127.0.0.1:9","clientId":"","scopes":["openid"],"logoutUrl":null,"cliRedirectUri":null}}""", "without a usable issuer or client id")]
    public async Task Login_UnusableConfig_ExitsOneSayingWhy(string what, int status, string body, string expected)
    {
        await using var api = new FakeHttpServer(_ => new FakeResponse(status, body));
        using var config = new UserConfig();

        // Not the announced port: the sign-in tests listen on that one meanwhile.
        var port = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);

        var run = await CliRunner.RunAsync(["login", "--api", api.Url, "--callback-port", port, "--timeout", "20s"], config.Environment());

        run.AssertExitCode(1);
        Assert.True(run.Stderr.Contains(expected, StringComparison.Ordinal), $"{what}: unexpected message.{Environment.NewLine}{run}");
        Assert.DoesNotContain("  http", run.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(config.Folder));
    }

    [Fact(Timeout = 60_000)]
    public async Task Login_CallbackPortOutOfRange_IsAUsageError()
    {
        var run = await CliRunner.RunAsync(["login", "--callback-port", "70000"]);

        run.AssertExitCode(1);
        Assert.Contains("--callback-port must be between 1 and 65535; got 70000.", run.Stderr, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
