using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ImagePipeline.Functions.Observability;

/// <summary>Log levels, as written in the <c>level</c> field.</summary>
internal enum LogLevel
{
    Debug,
    Information,
    Warning,
    Error,
}

/// <summary>
/// Structured logs for CloudWatch: one JSON object per line on stdout with <c>timestamp</c>, <c>level</c>,
/// <c>message</c> (the template rendered), <c>messageTemplate</c>, <c>properties</c> (the template's holes by name),
/// and the current invocation's <c>requestId</c> and <c>traceId</c>. Written with <see cref="Utf8JsonWriter"/>, so no
/// reflection and no logging framework in the function package.
/// </summary>
internal sealed class JsonLogger(TextWriter output, TimeProvider clock, string function, LogLevel minimum = LogLevel.Information)
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly Lock _gate = new();

    /// <summary>The function this process serves (<c>resize</c>, <c>thumbnail</c>, <c>api</c>).</summary>
    public string Function => function;

    /// <summary>The invocation being handled; null between invocations and during init.</summary>
    public string? RequestId { get; set; }

    /// <summary>The X-Ray trace header of the invocation being handled.</summary>
    public string? TraceId { get; set; }

    public void Debug(string template, params object?[] values) => Write(LogLevel.Debug, null, template, values);

    public void Information(string template, params object?[] values) => Write(LogLevel.Information, null, template, values);

    public void Warning(string template, params object?[] values) => Write(LogLevel.Warning, null, template, values);

    public void Error(Exception? exception, string template, params object?[] values) => Write(LogLevel.Error, exception, template, values);

    /// <summary>Writes one line (when <paramref name="level"/> is at least the minimum).</summary>
    public void Write(LogLevel level, Exception? exception, string template, object?[] values)
    {
        if (level < minimum)
        {
            return;
        }

        var line = Format(level, exception, template, values);
        lock (_gate)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }

    /// <summary>The JSON line for one event (without the newline).</summary>
    public string Format(LogLevel level, Exception? exception, string template, object?[] values)
    {
        var holes = MessageTemplate.Parse(template);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("timestamp", clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            json.WriteString("level", level.ToString());
            json.WriteString("message", MessageTemplate.Render(template, holes, values));
            json.WriteString("messageTemplate", template);
            json.WriteString("function", function);
            WriteNullable(json, "requestId", RequestId);
            WriteNullable(json, "traceId", TraceId);
            json.WriteStartObject("properties");
            for (var i = 0; i < holes.Count; i++)
            {
                json.WritePropertyName(holes[i].Name);
                WriteValue(json, i < values.Length ? values[i] : null);
            }

            json.WriteEndObject();
            if (exception is not null)
            {
                json.WriteStartObject("exception");
                json.WriteString("type", exception.GetType().FullName);
                json.WriteString("message", exception.Message);
                WriteNullable(json, "stackTrace", exception.StackTrace);
                WriteNullable(json, "inner", exception.InnerException?.ToString());
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    // Numbers stay numbers so CloudWatch Logs Insights can filter and aggregate them.
    private static void WriteValue(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNullValue();
                break;
            case string s:
                json.WriteStringValue(s);
                break;
            case bool b:
                json.WriteBooleanValue(b);
                break;
            case int i:
                json.WriteNumberValue(i);
                break;
            case long l:
                json.WriteNumberValue(l);
                break;
            case double d when double.IsFinite(d):
                json.WriteNumberValue(Math.Round(d, 3));
                break;
            case Guid g:
                json.WriteStringValue(g.ToString("D"));
                break;
            case DateTimeOffset t:
                json.WriteStringValue(t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
                break;
            case TimeSpan span:
                json.WriteNumberValue(Math.Round(span.TotalMilliseconds, 3));
                break;
            case IFormattable formattable:
                json.WriteStringValue(formattable.ToString(null, CultureInfo.InvariantCulture));
                break;
            default:
                json.WriteStringValue(value.ToString());
                break;
        }
    }
}

/// <summary>A hole of a message template: <c>{Name}</c> or <c>{Name:format}</c>.</summary>
internal readonly record struct TemplateHole(int Start, int Length, string Name, string? Format);

/// <summary>Message templates as Microsoft.Extensions.Logging writes them: holes filled by position, <c>{{</c> and <c>}}</c> escape braces.</summary>
internal static class MessageTemplate
{
    public static IReadOnlyList<TemplateHole> Parse(string template)
    {
        var holes = new List<TemplateHole>();
        for (var i = 0; i < template.Length; i++)
        {
            if (template[i] == '{')
            {
                if (i + 1 < template.Length && template[i + 1] == '{')
                {
                    i++;
                    continue;
                }

                var end = template.IndexOf('}', i + 1);
                if (end < 0)
                {
                    break;
                }

                var inside = template[(i + 1)..end];
                var colon = inside.IndexOf(':', StringComparison.Ordinal);
                holes.Add(new TemplateHole(i, end - i + 1, colon < 0 ? inside : inside[..colon], colon < 0 ? null : inside[(colon + 1)..]));
                i = end;
            }
            else if (template[i] == '}' && i + 1 < template.Length && template[i + 1] == '}')
            {
                i++;
            }
        }

        return holes;
    }

    public static string Render(string template, IReadOnlyList<TemplateHole> holes, object?[] values)
    {
        var text = new StringBuilder(template.Length + 32);
        var position = 0;
        for (var h = 0; h < holes.Count; h++)
        {
            var hole = holes[h];
            AppendLiteral(text, template, position, hole.Start);
            var value = h < values.Length ? values[h] : null;
            text.Append(value switch
            {
                null => "null",
                TimeSpan span => span.TotalMilliseconds.ToString(hole.Format ?? "0", CultureInfo.InvariantCulture),
                IFormattable formattable => formattable.ToString(hole.Format, CultureInfo.InvariantCulture),
                _ => value.ToString(),
            });
            position = hole.Start + hole.Length;
        }

        AppendLiteral(text, template, position, template.Length);
        return text.ToString();
    }

    private static void AppendLiteral(StringBuilder text, string template, int start, int end)
    {
        for (var i = start; i < end; i++)
        {
            text.Append(template[i]);
            if ((template[i] == '{' || template[i] == '}') && i + 1 < end && template[i + 1] == template[i])
            {
                i++;
            }
        }
    }
}
