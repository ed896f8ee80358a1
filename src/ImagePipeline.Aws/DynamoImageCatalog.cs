using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using ImagePipeline.Core;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Storage;
using static ImagePipeline.Aws.CatalogItem;

namespace ImagePipeline.Aws;

/// <summary>
/// <see cref="IImageCatalog"/> on DynamoDB (low-level client, no object-persistence layer): one item per image, the
/// design's conditional writes, newest-first listing from the <c>byOwner</c> index.
/// </summary>
public sealed class DynamoImageCatalog : IImageCatalog
{
    private const string Done = ":done";

    private readonly IAmazonDynamoDB _dynamo;
    private readonly string _tableName;

    /// <summary>
    /// A catalog on <paramref name="tableName"/> (a table made from <see cref="CatalogTableSchema"/>). It needs no clock:
    /// every time it writes comes from the caller (records and outcomes carry their own).
    /// </summary>
    public DynamoImageCatalog(IAmazonDynamoDB dynamo, string tableName)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        if (string.IsNullOrWhiteSpace(tableName))
        {
            throw new ArgumentException("The DynamoDB catalog needs a table name (IMAGEPIPELINE_TABLE).", nameof(tableName));
        }

        AwsClients.InitializeSdk();
        _dynamo = dynamo;
        _tableName = tableName;
    }

    /// <summary>The table this catalog uses.</summary>
    public string TableName => _tableName;

    /// <inheritdoc />
    public async Task<bool> CreateAsync(ImageRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var request = new PutItemRequest
        {
            TableName = _tableName,
            Item = ToItem(record),
            ConditionExpression = "attribute_not_exists(#id)",
            ExpressionAttributeNames = new() { ["#id"] = Id },
        };
        try
        {
            await _dynamo.PutItemAsync(request, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
        catch (Exception e) when (AwsErrors.IsTransient(e, cancellationToken))
        {
            throw Transient("create", record.Id, e);
        }
    }

    /// <inheritdoc />
    public async Task<ImageRecord?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        var item = await GetItemAsync(id, cancellationToken).ConfigureAwait(false);
        return item is null ? null : FromItem(item);
    }

    /// <inheritdoc />
    public async Task<StageWriteResult> ApplyStageAsync(StageOutcome outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var request = StageUpdate(_tableName, outcome);
        try
        {
            await _dynamo.UpdateItemAsync(request, cancellationToken).ConfigureAwait(false);
            return StageWriteResult.Applied;
        }
        catch (ConditionalCheckFailedException failed)
        {
            // ALL_OLD returns the item as the condition saw it; an emulator without that feature gets a consistent read.
            var item = failed.Item is { Count: > 0 } old ? old : await GetItemAsync(outcome.ImageId, cancellationToken).ConfigureAwait(false);
            return Classify(item, outcome);
        }
        catch (Exception e) when (AwsErrors.IsTransient(e, cancellationToken))
        {
            throw Transient("record a stage result of", outcome.ImageId, e);
        }
    }

    /// <inheritdoc />
    public async Task<CatalogPage> ListAsync(string ownerId, int limit, CatalogPosition? after, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(ownerId);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1000);

        var request = new QueryRequest
        {
            TableName = _tableName,
            IndexName = CatalogTableSchema.ByOwner.Name,
            KeyConditionExpression = "#owner = :owner",
            ExpressionAttributeNames = new() { ["#owner"] = OwnerId },
            ExpressionAttributeValues = new() { [":owner"] = S(ownerId) },
            ScanIndexForward = false,
            // One more than asked tells whether another page exists without a second, empty round trip.
            Limit = limit + 1,
        };
        if (after is not null)
        {
            request.ExclusiveStartKey = new()
            {
                [Id] = S(ImageIds.Format(after.Id)),
                [OwnerId] = S(ownerId),
                [CreatedKey] = S(CatalogTableSchema.CreatedKey(after.CreatedAt, after.Id)),
            };
        }

        var items = new List<ImageRecord>(limit + 1);
        try
        {
            // A page stops at 1 MB too, so keep reading until limit + 1 items or the end of the index.
            while (true)
            {
                var response = await _dynamo.QueryAsync(request, cancellationToken).ConfigureAwait(false);
                items.AddRange((response.Items ?? []).Select(FromItem));
                if (items.Count > limit || response.LastEvaluatedKey is not { Count: > 0 } next)
                {
                    break;
                }

                request.ExclusiveStartKey = next;
                request.Limit = limit + 1 - items.Count;
            }
        }
        catch (Exception e) when (AwsErrors.IsTransient(e, cancellationToken))
        {
            throw new TransientStorageException($"Listing images of '{ownerId}' failed and may succeed on retry: {e.Message}", e);
        }

        if (items.Count <= limit)
        {
            return new CatalogPage(items, null);
        }

        var page = items.GetRange(0, limit);
        return new CatalogPage(page, new CatalogPosition(page[^1].CreatedAt, page[^1].Id));
    }

    /// <inheritdoc />
    public async Task<bool> MarkDeletedAsync(Guid id, DateTimeOffset deletedAt, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var request = new UpdateItemRequest
        {
            TableName = _tableName,
            Key = Key(id),
            // Removing createdKey drops the item from the owner index: gone from listings in the same write.
            UpdateExpression = "SET #deletedAt = :deletedAt, #expiresAt = :expiresAt REMOVE #createdKey",
            ConditionExpression = "attribute_exists(#id) AND attribute_not_exists(#deletedAt)",
            ExpressionAttributeNames = new()
            {
                ["#id"] = Id,
                ["#deletedAt"] = DeletedAt,
                ["#expiresAt"] = ExpiresAt,
                ["#createdKey"] = CreatedKey,
            },
            ExpressionAttributeValues = new() { [":deletedAt"] = Time(deletedAt), [":expiresAt"] = EpochSeconds(expiresAt) },
        };
        try
        {
            await _dynamo.UpdateItemAsync(request, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
        catch (Exception e) when (AwsErrors.IsTransient(e, cancellationToken))
        {
            throw Transient("delete", id, e);
        }
    }

    /// <summary>
    /// Deletes every item whose <c>expiresAt</c> has passed. In AWS the table's TTL does this (within days, for free),
    /// so nothing in a deployment needs to call it; it exists for the port's contract, for emulators without TTL
    /// deletion, and for tooling. It scans the whole table, so it is not for a hot path; each delete is conditional on
    /// the item still being expired, so a stage result that removed the expiry in the meantime wins.
    /// </summary>
    public async Task<int> PurgeExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var cutoff = N(now.ToUnixTimeSeconds());
        var names = new Dictionary<string, string> { ["#expiresAt"] = ExpiresAt };
        var scan = new ScanRequest
        {
            TableName = _tableName,
            FilterExpression = "#expiresAt <= :now",
            ProjectionExpression = "#id",
            ExpressionAttributeNames = new(names) { ["#id"] = Id },
            ExpressionAttributeValues = new() { [":now"] = cutoff },
        };
        var purged = 0;
        try
        {
            while (true)
            {
                var page = await _dynamo.ScanAsync(scan, cancellationToken).ConfigureAwait(false);
                foreach (var item in page.Items ?? [])
                {
                    try
                    {
                        await _dynamo.DeleteItemAsync(new DeleteItemRequest
                        {
                            TableName = _tableName,
                            Key = new() { [Id] = item[Id] },
                            ConditionExpression = "#expiresAt <= :now",
                            ExpressionAttributeNames = names,
                            ExpressionAttributeValues = new() { [":now"] = cutoff },
                        }, cancellationToken).ConfigureAwait(false);
                        purged++;
                    }
                    catch (ConditionalCheckFailedException)
                    {
                        // Changed since the scan read it (a stage result removed the expiry): no longer expired.
                    }
                }

                if (page.LastEvaluatedKey is not { Count: > 0 } next)
                {
                    return purged;
                }

                scan.ExclusiveStartKey = next;
            }
        }
        catch (Exception e) when (AwsErrors.IsTransient(e, cancellationToken))
        {
            throw new TransientStorageException($"Purging expired images failed after {purged} and may succeed on retry: {e.Message}", e);
        }
    }

    /// <summary>
    /// The single conditional UpdateItem of a stage result: the stage's state, outputs and error, updatedAt; the source
    /// facts only if not yet set; the pending expiry removed. Nothing else of the item is touched.
    /// </summary>
    internal static UpdateItemRequest StageUpdate(string tableName, StageOutcome outcome)
    {
        var names = new Dictionary<string, string>
        {
            ["#id"] = Id,
            ["#stages"] = Stages,
            ["#errors"] = Errors,
            ["#stage"] = outcome.Stage.ToName(),
            ["#outputs"] = OutputsOf(outcome.Stage),
            ["#updatedAt"] = UpdatedAt,
            ["#sourceEtag"] = SourceEtag,
            ["#deletedAt"] = DeletedAt,
            ["#expiresAt"] = ExpiresAt,
        };
        var values = new Dictionary<string, AttributeValue>
        {
            [":state"] = S(outcome.State.ToName()),
            [":at"] = Time(outcome.At),
            [":etag"] = S(outcome.SourceEtag),
            [Done] = S(StageState.Done.ToName()),
        };
        var set = new List<string>
        {
            "#stages.#stage = :state",
            "#updatedAt = :at",
            "#sourceEtag = if_not_exists(#sourceEtag, :etag)",
        };
        var remove = new List<string> { "#expiresAt" };

        if (outcome.Original is { } original)
        {
            names["#original"] = Original;
            values[":original"] = ToAttribute(original);
            set.Add("#original = if_not_exists(#original, :original)");
        }

        if (outcome.Metadata is { } metadata)
        {
            names["#metadata"] = Metadata;
            values[":metadata"] = ToAttribute(metadata);
            set.Add("#metadata = if_not_exists(#metadata, :metadata)");
        }

        AttributeValue? outputs = outcome.Stage == Stage.Resize
            ? outcome.Renditions is { } renditions ? ToAttribute(renditions) : null
            : outcome.Thumbnail is { } thumbnail ? ToAttribute(thumbnail) : null;
        if (outputs is not null)
        {
            values[":outputs"] = outputs;
            set.Add("#outputs = :outputs");
        }
        else
        {
            remove.Add("#outputs");
        }

        if (outcome.Error is { } error)
        {
            values[":error"] = ToAttribute(error);
            set.Add("#errors.#stage = :error");
        }
        else
        {
            remove.Add("#errors.#stage");
        }

        return new UpdateItemRequest
        {
            TableName = tableName,
            Key = Key(outcome.ImageId),
            UpdateExpression = $"SET {string.Join(", ", set)} REMOVE {string.Join(", ", remove)}",
            ConditionExpression =
                "attribute_exists(#id) AND attribute_not_exists(#deletedAt) " +
                "AND (attribute_not_exists(#sourceEtag) OR #sourceEtag = :etag) AND #stages.#stage <> " + Done,
            ExpressionAttributeNames = names,
            ExpressionAttributeValues = values,
            ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
        };
    }

    /// <summary>Why a stage write's condition failed, from the item as it was: unknown, deleted, stale, or a duplicate.</summary>
    internal static StageWriteResult Classify(Dictionary<string, AttributeValue>? item, StageOutcome outcome)
    {
        if (item is not { Count: > 0 })
        {
            return StageWriteResult.Unknown;
        }

        if (item.ContainsKey(DeletedAt))
        {
            return StageWriteResult.Deleted;
        }

        // Other bytes than the event's is the more telling reason when the stage is also done.
        if (item.TryGetValue(SourceEtag, out var etag) && etag.S is { } stored && !string.Equals(stored, outcome.SourceEtag, StringComparison.Ordinal))
        {
            return StageWriteResult.Stale;
        }

        return StageWriteResult.AlreadyDone;
    }

    private async Task<Dictionary<string, AttributeValue>?> GetItemAsync(Guid id, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _dynamo.GetItemAsync(
                new GetItemRequest { TableName = _tableName, Key = Key(id), ConsistentRead = true }, cancellationToken).ConfigureAwait(false);
            return response.IsItemSet && response.Item is { Count: > 0 } item ? item : null;
        }
        catch (Exception e) when (AwsErrors.IsTransient(e, cancellationToken))
        {
            throw Transient("read", id, e);
        }
    }

    private static TransientStorageException Transient(string action, Guid id, Exception e) =>
        new(string.Create(CultureInfo.InvariantCulture, $"Could not {action} image {ImageIds.Format(id)} in DynamoDB; may succeed on retry: {e.Message}"), e);
}
