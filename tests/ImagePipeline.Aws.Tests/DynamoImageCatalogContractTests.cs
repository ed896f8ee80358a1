using ImagePipeline.Contract.Tests.Contracts;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Emulators;

namespace ImagePipeline.Aws.Tests;

/// <summary>The catalog contract on DynamoDB (DynamoDB Local, or LocalStack); each test gets a fresh table.</summary>
[Collection(EmulatorCollection.Name)]
[Trait("Category", "Integration")]
public sealed class DynamoImageCatalogContractTests(AwsEmulators emulators) : ImageCatalogContract
{
    // TTL off: the contract dates its records from 2025 (expiry past), and DynamoDB Local's TTL sweeper would delete
    // them mid-test. Expiry is the contract's business here, through PurgeExpiredAsync; the TTL setup has its own test.
    protected override async Task<IImageCatalog> CreateCatalogAsync() =>
        await emulators.CreateCatalogAsync(Ct, timeToLive: false);

    [Fact]
    public async Task CreateAsync_ThenTableItem_HasTheSchemaKeysAndEpochSecondsTtl()
    {
        var catalog = (DynamoImageCatalog)await CreateCatalogAsync();
        var record = await CreateAsync(catalog, T0);

        var item = (await emulators.DynamoDb.GetItemAsync(catalog.TableName, CatalogItem.Key(record.Id), Ct)).Item;

        Assert.Equal(Core.ImageIds.Format(record.Id), item[CatalogTableSchema.PartitionKey.Name].S);
        Assert.Equal(Owner, item[CatalogTableSchema.ByOwner.PartitionKey.Name].S);
        Assert.Equal(CatalogTableSchema.CreatedKey(T0, record.Id), item[CatalogTableSchema.ByOwner.SortKey.Name].S);
        Assert.Equal(T0.AddHours(24).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            item[CatalogTableSchema.TimeToLiveAttribute].N);
    }

    [Fact]
    public async Task ApplyStageAsync_ItemWrittenBeforeRecipeVersions_ReadsAsVersionOneAndANewerRecipeReplacesIt()
    {
        var catalog = (DynamoImageCatalog)await CreateCatalogAsync();
        var legacy = await CreateAsync(catalog, T0);
        var current = await CreateAsync(catalog, T0.AddSeconds(1));
        foreach (var id in new[] { legacy.Id, current.Id })
        {
            Assert.Equal(StageWriteResult.Applied, await catalog.ApplyStageAsync(Done(id, Stage.Resize), Ct));
            await emulators.DynamoDb.UpdateItemAsync(new Amazon.DynamoDBv2.Model.UpdateItemRequest
            {
                TableName = catalog.TableName,
                Key = CatalogItem.Key(id),
                UpdateExpression = "REMOVE " + CatalogItem.ResizeRecipeVersion,
            }, Ct);
        }

        Assert.Null((await catalog.GetAsync(legacy.Id, Ct))!.ResizeRecipeVersion);
        Assert.Equal(1, (await catalog.GetAsync(legacy.Id, Ct))!.RecipeVersionOf(Stage.Resize));
        Assert.Equal(StageWriteResult.AlreadyDone, await catalog.ApplyStageAsync(Done(current.Id, Stage.Resize, recipe: 1), Ct));
        Assert.Equal(StageWriteResult.AlreadyDone, await catalog.ApplyStageAsync(Failed(legacy.Id, Stage.Resize, "internal", recipe: 2), Ct));
        Assert.Equal(StageWriteResult.Applied, await catalog.ApplyStageAsync(Done(legacy.Id, Stage.Resize, recipe: 2), Ct));

        var upgraded = (await catalog.GetAsync(legacy.Id, Ct))!;
        Assert.Equal((StageState.Done, 2), (upgraded.ResizeState, upgraded.RecipeVersionOf(Stage.Resize)));
        Assert.All(upgraded.Renditions!, r => Assert.Contains("/r2/", r.Key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task PurgeExpiredAsync_UploadedRecordStillCarryingAnExpiry_NeverRemoved()
    {
        // Only a stage result removes the expiry, but an uploaded record must survive however it kept one.
        var catalog = (DynamoImageCatalog)await CreateCatalogAsync();
        var record = NewRecord(T0) with { SourceEtag = Etag1, ExpiresAt = T0.AddDays(1) };
        Assert.True(await catalog.CreateAsync(record, Ct));
        var tombstone = await CreateAsync(catalog, T0);
        await catalog.MarkDeletedAsync(tombstone.Id, T0, T0.AddDays(1), Ct);

        Assert.Equal(1, await catalog.PurgeExpiredAsync(T0.AddDays(2), Ct));

        Assert.NotNull(await catalog.GetAsync(record.Id, Ct));
        Assert.Null(await catalog.GetAsync(tombstone.Id, Ct));
    }

    [Fact]
    public async Task CatalogTableSetup_NewTable_HasTtlOnTheSchemaAttributeAndAnAllProjectionIndex()
    {
        var catalog = await emulators.CreateCatalogAsync(Ct);

        var ttl = await emulators.DynamoDb.DescribeTimeToLiveAsync(catalog.TableName, Ct);
        var table = (await emulators.DynamoDb.DescribeTableAsync(catalog.TableName, Ct)).Table;

        Assert.Equal(CatalogTableSchema.TimeToLiveAttribute, ttl.TimeToLiveDescription.AttributeName);
        Assert.Equal("ENABLED", ttl.TimeToLiveDescription.TimeToLiveStatus.Value);
        var index = Assert.Single(table.GlobalSecondaryIndexes);
        Assert.Equal(CatalogTableSchema.ByOwner.Name, index.IndexName);
        Assert.Equal("ALL", index.Projection.ProjectionType.Value);
    }
}
