using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImagePipeline.Web.Tests;

[Trait("Category", "Integration")]
[Collection(WebCollection.Name)]
public sealed partial class GalleryTests(WebFixture web)
{
    [Fact]
    public async Task Uploading_three_photos_through_the_file_input_shows_each_ready_with_its_thumbnail()
    {
        await using var session = await web.NewPageAsync();
        var page = session.Page;
        await session.GotoAsync();
        string[] names = ["camera-gps.jpg", "photo.webp", "alpha.png"];

        await session.ChooseFilesAsync([.. names.Select(n => PageSession.FileFrom(WebFixture.SamplePhoto(n)))]);

        var ids = new List<string>();
        foreach (var name in names)
        {
            ids.Add(await session.WaitUploadedAsync(name));
        }

        foreach (var (id, name) in ids.Zip(names))
        {
            var card = await session.WaitCardAsync(id, "ready");
            var thumbnail = card.Locator("img.thumb");
            await Expect(thumbnail).ToHaveAttributeAsync("alt", name);
            await Expect(card.Locator(".card-name")).ToHaveTextAsync(name);
            // Loaded, decoded, and the recipe's 256×256 thumbnail.
            await Expect(thumbnail).ToHaveJSPropertyAsync("complete", true);
            await Expect(thumbnail).ToHaveJSPropertyAsync("naturalWidth", 256);
            // Listed once: the card took over from the upload list, which keeps only files that never became images.
            await Expect(session.Upload(name)).ToHaveCountAsync(0);
            await Expect(session.UploadedCard(name)).ToHaveCountAsync(1);
        }

        // Newest first: the three are at the top, in upload-creation order reversed (they were created concurrently,
        // so only membership of the first three is certain).
        var firstThree = await page.Locator("#gallery li.card").EvaluateAllAsync<string[]>("cards => cards.slice(0, 3).map(c => c.dataset.id)");
        Assert.Equal(ids.Order(), firstThree.Order());

        // The live region told screen-reader users, and the counts agree.
        foreach (var name in names)
        {
            await Expect(page.Locator("#announcer")).ToContainTextAsync($"{name} uploaded.");
            await Expect(page.Locator("#announcer")).ToContainTextAsync($"{name} is ready.");
        }

        // Live updates stop once nothing is in progress: no more requests for images.
        await session.WaitAllSettledAsync();
        var polls = 0;
        page.Request += (_, request) =>
        {
            if (request.Url.Contains("/v1/images", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref polls);
            }
        };
        await page.WaitForTimeoutAsync(2500);
        Assert.Equal(0, Volatile.Read(ref polls));

        await Expect(page.Locator("#uploads-area")).ToBeHiddenAsync();
        await session.AssertCleanAsync();
    }

    [Fact]
    public async Task Load_more_follows_next_cursor_newest_first_until_the_last_page()
    {
        await using var session = await web.NewPageAsync();
        var page = session.Page;
        await session.GotoAsync();
        var tiny = File.ReadAllBytes(WebFixture.SamplePhoto("tiny.jpg"));
        var ids = new List<string>();
        foreach (var name in new[] { "page-a.jpg", "page-b.jpg", "page-c.jpg" })
        {
            // One at a time, so their creation order (and so the listing order) is known.
            await session.ChooseFilesAsync(new FilePayload { Name = name, MimeType = "image/jpeg", Buffer = tiny });
            ids.Add(await session.WaitUploadedAsync(name));
        }

        await session.WaitAllSettledAsync();
        using var all = JsonDocument.Parse(await web.Api.GetStringAsync("/v1/images?limit=100", TestContext.Current.CancellationToken));
        var expected = all.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToList();
        Assert.True(expected.Count >= 3, $"Expected at least the 3 images just uploaded; the API lists {expected.Count}.");

        await session.GotoAsync("/?pageSize=2");
        var cards = page.Locator("#gallery li.card");
        var loadMore = page.Locator("#load-more");
        await Expect(cards).ToHaveCountAsync(2);
        await Expect(loadMore).ToBeVisibleAsync();

        var clicks = 0;
        while (await loadMore.IsVisibleAsync())
        {
            var before = await cards.CountAsync();
            await loadMore.ClickAsync();
            clicks++;
            var after = Math.Min(before + 2, expected.Count);
            await Expect(cards).ToHaveCountAsync(after);
            await Expect(page.Locator("#gallery")).ToHaveAttributeAsync("aria-busy", "false");
            if (after > before)
            {
                // Keyboard users carry on at the first card the page just added.
                await Expect(cards.Nth(before).Locator(".card-link")).ToBeFocusedAsync();
            }

            Assert.True(clicks <= expected.Count, "Load more never reached the last page.");
        }

        var shown = await cards.EvaluateAllAsync<string[]>("cards => cards.map(c => c.dataset.id)");
        Assert.Equal(expected, shown);
        Assert.Equal([ids[2], ids[1], ids[0]], shown.Take(3));
        await session.AssertCleanAsync();
    }

    [Fact]
    public async Task Dropping_files_on_the_drop_zone_uploads_them()
    {
        await using var session = await web.NewPageAsync();
        var page = session.Page;
        await session.GotoAsync();
        var dropzone = page.Locator("#dropzone");

        // What a drag from the desktop delivers: a DataTransfer holding File objects (built in the page from the bytes).
        var bytes = Convert.ToBase64String(File.ReadAllBytes(WebFixture.SamplePhoto("tiny.jpg")));
        var transfer = await page.EvaluateHandleAsync(
            """
            (base64) => {
              const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
              const transfer = new DataTransfer();
              transfer.items.add(new File([data], 'dropped-1.jpg', { type: 'image/jpeg' }));
              transfer.items.add(new File([data], 'dropped-2.jpg', { type: 'image/jpeg' }));
              return transfer;
            }
            """, bytes);
        await dropzone.DispatchEventAsync("dragenter", new Dictionary<string, object> { ["dataTransfer"] = transfer });
        await Expect(dropzone).ToHaveClassAsync(Dragging());
        await dropzone.DispatchEventAsync("drop", new Dictionary<string, object> { ["dataTransfer"] = transfer });
        await Expect(dropzone).Not.ToHaveClassAsync(Dragging());

        foreach (var name in new[] { "dropped-1.jpg", "dropped-2.jpg" })
        {
            var id = await session.WaitUploadedAsync(name);
            var card = await session.WaitCardAsync(id, "ready");
            await Expect(card.Locator("img.thumb")).ToHaveJSPropertyAsync("naturalWidth", 256);
        }

        await session.AssertCleanAsync();
    }

    [Fact]
    public async Task At_phone_width_the_page_fits_and_the_gallery_has_two_columns()
    {
        await using var session = await web.NewPageAsync(width: 390, height: 844);
        var page = session.Page;
        await session.GotoAsync();
        await session.ChooseFilesAsync(
            PageSession.FileFrom(WebFixture.SamplePhoto("portrait-6.jpg")),
            PageSession.FileFrom(WebFixture.SampleBroken("broken-truncated.jpg"), "a-rather-long-file-name-from-a-phone-IMG_20240517_143015.jpg"));
        var portrait = await session.WaitUploadedAsync("portrait-6.jpg");
        await session.WaitCardAsync(portrait, "ready");
        await session.WaitAllSettledAsync();

        foreach (var width in new[] { 390, 360 })
        {
            await page.SetViewportSizeAsync(width, 844);
            var scrollWidth = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
            Assert.True(scrollWidth <= width, $"At {width} px the page is {scrollWidth} px wide: it scrolls sideways.");
            var columns = await page.Locator("#gallery").EvaluateAsync<int>("g => getComputedStyle(g).gridTemplateColumns.split(' ').length");
            Assert.True(columns >= 2, $"At {width} px the gallery has {columns} column(s).");
        }

        await page.SetViewportSizeAsync(390, 844);
        await session.Card(portrait).Locator(".card-link").ClickAsync();
        var dialog = page.Locator("#detail-dialog");
        await Expect(dialog.Locator("img.detail-image")).ToHaveJSPropertyAsync("complete", true);
        var overflow = await dialog.EvaluateAsync<int>("d => d.scrollWidth - d.clientWidth");
        Assert.True(overflow <= 0, $"The detail dialog scrolls sideways by {overflow} px at phone width.");
        await session.AssertCleanAsync();
    }

    [GeneratedRegex(@"\bis-dragging\b")]
    private static partial Regex Dragging();
}
