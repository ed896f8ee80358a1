using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ImagePipeline.Http;

/// <summary>An HTTP response as the API produces it; the host copies status, headers and body to the wire.</summary>
/// <param name="Status">The status code.</param>
/// <param name="Headers">Response headers (case-insensitive names).</param>
/// <param name="Body">The body; empty for 204 and redirects.</param>
public sealed record ApiResponse(int Status, IReadOnlyDictionary<string, string> Headers, ReadOnlyMemory<byte> Body)
{
    /// <summary>Media type of API JSON.</summary>
    public const string JsonMediaType = "application/json";

    /// <summary>Media type of problem details (RFC 9457).</summary>
    public const string ProblemMediaType = "application/problem+json";

    /// <summary>The Content-Type header, or null for bodiless responses.</summary>
    public string? ContentType => Headers.TryGetValue("Content-Type", out var value) ? value : null;

    /// <summary>A JSON body written with the API's settings (<see cref="ApiJson"/>).</summary>
    public static ApiResponse Json<T>(int status, T value, JsonTypeInfo<T> typeInfo, IEnumerable<KeyValuePair<string, string>>? headers = null) =>
        Bytes(status, JsonMediaType, JsonSerializer.SerializeToUtf8Bytes(value, typeInfo), headers);

    /// <summary>An RFC 9457 problem detail.</summary>
    public static ApiResponse Problem(ApiProblem problem, IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return Bytes(problem.Status, ProblemMediaType, JsonSerializer.SerializeToUtf8Bytes(problem, ApiJson.Context.ApiProblem), headers);
    }

    /// <summary>A 302 to an (absolute, expiring) URL; never cached.</summary>
    public static ApiResponse Redirect(Uri location)
    {
        ArgumentNullException.ThrowIfNull(location);
        var headers = Common();
        headers["Location"] = UrlText(location);
        return new ApiResponse(302, headers, ReadOnlyMemory<byte>.Empty);
    }

    /// <summary>A 204 with no body.</summary>
    public static ApiResponse NoContent() => new(204, Common(), ReadOnlyMemory<byte>.Empty);

    /// <summary>A body of the given media type.</summary>
    public static ApiResponse Bytes(int status, string contentType, ReadOnlyMemory<byte> body, IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        var all = Common();
        all["Content-Type"] = contentType;
        foreach (var (name, value) in headers ?? [])
        {
            all[name] = value;
        }

        return new ApiResponse(status, all, body);
    }

    /// <summary>
    /// The text of a URL as it must go on the wire: the escaped absolute form (never <see cref="Uri.ToString"/>, which
    /// unescapes and would break signatures); a relative URI is passed through as given.
    /// </summary>
    public static string UrlText(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return url.IsAbsoluteUri ? url.AbsoluteUri : url.OriginalString;
    }

    // Every API answer is personal and short-lived (URLs expire): never stored by caches.
    private static Dictionary<string, string> Common() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["Cache-Control"] = "no-store",
        ["X-Content-Type-Options"] = "nosniff",
    };
}
