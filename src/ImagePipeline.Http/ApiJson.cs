using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;

namespace ImagePipeline.Http;

/// <summary>Source-generated (reflection-free) JSON metadata of the API's wire shapes.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    Converters = [typeof(UtcTimestampConverter)])]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ConfigResponse))]
[JsonSerializable(typeof(UploadRequest))]
[JsonSerializable(typeof(UploadCreated))]
[JsonSerializable(typeof(ImagePage))]
[JsonSerializable(typeof(ImageDetail))]
[JsonSerializable(typeof(ApiProblem))]
public sealed partial class ApiJsonContext : JsonSerializerContext;

/// <summary>The API's JSON settings: camelCase, nulls written, timestamps in UTC with <c>Z</c>, non-ASCII text unescaped.</summary>
public static class ApiJson
{
    /// <summary>The context every response is written with (and the request body read with).</summary>
    public static ApiJsonContext Context { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        // Letters of every script stay readable; HTML-sensitive characters (<, >, &, ', +) are still escaped.
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
        Converters = { new UtcTimestampConverter() },
        // {"fileName":"a.jpg","fileName":"b.exe"}: two readers could disagree on which one counts; refuse it (400).
        AllowDuplicateProperties = false,
    });
}

/// <summary>
/// Writes a <see cref="DateTimeOffset"/> as ISO 8601 in UTC with <c>Z</c> and only the fraction digits needed
/// (<c>2025-01-02T03:04:05.123Z</c>); reads any ISO 8601 offset back.
/// </summary>
public sealed class UtcTimestampConverter : JsonConverter<DateTimeOffset>
{
    /// <summary>The format written.</summary>
    public const string Format = "yyyy'-'MM'-'dd'T'HH':'mm':'ss.FFFFFFF'Z'";

    /// <inheritdoc/>
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetDateTimeOffset();

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture));
    }
}
