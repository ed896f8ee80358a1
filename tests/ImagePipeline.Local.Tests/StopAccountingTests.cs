using System.Diagnostics;
using ImagePipeline.TestImages;

namespace ImagePipeline.Local.Tests;

/// <summary>
/// Stopping is not failing, and dying is: a graceful stop gives the receive back, a kill on the last allowed receive
/// dead-letters the message with the stage recorded failed/internal (never left processing), and reprocessing then
/// recovers the image.
/// </summary>
[Trait("Category", "Integration")]
public sealed class StopAccountingTests
{
    private static readonly Lazy<byte[]> Large = new(() => SyntheticImages.PhotoJpeg(8000, 6000));

    [Fact(Timeout = 120_000)]
    public async Task GracefulStop_WhileStagesRunOnTheirLastAttempt_GivesTheReceiveBackAndTheImageEndsReady()
    {
        await using var host = new LocalHost { ExtraArguments = ["--max-attempts", "1", "--concurrency", "1"] };
        await host.StartAsync();
        var id = await host.Client.UploadAsync(Large.Value, "large.jpg", "image/jpeg");
        await WaitForReceivedRowAsync(host);

        Assert.Equal(0, await host.InterruptAsync(TimeSpan.FromSeconds(60)));

        var rows = await QueueDb.RowsAsync(host);
        Assert.NotEmpty(rows);
        Assert.All(rows, row => Assert.Equal(0, row.Attempts));
        Assert.Equal(0, (await QueueDb.CountsAsync(host)).DeadLetters);

        await host.StartAsync();
        var detail = await host.Client.WaitForStatusAsync(id, HostClient.Terminal, TimeSpan.FromSeconds(60));
        Assert.Equal("ready", detail.GetProperty("status").GetString());
    }

    [Fact(Timeout = 120_000)]
    public async Task Kill_WhileStagesRunOnTheirLastAttempt_DeadLettersAsInternal_AndReprocessRecovers()
    {
        await using var host = new LocalHost { ExtraArguments = ["--max-attempts", "1", "--concurrency", "1"] };
        await host.StartAsync();
        var id = await host.Client.UploadAsync(Large.Value, "large.jpg", "image/jpeg");
        await WaitForReceivedRowAsync(host);

        await host.KillAsync();
        await host.StartAsync();

        var failed = await host.Client.WaitForStatusAsync(id, HostClient.Terminal, TimeSpan.FromSeconds(60));
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Equal("internal", failed.GetProperty("error").GetProperty("code").GetString());
        Assert.True((await QueueDb.CountsAsync(host)).DeadLetters >= 1);

        using var reprocess = await host.Http.PostAsync($"/v1/images/{id}/reprocess", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, reprocess.StatusCode);
        var ready = await host.Client.WaitForStatusAsync(id, HostClient.Terminal, TimeSpan.FromSeconds(60));
        Assert.Equal("ready", ready.GetProperty("status").GetString());
    }

    // A row whose receive was counted is being worked on.
    private static async Task WaitForReceivedRowAsync(LocalHost host)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!(await QueueDb.RowsAsync(host)).Any(row => row.Attempts == 1))
        {
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(20), $"No stage started within 20 s.{Environment.NewLine}{host.OutputTail()}");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }
}
