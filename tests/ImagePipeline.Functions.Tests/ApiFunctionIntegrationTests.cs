using System.Text.Json;
using ImagePipeline.Core;
using ImagePipeline.Core.Catalog;
using ImagePipeline.Core.Events;
using ImagePipeline.Core.Services;
using ImagePipeline.Core.Storage;
using ImagePipeline.Emulators;
using ImagePipeline.Functions.Events;

namespace ImagePipeline.Functions.Tests;

/// <summary>
/// The published bootstrap serving the api function: every route of the contract through API Gateway payload 2.0
/// events, with a real upload through the presigned URL and the two stage functions in between.
/// </summary>
[Collection(BootstrapCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ApiFunctionIntegrationTests(AotPackage package, AwsEmulators emulators)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private sealed record Answer(int Status, IReadOnlyDictionary<string, string> Headers, string Body, bool IsBase64Encoded)
    {
        public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();

        public string? Header(string name) => Headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
    }

    /// <summary>The request ids of the api invocations this test sent through <see cref="SendAsync"/>.</summary>
    private readonly List<string> _apiRequestIds = [];

    private async Task<Answer> SendAsync(BootstrapProcess api, string method, string path, string query = "", string? body = null, bool base64 = false)
    {
        var result = await api.InvokeAsync(Deployment.ApiEvent(method, path, query, body, base64));
        _apiRequestIds.Add(result.RequestId);
        return ToAnswer(api, $"{method} {path}", result);
    }

    private static Answer ToAnswer(BootstrapProcess api, string what, Testing.FakeInvocationResult result)
    {
        Assert.False(result.IsError, $"{what}: {result.Body}{Environment.NewLine}{api.Output}");
        var response = JsonSerializer.Deserialize(result.Body, FunctionJsonContext.Default.HttpApiResponse)!;
        return new Answer(response.StatusCode, response.Headers, response.Body, response.IsBase64Encoded);
    }

    private static void AssertProblem(Answer answer, int status, string? imageStatus = null)
    {
        Assert.Equal(status, answer.Status);
        Assert.Equal("application/problem+json", answer.Header("Content-Type"));
        Assert.False(answer.IsBase64Encoded);
        Assert.Equal(status, answer.Json.GetProperty("status").GetInt32());
        if (imageStatus is not null)
        {
            Assert.Equal(imageStatus, answer.Json.GetProperty("imageStatus").GetString());
        }
    }

    [Fact]
    public async Task Api_EveryRoute_AnswersTheContractsStatusesAndBodies()
    {
        var deployment = await Deployment.CreateAsync(emulators, Token);
        await using var api = BootstrapProcess.Start(package.Bootstrap, deployment.Environment("api"));
        var photo = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "sample-images", "photos", "camera-gps.jpg"), Token);

        var health = await SendAsync(api, "GET", "/v1/health");
        Assert.Equal(200, health.Status);
        Assert.Equal("ok", health.Json.GetProperty("status").GetString());
        Assert.Contains("jpeg", health.Json.GetProperty("formats").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal("no-store", health.Header("Cache-Control"));

        var openApi = await SendAsync(api, "GET", "/v1/openapi.json");
        Assert.Equal(200, openApi.Status);
        Assert.StartsWith("3.1", openApi.Json.GetProperty("openapi").GetString(), StringComparison.Ordinal);

        // Function URLs send bodies base64-encoded: both forms must work.
        var uploadBody = $$"""{"fileName":"camera gps.jpg","contentType":"image/jpeg","contentLength":{{photo.Length}}}""";
        var created = await SendAsync(api, "POST", "/v1/uploads", body: uploadBody, base64: true);
        Assert.Equal(201, created.Status);
        var id = created.Json.GetProperty("imageId").GetString()!;
        Assert.Equal($"/v1/images/{id}", created.Header("Location"));
        var upload = created.Json.GetProperty("upload");
        Assert.Equal("PUT", upload.GetProperty("method").GetString());

        AssertProblem(await SendAsync(api, "POST", "/v1/uploads", body: """{"fileName":"a.bmp","contentType":"image/bmp","contentLength":10}"""), 415);
        AssertProblem(await SendAsync(api, "POST", "/v1/uploads", body: """{"fileName":"a.jpg","contentType":"image/jpeg","contentLength":1000000000}"""), 413);
        AssertProblem(await SendAsync(api, "POST", "/v1/uploads", body: "{not json"), 400);
        AssertProblem(await SendAsync(api, "POST", "/v1/uploads", body: "%%%", base64: false), 400);

        var pending = await SendAsync(api, "GET", $"/v1/images/{id}");
        Assert.Equal(200, pending.Status);
        Assert.Equal("pending", pending.Json.GetProperty("status").GetString());
        Assert.Equal("camera gps.jpg", pending.Json.GetProperty("fileName").GetString());
        AssertProblem(await SendAsync(api, "GET", $"/v1/images/{id}/thumbnail"), 409, "pending");
        AssertProblem(await SendAsync(api, "GET", $"/v1/images/{id}/renditions/w640"), 409, "pending");
        AssertProblem(await SendAsync(api, "GET", $"/v1/images/{id}/original"), 409, "pending");

        // The client's upload: exactly the returned headers, to the presigned URL.
        using (var http = new HttpClient())
        using (var put = new HttpRequestMessage(HttpMethod.Put, upload.GetProperty("url").GetString()) { Content = new ByteArrayContent(photo) })
        {
            foreach (var header in upload.GetProperty("headers").EnumerateObject())
            {
                if (!put.Headers.TryAddWithoutValidation(header.Name, header.Value.GetString()))
                {
                    put.Content.Headers.TryAddWithoutValidation(header.Name, header.Value.GetString());
                }
            }

            using var stored = await http.SendAsync(put, Token);
            Assert.True(stored.IsSuccessStatusCode, $"PUT to the presigned URL answered {(int)stored.StatusCode}: {await stored.Content.ReadAsStringAsync(Token)}");
        }

        // S3 → SNS → SQS → the two stage functions.
        var notification = await deployment.NotificationAsync(ObjectKeys.Original(Guid.Parse(id)), Token);
        foreach (var stage in new[] { "resize", "thumbnail" })
        {
            await using var function = BootstrapProcess.Start(package.Bootstrap, deployment.Environment(stage));
            var result = await function.InvokeAsync(Deployment.SqsBatch(("m-" + stage, notification, 1)));
            Assert.Empty(Deployment.Failures(result.Body));
            await function.StopAsync();
        }

        var ready = await SendAsync(api, "GET", $"/v1/images/{id}");
        Assert.Equal(200, ready.Status);
        Assert.Equal("ready", ready.Json.GetProperty("status").GetString());
        Assert.Equal(["w320", "w640", "w1280", "w2048"], ready.Json.GetProperty("renditions").EnumerateArray().Select(r => r.GetProperty("name").GetString()));
        Assert.Equal(JsonValueKind.Null, ready.Json.GetProperty("metadata").GetProperty("gps").ValueKind);

        var page = await SendAsync(api, "GET", "/v1/images", "limit=5");
        Assert.Equal(200, page.Status);
        var item = Assert.Single(page.Json.GetProperty("items").EnumerateArray());
        Assert.Equal(id, item.GetProperty("id").GetString());
        Assert.StartsWith("http", item.GetProperty("thumbnailUrl").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, page.Json.GetProperty("nextCursor").ValueKind);
        AssertProblem(await SendAsync(api, "GET", "/v1/images", "cursor=forged%2Bcursor"), 400);
        AssertProblem(await SendAsync(api, "GET", "/v1/images", "limit=0"), 400);

        var thumbnail = await SendAsync(api, "GET", $"/v1/images/{id}/thumbnail");
        Assert.Equal(302, thumbnail.Status);
        Assert.Equal("", thumbnail.Body);
        using (var http = new HttpClient())
        {
            var bytes = await http.GetByteArrayAsync(thumbnail.Header("Location"), Token);
            Assert.True(bytes.AsSpan(8, 4).SequenceEqual("WEBP"u8), "the thumbnail URL must serve the WebP");
        }

        Assert.Equal(302, (await SendAsync(api, "GET", $"/v1/images/{id}/renditions/w640")).Status);
        Assert.Equal(302, (await SendAsync(api, "GET", $"/v1/images/{id}/original")).Status);
        AssertProblem(await SendAsync(api, "GET", $"/v1/images/{id}/renditions/w4096"), 404);
        AssertProblem(await SendAsync(api, "GET", "/v1/images/not-an-id"), 404);
        AssertProblem(await SendAsync(api, "GET", $"/v1/images/{Guid.CreateVersion7()}"), 404);
        AssertProblem(await SendAsync(api, "GET", "/v2/anything"), 404);
        AssertProblem(await SendAsync(api, "PATCH", "/v1/health"), 405);

        var deleted = await SendAsync(api, "DELETE", $"/v1/images/{id}");
        Assert.Equal((204, ""), (deleted.Status, deleted.Body));
        AssertProblem(await SendAsync(api, "GET", $"/v1/images/{id}"), 404);
        AssertProblem(await SendAsync(api, "DELETE", $"/v1/images/{id}"), 404);
        var imageId = Guid.Parse(id);
        Assert.Null(await deployment.DerivedAsync(ObjectKeys.Thumbnail(imageId, 1, 256), Token));
        Assert.Null(await deployment.OriginalAsync(ObjectKeys.Original(imageId), Token));
        foreach (var rendition in new[] { "w320", "w640", "w1280", "w2048" })
        {
            Assert.Null(await deployment.DerivedAsync(ObjectKeys.Rendition(imageId, 1, rendition), Token));
        }

        // One JSON log line and one EMF line per request, each carrying its invocation's request id. Stopping first:
        // stdout is read asynchronously, so only after the process exited is every line there.
        await api.StopAsync();
        var expected = _apiRequestIds.Order(StringComparer.Ordinal).ToList();
        var emf = api.JsonLines.Where(l => l.TryGetProperty("_aws", out _) && l.TryGetProperty("ApiRequests", out _)).ToList();
        Assert.Equal(expected.Count, emf.Count);
        var requestLogs = api.JsonLines
            .Where(l => l.TryGetProperty("messageTemplate", out var t) && t.GetString() == "{Method} {Path} answered {Status} in {ElapsedMs:0.0} ms")
            .ToList();
        Assert.Equal(expected, requestLogs.Select(l => l.GetProperty("requestId").GetString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Api_ReprocessFailedImage_202OnlyTheFailedStagesQueueGetsTheEventAndItsStageMakesTheImageReady()
    {
        var deployment = await Deployment.CreateAsync(emulators, Token);
        var (id, body) = await deployment.SeedAsync("photos/portrait-6.jpg", Token);
        var etag = Assert.Single(S3EventParser.Parse(body)).ETag;
        await using (var resize = BootstrapProcess.Start(package.Bootstrap, deployment.Environment("resize")))
        {
            Assert.Empty(Deployment.Failures((await resize.InvokeAsync(Deployment.SqsBatch(("m-resize", body, 1)))).Body));
            await resize.StopAsync();
        }

        // The thumbnail stage gave up after its last receive.
        Assert.Equal(StageWriteResult.Applied, await deployment.Catalog.ApplyStageAsync(
            new StageOutcome(id, Stage.Thumbnail, etag, StageState.Failed, null, null, null, null,
                new StageError("internal", "Processing failed 5 times on a storage or service error."), DateTimeOffset.UtcNow, 1),
            Token));
        await using var api = BootstrapProcess.Start(package.Bootstrap, deployment.Environment("api"));
        var path = $"/v1/images/{ImageIds.Format(id)}/reprocess";

        AssertProblem(await SendAsync(api, "POST", path), 415);
        var accepted = await SendAsync(api, "POST", path, body: "{}");

        Assert.Equal(202, accepted.Status);
        Assert.Equal("processing", accepted.Json.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, accepted.Json.GetProperty("error").ValueKind);
        Assert.Equal(["w320", "w640"], accepted.Json.GetProperty("renditions").EnumerateArray().Select(r => r.GetProperty("name").GetString()));
        var record = (await deployment.Catalog.GetAsync(id, Token))!;
        Assert.Equal((StageState.Done, StageState.Pending), (record.ResizeState, record.ThumbnailState));
        Assert.Null(record.ThumbnailError);

        // Only the failed stage's queue got the original's event, marked as a reprocess.
        Assert.Empty(await deployment.DrainAsync(deployment.ResizeQueue, Token));
        var queued = Assert.Single(await deployment.DrainAsync(deployment.ThumbnailQueue, Token));
        var created = Assert.Single(S3EventParser.Parse(queued.Body));
        Assert.Equal((deployment.Buckets.OriginalsBucket, ObjectKeys.Original(id), etag, true), (created.Bucket, created.Key, created.ETag, created.Reprocess));
        AssertProblem(await SendAsync(api, "POST", path, body: "{}"), 409, "processing");

        await using (var thumbnail = BootstrapProcess.Start(package.Bootstrap, deployment.Environment("thumbnail")))
        {
            var result = await thumbnail.InvokeAsync(Deployment.SqsBatch(("m-reprocess", queued.Body, 1)));
            Assert.Empty(Deployment.Failures(result.Body));
            await thumbnail.StopAsync();
        }

        var ready = await SendAsync(api, "GET", $"/v1/images/{ImageIds.Format(id)}");
        Assert.Equal("ready", ready.Json.GetProperty("status").GetString());
        Assert.StartsWith("http", ready.Json.GetProperty("thumbnail").GetProperty("url").GetString(), StringComparison.Ordinal);
        AssertProblem(await SendAsync(api, "POST", path, body: "{}"), 409, "ready");
        AssertProblem(await SendAsync(api, "POST", $"/v1/images/{Guid.CreateVersion7()}/reprocess", body: "{}"), 404);
        Assert.Empty(await deployment.DrainAsync(deployment.ThumbnailQueue, Token));
        await api.StopAsync();
    }

    [Fact]
    public async Task Api_WithTheWebRoot_ServesThePageOutsideV1AndTheApiUnderIt()
    {
        // Behind CloudFront the page and the API share an origin: the package carries the page and its sign-in library.
        var deployment = await Deployment.CreateAsync(emulators, Token);
        var environment = deployment.Environment("api");
        environment[PipelineEnvironment.WebRoot] = "wwwroot";
        environment[PipelineEnvironment.WebContentSecurityPolicy] = "default-src 'self'; object-src 'none'";
        await using var api = BootstrapProcess.Start(package.Bootstrap, environment);

        var index = await SendAsync(api, "GET", "/");
        Assert.Equal(200, index.Status);
        Assert.StartsWith("text/html", index.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Equal("default-src 'self'; object-src 'none'", index.Header("Content-Security-Policy"));
        Assert.Contains("<script", index.Body, StringComparison.Ordinal);

        var library = await SendAsync(api, "GET", "/js/oidc-client-ts.min.js");
        Assert.Equal(200, library.Status);
        Assert.StartsWith("text/javascript", library.Header("Content-Type"), StringComparison.Ordinal);

        Assert.Equal("ok", (await SendAsync(api, "GET", "/v1/health")).Json.GetProperty("status").GetString());
        AssertProblem(await SendAsync(api, "GET", "/nothing-here.html"), 404);
        await api.StopAsync();
    }

    [Fact]
    public async Task Api_WebRootWithoutThePage_InitErrorNamesTheFolder()
    {
        var deployment = await Deployment.CreateAsync(emulators, Token);
        var environment = deployment.Environment("api");
        environment[PipelineEnvironment.WebRoot] = "no-such-folder";
        await using var api = BootstrapProcess.Start(package.Bootstrap, environment);

        var error = await api.Runtime.InitError.WaitAsync(TimeSpan.FromSeconds(30), Token);

        Assert.Contains("no-such-folder", error.Body, StringComparison.Ordinal);
        Assert.NotEqual(0, await api.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        await api.StopAsync();
    }

    [Fact]
    public async Task Api_Cognito_OwnerIsTheAuthorizersSubject_NoClaimsIs401_ConfigSaysHowToSignIn()
    {
        var deployment = await Deployment.CreateAsync(emulators, Token);
        var environment = deployment.Environment("api");
        environment[SignInEnvironment.Mode] = SignInEnvironment.CognitoMode;
        environment[SignInEnvironment.Authority] = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example";
        environment[SignInEnvironment.ClientId] = "client-1";
        environment[SignInEnvironment.Scopes] = "openid profile email imagepipeline/api";
        environment[SignInEnvironment.LogoutUrl] = "https://example.auth.us-east-1.amazoncognito.com/logout?client_id=client-1&logout_uri=https%3A%2F%2Fd1.cloudfront.net%2F";
        environment[SignInEnvironment.CliRedirectUri] = "http://localhost:53682/callback";
        await using var api = BootstrapProcess.Start(package.Bootstrap, environment);
        var body = """{"fileName":"a.jpg","contentType":"image/jpeg","contentLength":10}""";

        async Task<Answer> As(string? subject, string method, string path, string? json = null) =>
            ToAnswer(api, $"{method} {path}", await api.InvokeAsync(Deployment.ApiEvent(method, path, body: json, jwtSubject: subject)));

        var alices = await As("alice", "POST", "/v1/uploads", body);
        Assert.Equal(201, alices.Status);
        var id = alices.Json.GetProperty("imageId").GetString();
        Assert.Equal("alice", (await deployment.Catalog.GetAsync(Guid.Parse(id!), Token))!.OwnerId);
        Assert.Single((await As("alice", "GET", "/v1/images")).Json.GetProperty("items").EnumerateArray());
        Assert.Empty((await As("bob", "GET", "/v1/images")).Json.GetProperty("items").EnumerateArray());
        AssertProblem(await As("bob", "GET", $"/v1/images/{id}"), 404);

        // A private route reached without the authorizer's claims is refused, never served as anonymous.
        var noClaims = await As(null, "GET", "/v1/images");
        AssertProblem(noClaims, 401);
        Assert.Equal("Bearer", noClaims.Header("WWW-Authenticate"));

        var config = (await As(null, "GET", "/v1/config")).Json.GetProperty("auth");
        Assert.Equal("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example", config.GetProperty("authority").GetString());
        Assert.Equal(["openid", "profile", "email", "imagepipeline/api"], config.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
        Assert.StartsWith("https://example.auth.us-east-1.amazoncognito.com/logout", config.GetProperty("logoutUrl").GetString(), StringComparison.Ordinal);
        await api.StopAsync();
    }

    [Fact]
    public async Task Api_CursorKeyByReference_ReadFromParameterStoreAtInit()
    {
        await using var ssm = new SsmFake();
        const string parameter = "/aws/reference/secretsmanager/imagepipeline-cursor-key";
        var deployment = await Deployment.CreateAsync(emulators, Token);
        ssm.Put(parameter, deployment.Environment("api")[PipelineEnvironment.CursorKey]);
        var environment = deployment.Environment("api");
        environment.Remove(PipelineEnvironment.CursorKey);
        environment[SignInEnvironment.CursorKeyParameter] = parameter;
        environment["AWS_ENDPOINT_URL_SSM"] = ssm.Endpoint.ToString().TrimEnd('/');
        await using var api = BootstrapProcess.Start(package.Bootstrap, environment);

        Assert.Equal(200, (await SendAsync(api, "GET", "/v1/images", "limit=1")).Status);
        Assert.Equal([(parameter, true)], ssm.Reads);
        await api.StopAsync();
    }

    [Fact]
    public async Task Api_CursorKeyParameterMissing_InitErrorNamesIt()
    {
        await using var ssm = new SsmFake();
        var deployment = await Deployment.CreateAsync(emulators, Token);
        var environment = deployment.Environment("api");
        environment.Remove(PipelineEnvironment.CursorKey);
        environment[SignInEnvironment.CursorKeyParameter] = "/aws/reference/secretsmanager/no-such-secret";
        environment["AWS_ENDPOINT_URL_SSM"] = ssm.Endpoint.ToString().TrimEnd('/');
        await using var api = BootstrapProcess.Start(package.Bootstrap, environment);

        var error = await api.Runtime.InitError.WaitAsync(TimeSpan.FromSeconds(30), Token);

        Assert.Contains("/aws/reference/secretsmanager/no-such-secret", error.Body, StringComparison.Ordinal);
        Assert.NotEqual(0, await api.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        await api.StopAsync();
    }

    [Fact]
    public async Task Api_MissingQueueUrl_InitErrorNamesIt()
    {
        var deployment = await Deployment.CreateAsync(emulators, Token);
        var environment = deployment.Environment("api");
        environment.Remove("IMAGEPIPELINE_RESIZE_QUEUE_URL");
        await using var api = BootstrapProcess.Start(package.Bootstrap, environment);

        var error = await api.Runtime.InitError.WaitAsync(TimeSpan.FromSeconds(30), Token);

        Assert.Equal("Runtime.ConfigInvalid", error.ErrorType);
        Assert.Contains("IMAGEPIPELINE_RESIZE_QUEUE_URL", error.Body, StringComparison.Ordinal);
        Assert.NotEqual(0, await api.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        await api.StopAsync();
    }

    [Fact]
    public async Task Api_PayloadVersion1_InvocationErrorNamingTheFormat()
    {
        var deployment = await Deployment.CreateAsync(emulators, Token);
        await using var api = BootstrapProcess.Start(package.Bootstrap, deployment.Environment("api"));

        var result = await api.InvokeAsync(Deployment.ApiEvent("GET", "/v1/health", version: "1.0"));

        Assert.True(result.IsError);
        Assert.Contains("2.0", JsonDocument.Parse(result.Body).RootElement.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
        await api.StopAsync();
    }

    [Fact]
    public async Task Api_FunctionUrlEvent_UploadCreatedFromTheBase64Body()
    {
        var deployment = await Deployment.CreateAsync(emulators, Token);
        await using var api = BootstrapProcess.Start(package.Bootstrap, deployment.Environment("api"));

        var answer = ToAnswer(api, "function URL POST /v1/uploads", await api.InvokeAsync(Golden.Read("lambda-url-request.json")));

        Assert.Equal(201, answer.Status);
        var id = answer.Json.GetProperty("imageId").GetString()!;
        Assert.Equal($"/v1/images/{id}", answer.Header("Location"));
        Assert.Equal("PUT", answer.Json.GetProperty("upload").GetProperty("method").GetString());
        var record = await deployment.Catalog.GetAsync(Guid.Parse(id), Token);
        Assert.Equal(("holiday photo.jpg", 48213L), (record!.FileName, record.DeclaredBytes));
        await api.StopAsync();
    }

    [Fact]
    public async Task Api_MissingCursorKey_InitErrorNamesIt()
    {
        var deployment = await Deployment.CreateAsync(emulators, Token);
        var environment = deployment.Environment("api");
        environment.Remove("IMAGEPIPELINE_CURSOR_KEY");
        await using var api = BootstrapProcess.Start(package.Bootstrap, environment);

        var error = await api.Runtime.InitError.WaitAsync(TimeSpan.FromSeconds(30), Token);

        Assert.Equal("Runtime.ConfigInvalid", error.ErrorType);
        Assert.Contains("IMAGEPIPELINE_CURSOR_KEY", error.Body, StringComparison.Ordinal);
        Assert.NotEqual(0, await api.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        await api.StopAsync();
    }
}
