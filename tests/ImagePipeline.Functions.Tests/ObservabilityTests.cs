using System.Text.Json;
using ImagePipeline.Functions.Observability;
using ImagePipeline.Testing;

namespace ImagePipeline.Functions.Tests;

public sealed class ObservabilityTests
{
    private static readonly FakeClock Clock = new(new DateTimeOffset(2026, 11, 22, 10, 15, 30, 123, TimeSpan.Zero));

    [Fact]
    public void JsonLogger_Write_OneJsonLineWithRenderedMessagePropertiesAndInvocation()
    {
        var output = new StringWriter();
        var log = new JsonLogger(output, Clock, "resize") { RequestId = "req-1", TraceId = "Root=1-abc" };
        var id = Guid.Parse("01937a4e-5f2b-7c3d-8e4f-a1b2c3d4e5f6");

        log.Information("Stage {Stage} done image {ImageId} in {ElapsedMs:0} ms, {OutputBytes} bytes {{literal}}", "resize", id, 12.7, 4096L);

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.Equal("2026-11-22T10:15:30.123Z", root.GetProperty("timestamp").GetString());
        Assert.Equal("Information", root.GetProperty("level").GetString());
        Assert.Equal("Stage resize done image 01937a4e-5f2b-7c3d-8e4f-a1b2c3d4e5f6 in 13 ms, 4096 bytes {literal}", root.GetProperty("message").GetString());
        Assert.Equal("resize", root.GetProperty("function").GetString());
        Assert.Equal("req-1", root.GetProperty("requestId").GetString());
        Assert.Equal("Root=1-abc", root.GetProperty("traceId").GetString());
        var properties = root.GetProperty("properties");
        Assert.Equal(12.7, properties.GetProperty("ElapsedMs").GetDouble());
        Assert.Equal(4096, properties.GetProperty("OutputBytes").GetInt64());
        Assert.Equal(id.ToString(), properties.GetProperty("ImageId").GetString());
        Assert.False(properties.TryGetProperty("literal", out _));
    }

    [Fact]
    public void JsonLogger_ErrorWithException_WritesExceptionAndNullInvocationOutsideOne()
    {
        var output = new StringWriter();
        var log = new JsonLogger(output, Clock, "api");

        log.Error(new InvalidOperationException("boom \"quoted\"\nline"), "Failed {Path}", (string?)null);

        using var json = JsonDocument.Parse(output.ToString());
        var root = json.RootElement;
        Assert.Equal("Error", root.GetProperty("level").GetString());
        Assert.Equal("Failed null", root.GetProperty("message").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("requestId").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("properties").GetProperty("Path").ValueKind);
        Assert.Equal("System.InvalidOperationException", root.GetProperty("exception").GetProperty("type").GetString());
        Assert.Equal("boom \"quoted\"\nline", root.GetProperty("exception").GetProperty("message").GetString());
        Assert.DoesNotContain('\n', output.ToString().TrimEnd('\n'));
    }

    [Fact]
    public void JsonLogger_BelowMinimum_WritesNothing()
    {
        var output = new StringWriter();

        new JsonLogger(output, Clock, "api", LogLevel.Information).Debug("Hidden {X}", 1);

        Assert.Equal("", output.ToString());
    }

    [Fact]
    public void MetricsWriter_Format_EmbeddedMetricFormatWithFunctionDimension()
    {
        var writer = new MetricsWriter(TextWriter.Null, Clock, "resize");

        var line = writer.Format([new Metric("ImagesProcessed", "Count", 1), new Metric("OutputBytes", "Bytes", 118518)]);

        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        var aws = root.GetProperty("_aws");
        Assert.Equal(Clock.Now.ToUnixTimeMilliseconds(), aws.GetProperty("Timestamp").GetInt64());
        var directive = Assert.Single(aws.GetProperty("CloudWatchMetrics").EnumerateArray());
        Assert.Equal("ImagePipeline", directive.GetProperty("Namespace").GetString());
        Assert.Equal("""[["Function"]]""", directive.GetProperty("Dimensions").GetRawText());
        Assert.Equal(
            """[{"Name":"ImagesProcessed","Unit":"Count"},{"Name":"OutputBytes","Unit":"Bytes"}]""",
            directive.GetProperty("Metrics").GetRawText());
        Assert.Equal("resize", root.GetProperty("Function").GetString());
        Assert.Equal(1, root.GetProperty("ImagesProcessed").GetDouble());
        Assert.Equal(118518, root.GetProperty("OutputBytes").GetDouble());
    }

    [Fact]
    public void MetricsWriter_Format_ExtraDimensionAddsASecondSet()
    {
        var writer = new MetricsWriter(TextWriter.Null, Clock, "thumbnail");

        var line = writer.Format([new Metric("ImagesFailed", "Count", 1)], new KeyValuePair<string, string>("ErrorCode", "corrupt_image"));

        using var json = JsonDocument.Parse(line);
        var directive = json.RootElement.GetProperty("_aws").GetProperty("CloudWatchMetrics")[0];
        Assert.Equal("""[["Function"],["Function","ErrorCode"]]""", directive.GetProperty("Dimensions").GetRawText());
        Assert.Equal("corrupt_image", json.RootElement.GetProperty("ErrorCode").GetString());
    }

    [Fact]
    public void MetricsWriter_Emit_OneLinePerCall()
    {
        var output = new StringWriter();
        var writer = new MetricsWriter(output, Clock, "api");

        writer.Emit([new Metric("ApiRequests", "Count", 1)]);
        writer.Emit([new Metric("ApiRequests", "Count", 1)]);

        Assert.Equal(2, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }
}
