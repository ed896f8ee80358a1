using ImagePipeline.Core;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Storage;
using ImagePipeline.Emulators;

namespace ImagePipeline.Aws.Tests;

/// <summary>
/// Every kind of fault the <see cref="FaultInjector"/> makes, on real requests of the S3 and DynamoDB adapters with the
/// SDK's retries off: each must surface as <see cref="TransientStorageException"/> (the message goes back to the
/// queue), never as a permanent error or a wrong answer.
/// </summary>
[Collection(EmulatorCollection.Name)]
[Trait("Category", "Integration")]
[Trait("Category", "Faults")]
public sealed class FaultClassificationTests(AwsEmulators emulators)
{
    private const int Calls = 40;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DynamoImageCatalog_EveryInjectedFault_IsTransient()
    {
        var faults = new FaultInjector(seed: 7, rate: 1.0);
        using var dynamo = emulators.CreateDynamoDbClient(config => faults.Configure(config, FaultService.DynamoDb));
        var catalog = new DynamoImageCatalog(dynamo, await emulators.CreateTableAsync(Ct));
        var id = Guid.CreateVersion7();

        for (var i = 0; i < Calls; i++)
        {
            Task call = (i % 3) switch
            {
                0 => catalog.GetAsync(id, Ct),
                1 => catalog.ResetFailedStageAsync(id, Stage.Resize, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, Ct),
                _ => catalog.ListAsync("owner", 10, null, Ct),
            };
            await Assert.ThrowsAsync<TransientStorageException>(() => call);
        }

        // The SDK resends on a dropped connection by itself (even with retries off), so a call may meet two faults.
        Assert.InRange(faults.InjectedTotal, Calls, 2 * Calls);
        Assert.Equal(6, faults.Injected.Count);
    }

    [Fact]
    public async Task S3ObjectStore_EveryInjectedFault_IsTransient()
    {
        var faults = new FaultInjector(seed: 11, rate: 1.0) { Enabled = false };
        using var s3 = emulators.CreateS3Client(config => faults.Configure(config, FaultService.S3));
        var buckets = await emulators.CreateBucketsAsync(Ct);
        var store = new S3ObjectStore(s3, buckets, TimeProvider.System, emulators.Credentials);
        var key = ObjectKeys.Original(Guid.CreateVersion7());
        await emulators.S3.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = buckets.OriginalsBucket, Key = key, ContentBody = "original" }, Ct);
        var etag = (await emulators.S3.GetObjectMetadataAsync(buckets.OriginalsBucket, key, Ct)).ETag.Trim('"');
        faults.Enabled = true;

        for (var i = 0; i < Calls; i++)
        {
            Task call = (i % 3) switch
            {
                0 => store.GetOriginalAsync(key, etag, Ct),
                1 => store.PutDerivedAsync($"thumbnails/{ImageIds.Format(Guid.CreateVersion7())}/r1/256.webp", "webp"u8.ToArray(), "image/webp", Ct),
                _ => store.DeleteAsync(Bucket.Derived, ["renditions/x/r1/w320.webp"], Ct),
            };
            await Assert.ThrowsAsync<TransientStorageException>(() => call);
        }

        // The SDK resends on a dropped connection by itself (even with retries off), so a call may meet two faults.
        Assert.InRange(faults.InjectedTotal, Calls, 2 * Calls);
        Assert.Equal(5, faults.Injected.Count);
    }
}
