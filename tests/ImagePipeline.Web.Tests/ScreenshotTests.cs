using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImagePipeline.Web.Tests;

/// <summary>
/// The page as people see it, saved for review under artifacts/screenshots: the gallery and the detail view, at phone
/// (390×844) and desktop (1280×800) widths, in light and dark colour schemes.
/// </summary>
[Trait("Category", "Integration")]
[Collection(WebCollection.Name)]
public sealed class ScreenshotTests(WebFixture web)
{
    [Fact]
    public async Task Screenshots_GalleryAndDetailAtPhoneAndDesktopInLightAndDark_ShowTheSchemeAsked()
    {
        await using var session = await web.NewPageAsync(1280, 800);
        var page = session.Page;
        await session.GotoAsync();
        await session.ChooseFilesAsync(
            PageSession.FileFrom(WebFixture.SamplePhoto("camera-gps.jpg")),
            PageSession.FileFrom(WebFixture.SamplePhoto("alpha.png")),
            PageSession.FileFrom(WebFixture.SampleBroken("broken-text.jpg"), "IMG_20240517_143015-shared-from-a-chat-app.jpg"));
        var photo = await session.WaitUploadedAsync("camera-gps.jpg");
        await session.WaitUploadedAsync("alpha.png");
        await session.WaitUploadedAsync("IMG_20240517_143015-shared-from-a-chat-app.jpg");
        await session.WaitAllSettledAsync();
        var dialog = page.Locator("#detail-dialog");

        foreach (var (device, width, height) in new[] { ("phone", 390, 844), ("desktop", 1280, 800) })
        {
            foreach (var scheme in new[] { ColorScheme.Light, ColorScheme.Dark })
            {
                var name = scheme == ColorScheme.Dark ? "dark" : "light";
                await page.SetViewportSizeAsync(width, height);
                await page.EmulateMediaAsync(new PageEmulateMediaOptions { ColorScheme = scheme });
                // No focus ring or hover left on the card the dialog returned to, and the page from its top.
                await page.Mouse.MoveAsync(0, 0);
                await page.EvaluateAsync("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }");
                await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#gallery img')].every(i => i.complete)");
                var background = await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");
                Assert.Equal(scheme == ColorScheme.Dark ? "rgb(17, 19, 24)" : "rgb(246, 247, 249)", background);
                await session.ScreenshotAsync($"gallery-{device}-{name}.png");

                await session.Card(photo).Locator(".card-link").ClickAsync();
                await Expect(dialog.Locator("img.detail-image")).ToHaveJSPropertyAsync("complete", true);
                await session.ScreenshotAsync($"detail-{device}-{name}.png", fullPage: false);
                await page.Keyboard.PressAsync("Escape");
                await Expect(dialog).ToBeHiddenAsync();
            }
        }

        await page.EmulateMediaAsync(new PageEmulateMediaOptions { ColorScheme = ColorScheme.Light });
        await session.AssertCleanAsync();
    }
}
