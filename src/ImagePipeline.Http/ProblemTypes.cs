using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Services;

namespace ImagePipeline.Http;

/// <summary>
/// The problem <c>type</c> URIs, one per kind of problem; stable, so clients may switch on them. Every problem body the
/// project writes carries one of these: the API's, the web page's, the web server's own (an unknown route, a malformed
/// request) and the local host's signed object URLs alike. <c>about:blank</c> is never used.
/// </summary>
public static class ProblemTypes
{
    private const string Base = "https://imagepipeline.dev/problems/";

    /// <summary>400 (and other client errors without a type of their own): a malformed or invalid request.</summary>
    public const string InvalidRequest = Base + "invalid-request";

    /// <summary>401: no valid access token (missing, expired, wrong issuer, audience or signature).</summary>
    public const string Unauthorized = Base + "unauthorized";

    /// <summary>403: a signed object URL that is not valid (forged, expired, or used with other headers than signed).</summary>
    public const string Forbidden = Base + "forbidden";

    /// <summary>404: no such image (unknown, deleted, or a malformed id), rendition, object, route or page.</summary>
    public const string NotFound = Base + "not-found";

    /// <summary>405: the resource exists but not for this method; <c>Allow</c> names the ones it answers.</summary>
    public const string MethodNotAllowed = Base + "method-not-allowed";

    /// <summary>409: the image has not got this yet; <c>imageStatus</c> says where it is.</summary>
    public const string NotReady = Base + "not-ready";

    /// <summary>412: an original was already uploaded for this image (originals are written once).</summary>
    public const string AlreadyUploaded = Base + "already-uploaded";

    /// <summary>413: the declared file is over the size limit, or the request body itself is too large.</summary>
    public const string TooLarge = Base + "too-large";

    /// <summary>415: the declared media type is not accepted or cannot be decoded here, or the request body is not JSON.</summary>
    public const string UnsupportedMediaType = Base + "unsupported-media-type";

    /// <summary>500: an unexpected failure on the server; the body carries no internals.</summary>
    public const string Internal = Base + "internal";

    /// <summary>503: storage is throttled or unavailable for a moment; retry after <c>Retry-After</c> seconds.</summary>
    public const string Unavailable = Base + "unavailable";

    /// <summary>Every type above, as the OpenAPI document lists them.</summary>
    public static IReadOnlyList<string> All { get; } =
        [InvalidRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, NotReady, AlreadyUploaded, TooLarge, UnsupportedMediaType, Internal, Unavailable];

    /// <summary>
    /// The type of a problem known only by its status (one the web server answers by itself): the status's own type
    /// where there is one, else <see cref="InvalidRequest"/> for client errors and <see cref="Internal"/> for server errors.
    /// </summary>
    public static string ForStatus(int status) => status switch
    {
        401 => Unauthorized,
        403 => Forbidden,
        404 => NotFound,
        405 => MethodNotAllowed,
        413 => TooLarge,
        415 => UnsupportedMediaType,
        503 => Unavailable,
        >= 500 => Internal,
        _ => InvalidRequest,
    };

    /// <summary>The status and type URI of a service-level problem.</summary>
    public static (int Status, string Type) Of(RequestProblem problem) => problem switch
    {
        RequestProblem.Invalid => (400, InvalidRequest),
        RequestProblem.NotFound => (404, NotFound),
        RequestProblem.NotReady => (409, NotReady),
        RequestProblem.TooLarge => (413, TooLarge),
        RequestProblem.UnsupportedMediaType => (415, UnsupportedMediaType),
        _ => (500, Internal),
    };

    /// <summary>The problem detail of a service exception.</summary>
    public static ApiProblem From(PipelineRequestException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var (status, type) = Of(exception.Problem);
        return new ApiProblem(type, exception.Title, status, exception.Message, exception.ImageStatus?.ToName());
    }
}
