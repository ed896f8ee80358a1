using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImagePipeline.Web.Tests;

[Trait("Category", "Integration")]
[Collection(WebCollection.Name)]
public sealed class ErrorTests(WebFixture web)
{
    [Fact]
    public async Task A_truncated_jpeg_uploads_and_then_shows_the_failed_badge_with_corrupt_image()
    {
        await using var session = await web.NewPageAsync();
        var page = session.Page;
        await session.GotoAsync();
        await session.ChooseFilesAsync(PageSession.FileFrom(WebFixture.SampleBroken("broken-truncated.jpg")));

        var id = await session.WaitUploadedAsync("broken-truncated.jpg");
        var card = await session.WaitCardAsync(id, "failed");
        await Expect(card.Locator(".error-code")).ToHaveTextAsync("corrupt_image");
        await Expect(card.Locator("img")).ToHaveCountAsync(0);
        await Expect(page.Locator("#announcer")).ToContainTextAsync("broken-truncated.jpg failed: corrupt_image.");
        // The card says it; the upload list does not repeat it.
        await Expect(session.Upload("broken-truncated.jpg")).ToHaveCountAsync(0);

        // The detail view says why, and offers no renditions.
        await card.Locator(".card-link").ClickAsync();
        var dialog = page.Locator("#detail-dialog");
        await Expect(dialog.Locator(".detail-status .badge")).ToHaveTextAsync("failed");
        await Expect(dialog.Locator(".detail-status .error-code")).ToHaveTextAsync("corrupt_image");
        await Expect(dialog.Locator("img")).ToHaveCountAsync(0);
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToBeHiddenAsync();
        await session.AssertCleanAsync();
    }

    [Fact]
    public async Task An_unsupported_type_is_rejected_with_the_apis_415_problem_detail()
    {
        await using var session = await web.NewPageAsync();
        var page = session.Page;
        await session.GotoAsync();
        session.ExpectFailedRequest("/v1/uploads", 415);
        var text = Encoding.UTF8.GetBytes("Not a photo, just some notes.\n");

        // What the API itself says to this request…
        using var direct = await web.Api.PostAsJsonAsync(
            "/v1/uploads", new { fileName = "notes.txt", contentType = "text/plain", contentLength = text.Length }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, direct.StatusCode);
        using var problem = JsonDocument.Parse(await direct.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var detail = problem.RootElement.GetProperty("detail").GetString();
        Assert.False(string.IsNullOrWhiteSpace(detail));

        // …is what the page shows for the same file.
        var before = await page.Locator("#gallery li.card").CountAsync();
        await session.ChooseFilesAsync(new FilePayload { Name = "notes.txt", MimeType = "text/plain", Buffer = text });
        var item = session.Upload("notes.txt");
        await Expect(item).ToHaveAttributeAsync("data-state", "rejected");
        await Expect(item.Locator(".upload-status")).ToContainTextAsync("415");
        await Expect(item.Locator(".upload-detail")).ToHaveTextAsync(detail!);
        await Expect(page.Locator("#announcer")).ToContainTextAsync("notes.txt was rejected");
        // Nothing was recorded, so nothing appears in the gallery.
        await Expect(page.Locator("#gallery li.card")).ToHaveCountAsync(before);
        await session.AssertCleanAsync();
    }

    [Fact]
    public async Task The_violation_guard_sees_what_the_content_security_policy_blocks()
    {
        // The other tests assert "no CSP violations"; this proves that check is not vacuous.
        await using var session = await web.NewPageAsync();
        var page = session.Page;
        await session.GotoAsync();
        await page.EvaluateAsync(
            """
            () => {
              const img = document.createElement('img');
              img.src = 'https://example.invalid/tracker.png';
              document.body.append(img);
              const script = document.createElement('script');
              script.textContent = 'window.__inlineRan = true;';
              document.body.append(script);
            }
            """);
        await page.WaitForFunctionAsync("() => window.__cspViolations.length >= 2");
        var violations = await page.EvaluateAsync<string[]>("() => window.__cspViolations");
        Assert.Contains(violations, v => v.StartsWith("img-src", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("script-src", StringComparison.Ordinal));
        Assert.False(await page.EvaluateAsync<bool>("() => window.__inlineRan === true"), "An inline script ran despite the CSP.");
        await Assert.ThrowsAnyAsync<Exception>(session.AssertCleanAsync);
    }

    [Fact]
    public async Task When_the_api_cannot_be_reached_the_page_says_so_and_retry_recovers()
    {
        await using var session = await web.NewPageAsync();
        var page = session.Page;
        session.ExpectFailedRequest("/v1/images");
        session.ExpectFailedRequest("/v1/health");
        // The network is down for the API (the page itself still loads).
        await page.RouteAsync("**/v1/**", route => route.AbortAsync("internetdisconnected"));
        await page.GotoAsync("/");

        var banner = page.Locator("#banner");
        await Expect(banner).ToBeVisibleAsync();
        await Expect(banner).ToHaveAttributeAsync("role", "alert");
        await Expect(banner).ToContainTextAsync("Cannot reach the API");
        await Expect(page.Locator("#api-status")).ToHaveTextAsync("Cannot reach the server");

        await page.UnrouteAllAsync();
        await banner.GetByRole(AriaRole.Button, new() { Name = "Retry" }).ClickAsync();
        await Expect(banner).ToBeHiddenAsync();
        await Expect(page.Locator("#api-status")).ToContainTextAsync("Accepts JPEG");
        await Expect(page.Locator("#gallery")).ToHaveAttributeAsync("aria-busy", "false");
        await session.AssertCleanAsync();
    }
}
