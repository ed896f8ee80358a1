using System.Globalization;
using Amazon.DynamoDBv2.Model;
using ImagePipeline.Core;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Imaging;

namespace ImagePipeline.Aws;

/// <summary>
/// The DynamoDB item of an <see cref="ImageRecord"/>, mapped by hand (no reflection). Key, index and TTL attribute
/// names come from <see cref="CatalogTableSchema"/>; the rest are the design's record field names. Timestamps are
/// fixed-width UTC text (100 ns precision, sorting as time) except <c>expiresAt</c>, which TTL needs as epoch seconds.
/// </summary>
internal static class CatalogItem
{
    public static string Id => CatalogTableSchema.PartitionKey.Name;
    public static string OwnerId => CatalogTableSchema.ByOwner.PartitionKey.Name;
    public static string CreatedKey => CatalogTableSchema.ByOwner.SortKey.Name;
    public const string ExpiresAt = CatalogTableSchema.TimeToLiveAttribute;

    public const string FileName = "fileName";
    public const string ContentType = "contentType";
    public const string DeclaredBytes = "declaredBytes";
    public const string CreatedAt = "createdAt";
    public const string UpdatedAt = "updatedAt";
    public const string DeletedAt = "deletedAt";
    public const string SourceEtag = "sourceEtag";
    public const string Original = "original";
    public const string Metadata = "metadata";
    public const string Stages = "stages";
    public const string Renditions = "renditions";
    public const string Thumbnail = "thumbnail";
    public const string Errors = "errors";

    // Top-level numbers rather than a map: an update can SET them on items written before versions were recorded
    // (a nested path needs its map to exist). Absent reads as recipe version 1.
    public const string ResizeRecipeVersion = "resizeRecipeVersion";
    public const string ThumbnailRecipeVersion = "thumbnailRecipeVersion";

    private const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    /// <summary>The attribute holding a stage's outputs.</summary>
    public static string OutputsOf(Stage stage) => stage == Stage.Resize ? Renditions : Thumbnail;

    /// <summary>The attribute holding the recipe version a stage's result was made with.</summary>
    public static string RecipeVersionOf(Stage stage) => stage == Stage.Resize ? ResizeRecipeVersion : ThumbnailRecipeVersion;

    public static Dictionary<string, AttributeValue> Key(Guid id) => new() { [Id] = S(ImageIds.Format(id)) };

    public static Dictionary<string, AttributeValue> ToItem(ImageRecord record)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [Id] = S(ImageIds.Format(record.Id)),
            [OwnerId] = S(record.OwnerId),
            [FileName] = S(record.FileName),
            [ContentType] = S(record.ContentType),
            [DeclaredBytes] = N(record.DeclaredBytes),
            [CreatedAt] = Time(record.CreatedAt),
            [UpdatedAt] = Time(record.UpdatedAt),
            [Stages] = M(new()
            {
                [Stage.Resize.ToName()] = S(record.ResizeState.ToName()),
                [Stage.Thumbnail.ToName()] = S(record.ThumbnailState.ToName()),
            }),
            // Present even when empty: a stage result SETs errors.<stage>, which needs the map to exist.
            [Errors] = M(ErrorsMap(record)),
        };

        // Tombstones carry no createdKey, which is what keeps them out of the owner index.
        if (record.DeletedAt is { } deletedAt)
        {
            item[DeletedAt] = Time(deletedAt);
        }
        else
        {
            item[CreatedKey] = S(CatalogTableSchema.CreatedKey(record.CreatedAt, record.Id));
        }

        if (record.ExpiresAt is { } expiresAt)
        {
            item[ExpiresAt] = EpochSeconds(expiresAt);
        }

        if (record.SourceEtag is { } etag)
        {
            item[SourceEtag] = S(etag);
        }

        if (record.Original is { } original)
        {
            item[Original] = ToAttribute(original);
        }

        if (record.Metadata is { } metadata)
        {
            item[Metadata] = ToAttribute(metadata);
        }

        if (record.Renditions is { } renditions)
        {
            item[Renditions] = ToAttribute(renditions);
        }

        if (record.Thumbnail is { } thumbnail)
        {
            item[Thumbnail] = ToAttribute(thumbnail);
        }

        if (record.ResizeRecipeVersion is { } resizeRecipe)
        {
            item[ResizeRecipeVersion] = N(resizeRecipe);
        }

        if (record.ThumbnailRecipeVersion is { } thumbnailRecipe)
        {
            item[ThumbnailRecipeVersion] = N(thumbnailRecipe);
        }

        return item;
    }

    public static ImageRecord FromItem(Dictionary<string, AttributeValue> item)
    {
        var stages = Map(item, Stages);
        var errors = item.TryGetValue(Errors, out var e) && MapOf(e) is { } m ? m : [];
        return new ImageRecord
        {
            Id = Guid.ParseExact(Text(item, Id), "D"),
            OwnerId = Text(item, OwnerId),
            FileName = Text(item, FileName),
            ContentType = Text(item, ContentType),
            DeclaredBytes = Long(item, DeclaredBytes),
            CreatedAt = ParseTime(Text(item, CreatedAt)),
            UpdatedAt = ParseTime(Text(item, UpdatedAt)),
            ExpiresAt = item.TryGetValue(ExpiresAt, out var expires) && expires.N is { } seconds
                ? DateTimeOffset.FromUnixTimeSeconds(long.Parse(seconds, CultureInfo.InvariantCulture))
                : null,
            DeletedAt = OptionalText(item, DeletedAt) is { } deleted ? ParseTime(deleted) : null,
            SourceEtag = OptionalText(item, SourceEtag),
            Original = item.TryGetValue(Original, out var original) && MapOf(original) is { } o ? OriginalFrom(o) : null,
            Metadata = item.TryGetValue(Metadata, out var metadata) && MapOf(metadata) is { } md ? MetadataFrom(md) : null,
            ResizeState = CatalogNames.ParseState(Text(stages, Stage.Resize.ToName())),
            ThumbnailState = CatalogNames.ParseState(Text(stages, Stage.Thumbnail.ToName())),
            Renditions = item.TryGetValue(Renditions, out var list) && list.IsLSet ? list.L.Select(r => DerivedFrom(MapOf(r) ?? throw Missing(Renditions))).ToArray() : null,
            Thumbnail = item.TryGetValue(Thumbnail, out var thumbnail) && MapOf(thumbnail) is { } t ? DerivedFrom(t) : null,
            ResizeRecipeVersion = OptionalLong(item, ResizeRecipeVersion) is { } resizeRecipe ? checked((int)resizeRecipe) : null,
            ThumbnailRecipeVersion = OptionalLong(item, ThumbnailRecipeVersion) is { } thumbnailRecipe ? checked((int)thumbnailRecipe) : null,
            ResizeError = errors.TryGetValue(Stage.Resize.ToName(), out var re) && MapOf(re) is { } rm ? ErrorFrom(rm) : null,
            ThumbnailError = errors.TryGetValue(Stage.Thumbnail.ToName(), out var te) && MapOf(te) is { } tm ? ErrorFrom(tm) : null,
        };
    }

    public static AttributeValue ToAttribute(OriginalFacts original) => M(new()
    {
        ["format"] = S(original.Format),
        ["width"] = N(original.Width),
        ["height"] = N(original.Height),
        ["bytes"] = N(original.Bytes),
    });

    public static AttributeValue ToAttribute(DerivedFacts derived) => M(new()
    {
        ["name"] = S(derived.Name),
        ["width"] = N(derived.Width),
        ["height"] = N(derived.Height),
        ["format"] = S(derived.Format),
        ["bytes"] = N(derived.Bytes),
        ["key"] = S(derived.Key),
    });

    public static AttributeValue ToAttribute(IReadOnlyList<DerivedFacts> renditions) => new() { L = renditions.Select(ToAttribute).ToList(), IsLSet = true };

    public static AttributeValue ToAttribute(StageError error) => M(new() { ["code"] = S(error.Code), ["message"] = S(error.Message) });

    /// <summary>Only the members present: an absent attribute reads back as null.</summary>
    public static AttributeValue ToAttribute(ImageMetadata metadata)
    {
        var map = new Dictionary<string, AttributeValue>();
        Put(map, "cameraMake", metadata.CameraMake);
        Put(map, "cameraModel", metadata.CameraModel);
        Put(map, "lensModel", metadata.LensModel);
        Put(map, "takenAt", metadata.TakenAt);
        Put(map, "exposureTime", metadata.ExposureTime);
        Put(map, "fNumber", metadata.FNumber);
        Put(map, "iso", metadata.Iso);
        Put(map, "focalLength", metadata.FocalLength);
        if (metadata.Gps is { } gps)
        {
            var location = new Dictionary<string, AttributeValue> { ["latitude"] = N(gps.Latitude), ["longitude"] = N(gps.Longitude) };
            Put(location, "altitude", gps.Altitude);
            map["gps"] = M(location);
        }

        return M(map);
    }

    public static AttributeValue S(string value) => new() { S = value };

    public static AttributeValue N(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    // "R" round-trips every double exactly; DynamoDB keeps up to 38 significant digits.
    public static AttributeValue N(double value) => new() { N = value.ToString("R", CultureInfo.InvariantCulture) };

    // IsMSet: with AWSConfigs.InitializeCollections every value has an (empty) M, so emptiness cannot mean "not a map";
    // the flag makes an empty map (errors, metadata without EXIF) go over the wire as {} instead of being dropped.
    public static AttributeValue M(Dictionary<string, AttributeValue> map) => new() { M = map, IsMSet = true };

    /// <summary>The map of a map-typed value, else null.</summary>
    public static Dictionary<string, AttributeValue>? MapOf(AttributeValue value) => value.IsMSet ? value.M : null;

    public static AttributeValue Time(DateTimeOffset value) => S(value.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture));

    /// <summary>
    /// TTL wants whole epoch seconds; a fractional expiry is rounded up so a record is never purged before its time.
    /// </summary>
    public static AttributeValue EpochSeconds(DateTimeOffset value) => N(CeilingSeconds(value));

    public static long CeilingSeconds(DateTimeOffset value)
    {
        var seconds = value.ToUnixTimeSeconds();
        return value.UtcTicks % TimeSpan.TicksPerSecond == 0 ? seconds : seconds + 1;
    }

    private static DateTimeOffset ParseTime(string text) =>
        new(DateTime.ParseExact(text, TimestampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal), TimeSpan.Zero);

    private static Dictionary<string, AttributeValue> ErrorsMap(ImageRecord record)
    {
        var errors = new Dictionary<string, AttributeValue>();
        if (record.ResizeError is { } resize)
        {
            errors[Stage.Resize.ToName()] = ToAttribute(resize);
        }

        if (record.ThumbnailError is { } thumbnail)
        {
            errors[Stage.Thumbnail.ToName()] = ToAttribute(thumbnail);
        }

        return errors;
    }

    private static OriginalFacts OriginalFrom(Dictionary<string, AttributeValue> map) =>
        new(Text(map, "format"), (int)Long(map, "width"), (int)Long(map, "height"), Long(map, "bytes"));

    private static DerivedFacts DerivedFrom(Dictionary<string, AttributeValue> map) =>
        new(Text(map, "name"), (int)Long(map, "width"), (int)Long(map, "height"), Text(map, "format"), Long(map, "bytes"), Text(map, "key"));

    private static StageError ErrorFrom(Dictionary<string, AttributeValue> map) => new(Text(map, "code"), Text(map, "message"));

    private static ImageMetadata MetadataFrom(Dictionary<string, AttributeValue> map) => new(
        OptionalText(map, "cameraMake"),
        OptionalText(map, "cameraModel"),
        OptionalText(map, "lensModel"),
        OptionalText(map, "takenAt"),
        OptionalText(map, "exposureTime"),
        OptionalDouble(map, "fNumber"),
        OptionalLong(map, "iso") is { } iso ? (int)iso : null,
        OptionalDouble(map, "focalLength"),
        map.TryGetValue("gps", out var gps) && MapOf(gps) is { } g
            ? new GpsLocation(OptionalDouble(g, "latitude") ?? 0, OptionalDouble(g, "longitude") ?? 0, OptionalDouble(g, "altitude"))
            : null);

    private static void Put(Dictionary<string, AttributeValue> map, string name, string? value)
    {
        if (value is not null)
        {
            map[name] = S(value);
        }
    }

    private static void Put(Dictionary<string, AttributeValue> map, string name, double? value)
    {
        if (value is { } v)
        {
            map[name] = N(v);
        }
    }

    private static void Put(Dictionary<string, AttributeValue> map, string name, int? value)
    {
        if (value is { } v)
        {
            map[name] = N(v);
        }
    }

    private static Dictionary<string, AttributeValue> Map(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) && MapOf(value) is { } map ? map : throw Missing(name);

    private static string Text(Dictionary<string, AttributeValue> item, string name) => OptionalText(item, name) ?? throw Missing(name);

    private static string? OptionalText(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) ? value.S : null;

    private static long Long(Dictionary<string, AttributeValue> item, string name) => OptionalLong(item, name) ?? throw Missing(name);

    private static long? OptionalLong(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) && value.N is { } n ? long.Parse(n, NumberStyles.Integer, CultureInfo.InvariantCulture) : null;

    private static double? OptionalDouble(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) && value.N is { } n ? double.Parse(n, NumberStyles.Float, CultureInfo.InvariantCulture) : null;

    private static FormatException Missing(string name) => new($"The catalog item has no valid '{name}' attribute.");
}
