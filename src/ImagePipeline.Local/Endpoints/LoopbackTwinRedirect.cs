namespace ImagePipeline.Local.Endpoints;

/// <summary>
/// Sends a browser that opened the page at a loopback twin of the host's address (<c>localhost</c> when the host listens
/// on <c>127.0.0.1</c>, or the other way round) to the address the host signs URLs for. Otherwise the page's origin
/// and its upload URLs' origin differ, and the browser's same-origin rules (CSP <c>connect-src 'self'</c>, CORS) stop
/// the upload. The API and <c>/objects</c> are left alone: non-browser clients don't care which name they used. The
/// redirect is temporary (307) so that no browser remembers it should the host later listen on the other name.
/// </summary>
public static class LoopbackTwinRedirect
{
    private static readonly string[] LoopbackNames = ["localhost", "127.0.0.1", "[::1]"];

    /// <summary>The canonical URL for this request, or null when it needs no redirect.</summary>
    public static Uri? Target(Uri canonical, string method, string host, int? port, string path, string query)
    {
        if (method is not ("GET" or "HEAD")
            || path.StartsWith("/v1/", StringComparison.Ordinal) || path == "/v1"
            || path.StartsWith("/objects/", StringComparison.Ordinal)
            || !IsLoopback(canonical.Host) || !IsLoopback(host)
            || string.Equals(host, canonical.Host, StringComparison.OrdinalIgnoreCase)
            || (port ?? DefaultPort(canonical.Scheme)) != canonical.Port)
        {
            return null;
        }

        return new Uri(canonical.GetLeftPart(UriPartial.Authority) + path + query);
    }

    /// <summary>Whether <paramref name="host"/> (as a URL or <c>Host</c> header writes it) is a loopback name.</summary>
    internal static bool IsLoopback(string host) => LoopbackNames.Contains(host, StringComparer.OrdinalIgnoreCase);

    /// <summary>The port a URL of <paramref name="scheme"/> means when it names none.</summary>
    internal static int DefaultPort(string scheme) => scheme == "https" ? 443 : 80;
}
