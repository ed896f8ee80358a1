using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImagePipeline.Web.Tests;

/// <summary>
/// What a newcomer reads on the page: cards that use the row and show whole names, error codes that never break,
/// one date format, words for users rather than developers, and each image listed once.
/// </summary>
[Trait("Category", "Integration")]
[Collection(WebCollection.Name)]
public sealed partial class ReadabilityTests(WebFixture web)
{
    private const string LongName = "a-rather-long-file-name-from-a-phone-IMG_20240517_143015-edited-final-version-2.jpg";

    [Fact]
    public async Task Gallery_AtDesktopWidth_CardsShareTheRowAndShowWholeNames()
    {
        await using var session = await web.NewPageAsync(1280, 800);
        var page = session.Page;
        await session.GotoAsync();
        await session.ChooseFilesAsync(
            PageSession.FileFrom(WebFixture.SamplePhoto("camera-gps.jpg")),
            PageSession.FileFrom(WebFixture.SamplePhoto("tiny.jpg"), LongName));
        var id = await session.WaitUploadedAsync("camera-gps.jpg");
        var longId = await session.WaitUploadedAsync(LongName);
        await session.WaitAllSettledAsync();

        var widths = await page.Locator("#gallery li.card").EvaluateAllAsync<double[]>("cards => cards.map(c => c.getBoundingClientRect().width)");
        Assert.All(widths, width => Assert.True(width >= 200, $"A card is {width:0} px wide at 1280 px; at least 200 px expected."));
        // The columns fill the row: no empty band at its end.
        var unused = await page.Locator("#gallery").EvaluateAsync<double>(
            """
            g => {
              const style = getComputedStyle(g);
              const tracks = style.gridTemplateColumns.split(' ').map(parseFloat);
              const used = tracks.reduce((a, b) => a + b, 0) + parseFloat(style.columnGap) * (tracks.length - 1);
              return g.clientWidth - used;
            }
            """);
        Assert.True(unused < 2, $"{unused:0} px of the gallery's row is left empty.");

        // A usual name shows whole, on one line; a long one wraps to two lines at most and has its whole self in a title.
        var name = session.Card(id).Locator(".card-name");
        Assert.Equal(1, await PageSession.LineCountAsync(name));
        Assert.True(await PageSession.ShowsWholeTextAsync(name), "camera-gps.jpg is cut on its card.");
        var longCardName = session.Card(longId).Locator(".card-name");
        await Expect(longCardName).ToHaveAttributeAsync("title", LongName);
        Assert.InRange(await longCardName.EvaluateAsync<double>("e => e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)"), 1.5, 2.5);
        await session.AssertCleanAsync();
    }

    [Fact]
    public async Task ErrorCode_OnCardAndInDetailAtPhoneAndDesktopWidths_NeverBreaks()
    {
        await using var session = await web.NewPageAsync(1280, 800);
        var page = session.Page;
        await session.GotoAsync();
        await session.ChooseFilesAsync(PageSession.FileFrom(WebFixture.SampleBroken("broken-text.jpg")));
        var id = await session.WaitUploadedAsync("broken-text.jpg");
        var card = await session.WaitCardAsync(id, "failed");
        var code = card.Locator(".error-code");
        await Expect(code).ToHaveTextAsync("unsupported_format");

        foreach (var (width, height) in new[] { (1280, 800), (390, 844), (360, 740) })
        {
            await page.SetViewportSizeAsync(width, height);
            Assert.True(await PageSession.LineCountAsync(code) == 1, $"At {width} px the card's code takes more than one line.");
            Assert.True(await PageSession.ShowsWholeTextAsync(code), $"At {width} px the card's code is cut.");
        }

        await card.Locator(".card-link").ClickAsync();
        var detailCode = page.Locator("#detail-dialog .detail-status .error-code");
        await Expect(detailCode).ToHaveTextAsync("unsupported_format");
        Assert.Equal(1, await PageSession.LineCountAsync(detailCode));
        Assert.True(await PageSession.ShowsWholeTextAsync(detailCode), "The detail's code is cut at 360 px.");
        await session.AssertCleanAsync();
    }

    [Fact]
    public async Task DetailView_AmericanReaderInLosAngeles_DatesShareOneFormatAndWordsAreForUsers()
    {
        await using var session = await web.NewPageAsync(locale: "en-US", timezoneId: "America/Los_Angeles");
        var page = session.Page;
        await session.GotoAsync();

        // The header says what a user may upload; the version is in the footer, not in the header.
        using var health = JsonDocument.Parse(await web.Api.GetStringAsync("/v1/health", TestContext.Current.CancellationToken));
        var version = health.RootElement.GetProperty("version").GetString()!;
        var status = page.Locator("#api-status");
        await Expect(status).ToHaveTextAsync(new Regex("^Accepts JPEG, PNG, .+ and TIFF$"));
        Assert.DoesNotContain("API", await status.TextContentAsync() ?? "", StringComparison.Ordinal);
        Assert.DoesNotContain(version, await page.Locator(".site-header").TextContentAsync() ?? "", StringComparison.Ordinal);
        await Expect(page.Locator("#app-version")).ToHaveTextAsync($"ImagePipeline {version}");

        await session.ChooseFilesAsync(PageSession.FileFrom(WebFixture.SamplePhoto("camera-gps.jpg")));
        var id = await session.WaitUploadedAsync("camera-gps.jpg");
        await (await session.WaitCardAsync(id, "ready")).Locator(".card-link").ClickAsync();
        var dialog = page.Locator("#detail-dialog");
        await Expect(dialog.Locator("#detail-title")).ToHaveTextAsync("camera-gps.jpg");

        // The camera's wall time as it is (EXIF has no zone), and the upload's instant in the reader's zone: one format.
        var taken = Spaces(await Field("taken-at").TextContentAsync());
        var uploaded = Spaces(await Field("created-at").TextContentAsync());
        Assert.Equal("May 17, 2024, 2:30 PM", taken);
        using var detail = JsonDocument.Parse(await web.Api.GetStringAsync($"/v1/images/{id}", TestContext.Current.CancellationToken));
        var createdAt = detail.RootElement.GetProperty("createdAt").GetDateTimeOffset();
        var local = TimeZoneInfo.ConvertTime(createdAt, TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles"));
        Assert.Equal(UsMediumShort(local), uploaded);
        Assert.Matches(UsMediumDateShortTime(), taken);
        Assert.Matches(UsMediumDateShortTime(), uploaded);

        // What the uploader sent, in a user's words.
        var labels = await dialog.Locator("dt").AllTextContentsAsync();
        Assert.DoesNotContain("Type declared", labels);
        Assert.Contains("Sent as", labels);
        await Expect(Field("content-type")).ToHaveTextAsync("JPEG (image/jpeg)");
        await session.AssertCleanAsync();

        ILocator Field(string field) => dialog.Locator($"dd[data-field='{field}']");
    }

    [Fact]
    public async Task Upload_WhileSendingAndAfterwards_EachImageIsListedOnce()
    {
        await using var session = await web.NewPageAsync(1280, 800);
        var page = session.Page;
        await session.GotoAsync();
        // The original's PUT is held for a moment, so the page can be seen while it is uploading.
        using var release = new SemaphoreSlim(0);
        await page.RouteAsync("**/objects/**", async route =>
        {
            if (route.Request.Method == "PUT")
            {
                await release.WaitAsync(TimeSpan.FromSeconds(30));
            }

            await route.ContinueAsync();
        });

        await session.ChooseFilesAsync(PageSession.FileFrom(WebFixture.SamplePhoto("photo.webp"), "held-upload.webp"));
        var card = session.UploadedCard("held-upload.webp");
        await Expect(card).ToHaveAttributeAsync("data-upload", "uploading");
        await Expect(card.Locator("progress.card-progress")).ToBeVisibleAsync();
        await Expect(card.Locator(".badge")).ToContainTextAsync("uploading");
        await Expect(session.Upload("held-upload.webp")).ToHaveCountAsync(0);
        await Expect(page.Locator("#uploads-area")).ToBeHiddenAsync();
        await session.ScreenshotAsync("gallery-uploading-desktop-light.png", fullPage: false);

        release.Release();
        var id = await session.WaitUploadedAsync("held-upload.webp");
        await session.WaitCardAsync(id, "ready");
        await Expect(page.Locator("#gallery li.card[data-file-name='held-upload.webp']")).ToHaveCountAsync(1);
        await Expect(session.Upload("held-upload.webp")).ToHaveCountAsync(0);
        await Expect(page.Locator("#uploads-area")).ToBeHiddenAsync();
        await page.UnrouteAllAsync(new PageUnrouteAllOptions { Behavior = UnrouteBehavior.IgnoreErrors });
        await session.AssertCleanAsync();
    }

    /// <summary>"May 17, 2024, 2:30 PM", as en-US writes a medium date and a short time (the tests run without ICU cultures).</summary>
    private static string UsMediumShort(DateTimeOffset time)
    {
        string[] months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        var hour = time.Hour % 12 == 0 ? 12 : time.Hour % 12;
        return string.Create(CultureInfo.InvariantCulture, $"{months[time.Month - 1]} {time.Day}, {time.Year}, {hour}:{time.Minute:00} {(time.Hour < 12 ? "AM" : "PM")}");
    }

    /// <summary>Chromium's ICU puts a narrow no-break space before AM/PM; compare with plain spaces.</summary>
    private static string Spaces(string? text) => (text ?? "").Replace('\u202F', ' ').Replace('\u00A0', ' ');

    [GeneratedRegex(@"^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M$")]
    private static partial Regex UsMediumDateShortTime();
}
