using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ImagePipeline.Cli.Tests;

/// <summary>One request a <see cref="FakeHttpServer"/> received: method, target, headers (names lower-cased).</summary>
internal sealed record FakeRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers);

/// <summary>What a <see cref="FakeHttpServer"/> answers.</summary>
internal sealed record FakeResponse(int Status, string Body = "", string ContentType = "application/json", IReadOnlyDictionary<string, string>? Headers = null);

/// <summary>
/// A tiny HTTP/1.1 server on a free 127.0.0.1 port for what the real hosts cannot show: an API gateway's own 401 body,
/// and which requests carry which headers (the bearer token must reach the API and nothing else). Request bodies are
/// read and dropped.
/// </summary>
internal sealed class FakeHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<FakeRequest, FakeResponse> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public FakeHttpServer(Func<FakeRequest, FakeResponse> handler)
    {
        _handler = handler;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = AcceptAsync();
    }

    public int Port { get; }

    /// <summary><c>http://127.0.0.1:{port}</c>.</summary>
    public string Url => $"http://127.0.0.1:{Port}";

    public ConcurrentQueue<FakeRequest> Requests { get; } = new();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var reader = new StreamReader(stream, Encoding.ASCII);
                var requestLine = await reader.ReadLineAsync(_stop.Token);
                if (requestLine?.Split(' ') is not [var method, var target, _])
                {
                    return;
                }

                var headers = new Dictionary<string, string>(StringComparer.Ordinal);
                while (await reader.ReadLineAsync(_stop.Token) is { Length: > 0 } line)
                {
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    if (colon > 0)
                    {
                        headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
                    }
                }

                // Read the body (as many characters as bytes: ASCII), so closing the connection does not reset it under the client.
                if (headers.TryGetValue("content-length", out var lengthText) && int.TryParse(lengthText, out var length) && length > 0)
                {
                    var body = new char[length];
                    await reader.ReadBlockAsync(body, _stop.Token);
                }

                var request = new FakeRequest(method, target, headers);
                Requests.Enqueue(request);
                var response = _handler(request);
                var content = Encoding.UTF8.GetBytes(response.Body);
                var head = new StringBuilder()
                    .Append($"HTTP/1.1 {response.Status} {((HttpStatusCode)response.Status)}\r\n")
                    .Append($"Content-Type: {response.ContentType}\r\nContent-Length: {content.Length}\r\nConnection: close\r\n");
                foreach (var (name, value) in response.Headers ?? new Dictionary<string, string>())
                {
                    head.Append($"{name}: {value}\r\n");
                }

                await stream.WriteAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()), _stop.Token);
                await stream.WriteAsync(content, _stop.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
            }
        }
    }
}
