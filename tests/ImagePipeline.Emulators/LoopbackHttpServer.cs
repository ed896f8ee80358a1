using System.Net;
using System.Net.Sockets;

namespace ImagePipeline.Emulators;

/// <summary>
/// The HTTP side the emulators' fronts and fakes share: an <see cref="HttpListener"/> on a free loopback port (another
/// one when the port is taken between probing and binding), an accept loop handing each request to a handler on the
/// thread pool, and a stop that waits for the loop.
/// </summary>
public sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    private LoopbackHttpServer(HttpListener listener, Uri endpoint, Func<HttpListenerContext, CancellationToken, Task> handle)
    {
        _listener = listener;
        Endpoint = endpoint;
        _loop = Task.Run(() => AcceptLoopAsync(handle));
    }

    /// <summary><c>http://127.0.0.1:{port}/</c>.</summary>
    public Uri Endpoint { get; }

    /// <summary>Starts serving <paramref name="handle"/>, which gets a token that fires when the server stops.</summary>
    public static LoopbackHttpServer Start(Func<HttpListenerContext, CancellationToken, Task> handle)
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            var prefix = $"http://127.0.0.1:{port}/";
            var listener = new HttpListener();
            listener.Prefixes.Add(prefix);
            try
            {
                listener.Start();
                return new LoopbackHttpServer(listener, new Uri(prefix), handle);
            }
            catch (HttpListenerException) when (attempt < 10)
            {
                // Another process took the port between probing and binding; try another.
                listener.Close();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Close();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (Exception e) when (e is ObjectDisposedException or HttpListenerException or OperationCanceledException)
        {
        }

        _stopping.Dispose();
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task AcceptLoopAsync(Func<HttpListenerContext, CancellationToken, Task> handle)
    {
        var stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                return;
            }

            _ = Task.Run(() => handle(context, stopping));
        }
    }
}
