namespace ImagePipeline.Local.Endpoints;

/// <summary>
/// The host names this host answers for: the address it listens on (and its loopback twin, e.g. <c>localhost</c> for
/// <c>127.0.0.1</c>, on the same port), and the public URL when one is set. Anything else — a DNS-rebinding page whose
/// name now points at 127.0.0.1 — is refused before any route runs.
/// </summary>
public sealed class HostAllowList(Uri listenUrl, Uri? publicUrl)
{
    /// <summary>Whether a request whose <c>Host</c> header is <paramref name="host"/>:<paramref name="port"/> is served.</summary>
    public bool IsAllowed(string host, int? port)
    {
        if (string.IsNullOrEmpty(host))
        {
            return false;
        }

        if (publicUrl is not null && Same(publicUrl, host, port))
        {
            return true;
        }

        return Same(listenUrl, host, port)
            || (LoopbackTwinRedirect.IsLoopback(listenUrl.Host) && LoopbackTwinRedirect.IsLoopback(host) && (port ?? LoopbackTwinRedirect.DefaultPort(listenUrl.Scheme)) == listenUrl.Port);
    }

    /// <summary>The addresses served, for messages.</summary>
    public string Describe() =>
        publicUrl is null ? listenUrl.GetLeftPart(UriPartial.Authority) : $"{publicUrl.GetLeftPart(UriPartial.Authority)} or {listenUrl.GetLeftPart(UriPartial.Authority)}";

    private static bool Same(Uri url, string host, int? port) =>
        string.Equals(url.DnsSafeHost, host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase) && (port ?? LoopbackTwinRedirect.DefaultPort(url.Scheme)) == url.Port;

}
