namespace ImagePipeline.Http;

/// <summary>
/// An HTTP request as the API sees it, independent of the host (Kestrel locally, API Gateway HTTP API v2 in AWS).
/// </summary>
/// <param name="Method">The method, upper case as sent (<c>GET</c>, <c>POST</c>…); compared case-sensitively.</param>
/// <param name="Path">
/// The path without the query string, e.g. <c>/v1/images</c>. The router does not percent-decode it: an escaped id or
/// segment simply matches nothing, so the decoded (Kestrel) and the raw (API Gateway <c>rawPath</c>) forms both work.
/// </param>
/// <param name="Query">Query parameters, one value each (a repeated parameter keeps its last value); see <see cref="ParseQuery"/>.</param>
/// <param name="Headers">Request headers; looked up case-insensitively whatever dictionary is passed.</param>
/// <param name="Body">The request body, already read by the host (at most <see cref="ImageApi.MaxRequestBodyBytes"/> + 1 bytes is enough).</param>
public sealed record ApiRequest(
    string Method,
    string Path,
    IReadOnlyDictionary<string, string> Query,
    IReadOnlyDictionary<string, string> Headers,
    ReadOnlyMemory<byte> Body)
{
    /// <summary>
    /// The authenticated caller's subject (<c>sub</c> of a validated access token), set by the host after its own
    /// validation (JwtBearer locally, the gateway's JWT authorizer on AWS); null when there is none. Never read from a
    /// raw header.
    /// </summary>
    public string? CallerSubject { get; init; }

    /// <summary>Request headers, case-insensitive.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init => field = CaseInsensitive(value); } = CaseInsensitive(Headers);

    /// <summary>An empty query or header collection.</summary>
    public static IReadOnlyDictionary<string, string> None { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>A request with no query, headers or body (convenient for hosts and tests).</summary>
    public static ApiRequest Create(string method, string path, string? rawQuery = null) =>
        new(method, path, ParseQuery(rawQuery), None, ReadOnlyMemory<byte>.Empty);

    /// <summary>
    /// Parses a raw query string (with or without the leading <c>?</c>): <c>+</c> is a space, percent-escapes are
    /// decoded, a name without <c>=</c> has the empty value, and a repeated name keeps its last value.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ParseQuery(string? rawQuery)
    {
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(rawQuery))
        {
            return query;
        }

        foreach (var pair in rawQuery.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Decode(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Decode(pair[(equals + 1)..]);
            if (name.Length > 0)
            {
                query[name] = value;
            }
        }

        return query;
    }

    /// <summary>The value of a header, or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    private static string Decode(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));

    private static IReadOnlyDictionary<string, string> CaseInsensitive(IReadOnlyDictionary<string, string>? headers)
    {
        if (headers is Dictionary<string, string> { Comparer: var comparer } && ReferenceEquals(comparer, StringComparer.OrdinalIgnoreCase))
        {
            return headers;
        }

        var copy = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers ?? None)
        {
            copy[name] = value;
        }

        return copy;
    }
}
