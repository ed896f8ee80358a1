using System.Security.Cryptography;
using System.Text.Json;
using ImagePipeline.Core.Events;

namespace ImagePipeline.Local.Tests;

/// <summary>
/// At-least-once delivery: the same S3 event delivered again (or a stale one, for other bytes) is written straight into
/// the host's outbox, exactly as the upload endpoint does, and must change nothing.
/// </summary>
[Collection(SharedHostCollection.Name)]
[Trait("Category", "Integration")]
public sealed class DuplicateDeliveryTests(LocalHost host)
{
    private const string OriginalsBucket = "local-originals";
    private static readonly string[] Stages = ["resize", "thumbnail"];

    private HostClient Api => host.Client;

    [Fact(Timeout = 60_000)]
    public async Task OutboxRedelivery_ReadyImage_ChangesNothing()
    {
        var bytes = TestFiles.Sample("orientation-6.jpg");
        var before = await Api.UploadAndWaitAsync(bytes, "redelivered.jpg", "image/jpeg", TimeSpan.FromSeconds(30));
        Assert.Equal("ready", before.GetProperty("status").GetString());
        var id = before.GetProperty("id").GetString()!;
        var thumbnailBefore = await Api.DownloadAsync(await Api.RedirectAsync($"/v1/images/{id}/thumbnail"));
        var renditionBytesBefore = await RenditionBytesAsync(before);

        var key = $"originals/{id}";
        var duplicate = S3EventParser.Serialize(new ObjectCreated(OriginalsBucket, key, bytes.Length, Md5Hex(bytes), null), DateTimeOffset.UtcNow);
        var stale = S3EventParser.Serialize(new ObjectCreated(OriginalsBucket, key, bytes.Length, Md5Hex([.. bytes, 1]), null), DateTimeOffset.UtcNow);
        foreach (var stage in Stages)
        {
            await QueueDb.InsertAsync(host, stage, key, duplicate);
            await QueueDb.InsertAsync(host, stage, key, stale);
        }

        await QueueDb.WaitUntilEmptyAsync(host, TimeSpan.FromSeconds(20));

        var after = await Api.DetailAsync(id);
        AssertSameFacts(before, after);
        Assert.Equal(thumbnailBefore, await Api.DownloadAsync(await Api.RedirectAsync($"/v1/images/{id}/thumbnail")));
        Assert.Equal(renditionBytesBefore, await RenditionBytesAsync(after));
        Assert.Equal(bytes, await Api.DownloadAsync(await Api.RedirectAsync($"/v1/images/{id}/original")));

        // Each redelivery was received and acknowledged as a duplicate (the stage was done), not dead-lettered.
        foreach (var stage in Stages)
        {
            Assert.Contains($"Stage {stage} duplicate image {id}", host.Output, StringComparison.Ordinal);
        }

        Assert.Equal(0, (await QueueDb.CountsAsync(host)).DeadLetters);
    }

    [Fact(Timeout = 60_000)]
    public async Task StaleEvent_FailedImage_ChangesNothing()
    {
        // A failed stage is not done, so a stale event gets past the duplicate check and must be stopped by the etag.
        var bytes = TestFiles.Sample("broken-truncated.jpg");
        var before = await Api.UploadAndWaitAsync(bytes, "stale.jpg", "image/jpeg", TimeSpan.FromSeconds(30));
        Assert.Equal("failed", before.GetProperty("status").GetString());
        var id = before.GetProperty("id").GetString()!;
        var key = $"originals/{id}";
        var otherBytes = TestFiles.Sample("orientation-1.jpg");
        var stale = S3EventParser.Serialize(new ObjectCreated(OriginalsBucket, key, otherBytes.Length, Md5Hex(otherBytes), null), DateTimeOffset.UtcNow);
        foreach (var stage in Stages)
        {
            await QueueDb.InsertAsync(host, stage, key, stale);
        }

        await QueueDb.WaitUntilEmptyAsync(host, TimeSpan.FromSeconds(20));

        AssertSameFacts(before, await Api.DetailAsync(id));
        foreach (var stage in Stages)
        {
            Assert.Contains($"Stage {stage} stale image {id}", host.Output, StringComparison.Ordinal);
        }

        Assert.Equal(bytes, await Api.DownloadAsync(await Api.RedirectAsync($"/v1/images/{id}/original")));
    }

    private static void AssertSameFacts(JsonElement before, JsonElement after)
    {
        foreach (var property in new[] { "status", "updatedAt", "createdAt", "fileName", "metadata", "error" })
        {
            Assert.Equal(before.GetProperty(property).GetRawText(), after.GetProperty(property).GetRawText());
        }

        // URLs are signed per request (their expiry moves on); everything else must be identical.
        Assert.Equal(OriginalFacts(before), OriginalFacts(after));
        Assert.Equal(Facts(before.GetProperty("renditions")), Facts(after.GetProperty("renditions")));
        Assert.Equal(ThumbnailFacts(before), ThumbnailFacts(after));

        static string OriginalFacts(JsonElement detail) => detail.GetProperty("original") is { ValueKind: JsonValueKind.Object } o
            ? $"{o.GetProperty("format")} {o.GetProperty("width")}x{o.GetProperty("height")} {o.GetProperty("bytes")}"
            : "null";

        static string[] Facts(JsonElement renditions) =>
            [.. renditions.EnumerateArray().Select(r => $"{r.GetProperty("name")} {r.GetProperty("width")}x{r.GetProperty("height")} {r.GetProperty("format")} {r.GetProperty("bytes")}")];

        static string ThumbnailFacts(JsonElement detail) =>
            detail.GetProperty("thumbnail") is { ValueKind: JsonValueKind.Object } t
                ? $"{t.GetProperty("width")}x{t.GetProperty("height")} {t.GetProperty("format")} {t.GetProperty("bytes")}"
                : "none";
    }

    private async Task<List<byte[]>> RenditionBytesAsync(JsonElement detail)
    {
        var all = new List<byte[]>();
        foreach (var rendition in detail.GetProperty("renditions").EnumerateArray())
        {
            all.Add(await Api.DownloadAsync(new Uri(rendition.GetProperty("url").GetString()!)));
        }

        return all;
    }

    private static string Md5Hex(byte[] bytes) => Convert.ToHexStringLower(MD5.HashData(bytes));
}
