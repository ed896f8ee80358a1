using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ImagePipeline.Cli.SignIn;

/// <summary>
/// The loopback redirect of a native app's sign-in (RFC 8252 §7.3): listens on the redirect URI's port on both
/// loopback addresses (127.0.0.1 and ::1, since the browser may resolve <c>localhost</c> to either) before the browser
/// is opened, and waits for the one request to the redirect path that carries this sign-in's <c>state</c>. Anything
/// else (a favicon, another path, a callback with another state) gets an error page and is ignored; the listener
/// serves plain HTTP/1.1, one short request per connection, and never reads more than a few KiB.
/// </summary>
internal sealed class LoopbackCallback : IAsyncDisposable
{
    private const int MaxRequestBytes = 16 * 1024;
    private static readonly TimeSpan ConnectionTimeout = TimeSpan.FromSeconds(10);

    private readonly List<Socket> _listeners;
    private readonly string _path;
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource<string>? _result;
    private string? _state;
    private Task[] _accepting = [];

    private LoopbackCallback(Uri redirectUri, List<Socket> listeners)
    {
        RedirectUri = redirectUri;
        _listeners = listeners;
        _path = redirectUri.AbsolutePath;
    }

    /// <summary>The redirect URI listened for, e.g. <c>http://localhost:53682/callback</c>.</summary>
    public Uri RedirectUri { get; }

    /// <summary>
    /// Starts listening on the port of <paramref name="redirectUri"/> (an <c>http</c> loopback URI) on 127.0.0.1 and, where
    /// the machine has IPv6, on ::1. A port another program holds is a <see cref="CallbackPortException"/>.
    /// </summary>
    public static LoopbackCallback Listen(Uri redirectUri)
    {
        ArgumentNullException.ThrowIfNull(redirectUri);
        var port = redirectUri.Port;
        var listeners = new List<Socket>();
        try
        {
            listeners.Add(Bind(IPAddress.Loopback, port));
            if (Socket.OSSupportsIPv6)
            {
                try
                {
                    listeners.Add(Bind(IPAddress.IPv6Loopback, port));
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported)
                {
                    // No ::1 on this machine (IPv6 disabled): localhost can only be 127.0.0.1 here.
                }
            }
        }
        catch (SocketException e)
        {
            foreach (var listener in listeners)
            {
                listener.Dispose();
            }

            throw new CallbackPortException(port, e);
        }

        return new LoopbackCallback(redirectUri, listeners);
    }

    /// <summary>
    /// Waits for the redirect carrying <paramref name="state"/> and returns its whole URL (the redirect URI with the
    /// query the provider added: <c>code</c> and <c>state</c>, or <c>error</c>).
    /// </summary>
    public async Task<string> WaitAsync(string state, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(state);
        if (_result is not null)
        {
            throw new InvalidOperationException("Already waiting.");
        }

        _state = state;
        _result = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _accepting = [.. _listeners.Select(listener => AcceptLoopAsync(listener, _stop.Token))];
        return await _result.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }

        try
        {
            await Task.WhenAll(_accepting).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private static Socket Bind(IPAddress address, int port)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }

            // Another program listening on the port must make this fail, not share it (Linux and macOS refuse a
            // second listener on a bound address and port by themselves; Windows needs exclusive use).
            if (OperatingSystem.IsWindows())
            {
                socket.ExclusiveAddressUse = true;
            }

            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(16);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task AcceptLoopAsync(Socket listener, CancellationToken cancellationToken)
    {
        var connections = new List<Task>();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var connection = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
                connections.RemoveAll(t => t.IsCompleted);
                connections.Add(ServeAsync(connection, cancellationToken));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        await Task.WhenAll(connections).ConfigureAwait(false);
    }

    /// <summary>Reads one request (browsers also open connections they never use: each has its own deadline).</summary>
    private async Task ServeAsync(Socket socket, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ConnectionTimeout);
        try
        {
            await using var stream = new NetworkStream(socket, ownsSocket: true);
            var target = await ReadRequestTargetAsync(stream, deadline.Token).ConfigureAwait(false);
            if (target is null)
            {
                await RespondAsync(stream, 400, "Bad request", "This address only receives the ImagePipeline CLI's sign-in.", deadline.Token).ConfigureAwait(false);
                return;
            }

            var questionMark = target.IndexOf('?', StringComparison.Ordinal);
            var path = questionMark < 0 ? target : target[..questionMark];
            var query = questionMark < 0 ? "" : target[(questionMark + 1)..];
            if (path != _path)
            {
                await RespondAsync(stream, 404, "Not found", "This address only receives the ImagePipeline CLI's sign-in.", deadline.Token).ConfigureAwait(false);
                return;
            }

            var parameters = ParseQuery(query);
            if (!parameters.TryGetValue("state", out var state) || state != _state)
            {
                await RespondAsync(stream, 400, "Not this sign-in",
                    "This sign-in response is not the one the waiting imagepipeline login started; start it again from the command line.",
                    deadline.Token).ConfigureAwait(false);
                return;
            }

            var failed = parameters.TryGetValue("error", out var error);
            await RespondAsync(stream, 200, failed ? "Sign-in failed" : "Signed in",
                failed
                    ? $"The identity provider said: {error}{(parameters.TryGetValue("error_description", out var description) ? " — " + description : "")}. The command line tells more."
                    : "You are signed in to ImagePipeline on the command line. You can close this tab.",
                deadline.Token).ConfigureAwait(false);
            _result?.TrySetResult(RedirectUri.GetLeftPart(UriPartial.Path) + (query.Length > 0 ? "?" + query : ""));
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // A connection that sent nothing, or went away: not the callback.
        }
    }

    /// <summary>The request target of a <c>GET</c> request (its path and query), or null for anything else.</summary>
    private static async Task<string?> ReadRequestTargetAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxRequestBytes];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            length += read;
            if (buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) >= 0)
            {
                break;
            }
        }

        var lineEnd = buffer.AsSpan(0, length).IndexOf("\r\n"u8);
        if (lineEnd < 0)
        {
            return null;
        }

        var parts = Encoding.ASCII.GetString(buffer, 0, lineEnd).Split(' ');
        return parts is ["GET", var target, var version] && target.StartsWith('/') && version.StartsWith("HTTP/1.", StringComparison.Ordinal) ? target : null;
    }

    private static Dictionary<string, string> ParseQuery(string query)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString((equals < 0 ? pair : pair[..equals]).Replace('+', ' '));
            var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
            values.TryAdd(name, value);
        }

        return values;
    }

    private static async Task RespondAsync(NetworkStream stream, int status, string title, string message, CancellationToken cancellationToken)
    {
        var html = $"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>ImagePipeline: {WebUtility.HtmlEncode(title)}</title></head>
            <body style="font-family: system-ui, sans-serif; margin: 3em"><h1>{WebUtility.HtmlEncode(title)}</h1><p>{WebUtility.HtmlEncode(message)}</p></body></html>
            """;
        var body = Encoding.UTF8.GetBytes(html);
        var reason = status switch { 200 => "OK", 404 => "Not Found", _ => "Bad Request" };
        var head = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {body.Length}\r\n" +
            "Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nContent-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n" +
            "Connection: close\r\n\r\n");
        await stream.WriteAsync(head, cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(body, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>The sign-in's redirect port is held by another program.</summary>
internal sealed class CallbackPortException(int port, SocketException inner)
    : Exception($"cannot receive the sign-in on port {port}: {(inner.SocketErrorCode == SocketError.AddressAlreadyInUse ? "another program is listening on it" : inner.Message)}", inner)
{
    public int Port { get; } = port;
}
