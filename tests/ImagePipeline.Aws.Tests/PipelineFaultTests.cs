using System.Diagnostics;
using System.Globalization;
using Amazon.S3.Model;
using ImagePipeline.Core;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Events;
using ImagePipeline.Core.Services;
using ImagePipeline.Core.Storage;
using ImagePipeline.Emulators;
using ImagePipeline.Imaging;

namespace ImagePipeline.Aws.Tests;

/// <summary>
/// The durability proof against the AWS adapters: uploads' worth of stage events run through Core's
/// <see cref="StageProcessor"/> (real libvips engine) with the real S3 and DynamoDB adapters, whose SDK clients fail a
/// seeded-random fraction of requests (<see cref="FaultInjector"/>: throttling, 5xx, dropped connections, timeouts, and
/// writes applied whose answer is lost), the SDK's own retries off so every fault reaches our code. A small SQS model
/// delivers the messages in a seeded-random order, at least once (some twice), lets some receives die with the process
/// (a crash, OOM kill or timeout: the receive is spent and nothing is recorded; for two images, one stage's process dies
/// on every receive, as on an image that always runs out of memory), redelivers every Retry disposition up
/// to maxReceiveCount (5), then hands the message to what the deadletter function does (AbandonMessageAsync, 3 receives,
/// then a parking queue); a few images are deleted meanwhile by clients that retry their DELETE. Afterwards: no image is
/// left processing (unless its dead letter was parked: the operator's alarm, about rate³ per dead letter); every image
/// is ready, or failed with its permanent code (hostile inputs), or failed/internal only where the model saw that
/// stage's receives run out; every live original is present; deleted images left nothing; no derived object lacks a
/// live record; every recorded output exists.
/// Set IMAGEPIPELINE_FAULT_SEED to replay a run (the model is sequential, so a seed replays the same faults),
/// IMAGEPIPELINE_FAULT_RATE to change the fault rate.
/// </summary>
[Collection(EmulatorCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "Faults")]
public sealed class PipelineFaultTests(AwsEmulators emulators, ITestOutputHelper output)
{
    private const int MaxReceives = 5;
    private const int DeadLetterReceives = 3;
    private const int DeleteAttempts = 30;
    private const double DefaultRate = 0.15;

    /// <summary>The share of source-queue receives on which the process dies before recording anything.</summary>
    private const double CrashRate = 0.1;

    private static readonly (string File, string? Code)[] Inputs =
    [
        ("photos/orientation-1.jpg", null), ("photos/orientation-2.jpg", null), ("photos/orientation-3.jpg", null),
        ("photos/orientation-4.jpg", null), ("photos/orientation-5.jpg", null), ("photos/orientation-6.jpg", null),
        ("photos/orientation-7.jpg", null), ("photos/orientation-8.jpg", null), ("photos/tiny.jpg", null),
        ("photos/photo.webp", null), ("photos/alpha.png", null), ("photos/animated.gif", null), ("photos/portrait-6.jpg", null),
        ("photos/camera-gps.jpg", null),
        ("broken/broken-truncated.jpg", "corrupt_image"), ("broken/broken-text.jpg", "unsupported_format"),
        ("broken/broken-empty.jpg", "unsupported_format"), ("broken/bomb-120mp.png", "too_many_pixels"),
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Upload(Guid Id, string File, string? ExpectedCode, string Body);

    /// <summary>A message in the model: a stage event in a source queue or a dead-letter queue, or a client's DELETE.</summary>
    private sealed class Item
    {
        public required Upload Upload { get; init; }

        public Stage Stage { get; init; }

        public bool IsDelete { get; init; }

        public bool IsDeadLetter { get; set; }

        public int Receives { get; set; }
    }

    [Fact]
    public async Task StageEvents_UnderInjectedFaults_EveryImageEndsReadyOrFailedForAReasonAndNothingIsLostOrOrphaned()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("IMAGEPIPELINE_FAULT_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s)
            ? s
            : Random.Shared.Next();
        var rate = double.TryParse(Environment.GetEnvironmentVariable("IMAGEPIPELINE_FAULT_RATE"), NumberStyles.Float, CultureInfo.InvariantCulture, out var r)
            ? r
            : DefaultRate;
        Log($"Fault run: seed {seed}, rate {rate:0.###} (IMAGEPIPELINE_FAULT_SEED={seed} replays it)");
        var watch = Stopwatch.StartNew();

        // Set up without faults: buckets, table, originals and pending records, as uploads leave them.
        var faults = new FaultInjector(seed, rate) { Enabled = false };
        using var s3 = emulators.CreateS3Client(config => faults.Configure(config, FaultService.S3));
        using var dynamo = emulators.CreateDynamoDbClient(config => faults.Configure(config, FaultService.DynamoDb));
        var buckets = await emulators.CreateBucketsAsync(Ct);
        var table = await emulators.CreateTableAsync(Ct);
        var catalog = new DynamoImageCatalog(dynamo, table);
        var store = new S3ObjectStore(s3, buckets, TimeProvider.System, emulators.Credentials);
        var options = new PipelineOptions { CursorKey = new byte[32], MaxAttempts = MaxReceives };
        var processor = new StageProcessor(catalog, store, new LibvipsImageEngine(), options, TimeProvider.System);
        var deletes = new DeleteService(catalog, store, options, TimeProvider.System);
        var uploads = new List<Upload>();
        foreach (var (file, code) in Inputs.Concat(Inputs.Where(i => i.Code is null && !i.File.Contains("camera", StringComparison.Ordinal))))
        {
            uploads.Add(await UploadAsync(buckets, new DynamoImageCatalog(emulators.DynamoDb, table), file, code));
        }

        // Messages: one per stage per upload, some delivered twice (S3 and SQS are at-least-once); three DELETEs.
        var order = new Random(unchecked(seed * 31 + 7));
        var pool = new List<Item>();
        foreach (var upload in uploads)
        {
            foreach (var stage in new[] { Stage.Resize, Stage.Thumbnail })
            {
                pool.Add(new Item { Upload = upload, Stage = stage });
                if (order.NextDouble() < 0.2)
                {
                    pool.Add(new Item { Upload = upload, Stage = stage });
                }
            }
        }

        var good = uploads.Where(u => u.ExpectedCode is null).OrderBy(_ => order.Next()).ToList();
        var deleted = good.Take(3).ToHashSet();
        pool.AddRange(deleted.Select(u => new Item { Upload = u, IsDelete = true }));

        // Two images on which one stage's process dies on every receive: their events can only end in the dead-letter path.
        var killers = new HashSet<(Guid, Stage)> { (good[3].Id, Stage.Resize), (good[4].Id, Stage.Thumbnail) };

        // Run the model with faults on.
        var exhausted = new HashSet<(Guid, Stage)>();
        var parked = new List<Item>();
        var deliveries = 0;
        var crashes = 0;
        faults.Enabled = true;
        while (pool.Count > 0)
        {
            var index = order.Next(pool.Count);
            var item = pool[index];
            pool.RemoveAt(index);
            item.Receives++;
            deliveries++;
            if (item.IsDelete)
            {
                if (!await TryDeleteAsync(deletes, item) && item.Receives < DeleteAttempts)
                {
                    pool.Add(item);
                }

                continue;
            }

            IReadOnlyList<StageReport> reports;
            if (!item.IsDeadLetter && (order.NextDouble() < CrashRate || killers.Contains((item.Upload.Id, item.Stage))))
            {
                // The process died with the message in hand: the receive is spent, nothing is recorded.
                crashes++;
                reports = [new StageReport(StageDisposition.Retry, "crashed", item.Upload.Id, null, "crashed", TimeSpan.Zero, 0)];
            }
            else
            {
                reports = item.IsDeadLetter
                    ? await processor.AbandonMessageAsync(item.Stage, item.Upload.Body, $"the message reached the dead-letter queue after {MaxReceives} receives.", Ct)
                    : await processor.ProcessMessageAsync(item.Stage, item.Upload.Body, item.Receives, Ct);
            }

            if (reports.Any(report => report.Outcome == "gave-up"))
            {
                exhausted.Add((item.Upload.Id, item.Stage));
            }

            if (reports.All(report => report.Disposition == StageDisposition.Acknowledge))
            {
                continue;
            }

            if (!item.IsDeadLetter && item.Receives >= MaxReceives)
            {
                // The source queue's redrive: to the dead-letter queue, where the deadletter function receives it.
                exhausted.Add((item.Upload.Id, item.Stage));
                item.IsDeadLetter = true;
                item.Receives = 0;
                pool.Add(item);
            }
            else if (item.IsDeadLetter && item.Receives >= DeadLetterReceives)
            {
                parked.Add(item);
            }
            else
            {
                pool.Add(item);
            }
        }

        faults.Enabled = false;
        var injected = string.Join(", ", faults.Injected.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key}: {k.Value}"));
        Log($"Injected {faults.InjectedTotal} faults in {faults.Requests} requests ({injected}); {deliveries} deliveries of {uploads.Count} uploads, " +
            $"{crashes} receives crashed, {exhausted.Count} stage(s) ran out of receives, {parked.Count} dead letter(s) parked; {watch.Elapsed.TotalSeconds:0.0} s");
        var context = $"(seed {seed}, rate {rate}; IMAGEPIPELINE_FAULT_SEED={seed} replays it)";

        // Faults really happened, of every kind, and reached our code.
        Assert.True(faults.InjectedTotal >= 20, $"only {faults.InjectedTotal} faults injected {context}");
        Assert.True(parked.Count <= 1, $"{parked.Count} dead letters could not be recorded in {DeadLetterReceives} receives each {context}");
        var parkedStages = parked.Select(p => (p.Upload.Id, p.Stage)).ToHashSet();
        Assert.True(killers.IsSubsetOf(exhausted), $"a stage that crashed on every receive did not reach the dead-letter path {context}");

        // Every image ends somewhere: ready, or failed for a reason; nothing processing; nothing lost; nothing orphaned.
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var upload in uploads)
        {
            var record = await new DynamoImageCatalog(emulators.DynamoDb, table).GetAsync(upload.Id, Ct);
            Assert.True(record is not null, $"{upload.File} {ImageIds.Format(upload.Id)}: the record is gone {context}");
            var what = $"{upload.File} {ImageIds.Format(upload.Id)} {context}";
            if (deleted.Contains(upload))
            {
                Assert.True(record.DeletedAt is not null, $"{what}: deleted, but no tombstone");
                Assert.False(await ExistsAsync(buckets.OriginalsBucket, ObjectKeys.Original(upload.Id)), $"{what}: deleted, but the original is still there");
                Count(outcomes, "deleted");
                continue;
            }

            Assert.True(record.DeletedAt is null, $"{what}: never deleted, but tombstoned");
            Assert.True(await ExistsAsync(buckets.OriginalsBucket, ObjectKeys.Original(upload.Id)), $"{what}: the original is lost");
            foreach (var stage in new[] { Stage.Resize, Stage.Thumbnail })
            {
                var state = record.StateOf(stage);
                var error = record.ErrorOf(stage);
                var ranOut = exhausted.Contains((upload.Id, stage));
                if (state == StageState.Pending && parkedStages.Contains((upload.Id, stage)))
                {
                    // Its dead letter sits in the parking queue, whose alarm calls an operator: the designed last resort.
                    Log($"{what}: {stage.ToName()} left pending, its dead letter parked");
                    continue;
                }

                Assert.True(state != StageState.Pending, $"{what}: {stage.ToName()} is still pending (image {record.Status.ToName()})");
                if (state == StageState.Failed && error?.Code == "internal")
                {
                    Assert.True(ranOut, $"{what}: {stage.ToName()} failed/internal without running out of receives: {error.Message}");
                }
                else if (upload.ExpectedCode is { } code)
                {
                    Assert.True(state == StageState.Failed && error?.Code == code, $"{what}: {stage.ToName()} is {state.ToName()} {error?.Code}, expected failed {code}");
                }
                else
                {
                    Assert.True(state == StageState.Done, $"{what}: {stage.ToName()} is {state.ToName()} {error?.Code}: {error?.Message}");
                }
            }

            foreach (var output in (record.Renditions ?? []).Concat(record.Thumbnail is { } t ? [t] : []))
            {
                Assert.True(await ExistsAsync(buckets.DerivedBucket, output.Key), $"{what}: recorded output {output.Key} is missing");
            }

            Count(outcomes, record.Status == ImageStatus.Failed
                ? "failed " + string.Join("+", new[] { record.ResizeError?.Code, record.ThumbnailError?.Code }.Where(c => c is not null).Distinct())
                : record.Status.ToName());
        }

        var live = uploads.Where(u => !deleted.Contains(u)).Select(u => ImageIds.Format(u.Id)).ToHashSet(StringComparer.Ordinal);
        foreach (var key in await ListAsync(buckets.DerivedBucket))
        {
            // renditions/{id}/r1/w320.webp, thumbnails/{id}/r1/256.webp
            var id = key.Split('/') is [_, var text, ..] ? text : key;
            Assert.True(live.Contains(id), $"derived object {key} has no live record {context}");
        }

        Log("Outcomes: " + string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}: {o.Value}")) +
            $"; {watch.Elapsed.TotalSeconds:0.0} s in all");
    }

    private async Task<Upload> UploadAsync(S3StoreOptions buckets, DynamoImageCatalog cleanCatalog, string file, string? code)
    {
        var bytes = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "sample-images", file), Ct);
        var now = DateTimeOffset.UtcNow;
        var id = ImageIds.New(TimeProvider.System);
        var options = new PipelineOptions { CursorKey = new byte[32] };
        Assert.True(await cleanCatalog.CreateAsync(
            new ImageRecord
            {
                Id = id, OwnerId = "anonymous", FileName = Path.GetFileName(file), ContentType = "image/jpeg", DeclaredBytes = bytes.Length,
                CreatedAt = now, UpdatedAt = now, ExpiresAt = now + options.PendingRetention,
            },
            Ct));
        var key = ObjectKeys.Original(id);
        using var content = new MemoryStream(bytes);
        await emulators.S3.PutObjectAsync(new PutObjectRequest { BucketName = buckets.OriginalsBucket, Key = key, InputStream = content }, Ct);
        var head = await emulators.S3.GetObjectMetadataAsync(buckets.OriginalsBucket, key, Ct);
        var body = S3EventParser.Serialize(
            new ObjectCreated(buckets.OriginalsBucket, key, head.ContentLength, head.ETag.Trim('"'), now.Ticks.ToString("X", CultureInfo.InvariantCulture)), now);
        return new Upload(id, file, code, body);
    }

    /// <summary>A client's DELETE: done when it succeeded, or when a retry finds it already done (404).</summary>
    private static async Task<bool> TryDeleteAsync(DeleteService deletes, Item item)
    {
        try
        {
            await deletes.DeleteAsync("anonymous", item.Upload.Id, Ct);
            return true;
        }
        catch (PipelineRequestException e) when (e.Problem == RequestProblem.NotFound && item.Receives > 1)
        {
            return true;
        }
        catch (TransientStorageException)
        {
            return false;
        }
    }

    private async Task<bool> ExistsAsync(string bucket, string key)
    {
        try
        {
            await emulators.S3.GetObjectMetadataAsync(bucket, key, Ct);
            return true;
        }
        catch (Amazon.S3.AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private async Task<List<string>> ListAsync(string bucket)
    {
        var keys = new List<string>();
        var request = new ListObjectsV2Request { BucketName = bucket };
        while (true)
        {
            var page = await emulators.S3.ListObjectsV2Async(request, Ct);
            keys.AddRange((page.S3Objects ?? []).Select(o => o.Key));
            if (page.IsTruncated != true)
            {
                return keys;
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    private static void Count(Dictionary<string, int> counts, string key) => counts[key] = counts.GetValueOrDefault(key) + 1;

    private void Log(string line)
    {
        output.WriteLine(line);
        TestContext.Current.SendDiagnosticMessage(line);
        Console.WriteLine(line);
    }
}
