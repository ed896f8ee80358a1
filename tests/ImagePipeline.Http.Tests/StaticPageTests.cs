using System.Text;

namespace ImagePipeline.Http.Tests;

/// <summary>The page responder: what it serves, how, and that nothing outside its folder is ever reachable.</summary>
public sealed class StaticPageTests : IDisposable
{
    private const string Secret = "outside the page folder";

    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("static-page-");

    public StaticPageTests()
    {
        Write("www/index.html", "<!doctype html><title>page</title>");
        Write("www/app.js", "import './js/api.js';");
        Write("www/app.css", "body { margin: 0 }");
        Write("www/favicon.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
        Write("www/config.json", "{ \"apiBaseUrl\": \"\" }");
        Write("www/js/api.js", "export const x = 1;");
        Write("www/js/gallery-view.js", "export const y = 2;");
        Write("www/js/vendor.min.js", "export const z = 3;");
        // In the folder but not part of the page: never served.
        Write("www/js/notes.txt", Secret);
        Write("www/js/nested/deep.js", Secret);
        Write("www/js/.hidden.js", Secret);
        Write("www/js/two..dots.js", Secret);
        Write("www/js/module.js.map", Secret);
        Write("www/secret.txt", Secret);
        Write("www/.env", Secret);
        Write("www/appsettings.json", Secret);
        // Beside the folder.
        Write("secret.txt", Secret);
        Write("other/evil.js", Secret);
    }

    private string Root => Path.Combine(_scratch.FullName, "www");

    public void Dispose() => _scratch.Delete(recursive: true);

    private void Write(string relative, string text)
    {
        var path = Path.Combine(_scratch.FullName, relative);
        _ = Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private static ApiResponse Get(StaticPage page, string path, string method = "GET", string? ifNoneMatch = null)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (ifNoneMatch is not null)
        {
            headers["If-None-Match"] = ifNoneMatch;
        }

        return page.Handle(new ApiRequest(method, path, ApiRequest.None, headers, ReadOnlyMemory<byte>.Empty));
    }

    private static string Text(ApiResponse response) => Encoding.UTF8.GetString(response.Body.Span);

    private static void AssertSecurityHeaders(ApiResponse response, string csp)
    {
        Assert.Equal(csp, response.Headers["Content-Security-Policy"]);
        Assert.Equal("nosniff", response.Headers["X-Content-Type-Options"]);
        Assert.Equal("no-referrer", response.Headers["Referrer-Policy"]);
        Assert.Equal("DENY", response.Headers["X-Frame-Options"]);
    }

    [Theory]
    [InlineData("/", "text/html; charset=utf-8", "<!doctype html><title>page</title>")]
    [InlineData("/index.html", "text/html; charset=utf-8", "<!doctype html><title>page</title>")]
    [InlineData("/app.js", "text/javascript; charset=utf-8", "import './js/api.js';")]
    [InlineData("/js/api.js", "text/javascript; charset=utf-8", "export const x = 1;")]
    [InlineData("/js/gallery-view.js", "text/javascript; charset=utf-8", "export const y = 2;")]
    [InlineData("/js/vendor.min.js", "text/javascript; charset=utf-8", "export const z = 3;")]
    [InlineData("/app.css", "text/css; charset=utf-8", "body { margin: 0 }")]
    [InlineData("/favicon.svg", "image/svg+xml", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>")]
    [InlineData("/config.json", "application/json; charset=utf-8", "{ \"apiBaseUrl\": \"\" }")]
    public void Handle_PageFile_IsServedWithTypeValidatorAndNoCache(string path, string contentType, string body)
    {
        var page = StaticPage.Load(Root);

        var response = Get(page, path);

        Assert.Equal(200, response.Status);
        Assert.Equal(contentType, response.ContentType);
        Assert.Equal(body, Text(response));
        Assert.Equal("no-cache", response.Headers["Cache-Control"]);
        Assert.DoesNotContain("immutable", response.Headers["Cache-Control"], StringComparison.Ordinal);
        Assert.Matches("^\"[0-9a-f]{32}\"$", response.Headers["ETag"]);
        AssertSecurityHeaders(response, StaticPage.SameOriginContentSecurityPolicy);
    }

    [Fact]
    public void Handle_Head_SendsTheHeadersAndLengthWithoutABody()
    {
        var page = StaticPage.Load(Root);

        var get = Get(page, "/app.js");
        var head = Get(page, "/app.js", "HEAD");

        Assert.Equal(200, head.Status);
        Assert.True(head.Body.IsEmpty);
        Assert.Equal(get.ContentType, head.ContentType);
        Assert.Equal(get.Headers["ETag"], head.Headers["ETag"]);
        Assert.Equal(get.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), head.Headers["Content-Length"]);
    }

    [Theory]
    [InlineData("{0}")]
    [InlineData("W/{0}")]
    [InlineData("\"other\", {0}")]
    [InlineData("*")]
    public void Handle_IfNoneMatchNamesTheFile_Answers304WithoutBody(string condition)
    {
        var page = StaticPage.Load(Root);
        var etag = Get(page, "/index.html").Headers["ETag"];

        var response = Get(page, "/", ifNoneMatch: string.Format(System.Globalization.CultureInfo.InvariantCulture, condition, etag));

        Assert.Equal(304, response.Status);
        Assert.True(response.Body.IsEmpty);
        Assert.Equal(etag, response.Headers["ETag"]);
        Assert.Equal("no-cache", response.Headers["Cache-Control"]);
        AssertSecurityHeaders(response, StaticPage.SameOriginContentSecurityPolicy);
    }

    [Fact]
    public void Handle_IfNoneMatchOfAnotherVersion_AnswersTheFile()
    {
        var page = StaticPage.Load(Root);
        var etag = Get(page, "/app.css").Headers["ETag"];

        Assert.Equal(200, Get(page, "/app.css", ifNoneMatch: "\"0123\"").Status);
        // Each file has its own validator.
        Assert.Equal(200, Get(page, "/app.js", ifNoneMatch: etag).Status);
    }

    [Fact]
    public void Load_ChangedFile_ChangesItsETag()
    {
        var before = Get(StaticPage.Load(Root), "/app.js").Headers["ETag"];
        Write("www/app.js", "import './js/api.js'; // v2");

        var after = Get(StaticPage.Load(Root), "/app.js").Headers["ETag"];

        Assert.NotEqual(before, after);
    }

    [Theory]
    [InlineData("/secret.txt")]
    [InlineData("/.env")]
    [InlineData("/appsettings.json")]
    [InlineData("/js/notes.txt")]
    [InlineData("/js/nested/deep.js")]
    [InlineData("/js/.hidden.js")]
    [InlineData("/js/two..dots.js")]
    [InlineData("/js/module.js.map")]
    [InlineData("/js/")]
    [InlineData("/js")]
    [InlineData("/../secret.txt")]
    [InlineData("/js/../../secret.txt")]
    [InlineData("/js/../secret.txt")]
    [InlineData("/js/../index.html")]
    [InlineData("/./index.html")]
    [InlineData("/%2e%2e/secret.txt")]
    [InlineData("/js/%2e%2e/%2e%2e/secret.txt")]
    [InlineData("/js/..%2f..%2fsecret.txt")]
    [InlineData("/js/..%2F..%2Fother%2Fevil.js")]
    [InlineData("/..\\secret.txt")]
    [InlineData("/js\\..\\..\\secret.txt")]
    [InlineData("/../other/evil.js")]
    [InlineData("//etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("/index.html/")]
    [InlineData("/INDEX.HTML")]
    [InlineData("/index.html%00.js")]
    [InlineData("")]
    [InlineData("index.html")]
    [InlineData("/v1/health")]
    public void Handle_PathOutsideThePage_Is404ProblemAndNeverTheFile(string path)
    {
        var page = StaticPage.Load(Root);

        foreach (var method in new[] { "GET", "HEAD" })
        {
            var response = Get(page, path, method);

            var problem = ApiHarness.AssertProblem(response, 404, ProblemTypes.NotFound);
            Assert.Equal("Not Found", problem.GetProperty("title").GetString());
            Assert.DoesNotContain(Secret, Text(response), StringComparison.Ordinal);
            Assert.Equal("nosniff", response.Headers["X-Content-Type-Options"]);
        }
    }

    [Fact]
    public void Load_Always_ServesOnlyThePagesFiles()
    {
        var page = StaticPage.Load(Root);

        Assert.Equal(
            ["/app.css", "/app.js", "/config.json", "/favicon.svg", "/index.html", "/js/api.js", "/js/gallery-view.js", "/js/vendor.min.js"],
            page.Paths.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Load_SymbolicLinksOutOfTheFolder_AreNeverServed()
    {
        var outside = Path.Combine(_scratch.FullName, "secret.txt");
        File.CreateSymbolicLink(Path.Combine(Root, "js", "linked.js"), outside);
        File.Delete(Path.Combine(Root, "app.css"));
        File.CreateSymbolicLink(Path.Combine(Root, "app.css"), outside);
        Directory.Delete(Path.Combine(Root, "js", "nested"), recursive: true);

        var page = StaticPage.Load(Root);

        Assert.DoesNotContain("/js/linked.js", page.Paths);
        Assert.DoesNotContain("/app.css", page.Paths);
        ApiHarness.AssertProblem(Get(page, "/js/linked.js"), 404, ProblemTypes.NotFound);
        ApiHarness.AssertProblem(Get(page, "/app.css"), 404, ProblemTypes.NotFound);
    }

    [Fact]
    public void Load_LinkedModulesFolder_IsNeverServed()
    {
        Directory.Delete(Path.Combine(Root, "js"), recursive: true);
        Directory.CreateSymbolicLink(Path.Combine(Root, "js"), Path.Combine(_scratch.FullName, "other"));

        var page = StaticPage.Load(Root);

        Assert.DoesNotContain(page.Paths, p => p.StartsWith("/js/", StringComparison.Ordinal));
        ApiHarness.AssertProblem(Get(page, "/js/evil.js"), 404, ProblemTypes.NotFound);
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    [InlineData("OPTIONS")]
    [InlineData("get")]
    public void Handle_OtherMethodOnAPageFile_Is405WithAllow(string method)
    {
        var page = StaticPage.Load(Root);

        var response = Get(page, "/index.html", method);

        ApiHarness.AssertProblem(response, 405, ProblemTypes.MethodNotAllowed);
        Assert.Equal("GET, HEAD", response.Headers["Allow"]);
    }

    [Fact]
    public void Load_FolderWithoutIndex_FailsWithTheFolderName()
    {
        File.Delete(Path.Combine(Root, "index.html"));

        var error = Assert.Throws<InvalidOperationException>(() => StaticPage.Load(Root));

        Assert.Contains("index.html", error.Message, StringComparison.Ordinal);
        Assert.Contains(Root, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFolder_Fails()
    {
        Assert.Throws<DirectoryNotFoundException>(() => StaticPage.Load(Path.Combine(_scratch.FullName, "nope")));
    }

    [Fact]
    public void Load_OversizedFile_Fails()
    {
        File.WriteAllBytes(Path.Combine(Root, "app.css"), new byte[StaticPage.MaxFileBytes + 1]);

        Assert.Throws<InvalidOperationException>(() => StaticPage.Load(Root));
    }

    [Fact]
    public void ContentSecurityPolicy_S3Sources_AllowPresignedImagesAndUploadsOnly()
    {
        var csp = StaticPage.ContentSecurityPolicy(StaticPage.S3Sources("eu-west-1"));

        Assert.Equal(
            "default-src 'self'; img-src 'self' blob: data: https://*.s3.eu-west-1.amazonaws.com https://*.s3.amazonaws.com; " +
            "connect-src 'self' https://*.s3.eu-west-1.amazonaws.com https://*.s3.amazonaws.com; " +
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
            csp);

        var page = StaticPage.Load(Root, csp);
        Assert.Equal(csp, Get(page, "/").Headers["Content-Security-Policy"]);
        Assert.Equal(csp, Get(page, "/nope").Headers["Content-Security-Policy"]);
    }

    [Theory]
    [InlineData("https://a.example; script-src *")]
    [InlineData("https://a.example 'unsafe-inline'")]
    [InlineData("")]
    public void ContentSecurityPolicy_InjectedSource_IsRefused(string source)
    {
        Assert.Throws<ArgumentException>(() => StaticPage.ContentSecurityPolicy([source]));
    }

    [Theory]
    [InlineData("eu-west-1; x")]
    [InlineData("")]
    [InlineData("EU-WEST-1")]
    public void S3Sources_InvalidRegion_IsRefused(string region)
    {
        Assert.Throws<ArgumentException>(() => StaticPage.S3Sources(region));
    }

    [Theory]
    [InlineData("/v1", true)]
    [InlineData("/v1/health", true)]
    [InlineData("/v1/images/x", true)]
    [InlineData("/", false)]
    [InlineData("/v10", false)]
    [InlineData("/v1x/health", false)]
    [InlineData("/app.js", false)]
    public void IsApiPath_Path_SplitsApiFromPage(string path, bool api)
    {
        Assert.Equal(api, StaticPage.IsApiPath(path));
    }

    [Fact]
    public void Load_TheRepositoryPage_ServesEveryFileTheLocalHostServes()
    {
        var wwwroot = RepositoryWebRoot();
        var page = StaticPage.Load(wwwroot);

        var onDisk = Directory.EnumerateFiles(wwwroot, "*", SearchOption.AllDirectories)
            .Select(f => "/" + Path.GetRelativePath(wwwroot, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(onDisk, page.Paths.Order(StringComparer.Ordinal));
        foreach (var path in onDisk)
        {
            var response = Get(page, path);
            Assert.Equal(200, response.Status);
            Assert.NotEqual("application/octet-stream", response.ContentType);
        }

        // Same origin: the page's config.json (if it names the API at all) sends it to the API beside it.
        using var config = System.Text.Json.JsonDocument.Parse(Get(page, "/config.json").Body);
        if (config.RootElement.TryGetProperty("apiBaseUrl", out var apiBaseUrl))
        {
            Assert.Equal("", apiBaseUrl.GetString());
        }
    }

    private static string RepositoryWebRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "ImagePipeline.sln")))
            {
                return Path.Combine(folder.FullName, "src", "ImagePipeline.Local", "wwwroot");
            }
        }

        throw new InvalidOperationException("The repository root (ImagePipeline.sln) is not above " + AppContext.BaseDirectory);
    }
}
