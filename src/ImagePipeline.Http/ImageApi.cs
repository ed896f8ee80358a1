using System.Globalization;
using System.Text.Json;
using ImagePipeline.Core;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Imaging;
using ImagePipeline.Core.Services;
using ImagePipeline.Core.Storage;

namespace ImagePipeline.Http;

/// <summary>
/// The REST API v1 (the design's table) as one function from <see cref="ApiRequest"/> to <see cref="ApiResponse"/>.
/// It never throws for a client's mistake: every error is an <c>application/problem+json</c> answer. Ids are checked
/// with <see cref="ImageIds.TryParse"/> before anything is looked up: a malformed id in a path is a 404, exactly like
/// an unknown one (the resource cannot exist), and never reaches storage.
/// </summary>
public sealed class ImageApi
{
    /// <summary>The largest request body accepted (<c>POST /v1/uploads</c>); more is a 413.</summary>
    public const int MaxRequestBodyBytes = 16 * 1024;

    private readonly UploadService _uploads;
    private readonly ImageQueries _queries;
    private readonly DeleteService _deletes;
    private readonly ReprocessService _reprocess;
    private readonly Func<ApiRequest, string?> _ownerOf;
    private readonly SignInConfig? _signIn;
    private readonly IReadOnlyList<string> _formats;
    private readonly string _version;
    private readonly PipelineOptions _options;
    private readonly Action<ApiRequest, Exception>? _onError;

    /// <summary>Creates the API over the Core services.</summary>
    /// <param name="uploads">Creates uploads.</param>
    /// <param name="queries">Reads images and signs their URLs.</param>
    /// <param name="deletes">Deletes images.</param>
    /// <param name="reprocess">Runs failed or outdated stages again.</param>
    /// <param name="ownerOf">
    /// The owner id of a request: a fixed id on an anonymous deployment (<c>local</c>, <c>anonymous</c>), the caller's
    /// <see cref="ApiRequest.CallerSubject"/> with sign-in on. Null means not authenticated: every route but the three
    /// public ones answers 401.
    /// </param>
    /// <param name="decodableFormats">What the loaded image engine decodes (for <c>GET /v1/health</c>).</param>
    /// <param name="version">The deployment's version (for <c>GET /v1/health</c>).</param>
    /// <param name="options">The pipeline settings (<see cref="PipelineOptions.ExposeGps"/>).</param>
    /// <param name="onError">
    /// Called with every unexpected exception before it is answered as a 500 (or 503 for a transient storage failure),
    /// for the host to log; the response itself carries no internals.
    /// </param>
    /// <param name="signIn">How clients sign in, for <c>GET /v1/config</c>; null on an anonymous deployment.</param>
    public ImageApi(
        UploadService uploads,
        ImageQueries queries,
        DeleteService deletes,
        ReprocessService reprocess,
        Func<ApiRequest, string?> ownerOf,
        IReadOnlyCollection<ImageFormat> decodableFormats,
        string version,
        PipelineOptions options,
        Action<ApiRequest, Exception>? onError = null,
        SignInConfig? signIn = null)
    {
        ArgumentNullException.ThrowIfNull(uploads);
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(deletes);
        ArgumentNullException.ThrowIfNull(reprocess);
        ArgumentNullException.ThrowIfNull(ownerOf);
        ArgumentNullException.ThrowIfNull(decodableFormats);
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(options);
        _uploads = uploads;
        _queries = queries;
        _deletes = deletes;
        _reprocess = reprocess;
        _ownerOf = ownerOf;
        _formats = [.. ImageFormats.All.Where(decodableFormats.Contains).Select(f => f.ToName())];
        _version = version;
        _options = options;
        _onError = onError;
        _signIn = signIn;
    }

    /// <summary>
    /// Answers one request. Client errors and unexpected failures alike become problem details; only an
    /// <see cref="OperationCanceledException"/> caused by <paramref name="cancellationToken"/> propagates.
    /// </summary>
    public async Task<ApiResponse> HandleAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            return await RouteAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (PipelineRequestException e)
        {
            return ApiResponse.Problem(ProblemTypes.From(e));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (TransientStorageException e)
        {
            _onError?.Invoke(request, e);
            return ApiResponse.Problem(
                new ApiProblem(ProblemTypes.Unavailable, "Service Unavailable", 503, "The service is busy; retry shortly."),
                [new("Retry-After", "1")]);
        }
        catch (Exception e)
        {
            _onError?.Invoke(request, e);
            return ApiResponse.Problem(new ApiProblem(ProblemTypes.Internal, "Internal Server Error", 500, "The request failed on our side."));
        }
    }

    private async Task<ApiResponse> RouteAsync(ApiRequest request, CancellationToken cancellationToken)
    {
        // "/v1/images/{id}/renditions/w640" → ["", "v1", "images", "{id}", "renditions", "w640"]. Empty segments
        // (trailing or doubled slashes) match no route.
        var s = request.Path.Split('/');
        if (s.Length < 3 || s[0].Length != 0 || s[1] != "v1" || s.Skip(1).Any(segment => segment.Length == 0))
        {
            return UnknownRoute(request);
        }

        switch (s.Length)
        {
            case 3 when s[2] == "health":
                return Is(request, "GET") ? Health() : MethodNotAllowed(request, "GET");
            case 3 when s[2] == "openapi.json":
                return Is(request, "GET") ? OpenApi() : MethodNotAllowed(request, "GET");
            case 3 when s[2] == "config":
                return Is(request, "GET") ? Config() : MethodNotAllowed(request, "GET");
        }

        var collection = s.Length == 3 && s[2] is "uploads" or "images";
        if (!collection && (s[2] != "images" || !(s.Length == 4 || (s.Length == 5 && s[4] is "thumbnail" or "original" or "reprocess") || (s.Length == 6 && s[4] == "renditions"))))
        {
            return UnknownRoute(request);
        }

        // Every other route is private: it needs an owner.
        if (_ownerOf(request) is not { } owner)
        {
            return Unauthorized(request);
        }

        if (collection)
        {
            return s[2] == "uploads"
                ? Is(request, "POST") ? await CreateUploadAsync(request, owner, cancellationToken).ConfigureAwait(false) : MethodNotAllowed(request, "POST")
                : Is(request, "GET") ? await ListAsync(request, owner, cancellationToken).ConfigureAwait(false) : MethodNotAllowed(request, "GET");
        }

        // Every remaining route names an image: a malformed id is answered before any lookup.
        if (!ImageIds.TryParse(s[3], out var id))
        {
            return ApiResponse.Problem(new ApiProblem(
                ProblemTypes.NotFound, "Image not found", 404, $"'{Shorten(s[3])}' is not an image id (ids are lower-case UUIDv7 strings)."));
        }

        if (s.Length == 4)
        {
            return request.Method switch
            {
                "GET" => await DetailAsync(owner, id, cancellationToken).ConfigureAwait(false),
                "DELETE" => await DeleteAsync(owner, id, cancellationToken).ConfigureAwait(false),
                _ => MethodNotAllowed(request, "GET, DELETE"),
            };
        }

        if (s[4] == "reprocess")
        {
            return Is(request, "POST") ? await ReprocessAsync(request, owner, id, cancellationToken).ConfigureAwait(false) : MethodNotAllowed(request, "POST");
        }

        if (!Is(request, "GET"))
        {
            return MethodNotAllowed(request, "GET");
        }

        var location = s[4] switch
        {
            "thumbnail" => await _queries.ThumbnailUrlAsync(owner, id, cancellationToken).ConfigureAwait(false),
            "original" => await _queries.OriginalUrlAsync(owner, id, cancellationToken).ConfigureAwait(false),
            _ => await _queries.RenditionUrlAsync(owner, id, s[5], cancellationToken).ConfigureAwait(false),
        };
        return ApiResponse.Redirect(location);
    }

    private ApiResponse Health() =>
        ApiResponse.Json(200, new HealthResponse("ok", _version, _formats), ApiJson.Context.HealthResponse);

    private static ApiResponse OpenApi() => ApiResponse.Bytes(200, ApiResponse.JsonMediaType, OpenApiDocument.Utf8);

    private ApiResponse Config() =>
        ApiResponse.Json(200, new ConfigResponse(_signIn), ApiJson.Context.ConfigResponse);

    // RFC 6750: a request without credentials gets a bare challenge; one whose token was refused learns that much.
    private static ApiResponse Unauthorized(ApiRequest request) =>
        ApiResponse.Problem(
            new ApiProblem(
                ProblemTypes.Unauthorized, "Unauthorized", 401,
                request.Header("Authorization") is null
                    ? "Sign in: this API needs an access token (Authorization: Bearer …). GET /v1/config says how to get one."
                    : "The access token was not accepted (expired, or not issued by this deployment's sign-in for this API). Sign in again."),
            [new("WWW-Authenticate", request.Header("Authorization") is null ? "Bearer" : "Bearer error=\"invalid_token\"")]);

    private async Task<ApiResponse> CreateUploadAsync(ApiRequest request, string owner, CancellationToken cancellationToken)
    {
        if (request.Body.Length > MaxRequestBodyBytes)
        {
            return ApiResponse.Problem(new ApiProblem(
                ProblemTypes.TooLarge, "Content Too Large", 413, $"The request body is over {MaxRequestBodyBytes} bytes."));
        }

        if (!HasJsonContentType(request))
        {
            return NotJson("The request body must be application/json (Content-Type: application/json).");
        }

        if (request.Body.IsEmpty)
        {
            return InvalidBody("A JSON body {fileName, contentType, contentLength} is required.");
        }

        UploadRequest? body;
        try
        {
            body = JsonSerializer.Deserialize(request.Body.Span, ApiJson.Context.UploadRequest);
        }
        catch (JsonException e)
        {
            return InvalidBody(e.Path is { Length: > 0 } path and not "$"
                ? $"The body is not valid: wrong type or malformed JSON at {path}."
                : "The body is not a valid JSON object {fileName, contentType, contentLength}.");
        }

        if (body is null)
        {
            return InvalidBody("The body must be a JSON object {fileName, contentType, contentLength}.");
        }

        var (record, upload) = await _uploads.CreateAsync(owner, body.FileName, body.ContentType, body.ContentLength, cancellationToken)
            .ConfigureAwait(false);
        var imageId = ImageIds.Format(record.Id);
        var created = new UploadCreated(
            imageId,
            new UploadInstructions(ApiResponse.UrlText(upload.Url), upload.Method, upload.Headers, upload.ExpiresAt));
        return ApiResponse.Json(201, created, ApiJson.Context.UploadCreated, [new("Location", $"/v1/images/{imageId}")]);
    }

    private async Task<ApiResponse> ListAsync(ApiRequest request, string owner, CancellationToken cancellationToken)
    {
        int? limit = null;
        if (request.Query.TryGetValue("limit", out var limitText))
        {
            // Strict: digits only (no sign, space, fraction or exponent); the range is the service's to check.
            if (limitText.Length is 0 or > 9 || !int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                return ApiResponse.Problem(new ApiProblem(
                    ProblemTypes.InvalidRequest, "Invalid limit", 400, $"limit must be an integer between 1 and {ImageQueries.MaxLimit}."));
            }

            limit = parsed;
        }

        var cursor = request.Query.TryGetValue("cursor", out var cursorText) ? cursorText : null;
        var (items, next) = await _queries.ListAsync(owner, limit, cursor, cancellationToken).ConfigureAwait(false);
        var page = new ImagePage([.. items.Select(Summary)], next);
        return ApiResponse.Json(200, page, ApiJson.Context.ImagePage);
    }

    private async Task<ApiResponse> DetailAsync(string ownerId, Guid id, CancellationToken cancellationToken)
    {
        var record = await _queries.GetAsync(ownerId, id, cancellationToken).ConfigureAwait(false);
        return ApiResponse.Json(200, Detail(record), ApiJson.Context.ImageDetail);
    }

    private async Task<ApiResponse> DeleteAsync(string ownerId, Guid id, CancellationToken cancellationToken)
    {
        await _deletes.DeleteAsync(ownerId, id, cancellationToken).ConfigureAwait(false);
        return ApiResponse.NoContent();
    }

    private async Task<ApiResponse> ReprocessAsync(ApiRequest request, string owner, Guid id, CancellationToken cancellationToken)
    {
        // No body is needed, but the JSON type is: a cross-site page cannot send it without a CORS preflight (which this
        // API never grants), so no "simple" request from another site can change state.
        if (!HasJsonContentType(request))
        {
            return NotJson("Send Content-Type: application/json (the body may be empty or {}).");
        }

        var record = await _reprocess.ReprocessAsync(owner, id, cancellationToken).ConfigureAwait(false);
        return ApiResponse.Json(202, Detail(record), ApiJson.Context.ImageDetail);
    }

    private ImageSummary Summary(ImageRecord record) => new(
        ImageIds.Format(record.Id),
        record.FileName,
        record.Status.ToName(),
        record.CreatedAt,
        Url(_queries.ThumbnailUrl(record)),
        Placeholder: null);

    private ImageDetail Detail(ImageRecord record)
    {
        var renditions = record is { ResizeState: StageState.Done, Renditions: { } made }
            ? made.Select(r => new RenditionInfo(r.Name, r.Width, r.Height, r.Format, r.Bytes, Url(_queries.DerivedUrl(r))!)).ToList()
            : [];
        var thumbnail = record is { ThumbnailState: StageState.Done, Thumbnail: { } t }
            ? new ThumbnailInfo(t.Width, t.Height, t.Format, t.Bytes, Url(_queries.DerivedUrl(t))!)
            : null;
        return new ImageDetail(
            ImageIds.Format(record.Id),
            record.FileName,
            record.Status.ToName(),
            record.CreatedAt,
            thumbnail?.Url,
            Placeholder: null,
            record.ContentType,
            record.UpdatedAt,
            record.Original is { } o ? new OriginalInfo(o.Format, o.Width, o.Height, o.Bytes, Url(_queries.OriginalUrl(record))!) : null,
            record.Metadata is { } m ? Metadata(m) : null,
            renditions,
            thumbnail,
            record.Error is { } e ? new ErrorInfo(e.Code, e.Message) : null);
    }

    private MetadataInfo Metadata(ImageMetadata m) => new(
        m.CameraMake,
        m.CameraModel,
        m.LensModel,
        m.TakenAt,
        m.ExposureTime,
        Finite(m.FNumber),
        m.Iso,
        Finite(m.FocalLength),
        _options.ExposeGps && m.Gps is { } gps && double.IsFinite(gps.Latitude) && double.IsFinite(gps.Longitude)
            ? new GpsInfo(gps.Latitude, gps.Longitude, Finite(gps.Altitude))
            : null);

    // JSON has no NaN or infinity: such a value is as good as absent.
    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;

    private static string? Url(Uri? url) => url is null ? null : ApiResponse.UrlText(url);

    private static bool Is(ApiRequest request, string method) => string.Equals(request.Method, method, StringComparison.Ordinal);

    private static bool HasJsonContentType(ApiRequest request) => request.Header("Content-Type") is { } mediaType && IsJson(mediaType);

    private static ApiResponse NotJson(string detail) =>
        ApiResponse.Problem(new ApiProblem(ProblemTypes.UnsupportedMediaType, "Unsupported Media Type", 415, detail));

    private static bool IsJson(string mediaType)
    {
        var bare = mediaType.Split(';', 2)[0].Trim();
        return bare.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (bare.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && bare.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }

    private static ApiResponse InvalidBody(string detail) =>
        ApiResponse.Problem(new ApiProblem(ProblemTypes.InvalidRequest, "Invalid upload request", 400, detail));

    private static ApiResponse UnknownRoute(ApiRequest request) =>
        ApiResponse.Problem(new ApiProblem(ProblemTypes.NotFound, "Not Found", 404, $"No resource at '{Shorten(request.Path)}'."));

    private static ApiResponse MethodNotAllowed(ApiRequest request, string allow) =>
        ApiResponse.Problem(
            new ApiProblem(ProblemTypes.MethodNotAllowed, "Method Not Allowed", 405, $"{Shorten(request.Method)} is not allowed here; allowed: {allow}."),
            [new("Allow", allow)]);

    // Echoed client input stays short.
    private static string Shorten(string text) => text.Length <= 100 ? text : string.Concat(text.AsSpan(0, 100), "…");
}
