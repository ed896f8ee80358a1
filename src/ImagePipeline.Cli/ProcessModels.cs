using System.Text.Json.Serialization;
using ImagePipeline.Core.Imaging;

namespace ImagePipeline.Cli;

/// <summary>One element of <c>process --json</c>: the outcome of one input.</summary>
internal sealed record ProcessOutcome(string Input, string Status, string? Output, ErrorInfo? Error);

internal sealed record ErrorInfo(string Code, string Message);

/// <summary>The <c>metadata.json</c> written beside the outputs of one input.</summary>
internal sealed record ProcessMetadata(
    string Source,
    OriginalInfo Original,
    ImageMetadata Metadata,
    IReadOnlyList<RenditionFile> Renditions,
    ThumbnailFile Thumbnail);

internal sealed record OriginalInfo(string Format, int Width, int Height, long Bytes);

internal sealed record RenditionFile(string Name, int Width, int Height, string Format, long Bytes, string File);

internal sealed record ThumbnailFile(int Width, int Height, string Format, long Bytes, string File);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    WriteIndented = true)]
[JsonSerializable(typeof(ProcessMetadata))]
[JsonSerializable(typeof(List<ProcessOutcome>))]
[JsonSerializable(typeof(List<UploadOutcome>))]
[JsonSerializable(typeof(List<ReprocessOutcome>))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
