using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImagePipeline.Web.Tests;

/// <summary>
/// The page on a host that signs in, through a real OpenID Connect provider's own login and logout pages (npm
/// oidc-provider; users alice and bob, any password): the authorization-code flow with PKCE, the user's name, bearer
/// calls, per-user galleries, renewal with the refresh token, a 401 sending the user to sign in again, sign-out. And the
/// anonymous page, which shows none of it.
/// </summary>
[Trait("Category", "Integration")]
[Collection(WebCollection.Name)]
public sealed class SignInTests(WebFixture web)
{
    private const string StoredUser = "() => { const key = Object.keys(sessionStorage).find(k => k.startsWith('oidc.user:')); return key ? sessionStorage.getItem(key) : null; }";

    [Fact]
    public async Task Alice_signs_in_uploads_sees_her_photo_and_signs_out_then_bob_signs_in_to_an_empty_gallery()
    {
        var site = await web.SignInSiteAsync();
        await using var session = await web.NewPageAsync(site.Host);
        var page = session.Page;

        // Signed out: an invitation to sign in instead of the upload panel and the gallery; the API's health still shows.
        var response = await session.GotoAsync(waitForGallery: false);
        var csp = await response.HeaderValueAsync("content-security-policy");
        Assert.Contains($"connect-src 'self' {site.IssuerOrigin};", csp, StringComparison.Ordinal);
        Assert.Contains("form-action 'self';", csp, StringComparison.Ordinal);
        await Expect(page.Locator("#signed-out")).ToBeVisibleAsync();
        await Expect(page.Locator("#sign-in")).ToBeVisibleAsync();
        await Expect(page.Locator("#sign-in")).ToHaveAccessibleNameAsync("Sign in");
        await Expect(page.Locator("#upload-panel")).ToBeHiddenAsync();
        await Expect(page.Locator("#gallery-panel")).ToBeHiddenAsync();
        await Expect(page.Locator("#api-status")).ToContainTextAsync("Accepts JPEG");
        await session.ScreenshotAsync("signin-signed-out.png");

        // Alice signs in on the provider's own login page and comes back signed in, her name in the header.
        await page.Locator("#sign-in").ClickAsync();
        await SignInOnTheProviderAsync(session, site, "alice", "signin-provider-login.png");
        await Expect(page.Locator("#account-name")).ToHaveTextAsync("Alice");
        await Expect(page.Locator("#gallery")).ToHaveAttributeAsync("aria-busy", "false");
        await Expect(page.Locator("#sign-in, #signed-out")).ToHaveCountAsync(0);
        await Expect(page.Locator("#upload-panel")).ToBeVisibleAsync();

        // The tokens stay in this tab's session storage, never in a cookie (the only cookies are the provider's session).
        var stored = await StoredUserAsync(page);
        var accessToken = stored?["access_token"]?.GetValue<string>();
        Assert.False(string.IsNullOrEmpty(accessToken), "No access token in session storage.");
        var cookies = await page.Context.CookiesAsync();
        Assert.All(cookies, cookie => Assert.StartsWith("_", cookie.Name, StringComparison.Ordinal));
        Assert.DoesNotContain(cookies, cookie => cookie.Value.Contains(accessToken![..40], StringComparison.Ordinal));

        // Her upload goes through the page, every API call with her bearer token.
        var apiCalls = new List<IRequest>();
        page.Request += (_, request) =>
        {
            if (request.Url.StartsWith(site.PageUrl + "v1/images", StringComparison.Ordinal) || request.Url.StartsWith(site.PageUrl + "v1/uploads", StringComparison.Ordinal))
            {
                lock (apiCalls)
                {
                    apiCalls.Add(request);
                }
            }
        };
        await session.ChooseFilesAsync(PageSession.FileFrom(WebFixture.SamplePhoto("camera-gps.jpg")));
        var id = await session.WaitUploadedAsync("camera-gps.jpg");
        var card = await session.WaitCardAsync(id, "ready");
        await Expect(card.Locator("img.thumb")).ToHaveJSPropertyAsync("naturalWidth", 256);
        IRequest[] calls;
        lock (apiCalls)
        {
            calls = [.. apiCalls];
        }

        Assert.NotEmpty(calls);
        foreach (var call in calls)
        {
            var authorization = await call.HeaderValueAsync("authorization");
            Assert.True(authorization is not null && authorization.StartsWith("Bearer ey", StringComparison.Ordinal), $"{call.Method} {call.Url} carried no bearer token.");
        }

        // Downloads link the presigned URLs of the detail (an <a href> to the API would carry no token).
        await card.Locator(".card-link").ClickAsync();
        var dialog = page.Locator("#detail-dialog");
        await Expect(dialog.Locator("#detail-title")).ToHaveTextAsync("camera-gps.jpg");
        await Expect(dialog.Locator("img.detail-image")).ToHaveJSPropertyAsync("complete", true);
        await Expect(dialog.Locator("a[data-download='w640']")).ToHaveAttributeAsync("href", new Regex("^" + Regex.Escape(site.PageUrl + "objects/")));
        await Expect(dialog.Locator("a[data-download='thumbnail']")).ToHaveAttributeAsync("href", new Regex("^" + Regex.Escape(site.PageUrl + "objects/")));
        var rendition = await page.RunAndWaitForDownloadAsync(() => dialog.Locator("a[data-download='w320']").ClickAsync());
        Assert.EndsWith(".webp", rendition.SuggestedFilename, StringComparison.Ordinal);
        Assert.True(new FileInfo(await rendition.PathAsync()).Length > 0);
        await Expect(dialog.Locator("a[data-download='original']")).ToHaveAttributeAsync("href", new Regex("^" + Regex.Escape(site.PageUrl + "objects/")));
        var original = await page.RunAndWaitForDownloadAsync(() => dialog.Locator("a[data-download='original']").ClickAsync());
        Assert.Equal("camera-gps.jpg", original.SuggestedFilename);
        Assert.Equal(new FileInfo(WebFixture.SamplePhoto("camera-gps.jpg")).Length, new FileInfo(await original.PathAsync()).Length);

        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToBeHiddenAsync();
        await session.ScreenshotAsync("signin-alice-gallery.png");

        // Sign-out goes through the provider's end-session page and comes back signed out, the tokens gone.
        await page.Locator("#sign-out").ClickAsync();
        await page.WaitForURLAsync(url => url.StartsWith(site.IssuerOrigin + "/", StringComparison.Ordinal));
        await page.GetByRole(AriaRole.Button, new() { Name = "Yes, sign me out" }).ClickAsync();
        await Expect(page.Locator("#sign-in")).ToBeVisibleAsync();
        Assert.StartsWith(site.PageUrl, page.Url, StringComparison.Ordinal);
        Assert.Null(await StoredUserAsync(page));
        await Expect(page.Locator("#account-name")).ToHaveCountAsync(0);

        // Bob signs in (the provider asks again: Alice's session there has ended) and sees none of her images.
        await page.Locator("#sign-in").ClickAsync();
        await SignInOnTheProviderAsync(session, site, "bob");
        await Expect(page.Locator("#account-name")).ToHaveTextAsync("Bob");
        await Expect(page.Locator("#gallery")).ToHaveAttributeAsync("aria-busy", "false");
        await Expect(page.Locator("#gallery li.card")).ToHaveCountAsync(0);
        await Expect(page.Locator("#gallery-empty")).ToBeVisibleAsync();
        await session.ScreenshotAsync("signin-bob-empty.png");

        // Not even by its address.
        session.ExpectFailedRequest($"/v1/images/{id}", 404);
        await page.EvaluateAsync("id => { location.hash = `#/images/${id}`; }", id);
        await Expect(dialog.Locator("#detail-title")).ToHaveTextAsync("Image not found");
        await session.AssertCleanAsync();
    }

    [Fact]
    public async Task A_401_from_the_api_sends_the_user_to_sign_in_again()
    {
        var site = await web.SignInSiteAsync();
        await using var session = await web.NewPageAsync(site.Host);
        var page = session.Page;
        await session.GotoAsync(waitForGallery: false);
        await page.Locator("#sign-in").ClickAsync();
        await SignInOnTheProviderAsync(session, site, "alice");
        await Expect(page.Locator("#gallery")).ToHaveAttributeAsync("aria-busy", "false");

        // A token the API refuses (as after the issuer rotated its keys): the page goes back to the provider, which
        // still knows the browser and sends it straight back with a new one.
        var user = await StoredUserAsync(page) ?? throw new InvalidOperationException("Not signed in.");
        var key = await page.EvaluateAsync<string>("() => Object.keys(sessionStorage).find(k => k.startsWith('oidc.user:'))");
        user["access_token"] = "refused.by.the-api";
        await page.EvaluateAsync("([key, value]) => sessionStorage.setItem(key, value)", new[] { key, user.ToJsonString() });
        session.ExpectFailedRequest("/v1/images?", 401);
        var backWithACode = page.WaitForURLAsync(url => url.StartsWith(site.PageUrl + "?", StringComparison.Ordinal) && url.Contains("code=", StringComparison.Ordinal));
        await page.ReloadAsync();
        await backWithACode;
        await Expect(page).ToHaveURLAsync(site.PageUrl);
        await Expect(page.Locator("#account-name")).ToHaveTextAsync("Alice");
        await Expect(page.Locator("#gallery")).ToHaveAttributeAsync("aria-busy", "false");
        var renewed = await StoredUserAsync(page);
        Assert.StartsWith("ey", renewed?["access_token"]?.GetValue<string>() ?? "", StringComparison.Ordinal);

        // The session gone behind the page's back (its storage cleared, the provider's cookies too): the next call is
        // sent without a token, the API answers 401, and the user lands on the provider's login page.
        await page.EvaluateAsync("() => sessionStorage.clear()");
        await page.Context.ClearCookiesAsync();
        session.ExpectFailedRequest("/v1/uploads", 401);
        await session.ChooseFilesAsync(PageSession.FileFrom(WebFixture.SamplePhoto("photo.webp")));
        await SignInOnTheProviderAsync(session, site, "alice", "signin-again-login.png");
        await Expect(page.Locator("#account-name")).ToHaveTextAsync("Alice");
        await Expect(page.Locator("#gallery")).ToHaveAttributeAsync("aria-busy", "false");

        // Signed in again, the page works again.
        await session.ChooseFilesAsync(PageSession.FileFrom(WebFixture.SamplePhoto("photo.webp")));
        var id = await session.WaitUploadedAsync("photo.webp");
        await session.WaitCardAsync(id, "ready");
        await session.AssertCleanAsync();
    }

    [Fact]
    public async Task A_token_refused_right_after_sign_in_is_reported_instead_of_signing_in_in_circles()
    {
        var site = await web.SignInSiteAsync();
        await using var session = await web.NewPageAsync(site.Host);
        var page = session.Page;
        await session.GotoAsync(waitForGallery: false);
        await page.Locator("#sign-in").ClickAsync();

        // As if the API were configured for another audience: it refuses the token the sign-in has just issued.
        await page.RouteAsync(url => url.Contains("/v1/images?", StringComparison.Ordinal), route => route.FulfillAsync(new RouteFulfillOptions
        {
            Status = 401,
            ContentType = "application/problem+json",
            Headers = new Dictionary<string, string> { ["WWW-Authenticate"] = "Bearer error=\"invalid_token\"" },
            Body = """{"type":"https://imagepipeline.dev/problems/unauthorized","title":"Unauthorized","status":401,"detail":"The audience is not this API's."}""",
        }));
        session.ExpectFailedRequest("/v1/images?", 401);
        await SignInOnTheProviderAsync(session, site, "alice");
        var providerVisits = 0;
        page.Request += (_, request) =>
        {
            if (request.Url.StartsWith(site.IssuerOrigin + "/auth", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref providerVisits);
            }
        };

        var banner = page.Locator("#banner");
        await Expect(banner).ToBeVisibleAsync();
        await Expect(banner).ToContainTextAsync("refused the access token the sign-in has just issued");
        await Expect(banner).ToContainTextAsync("The audience is not this API's.");
        await page.WaitForTimeoutAsync(1000);
        Assert.Equal(0, Volatile.Read(ref providerVisits));
        await Expect(page).ToHaveURLAsync(site.PageUrl);
        await session.AssertCleanAsync();
    }

    [Fact]
    public async Task The_access_token_is_renewed_with_the_refresh_token_before_it_expires()
    {
        var site = await web.SignInSiteAsync();
        await using var session = await web.NewPageAsync(site.Host);
        var page = session.Page;
        await session.GotoAsync(waitForGallery: false);
        await page.Locator("#sign-in").ClickAsync();
        await SignInOnTheProviderAsync(session, site, "bob");
        await Expect(page.Locator("#gallery")).ToHaveAttributeAsync("aria-busy", "false");
        var user = await StoredUserAsync(page) ?? throw new InvalidOperationException("Not signed in.");
        var first = user["access_token"]!.GetValue<string>();
        Assert.False(string.IsNullOrEmpty(user["refresh_token"]?.GetValue<string>()), "offline_access gave no refresh token.");

        // The access token said to expire in 20 s: the page renews it (a minute ahead) with the refresh token, no iframe.
        var key = await page.EvaluateAsync<string>("() => Object.keys(sessionStorage).find(k => k.startsWith('oidc.user:'))");
        user["expires_at"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 20;
        await page.EvaluateAsync("([key, value]) => sessionStorage.setItem(key, value)", new[] { key, user.ToJsonString() });
        var refresh = page.WaitForRequestAsync(request =>
            request.Method == "POST" && request.Url.StartsWith(site.IssuerOrigin + "/", StringComparison.Ordinal) &&
            (request.PostData ?? "").Contains("grant_type=refresh_token", StringComparison.Ordinal));
        await page.ReloadAsync();
        var exchange = await refresh;
        var answer = await exchange.ResponseAsync();
        Assert.Equal(200, answer?.Status);
        await page.WaitForFunctionAsync("first => { const key = Object.keys(sessionStorage).find(k => k.startsWith('oidc.user:')); const user = key && JSON.parse(sessionStorage.getItem(key)); return user && user.access_token !== first && user.expires_at > Date.now() / 1000 + 300; }", first);
        Assert.DoesNotContain(page.Frames, f => f != page.MainFrame);

        // The new token is one the API takes, and the page goes on with it.
        var renewed = (await StoredUserAsync(page))!["access_token"]!.GetValue<string>();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/images");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", renewed);
        using var check = await site.Host.Http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, check.StatusCode);
        await Expect(page.Locator("#account-name")).ToHaveTextAsync("Bob");
        await session.AssertCleanAsync();
    }

    [Fact]
    public async Task The_anonymous_page_shows_no_sign_in_and_loads_no_sign_in_library()
    {
        using (var config = await web.Api.GetAsync("/v1/config", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, config.StatusCode);
            using var body = JsonDocument.Parse(await config.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            Assert.Equal(JsonValueKind.Null, body.RootElement.GetProperty("auth").ValueKind);
        }

        await using var session = await web.NewPageAsync();
        var page = session.Page;
        var requested = new List<string>();
        page.Request += (_, request) =>
        {
            lock (requested)
            {
                requested.Add(request.Url);
            }
        };
        var response = await session.GotoAsync();
        var csp = await response.HeaderValueAsync("content-security-policy");
        Assert.Contains("connect-src 'self';", csp, StringComparison.Ordinal);

        await Expect(page.Locator("#account, #sign-in, #sign-out, #signed-out, #account-name")).ToHaveCountAsync(0);
        await Expect(page.GetByText("Sign in")).ToHaveCountAsync(0);
        await Expect(page.Locator("#upload-panel")).ToBeVisibleAsync();
        await Expect(page.Locator("#gallery-panel")).ToBeVisibleAsync();
        lock (requested)
        {
            Assert.Contains(requested, url => url.EndsWith("/v1/config", StringComparison.Ordinal));
            Assert.DoesNotContain(requested, url => url.Contains("oidc-client-ts", StringComparison.Ordinal));
        }

        Assert.Equal(0, await page.EvaluateAsync<int>("() => Object.keys(sessionStorage).length"));
        await session.AssertCleanAsync();
    }

    /// <summary>
    /// On the provider's login page (the browser is on its way there or already on it): fills in the user and any
    /// password, submits, and waits until the page is back, the code exchanged and the address bar clean.
    /// </summary>
    private static async Task SignInOnTheProviderAsync(PageSession session, SignInSite site, string user, string? screenshot = null)
    {
        var page = session.Page;
        await page.WaitForURLAsync(url => url.StartsWith(site.IssuerOrigin + "/", StringComparison.Ordinal));
        var login = page.Locator("input[name='login']");
        await login.FillAsync(user);
        await page.Locator("input[name='password']").FillAsync("any password");
        if (screenshot is not null)
        {
            await session.ScreenshotAsync(screenshot);
        }

        await page.Locator("button[type='submit']").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("^" + Regex.Escape(site.PageUrl) + "(#.*)?$"));
        await Expect(page.Locator("#account-name, #banner:not([hidden])")).Not.ToHaveCountAsync(0);
    }

    private static async Task<JsonObject?> StoredUserAsync(IPage page)
    {
        var text = await page.EvaluateAsync<string?>(StoredUser);
        return text is null ? null : JsonNode.Parse(text)?.AsObject();
    }
}
