using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ImagePipeline.Web.Tests;

/// <summary>The detail view's Retry: <c>POST /v1/images/{id}/reprocess</c> for a failed image, and only for one.</summary>
[Trait("Category", "Integration")]
[Collection(WebCollection.Name)]
public sealed class RetryTests(WebFixture web)
{
    [Fact]
    public async Task Retry_on_a_failed_image_posts_reprocess_shows_it_processing_and_then_failed_again_with_the_same_code()
    {
        await using var session = await web.NewPageAsync();
        var page = session.Page;
        await session.GotoAsync();
        await session.ChooseFilesAsync(new FilePayload { Name = "retry-me.jpg", MimeType = "image/jpeg", Buffer = WebFixture.SlowCorruptJpeg });
        var id = await session.WaitUploadedAsync("retry-me.jpg");
        var card = await session.WaitCardAsync(id, "failed");
        await Expect(card.Locator(".error-code")).ToHaveTextAsync("corrupt_image");
        var before = await DetailAsync(id);

        await card.Locator(".card-link").ClickAsync();
        var dialog = page.Locator("#detail-dialog");
        var badge = dialog.Locator(".detail-status .badge");
        var retry = dialog.Locator("#detail-retry");
        await Expect(badge).ToHaveTextAsync("failed");
        await Expect(retry).ToBeVisibleAsync();
        await Expect(retry).ToHaveTextAsync("Retry");

        // A corrupt file stays corrupt: the image processes again and fails again. The API answers once the failed
        // stages are back to pending, so its answer says processing — unless, on a very busy machine, a stage already
        // failed again before the answer; then the page shows that, and Retry is tried once more.
        string status = "";
        for (var attempt = 1; attempt <= 3 && status != "processing"; attempt++)
        {
            var response = await page.RunAndWaitForResponseAsync(
                () => retry.ClickAsync(), r => r.Url.EndsWith($"/v1/images/{id}/reprocess", StringComparison.Ordinal));
            var request = response.Request;
            Assert.Equal("POST", request.Method);
            Assert.Equal("application/json", await request.HeaderValueAsync("content-type"));
            Assert.Equal("{}", request.PostData);
            Assert.Equal(202, response.Status);
            using var body = JsonDocument.Parse(await response.TextAsync());
            Assert.Equal(id, body.RootElement.GetProperty("id").GetString());
            status = body.RootElement.GetProperty("status").GetString() ?? "";
            if (status != "processing")
            {
                Assert.Equal("failed", status);
                await Expect(badge).ToHaveTextAsync("failed");
                await Expect(retry).ToBeEnabledAsync();
            }
        }

        Assert.Equal("processing", status);
        await Expect(badge).ToHaveTextAsync("processing");
        await Expect(dialog.Locator(".detail-status")).ToContainTextAsync("Updating automatically…");
        await Expect(retry).ToHaveCountAsync(0);
        await Expect(card).ToHaveAttributeAsync("data-status", "processing");
        await Expect(page.Locator("#announcer")).ToContainTextAsync("retry-me.jpg is being processed again.");

        // Then, live as for any image in progress: failed again, with the same code, and Retry offered again.
        await Expect(badge).ToHaveTextAsync("failed");
        await Expect(dialog.Locator(".detail-status .error-code")).ToHaveTextAsync("corrupt_image");
        await Expect(retry).ToBeVisibleAsync();
        await session.WaitCardAsync(id, "failed");
        await Expect(card.Locator(".error-code")).ToHaveTextAsync("corrupt_image");

        var after = await DetailAsync(id);
        Assert.Equal("failed", after.GetProperty("status").GetString());
        Assert.Equal("corrupt_image", after.GetProperty("error").GetProperty("code").GetString());
        Assert.True(after.GetProperty("updatedAt").GetDateTimeOffset() > before.GetProperty("updatedAt").GetDateTimeOffset(), "The image was not processed again.");
        await session.AssertCleanAsync();
    }

    [Fact]
    public async Task A_refused_retry_shows_the_problem_detail_and_leaves_the_image_as_it_was()
    {
        await using var session = await web.NewPageAsync();
        var page = session.Page;
        await session.GotoAsync();
        await session.ChooseFilesAsync(PageSession.FileFrom(WebFixture.SampleBroken("broken-truncated.jpg"), "refused.jpg"));
        var id = await session.WaitUploadedAsync("refused.jpg");
        var card = await session.WaitCardAsync(id, "failed");

        // What the API answers when another client retried the image a moment before (it is processing meanwhile). That
        // moment cannot be timed from here, so the answer is made up, in the API's words.
        var detail = $"Image {id} is still processing; reprocess it once it has finished.";
        var requests = 0;
        session.ExpectFailedRequest("/reprocess", 409);
        await page.RouteAsync($"**/v1/images/{id}/reprocess", route =>
        {
            Interlocked.Increment(ref requests);
            return route.FulfillAsync(new RouteFulfillOptions
            {
                Status = 409,
                ContentType = "application/problem+json",
                Body = JsonSerializer.Serialize(new { type = "about:blank", title = "Nothing to reprocess", status = 409, detail, imageStatus = "processing" }),
            });
        });

        await card.Locator(".card-link").ClickAsync();
        var dialog = page.Locator("#detail-dialog");
        var retry = dialog.Locator("#detail-retry");
        await retry.ClickAsync();

        var error = dialog.Locator("p.error-text[role='alert']");
        await Expect(error).ToBeVisibleAsync();
        await Expect(error).ToHaveTextAsync("Could not retry: " + detail);
        await Expect(retry).ToBeEnabledAsync();
        await Expect(retry).ToHaveTextAsync("Retry");
        await Expect(retry).ToBeFocusedAsync();
        await Expect(dialog.Locator(".detail-status .badge")).ToHaveTextAsync("failed");
        await Expect(card).ToHaveAttributeAsync("data-status", "failed");
        Assert.Equal(1, requests);
        await session.AssertCleanAsync();
    }

    [Fact]
    public async Task A_ready_image_offers_no_retry()
    {
        await using var session = await web.NewPageAsync();
        var page = session.Page;
        await session.GotoAsync();
        await session.ChooseFilesAsync(PageSession.FileFrom(WebFixture.SamplePhoto("tiny.jpg"), "no-retry.jpg"));
        var id = await session.WaitUploadedAsync("no-retry.jpg");
        var card = await session.WaitCardAsync(id, "ready");

        await card.Locator(".card-link").ClickAsync();
        var dialog = page.Locator("#detail-dialog");
        await Expect(dialog.Locator("#detail-title")).ToHaveTextAsync("no-retry.jpg");
        await Expect(dialog.Locator(".detail-status .badge")).ToHaveTextAsync("ready");
        await Expect(dialog.Locator("#detail-delete")).ToBeVisibleAsync();
        await Expect(dialog.Locator("#detail-retry")).ToHaveCountAsync(0);
        await session.AssertCleanAsync();
    }

    private async Task<JsonElement> DetailAsync(string id)
    {
        var text = await web.Api.GetStringAsync(new Uri($"/v1/images/{id}", UriKind.Relative), TestContext.Current.CancellationToken);
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
