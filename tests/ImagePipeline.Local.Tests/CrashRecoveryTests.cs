using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace ImagePipeline.Local.Tests;

/// <summary>kill -9 in the middle of processing loses nothing: the durable outbox finishes every upload after a restart.</summary>
[Trait("Category", "Integration")]
public sealed class CrashRecoveryTests
{
    private const int Count = 50;

    [Fact(Timeout = 180_000)]
    public async Task KillDashNine_WhileProcessingUploads_RestartFinishesEveryUpload()
    {
        // One image per stage at a time until the crash, so that on any machine the uploads outrun the processing and
        // the crash lands mid-way; the restart uses the default concurrency (one per core).
        await using var host = new LocalHost { ExtraArguments = ["--concurrency", "1"] };
        await host.StartAsync();
        var api = host.Client;
        var bytes = TestFiles.Sample("orientation-1.jpg");

        var tickets = new List<UploadTicket>();
        for (var i = 0; i < Count; i++)
        {
            tickets.Add(await api.CreateUploadAsync($"crash-{i:00}.jpg", "image/jpeg", bytes.Length));
        }

        // Every PUT as fast as possible, 8 at a time; each answered 200 means the original is durable and announced.
        await Parallel.ForEachAsync(
            tickets,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = TestContext.Current.CancellationToken },
            async (ticket, _) => await api.PutOriginalAsync(ticket, bytes));

        // Crash as soon as something is ready, but not everything.
        var ids = tickets.Select(t => t.ImageId).ToHashSet();
        var stopwatch = Stopwatch.StartNew();
        int ready;
        while ((ready = await CountReadyAsync(host, ids)) == 0)
        {
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(30), $"Nothing became ready within 30 s.{Environment.NewLine}{host.OutputTail()}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        await host.KillAsync();
        Assert.True(ready < Count, $"All {Count} images were ready before the crash: the test did not crash mid-way.");
        var (leftOver, _) = await QueueDb.CountsAsync(host);
        Assert.True(leftOver > 0, "The outbox was empty at the crash although images were still being processed.");
        TestContext.Current.TestOutputHelper?.WriteLine($"Killed with {ready} of {Count} ready and {leftOver} outbox rows left.");

        host.ExtraArguments = [];
        await host.RestartAsync();
        stopwatch.Restart();
        while ((ready = await CountReadyAsync(host, ids)) < Count)
        {
            Assert.True(
                stopwatch.Elapsed < TimeSpan.FromSeconds(120),
                $"Only {ready} of {Count} images are ready 120 s after the restart.{Environment.NewLine}{host.OutputTail()}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"All {Count} ready {stopwatch.Elapsed.TotalSeconds:0.0} s after the restart.");
        await QueueDb.WaitUntilEmptyAsync(host, TimeSpan.FromSeconds(10));
        Assert.Equal((0, 0), await QueueDb.CountsAsync(host));

        // Nothing half-made: every image's thumbnail and rendition are whole WebP files as recorded, and its original
        // bytes are intact.
        foreach (var ticket in tickets)
        {
            var detail = await api.DetailAsync(ticket.ImageId);
            Assert.Equal("ready", detail.GetProperty("status").GetString());
            var thumbnail = detail.GetProperty("thumbnail");
            var thumbnailBytes = await api.DownloadAsync(new Uri(thumbnail.GetProperty("url").GetString()!));
            Assert.Equal((256, 256), TestFiles.WebpSize(thumbnailBytes));
            Assert.Equal(thumbnail.GetProperty("bytes").GetInt64(), thumbnailBytes.Length);
            var rendition = Assert.Single(detail.GetProperty("renditions").EnumerateArray());
            Assert.Equal("w320", rendition.GetProperty("name").GetString());
            var renditionBytes = await api.DownloadAsync(new Uri(rendition.GetProperty("url").GetString()!));
            Assert.Equal((320, rendition.GetProperty("height").GetInt32()), TestFiles.WebpSize(renditionBytes));
            Assert.Equal(rendition.GetProperty("bytes").GetInt64(), renditionBytes.Length);
            Assert.Equal(bytes, await api.DownloadAsync(await api.RedirectAsync($"/v1/images/{ticket.ImageId}/original")));
        }

        Assert.Contains("=== start #2", host.Output, StringComparison.Ordinal);
    }

    private static async Task<int> CountReadyAsync(LocalHost host, IReadOnlySet<string> ids)
    {
        using var response = await host.Http.GetAsync("/v1/images?limit=100", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        return page.GetProperty("items").EnumerateArray()
            .Count(item => ids.Contains(item.GetProperty("id").GetString()!) && item.GetProperty("status").GetString() == "ready");
    }

    [Fact(Timeout = 60_000)]
    public async Task Restart_AfterACrashMidWrite_RemovesThePartialWrite()
    {
        await using var host = new LocalHost();
        await host.StartAsync();
        await host.KillAsync();
        var originals = Path.Combine(host.DataDirectory, "objects", "originals");
        Directory.CreateDirectory(originals);
        var partial = Path.Combine(originals, $".{Guid.CreateVersion7()}.{Guid.NewGuid():N}.tmp");
        await File.WriteAllBytesAsync(partial, new byte[4096], TestContext.Current.CancellationToken);

        await host.StartAsync();

        Assert.False(File.Exists(partial), "A partial write from before the crash survived the restart.");
    }
}
