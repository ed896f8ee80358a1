using ImagePipeline.Testing;
using ImagePipeline.Testing.Oidc;
using ImagePipeline.TestImages;
using Microsoft.Playwright;

namespace ImagePipeline.Web.Tests;

/// <summary>
/// One real host and one headless Chromium shared by every browser test (they run one after another). Each test opens
/// its own browser context (fresh storage) through <see cref="NewPageAsync(int, int, string, string)"/>. The sign-in tests also get a second
/// host that signs in through a real OpenID Connect provider (<see cref="SignInSiteAsync"/>), started on first use.
/// </summary>
public sealed class WebFixture : IAsyncLifetime
{
    private readonly SemaphoreSlim _signInStart = new(1, 1);
    private SignInSite? _signInSite;
    private LocalHostProcess? _host;
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private string? _missingBrowser;
    private Exception? _startFailure;

    /// <summary>Where screenshots go: artifacts/screenshots under the repository root.</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(RepoRoot.Find(), "artifacts", "screenshots");

    public static string SamplePhoto(string name) => Path.Combine(RepoRoot.Find(), "sample-images", "photos", name);

    public static string SampleBroken(string name) => Path.Combine(RepoRoot.Find(), "sample-images", "broken", name);

    /// <summary>
    /// A 24 MP JPEG cut off at 90 % (made once): <c>corrupt_image</c> like broken-truncated.jpg, but each stage takes a
    /// hundred milliseconds or more to find out, where the small broken samples fail within a few — so an image
    /// reprocessed from the page is still processing when the API answers, and stays so until the page polls it.
    /// </summary>
    public static byte[] SlowCorruptJpeg => SlowCorrupt.Value;

    private static readonly Lazy<byte[]> SlowCorrupt = new(() =>
    {
        var whole = SampleImageSet.LargeJpeg(6000, 4000);
        return whole[..(whole.Length * 9 / 10)];
    });

    internal LocalHostProcess Host => _host ?? throw new InvalidOperationException("The host is not running.");

    public Uri BaseUrl => Host.BaseUrl;

    /// <summary>A client for the API (redirects not followed).</summary>
    public HttpClient Api => Host.Http;

    public async ValueTask InitializeAsync()
    {
        var (executable, missing) = Chromium.Find();
        if (executable is null)
        {
            _missingBrowser = missing;
            return;
        }

        // The expectations wait for processing on a busy 2-core machine; 5 s (Playwright's default) is too tight there.
        Assertions.SetDefaultExpectTimeout(30_000);
        try
        {
            _host = new LocalHostProcess();
            await _host.StartAsync();
            _playwright = await Playwright.CreateAsync();
            _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = executable,
                Headless = true,
                Args = Chromium.Arguments,
                Timeout = 30_000,
            });
        }
        catch (Exception e)
        {
            _startFailure = e;
        }
    }

    /// <summary>
    /// Skips the test when there is no Chromium (fails instead on CI), and fails it when the host or browser did not start.
    /// </summary>
    public void RequireBrowser()
    {
        if (_missingBrowser is not null)
        {
            var message = $"Browser tests need Chromium ({_missingBrowser}): {Chromium.InstallHint} " +
                          $"(or set {Chromium.ExecutableVariable} to a Chrome/Chromium executable).";
            if (Chromium.IsCi)
            {
                Assert.Fail("CI=true, so the browser tests must run. " + message);
            }

            Assert.Skip(message);
        }

        if (_startFailure is not null)
        {
            Assert.Fail($"The browser tests could not start: {_startFailure}{Environment.NewLine}{_host?.OutputTail()}");
        }
    }

    /// <summary>
    /// A new page in a fresh context, watching the console, page errors and CSP violations; the browser's language and
    /// time zone are <paramref name="locale"/> and <paramref name="timezoneId"/>.
    /// </summary>
    public Task<PageSession> NewPageAsync(int width = 1280, int height = 900, string locale = "en-GB", string timezoneId = "UTC") =>
        NewPageAsync(Host, width, height, locale, timezoneId);

    /// <summary>A new page of <paramref name="host"/>'s site in a fresh context (the sign-in site's, for instance).</summary>
    internal async Task<PageSession> NewPageAsync(LocalHostProcess host, int width = 1280, int height = 900, string locale = "en-GB", string timezoneId = "UTC")
    {
        RequireBrowser();
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = host.BaseUrl.ToString().TrimEnd('/'),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            AcceptDownloads = true,
            Locale = locale,
            TimezoneId = timezoneId,
        });
        context.SetDefaultTimeout(30_000);
        // The provider's own pages import a web font from Google; the tests have no Internet (and need no font).
        await context.RouteAsync("https://fonts.googleapis.com/**", route => route.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "text/css", Body = "" }));
        return await PageSession.CreateAsync(context, host);
    }

    /// <summary>
    /// The sign-in site, started on first use: a real OpenID Connect provider (npm oidc-provider, users alice and bob)
    /// with the page's address registered as its redirect URI, and a local host of its own pointed at it.
    /// </summary>
    internal async Task<SignInSite> SignInSiteAsync()
    {
        RequireBrowser();
        await _signInStart.WaitAsync();
        try
        {
            return _signInSite ??= await SignInSite.StartAsync();
        }
        finally
        {
            _signInStart.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_signInSite is not null)
        {
            await _signInSite.DisposeAsync();
        }

        _signInStart.Dispose();
    }
}

/// <summary>A local host that signs in through a real OpenID Connect provider, which knows the page's address.</summary>
internal sealed class SignInSite : IAsyncDisposable
{
    private SignInSite(OidcProvider provider, LocalHostProcess host)
    {
        Provider = provider;
        Host = host;
    }

    public OidcProvider Provider { get; }

    public LocalHostProcess Host { get; }

    /// <summary>The page's address, where the provider sends the browser back (the page's redirect URI): <c>http://127.0.0.1:PORT/</c>.</summary>
    public string PageUrl => Host.BaseUrl.ToString();

    /// <summary>The issuer's origin, <c>http://127.0.0.1:PORT</c>.</summary>
    public string IssuerOrigin => Provider.Issuer.GetLeftPart(UriPartial.Authority);

    public static async Task<SignInSite> StartAsync()
    {
        var host = new LocalHostProcess();
        OidcProvider? provider = null;
        try
        {
            provider = await OidcProvider.StartAsync([host.BaseUrl.ToString()]);
            host.ExtraArguments =
            [
                "--auth-authority", provider.Issuer.ToString(),
                "--auth-audience", OidcProvider.Audience,
                "--auth-client-id", OidcProvider.ClientId,
            ];
            await host.StartAsync();
            return new SignInSite(provider, host);
        }
        catch (Exception e)
        {
            var output = provider?.Output;
            await host.DisposeAsync();
            if (provider is not null)
            {
                await provider.DisposeAsync();
            }

            throw new InvalidOperationException($"The sign-in site did not start: {e.Message}{Environment.NewLine}{host.OutputTail()}{Environment.NewLine}{output}", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Provider.DisposeAsync();
    }
}

/// <summary>The browser tests share one host and one browser, so they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class WebCollection : ICollectionFixture<WebFixture>
{
    public const string Name = "web page";
}
