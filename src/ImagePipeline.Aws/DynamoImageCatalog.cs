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
            return Classify(item, outcome) ?? throw new TransientStorageException(
                $"The stage write of image {ImageIds.Format(outcome.ImageId)} was refused, but the item read back allows it (it changed in between); may succeed on retry.",
                failed);
        }
        catch (Exception e) when (AwsErrors.IsTransient(e, cancellationToken))
        {
            throw Transient("record a stage result of", outcome.ImageId, e);
        }
    }

    /// <inheritdoc />
    public async Task<bool> ResetFailedStageAsync(Guid id, Stage stage, DateTimeOffset readUpdatedAt, DateTimeOffset at, CancellationToken cancellationToken)
    {
        try
        {
            await _dynamo.UpdateItemAsync(ResetUpdate(_tableName, id, stage, readUpdatedAt, at), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ConditionalCheckFailedException)
        {
            return false;
        }
        catch (Exception e) when (AwsErrors.IsTransient(e, cancellationToken))
        {
            throw Transient($"reset the {stage.ToName()} stage of", id, e);
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
    /// Deletes every expired item that expiry may remove: a pending record whose upload never landed (no
    /// <c>sourceEtag</c>) or a tombstone; a record with a source etag and no <c>deletedAt</c> is never removed, whatever
    /// its <c>expiresAt</c> says. In AWS the table's TTL does the purging (within days, for free, unconditionally: which
    /// is why a pending record's stamp lies past the longest life of its events), so nothing in a deployment calls this;
    /// it exists for the port's contract, for emulators without TTL deletion, and for tooling. It scans the whole table,
    /// so it is not for a hot path; each delete carries the same condition, so a stage result that landed in the
    /// meantime wins.
    /// </summary>
    public async Task<int> PurgeExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var cutoff = N(now.ToUnixTimeSeconds());
        var names = new Dictionary<string, string> { ["#expiresAt"] = ExpiresAt, ["#sourceEtag"] = SourceEtag, ["#deletedAt"] = DeletedAt };
        const string purgeable = "#expiresAt <= :now AND (attribute_not_exists(#sourceEtag) OR attribute_exists(#deletedAt))";
        var scan = new ScanRequest
        {
            TableName = _tableName,
            FilterExpression = purgeable,
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
                            ConditionExpression = purgeable,
                            ExpressionAttributeNames = names,
                            ExpressionAttributeValues = new() { [":now"] = cutoff },
                        }, cancellationToken).ConfigureAwait(false);
                        purged++;
                    }
                    catch (ConditionalCheckFailedException)
                    {
                        // Changed since the scan read it (a stage result landed): no longer purgeable.
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
    /// The single conditional UpdateItem of a stage result: the stage's state, recipe version, outputs and error,
    /// updatedAt; the source facts only if not yet set; the pending expiry removed. Nothing else of the item is touched.
    /// The condition: the item exists, is not deleted, holds no other source etag, and the stage is not done — or, for a
    /// done result only, it is done by an older recipe (an absent version is 1). A failure never replaces a done stage.
    /// </summary>
    internal static UpdateItemRequest StageUpdate(string tableName, StageOutcome outcome)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(outcome.RecipeVersion, 1);
        var names = new Dictionary<string, string>
        {
            ["#id"] = Id,
            ["#stages"] = Stages,
            ["#errors"] = Errors,
            ["#stage"] = outcome.Stage.ToName(),
            ["#outputs"] = OutputsOf(outcome.Stage),
            ["#recipe"] = RecipeVersionOf(outcome.Stage),
            ["#updatedAt"] = UpdatedAt,
            ["#sourceEtag"] = SourceEtag,
            ["#deletedAt"] = DeletedAt,
            ["#expiresAt"] = ExpiresAt,
        };
        var values = new Dictionary<string, AttributeValue>
        {
            [":state"] = S(outcome.State.ToName()),
            [":recipe"] = N(outcome.RecipeVersion),
            [":at"] = Time(outcome.At),
            [":etag"] = S(outcome.SourceEtag),
            [Done] = S(StageState.Done.ToName()),
        };
        var set = new List<string>
        {
            "#stages.#stage = :state",
            "#recipe = :recipe",
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
                "AND (attribute_not_exists(#sourceEtag) OR #sourceEtag = :etag) AND " + StageCondition(outcome),
            ExpressionAttributeNames = names,
            ExpressionAttributeValues = values,
            ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
        };
    }

    /// <summary>
    /// The stage part of the condition. A failure: the stage is not done. A done result: not done, or done by an older
    /// recipe; an absent version counts as 1, so it can only be older than a version above 1 (comparing an absent
    /// attribute is simply false).
    /// </summary>
    private static string StageCondition(StageOutcome outcome) => outcome.State switch
    {
        StageState.Done when outcome.RecipeVersion > 1 => "(#stages.#stage <> " + Done + " OR attribute_not_exists(#recipe) OR #recipe < :recipe)",
        StageState.Done => "(#stages.#stage <> " + Done + " OR #recipe < :recipe)",
        _ => "#stages.#stage <> " + Done,
    };

    /// <summary>
    /// Reprocessing's single conditional UpdateItem: a failed stage back to pending, its error removed, updatedAt set;
    /// only while the item exists, is not deleted and the stage is still failed.
    /// </summary>
    internal static UpdateItemRequest ResetUpdate(string tableName, Guid id, Stage stage, DateTimeOffset readUpdatedAt, DateTimeOffset at) => new()
    {
        TableName = tableName,
        Key = Key(id),
        UpdateExpression = "SET #stages.#stage = :pending, #updatedAt = :at REMOVE #errors.#stage",
        ConditionExpression = "attribute_exists(#id) AND attribute_not_exists(#deletedAt) AND #stages.#stage = :failed AND #updatedAt = :read",
        ExpressionAttributeNames = new()
        {
            ["#id"] = Id,
            ["#stages"] = Stages,
            ["#errors"] = Errors,
            ["#stage"] = stage.ToName(),
            ["#updatedAt"] = UpdatedAt,
            ["#deletedAt"] = DeletedAt,
        },
        ExpressionAttributeValues = new()
        {
            [":pending"] = S(StageState.Pending.ToName()),
            [":failed"] = S(StageState.Failed.ToName()),
            [":at"] = Time(at),
            [":read"] = Time(readUpdatedAt),
        },
    };

    /// <summary>
    /// Why a stage write's condition failed, from the item as it was: unknown, deleted, stale, or already done (done,
    /// and the outcome is a failure or of the same or an older recipe). Null when the item allows the write: it changed
    /// between the refused write and a read (only when the old item had to be read separately).
    /// </summary>
    internal static StageWriteResult? Classify(Dictionary<string, AttributeValue>? item, StageOutcome outcome)
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

        var stage = item.TryGetValue(Stages, out var stages) && MapOf(stages) is { } map && map.TryGetValue(outcome.Stage.ToName(), out var state) ? state.S : null;
        var version = item.TryGetValue(RecipeVersionOf(outcome.Stage), out var recipe) && recipe.N is { } n
            ? long.Parse(n, NumberStyles.Integer, CultureInfo.InvariantCulture)
            : 1;
        if (stage == StageState.Done.ToName() && (outcome.State != StageState.Done || version >= outcome.RecipeVersion))
        {
            return StageWriteResult.AlreadyDone;
        }

        return null;
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
