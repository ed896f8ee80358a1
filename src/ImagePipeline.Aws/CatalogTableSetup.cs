using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ImagePipeline.Core.Catalog;

namespace ImagePipeline.Aws;

/// <summary>Creates the images table from <see cref="CatalogTableSchema"/>, for tests and development tooling.</summary>
public static class CatalogTableSetup
{
    /// <summary>How long creation may take before it is reported as stuck.</summary>
    public static readonly TimeSpan ActiveTimeout = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Creates the table (partition key, the owner index projecting every attribute, on-demand capacity), waits until
    /// it is ACTIVE, and turns TTL on for <see cref="CatalogTableSchema.TimeToLiveAttribute"/>.
    /// </summary>
    public static Task CreateAsync(IAmazonDynamoDB dynamo, string tableName, CancellationToken ct) =>
        CreateAsync(dynamo, tableName, enableTimeToLive: true, ct);

    /// <summary>
    /// As <see cref="CreateAsync(IAmazonDynamoDB, string, CancellationToken)"/>, with TTL optional: tests that write
    /// records dated in the past (a fixed test clock) turn it off, or the emulator's TTL sweeper deletes them mid-test.
    /// </summary>
    public static async Task CreateAsync(IAmazonDynamoDB dynamo, string tableName, bool enableTimeToLive, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);
        AwsClients.InitializeSdk();

        await dynamo.CreateTableAsync(CreateTableRequest(tableName), ct).ConfigureAwait(false);
        await WaitUntilActiveAsync(dynamo, tableName, ct).ConfigureAwait(false);
        if (!enableTimeToLive)
        {
            return;
        }

        await dynamo.UpdateTimeToLiveAsync(new UpdateTimeToLiveRequest
        {
            TableName = tableName,
            TimeToLiveSpecification = new TimeToLiveSpecification { AttributeName = CatalogTableSchema.TimeToLiveAttribute, Enabled = true },
        }, ct).ConfigureAwait(false);
    }

    /// <summary>The CreateTable request: everything from the schema, nothing spelled out twice.</summary>
    public static CreateTableRequest CreateTableRequest(string tableName)
    {
        var attributes = new Dictionary<string, KeyAttribute> { [CatalogTableSchema.PartitionKey.Name] = CatalogTableSchema.PartitionKey };
        foreach (var index in CatalogTableSchema.GlobalIndexes)
        {
            attributes[index.PartitionKey.Name] = index.PartitionKey;
            attributes[index.SortKey.Name] = index.SortKey;
        }

        return new CreateTableRequest
        {
            TableName = tableName,
            BillingMode = BillingMode.PAY_PER_REQUEST,
            AttributeDefinitions = attributes.Values.Select(a => new AttributeDefinition(a.Name, TypeOf(a))).ToList(),
            KeySchema = [new KeySchemaElement(CatalogTableSchema.PartitionKey.Name, KeyType.HASH)],
            GlobalSecondaryIndexes = CatalogTableSchema.GlobalIndexes.Select(index => new GlobalSecondaryIndex
            {
                IndexName = index.Name,
                KeySchema =
                [
                    new KeySchemaElement(index.PartitionKey.Name, KeyType.HASH),
                    new KeySchemaElement(index.SortKey.Name, KeyType.RANGE),
                ],
                Projection = new Projection { ProjectionType = ProjectionType.ALL },
            }).ToList(),
        };
    }

    private static ScalarAttributeType TypeOf(KeyAttribute attribute) =>
        attribute.Type == KeyAttributeType.Number ? ScalarAttributeType.N : ScalarAttributeType.S;

    private static async Task WaitUntilActiveAsync(IAmazonDynamoDB dynamo, string tableName, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + ActiveTimeout;
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            var table = (await dynamo.DescribeTableAsync(tableName, ct).ConfigureAwait(false)).Table;
            var indexesActive = (table.GlobalSecondaryIndexes ?? []).All(i => i.IndexStatus == IndexStatus.ACTIVE);
            if (table.TableStatus == TableStatus.ACTIVE && indexesActive)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Table '{tableName}' is still {table.TableStatus} after {ActiveTimeout}.");
            }

            await Task.Delay(delay, ct).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
        }
    }
}
