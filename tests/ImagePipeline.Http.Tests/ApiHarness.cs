using System.Text;
using System.Text.Json;
using ImagePipeline.Core;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Imaging;
using ImagePipeline.Core.Services;
using ImagePipeline.Core.Storage;
using ImagePipeline.Testing;

namespace ImagePipeline.Http.Tests;

/// <summary>The API over in-memory fakes. Every response it returns has been checked against the OpenAPI document.</summary>
internal sealed class ApiHarness
{
    public const string Owner = "local";
    public const string Version = "1.2.3-test";

    public static readonly DateTimeOffset Start = new(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);

    public static readonly IReadOnlyList<ImageFormat> NpmLibvipsFormats =
        [ImageFormat.Jpeg, ImageFormat.Png, ImageFormat.Webp, ImageFormat.Gif, ImageFormat.Avif, ImageFormat.Tiff];

    public ApiHarness(
        bool exposeGps = false, IReadOnlyList<ImageFormat>? decodable = null, byte[]? cursorKey = null,
        Func<ApiRequest, string?>? ownerOf = null, SignInConfig? signIn = null)
    {
        Clock = new FakeClock(Start);
        Catalog = new InMemoryCatalog();
        Store = new InMemoryObjectStore(Clock);
        Options = new PipelineOptions { CursorKey = cursorKey ?? Enumerable.Repeat((byte)7, 32).ToArray(), ExposeGps = exposeGps };
        Options.Validate();
        var formats = decodable ?? NpmLibvipsFormats;
        var queries = new ImageQueries(Catalog, Store, Options, Clock);
        Api = new ImageApi(
            new UploadService(Catalog, Store, formats, Options, Clock),
            queries,
            new DeleteService(Catalog, Store, Options, Clock),
            new ReprocessService(queries, Catalog, Queue, OriginalsBucket, Options, Clock),
            ownerOf ?? (_ => Owner),
            [.. formats],
            Version,
            Options,
            (_, e) => Errors.Add(e),
            signIn);
    }

    public const string OriginalsBucket = "test-originals";

    public FakeClock Clock { get; }

    public InMemoryStageQueue Queue { get; } = new();

    public InMemoryCatalog Catalog { get; }

    public InMemoryObjectStore Store { get; }

    public PipelineOptions Options { get; }

    public ImageApi Api { get; }

    public List<Exception> Errors { get; } = [];

    public Task<ApiResponse> GetAsync(string pathAndQuery) => SendAsync("GET", pathAndQuery);

    public Task<ApiResponse> PostJsonAsync(string path, string json, string? contentType = "application/json") =>
        SendAsync(
            "POST", path, Encoding.UTF8.GetBytes(json), contentType is null ? null : new Dictionary<string, string> { ["content-type"] = contentType });

    public async Task<ApiResponse> SendAsync(
        string method, string pathAndQuery, byte[]? body = null, Dictionary<string, string>? headers = null, string? caller = null)
    {
        var question = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var request = new ApiRequest(
            method,
            question < 0 ? pathAndQuery : pathAndQuery[..question],
            ApiRequest.ParseQuery(question < 0 ? null : pathAndQuery[question..]),
            (IReadOnlyDictionary<string, string>?)headers ?? ApiRequest.None,
            body ?? ReadOnlyMemory<byte>.Empty) { CallerSubject = caller };
        var response = await Api.HandleAsync(request, TestContext.Current.CancellationToken);
        OpenApiChecker.Check(request, response);
        return response;
    }

    // ---- records in every state ----

    public ImageRecord Pending(string fileName = "photo.jpg", DateTimeOffset? createdAt = null, string owner = Owner)
    {
        var at = createdAt ?? Clock.GetUtcNow();
        return Catalog.Put(new ImageRecord
        {
            Id = Guid.CreateVersion7(at),
            OwnerId = owner,
            FileName = fileName,
            ContentType = "image/jpeg",
            DeclaredBytes = 123_456,
            CreatedAt = at,
            UpdatedAt = at,
            ExpiresAt = at + Options.PendingRetention,
            ResizeState = StageState.Pending,
            ThumbnailState = StageState.Pending,
        });
    }

    /// <summary>Uploaded, no stage finished yet.</summary>
    public ImageRecord Processing(string fileName = "photo.jpg", DateTimeOffset? createdAt = null) =>
        Catalog.Put(Pending(fileName, createdAt) with
        {
            SourceEtag = "etag-1",
            ExpiresAt = null,
            Original = new OriginalFacts("jpeg", 1000, 750, 123_456),
            Metadata = ImageMetadata.Empty,
        });

    /// <summary>Both stages done for a source <paramref name="sourceWidth"/> pixels wide (renditions per the recipe plan).</summary>
    public ImageRecord Ready(int sourceWidth = 1000, ImageMetadata? metadata = null, string fileName = "photo.jpg", DateTimeOffset? createdAt = null)
    {
        var record = Processing(fileName, createdAt);
        var height = sourceWidth * 3 / 4;
        var renditions = Options.Recipe.Renditions.Plan(sourceWidth)
            .Select(p => new DerivedFacts(p.Name, p.Width, p.Width * 3 / 4, "webp", p.Width * 10L, ObjectKeys.Rendition(record.Id, 1, p.Name)))
            .ToList();
        return Catalog.Put(record with
        {
            Original = new OriginalFacts("jpeg", sourceWidth, height, 123_456),
            Metadata = metadata ?? ImageMetadata.Empty,
            ResizeState = StageState.Done,
            Renditions = renditions,
            ThumbnailState = StageState.Done,
            Thumbnail = new DerivedFacts("thumbnail", 256, 256, "webp", 9_000, ObjectKeys.Thumbnail(record.Id, 1, 256)),
            UpdatedAt = record.CreatedAt + TimeSpan.FromSeconds(3),
        });
    }

    /// <summary>The resize stage failed; the thumbnail stage too.</summary>
    public ImageRecord Failed(string code = "corrupt_image", string message = "The JPEG data is truncated.")
    {
        var record = Processing();
        return Catalog.Put(record with
        {
            Original = null,
            Metadata = null,
            ResizeState = StageState.Failed,
            ResizeError = new StageError(code, message),
            ThumbnailState = StageState.Failed,
            ThumbnailError = new StageError("internal", "thumbnail failed too"),
        });
    }

    public ImageRecord Deleted()
    {
        var record = Ready();
        return Catalog.Put(record with { DeletedAt = Clock.GetUtcNow(), ExpiresAt = Clock.GetUtcNow() + Options.TombstoneLifetime });
    }

    public static string IdOf(ImageRecord record) => ImageIds.Format(record.Id);

    public static JsonElement Json(ApiResponse response)
    {
        using var document = JsonDocument.Parse(response.Body);
        return document.RootElement.Clone();
    }

    public static string Text(ApiResponse response) => Encoding.UTF8.GetString(response.Body.Span);

    public static JsonElement AssertProblem(ApiResponse response, int status, string type)
    {
        Assert.Equal(status, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        var problem = Json(response);
        Assert.Equal(type, problem.GetProperty("type").GetString());
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        return problem;
    }

    /// <summary>Compares JSON by value (escapes such as <c>\u0026</c> and member order do not matter).</summary>
    public static void AssertJson(string expected, JsonElement actual)
    {
        using var document = JsonDocument.Parse(expected);
        Assert.True(JsonElement.DeepEquals(document.RootElement, actual), $"Expected {expected}\nActual   {actual}");
    }
}
