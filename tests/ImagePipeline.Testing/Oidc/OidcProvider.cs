using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Duende.IdentityModel.OidcClient;
using Duende.IdentityModel.OidcClient.Browser;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ImagePipeline.Testing.Oidc;

/// <summary>
/// A real OpenID Connect provider (npm <c>oidc-provider</c>) as a child process on a free loopback port: a public PKCE
/// client, the users <c>alice</c> and <c>bob</c> (any password), JWT access tokens for <see cref="Audience"/>. It signs
/// with a key this fixture made, so tests can also mint tokens the provider never issued (expired, another audience or
/// issuer) and tokens signed by another key.
/// </summary>
public sealed partial class OidcProvider : IAsyncDisposable
{
    public const string ClientId = "imagepipeline-tests";
    public const string Audience = "https://api.imagepipeline.test";

    private readonly Process _process;
    private readonly string _keyFile;
    private readonly StringBuilder _output = new();

    private OidcProvider(Process process, Uri issuer, RsaSecurityKey key, string keyFile)
    {
        _process = process;
        Issuer = issuer;
        SigningKey = key;
        _keyFile = keyFile;
    }

    /// <summary>The issuer, <c>http://127.0.0.1:{port}</c> (no trailing slash).</summary>
    public Uri Issuer { get; }

    /// <summary>The provider's own signing key.</summary>
    public RsaSecurityKey SigningKey { get; }

    /// <summary>What the provider printed.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the provider with <paramref name="redirectUris"/> registered for the client.</summary>
    public static async Task<OidcProvider> StartAsync(IEnumerable<string> redirectUris, CancellationToken cancellationToken = default)
    {
        var rsa = RSA.Create(2048);
        var key = new RsaSecurityKey(rsa) { KeyId = "tests-" + Guid.NewGuid().ToString("N")[..8] };
        var keyFile = Path.Combine(Path.GetTempPath(), $"imagepipeline-oidc-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(keyFile, PrivateJwk(rsa, key.KeyId), cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var port = FreePort();
        var issuer = new Uri($"http://127.0.0.1:{port}");
        var script = Path.Combine(RepositoryRoot.Find(), "tests", "ImagePipeline.Testing", "Oidc", "provider.mjs");
        var start = new ProcessStartInfo("node")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(script)!,
        };
        start.ArgumentList.Add(script);
        start.Environment["OIDC_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["OIDC_CLIENT_ID"] = ClientId;
        start.Environment["OIDC_AUDIENCE"] = Audience;
        start.Environment["OIDC_REDIRECT_URIS"] = string.Join(' ', redirectUris);
        start.Environment["OIDC_KEY_FILE"] = keyFile;
        start.Environment["NODE_ENV"] = "test";
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node.");
        var provider = new OidcProvider(process, issuer, key, keyFile);
        process.OutputDataReceived += (_, e) => provider.Append(e.Data);
        process.ErrorDataReceived += (_, e) => provider.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                await provider.DisposeAsync();
                throw new InvalidOperationException($"oidc-provider exited with {process.ExitCode}: {provider.Output}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(issuer, "/.well-known/openid-configuration"), cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return provider;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Not listening yet.
            }

            if (stopwatch.Elapsed > TimeSpan.FromSeconds(20))
            {
                await provider.DisposeAsync();
                throw new TimeoutException($"oidc-provider did not answer within 20 s: {provider.Output}");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>
    /// Signs <paramref name="user"/> in through the provider's real login page with the authorization-code flow and
    /// PKCE (Duende's OidcClient, its browser played by HTTP requests that fill in the form); the result holds the
    /// access and refresh tokens.
    /// </summary>
    public async Task<LoginResult> SignInAsync(string user, string redirectUri, string scope = "openid profile offline_access", CancellationToken cancellationToken = default)
    {
        var client = new OidcClient(new OidcClientOptions
        {
            Authority = Issuer.ToString().TrimEnd('/'),
            ClientId = ClientId,
            RedirectUri = redirectUri,
            Scope = scope,
            Browser = new FormFillingBrowser(user),
            // The access token is for the API (resource indicators), not for the userinfo endpoint; the ID token has the name.
            LoadProfile = false,
            Policy = new Policy { Discovery = new Duende.IdentityModel.Client.DiscoveryPolicy { RequireHttps = false } },
        });
        var result = await client.LoginAsync(new LoginRequest(), cancellationToken);
        return result.IsError ? throw new InvalidOperationException($"Sign-in of {user} failed: {result.Error} {result.ErrorDescription}\n{Output}") : result;
    }

    /// <summary>
    /// A token made here with the provider's key (or <paramref name="key"/>): by default exactly what the provider
    /// issues for <paramref name="subject"/>, valid for ten minutes.
    /// </summary>
    public string MintAccessToken(
        string subject, string? audience = Audience, string? issuer = null, DateTime? expires = null, SecurityKey? key = null,
        IDictionary<string, object>? claims = null)
    {
        var now = DateTime.UtcNow;
        var notBefore = expires is { } e && e < now ? e.AddMinutes(-10) : now.AddSeconds(-5);
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer.ToString().TrimEnd('/'),
            Audience = audience,
            IssuedAt = notBefore,
            NotBefore = notBefore,
            Expires = expires ?? now.AddMinutes(10),
            Subject = new ClaimsIdentity([new Claim("sub", subject)]),
            Claims = claims ?? new Dictionary<string, object> { ["client_id"] = ClientId, ["scope"] = "api" },
            SigningCredentials = new SigningCredentials(key ?? SigningKey, SecurityAlgorithms.RsaSha256),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>A key the provider does not know.</summary>
    public static RsaSecurityKey ForeignKey() => new(RSA.Create(2048)) { KeyId = "foreign" };

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }

        _process.Dispose();
        File.Delete(_keyFile);
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private static string PrivateJwk(RSA rsa, string kid)
    {
        var p = rsa.ExportParameters(includePrivateParameters: true);
        static string B(byte[]? bytes) => Base64UrlEncoder.Encode(bytes);
        return JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["kty"] = "RSA", ["kid"] = kid, ["use"] = "sig", ["alg"] = "RS256",
            ["n"] = B(p.Modulus), ["e"] = B(p.Exponent), ["d"] = B(p.D), ["p"] = B(p.P), ["q"] = B(p.Q),
            ["dp"] = B(p.DP), ["dq"] = B(p.DQ), ["qi"] = B(p.InverseQ),
        });
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Plays the browser: follows redirects, fills in the provider's login form, stops at the redirect URI.</summary>
    private sealed partial class FormFillingBrowser(string user) : IBrowser
    {
        public async Task<BrowserResult> InvokeAsync(BrowserOptions options, CancellationToken cancellationToken = default)
        {
            using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() });
            var url = new Uri(options.StartUrl);
            HttpContent? form = null;
            for (var step = 0; step < 20; step++)
            {
                using var response = form is null ? await http.GetAsync(url, cancellationToken) : await http.PostAsync(url, form, cancellationToken);
                form = null;
                if (response.Headers.Location is { } location)
                {
                    var next = location.IsAbsoluteUri ? location : new Uri(url, location);
                    if (next.ToString().StartsWith(options.EndUrl, StringComparison.Ordinal))
                    {
                        return new BrowserResult { ResultType = BrowserResultType.Success, Response = next.ToString() };
                    }

                    url = next;
                    continue;
                }

                var html = await response.Content.ReadAsStringAsync(cancellationToken);
                if (FormAction().Match(html) is not { Success: true } action)
                {
                    return new BrowserResult { ResultType = BrowserResultType.UnknownError, Error = $"{(int)response.StatusCode} without a form: {html}" };
                }

                var fields = HiddenInput().Matches(html).ToDictionary(m => m.Groups[1].Value, m => WebUtility.HtmlDecode(m.Groups[2].Value));
                if (html.Contains("name=\"login\"", StringComparison.Ordinal))
                {
                    fields["login"] = user;
                    fields["password"] = "any";
                }

                url = new Uri(url, WebUtility.HtmlDecode(action.Groups[1].Value));
                form = new FormUrlEncodedContent(fields);
            }

            return new BrowserResult { ResultType = BrowserResultType.UnknownError, Error = "Too many steps." };
        }

        [GeneratedRegex("<form[^>]*action=\"([^\"]+)\"", RegexOptions.IgnoreCase)]
        private static partial Regex FormAction();

        [GeneratedRegex("<input[^>]*type=\"hidden\"[^>]*name=\"([^\"]+)\"[^>]*value=\"([^\"]*)\"", RegexOptions.IgnoreCase)]
        private static partial Regex HiddenInput();
    }
}
