using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ImagePipeline.Testing.Oidc;
using Microsoft.IdentityModel.JsonWebTokens;
using static ImagePipeline.Cli.Tests.ClientChecks;
using static ImagePipeline.Cli.Tests.OutputChecks;

namespace ImagePipeline.Cli.Tests;

/// <summary>
/// <c>login</c>, <c>logout</c>, <c>IMAGEPIPELINE_TOKEN</c> and the token cache against a real OpenID Connect provider
/// and the real local host signing in through it (<see cref="SignInHost"/>). The CLI's printed sign-in address is
/// driven through the provider's login page over HTTP (<see cref="LoginFormDriver"/>, the user's browser), and the
/// provider's redirect is delivered to the CLI's own loopback listener.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[Collection(SignInCollection.Name)]
[Trait("Category", "Integration")]
public sealed class SignInTests(SignInHost host)
{
    private const string LoginHint = "run imagepipeline login";
    private static readonly TimeSpan AddressTimeout = TimeSpan.FromSeconds(30);
    private static readonly string[] ApiCommands = ["list", "show", "download", "delete", "watch", "reprocess", "upload"];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact(Timeout = 240_000)]
    public async Task Login_OnTheAnnouncedPort_ThenAliceUploadsAndListsHerImages_AndBobSeesNone()
    {
        using var alice = new UserConfig();
        var login = await LoginAsync(alice, "alice", port: null, deliverTo: "localhost");

        // No display: the address is printed for the user to open.
        Assert.Contains("open this address in a browser", login.Stderr, StringComparison.Ordinal);
        Assert.Contains($"Signed in to {host.Url} as Alice.", login.Stdout, StringComparison.Ordinal);
        Assert.Contains(alice.TokenFile, login.Stderr, StringComparison.Ordinal);
        var entry = alice.Entry(host.Url);
        Assert.Equal("alice", new JsonWebToken(Text(entry, "accessToken")).Subject);
        Assert.Equal(host.Provider.Issuer.ToString().TrimEnd('/'), Text(entry, "authority"));
        Assert.Equal(OidcProvider.ClientId, Text(entry, "clientId"));
        // The provider issues a refresh token (offline_access is granted): the CLI keeps it.
        Assert.False(string.IsNullOrEmpty(entry["refreshToken"]?.GetValue<string>()), "The provider gave no refresh token: " + entry.ToJsonString());
        AssertOwnerOnly(alice);

        var upload = await CliRunner.RunAsync(["upload", Samples.PathOf("camera-gps.jpg"), "--api", host.Url, "--wait", "--json"], alice.Environment());
        upload.AssertExitCode(0);
        var id = Text(Assert.Single(UploadOutcomesByName(upload)).Value, "imageId");

        var list = (await CliRunner.RunAsync(["list", "--api", host.Url, "--json"], alice.Environment())).AssertExitCode(0);
        Assert.Contains(id, Ids(list));

        var thumbnail = Path.Combine(alice.Home, "thumb.webp");
        (await CliRunner.RunAsync(["download", id, "--rendition", "thumbnail", "-o", thumbnail, "--api", host.Url], alice.Environment())).AssertExitCode(0);
        Assert.True(new FileInfo(thumbnail).Length > 0);

        // bob signs in through the provider too (his redirect delivered on 127.0.0.1), and sees none of alice's images.
        using var bob = new UserConfig();
        var bobLogin = await LoginAsync(bob, "bob", port: host.ExtraPorts[0], deliverTo: "127.0.0.1");
        Assert.Contains("as Bob.", bobLogin.Stdout, StringComparison.Ordinal);
        var bobsList = (await CliRunner.RunAsync(["list", "--api", host.Url, "--json"], bob.Environment())).AssertExitCode(0);
        Assert.Empty(Ids(bobsList));
        var bobsShow = await CliRunner.RunAsync(["show", id, "--api", host.Url], bob.Environment());
        bobsShow.AssertExitCode(2);
        Assert.Contains("404", bobsShow.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task EnvironmentToken_WithoutLogin_UploadsAndListsAsItsSubject_AndTheTokenFileIsNotTouched()
    {
        using var config = new UserConfig();
        var environment = config.Environment(host.Provider.MintAccessToken("carol"));

        var upload = await CliRunner.RunAsync(["upload", Samples.PathOf("alpha.png"), "--api", host.Url, "--wait", "--json"], environment);
        upload.AssertExitCode(0);
        var id = Text(Assert.Single(UploadOutcomesByName(upload)).Value, "imageId");
        var list = (await CliRunner.RunAsync(["list", "--api", host.Url, "--json"], environment)).AssertExitCode(0);
        Assert.Equal([id], Ids(list));
        Assert.False(Directory.Exists(config.Folder), "IMAGEPIPELINE_TOKEN must not create or change the token file.");
    }

    [Theory(Timeout = 60_000)]
    [InlineData("expired")]
    [InlineData("foreign key")]
    [InlineData("other audience")]
    [InlineData("other issuer")]
    [InlineData("not a JWT")]
    public async Task EnvironmentToken_TheApiRefuses_ExitsOneWithTheLoginHint(string kind)
    {
        var token = kind switch
        {
            "expired" => host.Provider.MintAccessToken("alice", expires: DateTime.UtcNow.AddMinutes(-5)),
            "foreign key" => host.Provider.MintAccessToken("alice", key: OidcProvider.ForeignKey()),
            "other audience" => host.Provider.MintAccessToken("alice", audience: "https://other.example"),
            "other issuer" => host.Provider.MintAccessToken("alice", issuer: "https://issuer.example"),
            _ => "not-a-jwt",
        };
        using var config = new UserConfig();

        var run = await CliRunner.RunAsync(["list", "--api", host.Url], config.Environment(token));

        run.AssertExitCode(1);
        Assert.Contains("401", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("IMAGEPIPELINE_TOKEN", run.Stderr, StringComparison.Ordinal);
        Assert.Contains(LoginHint, run.Stderr, StringComparison.Ordinal);
        Assert.Empty(run.Stdout);
    }

    [Fact(Timeout = 120_000)]
    public async Task EveryApiCommand_WithoutSignIn_ExitsOneWithTheLoginHint()
    {
        using var config = new UserConfig();
        const string id = "0198a5c2-7f3e-7d40-9a1b-3c4d5e6f7a8b";
        foreach (var command in ApiCommands)
        {
            string[] arguments = command switch
            {
                "list" or "watch" => [command],
                "upload" => [command, Samples.PathOf("alpha.png"), "--wait"],
                "download" => [command, id, "-o", Path.Combine(config.Home, "x.webp")],
                _ => [command, id],
            };

            var run = await CliRunner.RunAsync([.. arguments, "--api", host.Url], config.Environment());

            run.AssertExitCode(1);
            Assert.True(run.Stderr.Contains($"{LoginHint} --api {host.Url}", StringComparison.Ordinal), $"No login hint.{Environment.NewLine}{run}");
            Assert.Contains("401", run.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact(Timeout = 180_000)]
    public async Task SavedSignIn_ExpiredAccessToken_IsRenewedWithTheRefreshToken_AlsoWhenTheApiRefusesIt_AndByOneOfManyClis()
    {
        using var alice = new UserConfig();
        await LoginAsync(alice, "alice", port: host.ExtraPorts[1]);
        var first = alice.Entry(host.Url);

        // Expired: the next command renews it with the refresh token before sending it.
        var expired = host.Provider.MintAccessToken("alice", expires: DateTime.UtcNow.AddMinutes(-5));
        alice.EditEntry(host.Url, e =>
        {
            e["accessToken"] = expired;
            e["expiresAt"] = DateTimeOffset.UtcNow.AddMinutes(-5).ToString("O");
        });
        (await CliRunner.RunAsync(["list", "--api", host.Url, "--json"], alice.Environment())).AssertExitCode(0);
        var renewed = alice.Entry(host.Url);
        Assert.NotEqual(expired, Text(renewed, "accessToken"));
        Assert.NotEqual(Text(first, "accessToken"), Text(renewed, "accessToken"));
        Assert.Equal("alice", new JsonWebToken(Text(renewed, "accessToken")).Subject);
        Assert.True(DateTimeOffset.Parse(Text(renewed, "expiresAt"), System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow.AddMinutes(5));
        // oidc-provider rotates a public client's refresh token: the new one is kept.
        Assert.NotEqual(Text(first, "refreshToken"), Text(renewed, "refreshToken"));
        AssertOwnerOnly(alice);

        // Not expired by its date, but refused by the API (another key): renewed once, and the command goes on.
        var refused = host.Provider.MintAccessToken("alice", key: OidcProvider.ForeignKey());
        alice.EditEntry(host.Url, e => e["accessToken"] = refused);
        (await CliRunner.RunAsync(["list", "--api", host.Url, "--json"], alice.Environment())).AssertExitCode(0);
        Assert.NotEqual(refused, Text(alice.Entry(host.Url), "accessToken"));

        // Five CLIs at once find it expired: one renews under the token file's lock, the others take its tokens (a
        // refresh token used twice would be refused, and the provider would revoke the grant).
        alice.EditEntry(host.Url, e => e["expiresAt"] = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O"));
        var runs = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => CliRunner.RunAsync(["list", "--api", host.Url, "--json"], alice.Environment())));
        foreach (var run in runs)
        {
            run.AssertExitCode(0);
        }

        // The saved tokens still work after all that.
        (await CliRunner.RunAsync(["list", "--api", host.Url, "--json"], alice.Environment())).AssertExitCode(0);
        AssertOwnerOnly(alice);
    }

    [Fact(Timeout = 120_000)]
    public async Task SavedSignIn_ExpiredWithoutRefreshToken_OrRefreshRefused_ExitsOneWithTheLoginHint()
    {
        using var alice = new UserConfig();
        await LoginAsync(alice, "alice", port: host.ExtraPorts[2], deliverTo: "[::1]");

        alice.EditEntry(host.Url, e =>
        {
            e["accessToken"] = host.Provider.MintAccessToken("alice", expires: DateTime.UtcNow.AddMinutes(-5));
            e["expiresAt"] = DateTimeOffset.UtcNow.AddMinutes(-5).ToString("O");
            e["refreshToken"] = "not-a-refresh-token";
        });
        var refused = await CliRunner.RunAsync(["list", "--api", host.Url], alice.Environment());
        refused.AssertExitCode(1);
        Assert.Contains("renewing the saved sign-in as Alice", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("invalid_grant", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains(LoginHint, refused.Stderr, StringComparison.Ordinal);

        alice.EditEntry(host.Url, e => e.Remove("refreshToken"));
        var upload = await CliRunner.RunAsync(["upload", Samples.PathOf("alpha.png"), "--api", host.Url], alice.Environment());
        upload.AssertExitCode(1);
        Assert.Contains("expired at", upload.Stderr, StringComparison.Ordinal);
        Assert.Contains("no refresh token", upload.Stderr, StringComparison.Ordinal);
        Assert.Contains(LoginHint, upload.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Logout_RemovesOnlyThatApisTokens_AndSaysSo()
    {
        using var alice = new UserConfig();
        await LoginAsync(alice, "alice", port: host.ExtraPorts[3]);
        // Another deployment's entry, which must survive.
        var file = JsonNode.Parse(File.ReadAllText(alice.TokenFile))!;
        file["apis"]!["https://other.example"] = alice.Entry(host.Url).DeepClone();
        File.WriteAllText(alice.TokenFile, file.ToJsonString());

        var logout = (await CliRunner.RunAsync(["logout", "--api", host.Url], alice.Environment())).AssertExitCode(0);
        Assert.Contains($"Signed out of {host.Url}: removed the saved tokens of Alice", logout.Stdout, StringComparison.Ordinal);
        var apis = JsonNode.Parse(File.ReadAllText(alice.TokenFile))!["apis"]!.AsObject();
        Assert.Equal(["https://other.example"], apis.Select(a => a.Key));
        AssertOwnerOnly(alice);

        var list = await CliRunner.RunAsync(["list", "--api", host.Url], alice.Environment());
        list.AssertExitCode(1);
        Assert.Contains(LoginHint, list.Stderr, StringComparison.Ordinal);

        var again = (await CliRunner.RunAsync(["logout", "--api", host.Url], alice.Environment())).AssertExitCode(0);
        Assert.Contains($"Not signed in to {host.Url}", again.Stdout, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Login_OtherRequestsToTheListener_AreRefusedAndIgnored_ThenTheRealRedirectCompletes()
    {
        using var alice = new UserConfig();
        var port = host.ExtraPorts[4];
        await using var cli = RunningCli.Start(["login", "--api", host.Url, "--callback-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--no-browser"], alice.Environment());
        var address = await AddressAsync(cli);

        using var http = new HttpClient();
        using (var favicon = await http.GetAsync($"http://127.0.0.1:{port}/favicon.ico", Cancel))
        {
            Assert.Equal(HttpStatusCode.NotFound, favicon.StatusCode);
        }

        using (var forged = await http.GetAsync($"http://127.0.0.1:{port}/callback?code=forged&state=forged", Cancel))
        {
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        }

        // A connection that never sends anything must not hold the listener up.
        using var idle = new TcpClient();
        await idle.ConnectAsync(IPAddress.Loopback, port, Cancel);

        var redirect = await LoginFormDriver.SignInAsync(address, "alice", SignInHost.RedirectUri(port), Cancel);
        await DeliverAsync(redirect, "localhost");
        var run = await cli.WaitForExitAsync();
        run.AssertExitCode(0);
        Assert.Contains("as Alice", run.Stdout, StringComparison.Ordinal);

        // At once again on the same port: the connections just closed (in TIME_WAIT) do not keep it busy.
        var again = await CliRunner.RunAsync(
            ["login", "--api", host.Url, "--callback-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--timeout", "1s"], alice.Environment());
        again.AssertExitCode(1);
        Assert.Contains("no sign-in arrived within 1s", again.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Login_WithADisplay_OpensTheAddressWithXdgOpen_AndStillPrintsIt()
    {
        using var alice = new UserConfig();
        var port = host.ExtraPorts[3];
        // A stand-in xdg-open that notes the address it was asked to open.
        var bin = Directory.CreateDirectory(Path.Combine(alice.Home, "bin")).FullName;
        var opened = Path.Combine(alice.Home, "opened.txt");
        var xdgOpen = Path.Combine(bin, "xdg-open");
        await File.WriteAllTextAsync(xdgOpen, $"#!/bin/sh\nprintf '%s' \"$1\" > '{opened}'\n", Cancel);
        File.SetUnixFileMode(xdgOpen, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var environment = alice.Environment();
        environment["DISPLAY"] = ":99";
        environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");

        await using var cli = RunningCli.Start(["login", "--api", host.Url, "--callback-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)], environment);
        var address = await AddressAsync(cli);

        Assert.Contains("in the browser that opened", cli.Stderr, StringComparison.Ordinal);
        Assert.Equal(address.OriginalString, await File.ReadAllTextAsync(opened, Cancel));
        await DeliverAsync(await LoginFormDriver.SignInAsync(address, "alice", SignInHost.RedirectUri(port), Cancel), "localhost");
        (await cli.WaitForExitAsync()).AssertExitCode(0);
    }

    [Fact(Timeout = 60_000)]
    public async Task Login_NoSignInWithinTimeout_ExitsOne()
    {
        using var config = new UserConfig();
        var run = await CliRunner.RunAsync(
            ["login", "--api", host.Url, "--callback-port", host.ExtraPorts[5].ToString(System.Globalization.CultureInfo.InvariantCulture), "--timeout", "2s"],
            config.Environment());

        run.AssertExitCode(1);
        Assert.Contains("  " + host.Provider.Issuer, run.Stderr, StringComparison.Ordinal);
        Assert.Contains("no sign-in arrived within 2s", run.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(config.TokenFile));
    }

    [Theory(Timeout = 60_000)]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task Login_CallbackPortInUse_ExitsOneAtOnceNamingThePort(string address)
    {
        using var config = new UserConfig();
        var port = host.ExtraPorts[5];
        using var squatter = new Socket(IPAddress.Parse(address).AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            squatter.Bind(new IPEndPoint(IPAddress.Parse(address), port));
            squatter.Listen();
        }
        catch (SocketException e) when (address == "::1" && e.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported)
        {
            Assert.Skip("This machine has no IPv6 loopback.");
        }

        var run = await CliRunner.RunAsync(
            ["login", "--api", host.Url, "--callback-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--timeout", "30s"],
            config.Environment());

        run.AssertExitCode(1);
        Assert.Contains($"cannot receive the sign-in on port {port}: another program is listening on it", run.Stderr, StringComparison.Ordinal);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(20), $"It waited instead of failing at once.{Environment.NewLine}{run}");
        Assert.DoesNotContain("  http", run.Stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// Runs <c>login</c> as <paramref name="user"/>: waits for the printed address, signs in through the provider's
    /// page, delivers the redirect to the CLI's listener at <paramref name="deliverTo"/> (localhost, 127.0.0.1 or
    /// [::1]) as the browser would, and returns the finished run (exit code 0 checked).
    /// </summary>
    private async Task<CliResult> LoginAsync(UserConfig config, string user, int? port, string deliverTo = "localhost")
    {
        List<string> arguments = ["login", "--api", host.Url];
        if (port is { } p)
        {
            arguments.AddRange(["--callback-port", p.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        await using var cli = RunningCli.Start(arguments, config.Environment());
        var address = await AddressAsync(cli);
        var redirect = await LoginFormDriver.SignInAsync(address, user, SignInHost.RedirectUri(port ?? SignInHost.AnnouncedPort), Cancel);
        await DeliverAsync(redirect, deliverTo);
        var run = await cli.WaitForExitAsync();
        Assert.True(run.ExitCode == 0, $"login failed.{Environment.NewLine}{run}{Environment.NewLine}{host.Output}");
        return run;
    }

    private async Task<Uri> AddressAsync(RunningCli cli)
    {
        var issuer = "  " + host.Provider.Issuer.ToString().TrimEnd('/') + "/";
        var line = await cli.WaitForStderrLineAsync(l => l.StartsWith(issuer, StringComparison.Ordinal), AddressTimeout);
        return new Uri(line.Trim(), UriKind.Absolute);
    }

    /// <summary>What the browser does with the provider's redirect: GET it, here from the loopback address given.</summary>
    private static async Task DeliverAsync(Uri redirect, string deliverTo)
    {
        var target = new UriBuilder(redirect) { Host = deliverTo }.Uri;
        using var http = new HttpClient();
        using var response = await http.GetAsync(target, Cancel);
        var page = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{target} answered {(int)response.StatusCode}: {page}");
        Assert.Contains("You are signed in to ImagePipeline", page, StringComparison.Ordinal);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    private static List<string> Ids(CliResult list) =>
        [.. ParseObject(list)["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>())];

    private static void AssertOwnerOnly(UserConfig config)
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(config.TokenFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(config.Folder));
        // Only the file and its lock: no temp file left behind.
        Assert.Equal(["tokens.json", "tokens.lock"], Directory.GetFiles(config.Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
