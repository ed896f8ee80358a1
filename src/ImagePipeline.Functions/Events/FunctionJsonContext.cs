using System.Text.Json.Serialization;

namespace ImagePipeline.Functions.Events;

/// <summary>Source-generated (reflection-free, AOT-safe) JSON metadata of every event and response the functions exchange.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SqsEvent))]
[JsonSerializable(typeof(SqsBatchResponse))]
[JsonSerializable(typeof(HttpApiRequest))]
[JsonSerializable(typeof(HttpApiResponse))]
internal sealed partial class FunctionJsonContext : JsonSerializerContext;
