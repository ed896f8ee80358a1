using System.Text.Json.Serialization;
using ImagePipeline.Core.Imaging;

namespace ImagePipeline.Cli;

// The REST API v1 wire shapes as the client reads and writes them (openapi.json in src/ImagePipeline.Http describes
// the same; the CLI does not reference the server's assembly). OriginalInfo and ErrorInfo (and Core's ImageMetadata) are
// shared with `process` (ProcessModels.cs): the shapes are the same.

/// <summary>The body of <c>POST /v1/uploads</c>.</summary>
internal sealed record UploadRequest(string FileName, string ContentType, long ContentLength);

/// <summary>The 201 answer of <c>POST /v1/uploads</c>.</summary>
internal sealed record UploadCreated(string ImageId, UploadInstructions Upload);

/// <summary>The presigned request that uploads the original: send exactly <see cref="Headers"/>.</summary>
internal sealed record UploadInstructions(string Url, string Method, Dictionary<string, string> Headers, DateTimeOffset ExpiresAt);

/// <summary>One page of <c>GET /v1/images</c>, newest first.</summary>
internal sealed record ImagePage(List<ImageSummary> Items, string? NextCursor);

/// <summary>An image in a listing.</summary>
internal sealed record ImageSummary(string Id, string FileName, string Status, DateTimeOffset CreatedAt, string? ThumbnailUrl, string? Placeholder);

/// <summary><c>GET /v1/images/{id}</c>.</summary>
internal sealed record ImageDetail(
    string Id,
    string FileName,
    string Status,
    DateTimeOffset CreatedAt,
    string? ThumbnailUrl,
    string? Placeholder,
    string ContentType,
    DateTimeOffset UpdatedAt,
    OriginalInfo? Original,
    ImageMetadata? Metadata,
    List<RenditionInfo> Renditions,
    ThumbnailInfo? Thumbnail,
    ErrorInfo? Error);

/// <summary>A rendition made, with a short-lived URL.</summary>
internal sealed record RenditionInfo(string Name, int Width, int Height, string Format, long Bytes, string Url);

/// <summary>The thumbnail made, with a short-lived URL.</summary>
internal sealed record ThumbnailInfo(int Width, int Height, string Format, long Bytes, string Url);

/// <summary>An RFC 9457 problem detail; <see cref="ImageStatus"/> only where the image's status explains it.</summary>
internal sealed record ApiProblem(string? Type, string? Title, int? Status, string? Detail, string? ImageStatus);

/// <summary><c>GET /v1/config</c>: how clients sign in; <see cref="Auth"/> is null on an anonymous deployment.</summary>
internal sealed record ClientConfig(SignInSettings? Auth);

/// <summary>
/// The sign-in of a deployment: the OpenID Connect issuer, the public client, the scopes to ask for, and the CLI's
/// fixed loopback redirect (<c>http://localhost:PORT/callback</c>).
/// </summary>
internal sealed record SignInSettings(string Authority, string ClientId, List<string>? Scopes, string? LogoutUrl, string? CliRedirectUri);

/// <summary>Source-generated JSON of the API's shapes: camelCase, nulls written.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(UploadRequest))]
[JsonSerializable(typeof(UploadCreated))]
[JsonSerializable(typeof(ImagePage))]
[JsonSerializable(typeof(ImageDetail))]
[JsonSerializable(typeof(ApiProblem))]
[JsonSerializable(typeof(ClientConfig))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
