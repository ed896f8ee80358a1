using System.Text.Json.Serialization;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Imaging;

namespace ImagePipeline.Local.Catalog;

/// <summary>
/// Source-generated (reflection-free) JSON of the catalog's nested attributes. Every member is written, nulls included,
/// so a stored document always has the same shape; GPS is part of <see cref="ImageMetadata"/> and always stored.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(OriginalFacts))]
[JsonSerializable(typeof(ImageMetadata))]
[JsonSerializable(typeof(DerivedFacts))]
[JsonSerializable(typeof(IReadOnlyList<DerivedFacts>))]
[JsonSerializable(typeof(StageError))]
internal sealed partial class CatalogJsonContext : JsonSerializerContext;
