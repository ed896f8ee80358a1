using static Microsoft.Playwright.Assertions;

namespace ImagePipeline.Web.Tests;

[Trait("Category", "Integration")]
[Collection(WebCollection.Name)]
public sealed class KeyboardTests(WebFixture web)
{
    [Fact]
    public async Task Tab_reaches_the_drop_zone_and_Enter_or_Space_opens_the_file_picker()
    {
        await using var session = await web.NewPageAsync();
        var page = session.Page;
        await session.GotoAsync();
        // Playwright turns file-chooser interception on lazily, without waiting, when the first listener subscribes; a
        // listener held for the whole test makes sure it is on before any key press can open the picker.
        page.FileChooser += KeepInterceptingFileChoosers;

        // From the top of the page: the skip link, then the drop zone (a <button>) within a few Tab presses.
        var reached = false;
        for (var i = 0; i < 6 && !reached; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            reached = await page.EvaluateAsync<bool>("() => document.activeElement?.id === 'dropzone'");
        }

        Assert.True(reached, "Tab never reached the drop zone.");
        var dropzone = page.Locator("#dropzone");
        await Expect(dropzone).ToBeFocusedAsync();
        await Expect(dropzone).ToHaveAccessibleNameAsync(new System.Text.RegularExpressions.Regex("choose files"));
        // Visible focus: the focus ring is drawn.
        var outline = await dropzone.EvaluateAsync<string>("e => getComputedStyle(e).outlineStyle");
        Assert.Equal("solid", outline);

        var chooser = await page.RunAndWaitForFileChooserAsync(() => page.Keyboard.PressAsync("Enter"));
        Assert.True(chooser.IsMultiple, "The picker must accept several files.");
        await chooser.SetFilesAsync(WebFixture.SamplePhoto("orientation-6.jpg"));
        var id = await session.WaitUploadedAsync("orientation-6.jpg");
        var card = await session.WaitCardAsync(id, "ready");

        await dropzone.FocusAsync();
        var second = await page.RunAndWaitForFileChooserAsync(() => page.Keyboard.PressAsync(" "));
        Assert.True(second.IsMultiple);

        // The card opens with Enter; the dialog takes focus; Escape returns it to the card.
        var link = card.Locator(".card-link");
        await link.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var dialog = page.Locator("#detail-dialog");
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog.Locator("#detail-title")).ToHaveTextAsync("orientation-6.jpg");
        Assert.True(await page.EvaluateAsync<bool>("() => document.getElementById('detail-dialog').contains(document.activeElement)"),
            "Focus did not move into the detail dialog.");
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToBeHiddenAsync();
        await Expect(link).ToBeFocusedAsync();
        await session.WaitAllSettledAsync();
        await session.AssertCleanAsync();
        page.FileChooser -= KeepInterceptingFileChoosers;
    }

    private static void KeepInterceptingFileChoosers(object? sender, Microsoft.Playwright.IFileChooser chooser)
    {
    }
}
