using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using ImagePipeline.Core.Services;
using ImagePipeline.Testing;
using ImagePipeline.Testing.Oidc;

namespace ImagePipeline.Cli.Tests;

/// <summary>
/// A real OpenID Connect provider (npm oidc-provider, users alice and bob) and the REAL local host signing in through
/// it (<c>--auth-authority/--auth-audience/--auth-client-id</c>), for the CLI's sign-in tests. The provider accepts the
/// CLI's redirect on the port the host announces (53682) and on a few other free ports, for tests that pass
/// <c>--callback-port</c>.
/// </summary>
public sealed class SignInHost : IAsyncLifetime
{
    private readonly LocalHostProcess _host = new();
    private OidcProvider? _provider;

    /// <summary>The port <c>GET /v1/config</c> announces (the host always announces the default).</summary>
    public static int AnnouncedPort => SignInDefaults.CliCallbackPort;

    /// <summary>Other ports the provider accepts the CLI's redirect on, one per test that needs its own.</summary>
    public IReadOnlyList<int> ExtraPorts { get; private set; } = [];

    public OidcProvider Provider => _provider ?? throw new InvalidOperationException("Not started.");

    /// <summary><c>http://127.0.0.1:{port}</c>: what <c>--api</c> gets.</summary>
    public string Url => _host.BaseUrl.ToString().TrimEnd('/');

    /// <summary>What the host and the provider printed, for failure messages.</summary>
    public string Output => _host.OutputTail() + Environment.NewLine + "--- oidc-provider ---" + Environment.NewLine + _provider?.Output;

    public static string RedirectUri(int port) => SignInDefaults.CliRedirectUri(port);

    public async ValueTask InitializeAsync()
    {
        ExtraPorts = [.. Enumerable.Range(0, 6).Select(_ => FreePort())];
        _provider = await OidcProvider.StartAsync([RedirectUri(AnnouncedPort), .. ExtraPorts.Select(RedirectUri)]);
        _host.ExtraArguments =
        [
            "--auth-authority", _provider.Issuer.ToString(), "--auth-audience", OidcProvider.Audience, "--auth-client-id", OidcProvider.ClientId,
        ];
        await _host.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        if (_provider is not null)
        {
            await _provider.DisposeAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The sign-in tests share one provider and host, and run one after another (they listen on fixed ports).</summary>
[CollectionDefinition(Name)]
public sealed class SignInCollection : ICollectionFixture<SignInHost>
{
    public const string Name = "sign-in host";
}

/// <summary>
/// A user's own home and config folder for CLI runs (<c>HOME</c> and <c>XDG_CONFIG_HOME</c> set for the child
/// process), so each test has its own token file; deleted on dispose.
/// </summary>
internal sealed class UserConfig : IDisposable
{
    private readonly TempDirectory _home = new();

    public string Home => _home.Path;

    public string ConfigHome => _home.Combine("config");

    /// <summary>The folder the CLI keeps its tokens in.</summary>
    public string Folder => Path.Combine(ConfigHome, "imagepipeline");

    public string TokenFile => Path.Combine(Folder, "tokens.json");

    /// <summary>The child's environment: this home, no display (so no browser), and <paramref name="token"/> as IMAGEPIPELINE_TOKEN or none.</summary>
    public Dictionary<string, string?> Environment(string? token = null) => new()
    {
        ["HOME"] = Home,
        ["XDG_CONFIG_HOME"] = ConfigHome,
        ["IMAGEPIPELINE_TOKEN"] = token,
        ["DISPLAY"] = null,
        ["WAYLAND_DISPLAY"] = null,
    };

    /// <summary>The token file's entry for <paramref name="api"/>.</summary>
    public JsonObject Entry(string api)
    {
        var file = Assert.IsType<JsonObject>(JsonNode.Parse(File.ReadAllText(TokenFile)));
        var apis = Assert.IsType<JsonObject>(file["apis"]);
        return Assert.IsType<JsonObject>(apis[api], exactMatch: false);
    }

    /// <summary>Changes the entry of <paramref name="api"/> in place (the file is rewritten with mode 0600).</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void EditEntry(string api, Action<JsonObject> edit)
    {
        var file = Assert.IsType<JsonObject>(JsonNode.Parse(File.ReadAllText(TokenFile)));
        edit(Assert.IsType<JsonObject>(file["apis"]![api]));
        File.WriteAllText(TokenFile, file.ToJsonString());
        File.SetUnixFileMode(TokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public void Dispose() => _home.Dispose();
}
