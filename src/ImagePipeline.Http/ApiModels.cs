using System.Text.Json.Serialization;

namespace ImagePipeline.Http;

// The wire shapes of the REST API v1. Every member is always written (null when absent), except a problem's
// imageStatus, which is present only where the image's status explains the error. openapi.json describes the same.

/// <summary><c>GET /v1/health</c>.</summary>
/// <param name="Status">Always <c>ok</c>.</param>
/// <param name="Version">The deployment's version.</param>
/// <param name="Formats">The formats the loaded image engine decodes (<c>jpeg</c>, <c>png</c>…).</param>
public sealed record HealthResponse(string Status, string Version, IReadOnlyList<string> Formats);

/// <summary>The answer of <c>GET /v1/config</c>: how a client signs in (null: the deployment is anonymous).</summary>
public sealed record ConfigResponse(SignInConfig? Auth);

/// <summary>How a client signs in: the OpenID Connect issuer, the public client, the scopes to ask for.</summary>
/// <param name="Authority">The issuer (its discovery document is under <c>/.well-known/openid-configuration</c>).</param>
/// <param name="ClientId">The public client for the authorization-code flow with PKCE.</param>
/// <param name="Scopes">The scopes to request.</param>
/// <param name="LogoutUrl">Where to send the browser to sign out, when the issuer has no standard end-session endpoint.</param>
/// <param name="CliRedirectUri">The CLI's fixed loopback redirect (<c>http://localhost:PORT/callback</c>).</param>
public sealed record SignInConfig(string Authority, string ClientId, IReadOnlyList<string> Scopes, string? LogoutUrl, string CliRedirectUri);

/// <summary>The body of <c>POST /v1/uploads</c>.</summary>
/// <param name="FileName">The file's name, kept for display and downloads.</param>
/// <param name="ContentType">Its media type, e.g. <c>image/jpeg</c>.</param>
/// <param name="ContentLength">Its exact size in bytes.</param>
public sealed record UploadRequest(string? FileName, string? ContentType, long? ContentLength);

/// <summary>The 201 answer of <c>POST /v1/uploads</c>.</summary>
/// <param name="ImageId">The new image's id.</param>
/// <param name="Upload">The request the client must send to upload the original.</param>
public sealed record UploadCreated(string ImageId, UploadInstructions Upload);

/// <summary>A presigned PUT: the client must send exactly these headers.</summary>
/// <param name="Url">Absolute URL.</param>
/// <param name="Method">Always <c>PUT</c>.</param>
/// <param name="Headers">Content-Type, Content-Length, If-None-Match: *.</param>
/// <param name="ExpiresAt">When the URL stops working.</param>
public sealed record UploadInstructions(string Url, string Method, IReadOnlyDictionary<string, string> Headers, DateTimeOffset ExpiresAt);

/// <summary>One page of <c>GET /v1/images</c>, newest first.</summary>
/// <param name="Items">The images.</param>
/// <param name="NextCursor">The cursor of the next page, null on the last.</param>
public sealed record ImagePage(IReadOnlyList<ImageSummary> Items, string? NextCursor);

/// <summary>An image in a listing.</summary>
/// <param name="Id">The image id.</param>
/// <param name="FileName">The uploader's file name.</param>
/// <param name="Status"><c>pending</c>, <c>processing</c>, <c>ready</c> or <c>failed</c>.</param>
/// <param name="CreatedAt">Creation time.</param>
/// <param name="ThumbnailUrl">A short-lived URL of the thumbnail, null until it is made.</param>
/// <param name="Placeholder">Reserved for a ThumbHash; null for now.</param>
public sealed record ImageSummary(string Id, string FileName, string Status, DateTimeOffset CreatedAt, string? ThumbnailUrl, string? Placeholder);

/// <summary><c>GET /v1/images/{id}</c>: the summary's fields and everything the pipeline learned and made.</summary>
/// <param name="Id">The image id.</param>
/// <param name="FileName">The uploader's file name.</param>
/// <param name="Status"><c>pending</c>, <c>processing</c>, <c>ready</c> or <c>failed</c>.</param>
/// <param name="CreatedAt">Creation time.</param>
/// <param name="ThumbnailUrl">A short-lived URL of the thumbnail, null until it is made.</param>
/// <param name="Placeholder">Reserved for a ThumbHash; null for now.</param>
/// <param name="ContentType">The declared media type.</param>
/// <param name="UpdatedAt">Last change.</param>
/// <param name="Original">Header facts of the original, once read.</param>
/// <param name="Metadata">The EXIF subset, once read.</param>
/// <param name="Renditions">Renditions made (empty until the resize stage is done).</param>
/// <param name="Thumbnail">The thumbnail, once made.</param>
/// <param name="Error">The first failed stage's error.</param>
public sealed record ImageDetail(
    string Id,
    string FileName,
    string Status,
    DateTimeOffset CreatedAt,
    string? ThumbnailUrl,
    string? Placeholder,
    string ContentType,
    DateTimeOffset UpdatedAt,
    OriginalInfo? Original,
    MetadataInfo? Metadata,
    IReadOnlyList<RenditionInfo> Renditions,
    ThumbnailInfo? Thumbnail,
    ErrorInfo? Error);

/// <summary>Header facts of the original (width and height after EXIF orientation).</summary>
/// <param name="Format">Detected format name.</param>
/// <param name="Width">Pixel width.</param>
/// <param name="Height">Pixel height.</param>
/// <param name="Bytes">Size in bytes.</param>
/// <param name="Url">
/// A short-lived download of the original under the uploader's file name (what <c>GET …/original</c> redirects to):
/// a link a page can use without sending its bearer token.
/// </param>
public sealed record OriginalInfo(string Format, int Width, int Height, long Bytes, string Url);

/// <summary>The EXIF subset; each member null when absent.</summary>
/// <param name="CameraMake">Camera make.</param>
/// <param name="CameraModel">Camera model.</param>
/// <param name="LensModel">Lens model.</param>
/// <param name="TakenAt">Local time <c>YYYY-MM-DDTHH:MM:SS</c>, no zone.</param>
/// <param name="ExposureTime">E.g. <c>1/250</c>.</param>
/// <param name="FNumber">Aperture f-number.</param>
/// <param name="Iso">ISO speed.</param>
/// <param name="FocalLength">Millimetres.</param>
/// <param name="Gps">Position; null unless the deployment exposes GPS.</param>
public sealed record MetadataInfo(
    string? CameraMake,
    string? CameraModel,
    string? LensModel,
    string? TakenAt,
    string? ExposureTime,
    double? FNumber,
    int? Iso,
    double? FocalLength,
    GpsInfo? Gps);

/// <summary>A GPS position in decimal degrees; altitude in metres.</summary>
/// <param name="Latitude">North positive.</param>
/// <param name="Longitude">East positive.</param>
/// <param name="Altitude">Null when not recorded.</param>
public sealed record GpsInfo(double Latitude, double Longitude, double? Altitude);

/// <summary>A rendition made, with a short-lived URL.</summary>
/// <param name="Name">Recipe name, e.g. <c>w640</c>.</param>
/// <param name="Width">Pixel width.</param>
/// <param name="Height">Pixel height.</param>
/// <param name="Format">Output format name.</param>
/// <param name="Bytes">Encoded size.</param>
/// <param name="Url">Absolute, expiring URL.</param>
public sealed record RenditionInfo(string Name, int Width, int Height, string Format, long Bytes, string Url);

/// <summary>The thumbnail made, with a short-lived URL.</summary>
/// <param name="Width">Pixel width.</param>
/// <param name="Height">Pixel height.</param>
/// <param name="Format">Output format name.</param>
/// <param name="Bytes">Encoded size.</param>
/// <param name="Url">Absolute, expiring URL.</param>
public sealed record ThumbnailInfo(int Width, int Height, string Format, long Bytes, string Url);

/// <summary>Why processing failed.</summary>
/// <param name="Code">An error code (<c>unsupported_format</c>…).</param>
/// <param name="Message">A message fit to show the uploader.</param>
public sealed record ErrorInfo(string Code, string Message);

/// <summary>An RFC 9457 problem detail (<c>application/problem+json</c>).</summary>
/// <param name="Type">A URI naming the problem type (one of <see cref="ProblemTypes"/>).</param>
/// <param name="Title">A short summary.</param>
/// <param name="Status">The HTTP status code.</param>
/// <param name="Detail">An explanation of this occurrence.</param>
/// <param name="ImageStatus">The image's status, only where it explains the error (omitted otherwise).</param>
public sealed record ApiProblem(
    string Type,
    string Title,
    int Status,
    string Detail,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ImageStatus = null);
