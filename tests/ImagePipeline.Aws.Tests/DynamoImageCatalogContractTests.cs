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
