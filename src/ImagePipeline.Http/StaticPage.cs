using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace ImagePipeline.Http;

/// <summary>
/// Serves the web page (index.html, its ES modules, stylesheet, icon and config.json) from a folder, for a host that
/// answers the page and the API on one origin (the api function behind CloudFront). The page's files are read once, when
/// the page is loaded, into a table keyed by URL path; a request only looks its path up there, so no request ever reaches
/// the file system and nothing outside the folder (no <c>..</c>, no escaped separator, no symbolic link) can be served.
/// </summary>
/// <remarks>
/// The page has no build step and its modules have unhashed names, so every file is sent with
/// <c>Cache-Control: no-cache</c> and a strong <c>ETag</c>: caches keep them but revalidate on each use, and a
/// revalidation costs a 304 without a body. Every answer carries the Content-Security-Policy and the security headers.
/// </remarks>
public sealed partial class StaticPage
{
    /// <summary>How the page's files may be cached: kept, but revalidated before each use (the names are not hashed).</summary>
    public const string CacheControl = "no-cache";

    /// <summary>The policy for a page whose images and uploads stay on its own origin (the local host).</summary>
    public static readonly string SameOriginContentSecurityPolicy = ContentSecurityPolicy([]);

    /// <summary>The files at the folder's top level that are part of the page.</summary>
    public static IReadOnlyList<string> TopLevelFiles { get; } = ["index.html", "app.js", "app.css", "favicon.svg", "config.json"];

    /// <summary>The folder of the page's ES modules; only <c>*.js</c> files directly inside it are served.</summary>
    public const string ModulesFolder = "js";

    /// <summary>The largest file the page may hold (the page's files are a few KiB each; a Lambda answer holds at most 6 MB).</summary>
    public const int MaxFileBytes = 1024 * 1024;

    private static readonly FrozenDictionary<string, string> s_contentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".json"] = "application/json; charset=utf-8",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private readonly FrozenDictionary<string, PageFile> _files;
    private readonly string _contentSecurityPolicy;

    private StaticPage(FrozenDictionary<string, PageFile> files, string contentSecurityPolicy)
    {
        _files = files;
        _contentSecurityPolicy = contentSecurityPolicy;
    }

    /// <summary>The URL paths this page answers (besides <c>/</c>, which is index.html), e.g. <c>/js/api.js</c>.</summary>
    public IReadOnlyCollection<string> Paths => _files.Keys;

    /// <summary>The Content-Security-Policy sent with every answer.</summary>
    public string ContentSecurityPolicyHeader => _contentSecurityPolicy;

    /// <summary>
    /// Reads the page from <paramref name="root"/>: the <see cref="TopLevelFiles"/> that exist (index.html must) and the
    /// <c>*.js</c> files directly inside <see cref="ModulesFolder"/>. Anything else in the folder is never served, nor is
    /// a symbolic link (file or folder), nor a file whose real path is outside the folder.
    /// </summary>
    /// <param name="root">The page's folder (e.g. <c>wwwroot</c> beside the function's bootstrap).</param>
    /// <param name="contentSecurityPolicy">
    /// The policy to send; null for <see cref="SameOriginContentSecurityPolicy"/>. Where uploads and images go to presigned
    /// S3 URLs, use <see cref="ContentSecurityPolicy"/> with <see cref="S3Sources"/>.
    /// </param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidOperationException">The folder has no index.html, or a file is larger than <see cref="MaxFileBytes"/>.</exception>
    public static StaticPage Load(string root, string? contentSecurityPolicy = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        var folder = new DirectoryInfo(Path.GetFullPath(root));
        if (!folder.Exists)
        {
            throw new DirectoryNotFoundException($"The web page folder '{folder.FullName}' does not exist.");
        }

        var rootPrefix = Path.EndsInDirectorySeparator(folder.FullName) ? folder.FullName : folder.FullName + Path.DirectorySeparatorChar;
        var files = new Dictionary<string, PageFile>(StringComparer.Ordinal);

        void Add(FileInfo file, string urlPath)
        {
            if (!file.Exists || IsLink(file) || !file.FullName.StartsWith(rootPrefix, StringComparison.Ordinal))
            {
                return;
            }

            if (file.Length > MaxFileBytes)
            {
                throw new InvalidOperationException($"The web page file '{file.FullName}' is larger than {MaxFileBytes} bytes.");
            }

            var content = File.ReadAllBytes(file.FullName);
            files[urlPath] = new PageFile(content, ContentTypeOf(file.Name), EntityTag(content));
        }

        foreach (var name in TopLevelFiles)
        {
            Add(new FileInfo(Path.Combine(folder.FullName, name)), "/" + name);
        }

        var modules = new DirectoryInfo(Path.Combine(folder.FullName, ModulesFolder));
        if (modules.Exists && !IsLink(modules))
        {
            foreach (var module in modules.EnumerateFiles("*.js", SearchOption.TopDirectoryOnly).Where(f => ModuleName().IsMatch(f.Name)))
            {
                Add(module, $"/{ModulesFolder}/{module.Name}");
            }
        }

        if (!files.ContainsKey("/index.html"))
        {
            throw new InvalidOperationException($"The web page folder '{folder.FullName}' holds no index.html (or it is a link).");
        }

        return new StaticPage(files.ToFrozenDictionary(StringComparer.Ordinal), contentSecurityPolicy ?? SameOriginContentSecurityPolicy);
    }

    /// <summary>Whether a path belongs to the API (<c>/v1</c> and below) rather than to the page.</summary>
    public static bool IsApiPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path == "/v1" || path.StartsWith("/v1/", StringComparison.Ordinal);
    }

    /// <summary>
    /// Answers a request for the page: GET or HEAD of a known path (200, or 304 when <c>If-None-Match</c> names the
    /// file's ETag), 405 for another method on a known path, 404 problem+json for any other path. The path is compared
    /// exactly as sent (the host passes it undecoded): an escaped or dotted path is simply unknown.
    /// </summary>
    public ApiResponse Handle(ApiRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var path = request.Path == "/" ? "/index.html" : request.Path;
        if (!_files.TryGetValue(path, out var file))
        {
            return WithHeaders(ApiResponse.Problem(new ApiProblem(ProblemTypes.NotFound, "Not Found", 404, "There is no such page or file.")));
        }

        var head = request.Method == "HEAD";
        if (!head && request.Method != "GET")
        {
            return WithHeaders(ApiResponse.Problem(
                new ApiProblem(ProblemTypes.MethodNotAllowed, "Method Not Allowed", 405, $"The page's files answer GET and HEAD, not {Shorten(request.Method)}."),
                [new("Allow", "GET, HEAD")]));
        }

        var headers = SecurityHeaders();
        headers["Cache-Control"] = CacheControl;
        headers["ETag"] = file.ETag;
        if (request.Header("If-None-Match") is { } condition && Matches(condition, file.ETag))
        {
            return new ApiResponse(304, headers, ReadOnlyMemory<byte>.Empty);
        }

        headers["Content-Type"] = file.ContentType;
        if (head)
        {
            // No body: the length says what a GET would carry.
            headers["Content-Length"] = file.Content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return new ApiResponse(200, headers, ReadOnlyMemory<byte>.Empty);
        }

        return new ApiResponse(200, headers, file.Content);
    }

    /// <summary>
    /// The page's Content-Security-Policy: its own scripts, styles and API only, plus <paramref name="objectSources"/>
    /// (where presigned upload and image URLs point) for images and connections. No plugins, no base rewriting, no
    /// framing, no form posts.
    /// </summary>
    /// <exception cref="ArgumentException">A source holds whitespace, a quote, a comma or a semicolon.</exception>
    public static string ContentSecurityPolicy(IEnumerable<string> objectSources)
    {
        ArgumentNullException.ThrowIfNull(objectSources);
        var extra = new StringBuilder();
        foreach (var source in objectSources)
        {
            if (string.IsNullOrEmpty(source) || source.Any(c => char.IsWhiteSpace(c) || c is ';' or ',' or '\'' or '"' || char.IsControl(c)))
            {
                throw new ArgumentException($"'{source}' is not a CSP source expression.", nameof(objectSources));
            }

            _ = extra.Append(' ').Append(source);
        }

        return $"default-src 'self'; img-src 'self' blob: data:{extra}; connect-src 'self'{extra}; " +
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";
    }

    /// <summary>
    /// Where presigned S3 URLs of a region point (virtual-hosted style: <c>BUCKET.s3.REGION.amazonaws.com</c>, and the
    /// global endpoint): the sources the page needs for images and uploads on AWS.
    /// </summary>
    /// <exception cref="ArgumentException">The region or the URL suffix is not a plain DNS label sequence.</exception>
    public static IReadOnlyList<string> S3Sources(string region, string urlSuffix = "amazonaws.com")
    {
        if (!DnsName().IsMatch(region ?? ""))
        {
            throw new ArgumentException($"'{region}' is not an AWS region.", nameof(region));
        }

        if (!DnsName().IsMatch(urlSuffix ?? ""))
        {
            throw new ArgumentException($"'{urlSuffix}' is not a domain suffix.", nameof(urlSuffix));
        }

        return [$"https://*.s3.{region}.{urlSuffix}", $"https://*.s3.{urlSuffix}"];
    }

    private static bool IsLink(FileSystemInfo entry) => entry.LinkTarget is not null || entry.Attributes.HasFlag(FileAttributes.ReparsePoint);

    private static string ContentTypeOf(string name) =>
        s_contentTypes.TryGetValue(Path.GetExtension(name).ToLowerInvariant(), out var type) ? type : "application/octet-stream";

    // Strong: the bytes are the whole representation (no compression happens here).
    private static string EntityTag(byte[] content) => "\"" + Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 16)) + "\"";

    // If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/ is ignored; * matches any current representation.
    private static bool Matches(string condition, string etag)
    {
        foreach (var item in condition.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var tag = item.StartsWith("W/", StringComparison.Ordinal) ? item[2..] : item;
            if (tag == "*" || tag == etag)
            {
                return true;
            }
        }

        return false;
    }

    private ApiResponse WithHeaders(ApiResponse response)
    {
        var headers = SecurityHeaders();
        foreach (var (name, value) in response.Headers)
        {
            headers[name] = value;
        }

        return response with { Headers = headers };
    }

    private Dictionary<string, string> SecurityHeaders() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["Content-Security-Policy"] = _contentSecurityPolicy,
        ["X-Content-Type-Options"] = "nosniff",
        ["Referrer-Policy"] = "no-referrer",
        ["X-Frame-Options"] = "DENY",
    };

    private static string Shorten(string text) => text.Length <= 16 ? text : text[..16] + "…";

    // A module's name: letters, digits, '_' and '-', dot-separated (e.g. a vendored lib.min.js), ending in .js; never a
    // leading dot (hidden files) or an empty part ("..").
    [GeneratedRegex("^[A-Za-z0-9_-]+(?:\\.[A-Za-z0-9_-]+)*\\.js$")]
    private static partial Regex ModuleName();

    [GeneratedRegex("^[a-z0-9]+(?:[.-][a-z0-9]+)*$")]
    private static partial Regex DnsName();

    private sealed record PageFile(byte[] Content, string ContentType, string ETag);
}
