using System.Globalization;

namespace ImagePipeline.Core.Catalog;

/// <summary>The scalar types a key attribute can have in a key-value table.</summary>
public enum KeyAttributeType
{
    /// <summary>A string (DynamoDB <c>S</c>).</summary>
    String,
    /// <summary>A number (DynamoDB <c>N</c>).</summary>
    Number,
}

/// <summary>A key attribute: its name and type.</summary>
/// <param name="Name">Attribute name.</param>
/// <param name="Type">Attribute type.</param>
public sealed record KeyAttribute(string Name, KeyAttributeType Type);

/// <summary>A global secondary index projecting every attribute.</summary>
/// <param name="Name">Index name.</param>
/// <param name="PartitionKey">Its partition key.</param>
/// <param name="SortKey">Its sort key.</param>
public sealed record GlobalIndex(string Name, KeyAttribute PartitionKey, KeyAttribute SortKey);

/// <summary>
/// The images table, defined once: the DynamoDB adapter, its tests (which create the table in an emulator) and the CDK
/// stack all read it from here, so the deployed table can never drift from the one the code was tested against.
/// </summary>
public static class CatalogTableSchema
{
    /// <summary>Partition key: the image id in its canonical text form.</summary>
    public static KeyAttribute PartitionKey { get; } = new("id", KeyAttributeType.String);

    /// <summary>The owner index: newest-first listing per owner.</summary>
    public static GlobalIndex ByOwner { get; } = new(
        "byOwner",
        new KeyAttribute("ownerId", KeyAttributeType.String),
        new KeyAttribute("createdKey", KeyAttributeType.String));

    /// <summary>
    /// The TTL attribute: epoch seconds (a DynamoDB number) after which a pending record or a tombstone is removed.
    /// </summary>
    public const string TimeToLiveAttribute = "expiresAt";

    /// <summary>Every global secondary index.</summary>
    public static IReadOnlyList<GlobalIndex> GlobalIndexes { get; } = [ByOwner];

    /// <summary>
    /// The owner index's sort key, <c>createdAt#id</c>: a fixed-width UTC timestamp (100 ns ticks, so ordinal order is
    /// time order) and the canonical id, which breaks ties the way the contract orders them.
    /// </summary>
    public static string CreatedKey(DateTimeOffset createdAt, Guid id) =>
        string.Create(CultureInfo.InvariantCulture, $"{createdAt.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffffffZ}#{ImageIds.Format(id)}");
}
