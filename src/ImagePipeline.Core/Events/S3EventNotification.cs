using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImagePipeline.Core.Events;

/// <summary>
/// An S3 event notification as SNS raw delivery puts it into an SQS message body (and as the local outbox stores it).
/// Only the fields the pipeline reads are modelled.
/// </summary>
public sealed record S3EventNotification(
    [property: JsonPropertyName("Records")] IReadOnlyList<S3EventRecord>? Records,
    [property: JsonPropertyName("Event")] string? Event);

/// <summary>One record of a notification.</summary>
public sealed record S3EventRecord(
    [property: JsonPropertyName("eventName")] string? EventName,
    [property: JsonPropertyName("eventTime")] DateTimeOffset? EventTime,
    [property: JsonPropertyName("s3")] S3Entity? S3);

/// <summary>The bucket and object of a record.</summary>
public sealed record S3Entity(
    [property: JsonPropertyName("bucket")] S3Bucket? Bucket,
    [property: JsonPropertyName("object")] S3Object? Object);

/// <summary>The bucket.</summary>
public sealed record S3Bucket([property: JsonPropertyName("name")] string? Name);

/// <summary>The object: key URL-encoded as S3 sends it (spaces as <c>+</c>), size, entity tag without quotes.</summary>
public sealed record S3Object(
    [property: JsonPropertyName("key")] string? Key,
    [property: JsonPropertyName("size")] long? Size,
    [property: JsonPropertyName("eTag")] string? ETag,
    [property: JsonPropertyName("sequencer")] string? Sequencer);

/// <summary>An object-created event the stages act on, with the key decoded.</summary>
/// <param name="Bucket">Bucket name.</param>
/// <param name="Key">Decoded object key.</param>
/// <param name="Size">Size in bytes, as announced.</param>
/// <param name="ETag">Entity tag, without quotes.</param>
/// <param name="Sequencer">S3's ordering hint (never relied on alone: LocalStack sends a constant).</param>
/// <param name="Reprocess">
/// True for an event queued again by reprocessing (<c>ObjectCreated:Reprocess</c>, never sent by S3): a stage that
/// failed for this same original runs again instead of treating the event as a duplicate.
/// </param>
public sealed record ObjectCreated(string Bucket, string Key, long Size, string ETag, string? Sequencer, bool Reprocess = false);

/// <summary>Reads notification bodies. Malformed bodies are a <see cref="FormatException"/>.</summary>
public static class S3EventParser
{
    /// <summary>
    /// The object-created records of a message body. An <c>s3:TestEvent</c>, or a body without records, yields none
    /// (acknowledged and ignored); records of other event types are skipped.
    /// </summary>
    public static IReadOnlyList<ObjectCreated> Parse(string body)
    {
        S3EventNotification? notification;
        try
        {
            notification = JsonSerializer.Deserialize(body, CoreJsonContext.Default.S3EventNotification);
        }
        catch (JsonException e)
        {
            throw new FormatException("The message body is not an S3 event notification: " + e.Message, e);
        }

        if (notification?.Records is not { } records)
        {
            return [];
        }

        var created = new List<ObjectCreated>();
        foreach (var record in records)
        {
            if (record is null)
            {
                throw new FormatException("The message body is not an S3 event notification: a record is null.");
            }

            if (record.EventName?.StartsWith("ObjectCreated:", StringComparison.Ordinal) != true
                || record.S3?.Object is not { Key: { } key, ETag: { } etag } obj)
            {
                continue;
            }

            created.Add(new ObjectCreated(
                record.S3.Bucket?.Name ?? "", DecodeKey(key), obj.Size ?? 0, etag.Trim('"'), obj.Sequencer, record.EventName == ReprocessEventName));
        }

        return created;
    }

    /// <summary>The event name of an event queued by reprocessing; S3 itself never sends it.</summary>
    public const string ReprocessEventName = "ObjectCreated:Reprocess";

    /// <summary>S3 keys in events are form-URL-encoded: <c>+</c> is a space, <c>%2B</c> a plus, <c>%2F</c> a slash.</summary>
    public static string DecodeKey(string key) => Uri.UnescapeDataString(key.Replace('+', ' '));

    // Written as S3 writes it: '+' and '%' stay literal rather than \u002B escapes.
    private static readonly CoreJsonContext Writer = new(new JsonSerializerOptions
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    });

    /// <summary>
    /// The body S3 (via SNS raw delivery) would send for one created object; used by the local outbox and by
    /// reprocessing.
    /// </summary>
    public static string Serialize(ObjectCreated created, DateTimeOffset eventTime)
    {
        var notification = new S3EventNotification(
            [
                new S3EventRecord(
                    created.Reprocess ? ReprocessEventName : "ObjectCreated:Put",
                    eventTime,
                    new S3Entity(
                        new S3Bucket(created.Bucket),
                        new S3Object(EncodeKey(created.Key), created.Size, created.ETag, created.Sequencer))),
            ],
            null);
        return JsonSerializer.Serialize(notification, Writer.S3EventNotification);
    }

    // As S3 does: each segment form-encoded, slashes kept.
    private static string EncodeKey(string key) =>
        string.Join('/', key.Split('/').Select(segment => Uri.EscapeDataString(segment).Replace("%20", "+", StringComparison.Ordinal)));
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(S3EventNotification))]
internal sealed partial class CoreJsonContext : JsonSerializerContext;
