namespace ImagePipeline.Http;

/// <summary>The OpenAPI 3.1 description of the API, embedded in this assembly and served at <c>GET /v1/openapi.json</c>.</summary>
public static class OpenApiDocument
{
    private const string ResourceName = "ImagePipeline.Http.openapi.json";

    private static readonly Lazy<byte[]> Document = new(Load);

    /// <summary>The document's UTF-8 JSON bytes.</summary>
    public static ReadOnlyMemory<byte> Utf8 => Document.Value;

    private static byte[] Load()
    {
        using var stream = typeof(OpenApiDocument).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing from the build.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
