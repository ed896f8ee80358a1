using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ImagePipeline.Functions.Observability;

/// <summary>One metric value and its CloudWatch unit (<c>Count</c>, <c>Milliseconds</c>, <c>Bytes</c>).</summary>
internal readonly record struct Metric(string Name, string Unit, double Value);

/// <summary>
/// CloudWatch Embedded Metric Format: a log line whose <c>_aws</c> member tells CloudWatch to extract metrics from
/// it, so metrics cost no API call and no SDK. Every metric is in namespace <c>ImagePipeline</c> with dimension
/// <c>Function</c>; an extra dimension (e.g. <c>ErrorCode</c>) adds a second set, so failures can be counted per code
/// and in total.
/// </summary>
internal sealed class MetricsWriter(TextWriter output, TimeProvider clock, string function)
{
    public const string Namespace = "ImagePipeline";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly Lock _gate = new();

    public void Emit(IReadOnlyList<Metric> metrics, KeyValuePair<string, string>? dimension = null, IReadOnlyList<KeyValuePair<string, string>>? properties = null)
    {
        var line = Format(metrics, dimension, properties);
        lock (_gate)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }

    /// <summary>The EMF document (one line, no newline).</summary>
    public string Format(IReadOnlyList<Metric> metrics, KeyValuePair<string, string>? dimension = null, IReadOnlyList<KeyValuePair<string, string>>? properties = null)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteStartObject("_aws");
            json.WriteNumber("Timestamp", clock.GetUtcNow().ToUnixTimeMilliseconds());
            json.WriteStartArray("CloudWatchMetrics");
            json.WriteStartObject();
            json.WriteString("Namespace", Namespace);
            json.WriteStartArray("Dimensions");
            json.WriteStartArray();
            json.WriteStringValue("Function");
            json.WriteEndArray();
            if (dimension is { } extra)
            {
                json.WriteStartArray();
                json.WriteStringValue("Function");
                json.WriteStringValue(extra.Key);
                json.WriteEndArray();
            }

            json.WriteEndArray();
            json.WriteStartArray("Metrics");
            foreach (var metric in metrics)
            {
                json.WriteStartObject();
                json.WriteString("Name", metric.Name);
                json.WriteString("Unit", metric.Unit);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();

            json.WriteString("Function", function);
            if (dimension is { } d)
            {
                json.WriteString(d.Key, d.Value);
            }

            foreach (var metric in metrics)
            {
                json.WriteNumber(metric.Name, Math.Round(metric.Value, 3));
            }

            foreach (var (name, value) in properties ?? [])
            {
                json.WriteString(name, value);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
