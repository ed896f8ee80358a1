using System.Net;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Imaging;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Aws.Tests;

/// <summary>The DynamoDB catalog without a network: item mapping, the stage update, failure classification.</summary>
public sealed class DynamoImageCatalogTests
{
    private const string Etag = "9e107d9d372bb6826bd81d3542a419d6";
    private static readonly DateTimeOffset T0 = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static ImageRecord FullRecord() => new()
    {
        Id = Guid.CreateVersion7(T0),
        OwnerId = "user-1",
        FileName = "Été \"1\".jpg",
        ContentType = "image/jpeg",
        DeclaredBytes = 52_428_800,
        CreatedAt = T0.AddTicks(1234567),
        UpdatedAt = T0.AddMinutes(1).AddTicks(7),
        ExpiresAt = T0.AddDays(1),
        SourceEtag = Etag,
        Original = new OriginalFacts("jpeg", 4000, 3000, 2_345_678),
        Metadata = new ImageMetadata("Canon", "EOS R5", "RF", "2024-05-01T10:11:12", "1/250", 2.8, 100, 35.5, new GpsLocation(-33.856784, 151.215297, -12.5)),
        ResizeState = StageState.Failed,
        ThumbnailState = StageState.Done,
        Renditions = [new DerivedFacts("w320", 320, 240, "webp", 12_345, "renditions/x/r1/w320.webp"), new DerivedFacts("w640", 640, 480, "webp", 3, "renditions/x/r1/w640.webp")],
        Thumbnail = new DerivedFacts("thumbnail", 256, 256, "webp", 8_765, "thumbnails/x/r1/256.webp"),
        ResizeError = new StageError("too_many_pixels", "Too many pixels."),
        ThumbnailError = new StageError("internal", "Boom."),
        ResizeRecipeVersion = 2,
        ThumbnailRecipeVersion = 1,
    };

    [Fact]
    public void ToItemThenFromItem_FullRecord_RoundTripsEveryAttribute()
    {
        var record = FullRecord();

        var back = CatalogItem.FromItem(CatalogItem.ToItem(record));

        Assert.Equal(record with { Renditions = null }, back with { Renditions = null });
        Assert.Equal(record.Renditions, back.Renditions!);
    }

    [Fact]
    public void ToItemThenFromItem_MinimalTombstone_AbsentStaysNullAndNoCreatedKey()
    {
        var record = FullRecord() with
        {
            DeletedAt = T0.AddHours(1),
            ExpiresAt = null,
            SourceEtag = null,
            Original = null,
            Metadata = ImageMetadata.Empty,
            Renditions = null,
            Thumbnail = null,
            ResizeError = null,
            ThumbnailError = null,
            ResizeState = StageState.Pending,
            ResizeRecipeVersion = null,
            ThumbnailRecipeVersion = null,
        };

        var item = CatalogItem.ToItem(record);
        var back = CatalogItem.FromItem(item);

        Assert.Equal(record, back);
        Assert.False(item.ContainsKey(CatalogTableSchema.ByOwner.SortKey.Name));
        Assert.False(item.ContainsKey(CatalogTableSchema.TimeToLiveAttribute));
        Assert.False(item.ContainsKey(CatalogItem.ResizeRecipeVersion));
        Assert.True(item[CatalogItem.Errors].IsMSet);
        Assert.True(item[CatalogItem.Metadata].IsMSet);
    }

    [Fact]
    public void ToItem_LiveRecord_KeysFromTheSchemaAndTtlInEpochSeconds()
    {
        var record = FullRecord();

        var item = CatalogItem.ToItem(record);

        Assert.Equal(record.Id.ToString(), item[CatalogTableSchema.PartitionKey.Name].S);
        Assert.Equal("user-1", item[CatalogTableSchema.ByOwner.PartitionKey.Name].S);
        Assert.Equal(CatalogTableSchema.CreatedKey(record.CreatedAt, record.Id), item[CatalogTableSchema.ByOwner.SortKey.Name].S);
        Assert.Equal(T0.AddDays(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), item[CatalogTableSchema.TimeToLiveAttribute].N);
        Assert.Equal("2025-06-01T12:00:00.1234567Z", item[CatalogItem.CreatedAt].S);
    }

    [Fact]
    public void EpochSeconds_FractionalExpiry_RoundsUpSoNothingExpiresEarly()
    {
        Assert.Equal(T0.ToUnixTimeSeconds() + 1, CatalogItem.CeilingSeconds(T0.AddMilliseconds(1)));
        Assert.Equal(T0.ToUnixTimeSeconds(), CatalogItem.CeilingSeconds(T0));
    }

    [Fact]
    public void StageUpdate_ResizeDone_OneConditionalUpdateOfThatStageOnly()
    {
        var outcome = new StageOutcome(Guid.CreateVersion7(T0), Stage.Resize, Etag, StageState.Done, new OriginalFacts("png", 1, 2, 3), null,
            [new DerivedFacts("w320", 320, 200, "webp", 1, "renditions/x/r1/w320.webp")], null, null, T0, 1);

        var request = DynamoImageCatalog.StageUpdate("images", outcome);

        Assert.Equal(
            "SET #stages.#stage = :state, #recipe = :recipe, #updatedAt = :at, #sourceEtag = if_not_exists(#sourceEtag, :etag), " +
            "#original = if_not_exists(#original, :original), #outputs = :outputs REMOVE #expiresAt, #errors.#stage",
            request.UpdateExpression);
        Assert.Equal(
            "attribute_exists(#id) AND attribute_not_exists(#deletedAt) AND (attribute_not_exists(#sourceEtag) OR #sourceEtag = :etag) " +
            "AND (#stages.#stage <> :done OR #recipe < :recipe)",
            request.ConditionExpression);
        Assert.Equal("resize", request.ExpressionAttributeNames["#stage"]);
        Assert.Equal("renditions", request.ExpressionAttributeNames["#outputs"]);
        Assert.Equal(CatalogItem.ResizeRecipeVersion, request.ExpressionAttributeNames["#recipe"]);
        Assert.Equal("1", request.ExpressionAttributeValues[":recipe"].N);
        Assert.Equal(CatalogTableSchema.TimeToLiveAttribute, request.ExpressionAttributeNames["#expiresAt"]);
        Assert.Equal("done", request.ExpressionAttributeValues[":done"].S);
        Assert.Equal(ReturnValuesOnConditionCheckFailure.ALL_OLD, request.ReturnValuesOnConditionCheckFailure);
    }

    [Fact]
    public void StageUpdate_DoneByANewerRecipe_MayReplaceADoneStageOfAnOlderOrUnrecordedVersion()
    {
        var outcome = new StageOutcome(Guid.CreateVersion7(T0), Stage.Thumbnail, Etag, StageState.Done, null, null, null,
            new DerivedFacts("thumbnail", 256, 256, "webp", 1, "thumbnails/x/r3/256.webp"), null, T0, 3);

        var request = DynamoImageCatalog.StageUpdate("images", outcome);

        Assert.EndsWith("AND (#stages.#stage <> :done OR attribute_not_exists(#recipe) OR #recipe < :recipe)", request.ConditionExpression, StringComparison.Ordinal);
        Assert.Equal(CatalogItem.ThumbnailRecipeVersion, request.ExpressionAttributeNames["#recipe"]);
        Assert.Equal("3", request.ExpressionAttributeValues[":recipe"].N);
    }

    [Fact]
    public void StageUpdate_ThumbnailFailed_SetsTheErrorAndRemovesTheOutputsButNeverReplacesDone()
    {
        var outcome = new StageOutcome(Guid.CreateVersion7(T0), Stage.Thumbnail, Etag, StageState.Failed, null, null, null, null,
            new StageError("corrupt_image", "Damaged."), T0, 2);

        var request = DynamoImageCatalog.StageUpdate("images", outcome);

        Assert.Equal(
            "SET #stages.#stage = :state, #recipe = :recipe, #updatedAt = :at, #sourceEtag = if_not_exists(#sourceEtag, :etag), #errors.#stage = :error " +
            "REMOVE #expiresAt, #outputs",
            request.UpdateExpression);
        Assert.EndsWith("AND #stages.#stage <> :done", request.ConditionExpression, StringComparison.Ordinal);
        Assert.Equal("thumbnail", request.ExpressionAttributeNames["#outputs"]);
        Assert.Equal("failed", request.ExpressionAttributeValues[":state"].S);
    }

    [Fact]
    public void ResetUpdate_FailedStage_OneConditionalUpdateOfThatStageOnly()
    {
        var request = DynamoImageCatalog.ResetUpdate("images", FullRecord().Id, Stage.Resize, T0, T0.AddSeconds(1));

        Assert.Equal("SET #stages.#stage = :pending, #updatedAt = :at REMOVE #errors.#stage", request.UpdateExpression);
        Assert.Equal("attribute_exists(#id) AND attribute_not_exists(#deletedAt) AND #stages.#stage = :failed AND #updatedAt = :read", request.ConditionExpression);
        Assert.Equal("resize", request.ExpressionAttributeNames["#stage"]);
        Assert.Equal(("pending", "failed"), (request.ExpressionAttributeValues[":pending"].S, request.ExpressionAttributeValues[":failed"].S));
    }

    [Theory]
    [InlineData(null, null, null, StageState.Done, 1, StageWriteResult.Unknown)]
    [InlineData("2025-06-01T13:00:00.0000000Z", Etag, "pending", StageState.Done, 1, StageWriteResult.Deleted)]
    [InlineData(null, "other", "done", StageState.Done, 1, StageWriteResult.Stale)]
    [InlineData(null, "other", "pending", StageState.Done, 1, StageWriteResult.Stale)]
    [InlineData(null, Etag, "done", StageState.Done, 1, StageWriteResult.AlreadyDone)]
    [InlineData(null, Etag, "done", StageState.Done, 2, StageWriteResult.AlreadyDone)]
    [InlineData(null, Etag, "done", StageState.Failed, 3, StageWriteResult.AlreadyDone)]
    public void Classify_OldItem_NamesWhyTheConditionFailed(
        string? deletedAt, string? etag, string? resize, StageState outcomeState, int outcomeRecipe, StageWriteResult expected)
    {
        Dictionary<string, AttributeValue>? item = null;
        if (resize is not null)
        {
            // FullRecord's resize stage is recipe version 2.
            var record = FullRecord() with { ResizeState = CatalogNames.ParseState(resize), SourceEtag = etag };
            item = CatalogItem.ToItem(record);
            if (deletedAt is not null)
            {
                item[CatalogItem.DeletedAt] = CatalogItem.S(deletedAt);
            }
        }

        var outcome = new StageOutcome(Guid.CreateVersion7(T0), Stage.Resize, Etag, outcomeState, null, null, null, null, null, T0, outcomeRecipe);

        Assert.Equal(expected, DynamoImageCatalog.Classify(item, outcome));
    }

    [Theory]
    [InlineData("pending", 1)]
    [InlineData("failed", 1)]
    [InlineData("done", 3)]
    public void Classify_ItemThatAllowsTheWrite_IsNoReason(string resize, int outcomeRecipe)
    {
        var item = CatalogItem.ToItem(FullRecord() with { ResizeState = CatalogNames.ParseState(resize) });
        var outcome = new StageOutcome(Guid.CreateVersion7(T0), Stage.Resize, Etag, StageState.Done, null, null, null, null, null, T0, outcomeRecipe);

        Assert.Null(DynamoImageCatalog.Classify(item, outcome));
    }

    [Fact]
    public async Task ApplyStageAsync_ConditionFailedButTheItemReadBackAllowsIt_Transient()
    {
        using var dynamo = new FakeDynamoDbClient
        {
            Failure = new ConditionalCheckFailedException("failed"),
            StoredItem = CatalogItem.ToItem(FullRecord() with { ThumbnailState = StageState.Pending }),
        };
        var catalog = new DynamoImageCatalog(dynamo, "images");

        await Assert.ThrowsAsync<TransientStorageException>(() => catalog.ApplyStageAsync(
            new StageOutcome(FullRecord().Id, Stage.Thumbnail, Etag, StageState.Done, null, null, null, null, null, T0, 1), Ct));
    }

    [Fact]
    public async Task ApplyStageAsync_ConditionFailedWithoutOldItem_ClassifiesFromAConsistentRead()
    {
        using var dynamo = new FakeDynamoDbClient
        {
            Failure = new ConditionalCheckFailedException("failed"),
            StoredItem = CatalogItem.ToItem(FullRecord() with { SourceEtag = "other" }),
        };
        var catalog = new DynamoImageCatalog(dynamo, "images");

        var result = await catalog.ApplyStageAsync(
            new StageOutcome(FullRecord().Id, Stage.Thumbnail, Etag, StageState.Done, null, null, null, null, null, T0, 1), Ct);

        Assert.Equal(StageWriteResult.Stale, result);
        Assert.Single(dynamo.Updates);
    }

    public static TheoryData<Exception> TransientFailures() =>
    [
        new ProvisionedThroughputExceededException("slow down"),
        new RequestLimitExceededException("account limit"),
        new AmazonDynamoDBException("throttled", ErrorType.Sender, "ThrottlingException", "r", HttpStatusCode.BadRequest),
        new InternalServerErrorException("oops"),
        new AmazonDynamoDBException("unavailable", ErrorType.Receiver, "ServiceUnavailable", "r", HttpStatusCode.ServiceUnavailable),
        new HttpRequestException("reset"),
        new TaskCanceledException("HttpClient timeout", new TimeoutException()),
    ];

    [Theory]
    [MemberData(nameof(TransientFailures))]
    public async Task AnyWrite_ThrottlingServerErrorsOrTimeouts_AreTransient(Exception failure)
    {
        using var dynamo = new FakeDynamoDbClient { Failure = failure };
        var catalog = new DynamoImageCatalog(dynamo, "images");

        var thrown = await Assert.ThrowsAsync<TransientStorageException>(() => catalog.CreateAsync(FullRecord(), Ct));
        await Assert.ThrowsAsync<TransientStorageException>(
            () => catalog.ApplyStageAsync(new StageOutcome(FullRecord().Id, Stage.Resize, Etag, StageState.Done, null, null, null, null, null, T0, 1), Ct));
        await Assert.ThrowsAsync<TransientStorageException>(() => catalog.MarkDeletedAsync(FullRecord().Id, T0, T0, Ct));

        Assert.Same(failure, thrown.InnerException);
    }

    [Fact]
    public async Task CreateAsync_ValidationError_IsNotTransient()
    {
        using var dynamo = new FakeDynamoDbClient
        {
            Failure = new AmazonDynamoDBException("bad", ErrorType.Sender, "ValidationException", "r", HttpStatusCode.BadRequest),
        };

        var thrown = await Assert.ThrowsAnyAsync<Exception>(() => new DynamoImageCatalog(dynamo, "images").CreateAsync(FullRecord(), Ct));

        Assert.IsType<AmazonDynamoDBException>(thrown);
    }

    [Fact]
    public void Constructor_NoTableName_NamesTheSetting()
    {
        using var dynamo = new FakeDynamoDbClient();

        var thrown = Assert.Throws<ArgumentException>(() => new DynamoImageCatalog(dynamo, " "));

        Assert.Contains("IMAGEPIPELINE_TABLE", thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateTableRequest_FromTheSchema_KeysIndexAllProjectionOnDemand()
    {
        var request = CatalogTableSetup.CreateTableRequest("images");

        Assert.Equal(BillingMode.PAY_PER_REQUEST, request.BillingMode);
        Assert.Equal([(CatalogTableSchema.PartitionKey.Name, "HASH")], request.KeySchema.Select(k => (k.AttributeName, k.KeyType.Value)));
        var index = Assert.Single(request.GlobalSecondaryIndexes);
        Assert.Equal(CatalogTableSchema.ByOwner.Name, index.IndexName);
        Assert.Equal(
            [(CatalogTableSchema.ByOwner.PartitionKey.Name, "HASH"), (CatalogTableSchema.ByOwner.SortKey.Name, "RANGE")],
            index.KeySchema.Select(k => (k.AttributeName, k.KeyType.Value)));
        Assert.Equal(ProjectionType.ALL, index.Projection.ProjectionType);
        Assert.Equal(3, request.AttributeDefinitions.Count);
        Assert.All(request.AttributeDefinitions, a => Assert.Equal(ScalarAttributeType.S, a.AttributeType));
    }
}
