using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ImagePipeline.Local.Tests;

/// <summary>
/// The failure model, proved against the real host process: a batch of uploads while the test, at random moments from
/// a seeded generator (printed, and settable with IMAGEPIPELINE_FAULT_SEED to replay a run), kills the host (SIGKILL),
/// stops it (SIGINT), restarts it with its clock 25 hours ahead, while a fraction of the stages' catalog and object-store
/// calls fail transiently (the host's test switch). Afterwards nothing is lost and nothing is stuck.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Category", "Faults")]
public sealed partial class FaultInjectionTests
{
    private const double StorageFaultRate = 0.05;

    private static readonly (string File, string Type, string? Code)[] Inputs =
    [
        ("camera-gps.jpg", "image/jpeg", null), ("orientation-6.jpg", "image/jpeg", null), ("alpha.png", "image/png", null),
        ("photo.webp", "image/webp", null), ("animated.gif", "image/gif", null), ("portrait-6.jpg", "image/jpeg", null),
        ("orientation-3.jpg", "image/jpeg", null), ("tiny.jpg", "image/jpeg", null),
        ("broken-truncated.jpg", "image/jpeg", "corrupt_image"), ("broken-text.jpg", "image/jpeg", "unsupported_format"),
        ("bomb-120mp.png", "image/png", "too_many_pixels"),
    ];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact(Timeout = 300_000)]
    public async Task Uploads_UnderKillsStopsClockJumpsAndStorageFaults_NothingLostNothingStuck()
    {
        var seed = Environment.GetEnvironmentVariable("IMAGEPIPELINE_FAULT_SEED") is { Length: > 0 } fixedSeed
            ? int.Parse(fixedSeed, System.Globalization.CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        var random = new Random(seed);
        var log = new StringBuilder($"fault seed {seed} (replay with IMAGEPIPELINE_FAULT_SEED={seed})\n");
        await using var host = new LocalHost { ExtraArguments = ["--max-attempts", "10"] };
        host.ExtraEnvironment["IMAGEPIPELINE_TEST_FAULTS"] = FormattableString.Invariant($"seed={seed};rate={StorageFaultRate}");
        try
        {
            await host.StartAsync();
            var uploads = new List<(string Id, string File, string? Code)>();
            var uploading = Task.Run(async () =>
            {
                for (var i = 0; i < 36; i++)
                {
                    var (file, type, code) = Inputs[i % Inputs.Length];
                    var id = await UploadThroughFaultsAsync(host, TestFiles.Sample(file), $"{i:00}-{file}", type);
                    lock (uploads)
                    {
                        uploads.Add((id, file, code));
                    }
                }
            }, Cancel);

            // The faults, in a seeded order, while uploads and processing go on.
            string[] faults = ["kill", "interrupt", "clock", "kill", "interrupt", "kill"];
            random.Shuffle(faults);
            var counts = faults.CountBy(f => f).ToDictionary();
            var clockJumped = false;
            foreach (var fault in faults)
            {
                await Task.Delay(random.Next(300, 2500), Cancel);
                switch (fault)
                {
                    case "kill":
                        await host.KillAsync();
                        break;
                    case "interrupt":
                        var code = await host.InterruptAsync(TimeSpan.FromSeconds(60));
                        Assert.True(code == 0, $"A graceful stop exited with {code}.\n{log}{host.OutputTail()}");
                        break;
                    default:
                        await host.InterruptAsync(TimeSpan.FromSeconds(60));
                        host.ExtraEnvironment["IMAGEPIPELINE_TEST_CLOCK_OFFSET"] = "1.01:00:00";
                        clockJumped = true;
                        break;
                }

                log.Append(FormattableString.Invariant($"{fault} after {uploads.Count} uploads\n"));
                await host.StartAsync();
            }

            await uploading;
            Assert.True(clockJumped);

            // Everything accepted ends ready, or failed with its permanent code; nothing stays processing.
            var stopwatch = Stopwatch.StartNew();
            var details = new Dictionary<string, JsonElement>();
            while (details.Count < uploads.Count)
            {
                foreach (var (id, _, _) in uploads.Where(u => !details.ContainsKey(u.Id)))
                {
                    // A landed upload whose stages have not written yet is hidden after 24 h (the clock jumped): 404 for now.
                    using var response = await host.Http.GetAsync($"/v1/images/{id}", Cancel);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.Clone();
                        if (detail.GetProperty("status").GetString() is "ready" or "failed")
                        {
                            details[id] = detail;
                        }
                    }
                }

                Assert.True(
                    stopwatch.Elapsed < TimeSpan.FromSeconds(150),
                    $"{uploads.Count - details.Count} of {uploads.Count} images not finished 150 s after the last fault.\n{log}{host.OutputTail()}");
                await Task.Delay(200, Cancel);
            }

            foreach (var (id, file, code) in uploads)
            {
                var detail = details[id];
                var status = detail.GetProperty("status").GetString();
                var error = detail.GetProperty("error");
                var actual = error.ValueKind == JsonValueKind.Null ? null : error.GetProperty("code").GetString();
                Assert.True(
                    code is null ? status == "ready" : status == "failed" && actual == code,
                    $"{file} ({id}) ended {status} {actual}, expected {(code is null ? "ready" : "failed " + code)}.\n{log}{host.OutputTail()}");
                Assert.True(File.Exists(Path.Combine(host.DataDirectory, "objects", "originals", id)), $"The original of {file} ({id}) is gone.\n{log}");
            }

            // No derived object without a live record.
            var live = uploads.Select(u => u.Id).ToHashSet();
            var derived = Path.Combine(host.DataDirectory, "objects", "derived");
            foreach (var path in Directory.Exists(derived) ? Directory.EnumerateFiles(derived, "*", SearchOption.AllDirectories) : [])
            {
                var relative = Path.GetRelativePath(derived, path).Split(Path.DirectorySeparatorChar);
                if (relative[^1].StartsWith('.'))
                {
                    continue; // sidecars
                }

                Assert.True(live.Contains(relative[1]), $"Derived object {string.Join('/', relative)} has no live record.\n{log}");
            }

            // The host logs every injected fault, across all its lives.
            await QueueDb.WaitUntilEmptyAsync(host, TimeSpan.FromSeconds(30));
            await host.InterruptAsync(TimeSpan.FromSeconds(60));
            var injected = InjectedRegex().Matches(host.Output).Count;
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"Fault suite: seed {seed}, {uploads.Count} uploads, {counts.GetValueOrDefault("kill")} SIGKILL, {counts.GetValueOrDefault("interrupt")} SIGINT, 1 clock jump of +25 h, " +
                $"{injected} storage faults injected, lost 0, stuck 0, {details.Values.Count(d => d.GetProperty("status").GetString() == "ready")} ready, " +
                $"{details.Values.Count(d => d.GetProperty("status").GetString() == "failed")} failed with their permanent code, in {stopwatch.Elapsed.TotalSeconds:0.0} s after the last fault.");
            Assert.True(injected > 0, "No storage fault was injected: the test switch is not wired.");
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"{log}{host.OutputTail()}", e);
        }
    }

    /// <summary>
    /// An upload that survives the host going away: the POST and the PUT are retried until the host answers; an upload
    /// URL that expired (the clock jumped) is asked for again; a 412 means an earlier PUT landed after all.
    /// </summary>
    private static async Task<string> UploadThroughFaultsAsync(LocalHost host, byte[] bytes, string fileName, string type)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(120), $"Could not upload {fileName} for 120 s.\n{host.OutputTail()}");
            try
            {
                var ticket = await host.Client.CreateUploadAsync(fileName, type, bytes.Length);
                while (true)
                {
                    try
                    {
                        using var response = await host.Client.PutAsync(ticket.Url, bytes, ticket.Headers);
                        if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.PreconditionFailed)
                        {
                            return ticket.ImageId;
                        }

                        if (response.StatusCode == HttpStatusCode.Forbidden)
                        {
                            break; // expired under the jumped clock: a new upload
                        }

                        Assert.Fail($"PUT {fileName}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Cancel)}");
                    }
                    catch (Exception e) when (IsHostDown(e))
                    {
                        await Task.Delay(200, Cancel);
                    }
                }
            }
            catch (Exception e) when (IsHostDown(e))
            {
                await Task.Delay(200, Cancel);
            }
        }
    }

    private static bool IsHostDown(Exception e) =>
        e is HttpRequestException or InvalidOperationException or ObjectDisposedException or TaskCanceledException
        && !Cancel.IsCancellationRequested;

    [GeneratedRegex(@"Injected storage fault (before|after) ")]
    private static partial Regex InjectedRegex();
}
