using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Services;

namespace ImagePipeline.Http;

/// <summary>
/// The problem <c>type</c> URIs the API uses, one per kind of application problem; stable, so clients may switch on
/// them. HTTP-level problems (unknown route, wrong method, request body too large or not JSON, server errors) use
/// <c>about:blank</c> with the status phrase as title, as RFC 9457 recommends.
/// </summary>
public static class ProblemTypes
{
    private const string Base = "https://imagepipeline.dev/problems/";

    /// <summary>400: a malformed or invalid request (body, fields, limit, cursor).</summary>
    public const string InvalidRequest = Base + "invalid-request";

    /// <summary>401: no valid access token (missing, expired, wrong issuer, audience or signature).</summary>
    public const string Unauthorized = Base + "unauthorized";

    /// <summary>404: no such image (unknown, deleted, or a malformed id), or a rendition never made.</summary>
    public const string NotFound = Base + "not-found";

    /// <summary>409: the image has not got this yet; <c>imageStatus</c> says where it is.</summary>
    public const string NotReady = Base + "not-ready";

    /// <summary>413: the declared file is over the size limit.</summary>
    public const string TooLarge = Base + "too-large";

    /// <summary>415: the declared media type is not accepted or cannot be decoded here.</summary>
    public const string UnsupportedMediaType = Base + "unsupported-media-type";

    /// <summary>Generic HTTP problems.</summary>
    public const string Blank = "about:blank";

    /// <summary>The status and type URI of a service-level problem.</summary>
    public static (int Status, string Type) Of(RequestProblem problem) => problem switch
    {
        RequestProblem.Invalid => (400, InvalidRequest),
        RequestProblem.NotFound => (404, NotFound),
        RequestProblem.NotReady => (409, NotReady),
        RequestProblem.TooLarge => (413, TooLarge),
        RequestProblem.UnsupportedMediaType => (415, UnsupportedMediaType),
        _ => (500, Blank),
    };

    /// <summary>The problem detail of a service exception.</summary>
    public static ApiProblem From(PipelineRequestException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var (status, type) = Of(exception.Problem);
        return new ApiProblem(type, exception.Title, status, exception.Message, exception.ImageStatus?.ToName());
    }
}
