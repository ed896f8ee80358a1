using System.Net;
using System.Text.RegularExpressions;
using static Microsoft.Playwright.Assertions;

namespace ImagePipeline.Web.Tests;

[Trait("Category", "Integration")]
[Collection(WebCollection.Name)]
public sealed partial class DetailTests(WebFixture web)
{
    [Fact]
    public async Task Detail_view_shows_the_responsive_renditions_the_original_and_the_exif_subset()
    {
        await using var session = await web.NewPageAsync();
        var page = session.Page;
        await session.GotoAsync();
        await session.ChooseFilesAsync(PageSession.FileFrom(WebFixture.SamplePhoto("camera-gps.jpg")));
        var id = await session.WaitUploadedAsync("camera-gps.jpg");
        var card = await session.WaitCardAsync(id, "ready");

        await card.Locator(".card-link").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"#/images/{id}$"));
        var dialog = page.Locator("#detail-dialog");
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog.Locator("#detail-title")).ToHaveTextAsync("camera-gps.jpg");

        // One <img> offering every rendition (2400 px wide: all four widths), the browser choosing one.
        var image = dialog.Locator("img.detail-image");
        await Expect(image).ToHaveAttributeAsync("alt", "camera-gps.jpg");
        await Expect(image).ToHaveAttributeAsync("sizes", new Regex(@"\S"));
        var srcset = await image.GetAttributeAsync("srcset") ?? "";
        Assert.Equal(["320w", "640w", "1280w", "2048w"], SrcsetWidths().Matches(srcset).Select(m => m.Groups[1].Value + "w"));
        await Expect(image).ToHaveJSPropertyAsync("complete", true);
        Assert.True(await image.EvaluateAsync<int>("i => i.naturalWidth") > 0, "The rendition did not decode.");
        var currentSrc = await image.EvaluateAsync<string>("i => i.currentSrc");
        Assert.Contains(currentSrc, srcset, StringComparison.Ordinal);

        // The original and the EXIF subset the samples carry (see sample-images/README.md).
        await Expect(Field("format")).ToHaveTextAsync("JPEG");
        await Expect(Field("dimensions")).ToHaveTextAsync("2400 × 1600 px");
        await Expect(Field("bytes")).ToContainTextAsync(new FileInfo(WebFixture.SamplePhoto("camera-gps.jpg")).Length.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        await Expect(Field("camera")).ToContainTextAsync("ImagePipeline");
        await Expect(Field("camera")).ToContainTextAsync("Synthetic Camera 1");
        await Expect(Field("lens")).ToHaveTextAsync("Synthetic 24-70mm f/2.8");
        await Expect(Field("taken-at")).ToHaveTextAsync("17 May 2024, 14:30");
        await Expect(Field("exposure")).ToHaveTextAsync("1/250 s");
        await Expect(Field("f-number")).ToHaveTextAsync("f/2.8");
        await Expect(Field("iso")).ToHaveTextAsync("200");
        await Expect(Field("focal-length")).ToHaveTextAsync("50 mm");
        // The local host does not expose GPS (off by default), so the page shows none.
        await Expect(Field("gps")).ToHaveCountAsync(0);

        // Downloads: the original through GET /v1/images/{id}/original (302 to a signed URL) under its own name.
        await Expect(dialog.Locator("a[data-download]")).ToHaveCountAsync(6); // original, w320…w2048, thumbnail
        await Expect(dialog.Locator("a[data-download='w640']")).ToHaveAttributeAsync("href", $"/v1/images/{id}/renditions/w640");
        var download = await page.RunAndWaitForDownloadAsync(() => dialog.Locator("a[data-download='original']").ClickAsync());
        Assert.Equal("camera-gps.jpg", download.SuggestedFilename);
        Assert.Equal(new FileInfo(WebFixture.SamplePhoto("camera-gps.jpg")).Length, new FileInfo(await download.PathAsync()).Length);

        // Escape closes the dialog, leaves the #/images route and gives focus back to the card.
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToBeHiddenAsync();
        await Expect(page).Not.ToHaveURLAsync(new Regex("#/images/"));
        await Expect(card.Locator(".card-link")).ToBeFocusedAsync();

        // Deep link: the page loaded afresh at #/images/{id} shows the same view.
        await page.GotoAsync("about:blank");
        await session.GotoAsync($"/#/images/{id}");
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog.Locator("#detail-title")).ToHaveTextAsync("camera-gps.jpg");
        await Expect(Field("camera")).ToContainTextAsync("ImagePipeline");
        await Expect(dialog.Locator("img.detail-image")).ToHaveJSPropertyAsync("complete", true);
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToBeHiddenAsync();
        await session.AssertCleanAsync();

        Microsoft.Playwright.ILocator Field(string name) => dialog.Locator($"dd[data-field='{name}']");
    }

    [Fact]
    public async Task Delete_asks_in_a_dialog_and_then_removes_the_image_from_the_gallery_and_the_api()
    {
        await using var session = await web.NewPageAsync();
        var page = session.Page;
        await session.GotoAsync();
        await session.ChooseFilesAsync(PageSession.FileFrom(WebFixture.SamplePhoto("tiny.jpg"), "delete-me.jpg"));
        var id = await session.WaitUploadedAsync("delete-me.jpg");
        var card = await session.WaitCardAsync(id, "ready");

        await card.Locator(".card-link").ClickAsync();
        var detail = page.Locator("#detail-dialog");
        var confirm = page.Locator("#confirm-dialog");
        var deleteButton = detail.Locator("#detail-delete");
        await deleteButton.ClickAsync();

        // The confirmation is a real dialog with the safe choice focused; Escape and Cancel both keep the image.
        await Expect(confirm).ToBeVisibleAsync();
        await Expect(confirm).ToContainTextAsync("delete-me.jpg");
        await Expect(confirm.Locator("button[value='cancel']")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Escape");
        await Expect(confirm).ToBeHiddenAsync();
        await Expect(detail).ToBeVisibleAsync();
        await Expect(deleteButton).ToBeFocusedAsync();

        await deleteButton.ClickAsync();
        await confirm.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(confirm).ToBeHiddenAsync();
        await Expect(detail).ToBeVisibleAsync();
        Assert.Equal(HttpStatusCode.OK, (await web.Api.GetAsync($"/v1/images/{id}", TestContext.Current.CancellationToken)).StatusCode);

        await deleteButton.ClickAsync();
        await confirm.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        await Expect(detail).ToBeHiddenAsync();
        await Expect(session.Card(id)).ToHaveCountAsync(0);
        await Expect(page.Locator("#announcer")).ToContainTextAsync("delete-me.jpg deleted.");
        await Expect(page.Locator("#gallery-title")).ToBeFocusedAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await web.Api.GetAsync($"/v1/images/{id}", TestContext.Current.CancellationToken)).StatusCode);

        // And it stays gone after a reload.
        await session.GotoAsync();
        await Expect(session.Card(id)).ToHaveCountAsync(0);
        await session.AssertCleanAsync();
    }

    [GeneratedRegex(@"\s(\d+)w(?:,|$)")]
    private static partial Regex SrcsetWidths();
}
